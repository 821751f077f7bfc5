"""Benchmarks of ChaoticRNNGenerator (Fournier & Urbani 2024, arXiv:2405.10822).

Writes three Markdown tables (``--tables``, default ``docs/tables``), each
stamped with the date and the machine:

``chaotic_step_time.md``
    Seconds per training update (restricted model, float32, NumPy) at the
    CPU preset of the example (N_h = 100, M = 100, T = 50) and at the
    paper's size (N_v = 784, N_h = 500, M = 500, T = 100), with one BLAS
    thread (what ``fit`` uses) and with two, timed alternately; the ratio
    to the update's matrix products alone (2 T + 3 products of the same
    shapes), the updates that fit in 8 hours and the projected time of the
    paper's 300,000 updates. With CuPy and a GPU the paper size is timed
    there too (target: 300,000 updates in under 15 minutes on one
    H100-class GPU).
``chaotic_lyapunov.md``
    Largest Lyapunov exponent ``lambda tau`` of the untrained network at
    g = 1.5 in both coupling conventions (variance g, the paper's text;
    standard deviation g, Sompolinsky, Crisanti & Sommers 1988): median
    and range over coupling seeds. The dynamics is chaotic, so single runs
    differ in the last digits with the summation order; only
    distributions are reported.
``chaotic_memory.md``
    Peak Python-tracked memory (``tracemalloc``) of ``sample`` and
    ``transform`` on 100,000 rows (N_v = 784, N_h = 256) beyond their
    output, under scikit-learn's default ``working_memory``.

Usage::

    python benchmarks/bench_chaotic.py [--repeat 3] [--seeds 8] [--tables docs/tables]
        [--skip-steps] [--skip-lyapunov] [--skip-memory]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc
from datetime import datetime, timezone

import numpy as np
from threadpoolctl import threadpool_limits

from skneq import _backend
from skneq.chaotic import ChaoticRNNGenerator
from skneq.chaotic import _kernels as _k

N_VISIBLE = 784
PAPER_STEPS = 300_000
SIZES = {"CPU preset": (100, 100, 50), "paper": (500, 500, 100)}  # N_h, M, T


def _stamp():
    return (f"<!-- written by benchmarks/bench_chaotic.py -->\n\n"
            f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
            f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the start: other jobs shared the "
            f"cores), NumPy {np.__version__}.\n\n")


def _sync(bk):
    if bk.name == "cupy":  # pragma: no cover - GPU only
        import cupy

        cupy.cuda.get_current_stream().synchronize()


def _interleaved_medians(fns, bk, repeat):
    """Median seconds of each of ``fns``, timed alternately so that load from
    other processes on a shared machine affects all of them alike."""
    for fn in fns:  # warm-up (allocations, BLAS threads, CUDA kernels)
        fn()
    _sync(bk)
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            _sync(bk)
            bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in times]


def _step_functions(backend, n_hidden, batch_size, n_steps):
    """A training update and its matrix products alone, on ``backend``."""
    bk = _backend.resolve(None, backend, "float32")
    xp = bk.xp
    sizes = (N_VISIBLE, n_hidden)
    rng = _backend.make_rng(bk, 0)
    fixed = _k.draw_fixed_couplings(rng, sizes, std=_k.coupling_std(1.5), dtype=bk.dtype)
    trained = [0.01 * rng.normal((N_VISIBLE, n_hidden))]  # non-zero, as during training
    biases = [0.01 * rng.normal((N_VISIBLE,)), 0.01 * rng.normal((n_hidden,))]
    xi = 2.0 * xp.astype(rng.uniform((batch_size, N_VISIBLE)) < 0.2, bk.dtype) - 1.0

    def update():
        _k.contrastive_hebbian_step(fixed, trained, biases, xi, rng, n_free=batch_size, n_steps=n_steps, dt=1.0,
                                    tau=10.0, learning_rate=0.01, xp=xp)

    phi_v = xp.tanh(rng.normal((batch_size, N_VISIBLE)))
    phi_h = xp.tanh(rng.normal((batch_size, n_hidden)))
    k_up, k_down = rng.normal((N_VISIBLE, n_hidden)), rng.normal((n_hidden, N_VISIBLE))

    def matmuls_only():
        for _ in range(n_steps):
            phi_v @ k_up
            phi_h @ k_down
        xi @ k_up
        xi.T @ phi_h
        phi_v.T @ phi_h

    return bk, update, matmuls_only


def bench_steps(repeat):
    lines = ["| size (N_h, M, T) | BLAS threads | s / update | matmuls only (s) | ratio | vs 1 thread | "
             "updates in 8 h | 300,000 updates |", "|---|---|---|---|---|---|---|---|"]
    for name, (n_hidden, batch_size, n_steps) in SIZES.items():
        bk, update, matmuls = _step_functions("numpy", n_hidden, batch_size, n_steps)

        def with_threads(fn, n):
            def run():
                with threadpool_limits(limits=n, user_api="blas"):
                    fn()
            return run

        t1, m1, t2, m2 = _interleaved_medians(
            [with_threads(update, 1), with_threads(matmuls, 1), with_threads(update, 2), with_threads(matmuls, 2)],
            bk, repeat,
        )
        for threads, t, m in ((1, t1, m1), (2, t2, m2)):
            lines.append(
                f"| {name} ({n_hidden}, {batch_size}, {n_steps}) | {threads} | {t:.4f} | {m:.4f} | {t / m:.2f} | "
                f"{t / t1:.2f} | {int(8 * 3600 / t):,} | {t * PAPER_STEPS / 3600:.1f} h |"
            )
        print(lines[-2] + "\n" + lines[-1], flush=True)
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:  # pragma: no cover - GPU only
            bk, update, matmuls = _step_functions("cupy", *SIZES["paper"])
            t, m = _interleaved_medians([update, matmuls], bk, repeat)
            lines.append(f"| paper on CuPy | - | {t:.5f} | {m:.5f} | {t / m:.2f} | - | {int(8 * 3600 / t):,} | "
                         f"{t * PAPER_STEPS / 60:.1f} min |")
    except Exception:
        lines.append("\nNo GPU was available for this run: the CuPy row is missing (target: 300,000 updates "
                     "in under 15 minutes on one H100-class GPU).")
    return "\n".join(lines) + "\n"


def bench_lyapunov(n_seeds):
    X = np.zeros((2, N_VISIBLE))
    lines = ["| N_h | convention (g = 1.5) | median lambda tau | min | max | seeds |", "|---|---|---|---|---|---|"]
    for n_hidden in (500, 100):
        for convention in ("variance", "std"):
            values = []
            for seed in range(n_seeds):
                model = ChaoticRNNGenerator(n_components=n_hidden, g=1.5, g_convention=convention, n_iter=0,
                                            random_state=seed).fit(X)
                lam = model.lyapunov_exponent(2000, n_transient=500, n_trajectories=2, random_state=0)
                values.append(lam * model.tau)
            lines.append(f"| {n_hidden} | {convention} | {np.median(values):+.4f} | {min(values):+.4f} | "
                         f"{max(values):+.4f} | {n_seeds} |")
            print(lines[-1], flush=True)
    return "\n".join(lines) + "\n"


def bench_memory(n_rows=100_000):
    rng = np.random.default_rng(0)
    X_fit = rng.uniform(size=(200, N_VISIBLE)).astype(np.float32)
    model = ChaoticRNNGenerator(n_components=256, batch_size=100, n_steps_per_update=5, n_iter=1,
                                random_state=0).fit(X_fit)
    X = rng.uniform(size=(n_rows, N_VISIBLE)).astype(np.float32)
    lines = ["| method (100,000 rows, N_v = 784, N_h = 256) | output (MB) | peak (MB) | peak beyond output (MB) |",
             "|---|---|---|---|"]
    for name, call in (("sample(n_steps=5)", lambda: model.sample(n_rows, n_steps=5, random_state=0)),
                       ("transform", lambda: model.transform(X)),
                       ("reconstruct", lambda: model.reconstruct(X))):
        tracemalloc.start()
        out = call()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = out.nbytes / 2**20
        lines.append(f"| {name} | {size:.0f} | {peak / 2**20:.0f} | {peak / 2**20 - size:.0f} |")
        print(lines[-1], flush=True)
        del out
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--tables", default="docs/tables")
    parser.add_argument("--skip-steps", action="store_true")
    parser.add_argument("--skip-lyapunov", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args(argv)
    os.makedirs(args.tables, exist_ok=True)
    jobs = [("chaotic_step_time.md", args.skip_steps, lambda: bench_steps(args.repeat)),
            ("chaotic_lyapunov.md", args.skip_lyapunov, lambda: bench_lyapunov(args.seeds)),
            ("chaotic_memory.md", args.skip_memory, bench_memory)]
    for name, skip, job in jobs:
        if skip:
            continue
        text = _stamp() + job()
        with open(os.path.join(args.tables, name), "w") as f:
            f.write(text)
        print(f"wrote {os.path.join(args.tables, name)}")


if __name__ == "__main__":
    main()
