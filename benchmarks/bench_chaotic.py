"""Benchmark of one ChaoticRNNGenerator training step (paper 002, restricted).

One training step at the paper's size (N_v = 784, N_h = 500, M = 500,
T = 100, dt = 1, float32) is timed against its matrix products alone,
measured in the same run on the same backend: 2 per Euler step (v -> h and
h -> v fields), 1 for the clamped field of eq. 7 and 2 for the Hebbian
averages of eq. 6, i.e. 2 T + 3 products of the same shapes on the same
operands. The target is a ratio of at most 1.5 on the CPU.

With CuPy and a GPU the same is timed on the GPU and the full 300,000-step
training of the paper is projected (target: under 45 minutes on one H100);
without CuPy that part is skipped.

Usage::

    python benchmarks/bench_chaotic.py [--repeat 5] [--backend numpy]
        [--n-hidden 500] [--batch-size 500] [--n-steps 100] [--gpu-only]

Prints a Markdown table to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import datetime, timezone

from skneq import _backend
from skneq.chaotic import _kernels as _k

N_VISIBLE = 784
PAPER_STEPS = 300_000


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


def bench_backend(backend, *, n_hidden, batch_size, n_steps, repeat):
    """Seconds per training step and per matrix-products-only step."""
    bk = _backend.resolve(None, backend, "float32")
    xp = bk.xp
    sizes = (N_VISIBLE, n_hidden)
    rng = _backend.make_rng(bk, 0)
    fixed = _k.draw_fixed_couplings(rng, sizes, std=_k.coupling_std(1.5), dtype=bk.dtype)
    trained, biases = _k.zero_trained_parameters(sizes, xp=xp, dtype=bk.dtype, device=bk.device)
    # Non-zero trained parameters, as during training.
    trained = [0.01 * rng.normal(tuple(a.shape)) for a in trained]
    biases = [0.01 * rng.normal(tuple(b.shape)) for b in biases]
    xi = 2.0 * xp.astype(rng.uniform((batch_size, N_VISIBLE)) < 0.2, bk.dtype) - 1.0

    def training_step():
        _k.contrastive_hebbian_step(
            fixed, trained, biases, xi, rng, n_free=batch_size, n_steps=n_steps, dt=1.0, tau=10.0,
            learning_rate=0.01, xp=xp,
        )

    phi_v = xp.tanh(rng.normal((batch_size, N_VISIBLE)))
    phi_h = xp.tanh(rng.normal((batch_size, n_hidden)))
    k_up = rng.normal((N_VISIBLE, n_hidden))
    k_down = rng.normal((n_hidden, N_VISIBLE))

    def matmuls_only():
        for _ in range(n_steps):
            phi_v @ k_up
            phi_h @ k_down
        xi @ k_up
        xi.T @ phi_h
        phi_v.T @ phi_h

    t_step, t_mm = _interleaved_medians([training_step, matmuls_only], bk, repeat)
    return t_step, t_mm


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--n-hidden", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--n-steps", type=int, default=100)
    parser.add_argument("--gpu-only", action="store_true")
    args = parser.parse_args(argv)

    print(f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    print(f"size: N_v={N_VISIBLE}, N_h={args.n_hidden}, M={args.batch_size}, T={args.n_steps}, float32\n")
    print("| backend | training step (s) | matmuls only (s) | ratio | steps/s | 300k steps |")
    print("|---|---|---|---|---|---|")
    backends = [] if args.gpu_only else [args.backend]
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:  # pragma: no cover - GPU only
            backends.append("cupy")
    except Exception:
        print("(CuPy not importable or no GPU: GPU benchmark skipped)")
    for backend in backends:
        t_step, t_mm = bench_backend(
            backend, n_hidden=args.n_hidden, batch_size=args.batch_size, n_steps=args.n_steps, repeat=args.repeat
        )
        projected_h = t_step * PAPER_STEPS / 3600.0
        print(
            f"| {backend} | {t_step:.4f} | {t_mm:.4f} | {t_step / t_mm:.2f} | {1.0 / t_step:.2f} | "
            f"{projected_h:.1f} h |"
        )


if __name__ == "__main__":
    main()
