"""Input validation shared by the estimators and the metrics.

Every check raises a ``ValueError`` that names the problem (NaN, wrong shape,
non-binary data, empty input) instead of letting a NumPy traceback or a silent
wrong answer through.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os

import numpy as np

from sklearn import config_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, validate_data

from . import _backend

__all__ = [
    "validate_X",
    "check_array_xp",
    "check_unit_interval",
    "check_binary",
    "check_int",
    "check_real",
    "check_probability",
    "check_beta",
    "check_option",
    "is_sparse",
    "StrictInterval",
    "count",
]


def _dispatch_available():
    # sklearn's array_api_dispatch raises unless SciPy was imported with its
    # Array API support on; without it, non-NumPy inputs are checked here.
    return os.environ.get("SCIPY_ARRAY_API") == "1"


def _is_numpy_input(X):
    return _backend.is_numpy_namespace(_backend.namespace_of(X)[0])


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
    return contextlib.nullcontext() if _backend.is_numpy_namespace(xp_in) else config_context(array_api_dispatch=True)


def check_unit_interval(X, xp, *, what="X"):
    """Raise ``ValueError`` unless every entry of ``X`` lies in [0, 1] (sparse: its stored values)."""
    if is_sparse(X):
        X, xp = X.data, _backend.namespace_of(X.data)[0]
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
    """Raise ``ValueError`` unless every entry of ``X`` is 0 or 1 (sparse: its stored values)."""
    if is_sparse(X):
        X, xp = X.data, _backend.namespace_of(X.data)[0]
    if bool(xp.any((X != 0) & (X != 1))):
        raise ValueError(
            f"Non-binary values in data passed to {what}: this model is defined on {{0, 1}}^D. "
            "Binarize first, e.g. skneq.datasets.load_mnist(binarize=0.5) or (X > 0.5)."
        )
    return X


def validate_X(estimator, X, *, reset, backend=None, dtype="float32", ensure_min_samples=1, accept_sparse=False,
               name="X"):
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
    accept_sparse : bool
        Accept SciPy sparse input (returned as CSR on the host, never
        densified whole: use ``skneq._base.dense_rows`` one chunk at a time).
    name : str, default="X"
        The argument's name in error messages (``"init"`` for starting
        states): scikit-learn's messages say "X", so others are prefixed.

    Returns
    -------
    X : array of shape (n_samples, n_features)
        On the compute backend, floating dtype (CSR on the host for sparse
        input with ``accept_sparse``).
    bk : Backend
        The backend used.
    (xp_in, device_in) : tuple
        Namespace and device of the input, to return results there.
    """
    xp_in, device_in = _backend.namespace_of(X)
    try:
        if not _is_numpy_input(X) and not _dispatch_available():
            X = _check_in_namespace(X, name=name, ensure_min_samples=ensure_min_samples)
            validate_data(estimator, X, reset=reset, skip_check_array=True)
        else:
            with _array_api_context(X):
                X = validate_data(
                    estimator,
                    X,
                    reset=reset,
                    accept_sparse="csr" if accept_sparse else False,
                    dtype="numeric",
                    ensure_min_samples=ensure_min_samples,
                    ensure_all_finite=True,
                )
    except ValueError as exc:
        if name == "X":
            raise
        raise ValueError(f"Invalid {name}: {exc}") from exc
    bk = backend if isinstance(backend, _backend.Backend) else _backend.resolve(X, backend, dtype)
    if is_sparse(X):
        return X.astype(_backend.to_numpy(bk.xp.zeros(1, dtype=bk.dtype)).dtype, copy=False), bk, (xp_in, device_in)
    X = bk.asarray(X)
    return X, bk, (xp_in, device_in)


def is_sparse(X):
    """True for SciPy sparse matrices and arrays."""
    import scipy.sparse

    return scipy.sparse.issparse(X)


def check_array_xp(X, *, name="X", ensure_2d=True, ensure_min_samples=1, dtype="numeric"):
    """``check_array`` for functions (metrics) that accept any namespace.

    Returns the validated array in its own namespace. Works for non-NumPy
    arrays whether or not ``SCIPY_ARRAY_API=1`` was set.
    """
    try:
        ndim = X.ndim if hasattr(X, "ndim") else np.ndim(X)
    except ValueError:  # a ragged list: check_array says so below
        ndim = None
    if ndim == 0:
        # check_array raises TypeError for these; a scalar (None, a string,
        # an object) is a bad value here.
        raise ValueError(f"Invalid {name}: expected an array, got the scalar {X!r}.")
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


# --------------------------------------------------------------------------
# Argument checkers: the one place method and function arguments are checked.
# Each returns the value as a Python scalar or raises a ValueError naming it.
# --------------------------------------------------------------------------


def check_int(value, name, *, low=1, high=None):
    """``value`` as a Python int in ``[low, high]``; bools and fractions are refused.

    A float that is a whole number (``3.0``) is accepted; ``2.7`` is refused,
    never truncated.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, numbers.Real)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f">= {low}" if high is None else (f"<= {high}" if low is None else f"in [{low}, {high}]")
        raise ValueError(f"{name} must be an integer {bounds}, got {value!r}")
    return value


def check_bool(value, name):
    """``value`` as a Python bool; only ``True``/``False`` (NumPy's included), never truthiness."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def host_float64(a, name):
    """``a`` as a float64 NumPy array on the host; a non-numeric input is a ValueError naming ``name``.

    For the functions that compute on the host from user arrays of any
    namespace (summaries, fits of work and heat samples, Markov matrices).
    """
    try:
        return np.asarray(_backend.to_numpy(a), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(a).__name__}: {exc}") from exc


def check_real(value, name, *, low=None, high=None, low_inclusive=True, high_inclusive=True):
    """``value`` as a finite Python float in the given interval (NaN and inf refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        lo = "" if low is None else ("[" if low_inclusive else "(") + f"{low}"
        hi = "" if high is None else f"{high}" + ("]" if high_inclusive else ")")
        interval = f"{lo or '(-inf'}, {hi or 'inf)'}"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return value


def check_probability(value, name):
    """A probability in [0, 1]."""
    return check_real(value, name, low=0.0, high=1.0)


def check_beta(value, name="beta", *, allow_zero=False):
    """An inverse temperature: finite and positive (or non-negative with ``allow_zero``)."""
    return check_real(value, name, low=0.0, low_inclusive=allow_zero)


def check_option(value, name, options):
    """``value`` if it is one of ``options``, else a ValueError listing them."""
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options, key=repr)!r}, got {value!r}")
    return value


class StrictInterval(Interval):
    """scikit-learn's ``Interval`` constraint that also refuses bools
    (``True`` is an ``Integral``) and non-finite numbers, for
    ``_parameter_constraints``."""

    def is_satisfied_by(self, val):
        if isinstance(val, bool):
            return False
        if isinstance(val, numbers.Real) and not math.isfinite(val):
            return False
        return super().is_satisfied_by(val)


def count(low=1):
    """The constraint of a count parameter: an integer ``>= low``, never a bool."""
    return StrictInterval(numbers.Integral, low, None, closed="left")
