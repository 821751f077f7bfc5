"""The per-epoch pseudo-log-likelihood monitor of RBM (``history_``, verbose).

Its meaning is BernoulliRBM's pseudo-likelihood (one flipped bit per row),
checked against free energies computed independently (scikit-learn's own
``BernoulliRBM._free_energy`` at beta = 1, skneq's float64 ``free_energy``
at other beta); its rows follow ``monitor_rows``; its draws come from the
"monitoring" stream only and are the same every epoch.
"""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from scipy.special import log_expit
from sklearn.neural_network import BernoulliRBM

from skneq import RBM, _backend
from skneq.rbm._rows import MONITOR_MIN_ROWS, MONITOR_ROWS, monitor_rows

from .models import random_rbm


@pytest.mark.parametrize("n, m", [
    (1, 1), (40, 40), (100, 100), (150, 100), (1000, 100), (1001, 101),
    (1500, 150), (2001, 201), (9999, 1000), (10000, 1000), (60000, 1000),
])
def test_monitor_rows_rule(n, m):
    assert monitor_rows(n) == m
    assert (MONITOR_MIN_ROWS, MONITOR_ROWS) == (100, 1000)


def _reference(rbm, X, rng_factory, free_energy):
    """Replay the monitor's draws (rows, then bits) and score with ``free_energy``."""
    rng = rng_factory()
    n, n_features = X.shape
    m = monitor_rows(n)
    rows = np.asarray(_backend.to_numpy(rng.permutation(n)[:m]))
    flip = np.asarray(_backend.to_numpy(rng.integers(n_features, (m,))))
    V = (X[rows] > 0.5).astype(np.float64)
    V_flipped = V.copy()
    V_flipped[np.arange(m), flip] = 1.0 - V_flipped[np.arange(m), flip]
    scores = n_features * log_expit(rbm.beta * (free_energy(V_flipped) - free_energy(V)))
    return scores.mean(), scores.std(ddof=1) / np.sqrt(m)


@pytest.mark.parametrize("n_samples", [30, 400, 1500])
def test_monitor_is_bernoulli_rbm_pseudo_likelihood(xpb, n_samples):
    """beta = 1: the free energies are scikit-learn's, the draws replayed."""
    W, b, c = random_rbm(20, 7, seed=n_samples, scale=0.5)
    X = (np.random.default_rng(1).random((n_samples, 20)) < 0.4).astype(np.float64)
    with sklearn.config_context(array_api_dispatch=True):  # the model follows X's backend and device
        rbm = RBM(n_components=7, n_iter=0, random_state=5).fit(xpb.asarray(X))
    bk = rbm._fitted_backend()
    assert _backend.namespace_name(bk.xp) == _backend.namespace_name(xpb.xp)
    rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_ = (
        xpb.asarray(a, dtype=bk.dtype) for a in (W, b, c))
    sk = BernoulliRBM(n_components=7)
    sk.components_, sk.intercept_visible_, sk.intercept_hidden_ = W, b, c
    Xb = xpb.asarray(X, dtype=bk.dtype)
    pll, se = rbm._pseudo_log_likelihood(Xb, bk, rbm._rng(bk, "monitoring"))
    ref, ref_se = _reference(rbm, X, lambda: rbm._rng(bk, "monitoring"), sk._free_energy)
    # float32 fields against sklearn's float64: scores of ~20 nats to ~1e-5
    assert pll == pytest.approx(ref, rel=1e-5, abs=1e-4)
    assert se == pytest.approx(ref_se, rel=1e-4)
    assert isinstance(pll, float) and isinstance(se, float)


def test_monitor_with_beta():
    W, b, c = random_rbm(12, 5, seed=3, scale=0.7)
    X = (np.random.default_rng(2).random((250, 12)) < 0.5).astype(np.float64)
    rbm = RBM.from_parameters(W, b, c, beta=0.6, random_state=1)
    bk = rbm._fitted_backend()
    pll, se = rbm._pseudo_log_likelihood(X.astype(np.float32), bk, rbm._rng(bk, "monitoring"))
    ref, ref_se = _reference(rbm, X, lambda: rbm._rng(bk, "monitoring"), rbm.free_energy)
    assert pll == pytest.approx(ref, rel=1e-5, abs=1e-4)
    assert se == pytest.approx(ref_se, rel=1e-4)


def test_single_row_has_no_standard_error():
    W, b, c = random_rbm(6, 3, seed=0)
    rbm = RBM.from_parameters(W, b, c, random_state=0)
    bk = rbm._fitted_backend()
    pll, se = rbm._pseudo_log_likelihood(np.ones((1, 6), np.float32), bk, rbm._rng(bk, "monitoring"))
    assert np.isfinite(pll) and np.isnan(se)


def test_history_is_the_monitor_with_the_same_draws_every_epoch(capsys):
    """Each epoch's record is the monitor at that epoch's parameters with one
    fixed set of rows and bits (common random numbers: the change between
    epochs is not buried under the draw-to-draw spread of the level)."""
    X = (np.random.default_rng(4).random((300, 16)) < 0.3).astype(np.float64)
    rbm = RBM(n_components=6, n_iter=3, batch_size=20, random_state=7, checkpoints=[1, 2, 3], verbose=1).fit(X)
    bk = rbm._fitted_backend()
    lines = [line for line in capsys.readouterr().out.splitlines() if "pseudo-likelihood" in line]
    assert len(lines) == 3
    for epoch, params in enumerate(rbm.history_["params"], start=1):
        model = RBM.from_parameters(*params, random_state=7)
        pll, se = model._pseudo_log_likelihood(X.astype(np.float32), bk, model._rng(bk, "monitoring"))
        assert rbm.history_["pseudo_log_likelihood"][epoch - 1] == pytest.approx(pll, rel=1e-6)
        assert lines[epoch - 1].startswith(f"[RBM] Iteration {epoch}, pseudo-likelihood = {pll:.2f}, time = ")
    # ... and not the draws of the old per-epoch salt
    model = RBM.from_parameters(*rbm.history_["params"][1], random_state=7)
    salted, _ = model._pseudo_log_likelihood(X.astype(np.float32), bk, model._rng(bk, "monitoring", 2))
    assert rbm.history_["pseudo_log_likelihood"][1] != pytest.approx(salted, rel=1e-6)
