"""Benchmarks of skneq.reciprocal (Toledo-Marin et al. 2025, arXiv:2503.21536) at the paper's sizes (N = 784).

Each figure is a ratio against a named baseline measured in the same run:

1. ``ReciprocalSpaceProjector.from_parameters`` (decomposition only) vs a
   bare ``numpy.linalg.svd(W, full_matrices=True)``: overhead of sign fixing,
   the Haar completion of the null space, the bias alignment and saddle
   points; and the same with ``null_space="lapack"``.
2. ``apply_random_rotations`` (rank-2 updates) vs dense products
   ``R @ U @ R.T`` with explicit rotation matrices, 0.1 N rotations of the
   784 x 784 visible modes (Fig. 4).
3. ``mode_energies`` of 10,000 state pairs vs the direct energy of eq. 3.
4. ``reciprocal_kurtosis`` Monte Carlo (10^5 states) vs the exact cumulant
   formula.
5. ``track_modes`` over 9 checkpoints of the ``K`` coupled visible modes vs
   one full SVD (the cost of a checkpoint's decomposition).
6. ``saddle_point_equations`` (eqs. 24-28) vs one full SVD.

The table is printed and written to ``docs/tables/bench_reciprocal.md``.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_reciprocal.py [--hidden 500]``.

CuPy timings are added when CuPy and a GPU are available, else skipped.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time

import numpy as np
import os

from skneq.reciprocal import (
    ReciprocalSpaceProjector,
    apply_random_rotations,
    random_plane_rotation,
    reciprocal_kurtosis,
    saddle_point_equations,
    track_modes,
)

TABLE = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "tables", "bench_reciprocal.md")
LINES = []


def emit(text):
    print(text)
    LINES.append(text)


def best_of(fn, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def dense_rotations(U, n_rotations, seed):
    """The baseline: explicit n x n rotation matrices, dense products R @ U @ R.T."""
    n = U.shape[0]
    for k in range(n_rotations):
        R = np.asarray(random_plane_rotation(n, random_state=seed + k))
        U = R @ U @ R.T
    return U


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visible", type=int, default=784)
    parser.add_argument("--hidden", type=int, default=500)
    args = parser.parse_args()
    n_visible, n_hidden = args.visible, args.hidden
    rng = np.random.default_rng(0)
    params = (0.01 * rng.normal(size=(n_hidden, n_visible)), rng.normal(size=n_visible), rng.normal(size=n_hidden))
    emit(f"Written by benchmarks/bench_reciprocal.py, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; "
         f"{platform.machine()}, {os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
         f"N={n_visible}, M={n_hidden}.")
    emit("")
    emit("| case | skneq (s) | baseline | baseline (s) | ratio |")
    emit("|---|---|---|---|---|")

    W = params[0].T
    t_svd = best_of(lambda: np.linalg.svd(W, full_matrices=True))
    for null_space in ("haar", "lapack"):
        t_fit = best_of(lambda: ReciprocalSpaceProjector.from_parameters(*params, null_space=null_space))
        emit(f"| decomposition, null_space={null_space!r} | {t_fit:.3f} | numpy full SVD | {t_svd:.3f} "
             f"| {t_fit / t_svd:.2f} |")

    proj = ReciprocalSpaceProjector.from_parameters(*params)
    n_rot = round(0.1 * n_visible)
    t_rank2 = best_of(lambda: apply_random_rotations(proj.visible_modes_, n_rot, side="both", random_state=0))
    t_dense = best_of(lambda: dense_rotations(proj.visible_modes_, n_rot, seed=0), repeats=1)
    emit(
        f"| {n_rot} rotations of U ({n_visible}x{n_visible}) | {t_rank2:.3f} | dense R @ U @ R.T | {t_dense:.3f} "
        f"| {t_rank2 / t_dense:.3f} |"
    )

    n_states = 10_000
    V = (rng.random((n_states, n_visible)) < 0.5).astype(float)
    H = (rng.random((n_states, n_hidden)) < 0.5).astype(float)

    def direct():
        return -V @ params[1] - H @ params[2] - np.sum((V @ W) * H, axis=1)

    t_direct = best_of(direct)
    t_modes = best_of(lambda: proj.mode_energies(V, H))
    emit(f"| mode_energies, {n_states} pairs | {t_modes:.3f} | direct energy eq. 3 | {t_direct:.3f} "
          f"| {t_modes / t_direct:.2f} |")

    modes = proj.hidden_modes_[:, : min(n_visible, n_hidden)]
    t_exact = best_of(lambda: reciprocal_kurtosis(modes))
    t_mc = best_of(lambda: reciprocal_kurtosis(modes, n_samples=100_000, random_state=0), repeats=1)
    emit(f"| kurtosis, 10^5 states (MC) | {t_mc:.3f} | exact cumulants | {t_exact:.4f} | {t_mc / t_exact:.0f} |")

    k = min(n_visible, n_hidden)
    trajectory = [proj.visible_modes_[:, :k]]
    for t in range(8):  # modes turning a little per checkpoint
        Q = np.linalg.qr(np.eye(n_visible) + 0.02 * rng.normal(size=(n_visible, n_visible)))[0]
        trajectory.append(Q @ trajectory[-1])
    t_track = best_of(lambda: track_modes(trajectory), repeats=3)
    emit(f"| track_modes, 9 checkpoints x {k} modes | {t_track:.3f} | numpy full SVD | {t_svd:.3f} "
         f"| {t_track / t_svd:.2f} |")
    t_saddle = best_of(lambda: saddle_point_equations(proj, beta=1.0), repeats=3)
    emit(f"| saddle_point_equations (eqs. 24-28) | {t_saddle:.3f} | numpy full SVD | {t_svd:.3f} "
         f"| {t_saddle / t_svd:.2f} |")
    os.makedirs(os.path.dirname(TABLE), exist_ok=True)
    with open(TABLE, "w") as fh:
        fh.write("\n".join(LINES) + "\n")
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() == 0:
            raise RuntimeError("no GPU")
    except Exception as exc:  # noqa: BLE001 - any failure means no GPU path
        print(f"# CuPy benchmarks skipped: {type(exc).__name__}: {exc}")
        return
    def gpu_fit():  # pragma: no cover - needs a GPU
        ReciprocalSpaceProjector.from_parameters(*params, backend="cupy")
        cupy.cuda.Device().synchronize()

    t_gpu = best_of(gpu_fit)  # pragma: no cover
    print(f"| fit (decomposition), CuPy | {t_gpu:.3f} | numpy full SVD | {t_svd:.3f} | {t_gpu / t_svd:.2f} |")


if __name__ == "__main__":
    main()
