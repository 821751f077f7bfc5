"""Figures for skneq models (needs the ``plot`` extra: matplotlib).

matplotlib is imported inside the functions, so ``import skneq`` never pays
for it and works without it.
"""

from __future__ import annotations

import math

import numpy as np

from ._backend import to_numpy

__all__ = ["image_grid", "transition_matrix_heatmap"]


def _pyplot():
    try:
        import matplotlib

        if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo") and not _has_display():
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise ImportError("skneq.plotting needs matplotlib: `pip install skneq[plot]`.") from exc
    return plt


def _has_display():
    import os

    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def image_grid(images, shape=(28, 28), n_cols=None, *, ax=None, cmap="gray", vmin=None, vmax=None,
               padding=1, title=None):
    """Tile flattened images (filters, samples) into one picture.

    Parameters
    ----------
    images : array-like of shape (n_images, shape[0] * shape[1])
        Any namespace; moved to the host once.
    shape : tuple of int, default=(28, 28)
        Height and width of one image.
    n_cols : int or None
        Columns of the grid; default about sqrt(n_images).
    ax : matplotlib Axes or None
        Axes to draw on; a new figure is created when None.
    cmap, vmin, vmax : passed to ``imshow``. Defaults scale each grid to its range.
    padding : int, default=1
        Pixels between tiles.
    title : str or None

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = _pyplot()
    images = np.asarray(to_numpy(images), dtype=float)
    if images.ndim != 2 or images.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"images must have shape (n_images, {shape[0] * shape[1]}), got {images.shape}")
    n = images.shape[0]
    n_cols = n_cols or max(1, int(math.ceil(math.sqrt(n))))
    n_rows = int(math.ceil(n / n_cols))
    h, w = shape
    # NaN padding is drawn transparent, so tiles stand apart on any colormap.
    canvas = np.full((n_rows * (h + padding) - padding, n_cols * (w + padding) - padding), np.nan, dtype=float)
    for k in range(n):
        r, c = divmod(k, n_cols)
        canvas[r * (h + padding): r * (h + padding) + h, c * (w + padding): c * (w + padding) + w] = (
            images[k].reshape(shape)
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(max(2.0, n_cols * 0.6), max(2.0, n_rows * 0.6)))
    ax.imshow(canvas, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def transition_matrix_heatmap(M, *, ax=None, labels=None, annotate=True, cmap="viridis", title=None):
    """Heat map of a row-stochastic matrix ``M[i, j] = P(i -> j)``.

    Parameters
    ----------
    M : array-like of shape (n_states, n_states)
    labels : sequence of str or None
        State names for both axes.
    annotate : bool, default=True
        Write the probabilities in the cells.

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = _pyplot()
    M = np.asarray(to_numpy(M), dtype=float)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"M must be square, got shape {M.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3.5, 3.0))
    im = ax.imshow(M, cmap=cmap, vmin=0.0, vmax=1.0)
    n = M.shape[0]
    ticks = list(range(n))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    if labels is not None:
        ax.set_xticklabels(labels)
        ax.set_yticklabels(labels)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    if annotate and n <= 12:
        for i in range(n):
            for j in range(n):
                ax.text(j, i, f"{M[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if M[i, j] < 0.5 else "black")
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    if title:
        ax.set_title(title)
    return ax
