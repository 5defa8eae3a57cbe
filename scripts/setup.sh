#!/usr/bin/env bash
# Installs what building and testing Rivet needs on a fresh machine (rustup's stable
# Rust is assumed): the standard library's source for riscv32em guests, the
# wasm32v1-none target for the runtime, protoc for the node's networking (litep2p),
# the wasm32 target for the benchmark's wasmtime baseline; with --test
# also cargo-fuzz and a RISC-V C compiler (Debian's gcc-riscv64-unknown-elf) for the
# C guest test. Safe to run again: installed pieces are skipped.
set -euo pipefail

fail() { echo "setup: error: $*" >&2; exit 1; }

command -v cargo >/dev/null || fail "cargo not found; install Rust with rustup (https://rustup.rs)"
command -v rustup >/dev/null || fail "rustup not found; Rivet's guest build needs rustup's rust-src component"

if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    echo "setup: installing rust-src (core/alloc source for riscv32em guests)"
    timeout 900 rustup component add rust-src || fail "could not install rust-src"
fi

if ! rustup component list --installed 2>/dev/null | grep -q '^rustfmt'; then
    echo "setup: installing rustfmt (the tests check the code's formatting)"
    timeout 900 rustup component add rustfmt || fail "could not install rustfmt"
fi

if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown'; then
    echo "setup: installing the wasm32-unknown-unknown target (the benchmark's wasmtime column)"
    timeout 900 rustup target add wasm32-unknown-unknown || fail "could not install the wasm32-unknown-unknown target"
fi

if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32v1-none'; then
    echo "setup: installing the wasm32v1-none target (the runtime's wasm build)"
    timeout 900 rustup target add wasm32v1-none || fail "could not install the wasm32v1-none target"
fi

apt_install() {
    command -v apt-get >/dev/null || fail "$1 missing and no apt-get to install it"
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    echo "setup: installing $1"
    timeout 600 $sudo apt-get update -qq >/dev/null || fail "apt-get update failed"
    timeout 900 $sudo apt-get install -y -qq --no-install-recommends "$1" >/dev/null || fail "could not install $1"
}

command -v protoc >/dev/null || apt_install protobuf-compiler

if [[ "${1:-}" == "--test" ]]; then
    if ! cargo fuzz --version >/dev/null 2>&1; then
        echo "setup: installing cargo-fuzz"
        timeout 1200 cargo install cargo-fuzz --locked --version 0.13.2 || fail "could not install cargo-fuzz"
    fi
    command -v riscv64-unknown-elf-gcc >/dev/null || apt_install gcc-riscv64-unknown-elf
fi
