"""Sample-quality indices of seed paper 002, appendix B (eqs. B1-B4).

All functions compare a set of data samples with a set of generated (or
reconstructed) samples and return a Python float (lower is better). Inputs
may live in any supported namespace (NumPy, CuPy, array-api-strict, ...);
when the two inputs live in different namespaces the computation runs where
the non-NumPy one lives (device arrays are never copied to the host). Arrays
are compared as given: pass data and samples in the same encoding
(both in [0, 1] or both in [-1, 1]).

The adversarial accuracy (B4) needs nearest-neighbour distances among
``n_data + n_generated`` points; they are computed block by block through
matrix products ``|a|^2 + |b|^2 - 2 a.b`` so that memory stays bounded by
``chunk_size`` rows at a time, never the full distance matrix.
"""

from __future__ import annotations

import math
import numbers
from collections import namedtuple

from .. import _backend
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

# Memory budget of one block of squared distances when chunk_size is None.
_BLOCK_BYTES = 64 * 2**20


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _check_pair(X_data, X_generated, *, names=("X_data", "X_generated"), same_shape=False, same_n_samples=False):
    """Validate two sample matrices and put them on one namespace/device.

    Returns ``(A, B, xp, device)`` with ``A``, ``B`` of their original dtype.
    """
    A = _check_array(X_data, name=names[0])
    B = _check_array(X_generated, name=names[1])
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
    xp_a, dev_a = _backend.namespace_of(A)
    xp_b, dev_b = _backend.namespace_of(B)
    if _backend.namespace_name(xp_a) == "numpy" and _backend.namespace_name(xp_b) != "numpy":
        xp, device = xp_b, dev_b
    else:
        xp, device = xp_a, dev_a
    return _backend.to_device(A, xp, device), _backend.to_device(B, xp, device), xp, device


def _accurate(a, xp, device):
    dtype = _backend.accurate_dtype(xp, device)
    return a if a.dtype == dtype else xp.astype(a, dtype)


# --------------------------------------------------------------------------
# B1 - B3
# --------------------------------------------------------------------------


def _covariance(X, xp):
    """Covariance matrix of the columns of ``X`` averaged over samples (1 / N_s)."""
    centered = X - xp.mean(X, axis=0, keepdims=True)
    return xp.matmul(centered.T, centered) / X.shape[0]


def second_moment_error(X_data, X_generated):
    """Error on the second moment, eq. (B1) of seed 002.

    .. math::

        \\mathcal{E}^{(2)} = \\frac{1}{N_v (N_v - 1)}
            \\sum_{i < j} (C^G_{ij} - C^D_{ij})^2

    with ``C`` the covariance of the visible units averaged over the samples
    of each set (normalised by ``1 / N_s``, not ``1 / (N_s - 1)``). The
    normalisation is the paper's: the sum runs over the ``N_v (N_v - 1) / 2``
    pairs ``i < j`` but is divided by ``N_v (N_v - 1)``.

    Parameters
    ----------
    X_data : array-like of shape (n_data, N_v)
    X_generated : array-like of shape (n_generated, N_v)
        The sample counts may differ.

    Returns
    -------
    error : float
    """
    A, B, xp, device = _check_pair(X_data, X_generated)
    n_visible = A.shape[1]
    if n_visible < 2:
        raise ValueError("second_moment_error needs at least 2 features (pairs i < j).")
    diff = _covariance(_accurate(B, xp, device), xp) - _covariance(_accurate(A, xp, device), xp)
    eye = xp.eye(n_visible, dtype=diff.dtype, device=device)
    # diff is symmetric: the sum over i < j is half the off-diagonal sum.
    off_diagonal = xp.sum(diff * diff * (1.0 - eye)) / 2.0
    return float(off_diagonal) / (n_visible * (n_visible - 1))


def _singular_values(X, xp):
    """Singular values of ``X``, descending, via the smaller Gram matrix.

    ``eigvalsh`` of the ``min(N_s, N_v)``-sized Gram matrix is several times
    faster than an SVD of the tall matrix; in float64 the singular values lose
    at most ``sqrt(eps) * s_max`` absolute accuracy, far below what (B2)
    resolves.
    """
    gram = xp.matmul(X.T, X) if X.shape[0] >= X.shape[1] else xp.matmul(X, X.T)
    eigenvalues = xp.linalg.eigvalsh(gram)
    eigenvalues = xp.where(eigenvalues > 0, eigenvalues, xp.zeros_like(eigenvalues))
    return xp.flip(xp.sqrt(eigenvalues))


def spectrum_error(X_data, X_generated):
    """Error on the spectrum of the raw sample matrices, eq. (B2) of seed 002.

    .. math::

        \\mathcal{E}^{(s)} = \\frac{1}{N_s} \\sum_{\\mu=1}^{N_s}
            (s^G_\\mu - s^D_\\mu)^2

    with ``s_1 >= s_2 >= ...`` the singular values of the (uncentred)
    ``N_s x N_v`` sample matrices. When ``N_s > N_v`` only ``N_v`` of them are
    non-zero; the sum still is divided by ``N_s``.

    Parameters
    ----------
    X_data : array-like of shape (N_s, N_v)
    X_generated : array-like of shape (N_s, N_v)
        Same number of samples as ``X_data``.

    Returns
    -------
    error : float
    """
    A, B, xp, device = _check_pair(X_data, X_generated, same_n_samples=True)
    diff = _singular_values(_accurate(B, xp, device), xp) - _singular_values(_accurate(A, xp, device), xp)
    return float(xp.sum(diff * diff)) / A.shape[0]


def reconstruction_error(X, X_reconstructed):
    """Reconstruction error, eq. (B3) of seed 002: the mean squared difference.

    .. math::

        \\mathcal{E}^{(R)} = \\frac{1}{N_s N_v} \\sum_{\\mu, i}
            (\\xi^{(\\mu)}_i - \\phi(v^{(\\mu)}_i))^2

    Parameters
    ----------
    X : array-like of shape (N_s, N_v)
        Data samples ``xi``.
    X_reconstructed : array-like of shape (N_s, N_v)
        The model's reconstruction of each row of ``X``.

    Returns
    -------
    error : float
    """
    A, B, xp, device = _check_pair(X, X_reconstructed, names=("X", "X_reconstructed"), same_shape=True)
    diff = _accurate(A, xp, device) - _accurate(B, xp, device)
    return float(xp.mean(diff * diff))


# --------------------------------------------------------------------------
# B4: adversarial accuracy
# --------------------------------------------------------------------------


def _default_chunk_size(n_columns, itemsize):
    return max(1, min(4096, _BLOCK_BYTES // max(1, n_columns * itemsize)))


def _min_sq_distances_within(X, sq_norms, *, chunk_size, xp, device):
    """Squared distance from each row of ``X`` to its nearest *other* row of ``X``.

    Parameters
    ----------
    X : array of shape (n, d)
    sq_norms : array of shape (n,)
        ``sum(X**2, axis=1)``.

    Returns
    -------
    array of shape (n,)
        ``min_{j != i} |x_i - x_j|^2``; duplicates of ``x_i`` at other indices
        count (distance 0), only index ``i`` itself is excluded.
    """
    n = X.shape[0]
    inf = xp.asarray(math.inf, dtype=X.dtype, device=device)
    row_mins = []
    column_mins = xp.full((n,), math.inf, dtype=X.dtype, device=device)
    for start in range(0, n, chunk_size):
        stop = min(n, start + chunk_size)
        # Upper block triangle only (columns >= start): the distance matrix
        # is symmetric, so each block serves its rows (row minima) and its
        # columns (column minima), halving the matrix products.
        # In-place updates: a fresh temporary per term would cost more than
        # the matrix product on a 2-core machine (page faults on ~64 MiB).
        block = xp.matmul(X[start:stop, :], X[start:, :].T)
        block *= -2.0
        block += sq_norms[None, start:]
        block += sq_norms[start:stop, None]
        # The sample itself sits on the diagonal of the leading square sub-block.
        width = stop - start
        is_self = xp.eye(width, dtype=X.dtype, device=device) > 0
        block[:, :width] = xp.where(is_self, inf, block[:, :width])
        row_mins.append(xp.min(block, axis=1))
        column_mins[start:] = xp.minimum(column_mins[start:], xp.min(block, axis=0))
    return xp.minimum(xp.concat(row_mins), column_mins)


def _min_sq_distances_between(X, Y, x_sq_norms, y_sq_norms, *, chunk_size, xp):
    """Nearest-neighbour squared distances between two sets, both ways.

    Each block ``X[chunk] . Y^T`` is used twice: its row minima give the
    nearest ``Y`` of each ``X`` row, its column minima (accumulated over
    chunks) the nearest ``X`` of each ``Y`` row, so the cross distances are
    computed once.

    Returns
    -------
    x_to_y : array of shape (n_x,)
    y_to_x : array of shape (n_y,)
    """
    n_x = X.shape[0]
    x_to_y = []
    y_to_x = None
    for start in range(0, n_x, chunk_size):
        stop = min(n_x, start + chunk_size)
        block = xp.matmul(X[start:stop, :], Y.T)
        block *= -2.0
        block += y_sq_norms[None, :]
        block += x_sq_norms[start:stop, None]
        x_to_y.append(xp.min(block, axis=1))
        column_min = xp.min(block, axis=0)
        y_to_x = column_min if y_to_x is None else xp.minimum(y_to_x, column_min)
    return xp.concat(x_to_y), y_to_x


def _distance_dtype(A, B, xp, device):
    """float32 when it represents every squared distance exactly, else float64.

    For integer-valued data (binary {0, 1} or spins {-1, 1}) with
    ``4 * N_v * max|x|^2 < 2**24`` every dot product, norm and squared
    distance is an integer below 2**24, exact in float32 whatever the
    summation order, so ties are resolved exactly at twice the float64 speed.
    """
    accurate = _backend.accurate_dtype(xp, device)
    if "float32" in str(accurate):
        return accurate
    bound = max(float(xp.max(xp.abs(A))), float(xp.max(xp.abs(B))))
    if 4.0 * A.shape[1] * bound * bound >= 2.0**24:
        return accurate
    for X in (A, B):
        if not xp.isdtype(X.dtype, "integral") and not bool(xp.all(X == xp.round(X))):
            return accurate
    return xp.float32


def adversarial_accuracy(X_data, X_generated, *, chunk_size=None, ties="strict"):
    """Nearest-neighbour adversarial accuracy ``(p_dd, p_gg)`` of seed 002, appendix B.

    Pool the data and the generated samples. ``p_dd`` is the fraction of data
    samples whose Euclidean nearest neighbour in the pool (the sample itself
    excluded) is a data sample; ``p_gg`` the same for generated samples. Both
    are 1/2 when the two sets are perfectly mixed.

    Parameters
    ----------
    X_data : array-like of shape (n_data, N_v)
        At least 2 samples.
    X_generated : array-like of shape (n_generated, N_v)
        At least 2 samples.
    chunk_size : int, optional
        Rows of squared distances held in memory at once (each row has
        ``max(n_data, n_generated)`` entries). Default: blocks of about
        64 MiB.
    ties : {"strict", "half"}, default="strict"
        ``"strict"`` (Yale et al. 2020, the definition used by seed 002): a
        sample whose nearest same-set and other-set neighbours are equally
        far counts as other-set. ``"half"`` counts such a tie as one half,
        which keeps a perfect generator at ``p = 1/2`` on discrete data.

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

    Squared distances are ``|a|^2 + |b|^2 - 2 a.b``, computed in blocks of
    ``chunk_size`` rows. Integer-valued inputs small enough for exact float32
    arithmetic (binary or +-1 images) are computed in float32, exactly; other
    inputs in float64, where the expansion is accurate to about
    ``1e-16 * |a|^2``, so only near-ties closer than that could be misordered.
    The cost is about ``(n_data + n_generated)^2 * N_v / 2`` multiply-adds:
    the upper triangles of the data-data and generated-generated blocks and
    the full data-generated block, each block used for both its rows and its
    columns. Memory beyond the inputs is one ``chunk_size x max(n_data,
    n_generated)`` block and a few vectors.
    """
    A, B, xp, device = _check_pair(X_data, X_generated)
    if A.shape[0] < 2 or B.shape[0] < 2:
        raise ValueError(
            "adversarial_accuracy needs at least 2 data and 2 generated samples "
            f"(got {A.shape[0]} and {B.shape[0]}): each sample needs a same-set neighbour."
        )
    if ties not in ("strict", "half"):
        raise ValueError(f"ties must be 'strict' or 'half', got {ties!r}.")
    if chunk_size is not None and (not isinstance(chunk_size, numbers.Integral) or chunk_size < 1):
        raise ValueError(f"chunk_size must be a positive integer or None, got {chunk_size!r}.")
    dtype = _distance_dtype(A, B, xp, device)
    A, B = xp.astype(A, dtype), xp.astype(B, dtype)
    if chunk_size is None:
        itemsize = 4 if dtype == xp.float32 else 8
        chunk_size = _default_chunk_size(max(A.shape[0], B.shape[0]), itemsize)
    chunk_size = int(chunk_size)
    a_sq, b_sq = xp.sum(A * A, axis=1), xp.sum(B * B, axis=1)

    data_to_data = _min_sq_distances_within(A, a_sq, chunk_size=chunk_size, xp=xp, device=device)
    gen_to_gen = _min_sq_distances_within(B, b_sq, chunk_size=chunk_size, xp=xp, device=device)
    data_to_gen, gen_to_data = _min_sq_distances_between(A, B, a_sq, b_sq, chunk_size=chunk_size, xp=xp)

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
    """Error on the adversarial accuracy indicator, eq. (B4) of seed 002.

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
    Ref. [8] of seed 002 (Decelle, Furtlehner and Seoane 2022) plots the
    distance ``sqrt((P_DD - 1/2)^2 + (P_GG - 1/2)^2)`` instead; (B4) is that
    distance squared, divided by 2: ``E_AAI = d**2 / 2``, ``d = sqrt(2 E_AAI)``.
    """
    p_dd, p_gg = adversarial_accuracy(X_data, X_generated, chunk_size=chunk_size, ties=ties)
    return 0.5 * ((p_gg - 0.5) ** 2 + (p_dd - 0.5) ** 2)
