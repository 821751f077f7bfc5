"""Benchmark of skneq.metrics: the adversarial accuracy (eq. B4 of Fournier & Urbani 2024, arXiv:2405.10822).

Target (issue 3): ``aai_error`` on 10,000 data vs 10,000 generated samples of
784 features in under 20 s on a 2-core CPU with peak memory under 1.5 GB.

Baseline, measured in the same run: the naive AAI that builds the full
``(n_data + n_generated)^2`` float64 distance matrix of the pooled set. At
10,000 + 10,000 samples that matrix alone is 3.2 GB (and its temporaries
triple it), so the baseline runs at smaller sizes and is extrapolated
quadratically (time and memory both scale as n^2 for the distance part); the
chunked implementation is timed at the same small sizes too, so the ratio is
also given at equal size.

Every case runs in a fresh subprocess so that its peak resident memory
(``resource.getrusage(...).ru_maxrss``) is its own; ``tracemalloc`` gives the
peak of NumPy allocations inside the call (inputs excluded), in a second,
untimed call.

Usage::

    python benchmarks/bench_metrics.py            # full run (~2 minutes on 2 cores)
    python benchmarks/bench_metrics.py --quick    # small sizes, seconds

A CuPy row is added when CuPy and a CUDA device are available; otherwise it is
skipped with a message.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def make_data(n, n_features, kind, seed=0):
    """Binary images with MNIST-like sparsity, or the same with Gaussian jitter."""
    rng = np.random.default_rng(seed)
    means = rng.beta(0.3, 1.5, size=n_features)  # mostly dark pixels, a few bright
    data = (rng.random((n, n_features)) < means).astype(np.float64)
    generated = (rng.random((n, n_features)) < np.clip(means * 1.1, 0, 1)).astype(np.float64)
    if kind == "continuous":
        data += 0.05 * rng.standard_normal(data.shape)
        generated += 0.05 * rng.standard_normal(generated.shape)
    return data, generated


def naive_adversarial_accuracy(D, G):
    """Full pooled float64 distance matrix, then row minima (the baseline)."""
    pool = np.concatenate([D, G]).astype(np.float64)
    sq = np.sum(pool * pool, axis=1)
    dist = sq[:, None] + sq[None, :] - 2.0 * pool @ pool.T
    np.fill_diagonal(dist, np.inf)
    n_d = len(D)
    to_d = dist[:, :n_d].min(axis=1)
    to_g = dist[:, n_d:].min(axis=1)
    p_dd = float(np.mean(to_d[:n_d] < to_g[:n_d]))
    p_gg = float(np.mean(to_g[n_d:] < to_d[n_d:]))
    return p_dd, p_gg


def run_case(impl, n, n_features, kind):
    """Run one case in this process; return timing and memory as a dict."""
    D, G = make_data(n, n_features, kind)
    if impl == "skneq":
        from skneq.metrics import adversarial_accuracy

        func = adversarial_accuracy
    elif impl == "skneq-cupy":  # pragma: no cover - needs a GPU
        import cupy

        from skneq.metrics import adversarial_accuracy

        D, G = cupy.asarray(D), cupy.asarray(G)

        def func(a, b):
            out = adversarial_accuracy(a, b)
            cupy.cuda.Device().synchronize()
            return out

        func(D[:100], G[:100])  # compile kernels outside the timing
    else:
        func = naive_adversarial_accuracy
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu_start = time.perf_counter(), time.process_time()
    result = tuple(func(D, G))
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    traced = None
    if impl != "skneq-cupy":
        tracemalloc.start()
        func(D, G)
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "impl": impl,
        "n": n,
        "kind": kind,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "result": result,
        "rss_peak_mb": rss_peak / 1024,
        "rss_before_mb": rss_before / 1024,
        "traced_peak_mb": None if traced is None else traced / 2**20,
    }


def bench_spectrum(n, n_features):
    """spectrum_error (Gram matrix + eigvalsh) against two full SVDs (numpy.linalg.svd)."""
    from skneq.metrics import spectrum_error

    D, G = make_data(n, n_features, "binary")
    start = time.perf_counter()
    ours = spectrum_error(D, G)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    s_d = np.linalg.svd(D, compute_uv=False)
    s_g = np.linalg.svd(G, compute_uv=False)
    naive = float(np.sum((s_g - s_d) ** 2)) / n
    naive_s = time.perf_counter() - start
    return ours_s, naive_s, ours, naive


def spawn(impl, n, n_features, kind):
    cmd = [sys.executable, __file__, "--worker", impl, str(n), str(n_features), kind]
    # Measure the checked-out skneq, not whichever one is installed.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cupy_available():
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--worker", nargs=4, metavar=("IMPL", "N", "N_FEATURES", "KIND"), help=argparse.SUPPRESS)
    parser.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "..", "docs", "tables",
                                                         "bench_metrics.md"),
                        help="Markdown file the report is written to (besides stdout); '' to skip")
    args = parser.parse_args()
    if args.worker:
        impl, n, n_features, kind = args.worker
        print(json.dumps(run_case(impl, int(n), int(n_features), kind)))
        return
    report = io.StringIO()

    class _Tee(io.TextIOBase):
        def write(self, text):
            sys.__stdout__.write(text)
            return report.write(text)

    with contextlib.redirect_stdout(_Tee()):
        _report(args)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write("<!-- written by benchmarks/bench_metrics.py"
                     f"{' --quick' if args.quick else ''} -->\n\n" + report.getvalue())


def _report(args):
    n_features = 784
    target = 1000 if args.quick else 10_000
    baseline_sizes = (250, 500) if args.quick else (2_500, 5_000)
    print(f"Measured by bench_metrics: {platform.processor() or platform.machine()}, python {platform.python_version()}, "
          f"numpy {np.__version__}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"load average at start {os.getloadavg()[0]:.1f}")
    rows = []
    for kind in ("binary", "continuous"):
        for n in baseline_sizes:
            rows.append(spawn("naive", n, n_features, kind))
            rows.append(spawn("skneq", n, n_features, kind))
        rows.append(spawn("skneq", target, n_features, kind))
    if cupy_available():  # pragma: no cover - needs a GPU
        rows.append(spawn("skneq-cupy", target, n_features, "binary"))
    else:
        print("CuPy row skipped: cupy not importable or no CUDA device.")

    print("\n| data | impl | n_data = n_generated | wall (s) | CPU (s) | peak RSS (MB) | RSS before call (MB) "
          "| tracemalloc peak (MB) | (p_dd, p_gg) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        traced = "-" if r["traced_peak_mb"] is None else f"{r['traced_peak_mb']:.0f}"
        print(f"| {r['kind']} | {r['impl']} | {r['n']} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} "
              f"| {r['rss_peak_mb']:.0f} "
              f"| {r['rss_before_mb']:.0f} | {traced} "
              f"| ({r['result'][0]:.4f}, {r['result'][1]:.4f}) |")

    ours_s, naive_s, ours, naive = bench_spectrum(target, n_features)
    print(f"\nspectrum_error, {target} x {n_features} binary: skneq (Gram + eigvalsh) {ours_s:.2f} s, "
          f"baseline numpy.linalg.svd x2 {naive_s:.2f} s, ratio x{naive_s / ours_s:.1f}; "
          f"values {ours:.6g} vs {naive:.6g} (rel. diff {abs(ours - naive) / abs(naive):.1e})")

    print(f"\nload average at end {os.getloadavg()[0]:.1f} (2 cores; above 2 means other processes competed)")
    print("\nRatios (naive / skneq):")
    for kind in ("binary", "continuous"):
        by = {(r["impl"], r["n"]): r for r in rows if r["kind"] == kind}
        n_big = baseline_sizes[-1]
        naive, ours = by[("naive", n_big)], by[("skneq", n_big)]
        assert naive["result"] == ours["result"], (naive["result"], ours["result"])
        scale = (target / n_big) ** 2
        naive_time = naive["seconds"] * scale
        naive_mem = naive["traced_peak_mb"] * scale
        big = by[("skneq", target)]
        print(f"- {kind}: same size n={n_big}: time x{naive['seconds'] / ours['seconds']:.2f}, "
              f"tracemalloc peak x{naive['traced_peak_mb'] / ours['traced_peak_mb']:.1f}; "
              f"n={target}: naive extrapolated (x{scale:.0f} from n={n_big}) {naive_time:.1f} s and "
              f"{naive_mem / 1024:.1f} GB vs skneq measured {big['seconds']:.1f} s and "
              f"{big['rss_peak_mb']:.0f} MB peak RSS -> time x{naive_time / big['seconds']:.2f}, "
              f"memory x{naive_mem / big['traced_peak_mb']:.1f} (tracemalloc)")


if __name__ == "__main__":
    main()
