"""The finite-chain kernels of ``skneq._markov`` against closed forms.

Each test fails on the code before these kernels existed (76e33ea): the
linear-solve stationary vector lost nearly reducible chains, the eigenvalue
threshold turned tau = 1e12 into inf, a label of 10**6 allocated 7 TiB.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from skneq import _markov as mk
from skneq.metrics import (
    decorrelation_time,
    entropy_production_rate,
    stationary_distribution,
    transition_counts,
    transition_matrix,
)
from skneq.nmm import cycle_decomposition, dominant_cycle


# --------------------------------------------------------------------------
# Stationary vector (Grassmann-Taksar-Heyman)
# --------------------------------------------------------------------------


def test_stationary_distribution_of_a_nearly_reducible_chain(xpb):
    # 1 - 1e-17 rounds to 1: a linear solve of p (I - M) = 0 sees I - M = 0.
    M = xpb.asarray([[1 - 1e-17, 1e-17], [1e-17, 1 - 1e-17]])
    np.testing.assert_array_equal(xpb.to_numpy(stationary_distribution(M)), [0.5, 0.5])
    # Asymmetric leaks a, b: p = (b, a) / (a + b), exact to relative round-off.
    a, b = 1e-20, 3e-20
    p = xpb.to_numpy(stationary_distribution(xpb.asarray([[1.0, a], [b, 1.0]]) / 1.0))
    np.testing.assert_allclose(p, [0.75, 0.25], rtol=1e-14)


def test_stationary_distribution_relative_accuracy_on_a_sticky_ring():
    # Birth-death chain with tiny rates: p_{k+1} / p_k = up_k / down_{k+1} (detailed balance),
    # entries spanning 40 orders of magnitude, each to relative round-off.
    up = np.array([1e-10, 1e-12, 1e-9, 1e-11])
    down = np.array([1e-3, 1e-2, 1e-4, 1e-2])
    n = 5
    M = np.zeros((n, n))
    for k in range(n - 1):
        M[k, k + 1] = up[k]
        M[k + 1, k] = down[k]
    M += np.diag(1 - M.sum(axis=1))
    expected = np.cumprod(np.concatenate([[1.0], up / down]))
    expected /= expected.sum()
    np.testing.assert_allclose(stationary_distribution(M), expected, rtol=1e-12)


def test_transient_state_first_needs_the_closed_class():
    # State 0 is transient and comes first: elimination meets a zero pivot.
    M = np.array([[0.5, 0.5, 0.0], [0.0, 0.25, 0.75], [0.0, 0.5, 0.5]])
    np.testing.assert_allclose(stationary_distribution(M), [0.0, 0.4, 0.6], rtol=1e-14, atol=1e-300)
    with pytest.raises(ValueError, match="unique stationary"):
        stationary_distribution(np.array([[1.0, 0, 0], [0.5, 0, 0.5], [0, 0, 1.0]]))


# --------------------------------------------------------------------------
# Decorrelation time near |lambda_2| = 1
# --------------------------------------------------------------------------


@pytest.mark.parametrize("leak", [1e-3, 1e-8, 1e-12])
def test_decorrelation_time_of_a_leaky_six_cycle(leak):
    """``M = (1 - e) P + e J / 6`` with ``P`` the 6-cycle and ``J`` all ones.

    ``J / 6`` projects on the uniform vector (stationary for both terms), so
    the eigenvalues are 1 and ``(1 - e) w^k`` (``w`` a sixth root of unity):
    ``|lambda_2| = 1 - e`` and ``tau = -1 / ln(1 - e) = 1 / e`` to O(1).
    """
    P = np.roll(np.eye(6), 1, axis=1)
    M = (1 - leak) * P + leak * np.ones((6, 6)) / 6
    tau = decorrelation_time(M)
    assert tau == pytest.approx(-1.0 / math.log1p(-leak), rel=1e-2)
    assert math.isfinite(tau)


def test_decorrelation_time_is_inf_only_for_modulus_one():
    assert decorrelation_time(np.roll(np.eye(6), 1, axis=1)) == math.inf  # period 6
    assert decorrelation_time(np.eye(3)) == math.inf  # three closed classes
    assert decorrelation_time(np.array([[0.0, 1.0], [1.0, 0.0]])) == math.inf  # period 2
    # Aperiodic (a self-loop) with a tiny exit: finite.
    M = np.array([[1 - 1e-13, 1e-13], [1.0, 0.0]])
    assert math.isfinite(decorrelation_time(M))


# --------------------------------------------------------------------------
# transition_matrix refuses huge label spaces
# --------------------------------------------------------------------------


def test_transition_matrix_refuses_a_huge_inferred_state_count():
    with pytest.raises(ValueError, match="n_states"):
        transition_matrix([0, 1, 0, 10**6])
    with pytest.raises(ValueError, match="n_states"):
        transition_matrix([0, 1, 0], n_states=mk.MAX_DENSE_STATES + 1)
    with pytest.raises(ValueError, match="n_states"):
        transition_matrix([0, 1, 0], n_states=2.7)
    assert transition_matrix([0, 1, 0, 3]).shape == (4, 4)


# --------------------------------------------------------------------------
# Entropy production estimators on count matrices
# --------------------------------------------------------------------------


def test_entropy_production_estimators_by_hand():
    """Counts: 0 <-> 1 seen 6 and 2 times, 1 -> 2 seen 4 times one way, 2 -> 2 twice (N = 14)."""
    C = np.array([[0, 6, 0], [2, 0, 4], [0, 0, 2]], dtype=float)
    N = C.sum()
    f01, f10, f12 = 6 / N, 2 / N, 4 / N
    pair01 = (f01 - f10) * math.log(f01 / f10)
    # One-way pairs dropped: only the 0 <-> 1 pair counts.
    assert entropy_production_rate(C, estimator="counts_drop") == pytest.approx(pair01, rel=1e-13)
    # epsilon inside the logarithm: the one-way pair contributes f12 ln((f12 + eps) / eps).
    eps = 1e-3
    expected = (f01 - f10) * math.log((f01 + eps) / (f10 + eps)) + f12 * math.log((f12 + eps) / eps)
    assert entropy_production_rate(C, estimator="counts_epsilon", epsilon=eps) == pytest.approx(expected, rel=1e-13)
    # Pseudocount a on every one of the 9 pair counts.
    a = 0.5
    g = lambda c: (c + a) / (N + 9 * a)  # noqa: E731
    expected = (g(6) - g(2)) * math.log(g(6) / g(2)) + (g(4) - g(0)) * math.log(g(4) / g(0))
    assert entropy_production_rate(C, estimator="counts_pseudocount", pseudocount=a) == pytest.approx(expected, rel=1e-13)
    # The exact estimator on the row-normalised counts sees the one-way pair: inf.
    with pytest.raises(ValueError, match="p is used"):
        entropy_production_rate(C, p=[1 / 3] * 3, estimator="counts_drop")
    with pytest.raises(ValueError, match="estimator"):
        entropy_production_rate(C, estimator="plugin")
    with pytest.raises(ValueError, match="pseudocount"):
        entropy_production_rate(C, estimator="counts_pseudocount", pseudocount=0.0)


def test_perfect_cycle_per_estimator():
    traj = np.arange(3 * 50 + 1) % 3
    C = transition_counts(traj)
    np.testing.assert_array_equal(C, 50 * np.roll(np.eye(3), 1, axis=1))
    assert entropy_production_rate(C, estimator="counts_drop") == 0.0  # the bias: looks reversible
    assert entropy_production_rate(transition_matrix(traj)) == math.inf
    assert entropy_production_rate(C, estimator="counts_epsilon", epsilon=1e-6) == pytest.approx(
        math.log(1 + (1 / 3) / 1e-6), rel=1e-12)


# --------------------------------------------------------------------------
# Cycle decomposition
# --------------------------------------------------------------------------


def two_cycles_sharing_a_state(a, s):
    """0 -> 1 -> 2 -> 0 with probability a at 0, else 0 -> 3 -> 4 -> 0; state 1 stays with probability s."""
    M = np.zeros((5, 5))
    M[0, 1], M[0, 3] = a, 1 - a
    M[1, 1], M[1, 2] = s, 1 - s
    M[2, 0] = M[3, 4] = M[4, 0] = 1.0
    return M


@pytest.mark.parametrize("a, s", [(0.58, 0.0), (0.3, 0.4)])
def test_cycle_decomposition_closed_form(a, s):
    """Every excursion from 0 is one cycle, so the decomposition is unique.

    An excursion lasts 3 steps plus a geometric number of self-loops at 1
    (mean a s / (1 - s)), so p_0 = 1 / (3 + a s / (1 - s)); the 3-cycles carry
    p_0 a and p_0 (1 - a) per step and the self-loop p_1 s = p_0 a s / (1 - s).
    """
    M = two_cycles_sharing_a_state(a, s)
    p0 = 1.0 / (3 + a * s / (1 - s))
    dec = cycle_decomposition(M)
    weights = dict(zip(dec.cycles, dec.weights))
    expected = {(0, 1, 2): p0 * a, (0, 3, 4): p0 * (1 - a)}
    if s > 0:
        expected[(1,)] = p0 * a * s / (1 - s)
    assert set(weights) == set(expected)
    for cycle, w in expected.items():
        assert weights[cycle] == pytest.approx(w, rel=1e-12)
    # The greedy path shows only the heavier 3-cycle.
    assert sorted(dominant_cycle(M, start=0)) == ([0, 1, 2] if a > 0.5 else [0, 3, 4])
    assert sum(w * len(c) for c, w in zip(dec.cycles, dec.weights)) == pytest.approx(1.0, rel=1e-12)


def test_cycle_weights_add_up_to_the_flux():
    rng = np.random.default_rng(3)
    M = rng.random((5, 5)) * (rng.random((5, 5)) < 0.7) + np.eye(5) * 0.01
    M /= M.sum(axis=1, keepdims=True)
    dec = cycle_decomposition(M)
    F = np.zeros((5, 5))
    for c, w in zip(dec.cycles, dec.weights):
        for i, j in zip(c, c[1:] + c[:1]):
            F[i, j] += w
    p = stationary_distribution(M)
    np.testing.assert_allclose(F, p[:, None] * M, atol=1e-15)


def test_cycle_decomposition_matches_loop_erasure_of_a_trajectory():
    """Loop-erase a simulated trajectory: erased-cycle frequencies converge to the weights.

    200,000 steps; the largest weight (~0.1) has a binomial-like standard
    error of ~sqrt(0.1 / 2e5) = 7e-4, so 5e-3 is ~7 standard errors.
    """
    rng = np.random.default_rng(0)
    M = rng.random((4, 4))
    M /= M.sum(axis=1, keepdims=True)
    dec = cycle_decomposition(M)
    T = 200_000
    u = rng.random(T)
    cdf = np.cumsum(M, axis=1)
    x, path, counts = 0, [0], {}
    for t in range(T):
        x = int(min(np.searchsorted(cdf[x], u[t], side="right"), 3))
        if x in path:
            k = path.index(x)
            cycle = tuple(path[k:])
            path = path[: k + 1]
            m = cycle.index(min(cycle))
            cycle = cycle[m:] + cycle[:m]
            counts[cycle] = counts.get(cycle, 0) + 1
        else:
            path.append(x)
    for c, w in zip(dec.cycles, dec.weights):
        assert counts.get(c, 0) / T == pytest.approx(w, abs=5e-3)


def test_cycle_decomposition_validates():
    with pytest.raises(ValueError, match="states"):
        cycle_decomposition(np.full((9, 9), 1 / 9))
    with pytest.raises(ValueError, match="row-stochastic"):
        cycle_decomposition(np.array([[0.5, 0.4], [0.5, 0.5]]))
