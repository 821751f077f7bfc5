"""Training-trajectory analysis of an RBM's energy landscape (seed 003).

Built on :mod:`skneq.reciprocal` (SVD ``W = U S V^T``, reciprocal variables,
saddle points, eq. 29, Marchenko-Pastur law, random plane rotations). The
functions take RBM parameters at several training checkpoints, e.g. those
stored by ``skneq.rbm.RBM(checkpoints=...)`` in ``history_``, and return the
curves of seed 003:

* ``singular_value_spectra``: singular values per checkpoint against the
  Marchenko-Pastur law of the initial weights (Sec. 3, eq. 21, Fig. 3a-d, f).
* ``symmetry_breaking_curves``: rotated reciprocal coordinates ``u_i`` and
  ``w_i`` of the leading modes (``z_1 = u_1`` and ``z_{M+1} = w_1`` in the
  paper's notation) for test data and Gibbs samples, against the
  constraint-potential minimum of eq. 29 and the saddle point (``u = w = 0``
  by construction), per checkpoint (Sec. 5.3, Figs. 7-8).
* ``rotation_divergence``: Jensen-Shannon divergence between the weight
  distribution before and after random rotations of ``U`` and ``V``
  (Sec. 5.1, Fig. 4): ~0 for Gaussian (initial) weights, large once training
  broke the rotational symmetry.
* ``rotate_visible_modes`` / ``hierarchical_rotation_samples``: samples whose
  last visible step uses rotated modes ``U_R`` (Sec. 5.2, Fig. 6): a pi
  rotation in the plane of the two top modes changes images globally,
  rotations that keep the top five modes fixed only locally.

Parameters are ``(W, b, c)`` with ``W = components_`` of shape
(n_hidden, n_visible); seed 003 writes ``W`` transposed (N visible x M
hidden), as :mod:`skneq.reciprocal` does internally.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .. import _backend
from ..rbm._kernels import gibbs_vhv, hidden_probabilities, sample_hidden, visible_probabilities
from ._projector import (
    ReciprocalSpaceProjector,
    apply_random_rotations,
    jensen_shannon_divergence,
    marchenko_pastur_pdf,
    marchenko_pastur_support,
)
from ..thermodynamics import rbm_parameters

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
        entries = getattr(source, "history_", None) or []
    elif isinstance(source, (list, tuple)):
        entries = source
    else:
        raise ValueError(
            "source must be a fitted RBM with history_ or a list of checkpoints; "
            f"got {type(source).__name__}"
        )
    for k, entry in enumerate(entries):
        if isinstance(entry, dict):
            if "params" in entry:
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
    return out


def _projector(params, backend=None):
    """A prefit ReciprocalSpaceProjector for raw parameters ``(W, b, c)``."""
    from sklearn.neural_network import BernoulliRBM

    W, b, c, bk = rbm_parameters(params, backend=backend)
    shell = BernoulliRBM(n_components=W.shape[0])
    shell.components_, shell.intercept_visible_, shell.intercept_hidden_ = W, b, c
    shell.n_features_in_ = W.shape[1]
    return ReciprocalSpaceProjector(shell, prefit=True, backend=bk.xp).fit(None), (W, b, c), bk


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
    """Singular-value spectra across checkpoints vs Marchenko-Pastur (seed 003 eq. 21, Fig. 3).

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


def symmetry_breaking_curves(source, X, *, modes=(0,), hidden="sample", n_gibbs_samples=500, n_gibbs_steps=100,
                             gibbs_init="data", random_state=None, backend=None):
    """Symmetry-breaking curves of seed 003 Figs. 7-8.

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
        Mode indices, 0 = largest singular value.
    hidden : {"sample", "mean"}
        Hidden units of the data: drawn from ``p(h | v)`` (joint states, as
        the Gibbs samples) or set to ``p(h = 1 | v)``.
    n_gibbs_samples, n_gibbs_steps : int
        Gibbs chains and sweeps per checkpoint.
    gibbs_init : {"data", "random"}
        Chains start from rows of ``X`` or from uniform random states.
    random_state : int, RandomState or None
    backend : None or str

    Returns
    -------
    SymmetryBreakingCurves
    """
    from .._validation import check_array_xp, check_unit_interval

    if hidden not in ("sample", "mean"):
        raise ValueError(f"hidden must be 'sample' or 'mean', got {hidden!r}")
    if gibbs_init not in ("data", "random"):
        raise ValueError(f"gibbs_init must be 'data' or 'random', got {gibbs_init!r}")
    modes = tuple(int(m) for m in np.atleast_1d(modes))
    X = check_array_xp(X, name="X")
    checkpoints = training_checkpoints(source)
    rows = {k: [] for k in SymmetryBreakingCurves.__dataclass_fields__ if k not in ("epochs", "modes")}
    for k, (epoch, params) in enumerate(checkpoints):
        projector, (W, b, c), bk = _projector(params, backend)
        xp = bk.xp
        n_shared = int(projector.singular_values_.shape[0])
        if any(m < 0 or m >= n_shared for m in modes):
            raise ValueError(f"modes must lie in [0, {n_shared}), got {modes}")
        if X.shape[1] != W.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, the model {W.shape[1]} visible units")
        Xb = bk.asarray(X)
        check_unit_interval(Xb, xp, what="symmetry_breaking_curves")
        rng = _backend.make_rng(bk, random_state, k)
        H = hidden_probabilities(Xb, W, c, xp=xp) if hidden == "mean" else sample_hidden(Xb, W, c, rng, xp=xp)[0]
        stats = {"data": _uw_stats(projector, Xb, H, modes, xp)}
        if gibbs_init == "data":
            V0 = xp.take(Xb, rng.integers(Xb.shape[0], (int(n_gibbs_samples),)), axis=0)
            V0 = rng.bernoulli(V0)  # gray levels become binary states
        else:
            V0 = rng.bernoulli(xp.full((int(n_gibbs_samples), W.shape[1]), 0.5, dtype=W.dtype, device=bk.device))
        V, _ = gibbs_vhv(V0, W, b, c, rng, int(n_gibbs_steps), xp=xp)
        H, _ = sample_hidden(V, W, c, rng, xp=xp)
        stats["gibbs"] = _uw_stats(projector, V, H, modes, xp)
        for name in ("data", "gibbs"):
            for key, value in stats[name].items():
                rows[f"{name}_{key}"].append(value)
        cmin = projector.constraint_minimum()
        idx = list(modes)
        rows["constraint_u"].append(_backend.to_numpy(cmin.u)[idx])
        rows["constraint_w"].append(_backend.to_numpy(cmin.w)[idx])
        saddles = _backend.to_numpy(projector.saddle_points_)
        rows["saddle_x"].append(saddles[idx, 0])
        rows["saddle_y"].append(saddles[idx, 1])
        rows["singular_values"].append(_backend.to_numpy(projector.singular_values_)[idx])
    arrays = {key: np.asarray(value, dtype=np.float64) for key, value in rows.items()}
    return SymmetryBreakingCurves(np.asarray([e for e, _ in checkpoints]), modes, **arrays)


def _uw_stats(projector, V, H, modes, xp):
    u, w = projector.rotated_coordinates(V, H)
    u, w = _backend.to_numpy(u)[:, list(modes)], _backend.to_numpy(w)[:, list(modes)]
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
    """Rotational symmetry breaking of the weights (seed 003 Sec. 5.1, Fig. 4).

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
    projector, (W, _, _), _ = _projector(model)
    seeds = np.random.default_rng(_backend.seed_from(random_state)).integers(0, 2**31 - 1, int(n_repeats))
    values = []
    for seed in seeds:
        W_R = projector.rotated_components(n_rotations_visible, n_rotations_hidden, random_state=int(seed))
        values.append(jensen_shannon_divergence(W, W_R, bins=bins))
    values = np.asarray(values)
    return RotationDivergence(float(values.mean()), float(values.std()), values)


_HOW = ("pi_top", "keep_top")


def rotate_visible_modes(model, how="pi_top", *, n_top=None, n_rotations=10, angle=None, random_state=None):
    """Couplings with rotated visible modes ``U_R = U R^T`` (seed 003 Sec. 5.2, Fig. 6).

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
    how : {"pi_top", "keep_top"}
        ``"pi_top"``: one rotation by pi about all but the ``n_top`` (default
        2) leading modes, i.e. in the plane of the two leading modes, which
        flips both (``u_i -> -u_i``). ``"keep_top"``: ``n_rotations``
        (default 10) random-plane rotations that always leave the ``n_top``
        (default 5) leading modes fixed.
    n_top : int or None
    n_rotations : int
        For ``"keep_top"``.
    angle : float or None
        For ``"keep_top"``; None draws each angle uniformly.
    random_state : int, RandomState or None

    Returns
    -------
    components : array of shape (n_hidden, n_visible)
        ``W_R`` in ``components_`` layout, same singular values and hidden
        modes as ``W``.
    """
    if how not in _HOW:
        raise ValueError(f"how must be one of {_HOW}, got {how!r}")
    projector, _, bk = _projector(model)
    xp = bk.xp
    U = projector.visible_modes_
    n_visible = U.shape[0]
    if how == "pi_top":
        n_top = 2 if n_top is None else int(n_top)
        if n_top != 2:
            raise ValueError("how='pi_top' rotates in the plane of exactly the 2 leading modes (n_top=2)")
        U_R = apply_random_rotations(U, 1, angle=math.pi, side="right", fixed_axes=list(range(2, n_visible)),
                                     random_state=random_state)
    else:
        n_top = 5 if n_top is None else int(n_top)
        if not 0 <= n_top <= n_visible - 2:
            raise ValueError(f"n_top must leave at least two free modes, got {n_top} of {n_visible}")
        U_R = apply_random_rotations(U, int(n_rotations), angle=angle, side="right", fixed_axes=list(range(n_top)),
                                     random_state=random_state)
    k = projector.singular_values_.shape[0]
    W_R = xp.matmul(U_R[:, :k] * projector.singular_values_, xp.matrix_transpose(projector.hidden_modes_[:, :k]))
    return xp.matrix_transpose(W_R)


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
                                  n_steps=1000, init=None, random_state=None):
    """Samples whose last visible step uses rotated modes (seed 003 Fig. 6).

    Gibbs chains of ``model`` give hidden states ``h``; the images are
    ``p(v = 1 | h) = sigmoid(U S V^T h + b)`` with the original ``U`` and with
    ``U_R`` from ``rotate_visible_modes``.

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
    n_samples : int
    how, n_top, n_rotations, angle
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
    W, b, c, bk = rbm_parameters(model)
    xp = bk.xp
    rng = _backend.make_rng(bk, random_state)
    W_R = rotate_visible_modes((W, b, c), how, n_top=n_top, n_rotations=n_rotations, angle=angle,
                               random_state=_backend.seed_from(random_state, 1) % (2**31))
    n_samples = int(n_samples)
    if init is None:
        V = rng.bernoulli(xp.full((n_samples, W.shape[1]), 0.5, dtype=W.dtype, device=bk.device))
    else:
        init = bk.asarray(init)
        V = rng.bernoulli(xp.take(init, rng.integers(init.shape[0], (n_samples,)), axis=0))
    V, _ = gibbs_vhv(V, W, b, c, rng, int(n_steps), xp=xp)
    H, _ = sample_hidden(V, W, c, rng, xp=xp)
    original = _backend.to_numpy(visible_probabilities(H, W, b, xp=xp))
    rotated = _backend.to_numpy(visible_probabilities(H, W_R, b, xp=xp))
    return HierarchicalRotation(original, rotated, _backend.to_numpy(H), float(np.mean(np.abs(rotated - original))))
