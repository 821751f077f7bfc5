"""Post-fit estimates of a nonequilibrium Markov machine (Baiesi & Rosso 2025, Appendix A.3).

The Rao-Blackwellised latent matrix ``M``, its indicators (entropy
production eq. 21, decorrelation time eq. 23, mean self-transition eq. 24),
their bootstrap error, and the exact chains of small models. Pure functions
on arrays; the estimator stores what they return.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _backend
from .. import _markov as mk
from .._base import STREAMS, row_chunks
from .._math import sigmoid
from .._validation import check_bool, check_int, check_option
from . import _kernels as K

__all__ = ["RB_FLOOR", "rb_matrix", "markov_indicators", "bootstrap_sigma", "exact_chain_matrices",
           "PostFitEstimates"]

# Latent Markov matrix M estimated up to this many states.
MAX_MATRIX_STATES = 256
# Steps of the post-fit estimation chain sampled per block (bounds memory:
# the one-hot sampler holds T x L x D candidates).
ESTIMATE_BLOCK_STEPS = 256
# Chains of the model that have an exact matrix (_exact_transition_matrix).
EXACT_CHAINS = ("latent", "visible")

# Floor of the Rao-Blackwellised M entries and of the stationary vector
# (float64 underflow), see rb_matrix: flows p_i M_ij stay >= 1e-300 > 0.
RB_FLOOR = 1e-150


def rb_matrix(P):
    """Rao-Blackwellised ``M`` (host float64) from per-sample ``Abar`` (S, K, S).

    Entries below ``RB_FLOOR`` (float64 underflow of exact probabilities
    such as ``exp(-2000)``) are raised to it and rows renormalised, so that
    eq. 21 stays finite: on near-deterministic cycles the log-ratios, hence
    ``sigma``, are then lower bounds (at most ~690 nats per one-way pair).
    """
    M = np.maximum(np.asarray(P, dtype=np.float64).mean(axis=1), RB_FLOOR)
    return M / M.sum(axis=1, keepdims=True)


def markov_indicators(M, *, spectral=True):
    """(entropy production eq. 21, decorrelation time eq. 23, mean self-transition eq. 24) of ``M``.

    ``M`` is a host float64 matrix from :func:`rb_matrix`. The stationary
    vector (Grassmann-Taksar-Heyman, accurate for sticky states) is floored
    like ``M``: a nearly dead state can get a weight that underflows, which
    would make a flow look one-way. ``spectral=False`` skips the eigenvalues
    (NaN for the decorrelation time).
    """
    spectral = check_bool(spectral, "spectral")
    M, xp, _ = mk.check_transition_matrix(M)
    p = np.maximum(mk.stationary_distribution(M, xp=xp), RB_FLOOR)
    p = p / p.sum()
    sigma = mk.entropy_production(mk.flows(M, p), xp=xp, one_way="inf")
    tau = mk.decorrelation_time(M) if spectral else math.nan
    return sigma, tau, float(np.trace(M)) / M.shape[0]


def bootstrap_sigma(P, n_bootstrap, seed):
    """Standard deviation of ``sigma`` over ``n_bootstrap`` resamples of the
    visible samples of each row of ``P`` (S, K, S); NaN below 2 resamples."""
    if n_bootstrap < 2:
        return math.nan
    rng = np.random.default_rng(seed)
    K_ = P.shape[1]
    sigmas = [markov_indicators(rb_matrix(P[:, rng.integers(0, K_, K_), :]), spectral=False)[0]
              for _ in range(n_bootstrap)]
    return float(np.std(sigmas))


def exact_chain_matrices(w, a, wbar, abar, x_mean, Z, latent, normalization, *, xp, max_visible=16):
    """Exact ``A[z, x]`` (S, 2^D) and ``Abar[x, z]`` (2^D, S) by enumerating the visible states.

    The latent chain is ``A @ Abar`` (eq. 3), the visible chain ``Abar @ A``.
    """
    n_features = w.shape[0]
    if n_features > max_visible:
        raise ValueError(
            f"Exact NMM matrices enumerate 2^{n_features} visible states (n_features > max_visible="
            f"{max_visible}); use the estimator's latent_transition_matrix_ estimate instead."
        )
    from .._math import binary_states

    X = binary_states(n_features, xp=xp, device=_backend.namespace_of(w)[1], dtype=w.dtype)
    log_A = K.log_visible_given_latent(X, K.visible_fields(Z, w, a, xp=xp), xp=xp)  # [x, z] = ln A[z, x]
    U = K.latent_fields(X, wbar, abar, x_mean, xp=xp)
    log_Abar = K.log_latent_given_visible(U, Z, latent, normalization, xp=xp)  # [x, z]
    return xp.matrix_transpose(xp.exp(log_A)), xp.exp(log_Abar)


class PostFitEstimates:
    """The NonequilibriumMarkovMachine's estimates from its fitted parameters:
    exact latent posteriors, the eq. 5 likelihood, the Rao-Blackwellised ``M``
    and the post-fit chain (Appendix A.3), and the exact chains of small
    models (the ``_exact_transition_matrix`` protocol). Mixed into the
    estimator; reads its fitted attributes, calls the kernels above.
    """

    def _n_matrix_states(self):
        n = self.latent_states_.shape[0]
        return n if n <= MAX_MATRIX_STATES else None

    def _latent_posterior(self, U, bk):
        """Exact ``Abar[x, z]`` over the enumerated states for fields ``U``: (N, n_states)."""
        return bk.xp.exp(K.log_latent_given_visible(U, self.latent_states_, self.latent, self.onehot_normalization,
                                                    xp=bk.xp))

    def _log_likelihood(self, X, occupancy, bk):
        """Eq. 5 in float64 for dense rows of ``X`` given an occupancy over the enumerated states."""
        xp = bk.xp
        dt = bk.accurate_dtype()
        H = K.visible_fields(xp.astype(self.latent_states_, dt), xp.astype(self.generative_weights_, dt),
                             xp.astype(self.visible_bias_, dt), xp=xp)
        occ = xp.astype(occupancy, dt)
        log_occ = xp.where(occ > 0, xp.log(xp.where(occ > 0, occ, xp.ones_like(occ))), -math.inf)
        return K.log_likelihood(X if X.dtype == dt else xp.astype(X, dt), H, log_occ, xp=xp)

    def _rb_samples(self, n_samples, rng, bk):
        """Per-sample exact ``Abar`` at ``x ~ A[z', .]``, float64: (S, n_samples, S)."""
        xp, dt = bk.xp, bk.accurate_dtype()
        S, D = self.latent_states_.shape[0], self.generative_weights_.shape[0]
        w, a, wbar, abar, x_mean = (xp.astype(p, dt) for p in self._model_params())
        states = xp.astype(self.latent_states_, dt)
        ux = rng.uniform((S, n_samples, D), dtype=dt)
        return K.latent_posterior_samples(states, w, a, wbar, abar, x_mean, ux, states, latent=self.latent,
                                          normalization=self.onehot_normalization, xp=xp, overwrite_uniforms=True)

    def _estimate(self, bk, rng, chain_blocks=None):
        """Post-fit estimates on a long chain (Appendix A.3) and the latent M.

        ``chain_blocks``: an iterator of the chain's blocks ``(Xp, Z, Up)``
        already sampled from ``rng`` (the batched path samples all runs'
        chains together), read instead of sampling them here.
        """
        xp = bk.xp
        C = self.n_chains
        steps = max(2, -(-self.n_estimate_steps // C))
        n_states = self.latent_states_.shape[0]
        occupancy = None
        labels = []
        x = self.chain_state_
        done = 0
        while done < steps:
            n = min(ESTIMATE_BLOCK_STEPS, steps - done)
            Xp, Z, Up = self._sample_chain(x, n, rng, bk) if chain_blocks is None else next(chain_blocks)
            if Z.shape[-2] != n:
                raise RuntimeError("a given chain block is out of step with _estimate")
            x = Xp[:, n, :]
            p = xp.sum(self._latent_posterior(xp.reshape(Up, (C * n, self.n_components)), bk), axis=0)
            occupancy = p if occupancy is None else occupancy + p
            labels.append(_backend.to_numpy(self._labels(xp.reshape(Z, (C * n, self.n_components)), xp)).reshape(C, n))
            done += n
        self.chain_state_ = x
        self.latent_occupancy_ = occupancy / xp.sum(occupancy)
        labels = np.concatenate(labels, axis=1)
        visits = np.bincount(labels.ravel(), minlength=n_states)
        self.dead_latent_states_ = np.flatnonzero(visits == 0)
        if n_states > MAX_MATRIX_STATES:
            self.latent_transition_matrix_ = self.latent_transition_counts_ = None
            self.entropy_production_ = self.entropy_production_std_ = math.nan
            self.entropy_production_counts_ = self.decorrelation_time_ = self.mean_self_transition_ = math.nan
            return
        # Host labels (C, steps): count z(t) -> z(t+1) within each chain.
        pairs = (labels[:, :-1] * n_states + labels[:, 1:]).ravel()
        counts = np.bincount(pairs, minlength=n_states * n_states).reshape(n_states, n_states).astype(np.float64)
        self.latent_transition_counts_ = _backend.to_device(counts, xp, bk.device)
        rows = counts.sum(axis=1, keepdims=True)
        normalised = np.where(rows > 0, counts / np.where(rows > 0, rows, 1.0), 1.0 / n_states)
        # Eq. 21 on the row-normalised counts with the empirical occupancy (inf for one-way pairs).
        self.entropy_production_counts_ = mk.entropy_production(
            mk.flows(normalised, visits / visits.sum()), xp=np, one_way="inf")
        P = _backend.to_numpy(self._rb_samples(self.n_rb_samples, rng, bk))
        M = rb_matrix(P)
        self.latent_transition_matrix_ = _backend.to_device(M, xp, bk.device)
        self.entropy_production_, self.decorrelation_time_, self.mean_self_transition_ = markov_indicators(M)
        # Bootstrap over the visible samples of each row of M (host, L x L work).
        self.entropy_production_std_ = bootstrap_sigma(
            P, self.n_bootstrap, _backend.seed_from(self.random_state, STREAMS["bootstrap"], self.n_iter_))

    def _labels(self, Z, xp):
        if self.latent == "onehot":
            return xp.argmax(Z, axis=1)
        return K.state_index(Z, xp=xp)

    def _exact_transition_matrix(self, kernel=None, beta=None, *, max_visible=16):
        """Protocol of ``skneq.thermodynamics.detailed_balance_violation``: ``(P, None)``.

        ``P`` is the exact latent chain ``M = A Abar`` (eq. 3, ``kernel="latent"``,
        the default) or the visible chain ``Abar A`` (``"visible"``), by
        enumerating the ``2**n_features`` visible states (``n_features <=
        max_visible``); ``None``: check against its stationary distribution.
        The model has no temperature: ``beta`` must be None or 1.
        """
        check_is_fitted(self, self._backend_anchor)
        kernel = "latent" if kernel is None else check_option(kernel, "kernel", EXACT_CHAINS)
        if beta is not None and beta != 1:
            raise ValueError(f"beta: a nonequilibrium Markov machine has no temperature; got beta={beta!r}.")
        bk = self._fitted_backend()
        xp, dt = bk.xp, bk.accurate_dtype()
        w, a, wbar, abar, x_mean = (xp.astype(p, dt) for p in self._model_params())
        A, Abar = exact_chain_matrices(w, a, wbar, abar, x_mean, xp.astype(self.latent_states_, dt), self.latent,
                                         self.onehot_normalization, xp=xp, max_visible=max_visible)
        return (A @ Abar if kernel == "latent" else Abar @ A), None

    def sample(self, n_samples=1, *, return_latent=False, random_state=None):
        """Independent draws from the stationary ``p(x) = sum_z pbar(z) A[z, x]`` (eq. 5).

        Drawn in chunks sized by ``working_memory``.

        Parameters
        ----------
        n_samples : int, default=1
        return_latent : bool, default=False
            Also return the latent state each sample was drawn from.
        random_state : int, RandomState or None
            None: the estimator's own ``random_state``, advanced at each call
            (successive calls draw fresh samples); an explicit value gives
            exactly reproducible samples.

        Returns
        -------
        X : array of shape (n_samples, n_features)
        Z : array of shape (n_samples, n_components), only with ``return_latent``
        """
        check_is_fitted(self, self._backend_anchor)
        n_samples = check_int(n_samples, "n_samples", low=1)
        return_latent = check_bool(return_latent, "return_latent")
        bk = self._fitted_backend()
        xp = bk.xp
        rng = self._method_rng(bk, "sampling", random_state)
        occ = xp.astype(self.latent_occupancy_, bk.dtype)
        log_occ = xp.where(occ > 0, xp.log(xp.where(occ > 0, occ, xp.ones_like(occ))), -math.inf)
        Xs, Zs = [], []
        D = self.generative_weights_.shape[0]
        for rows in row_chunks(n_samples, 8 * (D + occ.shape[0] + self.n_components)):
            m = rows.stop - rows.start
            k = rng.categorical(xp.broadcast_to(log_occ, (m, occ.shape[0])))
            Z = xp.take(self.latent_states_, k, axis=0)
            Xs.append(rng.bernoulli(sigmoid(K.visible_fields(Z, self.generative_weights_, self.visible_bias_, xp=xp),
                                            xp=xp)))
            Zs.append(Z)
        X = Xs[0] if len(Xs) == 1 else xp.concat(Xs, axis=0)
        Z = Zs[0] if len(Zs) == 1 else xp.concat(Zs, axis=0)
        return (X, Z) if return_latent else X

    def sample_trajectory(self, n_steps, *, init=None, random_state=None):
        """Run the chain ``x'(t) -> z(t) -> x'(t+1)`` for ``n_steps`` double steps.

        Parameters
        ----------
        n_steps : int
        init : array-like of shape (n_features,) or (1, n_features), optional
            Starting visible state; default the persistent training chain.
        random_state : int, RandomState or None
            As in :meth:`sample`.

        Returns
        -------
        X : array of shape (n_steps, n_features)
            ``x'(0) ... x'(n_steps - 1)``.
        Z : array of shape (n_steps, n_components)
            ``z(t) ~ Abar[x'(t), .]``.
        """
        check_is_fitted(self, self._backend_anchor)
        n_steps = check_int(n_steps, "n_steps", low=1)
        bk = self._fitted_backend()
        xp = bk.xp
        if init is None:
            x = self.chain_state_[:1, ...]
        else:
            init = _backend.to_device(init, xp, bk.device)
            n_features = self.n_features_in_
            if tuple(init.shape) not in ((n_features,), (1, n_features)):
                raise ValueError(f"init must be one visible state, of shape ({n_features},) or (1, {n_features}); "
                                 f"got shape {tuple(init.shape)}")
            x, _, _ = self._validate_fitted_input(xp.reshape(init, (1, -1)), name="init")
        rng = self._method_rng(bk, "sampling", random_state)
        Xs, Zs = [], []
        done = 0
        while done < n_steps:
            n = min(ESTIMATE_BLOCK_STEPS, n_steps - done)
            Xp, Z, _ = self._sample_chain(x, n, rng, bk)
            Xs.append(Xp[0, :n, :])
            Zs.append(Z[0, ...])
            x = Xp[:, n, :]
            done += n
        return xp.concat(Xs, axis=0), xp.concat(Zs, axis=0)
