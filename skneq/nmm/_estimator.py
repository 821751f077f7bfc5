"""Nonequilibrium Markov machine (Baiesi & Rosso, paper 000): a two-layer
generative model whose visible/latent alternation is a Markov chain without
detailed balance.

The estimator is sklearn glue over :mod:`skneq.nmm._kernels` (transition
probabilities, chain sampling, the approximate gradient of eqs. 16-17),
:mod:`skneq._optim` and :mod:`skneq.metrics` (entropy production, eq. 21;
decorrelation time, eq. 23; mean self-transition, eq. 24).
"""

from __future__ import annotations

import math
import numbers
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import _backend, _optim
from . import _kernels as K
from .._math import sigmoid, softplus
from .._validation import check_binary, validate_X
from ._study import _check_positive, _markov_indicators, _rb_matrix
from ._study import dominant_cycle, fit_independent_runs, latent_class_assignment  # noqa: F401

__all__ = ["NonequilibriumMarkovMachine", "fit_independent_runs", "dominant_cycle", "latent_class_assignment"]

# Binary latent: enumerate the 2^L states (score_samples, sample) up to this L,
# and estimate the latent Markov matrix M up to this many states.
MAX_ENUMERATED_LATENT = 16
MAX_MATRIX_STATES = 256
# Visible samples per latent state for the Rao-Blackwellised M monitored
# each epoch (the final estimate uses ``n_rb_samples``).
MONITOR_RB_SAMPLES = 64
# Rows of X used for the per-epoch log-likelihood in history_.
MONITOR_MAX_ROWS = 2000
# Steps of the post-fit estimation chain sampled per block (bounds memory:
# the one-hot sampler holds T x L x D candidates).
ESTIMATE_BLOCK_STEPS = 256


class NonequilibriumMarkovMachine(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Nonequilibrium Markov machine: two independent transition matrices
    ``A = p(x | z)`` and ``Abar = p(z | x)`` (paper 000, eqs. 1-11).

    ``p(x)`` is the stationary distribution of the chain
    ``x -> z -> x``, trained by the approximate log-likelihood gradient of
    Sec. III on a persistent chain of ``n_chain_steps`` double steps.

    Parameters
    ----------
    n_latent : int, default=6
        Number of latent units ``L``.
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
    n_chain_steps : int, default=48
        Double steps ``T`` of the persistent chain per gradient step.
    n_chains : int, default=1
        Independent persistent chains (their ``T`` pairs are pooled).
    n_epochs : int, default=120
        Epochs run by ``fit``.
    steps_per_epoch : int, default=30
        Gradient steps per epoch.
    batch_size : int or (int, int), default=(16, 160)
        Mini-batch size, or a schedule growing linearly from the first to the
        second value over the ``n_epochs * steps_per_epoch`` steps.
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
        Record ``history_`` every epoch (log-likelihood, entropy production,
        mean self-transition).
    dtype : {"float32", "float64"}, default="float32"
        Training dtype; likelihoods are evaluated in float64.
    backend : None, str or module, default=None
        Array namespace (see ``skneq._backend.resolve``).
    verbose : int, default=0
        Print one line per epoch.
    random_state : int, RandomState or None, default=None

    Attributes
    ----------
    generative_weights_ : array of shape (n_features, n_latent)
        ``w`` of ``A`` (eq. 8).
    visible_bias_ : array of shape (n_features,)
        ``a`` (zero for the one-hot latent).
    recognition_weights_ : array of shape (n_latent, n_features)
        ``wbar`` of ``Abar`` (eq. 9); ``w^T`` when ``reversible``.
    latent_bias_ : array of shape (n_latent,)
        ``abar`` (acting on the centred visible state).
    latent_prior_bias_ : array of shape (n_latent,) or None
        ``c`` of the reversible control (None otherwise).
    visible_mean_ : array of shape (n_features,)
        Centering vector (zeros when ``centering=False``).
    latent_states_ : array of shape (n_states, n_latent)
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
        ``M`` from row-normalised transition counts on the estimation chain
        (the paper's Sec. IV estimate).
    entropy_production_ : float
        Eq. 21 on ``latent_transition_matrix_`` and its stationary vector.
    entropy_production_std_ : float
        Bootstrap standard deviation of ``entropy_production_`` (resampling
        the visible samples of each row).
    entropy_production_counts_ : float
        Eq. 21 on ``latent_transition_counts_`` with the empirical occupancy;
        ``inf`` when a transition is seen one way only (the paper's
        estimator, very different on near-perfect cycles).
    decorrelation_time_ : float
        Eq. 23 on ``latent_transition_matrix_``.
    mean_self_transition_ : float
        Eq. 24 on ``latent_transition_matrix_``.
    dead_latent_states_ : ndarray of int
        Latent states never visited by the estimation chain.
    history_ : dict of lists
        Per epoch: ``"log_likelihood"`` (eq. 7 on the training data with the
        epoch's Rao-Blackwellised occupancy), ``"entropy_production"``,
        ``"mean_self_transition"`` (Rao-Blackwellised M with 64 samples per
        state), ``"batch_size"`` (last of the epoch) and ``"time"`` (s).
    chain_state_ : array of shape (n_chains, n_features)
        Persistent fantasy states ``x'(T)``.
    optimizer_state_ : tuple
    n_iter_ : int
        Epochs done. ``n_steps_`` : gradient steps done.
    n_features_in_ : int

    Notes
    -----
    The gradient is evaluated in log space (log-sum-exp over the chain), so
    the ``Q`` rescaling of Appendix A.2 (eq. A1) is unnecessary.
    """

    _parameter_constraints = {
        "n_latent": [Interval(numbers.Integral, 1, None, closed="left")],
        "latent": [StrOptions(set(K.LATENT_KINDS))],
        "onehot_normalization": [StrOptions(set(K.NORMALIZATIONS))],
        "reversible": ["boolean"],
        "centering": ["boolean"],
        "n_chain_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_chains": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "steps_per_epoch": [Interval(numbers.Integral, 1, None, closed="left")],
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
        n_latent=6,
        *,
        latent="onehot",
        onehot_normalization="softmax",
        reversible=False,
        centering=True,
        n_chain_steps=48,
        n_chains=1,
        n_epochs=120,
        steps_per_epoch=30,
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
        self.n_latent = n_latent
        self.latent = latent
        self.onehot_normalization = onehot_normalization
        self.reversible = reversible
        self.centering = centering
        self.n_chain_steps = n_chain_steps
        self.n_chains = n_chains
        self.n_epochs = n_epochs
        self.steps_per_epoch = steps_per_epoch
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
        return self.n_latent

    def _check_settings(self):
        if self.reversible and self.latent == "onehot" and self.onehot_normalization != "softmax":
            raise ValueError(
                "reversible=True needs onehot_normalization='softmax': the sigmoid ratio of eq. 19 is not "
                "the conditional of any joint distribution with A, so it cannot satisfy detailed balance."
            )
        if isinstance(self.batch_size, (tuple, list)):
            ok = len(self.batch_size) == 2 and all(
                isinstance(b, numbers.Integral) and b >= 1 for b in self.batch_size
            )
            if not ok:
                raise ValueError(f"batch_size must be a positive int or a pair (start, end), got {self.batch_size!r}")
        if self.latent == "binary" and self.n_latent > MAX_ENUMERATED_LATENT:
            raise ValueError(
                f"latent='binary' enumerates 2^n_latent states for the likelihood; n_latent must be <= "
                f"{MAX_ENUMERATED_LATENT}, got {self.n_latent}."
            )

    def _fitted_backend(self):
        return _backend.backend_of(self.generative_weights_)

    def _validate_fitted_input(self, X):
        check_is_fitted(self)
        bk = self._fitted_backend()
        X, bk, where = validate_X(self, X, reset=False, backend=bk)
        check_binary(X, bk.xp, what=type(self).__name__)
        return X, bk, where

    def _batch_size_at(self, step):
        if not isinstance(self.batch_size, (tuple, list)):
            return int(self.batch_size)
        start, end = (int(b) for b in self.batch_size)
        total = self.n_epochs * self.steps_per_epoch
        frac = min(step / max(total - 1, 1), 1.0)
        return int(round(start + (end - start) * frac))

    def _model_params(self):
        """(w, a, wbar, abar, x_mean) as used by the kernels."""
        return (self.generative_weights_, self.visible_bias_, self.recognition_weights_, self.latent_bias_,
                self.visible_mean_)

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
                d["w"], d["c"], self.visible_mean_, xp=xp)
        else:
            self.recognition_weights_, self.latent_bias_ = d["wbar"], d["abar"]

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def _initialize(self, X, bk, rng):
        xp = bk.xp
        n, D = X.shape
        L = self.n_latent
        mean = xp.mean(X, axis=0)
        self.visible_mean_ = mean if self.centering else xp.zeros_like(mean)
        w = K.init_generative_weights(X, L, rng.uniform((n, L)), xp=xp)  # Appendix A.1
        if self.latent == "onehot":
            a = xp.zeros((D,), dtype=bk.dtype, device=bk.device)
        else:
            # Several binary units add their fields: start from the marginals
            # and let each unit carry 1/L of its subset's deviation.
            clipped = xp.clip(mean, 1e-3, 1 - 1e-3)
            a = xp.log(clipped) - xp.log1p(-clipped)
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
            self.recognition_weights_, self.latent_bias_ = K.tie_reversible(w, c, self.visible_mean_, xp=xp)
        else:
            self.latent_prior_bias_ = None
            self.recognition_weights_ = xp.zeros((L, D), dtype=bk.dtype, device=bk.device)
            self.latent_bias_ = xp.zeros((L,), dtype=bk.dtype, device=bk.device)
        self.chain_state_ = xp.take(X, rng.integers(n, (self.n_chains,)), axis=0)
        self.optimizer_state_ = _optim.init(self.optimizer, tuple(self._get(k) for k in self._trainable()), xp=xp)
        self.history_ = {k: [] for k in ("log_likelihood", "entropy_production", "mean_self_transition",
                                         "batch_size", "time")}
        self.n_iter_ = 0
        self.n_steps_ = 0

    def _sample_chain(self, x0, n_steps, rng, bk):
        """``n_steps`` double steps from ``x0`` (C, D): Xp (C, n+1, D), Z (C, n, L), Up (C, n, L)."""
        xp = bk.xp
        C, D = x0.shape
        w, a, wbar, abar, x_mean = self._model_params()
        ux = rng.uniform((C, n_steps, D), dtype=x0.dtype)
        uz = rng.uniform((C, n_steps, self.n_latent), dtype=x0.dtype)
        if self.latent == "onehot":
            return K.sample_chain_onehot(x0, w, a, wbar, abar, x_mean, ux, K.gumbel_from_uniform(uz, xp=xp),
                                         normalization=self.onehot_normalization, xp=xp)
        return K.sample_chain_sequential(x0, w, a, wbar, abar, x_mean, ux, uz, latent="binary",
                                         normalization=self.onehot_normalization, xp=xp)

    def _gradient_step(self, X, bk, rng):
        xp = bk.xp
        T, C, D = self.n_chain_steps, self.n_chains, X.shape[1]
        batch = xp.take(X, rng.integers(X.shape[0], (self._batch_size_at(self.n_steps_),)), axis=0)
        Xp, Z, Up = self._sample_chain(self.chain_state_, T, rng, bk)
        self.chain_state_ = Xp[:, T, :]
        w, a, wbar, abar, x_mean = self._model_params()
        Xp = xp.reshape(Xp[:, :T, :], (C * T, D))
        Z = xp.reshape(Z, (C * T, self.n_latent))
        Up = xp.reshape(Up, (C * T, self.n_latent))
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
        self.n_steps_ += 1
        return Up

    def _run_epoch(self, X, X_monitor, bk, rng):
        xp = bk.xp
        t0 = time.perf_counter()
        occupancy = None
        for _ in range(self.steps_per_epoch):
            Up = self._gradient_step(X, bk, rng)
            if self.monitor and self._n_matrix_states() is not None:
                p = xp.sum(self._latent_posterior(Up, bk), axis=0)
                occupancy = p if occupancy is None else occupancy + p
        self.n_iter_ += 1
        h = self.history_
        h["batch_size"].append(self._batch_size_at(self.n_steps_ - 1))
        if self.monitor and occupancy is not None:
            occupancy = occupancy / xp.sum(occupancy)
            h["log_likelihood"].append(float(xp.mean(self._log_likelihood(X_monitor, occupancy, bk))))
            P = self._rb_samples(MONITOR_RB_SAMPLES, rng, bk)
            sigma, _, self_tr = _markov_indicators(_rb_matrix(_backend.to_numpy(P)), spectral=False)
            h["entropy_production"].append(sigma)
            h["mean_self_transition"].append(self_tr)
        else:
            for k in ("log_likelihood", "entropy_production", "mean_self_transition"):
                h[k].append(math.nan)
        h["time"].append(time.perf_counter() - t0)
        if self.verbose:
            print(f"[{type(self).__name__}] epoch {self.n_iter_:4d}  log-likelihood {h['log_likelihood'][-1]:9.3f}  "
                  f"entropy production {h['entropy_production'][-1]:7.4f}  "
                  f"self-transition {h['mean_self_transition'][-1]:.3f}  time {h['time'][-1]:.2f}s")

    def _n_matrix_states(self):
        n = self.latent_states_.shape[0]
        return n if n <= MAX_MATRIX_STATES else None

    def _latent_posterior(self, U, bk):
        """Exact ``Abar[x, z]`` over the enumerated states for fields ``U``: (N, n_states)."""
        return bk.xp.exp(K.log_latent_given_visible(U, self.latent_states_, self.latent, self.onehot_normalization,
                                                    xp=bk.xp))

    def _log_likelihood(self, X, occupancy, bk):
        """Eq. 5 in float64 for rows of ``X`` given an occupancy over the enumerated states."""
        xp = bk.xp
        dt = bk.accurate_dtype()
        H = K.visible_fields(xp.astype(self.latent_states_, dt), xp.astype(self.generative_weights_, dt),
                             xp.astype(self.visible_bias_, dt), xp=xp)
        occ = xp.astype(occupancy, dt)
        log_occ = xp.where(occ > 0, xp.log(xp.where(occ > 0, occ, xp.ones_like(occ))), -math.inf)
        return K.log_likelihood(X if X.dtype == dt else xp.astype(X, dt), H, log_occ, xp=xp)

    def _rb_samples(self, n_samples, rng, bk):
        """Per-sample exact ``Abar`` at ``x ~ A[z', .]``, float64: (S, n_samples, S)."""
        xp, dt = bk.xp, bk.accurate_dtype()
        S, D = self.latent_states_.shape[0], self.generative_weights_.shape[0]
        w, a, wbar, abar, x_mean = (xp.astype(p, dt) for p in self._model_params())
        states = xp.astype(self.latent_states_, dt)
        ux = rng.uniform((S, n_samples, D), dtype=dt)
        return K.latent_posterior_samples(states, w, a, wbar, abar, x_mean, ux, states,
                                          latent=self.latent, normalization=self.onehot_normalization, xp=xp)

    def _estimate(self, bk, rng):
        """Post-fit estimates on a long chain (Appendix A.3) and the latent M."""
        xp = bk.xp
        from ..metrics import entropy_production_rate, state_distribution, transition_matrix

        C = self.n_chains
        steps = max(2, -(-self.n_estimate_steps // C))
        n_states = self.latent_states_.shape[0]
        occupancy = None
        labels = []
        x = self.chain_state_
        done = 0
        while done < steps:
            n = min(ESTIMATE_BLOCK_STEPS, steps - done)
            Xp, Z, Up = self._sample_chain(x, n, rng, bk)
            x = Xp[:, n, :]
            p = xp.sum(self._latent_posterior(xp.reshape(Up, (C * n, self.n_latent)), bk), axis=0)
            occupancy = p if occupancy is None else occupancy + p
            labels.append(_backend.to_numpy(self._labels(xp.reshape(Z, (C * n, self.n_latent)), xp)).reshape(C, n))
            done += n
        self.chain_state_ = x
        self.latent_occupancy_ = occupancy / xp.sum(occupancy)
        labels = np.concatenate(labels, axis=1)
        visits = np.bincount(labels.ravel(), minlength=n_states)
        self.dead_latent_states_ = np.flatnonzero(visits == 0)
        if n_states > MAX_MATRIX_STATES:
            self.latent_transition_matrix_ = self.latent_transition_counts_ = None
            self.entropy_production_ = self.entropy_production_std_ = math.nan
            self.entropy_production_counts_ = self.decorrelation_time_ = self.mean_self_transition_ = math.nan
            return
        counts = transition_matrix(labels, n_states)
        self.latent_transition_counts_ = _backend.to_device(counts, xp, bk.device)
        self.entropy_production_counts_ = entropy_production_rate(counts, state_distribution(labels, n_states))
        P = _backend.to_numpy(self._rb_samples(self.n_rb_samples, rng, bk))
        M = _rb_matrix(P)
        self.latent_transition_matrix_ = _backend.to_device(M, xp, bk.device)
        sigma, tau, self_tr = _markov_indicators(M)
        self.entropy_production_, self.decorrelation_time_, self.mean_self_transition_ = sigma, tau, self_tr
        # Bootstrap over the visible samples of each row of M (host, L x L work).
        boot_rng = np.random.default_rng(_backend.seed_from(self.random_state, self.n_iter_, 7))
        sigmas = [_markov_indicators(_rb_matrix(P[:, boot_rng.integers(0, P.shape[1], P.shape[1]), :]),
                                     spectral=False)[0]
                  for _ in range(self.n_bootstrap)]
        self.entropy_production_std_ = float(np.std(sigmas)) if len(sigmas) > 1 else math.nan

    def _labels(self, Z, xp):
        if self.latent == "onehot":
            return xp.argmax(Z, axis=1)
        return K.state_index(Z, xp=xp)

    def _train(self, X, n_epochs, first):
        self._check_settings()
        if first:
            X, bk, _ = validate_X(self, X, reset=True, backend=self.backend, dtype=self.dtype)
        else:
            X, bk, _ = self._validate_fitted_input(X)
        check_binary(X, bk.xp, what=type(self).__name__)
        if first:
            self._initialize(X, bk, _backend.make_rng(bk, self.random_state, 0))
        rng = _backend.make_rng(bk, self.random_state, 1, self.n_iter_)
        # Cast once: the per-epoch likelihood runs in float64.
        X_monitor = bk.xp.astype(X[: min(MONITOR_MAX_ROWS, X.shape[0]), ...], bk.accurate_dtype())
        for _ in range(n_epochs):
            self._run_epoch(X, X_monitor, bk, rng)
        self._estimate(bk, rng)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train for ``n_epochs`` epochs from the Appendix A.1 initialisation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Binary data in {0, 1}.
        y : ignored

        Returns
        -------
        self
        """
        return self._train(X, self.n_epochs, first=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Continue training for one epoch (initialising on the first call)."""
        first = not hasattr(self, "generative_weights_")
        return self._train(X, 1, first=first)

    # ------------------------------------------------------------------
    # estimates
    # ------------------------------------------------------------------
    def score_samples(self, X):
        """``ln p(x)`` in nats by eq. 5 with the estimated ``latent_occupancy_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_p : array of shape (n_samples,)
        """
        X, bk, (xp_in, dev_in) = self._validate_fitted_input(X)
        return _backend.convert_like(self._log_likelihood(X, self.latent_occupancy_, bk), xp_in, dev_in)

    def score(self, X, y=None):
        """Mean log-likelihood per sample in nats (a Python float)."""
        X, bk, _ = self._validate_fitted_input(X)
        return float(bk.xp.mean(self._log_likelihood(X, self.latent_occupancy_, bk)))

    def transform(self, X):
        """``p(z | x)``: one-hot state probabilities (eq. 9 / 19) or binary unit means (eq. 11).

        Returns
        -------
        P : array of shape (n_samples, n_latent)
        """
        X, bk, (xp_in, dev_in) = self._validate_fitted_input(X)
        xp = bk.xp
        U = K.latent_fields(X, self.recognition_weights_, self.latent_bias_, self.visible_mean_, xp=xp)
        if self.latent == "onehot":
            P = self._latent_posterior(U, bk)
        else:
            P = sigmoid(U, xp=xp)
        return _backend.convert_like(P, xp_in, dev_in)

    def sample(self, n_samples=1, *, return_latent=False, random_state=None):
        """Independent draws from the stationary ``p(x) = sum_z pbar(z) A[z, x]`` (eq. 5).

        Parameters
        ----------
        n_samples : int, default=1
        return_latent : bool, default=False
            Also return the latent state each sample was drawn from.
        random_state : int, RandomState or None
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        X : array of shape (n_samples, n_features)
        Z : array of shape (n_samples, n_latent), only with ``return_latent``
        """
        check_is_fitted(self)
        n_samples = _check_positive(n_samples, "n_samples")
        bk = self._fitted_backend()
        xp = bk.xp
        rng = _backend.make_rng(bk, self.random_state if random_state is None else random_state, 2)
        occ = xp.astype(self.latent_occupancy_, bk.dtype)
        log_occ = xp.where(occ > 0, xp.log(xp.where(occ > 0, occ, xp.ones_like(occ))), -math.inf)
        k = rng.categorical(xp.broadcast_to(log_occ, (n_samples, occ.shape[0])))
        Z = xp.take(self.latent_states_, k, axis=0)
        X = rng.bernoulli(sigmoid(K.visible_fields(Z, self.generative_weights_, self.visible_bias_, xp=xp), xp=xp))
        return (X, Z) if return_latent else X

    def sample_trajectory(self, n_steps, *, init=None, random_state=None):
        """Run the chain ``x'(t) -> z(t) -> x'(t+1)`` for ``n_steps`` double steps.

        Parameters
        ----------
        n_steps : int
        init : array-like of shape (n_features,) or (1, n_features), optional
            Starting visible state; default the persistent training chain.
        random_state : int, RandomState or None

        Returns
        -------
        X : array of shape (n_steps, n_features)
            ``x'(0) ... x'(n_steps - 1)``.
        Z : array of shape (n_steps, n_latent)
            ``z(t) ~ Abar[x'(t), .]``.
        """
        check_is_fitted(self)
        n_steps = _check_positive(n_steps, "n_steps")
        bk = self._fitted_backend()
        xp = bk.xp
        if init is None:
            x = self.chain_state_[:1, ...]
        else:
            x, _, _ = self._validate_fitted_input(xp.reshape(_backend.to_device(init, xp, bk.device), (1, -1)))
        rng = _backend.make_rng(bk, self.random_state if random_state is None else random_state, 3)
        Xs, Zs = [], []
        done = 0
        while done < n_steps:
            n = min(ESTIMATE_BLOCK_STEPS, n_steps - done)
            Xp, Z, _ = self._sample_chain(x, n, rng, bk)
            Xs.append(Xp[0, :n, :])
            Zs.append(Z[0, ...])
            x = Xp[:, n, :]
            done += n
        return xp.concat(Xs, axis=0), xp.concat(Zs, axis=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
