"""The estimator's parallel-tempering ladder and sampler along the annealing
path (kernels of :mod:`skneq.rbm._path`).

One ladder serves ``RBM.sample(method="parallel_tempering")``, training with
``method="pt"`` and the equilibrium samples of reverse AIS: replicas along
the annealing path

.. math:: p_k(v, h) \\propto \\exp\\big(-\\beta_k\\, \\beta E(v, h) + (1 - \\beta_k)\\, b_A \\cdot v\\big),
          \\qquad 0 = \\beta_0 < \\beta_1 < \\dots < \\beta_{T-1} = 1,

from a base model of independent visible units with bias ``b_A`` (the logit
of the training mean by default, the base of AIS) to the model at its own
inverse temperature ``beta``. The hot end is sampled exactly by one Gibbs
sweep, so the ladder has an end that always mixes; with ``b_A = 0`` (the
"uniform" base) it is the plain temperature ladder ``exp(-beta_k beta E)``.
On trained MNIST models plain temperatures above 0.3 stay structured and
do not equilibrate in a few hundred sweeps, while the path ladder does
(``benchmarks/bench_ais.py``; Burda et al. 2015, arXiv:1412.8566, use
equilibrium samples for the same reason).

Swaps are accepted on the visible marginal (:func:`marginal_swaps`), and
all rungs are swept by one matrix product per half-sweep. With a mixture
base (:class:`skneq.rbm._path.FactorizedMixture`) the factor
``exp((1 - beta_k) b_A . v)`` becomes ``sum_k pi_k exp((1 - beta_k) s_k(v))``
and each sweep also draws every replica's component (``skneq.rbm._path``).

:class:`PathSampler` draws the starting states of reverse AIS from such a
ladder measured on the model.

Ladders: ``path_ladder(n)`` is 0, then ``n - 1`` values geometric from
``PT_BETA_MIN`` to 1 (the default of ``sample`` and ``method="pt"``); the
reverse-AIS starts use a ladder measured on the model, equally spaced in
thermodynamic length (``skneq.rbm._path.length_ladder``), because the
spread of the path's slope grows tenfold from the base to a trained model
and a geometric ladder then starves the rungs near 1 of swaps.
"""

from __future__ import annotations

from .. import _backend
from ._path import (base_sample, is_mixture, ladder_log_ratios, length_ladder, path_fields, path_length_profile,
                    path_log_ratio, path_transition)
from ._tempering import check_ladder, temperature_ladder

__all__ = ["PT_BETA_MIN", "PT_TEMPERATURES", "path_ladder", "check_path_ladder", "SwapCounter", "base_states",
           "marginal_swaps", "pt_run", "PT_CHAINS", "PT_THIN", "PathSampler"]

#: Smallest nonzero rung of the default ladder (as ``benchmarks/bench_ais.py``).
PT_BETA_MIN = 0.05
#: Default number of rungs of ``sample(method="parallel_tempering")`` and ``RBM(method="pt")``.
PT_TEMPERATURES = 10


def path_ladder(n_temperatures):
    """``(0, beta_min, ..., 1)``: the default ladder with ``n_temperatures`` (>= 2) rungs."""
    if n_temperatures == 2:
        return (0.0, 1.0)
    return (0.0,) + temperature_ladder(n_temperatures - 1, PT_BETA_MIN)


def check_path_ladder(betas, name="betas"):
    """A user's ladder: at least 2 strictly increasing values in [0, 1], the last exactly 1."""
    try:
        values = check_ladder(betas, allow_zero=True)
    except ValueError as exc:
        msg = str(exc)
        raise ValueError(msg if msg.startswith(name) else f"{name}: {msg}") from None
    if len(values) < 2 or values[-1] != 1.0:
        raise ValueError(f"{name} must hold at least 2 increasing values ending at exactly 1 (the model), "
                         f"got {values!r}")
    return values


class SwapCounter:
    """Accepted and proposed swaps per neighbouring pair.

    Accepted counts stay on the device (one host transfer in ``rates``, not
    one per sweep); proposals are known on the host.
    """

    def __init__(self, n_pairs):
        self.counts = None
        self.proposed = [0] * n_pairs

    def add(self, accepted, parity, xp, dtype):
        s = xp.sum(xp.astype(accepted, dtype), axis=1)
        self.counts = s if self.counts is None else self.counts + s
        for t in range(int(parity), len(self.proposed), 2):
            self.proposed[t] += accepted.shape[1]

    def merge(self, other):
        if other.counts is not None:
            self.counts = other.counts if self.counts is None else self.counts + other.counts
        self.proposed = [a + b for a, b in zip(self.proposed, other.proposed)]

    def rates(self):
        """Fraction accepted per pair (NaN for a pair never proposed), a list of floats."""
        from .. import _backend

        counts = [0.0] * len(self.proposed) if self.counts is None else _backend.to_numpy(self.counts).tolist()
        return [float(a) / p if p else float("nan") for a, p in zip(counts, self.proposed)]


def base_states(b_A, n_temperatures, n_chains, rng, *, xp):
    """Exact samples of the base model (vector or ``FactorizedMixture``) for every replica,
    shape (T, n_chains, n_visible)."""
    return base_sample(b_A, (n_temperatures, n_chains), rng, xp=xp)


def _pair_blocks(A, parity, n_pairs, xp):
    """The rungs ``parity .. parity + 2 n_pairs`` of ``A`` as (n_pairs, 2, ...) blocks."""
    block = A[parity:parity + 2 * n_pairs, ...]
    return xp.reshape(block, (n_pairs, 2) + tuple(A.shape[1:]))


def _apply_swaps(A, accepted, parity, n_pairs, xp):
    """``A`` with the states of each accepted pair ``(t, t+1)`` exchanged."""
    blocks = _pair_blocks(A, parity, n_pairs, xp)
    mask = xp.reshape(accepted, (n_pairs, 1, accepted.shape[1]) + (1,) * (A.ndim - 2))
    swapped = xp.where(mask, xp.flip(blocks, axis=1), blocks)
    swapped = xp.reshape(swapped, (2 * n_pairs,) + tuple(A.shape[1:]))
    return xp.concat([A[:parity, ...], swapped, A[parity + 2 * n_pairs:, ...]], axis=0)


def marginal_swaps(V, F, vd, betas, parity, rng, *, xp, base=None):
    """Swap proposals between neighbouring rungs ``(t, t+1)``, ``t % 2 == parity``,
    accepted on the visible marginal of the path.

    The Metropolis ratio of exchanging ``v_t`` and ``v_{t+1}`` is
    ``[log p*_{t+1}(v_t) - log p*_t(v_t)] - [log p*_{t+1}(v_{t+1}) - log p*_t(v_{t+1})]``
    (``skneq.rbm._path.path_log_ratio``), which satisfies detailed balance
    with respect to ``prod_t p_t(v_t)``. The hidden layer is summed out, so
    its fluctuations do not enter the ratio: on the 784 x 500 models of
    ``benchmarks/bench_ais.py`` this accepts more often than the joint-energy
    rule of :func:`skneq.rbm._tempering.swap_step` at the same spacing.

    Parameters
    ----------
    V : array of shape (n_temperatures, n_chains, n_visible)
    F, vd : arrays of shapes (n_temperatures, n_chains, n_hidden), (n_temperatures, n_chains[, 1 + K])
        ``path_fields`` of ``V`` (exchanged with the states).
    betas : array of shape (n_temperatures,)
    parity : {0, 1}
    base : array, FactorizedMixture or None
        The path's base (``skneq.rbm._path.path_log_ratio``).

    Returns
    -------
    V, F, vd : the states and fields after the accepted swaps
    accepted : array of bool, shape (n_temperatures - 1, n_chains)
        Rows of the other parity are False.
    """
    n_temps, n_chains = V.shape[0], V.shape[1]
    n_pairs = (n_temps - parity) // 2
    device = getattr(V, "device", None)
    if n_pairs == 0:
        return V, F, vd, xp.zeros((max(n_temps - 1, 0), n_chains), dtype=xp.bool, device=device)
    lo = betas[parity:parity + 2 * n_pairs:2][:, None]
    hi = betas[parity + 1:parity + 2 * n_pairs:2][:, None]
    Fb, vb = _pair_blocks(F, parity, n_pairs, xp), _pair_blocks(vd, parity, n_pairs, xp)
    log_ratio = (path_log_ratio(Fb[:, 0, ...], vb[:, 0, ...], lo, hi, xp=xp, base=base)
                 - path_log_ratio(Fb[:, 1, ...], vb[:, 1, ...], lo, hi, xp=xp, base=base))
    log_u = xp.log(rng.uniform((n_pairs, n_chains), dtype=F.dtype))
    accepted = log_u < log_ratio
    V = _apply_swaps(V, accepted, parity, n_pairs, xp)
    F = _apply_swaps(F, accepted, parity, n_pairs, xp)
    vd = _apply_swaps(vd, accepted, parity, n_pairs, xp)
    # Rows per neighbour pair (t, t+1): accepted ones at t = parity + 2 i.
    no = xp.zeros((n_pairs, n_chains), dtype=xp.bool, device=device)
    rows = xp.reshape(xp.stack([accepted, no], axis=1), (2 * n_pairs, n_chains))
    parts = [xp.zeros((parity, n_chains), dtype=xp.bool, device=device), rows]
    full = xp.concat(parts, axis=0)
    pad = (n_temps - 1) - full.shape[0]
    if pad > 0:
        full = xp.concat([full, xp.zeros((pad, n_chains), dtype=xp.bool, device=device)], axis=0)
    return V, F, vd, full[:n_temps - 1, ...]


def pt_run(V, W, b, c, b_A, betas, n_sweeps, rng, *, xp, first_sweep=0, counter=None, collect_every=0,
           stepping_stones=None):
    """``n_sweeps`` PT sweeps along the path from the base ``b_A`` (module docstring).

    A sweep computes the fields of every replica in one product, proposes
    swaps of one parity on the visible marginal (:func:`marginal_swaps`),
    then makes one Gibbs sweep ``v -> h -> v`` at every rung
    (``skneq.rbm._path.path_transition``). With a mixture base and
    ``betas[0] == 0`` the bottom rung is then replaced by exact base draws
    (``base_sample``): Gibbs does not move states between the mixture's
    components, and the swaps carry fresh draws up the ladder.

    Parameters
    ----------
    V : array of shape (n_temperatures, n_chains, n_visible)
        Replicas' visible states.
    W, b, c : arrays
        Parameters already multiplied by the model's inverse temperature.
    b_A : array of shape (n_visible,) or FactorizedMixture
        The path's base.
    betas : tuple of float
        The ladder, ``betas[0] >= 0``, ``betas[-1] == 1``.
    n_sweeps : int
        Sweeps (swaps of alternating parity, then Gibbs at every rung).
    rng : BackendRandom
    first_sweep : int
        Sweeps done before (its parity continues the even-odd alternation).
    counter : SwapCounter or None
        Accumulates accepted and proposed swaps.
    collect_every : int
        If positive, also return the target replicas ``V[-1]`` after every
        ``collect_every``-th sweep (the last sweep always included).
    stepping_stones : list or None
        If a list, each sweep appends ``(forward, reverse)``, the
        :func:`~skneq.rbm._path.ladder_log_ratios` of the replicas before its
        swaps (arrays of shape (n_temperatures - 1, n_chains); the fields are
        those the swaps need anyway).

    Returns
    -------
    V : array of shape (n_temperatures, n_chains, n_visible)
    H : array of shape (n_temperatures, n_chains, n_hidden) or None (no sweep)
        Joint states; ``V[-1]`` are samples of the model.
    collected : array of shape (n_collected * n_chains, n_visible)
        Only when ``collect_every`` is positive.
    """
    H = None
    device = getattr(V, "device", None)
    beta_arr = xp.asarray([float(x) for x in betas], dtype=W.dtype, device=device)
    beta_col = beta_arr[:, None]
    frames = []
    n_sweeps = int(n_sweeps)
    # At beta = 0 a vector base's Gibbs sweep is already an exact draw; a mixture's is not.
    exact_bottom = is_mixture(b_A) and float(betas[0]) == 0.0
    for s in range(n_sweeps):
        parity = (first_sweep + s) % 2
        F, vd = path_fields(V, W, b, c, b_A, xp=xp)
        if stepping_stones is not None:
            stepping_stones.append(ladder_log_ratios(F, vd, beta_arr, xp=xp, base=b_A))
        V, F, vd, accepted = marginal_swaps(V, F, vd, beta_arr, parity, rng, xp=xp, base=b_A)
        if counter is not None:
            counter.add(accepted, parity, xp, W.dtype)
        V, H = path_transition(F, W, b, b_A, beta_col, rng, xp=xp, vd=vd)
        if exact_bottom:
            # A mixture's components do not exchange states under Gibbs (k | v is
            # sharp), so the base rung draws exactly; swaps carry the draws up.
            V = xp.concat([base_sample(b_A, (1, V.shape[1]), rng, xp=xp), V[1:, ...]], axis=0)
        if collect_every and ((s + 1) % collect_every == 0 or s == n_sweeps - 1):
            frames.append(V[-1, ...])
    if collect_every:
        return V, H, (xp.concat(frames, axis=0) if frames else V[-1, ...][:0, ...])
    return V, H


#: Parallel-tempering chains (per rung) that draw the reverse runs' starts.
PT_CHAINS = 50
#: Sweeps between two collected target states of one PT chain.
PT_THIN = 5


class PathSampler:
    """Equilibrium samples of the model for reverse AIS: parallel tempering
    along the annealing path, on a ladder measured on the model.

    A pilot run measures the spread of the path's slope
    (:func:`~skneq.rbm._path.path_length_profile`); the rungs are placed equally spaced in
    thermodynamic length (``_path.length_ladder``; ``n_temperatures=None``
    takes one rung per ``PATH_SPACING`` of length). ``min(n_chains,
    PT_CHAINS)`` chains start from exact base samples and make ``n_steps``
    sweeps of burn-in; samples are then the target replicas every
    ``PT_THIN`` sweeps.

    With ``seed_states`` (the final states of forward AIS and their works)
    every rung starts instead from those states resampled in proportion to
    their importance weights ``exp(-W_F)``: modes that forward AIS reached
    are then present from the first sweep. On a 784 x 500 model where chains
    started from the base stayed out of a mode that held most of the mass
    (reverse AIS several nats *below* forward AIS, on three seeds), seeded
    chains gave an ordered sandwich (``benchmarks/bench_ais.py --defaults``).
    The burn-in still has to equilibrate what the seeding gets wrong.
    """

    def __init__(self, W, b, c, b_A, rng, *, xp, n_temperatures, n_steps, n_chains, seed_states=None, ladder=None):
        if ladder is None:
            profile = path_length_profile(W, b, c, b_A, rng, xp=xp)
            ladder = length_ladder(*profile, n_temperatures)
        self.ladder, self.length = ladder
        self.params, self.rng, self.xp = (W, b, c, b_A), rng, xp
        self.counter = SwapCounter(len(self.ladder) - 1)
        n_pt = min(int(n_chains), PT_CHAINS)
        self.start = " from base samples" if seed_states is None else " from weighted forward-AIS end states"
        if seed_states is None:
            self.V = base_states(b_A, len(self.ladder), n_pt, rng, xp=xp)
        else:
            V_end, works = seed_states
            log_w = -xp.asarray(works, dtype=W.dtype, device=getattr(W, "device", None))
            idx = rng.categorical(xp.broadcast_to(log_w, (n_pt, log_w.shape[0])), axis=1)
            picked = xp.take(V_end, idx, axis=0)
            self.V = xp.broadcast_to(picked, (len(self.ladder),) + tuple(picked.shape))
            self.V = xp.astype(self.V, W.dtype, copy=True)
        self.n_sweeps = 0
        self._advance(int(n_steps))

    def _advance(self, n_sweeps, collect_every=0, stepping_stones=None):
        out = pt_run(self.V, *self.params, self.ladder, n_sweeps, self.rng, xp=self.xp,
                     first_sweep=self.n_sweeps, counter=self.counter, collect_every=collect_every,
                     stepping_stones=stepping_stones)
        self.V, self.n_sweeps = out[0], self.n_sweeps + int(n_sweeps)
        return out

    def draw(self, n):
        """``n`` target states, shape (n, n_visible).

        The sweeps that draw them also record the ladder's stepping stones
        (:meth:`stone_frames`).
        """
        n_pt = self.V.shape[1]
        frames = -(-int(n) // n_pt)
        self._stones = []
        return self._advance(frames * PT_THIN, collect_every=PT_THIN, stepping_stones=self._stones)[2][:int(n), ...]

    def stone_frames(self):
        """The ladder log-ratios of the sweeps of the last :meth:`draw`: forward
        and reverse, NumPy arrays of shape (n_sweeps, n_temperatures - 1, n_chains)."""
        xp = self.xp
        return tuple(_backend.to_numpy(xp.stack([pair[k] for pair in self._stones], axis=0)) for k in (0, 1))

    def describe(self):
        return (f"parallel tempering ({len(self.ladder)} rungs equally spaced in thermodynamic length "
                f"{self.length:.1f}, {self.V.shape[1]} chains{self.start}, {self.n_sweeps} sweeps)")
