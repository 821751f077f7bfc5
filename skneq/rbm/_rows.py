"""Free energy and the pseudo-log-likelihood monitor of :class:`skneq.RBM`
(a mixin): bounded-memory passes over the rows of ``X`` (chunks sized by
scikit-learn's ``working_memory``). ``transform`` stays in the estimator's
class body, where scikit-learn's ``set_output`` wraps it.
"""

from __future__ import annotations

from .. import _backend
from .._base import map_rows
from .._math import softplus

__all__ = ["RowsMixin", "MONITOR_ROWS", "MONITOR_MIN_ROWS", "monitor_rows"]

# The pseudo-log-likelihood monitor reads a random tenth of the rows, at least
# MONITOR_MIN_ROWS and at most MONITOR_ROWS (all rows when there are fewer).
# Per row it costs one product row of the model (n_visible x n_hidden) and two
# softplus rows, about a quarter of what an epoch spends per row at 784 x 500
# with mini-batches of 100 and 100 chains, so a tenth of the rows keeps it
# near 3% of an epoch there (it read 1000 of 1500 MNIST rows before, 17%).
MONITOR_ROWS = 1000
MONITOR_MIN_ROWS = 100


def monitor_rows(n_samples):
    """Rows the monitor reads for ``n_samples`` training rows:
    ``min(n_samples, max(MONITOR_MIN_ROWS, min(MONITOR_ROWS, ceil(n_samples / 10))))``."""
    return min(n_samples, max(MONITOR_MIN_ROWS, min(MONITOR_ROWS, -(-n_samples // 10))))


class RowsMixin:
    """``free_energy`` and the monitoring pseudo-log-likelihood."""

    def _pseudo_log_likelihood(self, X, bk, rng):
        """Mean pseudo-log-likelihood (one random bit per sample), as BernoulliRBM,
        and its standard error.

        BernoulliRBM's ``score_samples``: for each row ``v`` one bit ``f``
        drawn uniformly is flipped, ``v -> v'``, and the row scores
        ``n_features * log sigmoid(beta (F(v') - F(v)))``. It is averaged over
        a random subset of ``monitor_rows(n_samples)`` rows drawn, like the
        flipped bits, from the monitoring stream ``rng`` (data sorted by
        class are still represented, and training draws nothing for it).

        Returns
        -------
        pll : float
            The mean over the subset.
        std_error : float
            ``s / sqrt(m)``, ``s`` the sample standard deviation of the row
            scores and ``m`` the rows read: the spread of ``pll`` around the
            mean over all rows and bits (NaN for a single row).
        """
        xp = bk.xp
        n = X.shape[0]
        rows = rng.permutation(n)[: monitor_rows(n)]
        V = xp.astype(self._rows(X, rows, bk, bk.dtype) > 0.5, bk.dtype)
        n_rows, n_features = V.shape
        flip = rng.integers(n_features, (n_rows,))
        W, b, c = self._parameters()
        beta = self.beta
        # Flipping bit f of v changes the hidden fields by (1 - 2 v_f) W[:, f]
        # and b.v by (1 - 2 v_f) b_f: a rank-1 update of one product, not a
        # second free energy of a masked copy of the rows.
        fields = V @ xp.matrix_transpose(W)
        fields += c
        positions = xp.arange(n_rows, device=bk.device) * n_features + flip
        delta = 1.0 - 2.0 * xp.take(xp.reshape(V, (-1,)), positions)
        # fields + delta W[:, f]^T, built in place in the gathered columns' buffer.
        fields_flipped = xp.matrix_transpose(xp.take(W, flip, axis=1))
        fields_flipped *= delta[:, None]
        fields_flipped += fields
        if beta != 1.0:  # beta * x is x itself at beta = 1: no copies
            fields, fields_flipped = beta * fields, beta * fields_flipped
        # F(v_flipped) - F(v), with F(v) = -b.v - sum_j softplus(beta fields_j) / beta.
        d_free = -delta * xp.take(b, flip) - xp.sum(
            softplus(fields_flipped, xp=xp) - softplus(fields, xp=xp), axis=1) / beta
        scores = -softplus(-beta * d_free, xp=xp) * n_features
        pll = float(xp.mean(scores))
        if n_rows < 2:
            return pll, float("nan")
        return pll, float(xp.std(scores, correction=1)) / n_rows ** 0.5

    def free_energy(self, X):
        """Free energy ``F(v) = -(1/beta) log sum_h exp(-beta E(v, h))``, shape (n_samples,).

        Computed in float64 (as ``score_samples``), in chunks of rows sized by
        ``working_memory``.
        """
        X, bk, (xp_in, dev_in) = self._validate_fitted_rows(X)
        dt, n_hidden = bk.accurate_dtype(), self.components_.shape[0]
        F = map_rows(X, bk, 8 * (2 * X.shape[1] + 2 * n_hidden),
                     lambda V: -self._log_unnormalized(V, bk) / self.beta, dtype=dt)
        return _backend.convert_like(F, xp_in, dev_in)
