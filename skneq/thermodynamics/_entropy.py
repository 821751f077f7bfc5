"""Shannon entropy of an RBM and the second law along a process (Salazar 2017, arXiv:1704.08724,
Sec. 3.1, eqs. 5-13 of its reproduction)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._math import binary_states, logsumexp, sigmoid, softplus
from .._validation import check_int, check_real, host_float64
from ._params import _model_beta, rbm_parameters

__all__ = ["EntropyTerms", "shannon_entropy", "SecondLaw", "second_law"]

_MAX_ENUMERATED = 20  # units of the smaller layer: 2^20 states in chunks
_CHUNK = 4096


@dataclass
class EntropyTerms:
    """``S = log Z + beta <E>`` (eq. 8) and its parts, over joint states ``s = (v, h)``.

    Attributes
    ----------
    entropy : float
        Shannon entropy ``S = -sum_s p(s) log p(s)`` (nats).
    log_partition : float
        ``log Z(beta)``.
    mean_energy : float
        ``<E>`` under ``p_beta``.
    beta : float
    """

    entropy: float
    log_partition: float
    mean_energy: float
    beta: float


def shannon_entropy(model, *, beta=None, max_units=_MAX_ENUMERATED):
    """Shannon entropy of the joint law ``p_beta(v, h)`` as ``S = log Z + beta <E>`` (eq. 8), exactly.

    The smaller layer is enumerated (``2^min(n_visible, n_hidden)`` states,
    in chunks); the other is summed analytically, including its share of
    the energy: for enumerated ``h``,
    ``<E | h> = -c.h - sum_i (b + W^T h)_i sigmoid(beta (b + W^T h)_i)``.

    Parameters
    ----------
    model : RBM or tuple (W, visible_bias, hidden_bias)
    beta : float or None
        None uses the estimator's ``beta`` (1 for tuples).
    max_units : int, default=20
        Largest size of the enumerated layer.

    Returns
    -------
    EntropyTerms
    """
    beta = _model_beta(model, beta)
    max_units = check_int(max_units, "max_units")
    W, b, c, bk = rbm_parameters(model)
    xp = bk.xp
    n_hidden, n_visible = W.shape
    if min(n_hidden, n_visible) > max_units:
        raise ValueError(
            f"shannon_entropy enumerates 2^{min(n_hidden, n_visible)} states of the smaller layer "
            f"(> max_units={max_units})."
        )
    # Enumerate the smaller layer s; the other layer t has field bias_t + s @ coupling.
    if n_hidden <= n_visible:
        n_enum, coupling, bias_s, bias_t = n_hidden, W, c, b
    else:
        n_enum, coupling, bias_s, bias_t = n_visible, xp.matrix_transpose(W), b, c
    log_weights, energies = [], []
    for start in range(0, 2**n_enum, _CHUNK):  # chunks of states, bounded memory
        S = binary_states(n_enum, start, min(start + _CHUNK, 2**n_enum), xp=xp, device=bk.device, dtype=W.dtype)
        field = bias_t + xp.matmul(S, coupling)
        own = xp.matmul(S, bias_s)
        log_weights.append(beta * own + xp.sum(softplus(beta * field, xp=xp), axis=1))
        energies.append(-own - xp.sum(field * sigmoid(beta * field, xp=xp), axis=1))
    log_w = xp.concat(log_weights)
    energy_given = xp.concat(energies)
    log_Z = logsumexp(log_w, xp=xp)
    mean_energy = xp.sum(xp.exp(log_w - log_Z) * energy_given)
    return EntropyTerms(float(log_Z + beta * mean_energy), float(log_Z), float(mean_energy), beta)


@dataclass
class SecondLaw:
    """``beta <W> - beta Delta F >= 0`` (eq. 13) from sampled works.

    Attributes
    ----------
    dissipated_work : float
        ``mean(beta W) - beta Delta F``.
    stderr : float
        Standard error of the mean work.
    holds : bool
        ``dissipated_work >= -n_sigma * stderr``: not refuted by the sample.
    n_samples : int
    """

    dissipated_work: float
    stderr: float
    holds: bool
    n_samples: int


def second_law(works, delta_free_energy, *, n_sigma=3.0):
    """Check the second law ``beta <W> - beta Delta F >= 0`` on sampled works (eq. 13).

    Parameters
    ----------
    works : array-like of shape (n_samples,)
        Works in units of ``k T`` (``beta W``), e.g. ``annealing_works(...).forward``.
    delta_free_energy : float
        ``beta Delta F`` of the same process (e.g. ``AnnealingWorks.delta_free_energy()``
        or an exact value).
    n_sigma : float, default=3.0
        Tolerance, in standard errors, before a negative mean counts as a violation.

    Returns
    -------
    SecondLaw
    """
    works = host_float64(works, "works")
    if works.ndim != 1 or works.size < 2:
        raise ValueError(f"works must be a 1-d array of at least 2 samples, got shape {works.shape}")
    if not np.all(np.isfinite(works)):
        raise ValueError("works contains NaN or infinity")
    delta_free_energy = check_real(delta_free_energy, "delta_free_energy")
    n_sigma = check_real(n_sigma, "n_sigma", low=0.0)
    dissipated = float(works.mean() - delta_free_energy)
    stderr = float(works.std(ddof=1) / math.sqrt(works.size))
    return SecondLaw(dissipated, stderr, dissipated >= -n_sigma * stderr, int(works.size))
