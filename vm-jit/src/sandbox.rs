//! Guest memory for compiled code: a 4 GiB reservation (every 32-bit guest address
//! lands inside it, so none can reach host memory) with only the program's mapped
//! regions accessible, and the context page below it (out of any guest address's
//! reach, at a fixed offset from the base register) behind a guard page.
//!
//! A finished instance's sandbox is reset (`reset`) and kept by its module
//! (`SandboxPool`), so the next instance of the same program skips reserving,
//! protecting and unmapping 4 GiB of address space (most of creating an instance).
//! A reset sandbox is the fresh one's equal: every writable page is discarded (zero
//! on next touch), the heap is unmapped again and the read-write data copied anew;
//! the read-only data, never writable, is as it was.
//!
//! A sandbox no module keeps (its module dropped, or its pool full) is blanked
//! instead (`blank`: every page it ever made accessible discarded and inaccessible
//! again, as just reserved) and kept for any program's next fresh instance (`BLANK`):
//! reserving and unmapping the space cost ~35 µs, a tenth of a small contract's
//! first call.
//!
//! The guard page and the tail guard let compiled code address `[base + reg + offset]`
//! without wrapping the sum to 32 bits first: a sum that leaves 0..2^32 (offsets are
//! within ±2 KiB) lands in one of them and faults, as the wrapped address (at the
//! very top or bottom of the guest space, never mapped) does on the interpreter.

use std::io;
use std::ptr;
use std::sync::Mutex;

use rivet_vm::memory_map::{MemoryLayout, DATA_END, DATA_MIN, PAGE_SIZE, STACK_TOP};

/// Bytes below the base: the page holding the `Ctx`, then a guard page.
pub const CTX_SIZE: usize = 2 * CTX_PAGE;
const CTX_PAGE: usize = 4096;
const GUEST_SPACE: usize = 1 << 32;
/// Unmapped slack after the 4 GiB so no access near the top can leave the reservation.
const TAIL_GUARD: usize = 1 << 16;
// What compiled code's unwrapped addressing relies on: offsets reach 2 KiB either way,
// past both guards, and the wrapped addresses there are never mapped.
const _: () = assert!(CTX_SIZE - CTX_PAGE >= 2048 && TAIL_GUARD >= 2048 + 4);
const _: () = assert!(DATA_MIN >= 2048 && DATA_END as u64 <= (1 << 32) - 2048);

pub struct Sandbox {
    reservation: *mut u8,
    len: usize,
    /// Guest pages ever made accessible lie in `[touched_lo, touched_hi)` (empty when
    /// `lo >= hi`): what `blank` has to undo.
    touched_lo: u32,
    touched_hi: u32,
}

/// Blank sandboxes, kept for fresh instances of any program; at most `KEPT_BLANK`.
static BLANK: Mutex<Vec<Sandbox>> = Mutex::new(Vec::new());
const KEPT_BLANK: usize = 8;

// The reservation is owned memory; instances move between threads but are not shared.
unsafe impl Send for Sandbox {}

fn check(r: libc::c_int, what: &str) -> io::Result<()> {
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::new(io::Error::last_os_error().kind(), format!("{what}: {}", io::Error::last_os_error())))
    }
}

impl Sandbox {
    /// A sandbox with no memory, standing in for one that has been handed on.
    pub fn empty() -> Sandbox {
        Sandbox { reservation: ptr::null_mut(), len: 0, touched_lo: u32::MAX, touched_hi: 0 }
    }

    /// A blank sandbox: a kept one, else a fresh reservation with only the context
    /// page accessible.
    fn blank_or_reserve() -> io::Result<Sandbox> {
        let kept = BLANK.lock().ok().and_then(|mut kept| kept.pop());
        match kept {
            Some(sb) => Ok(sb),
            None => Sandbox::reserve(),
        }
    }

    /// A blank sandbox (kept, or the space reserved now) with `layout`'s data laid
    /// out: stack, read-only data (made read-only after copying `ro`), read-write data
    /// and bss; the heap starts empty.
    pub fn new(layout: &MemoryLayout, ro: &[u8], rw: &[u8]) -> io::Result<Sandbox> {
        let mut sb = Sandbox::blank_or_reserve()?;
        sb.lay_out(layout, ro, rw)?;
        Ok(sb)
    }

    /// Lays `layout`'s data out on a blank sandbox.
    fn lay_out(&mut self, layout: &MemoryLayout, ro: &[u8], rw: &[u8]) -> io::Result<()> {
        self.map_rw(layout.stack_bottom(), STACK_TOP - layout.stack_bottom())?;
        self.map_rw(layout.ro_base(), layout.ro_end() - layout.ro_base())?;
        self.map_rw(layout.rw_base(), layout.heap_base() - layout.rw_base())?;
        // SAFETY: both ranges were just made writable and lie inside the reservation.
        unsafe {
            ptr::copy_nonoverlapping(ro.as_ptr(), self.base().add(layout.ro_base() as usize), ro.len());
            ptr::copy_nonoverlapping(rw.as_ptr(), self.base().add(layout.rw_base() as usize), rw.len());
        }
        self.map_ro(layout.ro_base(), layout.ro_end() - layout.ro_base())
    }

    /// Reserves the space, with only the context page accessible.
    fn reserve() -> io::Result<Sandbox> {
        let len = CTX_SIZE + GUEST_SPACE + TAIL_GUARD;
        // SAFETY: a fresh anonymous mapping; nothing else refers to it.
        let reservation = unsafe {
            libc::mmap(ptr::null_mut(), len, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE, -1, 0)
        };
        if reservation == libc::MAP_FAILED {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("reserving guest address space: {}", io::Error::last_os_error()),
            ));
        }
        let sb = Sandbox { reservation: reservation as *mut u8, len, touched_lo: u32::MAX, touched_hi: 0 };
        // SAFETY: the context page lies inside the reservation.
        check(
            unsafe { libc::mprotect(sb.reservation as *mut _, CTX_PAGE, libc::PROT_READ | libc::PROT_WRITE) },
            "mapping the context page",
        )?;
        Ok(sb)
    }

    /// Makes this sandbox as `reserve` left it: every guest page it made accessible
    /// discarded (zero when next mapped) and inaccessible. On an error it must not be
    /// used again.
    fn blank(&mut self) -> io::Result<()> {
        if self.touched_lo < self.touched_hi {
            let (lo, len) = (self.touched_lo, self.touched_hi - self.touched_lo);
            self.mprotect(lo, len, libc::PROT_NONE)?;
            self.discard(lo, len)?;
        }
        self.touched_lo = u32::MAX;
        self.touched_hi = 0;
        Ok(())
    }

    /// Makes this sandbox, last used with heap top `heap_top`, what `new(layout, ro,
    /// rw)` would give for the same program (whose read-only data it already holds).
    /// On an error it must not be used again.
    pub fn reset(&self, layout: &MemoryLayout, rw: &[u8], heap_top: u32) -> io::Result<()> {
        // Discarded private anonymous pages read as zero when next touched.
        self.discard(layout.stack_bottom(), STACK_TOP - layout.stack_bottom())?;
        self.discard(layout.rw_base(), heap_top - layout.rw_base())?;
        self.mprotect(layout.heap_base(), heap_top - layout.heap_base(), libc::PROT_NONE)?;
        // SAFETY: the read-write data is mapped writable and lies inside the reservation.
        unsafe { ptr::copy_nonoverlapping(rw.as_ptr(), self.base().add(layout.rw_base() as usize), rw.len()) };
        Ok(())
    }

    fn discard(&self, addr: u32, len: u32) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        debug_assert!(addr.is_multiple_of(PAGE_SIZE) && len.is_multiple_of(PAGE_SIZE));
        // SAFETY: guest addresses plus page-aligned lengths stay inside the reservation.
        check(
            unsafe { libc::madvise(self.base().add(addr as usize) as *mut _, len as usize, libc::MADV_DONTNEED) },
            "discarding guest memory",
        )
    }

    /// Address of guest address 0.
    pub fn base(&self) -> *mut u8 {
        // SAFETY: inside the reservation.
        unsafe { self.reservation.add(CTX_SIZE) }
    }

    /// The context page.
    pub fn ctx(&self) -> *mut u8 {
        self.reservation
    }

    /// Makes `[addr, addr + len)` (page aligned) readable and writable.
    pub fn map_rw(&mut self, addr: u32, len: u32) -> io::Result<()> {
        self.touch(addr, len);
        self.mprotect(addr, len, libc::PROT_READ | libc::PROT_WRITE)
    }

    /// Makes `[addr, addr + len)` (page aligned) read-only.
    pub fn map_ro(&mut self, addr: u32, len: u32) -> io::Result<()> {
        self.touch(addr, len);
        self.mprotect(addr, len, libc::PROT_READ)
    }

    /// Notes (before trying) that `[addr, addr + len)` becomes accessible.
    fn touch(&mut self, addr: u32, len: u32) {
        if len != 0 {
            self.touched_lo = self.touched_lo.min(addr);
            self.touched_hi = self.touched_hi.max(addr + len);
        }
    }

    fn mprotect(&self, addr: u32, len: u32, prot: libc::c_int) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        #[cfg(test)]
        if tests::FAIL_NEXT_MPROTECT.with(|f| f.replace(false)) {
            return Err(io::Error::new(io::ErrorKind::OutOfMemory, "protecting guest memory: injected failure"));
        }
        debug_assert!(addr.is_multiple_of(PAGE_SIZE) && len.is_multiple_of(PAGE_SIZE));
        // SAFETY: guest addresses plus page-aligned lengths stay inside the reservation.
        check(unsafe { libc::mprotect(self.base().add(addr as usize) as *mut _, len as usize, prot) }, "protecting guest memory")
    }
}

impl Drop for Sandbox {
    /// Keeps the sandbox blank for another instance if it can be blanked and fewer
    /// than `KEPT_BLANK` are kept; else unmaps it.
    fn drop(&mut self) {
        if self.len == 0 {
            return;
        }
        // Blanking one that won't be kept would cost as much as unmapping it again.
        let room = || BLANK.lock().is_ok_and(|kept| kept.len() < KEPT_BLANK);
        if room() && self.blank().is_ok() {
            if let Ok(mut kept) = BLANK.lock() {
                if kept.len() < KEPT_BLANK {
                    kept.push(std::mem::replace(self, Sandbox::empty()));
                    return;
                }
            }
        }
        // SAFETY: the reservation is ours and nothing refers into it any more.
        unsafe { libc::munmap(self.reservation as *mut _, self.len) };
    }
}

/// Reset sandboxes a module keeps for its next instances (a few: nested calls into
/// the same program are the only reason to want more than one at a time).
#[derive(Default)]
pub struct SandboxPool(Mutex<Vec<Sandbox>>);

const KEPT_SANDBOXES: usize = 4;

impl SandboxPool {
    pub fn take(&self) -> Option<Sandbox> {
        self.0.lock().ok()?.pop()
    }

    /// Keeps `sandbox` (reset) for a later instance, or unmaps it if enough are kept.
    pub fn keep(&self, sandbox: Sandbox) {
        if let Ok(mut kept) = self.0.lock() {
            if kept.len() < KEPT_SANDBOXES {
                kept.push(sandbox);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    use super::*;

    fn layout(stack_size: u32, rw_size: u32) -> MemoryLayout {
        MemoryLayout { stack_size, ro_size: 2 * PAGE_SIZE, rw_size, bss_size: 0, heap_max: 16 * PAGE_SIZE, code_size: 4 }
    }

    /// The protection `/proc/self/maps` gives every mapping overlapping `[lo, hi)`.
    fn protections(lo: usize, hi: usize) -> Vec<String> {
        std::fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .filter_map(|line| {
                let (range, rest) = line.split_once(' ')?;
                let (a, b) = range.split_once('-')?;
                let (a, b) = (usize::from_str_radix(a, 16).ok()?, usize::from_str_radix(b, 16).ok()?);
                (a < hi && b > lo).then(|| rest[..4].to_string())
            })
            .collect()
    }

    #[test]
    fn a_blanked_sandbox_is_as_reserved_and_lays_out_another_program() {
        let big = layout(64 * PAGE_SIZE, 8 * PAGE_SIZE);
        let mut sb = Sandbox::new(&big, &[7; 100], &[9; 5000]).unwrap();
        let heap = big.heap_base();
        sb.map_rw(heap, 4 * PAGE_SIZE).unwrap();
        // Dirty a byte of every page the program could reach.
        for addr in (big.stack_bottom()..heap + 4 * PAGE_SIZE).step_by(PAGE_SIZE as usize) {
            if !big.overlaps_read_only(addr, 1) {
                // SAFETY: mapped writable above.
                unsafe { *sb.base().add(addr as usize) = 0xab };
            }
        }
        sb.blank().unwrap();
        let base = sb.base() as usize;
        let prots = protections(base, base + GUEST_SPACE);
        assert!(!prots.is_empty() && prots.iter().all(|p| p == "---p"), "{prots:?}");

        // Another program's layout on it: its data as given, everything else zero.
        let small = layout(4 * PAGE_SIZE, PAGE_SIZE);
        let (ro, rw) = ([3u8; 10], [4u8; 20]);
        sb.lay_out(&small, &ro, &rw).unwrap();
        let mut fresh = Sandbox::reserve().unwrap();
        fresh.lay_out(&small, &ro, &rw).unwrap();
        let (lo, hi) = (small.stack_bottom(), small.heap_base());
        // SAFETY: [stack bottom, heap base) is mapped readable in both.
        let (a, b) = unsafe {
            (
                std::slice::from_raw_parts(sb.base().add(lo as usize), (hi - lo) as usize),
                std::slice::from_raw_parts(fresh.base().add(lo as usize), (hi - lo) as usize),
            )
        };
        assert!(a == b, "the blanked sandbox's memory differs from a fresh one's");
        // Nothing past the small program's data is accessible any more.
        let above = protections(sb.base() as usize + hi as usize, sb.base() as usize + GUEST_SPACE);
        assert!(above.iter().all(|p| p == "---p"), "{above:?}");
        let below = protections(sb.base() as usize, sb.base() as usize + lo as usize);
        assert!(below.iter().all(|p| p == "---p"), "{below:?}");
    }

    thread_local! {
        /// Makes this thread's next `mprotect` fail, as the kernel's would when it is
        /// out of memory or of mappings.
        pub(crate) static FAIL_NEXT_MPROTECT: Cell<bool> = const { Cell::new(false) };
    }
}
