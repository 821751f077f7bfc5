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
* ``log_likelihood_curve``: the log-likelihood per checkpoint between its
  AIS and reverse-AIS bounds (Fig. 1).

The rotation probes of Sec. 5.1-5.2 (Figs. 4 and 6) are in
:mod:`skneq.reciprocal._rotations`.

Parameters are ``(W, b, c)`` with ``W = components_`` of shape
(n_hidden, n_visible) (``layout="hidden_by_visible"`` of
:meth:`ReciprocalSpaceProjector.from_parameters`); the paper writes ``W``
transposed (N visible x M hidden), as the projector does internally.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .. import _backend
from .._validation import check_array_xp, check_bool, check_int, check_option, check_real, check_unit_interval
from ..rbm._kernels import free_energy, gibbs_vhv, hidden_probabilities, sample_hidden
from .._protocol import rbm_parameters
from ._functions import marchenko_pastur_pdf, marchenko_pastur_support
from ._projector import ReciprocalSpaceProjector
from ._tracking import track_modes

__all__ = [
    "training_checkpoints",
    "SingularValueSpectra",
    "singular_value_spectra",
    "SymmetryBreakingCurves",
    "symmetry_breaking_curves",
    "LogLikelihoodCurve",
    "log_likelihood_curve",
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
    include_initial = check_bool(include_initial, "include_initial")
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
    sigma = check_real(sigma, "sigma (the initial weights' standard deviation)", low=0.0, low_inclusive=False)
    edge_tolerance = check_real(edge_tolerance, "edge_tolerance", low=0.0)
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
    mode_sign : ndarray of int
        +1 or -1: the sign that aligns that column with the reference
        orientation (already applied to every curve above).
    overlaps : ndarray
        ``|u_i(t) . u_i(t')|`` of each tracked mode with its match at the
        neighbouring checkpoint ``t'`` on the side of the reference (1 at
        the reference; NaN when ``track=False``).
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
    mode_sign: np.ndarray = None
    overlaps: np.ndarray = None


def symmetry_breaking_curves(source, X, *, modes=(0,), hidden="sample", n_chains=500, n_steps=100,
                             gibbs_init="data", track="last", random_state=None, backend=None):
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
        Mode indices, 0 = largest singular value, at the reference
        checkpoint of ``track``.
    hidden : {"sample", "mean"}
        Hidden units of the data: drawn from ``p(h | v)`` (joint states, as
        the Gibbs samples) or set to ``p(h = 1 | v)``.
    n_chains, n_steps : int
        Gibbs chains and sweeps per checkpoint.
    gibbs_init : {"data", "random"}
        Chains start from rows of ``X`` or from uniform random states.
    track : {"last", "first"} or False, default="last"
        Follow each mode across checkpoints with :func:`track_modes` (the
        per-checkpoint order by singular value swaps modes and the SVD may
        flip their signs, which draws zig-zags that are not physics).
        ``"last"``: ``modes`` index the trained model's modes, followed back
        to the initialisation (the leading mode of a random initial ``W`` is
        itself random, so following it forward follows no learned feature);
        ``"first"``: the first checkpoint's modes, followed forward. False
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
    n_chains = check_int(n_chains, "n_chains")
    n_steps = check_int(n_steps, "n_steps", low=0)
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
    if track not in ("last", "first", False):
        raise ValueError(f"track must be 'last', 'first' or False, got {track!r}")
    if track:
        mats = [_backend.to_numpy(p.visible_modes_)[:, :n_shared] for p, _, _ in fitted]
        step = -1 if track == "last" else 1
        tracking = track_modes(mats[::step])
        order, signs, overlaps = (a[::step] for a in (tracking.order, tracking.signs, tracking.overlaps))
    else:
        order = np.tile(np.arange(n_shared), (len(fitted), 1))
        signs = np.ones_like(order)
        overlaps = np.full(order.shape, np.nan)
    rows = {k: [] for k in SymmetryBreakingCurves.__dataclass_fields__
            if k not in ("epochs", "modes", "mode_index", "mode_sign", "overlaps")}
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
            V0 = xp.take(Xb, rng.integers(Xb.shape[0], (n_chains,)), axis=0)
            V0 = rng.bernoulli(V0)  # gray levels become binary states
        else:
            V0 = rng.bernoulli(xp.full((n_chains, W.shape[1]), 0.5, dtype=W.dtype, device=bk.device))
        V, _ = gibbs_vhv(V0, W, b, c, rng, n_steps, xp=xp)
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
        mode_sign=signs[:, list(modes)], overlaps=overlaps[:, list(modes)], **arrays,
    )


def _uw_stats(projector, V, H, idx, sign):
    u, w = projector.rotated_coordinates(V, H)
    u = _backend.to_numpy(u)[:, idx] * sign
    w = _backend.to_numpy(w)[:, idx] * sign
    return {"u_mean": u.mean(0), "u_std": u.std(0), "w_mean": w.mean(0), "w_std": w.std(0)}


# --------------------------------------------------------------------------
# Log-likelihood per checkpoint (Fig. 1)
# --------------------------------------------------------------------------


@dataclass
class LogLikelihoodCurve:
    """Mean log-likelihood per checkpoint with its annealing bounds (nats per sample).

    ``log p(v) = -F(v) - log Z``; forward AIS under-estimates ``log Z`` in
    expectation (Jarzynski + Jensen) and reverse AIS over-estimates it, so
    ``upper`` (from AIS) and ``lower`` (from reverse AIS) bracket the true
    value, stochastically; ``bennett`` combines both works.

    Attributes
    ----------
    epochs : ndarray of shape (n_checkpoints,)
    upper, lower, bennett : ndarray of shape (n_checkpoints,)
    """

    epochs: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    bennett: np.ndarray


def log_likelihood_curve(source, X, *, n_chains=100, n_betas=1000, random_state=None):
    """Log-likelihood of ``X`` per checkpoint between AIS and reverse-AIS bounds (Fig. 1).

    Parameters
    ----------
    source : RBM or list of checkpoints
        See ``training_checkpoints``.
    X : array of shape (n_samples, n_visible)
        Data in [0, 1] (also the base model of the annealing, the logit of its mean).
    n_chains, n_betas : int
        Annealing runs per direction and intermediate temperatures
        (:func:`skneq.thermodynamics.annealing_works`).
    random_state : int, RandomState or None

    Returns
    -------
    LogLikelihoodCurve
    """
    from ..thermodynamics import annealing_works

    n_chains = check_int(n_chains, "n_chains")
    n_betas = check_int(n_betas, "n_betas", low=2)
    X = check_array_xp(X, name="X")
    checkpoints = training_checkpoints(source)
    seeds = _backend.child_seeds(random_state, len(checkpoints))
    rows = {"upper": [], "lower": [], "bennett": []}
    for (epoch, params), seed in zip(checkpoints, seeds):
        W, b, c, bk = rbm_parameters(params)
        if X.shape[1] != W.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, the model {W.shape[1]} visible units")
        Xb = bk.asarray(X)
        check_unit_interval(Xb, bk.xp, what="log_likelihood_curve")
        mean_free_energy = float(bk.xp.mean(free_energy(Xb, W, b, c, xp=bk.xp)))
        works = annealing_works((W, b, c), n_chains=n_chains, n_betas=n_betas, X=Xb, random_state=seed)
        for key, method in (("upper", "jarzynski"), ("lower", "reverse"), ("bennett", "bennett")):
            rows[key].append(-mean_free_energy - float(works.log_partition(method)))
    return LogLikelihoodCurve(np.asarray([e for e, _ in checkpoints]), *(np.asarray(rows[k]) for k in rows))
