"""Annealed importance sampling for Bernoulli RBMs, forward and reverse, and
the estimators of log Z built on the works they produce.

This is THE annealing code of the package: ``RBM.log_partition``,
``RBM.annealing_works`` and ``skneq.thermodynamics.annealing_works`` all call
:func:`run_annealing` and return :class:`AnnealingWorks`.

The annealing path (Salakhutdinov & Murray 2008; Salazar 2017,
arXiv:1704.08724, Sec. 5) runs from a
base model A with independent visible units (bias ``b_A``, no couplings) to the
RBM B, through the intermediate marginals

.. math:: \\log p^*_k(v) = (1-\\beta_k)\\, b_A \\cdot v
          + \\beta_k \\left[ b \\cdot v + \\sum_j \\mathrm{softplus}((Wv + c)_j) \\right]

(all parameters already multiplied by the model's inverse temperature).
The base may also be a mixture of factorised Bernoulli distributions
(:class:`skneq.rbm._path.FactorizedMixture`, fitted by
:func:`skneq.rbm.fit_bernoulli_mixture`): the path then also carries the component
of the mixture, and its weights use the marginal with it and ``h`` summed out
(:mod:`skneq.rbm._path`), ``log Z_A = n_hidden log 2``.
Seen as a nonequilibrium process (Salazar 2017, Sec. 5), the forward work of one
chain is ``W_F = -sum_k [log p*_k(v_{k-1}) - log p*_{k-1}(v_{k-1})]`` and
Jarzynski's equality gives ``log Z_B - log Z_A = log < exp(-W_F) >``; reverse
AIS (Burda et al. 2015) starts from model samples and anneals back to A.

Forward estimates are stochastic lower bounds on ``log Z`` and reverse ones
stochastic upper bounds; the Bennett acceptance ratio combines both works.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _backend
from .._math import logit_clipped_mean, logsumexp, softplus
from .._validation import check_int, check_real, host_float64
from ._kernels import MAX_EXACT_UNITS, exact_samples
from ._free_energy import (bennett_log_partition, jarzynski_log_partition, log_mean_exp,
                           reverse_log_partition, stepping_stone_log_partition)
from ._ladder import PathSampler
from ._mixture import em_bernoulli_mixture
from ._path import FactorizedMixture, base_sample, is_mixture, path_fields, path_log_ratio, path_transition

__all__ = [
    "AnnealingWorks",
    "ESTIMATORS",
    "BASES",
    "run_annealing",
    "check_schedule",
    "base_log_partition",
    "base_visible_bias",
    "default_betas",
    "ais_works",
    "reverse_ais_works",
    "jarzynski_log_partition",
    "reverse_log_partition",
    "bennett_log_partition",
    "log_mean_exp",
    "stepping_stone_log_partition",
    "EQUILIBRIUM_TOL",
    "LADDER_REVERSE_TOL",
    "check_rounds",
    "check_refit_base",
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


def base_visible_bias(V_data=None, n_visible=None, *, xp, dtype=None, device=None):
    """Visible bias of the base model: logit of the (clipped) data mean, or 0."""
    if V_data is None:
        return xp.zeros((n_visible,), dtype=dtype, device=device)
    return logit_clipped_mean(V_data, xp=xp)


def base_log_partition(b_A, n_hidden, *, xp):
    """``log Z_A`` of the base RBM: independent visibles and ``n_hidden`` free hiddens.

    A vector base ``b_A`` has ``sum_i softplus(b_A,i) + n_hidden log 2``; a
    ``FactorizedMixture`` (normalised components) ``log sum_k pi_k +
    n_hidden log 2``, i.e. ``n_hidden log 2`` for normalised weights.
    """
    if is_mixture(b_A):
        return logsumexp(b_A.log_weights, xp=xp) + n_hidden * math.log(2.0)
    return xp.sum(softplus(b_A, xp=xp)) + n_hidden * math.log(2.0)


def ais_works(W, b, c, b_A, betas, n_chains, rng, *, xp, return_states=False):
    """Forward works of AIS from the base model to the RBM.

    Parameters
    ----------
    W, b, c : arrays
        RBM parameters (already scaled by the inverse temperature), float64
        recommended.
    b_A : array of shape (n_visible,) or FactorizedMixture
        Visible bias of the base model, or a mixture of factorised
        distributions (``skneq.rbm._path``).
    betas : array of shape (n_betas,)
        Increasing schedule from 0 to 1.
    n_chains : int
        Independent annealing runs.
    rng : BackendRandom

    return_states : bool
        Also return the chains' final states (samples of the last
        intermediate distribution, to be weighted by ``exp(-W_F)``).

    Returns
    -------
    works : array of shape (n_chains,)
        ``W_F``; ``log Z_B = log Z_A + log mean exp(-W_F)`` (Jarzynski).
    V : array of shape (n_chains, n_visible)
        Only with ``return_states=True``.
    """
    V = base_sample(b_A, (n_chains,), rng, xp=xp)
    log_w = xp.zeros((n_chains,), dtype=W.dtype, device=getattr(W, "device", None))
    n = betas.shape[0]
    for k in range(1, n):
        lo, hi = betas[k - 1], betas[k]
        # The weight at step k and the sweep at beta_k read the same state:
        # its fields are computed once (two products per step, not three).
        F, vd = path_fields(V, W, b, c, b_A, xp=xp)
        log_w = log_w + path_log_ratio(F, vd, lo, hi, xp=xp, base=b_A)
        if k < n - 1:
            V, _ = path_transition(F, W, b, b_A, hi, rng, xp=xp, vd=vd)
    return (-log_w, V) if return_states else -log_w


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
    F, vd = path_fields(V, W, b, c, b_A, xp=xp)
    for k in range(n - 1, 0, -1):
        lo, hi = betas[k - 1], betas[k]
        if k < n - 1:
            # The fields of the current state serve the sweep here and, after
            # it, those of the new state serve this step's weight.
            V, _ = path_transition(F, W, b, b_A, hi, rng, xp=xp, vd=vd)
            F, vd = path_fields(V, W, b, c, b_A, xp=xp)
        log_w = log_w - path_log_ratio(F, vd, lo, hi, xp=xp, base=b_A)
    return -log_w


# --------------------------------------------------------------------------
# The one driver and its result
# --------------------------------------------------------------------------

#: Estimators of ``log Z`` from the works, by name. ``"ais"`` (forward AIS,
#: Jarzynski's equality: a stochastic lower bound), ``"reverse_ais"`` (Burda
#: et al. 2015: a stochastic upper bound when the reverse runs start at
#: equilibrium), ``"bennett"`` (Bennett's acceptance ratio of both).
ESTIMATORS = ("ais", "reverse_ais", "bennett")
#: Physicists' names accepted as synonyms by ``AnnealingWorks.log_partition``.
_SYNONYMS = {"jarzynski": "ais", "forward": "ais", "reverse": "reverse_ais"}
#: Base models of the annealing path: independent visible units with the
#: logit of the data mean as bias, with the model's own visible bias, or
#: uniform (bias 0); an array of shape (n_visible,) gives the bias directly;
#: ``"mixture"``: a mixture of factorised Bernoulli distributions fitted on
#: the data (``skneq.rbm.fit_bernoulli_mixture``, ``MIXTURE_COMPONENTS``
#: components), or a given ``FactorizedMixture``.
BASES = ("data_mean", "visible_bias", "uniform", "mixture")


@dataclass
class AnnealingWorks:
    """Forward and reverse works of annealing between a base model A and the RBM B.

    ``dF = F_B - F_A = -(log Z_B - log Z_A)`` (units of ``k T``).
    Jarzynski: ``<exp(-W_F)> = exp(-dF)``; reverse: ``<exp(-W_R)> = exp(dF)``;
    Crooks: ``P_F(W) / P_R(-W) = exp(W - dF)`` (Salazar 2017, arXiv:1704.08724,
    Sec. 5).

    Attributes
    ----------
    forward : ndarray of shape (n_chains,) or None
        Works ``W_F`` of AIS from A to B (NumPy, float64).
    reverse : ndarray of shape (n_chains,) or None
        Works ``W_R`` of reverse AIS from model samples back to A.
    log_partition_base : float
        ``log Z_A``.
    n_betas : int
        Length of the annealing schedule.
    base_bias : ndarray of shape (n_visible,) or None
        Visible bias ``b_A`` of the base model (NumPy); None for a mixture
        base or refitted bases.
    base_mixture : FactorizedMixture or None
        The base model when it is a mixture of factorised distributions
        (NumPy arrays); ``log_partition_base`` is then its ``log Z_A``.
    extra : dict
        Details of the run: ``"rounds"`` (a list with each independent
        round's ``"ais"``, ``"reverse_ais"``, ``"bennett"`` and, after
        parallel tempering, ``"stepping_stone"`` estimates),
        ``"reverse_start"`` (how the reverse runs started), and after
        parallel tempering ``"ladder"``, ``"swap_acceptance"`` (the lowest
        rate of each rung pair over the rounds), ``"stepping_stones"``
        (``(lower, upper, bennett)``) and ``"stepping_stone_groups"``;
        with a refitted base (``run_annealing(refit_base=)``)
        ``"refit_base"`` (its components), ``"fitted_bases"`` (each round's
        mixture, NumPy) and each round's ``"seed_ais"`` (forward AIS from the
        seeding base); the works then belong to those mixtures and
        ``base_bias`` and ``base_mixture`` are None.
    """

    forward: np.ndarray | None
    reverse: np.ndarray | None
    log_partition_base: float
    n_betas: int = 0
    base_bias: np.ndarray | None = None
    extra: dict = field(default_factory=dict)
    base_mixture: FactorizedMixture | None = None

    def log_partition(self, method="bennett"):
        """``log Z_B`` by ``"ais"`` (forward AIS, a stochastic lower bound),
        ``"reverse_ais"`` (a stochastic upper bound) or ``"bennett"``
        (acceptance ratio of both, lowest variance); ``"stepping_stone"``:
        Bennett's estimate along the parallel-tempering ladder of the
        reverse starts (:meth:`stepping_stones`). ``"jarzynski"`` /
        ``"forward"`` and ``"reverse"`` are accepted synonyms."""
        method = _SYNONYMS.get(method, method)
        xp = _backend.resolve(None, "numpy").xp
        if method == "ais":
            self._need("forward")
            return jarzynski_log_partition(self.log_partition_base, self.forward, xp=xp)
        if method == "reverse_ais":
            self._need("reverse")
            return reverse_log_partition(self.log_partition_base, self.reverse, xp=xp)
        if method == "bennett":
            self._need("forward")
            self._need("reverse")
            return bennett_log_partition(self.log_partition_base, self.forward, self.reverse)
        if method == "stepping_stone":
            stones = self.stepping_stones()
            if stones is None:
                raise ValueError("these works have no parallel-tempering ladder (their reverse runs started from "
                                 "exact or given samples), so no stepping-stone estimate")
            return stones[2]
        raise ValueError(f"method must be one of {ESTIMATORS} or 'stepping_stone' (or 'jarzynski', 'reverse'), "
                         f"got {method!r}")

    def stepping_stones(self):
        """``(lower, upper, bennett)`` of ``log Z_B`` from the parallel-tempering
        rungs that drew the reverse runs' starts, or None (exact or given starts).

        Every pair of neighbouring rungs is a one-step annealing between
        equilibrium states (:func:`stepping_stone_log_partition`): ``lower``
        and ``upper`` bracket ``log Z_B`` when the rungs are at equilibrium,
        and lie within a few hundredths of a nat of each other there (on the
        784 x 22 and 784 x 24 models of ``benchmarks/bench_ais.py --defaults``).
        Rungs that lag, as when the model's modes are not yet in their
        equilibrium proportions, make neighbours too alike and *invert* the
        bracket (``upper < lower``): the test of :meth:`reverse_starts_equilibrated`.
        The chains of all rounds are pooled (one ladder);
        ``extra["stepping_stone_groups"]`` holds Bennett's estimate of each
        of ``STEPPING_STONE_GROUPS`` groups of chains per round.
        """
        stones = self.extra.get("stepping_stones")
        return None if stones is None else tuple(float(x) for x in stones)

    def reverse_starts_equilibrated(self, tol=None):
        """Whether the parallel tempering that drew the reverse starts passed its equilibrium test.

        True when the stepping-stone bracket of its rungs
        (:meth:`stepping_stones`) is not inverted by more than ``tol``
        (default ``EQUILIBRIUM_TOL``, 0.1 nat); None when the reverse runs
        did not start from parallel tempering. When False, reverse AIS is
        not an upper bound on ``log Z`` (its starts are not equilibrium
        samples) and only forward AIS keeps its meaning, a stochastic lower
        bound. True is no certificate: on a 784 x 500 model the test passed
        while the ladder's estimate lay 4.4 nats above a forward/reverse
        sandwich a few tenths wide (rungs that lag together pass it; the
        likelihood guide, "Which end was off").
        """
        stones = self.stepping_stones()
        if stones is None:
            return None
        tol = EQUILIBRIUM_TOL if tol is None else float(tol)
        return bool(stones[0] - stones[1] <= tol)

    def reverse_below_ladder(self):
        """How far reverse AIS lies below the ladder's own estimate (nats), or
        None when there is no ladder or no reverse run.

        Both read the same parallel tempering: the reverse runs start from
        its ``beta = 1`` rung, the ladder's estimate (``stepping_stones()[2]``)
        pools every rung. At equilibrium reverse AIS exceeds ``log Z`` but for
        its noise (it falls ``t`` nats below with probability at most
        ``e^-t``, Markov's inequality on its unbiased estimate of ``Z_A /
        Z_B``), and the ladder's estimate is ``log Z`` to its statistical
        error, so a gap over ``LADDER_REVERSE_TOL`` says the starts are not
        at equilibrium even when the stepping-stone bracket is not inverted:
        the second test of :meth:`failed_checks`.
        """
        stones = self.stepping_stones()
        if stones is None or self.reverse is None:
            return None
        return float(stones[2] - self.log_partition("reverse_ais"))

    def round_spread(self):
        """Largest minus smallest estimate of ``log Z`` over the independent
        rounds of the run (``extra["rounds"]``; Bennett's when both
        directions ran, else the one-sided one), or None for one round.

        Rounds differ in which modes their forward runs and parallel
        tempering found: on the 784 x 500 models of
        ``benchmarks/bench_ais.py --defaults`` single runs are consistent
        within themselves (narrow sandwich, ladder test passed) and yet
        several nats apart from seed to seed, so this spread is the error
        bar that a single run cannot give.
        """
        values = self._round_values()
        return None if len(values) < 2 else float(max(values) - min(values))

    def _round_values(self):
        """Each round's estimate: Bennett's, else the one-sided one that ran."""
        rounds = self.extra.get("rounds") or []
        if not rounds:
            return []
        key = "bennett" if rounds[0].get("bennett") is not None else (
            "ais" if rounds[0].get("ais") is not None else "reverse_ais")
        return [r[key] for r in rounds]

    def failed_checks(self, tol, interval=None):
        """The checks of the estimate that fail at ``tol`` nats, one message each
        (empty when all pass): independent rounds further apart than ``tol``
        (:meth:`round_spread`), reverse starts that failed their equilibrium
        test (:meth:`reverse_starts_equilibrated`), reverse AIS more than
        ``LADDER_REVERSE_TOL`` below that ladder's estimate
        (:meth:`reverse_below_ladder`; not with a refitted base,
        ``run_annealing(refit_base=)``), forward and reverse AIS
        further apart than ``tol`` (``interval``, default :meth:`interval`
        when both directions ran). The stopping rule of the rounds of
        :func:`run_annealing` and ``score``'s ``LikelihoodWarning`` read this.
        """
        reasons = []
        spread = self.round_spread()
        if spread is not None and spread > tol:
            values = ", ".join(f"{v:.2f}" for v in self._round_values())
            reasons.append(f"{len(self._round_values())} independent runs of the estimate gave {values}, a spread "
                           f"of {spread:.2f} nat: they found the model's modes in different proportions")
        if self.reverse_starts_equilibrated() is False:
            stones = self.stepping_stones()
            reasons.append(f"the parallel tempering that drew the reverse-AIS starts is not at equilibrium (the "
                           f"stepping-stone bounds of its rungs are inverted: {stones[0]:.2f} above {stones[1]:.2f}, "
                           f"by more than {EQUILIBRIUM_TOL} nat), so reverse AIS is not an upper bound "
                           f"(the ladder's own estimate is {stones[2]:.2f})")
        # Not with a refitted base: its reverse runs leave the ladder's path,
        # and at 784 x 500 the ladder stood 2.1-6.4 nats (model 1 of
        # bench_ais.py --sample-base-study), 6.2-8.0 with score's defaults
        # (both models, rbm_ais_defaults_refit_one_round.rst), above reverse
        # AIS from the fitted base on the ladder's own beta = 1 states: an
        # upper bound if those states are at equilibrium (and if not, the
        # ladder's rungs are not either). The ladder, not the sandwich, is off.
        gap = None if self.extra.get("refit_base") else self.reverse_below_ladder()
        if gap is not None and gap > LADDER_REVERSE_TOL:
            ladder = self.stepping_stones()[2]
            reasons.append(f"reverse AIS ({ladder - gap:.2f}) lies {gap:.2f} nat below the "
                           f"estimate of the parallel-tempering ladder that drew its starts "
                           f"({ladder:.2f}); from equilibrium starts it falls t nat below "
                           f"log Z with probability at most e^-t, so the starts are not at equilibrium and "
                           f"neither value is an upper bound")
        if interval is None and self.forward is not None and self.reverse is not None:
            interval = self.interval()
        if interval is not None and abs(interval[1] - interval[0]) > tol:
            lower, upper = interval
            why = ("reverse below forward: the reverse runs' starting states were not at equilibrium"
                   if upper < lower else "wider than the tolerance")
            reasons.append(f"forward AIS gives {lower:.2f}, reverse AIS {upper:.2f} ({why})")
        return reasons

    def _has(self, method):
        return {"ais": self.forward is not None, "reverse_ais": self.reverse is not None,
                "bennett": self.forward is not None and self.reverse is not None}[method]

    def interval(self):
        """``(forward AIS, reverse AIS)`` estimates of ``log Z_B``: the sandwich.

        Forward AIS is stochastically low and reverse AIS (from equilibrium
        samples) stochastically high, so their gap measures how far either
        can be from the truth.
        """
        return self.log_partition("ais"), self.log_partition("reverse_ais")

    def standard_error(self, method="bennett"):
        """Asymptotic standard error (nats) of ``log_partition(method)``.

        ``"ais"`` / ``"reverse_ais"``: the delta method on ``log mean
        exp(-W)``, ``sqrt(var(w) / n) / mean(w)`` with ``w = exp(-W)``
        (Salakhutdinov & Murray 2008); ``"bennett"``: Bennett's asymptotic
        variance (Shirts et al. 2003, eq. 10). Both read the spread of the
        works actually drawn: when a few runs dominate (see
        :meth:`effective_sample_size`) they underestimate the error, and the
        gap between forward and reverse estimates is the better guide.
        """
        from scipy.special import expit

        method = _SYNONYMS.get(method, method)
        if method in ("ais", "reverse_ais"):
            works = self.forward if method == "ais" else self.reverse
            self._need("forward" if method == "ais" else "reverse")
            w = np.exp(-(works - works.min()))
            return float(np.sqrt(w.var() / w.size) / w.mean())
        if method != "bennett":
            raise ValueError(f"method must be one of {ESTIMATORS}, got {method!r}")
        self._need("forward")
        self._need("reverse")
        dF = self.delta_free_energy("bennett")
        m = math.log(self.forward.size / self.reverse.size)
        f_F = expit(-(m + self.forward - dF))
        f_R = expit(-(-m + self.reverse + dF))
        var = ((np.mean(f_F**2) / np.mean(f_F) ** 2 - 1.0) / f_F.size
               + (np.mean(f_R**2) / np.mean(f_R) ** 2 - 1.0) / f_R.size)
        return float(np.sqrt(max(var, 0.0)))

    def effective_sample_size(self):
        """``(forward, reverse)`` effective numbers of runs, ``(sum w)^2 / sum w^2``
        with ``w = exp(-W)`` (None for a missing direction): how many runs
        the one-sided estimates really rest on."""
        def ess(works):
            if works is None:
                return None
            w = np.exp(-(works - works.min()))
            return float(w.sum() ** 2 / np.sum(w**2))

        return ess(self.forward), ess(self.reverse)

    def delta_free_energy(self, method="bennett"):
        """``dF = F_B - F_A = log Z_A - log Z_B``."""
        return self.log_partition_base - self.log_partition(method)

    def _need(self, which):
        if getattr(self, which) is None:
            raise ValueError(f"these works have no {which} part; call annealing_works(direction='both')")


def check_schedule(schedule):
    """An annealing schedule as a float64 NumPy array, or a ValueError naming ``schedule``.

    It must be 1-d with at least 3 finite, non-decreasing values from exactly 0 to exactly 1.
    """
    a = host_float64(schedule, "schedule")
    if a.ndim != 1 or a.size < 3 or not np.all(np.isfinite(a)):
        raise ValueError(f"schedule must be a 1-d array of at least 3 finite inverse temperatures, got {schedule!r}")
    if a[0] != 0.0 or a[-1] != 1.0 or np.any(np.diff(a) < 0):
        raise ValueError("schedule must increase from exactly 0 (the base model) to exactly 1 (the RBM)")
    return a


#: Largest inversion (nats) of the stepping-stone bracket of the parallel-
#: tempering rungs still read as noise (``AnnealingWorks.reverse_starts_equilibrated``).
#: Measured with the defaults of ``score`` (``benchmarks/bench_ais.py --defaults``):
#: at most a few hundredths at 784 x 22 and 784 x 24, where the ladder's
#: estimate matches exact log Z; up to 1.2 nat on some seeds at 784 x 500
#: (still 1.07 after 2000 sweeps of burn-in). The test sees lag between
#: neighbouring rungs, not modes that no rung has found: other seeds of the
#: same 784 x 500 models pass it and disagree by nats
#: (``AnnealingWorks.round_spread``).
EQUILIBRIUM_TOL = 0.1
#: Largest gap (nats) of reverse AIS below the estimate of the ladder that
#: drew its starts still read as noise (``AnnealingWorks.reverse_below_ladder``):
#: at equilibrium a gap of ``t`` has probability at most ``e^-t``, here 5%.
#: The inversion test misses this on the 784 x 500 model 1 of
#: ``benchmarks/bench_ais.py --defaults --mixture 20``: ladder 638.68-638.78 on
#: three seeds with the bracket ordered, reverse AIS 4.82-6.38 nats below it
#: from the same states, and every forward run with up to 100 times the temperatures at
#: or below 632.73 (``--long-forward``).
LADDER_REVERSE_TOL = 3.0
#: Independent groups of parallel-tempering chains whose stepping-stone
#: estimates are compared (``AnnealingWorks.stepping_stones``).
STEPPING_STONE_GROUPS = 5


def run_annealing(W, b, c, b_A, *, direction, n_betas, n_chains, rng, xp, n_steps=200, model_samples=None,
                  beta=1.0, schedule=None, n_temperatures=None, tol=None, max_rounds=1, refit_base=None):
    """Forward and/or reverse annealing works: the one code path of the package.

    Parameters
    ----------
    W, b, c : arrays of shapes (n_hidden, n_visible), (n_visible,), (n_hidden,)
        RBM parameters at inverse temperature 1 (float64 recommended).
    b_A : array of shape (n_visible,) or FactorizedMixture
        Visible bias of the base model, or a mixture of factorised
        distributions (arrays of ``xp``, float64 like ``W``).
    direction : {"forward", "reverse", "both"}
    n_betas, n_chains : int
        Schedule length (``default_betas``) and runs per direction.
    rng : BackendRandom
    n_steps : int
        Burn-in sweeps of the parallel tempering that draws the reverse runs'
        starting states when the model is too large for exact samples
        (:class:`~skneq.rbm._ladder.PathSampler`).
    model_samples : array of shape (n, n_visible) or None
        Starting states of the reverse runs; default exact samples when the
        smaller layer has at most ``MAX_EXACT_UNITS`` units, else parallel
        tempering along the annealing path.
    beta : float
        Inverse temperature of the target model.
    schedule : ndarray of shape (n,) or None
        The path's inverse temperatures (``check_schedule``); None uses
        ``default_betas(n_betas)``.
    n_temperatures : int or None
        Rungs of the parallel-tempering ladder; None measures it on the model
        (one rung per ``skneq.rbm._path.PATH_SPACING`` of thermodynamic length).
    tol : float or None
        Stop the rounds early, after at least two, once the pooled forward
        and reverse estimates are within ``tol`` nats of each other, the
        rounds' estimates too (:meth:`AnnealingWorks.round_spread`), and the
        parallel tempering (if any) passes its equilibrium test
        (:meth:`AnnealingWorks.reverse_starts_equilibrated`). None: run all
        ``max_rounds``.
    max_rounds : int
        Independent rounds, pooled: each runs ``n_chains`` forward runs, its
        own parallel tempering (on the ladder measured once, seeded by its
        own forward runs) and ``n_chains`` reverse runs.
        ``extra["rounds"]`` lists each round's estimates.
    refit_base : int or None
        With ``direction="both"`` and no ``model_samples``: in every round,
        anneal from ``b_A`` only to seed the reverse starts' sampler, draw
        ``2 n_chains`` states (parallel tempering, or exact samples on small
        models), fit a mixture of ``refit_base`` factorised distributions
        (EM, :func:`skneq.rbm._mixture.em_bernoulli_mixture`, on the run's
        stream) on the states of one half of the chains, and run the forward
        and reverse AIS of the round from that mixture, the reverse runs
        from the states of the other half (independent of the fit: reverse
        runs from the states a base was fitted on would be biased low).
        The mixture starts forward runs in the modes the sampler found;
        measured on the 784 x 500 models of ``benchmarks/bench_ais.py
        --sample-base-study``. ``extra["rounds"][i]["seed_ais"]`` keeps the
        forward estimate from ``b_A``, ``extra["fitted_bases"]`` the
        mixtures. Rounds pool: normalised mixtures all have ``log Z_A =
        n_hidden log 2``, and equal numbers of runs per round and direction
        keep Crooks' relation for the pooled works. None: one base, ``b_A``.

    Returns
    -------
    AnnealingWorks
    """
    n_hidden, n_visible = W.shape
    dt, device = W.dtype, getattr(W, "device", None)
    Wb, bb, cb = beta * W, beta * b, beta * c
    if schedule is None:
        betas = default_betas(n_betas, xp=xp, device=device, dtype=dt)
    else:
        betas = _backend.to_device(schedule, xp, device, dtype=dt)
        n_betas = schedule.shape[0]
    mixture = is_mixture(b_A)
    if mixture:
        # Normalised weights: the path then ends at Z_B itself, not (sum_k pi_k) Z_B.
        b_A = b_A.normalized(xp=xp)
    log_Z_A = float(base_log_partition(b_A, n_hidden, xp=xp))
    refit_base = check_refit_base(refit_base, direction, model_samples)
    refit = refit_base is not None
    forwards, reverses, rounds, frames, fitted = [], [], [], [], []
    extra = {"refit_base": int(refit_base)} if refit else {}
    ladder = None
    for _ in range(int(max_rounds)):
        # Every round is an independent repeat (its own forward runs, its own
        # parallel-tempering chains seeded by them): the spread of the
        # rounds' estimates then includes which modes each run happened to
        # find, which no single run can show.
        seed_states, seed_ais, path_base, log_Z_path = None, None, b_A, log_Z_A
        n_draw = 2 * int(n_chains) if refit else int(n_chains)
        if direction in ("forward", "both"):
            works, V_end = ais_works(Wb, bb, cb, b_A, betas, n_chains, rng, xp=xp, return_states=True)
            seed_states = (V_end, works)
            if refit:
                seed_ais = jarzynski_log_partition(log_Z_A, _backend.to_numpy(works), xp=np)
            else:
                forwards.append(_backend.to_numpy(works))
        if direction in ("reverse", "both"):
            V_fit = None
            if model_samples is not None:
                V = model_samples
                extra["reverse_start"] = "given"
            elif min(n_hidden, n_visible) <= MAX_EXACT_UNITS:
                # Exact samples: Gibbs chains from one start miss the modes of a
                # multimodal model and bias reverse AIS by nats.
                V, _ = exact_samples(W, b, c, n_draw, rng, beta, xp=xp)
                if refit:
                    V_fit, V = V[:n_chains, ...], V[n_chains:, ...]
                extra["reverse_start"] = "exact"
            else:
                # Equilibrium samples for reverse AIS: parallel tempering along the
                # same path (its hot end is the base model, sampled exactly), not
                # Gibbs chains that stay in the modes they start in. The ladder is
                # measured once and shared by the rounds.
                sampler = PathSampler(Wb, bb, cb, b_A, rng, xp=xp, n_temperatures=n_temperatures,
                                      n_steps=n_steps, n_chains=n_chains, seed_states=seed_states, ladder=ladder)
                ladder = (sampler.ladder, sampler.length)
                if refit:
                    V_fit, V = _split_chains(sampler, n_chains, xp)
                else:
                    V = sampler.draw(n_chains)
                frames.append(sampler.stone_frames())
                extra["reverse_start"] = sampler.describe()
                rates = sampler.counter.rates()
                extra["swap_acceptance"] = rates if "swap_acceptance" not in extra else [
                    min(a, b) for a, b in zip(extra["swap_acceptance"], rates)]
                extra["ladder"] = sampler.ladder
            if refit:
                # The round's base: a mixture fitted on one half of the starts,
                # normalised so that every round's log Z_A is n_hidden log 2.
                path_base = em_bernoulli_mixture(V_fit, min(int(refit_base), V_fit.shape[0]), rng).normalized(xp=xp)
                log_Z_path = float(base_log_partition(path_base, n_hidden, xp=xp))
                fitted.append(path_base.to_numpy())
                forwards.append(_backend.to_numpy(ais_works(Wb, bb, cb, path_base, betas, n_chains, rng, xp=xp)))
            reverses.append(_backend.to_numpy(reverse_ais_works(V, Wb, bb, cb, path_base, betas, rng, xp=xp)))
        one = AnnealingWorks(forwards[-1] if forwards else None, reverses[-1] if reverses else None, log_Z_path)
        rounds.append({k: (one.log_partition(k) if one._has(k) else None) for k in ESTIMATORS})
        if refit:
            rounds[-1]["seed_ais"] = seed_ais
            extra["fitted_bases"] = list(fitted)
        if frames:
            # Same ladder, independent chains: the rounds' frames side by side.
            fw = np.concatenate([f for f, _ in frames], axis=2)
            rv = np.concatenate([r for _, r in frames], axis=2)
            *stones, groups = stepping_stone_log_partition(log_Z_A, fw, rv,
                                                           n_groups=STEPPING_STONE_GROUPS * len(frames))
            extra["stepping_stones"], extra["stepping_stone_groups"] = tuple(stones), groups
            rounds[-1]["stepping_stone"] = stepping_stone_log_partition(log_Z_A, *frames[-1])[2]
        extra["rounds"] = [dict(r) for r in rounds]
        # With a refitted base the works belong to the rounds' own mixtures
        # (extra["fitted_bases"]), so neither base field names one base.
        result = AnnealingWorks(np.concatenate(forwards) if forwards else None,
                                np.concatenate(reverses) if reverses else None,
                                log_Z_path, int(n_betas),
                                None if (mixture or refit) else _backend.to_numpy(b_A), dict(extra),
                                b_A.to_numpy() if (mixture and not refit) else None)
        # The converse of score's warning: every check passes.
        if tol is not None and len(rounds) >= min(2, int(max_rounds)) and not result.failed_checks(tol):
            break
    return result


def _split_chains(sampler, n_chains, xp):
    """``(V_fit, V)``: states of the first half of the sampler's chains and
    ``n_chains`` states of the other half. Parallel-tempering chains never
    exchange states (swaps are between rungs of one chain), so the halves
    are independent given the seeding."""
    n_pt = sampler.V.shape[1]
    if n_pt < 2:
        raise ValueError("refit_base needs n_chains >= 2: one half of the sampler's chains fits the base, "
                         "the other starts the reverse runs")
    half = n_pt // 2
    frames = -(-int(n_chains) // (n_pt - half))
    V = xp.reshape(sampler.draw(frames * n_pt), (frames, n_pt, sampler.V.shape[2]))
    n_visible = sampler.V.shape[2]
    V_fit = xp.reshape(V[:, :half, :], (frames * half, n_visible))
    V_rev = xp.reshape(V[:, half:, :], (frames * (n_pt - half), n_visible))
    return V_fit, V_rev[:int(n_chains), ...]


def check_rounds(tol, max_rounds):
    """``(tol, max_rounds)`` of :func:`run_annealing`, validated: ``tol`` None or a
    finite number of nats >= 0, ``max_rounds`` an int >= 1."""
    if tol is not None:
        tol = check_real(tol, "tol", low=0.0)
    return tol, check_int(max_rounds, "max_rounds", low=1)


def check_refit_base(refit_base, direction, model_samples):
    """``refit_base`` of :func:`run_annealing`, validated: None, or an int >= 1
    with ``direction="both"`` and no ``model_samples``."""
    if refit_base is None:
        return None
    refit_base = check_int(refit_base, "refit_base", low=1)
    if direction != "both" or model_samples is not None:
        raise ValueError("refit_base needs direction='both' and reverse starts drawn by the annealing code "
                         f"(no model_samples): it fits the base on half of those starts; got direction={direction!r}"
                         + (" and model_samples" if model_samples is not None else ""))
    return refit_base
