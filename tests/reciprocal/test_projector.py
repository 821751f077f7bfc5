"""Tests of skneq.reciprocal (Toledo-Marin et al. 2025, arXiv:2503.21536): every expected value is computed
independently here (direct energies, NumPy SVD, scipy quadrature and
histograms, enumeration of all binary states, Gaussian matrices)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.integrate
import scipy.spatial.distance
import scipy.stats
from sklearn.base import BaseEstimator
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from skneq.reciprocal import _kernels as _rm
from skneq.reciprocal import (
    ReciprocalSpaceProjector,
    apply_random_rotations,
    constraint_potential_minimum,
    jensen_shannon_divergence,
    marchenko_pastur_pdf,
    marchenko_pastur_support,
    random_plane_rotation,
    reciprocal_kurtosis,
)

# Round-off budget of float64 products of O(10)-sized matrices.
ATOL = 1e-10


class FakeRBM(BaseEstimator):
    """An already 'fitted' RBM with chosen parameters, implementing the analysis protocol."""

    def __init__(self, components=None, visible=None, hidden=None):
        self.components = components
        self.visible = visible
        self.hidden = hidden
        self.components_ = np.asarray(components, dtype=float)
        self.intercept_visible_ = np.asarray(visible, dtype=float)
        self.intercept_hidden_ = np.asarray(hidden, dtype=float)

    def fit(self, X, y=None):  # pragma: no cover - only used with prefit=True
        return self

    def _parameters(self):
        return self.components_, self.intercept_visible_, self.intercept_hidden_


def random_rbm(n_visible, n_hidden, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return FakeRBM(
        scale * rng.normal(size=(n_hidden, n_visible)), rng.normal(size=n_visible), rng.normal(size=n_hidden)
    )


def direct_energy(rbm, V, H):
    """Eq. 3, E(v, h) = -a.v - b.h - v^T W h, with W = components_.T."""
    return -V @ rbm.intercept_visible_ - H @ rbm.intercept_hidden_ - np.einsum("ni,ji,nj->n", V, rbm.components_, H)


def binary_states(n_samples, n_units, seed):
    return (np.random.default_rng(seed).random((n_samples, n_units)) < 0.5).astype(float)


SHAPES = [(7, 4), (4, 7), (5, 5)]  # N > M, M > N, square


# --------------------------------------------------------------------------
# Decomposition, round trips, energy identity
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_visible,n_hidden", SHAPES)
def test_decomposition_matches_numpy_svd(n_visible, n_hidden):
    rbm = random_rbm(n_visible, n_hidden, seed=1)
    proj = ReciprocalSpaceProjector(rbm, prefit=True).fit(None)
    W = rbm.components_.T
    np.testing.assert_allclose(proj.singular_values_, np.linalg.svd(W, compute_uv=False), rtol=1e-12)
    U, V, s = proj.visible_modes_, proj.hidden_modes_, proj.singular_values_
    np.testing.assert_allclose(U.T @ U, np.eye(n_visible), atol=ATOL)
    np.testing.assert_allclose(V.T @ V, np.eye(n_hidden), atol=ATOL)
    k = min(n_visible, n_hidden)
    np.testing.assert_allclose(U[:, :k] * s @ V[:, :k].T, W, atol=ATOL)
    np.testing.assert_allclose(proj.reciprocal_visible_bias_, U.T @ rbm.intercept_visible_, atol=ATOL)
    np.testing.assert_allclose(proj.reciprocal_hidden_bias_, V.T @ rbm.intercept_hidden_, atol=ATOL)
    # Sign convention: largest |entry| of each coupled visible mode is positive.
    peaks = U[np.argmax(np.abs(U[:, :k]), axis=0), np.arange(k)]
    assert np.all(peaks > 0)
    # Null-space convention: the outside-span bias sits in mode K alone.
    if n_visible > n_hidden:
        a_perp = rbm.intercept_visible_ - U[:, :k] @ (U[:, :k].T @ rbm.intercept_visible_)
        assert proj.reciprocal_visible_bias_[k] == pytest.approx(np.linalg.norm(a_perp), rel=1e-10)
        np.testing.assert_allclose(proj.reciprocal_visible_bias_[k + 1 :], 0.0, atol=ATOL)
    if n_hidden > n_visible:
        b_perp = rbm.intercept_hidden_ - V[:, :k] @ (V[:, :k].T @ rbm.intercept_hidden_)
        assert proj.reciprocal_hidden_bias_[k] == pytest.approx(np.linalg.norm(b_perp), rel=1e-10)
        np.testing.assert_allclose(proj.reciprocal_hidden_bias_[k + 1 :], 0.0, atol=ATOL)


@pytest.mark.parametrize("n_visible,n_hidden", SHAPES)
def test_energy_identity_and_round_trips(n_visible, n_hidden):
    rbm = random_rbm(n_visible, n_hidden, seed=2)
    proj = ReciprocalSpaceProjector(rbm, prefit=True).fit(None)
    V = binary_states(200, n_visible, seed=3)
    H = binary_states(200, n_hidden, seed=4)
    energies = proj.mode_energies(V, H)
    assert energies.shape == (200, max(n_visible, n_hidden))
    np.testing.assert_allclose(energies.sum(axis=1), direct_energy(rbm, V, H), atol=ATOL)
    np.testing.assert_allclose(proj.inverse_transform(proj.transform(V)), V, atol=ATOL)
    np.testing.assert_allclose(proj.inverse_transform_hidden(proj.transform_hidden(H)), H, atol=ATOL)
    # Eq. 16 mode by mode, from x, y computed with NumPy here.
    x, y = V @ proj.visible_modes_, H @ proj.hidden_modes_
    k = min(n_visible, n_hidden)
    a0, b0, s = proj.reciprocal_visible_bias_, proj.reciprocal_hidden_bias_, proj.singular_values_
    expected = -a0[:k] * x[:, :k] - b0[:k] * y[:, :k] - s * x[:, :k] * y[:, :k]
    np.testing.assert_allclose(energies[:, :k], expected, atol=ATOL)
    # Uncoupled modes past K+1 carry no energy (null-space convention).
    np.testing.assert_allclose(energies[:, k + 1 :], 0.0, atol=ATOL)


def _skneq_rbm(**params):
    from skneq.rbm import RBM

    return RBM(**params)


@pytest.mark.parametrize("make_rbm", [BernoulliRBM, _skneq_rbm], ids=["BernoulliRBM", "skneq.RBM"])
def test_energy_identity_with_fitted_rbm(make_rbm):
    X = binary_states(60, 9, seed=5)
    proj = ReciprocalSpaceProjector(make_rbm(n_components=5, n_iter=3, random_state=0)).fit(X)
    H = binary_states(60, 5, seed=6)
    np.testing.assert_allclose(proj.mode_energies(X, H).sum(axis=1), direct_energy(proj.estimator_, X, H), atol=ATOL)


def test_saddle_points_and_rotated_coordinates():
    rbm = random_rbm(6, 4, seed=7)
    proj = ReciprocalSpaceProjector(rbm, prefit=True).fit(None)
    s, a0, b0 = proj.singular_values_, proj.reciprocal_visible_bias_, proj.reciprocal_hidden_bias_
    x0, y0 = proj.saddle_points_[:, 0], proj.saddle_points_[:, 1]
    # The gradient of E_i = -a0 x - b0 y - s x y vanishes at the saddle (eq. 18).
    np.testing.assert_allclose(-a0[:4] - s * y0, 0.0, atol=ATOL)
    np.testing.assert_allclose(-b0[:4] - s * x0, 0.0, atol=ATOL)
    np.testing.assert_allclose(proj.saddle_energies_, -a0[:4] * x0 - b0[:4] * y0 - s * x0 * y0, atol=ATOL)
    V, H = binary_states(50, 6, seed=8), binary_states(50, 4, seed=9)
    u, w = proj.rotated_coordinates(V, H)
    # Eq. 20 reproduces the coupled mode energies of eq. 16.
    eq20 = proj.saddle_energies_ - 0.5 * s * (u**2 - w**2)
    np.testing.assert_allclose(eq20, proj.mode_energies(V, H)[:, :4], atol=1e-9)
    # Eq. 19 maps (u, w) back to (x, y).
    x = proj.transform(V)[:, :4]
    np.testing.assert_allclose(x0 + (u - w) / math.sqrt(2), x, atol=ATOL)


def test_zero_singular_value_has_no_saddle():
    components = np.zeros((3, 5))
    components[0, 0] = 2.0
    components[1, 1] = 1.0  # rank 2 < K = 3
    proj = ReciprocalSpaceProjector(FakeRBM(components, np.ones(5), np.ones(3)), prefit=True).fit(None)
    assert np.all(np.isfinite(proj.saddle_points_[:2]))
    assert np.all(np.isnan(proj.saddle_points_[2])) and np.isnan(proj.saddle_energies_[2])
    V, H = binary_states(20, 5, seed=10), binary_states(20, 3, seed=11)
    np.testing.assert_allclose(proj.mode_energies(V, H).sum(axis=1), direct_energy(proj.estimator_, V, H), atol=ATOL)


def test_constraint_minimum_equals_mean_over_all_states():
    """Eq. 29 / 52: the minimum is the mean reciprocal image of uniform states, checked by enumeration."""
    rbm = random_rbm(5, 3, seed=12)
    proj = ReciprocalSpaceProjector(rbm, prefit=True).fit(None)
    states_v = np.array(list(itertools.product([0.0, 1.0], repeat=5)))
    states_h = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    pairs_v = np.repeat(states_v, len(states_h), axis=0)
    pairs_h = np.tile(states_h, (len(states_v), 1))
    u, w = proj.rotated_coordinates(pairs_v, pairs_h)
    minimum = proj.constraint_minimum()
    np.testing.assert_allclose(minimum.u, u.mean(axis=0), atol=ATOL)
    np.testing.assert_allclose(minimum.w, w.mean(axis=0), atol=ATOL)
    np.testing.assert_allclose(minimum.x, proj.transform(states_v).mean(axis=0), atol=ATOL)
    np.testing.assert_allclose(minimum.y, proj.transform_hidden(states_h).mean(axis=0), atol=ATOL)
    # A data mean instead of 1/2.
    mean_v = np.linspace(0.1, 0.9, 5)
    other = constraint_potential_minimum(proj.visible_modes_, proj.hidden_modes_, proj.saddle_points_, mean_v, 0.5)
    np.testing.assert_allclose(other.x, proj.visible_modes_.T @ mean_v, atol=ATOL)


def test_kernels_agree_on_every_backend(xpb):
    rbm = random_rbm(6, 4, seed=13)
    ref = ReciprocalSpaceProjector(rbm, prefit=True, null_space="lapack").fit(None)
    xp = xpb.xp
    dec = _rm.reciprocal_decomposition(
        xpb.asarray(rbm.components_.T), xpb.asarray(rbm.intercept_visible_), xpb.asarray(rbm.intercept_hidden_), xp=xp
    )
    for got, want in zip(
        dec,
        [ref.visible_modes_, ref.singular_values_, ref.hidden_modes_, ref.reciprocal_visible_bias_,
         ref.reciprocal_hidden_bias_],
    ):
        np.testing.assert_allclose(xpb.to_numpy(got), want, atol=1e-9)
    V, H = binary_states(30, 6, seed=14), binary_states(30, 4, seed=15)
    x = xp.matmul(xpb.asarray(V), dec.visible_modes)
    y = xp.matmul(xpb.asarray(H), dec.hidden_modes)
    energies = _rm.mode_energies(x, y, dec.singular_values, dec.visible_bias, dec.hidden_bias, xp=xp)
    np.testing.assert_allclose(xpb.to_numpy(xp.sum(energies, axis=1)), direct_energy(rbm, V, H), atol=1e-9)


def test_estimator_on_every_backend(xpb):
    if xpb.name == "cupy":
        backend = "cupy"
    elif xpb.name == "numpy":
        backend = "numpy"
    else:
        backend = "array_api_strict"
    rbm = random_rbm(6, 4, seed=16)
    V, H = binary_states(30, 6, seed=17), binary_states(30, 4, seed=18)
    Vb, Hb = xpb.asarray(V), xpb.asarray(H)
    proj = ReciprocalSpaceProjector(rbm, prefit=True, backend=backend).fit(Vb)
    x = proj.transform(Vb)
    assert type(x) is type(Vb)
    np.testing.assert_allclose(xpb.to_numpy(proj.inverse_transform(x)), V, atol=1e-9)
    energies = xpb.to_numpy(proj.mode_energies(Vb, Hb))
    np.testing.assert_allclose(energies.sum(axis=1), direct_energy(rbm, V, H), atol=1e-9)


# --------------------------------------------------------------------------
# sklearn integration
# --------------------------------------------------------------------------


def test_pipeline_feature_names_and_prefit():
    X = binary_states(80, 8, seed=19)
    pipe = make_pipeline(ReciprocalSpaceProjector(BernoulliRBM(n_components=3, n_iter=2, random_state=0)),
                         FunctionTransformer(lambda z: z[:, :2]))
    out = pipe.fit_transform(X)
    assert out.shape == (80, 2)
    proj = pipe[0]
    assert list(proj.get_feature_names_out()) == [f"mode{i}" for i in range(8)]
    rbm = BernoulliRBM(n_components=3, n_iter=2, random_state=0).fit(X)
    pre = ReciprocalSpaceProjector(rbm, prefit=True).fit(X)
    np.testing.assert_allclose(pre.singular_values_, np.linalg.svd(rbm.components_, compute_uv=False))
    assert pre.estimator_ is not rbm


def test_bad_input_raises_value_error():
    X = binary_states(20, 5, seed=20)
    proj = ReciprocalSpaceProjector(BernoulliRBM(n_components=3, n_iter=1, random_state=0)).fit(X)
    with pytest.raises(ValueError, match="NaN|infinity"):
        proj.transform(np.full((2, 5), np.nan))
    with pytest.raises(ValueError, match="features"):
        proj.transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="columns"):
        proj.transform_hidden(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="same number of rows"):
        proj.mode_energies(np.zeros((2, 5)), np.zeros((3, 3)))
    # A fitted non-RBM does not implement the analysis protocol: TypeError, no guessing.
    with pytest.raises(TypeError, match="_parameters"):
        ReciprocalSpaceProjector(FunctionTransformer()).fit(X)
    with pytest.raises(ValueError, match="prefit"):
        ReciprocalSpaceProjector(BernoulliRBM(), prefit="yes").fit(X)
    with pytest.raises(ValueError, match="prefit"):
        ReciprocalSpaceProjector(BernoulliRBM()).fit(None)
    with pytest.raises(ValueError, match="visible_mean"):
        proj.constraint_minimum(visible_mean=1.5)


@parametrize_with_checks([ReciprocalSpaceProjector(BernoulliRBM(n_components=4, n_iter=2, random_state=0))])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------
# Marchenko-Pastur
# --------------------------------------------------------------------------


@pytest.mark.parametrize("shape,sigma", [((400, 200), 0.1), ((200, 400), 0.01), ((300, 300), 1.0), ((784, 3000), 0.01)])
def test_marchenko_pastur_normalised(shape, sigma):
    lower, upper = marchenko_pastur_support(shape, sigma)
    big, small = max(shape), min(shape)
    assert lower == pytest.approx(sigma * (math.sqrt(big) - math.sqrt(small)))
    assert upper == pytest.approx(sigma * (math.sqrt(big) + math.sqrt(small)))
    total, _ = scipy.integrate.quad(lambda s: marchenko_pastur_pdf(s, shape, sigma), lower, upper, limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)
    assert marchenko_pastur_pdf(upper * 1.01, shape, sigma) == 0.0
    assert marchenko_pastur_pdf(-1.0, shape, sigma) == 0.0


def _mp_cdf(points, shape, sigma):
    """CDF of eq. 21 at ``points`` by Simpson's rule on a fine grid (error ~1e-5 at the sqrt edges)."""
    lower, upper = marchenko_pastur_support(shape, sigma)
    grid = np.linspace(lower, upper, 20001)
    cdf = scipy.integrate.cumulative_simpson(marchenko_pastur_pdf(grid, shape, sigma), x=grid, initial=0.0)
    ordered = np.sort(points)
    return ordered, np.interp(ordered, grid, cdf)


@pytest.mark.parametrize("shape", [(400, 200), (200, 200)])
def test_marchenko_pastur_cdf_against_gaussian_matrices(shape):
    sigma = 0.05
    rng = np.random.default_rng(21)
    values = np.concatenate([np.linalg.svd(sigma * rng.normal(size=shape), compute_uv=False) for _ in range(4)])
    grid, cdf = _mp_cdf(values, shape, sigma)
    empirical = np.arange(1, grid.size + 1) / grid.size
    distance = np.max(np.abs(empirical - cdf))
    # 800 singular values. The law is exact as N, M -> infinity; at min(N, M) = 200 the
    # bulk CDF deviates by O(1/min) ~ 0.005 and eigenvalue rigidity keeps random
    # fluctuations far below the i.i.d. Kolmogorov 1% level (1.63/sqrt(800) = 0.058).
    assert distance < 0.02
    # Power check: a 5% error in sigma is detected at this tolerance.
    _, wrong = _mp_cdf(values, shape, 1.05 * sigma)
    assert np.max(np.abs(empirical - wrong)) > 0.02


def test_marchenko_pastur_validation_and_backends(xpb):
    s = xpb.asarray(np.linspace(0.0, 2.0, 11))
    got = xpb.to_numpy(marchenko_pastur_pdf(s, (30, 10), 0.2))
    want = [marchenko_pastur_pdf(float(v), (30, 10), 0.2) for v in np.linspace(0.0, 2.0, 11)]
    np.testing.assert_allclose(got, want, atol=1e-12)
    with pytest.raises(ValueError, match="sigma"):
        marchenko_pastur_pdf(1.0, (3, 2), -1.0)
    with pytest.raises(ValueError, match="shape"):
        marchenko_pastur_support((3, 0), 1.0)
    with pytest.raises(ValueError, match="NaN"):
        marchenko_pastur_pdf(np.array([np.nan]), (3, 2), 1.0)


def test_marchenko_pastur_square_edge_is_quarter_circle():
    # N = M: lambda_- = 0 and the law is the quarter circle of radius 2 sigma sqrt(N).
    n, sigma = 100, 0.3
    radius = 2 * sigma * math.sqrt(n)
    for s in [0.0, 0.5, 2.0, 5.0]:
        want = 4.0 / (math.pi * radius**2) * math.sqrt(max(radius**2 - s * s, 0.0))
        assert marchenko_pastur_pdf(s, (n, n), sigma) == pytest.approx(want, rel=1e-12)


# --------------------------------------------------------------------------
# Rotations and Jensen-Shannon
# --------------------------------------------------------------------------


def test_random_plane_rotation_properties():
    R = random_plane_rotation(7, 0.7, random_state=0)
    np.testing.assert_allclose(R @ R.T, np.eye(7), atol=ATOL)
    assert np.linalg.det(R) == pytest.approx(1.0)
    # Rank 2 rotation: eigenvalues exp(+-0.7 i) and five ones.
    eig = np.linalg.eigvals(R)
    assert np.sum(np.isclose(eig, 1.0)) == 5
    assert np.allclose(sorted(np.angle(eig[~np.isclose(eig, 1.0)])), [-0.7, 0.7])
    assert np.trace(R) == pytest.approx(5 + 2 * math.cos(0.7))
    fixed = random_plane_rotation(7, 1.0, fixed_axes=[0, 3], random_state=1)
    np.testing.assert_allclose(fixed[:, [0, 3]], np.eye(7)[:, [0, 3]], atol=ATOL)
    with pytest.raises(ValueError, match="free axes"):
        random_plane_rotation(3, 1.0, fixed_axes=[0, 1])
    # indices are checked one by one: 2.5 was truncated to axis 2, inf overflowed
    for bad in ([2.5], [float("inf")], [True], [7]):
        with pytest.raises(ValueError, match="fixed_axes must be an integer"):
            random_plane_rotation(7, 1.0, fixed_axes=bad)
    with pytest.raises(ValueError, match="dtype"):
        random_plane_rotation(7, 1.0, dtype="x")


@pytest.mark.parametrize("side", ["left", "right", "both"])
def test_rank_two_updates_equal_dense_products(side, xpb):
    rng = np.random.default_rng(22)
    A = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    p, q = _rm.random_plane_pairs(xpb.asarray(rng.normal(size=(1, 2, 6))), xpb.asarray(np.ones(6)), xp=xpb.xp)
    R = xpb.to_numpy(_rm.plane_rotation_matrix(p[0, :], q[0, :], 0.4, xp=xpb.xp))
    cos_a, sin_a = xpb.asarray(math.cos(0.4)), xpb.asarray(math.sin(0.4))
    got = _rm.rotate_in_plane(xpb.asarray(A), p[0, :], q[0, :], cos_a, sin_a, side=side, xp=xpb.xp)
    want = {"left": R @ A, "right": A @ R.T, "both": R @ A @ R.T}[side]
    np.testing.assert_allclose(xpb.to_numpy(got), want, atol=ATOL)


def test_rotations_keep_orthogonality_and_singular_values():
    rbm = random_rbm(20, 12, seed=23)
    proj = ReciprocalSpaceProjector(rbm, prefit=True).fit(None)
    U = apply_random_rotations(proj.visible_modes_, 5, random_state=0)
    np.testing.assert_allclose(U.T @ U, np.eye(20), atol=ATOL)
    rotated = proj.rotated_components(random_state=0)
    assert rotated.shape == rbm.components_.shape
    np.testing.assert_allclose(np.linalg.svd(rotated, compute_uv=False), proj.singular_values_, atol=ATOL)
    assert not np.allclose(rotated, rbm.components_)
    np.testing.assert_allclose(proj.rotated_components(random_state=3), proj.rotated_components(random_state=3))


def test_jensen_shannon_against_scipy(xpb):
    rng = np.random.default_rng(24)
    a, b = rng.normal(size=3000), rng.normal(0.5, 1.2, size=2000)
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    pa, _ = np.histogram(a, bins=40, range=(lo, hi))
    pb, _ = np.histogram(b, bins=40, range=(lo, hi))
    want = scipy.spatial.distance.jensenshannon(pa, pb) ** 2  # scipy returns the square root
    got = jensen_shannon_divergence(xpb.asarray(a), xpb.asarray(b), bins=40)
    assert got == pytest.approx(want, rel=1e-10)
    assert jensen_shannon_divergence(a, b, bins=40, base=2) == pytest.approx(want / math.log(2), rel=1e-10)
    assert jensen_shannon_divergence(a, a) == 0.0
    assert jensen_shannon_divergence([0.0, 0.0], [5.0, 5.0], base=2) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="bins"):
        jensen_shannon_divergence(a, b, bins=0)
    with pytest.raises(ValueError, match="empty"):
        jensen_shannon_divergence([], b)


def test_rotation_probe_separates_gaussian_from_structured_weights():
    """Sec. 5.1: rotations leave i.i.d. Gaussian weights' distribution unchanged, not structured ones."""
    rng = np.random.default_rng(25)
    n_visible, n_hidden = 120, 60
    gaussian = FakeRBM(0.01 * rng.normal(size=(n_hidden, n_visible)), np.zeros(n_visible), np.zeros(n_hidden))
    # "Trained"-like couplings: a few strong sparse features.
    sparse = np.zeros((n_hidden, n_visible))
    sparse[rng.integers(0, n_hidden, 200), rng.integers(0, n_visible, 200)] = 1.0
    structured = FakeRBM(sparse + 0.001 * rng.normal(size=sparse.shape), np.zeros(n_visible), np.zeros(n_hidden))
    js = {}
    for name, rbm in [("gaussian", gaussian), ("structured", structured)]:
        proj = ReciprocalSpaceProjector(rbm, prefit=True).fit(None)
        js[name] = jensen_shannon_divergence(rbm.components_, proj.rotated_components(random_state=0), bins=50)
    # Gaussian: only histogram noise of 7200 values in 50 bins, ~bins/(4 n) ~ 0.005 nats.
    assert js["gaussian"] < 0.02
    assert js["structured"] > 0.1


# --------------------------------------------------------------------------
# Kurtosis of reciprocal variables (Fig. 3e)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.5, 0.3])
def test_exact_kurtosis_against_enumeration(p):
    rng = np.random.default_rng(26)
    modes = np.linalg.qr(rng.normal(size=(8, 8)))[0][:, :5]
    states = np.array(list(itertools.product([0.0, 1.0], repeat=8)))
    weights = np.prod(np.where(states == 1, p, 1 - p), axis=1)
    x = states @ modes
    mean = weights @ x
    m2 = weights @ (x - mean) ** 2
    m4 = weights @ (x - mean) ** 4
    np.testing.assert_allclose(reciprocal_kurtosis(modes, p=p), m4 / m2**2 - 3, atol=1e-12)


def test_sampled_kurtosis_matches_exact_value():
    rng = np.random.default_rng(27)
    modes = np.linalg.qr(rng.normal(size=(30, 30)))[0][:, :6]
    exact = reciprocal_kurtosis(modes)
    sampled = reciprocal_kurtosis(modes, n_samples=40000, batch_size=7000, random_state=0)
    # Standard error of a sample kurtosis near Gaussian is sqrt(24 / n) = 0.024 for
    # n = 40000; 5 standard errors keeps the fixed-seed test robust yet sharp
    # compared with the exact values (about -0.2 here, far from 0).
    np.testing.assert_allclose(sampled, exact, atol=0.12)
    assert np.all(exact < -0.1)
    np.testing.assert_allclose(
        reciprocal_kurtosis(modes, n_samples=500, random_state=1),
        reciprocal_kurtosis(modes, n_samples=500, random_state=1),
    )
    with pytest.raises(ValueError, match="p must"):
        reciprocal_kurtosis(modes, p=1.0)
    with pytest.raises(ValueError, match="batch_size"):
        reciprocal_kurtosis(modes, batch_size=0)  # checked for the exact path too


def test_kurtosis_on_backends(xpb):
    rng = np.random.default_rng(28)
    modes = np.linalg.qr(rng.normal(size=(10, 10)))[0]
    got = xpb.to_numpy(reciprocal_kurtosis(xpb.asarray(modes)))
    np.testing.assert_allclose(got, -2 * np.sum(modes**4, axis=0), atol=1e-12)
    sampled = xpb.to_numpy(reciprocal_kurtosis(xpb.asarray(modes), n_samples=2000, random_state=0))
    assert sampled.shape == (10,) and np.all(np.isfinite(sampled))


@pytest.mark.slow
def test_kurtosis_of_haar_modes_shrinks_with_size():
    """Fig. 3e: for random couplings E[-2 sum_k V_ki^4] = -6 / (M + 2) -> 0 (Haar columns)."""
    rng = np.random.default_rng(29)
    means = []
    for n_hidden in (50, 200, 800):
        rbm = FakeRBM(0.01 * rng.normal(size=(n_hidden, 784)), np.zeros(784), np.zeros(n_hidden))
        proj = ReciprocalSpaceProjector(rbm, prefit=True).fit(None)
        k = proj.singular_values_.shape[0]
        means.append(float(np.mean(reciprocal_kurtosis(proj.hidden_modes_[:, :k]))))
        # Averaging over the modes: relative spread of sum V^4 is O(1/sqrt(M)).
        assert means[-1] == pytest.approx(-6.0 / (n_hidden + 2), rel=0.15)
    assert means[0] < means[1] < means[2] < 0


@pytest.mark.slow
def test_training_breaks_rotational_symmetry_on_mnist(mnist_012):
    """Sec. 5.1, Fig. 4: random rotations barely move the weight histogram of a
    Gaussian-initialised RBM but clearly move that of a trained one."""
    X = mnist_012[0] if isinstance(mnist_012, tuple) else mnist_012
    trained = ReciprocalSpaceProjector(BernoulliRBM(n_components=100, n_iter=5, learning_rate=0.05, random_state=0))
    trained.fit(X)
    W = trained.estimator_.components_
    rng = np.random.default_rng(30)
    init = FakeRBM(0.01 * rng.normal(size=W.shape), np.zeros(W.shape[1]), np.zeros(W.shape[0]))
    initial = ReciprocalSpaceProjector(init, prefit=True).fit(None)
    js_trained = jensen_shannon_divergence(W, trained.rotated_components(random_state=0))
    js_initial = jensen_shannon_divergence(init.components_, initial.rotated_components(random_state=0))
    # Measured 0.05 vs 0.0005 nats (seed 0); the Gaussian value is pure histogram
    # noise (~bins / (4 n) for n = 78,400 weights), so a factor 10 is a safe margin.
    assert js_trained > 10 * js_initial
    assert js_initial < 0.005
