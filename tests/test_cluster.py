"""The cluster path: skneq under joblib's Dask backend on a LocalCluster.

Two worker *processes* (no dashboard), so every task and every fitted model
crosses a process boundary by pickling, as on a real cluster. The same seeds
must give the same models as the local joblib path, bit for bit: runs are
seeded up front (``child_seeds``) and a fit never depends on which worker,
thread or process runs it.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold

from skneq import RBM, NonequilibriumMarkovMachine
from skneq.nmm import fit_independent_runs

distributed = pytest.importorskip("distributed", reason="the cluster test needs `distributed` (the test extra)")
joblib = pytest.importorskip("joblib")


def _small_nmm(**extra):
    """A tiny NMM whatever the parameter names (renames to the glossary's names in progress)."""
    names = NonequilibriumMarkovMachine().get_params()
    wanted = {
        ("n_components", "n_latent"): 2,
        ("n_iter", "n_epochs"): 2,
        ("n_updates_per_epoch", "steps_per_epoch"): 3,
        ("n_steps_per_update", "n_chain_steps"): 4,
        ("n_estimate_steps",): 50,
        ("n_rb_samples",): 5,
        ("n_bootstrap",): 0,
    }
    params = {}
    for candidates, value in wanted.items():
        for name in candidates:
            if name in names:
                params[name] = value
                break
    params.update(extra)
    return NonequilibriumMarkovMachine(**params)


@pytest.fixture(scope="module")
def dask_client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client


@pytest.fixture(scope="module")
def binary_data():
    rng = np.random.default_rng(17)
    return (rng.random((40, 6)) < 0.4).astype(np.float64)


def test_fit_independent_runs_same_models_on_cluster(dask_client, binary_data):
    template = _small_nmm()
    local = fit_independent_runs(template, binary_data, 4, n_jobs=1, random_state=1)
    with joblib.parallel_backend("dask"):
        remote = fit_independent_runs(template, binary_data, 4, n_jobs=-1, random_state=1)
    assert len(remote) == len(local) == 4
    # The runs were really fitted in the worker processes, not in this one.
    assert len(dask_client.scheduler_info()["workers"]) == 2
    weights = [np.asarray(m.generative_weights_) for m in local]
    assert not np.array_equal(weights[0], weights[1])  # the 4 seeds differ
    for here, there in zip(local, remote):
        assert isinstance(there.generative_weights_, np.ndarray)  # fitted models travel as NumPy
        for name in ("generative_weights_", "latent_transition_matrix_"):
            np.testing.assert_array_equal(getattr(here, name), getattr(there, name), err_msg=name)


def test_grid_search_same_results_on_cluster(dask_client, binary_data):
    search = GridSearchCV(
        RBM(n_iter=3, batch_size=10, random_state=0),
        {"n_components": [2, 3], "learning_rate": [0.05, 0.1]},
        cv=KFold(2, shuffle=True, random_state=0),
        n_jobs=2,
    )
    local = search.fit(binary_data)
    local_scores = local.cv_results_["split0_test_score"].copy(), local.cv_results_["split1_test_score"].copy()
    local_weights = local.best_estimator_.components_.copy()

    from sklearn.base import clone

    remote = clone(search)
    with joblib.parallel_backend("dask"):
        remote.fit(binary_data)
    np.testing.assert_array_equal(remote.cv_results_["split0_test_score"], local_scores[0])
    np.testing.assert_array_equal(remote.cv_results_["split1_test_score"], local_scores[1])
    assert np.all(np.isfinite(local_scores[0])) and len(set(local_scores[0])) == 4  # 4 distinct models
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.best_estimator_.components_, local_weights)
