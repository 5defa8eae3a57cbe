//! A guest written in C (`guests/c/checksum.c`), compiled by gcc or clang for rv32em,
//! linked by rivet-link and run on the VM; and the same source built with the C
//! extension, which the linker must refuse.
//!
//! Needs `riscv64-unknown-elf-gcc` or `clang` with the RISC-V target (scripts/setup.sh
//! --test installs gcc). Without one the test says so and passes, unless
//! RIVET_REQUIRE_C_TOOLCHAIN is set (scripts/test.sh sets it), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use rivet_linker::{link, LinkError, LinkOptions};
use rivet_vm::Limits;
use rivet_vm_cli::{DevHost, ExitStatus};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Compiles checksum.c for `march` with the first compiler found.
fn compile(march: &str) -> Option<Vec<u8>> {
    let src = root().join("guests/c/checksum.c");
    let script = root().join("guest-sdk/memory.ld");
    let out = std::env::temp_dir().join(format!("rivet-checksum-{march}-{}.elf", std::process::id()));
    let common = ["-mabi=ilp32e", "-O2", "-nostdlib", "-ffreestanding", "-fno-pic", "-mno-relax"];
    let candidates: [(&str, Vec<String>); 2] =
        [("riscv64-unknown-elf-gcc", vec![]), ("clang", vec!["--target=riscv32-unknown-elf".into(), "-fuse-ld=lld".into()])];
    for (cc, extra) in candidates {
        let status = Command::new(cc)
            .args(extra)
            .arg(format!("-march={march}"))
            .args(common)
            .arg(format!("-Wl,-T,{}", script.display()))
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .status();
        match status {
            Ok(s) if s.success() => return Some(std::fs::read(&out).unwrap()),
            Ok(s) => panic!("{cc} failed to compile {}: {s}", src.display()),
            Err(_) => continue, // not installed
        }
    }
    if std::env::var_os("RIVET_REQUIRE_C_TOOLCHAIN").is_some() {
        panic!("no RISC-V C compiler found (install gcc-riscv64-unknown-elf: scripts/setup.sh --test)");
    }
    eprintln!("skipped: no RISC-V C compiler (riscv64-unknown-elf-gcc or clang) installed");
    None
}

fn checksum(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |s, &b| s.wrapping_mul(31).wrapping_add(b as u32))
}

#[test]
fn c_guest_links_and_runs() {
    let Some(elf) = compile("rv32em") else { return };
    let blob = link(&elf, &LinkOptions::default()).expect("gcc/clang output links");
    let program = rivet_vm::parse(&blob, &Limits::default()).unwrap();
    let module = std::sync::Arc::new(rivet_vm::Module::new(std::sync::Arc::new(program)));
    for input in [&b""[..], b"abc", &[0xffu8; 3000][..]] {
        let o = DevHost::default().run(&module, "call", input, 1_000_000, false).unwrap();
        assert_eq!(o.status, ExitStatus::Returned);
        assert_eq!(o.output, checksum(input).to_le_bytes());
    }
}

#[test]
fn c_guest_with_compressed_instructions_is_refused() {
    let Some(elf) = compile("rv32emc") else { return };
    assert!(matches!(link(&elf, &LinkOptions::default()), Err(LinkError::Compressed)));
}
