"""Random RBM parameters shared by the tests of the families and analyses."""

from __future__ import annotations

import numpy as np


def random_rbm(n_visible, n_hidden, seed, scale=1.0, bias_scale=None):
    """``(W, b, c)`` with normal entries: couplings of sd ``scale``, biases of
    sd ``bias_scale`` (default ``scale``); ``W`` has shape (n_hidden, n_visible)."""
    rng = np.random.default_rng(seed)
    bias_scale = scale if bias_scale is None else bias_scale
    return (scale * rng.normal(size=(n_hidden, n_visible)), bias_scale * rng.normal(size=n_visible),
            bias_scale * rng.normal(size=n_hidden))
