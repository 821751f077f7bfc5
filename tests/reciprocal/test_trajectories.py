"""Tests of the training-trajectory analyses of skneq.reciprocal (Toledo-Marin et al. 2025, arXiv:2503.21536).

References are independent: singular values from ``numpy.linalg.svd``, the
rank-2 sign flip written with the SVD by hand, eq. 29 evaluated on the data
mean, random-matrix facts (Marchenko-Pastur bulk, BBP outliers, rotational
invariance of Gaussian matrices) with tolerances justified below.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from skneq.reciprocal import (
    hierarchical_rotation_samples,
    rotate_visible_modes,
    rotation_divergence,
    singular_value_spectra,
    symmetry_breaking_curves,
    training_checkpoints,
)
from skneq.reciprocal import constraint_potential_minimum, jensen_shannon_divergence


def gaussian_rbm(n_visible, n_hidden, sigma, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(0, sigma, (n_hidden, n_visible)), rng.normal(0, 0.1, n_visible), rng.normal(0, 0.1, n_hidden)


def spiked(W, strengths, seed):
    """W plus orthonormal rank-k spikes of the given singular values."""
    rng = np.random.default_rng(seed)
    n_hidden, n_visible = W.shape
    left = np.linalg.qr(rng.normal(size=(n_hidden, len(strengths))))[0]
    right = np.linalg.qr(rng.normal(size=(n_visible, len(strengths))))[0]
    return W + (left * np.asarray(strengths)) @ right.T


# --------------------------------------------------------------------------
# Checkpoints and spectra
# --------------------------------------------------------------------------


def test_training_checkpoints_accepts_history_pairs_and_tuples():
    p0, p1 = gaussian_rbm(6, 3, 0.1, 0), gaussian_rbm(6, 3, 0.1, 1)
    history = [{"epoch": 1, "time": 0.1}, {"epoch": 4, "params": p1}]
    assert [e for e, _ in training_checkpoints(history)] == [4]
    assert [e for e, _ in training_checkpoints([(7, p1), (2, p0)])] == [2, 7]
    assert [e for e, _ in training_checkpoints([p0, p1])] == [0, 1]

    class Fitted:
        initial_params_ = p0
        history_ = history

    epochs = [e for e, _ in training_checkpoints(Fitted())]
    assert epochs == [0, 4]
    with pytest.raises(ValueError, match="checkpoints"):
        training_checkpoints([{"epoch": 1}])
    with pytest.raises(ValueError, match="checkpoint"):
        training_checkpoints("model")


def test_singular_value_spectra_marchenko_pastur_bulk_and_spikes():
    W0, b, c = gaussian_rbm(300, 150, 0.01, seed=0)
    lam_plus = 0.01 * (math.sqrt(300) + math.sqrt(150))
    W1 = spiked(W0, [3 * lam_plus, 2 * lam_plus, 1.6 * lam_plus], seed=1)
    spectra = singular_value_spectra([(0, (W0, b, c)), (10, (W1, b, c))], sigma=0.01)
    np.testing.assert_allclose(spectra.singular_values[0], np.linalg.svd(W0, compute_uv=False), rtol=1e-12)
    assert spectra.shape == (300, 150)
    assert spectra.support[1] == pytest.approx(lam_plus)
    # Eigenvalues of Wishart matrices are rigid (fluctuations ~ 1/K, not the
    # 1/sqrt(K) of i.i.d. samples): 0.05 is far above the K = 150 bulk KS
    # distance yet far below what a wrong law gives (the flat spectrum below).
    assert spectra.ks_distance[0] < 0.05
    # BBP transition: spikes above sqrt(sigma^2 sqrt(NM)) ~ 0.46 lambda_+ pop out; all three here.
    assert spectra.n_outliers.tolist() == [0, 3]
    # sigma measured on the first checkpoint when not given.
    assert singular_value_spectra([(0, (W0, b, c))]).sigma == pytest.approx(W0.std())
    flat = np.linalg.qr(np.random.default_rng(2).normal(size=(300, 150)))[0].T * lam_plus * 0.8
    assert singular_value_spectra([(0, (flat, b, c))], sigma=0.01).ks_distance[0] > 0.3
    assert np.all(spectra.pdf(np.linspace(0, 1, 5)) >= 0)


# --------------------------------------------------------------------------
# Symmetry-breaking curves (Figs. 7-8)
# --------------------------------------------------------------------------


def test_symmetry_curves_data_mean_is_eq29_at_the_data_mean():
    # u and w are affine in (v, h): their data means equal eq. 29 evaluated at
    # <v> = data mean and <h> = mean of p(h=1|v) (hidden="mean"), exactly.
    from skneq.rbm._kernels import hidden_probabilities
    from skneq.reciprocal import ReciprocalSpaceProjector

    W, b, c = gaussian_rbm(20, 8, 0.5, seed=3)
    X = (np.random.default_rng(4).random((50, 20)) < 0.3).astype(float)
    curves = symmetry_breaking_curves([(0, (W, b, c))], X, modes=(0, 2, 5), hidden="mean",
                                      n_chains=10, n_steps=2, random_state=0)
    projector = ReciprocalSpaceProjector.from_parameters(W, b, c)
    P_h = np.asarray(hidden_probabilities(X, W, c, xp=np))
    ref = constraint_potential_minimum(projector.visible_modes_, projector.hidden_modes_, projector.saddle_points_,
                                       X.mean(0), P_h.mean(0))
    np.testing.assert_allclose(curves.data_u_mean[0], np.asarray(ref.u)[[0, 2, 5]], atol=1e-10)
    np.testing.assert_allclose(curves.data_w_mean[0], np.asarray(ref.w)[[0, 2, 5]], atol=1e-10)
    uniform = projector.constraint_minimum()
    np.testing.assert_allclose(curves.constraint_u[0], np.asarray(uniform.u)[[0, 2, 5]], atol=1e-12)
    np.testing.assert_allclose(curves.singular_values[0], np.linalg.svd(W, compute_uv=False)[[0, 2, 5]], rtol=1e-12)


def test_symmetry_curves_same_on_every_backend(xpb):
    W, b, c = gaussian_rbm(12, 5, 0.3, seed=14)
    X = (np.random.default_rng(15).random((30, 12)) < 0.4).astype(float)
    kwargs = dict(modes=(0, 1), n_chains=20, n_steps=3, random_state=0)
    ref = symmetry_breaking_curves([(0, (W, b, c))], X, **kwargs)
    got = symmetry_breaking_curves([(0, tuple(xpb.asarray(a) for a in (W, b, c)))], xpb.asarray(X), **kwargs)
    for name in ("data_u_mean", "gibbs_w_std", "constraint_u", "saddle_y", "singular_values"):
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), atol=1e-9, err_msg=name)


def test_symmetry_curves_at_initialisation_sit_at_eq29_minimum():
    # A freshly initialised RBM (sigma = 0.01) is at infinite temperature
    # relative to its couplings: uniform random data and its Gibbs samples
    # both have <v> = <h> = 1/2, so their mean (u, w) is the eq. 29 minimum,
    # up to the sampling error (4 standard errors).
    W, b, c = gaussian_rbm(64, 16, 0.01, seed=5)
    b, c = np.zeros(64), np.zeros(16)
    X = (np.random.default_rng(6).random((800, 64)) < 0.5).astype(float)
    curves = symmetry_breaking_curves([(0, (W, b, c))], X, modes=(0, 1), n_chains=800, n_steps=5,
                                      gibbs_init="random", random_state=1)
    for source in ("data", "gibbs"):
        for coord in ("u", "w"):
            mean = getattr(curves, f"{source}_{coord}_mean")[0]
            std = getattr(curves, f"{source}_{coord}_std")[0]
            target = getattr(curves, f"constraint_{coord}")[0]
            assert np.all(np.abs(mean - target) < 4 * std / math.sqrt(800)), (source, coord)
            # eq. 52: sigma_x = sigma_y = 1/2, so u and w have spread ~ 1/2.
            np.testing.assert_allclose(std, 0.5, rtol=0.15)


def test_symmetry_breaking_during_rbm_training():
    rbm_module = pytest.importorskip("skneq.rbm")
    rng = np.random.default_rng(7)
    prototypes = (rng.random((2, 36)) < 0.5).astype(float)
    X = np.abs(prototypes[rng.integers(0, 2, 400)] - (rng.random((400, 36)) < 0.05))
    rbm = rbm_module.RBM(n_components=8, n_iter=12, learning_rate=0.05, checkpoints=3, random_state=0).fit(X)
    curves = symmetry_breaking_curves(rbm, X[:200], modes=(0,), n_chains=200, n_steps=50,
                                      random_state=0)
    assert curves.epochs[0] == 0 and curves.epochs.size >= 3
    # Two prototypes: the leading mode learns their difference, its singular
    # value leaves the initial bulk and the data move off the saddle (|u| grows).
    spectra = singular_value_spectra(rbm)
    assert spectra.n_outliers[0] == 0 and spectra.n_outliers[-1] >= 1
    assert curves.singular_values[-1, 0] > 5 * curves.singular_values[0, 0]
    assert curves.data_u_std[-1, 0] > 2 * curves.data_u_std[0, 0]


def test_symmetry_curves_bad_input():
    params = gaussian_rbm(6, 3, 0.1, 0)
    X = np.zeros((4, 6))
    with pytest.raises(ValueError, match="modes"):
        symmetry_breaking_curves([params], X, modes=(3,))
    with pytest.raises(ValueError, match="hidden"):
        symmetry_breaking_curves([params], X, hidden="mode")
    with pytest.raises(ValueError, match="features"):
        symmetry_breaking_curves([params], np.zeros((4, 5)))
    with pytest.raises(ValueError, match="NaN|infinity"):
        symmetry_breaking_curves([params], np.full((4, 6), np.nan))


# --------------------------------------------------------------------------
# Rotational symmetry (Fig. 4) and hierarchical learning (Fig. 6)
# --------------------------------------------------------------------------


def test_rotation_divergence_gaussian_is_at_noise_floor_structured_is_not():
    W, b, c = gaussian_rbm(120, 60, 0.01, seed=8)
    # The floor: JS divergence between two independent Gaussian draws.
    floor = jensen_shannon_divergence(W, gaussian_rbm(120, 60, 0.01, seed=9)[0], bins=100)
    gaussian = rotation_divergence((W, b, c), n_repeats=3, random_state=0)
    # Rotated Gaussian weights are Gaussian in law: within 3x the floor.
    assert gaussian.mean < 3 * floor
    assert gaussian.values.shape == (3,)
    # "Trained-like" weights: a few strong receptive fields on 10 pixels break
    # the symmetry; rotations spread them over all pixels.
    structured = W.copy()
    structured[:5, :10] += 0.2
    assert rotation_divergence((structured, b, c), n_repeats=3, random_state=0).mean > 10 * floor


def test_pi_rotation_flips_the_two_leading_modes_exactly():
    W, b, c = gaussian_rbm(30, 12, 0.2, seed=10)
    W_R = np.asarray(rotate_visible_modes((W, b, c), "pi_top", planes="haar"))
    left, s, right_t = np.linalg.svd(W, full_matrices=False)
    # U -> U diag(-1, -1, 1, ...) turns W into W - 2 sum_{i<2} s_i u_i v_i^T.
    expected = W - 2 * (left[:, :2] * s[:2]) @ right_t[:2]
    np.testing.assert_allclose(W_R, expected, atol=1e-12)


def test_keep_top_rotations_fix_the_leading_modes_and_the_spectrum():
    W, b, c = gaussian_rbm(30, 12, 0.2, seed=11)
    W_R = np.asarray(rotate_visible_modes((W, b, c), "keep_top", n_top=5, planes="haar", random_state=0))
    np.testing.assert_allclose(np.linalg.svd(W_R, compute_uv=False), np.linalg.svd(W, compute_uv=False), rtol=1e-10)
    left, s, right_t = np.linalg.svd(W, full_matrices=False)
    top = (left[:, :5] * s[:5]) @ right_t[:5]
    # The leading rank-5 part is untouched; the rest is changed.
    np.testing.assert_allclose((W_R - W) @ right_t[:5].T, 0.0, atol=1e-12)
    assert np.abs(W_R - W).max() > 1e-3
    np.testing.assert_allclose(W_R @ right_t[:5].T @ right_t[:5], top, atol=1e-12)


def test_leading_mode_rotation_is_global_other_rotations_local():
    W, b, c = gaussian_rbm(49, 10, 0.05, seed=12)
    W = spiked(W, [6.0, 4.0, 3.0, 2.5, 2.0], seed=13)
    flip = hierarchical_rotation_samples((W, b, c), 64, "pi_top", n_steps=30, planes="haar", random_state=0)
    keep = hierarchical_rotation_samples((W, b, c), 64, "keep_top", n_steps=30, planes="haar", random_state=0)
    np.testing.assert_array_equal(flip.hidden, keep.hidden)  # same chains, same seed
    assert flip.original.shape == (64, 49)
    assert flip.mean_abs_change > 5 * keep.mean_abs_change
    with pytest.raises(ValueError, match="how"):
        rotate_visible_modes((W, b, c), "spin")


@pytest.mark.slow
def test_training_breaks_rotational_symmetry_on_mnist(mnist_012):
    from skneq.rbm import RBM

    X, _ = mnist_012
    rbm = RBM(n_components=50, n_iter=10, learning_rate=0.05, checkpoints=4, random_state=0).fit(X)
    initial = rotation_divergence(rbm.initial_params_, n_repeats=2, random_state=0).mean
    trained = rotation_divergence(rbm, n_repeats=2, random_state=0).mean
    # Measured 0.0014 vs 0.068 nats in examples/plot_rbm_landscape.py (M = 50).
    assert trained > 10 * initial
    spectra = singular_value_spectra(rbm)
    assert spectra.ks_distance[0] < 0.1 and spectra.n_outliers[0] == 0
    assert spectra.n_outliers[-1] >= 5
