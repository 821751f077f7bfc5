"""skneq.set_config / get_config / config_context: the host-thread policy.

The limit is checked where it matters, inside a fit (threadpoolctl's view of
the BLAS pool, torch's intra-op pool), not only in the config dict.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import skneq
from skneq import RBM, config_context, get_config, set_config


@pytest.fixture(autouse=True)
def _restore_config():
    before = get_config()
    yield
    set_config(**before)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return (rng.random((60, 12)) < 0.3).astype(np.float64)


def _blas_threads():
    return sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})


def _spy_update(monkeypatch, probe):
    """Record ``probe()`` at every mini-batch update of RBM (the hot path)."""
    seen = []
    original = RBM._update

    def update(self, *args, **kwargs):
        seen.append(probe())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RBM, "_update", update)
    return seen


def test_default_is_one_thread_and_exported():
    assert get_config() == {"host_threads": 1}
    assert {"set_config", "get_config", "config_context"} <= set(skneq.__all__)
    # get_config hands out a copy
    get_config()["host_threads"] = 7
    assert get_config()["host_threads"] == 1


@pytest.mark.parametrize("bad", [0, -1, -3, 2.0, 1.5, float("nan"), "2", True, [2]])
def test_bad_host_threads_refused_naming_the_argument(bad):
    with pytest.raises(ValueError, match="host_threads"):
        set_config(host_threads=bad)
    with pytest.raises(ValueError, match="host_threads"):
        with config_context(host_threads=bad):
            pass  # pragma: no cover
    assert get_config()["host_threads"] == 1  # nothing half-applied


def test_context_restores_on_exit_and_on_error():
    with config_context(host_threads=3):
        assert get_config()["host_threads"] == 3
        with config_context(host_threads=None):
            assert get_config()["host_threads"] is None
        assert get_config()["host_threads"] == 3
        with config_context():  # nothing given: unchanged
            assert get_config()["host_threads"] == 3
    assert get_config()["host_threads"] == 1
    with pytest.raises(RuntimeError):
        with config_context(host_threads=2):
            raise RuntimeError
    assert get_config()["host_threads"] == 1
    set_config(host_threads=2)
    set_config()  # nothing given: unchanged
    assert get_config()["host_threads"] == 2


def test_config_is_thread_local():
    seen = {}

    def worker():
        seen["start"] = get_config()["host_threads"]
        set_config(host_threads=4)
        seen["after"] = get_config()["host_threads"]

    with config_context(host_threads=2):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        # the other thread started from the defaults, and its change stayed there
        assert seen == {"start": 1, "after": 4}
        assert get_config()["host_threads"] == 2


@pytest.mark.parametrize("host_threads, outer, expected", [
    (1, 2, 1),      # default: capped at one whatever the user set
    (2, 1, 2),      # an int: the pool is set to it
    (None, 3, 3),   # None: the user's setting stands
    (None, 1, 1),
])
def test_blas_limit_seen_inside_a_fit(monkeypatch, data, host_threads, outer, expected):
    seen = _spy_update(monkeypatch, _blas_threads)
    with threadpool_limits(limits=outer, user_api="blas"):
        with config_context(host_threads=host_threads):
            RBM(n_components=3, n_iter=1, batch_size=20, random_state=0).fit(data)
        assert _blas_threads() == [outer]  # restored after the fit
    assert seen and all(s == [expected] for s in seen)


def test_torch_cpu_limit_seen_inside_a_fit(monkeypatch, data):
    torch = pytest.importorskip("torch")
    seen = _spy_update(monkeypatch, torch.get_num_threads)
    before = torch.get_num_threads()
    Xt = torch.asarray(data, dtype=torch.float32)
    with config_context(host_threads=2):
        RBM(n_components=3, n_iter=1, batch_size=20, random_state=0, backend="torch").fit(Xt)
    RBM(n_components=3, n_iter=1, batch_size=20, random_state=0, backend="torch").fit(Xt)
    n = len(seen) // 2
    assert seen[:n] == [2] * n and seen[n:] == [1] * n
    assert torch.get_num_threads() == before


def test_default_fit_bitwise_as_before_on_any_thread_count(data):
    """The default is the old hard-coded policy: one BLAS thread, so the
    user's thread setting cannot change a seeded fit."""
    kw = dict(n_components=5, n_iter=3, batch_size=10, random_state=3)
    fits = []
    for outer in (1, 2):
        with threadpool_limits(limits=outer, user_api="blas"):
            fits.append(RBM(**kw).fit(data))
    # the old code: blas_threads(bk) == host_threads(bk, 1), reproduced by
    # leaving the pools alone under an explicit one-thread limit
    with threadpool_limits(limits=1, user_api="blas"), config_context(host_threads=None):
        fits.append(RBM(**kw).fit(data))
    for other in fits[1:]:
        np.testing.assert_array_equal(fits[0].components_, other.components_)
        np.testing.assert_array_equal(fits[0].persistent_chains_, other.persistent_chains_)
        assert fits[0].history_["pseudo_log_likelihood"] == other.history_["pseudo_log_likelihood"]


def test_two_threads_give_a_valid_model(mnist_012):
    """784 x 64 on MNIST 0-2 (products large enough for OpenBLAS to split):
    a valid model close in quality to the one-thread fit of the same seed."""
    X = mnist_012[0][:600]
    kw = dict(n_components=64, n_iter=2, batch_size=50, learning_rate=0.05, random_state=0)
    one = RBM(**kw).fit(X)
    with config_context(host_threads=2):
        two = RBM(**kw).fit(X)
    assert np.all(np.isfinite(two.components_)) and two.components_.shape == (64, 784)
    assert two.n_iter_ == 2 and all(np.isfinite(two.history_["pseudo_log_likelihood"]))
    H = two.transform(X[:50])
    assert H.shape == (50, 64) and np.all((H >= 0) & (H <= 1))
    # Same seed, same algorithm, another summation order: after two epochs the
    # weights differ by round-off amplified a little (3e-8 of 0.05 measured),
    # far under this bound; a different algorithm or stream would be O(1) off.
    assert np.max(np.abs(two.components_ - one.components_)) < 1e-3 * np.max(np.abs(one.components_))


def test_with_config_reaches_joblib_process_workers():
    # loky workers start from the defaults; with_config carries the caller's settings.
    from joblib import Parallel, delayed

    from skneq._config import with_config

    with skneq.config_context(host_threads=3):
        bare = Parallel(n_jobs=2, backend="loky")(delayed(skneq.get_config)() for _ in range(2))
        carried = Parallel(n_jobs=2, backend="loky")(delayed(with_config(skneq.get_config))() for _ in range(2))
    assert [c["host_threads"] for c in bare] == [1, 1]
    assert [c["host_threads"] for c in carried] == [3, 3]
    assert skneq.get_config()["host_threads"] == 1


def test_fit_independent_runs_passes_the_settings_on(monkeypatch):
    # The study's workers see the caller's host_threads (checked in-process: joblib's
    # threading backend shares nothing thread-local, so it shows the same gap as loky).
    from joblib import parallel_backend

    from skneq.nmm import _study

    seen = []

    def spy(estimator, X, seed):
        seen.append(skneq.get_config()["host_threads"])
        return seed

    monkeypatch.setattr(_study, "_fit_one", spy)
    with parallel_backend("threading"), skneq.config_context(host_threads=2):
        _study.fit_independent_runs(object(), None, n_runs=2, n_jobs=2, random_state=0)
    assert seen == [2, 2]
