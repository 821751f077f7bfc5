#!/usr/bin/env bash
# GPU check in one command, for whoever has a CUDA GPU (about 10 minutes):
# installs the cupy extra, prints the device, runs the test suite's CuPy rows
# (`pytest -m gpu`: the gpu mark and the backend fixture's cupy row), then
# every benchmark's GPU rows at paper sizes, and writes the figures with
# device, date and command into docs/benchmarks.md (section "GPU check").
#
#   bash benchmarks/gpu_check.sh            # on a CUDA machine
#   bash benchmarks/gpu_check.sh --dry-run  # list what it would run (any machine)
#   bash benchmarks/gpu_check.sh --smoke    # the same steps on NumPy at tiny sizes
#
# Without a CUDA GPU it says so and exits 0. Details: benchmarks/gpu_check.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
export SCIPY_ARRAY_API=1 MPLBACKEND=Agg

has_gpu() {
    command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q "^GPU"
}

case "${1:-}" in
    --dry-run)
        echo "gpu_check.sh dry run:"
        echo "  0. $PYTHON -m pip install -q \".[cupy]\"   (CuPy for CUDA 12)"
        "$PYTHON" benchmarks/gpu_check.py --dry-run
        echo "nvidia-smi sees a GPU here: $(has_gpu && echo yes || echo no)"
        exit 0
        ;;
    --smoke)
        shift
        exec "$PYTHON" benchmarks/gpu_check.py --smoke "$@"
        ;;
esac

if ! has_gpu; then
    echo "No CUDA GPU on this machine (nvidia-smi lists none): nothing to check, exiting 0."
    echo "Run this script on a machine with a CUDA GPU; '--dry-run' lists what it runs."
    exit 0
fi

start=$(date +%s)
nvidia-smi -L
"$PYTHON" -m pip install -q ".[cupy]"
# Whole run capped at 10 minutes (the steps themselves keep to a budget and
# record any step they had to skip).
timeout 600 "$PYTHON" benchmarks/gpu_check.py "$@"
echo "gpu_check finished in $(( $(date +%s) - start )) s; figures in docs/benchmarks.md"
