"""Mixtures of factorised Bernoulli distributions, fitted by EM: a base model
of the annealing path (:class:`skneq.rbm._path.FactorizedMixture`) that
already holds the data's modes.

``p(v) = sum_k pi_k prod_i mu_ki^v_i (1 - mu_ki)^(1 - v_i)`` is fitted by
expectation-maximisation with a symmetric pseudo-count ``smoothing``
(``alpha``): the M-step is the maximum a posteriori step under Beta(1 + alpha,
1 + alpha) priors on every ``mu_ki`` and a Dirichlet(1 + alpha) prior on
``pi``,

.. math:: \\mu_k = \\frac{\\sum_n r_{nk} x_n + \\alpha}{N_k + 2\\alpha}, \\qquad
          \\pi_k = \\frac{N_k + \\alpha}{n + K\\alpha}, \\qquad N_k = \\sum_n r_{nk},

so no mean is exactly 0 or 1 (every logit is finite) and no weight is 0.
EM never decreases the penalised objective (mean log-likelihood plus the
log prior per row), which the fit records.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _backend
from .._math import clipped_mean, logsumexp
from .._validation import check_array_xp, check_bool, check_int, check_real, check_unit_interval, is_sparse
from ._path import FactorizedMixture, is_mixture

__all__ = ["fit_bernoulli_mixture", "resolve_mixture_base", "MIXTURE_COMPONENTS", "MIXTURE_SMOOTHING",
           "MIXTURE_MAX_ROWS"]

#: Components of the base that ``base="mixture"`` fits on ``X``.
MIXTURE_COMPONENTS = 20
#: Pseudo-count of every mean and weight: Laplace's add-one rule.
MIXTURE_SMOOTHING = 1.0
#: Seed of the EM initialisation of ``base="mixture"``: the base is a
#: function of ``X`` alone (pass a fitted mixture for another).
MIXTURE_SEED = 0
#: Rows the estimator's own base (``RBM.annealing_base_``) is fitted on at
#: most: a subsample drawn with ``MIXTURE_SEED`` beyond it. About 500 rows
#: per component pin each pixel mean to within 0.02 (one standard error),
#: and EM's dense float64 copy stays at 63 MB for 784 features.
MIXTURE_MAX_ROWS = 10_000


def _objective(X, log_pi, mu, alpha, xp):
    """E-step: responsibilities, mean log-likelihood and penalised objective per row."""
    log_mu, log_1mu = xp.log(mu), xp.log1p(-mu)
    L = X @ (log_mu - log_1mu).T + xp.sum(log_1mu, axis=1) + log_pi  # (n, K) log pi_k p_k(x)
    rows = logsumexp(L, axis=1, keepdims=True, xp=xp)
    n = X.shape[0]
    ll = float(xp.mean(rows))
    prior = alpha * (float(xp.sum(log_mu + log_1mu)) + float(xp.sum(log_pi)))
    return xp.exp(L - rows), ll, ll + prior / n


def fit_bernoulli_mixture(X, n_components, *, n_iter=100, tol=1e-6, smoothing=MIXTURE_SMOOTHING,
                          random_state=None, return_info=False):
    """Fit a mixture of factorised Bernoulli distributions to ``X`` by EM.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Values in [0, 1] (binary data, or probabilities read as soft
        counts). Any Array-API namespace: the fit runs in ``X``'s namespace
        and device, in float64; sparse input is densified.
    n_components : int
        ``K``, at least 1 and at most ``n_samples``.
    n_iter : int, default=100
        Largest number of EM iterations.
    tol : float, default=1e-6
        Stop once an iteration raises the penalised objective (nats per row)
        by less than ``tol``.
    smoothing : float, default=1.0
        Pseudo-count ``alpha > 0`` of every mean and weight (module
        docstring); 1 is Laplace's add-one rule.
    random_state : int, RandomState or None
        Seeds the initialisation: the means start halfway between ``K``
        distinct random rows and the (clipped) data mean.
    return_info : bool, default=False
        Also return a dict with ``"objective"`` and ``"log_likelihood"``
        (lists, one value per E-step: the penalised objective, which EM
        never decreases, and the mean log-likelihood per row), ``"n_iter"``
        (M-steps made) and ``"converged"``.

    Returns
    -------
    mixture : FactorizedMixture
        ``log_weights`` of shape (n_components,) and ``logits`` of shape
        (n_components, n_features), float64 arrays of ``X``'s namespace.
    info : dict
        Only with ``return_info=True``.
    """
    if is_sparse(X):
        X = X.toarray()
    X = check_array_xp(X, name="X")
    n_components = check_int(n_components, "n_components", low=1)
    n_iter = check_int(n_iter, "n_iter", low=1)
    tol = check_real(tol, "tol", low=0.0)
    alpha = check_real(smoothing, "smoothing", low=0.0, low_inclusive=False)
    return_info = check_bool(return_info, "return_info")
    xp, device = _backend.namespace_of(X)
    dt = _backend.accurate_dtype(xp, device)
    X = xp.astype(X, dt)
    check_unit_interval(X, xp, what="fit_bernoulli_mixture")
    n, d = X.shape
    if n_components > n:
        raise ValueError(f"n_components must be at most n_samples={n}, got {n_components}")
    rng = _backend.make_rng(_backend.Backend(xp, device, dt), random_state)
    return em_bernoulli_mixture(X, n_components, rng, n_iter=n_iter, tol=tol, alpha=alpha, return_info=return_info)


def em_bernoulli_mixture(X, n_components, rng, *, n_iter=100, tol=1e-6, alpha=MIXTURE_SMOOTHING, return_info=False):
    """EM of :func:`fit_bernoulli_mixture` on validated input: ``X`` a float64
    array in [0, 1] of any namespace, ``1 <= n_components <= n_samples``,
    ``rng`` a ``BackendRandom`` of ``X``'s backend (the annealing code passes
    its own stream, so a refitted base follows the run's seed)."""
    xp, device = _backend.namespace_of(X)
    dt = X.dtype
    n = X.shape[0]
    rows = rng.permutation(n)[:n_components]
    mu = 0.5 * xp.take(X, rows, axis=0) + 0.5 * clipped_mean(X, xp=xp)
    log_pi = xp.full((n_components,), -math.log(n_components), dtype=dt, device=device)
    objective, loglik, converged, steps = [], [], False, 0
    while True:
        R, ll, obj = _objective(X, log_pi, mu, alpha, xp)
        objective.append(obj)
        loglik.append(ll)
        if len(objective) > 1 and objective[-1] - objective[-2] < tol:
            converged = True
            break
        if steps == n_iter:
            break
        Nk = xp.sum(R, axis=0)
        mu = (R.T @ X + alpha) / (Nk[:, None] + 2.0 * alpha)
        log_pi = xp.log((Nk + alpha) / (n + n_components * alpha))
        steps += 1
    mixture = FactorizedMixture(log_pi, xp.log(mu) - xp.log1p(-mu))
    if return_info:
        return mixture, {"objective": objective, "log_likelihood": loglik, "n_iter": steps, "converged": converged}
    return mixture


def resolve_mixture_base(base, X, n_visible, *, xp, device, dtype, fit=True):
    """The mixture base of ``base`` on ``(xp, device, dtype)``, or None when ``base`` is no mixture.

    ``"mixture"`` fits ``MIXTURE_COMPONENTS`` components on ``X`` (a
    ValueError when ``X`` is None); a :class:`FactorizedMixture` is checked
    (shapes (K,) and (K, n_visible), finite values), its weights normalised,
    and moved. ``fit=False`` only checks: ``"mixture"`` with ``X`` then
    returns the string itself, unfitted (for callers that do not anneal).
    """
    if isinstance(base, str) and base == "mixture":
        if X is None:
            raise ValueError("base='mixture' needs X, the data the mixture is fitted on (or pass a fitted "
                             "mixture: base=skneq.rbm.fit_bernoulli_mixture(X, n_components))")
        if not fit:
            return base
        mixture = fit_bernoulli_mixture(X, min(MIXTURE_COMPONENTS, int(X.shape[0])), random_state=MIXTURE_SEED)
        return mixture.to(xp, device, dtype)
    if not is_mixture(base):
        return None
    lw = np.asarray(_backend.to_numpy(base.log_weights), dtype=np.float64)
    th = np.asarray(_backend.to_numpy(base.logits), dtype=np.float64)
    if th.ndim != 2 or th.shape[1] != n_visible or lw.shape != (th.shape[0],) or th.shape[0] < 1:
        raise ValueError(f"base: a FactorizedMixture needs log_weights of shape (K,) and logits of shape "
                         f"(K, {n_visible}), got {lw.shape} and {th.shape}")
    if not (np.all(np.isfinite(lw)) and np.all(np.isfinite(th))):
        raise ValueError("base: the mixture's log_weights and logits must be finite")
    return FactorizedMixture(lw, th).normalized(xp=np).to(xp, device, dtype)
