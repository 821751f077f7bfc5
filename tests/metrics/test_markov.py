"""Markov-chain observables (Baiesi & Rosso 2025, eqs. 21-24) against closed forms.

Reference chains:

* the biased ring on n states: stay with probability r, step +1 with p, -1
  with q. It is doubly stochastic (uniform stationary distribution), its
  entropy production is ``(p - q) ln(p / q)`` (n edges, each carrying the
  current (p - q) / n and affinity ln(p / q)), and its eigenvalues are
  ``r + p w^k + q w^-k`` with ``w = exp(2 pi i / n)`` (circulant matrix);
* a Metropolis chain, reversible by construction (sigma = 0, no currents,
  Boltzmann stationary distribution).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from skneq.metrics import (
    class_distribution_kl,
    decorrelation_time,
    entropy_production_rate,
    mean_self_transition,
    probability_currents,
    state_distribution,
    stationary_distribution,
    transition_matrix,
)
from skneq import _backend


def ring(n, p, q, r):
    M = np.zeros((n, n))
    for i in range(n):
        M[i, i] += r
        M[i, (i + 1) % n] += p
        M[i, (i - 1) % n] += q
    return M


def ring_sigma(p, q):
    return (p - q) * math.log(p / q)


def ring_trajectory(n, p, q, r, n_steps, seed):
    """Exact simulation of the ring: positions are cumulative sums of iid steps."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([0, 1, -1], p=[r, p, q], size=n_steps)
    return np.cumsum(steps) % n


def metropolis(energies):
    """Uniform proposal + Metropolis acceptance: detailed balance w.r.t. exp(-E)."""
    L = len(energies)
    M = np.zeros((L, L))
    for i in range(L):
        for j in range(L):
            if i != j:
                M[i, j] = min(1.0, math.exp(-(energies[j] - energies[i]))) / (L - 1)
        M[i, i] = 1.0 - M[i].sum()
    return M


def same_namespace(result, xpb):
    xp, _ = _backend.namespace_of(result)
    return _backend.namespace_name(xp) == _backend.namespace_name(xpb.xp)


# --------------------------------------------------------------------------
# Entropy production, currents, stationary distribution
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 5])
@pytest.mark.parametrize("p, q, r", [(0.6, 0.3, 0.1), (0.9, 0.05, 0.05), (0.45, 0.45, 0.1)])
def test_ring_entropy_production_closed_form(xpb, n, p, q, r):
    M = xpb.asarray(ring(n, p, q, r))
    assert entropy_production_rate(M) == pytest.approx(ring_sigma(p, q), rel=1e-12, abs=1e-15)
    pi = stationary_distribution(M)
    assert same_namespace(pi, xpb)
    np.testing.assert_allclose(xpb.to_numpy(pi), np.full(n, 1.0 / n), atol=1e-14)
    J = xpb.to_numpy(probability_currents(M))
    # Current (p - q) / n along every edge i -> i + 1.
    for i in range(n):
        assert J[i, (i + 1) % n] == pytest.approx((p - q) / n, abs=1e-14)
    np.testing.assert_allclose(J, -J.T, atol=0)


def test_metropolis_chain_is_reversible(xpb):
    energies = np.random.default_rng(1).normal(size=6) * 2.0
    M = xpb.asarray(metropolis(energies))
    boltzmann = np.exp(-energies) / np.exp(-energies).sum()
    np.testing.assert_allclose(xpb.to_numpy(stationary_distribution(M)), boltzmann, rtol=1e-12)
    # Round-off only: flows agree to ~1e-17, the log ratios to ~1e-15.
    assert abs(entropy_production_rate(M)) < 1e-13
    assert np.max(np.abs(xpb.to_numpy(probability_currents(M)))) < 1e-15
    # A non-stationary p breaks the balance: sigma must become positive.
    assert entropy_production_rate(M, p=np.full(6, 1 / 6)) > 1e-3


def test_trajectory_estimate_converges():
    """sigma from estimated M approaches the exact value at rate 1/sqrt(T).

    Over 20 seeds the estimator's standard deviation is 1.16 / sqrt(T) for
    this ring (measured at T = 2e4 and 2e5); the bound is 4 standard deviations.
    """
    n, p, q, r = 3, 0.6, 0.3, 0.1
    exact = ring_sigma(p, q)
    for n_steps in (2_000, 20_000, 200_000):
        traj = ring_trajectory(n, p, q, r, n_steps, seed=0)
        M_hat = transition_matrix(traj)
        for estimate in (entropy_production_rate(M_hat), entropy_production_rate(M_hat, state_distribution(traj))):
            assert abs(estimate - exact) < 4 * 1.16 / math.sqrt(n_steps)


def test_perfect_cycle_is_infinite_and_pseudocount_closed_form(xpb):
    """0 -> 1 -> 2 -> 0: one-way transitions give inf, never ~0 (dropped pairs)."""
    k = 50
    traj = xpb.asarray(np.arange(3 * k + 1) % 3)  # each transition i -> i+1 seen k times
    M = transition_matrix(traj)
    np.testing.assert_array_equal(xpb.to_numpy(M), ring(3, 1.0, 0.0, 0.0))
    assert entropy_production_rate(M) == math.inf
    assert decorrelation_time(M) == math.inf  # period 3: |lambda_2| = 1
    previous = 0.0
    for c in (1.0, 0.1, 0.01):
        # With pseudocount c the estimate is a ring with p = (k + c) / (k + 3c), q = r = c / (k + 3c).
        p, q = (k + c) / (k + 3 * c), c / (k + 3 * c)
        sigma = entropy_production_rate(transition_matrix(traj, pseudocount=c))
        assert sigma == pytest.approx(ring_sigma(p, q), rel=1e-12)
        assert sigma > previous  # grows like log(1 / c)
        previous = sigma


def test_one_way_pair_in_matrix_is_inf():
    M = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    assert entropy_production_rate(M) == math.inf


def test_stationary_distribution_periodic_and_transient(xpb):
    # Power iteration would oscillate on this periodic chain; the solve does not.
    np.testing.assert_allclose(xpb.to_numpy(stationary_distribution(xpb.asarray(ring(4, 1.0, 0.0, 0.0)))), 0.25)
    M = np.array([[0.5, 0.5, 0.0], [0.2, 0.8, 0.0], [0.2, 0.3, 0.5]])  # state 2 transient
    p = xpb.to_numpy(stationary_distribution(xpb.asarray(M)))
    np.testing.assert_allclose(p, [2 / 7, 5 / 7, 0.0], atol=1e-14)
    assert entropy_production_rate(xpb.asarray(M)) == pytest.approx(0.0, abs=1e-15)  # 2-state block is reversible


def test_stationary_distribution_not_unique():
    with pytest.raises(ValueError, match="unique stationary"):
        stationary_distribution(np.eye(2))
    # With an explicit p the indicators still work.
    assert entropy_production_rate(np.eye(2), p=[0.5, 0.5]) == 0.0


def test_float32_matrix_accepted():
    M = ring(3, 0.6, 0.3, 0.1).astype(np.float32)
    assert entropy_production_rate(M) == pytest.approx(ring_sigma(0.6, 0.3), rel=1e-6)


# --------------------------------------------------------------------------
# transition_matrix / state_distribution
# --------------------------------------------------------------------------


def test_transition_matrix_counts(xpb):
    traj = xpb.asarray([0, 1, 1, 2, 0, 1])
    M = transition_matrix(traj)
    assert same_namespace(M, xpb)
    np.testing.assert_array_equal(xpb.to_numpy(M), [[0, 1, 0], [0, 0.5, 0.5], [1, 0, 0]])
    # lag 2: 0->1, 1->2, 1->0, 2->1
    np.testing.assert_array_equal(xpb.to_numpy(transition_matrix(traj, lag=2)), [[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]])
    np.testing.assert_allclose(xpb.to_numpy(state_distribution(traj)), [2 / 6, 3 / 6, 1 / 6])


def test_transition_matrix_several_sequences(xpb):
    # Two rows: never count the 2 -> 0 jump between the end of one and start of the next.
    traj = xpb.asarray([[0, 1, 2], [0, 1, 2]])
    expected = [[0, 1, 0], [0, 0, 1], [1 / 3] * 3]  # state 2 never left: uniform row
    np.testing.assert_allclose(xpb.to_numpy(transition_matrix(traj)), expected)
    np.testing.assert_allclose(xpb.to_numpy(transition_matrix(xpb.asarray([[0, 0], [1, 1], [2, 2]]), time_axis=0)), expected)
    ragged = [np.array([0, 1, 2]), np.array([0, 1]), np.array([1, 2])]
    np.testing.assert_allclose(transition_matrix(ragged), expected)


def test_transition_matrix_empty_rows():
    traj = [0, 1, 0, 1]
    np.testing.assert_allclose(transition_matrix(traj, 3)[2], [1 / 3] * 3)
    np.testing.assert_allclose(transition_matrix(traj, 3, empty_rows="self")[2], [0, 0, 1])
    np.testing.assert_allclose(transition_matrix(traj, 3, empty_rows="zero")[2], [0, 0, 0])
    np.testing.assert_allclose(transition_matrix(traj, 3, pseudocount=1.0)[2], [1 / 3] * 3)
    with pytest.raises(ValueError, match="never left"):
        transition_matrix(traj, 3, empty_rows="raise")
    # The never-visited state gets no stationary weight; the chain 0 <-> 1 is reversible.
    M = transition_matrix(traj, 3)
    np.testing.assert_allclose(stationary_distribution(M), [0.5, 0.5, 0.0], atol=1e-15)
    assert entropy_production_rate(M) == 0.0


@pytest.mark.parametrize(
    "traj, kwargs, match",
    [
        ([0, 1.5, 2], {}, "integer state labels"),
        ([0, -1, 2], {}, "negative"),
        ([0, 1, 3], {"n_states": 3}, "visits state 3"),
        ([0, 1, np.nan], {}, "NaN"),
        ([0], {}, "no transition"),
        ([0, 1, 2], {"lag": 0}, "lag"),
        ([0, 1, 2], {"pseudocount": -1.0}, "pseudocount"),
        ([0, 1, 2], {"empty_rows": "nan"}, "empty_rows"),
        ([], {}, "0 sample"),
        (3, {}, "got the scalar"),  # sklearn's check_array raises TypeError here
        ([0, 1, 2], {"time_axis": 2}, "time_axis"),  # checked for 1-D input too
        ([0, 1, 2], {"time_axis": True}, "time_axis"),
        (np.float64(2.0), {}, "got the scalar"),
    ],
)
def test_transition_matrix_rejects_bad_input(traj, kwargs, match):
    with pytest.raises(ValueError, match=match):
        transition_matrix(np.asarray(traj), **kwargs)


@pytest.mark.parametrize(
    "M, match",
    [
        (np.ones((2, 3)) / 3, "square"),
        (np.array([[1.5, -0.5], [0.5, 0.5]]), "negative"),
        (np.array([[0.5, 0.4], [0.5, 0.5]]), "row-stochastic"),
        (np.array([[np.nan, 1.0], [0.5, 0.5]]), "NaN"),
        (np.ones(3), "2D|2-dimensional"),
    ],
)
def test_transition_functions_reject_bad_matrices(M, match):
    for func in (stationary_distribution, entropy_production_rate, decorrelation_time, mean_self_transition):
        with pytest.raises(ValueError, match=match):
            func(M)


@pytest.mark.parametrize("kwargs", [{"pseudocount": -1.0}, {"epsilon": float("nan")}, {"pseudocount": "x"}])
def test_entropy_production_checks_its_options_whichever_estimator(kwargs):
    # pseudocount / epsilon are read by one count estimator each; a bad value
    # is refused for the others too, never ignored
    M = ring(3, 0.6, 0.3, 0.1)
    name = next(iter(kwargs))
    for estimator in ("matrix", "counts_drop"):
        with pytest.raises(ValueError, match=name):
            entropy_production_rate(M * 100 if estimator != "matrix" else M, estimator=estimator, **kwargs)


def test_bad_distribution():
    M = ring(3, 0.6, 0.3, 0.1)
    with pytest.raises(ValueError, match="expected 3"):
        entropy_production_rate(M, p=[0.5, 0.5])
    with pytest.raises(ValueError, match="sums to"):
        probability_currents(M, p=[0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="negative"):
        probability_currents(M, p=[1.5, -0.5, 0.0])


# --------------------------------------------------------------------------
# Decorrelation time, self transitions, class KL
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n, p, q, r", [(3, 0.6, 0.3, 0.1), (5, 0.7, 0.1, 0.2), (6, 0.5, 0.5, 0.0)])
def test_decorrelation_time_ring_eigenvalues(xpb, n, p, q, r):
    w = np.exp(2j * np.pi * np.arange(1, n) / n)
    lambda_2 = np.max(np.abs(r + p * w + q / w))
    expected = math.inf if lambda_2 >= 1 - 1e-12 else -1.0 / math.log(lambda_2)  # n = 6, r = 0: period 2
    assert decorrelation_time(xpb.asarray(ring(n, p, q, r))) == pytest.approx(expected, rel=1e-10)


def test_decorrelation_time_limits():
    assert decorrelation_time(np.tile([0.2, 0.3, 0.5], (3, 1))) == 0.0  # rank one: lambda_2 = 0
    assert decorrelation_time(np.ones((1, 1))) == 0.0
    assert decorrelation_time(np.eye(2)) == math.inf
    # Two-state chain: lambda_2 = 1 - a - b.
    a, b = 0.1, 0.3
    M = np.array([[1 - a, a], [b, 1 - b]])
    assert decorrelation_time(M) == pytest.approx(-1 / math.log(1 - a - b), rel=1e-12)


def test_mean_self_transition(xpb):
    assert mean_self_transition(xpb.asarray(ring(4, 0.5, 0.3, 0.2))) == pytest.approx(0.2, rel=1e-14)
    M = np.array([[0.9, 0.1, 0.0], [0.0, 0.5, 0.5], [0.3, 0.3, 0.4]])
    assert mean_self_transition(M) == pytest.approx((0.9 + 0.5 + 0.4) / 3, rel=1e-14)


def test_class_distribution_kl(xpb):
    p_data = np.full(3, 1 / 3)
    p_model = np.array([0.5, 0.3, 0.2])
    expected = float(np.sum(p_data * np.log(p_data / p_model)))
    assert class_distribution_kl(xpb.asarray(p_data), xpb.asarray(p_model)) == pytest.approx(expected, rel=1e-13)
    assert class_distribution_kl(p_data, p_data) == 0.0
    # Counts are normalised; zero data classes contribute nothing; missing model classes give inf.
    assert class_distribution_kl([10, 10, 10], [50, 30, 20]) == pytest.approx(expected, rel=1e-13)
    assert class_distribution_kl([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(math.log(2), rel=1e-13)
    assert class_distribution_kl([0.5, 0.5], [1.0, 0.0]) == math.inf
    with pytest.raises(ValueError, match="expected 3"):
        class_distribution_kl(p_data, [0.5, 0.5])
    with pytest.raises(ValueError, match="negative"):
        class_distribution_kl(p_data, [1.5, -0.5, 0.0])
