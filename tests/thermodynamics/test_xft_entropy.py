"""The XFT with the adjoint pairing, the Shannon entropy, the second law and CD_inf
(Salazar 2017, arXiv:1704.08724), against brute-force enumeration written out here."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from skneq.thermodynamics import (
    annealing_works,
    contrastive_divergence_limit,
    contrastive_divergence_terms,
    exact_heat_distribution,
    fit_xft_slope,
    heat_exchange,
    second_law,
    shannon_entropy,
    xft_log_ratio,
)

from tests.rbm.models import random_rbm


def joint_states(n_visible, n_hidden):
    bits = lambda n: [np.array(s, dtype=float) for s in itertools.product([0, 1], repeat=n)]  # noqa: E731
    return [(v, h) for v in bits(n_visible) for h in bits(n_hidden)]


def energies_and_law(W, b, c, beta):
    states = joint_states(W.shape[1], W.shape[0])
    E = np.array([-(h @ W @ v) - b @ v - c @ h for v, h in states])
    p = np.exp(-beta * E - np.max(-beta * E))
    return states, E, p / p.sum()


def cond(field, state):
    p1 = 1 / (1 + np.exp(-field))
    return float(np.prod(np.where(state == 1, p1, 1 - p1)))


def brute_force_heat(W, b, c, beta_from, beta_to, order):
    """P(Q) for one sweep that updates the layers in ``order`` ("hv" or "vh") at beta_to."""
    states, E, p1 = energies_and_law(W, b, c, beta_from)
    dist = {}
    for i, (v, h) in enumerate(states):
        for j, (v2, h2) in enumerate(states):
            if order == "hv":  # h' ~ p(h|v), then v' ~ p(v|h')
                t = cond(beta_to * (W @ v + c), h2) * cond(beta_to * (W.T @ h2 + b), v2)
            else:  # v' ~ p(v|h), then h' ~ p(h|v')
                t = cond(beta_to * (W.T @ h + b), v2) * cond(beta_to * (W @ v2 + c), h2)
            q = round(E[j] - E[i], 9)
            dist[q] = dist.get(q, 0.0) + p1[i] * t
    return dist


# --------------------------------------------------------------------------
# XFT: alternating sweep with its adjoint
# --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adjoint_of_the_alternating_sweep_is_v_then_h(seed):
    W, b, c = random_rbm(3, 2, seed)
    q, prob = exact_heat_distribution((W, b, c), 1.0, 0.5, kernel="alternating", adjoint=True)
    ref = {k: v for k, v in brute_force_heat(W, b, c, 1.0, 0.5, "vh").items() if v > 0}
    got = dict(zip(np.round(q, 9).tolist(), prob.tolist()))
    assert set(got) == set(ref)
    for key, value in ref.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("n_exchange_steps", [1, 3])
def test_exact_xft_holds_for_the_alternating_sweep_with_the_adjoint_pairing(n_exchange_steps):
    for seed in range(4):
        model = random_rbm(3, 2, seed)
        for beta_from, beta_to in [(1.0, 0.5), (0.5, 1.5)]:
            kw = dict(kernel="alternating", n_exchange_steps=n_exchange_steps)
            qf, pf = exact_heat_distribution(model, beta_from, beta_to, **kw)
            qb, pb = exact_heat_distribution(model, beta_from, beta_to, adjoint=True, **kw)
            q, log_ratio = xft_log_ratio(qf, pf, q_backward=qb, prob_backward=pb)
            assert q.size > 20 and np.any(q < 0) and np.any(q > 0)
            np.testing.assert_allclose(log_ratio, (beta_from - beta_to) * q, atol=1e-10)
            # Pairing the forward sweep with itself fails (the paper's protocol): by
            # > 0.05 after one sweep, still far above round-off after three.
            q_self, ratio_self = xft_log_ratio(qf, pf)
            miss = np.abs(ratio_self - (beta_from - beta_to) * q_self).max()
            assert miss > (0.05 if n_exchange_steps == 1 else 1e-6)


def test_reversible_kernels_are_their_own_adjoint():
    model = random_rbm(4, 3, 5)
    for kernel in ("symmetric", "random_scan"):
        a = heat_exchange(model, 1.0, 0.6, 200, n_steps=3, kernel=kernel, random_state=0)
        b = heat_exchange(model, 1.0, 0.6, 200, n_steps=3, kernel=kernel, adjoint=True, random_state=0)
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="adjoint"):
        heat_exchange(model, 1.0, 0.6, 10, adjoint="yes")


def test_sampled_xft_slope_with_the_adjoint_pairing():
    model = random_rbm(3, 2, seed=1)
    forward = heat_exchange(model, 1.0, 0.5, 60_000, n_steps=20, kernel="alternating", random_state=7)
    backward = heat_exchange(model, 1.0, 0.5, 60_000, n_steps=20, kernel="alternating", adjoint=True,
                             random_state=8)
    fit = fit_xft_slope(forward, Q_backward=backward, bins="unique")
    # 3 standard errors (fixed seeds; a 0.3% false alarm rate for a correct law).
    assert abs(fit.slope - 0.5) < 3 * fit.stderr and fit.stderr < 0.02
    assert np.any(fit.q < 0)
    dof = fit.q.size - 1
    assert fit.chi2 < dof + 5 * math.sqrt(2 * dof)
    # Binned fit of the same pairs agrees.
    binned = fit_xft_slope(forward, Q_backward=backward, bins=12, min_count=50)
    assert abs(binned.slope - 0.5) < 4 * binned.stderr


def test_xft_log_ratio_arguments():
    with pytest.raises(ValueError, match="together"):
        xft_log_ratio([1.0, -1.0], [0.5, 0.5], q_backward=[1.0])
    with pytest.raises(ValueError, match="prob"):
        xft_log_ratio([1.0, -1.0], [0.5, -0.5])


# --------------------------------------------------------------------------
# Entropy, second law, CD_inf
# --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 2), (2, 4)])  # enumerates the hidden, then the visible layer
@pytest.mark.parametrize("beta", [1.0, 0.4])
def test_shannon_entropy_is_log_z_plus_beta_mean_energy(shape, beta):
    W, b, c = random_rbm(*shape, seed=3)
    _, E, p = energies_and_law(W, b, c, beta)
    terms = shannon_entropy((W, b, c), beta=beta)
    assert terms.entropy == pytest.approx(-np.sum(p * np.log(p)), abs=1e-10)
    assert terms.mean_energy == pytest.approx(p @ E, abs=1e-10)
    assert terms.log_partition == pytest.approx(math.log(np.sum(np.exp(-beta * E))), abs=1e-10)
    # At beta = 0 every state is equally likely: S = (n_v + n_h) log 2.
    assert shannon_entropy((W, b, c), beta=0.0).entropy == pytest.approx(sum(shape) * math.log(2))


def test_second_law_for_a_sudden_quench_is_the_relative_entropy():
    # Quench from model A to model B: W = beta (E_B - E_A) on s ~ p_A, so
    # beta <W> - beta Delta F = KL(p_A || p_B) > 0 exactly.
    A, B = random_rbm(3, 2, 11), random_rbm(3, 2, 12)
    _, E_A, p_A = energies_and_law(*A, 1.0)
    _, E_B, p_B = energies_and_law(*B, 1.0)
    kl = float(np.sum(p_A * np.log(p_A / p_B)))
    delta_F = -(math.log(np.sum(np.exp(-E_B))) - math.log(np.sum(np.exp(-E_A))))
    rng = np.random.default_rng(0)
    draws = rng.choice(p_A.size, size=20_000, p=p_A)
    result = second_law((E_B - E_A)[draws], delta_F)
    assert result.holds and result.n_samples == 20_000
    assert abs(result.dissipated_work - kl) < 4 * result.stderr
    assert not second_law((E_B - E_A)[draws], delta_F + 10 * kl).holds
    with pytest.raises(ValueError, match="works"):
        second_law([1.0], 0.0)


def test_second_law_along_annealing():
    from skneq.rbm._kernels import exact_log_partition
    import array_api_compat.numpy as xp

    W, b, c = random_rbm(8, 4, seed=4, scale=0.6)
    works = annealing_works((W, b, c), n_chains=400, n_betas=20, direction="forward", random_state=0)
    delta_F = works.log_partition_base - float(exact_log_partition(W, b, c, xp=xp))
    result = second_law(works.forward, delta_F)
    assert result.holds and result.dissipated_work > 0  # 20 temperatures: clearly dissipative


def test_cd_infinity_is_the_dissipated_work_of_a_quench_from_the_data():
    W, b, c = random_rbm(4, 3, seed=6)
    X = (np.random.default_rng(7).random((50, 4)) < 0.4).astype(float)
    limit = contrastive_divergence_limit((W, b, c), X)
    terms = contrastive_divergence_terms((W, b, c), X, 0)
    assert limit.cd_infinity == pytest.approx(limit.kl_data, abs=1e-12)
    assert limit.kl_data == pytest.approx(terms.kl_data, abs=1e-12) and limit.cd_infinity > 0
    # CD_n tends to it (a kernel leaving p invariant mixes p_n into p).
    assert contrastive_divergence_terms((W, b, c), X, 400).cd == pytest.approx(limit.cd_infinity, abs=1e-8)
    # beta <W> = <E>_D + <log p_D>_D, summed state by state.
    states, E, _ = energies_and_law(W, b, c, 1.0)
    counts = {}
    for row in X:
        counts[tuple(row)] = counts.get(tuple(row), 0) + 1
    p_d = np.array([counts.get(tuple(v), 0) / len(X) * cond(W @ v + c, h) for v, h in states])
    support = p_d > 0
    mean_work = float(p_d @ E + np.sum(p_d[support] * np.log(p_d[support])))
    assert limit.mean_work == pytest.approx(mean_work, abs=1e-10)
    assert limit.delta_free_energy == pytest.approx(-math.log(np.sum(np.exp(-E))), abs=1e-10)
