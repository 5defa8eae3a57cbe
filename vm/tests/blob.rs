//! Every malformed or unsupported blob is rejected with its precise reason.

mod common;
use common::*;
#[allow(unused_imports)]
use rivet_vm::GuestInstance;

use rivet_vm::blob::{section, BlobBuilder, BlobError, Limits};
use rivet_vm::isa::{DecodeError, Instruction as I};
use rivet_vm::memory_map::CODE_BASE;

fn good() -> BlobBuilder {
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.heap_max = 4096;
    b.code_words(&[rivet_vm::isa::encode::encode(addi(10, 0, 1)), rivet_vm::isa::encode::encode(ret())]);
    b.entry("call", 0);
    b
}

fn err(bytes: &[u8]) -> BlobError {
    rivet_vm::parse(bytes, &Limits::default()).expect_err("blob should be rejected")
}

fn err_b(b: &BlobBuilder) -> BlobError {
    err(&b.to_bytes())
}

#[test]
fn valid_blob_parses() {
    let p = rivet_vm::parse(&good().to_bytes(), &Limits::default()).unwrap();
    assert_eq!(p.entry_point("call"), Some(CODE_BASE));
    assert_eq!(p.entry_point("deploy"), None);
}

#[test]
fn header_errors() {
    let bytes = good().to_bytes();
    assert_eq!(err(&bytes[..5]), BlobError::TooShort { len: 5 });
    assert_eq!(err(&[]), BlobError::TooShort { len: 0 });
    let mut b = bytes.clone();
    b[0] = b'X';
    assert_eq!(err(&b), BlobError::BadMagic { found: *b"XIVT" });
    let mut b = bytes.clone();
    b[4] = 2;
    assert_eq!(err(&b), BlobError::UnsupportedVersion { found: 2, supported: 1 });
    let mut b = bytes.clone();
    b[6] = 1;
    assert_eq!(err(&b), BlobError::ReservedFlags { flags: 1 });
}

#[test]
fn section_structure_errors() {
    let bytes = good().to_bytes();
    // Cut inside a section header, then inside a payload.
    assert_eq!(err(&bytes[..10]), BlobError::TruncatedSectionHeader { offset: 8 });
    let cut = err(&bytes[..bytes.len() - 1]);
    assert!(matches!(cut, BlobError::TruncatedSection { id: section::ENTRIES, .. }), "{cut:?}");
    // Trailing garbage is a truncated section header.
    let mut b = bytes.clone();
    b.push(0x06);
    assert!(matches!(err(&b), BlobError::TruncatedSectionHeader { .. }));
    // Unknown (non-custom) section id.
    let mut b = bytes.clone();
    b.extend_from_slice(&[0x06, 0, 0, 0, 0]);
    assert!(matches!(err(&b), BlobError::UnknownSection { id: 6, .. }));
    // Custom sections are skipped.
    let mut g = good();
    g.custom.push((0x80, b"names".to_vec()));
    assert!(rivet_vm::parse(&g.to_bytes(), &Limits::default()).is_ok());
    // Duplicate / out of order.
    let mut b = bytes.clone();
    b.extend_from_slice(&[section::CODE, 0, 0, 0, 0]);
    assert!(matches!(err(&b), BlobError::SectionOutOfOrder { id: section::CODE, previous: section::ENTRIES, .. }));
    // Missing required sections: rebuild the blob without them.
    let strip = |id: u8| {
        let mut out = bytes[..8].to_vec();
        let mut pos = 8;
        while pos < bytes.len() {
            let len = u32::from_le_bytes(bytes[pos + 1..pos + 5].try_into().unwrap()) as usize;
            if bytes[pos] != id {
                out.extend_from_slice(&bytes[pos..pos + 5 + len]);
            }
            pos += 5 + len;
        }
        out
    };
    assert_eq!(err(&strip(section::MEMORY)), BlobError::MissingSection { name: "memory" });
    assert_eq!(err(&strip(section::CODE)), BlobError::MissingSection { name: "code" });
    assert_eq!(err(&strip(section::ENTRIES)), BlobError::MissingSection { name: "entries" });
    // A memory section of the wrong size.
    let mut b = bytes[..8].to_vec();
    b.extend_from_slice(&[section::MEMORY, 4, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&bytes[8 + 5 + 12..]);
    assert_eq!(err(&b), BlobError::BadMemorySection { len: 4 });
}

#[test]
fn memory_limits() {
    let mut b = good();
    b.stack_size = 100;
    assert_eq!(err_b(&b), BlobError::StackNotPageAligned { stack_size: 100 });
    let mut b = good();
    b.heap_max = 4097;
    assert_eq!(err_b(&b), BlobError::HeapNotPageAligned { heap_max: 4097 });
    let mut b = good();
    b.stack_size = 0x10_0000;
    assert_eq!(err_b(&b), BlobError::StackTooLarge { stack_size: 0x10_0000, max: 0xf_0000 });
    let mut b = good();
    b.heap_max = 0xffff_f000;
    assert!(matches!(err_b(&b), BlobError::MemoryTooLarge { .. }));
    let mut b = good();
    b.bss_size = u32::MAX;
    assert!(matches!(err_b(&b), BlobError::MemoryTooLarge { .. }), "sizes can't wrap");
    // A host's stricter limit applies.
    let mut b = good();
    b.heap_max = 1 << 20;
    let strict = Limits { max_memory: 512 * 1024, ..Limits::default() };
    assert!(matches!(rivet_vm::parse(&b.to_bytes(), &strict), Err(BlobError::MemoryTooLarge { .. })));
    let strict = Limits { max_code_size: 4, ..Limits::default() };
    assert_eq!(rivet_vm::parse(&good().to_bytes(), &strict).unwrap_err(), BlobError::CodeTooLarge { size: 8, max: 4 });
}

#[test]
fn code_errors() {
    let mut b = good();
    b.code.clear();
    assert_eq!(err_b(&b), BlobError::EmptyCode);
    let mut b = good();
    b.code.push(0);
    assert_eq!(err_b(&b), BlobError::CodeNotWordAligned { len: 9 });
    let cases: [(u32, DecodeError); 4] = [
        (0x0000_4501, DecodeError::Compressed),
        (0x0100_0813, DecodeError::RegisterOutOfRange(16)),
        (0x1005_22af, DecodeError::Unsupported),
        (0xc000_2573, DecodeError::Unsupported),
    ];
    for (word, reason) in cases {
        let mut b = good();
        b.code_words(&[rivet_vm::isa::encode::encode(ret()), word]);
        assert_eq!(err_b(&b), BlobError::InvalidInstruction { pc: CODE_BASE + 4, word, reason });
    }
}

#[test]
fn jump_target_errors() {
    let enc = rivet_vm::isa::encode::encode;
    let mut b = good();
    b.code_words(&[enc(I::Jal { rd: rivet_vm::Reg::ZERO, offset: 8 }), enc(ret())]);
    assert_eq!(err_b(&b), BlobError::JumpTargetOutsideCode { pc: CODE_BASE, target: CODE_BASE + 8 });
    let mut b = good();
    b.code_words(&[enc(ret()), enc(branch(rivet_vm::isa::BranchKind::Eq, 0, 0, -8))]);
    assert_eq!(err_b(&b), BlobError::JumpTargetOutsideCode { pc: CODE_BASE + 4, target: CODE_BASE - 4 });
    let mut b = good();
    b.code_words(&[enc(branch(rivet_vm::isa::BranchKind::Eq, 0, 0, 2)), enc(ret())]);
    assert_eq!(err_b(&b), BlobError::JumpTargetMisaligned { pc: CODE_BASE, target: CODE_BASE + 2 });
}

#[test]
fn entry_errors() {
    let mut b = good();
    b.entries.clear();
    assert_eq!(err_b(&b), BlobError::NoEntryPoints);
    let mut b = good();
    b.entry("call", 4);
    assert_eq!(err_b(&b), BlobError::DuplicateEntry { name: "call".into() });
    let mut b = good();
    b.entries = vec![("deploy".into(), 8)];
    assert_eq!(err_b(&b), BlobError::EntryOutsideCode { name: "deploy".into(), offset: 8 });
    let mut b = good();
    b.entries = vec![("deploy".into(), 2)];
    assert_eq!(err_b(&b), BlobError::EntryMisaligned { name: "deploy".into(), offset: 2 });
    for bad in ["", "has space", "dash-ed", &"x".repeat(65)] {
        let mut b = good();
        b.entries = vec![(bad.to_string(), 0)];
        assert_eq!(err_b(&b), BlobError::BadEntryName { name: bad.into() });
    }
    // Malformed table bytes.
    let bytes = good().to_bytes();
    let mut b = bytes.clone();
    let n = b.len();
    b[n - 9] = 200; // the name length runs past the section
    assert!(matches!(err(&b), BlobError::BadEntryTable { .. }));
}

#[test]
fn errors_read_well() {
    let e = BlobError::InvalidInstruction { pc: CODE_BASE + 4, word: 0x4501, reason: DecodeError::Compressed };
    assert_eq!(e.to_string(), "invalid instruction 0x00004501 at pc 0x10000004: compressed (RVC) instruction; RV32EM has no C extension");
}
