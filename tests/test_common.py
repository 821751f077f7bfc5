"""scikit-learn's estimator checks (``check_estimator``) on every estimator skneq exports.

The models are defined on binary data ({0, 1}^D for the nonequilibrium
Markov machine, [0, 1] for the others) and refuse anything else with a
ValueError, while scikit-learn's checks feed unbounded real data. So every
check runs twice:

1. on a test-only subclass of each estimator whose methods first binarize
   their input elementwise (``_binarize``) and then call the real methods:
   every check exercises the estimator's own code (fit, partial_fit,
   transform, score, pickling, dtypes, feature names, idempotence,
   invariances...) on in-domain data. Only the checks that *need* invalid
   values (NaN, negative numbers) to reach the estimator are expected to
   fail there, because binarizing removes them; those are the checks of
   step 2;
2. on the exported class itself, with the raw data of the checks: the
   checks of invalid input (NaN, inf, negative values, 1-D input...) pass
   as they are; the checks that feed valid but out-of-domain data (values
   above 1, non-binary values) are expected failures whose reason is the
   model's domain, and each of them passes in step 1.

``test_every_exported_estimator_is_checked`` keeps the list complete and
``test_out_of_domain_failures_pass_in_domain`` keeps the expected failures
of step 2 honest.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

import skneq
from skneq import ChaoticRNNGenerator, NonequilibriumMarkovMachine, RBM, ReciprocalSpaceProjector

# --------------------------------------------------------------------------
# The estimators, small
# --------------------------------------------------------------------------


def _params():
    return {
        "RBM": dict(n_components=3, n_iter=2, batch_size=10, random_state=0),
        "ChaoticRNNGenerator": dict(n_components=4, batch_size=8, n_steps_per_update=5, n_iter=2, random_state=0),
        "NonequilibriumMarkovMachine": dict(n_components=2, n_iter=2, n_updates_per_epoch=3, n_steps_per_update=4,
                                            n_estimate_steps=50, n_rb_samples=5, n_bootstrap=0, random_state=0),
    }


# --------------------------------------------------------------------------
# Step 1: in-domain (binarized) inputs
# --------------------------------------------------------------------------

_depth = [0]  # binarize once per public call, not again in nested calls (fit_transform -> fit)


def _bits(a):
    """Elementwise bits of a numeric array, same dtype: the parity of the nearest
    integer (``x mod 2`` for integers), which leaves {0, 1} unchanged and gives
    fair bits for the continuous data of the checks (spread over several units).
    NaN and inf give NaN (the estimator still sees them)."""
    if a.dtype.kind == "b":
        return a
    if a.dtype.kind in "iu":
        return np.abs(a) % 2
    with np.errstate(invalid="ignore"):
        return np.mod(np.floor(a + 0.5), 2.0).astype(a.dtype, copy=False)


def _binarize(X):
    """``X`` mapped elementwise into {0, 1}, in the container it came in.

    Keeps dtype, shape, row independence, pandas frames (feature names),
    sparse formats and array-likes; non-numeric input (objects, strings) is
    passed through untouched so that the estimator raises its own error.
    """
    if X is None or isinstance(X, str):
        return X
    if sp.issparse(X):
        csr = X.tocsr(copy=True)
        csr.data = _bits(csr.data)
        return csr.asformat(X.format)
    if hasattr(X, "iloc") and hasattr(X, "columns"):  # pandas DataFrame
        if not all(getattr(dt, "kind", "O") in "biuf" for dt in X.dtypes):
            return X
        return X.apply(lambda column: _bits(column.to_numpy()), raw=False, result_type="broadcast")
    try:
        a = np.asarray(X)
    except Exception:
        return X
    if a.dtype.kind == "O":  # numbers stored as objects: bits, still objects
        try:
            return _bits(a.astype(np.float64)).astype(object)
        except (TypeError, ValueError):
            return X
    if a.dtype.kind not in "biuf":
        return X
    bits = _bits(a)
    if isinstance(X, np.ndarray):
        return bits
    if isinstance(X, list):
        return bits.tolist()
    try:  # e.g. scikit-learn's _NotAnArray: keep the container
        return type(X)(bits)
    except Exception:
        return bits


@contextlib.contextmanager
def _outermost():
    _depth[0] += 1
    try:
        yield _depth[0] == 1
    finally:
        _depth[0] -= 1


def _binarizing(cls, name, holder):
    def method(self, X=None, *args, **kwargs):
        with _outermost() as outermost:
            return getattr(super(holder[0], self), name)(_binarize(X) if outermost else X, *args, **kwargs)

    # The real method's name, docstring and signature (checks inspect them).
    functools.update_wrapper(method, getattr(cls, name))
    return method


_INPUT_METHODS = ("fit", "partial_fit", "fit_transform", "transform", "score", "score_samples", "free_energy")


def _binarized(cls):
    """A module-level (picklable) subclass of ``cls`` binarizing the input of its methods."""
    holder = []
    namespace = {name: _binarizing(cls, name, holder) for name in _INPUT_METHODS if hasattr(cls, name)}
    namespace["__module__"] = __name__
    # auto_wrap_output_keys=None: the parent's methods already apply set_output.
    sub = type(f"Binarized{cls.__name__}", (cls,), namespace, auto_wrap_output_keys=None)
    holder.append(sub)
    sub.__qualname__ = sub.__name__
    globals()[sub.__name__] = sub
    return sub


BinarizedRBM = _binarized(RBM)
BinarizedNonequilibriumMarkovMachine = _binarized(NonequilibriumMarkovMachine)
BinarizedChaoticRNNGenerator = _binarized(ChaoticRNNGenerator)
BinarizedReciprocalSpaceProjector = _binarized(ReciprocalSpaceProjector)


def _in_domain_instances():
    p = _params()
    return [
        BinarizedRBM(**p["RBM"]),
        BinarizedReciprocalSpaceProjector(RBM(**p["RBM"])),
        BinarizedChaoticRNNGenerator(**p["ChaoticRNNGenerator"]),
        BinarizedNonequilibriumMarkovMachine(**p["NonequilibriumMarkovMachine"]),
    ]


# These checks feed invalid values and expect the estimator to refuse them;
# binarizing turns them into valid ones. Each passes on the real class (step 2).
_BINARIZING_HIDES = {
    "check_positive_only_tag_during_fit": "binarizing maps the negative values this check feeds into {0, 1}",
    "check_fit_non_negative": "binarizing maps the negative values this check feeds into {0, 1}",
}


def _in_domain_expected(estimator):
    return dict(_BINARIZING_HIDES)


@parametrize_with_checks(_in_domain_instances(), expected_failed_checks=_in_domain_expected)
def test_sklearn_checks_on_binary_inputs(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------
# Step 2: the exported classes on the raw data of the checks
# --------------------------------------------------------------------------

_RANGE = "feeds real values above 1; the model is defined on [0, 1] data and raises ValueError (passes on binary data)"
_BINARY = "feeds non-binary values; the model is defined on {0, 1}^D and raises ValueError (passes on binary data)"
# Checks that fit on valid-but-out-of-domain data (values above 1 or between 0 and 1).
_OUT_OF_DOMAIN = (
    "check_estimators_overwrite_params", "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting", "check_estimators_dtypes",
    "check_pipeline_consistency", "check_estimators_pickle", "check_array_api_input",
    "check_f_contiguous_array_estimator", "check_transformer_data_not_an_array", "check_transformer_general",
    "check_transformer_preserve_dtypes", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1feature", "check_dict_unchanged", "check_fit_idempotent",
    "check_fit_check_is_fitted", "check_n_features_in", "check_fit2d_predict1d", "check_fit2d_1sample",
)
_NMM_ALSO = ("check_fit_score_takes_y", "check_dtype_object", "check_estimators_nan_inf",
             "check_estimator_sparse_tag", "check_estimator_sparse_array", "check_estimator_sparse_matrix")

# Genuine failures, on raw and binarized data alike, each with the fix it waits for.
GENUINE = {}

EXPECTED_OUT_OF_DOMAIN = {
    "RBM": dict.fromkeys(_OUT_OF_DOMAIN, _RANGE),
    "ReciprocalSpaceProjector": dict.fromkeys(_OUT_OF_DOMAIN, _RANGE),
    "ChaoticRNNGenerator": dict.fromkeys(_OUT_OF_DOMAIN, _RANGE),
    "NonequilibriumMarkovMachine": dict.fromkeys(_OUT_OF_DOMAIN + _NMM_ALSO, _BINARY),
}


def _raw_instances():
    p = _params()
    return [
        RBM(**p["RBM"]),
        ReciprocalSpaceProjector(RBM(**p["RBM"])),
        ChaoticRNNGenerator(**p["ChaoticRNNGenerator"]),
        NonequilibriumMarkovMachine(**p["NonequilibriumMarkovMachine"]),
    ]


def _raw_expected(estimator):
    return EXPECTED_OUT_OF_DOMAIN.get(type(estimator).__name__, {})


@parametrize_with_checks(_raw_instances(), expected_failed_checks=_raw_expected)
def test_sklearn_checks_on_raw_inputs(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------
# Bookkeeping
# --------------------------------------------------------------------------


def test_every_exported_estimator_is_checked():
    from sklearn.base import BaseEstimator

    exported = {
        name for name in skneq.__all__
        if isinstance(getattr(skneq, name), type) and issubclass(getattr(skneq, name), BaseEstimator)
    }
    in_domain = {type(est).__name__.removeprefix("Binarized") for est in _in_domain_instances()}
    raw = {type(est).__name__ for est in _raw_instances()}
    assert exported <= in_domain and exported <= raw, f"missing from test_common: {exported - (in_domain & raw)}"


def test_out_of_domain_failures_pass_in_domain():
    """Every check expected to fail on raw data is one that runs, unexpected
    failures excluded, on binarized data: nothing is left unchecked."""
    for name, expected in EXPECTED_OUT_OF_DOMAIN.items():
        hidden = set(expected) & set(_BINARIZING_HIDES)
        assert hidden <= set(GENUINE.get(name, {})), (name, hidden - set(GENUINE.get(name, {})))
        assert all(expected[check] == reason for check, reason in GENUINE.get(name, {}).items())


def test_binarize_is_elementwise_and_keeps_containers():
    import pandas as pd

    X = np.array([[0.2, 0.7, 1.3, -0.4], [np.nan, 3.0, 2.6, 0.0]], dtype=np.float32)
    B = _binarize(X)
    assert B.dtype == np.float32
    np.testing.assert_array_equal(B[0], [0, 1, 1, 0])
    assert np.isnan(B[1, 0]) and np.array_equal(B[1, 1:], [1, 1, 0])
    np.testing.assert_array_equal(_binarize(X[:1]), B[:1])  # row independence
    np.testing.assert_array_equal(_binarize(B[:1]), B[:1])  # idempotent on bits
    np.testing.assert_array_equal(_binarize(np.array([[3, -5, 4]])), [[1, 1, 0]])
    frame = _binarize(pd.DataFrame(X[:1], columns=list("abcd")))
    assert list(frame.columns) == list("abcd")
    np.testing.assert_array_equal(frame.to_numpy(), B[:1])
    np.testing.assert_array_equal(_binarize(sp.csr_matrix(X[:1])).toarray(), B[:1])
    obj = X[:1].astype(object)
    assert _binarize(obj).dtype == object and np.array_equal(_binarize(obj).astype(float), B[:1])
    obj[0, 0] = {"not": "a number"}
    assert _binarize(obj) is obj  # left for the estimator to refuse
    np.testing.assert_array_equal(_binarize(sp.dok_matrix(X[:1])).toarray(), B[:1])
