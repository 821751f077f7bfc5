"""Tests of the nonequilibrium Markov machine (Baiesi & Rosso 2025) against exact answers.

Tiny models (D <= 6 visible units, L <= 3 latent units) are enumerated
exactly: the 2^D x 2^D visible chain ``K = Abar A``, its stationary vector
``p(x)``, the latent matrix ``M = A Abar`` (eq. 3). Everything exact here is
written with plain NumPy in float64, independently of the kernels.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import expit, log_expit, logsumexp

from skneq import _backend
from skneq.nmm import _kernels as K
from skneq._math import gumbel_from_uniform
from skneq.metrics import entropy_production_rate
from skneq.nmm import NonequilibriumMarkovMachine, fit_independent_runs

NORMS = ("softmax", "sigmoid_ratio")


# ----------------------------------------------------------------------------
# Exact enumeration (independent NumPy code)
# ----------------------------------------------------------------------------
def all_binary(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def exact_model(w, a, wbar, abar, x_mean, latent="onehot", normalization="softmax"):
    """Exact A (S, 2^D), Abar (2^D, S), p(x), pbar(z), M for a tiny model."""
    D, L = w.shape
    xs = all_binary(D)
    if latent == "onehot":
        zs = np.eye(L)
    else:
        zs = np.array([[(k >> j) & 1 for j in range(L)] for k in range(2**L)], dtype=float)
    H = zs @ w.T + a  # (S, D)
    logA = xs @ H.T - np.logaddexp(0, H).sum(1)  # (2^D, S): ln A[z, x] (eq. 10)
    U = (xs - x_mean) @ wbar.T + abar  # (2^D, L)
    if latent == "binary":
        logAbar = U @ zs.T - np.logaddexp(0, U).sum(1, keepdims=True)  # eq. 11
    elif normalization == "softmax":
        logAbar = U - logsumexp(U, axis=1, keepdims=True)  # eq. 9
    else:
        s = expit(U)
        logAbar = np.log(s / s.sum(1, keepdims=True))  # eq. 19
    A = np.exp(logA).T  # (S, 2^D)
    Abar = np.exp(logAbar)  # (2^D, S)
    Kx = Abar @ A  # x -> z -> x
    evals, evecs = np.linalg.eig(Kx.T)
    p = np.real(evecs[:, np.argmin(np.abs(evals - 1))])
    p = p / p.sum()
    pbar = p @ Abar
    M = A @ Abar  # eq. 3
    return dict(xs=xs, zs=zs, A=A, Abar=Abar, p=p, pbar=pbar, M=M, logA=logA, logAbar=logAbar, U=U)


def index_of(X):
    """Row index of binary rows of X in all_binary order."""
    D = X.shape[1]
    return (X @ (2.0 ** np.arange(D - 1, -1, -1))).astype(int)


def random_params(rng, D, L, scale=1.5, latent="onehot"):
    w = rng.normal(scale=scale, size=(D, L))
    a = np.zeros(D) if latent == "onehot" else rng.normal(size=D)
    wbar = rng.normal(scale=scale, size=(L, D))
    abar = rng.normal(size=L)
    x_mean = rng.uniform(0.2, 0.8, size=D)
    return w, a, wbar, abar, x_mean


def tiny_data(rng, n=40, D=5):
    protos = np.array([[1, 1, 0, 0, 0, 1][:D], [0, 0, 1, 1, 0, 0][:D], [0, 1, 0, 1, 1, 0][:D]], dtype=float)
    X = protos[rng.integers(0, 3, n)]
    flip = rng.random(X.shape) < 0.1
    return np.abs(X - flip)


# ----------------------------------------------------------------------------
# Kernels
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("normalization", NORMS)
def test_scan_sampler_is_the_sequential_chain(xpb, normalization):
    # Same random numbers -> identical trajectory (float64 so no argmax ties
    # can differ by rounding between the two orders of summation).
    rng = np.random.default_rng(1)
    C, T, D, L = 3, 21, 9, 4
    w, a, wbar, abar, xm = (xpb.asarray(p) for p in random_params(rng, D, L))
    x0 = xpb.asarray((rng.random((C, D)) < 0.5).astype(float))
    ux = xpb.asarray(rng.random((C, T, D)))
    g = gumbel_from_uniform(xpb.asarray(rng.random((C, T, L))), xp=xpb.xp)
    fast = K.sample_chain_onehot(x0, w, a, wbar, abar, xm, ux, g, normalization=normalization, xp=xpb.xp)
    slow = K.sample_chain_sequential(x0, w, a, wbar, abar, xm, ux, g, latent="onehot",
                                     normalization=normalization, xp=xpb.xp)
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(xpb.to_numpy(f), xpb.to_numpy(s), atol=1e-12)
    # The latent path actually moves (the test would be vacuous on a constant chain).
    assert len(np.unique(xpb.to_numpy(fast[1]).argmax(-1))) > 1


@pytest.mark.parametrize("normalization", NORMS)
def test_run_axis_sampler_is_the_scan_per_run(xpb, normalization):
    # The step loop of the batched path realises, run by run, the chain of
    # the prefix scan driven by the same random numbers (float64: no argmax
    # ties), with the same fields.
    rng = np.random.default_rng(3)
    R, C, T, D, L = 3, 2, 13, 9, 4
    params = [random_params(rng, D, L) for _ in range(R)]
    w, a, wbar, abar, xm = (xpb.asarray(np.stack([p[i] for p in params])) for i in range(5))
    x0 = xpb.asarray((rng.random((R, C, D)) < 0.5).astype(float))
    ux = xpb.asarray(rng.random((R, C, T, D)))
    g = gumbel_from_uniform(xpb.asarray(rng.random((R, C, T, L))), xp=xpb.xp)
    runs = K.sample_chain_onehot_runs(x0, w, a, wbar, abar, xm, ux, g, normalization=normalization, xp=xpb.xp)
    for r in range(R):
        one = K.sample_chain_onehot(*(v[r, ...] for v in (x0, w, a, wbar, abar, xm, ux, g)),
                                    normalization=normalization, xp=xpb.xp)
        for got, ref in zip(runs, one):
            np.testing.assert_allclose(xpb.to_numpy(got[r, ...]), xpb.to_numpy(ref), rtol=1e-12, atol=1e-12)
    Z = xpb.to_numpy(runs[1]).argmax(-1)
    assert all(len(np.unique(Z[r])) > 1 for r in range(R))  # the latent paths move
    # T = 1: only x'(0)'s fields.
    one_step = K.sample_chain_onehot_runs(x0, w, a, wbar, abar, xm, ux[:, :, :1, :], g[:, :, :1, :],
                                          normalization=normalization, xp=xpb.xp)
    assert tuple(one_step[0].shape) == (R, C, 2, D) and tuple(one_step[2].shape) == (R, C, 1, L)


@pytest.mark.parametrize("latent,normalization", [("onehot", "softmax"), ("onehot", "sigmoid_ratio"),
                                                  ("binary", "softmax")])
def test_transition_log_probabilities_are_exact(xpb, latent, normalization):
    rng = np.random.default_rng(2)
    D, L = 5, 3
    params = random_params(rng, D, L, latent=latent)
    ex = exact_model(*params, latent=latent, normalization=normalization)
    w, a, wbar, abar, xm = (xpb.asarray(p) for p in params)
    xs, zs = xpb.asarray(ex["xs"]), xpb.asarray(ex["zs"])
    states = K.latent_states(L, latent, xp=xpb.xp, dtype=xs.dtype, device=xpb.device)
    np.testing.assert_array_equal(xpb.to_numpy(states), ex["zs"])
    logA = K.log_visible_given_latent(xs, K.visible_fields(zs, w, a, xp=xpb.xp), xp=xpb.xp)
    np.testing.assert_allclose(xpb.to_numpy(logA), ex["logA"], atol=1e-12)
    U = K.latent_fields(xs, wbar, abar, xm, xp=xpb.xp)
    logAbar = K.log_latent_given_visible(U, zs, latent, normalization, xp=xpb.xp)
    np.testing.assert_allclose(xpb.to_numpy(logAbar), ex["logAbar"], atol=1e-12)
    # Rows of both Markov matrices sum to one (eq. 4).
    np.testing.assert_allclose(ex["A"].sum(1), 1, atol=1e-12)
    np.testing.assert_allclose(ex["Abar"].sum(1), 1, atol=1e-12)


@pytest.mark.parametrize("latent,normalization", [("onehot", "softmax"), ("onehot", "sigmoid_ratio"),
                                                  ("binary", "softmax")])
def test_latent_score_is_the_derivative_of_log_abar(latent, normalization):
    xp = _backend._import_namespace("numpy")
    rng = np.random.default_rng(3)
    L = 4
    U = rng.normal(size=(5, L))
    zs = K.latent_states(L, latent, xp=xp, dtype=np.float64)
    Z = zs[rng.integers(0, zs.shape[0], 5)]
    score = K.latent_score(U, Z, latent, normalization, xp=xp)

    def f(Uv):
        full = K.log_latent_given_visible(Uv, zs, latent, normalization, xp=xp)
        return np.array([full[i, np.flatnonzero((zs == Z[i]).all(1))[0]] for i in range(5)])

    h = 1e-6
    fd = np.stack([(f(U + h * np.eye(L)[b]) - f(U - h * np.eye(L)[b])) / (2 * h) for b in range(L)], axis=1)
    np.testing.assert_allclose(score, fd, atol=1e-7)


def surrogate_objective(theta, X, Xp, Z, theta0, shapes, latent, normalization, x_mean, log_weight):
    """Approximate objective with occupancy and x' held fixed (Sec. III):

    J = mean_n ln sum_t omega_t A_theta[z_t, x_n] Abar_theta[x'_t, z_t] / Abar_theta0[x'_t, z_t].

    Its gradient at theta0 is eqs. 16a-16d / 17.
    """
    def unpack(th):
        out, i = [], 0
        for s in shapes:
            n = int(np.prod(s))
            out.append(th[i:i + n].reshape(s))
            i += n
        return out

    w, a, wbar, abar = unpack(theta)
    _, _, wbar0, abar0 = unpack(theta0)
    H = Z @ w.T + a
    logA = X @ H.T - np.logaddexp(0, H).sum(1)  # (N, T)

    def log_abar(wb, ab):
        U = (Xp - x_mean) @ wb.T + ab
        if latent == "binary":
            return (U * Z).sum(1) - np.logaddexp(0, U).sum(1)
        logits = U if normalization == "softmax" else log_expit(U)
        return (logits * Z).sum(1) - logsumexp(logits, axis=1)

    lw = log_weight + log_abar(wbar, abar) - log_abar(wbar0, abar0)
    return float(np.mean(logsumexp(logA + lw, axis=1)))


@pytest.mark.parametrize("latent,normalization", [("onehot", "softmax"), ("onehot", "sigmoid_ratio"),
                                                  ("binary", "softmax")])
def test_gradient_matches_finite_differences_of_surrogate(latent, normalization):
    xp = _backend._import_namespace("numpy")
    rng = np.random.default_rng(4)
    D, L, T, N = 6, 3, 30, 8
    w, a, wbar, abar, xm = random_params(rng, D, L, scale=0.8, latent=latent)
    X = (rng.random((N, D)) < 0.4).astype(float)
    Xp = (rng.random((T, D)) < 0.5).astype(float)
    zs = K.latent_states(L, latent, xp=xp, dtype=np.float64)
    Z = zs[rng.integers(0, zs.shape[0], T)]
    Up = (Xp - xm) @ wbar.T + abar
    log_weight = rng.normal(size=T)  # unequal pair weights exercise the log_weight path
    grads = K.approx_gradient(X, Xp, Z, Up, w, a, xm, latent=latent, normalization=normalization,
                              log_weight=log_weight, xp=xp)
    shapes = [w.shape, a.shape, wbar.shape, abar.shape]
    theta0 = np.concatenate([p.ravel() for p in (w, a, wbar, abar)])
    lw = log_weight - logsumexp(log_weight)
    J = lambda th: surrogate_objective(th, X, Xp, Z, theta0, shapes, latent, normalization, xm, lw)  # noqa: E731
    h = 1e-6
    fd = np.array([(J(theta0 + h * e) - J(theta0 - h * e)) / (2 * h) for e in np.eye(theta0.size)])
    analytic = np.concatenate([np.ravel(g) for g in grads[:4]])
    # Central differences of a smooth float64 function: error O(h^2) ~ 1e-10.
    np.testing.assert_allclose(analytic, fd, atol=1e-7)
    np.testing.assert_allclose(float(grads[4]), J(theta0), atol=1e-12)


def test_gradient_is_backend_independent(xpb):
    rng = np.random.default_rng(5)
    D, L, T, N = 7, 3, 12, 5
    params = random_params(rng, D, L)
    X = (rng.random((N, D)) < 0.4).astype(float)
    Xp = (rng.random((T, D)) < 0.5).astype(float)
    Z = np.eye(L)[rng.integers(0, L, T)]
    Up = (Xp - params[4]) @ params[2].T + params[3]
    xp_np = _backend._import_namespace("numpy")
    ref = K.approx_gradient(X, Xp, Z, Up, params[0], params[1], params[4], latent="onehot",
                            normalization="softmax", xp=xp_np)
    got = K.approx_gradient(*(xpb.asarray(v) for v in (X, Xp, Z, Up, params[0], params[1], params[4])),
                            latent="onehot", normalization="softmax", xp=xpb.xp)
    for r, g in zip(ref, got):
        np.testing.assert_allclose(xpb.to_numpy(g), r, atol=1e-12)


def test_reversible_tie_is_a_gibbs_sampler():
    # wbar = w^T, abar = c + w^T x_mean: M satisfies detailed balance exactly.
    xp = _backend._import_namespace("numpy")
    rng = np.random.default_rng(6)
    D, L = 5, 3
    w, a, _, _, xm = random_params(rng, D, L)
    c = rng.normal(size=L)
    wbar, abar = K.tie_reversible(w, c, xm, xp=xp)
    ex = exact_model(w, a, wbar, abar, xm)
    flows = ex["pbar"][:, None] * ex["M"]
    np.testing.assert_allclose(flows, flows.T, atol=1e-12)
    assert entropy_production_rate(ex["M"], ex["pbar"]) < 1e-10
    # ... and a generic (untied) model does not satisfy it.
    ex2 = exact_model(*random_params(rng, D, L))
    assert entropy_production_rate(ex2["M"], ex2["pbar"]) > 1e-3


def test_untie_gradient_is_the_chain_rule():
    xp = _backend._import_namespace("numpy")
    rng = np.random.default_rng(7)
    D, L = 4, 3
    gw, gwbar, gabar, xm = rng.normal(size=(D, L)), rng.normal(size=(L, D)), rng.normal(size=L), rng.random(D)
    w, c = rng.normal(size=(D, L)), rng.normal(size=L)
    # Directional derivative of <gwbar, wbar(w, c)> + <gabar, abar(w, c)> + <gw, w>.
    def f(w_, c_):
        wb, ab = K.tie_reversible(w_, c_, xm, xp=xp)
        return (gw * w_).sum() + (gwbar * wb).sum() + (gabar * ab).sum()

    dw, dc = rng.normal(size=(D, L)), rng.normal(size=L)
    h = 1e-6
    fd = (f(w + h * dw, c + h * dc) - f(w - h * dw, c - h * dc)) / (2 * h)
    gw_t, gc_t = K.untie_reversible_gradient(gw, gwbar, gabar, xm, xp=xp)
    assert abs((gw_t * dw).sum() + (gc_t * dc).sum() - fd) < 1e-7


def test_rao_blackwell_samples_average_to_exact_m():
    xp = _backend._import_namespace("numpy")
    rng = np.random.default_rng(8)
    D, L, n = 5, 3, 20000
    params = random_params(rng, D, L)
    ex = exact_model(*params)
    zs = np.eye(L)
    P = K.latent_posterior_samples(zs, *params, rng.random((L, n, D)), zs, latent="onehot",
                                   normalization="softmax", xp=xp)
    M = P.mean(1)
    # Each entry is a mean of n values in [0, 1]: std <= 0.5 / sqrt(n) = 0.0035; 5 sigma.
    np.testing.assert_allclose(M, ex["M"], atol=0.018)


def test_init_columns_are_logits_of_subset_means():
    xp = _backend._import_namespace("numpy")
    rng = np.random.default_rng(9)
    X = (rng.random((200, 30)) < 0.3).astype(float)
    w = K.init_generative_weights(X, 4, rng.random((200, 4)), xp=xp)
    means = expit(w)
    # Each column is the mean of exactly 20 rows (10 % of 200), clipped at 1e-3.
    np.testing.assert_allclose(np.clip(means * 20, 0, 20), np.round(means * 20), atol=0.03)
    assert len({tuple(np.round(m, 6)) for m in means.T}) == 4  # different subsets


# ----------------------------------------------------------------------------
# Estimator on tiny exact models
# ----------------------------------------------------------------------------
def _fitted_tiny(rng_seed=0, **kw):
    rng = np.random.default_rng(rng_seed)
    X = tiny_data(rng)
    params = dict(n_components=3, n_iter=6, n_updates_per_epoch=20, n_steps_per_update=16, batch_size=8,
                  n_estimate_steps=40000, n_rb_samples=3000, n_bootstrap=20, random_state=rng_seed)
    params.update(kw)
    return X, NonequilibriumMarkovMachine(**params).fit(X)


def _exact_of(model):
    f = lambda v: _backend.to_numpy(v).astype(np.float64)  # noqa: E731
    return exact_model(f(model.generative_weights_), f(model.visible_bias_), f(model.recognition_weights_),
                       f(model.latent_bias_), f(model.visible_mean_), latent=model.latent,
                       normalization=model.onehot_normalization)


@pytest.mark.parametrize("normalization", NORMS)
def test_score_samples_matches_exact_stationary_vector(normalization):
    X, m = _fitted_tiny(onehot_normalization=normalization)
    ex = _exact_of(m)
    exact = np.log(ex["p"][index_of(X)])
    # pbar estimated on 40000 steps: relative error ~1e-2 on each state, so
    # ln p(x) is within ~0.03 nats; 0.06 leaves 2 sigma.
    np.testing.assert_allclose(m.score_samples(X), exact, atol=0.06)
    assert abs(m.score(X) - exact.mean()) < 0.06
    np.testing.assert_allclose(_backend.to_numpy(m.latent_occupancy_), ex["pbar"], atol=0.02)
    # Rao-Blackwellised M with 3000 samples per row: std <= 0.009; 4 sigma.
    np.testing.assert_allclose(_backend.to_numpy(m.latent_transition_matrix_), ex["M"], atol=0.04)
    # Counts on 40000 steps: same tolerance (rows visited >= ~5000 times).
    C = _backend.to_numpy(m.latent_transition_counts_)
    np.testing.assert_allclose(C / C.sum(axis=1, keepdims=True), ex["M"], atol=0.04)


def test_binary_latent_score_matches_exact():
    X, m = _fitted_tiny(latent="binary", n_components=2, n_chains=4)
    ex = _exact_of(m)
    np.testing.assert_allclose(m.score_samples(X), np.log(ex["p"][index_of(X)]), atol=0.06)
    assert m.latent_states_.shape == (4, 2)
    P = m.transform(X)
    assert P.shape == (X.shape[0], 2) and np.all((P > 0) & (P < 1))


def test_sample_matches_stationary_marginals():
    X, m = _fitted_tiny()
    S, Z = m.sample(20000, return_latent=True, random_state=1)
    pbar = _backend.to_numpy(m.latent_occupancy_)
    # Latent frequencies follow pbar: std <= 0.5/sqrt(2e4) = 0.0035; 5 sigma.
    np.testing.assert_allclose(Z.mean(0), pbar, atol=0.018)
    mu = expit(np.eye(3) @ m.generative_weights_.T + m.visible_bias_)
    np.testing.assert_allclose(S.mean(0), pbar @ mu, atol=0.018)
    assert set(np.unique(S)) <= {0.0, 1.0}


def test_sample_trajectory_follows_the_chain():
    X, m = _fitted_tiny()
    Xs, Zs = m.sample_trajectory(30000, random_state=3)
    assert Xs.shape == (30000, X.shape[1]) and Zs.shape == (30000, 3)
    labels = Zs.argmax(1)
    counts = np.zeros((3, 3))
    np.add.at(counts, (labels[:-1], labels[1:]), 1)
    M_emp = counts / counts.sum(1, keepdims=True)
    # ~10^4 transitions per row: std <= 0.005; 0.03 is 6 sigma.
    np.testing.assert_allclose(M_emp, _exact_of(m)["M"], atol=0.03)


def test_sample_trajectory_init_is_one_state():
    X, m = _fitted_tiny()
    a, _ = m.sample_trajectory(4, init=X[0], random_state=1)
    b, _ = m.sample_trajectory(4, init=X[:1].tolist(), random_state=1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[0], X[0])  # x'(0) is the given state
    # two states are refused by name (they used to be read as one state of
    # 2 * n_features and reported as "X has 2D features")
    with pytest.raises(ValueError, match=rf"init must be one visible state.*got shape \(2, {X.shape[1]}\)"):
        m.sample_trajectory(4, init=X[:2])


def test_transform_is_eq19_or_softmax():
    for norm in NORMS:
        X, m = _fitted_tiny(onehot_normalization=norm, n_iter=2)
        P = m.transform(X)
        ex = _exact_of(m)
        np.testing.assert_allclose(P, ex["Abar"][index_of(X)], atol=1e-5)
        np.testing.assert_allclose(P.sum(1), 1, atol=1e-5)


def test_reversible_control_has_zero_entropy_production():
    X, m = _fitted_tiny(reversible=True, n_rb_samples=4000, n_bootstrap=30)
    ex = _exact_of(m)
    # Exact: detailed balance holds for every trained reversible model.
    assert entropy_production_rate(ex["M"], ex["pbar"]) < 1e-6
    np.testing.assert_allclose(_backend.to_numpy(m.recognition_weights_), m.generative_weights_.T)
    # Estimated: zero within the statistical error (bootstrap std; 4 sigma,
    # the estimator is biased upward by O(1/n) because sigma >= 0).
    assert m.entropy_production_ < 4 * m.entropy_production_std_ + 1e-3
    # The same training without the tie is irreversible.
    _, m2 = _fitted_tiny(n_rb_samples=4000, n_bootstrap=30)
    assert m2.entropy_production_ > 10 * m2.entropy_production_std_


def test_approx_fixed_point_is_near_exact_maximum():
    """Sec. III: where the approximate gradient vanishes, so (nearly) does the
    exact one. Both are computed by enumeration (D=4, L=2, no sampling)."""
    xp = _backend._import_namespace("numpy")
    rng = np.random.default_rng(11)
    D, L = 4, 2
    # Every pattern present (random multiplicities): a full-support target.
    X = np.repeat(all_binary(D), rng.integers(1, 6, 2**D), axis=0)
    xm = X.mean(0)
    zs = np.eye(L)
    w, wbar, abar = rng.normal(size=(D, L)), rng.normal(size=(L, D)), np.zeros(L)
    a = np.zeros(D)

    def exact_ll(w_, wbar_, abar_):
        ex = exact_model(w_, a, wbar_, abar_, xm)
        return np.mean(np.log(ex["p"][index_of(X)]))

    def approx_grad(w_, wbar_, abar_):
        ex = exact_model(w_, a, wbar_, abar_, xm)
        xs = ex["xs"]
        # All pairs (x', z) with weight p(x') Abar[x', z]: the exact model average.
        Xp = np.repeat(xs, L, axis=0)
        Z = np.tile(zs, (xs.shape[0], 1))
        lw = np.log(np.maximum((ex["p"][:, None] * ex["Abar"]).ravel(), 1e-300))
        Up = (Xp - xm) @ wbar_.T + abar_
        gw, _, gwb, gab, _ = K.approx_gradient(X, Xp, Z, Up, w_, a, xm, latent="onehot",
                                               normalization="softmax", log_weight=lw, xp=xp)
        return gw, gwb, gab

    def exact_grad(w_, wbar_, abar_, h=1e-5):
        theta = np.concatenate([w_.ravel(), wbar_.ravel(), abar_])
        def f(th):
            return exact_ll(th[: D * L].reshape(D, L), th[D * L: 2 * D * L].reshape(L, D), th[2 * D * L:])
        return np.array([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])

    g0 = np.linalg.norm(exact_grad(w, wbar, abar))
    ll0 = exact_ll(w, wbar, abar)
    lr = 2.0
    for _ in range(1000):
        gw, gwb, gab = approx_grad(w, wbar, abar)
        w, wbar, abar = w + lr * gw, wbar + lr * gwb, abar + lr * gab
    g_approx = np.linalg.norm(np.concatenate([gw.ravel(), gwb.ravel(), gab]))
    g_exact = np.linalg.norm(exact_grad(w, wbar, abar))
    # Measured: g_approx / g0 = 2.9e-3 and g_exact / g0 = 2.9e-3 after 1000
    # steps (at the start the two differ by 0.7 %); a wrong wbar/abar gradient
    # would stop at a point where the exact gradient is O(g0).
    assert exact_ll(w, wbar, abar) > ll0 + 0.1
    assert g_approx < 0.01 * g0
    assert g_exact < 0.01 * g0, (g_exact, g0)


# ----------------------------------------------------------------------------
# API, validation, backends
# ----------------------------------------------------------------------------
def test_bad_input_raises_value_error():
    rng = np.random.default_rng(12)
    X = tiny_data(rng)
    m = NonequilibriumMarkovMachine(n_components=2, n_iter=1, n_updates_per_epoch=2, n_steps_per_update=4,
                                    n_estimate_steps=50, n_rb_samples=5, n_bootstrap=0)
    with pytest.raises(ValueError, match="[Nn]on-binary"):
        m.fit(X * 0.5)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        m.fit(bad)
    with pytest.raises(ValueError):
        m.fit(np.zeros((0, 5)))
    m.fit(X)
    with pytest.raises(ValueError, match="features"):
        m.score_samples(X[:, :3])
    with pytest.raises(ValueError, match="greater than 1"):
        m.transform(X + 2)
    # The positive_only tag promises scikit-learn's wording for negative input.
    with pytest.raises(ValueError, match="Negative values in data"):
        m.fit(X - 1)
    with pytest.raises(ValueError, match="Negative values in data"):
        m.score_samples(-X)
    with pytest.raises(ValueError, match="sigmoid"):
        NonequilibriumMarkovMachine(reversible=True, onehot_normalization="sigmoid_ratio").fit(X)
    with pytest.raises(ValueError, match="batch_size"):
        NonequilibriumMarkovMachine(batch_size=(16, 0)).fit(X)
    with pytest.raises(ValueError, match="n_samples"):
        m.sample(0)


def test_partial_fit_continues_and_history_is_recorded():
    rng = np.random.default_rng(13)
    X = tiny_data(rng)
    m = NonequilibriumMarkovMachine(n_components=3, n_iter=2, n_updates_per_epoch=5, n_steps_per_update=8,
                                    n_estimate_steps=200, n_rb_samples=20, n_bootstrap=0, random_state=0)
    m.fit(X)
    assert m.n_iter_ == 2 and m.n_updates_ == 10
    w = m.generative_weights_.copy()
    m.partial_fit(X)
    assert m.n_iter_ == 3 and m.n_updates_ == 15
    assert not np.allclose(w, m.generative_weights_)
    for key in ("log_likelihood", "entropy_production", "mean_self_transition", "batch_size", "time"):
        assert len(m.history_[key]) == 3
    assert all(np.isfinite(m.history_["log_likelihood"]))
    # batch-size schedule grows linearly 16 -> 160 over n_iter * n_updates_per_epoch.
    assert m.history_["batch_size"][0] < m.history_["batch_size"][1] == 160
    # Same seed, same result.
    m2 = NonequilibriumMarkovMachine(**m.get_params()).fit(X)
    m3 = NonequilibriumMarkovMachine(**m.get_params()).fit(X)
    np.testing.assert_array_equal(m2.generative_weights_, m3.generative_weights_)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_training_increases_likelihood(optimizer):
    rng = np.random.default_rng(14)
    X = tiny_data(rng, n=60)
    lr = {"sgd": 0.05, "adam": 0.05, "rmsprop": 0.05}[optimizer]
    m = NonequilibriumMarkovMachine(n_components=3, n_iter=8, n_updates_per_epoch=15, n_steps_per_update=16, batch_size=16,
                                    optimizer=optimizer, learning_rate=lr, n_estimate_steps=5000,
                                    n_rb_samples=50, n_bootstrap=0, random_state=0).fit(X)
    h = m.history_["log_likelihood"]
    # Baseline: the best independent-pixel model (closed form). Three
    # prototypes with 10 % flips are far from independent, so a trained
    # 3-state mixture beats it clearly (measured margin ~0.6 nats).
    mean = X.mean(0)
    ll_indep = np.mean(X @ np.log(mean) + (1 - X) @ np.log1p(-mean))
    assert h[-1] > h[0] + 0.1, h
    assert m.score(X) > ll_indep + 0.3, (m.score(X), ll_indep)


def test_fit_on_array_api_strict_device1_without_host_copies():
    strict = pytest.importorskip("array_api_strict")
    import sklearn

    dev = strict.Device("device1")
    rng = np.random.default_rng(15)
    X = tiny_data(rng)
    X_dev = strict.asarray(X, device=dev)
    params = dict(n_components=3, n_iter=2, n_updates_per_epoch=4, n_steps_per_update=8, n_estimate_steps=100,
                  n_rb_samples=10, n_bootstrap=2, random_state=0)
    m = NonequilibriumMarkovMachine(backend="array_api_strict", dtype="float64", **params)
    with sklearn.config_context(array_api_dispatch=True):
        m.fit(X_dev)
        P = m.transform(X_dev)
        log_p = m.score_samples(X_dev)
        S = m.sample(3)
        Xs, Zs = m.sample_trajectory(5)
    assert P.device == dev and log_p.device == dev and S.device == dev and Xs.device == dev
    assert m.generative_weights_.device == dev
    ref = NonequilibriumMarkovMachine(dtype="float64", **params).fit(X)
    np.testing.assert_allclose(_backend.to_numpy(m.generative_weights_), ref.generative_weights_, atol=1e-10)


def test_fit_independent_runs_reproducible():
    rng = np.random.default_rng(16)
    X = tiny_data(rng)
    template = NonequilibriumMarkovMachine(n_components=2, n_iter=1, n_updates_per_epoch=3, n_steps_per_update=4,
                                           n_estimate_steps=50, n_rb_samples=5, n_bootstrap=0)
    runs = fit_independent_runs(template, X, 3, n_jobs=1, random_state=0)
    again = fit_independent_runs(template, X, 3, n_jobs=1, random_state=0)
    assert len(runs) == 3
    assert len({r.random_state for r in runs}) == 3
    for r, s in zip(runs, again):
        np.testing.assert_array_equal(r.generative_weights_, s.generative_weights_)


def test_dominant_cycle_reads_a_noisy_permutation():
    from skneq.nmm import dominant_cycle

    # 0 -> 2 -> 1 -> 0 with 10 % leakage and state 3 transient (-> 2).
    M = np.array([[0.05, 0.05, 0.85, 0.05],
                  [0.85, 0.05, 0.05, 0.05],
                  [0.05, 0.85, 0.05, 0.05],
                  [0.05, 0.05, 0.85, 0.05]])
    assert dominant_cycle(M, start=3) == [2, 1, 0]
    cyc = dominant_cycle(M)
    assert sorted(cyc) == [0, 1, 2] and cyc[(cyc.index(0) + 1) % 3] == 2


def test_latent_class_assignment_matches_prototypes():
    from skneq.nmm import latent_class_assignment

    X, m = _fitted_tiny(n_iter=8)
    protos = np.array([[1, 1, 0, 0, 0], [0, 0, 1, 1, 0], [0, 1, 0, 1, 1]], dtype=float)
    y = np.argmin(((X[:, None, :] - protos[None]) ** 2).sum(-1), axis=1)
    labels, classes = latent_class_assignment(m, X, y)
    assert list(classes) == [0, 1, 2] and labels.shape == (3,)
    # Each state's mean image is nearest (among the class means) to its label's mean.
    images = expit(np.eye(3) @ m.generative_weights_.T + m.visible_bias_)
    means = np.stack([X[y == c].mean(0) for c in classes])
    for s in range(3):
        d = ((images[s] - means) ** 2).sum(1)
        assert labels[s] == classes[np.argmin(d)]


# ----------------------------------------------------------------------------
# Glossary, random streams, monitoring, sparse input, memory, threads
# ----------------------------------------------------------------------------
def _prototype_data(n_per_class, D, noise=(0.05, 0.05, 0.05), seed=0):
    """Three binary prototypes with pixel-flip noise, sorted by class (as MNIST loaders return them)."""
    rng = np.random.default_rng(seed)
    protos = (rng.random((3, D)) < 0.5).astype(float)
    return np.concatenate([np.abs(p - (rng.random((n_per_class, D)) < q)) for p, q in zip(protos, noise)])


_SMALL = dict(n_components=3, n_iter=3, n_updates_per_epoch=5, n_steps_per_update=8, n_estimate_steps=200,
              n_rb_samples=16, n_bootstrap=0, random_state=0)


def _params(m):
    return [_backend.to_numpy(getattr(m, k)) for k in ("generative_weights_", "visible_bias_",
                                                       "recognition_weights_", "latent_bias_")]


def test_sticky_latent_states_do_not_crash_the_fit():
    """Reversible control, learning_rate=0.5: states become sticky (M entries ~1e-17).

    On 76e33ea this fit raised "M has no unique stationary distribution"
    (the linear solve of p (I - M) = 0 lost the 1e-17 entries).
    """
    X = _prototype_data(100, 300)
    m = NonequilibriumMarkovMachine(n_components=3, reversible=True, learning_rate=0.5, n_iter=10,
                                    n_updates_per_epoch=10, n_steps_per_update=16, n_estimate_steps=200,
                                    n_rb_samples=16, n_bootstrap=0, random_state=0).fit(X)
    M = _backend.to_numpy(m.latent_transition_matrix_)
    assert np.all(np.isfinite(M)) and np.isfinite(m.entropy_production_)


def test_monitor_does_not_change_the_fit():
    X = _prototype_data(40, 20)
    on = NonequilibriumMarkovMachine(monitor=True, **_SMALL).fit(X)
    off = NonequilibriumMarkovMachine(monitor=False, **_SMALL).fit(X)
    for a, b in zip(_params(on), _params(off)):
        np.testing.assert_array_equal(a, b)
    assert on.entropy_production_ == off.entropy_production_
    assert np.isfinite(on.history_["log_likelihood"]).all() and np.isnan(off.history_["log_likelihood"]).all()
    assert on.history_["epoch"] == [1, 2, 3] and on.history_["n_updates"] == [5, 10, 15]
    assert len({len(v) for v in on.history_.values()}) == 1


def test_history_log_likelihood_uses_a_subset_covering_every_class():
    """3000 class-sorted rows, the last class much noisier (lower likelihood).

    ``X[:2000]`` (76e33ea) never sees that class: its record is ~7 nats per
    sample too high (entropy 50 H(0.3) = 30.5 vs 50 H(0.05) = 9.9 nats). A
    random subset of 2000 of the 3000 rows has a mean within ~0.2 nats of
    the full mean (per-row spread ~10 nats, finite-population correction),
    plus the difference of the epoch's occupancy from the final one.
    """
    X = _prototype_data(1000, 50, noise=(0.05, 0.05, 0.3))
    m = NonequilibriumMarkovMachine(n_components=3, n_iter=4, n_updates_per_epoch=30, n_steps_per_update=16,
                                    n_estimate_steps=2000, n_rb_samples=64, n_bootstrap=0, random_state=0).fit(X)
    assert m.history_["log_likelihood"][-1] == pytest.approx(m.score(X), abs=1.5)


@pytest.mark.parametrize("fmt", ["csr", "csc", "lil"])
def test_sparse_input_gives_the_dense_numbers(fmt):
    import scipy.sparse as sp

    X = _prototype_data(40, 20)
    Xs = sp.csr_matrix(X).asformat(fmt)
    dense = NonequilibriumMarkovMachine(**_SMALL).fit(X)
    sparse = NonequilibriumMarkovMachine(**_SMALL).fit(Xs)
    for a, b in zip(_params(dense), _params(sparse)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(dense.score_samples(X), sparse.score_samples(Xs))
    np.testing.assert_array_equal(dense.transform(X), dense.transform(Xs))


def test_methods_work_in_chunks_with_the_same_numbers():
    from sklearn import config_context

    X = _prototype_data(200, 30)
    m = NonequilibriumMarkovMachine(**_SMALL).fit(X)
    whole_ll, whole_t = m.score_samples(X), m.transform(X)
    with config_context(working_memory=0.001):  # ~260 bytes per chunk: a few rows at a time
        np.testing.assert_allclose(m.score_samples(X), whole_ll, rtol=1e-12)
        # float32 products: chunks change the BLAS blocking, so agreement is to float32 round-off.
        np.testing.assert_allclose(m.transform(X), whole_t, rtol=0, atol=1e-6)
        assert m.sample(50).shape == (50, 30)


def test_same_seed_same_model_whatever_the_blas_thread_count():
    from threadpoolctl import threadpool_limits

    # D = 784 and batches of 160: products large enough for OpenBLAS to thread
    # (on 76e33ea the weights then differ by 0.6 after 30 updates).
    X = _prototype_data(100, 784)
    fits = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            fits.append(NonequilibriumMarkovMachine(n_components=6, batch_size=160, n_iter=3, n_updates_per_epoch=10,
                                                    n_estimate_steps=500, n_rb_samples=32, n_bootstrap=0,
                                                    random_state=0).fit(X))
    for a, b in zip(_params(fits[0]), _params(fits[1])):
        np.testing.assert_array_equal(a, b)


def test_method_random_state_none_advances_and_explicit_seed_repeats():
    X = _prototype_data(40, 20)
    m = NonequilibriumMarkovMachine(**_SMALL).fit(X)
    first, second = m.sample(50), m.sample(50)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(m.sample(50, random_state=3), m.sample(50, random_state=3))
    a, _ = m.sample_trajectory(30)
    b, _ = m.sample_trajectory(30)
    assert not np.array_equal(a, b)
    # The sequence fit -> calls is reproducible from random_state.
    m2 = NonequilibriumMarkovMachine(**_SMALL).fit(X)
    np.testing.assert_array_equal(m2.sample(50), first)
    with pytest.raises(ValueError, match="n_samples"):
        m.sample(2.7)


def test_feature_names_and_exact_protocol():
    X = _prototype_data(40, 6)
    m = NonequilibriumMarkovMachine(**_SMALL).fit(X)
    assert list(m.get_feature_names_out()) == [f"nonequilibriummarkovmachine{k}" for k in range(3)]
    P, p = m._exact_transition_matrix()
    assert p is None and P.shape == (3, 3)
    np.testing.assert_allclose(np.asarray(P).sum(axis=1), 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="kernel"):
        m._exact_transition_matrix("joint")
    with pytest.raises(ValueError, match="beta"):
        m._exact_transition_matrix("latent", 0.5)


def test_detailed_balance_violation_refuses_a_fitted_pca():
    from sklearn.decomposition import PCA

    from skneq.thermodynamics import detailed_balance_violation

    X = _prototype_data(40, 6)
    with pytest.raises(TypeError, match="PCA"):
        detailed_balance_violation(PCA(n_components=2).fit(X))
    m = NonequilibriumMarkovMachine(**_SMALL).fit(X)
    assert detailed_balance_violation(m) > 0


def test_fit_independent_runs_uses_child_seeds():
    X = _prototype_data(20, 8)
    template = NonequilibriumMarkovMachine(**{**_SMALL, "n_iter": 1})
    runs = fit_independent_runs(template, X, 3, n_jobs=1, random_state=5)
    assert [r.random_state for r in runs] == _backend.child_seeds(5, 3)
    with pytest.raises(ValueError, match="n_runs"):
        fit_independent_runs(template, X, 2.5)


@pytest.mark.parametrize("kw", [{}, {"reversible": True}, {"optimizer": "adam", "onehot_normalization": "sigmoid_ratio"}])
def test_batched_runs_equal_separate_fits(kw):
    """One array program over a leading run axis, each run with its own streams.

    On this tiny model the batched products sum in the same order, so the
    models are the separate fits to round-off (here bitwise); each is usable alone.
    """
    X = _prototype_data(40, 20)
    template = NonequilibriumMarkovMachine(**{**_SMALL, "random_state": None, **kw})
    separate = fit_independent_runs(template, X, 3, n_jobs=1, random_state=1)
    batched = fit_independent_runs(template, X, 3, batched=True, n_jobs=1, random_state=1)
    for s, b in zip(separate, batched):
        for x, y in zip(_params(s), _params(b)):
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
        assert b.random_state == s.random_state and b.n_updates_ == s.n_updates_ == 15
        np.testing.assert_allclose(b.history_["log_likelihood"], s.history_["log_likelihood"], rtol=1e-6)
        assert b.entropy_production_ == pytest.approx(s.entropy_production_, rel=1e-6, abs=1e-12)
        np.testing.assert_allclose(b.score_samples(X), s.score_samples(X), rtol=1e-6)
    with pytest.raises(ValueError, match="onehot"):
        fit_independent_runs(NonequilibriumMarkovMachine(latent="binary", n_components=2), X, 2, batched=True)


def test_batched_runs_split_over_workers_are_the_same_models():
    # n_jobs=2 trains runs [0, 2) and [2, 3) as two batches in two workers:
    # a run's model does not depend on which runs share its batch (every
    # product and reduction is per run), so the result is bitwise the same.
    X = _prototype_data(40, 20)
    template = NonequilibriumMarkovMachine(**{**_SMALL, "random_state": None})
    one = fit_independent_runs(template, X, 3, batched=True, n_jobs=1, random_state=2)
    split = fit_independent_runs(template, X, 3, batched=True, n_jobs=2, random_state=2)
    assert [m.random_state for m in split] == [m.random_state for m in one]
    for a, b in zip(one, split):
        for x, y in zip(_params(a), _params(b)):
            np.testing.assert_array_equal(x, y)
        assert a.entropy_production_ == b.entropy_production_
        # The monitor's one product over every run's columns may sum in another
        # order for another number of runs (it never feeds training): round-off only.
        np.testing.assert_allclose(a.history_["log_likelihood"], b.history_["log_likelihood"], rtol=1e-13)
