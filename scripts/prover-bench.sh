#!/usr/bin/env bash
# The prover benchmark, built for this machine's CPU: Plonky3 vectorizes its field
# arithmetic and Poseidon2 (AVX2 / AVX-512) only when compiled with those features,
# ~5x faster proving here. It builds in a target directory of its own, so the main
# build stays portable. Arguments go to the benchmark (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rivet/target}/native"
RUSTFLAGS="-C target-cpu=native" exec cargo run --release -q -p rivet-prover-bench -- "$@"
