"""Helpers for studies of many nonequilibrium Markov machines (paper 000, Sec. IV).

Running independent trainings through joblib (so they scale to a Dask
cluster), reading the learned latent cycle, and assigning latent states to
data classes for the class KL of eq. 22. Re-exported by :mod:`skneq.nmm`.
"""

from __future__ import annotations

import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .. import _backend

__all__ = ["fit_independent_runs", "dominant_cycle", "latent_class_assignment"]


# Floor of the Rao-Blackwellised M entries and of the stationary vector
# (float64 underflow), see _rb_matrix: flows p_i M_ij stay >= 1e-300 > 0.
RB_FLOOR = 1e-150


def _check_positive(n, name):
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def _fit_one(estimator, X, seed):
    return clone(estimator).set_params(random_state=seed).fit(X)


def fit_independent_runs(estimator, X, n_runs=36, *, n_jobs=2, random_state=None, verbose=0):
    """Fit ``n_runs`` independent copies of ``estimator`` in parallel with joblib.

    The study of Sec. IV (36 runs). Seeds are drawn from ``random_state``.
    Runs go through :class:`joblib.Parallel`, so they use whatever joblib
    backend is active: wrap the call in
    ``with joblib.parallel_backend("dask"):`` to spread them over a
    ``dask.distributed`` cluster.

    Parameters
    ----------
    estimator : NonequilibriumMarkovMachine
        Unfitted template (cloned per run).
    X : array-like of shape (n_samples, n_features)
    n_runs : int, default=36
    n_jobs : int, default=2
    random_state : int, RandomState or None
    verbose : int, default=0
        joblib verbosity.

    Returns
    -------
    models : list of fitted estimators, in seed order
    """
    n_runs = _check_positive(n_runs, "n_runs")
    seeds = np.random.default_rng(_backend.seed_from(random_state)).integers(0, 2**31 - 1, n_runs)
    return Parallel(n_jobs=n_jobs, verbose=verbose)(delayed(_fit_one)(estimator, X, int(s)) for s in seeds)


def dominant_cycle(M, start=None):
    """Follow the most probable transition of ``M`` until a state repeats.

    Parameters
    ----------
    M : array-like of shape (L, L)
        Row-stochastic latent transition matrix (e.g. ``latent_transition_matrix_``).
    start : int or None
        First state; default the state with the largest stationary weight
        (the diagonal is ignored so a sticky state still shows where it leaks).

    Returns
    -------
    cycle : list of int
        The states of the cycle reached from ``start`` (the transient part
        before it is dropped), in the order the chain visits them.
    """
    from ..metrics import stationary_distribution

    M = np.asarray(_backend.to_numpy(M), dtype=np.float64)
    off = M - np.diag(np.diag(M))
    state = int(np.argmax(_backend.to_numpy(stationary_distribution(M)))) if start is None else int(start)
    path = []
    while state not in path:
        path.append(state)
        state = int(np.argmax(off[state]))
    return path[path.index(state):]


def latent_class_assignment(model, X, y):
    """Class of each latent state: the class whose data mean image is closest
    (Euclidean) to the state's mean image ``sigmoid(w z + a)`` (paper Sec. IV).

    Parameters
    ----------
    model : fitted NonequilibriumMarkovMachine
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)

    Returns
    -------
    labels : ndarray of shape (n_states,)
        Class label per latent state.
    classes : ndarray of shape (n_classes,)
    """
    check_is_fitted(model)
    X, y = np.asarray(_backend.to_numpy(X), dtype=np.float64), np.asarray(_backend.to_numpy(y))
    classes = np.unique(y)
    class_means = np.stack([X[y == c].mean(axis=0) for c in classes])
    states = _backend.to_numpy(model.latent_states_).astype(np.float64)
    H = states @ _backend.to_numpy(model.generative_weights_).T.astype(np.float64) + _backend.to_numpy(
        model.visible_bias_)
    images = 1.0 / (1.0 + np.exp(-H))
    dist = ((images[:, None, :] - class_means[None, :, :]) ** 2).sum(axis=2)
    return classes[np.argmin(dist, axis=1)], classes


def _rb_matrix(P):
    """Rao-Blackwellised ``M`` (host float64) from per-sample ``Abar`` (S, K, S).

    Entries below ``RB_FLOOR`` (float64 underflow of exact probabilities
    such as ``exp(-2000)``) are raised to it and rows renormalised, so that
    eq. 21 stays finite: on near-deterministic cycles the log-ratios, hence
    ``sigma``, are then lower bounds (at most ~690 nats per one-way pair).
    """
    M = np.maximum(np.asarray(P, dtype=np.float64).mean(axis=1), RB_FLOOR)
    return M / M.sum(axis=1, keepdims=True)


def _markov_indicators(M, *, spectral=True):
    """(entropy production eq. 21, decorrelation time eq. 23, mean self-transition eq. 24) of ``M``.

    The stationary vector is floored like ``M`` (a nearly dead state can get
    a weight that underflows, which would make a flow look one-way).
    ``spectral=False`` skips the eigenvalues (NaN for the decorrelation time).
    """
    from ..metrics import decorrelation_time, entropy_production_rate, mean_self_transition, stationary_distribution

    p = np.maximum(np.asarray(_backend.to_numpy(stationary_distribution(M)), dtype=np.float64), RB_FLOOR)
    sigma = entropy_production_rate(M, p / p.sum())
    tau = decorrelation_time(M) if spectral else float("nan")
    return sigma, tau, mean_self_transition(M)
