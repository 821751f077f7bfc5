"""The annealing path's kernels (skneq/rbm/_path.py) and the marginal swap of
parallel tempering along it (skneq/rbm/_ladder.py).

* The marginal swap's exact transition matrix on the product space of two
  rungs of a tiny model: detailed balance and stationarity of
  ``p_lo(v) p_hi(v')``; a sign error breaks both. The random swap step
  against the exact acceptance, for every parity and ladder length.
* The path's log-ratio and slope against ``log p*`` by enumeration.
* The length profile of a model without couplings against its closed form,
  and the ladder built from a profile against closed forms.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import expit, logsumexp

from skneq import _backend
from skneq.rbm._ladder import base_states, marginal_swaps, pt_run
from skneq.rbm._path import (
    PATH_SPACING,
    length_ladder,
    path_fields,
    path_length_profile,
    path_log_ratio,
    path_slope,
)

R = np.random.default_rng(3)
TINY = dict(W=R.normal(0, 1.5, (2, 3)), b=R.normal(0, 1, 3), c=R.normal(0, 1, 2), b_A=R.normal(0, 0.5, 3))
LO, HI = 0.35, 0.8


def states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def log_p_star(V, W, b, c, b_A, beta):
    """``log p*_beta(v)`` by its definition (module docstring of _path)."""
    return (1 - beta) * V @ b_A + beta * (V @ b + np.logaddexp(0, V @ W.T + c).sum(1)) \
        if beta in (0.0, 1.0) else (1 - beta) * V @ b_A + beta * V @ b + np.logaddexp(0, beta * (V @ W.T + c)).sum(1)


def test_log_ratio_and_slope_against_the_definition():
    V = states(3)
    F, vd = path_fields(V, TINY["W"], TINY["b"], TINY["c"], TINY["b_A"], xp=np)
    got = path_log_ratio(F, vd, LO, HI, xp=np)
    want = log_p_star(V, **TINY, beta=HI) - log_p_star(V, **TINY, beta=LO)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    eps = 1e-6
    slope = (log_p_star(V, **TINY, beta=0.5 + eps) - log_p_star(V, **TINY, beta=0.5 - eps)) / (2 * eps)
    np.testing.assert_allclose(path_slope(F, vd, 0.5, xp=np), slope, rtol=1e-7, atol=1e-7)
    # The ``b_A . v`` term is common to every point of the path: it cancels.
    Fs, vds = path_fields(V[None], TINY["W"], TINY["b"], TINY["c"], TINY["b_A"], xp=np)
    assert Fs.shape == (1, 8, 2) and vds.shape == (1, 8)


def exact_marginal_swap_matrix(log_ratio, sign=1.0):
    """Transition matrix of one marginal swap proposal on pairs (v at LO, v' at HI)."""
    n = log_ratio.shape[0]
    P = np.zeros((n * n, n * n))
    for i, j in itertools.product(range(n), range(n)):
        alpha = math.exp(min(0.0, sign * float(log_ratio[i] - log_ratio[j])))
        P[i * n + j, j * n + i] += alpha
        P[i * n + j, i * n + j] += 1.0 - alpha
    return P


def test_marginal_swap_satisfies_detailed_balance_by_enumeration():
    V = states(3)
    F, vd = path_fields(V, TINY["W"], TINY["b"], TINY["c"], TINY["b_A"], xp=np)
    up = path_log_ratio(F, vd, LO, HI, xp=np)  # log p*_HI(v) - log p*_LO(v)
    lp_lo, lp_hi = log_p_star(V, **TINY, beta=LO), log_p_star(V, **TINY, beta=HI)
    log_pi = np.add.outer(lp_lo - logsumexp(lp_lo), lp_hi - logsumexp(lp_hi)).reshape(-1)
    pi = np.exp(log_pi)
    P = exact_marginal_swap_matrix(up)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-14)
    flux = pi[:, None] * P
    np.testing.assert_allclose(flux, flux.T, atol=1e-15)
    np.testing.assert_allclose(pi @ P, pi, atol=1e-15)
    # Teeth: the ratio with the sign flipped is not stationary.
    assert np.abs(pi @ exact_marginal_swap_matrix(up, sign=-1.0) - pi).max() > 1e-3


@pytest.mark.parametrize("n_temps", [2, 3, 4, 5])
@pytest.mark.parametrize("parity", [0, 1])
def test_marginal_swaps_follow_the_exact_acceptance(n_temps, parity, xpb):
    """Each proposed pair swaps with probability min(1, exp(ratio)); others never move."""
    V_all = states(3)
    n_chains = 4000
    rs = np.random.default_rng(n_temps + 10 * parity)
    idx = rs.integers(0, 8, (n_temps, n_chains))
    V = V_all[idx]
    betas = np.linspace(0.0, 1.0, n_temps)
    W, b, c, b_A = (xpb.asarray(TINY[k]) for k in ("W", "b", "c", "b_A"))
    Vx = xpb.asarray(V)
    F, vd = path_fields(Vx, W, b, c, b_A, xp=xpb.xp)
    rng = _backend.make_rng(xpb.backend, 0)
    V2, F2, vd2, acc = marginal_swaps(Vx, F, vd, xpb.asarray(betas), parity, rng, xp=xpb.xp)
    V2, acc = xpb.to_numpy(V2), xpb.to_numpy(acc)
    assert acc.shape == (n_temps - 1, n_chains)
    # Fields travel with their states.
    Fw, _ = path_fields(xpb.asarray(V2), W, b, c, b_A, xp=xpb.xp)
    np.testing.assert_allclose(xpb.to_numpy(F2), xpb.to_numpy(Fw), atol=1e-12)
    Fn, vdn = path_fields(V, TINY["W"], TINY["b"], TINY["c"], TINY["b_A"], xp=np)
    moved = np.zeros((n_temps, n_chains), dtype=bool)
    for t in range(n_temps - 1):
        if t % 2 != parity:
            assert not acc[t].any()
            continue
        ratio = (path_log_ratio(Fn[t], vdn[t], betas[t], betas[t + 1], xp=np)
                 - path_log_ratio(Fn[t + 1], vdn[t + 1], betas[t], betas[t + 1], xp=np))
        alpha = np.exp(np.minimum(0.0, ratio))
        a = acc[t]
        np.testing.assert_array_equal(V2[t][a], V[t + 1][a])
        np.testing.assert_array_equal(V2[t + 1][a], V[t][a])
        moved[t] |= a
        moved[t + 1] |= a
        # The mean acceptance against the mean exact probability: a binomial
        # sum of 4000 draws, 5 standard errors.
        sd = np.sqrt(np.sum(alpha * (1 - alpha))) / n_chains
        assert abs(a.mean() - alpha.mean()) <= 5 * sd + 1e-12
    np.testing.assert_array_equal(V2[~moved], V[~moved])


def test_pt_on_the_path_samples_every_rung_exactly():
    """Marginal PT along the path: every rung's visible distribution against enumeration."""
    W, b, c, b_A = (TINY[k] for k in ("W", "b", "c", "b_A"))
    betas = (0.0, 0.3, 0.65, 1.0)
    bk = _backend.resolve(None, "numpy", "float64")
    rng = _backend.make_rng(bk, 1)
    n_chains = 20000
    V = base_states(b_A, len(betas), n_chains, rng, xp=np)
    V, H = pt_run(V, W, b, c, b_A, betas, 60, rng, xp=np)
    V_all = states(3)
    codes = V @ np.array([4, 2, 1])
    for t, beta in enumerate(betas):
        lp = log_p_star(V_all, W, b, c, b_A, beta)
        p = np.exp(lp - logsumexp(lp))
        freq = np.bincount(codes[t].astype(int), minlength=8) / n_chains
        # E[TV] <= 0.5 sum sqrt(p (1-p) / n); 4x that bound.
        assert 0.5 * np.abs(freq - p).sum() <= 4 * 0.5 * np.sqrt(p * (1 - p) / n_chains).sum()
    assert H.shape == (4, n_chains, 2)


def test_pt_run_collects_target_states():
    W, b, c, b_A = (TINY[k] for k in ("W", "b", "c", "b_A"))
    bk = _backend.resolve(None, "numpy", "float64")
    rng = _backend.make_rng(bk, 2)
    V = base_states(b_A, 3, 7, rng, xp=np)
    V, H, frames = pt_run(V, W, b, c, b_A, (0.0, 0.5, 1.0), 10, rng, xp=np, collect_every=4)
    # After sweeps 4, 8 and the last (10): three frames of 7 chains.
    assert frames.shape == (21, 3)
    np.testing.assert_array_equal(frames[-7:], V[-1])


def test_length_profile_of_a_model_without_couplings():
    """With W = 0 the path is independent Bernoulli units with logits
    (1 - beta) b_A + beta b, and the slope U = v.(b - b_A) + const has
    variance sum (b - b_A)^2 p (1 - p)."""
    n_v, n_h = 6, 4
    r = np.random.default_rng(7)
    b, b_A = r.normal(0, 1.5, n_v), r.normal(0, 0.5, n_v)
    W, c = np.zeros((n_h, n_v)), r.normal(0, 1, n_h)
    bk = _backend.resolve(None, "numpy", "float64")
    betas, sigma = path_length_profile(W, b, c, b_A, _backend.make_rng(bk, 0), xp=np, n_betas=11, n_chains=20000)
    p = expit((1 - betas[:, None]) * b_A + betas[:, None] * b)
    exact = np.sqrt((((b - b_A) ** 2) * p * (1 - p)).sum(axis=1))
    # Standard deviation of a sample sd from 20000 draws: about sd / sqrt(2 n) (< 1%).
    np.testing.assert_allclose(sigma, exact, rtol=0.03)


def test_length_ladder_closed_forms():
    betas = np.linspace(0, 1, 101)
    ladder, length = length_ladder(betas, np.full(101, 3.0), 4)
    np.testing.assert_allclose(ladder, [0, 1 / 3, 2 / 3, 1], atol=1e-12)
    assert length == pytest.approx(3.0)
    # sigma = 2 beta: L(beta) = beta^2, so equal lengths put rung k at sqrt(k / (n - 1)).
    ladder, length = length_ladder(betas, 2 * betas, 5)
    np.testing.assert_allclose(ladder, np.sqrt(np.arange(5) / 4), atol=2e-3)
    assert length == pytest.approx(1.0, abs=1e-3)
    # None: one rung per PATH_SPACING of length, at least three.
    ladder, length = length_ladder(betas, np.full(101, 10.0))
    assert len(ladder) == math.ceil(10.0 / PATH_SPACING) + 1
    assert len(length_ladder(betas, np.zeros(101))[0]) == 3
    assert all(a < b for a, b in zip(ladder[:-1], ladder[1:])) and ladder[0] == 0.0 and ladder[-1] == 1.0


def test_standard_errors_match_the_spread_over_repeats():
    """Gaussian works that obey Crooks' relation (W_F ~ N(dF + s^2/2, s^2),
    W_R ~ N(-dF + s^2/2, s^2)): the reported standard errors of the three
    estimators agree with their spread over 400 independent repeats (the sd
    of a sample sd from 400 repeats is 3.5%; 25% tolerance), and the effective
    sample sizes with their closed form n / exp(s^2)."""
    from skneq.rbm._annealing import AnnealingWorks

    rs = np.random.default_rng(0)
    dF, s, n = -3.0, 1.0, 400
    est = {m: [] for m in ("ais", "reverse_ais", "bennett")}
    se = {m: [] for m in est}
    ess = []
    for _ in range(400):
        w = AnnealingWorks(rs.normal(dF + s * s / 2, s, n), rs.normal(-dF + s * s / 2, s, n), 0.0)
        for m in est:
            est[m].append(w.log_partition(m))
            se[m].append(w.standard_error(m))
        ess.append(w.effective_sample_size())
    for m in est:
        assert np.mean(est[m]) == pytest.approx(-dF, abs=0.1)
        assert np.median(se[m]) == pytest.approx(np.std(est[m]), rel=0.25), m
    # E[w^2] / E[w]^2 = exp(s^2) for log-normal w.
    assert np.median(np.array(ess)[:, 0]) == pytest.approx(n / math.exp(s * s), rel=0.15)
    with pytest.raises(ValueError, match="method"):
        w.standard_error("exact")


def test_path_sampler_seeded_by_weighted_states():
    """Seeding: every replica starts from a state drawn in proportion to
    exp(-W); after burn-in the target replicas follow the model exactly."""
    from skneq.rbm._ladder import PathSampler

    W, b, c, b_A = (TINY[k] for k in ("W", "b", "c", "b_A"))
    bk = _backend.resolve(None, "numpy", "float64")
    V_end = states(3)
    works = np.full(8, 50.0)
    works[5] = 0.0  # exp(-W) of state 5 dominates by e^50
    s = PathSampler(W, b, c, b_A, _backend.make_rng(bk, 0), xp=np, n_temperatures=4, n_steps=0, n_chains=30,
                     seed_states=(V_end, works))
    assert s.V.shape == (4, 30, 3) and np.all(s.V == V_end[5]) and "forward-AIS" in s.describe()
    s = PathSampler(W, b, c, b_A, _backend.make_rng(bk, 1), xp=np, n_temperatures=4, n_steps=50, n_chains=50,
                     seed_states=(V_end, works))
    V = s.draw(20000)
    lp = log_p_star(V_end, W, b, c, b_A, 1.0)
    p = np.exp(lp - logsumexp(lp))
    freq = np.bincount((V @ np.array([4, 2, 1])).astype(int), minlength=8) / V.shape[0]
    # 50 chains x 400 frames 5 sweeps apart: correlated draws; 8x the
    # independent-draw TV bound (the unseeded start gives the same bound a pass).
    assert 0.5 * np.abs(freq - p).sum() <= 8 * 0.5 * np.sqrt(p * (1 - p) / V.shape[0]).sum()
