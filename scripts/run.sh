#!/usr/bin/env bash
# Sets everything up, builds, and runs a guest program on the Rivet VM:
#   scripts/run.sh                  the prime sieve below 1,000,000
#   scripts/run.sh BLOB [ARGS...]   any blob, with rivet-vm run's options
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rivet/target}"
scripts/setup.sh
cargo build --release -p rivet-vm-cli -p rivet-linker -p rivet-test-programs
if [[ $# -eq 0 ]]; then
    blob=$(ls -t "$CARGO_TARGET_DIR"/release/build/rivet-test-programs-*/out/sieve.blob | head -n 1)
    echo "running $blob with input n = 1000000"
    exec "$CARGO_TARGET_DIR/release/rivet-vm" run "$blob" --input-u32 1000000
fi
exec "$CARGO_TARGET_DIR/release/rivet-vm" run "$@"
