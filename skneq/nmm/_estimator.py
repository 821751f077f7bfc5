"""Nonequilibrium Markov machine (Baiesi & Rosso 2025, arXiv:2512.11415): a
two-layer generative model whose visible/latent alternation is a Markov chain
without detailed balance.

The estimator is sklearn glue over :mod:`skneq.nmm._kernels` (transition
probabilities, chain sampling, the approximate gradient of eqs. 16-17),
:mod:`skneq.nmm._estimates` (Rao-Blackwellised latent matrix and its
indicators), :mod:`skneq._optim` and :mod:`skneq._markov` (entropy
production, eq. 21; decorrelation time, eq. 23; mean self-transition, eq. 24).
"""

from __future__ import annotations

import math
import numbers
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from .. import _backend, _optim
from .._base import GenerativeMixin, blas_threads, dense_rows, map_rows, row_chunks
from .._math import gumbel_from_uniform, logit_clipped_mean, sigmoid, softplus
from .._validation import validate_X
from . import _estimates as E
from ._estimates import PostFitEstimates
from . import _kernels as K

__all__ = ["NonequilibriumMarkovMachine"]

# Binary latent: enumerate the 2^L states (score_samples, sample) up to this L.
MAX_ENUMERATED_LATENT = 16
# Visible samples per latent state for the Rao-Blackwellised M monitored
# each epoch (the final estimate uses ``n_rb_samples``).
MONITOR_RB_SAMPLES = 64
# Rows of X (a fixed random subset, drawn once from the monitoring stream)
# used for the per-epoch log-likelihood in history_.
MONITOR_MAX_ROWS = 2000


class NonequilibriumMarkovMachine(PostFitEstimates, GenerativeMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Nonequilibrium Markov machine: two independent transition matrices
    ``A = p(x | z)`` and ``Abar = p(z | x)`` (Baiesi & Rosso 2025, eqs. 1-11).

    ``p(x)`` is the stationary distribution of the chain
    ``x -> z -> x``, trained by the approximate log-likelihood gradient of
    Sec. III on a persistent chain of ``n_steps_per_update`` double steps.

    Parameters
    ----------
    n_components : int, default=6
        Number of latent units ``L`` (scikit-learn's name for the size of
        the latent representation).
    latent : {"onehot", "binary"}, default="onehot"
        ``"onehot"``: exactly one active unit (the paper's experiments), the
        visible bias fixed at 0 (eq. 20). ``"binary"``: factorised latent of
        eq. 11 with ``2^L`` states and a learned visible bias.
    onehot_normalization : {"softmax", "sigmoid_ratio"}, default="softmax"
        One-hot ``p(z | x)``: softmax of the fields (eq. 9 on one-hot states,
        Appendix A.2) or the ratio of sigmoids of eq. 19. Each has its exact
        gradient.
    reversible : bool, default=False
        Equilibrium control: ``wbar = w^T`` and ``abar = c + w^T x_mean``
        so that ``x -> z -> x`` is a Gibbs sampler of one joint distribution
        (detailed balance). Needs ``onehot_normalization="softmax"``.
    centering : bool, default=True
        Subtract the data mean from ``x`` in the exponent of ``Abar`` (eq. 17).
    n_steps_per_update : int, default=48
        Double steps ``T`` of the persistent chain per gradient update.
    n_chains : int, default=1
        Independent persistent chains (their ``T`` pairs are pooled).
    n_iter : int, default=120
        Epochs run by ``fit``.
    n_updates_per_epoch : int, default=30
        Gradient updates per epoch (mini-batches are drawn with
        replacement, so an epoch is a number of updates, not a pass).
    batch_size : int or (int, int), default=(16, 160)
        Mini-batch size, or a schedule growing linearly from the first to the
        second value over the ``n_iter * n_updates_per_epoch`` updates.
        Mini-batches are drawn with replacement.
    optimizer : {"rmsprop", "sgd", "adam"}, default="rmsprop"
    learning_rate : float, default=0.1
    decay : float, default=0.9
        RMSprop decay of the squared-gradient average.
    momentum : float, default=0.9
        SGD momentum, Adam ``beta1``.
    epsilon : float, default=1e-8
        RMSprop / Adam regulariser.
    n_estimate_steps : int, default=20000
        Length of the chain run after ``fit`` to estimate the latent
        occupancy and transition counts (Appendix A.3).
    n_rb_samples : int, default=500
        Visible samples per latent state for the Rao-Blackwellised ``M``.
    n_bootstrap : int, default=50
        Bootstrap resamples for ``entropy_production_std_``.
    monitor : bool, default=True
        Record the monitored quantities of ``history_`` every epoch
        (log-likelihood, entropy production, mean self-transition). They
        draw from their own random stream: the fit is bitwise the same
        with ``monitor=False``.
    dtype : {"float32", "float64"}, default="float32"
        Training dtype; likelihoods are evaluated in float64.
    backend : None, str or module, default=None
        Array namespace (see ``skneq._backend.resolve``).
    verbose : int, default=0
        Print one line per epoch.
    random_state : int, RandomState or None, default=None
        Seeds the named streams (initialization, training, monitoring,
        sampling, bootstrap). Training runs with one BLAS thread on the host
        (``skneq._base.blas_threads``), so a seed gives the same model
        whatever the machine's thread count.

    Attributes
    ----------
    generative_weights_ : array of shape (n_features, n_components)
        ``w`` of ``A`` (eq. 8).
    visible_bias_ : array of shape (n_features,)
        ``a`` (zero for the one-hot latent).
    recognition_weights_ : array of shape (n_components, n_features)
        ``wbar`` of ``Abar`` (eq. 9); ``w^T`` when ``reversible``.
    latent_bias_ : array of shape (n_components,)
        ``abar`` (acting on the centred visible state).
    latent_prior_bias_ : array of shape (n_components,) or None
        ``c`` of the reversible control (None otherwise).
    visible_mean_ : array of shape (n_features,)
        Mean of the training data (the centering vector of eq. 17 when
        ``centering=True``; unused otherwise).
    latent_states_ : array of shape (n_states, n_components)
        The enumerated latent states (identity for one-hot; binary codes,
        unit ``k`` weighing ``2^k``, for ``latent="binary"``).
    latent_occupancy_ : array of shape (n_states,)
        Stationary ``pbar(z)`` estimated on a chain of ``n_estimate_steps``
        as the average of the exact ``Abar[x'(t), z]`` (Rao-Blackwellised
        occupancy; used by ``score_samples`` and ``sample``).
    latent_transition_matrix_ : array of shape (n_states, n_states)
        Rao-Blackwellised ``M[z', z] = E_{x ~ A[z', .]} Abar[x, z]`` (eq. 3),
        ``n_rb_samples`` visible samples per row, exact ``Abar``. No zero
        entries. None when there are more than 256 states.
    latent_transition_counts_ : array of shape (n_states, n_states)
        Transition counts ``C[z', z]`` on the estimation chain (the paper's
        Sec. IV estimate of ``M`` is ``C`` row-normalised); the input of the
        count estimators of ``skneq.metrics.entropy_production_rate``.
    entropy_production_ : float
        Eq. 21 on ``latent_transition_matrix_`` and its stationary vector.
    entropy_production_std_ : float
        Bootstrap standard deviation of ``entropy_production_`` (resampling
        the visible samples of each row).
    entropy_production_counts_ : float
        Eq. 21 on the row-normalised counts with the empirical occupancy;
        ``inf`` when a transition is seen one way only (the paper's
        estimator, very different on near-perfect cycles).
    decorrelation_time_ : float
        Eq. 23 on ``latent_transition_matrix_``.
    mean_self_transition_ : float
        Eq. 24 on ``latent_transition_matrix_``.
    dead_latent_states_ : ndarray of int
        Latent states never visited by the estimation chain.
    history_ : dict of equal-length lists
        One record per epoch: ``"epoch"``, ``"n_updates"``, ``"time"`` (s),
        ``"log_likelihood"`` (eq. 7 on a fixed random subset of at most 2000
        training rows, drawn once from the monitoring stream, with the
        epoch's Rao-Blackwellised occupancy), ``"entropy_production"``,
        ``"mean_self_transition"`` (Rao-Blackwellised M with 64 samples per
        state) and ``"batch_size"`` (last of the epoch). NaN when
        ``monitor=False``.
    chain_state_ : array of shape (n_chains, n_features)
        Persistent fantasy states ``x'(T)``.
    optimizer_state_ : tuple
    n_iter_ : int
        Epochs done.
    n_updates_ : int
        Gradient updates done.
    n_features_in_ : int

    Notes
    -----
    The gradient is evaluated in log space (log-sum-exp over the chain), so
    the ``Q`` rescaling of Appendix A.2 (eq. A1) is unnecessary. Sparse input
    (CSR, CSC, LIL) is densified one mini-batch or chunk at a time; methods
    work in chunks sized by scikit-learn's ``working_memory``.

    References
    ----------
    M. Baiesi and A. Rosso, "Emergence of nonequilibrium latent cycles in
    unsupervised generative modeling" (2025), arXiv:2512.11415.
    """


    _backend_anchor = "generative_weights_"
    _input_domain = "binary"
    # The shapes of the weights, latent states and chains, the reversible
    # tie, the centering and the optimiser's moments.
    _frozen_params = ("n_components", "latent", "reversible", "n_chains", "centering", "optimizer")

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "latent": [StrOptions(set(K.LATENT_KINDS))],
        "onehot_normalization": [StrOptions(set(K.NORMALIZATIONS))],
        "reversible": ["boolean"],
        "centering": ["boolean"],
        "n_steps_per_update": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_chains": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "n_updates_per_epoch": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), tuple, list],
        "optimizer": [StrOptions(set(_optim.OPTIMIZERS))],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "decay": [Interval(numbers.Real, 0, 1, closed="left")],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "epsilon": [Interval(numbers.Real, 0, None, closed="left")],
        "n_estimate_steps": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_rb_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_bootstrap": [Interval(numbers.Integral, 0, None, closed="left")],
        "monitor": ["boolean"],
        "dtype": [StrOptions({"float32", "float64"})],
        "backend": [None, str, object],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=6,
        *,
        latent="onehot",
        onehot_normalization="softmax",
        reversible=False,
        centering=True,
        n_steps_per_update=48,
        n_chains=1,
        n_iter=120,
        n_updates_per_epoch=30,
        batch_size=(16, 160),
        optimizer="rmsprop",
        learning_rate=0.1,
        decay=0.9,
        momentum=0.9,
        epsilon=1e-8,
        n_estimate_steps=20000,
        n_rb_samples=500,
        n_bootstrap=50,
        monitor=True,
        dtype="float32",
        backend=None,
        verbose=0,
        random_state=None,
    ):
        self.n_components = n_components
        self.latent = latent
        self.onehot_normalization = onehot_normalization
        self.reversible = reversible
        self.centering = centering
        self.n_steps_per_update = n_steps_per_update
        self.n_chains = n_chains
        self.n_iter = n_iter
        self.n_updates_per_epoch = n_updates_per_epoch
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.decay = decay
        self.momentum = momentum
        self.epsilon = epsilon
        self.n_estimate_steps = n_estimate_steps
        self.n_rb_samples = n_rb_samples
        self.n_bootstrap = n_bootstrap
        self.monitor = monitor
        self.dtype = dtype
        self.backend = backend
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    @property
    def _n_features_out(self):
        return self.n_components

    def _check_settings(self):
        if self.reversible and self.latent == "onehot" and self.onehot_normalization != "softmax":
            raise ValueError(
                "reversible=True needs onehot_normalization='softmax': the sigmoid ratio of eq. 19 is not "
                "the conditional of any joint distribution with A, so it cannot satisfy detailed balance."
            )
        if isinstance(self.batch_size, (tuple, list)):
            ok = len(self.batch_size) == 2 and all(
                isinstance(b, numbers.Integral) and not isinstance(b, bool) and b >= 1 for b in self.batch_size
            )
            if not ok:
                raise ValueError(f"batch_size must be a positive int or a pair (start, end), got {self.batch_size!r}")
        if self.latent == "binary" and self.n_components > MAX_ENUMERATED_LATENT:
            raise ValueError(
                f"latent='binary' enumerates 2^n_components states for the likelihood; n_components must be <= "
                f"{MAX_ENUMERATED_LATENT}, got {self.n_components}."
            )

    def _validate_input(self, X, *, reset):
        """Validate ``X`` (dense on the compute backend, or CSR on the host) and check it is binary."""
        if reset:
            X, bk, where = validate_X(self, X, reset=True, backend=self.backend, dtype=self.dtype, accept_sparse=True)
        else:
            X, bk, where = validate_X(self, X, reset=False, backend=self._fitted_backend(), accept_sparse=True)
        self._check_domain(X, bk.xp)
        return X, bk, where

    def _rows(self, X, idx, bk, dtype=None):
        """Rows ``idx`` (an index array on the backend) of dense or sparse ``X``, dense."""
        return dense_rows(X, idx, bk, dtype)

    def _batch_size_at(self, update):
        if not isinstance(self.batch_size, (tuple, list)):
            return int(self.batch_size)
        start, end = (int(b) for b in self.batch_size)
        total = self.n_iter * self.n_updates_per_epoch
        frac = min(update / max(total - 1, 1), 1.0)
        return int(round(start + (end - start) * frac))

    def _centering_offset(self):
        """The ``x_mean`` of the kernels: the data mean with ``centering``, else zeros."""
        return self.visible_mean_ if self.centering else self.visible_mean_ * 0.0

    def _model_params(self):
        """(w, a, wbar, abar, x_mean) as used by the kernels."""
        return (self.generative_weights_, self.visible_bias_, self.recognition_weights_, self.latent_bias_,
                self._centering_offset())

    def _trainable(self):
        """Names of the trained parameters, in optimiser order."""
        names = ["w"] if self.latent == "onehot" else ["w", "a"]
        return names + (["c"] if self.reversible else ["wbar", "abar"])

    def _get(self, name):
        return {"w": self.generative_weights_, "a": self.visible_bias_, "wbar": self.recognition_weights_,
                "abar": self.latent_bias_, "c": self.latent_prior_bias_}[name]

    def _set(self, values, xp):
        d = dict(zip(self._trainable(), values))
        self.generative_weights_ = d["w"]
        if "a" in d:
            self.visible_bias_ = d["a"]
        if self.reversible:
            self.latent_prior_bias_ = d["c"]
            self.recognition_weights_, self.latent_bias_ = K.tie_reversible(
                d["w"], d["c"], self._centering_offset(), xp=xp)
        else:
            self.recognition_weights_, self.latent_bias_ = d["wbar"], d["abar"]

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def _initialize(self, X, bk, rng):
        self._record_frozen_params()
        xp = bk.xp
        n, D = X.shape
        L = self.n_components
        member, n_sub = K.subset_membership(rng.uniform((n, L)), xp=xp)
        # Column sums and subset sums one chunk at a time (sparse X is never densified whole).
        total = xp.zeros((D,), dtype=bk.dtype, device=bk.device)
        subset = xp.zeros((D, L), dtype=bk.dtype, device=bk.device)
        for rows in row_chunks(n, 4 * (D + L)):
            part = dense_rows(X, rows, bk, bk.dtype)
            total = total + xp.sum(part, axis=0)
            subset = subset + xp.matrix_transpose(part) @ member[rows, ...]
        self.visible_mean_ = total / n
        w = K.logit_of_means(subset / n_sub, xp=xp)  # Appendix A.1
        if self.latent == "onehot":
            a = xp.zeros((D,), dtype=bk.dtype, device=bk.device)
        else:
            # Several binary units add their fields: start from the marginals
            # and let each unit carry 1/L of its subset's deviation.
            a = logit_clipped_mean(self.visible_mean_[None, :], xp=xp)
            w = (w - a[:, None]) / L
        self.generative_weights_, self.visible_bias_ = w, a
        self.latent_states_ = K.latent_states(L, self.latent, xp=xp, dtype=bk.dtype, device=bk.device)
        if self.reversible:
            # c = -ln Z(z) gives a uniform latent prior for the one-hot joint.
            if self.latent == "onehot":
                c = -xp.sum(softplus(K.visible_fields(self.latent_states_, w, a, xp=xp), xp=xp), axis=1)
            else:
                c = xp.zeros((L,), dtype=bk.dtype, device=bk.device)
            self.latent_prior_bias_ = c
            self.recognition_weights_, self.latent_bias_ = K.tie_reversible(w, c, self._centering_offset(), xp=xp)
        else:
            self.latent_prior_bias_ = None
            self.recognition_weights_ = xp.zeros((L, D), dtype=bk.dtype, device=bk.device)
            self.latent_bias_ = xp.zeros((L,), dtype=bk.dtype, device=bk.device)
        self.chain_state_ = self._rows(X, rng.integers(n, (self.n_chains,)), bk)
        self.optimizer_state_ = _optim.init(self.optimizer, tuple(self._get(k) for k in self._trainable()), xp=xp)
        self._init_history("log_likelihood", "entropy_production", "mean_self_transition", "batch_size")
        self.n_iter_ = 0
        self.n_updates_ = 0

    def _sample_chain(self, x0, n_steps, rng, bk):
        """``n_steps`` double steps from ``x0`` (C, D): Xp (C, n+1, D), Z (C, n, L), Up (C, n, L)."""
        xp = bk.xp
        C, D = x0.shape
        w, a, wbar, abar, x_mean = self._model_params()
        ux = rng.uniform((C, n_steps, D), dtype=x0.dtype)
        uz = rng.uniform((C, n_steps, self.n_components), dtype=x0.dtype)
        if self.latent == "onehot":
            return K.sample_chain_onehot(x0, w, a, wbar, abar, x_mean, ux, gumbel_from_uniform(uz, xp=xp),
                                         normalization=self.onehot_normalization, xp=xp)
        return K.sample_chain_sequential(x0, w, a, wbar, abar, x_mean, ux, uz, latent="binary",
                                         normalization=self.onehot_normalization, xp=xp)

    def _gradient_step(self, X, bk, rng):
        xp = bk.xp
        T, C, D = self.n_steps_per_update, self.n_chains, X.shape[1]
        batch = self._rows(X, rng.integers(X.shape[0], (self._batch_size_at(self.n_updates_),)), bk)
        Xp, Z, Up = self._sample_chain(self.chain_state_, T, rng, bk)
        self.chain_state_ = Xp[:, T, :]
        w, a, wbar, abar, x_mean = self._model_params()
        Xp = xp.reshape(Xp[:, :T, :], (C * T, D))
        Z = xp.reshape(Z, (C * T, self.n_components))
        Up = xp.reshape(Up, (C * T, self.n_components))
        gw, ga, gwbar, gabar, _ = K.approx_gradient(batch, Xp, Z, Up, w, a, x_mean, latent=self.latent,
                                                    normalization=self.onehot_normalization, xp=xp)
        if self.reversible:
            gw, gc = K.untie_reversible_gradient(gw, gwbar, gabar, x_mean, xp=xp)
            grads = {"w": gw, "a": ga, "c": gc}
        else:
            grads = {"w": gw, "a": ga, "wbar": gwbar, "abar": gabar}
        names = self._trainable()
        values, self.optimizer_state_ = _optim.step(
            self.optimizer, tuple(self._get(k) for k in names), tuple(grads[k] for k in names),
            self.optimizer_state_, learning_rate=self.learning_rate, momentum=self.momentum,
            decay=self.decay, eps=self.epsilon, xp=xp)
        self._set(values, xp)
        self.n_updates_ += 1
        return Up

    def _run_epoch(self, X, X_monitor, bk, rng):
        t0 = time.perf_counter()
        occupancy = None
        for _ in range(self.n_updates_per_epoch):
            Up = self._gradient_step(X, bk, rng)
            occupancy = self._accumulate_occupancy(occupancy, Up, bk)
        self._finish_epoch(occupancy, X_monitor, bk, t0)

    def _accumulate_occupancy(self, occupancy, Up, bk):
        """Add the exact latent posteriors of the update's chain to the epoch's occupancy (monitor only)."""
        if not self.monitor or self._n_matrix_states() is None:
            return occupancy
        p = bk.xp.sum(self._latent_posterior(Up, bk), axis=-2)
        return p if occupancy is None else occupancy + p

    def _finish_epoch(self, occupancy, X_monitor, bk, t0, log_likelihood=None):
        """Count the epoch and record ``history_`` (the monitor reads the model, draws from its own stream).

        ``log_likelihood``: the monitored value when the caller computed it
        (the batched runs do it for all runs in one product).
        """
        xp = bk.xp
        self.n_iter_ += 1
        record = dict(log_likelihood=math.nan, entropy_production=math.nan, mean_self_transition=math.nan)
        if self.monitor and occupancy is not None:
            monitor_rng = self._rng(bk, "monitoring", 1 + self.n_iter_)
            occupancy = occupancy / xp.sum(occupancy)
            P = self._rb_samples(MONITOR_RB_SAMPLES, monitor_rng, bk)
            sigma, _, self_tr = E.markov_indicators(E.rb_matrix(_backend.to_numpy(P)), spectral=False)
            if log_likelihood is None:
                log_likelihood = float(xp.mean(self._log_likelihood(X_monitor, occupancy, bk)))
            record.update(log_likelihood=log_likelihood,
                          entropy_production=sigma, mean_self_transition=self_tr)
        self._record_history(epoch=self.n_iter_, n_updates=self.n_updates_, time=time.perf_counter() - t0,
                             batch_size=self._batch_size_at(self.n_updates_ - 1), **record)
        h = self.history_
        self._progress(f"epoch {self.n_iter_:4d}  log-likelihood {h['log_likelihood'][-1]:9.3f}  "
                       f"entropy production {h['entropy_production'][-1]:7.4f}  "
                       f"self-transition {h['mean_self_transition'][-1]:.3f}  time {h['time'][-1]:.2f}s")

    def _monitor_rows(self, X, bk):
        """The fixed random subset of at most ``MONITOR_MAX_ROWS`` rows (float64) of the log-likelihood record.

        Drawn from the monitoring stream with a fixed salt, so it is the same
        subset every epoch and every ``partial_fit`` call, and it covers every
        class of class-sorted data (``X[:2000]`` would not).
        """
        n = X.shape[0]
        if n <= MONITOR_MAX_ROWS:
            return map_rows(X, bk, 8 * X.shape[1], lambda part: bk.xp.astype(part, bk.accurate_dtype()))
        idx = np.sort(_backend.to_numpy(self._rng(bk, "monitoring", 0).permutation(n))[:MONITOR_MAX_ROWS])
        return self._rows(X, _backend.to_device(idx, bk.xp, bk.device), bk, bk.accurate_dtype())

    def _train(self, X, n_epochs, first):
        self._check_settings()
        X, bk, _ = self._validate_input(X, reset=first)
        with blas_threads(bk):
            if first:
                self._initialize(X, bk, self._rng(bk, "initialization"))
            rng = self._rng(bk, "training", self.n_iter_)
            X_monitor = self._monitor_rows(X, bk) if self.monitor else None
            for _ in range(n_epochs):
                self._run_epoch(X, X_monitor, bk, rng)
            self._estimate(bk, self._rng(bk, "sampling", self.n_iter_))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train for ``n_iter`` epochs from the Appendix A.1 initialisation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Binary data in {0, 1}.
        y : ignored

        Returns
        -------
        self
        """
        return self._train(X, self.n_iter, first=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Continue training for one epoch (initialising on the first call).

        ``n_components``, ``latent``, ``reversible``, ``n_chains``,
        ``centering`` and ``optimizer`` fix the fitted state: changing one
        with ``set_params`` after the first call raises a ``ValueError``.
        """
        first = not hasattr(self, "generative_weights_")
        if not first:
            self._check_frozen_params()
        return self._train(X, 1, first=first)

    # ------------------------------------------------------------------
    # estimates
    # ------------------------------------------------------------------
    def score_samples(self, X):
        """``ln p(x)`` in nats by eq. 5 with the estimated ``latent_occupancy_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Binary data.

        Returns
        -------
        log_p : array of shape (n_samples,)
            Computed in float64, in chunks of rows sized by ``working_memory``.
        """
        log_p, _, (xp_in, dev_in) = self._log_likelihood_chunked(X)
        return _backend.convert_like(log_p, xp_in, dev_in)

    def score(self, X, y=None):
        """Mean log-likelihood per sample in nats (a Python float)."""
        log_p, bk, _ = self._log_likelihood_chunked(X)
        return float(bk.xp.mean(log_p))

    def _log_likelihood_chunked(self, X):
        """Validated eq. 5 on the fitted backend, in chunks sized by ``working_memory``."""
        X, bk, where = self._validate_input(X, reset=False)
        bytes_per_row = 8 * (X.shape[1] + 3 * self.latent_states_.shape[0])
        return map_rows(X, bk, bytes_per_row,
                                lambda part: self._log_likelihood(part, self.latent_occupancy_, bk)), bk, where

    def transform(self, X):
        """``p(z | x)``: one-hot state probabilities (eq. 9 / 19) or binary unit means (eq. 11).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        P : array of shape (n_samples, n_components)
        """
        X, bk, (xp_in, dev_in) = self._validate_input(X, reset=False)
        xp = bk.xp

        def chunk(part):
            U = K.latent_fields(part, self.recognition_weights_, self.latent_bias_, self._centering_offset(), xp=xp)
            return self._latent_posterior(U, bk) if self.latent == "onehot" else sigmoid(U, xp=xp)

        out = map_rows(X, bk, 4 * (X.shape[1] + 3 * self.n_components), chunk)
        return _backend.convert_like(out, xp_in, dev_in)
