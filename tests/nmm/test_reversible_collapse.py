"""The reversible control's collapse, with the latent average done exactly (Baiesi & Rosso 2025, Sec. III).

On a tied one-hot machine small enough to enumerate (D = 8, L = 3), the
approximate prior gradient of eqs. 16d / 17 with the exact average over
``p(x') Abar[x', z]`` is ``rho (I - M)``, while the true gradient is
``rho - pi``: as the latent states separate (``w`` scaled up, ``M -> I``)
the first vanishes and the second does not.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from skneq.nmm._collapse import reversible_prior_gradients

SCALES = (0.5, 1.0, 2.0, 3.0, 4.0, 6.0)


def _case(scale, seed=0, D=8, L=3):
    rng = np.random.default_rng(seed)
    proto = (rng.random((L, D)) < 0.5).astype(float)
    X = np.repeat(proto, 40, axis=0)
    X = np.abs(X - (rng.random(X.shape) < 0.1))  # 10 % pixel noise around three prototypes
    w = scale * (2 * proto.T - 1)
    # Prior weights (0.7, 0.2, 0.1) against balanced data: the exact gradient is O(1).
    c = np.log([0.7, 0.2, 0.1]) - np.logaddexp(0, w).sum(0)
    return w, c, X.mean(0), X


def _mixture_log_likelihood(w, c, X):
    log_pi = c + np.logaddexp(0, w).sum(0)
    log_pi = log_pi - logsumexp(log_pi)
    log_A = X @ w - np.logaddexp(0, w).sum(0)  # (N, L)
    return logsumexp(log_A + log_pi, axis=1).mean()


@pytest.mark.parametrize("scale", SCALES)
def test_approximate_prior_gradient_is_rho_times_one_minus_M(scale):
    w, c, xm, X = _case(scale)
    r = reversible_prior_gradients(w, c, xm, X)
    # The kernel's eq. 16d with the exact latent average against the closed form.
    np.testing.assert_allclose(r["approx"], r["closed_form"], atol=1e-12)
    # The tied chain is in detailed balance and pi is its stationary occupancy.
    np.testing.assert_allclose(r["pi"] @ r["M"], r["pi"], atol=1e-12)
    flux = r["pi"][:, None] * r["M"]
    np.testing.assert_allclose(flux, flux.T, atol=1e-12)
    # The true gradient rho - pi against central differences of the mixture log-likelihood.
    h = 1e-6
    fd = [(_mixture_log_likelihood(w, c + h * e, X) - _mixture_log_likelihood(w, c - h * e, X)) / (2 * h)
          for e in np.eye(len(c))]
    np.testing.assert_allclose(r["exact"], fd, atol=1e-8)


def test_restoring_force_vanishes_as_M_goes_to_identity():
    rows = [reversible_prior_gradients(*_case(s)) for s in SCALES]
    self_tr = [r["mean_self_transition"] for r in rows]
    approx = [np.linalg.norm(r["approx"]) for r in rows]
    exact = [np.linalg.norm(r["exact"]) for r in rows]
    assert np.all(np.diff(self_tr) > 0) and self_tr[-1] > 0.999  # M -> I
    # Measured: |approx| 0.095 -> 6.2e-5 while |exact| 0.11 -> 0.43 (the prior stays wrong).
    assert approx[-1] < 1e-3 * exact[-1]
    assert exact[-1] > 0.4 and min(exact[2:]) > 0.3
    assert np.all(np.diff(approx[1:]) < 0)  # past the first scale, the force only decays
    # |rho (I - M)| <= |rho| |I - M|: bounded by the leak out of the states.
    for r in rows:
        assert np.linalg.norm(r["approx"]) <= np.linalg.norm(r["rho"]) * np.linalg.norm(np.eye(3) - r["M"], 2) + 1e-12
