//! Turns memory faults inside compiled guest code into guest traps.
//!
//! Compiled code touches guest memory only through `gs:[rcx]` and
//! `gs:[reg + offset]` instructions, each recorded as a fault site. When one faults (unmapped page, or a store to read-only
//! data), the handler finds the site, writes the trap into the context and resumes at
//! the site's exit path. Any other fault — outside compiled code, or on a thread not
//! running guest code — goes to the handler that was installed before ours.

use std::cell::Cell;
use std::mem::MaybeUninit;
use std::sync::Once;

use crate::context::*;
use crate::sandbox::CTX_SIZE;

/// A memory access instruction in compiled code.
#[derive(Clone, Copy, Debug)]
pub struct FaultSite {
    /// Offset of the instruction from the start of the code buffer.
    pub offset: u32,
    /// The guest instruction it implements.
    pub pc: u32,
    pub store: bool,
    /// Offset of the code a fault here resumes at (the exit, or first the moves out of
    /// a loop compiled with its own register mapping).
    pub resume: u32,
}

/// The compiled code running on this thread, for the handler.
pub struct Activation {
    pub code_start: usize,
    pub code_end: usize,
    /// Sorted by offset.
    pub sites: *const FaultSite,
    pub sites_len: usize,
    /// The guest memory base (compiled code reaches it through GS).
    pub base: usize,
}

thread_local! {
    static ACTIVE: Cell<*const Activation> = const { Cell::new(std::ptr::null()) };
}

static INSTALL: Once = Once::new();
static mut PREV_SEGV: MaybeUninit<libc::sigaction> = MaybeUninit::uninit();
static mut PREV_BUS: MaybeUninit<libc::sigaction> = MaybeUninit::uninit();
static mut INSTALLED: bool = false;

/// Installs the handler once per process. False if the OS refused.
pub fn install() -> bool {
    INSTALL.call_once(|| unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = handler as *const () as usize;
        act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut act.sa_mask);
        let ok = libc::sigaction(libc::SIGSEGV, &act, (&raw mut PREV_SEGV).cast()) == 0
            && libc::sigaction(libc::SIGBUS, &act, (&raw mut PREV_BUS).cast()) == 0;
        INSTALLED = ok;
    });
    // SAFETY: written once inside call_once, read after it.
    unsafe { INSTALLED }
}

/// Runs `f` with `activation` registered as this thread's running code; the previous
/// registration comes back however `f` ends.
pub fn with_activation<R>(activation: &Activation, f: impl FnOnce() -> R) -> R {
    struct Restore(*const Activation);
    impl Drop for Restore {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(self.0));
        }
    }
    let _restore = Restore(ACTIVE.with(|a| a.replace(activation)));
    f()
}

unsafe extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    // A const-initialised, destructor-free thread local: a plain TLS read, safe here.
    let active = ACTIVE.with(|a| a.get());
    if !active.is_null() && handle_guest_fault(&*active, (*info).si_addr() as usize, &mut *(uctx as *mut libc::ucontext_t)) {
        return;
    }
    chain(sig, info, uctx);
}

unsafe fn handle_guest_fault(a: &Activation, fault_addr: usize, uc: &mut libc::ucontext_t) -> bool {
    let gregs = &mut uc.uc_mcontext.gregs;
    let rip = gregs[libc::REG_RIP as usize] as usize;
    if rip < a.code_start || rip >= a.code_end {
        return false;
    }
    let sites = std::slice::from_raw_parts(a.sites, a.sites_len);
    let Ok(k) = sites.binary_search_by_key(&((rip - a.code_start) as u32), |s| s.offset) else {
        return false; // a fault in compiled code that isn't a guest access: a bug, not a trap
    };
    let site = sites[k];
    let base = a.base;
    let ctx = (base - CTX_SIZE) as *mut Ctx;
    // The faulting byte is the access's first: guest accesses are aligned, so none
    // spans two pages. An unwrapped sum outside the guest space (in a guard) wraps
    // here to the address the interpreter reports.
    let addr = fault_addr.wrapping_sub(base) as u32;
    let trap = if !site.store {
        TRAP_LOAD_FAULT
    } else if addr >= (*ctx).ro_start && addr < (*ctx).ro_end {
        TRAP_READ_ONLY
    } else {
        TRAP_STORE_FAULT
    };
    (*ctx).exit_kind = EXIT_TRAP;
    (*ctx).exit_trap = trap;
    (*ctx).exit_pc = site.pc;
    (*ctx).exit_arg = addr;
    gregs[libc::REG_RIP as usize] = (a.code_start + site.resume as usize) as i64;
    true
}

unsafe fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    let prev = if sig == libc::SIGSEGV { (*(&raw const PREV_SEGV)).assume_init_ref() } else { (*(&raw const PREV_BUS)).assume_init_ref() };
    if prev.sa_flags & libc::SA_SIGINFO != 0 {
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = std::mem::transmute(prev.sa_sigaction);
        f(sig, info, uctx);
    } else if prev.sa_sigaction == libc::SIG_DFL || prev.sa_sigaction == libc::SIG_IGN {
        // Restore the default action; returning re-executes the faulting instruction,
        // which then terminates the process as it would have without us.
        libc::sigaction(sig, prev, std::ptr::null_mut());
    } else {
        let f: extern "C" fn(libc::c_int) = std::mem::transmute(prev.sa_sigaction);
        f(sig);
    }
}
