"""The analyses of Sec. III of Fournier & Urbani (2024, arXiv:2405.10822):
receptive-field structure (Fig. 4) and the data-vs-data floors of the
indices of appendix B."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage

from skneq import _backend
from skneq.chaotic import ChaoticRNNGenerator, data_index_floors, receptive_field_structure, spatial_autocorrelation
from skneq.metrics import aai_error, second_moment_error, spectrum_error


def _smooth_fields(n, shape=(28, 28), sigma=2.0, seed=0):
    rs = np.random.default_rng(seed)
    noise = rs.standard_normal((n, *shape))
    return np.stack([scipy.ndimage.gaussian_filter(f, sigma) for f in noise]).reshape(n, -1)


def test_spatial_autocorrelation_matches_the_sum_over_neighbour_pairs(xpb):
    rs = np.random.default_rng(0)
    fields = rs.standard_normal((3, 12))
    height, width = 3, 4
    expected = []
    for f in fields:
        z = (f - f.mean()).reshape(height, width)
        pairs = [(z[i, j], z[i, j + 1]) for i in range(height) for j in range(width - 1)]
        pairs += [(z[i, j], z[i + 1, j]) for i in range(height - 1) for j in range(width)]
        expected.append(np.mean([a * b for a, b in pairs]) / np.mean(z * z))
    rho = spatial_autocorrelation(xpb.asarray(fields), (height, width))
    np.testing.assert_allclose(xpb.to_numpy(rho), expected, rtol=1e-12)
    # a constant field has no structure (and no division by zero)
    assert float(xpb.to_numpy(spatial_autocorrelation(xpb.asarray(np.ones((1, 12))), (3, 4)))[0]) == 0.0


def test_smooth_fields_are_structured_and_shuffled_ones_are_not():
    smooth = _smooth_fields(100)
    result = receptive_field_structure(smooth, (28, 28), random_state=0)
    assert result.fraction_structured == 1.0
    assert np.all(result.autocorrelation > 0.8)  # a Gaussian blur of width 2 pixels
    # The same fields with their pixels shuffled are exchangeable under the
    # null: each is called structured with probability alpha = 0.01 (p-values
    # on a grid of 1/200), so among 200 fields Binomial(200, 0.01): P(> 10) < 1e-5.
    rs = np.random.default_rng(1)
    shuffled = np.stack([f[rs.permutation(f.size)] for f in np.concatenate([smooth, _smooth_fields(100, seed=2)])])
    null = receptive_field_structure(shuffled, (28, 28), random_state=0)
    assert null.structured.sum() <= 10
    assert abs(np.mean(null.autocorrelation)) < 0.01  # mean -1/783 under exchangeability
    assert null.p_value.min() >= 1 / 200 and null.p_value.max() <= 1


def test_untrained_receptive_fields_are_random():
    # Before training W + A = W has i.i.d. entries: structured with probability alpha.
    X = np.zeros((2, 784))
    model = ChaoticRNNGenerator(n_components=300, n_iter=0, random_state=0).fit(X)
    result = receptive_field_structure(model.receptive_fields_, random_state=0)
    assert result.structured.shape == (300,)
    assert result.structured.sum() <= 10  # Binomial(300, 0.01): mean 3, P(> 10) < 1e-3


def test_receptive_field_structure_checks_its_arguments():
    with pytest.raises(ValueError, match="image_shape"):
        receptive_field_structure(np.zeros((2, 10)), (3, 4))
    with pytest.raises(ValueError, match="n_permutations"):
        receptive_field_structure(np.zeros((2, 12)), (3, 4), n_permutations=2.5)
    with pytest.raises(ValueError, match="alpha"):
        receptive_field_structure(np.zeros((2, 12)), (3, 4), alpha=1.0)


def test_data_index_floors_match_a_direct_computation():
    rs = np.random.default_rng(0)
    X = 2.0 * (rs.uniform(size=(90, 6)) < 0.3) - 1.0 + 0.1 * rs.standard_normal((90, 6))
    floors = data_index_floors(X, 40, n_repeats=2, random_state=3)
    assert set(floors) == {"second_moment_error", "spectrum_error", "reconstruction_error", "aai_error"}
    for r, seed in enumerate(_backend.child_seeds(3, 2)):
        perm = np.random.default_rng(seed).permutation(90)
        A, B = X[perm[:40]], X[perm[40:80]]
        assert floors["second_moment_error"][r] == pytest.approx(second_moment_error(A, B), rel=1e-12)
        assert floors["spectrum_error"][r] == pytest.approx(spectrum_error(A, B), rel=1e-12)
        assert floors["aai_error"][r] == pytest.approx(aai_error(A, B), rel=1e-12)
        # nearest other-set neighbour, by brute force
        nearest = [min(np.sum((a - b) ** 2) for b in B) for a in A]
        assert floors["reconstruction_error"][r] == pytest.approx(np.mean(nearest) / 6, rel=1e-10)
    # an int random_state repeats the splits
    again = data_index_floors(X, 40, n_repeats=2, random_state=3)
    assert all(np.array_equal(floors[k], again[k]) for k in floors)


def test_data_index_floors_refuse_too_few_rows_and_fractional_sizes():
    X = np.zeros((10, 3))
    with pytest.raises(ValueError, match="2 \\* n_samples"):
        data_index_floors(X, 6)
    with pytest.raises(ValueError, match="n_samples"):
        data_index_floors(X, 2.7)
    with pytest.raises(ValueError, match="n_repeats"):
        data_index_floors(X, 2, n_repeats=0)


def test_fit_records_the_floor_at_the_held_out_size():
    rs = np.random.default_rng(1)
    X = rs.uniform(size=(100, 8))
    model = ChaoticRNNGenerator(n_components=5, batch_size=20, n_steps_per_update=5, n_iter=1, eval_every=2,
                                validation_fraction=0.2, random_state=0).fit(X)
    floors = model.validation_floors_
    assert set(floors) == set(model.history_) - {"epoch", "n_updates", "time"}
    assert all(np.isfinite(v) and v >= 0 for v in floors.values())
