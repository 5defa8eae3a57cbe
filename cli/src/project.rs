//! `rivet new` (a contract crate from the template) and `rivet build` (a contract
//! crate to a linked, validated blob).

use std::path::{Path, PathBuf};
use std::process::Command;

use rivet_vm::Program;

use crate::CliError;

const TARGET: &str = "riscv32em-unknown-none-elf";
const TEMPLATE_MANIFEST: &str = include_str!("../template/Cargo.toml.in");
const TEMPLATE_MAIN: &str = include_str!("../template/src/main.rs");
const TEMPLATE_GITIGNORE: &str = include_str!("../template/gitignore");

/// Creates `<path>/` with a contract crate named after its last component.
pub fn new(path: &Path, sdk: &Path) -> Result<String, CliError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !valid {
        return Err(CliError::Usage(format!(
            "{name:?} is not a valid crate name: use letters, digits, '-' and '_', starting with a letter"
        )));
    }
    if path.exists() {
        return Err(CliError::Usage(format!("{} already exists", path.display())));
    }
    let sdk = sdk.canonicalize().map_err(|e| {
        CliError::Usage(format!(
            "the guest SDK at {} can't be found ({e}): pass --sdk with a Rivet checkout's guest-sdk/ directory",
            sdk.display()
        ))
    })?;
    let manifest = TEMPLATE_MANIFEST.replace("{{name}}", &name).replace("{{sdk}}", &sdk.display().to_string());
    let write = |p: PathBuf, text: &str| std::fs::write(&p, text).map_err(|e| CliError::Usage(format!("can't write {}: {e}", p.display())));
    std::fs::create_dir_all(path.join("src")).map_err(|e| CliError::Usage(format!("can't create {}: {e}", path.display())))?;
    write(path.join("Cargo.toml"), &manifest)?;
    write(path.join("src/main.rs"), TEMPLATE_MAIN)?;
    write(path.join(".gitignore"), TEMPLATE_GITIGNORE)?;
    Ok(name)
}

/// What `rivet build` produced.
pub struct Built {
    pub blob_path: PathBuf,
    pub blob: Vec<u8>,
    pub program: Program,
}

/// The contract package's name, target directory, linker settings and the guest
/// SDK's directory, from `cargo metadata`.
struct Package {
    name: String,
    dir: PathBuf,
    target_dir: PathBuf,
    stack_size: u32,
    heap_max: u32,
    sdk_dir: PathBuf,
}

fn metadata(manifest: &Path) -> Result<Package, CliError> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(manifest)
        .output()
        .map_err(|e| CliError::Build(format!("can't run cargo: {e} (install Rust with rustup)")))?;
    if !out.status.success() {
        return Err(CliError::Build(format!("cargo can't read {}:\n{}", manifest.display(), String::from_utf8_lossy(&out.stderr))));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| CliError::Build(format!("cargo metadata: {e}")))?;
    let manifest = manifest.canonicalize().map_err(|e| CliError::Build(format!("{}: {e}", manifest.display())))?;
    let packages = meta["packages"].as_array().cloned().unwrap_or_default();
    let pkg = packages
        .iter()
        .find(|p| p["manifest_path"].as_str().map(Path::new) == Some(manifest.as_path()))
        .ok_or_else(|| CliError::Build(format!("{} has no [package]: point --manifest-path at a contract crate", manifest.display())))?;
    let sdk = packages
        .iter()
        .find(|p| p["name"] == "rivet-guest")
        .and_then(|p| p["manifest_path"].as_str())
        .and_then(|m| Path::new(m).parent().map(Path::to_path_buf))
        .ok_or_else(|| CliError::Build("the crate doesn't depend on rivet-guest, the guest SDK: a contract needs it".into()))?;
    let setting = |key: &str, default: u32| -> Result<u32, CliError> {
        match &pkg["metadata"]["rivet"][key] {
            serde_json::Value::Null => Ok(default),
            v => v
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| CliError::Build(format!("[package.metadata.rivet] {key} must be a number of bytes, not {v}"))),
        }
    };
    Ok(Package {
        name: pkg["name"].as_str().unwrap_or_default().to_string(),
        dir: manifest.parent().map(Path::to_path_buf).unwrap_or_default(),
        target_dir: PathBuf::from(meta["target_directory"].as_str().unwrap_or("target")),
        stack_size: setting("stack-size", 16 << 10)?,
        heap_max: setting("heap-max", 64 << 10)?,
        sdk_dir: sdk,
    })
}

/// rust-src is what building `core` for the tier-3 RISC-V target needs.
fn ensure_rust_src() -> Result<(), CliError> {
    let listed = Command::new("rustup").args(["component", "list", "--installed"]).output();
    if let Ok(out) = &listed {
        if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.starts_with("rust-src")) {
            return Ok(());
        }
    }
    eprintln!("installing the rust-src component (needed to build for {TARGET})...");
    let ok = Command::new("rustup").args(["component", "add", "rust-src"]).status().map(|s| s.success()).unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(CliError::Build("can't install rust-src with rustup: run `rustup component add rust-src` yourself".into()))
    }
}

pub fn build(manifest: &Path) -> Result<Built, CliError> {
    let pkg = metadata(manifest)?;
    ensure_rust_src()?;
    let memory_ld = pkg.sdk_dir.join("memory.ld");
    // The contract's own target directory; the outer build's variables are scrubbed
    // and only this build may use unstable flags (see TOOLCHAIN.md).
    let mut cmd = rivet_nested_cargo::cargo_build(&pkg.dir, &pkg.target_dir);
    cmd.args(["--release", "--target", TARGET, "-Zbuild-std=core,alloc", "-Zbuild-std-features=compiler-builtins-mem", "--manifest-path"])
        .arg(manifest)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_ENCODED_RUSTFLAGS", format!("-Clink-arg=-T{}", memory_ld.display()));
    let status = cmd.status().map_err(|e| CliError::Build(format!("can't run cargo: {e}")))?;
    if !status.success() {
        return Err(CliError::Build("cargo build failed (its errors are above)".into()));
    }
    let elf_path = pkg.target_dir.join(TARGET).join("release").join(&pkg.name);
    let elf = std::fs::read(&elf_path).map_err(|e| {
        CliError::Build(format!("cargo built no executable at {} ({e}): a contract is a binary crate (src/main.rs)", elf_path.display()))
    })?;
    let opts = rivet_linker::LinkOptions { stack_size: pkg.stack_size, heap_max: pkg.heap_max, entries: Vec::new() };
    let blob = rivet_linker::link(&elf, &opts).map_err(|e| CliError::Build(format!("linking {}: {e}", elf_path.display())))?;
    let program = validate(&blob)?;
    let out_dir = pkg.target_dir.join("rivet");
    std::fs::create_dir_all(&out_dir).map_err(|e| CliError::Build(format!("can't create {}: {e}", out_dir.display())))?;
    let blob_path = out_dir.join(format!("{}.blob", pkg.name));
    std::fs::write(&blob_path, &blob).map_err(|e| CliError::Build(format!("can't write {}: {e}", blob_path.display())))?;
    Ok(Built { blob_path, blob, program })
}

/// Checks a blob exactly as the chain's upload does (the runtime this tool was built
/// with), so what passes here is what the chain accepts.
pub fn validate(blob: &[u8]) -> Result<Program, CliError> {
    pallet_rivet_contracts::Pallet::<rivet_runtime::Runtime>::validate_code(blob).map_err(|(e, message)| {
        let why = message.unwrap_or_else(|| crate::chain::explain(&polkadot_sdk::sp_runtime::DispatchError::from(e)));
        CliError::Build(format!("the chain would reject this blob: {why}"))
    })
}
