"""Exact ``log Z(beta)`` of mid-size Bernoulli RBMs (up to ~26 units in the
smaller layer) by enumerating that layer in blocks.

With the smaller layer ``s`` (``2^n`` states) enumerated and the other summed
out analytically (Toledo-Marin, Maiti, Fox & Melko 2025, arXiv:2503.21536, eq. 2),

.. math:: \\log Z(\\beta) = \\log \\sum_s \\exp\\Big(\\beta\\, a \\cdot s
          + \\sum_i \\mathrm{softplus}\\big(\\beta (a' + A^T s)_i\\big)\\Big),

where ``A`` couples the enumerated layer to the other one, ``a`` is the
enumerated layer's bias and ``a'`` the other layer's.

The block scheme. The enumerated units are split into ``k`` *low* units and
``n - k`` *high* units. The fields of the ``2^k`` low states, ``L = S A_low``,
are tabulated once; a block is one state of the high units, whose field
``f = a' + A_high^T h`` is added to every row of the table. High states are
visited in Gray-code order, so consecutive blocks differ by one unit and ``f``
is a rank-1 (one row of ``A``) update. Inside a block the work is vectorised:
rather than ``2^k x m`` softplus evaluations (a ``log1p`` and an ``exp`` each),
the table holds ``E = exp(L - max_s L)`` and each block evaluates

.. math:: \\sum_i \\mathrm{softplus}(f_i + L_{si}) = \\sum_i \\mu_i
          + \\sum_{\\text{groups } G} \\log \\prod_{i \\in G}
          \\big(e^{-\\mu_i} + e^{f_i + \\max L_i - \\mu_i} E_{si}\\big),
          \\quad \\mu_i = \\max(0, f_i + \\max_s L_{si}),

one multiply-add per element and one ``log`` per group of pixels. Every
factor lies in ``(0, 2]``, so a group of ``g <= 64`` factors cannot overflow,
and it cannot underflow when the sum over the group of the spreads
``max_s L_si - min_s L_si`` stays under 600 nats; the group size is chosen
once from that bound (the low units are the ``k`` with the smallest
couplings, which keeps the spreads small), and models that violate it even
for single pixels fall back to direct softplus evaluation. Block results are
combined by a float64 log-sum-exp.

Measured on a 2-core x86_64 CPU (``benchmarks/bench_ais.py``, NumPy): the
multiply-add form costs about 2.0 ns per (state, pixel) against 23 ns for
``logaddexp(0, x)``; a per-state Gray-code loop (one rank-1 update and one
softplus row per state) is dominated by interpreter overhead and is slower
still, so Gray code is used only between blocks.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .._math import binary_states, logsumexp, softplus

__all__ = ["log_partition_enumerated", "enumeration_plan", "MAX_ENUMERATED_UNITS"]

# 2^30 states is about an hour on a 2-core CPU at 784 visible units.
MAX_ENUMERATED_UNITS = 30

# A product of factors in (0, 2] underflows only if its log falls below
# about -708; the group size is chosen so the bound below holds with margin.
_UNDERFLOW_BUDGET = 600.0
_MAX_GROUP = 64


def enumeration_plan(n_enumerated, n_other, *, block_bits=None):
    """Block size used by :func:`log_partition_enumerated`.

    Parameters
    ----------
    n_enumerated : int
        Units of the enumerated (smaller) layer.
    n_other : int
        Units of the layer summed out analytically.
    block_bits : int or None
        ``k``: each block holds ``2^k`` states. ``None`` picks the largest
        ``k <= 10`` whose table (``2^k x n_other`` float64) stays under 4 MiB,
        so the table and one block's work buffer stay in cache.

    Returns
    -------
    k : int
    """
    if block_bits is None:
        k = 10
        while k > 4 and (2**k) * max(n_other, 1) * 8 > 4 * 2**20:
            k -= 1
    else:
        k = int(block_bits)
        if k < 0:
            raise ValueError(f"block_bits must be non-negative, got {block_bits}")
    return min(k, n_enumerated)


def _group_size(spread, *, xp):
    """Largest group of pixels (<= 64) whose summed spread stays under the budget, or 0."""
    m = spread.shape[0]
    for g in (64, 56, 48, 32, 24, 16, 8, 4, 2, 1):
        pad = (-m) % g
        s = spread if pad == 0 else xp.concat([spread, xp.zeros((pad,), dtype=spread.dtype, device=spread.device)])
        if float(xp.max(xp.sum(xp.reshape(s, (-1, g)), axis=1))) <= _UNDERFLOW_BUDGET:
            return g
    return 0


def _bits_vector(index, n_bits, *, xp, dtype, device):
    """The bits of ``index`` (least significant first) as a float array."""
    return xp.asarray([float((index >> j) & 1) for j in range(n_bits)], dtype=dtype, device=device)


def _enumerate_range(start, stop, ctx, *, xp):
    """log-sum-exp partial results of high-state blocks ``start..stop-1`` (Gray order)."""
    A_high, a_high, a_other, n_high = ctx["A_high"], ctx["a_high"], ctx["a_other"], ctx["n_high"]
    dtype, device = a_other.dtype, a_other.device
    out = []
    f = ch = None
    for i in range(start, stop):
        gray = i ^ (i >> 1)
        if f is None or (i - start) % 1024 == 0:
            # Exact recomputation now and then bounds the drift of the
            # float64 rank-1 updates to ~1e-13.
            if n_high:
                h = _bits_vector(gray, n_high, xp=xp, dtype=dtype, device=device)
                f = a_other + h @ A_high
                ch = h @ a_high
            else:
                f, ch = a_other, xp.zeros((), dtype=dtype, device=device)
        else:
            j = (i & -i).bit_length() - 1  # bit that differs from gray(i - 1)
            if (gray >> j) & 1:
                f = f + A_high[j, :]
                ch = ch + a_high[j]
            else:
                f = f - A_high[j, :]
                ch = ch - a_high[j]
        out.append(_block_log_sum(f, ch, ctx, xp=xp))
    return out


def _block_log_sum(f, ch, ctx, *, xp):
    """log sum over the 2^k low states of one block (0-d array).

    The table is stored pixels-major, (n_pixels, 2^k): the product over a
    group of pixels then multiplies contiguous rows, which vectorises (2.0
    against 2.6-2.9 ns per element for states-major rows, measured).
    """
    f = f[:, None]
    if ctx["group"] == 0:  # fields too spread for products: direct softplus
        lw = ctx["c_low"] + ch + xp.sum(softplus(ctx["L"] + f, xp=xp), axis=0)
        return logsumexp(lw, xp=xp)
    shifted = f + ctx["L_max"]
    mu = xp.where(shifted > 0, shifted, xp.zeros_like(shifted))
    a = xp.exp(-mu)
    g = xp.exp(shifted - mu)
    if ctx["pad_g"] is not None:
        g = xp.concat([g, ctx["pad_g"]], axis=0)
        a = xp.concat([a, ctx["pad_a"]], axis=0)
    T = ctx["E"] * g
    T += a
    n_cols, group = T.shape[1], ctx["group"]
    P = xp.prod(xp.reshape(T, (-1, group, n_cols)), axis=1)
    lw = ctx["c_low"] + (ch + xp.sum(mu)) + xp.sum(xp.log(P), axis=0)
    return logsumexp(lw, xp=xp)


def log_partition_enumerated(W, b, c, beta=1.0, *, xp, block_bits=None, n_threads=1, max_units=MAX_ENUMERATED_UNITS):
    """Exact ``log Z(beta)`` of a Bernoulli RBM by blockwise enumeration.

    The smaller layer is enumerated (blocks of ``2^block_bits`` states, Gray
    code between blocks, float64 log-sum-exp across blocks; see the module
    docstring), the other is summed out analytically. Reference values for
    AIS that do not depend on sampling.

    Parameters
    ----------
    W : array of shape (n_hidden, n_visible)
        Couplings (``components_``).
    b : array of shape (n_visible,)
        Visible bias.
    c : array of shape (n_hidden,)
        Hidden bias.
    beta : float, default=1.0
        Inverse temperature: ``Z(beta) = sum_{v,h} exp(-beta E(v, h))``.
    xp : array namespace
    block_bits : int or None, default=None
        ``log2`` of the states per block; see :func:`enumeration_plan`.
    n_threads : int, default=1
        Threads sharing the blocks (the array operations release the GIL on
        NumPy); the result does not depend on it beyond float64 rounding of
        the final log-sum-exp.
    max_units : int, default=30
        Refuse to enumerate more than ``2^max_units`` states.

    Returns
    -------
    log_Z : 0-d float64 array
        On the device of ``W``.

    Notes
    -----
    Cost ``2^min(n_hidden, n_visible) x max(n_hidden, n_visible)`` multiply-adds;
    784 x 26 takes a few minutes on a 2-core CPU (see docs/benchmarks.md).
    """
    n_hidden, n_visible = W.shape
    n_enum = min(n_hidden, n_visible)
    if n_enum > max_units:
        raise ValueError(
            f"Exact enumeration needs 2^{n_enum} states, more than 2^{max_units} (max_units); "
            "use annealed importance sampling."
        )
    n_threads = int(n_threads)
    if n_threads < 1:
        raise ValueError(f"n_threads must be a positive integer, got {n_threads}")
    f64 = xp.float64
    W, b, c = xp.astype(W, f64), xp.astype(b, f64), xp.astype(c, f64)
    beta = float(beta)
    if beta != 1.0:
        W, b, c = beta * W, beta * b, beta * c
    if n_hidden <= n_visible:
        A, a_enum, a_other = W, c, b
    else:
        A, a_enum, a_other = W.T, b, c
    device = A.device
    if n_enum == 0:
        return xp.sum(softplus(a_other, xp=xp))

    k = enumeration_plan(n_enum, A.shape[1], block_bits=block_bits)
    # The k units with the weakest couplings go into the tabulated block:
    # small spreads of the table allow large product groups (module docstring).
    order = xp.argsort(xp.sum(xp.abs(A), axis=1))
    A, a_enum = xp.take(A, order, axis=0), xp.take(a_enum, order, axis=0)
    A_low, A_high = A[:k, :], A[k:, :]
    S = binary_states(k, xp=xp, device=device, dtype=f64)
    L = A_low.T @ S.T  # (n_other, 2^k): pixels-major, see _block_log_sum
    L_max = xp.max(L, axis=1, keepdims=True)
    spread = L_max[:, 0] - xp.min(L, axis=1)
    group = _group_size(spread, xp=xp)
    ctx = {
        "A_high": A_high, "a_high": a_enum[k:], "a_other": a_other, "n_high": n_enum - k,
        "c_low": S @ a_enum[:k], "group": group, "L": L, "L_max": L_max, "pad_g": None, "pad_a": None,
    }
    if group:
        E = xp.exp(L - L_max)
        pad = (-E.shape[0]) % group
        if pad:
            # Padded pixels contribute factors e^0 + 0 * E = 1.
            E = xp.concat([E, xp.zeros((pad, E.shape[1]), dtype=f64, device=device)], axis=0)
            ctx["pad_g"] = xp.zeros((pad, 1), dtype=f64, device=device)
            ctx["pad_a"] = xp.ones((pad, 1), dtype=f64, device=device)
        ctx["E"] = E
    n_blocks = 2 ** (n_enum - k)
    n_threads = min(n_threads, n_blocks)
    bounds = [n_blocks * t // n_threads for t in range(n_threads + 1)]
    if n_threads == 1:
        parts = _enumerate_range(0, n_blocks, ctx, xp=xp)
    else:
        with ThreadPoolExecutor(n_threads) as pool:
            futures = [pool.submit(_enumerate_range, lo, hi, ctx, xp=xp) for lo, hi in zip(bounds[:-1], bounds[1:])]
            parts = [p for fut in futures for p in fut.result()]
    return logsumexp(xp.stack(parts), xp=xp)

