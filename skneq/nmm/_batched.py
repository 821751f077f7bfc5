"""Independent nonequilibrium Markov machines trained as one array program.

``fit_independent_runs(..., batched=True)``: the ``R`` runs of a study share
one process and every step is one set of array operations over a leading run
axis (``(R, D, L)`` weights, ``(R, C, D)`` chains, ``(R, B, D)``
mini-batches). Each run keeps its own random streams -- the generators of a
separate fit with the same seed, drawn in the same order -- so the batched
runs follow the separate fits up to round-off (batched matrix products may
sum in another order; training is chaotic, so the runs then drift apart over
many epochs and agree in distribution). This is how an accelerator pays off
for this model: one run is far too small to fill a GPU.
"""

from __future__ import annotations

import time

from .. import _optim
from .._base import blas_threads
from .._math import gumbel_from_uniform
from . import _kernels as K

__all__ = ["fit_batched"]


def _stack(xp, arrays):
    return xp.stack(list(arrays), axis=0)


def fit_batched(models, X):
    """Fit the unfitted clones ``models`` (one-hot latent, same settings, own seeds) on ``X`` together.

    Returns the list of fitted models, each usable alone.
    """
    first = models[0]
    if first.latent != "onehot":
        raise ValueError("batched=True trains the one-hot latent (latent='onehot'); use batched=False.")
    for m in models:
        m._check_settings()
    X, bk, _ = first._validate_input(X, reset=True)
    xp = bk.xp
    for m in models[1:]:
        m.n_features_in_ = first.n_features_in_
        if hasattr(first, "feature_names_in_"):
            m.feature_names_in_ = first.feature_names_in_
    names = first._trainable()
    T, C, L, D, n = first.n_steps_per_update, first.n_chains, first.n_components, X.shape[1], X.shape[0]
    with blas_threads(bk):
        for m in models:
            m._initialize(X, bk, m._rng(bk, "initialization"))
        rngs = [m._rng(bk, "training", 0) for m in models]
        monitor_rows = [m._monitor_rows(X, bk) if m.monitor else None for m in models]
        params = tuple(_stack(xp, (m._get(k) for m in models)) for k in names)
        state = _optim.init(first.optimizer, params, xp=xp)
        chains = _stack(xp, (m.chain_state_ for m in models))  # (R, C, D)
        x_mean = _stack(xp, (m._centering_offset() for m in models))  # (R, D)
        visible_bias = _stack(xp, (m.visible_bias_ for m in models))  # zeros: not trained for one-hot
        for _ in range(first.n_iter):
            t0 = time.perf_counter()
            occupancy = [None] * len(models)
            for _ in range(first.n_updates_per_epoch):
                batch_size = first._batch_size_at(first.n_updates_)
                # Each run draws what its separate fit draws, in the same order.
                batch = _stack(xp, (m._rows(X, rng.integers(n, (batch_size,)), bk) for m, rng in zip(models, rngs)))
                ux, uz = [], []
                for rng in rngs:
                    ux.append(rng.uniform((C, T, D), dtype=chains.dtype))
                    uz.append(rng.uniform((C, T, L), dtype=chains.dtype))
                w, wbar, abar = _recognition(first.reversible, dict(zip(names, params)), x_mean, xp)
                a = visible_bias
                Xp, Z, Up = K.sample_chain_onehot(chains, w, a, wbar, abar, x_mean, _stack(xp, ux),
                                                  gumbel_from_uniform(_stack(xp, uz), xp=xp),
                                                  normalization=first.onehot_normalization, xp=xp)
                chains = Xp[:, :, T, :]
                R = len(models)
                Xp = xp.reshape(Xp[:, :, :T, :], (R, C * T, D))
                Z = xp.reshape(Z, (R, C * T, L))
                Up = xp.reshape(Up, (R, C * T, L))
                gw, ga, gwbar, gabar, _ = K.approx_gradient(batch, Xp, Z, Up, w, a, x_mean, latent="onehot",
                                                            normalization=first.onehot_normalization, xp=xp)
                if first.reversible:
                    gw, gc = K.untie_reversible_gradient(gw, gwbar, gabar, x_mean, xp=xp)
                    grads = {"w": gw, "c": gc}
                else:
                    grads = {"w": gw, "wbar": gwbar, "abar": gabar}
                params, state = _optim.step(
                    first.optimizer, params, tuple(grads[k] for k in names), state,
                    learning_rate=first.learning_rate, momentum=first.momentum, decay=first.decay,
                    eps=first.epsilon, xp=xp)
                for m in models:
                    m.n_updates_ += 1
                for r, m in enumerate(models):
                    occupancy[r] = m._accumulate_occupancy(occupancy[r], Up[r, ...], bk)
            _unstack(models, names, params, state, chains, xp)
            for r, m in enumerate(models):
                m._finish_epoch(occupancy[r], monitor_rows[r], bk, t0)
        _unstack(models, names, params, state, chains, xp)
        for m in models:
            m._estimate(bk, m._rng(bk, "sampling", m.n_iter_))
    return models


def _recognition(reversible, values, x_mean, xp):
    """Stacked ``(w, wbar, abar)`` of the kernels from the stacked trained parameters."""
    w = values["w"]
    if reversible:
        wbar, abar = K.tie_reversible(w, values["c"], x_mean, xp=xp)
        return w, wbar, abar
    return w, values["wbar"], values["abar"]


def _unstack(models, names, params, state, chains, xp):
    """Write run ``r``'s slice of the stacked arrays back into ``models[r]``."""
    for r, m in enumerate(models):
        m._set(tuple(p[r, ...] for p in params), xp)
        m.chain_state_ = chains[r, ...]
        m.optimizer_state_ = _slice_state(state, r)


def _slice_state(state, r):
    out = []
    for part in state:
        out.append(tuple(s[r, ...] for s in part) if isinstance(part, tuple) else part)
    return tuple(out)
