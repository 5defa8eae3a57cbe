//! Builds the guest kernels for wasm32-unknown-unknown (the wasmtime column) in a
//! cargo invocation of their own, and leaves the module in OUT_DIR.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for dir in ["guests/kernels", "guests/wasm", "guests/Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    let target_dir = out_dir.ancestors().nth(4).map(|t| t.join("rivet-guests-wasm")).unwrap_or_else(|| out_dir.join("wasm"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root.join("guests"))
        .args(["build", "--release", "--target", "wasm32-unknown-unknown", "-p", "wasm-kernels"])
        .env("CARGO_TARGET_DIR", &target_dir);
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_BUILD_TARGET", "RUSTC_WORKSPACE_WRAPPER"] {
        cmd.env_remove(var);
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("CARGO_PROFILE_") || k.starts_with("CARGO_CFG_") || k.starts_with("CARGO_FEATURE_") {
            cmd.env_remove(k);
        }
    }
    let status = cmd.status().expect("running cargo for the wasm kernels");
    assert!(status.success(), "building the wasm kernels failed (errors above); the wasm32-unknown-unknown target must be installed (scripts/setup.sh does it)");
    let wasm = target_dir.join("wasm32-unknown-unknown/release/wasm_kernels.wasm");
    std::fs::copy(&wasm, out_dir.join("kernels.wasm")).expect("copying the wasm module");
}
