"""Estimators of ``log Z`` from the works of annealing (forward, reverse,
Bennett) and from the stepping stones of a parallel-tempering ladder.

Pure functions of the works (or log-ratios) a run produced; the runs
themselves are :mod:`skneq.rbm._annealing` and :mod:`skneq.rbm._ladder`.
All estimators are re-exported by :mod:`skneq.rbm._annealing`.
"""

from __future__ import annotations

import math

import numpy as np

from .._math import logsumexp
from .._validation import host_float64

__all__ = ["log_mean_exp", "jarzynski_log_partition", "reverse_log_partition", "bennett_log_partition",
           "stepping_stone_log_partition"]


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


def stepping_stone_log_partition(log_Z_A, forward_ratios, reverse_ratios, n_groups=1):
    """``log Z_B`` from equilibrium states at every rung of a ladder from A to B.

    Parameters
    ----------
    log_Z_A : float
    forward_ratios, reverse_ratios : arrays of shape (n_frames, n_temperatures - 1, n_chains)
        ``skneq.rbm._path.ladder_log_ratios`` of parallel-tempering sweeps.
    n_groups : int
        Also estimate from ``n_groups`` disjoint groups of chains. The chains
        of parallel tempering along one ladder never exchange states with
        each other (swaps are between the rungs of one chain), so the groups
        are independent runs and their spread is an error bar that includes
        what the correlated frames of one chain hide.

    Returns
    -------
    lower, upper, bennett : float
        Sums over neighbouring pairs of ``log mean exp(forward)`` (a
        stochastic lower bound when every rung is at equilibrium), of
        ``-log mean exp(-reverse)`` (an upper bound) and of Bennett's
        estimate of each pair. An upper below the lower beyond the noise
        means the rungs were not at equilibrium.
    groups : list of float
        Only when ``n_groups > 1``: Bennett's estimate of each group
        (``min(n_groups, n_chains)`` groups).
    """
    fw = host_float64(forward_ratios, "forward_ratios")
    rv = host_float64(reverse_ratios, "reverse_ratios")

    def estimate(f_all, r_all):
        lower = upper = bennett = float(log_Z_A)
        for t in range(f_all.shape[1]):
            f, r = f_all[:, t, :].ravel(), r_all[:, t, :].ravel()
            lower += float(log_mean_exp(f, xp=np))
            upper -= float(log_mean_exp(-r, xp=np))
            # One pair is a one-step annealing: forward works -f, reverse works r.
            bennett += bennett_log_partition(0.0, -f, r)
        return lower, upper, bennett

    out = estimate(fw, rv)
    if n_groups <= 1:
        return out
    # At most one group per chain (a run with fewer chains has fewer groups).
    cols = np.array_split(np.arange(fw.shape[2]), min(int(n_groups), fw.shape[2]))
    return out + ([estimate(fw[..., g], rv[..., g])[2] for g in cols],)
