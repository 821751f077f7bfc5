"""One stochastic-gradient update of a Bernoulli RBM on preallocated buffers.

This is the training hot path of :class:`skneq.RBM` (PCD, CD, Rdm and the
parallel-tempering negative phase "pt"). Mathematically it is
:func:`skneq.rbm._kernels.hidden_probabilities`, :func:`skneq.rbm._kernels.gibbs_vhv`
and the centered gradient of Melchior et al. (2016) in sequence (the tests check
it against exactly that composition, with the textbook gradient in
``tests/rbm/oracles.py``); it differs only in how the arrays are laid
out, so that one update costs three matrix products and no large allocation:

* the data mini-batch, the negative-phase chains and the visible offset
  ``mu`` are rows of one stack ``S`` of shape
  ``(n_data_max + n_chains_max + 1, n_visible)``, so one product ``S W^T``
  gives the hidden fields of data and chains;
* the centered gradient (Toledo-Marin et al. 2025, arXiv:2503.21536, eq. 3,
  with the offsets of Melchior et al. 2016) and the visible-mean difference come out of one product
  ``A^T S``, where the row weights ``A`` of shape ``(rows, n_hidden + 1)`` are

  .. math::
      A_{d,:} = [\\,(h_d - \\lambda)/n_d,\\; 1/n_d\\,], \\quad
      A_{m,:} = [\\,-(h_m - \\lambda)/n_m,\\; -1/n_m\\,], \\quad
      A_{\\mu,:} = [\\,-(\\langle h\\rangle_d - \\langle h\\rangle_m),\\; 0\\,],

  so that ``(A^T S)[:n_hidden] = <(h - lam)(v - mu)^T>_d - <(h - lam)(v - mu)^T>_m``
  and ``(A^T S)[n_hidden] = <v>_d - <v>_m``. Inactive rows (a short last
  mini-batch) have zero weight.

On NumPy the hidden probabilities ``P`` are computed in the buffer of the
product ``S W^T``, the hidden bias added in the sigmoid's first pass
(``skneq._math.sigmoid(..., bias=, overwrite=True)``), and ``P`` becomes
``(P - lambda)`` times the row coefficients in place before its one copy into
``A``: the same arithmetic, to the bit, as forming these with temporaries of
size ``rows x n_hidden`` (which cost a few percent of an epoch at 784 x 500).

Buffers are updated with ``__setitem__`` and in-place arithmetic, which every
Array API namespace supports; nothing leaves the device.
"""

from __future__ import annotations

from .. import _backend
from .._math import sigmoid
from ._ladder import SwapCounter, pt_run

__all__ = ["MinibatchUpdate"]


class MinibatchUpdate:
    """Preallocated buffers and the update rule for one training run.

    Created at the start of ``fit`` / ``partial_fit`` and dropped at the end;
    never stored on a fitted estimator.

    For PCD the chains carry their hidden states between updates (as in
    ``BernoulliRBM``): one update draws ``v ~ p(v | h)`` with the current
    parameters, computes ``P(h | v)`` for the gradient and draws the next
    ``h`` from it. The hidden fields of the new chain states and of the data
    then come from a single product, so a PCD-1 update costs three matrix
    products. CD and random-restart ("rdm") chains start from visible states
    and need one more.

    Parameters
    ----------
    chains : array of shape (n_chains, n_visible)
        Visible states of the negative phase (persistent chains for PCD; only
        the shape matters for CD, whose chains restart from the data).
    hidden_chains : array of shape (n_chains, n_hidden)
        Hidden states paired with ``chains`` (PCD), drawn from ``P(h | chains)``.
    n_data_max : int
        Largest mini-batch size.
    visible_offset : array of shape (n_visible,)
        ``mu`` (zeros without centering).
    method : {"pcd", "cd", "rdm", "pt"}
        "pt": the negative phase is the model's replica of persistent
        parallel-tempering chains (``replicas``) along the annealing path
        from the base ``base_bias`` (``skneq.rbm._ladder``); each update runs
        ``n_steps`` PT sweeps with the current parameters, and the swaps
        are counted in ``counter``.
    replicas : array of shape (n_temperatures, n_chains, n_visible) or None
        PT only: visible states of every rung, the model's last.
    betas : tuple of float or None
        PT only: the ladder, from 0 (or more) to 1.
    base_bias : array of shape (n_visible,) or None
        PT only: ``b_A`` of the base model.
    first_sweep : int
        PT only: sweeps done before (continues the even-odd swap parity).
    """

    def __init__(self, chains, hidden_chains, n_data_max, visible_offset, method, *, replicas=None, betas=None,
                 base_bias=None, first_sweep=0):
        bk = _backend.backend_of(visible_offset)  # buffers live where the offset does
        self.xp, self.method, self.n_hidden = bk.xp, method, hidden_chains.shape[1]
        if method == "pt":
            self.replicas, self.betas, self.base_bias = replicas, tuple(betas), base_bias
            self.n_sweeps = int(first_sweep)
            self.counter = SwapCounter(len(self.betas) - 1)
        self.n_chains_max = n_data_max if method == "cd" else chains.shape[0]
        self._chain0 = n_data_max
        self._mu_row = n_data_max + self.n_chains_max
        self.stack = bk.xp.zeros((self._mu_row + 1, chains.shape[1]), dtype=bk.dtype, device=bk.device)
        if method != "cd":
            self.stack[self._chain0 : self._mu_row, :] = chains
        self.stack[self._mu_row, :] = visible_offset
        self.hidden_chains = hidden_chains
        self.weights = bk.xp.zeros((self._mu_row + 1, self.n_hidden + 1), dtype=bk.dtype, device=bk.device)
        self._sizes = None

    @property
    def visible_offset(self):
        """``mu``, the last row of the stack, shape (n_visible,)."""
        return self.stack[self._mu_row, :]

    @property
    def chains(self):
        """Current visible states of the chains, a view of shape (n_chains, n_visible)."""
        return self.stack[self._chain0 : self._mu_row, :]

    def _set_sizes(self, n_data, n_model):
        # The row coefficients change only with the sizes (a short last batch).
        if self._sizes == (n_data, n_model):
            return
        h, m0 = self.n_hidden, self._chain0
        self.weights[...] = 0.0
        self.weights[:n_data, h] = 1.0 / n_data
        self.weights[m0 : m0 + n_model, h] = -1.0 / n_model
        self._row_coef = self.xp.reshape(self.weights[:, h], (-1, 1))  # view: +1/n_d, -1/n_m, 0
        coef = self.weights[:, h]
        self._data_coef = self.xp.where(coef > 0, coef, self.xp.zeros_like(coef))
        self._sizes = (n_data, n_model)

    def _hidden_fields(self, V, W, c, beta):
        F = V @ W.T
        F += c
        if beta != 1.0:
            F *= beta
        return F

    def __call__(self, V_data, W, b, c, hidden_offset, rng, *, n_steps=1, beta=1.0, offset_rate=0.0,
                 fractional=False):
        """Negative phase and centered gradient for the mini-batch ``V_data``.

        Parameters
        ----------
        V_data : array of shape (n_data, n_visible), ``n_data <= n_data_max``
        W, b, c : arrays (n_hidden, n_visible), (n_visible,), (n_hidden,)
        hidden_offset : array of shape (n_hidden,)
            ``lambda`` for this update.
        rng : skneq._backend.BackendRandom
        n_steps : int
            Gibbs sweeps of the negative phase (CD-k / PCD-k).
        beta : float
            Inverse temperature.
        offset_rate : float
            Sliding factor of ``lambda`` toward the data's hidden mean after
            the update (0 keeps it).
        fractional : bool
            CD only: the data are probabilities, so chains start from a
            Bernoulli draw of them.

        Returns
        -------
        dW, db, dc : arrays (n_hidden, n_visible), (n_visible,), (n_hidden,)
            Ascent direction of the log-likelihood (times ``beta``).
        hidden_offset : array of shape (n_hidden,)
            ``lambda`` for the next update.
        """
        xp, S, A, h = self.xp, self.stack, self.weights, self.n_hidden
        n_data = V_data.shape[0]
        n_model = n_data if self.method == "cd" else self.n_chains_max
        m0, m1 = self._chain0, self._chain0 + n_model
        self._set_sizes(n_data, n_model)
        S[:n_data, :] = V_data
        if self.method == "pt":
            # beta E(v, h) of the model: the ladder's parameters at beta.
            Wb, bb, cb = (W, b, c) if beta == 1.0 else (beta * W, beta * b, beta * c)
            self.replicas, H_all = pt_run(self.replicas, Wb, bb, cb, self.base_bias, self.betas, n_steps, rng, xp=xp,
                                          first_sweep=self.n_sweeps, counter=self.counter)
            self.n_sweeps += int(n_steps)
            V, self.hidden_chains = self.replicas[-1, ...], H_all[-1, ...]
            n_steps = 0
            H = None
        elif self.method == "pcd":
            H = self.hidden_chains
        else:
            if self.method == "cd":
                S[m0:m1, :] = rng.bernoulli(V_data) if fractional else V_data
            else:  # "rdm": fresh uniformly random chains each update
                S[m0:m1, :] = xp.astype(rng.uniform((n_model, S.shape[1]), dtype=S.dtype) < 0.5, S.dtype)
            H = rng.bernoulli_logits(self._hidden_fields(S[m0:m1, :], W, c, beta), overwrite=True)
        for step in range(int(n_steps)):
            if step:
                H = rng.bernoulli_logits(self._hidden_fields(V, W, c, beta), overwrite=True)
            field_v = H @ W
            if beta != 1.0:
                field_v += b
                field_v *= beta
                V = rng.bernoulli_logits(field_v, overwrite=True)
            else:
                V = rng.bernoulli_logits(field_v, bias=b, overwrite=True)
        S[m0:m1, :] = V

        # P(h=1|v) of data and new chain states in one product (stale rows of a
        # short batch get zero weight below), computed in the product's buffer
        # with the hidden bias added in the sigmoid's first pass.
        if beta == 1.0:
            P = sigmoid(S @ W.T, xp=xp, bias=c, overwrite=True)
        else:
            P = sigmoid(self._hidden_fields(S, W, c, beta), xp=xp, overwrite=True)
        if self.method == "pcd":
            self.hidden_chains = rng.bernoulli(P[m0:m1, :])
        dh = self._row_coef[:, 0] @ P  # <h>_d - <h>_m
        if offset_rate:
            data_mean = self._data_coef @ P
        # (P - lambda) * coef in P's own buffer (P is not read again), then one
        # copy into A: the same values as a product of temporaries.
        P -= hidden_offset
        P *= self._row_coef
        A[:, :h] = P
        A[self._mu_row, :h] = -dh
        G = A.T @ S
        dW, dv = G[:h, :], G[h, :]
        db = dv - hidden_offset @ dW
        dc = dh - dW @ self.visible_offset
        if beta != 1.0:
            dW, db, dc = beta * dW, beta * db, beta * dc
        if offset_rate:
            # Any offset gives an unbiased gradient; it only conditions the updates.
            hidden_offset = (1.0 - offset_rate) * hidden_offset + offset_rate * data_mean
        return dW, db, dc, hidden_offset
