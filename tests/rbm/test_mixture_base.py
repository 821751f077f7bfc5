"""The annealing path from a mixture of factorised Bernoulli distributions
(skneq/rbm/_path.FactorizedMixture, skneq/rbm/_mixture.fit_bernoulli_mixture).

* ``log p*_beta`` of the kernels against brute-force enumeration of
  ``(v, h, k)`` on a 6 x 3 model with K = 3, and the slope against its
  finite difference.
* The exact transition matrix of the mixture Gibbs sweep, built from the
  conditionals the code itself draws from (a recording generator), leaves
  ``p_beta`` invariant; the same matrix with ``k | v`` ignoring ``(1 - beta)``
  does not.
* Forward AIS, reverse AIS from exact samples and Bennett from a mixture base
  against exact log Z; parallel tempering with a mixture base on a model too
  large for exact samples; K = 1 equal to the vector base to round-off.
* EM: non-decreasing objective, recovery of a planted mixture, backends.
* Bad input.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import expit, logsumexp, softmax

from skneq import RBM, _backend
from skneq.rbm import FactorizedMixture, fit_bernoulli_mixture
from skneq.rbm import _annealing
from skneq.rbm._ladder import marginal_swaps, pt_run
from skneq.rbm._path import (base_sample, ladder_log_ratios, path_fields, path_log_ratio, path_slope,
                             path_transition)

from .models import random_rbm

R = np.random.default_rng(21)
W, b, c = R.normal(0, 1.0, (3, 6)), R.normal(0, 0.7, 6), R.normal(0, 0.7, 3)
MIX = FactorizedMixture(np.log(np.array([0.5, 0.3, 0.2])), R.normal(0, 1.5, (3, 6)))
V_ALL = np.array(list(itertools.product([0.0, 1.0], repeat=6)))
H_ALL = np.array(list(itertools.product([0.0, 1.0], repeat=3)))


def s_k(V, mix=MIX):
    """Normalised log-densities of the components, shape (n, K)."""
    return V @ mix.logits.T - np.logaddexp(0, mix.logits).sum(1)


def brute_log_p_star(beta):
    """``log sum_{h,k} pi_k exp((1-beta) s_k(v)) exp(-beta E(v, h))`` by enumeration, shape (64,)."""
    S = s_k(V_ALL)  # (v, k)
    neg_E = (H_ALL @ W) @ V_ALL.T + (V_ALL @ b)[None, :] + (H_ALL @ c)[:, None]  # (h, v)
    terms = (MIX.log_weights[None, None, :] + (1 - beta) * S[None, :, :] + beta * neg_E[:, :, None])
    return logsumexp(terms.reshape(-1, 64, 3).transpose(1, 0, 2).reshape(64, -1), axis=1)


@pytest.mark.parametrize("beta", [0.0, 0.25, 0.6, 1.0])
def test_log_p_star_against_enumeration_of_v_h_k(beta, xpb):
    want = brute_log_p_star(beta)
    mix = MIX.to(xpb.xp, xpb.device, xpb.xp.float64)
    Wx, bx, cx = (xpb.asarray(a) for a in (W, b, c))
    F, vd = path_fields(xpb.asarray(V_ALL), Wx, bx, cx, mix, xp=xpb.xp)
    assert tuple(vd.shape) == (64, 4)
    # log p*_0 is the base density times 2^n_hidden (hidden units free).
    log_p0 = np.asarray(xpb.to_numpy(mix.log_density(xpb.asarray(V_ALL), xp=xpb.xp))) + 3 * math.log(2)
    np.testing.assert_allclose(log_p0, brute_log_p_star(0.0), rtol=0, atol=1e-12)
    got = log_p0 + xpb.to_numpy(path_log_ratio(F, vd, 0.0, beta, xp=xpb.xp, base=mix))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-11)
    # Normalisers: log Z_0 of the base, log Z_1 of the RBM.
    if beta == 0.0:
        assert abs(logsumexp(want) - float(_annealing.base_log_partition(MIX, 3, xp=np))) < 1e-12
    if beta == 1.0:
        exact = logsumexp(V_ALL @ b + np.logaddexp(0, V_ALL @ W.T + c).sum(1))
        assert abs(logsumexp(want) - exact) < 1e-12
    # The slope d log p*_beta / d beta against second-order differences
    # (one-sided three-point rules at the ends of the path).
    eps, f = 1e-5, brute_log_p_star
    if beta == 0.0:
        fd = (-3 * f(0.0) + 4 * f(eps) - f(2 * eps)) / (2 * eps)
    elif beta == 1.0:
        fd = (3 * f(1.0) - 4 * f(1.0 - eps) + f(1.0 - 2 * eps)) / (2 * eps)
    else:
        fd = (f(beta + eps) - f(beta - eps)) / (2 * eps)
    np.testing.assert_allclose(xpb.to_numpy(path_slope(F, vd, beta, xp=xpb.xp, base=mix)), fd, atol=1e-6)


def test_ladder_log_ratios_and_marginal_swaps_with_a_mixture_base():
    """Stepping stones are the brute-force log-ratios of neighbours; swaps are
    accepted with probability min(1, exp(ratio)) of those log-ratios."""
    betas = np.array([0.0, 0.3, 0.7, 1.0])
    lps = [brute_log_p_star(x) for x in betas]
    rs = np.random.default_rng(4)
    idx = rs.integers(0, 64, (4, 4000))
    V = V_ALL[idx]
    F, vd = path_fields(V, W, b, c, MIX, xp=np)
    fw, rv = ladder_log_ratios(F, vd, betas, xp=np, base=MIX)
    for t in range(3):
        np.testing.assert_allclose(fw[t], lps[t + 1][idx[t]] - lps[t][idx[t]], atol=1e-11)
        np.testing.assert_allclose(rv[t], lps[t + 1][idx[t + 1]] - lps[t][idx[t + 1]], atol=1e-11)
    rng = _backend.make_rng(_backend.resolve(None, "numpy", "float64"), 6)
    V2, F2, vd2, acc = marginal_swaps(V, F, vd, betas, 0, rng, xp=np, base=MIX)
    # Base terms travel with their states.
    np.testing.assert_allclose(vd2, path_fields(V2, W, b, c, MIX, xp=np)[1], atol=1e-12)
    for t in (0, 2):
        ratio = fw[t] - rv[t]
        alpha = np.exp(np.minimum(0.0, ratio))
        # 4000 Bernoulli trials: sd of the mean acceptance <= 0.008; 4 sd.
        assert abs(acc[t].mean() - alpha.mean()) < 0.032
        np.testing.assert_array_equal(V2[t][acc[t]], V[t + 1][acc[t]])
    assert not acc[1].any()


class RecordingRandom:
    """A stand-in generator: records the logits it is asked to draw from and
    returns the hidden states ``h`` and components ``k`` it is told to."""

    def __init__(self, h, k):
        self.h, self.k, self.logits = h, k, {}

    def bernoulli_logits(self, logits):
        if "h" not in self.logits:
            self.logits["h"] = logits
            return np.broadcast_to(self.h, logits.shape).copy()
        self.logits["v"] = logits
        return np.zeros_like(logits)

    def categorical(self, logits, axis=-1):
        self.logits["k"] = logits
        return np.full(logits.shape[:-1], self.k, dtype=np.int64)


def code_transition_matrix(beta, k_logits=None):
    """Exact v -> v' matrix of ``path_transition`` from the conditionals it draws from.

    ``T[v, v'] = sum_h p(h|v) sum_k p(k|v) p(v'|h, k)``; ``k_logits(beta)``
    replaces the code's ``k | v`` logits (the control).
    """
    F, vd = path_fields(V_ALL, W, b, c, MIX, xp=np)
    T = np.zeros((64, 64))
    for h, k in itertools.product(H_ALL, range(3)):
        rec = RecordingRandom(h, k)
        path_transition(F, W, b, MIX, beta, rec, xp=np, vd=vd)
        p_h = np.prod(np.where(h == 1, expit(rec.logits["h"]), expit(-rec.logits["h"])), axis=1)  # (v,)
        lk = rec.logits["k"] if k_logits is None else k_logits(beta)
        p_k = softmax(lk, axis=1)[:, k]
        q = expit(rec.logits["v"][0])  # v' | h, k: the same for every v
        p_v = np.prod(np.where(V_ALL == 1, q, 1 - q), axis=1)
        T += (p_h * p_k)[:, None] * p_v[None, :]
    return T


@pytest.mark.parametrize("beta", [0.0, 0.4, 1.0])
def test_mixture_gibbs_sweep_leaves_p_beta_invariant(beta):
    T = code_transition_matrix(beta)
    np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-13)
    lp = brute_log_p_star(beta)
    pi = np.exp(lp - logsumexp(lp))
    np.testing.assert_allclose(pi @ T, pi, rtol=0, atol=1e-14)
    if beta == 0.4:
        # Teeth: k | v without the (1 - beta) factor is not stationary.
        wrong = code_transition_matrix(beta, k_logits=lambda _: MIX.log_weights + s_k(V_ALL))
        assert np.abs(pi @ wrong - pi).max() > 1e-3


def test_mixture_transition_draws_match_the_exact_matrix():
    """The real generator: 20000 sweeps from one state against the exact row (total variation)."""
    beta, start = 0.4, 37
    T = code_transition_matrix(beta)
    V = np.broadcast_to(V_ALL[start], (20000, 6))
    F, vd = path_fields(V, W, b, c, MIX, xp=np)
    rng = _backend.make_rng(_backend.resolve(None, "numpy", "float64"), 5)
    V2, _ = path_transition(F, W, b, MIX, beta, rng, xp=np, vd=vd)
    freq = np.bincount((V2 @ (2 ** np.arange(5, -1, -1))).astype(int), minlength=64) / V.shape[0]
    # TV distance of an empirical law on 64 cells: about sqrt(64 / (2 pi n)) / 2 ~ 0.01 at n = 20000.
    assert 0.5 * np.abs(freq - T[start]).sum() < 0.03


def test_base_samples_follow_the_mixture(xpb):
    rng = _backend.make_rng(xpb.backend, 3)
    mix = MIX.to(xpb.xp, xpb.device, xpb.xp.float64)
    V = xpb.to_numpy(base_sample(mix, (4, 5000), rng, xp=xpb.xp)).reshape(-1, 6)
    want = (np.exp(MIX.log_weights)[:, None] * expit(MIX.logits)).sum(0)
    # 20000 draws: sd of a frequency <= 0.0036; 5 sd.
    np.testing.assert_allclose(V.mean(0), want, atol=0.018)
    ref = base_sample(MIX, (4, 5000), _backend.make_rng(_backend.resolve(None, "numpy", "float64"), 3), xp=np)
    np.testing.assert_array_equal(V, ref.reshape(-1, 6))  # same generator, same draws


# ----------------------------------------------------------------------------
# Annealing with a mixture base against exact log Z
# ----------------------------------------------------------------------------
def _model_and_mixture(seed=2, K=4):
    Wm, bm, cm = random_rbm(12, 6, seed=seed, scale=0.8)
    bk = _backend.resolve(None, "numpy", "float64")
    from skneq.rbm._kernels import exact_log_partition, exact_samples

    X, _ = exact_samples(Wm, bm, cm, 2000, _backend.make_rng(bk, 99), xp=np)
    mix = fit_bernoulli_mixture(X, K, random_state=0)
    return (Wm, bm, cm), mix, float(exact_log_partition(Wm, bm, cm, xp=np)), X


def test_forward_reverse_and_bennett_from_a_mixture_base_match_exact_log_z():
    (Wm, bm, cm), mix, exact, _ = _model_and_mixture()
    bk = _backend.resolve(None, "numpy", "float64")
    works = _annealing.run_annealing(Wm, bm, cm, mix, direction="both", n_betas=100, n_chains=400,
                                     rng=_backend.make_rng(bk, 1), xp=np)
    assert works.extra["reverse_start"] == "exact"
    assert works.base_bias is None and works.base_mixture is not None
    assert works.log_partition_base == pytest.approx(6 * math.log(2), abs=1e-12)
    for method in ("ais", "reverse_ais", "bennett"):
        se = works.standard_error(method)
        # The one-sided estimates' bias is second order in the work spread
        # (var / 2n, below 1e-3 here); 4 standard errors: a fresh seed fails
        # about once in 16000 runs.
        assert abs(works.log_partition(method) - exact) < 4 * se + 1e-3, (method, se)
        assert se < 0.05  # a base that holds the model's modes: the test has teeth


def test_one_component_mixture_equals_the_vector_base_to_round_off():
    (Wm, bm, cm), _, _, X = _model_and_mixture()
    b_A = np.log(X.mean(0) + 0.01) - np.log1p(-X.mean(0) + 0.01)
    one = FactorizedMixture(np.zeros(1), b_A[None, :])
    bk = _backend.resolve(None, "numpy", "float64")
    out = [_annealing.run_annealing(Wm, bm, cm, base, direction="both", n_betas=50, n_chains=64,
                                    rng=_backend.make_rng(bk, 7), xp=np) for base in (b_A, one)]
    # Same draws; works shifted by the constant log Z_A difference sum softplus(b_A).
    shift = out[0].log_partition_base - out[1].log_partition_base
    assert shift == pytest.approx(np.logaddexp(0, b_A).sum(), abs=1e-10)
    np.testing.assert_allclose(out[1].forward - out[0].forward, -shift, atol=1e-9)
    for method in ("ais", "reverse_ais", "bennett"):
        assert out[1].log_partition(method) == pytest.approx(out[0].log_partition(method), abs=1e-9)


def test_unnormalised_weights_are_normalised():
    """The path ends at (sum_k pi_k) Z_B: weights that do not sum to 1 would
    shift every estimate by log sum_k pi_k, unless normalised (as the driver does)."""
    (Wm, bm, cm), mix, _, _ = _model_and_mixture()
    heavy = FactorizedMixture(mix.log_weights + 2.0, mix.logits)
    bk = _backend.resolve(None, "numpy", "float64")
    out = [_annealing.run_annealing(Wm, bm, cm, m, direction="both", n_betas=50, n_chains=64,
                                    rng=_backend.make_rng(bk, 7), xp=np) for m in (mix, heavy)]
    for method in ("ais", "reverse_ais", "bennett"):
        assert out[1].log_partition(method) == pytest.approx(out[0].log_partition(method), abs=1e-9)
    np.testing.assert_allclose(out[1].base_mixture.log_weights, mix.log_weights, atol=1e-12)


def test_pt_reverse_starts_and_stepping_stones_with_a_mixture_base():
    """24 x 21: reverse starts from PT along the mixture path; its stepping
    stones and the sandwich against blockwise enumeration."""
    from skneq.rbm._enumeration import log_partition_enumerated

    Wm, bm, cm = random_rbm(24, 21, seed=4, scale=0.3)
    bk = _backend.resolve(None, "numpy", "float64")
    from skneq.rbm._kernels import gibbs_vhv

    X = (np.random.default_rng(0).random((500, 24)) < 0.5).astype(float)
    X, _ = gibbs_vhv(X, Wm, bm, cm, _backend.make_rng(bk, 8), 50, xp=np)
    mix = fit_bernoulli_mixture(X, 3, random_state=0)
    works = _annealing.run_annealing(Wm, bm, cm, mix, direction="both", n_betas=200, n_chains=400,
                                     rng=_backend.make_rng(bk, 0), xp=np, n_steps=50)
    exact = float(log_partition_enumerated(Wm, bm, cm, xp=np))
    assert works.extra["reverse_start"].startswith("parallel tempering")
    assert works.reverse_starts_equilibrated() is True
    lower, upper, _ = works.stepping_stones()
    # Same tolerances as the vector-base test of test_stepping_stones.py.
    assert abs(works.log_partition("stepping_stone") - exact) < 0.05
    assert lower - 0.05 <= exact <= upper + 0.05
    for method in ("ais", "reverse_ais", "bennett"):
        assert abs(works.log_partition(method) - exact) < 4 * works.standard_error(method) + 1e-3


def test_mixture_path_kernels_agree_across_backends(xpb):
    """Forward works and a PT run with a mixture base: every backend draws
    NumPy's numbers (CPU), so they equal the NumPy run to round-off."""
    (Wm, bm, cm), mix, _, _ = _model_and_mixture()
    betas = _annealing.default_betas(20, xp=np)

    def run(xp, conv, bk):
        m = mix.to(xp, getattr(bk, "device", None), xp.float64)
        P = [conv(a) for a in (Wm, bm, cm)]
        rng = _backend.make_rng(bk, 4)
        works = _annealing.ais_works(*P, m, conv(betas), 30, rng, xp=xp)
        V0 = base_sample(m, (3, 8), rng, xp=xp)
        V, _ = pt_run(V0, *P, m, (0.0, 0.5, 1.0), 6, rng, xp=xp)
        return _backend.to_numpy(works), _backend.to_numpy(V)

    ref = run(np, np.asarray, _backend.resolve(None, "numpy", "float64"))
    got = run(xpb.xp, xpb.asarray, xpb.backend)
    np.testing.assert_allclose(got[0], ref[0], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got[1], ref[1])


# ----------------------------------------------------------------------------
# EM
# ----------------------------------------------------------------------------
def _planted(n=2000, seed=0):
    rs = np.random.default_rng(seed)
    mu = np.array([[0.9] * 10 + [0.1] * 10, [0.15] * 10 + [0.8] * 10])
    pi = np.array([0.3, 0.7])
    z = rs.choice(2, n, p=pi)
    return (rs.random((n, 20)) < mu[z]).astype(float), pi, mu


def test_em_objective_never_decreases_and_recovers_a_planted_mixture():
    X, pi, mu = _planted()
    mix, info = fit_bernoulli_mixture(X, 2, random_state=1, return_info=True, tol=0.0, n_iter=30)
    obj = np.array(info["objective"])
    # tol=0 stops at the first step that does not raise the objective (round-off).
    assert len(obj) == info["n_iter"] + 1 and len(obj) >= 5
    assert np.all(np.diff(obj) >= -1e-12)
    assert obj[-1] - obj[0] > 1.0
    # A harder fit (4 components for 2) climbs for longer, never down.
    obj4 = np.array(fit_bernoulli_mixture(X, 4, random_state=3, return_info=True, tol=0.0, n_iter=60)[1]["objective"])
    assert len(obj4) >= 10 and np.all(np.diff(obj4) >= -1e-12)
    assert info["log_likelihood"][-1] > info["log_likelihood"][0]
    w, m = np.exp(mix.log_weights), expit(mix.logits)
    order = np.argsort(-m[:, 0])  # component 0 of the plant has the bright first half
    # sd of a weight sqrt(0.21 / 2000) = 0.010, of a mean <= sqrt(0.25 / 600) = 0.02: about 3 to 5 sd.
    np.testing.assert_allclose(w[order], pi, atol=0.04)
    np.testing.assert_allclose(m[order], mu, atol=0.07)
    assert abs(w.sum() - 1) < 1e-12
    # Smoothing: a column that is always 0 keeps a finite logit.
    X0 = X.copy()
    X0[:, 3] = 0.0
    assert np.all(np.isfinite(fit_bernoulli_mixture(X0, 2, random_state=1).logits))


def test_em_stops_at_tol_and_one_component_is_the_smoothed_mean():
    X, _, _ = _planted(300)
    one, info = fit_bernoulli_mixture(X, 1, return_info=True)
    # One M-step reaches the optimum; the next E-step sees no gain and the one after stops.
    assert info["converged"] and info["n_iter"] <= 2
    np.testing.assert_allclose(expit(one.logits[0]), (X.sum(0) + 1) / (300 + 2), rtol=1e-12)
    assert one.log_weights[0] == pytest.approx(0.0, abs=1e-15)


def test_em_on_every_backend_equals_numpy(xpb):
    X, _, _ = _planted(400)
    ref = fit_bernoulli_mixture(X, 3, random_state=2, n_iter=20)
    got = fit_bernoulli_mixture(xpb.asarray(X), 3, random_state=2, n_iter=20)
    assert _backend.namespace_of(got.logits)[0] is _backend.namespace_of(xpb.asarray(X))[0]
    np.testing.assert_allclose(xpb.to_numpy(got.logits), ref.logits, rtol=0, atol=1e-9)
    np.testing.assert_allclose(xpb.to_numpy(got.log_weights), ref.log_weights, rtol=0, atol=1e-9)


# ----------------------------------------------------------------------------
# The estimator's base="mixture" and bad input
# ----------------------------------------------------------------------------
def _rbm():
    Wm, bm, cm = random_rbm(12, 6, seed=2, scale=0.8)
    return RBM.from_parameters(Wm, bm, cm, random_state=0)


def test_estimator_mixture_base():
    rbm = _rbm()
    X = (np.random.default_rng(1).random((200, 12)) < 0.4).astype(float)
    works = rbm.annealing_works("forward", n_betas=30, n_chains=20, base="mixture", X=X, random_state=0)
    assert works.base_mixture.n_components == 20 and works.base_bias is None
    assert works.log_partition_base == pytest.approx(6 * math.log(2))
    import scipy.sparse

    sparse = rbm.annealing_works("forward", n_betas=30, n_chains=20, base="mixture", X=scipy.sparse.csr_matrix(X),
                                 random_state=0)
    np.testing.assert_array_equal(sparse.forward, works.forward)  # the same base from sparse X
    mix = fit_bernoulli_mixture(X, 3, random_state=0)
    z1 = rbm.log_partition("bennett", n_betas=30, n_chains=20, base=mix, random_state=0)
    assert z1 == pytest.approx(rbm.log_partition("exact"), abs=0.5)
    # The function of skneq.thermodynamics, on parameters: the same base.
    from skneq.thermodynamics import annealing_works

    tw = annealing_works(random_rbm(12, 6, seed=2, scale=0.8), n_betas=30, n_chains=20, base="mixture", X=X,
                         random_state=0)
    assert tw.base_mixture.n_components == 20 and tw.log_partition_base == pytest.approx(6 * math.log(2))
    np.testing.assert_allclose(tw.base_mixture.logits, works.base_mixture.logits, rtol=0, atol=1e-12)
    assert tw.log_partition("bennett") == pytest.approx(rbm.log_partition("exact"), abs=0.5)
    S, info = rbm.sample(50, n_steps=20, method="parallel_tempering", base=mix, random_state=0,
                         return_info=True)
    assert S.shape == (50, 12) and set(np.unique(S)) <= {0.0, 1.0}
    assert np.all(np.isfinite(info["swap_acceptance"]))


def test_sample_parallel_tempering_with_a_mixture_base_matches_exact_marginals():
    """``sample(method="parallel_tempering", base=mixture)`` draws the model: the
    visible means of 3000 chains against exact enumeration."""
    Wm, bm, cm = random_rbm(12, 6, seed=2, scale=0.8)
    rbm = RBM.from_parameters(Wm, bm, cm, random_state=0)
    _, mix, _, _ = _model_and_mixture()
    S = np.asarray(rbm.sample(3000, n_steps=40, method="parallel_tempering", base=mix, random_state=1))
    V = np.array(list(itertools.product([0.0, 1.0], repeat=12)))
    lp = V @ bm + np.logaddexp(0, V @ Wm.T + cm).sum(1)
    p = np.exp(lp - logsumexp(lp))
    # 3000 chains, 40 sweeps each (correlations between chains: none): sd of a
    # mean <= 0.0092; 5 sd.
    np.testing.assert_allclose(S.mean(0), p @ V, atol=0.046)


def test_bad_input():
    from skneq.thermodynamics import annealing_works

    X, _, _ = _planted(50)
    for kw, name in [(dict(n_components=0), "n_components"), (dict(n_components=2.5), "n_components"),
                     (dict(n_components=51), "n_components"), (dict(n_components=2, n_iter=0), "n_iter"),
                     (dict(n_components=2, tol=-1.0), "tol"), (dict(n_components=2, smoothing=0.0), "smoothing"),
                     (dict(n_components=2, return_info=1), "return_info")]:
        with pytest.raises(ValueError, match=name):
            fit_bernoulli_mixture(X, **kw)
    with pytest.raises(ValueError, match="Negative"):
        fit_bernoulli_mixture(X - 1.0, 2)
    rbm = _rbm()
    with pytest.raises(ValueError, match="base='mixture' needs X"):
        rbm.annealing_works(n_betas=5, n_chains=2, base="mixture")
    with pytest.raises(ValueError, match="base='mixture' needs X"):
        rbm.sample(5, method="parallel_tempering", base="mixture")
    with pytest.raises(ValueError, match="base='mixture' needs X"):
        annealing_works(random_rbm(12, 6, seed=2), n_betas=5, n_chains=2, base="mixture")
    wrong = FactorizedMixture(np.zeros(2), np.zeros((2, 11)))
    with pytest.raises(ValueError, match=r"base: a FactorizedMixture needs .*\(K, 12\)"):
        rbm.log_partition("ais", n_betas=5, n_chains=2, base=wrong)
    with pytest.raises(ValueError, match="base: a FactorizedMixture needs"):
        rbm.log_partition("ais", n_betas=5, n_chains=2, base=FactorizedMixture(np.zeros(3), np.zeros((2, 12))))
    with pytest.raises(ValueError, match="finite"):
        rbm.log_partition("ais", n_betas=5, n_chains=2,
                          base=FactorizedMixture(np.zeros(1), np.full((1, 12), np.inf)))
    with pytest.raises(ValueError, match="base must be one of"):
        rbm.log_partition("ais", n_betas=5, n_chains=2, base="mixtures")


def _sticky_mixture():
    """Three sharp components on 8 units (logits +-4, each pair differing in
    four or more units): Gibbs at beta = 0 (k | v, then v | k) practically
    never moves a state to another component."""
    logits = np.full((3, 8), -4.0)
    logits[0, :3] = logits[1, 3:6] = logits[2, 5:] = 4.0
    return FactorizedMixture(np.log(np.array([0.5, 0.3, 0.2])), logits)


@pytest.mark.parametrize("exact_bottom", [True, False])
def test_pt_bottom_rung_is_an_exact_base_draw_with_a_mixture(exact_bottom, monkeypatch):
    """Every replica started in component 0: after one sweep the beta = 0 rung
    holds exact base samples (component frequencies = pi); with Gibbs at the
    bottom (the control) it stays in component 0 and the test fails."""
    from skneq.rbm import _ladder

    if not exact_bottom:
        monkeypatch.setattr(_ladder, "is_mixture", lambda base: False)
    mix = _sticky_mixture()
    Wm, bm, cm = (np.zeros((2, 8)), np.zeros(8), np.zeros(2))  # couplings play no role at beta = 0
    n = 4000
    V0 = np.broadcast_to((expit(mix.logits[0]) > 0.5).astype(float), (3, n, 8)).copy()
    bk = _backend.resolve(None, "numpy", "float64")
    V, _ = pt_run(V0, Wm, bm, cm, mix, (0.0, 0.5, 1.0), 3, _backend.make_rng(bk, 5), xp=np)
    component = np.argmax(V[0] @ mix.logits.T, axis=1)  # a base draw's component (misassigned only after several flipped units)
    freq = np.bincount(component, minlength=3) / n
    # Binomial sd of a frequency <= sqrt(0.25 / 4000) = 0.0079; 5 sd.
    ok = np.allclose(freq, [0.5, 0.3, 0.2], atol=0.04)
    assert ok is exact_bottom, freq
