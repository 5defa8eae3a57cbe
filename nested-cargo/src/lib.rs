//! Build scripts that compile other workspaces (the RISC-V guests, the benchmark's
//! wasm and PolkaVM baselines) spawn a nested `cargo build`. It must not inherit the
//! outer build's flags, target or profile, and must use a target directory of its
//! own. This is the one place that knows which variables to scrub.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo build` in `workspace`, building into `target_dir`, with the outer build's
/// settings removed. Callers add their own arguments and environment.
pub fn cargo_build(workspace: &Path, target_dir: &Path) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace).arg("build").env("CARGO_TARGET_DIR", target_dir);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("CARGO_PROFILE_") || k.starts_with("CARGO_CFG_") || k.starts_with("CARGO_FEATURE_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// `<target dir>/<name>`, derived from a build script's OUT_DIR
/// (`<target>/<profile>/build/<pkg>/out`): one nested build per target directory,
/// shared by every profile and package hash.
pub fn shared_target_dir(out_dir: &Path, name: &str) -> PathBuf {
    out_dir.ancestors().nth(4).map(|t| t.join(name)).unwrap_or_else(|| out_dir.join(name))
}
