"""Detailed balance by enumeration: probability currents of exact transition matrices
(seed 004 Sec. 2; seed 000 Sec. IV)."""

from __future__ import annotations

from .. import _backend
from ..rbm import _exact as jc
from ._params import _check_kernel, _model_beta, rbm_parameters

__all__ = ["detailed_balance_violation_matrix", "detailed_balance_violation", "nmm_transition_matrix"]

#: Chains of a nonequilibrium Markov machine with an exact matrix.
NMM_CHAINS = ("latent", "visible")


def detailed_balance_violation_matrix(P, p=None):
    """Net probability currents ``J[i, j] = p_i P_ij - p_j P_ji`` of a chain.

    ``J = 0`` is detailed balance. A stationary chain that violates it
    carries persistent currents (seed 000 Sec. IV; seed 004 Sec. 2).

    Parameters
    ----------
    P : array of shape (n_states, n_states)
        Row-stochastic transition matrix, ``P[i, j] = P(i -> j)``, any
        array namespace.
    p : array of shape (n_states,) or None
        Reference distribution; None uses the stationary distribution of
        ``P`` (computed by a linear solve; ``P`` must be irreducible).

    Returns
    -------
    J : array of shape (n_states, n_states)
        Antisymmetric, in the namespace and device of ``P``.
    """
    xp, device = _backend.namespace_of(P)
    P = _backend.to_device(P, xp, device)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] == 0:
        raise ValueError(f"P must be a non-empty square matrix, got shape {tuple(P.shape)}")
    P = xp.astype(P, _backend.accurate_dtype(xp, device))
    if not bool(xp.all(xp.isfinite(P))):
        raise ValueError("P contains NaN or infinity")
    if bool(xp.any(P < 0)):
        raise ValueError("P has negative entries; a transition matrix holds probabilities")
    if float(xp.max(xp.abs(xp.sum(P, axis=1) - 1.0))) > 1e-8:
        raise ValueError("rows of P must sum to 1 (P[i, j] = P(i -> j) is row-stochastic)")
    if p is None:
        p = jc.stationary_distribution(P, xp=xp)
    else:
        p = xp.astype(_backend.to_device(p, xp, device), P.dtype)
        if tuple(p.shape) != (P.shape[0],):
            raise ValueError(f"p must have shape ({P.shape[0]},), got {tuple(p.shape)}")
        if not bool(xp.all(xp.isfinite(p))) or bool(xp.any(p < 0)):
            raise ValueError("p must hold finite non-negative probabilities")
        if abs(float(xp.sum(p)) - 1.0) > 1e-8:
            raise ValueError(f"p must sum to 1, sums to {float(xp.sum(p))}")
    return jc.probability_current(P, p, xp=xp)


def _is_nmm(model):
    return hasattr(model, "generative_weights_") or (
        hasattr(model, "get_params") and "n_latent" in model.get_params(deep=False)
    )


def nmm_transition_matrix(model, chain="latent", *, max_visible=16):
    """Exact transition matrix of a fitted nonequilibrium Markov machine (seed 000 eq. 3).

    The visible states are enumerated (``2**n_features`` of them), so the
    matrices ``A[z, x] = p(x | z)`` and ``Abar[x, z] = p(z | x)`` are exact,
    unlike the Rao-Blackwellised ``latent_transition_matrix_`` estimate.

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
    from sklearn.utils.validation import check_is_fitted

    from ..nmm import _kernels as K
    from ..rbm._kernels import binary_states

    if chain not in NMM_CHAINS:
        raise ValueError(f"chain must be one of {NMM_CHAINS}, got {chain!r}")
    check_is_fitted(model, "generative_weights_")
    xp, device = _backend.namespace_of(model.generative_weights_)
    dt = _backend.accurate_dtype(xp, device)
    w, a, wbar, abar, x_mean, Z = (
        xp.astype(_backend.to_device(p, xp, device), dt)
        for p in (model.generative_weights_, model.visible_bias_, model.recognition_weights_,
                  model.latent_bias_, model.visible_mean_, model.latent_states_)
    )
    n_features = w.shape[0]
    if n_features > max_visible:
        raise ValueError(
            f"Exact NMM matrices enumerate 2^{n_features} visible states (n_features > max_visible="
            f"{max_visible}); use the estimator's latent_transition_matrix_ estimate instead."
        )
    X = binary_states(n_features, 0, 2**n_features, xp=xp, device=device, dtype=dt)
    log_A = K.log_visible_given_latent(X, K.visible_fields(Z, w, a, xp=xp), xp=xp)  # [x, z] = ln A[z, x]
    U = K.latent_fields(X, wbar, abar, x_mean, xp=xp)
    log_Abar = K.log_latent_given_visible(U, Z, model.latent, model.onehot_normalization, xp=xp)  # [x, z]
    A, Abar = xp.matrix_transpose(xp.exp(log_A)), xp.exp(log_Abar)
    return A @ Abar if chain == "latent" else Abar @ A


def _matrix_of(model):
    """``(P, p)`` from a transition matrix or an object exposing one, else None."""
    for attr in ("joint_transition_matrix", "transition_matrix"):
        member = getattr(model, attr, None)
        if member is None:
            member = getattr(model, attr + "_", None)
        if member is None:
            continue
        out = member() if callable(member) else member
        if isinstance(out, tuple):
            return out[0], out[1]
        p = getattr(model, "stationary_distribution_", None)
        return out, p
    if not isinstance(model, (tuple, list)) and hasattr(model, "shape") and len(model.shape) == 2:
        return model, None
    return None


def detailed_balance_violation(model, kernel=None, *, beta=None, return_matrix=False):
    """Largest detailed-balance violation ``max |p(s) P(s->s') - p(s') P(s'->s)|``.

    Computed exactly by enumerating states, so for small models only.

    Parameters
    ----------
    model : RBM, tuple (W, b, c), transition matrix, or object
        * A fitted RBM or ``(W, b, c)``: the Gibbs kernel ``kernel`` at
          inverse temperature ``beta`` against ``p_beta`` (n_visible +
          n_hidden <= 12 for joint kernels).
        * A square row-stochastic matrix: checked against its stationary
          distribution.
        * Any object with a ``joint_transition_matrix()`` or
          ``transition_matrix()`` method (or ``transition_matrix_``
          attribute) returning ``P`` or ``(P, p)``, e.g. a nonequilibrium
          Markov machine (seed 000), which should violate detailed balance.
    kernel : str or None
        For a nonequilibrium Markov machine: ``"latent"`` (default, the
        chain ``M`` of seed 000 eq. 3) or ``"visible"``, exact by
        enumeration (``nmm_transition_matrix``); ignored for matrices.
        For RBMs: ``"symmetric"`` (default; h, v, h sweep, reversible),
        ``"alternating"`` (h then v, the sweep of seed 004 Sec. 2: *not*
        reversible on joint states), ``"random_scan"`` (reversible),
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
    is_rbm = (
        hasattr(model, "components_")
        or (isinstance(model, (tuple, list)) and len(model) == 3)
        or (hasattr(model, "get_params") and "n_components" in model.get_params(deep=False))
    )
    if _is_nmm(model):
        J = detailed_balance_violation_matrix(nmm_transition_matrix(model, "latent" if kernel is None else kernel))
        xp, _ = _backend.namespace_of(J)
    elif is_rbm:
        kernel = "symmetric" if kernel is None else kernel
        _check_kernel(kernel, jc.ENUMERATED_KERNELS)
        beta = _model_beta(model, beta)
        W, b, c, bk = rbm_parameters(model)
        xp = bk.xp
        P = jc.joint_transition_matrix(W, b, c, kernel, beta, xp=xp)
        if kernel == "visible":
            log_p = jc.visible_log_probabilities(W, b, c, beta, xp=xp)
        elif kernel == "hidden":
            log_p = jc.hidden_log_probabilities(W, b, c, beta, xp=xp)
        else:
            log_p, _ = jc.joint_log_probabilities(W, b, c, beta, xp=xp)
        J = jc.probability_current(P, xp.exp(log_p), xp=xp)
    else:
        found = _matrix_of(model)
        if found is None:
            raise ValueError(
                "model must be an RBM, a tuple (W, b, c), a square transition matrix, or an object "
                f"with a transition_matrix() method; got {type(model).__name__}"
            )
        J = detailed_balance_violation_matrix(*found)
        xp, _ = _backend.namespace_of(J)
    violation = float(xp.max(xp.abs(J)))
    return (violation, J) if return_matrix else violation
