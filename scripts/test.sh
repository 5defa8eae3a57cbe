#!/usr/bin/env bash
# Sets everything up and runs every test: unit, instruction, gas, blob validation,
# differential (vs rrs-lib), guest programs vs native (Rust and C), linker, CLIs, the prover
# (honest, wrong-statement and tampered-trace proofs), the contracts
# pallet on both backends, the node and the `rivet` tool end to end, a zombienet network, a bounded fuzz run of each fuzz target, and quick benchmark passes.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rivet/target}"
mkdir -p "$CARGO_TARGET_DIR"
CARGO_TARGET_DIR="$(cd "$CARGO_TARGET_DIR" && pwd)"
FUZZ_SECONDS="${RIVET_FUZZ_SECONDS:-45}"

# Cargo keys what it built by absolute path (build scripts' watched files, the
# runtime's wasm project), so a clone at a new path rebuilds every workspace crate
# even with a warm target directory. A clean checkout is therefore tested from a
# mirror at a fixed path beside the build output, moved to this commit by git (which
# leaves unchanged files, and their times, alone; --update-shallow: CI clones are
# often shallow). A checkout with local changes, one git can't mirror, or any with
# RIVET_TEST_IN_PLACE set, is tested where it is.
mirror="$CARGO_TARGET_DIR/rivet-src"
if [[ -z "${RIVET_TEST_IN_PLACE:-}" && "$PWD" != "$mirror" ]] \
    && git rev-parse --is-inside-work-tree >/dev/null 2>&1 && [[ -z "$(git status --porcelain 2>/dev/null)" ]]; then
    commit="$(git rev-parse HEAD)"
    if { [[ -d "$mirror/.git" ]] || git clone -q --no-checkout "$PWD" "$mirror"; } \
        && git -C "$mirror" fetch -q --update-shallow "$PWD" HEAD \
        && [[ "$(git -C "$mirror" rev-parse FETCH_HEAD)" == "$commit" ]] \
        && git -C "$mirror" checkout -q -f --detach "$commit" \
        && git -C "$mirror" clean -q -ffd; then
        echo "== testing $commit from $mirror (a fixed path keeps warm builds warm)"
        # (In place there: the mirror never mirrors itself, whatever its path looks like.)
        RIVET_TEST_IN_PLACE=1 exec "$mirror/scripts/test.sh" "$@"
    fi
    echo "== could not mirror the checkout to $mirror; testing in place"
fi

# Each section's time, for keeping the run short.
section_end() { [[ -z "${section_name:-}" ]] || echo "   ($section_name: $((SECONDS - section_start)) s)"; }
section() {
    section_end
    section_name="$1"; section_start=$SECONDS
    echo "== $1"
}
trap 'section_end; echo "== $((SECONDS / 60)) min $((SECONDS % 60)) s in all"' EXIT

section "setup"
scripts/setup.sh --test
export RIVET_REQUIRE_C_TOOLCHAIN=1
python3 scripts/keep-file-times.py . "$CARGO_TARGET_DIR/rivet-file-times.json"

section "formatting (rustfmt.toml)"
# The workspace with the guests it reaches by path; the crates outside it file by file
# (their own `cargo fmt` would resolve, and download, their dependencies first).
cargo fmt --all -- --check
find fuzz prover/wasm-verifier prover/compare-stwo -name target -prune -o -name '*.rs' -print0 | xargs -0 rustfmt --check --edition 2021

section "cargo test (release: the guest programs run real workloads)"
cargo test --workspace --release

# The later sections' cargo commands, each written once: the sections run them, and
# so does the low-priority build below.
verifier_build() { cargo build --release -q -p rivet-prover --no-default-features --target wasm32v1-none; }
frame_benchmarks() { cargo test --release -p pallet-rivet-contracts --features runtime-benchmarks "$@"; }
# Built as the test build above was: the whole workspace's features (--workspace;
# --all-targets: with the dev-dependencies' too) and the release profile. `-p <one
# package>` would resolve features for that package alone, and `cargo bench` use the
# bench profile: either compiles the shared dependencies again.
benchmarks_build() { cargo build --release -q --workspace --all-targets; }
calls_benchmark() { cargo test --release -q --workspace --features pallet-rivet-contracts/mock --bench calls_per_second "$@"; }
# Own target dir and RUSTC_BOOTSTRAP only here: sanitizer flags must not touch the main build.
cargo_fuzz() { (cd fuzz && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$CARGO_TARGET_DIR/fuzz" cargo fuzz "$@"); }

# The later sections' builds (another target, other features, the fuzz targets' own
# directory) are started now, at the lowest priority, while the network test below
# mostly waits for blocks: on a cold cache that hides minutes of compiling. They
# only fill the cache: each section still runs its own command, so a build that
# fails here fails again, with its output, in its section.
prebuild_log="$CARGO_TARGET_DIR/prebuild.log"
(
    set +e
    renice -n 19 -p "$BASHPID" >/dev/null
    verifier_build
    frame_benchmarks -q --no-run
    benchmarks_build
    calls_benchmark --no-run
    cargo_fuzz build
) >"$prebuild_log" 2>&1 &
prebuild_pid=$!
trap 'kill $prebuild_pid 2>/dev/null || true; section_end; echo "== $((SECONDS / 60)) min $((SECONDS % 60)) s in all"' EXIT

section "zombienet: three validators (network, contracts across nodes, a validator lost and restarted)"
scripts/zombienet.sh --no-build

section "(waiting for the builds started before zombienet)"
wait "$prebuild_pid" || echo "   (one failed; its section repeats it: $prebuild_log)"

section "the proof verifier builds no_std for the runtime's wasm target"
verifier_build

section "contracts pallet: the FRAME benchmarks, run as tests"
frame_benchmarks benchmarking

section "fuzz: ${FUZZ_SECONDS}s per target"
# Seed the corpora with the real guest blobs so the fuzzers start from valid programs.
mkdir -p fuzz/corpus/blob_parse fuzz/corpus/interpret
# A persistent target dir can hold older build dirs of the same crate: use the newest.
guest_out=$(ls -td "$CARGO_TARGET_DIR"/release/build/rivet-test-programs-*/out | head -n 1)
cp "$guest_out"/*.blob fuzz/corpus/blob_parse/
for target in blob_parse interpret jit_vs_interpreter; do
    log="$CARGO_TARGET_DIR/fuzz-$target.log"
    if ! cargo_fuzz run "$target" -- -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 \
        >"$log" 2>&1; then
        tail -n 80 "$log"
        echo "fuzz target $target failed (full log: $log)"
        exit 1
    fi
    echo "$target: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') inputs, no failure, peak RSS $(grep -E '^stat::peak_rss_mb' "$log" | awk '{print $2}') MB"
done

section "benchmark (quick inputs)"
benchmarks_build
"$CARGO_TARGET_DIR/release/rivet-vm-bench" --quick
"$CARGO_TARGET_DIR/release/rivet-prover-bench" --quick
calls_benchmark -- --quick
