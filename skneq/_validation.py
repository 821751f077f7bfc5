"""Input validation shared by the estimators and the metrics.

Every check raises a ``ValueError`` that names the problem (NaN, wrong shape,
non-binary data, empty input) instead of letting a NumPy traceback or a silent
wrong answer through.
"""

from __future__ import annotations

import os

from sklearn import config_context
from sklearn.utils.validation import check_array, validate_data

from . import _backend

__all__ = [
    "validate_X",
    "check_array_xp",
    "check_unit_interval",
    "check_binary",
]


def _dispatch_available():
    # sklearn's array_api_dispatch raises unless SciPy was imported with its
    # Array API support on; without it, non-NumPy inputs are checked here.
    return os.environ.get("SCIPY_ARRAY_API") == "1"


def _is_numpy_input(X):
    return _backend.namespace_name(_backend.namespace_of(X)[0]) == "numpy"


def _check_in_namespace(a, *, name, ensure_2d=True, ensure_min_samples=1, dtype="numeric"):
    """The checks of ``check_array`` done in the array's own namespace."""
    xp, _ = _backend.namespace_of(a)
    if ensure_2d and a.ndim != 2:
        raise ValueError(f"Expected 2D array for {name}, got {a.ndim}D array instead.")
    if a.ndim == 0 or a.shape[0] < ensure_min_samples:
        raise ValueError(
            f"Found array with {a.shape[0] if a.ndim else 0} sample(s) (shape={tuple(a.shape)}) while a minimum "
            f"of {ensure_min_samples} is required for {name}."
        )
    if dtype is not None and not (
        xp.isdtype(a.dtype, "real floating") or xp.isdtype(a.dtype, "integral") or xp.isdtype(a.dtype, "bool")
    ):
        raise ValueError(f"dtype {a.dtype} of {name} is not a real numeric dtype.")
    if xp.isdtype(a.dtype, "real floating"):
        if bool(xp.any(xp.isnan(a))):
            raise ValueError(f"Input {name} contains NaN.")
        if bool(xp.any(xp.isinf(a))):
            raise ValueError(f"Input {name} contains infinity.")
    return a


def _array_api_context(X):
    """Turn sklearn's Array API dispatch on for non-NumPy inputs only."""
    xp_in, _ = _backend.namespace_of(X)
    return config_context(array_api_dispatch=True) if _backend.namespace_name(xp_in) != "numpy" else _nullcontext()


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def check_unit_interval(X, xp, *, what="X"):
    """Raise ``ValueError`` unless every entry of ``X`` lies in [0, 1]."""
    if bool(xp.any(X < 0)):
        raise ValueError(
            f"Negative values in data passed to {what}: this model needs values in [0, 1] "
            "(binary data or probabilities). Rescale, e.g. X / 255 for gray levels."
        )
    if bool(xp.any(X > 1)):
        raise ValueError(
            f"Values greater than 1 in data passed to {what}: this model needs values in "
            "[0, 1] (binary data, probabilities or scaled gray levels). Rescale, e.g. X / 255 for gray levels."
        )
    return X


def check_binary(X, xp, *, what="X"):
    """Raise ``ValueError`` unless every entry of ``X`` is 0 or 1."""
    if bool(xp.any((X != 0) & (X != 1))):
        raise ValueError(
            f"Non-binary values in data passed to {what}: this model is defined on {{0, 1}}^D. "
            "Binarize first, e.g. skneq.datasets.load_mnist(binarize=0.5) or (X > 0.5)."
        )
    return X


def validate_X(estimator, X, *, reset, backend=None, dtype="float32", ensure_min_samples=1):
    """Validate ``X`` for ``estimator`` and move it once to the compute backend.

    Parameters
    ----------
    estimator : BaseEstimator
    X : array-like of shape (n_samples, n_features)
    reset : bool
        True in ``fit`` (records ``n_features_in_``), False afterwards.
    backend : Backend, str or None
        A resolved ``Backend`` (used as is), or the estimator's ``backend``
        parameter (resolved against ``X``).
    dtype : str or dtype
        Compute dtype when ``backend`` is not already resolved.

    Returns
    -------
    X : array of shape (n_samples, n_features)
        On the compute backend, floating dtype.
    bk : Backend
        The backend used.
    (xp_in, device_in) : tuple
        Namespace and device of the input, to return results there.
    """
    xp_in, device_in = _backend.namespace_of(X)
    if not _is_numpy_input(X) and not _dispatch_available():
        X = _check_in_namespace(X, name="X", ensure_min_samples=ensure_min_samples)
        validate_data(estimator, X, reset=reset, skip_check_array=True)
    else:
        with _array_api_context(X):
            X = validate_data(
                estimator,
                X,
                reset=reset,
                dtype="numeric",
                ensure_min_samples=ensure_min_samples,
                ensure_all_finite=True,
            )
    bk = backend if isinstance(backend, _backend.Backend) else _backend.resolve(X, backend, dtype)
    X = bk.asarray(X)
    return X, bk, (xp_in, device_in)


def check_array_xp(X, *, name="X", ensure_2d=True, ensure_min_samples=1, dtype="numeric"):
    """``check_array`` for functions (metrics) that accept any namespace.

    Returns the validated array in its own namespace. Works for non-NumPy
    arrays whether or not ``SCIPY_ARRAY_API=1`` was set.
    """
    if not _is_numpy_input(X) and not _dispatch_available():
        try:
            return _check_in_namespace(X, name=name, ensure_2d=ensure_2d, ensure_min_samples=ensure_min_samples,
                                       dtype=dtype)
        except ValueError as exc:
            raise ValueError(f"Invalid {name}: {exc}") from exc
    try:
        with _array_api_context(X):
            return check_array(
                X,
                ensure_2d=ensure_2d,
                ensure_min_samples=ensure_min_samples,
                dtype=dtype,
                ensure_all_finite=True,
                input_name=name,
            )
    except ValueError as exc:
        raise ValueError(f"Invalid {name}: {exc}") from exc
