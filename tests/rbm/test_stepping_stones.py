"""The stepping-stone estimate of log Z along a parallel-tempering ladder and
the equilibrium test it gives (skneq/rbm/_path.ladder_log_ratios,
_annealing.stepping_stone_log_partition, AnnealingWorks.stepping_stones,
reverse_starts_equilibrated, and the LikelihoodWarning of score).

* Exact equilibrium states at every rung (drawn by enumeration): the bracket
  holds exact log Z and Bennett's estimate is within its statistical error.
* Rungs that lag (every rung holding states of its colder neighbour): the
  bracket inverts by a computable amount and the test fails.
* PT of the library on a model too large for exact samples: the test passes
  and the estimate matches blockwise enumeration.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp

from skneq import _backend
from skneq.rbm import _annealing
from skneq.rbm._likelihood import LikelihoodWarning, _warn_if_uncertain
from skneq.rbm._path import ladder_log_ratios, path_fields, path_log_ratio

from .models import random_rbm

R = np.random.default_rng(11)
W, b, c = R.normal(0, 1.2, (3, 6)), R.normal(0, 0.8, 6), R.normal(0, 0.8, 3)
b_A = R.normal(0, 0.5, 6)
BETAS = np.array([0.0, 0.2, 0.45, 0.7, 1.0])
V_ALL = np.array(list(itertools.product([0.0, 1.0], repeat=6)))


def log_p_star(beta):
    F, vd = path_fields(V_ALL, W, b, c, b_A, xp=np)
    return path_log_ratio(F, vd, 0.0, beta, xp=np) + V_ALL @ b_A  # log p*_0(v) = b_A . v


def exact_log_z():
    return float(logsumexp(log_p_star(1.0)) + 3 * np.log(2.0))


def rung_states(n, seed, shift=0):
    """``n`` exact samples of every rung (rung t holds those of rung t + shift), shape (T, n, 6)."""
    rs = np.random.default_rng(seed)
    out = []
    for t in range(len(BETAS)):
        lp = log_p_star(BETAS[min(t + shift, len(BETAS) - 1)])
        out.append(V_ALL[rs.choice(len(V_ALL), n, p=np.exp(lp - logsumexp(lp)))])
    return np.stack(out)


def stones(V):
    F, vd = path_fields(V, W, b, c, b_A, xp=np)
    fw, rv = ladder_log_ratios(F, vd, BETAS, xp=np)
    log_z_a = float(_annealing.base_log_partition(b_A, 3, xp=np))
    return _annealing.stepping_stone_log_partition(log_z_a, fw[None], rv[None])


def test_ladder_log_ratios_are_the_path_log_ratios_of_neighbours():
    V = rung_states(5, 0)
    F, vd = path_fields(V, W, b, c, b_A, xp=np)
    fw, rv = ladder_log_ratios(F, vd, BETAS, xp=np)
    assert fw.shape == rv.shape == (4, 5)
    for t in range(4):
        np.testing.assert_allclose(fw[t], path_log_ratio(F[t], vd[t], BETAS[t], BETAS[t + 1], xp=np), rtol=1e-13)
        np.testing.assert_allclose(rv[t], path_log_ratio(F[t + 1], vd[t + 1], BETAS[t], BETAS[t + 1], xp=np),
                                   rtol=1e-13)


def test_equilibrium_states_bracket_exact_log_z():
    exact = exact_log_z()
    lower, upper, bennett = stones(rung_states(20000, 1))
    # With 20000 exact states per rung the Jensen gaps are ~1e-4 nat; the
    # statistical error of each side is about 0.01 nat (four pairs, log-ratio
    # spread < 1 nat each).
    assert lower - 0.03 <= exact <= upper + 0.03
    assert abs(bennett - exact) < 0.02
    assert upper - lower > -0.02  # not inverted beyond noise


def test_lagging_rungs_invert_the_bracket():
    """Every rung holding its colder neighbour's states: forward pairs read the
    hi distribution (too high), reverse pairs the next one (too low)."""
    lower, upper, _ = stones(rung_states(20000, 2, shift=1))
    # The population value of the inversion, by enumeration: pair t reads
    # E_{t+1}[exp(r_t)] forward and E_{t+2}[exp(-r_t)] backward (the last rung
    # keeps its own states).
    T = len(BETAS)
    probs = [np.exp(log_p_star(be) - logsumexp(log_p_star(be))) for be in BETAS]
    inversion = 0.0
    for t in range(T - 1):
        r = log_p_star(BETAS[t + 1]) - log_p_star(BETAS[t])
        inversion += np.log(probs[t + 1] @ np.exp(r)) + np.log(probs[min(t + 2, T - 1)] @ np.exp(-r))
    assert inversion > 0.15
    assert lower - upper == pytest.approx(inversion, abs=0.03)
    works = _annealing.AnnealingWorks(None, None, 0.0, extra={"stepping_stones": (lower, upper, 0.0)})
    assert works.reverse_starts_equilibrated() is False
    assert works.reverse_starts_equilibrated(tol=lower - upper + 0.01) is True
    ok = _annealing.AnnealingWorks(None, None, 0.0, extra={"stepping_stones": stones(rung_states(20000, 3))})
    assert ok.reverse_starts_equilibrated() is True
    assert _annealing.AnnealingWorks(None, None, 0.0).reverse_starts_equilibrated() is None


def test_rounds_that_disagree_warn_even_when_each_looks_fine():
    works = _annealing.AnnealingWorks(np.zeros(3), np.zeros(3), 0.0, extra={
        "stepping_stones": (9.0, 9.05, 9.02),
        "rounds": [dict(ais=5.0, reverse_ais=5.1, bennett=5.05), dict(ais=7.0, reverse_ais=7.1, bennett=7.05)]})
    assert works.round_spread() == pytest.approx(2.0)
    with pytest.warns(LikelihoodWarning, match="2 independent runs"):
        _warn_if_uncertain(works, (5.0, 5.2))


def test_failed_equilibrium_test_warns_even_when_the_sandwich_is_narrow():
    works = _annealing.AnnealingWorks(np.zeros(3), np.zeros(3), 0.0, extra={"stepping_stones": (10.0, 9.0, 9.5)})
    with pytest.warns(LikelihoodWarning, match="not at equilibrium"):
        _warn_if_uncertain(works, (5.0, 5.2))
    # log Z_A = 9 with zero works: reverse AIS 9.0, consistent with the ladder
    passed = _annealing.AnnealingWorks(np.zeros(3), np.zeros(3), 9.0, extra={"stepping_stones": (9.0, 9.05, 9.02)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_if_uncertain(passed, (5.0, 5.2))
    with pytest.warns(LikelihoodWarning, match="wider than the tolerance"):
        _warn_if_uncertain(passed, (5.0, 7.0))


def test_reverse_far_below_the_ladder_warns_even_when_the_bracket_is_ordered():
    """The second equilibrium test: reverse AIS (here exactly log Z_A = 0, all
    reverse works 0) more than LADDER_REVERSE_TOL below the ladder's estimate
    from the same parallel tempering."""
    def works(ladder):
        return _annealing.AnnealingWorks(np.zeros(3), np.zeros(3), 0.0,
                                         extra={"stepping_stones": (ladder - 0.02, ladder + 0.02, ladder)})

    far = works(_annealing.LADDER_REVERSE_TOL + 0.5)
    assert far.log_partition("reverse_ais") == 0.0
    assert far.reverse_starts_equilibrated() is True  # the bracket test alone passes
    assert far.reverse_below_ladder() == pytest.approx(_annealing.LADDER_REVERSE_TOL + 0.5)
    with pytest.warns(LikelihoodWarning, match="below the estimate of the parallel-tempering ladder"):
        _warn_if_uncertain(far, (-0.1, 0.1))
    near = works(_annealing.LADDER_REVERSE_TOL - 0.5)
    assert near.failed_checks(1.0) == []
    # a ladder *below* reverse AIS is what equilibrium allows
    assert works(-5.0).failed_checks(1.0) == []
    assert _annealing.AnnealingWorks(np.zeros(3), None, 0.0,
                                     extra={"stepping_stones": (1.0, 1.0, 1.0)}).reverse_below_ladder() is None
    assert _annealing.AnnealingWorks(np.zeros(3), np.zeros(3), 0.0).reverse_below_ladder() is None


def test_stepping_stone_method_needs_a_ladder():
    works = _annealing.AnnealingWorks(np.zeros(3), np.zeros(3), 0.0)
    assert works.stepping_stones() is None
    with pytest.raises(ValueError, match="no parallel-tempering ladder"):
        works.log_partition("stepping_stone")
    with pytest.raises(ValueError, match="stepping_stone"):
        works.log_partition("nonsense")


def test_library_pt_passes_the_test_and_matches_enumeration():
    """24 x 21: too large for the exact samples of reverse AIS (21 > 20 units),
    small enough to enumerate; weak couplings, so PT equilibrates at once."""
    from skneq.rbm._enumeration import log_partition_enumerated

    Wm, bm, cm = random_rbm(24, 21, seed=4, scale=0.3)
    b_Am = np.zeros(24)
    bk = _backend.resolve(None, "numpy", "float64")
    works = _annealing.run_annealing(Wm, bm, cm, b_Am, direction="both", n_betas=200, n_chains=400,
                                     rng=_backend.make_rng(bk, 0), xp=np, n_steps=50)
    exact = float(log_partition_enumerated(Wm, bm, cm, xp=np))
    lower, upper, bennett = works.stepping_stones()
    assert works.reverse_starts_equilibrated() is True
    # at equilibrium reverse AIS from the top rung and the ladder agree: measured
    # gap 0.02 at this seed (ESS 370 of 400 reverse runs); 0.1 leaves 5x margin
    assert abs(works.reverse_below_ladder()) < 0.1
    assert abs(works.log_partition("stepping_stone") - exact) < 0.05
    assert lower - 0.05 <= exact <= upper + 0.05


# ----------------------------------------------------------------------------
# Rounds: run until forward and reverse agree, or a budget ends
# ----------------------------------------------------------------------------
def _small_model():
    return random_rbm(12, 6, seed=5, scale=0.4)


def test_rounds_pool_the_works_until_the_budget_when_they_never_agree():
    Wm, bm, cm = _small_model()
    bk = _backend.resolve(None, "numpy", "float64")
    # tol = 0: agreement is (almost surely) never exact, so every round runs.
    works = _annealing.run_annealing(Wm, bm, cm, np.zeros(12), direction="both", n_betas=20, n_chains=30,
                                     rng=_backend.make_rng(bk, 0), xp=np, tol=0.0, max_rounds=3)
    rounds = works.extra["rounds"]
    assert len(rounds) == 3
    assert works.forward.shape == works.reverse.shape == (90,)
    # Each round's estimates are those of its own slice of the pooled works.
    for k, r in enumerate(rounds):
        one = _annealing.AnnealingWorks(works.forward[30 * k:30 * (k + 1)], works.reverse[30 * k:30 * (k + 1)],
                                        works.log_partition_base)
        assert r["bennett"] == pytest.approx(one.log_partition("bennett"), abs=1e-12)
        assert r["ais"] == pytest.approx(one.log_partition("ais"), abs=1e-12)
    values = [r["bennett"] for r in rounds]
    assert works.round_spread() == pytest.approx(max(values) - min(values), abs=1e-12)
    # The first round's works are those of a one-round run with the same seed.
    one = _annealing.run_annealing(Wm, bm, cm, np.zeros(12), direction="both", n_betas=20, n_chains=30,
                                   rng=_backend.make_rng(bk, 0), xp=np)
    np.testing.assert_array_equal(works.forward[:30], one.forward)
    np.testing.assert_array_equal(works.reverse[:30], one.reverse)


def test_rounds_stop_as_soon_as_forward_and_reverse_agree():
    Wm, bm, cm = _small_model()
    bk = _backend.resolve(None, "numpy", "float64")
    works = _annealing.run_annealing(Wm, bm, cm, np.zeros(12), direction="both", n_betas=200, n_chains=200,
                                     rng=_backend.make_rng(bk, 0), xp=np, tol=1.0, max_rounds=5)
    lo, hi = works.interval()
    # At least two rounds, so that their spread can be read.
    assert abs(hi - lo) <= 1.0 and len(works.extra["rounds"]) == 2 and works.round_spread() <= 1.0
    one = _annealing.run_annealing(Wm, bm, cm, np.zeros(12), direction="both", n_betas=200, n_chains=200,
                                   rng=_backend.make_rng(bk, 0), xp=np, tol=1.0, max_rounds=1)
    assert len(one.extra["rounds"]) == 1 and one.round_spread() is None
    # Forward only: the rounds' AIS estimates must agree.
    fwd = _annealing.run_annealing(Wm, bm, cm, np.zeros(12), direction="forward", n_betas=20, n_chains=10,
                                   rng=_backend.make_rng(bk, 0), xp=np, tol=0.0, max_rounds=4)
    assert len(fwd.extra["rounds"]) == 4 and fwd.forward.shape == (40,) and fwd.reverse is None


def test_rounds_arguments_are_validated():
    from skneq import RBM
    from skneq.thermodynamics import annealing_works

    rbm = RBM(n_components=3, n_iter=1, random_state=0).fit((np.random.default_rng(0).random((20, 5)) < 0.5) * 1.0)
    for kw, name in [(dict(tol=-1.0), "tol"), (dict(tol=float("nan")), "tol"), (dict(tol="x"), "tol"),
                     (dict(max_rounds=0), "max_rounds"), (dict(max_rounds=2.5), "max_rounds")]:
        with pytest.raises(ValueError, match=name):
            rbm.annealing_works(n_betas=5, n_chains=2, **kw)
        with pytest.raises(ValueError, match=name):
            annealing_works(tuple(_small_model()), n_betas=5, n_chains=2, **kw)


def test_score_rounds_budget_in_weights():
    from skneq.rbm._likelihood import FIT_MAX_ROUNDS, FIT_ROUND_BUDGET, fit_rounds

    # one round at 784 x 500 and above, two or more from half that size down
    assert fit_rounds((500, 784)) == 1 and fit_rounds((1000, 784)) == 1
    assert fit_rounds((250, 784)) == 2 and fit_rounds((300, 784)) == 1
    assert fit_rounds((100, 784)) == FIT_ROUND_BUDGET // (100 * 784) == 5
    assert fit_rounds((23, 23)) == FIT_MAX_ROUNDS


def test_groups_never_outnumber_the_chains():
    fw = np.zeros((4, 3, 2))
    lower, upper, bennett, groups = _annealing.stepping_stone_log_partition(1.5, fw, fw, n_groups=5)
    assert len(groups) == 2 and lower == upper == bennett == groups[0] == 1.5
