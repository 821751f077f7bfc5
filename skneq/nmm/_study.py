"""Helpers for studies of many nonequilibrium Markov machines (Baiesi & Rosso 2025, Sec. IV).

Running independent trainings through joblib (so they scale to a Dask
cluster), reading the learned latent cycle, and assigning latent states to
data classes for the class KL of eq. 22. Re-exported by :mod:`skneq.nmm`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .. import _backend
from .. import _markov as mk
from .._config import with_config
from .._validation import check_bool, check_int, host_float64

__all__ = ["fit_independent_runs", "dominant_cycle", "cycle_decomposition", "CycleDecomposition",
           "latent_class_assignment"]


def _fit_one(estimator, X, seed):
    return clone(estimator).set_params(random_state=seed).fit(X)


def fit_independent_runs(estimator, X, n_runs=36, *, batched=False, n_jobs=2, random_state=None, verbose=0):
    """Fit ``n_runs`` independent copies of ``estimator``: the study of Sec. IV (36 runs).

    Seeds are ``skneq._backend.child_seeds(random_state, n_runs)``; run ``k``
    is ``clone(estimator).set_params(random_state=seeds[k])``.

    * ``batched=False``: the runs go through :class:`joblib.Parallel`, so they
      use whatever joblib backend is active: wrap the call in
      ``with joblib.parallel_backend("dask"):`` to spread them over a
      ``dask.distributed`` cluster.
    * ``batched=True`` (one-hot latent): all runs train in this process as
      one array program with a leading run axis -- one set of matrix
      products per step for all runs, the form that fills a GPU. Each run
      draws its own random numbers in the order of a separate fit with its
      seed, so the models equal the joblib path's up to round-off in the
      first steps (batched products may sum in another order); training is
      chaotic, so after many epochs they agree in distribution, not run by
      run. With ``n_jobs`` > 1 the runs are split into ``n_jobs`` contiguous
      groups, each trained batched in a joblib worker (the same models: a
      run's result does not depend on which runs share its batch). On the
      CPU this is the fast path; on a GPU use ``n_jobs=1``.

    The workers run under the caller's :func:`skneq.get_config` (e.g. a
    ``host_threads`` set with :func:`skneq.config_context` around the call).

    Parameters
    ----------
    estimator : NonequilibriumMarkovMachine
        Unfitted template (cloned per run).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    n_runs : int, default=36
    batched : bool, default=False
    n_jobs : int, default=2
    random_state : int, RandomState or None
    verbose : int, default=0
        joblib verbosity.

    Returns
    -------
    models : list of fitted estimators, in seed order, each usable alone
    """
    n_runs = check_int(n_runs, "n_runs", low=1)
    batched = check_bool(batched, "batched")
    seeds = _backend.child_seeds(random_state, n_runs)
    if batched:
        from ._batched import fit_batched

        if getattr(estimator, "latent", None) != "onehot":
            raise ValueError("batched=True trains the one-hot latent (latent='onehot'); use batched=False.")
        models = [clone(estimator).set_params(random_state=s) for s in seeds]
        n_groups = min(n_runs, _effective_n_jobs(n_jobs))
        if n_groups == 1:
            return fit_batched(models, X)
        bounds = np.linspace(0, n_runs, n_groups + 1).round().astype(int)
        # with_config: loky workers start from skneq's defaults, not the caller's host_threads.
        groups = Parallel(n_jobs=n_groups, verbose=verbose)(
            delayed(with_config(fit_batched))(models[lo:hi], X) for lo, hi in zip(bounds[:-1], bounds[1:]))
        return [m for group in groups for m in group]
    return Parallel(n_jobs=n_jobs, verbose=verbose)(delayed(with_config(_fit_one))(estimator, X, s) for s in seeds)


def _effective_n_jobs(n_jobs):
    from joblib import effective_n_jobs

    return max(1, int(effective_n_jobs(n_jobs)))


def dominant_cycle(M, start=None):
    """The greedy path: follow the most probable transition of ``M`` until a state repeats.

    A quick reading, not a decomposition: it shows one cycle even when the
    stationary flux runs through several (two 3-cycles sharing a state each
    carry about half of it), and says nothing about the flux it carries. Use
    :func:`cycle_decomposition` for the cycles with their weights.

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
    M, xp, _ = mk.check_transition_matrix(host_float64(M, "M"))
    off = M - np.diag(np.diag(M))
    state = int(np.argmax(mk.stationary_distribution(M, xp=xp))) if start is None else check_int(
        start, "start", low=0, high=M.shape[0] - 1)
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
    X, y = host_float64(X, "X"), np.asarray(_backend.to_numpy(y))
    classes = np.unique(y)
    class_means = np.stack([X[y == c].mean(axis=0) for c in classes])
    states = _backend.to_numpy(model.latent_states_).astype(np.float64)
    H = states @ _backend.to_numpy(model.generative_weights_).T.astype(np.float64) + _backend.to_numpy(
        model.visible_bias_)
    images = 1.0 / (1.0 + np.exp(-H))
    dist = ((images[:, None, :] - class_means[None, :, :]) ** 2).sum(axis=2)
    return classes[np.argmin(dist, axis=1)], classes


@dataclass(frozen=True)
class CycleDecomposition:
    """Cycles of a Markov chain with the stationary flux each carries (:func:`cycle_decomposition`).

    Attributes
    ----------
    cycles : list of tuple of int
        Each cycle as the states it visits in order, starting at its smallest
        state; self-loops are 1-cycles ``(i,)``. Sorted by decreasing weight.
    weights : ndarray of shape (n_cycles,)
        Flux per step: how often per step the loop-erased chain completes the
        cycle. ``sum_c weights[c] * len(cycles[c]) == 1``.
    stationary_distribution : ndarray of shape (n_states,)
    """

    cycles: list
    weights: np.ndarray
    stationary_distribution: np.ndarray

    def mass(self, k):
        """Stationary mass of the states of cycle ``k``."""
        return float(self.stationary_distribution[list(self.cycles[k])].sum())

    def flux_share(self, k):
        """Share of the step flux carried by cycle ``k``: ``weights[k] * len(cycles[k])``."""
        return float(self.weights[k] * len(self.cycles[k]))

    def table(self, n=None, *, min_length=1):
        """Rows ``(cycle, weight, flux share, mass)`` of the ``n`` heaviest cycles of length >= ``min_length``."""
        rows = [(c, float(w), self.flux_share(k), self.mass(k))
                for k, (c, w) in enumerate(zip(self.cycles, self.weights)) if len(c) >= min_length]
        return rows if n is None else rows[:n]


def cycle_decomposition(M, p=None):
    """Decompose the stationary flux ``p_i M_ij`` of a Markov chain into cycles.

    The cycle representation of a Markov chain (Kalpazidou 2006; Jiang, Qian
    & Qian 2004): follow the chain and erase every loop as it closes; cycle
    ``c`` is erased ``w_c`` times per step on average. These loop-erased
    circulations are unique, exist in closed form (see
    ``skneq._markov.cycle_decomposition``) and add up to the flux:
    ``sum_{c contains i -> j} w_c = p_i M_ij`` for every transition.
    Self-loops are 1-cycles.

    Parameters
    ----------
    M : array-like of shape (L, L)
        Row-stochastic transition matrix (e.g. ``latent_transition_matrix_``),
        ``L <= 8`` (the number of simple cycles grows factorially).
    p : array-like of shape (L,), optional
        Stationary distribution of ``M``; default computed
        (Grassmann-Taksar-Heyman).

    Returns
    -------
    CycleDecomposition
        ``cycles`` and ``weights`` by decreasing weight, with the stationary
        distribution used.

    See Also
    --------
    dominant_cycle : the greedy most-probable path (one cycle, no weight).
    """
    M, xp, device = mk.check_transition_matrix(host_float64(M, "M"))
    if M.shape[0] > mk.MAX_CYCLE_STATES:
        raise ValueError(
            f"M has {M.shape[0]} states; cycle_decomposition enumerates simple cycles for at most "
            f"{mk.MAX_CYCLE_STATES} states."
        )
    p = mk.stationary_distribution(M, xp=xp) if p is None else mk.check_distribution(
        host_float64(p, "p"), M.shape[0], xp, device)
    cycles, weights = mk.cycle_decomposition(M, p)
    return CycleDecomposition(cycles, weights, np.asarray(p))
