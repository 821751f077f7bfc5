"""Works along annealing (seed 004 Sec. 5): exact samples of small-layer RBMs, forward and
reverse AIS works, Jarzynski, Crooks and Bennett estimates of the free-energy difference."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _backend
from ..rbm._annealing import (
    ais_works,
    base_log_partition,
    base_visible_bias,
    bennett_log_partition,
    default_betas,
    jarzynski_log_partition,
    reverse_ais_works,
    reverse_log_partition,
)
from ..rbm._kernels import exact_samples, gibbs_vhv
from ._params import _model_beta, rbm_parameters

__all__ = ["exact_model_samples", "AnnealingWorks", "annealing_works", "CrooksFit", "crooks_free_energy"]


def exact_model_samples(model, n_samples, *, beta=None, random_state=None, max_units=20, backend=None):
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
    max_units : int
        Largest size of the enumerated layer.
    backend : None or str

    Returns
    -------
    V : array of shape (n_samples, n_visible)
    H : array of shape (n_samples, n_hidden)
    """
    beta = _model_beta(model, beta)
    W, b, c, bk = rbm_parameters(model, backend=backend)
    xp = bk.xp
    n_hidden, n_visible = W.shape
    n_enum = min(n_hidden, n_visible)
    if n_enum > max_units:
        raise ValueError(
            f"Exact sampling enumerates 2^{n_enum} states (min(n_visible, n_hidden) > max_units={max_units}); "
            "use Gibbs sampling (the estimator's sample method) instead."
        )
    n_samples = int(n_samples)
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}")
    rng = _backend.make_rng(bk, random_state)
    return exact_samples(W, b, c, n_samples, rng, beta, xp=xp)


@dataclass
class AnnealingWorks:
    """Forward and reverse works of annealing between a base model A and the RBM B.

    ``ΔF = F_B - F_A = -(log Z_B - log Z_A)`` (units of ``k T``).
    Jarzynski: ``<exp(-W_F)> = exp(-ΔF)``; reverse: ``<exp(-W_R)> = exp(ΔF)``;
    Crooks: ``P_F(W) / P_R(-W) = exp(W - ΔF)``.

    Attributes
    ----------
    forward : ndarray of shape (n_chains,) or None
        Works ``W_F`` of AIS from A to B.
    reverse : ndarray of shape (n_chains,) or None
        Works ``W_R`` of reverse AIS from model samples back to A.
    log_partition_base : float
        ``log Z_A``.
    n_betas : int
        Length of the annealing schedule.
    """

    forward: np.ndarray | None
    reverse: np.ndarray | None
    log_partition_base: float
    n_betas: int = 0
    extra: dict = field(default_factory=dict)

    def log_partition(self, method="bennett"):
        """``log Z_B`` by ``"jarzynski"`` (forward AIS, a stochastic lower
        bound), ``"reverse"`` (reverse AIS, a stochastic upper bound) or
        ``"bennett"`` (acceptance ratio combining both, lowest variance)."""
        xp = _backend._import_namespace("numpy")
        if method in ("jarzynski", "forward", "ais"):
            self._need("forward")
            return jarzynski_log_partition(self.log_partition_base, self.forward, xp=xp)
        if method in ("reverse", "reverse_ais"):
            self._need("reverse")
            return reverse_log_partition(self.log_partition_base, self.reverse, xp=xp)
        if method == "bennett":
            self._need("forward")
            self._need("reverse")
            return bennett_log_partition(self.log_partition_base, self.forward, self.reverse)
        raise ValueError(f"method must be 'jarzynski', 'reverse' or 'bennett', got {method!r}")

    def delta_free_energy(self, method="bennett"):
        """``ΔF = F_B - F_A = log Z_A - log Z_B``."""
        return self.log_partition_base - self.log_partition(method)

    def _need(self, which):
        if getattr(self, which) is None:
            raise ValueError(f"these works have no {which} part; call annealing_works(direction='both')")


def annealing_works(model, *, n_chains=100, n_betas=1000, direction="both", X=None, V_model=None,
                    n_model_steps=1000, beta=None, random_state=None, backend=None):
    """Works of forward and reverse annealed importance sampling (seed 004 Sec. 5).

    AIS is a nonequilibrium process driven from the base model A
    (independent visible units with bias ``b_A``, free hidden units) to the
    RBM B; its work obeys Jarzynski's equality. Reverse AIS starts from
    samples of B and anneals back to A.

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
    n_chains : int
        Annealing runs per direction.
    n_betas : int
        Intermediate distributions (``skneq._annealing.default_betas``).
    direction : {"both", "forward", "reverse"}
    X : array of shape (n_samples, n_visible) or None
        Training data: the base bias is then the logit of the data mean
        (a better starting point than the uniform base, ``b_A = 0``). None
        uses the estimator's ``visible_mean_`` if it has one, else ``b_A = 0``.
    V_model : array of shape (n_chains, n_visible) or None
        Model samples starting the reverse runs. None draws exact samples
        when ``min(n_visible, n_hidden) <= 20`` (``exact_model_samples``),
        else runs ``n_model_steps`` Gibbs sweeps from random states.
    beta : float or None
        Inverse temperature of the target model; None uses the estimator's
        ``beta`` (1 for tuples).
    random_state : int, RandomState or None
    backend : None or str

    Returns
    -------
    AnnealingWorks
    """
    if direction not in ("both", "forward", "reverse"):
        raise ValueError(f"direction must be 'both', 'forward' or 'reverse', got {direction!r}")
    beta = _model_beta(model, beta)
    n_chains = int(n_chains)
    if n_chains < 1:
        raise ValueError(f"n_chains must be at least 1, got {n_chains}")
    W, b, c, bk = rbm_parameters(model, backend=backend)
    xp = bk.xp
    n_hidden, n_visible = W.shape
    Wb, bb, cb = beta * W, beta * b, beta * c
    if X is not None:
        from .._validation import check_array_xp, check_unit_interval

        X = check_array_xp(X, name="X")
        if X.shape[1] != n_visible:
            raise ValueError(f"X has {X.shape[1]} features, the model {n_visible} visible units")
        X = _backend.to_device(X, xp, bk.device, dtype=W.dtype)
        check_unit_interval(X, xp, what="annealing_works")
        b_A = base_visible_bias(X, xp=xp)
    elif getattr(model, "visible_mean_", None) is not None:
        # skneq's RBM stores its training mean: the same base as RBM.log_partition.
        mean = _backend.to_device(model.visible_mean_, xp, bk.device, dtype=W.dtype)
        b_A = base_visible_bias(xp.reshape(mean, (1, n_visible)), xp=xp)
    else:
        b_A = base_visible_bias(None, n_visible, xp=xp, dtype=W.dtype, device=bk.device)
    log_Z_A = float(base_log_partition(b_A, n_hidden, xp=xp))
    betas = default_betas(n_betas, xp=xp, device=bk.device, dtype=W.dtype)
    rng = _backend.make_rng(bk, random_state)
    forward = reverse = None
    if direction in ("both", "forward"):
        forward = _backend.to_numpy(ais_works(Wb, bb, cb, b_A, betas, n_chains, rng, xp=xp))
    if direction in ("both", "reverse"):
        if V_model is None:
            if min(n_visible, n_hidden) <= 20:
                V_model, _ = exact_samples(W, b, c, n_chains, rng, beta, xp=xp)
            else:
                V0 = rng.bernoulli(xp.full((n_chains, n_visible), 0.5, dtype=W.dtype, device=bk.device))
                V_model, _ = gibbs_vhv(V0, W, b, c, rng, n_model_steps, beta, xp=xp)
        V_model = _backend.to_device(V_model, xp, bk.device, dtype=W.dtype)
        if V_model.ndim != 2 or V_model.shape[1] != n_visible:
            raise ValueError(f"V_model must have shape (n_chains, {n_visible}), got {tuple(V_model.shape)}")
        reverse = _backend.to_numpy(reverse_ais_works(V_model, Wb, bb, cb, b_A, betas, rng, xp=xp))
    return AnnealingWorks(forward, reverse, log_Z_A, int(n_betas))


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
    """Locate the crossing of ``P_F(W)`` and ``P_R(-W)`` (Crooks, seed 004 Sec. 3.1).

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
    if isinstance(forward, AnnealingWorks):
        forward._need("forward")
        forward._need("reverse")
        forward, reverse = forward.forward, forward.reverse
    w_f = np.asarray(_backend.to_numpy(forward), dtype=np.float64)
    w_r = -np.asarray(_backend.to_numpy(reverse), dtype=np.float64)
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
