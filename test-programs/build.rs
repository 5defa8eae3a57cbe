//! Builds the guest programs in `guests/` for riscv32em-unknown-none-elf (core and
//! alloc from source, see TOOLCHAIN.md) in a separate cargo invocation with its own
//! target directory, then links each ELF into a blob in OUT_DIR.

use std::path::{Path, PathBuf};

const TARGET: &str = "riscv32em-unknown-none-elf";

/// (program, stack size, heap limit)
const PROGRAMS: &[(&str, u32, u32)] = &[
    ("minimal", 16 << 10, 64 << 10),
    ("fibonacci", 256 << 10, 64 << 10),
    ("sieve", 64 << 10, 32 << 20),
    ("sha256", 64 << 10, 16 << 20),
    ("keccak", 64 << 10, 16 << 20),
    ("sort", 64 << 10, 32 << 20),
    ("collections", 64 << 10, 32 << 20),
    // Contracts for the contracts pallet's tests (guests/contracts).
    ("counter", 16 << 10, 64 << 10),
    ("token", 16 << 10, 64 << 10),
    ("caller", 16 << 10, 64 << 10),
    ("trapper", 16 << 10, 64 << 10),
    ("looper", 16 << 10, 64 << 10),
    ("events", 16 << 10, 64 << 10),
    ("probe", 16 << 10, 64 << 10),
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for dir in ["guests/kernels", "guests/programs", "guests/contracts", "guests/Cargo.toml", "guests/Cargo.lock", "guest-sdk", "abi/src"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    let guest_target = rivet_nested_cargo::shared_target_dir(&out_dir, "rivet-guests");
    let mut cmd = rivet_nested_cargo::cargo_build(&root.join("guests"), &guest_target);
    cmd.args(["--release", "--target", TARGET, "-Zbuild-std=core,alloc", "-Zbuild-std-features=compiler-builtins-mem"])
        // The wasm and PolkaVM builds of the kernels (for the benchmark) are not Rivet guests.
        .args(["--workspace", "--exclude", "wasm-kernels", "--exclude", "polkavm-kernels"])
        // Only this sub-build may use unstable flags (TOOLCHAIN.md).
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_ENCODED_RUSTFLAGS", format!("-Clink-arg=-T{}", root.join("guest-sdk/memory.ld").display()));
    let status = cmd.status().unwrap_or_else(|e| panic!("can't run cargo for the guest programs: {e}"));
    if !status.success() {
        panic!(
            "building the guest programs failed. They need the rust-src component \
             (`rustup component add rust-src`; scripts/setup.sh installs it)."
        );
    }

    let elf_dir = guest_target.join(TARGET).join("release");
    let mut index = String::from("/// Every guest program: (name, blob).\npub const ALL: &[(&str, &[u8])] = &[\n");
    for &(name, stack_size, heap_max) in PROGRAMS {
        let elf = std::fs::read(elf_dir.join(name)).unwrap_or_else(|e| panic!("missing guest ELF {name}: {e}"));
        let opts = rivet_linker::LinkOptions { stack_size, heap_max, entries: Vec::new() };
        let blob = rivet_linker::link(&elf, &opts).unwrap_or_else(|e| panic!("linking guest {name}: {e}"));
        let path = out_dir.join(format!("{name}.blob"));
        write_if_changed(&path, &blob);
        let path_elf = out_dir.join(format!("{name}.elf"));
        write_if_changed(&path_elf, &elf);
        index += &format!("    ({name:?}, include_bytes!({:?})),\n", path.display().to_string());
    }
    index += "];\n";
    for &(name, _, _) in PROGRAMS {
        index += &format!(
            "/// The `{name}` guest's ELF, as rustc produced it.\npub const {}_ELF: &[u8] = include_bytes!({:?});\n",
            name.to_uppercase(),
            out_dir.join(format!("{name}.elf")).display().to_string()
        );
    }
    write_if_changed(&out_dir.join("programs.rs"), index.as_bytes());
}

fn write_if_changed(path: &Path, data: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(data) {
        std::fs::write(path, data).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}
