"""Numerically stable elementwise helpers written once for every namespace."""

from __future__ import annotations

import numpy as _np

__all__ = [
    "sigmoid",
    "log_sigmoid",
    "softplus",
    "logsumexp",
    "logaddexp",
    "log_softmax",
    "MEAN_CLIP",
    "clipped_mean",
    "logit_clipped_mean",
    "binary_states",
    "gumbel_from_uniform",
]

# Data means are clipped to [MEAN_CLIP, 1 - MEAN_CLIP] before a logit, so a
# pixel that is always 0 (or 1) gets a large finite bias (-6.9), not -inf.
MEAN_CLIP = 1e-3


def _is_numpy(xp):
    from ._backend import is_numpy_namespace

    return is_numpy_namespace(xp)


def _native(xp, name):
    from ._backend import native_elementwise

    return native_elementwise(xp, name)


def sigmoid(x, *, xp, bias=None, overwrite=False):
    """Logistic function ``1 / (1 + exp(-(x + bias)))``, stable for large |x|.

    ``bias`` (optional) is broadcast along the last axis and added in the
    same pass as the negation (the same values as ``sigmoid(x + bias)``, to
    the bit: ``-bias - x`` is ``-(x + bias)`` exactly). With ``overwrite=True``
    (NumPy) the result is computed in ``x``'s buffer, which is returned (the
    same values, to the bit): no temporaries of its size. Other namespaces
    return a new array and leave ``x`` alone.
    """
    if _is_numpy(xp):
        # 1 / (1 + exp(-x)) in place: exp overflows to inf for x << 0, which
        # gives the right limit 0; about twice as fast as scipy's expit.
        out = x if overwrite else None
        e = _np.negative(x, out=out) if bias is None else _np.subtract(-bias, x, out=out)
        with _np.errstate(over="ignore"):
            _np.exp(e, out=e)
        e += 1.0
        return _np.reciprocal(e, out=e)
    if bias is not None:
        x = x + bias
    native = _native(xp, "sigmoid")
    if native is not None:  # one fused, stable kernel (torch, CuPy)
        return native(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softplus(x, *, xp):
    """log(1 + exp(x)), stable for large |x|."""
    if _is_numpy(xp):
        # max(x, 0) + log1p(exp(-|x|)) in one buffer: five times faster than
        # np.logaddexp(0, x), and most of the time of annealed sampling.
        a = _np.abs(x)
        _np.negative(a, out=a)
        _np.exp(a, out=a)
        _np.log1p(a, out=a)
        a += _np.maximum(x, 0)
        return a
    return xp.where(x > 0, x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def log_sigmoid(x, *, xp):
    """log sigmoid(x) = -softplus(-x)."""
    return -softplus(-x, xp=xp)


def logsumexp(a, *, axis=None, keepdims=False, xp):
    """log(sum(exp(a))) along ``axis`` with the max shifted out.

    Rows that are entirely ``-inf`` give ``-inf`` (not NaN).
    """
    a_max = xp.max(a, axis=axis, keepdims=True)
    a_max = xp.where(xp.isfinite(a_max), a_max, xp.zeros_like(a_max))
    out = xp.log(xp.sum(xp.exp(a - a_max), axis=axis, keepdims=True)) + a_max
    if not keepdims:
        if axis is None:
            out = xp.reshape(out, ())
        else:
            out = xp.squeeze(out, axis=axis)
    return out


def logaddexp(a, b, *, xp):
    """log(exp(a) + exp(b)) elementwise."""
    native = _native(xp, "logaddexp")
    if native is not None:
        return native(a, b)
    m = xp.maximum(a, b)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return m + xp.log(xp.exp(a - m) + xp.exp(b - m))


def log_softmax(a, *, axis=-1, xp):
    """a - logsumexp(a) along ``axis``."""
    return a - logsumexp(a, axis=axis, keepdims=True, xp=xp)


def clipped_mean(X, *, xp, eps=MEAN_CLIP):
    """Column means of ``X`` clipped to ``[eps, 1 - eps]``, shape (n_features,)."""
    return xp.clip(xp.mean(X, axis=0), eps, 1 - eps)


def logit_clipped_mean(X, *, xp, eps=MEAN_CLIP):
    """``logit`` of the clipped column means of ``X``: the bias of an
    independent-unit model that matches the data marginals, shape (n_features,)."""
    m = clipped_mean(X, xp=xp, eps=eps)
    return xp.log(m) - xp.log1p(-m)


def binary_states(n_units, start=0, stop=None, *, xp, device=None, dtype=None):
    """Rows ``start..stop-1`` of the enumeration of ``{0, 1}^n_units``.

    Row ``k`` holds the bits of ``k``, least significant first (bit ``j`` of
    ``k`` is unit ``j``), so chunks of a long enumeration can be made
    independently. ``stop=None`` means ``2**n_units``.
    """
    stop = 2**n_units if stop is None else stop
    k = xp.arange(start, stop, dtype=xp.int64, device=device)
    shifts = xp.arange(n_units, dtype=xp.int64, device=device)
    bits = xp.bitwise_and(xp.bitwise_right_shift(k[:, None], shifts[None, :]), 1)
    return xp.astype(bits, dtype if dtype is not None else xp.float64)


def gumbel_from_uniform(U, *, xp, overwrite=False):
    """Standard Gumbel noise ``-log(-log U)`` from uniforms in [0, 1), finite at U = 0.

    With ``overwrite=True`` (NumPy) the same operations run in ``U``'s buffer,
    which is returned: no temporaries of its size (batched NMM draws megabytes
    of them per update).
    """
    tiny = xp.finfo(U.dtype).smallest_normal
    if overwrite and _is_numpy(xp):
        U += tiny
        _np.log(U, out=U)
        _np.negative(U, out=U)
        U += tiny
        _np.log(U, out=U)
        return _np.negative(U, out=U)
    return -xp.log(-xp.log(U + tiny) + tiny)
