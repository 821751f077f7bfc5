"""Bernoulli RBM energy, conditionals and Gibbs kernels as pure functions.

Conventions (those of ``sklearn.neural_network.BernoulliRBM``):

* ``W`` has shape (n_hidden, n_visible) (``components_``), ``b`` the visible
  bias (n_visible,) (``intercept_visible_``), ``c`` the hidden bias
  (n_hidden,) (``intercept_hidden_``).
* Energy ``E(v, h) = -h W v - b.v - c.h`` and ``p_beta(v, h) = exp(-beta E) / Z``
  (Toledo-Marin et al. eq. 1-2; the inverse temperature ``beta`` as in the
  nonequilibrium-thermodynamics study of RBMs, eq. 1).

``binary_states`` is re-exported from :mod:`skneq._math` (the one enumeration
of ``{0, 1}^n``) for the modules that import it from here.

Every function takes the array namespace ``xp`` and performs no host copy.
Random numbers come from a ``skneq._backend.BackendRandom`` passed in.
"""

from __future__ import annotations

from .._math import binary_states, logsumexp, sigmoid, softplus

__all__ = [
    "energy",
    "hidden_probabilities",
    "visible_probabilities",
    "sample_hidden",
    "sample_visible",
    "gibbs_vhv",
    "gibbs_joint",
    "log_unnormalized_visible",
    "log_unnormalized_hidden",
    "free_energy",
    "binary_states",
    "check_enumerable",
    "exact_log_partition",
    "enumerated_log_weights",
    "exact_samples",
    "JOINT_KERNELS",
    "MAX_EXACT_UNITS",
]

JOINT_KERNELS = ("alternating", "symmetric", "random_scan")

#: "Small enough to enumerate": the largest smaller layer (hidden or visible)
#: whose 2**n states the exact log Z, exact samples and ``score`` enumerate
#: (2**20 rows of one matrix product, about a second at 784 visible units).
#: The one such constant of the package: the estimator, the annealing code and
#: ``skneq.thermodynamics`` all read it from here.
MAX_EXACT_UNITS = 20


def energy(V, H, W, b, c, *, xp):
    """Energy ``E(v, h) = -h W v - b.v - c.h`` of paired states.

    Parameters
    ----------
    V : array of shape (n_samples, n_visible)
    H : array of shape (n_samples, n_hidden)
    W : array of shape (n_hidden, n_visible)
    b : array of shape (n_visible,)
    c : array of shape (n_hidden,)

    Returns
    -------
    E : array of shape (n_samples,)
    """
    return -(xp.sum((V @ W.T) * H, axis=1) + V @ b + H @ c)


def hidden_probabilities(V, W, c, beta=1.0, *, xp):
    """``P(h_j = 1 | v) = sigmoid(beta (W v + c)_j)``, shape (n_samples, n_hidden)."""
    field = V @ W.T + c
    return sigmoid(field if beta == 1.0 else beta * field, xp=xp)


def visible_probabilities(H, W, b, beta=1.0, *, xp):
    """``P(v_i = 1 | h) = sigmoid(beta (W^T h + b)_i)``, shape (n_samples, n_visible)."""
    field = H @ W + b
    return sigmoid(field if beta == 1.0 else beta * field, xp=xp)


def sample_hidden(V, W, c, rng, beta=1.0, *, xp):
    """Draw ``h ~ P(h | v)``; returns ``(H, P(h=1|v))``."""
    P = hidden_probabilities(V, W, c, beta, xp=xp)
    return rng.bernoulli(P), P


def sample_visible(H, W, b, rng, beta=1.0, *, xp):
    """Draw ``v ~ P(v | h)``; returns ``(V, P(v=1|h))``."""
    P = visible_probabilities(H, W, b, beta, xp=xp)
    return rng.bernoulli(P), P


def gibbs_vhv(V, W, b, c, rng, n_steps=1, beta=1.0, *, xp):
    """``n_steps`` block-Gibbs sweeps v -> h -> v on the visible marginal.

    The visible chain is reversible with respect to ``p_beta(v)``.

    Returns
    -------
    V : array of shape (n_samples, n_visible)
        Binary states after the last sweep.
    H : array of shape (n_samples, n_hidden)
        Hidden states that produced ``V``.
    """
    H = None
    for _ in range(int(n_steps)):
        # Sampling from logits skips forming the probabilities, and the
        # fields are fresh buffers that the sampler may overwrite (hot path).
        field_h = V @ W.T
        field_h += c  # in place: array-API arrays support augmented assignment
        if beta != 1.0:
            field_h = beta * field_h
        H = rng.bernoulli_logits(field_h, overwrite=True)
        field_v = H @ W
        field_v += b
        if beta != 1.0:
            field_v = beta * field_v
        V = rng.bernoulli_logits(field_v, overwrite=True)
    return V, H


def gibbs_joint(V, H, W, b, c, rng, kernel="symmetric", beta=1.0, *, xp):
    """One step of a Markov kernel on joint states ``s = (v, h)``.

    Parameters
    ----------
    kernel : {"alternating", "symmetric", "random_scan"}
        * ``"alternating"``: h | v, then v | h (the sweep of Salazar 2017, arXiv:1704.08724, Sec. 2).
          Stationary but **not** reversible on joint states.
        * ``"symmetric"``: the palindromic sweep h | v, v | h, h | v; it is
          reversible (a product A B A of two reversible block updates).
        * ``"random_scan"``: update h or v with probability 1/2 each,
          reversible (a mixture of reversible kernels).

    Returns
    -------
    V, H : arrays of shape (n_samples, n_visible), (n_samples, n_hidden)
    """
    if kernel == "alternating":
        H, _ = sample_hidden(V, W, c, rng, beta, xp=xp)
        V, _ = sample_visible(H, W, b, rng, beta, xp=xp)
    elif kernel == "symmetric":
        H, _ = sample_hidden(V, W, c, rng, beta, xp=xp)
        V, _ = sample_visible(H, W, b, rng, beta, xp=xp)
        H, _ = sample_hidden(V, W, c, rng, beta, xp=xp)
    elif kernel == "random_scan":
        # Both block updates are drawn, then each row keeps one of them: the
        # cost of a vectorised mixture is one extra conditional draw.
        pick_h = rng.uniform((V.shape[0], 1), dtype=V.dtype) < 0.5
        H_new, _ = sample_hidden(V, W, c, rng, beta, xp=xp)
        V_new, _ = sample_visible(H, W, b, rng, beta, xp=xp)
        H = xp.where(pick_h, H_new, H)
        V = xp.where(pick_h, V, V_new)
    else:
        raise ValueError(f"kernel must be one of {JOINT_KERNELS}, got {kernel!r}")
    return V, H


def log_unnormalized_visible(V, W, b, c, beta=1.0, *, xp):
    """``log sum_h exp(-beta E(v, h)) = beta b.v + sum_j softplus(beta (W v + c)_j)``.

    Returns
    -------
    log_p_star : array of shape (n_samples,)
    """
    return beta * (V @ b) + xp.sum(softplus(beta * (V @ W.T + c), xp=xp), axis=1)


def log_unnormalized_hidden(H, W, b, c, beta=1.0, *, xp):
    """``log sum_v exp(-beta E(v, h)) = beta c.h + sum_i softplus(beta (W^T h + b)_i)``."""
    return beta * (H @ c) + xp.sum(softplus(beta * (H @ W + b), xp=xp), axis=1)


def free_energy(V, W, b, c, beta=1.0, *, xp):
    """Free energy ``F(v) = -(1/beta) log sum_h exp(-beta E(v, h))``.

    At ``beta = 1`` this equals ``BernoulliRBM._free_energy``.
    """
    return -log_unnormalized_visible(V, W, b, c, beta, xp=xp) / beta


def check_enumerable(shape, max_units=MAX_EXACT_UNITS, alternative=""):
    """``min(shape)`` (the layer to enumerate), or a ValueError when ``2**min(shape)``
    states are more than ``2**max_units``; ``alternative`` says what to use instead."""
    n_enum = min(shape)
    if n_enum > max_units:
        raise ValueError(
            f"Exact enumeration needs 2^{n_enum} states (min(n_visible, n_hidden) = {n_enum} > "
            f"max_units = {max_units}); {alternative}."
        )
    return n_enum


def exact_log_partition(W, b, c, beta=1.0, *, xp, chunk_size=8192, max_units=MAX_EXACT_UNITS):
    """Exact ``log Z(beta)`` by enumerating the smaller layer.

    The sum over the other layer is analytic, so the cost is
    ``2^min(n_hidden, n_visible)`` rows of one matrix product, done in chunks
    of ``chunk_size`` states to bound memory. Computed in the dtype of ``W``
    (pass float64 parameters: the sum spans many orders of magnitude).

    Returns
    -------
    log_Z : 0-d array
    """
    n_hidden, n_visible = W.shape
    n_enum = check_enumerable(W.shape, max_units, "use annealed importance sampling (method='ais')")
    device = getattr(W, "device", None)
    if n_hidden <= n_visible:
        log_terms = enumerated_log_weights(
            n_enum, lambda S: log_unnormalized_hidden(S, W, b, c, beta, xp=xp), xp=xp, device=device, dtype=W.dtype,
            chunk_size=chunk_size,
        )
    else:
        log_terms = enumerated_log_weights(
            n_enum, lambda S: log_unnormalized_visible(S, W, b, c, beta, xp=xp), xp=xp, device=device, dtype=W.dtype,
            chunk_size=chunk_size,
        )
    return logsumexp(log_terms, xp=xp)


def enumerated_log_weights(n_units, log_weight, *, xp, device, dtype, chunk_size=8192):
    """``log_weight(states)`` over all ``2**n_units`` states, in chunks."""
    parts = []
    for start in range(0, 2**n_units, chunk_size):
        stop = min(start + chunk_size, 2**n_units)
        parts.append(log_weight(binary_states(n_units, start, stop, xp=xp, device=device, dtype=dtype)))
    return parts[0] if len(parts) == 1 else xp.concat(parts)


def exact_samples(W, b, c, n_samples, rng, beta=1.0, *, xp):
    """Independent exact samples ``(V, H)`` of ``p_beta``: enumerate the smaller
    layer, invert its cumulative distribution, draw the other layer from its
    factorised conditional. Returns arrays of shapes (n_samples, n_visible)
    and (n_samples, n_hidden)."""
    n_hidden, n_visible = W.shape
    n_enum = min(n_hidden, n_visible)
    device = getattr(W, "device", None)
    enum_hidden = n_hidden <= n_visible
    if enum_hidden:
        log_w = enumerated_log_weights(
            n_hidden, lambda S: log_unnormalized_hidden(S, W, b, c, beta, xp=xp), xp=xp, device=device, dtype=W.dtype
        )
    else:
        log_w = enumerated_log_weights(
            n_visible, lambda S: log_unnormalized_visible(S, W, b, c, beta, xp=xp), xp=xp, device=device, dtype=W.dtype
        )
    prob = xp.exp(log_w - logsumexp(log_w, xp=xp))
    cdf = xp.cumulative_sum(prob)
    u = rng.uniform((n_samples,), dtype=W.dtype) * cdf[-1]
    idx = xp.clip(xp.searchsorted(cdf, u, side="right"), 0, prob.shape[0] - 1)
    shifts = xp.arange(n_enum, dtype=xp.int64, device=device)
    bits = xp.bitwise_right_shift(xp.astype(idx, xp.int64)[:, None], shifts[None, :])
    S = xp.astype(xp.bitwise_and(bits, 1), W.dtype)  # the bits of each drawn state index
    if enum_hidden:
        V, _ = sample_visible(S, W, b, rng, beta, xp=xp)
        return V, S
    H, _ = sample_hidden(S, W, c, rng, beta, xp=xp)
    return S, H
