"""scikit-learn's estimator checks on ChaoticRNNGenerator, on in-domain data.

The model reads data in [0, 1] and refuses anything else with a ValueError,
while scikit-learn's checks feed unbounded real data. As in
tests/test_common.py, the checks run on the real class (the range checks
being expected failures) and again, unchanged, on a test-only subclass that
maps inputs elementwise into (0, 1) with a logistic function first, so every
check exercises the estimator's own code.
"""

from __future__ import annotations

from scipy.special import expit
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_array

from skneq.chaotic import ChaoticRNNGenerator
from tests.test_common import _OUT_OF_DOMAIN

PARAMS = dict(n_components=4, batch_size=8, n_steps_per_update=5, n_iter=2, random_state=0)
_RANGE = "feeds values outside [0, 1]; the model reads X in [0, 1] (mapped to [-1, 1]) and raises ValueError"
# The checks that fit on out-of-domain data: one list for every estimator (tests/test_common.py).
_RANGE_CHECKS = _OUT_OF_DOMAIN
_SQUASH_HIDES = {
    name: "the logistic input map removes the invalid values this check feeds; checked on the real class"
    for name in ("check_positive_only_tag_during_fit", "check_estimators_nan_inf", "check_fit_non_negative")
}


def _squash(X):
    if X is None:
        return X
    import scipy.sparse

    if scipy.sparse.issparse(X):
        X = X.tocsr(copy=True)
        X.data = expit(X.data) * (X.data != 0)  # keep the sparsity pattern (0 stays 0)
        return X
    X = check_array(X, dtype=("float64", "float32"), ensure_all_finite=False, ensure_2d=False,
                    ensure_min_samples=0, ensure_min_features=0)
    return expit(X)


class _SquashedUnrestricted(ChaoticRNNGenerator):
    """ChaoticRNNGenerator whose methods first map inputs into (0, 1): test-only."""

    def fit(self, X, y=None):
        return super().fit(_squash(X), y)

    def partial_fit(self, X, y=None):
        return super().partial_fit(_squash(X), y)

    def score(self, X, y=None):
        return super().score(_squash(X), y)


class _SquashedInputGenerator(_SquashedUnrestricted):
    """The same with the hidden layers' transform (restricted and deep only)."""

    def transform(self, X):
        return super().transform(_squash(X))


def _expected(estimator):
    if type(estimator) is ChaoticRNNGenerator:  # the real class, unsquashed
        return {name: _RANGE for name in _RANGE_CHECKS}
    return _SQUASH_HIDES


@parametrize_with_checks(
    [ChaoticRNNGenerator(**PARAMS), _SquashedInputGenerator(**PARAMS),
     _SquashedInputGenerator("deep", **PARAMS), _SquashedUnrestricted("unrestricted", **PARAMS)],
    expected_failed_checks=_expected,
)
def test_sklearn_checks(estimator, check):
    check(estimator)
