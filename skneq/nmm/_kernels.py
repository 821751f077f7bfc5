"""Math kernels of the nonequilibrium Markov machine (Baiesi & Rosso 2025, arXiv:2512.11415).

Notation (paper eqs. 1-11): visible ``x`` in {0, 1}^D, latent ``z`` with
``L`` units. ``A[z, x] = p(x | z)`` has fields ``h = w z + a`` (eq. 8, 10);
``Abar[x, z] = p(z | x)`` has fields ``u = wbar (x - x_mean) + abar``
(eq. 9, 11 with the centering trick of eq. 17; ``x_mean = 0`` switches the
centering off). Shapes: ``w`` (D, L), ``a`` (D,), ``wbar`` (L, D),
``abar`` (L,).

Latent kinds:

* ``"onehot"``: exactly one active unit, ``z`` one of the ``L`` unit
  vectors. ``normalization="softmax"`` gives ``p(alpha | x) = softmax(u)``
  (eq. 9 on one-hot states, Appendix A.2); ``"sigmoid_ratio"`` gives
  ``sigmoid(u_alpha) / sum_beta sigmoid(u_beta)`` (eq. 19).
* ``"binary"``: factorised Bernoulli units (eq. 11), ``2^L`` states.

Every function is pure and takes the array namespace ``xp``; nothing is
copied to the host and nothing loops over samples. The only Python loops are
the ``T`` steps of :func:`sample_chain_sequential` (needed for the binary
latent) and the ``log2 T`` rounds of the prefix scan in
:func:`sample_chain_onehot`.
"""

from __future__ import annotations

import functools
import math

from .._backend import is_numpy_namespace
from .._math import log_sigmoid, log_softmax, logsumexp, sigmoid, softplus

__all__ = [
    "LATENT_KINDS", "NORMALIZATIONS", "latent_states", "visible_fields", "log_visible_given_latent",
    "latent_fields", "categorical_logits", "log_latent_given_visible", "latent_score", "approx_gradient",
    "approx_gradient_runs", "visible_states_runs", "tie_reversible", "untie_reversible_gradient", "sample_chain_onehot",
    "sample_chain_onehot_runs", "sample_chain_sequential", "latent_posterior_samples", "log_likelihood",
    "subset_membership", "init_generative_weights", "logit_of_means", "state_index",
]

LATENT_KINDS = ("onehot", "binary")
NORMALIZATIONS = ("softmax", "sigmoid_ratio")


# --------------------------------------------------------------------------
# Transition log-probabilities
# --------------------------------------------------------------------------


def latent_states(n_latent, latent, *, xp, dtype, device=None):
    """All latent states as rows: one-hot (L, L) or binary (2^L, L).

    Binary states are in the order of :func:`state_index` (unit 0 is the
    least significant bit).
    """
    if latent == "onehot":
        return xp.eye(n_latent, dtype=dtype, device=device)
    codes = xp.arange(2**n_latent, device=device)
    bits = [xp.astype((codes // (2**k)) % 2, dtype) for k in range(n_latent)]
    return xp.stack(bits, axis=1)


def state_index(Z, *, xp):
    """Binary code of each latent row of ``Z`` (N, L) -> (N,) int64, unit
    ``k`` having weight ``2^k`` (the row order of :func:`latent_states`)."""
    L = Z.shape[1]
    weights = xp.asarray([2.0**k for k in range(L)], dtype=Z.dtype, device=Z.device)
    return xp.astype(xp.round(Z @ weights), xp.int64)


def visible_fields(Z, w, a, *, xp):
    """Fields ``h = w z + a`` of ``A`` for latent rows ``Z`` (S, L) -> (S, D) (eq. 10)."""
    return Z @ xp.matrix_transpose(w) + xp.expand_dims(a, axis=-2)


def log_visible_given_latent(X, H, *, xp):
    """``ln A[z, x]`` for every pair: (N, D) x (S, D) -> (N, S) (eq. 10).

    ``ln A = x . h - sum_i softplus(h_i)``; one matrix product, no
    underflow at D = 784.
    """
    return X @ xp.matrix_transpose(H) - xp.expand_dims(xp.sum(softplus(H, xp=xp), axis=-1), axis=-2)


def latent_fields(X, wbar, abar, x_mean, *, xp, overwrite=False):
    """Fields ``u = wbar (x - x_mean) + abar`` of ``Abar``: (N, D) -> (N, L) (eqs. 9, 11, 17);
    ``overwrite=True`` (NumPy arrays) centres ``X`` in place."""
    Xc = xp.subtract(X, x_mean, out=X) if overwrite else X - xp.expand_dims(x_mean, axis=-2)
    return Xc @ xp.matrix_transpose(wbar) + xp.expand_dims(abar, axis=-2)


def categorical_logits(U, normalization, *, xp):
    """Unnormalised log-probabilities of the active one-hot unit (N, L).

    ``"softmax"``: ``u`` (eq. 9 restricted to one-hot states).
    ``"sigmoid_ratio"``: ``ln sigmoid(u)`` (eq. 19).
    """
    if normalization == "softmax":
        return U
    if normalization == "sigmoid_ratio":
        return log_sigmoid(U, xp=xp)
    raise ValueError(f"onehot_normalization must be one of {NORMALIZATIONS}, got {normalization!r}")


def log_latent_given_visible(U, Z, latent, normalization, *, xp):
    """``ln Abar[x, z]`` for every pair of fields ``U`` (N, L) and states ``Z`` (S, L) -> (N, S).

    One-hot: ``log_softmax`` of :func:`categorical_logits` (eq. 9 / 19);
    binary: ``z . u - sum softplus(u)`` (eq. 11).
    """
    if latent == "onehot":
        return log_softmax(categorical_logits(U, normalization, xp=xp), axis=-1, xp=xp) @ xp.matrix_transpose(Z)
    return U @ xp.matrix_transpose(Z) - xp.sum(softplus(U, xp=xp), axis=-1, keepdims=True)


def latent_score(U, Z, latent, normalization, *, xp):
    """``d ln Abar[x, z] / d u`` for the pairs ``(U[t], Z[t])``: (T, L) -> (T, L).

    This is the factor ``(z_beta - mu_{z_beta | x})`` of eqs. 13c-13d, exact
    for each normalisation:

    * binary (eq. 11) and one-hot softmax: ``z - p`` with ``p`` the
      Bernoulli means / the softmax;
    * one-hot sigmoid ratio (eq. 19): ``(1 - sigmoid(u)) (z - q)`` with
      ``q = sigmoid(u) / sum sigmoid(u)``.
    """
    if latent == "binary":
        return Z - sigmoid(U, xp=xp)
    if normalization == "softmax":
        return Z - xp.exp(log_softmax(U, axis=-1, xp=xp))
    q = xp.exp(log_softmax(log_sigmoid(U, xp=xp), axis=-1, xp=xp))
    return sigmoid(-U, xp=xp) * (Z - q)


# --------------------------------------------------------------------------
# Approximate log-likelihood gradient (Sec. III)
# --------------------------------------------------------------------------


def approx_gradient(X, Xp, Z, Up, w, a, x_mean, *, latent, normalization, log_weight=None, xp):
    """Approximate gradient of the mean log-likelihood, eqs. 16a-16d and 17.

    The model averages run over the chain pairs ``(x'(t), z(t))``, with
    ``z(t) ~ Abar[x'(t), .]``. For a data point ``x_n`` each pair gets the
    weight ``r[n, t] = A[z(t), x_n] / sum_s A[z(s), x_n]``, computed as a
    softmax over ``t`` of ``ln A`` (log space: nothing underflows at
    D = 784, so the ``Q`` factor of eq. A1 is not needed).

    Every array may carry a leading run axis (``(R, ...)``: ``R``
    independent models trained as one array program) with the one-hot
    latent.

    Parameters
    ----------
    X : array of shape (N, D)
        Data mini-batch.
    Xp : array of shape (T, D)
        Fantasy states ``x'(t)``.
    Z : array of shape (T, L)
        Latent states ``z(t)`` sampled from ``Abar[x'(t), .]``.
    Up : array of shape (T, L)
        Latent fields ``u(x'(t))`` (:func:`latent_fields`).
    w, a : arrays of shape (D, L), (D,)
    x_mean : array of shape (D,)
        Centering vector of eq. 17 (zeros for no centering).
    latent, normalization : str
    log_weight : array of shape (T,) or None
        Log-weights of the pairs (None: equal weights, a sampled chain).
        Exact enumerations pass ``ln p(x') + ln Abar[x', z]`` here.

    Returns
    -------
    grad_w : (D, L)   eq. 16a
    grad_a : (D,)     eq. 16b
    grad_wbar : (L, D) eqs. 16c / 17
    grad_abar : (L,)  eq. 16d
    log_likelihood : 0-d array
        Mean over the batch of ``ln <A[z, x]>_z`` (the on-the-fly estimate
        of Appendix A.3).
    """
    T = Z.shape[-2]
    if log_weight is None:
        log_weight = xp.full((T,), -math.log(T), dtype=X.dtype, device=X.device)
    else:
        log_weight = log_weight - logsumexp(log_weight, xp=xp)
    if latent == "onehot":
        # L distinct fields instead of T: ln A over states, then pick by z(t).
        # (Built by a product so it is row-major: a transposed copy of w has
        # the same values but another memory order, which changes how the
        # products below sum, and the seeded fits with it.)
        H_states = visible_fields(xp.eye(w.shape[-1], dtype=w.dtype, device=w.device), w, a, xp=xp)
        log_A = log_visible_given_latent(X, H_states, xp=xp) @ xp.matrix_transpose(Z)
    else:
        H = visible_fields(Z, w, a, xp=xp)
        log_A = log_visible_given_latent(X, H, xp=xp)
    log_A = log_A + log_weight
    # (A fused log-sum-exp, (RZ^T X)^T and an uncentred G^T Xp save about a
    # third of this function's time with 36 runs, but change the round-off
    # of every fit, and training is chaotic in round-off: the seeded
    # reproduction tests would no longer reproduce. Kept as they were.)
    log_px = logsumexp(log_A, axis=-1, keepdims=True, xp=xp)
    R = xp.exp(log_A - log_px)  # (N, T): rows sum to 1
    n = X.shape[-2]
    rho = xp.mean(R, axis=-2)  # (T,)
    RZ = R @ Z  # (N, L)
    if latent == "onehot":
        mu = sigmoid(H_states, xp=xp)  # (L, D), eq. 14 per state
        s_bar = xp.expand_dims(xp.mean(RZ, axis=-2), axis=-2)  # (1, L)
        XtRZ = xp.matrix_transpose(X) @ RZ / n
        grad_w = XtRZ - xp.matrix_transpose(mu) * s_bar
        # The rows of RZ sum to 1, so sum_alpha XtRZ = mean(X): one pass over
        # the (D, L) product instead of another over the batch. (The one-hot
        # machine does not train ``a``; this keeps the returned value right.)
        grad_a = xp.sum(XtRZ, axis=-1) - (s_bar @ mu)[..., 0, :]
    else:
        mu = sigmoid(H, xp=xp)  # (T, D)
        grad_w = xp.matrix_transpose(X) @ RZ / n - xp.matrix_transpose(mu * rho[..., None]) @ Z
        grad_a = xp.mean(X, axis=-2) - rho @ mu
    G = latent_score(Up, Z, latent, normalization, xp=xp) * rho[..., None]  # (T, L)
    grad_wbar = xp.matrix_transpose(G) @ (Xp - xp.expand_dims(x_mean, axis=-2))
    grad_abar = xp.sum(G, axis=-2)
    return grad_w, grad_a, grad_wbar, grad_abar, xp.mean(log_px)


def approx_gradient_runs(X, Xp, Z, Up, w, a, x_mean, *, normalization, xp, overwrite_visible=False, states=None):
    """:func:`approx_gradient` of sampled one-hot chains for ``R`` runs, subnormal weights flushed to zero.

    At D = 784 a few percent of the pair weights ``r[n, t]`` (and the latent scores of dead states)
    are subnormal, and every product reading them runs 3-9x slower on x86 (microcode assists).
    They are set to 0; otherwise these are :func:`approx_gradient`'s operations in its order, so
    the result is the same to the bit unless a gradient entry consists only of subnormal terms
    (a dead state's ``wbar`` row then keeps 0 where it would reach ~1e-35: round-off).
    ``grad_a`` is not computed. ``overwrite_visible=True`` centres ``Xp`` in place. ``states``: the
    ``(H, sigmoid(H))`` of :func:`visible_states_runs` for ``w, a`` when the caller has them.

    ``X`` (R, N, D), ``Xp`` (R, T, D), ``Z``, ``Up`` (R, T, L), ``w`` (R, D, L), ``a``, ``x_mean``
    (R, D). Returns ``grad_w`` (R, D, L), ``grad_wbar`` (R, L, D), ``grad_abar`` (R, L) and the
    chain's latent posteriors ``Abar[x'(t), z]`` (R, T, L) (the monitor's occupancy sums them).
    """
    T, tiny, numpy = Z.shape[-2], xp.finfo(X.dtype).smallest_normal, is_numpy_namespace(xp)
    H_states, mu = visible_states_runs(w, a, xp=xp) if states is None else states
    log_A_states = log_visible_given_latent(X, H_states, xp=xp)  # (R, N, L)
    log_weight = xp.full((1,), -math.log(T), dtype=X.dtype, device=X.device)  # equal weights of the pairs
    log_A = log_A_states @ xp.matrix_transpose(Z) + log_weight  # the product picks each t's state exactly
    # _math.logsumexp's operations; the flushed terms are below half an ulp of the sum (>= 1, the maximum's
    # term). The maximum over t is the one over the visited states (rounding is monotone): no (R, N, T) pass.
    visited = xp.expand_dims(xp.any(Z > 0, axis=-2), axis=-2)  # (R, 1, L)
    masked = xp.where(visited, log_A_states, -math.inf)  # max over its L columns: no short-axis reduction
    top = functools.reduce(xp.maximum, (masked[..., j] for j in range(masked.shape[-1])))[..., None] + log_weight
    top = xp.where(xp.isfinite(top), top, xp.zeros_like(top))
    R = log_A - top  # on NumPy both exponentials go into this (R, N, T) buffer (same values)
    R = xp.exp(R, out=R) if numpy else xp.exp(R)
    log_px = xp.log(xp.sum(_flush(R, tiny, xp), axis=-1, keepdims=True)) + top
    R = _flush(xp.exp(xp.subtract(log_A, log_px, out=R), out=R) if numpy else xp.exp(log_A - log_px), tiny, xp)
    rho = xp.mean(R, axis=-2)
    RZ = R @ Z
    s_bar = xp.expand_dims(xp.mean(RZ, axis=-2), axis=-2)
    grad_w = xp.matrix_transpose(X) @ RZ
    grad_w /= X.shape[-2]
    grad_w -= xp.matrix_transpose(mu) * s_bar
    q = xp.exp(log_softmax(categorical_logits(Up, normalization, xp=xp), axis=-1, xp=xp))  # as latent_score
    G = (Z - q if normalization == "softmax" else sigmoid(-Up, xp=xp) * (Z - q)) * rho[..., None]
    G *= xp.astype(xp.abs(G) >= tiny, G.dtype)
    if overwrite_visible:
        Xp -= xp.expand_dims(x_mean, axis=-2)
    else:
        Xp = Xp - xp.expand_dims(x_mean, axis=-2)
    return grad_w, xp.matrix_transpose(G) @ Xp, xp.sum(G, axis=-2), q


def visible_states_runs(w, a, *, xp):
    """Fields ``H`` (R, L, D) of the one-hot states of ``R`` runs, row-major, and ``sigmoid(H)`` (eq. 14): the
    values of ``visible_fields(eye(L), w, a)`` (a product with the identity is exact). ``w`` (R, D, L), ``a`` (R, D)."""
    if is_numpy_namespace(xp):  # one addition into a row-major array
        H = xp.add(xp.matrix_transpose(w), xp.expand_dims(a, axis=-2),
                   out=xp.empty(w.shape[:-2] + w.shape[:-3:-1], dtype=w.dtype))
    else:
        H = visible_fields(xp.eye(w.shape[-1], dtype=w.dtype, device=w.device), w, a, xp=xp)
    return H, sigmoid(H, xp=xp)


def _flush(v, tiny, xp):
    """Subnormal entries of the fresh array ``v`` >= 0 set to 0 in place (a mask product: 5x a masked set)."""
    return xp.multiply(v, v >= tiny, out=v) if is_numpy_namespace(xp) else v * xp.astype(v >= tiny, v.dtype)


def tie_reversible(w, latent_prior_bias, x_mean, *, xp):
    """Recognition parameters of the equilibrium control.

    With ``wbar = w^T`` and ``abar = c + w^T x_mean`` the step
    ``x -> z -> x`` is a Gibbs sampler of ``p(x, z) ~ exp(x.(w z + a) + c.z)``
    (softmax one-hot or binary latent), so detailed balance holds.

    Returns
    -------
    wbar : (L, D), abar : (L,)
    """
    wbar = xp.matrix_transpose(w)
    return wbar, latent_prior_bias + (wbar @ x_mean[..., None])[..., 0]


def untie_reversible_gradient(grad_w, grad_wbar, grad_abar, x_mean, *, xp):
    """Chain rule through :func:`tie_reversible`: gradients for ``(w, c)``."""
    return grad_w + xp.matrix_transpose(grad_wbar) + x_mean[..., :, None] * xp.expand_dims(grad_abar, axis=-2), grad_abar


# --------------------------------------------------------------------------
# Sampling the chain x'(t) -> z(t) -> x'(t+1)
# --------------------------------------------------------------------------


def sample_chain_onehot(x0, w, a, wbar, abar, x_mean, uniform_x, gumbel_z, *, normalization, xp):
    """``T`` double steps of the one-hot chain for ``C`` chains at once.

    The ``x'`` candidates for every possible latent state and every step are
    drawn with common uniforms (``x'(t+1)[alpha] = U[t] < sigmoid(w_alpha + a)``),
    their latent fields come from one matrix product, and the latent path
    then follows from the ``L x L`` "next state" tables of each step by a
    prefix product (Hillis-Steele scan, ``log2 T`` batched matmuls). The
    realised path is exactly the sequential chain driven by the same
    random numbers (:func:`sample_chain_sequential`), without a Python
    loop over the ``T`` steps.

    Every argument may carry a leading run axis (``x0`` of shape
    ``(R, C, D)``, ``w`` of shape ``(R, D, L)``, ...): ``R`` independent
    models sampled as one array program (``fit_independent_runs(...,
    batched=True)``); the outputs then have it too.

    Parameters
    ----------
    x0 : array of shape (C, D)
        Persistent states ``x'(0)``.
    w, a, wbar, abar, x_mean : parameters (see module docstring).
    uniform_x : array of shape (C, T, D)
        Uniforms driving ``x'(1) ... x'(T)``.
    gumbel_z : array of shape (C, T, L)
        Gumbel noise driving ``z(0) ... z(T-1)``.
    normalization : {"softmax", "sigmoid_ratio"}

    Returns
    -------
    Xp : array of shape (C, T + 1, D)
        ``x'(0) ... x'(T)``; ``x'(T)`` is the next persistent state.
    Z : array of shape (C, T, L)
        One-hot ``z(0) ... z(T-1)``.
    Up : array of shape (C, T, L)
        Latent fields ``u(x'(t))`` for ``t < T``.
    """
    if w.ndim == 2:  # one model: the run axis of length 1
        out = sample_chain_onehot(*(v[None, ...] for v in (x0, w, a, wbar, abar, x_mean, uniform_x, gumbel_z)),
                                  normalization=normalization, xp=xp)
        return tuple(o[0, ...] for o in out)
    R, C, T, D = uniform_x.shape
    L = w.shape[-1]
    dtype = uniform_x.dtype
    # (R, L, D), eq. 14; built by a matmul so it is row-major (broadcast
    # comparisons against a transposed view are several times slower).
    probs = sigmoid(visible_fields(xp.eye(L, dtype=dtype, device=x0.device), w, a, xp=xp), xp=xp)
    wbar_t = xp.matrix_transpose(wbar)  # (R, D, L)
    # Centering folded into the bias: u = x wbar^T + (abar - x_mean wbar^T).
    bias = abar - (x_mean[:, None, :] @ wbar_t)[:, 0, :]  # (R, L)
    u0 = x0 @ wbar_t + bias[:, None, :]  # (R, C, L)
    states = xp.arange(L, device=x0.device)
    z0 = xp.astype(
        xp.argmax(categorical_logits(u0, normalization, xp=xp) + gumbel_z[:, :, 0, :], axis=-1)[..., None] == states,
        dtype,
    )
    if T == 1:
        Z = z0[:, :, None, :]
        Up = u0[:, :, None, :]
    else:
        # Candidates x'(t+1) for every state z(t) = alpha, t = 0..T-2, and
        # the fields of z(t+1) they would produce: one matmul per run.
        cand = xp.astype(uniform_x[:, :, : T - 1, None, :] < probs[:, None, None, :, :], dtype)  # (R, C, T-1, L, D)
        # One GEMM per run (a 5-D batched matmul would loop over small matrices).
        u_cand = xp.reshape(xp.reshape(cand, (R, C * (T - 1) * L, D)) @ wbar_t, (R, C, T - 1, L, L))
        u_cand = u_cand + bias[:, None, None, None, :]
        logits = categorical_logits(u_cand, normalization, xp=xp) + gumbel_z[:, :, 1:, None, :]
        step_map = xp.astype(xp.argmax(logits, axis=-1)[..., None] == states, dtype)  # (R, C, T-1, L, L)
        # Inclusive prefix products F_0 F_1 ... F_t (row vector times matrices).
        prefix = step_map
        shift = 1
        while shift < T - 1:
            prefix = xp.concat(
                [prefix[:, :, :shift, ...], prefix[:, :, : T - 1 - shift, ...] @ prefix[:, :, shift:, ...]], axis=2)
            shift *= 2
        z_rest = xp.reshape(z0[:, :, None, None, :] @ prefix, (R, C, T - 1, L))
        Z = xp.concat([z0[:, :, None, :], z_rest], axis=2)  # (R, C, T, L)
        u_rest = xp.sum(Z[:, :, : T - 1, :, None] * u_cand, axis=3)
        Up = xp.concat([u0[:, :, None, :], u_rest], axis=2)
    # Realised x'(1..T): the same uniforms against the row of the realised z
    # (a one-hot matmul picks the row exactly).
    x_rest = xp.astype(uniform_x < Z @ probs[:, None, :, :], dtype)  # (R, C, T, D)
    Xp = xp.concat([x0[:, :, None, :], x_rest], axis=2)
    return Xp, Z, Up


def sample_chain_onehot_runs(x0, w, a, wbar, abar, x_mean, uniform_x, gumbel_z, *, normalization, xp,
                             keep_visible=True, out=None, probs=None):
    """:func:`sample_chain_onehot` for ``R`` runs at once, one step at a time.

    Same arguments with the leading run axis (``x0`` (R, C, D), ``w`` (R, D, L), ``uniform_x``
    (R, C, T, D), ``gumbel_z`` (R, C, T, L)) and the same realised path ``Xp``, ``Z`` for the same
    random numbers (``Up`` equal up to the summation order of the products). The prefix scan draws a
    candidate ``x'`` for each of the ``L`` latent states at every step, an ``L``-fold excess of
    elementwise work that grows with ``R``; this loop does only the realised step, and its ``T``
    Python iterations cost the same for any ``R``, so it is the faster form from a few runs on
    (``benchmarks/bench_nmm.py``). Used by ``fit_independent_runs(..., batched=True)``.

    ``keep_visible=False`` (estimation chains): ``x'(T)`` (R, C, D) instead of
    ``Xp`` and ``Up`` from each step's product (round-off from the default).
    ``out``: an (R, C, T + 1, D) buffer for ``Xp``; ``x0`` may be its slot ``T``. ``probs``: the
    (R, L, D) ``sigmoid(w^T + a)`` when the caller has it (:func:`visible_states_runs`).
    """
    R, C, T, D = uniform_x.shape
    L = w.shape[-1]
    dtype = uniform_x.dtype
    probs = visible_states_runs(w, a, xp=xp)[1] if probs is None else probs  # (R, L, D), eq. 14
    wbar_t = xp.matrix_transpose(wbar)  # (R, D, L)
    bias = xp.expand_dims(abar - (x_mean[:, None, :] @ wbar_t)[:, 0, :], axis=-2)  # (R, 1, L)
    states = xp.arange(L, device=x0.device)
    # Row r * L + k of the flattened probs is run r's p(x | z = k): one take per step picks every run's row.
    flat_probs = xp.reshape(probs, (R * L, D))
    run_offset = xp.reshape(xp.arange(R, device=x0.device) * L, (R, 1))
    # The visible states go straight into their slot of Xp; on NumPy the gather and the comparison
    # write into buffers (no temporaries: the step is memory-bound, fresh arrays cost page faults).
    in_place = is_numpy_namespace(xp)
    Xp = (xp.empty((R, C, T + 1, D), dtype=dtype, device=x0.device) if out is None else out) if keep_visible else None
    if keep_visible:  # (x0 may be slot T of out: copied before the loop writes there)
        Xp[:, :, 0, :] = x0
    if in_place:
        rows = xp.empty((R * C, D), dtype=dtype, device=x0.device)
        rows3 = xp.reshape(rows, (R, C, D))
        x_buf = None if keep_visible else xp.empty((R, C, D), dtype=dtype, device=x0.device)
    x = x0
    zs, us = [], []
    u0 = u = x0 @ wbar_t + bias  # (R, C, L)
    for t in range(T):
        if in_place:  # ndarray methods, in-place sums: the same values with half the call overhead
            if t:
                u = x @ wbar_t
                u += bias
            k = (u if normalization == "softmax" else categorical_logits(u, normalization, xp=xp))
            k = (k + gumbel_z[:, :, t, :]).argmax(axis=-1)
            flat_probs.take((k + run_offset).reshape(-1), axis=0, out=rows, mode="clip")  # "raise" buffers out
            x = Xp[:, :, t + 1, :] if keep_visible else x_buf
            xp.less(uniform_x[:, :, t, :], rows3, out=x)  # 0.0 / 1.0, as astype
        else:
            if t:
                u = x @ wbar_t + bias
            k = xp.argmax(categorical_logits(u, normalization, xp=xp) + gumbel_z[:, :, t, :], axis=-1)  # (R, C)
            rows = xp.reshape(xp.take(flat_probs, xp.reshape(k + run_offset, (R * C,)), axis=0), (R, C, D))
            x = xp.astype(uniform_x[:, :, t, :] < rows, dtype)
            if keep_visible:
                Xp[:, :, t + 1, :] = x
        zs.append(k)
        if not keep_visible:
            us.append(u)
    Z = xp.astype(xp.expand_dims(xp.stack(zs, axis=2), axis=-1) == states, dtype)  # (R, C, T, L)
    if not keep_visible:
        return x, Z, xp.stack(us, axis=2)
    if T == 1:
        return Xp, Z, u0[:, :, None, :]
    # The returned fields of x'(1..T-1) come from one GEMM per run, the form
    # of the prefix-scan sampler's, so they match its values to the bit.
    u_rest = xp.reshape(xp.reshape(Xp[:, :, 1:T, :], (R, C * (T - 1), D)) @ wbar_t, (R, C, T - 1, L))
    Up = xp.concat([u0[:, :, None, :], u_rest + xp.expand_dims(bias, axis=-2)], axis=2)
    return Xp, Z, Up


def sample_chain_sequential(x0, w, a, wbar, abar, x_mean, uniform_x, noise_z, *, latent, normalization, xp):
    """Reference step-by-step sampler (any latent kind), ``C`` chains at once.

    For ``latent="onehot"`` ``noise_z`` is Gumbel noise (C, T, L) and the
    result equals :func:`sample_chain_onehot` with the same noise; for
    ``"binary"`` it holds uniforms (C, T, L) and ``z_alpha = U < sigmoid(u_alpha)``
    (eq. 11). Returns ``Xp`` (C, T+1, D), ``Z`` (C, T, L), ``Up`` (C, T, L).
    """
    C, T, D = uniform_x.shape
    L = w.shape[1]
    dtype = uniform_x.dtype
    states = xp.arange(L, device=x0.device)
    x = x0
    xs, zs, us = [x0], [], []
    for t in range(T):
        u = latent_fields(x, wbar, abar, x_mean, xp=xp)
        if latent == "onehot":
            k = xp.argmax(categorical_logits(u, normalization, xp=xp) + noise_z[:, t, :], axis=1)
            z = xp.astype(k[:, None] == states, dtype)
        else:
            z = xp.astype(noise_z[:, t, :] < sigmoid(u, xp=xp), dtype)
        x = xp.astype(uniform_x[:, t, :] < sigmoid(visible_fields(z, w, a, xp=xp), xp=xp), dtype)
        xs.append(x)
        zs.append(z)
        us.append(u)
    return xp.stack(xs, axis=1), xp.stack(zs, axis=1), xp.stack(us, axis=1)


# --------------------------------------------------------------------------
# Estimates: occupancy, Rao-Blackwellised M, log-likelihood, initialisation
# --------------------------------------------------------------------------


def latent_posterior_samples(Z_from, w, a, wbar, abar, x_mean, uniform_x, Z_states, *, latent, normalization, xp,
                             overwrite_uniforms=False):
    """Exact ``Abar[x, z]`` at visible samples ``x ~ A[z', .]`` (Rao-Blackwellised M).

    ``M[z', z] = E_{x ~ A[z', .]} Abar[x, z]`` (eq. 3) is the mean over the
    ``K`` samples of the returned array; unlike transition counts it has no
    zero entries. Keeping the samples allows a bootstrap error bar.

    Parameters
    ----------
    Z_from : array of shape (S, L)
        Latent states ``z'`` (rows of M).
    uniform_x : array of shape (S, K, D)
        Uniforms driving the ``K`` visible samples per state.
    Z_states : array of shape (S2, L)
        Latent states ``z`` (columns of M).
    overwrite_uniforms : bool
        On NumPy, sample and centre in ``uniform_x``'s buffer (same values, no (S, K, D) temporaries).

    Returns
    -------
    P : array of shape (S, K, S2)
        ``Abar[x_k, z]`` for each row state and sample.
    """
    S, K, D = uniform_x.shape
    probs = sigmoid(visible_fields(Z_from, w, a, xp=xp), xp=xp)  # (S, D)
    in_place = overwrite_uniforms and is_numpy_namespace(xp)
    Xs = (xp.less(uniform_x, probs[:, None, :], out=uniform_x) if in_place  # 0.0 / 1.0 in place
          else xp.astype(uniform_x < probs[:, None, :], uniform_x.dtype))
    U = latent_fields(xp.reshape(Xs, (S * K, D)), wbar, abar, x_mean, xp=xp, overwrite=in_place)
    logp = log_latent_given_visible(U, Z_states, latent, normalization, xp=xp)
    return xp.reshape(xp.exp(logp), (S, K, Z_states.shape[0]))


def log_likelihood(X, H_states, log_occupancy, *, xp):
    """``ln p(x) = ln sum_z pbar(z) A[z, x]`` (eq. 5) for each row of ``X``.

    Parameters
    ----------
    X : array of shape (N, D)
    H_states : array of shape (S, D)
        Visible fields of every latent state (:func:`visible_fields`).
    log_occupancy : array of shape (S,)
        ``ln pbar(z)``; ``-inf`` for states never visited.

    Returns
    -------
    array of shape (N,)
    """
    return logsumexp(log_visible_given_latent(X, H_states, xp=xp) + log_occupancy, axis=1, xp=xp)


def subset_membership(uniform, *, fraction=0.1, xp):
    """Appendix A.1 subsets: column ``alpha`` marks a random ``fraction`` of the rows.

    Parameters
    ----------
    uniform : array of shape (N, L)
        Uniforms whose ranks per column select the subsets.

    Returns
    -------
    member : array of shape (N, L)
        1.0 for the rows in each column's subset.
    n_sub : int
        Rows per subset.
    """
    n = uniform.shape[0]
    n_sub = max(1, int(round(fraction * n)))
    ranks = xp.argsort(xp.argsort(uniform, axis=0), axis=0)
    return xp.astype(ranks < n_sub, uniform.dtype), n_sub


def init_generative_weights(X, n_latent, uniform, *, fraction=0.1, clip=1e-3, xp):
    """Appendix A.1: column ``alpha`` of ``w`` is the logit of the mean of a
    random ``fraction`` of the data, a different subset per column.

    Parameters
    ----------
    X : array of shape (N, D)
    uniform : array of shape (N, L)
        Uniforms whose ranks per column select the subsets.
    clip : float
        Means are clipped to ``[clip, 1 - clip]`` so the logit is finite.

    Returns
    -------
    w : array of shape (D, L)
    """
    member, n_sub = subset_membership(xp.astype(uniform, X.dtype), fraction=fraction, xp=xp)
    return logit_of_means(xp.matrix_transpose(X) @ member / n_sub, clip=clip, xp=xp)


def logit_of_means(means, *, clip=1e-3, xp):
    """``logit`` of ``means`` clipped to ``[clip, 1 - clip]`` (finite for all-0 or all-1 pixels)."""
    means = xp.clip(means, clip, 1.0 - clip)
    return xp.log(means) - xp.log1p(-means)
