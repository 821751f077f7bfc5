"""Log partition function and log-likelihood of :class:`skneq.RBM` (a mixin).

Everything that turns fitted parameters into ``log Z`` and ``log p(v)``:
exact blockwise enumeration of the smaller layer
(``_enumeration.log_partition_enumerated``; ``score`` up to
``MAX_SCORE_EXACT_UNITS`` units), else the annealing code of ``_annealing``
(the one used by ``skneq.thermodynamics.annealing_works`` too). The ``log Z``
that ``score`` uses is cached, keyed on the parameter values and ``beta``, and
comes with an interval: exact models have a zero-width one; larger models
report the forward-AIS (stochastically low) and reverse-AIS (stochastically
high) estimates and use Bennett's acceptance ratio of both works, with a
warning when the two disagree by more than ``LOG_PARTITION_TOL`` nats.
Reverse AIS needs samples at equilibrium (Burda et al. 2015,
arXiv:1412.8566): exact samples when the smaller layer has at most
``MAX_EXACT_UNITS`` units, else parallel tempering along the annealing path
(``_ladder``), never the persistent training chains, which are out of
equilibrium.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _backend
from .._base import blas_threads, map_rows
from .._validation import check_array_xp, check_beta, check_int, check_option
from . import _annealing
from . import _kernels as _k
from ._enumeration import MAX_ENUMERATED_UNITS, log_partition_enumerated
from ._mixture import resolve_mixture_base


__all__ = ["LikelihoodMixin", "LikelihoodWarning", "LOG_PARTITION_TOL", "MAX_SCORE_EXACT_UNITS", "FIT_AIS_BETAS",
           "FIT_AIS_CHAINS", "FIT_PT_SWEEPS", "FIT_ROUND_BUDGET", "FIT_REFIT_COMPONENTS", "FIT_MAX_ROUNDS",
           "fit_rounds"]

#: ``score`` (the cached ``log_partition_``) enumerates the smaller layer
#: exactly up to this many units, else uses the AIS sandwich. The one such
#: limit of ``score``; chosen where blockwise enumeration (whose time doubles
#: with every unit) still costs about as much as the AIS rounds it replaces,
#: both on the one thread of ``score``, at 784 visible units: 2.2-2.3 ns per
#: (state x pixel) x thread, i.e. about 30 s for 2^24 states, against 21 s
#: for the default rounds at 784 x 24 (``docs/benchmarks/rbm_enumeration.rst``
#: and ``rbm_ais_defaults.rst``, written by ``benchmarks/bench_ais.py``).
#: ``log_partition("exact")`` goes up to ``_enumeration.MAX_ENUMERATED_UNITS``
#: (30) on request.
MAX_SCORE_EXACT_UNITS = 24
# AIS settings of the log Z cached for score when the model is too large to
# enumerate; log_partition(...) lets users spend more.
FIT_AIS_BETAS = 1000
#: Runs per direction and round. From one base at 784 x 500 the one-sided
#: estimates rested on an effective handful of runs of 500 (the model's modes
#: freeze along the path; ``docs/benchmarks/rbm_ais_defaults.rst``). With
#: the refitted base (``FIT_REFIT_COMPONENTS``) they rest on 97-245 of 400,
#: and 400 runs gave sandwiches as narrow as 500 (medians 0.06-0.07 nat
#: against 0.04-0.09) in 68-72 s per call against 118-121 s
#: (``rbm_ais_defaults_refit_one_round_400.rst`` and
#: ``rbm_ais_defaults_refit_one_round.rst``; timings on a shared machine,
#: where identical runs have differed by 16%).
FIT_AIS_CHAINS = 400
#: Burn-in sweeps (every rung each) of the parallel tempering that draws the
#: reverse-AIS starting states of the cached log Z (the chains start from
#: weighted forward-AIS end states; ``_ladder.PathSampler``).
FIT_PT_SWEEPS = 300
#: Budget of the independent rounds of score's log Z (``annealing_works(tol=,
#: max_rounds=)``), in weights: a model gets as many rounds as cost what one
#: round costs at 784 x 500 (68-72 s on one thread of a 2-core CPU with the
#: refitted base, ``docs/benchmarks/rbm_ais_defaults_refit_one_round_400.rst``),
#: at least 1 and at most ``FIT_MAX_ROUNDS``, and stops after two once forward
#: and reverse, and the rounds, agree within ``LOG_PARTITION_TOL`` and the
#: parallel tempering passes its equilibrium test. It was two rounds at 784 x
#: 500 while single runs from the data's base were several nats apart from
#: seed to seed, which only independent rounds showed; with the refitted base
#: (``FIT_REFIT_COMPONENTS``) the rounds of a call there agree within 0.11
#: nat and the seeds within 0.06 (``rbm_ais_defaults_refit_two_rounds.rst``),
#: and a second round would double the time. Models of at most half that
#: many weights keep two rounds or more, and the spread check. A budget of
#: work, not of time, so the value does not depend on the machine.
FIT_ROUND_BUDGET = 784 * 500
#: Components of the mixture that every round of score's log Z fits on half
#: of its parallel-tempering states and anneals from, forward and reverse
#: (``annealing_works(refit_base=)``). On the two 784 x 500 models of
#: ``benchmarks/bench_ais.py --sample-base-study`` forward AIS from such a
#: base rested on 111-315 effective runs of 500 (22 from the data mixture)
#: and met reverse AIS from the held-out states within 0.05-0.36 nat, where
#: the data mixture left a 2-nat sandwich.
FIT_REFIT_COMPONENTS = 20
FIT_MAX_ROUNDS = 8


def fit_rounds(shape):
    """Rounds of score's log Z for a weight matrix of ``shape`` (``FIT_ROUND_BUDGET``)."""
    return int(max(1, min(FIT_MAX_ROUNDS, FIT_ROUND_BUDGET // (int(shape[0]) * int(shape[1])))))


# Width of the forward/reverse sandwich above which score's log Z is flagged:
# an error of 1 nat in log Z shifts every sample's log-likelihood by 1 nat,
# already the size of the differences that model comparisons look at.
LOG_PARTITION_TOL = 1.0

METHODS = ("exact",) + _annealing.ESTIMATORS


class LikelihoodWarning(UserWarning):
    """``log Z`` of the RBM is uncertain: independent runs of the estimate, or its forward and reverse
    AIS estimates, disagree by more than the tolerance, or the parallel tempering behind the reverse
    estimate failed its equilibrium test."""


def check_model_samples(V, n_visible, bk):
    """``model_samples`` as a float64 array on ``bk``, or a ValueError naming it."""
    V = check_array_xp(V, name="model_samples")
    if V.shape[1] != n_visible:
        raise ValueError(f"model_samples must have {n_visible} columns (n_features), got {V.shape[1]}")
    V = _backend.to_device(V, bk.xp, bk.device, dtype=bk.accurate_dtype())
    if bool(bk.xp.any((V != 0) & (V != 1))):
        raise ValueError("model_samples must be binary states (0 or 1) of the visible layer")
    return V


class LikelihoodMixin:
    """``log Z``, annealing works and log-likelihoods of a fitted RBM."""

    # ------------------------------------------------------------ helpers
    def _params64(self, bk):
        dt = bk.accurate_dtype()
        return tuple(bk.xp.astype(p, dt) for p in self._parameters())

    def _log_unnormalized(self, V, bk):
        W, b, c = self._params64(bk)
        return _k.log_unnormalized_visible(V, W, b, c, self.beta, xp=bk.xp)

    def _path_base(self, bk, base, beta, X=None, fit_mixture=True):
        """The annealing path's base for ``base`` (see ``annealing_works``), float64 on ``bk``:
        a visible bias ``b_A`` of shape (n_features,) or a ``FactorizedMixture``
        (``base="mixture"`` itself, checked but not fitted, when ``fit_mixture=False``)."""
        xp, dt = bk.xp, bk.accurate_dtype()
        n_visible = self.components_.shape[1]
        if X is not None:
            X, _, _ = self._validate_fitted_rows(X)
        mixture = resolve_mixture_base(base, X, n_visible, xp=xp, device=bk.device, dtype=dt, fit=fit_mixture)
        if mixture is not None:
            return mixture
        own = self.__dict__.get("annealing_base_")
        if base is None and X is None and own is not None:
            return resolve_mixture_base(own, None, n_visible, xp=xp, device=bk.device, dtype=dt)
        if X is not None:
            base = "data_mean" if base is None else base
            mean = self._column_mean(X, _backend.Backend(xp, bk.device, dt))
        else:
            mean = xp.astype(self.visible_mean_, dt)
        if base is None or (isinstance(base, str) and base == "data_mean"):
            return _annealing.base_visible_bias(mean[None, :], xp=xp)
        if isinstance(base, str):
            check_option(base, "base", _annealing.BASES)
            if base == "visible_bias":
                return xp.astype(self.intercept_visible_, dt) * beta
            return xp.zeros((n_visible,), dtype=dt, device=bk.device)
        b_A = _backend.to_device(np.asarray(_backend.to_numpy(base), dtype=np.float64), xp, bk.device, dtype=dt)
        if tuple(b_A.shape) != (n_visible,) or not bool(xp.all(xp.isfinite(b_A))):
            raise ValueError(f"base must be one of {_annealing.BASES} or a finite array of shape ({n_visible},)")
        return b_A

    def _annealing_args(self, bk, *, beta, n_betas, n_chains, n_steps, base, X, model_samples, schedule=None,
                        tol=None, max_rounds=1, refit_base=None, direction="both", fit_mixture=True):
        """Validated arguments of the annealing methods (one place for both).

        ``fit_mixture=False`` checks a ``base="mixture"`` without fitting it
        (for ``log_partition("exact")``, which does not anneal).
        """
        xp = bk.xp
        tol, max_rounds = _annealing.check_rounds(tol, max_rounds)
        beta = self.beta if beta is None else check_beta(beta, "beta", allow_zero=True)
        n_betas = check_int(n_betas, "n_betas", low=3)
        n_chains = check_int(n_chains, "n_chains", low=1)
        n_steps = check_int(n_steps, "n_steps", low=0)
        n_visible = self.components_.shape[1]
        dt = bk.accurate_dtype()
        b_A = self._path_base(bk, base, beta, X, fit_mixture=fit_mixture)
        if model_samples is not None:
            model_samples = check_model_samples(model_samples, n_visible, _backend.Backend(xp, bk.device, dt))
        if schedule is not None:
            schedule = _annealing.check_schedule(schedule)
        refit_base = _annealing.check_refit_base(refit_base, direction, model_samples)
        return dict(beta=beta, n_betas=n_betas, n_chains=n_chains, n_steps=n_steps, b_A=b_A,
                    model_samples=model_samples, schedule=schedule, tol=tol, max_rounds=max_rounds,
                    refit_base=refit_base)

    # ------------------------------------------------------------ public API
    def annealing_works(self, direction="both", *, n_betas=10000, n_chains=100, n_steps=200,
                        n_temperatures=None, base=None, X=None, model_samples=None, schedule=None,
                        beta=None, tol=None, max_rounds=1, refit_base=None, random_state=None):
        """Works of annealing between an independent-unit base model and this RBM.

        The forward process anneals samples of the base model to the RBM,
        the reverse process anneals RBM samples back (Salazar 2017,
        arXiv:1704.08724, Sec. 5; Burda et al. 2015). Same code, defaults and
        result as :func:`skneq.thermodynamics.annealing_works`.

        Parameters
        ----------
        direction : {"forward", "reverse", "both"}, default="both"
        n_betas : int, default=10000
            Temperatures of the schedule (``_annealing.default_betas``).
        n_chains : int, default=100
            Annealing runs per direction.
        n_steps : int, default=200
            Parallel-tempering sweeps that draw the reverse runs' starting
            states when the smaller layer has more than ``MAX_EXACT_UNITS``
            (20) units (at most that, exact samples): ``min(n_chains, 50)``
            chains of ``n_temperatures`` replicas along the annealing path
            from this base model to the RBM, started (with
            ``direction="both"``) at the forward runs' end states resampled
            by weight, else at exact base samples. Persistent training chains
            are not used: they lag the model and bias reverse AIS.
        n_temperatures : int or None, default=None
            Rungs of that ladder, placed equally spaced in thermodynamic
            length as measured by a short pilot run on the model; None takes
            one rung per 0.75 of length (swap rates near 0.6;
            ``skneq.rbm._path``).
        base : {"data_mean", "visible_bias", "uniform", "mixture"}, array, FactorizedMixture or None
            Base model. ``None``: the estimator's own, the one ``score``
            uses: ``annealing_base_`` (the mixture fitted at ``fit``) when it
            is set and ``X`` is not given, else the data mean (of ``X`` when
            given). ``"data_mean"``: independent visible units with bias the
            logit of the training mean (of ``X`` when given); the model's
            own visible bias, zero, or the given bias of shape
            (n_features,); or a mixture of factorised Bernoulli
            distributions: ``"mixture"`` fits one with
            ``MIXTURE_COMPONENTS`` (20) components on ``X`` (required;
            :func:`skneq.rbm.fit_bernoulli_mixture`, Laplace smoothing, seed
            0), or pass a fitted ``FactorizedMixture``. Hidden units of the
            base are free.
        X : array-like of shape (n_samples, n_features) or None
            Data whose mean sets the ``"data_mean"`` base, or on which the
            ``"mixture"`` base is fitted.
        model_samples : array-like of shape (n, n_features) or None
            Binary starting states of the reverse runs.
        schedule : array-like of shape (n,) or None
            The annealing path's inverse temperatures, increasing from 0 to
            1; overrides ``n_betas`` (default: ``n_betas`` points, 10% of
            them on [0, 0.5], 40% on [0.5, 0.9], 50% on [0.9, 1], as
            Salakhutdinov & Murray 2008).
        beta : float or None
            Inverse temperature; default the model's.
        tol : float or None, default=None
            Stop the rounds early, after at least two, once every check of
            ``AnnealingWorks.failed_checks(tol)`` passes: forward and reverse
            AIS and the rounds' estimates within ``tol`` nats, the parallel
            tempering's equilibrium test passed. None: run all ``max_rounds``.
        max_rounds : int, default=1
            Independent rounds (each its own forward runs, its own parallel
            tempering seeded by them, its own reverse runs), pooled;
            ``extra["rounds"]`` lists each round's estimates.
        refit_base : int or None, default=None
            With ``direction="both"`` and no ``model_samples``: in every
            round, the forward runs from ``base`` only seed the parallel
            tempering, which draws twice ``n_chains`` states; a mixture of
            ``refit_base`` factorised distributions is fitted (EM) on the
            states of half of its chains and is the base of the round's
            forward runs and of its reverse runs, which start from the other
            half's states. ``score`` uses 20 (``log_partition_``): on two
            784 x 500 models it narrowed the sandwich from 2 nats to a few
            tenths (the likelihood guide). ``extra["fitted_bases"]`` holds
            the mixtures, ``extra["rounds"][i]["seed_ais"]`` the forward
            estimates from ``base``.
        random_state : int, RandomState or None
            None: the estimator's own, advanced per call.

        Returns
        -------
        works : AnnealingWorks
            NumPy arrays of the forward and reverse works and ``log Z_A``;
            ``extra["reverse_start"]`` says where the reverse runs started
            ("exact", "given" or "parallel tempering ...") and, after PT,
            ``extra["swap_acceptance"]`` lists its swap rates per rung pair.
        """
        check_option(direction, "direction", ("forward", "reverse", "both"))
        if n_temperatures is not None:
            n_temperatures = check_int(n_temperatures, "n_temperatures", low=2)
        bk = self._fitted_backend()
        bk64 = _backend.Backend(bk.xp, bk.device, bk.accurate_dtype())
        args = self._annealing_args(bk, beta=beta, n_betas=n_betas, n_chains=n_chains, n_steps=n_steps, base=base,
                                    X=X, model_samples=model_samples, schedule=schedule, tol=tol,
                                    max_rounds=max_rounds, refit_base=refit_base, direction=direction)
        rng = self._method_rng(bk64, "log_partition", random_state)
        return self._run_annealing(bk64, direction, rng, n_temperatures=n_temperatures, **args)

    def _run_annealing(self, bk64, direction, rng, *, beta, n_betas, n_chains, n_steps, b_A, model_samples,
                       schedule=None, n_temperatures=None, tol=None, max_rounds=1, refit_base=None):
        xp = bk64.xp
        W, b, c = self._params64(bk64)
        with blas_threads(bk64):
            return _annealing.run_annealing(
                W, b, c, b_A, direction=direction, n_betas=n_betas, n_chains=n_chains, rng=rng, xp=xp,
                n_steps=n_steps, model_samples=model_samples, beta=beta, schedule=schedule,
                n_temperatures=n_temperatures, tol=tol, max_rounds=max_rounds, refit_base=refit_base,
            )

    def log_partition(self, method="exact", *, n_betas=10000, n_chains=100, n_steps=200,
                      n_temperatures=None, base=None, X=None, model_samples=None, schedule=None,
                      beta=None, tol=None, max_rounds=1, refit_base=None, random_state=None):
        """Log partition function ``log Z(beta)`` of the fitted model.

        Parameters
        ----------
        method : {"exact", "ais", "reverse_ais", "bennett"}, default="exact"
            * ``"exact"``: enumerate the smaller layer in blocks (Gray-code
              order, float64; ``skneq.rbm._enumeration``), up to 30 units;
              the time doubles with every unit (at 784 visible units about
              2.2 ns per state and pixel on one CPU core: 7 s for 22 hidden
              units, 2 minutes for 26).
            * ``"ais"``: forward annealed importance sampling from the base
              model (a stochastic lower bound).
            * ``"reverse_ais"``: anneal model samples back to the base model
              (Burda et al. 2015; a stochastic upper bound when the samples
              are at equilibrium).
            * ``"bennett"``: Bennett's acceptance ratio of forward and reverse
              works (Salazar 2017, arXiv:1704.08724, Sec. 5).
        n_betas, n_chains, n_steps, n_temperatures, base, X, model_samples, schedule, beta, random_state
            As in :meth:`annealing_works` (checked, but not used, by
            ``"exact"``, except ``beta``).
        tol, max_rounds, refit_base
            As in :meth:`annealing_works`; they act only with ``"bennett"``,
            the method that runs both directions (``refit_base`` is refused
            with the others).

        Returns
        -------
        log_Z : float
        """
        check_is_fitted(self, "components_")
        check_option(method, "method", METHODS)
        bk = self._fitted_backend()
        if method == "exact":
            # The annealing arguments are not read, but a bad one is an error, not ignored.
            if n_temperatures is not None:
                check_int(n_temperatures, "n_temperatures", low=2)
            args = self._annealing_args(bk, beta=beta, n_betas=n_betas, n_chains=n_chains, n_steps=n_steps,
                                        base=base, X=X, model_samples=model_samples, schedule=schedule, tol=tol,
                                        max_rounds=max_rounds, refit_base=refit_base, fit_mixture=False)
            return self._exact_log_partition(bk, args["beta"], MAX_ENUMERATED_UNITS)
        direction = {"ais": "forward", "reverse_ais": "reverse", "bennett": "both"}[method]
        works = self.annealing_works(direction, n_betas=n_betas, n_chains=n_chains, n_steps=n_steps,
                                     n_temperatures=n_temperatures, base=base, X=X, model_samples=model_samples,
                                     schedule=schedule, beta=beta, tol=tol, max_rounds=max_rounds,
                                     refit_base=refit_base, random_state=random_state)
        return works.log_partition(method)

    def _exact_log_partition(self, bk, beta, max_units):
        """Exact ``log Z(beta)`` (float) by blockwise enumeration of the smaller layer."""
        W, b, c = self._params64(bk)
        n_enum = min(W.shape)
        if n_enum > max_units:
            raise ValueError(f"method='exact' enumerates 2^{n_enum} states, more than 2^{max_units}; "
                             "use method='bennett' (forward and reverse AIS)")
        with blas_threads(bk):
            return float(log_partition_enumerated(W, b, c, beta, xp=bk.xp, max_units=max_units))

    # ------------------------------------------------------------ cached log Z
    def _cached_log_partition(self):
        """``(log Z, (lower, upper), method)`` of the current parameters and ``beta``.

        The cache holds copies of the parameters it was computed from and is
        used only while they, ``beta`` and the base (``annealing_base_``) are
        unchanged, so editing ``components_`` or ``set_params(beta=...)``
        never reuses a stale value.
        """
        check_is_fitted(self, "components_")
        params = self._parameters()
        cached = self.__dict__.get("_log_partition_cache")
        base = self.__dict__.get("annealing_base_")
        if (cached is not None and cached["beta"] == self.beta and cached["base"] is base
                and _same_arrays(cached["params"], params)):
            return cached["value"], cached["interval"], cached["method"]
        bk = self._fitted_backend()
        if min(self.components_.shape) <= MAX_SCORE_EXACT_UNITS:
            value = self._exact_log_partition(bk, self.beta, MAX_SCORE_EXACT_UNITS)
            interval, method = (value, value), "exact"
        else:
            bk64 = _backend.Backend(bk.xp, bk.device, bk.accurate_dtype())
            args = self._annealing_args(bk, beta=None, n_betas=FIT_AIS_BETAS, n_chains=FIT_AIS_CHAINS,
                                        n_steps=FIT_PT_SWEEPS, base=None, X=None, model_samples=None,
                                        tol=LOG_PARTITION_TOL, max_rounds=fit_rounds(self.components_.shape),
                                        refit_base=FIT_REFIT_COMPONENTS)
            # The estimator's own fixed stream: score is reproducible and
            # never advances the counter of sample / gibbs.
            works = self._run_annealing(bk64, "both", self._rng(bk64, "log_partition"), **args)
            value, interval, method = works.log_partition("bennett"), works.interval(), "bennett"
            _warn_if_uncertain(works, interval)
        self._log_partition_cache = {
            "params": tuple(bk.xp.asarray(p, copy=True) for p in params), "beta": self.beta, "base": base,
            "value": value, "interval": interval, "method": method,
        }
        return value, interval, method

    @property
    def log_partition_(self):
        """``log Z`` (float) of the fitted parameters, used by ``score_samples``.

        Exact (blockwise enumeration) when the smaller layer has at most
        ``MAX_SCORE_EXACT_UNITS`` (24) units, else Bennett's estimate from
        forward and reverse AIS pooled over independent rounds, seeded by
        ``random_state``. Each round (``FIT_AIS_BETAS`` = 1000 temperatures,
        ``FIT_AIS_CHAINS`` = 400 runs):

        1. forward AIS from the estimator's base (``annealing_base_``, the
           mixture fitted at ``fit``, or the data mean) seeds
        2. parallel tempering along that path on a ladder measured on the
           model (its end states resampled by weight, ``FIT_PT_SWEEPS`` = 300
           sweeps of burn-in), which draws 800 states from 50 chains;
        3. a mixture of ``FIT_REFIT_COMPONENTS`` = 20 factorised
           distributions is fitted (EM) on the states of 25 of the chains,
        4. forward AIS runs from it, and reverse AIS back to it from the 400
           states of the other 25 chains.

        One round at 784 x 500 and above (about 70 s on one CPU thread),
        more on smaller models, stopped after two once forward,
        reverse and the rounds agree within 1 nat (``fit_rounds``). Computed
        on first use and cached while the parameters and ``beta`` stay the
        same.
        """
        return self._cached_log_partition()[0]

    @property
    def log_partition_interval_(self):
        """``(lower, upper)``: forward-AIS and reverse-AIS estimates around ``log_partition_``.

        Zero width when ``log Z`` is exact. Forward AIS is low and reverse AIS
        high only in expectation: each rests on the few runs with the largest
        weights (``AnnealingWorks.effective_sample_size``), so either can land
        on the wrong side by the Monte-Carlo noise. Bennett's estimate, which
        uses all runs of both directions, varies far less from seed to seed
        (``docs/benchmarks/rbm_ais_defaults.rst``). A ``LikelihoodWarning`` is
        issued when the two differ by more than ``LOG_PARTITION_TOL`` (1 nat),
        or when the parallel tempering that drew the reverse starts fails its
        equilibrium test (``AnnealingWorks.reverse_starts_equilibrated``):
        then the upper end is not a bound at all, only the lower one keeps
        its meaning.
        """
        return self._cached_log_partition()[1]

    @property
    def log_partition_method_(self):
        """How ``log_partition_`` was obtained: ``"exact"`` or ``"bennett"``."""
        check_is_fitted(self, "components_")
        return "exact" if min(self.components_.shape) <= MAX_SCORE_EXACT_UNITS else "bennett"

    # ------------------------------------------------------------ likelihood
    def _log_likelihood_rows(self, X, bk, log_Z):
        """``log p(v)`` of every row, in chunks sized by ``working_memory``."""
        n_hidden, n_features = self.components_.shape
        return map_rows(X, bk, 8 * (2 * n_features + 2 * n_hidden),
                        lambda V: self._log_unnormalized(V, bk) - log_Z, dtype=bk.accurate_dtype())

    def score_samples(self, X):
        """Log-likelihood ``log p(v)`` in nats of each sample.

        Uses ``log_partition_``: exact (blockwise enumeration) when the
        smaller layer has at most ``MAX_SCORE_EXACT_UNITS`` (24) units, else
        Bennett's acceptance ratio of forward AIS and reverse AIS started
        from parallel-tempering samples (see ``log_partition_`` and
        ``log_partition_interval_``, the forward/reverse sandwich).
        Computed in float64, in chunks of rows sized by scikit-learn's
        ``working_memory``. Unlike ``BernoulliRBM.score_samples`` this is the
        true log-likelihood, not a pseudo-likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_p : array of shape (n_samples,)
        """
        X, bk, (xp_in, dev_in) = self._validate_fitted_rows(X)
        log_p = self._log_likelihood_rows(X, bk, self.log_partition_)
        return _backend.convert_like(log_p, xp_in, dev_in)

    def score(self, X, y=None):
        """Mean log-likelihood per sample in nats (a Python float).

        ``log p(v) = -beta F(v) - log Z`` averaged over the rows of ``X``,
        with ``log Z = log_partition_``: exact blockwise enumeration when the
        smaller layer has at most ``MAX_SCORE_EXACT_UNITS`` (24) units;
        otherwise Bennett's acceptance-ratio estimate from forward AIS (1000
        temperatures, 400 runs per round; a stochastic lower bound) and
        reverse AIS (a stochastic upper bound) whose runs start from samples
        of parallel tempering along the annealing path (measured ladder, 300
        sweeps of burn-in), not from the persistent training chains, both
        annealing from a mixture fitted on other samples of that tempering,
        pooled over independent rounds on models smaller than 784 x 500
        (``log_partition_``). The sandwich is ``log_partition_interval_``; a
        ``LikelihoodWarning`` is issued when it is wider than
        ``LOG_PARTITION_TOL`` (1 nat), when the rounds disagree by more, or
        when the parallel tempering fails its equilibrium test. See
        ``score_samples``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        score : float
        """
        X, bk, _ = self._validate_fitted_rows(X)
        return float(bk.xp.mean(self._log_likelihood_rows(X, bk, self.log_partition_)))


def _warn_if_uncertain(works, interval):
    """One ``LikelihoodWarning`` naming every check of the estimate that failed:
    independent rounds that disagree, reverse starts that failed their
    equilibrium test, a forward/reverse sandwich wider than ``LOG_PARTITION_TOL``."""
    lower, _ = interval
    reasons = works.failed_checks(LOG_PARTITION_TOL, interval)
    if reasons:
        warnings.warn(
            "log Z of this RBM is uncertain: " + "; ".join(reasons) + f" (tolerance {LOG_PARTITION_TOL} nat). "
            f"score() can be off by that much per sample; forward AIS ({lower:.2f}) remains a stochastic lower "
            "bound of log Z. Spend more with log_partition('bennett', refit_base=20, n_chains=..., n_steps=..., "
            "max_rounds=...) and compare seeds.",
            LikelihoodWarning, stacklevel=4,
        )


def _same_arrays(old, new):
    """True when the cached parameter copies ``old`` equal ``new`` (same namespace,
    device, shape, dtype and values): a model moved to another backend
    (``estimator_to_numpy``) or edited in place recomputes its log Z."""
    for a, b in zip(old, new):
        if a is None or _backend.namespace_of(a) != _backend.namespace_of(b):
            return False
        if tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype:
            return False
        if not bool(_backend.namespace_of(b)[0].all(a == b)):
            return False
    return True

