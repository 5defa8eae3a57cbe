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
}

// The reservation is owned memory; instances move between threads but are not shared.
unsafe impl Send for Sandbox {}

fn check(r: libc::c_int, what: &str) -> io::Result<()> {
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::new(
            io::Error::last_os_error().kind(),
            format!("{what}: {}", io::Error::last_os_error()),
        ))
    }
}

impl Sandbox {
    /// A sandbox with no memory, standing in for one that has been handed on.
    pub fn empty() -> Sandbox {
        Sandbox {
            reservation: ptr::null_mut(),
            len: 0,
        }
    }

    /// Reserves the space and lays out `layout`'s data: stack, read-only data (made
    /// read-only after copying `ro`), read-write data and bss; the heap starts empty.
    pub fn new(layout: &MemoryLayout, ro: &[u8], rw: &[u8]) -> io::Result<Sandbox> {
        let len = CTX_SIZE + GUEST_SPACE + TAIL_GUARD;
        // SAFETY: a fresh anonymous mapping; nothing else refers to it.
        let reservation = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if reservation == libc::MAP_FAILED {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!(
                    "reserving guest address space: {}",
                    io::Error::last_os_error()
                ),
            ));
        }
        let sb = Sandbox {
            reservation: reservation as *mut u8,
            len,
        };
        // SAFETY: the context page lies inside the reservation.
        check(
            unsafe {
                libc::mprotect(
                    sb.reservation as *mut _,
                    CTX_PAGE,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            },
            "mapping the context page",
        )?;
        sb.map_rw(layout.stack_bottom(), STACK_TOP - layout.stack_bottom())?;
        sb.map_rw(layout.ro_base(), layout.ro_end() - layout.ro_base())?;
        sb.map_rw(layout.rw_base(), layout.heap_base() - layout.rw_base())?;
        // SAFETY: both ranges were just made writable and lie inside the reservation.
        unsafe {
            ptr::copy_nonoverlapping(
                ro.as_ptr(),
                sb.base().add(layout.ro_base() as usize),
                ro.len(),
            );
            ptr::copy_nonoverlapping(
                rw.as_ptr(),
                sb.base().add(layout.rw_base() as usize),
                rw.len(),
            );
        }
        sb.map_ro(layout.ro_base(), layout.ro_end() - layout.ro_base())?;
        Ok(sb)
    }

    /// Makes this sandbox, last used with heap top `heap_top`, what `new(layout, ro,
    /// rw)` would give for the same program (whose read-only data it already holds).
    /// On an error it must not be used again.
    pub fn reset(&self, layout: &MemoryLayout, rw: &[u8], heap_top: u32) -> io::Result<()> {
        // Discarded private anonymous pages read as zero when next touched.
        self.discard(layout.stack_bottom(), STACK_TOP - layout.stack_bottom())?;
        self.discard(layout.rw_base(), heap_top - layout.rw_base())?;
        self.mprotect(
            layout.heap_base(),
            heap_top - layout.heap_base(),
            libc::PROT_NONE,
        )?;
        // SAFETY: the read-write data is mapped writable and lies inside the reservation.
        unsafe {
            ptr::copy_nonoverlapping(
                rw.as_ptr(),
                self.base().add(layout.rw_base() as usize),
                rw.len(),
            )
        };
        Ok(())
    }

    fn discard(&self, addr: u32, len: u32) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        debug_assert!(addr.is_multiple_of(PAGE_SIZE) && len.is_multiple_of(PAGE_SIZE));
        // SAFETY: guest addresses plus page-aligned lengths stay inside the reservation.
        check(
            unsafe {
                libc::madvise(
                    self.base().add(addr as usize) as *mut _,
                    len as usize,
                    libc::MADV_DONTNEED,
                )
            },
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
    pub fn map_rw(&self, addr: u32, len: u32) -> io::Result<()> {
        self.mprotect(addr, len, libc::PROT_READ | libc::PROT_WRITE)
    }

    /// Makes `[addr, addr + len)` (page aligned) read-only.
    pub fn map_ro(&self, addr: u32, len: u32) -> io::Result<()> {
        self.mprotect(addr, len, libc::PROT_READ)
    }

    fn mprotect(&self, addr: u32, len: u32, prot: libc::c_int) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        #[cfg(test)]
        if tests::FAIL_NEXT_MPROTECT.with(|f| f.replace(false)) {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "protecting guest memory: injected failure",
            ));
        }
        debug_assert!(addr.is_multiple_of(PAGE_SIZE) && len.is_multiple_of(PAGE_SIZE));
        // SAFETY: guest addresses plus page-aligned lengths stay inside the reservation.
        check(
            unsafe { libc::mprotect(self.base().add(addr as usize) as *mut _, len as usize, prot) },
            "protecting guest memory",
        )
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: the reservation is ours and nothing refers into it any more.
            unsafe { libc::munmap(self.reservation as *mut _, self.len) };
        }
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

    thread_local! {
        /// Makes this thread's next `mprotect` fail, as the kernel's would when it is
        /// out of memory or of mappings.
        pub(crate) static FAIL_NEXT_MPROTECT: Cell<bool> = const { Cell::new(false) };
    }
}
