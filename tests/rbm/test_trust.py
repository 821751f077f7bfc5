"""Answers a user can trust (issue 11, RBM items) and the redesigned surface (issue 10).

Each test names the defect it guards against; every one of them failed on the
code before the redesign (main at 76e33ea).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from threadpoolctl import threadpool_limits

from skneq import RBM
from skneq.rbm import AnnealingWorks, LikelihoodWarning, MAX_SCORE_EXACT_UNITS
from skneq.rbm import _likelihood

from tests.rbm.test_estimator import all_states, brute_force_log_p_visible, make_model


@pytest.fixture(scope="module")
def small_data():
    rng = np.random.default_rng(0)
    return (rng.random((120, 9)) < 0.3).astype(np.float64)


# ----------------------------------------------------------------------------
# Stale cached log Z
# ----------------------------------------------------------------------------
def test_cached_log_partition_follows_beta_and_parameter_edits():
    rbm = make_model(6, 4, scale=1.0)
    V = all_states(6)
    assert rbm.score(V) == pytest.approx(brute_force_log_p_visible(*rbm._parameters())[1].mean(), abs=1e-9)
    rbm.set_params(beta=0.5)  # old code: the beta=1 log Z was reused (keyed on n_updates_ only)
    _, log_p, _ = brute_force_log_p_visible(*rbm._parameters(), beta=0.5)
    np.testing.assert_allclose(rbm.score_samples(V), log_p, atol=1e-9)
    rbm.set_params(beta=1.0)
    rbm.components_ *= 1.5  # an in-place edit keeps the array's identity
    _, log_p, _ = brute_force_log_p_visible(*rbm._parameters())
    np.testing.assert_allclose(rbm.score_samples(V), log_p, atol=1e-9)
    rbm.intercept_hidden_ = rbm.intercept_hidden_ + 1.0
    _, log_p, _ = brute_force_log_p_visible(*rbm._parameters())
    assert rbm.score(V) == pytest.approx(log_p.mean(), abs=1e-9)
    assert rbm.log_partition_interval_ == (rbm.log_partition_, rbm.log_partition_)
    assert rbm.log_partition_method_ == "exact"


# ----------------------------------------------------------------------------
# Frozen Gibbs chains and method streams
# ----------------------------------------------------------------------------
def test_gibbs_in_a_loop_keeps_moving_and_is_reproducible(small_data):
    rbm = RBM(n_components=5, n_iter=2, random_state=0).fit(small_data)
    v = small_data[:50]
    flips = []
    for _ in range(20):
        new = rbm.gibbs(v)
        flips.append(np.mean(new != v))
        v = new
    # Old code: every call rebuilt the generator from random_state, the chain
    # froze after a few calls (0 flips). A chain at this model's equilibrium
    # flips about 2 p (1 - p) ~ 0.3 of its bits per sweep.
    assert min(flips[10:]) > 0.1, flips
    # Explicit seeds are exactly reproducible.
    np.testing.assert_array_equal(rbm.gibbs(small_data, random_state=3), rbm.gibbs(small_data, random_state=3))
    # Successive samples differ; a fit-and-call sequence is reproducible.
    a = RBM(n_components=5, n_iter=2, random_state=0).fit(small_data)
    b = RBM(n_components=5, n_iter=2, random_state=0).fit(small_data)
    s1, s2 = a.sample(30, n_steps=3), a.sample(30, n_steps=3)
    assert not np.array_equal(s1, s2)
    np.testing.assert_array_equal(s1, b.sample(30, n_steps=3))
    np.testing.assert_array_equal(s2, b.sample(30, n_steps=3))
    np.testing.assert_array_equal(a.sample(7, random_state=11), a.sample(7, random_state=11))


# ----------------------------------------------------------------------------
# Monitoring never changes the fit; history_ never depends on verbose
# ----------------------------------------------------------------------------
def test_verbose_does_not_change_fit_or_history(small_data, capsys):
    quiet = RBM(n_components=4, n_iter=3, random_state=0, verbose=0).fit(small_data)
    loud = RBM(n_components=4, n_iter=3, random_state=0, verbose=1).fit(small_data)
    assert "[RBM] Iteration 3, pseudo-likelihood" in capsys.readouterr().out
    # Old code: the pseudo-likelihood bits came from the training stream (~1e-3 apart).
    np.testing.assert_array_equal(quiet.components_, loud.components_)
    np.testing.assert_array_equal(quiet.persistent_chains_, loud.persistent_chains_)
    assert quiet.history_["pseudo_log_likelihood"] == loud.history_["pseudo_log_likelihood"]
    assert set(quiet.history_) == {"epoch", "n_updates", "time", "pseudo_log_likelihood", "log_likelihood", "params"}
    # partial_fit records too, without verbose (old code: only when verbose).
    pf = RBM(n_components=4, random_state=0).partial_fit(small_data[:60]).partial_fit(small_data[60:])
    assert pf.history_["epoch"] == [1, 2] and pf.n_iter_ == 2
    assert pf.history_["n_updates"] == [6, 12] == [6, pf.n_updates_]
    assert all(np.isfinite(pf.history_["pseudo_log_likelihood"]))


# ----------------------------------------------------------------------------
# Unchecked arguments
# ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda r: r.sample(3, beta=float("nan")), "beta"),
        (lambda r: r.sample(2.7), "n_samples"),
        (lambda r: r.sample(2, n_steps=1.5), "n_steps"),
        (lambda r: r.log_partition(beta=-1), "beta"),
        (lambda r: r.log_partition("ais", n_chains=0), "n_chains"),
        (lambda r: r.log_partition("ais", n_betas=2.5), "n_betas"),
        (lambda r: r.log_partition("magic"), "method"),
        (lambda r: r.annealing_works(model_samples=np.full((4, 9), np.nan)), "model_samples"),
        (lambda r: r.annealing_works(model_samples=np.full((4, 9), 0.5)), "model_samples"),
        (lambda r: r.annealing_works(direction="sideways"), "direction"),
        (lambda r: r.annealing_works(base="mean"), "base"),
    ],
)
def test_bad_method_arguments_name_the_argument(small_data, call, name):
    rbm = RBM(n_components=3, n_iter=1, random_state=0).fit(small_data)
    with pytest.raises(ValueError, match=name):
        call(rbm)


@pytest.mark.parametrize("param, value", [("n_components", True), ("n_components", 2.7), ("batch_size", 3.5),
                                          ("n_steps_per_update", False), ("n_chains", True)])
def test_bad_counts_are_refused_not_truncated(small_data, param, value):
    with pytest.raises(ValueError, match=param):
        RBM(**{param: value}, n_iter=1).fit(small_data)


def test_thermodynamics_annealing_rejects_nan_model_samples(small_data):
    from skneq.thermodynamics import annealing_works

    rbm = RBM(n_components=3, n_iter=1, random_state=0).fit(small_data)
    params = tuple(np.asarray(p, dtype=float) for p in rbm._parameters())
    with pytest.raises(ValueError, match="model_samples"):
        annealing_works(params, n_betas=5, n_chains=4, model_samples=np.full((4, 9), np.nan))


# ----------------------------------------------------------------------------
# Sparse input, bounded memory, thread count
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.lil_matrix])
def test_sparse_input_gives_the_numbers_of_dense_input(small_data, container):
    dense = RBM(n_components=4, n_iter=2, random_state=0).fit(small_data)
    sparse = RBM(n_components=4, n_iter=2, random_state=0).fit(container(small_data))
    np.testing.assert_array_equal(sparse.components_, dense.components_)
    np.testing.assert_array_equal(sparse.intercept_visible_, dense.intercept_visible_)
    Xs = container(small_data)
    np.testing.assert_array_equal(sparse.transform(Xs), dense.transform(small_data))
    np.testing.assert_array_equal(sparse.score_samples(Xs), dense.score_samples(small_data))
    np.testing.assert_array_equal(sparse.free_energy(Xs), dense.free_energy(small_data))
    pf = RBM(n_components=4, random_state=0).partial_fit(container(small_data))
    ref = RBM(n_components=4, random_state=0).partial_fit(small_data)
    np.testing.assert_array_equal(pf.components_, ref.components_)


def test_chunked_methods_give_identical_numbers(small_data):
    rbm = RBM(n_components=4, n_iter=2, random_state=0).fit(small_data)
    X = np.tile(small_data, (10, 1))  # 1200 rows: several sampler blocks too
    ref = (rbm.transform(X), rbm.score_samples(X), rbm.free_energy(X), rbm.sample(1500, n_steps=2, random_state=1),
           rbm.gibbs(X, random_state=2))
    with sklearn.config_context(working_memory=1e-4):  # ~26 bytes: one row per chunk
        from skneq._base import row_chunks

        assert len(row_chunks(X.shape[0], 8 * 9)) == X.shape[0]
        got = (rbm.transform(X), rbm.score_samples(X), rbm.free_energy(X), rbm.sample(1500, n_steps=2, random_state=1),
               rbm.gibbs(X, random_state=2))
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)


def test_fit_independent_of_blas_thread_count(mnist_012):
    X, _ = mnist_012
    X = X[:400]
    fits = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            fits.append(RBM(n_components=64, n_iter=2, batch_size=100, random_state=0).fit(X).components_)
    np.testing.assert_array_equal(fits[0], fits[1])


# ----------------------------------------------------------------------------
# Feature names, the protocol, initialisation, counters
# ----------------------------------------------------------------------------
def test_feature_names_pandas_output_and_pipeline(small_data):
    pd = pytest.importorskip("pandas")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    rbm = RBM(n_components=3, n_iter=1, random_state=0).fit(small_data)
    assert list(rbm.get_feature_names_out()) == ["rbm0", "rbm1", "rbm2"]
    out = rbm.set_output(transform="pandas").transform(small_data)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["rbm0", "rbm1", "rbm2"]
    pipe = make_pipeline(FunctionTransformer(feature_names_out="one-to-one"), RBM(n_components=2, n_iter=1))
    pipe.fit(pd.DataFrame(small_data, columns=[f"px{i}" for i in range(9)]))
    assert list(pipe.get_feature_names_out()) == ["rbm0", "rbm1"]


def test_analysis_protocol():
    rbm = make_model(3, 2, scale=1.0)
    W, b, c = rbm._parameters()
    assert W.shape == (2, 3) and b.shape == (3,) and c.shape == (2,)
    P, p = rbm._exact_transition_matrix("symmetric")
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(p @ P, p, atol=1e-12)
    # The Boltzmann distribution of the joint states is stationary (state
    # s = i_v 2^n_h + i_h, bit k of an index is unit k).
    V, H = ([[(i >> k) & 1 for k in range(n)] for i in range(2**n)] for n in (3, 2))
    V, H = np.array(V, dtype=float), np.array(H, dtype=float)
    log_w = np.array([[h @ W @ v + b @ v + c @ h for h in H] for v in V]).ravel()
    p = np.exp(log_w - log_w.max())
    p /= p.sum()
    np.testing.assert_allclose(p @ P, p, atol=1e-12)


def test_visible_bias_init_and_counters(small_data):
    zero = RBM(n_components=3, n_iter=0, visible_bias_init="zero", random_state=0).fit(small_data)
    np.testing.assert_array_equal(zero.intercept_visible_, 0.0)
    mean = RBM(n_components=3, n_iter=0, random_state=0).fit(small_data)
    m = np.clip(small_data.mean(0), 1e-3, 1 - 1e-3)
    np.testing.assert_allclose(mean.intercept_visible_, np.log(m / (1 - m)), rtol=1e-5)
    rbm = RBM(n_components=3, n_iter=3, batch_size=40, random_state=0).fit(small_data)
    assert (rbm.n_iter_, rbm.n_updates_) == (3, 9)
    rbm.partial_fit(small_data[:40])
    assert (rbm.n_iter_, rbm.n_updates_) == (4, 10) and len(rbm.history_["epoch"]) == 4


# ----------------------------------------------------------------------------
# One annealing code path and the log Z interval
# ----------------------------------------------------------------------------
def test_estimator_and_thermodynamics_annealing_are_one_code_path(small_data):
    from skneq.thermodynamics import annealing_works

    rbm = RBM(n_components=3, n_iter=1, random_state=0).fit(small_data)
    a = rbm.annealing_works(n_betas=20, n_chains=8, random_state=4)
    b = annealing_works(rbm, n_betas=20, n_chains=8, random_state=4)
    assert isinstance(a, AnnealingWorks) and isinstance(a.forward, np.ndarray)
    np.testing.assert_array_equal(a.forward, b.forward)
    np.testing.assert_array_equal(a.reverse, b.reverse)
    # Tuples run the same kernel: with the same base model the works agree too.
    params = tuple(np.asarray(p, dtype=float) for p in rbm._parameters())
    c = annealing_works(params, n_betas=20, n_chains=8, base=a.base_bias, random_state=4)
    np.testing.assert_array_equal(a.forward, c.forward)
    assert rbm.log_partition("bennett", n_betas=20, n_chains=8, random_state=4) == a.log_partition("bennett")


def test_log_partition_interval_brackets_exact_value_on_a_large_model(monkeypatch):
    # 25 x 25: too large for score's enumeration limit (MAX_SCORE_EXACT_UNITS
    # = 24, raised from 20 with the blockwise enumeration), small enough for
    # a reference by blockwise enumeration (checked against brute force in
    # test_enumeration.py and test_pt_estimator.py).
    rng = np.random.default_rng(1)
    X = (rng.random((300, 25)) < 0.3).astype(float)
    rbm = RBM(n_components=25, n_iter=3, random_state=0).fit(X)
    assert min(rbm.components_.shape) > MAX_SCORE_EXACT_UNITS and rbm.log_partition_method_ == "bennett"
    exact = rbm.log_partition("exact")
    lo, hi = rbm.log_partition_interval_
    assert min(lo, hi) - 0.05 <= exact <= max(lo, hi) + 0.05 and abs(hi - lo) < 1.0
    assert rbm.log_partition_ == pytest.approx(exact, abs=0.05)
    rbm.components_ = rbm.components_ * 1.0001  # new parameters: recomputed
    monkeypatch.setattr(_likelihood, "LOG_PARTITION_TOL", 0.0)
    with pytest.warns(LikelihoodWarning, match="forward AIS"):
        rbm.score(X[:5])


# ----------------------------------------------------------------------------
# Checkpoints and parameters from elsewhere (issue 16)
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer, momentum", [("sgd", 0.5), ("adam", 0.9)])
def test_checkpoint_resumes_bit_for_bit(tmp_path, small_data, optimizer, momentum):
    kw = dict(n_components=4, batch_size=20, optimizer=optimizer, momentum=momentum, learning_rate=0.01,
              random_state=0)
    rbm = RBM(**kw).partial_fit(small_data[:60])
    rbm.sample(5)  # advances the method-call counter, which is saved too
    path = tmp_path / "rbm.npz"
    rbm.save_checkpoint(path)
    loaded = RBM.load_checkpoint(path)
    for model in (rbm, loaded):
        model.partial_fit(small_data[60:])
    for name in ("components_", "intercept_visible_", "intercept_hidden_", "persistent_chains_",
                 "persistent_hidden_", "hidden_offset_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(rbm, name), err_msg=name)
    assert (loaded.n_iter_, loaded.n_updates_) == (rbm.n_iter_, rbm.n_updates_)
    np.testing.assert_array_equal(loaded.sample(5), rbm.sample(5))
    # Readable without skneq.
    with np.load(path) as f:
        assert str(f["format"]) == "skneq.RBM checkpoint 1" and f["components"].shape == (4, 9)


def test_from_parameters_loads_a_bernoullirbm_and_plain_arrays(small_data):
    from sklearn.neural_network import BernoulliRBM

    sk = BernoulliRBM(n_components=4, n_iter=3, random_state=0).fit(small_data)
    rbm = RBM.from_parameters(sk)
    np.testing.assert_allclose(rbm.transform(small_data), sk.transform(small_data), rtol=1e-5, atol=1e-6)
    V = all_states(9)
    _, log_p, _ = brute_force_log_p_visible(sk.components_, sk.intercept_visible_, sk.intercept_hidden_)
    np.testing.assert_allclose(rbm.score_samples(V), log_p, atol=1e-5)
    # rbms' orientation: weight_matrix of shape (n_visible, n_hidden).
    again = RBM.from_parameters(sk.components_.T, sk.intercept_visible_, sk.intercept_hidden_,
                                orientation="visible_hidden")
    np.testing.assert_array_equal(again.components_, rbm.components_)
    again.partial_fit(small_data)  # and training continues from there
    assert again.n_updates_ == 12
    with pytest.raises(ValueError, match="intercept_visible"):
        RBM.from_parameters(sk.components_, sk.intercept_hidden_, sk.intercept_hidden_)


def test_annealing_schedule_is_a_parameter(small_data):
    from skneq.rbm._annealing import default_betas
    from skneq.thermodynamics import annealing_works

    rbm = RBM(n_components=3, n_iter=1, random_state=0).fit(small_data)
    schedule = default_betas(30, xp=np)
    a = rbm.annealing_works(n_betas=30, n_chains=6, random_state=1)
    b = rbm.annealing_works(schedule=schedule, n_chains=6, random_state=1)
    np.testing.assert_array_equal(a.forward, b.forward)
    # A different path gives different works, and the same answer in the limit of slow annealing.
    c = rbm.annealing_works(schedule=np.linspace(0, 1, 30), n_chains=6, random_state=1)
    assert not np.array_equal(a.forward, c.forward) and c.n_betas == 30
    exact = rbm.log_partition("exact")
    assert rbm.log_partition("bennett", schedule=np.linspace(0, 1, 2000), n_chains=50,
                             random_state=0) == pytest.approx(exact, abs=0.05)
    for bad in ([0.0, 1.0], [0.0, 0.7, 0.5, 1.0], [0.1, 0.5, 1.0], [0.0, np.nan, 1.0]):
        with pytest.raises(ValueError, match="schedule"):
            rbm.log_partition("ais", schedule=bad)
        with pytest.raises(ValueError, match="schedule"):
            annealing_works(tuple(np.asarray(p, dtype=float) for p in rbm._parameters()), schedule=bad)


def test_log_partition_cache_survives_a_move_to_numpy():
    strict = pytest.importorskip("array_api_strict")
    from skneq import estimator_to_numpy

    rng = np.random.default_rng(0)
    X = (rng.random((40, 6)) < 0.4).astype(np.float64)
    rbm = RBM(n_components=3, n_iter=1, backend="array_api_strict", random_state=0).fit(X)
    with sklearn.config_context(array_api_dispatch=True):
        on_device = rbm.score(strict.asarray(X, device=strict.Device("device1")))
    host = estimator_to_numpy(rbm)  # the cache holds device copies; the host model recomputes
    assert host.score(X) == pytest.approx(on_device, abs=1e-9)


def test_fit_resumes_from_a_checkpoint_written_during_it(tmp_path, small_data):
    kw = dict(n_components=4, n_iter=5, batch_size=20, momentum=0.5, checkpoints=[2],
              checkpoint_path=str(tmp_path / "rbm_{epoch}.npz"), random_state=0)
    full = RBM(**kw).fit(small_data)
    resumed = RBM.load_checkpoint(tmp_path / "rbm_2.npz")
    assert resumed.n_iter_ == 2
    resumed.continue_fit(small_data)
    for name in ("components_", "intercept_visible_", "intercept_hidden_", "persistent_chains_",
                 "persistent_hidden_", "hidden_offset_"):
        np.testing.assert_array_equal(getattr(resumed, name), getattr(full, name), err_msg=name)
    assert resumed.history_["epoch"] == full.history_["epoch"] == [1, 2, 3, 4, 5]
    assert resumed.history_["pseudo_log_likelihood"] == full.history_["pseudo_log_likelihood"]
    with pytest.raises(ValueError, match="continue_fit"):
        resumed.continue_fit(small_data)


def test_checkpoint_keeps_feature_names_and_moves_backends(tmp_path, small_data):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("array_api_strict")
    frame = pd.DataFrame(small_data, columns=[f"px{i}" for i in range(9)])
    rbm = RBM(n_components=3, n_iter=1, random_state=0).fit(frame)
    rbm.save_checkpoint(tmp_path / "a.npz")
    back = RBM.load_checkpoint(tmp_path / "a.npz")
    assert list(back.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(back.transform(frame), rbm.transform(frame))
    # Written from one backend, loaded on another: the same model.
    strict = RBM.load_checkpoint(tmp_path / "a.npz", backend="array_api_strict")
    assert not isinstance(strict.components_, np.ndarray)
    np.testing.assert_allclose(strict.transform(frame), rbm.transform(frame), rtol=1e-6)
    with pytest.raises(ValueError, match="checkpoint"):
        np.savez(tmp_path / "b.npz", components=np.zeros((2, 2)))
        RBM.load_checkpoint(tmp_path / "b.npz")
