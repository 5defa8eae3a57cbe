//! The executable mapping a module's code lives in: written once, then read and
//! executed only (never writable and executable at once).

use dynasmrt::AssemblyOffset;
use memmap2::{Mmap, MmapOptions};

pub struct CodeBuffer {
    map: Mmap,
    len: usize,
}

impl CodeBuffer {
    /// Copies `code` into a fresh mapping and makes it executable. The mapping is
    /// populated up front: one call instead of a page fault per 4 KiB page, which
    /// was about a quarter of compiling a program.
    pub fn new(code: &[u8]) -> std::io::Result<CodeBuffer> {
        let mut map = MmapOptions::new()
            .len(code.len().max(1))
            .populate()
            .map_anon()?;
        map[..code.len()].copy_from_slice(code);
        Ok(CodeBuffer {
            map: map.make_exec()?,
            len: code.len(),
        })
    }

    pub fn ptr(&self, offset: AssemblyOffset) -> *const u8 {
        self.bytes()[offset.0..].as_ptr()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }
}
