"""Resumable training, thread-count independence and the generation API of
:class:`ChaoticRNNGenerator` (Fournier & Urbani 2024, arXiv:2405.10822).

Resuming and thread counts are compared bit for bit; the generation
options against the kernels run by hand (clamped units against a network
whose units are removed, data-initialised runs against their initial
condition).
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import scipy.sparse
from sklearn import config_context

from skneq import _backend
from skneq.chaotic import ChaoticRNNGenerator
from skneq.chaotic import _kernels as _k

SMALL = dict(n_components=6, batch_size=16, n_steps_per_update=12, learning_rate=0.05, random_state=0)


def _uniform(shape, seed=0):
    return np.random.default_rng(seed).uniform(size=shape)


def _state(model):
    """Every fitted array and counter, as NumPy, for bitwise comparisons."""
    return {k: np.array(v) for k, v in vars(model).items() if k.endswith("_") and not k.startswith("_")
            and k not in ("history_", "training_time_", "validation_floors_")}


def _assert_same_model(a, b):
    sa, sb = _state(a), _state(b)
    assert sa.keys() == sb.keys()
    for key in sa:
        np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)


def _history_without_time(model):
    return {k: v for k, v in model.history_.items() if k != "time"}


# --------------------------------------------------------------------------
# Resuming
# --------------------------------------------------------------------------


@pytest.mark.parametrize("architecture", ["unrestricted", "restricted", "deep"])
def test_pickled_warm_start_continues_one_run_bit_for_bit(architecture):
    # 4 epochs in one fit == 2 epochs, pickle, load, 2 more epochs (warm_start),
    # with the training record and its held-out split included.
    X = _uniform((70, 9))
    params = dict(SMALL, n_components=(5, 3) if architecture == "deep" else 6, eval_every=3,
                  validation_fraction=0.2)
    one_run = ChaoticRNNGenerator(architecture, **params, n_iter=4).fit(X)
    first = ChaoticRNNGenerator(architecture, **params, n_iter=2).fit(X)
    resumed = pickle.loads(pickle.dumps(first))
    resumed.set_params(warm_start=True).fit(X)
    assert (resumed.n_iter_, resumed.n_updates_) == (one_run.n_iter_, one_run.n_updates_) == (4, 16)
    _assert_same_model(resumed, one_run)
    assert _history_without_time(resumed) == _history_without_time(one_run)
    assert resumed.validation_floors_ == one_run.validation_floors_


def test_partial_fit_epochs_equal_one_fit():
    X = _uniform((40, 8), seed=1)
    one_run = ChaoticRNNGenerator(**SMALL, n_iter=3).fit(X)
    chunks = ChaoticRNNGenerator(**SMALL)
    chunks.partial_fit(X)
    chunks = pickle.loads(pickle.dumps(chunks))
    chunks.partial_fit(X)
    chunks.partial_fit(X)
    _assert_same_model(chunks, one_run)
    # warm_start=False starts again from the initial couplings
    again = pickle.loads(pickle.dumps(one_run)).set_params(n_iter=1).fit(X)
    _assert_same_model(again, ChaoticRNNGenerator(**SMALL, n_iter=1).fit(X))


def test_monitoring_never_changes_the_fit(capsys):
    # Monitors draw from their own stream; verbose only prints.
    X = _uniform((40, 8), seed=2)
    quiet = ChaoticRNNGenerator(**SMALL, n_iter=2, eval_every=1).fit(X)
    loud = ChaoticRNNGenerator(**SMALL, n_iter=2, eval_every=1, verbose=1).fit(X)
    assert "epoch 2" in capsys.readouterr().out
    _assert_same_model(quiet, loud)
    assert _history_without_time(quiet) == _history_without_time(loud)
    plain, monitored = ChaoticRNNGenerator(**SMALL), ChaoticRNNGenerator(**SMALL, eval_every=1)
    plain.partial_fit(X)
    monitored.partial_fit(X)
    _assert_same_model(plain, monitored)


def test_same_seed_same_model_with_one_or_two_blas_threads():
    # Training runs under one BLAS thread whatever the caller's limit.
    from threadpoolctl import threadpool_limits

    X = _uniform((64, 30), seed=3)
    params = dict(SMALL, n_components=40, batch_size=32, n_iter=2)
    models = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            model = ChaoticRNNGenerator(**params).fit(X)
            models.append((model, model.sample(50, random_state=0), model.transform(X)))
    _assert_same_model(models[0][0], models[1][0])
    np.testing.assert_array_equal(models[0][1], models[1][1])
    np.testing.assert_array_equal(models[0][2], models[1][2])


def test_sparse_input_gives_the_numbers_of_dense_input():
    X = _uniform((40, 8), seed=4)
    X[X < 0.6] = 0.0
    for make in (scipy.sparse.csr_matrix, scipy.sparse.csc_matrix, scipy.sparse.lil_matrix):
        dense = ChaoticRNNGenerator(**SMALL, n_iter=2).fit(X)
        sparse = ChaoticRNNGenerator(**SMALL, n_iter=2).fit(make(X))
        _assert_same_model(dense, sparse)
        np.testing.assert_array_equal(dense.transform(X), sparse.transform(make(X)))
        np.testing.assert_array_equal(dense.reconstruct(X), sparse.reconstruct(make(X)))
        assert dense.score(X) == sparse.score(make(X))


# --------------------------------------------------------------------------
# Bounded memory: chunks do not change the numbers
# --------------------------------------------------------------------------


def test_sample_and_transform_do_not_depend_on_working_memory():
    X = _uniform((700, 8), seed=5)
    model = ChaoticRNNGenerator(**SMALL, n_iter=1).fit(X[:100])
    reference = (model.sample(700, random_state=1), model.transform(X), model.reconstruct(X))
    with config_context(working_memory=0.01):  # a few hundred rows per chunk: 3 chunks of 256 blocks
        chunked = (model.sample(700, random_state=1), model.transform(X), model.reconstruct(X))
    for a, b in zip(reference, chunked):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_successive_samples_differ_and_explicit_seed_repeats():
    model = ChaoticRNNGenerator(**SMALL, n_iter=1).fit(_uniform((30, 8)))
    first, second = model.sample(5), model.sample(5)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(model.sample(5, random_state=7), model.sample(5, random_state=7))
    # a fit-and-call sequence is reproducible from random_state
    again = ChaoticRNNGenerator(**SMALL, n_iter=1).fit(_uniform((30, 8)))
    np.testing.assert_array_equal(again.sample(5), first)


# --------------------------------------------------------------------------
# init, trajectories, clamping
# --------------------------------------------------------------------------


def _kernel_run(model, initial, n_steps, edges=None, biases=None, record=()):
    fixed, trained, model_biases = model._parameters()
    edges = _k.propagators(fixed, trained, dt=model.dt, tau=model.tau) if edges is None else edges
    biases = model_biases if biases is None else biases
    return _k.free_run(edges, biases, initial, n_steps=n_steps, dt=model.dt, tau=model.tau, record=record, xp=np)


def test_sample_from_given_states_matches_the_kernel_run():
    model = ChaoticRNNGenerator(**SMALL, n_iter=1).fit(_uniform((30, 8)))
    rs = np.random.default_rng(0)
    states = [rs.standard_normal((4, 8)).astype(np.float32), rs.standard_normal((4, 6)).astype(np.float32)]
    phis, (v_path, h_path) = _kernel_run(model, states, 7, record=(0, 1))
    np.testing.assert_array_equal(model.sample(init=states, n_steps=7), (phis[0] + 1) * 0.5)
    visible, hidden = model.sample(init=states, n_steps=7, return_trajectory="both")
    np.testing.assert_array_equal(visible, (v_path + 1) * 0.5)
    np.testing.assert_array_equal(hidden, h_path)
    np.testing.assert_array_equal(model.sample(init=states, n_steps=7, return_trajectory="hidden"), h_path)
    assert hidden.shape == (8, 4, 6) and np.abs(hidden).max() <= 1


def test_data_initialised_runs_start_at_the_data():
    X = _uniform((30, 8), seed=6)
    model = ChaoticRNNGenerator(**SMALL, n_iter=1).fit(X)
    start = model.sample(init=X[:5], n_steps=0)
    np.testing.assert_allclose(start, X[:5], atol=1e-5)  # tanh(atanh(2x - 1)), float32
    path = model.sample(init=X[:5], n_steps=3, return_trajectory="visible")
    np.testing.assert_allclose(path[0], X[:5], atol=1e-5)
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(4, init=X[:5])
    with pytest.raises(ValueError, match="greater than 1"):
        model.sample(init=X[:5] + 1.0)


@pytest.mark.parametrize("architecture, sizes", [("restricted", (8, 6)), ("deep", (8, 5, 3))])
def test_clamped_hidden_units_equal_a_network_without_them(architecture, sizes):
    # phi(0) = 0: units held at h = 0 send no field, so the run equals the run
    # of the network whose clamped units (rows/columns of the propagators,
    # entries of the biases) are deleted, from the same initial states.
    n_components = sizes[1] if len(sizes) == 2 else sizes[1:]
    model = ChaoticRNNGenerator(architecture, **{**SMALL, "n_components": n_components}, n_iter=2).fit(
        _uniform((40, 8), seed=7))
    model = _backend.estimator_to_numpy(model)
    clamped = [1, 4] if architecture == "restricted" else [0, 3, 6]  # deep: units 0, 3 of h1 and 1 of h2
    keep = []
    offset = 0
    for n in sizes[1:]:
        keep.append(np.array([a for a in range(n) if a + offset not in clamped]))
        offset += n
    rs = np.random.default_rng(1)
    states = [rs.standard_normal((6, n)).astype(np.float32) for n in sizes]
    fixed, trained, biases = model._parameters()
    keep_of = [np.arange(sizes[0])] + keep
    edges = [
        (src, dst, K[np.ix_(keep_of[src], keep_of[dst])])
        for src, dst, K in _k.propagators(fixed, trained, dt=model.dt, tau=model.tau)
    ]
    reduced_biases = [b[k] for b, k in zip(biases, keep_of)]
    reduced_states = [s[:, k] for s, k in zip(states, keep_of)]
    phis, (path,) = _kernel_run(model, reduced_states, 15, edges=edges, biases=reduced_biases, record=(0,))
    sample = model.sample(init=states, n_steps=15, clamp_hidden=clamped)
    np.testing.assert_allclose(sample, (phis[0] + 1) * 0.5, rtol=0, atol=1e-6)
    hidden = model.sample(init=states, n_steps=15, clamp_hidden=clamped, return_trajectory="hidden")
    np.testing.assert_array_equal(hidden[:, :, clamped], 0)
    # and clamping does change the samples
    assert np.abs(model.sample(init=states, n_steps=15) - sample).max() > 1e-3
    with pytest.raises(ValueError, match="clamp_hidden"):
        model.sample(2, clamp_hidden=[sum(sizes[1:])])
    # one int is one unit, a repeated index the same unit, any array type
    first = clamped[0]
    one = model.sample(init=states, n_steps=15, clamp_hidden=first)
    np.testing.assert_array_equal(one, model.sample(init=states, n_steps=15, clamp_hidden=[first, first]))
    np.testing.assert_array_equal(one, model.sample(init=states, n_steps=15, clamp_hidden=np.array([first])))
    np.testing.assert_array_equal(one, model.sample(init=states, n_steps=15, clamp_hidden=np.int64(first)))
    np.testing.assert_array_equal(sample, model.sample(init=states, n_steps=15, clamp_hidden=set(clamped)))
    assert np.abs(one - sample).max() > 1e-3
    mask = np.zeros(sum(sizes[1:]), dtype=bool)
    mask[clamped] = True
    with pytest.raises(ValueError, match="boolean mask"):
        model.sample(2, clamp_hidden=mask)
    for bad in (1.5, [True], "1", [first, None]):
        with pytest.raises(ValueError, match="clamp_hidden must be an integer"):
            model.sample(2, clamp_hidden=bad)
    for nested in ([[first]], np.array([[first, first]])):
        with pytest.raises(ValueError, match="1-D sequence"):
            model.sample(2, clamp_hidden=nested)


def test_unrestricted_model_refuses_hidden_options():
    model = ChaoticRNNGenerator("unrestricted", **SMALL, n_iter=1).fit(_uniform((30, 8)))
    with pytest.raises(ValueError, match="hidden"):
        model.sample(2, return_trajectory="hidden")
    with pytest.raises(ValueError, match="clamp_hidden"):
        model.sample(2, clamp_hidden=[0])
    assert not hasattr(model, "get_feature_names_out")
    assert not hasattr(model, "set_output")


def test_unrestricted_trained_coupling_keeps_its_diagonal():
    # Eq. 2 sums over every j (self-couplings included) and eq. 3 updates
    # every pair: after one update from A = 0 the diagonal is
    # k (<xi_i^2>_batch - <phi(v_i(T))^2>_free), which is not zero.
    X = _uniform((16, 8), seed=8)
    model = ChaoticRNNGenerator("unrestricted", **SMALL, n_iter=1).fit(X)
    diagonal = np.diag(model.trained_recurrent_coupling_)
    assert np.all(np.abs(diagonal) > 1e-4)
    assert model.n_updates_ == 1
    # bounded by k <xi_i^2> from above and -k from below
    xi2 = np.mean((2 * X - 1) ** 2, axis=0)
    assert np.all(diagonal <= SMALL["learning_rate"] * xi2 + 1e-7)
    assert np.all(diagonal >= -SMALL["learning_rate"] - 1e-7)


# --------------------------------------------------------------------------
# Transformer API
# --------------------------------------------------------------------------


def test_feature_names_and_pandas_output():
    pd = pytest.importorskip("pandas")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    X = pd.DataFrame(_uniform((30, 8)), columns=[f"pixel{i}" for i in range(8)])
    model = ChaoticRNNGenerator("deep", **{**SMALL, "n_components": (4, 2)}, n_iter=1).fit(X)
    names = model.get_feature_names_out()
    assert list(names) == [f"chaoticrnngenerator{i}" for i in range(6)]
    H = model.set_output(transform="pandas").transform(X)
    assert isinstance(H, pd.DataFrame) and list(H.columns) == list(names)
    pipe = make_pipeline(MinMaxScaler(), ChaoticRNNGenerator(**SMALL, n_iter=1)).fit(X)
    assert list(pipe.get_feature_names_out()) == [f"chaoticrnngenerator{i}" for i in range(6)]


def test_score_is_a_python_float_for_every_architecture():
    X = _uniform((30, 8))
    for architecture in ("unrestricted", "restricted", "deep"):
        model = ChaoticRNNGenerator(architecture, **SMALL, n_iter=1).fit(X)
        score = model.score(X)
        assert type(score) is float and -0.25 <= score <= 0 and math.isfinite(score)


def test_sample_transform_reconstruct_memory_is_bounded_by_working_memory():
    # With working_memory = 64 MiB the helpers budget 16 MiB of temporaries
    # per chunk; everything beyond the output must stay far below what the
    # whole batch needs at once (the code before chunking: 100 MB for sample,
    # 58 MB for transform, 93 MB for reconstruct at 10,000 rows).
    import tracemalloc

    rs = np.random.default_rng(0)
    model = ChaoticRNNGenerator(**{**SMALL, "n_components": 64}, n_iter=1).fit(rs.uniform(size=(50, 784)))
    X = rs.uniform(size=(10_000, 784)).astype(np.float32)
    with config_context(working_memory=64):
        for call in (lambda: model.sample(10_000, n_steps=2, random_state=0), lambda: model.transform(X),
                     lambda: model.reconstruct(X)):
            tracemalloc.start()
            out = call()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert peak - out.nbytes < 28 * 2**20, (peak - out.nbytes) / 2**20
            del out
