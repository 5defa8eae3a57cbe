//! ELF to program blob. Accepts statically linked RV32EM executables laid out by the
//! guest SDK's `memory.ld` (or an equivalent script): code at `CODE_BASE`, read-only
//! data at `RO_BASE`, writable data and bss from the next page after it.
//!
//! Entry points come from the `.rivet_exports` section the SDK's `entry_points!`
//! writes, from `--entry name=symbol` options, or, for programs with neither, the ELF
//! entry address under the name `main`.

use std::fmt;

use object::elf;
use object::read::elf::{ElfFile32, FileHeader, SectionHeader};
use object::{LittleEndian as LE, Object, ObjectSymbol};
use rivet_vm::blob::{BlobBuilder, BlobError, Limits};
use rivet_vm::memory_map::{self as map, page_align};

#[derive(Clone, Debug)]
pub struct LinkOptions {
    /// Stack size in bytes (a multiple of 4 KiB).
    pub stack_size: u32,
    /// Heap limit in bytes (a multiple of 4 KiB).
    pub heap_max: u32,
    /// Extra entry points: (entry name, ELF symbol name).
    pub entries: Vec<(String, String)>,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions { stack_size: 64 * 1024, heap_max: 1 << 20, entries: Vec::new() }
    }
}

#[derive(Debug)]
pub enum LinkError {
    NotElf(String),
    WrongClass,
    BigEndian,
    WrongMachine { machine: u16 },
    NotExecutable { kind: &'static str },
    Compressed,
    FloatAbi,
    DynamicRelocations { section: String },
    ThreadLocal { section: String },
    SectionOutsideMap { section: String, addr: u32, size: u32, region: &'static str, expected: String },
    BadExports(String),
    NoSuchSymbol(String),
    NoEntryPoints,
    Invalid(BlobError),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LinkError as E;
        match self {
            E::NotElf(e) => write!(f, "not an ELF file: {e}"),
            E::WrongClass => f.write_str("ELF is 64-bit; Rivet programs are 32-bit (target riscv32em-unknown-none-elf or -march=rv32em -mabi=ilp32e)"),
            E::BigEndian => f.write_str("ELF is big-endian; RISC-V guests are little-endian"),
            E::WrongMachine { machine } => write!(f, "ELF machine is {machine}, not RISC-V (243)"),
            E::NotExecutable { kind } => write!(f, "ELF is {kind}; link it into a static executable with the guest SDK's memory.ld first"),
            E::Compressed => f.write_str("ELF uses compressed (RVC) instructions; build for rv32em without the C extension"),
            E::FloatAbi => f.write_str("ELF uses a hardware floating-point ABI; Rivet guests are soft-float (ilp32e)"),
            E::DynamicRelocations { section } => write!(f, "section {section} holds dynamic relocations, which Rivet can't resolve; link statically (no PIE)"),
            E::ThreadLocal { section } => write!(f, "section {section} is thread-local storage, which Rivet guests don't have"),
            E::SectionOutsideMap { section, addr, size, region, expected } => write!(f, "section {section} ({size:#x} bytes at {addr:#010x}) is {region} data outside the memory map: expected {expected}; link with the guest SDK's memory.ld"),
            E::BadExports(e) => write!(f, "malformed .rivet_exports section: {e}"),
            E::NoSuchSymbol(s) => write!(f, "entry symbol {s:?} not found in the ELF symbol table"),
            E::NoEntryPoints => f.write_str("no entry points: declare them with rivet_guest::entry_points!, or pass --entry name=symbol"),
            E::Invalid(e) => write!(f, "the resulting program is invalid: {e}"),
        }
    }
}

impl std::error::Error for LinkError {}

enum Kind {
    Code,
    Ro,
    Rw,
    Bss,
}

struct Placed<'a> {
    name: String,
    addr: u32,
    size: u32,
    kind: Kind,
    data: &'a [u8],
}

/// Links an ELF executable into a blob (bytes), validated before it is returned.
pub fn link(data: &[u8], opts: &LinkOptions) -> Result<Vec<u8>, LinkError> {
    // The ELF reader maps headers in place and needs them aligned; any slice will do
    // for callers (include_bytes!, mmap, network), so copy when it isn't.
    if data.as_ptr() as usize % 8 != 0 {
        let mut words = vec![0u64; data.len().div_ceil(8)];
        let bytes = unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr() as *mut u8, data.len()) };
        bytes.copy_from_slice(data);
        return link_aligned(bytes, opts);
    }
    link_aligned(data, opts)
}

fn link_aligned(data: &[u8], opts: &LinkOptions) -> Result<Vec<u8>, LinkError> {
    if data.len() < 6 || &data[..4] != b"\x7fELF" {
        return Err(LinkError::NotElf("missing ELF magic".into()));
    }
    if data[4] != elf::ELFCLASS32 {
        return Err(LinkError::WrongClass);
    }
    if data[5] != elf::ELFDATA2LSB {
        return Err(LinkError::BigEndian);
    }
    let file = ElfFile32::<LE>::parse(data).map_err(|e| LinkError::NotElf(e.to_string()))?;
    let header = file.elf_header();
    let e = LE;
    let machine = header.e_machine(e);
    if machine != elf::EM_RISCV {
        return Err(LinkError::WrongMachine { machine });
    }
    match header.e_type(e) {
        elf::ET_EXEC => {}
        elf::ET_REL => return Err(LinkError::NotExecutable { kind: "a relocatable object (its relocations are unresolved)" }),
        elf::ET_DYN => return Err(LinkError::NotExecutable { kind: "a shared object or position-independent executable" }),
        _ => return Err(LinkError::NotExecutable { kind: "not an executable" }),
    }
    let flags = header.e_flags(e);
    if flags & elf::EF_RISCV_RVC != 0 {
        return Err(LinkError::Compressed);
    }
    if flags & elf::EF_RISCV_FLOAT_ABI != 0 {
        return Err(LinkError::FloatAbi);
    }

    let sections = header.sections(e, data).map_err(|e| LinkError::NotElf(e.to_string()))?;
    let mut placed = Vec::new();
    let mut exports: Option<&[u8]> = None;
    for section in sections.iter() {
        let name = String::from_utf8_lossy(sections.section_name(e, section).unwrap_or(b"?")).into_owned();
        let sh_type = section.sh_type(e);
        let sh_flags = section.sh_flags(e);
        if name == ".rivet_exports" {
            exports = Some(section.data(e, data).map_err(|_| LinkError::BadExports("unreadable".into()))?);
            continue;
        }
        if (sh_type == elf::SHT_RELA || sh_type == elf::SHT_REL) && sh_flags & elf::SHF_ALLOC != 0 {
            return Err(LinkError::DynamicRelocations { section: name });
        }
        if sh_flags & elf::SHF_ALLOC == 0 || section.sh_size(e) == 0 {
            continue;
        }
        if sh_flags & elf::SHF_TLS != 0 {
            return Err(LinkError::ThreadLocal { section: name });
        }
        let kind = if sh_flags & elf::SHF_EXECINSTR != 0 {
            Kind::Code
        } else if sh_flags & elf::SHF_WRITE != 0 {
            if sh_type == elf::SHT_NOBITS {
                Kind::Bss
            } else {
                Kind::Rw
            }
        } else {
            Kind::Ro
        };
        let bytes: &[u8] =
            if sh_type == elf::SHT_NOBITS { &[] } else { section.data(e, data).map_err(|e| LinkError::NotElf(e.to_string()))? };
        placed.push(Placed { name, addr: section.sh_addr(e), size: section.sh_size(e), kind, data: bytes });
    }

    let outside = |p: &Placed, region: &'static str, expected: String| LinkError::SectionOutsideMap {
        section: p.name.clone(),
        addr: p.addr,
        size: p.size,
        region,
        expected,
    };

    // Read-only data: inside [RO_BASE, DATA_END).
    let mut ro_end = map::RO_BASE;
    for p in placed.iter().filter(|p| matches!(p.kind, Kind::Ro)) {
        let end = p.addr as u64 + p.size as u64;
        if p.addr < map::RO_BASE || end > map::DATA_END as u64 {
            return Err(outside(p, "read-only", format!("within {:#010x}..{:#010x}", map::RO_BASE, map::DATA_END)));
        }
        ro_end = ro_end.max(end as u32);
    }
    let rw_base = page_align(ro_end).ok_or(LinkError::NoEntryPoints)?;
    let mut rw_end = rw_base;
    let mut rw_image_end = rw_base;
    for p in placed.iter().filter(|p| matches!(p.kind, Kind::Rw | Kind::Bss)) {
        let end = p.addr as u64 + p.size as u64;
        if p.addr < rw_base || end > map::DATA_END as u64 {
            return Err(outside(p, "writable", format!("within {rw_base:#010x}..{:#010x}, after read-only data", map::DATA_END)));
        }
        rw_end = rw_end.max(end as u32);
        if matches!(p.kind, Kind::Rw) {
            rw_image_end = rw_image_end.max(end as u32);
        }
    }
    let mut code_end = map::CODE_BASE;
    for p in placed.iter().filter(|p| matches!(p.kind, Kind::Code)) {
        let end = p.addr as u64 + p.size as u64;
        if p.addr < map::CODE_BASE || end > (map::CODE_BASE + map::MAX_CODE_SIZE) as u64 {
            return Err(outside(p, "code", format!("within {:#010x}..{:#010x}", map::CODE_BASE, map::CODE_BASE + map::MAX_CODE_SIZE)));
        }
        code_end = code_end.max(end as u32);
    }

    // Images: gaps between sections read as zeros (in code: `unimp`, which traps).
    let image = |base: u32, end: u32, kind: fn(&Kind) -> bool| {
        let mut out = vec![0u8; (end - base) as usize];
        for p in placed.iter().filter(|p| kind(&p.kind)) {
            let off = (p.addr - base) as usize;
            out[off..off + p.data.len()].copy_from_slice(p.data);
        }
        out
    };
    let mut b = BlobBuilder::new();
    b.stack_size = opts.stack_size;
    b.heap_max = opts.heap_max;
    b.ro_data = image(map::RO_BASE, ro_end, |k| matches!(k, Kind::Ro));
    b.rw_data = image(rw_base, rw_image_end, |k| matches!(k, Kind::Rw));
    b.bss_size = rw_end - rw_image_end;
    b.code = image(map::CODE_BASE, code_end, |k| matches!(k, Kind::Code));

    if let Some(records) = exports {
        b.entries = parse_exports(records)?;
    }
    for (entry, symbol) in &opts.entries {
        let sym = file.symbols().find(|s| s.name() == Ok(symbol.as_str())).ok_or_else(|| LinkError::NoSuchSymbol(symbol.clone()))?;
        b.entries.push((entry.clone(), (sym.address() as u32).wrapping_sub(map::CODE_BASE)));
    }
    if b.entries.is_empty() {
        let entry = header.e_entry(e);
        if entry < map::CODE_BASE || entry >= code_end {
            return Err(LinkError::NoEntryPoints);
        }
        b.entries.push(("main".into(), entry - map::CODE_BASE));
    }

    // Sorted by name: the blob doesn't depend on the order the ELF linker chose.
    b.entries.sort();
    let blob = b.to_bytes();
    rivet_vm::blob::parse(&blob, &Limits::default()).map_err(LinkError::Invalid)?;
    Ok(blob)
}

/// Records: address (u32), name length (u32), name, padding to 4 bytes.
fn parse_exports(mut bytes: &[u8]) -> Result<Vec<(String, u32)>, LinkError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 8 {
            return Err(LinkError::BadExports("truncated record".into()));
        }
        let addr = u32::from_le_bytes(bytes[0..4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        let padded = len.div_ceil(4) * 4;
        let name = bytes.get(8..8 + len).ok_or_else(|| LinkError::BadExports("name runs past the section".into()))?;
        let name = std::str::from_utf8(name).map_err(|_| LinkError::BadExports("name is not UTF-8".into()))?;
        out.push((name.to_string(), addr.wrapping_sub(map::CODE_BASE)));
        bytes = bytes.get(8 + padded..).unwrap_or(&[]);
    }
    Ok(out)
}
