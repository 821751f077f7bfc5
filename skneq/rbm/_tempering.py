"""Parallel tempering (replica exchange) for Bernoulli RBMs, as pure kernels.

A ladder of inverse temperatures ``beta_0 < beta_1 < ... < beta_{T-1}`` (the
last one is the target, usually 1) carries one replica of every chain per
temperature. A PT sweep is

1. one block-Gibbs sweep v -> h -> v at every temperature
   (:func:`skneq.rbm._kernels.gibbs_vhv`), which leaves each
   ``p_beta(v, h) = exp(-beta E(v, h)) / Z(beta)`` invariant: the returned
   pair ``(v, h)`` (h drawn from v, then the new v from h) is a joint sample;
2. swap proposals between neighbouring temperatures ``(t, t+1)`` for the
   pairs of one parity (even pairs ``(0,1), (2,3), ...`` on even sweeps, odd
   pairs on odd sweeps: the deterministic even-odd scheme, whose proposals in
   one step touch disjoint pairs).

**Acceptance on the joint energy.** The swap exchanges the whole joint state
``(v, h)`` of two replicas and is accepted with the Metropolis probability

.. math:: \\alpha = \\min\\big(1, \\exp[(\\beta_t - \\beta_{t+1})(E_t - E_{t+1})]\\big),
          \\qquad E_t = E(v_t, h_t) = -h_t W v_t - b \\cdot v_t - c \\cdot h_t,

which satisfies detailed balance with respect to the product measure
``prod_t p_{beta_t}(v_t, h_t)`` (Swendsen & Wang 1986; Geyer 1991). The
marginal (free-energy) form would need ``log p*_beta(v)`` at both
temperatures; on the joint space the energy is temperature-independent and
one evaluation per replica suffices. Each swap move is reversible; the
alternation of parities is stationary but not reversible, as is a
Gibbs-then-swap composition.

**Tempering along the annealing path.** With ``base_bias=b_A`` the replicas
sample ``p_k(v, h) ∝ exp(-beta_k E(v, h) + (1 - beta_k) b_A . v)``, the path
of annealed importance sampling (Salakhutdinov & Murray 2008), instead of
``exp(-beta_k E)``. Its hot end ``beta = 0`` (allowed then) is the base model,
independent visibles ``sigmoid(b_A)`` and uniform hiddens, which the Gibbs
sweep samples exactly, so the ladder has an end that always mixes. The
swap rule keeps its form with the energy ``E'(v, h) = E(v, h) + b_A . v``:
``log p_k = -beta_k E' + b_A . v`` and the ``b_A . v`` terms cancel in the
Metropolis ratio. Plain temperatures leave the hot replicas structured (at
``beta = 0.3`` a trained MNIST RBM still has modes) and, on the models of
``benchmarks/bench_ais.py``, do not reach equilibrium in a few hundred
sweeps; the path ladder is the one to use for reverse AIS.

Every function takes the namespace ``xp`` and a per-call generator ``rng``
(:class:`skneq._backend.BackendRandom`); states are stacked along a leading
temperature axis: ``V`` has shape (n_temperatures, n_chains, n_visible).
Used for equilibrium samples of reverse AIS (Burda et al. 2015,
arXiv:1412.8566) and as a sampler where single-temperature Gibbs does not mix.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_real
from ._kernels import energy, gibbs_vhv

__all__ = [
    "temperature_ladder",
    "check_ladder",
    "swap_log_acceptance",
    "swap_step",
    "pt_sweep",
    "parallel_tempering",
]


def temperature_ladder(n_temperatures, beta_min=0.1, beta_max=1.0, *, spacing="geometric"):
    """Increasing inverse temperatures from ``beta_min`` to ``beta_max``.

    Parameters
    ----------
    n_temperatures : int
        At least 2.
    beta_min, beta_max : float
        ``0 < beta_min < beta_max``; ``beta_max`` is the target.
    spacing : {"geometric", "linear"}
        Geometric spacing keeps the ratio of neighbours constant, which gives
        roughly even swap rates when the energy scales with ``1/beta``.

    Returns
    -------
    betas : tuple of float, length ``n_temperatures``
    """
    n = check_int(n_temperatures, "n_temperatures", low=2)
    lo = check_real(beta_min, "beta_min", low=0.0, low_inclusive=False)
    hi = check_real(beta_max, "beta_max", low=0.0, low_inclusive=False)
    if not lo < hi:
        raise ValueError(f"beta_min must be smaller than beta_max, got {beta_min} and {beta_max}")
    if spacing == "geometric":
        betas = np.geomspace(lo, hi, n)
    elif spacing == "linear":
        betas = np.linspace(lo, hi, n)
    else:
        raise ValueError(f"spacing must be 'geometric' or 'linear', got {spacing!r}")
    betas[-1] = hi  # exactly the target
    return tuple(float(x) for x in betas)


def check_ladder(betas, *, allow_zero=False):
    """``betas`` as a tuple of strictly increasing positive floats (at least one);
    ``allow_zero`` accepts a first value 0 (the base of the annealing path)."""
    try:
        values = tuple(float(x) for x in betas)
    except TypeError:
        raise ValueError(f"betas must be a sequence of inverse temperatures, got {betas!r}") from None
    if not values or any(not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero) for x in values):
        raise ValueError(f"betas must be finite and positive, got {values!r}")
    if any(a >= b for a, b in zip(values[:-1], values[1:])):
        raise ValueError(f"betas must be strictly increasing (the target last), got {values!r}")
    return values


def swap_log_acceptance(E_low, E_high, beta_low, beta_high):
    """``log`` of the Metropolis ratio of swapping two replicas' joint states.

    ``(beta_low - beta_high) (E_low - E_high)``; the acceptance probability is
    ``min(1, exp(.))``. Works elementwise on arrays of energies.
    """
    return (beta_low - beta_high) * (E_low - E_high)


def _path_energy(V, H, W, b, c, base_bias, *, xp):
    """``E(v, h)``, plus ``b_A . v`` on the annealing path (module docstring)."""
    E = energy(V, H, W, b, c, xp=xp)
    return E if base_bias is None else E + V @ base_bias


def swap_step(V, H, W, b, c, betas, rng, parity=0, *, xp, base_bias=None):
    """Swap proposals between the neighbouring temperatures ``(t, t+1)`` with ``t % 2 == parity``.

    Parameters
    ----------
    V : array of shape (n_temperatures, n_chains, n_visible)
    H : array of shape (n_temperatures, n_chains, n_hidden)
        Joint states of every replica.
    W, b, c : arrays
        RBM parameters (``W`` of shape (n_hidden, n_visible)).
    betas : sequence of float, length n_temperatures
        Increasing inverse temperatures.
    rng : BackendRandom
    parity : {0, 1}
    base_bias : array of shape (n_visible,) or None
        ``b_A``: temper along the annealing path from the base model.

    Returns
    -------
    V, H : arrays of the input shapes
        States after the accepted swaps.
    accepted : array of bool, shape (n_temperatures - 1, n_chains)
        Row ``t`` tells which chains swapped between ``t`` and ``t+1``; rows
        of the other parity are False.
    """
    n_temps, n_chains = V.shape[0], V.shape[1]
    Vs = [V[t, ...] for t in range(n_temps)]
    Hs = [H[t, ...] for t in range(n_temps)]
    no = xp.zeros((n_chains,), dtype=xp.bool, device=getattr(V, "device", None))
    accepted = [no] * max(n_temps - 1, 0)
    pairs = list(range(int(parity), n_temps - 1, 2))
    if pairs:
        # One uniform per proposal, drawn at once: the draw does not depend
        # on which pairs are visited first.
        log_u = xp.log(rng.uniform((len(pairs), n_chains), dtype=W.dtype))
    for row, t in enumerate(pairs):
        E_lo = _path_energy(Vs[t], Hs[t], W, b, c, base_bias, xp=xp)
        E_hi = _path_energy(Vs[t + 1], Hs[t + 1], W, b, c, base_bias, xp=xp)
        acc = log_u[row, :] < swap_log_acceptance(E_lo, E_hi, betas[t], betas[t + 1])
        a = acc[:, None]
        Vs[t], Vs[t + 1] = xp.where(a, Vs[t + 1], Vs[t]), xp.where(a, Vs[t], Vs[t + 1])
        Hs[t], Hs[t + 1] = xp.where(a, Hs[t + 1], Hs[t]), xp.where(a, Hs[t], Hs[t + 1])
        accepted[t] = acc
    if n_temps > 1:
        accepted = xp.stack(accepted)
    else:
        accepted = xp.zeros((0, n_chains), dtype=xp.bool, device=getattr(V, "device", None))
    return xp.stack(Vs), xp.stack(Hs), accepted


def _gibbs_at(V, W, b, c, beta, base_bias, rng, n_gibbs, *, xp):
    """Block-Gibbs sweeps leaving ``p_beta`` (or the path's ``p_k``) invariant."""
    if base_bias is None:
        return gibbs_vhv(V, W, b, c, rng, n_gibbs, beta, xp=xp)
    if beta == 0.0:
        # The base model: hiddens uniform, visibles independent sigmoid(b_A).
        return gibbs_vhv(V, 0.0 * W, base_bias, 0.0 * c, rng, n_gibbs, 1.0, xp=xp)
    # beta (W^T h + b) + (1 - beta) b_A = beta (W^T h + b_eff): the plain
    # kernel at beta with a shifted visible bias.
    return gibbs_vhv(V, W, b + ((1.0 - beta) / beta) * base_bias, c, rng, n_gibbs, beta, xp=xp)


def pt_sweep(V, W, b, c, betas, rng, parity=0, *, xp, n_gibbs=1, base_bias=None):
    """One parallel-tempering sweep: Gibbs at every temperature, then swaps of one parity.

    Parameters
    ----------
    V : array of shape (n_temperatures, n_chains, n_visible)
        Visible states; replica ``t`` is at inverse temperature ``betas[t]``.
    W, b, c : arrays
        RBM parameters.
    betas : sequence of float
        Increasing; see :func:`check_ladder`.
    rng : BackendRandom
    parity : {0, 1}
        Which neighbour pairs are proposed (module docstring).
    n_gibbs : int, default=1
        Block-Gibbs sweeps per temperature before the swaps.
    base_bias : array of shape (n_visible,) or None
        ``b_A``: temper along the annealing path (module docstring).

    Returns
    -------
    V : array of shape (n_temperatures, n_chains, n_visible)
    H : array of shape (n_temperatures, n_chains, n_hidden)
        Joint states after the swaps.
    accepted : array of bool, shape (n_temperatures - 1, n_chains)
    """
    Vs, Hs = [], []
    for t, beta in enumerate(betas):
        v, h = _gibbs_at(V[t, ...], W, b, c, float(beta), base_bias, rng, n_gibbs, xp=xp)
        Vs.append(v)
        Hs.append(h)
    return swap_step(xp.stack(Vs), xp.stack(Hs), W, b, c, betas, rng, parity, xp=xp, base_bias=base_bias)


def parallel_tempering(V, W, b, c, betas, n_sweeps, rng, *, xp, n_gibbs=1, first_parity=0, trace=False,
                       base_bias=None):
    """``n_sweeps`` parallel-tempering sweeps with alternating swap parities.

    Parameters
    ----------
    V : array of shape (n_temperatures, n_chains, n_visible)
        Initial visible states (e.g. Bernoulli draws of the visible bias).
    W, b, c : arrays
        RBM parameters, ``W`` of shape (n_hidden, n_visible).
    betas : sequence of float
        Strictly increasing positive inverse temperatures, the target last.
    n_sweeps : int
        Sweeps (each: Gibbs at every temperature, then swaps of one parity).
    rng : BackendRandom
    n_gibbs : int, default=1
        Gibbs sweeps per temperature per PT sweep.
    first_parity : {0, 1}, default=0
        Parity of the first sweep's swaps; pass ``n_sweeps_done % 2`` to
        continue a run.
    trace : bool, default=False
        Also return the target-temperature visible states after every sweep.
    base_bias : array of shape (n_visible,) or None, default=None
        ``b_A``: temper along the annealing path from the base model of
        independent visibles (then ``betas`` may start at 0); see the module
        docstring.

    Returns
    -------
    V : array of shape (n_temperatures, n_chains, n_visible)
    H : array of shape (n_temperatures, n_chains, n_hidden)
        Final joint states; ``V[-1]`` are the target-temperature samples.
    acceptance : array of shape (n_temperatures - 1,)
        Per neighbour pair, the fraction of its swap proposals accepted
        (NaN for a pair never proposed, i.e. ``n_sweeps == 1`` and the other
        parity).
    V_trace : array of shape (n_sweeps, n_chains, n_visible)
        Only with ``trace=True``.
    """
    betas = check_ladder(betas, allow_zero=base_bias is not None)
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=1)
    n_gibbs = check_int(n_gibbs, "n_gibbs", low=1)
    if first_parity not in (0, 1):
        raise ValueError(f"first_parity must be 0 or 1, got {first_parity!r}")
    if V.ndim != 3 or V.shape[0] != len(betas) or V.shape[2] != W.shape[1]:
        raise ValueError(
            f"V must have shape (n_temperatures={len(betas)}, n_chains, n_visible={W.shape[1]}), got {tuple(V.shape)}"
        )
    n_temps = len(betas)
    device = getattr(V, "device", None)
    counts = xp.zeros((max(n_temps - 1, 0),), dtype=W.dtype, device=device)
    proposed = [0] * max(n_temps - 1, 0)
    frames = []
    H = None
    for s in range(n_sweeps):
        parity = (first_parity + s) % 2
        V, H, acc = pt_sweep(V, W, b, c, betas, rng, parity, xp=xp, n_gibbs=n_gibbs, base_bias=base_bias)
        counts = counts + xp.sum(xp.astype(acc, W.dtype), axis=1)
        for t in range(parity, n_temps - 1, 2):
            proposed[t] += V.shape[1]
        if trace:
            frames.append(V[-1, ...])
    denom = xp.asarray([p if p else math.nan for p in proposed], dtype=W.dtype, device=device)
    acceptance = counts / denom
    if trace:
        return V, H, acceptance, xp.stack(frames)
    return V, H, acceptance
