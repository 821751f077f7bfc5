"""Sample-quality indices of Fournier & Urbani (2024, arXiv:2405.10822), appendix B (eqs. B1-B4).

All functions compare a set of data samples with a set of generated (or
reconstructed) samples and return a Python float (lower is better). Inputs
may live in any supported namespace (NumPy, CuPy, torch, array-api-strict,
...) or be SciPy sparse matrices (CSR, CSC, LIL, ...); when the two inputs
live in different namespaces the computation runs where the non-NumPy one
lives (device arrays are never copied to the host). Arrays are compared as
given: pass data and samples in the same encoding (both in [0, 1] or both
in [-1, 1]).

Memory is bounded: every function reads its inputs one block of rows at a
time (sparse rows are densified one block at a time, never whole), with
blocks sized by scikit-learn's ``working_memory`` setting
(``skneq._base.row_chunks``). The adversarial accuracy (B4) needs
nearest-neighbour distances among ``n_data + n_generated`` points; they are
computed block by block through matrix products ``|a|^2 + |b|^2 - 2 a.b`` of
data centred on the pooled mean, never as a full distance matrix.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_array

from .. import _backend
from .._base import dense_rows, row_chunks
from .._validation import check_int, check_option, is_sparse
from ._markov import _check_array

__all__ = [
    "AdversarialAccuracy",
    "second_moment_error",
    "spectrum_error",
    "reconstruction_error",
    "adversarial_accuracy",
    "aai_error",
]

#: Result of :func:`adversarial_accuracy`: fractions of data (``p_dd``) and of
#: generated samples (``p_gg``) whose nearest neighbour lies in their own set.
AdversarialAccuracy = namedtuple("AdversarialAccuracy", ["p_dd", "p_gg"])


# --------------------------------------------------------------------------
# Validation and blocks of rows
# --------------------------------------------------------------------------


def _check_samples(X, name):
    """A validated 2-D array in its own namespace, or a CSR matrix for sparse input."""
    if not is_sparse(X):
        return _check_array(X, name=name)
    try:
        return check_array(X, accept_sparse="csr", dtype="numeric", ensure_all_finite=True, input_name=name)
    except ValueError as exc:
        raise ValueError(f"Invalid {name}: {exc}") from exc


def _check_pair(X_data, X_generated, *, names=("X_data", "X_generated"), same_shape=False, same_n_samples=False):
    """Validate two sample matrices and choose the namespace/device to compute on.

    Returns ``(A, B, bk)``: ``A``, ``B`` in their original dtype (dense ones
    moved to the compute device, sparse ones left as CSR on the host), and
    the float64 (or the device's most precise) ``Backend``.
    """
    A = _check_samples(X_data, names[0])
    B = _check_samples(X_generated, names[1])
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"{names[0]} has {A.shape[1]} features but {names[1]} has {B.shape[1]}; "
            "both must describe the same visible units."
        )
    if same_shape and A.shape != B.shape:
        raise ValueError(f"{names[0]} has shape {tuple(A.shape)} but {names[1]} has shape {tuple(B.shape)}.")
    if same_n_samples and A.shape[0] != B.shape[0]:
        raise ValueError(
            f"{names[0]} has {A.shape[0]} samples but {names[1]} has {B.shape[0]}; the singular "
            "values of a sample matrix grow like sqrt(n_samples), so compare equal numbers."
        )
    xp, device = _backend.compute_namespace(A, B)  # sparse counts as host data
    bk = _backend.Backend(xp, device, _backend.accurate_dtype(xp, device))
    A, B = (X if is_sparse(X) else _backend.to_device(X, xp, device) for X in (A, B))
    return A, B, bk


def _itemsize(dtype):
    return 4 if "float32" in str(dtype) else 8


def _blocks(n_rows, bytes_per_row, chunk_size=None):
    """Row slices: ``chunk_size`` rows each if given, else sized by ``working_memory``."""
    if chunk_size is not None:
        return list(gen_batches(int(n_rows), int(chunk_size)))
    return row_chunks(n_rows, bytes_per_row)


def _rows(X, rows, bk, shift=None, dtype=None):
    """Dense rows ``rows`` of ``X`` in the accurate dtype, minus ``shift``, cast to ``dtype``."""
    part = dense_rows(X, rows, bk, bk.dtype)
    if shift is not None:
        part = part - shift
    return part if dtype is None or part.dtype == dtype else bk.xp.astype(part, dtype)


def _column_sums(X, bk, blocks, shift=None, *, square=False):
    """Sums over the rows of ``X - shift`` (or of its square), accurate dtype, block by block."""
    if is_sparse(X) and shift is None and not square:
        return bk.asarray(np.asarray(X.sum(axis=0, dtype=np.float64)).reshape(-1))
    total = bk.xp.zeros((X.shape[1],), dtype=bk.dtype, device=bk.device)
    for rows in blocks:
        part = _rows(X, rows, bk, shift)
        total = total + bk.xp.sum(part * part if square else part, axis=0)
    return total


# --------------------------------------------------------------------------
# B1 - B3
# --------------------------------------------------------------------------


def _covariance(X, bk, blocks):
    """Covariance of the columns of ``X`` (normalised by 1 / N_s), two passes over row blocks.

    The mean is subtracted before the products (no ``E[x x] - m m``
    cancellation).
    """
    xp = bk.xp
    mean = _column_sums(X, bk, blocks) / X.shape[0]
    C = xp.zeros((X.shape[1], X.shape[1]), dtype=bk.dtype, device=bk.device)
    for rows in blocks:
        centered = _rows(X, rows, bk, mean[None, :])
        C = C + xp.matmul(centered.T, centered)
    return C / X.shape[0]


def second_moment_error(X_data, X_generated):
    """Error on the second moment, eq. (B1) of Fournier & Urbani (2024, arXiv:2405.10822).

    .. math::

        \\mathcal{E}^{(2)} = \\frac{1}{N_v (N_v - 1)}
            \\sum_{i < j} (C^G_{ij} - C^D_{ij})^2

    with ``C`` the covariance of the visible units averaged over the samples
    of each set (normalised by ``1 / N_s``, not ``1 / (N_s - 1)``). The
    normalisation is the paper's: the sum runs over the ``N_v (N_v - 1) / 2``
    pairs ``i < j`` but is divided by ``N_v (N_v - 1)``.

    Parameters
    ----------
    X_data : {array-like, sparse matrix} of shape (n_data, N_v)
    X_generated : {array-like, sparse matrix} of shape (n_generated, N_v)
        The sample counts may differ.

    Returns
    -------
    error : float
    """
    A, B, bk = _check_pair(X_data, X_generated)
    n_visible = A.shape[1]
    if n_visible < 2:
        raise ValueError("second_moment_error needs at least 2 features (pairs i < j).")
    xp = bk.xp
    row_bytes = 8 * 3 * n_visible
    diff = _covariance(B, bk, _blocks(B.shape[0], row_bytes)) - _covariance(A, bk, _blocks(A.shape[0], row_bytes))
    # diff is symmetric: the sum over i < j is half the off-diagonal sum.
    diagonal = xp.linalg.diagonal(diff)
    off_diagonal = (float(xp.sum(diff * diff)) - float(xp.sum(diagonal * diagonal))) / 2.0
    return off_diagonal / (n_visible * (n_visible - 1))


def _gram(X, bk):
    """The smaller Gram matrix of ``X`` (``X^T X`` or ``X X^T``), from blocks of rows."""
    xp = bk.xp
    n, d = X.shape
    if n >= d:
        blocks = _blocks(n, 8 * 2 * d)
        G = xp.zeros((d, d), dtype=bk.dtype, device=bk.device)
        for rows in blocks:
            part = _rows(X, rows, bk)
            G = G + xp.matmul(part.T, part)
        return G
    # N_s < N_v: the N_s x N_s Gram matrix is smaller than X itself.
    blocks = _blocks(n, 8 * (2 * d + n))
    return xp.concat(
        [xp.concat([xp.matmul(_rows(X, ri, bk), _rows(X, rj, bk).T) for rj in blocks], axis=1) for ri in blocks],
        axis=0,
    )


def _singular_values(X, bk):
    """Singular values of ``X``, descending, via the smaller Gram matrix.

    ``eigvalsh`` of the ``min(N_s, N_v)``-sized Gram matrix is several times
    faster than an SVD of the tall matrix; in float64 the singular values lose
    at most ``sqrt(eps) * s_max`` absolute accuracy, far below what (B2)
    resolves.
    """
    xp = bk.xp
    eigenvalues = xp.linalg.eigvalsh(_gram(X, bk))
    eigenvalues = xp.where(eigenvalues > 0, eigenvalues, xp.zeros_like(eigenvalues))
    return xp.flip(xp.sqrt(eigenvalues))


def spectrum_error(X_data, X_generated):
    """Error on the spectrum of the raw sample matrices, eq. (B2) of Fournier & Urbani (2024).

    .. math::

        \\mathcal{E}^{(s)} = \\frac{1}{N_s} \\sum_{\\mu=1}^{N_s}
            (s^G_\\mu - s^D_\\mu)^2

    with ``s_1 >= s_2 >= ...`` the singular values of the (uncentred)
    ``N_s x N_v`` sample matrices. When ``N_s > N_v`` only ``N_v`` of them are
    non-zero; the sum still is divided by ``N_s``.

    Parameters
    ----------
    X_data : {array-like, sparse matrix} of shape (N_s, N_v)
    X_generated : {array-like, sparse matrix} of shape (N_s, N_v)
        Same number of samples as ``X_data``.

    Returns
    -------
    error : float
    """
    A, B, bk = _check_pair(X_data, X_generated, same_n_samples=True)
    diff = _singular_values(B, bk) - _singular_values(A, bk)
    return float(bk.xp.sum(diff * diff)) / A.shape[0]


def reconstruction_error(X, X_reconstructed):
    """Reconstruction error, eq. (B3) of Fournier & Urbani (2024): the mean squared difference.

    .. math::

        \\mathcal{E}^{(R)} = \\frac{1}{N_s N_v} \\sum_{\\mu, i}
            (\\xi^{(\\mu)}_i - \\phi(v^{(\\mu)}_i))^2

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (N_s, N_v)
        Data samples ``xi``.
    X_reconstructed : {array-like, sparse matrix} of shape (N_s, N_v)
        The model's reconstruction of each row of ``X``.

    Returns
    -------
    error : float
    """
    A, B, bk = _check_pair(X, X_reconstructed, names=("X", "X_reconstructed"), same_shape=True)
    total = 0.0
    for rows in _blocks(A.shape[0], 8 * 3 * A.shape[1]):
        diff = _rows(A, rows, bk) - _rows(B, rows, bk)
        total += float(bk.xp.sum(diff * diff))
    return total / (A.shape[0] * A.shape[1])


# --------------------------------------------------------------------------
# B4: adversarial accuracy
# --------------------------------------------------------------------------


def _distance_block(Xi, Xj, norms_i, norms_j, xp):
    """Squared distances ``|a|^2 + |b|^2 - 2 a.b`` between the rows of two blocks."""
    # In-place updates: a fresh temporary per term would cost more than the
    # matrix product on a 2-core machine (page faults on large blocks).
    block = xp.matmul(Xi, Xj.T)
    block *= -2.0
    block += norms_j[None, :]
    block += norms_i[:, None]
    return block


def _min_sq_distances_within(get, norms, blocks, xp, device):
    """Squared distance from each row to its nearest *other* row of the same set.

    ``get(rows)`` returns the (centred) dense rows, ``norms`` their squared
    norms. Only the upper block triangle is computed: the distance matrix is
    symmetric, so each block serves its rows (row minima) and its columns
    (column minima). Duplicates at other indices count (distance 0); only
    the sample itself is excluded.
    """
    dtype = norms.dtype
    inf = xp.asarray(math.inf, dtype=dtype, device=device)
    row_mins = [xp.full((r.stop - r.start,), math.inf, dtype=dtype, device=device) for r in blocks]
    col_mins = list(row_mins)
    for i, ri in enumerate(blocks):
        Xi = get(ri)
        for j in range(i, len(blocks)):
            rj = blocks[j]
            block = _distance_block(Xi, Xi if j == i else get(rj), norms[ri], norms[rj], xp)
            if j == i:  # the samples themselves, on the diagonal
                block = xp.where(xp.eye(block.shape[0], dtype=dtype, device=device) > 0, inf, block)
            row_mins[i] = xp.minimum(row_mins[i], xp.min(block, axis=1))
            col_mins[j] = xp.minimum(col_mins[j], xp.min(block, axis=0))
    return xp.minimum(xp.concat(row_mins), xp.concat(col_mins))


def _min_sq_distances_between(get_x, get_y, x_norms, y_norms, x_blocks, y_blocks, xp, device):
    """Nearest-neighbour squared distances between two sets, both ways.

    Each block ``X[rows] . Y[cols]^T`` is used twice: its row minima give the
    nearest ``Y`` of each ``X`` row, its column minima the nearest ``X`` of
    each ``Y`` row, so the cross distances are computed once.

    Returns
    -------
    x_to_y : array of shape (n_x,)
    y_to_x : array of shape (n_y,)
    """
    dtype = x_norms.dtype
    x_to_y = [xp.full((r.stop - r.start,), math.inf, dtype=dtype, device=device) for r in x_blocks]
    y_to_x = [xp.full((r.stop - r.start,), math.inf, dtype=dtype, device=device) for r in y_blocks]
    for i, ri in enumerate(x_blocks):
        Xi = get_x(ri)
        for j, rj in enumerate(y_blocks):
            block = _distance_block(Xi, get_y(rj), x_norms[ri], y_norms[rj], xp)
            x_to_y[i] = xp.minimum(x_to_y[i], xp.min(block, axis=1))
            y_to_x[j] = xp.minimum(y_to_x[j], xp.min(block, axis=0))
    return xp.concat(x_to_y), xp.concat(y_to_x)


def _integer_valued(X, bk, blocks):
    if is_sparse(X):
        return bool(np.all(X.data == np.round(X.data)))
    xp = bk.xp
    if xp.isdtype(X.dtype, "integral") or xp.isdtype(X.dtype, "bool"):
        return True
    return all(bool(xp.all(part == xp.round(part))) for part in (_rows(X, rows, bk) for rows in blocks))


def _max_abs(X, bk, blocks, shift):
    return max(float(bk.xp.max(bk.xp.abs(_rows(X, rows, bk, shift)))) for rows in blocks)


def _centring(A, B, bk, a_blocks, b_blocks):
    """Shift and distance dtype of the adversarial accuracy.

    The rounding error of the ``|a|^2 + |b|^2 - 2 a.b`` expansion grows like
    ``eps * |a|^2``: a common offset of 1e8 would swamp distances of order 1.
    The pooled data are therefore centred on their column mean ``m`` before
    the expansion, whenever the offset dominates the spread
    (``|m|^2 > 4 tr C``, i.e. more than a factor 5 of precision lost). Below
    that, the data are left as given: centring rounds every coordinate,
    which would split exact ties of data on a grid (e.g. binary images
    scaled by 0.3).

    Integer-valued data (binary {0, 1}, spins, counts) are always shifted by
    the *rounded* mean, which keeps them integers: when then
    ``4 * N_v * max|x - shift|^2 < 2**24`` every dot product, norm and squared
    distance is an integer below 2**24, exact in float32 whatever the
    summation order, so ties are resolved exactly at twice the float64 speed.
    Distances are differences, so a shift leaves them unchanged.
    """
    xp = bk.xp
    n = A.shape[0] + B.shape[0]
    mean = (_column_sums(A, bk, a_blocks) + _column_sums(B, bk, b_blocks)) / n
    if _integer_valued(A, bk, a_blocks) and _integer_valued(B, bk, b_blocks):
        shift = xp.round(mean)[None, :]
        if _itemsize(bk.dtype) == 8:
            bound = max(_max_abs(A, bk, a_blocks, shift), _max_abs(B, bk, b_blocks, shift))
            if 4.0 * A.shape[1] * bound * bound < 2.0**24:
                return shift, xp.float32
        return shift, bk.dtype
    shift = mean[None, :]
    spread = sum(float(xp.sum(_column_sums(X, bk, blocks, shift, square=True)))
                 for X, blocks in ((A, a_blocks), (B, b_blocks))) / n  # tr C of the pooled data
    offset = float(xp.sum(mean * mean))
    return (shift if offset > 4.0 * spread else None), bk.dtype


def adversarial_accuracy(X_data, X_generated, *, chunk_size=None, ties="strict"):
    """Nearest-neighbour adversarial accuracy ``(p_dd, p_gg)`` of Fournier & Urbani (2024), appendix B.

    Pool the data and the generated samples. ``p_dd`` is the fraction of data
    samples whose Euclidean nearest neighbour in the pool (the sample itself
    excluded) is a data sample; ``p_gg`` the same for generated samples. Both
    are 1/2 when the two sets are perfectly mixed.

    Parameters
    ----------
    X_data : {array-like, sparse matrix} of shape (n_data, N_v)
        At least 2 samples.
    X_generated : {array-like, sparse matrix} of shape (n_generated, N_v)
        At least 2 samples.
    chunk_size : int, optional
        Rows per block: blocks of squared distances are at most
        ``chunk_size x chunk_size``. Default: sized by scikit-learn's
        ``working_memory`` (``sklearn.config_context(working_memory=...)``,
        in MiB).
    ties : {"strict", "half"}, default="strict"
        ``"strict"`` (Yale et al. 2020, the definition used by Fournier &
        Urbani): a sample whose nearest same-set and other-set neighbours are
        equally far counts as other-set. ``"half"`` counts such a tie as one
        half, which keeps a perfect generator at ``p = 1/2`` on discrete data.

    Returns
    -------
    AdversarialAccuracy
        Named tuple ``(p_dd, p_gg)`` of Python floats.

    Notes
    -----
    Ties follow Yale et al. (2020), where the index comes from: a sample counts
    as same-set only when its nearest same-set neighbour is *strictly* closer
    than its nearest other-set one. On binary data duplicates are common; a
    generated sample that copies a training image therefore never counts as
    same-set, and a memorised copy of the data gives ``p_dd = p_gg = 0``.
    Only the sample's own index is excluded; a duplicate at another index is a
    neighbour at distance 0. Ties are not only exact copies: squared
    distances between binary vectors are integers (Hamming distances), so the
    nearest same-set and other-set neighbours are often equally far, and
    under the strict rule even samples from the data distribution itself give
    ``p_dd, p_gg < 1/2`` (by how much depends on ``N_v`` and the sample size).
    Compare models at equal sample sizes, or use ``ties="half"``, with which
    exchangeable sets give ``(n - 1) / (2 n - 1)`` in expectation.

    Squared distances are ``|a|^2 + |b|^2 - 2 a.b`` of the data centred on
    the pooled mean (so a common offset, e.g. ``+1e8``, changes nothing),
    computed in blocks of rows. Integer-valued inputs small enough for exact
    float32 arithmetic (binary or +-1 images) are computed in float32,
    exactly; other inputs in float64, where the expansion is accurate to
    about ``1e-16 * |a - mean|^2``, so only near-ties closer than that could
    be misordered. The cost is about ``(n_data + n_generated)^2 * N_v / 2``
    multiply-adds: the upper triangles of the data-data and
    generated-generated blocks and the full data-generated block, each block
    used for both its rows and its columns. Memory beyond the inputs is a
    few blocks of rows (sparse inputs are densified one block at a time) and
    a few vectors.
    """
    ties = check_option(ties, "ties", ("strict", "half"))
    if chunk_size is not None:
        chunk_size = check_int(chunk_size, "chunk_size", low=1)
    A, B, bk = _check_pair(X_data, X_generated)
    if A.shape[0] < 2 or B.shape[0] < 2:
        raise ValueError(
            "adversarial_accuracy needs at least 2 data and 2 generated samples "
            f"(got {A.shape[0]} and {B.shape[0]}): each sample needs a same-set neighbour."
        )
    xp, device, d = bk.xp, bk.device, A.shape[1]
    # Per row of a block: the accurate row, its shifted copy and its cast
    # (3 x 8 d bytes), and a row of a square distance block with its
    # temporaries (3 x 8 w bytes, w = rows per block). Solve
    # rows = budget / (24 (d + rows)) by iteration from w = max(n): the third
    # iterate is below the fixed point, so the blocks fit the budget.
    width = max(A.shape[0], B.shape[0])
    for _ in range(3):
        first = _blocks(max(A.shape[0], B.shape[0]), 24 * (d + width), chunk_size)[0]
        width = first.stop - first.start
    a_blocks, b_blocks = _blocks(A.shape[0], 0, width), _blocks(B.shape[0], 0, width)
    shift, dtype = _centring(A, B, bk, a_blocks, b_blocks)

    def getter(X):
        return lambda rows: _rows(X, rows, bk, shift, dtype)

    get_a, get_b = getter(A), getter(B)

    def sq_norms(get, blocks):
        return xp.concat([xp.sum(part * part, axis=1) for part in (get(rows) for rows in blocks)])

    a_sq, b_sq = sq_norms(get_a, a_blocks), sq_norms(get_b, b_blocks)
    data_to_data = _min_sq_distances_within(get_a, a_sq, a_blocks, xp, device)
    gen_to_gen = _min_sq_distances_within(get_b, b_sq, b_blocks, xp, device)
    data_to_gen, gen_to_data = _min_sq_distances_between(get_a, get_b, a_sq, b_sq, a_blocks, b_blocks, xp, device)
    return AdversarialAccuracy(
        p_dd=_same_set_fraction(data_to_data, data_to_gen, ties, xp),
        p_gg=_same_set_fraction(gen_to_gen, gen_to_data, ties, xp),
    )


def _same_set_fraction(to_same, to_other, ties, xp):
    """Fraction of samples whose nearest same-set neighbour is strictly closer.

    With ``ties="half"`` an exact tie counts one half.
    """
    strictly_closer = int(xp.sum(xp.astype(to_same < to_other, xp.int64)))
    tied = int(xp.sum(xp.astype(to_same == to_other, xp.int64))) if ties == "half" else 0
    return (strictly_closer + 0.5 * tied) / to_same.shape[0]


def aai_error(X_data, X_generated, *, chunk_size=None, ties="strict"):
    """Error on the adversarial accuracy indicator, eq. (B4) of Fournier & Urbani (2024, arXiv:2405.10822).

    .. math::

        \\mathcal{E}^{(AAI)} = \\tfrac12 \\left[(P_{GG} - \\tfrac12)^2
            + (P_{DD} - \\tfrac12)^2\\right]

    0 for perfectly mixed sets, at most 0.25 (both fractions 0 or 1).

    Parameters
    ----------
    X_data : array-like of shape (n_data, N_v)
    X_generated : array-like of shape (n_generated, N_v)
    chunk_size : int, optional
        See :func:`adversarial_accuracy`.
    ties : {"strict", "half"}, default="strict"
        See :func:`adversarial_accuracy`.

    Returns
    -------
    error : float

    Notes
    -----
    Ref. [8] of Fournier & Urbani (Decelle, Furtlehner and Seoane 2022) plots the
    distance ``sqrt((P_DD - 1/2)^2 + (P_GG - 1/2)^2)`` instead; (B4) is that
    distance squared, divided by 2: ``E_AAI = d**2 / 2``, ``d = sqrt(2 E_AAI)``.
    """
    p_dd, p_gg = adversarial_accuracy(X_data, X_generated, chunk_size=chunk_size, ties=ties)
    return 0.5 * ((p_gg - 0.5) ** 2 + (p_dd - 0.5) ** 2)
