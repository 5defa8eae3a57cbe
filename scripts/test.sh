#!/usr/bin/env bash
# Sets everything up and runs every test: unit, instruction, gas, blob validation,
# differential (vs rrs-lib), guest programs vs native (Rust and C), linker, CLIs, the prover
# (honest, wrong-statement and tampered-trace proofs), the contracts
# pallet on both backends, the node and the `rivet` tool end to end, a zombienet network, a bounded fuzz run of each fuzz target, and quick benchmark passes.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rivet/target}"
FUZZ_SECONDS="${RIVET_FUZZ_SECONDS:-45}"

scripts/setup.sh --test
export RIVET_REQUIRE_C_TOOLCHAIN=1
mkdir -p "$CARGO_TARGET_DIR"
python3 scripts/keep-file-times.py . "$CARGO_TARGET_DIR/rivet-file-times.json"

echo "== cargo test (release: the guest programs run real workloads)"
cargo test --workspace --release

echo "== the proof verifier builds no_std for the runtime's wasm target"
cargo build --release -q -p rivet-prover --no-default-features --target wasm32v1-none

echo "== zombienet: three validators (network, contracts across nodes, a validator lost and restarted)"
scripts/zombienet.sh --no-build

echo "== contracts pallet: the FRAME benchmarks, run as tests"
cargo test --release -p pallet-rivet-contracts --features runtime-benchmarks benchmarking

echo "== fuzz: ${FUZZ_SECONDS}s per target"
# Own target dir and RUSTC_BOOTSTRAP only here: sanitizer flags must not touch the main build.
# Seed the corpora with the real guest blobs so the fuzzers start from valid programs.
mkdir -p fuzz/corpus/blob_parse fuzz/corpus/interpret
# A persistent target dir can hold older build dirs of the same crate: use the newest.
guest_out=$(ls -td "$CARGO_TARGET_DIR"/release/build/rivet-test-programs-*/out | head -n 1)
cp "$guest_out"/*.blob fuzz/corpus/blob_parse/
for target in blob_parse interpret jit_vs_interpreter; do
    log="$CARGO_TARGET_DIR/fuzz-$target.log"
    if ! (cd fuzz && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$CARGO_TARGET_DIR/fuzz" \
        cargo fuzz run "$target" -- -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 \
        >"$log" 2>&1); then
        tail -n 80 "$log"
        echo "fuzz target $target failed (full log: $log)"
        exit 1
    fi
    echo "$target: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') inputs, no failure, peak RSS $(grep -E '^stat::peak_rss_mb' "$log" | awk '{print $2}') MB"
done

echo "== benchmark (quick inputs)"
cargo run --release -q -p rivet-vm-bench -- --quick
cargo run --release -q -p rivet-prover-bench -- --quick
cargo bench -q -p pallet-rivet-contracts --features mock --bench calls_per_second -- --quick
