"""Parallel tempering and exact mid-size log Z wired into skneq.RBM (issue 16).

* ``sample(method="parallel_tempering")`` against exact enumeration, and on a
  bimodal model where Gibbs chains stay in one mode;
* the ``method="pt"`` training update: its gradient against the exact
  gradient when every rung starts at its exact distribution, the estimator's
  negative-phase chains against enumeration, swap rates in ``history_``,
  checkpoints that resume bit for bit;
* reverse AIS from PT samples (never the persistent training chains);
* exact ``log Z`` by blockwise enumeration in ``log_partition`` and ``score``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import logsumexp

from skneq import RBM, _backend
from skneq.rbm import MAX_EXACT_UNITS, MAX_SCORE_EXACT_UNITS
from skneq.rbm import _kernels as _k
from skneq.rbm._ladder import path_ladder
from skneq.rbm._update import MinibatchUpdate
from tests.rbm.test_estimator import brute_force_log_p_visible, exact_gradient, make_model

N_BIMODAL = 20


def bimodal_rbm(w=6.0, n=N_BIMODAL, **params):
    """One hidden unit that switches every visible on: modes |v| = 0 and |v| = n.

    log p*(v) = -w|v|/2 + softplus(w(|v| - n/2)) depends on |v| only; the
    barrier at |v| = n/2 is about w n / 4 - log C(n, n/2) = 17.9 nats at w = 6,
    n = 20, so a Gibbs chain essentially never crosses it.
    """
    W, b, c = np.full((1, n), w), np.full(n, -w / 2), np.array([-w * n / 2])
    return RBM.from_parameters(W, b, c, visible_mean=np.full(n, 0.5), random_state=0, **params)


def mode_probabilities(rbm):
    """Exact P(|v| > n/2) and P(|v| < n/2) by enumerating |v| (C(n, k) states each)."""
    W, b, c = (np.asarray(p, dtype=float) for p in rbm._parameters())
    n = W.shape[1]
    k = np.arange(n + 1)
    log_w = np.array([math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in k])
    log_w += b[0] * k + np.logaddexp(0, W[0, 0] * k + c[0])
    p = np.exp(log_w - logsumexp(log_w))
    return p[k > n / 2].sum(), p[k < n / 2].sum()


def tv_bound(p, n):
    """E[TV] of n independent draws <= 0.5 sum sqrt(p (1 - p) / n); TV exceeds its
    mean by t with probability at most exp(-2 n t^2) (McDiarmid), t for 1e-6."""
    return 0.5 * np.sqrt(p * (1 - p) / n).sum() + math.sqrt(math.log(1e6) / (2 * n))


def empirical(S):
    codes = S.astype(int) @ (2 ** np.arange(S.shape[1])[::-1])  # the row order of all_states
    return np.bincount(codes, minlength=2 ** S.shape[1]) / S.shape[0]


# ----------------------------------------------------------------------------
# sample(method="parallel_tempering")
# ----------------------------------------------------------------------------
def test_pt_sample_visits_both_modes_where_gibbs_stays_in_one():
    rbm = bimodal_rbm()
    upper_exact, lower_exact = mode_probabilities(rbm)
    # Symmetric under v -> 1 - v; the states with |v| = n/2 hold ~7e-9.
    assert upper_exact == pytest.approx(0.5, abs=1e-6) and lower_exact == pytest.approx(0.5, abs=1e-6)
    start = np.zeros((200, N_BIMODAL))
    gibbs = rbm.sample(200, n_steps=10_000, init=start, random_state=0)
    # 200 chains, each equally likely in either mode at equilibrium: all in the
    # lower mode after 10^4 sweeps means Gibbs never crossed (2^-200 otherwise).
    assert np.all(gibbs.sum(axis=1) < N_BIMODAL / 2)
    n = 1000
    S, info = rbm.sample(n, n_steps=300, method="parallel_tempering", init=start[:1].repeat(n, 0),
                         random_state=0, return_info=True)
    ones = S.sum(axis=1)
    # 1000 independent chains (independent replica sets): a binomial proportion
    # with standard deviation sqrt(0.25 / 1000) = 0.016; 4 sd (false alarm 6e-5).
    assert abs(np.mean(ones > N_BIMODAL / 2) - upper_exact) < 4 * math.sqrt(0.25 / n)
    assert abs(np.mean(ones < N_BIMODAL / 2) - lower_exact) < 4 * math.sqrt(0.25 / n)
    rates = info["swap_acceptance"]
    assert info["method"] == "parallel_tempering" and info["betas"] == path_ladder(10)
    assert rates.shape == (9,) and np.all((rates > 0.2) & (rates <= 1.0)), rates


@pytest.mark.parametrize("base", [None, "uniform"])
def test_pt_sample_matches_exact_distribution_at_the_models_beta(base):
    # beta = 0.7 and a non-uniform base check the ladder's scaling: a sampler of
    # the beta = 1 model fails the same bound (control below).
    rbm = make_model(5, 3, scale=1.5, seed=1, beta=0.7)
    rbm.visible_mean_ = np.array([0.2, 0.9, 0.5, 0.3, 0.6])
    n = 10000
    S, info = rbm.sample(n, n_steps=60, method="parallel_tempering", n_temperatures=4, base=base,
                         random_state=2, return_info=True)
    assert set(np.unique(S)) <= {0.0, 1.0} and info["swap_acceptance"].shape == (3,)
    q = empirical(S)
    _, log_p, _ = brute_force_log_p_visible(*rbm._parameters(), beta=0.7)
    p = np.exp(log_p)
    assert 0.5 * np.abs(q - p).sum() < tv_bound(p, n)
    _, log_p1, _ = brute_force_log_p_visible(*rbm._parameters(), beta=1.0)
    assert 0.5 * np.abs(q - np.exp(log_p1)).sum() > 2 * tv_bound(p, n)


def test_pt_sample_is_reproducible_and_blocks_are_independent_of_grouping():
    rbm = make_model(5, 3, seed=2)
    a = rbm.sample(1500, n_steps=3, method="parallel_tempering", n_temperatures=3, random_state=4)
    b = rbm.sample(1500, n_steps=3, method="parallel_tempering", n_temperatures=3, random_state=4)
    np.testing.assert_array_equal(a, b)
    c = rbm.sample(1500, n_steps=3, method="parallel_tempering", betas=(0.0, 0.5, 1.0), random_state=4)
    assert a.shape == c.shape == (1500, 5)


@pytest.mark.parametrize("method", ["gibbs", "parallel_tempering"])
def test_zero_steps_returns_the_starting_states(method):
    # n_steps=0 is documented as the start of the chain: init itself, else the
    # start distribution, independent units with means visible_mean_ (Gibbs)
    # or sigmoid(b_A) of the base (PT, base="uniform": 1/2).
    rbm = make_model(5, 3, seed=3)
    rbm.visible_mean_ = np.array([0.1, 0.9, 0.5, 0.3, 0.7])
    init = (np.random.default_rng(0).random((7, 5)) < 0.5).astype(float)
    kwargs = dict(method=method, n_temperatures=3, base="uniform") if method != "gibbs" else {}
    np.testing.assert_array_equal(rbm.sample(7, n_steps=0, init=init, **kwargs), init)
    n = 20000
    means = rbm.sample(n, n_steps=0, random_state=1, **kwargs).mean(axis=0)
    expected = rbm.visible_mean_ if method == "gibbs" else np.full(5, 0.5)
    # binomial proportions: sd <= sqrt(0.25 / n) = 0.0035; 5 sd per unit.
    np.testing.assert_allclose(means, expected, rtol=0, atol=5 * math.sqrt(0.25 / n))
    # and one sweep moves them (the model's means differ from the start's)
    moved = rbm.sample(n, n_steps=1, random_state=1, **kwargs).mean(axis=0)
    assert np.abs(moved - expected).max() > 10 * math.sqrt(0.25 / n)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(method="magic"), "method"),
        (dict(method="parallel_tempering", n_temperatures=1), "n_temperatures"),
        (dict(method="parallel_tempering", n_temperatures=2.5), "n_temperatures"),
        (dict(method="parallel_tempering", betas=(0.0, 0.7, 0.5, 1.0)), "betas"),
        (dict(method="parallel_tempering", betas=(0.0, 0.5)), "betas"),
        (dict(method="parallel_tempering", betas=(-0.1, 1.0)), "betas"),
        (dict(method="parallel_tempering", betas=(0.0, float("nan"), 1.0)), "betas"),
        (dict(method="parallel_tempering", base="mean"), "base"),
        (dict(method="parallel_tempering", n_steps=2.5), "n_steps"),
        (dict(return_info="yes"), "return_info"),
        # the PT options are checked for Gibbs too (they were ignored)
        (dict(n_temperatures=1), "n_temperatures"),
        (dict(betas=(0.5, 0.2, 1.0)), "betas"),
        (dict(base="mean"), "base"),
        (dict(method="parallel_tempering", betas=(0.0, 1.0), n_temperatures="x"), "n_temperatures"),
    ],
)
def test_pt_sample_arguments_are_checked(kwargs, name):
    rbm = make_model(4, 2)
    with pytest.raises(ValueError, match=name):
        rbm.sample(3, **kwargs)


def test_pt_sample_and_pt_training_on_array_api_strict_device1():
    """device1 refuses hidden host copies: PT sampling, PT training and the swap
    counters stay on the device (one transfer of the rates at the end)."""
    strict = pytest.importorskip("array_api_strict")
    import sklearn

    dev = strict.Device("device1")
    X = (np.random.default_rng(0).random((40, 6)) < 0.4).astype(np.float64)
    rbm = RBM(n_components=3, n_iter=2, batch_size=10, method="pt", n_temperatures=3, backend="array_api_strict",
              random_state=0)
    with sklearn.config_context(array_api_dispatch=True):
        rbm.fit(strict.asarray(X, device=dev))
        S, info = rbm.sample(7, n_steps=3, method="parallel_tempering", n_temperatures=3, random_state=0,
                             return_info=True)
    assert S.device == dev and tuple(S.shape) == (7, 6) and info["swap_acceptance"].shape == (2,)
    assert rbm.tempering_chains_.device == dev and len(rbm.history_["swap_acceptance"]) == 2
    assert np.all(np.isfinite(_backend.to_numpy(rbm.components_)))


# ----------------------------------------------------------------------------
# Training with a PT negative phase
# ----------------------------------------------------------------------------
def rung_samples(W, b, c, b_A, beta_k, n, rng):
    """Exact samples of p_k(v) ~ exp(-beta_k E(v, h) + (1 - beta_k) b_A.v), summed over h."""
    V, log_p, _ = brute_force_log_p_visible(beta_k * W, beta_k * b + (1 - beta_k) * b_A, beta_k * c)
    return V[rng.choice(len(V), size=n, p=np.exp(log_p))]


@pytest.mark.parametrize("centered", [False, True])
def test_pt_update_gradient_matches_exact_gradient(centered):
    rbm = make_model(6, 3, scale=0.8, seed=4)
    W, b, c = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    X = (np.random.default_rng(1).random((50, 6)) < 0.4).astype(float)
    mu = X.mean(0) if centered else np.zeros(6)
    lam = np.full(3, 0.3) if centered else np.zeros(3)
    b_A = np.log(X.mean(0) / (1 - X.mean(0)))
    betas = path_ladder(4)
    n, gen = 60000, np.random.default_rng(3)
    # Every rung at its exact distribution: the PT sweep keeps the product
    # distribution invariant, so one update's gradient is unbiased.
    replicas = np.stack([rung_samples(W, b, c, b_A, beta_k, n, gen) for beta_k in betas])
    bk = _backend.resolve(None, "numpy", "float64")
    rng = _backend.make_rng(bk, 5)
    update = MinibatchUpdate(replicas[-1], np.zeros((n, 3)), 50, mu, "pt", replicas=replicas, betas=betas,
                             base_bias=b_A)
    got = update(X, W, b, c, lam, rng)[:3]
    ref = exact_gradient(W, b, c, X, mu, lam)
    # Monte-Carlo error of a mean over 60000 samples of terms bounded by 1:
    # ~4e-3 at most (as the PCD test); exact entries are O(0.1).
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, atol=0.01)
    assert max(np.abs(r).max() for r in ref) > 0.05
    assert update.replicas.shape == (4, n, 6) and update.hidden_chains.shape == (n, 3)
    rates = update.counter.rates()
    assert math.isnan(rates[1]) and 0 < rates[0] <= 1  # one sweep: only even pairs proposed


def test_pt_training_chains_follow_the_exact_distribution():
    """The estimator's wiring (ladder, base, beta): after 150 PT sweeps with the
    parameters held (learning rate 1e-9), the model's replicas are exact samples."""
    rbm = make_model(6, 3, scale=2.0, seed=7, beta=0.8)
    rbm = RBM.from_parameters(rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_,
                              visible_mean=np.full(6, 0.3), method="pt", n_temperatures=5, n_chains=4000,
                              n_steps_per_update=150, batch_size=10, learning_rate=1e-9, beta=0.8, random_state=0)
    assert rbm.tempering_chains_.shape == (5, 4000, 6)
    X = (np.random.default_rng(0).random((10, 6)) < 0.5).astype(float)
    rbm.partial_fit(X)
    _, log_p, _ = brute_force_log_p_visible(*rbm._parameters(), beta=0.8)
    p = np.exp(log_p)
    q = empirical(np.asarray(rbm.persistent_chains_))
    assert 0.5 * np.abs(q - p).sum() < tv_bound(p, 4000)
    np.testing.assert_array_equal(rbm.persistent_chains_, rbm.tempering_chains_[-1])
    rates = rbm.history_["swap_acceptance"][-1]
    assert len(rates) == 4 and all(0 < r <= 1 for r in rates)


def test_pt_fit_records_swap_rates_and_resumes_from_checkpoints(tmp_path):
    X = (np.random.default_rng(0).random((120, 9)) < 0.3).astype(float)
    kw = dict(n_components=4, n_iter=4, batch_size=20, method="pt", n_temperatures=4, momentum=0.5,
              random_state=0)
    full = RBM(**kw, checkpoints=[2], checkpoint_path=str(tmp_path / "pt_{epoch}.npz")).fit(X)
    rates = full.history_["swap_acceptance"]
    assert len(rates) == 4 and all(len(r) == 3 and all(0 <= x <= 1 for x in r) for r in rates)
    assert len({len(v) for v in full.history_.values()}) == 1  # equal-length lists
    with np.load(tmp_path / "pt_2.npz") as f:
        assert f["tempering_chains"].shape == (4, 20, 9)
    resumed = RBM.load_checkpoint(tmp_path / "pt_2.npz").continue_fit(X)
    for name in ("components_", "intercept_visible_", "intercept_hidden_", "tempering_chains_",
                 "persistent_chains_", "persistent_hidden_"):
        np.testing.assert_array_equal(getattr(resumed, name), getattr(full, name), err_msg=name)
    assert resumed.history_["swap_acceptance"] == rates
    # partial_fit: the saved replicas of every rung and the counters continue exactly.
    pf = RBM(**kw).partial_fit(X[:60])
    pf.save_checkpoint(tmp_path / "pf.npz")
    loaded = RBM.load_checkpoint(tmp_path / "pf.npz")
    for model in (pf, loaded):
        model.partial_fit(X[60:])
    np.testing.assert_array_equal(loaded.components_, pf.components_)
    np.testing.assert_array_equal(loaded.tempering_chains_, pf.tempering_chains_)
    assert loaded.history_["swap_acceptance"] == pf.history_["swap_acceptance"]
    # Other methods keep their history keys and hold no replicas.
    pcd = RBM(n_components=3, n_iter=1, random_state=0).fit(X)
    assert "swap_acceptance" not in pcd.history_ and not hasattr(pcd, "tempering_chains_")


@pytest.mark.parametrize("value", [1, 2.5, True])
def test_pt_training_refuses_bad_n_temperatures(value):
    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match="n_temperatures"):
        RBM(n_components=2, method="pt", n_temperatures=value, n_iter=1).fit(X)


# ----------------------------------------------------------------------------
# Reverse AIS from PT samples
# ----------------------------------------------------------------------------
def test_reverse_ais_starts_from_pt_not_from_persistent_chains():
    rng = np.random.default_rng(1)
    X = (rng.random((200, 21)) < 0.3).astype(float)
    rbm = RBM(n_components=21, n_iter=2, random_state=0).fit(X)
    assert min(rbm.components_.shape) > MAX_EXACT_UNITS  # no exact samples
    works = rbm.annealing_works("reverse", n_betas=50, n_chains=20, n_steps=5, n_temperatures=4, random_state=0)
    assert works.extra["reverse_start"].startswith("parallel tempering (4 rungs")
    assert len(works.extra["swap_acceptance"]) == 3
    # Chains lagging the model (here: all ones) do not change the estimate.
    rbm.persistent_chains_ = np.ones_like(rbm.persistent_chains_)
    again = rbm.annealing_works("reverse", n_betas=50, n_chains=20, n_steps=5, n_temperatures=4, random_state=0)
    np.testing.assert_array_equal(works.reverse, again.reverse)
    with pytest.raises(ValueError, match="n_temperatures"):
        rbm.log_partition("reverse_ais", n_temperatures=1)


# ----------------------------------------------------------------------------
# Exact log Z by blockwise enumeration
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("n_visible, n_hidden, beta", [
    (9, 4, 1.0), (5, 8, 0.6), (24, 21, 1.0),
    pytest.param(22, 30, 0.9, marks=pytest.mark.slow),  # 2^22 rows of the reference: ~5 s
])
def test_exact_log_partition_matches_the_row_by_row_enumeration(n_visible, n_hidden, beta):
    rbm = make_model(n_visible, n_hidden, scale=0.5, seed=n_hidden, beta=beta)
    W, b, c = (np.asarray(p, dtype=np.float64) for p in rbm._parameters())
    ref = float(_k.exact_log_partition(W, b, c, beta, xp=np, max_units=22))
    assert rbm.log_partition("exact") == pytest.approx(ref, abs=1e-9)
    if min(W.shape) <= MAX_SCORE_EXACT_UNITS:
        assert rbm.log_partition_method_ == "exact" and rbm.log_partition_ == pytest.approx(ref, abs=1e-9)
        assert rbm.log_partition_interval_ == (rbm.log_partition_, rbm.log_partition_)


def test_exact_log_partition_refuses_more_than_30_units():
    rbm = make_model(31, 31, scale=0.1)
    with pytest.raises(ValueError, match="method='bennett'"):
        rbm.log_partition("exact")


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_betas=2), "n_betas"), (dict(n_chains=0), "n_chains"), (dict(n_steps=-1), "n_steps"),
    (dict(n_temperatures=1), "n_temperatures"), (dict(tol=float("nan")), "tol"), (dict(max_rounds=0), "max_rounds"),
    (dict(base="mean"), "base"), (dict(schedule=[0.0, 1.0]), "schedule"), (dict(refit_base=2.5), "refit_base"),
])
def test_exact_log_partition_checks_the_annealing_arguments_it_does_not_use(kwargs, name):
    rbm = make_model(4, 2)
    exact = rbm.log_partition("exact")
    with pytest.raises(ValueError, match=name):
        rbm.log_partition("exact", **kwargs)
    assert rbm.log_partition("exact", n_betas=50, n_chains=3) == exact  # valid ones change nothing


def test_exact_log_partition_checks_a_mixture_base_without_fitting_it(monkeypatch):
    rbm = make_model(4, 2)
    exact = rbm.log_partition("exact")
    with pytest.raises(ValueError, match="base='mixture' needs X"):
        rbm.log_partition("exact", base="mixture")
    with pytest.raises(ValueError, match="features"):
        rbm.log_partition("exact", base="mixture", X=np.zeros((3, 5)))

    def no_fit(*args, **kwargs):
        raise AssertionError("the exact method fitted a mixture it does not use")

    monkeypatch.setattr("skneq.rbm._mixture.fit_bernoulli_mixture", no_fit)
    X = np.random.default_rng(0).integers(0, 2, (20, 4))
    assert rbm.log_partition("exact", base="mixture", X=X) == exact
    with pytest.raises(AssertionError, match="fitted a mixture"):  # the annealing methods do fit it
        rbm.log_partition("ais", base="mixture", X=X, n_betas=10, n_chains=2)


@pytest.mark.slow
def test_exact_log_z_inside_the_ais_sandwich_at_784_x_22(mnist_012):
    """At 784 x 22 (multimodal already, score's exact limit) the AIS sandwich
    from PT-started reverse runs brackets the enumerated log Z."""
    X, _ = mnist_012
    rbm = RBM(n_components=22, n_iter=5, batch_size=20, random_state=0).fit(X)
    assert rbm.log_partition_method_ == "exact"
    exact = rbm.log_partition_
    works = rbm.annealing_works(n_betas=1000, n_chains=100, random_state=0)  # 200 PT sweeps, measured ladder
    lo, hi = works.interval()
    assert works.extra["reverse_start"].startswith("parallel tempering")
    # Forward AIS is low and reverse AIS high only in expectation. Measured on
    # this model with the first (geometric, joint-swap) ladder (seeds 0, 1;
    # errors against the exact value): forward +0.002, +0.045; reverse -0.086,
    # -0.123 after 200 PT sweeps; Bennett +0.036, -0.088. 0.2 nat of slack on
    # either side: the accuracy of PT-started reverse AIS measured in
    # benchmarks/bench_ais.py (rbm_ais_defaults.rst: Bennett within 0.05 of
    # exact at 784 x 22 and 24 with the measured ladder).
    assert lo - 0.2 <= exact <= hi + 0.2, (lo, exact, hi)
    assert abs(hi - lo) < 1.0
    assert works.log_partition("bennett") == pytest.approx(exact, abs=0.2)
