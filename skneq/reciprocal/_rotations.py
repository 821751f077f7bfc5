"""Rotation probes of an RBM's couplings (Toledo-Marin et al. 2025, arXiv:2503.21536, Sec. 5.1-5.2).

* ``rotation_divergence``: Jensen-Shannon divergence between the weight
  distribution before and after random rotations of ``U`` and ``V``
  (Sec. 5.1, Fig. 4): ~0 for Gaussian (initial) weights, large once training
  broke the rotational symmetry.
* ``rotate_visible_modes`` / ``hierarchical_rotation_samples``: samples whose
  last visible step uses rotated modes ``U_R = R U R^T`` (Sec. 5.2, Fig. 6):
  a pi rotation in the plane of the two top modes changes images globally,
  rotations that keep the top five modes fixed only locally.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _backend
from .._validation import check_array_xp, check_int, check_option, check_real, check_unit_interval
from ..rbm._kernels import gibbs_vhv, sample_hidden, visible_probabilities
from .._protocol import rbm_parameters
from . import _kernels as _rm
from ._functions import apply_random_rotations, jensen_shannon_divergence
from ._trajectories import _projector

__all__ = [
    "RotationDivergence",
    "rotation_divergence",
    "rotate_visible_modes",
    "HierarchicalRotation",
    "hierarchical_rotation_samples",
]


# --------------------------------------------------------------------------
# Rotational symmetry (Fig. 4) and hierarchical learning (Fig. 6)
# --------------------------------------------------------------------------


@dataclass
class RotationDivergence:
    """Jensen-Shannon divergence (nats) between ``W`` and randomly rotated ``W_R``.

    Attributes
    ----------
    mean, std : float
        Over ``values``.
    values : ndarray of shape (n_repeats,)
        One divergence per independent set of rotations.
    """

    mean: float
    std: float
    values: np.ndarray


def rotation_divergence(model, *, n_rotations_visible=None, n_rotations_hidden=None, n_repeats=5, bins=100,
                        random_state=None):
    """Rotational symmetry breaking of the weights (Toledo-Marin et al. Sec. 5.1, Fig. 4).

    Applies ``n_rotations`` consecutive random plane rotations to ``U`` and
    ``V`` (``U_R = R U R^T``; default ``0.1 N`` and ``0.1 M`` as in the
    paper), rebuilds ``W_R = U_R S V_R^T`` and measures the Jensen-Shannon
    divergence between the distributions of the entries of ``W`` and
    ``W_R``. Gaussian i.i.d. weights (an initialised RBM) are rotationally
    invariant in law, so the divergence is at its finite-sample floor;
    trained weights are not.

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
    n_rotations_visible, n_rotations_hidden : int or None
    n_repeats : int
        Independent sets of rotations.
    bins : int
        Histogram bins of ``jensen_shannon_divergence``.
    random_state : int, RandomState or None

    Returns
    -------
    RotationDivergence
    """
    n_repeats = check_int(n_repeats, "n_repeats")
    projector, (W, _, _), _ = _projector(model)
    values = []
    for seed in _backend.child_seeds(random_state, n_repeats):
        W_R = projector.rotated_components(n_rotations_visible, n_rotations_hidden, random_state=seed)
        values.append(jensen_shannon_divergence(W, W_R, bins=bins))
    values = np.asarray(values)
    return RotationDivergence(float(values.mean()), float(values.std()), values)


_HOW = ("pi_top", "keep_top")
_PLANES = ("coordinate", "haar")


def rotate_visible_modes(model, how="pi_top", *, n_top=None, n_rotations=10, angle=None, planes="coordinate",
                         random_state=None):
    """Couplings with rotated visible modes (Toledo-Marin et al., Sec. 5.2, Fig. 6).

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
    how : {"pi_top", "keep_top"}
        ``"pi_top"``: one rotation by pi "around all but the two dimensions
        associated with the largest singular values", i.e. in the plane of
        axes 0 and 1. ``"keep_top"``: ``n_rotations`` (default 10) rotations,
        each in a plane of two axes drawn among all but the ``n_top``
        (default 5) leading ones, so those are always fixed.
    n_top : int or None
        2 for ``"pi_top"`` (the only value), 5 by default for ``"keep_top"``.
    n_rotations : int
        For ``"keep_top"``.
    angle : float or None
        For ``"keep_top"``; None draws each angle uniformly in ``[0, 2 pi)``.
    planes : {"coordinate", "haar"}, default="coordinate"
        ``"coordinate"``: the paper's ``U_R = R U R^T`` with ``R`` a
        rotation in coordinate planes (the same axes act on units and
        modes). ``"haar"``: ``U_R = U R^T`` with ``R`` turning a Haar-random
        plane of the free modes (mixes modes only; the units are untouched).
    random_state : int, RandomState or None

    Returns
    -------
    components : array of shape (n_hidden, n_visible)
        ``W_R = U_R S V^T`` in ``components_`` layout, same singular values
        and hidden modes as ``W``.
    """
    check_option(how, "how", _HOW)
    check_option(planes, "planes", _PLANES)
    n_rotations = check_int(n_rotations, "n_rotations", low=0)
    if angle is not None:
        angle = check_real(angle, "angle")
    projector, _, bk = _projector(model)
    xp = bk.xp
    U = projector.visible_modes_
    n_visible = U.shape[0]
    if how == "pi_top":
        n_top = 2 if n_top is None else check_int(n_top, "n_top")
        if n_top != 2:
            raise ValueError("how='pi_top' rotates in the plane of exactly the 2 leading modes (n_top=2)")
        free, n_rotations, angle = [0, 1], 1, math.pi
    else:
        n_top = 5 if n_top is None else check_int(n_top, "n_top", low=0)
        if not n_top <= n_visible - 2:
            raise ValueError(f"n_top must leave at least two free modes, got {n_top} of {n_visible}")
        free = list(range(n_top, n_visible))
    if planes == "haar":
        fixed = [i for i in range(n_visible) if i not in set(free)]
        U_R = apply_random_rotations(U, n_rotations, angle=angle, side="right", fixed_axes=fixed or None,
                                     random_state=random_state)
    else:
        U_R = _coordinate_rotations(U, free, n_rotations, angle, random_state, bk)
    k = projector.singular_values_.shape[0]
    W_R = xp.matmul(U_R[:, :k] * projector.singular_values_, xp.matrix_transpose(projector.hidden_modes_[:, :k]))
    return xp.matrix_transpose(W_R)


def _coordinate_rotations(U, free, n_rotations, angle, random_state, bk):
    """``U <- R U R^T`` for ``n_rotations`` rotations in planes of two distinct axes of ``free``."""
    xp = bk.xp
    if n_rotations == 0:
        return U
    rng = np.random.default_rng(_backend.seed_from(random_state))
    pairs = [rng.choice(free, size=2, replace=False) for _ in range(n_rotations)]
    angles = rng.uniform(0.0, 2.0 * math.pi, n_rotations) if angle is None else np.full(n_rotations, angle)
    p, q = _rm.coordinate_plane_pairs([a for a, _ in pairs], [b for _, b in pairs], U.shape[0], xp=xp,
                                      dtype=U.dtype, device=bk.device)
    cos_a = bk.asarray(np.cos(angles), dtype=U.dtype)
    sin_a = bk.asarray(np.sin(angles), dtype=U.dtype)
    for k in range(n_rotations):  # loop over rotations (sequential by nature), not samples
        U = _rm.rotate_in_plane(U, p[k, :], q[k, :], cos_a[k], sin_a[k], side="both", xp=xp)
    return U


@dataclass
class HierarchicalRotation:
    """Gibbs samples rendered with original and rotated visible modes.

    Attributes
    ----------
    original, rotated : ndarray of shape (n_samples, n_visible)
        ``p(v = 1 | h)`` of the last visible step with ``W`` and ``W_R``.
    hidden : ndarray of shape (n_samples, n_hidden)
        The hidden states both are rendered from.
    mean_abs_change : float
        ``mean |rotated - original|``: large for global (leading-mode)
        rotations, small for local ones.
    """

    original: np.ndarray
    rotated: np.ndarray
    hidden: np.ndarray
    mean_abs_change: float


def hierarchical_rotation_samples(model, n_samples=16, how="pi_top", *, n_top=None, n_rotations=10, angle=None,
                                  planes="coordinate", n_steps=1000, init=None, random_state=None):
    """Samples whose last visible step uses rotated modes (Toledo-Marin et al. Fig. 6).

    Gibbs chains of ``model`` give hidden states ``h``; the images are
    ``p(v = 1 | h) = sigmoid(U S V^T h + b)`` with the original ``U`` and with
    ``U_R`` from ``rotate_visible_modes``.

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
    n_samples : int
    how, n_top, n_rotations, angle, planes
        See ``rotate_visible_modes``.
    n_steps : int
        Gibbs sweeps before rendering.
    init : array of shape (n_init, n_visible) or None
        Chains start from rows of ``init`` (binarized by a Bernoulli draw),
        else from uniform random states.
    random_state : int, RandomState or None

    Returns
    -------
    HierarchicalRotation
    """
    n_samples = check_int(n_samples, "n_samples")
    n_steps = check_int(n_steps, "n_steps", low=0)
    W, b, c, bk = rbm_parameters(model)
    xp = bk.xp
    chain_seed, rotation_seed = _backend.child_seeds(random_state, 2)
    rng = _backend.make_rng(bk, chain_seed)
    W_R = rotate_visible_modes((W, b, c), how, n_top=n_top, n_rotations=n_rotations, angle=angle, planes=planes,
                               random_state=rotation_seed)
    if init is None:
        V = rng.bernoulli(xp.full((n_samples, W.shape[1]), 0.5, dtype=W.dtype, device=bk.device))
    else:
        init = bk.asarray(check_array_xp(init, name="init"), dtype=W.dtype)
        if init.shape[1] != W.shape[1]:
            raise ValueError(f"init must have {W.shape[1]} columns (n_visible), got shape {tuple(init.shape)}")
        check_unit_interval(init, xp, what="init")
        V = rng.bernoulli(xp.take(init, rng.integers(init.shape[0], (n_samples,)), axis=0))
    V, _ = gibbs_vhv(V, W, b, c, rng, n_steps, xp=xp)
    H, _ = sample_hidden(V, W, c, rng, xp=xp)
    original = _backend.to_numpy(visible_probabilities(H, W, b, xp=xp))
    rotated = _backend.to_numpy(visible_probabilities(H, W_R, b, xp=xp))
    return HierarchicalRotation(original, rotated, _backend.to_numpy(H), float(np.mean(np.abs(rotated - original))))
