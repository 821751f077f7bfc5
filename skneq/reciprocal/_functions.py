"""Validated free functions of the reciprocal-space toolkit (Toledo-Marin et al. 2025, arXiv:2503.21536).

Marchenko-Pastur law of the singular values at initialisation (eq. 21),
the high-temperature constraint-potential minimum (eq. 29), random plane
rotations of the singular vectors and the Jensen-Shannon divergence of the
weight distributions (Sec. 5.1-5.2), and the kurtosis of reciprocal
variables of random binary states (Fig. 3e).

Public names are re-exported by :mod:`skneq.reciprocal`; import them from
there. The kernels are in :mod:`skneq.reciprocal._kernels`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _backend
from .._validation import check_int, check_option, check_real
from . import _kernels as _rm

__all__ = [
    "marchenko_pastur_pdf",
    "marchenko_pastur_support",
    "constraint_potential_minimum",
    "random_plane_rotation",
    "apply_random_rotations",
    "jensen_shannon_divergence",
    "reciprocal_kurtosis",
]


_SIDES = ("left", "right", "both")


# --------------------------------------------------------------------------
# Small validators
# --------------------------------------------------------------------------


def _check_shape(shape):
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) != 2
        or not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in shape)
    ):
        raise ValueError(f"shape must be a pair of positive integers (n_rows, n_columns), got {shape!r}.")
    return int(shape[0]), int(shape[1])


def _check_positive(value, name):
    return check_real(value, name, low=0.0, low_inclusive=False)


def _check_probability(p):
    return check_real(p, "p", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def _check_count(value, name, *, allow_zero=False):
    return check_int(value, name, low=0 if allow_zero else 1)


def _as_float_array(a, name):
    """``a`` as a floating array in its own namespace (NumPy for lists/scalars), checked finite and non-empty."""
    if not _backend.is_array(a):
        try:
            a = np.asarray(a, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric: {exc}") from exc
    xp, device = _backend.namespace_of(a)
    if not xp.isdtype(a.dtype, ("real floating", "integral", "bool")):
        raise ValueError(f"{name} must be real-valued, got dtype {a.dtype}.")
    if not xp.isdtype(a.dtype, "real floating"):
        a = xp.astype(a, _backend.accurate_dtype(xp, device))
    if math.prod(a.shape) == 0:
        raise ValueError(f"{name} is empty.")
    if not bool(xp.all(xp.isfinite(a))):
        raise ValueError(f"{name} contains NaN or infinity.")
    return a, xp, device


# --------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------


def marchenko_pastur_support(shape, sigma):
    """Support ``(lambda_-, lambda_+)`` of the singular values of a Gaussian matrix (eq. 21).

    ``lambda_+- = sqrt(max(N, M) sigma^2) +- sqrt(min(N, M) sigma^2)``.

    Parameters
    ----------
    shape : tuple of two positive ints
        ``(N, M)``.
    sigma : float > 0
        Standard deviation of the i.i.d. zero-mean entries.

    Returns
    -------
    (lower, upper) : tuple of float
    """
    return _rm.marchenko_pastur_support(_check_shape(shape), _check_positive(sigma, "sigma"))


def marchenko_pastur_pdf(s, shape, sigma):
    """Marchenko-Pastur density of singular values (not eigenvalues), eq. 21.

    ``rho(s) = sqrt((lambda_+^2 - s^2)(s^2 - lambda_-^2)) / (pi q s)`` for
    ``lambda_- <= s <= lambda_+`` with ``q = min(N, M) sigma^2``, zero
    elsewhere. It is normalised to one over the ``min(N, M)`` singular
    values of an ``(N, M)`` matrix of i.i.d. entries with standard
    deviation ``sigma``, in the large-size limit (the eigenvalue law of
    ``W^T W`` under ``s = sqrt(eigenvalue)``).

    Parameters
    ----------
    s : float or array-like
        Where to evaluate; any namespace.
    shape : tuple of two positive ints
    sigma : float > 0

    Returns
    -------
    density : float or array
        A float for a scalar ``s``, else an array of ``s``'s shape and
        namespace.
    """
    shape = _check_shape(shape)
    sigma = _check_positive(sigma, "sigma")
    scalar = isinstance(s, numbers.Real)
    arr, xp, _ = _as_float_array(s, "s")
    density = _rm.marchenko_pastur_pdf(arr, shape, sigma, xp=xp)
    return float(density) if scalar else density


def constraint_potential_minimum(visible_modes, hidden_modes, saddle_points, visible_mean=0.5, hidden_mean=0.5):
    """Minimum of the constraint potential in the high-temperature limit, eq. 29.

    ``u* = (U^T<v> + V^T<h> - x0 - y0)/sqrt(2)``,
    ``w* = (-U^T<v> + V^T<h> + x0 - y0)/sqrt(2)`` (eq. 29a-b, ``K`` coupled
    modes) and ``x* = U^T<v>`` (eq. 29c, used for the uncoupled modes
    ``i >= K`` when ``N > M``; ``y* = V^T<h>`` plays that role when
    ``M > N``). With ``<v> = <h> = 1/2`` these are the means of the
    reciprocal variables of uniform random states (eq. 52).

    Parameters
    ----------
    visible_modes : array of shape (N, N)
        ``U`` (``visible_modes_``).
    hidden_modes : array of shape (M, M)
        ``V`` (``hidden_modes_``).
    saddle_points : array of shape (K, 2)
        ``(x0, y0)`` (``saddle_points_``).
    visible_mean : float or array-like of shape (N,), default=0.5
    hidden_mean : float or array-like of shape (M,), default=0.5

    Returns
    -------
    ConstraintMinimum
        Named tuple ``(u, w, x, y)`` of shapes (K,), (K,), (N,), (M,) in
        the namespace of ``visible_modes``.
    """
    U, xp, device = _as_float_array(visible_modes, "visible_modes")
    bk = _backend.Backend(xp, device, U.dtype)
    V = bk.asarray(_as_float_array(hidden_modes, "hidden_modes")[0])
    points = bk.asarray(saddle_points)
    n_visible, n_hidden = U.shape[0], V.shape[0]
    if U.ndim != 2 or U.shape[1] != n_visible or V.ndim != 2 or V.shape[1] != n_hidden:
        raise ValueError("visible_modes and hidden_modes must be square matrices.")
    if points.ndim != 2 or points.shape != (min(n_visible, n_hidden), 2):
        raise ValueError(f"saddle_points must have shape ({min(n_visible, n_hidden)}, 2), got {points.shape}.")

    def _mean(value, n, name):
        if isinstance(value, numbers.Real):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value!r}.")
            return xp.full((n,), float(value), dtype=U.dtype, device=device)
        arr = bk.asarray(_as_float_array(value, name)[0])
        if arr.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), got {arr.shape}.")
        if bool(xp.any((arr < 0) | (arr > 1))):
            raise ValueError(f"{name} must lie in [0, 1] (a mean of binary units).")
        return arr

    return _rm.constraint_potential_minimum(
        U, V, points, _mean(visible_mean, n_visible, "visible_mean"), _mean(hidden_mean, n_hidden, "hidden_mean"), xp=xp
    )


def random_plane_rotation(n, angle=None, *, fixed_axes=None, random_state=None, backend=None, dtype="float64"):
    """Rotation about a random ``(n-2)``-dimensional subspace (Toledo-Marin et al. Sec. 5.1, their ref. [43]).

    ``R = Q G(angle) Q^T``: a Givens rotation ``G`` in the first two
    vectors ``(p, q)`` of a random orthonormal basis; ``R`` turns the
    Haar-random plane ``span(p, q)`` by ``angle`` and fixes its orthogonal
    complement.

    Parameters
    ----------
    n : int >= 2
        Dimension.
    angle : float or None, default=None
        Rotation angle in radians; None draws it uniformly in ``[0, 2 pi)``.
    fixed_axes : sequence of int or None
        Coordinate axes the plane must avoid (they are left unchanged), e.g.
        the modes of the largest singular values in Sec. 5.2.
    random_state : int, RandomState or None
    backend : None, str or module
        Namespace of the result (None: NumPy).
    dtype : str, default="float64"

    Returns
    -------
    rotation : array of shape (n, n)
        Orthogonal with determinant +1.
    """
    n = _check_count(n, "n")
    if n < 2:
        raise ValueError(f"n must be at least 2 for a plane rotation, got {n}.")
    check_option(dtype, "dtype", ("float32", "float64"))
    bk = _backend.resolve(None, backend, dtype)
    rng = _backend.make_rng(bk, random_state)
    p, q, cos_a, sin_a = _draw_planes(bk, rng, n, 1, angle, fixed_axes)
    angle_value = math.atan2(float(sin_a[0]), float(cos_a[0]))
    return _rm.plane_rotation_matrix(p[0, :], q[0, :], angle_value, xp=bk.xp)


def _draw_planes(bk, rng, n, n_rotations, angle, fixed_axes):
    xp = bk.xp
    mask = np.ones(n)
    if fixed_axes is not None:
        # Each index checked (2.5 refused, never truncated to 2).
        values = np.asarray(_backend.to_numpy(fixed_axes), dtype=object).reshape(-1)
        axes = [check_int(a, "fixed_axes", low=0, high=n - 1) for a in values]
        mask[axes] = 0.0
    if mask.sum() < 2:
        raise ValueError("fixed_axes leaves fewer than two free axes: no plane to rotate in.")
    free_mask = bk.asarray(mask)
    p, q = _rm.random_plane_pairs(rng.normal((n_rotations, 2, n)), free_mask, xp=xp)
    if angle is None:
        angles = 2.0 * math.pi * rng.uniform((n_rotations,))
    else:
        angle = check_real(angle, "angle")
        angles = xp.full((n_rotations,), angle, dtype=bk.dtype, device=bk.device)
    return p, q, xp.cos(angles), xp.sin(angles)


def apply_random_rotations(modes, n_rotations, *, angle=None, side="both", fixed_axes=None, random_state=None):
    """Apply ``n_rotations`` consecutive random plane rotations to a mode matrix (Sec. 5.1-5.2).

    Each rotation ``R`` turns a Haar-random 2-plane (avoiding
    ``fixed_axes``) and is applied as a rank-2 update, ``O(n^2)`` instead
    of a dense ``O(n^3)`` product.

    Parameters
    ----------
    modes : array of shape (n, n)
        ``U`` or ``V`` (``visible_modes_`` / ``hidden_modes_``).
    n_rotations : int >= 0
        The paper uses ``0.1 N`` for ``U`` and ``0.1 M`` for ``V`` (Fig. 4)
        and 10 for Fig. 6.
    angle : float or None
        Angle of every rotation; None draws each uniformly in ``[0, 2 pi)``.
    side : {"left", "right", "both"}, default="both"
        ``R U`` (rotate the unit space), ``U R^T`` (mix modes; with
        ``fixed_axes`` this keeps chosen modes, as in Fig. 6) or
        ``R U R^T`` (the paper's ``U_R``, Sec. 5.1).
    fixed_axes : sequence of int or None
        Axes excluded from every rotation plane.
    random_state : int, RandomState or None

    Returns
    -------
    rotated : array of shape (n, n)
        Orthogonal if ``modes`` is; same namespace and device.
    """
    A, xp, device = _as_float_array(modes, "modes")
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"modes must be a square matrix, got shape {tuple(A.shape)}.")
    check_option(side, "side", _SIDES)
    n_rotations = _check_count(n_rotations, "n_rotations", allow_zero=True)
    n = A.shape[0]
    if n_rotations == 0:
        return xp.asarray(A, copy=True)
    bk = _backend.Backend(xp, device, A.dtype)
    rng = _backend.make_rng(bk, random_state)
    p, q, cos_a, sin_a = _draw_planes(bk, rng, n, n_rotations, angle, fixed_axes)
    for k in range(n_rotations):  # loop over rotations (sequential by nature), not samples
        A = _rm.rotate_in_plane(A, p[k, :], q[k, :], cos_a[k], sin_a[k], side=side, xp=xp)
    return A


def jensen_shannon_divergence(a, b, *, bins=100, base=None):
    """Jensen-Shannon divergence between the value distributions of two arrays (Sec. 5.1, Fig. 4).

    Both arrays (any shape, flattened; e.g. weights before and after random
    rotations) are histogrammed on the common range
    ``[min(a, b), max(a, b)]`` with ``bins`` equal bins, then
    ``JS = (KL(P || m) + KL(Q || m)) / 2`` with ``m = (P + Q) / 2``.

    Parameters
    ----------
    a, b : array-like
        Samples; same namespace (any sizes).
    bins : int, default=100
    base : float or None, default=None
        Logarithm base; None gives nats (maximum ``log 2``), 2 gives bits
        (maximum 1). Equals ``scipy.spatial.distance.jensenshannon(P, Q,
        base) ** 2`` on the histograms (scipy returns the square root).

    Returns
    -------
    divergence : float
    """
    bins = _check_count(bins, "bins")
    if base is not None:
        base = _check_positive(base, "base")
        if base == 1.0:
            raise ValueError("base must differ from 1.")
    A, xp, device = _as_float_array(a, "a")
    B = _backend.to_device(_as_float_array(b, "b")[0], xp, device, dtype=A.dtype)
    A = xp.reshape(A, (-1,))
    B = xp.reshape(B, (-1,))
    low = float(xp.minimum(xp.min(A), xp.min(B)))
    high = float(xp.maximum(xp.max(A), xp.max(B)))
    if high == low:  # both constant and equal: one bin holds everything
        return 0.0
    counts_a = xp.astype(_rm.histogram_on_range(A, low, high, bins, xp=xp), A.dtype)
    counts_b = xp.astype(_rm.histogram_on_range(B, low, high, bins, xp=xp), A.dtype)
    value = float(_rm.jensen_shannon_from_counts(counts_a, counts_b, xp=xp))
    return value if base is None else value / math.log(base)


def reciprocal_kurtosis(modes, *, p=0.5, n_samples=None, batch_size=4096, random_state=None):
    """Excess kurtosis of the reciprocal variables of random binary states (Sec. 4, Fig. 3e).

    ``x_i = sum_k U_ki s_k`` with ``s`` i.i.d. Bernoulli(``p``): by the
    central limit theorem (Haar-distributed modes) the kurtosis tends to 0
    as the layer grows.

    Parameters
    ----------
    modes : array of shape (n, n_modes)
        Columns to project on, e.g. ``hidden_modes_[:, :K]`` for ``y``
        (Fig. 3e) or ``visible_modes_`` for ``x``.
    p : float in (0, 1), default=0.5
        Probability of a unit being on.
    n_samples : int or None, default=None
        None: the exact value from the cumulants,
        ``(1 - 6p(1-p)) / (p(1-p)) * sum_k U_ki^4 / (sum_k U_ki^2)^2``
        (``-2 sum_k U_ki^4`` for unit columns at ``p = 1/2``). An int: the
        paper's Monte Carlo estimate from that many random states, drawn in
        batches of ``batch_size`` (biased sample estimator, like
        ``scipy.stats.kurtosis(bias=True)``).
    batch_size : int, default=4096
    random_state : int, RandomState or None
        Seeds the Monte Carlo states.

    Returns
    -------
    kurtosis : array of shape (n_modes,)
        Excess kurtosis (0 for a Gaussian), in the namespace of ``modes``.
    """
    A, xp, device = _as_float_array(modes, "modes")
    if A.ndim != 2:
        raise ValueError(f"modes must be a 2-d array (n_units, n_modes), got shape {tuple(A.shape)}.")
    p = _check_probability(p)
    batch_size = _check_count(batch_size, "batch_size")  # checked for the exact path too
    if n_samples is None:
        if bool(xp.any(xp.sum(A * A, axis=0) == 0)):
            raise ValueError("modes has an all-zero column: its projection is constant, kurtosis undefined.")
        return _rm.bernoulli_projection_kurtosis(A, p, xp=xp)
    n_samples = _check_count(n_samples, "n_samples")
    if n_samples < 2:
        raise ValueError("n_samples must be at least 2 for a sample kurtosis.")
    bk = _backend.Backend(xp, device, _backend.accurate_dtype(xp, device))
    A = bk.asarray(A)
    rng = _backend.make_rng(bk, random_state)
    return _rm.sampled_projection_kurtosis(A, p, n_samples, batch_size, rng, xp=xp)
