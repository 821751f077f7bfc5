"""Detailed balance by enumeration: probability currents of exact transition matrices
(Viviescas 2018, "Nonequilibrium thermodynamics of restricted Boltzmann machines",
Sec. 2; Baiesi & Rosso 2025, arXiv:2512.11415, Sec. IV).

Models are asked for their exact chain through one private protocol,
``model._exact_transition_matrix(kernel, beta) -> (P, p)``: ``P`` the
row-stochastic matrix of the chain named ``kernel`` (family-specific names;
``None`` the family's default), ``p`` the distribution it should balance
(``None``: its stationary distribution). Nothing is guessed from attribute
names: an estimator without the method gets a ``TypeError``.
"""

from __future__ import annotations

from .. import _backend
from .. import _markov as mk
from ..rbm import _exact as jc
from .._validation import check_bool
from ._params import _check_kernel, _model_beta, rbm_parameters

__all__ = ["detailed_balance_violation_matrix", "detailed_balance_violation", "nmm_transition_matrix"]


def detailed_balance_violation_matrix(P, p=None):
    """Net probability currents ``J[i, j] = p_i P_ij - p_j P_ji`` of a chain.

    ``J = 0`` is detailed balance. A stationary chain that violates it
    carries persistent currents (Baiesi & Rosso 2025 Sec. IV; Viviescas 2018
    Sec. 2).

    Parameters
    ----------
    P : array of shape (n_states, n_states)
        Row-stochastic transition matrix, ``P[i, j] = P(i -> j)``, any
        array namespace; rows must sum to 1 within
        ``skneq._markov.ROW_SUM_TOLERANCE``.
    p : array of shape (n_states,) or None
        Reference distribution; None uses the stationary distribution of
        ``P`` (Grassmann-Taksar-Heyman elimination; it must be unique).

    Returns
    -------
    J : array of shape (n_states, n_states)
        Antisymmetric, in the namespace and device of ``P``.
    """
    P, xp, device = mk.check_transition_matrix(P, name="P")
    if P.shape[0] == 0:
        raise ValueError(f"P must be a non-empty square matrix, got shape {tuple(P.shape)}")
    if p is None:
        p = mk.stationary_distribution(P, xp=xp)
    else:
        p = _backend.to_device(p, xp, device)
        if tuple(p.shape) != (P.shape[0],):
            raise ValueError(f"p must have shape ({P.shape[0]},), got {tuple(p.shape)}")
        p = mk.check_distribution(p, P.shape[0], xp, device)
    return mk.probability_currents(P, p)


def nmm_transition_matrix(model, chain="latent", *, max_visible=16):
    """Exact transition matrix of a fitted nonequilibrium Markov machine (Baiesi & Rosso 2025, eq. 3).

    The visible states are enumerated (``2**n_features`` of them), so the
    matrices ``A[z, x] = p(x | z)`` and ``Abar[x, z] = p(z | x)`` are exact,
    unlike the Rao-Blackwellised ``latent_transition_matrix_`` estimate.
    Calls the model's ``_exact_transition_matrix(chain)``.

    Parameters
    ----------
    model : skneq.nmm.NonequilibriumMarkovMachine
        Fitted.
    chain : {"latent", "visible"}
        ``"latent"``: ``M[z', z] = sum_x A[z', x] Abar[x, z]`` (eq. 3);
        ``"visible"``: ``sum_z Abar[x, z] A[z, x']``.
    max_visible : int
        Largest ``n_features`` enumerated.

    Returns
    -------
    P : array of shape (n_states, n_states)
        Row-stochastic, float64, in the model's namespace.
    """
    from ..nmm import NonequilibriumMarkovMachine

    if not isinstance(model, NonequilibriumMarkovMachine):
        raise TypeError(f"model must be a NonequilibriumMarkovMachine, got {type(model).__name__}.")
    P, _ = model._exact_transition_matrix(chain, None, max_visible=max_visible)
    return P


def _is_bernoulli_rbm(model):
    """scikit-learn's BernoulliRBM, which cannot implement skneq's protocol, recognised by type."""
    from sklearn.neural_network import BernoulliRBM

    return isinstance(model, BernoulliRBM)


def _exact_chain(model, kernel, beta):
    """``(P, p)`` through the protocol, an RBM adapter, or a plain matrix; else TypeError."""
    if hasattr(type(model), "_exact_transition_matrix"):
        return model._exact_transition_matrix(kernel, beta)
    if _is_bernoulli_rbm(model) or (isinstance(model, (tuple, list)) and len(model) == 3):
        # scikit-learn's BernoulliRBM and (W, b, c) tuples: the exact Gibbs
        # kernel of skneq.rbm._exact.
        kernel = "symmetric" if kernel is None else kernel
        _check_kernel(kernel, jc.ENUMERATED_KERNELS)
        beta = _model_beta(model, beta)
        W, b, c, bk = rbm_parameters(model)
        return jc.exact_chain(W, b, c, kernel, beta, xp=bk.xp)
    if hasattr(model, "get_params") or hasattr(model, "fit"):
        raise TypeError(
            f"detailed_balance_violation needs a model with an exact transition matrix (an RBM, a "
            f"NonequilibriumMarkovMachine, or any object implementing _exact_transition_matrix(kernel, beta)); "
            f"{type(model).__name__} has none."
        )
    if hasattr(model, "shape") or isinstance(model, (list, tuple)):
        return model, None
    raise TypeError(
        "model must be an RBM, a tuple (W, b, c), a square transition matrix, or an object implementing "
        f"_exact_transition_matrix(kernel, beta); got {type(model).__name__}"
    )


def detailed_balance_violation(model, kernel=None, *, beta=None, return_matrix=False):
    """Largest detailed-balance violation ``max |p(s) P(s->s') - p(s') P(s'->s)|``.

    Computed exactly by enumerating states, so for small models only.

    Parameters
    ----------
    model : RBM, NonequilibriumMarkovMachine, tuple (W, b, c), transition matrix, or object
        * A fitted RBM (skneq's or scikit-learn's BernoulliRBM) or
          ``(W, b, c)``: the Gibbs kernel ``kernel`` at inverse temperature
          ``beta`` against ``p_beta`` (n_visible + n_hidden <= 12 for joint
          kernels).
        * A fitted nonequilibrium Markov machine (Baiesi & Rosso 2025),
          which should violate detailed balance: its exact latent or visible
          chain against its stationary distribution.
        * A square row-stochastic matrix: checked against its stationary
          distribution.
        * Any object implementing ``_exact_transition_matrix(kernel, beta)``
          returning ``(P, p)`` (``p=None``: the stationary distribution).

        Any other estimator (e.g. a fitted PCA) raises ``TypeError``.
    kernel : str or None
        For a nonequilibrium Markov machine: ``"latent"`` (default, the
        chain ``M`` of its eq. 3) or ``"visible"``; ignored for matrices.
        For RBMs: ``"symmetric"`` (default; h, v, h sweep, reversible),
        ``"alternating"`` (h then v, the sweep of Viviescas 2018 Sec. 2:
        *not* reversible on joint states), ``"random_scan"`` (reversible),
        ``"hidden_update"``/``"visible_update"`` (one block, reversible), or
        ``"visible"``/``"hidden"`` (the marginal chain on one layer,
        reversible).
    beta : float or None
        Inverse temperature of the kernel and of ``p_beta``; None uses the
        estimator's ``beta`` (1 for tuples and estimators without one).
    return_matrix : bool
        Also return the current matrix ``J``.

    Returns
    -------
    violation : float
    J : array of shape (n_states, n_states)
        Only if ``return_matrix``.
    """
    return_matrix = check_bool(return_matrix, "return_matrix")
    P, p = _exact_chain(model, kernel, beta)
    J = detailed_balance_violation_matrix(P, p)
    xp, _ = _backend.namespace_of(J)
    violation = float(xp.max(xp.abs(J)))
    return (violation, J) if return_matrix else violation
