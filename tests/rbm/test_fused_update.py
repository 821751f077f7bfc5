"""The fused float32 update of skneq.rbm._update and the helpers it relies on.

The training hot path computes the gradient of both phases with one product
``A^T S`` on stacked rows, ``P(h | v)`` computed in the buffer of the product
``S W^T`` with the hidden bias added inside ``sigmoid``, and the row weights
formed in place in that buffer. These tests pin each of those to an
independent formula: bit for bit where the arithmetic is the same, to float32
round-off where the products differ.
"""

from __future__ import annotations

import numpy as np
import pytest

from skneq import _backend
from skneq._math import sigmoid
from skneq.rbm._update import MinibatchUpdate
from tests.rbm.oracles import centered_gradient


def test_sigmoid_bias_is_bitwise_sigmoid_of_the_sum(xpb):
    """``sigmoid(x, bias=c)`` adds ``c`` in the negation's pass: ``-c - x`` is
    ``-(x + c)`` exactly, so the values are those of ``sigmoid(x + c)`` to the
    bit, on every backend and in both dtypes; ``x`` is left alone unless
    ``overwrite=True`` (NumPy only computes in its buffer)."""
    xp = xpb.xp
    rng = np.random.default_rng(0)
    x_np = rng.normal(scale=30.0, size=(7, 5))  # includes exp overflow (|x| > 89 in float32)
    x_np[0, :] = [-120.0, -90.0, 0.0, 90.0, 120.0]
    c_np = rng.normal(scale=3.0, size=5)
    for dtype in (xp.float32, xp.float64):
        x, c = xpb.asarray(x_np, dtype), xpb.asarray(c_np, dtype)
        expected = xpb.to_numpy(sigmoid(x + c, xp=xp))
        got = sigmoid(x, xp=xp, bias=c)
        np.testing.assert_array_equal(xpb.to_numpy(got), expected)
        np.testing.assert_array_equal(xpb.to_numpy(x), xpb.to_numpy(xpb.asarray(x_np, dtype)))  # untouched
        got = sigmoid(x, xp=xp, bias=c, overwrite=True)
        np.testing.assert_array_equal(xpb.to_numpy(got), expected)
        if xpb.name == "numpy":
            assert got is x  # computed in x's buffer
        assert np.all((expected >= 0) & (expected <= 1))


def test_sigmoid_overwrite_without_bias_is_bitwise(xpb):
    xp = xpb.xp
    x_np = np.random.default_rng(1).normal(scale=10.0, size=(4, 6))
    x = xpb.asarray(x_np, xp.float32)
    expected = xpb.to_numpy(sigmoid(x, xp=xp))
    np.testing.assert_array_equal(xpb.to_numpy(sigmoid(x, xp=xp, overwrite=True)), expected)
    np.testing.assert_allclose(expected, 1 / (1 + np.exp(-x_np.astype(np.float32))), rtol=1e-6)


def _two_product_gradient(V_data, V_model, W, c, mu, lam, beta):
    """The gradient as positive minus negative phase, each its own product, in float64
    (tests/rbm/oracles.py), from the states the float32 update used."""
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    H_data, H_model = sig(beta * (V_data @ W.T + c)), sig(beta * (V_model @ W.T + c))
    return centered_gradient(V_data, H_data, V_model, H_model, mu, lam, beta, xp=np), H_data


@pytest.mark.parametrize("method", ["pcd", "cd", "rdm"])
@pytest.mark.parametrize("beta", [1.0, 0.7])
def test_float32_update_equals_two_product_gradient(xpb, method, beta):
    """The fused float32 update (one product A^T S for both phases and the visible
    means, A formed in P's buffer) gives the textbook two-product gradient of the same states
    to float32 round-off: |error| <= 2e-6 on entries of order 0.1-1 (measured
    at most 2.7e-7 over the backends), where a wrong row weight (a missing mu
    row, a stale row of the short batch kept, a sign) is off by 1e-2 or more
    and a relative error of 1e-5 in dW already fails. Full batches, then a
    short last batch."""
    xp = xpb.xp
    f32 = xp.float32
    n_v, n_h, cap, n_chains = 9, 6, 8, 5
    rng_np = np.random.default_rng(3)
    W64 = rng_np.normal(scale=0.7, size=(n_h, n_v))
    b64, c64 = rng_np.normal(size=n_v), rng_np.normal(size=n_h)
    mu64, lam64 = rng_np.random(n_v), rng_np.random(n_h)
    W, b, c = xpb.asarray(W64, f32), xpb.asarray(b64, f32), xpb.asarray(c64, f32)
    # The oracle reads the float32-rounded parameters the update sees.
    W64, b64, c64, mu64, lam64 = (np.asarray(a, dtype=np.float32).astype(np.float64)
                                  for a in (W64, b64, c64, mu64, lam64))
    chains = xpb.asarray(rng_np.random((n_chains, n_v)) < 0.5, f32)
    hidden = xpb.asarray(rng_np.random((n_chains, n_h)) < 0.5, f32)
    update = MinibatchUpdate(chains, hidden, cap, xpb.asarray(mu64, f32), method)
    rng = _backend.make_rng(_backend.Backend(xp, xpb.device, f32), 5)
    lam = xpb.asarray(lam64, f32)
    for n_data in (cap, cap, 3):
        V_data = (rng_np.random((n_data, n_v)) < 0.5).astype(np.float64)
        lam_before = np.asarray(xpb.to_numpy(lam), dtype=np.float64)
        dW, db, dc, lam = update(xpb.asarray(V_data, f32), W, b, c, lam, rng, n_steps=1, beta=beta, offset_rate=0.1)
        V_model = np.asarray(xpb.to_numpy(update.chains), dtype=np.float64)
        V_model = V_model if method != "cd" else V_model[:n_data]
        (rW, rb, rc), H_data = _two_product_gradient(V_data, V_model, W64, c64, mu64, lam_before, beta)
        for got, ref in ((dW, rW), (db, rb), (dc, rc)):
            assert xpb.to_numpy(got).dtype == np.float32
            np.testing.assert_allclose(xpb.to_numpy(got), ref, rtol=0, atol=2e-6)
        np.testing.assert_allclose(xpb.to_numpy(lam), 0.9 * lam_before + 0.1 * H_data.mean(0), rtol=0, atol=1e-6)
        assert np.abs(rW).max() > 1e-2 and np.abs(rb).max() > 1e-2  # not trivially zero


@pytest.mark.parametrize("beta", [1.0, 0.7])
def test_in_place_update_is_bitwise_the_update_with_temporaries(beta):
    """NumPy float32: the update that forms P in the product's buffer (bias inside
    sigmoid) and the row weights in P's buffer gives, to the bit, the gradient of
    the same stacked rows formed with temporaries, ``sigmoid(beta (S W^T + c))``
    and ``(P - lambda) * coef`` (the training is unchanged by the in-place work).
    Full batches, then a short last batch."""
    n_v, n_h, cap, n_chains = 30, 20, 16, 12
    rng_np = np.random.default_rng(7)
    f32 = np.float32
    W = rng_np.normal(scale=0.3, size=(n_h, n_v)).astype(f32)
    b, c = rng_np.normal(size=n_v).astype(f32), rng_np.normal(size=n_h).astype(f32)
    mu, lam = rng_np.random(n_v).astype(f32), rng_np.random(n_h).astype(f32)
    update = MinibatchUpdate((rng_np.random((n_chains, n_v)) < 0.5).astype(f32),
                             (rng_np.random((n_chains, n_h)) < 0.5).astype(f32), cap, mu, "pcd")
    rng = _backend.make_rng(_backend.Backend(np, "cpu", f32), 2)
    for n_data in (cap, 5):
        V_data = (rng_np.random((n_data, n_v)) < 0.4).astype(f32)
        lam_before = lam.copy()
        dW, db, dc, lam = update(V_data, W, b, c, lam, rng, beta=beta, offset_rate=0.05)
        S = update.stack  # data rows, the chains' new states, stale rows, mu
        F = S @ W.T
        F += c
        P = sigmoid(F if beta == 1.0 else beta * F, xp=np)
        coef = np.zeros(S.shape[0], dtype=f32)
        coef[:n_data], coef[cap:cap + n_chains] = 1.0 / n_data, -1.0 / n_chains
        A = np.zeros((S.shape[0], n_h + 1), dtype=f32)
        A[:, n_h] = coef
        dh = A[:, n_h] @ P
        A[:, :n_h] = (P - lam_before) * A[:, n_h:]
        A[-1, :n_h] = -dh
        G = A.T @ S
        ref_dW = G[:n_h]
        ref = (ref_dW, G[n_h] - lam_before @ ref_dW, dh - ref_dW @ mu)
        if beta != 1.0:
            ref = tuple(beta * r for r in ref)
        for got, want in zip((dW, db, dc), ref):
            np.testing.assert_array_equal(got, want)
        data_coef = np.where(coef > 0, coef, 0).astype(f32)
        np.testing.assert_array_equal(lam, 0.95 * lam_before + 0.05 * (data_coef @ P))
