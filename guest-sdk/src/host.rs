//! Raw host calls: `ecall` with the number in `t0`, arguments in a0..a5.

#[cfg(target_arch = "riscv32")]
#[inline(always)]
pub unsafe fn call(n: u32, a0: u32, a1: u32, a2: u32, a3: u32) -> (u32, u32) {
    let (r0, r1): (u32, u32);
    // The host may read and write guest memory, so this is not `nomem`.
    core::arch::asm!(
        "ecall",
        in("t0") n,
        inlateout("a0") a0 => r0,
        inlateout("a1") a1 => r1,
        in("a2") a2,
        in("a3") a3,
        options(nostack),
    );
    (r0, r1)
}

/// Off the guest target there is no host: calling is a bug in the caller.
#[cfg(not(target_arch = "riscv32"))]
pub unsafe fn call(_n: u32, _a0: u32, _a1: u32, _a2: u32, _a3: u32) -> (u32, u32) {
    unimplemented!("rivet host calls exist only inside the guest VM")
}
