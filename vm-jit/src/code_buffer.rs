//! The executable mappings modules' code lives in: written once, then read and
//! executed only (never writable and executable at once). A dropped module's mapping
//! is kept for the next compilation (a few, see `POOL_MAPPINGS`): a fresh one costs the
//! kernel zeroing and mapping every page, a quarter of compiling a program.

use std::sync::Mutex;

use dynasmrt::AssemblyOffset;
use memmap2::{Mmap, MmapMut, MmapOptions};

/// Mappings kept from dropped modules, and the largest kept.
const POOL_MAPPINGS: usize = 4;
const POOL_MAX_BYTES: usize = 8 << 20;

static POOL: Mutex<Vec<MmapMut>> = Mutex::new(Vec::new());

pub struct CodeBuffer {
    /// Always `Some` but while being dropped.
    map: Option<Mmap>,
    len: usize,
}

impl CodeBuffer {
    /// Copies `code` into a mapping (a kept one at least as large but not more than
    /// twice, else a fresh one, populated up front: one call instead of a page fault
    /// per page) and makes it executable. The rest of a kept mapping is filled with
    /// `int3`, so nothing of the code it held before stays reachable.
    pub fn new(code: &[u8]) -> std::io::Result<CodeBuffer> {
        let len = code.len().max(1);
        let kept = {
            let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
            let fits =
                pool.iter().enumerate().filter(|(_, m)| m.len() >= len && m.len() <= 2 * len).min_by_key(|(_, m)| m.len()).map(|(i, _)| i);
            fits.map(|i| pool.swap_remove(i))
        };
        let mut map = match kept {
            Some(m) => m,
            None => MmapOptions::new().len(len).populate().map_anon()?,
        };
        map[..code.len()].copy_from_slice(code);
        map[code.len()..].fill(0xcc);
        Ok(CodeBuffer { map: Some(map.make_exec()?), len: code.len() })
    }

    pub fn ptr(&self, offset: AssemblyOffset) -> *const u8 {
        self.bytes()[offset.0..].as_ptr()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map.as_ref().expect("mapped")[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

impl Drop for CodeBuffer {
    fn drop(&mut self) {
        let Some(map) = self.map.take() else { return };
        if map.len() > POOL_MAX_BYTES {
            return;
        }
        let mut pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < POOL_MAPPINGS {
            // Writable again (and no longer executable) while it waits.
            if let Ok(m) = map.make_mut() {
                pool.push(m);
            }
        }
    }
}
