"""Observables of a finite Markov chain (seed paper 000, Sec. IV, eqs. 21-24).

Conventions
-----------
Transition matrices are row-stochastic: ``M[i, j] = P(i -> j)`` and every
row sums to one. Distributions ``p`` are vectors of length ``L`` (the number
of states). Everything is computed in the namespace and on the device of the
input, in float64 where the device supports it (``_backend.accurate_dtype``):
these are sums of small terms and logarithms of ratios.

This module is the only place where entropy production, currents,
decorrelation times and the other indicators of eqs. 21-24 are computed;
estimators call these functions instead of re-implementing them.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _backend
from .._validation import check_array_xp

__all__ = [
    "transition_matrix",
    "state_distribution",
    "stationary_distribution",
    "probability_currents",
    "entropy_production_rate",
    "decorrelation_time",
    "mean_self_transition",
    "class_distribution_kl",
]

_EMPTY_ROWS = ("uniform", "self", "zero", "raise")


# --------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------


def _check_array(a, *, name, ensure_2d=True, dtype="numeric"):
    """``check_array_xp`` (any namespace, with or without ``SCIPY_ARRAY_API``)."""
    return check_array_xp(a, name=name, ensure_2d=ensure_2d, dtype=dtype)


def _as_accurate(a, name, *, ndim):
    """Validate ``a`` (finite, ``ndim`` dimensions) and cast it to float64.

    Returns the array in its own namespace and device, with ``xp`` and
    ``device``.
    """
    a = _check_array(a, name=name, ensure_2d=(ndim == 2))
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {tuple(a.shape)}.")
    xp, device = _backend.namespace_of(a)
    dtype = _backend.accurate_dtype(xp, device)
    if xp.isdtype(a.dtype, "bool"):
        a = xp.astype(a, xp.int64)
    return xp.astype(a, dtype), xp, device


def _check_transition_matrix(M):
    """Validate a row-stochastic matrix; return it as float64 with ``xp``, ``device``."""
    M, xp, device = _as_accurate(M, "M", ndim=2)
    n_rows, n_cols = M.shape
    if n_rows != n_cols:
        raise ValueError(f"M must be a square transition matrix, got shape {(n_rows, n_cols)}.")
    if bool(xp.any(M < 0)):
        raise ValueError("M has negative entries; a transition matrix holds probabilities.")
    row_sums = xp.sum(M, axis=1)
    # Accept float32 matrices produced by the estimators: compare with the
    # tolerance of float32, the least precise dtype we are given.
    if bool(xp.any(xp.abs(row_sums - 1.0) > 3.5e-4)):
        raise ValueError(
            "M is not row-stochastic (rows must sum to 1, M[i, j] = P(i -> j)); "
            f"row sums range over [{float(xp.min(row_sums))}, {float(xp.max(row_sums))}]. "
            "Rows never visited by a trajectory can be filled with "
            "transition_matrix(..., empty_rows='uniform')."
        )
    # Remove the float32 rounding of the rows so that p M = p holds to float64
    # precision downstream.
    return M / row_sums[:, None], xp, device


def _check_distribution(p, n_states, xp, device, *, name="p", normalise=False):
    """Validate a probability vector of length ``n_states`` on ``xp``/``device``."""
    p, _, _ = _as_accurate(p, name, ndim=1)
    p = _backend.to_device(p, xp, device, dtype=_backend.accurate_dtype(xp, device))
    if p.shape[0] != n_states:
        raise ValueError(f"{name} has {p.shape[0]} entries, expected {n_states} (one per state or class).")
    if bool(xp.any(p < 0)):
        raise ValueError(f"{name} has negative entries; it must be a probability distribution.")
    total = float(xp.sum(p))
    if normalise:
        if total <= 0:
            raise ValueError(f"{name} sums to {total}; it needs at least one positive entry.")
        return p / total
    if abs(total - 1.0) > 3.5e-4:
        raise ValueError(f"{name} sums to {total}, not 1.")
    return p


def _sequences(trajectory, time_axis):
    """Split ``trajectory`` into a list of 2-D integer arrays (n_sequences, n_steps)."""
    ragged = isinstance(trajectory, (list, tuple)) and len(trajectory) > 0 and not isinstance(
        trajectory[0], numbers.Number
    ) and getattr(trajectory[0], "ndim", 1) >= 1
    pieces = list(trajectory) if ragged else [trajectory]
    out = []
    for k, piece in enumerate(pieces):
        name = f"trajectory[{k}]" if ragged else "trajectory"
        arr = _check_array(piece, name=name, ensure_2d=False, dtype=None)
        if arr.ndim == 1:
            arr = arr[None, :]
        elif arr.ndim == 2:
            if time_axis in (0, -2):
                arr = arr.T
            elif time_axis not in (1, -1):
                raise ValueError(f"time_axis must be 0 or -1 for 2-D trajectories, got {time_axis}.")
        else:
            raise ValueError(f"{name} must be 1-D or 2-D (n_sequences, n_steps), got {arr.ndim} dimensions.")
        out.append(arr)
    return out


def _as_states(seq, name, xp):
    """Integer state labels (int64) from ``seq``; reject non-integral values."""
    if xp.isdtype(seq.dtype, "bool"):
        return xp.astype(seq, xp.int64)
    if not xp.isdtype(seq.dtype, "integral"):
        if not xp.isdtype(seq.dtype, "real floating") or bool(xp.any(seq != xp.round(seq))):
            raise ValueError(f"{name} must hold integer state labels 0, 1, ..., n_states - 1.")
    return xp.astype(seq, xp.int64)


def _count_codes(codes, n_codes, xp, device):
    """Histogram of integer ``codes`` in ``[0, n_codes)`` (sort + searchsorted, no bincount)."""
    sorted_codes = xp.sort(codes)
    edges = xp.arange(n_codes + 1, dtype=sorted_codes.dtype, device=device)
    cumulative = xp.searchsorted(sorted_codes, edges, side="left")
    return cumulative[1:] - cumulative[:-1]


def _collect_states(trajectory, n_states, time_axis):
    """Validated integer sequences on one namespace and the number of states."""
    sequences = _sequences(trajectory, time_axis)
    xp, device = _backend.namespace_of(sequences[0])
    states = []
    for k, seq in enumerate(sequences):
        seq = _backend.to_device(seq, xp, device)
        seq = _as_states(seq, "trajectory" if len(sequences) == 1 else f"trajectory[{k}]", xp)
        if seq.shape[1] > 0 and bool(xp.any(seq < 0)):
            raise ValueError("trajectory has negative state labels; states are 0, 1, ..., n_states - 1.")
        states.append(seq)
    observed_max = max((int(xp.max(s)) for s in states if s.shape[1] > 0), default=-1)
    if n_states is None:
        n_states = observed_max + 1
    elif not isinstance(n_states, numbers.Integral) or n_states < 1:
        raise ValueError(f"n_states must be a positive integer, got {n_states!r}.")
    if observed_max >= n_states:
        raise ValueError(f"trajectory visits state {observed_max} but n_states={n_states}.")
    if n_states < 1:
        raise ValueError("trajectory is empty: no state observed.")
    return states, int(n_states), xp, device


# --------------------------------------------------------------------------
# Estimation from trajectories
# --------------------------------------------------------------------------


def transition_matrix(trajectory, n_states=None, *, lag=1, pseudocount=0.0, time_axis=-1, empty_rows="uniform"):
    """Row-normalised transition counts of integer state sequences (seed 000, Sec. IV).

    ``M[i, j]`` estimates ``P(z(t + lag) = j | z(t) = i)`` by counting the
    transitions ``i -> j`` and normalising each row, as the seed does for the
    latent chain ``M_{z'z}`` of its eq. (3).

    Parameters
    ----------
    trajectory : array-like of int, shape (n_steps,) or (n_sequences, n_steps), or list of 1-D arrays
        State labels in ``0 .. n_states - 1``. A 2-D array holds one sequence
        per row (use ``time_axis=0`` for shape (n_steps, n_sequences)); a list
        of 1-D arrays may hold sequences of different lengths. Transitions are
        never counted across two sequences.
    n_states : int, optional
        Number of states L; default ``max(trajectory) + 1``.
    lag : int, default=1
        Count transitions ``z(t) -> z(t + lag)``.
    pseudocount : float, default=0.0
        Added to every count before normalising (a symmetric Dirichlet prior).
        With ``pseudocount > 0`` every transition has positive probability, so
        ``entropy_production_rate`` is finite; see its notes.
    time_axis : {-1, 0}, default=-1
        Axis of time in a 2-D ``trajectory``.
    empty_rows : {"uniform", "self", "zero", "raise"}, default="uniform"
        What to put in the rows of states that are never left (never visited,
        or visited only as the last step), which have no counts when
        ``pseudocount == 0``: ``"uniform"`` gives ``1 / L`` everywhere (such a
        state gets stationary weight only through its incoming transitions);
        ``"self"`` makes it absorbing; ``"zero"`` leaves a zero row (the
        result is then not row-stochastic and the other functions reject it);
        ``"raise"`` raises ``ValueError``. Never NaN.

    Returns
    -------
    M : array of shape (L, L)
        Row-stochastic float64 matrix in the namespace/device of ``trajectory``.

    Raises
    ------
    ValueError
        Non-integer or negative labels, labels ``>= n_states``, no transition
        at the given ``lag``, bad ``pseudocount``, or empty rows with
        ``empty_rows="raise"``.
    """
    if not isinstance(lag, numbers.Integral) or lag < 1:
        raise ValueError(f"lag must be a positive integer, got {lag!r}.")
    pseudocount = float(pseudocount)
    if not math.isfinite(pseudocount) or pseudocount < 0:
        raise ValueError(f"pseudocount must be a finite non-negative number, got {pseudocount}.")
    if empty_rows not in _EMPTY_ROWS:
        raise ValueError(f"empty_rows must be one of {_EMPTY_ROWS}, got {empty_rows!r}.")
    states, n_states, xp, device = _collect_states(trajectory, n_states, time_axis)

    codes = [
        xp.reshape(seq[:, :-lag] * n_states + seq[:, lag:], (-1,)) for seq in states if seq.shape[1] > lag
    ]
    if not codes:
        raise ValueError(f"trajectory has no transition at lag {lag}: every sequence is shorter than lag + 1.")
    codes = xp.concat(codes) if len(codes) > 1 else codes[0]
    dtype = _backend.accurate_dtype(xp, device)
    counts = xp.astype(_count_codes(codes, n_states * n_states, xp, device), dtype)
    counts = xp.reshape(counts, (n_states, n_states)) + pseudocount

    row_sums = xp.sum(counts, axis=1, keepdims=True)
    empty = row_sums == 0
    if bool(xp.any(empty)):
        if empty_rows == "raise":
            raise ValueError(
                "Some states are never left in trajectory, so their rows have no counts; "
                "use pseudocount > 0 or empty_rows='uniform'|'self'|'zero'."
            )
        eye = xp.eye(n_states, dtype=dtype, device=device)
        fill = {
            "uniform": xp.full((n_states, n_states), 1.0 / n_states, dtype=dtype, device=device),
            "self": eye,
            "zero": xp.zeros_like(eye),
        }[empty_rows]
        counts = xp.where(empty, fill, counts)
        row_sums = xp.where(empty, xp.ones_like(row_sums), row_sums)
    return counts / row_sums


def state_distribution(trajectory, n_states=None, *, time_axis=-1):
    """Empirical occupation frequencies of the states visited by ``trajectory``.

    The seed estimates the stationary distribution ``p̄(z)`` this way
    (Sec. IV) before evaluating eq. (21).

    Parameters
    ----------
    trajectory : array-like of int, shape (n_steps,) or (n_sequences, n_steps), or list of 1-D arrays
        As in ``transition_matrix``.
    n_states : int, optional
        Number of states L; default ``max(trajectory) + 1``.
    time_axis : {-1, 0}, default=-1
        Axis of time in a 2-D ``trajectory``.

    Returns
    -------
    p : array of shape (L,)
        Fraction of time steps spent in each state (float64), in the
        namespace/device of ``trajectory``.
    """
    states, n_states, xp, device = _collect_states(trajectory, n_states, time_axis)
    codes = [xp.reshape(seq, (-1,)) for seq in states if seq.shape[1] > 0]
    if not codes:
        raise ValueError("trajectory is empty: no state observed.")
    codes = xp.concat(codes) if len(codes) > 1 else codes[0]
    counts = xp.astype(_count_codes(codes, n_states, xp, device), _backend.accurate_dtype(xp, device))
    return counts / xp.sum(counts)


# --------------------------------------------------------------------------
# Stationary state and currents
# --------------------------------------------------------------------------


def stationary_distribution(M):
    """Stationary distribution ``p`` of a row-stochastic matrix: ``p M = p``.

    Solved directly (not by power iteration, which fails on periodic chains
    such as a perfect cycle) from ``p (I - M + 1 1^T) = 1^T``, whose matrix is
    invertible exactly when the chain has a single closed communicating class.

    Parameters
    ----------
    M : array-like of shape (L, L)
        Row-stochastic transition matrix, ``M[i, j] = P(i -> j)``.

    Returns
    -------
    p : array of shape (L,)
        Non-negative, sums to one, float64, in the namespace/device of ``M``.

    Raises
    ------
    ValueError
        If ``M`` is not a transition matrix, or if its stationary distribution
        is not unique (several closed classes; pass ``p`` explicitly to the
        other functions then).
    """
    M, xp, device = _check_transition_matrix(M)
    n_states = M.shape[0]
    dtype = M.dtype
    eye = xp.eye(n_states, dtype=dtype, device=device)
    ones = xp.ones((n_states, n_states), dtype=dtype, device=device)
    system = (eye - M + ones).T
    rhs = xp.ones((n_states, 1), dtype=dtype, device=device)
    try:
        p = xp.reshape(xp.linalg.solve(system, rhs), (-1,))
        ok = bool(xp.all(xp.isfinite(p)))
    except Exception:  # singular system: numpy raises LinAlgError, others differ
        ok = False
    if ok:
        residual = float(xp.max(xp.abs(xp.matmul(p, M) - p)))
        ok = residual < 1e-6 and float(xp.min(p)) > -1e-6
    if not ok:
        raise ValueError(
            "M has no unique stationary distribution (it has several closed communicating "
            "classes); pass the distribution p explicitly."
        )
    # Round-off can leave -1e-17 on transient states; clip and renormalise.
    p = xp.where(p > 0, p, xp.zeros_like(p))
    return p / xp.sum(p)


def _flows(M, p):
    """Validated ``M``, ``p`` (stationary by default) and the flow matrix ``F[i, j] = p_i M_ij``."""
    M, xp, device = _check_transition_matrix(M)
    if p is None:
        p = stationary_distribution(M)
    else:
        p = _check_distribution(p, M.shape[0], xp, device)
    return p[:, None] * M, xp


def probability_currents(M, p=None):
    """Net probability currents ``J[i, j] = p_i M_ij - p_j M_ji`` (seed 000, eq. 21).

    ``J`` is antisymmetric and vanishes exactly when ``(M, p)`` satisfies
    detailed balance; persistent non-zero currents are the latent cycles of
    the nonequilibrium Markov machine.

    Parameters
    ----------
    M : array-like of shape (L, L)
        Row-stochastic transition matrix, ``M[i, j] = P(i -> j)``.
    p : array-like of shape (L,), optional
        Distribution over states; default ``stationary_distribution(M)``.

    Returns
    -------
    J : array of shape (L, L)
        float64, in the namespace/device of ``M``.
    """
    flows, _ = _flows(M, p)
    return flows - flows.T


def entropy_production_rate(M, p=None):
    """Entropy production rate ``sigma`` of a Markov chain, eq. (21) of seed 000.

    .. math::

        \\sigma = \\sum_{i < j} (p_i M_{ij} - p_j M_{ji})
                  \\ln \\frac{p_i M_{ij}}{p_j M_{ji}}

    in nats per step. Every term is non-negative; ``sigma == 0`` exactly for a
    chain in detailed balance.

    Parameters
    ----------
    M : array-like of shape (L, L)
        Row-stochastic transition matrix, ``M[i, j] = P(i -> j)``.
    p : array-like of shape (L,), optional
        Distribution over states; default ``stationary_distribution(M)``.
        The seed uses the empirical occupation ``state_distribution``.

    Returns
    -------
    sigma : float
        ``inf`` when some transition has positive flow one way and zero flow
        back (``p_i M_ij > 0 = p_j M_ji``).

    Notes
    -----
    Pairs with zero flow both ways contribute 0. A pair seen one way only
    contributes ``+inf``; it is never dropped, because dropping one-way pairs
    makes a perfectly cyclic chain ``0 -> 1 -> 2 -> 0`` look reversible
    (``sigma`` near 0) when it is maximally irreversible. For matrices
    estimated from finite trajectories pass
    ``transition_matrix(traj, pseudocount=c)`` with a small ``c > 0``: every
    reverse transition then gets probability ``O(c / counts)`` and ``sigma``
    is finite and large, growing like ``log(1 / c)`` as ``c -> 0``.
    """
    flows, xp = _flows(M, p)
    backward = flows.T
    forward_pos = flows > 0
    backward_pos = backward > 0
    if bool(xp.any(forward_pos != backward_pos)):
        return math.inf
    both = forward_pos & backward_pos
    one = xp.ones_like(flows)
    log_ratio = xp.log(xp.where(both, flows, one)) - xp.log(xp.where(both, backward, one))
    # Summing over all ordered pairs counts each unordered pair twice.
    return float(0.5 * xp.sum(xp.where(both, (flows - backward) * log_ratio, xp.zeros_like(flows))))


# --------------------------------------------------------------------------
# Spectral and diagonal indicators
# --------------------------------------------------------------------------


def decorrelation_time(M):
    """Decorrelation time ``tau = -1 / ln|lambda_2|``, eq. (23) of seed 000.

    ``lambda_2`` is the eigenvalue of ``M`` with the second-largest modulus
    (the largest is 1).

    Parameters
    ----------
    M : array-like of shape (L, L)
        Row-stochastic transition matrix.

    Returns
    -------
    tau : float
        In steps. ``0.0`` when ``lambda_2 == 0`` (moduli below 1e-12, the
        round-off level of the eigenvalue solver, count as 0) or ``L == 1``:
        the chain forgets its state in one step; ``inf`` when ``|lambda_2| == 1``
        (periodic chains such as a deterministic cycle, or several closed
        classes).

    Notes
    -----
    The Array API has no eigenvalue routine for non-symmetric matrices, so the
    ``L x L`` matrix is copied to the host once (explicitly, with
    ``_backend.to_numpy``) for ``numpy.linalg.eigvals``. ``L`` is the number
    of latent states, so the copy is negligible.
    """
    M, _, _ = _check_transition_matrix(M)
    if M.shape[0] == 1:
        return 0.0
    moduli = np.sort(np.abs(np.linalg.eigvals(_backend.to_numpy(M))))[::-1]
    lambda_2 = float(moduli[1])
    if lambda_2 >= 1.0 - 1e-12:
        return math.inf
    if lambda_2 < 1e-12:  # round-off level of eigvals for entries <= 1
        return 0.0
    return -1.0 / math.log(lambda_2)


def mean_self_transition(M):
    """Mean self-transition probability ``<M_zz> = Tr(M) / L``, eq. (24) of seed 000.

    The seed compares it with ``1 / L``, the value of independent uniform
    sampling.

    Parameters
    ----------
    M : array-like of shape (L, L)
        Row-stochastic transition matrix.

    Returns
    -------
    mean_diagonal : float
    """
    M, xp, device = _check_transition_matrix(M)
    eye = xp.eye(M.shape[0], dtype=M.dtype, device=device)
    return float(xp.sum(M * eye)) / M.shape[0]


def class_distribution_kl(p_data, p_model):
    """Kullback-Leibler divergence ``KL(P^D || P^e)`` between class distributions, eq. (22) of seed 000.

    .. math::

        \\mathrm{KL} = \\sum_k P^D(k) \\ln \\frac{P^D(k)}{P^e(k)}

    Parameters
    ----------
    p_data : array-like of shape (K,)
        Class distribution of the data (or class counts).
    p_model : array-like of shape (K,)
        Class distribution of the generated samples (or counts).

    Returns
    -------
    kl : float
        In nats. Classes with ``P^D(k) = 0`` contribute 0; ``inf`` when a
        class of the data has ``P^e(k) = 0``.

    Notes
    -----
    Both vectors are normalised to sum to one, so counts may be passed.
    """
    p_data, xp, device = _as_accurate(p_data, "p_data", ndim=1)
    p_data = _check_distribution(p_data, p_data.shape[0], xp, device, name="p_data", normalise=True)
    p_model = _check_distribution(p_model, p_data.shape[0], xp, device, name="p_model", normalise=True)
    support = p_data > 0
    if bool(xp.any(support & (p_model == 0))):
        return math.inf
    one = xp.ones_like(p_data)
    log_ratio = xp.log(xp.where(support, p_data, one)) - xp.log(xp.where(support, p_model, one))
    return float(xp.sum(xp.where(support, p_data * log_ratio, xp.zeros_like(p_data))))
