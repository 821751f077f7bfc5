"""Generation and inference of :class:`ChaoticRNNGenerator` (Fournier & Urbani 2024).

:class:`GenerationMixin` holds the methods that run a fitted network: free
runs (``sample``), clamped runs (``transform``, ``reconstruct``),
the score, the Lyapunov exponent and the receptive fields. Every method
works in chunks of rows sized by scikit-learn's ``working_memory``
(:func:`skneq._base.row_chunks`), and the random initial conditions of a
free run are drawn per fixed block of rows from seeds derived once per
call, so the numbers do not depend on the chunk size.
"""

from __future__ import annotations

import numpy as np

from .. import _backend
from .._base import blas_threads, dense_rows, row_chunks
from .._validation import check_int, validate_X
from . import _kernels as _k

__all__ = ["GenerationMixin"]

# Rows of initial conditions drawn from one seed. Fixed, so that a sample
# does not depend on the memory budget; chunks are multiples of it.
_BLOCK = 256
# x(0) of a visible unit started at an activity of +-1: atanh(1 - 1e-6) = 7.25.
_INIT_CLIP = 1.0 - 1e-6
_TRAJECTORY_KINDS = (False, "visible", "hidden", "both")


def _draw_seed(rng):
    """One integer seed from a backend generator (for per-block generators)."""
    return int(_backend.to_numpy(rng.integers(2**62, (1,)))[0])


class GenerationMixin:
    """Methods of a fitted :class:`ChaoticRNNGenerator` that run the network."""

    # ------------------------------------------------------------------ helpers
    def _edges(self, dtype=None):
        """Propagators and biases of the fitted network (cast to ``dtype`` if given)."""
        fixed, trained, biases = self._parameters()
        if dtype is not None:
            fixed, trained, biases = ([self._fitted_backend().xp.astype(a, dtype) for a in group]
                                      for group in (fixed, trained, biases))
        return _k.propagators(fixed, trained, dt=float(self.dt), tau=float(self.tau)), biases

    def _layer_sizes(self):
        return tuple(int(b.shape[0]) for b in self._parameters()[2])

    def _hidden_masks(self, clamp_hidden, bk):
        """0/1 masks per layer from hidden-unit indices (``transform``'s columns)."""
        if clamp_hidden is None:
            return None
        if self.architecture == "unrestricted":
            raise ValueError("clamp_hidden needs hidden units: architecture='restricted' or 'deep'.")
        sizes = self._layer_sizes()
        n_hidden = sum(sizes[1:])
        indices = _backend.to_numpy(clamp_hidden) if _backend.is_array(clamp_hidden) else clamp_hidden
        if getattr(indices, "dtype", None) == bool:
            raise ValueError("clamp_hidden takes hidden-unit indices, not a boolean mask: "
                             "pass np.flatnonzero(mask).")
        if isinstance(indices, (set, frozenset)):
            indices = list(indices)
        # One unit or a sequence of them; object dtype keeps each index as given for check_int.
        indices = np.atleast_1d(np.asarray(indices, dtype=object))
        if indices.ndim != 1:
            raise ValueError(f"clamp_hidden must be one hidden-unit index or a 1-D sequence of them, "
                             f"got an array of shape {indices.shape}")
        # Duplicates name the same unit: the clamped set is their union.
        units = [check_int(a, "clamp_hidden", low=0, high=n_hidden - 1) for a in indices]
        flat = np.ones(n_hidden)
        flat[units] = 0.0
        masks, start = [None], 0
        for n in sizes[1:]:
            masks.append(bk.asarray(flat[start : start + n], dtype=bk.dtype))
            start += n
        return masks

    def _initial_block(self, bk, seed, block, n_rows, init_rows):
        """Initial pre-activations of one block of ``n_rows`` free runs.

        N(0, 1) for every layer (Sec. II, "Training protocol"); the visible
        layer is replaced by ``atanh`` of the given activities
        (``init_rows``, in [-1, 1]) or by the given state list.
        """
        rng = _backend.make_rng(bk, seed, block)
        states = _k.initial_states(rng, self._layer_sizes(), n_rows, dtype=bk.dtype)
        if init_rows is None:
            return states
        if isinstance(init_rows, list):
            return [s if given is None else given for s, given in zip(states, init_rows)]
        states[0] = bk.xp.atanh(bk.xp.clip(init_rows, -_INIT_CLIP, _INIT_CLIP))
        return states

    def _free_runs(self, bk, n_samples, n_steps, seed, *, init=None, record=(), masks=None, to_unit=False):
        """``phi(v(T))`` of ``n_samples`` free runs and the recorded paths, chunk by chunk.

        Outputs are allocated once and filled chunk by chunk, so the memory
        beyond them stays within the ``working_memory`` budget. With
        ``to_unit`` the visible outputs are mapped to [0, 1] in place.
        """
        xp = bk.xp
        edges, biases = self._edges()
        sizes = self._layer_sizes()
        item = 8 if bk.dtype == getattr(xp, "float64", None) else 4
        # initial blocks + their concatenation, the integrator's copy and
        # reserve (2), phi, fields, final tanh: about 8 arrays of the state
        per_row = item * (8 * sum(sizes) + (n_steps + 1) * sum(sizes[layer] for layer in record))
        budget_rows = row_chunks(max(n_samples, _BLOCK), per_row)[0].stop
        rows_per_chunk = max(_BLOCK, (budget_rows // _BLOCK) * _BLOCK)  # whole blocks
        visible = xp.empty((n_samples, sizes[0]), dtype=bk.dtype, device=bk.device)
        paths = [xp.empty((n_steps + 1, n_samples, sizes[layer]), dtype=bk.dtype, device=bk.device)
                 for layer in record]
        with blas_threads(bk):
            for start in range(0, n_samples, rows_per_chunk):
                stop = min(n_samples, start + rows_per_chunk)
                blocks = []
                for block_start in range(start, stop, _BLOCK):
                    block_stop = min(stop, block_start + _BLOCK)
                    given = None
                    if isinstance(init, list):
                        given = [None if s is None else s[block_start:block_stop, ...] for s in init]
                    elif init is not None:
                        given = init[block_start:block_stop, ...]
                    blocks.append(
                        self._initial_block(bk, seed, block_start // _BLOCK, block_stop - block_start, given)
                    )
                initial = [b[0] if len(blocks) == 1 else xp.concat(b, axis=0) for b in zip(*blocks)]
                del blocks
                out = _k.free_run(
                    edges, biases, initial, n_steps=n_steps, dt=float(self.dt), tau=float(self.tau),
                    record=record, masks=masks, xp=xp,
                )
                del initial
                phis, trajectories = out if record else (out, [])
                visible[start:stop, :] = phis[0]
                del phis, out
                for target, path in zip(paths, trajectories):
                    target[:, start:stop, :] = path
                del trajectories
        if to_unit:
            for a in [visible] + paths[: 1 if record[:1] == (0,) else 0]:
                a += 1.0
                a *= 0.5
        return visible, paths

    # ------------------------------------------------------------------ generation
    def sample(self, n_samples=None, *, n_steps=None, init=None, return_trajectory=False, clamp_hidden=None,
               random_state=None):
        """Generate samples: the visible activity of free runs at time ``T*``.

        Each sample is ``(phi(v(T*)) + 1) / 2`` of an independent run of the
        free dynamics (eqs. 2, 4-5 or A1-A3 of Fournier & Urbani) from
        N(0, 1) initial conditions (Sec. III, Fig. 2), or from the states
        given in ``init``.

        Parameters
        ----------
        n_samples : int or None, default=None
            Number of runs; ``None`` is 1, or the rows of ``init``.
        n_steps : int or None, default=None
            Euler steps, ``T* = n_steps * dt``; default
            ``n_steps_per_update`` (the training ``T``).
        init : None, array-like or list of arrays, default=None
            ``None``: N(0, 1) pre-activations in every layer. An array of
            shape (n_samples, n_features) in [0, 1]: data-initialised runs,
            the visible activities start at ``phi(v(0)) = 2 init - 1``
            (``v(0) = atanh``, clipped at ``1 - 1e-6``), the hidden layers
            at N(0, 1). A list of one array (or ``None`` for N(0, 1)) per
            layer: the pre-activations ``x_l(0)``, shapes (n_samples, N_l).
        return_trajectory : {False, "visible", "hidden", "both"}, default=False
            Return the path instead of the sample (Fig. 3a): ``"visible"``
            in [0, 1], ``"hidden"`` as ``phi(h)`` in [-1, 1] (the two hidden
            layers side by side for ``"deep"``, as ``transform``), ``"both"``
            a pair ``(visible, hidden)``.
        clamp_hidden : array-like of int or None, default=None
            Hidden units held at ``h = 0`` (so ``phi(h) = 0``) during the
            whole run: the ablation of Sec. III. Indices are columns of
            ``transform``'s output; one int clamps one unit, a repeated index
            names the same unit, and a boolean mask is refused (pass
            ``np.flatnonzero(mask)``).
        random_state : int, RandomState instance or None, default=None
            Seed of the initial conditions. ``None``: the estimator's own
            ``random_state``, advanced at every call.

        Returns
        -------
        X : array of shape (n_samples, n_features), values in [0, 1]
            Without ``return_trajectory``.
        trajectory : array of shape (n_steps + 1, n_samples, N)
            With it; ``trajectory[-1]`` of the visible path is the sample.
        """
        bk = self._fitted_backend()
        n_steps = self.n_steps_per_update if n_steps is None else n_steps
        n_steps = check_int(n_steps, "n_steps", low=0)
        if not (return_trajectory is False or return_trajectory in _TRAJECTORY_KINDS[1:]):
            # (shared check_option sorts its options, which fails on False among strings)
            raise ValueError(
                f"return_trajectory must be False, 'visible', 'hidden' or 'both', got {return_trajectory!r}"
            )
        if return_trajectory in ("hidden", "both") and self.architecture == "unrestricted":
            raise ValueError("return_trajectory='hidden' or 'both' needs hidden units; the unrestricted model has none.")
        masks = self._hidden_masks(clamp_hidden, bk)
        init, n_init = self._check_init(init, bk)
        if n_samples is None:
            n_samples = 1 if n_init is None else n_init
        n_samples = check_int(n_samples, "n_samples", low=1)
        if n_init is not None and n_samples != n_init:
            raise ValueError(f"n_samples={n_samples} differs from the {n_init} rows of init.")
        seed = _draw_seed(self._method_rng(bk, "sampling", random_state))
        record = {False: (), "visible": (0,), "hidden": (), "both": (0,)}[return_trajectory]
        if return_trajectory in ("hidden", "both"):
            record = record + tuple(range(1, len(self._layer_sizes())))
        visible, paths = self._free_runs(
            bk, n_samples, n_steps, seed, init=init, record=record, masks=masks, to_unit=True
        )
        if not return_trajectory:
            return visible
        if return_trajectory == "visible":
            return paths[0]
        hidden_paths = paths[1:] if return_trajectory == "both" else paths
        hidden = hidden_paths[0] if len(hidden_paths) == 1 else bk.xp.concat(hidden_paths, axis=2)
        return hidden if return_trajectory == "hidden" else (paths[0], hidden)

    def _check_init(self, init, bk):
        """``init`` on the fitted backend (visible activities in [-1, 1] or a state list) and its rows."""
        if init is None:
            return None, None
        sizes = self._layer_sizes()
        if isinstance(init, (list, tuple)) and len(init) == len(sizes) and not _is_number_row(init):
            states, n_rows = [], None
            for layer, (given, size) in enumerate(zip(init, sizes)):
                if given is None:
                    states.append(None)
                    continue
                a = bk.asarray(_backend.to_device(given, bk.xp, bk.device, dtype=bk.dtype))
                if a.ndim != 2 or int(a.shape[1]) != size or (n_rows is not None and int(a.shape[0]) != n_rows):
                    raise ValueError(f"init[{layer}] must have shape (n_samples, {size}), got {tuple(a.shape)}.")
                if not bool(bk.xp.all(bk.xp.isfinite(a))):
                    raise ValueError(f"init[{layer}] contains NaN or infinity.")
                n_rows = int(a.shape[0])
                states.append(a)
            if n_rows is None:
                return None, None
            return states, n_rows
        X, bk, _ = self._validate_fitted_input(init, name="init")
        return 2.0 * X - 1.0, int(X.shape[0])

    # ------------------------------------------------------------------ clamped runs
    def _clamped_chunks(self, X, bk, n_steps):
        """Yield ``(rows, xi, [phi(h1), ...])`` per chunk of validated ``X`` (dense or CSR).

        The initial condition is the mean ``h(0) = 0``, so that the result
        is deterministic and row-wise; with ``T = 100, tau = 10`` a random
        start changes it by ``exp(-T/tau) ~ 5e-5``. Computed in the
        accurate dtype (float64 where available): a handful of products,
        and the float32 result then does not depend on the row's position
        in the BLAS blocks (sample-order invariance).
        """
        xp, dtype = bk.xp, bk.accurate_dtype()
        edges, biases = self._edges(dtype)
        sizes = self._layer_sizes()
        # dense copy, 2 xi - 1, reconstruction (3 N_v); fields, relaxation,
        # tanh and cast of the hidden layers (6 N_h)
        per_row = 8 * (4 * sizes[0] + 6 * sum(sizes[1:]))
        with blas_threads(bk):
            for rows in row_chunks(int(X.shape[0]), per_row):
                xi = dense_rows(X, rows, bk, dtype)
                xi *= 2.0
                xi -= 1.0
                n = int(xi.shape[0])
                start = [None] + [xp.zeros((n, s), dtype=dtype, device=bk.device) for s in sizes[1:]]
                if len(sizes) == 2:
                    start[1] = None  # closed form of eq. 7 from h(0) = 0
                phis = _k.clamped_run(
                    xi, edges, biases, start, n_steps=n_steps, dt=float(self.dt), tau=float(self.tau), xp=xp
                )
                yield rows, xi, phis[1:]

    def _reconstruction(self, X, bk, n_steps, *, to_unit):
        """Clamp-then-predict ``phi(v(T*))`` (B3) of validated ``X`` in ``bk.dtype``, chunk by chunk."""
        xp = bk.xp
        edges, biases = self._edges(bk.accurate_dtype())
        edge_down = next(K for src, dst, K in edges if src == 1 and dst == 0)
        out = xp.empty((int(X.shape[0]), self._layer_sizes()[0]), dtype=bk.dtype, device=bk.device)
        for rows, _, hidden in self._clamped_chunks(X, bk, n_steps):
            v = _k.relax_under_fixed_input(
                hidden[0], edge_down, biases[0], None, T=n_steps * self.dt, dt=float(self.dt), tau=float(self.tau),
                xp=xp,
            )
            v = xp.tanh(v)
            if to_unit:
                v += 1.0
                v *= 0.5
            out[rows, :] = xp.astype(v, bk.dtype)
        return out

    def _validate_input(self, X, bk):
        """Dense or sparse ``X`` after fit (sparse stays CSR on the host, densified per chunk)."""
        X, bk, where = validate_X(self, X, reset=False, backend=bk, accept_sparse=True)
        self._check_domain(X, bk.xp)
        return X, bk, where

    def _transform(self, X):
        bk = self._fitted_backend()
        X, bk, (xp_in, device_in) = self._validate_input(X, bk)
        xp = bk.xp
        out = xp.empty((int(X.shape[0]), sum(self._layer_sizes()[1:])), dtype=bk.dtype, device=bk.device)
        for rows, _, hidden in self._clamped_chunks(X, bk, int(self.n_steps_per_update)):
            start = 0
            for h in hidden:
                out[rows, start : start + int(h.shape[1])] = xp.astype(h, bk.dtype)
                start += int(h.shape[1])
        return _backend.convert_like(out, xp_in, device_in)

    def reconstruct(self, X, *, n_steps=None):
        """Clamp-then-predict reconstruction of ``X`` (appendix B, eq. B3).

        The visible layer is clamped at ``X`` and the hidden activity at
        ``T*`` computed (eq. 7 / A2-A3); then the first hidden layer is held
        at that value and the visible layer relaxes for ``T*`` (eq. 4 / A1
        in closed form, from ``v(0) = 0``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Data in [0, 1].
        n_steps : int or None, default=None
            ``T* = n_steps * dt``; default ``n_steps_per_update``.

        Returns
        -------
        X_reconstructed : array of shape (n_samples, n_features), in [0, 1]
        """
        n_steps = self.n_steps_per_update if n_steps is None else n_steps
        n_steps = check_int(n_steps, "n_steps", low=0)
        bk = self._fitted_backend()
        X, bk, (xp_in, device_in) = self._validate_input(X, bk)
        return _backend.convert_like(self._reconstruction(X, bk, n_steps, to_unit=True), xp_in, device_in)

    def score(self, X, y=None):
        """Minus the AAI error (B4) between ``X`` and as many generated samples.

        Higher is better (0 is perfect mixing of data and samples). Not a
        mean log-likelihood: the model has none. The samples come from the
        ``"scoring"`` stream of ``random_state`` (deterministic for an int).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Data in [0, 1]; at least 2 samples.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        from ..metrics import aai_error

        bk = self._fitted_backend()
        X, bk, _ = self._validate_input(X, bk)
        if int(X.shape[0]) < 2:
            raise ValueError(f"score needs at least 2 samples, got {X.shape[0]}.")
        X = dense_rows(X, slice(None), bk, bk.dtype)
        seed = _draw_seed(self._rng(bk, "scoring"))
        generated = self._free_runs(bk, int(X.shape[0]), int(self.n_steps_per_update), seed, to_unit=True)[0]
        return -float(aai_error(X, generated))

    # ------------------------------------------------------------------ chaos and fields
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
        random_state : int, RandomState instance or None, default=None
            ``None``: the estimator's own, advanced at every call.

        Returns
        -------
        exponent : float
            In units of ``1 / time`` (multiply by ``tau`` for units of ``1/tau``).
        """
        n_steps = check_int(n_steps, "n_steps", low=1)
        n_transient = check_int(n_transient, "n_transient", low=0)
        n_trajectories = check_int(n_trajectories, "n_trajectories", low=1)
        bk = self._fitted_backend()
        bk = _backend.Backend(bk.xp, bk.device, bk.accurate_dtype())
        fixed, trained, biases = ([bk.xp.astype(a, bk.dtype) for a in group] for group in self._parameters())
        edges = _k.propagators(fixed, trained, dt=float(self.dt), tau=float(self.tau))
        rng = self._method_rng(bk, "lyapunov", random_state)
        sizes = tuple(int(b.shape[0]) for b in biases)
        start = _k.initial_states(rng, sizes, n_trajectories, dtype=bk.dtype)
        with blas_threads(bk):
            exponents = _k.largest_lyapunov_exponent(
                edges, biases, start, n_steps=n_steps, n_transient=n_transient, dt=float(self.dt),
                tau=float(self.tau), rng=rng, xp=bk.xp,
            )
        return float(bk.xp.mean(exponents))

    @property
    def receptive_fields_(self):
        """Receptive fields of the (first) hidden units (Fig. 4).

        Row ``a`` is ``{W_ia + A_ia}_i``, the couplings from hidden unit
        ``a`` to the visible layer (eq. 4 / A1), shape
        ``(N_h, n_features)``; reshape a row to (28, 28) for MNIST and
        classify them with :func:`skneq.chaotic.receptive_field_structure`.
        """
        if self.architecture == "unrestricted":
            raise AttributeError("The unrestricted architecture has no hidden units.")
        fixed, trained, _ = self._parameters()
        return (fixed[0] + trained[0]).T


def _is_number_row(init):
    """True when a list ``init`` is one row of numbers rather than per-layer arrays."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in init)
