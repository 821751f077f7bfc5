"""Analyses of Sec. III of Fournier & Urbani (2024, arXiv:2405.10822).

* :func:`receptive_field_structure`: which receptive fields (rows of
  ``(W + A)^T``, Fig. 4) are spatially structured, by the lag-one spatial
  autocorrelation of each field against a shuffled-pixel null.
* :func:`data_index_floors`: the data-vs-data value of each sample-quality
  index (E(2), E(s), E(R), E(AAI), appendix B) at a given sample size, so
  that a model's index is always read next to the value two independent
  sets of *real* data of the same size give.

Both are public through :mod:`skneq.chaotic`; they validate their
arguments and compute in the namespace of their input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _backend
from .._base import row_chunks
from .._validation import check_array_xp, check_int, check_real

__all__ = ["ReceptiveFieldStructure", "receptive_field_structure", "spatial_autocorrelation", "data_index_floors"]


# --------------------------------------------------------------------------
# Receptive fields (Fig. 4)
# --------------------------------------------------------------------------


def spatial_autocorrelation(fields, image_shape, *, xp=None):
    """Lag-one spatial autocorrelation of each field (Moran's I on the 4-neighbour grid).

    ``rho = mean_{(p, q) neighbours} z_p z_q / mean_p z_p^2`` with
    ``z = f - mean(f)``: about ``+1`` for a smooth field, about
    ``-1 / (n_pixels - 1)`` on average for pixels in random order.

    Parameters
    ----------
    fields : array of shape (n_fields, height * width)
        One field per row, pixels in row-major order.
    image_shape : (int, int)
        ``(height, width)``.
    xp : namespace, optional
        Defaults to the namespace of ``fields``.

    Returns
    -------
    rho : array of shape (n_fields,)
        In the namespace of ``fields`` (0 for a constant field).
    """
    xp = _backend.namespace_of(fields)[0] if xp is None else xp
    height, width = image_shape
    n = int(fields.shape[0])
    z = fields - xp.mean(fields, axis=1, keepdims=True)
    grid = xp.reshape(z, (n, height, width))
    horizontal = xp.sum(grid[:, :, 1:] * grid[:, :, :-1], axis=(1, 2))
    vertical = xp.sum(grid[:, 1:, :] * grid[:, :-1, :], axis=(1, 2))
    n_pairs = height * (width - 1) + (height - 1) * width
    variance = xp.mean(z * z, axis=1)
    safe = xp.where(variance > 0, variance, xp.ones_like(variance))
    rho = (horizontal + vertical) / (n_pairs * safe)
    return xp.where(variance > 0, rho, xp.zeros_like(rho))


@dataclass(frozen=True)
class ReceptiveFieldStructure:
    """Result of :func:`receptive_field_structure` (NumPy arrays).

    Attributes
    ----------
    autocorrelation : ndarray of shape (n_fields,)
        Lag-one spatial autocorrelation of each field.
    p_value : ndarray of shape (n_fields,)
        Permutation p-value against the shuffled-pixel null,
        ``(1 + #{null >= observed}) / (1 + n_permutations)``.
    structured : ndarray of bool, shape (n_fields,)
        ``p_value <= alpha``.
    fraction_structured : float
        Mean of ``structured``.
    """

    autocorrelation: np.ndarray
    p_value: np.ndarray
    structured: np.ndarray
    fraction_structured: float


def receptive_field_structure(fields, image_shape=(28, 28), *, n_permutations=199, alpha=0.01, random_state=None):
    """Classify receptive fields as spatially structured or random (Fig. 4).

    Fournier & Urbani (Sec. III) report that after training about half of
    the hidden units of the restricted model have spatially structured
    receptive fields ``{W_ia + A_ia}_i`` while the others stay close to
    their random initial state. This makes the distinction a statistic:
    the lag-one spatial autocorrelation of each field
    (:func:`spatial_autocorrelation`) is compared with its null
    distribution when the pixel positions are shuffled (the same
    ``n_permutations`` random pixel orders for every field). A field of
    i.i.d. entries, such as the fixed couplings ``W`` alone, is
    exchangeable under pixel shuffles, so its p-value is uniform and it is
    called structured with probability ``alpha``.

    Parameters
    ----------
    fields : array-like of shape (n_fields, height * width)
        E.g. ``ChaoticRNNGenerator.receptive_fields_``.
    image_shape : (int, int), default=(28, 28)
    n_permutations : int, default=199
        Shuffles of the pixel positions forming the null distribution.
    alpha : float, default=0.01
        Level of the one-sided test (``0 < alpha < 1``).
    random_state : int, RandomState instance or None
        Seeds the shuffles.

    Returns
    -------
    result : ReceptiveFieldStructure

    References
    ----------
    S. J. Fournier and P. Urbani, "Generative modeling through internal
    high-dimensional chaotic activity", arXiv:2405.10822 (2024), Fig. 4.
    """
    fields = check_array_xp(fields, name="fields")
    if not (isinstance(image_shape, (tuple, list)) and len(image_shape) == 2):
        raise ValueError(f"image_shape must be a pair (height, width), got {image_shape!r}")
    height = check_int(image_shape[0], "image_shape[0]", low=2)
    width = check_int(image_shape[1], "image_shape[1]", low=2)
    if int(fields.shape[1]) != height * width:
        raise ValueError(f"fields have {fields.shape[1]} columns but image_shape={image_shape!r} has {height * width} pixels")
    n_permutations = check_int(n_permutations, "n_permutations", low=1)
    alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    xp, device = _backend.namespace_of(fields)
    bk = _backend.Backend(xp, device, _backend.accurate_dtype(xp, device))
    fields = xp.astype(fields, bk.dtype)
    observed = spatial_autocorrelation(fields, (height, width), xp=xp)
    rng = _backend.make_rng(bk, random_state)
    exceed = xp.zeros_like(observed)
    for _ in range(n_permutations):
        shuffled = xp.take(fields, rng.permutation(height * width), axis=1)
        null = spatial_autocorrelation(shuffled, (height, width), xp=xp)
        exceed = exceed + xp.astype(null >= observed, bk.dtype)
    rho = np.asarray(_backend.to_numpy(observed), dtype=np.float64)
    p_value = (1.0 + np.asarray(_backend.to_numpy(exceed), dtype=np.float64)) / (1.0 + n_permutations)
    structured = p_value <= alpha
    return ReceptiveFieldStructure(rho, p_value, structured, float(np.mean(structured)))


# --------------------------------------------------------------------------
# Data-vs-data floors of the indices (appendix B)
# --------------------------------------------------------------------------


def _nearest_neighbour_mse(A, B, xp):
    """``mean_mu min_nu |a_mu - b_nu|^2 / n_features``: E(R) of retrieving the closest row of ``B``."""
    b_sq = xp.sum(B * B, axis=1)
    total = 0.0
    n_b = int(B.shape[0])
    for rows in row_chunks(int(A.shape[0]), 8 * (n_b + int(A.shape[1]))):
        a = A[rows, ...]
        d = xp.sum(a * a, axis=1)[:, None] + b_sq[None, :] - 2.0 * (a @ B.T)
        total += float(xp.sum(xp.clip(xp.min(d, axis=1), 0.0, None)))
    return total / (int(A.shape[0]) * int(A.shape[1]))


def data_index_floors(X, n_samples, *, n_repeats=1, random_state=None):
    """Values of the indices of appendix B between two sets of real data.

    Each index compares ``n_samples`` data with ``n_samples`` generated
    samples; even a perfect generator scores above zero at finite
    ``n_samples`` (finite-sample noise of the covariance, of the spectrum
    and of nearest neighbours). This computes that floor by drawing two
    disjoint sets of ``n_samples`` rows of held-out data ``X`` and
    comparing them as if one were generated:

    * ``"second_moment_error"``: :func:`skneq.metrics.second_moment_error` (B1);
    * ``"spectrum_error"``: :func:`skneq.metrics.spectrum_error` (B2);
    * ``"reconstruction_error"``: B3 for a "reconstruction" that returns
      the nearest row of the other set, ``mean_mu min_nu |a_mu - b_nu|^2 /
      n_features`` (what retrieving the closest other real image scores;
      a model's E(R) below it reconstructs better than a look-up in a
      reference set of the same size);
    * ``"aai_error"``: :func:`skneq.metrics.aai_error` (B4).

    Pass ``X`` in the encoding of the comparison (the paper computes E(2),
    E(s) and E(R) on activities in [-1, 1]; E(AAI) does not depend on it).

    Repeat ``r`` uses the rows ``perm[:n_samples]`` and
    ``perm[n_samples:2 * n_samples]`` of
    ``perm = numpy.random.default_rng(seeds[r]).permutation(len(X))`` with
    ``seeds = skneq._backend.child_seeds(random_state, n_repeats)``.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_features)
        Held-out data, ``n_rows >= 2 * n_samples``.
    n_samples : int
        Size of each set, the sample size of the comparison it is a floor for.
    n_repeats : int, default=1
        Independent splits.
    random_state : int, RandomState instance or None

    Returns
    -------
    floors : dict of str -> ndarray of shape (n_repeats,)
        Keyed as ``ChaoticRNNGenerator.history_``.

    References
    ----------
    S. J. Fournier and P. Urbani, "Generative modeling through internal
    high-dimensional chaotic activity", arXiv:2405.10822 (2024), appendix B.
    """
    from ..metrics import aai_error, second_moment_error, spectrum_error

    X = check_array_xp(X, name="X")
    n_samples = check_int(n_samples, "n_samples", low=2)
    n_repeats = check_int(n_repeats, "n_repeats", low=1)
    n_rows = int(X.shape[0])
    if 2 * n_samples > n_rows:
        raise ValueError(
            f"n_samples={n_samples} needs 2 * n_samples = {2 * n_samples} rows of X, got {n_rows}: "
            "hold out more data or compare at a smaller sample size."
        )
    xp, device = _backend.namespace_of(X)
    X = xp.astype(X, _backend.accurate_dtype(xp, device))
    floors = {key: [] for key in ("second_moment_error", "spectrum_error", "reconstruction_error", "aai_error")}
    for seed in _backend.child_seeds(random_state, n_repeats):
        perm = np.random.default_rng(seed).permutation(n_rows)
        A = xp.take(X, xp.asarray(perm[:n_samples], device=device), axis=0)
        B = xp.take(X, xp.asarray(perm[n_samples : 2 * n_samples], device=device), axis=0)
        floors["second_moment_error"].append(float(second_moment_error(A, B)))
        floors["spectrum_error"].append(float(spectrum_error(A, B)))
        floors["reconstruction_error"].append(_nearest_neighbour_mse(A, B, xp))
        floors["aai_error"].append(float(aai_error(A, B)))
    return {key: np.asarray(values) for key, values in floors.items()}
