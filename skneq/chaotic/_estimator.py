"""Generative models driven by internal high-dimensional chaos.

Fournier & Urbani, "Generative modeling through internal high-dimensional
chaotic activity" (2024, arXiv:2405.10822). The estimator is thin
scikit-learn glue around :mod:`skneq.chaotic._kernels`; the methods that
run a fitted network are in :mod:`skneq.chaotic._generation`.
"""

from __future__ import annotations

import numbers
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if

from .. import _backend
from .._base import GenerativeMixin, blas_threads, dense_rows
from .._validation import StrictInterval, count, is_sparse, validate_X
from . import _kernels as _k
from ._generation import GenerationMixin, _draw_seed

__all__ = ["ChaoticRNNGenerator"]

# Fitted attribute names of each architecture, in the order the kernels use
# them (``fixed``: W then W~ per pair of layers; ``trained``: A per pair).
_FIXED_NAMES = {
    "unrestricted": ("fixed_recurrent_coupling_",),
    "restricted": ("fixed_hidden_to_visible_coupling_", "fixed_visible_to_hidden_coupling_"),
    "deep": (
        "fixed_hidden_to_visible_coupling_",
        "fixed_visible_to_hidden_coupling_",
        "fixed_hidden2_to_hidden_coupling_",
        "fixed_hidden_to_hidden2_coupling_",
    ),
}
_TRAINED_NAMES = {
    "unrestricted": ("trained_recurrent_coupling_",),
    "restricted": ("trained_visible_hidden_coupling_",),
    "deep": ("trained_visible_hidden_coupling_", "trained_hidden_hidden2_coupling_"),
}
_BIAS_NAMES = ("intercept_visible_", "intercept_hidden_", "intercept_hidden2_")
HISTORY_KEYS = ("second_moment_error", "spectrum_error", "reconstruction_error", "aai_error")


_POSITIVE = StrictInterval(numbers.Real, 0, None, closed="neither")


def _has_hidden_layers(estimator):
    """``available_if`` test: transform, reconstruct and feature names need hidden layers."""
    if estimator.architecture == "unrestricted":
        raise AttributeError(
            "The unrestricted architecture has no hidden layer; transform, reconstruct and "
            "get_feature_names_out exist for architecture='restricted' or 'deep'."
        )
    return True


class ChaoticRNNGenerator(GenerationMixin, GenerativeMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                          BaseEstimator):
    """Recurrent network whose internal chaos generates new samples.

    A network of rate units ``tau dx/dt = -x + (fixed + trained couplings)
    phi(x) / sqrt(N) + bias`` with ``phi = tanh`` (Fournier & Urbani 2024,
    Sec. II). The fixed random couplings make the untrained dynamics
    chaotic; contrastive Hebbian learning (eqs. 3, 6, A4-A8) trains
    symmetric couplings ``A`` and the biases so that the visible activity
    ``phi(v(T))`` of free runs from random initial conditions looks like the
    data. No noise is injected: the variability of the samples comes from
    the chaotic dynamics alone.

    Data are read in [0, 1] (e.g. gray levels / 255), trained on as
    ``xi = 2 X - 1`` in [-1, 1] (Sec. III) and generated samples are
    returned in [0, 1] as ``(phi(v) + 1) / 2``.

    Parameters
    ----------
    architecture : {"restricted", "unrestricted", "deep"}, default="restricted"
        ``"unrestricted"``: one recurrent layer, fixed ``J`` plus trained
        symmetric ``A`` and bias ``b`` (eq. 2). ``"restricted"``: visible and
        hidden layers with fixed ``W`` (h -> v) and ``W~`` (v -> h),
        ``W~ != W^T``, trained ``A`` shared by both directions, biases
        ``b, c`` (eqs. 4-5). ``"deep"``: two hidden layers (eqs. A1-A3).
    n_components : int or tuple of two ints, default=500
        Hidden units (``N_h``; ignored by ``"unrestricted"``). For ``"deep"``
        a pair ``(N_h1, N_h2)``; an int ``n`` means ``(n, max(1, n // 5))``,
        the paper's ratio (500, 100).
    g : float, default=1.5
        Strength of the fixed random couplings; the untrained network is
        chaotic for ``g > 1``.
    g_convention : {"variance", "std"}, default="variance"
        ``"variance"``: entries of the fixed couplings have variance ``g``
        before the ``1/sqrt(N)`` of the equations (the paper's text);
        ``"std"``: standard deviation ``g`` (Sompolinsky, Crisanti & Sommers
        1988). At ``g = 1.5`` the first is only marginally chaotic (see the
        user guide for the measured exponents).
    tau : float, default=10.0
        Time constant of the units.
    dt : float, default=1.0
        Euler time step (``0 < dt <= tau``).
    n_steps_per_update : int, default=100
        Euler steps of every relaxation during training, ``T =
        n_steps_per_update * dt`` (the paper's ``T = 100`` with ``dt = 1``);
        also the default generation time ``T*`` of ``sample``.
    learning_rate : float, default=0.01
        ``k`` of eqs. 3, 6, A4-A8.
    batch_size : int, default=500
        ``M``: data per mini-batch and number of parallel free runs per
        update.
    n_iter : int, default=10
        Epochs done by ``fit``: passes over the training data in
        mini-batches of ``batch_size``, one contrastive Hebbian update
        (``t_age`` step of the paper) per mini-batch. ``n_iter=0`` draws the
        couplings only: an untrained network, e.g. to measure its Lyapunov
        exponent.
    eval_every : int or None, default=None
        If set, every ``eval_every`` updates the four indices of appendix B
        are computed on a held-out part of ``X`` and appended to
        ``history_``.
    validation_fraction : float, default=0.1
        Fraction of ``X`` held out by ``fit`` when ``eval_every`` is set.
    warm_start : bool, default=False
        ``fit`` continues from the current state for ``n_iter`` more epochs
        (same held-out split, random streams continued): a long run done in
        chunks, e.g. across days after pickling, gives the model of one run.
        ``architecture``, ``n_components``, ``g`` and ``g_convention`` fix
        the fitted couplings: changing one with ``set_params`` before a
        warm-started ``fit`` (or a later ``partial_fit``) raises a
        ``ValueError``.
    verbose : int, default=0
        Print progress. Never changes the fit.
    random_state : int, RandomState instance or None, default=None
        Seeds the named random streams (``"initialization"`` for the fixed
        couplings, ``"training"`` per epoch, ``"monitoring"``,
        ``"sampling"``, ``"scoring"``, ``"lyapunov"``, ``"split"``).
    backend : None or str, default=None
        Compute backend (``None`` follows ``X`` under scikit-learn's
        ``array_api_dispatch``, else NumPy; or ``"numpy"``, ``"cupy"``,
        ``"torch"``, ``"array_api_strict"``).

    Attributes
    ----------
    fixed_recurrent_coupling_ : array of shape (n_features, n_features)
        Unrestricted: ``J`` of eq. 2 (fixed, random).
    trained_recurrent_coupling_ : array of shape (n_features, n_features)
        Unrestricted: the trained symmetric ``A`` of eqs. 2-3, diagonal
        included (eq. 2 sums over every ``j``).
    fixed_hidden_to_visible_coupling_ : array of shape (n_features, N_h1)
        Restricted and deep: ``W_ia`` (eq. 4) / ``W^(1)`` (eq. A1), the
        fixed couplings carrying the hidden activity to the visible field.
    fixed_visible_to_hidden_coupling_ : array of shape (N_h1, n_features)
        Restricted and deep: ``W~_ai`` (eq. 5) / ``W~^(1)`` (eq. A2).
    trained_visible_hidden_coupling_ : array of shape (n_features, N_h1)
        Restricted and deep: ``A_ia`` (eqs. 4-6) / ``A^(1)`` (eqs. A1-A4),
        used in both directions.
    fixed_hidden2_to_hidden_coupling_ : array of shape (N_h1, N_h2)
        Deep: ``W^(2)`` (eq. A2).
    fixed_hidden_to_hidden2_coupling_ : array of shape (N_h2, N_h1)
        Deep: ``W~^(2)`` (eq. A3).
    trained_hidden_hidden2_coupling_ : array of shape (N_h1, N_h2)
        Deep: ``A^(2)`` (eqs. A2-A5).
    intercept_visible_ : array of shape (n_features,)
        Visible bias ``b`` (eqs. 2, 4, A1).
    intercept_hidden_ : array of shape (N_h1,)
        Hidden bias ``c`` (eqs. 5, A2); restricted and deep.
    intercept_hidden2_ : array of shape (N_h2,)
        Second hidden bias ``d`` (eq. A3); deep only.
    n_iter_ : int
        Epochs done (``fit`` and ``partial_fit``).
    n_updates_ : int
        Contrastive Hebbian updates done (the paper's ``t_age``).
    training_time_ : float
        Seconds spent training, over all calls.
    history_ : dict of lists
        ``"epoch"``, ``"n_updates"``, ``"time"`` (``training_time_`` at the
        record) and the indices ``"second_moment_error"`` (B1),
        ``"spectrum_error"`` (B2), ``"reconstruction_error"`` (B3, ``None``
        for the unrestricted model) and ``"aai_error"`` (B4), one entry
        every ``eval_every`` updates, computed on activities in [-1, 1] as
        in the paper (divide E(2) by 16 for [0, 1] units).
    validation_floors_ : dict of str -> float
        With ``eval_every`` in ``fit``: the same indices between the
        held-out data and as many training data
        (:func:`skneq.chaotic.data_index_floors`), the value a perfect
        generator would reach at that sample size.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    Notes
    -----
    ``score`` is not a log-likelihood (the model has none): it is minus the
    AAI error (B4) between ``X`` and as many generated samples, so that
    higher is better; it is deterministic for an int ``random_state``.

    Training and generation run under one BLAS thread on NumPy
    (:func:`skneq._base.blas_threads`): the same seed then gives the same
    model whatever the machine's thread count, and the small products of
    this model gain nothing from threads on a loaded machine.

    References
    ----------
    S. J. Fournier and P. Urbani, "Generative modeling through internal
    high-dimensional chaotic activity", arXiv:2405.10822 (2024).

    H. Sompolinsky, A. Crisanti and H. J. Sommers, "Chaos in random neural
    networks", Phys. Rev. Lett. 61, 259 (1988).

    Examples
    --------
    >>> import numpy as np
    >>> from skneq.chaotic import ChaoticRNNGenerator
    >>> X = np.random.default_rng(0).uniform(size=(50, 16))
    >>> model = ChaoticRNNGenerator(n_components=8, batch_size=20, n_iter=2, random_state=0).fit(X)
    >>> model.sample(3).shape
    (3, 16)
    """

    _backend_anchor = "intercept_visible_"
    _input_domain = "unit_interval"
    # The layer sizes and the fixed couplings drawn at initialisation.
    _frozen_params = ("architecture", "n_components", "g", "g_convention")

    _parameter_constraints = {
        "architecture": [StrOptions(set(_k.ARCHITECTURES))],
        "n_components": [count(1), tuple, list],
        "g": [_POSITIVE],
        "g_convention": [StrOptions({"variance", "std"})],
        "tau": [_POSITIVE],
        "dt": [_POSITIVE],
        "n_steps_per_update": [count(1)],
        "learning_rate": [_POSITIVE],
        "batch_size": [count(1)],
        "n_iter": [count(0)],
        "eval_every": [count(1), None],
        "validation_fraction": [StrictInterval(numbers.Real, 0, 1, closed="neither")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "backend": [None, str],
    }

    def __init__(
        self,
        architecture="restricted",
        n_components=500,
        *,
        g=1.5,
        g_convention="variance",
        tau=10.0,
        dt=1.0,
        n_steps_per_update=100,
        learning_rate=0.01,
        batch_size=500,
        n_iter=10,
        eval_every=None,
        validation_fraction=0.1,
        warm_start=False,
        verbose=0,
        random_state=None,
        backend=None,
    ):
        self.architecture = architecture
        self.n_components = n_components
        self.g = g
        self.g_convention = g_convention
        self.tau = tau
        self.dt = dt
        self.n_steps_per_update = n_steps_per_update
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.eval_every = eval_every
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state
        self.backend = backend

    # ------------------------------------------------------------------
    # Parameters
    # ------------------------------------------------------------------

    def _check_params(self):
        """Checks that span several parameters (the rest is ``_parameter_constraints``)."""
        if self.dt > self.tau:  # longer Euler steps overshoot the relaxation
            raise ValueError(f"dt must be <= tau={self.tau!r}, got {self.dt!r}.")
        self._hidden_sizes()

    def _hidden_sizes(self):
        """``n_components`` as a tuple of hidden layer sizes (empty if unrestricted)."""
        if self.architecture == "unrestricted":
            return ()
        n = self.n_components
        is_count = count(1).is_satisfied_by
        if is_count(n):
            return (int(n),) if self.architecture == "restricted" else (int(n), max(1, int(n) // 5))
        if self.architecture == "deep" and isinstance(n, (tuple, list)) and len(n) == 2 and all(map(is_count, n)):
            return (int(n[0]), int(n[1]))
        expected = "a positive integer" if self.architecture == "restricted" else "a positive integer or a pair"
        raise ValueError(f"n_components must be {expected} for architecture={self.architecture!r}, got {n!r}.")

    @property
    def _n_features_out(self):
        return sum(self._layer_sizes()[1:])

    def _parameters(self):
        """Fixed couplings, trained couplings and biases as kernel lists."""
        arch = self.architecture
        fixed = [getattr(self, name) for name in _FIXED_NAMES[arch]]
        trained = [getattr(self, name) for name in _TRAINED_NAMES[arch]]
        biases = [getattr(self, name) for name in _BIAS_NAMES[: len(trained) + (arch != "unrestricted")]]
        return fixed, trained, biases

    def _set_trained(self, trained, biases):
        for name, value in zip(_TRAINED_NAMES[self.architecture], trained):
            setattr(self, name, value)
        for name, value in zip(_BIAS_NAMES, biases):
            setattr(self, name, value)

    def _initialize(self, bk, n_features):
        """Draw the fixed couplings once; trained parameters start at zero (Sec. II)."""
        self._record_frozen_params()
        sizes = (int(n_features),) + self._hidden_sizes()
        rng = self._rng(bk, "initialization")
        std = _k.coupling_std(self.g, self.g_convention)
        fixed = _k.draw_fixed_couplings(rng, sizes, std=std, dtype=bk.dtype)
        for name, value in zip(_FIXED_NAMES[self.architecture], fixed):
            setattr(self, name, value)
        trained, biases = _k.zero_trained_parameters(sizes, xp=bk.xp, dtype=bk.dtype, device=bk.device)
        self._set_trained(trained, biases)
        self.n_iter_ = 0
        self.n_updates_ = 0
        self.training_time_ = 0.0
        self._init_history(*HISTORY_KEYS)

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train by contrastive Hebbian learning for ``n_iter`` epochs.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data in [0, 1] (sparse input is densified one
            mini-batch at a time).
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._check_params()
        resume = self.warm_start and hasattr(self, "n_iter_")
        if resume:
            self._check_frozen_params("fit with warm_start=False")
            X, bk, _ = validate_X(self, X, reset=False, backend=self._fitted_backend(), accept_sparse=True)
        else:
            X, bk, _ = validate_X(self, X, reset=True, backend=self.backend, accept_sparse=True)
        self._check_domain(X, bk.xp, "unit_interval")
        train_rows, eval_rows = self._split(int(X.shape[0]), bk)
        xi_eval = None
        if eval_rows is not None:
            xi_eval = 2.0 * dense_rows(X, self._row_index(X, eval_rows, bk), bk, bk.dtype) - 1.0
        if not resume:
            self._initialize(bk, X.shape[1])
            if xi_eval is not None:
                self.validation_floors_ = self._floors(X, train_rows, xi_eval, bk)
        self._train(X, train_rows, xi_eval, int(self.n_iter), bk)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """One epoch on ``X``: one update per mini-batch of ``batch_size``.

        The first call initialises the model as ``fit`` does. The random
        stream of every epoch is salted with the epoch count ``n_iter_``, so
        ``partial_fit`` after ``fit`` (or after unpickling) continues the
        run exactly: ``fit`` with ``n_iter=k`` on ``X`` equals ``k`` calls
        of ``partial_fit(X)``. With ``eval_every`` the indices are computed
        on ``X`` itself.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Data in [0, 1].
        y : None
            Ignored.

        Returns
        -------
        self
        """
        first = not hasattr(self, "n_iter_")
        if first:
            self._check_params()
            X, bk, _ = validate_X(self, X, reset=True, backend=self.backend, accept_sparse=True)
        else:
            self._check_frozen_params("fit with warm_start=False")
            X, bk, _ = validate_X(self, X, reset=False, backend=self._fitted_backend(), accept_sparse=True)
        self._check_domain(X, bk.xp, "unit_interval")
        if first:
            self._initialize(bk, X.shape[1])
        xi_eval = None
        if self.eval_every is not None:
            xi_eval = 2.0 * dense_rows(X, slice(None), bk, bk.dtype) - 1.0
        self._train(X, None, xi_eval, 1, bk)
        return self

    def _split(self, n, bk):
        """Training and held-out rows (sorted host int arrays); ``(None, None)`` without ``eval_every``.

        Drawn from the ``"split"`` stream: the same for every call with an
        int ``random_state``, so a warm-started ``fit`` keeps its held-out set.
        """
        if self.eval_every is None:
            return None, None
        n_eval = int(round(self.validation_fraction * n))
        if n_eval < 2 or n - n_eval < 1:
            raise ValueError(
                f"eval_every needs at least 2 held-out samples and 1 training sample: "
                f"validation_fraction={self.validation_fraction} of {n} samples is too few."
            )
        order = np.random.default_rng(_draw_seed(self._rng(bk, "split"))).permutation(n)
        return np.sort(order[n_eval:]), np.sort(order[:n_eval])

    def _floors(self, X, train_rows, xi_eval, bk):
        """Indices between the held-out data and as many training data (data-vs-data floor)."""
        from ..metrics import aai_error, second_moment_error, spectrum_error
        from ._analysis import _nearest_neighbour_mse

        n_eval = int(xi_eval.shape[0])
        pick = np.random.default_rng(_draw_seed(self._rng(bk, "split", 1))).permutation(len(train_rows))[:n_eval]
        reference = 2.0 * dense_rows(X, self._row_index(X, np.sort(train_rows[pick]), bk), bk, bk.dtype) - 1.0
        return {
            "second_moment_error": float(second_moment_error(xi_eval, reference)),
            "spectrum_error": float(spectrum_error(xi_eval, reference)),
            "reconstruction_error": _nearest_neighbour_mse(xi_eval, reference, bk.xp),
            "aai_error": float(aai_error(xi_eval, reference)),
        }

    @staticmethod
    def _row_index(X, rows, bk):
        """Host row indices as ``dense_rows`` wants them: host for sparse ``X``, else on the backend."""
        return rows if is_sparse(X) else _backend.to_device(rows, bk.xp, bk.device)

    def _train(self, X, rows, xi_eval, n_epochs, bk):
        """``n_epochs`` passes over ``X[rows]`` (all rows if ``rows`` is None), one update per mini-batch."""
        n = int(X.shape[0]) if rows is None else len(rows)
        batch = min(int(self.batch_size), n)
        fixed, trained, biases = self._parameters()
        with blas_threads(bk):
            for _ in range(n_epochs):
                start = time.perf_counter()
                # One generator per epoch, salted with the epoch count: a run
                # resumed after any number of epochs continues the same stream.
                rng = self._rng(bk, "training", self.n_iter_)
                order = np.asarray(_backend.to_numpy(rng.permutation(n)))
                if rows is not None:
                    order = rows[order]
                for part in gen_batches(n, batch):
                    xi = 2.0 * dense_rows(X, self._row_index(X, order[part], bk), bk, bk.dtype) - 1.0
                    trained, biases = _k.contrastive_hebbian_step(
                        fixed, trained, biases, xi, rng, n_free=int(self.batch_size),
                        n_steps=int(self.n_steps_per_update), dt=float(self.dt), tau=float(self.tau),
                        learning_rate=float(self.learning_rate), xp=bk.xp,
                    )
                    self.n_updates_ += 1
                    if xi_eval is not None and self.n_updates_ % self.eval_every == 0:
                        self._set_trained(trained, biases)
                        self.training_time_ += time.perf_counter() - start
                        self._record(xi_eval, bk)
                        start = time.perf_counter()
                self.n_iter_ += 1
                self._set_trained(trained, biases)
                self.training_time_ += time.perf_counter() - start
                self._progress(f"epoch {self.n_iter_}, {self.n_updates_} updates, {self.training_time_:.1f} s")

    def _record(self, xi_eval, bk):
        """Append the indices B1-B4 on ``xi_eval`` to ``history_`` (the ``"monitoring"`` stream)."""
        from ..metrics import aai_error, second_moment_error, spectrum_error

        n_eval = int(xi_eval.shape[0])
        seed = _draw_seed(self._rng(bk, "monitoring", self.n_updates_))
        generated = self._free_runs(bk, n_eval, int(self.n_steps_per_update), seed)[0]
        values = {
            "second_moment_error": float(second_moment_error(xi_eval, generated)),
            "spectrum_error": float(spectrum_error(xi_eval, generated)),
            "reconstruction_error": None,
            "aai_error": float(aai_error(xi_eval, generated)),
        }
        if self.architecture != "unrestricted":
            n_steps = int(self.n_steps_per_update)
            reconstructed = self._reconstruction((xi_eval + 1.0) * 0.5, bk, n_steps, to_unit=False)
            values["reconstruction_error"] = float(bk.xp.mean((reconstructed - xi_eval) ** 2))
        self._record_history(epoch=self.n_iter_, n_updates=self.n_updates_, time=self.training_time_, **values)
        self._progress(
            f"{self.n_updates_} updates: E(2)={values['second_moment_error']:.3e}, "
            f"AAI error={values['aai_error']:.3e}"
        )

    # ------------------------------------------------------------------
    # Transformer
    # ------------------------------------------------------------------

    def transform(self, X):
        """Hidden activity with the visible layer clamped at ``X``.

        ``phi(h(T))`` of eq. 7 (restricted) or of the simulated eqs. A2-A3
        (deep), from ``h(0) = 0``, ``T = n_steps_per_update * dt``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Data in [0, 1].

        Returns
        -------
        H : array of shape (n_samples, N_h) or (n_samples, N_h1 + N_h2)
            In [-1, 1]; for the deep architecture both hidden layers side by
            side.
        """
        return self._transform(X)

    def fit_transform(self, X, y=None):
        """Fit, then return ``transform(X)``."""
        return self.fit(X, y).transform(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the hidden units, ``chaoticrnngenerator0``, ... (restricted and deep).

        Parameters
        ----------
        input_features : array-like of str or None
            Ignored except for validation against ``feature_names_in_``.

        Returns
        -------
        names : ndarray of str
        """
        return super().get_feature_names_out(input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.architecture == "unrestricted":  # no hidden layer to transform into
            tags.transformer_tags = None
        return tags


# The set_output wrappers (TransformerMixin) are installed when the class is
# created; hiding the methods afterwards keeps them absent on the
# unrestricted model, which has no hidden layer.
for _name in ("transform", "fit_transform", "get_feature_names_out", "reconstruct"):
    setattr(ChaoticRNNGenerator, _name, available_if(_has_hidden_layers)(getattr(ChaoticRNNGenerator, _name)))
del _name
