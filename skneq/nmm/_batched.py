"""Independent nonequilibrium Markov machines trained as one array program.

``fit_independent_runs(..., batched=True)``: the ``R`` runs of a study share
one process and every step is one set of array operations over a leading run
axis (``(R, D, L)`` weights, ``(R, C, D)`` chains, ``(R, B, D)``
mini-batches). Each run keeps its own random streams -- the generators of a
separate fit with the same seed, drawn in the same order -- so the batched
runs follow the separate fits up to round-off (the chain's fields come from
products of another shape, and subnormal pair weights are flushed to zero,
see :func:`~skneq.nmm._kernels.approx_gradient_runs`; training is chaotic,
so the runs then drift apart over many epochs and agree in distribution).
This is how an accelerator pays off for this model: one run is far too
small to fill a GPU.

On a CPU the time goes to memory-bound array work, so the path avoids
temporaries: big arrays (the runs' uniforms, drawn straight into them, the
gathered mini-batches, the fantasy states) are buffers reused by every update,
the fields of the one-hot states are computed once for the sampler and the
gradient (:func:`~skneq.nmm._kernels.visible_states_runs`), the gradient centres the
states and the RMSprop step updates the parameters in place, and the
Rao-Blackwellised samples are computed in their uniforms' array (fresh
multi-megabyte arrays are page-faulted on every update).
"""

from __future__ import annotations

import math
import time

from .. import _backend, _optim
from .._base import blas_threads
from .._math import gumbel_from_uniform, logsumexp
from .._validation import is_sparse
from . import _kernels as K
from ._estimates import ESTIMATE_BLOCK_STEPS
from ._estimator import MONITOR_MAX_ROWS

__all__ = ["fit_batched"]


def _stack(xp, arrays):
    return xp.stack(list(arrays), axis=0)


def fit_batched(models, X):
    """Fit the unfitted clones ``models`` (one-hot latent, same settings, own seeds) on ``X`` together.

    Returns the list of fitted models, each usable alone.

    Per update, the Python work is independent of the number of runs ``R``
    except for the random draws (each run draws from its own generator, in
    the order of its separate fit): one gather of the ``R`` mini-batches, the
    chain sampler of :func:`~skneq.nmm._kernels.sample_chain_onehot_runs`,
    one gradient (:func:`~skneq.nmm._kernels.approx_gradient_runs`, which also
    returns the chain's latent posteriors: the epoch's occupancy sums them)
    and one optimiser step over the run axis. The
    per-epoch monitor computes the ``R`` log-likelihoods with one product
    when the runs share their monitor rows, and the post-fit estimation
    chains of all runs are sampled together (:func:`_estimate_runs`).
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
    R = len(models)
    T, C, L, D, n = first.n_steps_per_update, first.n_chains, first.n_components, X.shape[1], X.shape[0]
    sparse = is_sparse(X)
    norm = first.onehot_normalization
    with blas_threads(bk):
        for m in models:
            m._initialize(X, bk, m._rng(bk, "initialization"))
        rngs = [m._rng(bk, "training", 0) for m in models]
        # n <= MONITOR_MAX_ROWS: every run monitors all rows in order, so one copy and one product serve all runs.
        shared_rows = first.monitor and n <= MONITOR_MAX_ROWS
        if shared_rows:
            monitor_rows = [first._monitor_rows(X, bk)] * R
        else:
            monitor_rows = [m._monitor_rows(X, bk) if m.monitor else None for m in models]
        params = tuple(_stack(xp, (m._get(k) for m in models)) for k in names)
        state = _optim.init(first.optimizer, params, xp=xp)
        chains = _stack(xp, (m.chain_state_ for m in models))  # (R, C, D)
        x_mean = _stack(xp, (m._centering_offset() for m in models))  # (R, D)
        visible_bias = _stack(xp, (m.visible_bias_ for m in models))  # zeros: not trained for one-hot
        # Buffers reused by every update: fresh multi-megabyte arrays cost
        # page faults on each update (a third of the gather's time).
        draws = xp.empty((R, C, T, D), dtype=chains.dtype, device=bk.device)
        noise = xp.empty((R, C, T, L), dtype=chains.dtype, device=bk.device)
        visible = xp.empty((R, C, T + 1, D), dtype=chains.dtype, device=bk.device)
        numpy = _backend.is_numpy_namespace(xp)
        in_place = numpy and not sparse
        if in_place:
            largest = max(first._batch_size_at(0), first._batch_size_at(first.n_iter * first.n_updates_per_epoch))
            rows = xp.empty((R * largest, D), dtype=X.dtype)
        for _ in range(first.n_iter):
            t0 = time.perf_counter()
            occupancy = None
            for _ in range(first.n_updates_per_epoch):
                batch_size = first._batch_size_at(first.n_updates_)
                # Each run draws what its separate fit draws, in the same order.
                idx = []
                for r, rng in enumerate(rngs):
                    idx.append(rng.integers(n, (batch_size,)))
                    _uniform_into(rng, draws, r, numpy)
                    _uniform_into(rng, noise, r, numpy)
                if sparse:
                    batch = _stack(xp, (first._rows(X, i, bk) for i in idx))
                else:  # one gather for all runs
                    flat_idx = xp.reshape(_stack(xp, idx), (R * batch_size,))
                    if in_place:  # ndarray.take into the buffer (mode="raise" would buffer out)
                        batch = X.take(flat_idx, axis=0, out=rows[: R * batch_size, ...], mode="clip")
                    else:
                        batch = xp.take(X, flat_idx, axis=0)
                    batch = xp.reshape(batch, (R, batch_size, D))
                w, wbar, abar = _recognition(first.reversible, dict(zip(names, params)), x_mean, xp)
                visible_states = K.visible_states_runs(w, visible_bias, xp=xp)  # (H, p(x | z)): sampler and gradient
                Xp, Z, Up = K.sample_chain_onehot_runs(chains, w, visible_bias, wbar, abar, x_mean, draws,
                                                       gumbel_from_uniform(noise, xp=xp, overwrite=True), normalization=norm, xp=xp,
                                                       out=visible, probs=visible_states[1])
                chains = Xp[:, :, T, :]  # a view of the buffer: the next update copies it to slot 0 first
                Xp = xp.reshape(Xp[:, :, :T, :], (R, C * T, D))
                Z = xp.reshape(Z, (R, C * T, L))
                Up = xp.reshape(Up, (R, C * T, L))
                # Centred in place: slots 0..T-1 of the buffer are not read again.
                gw, gwbar, gabar, posterior = K.approx_gradient_runs(
                    batch, Xp, Z, Up, w, visible_bias, x_mean, normalization=norm, xp=xp, overwrite_visible=True,
                    states=visible_states)
                if first.reversible:
                    gw, gc = K.untie_reversible_gradient(gw, gwbar, gabar, x_mean, xp=xp)
                    grads = {"w": gw, "c": gc}
                else:
                    grads = {"w": gw, "wbar": gwbar, "abar": gabar}
                # RMSprop in place: the stacked parameters of 36 runs are
                # megabytes, and the allocating rule makes nine temporaries each.
                params, state = _optim.step(
                    first.optimizer, params, tuple(grads[k] for k in names), state,
                    learning_rate=first.learning_rate, momentum=first.momentum, decay=first.decay,
                    eps=first.epsilon, in_place=first.optimizer == "rmsprop", xp=xp)
                for m in models:
                    m.n_updates_ += 1
                if first.monitor:  # the epoch's occupancy, all runs at once (R, L): the chain's exact posteriors
                    p = xp.sum(posterior, axis=-2)
                    occupancy = p if occupancy is None else occupancy + p
            _unstack(models, names, params, state, chains, xp)
            lls = [None] * R
            if shared_rows and occupancy is not None:
                lls = _monitor_log_likelihoods(monitor_rows[0], params[0], visible_bias, occupancy, bk)
            for r, m in enumerate(models):
                occ = None if occupancy is None else occupancy[r, ...]
                m._finish_epoch(occ, monitor_rows[r], bk, t0, log_likelihood=lls[r])
        _unstack(models, names, params, state, chains, xp)
        w, wbar, abar = _recognition(first.reversible, dict(zip(names, params)), x_mean, xp)
        _estimate_runs(models, chains, (w, visible_bias, wbar, abar, x_mean), bk)
    return models


def _estimate_runs(models, chains, kernel_params, bk):
    """Post-fit estimates of every run (``_estimate``), the estimation chains of all runs sampled together.

    Each run draws its blocks' uniforms from its own sampling stream in the
    order of its separate fit, then its ``_estimate`` reads the sampled
    blocks instead of sampling them (``chain_blocks``) and continues on the
    same stream (Rao-Blackwellised ``M``): the estimates of a separate fit
    with the same parameters, up to round-off.
    """
    xp = bk.xp
    first = models[0]
    R, C, D = chains.shape
    L = first.n_components
    steps = max(2, -(-first.n_estimate_steps // C))
    rngs = [m._rng(bk, "sampling", m.n_iter_) for m in models]
    blocks = [[] for _ in models]
    x = chains
    done = 0
    numpy = _backend.is_numpy_namespace(xp)
    ux = uz = None
    while done < steps:
        n_steps = min(ESTIMATE_BLOCK_STEPS, steps - done)
        if ux is None or n_steps != ux.shape[2]:  # buffers for the blocks (the last one may be shorter)
            ux = xp.empty((R, C, n_steps, D), dtype=chains.dtype, device=bk.device)
            uz = xp.empty((R, C, n_steps, L), dtype=chains.dtype, device=bk.device)
        for r, rng in enumerate(rngs):  # the draws of PostFitEstimates._estimate -> _sample_chain
            _uniform_into(rng, ux, r, numpy)
            _uniform_into(rng, uz, r, numpy)
        x, Z, Up = K.sample_chain_onehot_runs(x, *kernel_params, ux, gumbel_from_uniform(uz, xp=xp, overwrite=True),
                                              normalization=first.onehot_normalization, xp=xp, keep_visible=False)
        for r in range(R):
            # _estimate reads only x'(n_steps) of the visible states: a broadcast stands for the rest.
            end = xp.broadcast_to(xp.expand_dims(x[r, ...], axis=1), (C, n_steps + 1, D))
            blocks[r].append((end, Z[r, ...], Up[r, ...]))
        done += n_steps
    for r, m in enumerate(models):
        m._estimate(bk, rngs[r], chain_blocks=iter(blocks[r]))
        m.chain_state_ = x[r, ...]


def _uniform_into(rng, buf, r, numpy):
    """Run ``r``'s uniforms of the shape of ``buf[r]`` into ``buf[r]`` (NumPy: drawn in place, no copy)."""
    if numpy:
        rng.uniform(buf.shape[1:], dtype=buf.dtype, out=buf[r, ...])
    else:
        buf[r, ...] = rng.uniform(buf.shape[1:], dtype=buf.dtype)


def _monitor_log_likelihoods(X_monitor, w, a, occupancy, bk):
    """Mean eq. 5 log-likelihood of each run on shared monitor rows: one (N, D) x (D, R L) product.

    ``w`` (R, D, L), ``a`` (R, D), ``occupancy`` (R, L) unnormalised; float64
    like :meth:`NonequilibriumMarkovMachine._log_likelihood`. Returns a list
    of ``R`` Python floats.
    """
    xp, dt = bk.xp, bk.accurate_dtype()
    R, D, L = w.shape
    H = xp.reshape(xp.matrix_transpose(xp.astype(w, dt)) + xp.expand_dims(xp.astype(a, dt), axis=-2), (R * L, D))
    occ = xp.astype(occupancy, dt)
    occ = occ / xp.sum(occ, axis=-1, keepdims=True)
    log_occ = xp.where(occ > 0, xp.log(xp.where(occ > 0, occ, xp.ones_like(occ))), -math.inf)
    log_A = K.log_visible_given_latent(X_monitor, H, xp=xp)  # (N, R L)
    log_p = logsumexp(xp.reshape(log_A, (X_monitor.shape[0], R, L)) + log_occ, axis=-1, xp=xp)  # (N, R)
    return [float(v) for v in _backend.to_numpy(xp.mean(log_p, axis=0))]


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
