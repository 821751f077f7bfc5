"""Array namespace, device, dtype policy and random numbers for skneq.

This is the only module that knows CuPy, torch or array-api-strict exist.
Estimators resolve a namespace once per call (``resolve``), move data once
(``to_device``), draw random numbers from a per-call generator
(``make_rng``) and never store a generator on themselves.

Conventions
-----------
* ``backend=None`` follows scikit-learn's Array API rule: with
  ``sklearn.set_config(array_api_dispatch=True)`` the namespace and device of
  ``X`` are used; otherwise everything is NumPy.
* ``backend="numpy" | "cupy" | "torch" | "array_api_strict" | <module>``
  forces the compute namespace; ``X`` is moved there once.
* Training defaults to float32 (``compute_dtype``); sums over exponentially
  many terms (log partition functions, enumerations) use float64
  (``accurate_dtype``).
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import array_api_compat
import array_api_compat.numpy as _compat_numpy
from sklearn import get_config
from sklearn.utils import check_random_state

from ._random_bits import uniform_float32_into

__all__ = [
    "Backend",
    "resolve",
    "backend_of",
    "namespace_of",
    "compute_namespace",
    "is_numpy_namespace",
    "native_elementwise",
    "to_numpy",
    "to_device",
    "make_rng",
    "BackendRandom",
    "estimator_to_numpy",
    "child_seeds",
]

_NAMESPACE_ALIASES = {
    "numpy": "array_api_compat.numpy",
    "np": "array_api_compat.numpy",
    "cupy": "array_api_compat.cupy",
    "cp": "array_api_compat.cupy",
    "torch": "array_api_compat.torch",
    "array_api_strict": "array_api_strict",
    "array-api-strict": "array_api_strict",
    "dask": "array_api_compat.dask.array",
}


@dataclass(frozen=True)
class Backend:
    """A resolved compute backend: array namespace, device and float dtype.

    Attributes
    ----------
    xp : module
        Array-API compatible namespace (wrapped by ``array_api_compat``).
    device : object
        Device on which arrays live (``"cpu"`` for NumPy).
    dtype : dtype
        Floating dtype of the computation.
    """

    xp: Any
    device: Any
    dtype: Any

    @property
    def name(self) -> str:
        return namespace_name(self.xp)

    @property
    def is_numpy(self) -> bool:
        return self.name == "numpy"

    def asarray(self, a, dtype=None):
        """Move ``a`` (any array or array-like) onto this backend, once."""
        return to_device(a, self.xp, self.device, dtype=self.dtype if dtype is None else dtype)

    def accurate_dtype(self):
        """float64 where the namespace/device supports it, else float32."""
        return accurate_dtype(self.xp, self.device)


def namespace_name(xp) -> str:
    # str(xp) only when there is no name: it is built on every call otherwise (hot paths ask often).
    name = getattr(xp, "__name__", None) or str(xp)
    for short in ("numpy", "cupy", "torch", "array_api_strict", "dask"):
        if short in name:
            return short
    return name


def check_backend(backend):
    """Refuse a ``backend`` argument that names no namespace (without importing it).

    For functions that ignore ``backend`` in some cases (a fitted estimator
    computes on its own backend): a typo is still an error.
    """
    if backend is None or isinstance(backend, Backend):
        return backend
    if isinstance(backend, str) and backend.lower() in _NAMESPACE_ALIASES:
        return backend
    if not isinstance(backend, str) and hasattr(backend, "asarray"):  # a namespace module
        return backend
    raise ValueError(
        f"Unknown backend {backend!r}; expected None, 'numpy', 'cupy', 'torch', "
        "'array_api_strict' or an array-api-compat namespace module."
    )


def _import_namespace(backend):
    check_backend(backend)
    if not isinstance(backend, str):
        return array_api_compat.array_namespace(backend.asarray(0))
    module_name = _NAMESPACE_ALIASES[backend.lower()]
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:  # pragma: no cover - depends on optional packages
        extra = " Install it with `pip install skneq[cupy]`." if "cupy" in module_name else ""
        raise ImportError(f"backend={backend!r} needs {module_name}, which is not importable.{extra}") from exc


def namespace_of(*arrays):
    """Array namespace and device of ``arrays``, ignoring non-arrays.

    Non-array inputs (lists, pandas frames, None) count as NumPy.
    """
    arrays = [a for a in arrays if a is not None and array_api_compat.is_array_api_obj(a)]
    if not arrays:
        return _compat_numpy, "cpu"
    xp = array_api_compat.array_namespace(*arrays)
    return xp, array_api_compat.device(arrays[0])


def is_numpy_namespace(xp) -> bool:
    """True for NumPy (plain or wrapped by array-api-compat): the one "is this NumPy" test."""
    return namespace_name(xp) == "numpy"


def native_elementwise(xp, name):
    """The namespace's own fused kernel for an elementwise function, or None.

    ``name`` is ``"sigmoid"``, ``"softplus"`` or ``"logaddexp"``. torch and
    CuPy have fused, numerically stable kernels for them, one dispatch
    instead of the four or five of the generic Array API formulas in
    ``skneq._math`` (on small torch-CPU mini-batches the dispatch dominates:
    torch's sigmoid cuts an RBM epoch at 784 x 16 by about a quarter).
    NumPy (``_math`` has in-place NumPy paths) and other namespaces get None.
    """
    kind = namespace_name(xp)
    if kind == "torch":
        import torch

        return {"sigmoid": torch.sigmoid, "softplus": torch.nn.functional.softplus,
                "logaddexp": torch.logaddexp}.get(name)
    if kind == "cupy":  # pragma: no cover - needs a GPU
        import cupy
        from cupyx.scipy import special

        return {"sigmoid": special.expit, "softplus": lambda x: cupy.logaddexp(0.0, x),
                "logaddexp": cupy.logaddexp}.get(name)
    return None


def compute_namespace(*arrays):
    """Namespace and device to compute on for inputs that may live in different places.

    The first input that is not a host NumPy array (or non-array: lists,
    SciPy sparse matrices) decides: device arrays are never copied to the
    host; host data move to the device instead. All NumPy: NumPy on the CPU.
    """
    for a in arrays:
        xp, device = namespace_of(a)
        if namespace_name(xp) != "numpy":
            return xp, device
    return _compat_numpy, "cpu"


def host_threads(bk, limit=1):
    """Context capping the host's compute threads for ``bk`` at ``limit``.

    NumPy: the BLAS pool, through one cached ``threadpoolctl`` controller
    (scanning the loaded libraries costs ~4 ms, more than a whole
    ``partial_fit`` on a mini-batch). torch on the CPU: its intra-op pool
    as well (``torch.set_num_threads``, restored on exit); its spinning
    threads on tiny tensors cost more than they give. Other backends:
    nothing.
    """
    kind = namespace_name(bk.xp)
    if kind not in ("numpy", "torch") or (kind == "torch" and _torch_device_type(bk.device) != "cpu"):
        return contextlib.nullcontext()
    if not _THREAD_CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _THREAD_CONTROLLER.append(ThreadpoolController())
    blas = _THREAD_CONTROLLER[0].limit(limits=limit, user_api="blas")
    if kind == "numpy":
        return blas
    return _torch_threads(blas, limit)


_THREAD_CONTROLLER = []


@contextlib.contextmanager
def _torch_threads(blas, limit):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(limit)
    try:
        with blas:
            yield
    finally:
        torch.set_num_threads(before)


def is_array(a) -> bool:
    """True for an array of any supported namespace (not for lists, scalars or sparse matrices)."""
    return array_api_compat.is_array_api_obj(a)


def device_of(a):
    """The device of array ``a``."""
    return array_api_compat.device(a)


def backend_of(array) -> Backend:
    """The ``Backend`` an array lives on: its namespace, device and dtype.

    Estimators call it on a fitted parameter to compute where they trained.
    """
    xp, device = namespace_of(array)
    return Backend(xp, device, array.dtype)


def default_device(xp):
    if namespace_name(xp) == "numpy":
        return "cpu"
    info = getattr(xp, "__array_namespace_info__", None)
    if info is not None:
        try:
            return info().default_device()
        except Exception:  # pragma: no cover - namespaces without the info API
            pass
    return None


def accurate_dtype(xp, device=None):
    """The most precise real float dtype of ``xp`` on ``device``."""
    info = getattr(xp, "__array_namespace_info__", None)
    if info is not None and namespace_name(xp) not in ("numpy",):
        try:
            dtypes = info().dtypes(device=device, kind="real floating")
            return dtypes.get("float64", dtypes.get("float32"))
        except Exception:  # pragma: no cover
            pass
    return xp.float64


def resolve(X=None, backend=None, dtype="float32") -> Backend:
    """Resolve the compute backend of one estimator call.

    Parameters
    ----------
    X : array-like or None
        The input; its namespace and device are used when ``backend`` is None
        and scikit-learn's ``array_api_dispatch`` is on.
    backend : None, str or module
        Explicit compute backend (see module docstring).
    dtype : {"float32", "float64"} or dtype
        Floating dtype of the computation.

    Returns
    -------
    Backend
    """
    if backend is None:
        if get_config().get("array_api_dispatch", False):
            xp, device = namespace_of(X)
        else:
            xp, device = _compat_numpy, "cpu"
    else:
        xp = _import_namespace(backend)
        in_xp, in_device = namespace_of(X)
        device = in_device if namespace_name(in_xp) == namespace_name(xp) else default_device(xp)
    if isinstance(dtype, str):
        dtype = getattr(xp, dtype)
    return Backend(xp=xp, device=device, dtype=dtype)


def to_numpy(a):
    """Host NumPy copy (or view) of an array from any supported namespace."""
    if a is None or isinstance(a, (numbers.Number, np.ndarray, np.generic)):
        return np.asarray(a) if a is not None else None
    if not array_api_compat.is_array_api_obj(a):
        return np.asarray(a)
    if array_api_compat.is_cupy_array(a):
        return a.get()
    if array_api_compat.is_torch_array(a):
        return a.detach().cpu().numpy()
    if array_api_compat.is_numpy_array(a):
        return np.asarray(a)
    xp = array_api_compat.array_namespace(a)
    host = default_device(xp)
    if host is not None and array_api_compat.device(a) != host:
        a = array_api_compat.to_device(a, host)
    return np.asarray(a)


def to_device(a, xp, device, dtype=None):
    """Put ``a`` on namespace ``xp``/``device`` with an explicit, single copy."""
    a_xp, a_device = namespace_of(a)
    if namespace_name(a_xp) != namespace_name(xp):
        a = to_numpy(a)
        if namespace_name(xp) == "numpy":
            out = np.asarray(a)
        else:
            out = xp.asarray(a, device=device)
    elif device is not None and a_device != device:
        out = array_api_compat.to_device(a, device)
    else:
        out = a if array_api_compat.is_array_api_obj(a) else xp.asarray(a)
    if dtype is not None and out.dtype != dtype:
        out = xp.astype(out, dtype)
    return out


def convert_like(result, xp_in, device_in):
    """Return ``result`` in the namespace/device the caller passed in."""
    res_xp, res_device = namespace_of(result)
    if namespace_name(res_xp) == namespace_name(xp_in) and res_device == device_in:
        return result
    return to_device(result, xp_in, device_in)


# --------------------------------------------------------------------------
# Random numbers
# --------------------------------------------------------------------------


def seed_from(random_state, *salt) -> int:
    """A 63-bit integer seed derived from ``random_state`` (sklearn rules).

    ``salt`` (integers such as a number of updates already done) makes
    successive calls of ``partial_fit`` draw different streams
    deterministically when ``random_state`` is an int.
    """
    if isinstance(random_state, numbers.Integral) and salt:
        seq = np.random.SeedSequence([int(random_state), *[int(s) for s in salt]])
        return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    rs = check_random_state(random_state)
    return int(rs.randint(0, 2**31 - 1)) * (2**31) + int(rs.randint(0, 2**31 - 1))


def child_seeds(random_state, n):
    """``n`` independent integer seeds (in ``[0, 2**31)``) derived from ``random_state``.

    The one way skneq seeds independent runs (``fit_independent_runs``,
    repeated analyses): an int ``random_state`` gives the same seeds every time.
    """
    return [int(s) for s in np.random.default_rng(seed_from(random_state)).integers(0, 2**31 - 1, int(n))]


class BackendRandom:
    """Per-call random generator living on the backend's device.

    NumPy uses ``numpy.random.Generator``; CuPy ``cupy.random.Generator``;
    torch a ``torch.Generator`` on the device. Other namespaces draw on the
    host with NumPy and move the result once (an explicit copy).

    Never store an instance on an estimator: CuPy and torch generators do
    not pickle and the estimator would stop being a pure parameter holder.
    """

    def __init__(self, backend: Backend, seed: int):
        self.backend = backend
        self.xp = backend.xp
        self._kind = backend.name
        self._scratch = {}  # shape -> float32 buffer of _uint24_as_float32
        if self._kind == "cupy":  # pragma: no cover - needs a GPU
            import cupy

            with cupy.cuda.Device(getattr(backend.device, "id", backend.device)):
                self._gen = cupy.random.default_rng(seed)
        elif self._kind == "torch" and _torch_device_type(backend.device) != "cpu":  # pragma: no cover - GPU
            import torch

            self._gen = torch.Generator(device=backend.device)
            self._gen.manual_seed(seed % (2**63))
        else:
            # NumPy, array-api-strict and torch on the CPU draw with NumPy's
            # generator: torch.from_numpy shares the host buffer (no copy), and
            # the same seed gives the same numbers as NumPy, so a CPU fit is
            # the same model on NumPy and torch up to float rounding.
            if self._kind == "torch":
                self._kind = "torch-cpu"
            self._gen = np.random.default_rng(seed)

    def _finish(self, a, dtype):
        if self._kind in ("numpy", "cupy", "torch"):
            return a if a.dtype == dtype else self.xp.astype(a, dtype)
        if self._kind == "torch-cpu":
            import torch

            a = torch.from_numpy(a)  # shares the fresh host buffer: no copy
            return a if dtype is None or a.dtype == dtype else a.to(dtype)
        return to_device(a, self.xp, self.backend.device, dtype=dtype)

    def uniform(self, shape, dtype=None, *, out=None):
        """Uniform [0, 1) floats of ``shape``; ``out`` (of that shape and dtype) receives them and is returned.

        On NumPy a C-contiguous float32 ``out`` is filled in place (no fresh array, no copy); elsewhere
        the numbers are drawn as without ``out`` and copied in. The values never depend on ``out``.
        """
        if out is None:
            return self._floats("uniform", shape, dtype)
        if tuple(out.shape) != tuple(shape) or (dtype is not None and out.dtype != dtype):
            raise ValueError(f"out: expected shape {tuple(shape)}, dtype {dtype}; got {tuple(out.shape)}, {out.dtype}")
        if self._kind == "numpy" and isinstance(out, np.ndarray) and out.flags.c_contiguous and out.dtype == np.float32:
            uniform_float32_into(self._gen, out.reshape(-1))
        else:
            out[...] = self._floats("uniform", shape, out.dtype)
        return out

    def normal(self, shape, dtype=None):
        """Standard normal floats of ``shape``."""
        return self._floats("normal", shape, dtype)

    def _floats(self, law, shape, dtype):
        dtype = self.backend.dtype if dtype is None else dtype
        if self._kind == "torch":  # pragma: no cover - torch on a GPU
            import torch

            draw = torch.rand if law == "uniform" else torch.randn
            return draw(shape, generator=self._gen, device=self.backend.device, dtype=dtype)
        np_dtype = np.float32 if _is_float32(dtype) else np.float64
        if law == "uniform" and np_dtype is np.float32 and isinstance(self._gen, np.random.Generator):
            a = np.empty((shape,) if isinstance(shape, numbers.Integral) else tuple(shape), dtype=np.float32)
            uniform_float32_into(self._gen, a.reshape(-1))  # Generator.random's numbers, from its raw words
            return self._finish(a, dtype)
        draw = self._gen.random if law == "uniform" else self._gen.standard_normal
        return self._finish(draw(shape, dtype=np_dtype), dtype)

    def integers(self, high, shape):
        """Integers uniform in ``[0, high)`` (int64)."""
        if self._kind == "torch":  # pragma: no cover - torch on a GPU
            import torch

            return torch.randint(0, high, shape, generator=self._gen, device=self.backend.device)
        a = self._gen.integers(0, high, size=shape)
        if self._kind in ("numpy", "cupy"):
            return a
        return self._finish(a, None)

    def permutation(self, n):
        """A random permutation of ``range(n)`` (int64)."""
        if self._kind in ("numpy", "cupy"):
            return self._gen.permutation(n)
        if self._kind == "torch":  # pragma: no cover - torch on a GPU
            import torch

            return torch.randperm(n, generator=self._gen, device=self.backend.device)
        return self._finish(self._gen.permutation(n), None)

    def bernoulli(self, p):
        """Binary samples with probabilities ``p`` (same dtype as ``p``)."""
        u = self.uniform(tuple(p.shape), dtype=p.dtype)
        return self.xp.astype(u < p, p.dtype)

    def bernoulli_logits(self, logits, *, bias=None, overwrite=False):
        """Binary samples with ``P(1) = sigmoid(logits + bias)``, without forming the sigmoid.

        ``u < 1 / (1 + e^-x)`` is tested as ``u (1 + e^-x) < 1``; an overflow of
        ``e^-x`` to ``inf`` correctly gives 0. ``bias`` (broadcast along the
        last axis) is added in the same pass as the negation. With
        ``overwrite=True`` (NumPy) the work is done in the buffer of
        ``logits``, which saves three allocations of the array's size in the
        Gibbs hot loop.
        """
        xp = self.xp
        if self._kind == "torch-cpu":
            # Same draw and same in-place pass as NumPy, on views of the tensors'
            # host buffers (no copies): torch on the CPU gives NumPy's samples.
            import torch

            as_np = lambda t: t if t is None else t.detach().numpy()  # noqa: E731
            out = self._bernoulli_logits_numpy(as_np(logits), as_np(bias), overwrite)
            return torch.from_numpy(out)
        if self._kind != "numpy":
            if bias is not None:
                logits = logits + bias
            # With e = exp(-|x|) <= 1 nothing overflows: P(1) = 1 / (1 + e) for
            # x >= 0 and e / (1 + e) for x < 0.
            u = self.uniform(tuple(logits.shape), dtype=logits.dtype)
            e = xp.exp(-xp.abs(logits))
            return xp.astype(u * (1.0 + e) < xp.where(logits >= 0, xp.ones_like(e), e), logits.dtype)
        return self._bernoulli_logits_numpy(logits, bias, overwrite)

    def _bernoulli_logits_numpy(self, logits, bias, overwrite):
        """The NumPy path of :meth:`bernoulli_logits` (in place where allowed)."""
        if logits.dtype == np.float32:
            # The 24-bit integers of Generator.random(dtype=float32), read from
            # the raw 64-bit stream two at a time (40% cheaper than random()):
            # u = k / 2^24 and u (1 + e) < 1  <=>  k (1 + e) < 2^24, exactly.
            u, one = self._uint24_as_float32(logits.shape), np.float32(2.0**24)
        else:
            u, one = self._gen.random(logits.shape, dtype=np.float64).astype(logits.dtype, copy=False), 1.0
        out = logits if overwrite else None
        e = np.negative(logits, out=out) if bias is None else np.subtract(-bias, logits, out=out)
        with np.errstate(over="ignore"):  # e^-x = inf, and inf * u, give the right 0
            np.exp(e, out=e)
            e += 1.0
            e *= u
        # Compare into the same float buffer: one pass, no bool temporary.
        return np.less(e, one, out=e, casting="unsafe")

    def _uint24_as_float32(self, shape):
        """Integers uniform in ``[0, 2^24)`` as float32 (NumPy generators only).

        The result lives in a scratch buffer reused for the next call of the
        same shape (fresh large arrays cost page faults in Gibbs loops); use
        it before drawing again.
        """
        n = math.prod(shape)
        bits = self._gen.bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n].reshape(shape)
        bits >>= 8
        out = self._scratch.get(shape)
        if out is None:
            if len(self._scratch) >= 8:
                self._scratch.clear()
            out = self._scratch[shape] = np.empty(shape, dtype=np.float32)
        out[...] = bits
        return out

    def categorical(self, logits, axis=-1):
        """One index per row of ``logits`` (shape (n, k)) by the Gumbel-max trick."""
        from ._math import gumbel_from_uniform

        u = self.uniform(tuple(logits.shape), dtype=logits.dtype)
        return self.xp.argmax(logits + gumbel_from_uniform(u, xp=self.xp), axis=axis)


def _torch_device_type(device) -> str:
    """``"cpu"``, ``"cuda"``, ... of a torch device (or device string)."""
    return getattr(device, "type", str(device).split(":")[0])


def _is_float32(dtype) -> bool:
    # Cheap for NumPy/CuPy dtypes (identity), falls back to the name otherwise.
    return dtype is np.float32 or dtype == np.float32 if isinstance(dtype, (type, np.dtype)) else "float32" in str(dtype)


def make_rng(backend: Backend, random_state=None, *salt) -> BackendRandom:
    """Create the per-call generator of ``backend`` seeded from ``random_state``."""
    return BackendRandom(backend, seed_from(random_state, *salt))


# --------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------


def estimator_to_numpy(estimator):
    """Deep copy of a fitted estimator whose array attributes are NumPy.

    Use it to save, share or inspect a model trained on CuPy, torch or any
    other namespace: the copy pickles anywhere and predicts with NumPy.
    The copy's ``backend`` parameter is reset to ``None`` (follow the input).

    Parameters
    ----------
    estimator : BaseEstimator
        A fitted skneq (or scikit-learn) estimator.

    Returns
    -------
    estimator_np : BaseEstimator
    """
    converted = {}
    for key, value in vars(estimator).items():
        if array_api_compat.is_array_api_obj(value) and not isinstance(value, np.ndarray):
            converted[key] = to_numpy(value)
        elif type(value).__module__.startswith("skneq.") and callable(getattr(value, "to_numpy", None)):
            converted[key] = value.to_numpy()  # skneq's containers of arrays (the RBM's mixture base)
    # Deep-copy everything else without going through the device arrays.
    shallow = copy.copy(estimator)
    for key in converted:
        setattr(shallow, key, None)
    clone = copy.deepcopy(shallow)
    for key, value in converted.items():
        setattr(clone, key, value)
    if "backend" in clone.get_params(deep=False):
        clone.set_params(backend=None)
    return clone
