"""Sampling methods of :class:`skneq.RBM` (a mixin): ``gibbs`` and ``sample``
(block Gibbs or parallel tempering through :mod:`skneq.rbm._ladder`).

Rows are processed in blocks of ``SAMPLE_BLOCK`` rows, block ``k`` drawing
from its own stream ``(seed, k)`` where ``seed`` comes from the method's
generator (``GenerativeMixin._method_rng``): memory stays bounded whatever
the number of rows, and the numbers do not depend on how rows are grouped.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _backend
from .._math import MEAN_CLIP
from .._validation import check_beta, check_bool, check_int, check_option
from . import _kernels as _k
from ._path import base_astype
from ._ladder import PT_TEMPERATURES, SwapCounter, base_states, check_path_ladder, path_ladder, pt_run

__all__ = ["SamplingMixin", "SAMPLE_BLOCK"]

# Rows per generator of sample() and gibbs().
SAMPLE_BLOCK = 1024


class SamplingMixin:
    """``gibbs`` and ``sample`` of a fitted RBM."""

    def _block_seed(self, bk, stream, random_state):
        """One integer seed per method call (see ``GenerativeMixin._method_rng``)."""
        rng = self._method_rng(bk, stream, random_state)
        return int(_backend.to_numpy(rng.integers(2**62, (1,)))[0])

    def _gibbs_blocks(self, V_source, n_rows, n_steps, beta, seed, bk):
        """Run ``n_steps`` sweeps on blocks of ``SAMPLE_BLOCK`` rows, block ``k``
        drawing from stream ``(seed, k)``; ``V_source(rows, rng)`` gives the
        starting states of a block."""
        W, b, c = self._parameters()
        parts = []
        for k, start in enumerate(range(0, n_rows, SAMPLE_BLOCK)):
            rng = _backend.make_rng(bk, seed, k)
            V = V_source(slice(start, min(start + SAMPLE_BLOCK, n_rows)), rng)
            if n_steps:
                V, _ = _k.gibbs_vhv(V, W, b, c, rng, n_steps, beta, xp=bk.xp)
            parts.append(V)
        return parts[0] if len(parts) == 1 else bk.xp.concat(parts, axis=0)

    def gibbs(self, v, *, random_state=None):
        """One Gibbs sweep v -> h -> v, as ``BernoulliRBM.gibbs``.

        Parameters
        ----------
        v : {array-like, sparse matrix} of shape (n_samples, n_features)
        random_state : int, RandomState or None
            None: the estimator's own ``random_state``, advanced per call, so
            ``v = rbm.gibbs(v)`` in a loop keeps moving; an explicit value is
            exactly reproducible.

        Returns
        -------
        v_new : array of shape (n_samples, n_features), binary
        """
        V, bk, (xp_in, dev_in) = self._validate_fitted_rows(v)
        seed = self._block_seed(bk, "sampling", random_state)
        out = self._gibbs_blocks(lambda rows, rng: self._rows(V, rows, bk, bk.dtype), V.shape[0], 1, self.beta,
                                 seed, bk)
        return _backend.convert_like(out, xp_in, dev_in)

    def sample(self, n_samples=1, *, n_steps=1000, method="gibbs", n_temperatures=PT_TEMPERATURES, betas=None,
               base=None, init=None, beta=None, random_state=None, return_info=False):
        """Draw samples from the model by block-Gibbs sampling or parallel tempering.

        ``method="gibbs"``: chains start from independent units at the
        training mean (or from ``init``) and run ``n_steps`` sweeps at inverse
        temperature ``beta``. ``method="parallel_tempering"``: every chain
        carries one replica per rung of a ladder along the annealing path
        from the base model (independent visible units, the AIS base) to the
        model, ``p_k ~ exp(-betas[k] beta E(v, h) + (1 - betas[k]) b_A . v)``;
        each of the ``n_steps`` sweeps proposes swaps of neighbouring
        replicas (even pairs on even sweeps, odd on odd), accepted with the
        Metropolis probability on the visible marginal, ``min(1, p*_k(v_{k+1})
        p*_{k+1}(v_k) / (p*_k(v_k) p*_{k+1}(v_{k+1})))`` (Swendsen & Wang 1986;
        Geyer 1991; :func:`skneq.rbm._ladder.marginal_swaps`), then makes one
        Gibbs sweep at every rung. Replicas of the base
        rung are exact samples, so PT crosses barriers that trap Gibbs chains
        in one mode; it costs ``n_temperatures`` times a Gibbs sweep.

        Rows are processed in blocks of ``SAMPLE_BLOCK`` (1024), each with its
        own stream, so memory stays bounded and results do not depend on it.

        Parameters
        ----------
        n_samples : int, default=1
        n_steps : int, default=1000
            Gibbs sweeps, or PT sweeps (each at every rung). 0 returns the
            starting states: ``init``, else draws from the start
            distribution (Gibbs: independent units at the training mean;
            PT: the base model).
        method : {"gibbs", "parallel_tempering"}, default="gibbs"
        n_temperatures : int, default=10
            Rungs of the default PT ladder: 0 (the base model), then
            geometric from 0.05 to 1 (the model). Not used by "gibbs" or when
            ``betas`` is given (``n_temperatures``, ``betas`` and ``base`` are
            checked whichever the method).
        betas : sequence of float or None
            The PT ladder: strictly increasing values in [0, 1] ending at
            exactly 1; 0 is the base model itself.
        base : {"data_mean", "visible_bias", "uniform"}, array, FactorizedMixture or None
            Base model of the PT path, as in :meth:`annealing_works`
            (default the estimator's own: ``annealing_base_`` when set, else
            the logit of the training mean); ``"uniform"`` makes
            the ladder plain temperatures ``exp(-betas[k] beta E)``. A
            mixture base is passed fitted
            (``base=skneq.rbm.fit_bernoulli_mixture(X, 20)``): ``sample``
            has no ``X`` to fit ``"mixture"`` on.
        init : array-like of shape (n_samples, n_features) or None
            Starting visible states (of the model's replica for PT), e.g.
            data for short-run sampling.
        beta : float or None
            Defaults to the model's ``beta``; 0 samples uniformly.
        random_state : int, RandomState or None
            None: the estimator's own ``random_state``, advanced per call;
            an explicit value is exactly reproducible.
        return_info : bool, default=False
            Also return a dict with ``"method"``, ``"betas"`` (the ladder,
            a tuple; ``None`` for Gibbs) and ``"swap_acceptance"`` (NumPy
            array of shape (n_temperatures - 1,): the fraction of accepted
            swaps between rungs ``k`` and ``k + 1`` in this call; ``None`` for
            Gibbs), as scikit-learn's ``return_std`` / ``return_distance``.

        Returns
        -------
        X : array of shape (n_samples, n_features)
            Binary samples on the fitted backend.
        info : dict
            Only with ``return_info=True``.
        """
        check_is_fitted(self, "components_")
        n_samples = check_int(n_samples, "n_samples", low=1)
        n_steps = check_int(n_steps, "n_steps", low=0)
        check_option(method, "method", ("gibbs", "parallel_tempering"))
        beta = self.beta if beta is None else check_beta(beta, "beta", allow_zero=True)
        return_info = check_bool(return_info, "return_info")
        bk = self._fitted_backend()
        xp = bk.xp
        # The ladder and base are checked for Gibbs too: a bad one is an error, not ignored.
        n_temperatures = check_int(n_temperatures, "n_temperatures", low=2)
        betas = path_ladder(n_temperatures) if betas is None else check_path_ladder(betas)
        b_A = base_astype(self._path_base(bk, base, beta), bk.dtype, xp=xp)
        V0 = None
        if init is not None:
            V0, _, _ = self._validate_fitted_rows(init, name="init")
            if V0.shape[0] != n_samples:
                raise ValueError(f"init has {V0.shape[0]} rows but n_samples={n_samples}")
        seed = self._block_seed(bk, "sampling", random_state)
        if method == "gibbs":
            if V0 is None:
                mean = xp.clip(self.visible_mean_, MEAN_CLIP, 1 - MEAN_CLIP)

                def start(rows, rng):
                    return rng.bernoulli(xp.broadcast_to(mean, (rows.stop - rows.start, mean.shape[0])))
            else:
                def start(rows, rng):
                    return self._rows(V0, rows, bk, bk.dtype)
            out = self._gibbs_blocks(start, n_samples, n_steps, beta, seed, bk)
            return (out, {"method": method, "betas": None, "swap_acceptance": None}) if return_info else out
        out, rates = self._tempering_blocks(V0, n_samples, n_steps, beta, betas, b_A, seed, bk)
        if return_info:
            return out, {"method": method, "betas": betas, "swap_acceptance": np.asarray(rates)}
        return out

    def _tempering_blocks(self, V0, n_rows, n_sweeps, beta, betas, b_A, seed, bk):
        """PT on blocks of ``SAMPLE_BLOCK`` chains (block ``k`` from stream ``(seed, k)``);
        the model's replicas start at ``V0`` rows when given, every other replica
        at an exact sample of the base model."""
        xp = bk.xp
        W, b, c = (beta * p for p in self._parameters())
        counter = SwapCounter(len(betas) - 1)
        parts = []
        for k, start in enumerate(range(0, n_rows, SAMPLE_BLOCK)):
            rows = slice(start, min(start + SAMPLE_BLOCK, n_rows))
            rng = _backend.make_rng(bk, seed, k)
            V = base_states(b_A, len(betas), rows.stop - rows.start, rng, xp=xp)
            if V0 is not None:
                V = xp.concat([V[:-1, ...], self._rows(V0, rows, bk, bk.dtype)[None, ...]], axis=0)
            V, _ = pt_run(V, W, b, c, b_A, betas, n_sweeps, rng, xp=xp, counter=counter)
            parts.append(V[-1, ...])
        out = parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)
        return out, counter.rates()
