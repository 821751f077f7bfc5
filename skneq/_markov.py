"""Finite Markov chains, each mechanism once.

Every skneq module that needs a stationary vector, probability currents,
entropy production, a spectral gap, a matrix power or the cycle
decomposition of a finite chain calls this module: the public functions of
:mod:`skneq.metrics`, the detailed-balance checks of
:mod:`skneq.thermodynamics`, the exact kernels of :mod:`skneq.rbm._exact`
and the nonequilibrium Markov machine (:mod:`skneq.nmm`).

Conventions: transition matrices are row-stochastic, ``M[i, j] = P(i -> j)``;
distributions are vectors of length ``L``. Kernels take arrays and ``xp`` and
return arrays in the same namespace and on the same device; only the
eigenvalues (no Array API routine for non-symmetric matrices), the graph
structure and the cycle enumeration run on the host, on an explicit
``_backend.to_numpy`` copy of an ``L x L`` matrix.

References
----------
W. K. Grassmann, M. I. Taksar and D. P. Heyman, "Regenerative analysis and
steady state distributions for Markov chains", Oper. Res. 33, 1107 (1985).
D.-Q. Jiang, M. Qian and M.-P. Qian, *Mathematical Theory of Nonequilibrium
Steady States*, Lecture Notes in Mathematics 1833, Springer (2004), ch. 1.
S. Kalpazidou, *Cycle Representations of Markov Processes*, Springer (2006).
M. Baiesi and A. Rosso, "Emergence of nonequilibrium latent cycles in
unsupervised generative modeling" (2025), arXiv:2512.11415, eqs. 21-24.
"""

from __future__ import annotations

import math

from . import _backend
from ._validation import check_array_xp

__all__ = [
    "ROW_SUM_TOLERANCE",
    "MAX_DENSE_STATES",
    "MAX_CYCLE_STATES",
    "check_transition_matrix",
    "check_distribution",
    "stationary_distribution",
    "probability_currents",
    "flows",
    "entropy_production",
    "chain_structure",
    "second_eigenvalue_modulus",
    "decorrelation_time",
    "matrix_power",
    "cycle_decomposition",
]

#: The one tolerance on row sums (and on the total of a distribution). Wide
#: enough for a float32 matrix with a few thousand states (summation error
#: ~ L * 6e-8), narrow enough to catch a mis-normalised or transposed matrix.
ROW_SUM_TOLERANCE = 3.5e-4

#: Largest number of states of a dense ``L x L`` matrix built from labels
#: (``transition_matrix``): 4096^2 float64 entries are 128 MiB.
MAX_DENSE_STATES = 4096

#: Largest number of states whose simple cycles are enumerated (a complete
#: graph on 8 states has 16,072 simple cycles).
MAX_CYCLE_STATES = 8


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def check_transition_matrix(M, *, name="M"):
    """Validate a row-stochastic matrix and cast it to float64 (where the device has it).

    Rows must sum to one within :data:`ROW_SUM_TOLERANCE`; they are then
    divided by their sums, so that ``p M = p`` holds to float64 precision
    downstream (a float32 matrix keeps its float32 rounding otherwise).

    Returns
    -------
    M : array of shape (L, L)
    xp, device
    """
    M = check_array_xp(M, name=name, ensure_2d=True)
    xp, device = _backend.namespace_of(M)
    if xp.isdtype(M.dtype, "bool"):
        M = xp.astype(M, xp.int64)
    M = xp.astype(M, _backend.accurate_dtype(xp, device))
    n_rows, n_cols = M.shape
    if n_rows != n_cols:
        raise ValueError(f"{name} must be a square transition matrix, got shape {(n_rows, n_cols)}.")
    if bool(xp.any(M < 0)):
        raise ValueError(f"{name} has negative entries; a transition matrix holds probabilities.")
    row_sums = xp.sum(M, axis=1)
    if bool(xp.any(xp.abs(row_sums - 1.0) > ROW_SUM_TOLERANCE)):
        raise ValueError(
            f"{name} is not row-stochastic (rows must sum to 1, {name}[i, j] = P(i -> j)); "
            f"row sums range over [{float(xp.min(row_sums))}, {float(xp.max(row_sums))}]. "
            "Rows never visited by a trajectory can be filled with "
            "transition_matrix(..., empty_rows='uniform')."
        )
    return M / row_sums[:, None], xp, device


def check_distribution(p, n_states, xp, device, *, name="p", normalise=False):
    """Validate a probability vector of length ``n_states`` and move it to ``xp``/``device`` (float64).

    With ``normalise`` any non-negative vector with a positive sum (e.g.
    counts) is divided by its sum; otherwise it must sum to one within
    :data:`ROW_SUM_TOLERANCE`.
    """
    p = check_array_xp(p, name=name, ensure_2d=False)
    if p.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {tuple(p.shape)}.")
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
    if abs(total - 1.0) > ROW_SUM_TOLERANCE:
        raise ValueError(f"{name} sums to {total}, not 1 (tolerance {ROW_SUM_TOLERANCE}).")
    return p


# --------------------------------------------------------------------------
# Graph structure (host)
# --------------------------------------------------------------------------


def chain_structure(M):
    """Communicating classes of the transition graph of ``M`` (host, from the zero pattern).

    Returns
    -------
    labels : ndarray of shape (L,)
        Class of each state.
    closed : list of int
        Classes no transition leaves (the recurrent classes).
    periods : dict
        Period of each closed class (gcd of its cycle lengths).
    """
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    A = np.asarray(_backend.to_numpy(M)) > 0
    n_classes, labels = connected_components(csr_matrix(A), directed=True, connection="strong")
    src, dst = np.nonzero(A)
    leaving = np.zeros(n_classes, dtype=bool)
    leaving[labels[src][labels[src] != labels[dst]]] = True
    closed = [k for k in range(n_classes) if not leaving[k]]
    periods = {}
    for k in closed:
        members = np.flatnonzero(labels == k)
        sub = A[np.ix_(members, members)]
        order, pred = breadth_first_order(csr_matrix(sub), 0, directed=True, return_predecessors=True)
        level = np.full(len(members), -1)
        level[order[0]] = 0
        for node in order[1:]:
            level[node] = level[pred[node]] + 1
        s, d = np.nonzero(sub)
        period = 0
        for diff in np.unique(level[s] + 1 - level[d]):
            period = math.gcd(period, int(abs(diff)))
        periods[k] = period
    return labels, closed, periods


# --------------------------------------------------------------------------
# Stationary vector, flows, currents, entropy production
# --------------------------------------------------------------------------


def _gth(M, xp):
    """Grassmann-Taksar-Heyman elimination; non-finite entries if a pivot vanishes.

    State ``k`` (last first) is censored out: the chain watched only on
    ``0..k-1`` has ``M'[i, j] = M[i, j] + M[i, k] M[k, j] / s_k`` with
    ``s_k = sum_{j<k} M[k, j]``. Only off-diagonal entries, products, sums
    and quotients of non-negative numbers appear -- never ``1 - M[k, k]`` --
    so every entry of ``p`` has a small *relative* error even when the chain
    is nearly reducible (sticky states, rates of 1e-17).
    """
    n = M.shape[0]
    A = M
    columns = []
    for k in range(n - 1, 0, -1):
        row, col = A[k, :k], A[:k, k]
        total = xp.sum(row)
        # A vanishing pivot (reducible chain) gives NaN, detected by the caller.
        col = col / xp.where(total > 0, total, xp.full_like(total, math.nan))
        columns.append(col)
        A = A[:k, :k] + col[:, None] * row[None, :]
    columns.reverse()  # columns[k - 1] has length k: the weight state k gets from 0..k-1
    p = xp.ones((1,), dtype=M.dtype, device=_backend.namespace_of(M)[1])
    for col in columns:
        p = xp.concat([p, xp.reshape(xp.sum(p * col), (1,))])
    return p / xp.sum(p)


def stationary_distribution(M, *, xp):
    """Stationary distribution ``p M = p`` of a validated row-stochastic ``M`` (float64).

    Grassmann-Taksar-Heyman elimination (subtraction-free, see :func:`_gth`).
    Periodic chains (a perfect cycle) are fine. Transient states get 0: when
    an elimination pivot vanishes, the closed classes are read from the zero
    pattern and the elimination is redone on the unique closed class.

    Cost: ``L`` eliminations of ``O(L^2)`` array work each (0.06 s at
    ``L = 256``, a few seconds at ``L = 1024`` on one core), about 20-40
    times a LAPACK solve: the price of accuracy on nearly reducible chains.

    Raises
    ------
    ValueError
        If the chain has several closed classes (no unique stationary vector).
    """
    p = _gth(M, xp)
    if bool(xp.all(xp.isfinite(p))):
        return p
    labels, closed, _ = chain_structure(M)
    if len(closed) != 1:
        raise ValueError(
            f"M has no unique stationary distribution (it has {len(closed)} closed communicating "
            "classes); pass the distribution p explicitly."
        )
    import numpy as np

    members = np.flatnonzero(labels == closed[0])
    device = _backend.namespace_of(M)[1]
    idx = _backend.to_device(members, xp, device)
    sub = xp.take(xp.take(M, idx, axis=0), idx, axis=1)
    p_sub = _gth(sub / xp.sum(sub, axis=1, keepdims=True), xp)
    mask = _backend.to_device(np.isin(np.arange(M.shape[0]), members), xp, device)
    position = _backend.to_device(np.cumsum(np.isin(np.arange(M.shape[0]), members)) - 1, xp, device)
    position = xp.where(mask, position, xp.zeros_like(position))
    return xp.where(mask, xp.take(p_sub, position), xp.zeros_like(M[0, :]))


def flows(M, p):
    """Stationary flows ``F[i, j] = p_i M_ij`` (probability of the step i -> j)."""
    return p[:, None] * M


def probability_currents(M, p):
    """Net currents ``J[i, j] = p_i M_ij - p_j M_ji`` (antisymmetric; 0 iff detailed balance)."""
    F = flows(M, p)
    return F - F.T


def entropy_production(F, *, xp, one_way="inf", epsilon=0.0):
    """Eq. 21 of Baiesi & Rosso (2025) on a flow matrix ``F[i, j] = p_i M_ij``.

    ``sigma = 1/2 sum_{ij} (F_ij - F_ji) ln((F_ij + eps) / (F_ji + eps))``
    over the pairs kept:

    * ``one_way="inf"``: a pair with ``F_ij > 0 = F_ji`` makes ``sigma = inf``
      (exact for a model matrix);
    * ``one_way="drop"``: such pairs are left out (a lower bound; a perfect
      cycle gives 0);
    * ``epsilon > 0``: every pair with a positive flow either way is kept and
      ``eps`` is added inside the logarithm.

    Pairs with zero flow both ways contribute 0. Returns a Python float.
    """
    B = F.T
    fwd, bwd = F > 0, B > 0
    zeros, ones = xp.zeros_like(F), xp.ones_like(F)
    if epsilon > 0:
        keep = fwd | bwd
        log_ratio = xp.log(F + epsilon) - xp.log(B + epsilon)
    else:
        if one_way == "inf" and bool(xp.any(fwd != bwd)):
            return math.inf
        keep = fwd & bwd
        log_ratio = xp.log(xp.where(keep, F, ones)) - xp.log(xp.where(keep, B, ones))
    # Summing over ordered pairs counts each unordered pair twice.
    return float(0.5 * xp.sum(xp.where(keep, (F - B) * log_ratio, zeros)))


# --------------------------------------------------------------------------
# Spectrum
# --------------------------------------------------------------------------


def second_eigenvalue_modulus(M):
    """``|lambda_2|`` of ``M`` and whether it is exactly 1 (host).

    ``|lambda_2| = 1`` exactly when the chain has several closed classes or a
    periodic closed class; this is decided from the zero pattern
    (:func:`chain_structure`), not from the round-off of the eigenvalue
    solver. Otherwise the modulus is read from ``numpy.linalg.eigvals``,
    whose absolute accuracy is ~1e-16, and capped at ``1 - 2**-53``.

    Returns
    -------
    modulus : float
    exactly_one : bool
    """
    import numpy as np

    Mh = np.asarray(_backend.to_numpy(M), dtype=np.float64)
    if Mh.shape[0] == 1:
        return 0.0, False
    _, closed, periods = chain_structure(Mh)
    if len(closed) > 1 or any(period > 1 for period in periods.values()):
        return 1.0, True
    moduli = np.sort(np.abs(np.linalg.eigvals(Mh)))[::-1]
    return min(float(moduli[1]), 1.0 - 2.0**-53), False


def decorrelation_time(M):
    """``tau = -1 / ln|lambda_2|`` (eq. 23 of Baiesi & Rosso 2025), in steps.

    ``inf`` only when ``|lambda_2| = 1`` exactly (several closed classes, or a
    periodic chain such as a perfect cycle); ``0.0`` when ``|lambda_2|`` is
    below 1e-12 (round-off level of the eigenvalue solver: the chain forgets
    its state in one step). Near ``|lambda_2| -> 1`` the relative error of
    ``tau`` is about ``1e-16 * tau`` (the solver's absolute accuracy over the
    gap ``1 - |lambda_2| ~ 1 / tau``): 1e-4 at ``tau = 1e12``.
    """
    modulus, exactly_one = second_eigenvalue_modulus(M)
    if exactly_one:
        return math.inf
    if modulus < 1e-12:
        return 0.0
    return -1.0 / math.log(modulus)


def matrix_power(P, n, *, xp):
    """``P**n`` by repeated squaring (``n >= 1``)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    result, base = None, P
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


# --------------------------------------------------------------------------
# Cycle decomposition
# --------------------------------------------------------------------------


def _simple_cycles(A):
    """Every simple cycle of the boolean adjacency ``A`` (self-loops included),
    each starting at its smallest state, in the order the chain visits them."""
    n = A.shape[0]
    successors = [[int(j) for j in range(n) if A[i, j]] for i in range(n)]
    cycles = []
    for start in range(n):
        if A[start, start]:
            cycles.append((start,))
        stack = [(start, iter([j for j in successors[start] if j > start]))]
        path, on_path = [start], {start}
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                on_path.discard(path.pop())
                continue
            for j in (j for j in successors[nxt] if j == start):
                cycles.append(tuple(path) + (nxt,))
            if nxt not in on_path:
                path.append(nxt)
                on_path.add(nxt)
                stack.append((nxt, iter([j for j in successors[nxt] if j > start and j not in on_path])))
    return cycles


def cycle_decomposition(M, p):
    """Loop-erased cycle decomposition of the stationary flow ``p_i M_ij`` (host, float64).

    Following the chain and erasing each loop as it closes, cycle ``c``
    (self-loops included) is erased ``w_c`` times per step on average. These
    cycle skeleton weights are unique and given in closed form by Jiang,
    Qian & Qian (2004, ch. 1; Kalpazidou 2006):

    ``w_c = p_{i_1} M_{i_1 i_2} ... M_{i_s i_1} D(c^c) / D({i_1}^c)``

    with ``D(S)`` the determinant of ``(I - M)`` restricted to the states in
    ``S`` (``D(empty) = 1``). They decompose the flow exactly:
    ``sum_{c contains (i, j)} w_c = p_i M_ij``.

    Parameters
    ----------
    M : ndarray of shape (L, L)
        Validated row-stochastic matrix, ``L <= MAX_CYCLE_STATES``.
    p : ndarray of shape (L,)
        Its stationary distribution.

    Returns
    -------
    cycles : list of tuple of int
        By decreasing weight.
    weights : ndarray of shape (n_cycles,)
        Flux per step carried by each cycle.
    """
    import numpy as np

    M = np.asarray(_backend.to_numpy(M), dtype=np.float64)
    p = np.asarray(_backend.to_numpy(p), dtype=np.float64)
    n = M.shape[0]
    I_minus_M = np.eye(n) - M

    def det_without(states):
        keep = [i for i in range(n) if i not in states]
        return 1.0 if not keep else float(np.linalg.det(I_minus_M[np.ix_(keep, keep)]))

    cycles = _simple_cycles(M > 0)
    weights = np.empty(len(cycles))
    for k, c in enumerate(cycles):
        product = 1.0
        for a, b in zip(c, c[1:] + c[:1]):
            product *= M[a, b]
        denominator = det_without({c[0]})
        weights[k] = p[c[0]] * product * (det_without(set(c)) / denominator if denominator > 0 else 0.0)
    weights = np.maximum(weights, 0.0)  # determinants of M-matrices are >= 0; clip round-off
    order = np.argsort(-weights, kind="stable")
    return [cycles[k] for k in order], weights[order]
