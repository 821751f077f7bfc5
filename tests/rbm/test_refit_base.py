"""Annealing from a base refitted on the reverse starts (``run_annealing(refit_base=)``,
the procedure of ``score``'s log Z on models past ``MAX_SCORE_EXACT_UNITS``).

* Exact log Z by enumeration lies in the sandwich, with parallel-tempering
  starts (21 hidden units, past the exact samples) and with exact starts.
* Pooling rounds whose bases differ keeps every estimator unbiased: a
  hand-pooled check of Bennett's equation on the two rounds' works.
* A multimodal model whose forward runs from a factorised base rest on a
  handful of runs: the refitted mixture raises their effective number.
* The halves of the tempering's chains are disjoint; bad arguments are
  refused by name; the ladder's gap test is not applied across bases;
  ``score`` asks for the refit; every backend runs it (array-api-strict's
  ``device1`` sees no host copy).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import expit

from skneq import RBM, _backend
from skneq.rbm import _annealing, _likelihood
from skneq.rbm._enumeration import log_partition_enumerated
from skneq.rbm._ladder import PT_CHAINS

from .models import random_rbm

BK = _backend.resolve(None, "numpy", "float64")


def _run(W, b, c, b_A, seed=0, **kw):
    kw = dict(dict(direction="both", n_betas=200, n_chains=200, n_steps=50, refit_base=4), **kw)
    return _annealing.run_annealing(W, b, c, b_A, rng=_backend.make_rng(BK, seed), xp=np, **kw)


def test_pt_started_refit_brackets_exact_log_z():
    """24 x 21 (21 > MAX_EXACT_UNITS: parallel-tempering starts), weak couplings."""
    W, b, c = random_rbm(24, 21, seed=4, scale=0.3)
    exact = float(log_partition_enumerated(W, b, c, xp=np))
    works = _run(W, b, c, np.zeros(24), max_rounds=2)
    assert works.extra["reverse_start"].startswith("parallel tempering")
    assert works.extra["refit_base"] == 4 and len(works.extra["fitted_bases"]) == 2
    assert works.base_bias is None and works.base_mixture is None
    # normalised mixtures: log Z_A = n_hidden log 2 in every round
    assert works.log_partition_base == pytest.approx(21 * math.log(2))
    assert works.forward.shape == works.reverse.shape == (400,)
    for r in works.extra["rounds"]:
        # each round: its own seeding estimate from b_A, and the refitted estimates
        assert abs(r["seed_ais"] - exact) < 0.1 and abs(r["bennett"] - exact) < 0.05
    lower, upper = works.interval()
    # Weak couplings: all estimators within a few hundredths (standard errors
    # 0.003-0.01 at this seed); 0.05 of slack is 5 of them.
    assert lower - 0.05 <= exact <= upper + 0.05
    assert works.log_partition("bennett") == pytest.approx(exact, abs=0.03)
    assert works.failed_checks(0.5) == []


def test_exact_started_refit_brackets_exact_log_z():
    """12 hidden units: the starts are exact samples, 2 n_chains of them; the
    mixture is fitted on the first n_chains, the reverse runs start from the rest."""
    W, b, c = random_rbm(16, 12, seed=2, scale=0.8)
    exact = float(log_partition_enumerated(W, b, c, xp=np))
    works = _run(W, b, c, np.zeros(16), n_chains=300)
    assert works.extra["reverse_start"] == "exact"
    lower, upper = works.interval()
    assert lower - 0.05 <= exact <= upper + 0.05
    assert works.log_partition("bennett") == pytest.approx(exact, abs=0.05)


def test_pooled_rounds_solve_bennetts_equation_across_bases():
    """Rounds with different fitted bases pool: with equal numbers of runs per
    round and direction, the pooled forward and reverse work distributions are
    the rounds' mixtures and still obey Crooks' relation, so the pooled Bennett
    estimate solves Bennett's equation on all works (checked by hand) and
    lands on exact log Z."""
    W, b, c = random_rbm(16, 12, seed=3, scale=1.0)
    exact = float(log_partition_enumerated(W, b, c, xp=np))
    works = _run(W, b, c, np.zeros(16), n_chains=300, max_rounds=3)
    bases = works.extra["fitted_bases"]
    assert len(bases) == 3 and not np.allclose(bases[0].logits, bases[1].logits)
    F, R, log_Z_A = works.forward, works.reverse, works.log_partition_base

    def bennett(dF):  # equal sample sizes: sum f(W_F - dF) = sum f(W_R + dF)
        return expit(-(F - dF)).sum() - expit(-(R + dF)).sum()

    dF = brentq(bennett, -200.0, 200.0)
    assert works.log_partition("bennett") == pytest.approx(log_Z_A - dF, abs=1e-6)
    assert works.log_partition("bennett") == pytest.approx(exact, abs=0.05)


def _patterns_rbm(n_visible=30, n_hidden=21, n_modes=3, w=4.0, depth=26.0, seed=0):
    """``n_modes`` hidden units each pulling the visible layer to its own random
    pattern, the other hidden units weak. At Hamming distance ``k`` from a
    pattern its unit's field is ``depth - w k``: each mode holds about
    ``e^(depth + 0.5)`` of weight against ``2^30 = e^20.8`` for the rest, so
    the path from a uniform base crosses a first-order transition into modes
    far apart."""
    rng = np.random.default_rng(seed)
    patterns = rng.random((n_modes, n_visible)) < 0.5
    W = 0.05 * rng.normal(size=(n_hidden, n_visible))
    W[:n_modes] = w * (2.0 * patterns - 1.0)
    c = np.zeros(n_hidden)
    c[:n_modes] = -w * patterns.sum(axis=1) + depth
    return W, np.zeros(n_visible), c


@pytest.mark.parametrize("seed", [0, 1])
def test_refit_raises_the_forward_runs_effective_number_on_a_multimodal_model(seed):
    """Forward AIS from a uniform base into three far-apart modes rests on a
    handful of runs (measured: effective numbers 17 and 8 of 200 at seeds 0
    and 1, sandwiches off by up to 1.4 nat); from the mixture fitted on the
    tempering's states the runs start in the modes (167 and 181 of 200, both
    ends within 0.09 nat of exact log Z). Asserted with margin: four times
    the effective number, both ends within 0.2 nat."""
    W, b, c = _patterns_rbm()
    exact = float(log_partition_enumerated(W, b, c, xp=np))
    plain = _run(W, b, c, np.zeros(30), seed=seed, n_betas=300, refit_base=None, n_steps=100)
    refit = _run(W, b, c, np.zeros(30), seed=seed, n_betas=300, refit_base=4, n_steps=100)
    ess_plain, ess_refit = plain.effective_sample_size()[0], refit.effective_sample_size()[0]
    assert ess_refit > 4 * ess_plain, (ess_plain, ess_refit)
    lower, upper = refit.interval()
    assert abs(lower - exact) < 0.2 and abs(upper - exact) < 0.2, (lower, exact, upper)


class _FakeSampler:
    """Stands in for PathSampler: state (frame, chain) has visible unit 0 equal
    to the chain index, unit 1 to the frame (draw is frame-major)."""

    def __init__(self, n_pt):
        self.V = np.zeros((3, n_pt, 2))

    def draw(self, n):
        n_pt = self.V.shape[1]
        frames = n // n_pt
        assert frames * n_pt == n
        chain, frame = np.meshgrid(np.arange(n_pt), np.arange(frames))
        return np.stack([chain.ravel(), frame.ravel()], axis=1).astype(float)


@pytest.mark.parametrize("n_pt, n_chains", [(PT_CHAINS, 500), (7, 10), (2, 3)])
def test_split_chains_gives_disjoint_halves(n_pt, n_chains):
    V_fit, V = _annealing._split_chains(_FakeSampler(n_pt), n_chains, np)
    half = n_pt // 2
    assert V.shape == (n_chains, 2)
    assert set(V_fit[:, 0]) == set(range(half)) and set(V[:, 0]) <= set(range(half, n_pt))
    assert V_fit.shape[0] >= half


def test_split_chains_refuses_a_single_chain():
    with pytest.raises(ValueError, match="n_chains >= 2"):
        _annealing._split_chains(_FakeSampler(1), 1, np)


@pytest.mark.parametrize("kwargs, match", [
    (dict(refit_base=0), "refit_base"),
    (dict(refit_base=2.5), "refit_base"),
    (dict(refit_base=3, direction="forward"), "direction='both'"),
    (dict(refit_base=3, model_samples=np.zeros((4, 6))), "model_samples"),
])
def test_bad_refit_base_is_refused_by_name(kwargs, match):
    rbm = RBM(n_components=3, n_iter=1, random_state=0).fit((np.random.default_rng(0).random((20, 6)) < 0.5) * 1.0)
    kwargs = dict({"direction": "both"}, **kwargs)
    direction = kwargs.pop("direction")
    with pytest.raises(ValueError, match=match):
        rbm.annealing_works(direction, n_betas=10, n_chains=4, **kwargs)
    from skneq.thermodynamics import annealing_works
    with pytest.raises(ValueError, match=match):
        annealing_works(tuple(np.asarray(p) for p in rbm._parameters()), direction, n_betas=10, n_chains=4,
                        **kwargs)


def test_ladder_gap_test_is_not_applied_across_bases():
    """The ladder runs on the seeding path; with a refitted base the reverse
    runs do not, and the gap test is left out (the sandwich is the check)."""
    stones = {"stepping_stones": (9.98, 10.02, 10.0)}
    same_path = _annealing.AnnealingWorks(np.zeros(3), np.zeros(3), 0.0, extra=dict(stones))
    refitted = _annealing.AnnealingWorks(np.zeros(3), np.zeros(3), 0.0, extra=dict(stones, refit_base=20))
    assert any("ladder" in m for m in same_path.failed_checks(1.0))
    assert refitted.failed_checks(1.0) == []


def test_score_refits_its_base(monkeypatch):
    """score's log Z past MAX_SCORE_EXACT_UNITS runs the annealing with
    refit_base=FIT_REFIT_COMPONENTS, and the estimator and the thermodynamics
    function give the same works for the same arguments."""
    seen = {}
    real = _annealing.run_annealing

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **dict(kwargs, n_betas=50, n_chains=20, n_steps=5, max_rounds=2))

    monkeypatch.setattr(_annealing, "run_annealing", spy)
    X = (np.random.default_rng(1).random((100, 25)) < 0.3).astype(float)
    rbm = RBM(n_components=25, n_iter=1, random_state=0).fit(X)
    rbm.score(X)
    assert seen["refit_base"] == _likelihood.FIT_REFIT_COMPONENTS
    monkeypatch.setattr(_annealing, "run_annealing", real)
    from skneq.thermodynamics import annealing_works
    a = rbm.annealing_works(n_betas=50, n_chains=20, n_steps=5, refit_base=3, random_state=7)
    b = annealing_works(rbm, n_betas=50, n_chains=20, n_steps=5, refit_base=3, random_state=7)
    np.testing.assert_array_equal(a.forward, b.forward)
    np.testing.assert_array_equal(a.reverse, b.reverse)


def test_refit_on_every_backend(xpb):
    """The EM fit, the split and both annealing directions run in the model's
    namespace (array-api-strict's device1 refuses hidden host copies)."""
    W, b, c = random_rbm(24, 21, seed=4, scale=0.3)
    on = [xpb.asarray(p) for p in (W, b, c, np.zeros(24))]
    works = _annealing.run_annealing(*on, direction="both", n_betas=50, n_chains=20, n_steps=5, refit_base=3,
                                     rng=_backend.make_rng(xpb.backend, 0), xp=xpb.xp)
    exact = float(log_partition_enumerated(W, b, c, xp=np))
    # 50 temperatures x 20 runs on a weakly coupled model: within 0.2 nat
    # (measured 0.01-0.03 on numpy and array-api-strict)
    assert abs(works.log_partition("bennett") - exact) < 0.2
    logits = works.extra["fitted_bases"][0].logits
    assert isinstance(logits, np.ndarray) and logits.shape == (3, 24)
