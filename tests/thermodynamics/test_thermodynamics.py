"""Tests of skneq.thermodynamics against exact enumeration and closed forms.

Every reference answer is computed independently of the code under test:
transition matrices and heat distributions by explicit Python loops over the
states of tiny RBMs, log Z by ``exact_log_partition`` (analytic sum over one
layer), probability currents of hand-written 3-state chains in closed form.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from skneq.rbm import _exact as jc
from skneq.thermodynamics import (
    annealing_works,
    contrastive_divergence_terms,
    crooks_free_energy,
    detailed_balance_violation,
    detailed_balance_violation_matrix,
    exact_heat_distribution,
    exact_model_samples,
    fit_xft_slope,
    heat_exchange,
    rbm_parameters,
    xft_log_ratio,
)

from tests.rbm.models import random_rbm


# --------------------------------------------------------------------------
# Brute-force references (loops over states, no vectorised kernel reused)
# --------------------------------------------------------------------------


def _bits(n):
    # Same ordering as skneq.rbm._kernels.binary_states: bit k of the index is unit k.
    return [np.array([(i >> k) & 1 for k in range(n)], dtype=float) for i in range(2**n)]


def _cond(x_field, state):
    """prod_j p(s_j | field) with p(s_j = 1) = 1 / (1 + exp(-field_j))."""
    p1 = 1.0 / (1.0 + np.exp(-x_field))
    return float(np.prod(np.where(state == 1, p1, 1.0 - p1)))


def brute_force_kernels(W, b, c, beta=1.0):
    """Joint-state matrices of the Gibbs kernels, entry by entry."""
    n_h, n_v = W.shape
    Vs, Hs = _bits(n_v), _bits(n_h)
    states = [(v, h) for v in Vs for h in Hs]  # s = i_v * 2**n_h + i_h
    S = len(states)
    A_h, A_v = np.zeros((S, S)), np.zeros((S, S))
    for i, (v, h) in enumerate(states):
        for j, (v2, h2) in enumerate(states):
            if np.array_equal(v, v2):
                A_h[i, j] = _cond(beta * (W @ v + c), h2)
            if np.array_equal(h, h2):
                A_v[i, j] = _cond(beta * (W.T @ h + b), v2)
    E = np.array([-(h @ W @ v) - b @ v - c @ h for v, h in states])
    p = np.exp(-beta * E)
    p /= p.sum()
    kernels = {
        "hidden_update": A_h,
        "visible_update": A_v,
        "alternating": A_h @ A_v,
        "symmetric": A_h @ A_v @ A_h,
        "random_scan": 0.5 * (A_h + A_v),
    }
    return kernels, p, E


# --------------------------------------------------------------------------
# Exact kernels and detailed balance
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["symmetric", "alternating", "random_scan", "hidden_update", "visible_update"])
def test_joint_transition_matrix_matches_brute_force(xpb, kernel):
    W, b, c = random_rbm(3, 2, seed=0)
    ref, p_ref, _ = brute_force_kernels(W, b, c, beta=0.7)
    P = jc.joint_transition_matrix(*(xpb.asarray(a) for a in (W, b, c)), kernel, 0.7, xp=xpb.xp)
    np.testing.assert_allclose(xpb.to_numpy(P), ref[kernel], atol=1e-13)
    log_p, _ = jc.joint_log_probabilities(*(xpb.asarray(a) for a in (W, b, c)), 0.7, xp=xpb.xp)
    np.testing.assert_allclose(np.exp(xpb.to_numpy(log_p)), p_ref, rtol=1e-12)
    # Every kernel leaves p_beta invariant, reversible or not.
    np.testing.assert_allclose(p_ref @ ref[kernel], p_ref, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_detailed_balance_holds_for_reversible_kernels_and_fails_for_alternating(xpb, seed):
    # The 3 x 2 RBM: reversible kernels balance to round-off (1e-10 is
    # ~1e6 times the float64 round-off of 32 x 32 products); the alternating
    # sweep of Salazar (2017) Sec. 2 violates it by ~1e-2.
    params = tuple(xpb.asarray(a) for a in random_rbm(3, 2, seed))
    for kernel in ("symmetric", "random_scan", "hidden_update", "visible_update", "visible", "hidden"):
        assert detailed_balance_violation(params, kernel) < 1e-10, kernel
    violation = detailed_balance_violation(params, "alternating")
    assert 1e-3 < violation < 0.1
    # The brute-force currents agree with the reported violation.
    ref, p, _ = brute_force_kernels(*random_rbm(3, 2, seed))
    flux = p[:, None] * ref["alternating"]
    assert violation == pytest.approx(np.abs(flux - flux.T).max(), rel=1e-9)


def test_detailed_balance_at_other_temperatures():
    params = random_rbm(2, 3, seed=4)
    assert detailed_balance_violation(params, "symmetric", beta=0.3) < 1e-10
    assert detailed_balance_violation(params, "alternating", beta=2.0) > 1e-3


def cyclic_chain(eps):
    """3-state ring: forward with probability 1 - eps, backward eps; uniform stationary."""
    return np.array([[0.0, 1 - eps, eps], [eps, 0.0, 1 - eps], [1 - eps, eps, 0.0]])


def test_detailed_balance_violation_matrix_closed_form(xpb):
    eps = 0.2
    J = detailed_balance_violation_matrix(xpb.asarray(cyclic_chain(eps)))  # p = stationary (uniform)
    J = xpb.to_numpy(J)
    # J_01 = p_0 P_01 - p_1 P_10 = (1 - eps)/3 - eps/3.
    assert J[0, 1] == pytest.approx((1 - 2 * eps) / 3, abs=1e-14)
    np.testing.assert_allclose(J, -J.T, atol=1e-15)
    # A birth-death chain is reversible with respect to its stationary law.
    P = np.array([[0.5, 0.5, 0.0], [0.25, 0.25, 0.5], [0.0, 0.4, 0.6]])
    assert np.abs(xpb.to_numpy(detailed_balance_violation_matrix(xpb.asarray(P)))).max() < 1e-14


class _ToyNonequilibriumMachine:
    """Stands in for any object exposing an exact transition matrix (e.g. the NMM of Baiesi & Rosso 2025)."""

    def _exact_transition_matrix(self, kernel=None, beta=None):
        return cyclic_chain(0.1), None


def test_detailed_balance_violation_of_matrix_and_object():
    assert detailed_balance_violation(cyclic_chain(0.1)) == pytest.approx(0.8 / 3, abs=1e-14)
    assert detailed_balance_violation(_ToyNonequilibriumMachine()) == pytest.approx(0.8 / 3, abs=1e-14)
    assert detailed_balance_violation(cyclic_chain(0.5)) < 1e-14  # symmetric ring is reversible


def test_nonequilibrium_markov_machine_violates_detailed_balance_and_its_control_does_not():
    from skneq import nmm
    from skneq.thermodynamics import nmm_transition_matrix

    rng = np.random.default_rng(0)
    X = (rng.random((60, 6)) < 0.4).astype(float)
    settings = dict(n_components=3, n_iter=2, n_updates_per_epoch=3, n_estimate_steps=50, n_rb_samples=8,
                    n_bootstrap=0, monitor=False, random_state=0)
    irreversible = nmm.NonequilibriumMarkovMachine(**settings).fit(X)
    control = nmm.NonequilibriumMarkovMachine(reversible=True, **settings).fit(X)
    M = nmm_transition_matrix(irreversible)
    np.testing.assert_allclose(np.asarray(M).sum(axis=1), 1.0, atol=1e-12)
    # Independent recognition weights break detailed balance of the latent
    # chain M (Baiesi & Rosso 2025, arXiv:2512.11415); the tied control is a two-block Gibbs sampler of one
    # joint law, whose marginal chains are reversible to round-off.
    assert detailed_balance_violation(irreversible) > 1e-4
    assert detailed_balance_violation(control) < 1e-12
    assert detailed_balance_violation(control, "visible") < 1e-12


def test_bad_inputs_raise_value_error():
    with pytest.raises(ValueError, match="square"):
        detailed_balance_violation_matrix(np.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match="negative"):
        detailed_balance_violation_matrix(np.array([[1.5, -0.5], [0.5, 0.5]]))
    with pytest.raises(ValueError, match="sum to 1"):
        detailed_balance_violation_matrix(np.array([[0.5, 0.4], [0.5, 0.5]]))
    with pytest.raises(ValueError, match="shape"):
        detailed_balance_violation_matrix(cyclic_chain(0.1), np.ones(2) / 2)
    with pytest.raises(ValueError, match="NaN"):
        detailed_balance_violation_matrix(np.array([[np.nan, 1.0], [0.5, 0.5]]))
    with pytest.raises(ValueError, match="kernel"):
        detailed_balance_violation(random_rbm(3, 2, 0), "metropolis")
    with pytest.raises(ValueError, match="2\\^14"):
        detailed_balance_violation(random_rbm(10, 4, 0))
    with pytest.raises(ValueError, match="shape"):
        rbm_parameters((np.ones((2, 3)), np.ones(2), np.ones(2)))
    with pytest.raises(ValueError, match="NaN"):
        rbm_parameters((np.full((2, 3), np.nan), np.ones(3), np.ones(2)))
    with pytest.raises(ValueError, match="fitted RBM"):
        rbm_parameters("not a model")
    with pytest.raises(ValueError, match="beta"):
        heat_exchange(random_rbm(3, 2, 0), -1.0, 1.0, 10)


def test_sklearn_bernoulli_rbm_is_accepted():
    from sklearn.exceptions import NotFittedError
    from sklearn.neural_network import BernoulliRBM

    with pytest.raises(NotFittedError):
        detailed_balance_violation(BernoulliRBM(n_components=2))
    X = (np.random.default_rng(0).random((40, 4)) < 0.5).astype(float)
    rbm = BernoulliRBM(n_components=3, n_iter=3, random_state=0).fit(X)
    assert detailed_balance_violation(rbm, "symmetric") < 1e-10
    assert detailed_balance_violation(rbm, "alternating") > 0


# --------------------------------------------------------------------------
# Heat exchange fluctuation theorem
# --------------------------------------------------------------------------


def brute_force_heat_distribution(W, b, c, beta_from, beta_to, kernel):
    ker1, p1, E = brute_force_kernels(W, b, c, beta_from)
    ker2, _, _ = brute_force_kernels(W, b, c, beta_to)
    dist = {}
    for i, j in itertools.product(range(E.size), repeat=2):
        q = round(E[j] - E[i], 9)
        dist[q] = dist.get(q, 0.0) + p1[i] * ker2[kernel][i, j]
    return dist


def test_exact_heat_distribution_matches_brute_force(xpb):
    W, b, c = random_rbm(3, 2, seed=5)
    q, prob = exact_heat_distribution(tuple(xpb.asarray(a) for a in (W, b, c)), 1.0, 0.4, kernel="alternating")
    ref = brute_force_heat_distribution(W, b, c, 1.0, 0.4, "alternating")
    assert prob.sum() == pytest.approx(1.0, abs=1e-12)
    got = dict(zip(np.round(q, 9).tolist(), prob.tolist()))
    ref = {k: v for k, v in ref.items() if v > 0}
    assert set(got) == set(ref)
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("kernel", ["symmetric", "random_scan"])
@pytest.mark.parametrize("n_exchange_steps", [1, 3])
def test_exact_xft_identity_for_reversible_kernels(xpb, kernel, n_exchange_steps):
    params = tuple(xpb.asarray(a) for a in random_rbm(3, 2, seed=1))
    for beta_from, beta_to in [(1.0, 0.5), (0.5, 1.5)]:
        q, prob = exact_heat_distribution(params, beta_from, beta_to, kernel=kernel, n_exchange_steps=n_exchange_steps)
        q_pos, log_ratio = xft_log_ratio(q, prob)
        assert q_pos.size > 10
        # Exact identity; 1e-10 leaves room only for float64 round-off.
        np.testing.assert_allclose(log_ratio, (beta_from - beta_to) * q_pos, atol=1e-10)


def test_exact_xft_identity_fails_for_alternating_sweep():
    for seed in range(4):
        q, prob = exact_heat_distribution(random_rbm(3, 2, seed), 1.0, 0.5, kernel="alternating")
        q_pos, log_ratio = xft_log_ratio(q, prob)
        assert np.abs(log_ratio - 0.5 * q_pos).max() > 0.05


def test_sampled_heat_matches_exact_distribution(xpb):
    W, b, c = random_rbm(3, 2, seed=1)
    n = 40_000
    Q = xpb.to_numpy(heat_exchange(tuple(xpb.asarray(a) for a in (W, b, c)), 1.0, 0.5, n, n_steps=20, random_state=3))
    q, prob = exact_heat_distribution((W, b, c), 1.0, 0.5)
    mean, var = float(prob @ q), float(prob @ (q - prob @ q) ** 2)
    # 4 standard errors of the sample mean: a 6e-5 false alarm rate.
    assert abs(Q.mean() - mean) < 4 * math.sqrt(var / n)
    # The most likely heats, count by count (binomial standard errors).
    counts = dict(zip(*np.unique(np.round(Q, 9), return_counts=True)))
    for k in np.argsort(prob)[-5:]:
        observed = counts.get(round(q[k], 9), 0) / n
        assert abs(observed - prob[k]) < 4 * math.sqrt(prob[k] * (1 - prob[k]) / n)


def test_heat_exchange_same_numbers_on_every_backend(xpb):
    # Non-GPU backends draw their random numbers on the host from the same
    # seed, so the chains coincide; a hidden host copy would raise on device1.
    W, b, c = random_rbm(4, 3, seed=2)
    ref = heat_exchange((W, b, c), 1.0, 0.6, 50, n_steps=5, random_state=0)
    got = heat_exchange(tuple(xpb.asarray(a) for a in (W, b, c)), 1.0, 0.6, 50, n_steps=5, random_state=0)
    np.testing.assert_allclose(xpb.to_numpy(got), ref, atol=1e-12)


@pytest.mark.parametrize("kernel", ["symmetric", "random_scan"])
def test_sampled_xft_slope_within_standard_error(kernel):
    W, b, c = random_rbm(3, 2, seed=1)
    Q = heat_exchange((W, b, c), 1.0, 0.5, 60_000, n_steps=20, kernel=kernel, random_state=7)
    fit = fit_xft_slope(Q, bins="unique")
    # 3 standard errors (fixed seed; a 0.3% false alarm rate for a correct law).
    assert abs(fit.slope - 0.5) < 3 * fit.stderr
    assert fit.stderr < 0.02
    # Residuals consistent with counting noise: chi2 within ~5 sd of its dof.
    dof = fit.q.size - 1
    assert fit.chi2 < dof + 5 * math.sqrt(2 * dof)


def test_sampled_xft_slope_binned_on_a_larger_model():
    # 12 x 6 units: thousands of distinct heats, fitted on mirrored bins.
    W, b, c = random_rbm(12, 6, seed=3, scale=0.4)
    Q = heat_exchange((W, b, c), 1.0, 0.7, 60_000, n_steps=30, random_state=0)
    fit = fit_xft_slope(Q, bins=30, min_count=30)
    assert fit.q.size >= 5
    # Binning adds a small curvature bias; 3 standard errors still hold here.
    assert abs(fit.slope - 0.3) < 3 * fit.stderr


def test_fit_xft_slope_bad_input():
    with pytest.raises(ValueError, match="non-empty"):
        fit_xft_slope(np.zeros(0))
    with pytest.raises(ValueError, match="NaN"):
        fit_xft_slope(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="min_count"):
        fit_xft_slope(np.array([1.0, 2.0, -1.0]))
    with pytest.raises(ValueError, match="zero"):
        fit_xft_slope(np.zeros(5), bins=3)


# --------------------------------------------------------------------------
# Annealing works: Jarzynski, reverse AIS, Bennett, Crooks
# --------------------------------------------------------------------------


def exact_log_z(W, b, c, beta=1.0):
    import array_api_compat.numpy as xp

    from skneq.rbm._kernels import exact_log_partition

    return float(exact_log_partition(W, b, c, beta, xp=xp))


def test_exact_model_samples_match_exact_marginals():
    # Both branches: enumerate the hidden layer (6 x 3) and the visible one (3 x 6).
    for n_v, n_h in [(6, 3), (3, 6)]:
        W, b, c = random_rbm(n_v, n_h, seed=8)
        V, H = exact_model_samples((W, b, c), 40_000, random_state=0)
        log_p, _ = jc.joint_log_probabilities(W, b, c, xp=pytest.importorskip("array_api_compat.numpy"))
        p = np.exp(log_p).reshape(2**n_v, 2**n_h)
        mean_v = p.sum(1) @ np.array(_bits(n_v))
        mean_h = p.sum(0) @ np.array(_bits(n_h))
        # 4.5 binomial standard errors on each unit's mean.
        tol = 4.5 * math.sqrt(0.25 / 40_000)
        np.testing.assert_allclose(V.mean(0), mean_v, atol=tol)
        np.testing.assert_allclose(H.mean(0), mean_h, atol=tol)


def test_exact_samples_and_works_same_on_every_backend(xpb):
    # Host-drawn random streams coincide on NumPy and array-api-strict, so the
    # results must too; device1 would raise on any hidden host copy.
    W, b, c = random_rbm(6, 3, seed=9)
    params = tuple(xpb.asarray(a) for a in (W, b, c))
    V_ref, H_ref = exact_model_samples((W, b, c), 64, random_state=0)
    V, H = exact_model_samples(params, 64, random_state=0)
    np.testing.assert_array_equal(xpb.to_numpy(V), V_ref)
    np.testing.assert_array_equal(xpb.to_numpy(H), H_ref)
    ref = annealing_works((W, b, c), n_chains=16, n_betas=20, random_state=0)
    got = annealing_works(params, n_chains=16, n_betas=20, random_state=0)
    np.testing.assert_allclose(got.forward, ref.forward, atol=1e-10)
    np.testing.assert_allclose(got.reverse, ref.reverse, atol=1e-10)


def test_jarzynski_reverse_and_bennett_within_005_nat():
    W, b, c = random_rbm(20, 8, seed=1, scale=0.5)
    works = annealing_works((W, b, c), n_chains=400, n_betas=300, random_state=0)
    log_z = exact_log_z(W, b, c)
    for method in ("jarzynski", "reverse", "bennett"):
        assert works.log_partition(method) == pytest.approx(log_z, abs=0.05), method
    assert works.delta_free_energy("bennett") == pytest.approx(works.log_partition_base - log_z, abs=0.05)


def test_bennett_sharper_than_one_sided_estimates_with_fast_annealing():
    # With 4 temperatures the works are broad (sd ~ 1 nat): over 20 seeds the
    # Bennett estimate's spread is below both one-sided ones, as it combines both.
    W, b, c = random_rbm(20, 8, seed=1, scale=0.5)
    estimates = {"jarzynski": [], "reverse": [], "bennett": []}
    for seed in range(20):
        works = annealing_works((W, b, c), n_chains=60, n_betas=4, random_state=seed)
        for method in estimates:
            estimates[method].append(works.log_partition(method))
    spread = {m: np.std(v) for m, v in estimates.items()}
    assert spread["bennett"] < min(spread["jarzynski"], spread["reverse"])
    assert np.mean(estimates["bennett"]) == pytest.approx(exact_log_z(W, b, c), abs=0.1)


def test_crooks_crossing_at_delta_f():
    W, b, c = random_rbm(20, 8, seed=1, scale=0.5)
    works = annealing_works((W, b, c), n_chains=4000, n_betas=5, random_state=0)
    fit = crooks_free_energy(works)
    delta_f = works.log_partition_base - exact_log_z(W, b, c)
    # Crooks: ln P_F(W)/P_R(-W) = W - dF, so slope 1 and crossing at dF,
    # each within 3 standard errors (plus 0.02 nat of bin-centring bias).
    assert abs(fit.delta_free_energy - delta_f) < 3 * fit.stderr + 0.02
    assert abs(fit.slope - 1.0) < 3 * fit.slope_stderr
    with pytest.raises(ValueError, match="overlap"):
        crooks_free_energy(np.array([5.0, 6.0]), np.array([5.0, 6.0]))


def test_rbm_log_partition_bennett_within_005_nat():
    rbm_module = pytest.importorskip("skneq.rbm")
    X = (np.random.default_rng(0).random((200, 16)) < 0.3).astype(np.float64)
    rbm = rbm_module.RBM(n_components=6, n_iter=5, random_state=0).fit(X)
    log_z = exact_log_z(*(np.asarray(a, dtype=np.float64) for a in
                          (rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_)))
    for method in ("ais", "reverse_ais", "bennett"):
        value = rbm.log_partition(method=method, n_betas=1000, n_chains=100, n_steps=200, random_state=0)
        assert value == pytest.approx(log_z, abs=0.05), method
    # The same works through skneq.thermodynamics (exact reverse samples here).
    works = annealing_works(rbm, n_chains=100, n_betas=1000, random_state=0)
    assert works.log_partition("bennett") == pytest.approx(log_z, abs=0.05)
    assert detailed_balance_violation(rbm, "hidden") < 1e-10


def three_prototype_rbm():
    """A multimodal model (3 prototypes, 3% pixel noise) whose Gibbs chains mix slowly."""
    rbm_module = pytest.importorskip("skneq.rbm")
    rng = np.random.default_rng(7)
    prototypes = (rng.random((3, 64)) < 0.5).astype(float)
    X = np.abs(prototypes[rng.integers(0, 3, 600)] - (rng.random((600, 64)) < 0.03))
    return rbm_module.RBM(n_components=10, n_iter=30, learning_rate=0.05, random_state=0).fit(X)


def test_bennett_with_exact_reverse_samples_on_a_multimodal_model():
    rbm = three_prototype_rbm()
    log_z = rbm.log_partition("exact")
    works = annealing_works(rbm, n_chains=200, n_betas=1000, random_state=1)
    # Exact reverse samples (10 hidden units enumerated) cover all modes.
    assert works.log_partition("bennett") == pytest.approx(log_z, abs=0.05)


def test_rbm_log_partition_bennett_on_a_multimodal_model():
    # Reverse works start from exact samples when one layer has <= 20 units;
    # Gibbs chains from one start missed modes here (Bennett -0.9 nats).
    rbm = three_prototype_rbm()
    log_z = rbm.log_partition("exact")
    value = rbm.log_partition("bennett", n_betas=1000, n_chains=200, n_steps=200, random_state=1)
    assert value == pytest.approx(log_z, abs=0.05)


# --------------------------------------------------------------------------
# Contrastive divergence as a thermodynamic process
# --------------------------------------------------------------------------


def brute_force_cd(kernels, p, W, X, n_steps):
    """KL(p_D||p) - KL(p_n||p) on joint states, from the brute-force kernels."""
    n_v, n_h = W.shape[1], W.shape[0]
    Vs = _bits(n_v)
    p_d_v = np.array([np.mean(np.all(X == v, axis=1)) for v in Vs])
    # p_D(v, h) = p_D(v) p(h | v); CD's chain from it is (v | h) then (h | v).
    A_h, A_v = kernels["hidden_update"], kernels["visible_update"]
    q = np.zeros(2 ** (n_v + n_h))
    q[:: 2**n_h] = p_d_v  # put the mass on h = 0, then draw h | v
    q_d = q @ A_h
    q_n = q_d.copy()
    for _ in range(n_steps):
        q_n = q_n @ A_v @ A_h

    def kl(a):
        m = a > 0
        return float(np.sum(a[m] * np.log(a[m] / p[m])))

    return kl(q_d) - kl(q_n), kl(q_d)


def test_cd_terms_match_brute_force_and_limits(xpb):
    W, b, c = random_rbm(4, 3, seed=6)
    X = (np.random.default_rng(1).random((30, 4)) < 0.35).astype(float)
    params = tuple(xpb.asarray(a) for a in (W, b, c))
    kernels, p, _ = brute_force_kernels(W, b, c)
    previous = -1.0
    for n in (0, 1, 2, 5):
        terms = contrastive_divergence_terms(params, xpb.asarray(X), n)
        ref_cd, ref_kl = brute_force_cd(kernels, p, W, X, n)
        assert terms.cd == pytest.approx(ref_cd, abs=1e-12)
        assert terms.kl_data == pytest.approx(ref_kl, abs=1e-12)
        assert terms.energy_term + terms.entropy_term == pytest.approx(terms.cd, abs=1e-11)
        # A kernel leaving p invariant only brings p_n closer to p: CD_n grows.
        assert terms.cd >= previous - 1e-12
        previous = terms.cd
    assert contrastive_divergence_terms(params, xpb.asarray(X), 0).cd == pytest.approx(0.0, abs=1e-12)
    far = contrastive_divergence_terms(params, xpb.asarray(X), 400)
    assert far.kl_n == pytest.approx(0.0, abs=1e-9)
    assert far.cd == pytest.approx(far.kl_data, abs=1e-9)


def test_cd_terms_reject_bad_data():
    with pytest.raises(ValueError, match="Non-binary"):
        contrastive_divergence_terms(random_rbm(3, 2, 0), np.full((4, 3), 0.5))
    with pytest.raises(ValueError, match="features"):
        contrastive_divergence_terms(random_rbm(3, 2, 0), np.zeros((4, 2)))


# --------------------------------------------------------------------------
# Slow: the seed-004 experiment on MNIST, scaled down
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_xft_slope_on_a_trained_mnist_rbm(mnist_012):
    # Salazar (2017) Sec. 3.3 at reduced scale (784 x 32, 5000 chains): one ensemble
    # equilibrated at beta_1 = 1 serves both bath temperatures.
    from skneq.rbm import RBM

    X, _ = mnist_012
    rbm = RBM(n_components=32, n_iter=5, learning_rate=0.05, random_state=0).fit(X)
    rows = np.random.default_rng(0).integers(0, X.shape[0], 5000)
    V_eq = rbm.sample(5000, n_steps=150, init=X[rows], random_state=1)
    for beta_to in (0.9, 1.1):
        Q = heat_exchange(rbm, 1.0, beta_to, 5000, n_steps=0, init=V_eq, random_state=2)
        fit = fit_xft_slope(Q, bins=30, min_count=20)
        # 3 standard errors (fixed seeds), plus the residual non-equilibrium
        # of 150 sweeps, which the example measures at < 1.5 s.e.
        assert abs(fit.slope - (1.0 - beta_to)) < 3 * fit.stderr
