"""Test-only oracle: the centered RBM gradient written as the textbook formula.

The training hot path (``skneq.rbm._update.MinibatchUpdate``) computes the same
quantity with stacked buffers; the tests compare the two.
"""

from __future__ import annotations


def centered_gradient(V_data, H_data, V_model, H_model, visible_offset, hidden_offset, beta=1.0, *, xp):
    """Stochastic log-likelihood gradient of an RBM, centered (Melchior et al. 2016).

    With offsets ``mu`` (visible) and ``lam`` (hidden) the centered gradient,
    expressed for the ordinary parameters ``(W, b, c)``, reads

    .. math::
        \\Delta W = \\langle (h-\\lambda)(v-\\mu)^T \\rangle_d - \\langle (h-\\lambda)(v-\\mu)^T \\rangle_m, \\quad
        \\Delta b = \\langle v \\rangle_d - \\langle v \\rangle_m - \\Delta W^T \\lambda, \\quad
        \\Delta c = \\langle h \\rangle_d - \\langle h \\rangle_m - \\Delta W \\mu,

    all multiplied by ``beta`` (the derivative of ``-beta E``). With zero
    offsets it is the ordinary gradient ``<h v>_d - <h v>_m`` (Toledo-Marin et al. 2025, arXiv:2503.21536, eq. 3).

    Parameters
    ----------
    V_data, H_data : arrays (n_data, n_visible), (n_data, n_hidden)
        Data and ``P(h=1|v_data)``.
    V_model, H_model : arrays (n_model, n_visible), (n_model, n_hidden)
        Negative-phase states and ``P(h=1|v_model)``.
    visible_offset, hidden_offset : arrays (n_visible,), (n_hidden,)

    Returns
    -------
    dW, db, dc : arrays of shapes (n_hidden, n_visible), (n_visible,), (n_hidden,)
    """
    inv_d, inv_m = 1.0 / V_data.shape[0], 1.0 / V_model.shape[0]
    # Centering the small hidden matrices costs nothing; the visible offset
    # then enters as one rank-one correction:
    # <(h-l)(v-m)>_d - <(h-l)(v-m)>_m = <(h-l) v>_d - <(h-l) v>_m - (<h>_d - <h>_m) m.
    H_data_c = (H_data - hidden_offset) * inv_d
    H_model_c = (H_model - hidden_offset) * inv_m
    dh = xp.sum(H_data, axis=0) * inv_d - xp.sum(H_model, axis=0) * inv_m
    dv = xp.sum(V_data, axis=0) * inv_d - xp.sum(V_model, axis=0) * inv_m
    dW = H_data_c.T @ V_data - H_model_c.T @ V_model - dh[:, None] * visible_offset[None, :]
    db = dv - hidden_offset @ dW
    dc = dh - dW @ visible_offset
    if beta != 1.0:
        dW, db, dc = beta * dW, beta * db, beta * dc
    return dW, db, dc
