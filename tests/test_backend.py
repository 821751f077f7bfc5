"""The backend layer: namespace resolution, transfers, random numbers."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import sklearn

from skneq import _backend, _math
from skneq.rbm import _kernels as _gibbs


def test_default_is_numpy_without_dispatch():
    bk = _backend.resolve(np.ones((2, 2)))
    assert bk.is_numpy and bk.device == "cpu"
    assert bk.dtype == np.float32
    assert bk.accurate_dtype() == np.float64


def test_dispatch_follows_input_namespace_and_device():
    strict = pytest.importorskip("array_api_strict")
    X = strict.asarray(np.ones((3, 2)), device=strict.Device("device1"))
    with sklearn.config_context(array_api_dispatch=True):
        bk = _backend.resolve(X)
    assert bk.name == "array_api_strict" and bk.device == strict.Device("device1")
    # Without dispatch, computation is NumPy (scikit-learn's rule).
    assert _backend.resolve(np.ones(2)).is_numpy


def test_explicit_backend_and_unknown_backend():
    pytest.importorskip("array_api_strict")
    assert _backend.resolve(np.ones(2), "array_api_strict").name == "array_api_strict"
    with pytest.raises(ValueError, match="Unknown backend"):
        _backend.resolve(np.ones(2), "fortran")
    # a namespace module is a backend; other objects are refused by name (0
    # used to be taken for a module and fail with AttributeError on .float32)
    assert _backend.namespace_name(_backend.resolve(np.ones(2), np).xp) == "numpy"
    for bad in (0, 2.5, True, object()):
        with pytest.raises(ValueError, match="Unknown backend"):
            _backend.resolve(np.ones(2), bad)


def test_functions_check_backend_even_where_an_estimator_overrides_it():
    from skneq import RBM
    from skneq.thermodynamics import annealing_works, exact_model_samples

    rbm = RBM.from_parameters(np.zeros((2, 3)), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="Unknown backend 'nmupy'"):
        annealing_works(rbm, backend="nmupy")  # the fitted RBM computes on its own backend
    with pytest.raises(ValueError, match="Unknown backend 0"):
        exact_model_samples(rbm, 4, backend=0)
    with pytest.raises(ValueError, match="max_units must be an integer"):
        exact_model_samples(rbm, 4, max_units=2.5)


def test_round_trip_between_namespaces(xpb):
    a = np.arange(6.0).reshape(2, 3)
    on = xpb.asarray(a)
    assert _backend.namespace_name(_backend.namespace_of(on)[0]) == xpb.name
    np.testing.assert_array_equal(_backend.to_numpy(on), a)
    back = _backend.convert_like(on, *_backend.namespace_of(a))
    assert isinstance(back, np.ndarray)


def test_rng_is_reproducible_and_seeded(xpb):
    bk = _backend.Backend(xpb.xp, xpb.device, xpb.xp.float32)
    a = xpb.to_numpy(_backend.make_rng(bk, 42).uniform((5,)))
    b = xpb.to_numpy(_backend.make_rng(bk, 42).uniform((5,)))
    c = xpb.to_numpy(_backend.make_rng(bk, 43).uniform((5,)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # salted streams (partial_fit) differ from each other and are reproducible
    s1 = xpb.to_numpy(_backend.make_rng(bk, 42, 1).uniform((5,)))
    s2 = xpb.to_numpy(_backend.make_rng(bk, 42, 2).uniform((5,)))
    assert not np.array_equal(s1, s2)
    np.testing.assert_array_equal(s1, xpb.to_numpy(_backend.make_rng(bk, 42, 1).uniform((5,))))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bernoulli_samplers_have_the_right_mean(xpb, dtype):
    """Both samplers hit P(1) = sigmoid(x) within 5 standard errors (n = 200001 per value),
    silently for logits whose exp overflows (float32 takes the raw-bits path on NumPy)."""
    dt = getattr(xpb.xp, dtype)
    bk = _backend.Backend(xpb.xp, xpb.device, dt)
    rng = _backend.make_rng(bk, 0)
    logits = np.array([-100.0, -30.0, -2.0, 0.0, 1.5, 30.0, 100.0])
    p = 1 / (1 + np.exp(-logits))
    n = 200_001  # odd number of draws: the raw stream gives two per 64-bit word
    L = xpb.asarray(np.tile(logits, (n, 1)), dtype=dt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from_logits = xpb.to_numpy(rng.bernoulli_logits(L)).mean(axis=0)
        from_overwrite = xpb.to_numpy(rng.bernoulli_logits(L + 0.0, overwrite=True)).mean(axis=0)
        from_probs = xpb.to_numpy(rng.bernoulli(_math.sigmoid(L, xp=xpb.xp))).mean(axis=0)
    tol = 5 * np.sqrt(p * (1 - p) / n) + 1e-12
    for got in (from_logits, from_overwrite, from_probs):
        assert np.all(np.abs(got - p) <= tol), got


def test_float32_uniform_bits_are_uniform():
    """The 24-bit integers behind NumPy's float32 Bernoulli draws: range and moments."""
    bk = _backend.Backend(_backend.resolve().xp, "cpu", np.float32)
    k = _backend.make_rng(bk, 3)._uint24_as_float32((1001, 3)).astype(np.float64)
    assert k.dtype == np.float64 and k.shape == (1001, 3)
    assert k.min() >= 0 and k.max() < 2**24 and np.all(k == np.floor(k))
    u = k.ravel() / 2**24
    # mean 1/2 and variance 1/12 within 5 standard errors of 3003 draws
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / u.size)


def test_categorical_frequencies(xpb):
    bk = _backend.Backend(xpb.xp, xpb.device, xpb.xp.float64)
    rng = _backend.make_rng(bk, 1)
    probs = np.array([0.1, 0.2, 0.7])
    n = 100_000
    logits = xpb.asarray(np.tile(np.log(probs), (n, 1)), dtype=xpb.xp.float64)
    draws = xpb.to_numpy(rng.categorical(logits))
    freq = np.bincount(draws, minlength=3) / n
    assert np.all(np.abs(freq - probs) <= 5 * np.sqrt(probs * (1 - probs) / n))


def test_permutation_is_a_permutation(xpb):
    bk = _backend.Backend(xpb.xp, xpb.device, xpb.xp.float32)
    perm = xpb.to_numpy(_backend.make_rng(bk, 0).permutation(50))
    np.testing.assert_array_equal(np.sort(perm), np.arange(50))


@pytest.mark.filterwarnings("ignore:divide by zero")  # log(0) = -inf for all -inf rows is the answer
def test_stable_math_matches_reference(xpb):
    x = np.array([-800.0, -30.0, -1.0, 0.0, 2.0, 40.0, 800.0])
    X = xpb.asarray(x, dtype=xpb.xp.float64)
    np.testing.assert_allclose(xpb.to_numpy(_math.sigmoid(X, xp=xpb.xp)), 0.5 * (1 + np.tanh(x / 2)), atol=1e-15)
    np.testing.assert_allclose(xpb.to_numpy(_math.softplus(X, xp=xpb.xp)), np.logaddexp(0, x), rtol=1e-14)
    a = np.array([[1000.0, 1000.0], [-np.inf, -np.inf]])
    got = xpb.to_numpy(_math.logsumexp(xpb.asarray(a, dtype=xpb.xp.float64), axis=1, xp=xpb.xp))
    np.testing.assert_allclose(got, [1000.0 + np.log(2.0), -np.inf])


def test_hidden_probabilities_same_on_every_backend(xpb):
    rng = np.random.default_rng(0)
    W, c = rng.standard_normal((5, 7)), rng.standard_normal(5)
    V = (rng.random((9, 7)) < 0.5).astype(float)
    ref = _gibbs.hidden_probabilities(V, W, c, 0.7, xp=_backend.resolve().xp)
    got = _gibbs.hidden_probabilities(*(xpb.asarray(a, dtype=xpb.xp.float64) for a in (V, W, c)), 0.7, xp=xpb.xp)
    np.testing.assert_allclose(xpb.to_numpy(got), ref, rtol=1e-13)


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
def test_estimator_to_numpy_pickles(backend):
    pytest.importorskip(backend, reason=f"{backend} is not importable")
    from skneq import RBM, estimator_to_numpy

    rbm = RBM(n_components=2, n_iter=1, backend=backend, random_state=0).fit(np.eye(4))
    host = estimator_to_numpy(rbm)
    assert isinstance(host.components_, np.ndarray) and host.backend is None
    again = pickle.loads(pickle.dumps(host))
    np.testing.assert_allclose(again.transform(np.eye(4)), rbm.transform(np.eye(4)), rtol=1e-6)


def test_non_numpy_inputs_work_without_scipy_array_api(tmp_path):
    """Estimators with an explicit backend must not depend on SCIPY_ARRAY_API=1."""
    pytest.importorskip("array_api_strict")
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np, array_api_strict as s\n"
        "from skneq import RBM\n"
        "X = s.asarray(np.eye(6), device=s.Device('device1'))\n"
        "rbm = RBM(n_components=2, n_iter=1, backend='array_api_strict', random_state=0).fit(X)\n"
        "print(rbm.transform(X).device)\n"
        "try:\n"
        "    rbm.transform(s.asarray(np.full((2, 6), np.nan), device=s.Device('device1')))\n"
        "except ValueError as e:\n"
        "    print('ValueError', e)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "device1" in out.stdout and "ValueError Input X contains NaN" in out.stdout


def test_torch_inputs_work_without_scipy_array_api():
    """The same with torch tensors (estimator and metric), SCIPY_ARRAY_API unset."""
    pytest.importorskip("torch", reason="torch is not importable")
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np, torch\n"
        "from skneq import RBM\n"
        "from skneq.metrics import aai_error\n"
        "X = torch.asarray(np.eye(6))\n"
        "rbm = RBM(n_components=2, n_iter=1, backend='torch', random_state=0).fit(X)\n"
        "print(type(rbm.transform(X)).__name__, aai_error(X, X + 100.0))\n"
        "try:\n"
        "    rbm.transform(torch.full((2, 6), float('nan')))\n"
        "except ValueError as e:\n"
        "    print('ValueError', e)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Tensor 0.25" in out.stdout and "ValueError Input X contains NaN" in out.stdout


# --------------------------------------------------------------------------
# torch as a second real backend
# --------------------------------------------------------------------------


def test_torch_cpu_draws_the_numpy_stream():
    """On the CPU torch draws from NumPy's generator (shared buffer, no copy):
    the same seed gives the same numbers as NumPy, so a CPU fit is the same
    model on both. A torch.Generator would give a different stream."""
    torch = pytest.importorskip("torch", reason="torch is not importable")
    np_bk = _backend.resolve(None, "numpy", "float32")
    t_bk = _backend.resolve(None, "torch", "float32")
    assert t_bk.name == "torch" and str(t_bk.device) == "cpu"
    a, b = _backend.make_rng(np_bk, 5), _backend.make_rng(t_bk, 5)
    for draw in (lambda r: r.uniform((4, 3)), lambda r: r.normal((6,)), lambda r: r.integers(7, (5,)),
                 lambda r: r.permutation(9)):
        x, y = draw(a), draw(b)
        assert isinstance(y, torch.Tensor)
        np.testing.assert_array_equal(_backend.to_numpy(y), x)
    u = _backend.make_rng(t_bk, 5).uniform((3,), dtype=torch.float64)
    assert u.dtype == torch.float64


def test_estimators_on_torch_tensors_follow_the_input():
    """Tensors in, tensors out (array_api_dispatch and backend="torch"), and the
    same RBM as NumPy for the same seed on the CPU."""
    torch = pytest.importorskip("torch", reason="torch is not importable")
    from skneq import RBM

    rng = np.random.default_rng(0)
    X = (rng.random((30, 8)) < 0.4).astype(np.float32)
    Xt = torch.asarray(X)
    ref = RBM(n_components=3, n_iter=2, batch_size=10, random_state=0).fit(X)
    with sklearn.config_context(array_api_dispatch=True):
        rbm = RBM(n_components=3, n_iter=2, batch_size=10, random_state=0).fit(Xt)
        H = rbm.transform(Xt)
        assert isinstance(rbm.components_, torch.Tensor) and isinstance(H, torch.Tensor)
        assert isinstance(rbm.score(Xt), float)
    np.testing.assert_allclose(_backend.to_numpy(rbm.components_), ref.components_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_backend.to_numpy(H), ref.transform(X), rtol=1e-5, atol=1e-6)
    # An explicit backend: NumPy in, torch inside, NumPy out.
    forced = RBM(n_components=3, n_iter=2, batch_size=10, random_state=0, backend="torch").fit(X)
    assert isinstance(forced.components_, torch.Tensor)
    assert isinstance(forced.transform(X), np.ndarray)
    np.testing.assert_allclose(_backend.to_numpy(forced.components_), ref.components_, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------
# GPU check script (benchmarks/gpu_check.sh): exercised without a GPU
# --------------------------------------------------------------------------


def _gpu_check_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"
    spec = importlib.util.spec_from_file_location("gpu_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_check_dry_run_lists_every_step():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(["bash", str(root / "benchmarks" / "gpu_check.sh"), "--dry-run"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for step in ("pip install", "pytest -m gpu", "784x500", "PCD-100", "512 chains", "300k", "10k x 10k",
                 "RBM log Z 784x500"):
        assert step in out.stdout, step


def test_gpu_check_smoke_writes_its_section(tmp_path, capsys):
    """The GPU steps on NumPy at tiny sizes, written between the markers of a
    copy of the benchmarks page (text around the section kept)."""
    gpu_check = _gpu_check_module()
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nbefore\n\n{gpu_check.START}\nold figures\n{gpu_check.END}\n\nafter\n")
    rc = gpu_check.main(["--smoke", "--only", "device", "rbm", "chaotic", "aai", "--output", str(doc)])
    assert rc == 0, capsys.readouterr().out
    text = doc.read_text()
    assert "old figures" not in text and text.startswith("# Benchmarks\n\nbefore") and text.endswith("after\n")
    for row in ("| rbm | RBM Gibbs sweep", "| rbm | RBM PCD-2 update", "| chaotic |", "| aai | adversarial_accuracy"):
        assert row in text, row
    assert "FAILED" not in text and "--smoke" in text


def test_gpu_check_log_z_step_runs_and_skips_what_would_overrun(monkeypatch):
    """The log-Z step (issue 16's sandwich target on a device), on NumPy at
    the smoke size: score's defaults, then the longer rounds; a round whose
    projected time would take half the budget is recorded as skipped."""
    gpu_check = _gpu_check_module()
    sizes = gpu_check.SIZES["smoke"]
    rows = gpu_check.step_rbm_log_z("numpy", sizes)
    assert len(rows) == 1 + len(sizes["log_z"]["long_sweeps"])
    assert "score's defaults" in rows[0][0] and "refitted base of 20" in rows[0][0]
    assert "10 PT burn-in sweeps" in rows[1][0]
    for _, figure in rows:
        assert "forward" in figure and "Bennett" in figure and ("tests pass" in figure or "tests fail" in figure)
    monkeypatch.setattr(gpu_check, "BUDGET_S", 1e-6)
    rows = gpu_check.step_rbm_log_z("numpy", sizes)
    assert rows[1][1].startswith("skipped: projected")


def test_compute_namespace_prefers_the_device_array():
    strict = pytest.importorskip("array_api_strict")
    import scipy.sparse as sp

    dev = strict.asarray(np.ones((2, 2)), device=strict.Device("device1"))
    for pair in ((np.ones(2), dev), (dev, np.ones(2)), (sp.csr_matrix(np.eye(2)), dev)):
        xp, device = _backend.compute_namespace(*pair)
        assert _backend.namespace_name(xp) == "array_api_strict" and device == strict.Device("device1")
    xp, device = _backend.compute_namespace(np.ones(2), [1, 2])
    assert _backend.namespace_name(xp) == "numpy" and device == "cpu"


@pytest.mark.filterwarnings("ignore:overflow")
def test_native_elementwise_kernels_match_the_reference(xpb):
    """Where a namespace has its own fused kernel (torch, CuPy), it gives the
    reference values, including far tails; elsewhere there is none."""
    native = {name: _backend.native_elementwise(xpb.xp, name) for name in ("sigmoid", "softplus", "logaddexp")}
    if xpb.name in ("numpy", "array_api_strict"):
        assert all(f is None for f in native.values())
        return
    x = np.array([-800.0, -30.0, -1.0, 0.0, 2.0, 40.0, 800.0])
    X = xpb.asarray(x, dtype=xpb.xp.float64)
    np.testing.assert_allclose(xpb.to_numpy(native["sigmoid"](X)), 0.5 * (1 + np.tanh(x / 2)), atol=1e-15)
    np.testing.assert_allclose(xpb.to_numpy(native["softplus"](X)), np.logaddexp(0, x), rtol=1e-14)
    np.testing.assert_allclose(xpb.to_numpy(native["logaddexp"](X, -X)), np.logaddexp(x, -x), rtol=1e-14)


def test_is_numpy_namespace():
    assert _backend.is_numpy_namespace(np) and _backend.is_numpy_namespace(_backend.resolve().xp)
    strict = pytest.importorskip("array_api_strict")
    assert not _backend.is_numpy_namespace(strict)
