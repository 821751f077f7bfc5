"""Exact log Z by blockwise enumeration (skneq/rbm/_enumeration.py).

References that cannot share a bug with the block scheme: the sum of
exp(-beta E(v, h)) over every joint state of tiny models, and the existing
one-layer enumeration ``exact_log_partition`` of skneq/rbm/_kernels.py.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp as np_logsumexp

from skneq.rbm._enumeration import enumeration_plan, log_partition_enumerated
from skneq.rbm._kernels import exact_log_partition


def brute_force_log_z(W, b, c, beta=1.0):
    """log sum_{v,h} exp(-beta E(v, h)) over both layers, E = -h W v - b.v - c.h."""
    n_hidden, n_visible = W.shape
    V = np.array(list(itertools.product([0.0, 1.0], repeat=n_visible))).reshape(-1, n_visible)
    H = np.array(list(itertools.product([0.0, 1.0], repeat=n_hidden))).reshape(-1, n_hidden)
    neg_energy = H @ W @ V.T + (H @ c)[:, None] + (V @ b)[None, :]
    return float(np_logsumexp(beta * neg_energy))


def random_rbm(n_hidden, n_visible, scale, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(0, scale, (n_hidden, n_visible)), rng.normal(0, 1, n_visible), rng.normal(0, 1, n_hidden)


@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (5, 2), (4, 6), (6, 6)])
@pytest.mark.parametrize("beta", [1.0, 0.4])
@pytest.mark.parametrize("block_bits", [0, 2, None])
def test_matches_brute_force_on_tiny_models(xpb, shape, beta, block_bits):
    W, b, c = random_rbm(*shape, scale=1.5, seed=sum(shape))
    expected = brute_force_log_z(W, b, c, beta)
    got = log_partition_enumerated(
        xpb.asarray(W), xpb.asarray(b), xpb.asarray(c), beta, xp=xpb.xp, block_bits=block_bits
    )
    assert got.shape == ()
    assert float(got) == pytest.approx(expected, abs=1e-10)


def test_fallback_for_fields_too_spread_for_products(xpb):
    # Couplings of size ~300 give single-pixel spreads over the 600-nat
    # underflow budget: the direct-softplus path must take over, still exact.
    W, b, c = random_rbm(5, 4, scale=300.0, seed=7)
    expected = brute_force_log_z(W, b, c)
    got = log_partition_enumerated(xpb.asarray(W), xpb.asarray(b), xpb.asarray(c), xp=xpb.xp, block_bits=3)
    assert float(got) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n_hidden", [8, 13, 20])
def test_matches_exact_log_partition_up_to_20_units(xpb, n_hidden):
    if xpb.name != "numpy" and n_hidden == 20:
        pytest.skip("2^20 states on the array-api-strict rows: the 13-unit case covers them")
    W, b, c = random_rbm(n_hidden, 22, scale=0.3, seed=n_hidden)
    Wx, bx, cx = xpb.asarray(W), xpb.asarray(b), xpb.asarray(c)
    for beta in (1.0, 0.6):
        expected = float(exact_log_partition(Wx, bx, cx, beta, xp=xpb.xp, max_units=20))
        got = float(log_partition_enumerated(Wx, bx, cx, beta, xp=xpb.xp, block_bits=6))
        assert got == pytest.approx(expected, abs=1e-9)


def test_mnist_sized_visible_layer_and_gray_drift():
    # 784 visible units and 2^14 blocks of 2 states: the Gray-code walk
    # takes 16383 rank-1 steps (with exact resynchronisation every 1024).
    W, b, c = random_rbm(15, 784, scale=0.05, seed=3)
    expected = float(exact_log_partition(W, b, c, xp=np, max_units=20))
    got = float(log_partition_enumerated(W, b, c, xp=np, block_bits=1))
    assert got == pytest.approx(expected, abs=1e-9)


def test_enumerates_the_visible_layer_when_it_is_smaller(xpb):
    W, b, c = random_rbm(9, 4, scale=1.0, seed=11)
    expected = brute_force_log_z(W, b, c, 0.8)
    got = log_partition_enumerated(xpb.asarray(W), xpb.asarray(b), xpb.asarray(c), 0.8, xp=xpb.xp, block_bits=1)
    assert float(got) == pytest.approx(expected, abs=1e-10)


def test_threads_do_not_change_the_result():
    W, b, c = random_rbm(14, 100, scale=0.5, seed=5)
    one = float(log_partition_enumerated(W, b, c, xp=np, block_bits=5, n_threads=1))
    two = float(log_partition_enumerated(W, b, c, xp=np, block_bits=5, n_threads=3))
    assert two == pytest.approx(one, abs=1e-11)


def test_zero_units_and_float32_inputs():
    W = np.zeros((0, 3))
    b = np.array([0.0, 1.0, -2.0])
    assert float(log_partition_enumerated(W, b, np.zeros(0), xp=np)) == pytest.approx(
        float(np.sum(np.logaddexp(0, b)))
    )
    W, b, c = random_rbm(4, 5, scale=1.0, seed=2)
    got = log_partition_enumerated(W.astype(np.float32), b.astype(np.float32), c.astype(np.float32), xp=np)
    assert got.dtype == np.float64
    expected = brute_force_log_z(W.astype(np.float32).astype(float), b.astype(np.float32), c.astype(np.float32))
    assert float(got) == pytest.approx(expected, abs=1e-10)


def test_refusals():
    W, b, c = random_rbm(4, 5, scale=1.0, seed=2)
    with pytest.raises(ValueError, match="max_units"):
        log_partition_enumerated(W, b, c, xp=np, max_units=3)
    with pytest.raises(ValueError, match="n_threads"):
        log_partition_enumerated(W, b, c, xp=np, n_threads=0)
    with pytest.raises(ValueError, match="block_bits"):
        enumeration_plan(4, 5, block_bits=-1)


def test_plan_keeps_the_table_small():
    assert enumeration_plan(26, 784) == 9  # 2^9 x 784 float64 = 3.2 MB
    assert enumeration_plan(3, 784) == 3
    assert enumeration_plan(26, 784, block_bits=12) == 12
