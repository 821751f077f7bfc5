"""Heat exchange fluctuation theorem (Salazar 2017, arXiv:1704.08724, Sec. 3.2-3.3): sampled
heats, the exact heat distribution of small models, and the slope of ln P(Q)/P(-Q).

The theorem ``P_K(Q) / P_{K*}(-Q) = exp((beta_1 - beta_2) Q)`` holds for any
kernel ``K`` leaving ``p_{beta_2}`` invariant when the backward process runs
its adjoint ``K*(s, s') = p(s') K(s', s) / p(s)`` (the time reversal). A
reversible kernel is its own adjoint (``"symmetric"``, ``"random_scan"``);
the alternating sweep "h from v, then v from h" (``A_h A_v``) is not, and its
adjoint is the sweep "v from h, then h from v" (``A_v A_h``): pass
``adjoint=True`` for the backward process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _backend
from ..rbm import _exact as jc
from ..rbm._kernels import energy, gibbs_joint, gibbs_vhv, sample_hidden, sample_visible
from .._validation import check_bool, check_int, host_float64
from ._params import _check_beta, _check_kernel, rbm_parameters

__all__ = ["heat_exchange", "exact_heat_distribution", "xft_log_ratio", "XFTFit", "fit_xft_slope"]


def _adjoint_step(V, H, W, b, c, rng, kernel, beta, *, xp):
    """One step of the adjoint of ``kernel`` w.r.t. ``p_beta`` (``A_v A_h`` for the alternating sweep)."""
    if kernel == "alternating":
        V, _ = sample_visible(H, W, b, rng, beta, xp=xp)
        H, _ = sample_hidden(V, W, c, rng, beta, xp=xp)
        return V, H
    return gibbs_joint(V, H, W, b, c, rng, kernel, beta, xp=xp)  # reversible: its own adjoint


def _kernel_matrix(W, b, c, kernel, beta, adjoint, *, xp):
    if adjoint and kernel == "alternating":
        A_h, A_v = jc.block_update_matrices(W, b, c, beta, xp=xp)
        return A_v @ A_h
    return jc.joint_transition_matrix(W, b, c, kernel, beta, xp=xp)


def heat_exchange(model, beta_from, beta_to, n_samples, *, n_steps=300, n_exchange_steps=1,
                  kernel="symmetric", adjoint=False, init=None, batch_size=10_000, random_state=None,
                  backend=None, dtype="float32"):
    """Heat ``Q = E(s') - E(s)`` exchanged with a bath at ``beta_to`` (Salazar 2017, Sec. 3.3).

    An ensemble of joint states ``s = (v, h)`` is brought to equilibrium at
    ``beta_from`` by ``n_steps`` alternating Gibbs sweeps (any kernel leaving
    ``p_{beta_from}`` invariant would do; this one is the cheapest), then
    makes ``n_exchange_steps`` steps of ``kernel`` (or of its adjoint) at
    ``beta_to``. Since no parameter changes, no work is done and the energy
    change is heat. The heat-exchange fluctuation theorem (Sec. 3.2)

    .. math:: \\ln \\frac{P_K(Q)}{P_{K^*}(-Q)} = (\\beta_1 - \\beta_2)\\, Q

    pairs the forward heats of ``kernel`` with the backward heats of its
    adjoint ``K*``. For a reversible kernel, ``"symmetric"`` (default) or
    ``"random_scan"``, ``K* = K`` and one ensemble gives both sides. The
    paper's alternating sweep is not reversible: its forward heats must be
    paired with ``heat_exchange(..., kernel="alternating", adjoint=True)``
    (see :func:`fit_xft_slope`'s ``Q_backward``).

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
    beta_from, beta_to : float
        Inverse temperatures ``beta_1`` (preparation) and ``beta_2`` (bath).
    n_samples : int
        Ensemble size (the paper used 2e6 on 784 x 500).
    n_steps : int
        Equilibration sweeps at ``beta_from`` (the paper: 300).
    n_exchange_steps : int
        Kernel steps at ``beta_to`` (the paper: 1). The theorem holds for
        any number of steps (adjoint pairing for a non-reversible kernel).
    kernel : {"symmetric", "alternating", "random_scan"}
    adjoint : bool, default=False
        Run the adjoint kernel (the backward process of the theorem); only
        changes ``"alternating"`` (to v from h, then h from v).
    init : array of shape (n_init, n_visible) or None
        Binary visible states to start the chains from, e.g. training data
        to shorten the equilibration of a trained model, or equilibrium
        samples at ``beta_from`` (then ``n_steps=0`` suffices and one
        equilibrated ensemble serves several ``beta_to``). With
        ``n_init == n_samples`` row ``i`` starts chain ``i``; otherwise rows
        are drawn with replacement. None starts from uniform random states.
    batch_size : int
        Chains simulated at once (bounds memory).
    random_state : int, RandomState or None
    backend : None, str
        Compute backend; None keeps the parameters' namespace and device.
    dtype : str
        Dtype of the Gibbs chains; energies are always summed in float64
        where available.

    Returns
    -------
    Q : array of shape (n_samples,)
        Heat per chain, float64, on the compute backend.
    """
    beta_from, beta_to, adjoint, n_exchange_steps = _check_exchange(beta_from, beta_to, kernel, adjoint,
                                                                    n_exchange_steps)
    n_samples = check_int(n_samples, "n_samples")
    n_steps = check_int(n_steps, "n_steps", low=0)
    batch_size = check_int(batch_size, "batch_size")
    # Energies come from the parameters at full precision; the chains may run
    # in float32 (sampling noise dwarfs the rounding of the probabilities).
    W64, b64, c64, bk = rbm_parameters(model, backend=backend)
    xp = bk.xp
    chain_dtype = getattr(xp, dtype) if isinstance(dtype, str) else dtype
    bk = _backend.Backend(xp, bk.device, chain_dtype)
    W, b, c = (xp.astype(a, chain_dtype) for a in (W64, b64, c64))
    if init is not None:
        init = _backend.to_device(init, xp, bk.device, dtype=bk.dtype)
        if init.ndim != 2 or init.shape[1] != W.shape[1] or init.shape[0] == 0:
            raise ValueError(f"init must have shape (n_init, {W.shape[1]}), got {tuple(init.shape)}")
        from .._validation import check_binary

        check_binary(init, xp, what="heat_exchange(init=...)")
    rng = _backend.make_rng(bk, random_state)
    parts = []
    for start in range(0, n_samples, batch_size):
        n = min(batch_size, n_samples - start)
        if init is None:
            V = rng.bernoulli(xp.full((n, W.shape[1]), 0.5, dtype=bk.dtype, device=bk.device))
        else:
            rows = (xp.arange(start, start + n, device=bk.device) if init.shape[0] == n_samples
                    else rng.integers(init.shape[0], (n,)))
            V = xp.take(init, rows, axis=0)
        V, _ = gibbs_vhv(V, W, b, c, rng, n_steps, beta_from, xp=xp) if n_steps else (V, None)
        H, _ = sample_hidden(V, W, c, rng, beta_from, xp=xp)
        E_before = energy(xp.astype(V, W64.dtype), xp.astype(H, W64.dtype), W64, b64, c64, xp=xp)
        step = _adjoint_step if adjoint else gibbs_joint
        for _ in range(n_exchange_steps):
            V, H = step(V, H, W, b, c, rng, kernel, beta_to, xp=xp)
        E_after = energy(xp.astype(V, W64.dtype), xp.astype(H, W64.dtype), W64, b64, c64, xp=xp)
        parts.append(E_after - E_before)
    return parts[0] if len(parts) == 1 else xp.concat(parts)


def exact_heat_distribution(model, beta_from, beta_to, *, kernel="symmetric", adjoint=False, n_exchange_steps=1,
                            decimals=9):
    """Exact distribution of the heat ``Q`` by enumerating joint states.

    ``P(Q) = sum_{s, s'} p_{beta_1}(s) [P_{beta_2}^K](s, s') delta(E(s') - E(s) - Q)``
    (Salazar 2017, Sec. 3.2), for models with ``n_visible + n_hidden <= 12``.

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
    beta_from, beta_to : float
    kernel : {"symmetric", "alternating", "random_scan"}
    adjoint : bool, default=False
        Use the adjoint kernel (``A_v A_h`` for ``"alternating"``).
    n_exchange_steps : int
        ``K``.
    decimals : int
        Heats equal after rounding to ``decimals`` are one value.

    Returns
    -------
    q : ndarray of shape (n_values,)
        Distinct heat values, ascending (NumPy: the grouping is done on the
        host, on a few thousand numbers).
    prob : ndarray of shape (n_values,)
        ``P(q)``; sums to 1.
    """
    beta_from, beta_to, adjoint, n_exchange_steps = _check_exchange(beta_from, beta_to, kernel, adjoint,
                                                                    n_exchange_steps)
    decimals = check_int(decimals, "decimals", low=0)
    W, b, c, bk = rbm_parameters(model)
    xp = bk.xp
    log_p1, E = jc.joint_log_probabilities(W, b, c, beta_from, xp=xp)
    P2 = jc.matrix_power(_kernel_matrix(W, b, c, kernel, beta_to, adjoint, xp=xp), n_exchange_steps, xp=xp)
    pair_prob = xp.exp(log_p1)[:, None] * P2
    heat = E[None, :] - E[:, None]
    q_all = _backend.to_numpy(xp.reshape(heat, (-1,)))
    w_all = _backend.to_numpy(xp.reshape(pair_prob, (-1,)))
    _, inverse, multiplicity = np.unique(np.round(q_all, int(decimals)), return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    # Report each group's mean heat, not the rounded key, to keep full precision.
    q = np.bincount(inverse, weights=q_all) / multiplicity
    prob = np.bincount(inverse, weights=w_all, minlength=q.size)
    keep = prob > 0
    return q[keep], prob[keep]


def xft_log_ratio(q, prob, *, q_backward=None, prob_backward=None, decimals=9):
    """``ln P_F(q) / P_B(-q)`` for every heat ``q`` whose mirror ``-q`` is present.

    Parameters
    ----------
    q, prob : array-like of shape (n_values,)
        A discrete distribution of the heat, e.g. from
        ``exact_heat_distribution``: the forward process.
    q_backward, prob_backward : array-like or None
        The backward process (the adjoint kernel's heats); None uses the
        forward distribution itself (a reversible kernel), and then only
        ``q > 0`` is reported (``q < 0`` repeats it).
    decimals : int
        Heats equal after rounding to ``decimals`` are one value.

    Returns
    -------
    q_values : ndarray of shape (n_pairs,)
    log_ratio : ndarray of shape (n_pairs,)
        Equals ``(beta_1 - beta_2) q_values`` under the XFT.
    """
    decimals = check_int(decimals, "decimals", low=0)
    forward = _distribution(q, prob, "q", "prob", decimals)
    if (q_backward is None) != (prob_backward is None):
        raise ValueError("q_backward and prob_backward go together.")
    backward = forward if q_backward is None else _distribution(q_backward, prob_backward, "q_backward",
                                                                "prob_backward", decimals)
    paired = q_backward is not None
    pairs = sorted(
        (v, math.log(p) - math.log(backward[-k][1]))
        for k, (v, p) in forward.items()
        if (k > 0 or (paired and k < 0)) and -k in backward
    )
    if not pairs:
        return np.zeros(0), np.zeros(0)
    q_values, log_ratio = (np.array(col) for col in zip(*pairs))
    return q_values, log_ratio


def _distribution(q, prob, q_name, prob_name, decimals):
    """``{rounded q: (q, P(q))}`` of a discrete distribution, checked."""
    q = host_float64(q, q_name)
    prob = host_float64(prob, prob_name)
    if q.shape != prob.shape or q.ndim != 1:
        raise ValueError(f"{q_name} and {prob_name} must be 1-d arrays of the same length")
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(prob))) or np.any(prob < 0):
        raise ValueError(f"{q_name} and {prob_name} must be finite, with {prob_name} >= 0")
    # Values are matched on rounded keys, reported at full precision.
    return {float(k): (float(v), float(p)) for k, v, p in zip(np.round(q, decimals), q, prob) if p > 0}


def _check_exchange(beta_from, beta_to, kernel, adjoint, n_exchange_steps):
    """The arguments shared by the sampled and the exact heat exchange, checked."""
    _check_kernel(kernel)
    return (_check_beta(beta_from, "beta_from"), _check_beta(beta_to, "beta_to"), check_bool(adjoint, "adjoint"),
            check_int(n_exchange_steps, "n_exchange_steps"))


@dataclass
class XFTFit:
    """Least-squares fit of ``ln P(Q)/P(-Q) = slope * Q`` through the origin.

    Attributes
    ----------
    slope, stderr : float
        Fitted slope (compare with ``beta_from - beta_to``) and its standard
        error from counting statistics.
    q : ndarray of shape (n_points,)
        Positive heat values (bin centres or distinct values) used.
    log_ratio, log_ratio_stderr : ndarray of shape (n_points,)
        ``ln n(q) / n(-q)`` and ``sqrt(1/n(q) + 1/n(-q))``.
    count_pos, count_neg : ndarray of shape (n_points,)
    chi2 : float
        Sum of squared standardized residuals (about ``n_points - 1`` if the
        linear law holds).
    """

    slope: float
    stderr: float
    q: np.ndarray
    log_ratio: np.ndarray
    log_ratio_stderr: np.ndarray
    count_pos: np.ndarray
    count_neg: np.ndarray
    chi2: float


def fit_xft_slope(Q, *, Q_backward=None, bins="auto", min_count=20, decimals=9, max_discrete=400):
    """Estimate ``ln P_F(Q)/P_B(-Q)`` from samples and fit its slope (Salazar 2017, Sec. 3.3).

    Parameters
    ----------
    Q : array-like of shape (n_samples,)
        Heat samples of the forward process, e.g. from ``heat_exchange``.
    Q_backward : array-like of shape (n_backward,) or None
        Heats of the backward process (``heat_exchange(..., adjoint=True)``),
        needed when the kernel is not reversible (the alternating sweep).
        None: the forward heats serve for both sides (a reversible kernel)
        and only ``Q > 0`` enters the fit (``Q < 0`` repeats it); given,
        both signs enter (``ln P_F(-q)/P_B(q)`` is independent information).
    bins : "auto", "unique" or int
        ``"unique"`` counts each distinct value (rounded to ``decimals``):
        exact for the discrete heats of small models. An int uses that many
        equal bins on each side of 0, mirrored so that bin ``[k d, (k+1) d)``
        pairs with ``(-(k+1) d, -k d]``. ``"auto"`` picks ``"unique"`` when
        there are at most ``max_discrete`` distinct values, else 40 bins.
    min_count : int
        Only pairs with at least this many samples on both sides enter the
        fit (the log of small counts is biased).

    Returns
    -------
    XFTFit
        The slope with its standard error. The variance of
        ``ln n_F(q) - ln n_B(-q)`` is ``1/n_F(q) + 1/n_B(-q)`` to leading
        order for multinomial counts (covariances between pairs cancel),
        giving the weights of the fit; with two ensembles the counts are
        normalised by their sizes.
    """
    min_count = check_int(min_count, "min_count")
    decimals = check_int(decimals, "decimals", low=0)
    max_discrete = check_int(max_discrete, "max_discrete")
    forward = _heat_samples(Q, "Q")
    paired = Q_backward is not None
    backward = _heat_samples(Q_backward, "Q_backward") if paired else forward
    Fr, Br = np.round(forward, decimals), np.round(backward, decimals)
    if bins == "auto":
        bins = "unique" if np.unique(np.concatenate([Fr, Br])).size <= max_discrete else 40
    if bins == "unique":
        count_f = dict(zip(*(a.tolist() for a in np.unique(Fr, return_counts=True))))
        count_b = dict(zip(*(a.tolist() for a in np.unique(Br, return_counts=True))))
    else:
        if isinstance(bins, str):
            raise ValueError(f"bins must be 'auto', 'unique' or a positive int, got {bins!r}")
        n_bins = check_int(bins, "bins")
        width = max(np.max(np.abs(Fr)), np.max(np.abs(Br))) / n_bins
        if width == 0:
            raise ValueError("all heats are zero: the two temperatures give no exchange to fit")
        count_f, count_b = (_mirrored_bin_counts(a, width, n_bins) for a in (Fr, Br))
    keys = sorted(k for k in count_f if (k > 0 or (paired and k < 0)) and -k in count_b)
    q = np.asarray(keys, dtype=np.float64)
    n_pos = np.asarray([count_f[k] for k in keys], dtype=np.float64)
    n_neg = np.asarray([count_b[-k] for k in keys], dtype=np.float64)
    keep = (n_pos >= min_count) & (n_neg >= min_count)
    if not np.any(keep):
        raise ValueError(
            f"No heat value has at least min_count={min_count} samples at both +Q and -Q; "
            "draw more samples, use fewer bins or lower min_count."
        )
    q, n_pos, n_neg = q[keep], n_pos[keep], n_neg[keep]
    log_ratio = np.log(n_pos / forward.size) - np.log(n_neg / backward.size)
    var = 1.0 / n_pos + 1.0 / n_neg
    sxx = np.sum(q * q / var)
    slope = float(np.sum(q * log_ratio / var) / sxx)
    chi2 = float(np.sum((log_ratio - slope * q) ** 2 / var))
    return XFTFit(slope, float(1.0 / math.sqrt(sxx)), q, log_ratio, np.sqrt(var), n_pos, n_neg, chi2)


def _heat_samples(Q, name):
    Q = host_float64(Q, name)
    if Q.ndim != 1 or Q.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-d array of heats, got shape {Q.shape}")
    if not np.all(np.isfinite(Q)):
        raise ValueError(f"{name} contains NaN or infinity")
    return Q


def _mirrored_bin_counts(values, width, n_bins):
    """``{signed bin centre: count}``: bin ``[k d, (k+1) d)`` on each side of 0 (zeros dropped)."""
    k = np.minimum(np.floor(np.abs(values) / width), n_bins - 1).astype(np.int64)
    centres = (np.arange(n_bins) + 0.5) * width
    counts = {}
    for sign, mask in ((1.0, values > 0), (-1.0, values < 0)):
        for index, n in enumerate(np.bincount(k[mask], minlength=n_bins).tolist()):
            if n:
                counts[sign * float(centres[index])] = n
    return counts
