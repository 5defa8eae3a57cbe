//! Builds the verifier as a wasm module (`prover/wasm-verifier`, its own workspace
//! and target directory) for the benchmark to run in wasmtime.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).parent().unwrap().to_path_buf();
    let crate_dir = root.join("prover/wasm-verifier");
    for dir in ["prover/src", "prover/Cargo.toml", "prover/wasm-verifier/src", "prover/wasm-verifier/Cargo.toml", "vm/src"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let target_dir = rivet_nested_cargo::shared_target_dir(&out_dir, "rivet-wasm-verifier");
    let mut cmd = rivet_nested_cargo::cargo_build(&crate_dir, &target_dir);
    cmd.args(["--release", "--target", "wasm32-unknown-unknown"]);
    let status = cmd.status().expect("running cargo for the wasm verifier");
    assert!(status.success(), "building the wasm verifier failed (errors above)");
    std::fs::copy(target_dir.join("wasm32-unknown-unknown/release/rivet_wasm_verifier.wasm"), out_dir.join("verifier.wasm"))
        .expect("copying the wasm verifier");
}
