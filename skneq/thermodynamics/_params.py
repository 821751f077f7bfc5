"""Parameter adapter shared by the thermodynamics tools: fitted RBM or ``(W, b, c)``."""

from __future__ import annotations

import math

from .. import _backend
from ..rbm._kernels import JOINT_KERNELS

__all__ = ["rbm_parameters"]


def rbm_parameters(model, *, backend=None, dtype=None):
    """``(W, b, c, bk)`` from a fitted RBM or an explicit ``(W, b, c)`` tuple.

    Parameters
    ----------
    model : estimator or tuple
        An object with ``components_`` (n_hidden, n_visible),
        ``intercept_visible_`` and ``intercept_hidden_`` (a fitted
        ``skneq.rbm.RBM`` or ``sklearn.neural_network.BernoulliRBM``), or a
        tuple ``(W, b, c)`` of arrays in that layout.
    backend : None, str or Backend
        Compute backend; None keeps the parameters' own namespace and device.
    dtype : None, str or dtype
        Floating dtype of the returned arrays (default: float64 where the
        device has it, for exact sums).

    Returns
    -------
    W : array of shape (n_hidden, n_visible)
    b : array of shape (n_visible,)
    c : array of shape (n_hidden,)
    bk : Backend
    """
    if hasattr(model, "components_") or hasattr(model, "get_params"):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(model, ("components_", "intercept_visible_", "intercept_hidden_"))
        W, b, c = model.components_, model.intercept_visible_, model.intercept_hidden_
    elif isinstance(model, (tuple, list)) and len(model) == 3:
        W, b, c = model
    else:
        raise ValueError(
            "Expected a fitted RBM (with components_, intercept_visible_, intercept_hidden_) or a "
            f"tuple (W, b, c); got {type(model).__name__}."
        )
    if isinstance(backend, _backend.Backend):
        bk = backend
    elif backend is None:
        xp, device = _backend.namespace_of(W)
        bk = _backend.Backend(xp, device, None)
    else:
        bk = _backend.resolve(W, backend)
    if dtype is None:
        dtype = bk.accurate_dtype()
    elif isinstance(dtype, str):
        dtype = getattr(bk.xp, dtype)
    bk = _backend.Backend(bk.xp, bk.device, dtype)
    W, b, c = (bk.asarray(a, dtype=dtype) for a in (W, b, c))
    xp = bk.xp
    if W.ndim != 2:
        raise ValueError(f"W must be 2-D (n_hidden, n_visible), got shape {tuple(W.shape)}")
    n_hidden, n_visible = W.shape
    if n_hidden < 1 or n_visible < 1:
        raise ValueError(f"W must be non-empty, got shape {tuple(W.shape)}")
    if tuple(b.shape) != (n_visible,):
        raise ValueError(f"visible bias b must have shape ({n_visible},), got {tuple(b.shape)}")
    if tuple(c.shape) != (n_hidden,):
        raise ValueError(f"hidden bias c must have shape ({n_hidden},), got {tuple(c.shape)}")
    for name, a in (("W", W), ("b", b), ("c", c)):
        if not bool(xp.all(xp.isfinite(a))):
            raise ValueError(f"RBM parameter {name} contains NaN or infinity")
    return W, b, c, bk


def _model_beta(model, beta):
    """``beta`` if given, else the estimator's own ``beta`` (1 for tuples)."""
    if beta is None:
        beta = 1.0 if isinstance(model, (tuple, list)) else getattr(model, "beta", 1.0)
    return _check_beta(beta)


def _check_beta(beta, name="beta"):
    beta = float(beta)
    if not math.isfinite(beta) or beta < 0:
        raise ValueError(f"{name} must be a finite non-negative inverse temperature, got {beta}")
    return beta


def _check_kernel(kernel, allowed=JOINT_KERNELS):
    if kernel not in allowed:
        raise ValueError(f"kernel must be one of {allowed}, got {kernel!r}")
    return kernel
