"""End-to-end run of ``examples/plot_chaotic_generator.py`` at a tiny size.

The example writes the chaotic guide's tables, and its long sizes run in
sessions (the overnight Fashion-MNIST run took four). This runs its CPU
size for 2 updates per architecture, one seed and no RBM (the overnight
size's shape of table), then runs it again on the same ``--out``: the
second run must resume every model without training and write the same
tables, apart from its own run-time line.
"""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

pytestmark = pytest.mark.slow

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "plot_chaotic_generator.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("plot_chaotic_generator", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path, capsys):
    example = _load_example()  # fresh module: TIMES is per run
    example.main(["--steps", "2", "--seeds", "1", "--no-rbm", "--out", str(tmp_path / "out"),
                  "--tables", str(tmp_path / "tables")])
    printed = capsys.readouterr().out
    return (tmp_path / "tables" / "chaotic_example_mnist_cpu.md").read_text(), printed


def test_example_writes_its_tables_and_resumes_without_training(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("mlxtend")
    first, printed = _run(tmp_path, capsys)
    assert "resumed at epoch" not in printed
    for heading in ("Indices at t = T", "Fig. 3b", "Fig. 5", "Fig. 4", "lambda tau"):
        assert heading in first
    assert first.count("| data vs data (floor) |") == 2
    # one seed: no "median over seeds 0-0", and no RBM settings without an RBM
    assert "Every row is one seed (seed 0)" in first and "Rows marked" not in first
    assert "Fig. 3b: indices against the generation time t (same gray-level data)**" in first
    assert "RBM" not in first
    for name in ("unrestricted", "restricted", "deep"):
        assert (tmp_path / "out" / "mnist_cpu_2" / f"{name}.pkl").exists()
        assert f"| {name}, t = T |" in first
    for figure in ("fig2_samples", "fig3a_trajectories", "fig4_receptive_fields", "fig5_training"):
        assert (tmp_path / "out" / "mnist_cpu_2" / f"chaotic_{figure}.png").exists()

    second, printed = _run(tmp_path, capsys)
    assert printed.count("resumed at epoch") == 3  # every model picked up, none trained again
    assert _without_run_time(second) == _without_run_time(first)


def _without_run_time(text):
    return [line for line in text.splitlines() if not line.startswith("Run time:")]
