"""The estimator's own annealing base (``RBM(annealing_base=...)``, ``annealing_base_``).

``fit`` fits a mixture of factorised Bernoulli distributions on the training
data when ``score`` cannot enumerate; ``score``, ``log_partition`` and
``sample(method="parallel_tempering")`` start their paths from it by default;
checkpoints, ``from_parameters(X=...)``, ``partial_fit`` and
``estimator_to_numpy`` carry it. The mixture is a function of the training
data alone, so every test compares it bit for bit with
``fit_bernoulli_mixture(X, 20, random_state=0)``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn

from skneq import RBM, _backend, estimator_to_numpy
from skneq.rbm import MAX_SCORE_EXACT_UNITS, FactorizedMixture, fit_bernoulli_mixture
from skneq.rbm import _likelihood

N_UNITS = MAX_SCORE_EXACT_UNITS + 1  # the smallest model whose score anneals


def _data(n_samples=300, n_features=N_UNITS, seed=0):
    """Binary rows near three prototypes (10% of bits flipped): a multimodal data set."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((3, n_features)) < 0.5
    rows = prototypes[rng.integers(0, 3, n_samples)]
    return np.where(rng.random(rows.shape) < 0.1, ~rows, rows).astype(np.float64)


def _fitted(X=None, **params):
    X = _data() if X is None else X
    params = dict(n_components=N_UNITS, n_iter=3, batch_size=20, random_state=0) | params
    return RBM(**params).fit(X), X


def _same_mixture(a, b, atol=0.0):
    """Equal mixtures; ``atol`` for a base the annealing re-normalised (``log sum pi = 0`` to round-off)."""
    for x, y in ((a.log_weights, b.log_weights), (a.logits, b.logits)):
        np.testing.assert_allclose(_backend.to_numpy(x), _backend.to_numpy(y), rtol=0, atol=atol)


def _fast_annealing(monkeypatch):
    """Record the base every annealing of the estimator starts from, running a
    cheap schedule in place of score's (the wiring, not the accuracy)."""
    seen = []
    original = _likelihood._annealing.run_annealing

    def spy(W, b, c, b_A, **kw):
        seen.append(b_A)
        kw.update(n_betas=30, n_chains=20, n_steps=5, max_rounds=1, tol=None)
        return original(W, b, c, b_A, **kw)

    monkeypatch.setattr(_likelihood._annealing, "run_annealing", spy)
    return seen


def test_fit_stores_the_mixture_of_the_training_data():
    rbm, X = _fitted()
    assert isinstance(rbm.annealing_base_, FactorizedMixture) and rbm.annealing_base_.n_components == 20
    _same_mixture(rbm.annealing_base_, fit_bernoulli_mixture(X, 20, random_state=0))
    # Fewer rows than components: one component per row at most.
    small, X_small = _fitted(X=_data(n_samples=8))
    _same_mixture(small.annealing_base_, fit_bernoulli_mixture(X_small, 8, random_state=0))
    # A function of X alone: another random_state trains another model on the same base.
    _same_mixture(_fitted(random_state=3)[0].annealing_base_, rbm.annealing_base_)


@pytest.mark.parametrize("params", [dict(annealing_base="data_mean"), dict(n_components=MAX_SCORE_EXACT_UNITS)])
def test_no_mixture_when_asked_for_the_data_mean_or_when_score_enumerates(params):
    rbm, _ = _fitted(**params)
    assert rbm.annealing_base_ is None


def test_bad_annealing_base_is_a_clear_error():
    with pytest.raises(ValueError, match="annealing_base"):
        RBM(annealing_base="uniform").fit(_data())


def test_score_log_partition_and_pt_sampling_start_from_it(monkeypatch):
    rbm, X = _fitted()
    seen = _fast_annealing(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _likelihood.LikelihoodWarning)  # a 30-temperature schedule
        rbm.score(X)
    assert isinstance(seen[-1], FactorizedMixture)
    _same_mixture(seen[-1], rbm.annealing_base_, atol=1e-12)
    rbm.log_partition("ais", random_state=0)
    _same_mixture(seen[-1], rbm.annealing_base_, atol=1e-12)
    # base="data_mean" and base=None with X keep their meaning: the data mean.
    for kw in (dict(base="data_mean"), dict(X=X)):
        rbm.log_partition("ais", random_state=0, **kw)
        assert not isinstance(seen[-1], FactorizedMixture) and tuple(seen[-1].shape) == (N_UNITS,)
    # The cached log Z belongs to its base: dropping the base recomputes it from the data mean.
    n_calls = len(seen)
    rbm.score(X)
    assert len(seen) == n_calls  # cached
    rbm.annealing_base_ = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _likelihood.LikelihoodWarning)
        rbm.score(X)
    assert len(seen) == n_calls + 1 and not isinstance(seen[-1], FactorizedMixture)
    # Parallel tempering of sample() reads the same base.
    rbm, _ = _fitted()
    a = rbm.sample(20, n_steps=5, method="parallel_tempering", random_state=1)
    b = rbm.sample(20, n_steps=5, method="parallel_tempering", base=rbm.annealing_base_, random_state=1)
    c = rbm.sample(20, n_steps=5, method="parallel_tempering", base="data_mean", random_state=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_method_pt_training_keeps_the_data_mean_ladder():
    """The "pt" negative phase is a training rule of its own (its ladder starts
    at the data mean); the base of score must not change it."""
    mixture, X = _fitted(method="pt", n_temperatures=4, n_iter=2)
    data_mean, _ = _fitted(method="pt", n_temperatures=4, n_iter=2, annealing_base="data_mean")
    assert data_mean.annealing_base_ is None and mixture.annealing_base_ is not None
    np.testing.assert_array_equal(mixture.components_, data_mean.components_)
    np.testing.assert_array_equal(mixture.tempering_chains_, data_mean.tempering_chains_)


@pytest.mark.slow
def test_score_from_the_mixture_base_matches_exact_log_z():
    """At 25 x 25 (2^25 states enumerated, about 4 s) score's defaults from the
    fitted mixture land within 0.05 nat of the exact log Z (measured: 0.004)."""
    rng = np.random.default_rng(0)
    prototypes = rng.random((3, N_UNITS)) < 0.5
    X = np.array([np.where(rng.random(N_UNITS) < 0.1, 1 - prototypes[k], prototypes[k])
                  for k in rng.integers(0, 3, 400)], dtype=float)
    rbm = RBM(n_components=N_UNITS, n_iter=20, batch_size=20, learning_rate=0.05, random_state=0).fit(X)
    assert rbm.annealing_base_ is not None and rbm.log_partition_method_ == "bennett"
    with warnings.catch_warnings():
        warnings.simplefilter("error", _likelihood.LikelihoodWarning)
        log_z = rbm.log_partition_
    exact = rbm.log_partition("exact")
    assert log_z == pytest.approx(exact, abs=0.05)
    lower, upper = rbm.log_partition_interval_
    assert upper - lower < _likelihood.LOG_PARTITION_TOL


def test_partial_fit_keeps_the_base_of_fit_and_starts_without_one():
    rbm, X = _fitted()
    base = rbm.annealing_base_
    rbm.partial_fit(X[:40])
    assert rbm.annealing_base_ is base  # any base is valid for the new parameters
    fresh = RBM(n_components=N_UNITS, random_state=0).partial_fit(X[:40])
    assert fresh.annealing_base_ is None  # one mini-batch is no data set to fit 20 components on
    # A new fit replaces it.
    other = _data(seed=5)
    rbm.fit(other)
    _same_mixture(rbm.annealing_base_, fit_bernoulli_mixture(other, 20, random_state=0))


def test_checkpoints_carry_the_base(tmp_path):
    rbm, X = _fitted()
    path = tmp_path / "rbm.npz"
    rbm.save_checkpoint(path)
    with np.load(path) as f:  # readable without skneq
        np.testing.assert_array_equal(f["annealing_base_logits"], rbm.annealing_base_.logits)
        np.testing.assert_array_equal(f["annealing_base_log_weights"], rbm.annealing_base_.log_weights)
        keys = {k: f[k] for k in f.files}
    loaded = RBM.load_checkpoint(path)
    _same_mixture(loaded.annealing_base_, rbm.annealing_base_)
    # A file without the keys (none, or written before they existed) loads with no base.
    del keys["annealing_base_logits"], keys["annealing_base_log_weights"]
    np.savez(tmp_path / "old.npz", **keys)
    assert RBM.load_checkpoint(tmp_path / "old.npz").annealing_base_ is None
    none, _ = _fitted(annealing_base="data_mean")
    none.save_checkpoint(tmp_path / "none.npz")
    with np.load(tmp_path / "none.npz") as f:
        assert "annealing_base_logits" not in f.files
    assert RBM.load_checkpoint(tmp_path / "none.npz").annealing_base_ is None


def test_from_parameters_with_x_sets_what_fit_sets():
    rbm, X = _fitted()
    W, b, c = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    built = RBM.from_parameters(W, b, c, X=X)
    _same_mixture(built.annealing_base_, rbm.annealing_base_)
    np.testing.assert_allclose(built.visible_mean_, X.mean(axis=0), rtol=0, atol=1e-7)
    assert RBM.from_parameters(W, b, c).annealing_base_ is None
    assert RBM.from_parameters(W, b, c, X=X, annealing_base="data_mean").annealing_base_ is None
    given = np.full(N_UNITS, 0.5)
    np.testing.assert_array_equal(RBM.from_parameters(W, b, c, X=X, visible_mean=given).visible_mean_, given)
    import scipy.sparse

    _same_mixture(RBM.from_parameters(W, b, c, X=scipy.sparse.csr_matrix(X)).annealing_base_, rbm.annealing_base_)
    with pytest.raises(ValueError, match="features"):
        RBM.from_parameters(W, b, c, X=X[:, 1:])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        RBM.from_parameters(W, b, c, X=2 * X)


def test_the_base_follows_the_backend_and_comes_home(xpb):
    X = _data()
    with sklearn.config_context(array_api_dispatch=True):
        rbm = RBM(n_components=N_UNITS, n_iter=1, batch_size=20, random_state=0).fit(xpb.asarray(X))
    base = rbm.annealing_base_
    assert _backend.namespace_name(_backend.namespace_of(base.logits)[0]) == _backend.namespace_name(xpb.xp)
    assert _backend.namespace_of(base.logits)[1] == rbm._fitted_backend().device
    reference = fit_bernoulli_mixture(X, 20, random_state=0)
    np.testing.assert_allclose(_backend.to_numpy(base.logits), reference.logits, rtol=0, atol=1e-9)
    host = estimator_to_numpy(rbm)
    assert isinstance(host.annealing_base_.logits, np.ndarray)
    np.testing.assert_array_equal(host.annealing_base_.logits, _backend.to_numpy(base.logits))


def test_the_subsample_is_taken_on_the_backend(xpb, monkeypatch):
    from skneq.rbm import _estimator, _mixture

    monkeypatch.setattr(_estimator, "MIXTURE_MAX_ROWS", 60)
    X = _data()
    with sklearn.config_context(array_api_dispatch=True):
        rbm = RBM(n_components=N_UNITS, n_iter=0, random_state=0).fit(xpb.asarray(X))
    rows = np.sort(np.random.default_rng(_mixture.MIXTURE_SEED).choice(X.shape[0], 60, replace=False))
    reference = fit_bernoulli_mixture(X[rows], 20, random_state=0)
    np.testing.assert_allclose(_backend.to_numpy(rbm.annealing_base_.logits), reference.logits, rtol=0, atol=1e-9)


@pytest.mark.parametrize("sparse", [False, True])
def test_large_data_fits_the_base_on_a_seeded_subsample(monkeypatch, sparse):
    """Beyond ``MIXTURE_MAX_ROWS`` rows the base is fitted on that many rows
    drawn with ``MIXTURE_SEED`` (sorted), the same for dense and sparse X."""
    import scipy.sparse

    from skneq.rbm import _estimator, _mixture

    monkeypatch.setattr(_estimator, "MIXTURE_MAX_ROWS", 60)
    X = _data(n_samples=300)
    rbm, _ = _fitted(X=scipy.sparse.csr_matrix(X) if sparse else X)
    rows = np.sort(np.random.default_rng(_mixture.MIXTURE_SEED).choice(300, 60, replace=False))
    _same_mixture(rbm.annealing_base_, fit_bernoulli_mixture(X[rows], 20, random_state=0))
