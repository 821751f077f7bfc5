"""The theory side of Toledo-Marin et al. (2025, arXiv:2503.21536), eqs. 22-56, against
exact enumeration of every binary state of small models (explicit Python loops here) and
closed forms."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from skneq.reciprocal import (
    ReciprocalSpaceProjector,
    critical_mode_counts,
    critical_singular_value,
    harmonic_constraint_potential,
    landau_free_energy,
    reciprocal_log_partition,
    reciprocal_moments,
    saddle_point_equations,
)

SHAPES = [(5, 3), (3, 5), (4, 4)]


def params(n_visible, n_hidden, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return scale * rng.normal(size=(n_hidden, n_visible)), rng.normal(size=n_visible), rng.normal(size=n_hidden)


def designed(singular_values, n_visible, n_hidden, seed, bias_scale=0.0):
    """Components (M, N) with chosen singular values and Haar singular vectors."""
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.normal(size=(n_visible, n_visible)))[0]
    V = np.linalg.qr(rng.normal(size=(n_hidden, n_hidden)))[0]
    k = len(singular_values)
    W_paper = (U[:, :k] * np.asarray(singular_values)) @ V[:, :k].T
    return W_paper.T, bias_scale * rng.normal(size=n_visible), bias_scale * rng.normal(size=n_hidden)


def all_states(n):
    return [np.array(bits, dtype=float) for bits in itertools.product([0, 1], repeat=n)]


def z_of(projector, v, h):
    """(u, w, rest) of one joint state, written out from eq. 17a and eq. 19."""
    x = projector.visible_modes_.T @ v
    y = projector.hidden_modes_.T @ h
    k = projector.singular_values_.size
    x0, y0 = projector.saddle_points_[:, 0], projector.saddle_points_[:, 1]
    u = ((x[:k] - x0) + (y[:k] - y0)) / math.sqrt(2)
    w = ((y[:k] - y0) - (x[:k] - x0)) / math.sqrt(2)
    rest = x[k:] if x.size > k else y[k:]
    return np.concatenate([u, w, rest])


# --------------------------------------------------------------------------
# Eqs. 22-23
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_visible,n_hidden", SHAPES)
@pytest.mark.parametrize("beta", [0.5, 1.0])
def test_reciprocal_partition_function_equals_the_sum_over_states(n_visible, n_hidden, beta):
    W, b, c = params(n_visible, n_hidden, seed=n_visible * 10 + n_hidden)
    energies = [-(h @ W @ v) - b @ v - c @ h for v in all_states(n_visible) for h in all_states(n_hidden)]
    log_Z = math.log(sum(math.exp(-beta * e) for e in energies))
    assert reciprocal_log_partition((W, b, c), beta=beta) == pytest.approx(log_Z, abs=1e-10)


def test_reciprocal_partition_function_refuses_large_models():
    with pytest.raises(ValueError, match="2\\^"):
        reciprocal_log_partition(params(10, 4, 0))


# --------------------------------------------------------------------------
# Eqs. 24-29: saddle point
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_visible,n_hidden", SHAPES)
def test_saddle_point_is_self_consistent_under_the_tilted_average(n_visible, n_hidden):
    W, b, c = params(n_visible, n_hidden, seed=3, scale=0.7)
    beta = 0.4
    sp = saddle_point_equations((W, b, c), beta=beta)
    assert sp.converged and sp.residual < 1e-10
    proj = ReciprocalSpaceProjector.from_parameters(W, b, c)
    k = proj.singular_values_.size
    lam = proj.singular_values_
    rest_bias = (proj.reciprocal_visible_bias_ if n_visible > n_hidden else proj.reciprocal_hidden_bias_)[k:]
    # Eq. 28 with the conjugates of eqs. 27a-c, summed state by state.
    weights, images = [], []
    for v in all_states(n_visible):
        for h in all_states(n_hidden):
            z = z_of(proj, v, h)
            f, g, r = z[:k], z[k:2 * k], z[2 * k:]
            log_weight = beta * np.sum(lam * (sp.u * f - sp.w * g)) + beta * np.sum(rest_bias * r)
            weights.append(log_weight)
            images.append(z)
    weights = np.exp(np.asarray(weights) - max(weights))
    average = (weights[:, None] * np.asarray(images)).sum(0) / weights.sum()
    np.testing.assert_allclose(sp.u, average[:k], atol=1e-9)
    np.testing.assert_allclose(sp.w, average[k:2 * k], atol=1e-9)
    np.testing.assert_allclose(sp.rest, average[2 * k:], atol=1e-9)
    np.testing.assert_allclose(sp.conjugate_u, beta * lam * sp.u)
    np.testing.assert_allclose(sp.conjugate_w, -beta * lam * sp.w)
    # At beta > 0 the saddle has moved away from the high-temperature minimum.
    cmin = proj.constraint_minimum()
    assert np.max(np.abs(sp.u - cmin.u)) > 1e-3


def test_saddle_point_at_infinite_temperature_is_eq29():
    W, b, c = params(6, 4, seed=4)
    sp = saddle_point_equations((W, b, c), beta=0.0)
    cmin = ReciprocalSpaceProjector.from_parameters(W, b, c).constraint_minimum()
    np.testing.assert_allclose(sp.u, cmin.u, atol=1e-13)
    np.testing.assert_allclose(sp.w, cmin.w, atol=1e-13)
    np.testing.assert_allclose(sp.visible_mean, 0.5)
    with pytest.raises(ValueError, match="damping"):
        saddle_point_equations((W, b, c), damping=1.0)
    with pytest.raises(ValueError, match="max_iter"):
        saddle_point_equations((W, b, c), max_iter=2.5)


# --------------------------------------------------------------------------
# Eq. 52: moments
# --------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.5, 0.3])
def test_reciprocal_moments_against_enumeration(p):
    rng = np.random.default_rng(5)
    U = np.linalg.qr(rng.normal(size=(6, 6)))[0][:, :4]
    states = np.asarray(all_states(6))
    prob = np.prod(np.where(states == 1, p, 1 - p), axis=1)
    x = states @ U
    mean = prob @ x
    std = np.sqrt(prob @ (x - mean) ** 2)
    got = reciprocal_moments(U, p=p)
    np.testing.assert_allclose(got.mean, mean, atol=1e-12)
    np.testing.assert_allclose(got.std, std, atol=1e-12)
    if p == 0.5:  # eq. 52 as printed
        np.testing.assert_allclose(got.std, 0.5, atol=1e-12)
        np.testing.assert_allclose(got.mean, 0.5 * U.sum(0), atol=1e-12)


# --------------------------------------------------------------------------
# Eqs. 40-49: harmonic constraint potential
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_visible,n_hidden", SHAPES)
def test_gaussian_constraint_has_the_exact_mean_and_covariance_of_uniform_states(n_visible, n_hidden):
    W, b, c = params(n_visible, n_hidden, seed=6)
    proj = ReciprocalSpaceProjector.from_parameters(W, b, c)
    Z = np.asarray([z_of(proj, v, h) for v in all_states(n_visible) for h in all_states(n_hidden)])
    harmonic = harmonic_constraint_potential((W, b, c), beta=0.5)
    np.testing.assert_allclose(harmonic.mean, Z.mean(0), atol=1e-12)  # eq. 29 = eq. 52
    np.testing.assert_allclose(np.cov(Z.T, bias=True), np.eye(Z.shape[1]) / 4, atol=1e-12)  # eq. 47
    np.testing.assert_allclose(harmonic.stiffness, 4.0, atol=1e-12)
    d = Z.shape[1]
    assert harmonic.potential(harmonic.mean) == pytest.approx(-0.5 * d * math.log(4) + 0.5 * d * math.log(2 * math.pi))


def test_frequencies_spectrum_and_critical_singular_value():
    beta = 0.8
    W, b, c = designed([6.0, 4.5, 2.0], 7, 3, seed=7, bias_scale=0.3)
    h = harmonic_constraint_potential((W, b, c), beta=beta)
    lam = np.array([6.0, 4.5, 2.0])
    np.testing.assert_allclose(h.singular_values, lam, atol=1e-12)
    np.testing.assert_allclose(h.omega[:3], (4 - beta * lam) / 2, atol=1e-12)  # eq. 41
    np.testing.assert_allclose(h.omega[3:6], (4 + beta * lam) / 2, atol=1e-12)
    np.testing.assert_allclose(h.omega[6:], 2.0, atol=1e-12)
    assert h.lambda_c == pytest.approx(5.0) and h.n_unstable == 1  # only 6.0 > 4 / 0.8
    np.testing.assert_allclose(h.centre[:6], h.mean[:6] * 4 / (2 * h.omega[:6]), atol=1e-12)  # eq. 42
    proj = ReciprocalSpaceProjector.from_parameters(W, b, c)
    np.testing.assert_allclose(h.centre[6:], beta * proj.reciprocal_visible_bias_[3:] / 4 + h.mean[6:],
                               atol=1e-12)
    # Eq. 49: one quantum in mode i costs omega_i; the ground state costs nothing.
    n = np.eye(h.omega.size, dtype=int)
    np.testing.assert_allclose(h.energy_levels(n), h.omega)
    assert h.energy_levels(np.zeros(h.omega.size, dtype=int)) == 0
    assert h.energy_levels(n[0] * 2 + n[4]) == pytest.approx(2 * h.omega[0] + h.omega[4])
    assert critical_singular_value(0.5) == 8.0
    with pytest.raises(ValueError, match="n must"):
        h.energy_levels(np.full(h.omega.size, 0.5))


def test_critical_mode_counts_per_checkpoint():
    checkpoints = [(0, designed([1.0, 0.5], 8, 2, 0)), (3, designed([4.5, 1.0], 8, 2, 1)),
                   (9, designed([9.0, 5.0], 8, 2, 2))]
    epochs, counts, lambda_c = critical_mode_counts(checkpoints, beta=1.0)
    assert epochs.tolist() == [0, 3, 9] and counts.tolist() == [0, 1, 2] and lambda_c == 4.0
    assert critical_mode_counts(checkpoints, beta=0.5)[1].tolist() == [0, 0, 1]


# --------------------------------------------------------------------------
# Eqs. 53-56: Landau free energy
# --------------------------------------------------------------------------


def test_landau_coefficients_use_the_exact_cumulants_of_each_mode():
    W, b, c = params(5, 3, seed=8)
    proj = ReciprocalSpaceProjector.from_parameters(W, b, c)
    Z = np.asarray([z_of(proj, v, h) for v in all_states(5) for h in all_states(3)])
    for coordinate, offset in (("u", 0), ("w", 3)):
        f = landau_free_energy((W, b, c), (0, 2), coordinate=coordinate, beta=1.0)
        z = Z[:, [offset, offset + 2]]
        d = z - z.mean(0)
        var = (d**2).mean(0)
        kurt = (d**4).mean(0) / var**2 - 3
        np.testing.assert_allclose(f.excess_kurtosis, kurt, atol=1e-12)
        np.testing.assert_allclose(f.mean, z.mean(0), atol=1e-12)
        np.testing.assert_allclose(f.theta, (1 + kurt / 2) / (2 * var), atol=1e-12)
        np.testing.assert_allclose(f.phi, -kurt / (24 * var**2), atol=1e-12)
        sign = -1 if coordinate == "u" else 1
        np.testing.assert_allclose(f.curvature, sign * proj.singular_values_[[0, 2]], atol=1e-12)
        zz = np.array([[0.3, -0.7]])
        expected = (proj.saddle_energies_[[0, 2]] + 0.5 * f.curvature * zz**2 + f.theta * (zz - f.mean) ** 2
                    + f.phi * (zz - f.mean) ** 4)
        np.testing.assert_allclose(f(zz), expected, atol=1e-12)


def test_landau_double_well_above_the_critical_singular_value():
    # beta = 1: 2 Theta is about 4 (1 + kappa / 2); lambda = 9 is far above, 1 far below.
    W, b, c = designed([9.0, 1.0], 12, 4, seed=9, bias_scale=0.2)
    f = landau_free_energy((W, b, c), (0, 1), beta=1.0)
    assert f.is_double_well().tolist() == [True, False]
    for i, minima in enumerate(f.minima()):
        for z in minima:
            values = f(np.array([[z - 1e-4, z, z + 1e-4]]).T)[:, i]
            assert values[1] < values[0] and values[1] < values[2]
    # The w direction (Lambda = +lambda) stays a single well.
    assert not f.__class__.is_double_well(landau_free_energy((W, b, c), (0,), coordinate="w")).any()
    with pytest.raises(ValueError, match="modes"):
        landau_free_energy((W, b, c), (4,))
    with pytest.raises(ValueError, match="coordinate"):
        landau_free_energy((W, b, c), coordinate="x")
