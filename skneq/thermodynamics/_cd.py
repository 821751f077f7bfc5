"""Contrastive divergence as a thermodynamic process (Salazar 2017, arXiv:1704.08724, Sec. 4.2),
exactly on small models."""

from __future__ import annotations

from dataclasses import dataclass

from .. import _backend
from ..rbm import _exact as jc
from ..rbm._kernels import exact_log_partition
from .._validation import check_int
from ._params import _model_beta, rbm_parameters

__all__ = ["CDTerms", "contrastive_divergence_terms", "CDLimit", "contrastive_divergence_limit"]


@dataclass
class CDTerms:
    """``CD_n = KL(p_D || p) - KL(p_n || p) = energy_term + entropy_term``.

    All quantities are over joint states ``s = (v, h)`` with ``p_D(v, h) =
    p_D(v) p(h | v)`` and ``p_n`` the distribution after ``n`` Gibbs sweeps
    from ``p_D``; entropies in nats.

    Attributes
    ----------
    cd : float
        ``CD_n``.
    kl_data, kl_n : float
        ``KL(p_D || p_beta)`` and ``KL(p_n || p_beta)``.
    energy_term : float
        ``beta (<E>_D - <E>_n)``.
    entropy_term : float
        ``S_n - S_D``.
    mean_energy_data, mean_energy_n, entropy_data, entropy_n : float
    log_partition : float
        ``log Z(beta)`` (cancels in ``CD_n``).
    """

    cd: float
    kl_data: float
    kl_n: float
    energy_term: float
    entropy_term: float
    mean_energy_data: float
    mean_energy_n: float
    entropy_data: float
    entropy_n: float
    log_partition: float


def _entropy(p, log_p, *, xp):
    return -xp.sum(p * log_p)


def contrastive_divergence_terms(model, X, n_steps=1, *, beta=None):
    """Split the CD_n objective into energy and entropy terms, exactly (Salazar 2017, Sec. 4.2).

    .. math:: CD_n = KL(p_D \\| p) - KL(p_n \\| p)
              = \\beta (\\langle E \\rangle_D - \\langle E \\rangle_n) + (S_n - S_D)

    where ``log Z`` cancels. The paper writes the entropy term ``S_n + S_0``
    with ``S_0 = sum_s p_D log p_D = -S_D``: the same thing. ``CD_0 = 0`` and ``CD_n`` grows to
    ``KL(p_D || p)`` as ``n -> infinity`` (a Markov kernel leaving ``p``
    invariant can only bring ``p_n`` closer to it). Enumerates the joint
    states, so ``n_visible + n_hidden <= 12``.

    Parameters
    ----------
    model : RBM or tuple (W, b, c)
    X : array of shape (n_samples, n_visible)
        Binary data defining the empirical distribution ``p_D(v)``.
    n_steps : int
        ``n`` Gibbs sweeps v -> h -> v.
    beta : float or None
        Inverse temperature; None uses the estimator's ``beta`` (1 for tuples).

    Returns
    -------
    CDTerms
    """
    from .._validation import check_array_xp, check_binary

    beta = _model_beta(model, beta)
    n_steps = check_int(n_steps, "n_steps", low=0)
    W, b, c, bk = rbm_parameters(model)
    xp = bk.xp
    n_hidden, n_visible = W.shape
    jc._check_joint_size(n_visible, n_hidden)
    X = check_array_xp(X, name="X")
    if X.shape[1] != n_visible:
        raise ValueError(f"X has {X.shape[1]} features, the model {n_visible} visible units")
    X = _backend.to_device(X, xp, bk.device, dtype=W.dtype)
    check_binary(X, xp, what="contrastive_divergence_terms")
    # Empirical p_D(v): each row's state index, counted with a one-hot sum.
    powers = 2.0 ** xp.astype(xp.arange(n_visible, device=bk.device), W.dtype)
    index = xp.astype(X @ powers, xp.int64)
    states = xp.arange(2**n_visible, dtype=xp.int64, device=bk.device)
    p_data_v = xp.sum(xp.astype(index[:, None] == states[None, :], W.dtype), axis=0) / X.shape[0]
    log_hv, _ = jc.conditional_log_probabilities(W, b, c, beta, xp=xp)
    T_v = jc.joint_transition_matrix(W, b, c, "visible", beta, xp=xp)
    p_n_v = p_data_v
    for _ in range(n_steps):
        p_n_v = p_n_v @ T_v
    log_p, E = jc.joint_log_probabilities(W, b, c, beta, xp=xp)
    log_Z = exact_log_partition(W, b, c, beta, xp=xp)
    p_h_given_v = xp.exp(log_hv)

    def joint(p_v):
        q = xp.reshape(p_v[:, None] * p_h_given_v, (-1,))
        # 0 log 0 = 0: zero-probability states get log 1 = 0 in place of -inf.
        return q, xp.log(xp.where(q > 0, q, xp.ones_like(q)))

    q_d, log_q_d = joint(p_data_v)
    q_n, log_q_n = joint(p_n_v)
    S_d, S_n = _entropy(q_d, log_q_d, xp=xp), _entropy(q_n, log_q_n, xp=xp)
    E_d, E_n = xp.sum(q_d * E), xp.sum(q_n * E)
    kl_d = -S_d - xp.sum(q_d * log_p)
    kl_n = -S_n - xp.sum(q_n * log_p)
    return CDTerms(
        cd=float(kl_d - kl_n),
        kl_data=float(kl_d),
        kl_n=float(kl_n),
        energy_term=float(beta * (E_d - E_n)),
        entropy_term=float(S_n - S_d),
        mean_energy_data=float(E_d),
        mean_energy_n=float(E_n),
        entropy_data=float(S_d),
        entropy_n=float(S_n),
        log_partition=float(log_Z),
    )


@dataclass
class CDLimit:
    """``CD_inf = beta <W> - beta Delta F`` (Salazar 2017, end of Sec. 4.2), over joint states.

    The process: the data law ``p_D`` is the equilibrium of the energy
    ``E_D = -log(p_D) / beta`` (``Z_D = 1``, ``F_D = 0``); the energy is
    switched to the RBM's ``E`` at once (work ``W = E - E_D`` on each state,
    averaged over ``p_D``), then the system relaxes at fixed ``E`` (heat only).

    Attributes
    ----------
    cd_infinity : float
        ``beta <W> - beta Delta F``.
    mean_work : float
        ``beta <W> = beta <E>_D - S_D``.
    delta_free_energy : float
        ``beta Delta F = beta (F - F_D) = -log Z``.
    kl_data : float
        ``KL(p_D || p)``, which ``CD_n`` tends to as ``n -> infinity``; equals
        ``cd_infinity`` (the paper's identity).
    """

    cd_infinity: float
    mean_work: float
    delta_free_energy: float
    kl_data: float


def contrastive_divergence_limit(model, X, *, beta=None):
    """``CD_inf`` as the dissipated work of a quench from the data law (Salazar 2017, Sec. 4.2).

    Parameters
    ----------
    model : RBM or tuple (W, visible_bias, hidden_bias)
    X : array of shape (n_samples, n_visible)
        Binary data defining ``p_D(v)``.
    beta : float or None
        None uses the estimator's ``beta`` (1 for tuples).

    Returns
    -------
    CDLimit
        ``cd_infinity >= 0`` (the second law) and ``== kl_data``.
    """
    terms = contrastive_divergence_terms(model, X, 0, beta=beta)
    beta = _model_beta(model, beta)
    mean_work = beta * terms.mean_energy_data - terms.entropy_data
    delta_free_energy = -terms.log_partition
    return CDLimit(mean_work - delta_free_energy, mean_work, delta_free_energy, terms.kl_data)
