//! The host-call interface between Rivet guests and their host: call numbers (the
//! value in `t0` at `ecall`), argument conventions and return codes. Guests (through
//! `rivet-guest`) and hosts (the dev runner, later the contracts pallet) share these.
//!
//! Convention (SPEC.md, "Host calls"): arguments in a0..a5, results in a0 (and a1),
//! every other register preserved. Pointers are guest data addresses.
#![no_std]

/// Host call numbers.
pub mod host {
    /// `() -> a0 = input length`
    pub const INPUT_SIZE: u32 = 1;
    /// `(dst, offset, len) -> a0 = bytes copied`: copies input[offset..offset+len]
    /// (clamped to the input) to `dst`.
    pub const INPUT_READ: u32 = 2;
    /// `(flags, ptr, len) -> !`: ends the execution with this output. See [`crate::return_flags`].
    pub const RETURN: u32 = 3;
    /// `(ptr, len)`: a UTF-8 debug message; kept only by dry runs and dev tools.
    pub const DEBUG_LOG: u32 = 4;
    /// `(increment) -> a0 = previous heap top, or 0 if the heap limit would be passed`.
    /// The increment is rounded up to whole 4 KiB pages.
    pub const SBRK: u32 = 5;
    /// `() -> a0 = low 32 bits, a1 = high 32 bits of the gas left`.
    pub const GAS_LEFT: u32 = 6;

    /// `(key_ptr, key_len, out_ptr, out_cap) -> a0 = value length, or NOT_FOUND`.
    /// Copies min(len, out_cap) bytes of the value to `out_ptr`.
    pub const STORAGE_GET: u32 = 16;
    /// `(key_ptr, key_len, val_ptr, val_len) -> a0 = previous value length, or NOT_FOUND`.
    pub const STORAGE_SET: u32 = 17;
    /// `(key_ptr, key_len) -> a0 = previous value length, or NOT_FOUND`.
    pub const STORAGE_CLEAR: u32 = 18;
    /// `(key_ptr, key_len) -> a0 = value length, or NOT_FOUND`.
    pub const STORAGE_CONTAINS: u32 = 19;

    /// Storage keys are at most this many bytes.
    pub const MAX_STORAGE_KEY: u32 = 128;
}

/// Returned in a0 where a value is absent.
pub const NOT_FOUND: u32 = u32::MAX;

/// Flags of [`host::RETURN`].
pub mod return_flags {
    /// The execution failed on purpose: its state changes are reverted, the output kept.
    pub const REVERT: u32 = 1;
    /// Every flag defined so far; others are rejected by hosts.
    pub const ALL: u32 = REVERT;
}
