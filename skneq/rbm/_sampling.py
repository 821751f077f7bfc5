"""Sampling methods of :class:`skneq.RBM` (a mixin): ``gibbs`` and ``sample``.

Rows are processed in blocks of ``SAMPLE_BLOCK`` rows, block ``k`` drawing
from its own stream ``(seed, k)`` where ``seed`` comes from the method's
generator (``GenerativeMixin._method_rng``): memory stays bounded whatever
the number of rows, and the numbers do not depend on how rows are grouped.
"""

from __future__ import annotations

from sklearn.utils.validation import check_is_fitted

from .. import _backend
from .._math import MEAN_CLIP
from .._validation import check_beta, check_int
from . import _kernels as _k

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

    def sample(self, n_samples=1, *, n_steps=1000, beta=None, init=None, random_state=None):
        """Draw samples from the model by block-Gibbs sampling.

        Chains start from independent units at the training mean (or from
        ``init``) and run ``n_steps`` sweeps at inverse temperature ``beta``.
        Rows are processed in blocks of ``SAMPLE_BLOCK`` (1024), each with its
        own stream, so memory stays bounded and results do not depend on it.

        Parameters
        ----------
        n_samples : int, default=1
        n_steps : int, default=1000
        beta : float or None
            Defaults to the model's ``beta``; 0 samples uniformly.
        init : array-like of shape (n_samples, n_features) or None
            Starting visible states, e.g. data for short-run sampling.
        random_state : int, RandomState or None
            None: the estimator's own ``random_state``, advanced per call;
            an explicit value is exactly reproducible.

        Returns
        -------
        X : array of shape (n_samples, n_features)
            Binary samples on the fitted backend.
        """
        check_is_fitted(self, "components_")
        n_samples = check_int(n_samples, "n_samples", low=1)
        n_steps = check_int(n_steps, "n_steps", low=0)
        beta = self.beta if beta is None else check_beta(beta, "beta", allow_zero=True)
        bk = self._fitted_backend()
        xp = bk.xp
        if init is None:
            mean = xp.clip(self.visible_mean_, MEAN_CLIP, 1 - MEAN_CLIP)

            def start(rows, rng):
                return rng.bernoulli(xp.broadcast_to(mean, (rows.stop - rows.start, mean.shape[0])))
        else:
            V0, _, _ = self._validate_fitted_rows(init)
            if V0.shape[0] != n_samples:
                raise ValueError(f"init has {V0.shape[0]} rows but n_samples={n_samples}")

            def start(rows, rng):
                return self._rows(V0, rows, bk, bk.dtype)
        seed = self._block_seed(bk, "sampling", random_state)
        return self._gibbs_blocks(start, n_samples, n_steps, beta, seed, bk)

