//! The linker on real rustc output, and on ELFs broken in each way it must refuse.

use rivet_linker::{link, LinkError, LinkOptions};
use rivet_test_programs::{ALL, MINIMAL_ELF, SHA256_ELF};
use rivet_vm::blob::BlobError;
use rivet_vm::isa::DecodeError;
use rivet_vm::memory_map::{CODE_BASE, RO_BASE};
use rivet_vm::Limits;

fn opts() -> LinkOptions {
    LinkOptions::default()
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

/// File offset of the section header whose sh_addr is `addr`.
fn section_header_at(elf: &[u8], addr: u32) -> usize {
    let shoff = u32_at(elf, 32) as usize;
    let shentsize = u16_at(elf, 46) as usize;
    let shnum = u16_at(elf, 48) as usize;
    (0..shnum).map(|i| shoff + i * shentsize).find(|&h| u32_at(elf, h + 12) == addr && u32_at(elf, h + 20) > 0).expect("section")
}

#[test]
fn every_guest_links_and_validates() {
    for (name, blob) in ALL {
        let p = rivet_vm::parse(blob, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(p.entry_point("call").is_some(), "{name} has a call entry");
    }
    let p = rivet_vm::parse(&link(MINIMAL_ELF, &opts()).unwrap(), &Limits::default()).unwrap();
    let names: Vec<_> = p.entry_points().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["call", "counter", "deploy", "fail", "reset"]);
    assert_eq!(p.layout().stack_size, 64 * 1024);
    assert_eq!(p.layout().heap_max, 1 << 20);
}

#[test]
fn extra_entries_by_symbol() {
    let o = LinkOptions { entries: vec![("alias".into(), "call".into())], ..opts() };
    let p = rivet_vm::parse(&link(MINIMAL_ELF, &o).unwrap(), &Limits::default()).unwrap();
    assert_eq!(p.entry_point("alias"), p.entry_point("call"));
    let o = LinkOptions { entries: vec![("x".into(), "no_such_symbol".into())], ..opts() };
    assert!(matches!(link(MINIMAL_ELF, &o), Err(LinkError::NoSuchSymbol(s)) if s == "no_such_symbol"));
}

#[test]
fn rejects_non_elf_and_wrong_headers() {
    assert!(matches!(link(b"not an elf at all", &opts()), Err(LinkError::NotElf(_))));
    assert!(matches!(link(&SHA256_ELF[..40], &opts()), Err(LinkError::NotElf(_))));
    let patch = |off: usize, bytes: &[u8]| {
        let mut e = SHA256_ELF.to_vec();
        e[off..off + bytes.len()].copy_from_slice(bytes);
        e
    };
    assert!(matches!(link(&patch(4, &[2]), &opts()), Err(LinkError::WrongClass)));
    assert!(matches!(link(&patch(5, &[2]), &opts()), Err(LinkError::BigEndian)));
    assert!(matches!(link(&patch(18, &62u16.to_le_bytes()), &opts()), Err(LinkError::WrongMachine { machine: 62 })));
    assert!(matches!(link(&patch(16, &1u16.to_le_bytes()), &opts()), Err(LinkError::NotExecutable { .. })));
    assert!(matches!(link(&patch(16, &3u16.to_le_bytes()), &opts()), Err(LinkError::NotExecutable { .. })));
    let flags = u32_at(SHA256_ELF, 36);
    assert!(matches!(link(&patch(36, &(flags | 1).to_le_bytes()), &opts()), Err(LinkError::Compressed)));
    assert!(matches!(link(&patch(36, &(flags | 2).to_le_bytes()), &opts()), Err(LinkError::FloatAbi)));
}

#[test]
fn rejects_sections_outside_the_memory_map() {
    // Move .rodata below RO_BASE, then .text away from CODE_BASE.
    let mut e = SHA256_ELF.to_vec();
    let h = section_header_at(&e, RO_BASE);
    e[h + 12..h + 16].copy_from_slice(&0x2000u32.to_le_bytes());
    let err = link(&e, &opts()).unwrap_err();
    assert!(matches!(&err, LinkError::SectionOutsideMap { section, region: "read-only", .. } if section == ".rodata"), "{err}");
    assert!(err.to_string().contains("memory.ld"));
    let mut e = SHA256_ELF.to_vec();
    let h = section_header_at(&e, CODE_BASE);
    e[h + 12..h + 16].copy_from_slice(&0x2000_0000u32.to_le_bytes());
    assert!(matches!(link(&e, &opts()), Err(LinkError::SectionOutsideMap { region: "code", .. })));
}

#[test]
fn rejects_compressed_and_unsupported_instructions_in_code() {
    let mut e = SHA256_ELF.to_vec();
    let h = section_header_at(&e, CODE_BASE);
    let off = u32_at(&e, h + 16) as usize;
    e[off..off + 4].copy_from_slice(&0x0000_4501u32.to_le_bytes()); // c.li a0, 0
    match link(&e, &opts()) {
        Err(LinkError::Invalid(BlobError::InvalidInstruction { pc, reason: DecodeError::Compressed, .. })) => assert_eq!(pc, CODE_BASE),
        other => panic!("{other:?}"),
    }
    e[off..off + 4].copy_from_slice(&0x0010_0f93u32.to_le_bytes()); // addi x31, x0, 1
    assert!(matches!(
        link(&e, &opts()),
        Err(LinkError::Invalid(BlobError::InvalidInstruction { reason: DecodeError::RegisterOutOfRange(31), .. }))
    ));
}

#[test]
fn rejects_bad_memory_options() {
    let o = LinkOptions { stack_size: 1000, ..opts() };
    assert!(matches!(link(MINIMAL_ELF, &o), Err(LinkError::Invalid(BlobError::StackNotPageAligned { .. }))));
    let o = LinkOptions { heap_max: 1 << 30, ..opts() };
    assert!(matches!(link(MINIMAL_ELF, &o), Err(LinkError::Invalid(BlobError::MemoryTooLarge { .. }))));
}
