#!/usr/bin/env bash
# The zombienet network test (zombienet/network.zndsl): three validators as local
# processes through @zombienet/cli's native provider. Builds rivet-node and rivet
# unless --no-build (scripts/test.sh has built them), installs @zombienet/cli from
# npm (zombienet/package-lock.json), builds the template contract with `rivet`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rivet/target}"
root="$PWD"

if [[ "${1:-}" != "--no-build" ]]; then
    cargo build --release -p rivet-node -p rivet-cli
fi
command -v npm >/dev/null || { echo "zombienet needs Node.js and npm" >&2; exit 1; }
(cd zombienet && timeout 900 npm ci --no-audit --no-fund --loglevel=error)

work="$(mktemp -d /tmp/rivet-zombienet.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# The network runs copies, so a rebuild during the test can't change its binaries.
mkdir -p "$work/bin"
cp "$CARGO_TARGET_DIR/release/rivet-node" "$CARGO_TARGET_DIR/release/rivet" "$work/bin/"
export PATH="$work/bin:$PATH" RIVET_BIN="$work/bin/rivet" RIVET_ZN_STATE="$work"

echo "== building the template contract"
rivet new "$work/zn-counter" >/dev/null
CARGO_TARGET_DIR="$CARGO_TARGET_DIR/rivet-cli-contracts" rivet build --manifest-path "$work/zn-counter/Cargo.toml"
export RIVET_ZN_BLOB="$CARGO_TARGET_DIR/rivet-cli-contracts/rivet/zn-counter.blob"

echo "== chain spec: local, GRANDPA weights alice 2, bob 2, charlie 1"
rivet-node build-spec --chain local --disable-default-bootnode >"$work/local.json" 2>/dev/null
python3 - "$work/local.json" <<'PY'
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
authorities = spec["genesis"]["runtimeGenesis"]["patch"]["grandpa"]["authorities"]
assert len(authorities) == 3, authorities  # alice, bob, charlie, in that order
for authority, weight in zip(authorities, (2, 2, 1)):
    authority[1] = weight
json.dump(spec, open(path, "w"), indent=1)
PY
rivet-node build-spec --chain "$work/local.json" --raw --disable-default-bootnode >"$work/local-raw.json" 2>/dev/null
export RIVET_ZN_SPEC="$work/local-raw.json"

echo "== zombienet: zombienet/network.zndsl"
cd "$root/zombienet"
npx --no-install zombienet --provider native --logType text --dir "$work/network" --force test network.zndsl
