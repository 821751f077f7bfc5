"""Why the reversible control collapses: the approximate gradient with the latent average done exactly.

The equilibrium control (``reversible=True``) ties ``wbar = w^T``,
``abar = c + w^T x_mean``: the chain ``x -> z -> x`` is then the Gibbs
sampler of the one-hot joint ``p(x, z) ~ exp(x . w_z + c_z)``, whose
marginal is a mixture of ``L`` Bernoulli products with weights
``pi_z ~ exp(c_z) prod_i (1 + e^{w_iz})``. The exact log-likelihood
gradient for the prior is ``d <ln p(x)> / dc = rho - pi`` (``rho`` the mean
posterior of the data), a force that pulls the weights toward the data
whatever the chain does.

Sec. III of Baiesi & Rosso (2025, arXiv:2512.11415) freezes the fantasy
distribution ``p(x')`` in eq. 12 and differentiates only ``Abar[x', z]``
(eqs. 16c-16d). With the latent average done exactly, eq. 16d for a tied
chain is, by detailed balance ``p(x') Abar[x', z] = pi_z A[z, x']``,

    g_c = sum_z rho_z (delta_z - M[z, .]) = rho (I - M),

with ``M = A Abar`` the latent transition matrix (eq. 3). Both gradients
vanish at the maximum (``rho = pi``, ``pi M = pi``), but as the latent
states separate and the chain stops moving (``M -> I``) the approximate one
vanishes for *any* ``rho``: the prior loses its restoring force, one state
can take the chain over, and (16a) then fits that state to all the data.
:func:`reversible_prior_gradients` computes the three vectors by
enumerating the ``2^D`` visible states of a small model; the test
``tests/nmm/test_reversible_collapse.py`` and
``examples/plot_nonequilibrium_cycles.py --collapse-only`` (which writes
``docs/generated_tables/nmm_reversible_collapse.md``) use it.
"""

from __future__ import annotations

import numpy as np

from .. import _backend
from .._math import binary_states
from . import _kernels as K
from ._estimates import exact_chain_matrices

__all__ = ["reversible_prior_gradients"]


def reversible_prior_gradients(w, c, x_mean, X):
    """Prior gradients of the tied (reversible) one-hot machine, exactly (float64, NumPy).

    Parameters
    ----------
    w : array of shape (D, L)
        Generative weights (``D <= 16``: the visible states are enumerated).
    c : array of shape (L,)
        Latent prior bias of the control.
    x_mean : array of shape (D,)
        Centering vector (eq. 17).
    X : array of shape (N, D)
        Binary data.

    Returns
    -------
    dict with
        ``M`` (L, L): latent transition matrix ``A Abar`` (eq. 3);
        ``pi`` (L,): the mixture weights, the chain's stationary occupancy;
        ``rho`` (L,): mean posterior of the data;
        ``approx`` (L,): the gradient of eqs. 16d / 17 for ``c``, computed by
        :func:`~skneq.nmm._kernels.approx_gradient` over every pair
        ``(x', z)`` weighted by ``p(x') Abar[x', z]`` (the exact latent
        average) and untied by the chain rule;
        ``closed_form`` (L,): ``rho (I - M)``;
        ``exact`` (L,): ``rho - pi``, the true gradient;
        ``mean_self_transition``: ``tr(M) / L`` (eq. 24).
    """
    w, c, x_mean, X = (np.asarray(v, dtype=np.float64) for v in (w, c, x_mean, X))
    xp, _ = _backend.namespace_of(w)
    D, L = w.shape
    a = np.zeros(D)
    Z = np.eye(L)
    wbar, abar = K.tie_reversible(w, c, x_mean, xp=xp)
    A, Abar = exact_chain_matrices(w, a, wbar, abar, x_mean, Z, "onehot", "softmax", xp=xp)  # (L, 2^D), (2^D, L)
    M = A @ Abar
    log_pi = c + np.logaddexp(0.0, w).sum(axis=0)
    pi = np.exp(log_pi - np.logaddexp.reduce(log_pi))
    p_visible = pi @ A  # the tied chain's stationary p(x'): the mixture
    # Exact latent average: every pair (x', z) with weight p(x') Abar[x', z].
    xs = np.asarray(binary_states(D, xp=xp, dtype=np.float64))  # the rows of A's columns, same order
    Xp = np.repeat(xs, L, axis=0)
    Zp = np.tile(Z, (xs.shape[0], 1))
    log_weight = np.log(np.maximum((p_visible[:, None] * Abar).ravel(), 1e-300))
    Up = K.latent_fields(Xp, wbar, abar, x_mean, xp=xp)
    gw, _, gwbar, gabar, _ = K.approx_gradient(X, Xp, Zp, Up, w, a, x_mean, latent="onehot",
                                               normalization="softmax", log_weight=log_weight, xp=xp)
    _, approx = K.untie_reversible_gradient(gw, gwbar, gabar, x_mean, xp=xp)
    idx = (X @ (2 ** np.arange(D))).astype(int)  # row of each data point in the enumeration
    post = pi[:, None] * A[:, idx]
    rho = (post / post.sum(axis=0)).mean(axis=1)
    return {"M": M, "pi": pi, "rho": rho, "approx": np.asarray(approx), "closed_form": rho @ (np.eye(L) - M),
            "exact": rho - pi, "mean_self_transition": float(np.trace(M)) / L}
