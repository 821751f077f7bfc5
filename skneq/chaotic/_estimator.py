"""Generative models driven by internal high-dimensional chaos.

Fournier & Urbani, "Generative modeling through internal high-dimensional
chaotic activity" (arXiv:2405.10822, paper 002). The estimator is thin
scikit-learn glue around :mod:`skneq.chaotic._kernels`.
"""

from __future__ import annotations

import math
import numbers
import time

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .. import _backend
from . import _kernels as _k
from .._validation import check_unit_interval, validate_X

__all__ = ["ChaoticRNNGenerator"]

# Parameter names of each architecture, in the order the kernels use them.
_FIXED_NAMES = {
    "unrestricted": ("J_",),
    "restricted": ("W_", "W_tilde_"),
    "deep": ("W1_", "W1_tilde_", "W2_", "W2_tilde_"),
}
_TRAINED_NAMES = {"unrestricted": ("A_",), "restricted": ("A_",), "deep": ("A1_", "A2_")}
_BIAS_NAMES = {"unrestricted": ("b_",), "restricted": ("b_", "c_"), "deep": ("b_", "c_", "d_")}

# Salts of the random streams (skneq._backend.make_rng), one per purpose.
_SALT_COUPLINGS, _SALT_TRAIN, _SALT_SAMPLE, _SALT_SCORE, _SALT_LYAPUNOV, _SALT_SPLIT = range(6)


def _has_hidden_layers(estimator):
    """``available_if`` test: transform/reconstruct need hidden layers."""
    if estimator.architecture == "unrestricted":
        raise AttributeError(
            "The unrestricted architecture has no hidden layer; transform and reconstruct "
            "exist for architecture='restricted' or 'deep'."
        )
    return True


def _is_int(value, low):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low


def _is_positive_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and value > 0


class ChaoticRNNGenerator(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Recurrent network whose internal chaos generates new samples.

    A network of rate units ``tau dx/dt = -x + (fixed + trained couplings)
    phi(x) / sqrt(N) + bias`` with ``phi = tanh`` (Fournier & Urbani,
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
    n_hidden : int or tuple of two ints, default=500
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
        1988). At ``g = 1.5`` the first is only weakly chaotic.
    tau : float, default=10.0
        Time constant of the units.
    dt : float, default=1.0
        Euler time step (``0 < dt <= tau``).
    n_steps : int, default=100
        Euler steps of every run, ``T = n_steps * dt`` (the paper's ``T = 100``
        with ``dt = 1``); also the default generation time ``T*``.
    learning_rate : float, default=0.01
        ``k`` of eqs. 3, 6, A4-A8.
    batch_size : int, default=500
        ``M``: data per mini-batch (at most ``n_samples``) and number of
        parallel free runs per training step.
    n_iter : int, default=100
        Training steps ``t_age`` done by ``fit``. The paper trains for
        300,000 steps on a GPU; 100 steps of the paper-sized restricted model
        take about two minutes on a 2-core CPU (see the user guide for
        CPU-sized settings). ``n_iter=0`` draws the couplings only: an
        untrained network, e.g. to measure its Lyapunov exponent.
    eval_every : int or None, default=None
        If set, every ``eval_every`` steps the second-moment error E(2)
        (B1) and the AAI error (B4) are computed on a held-out slice and
        appended to ``history_``.
    validation_fraction : float, default=0.1
        Fraction of ``X`` held out by ``fit`` when ``eval_every`` is set.
    verbose : int, default=0
        Print the step, elapsed time and (if computed) the indices.
    random_state : int, RandomState instance or None, default=None
        Seeds the fixed couplings, the mini-batches and the initial
        conditions. An int makes ``fit``, ``transform`` and ``score``
        reproducible.
    backend : None or str, default=None
        Compute backend (``None`` follows ``X`` under scikit-learn's
        ``array_api_dispatch``, else NumPy; or ``"numpy"``, ``"cupy"``,
        ``"torch"``, ``"array_api_strict"``).

    Attributes
    ----------
    J_ : array of shape (n_features, n_features)
        Unrestricted only: fixed random couplings ``J`` of eq. 2.
    A_ : array
        Unrestricted: trained symmetric couplings of eq. 2,
        ``(n_features, n_features)``. Restricted: trained couplings ``A_ia``
        of eqs. 4-5, ``(n_features, n_hidden)``.
    W_ : array of shape (n_features, n_hidden)
        Restricted only: fixed couplings ``W_ia`` (h -> v, eq. 4).
    W_tilde_ : array of shape (n_hidden, n_features)
        Restricted only: fixed couplings ``W~_ai`` (v -> h, eq. 5).
    W1_, W1_tilde_, W2_, W2_tilde_, A1_, A2_ : arrays
        Deep only: ``W^(1)`` (N_v, N_h1, eq. A1), ``W~^(1)`` (N_h1, N_v, eq.
        A2), ``W^(2)`` (N_h1, N_h2, eq. A2), ``W~^(2)`` (N_h2, N_h1, eq. A3),
        trained ``A^(1)`` (N_v, N_h1) and ``A^(2)`` (N_h1, N_h2).
    b_ : array of shape (n_features,)
        Visible bias (eqs. 2, 4, A1).
    c_ : array of shape (n_hidden,) or (N_h1,)
        Hidden bias (eqs. 5, A2); restricted and deep.
    d_ : array of shape (N_h2,)
        Second hidden bias (eq. A3); deep only.
    n_iter_ : int
        Training steps done so far (``fit`` and ``partial_fit``).
    history_ : dict of lists
        ``"step"``, ``"time"`` (seconds since the start of ``fit``),
        ``"second_moment_error"`` and ``"aai_error"``, one entry every
        ``eval_every`` steps. E(2) is in the paper's units (activities in
        [-1, 1]; divide by 16 for [0, 1] units).
    n_features_in_ : int

    Notes
    -----
    ``score`` is not a log-likelihood (the model has none): it is minus the
    AAI error (B4) between ``X`` and as many generated samples, so that
    higher is better; it is deterministic for an int ``random_state``.

    References
    ----------
    S. J. Fournier and P. Urbani, "Generative modeling through internal
    high-dimensional chaotic activity", arXiv:2405.10822 (2024).

    Examples
    --------
    >>> import numpy as np
    >>> from skneq.chaotic import ChaoticRNNGenerator
    >>> X = np.random.default_rng(0).uniform(size=(50, 16))
    >>> model = ChaoticRNNGenerator(n_hidden=8, batch_size=20, n_iter=5, random_state=0).fit(X)
    >>> model.sample(3).shape
    (3, 16)
    """

    def __init__(
        self,
        architecture="restricted",
        n_hidden=500,
        *,
        g=1.5,
        g_convention="variance",
        tau=10.0,
        dt=1.0,
        n_steps=100,
        learning_rate=0.01,
        batch_size=500,
        n_iter=100,
        eval_every=None,
        validation_fraction=0.1,
        verbose=0,
        random_state=None,
        backend=None,
    ):
        self.architecture = architecture
        self.n_hidden = n_hidden
        self.g = g
        self.g_convention = g_convention
        self.tau = tau
        self.dt = dt
        self.n_steps = n_steps
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.eval_every = eval_every
        self.validation_fraction = validation_fraction
        self.verbose = verbose
        self.random_state = random_state
        self.backend = backend

    # ------------------------------------------------------------------
    # Parameters
    # ------------------------------------------------------------------

    def _check_params(self):
        if self.architecture not in _k.ARCHITECTURES:
            raise ValueError(f"architecture must be one of {_k.ARCHITECTURES}, got {self.architecture!r}.")
        self._hidden_sizes()
        if self.g_convention not in ("variance", "std"):
            raise ValueError(f"g_convention must be 'variance' or 'std', got {self.g_convention!r}.")
        checks = (
            ("g", _is_positive_real(self.g), "a positive number"),
            ("tau", _is_positive_real(self.tau), "a positive number"),
            # longer Euler steps overshoot the relaxation
            ("dt", _is_positive_real(self.dt) and self.dt <= self.tau, f"a positive number <= tau={self.tau!r}"),
            ("n_steps", _is_int(self.n_steps, 1), "a positive integer"),
            ("learning_rate", _is_positive_real(self.learning_rate), "a positive number"),
            ("batch_size", _is_int(self.batch_size, 1), "a positive integer"),
            ("n_iter", _is_int(self.n_iter, 0), "a non-negative integer"),
            ("eval_every", self.eval_every is None or _is_int(self.eval_every, 1), "None or a positive integer"),
            (
                "validation_fraction",
                _is_positive_real(self.validation_fraction) and self.validation_fraction < 1,
                "in (0, 1)",
            ),
        )
        for name, ok, expected in checks:
            if not ok:
                raise ValueError(f"{name} must be {expected}, got {getattr(self, name)!r}.")

    def _hidden_sizes(self):
        """``n_hidden`` as a tuple of hidden layer sizes (empty if unrestricted)."""
        if self.architecture == "unrestricted":
            return ()
        n_hidden = self.n_hidden
        if self.architecture == "deep" and _is_int(n_hidden, 1):
            return (int(n_hidden), max(1, int(n_hidden) // 5))
        if self.architecture == "restricted" and _is_int(n_hidden, 1):
            return (int(n_hidden),)
        if (
            self.architecture == "deep"
            and isinstance(n_hidden, (tuple, list))
            and len(n_hidden) == 2
            and all(_is_int(n, 1) for n in n_hidden)
        ):
            return (int(n_hidden[0]), int(n_hidden[1]))
        expected = "a positive integer" if self.architecture == "restricted" else "a positive integer or a pair"
        raise ValueError(f"n_hidden must be {expected} for architecture={self.architecture!r}, got {n_hidden!r}.")

    def _fitted_backend(self):
        return _backend.backend_of(self.b_)

    def _parameters(self):
        """Fixed couplings, trained couplings and biases as kernel lists."""
        arch = self.architecture
        fixed = [getattr(self, name) for name in _FIXED_NAMES[arch]]
        trained = [getattr(self, name) for name in _TRAINED_NAMES[arch]]
        biases = [getattr(self, name) for name in _BIAS_NAMES[arch]]
        return fixed, trained, biases

    def _set_trained(self, trained, biases):
        for name, value in zip(_TRAINED_NAMES[self.architecture], trained):
            setattr(self, name, value)
        for name, value in zip(_BIAS_NAMES[self.architecture], biases):
            setattr(self, name, value)

    def _initialize(self, bk, n_features):
        """Draw the fixed couplings once; trained parameters start at zero."""
        sizes = (int(n_features),) + self._hidden_sizes()
        rng = _backend.make_rng(bk, self.random_state, _SALT_COUPLINGS)
        std = _k.coupling_std(self.g, self.g_convention)
        fixed = _k.draw_fixed_couplings(rng, sizes, std=std, dtype=bk.dtype)
        for name, value in zip(_FIXED_NAMES[self.architecture], fixed):
            setattr(self, name, value)
        trained, biases = _k.zero_trained_parameters(sizes, xp=bk.xp, dtype=bk.dtype, device=bk.device)
        self._set_trained(trained, biases)
        self.n_iter_ = 0
        self.history_ = {"step": [], "time": [], "second_moment_error": [], "aai_error": []}

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------

    def fit(self, X, y=None):
        """Train by contrastive Hebbian learning for ``n_iter`` steps.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data in [0, 1].
        y : None
            Ignored.

        Returns
        -------
        self
        """
        self._check_params()
        X, bk, _ = validate_X(self, X, reset=True, backend=self.backend)
        check_unit_interval(X, bk.xp, what=f"{type(self).__name__}.fit")
        xi = 2.0 * X - 1.0
        xi_eval = None
        if self.eval_every is not None:
            xi, xi_eval = self._split(xi, bk)
        self._initialize(bk, X.shape[1])
        self._train(xi, xi_eval, self.n_iter, bk)
        return self

    def partial_fit(self, X, y=None):
        """Continue training: one step per mini-batch of ``X`` (one epoch).

        The first call initialises the model as ``fit`` does. Successive
        calls draw different, reproducible random streams. If
        ``eval_every`` is set the indices are computed on ``X`` itself.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
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
            X, bk, _ = validate_X(self, X, reset=True, backend=self.backend)
        else:
            bk = self._fitted_backend()
            X, bk, _ = validate_X(self, X, reset=False, backend=bk)
        check_unit_interval(X, bk.xp, what=f"{type(self).__name__}.partial_fit")
        if first:
            self._initialize(bk, X.shape[1])
        xi = 2.0 * X - 1.0
        n_batches = -(-int(xi.shape[0]) // min(self.batch_size, int(xi.shape[0])))
        self._train(xi, xi if self.eval_every is not None else None, n_batches, bk)
        return self

    def _split(self, xi, bk):
        """Held-out slice for the indices of ``history_`` (random rows)."""
        n = int(xi.shape[0])
        n_eval = int(round(self.validation_fraction * n))
        if n_eval < 2 or n - n_eval < 1:
            raise ValueError(
                f"eval_every needs at least 2 held-out samples and 1 training sample: "
                f"validation_fraction={self.validation_fraction} of {n} samples is too few."
            )
        rng = _backend.make_rng(bk, self.random_state, _SALT_SPLIT)
        order = bk.xp.argsort(rng.uniform((n,)))
        return bk.xp.take(xi, order[n_eval:], axis=0), bk.xp.take(xi, order[:n_eval], axis=0)

    def _train(self, xi, xi_eval, n_iter, bk):
        """Run ``n_iter`` contrastive Hebbian steps on mini-batches of ``xi``."""
        xp = bk.xp
        rng = _backend.make_rng(bk, self.random_state, _SALT_TRAIN, self.n_iter_)
        n = int(xi.shape[0])
        m = min(int(self.batch_size), n)
        batches_per_epoch = n // m
        fixed, trained, biases = self._parameters()
        start = time.perf_counter()
        order = None
        for it in range(int(n_iter)):
            position = it % batches_per_epoch
            if position == 0:
                order = xp.argsort(rng.uniform((n,)))
            batch = xp.take(xi, order[position * m : (position + 1) * m], axis=0)
            trained, biases = _k.contrastive_hebbian_step(
                fixed,
                trained,
                biases,
                batch,
                rng,
                n_free=int(self.batch_size),
                n_steps=int(self.n_steps),
                dt=float(self.dt),
                tau=float(self.tau),
                learning_rate=float(self.learning_rate),
                xp=xp,
            )
            self.n_iter_ += 1
            if self.eval_every is not None and self.n_iter_ % self.eval_every == 0:
                self._set_trained(trained, biases)
                self._record(xi_eval, start, bk)
            elif self.verbose and (it + 1) % max(1, int(n_iter) // 10) == 0:
                print(f"[{type(self).__name__}] step {self.n_iter_}, {time.perf_counter() - start:.1f} s")
        self._set_trained(trained, biases)

    def _record(self, xi_eval, start, bk):
        """Append E(2) (B1) and the AAI error (B4) on ``xi_eval`` to ``history_``."""
        from ..metrics import aai_error, second_moment_error

        n_eval = int(xi_eval.shape[0])
        rng = _backend.make_rng(bk, self.random_state, _SALT_SAMPLE, self.n_iter_)
        generated = self._generate(n_eval, int(self.n_steps), rng)[0][0]
        e2 = float(second_moment_error(xi_eval, generated))
        aai = float(aai_error(xi_eval, generated))
        elapsed = time.perf_counter() - start
        for key, value in (("step", self.n_iter_), ("time", elapsed), ("second_moment_error", e2), ("aai_error", aai)):
            self.history_[key].append(value)
        if self.verbose:
            print(f"[{type(self).__name__}] step {self.n_iter_}, {elapsed:.1f} s, E(2)={e2:.3e}, AAI error={aai:.3e}")

    # ------------------------------------------------------------------
    # Generation and inference
    # ------------------------------------------------------------------

    def _generate(self, n_samples, n_steps, rng, record=False):
        """Free runs: ``phi`` of every layer at ``n_steps`` (and the path)."""
        bk = self._fitted_backend()
        fixed, trained, biases = self._parameters()
        edges = _k.propagators(fixed, trained, dt=float(self.dt), tau=float(self.tau))
        sizes = tuple(int(b.shape[0]) for b in biases)
        start = _k.initial_states(rng, sizes, n_samples, dtype=bk.dtype)
        out = _k.free_run(
            edges, biases, start, n_steps=n_steps, dt=float(self.dt), tau=float(self.tau), record=record, xp=bk.xp
        )
        return out if record else (out, None)

    def sample(self, n_samples=1, *, n_steps=None, return_trajectory=False, random_state=None):
        """Generate samples: the visible activity of free runs at time ``T*``.

        Each sample is ``(phi(v(T*)) + 1) / 2`` of an independent run of the
        free dynamics (eqs. 2, 4-5 or A1-A3) from N(0, 1) initial conditions
        (Sec. III, Fig. 2).

        Parameters
        ----------
        n_samples : int, default=1
        n_steps : int or None
            Euler steps, ``T* = n_steps * dt``; default ``self.n_steps`` (the
            training ``T``).
        return_trajectory : bool, default=False
            Return the whole path instead (Fig. 3a).
        random_state : int, RandomState instance or None
            Seed of the initial conditions.

        Returns
        -------
        X : array of shape (n_samples, n_features), values in [0, 1]
            If ``return_trajectory`` is False.
        trajectory : array of shape (n_steps + 1, n_samples, n_features)
            If ``return_trajectory``: the visible activity, in [0, 1], at
            ``t = 0, dt, ..., T*``; ``trajectory[-1]`` is the sample.
        """
        check_is_fitted(self)
        if not _is_int(n_samples, 1):
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        n_steps = self.n_steps if n_steps is None else n_steps
        if not _is_int(n_steps, 0):
            raise ValueError(f"n_steps must be a non-negative integer, got {n_steps!r}.")
        rng = _backend.make_rng(self._fitted_backend(), random_state, _SALT_SAMPLE)
        phis, trajectory = self._generate(int(n_samples), int(n_steps), rng, record=return_trajectory)
        if return_trajectory:
            return (trajectory + 1.0) * 0.5
        return (phis[0] + 1.0) * 0.5

    def _clamped_hidden(self, X, n_steps):
        """Validate ``X`` and compute ``phi`` of the hidden layers with v clamped.

        The initial condition is the mean ``h(0) = 0``, so that the result
        is deterministic and row-wise; with ``T = 100, tau = 10`` a random
        start changes it by ``exp(-T/tau) ~ 5e-5``.
        """
        check_is_fitted(self)
        bk = self._fitted_backend()
        X, bk, where = validate_X(self, X, reset=False, backend=bk)
        check_unit_interval(X, bk.xp, what=f"{type(self).__name__}")
        fixed, trained, biases = self._parameters()
        edges = _k.propagators(fixed, trained, dt=float(self.dt), tau=float(self.tau))
        xi = 2.0 * X - 1.0
        zeros = [None] + [bk.xp.zeros((int(X.shape[0]), int(b.shape[0])), dtype=bk.dtype, device=bk.device) for b in biases[1:]]
        if len(biases) == 2:
            zeros[1] = None
        phis = _k.clamped_run(
            xi, edges, biases, zeros, n_steps=n_steps, dt=float(self.dt), tau=float(self.tau), xp=bk.xp
        )
        return phis, edges, biases, bk, where

    @available_if(_has_hidden_layers)
    def transform(self, X):
        """Hidden activity with the visible layer clamped at ``X``.

        ``phi(h(T))`` of eq. 7 (restricted) or of the simulated eqs. A2-A3
        (deep), from ``h(0) = 0``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in [0, 1].

        Returns
        -------
        H : array of shape (n_samples, n_hidden) or (n_samples, N_h1 + N_h2)
            In [-1, 1]; for the deep architecture both hidden layers side by
            side.
        """
        phis, _, _, bk, (xp_in, device_in) = self._clamped_hidden(X, int(self.n_steps))
        hidden = phis[1] if len(phis) == 2 else bk.xp.concat(phis[1:], axis=1)
        return _backend.convert_like(hidden, xp_in, device_in)

    @available_if(_has_hidden_layers)
    def fit_transform(self, X, y=None):
        """Fit, then return ``transform(X)``."""
        return self.fit(X, y).transform(X)

    @available_if(_has_hidden_layers)
    def reconstruct(self, X, *, n_steps=None):
        """Clamp-then-predict reconstruction of ``X`` (Appendix B, B3).

        The visible layer is clamped at ``X`` and the hidden activity at
        ``T*`` computed (eq. 7 / A2-A3); then the first hidden layer is held
        at that value and the visible layer relaxes for ``T*`` (eq. 4 / A1
        in closed form, from ``v(0) = 0``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in [0, 1].
        n_steps : int or None
            ``T* = n_steps * dt``; default ``self.n_steps``.

        Returns
        -------
        X_reconstructed : array of shape (n_samples, n_features), in [0, 1]
        """
        n_steps = self.n_steps if n_steps is None else n_steps
        if not _is_int(n_steps, 0):
            raise ValueError(f"n_steps must be a non-negative integer, got {n_steps!r}.")
        phis, edges, biases, bk, (xp_in, device_in) = self._clamped_hidden(X, int(n_steps))
        edge_down = next(K for src, dst, K in edges if src == 1 and dst == 0)
        v = _k.relax_under_fixed_input(
            phis[1], edge_down, biases[0], None, T=n_steps * self.dt, dt=float(self.dt), tau=float(self.tau), xp=bk.xp
        )
        return _backend.convert_like((bk.xp.tanh(v) + 1.0) * 0.5, xp_in, device_in)

    def score(self, X, y=None):
        """Minus the AAI error (B4) between ``X`` and as many generated samples.

        Higher is better (0 is perfect mixing of data and samples). Not a
        mean log-likelihood: the model has none. Deterministic for an int
        ``random_state``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in [0, 1]; at least 2 samples.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        from ..metrics import aai_error

        check_is_fitted(self)
        bk = self._fitted_backend()
        X, bk, _ = validate_X(self, X, reset=False, backend=bk, ensure_min_samples=2)
        check_unit_interval(X, bk.xp, what=f"{type(self).__name__}.score")
        rng = _backend.make_rng(bk, self.random_state, _SALT_SCORE)
        generated = (self._generate(int(X.shape[0]), int(self.n_steps), rng)[0][0] + 1.0) * 0.5
        return -float(aai_error(X, generated))

    def lyapunov_exponent(self, n_steps=2000, *, n_transient=500, n_trajectories=4, random_state=None):
        """Largest Lyapunov exponent of the free dynamics, per unit time.

        Two nearby trajectories are integrated in float64 with
        renormalisation of their distance after every step (Benettin's
        algorithm, :func:`skneq.chaotic._kernels.largest_lyapunov_exponent`).
        Positive: chaotic dynamics, the source of the samples' variety;
        negative: the runs fall onto fixed points. Fit with ``n_iter=0`` to
        look at the untrained network.

        Parameters
        ----------
        n_steps : int, default=2000
            Euler steps over which the growth rate is averaged.
        n_transient : int, default=500
            Steps discarded first (reaching the attractor).
        n_trajectories : int, default=4
            Independent initial conditions averaged over.
        random_state : int, RandomState instance or None

        Returns
        -------
        exponent : float
            In units of ``1 / time`` (multiply by ``tau`` for units of ``1/tau``).
        """
        check_is_fitted(self)
        for name, value, low in (("n_steps", n_steps, 1), ("n_transient", n_transient, 0), ("n_trajectories", n_trajectories, 1)):
            if not _is_int(value, low):
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
        bk = self._fitted_backend()
        bk = _backend.Backend(bk.xp, bk.device, bk.accurate_dtype())
        fixed, trained, biases = (
            [bk.xp.astype(a, bk.dtype) for a in group] for group in self._parameters()
        )
        edges = _k.propagators(fixed, trained, dt=float(self.dt), tau=float(self.tau))
        rng = _backend.make_rng(bk, random_state, _SALT_LYAPUNOV)
        sizes = tuple(int(b.shape[0]) for b in biases)
        start = _k.initial_states(rng, sizes, int(n_trajectories), dtype=bk.dtype)
        exponents = _k.largest_lyapunov_exponent(
            edges,
            biases,
            start,
            n_steps=int(n_steps),
            n_transient=int(n_transient),
            dt=float(self.dt),
            tau=float(self.tau),
            rng=rng,
            xp=bk.xp,
        )
        return float(bk.xp.mean(exponents))

    @property
    def receptive_fields_(self):
        """Receptive fields of the (first) hidden units (Fig. 4).

        Row ``a`` is ``{W_ia + A_ia}_i``, the couplings from hidden unit
        ``a`` to the visible layer (eq. 4 / A1), shape
        ``(n_hidden, n_features)``; reshape a row to (28, 28) for MNIST.
        """
        check_is_fitted(self)
        if self.architecture == "unrestricted":
            raise AttributeError("The unrestricted architecture has no hidden units.")
        fixed, trained, _ = self._parameters()
        return (fixed[0] + trained[0]).T

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        if self.architecture == "unrestricted":
            tags.transformer_tags = None
        else:
            tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
