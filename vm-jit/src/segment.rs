//! The guest memory base lives in the GS segment base while compiled code runs, so
//! code addresses guest memory and the context as `gs:[...]` and no general register
//! is spent on the base: r15 holds a guest register instead (nothing else in a Linux
//! x86-64 process uses GS; FS is the one that holds thread-local storage).
//!
//! The previous GS base is put back when the code returns, whatever it was.
//! `rdgsbase`/`wrgsbase` where the kernel allows them (Linux 5.9 on, `HWCAP2_FSGSBASE`),
//! else `arch_prctl` (two system calls per entry into compiled code).

use std::arch::asm;
use std::sync::OnceLock;

const HWCAP2_FSGSBASE: libc::c_ulong = 1 << 1;
const ARCH_SET_GS: libc::c_int = 0x1001;
const ARCH_GET_GS: libc::c_int = 0x1004;

fn fsgsbase() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    // SAFETY: getauxval has no preconditions.
    *HAS.get_or_init(|| unsafe { libc::getauxval(libc::AT_HWCAP2) } & HWCAP2_FSGSBASE != 0)
}

/// This thread's GS base (with the instruction, or else the system call).
fn get() -> u64 {
    get_by(fsgsbase())
}

fn set(v: u64) {
    set_by(fsgsbase(), v)
}

fn get_by(instruction: bool) -> u64 {
    if instruction {
        let v: u64;
        // SAFETY: the kernel enabled the instruction (HWCAP2_FSGSBASE).
        unsafe { asm!("rdgsbase {}", out(reg) v, options(nomem, nostack, preserves_flags)) };
        v
    } else {
        let mut v: u64 = 0;
        // SAFETY: ARCH_GET_GS writes one u64 to the pointer given.
        unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_GET_GS, &mut v as *mut u64) };
        v
    }
}

fn set_by(instruction: bool, v: u64) {
    if instruction {
        // SAFETY: as above; Rust code doesn't address through GS, so changing its base
        // changes nothing the compiler relies on.
        unsafe { asm!("wrgsbase {}", in(reg) v, options(nomem, nostack, preserves_flags)) };
    } else {
        // SAFETY: as above.
        unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_SET_GS, v) };
    }
}

/// Runs `f` with this thread's GS base at `base`, then puts the previous one back.
/// `f` must not unwind (compiled code doesn't).
pub fn with_gs_base<R>(base: *mut u8, f: impl FnOnce() -> R) -> R {
    let old = get();
    set(base as u64);
    let r = f();
    set(old);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both ways of switching agree, and the base comes back as it was.
    #[test]
    fn the_base_is_set_and_put_back() {
        let before = get();
        let mut ways = vec![false];
        if fsgsbase() {
            ways.push(true);
        }
        for &by in &ways {
            for &read in &ways {
                set_by(by, 0x1234_5000);
                assert_eq!(get_by(read), 0x1234_5000);
            }
        }
        set(before);
        let seen = with_gs_base(0x7000_0000 as *mut u8, get);
        assert_eq!(seen, 0x7000_0000);
        assert_eq!(get(), before);
    }
}
