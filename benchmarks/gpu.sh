#!/usr/bin/env bash
# Usage: bash benchmarks/gpu.sh OUTDIR
# For a GPU machine that has JAX with CUDA (and scikit-learn) but no network: runs this
# checkout from PYTHONPATH, installs nothing, and writes OUTDIR/gpu.json (rows as they
# finish), OUTDIR/gpu.log and OUTDIR/nvidia-smi.txt. PYTHON picks the interpreter.
set -euo pipefail
out="${1:?usage: bash benchmarks/gpu.sh OUTDIR}"
mkdir -p "$out"
root="$(cd "$(dirname "$0")/.." && pwd)"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
python="${PYTHON:-python3}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/nvidia-smi.txt" 2>&1 || true
"$python" "$root/benchmarks/gpu.py" --json "$out/gpu.json" "${@:2}" 2>&1 | tee "$out/gpu.log"
