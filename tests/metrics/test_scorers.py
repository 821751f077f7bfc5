"""Generative scorers inside scikit-learn model selection.

The generator is a tiny independent-Bernoulli model defined here (the skneq
estimators are tested elsewhere), whose ``shrink`` parameter pulls the fitted
pixel means towards 1/2: ``shrink=0`` is the right model for independent
Bernoulli data, ``shrink=1`` is uniform noise.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from sklearn.utils.validation import check_is_fitted, validate_data

from skneq.metrics import (
    aai_error,
    aai_error_scorer,
    make_generative_scorer,
    second_moment_error,
    second_moment_error_scorer,
    spectrum_error_scorer,
)


class IndependentBernoulli(BaseEstimator):
    def __init__(self, shrink=0.0):
        self.shrink = shrink

    def fit(self, X, y=None):
        X = validate_data(self, X)
        self.means_ = (1 - self.shrink) * X.mean(axis=0) + self.shrink * 0.5
        return self

    def sample(self, n_samples=1, *, random_state=None):
        check_is_fitted(self)
        rng = np.random.default_rng(random_state)
        return (rng.random((n_samples, self.means_.shape[0])) < self.means_).astype(np.float64)


@pytest.fixture
def bernoulli_data():
    rng = np.random.default_rng(0)
    means = rng.uniform(0.05, 0.95, size=50)
    return (rng.random((450, 50)) < means).astype(np.float64)


def test_scorer_value_is_negated_metric(bernoulli_data):
    X_train, X_test = bernoulli_data[:300], bernoulli_data[300:]
    model = IndependentBernoulli().fit(X_train)
    expected = -aai_error(X_test, model.sample(len(X_test), random_state=0))
    assert aai_error_scorer(model, X_test) == expected
    assert isinstance(aai_error_scorer(model, X_test), float)
    # greater_is_better=True keeps the sign; strings name the metric.
    plus = make_generative_scorer("aai_error", greater_is_better=True)
    assert plus(model, X_test) == -expected
    # Fixed n_samples is what sample() receives.
    scorer = make_generative_scorer(second_moment_error, n_samples=500, random_state=3)
    assert scorer(model, X_test) == -second_moment_error(X_test, model.sample(500, random_state=3))


@pytest.mark.parametrize("ties", ["strict", "half"])
def test_grid_search_selects_true_model(bernoulli_data, ties):
    """shrink=0 reproduces the data law; 0.25 and 1 are detectably wrong.

    With 150 held-out samples per fold and 50 features, uniform noise
    (shrink=1) gives p_dd near 1 (aai error above 0.1) while the true model
    stays within the sampling noise of 1/2 (error about 0.01 to 0.02; the
    strict tie rule lowers both fractions a little on binary data).
    """
    scorer = aai_error_scorer if ties == "strict" else make_generative_scorer(aai_error, ties=ties)
    search = GridSearchCV(IndependentBernoulli(), {"shrink": [1.0, 0.25, 0.0]}, scoring=scorer, cv=KFold(3))
    search.fit(bernoulli_data)
    assert search.best_params_ == {"shrink": 0.0}
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] < scores[1] < scores[2] <= 0.0
    assert scores[0] < -0.1


def test_cross_val_score_and_multimetric(bernoulli_data):
    scores = cross_val_score(IndependentBernoulli(), bernoulli_data, scoring=aai_error_scorer, cv=3)
    assert scores.shape == (3,)
    assert np.all(scores <= 0) and np.all(scores >= -0.25)
    results = cross_validate(
        IndependentBernoulli(),
        bernoulli_data,
        scoring={"aai": aai_error_scorer, "e2": second_moment_error_scorer, "es": spectrum_error_scorer},
        cv=3,
    )
    for key in ("test_aai", "test_e2", "test_es"):
        assert np.all(results[key] <= 0)


def test_metric_kwargs_forwarded_and_pickle(bernoulli_data):
    seen = {}

    def metric(X_data, X_generated, *, chunk_size=None):
        seen["chunk_size"] = chunk_size
        seen["shape"] = X_generated.shape
        return aai_error(X_data, X_generated, chunk_size=chunk_size)

    model = IndependentBernoulli().fit(bernoulli_data)
    scorer = make_generative_scorer(metric, chunk_size=16)
    scorer(model, bernoulli_data[:40])
    assert seen == {"chunk_size": 16, "shape": (40, 50)}
    # Parallel searches (n_jobs > 1) pickle the scorer.
    restored = pickle.loads(pickle.dumps(aai_error_scorer))
    assert restored(model, bernoulli_data[:40]) == aai_error_scorer(model, bernoulli_data[:40])
    assert "aai_error" in repr(aai_error_scorer)


def test_scorer_errors(bernoulli_data):
    with pytest.raises(ValueError, match="Unknown metric"):
        make_generative_scorer("accuracy")
    with pytest.raises(ValueError, match="callable"):
        make_generative_scorer(3)
    with pytest.raises(ValueError, match="n_samples"):
        make_generative_scorer(aai_error, n_samples=0)
    with pytest.raises(TypeError, match="no sample method"):
        aai_error_scorer(object(), bernoulli_data)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_samples=2.7), "n_samples"),  # refused, never truncated to 2
        (dict(n_samples=True), "n_samples"),
        (dict(n_samples=-1), "n_samples"),
        (dict(greater_is_better="yes"), "greater_is_better"),
    ],
)
def test_scorer_arguments_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_generative_scorer(aai_error, **kwargs)


def test_scorer_on_sparse_held_out_data(bernoulli_data):
    """Held-out folds may be sparse (as BernoulliRBM's input may): same score as dense."""
    import scipy.sparse as sp

    model = IndependentBernoulli().fit(bernoulli_data[:300])
    X_test = bernoulli_data[300:]
    for scorer in (aai_error_scorer, second_moment_error_scorer, spectrum_error_scorer):
        assert scorer(model, sp.csr_matrix(X_test)) == pytest.approx(scorer(model, X_test), rel=1e-12, abs=1e-15)
