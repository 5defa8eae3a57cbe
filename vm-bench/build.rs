//! Builds the guest kernels for the benchmark's baselines, each in a cargo invocation
//! of its own with its own target directory: wasm32-unknown-unknown (wasmtime) and
//! polkavm-linker's riscv64emac target (PolkaVM, linked into a .polkavm blob).

use std::path::{Path, PathBuf};

fn cargo_build(guests: &Path, target_dir: &Path, args: &[&str], bootstrap: bool) {
    let mut cmd = rivet_nested_cargo::cargo_build(guests, target_dir);
    cmd.args(args);
    if bootstrap {
        // Only this sub-build uses unstable flags (build-std, JSON target specs).
        cmd.env("RUSTC_BOOTSTRAP", "1");
    }
    let status = cmd.status().expect("running cargo for the benchmark guests");
    assert!(status.success(), "building benchmark guests with `cargo build {}` failed (errors above)", args.join(" "));
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).parent().unwrap().to_path_buf();
    let guests = root.join("guests");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for dir in ["guests/kernels", "guests/wasm", "guests/polkavm", "guests/Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }

    // wasmtime: the needed target is installed by scripts/setup.sh.
    let wasm_dir = rivet_nested_cargo::shared_target_dir(&out_dir, "rivet-guests-wasm");
    cargo_build(&guests, &wasm_dir, &["--release", "--target", "wasm32-unknown-unknown", "-p", "wasm-kernels"], false);
    std::fs::copy(wasm_dir.join("wasm32-unknown-unknown/release/wasm_kernels.wasm"), out_dir.join("kernels.wasm"))
        .expect("copying the wasm module");

    // PolkaVM: its linker ships the target spec; core/alloc come from rust-src.
    let mut args = polkavm_linker::TargetJsonArgs::default();
    args.is_64_bit = true;
    let spec = polkavm_linker::target_json_path(args).expect("polkavm target spec");
    let spec = spec.to_str().expect("UTF-8 path");
    let pvm_dir = rivet_nested_cargo::shared_target_dir(&out_dir, "rivet-guests-polkavm");
    cargo_build(
        &guests,
        &pvm_dir,
        &["--release", "-Zbuild-std=core,alloc", "-Zjson-target-spec", "--target", spec, "-p", "polkavm-kernels"],
        true,
    );
    let elf = std::fs::read(pvm_dir.join("riscv64emac-unknown-none-polkavm/release/polkavm-kernels")).expect("PolkaVM guest ELF");
    let mut config = polkavm_linker::Config::default();
    config.set_strip(true);
    let blob =
        polkavm_linker::program_from_elf(config, polkavm_linker::TargetInstructionSet::Latest, &elf).expect("linking the PolkaVM guest");
    std::fs::write(out_dir.join("kernels.polkavm"), blob).expect("writing the PolkaVM blob");
}
