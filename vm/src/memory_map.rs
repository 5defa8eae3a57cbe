//! The guest's address spaces: where code, stack, read-only data, read-write data and
//! the heap live. Fixed here once; the linker script in the guest SDK mirrors it.
//!
//! ```text
//! data addresses
//! 0x0000_0000 .. 0x0001_0000   never mapped (null guard)
//!             .. STACK_TOP     stack: [STACK_TOP - stack_size, STACK_TOP), grows down;
//!                              everything below it is unmapped (overflow guard)
//! RO_BASE = STACK_TOP          read-only data
//! rw_base                      read-write data then bss (page aligned start)
//! heap_base                    heap (page aligned start), grows up to heap_base + heap_max
//! .. DATA_END                  nothing is ever mapped at or above DATA_END
//!
//! code addresses (a separate space: never readable or writable as data)
//! CODE_BASE .. CODE_BASE + code_size
//! ```

/// Size of a page: the unit of every region's alignment and of heap growth.
pub const PAGE_SIZE: u32 = 0x1000;
/// Lowest address that can ever be mapped as data.
pub const DATA_MIN: u32 = 0x0001_0000;
/// Initial `sp`; the stack lies below it.
pub const STACK_TOP: u32 = 0x0010_0000;
/// Largest stack a program may declare.
pub const MAX_STACK_SIZE: u32 = STACK_TOP - DATA_MIN;
/// Start of read-only data.
pub const RO_BASE: u32 = STACK_TOP;
/// End (exclusive) of the data space: ro + rw + bss + heap must fit below it.
pub const DATA_END: u32 = 0x1000_0000;
/// Address of the first instruction.
pub const CODE_BASE: u32 = 0x1000_0000;
/// Largest code section, in bytes.
pub const MAX_CODE_SIZE: u32 = 16 << 20;
/// Initial `ra`: returning to it from an entry point finishes the execution.
pub const RETURN_ADDRESS: u32 = 0xffff_0000;

/// Rounds `n` up to a whole number of pages; `None` on overflow.
pub const fn page_align(n: u32) -> Option<u32> {
    match n.checked_add(PAGE_SIZE - 1) {
        Some(v) => Some(v & !(PAGE_SIZE - 1)),
        None => None,
    }
}

/// The data layout of one program, derived from its declared sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryLayout {
    pub stack_size: u32,
    pub ro_size: u32,
    pub rw_size: u32,
    pub bss_size: u32,
    pub heap_max: u32,
    pub code_size: u32,
}

impl MemoryLayout {
    /// Lowest mapped data address (bottom of the stack).
    pub const fn stack_bottom(&self) -> u32 {
        STACK_TOP - self.stack_size
    }
    pub const fn ro_base(&self) -> u32 {
        RO_BASE
    }
    /// End of read-only data, page aligned: the first writable address above the stack.
    pub const fn ro_end(&self) -> u32 {
        RO_BASE + round_page(self.ro_size)
    }
    pub const fn rw_base(&self) -> u32 {
        self.ro_end()
    }
    pub const fn heap_base(&self) -> u32 {
        self.rw_base() + round_page(self.rw_size + self.bss_size)
    }
    pub const fn heap_limit(&self) -> u32 {
        self.heap_base() + self.heap_max
    }
    pub const fn code_end(&self) -> u32 {
        CODE_BASE + self.code_size
    }
    /// Bytes of host memory an instance reserves for data (stack through heap limit).
    pub const fn data_span(&self) -> u32 {
        self.heap_limit() - self.stack_bottom()
    }

    /// Whether a host access of `len` bytes at `addr` lies in mapped data, given the
    /// current heap top. Mapped data is the one range [stack bottom, heap top); an
    /// empty range is valid anywhere (SPEC.md §4).
    /// `len` is a host length (usize): no caller has to narrow it first.
    pub const fn host_range_mapped(&self, addr: u32, len: usize, heap_top: u32) -> bool {
        len == 0 || (addr.wrapping_sub(self.stack_bottom()) as u64).saturating_add(len as u64) <= (heap_top - self.stack_bottom()) as u64
    }

    /// Whether `[addr, addr + len)` touches read-only data.
    pub const fn overlaps_read_only(&self, addr: u32, len: u32) -> bool {
        len != 0 && (addr as u64) < self.ro_end() as u64 && addr as u64 + len as u64 > self.ro_base() as u64
    }

    /// The heap top after growing `top` by `increment` (rounded up to pages), if that
    /// stays within the heap limit.
    pub const fn grown_heap_top(&self, top: u32, increment: u32) -> Option<u32> {
        let Some(inc) = page_align(increment) else { return None };
        match top.checked_add(inc) {
            Some(t) if t <= self.heap_limit() => Some(t),
            _ => None,
        }
    }
}

// Only called on sizes already validated not to overflow.
const fn round_page(n: u32) -> u32 {
    (n + PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}
