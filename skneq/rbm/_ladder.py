"""The estimator's parallel-tempering ladder and sampler, over the kernels of
:mod:`skneq.rbm._tempering`.

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

Default ladder: 0, then ``n_temperatures - 1`` values geometric from
``PT_BETA_MIN`` to 1 (geometric spacing keeps neighbouring swap rates
roughly even).
"""

from __future__ import annotations

from .._math import sigmoid
from ._tempering import check_ladder, pt_sweep, temperature_ladder

__all__ = ["PT_BETA_MIN", "PT_TEMPERATURES", "path_ladder", "check_path_ladder", "SwapCounter", "base_states", "pt_run"]

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
    """Exact samples of the base model for every replica, shape (T, n_chains, n_visible)."""
    p = sigmoid(b_A, xp=xp)
    return rng.bernoulli(xp.broadcast_to(p, (n_temperatures, n_chains, p.shape[0])))


def pt_run(V, W, b, c, b_A, betas, n_sweeps, rng, *, xp, first_sweep=0, counter=None):
    """``n_sweeps`` PT sweeps along the path from the base ``b_A`` (module docstring).

    Parameters
    ----------
    V : array of shape (n_temperatures, n_chains, n_visible)
        Replicas' visible states.
    W, b, c : arrays
        Parameters already multiplied by the model's inverse temperature.
    b_A : array of shape (n_visible,)
    betas : tuple of float
        The ladder, ``betas[0] >= 0``, ``betas[-1] == 1``.
    n_sweeps : int
        Sweeps (Gibbs at every rung, then swaps of alternating parity).
    rng : BackendRandom
    first_sweep : int
        Sweeps done before (its parity continues the even-odd alternation).
    counter : SwapCounter or None
        Accumulates accepted and proposed swaps.

    Returns
    -------
    V : array of shape (n_temperatures, n_chains, n_visible)
    H : array of shape (n_temperatures, n_chains, n_hidden) or None (no sweep)
        Joint states; ``V[-1]`` are samples of the model.
    """
    H = None
    for s in range(int(n_sweeps)):
        parity = (first_sweep + s) % 2
        V, H, accepted = pt_sweep(V, W, b, c, betas, rng, parity, xp=xp, base_bias=b_A)
        if counter is not None:
            counter.add(accepted, parity, xp, W.dtype)
    return V, H
