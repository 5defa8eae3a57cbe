#!/usr/bin/env bash
# Sets everything up and starts the Rivet dev chain: one validator (Alice), a block as
# soon as a transaction arrives, the standard RPC on ws://127.0.0.1:9944, contracts
# run on the node's JIT. The chain is kept in $RIVET_BASE_PATH (default
# ~/.local/share/rivet/dev) across restarts; `--tmp` instead starts a throwaway one.
# Extra arguments go to rivet-node.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rivet/target}"

scripts/setup.sh
echo "== building rivet-node and the rivet tool (release; a first build takes a while)"
cargo build --release -p rivet-node -p rivet-cli
mkdir -p "$HOME/.cargo/bin"
ln -sf "$CARGO_TARGET_DIR/release/rivet" "$HOME/.cargo/bin/rivet"
echo "== rivet (the contract tool) is linked as ~/.cargo/bin/rivet"
base="${RIVET_BASE_PATH:-$HOME/.local/share/rivet/dev}"
if [[ " $* " == *" --tmp "* ]]; then
    exec "$CARGO_TARGET_DIR/release/rivet-node" --dev "$@"
fi
exec "$CARGO_TARGET_DIR/release/rivet-node" --dev --base-path "$base" "$@"
