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
temperature.

**Mixture base.** The base may instead be a :class:`FactorizedMixture` of
``K`` factorised Bernoulli distributions (weights ``pi_k``, logits
``theta_k``, normalised log-densities ``s_k(v) = v . theta_k - sum_i
softplus(theta_ki)``). The path then runs on ``(v, h, k)``,
``f_beta(v, h, k) = pi_k exp((1 - beta) s_k(v)) exp(-beta E(v, h))``, and
every kernel works with its marginal, ``h`` and ``k`` summed out
(Rao-Blackwellised weights, swap ratios and stepping stones):

.. math:: \\log p^*_\\beta(v) = \\mathrm{LSE}_k\\big(\\log \\pi_k + (1-\\beta)\\, s_k(v)\\big)
          + \\beta\\, b \\cdot v + \\sum_j \\mathrm{softplus}(\\beta (Wv + c)_j),

``log Z_0 = n_hidden log 2 + log sum_k pi_k`` and ``log Z_1 = log Z_B``. The
Gibbs sweep draws ``h | v`` as before, ``k | v ~ softmax_k(log pi_k + (1 -
beta) s_k(v))`` (``h`` and ``k`` are independent given ``v``) and
``v | h, k ~ Bernoulli(sigmoid(beta (W^T h + b) + (1 - beta) theta_k))``. A
single-vector base is the case ``K = 1`` up to the constant ``sum_i
softplus(b_A,i)`` in ``log Z_0`` (which the kernels keep on its own code
path, bit for bit).

Everything the path needs from a state ``v`` is its hidden fields
``F = Wv + c`` and its base terms ``vd``: ``v . (b - b_A)`` for a vector
base, shape ``lead``; ``[v . b, s_1(v), ..., s_K(v)]`` for a mixture, shape
``lead + (1 + K,)``; one product either way. With them

* the log-ratio of two points of the path, ``log p*_hi(v) - log p*_lo(v)``,
  is the AIS weight increment and the Metropolis ratio of a swap between
  neighbouring replicas (the swap is made on the visible marginal, the
  hidden layer summed out, which accepts more often than the joint energy);
* the slope ``U(v) = d log p*_beta(v) / d beta = vd + sum_j F_j
  sigmoid(beta F_j)`` (mixture: ``v . b - E_{k | v, beta}[s_k(v)] + ...``)
  has a standard deviation ``sigma(beta)`` over
  ``p_beta`` whose integral, the thermodynamic length
  ``L = int_0^1 sigma(beta) d beta``, counts how many neighbouring
  distributions the path needs: two points ``d beta`` apart overlap with a
  swap rate of about ``2 Phi(-sigma d beta / sqrt 2)`` (Gaussian
  log-ratios), so rungs equally spaced in length accept swaps equally often.

States may carry leading axes: ``V`` of shape (n_chains, n_visible) or
(n_temperatures, n_chains, n_visible), with ``beta`` a float or an array
broadcasting against the leading axes (e.g. shape (n_temperatures, 1)).
The kernels that read ``vd`` take ``base=`` (the path's base): with a
mixture they need its log weights; with ``None`` or a vector they keep the
single-vector formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import to_device, to_numpy
from .._math import logsumexp, sigmoid, softplus

__all__ = ["PATH_SPACING", "FactorizedMixture", "is_mixture", "base_astype", "base_sample", "path_fields",
           "path_log_ratio", "path_slope", "path_transition", "path_length_profile", "length_ladder",
           "ladder_log_ratios"]

#: Default distance in thermodynamic length between neighbouring rungs of a
#: measured ladder: a swap rate of about 2 Phi(-0.75 / sqrt 2) = 0.60.
PATH_SPACING = 0.75


@dataclass(frozen=True)
class FactorizedMixture:
    """A mixture of factorised Bernoulli distributions: a base model of the annealing path.

    ``p_A(v) = sum_k pi_k prod_i mu_ki^v_i (1 - mu_ki)^(1 - v_i)`` with
    ``mu_k = sigmoid(theta_k)``; hidden units are free at the base. Fitted by
    :func:`skneq.rbm.fit_bernoulli_mixture`; accepted by the path's kernels
    wherever a base bias ``b_A`` is (module docstring).

    Attributes
    ----------
    log_weights : array of shape (n_components,)
        ``log pi_k``. The path's end point is ``(sum_k pi_k) Z_B``, so the
        weights must be normalised (``log sum_k pi_k = 0``), as a fitted
        mixture's are; :meth:`normalized` makes them so, and the annealing
        driver and the estimator's ``base=`` apply it.
    logits : array of shape (n_components, n_features)
        ``theta_k = logit(mu_k)``, finite.
    """

    log_weights: Any
    logits: Any

    @property
    def n_components(self):
        return int(self.logits.shape[0])

    @property
    def n_features(self):
        return int(self.logits.shape[1])

    def to(self, xp, device, dtype):
        """The same mixture as arrays of ``xp`` on ``device`` with ``dtype``."""
        return FactorizedMixture(to_device(self.log_weights, xp, device, dtype=dtype),
                                 to_device(self.logits, xp, device, dtype=dtype))

    def to_numpy(self):
        """The same mixture as float64 NumPy arrays."""
        return FactorizedMixture(np.asarray(to_numpy(self.log_weights), dtype=np.float64),
                                 np.asarray(to_numpy(self.logits), dtype=np.float64))

    def normalized(self, *, xp):
        """The same mixture with ``log_weights`` shifted to ``log sum_k pi_k = 0``."""
        return FactorizedMixture(self.log_weights - logsumexp(self.log_weights, xp=xp), self.logits)

    def log_normalizers(self, *, xp):
        """``sum_i softplus(theta_ki)``, shape (n_components,): ``s_k(v) = v @ theta_k - this``."""
        return xp.sum(softplus(self.logits, xp=xp), axis=-1)

    def log_density(self, V, *, xp):
        """``log p_A(v) = LSE_k(log pi_k + s_k(v))`` of rows ``V`` (n, n_features), shape (n,)."""
        S = V @ self.logits.T - self.log_normalizers(xp=xp)
        return logsumexp(self.log_weights + S, axis=-1, xp=xp)


def is_mixture(base):
    """Whether the path's base is a :class:`FactorizedMixture` (else a bias vector)."""
    return isinstance(base, FactorizedMixture)


def base_astype(b_A, dtype, *, xp):
    """The base ``b_A`` (vector or mixture) cast to ``dtype``."""
    if is_mixture(b_A):
        return FactorizedMixture(xp.astype(b_A.log_weights, dtype), xp.astype(b_A.logits, dtype))
    return xp.astype(b_A, dtype)


def _component_logits(base, k, lead, xp):
    """``theta_k`` of every state's component ``k`` (shape ``lead``), shape lead + (n_visible,)."""
    theta = xp.take(base.logits, xp.reshape(k, (-1,)), axis=0)
    return xp.reshape(theta, tuple(lead) + (theta.shape[-1],))


def base_sample(b_A, lead, rng, *, xp):
    """Exact samples of the base model (visible units), shape ``lead + (n_visible,)``.

    A vector base draws ``Bernoulli(sigmoid(b_A))``; a mixture first draws
    each state's component from ``pi`` (no draw when ``K = 1``, so a
    one-component mixture uses the same random numbers as its vector).
    """
    lead = tuple(int(n) for n in lead)
    if is_mixture(b_A) and b_A.n_components == 1:
        b_A = b_A.logits[0, ...]
    if not is_mixture(b_A):
        p = sigmoid(b_A, xp=xp)
        return rng.bernoulli(xp.broadcast_to(p, lead + (p.shape[0],)))
    n = math.prod(lead)
    k = rng.categorical(xp.broadcast_to(b_A.log_weights, (n, b_A.n_components)), axis=1)
    return rng.bernoulli(sigmoid(_component_logits(b_A, k, lead, xp), xp=xp))


def _rows(V, xp):
    """``V`` as a 2-d array of rows (one product for all leading axes)."""
    return xp.reshape(V, (-1, V.shape[-1])) if V.ndim != 2 else V


def _unrows(M, lead, xp):
    return xp.reshape(M, tuple(lead) + (M.shape[-1],)) if len(lead) != 1 else M


def path_fields(V, W, b, c, b_A, *, xp):
    """Hidden fields ``F = V W^T + c`` and base terms ``vd`` of states ``V``.

    Parameters
    ----------
    b_A : array of shape (n_visible,) or FactorizedMixture
        The path's base.

    Returns
    -------
    F : array of shape V.shape[:-1] + (n_hidden,)
    vd : array of shape V.shape[:-1] (vector base: ``V . (b - b_A)``) or
        V.shape[:-1] + (1 + K,) (mixture: ``[V . b, s_1(V), ..., s_K(V)]``)
    """
    lead = tuple(V.shape[:-1])
    R = _rows(V, xp)
    F = _unrows(R @ W.T + c, lead, xp)
    if not is_mixture(b_A):
        vd = xp.reshape(R @ (b - b_A), lead)
        return F, vd
    # v . b and the K log-densities in one product with [b, theta_1, ..., theta_K].
    M = xp.concat([b[:, None], b_A.logits.T], axis=1)
    zero = xp.zeros((1,), dtype=M.dtype, device=getattr(M, "device", None))
    offset = xp.concat([zero, b_A.log_normalizers(xp=xp)])
    return F, _unrows(R @ M - offset, lead, xp)


def _mixture_log_base(vd, beta_c, base, xp):
    """``LSE_k(log pi_k + (1 - beta) s_k(v))`` from a mixture's base terms ``vd``."""
    return logsumexp(base.log_weights + (1.0 - beta_c) * vd[..., 1:], axis=-1, xp=xp)


def _as_beta(beta, xp, like):
    """``beta`` as a float, or as an array of ``like``'s dtype and device."""
    if isinstance(beta, (int, float)):
        return float(beta)
    return xp.asarray(beta, dtype=like.dtype, device=getattr(like, "device", None))


def _col(beta, xp, like):
    """``beta`` broadcast against the hidden axis of ``like`` (float or array)."""
    beta = _as_beta(beta, xp, like)
    return beta if isinstance(beta, float) else beta[..., None]


def path_log_ratio(F, vd, lo, hi, *, xp, base=None):
    """``log p*_hi(v) - log p*_lo(v)`` from the fields of ``v`` (module docstring).

    ``lo`` and ``hi`` are floats or arrays broadcasting against the leading
    axes of ``F``. ``base``: the path's base when it is a
    :class:`FactorizedMixture` (its log weights enter); ``None`` or a vector
    for a single-vector base.
    """
    lo, hi = _as_beta(lo, xp, F), _as_beta(hi, xp, F)
    lo_c = lo if isinstance(lo, float) else lo[..., None]
    hi_c = hi if isinstance(hi, float) else hi[..., None]
    if not is_mixture(base):
        return (hi - lo) * vd + xp.sum(softplus(hi_c * F, xp=xp) - softplus(lo_c * F, xp=xp), axis=-1)
    linear = (hi - lo) * vd[..., 0] + (_mixture_log_base(vd, hi_c, base, xp) - _mixture_log_base(vd, lo_c, base, xp))
    return linear + xp.sum(softplus(hi_c * F, xp=xp) - softplus(lo_c * F, xp=xp), axis=-1)


def ladder_log_ratios(F, vd, betas, *, xp, base=None):
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
    F, vd : arrays of shapes (n_temperatures, n_chains, n_hidden), (n_temperatures, n_chains[, 1 + K])
        ``path_fields`` of the replicas.
    betas : array of shape (n_temperatures,)
    base : array, FactorizedMixture or None
        The path's base (as :func:`path_log_ratio`).

    Returns
    -------
    forward, reverse : arrays of shape (n_temperatures - 1, n_chains)
    """
    lo, hi = betas[:-1][:, None], betas[1:][:, None]
    return (path_log_ratio(F[:-1, ...], vd[:-1, ...], lo, hi, xp=xp, base=base),
            path_log_ratio(F[1:, ...], vd[1:, ...], lo, hi, xp=xp, base=base))


def path_slope(F, vd, beta, *, xp, base=None):
    """``U(v) = d log p*_beta(v) / d beta = vd + sum_j F_j sigmoid(beta F_j)``.

    With a mixture ``base``: ``v . b - sum_k r_k(v) s_k(v) + sum_j F_j
    sigmoid(beta F_j)``, ``r_k`` the posterior of the component at ``beta``.
    """
    bc = _col(beta, xp, F)
    hidden = xp.sum(F * sigmoid(bc * F, xp=xp), axis=-1)
    if not is_mixture(base):
        return vd + hidden
    S = vd[..., 1:]
    logits = base.log_weights + (1.0 - bc) * S
    r = xp.exp(logits - logsumexp(logits, axis=-1, keepdims=True, xp=xp))
    return vd[..., 0] - xp.sum(r * S, axis=-1) + hidden


def path_transition(F, W, b, b_A, beta, rng, *, xp, vd=None):
    """One Gibbs sweep ``v -> h -> v`` leaving ``p_beta`` invariant, from the fields ``F`` of ``v``.

    Parameters
    ----------
    F : array of shape (..., n_hidden)
        ``path_fields`` of the current states.
    b_A : array of shape (n_visible,) or FactorizedMixture
        The path's base.
    beta : float or array broadcasting against the leading axes of ``F``
    rng : BackendRandom
    vd : array or None
        The base terms of ``path_fields``; needed with a mixture base, whose
        component ``k`` is drawn from them (``k | v``, module docstring;
        no draw when ``K = 1``).

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
    if not is_mixture(b_A):
        return rng.bernoulli_logits(bc * field + (1.0 - bc) * b_A), H
    if b_A.n_components == 1:
        theta = b_A.logits[0, ...]
    else:
        if vd is None:
            raise ValueError("path_transition with a mixture base needs vd (the base terms of path_fields)")
        # k and h are independent given v: k from its posterior at beta.
        k = rng.categorical(b_A.log_weights + (1.0 - bc) * vd[..., 1:], axis=-1)
        theta = _component_logits(b_A, k, lead, xp)
    return rng.bernoulli_logits(bc * field + (1.0 - bc) * theta), H


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
    V = base_sample(b_A, (int(n_chains),), rng, xp=xp)
    sigma = []
    for k, beta in enumerate(betas):
        F, vd = path_fields(V, W, b, c, b_A, xp=xp)
        sigma.append(xp.std(path_slope(F, vd, float(beta), xp=xp, base=b_A)))
        if k < len(betas) - 1:
            V, _ = path_transition(F, W, b, b_A, float(betas[k + 1]), rng, xp=xp, vd=vd)
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
