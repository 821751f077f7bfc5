"""Pure kernels of the reciprocal-space view of an RBM (Toledo-Marin et al. 2025, arXiv:2503.21536).

Every function takes the array namespace ``xp`` as a keyword and returns
arrays; nothing here validates input, reads estimator attributes or copies
to the host. Public, validated wrappers live in :mod:`skneq.reciprocal`.

Conventions (Toledo-Marin et al., Sec. 2-3)
--------------------------------
The paper writes the couplings as ``W`` of shape ``(N, M)`` (``N`` visible,
``M`` hidden units) with the energy of eq. 3

    E(v, h) = -a^T v - b^T h - v^T W h,

so ``W = components_.T`` for scikit-learn's ``BernoulliRBM`` and skneq's
``RBM``. The full singular value decomposition ``W = U S V^T`` has square
orthogonal ``U`` (N x N, *visible* modes) and ``V`` (M x M, *hidden*
modes) and ``K = min(N, M)`` singular values.
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = [
    "ReciprocalDecomposition",
    "ConstraintMinimum",
    "reciprocal_decomposition",
    "haar_orthogonal",
    "mode_energies",
    "saddle_points",
    "rotated_coordinates",
    "saddle_energy_from_rotated",
    "constraint_potential_minimum",
    "marchenko_pastur_support",
    "marchenko_pastur_pdf",
    "plane_rotation_matrix",
    "rotate_in_plane",
    "random_plane_pairs",
    "coordinate_plane_pairs",
    "histogram_on_range",
    "jensen_shannon_from_counts",
    "bernoulli_projection_kurtosis",
    "sampled_projection_kurtosis",
]


class ReciprocalDecomposition(NamedTuple):
    """Full SVD of the couplings with the biases projected (eq. 17a).

    Attributes
    ----------
    visible_modes : array of shape (N, N)
        Orthogonal ``U``; column ``i`` is visible mode ``i``.
    singular_values : array of shape (K,)
        ``lambda_i`` in decreasing order, ``K = min(N, M)``.
    hidden_modes : array of shape (M, M)
        Orthogonal ``V``; column ``i`` is hidden mode ``i``.
    visible_bias : array of shape (N,)
        ``a0 = U^T a``.
    hidden_bias : array of shape (M,)
        ``b0 = V^T b``.
    """

    visible_modes: object
    singular_values: object
    hidden_modes: object
    visible_bias: object
    hidden_bias: object


class ConstraintMinimum(NamedTuple):
    """High-temperature minimum of the constraint potential (eq. 29).

    Attributes
    ----------
    u, w : arrays of shape (K,)
        Eq. 29a-b, rotated coordinates measured from the saddle points.
    x : array of shape (N,)
        ``U^T <v>``; ``x[K:]`` is eq. 29c (used when ``N > M``).
    y : array of shape (M,)
        ``V^T <h>``; ``y[K:]`` is its hidden analogue (used when ``M > N``).
    """

    u: object
    w: object
    x: object
    y: object


# --------------------------------------------------------------------------
# Decomposition
# --------------------------------------------------------------------------


def _fix_signs(modes_a, modes_b, n_shared, *, xp):
    """Flip singular-vector pairs so the largest |entry| of each ``modes_a`` column is positive.

    ``(u_i, v_i) -> (-u_i, -v_i)`` leaves ``W`` and every mode energy
    unchanged; fixing it makes results identical across LAPACK builds and
    backends.
    """
    shared = modes_a[:, :n_shared]
    magnitude = xp.abs(shared)
    peak = xp.max(magnitude, axis=0, keepdims=True)
    signed_peak = xp.sum(xp.where(magnitude == peak, shared, xp.zeros_like(shared)), axis=0)
    signs = xp.where(signed_peak < 0, -xp.ones_like(signed_peak), xp.ones_like(signed_peak))
    modes_a = xp.concat([shared * signs, modes_a[:, n_shared:]], axis=1)
    modes_b = xp.concat([modes_b[:, :n_shared] * signs, modes_b[:, n_shared:]], axis=1)
    return modes_a, modes_b


def _align_complement(complement, bias, *, xp):
    """Re-choose an orthonormal basis of the null-space block so ``bias`` loads only its first vector.

    The columns of ``complement`` (shape (n, r)) span the part of the larger
    layer that ``W`` does not couple (zero singular value). Any orthonormal
    basis of it is a valid block of the SVD; we pick, by one Householder
    reflection, the one whose first vector is the normalised projection of
    ``bias``. Then the bias term outside the coupled modes sits in mode ``K``
    alone (with a non-negative reciprocal bias) and modes ``K+1, ...`` have
    zero bias and zero energy, independently of the LAPACK completion.
    """
    coords = xp.matmul(bias, complement)  # (r,)
    norm = xp.sqrt(xp.sum(coords * coords))
    scale = float(xp.sqrt(xp.sum(bias * bias))) + 1.0
    if float(norm) <= 64.0 * xp.finfo(bias.dtype).eps * scale:
        return complement  # bias already inside the coupled span
    unit = coords / norm
    sign = 1.0 if float(unit[0]) >= 0 else -1.0
    # v = unit + sign * e_1 (the stable Householder choice); H e_1 = -sign * unit.
    reflector = xp.concat([unit[:1] + sign, unit[1:]])
    projection = xp.matmul(complement, reflector)  # (n,)
    reflected = complement - (2.0 / xp.sum(reflector * reflector)) * (projection[:, None] * reflector[None, :])
    return xp.concat([-sign * reflected[:, :1], reflected[:, 1:]], axis=1)


def haar_orthogonal(gaussian, *, xp):
    """A Haar-distributed orthogonal matrix from a square matrix of standard normals.

    ``Q R = G`` (QR decomposition) with the signs of ``diag(R)`` moved into
    ``Q``, which makes ``Q`` exactly Haar on ``O(r)`` (Mezzadri 2007,
    arXiv:math-ph/0609050).
    """
    Q, R = xp.linalg.qr(gaussian)
    diagonal = xp.linalg.diagonal(R)
    signs = xp.where(diagonal < 0, -xp.ones_like(diagonal), xp.ones_like(diagonal))
    return Q * signs


def reciprocal_decomposition(weights, visible_bias, hidden_bias, *, xp, null_space_gaussian=None):
    """Full SVD ``W = U S V^T`` and the reciprocal biases of eq. 17a.

    Parameters
    ----------
    weights : array of shape (N, M)
        Couplings in the paper's orientation (``components_.T``).
    visible_bias : array of shape (N,)
        ``a``.
    hidden_bias : array of shape (M,)
        ``b``.
    xp : namespace
    null_space_gaussian : array of shape (r, r) or None
        Standard normals, ``r = |N - M|``. Given, the basis of the null
        space of the larger layer is rotated by the Haar orthogonal matrix
        they define (:func:`haar_orthogonal`), so its vectors are spread
        like the coupled ones (the paper's Gaussian statements about
        ``x_{M+1..N}`` hold); None keeps LAPACK's completion, whose vectors
        are localised on a few units.

    Returns
    -------
    ReciprocalDecomposition
        Sign convention: the largest-magnitude entry of each coupled visible
        mode ``U[:, i]`` (``i < K``) is positive. Null-space block of the
        larger layer: its first vector is the direction of the bias
        component outside the coupled modes (see ``_align_complement``).
    """
    n_visible, n_hidden = weights.shape
    n_shared = min(n_visible, n_hidden)
    U, singular_values, Vt = xp.linalg.svd(weights, full_matrices=True)
    V = xp.matrix_transpose(Vt)
    U, V = _fix_signs(U, V, n_shared, xp=xp)

    def complete(block, bias):
        if null_space_gaussian is not None:
            block = xp.matmul(block, haar_orthogonal(null_space_gaussian, xp=xp))
        return _align_complement(block, bias, xp=xp)

    if n_visible > n_hidden:
        U = xp.concat([U[:, :n_shared], complete(U[:, n_shared:], visible_bias)], axis=1)
    elif n_hidden > n_visible:
        V = xp.concat([V[:, :n_shared], complete(V[:, n_shared:], hidden_bias)], axis=1)
    return ReciprocalDecomposition(
        visible_modes=U,
        singular_values=singular_values,
        hidden_modes=V,
        visible_bias=xp.matmul(visible_bias, U),
        hidden_bias=xp.matmul(hidden_bias, V),
    )


# --------------------------------------------------------------------------
# Energies, saddle points, rotated coordinates
# --------------------------------------------------------------------------


def mode_energies(x, y, singular_values, visible_bias, hidden_bias, *, xp):
    """Per-mode energies ``E_i(x_i, y_i)`` of eq. 15-16.

    Parameters
    ----------
    x : array of shape (n_samples, N)
        Visible reciprocal variables ``U^T v``.
    y : array of shape (n_samples, M)
        Hidden reciprocal variables ``V^T h``.
    singular_values : array of shape (K,)
    visible_bias, hidden_bias : arrays of shape (N,) and (M,)
        ``a0`` and ``b0``.
    xp : namespace

    Returns
    -------
    energies : array of shape (n_samples, max(N, M))
        ``E_i = -a0_i x_i - b0_i y_i - lambda_i x_i y_i`` for ``i < K``;
        ``-a0_i x_i`` (``N > M``) or ``-b0_i y_i`` (``M > N``) for the
        uncoupled modes ``i >= K``. Rows sum to ``E(v, h)`` of eq. 3.
    """
    n_shared = singular_values.shape[0]
    coupled = (
        -x[:, :n_shared] * visible_bias[:n_shared]
        - y[:, :n_shared] * hidden_bias[:n_shared]
        - singular_values * x[:, :n_shared] * y[:, :n_shared]
    )
    if x.shape[1] > n_shared:
        return xp.concat([coupled, -x[:, n_shared:] * visible_bias[n_shared:]], axis=1)
    if y.shape[1] > n_shared:
        return xp.concat([coupled, -y[:, n_shared:] * hidden_bias[n_shared:]], axis=1)
    return coupled


def saddle_points(singular_values, visible_bias, hidden_bias, *, xp):
    """Saddle points and saddle energies of the coupled modes (Sec. 3, after eq. 18).

    Parameters
    ----------
    singular_values : array of shape (K,)
        ``lambda_i``, the couplings of the modes.
    visible_bias, hidden_bias : arrays of shape (N,) and (M,)
        Biases in reciprocal space, ``a0`` and ``b0``.
    xp : namespace

    Returns
    -------
    points : array of shape (K, 2)
        ``(x0_i, y0_i) = (-b0_i / lambda_i, -a0_i / lambda_i)``.
    energies : array of shape (K,)
        ``E_i(x0_i, y0_i) = a0_i b0_i / lambda_i``.
        Modes whose singular value is numerically zero (below
        ``max(lambda) * max(N, M) * eps``, the ``matrix_rank`` rule) have no
        saddle: their landscape is a plane; they get NaN.
    """
    n_shared = singular_values.shape[0]
    a0 = visible_bias[:n_shared]
    b0 = hidden_bias[:n_shared]
    largest = max(visible_bias.shape[0], hidden_bias.shape[0])
    tol = xp.max(singular_values) * largest * xp.finfo(singular_values.dtype).eps
    coupled = singular_values > tol
    safe = xp.where(coupled, singular_values, xp.ones_like(singular_values))
    nan = xp.full_like(singular_values, xp.nan)
    x0 = xp.where(coupled, -b0 / safe, nan)
    y0 = xp.where(coupled, -a0 / safe, nan)
    energies = xp.where(coupled, a0 * b0 / safe, nan)
    return xp.stack([x0, y0], axis=1), energies


def rotated_coordinates(x, y, points, *, xp):
    """Coordinates ``(u, w)`` of eq. 19 with ``theta = pi / 4``.

    Parameters
    ----------
    x, y : arrays of shape (n_samples, >= K)
        Reciprocal variables; only the first ``K`` columns are used.
    points : array of shape (K, 2)
        Saddle points from :func:`saddle_points`.
    xp : namespace

    Returns
    -------
    u, w : arrays of shape (n_samples, K)
        ``u = ((x - x0) + (y - y0)) / sqrt(2)``,
        ``w = ((y - y0) - (x - x0)) / sqrt(2)`` (the inverse of eq. 19; the
        same signs as eq. 27d-e and 29a-b), so that eq. 20 holds:
        ``E_i = a0_i b0_i / lambda_i - lambda_i (u_i^2 - w_i^2) / 2``.
    """
    n_shared = points.shape[0]
    dx = x[:, :n_shared] - points[:, 0]
    dy = y[:, :n_shared] - points[:, 1]
    root2 = math.sqrt(2.0)
    return (dx + dy) / root2, (dy - dx) / root2


def saddle_energy_from_rotated(u, w, singular_values, energies, *, xp):
    """Eq. 20: ``E_i(u_i, w_i) = a0_i b0_i / lambda_i - lambda_i (u_i^2 - w_i^2) / 2``.

    ``energies`` is the saddle energy ``a0_i b0_i / lambda_i``, shape (K,);
    ``u``, ``w`` have shape (n_samples, K).
    """
    return energies - 0.5 * singular_values * (u * u - w * w)


def constraint_potential_minimum(visible_modes, hidden_modes, points, visible_mean, hidden_mean, *, xp):
    """High-temperature minimum of the constraint potential, eq. 29.

    For ``T >> lambda`` the conjugate variables vanish and the minimum sits
    at the reciprocal image of the mean binary state (``<v> = <h> = 1/2``
    for uniform states, eq. 29 and 52).

    Parameters
    ----------
    visible_modes : array of shape (N, N)
    hidden_modes : array of shape (M, M)
    points : array of shape (K, 2)
        Saddle points ``(x0, y0)``.
    visible_mean : array of shape (N,)
        ``<v>``.
    hidden_mean : array of shape (M,)
        ``<h>``.
    xp : namespace

    Returns
    -------
    ConstraintMinimum
    """
    x = xp.matmul(visible_mean, visible_modes)
    y = xp.matmul(hidden_mean, hidden_modes)
    u, w = rotated_coordinates(x[None, :], y[None, :], points, xp=xp)
    return ConstraintMinimum(u=u[0, :], w=w[0, :], x=x, y=y)


# --------------------------------------------------------------------------
# Marchenko-Pastur law for singular values (eq. 21)
# --------------------------------------------------------------------------


def marchenko_pastur_support(shape, sigma):
    """Edges ``(lambda_-, lambda_+) = sigma * |sqrt(max) -/+ sqrt(min)|`` of eq. 21 (Python floats)."""
    big, small = max(shape), min(shape)
    return sigma * (math.sqrt(big) - math.sqrt(small)), sigma * (math.sqrt(big) + math.sqrt(small))


def marchenko_pastur_pdf(s, shape, sigma, *, xp):
    """Density of the singular values of a Gaussian ``shape`` matrix, eq. 21.

    ``rho(s) = sqrt((s_+^2 - s^2)(s^2 - s_-^2)) / (pi q s)`` on
    ``[s_-, s_+]`` with ``q = min(shape) sigma^2``, zero outside. For a
    square matrix (``s_- = 0``) it is the quarter circle and the value at
    ``s = 0`` is the limit ``s_+ / (pi q)``.

    Parameters
    ----------
    s : array
        Evaluation points (float dtype), any shape.
    shape : tuple of two ints
    sigma : float
    xp : namespace

    Returns
    -------
    density : array, same shape as ``s``
    """
    lower, upper = marchenko_pastur_support(shape, sigma)
    q = min(shape) * sigma * sigma
    inside = (s >= lower) & (s <= upper)
    positive = s > 0
    safe = xp.where(positive, s, xp.ones_like(s))
    head = xp.sqrt(xp.clip(upper * upper - s * s, min=0.0))
    tail = xp.sqrt(xp.clip(s * s - lower * lower, min=0.0))
    density = head * tail / (math.pi * q * safe)
    at_zero = upper / (math.pi * q) if lower == 0.0 else 0.0
    density = xp.where(positive, density, xp.full_like(s, at_zero))
    return xp.where(inside, density, xp.zeros_like(s))


# --------------------------------------------------------------------------
# Rotations about (n-2)-dimensional subspaces (Sec. 5.1-5.2)
# --------------------------------------------------------------------------


def plane_rotation_matrix(p, q, angle, *, xp):
    """Rotation by ``angle`` in the plane of orthonormal ``p``, ``q`` (shape (n,)).

    ``R = I + (cos a - 1)(p p^T + q q^T) + sin a (q p^T - p q^T)``: it maps
    ``p -> cos a p + sin a q`` and fixes the ``(n-2)``-dimensional
    orthogonal complement (a Givens rotation in the basis ``(p, q, ...)``).
    Returns an array of shape (n, n).
    """
    n = p.shape[0]
    eye = xp.eye(n, dtype=p.dtype, device=_device(p))
    outer = lambda a, b: a[:, None] * b[None, :]  # noqa: E731
    return eye + (math.cos(angle) - 1.0) * (outer(p, p) + outer(q, q)) + math.sin(angle) * (outer(q, p) - outer(p, q))


def rotate_in_plane(matrix, p, q, cos_angle, sin_angle, *, side, xp):
    """Apply one plane rotation to ``matrix`` (n, n) as a rank-2 update, O(n^2).

    With ``P = [p, q]`` (n, 2) and ``C = [[c - 1, -s], [s, c - 1]]`` the
    rotation is ``R = I + P C P^T``, so ``R A = A + P (C (P^T A))`` and
    ``A R^T = A + ((A P) C^T) P^T``: two thin products instead of a dense
    ``O(n^3)`` one.

    Parameters
    ----------
    matrix : array of shape (n, n)
    p, q : arrays of shape (n,)
        Orthonormal pair spanning the rotation plane.
    cos_angle, sin_angle : 0-d arrays
    side : {"left", "right", "both"}
        ``R A``, ``A R^T`` or ``R A R^T`` (the paper's ``U_R = R U R^t``).
    xp : namespace

    Returns
    -------
    rotated : array of shape (n, n)
    """
    basis = xp.stack([p, q], axis=1)  # (n, 2)
    c1 = cos_angle - 1.0
    mixing = xp.reshape(xp.stack([c1, -sin_angle, sin_angle, c1]), (2, 2))
    if side in ("left", "both"):
        matrix = matrix + xp.matmul(basis, xp.matmul(mixing, xp.matmul(xp.matrix_transpose(basis), matrix)))
    if side in ("right", "both"):
        thin = xp.matmul(xp.matmul(matrix, basis), xp.matrix_transpose(mixing))
        matrix = matrix + xp.matmul(thin, xp.matrix_transpose(basis))
    return matrix


def random_plane_pairs(gaussians, free_mask, *, xp):
    """Haar-random orthonormal pairs from Gaussian draws (Gram-Schmidt).

    Parameters
    ----------
    gaussians : array of shape (n_rotations, 2, n)
        Standard normal draws.
    free_mask : array of shape (n,)
        1 on coordinates the plane may use, 0 on those held fixed.
    xp : namespace

    Returns
    -------
    p, q : arrays of shape (n_rotations, n)
        Orthonormal pairs; their plane is uniformly distributed among the
        2-planes of the free coordinates.
    """
    g1 = gaussians[:, 0, :] * free_mask
    g2 = gaussians[:, 1, :] * free_mask
    p = g1 / xp.sqrt(xp.sum(g1 * g1, axis=1, keepdims=True))
    q = g2 - xp.sum(p * g2, axis=1, keepdims=True) * p
    q = q / xp.sqrt(xp.sum(q * q, axis=1, keepdims=True))
    return p, q


def coordinate_plane_pairs(first, second, n, *, xp, dtype, device):
    """Unit vectors ``(e_i, e_j)`` spanning coordinate planes (the paper's Fig. 6 rotations).

    Parameters
    ----------
    first, second : sequences of int of equal length
        Axis indices ``i != j`` of each plane.
    n : int
    xp, dtype, device
        Namespace, dtype and device of the result.

    Returns
    -------
    p, q : arrays of shape (n_rotations, n)
    """
    eye = xp.eye(n, dtype=dtype, device=device)
    rows_p = xp.asarray(list(first), dtype=xp.int64, device=device)
    rows_q = xp.asarray(list(second), dtype=xp.int64, device=device)
    return xp.take(eye, rows_p, axis=0), xp.take(eye, rows_q, axis=0)


# --------------------------------------------------------------------------
# Weight distributions and Gaussianity of reciprocal variables (Sec. 5.1)
# --------------------------------------------------------------------------


def histogram_on_range(values, low, high, bins, *, xp):
    """Counts of ``values`` (1-d) in ``bins`` equal bins on ``[low, high]``.

    Bins are half open ``[e_k, e_{k+1})`` except the last, which is closed,
    as in ``numpy.histogram``. Written with ``sort`` and ``searchsorted``
    because the Array API has no histogram.
    """
    edges = xp.linspace(low, high, bins + 1, dtype=values.dtype, device=_device(values))
    ordered = xp.sort(values)
    below = xp.searchsorted(ordered, edges[:-1], side="left")
    last = xp.searchsorted(ordered, edges[-1:], side="right")
    cumulative = xp.concat([below, last])
    return cumulative[1:] - cumulative[:-1]


def jensen_shannon_from_counts(counts_a, counts_b, *, xp):
    """Jensen-Shannon divergence (nats) of two histograms on the same bins.

    ``JS = (KL(P || m) + KL(Q || m)) / 2`` with ``m = (P + Q) / 2``,
    ``0 log 0 = 0``. Returns a 0-d array in ``[0, log 2]``.
    """
    p = counts_a / xp.sum(counts_a)
    q = counts_b / xp.sum(counts_b)
    m = 0.5 * (p + q)
    safe_m = xp.where(m > 0, m, xp.ones_like(m))

    def _kl(r):
        safe_r = xp.where(r > 0, r, xp.ones_like(r))
        return xp.sum(xp.where(r > 0, r * xp.log(safe_r / safe_m), xp.zeros_like(r)))

    return 0.5 * (_kl(p) + _kl(q))


def bernoulli_projection_kurtosis(modes, p, *, xp):
    """Exact excess kurtosis of ``modes^T s`` for ``s`` i.i.d. Bernoulli(p) (Fig. 3e).

    Cumulants add over independent terms: ``x_i = sum_k U_ki s_k`` has
    ``kappa_2 = p(1-p) sum_k U_ki^2`` and
    ``kappa_4 = p(1-p)(1 - 6p(1-p)) sum_k U_ki^4``, so

        excess kurtosis_i = (1 - 6p(1-p)) / (p(1-p)) * sum_k U_ki^4 / (sum_k U_ki^2)^2,

    ``-2 sum_k U_ki^4`` for unit columns and ``p = 1/2``.

    Parameters
    ----------
    modes : array of shape (n, n_modes)
    p : float in (0, 1)
    xp : namespace

    Returns
    -------
    kurtosis : array of shape (n_modes,)
        Excess (Fisher) kurtosis, 0 for a Gaussian.
    """
    variance = p * (1.0 - p)
    squares = modes * modes
    norms = xp.sum(squares, axis=0)
    return (1.0 - 6.0 * variance) / variance * xp.sum(squares * squares, axis=0) / (norms * norms)


def sampled_projection_kurtosis(modes, p, n_samples, batch_size, rng, *, xp):
    """Monte Carlo excess kurtosis of ``modes^T s`` over Bernoulli(p) states, as in Fig. 3e.

    States are drawn in batches of ``batch_size`` rows, projected, and
    power sums of ``x - p sum_k U_ki`` (the exact mean, which keeps the
    float64 power sums free of cancellation) are accumulated. The result
    is the biased sample estimator ``m4 / m2^2 - 3`` with the sample mean,
    the same as ``scipy.stats.kurtosis(..., bias=True)``.

    Parameters
    ----------
    modes : array of shape (n, n_modes)
    p : float
    n_samples, batch_size : int
    rng : skneq._backend.BackendRandom
    xp : namespace

    Returns
    -------
    kurtosis : array of shape (n_modes,)
    """
    n = modes.shape[0]
    shift = p * xp.sum(modes, axis=0)
    sums = [xp.zeros_like(shift) for _ in range(4)]
    done = 0
    while done < n_samples:  # loop over batches, not samples
        rows = min(batch_size, n_samples - done)
        states = rng.bernoulli(xp.full((rows, n), p, dtype=modes.dtype, device=_device(modes)))
        centred = xp.matmul(states, modes) - shift
        power = centred
        for k in range(4):
            sums[k] = sums[k] + xp.sum(power, axis=0)
            power = power * centred
        done += rows
    m1, m2, m3, m4 = (s / n_samples for s in sums)
    var = m2 - m1 * m1
    fourth = m4 - 4.0 * m1 * m3 + 6.0 * m1 * m1 * m2 - 3.0 * m1**4
    return fourth / (var * var) - 3.0


def _device(a):
    from .._backend import device_of

    return device_of(a)
