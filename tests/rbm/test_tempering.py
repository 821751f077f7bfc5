"""Parallel tempering kernels (skneq/rbm/_tempering.py).

* The swap move is checked against its exact transition matrix on the
  product space of two temperatures of a tiny model (detailed balance and
  stationarity of the product Boltzmann distribution), and the random swap
  step against that matrix.
* The PT sampler's target-temperature distribution on a 4 x 2 model against
  exact enumeration, with a TV bound from the sample size; a deliberately
  wrong acceptance rule fails the same bound.
* A bimodal model where single-temperature Gibbs never leaves its mode in
  10^4 sweeps while PT visits both.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import logsumexp

from skneq import _backend
from skneq.rbm import _tempering
from skneq.rbm._kernels import gibbs_vhv
from skneq.rbm._tempering import (
    check_ladder,
    parallel_tempering,
    pt_sweep,
    swap_log_acceptance,
    swap_step,
    temperature_ladder,
)


def states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n))).reshape(-1, n)


def joint_energies(W, b, c):
    """E(v, h) of every joint state, rows ordered (v, h) lexicographically."""
    V, H = states(W.shape[1]), states(W.shape[0])
    E = -(H @ W @ V.T + (H @ c)[:, None] + (V @ b)[None, :])  # (n_h_states, n_v_states)
    VV = np.repeat(V, H.shape[0], axis=0)
    HH = np.tile(H, (V.shape[0], 1))
    return E.T.reshape(-1), VV, HH


TINY = dict(
    W=np.array([[1.5, -2.0]]),
    b=np.array([0.3, -0.4]),
    c=np.array([0.5]),
)
BETAS_2 = (0.45, 1.0)


def exact_swap_matrix(E, betas):
    """Transition matrix of one swap proposal on pairs (s1 at beta_0, s2 at beta_1)."""
    n = E.shape[0]
    P = np.zeros((n * n, n * n))
    for i, j in itertools.product(range(n), range(n)):
        alpha = math.exp(min(0.0, float(swap_log_acceptance(E[i], E[j], betas[0], betas[1]))))
        P[i * n + j, j * n + i] += alpha
        P[i * n + j, i * n + j] += 1.0 - alpha
    return P


def test_swap_move_satisfies_detailed_balance_by_enumeration():
    E, _, _ = joint_energies(**TINY)
    P = exact_swap_matrix(E, BETAS_2)
    log_pi = np.add.outer(-BETAS_2[0] * E, -BETAS_2[1] * E).reshape(-1)
    pi = np.exp(log_pi - logsumexp(log_pi))  # product Boltzmann distribution
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-14)
    flux = pi[:, None] * P
    np.testing.assert_allclose(flux, flux.T, atol=1e-15)
    np.testing.assert_allclose(pi @ P, pi, atol=1e-15)
    # The check has teeth: the acceptance with the sign flipped breaks both.
    P_wrong = np.zeros_like(P)
    n = E.shape[0]
    for i, j in itertools.product(range(n), range(n)):
        alpha = math.exp(min(0.0, -float(swap_log_acceptance(E[i], E[j], *BETAS_2))))
        P_wrong[i * n + j, j * n + i] += alpha
        P_wrong[i * n + j, i * n + j] += 1.0 - alpha
    assert np.abs(pi @ P_wrong - pi).max() > 1e-3


def test_swap_step_follows_the_exact_matrix(xpb):
    """The random swap step accepts each product state with the exact probability."""
    E, VV, HH = joint_energies(**TINY)
    n, reps = E.shape[0], 1000
    pair = np.array(list(itertools.product(range(n), range(n))))  # (64, 2)
    idx_lo, idx_hi = np.repeat(pair[:, 0], reps), np.repeat(pair[:, 1], reps)
    V = np.stack([VV[idx_lo], VV[idx_hi]])
    H = np.stack([HH[idx_lo], HH[idx_hi]])
    rng = _backend.make_rng(xpb.backend, 0)
    W, b, c = (xpb.asarray(TINY[k]) for k in ("W", "b", "c"))
    V2, H2, acc = swap_step(xpb.asarray(V), xpb.asarray(H), W, b, c, BETAS_2, rng, 0, xp=xpb.xp)
    V2, H2, acc = xpb.to_numpy(V2), xpb.to_numpy(H2), xpb.to_numpy(acc)
    assert acc.shape == (1, n * n * reps)
    # Accepted chains exchanged their joint states, the others kept them.
    a = acc[0][:, None]
    np.testing.assert_array_equal(V2[0], np.where(a, V[1], V[0]))
    np.testing.assert_array_equal(H2[1], np.where(a, H[0], H[1]))
    rate = acc[0].reshape(n * n, reps).mean(axis=1)
    alpha = np.exp(np.minimum(0.0, (BETAS_2[0] - BETAS_2[1]) * (E[pair[:, 0]] - E[pair[:, 1]])))
    # Binomial standard error of a rate from 1000 draws; 5 sigma over 64 rates.
    sigma = np.sqrt(np.maximum(alpha * (1 - alpha), 1e-4) / reps)
    assert np.all(np.abs(rate - alpha) <= 5 * sigma + 1e-12)


def test_swap_step_odd_parity_and_single_temperature(xpb):
    rng = _backend.make_rng(xpb.backend, 1)
    W, b, c = (xpb.asarray(TINY[k]) for k in ("W", "b", "c"))
    V = xpb.asarray(np.ones((3, 5, 2)))
    H = xpb.asarray(np.zeros((3, 5, 1)))
    _, _, acc = swap_step(V, H, W, b, c, (0.2, 0.5, 1.0), rng, 1, xp=xpb.xp)
    acc = xpb.to_numpy(acc)
    assert acc.shape == (2, 5) and not acc[0].any()  # pair (0, 1) is even: not proposed
    _, _, acc1 = swap_step(V[:1, ...], H[:1, ...], W, b, c, (1.0,), rng, 0, xp=xpb.xp)
    assert tuple(acc1.shape) == (0, 5)


def _model_4x2():
    r = np.random.default_rng(4)
    return r.normal(0, 1.5, (2, 4)), r.normal(0, 1, 4), r.normal(0, 1, 2)


def _pt_tv(n_chains=20000, n_sweeps=150, betas=(0.25, 0.5, 1.0)):
    W, b, c = _model_4x2()
    V_all = states(4)
    log_p = V_all @ b + np.logaddexp(0, V_all @ W.T + c).sum(axis=1)
    p = np.exp(log_p - logsumexp(log_p))
    bk = _backend.resolve(None, "numpy", "float64")
    rng = _backend.make_rng(bk, 0)
    V0 = rng.bernoulli(np.full((len(betas), n_chains, 4), 0.5))
    V, H, acc = parallel_tempering(V0, W, b, c, betas, n_sweeps, rng, xp=np)
    codes = (V[-1] @ (2.0 ** np.arange(3, -1, -1))).astype(int)  # row order of states(4)
    q = np.bincount(codes, minlength=16) / n_chains
    tv = 0.5 * np.abs(q - p).sum()
    # E[TV] <= 0.5 sum_k sqrt(p_k (1 - p_k) / N) for N independent draws (the
    # chains are independent), and TV exceeds its mean by t with probability
    # at most exp(-2 N t^2) (McDiarmid): t for 1e-6.
    bound = 0.5 * np.sqrt(p * (1 - p) / n_chains).sum() + math.sqrt(math.log(1e6) / (2 * n_chains))
    return tv, bound, acc, V, H


def test_pt_samples_the_exact_distribution_at_beta_1():
    tv, bound, acc, V, H = _pt_tv()
    assert V.shape == (3, 20000, 4) and H.shape == (3, 20000, 2)
    assert tv < bound, (tv, bound)
    assert np.all((acc > 0.2) & (acc < 1.0))


def test_pt_distribution_check_catches_a_wrong_swap_rule(monkeypatch):
    # The same check with the Metropolis ratio inverted: the target replica
    # then collects hot states, and the TV bound of the test above fails.
    right = _tempering.swap_log_acceptance
    monkeypatch.setattr(_tempering, "swap_log_acceptance", lambda *a: -right(*a))
    tv, bound, _, _, _ = _pt_tv()
    assert tv > 3 * bound


BIMODAL_N = 20


def bimodal_model(w=6.0, n=BIMODAL_N):
    """One hidden unit that switches all visibles on: modes v = 0 and v = 1.

    log p*(v) = -w|v|/2 + softplus(w(|v| - n/2)) is symmetric under v -> 1 - v,
    so each mode holds probability 1/2 exactly; the barrier at |v| = n/2 is
    about w n / 4 - log C(n, n/2) = 17.9 nats high at w = 6, n = 20.
    """
    return np.full((1, n), w), np.full(n, -w / 2), np.array([-w * n / 2])


def test_pt_mixes_where_gibbs_stays_in_one_mode():
    W, b, c = bimodal_model()
    bk = _backend.resolve(None, "numpy", "float64")
    rng = _backend.make_rng(bk, 0)
    n_chains = 20
    V = np.zeros((n_chains, BIMODAL_N))
    upper_gibbs = 0
    for _ in range(10_000):
        V, _ = gibbs_vhv(V, W, b, c, rng, 1, xp=np)
        upper_gibbs += int((V.sum(axis=1) > BIMODAL_N / 2).sum())
    assert upper_gibbs == 0  # 2 x 10^5 chain-sweeps, never in the v = 1 mode

    betas = temperature_ladder(8, 0.05)
    V0 = np.zeros((len(betas), n_chains, BIMODAL_N))  # every replica in the v = 0 mode
    _, _, acc, trace = parallel_tempering(V0, W, b, c, betas, 2000, rng, xp=np, trace=True)
    ones = trace.sum(axis=2)
    upper, lower = ones > BIMODAL_N / 2, ones < BIMODAL_N / 2
    # Exactly 1/2 by symmetry; 4 x 10^4 correlated draws, so a loose window.
    assert 0.35 < upper.mean() < 0.65 and 0.35 < lower.mean() < 0.65
    assert upper.any(axis=0).all() and lower.any(axis=0).all()  # every chain visits both modes
    assert np.all(acc > 0.2)


def test_pt_runs_on_every_backend(xpb):
    W, b, c = _model_4x2()
    Wx, bx, cx = xpb.asarray(W), xpb.asarray(b), xpb.asarray(c)
    rng = _backend.make_rng(xpb.backend, 3)
    V0 = xpb.asarray(np.zeros((3, 7, 4)))
    V, H, acc = pt_sweep(V0, Wx, bx, cx, (0.3, 0.6, 1.0), rng, 0, xp=xpb.xp)
    assert tuple(V.shape) == (3, 7, 4) and tuple(H.shape) == (3, 7, 2) and tuple(acc.shape) == (2, 7)
    V, H, rates, tr = parallel_tempering(V0, Wx, bx, cx, (0.3, 0.6, 1.0), 5, rng, xp=xpb.xp, trace=True)
    rates = xpb.to_numpy(rates)
    assert tuple(tr.shape) == (5, 7, 4)
    assert np.all((rates >= 0) & (rates <= 1))
    _, _, one = parallel_tempering(V0, Wx, bx, cx, (0.3, 0.6, 1.0), 1, rng, xp=xpb.xp)
    assert np.isnan(xpb.to_numpy(one)[1])  # the odd pair was never proposed


def test_ladder_and_argument_checks():
    betas = temperature_ladder(5, 0.1)
    assert len(betas) == 5 and betas[0] == pytest.approx(0.1) and betas[-1] == 1.0
    assert np.allclose(np.diff(np.log(betas)), np.log(10) / 4)
    assert temperature_ladder(3, 0.2, spacing="linear") == pytest.approx((0.2, 0.6, 1.0))
    with pytest.raises(ValueError, match="n_temperatures"):
        temperature_ladder(2.5)
    with pytest.raises(ValueError, match="beta_min"):
        temperature_ladder(3, 1.5)
    with pytest.raises(ValueError, match="spacing"):
        temperature_ladder(3, spacing="cubic")
    with pytest.raises(ValueError, match="increasing"):
        check_ladder((1.0, 0.5))
    with pytest.raises(ValueError, match="positive"):
        check_ladder((0.0, 1.0))
    W, b, c = _model_4x2()
    rng = _backend.make_rng(_backend.resolve(None, "numpy", "float64"), 0)
    with pytest.raises(ValueError, match="n_sweeps"):
        parallel_tempering(np.zeros((2, 3, 4)), W, b, c, (0.5, 1.0), 2.7, rng, xp=np)
    with pytest.raises(ValueError, match="V must have shape"):
        parallel_tempering(np.zeros((3, 3, 4)), W, b, c, (0.5, 1.0), 2, rng, xp=np)
    with pytest.raises(ValueError, match="first_parity"):
        parallel_tempering(np.zeros((2, 3, 4)), W, b, c, (0.5, 1.0), 2, rng, xp=np, first_parity=2)


def test_path_swap_move_satisfies_detailed_balance_by_enumeration():
    """On the annealing path p_k ∝ exp(-beta_k E + (1 - beta_k) b_A.v), the swap
    with E' = E + b_A.v is reversible for the product of the path's p_k."""
    W, b, c = TINY["W"], TINY["b"], TINY["c"]
    b_A = np.array([0.8, -1.1])
    E, VV, _ = joint_energies(W, b, c)
    E_path = E + VV @ b_A
    betas = (0.0, 0.6)
    P = exact_swap_matrix(E_path, betas)
    log_p = [-beta * E + (1 - beta) * (VV @ b_A) for beta in betas]
    log_pi = np.add.outer(log_p[0], log_p[1]).reshape(-1)
    pi = np.exp(log_pi - logsumexp(log_pi))
    flux = pi[:, None] * P
    np.testing.assert_allclose(flux, flux.T, atol=1e-15)
    np.testing.assert_allclose(pi @ P, pi, atol=1e-15)
    # The implementation uses E' (not E) on the path: its swap rates match P.
    rng = _backend.make_rng(_backend.resolve(None, "numpy", "float64"), 2)
    n, reps = E.shape[0], 2000
    pair = np.array(list(itertools.product(range(n), range(n))))
    lo, hi = np.repeat(pair[:, 0], reps), np.repeat(pair[:, 1], reps)
    _, HH = joint_energies(W, b, c)[1:]
    V = np.stack([VV[lo], VV[hi]])
    H = np.stack([HH[lo], HH[hi]])
    _, _, acc = swap_step(V, H, W, b, c, betas, rng, 0, xp=np, base_bias=b_A)
    rate = acc[0].reshape(n * n, reps).mean(axis=1)
    alpha = np.array([P[i * n + j, j * n + i] for i, j in pair])
    sigma = np.sqrt(np.maximum(alpha * (1 - alpha), 1e-4) / reps)
    assert np.all(np.abs(rate - alpha) <= 5 * sigma + 1e-12)


def test_path_pt_samples_the_exact_distribution_at_beta_1():
    """PT along the annealing path from the base model (beta = 0 included)."""
    W, b, c = _model_4x2()
    b_A = np.array([0.5, -0.5, 1.0, 0.0])
    V_all = states(4)
    log_p = V_all @ b + np.logaddexp(0, V_all @ W.T + c).sum(axis=1)
    p = np.exp(log_p - logsumexp(log_p))
    rng = _backend.make_rng(_backend.resolve(None, "numpy", "float64"), 1)
    n_chains = 20000
    V0 = rng.bernoulli(np.full((3, n_chains, 4), 0.5))
    V, _, acc = parallel_tempering(V0, W, b, c, (0.0, 0.5, 1.0), 150, rng, xp=np, base_bias=b_A)
    q = np.bincount((V[-1] @ (2.0 ** np.arange(3, -1, -1))).astype(int), minlength=16) / n_chains
    bound = 0.5 * np.sqrt(p * (1 - p) / n_chains).sum() + math.sqrt(math.log(1e6) / (2 * n_chains))
    assert 0.5 * np.abs(q - p).sum() < bound
    # The base end samples independent visibles sigmoid(b_A) exactly.
    np.testing.assert_allclose(V[0].mean(axis=0), 1 / (1 + np.exp(-b_A)), atol=5 * 0.5 / math.sqrt(n_chains))
    with pytest.raises(ValueError, match="positive"):
        parallel_tempering(V0, W, b, c, (0.0, 1.0), 1, rng, xp=np)  # 0 only on the path
