"""Exact Markov kernels of small Bernoulli RBMs on enumerated states.

For an RBM with ``n_visible + n_hidden <= ~12`` units every joint state
``s = (v, h)`` can be listed, so the one-step transition matrices of the Gibbs
kernels of ``skneq.rbm._kernels.gibbs_joint`` and the Boltzmann distribution
``p_beta(s) = exp(-beta E(s)) / Z(beta)`` are explicit arrays. These are the
independent answers the fluctuation-theorem and detailed-balance checks of
``skneq.thermodynamics`` are tested against (Viviescas 2018, "Nonequilibrium thermodynamics of restricted Boltzmann machines", Secs. 2 and 3.2).

State ordering: joint state ``s = i_v * 2**n_hidden + i_h`` where ``i_v`` and
``i_h`` index ``skneq.rbm._kernels.binary_states`` (bit ``k`` of the index is unit
``k``). Matrices are row-stochastic: ``P[s, s'] = P(s -> s')``.

Every function is a pure kernel taking the namespace ``xp``; nothing is copied
to the host.
"""

from __future__ import annotations

from .. import _markov as _mk
from .._math import logsumexp, softplus
from ._kernels import binary_states, energy

__all__ = [
    "MAX_JOINT_UNITS",
    "ENUMERATED_KERNELS",
    "joint_states",
    "conditional_log_probabilities",
    "block_update_matrices",
    "joint_transition_matrix",
    "joint_log_probabilities",
    "visible_log_probabilities",
    "hidden_log_probabilities",
    "exact_chain",
    "probability_current",
    "stationary_distribution",
    "matrix_power",
]

#: Largest ``n_visible + n_hidden`` for which joint matrices are built
#: (2**12 states: a 4096 x 4096 float64 matrix is 128 MiB).
MAX_JOINT_UNITS = 12

#: Kernels with an exact matrix: the joint-state kernels of ``gibbs_joint``,
#: the two single block updates, and the marginal chains on v or h alone.
ENUMERATED_KERNELS = ("symmetric", "alternating", "random_scan", "hidden_update", "visible_update",
                      "visible", "hidden")


def _check_joint_size(n_visible, n_hidden, max_units=MAX_JOINT_UNITS):
    if n_visible + n_hidden > max_units:
        raise ValueError(
            f"Exact enumeration of joint states needs 2^{n_visible + n_hidden} states "
            f"(n_visible + n_hidden = {n_visible + n_hidden} > {max_units}); use a smaller model "
            "or the sampled estimators (heat_exchange, annealing_works)."
        )


def joint_states(n_visible, n_hidden, *, xp, device=None, dtype=None):
    """All joint states ``(v, h)`` in the module's ordering.

    Returns
    -------
    V : array of shape (2**(n_visible + n_hidden), n_visible)
    H : array of shape (2**(n_visible + n_hidden), n_hidden)
    """
    n_v, n_h = 2**n_visible, 2**n_hidden
    V_all = binary_states(n_visible, 0, n_v, xp=xp, device=device, dtype=dtype)
    H_all = binary_states(n_hidden, 0, n_h, xp=xp, device=device, dtype=dtype)
    V = xp.reshape(xp.broadcast_to(V_all[:, None, :], (n_v, n_h, n_visible)), (n_v * n_h, n_visible))
    H = xp.reshape(xp.broadcast_to(H_all[None, :, :], (n_v, n_h, n_hidden)), (n_v * n_h, n_hidden))
    return V, H


def conditional_log_probabilities(W, b, c, beta=1.0, *, xp):
    """Tables of ``log p(h | v)`` and ``log p(v | h)`` over all states.

    Parameters
    ----------
    W : array of shape (n_hidden, n_visible)
    b : array of shape (n_visible,)
    c : array of shape (n_hidden,)
    beta : float
        Inverse temperature.

    Returns
    -------
    log_h_given_v : array of shape (2**n_visible, 2**n_hidden)
        ``[i_v, i_h] = log p(h_{i_h} | v_{i_v})``.
    log_v_given_h : array of shape (2**n_hidden, 2**n_visible)
        ``[i_h, i_v] = log p(v_{i_v} | h_{i_h})``.
    """
    n_hidden, n_visible = W.shape
    device = getattr(W, "device", None)
    V_all = binary_states(n_visible, 0, 2**n_visible, xp=xp, device=device, dtype=W.dtype)
    H_all = binary_states(n_hidden, 0, 2**n_hidden, xp=xp, device=device, dtype=W.dtype)
    field_h = beta * (V_all @ W.T + c)  # (2^n_v, n_h): p(h_j=1|v) = sigmoid(field)
    field_v = beta * (H_all @ W + b)  # (2^n_h, n_v)
    log_h_given_v = field_h @ H_all.T - xp.sum(softplus(field_h, xp=xp), axis=1, keepdims=True)
    log_v_given_h = field_v @ V_all.T - xp.sum(softplus(field_v, xp=xp), axis=1, keepdims=True)
    return log_h_given_v, log_v_given_h


def block_update_matrices(W, b, c, beta=1.0, *, xp):
    """Joint-state matrices of the two block Gibbs updates.

    ``A_h[(v, h), (v', h')] = delta(v, v') p(h' | v)`` resamples h;
    ``A_v[(v, h), (v', h')] = delta(h, h') p(v' | h)`` resamples v.
    Each is reversible with respect to ``p_beta(v, h)`` (Viviescas 2018, Sec. 2).

    Returns
    -------
    A_h, A_v : arrays of shape (2**(n_visible + n_hidden),) * 2
    """
    n_hidden, n_visible = W.shape
    _check_joint_size(n_visible, n_hidden)
    n_v, n_h = 2**n_visible, 2**n_hidden
    device = getattr(W, "device", None)
    log_hv, log_vh = conditional_log_probabilities(W, b, c, beta, xp=xp)
    p_h_given_v, p_v_given_h = xp.exp(log_hv), xp.exp(log_vh)
    eye_v = xp.eye(n_v, dtype=W.dtype, device=device)
    eye_h = xp.eye(n_h, dtype=W.dtype, device=device)
    shape4 = (n_v, n_h, n_v, n_h)
    # Index order (i_v, i_h, i_v', i_h') before flattening to (s, s').
    A_h = xp.broadcast_to(eye_v[:, None, :, None] * p_h_given_v[:, None, None, :], shape4)
    A_v = xp.broadcast_to(eye_h[None, :, None, :] * p_v_given_h[None, :, :, None], shape4)
    size = n_v * n_h
    return xp.reshape(A_h, (size, size)), xp.reshape(A_v, (size, size))


def joint_transition_matrix(W, b, c, kernel="symmetric", beta=1.0, *, xp):
    """Exact one-step matrix of a Gibbs kernel (see ``skneq.rbm._kernels.gibbs_joint``).

    Parameters
    ----------
    kernel : str
        ``"symmetric"`` (h, v, h: ``A_h A_v A_h``), ``"alternating"``
        (h then v: ``A_h A_v``), ``"random_scan"`` (``(A_h + A_v) / 2``),
        ``"hidden_update"`` (``A_h``), ``"visible_update"`` (``A_v``) on joint
        states; ``"visible"`` (``T[v, v'] = sum_h p(h|v) p(v'|h)``) or
        ``"hidden"`` (``T[h, h'] = sum_v p(v|h) p(h'|v)``) on one layer.

    Returns
    -------
    P : array of shape (n_states, n_states)
        Row-stochastic; ``n_states = 2**(n_visible + n_hidden)`` for joint
        kernels, ``2**n_visible`` or ``2**n_hidden`` for marginal ones.
    """
    if kernel in ("visible", "hidden"):
        n_hidden, n_visible = W.shape
        _check_joint_size(n_visible if kernel == "visible" else n_hidden, 0)
        _check_joint_size(n_visible, n_hidden, 2 * MAX_JOINT_UNITS)  # the conditional tables
        log_hv, log_vh = conditional_log_probabilities(W, b, c, beta, xp=xp)
        p_hv, p_vh = xp.exp(log_hv), xp.exp(log_vh)
        return p_hv @ p_vh if kernel == "visible" else p_vh @ p_hv
    A_h, A_v = block_update_matrices(W, b, c, beta, xp=xp)
    if kernel == "symmetric":
        return A_h @ (A_v @ A_h)
    if kernel == "alternating":
        return A_h @ A_v
    if kernel == "random_scan":
        return 0.5 * (A_h + A_v)
    if kernel == "hidden_update":
        return A_h
    if kernel == "visible_update":
        return A_v
    raise ValueError(f"kernel must be one of {ENUMERATED_KERNELS}, got {kernel!r}")


def joint_log_probabilities(W, b, c, beta=1.0, *, xp):
    """``log p_beta(s) = -beta E(s) - log Z(beta)`` for every joint state.

    Returns
    -------
    log_p : array of shape (2**(n_visible + n_hidden),)
    energies : array of shape (2**(n_visible + n_hidden),)
        ``E(s)`` (at unit inverse temperature, the energy function itself).
    """
    n_hidden, n_visible = W.shape
    _check_joint_size(n_visible, n_hidden)
    V, H = joint_states(n_visible, n_hidden, xp=xp, device=getattr(W, "device", None), dtype=W.dtype)
    E = energy(V, H, W, b, c, xp=xp)
    log_w = -beta * E
    return log_w - logsumexp(log_w, xp=xp), E


def visible_log_probabilities(W, b, c, beta=1.0, *, xp):
    """Exact ``log p_beta(v)`` for all ``2**n_visible`` visible states."""
    from ._kernels import log_unnormalized_visible

    n_visible = W.shape[1]
    V = binary_states(n_visible, 0, 2**n_visible, xp=xp, device=getattr(W, "device", None), dtype=W.dtype)
    log_w = log_unnormalized_visible(V, W, b, c, beta, xp=xp)
    return log_w - logsumexp(log_w, xp=xp)


def hidden_log_probabilities(W, b, c, beta=1.0, *, xp):
    """Exact ``log p_beta(h)`` for all ``2**n_hidden`` hidden states."""
    from ._kernels import log_unnormalized_hidden

    n_hidden = W.shape[0]
    H = binary_states(n_hidden, 0, 2**n_hidden, xp=xp, device=getattr(W, "device", None), dtype=W.dtype)
    log_w = log_unnormalized_hidden(H, W, b, c, beta, xp=xp)
    return log_w - logsumexp(log_w, xp=xp)


def exact_chain(W, b, c, kernel="symmetric", beta=1.0, *, xp):
    """``(P, p)``: the exact matrix of ``kernel`` and the Boltzmann law it should balance.

    ``p`` is ``p_beta`` on the states ``P`` acts on (joint, visible or
    hidden). The body of the ``_exact_transition_matrix(kernel, beta)``
    protocol of ``skneq.thermodynamics.detailed_balance_violation`` for RBMs.
    """
    if kernel not in ENUMERATED_KERNELS:
        raise ValueError(f"kernel must be one of {ENUMERATED_KERNELS}, got {kernel!r}")
    P = joint_transition_matrix(W, b, c, kernel, beta, xp=xp)
    if kernel == "visible":
        log_p = visible_log_probabilities(W, b, c, beta, xp=xp)
    elif kernel == "hidden":
        log_p = hidden_log_probabilities(W, b, c, beta, xp=xp)
    else:
        log_p, _ = joint_log_probabilities(W, b, c, beta, xp=xp)
    return P, xp.exp(log_p)


def probability_current(P, p, *, xp):
    """Net probability current ``J[s, s'] = p(s) P(s->s') - p(s') P(s'->s)`` (``skneq._markov``)."""
    return _mk.probability_currents(P, p)


stationary_distribution = _mk.stationary_distribution
matrix_power = _mk.matrix_power
