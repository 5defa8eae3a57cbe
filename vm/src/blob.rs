//! The program blob: a versioned container, its writer, and the parser/validator that
//! turns bytes into a [`Program`] or a precise [`BlobError`].
//!
//! ```text
//! magic "RIVT" | version: u16 | flags: u16 (0)
//! section*: id: u8 | len: u32 | payload[len]     (ids strictly increasing)
//!   0x01 MEMORY   stack_size: u32, bss_size: u32, heap_max: u32       required
//!   0x02 RO_DATA  bytes                                                optional
//!   0x03 RW_DATA  bytes                                                optional
//!   0x04 CODE     little-endian instruction words                      required
//!   0x05 ENTRIES  count: u16, { name_len: u8, name, code_offset: u32 }  required
//!   0x80..=0xff   custom (names, debug info): length-checked, otherwise ignored
//! ```
//! All integers are little-endian. Nothing may follow the last section.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::isa::{decode, DecodeError};
use crate::memory_map::{self as map, MemoryLayout};
use crate::program::Program;

pub const MAGIC: [u8; 4] = *b"RIVT";
pub const VERSION: u16 = 1;

pub mod section {
    pub const MEMORY: u8 = 0x01;
    pub const RO_DATA: u8 = 0x02;
    pub const RW_DATA: u8 = 0x03;
    pub const CODE: u8 = 0x04;
    pub const ENTRIES: u8 = 0x05;
    pub const FIRST_CUSTOM: u8 = 0x80;
}

pub const MAX_ENTRY_NAME: usize = 64;

/// Limits a host may set below the architectural ones (never above).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest code section in bytes.
    pub max_code_size: u32,
    /// Largest data span (stack + ro + rw + bss + heap limit, page rounded) in bytes.
    pub max_memory: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_code_size: map::MAX_CODE_SIZE, max_memory: 64 << 20 }
    }
}

/// Why a blob was rejected. Offsets are byte offsets into the blob; `pc` values are
/// code addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobError {
    TooShort { len: usize },
    BadMagic { found: [u8; 4] },
    UnsupportedVersion { found: u16, supported: u16 },
    ReservedFlags { flags: u16 },
    TruncatedSectionHeader { offset: usize },
    TruncatedSection { id: u8, offset: usize, len: u32, available: usize },
    UnknownSection { id: u8, offset: usize },
    SectionOutOfOrder { id: u8, previous: u8, offset: usize },
    MissingSection { name: &'static str },
    BadMemorySection { len: u32 },
    StackNotPageAligned { stack_size: u32 },
    HeapNotPageAligned { heap_max: u32 },
    StackTooLarge { stack_size: u32, max: u32 },
    MemoryTooLarge { required: u64, max: u32 },
    EmptyCode,
    CodeNotWordAligned { len: u32 },
    CodeTooLarge { size: u32, max: u32 },
    InvalidInstruction { pc: u32, word: u32, reason: DecodeError },
    JumpTargetOutsideCode { pc: u32, target: u32 },
    JumpTargetMisaligned { pc: u32, target: u32 },
    BadEntryTable { reason: &'static str },
    BadEntryName { name: String },
    DuplicateEntry { name: String },
    EntryOutsideCode { name: String, offset: u32 },
    EntryMisaligned { name: String, offset: u32 },
    NoEntryPoints,
}

impl fmt::Display for BlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use BlobError as E;
        match self {
            E::TooShort { len } => write!(f, "blob is {len} bytes, shorter than its 8-byte header"),
            E::BadMagic { found } => write!(f, "bad magic {found:02x?}: not a Rivet program blob (expected \"RIVT\")"),
            E::UnsupportedVersion { found, supported } => {
                write!(f, "blob version {found} is not supported (this VM reads version {supported})")
            }
            E::ReservedFlags { flags } => write!(f, "reserved header flags {flags:#06x} must be zero"),
            E::TruncatedSectionHeader { offset } => write!(f, "section header at offset {offset} is truncated"),
            E::TruncatedSection { id, offset, len, available } => {
                write!(f, "section {id:#04x} at offset {offset} declares {len} bytes but only {available} remain")
            }
            E::UnknownSection { id, offset } => write!(f, "unknown section id {id:#04x} at offset {offset}"),
            E::SectionOutOfOrder { id, previous, offset } => write!(
                f,
                "section {id:#04x} at offset {offset} follows section {previous:#04x}; sections must appear once, in increasing id order"
            ),
            E::MissingSection { name } => write!(f, "required {name} section is missing"),
            E::BadMemorySection { len } => write!(f, "memory section must be 12 bytes, found {len}"),
            E::StackNotPageAligned { stack_size } => write!(f, "stack size {stack_size:#x} is not a multiple of the 4 KiB page"),
            E::HeapNotPageAligned { heap_max } => write!(f, "heap limit {heap_max:#x} is not a multiple of the 4 KiB page"),
            E::StackTooLarge { stack_size, max } => write!(f, "stack size {stack_size:#x} exceeds the maximum {max:#x}"),
            E::MemoryTooLarge { required, max } => write!(f, "program needs {required} bytes of data memory, over the limit of {max}"),
            E::EmptyCode => f.write_str("code section is empty"),
            E::CodeNotWordAligned { len } => write!(f, "code section length {len} is not a multiple of 4"),
            E::CodeTooLarge { size, max } => write!(f, "code section of {size} bytes exceeds the limit of {max}"),
            E::InvalidInstruction { pc, word, reason } => write!(f, "invalid instruction {word:#010x} at pc {pc:#010x}: {reason}"),
            E::JumpTargetOutsideCode { pc, target } => {
                write!(f, "jump or branch at pc {pc:#010x} targets {target:#010x}, outside the code")
            }
            E::JumpTargetMisaligned { pc, target } => {
                write!(f, "jump or branch at pc {pc:#010x} targets {target:#010x}, which is not 4-byte aligned")
            }
            E::BadEntryTable { reason } => write!(f, "malformed entry table: {reason}"),
            E::BadEntryName { name } => write!(f, "entry point name {name:?} is invalid (1-{MAX_ENTRY_NAME} chars of [A-Za-z0-9_])"),
            E::DuplicateEntry { name } => write!(f, "entry point {name:?} is declared twice"),
            E::EntryOutsideCode { name, offset } => write!(f, "entry point {name:?} at code offset {offset:#x} is outside the code"),
            E::EntryMisaligned { name, offset } => write!(f, "entry point {name:?} at code offset {offset:#x} is not 4-byte aligned"),
            E::NoEntryPoints => f.write_str("program declares no entry points"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BlobError {}

/// A byte reader that reports truncation instead of panicking.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
}

fn valid_entry_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_ENTRY_NAME && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses and fully validates a blob.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Program, BlobError> {
    if bytes.len() < 8 {
        return Err(BlobError::TooShort { len: bytes.len() });
    }
    let mut r = Reader { bytes, pos: 0 };
    let magic: [u8; 4] = r.take(4).and_then(|m| m.try_into().ok()).ok_or(BlobError::TooShort { len: bytes.len() })?;
    if magic != MAGIC {
        return Err(BlobError::BadMagic { found: magic });
    }
    let version = r.u16().ok_or(BlobError::TooShort { len: bytes.len() })?;
    if version != VERSION {
        return Err(BlobError::UnsupportedVersion { found: version, supported: VERSION });
    }
    let flags = r.u16().ok_or(BlobError::TooShort { len: bytes.len() })?;
    if flags != 0 {
        return Err(BlobError::ReservedFlags { flags });
    }

    let mut memory: Option<&[u8]> = None;
    let mut ro: &[u8] = &[];
    let mut rw: &[u8] = &[];
    let mut code: Option<&[u8]> = None;
    let mut entries: Option<&[u8]> = None;
    let mut previous: Option<u8> = None;
    while r.remaining() > 0 {
        let offset = r.pos;
        let id = r.u8().ok_or(BlobError::TruncatedSectionHeader { offset })?;
        let len = r.u32().ok_or(BlobError::TruncatedSectionHeader { offset })?;
        if let Some(prev) = previous {
            if id <= prev {
                return Err(BlobError::SectionOutOfOrder { id, previous: prev, offset });
            }
        }
        previous = Some(id);
        let available = r.remaining();
        let payload = r.take(len as usize).ok_or(BlobError::TruncatedSection { id, offset, len, available })?;
        match id {
            section::MEMORY => memory = Some(payload),
            section::RO_DATA => ro = payload,
            section::RW_DATA => rw = payload,
            section::CODE => code = Some(payload),
            section::ENTRIES => entries = Some(payload),
            id if id >= section::FIRST_CUSTOM => {}
            id => return Err(BlobError::UnknownSection { id, offset }),
        }
    }

    let memory = memory.ok_or(BlobError::MissingSection { name: "memory" })?;
    let code = code.ok_or(BlobError::MissingSection { name: "code" })?;
    let entries = entries.ok_or(BlobError::MissingSection { name: "entries" })?;

    if memory.len() != 12 {
        return Err(BlobError::BadMemorySection { len: memory.len() as u32 });
    }
    let word = |i: usize| u32::from_le_bytes([memory[i], memory[i + 1], memory[i + 2], memory[i + 3]]);
    let (stack_size, bss_size, heap_max) = (word(0), word(4), word(8));
    if stack_size % map::PAGE_SIZE != 0 {
        return Err(BlobError::StackNotPageAligned { stack_size });
    }
    if heap_max % map::PAGE_SIZE != 0 {
        return Err(BlobError::HeapNotPageAligned { heap_max });
    }
    if stack_size > map::MAX_STACK_SIZE {
        return Err(BlobError::StackTooLarge { stack_size, max: map::MAX_STACK_SIZE });
    }

    if code.is_empty() {
        return Err(BlobError::EmptyCode);
    }
    let code_len = code.len() as u64;
    let max_code = limits.max_code_size.min(map::MAX_CODE_SIZE);
    if code_len > max_code as u64 {
        return Err(BlobError::CodeTooLarge { size: code_len.min(u32::MAX as u64) as u32, max: max_code });
    }
    if code_len % 4 != 0 {
        return Err(BlobError::CodeNotWordAligned { len: code_len as u32 });
    }

    // Data sizes in u64 so no sum of hostile u32 values can wrap.
    let page = |n: u64| n.div_ceil(map::PAGE_SIZE as u64) * map::PAGE_SIZE as u64;
    let above_stack = page(ro.len() as u64) + page(rw.len() as u64 + bss_size as u64) + heap_max as u64;
    let required = stack_size as u64 + above_stack;
    let max_memory = limits.max_memory as u64;
    if required > max_memory || map::RO_BASE as u64 + above_stack > map::DATA_END as u64 {
        return Err(BlobError::MemoryTooLarge { required, max: limits.max_memory.min(map::DATA_END - map::RO_BASE + stack_size) });
    }
    let layout =
        MemoryLayout { stack_size, ro_size: ro.len() as u32, rw_size: rw.len() as u32, bss_size, heap_max, code_size: code_len as u32 };

    let words: Vec<u32> = code.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    let mut instructions = Vec::with_capacity(words.len());
    for (i, &w) in words.iter().enumerate() {
        let pc = map::CODE_BASE + 4 * i as u32;
        let insn = decode(w).map_err(|reason| BlobError::InvalidInstruction { pc, word: w, reason })?;
        if let Some(off) = insn.static_target_offset() {
            let target = pc.wrapping_add(off as u32);
            if target % 4 != 0 {
                return Err(BlobError::JumpTargetMisaligned { pc, target });
            }
            if target.wrapping_sub(map::CODE_BASE) >= layout.code_size {
                return Err(BlobError::JumpTargetOutsideCode { pc, target });
            }
        }
        instructions.push(insn);
    }

    let entry_points = parse_entries(entries, layout.code_size)?;
    Ok(Program::new(layout, ro.to_vec(), rw.to_vec(), words, instructions, entry_points))
}

fn parse_entries(bytes: &[u8], code_size: u32) -> Result<Vec<(String, u32)>, BlobError> {
    let mut r = Reader { bytes, pos: 0 };
    let truncated = BlobError::BadEntryTable { reason: "truncated" };
    let count = r.u16().ok_or(truncated.clone())?;
    if count == 0 {
        return Err(BlobError::NoEntryPoints);
    }
    let mut out: Vec<(String, u32)> = Vec::with_capacity(count as usize);
    // Names seen so far: a set, so 65,535 entries can't make validation quadratic.
    let mut seen = alloc::collections::BTreeSet::new();
    for _ in 0..count {
        let len = r.u8().ok_or(truncated.clone())? as usize;
        let raw = r.take(len).ok_or(truncated.clone())?;
        let name = core::str::from_utf8(raw).map_err(|_| BlobError::BadEntryTable { reason: "name is not UTF-8" })?;
        if !valid_entry_name(name) {
            return Err(BlobError::BadEntryName { name: name.to_string() });
        }
        let offset = r.u32().ok_or(truncated.clone())?;
        if !seen.insert(name) {
            return Err(BlobError::DuplicateEntry { name: name.to_string() });
        }
        if offset % 4 != 0 {
            return Err(BlobError::EntryMisaligned { name: name.to_string(), offset });
        }
        if offset >= code_size {
            return Err(BlobError::EntryOutsideCode { name: name.to_string(), offset });
        }
        out.push((name.to_string(), map::CODE_BASE + offset));
    }
    if r.remaining() != 0 {
        return Err(BlobError::BadEntryTable { reason: "trailing bytes after the last entry" });
    }
    Ok(out)
}

/// Writes blobs. The linker and hand-written test programs use it.
#[derive(Clone, Debug, Default)]
pub struct BlobBuilder {
    pub stack_size: u32,
    pub bss_size: u32,
    pub heap_max: u32,
    pub ro_data: Vec<u8>,
    pub rw_data: Vec<u8>,
    pub code: Vec<u8>,
    /// (name, byte offset into code)
    pub entries: Vec<(String, u32)>,
    /// Custom sections (id >= 0x80), written in id order.
    pub custom: Vec<(u8, Vec<u8>)>,
}

impl BlobBuilder {
    pub fn new() -> Self {
        BlobBuilder { stack_size: 64 * 1024, ..Default::default() }
    }

    pub fn code_words(&mut self, words: &[u32]) -> &mut Self {
        self.code = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self
    }

    pub fn entry(&mut self, name: &str, offset: u32) -> &mut Self {
        self.entries.push((name.to_string(), offset));
        self
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        let mut put = |id: u8, payload: &[u8]| {
            out.push(id);
            out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            out.extend_from_slice(payload);
        };
        let mut mem = Vec::with_capacity(12);
        for v in [self.stack_size, self.bss_size, self.heap_max] {
            mem.extend_from_slice(&v.to_le_bytes());
        }
        put(section::MEMORY, &mem);
        if !self.ro_data.is_empty() {
            put(section::RO_DATA, &self.ro_data);
        }
        if !self.rw_data.is_empty() {
            put(section::RW_DATA, &self.rw_data);
        }
        put(section::CODE, &self.code);
        let mut e = Vec::new();
        e.extend_from_slice(&(self.entries.len() as u16).to_le_bytes());
        for (name, off) in &self.entries {
            e.push(name.len() as u8);
            e.extend_from_slice(name.as_bytes());
            e.extend_from_slice(&off.to_le_bytes());
        }
        put(section::ENTRIES, &e);
        let mut custom = self.custom.clone();
        custom.sort_by_key(|(id, _)| *id);
        for (id, payload) in &custom {
            put(*id, payload);
        }
        out
    }
}
