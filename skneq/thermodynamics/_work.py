"""Works along annealing (Salazar 2017, arXiv:1704.08724, Sec. 5): exact samples of
small-layer RBMs, forward and reverse AIS works, Jarzynski, Crooks and Bennett estimates of
the free-energy difference.

The annealing itself is ``skneq.rbm._annealing`` (one implementation, shared
with ``RBM.log_partition``); ``AnnealingWorks`` is defined there."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _backend
from .._base import STREAMS
from .._validation import check_array_xp, check_int, check_option, check_unit_interval, host_float64
from ..rbm._mixture import resolve_mixture_base
from ..rbm._annealing import (BASES, AnnealingWorks, base_visible_bias, check_refit_base, check_rounds, check_schedule,
                              run_annealing)
from ..rbm._kernels import MAX_EXACT_UNITS, check_enumerable, exact_samples
from ..rbm._likelihood import check_model_samples
from ._params import _model_beta, rbm_parameters

__all__ = ["exact_model_samples", "AnnealingWorks", "annealing_works", "CrooksFit", "crooks_free_energy"]


def exact_model_samples(model, n_samples, *, beta=None, random_state=None, max_units=MAX_EXACT_UNITS,
                        backend=None):
    """Independent exact samples ``(v, h) ~ p_beta`` of an RBM with one small layer.

    The marginal of the smaller layer is enumerated (``2**min(n_visible,
    n_hidden)`` states) and sampled by inverting its cumulative
    distribution; the other layer follows from its factorized conditional.
    These samples are the unbiased reference for reverse annealing and
    equilibrium ensembles (no Gibbs chain, no burn-in).

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
    n_samples : int
    beta : float or None
        Inverse temperature; None uses the estimator's ``beta`` (1 for tuples).
    random_state : int, RandomState or None
    max_units : int, default=MAX_EXACT_UNITS (20)
        Largest size of the enumerated layer.
    backend : None or str

    Returns
    -------
    V : array of shape (n_samples, n_visible)
    H : array of shape (n_samples, n_hidden)
    """
    beta = _model_beta(model, beta)
    max_units = check_int(max_units, "max_units", low=1)
    W, b, c, bk = rbm_parameters(model, backend=backend)
    xp = bk.xp
    check_enumerable(W.shape, max_units, "use Gibbs sampling (the estimator's sample method) instead")
    n_samples = check_int(n_samples, "n_samples", low=1)
    rng = _backend.make_rng(bk, random_state)
    return exact_samples(W, b, c, n_samples, rng, beta, xp=xp)


def annealing_works(model, direction="both", *, n_betas=10000, n_chains=100, n_steps=200, n_temperatures=None,
                    base=None, X=None, model_samples=None, schedule=None, beta=None, tol=None, max_rounds=1,
                    refit_base=None, random_state=None, backend=None):
    """Works of forward and reverse annealed importance sampling (Salazar 2017, Sec. 5).

    AIS is a nonequilibrium process driven from a base model A
    (independent visible units with bias ``b_A``, free hidden units) to the
    RBM B; its work obeys Jarzynski's equality. Reverse AIS starts from
    samples of B and anneals back to A. This is the code of
    :meth:`skneq.RBM.annealing_works` (same defaults, argument names and
    result): a fitted RBM is asked for its works directly; explicit
    parameters run the same kernel (``skneq.rbm._annealing.run_annealing``).

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
        A fitted RBM, or parameters with ``W`` of shape (n_hidden, n_visible).
    direction : {"both", "forward", "reverse"}, default="both"
    n_betas : int, default=10000
        Temperatures of the schedule (``skneq.rbm._annealing.default_betas``).
    n_chains : int, default=100
        Annealing runs per direction.
    n_steps : int, default=200
        Parallel-tempering sweeps drawing the reverse runs' starting states
        when the smaller layer is too large for exact samples
        (``MAX_EXACT_UNITS``): equilibrium samples along the annealing path,
        for an RBM and for tuples alike.
    n_temperatures : int or None, default=None
        Rungs of that parallel-tempering ladder; None measures the ladder on
        the model (equally spaced in thermodynamic length, ``skneq.rbm._path``).
    base : {"data_mean", "visible_bias", "uniform", "mixture"}, array, FactorizedMixture or None
        Base model; None uses the data mean when one is known (``X``, or the
        RBM's training mean), else ``"uniform"`` (``b_A = 0``);
        ``"mixture"`` fits a mixture of factorised distributions on ``X``
        (as :meth:`skneq.RBM.annealing_works`).
    X : array of shape (n_samples, n_visible) or None
        Data whose mean sets the ``"data_mean"`` base, or on which the
        ``"mixture"`` base is fitted.
    model_samples : array of shape (n, n_visible) or None
        Binary starting states of the reverse runs.
    schedule : array of shape (n,) or None
        The path's inverse temperatures from 0 to 1; overrides ``n_betas``.
    beta : float or None
        Inverse temperature of the target model; None uses the estimator's
        ``beta`` (1 for tuples).
    tol, max_rounds : float or None, int
        Independent rounds, pooled, stopped early once the checks pass at
        ``tol`` nats (as :meth:`skneq.RBM.annealing_works`).
    refit_base : int or None, default=None
        Components of a mixture fitted, in every round, on half of the
        reverse starts and used as the base of that round's forward and
        reverse runs (as :meth:`skneq.RBM.annealing_works`).
    random_state : int, RandomState or None
    backend : None or str
        Compute backend for tuples (an RBM uses its fitted one).

    Returns
    -------
    AnnealingWorks
    """
    check_option(direction, "direction", ("forward", "reverse", "both"))
    _backend.check_backend(backend)
    if not isinstance(model, (tuple, list)) and hasattr(model, "annealing_works"):
        # The estimator's protocol: the same code, on its fitted backend.
        return model.annealing_works(direction, n_betas=n_betas, n_chains=n_chains, n_steps=n_steps,
                                     n_temperatures=n_temperatures, base=base, X=X, model_samples=model_samples,
                                     schedule=schedule, beta=beta, tol=tol, max_rounds=max_rounds,
                                     refit_base=refit_base, random_state=random_state)
    beta = _model_beta(model, beta)
    tol, max_rounds = check_rounds(tol, max_rounds)
    n_betas = check_int(n_betas, "n_betas", low=3)
    n_chains = check_int(n_chains, "n_chains", low=1)
    n_steps = check_int(n_steps, "n_steps", low=0)
    if n_temperatures is not None:
        n_temperatures = check_int(n_temperatures, "n_temperatures", low=2)
    W, b, c, bk = rbm_parameters(model, backend=backend)
    xp = bk.xp
    n_visible = W.shape[1]
    if X is not None:
        X = check_array_xp(X, name="X")
        if X.shape[1] != n_visible:
            raise ValueError(f"X has {X.shape[1]} features, the model {n_visible} visible units")
        X = _backend.to_device(X, xp, bk.device, dtype=W.dtype)
        check_unit_interval(X, xp, what="annealing_works")
    if base is None:
        base = "data_mean" if X is not None else "uniform"
    mixture = resolve_mixture_base(base, X, n_visible, xp=xp, device=bk.device, dtype=W.dtype)
    if mixture is not None:
        b_A = mixture
    elif isinstance(base, str):
        check_option(base, "base", BASES)
        if base == "data_mean":
            if X is None:
                raise ValueError("base='data_mean' needs X (or a fitted RBM, which knows its training mean)")
            b_A = base_visible_bias(X, xp=xp)
        elif base == "visible_bias":
            b_A = beta * b
        else:
            b_A = base_visible_bias(None, n_visible, xp=xp, dtype=W.dtype, device=bk.device)
    else:
        b_A = _backend.to_device(np.asarray(_backend.to_numpy(base), dtype=np.float64), xp, bk.device, dtype=W.dtype)
        if tuple(b_A.shape) != (n_visible,) or not bool(xp.all(xp.isfinite(b_A))):
            raise ValueError(f"base must be one of {BASES} or a finite array of shape ({n_visible},)")
    if model_samples is not None:
        model_samples = check_model_samples(model_samples, n_visible, bk)
    if schedule is not None:
        schedule = check_schedule(schedule)
    refit_base = check_refit_base(refit_base, direction, model_samples)
    rng = _backend.make_rng(bk, random_state, STREAMS["log_partition"])
    return run_annealing(W, b, c, b_A, direction=direction, n_betas=n_betas, n_chains=n_chains, rng=rng, xp=xp,
                         n_steps=n_steps, model_samples=model_samples, beta=beta, schedule=schedule,
                         n_temperatures=n_temperatures, tol=tol, max_rounds=max_rounds, refit_base=refit_base)


@dataclass
class CrooksFit:
    """Crooks' relation ``ln P_F(W) / P_R(-W) = W - ΔF`` checked on histograms.

    Attributes
    ----------
    delta_free_energy, stderr : float
        ``ΔF`` where the two densities cross (weighted mean of
        ``W - ln P_F(W)/P_R(-W)`` over the bins), with its standard error.
    slope, slope_stderr : float
        Free least-squares slope of the log ratio against ``W`` (Crooks: 1).
    w, log_ratio, log_ratio_stderr : ndarray of shape (n_bins_used,)
    """

    delta_free_energy: float
    stderr: float
    slope: float
    slope_stderr: float
    w: np.ndarray
    log_ratio: np.ndarray
    log_ratio_stderr: np.ndarray


def crooks_free_energy(forward, reverse=None, *, bins=20, min_count=10):
    """Locate the crossing of ``P_F(W)`` and ``P_R(-W)`` (Crooks; Salazar 2017, Sec. 3.1).

    Parameters
    ----------
    forward, reverse : array-like of shape (n_F,), (n_R,) or AnnealingWorks
        Works of the forward and reverse processes (pass an
        ``AnnealingWorks`` as ``forward`` and leave ``reverse`` None).
    bins : int
        Equal bins spanning the overlap of ``W_F`` and ``-W_R``.
    min_count : int
        Bins need this many samples of each process.

    Returns
    -------
    CrooksFit
    """
    bins = check_int(bins, "bins", low=1)
    min_count = check_int(min_count, "min_count", low=1)
    if isinstance(forward, AnnealingWorks):
        forward._need("forward")
        forward._need("reverse")
        forward, reverse = forward.forward, forward.reverse
    w_f = host_float64(forward, "forward works")
    w_r = -host_float64(reverse, "reverse works")
    for name, a in (("forward", w_f), ("reverse", w_r)):
        if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)):
            raise ValueError(f"{name} works must be a non-empty finite 1-d array")
    lo, hi = max(w_f.min(), w_r.min()), min(w_f.max(), w_r.max())
    if not hi > lo:
        raise ValueError(
            "The forward and reversed work distributions do not overlap, so their crossing cannot "
            "be located; use more chains or a slower schedule (more betas)."
        )
    edges = np.linspace(lo, hi, int(bins) + 1)
    n_f, _ = np.histogram(w_f, edges)
    n_r, _ = np.histogram(w_r, edges)
    keep = (n_f >= min_count) & (n_r >= min_count)
    if np.count_nonzero(keep) < 2:
        raise ValueError(f"Fewer than 2 bins hold min_count={min_count} works of both processes; "
                         "use more chains or fewer bins.")
    centers = 0.5 * (edges[:-1] + edges[1:])[keep]
    n_f, n_r = n_f[keep].astype(np.float64), n_r[keep].astype(np.float64)
    log_ratio = np.log(n_f / w_f.size) - np.log(n_r / w_r.size)
    var = 1.0 / n_f + 1.0 / n_r
    weights = 1.0 / var
    offsets = centers - log_ratio
    delta_f = float(np.sum(weights * offsets) / np.sum(weights))
    stderr = float(1.0 / math.sqrt(np.sum(weights)))
    w_mean = np.sum(weights * centers) / np.sum(weights)
    sxx = np.sum(weights * (centers - w_mean) ** 2)
    r_mean = np.sum(weights * log_ratio) / np.sum(weights)
    slope = float(np.sum(weights * (centers - w_mean) * (log_ratio - r_mean)) / sxx)
    return CrooksFit(delta_f, stderr, slope, float(1.0 / math.sqrt(sxx)), centers, log_ratio, np.sqrt(var))
