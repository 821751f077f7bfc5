"""Sample-quality indices (Fournier & Urbani 2024, appendix B) against direct evaluations.

B1-B3 are compared with literal loops / NumPy formulas; the adversarial
accuracy (B4) with a brute-force double loop over all pairs, on continuous
data (no ties) and on binary data with many duplicates (ties decided by the
strict rule of Yale et al. 2020), and with its known limits.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from skneq.metrics import (
    AdversarialAccuracy,
    aai_error,
    adversarial_accuracy,
    reconstruction_error,
    second_moment_error,
    spectrum_error,
)


def brute_force_aai(D, G, ties="strict"):
    """Literal definition: nearest neighbour in the pool (self excluded); ties strict or 1/2."""
    pool = np.concatenate([D, G])
    labels = np.array([0] * len(D) + [1] * len(G))
    same = []
    for i in range(len(pool)):
        best_same, best_other = np.inf, np.inf
        for j in range(len(pool)):
            if i == j:
                continue
            d = float(np.sum((pool[i] - pool[j]) ** 2))
            if labels[j] == labels[i]:
                best_same = min(best_same, d)
            else:
                best_other = min(best_other, d)
        same.append(1.0 if best_same < best_other else 0.5 if (ties == "half" and best_same == best_other) else 0.0)
    same = np.array(same)
    return same[labels == 0].mean(), same[labels == 1].mean()


# --------------------------------------------------------------------------
# B1 - B3
# --------------------------------------------------------------------------


def test_second_moment_error_matches_loop(xpb):
    rng = np.random.default_rng(0)
    D = rng.normal(size=(40, 6))
    G = rng.normal(size=(25, 6)) @ rng.normal(size=(6, 6))
    C_d, C_g = np.cov(D.T, bias=True), np.cov(G.T, bias=True)
    n_v = D.shape[1]
    expected = sum((C_g[i, j] - C_d[i, j]) ** 2 for i, j in itertools.combinations(range(n_v), 2)) / (n_v * (n_v - 1))
    assert second_moment_error(xpb.asarray(D), xpb.asarray(G)) == pytest.approx(expected, rel=1e-12)
    assert second_moment_error(xpb.asarray(D), xpb.asarray(D)) == 0.0


@pytest.mark.parametrize("shape", [(50, 8), (8, 50)])  # N_s > N_v and N_s < N_v
def test_spectrum_error_matches_svd(xpb, shape):
    rng = np.random.default_rng(1)
    D = (rng.random(shape) < 0.3).astype(float)
    G = rng.random(shape)
    s_d = np.linalg.svd(D, compute_uv=False)
    s_g = np.linalg.svd(G, compute_uv=False)
    expected = np.sum((s_g - s_d) ** 2) / shape[0]
    # Gram-matrix route: absolute error ~ sqrt(eps) * s_max on the smallest values.
    assert spectrum_error(xpb.asarray(D), xpb.asarray(G)) == pytest.approx(expected, rel=1e-9)


def test_spectrum_error_needs_same_n_samples():
    with pytest.raises(ValueError, match="samples"):
        spectrum_error(np.ones((5, 3)), np.ones((6, 3)))


def test_reconstruction_error(xpb):
    rng = np.random.default_rng(2)
    X, R = rng.random((7, 5)), rng.random((7, 5))
    assert reconstruction_error(xpb.asarray(X), xpb.asarray(R)) == pytest.approx(np.mean((X - R) ** 2), rel=1e-13)
    with pytest.raises(ValueError, match="shape"):
        reconstruction_error(X, R[:4])


# --------------------------------------------------------------------------
# B4: adversarial accuracy
# --------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [None, 1, 4])
def test_aai_matches_brute_force_continuous(xpb, chunk_size):
    rng = np.random.default_rng(3)
    D = rng.normal(size=(23, 4))
    G = rng.normal(size=(17, 4)) * 1.3 + 0.4
    expected = brute_force_aai(D, G)
    result = adversarial_accuracy(xpb.asarray(D), xpb.asarray(G), chunk_size=chunk_size)
    assert isinstance(result, AdversarialAccuracy)
    assert result == pytest.approx(expected, abs=0)
    p_dd, p_gg = expected
    assert aai_error(xpb.asarray(D), xpb.asarray(G)) == pytest.approx(0.5 * ((p_gg - 0.5) ** 2 + (p_dd - 0.5) ** 2))


@pytest.mark.parametrize("encoding", ["01", "spins", "float"])
def test_aai_matches_brute_force_binary_with_ties(xpb, encoding):
    """4 binary features: 16 patterns for 60 samples, so duplicates and ties abound."""
    rng = np.random.default_rng(4)
    D = (rng.random((35, 4)) < 0.5).astype(np.float64)
    G = (rng.random((25, 4)) < 0.3).astype(np.float64)
    if encoding == "spins":
        D, G = 2 * D - 1, 2 * G - 1
    elif encoding == "float":  # not integer-valued: the float64 path
        D, G = D * 0.3, G * 0.3
    expected = brute_force_aai(D, G)
    assert adversarial_accuracy(xpb.asarray(D), xpb.asarray(G), chunk_size=7) == pytest.approx(expected, abs=0)
    expected_half = brute_force_aai(D, G, ties="half")
    assert expected_half[0] > expected[0]  # the data really has ties
    assert adversarial_accuracy(xpb.asarray(D), xpb.asarray(G), ties="half") == pytest.approx(expected_half, abs=0)
    # Same result from integer and float32 inputs.
    if encoding != "float":
        D_int = xpb.asarray(D.astype(np.int64))
        assert adversarial_accuracy(D_int, xpb.asarray(G.astype(np.float32))) == pytest.approx(expected, abs=0)


def test_aai_limits():
    rng = np.random.default_rng(5)
    D = rng.normal(size=(1000, 3))
    G = rng.normal(size=(1000, 3))
    # Same distribution: the labels are exchangeable, so E[p] = 999 / 1999;
    # the binomial standard deviation is 0.016, inflated a little by the
    # dependence between neighbours; 0.06 is about 3.5 sd.
    p_dd, p_gg = adversarial_accuracy(D, G)
    assert abs(p_dd - 0.5) < 0.06 and abs(p_gg - 0.5) < 0.06
    assert aai_error(D, G) < 0.5 * 0.06**2 * 2
    # Far apart: every nearest neighbour is in the own set.
    assert adversarial_accuracy(D, G + 100.0) == (1.0, 1.0)
    assert aai_error(D, G + 100.0) == 0.25
    # A memorised copy: every sample's twin (distance 0) is in the other set.
    assert adversarial_accuracy(D, D.copy()) == (0.0, 0.0)
    assert aai_error(D, D.copy()) == 0.25
    # Not a tie: the twin is at 0, the nearest same-set sample further away.
    assert adversarial_accuracy(D, D.copy(), ties="half") == (0.0, 0.0)
    # Duplicated data on both sides: all ties (0 both ways), 1/2 each under half ties.
    D2 = np.concatenate([D, D])
    assert adversarial_accuracy(D2, D2.copy()) == (0.0, 0.0)
    assert adversarial_accuracy(D2, D2.copy(), ties="half") == (0.5, 0.5)


def test_aai_mnist_split(mnist_012):
    """Real binary images: a random split is mixed, independent-pixel noise is not."""
    X = np.asarray(mnist_012[0] if isinstance(mnist_012, tuple) else mnist_012, dtype=np.float64)
    rng = np.random.default_rng(6)
    order = rng.permutation(len(X))
    half = len(X) // 2
    A, B = X[order[:half]], X[order[half : 2 * half]]
    # Exchangeable split: mean (half - 1) / (2 half - 1); sd 0.018 for 750
    # samples; 0.07 is about 4 sd.
    p_dd, p_gg = adversarial_accuracy(A, B)
    assert abs(p_dd - 0.5) < 0.07 and abs(p_gg - 0.5) < 0.07
    # Independent pixels with the right marginals look nothing like digits.
    noise = (rng.random(B.shape) < A.mean(axis=0)).astype(np.float64)
    assert aai_error(A, noise) > 0.1


def test_aai_mixed_namespaces():
    """NumPy data vs device samples: computed on the device (no host copy of B)."""
    strict = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(7)
    D, G = rng.normal(size=(12, 3)), rng.normal(size=(9, 3))
    G_dev = strict.asarray(G, device=strict.Device("device1"))
    assert adversarial_accuracy(D, G_dev) == pytest.approx(brute_force_aai(D, G), abs=0)
    assert second_moment_error(D, G_dev) == pytest.approx(second_moment_error(D, G), rel=1e-12)


@pytest.mark.parametrize(
    "func, args, match",
    [
        (adversarial_accuracy, (np.ones((5, 3)), np.ones((5, 4))), "features"),
        (adversarial_accuracy, (np.ones((1, 3)), np.ones((5, 3))), "at least 2"),
        (adversarial_accuracy, (np.full((3, 2), np.nan), np.ones((5, 2))), "NaN"),
        (aai_error, (np.ones((3, 2)), np.full((3, 2), np.inf)), "infinity"),
        (second_moment_error, (np.ones((5, 1)), np.ones((5, 1))), "2 features"),
        (second_moment_error, (np.ones(5), np.ones(5)), "2D"),
        (reconstruction_error, (np.ones((0, 2)), np.ones((0, 2))), "0 sample"),
        (second_moment_error, (np.ones((5, 2)), 1.0), "got the scalar 1.0"),
    ],
)
def test_sample_metrics_reject_bad_input(func, args, match):
    with pytest.raises(ValueError, match=match):
        func(*args)


@pytest.mark.parametrize("chunk_size", [0, -3, 2.5])
def test_bad_chunk_size(chunk_size):
    with pytest.raises(ValueError, match="chunk_size"):
        adversarial_accuracy(np.ones((3, 2)), np.zeros((3, 2)), chunk_size=chunk_size)


def test_bad_ties():
    with pytest.raises(ValueError, match="ties"):
        aai_error(np.ones((3, 2)), np.zeros((3, 2)), ties="random")


def test_device_arrays_without_scipy_array_api():
    """Estimators call the metrics with device arrays even when the user never
    set SCIPY_ARRAY_API=1 (which scikit-learn's array API dispatch requires):
    the metrics must validate and compute without it."""
    import os
    import subprocess
    import sys

    pytest.importorskip("array_api_strict")
    code = """
import numpy as np, array_api_strict as xp
from skneq.metrics import aai_error, second_moment_error, transition_matrix, entropy_production_rate
dev = xp.Device("device1")
D = xp.asarray(np.random.default_rng(0).random((20, 3)), device=dev)
assert abs(aai_error(D, D + 100.0) - 0.25) < 1e-15
assert second_moment_error(D, D) == 0.0
M = transition_matrix(xp.asarray([0, 1, 2, 0, 1, 2, 0], device=dev), pseudocount=1.0)
assert entropy_production_rate(M) > 0
bad = xp.asarray([[float("nan"), 1.0], [0.0, 1.0]], device=dev)
try:
    aai_error(bad, bad)
except ValueError as exc:
    assert "NaN" in str(exc)
else:
    raise AssertionError("NaN accepted")
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# --------------------------------------------------------------------------
# Issue 11: offsets, sparse input, bounded memory, argument checks
# --------------------------------------------------------------------------


def test_aai_unchanged_by_a_common_offset(xpb):
    """Distances do not depend on a common offset. The |a|^2 + |b|^2 - 2ab
    expansion of uncentred data at +1e8 lost every digit (0.23, 0.20 instead
    of 0.54, 0.51 here); the pooled data are now centred first."""
    rng = np.random.default_rng(0)
    D, G = rng.normal(size=(300, 5)), rng.normal(size=(300, 5)) + 0.3
    expected = adversarial_accuracy(D, G)
    assert expected == pytest.approx(brute_force_aai(D[:60], G[:60]), abs=1) and expected == (0.54, 0.51)
    assert adversarial_accuracy(xpb.asarray(D + 1e8), xpb.asarray(G + 1e8)) == expected
    assert adversarial_accuracy(xpb.asarray(D - 3e7), xpb.asarray(G - 3e7), chunk_size=64) == expected


def test_aai_offset_binary_data_stay_exact(xpb):
    """Integer-valued data are shifted by an integer: still exact, ties included."""
    rng = np.random.default_rng(4)
    D = (rng.random((35, 4)) < 0.5).astype(np.float64)
    G = (rng.random((25, 4)) < 0.3).astype(np.float64)
    for ties in ("strict", "half"):
        expected = brute_force_aai(D, G, ties=ties)
        got = adversarial_accuracy(xpb.asarray(D + 1e8), xpb.asarray(G + 1e8), ties=ties, chunk_size=6)
        assert got == pytest.approx(expected, abs=0)


SPARSE_FORMATS = ["csr", "csc", "lil"]


def _sparse_pair(fmt, shape=(40, 9), seed=8):
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    D = (rng.random(shape) < 0.2) * rng.integers(1, 3, shape).astype(np.float64)
    G = (rng.random(shape) < 0.3).astype(np.float64)
    return D, G, sp.csr_matrix(D).asformat(fmt), sp.csr_matrix(G).asformat(fmt)


@pytest.mark.parametrize("fmt", SPARSE_FORMATS)
def test_sample_metrics_accept_sparse_input(fmt):
    """CSR, CSC and LIL give the numbers of the dense arrays (BernoulliRBM takes sparse X too)."""
    D, G, Ds, Gs = _sparse_pair(fmt)
    assert adversarial_accuracy(Ds, Gs, chunk_size=7) == pytest.approx(brute_force_aai(D, G), abs=0)
    assert adversarial_accuracy(Ds, G, ties="half") == adversarial_accuracy(D, G, ties="half")
    assert aai_error(Ds, Gs) == aai_error(D, G)
    assert second_moment_error(Ds, Gs) == pytest.approx(second_moment_error(D, G), rel=1e-12)
    assert spectrum_error(Ds, Gs) == pytest.approx(spectrum_error(D, G), rel=1e-9)
    wide = _sparse_pair(fmt, shape=(6, 15))  # N_s < N_v: the other Gram matrix
    assert spectrum_error(wide[2], wide[3]) == pytest.approx(spectrum_error(wide[0], wide[1]), rel=1e-9)
    assert reconstruction_error(Ds, Gs) == pytest.approx(np.mean((D - G) ** 2), rel=1e-13)


def test_sparse_input_with_a_device_array():
    """Sparse data against device samples: computed on the device, one block at a time."""
    strict = pytest.importorskip("array_api_strict")
    D, G, Ds, _ = _sparse_pair("csr")
    G_dev = strict.asarray(G, device=strict.Device("device1"))
    assert adversarial_accuracy(Ds, G_dev) == pytest.approx(brute_force_aai(D, G), abs=0)
    assert second_moment_error(Ds, G_dev) == pytest.approx(second_moment_error(D, G), rel=1e-12)


def test_sparse_nan_is_refused():
    import scipy.sparse as sp

    bad = sp.csr_matrix(np.array([[np.nan, 1.0], [0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="X_data"):
        adversarial_accuracy(bad, np.ones((3, 2)))


def test_sample_metrics_memory_is_bounded_by_working_memory():
    """Sparse inputs are never densified whole and no full distance matrix is
    formed: with working_memory = 8 MiB the metrics stay below a quarter of
    ONE dense copy of one input (200 x 8,000 float64 = 12.2 MB). The NumPy
    allocations are traced (sparse.toarray included); second_moment_error is
    left out, its N_v x N_v covariances are its output."""
    import tracemalloc

    import scipy.sparse as sp
    import sklearn

    rng = np.random.default_rng(9)
    D, G = (sp.random(200, 8000, density=0.01, format="csr", random_state=rng, data_rvs=np.ones) for _ in range(2))
    dense_mb = 200 * 8000 * 8 / 2**20
    with sklearn.config_context(working_memory=8):
        for func in (adversarial_accuracy, reconstruction_error, spectrum_error):
            tracemalloc.start()
            func(D, G)
            peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            assert peak_mb < dense_mb / 4, (func.__name__, peak_mb)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(chunk_size=True), "chunk_size"),  # a bool is not a count
        (dict(chunk_size=np.float64(2.5)), "chunk_size"),
        (dict(chunk_size="4"), "chunk_size"),
        (dict(ties=None), "ties"),
        (dict(ties="HALF"), "ties"),
    ],
)
def test_aai_argument_checks_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        adversarial_accuracy(np.ones((3, 2)), np.zeros((3, 2)), **kwargs)
