"""Annealed importance sampling for Bernoulli RBMs, forward and reverse, and
the estimators of log Z built on the works they produce.

The annealing path (Salakhutdinov & Murray 2008; seed 004 Sec. 5) runs from a
base model A with independent visible units (bias ``b_A``, no couplings) to the
RBM B, through the intermediate marginals

.. math:: \\log p^*_k(v) = (1-\\beta_k)\\, b_A \\cdot v
          + \\beta_k \\left[ b \\cdot v + \\sum_j \\mathrm{softplus}((Wv + c)_j) \\right]

(all parameters already multiplied by the model's inverse temperature).
Seen as a nonequilibrium process (seed 004 Sec. 5), the forward work of one
chain is ``W_F = -sum_k [log p*_k(v_{k-1}) - log p*_{k-1}(v_{k-1})]`` and
Jarzynski's equality gives ``log Z_B - log Z_A = log < exp(-W_F) >``; reverse
AIS (Burda et al. 2015) starts from model samples and anneals back to A.

Forward estimates are stochastic lower bounds on ``log Z`` and reverse ones
stochastic upper bounds; the Bennett acceptance ratio combines both works.
"""

from __future__ import annotations

import math

import numpy as np

from .._math import logsumexp, sigmoid, softplus

__all__ = [
    "base_log_partition",
    "base_visible_bias",
    "default_betas",
    "ais_works",
    "reverse_ais_works",
    "jarzynski_log_partition",
    "reverse_log_partition",
    "bennett_log_partition",
    "log_mean_exp",
]


def default_betas(n_betas, *, xp, device=None, dtype=None):
    """Annealing schedule from 0 to 1, denser near 1 where p*_k changes fastest.

    Follows Salakhutdinov & Murray 2008: 10% of the steps on [0, 0.5], 40% on
    [0.5, 0.9], 50% on [0.9, 1].
    """
    n_betas = int(n_betas)
    if n_betas < 3:
        raise ValueError(f"n_betas must be at least 3, got {n_betas}")
    # A piecewise-linear map of a uniform grid: exact end points 0 and 1 for
    # every n_betas (concatenated linspaces ended at 0.9 when n_betas < 4).
    grid = np.linspace(0.0, 1.0, n_betas)
    betas = np.interp(grid, [0.0, 0.1, 0.5, 1.0], [0.0, 0.5, 0.9, 1.0])
    return xp.asarray(betas, dtype=dtype if dtype is not None else xp.float64, device=device)


def base_visible_bias(V_data=None, n_visible=None, *, xp, dtype=None, device=None, eps=1e-3):
    """Visible bias of the base model: logit of the (clipped) data mean, or 0."""
    if V_data is None:
        return xp.zeros((n_visible,), dtype=dtype, device=device)
    mean = xp.clip(xp.mean(V_data, axis=0), eps, 1 - eps)
    return xp.log(mean) - xp.log1p(-mean)


def base_log_partition(b_A, n_hidden, *, xp):
    """``log Z_A`` of the base RBM: independent visibles and ``n_hidden`` free hiddens."""
    return xp.sum(softplus(b_A, xp=xp)) + n_hidden * math.log(2.0)


def _log_p_star(V, W, b, c, b_A, beta_k, *, xp):
    """``log p*_k(v)`` on the annealing path (see module docstring)."""
    return (1.0 - beta_k) * (V @ b_A) + beta_k * (V @ b) + xp.sum(softplus(beta_k * (V @ W.T + c), xp=xp), axis=1)


def _transition(V, W, b, c, b_A, beta_k, rng, *, xp):
    """One Gibbs sweep v -> h -> v that leaves ``p_k`` invariant."""
    H = rng.bernoulli(sigmoid(beta_k * (V @ W.T + c), xp=xp))
    return rng.bernoulli(sigmoid((1.0 - beta_k) * b_A + beta_k * (H @ W + b), xp=xp))


def ais_works(W, b, c, b_A, betas, n_chains, rng, *, xp):
    """Forward works of AIS from the base model to the RBM.

    Parameters
    ----------
    W, b, c : arrays
        RBM parameters (already scaled by the inverse temperature), float64
        recommended.
    b_A : array of shape (n_visible,)
        Visible bias of the base model.
    betas : array of shape (n_betas,)
        Increasing schedule from 0 to 1.
    n_chains : int
        Independent annealing runs.
    rng : BackendRandom

    Returns
    -------
    works : array of shape (n_chains,)
        ``W_F``; ``log Z_B = log Z_A + log mean exp(-W_F)`` (Jarzynski).
    """
    n_visible = W.shape[1]
    V = rng.bernoulli(xp.broadcast_to(sigmoid(b_A, xp=xp), (n_chains, n_visible)))
    log_w = xp.zeros((n_chains,), dtype=W.dtype, device=getattr(W, "device", None))
    n = betas.shape[0]
    for k in range(1, n):
        lo, hi = betas[k - 1], betas[k]
        log_w = log_w + _log_p_star(V, W, b, c, b_A, hi, xp=xp) - _log_p_star(V, W, b, c, b_A, lo, xp=xp)
        if k < n - 1:
            V = _transition(V, W, b, c, b_A, hi, rng, xp=xp)
    return -log_w


def reverse_ais_works(V_model, W, b, c, b_A, betas, rng, *, xp):
    """Works of the reverse process, annealing model samples back to the base.

    Parameters
    ----------
    V_model : array of shape (n_chains, n_visible)
        Samples from the RBM (exact, or from long Gibbs chains).

    Returns
    -------
    works : array of shape (n_chains,)
        ``W_R``; ``log Z_B = log Z_A - log mean exp(-W_R)``.
    """
    V = xp.astype(V_model, W.dtype)
    log_w = xp.zeros((V.shape[0],), dtype=W.dtype, device=getattr(W, "device", None))
    n = betas.shape[0]
    for k in range(n - 1, 0, -1):
        lo, hi = betas[k - 1], betas[k]
        if k < n - 1:
            V = _transition(V, W, b, c, b_A, hi, rng, xp=xp)
        log_w = log_w + _log_p_star(V, W, b, c, b_A, lo, xp=xp) - _log_p_star(V, W, b, c, b_A, hi, xp=xp)
    return -log_w


def log_mean_exp(a, *, xp):
    """``log(mean(exp(a)))`` of a 1-d array."""
    return logsumexp(a, xp=xp) - math.log(a.shape[0])


def jarzynski_log_partition(log_Z_A, forward_works, *, xp):
    """``log Z_B = log Z_A + log <exp(-W_F)>`` (a stochastic lower bound)."""
    return float(log_Z_A + log_mean_exp(-forward_works, xp=xp))


def reverse_log_partition(log_Z_A, reverse_works, *, xp):
    """``log Z_B = log Z_A - log <exp(-W_R)>`` (a stochastic upper bound)."""
    return float(log_Z_A - log_mean_exp(-reverse_works, xp=xp))


def bennett_log_partition(log_Z_A, forward_works, reverse_works, *, tol=1e-12):
    """Bennett acceptance ratio estimate of ``log Z_B`` from both works.

    Solves (Bennett 1976; Shirts et al. 2003) for ``dF = F_B - F_A``

    .. math:: \\sum_i f(M + W_F^i - dF) = \\sum_j f(-M + W_R^j + dF),
              \\quad f(x) = 1 / (1 + e^x), \\ M = \\ln(n_F / n_R),

    the minimum-variance combination of forward and reverse works. The root
    is found on the host: the works are a few thousand floats at most.

    Returns
    -------
    log_Z : float
    """
    from scipy.optimize import brentq
    from scipy.special import expit

    from .._backend import to_numpy

    w_f = np.asarray(to_numpy(forward_works), dtype=np.float64)
    w_r = np.asarray(to_numpy(reverse_works), dtype=np.float64)
    m = math.log(w_f.size / w_r.size)

    def imbalance(dF):
        return expit(-(m + w_f - dF)).sum() - expit(-(-m + w_r + dF)).sum()

    # The root lies between the one-sided (Jarzynski) estimates, widened.
    lo = min(w_f.min(), -w_r.max()) - 10.0
    hi = max(w_f.max(), -w_r.min()) + 10.0
    dF = brentq(imbalance, lo, hi, xtol=tol)
    return float(log_Z_A) - dF
