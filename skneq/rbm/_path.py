"""The annealing path of a Bernoulli RBM, as pure kernels: one definition
shared by annealed importance sampling (:mod:`skneq.rbm._annealing`) and
parallel tempering along the path (:mod:`skneq.rbm._ladder`).

From a base model A of independent visible units with bias ``b_A`` (hidden
units free) to the RBM B, the path's marginals are (Salakhutdinov & Murray
2008; Salazar 2017, arXiv:1704.08724, Sec. 5)

.. math:: \\log p^*_\\beta(v) = (1-\\beta)\\, b_A \\cdot v
          + \\beta\\, b \\cdot v + \\sum_j \\mathrm{softplus}(\\beta (Wv + c)_j),
          \\qquad 0 \\le \\beta \\le 1,

with the parameters already multiplied by the model's own inverse
temperature. Everything the path needs from a state ``v`` is its hidden
fields ``F = Wv + c`` and ``vd = v . (b - b_A)`` (one product); with them

* the log-ratio of two points of the path, ``log p*_hi(v) - log p*_lo(v)``,
  is the AIS weight increment and the Metropolis ratio of a swap between
  neighbouring replicas (the swap is made on the visible marginal, the
  hidden layer summed out, which accepts more often than the joint energy);
* the slope ``U(v) = d log p*_beta(v) / d beta = vd + sum_j F_j
  sigmoid(beta F_j)`` has a standard deviation ``sigma(beta)`` over
  ``p_beta`` whose integral, the thermodynamic length
  ``L = int_0^1 sigma(beta) d beta``, counts how many neighbouring
  distributions the path needs: two points ``d beta`` apart overlap with a
  swap rate of about ``2 Phi(-sigma d beta / sqrt 2)`` (Gaussian
  log-ratios), so rungs equally spaced in length accept swaps equally often.

States may carry leading axes: ``V`` of shape (n_chains, n_visible) or
(n_temperatures, n_chains, n_visible), with ``beta`` a float or an array
broadcasting against the leading axes (e.g. shape (n_temperatures, 1)).
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import to_numpy
from .._math import sigmoid, softplus

__all__ = ["PATH_SPACING", "path_fields", "path_log_ratio", "path_slope", "path_transition",
           "path_length_profile", "length_ladder", "ladder_log_ratios"]

#: Default distance in thermodynamic length between neighbouring rungs of a
#: measured ladder: a swap rate of about 2 Phi(-0.75 / sqrt 2) = 0.60.
PATH_SPACING = 0.75


def _rows(V, xp):
    """``V`` as a 2-d array of rows (one product for all leading axes)."""
    return xp.reshape(V, (-1, V.shape[-1])) if V.ndim != 2 else V


def _unrows(M, lead, xp):
    return xp.reshape(M, tuple(lead) + (M.shape[-1],)) if len(lead) != 1 else M


def path_fields(V, W, b, c, b_A, *, xp):
    """Hidden fields ``F = V W^T + c`` and ``vd = V . (b - b_A)`` of states ``V``.

    Returns
    -------
    F : array of shape V.shape[:-1] + (n_hidden,)
    vd : array of shape V.shape[:-1]
    """
    lead = tuple(V.shape[:-1])
    R = _rows(V, xp)
    F = _unrows(R @ W.T + c, lead, xp)
    vd = xp.reshape(R @ (b - b_A), lead)
    return F, vd


def _as_beta(beta, xp, like):
    """``beta`` as a float, or as an array of ``like``'s dtype and device."""
    if isinstance(beta, (int, float)):
        return float(beta)
    return xp.asarray(beta, dtype=like.dtype, device=getattr(like, "device", None))


def _col(beta, xp, like):
    """``beta`` broadcast against the hidden axis of ``like`` (float or array)."""
    beta = _as_beta(beta, xp, like)
    return beta if isinstance(beta, float) else beta[..., None]


def path_log_ratio(F, vd, lo, hi, *, xp):
    """``log p*_hi(v) - log p*_lo(v)`` from the fields of ``v`` (module docstring).

    ``lo`` and ``hi`` are floats or arrays broadcasting against ``vd``.
    """
    lo, hi = _as_beta(lo, xp, F), _as_beta(hi, xp, F)
    lo_c = lo if isinstance(lo, float) else lo[..., None]
    hi_c = hi if isinstance(hi, float) else hi[..., None]
    return (hi - lo) * vd + xp.sum(softplus(hi_c * F, xp=xp) - softplus(lo_c * F, xp=xp), axis=-1)


def ladder_log_ratios(F, vd, betas, *, xp):
    """Log-ratios of neighbouring rungs at the states of both: the stepping stones of a ladder.

    For each pair ``(t, t+1)`` of ``betas``, ``log p*_{t+1}(v) - log p*_t(v)``
    at the states of rung ``t`` (a one-step forward annealing from ``t``)
    and at those of rung ``t + 1`` (one reverse step). With equilibrium
    states at every rung, ``log mean exp`` of the first is a stochastic
    lower bound on ``log Z_{t+1} - log Z_t`` and ``-log mean exp(-.)`` of
    the second an upper bound; Bennett's ratio combines them (Bennett 1976;
    the stepping-stone estimate of Xie et al. 2011 is the forward one).

    Parameters
    ----------
    F, vd : arrays of shapes (n_temperatures, n_chains, n_hidden), (n_temperatures, n_chains)
        ``path_fields`` of the replicas.
    betas : array of shape (n_temperatures,)

    Returns
    -------
    forward, reverse : arrays of shape (n_temperatures - 1, n_chains)
    """
    lo, hi = betas[:-1][:, None], betas[1:][:, None]
    return (path_log_ratio(F[:-1, ...], vd[:-1, ...], lo, hi, xp=xp),
            path_log_ratio(F[1:, ...], vd[1:, ...], lo, hi, xp=xp))


def path_slope(F, vd, beta, *, xp):
    """``U(v) = d log p*_beta(v) / d beta = vd + sum_j F_j sigmoid(beta F_j)``."""
    return vd + xp.sum(F * sigmoid(_col(beta, xp, F) * F, xp=xp), axis=-1)


def path_transition(F, W, b, b_A, beta, rng, *, xp):
    """One Gibbs sweep ``v -> h -> v`` leaving ``p_beta`` invariant, from the fields ``F`` of ``v``.

    Parameters
    ----------
    F : array of shape (..., n_hidden)
        ``path_fields`` of the current states.
    beta : float or array broadcasting against the leading axes of ``F``
    rng : BackendRandom

    Returns
    -------
    V : array of shape (..., n_visible)
        The new visible states.
    H : array of shape (..., n_hidden)
        The hidden states they were drawn from: ``(V, H)`` is a joint sample.
    """
    lead = tuple(F.shape[:-1])
    bc = _col(beta, xp, F)
    H = rng.bernoulli_logits(bc * F)
    field = _unrows(_rows(H, xp) @ W, lead, xp) + b
    return rng.bernoulli_logits(bc * field + (1.0 - bc) * b_A), H


def path_length_profile(W, b, c, b_A, rng, *, xp, n_betas=200, n_chains=50):
    """Standard deviation of the path's slope along a short forward annealing run.

    A pilot of forward AIS (``n_chains`` chains from exact base samples
    through ``n_betas`` equally spaced points) records ``sigma(beta)``, the
    spread of ``U(v)`` over the chains at each point. Where the chains lag
    behind ``p_beta`` (the model's modes freezing) this underestimates
    ``sigma``; a ladder built from it is a starting point whose swap rates
    are then measured, not assumed.

    Returns
    -------
    betas : ndarray of shape (n_betas,)
    sigma : ndarray of shape (n_betas,)
        NumPy float64, ``sigma[0]`` that of the exact base samples.
    """
    betas = np.linspace(0.0, 1.0, int(n_betas))
    p = sigmoid(b_A, xp=xp)
    V = rng.bernoulli(xp.broadcast_to(p, (int(n_chains), p.shape[0])))
    sigma = []
    for k, beta in enumerate(betas):
        F, vd = path_fields(V, W, b, c, b_A, xp=xp)
        sigma.append(xp.std(path_slope(F, vd, float(beta), xp=xp)))
        if k < len(betas) - 1:
            V, _ = path_transition(F, W, b, b_A, float(betas[k + 1]), rng, xp=xp)
    # One host transfer for the whole profile, not one per point.
    return betas, np.asarray(to_numpy(xp.stack(sigma)), dtype=np.float64)


def length_ladder(betas, sigma, n_temperatures=None, *, spacing=PATH_SPACING):
    """Rungs from 0 to 1 equally spaced in thermodynamic length.

    Parameters
    ----------
    betas, sigma : ndarray of shape (n,)
        A profile of the path (:func:`path_length_profile`).
    n_temperatures : int or None
        Number of rungs; None takes ``ceil(L / spacing) + 1`` (at least 3).
    spacing : float
        Target length between neighbours when ``n_temperatures`` is None.

    Returns
    -------
    ladder : tuple of float
        Strictly increasing, ``0.0`` first and ``1.0`` last.
    length : float
        ``L``, the trapezoidal integral of ``sigma``.
    """
    betas = np.asarray(betas, dtype=np.float64)
    sigma = np.maximum(np.asarray(sigma, dtype=np.float64), 1e-12)
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (sigma[1:] + sigma[:-1]) * np.diff(betas))])
    length = float(cumulative[-1])
    if n_temperatures is None:
        n_temperatures = max(3, int(math.ceil(length / spacing)) + 1)
    ladder = np.interp(np.linspace(0.0, length, int(n_temperatures)), cumulative, betas)
    ladder[0], ladder[-1] = 0.0, 1.0
    # Strictly increasing even where sigma is tiny (interp may repeat points).
    ladder = np.maximum.accumulate(ladder)
    for i in range(1, len(ladder)):
        if ladder[i] <= ladder[i - 1]:
            ladder[i] = np.nextafter(ladder[i - 1], 2.0)
    ladder[-1] = 1.0
    return tuple(float(x) for x in ladder), length
