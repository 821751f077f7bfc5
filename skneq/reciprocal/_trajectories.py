"""Training-trajectory analysis of an RBM's energy landscape.

Toledo-Marin et al. (2025, arXiv:2503.21536). Built on the reciprocal-space
view (SVD ``W = U S V^T``, reciprocal variables, saddle points, eq. 29,
Marchenko-Pastur law, random plane rotations). The functions take RBM
parameters at several training checkpoints, e.g. those stored by
``skneq.RBM(checkpoints=...)`` in ``history_``, and return the curves of the
paper:

* ``singular_value_spectra``: singular values per checkpoint against the
  Marchenko-Pastur law of the initial weights (Sec. 3, eq. 21, Fig. 3a-d, f).
* ``symmetry_breaking_curves``: rotated reciprocal coordinates ``u_i`` and
  ``w_i`` of the leading modes (``z_1 = u_1`` and ``z_{M+1} = w_1`` in the
  paper's notation) for test data and Gibbs samples, against the
  constraint-potential minimum of eq. 29 and the saddle point (``u = w = 0``
  by construction), per checkpoint (Sec. 5.3, Figs. 7-8). Modes are
  followed across checkpoints by :func:`track_modes` (overlap matching and
  sign alignment), so "mode 1" is the same mode at every epoch.
* ``rotation_divergence``: Jensen-Shannon divergence between the weight
  distribution before and after random rotations of ``U`` and ``V``
  (Sec. 5.1, Fig. 4): ~0 for Gaussian (initial) weights, large once training
  broke the rotational symmetry.
* ``rotate_visible_modes`` / ``hierarchical_rotation_samples``: samples whose
  last visible step uses rotated modes ``U_R = R U R^T`` (Sec. 5.2, Fig. 6):
  a pi rotation in the plane of the two top modes changes images globally,
  rotations that keep the top five modes fixed only locally.

Parameters are ``(W, b, c)`` with ``W = components_`` of shape
(n_hidden, n_visible) (``layout="hidden_by_visible"`` of
:meth:`ReciprocalSpaceProjector.from_parameters`); the paper writes ``W``
transposed (N visible x M hidden), as the projector does internally.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .. import _backend
from .._validation import check_array_xp, check_int, check_option, check_real, check_unit_interval
from ..rbm._kernels import gibbs_vhv, hidden_probabilities, sample_hidden, visible_probabilities
from ..thermodynamics._params import rbm_parameters
from . import _kernels as _rm
from ._functions import (
    apply_random_rotations,
    jensen_shannon_divergence,
    marchenko_pastur_pdf,
    marchenko_pastur_support,
)
from ._projector import ReciprocalSpaceProjector
from ._tracking import track_modes

__all__ = [
    "training_checkpoints",
    "SingularValueSpectra",
    "singular_value_spectra",
    "SymmetryBreakingCurves",
    "symmetry_breaking_curves",
    "RotationDivergence",
    "rotation_divergence",
    "rotate_visible_modes",
    "HierarchicalRotation",
    "hierarchical_rotation_samples",
]


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------


def training_checkpoints(source, *, include_initial=True):
    """``[(epoch, (W, b, c)), ...]`` from a fitted RBM or a list of checkpoints.

    Parameters
    ----------
    source : RBM, list of dict, list of tuple
        * A fitted ``skneq.rbm.RBM`` trained with ``checkpoints=...``: the
          entries of ``history_`` holding ``"params"``, preceded by
          ``initial_params_`` as epoch 0.
        * A list of history dicts (``{"epoch": e, "params": (W, b, c)}``).
        * A list of ``(epoch, (W, b, c))`` pairs, or of ``(W, b, c)``
          tuples (epochs 0, 1, 2, ...).
    include_initial : bool
        Prepend ``initial_params_`` (RBM input only).

    Returns
    -------
    checkpoints : list of (int, tuple)
        Sorted by epoch.
    """
    out = []
    if hasattr(source, "history_") or hasattr(source, "initial_params_"):
        if include_initial and getattr(source, "initial_params_", None) is not None:
            out.append((0, tuple(source.initial_params_)))
        entries = _history_entries(getattr(source, "history_", None))
    elif isinstance(source, (list, tuple)):
        entries = source
    else:
        raise ValueError(
            "source must be a fitted RBM with history_ or a list of checkpoints; "
            f"got {type(source).__name__}"
        )
    for k, entry in enumerate(entries):
        if isinstance(entry, dict):
            if entry.get("params") is not None:
                out.append((int(entry.get("epoch", k)), tuple(entry["params"])))
        elif isinstance(entry, (list, tuple)) and len(entry) == 2 and isinstance(entry[0], numbers.Integral):
            out.append((int(entry[0]), tuple(entry[1])))
        elif isinstance(entry, (list, tuple)) and len(entry) == 3:
            out.append((k, tuple(entry)))
        else:
            raise ValueError(f"checkpoint {k} is neither a history dict, (epoch, params) nor (W, b, c)")
    if not out:
        raise ValueError(
            "No checkpoint parameters found: fit the RBM with checkpoints=... (e.g. RBM(checkpoints=8)) "
            "or pass a list of (epoch, (W, b, c))."
        )
    out.sort(key=lambda item: item[0])
    seen, unique = set(), []
    for epoch, params in out:  # an epoch-0 record in history_ and initial_params_ are the same model
        if epoch not in seen:
            seen.add(epoch)
            unique.append((epoch, params))
    return unique


def _history_entries(history):
    """``history_`` as a list of record dicts: a dict of equal-length lists, or the older list of dicts."""
    if not history:
        return []
    if isinstance(history, dict):
        keys = list(history)
        n_records = len(history.get("epoch", []))
        records = [{key: history[key][i] for key in keys} for i in range(n_records)]
        return [r for r in records if r.get("params") is not None]
    return list(history)


def _projector(params, backend=None, random_state=0):
    """A fitted ReciprocalSpaceProjector and the validated ``(W, b, c)`` and backend of ``params``."""
    W, b, c, bk = rbm_parameters(params, backend=backend)
    projector = ReciprocalSpaceProjector.from_parameters(W, b, c, random_state=random_state, backend=bk.xp)
    return projector, (W, b, c), bk


# --------------------------------------------------------------------------
# Singular-value spectra against Marchenko-Pastur (Fig. 3)
# --------------------------------------------------------------------------


@dataclass
class SingularValueSpectra:
    """Singular values of ``W`` per checkpoint and the Marchenko-Pastur reference.

    Attributes
    ----------
    epochs : ndarray of shape (n_checkpoints,)
    singular_values : ndarray of shape (n_checkpoints, K)
        Decreasing, ``K = min(n_visible, n_hidden)``.
    shape : tuple
        ``(N, M) = (n_visible, n_hidden)``.
    sigma : float
        Standard deviation of the initial weights (first checkpoint, or given).
    support : tuple of float
        Marchenko-Pastur edges ``(lambda_-, lambda_+)`` (eq. 21).
    n_outliers : ndarray of shape (n_checkpoints,)
        Singular values above ``(1 + edge_tolerance) lambda_+``: the modes
        that learned structure (0 at initialisation, up to finite-size
        fluctuations of the edge).
    ks_distance : ndarray of shape (n_checkpoints,)
        Kolmogorov distance between the empirical distribution of the
        singular values and the Marchenko-Pastur law.
    """

    epochs: np.ndarray
    singular_values: np.ndarray
    shape: tuple
    sigma: float
    support: tuple
    n_outliers: np.ndarray
    ks_distance: np.ndarray

    def pdf(self, s):
        """Marchenko-Pastur density of the initial singular values at ``s``."""
        return marchenko_pastur_pdf(np.asarray(s, dtype=np.float64), self.shape, self.sigma)


def _mp_cdf(shape, sigma, n_grid=4001):
    lo, hi = marchenko_pastur_support(shape, sigma)
    grid = np.linspace(lo, hi, n_grid)
    density = np.asarray(marchenko_pastur_pdf(grid, shape, sigma), dtype=np.float64)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
    return grid, cdf / cdf[-1]  # remove the O(grid) quadrature error of the edges


def singular_value_spectra(source, *, sigma=None, edge_tolerance=0.05):
    """Singular-value spectra across checkpoints vs Marchenko-Pastur (Toledo-Marin et al. eq. 21, Fig. 3).

    Parameters
    ----------
    source : RBM or list of checkpoints
        See ``training_checkpoints``.
    sigma : float or None
        Standard deviation of the initial weights; None measures it on the
        first checkpoint.
    edge_tolerance : float
        Relative margin above ``lambda_+`` for counting outliers.

    Returns
    -------
    SingularValueSpectra
    """
    checkpoints = training_checkpoints(source)
    epochs, spectra = [], []
    for epoch, params in checkpoints:
        W, _, _, bk = rbm_parameters(params)
        epochs.append(epoch)
        spectra.append(_backend.to_numpy(bk.xp.linalg.svdvals(W)))
    n_hidden, n_visible = rbm_parameters(checkpoints[0][1])[0].shape
    shape = (int(n_visible), int(n_hidden))
    if sigma is None:
        W0 = np.asarray(_backend.to_numpy(rbm_parameters(checkpoints[0][1])[0]))
        sigma = float(W0.std())
    sigma = float(sigma)
    if not sigma > 0:
        raise ValueError(f"sigma must be positive (initial weights all equal?), got {sigma}")
    support = marchenko_pastur_support(shape, sigma)
    spectra = np.asarray(spectra, dtype=np.float64)
    grid, cdf = _mp_cdf(shape, sigma)
    ks = []
    for s in spectra:
        s_sorted = np.sort(s)
        model = np.interp(s_sorted, grid, cdf, left=0.0, right=1.0)
        k = np.arange(1, s.size + 1) / s.size
        ks.append(float(max(np.max(np.abs(k - model)), np.max(np.abs(k - 1.0 / s.size - model)))))
    n_out = np.sum(spectra > (1.0 + edge_tolerance) * support[1], axis=1)
    return SingularValueSpectra(np.asarray(epochs), spectra, shape, sigma, tuple(support), n_out, np.asarray(ks))


# --------------------------------------------------------------------------
# Symmetry breaking in the energy landscape (Figs. 7-8)
# --------------------------------------------------------------------------


@dataclass
class SymmetryBreakingCurves:
    """Rotated reciprocal coordinates of the leading modes per checkpoint.

    For mode ``i`` (0-based, ``modes``) the paper's ``z_{i+1} = u_i`` and
    ``z_{M+i+1} = w_i``; the saddle point of every mode is ``u = w = 0``.
    Arrays have shape (n_checkpoints, n_modes).

    Attributes
    ----------
    epochs : ndarray of shape (n_checkpoints,)
    modes : tuple of int
    data_u_mean, data_u_std, data_w_mean, data_w_std : ndarray
        Over the test data, hidden units drawn from ``p(h | v)``.
    gibbs_u_mean, gibbs_u_std, gibbs_w_mean, gibbs_w_std : ndarray
        Over Gibbs samples of the checkpoint's model.
    constraint_u, constraint_w : ndarray
        Constraint-potential minimum (eq. 29 with ``<v> = <h> = 1/2``).
    saddle_x, saddle_y : ndarray
        Saddle point ``(x0, y0)`` of each mode in ``(x, y)`` coordinates.
    singular_values : ndarray
    mode_index : ndarray of int
        Per-checkpoint index (order by singular value) of each tracked mode.
    overlaps : ndarray
        ``|u_i(t) . u_i(t-1)|`` of each tracked mode (1 at the first
        checkpoint; NaN when ``track=False``).
    """

    epochs: np.ndarray
    modes: tuple
    data_u_mean: np.ndarray
    data_u_std: np.ndarray
    data_w_mean: np.ndarray
    data_w_std: np.ndarray
    gibbs_u_mean: np.ndarray
    gibbs_u_std: np.ndarray
    gibbs_w_mean: np.ndarray
    gibbs_w_std: np.ndarray
    constraint_u: np.ndarray
    constraint_w: np.ndarray
    saddle_x: np.ndarray
    saddle_y: np.ndarray
    singular_values: np.ndarray
    mode_index: np.ndarray = None
    overlaps: np.ndarray = None


def symmetry_breaking_curves(source, X, *, modes=(0,), hidden="sample", n_gibbs_samples=500, n_gibbs_steps=100,
                             gibbs_init="data", track=True, random_state=None, backend=None):
    """Symmetry-breaking curves of Toledo-Marin et al. (arXiv:2503.21536), Figs. 7-8.

    Per checkpoint: the mean and spread of the rotated coordinates
    ``(u_i, w_i)`` (eq. 19) of the test data and of Gibbs samples, the
    constraint-potential minimum of eq. 29 and the saddle point. At
    initialisation the data sit at the saddle near the eq. 29 minimum; during
    training the top mode leaves it (a Landau-like symmetry breaking).

    Parameters
    ----------
    source : RBM or list of checkpoints
        See ``training_checkpoints``.
    X : array of shape (n_samples, n_visible)
        Test data (values in [0, 1]).
    modes : sequence of int
        Mode indices, 0 = largest singular value (of the first checkpoint
        when ``track``).
    hidden : {"sample", "mean"}
        Hidden units of the data: drawn from ``p(h | v)`` (joint states, as
        the Gibbs samples) or set to ``p(h = 1 | v)``.
    n_gibbs_samples, n_gibbs_steps : int
        Gibbs chains and sweeps per checkpoint.
    gibbs_init : {"data", "random"}
        Chains start from rows of ``X`` or from uniform random states.
    track : bool, default=True
        Follow each mode across checkpoints with :func:`track_modes` (the
        per-checkpoint order by singular value swaps modes and the SVD may
        flip their signs, which draws zig-zags that are not physics). False
        keeps the per-checkpoint ordering and signs.
    random_state : int, RandomState or None
    backend : None or str

    Returns
    -------
    SymmetryBreakingCurves
        ``mode_index[t, k]`` is the per-checkpoint index of tracked mode
        ``modes[k]`` and ``overlaps[t, k]`` its overlap with the same mode
        at the previous checkpoint (1 at the first).
    """
    check_option(hidden, "hidden", ("sample", "mean"))
    check_option(gibbs_init, "gibbs_init", ("data", "random"))
    n_gibbs_samples = check_int(n_gibbs_samples, "n_gibbs_samples")
    n_gibbs_steps = check_int(n_gibbs_steps, "n_gibbs_steps", low=0)
    modes = tuple(check_int(m, "modes", low=0) for m in np.atleast_1d(modes).tolist())
    X = check_array_xp(X, name="X")
    checkpoints = training_checkpoints(source)
    fitted = [_projector(params, backend) for _, params in checkpoints]
    n_shared = int(fitted[0][0].singular_values_.shape[0])
    if any(m >= n_shared for m in modes):
        raise ValueError(f"modes must lie in [0, {n_shared}), got {modes}")
    n_visible = fitted[0][1][0].shape[1]
    if X.shape[1] != n_visible:
        raise ValueError(f"X has {X.shape[1]} features, the model {n_visible} visible units")
    if track:
        tracking = track_modes([_backend.to_numpy(p.visible_modes_)[:, :n_shared] for p, _, _ in fitted])
        order, signs, overlaps = tracking.order, tracking.signs, tracking.overlaps
    else:
        order = np.tile(np.arange(n_shared), (len(fitted), 1))
        signs = np.ones_like(order)
        overlaps = np.full(order.shape, np.nan)
    rows = {k: [] for k in SymmetryBreakingCurves.__dataclass_fields__
            if k not in ("epochs", "modes", "mode_index", "overlaps")}
    seeds = _backend.child_seeds(random_state, len(checkpoints))
    for k, (projector, (W, b, c), bk) in enumerate(fitted):
        xp = bk.xp
        idx = [int(order[k, m]) for m in modes]
        sign = np.asarray([signs[k, m] for m in modes], dtype=np.float64)
        Xb = bk.asarray(X)
        check_unit_interval(Xb, xp, what="symmetry_breaking_curves")
        rng = _backend.make_rng(bk, seeds[k])
        H = hidden_probabilities(Xb, W, c, xp=xp) if hidden == "mean" else sample_hidden(Xb, W, c, rng, xp=xp)[0]
        stats = {"data": _uw_stats(projector, Xb, H, idx, sign)}
        if gibbs_init == "data":
            V0 = xp.take(Xb, rng.integers(Xb.shape[0], (n_gibbs_samples,)), axis=0)
            V0 = rng.bernoulli(V0)  # gray levels become binary states
        else:
            V0 = rng.bernoulli(xp.full((n_gibbs_samples, W.shape[1]), 0.5, dtype=W.dtype, device=bk.device))
        V, _ = gibbs_vhv(V0, W, b, c, rng, n_gibbs_steps, xp=xp)
        H, _ = sample_hidden(V, W, c, rng, xp=xp)
        stats["gibbs"] = _uw_stats(projector, V, H, idx, sign)
        for name in ("data", "gibbs"):
            for key, value in stats[name].items():
                rows[f"{name}_{key}"].append(value)
        # A flipped mode pair (u_i, v_i) -> (-u_i, -v_i) flips x_i, y_i, the
        # saddle and (u_i, w_i): multiplying by the sign keeps one orientation.
        cmin = projector.constraint_minimum()
        rows["constraint_u"].append(sign * _backend.to_numpy(cmin.u)[idx])
        rows["constraint_w"].append(sign * _backend.to_numpy(cmin.w)[idx])
        saddles = _backend.to_numpy(projector.saddle_points_)
        rows["saddle_x"].append(sign * saddles[idx, 0])
        rows["saddle_y"].append(sign * saddles[idx, 1])
        rows["singular_values"].append(_backend.to_numpy(projector.singular_values_)[idx])
    arrays = {key: np.asarray(value, dtype=np.float64) for key, value in rows.items()}
    return SymmetryBreakingCurves(
        np.asarray([e for e, _ in checkpoints]), modes, mode_index=order[:, list(modes)],
        overlaps=overlaps[:, list(modes)], **arrays,
    )


def _uw_stats(projector, V, H, idx, sign):
    u, w = projector.rotated_coordinates(V, H)
    u = _backend.to_numpy(u)[:, idx] * sign
    w = _backend.to_numpy(w)[:, idx] * sign
    return {"u_mean": u.mean(0), "u_std": u.std(0), "w_mean": w.mean(0), "w_std": w.std(0)}


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
        init = bk.asarray(init)
        V = rng.bernoulli(xp.take(init, rng.integers(init.shape[0], (n_samples,)), axis=0))
    V, _ = gibbs_vhv(V, W, b, c, rng, n_steps, xp=xp)
    H, _ = sample_hidden(V, W, c, rng, xp=xp)
    original = _backend.to_numpy(visible_probabilities(H, W, b, xp=xp))
    rotated = _backend.to_numpy(visible_probabilities(H, W_R, b, xp=xp))
    return HierarchicalRotation(original, rotated, _backend.to_numpy(H), float(np.mean(np.abs(rotated - original))))
