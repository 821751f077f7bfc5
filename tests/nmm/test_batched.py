"""The batched path of ``fit_independent_runs`` (``skneq.nmm._batched``): its kernels against the
single-run ones, to the bit where it claims so, and whole batched fits against separate fits.

(The tiny-model equality tests of the batched path are in test_estimator.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from skneq import _backend, _optim
from skneq._math import gumbel_from_uniform, logsumexp
from skneq.nmm import NonequilibriumMarkovMachine, fit_independent_runs
from skneq.nmm import _kernels as K

xnp = _backend._import_namespace("numpy")
TINY32 = np.finfo(np.float32).smallest_normal


def _gradient_inputs(rng, R, N, T, D, L, scale):
    """float32 inputs of the one-hot gradient: random binary data and chains, random one-hot latents."""
    f = np.float32
    X = (rng.random((R, N, D)) < 0.4).astype(f)
    Xp = (rng.random((R, T, D)) < 0.4).astype(f)
    k = rng.integers(0, L, (R, T))
    k[:, 0] = np.arange(R) % L  # at least one pair per run in some state
    Z = np.eye(L, dtype=f)[k]
    Up = (3 * rng.normal(size=(R, T, L))).astype(f)
    w = (scale * rng.normal(size=(R, D, L))).astype(f)
    return X, Xp, Z, Up, w, np.zeros((R, D), f), rng.random((R, D)).astype(f)


def _subnormal_fraction(X, Z, w, a):
    """Share of the pair weights r[n, t] of approx_gradient that are subnormal (recomputed independently)."""
    H = np.swapaxes(w, 1, 2) + a[:, None, :]
    log_A = X @ np.swapaxes(H, 1, 2) - np.logaddexp(0, H).sum(-1)[:, None, :]
    log_A = log_A @ np.swapaxes(Z, 1, 2)
    r = np.exp(log_A - logsumexp(log_A, axis=-1, keepdims=True, xp=xnp))
    return float(np.mean((r > 0) & (r < TINY32)))


@pytest.mark.parametrize("normalization", ["softmax", "sigmoid_ratio"])
def test_batched_gradient_is_approx_gradient_to_the_bit(normalization):
    # Moderate fields: no weight underflows, and every value is approx_gradient's, bit for bit.
    rng = np.random.default_rng(0)
    X, Xp, Z, Up, w, a, xm = _gradient_inputs(rng, 3, 17, 12, 40, 4, scale=0.3)
    assert _subnormal_fraction(X, Z, w, a) == 0
    got = K.approx_gradient_runs(X, Xp.copy(), Z, Up, w, a, xm, normalization=normalization, xp=xnp)
    centred = Xp.copy()
    again = K.approx_gradient_runs(X, centred, Z, Up, w, a, xm, normalization=normalization, xp=xnp,
                                   overwrite_visible=True)
    np.testing.assert_array_equal(centred, Xp - xm[:, None, :])  # centred in place
    for r in range(3):
        ref = K.approx_gradient(X[r], Xp[r], Z[r], Up[r], w[r], a[r], xm[r], latent="onehot",
                                normalization=normalization, xp=xnp)
        for g, h, want in zip(got, again, (ref[0], ref[2], ref[3])):
            np.testing.assert_array_equal(g[r], want)
            np.testing.assert_array_equal(h[r], want)


def test_batched_gradient_flushes_subnormal_weights_only():
    # D = 784 and strong fields: a few percent of the weights underflow (the case the flush is for).
    # The gradient stays approx_gradient's: each entry differs by at most the flushed terms' bound
    # (T subnormals), and entries above 1e-30 are equal to the bit.
    rng = np.random.default_rng(1)
    T = 48
    X, Xp, Z, Up, w, a, xm = _gradient_inputs(rng, 4, 40, T, 784, 6, scale=3.0)
    assert _subnormal_fraction(X, Z, w, a) > 0.05
    got = K.approx_gradient_runs(X, Xp, Z, Up, w, a, xm, normalization="softmax", xp=xnp)
    for r in range(4):
        ref = K.approx_gradient(X[r], Xp[r], Z[r], Up[r], w[r], a[r], xm[r], latent="onehot",
                                normalization="softmax", xp=xnp)
        for g, want in zip(got, (ref[0], ref[2], ref[3])):
            np.testing.assert_allclose(g[r], want, rtol=0, atol=T * TINY32)
            big = np.abs(want) > 1e-30
            np.testing.assert_array_equal(g[r][big], want[big])


@pytest.mark.parametrize("normalization", ["softmax", "sigmoid_ratio"])
def test_batched_gradient_with_few_visited_states_and_shared_states(normalization):
    # The maximum over the pairs is taken over the visited states only: runs whose chain stays in one
    # or two states, strong fields, ties between pairs. With the (H, sigmoid(H)) given by the caller
    # (the batched loop's shared states) every output is approx_gradient's to the bit, and the returned
    # posteriors are the monitor's exp(ln Abar[x'(t), z]) over the one-hot states, to the bit.
    rng = np.random.default_rng(6)
    R, T, L = 4, 16, 5
    X, Xp, Z, Up, w, a, xm = _gradient_inputs(rng, R, 23, T, 50, L, scale=0.4)
    k = np.zeros((R, T), dtype=int)  # run 0: state 0 only
    k[1] = 3  # run 1: state 3 only
    k[2, ::2] = 4  # run 2: states 0 and 4
    k[3] = rng.integers(0, L, T)
    Z = np.eye(L, dtype=np.float32)[k]
    Up[:, ::3, :] = Up[:, :1, :]  # repeated fields: tied pairs
    assert _subnormal_fraction(X, Z, w, a) == 0
    states = K.visible_states_runs(w, a, xp=xnp)
    got = K.approx_gradient_runs(X, Xp.copy(), Z, Up, w, a, xm, normalization=normalization, xp=xnp,
                                 states=states)
    alone = K.approx_gradient_runs(X, Xp.copy(), Z, Up, w, a, xm, normalization=normalization, xp=xnp)
    eye = np.eye(L, dtype=np.float32)
    for r in range(R):
        ref = K.approx_gradient(X[r], Xp[r], Z[r], Up[r], w[r], a[r], xm[r], latent="onehot",
                                normalization=normalization, xp=xnp)
        for g, h, want in zip(got[:3], alone[:3], (ref[0], ref[2], ref[3])):
            np.testing.assert_array_equal(g[r], want)
            np.testing.assert_array_equal(h[r], want)
        posterior = np.exp(K.log_latent_given_visible(Up[r], eye, "onehot", normalization, xp=xnp))
        np.testing.assert_array_equal(got[3][r], posterior)


def test_visible_states_are_the_identity_product_row_major():
    # H = w^T + a by one addition into a row-major array: visible_fields(eye, w, a)'s values, and the
    # sampler's own sigmoid(w^T + a) (built from a transposed view) to the bit.
    rng = np.random.default_rng(8)
    R, D, L = 3, 37, 5
    w = (4 * rng.normal(size=(R, D, L))).astype(np.float32)
    w[0, :3, 0] = -0.0
    a = rng.normal(size=(R, D)).astype(np.float32)
    H, p = K.visible_states_runs(w, a, xp=xnp)
    assert H.shape == (R, L, D) and H.flags.c_contiguous
    np.testing.assert_array_equal(H, K.visible_fields(np.eye(L, dtype=np.float32), w, a, xp=xnp))
    from skneq._math import sigmoid

    np.testing.assert_array_equal(p, sigmoid(np.swapaxes(w, 1, 2) + a[:, None, :], xp=xnp))


def test_in_place_gumbel_is_gumbel_from_uniform():
    u = np.random.default_rng(9).random((3, 2, 7, 4), dtype=np.float32)
    u[0, 0, 0, :] = [0.0, np.nextafter(np.float32(1), np.float32(0)), 1e-30, 0.5]
    want = gumbel_from_uniform(u, xp=xnp)
    got = gumbel_from_uniform(u, xp=xnp, overwrite=True)
    assert got is u  # in its buffer
    np.testing.assert_array_equal(got, want)


def test_run_axis_sampler_into_a_buffer_and_latent_only():
    # out=: the same Xp, Z, Up written into the given buffer, with x'(0) taken from its own slot T
    # (the batched loop's persistent chains); keep_visible=False: the same latent path and end state.
    rng = np.random.default_rng(2)
    R, C, T, D, L = 3, 2, 11, 30, 4
    f = np.float32
    w = rng.normal(size=(R, D, L)).astype(f)
    a = np.zeros((R, D), f)
    wbar = rng.normal(size=(R, L, D)).astype(f)
    abar = rng.normal(size=(R, L)).astype(f)
    xm = rng.random((R, D)).astype(f)
    ux = rng.random((R, C, T, D), dtype=f)
    g = gumbel_from_uniform(rng.random((R, C, T, L), dtype=f), xp=xnp)
    x0 = (rng.random((R, C, D)) < 0.5).astype(f)
    ref = K.sample_chain_onehot_runs(x0, w, a, wbar, abar, xm, ux, g, normalization="softmax", xp=xnp)
    buf = np.full((R, C, T + 1, D), np.nan, f)
    buf[:, :, T, :] = x0
    got = K.sample_chain_onehot_runs(buf[:, :, T, :], w, a, wbar, abar, xm, ux, g, normalization="softmax",
                                     xp=xnp, out=buf)
    assert got[0] is buf
    for x, y in zip(got, ref):
        np.testing.assert_array_equal(x, y)
    x_end, Z, Up = K.sample_chain_onehot_runs(x0, w, a, wbar, abar, xm, ux, g, normalization="softmax", xp=xnp,
                                              keep_visible=False)
    np.testing.assert_array_equal(x_end, ref[0][:, :, T, :])
    np.testing.assert_array_equal(Z, ref[1])
    np.testing.assert_allclose(Up, ref[2], rtol=1e-5, atol=1e-5)  # the step's own products: round-off only
    assert len(np.unique(Z.argmax(-1))) > 1  # the path moves


def test_rmsprop_in_place_is_optim_step_to_the_bit():
    rng = np.random.default_rng(3)
    shapes = ((5, 20, 3), (5, 3, 20), (5, 3))
    params = tuple(rng.normal(size=s).astype(np.float32) for s in shapes)
    state = _optim.init("rmsprop", params, xp=xnp)
    mine = tuple(p.copy() for p in params)
    my_state = (tuple(s.copy() for s in state[0]),)
    for _ in range(4):
        grads = tuple(rng.normal(size=s).astype(np.float32) for s in shapes)
        params, state = _optim.step("rmsprop", params, grads, state, learning_rate=0.1, decay=0.9, eps=1e-8,
                                    xp=xnp)
        out, out_state = _optim.step("rmsprop", mine, grads, my_state, learning_rate=0.1, decay=0.9, eps=1e-8,
                                     in_place=True, xp=xnp)
        assert out is mine and out_state is my_state  # written in place, nothing allocated
    for p, q in zip(params + state[0], mine + my_state[0]):
        np.testing.assert_array_equal(p, q)


def test_batched_runs_on_mnist_keep_the_separate_generative_weights_to_the_bit(mnist_012):
    # MNIST digits 0-2, T = 48, L = 6: a share of the pair weights underflows (checked on chains of
    # the fitted models), and the flushed gradient still gives the separate fits' generative weights
    # to the bit after 12 updates. The recognition side differs by round-off:
    # the chain's fields x'(t) wbar^T come from a product over T - 1 rows here and over (T - 1) L rows
    # in a separate fit's sampler, which OpenBLAS sums in another order at D = 784 (as before the flush).
    X = np.asarray(mnist_012[0])[::5]
    template = NonequilibriumMarkovMachine(n_iter=2, n_updates_per_epoch=6, n_estimate_steps=600, n_rb_samples=20,
                                           n_bootstrap=4, monitor=False)
    separate = fit_independent_runs(template, X, 3, n_jobs=1, random_state=7)
    batched = fit_independent_runs(template, X, 3, batched=True, n_jobs=1, random_state=7)
    underflow = []
    for s, b in zip(separate, batched):
        np.testing.assert_array_equal(b.generative_weights_, s.generative_weights_)
        np.testing.assert_allclose(b.recognition_weights_, s.recognition_weights_, rtol=0, atol=2e-3)
        np.testing.assert_allclose(b.latent_bias_, s.latent_bias_, rtol=0, atol=2e-3)
        _, Z = s.sample_trajectory(48, random_state=0)
        w = s.generative_weights_.astype(np.float32)[None]
        underflow.append(_subnormal_fraction(X[None, :160].astype(np.float32), Z[None].astype(np.float32), w,
                                             np.zeros((1, 784), np.float32)))
        assert not math.isnan(b.entropy_production_)
    assert max(underflow) > 0.005, underflow


def test_batched_runs_on_every_backend(xpb):
    # The generic path (setitem into the buffers, no NumPy out=): the NumPy batched models in float64
    # to round-off, with the parameters on the input's device (device1 refuses hidden host copies).
    import sklearn

    rng = np.random.default_rng(4)
    protos = (rng.random((3, 20)) < 0.5).astype(float)
    X = np.concatenate([np.abs(p - (rng.random((40, 20)) < 0.05)) for p in protos])
    kw = dict(n_components=3, n_iter=3, n_updates_per_epoch=5, n_steps_per_update=8, n_estimate_steps=200,
              n_rb_samples=16, n_bootstrap=2, dtype="float64")
    ref = fit_independent_runs(NonequilibriumMarkovMachine(**kw), X, 3, batched=True, n_jobs=1, random_state=1)
    with sklearn.config_context(array_api_dispatch=True):
        runs = fit_independent_runs(NonequilibriumMarkovMachine(backend=xpb.name, **kw), xpb.asarray(X), 3,
                                    batched=True, n_jobs=1, random_state=1)
    for r, s in zip(runs, ref):
        assert r.generative_weights_.device == xpb.device and r.chain_state_.device == xpb.device
        for k in ("generative_weights_", "recognition_weights_", "latent_bias_", "latent_transition_matrix_"):
            np.testing.assert_allclose(xpb.to_numpy(getattr(r, k)), getattr(s, k), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(r.history_["entropy_production"], s.history_["entropy_production"], rtol=1e-9)
        assert r.entropy_production_ == pytest.approx(s.entropy_production_, rel=1e-9)


@pytest.mark.parametrize("case", ["chains", "sparse", "fixed_batch", "estimate_blocks"])
def test_batched_runs_equal_separate_fits_with_chains_sparse_or_fixed_batches(case):
    # Paths of the batched loop the tiny equality test does not take: several chains per run (the
    # estimation chains in ceil(n_estimate_steps / C) steps), CSR input (the generic buffers, no
    # in-place NumPy branch), a fixed batch size, and estimation chains in several blocks with a
    # shorter last one (256 + 256 + 88 steps: the block buffers are remade for it). On this tiny model
    # no weight underflows, so the batched models, monitor and estimates are the separate fits' to the bit.
    import scipy.sparse as sp

    rng = np.random.default_rng(5)
    protos = (rng.random((3, 20)) < 0.5).astype(float)
    X = np.concatenate([np.abs(p - (rng.random((40, 20)) < 0.05)) for p in protos])
    kw = dict(n_components=3, n_iter=3, n_updates_per_epoch=5, n_steps_per_update=8, n_estimate_steps=300,
              n_rb_samples=16, n_bootstrap=3)
    kw.update({"chains": {"n_chains": 3}, "sparse": {}, "fixed_batch": {"batch_size": 7},
               "estimate_blocks": {"n_estimate_steps": 600}}[case])
    Xin = sp.csr_matrix(X) if case == "sparse" else X
    template = NonequilibriumMarkovMachine(**kw)
    separate = fit_independent_runs(template, Xin, 3, n_jobs=1, random_state=2)
    batched = fit_independent_runs(template, Xin, 3, batched=True, n_jobs=1, random_state=2)
    for s, b in zip(separate, batched):
        for k in ("generative_weights_", "recognition_weights_", "latent_bias_", "latent_transition_matrix_",
                  "latent_transition_counts_", "chain_state_"):
            np.testing.assert_array_equal(getattr(b, k), getattr(s, k), err_msg=k)
        for x, y in zip(b.optimizer_state_[0], s.optimizer_state_[0]):  # RMSprop's squared-gradient averages
            np.testing.assert_array_equal(x, y)
        for k in ("entropy_production", "mean_self_transition"):
            np.testing.assert_array_equal(b.history_[k], s.history_[k], err_msg=k)
        # The monitored likelihood of all runs comes from one product over their columns (as before).
        np.testing.assert_allclose(b.history_["log_likelihood"], s.history_["log_likelihood"], rtol=1e-6)
        assert (b.entropy_production_, b.entropy_production_std_) == (s.entropy_production_, s.entropy_production_std_)
