#!/usr/bin/env bash
# Regenerates pallets/contracts/src/weights.rs on this machine: builds rivet-node with
# the runtime-benchmarks feature and runs the contracts pallet's FRAME benchmarks
# (benchmarking.rs) through the node's JIT, as the chain runs contracts. Run it on an
# otherwise idle machine: the figures become what the chain charges.
#
# The benchmark build replaces target/release/rivet-node; scripts/dev.sh (or
# `cargo build --release -p rivet-node`) puts the normal node back.
#
# RIVET_BENCH_STEPS / RIVET_BENCH_REPEAT (default 20 / 10) trade time for precision.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rivet/target}"

if [[ "${1:-}" != "--no-build" ]]; then
    cargo build --release -p rivet-node --features runtime-benchmarks
fi
"$CARGO_TARGET_DIR/release/rivet-node" benchmark pallet \
    --chain dev \
    --pallet pallet_rivet_contracts \
    --extrinsic '*' \
    --steps "${RIVET_BENCH_STEPS:-20}" \
    --repeat "${RIVET_BENCH_REPEAT:-10}" \
    --wasm-execution compiled \
    --template pallets/contracts/weight-template.hbs \
    --output pallets/contracts/src/weights.rs
echo "pallets/contracts/src/weights.rs regenerated; the gas rate is the steepest vm_gas_* slope"
