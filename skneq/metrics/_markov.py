"""Observables of a finite Markov chain (Baiesi & Rosso 2025, arXiv:2512.11415, Sec. IV, eqs. 21-24).

Conventions
-----------
Transition matrices are row-stochastic: ``M[i, j] = P(i -> j)`` and every
row sums to one. Distributions ``p`` are vectors of length ``L`` (the number
of states). Everything is computed in the namespace and on the device of the
input, in float64 where the device supports it (``_backend.accurate_dtype``):
these are sums of small terms and logarithms of ratios.

These are the public, validating faces of the finite-chain kernels of
``skneq._markov`` (stationary vector, currents, entropy production,
spectral gap), where each mechanism is written once; estimators call them
instead of re-implementing them.
"""

from __future__ import annotations

import math
import numbers

from .. import _backend
from .. import _markov as mk
from .._validation import check_array_xp, check_int, check_option, check_real

__all__ = [
    "transition_counts",
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
# Validation helpers (the checks themselves live once in skneq._markov)
# --------------------------------------------------------------------------


def _check_array(a, *, name, ensure_2d=True, dtype="numeric"):
    """``check_array_xp`` (any namespace, with or without ``SCIPY_ARRAY_API``)."""
    return check_array_xp(a, name=name, ensure_2d=ensure_2d, dtype=dtype)


def _as_accurate(a, name, *, ndim):
    """Validate ``a`` (finite, ``ndim`` dimensions) and cast it to float64 in its own namespace."""
    a = _check_array(a, name=name, ensure_2d=(ndim == 2))
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {tuple(a.shape)}.")
    xp, device = _backend.namespace_of(a)
    if xp.isdtype(a.dtype, "bool"):
        a = xp.astype(a, xp.int64)
    return xp.astype(a, _backend.accurate_dtype(xp, device)), xp, device


def _sequences(trajectory, time_axis):
    """Split ``trajectory`` into a list of 2-D integer arrays (n_sequences, n_steps)."""
    if isinstance(time_axis, bool) or time_axis not in (0, -1, 1, -2):
        raise ValueError(f"time_axis must be 0 or -1, got {time_axis!r}.")
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


def _collect_states(trajectory, n_states, time_axis, max_states=None):
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
        if max_states is not None and n_states > max_states:
            raise ValueError(
                f"trajectory has the label {observed_max}, so n_states would be {n_states} > {max_states} "
                f"(a dense {n_states} x {n_states} matrix); relabel the states 0..L-1 first, e.g. "
                "numpy.unique(trajectory, return_inverse=True)[1], or pass n_states."
            )
    else:
        n_states = check_int(n_states, "n_states", low=1, high=max_states)
    if observed_max >= n_states:
        raise ValueError(f"trajectory visits state {observed_max} but n_states={n_states}.")
    if n_states < 1:
        raise ValueError("trajectory is empty: no state observed.")
    return states, int(n_states), xp, device


# --------------------------------------------------------------------------
# Estimation from trajectories
# --------------------------------------------------------------------------


def transition_counts(trajectory, n_states=None, *, lag=1, time_axis=-1):
    """Transition counts ``C[i, j]``: how often ``z(t) = i`` is followed by ``z(t + lag) = j``.

    The input of the count estimators of ``entropy_production_rate``
    (Baiesi & Rosso 2025, Sec. IV). Arguments as in ``transition_matrix``.

    Returns
    -------
    C : array of shape (L, L)
        float64 counts in the namespace/device of ``trajectory``.
    """
    lag = check_int(lag, "lag", low=1)
    states, n_states, xp, device = _collect_states(trajectory, n_states, time_axis, mk.MAX_DENSE_STATES)
    codes = [
        xp.reshape(seq[:, :-lag] * n_states + seq[:, lag:], (-1,)) for seq in states if seq.shape[1] > lag
    ]
    if not codes:
        raise ValueError(f"trajectory has no transition at lag {lag}: every sequence is shorter than lag + 1.")
    codes = xp.concat(codes) if len(codes) > 1 else codes[0]
    dtype = _backend.accurate_dtype(xp, device)
    counts = xp.astype(_count_codes(codes, n_states * n_states, xp, device), dtype)
    return xp.reshape(counts, (n_states, n_states))


def transition_matrix(trajectory, n_states=None, *, lag=1, pseudocount=0.0, time_axis=-1, empty_rows="uniform"):
    """Row-normalised transition counts of integer state sequences (Baiesi & Rosso 2025, Sec. IV).

    ``M[i, j]`` estimates ``P(z(t + lag) = j | z(t) = i)`` by counting the
    transitions ``i -> j`` and normalising each row, as the paper does for
    the latent chain ``M_{z'z}`` of its eq. (3).

    Parameters
    ----------
    trajectory : array-like of int, shape (n_steps,) or (n_sequences, n_steps), or list of 1-D arrays
        State labels in ``0 .. n_states - 1``. A 2-D array holds one sequence
        per row (use ``time_axis=0`` for shape (n_steps, n_sequences)); a list
        of 1-D arrays may hold sequences of different lengths. Transitions are
        never counted across two sequences.
    n_states : int, optional
        Number of states L, at most ``MAX_DENSE_STATES`` (4096: the dense
        result is ``L x L``); default ``max(trajectory) + 1``, refused above
        4096 (relabel sparse labels first).
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
        Non-integer or negative labels, labels ``>= n_states``, more than
        4096 states, no transition at the given ``lag``, bad
        ``pseudocount``, or empty rows with ``empty_rows="raise"``.
    """
    lag = check_int(lag, "lag", low=1)
    pseudocount = check_real(pseudocount, "pseudocount", low=0.0)
    check_option(empty_rows, "empty_rows", _EMPTY_ROWS)
    counts = transition_counts(trajectory, n_states, lag=lag, time_axis=time_axis)
    xp, device = _backend.namespace_of(counts)
    n_states, dtype = counts.shape[0], counts.dtype
    counts = counts + pseudocount

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

    The paper estimates the stationary distribution ``p̄(z)`` this way
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

    Grassmann-Taksar-Heyman elimination (``skneq._markov``): no subtraction
    appears, so every entry has a small relative error even for nearly
    reducible chains (``[[1 - 1e-17, 1e-17], [1e-17, 1 - 1e-17]]`` gives
    exactly (1/2, 1/2), where a linear solve of ``p (I - M) = 0`` sees a
    singular matrix). Periodic chains such as a perfect cycle are fine;
    transient states get weight 0.

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
    M, xp, _ = mk.check_transition_matrix(M)
    return mk.stationary_distribution(M, xp=xp)


def _flows(M, p):
    """Validated flow matrix ``F[i, j] = p_i M_ij`` (``p`` stationary by default)."""
    M, xp, device = mk.check_transition_matrix(M)
    p = mk.stationary_distribution(M, xp=xp) if p is None else mk.check_distribution(p, M.shape[0], xp, device)
    return mk.flows(M, p), xp


def probability_currents(M, p=None):
    """Net probability currents ``J[i, j] = p_i M_ij - p_j M_ji`` (Baiesi & Rosso 2025, eq. 21).

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


#: Estimators of ``entropy_production_rate``: the first takes a transition
#: matrix, the others transition counts.
SIGMA_ESTIMATORS = ("matrix", "counts_drop", "counts_pseudocount", "counts_epsilon")


def _check_counts(C):
    C, xp, _ = _as_accurate(C, "counts", ndim=2)
    if C.shape[0] != C.shape[1]:
        raise ValueError(f"counts must be a square matrix of transition counts, got shape {tuple(C.shape)}.")
    if bool(xp.any(C < 0)):
        raise ValueError("counts has negative entries; it holds transition counts C[i, j] (i -> j).")
    total = float(xp.sum(C))
    if total <= 0:
        raise ValueError("counts has no transition (all entries are 0).")
    return C, xp, total


def entropy_production_rate(M, p=None, *, estimator="matrix", pseudocount=1.0, epsilon=1e-6):
    """Entropy production rate ``sigma`` of a Markov chain, eq. (21) of Baiesi & Rosso (2025).

    .. math::

        \\sigma = \\frac12 \\sum_{i, j} (F_{ij} - F_{ji})
                  \\ln \\frac{F_{ij}}{F_{ji}}, \\qquad F_{ij} = p_i M_{ij}

    in nats per step. Every term is non-negative; ``sigma == 0`` exactly for a
    chain in detailed balance.

    Parameters
    ----------
    M : array-like of shape (L, L)
        ``estimator="matrix"``: a row-stochastic transition matrix,
        ``M[i, j] = P(i -> j)``. The count estimators: transition counts
        ``C[i, j]`` (``transition_counts``), whose flows are
        ``F = C / sum(C)``.
    p : array-like of shape (L,), optional
        ``"matrix"`` only: distribution over states; default
        ``stationary_distribution(M)``.
    estimator : {"matrix", "counts_drop", "counts_pseudocount", "counts_epsilon"}, default="matrix"
        How pairs seen one way only are treated -- the choice that decides
        ``sigma`` on the near-deterministic cycles a trained machine learns:

        * ``"matrix"``: eq. 21 exactly on ``(M, p)``; a pair with
          ``F_ij > 0 = F_ji`` gives ``inf``. Consistent for a model matrix.
          On the nonequilibrium Markov machine's Rao-Blackwellised ``M``
          (which has no zero entries; entries are floored at 1e-150) it is
          finite; its bias is upward from the sampling noise of small
          entries (a one-way pair contributes at most ~690 nats times its
          flow).
        * ``"counts_drop"``: pairs not seen both ways are dropped (the paper's
          Sec. IV estimator). Biased *low*, without bound: a perfect cycle
          ``0 -> 1 -> 2 -> 0``, maximally irreversible, gives 0.
        * ``"counts_pseudocount"``: ``pseudocount`` is added to every count
          ``C_ij`` before ``F`` is formed. A pair seen ``c`` times one way
          contributes about ``(c / N) ln(c / pseudocount)``: finite, but set
          by the arbitrary ``pseudocount`` (it grows like ``ln(1 /
          pseudocount)``), and pairs seen a few times both ways are pulled
          towards reversibility.
        * ``"counts_epsilon"``: ``epsilon`` is added inside the logarithm,
          ``ln((F_ij + eps) / (F_ji + eps))``; a one-way pair contributes
          ``F_ij ln(1 + F_ij / eps)``, growing like ``ln(1 / eps)``.
    pseudocount : float, default=1.0
        ``"counts_pseudocount"`` only (> 0).
    epsilon : float, default=1e-6
        ``"counts_epsilon"`` only (> 0).

    Returns
    -------
    sigma : float
        ``inf`` (``"matrix"`` only) when some transition has positive flow
        one way and zero flow back.

    Notes
    -----
    Pairs with zero flow both ways contribute 0. For the ``"matrix"``
    estimator on a matrix estimated from a finite trajectory pass
    ``transition_matrix(traj, pseudocount=c)`` with a small ``c > 0``: every
    reverse transition then gets probability ``O(c / counts)`` and ``sigma``
    is finite and large, growing like ``log(1 / c)`` as ``c -> 0``.
    """
    check_option(estimator, "estimator", SIGMA_ESTIMATORS)
    # Both checked whichever estimator reads them: a bad value is an error, not ignored.
    a = check_real(pseudocount, "pseudocount", low=0.0, low_inclusive=False)
    eps = check_real(epsilon, "epsilon", low=0.0, low_inclusive=False)
    if estimator == "matrix":
        flows, xp = _flows(M, p)
        return mk.entropy_production(flows, xp=xp, one_way="inf")
    if p is not None:
        raise ValueError(f"p is used by estimator='matrix' only; the {estimator!r} estimator reads flows from counts.")
    C, xp, total = _check_counts(M)
    if estimator == "counts_drop":
        return mk.entropy_production(C / total, xp=xp, one_way="drop")
    if estimator == "counts_pseudocount":
        return mk.entropy_production((C + a) / (total + a * C.shape[0] ** 2), xp=xp, one_way="inf")
    return mk.entropy_production(C / total, xp=xp, epsilon=eps)


# --------------------------------------------------------------------------
# Spectral and diagonal indicators
# --------------------------------------------------------------------------


def decorrelation_time(M):
    """Decorrelation time ``tau = -1 / ln|lambda_2|``, eq. (23) of Baiesi & Rosso (2025).

    ``lambda_2`` is the eigenvalue of ``M`` with the second-largest modulus
    (the largest is 1).

    Parameters
    ----------
    M : array-like of shape (L, L)
        Row-stochastic transition matrix.

    Returns
    -------
    tau : float
        In steps. ``inf`` only when ``|lambda_2| = 1`` exactly, decided from
        the zero pattern of ``M`` (several closed classes, or a periodic
        chain such as a deterministic cycle), never from round-off: a 6-cycle
        leaking with probability 1e-12 has ``tau = 1e12``. ``0.0`` when
        ``|lambda_2|`` is below 1e-12 or ``L == 1``: the chain forgets its
        state in one step.

    Notes
    -----
    The Array API has no eigenvalue routine for non-symmetric matrices, so the
    ``L x L`` matrix is copied to the host once (explicitly, with
    ``_backend.to_numpy``) for ``numpy.linalg.eigvals``, whose absolute
    accuracy (~1e-16) bounds the relative accuracy of ``tau`` by about
    ``1e-16 tau``.
    """
    M, _, _ = mk.check_transition_matrix(M)
    return mk.decorrelation_time(M)


def mean_self_transition(M):
    """Mean self-transition probability ``<M_zz> = Tr(M) / L``, eq. (24) of Baiesi & Rosso (2025).

    The paper compares it with ``1 / L``, the value of independent uniform
    sampling.

    Parameters
    ----------
    M : array-like of shape (L, L)
        Row-stochastic transition matrix of the latent chain.

    Returns
    -------
    mean_diagonal : float
        In [0, 1]; ``1 / L`` for independent uniform sampling.
    """
    M, xp, device = mk.check_transition_matrix(M)
    eye = xp.eye(M.shape[0], dtype=M.dtype, device=device)
    return float(xp.sum(M * eye)) / M.shape[0]


def class_distribution_kl(p_data, p_model):
    """Kullback-Leibler divergence ``KL(P^D || P^e)`` between class distributions, eq. (22) of Baiesi & Rosso (2025).

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
    p_data = mk.check_distribution(p_data, p_data.shape[0], xp, device, name="p_data", normalise=True)
    p_model = mk.check_distribution(p_model, p_data.shape[0], xp, device, name="p_model", normalise=True)
    support = p_data > 0
    if bool(xp.any(support & (p_model == 0))):
        return math.inf
    one = xp.ones_like(p_data)
    log_ratio = xp.log(xp.where(support, p_data, one)) - xp.log(xp.where(support, p_model, one))
    return float(xp.sum(xp.where(support, p_data * log_ratio, xp.zeros_like(p_data))))
