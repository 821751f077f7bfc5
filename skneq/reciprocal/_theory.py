"""The theory side of the reciprocal-space view of an RBM.

Toledo-Marin, Maiti, Fox and Melko (2025), arXiv:2503.21536, Secs. 4-5
(equation numbers refer to it):

* :func:`reciprocal_log_partition`: the partition function written over
  the reciprocal variables, eqs. 22-23, by exact enumeration (small models).
* :func:`saddle_point_equations`: the self-consistent saddle point of the
  effective action, eqs. 24-28; its ``beta -> 0`` limit is eq. 29.
* :func:`reciprocal_moments`: mean and spread of the reciprocal variables
  of uniform binary states, eq. 52.
* :func:`harmonic_constraint_potential`: the constraint potential
  ``V = -ln rho`` in the Gaussian approximation (eqs. 46-47), the
  oscillator frequencies ``omega_i`` and centres of eqs. 41-42, the
  spectrum ``E(n)`` of eq. 49 and the critical singular value
  ``lambda_c = 4 / beta`` above which a mode's frequency turns negative.
* :func:`critical_mode_counts`: modes above ``lambda_c`` per checkpoint.
* :func:`landau_free_energy`: the mean-field free energy ``f_i(z_i)`` of
  eqs. 53-56 for chosen modes, with its (asymmetric) double well.

Coordinates. ``z = (u_1..u_K, w_1..w_K, r_{K+1}..r_L)`` with ``K = min(N, M)``,
``L = max(N, M)``, ``(u, w)`` the rotated coordinates of eq. 19 (saddle at
the origin) and ``r`` the uncoupled variables of the larger layer (``x``
when ``N > M`` as in the paper, ``y`` when ``M > N``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _backend
from .._math import binary_states, logsumexp, sigmoid
from .._validation import check_beta, check_int, check_option, check_probability, check_real, host_float64
from ..rbm._exact import _check_joint_size
from .._protocol import model_beta as _model_beta
from ._kernels import _device
from ._projector import ReciprocalSpaceProjector

__all__ = [
    "reciprocal_log_partition",
    "SaddlePoint",
    "saddle_point_equations",
    "ReciprocalMoments",
    "reciprocal_moments",
    "HarmonicConstraint",
    "harmonic_constraint_potential",
    "critical_singular_value",
    "critical_mode_counts",
    "LandauFreeEnergy",
    "landau_free_energy",
]

_ROOT2 = math.sqrt(2.0)


def _fit(model, random_state):
    if isinstance(model, ReciprocalSpaceProjector):
        return model
    from .._protocol import rbm_parameters

    W, b, c, bk = rbm_parameters(model)
    return ReciprocalSpaceProjector.from_parameters(W, b, c, random_state=random_state, backend=bk.xp)


def _beta(model, beta):
    if isinstance(model, ReciprocalSpaceProjector):
        return 1.0 if beta is None else check_beta(beta, allow_zero=True)
    return _model_beta(model, beta)


def _z_of_states(projector, V, H, xp):
    """``z = (u, w, r)`` (module docstring) of paired rows of ``V`` and ``H``."""
    x = xp.matmul(V, projector.visible_modes_)
    y = xp.matmul(H, projector.hidden_modes_)
    k = projector.singular_values_.shape[0]
    dx = x[:, :k] - projector.saddle_points_[:, 0]
    dy = y[:, :k] - projector.saddle_points_[:, 1]
    rest = x[:, k:] if x.shape[1] > k else y[:, k:]
    return xp.concat([(dx + dy) / _ROOT2, (dy - dx) / _ROOT2, rest], axis=1)


def _mode_loadings(projector, xp):
    """``A`` of shape (N + M, 2K + L - K): ``z - z(0) = A^T (v, h)`` column by column."""
    U, V = projector.visible_modes_, projector.hidden_modes_
    n, m = U.shape[0], V.shape[0]
    k = projector.singular_values_.shape[0]
    zeros_v = xp.zeros((n, m), dtype=U.dtype, device=_device(U))
    zeros_h = xp.zeros((m, n), dtype=U.dtype, device=_device(U))
    top = xp.concat([U, zeros_v], axis=1)  # v -> (x, y)
    bottom = xp.concat([zeros_h, V], axis=1)  # h -> (x, y)
    to_xy = xp.concat([top, bottom], axis=0)  # (N + M, N + M): columns x_0..x_{N-1}, y_0..y_{M-1}
    x_k, y_k = to_xy[:, :k], to_xy[:, n:n + k]
    rest = to_xy[:, k:n] if n > m else to_xy[:, n + k:]
    return xp.concat([(x_k + y_k) / _ROOT2, (y_k - x_k) / _ROOT2, rest], axis=1)


# --------------------------------------------------------------------------
# Eqs. 22-23: the partition function over reciprocal variables
# --------------------------------------------------------------------------


def reciprocal_log_partition(model, *, beta=None, random_state=0):
    """``log Z`` as the paper writes it over reciprocal variables (eqs. 22-23), exactly.

    ``Z = 2^{N+M} int du dw dx e^{-beta E(u, w, x)} rho(u, w, x)`` where
    ``rho`` is the density of the images of the ``2^{N+M}`` binary states
    (eq. 23), so ``Z = 2^{N+M} <exp(-beta E(u, w, x))>_uniform`` with the
    energy written mode by mode in the rotated coordinates (eq. 20 plus the
    uncoupled modes of eq. 16). Every state is enumerated: a check of the
    reciprocal formulation against :func:`skneq.RBM`'s exact ``log Z``.

    Parameters
    ----------
    model : RBM, tuple (W, visible_bias, hidden_bias) or fitted ReciprocalSpaceProjector
        ``n_visible + n_hidden <= 12``.
    beta : float or None
        Inverse temperature; None uses the estimator's ``beta`` (1 otherwise).
    random_state : int, RandomState or None
        Seeds the Haar completion of the null space (``log Z`` does not depend on it).

    Returns
    -------
    log_Z : float
    """
    beta = _beta(model, beta)
    projector = _fit(model, random_state)
    xp, device = _backend.namespace_of(projector.visible_modes_)
    dtype = projector.visible_modes_.dtype
    n, m = projector.n_visible_, projector.n_hidden_
    _check_joint_size(n, m)
    k = projector.singular_values_.shape[0]
    V = binary_states(n, xp=xp, device=device, dtype=dtype)
    H = binary_states(m, xp=xp, device=device, dtype=dtype)
    # Every (v, h) pair: repeat rows of V, tile rows of H.
    V_all = xp.reshape(xp.broadcast_to(V[:, None, :], (V.shape[0], H.shape[0], n)), (-1, n))
    H_all = xp.reshape(xp.broadcast_to(H[None, :, :], (V.shape[0], H.shape[0], m)), (-1, m))
    z = _z_of_states(projector, V_all, H_all, xp)
    lam = projector.singular_values_
    u, w, rest = z[:, :k], z[:, k:2 * k], z[:, 2 * k:]
    coupled = xp.where(xp.isnan(projector.saddle_energies_), xp.zeros_like(lam), projector.saddle_energies_)
    energy = xp.sum(coupled - 0.5 * lam * (u * u - w * w), axis=1)
    if rest.shape[1]:
        bias = projector.reciprocal_visible_bias_ if n > m else projector.reciprocal_hidden_bias_
        energy = energy - xp.sum(rest * bias[k:], axis=1)
    n_states = V_all.shape[0]
    return float((n + m) * math.log(2.0) + logsumexp(-beta * energy, xp=xp) - math.log(n_states))


# --------------------------------------------------------------------------
# Eqs. 24-28: the saddle point of the effective action
# --------------------------------------------------------------------------


@dataclass
class SaddlePoint:
    """Solution of the saddle-point equations 27a-f (NumPy arrays).

    Attributes
    ----------
    u, w : ndarray of shape (K,)
        ``u_l^*`` and ``w_l^*`` (eqs. 27d-e).
    rest : ndarray of shape (L - K,)
        ``x_l^*`` (eq. 27f) of the uncoupled modes of the larger layer.
    conjugate_u, conjugate_w, conjugate_rest : ndarray
        ``-i`` times the conjugate variables of eqs. 27a-c:
        ``beta lambda_l u_l``, ``-beta lambda_l w_l`` and ``beta a0_l``.
    visible_mean, hidden_mean : ndarray of shape (N,) and (M,)
        ``<<v>>`` and ``<<h>>`` under the tilted measure of eq. 28.
    n_iter : int
    converged : bool
    residual : float
        Largest ``|u - <<f>>|``, ``|w - <<g>>|`` at the returned point.
    """

    u: np.ndarray
    w: np.ndarray
    rest: np.ndarray
    conjugate_u: np.ndarray
    conjugate_w: np.ndarray
    conjugate_rest: np.ndarray
    visible_mean: np.ndarray
    hidden_mean: np.ndarray
    n_iter: int
    converged: bool
    residual: float


def saddle_point_equations(model, *, beta=None, damping=0.5, tol=1e-12, max_iter=10_000, random_state=0):
    """Solve the saddle-point equations of the reciprocal action (eqs. 24-28).

    Stationarity of the action ``S`` (eqs. 25-26) in ``u, w, x`` gives the
    conjugate variables of eqs. 27a-c, ``hat u = i beta lambda u``,
    ``hat w = -i beta lambda w``, ``hat x = i beta a0``; stationarity in the
    conjugates gives ``u = <<f>>``, ``w = <<g>>``, ``x = <<x(v)>>``
    (eqs. 27d-f) with the average of eq. 28. With those conjugates the
    weight of eq. 28 is ``exp(beta sum_l lambda_l (u_l f_l - w_l g_l) +
    beta sum_j a0_j x_j)``, linear in ``(v, h)``: the average factorises
    over units, ``<<v>> = sigmoid(field_v)`` and ``<<h>> =
    sigmoid(field_h)``, so the equations are solved for any size by damped
    fixed-point iteration. At ``beta = 0`` the solution is eq. 29.

    Parameters
    ----------
    model : RBM, tuple (W, visible_bias, hidden_bias) or fitted ReciprocalSpaceProjector
    beta : float or None
        None uses the estimator's ``beta`` (1 otherwise).
    damping : float in [0, 1), default=0.5
        Fraction of the old iterate kept at each step.
    tol : float, default=1e-12
        Stop when the largest change of ``(u, w)`` is below ``tol``.
    max_iter : int, default=10000
    random_state : int, RandomState or None
        Seeds the Haar completion of the null space.

    Returns
    -------
    SaddlePoint
        ``converged`` is False when the iteration did not settle (the
        saddle may then not be unique: large ``beta lambda``).
    """
    beta = _beta(model, beta)
    damping = check_real(damping, "damping", low=0.0, high=1.0, high_inclusive=False)
    tol = check_real(tol, "tol", low=0.0, low_inclusive=False)
    max_iter = check_int(max_iter, "max_iter")
    projector = _fit(model, random_state)
    xp = _backend.namespace_of(projector.visible_modes_)[0]
    U, V = projector.visible_modes_, projector.hidden_modes_
    n, m = U.shape[0], V.shape[0]
    k = projector.singular_values_.shape[0]
    lam = projector.singular_values_
    x0, y0 = projector.saddle_points_[:, 0], projector.saddle_points_[:, 1]
    a0, b0 = projector.reciprocal_visible_bias_, projector.reciprocal_hidden_bias_
    # The uncoupled modes' tilt beta a0_j x_j (or beta b0_j y_j) is fixed (eq. 27c).
    fixed_v = beta * xp.matmul(U[:, k:], a0[k:]) if n > m else 0.0
    fixed_h = beta * xp.matmul(V[:, k:], b0[k:]) if m > n else 0.0

    def means(u, w):
        field_v = beta * xp.matmul(U[:, :k], lam * (u + w) / _ROOT2) + fixed_v
        field_h = beta * xp.matmul(V[:, :k], lam * (u - w) / _ROOT2) + fixed_h
        return sigmoid(field_v, xp=xp), sigmoid(field_h, xp=xp)

    def images(p_v, p_h):
        x, y = xp.matmul(p_v, U), xp.matmul(p_h, V)
        f = (x[:k] + y[:k] - x0 - y0) / _ROOT2
        g = (-x[:k] + y[:k] + x0 - y0) / _ROOT2
        return f, g, x, y

    # Start from the high-temperature solution (eq. 29).
    half_v = xp.full((n,), 0.5, dtype=U.dtype, device=_device(U))
    half_h = xp.full((m,), 0.5, dtype=U.dtype, device=_device(U))
    u, w, _, _ = images(half_v, half_h)
    converged, n_iter = False, 0
    for n_iter in range(1, max_iter + 1):  # iterations of a contraction, not a loop over data
        f, g, _, _ = images(*means(u, w))
        step = max(float(xp.max(xp.abs(f - u))), float(xp.max(xp.abs(g - w))))
        u = damping * u + (1.0 - damping) * f
        w = damping * w + (1.0 - damping) * g
        if step < tol:
            converged = True
            break
    p_v, p_h = means(u, w)
    f, g, x, y = images(p_v, p_h)
    residual = max(float(xp.max(xp.abs(f - u))), float(xp.max(xp.abs(g - w))))
    rest = x[k:] if n > m else y[k:]
    rest_bias = a0[k:] if n > m else b0[k:]
    to_np = _backend.to_numpy
    return SaddlePoint(
        u=to_np(u), w=to_np(w), rest=to_np(rest), conjugate_u=to_np(beta * lam * u),
        conjugate_w=to_np(-beta * lam * w), conjugate_rest=to_np(beta * rest_bias), visible_mean=to_np(p_v),
        hidden_mean=to_np(p_h), n_iter=n_iter, converged=converged, residual=residual,
    )


# --------------------------------------------------------------------------
# Eq. 52: moments of the reciprocal variables of uniform binary states
# --------------------------------------------------------------------------


@dataclass
class ReciprocalMoments:
    """Mean and standard deviation of each reciprocal variable (eq. 52), NumPy arrays."""

    mean: np.ndarray
    std: np.ndarray


def reciprocal_moments(modes, *, p=0.5):
    """Moments of ``x_i = sum_k U_ki s_k`` for ``s`` i.i.d. Bernoulli(``p``) (eq. 52, Fig. 5).

    ``mu_i = p sum_k U_ki`` and ``sigma_i = sqrt(p (1 - p) sum_k U_ki^2)``;
    at ``p = 1/2`` and unit columns, ``mu_i = (1/2) sum_k U_ki`` and
    ``sigma_i = 1/2`` as eq. 52 writes.

    Parameters
    ----------
    modes : array of shape (n_units, n_modes)
        ``visible_modes_`` (for ``x``) or ``hidden_modes_`` (for ``y``).
    p : float in [0, 1], default=0.5

    Returns
    -------
    ReciprocalMoments
    """
    p = check_probability(p, "p")
    A = host_float64(modes, "modes")
    if A.ndim != 2 or A.size == 0 or not np.all(np.isfinite(A)):
        raise ValueError(f"modes must be a finite non-empty 2-D array, got shape {A.shape}.")
    return ReciprocalMoments(p * A.sum(axis=0), np.sqrt(p * (1 - p) * np.sum(A * A, axis=0)))


# --------------------------------------------------------------------------
# Eqs. 40-49: harmonic constraint potential, frequencies, spectrum, lambda_c
# --------------------------------------------------------------------------


def critical_singular_value(beta=1.0, stiffness=4.0):
    """``lambda_c = k / beta``: above it the frequency ``omega_i = (k - beta lambda_i) / 2`` of eq. 41
    is negative (eq. 49: the diffusion of that mode does not converge). ``k = 4`` is the Gaussian
    stiffness of eq. 47."""
    beta = check_beta(beta)
    stiffness = check_real(stiffness, "stiffness", low=0.0, low_inclusive=False)
    return stiffness / beta


@dataclass
class HarmonicConstraint:
    """Gaussian constraint potential and its oscillators (eqs. 41-49), NumPy arrays of length ``K + L``.

    Attributes
    ----------
    beta : float
    singular_values : ndarray of shape (K,)
    mean : ndarray
        ``mu_z``: the eq. 29 minimum (``<v> = <h> = 1/2``), i.e. the means of eq. 52.
    stiffness : ndarray
        ``k_ii = 1 / Var(z_i)`` (eq. 47: exactly 4 for orthonormal modes).
    omega : ndarray
        Eq. 41: ``(k - beta lambda) / 2`` for ``u``, ``(k + beta lambda) / 2``
        for ``w``, ``k / 2`` for the uncoupled modes.
    centre : ndarray
        ``z_i0`` of eq. 42.
    lambda_c : float
        ``4 / beta``.
    n_unstable : int
        Modes with ``lambda_i > lambda_c`` (``omega_i < 0``).
    """

    beta: float
    singular_values: np.ndarray
    mean: np.ndarray
    stiffness: np.ndarray
    omega: np.ndarray
    centre: np.ndarray
    lambda_c: float
    n_unstable: int

    def potential(self, z):
        """``V(z) = -ln rho(z)`` of the Gaussian approximation (eq. 46), shape ``z.shape[:-1]``."""
        z = np.asarray(z, dtype=np.float64)
        if z.shape[-1] != self.mean.size:
            raise ValueError(f"z must have {self.mean.size} coordinates in its last axis, got {z.shape[-1]}.")
        d = z - self.mean
        return (0.5 * np.sum(self.stiffness * d * d, axis=-1) - 0.5 * np.sum(np.log(self.stiffness))
                + 0.5 * self.mean.size * math.log(2 * math.pi))

    def energy_levels(self, n):
        """``E(n) = sum_i omega_i n_i`` (eq. 49) for occupation numbers ``n`` (..., K + L) of
        non-negative integers; the relaxation rates are ``beta E(n) / 2``."""
        n = np.asarray(n)
        if n.shape[-1] != self.omega.size or not np.issubdtype(n.dtype, np.integer) or np.any(n < 0):
            raise ValueError(f"n must hold non-negative integers with {self.omega.size} entries in its last axis.")
        return n @ self.omega


def harmonic_constraint_potential(model, *, beta=None, random_state=0):
    """The constraint potential in the harmonic (Gaussian) approximation, eqs. 40-49.

    Parameters
    ----------
    model : RBM, tuple (W, visible_bias, hidden_bias) or fitted ReciprocalSpaceProjector
    beta : float or None
        None uses the estimator's ``beta`` (1 otherwise).
    random_state : int, RandomState or None
        Seeds the Haar completion of the null space.

    Returns
    -------
    HarmonicConstraint
    """
    beta = _beta(model, beta)
    if beta <= 0:
        raise ValueError("beta must be positive for the harmonic expansion (lambda_c = 4 / beta).")
    projector = _fit(model, random_state)
    xp = _backend.namespace_of(projector.visible_modes_)[0]
    A = _backend.to_numpy(_mode_loadings(projector, xp))
    lam = np.asarray(_backend.to_numpy(projector.singular_values_), dtype=np.float64)
    k = lam.size
    mean = np.concatenate(_constraint_mean(projector))
    stiffness = 1.0 / (0.25 * np.sum(A * A, axis=0))
    omega = 0.5 * stiffness
    omega[:k] -= 0.5 * beta * lam
    omega[k:2 * k] += 0.5 * beta * lam
    centre = np.empty_like(mean)
    centre[:2 * k] = mean[:2 * k] * stiffness[:2 * k] / (2.0 * omega[:2 * k])
    bias = _backend.to_numpy(projector.reciprocal_visible_bias_ if projector.n_visible_ > projector.n_hidden_
                             else projector.reciprocal_hidden_bias_)[k:]
    centre[2 * k:] = beta * bias / (2.0 * omega[2 * k:]) + mean[2 * k:]
    lambda_c = critical_singular_value(beta)
    return HarmonicConstraint(beta, lam, mean, stiffness, omega, centre, lambda_c, int(np.sum(lam > lambda_c)))


def _constraint_mean(projector):
    cmin = projector.constraint_minimum()
    k = projector.singular_values_.shape[0]
    rest = cmin.x[k:] if projector.n_visible_ > projector.n_hidden_ else cmin.y[k:]
    return tuple(np.asarray(_backend.to_numpy(a), dtype=np.float64) for a in (cmin.u, cmin.w, rest))


def critical_mode_counts(source, *, beta=1.0):
    """Per checkpoint, the number of singular values above ``lambda_c = 4 / beta`` (eq. 49).

    Parameters
    ----------
    source : RBM or list of checkpoints
        See :func:`training_checkpoints`.
    beta : float, default=1.0

    Returns
    -------
    epochs : ndarray of int
    counts : ndarray of int
    lambda_c : float
    """
    from ._trajectories import training_checkpoints
    from .._protocol import rbm_parameters

    lambda_c = critical_singular_value(beta)
    epochs, counts = [], []
    for epoch, params in training_checkpoints(source):
        W, _, _, bk = rbm_parameters(params)
        epochs.append(epoch)
        counts.append(int(np.sum(_backend.to_numpy(bk.xp.linalg.svdvals(W)) > lambda_c)))
    return np.asarray(epochs), np.asarray(counts), lambda_c


# --------------------------------------------------------------------------
# Eqs. 53-56: mean-field Landau free energy of a mode
# --------------------------------------------------------------------------


@dataclass
class LandauFreeEnergy:
    """``f_i(z) = e_i + Lambda_i z^2 / 2 + Theta_i (z - mu_i)^2 + Phi_i (z - mu_i)^4`` (eq. 56).

    Arrays of shape (n_modes,); ``Gamma_i = Psi_i = 0`` (see
    :func:`landau_free_energy`).

    Attributes
    ----------
    modes : tuple of int
    coordinate : str
        ``"u"`` (``Lambda = -lambda``, the unstable direction) or ``"w"`` (``Lambda = +lambda``).
    saddle_energy, curvature, mean, theta, phi : ndarray
        ``e_i = a0_i b0_i / lambda_i``, ``Lambda_i``, ``mu_i``, ``Theta_i``, ``Phi_i``.
    excess_kurtosis : ndarray
        Of ``z_i`` under uniform binary states (enters ``Theta`` and ``Phi``).
    beta : float
    """

    modes: tuple
    coordinate: str
    saddle_energy: np.ndarray
    curvature: np.ndarray
    mean: np.ndarray
    theta: np.ndarray
    phi: np.ndarray
    excess_kurtosis: np.ndarray
    beta: float

    def __call__(self, z):
        """``f_i(z)``; ``z`` of shape (..., n_modes) or broadcastable to it."""
        z = np.asarray(z, dtype=np.float64)
        d = z - self.mean
        return self.saddle_energy + 0.5 * self.curvature * z * z + self.theta * d * d + self.phi * d**4

    def stationary_points(self):
        """Real roots of ``f_i'(z) = 0`` per mode: a list of arrays, ascending."""
        out = []
        for lam, mu, th, ph in zip(self.curvature, self.mean, self.theta, self.phi):
            # f' = Lambda z + 2 Theta (z - mu) + 4 Phi (z - mu)^3, as a cubic in d = z - mu.
            roots = np.roots([4 * ph, 0.0, lam + 2 * th, lam * mu])
            real = np.sort(roots[np.abs(roots.imag) < 1e-9].real) + mu
            out.append(real)
        return out

    def minima(self):
        """Local minima of ``f_i`` per mode (two for a double well)."""
        out = []
        for i, points in enumerate(self.stationary_points()):
            d = points - self.mean[i]
            second = self.curvature[i] + 2 * self.theta[i] + 12 * self.phi[i] * d * d
            out.append(points[second > 0])
        return out

    def is_double_well(self):
        """True for the modes whose ``f_i`` has two local minima."""
        return np.asarray([m.size == 2 for m in self.minima()])


def landau_free_energy(model, modes=(0,), *, coordinate="u", beta=None, random_state=0):
    """Mean-field Landau free energy ``f_i(z_i)`` of eqs. 53-56.

    ``U_eff = E + V / beta`` with ``V = -ln rho`` the constraint potential,
    expanded to fourth order about its minimum ``mu`` (eq. 53-55). The
    mean field of eq. 56 sets the other coordinates to ``z_k = mu_k +
    eps_k`` with ``<eps_k eps_l> = delta_kl`` in units of their spread.
    We take ``V`` from the fourth-order cumulant (Gram-Charlier) expansion
    of the exact distribution of ``z`` under uniform binary states: odd
    cumulants vanish at ``p = 1/2`` (so ``Gamma_i = Psi_i = 0``), and every
    cross term carries a factor ``eps_j^2 - 1`` (a Hermite polynomial in
    the whitened coordinate) whose mean-field average is zero. What remains
    is exact in the cumulants of ``z_i``: with ``sigma_i^2 = Var(z_i)``
    (1/4) and ``kappa_i`` its excess kurtosis
    (``-2 sum_n A_ni^4 / (sum_n A_ni^2)^2``),

        Theta_i = (1 + kappa_i / 2) / (2 beta sigma_i^2),
        Phi_i = -kappa_i / (24 beta sigma_i^4),

    (constants dropped). Binary sums are platykurtic (``kappa < 0``), so
    ``Phi > 0`` confines. For a ``u`` mode (``Lambda = -lambda``) the well
    at ``mu`` turns into a double well when ``lambda`` exceeds
    ``2 Theta = 4 (1 + kappa / 2) / beta``, the Gaussian ``lambda_c = 4 / beta``
    corrected by the kurtosis; ``mu != 0`` makes it asymmetric (Sec. 5.3).

    Parameters
    ----------
    model : RBM, tuple (W, visible_bias, hidden_bias) or fitted ReciprocalSpaceProjector
    modes : sequence of int
        Coupled mode indices (0 = largest singular value).
    coordinate : {"u", "w"}, default="u"
        ``z_i = u_i`` (the paper's ``z_1``) or ``w_i`` (``z_{M+1}``).
    beta : float or None
        None uses the estimator's ``beta`` (1 otherwise).
    random_state : int, RandomState or None

    Returns
    -------
    LandauFreeEnergy
    """
    check_option(coordinate, "coordinate", ("u", "w"))
    beta = _beta(model, beta)
    if beta <= 0:
        raise ValueError("beta must be positive for the Landau free energy.")
    projector = _fit(model, random_state)
    k = int(projector.singular_values_.shape[0])
    modes = tuple(check_int(i, "modes", low=0, high=k - 1) for i in np.atleast_1d(modes).tolist())
    xp = _backend.namespace_of(projector.visible_modes_)[0]
    A = _backend.to_numpy(_mode_loadings(projector, xp))
    offset = 0 if coordinate == "u" else k
    cols = [offset + i for i in modes]
    squares = np.sum(A[:, cols] ** 2, axis=0)
    variance = 0.25 * squares
    kurtosis = -2.0 * np.sum(A[:, cols] ** 4, axis=0) / squares**2
    lam = np.asarray(_backend.to_numpy(projector.singular_values_), dtype=np.float64)[list(modes)]
    u_mean, w_mean, _ = _constraint_mean(projector)
    mean = (u_mean if coordinate == "u" else w_mean)[list(modes)]
    saddle = np.asarray(_backend.to_numpy(projector.saddle_energies_), dtype=np.float64)[list(modes)]
    return LandauFreeEnergy(
        modes=modes, coordinate=coordinate, saddle_energy=saddle,
        curvature=-lam if coordinate == "u" else lam, mean=mean,
        theta=(1.0 + 0.5 * kurtosis) / (2.0 * beta * variance), phi=-kurtosis / (24.0 * beta * variance**2),
        excess_kurtosis=kurtosis, beta=beta,
    )
