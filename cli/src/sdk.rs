//! The guest SDK (`rivet-guest` and the `rivet-abi` it uses) carried inside the
//! tool, so `rivet new` works wherever `rivet` is installed: the sources are
//! written once to `~/.cache/rivet/guest-sdk/<hash>/` (a directory per SDK
//! version, never changed after it is complete) and new projects point there.

use std::path::{Path, PathBuf};

use polkadot_sdk::sp_crypto_hashing::blake2_256;

use crate::CliError;

/// (path under the SDK directory, contents). `rivet-abi` inherits its package
/// fields from the Rivet workspace, which a project outside it doesn't have, so it
/// gets a manifest of its own here.
const FILES: &[(&str, &str)] = &[
    ("guest-sdk/Cargo.toml", include_str!("../../guest-sdk/Cargo.toml")),
    ("guest-sdk/README.md", include_str!("../../guest-sdk/README.md")),
    ("guest-sdk/memory.ld", include_str!("../../guest-sdk/memory.ld")),
    ("guest-sdk/src/lib.rs", include_str!("../../guest-sdk/src/lib.rs")),
    ("guest-sdk/src/allocator.rs", include_str!("../../guest-sdk/src/allocator.rs")),
    ("guest-sdk/src/api.rs", include_str!("../../guest-sdk/src/api.rs")),
    ("guest-sdk/src/host.rs", include_str!("../../guest-sdk/src/host.rs")),
    ("abi/Cargo.toml", ABI_MANIFEST),
    ("abi/README.md", include_str!("../../abi/README.md")),
    ("abi/src/lib.rs", include_str!("../../abi/src/lib.rs")),
];

const ABI_MANIFEST: &str = concat!(
    "[package]\nname = \"rivet-abi\"\nversion = \"",
    env!("CARGO_PKG_VERSION"),
    "\"\nedition = \"2021\"\nlicense = \"Apache-2.0\"\n\n[dependencies]\n"
);

/// The directory the SDK is unpacked under: `$RIVET_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/rivet`, else `~/.cache/rivet`.
fn cache_root() -> Result<PathBuf, CliError> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("RIVET_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|p| p.join("rivet")))
        .or_else(|| var("HOME").map(|p| p.join(".cache/rivet")))
        .ok_or_else(|| CliError::Usage("no cache directory for the guest SDK: set HOME or RIVET_CACHE_DIR, or pass --sdk".into()))
}

/// The unpacked SDK's `guest-sdk/` directory, written first if it isn't there.
pub fn unpacked() -> Result<PathBuf, CliError> {
    unpack_into(&cache_root()?.join("guest-sdk"))
}

fn unpack_into(root: &Path) -> Result<PathBuf, CliError> {
    let mut all = Vec::new();
    for (path, text) in FILES {
        all.extend_from_slice(path.as_bytes());
        all.push(0);
        all.extend_from_slice(text.as_bytes());
        all.push(0);
    }
    let id: String = blake2_256(&all)[..8].iter().map(|b| format!("{b:02x}")).collect();
    let dir = root.join(&id);
    let io = |what: &str, p: &Path, e: std::io::Error| CliError::Usage(format!("can't {what} {}: {e}", p.display()));
    if !dir.join("guest-sdk/Cargo.toml").exists() {
        // Written beside and renamed into place, so a project never sees half an SDK
        // (two tools unpacking at once: the first rename wins, both copies are equal).
        let tmp = root.join(format!(".{id}.{}", std::process::id()));
        for (path, text) in FILES {
            let p = tmp.join(path);
            std::fs::create_dir_all(p.parent().expect("FILES entries have a parent")).map_err(|e| io("create", &p, e))?;
            std::fs::write(&p, text).map_err(|e| io("write", &p, e))?;
        }
        if std::fs::rename(&tmp, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
            if !dir.join("guest-sdk/Cargo.toml").exists() {
                return Err(CliError::Usage(format!("can't unpack the guest SDK into {}", dir.display())));
            }
        }
    }
    Ok(dir.join("guest-sdk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpacks_once_into_a_directory_named_by_contents() {
        let root = std::env::temp_dir().join(format!("rivet-sdk-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let sdk = unpack_into(&root).unwrap();
        assert_eq!(std::fs::read_to_string(sdk.join("src/api.rs")).unwrap(), include_str!("../../guest-sdk/src/api.rs"));
        let abi = std::fs::read_to_string(sdk.join("../abi/Cargo.toml")).unwrap();
        assert!(abi.contains("name = \"rivet-abi\"") && !abi.contains("workspace"), "{abi}");
        // A second call finds it; a damaged file is not rewritten (the directory is complete).
        std::fs::write(sdk.join("README.md"), "changed").unwrap();
        assert_eq!(unpack_into(&root).unwrap(), sdk);
        assert_eq!(std::fs::read_to_string(sdk.join("README.md")).unwrap(), "changed");
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1, "no temporary directory left behind");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn every_sdk_source_file_is_carried() {
        // A file added to guest-sdk/src or abi/src must be added to FILES too.
        for dir in ["guest-sdk/src", "abi/src"] {
            let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
            for entry in std::fs::read_dir(full).unwrap() {
                let name = format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy());
                assert!(FILES.iter().any(|(p, _)| *p == name), "{name} is not in sdk::FILES");
            }
        }
    }
}
