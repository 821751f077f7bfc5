"""Following singular modes across training checkpoints.

At each checkpoint the SVD orders modes by singular value and fixes signs by
a per-checkpoint convention, so "mode 1" of epoch 4 need not be "mode 1" of
epoch 2: two modes whose singular values cross swap places, and a mode may
come back with the opposite sign. Curves across checkpoints (Toledo-Marin et
al. 2025, arXiv:2503.21536, Figs. 3, 7, 8) must follow modes by identity, not
by rank.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from .._validation import host_float64

__all__ = ["ModeTracking", "track_modes"]


class ModeTracking(NamedTuple):
    """Result of :func:`track_modes`; arrays of shape (n_checkpoints, n_modes).

    Attributes
    ----------
    order : ndarray of int
        ``modes[t][:, order[t, i]]`` is mode ``i`` of the first checkpoint,
        followed to checkpoint ``t``.
    signs : ndarray of int (+1 or -1)
        Multiply the column by it to keep the orientation of the first
        checkpoint.
    overlaps : ndarray of float
        ``|<m_i(t), m_i(t-1)>|`` of the matched columns (1 at ``t = 0``):
        near 1 for a mode that only turned a little, small when the
        assignment had no good partner (the mode dissolved into others).
    """

    order: np.ndarray
    signs: np.ndarray
    overlaps: np.ndarray


def track_modes(modes):
    """Match modes between successive checkpoints by overlap and align their signs.

    Between checkpoints ``t - 1`` and ``t`` the tracked columns of ``t - 1``
    are assigned to the columns of ``t`` by the Hungarian algorithm
    (:func:`scipy.optimize.linear_sum_assignment`) maximising the total
    ``|U_{t-1}^T U_t|``; each matched column's sign is the sign of its
    overlap. Matching successive checkpoints (not each to the first) follows
    modes that turn slowly over many epochs.

    Parameters
    ----------
    modes : sequence of arrays of shape (n_units, n_modes)
        Mode matrices, columns are modes (e.g. ``visible_modes_[:, :K]`` of
        a projector per checkpoint), any namespace; all of the same shape.

    Returns
    -------
    ModeTracking
        ``order``, ``signs`` and ``overlaps`` of shape
        ``(n_checkpoints, n_modes)`` such that
        ``modes[t][:, order[t]] * signs[t]`` follows each mode of the first
        checkpoint.
    """
    if isinstance(modes, (str, bytes)) or not hasattr(modes, "__len__") or len(modes) == 0:
        raise ValueError("modes must be a non-empty sequence of (n_units, n_modes) matrices.")
    mats = []
    for t, m in enumerate(modes):
        a = host_float64(m, f"modes[{t}]")
        if a.ndim != 2 or a.size == 0:
            raise ValueError(f"modes[{t}] must be a non-empty 2-D matrix, got shape {a.shape}.")
        if mats and a.shape != mats[0].shape:
            raise ValueError(f"modes[{t}] has shape {a.shape}, modes[0] {mats[0].shape}: all must match.")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"modes[{t}] contains NaN or infinity.")
        mats.append(a)
    n_checkpoints, n_modes = len(mats), mats[0].shape[1]
    order = np.empty((n_checkpoints, n_modes), dtype=np.int64)
    signs = np.empty((n_checkpoints, n_modes), dtype=np.int64)
    overlaps = np.ones((n_checkpoints, n_modes))
    order[0], signs[0] = np.arange(n_modes), 1
    previous = mats[0]
    for t in range(1, n_checkpoints):
        overlap = previous.T @ mats[t]  # (tracked mode i, column j of checkpoint t)
        rows, cols = linear_sum_assignment(-np.abs(overlap))
        matched = overlap[rows, cols]
        order[t, rows] = cols
        signs[t, rows] = np.where(matched < 0, -1, 1)
        overlaps[t, rows] = np.abs(matched)
        previous = mats[t][:, order[t]] * signs[t]
    return ModeTracking(order, signs, overlaps)
