"""The analysis protocol between the analyses (thermodynamics, reciprocal space) and the RBM family.

An analysis never guesses a model from its attribute names. It accepts:

* an estimator implementing the private protocol ``_parameters()`` ->
  ``(W, visible_bias, hidden_bias)`` with ``W`` of shape
  ``(n_components, n_features)`` (skneq's ``RBM``), plus ``beta``;
* a fitted :class:`sklearn.neural_network.BernoulliRBM` (recognised by its
  type, read through its documented fitted attributes);
* a plain tuple ``(W, visible_bias, hidden_bias)`` in the same layout.

Anything else that looks like an estimator (e.g. a fitted PCA) gets a
``TypeError`` naming the protocol.
"""

from __future__ import annotations

from sklearn.utils.validation import check_is_fitted

from . import _backend
from ._validation import check_beta

__all__ = ["rbm_parameters", "model_beta"]



def _raw_parameters(model):
    """``(W, visible_bias, hidden_bias)`` as given by the model, not yet converted."""
    if isinstance(model, (tuple, list)):
        if len(model) != 3:
            raise ValueError(
                "Expected a fitted RBM or a tuple (W, visible_bias, hidden_bias) of 3 arrays; "
                f"got a sequence of length {len(model)}."
            )
        return tuple(model)
    protocol = getattr(type(model), "_parameters", None)
    if callable(protocol):
        check_is_fitted(model)
        W, b, c = tuple(model._parameters())[:3]
        return W, b, c
    from sklearn.neural_network import BernoulliRBM

    if isinstance(model, BernoulliRBM):
        check_is_fitted(model, ("components_", "intercept_visible_", "intercept_hidden_"))
        return model.components_, model.intercept_visible_, model.intercept_hidden_
    if hasattr(model, "get_params") or hasattr(model, "fit"):
        raise TypeError(
            f"{type(model).__name__} does not implement the RBM analysis protocol "
            "(_parameters() -> (W, visible_bias, hidden_bias)); pass a fitted skneq RBM, a fitted "
            "sklearn.neural_network.BernoulliRBM or a tuple (W, visible_bias, hidden_bias)."
        )
    raise ValueError(
        "Expected a fitted RBM (skneq RBM or sklearn BernoulliRBM) or a tuple "
        f"(W, visible_bias, hidden_bias); got {type(model).__name__}."
    )


def rbm_parameters(model, *, backend=None, dtype=None):
    """``(W, b, c, bk)`` of a fitted RBM or of explicit arrays, validated.

    Parameters
    ----------
    model : estimator or tuple
        A fitted estimator implementing ``_parameters()`` (skneq's ``RBM``),
        a fitted :class:`sklearn.neural_network.BernoulliRBM`, or a tuple
        ``(W, visible_bias, hidden_bias)`` with ``W`` of shape
        ``(n_hidden, n_visible)`` (``components_`` layout).
    backend : None, str or Backend
        Compute backend; None keeps the parameters' own namespace and device.
    dtype : None, str or dtype
        Floating dtype of the returned arrays (default: float64 where the
        device has it, for exact sums).

    Returns
    -------
    W : array of shape (n_hidden, n_visible)
    b : array of shape (n_visible,)
        Visible bias.
    c : array of shape (n_hidden,)
        Hidden bias.
    bk : Backend

    Raises
    ------
    TypeError
        For an estimator that does not implement the protocol (e.g. a PCA).
    ValueError
        For arrays of inconsistent shapes or non-finite values.
    """
    W, b, c = _raw_parameters(model)
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


def model_beta(model, beta):
    """``beta`` if given, else the estimator's own ``beta`` (1 for tuples and BernoulliRBM)."""
    if beta is None:
        beta = 1.0 if isinstance(model, (tuple, list)) else getattr(model, "beta", 1.0)
    return check_beta(beta, "beta", allow_zero=True)
