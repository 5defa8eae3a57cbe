//! Safe wrappers over the host calls.

use alloc::vec::Vec;
use rivet_abi::{host as h, return_flags, NOT_FOUND};

use crate::host::call;

/// The call's input bytes.
pub fn input() -> Vec<u8> {
    let len = unsafe { call(h::INPUT_SIZE, 0, 0, 0, 0).0 } as usize;
    let mut buf = Vec::with_capacity(len);
    unsafe {
        let n = call(h::INPUT_READ, buf.as_mut_ptr() as u32, 0, len as u32, 0).0;
        buf.set_len((n as usize).min(len));
    }
    buf
}

/// Copies input bytes starting at `offset` into `buf`; returns how many were copied.
pub fn input_into(offset: u32, buf: &mut [u8]) -> usize {
    unsafe { call(h::INPUT_READ, buf.as_mut_ptr() as u32, offset, buf.len() as u32, 0).0 as usize }
}

/// Ends the execution successfully with `output`.
pub fn return_value(output: &[u8]) -> ! {
    exit(0, output)
}

/// Ends the execution as failed: state changes are reverted, `output` is kept.
pub fn revert(output: &[u8]) -> ! {
    exit(return_flags::REVERT, output)
}

fn exit(flags: u32, output: &[u8]) -> ! {
    unsafe {
        call(h::RETURN, flags, output.as_ptr() as u32, output.len() as u32, 0);
        // A host that resumes after RETURN breaks the ABI: stop here.
        #[cfg(target_arch = "riscv32")]
        core::arch::asm!("unimp", options(noreturn));
        #[cfg(not(target_arch = "riscv32"))]
        unreachable!()
    }
}

/// A debug message, shown by dry runs and the dev runner, ignored on chain.
pub fn debug_log(msg: &str) {
    unsafe {
        call(h::DEBUG_LOG, msg.as_ptr() as u32, msg.len() as u32, 0, 0);
    }
}

pub fn gas_left() -> u64 {
    let (lo, hi) = unsafe { call(h::GAS_LEFT, 0, 0, 0, 0) };
    (hi as u64) << 32 | lo as u64
}

/// Grows the heap by at least `increment` bytes; returns the old heap top.
pub fn sbrk(increment: u32) -> Option<u32> {
    match unsafe { call(h::SBRK, increment, 0, 0, 0).0 } {
        0 => None,
        top => Some(top),
    }
}

fn opt_len(n: u32) -> Option<usize> {
    (n != NOT_FOUND).then_some(n as usize)
}

/// The value stored under `key`, if any.
pub fn storage_get(key: &[u8]) -> Option<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let cap = buf.capacity();
        let n = unsafe { call(h::STORAGE_GET, key.as_ptr() as u32, key.len() as u32, buf.as_mut_ptr() as u32, cap as u32).0 };
        let len = opt_len(n)?;
        if len <= cap {
            unsafe { buf.set_len(len) };
            return Some(buf);
        }
        buf.reserve_exact(len);
    }
}

/// Stores `value` under `key`; returns the previous value's length.
pub fn storage_set(key: &[u8], value: &[u8]) -> Option<usize> {
    opt_len(unsafe { call(h::STORAGE_SET, key.as_ptr() as u32, key.len() as u32, value.as_ptr() as u32, value.len() as u32).0 })
}

/// Removes `key`; returns the previous value's length.
pub fn storage_clear(key: &[u8]) -> Option<usize> {
    opt_len(unsafe { call(h::STORAGE_CLEAR, key.as_ptr() as u32, key.len() as u32, 0, 0).0 })
}

/// The length of the value under `key`, if any.
pub fn storage_contains(key: &[u8]) -> Option<usize> {
    opt_len(unsafe { call(h::STORAGE_CONTAINS, key.as_ptr() as u32, key.len() as u32, 0, 0).0 })
}

/// A fixed-capacity string buffer for formatting without allocating; truncates.
pub struct FixedBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> FixedBuf<N> {
    pub const fn new() -> Self {
        FixedBuf { buf: [0; N], len: 0 }
    }
    pub fn as_str(&self) -> &str {
        // Only whole UTF-8 characters are ever appended.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> Default for FixedBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::fmt::Write for FixedBuf<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for c in s.chars() {
            let mut tmp = [0u8; 4];
            let e = c.encode_utf8(&mut tmp);
            if self.len + e.len() > N {
                return Err(core::fmt::Error);
            }
            self.buf[self.len..self.len + e.len()].copy_from_slice(e.as_bytes());
            self.len += e.len();
        }
        Ok(())
    }
}
