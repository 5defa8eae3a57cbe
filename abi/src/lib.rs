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

    // Contract host calls (the contracts pallet). Account ids and hashes are 32
    // bytes; balances are u128 little-endian (16 bytes).

    /// `(out_ptr)`: writes the calling account's id (32 bytes).
    pub const CALLER: u32 = 32;
    /// `(out_ptr)`: writes this contract's own account id (32 bytes).
    pub const ADDRESS: u32 = 33;
    /// `(out_ptr)`: writes the value transferred with this call (16 bytes).
    pub const VALUE_TRANSFERRED: u32 = 34;
    /// `(out_ptr)`: writes this contract's free balance (16 bytes).
    pub const BALANCE: u32 = 35;
    /// `(dest_ptr, value_ptr) -> a0 = status` ([`crate::status`]): transfers from this
    /// contract to `dest`.
    pub const TRANSFER: u32 = 36;
    /// `(args_ptr) -> a0 = status, a1 = the callee's output length`: calls another
    /// contract. `args_ptr` points at a [`crate::CallArgs`]. At most `out_cap` bytes of
    /// the output are copied to `out_ptr`.
    pub const CALL: u32 = 37;
    /// `(args_ptr) -> a0 = status, a1 = output length`: instantiates a contract from
    /// uploaded code. `args_ptr` points at a [`crate::InstantiateArgs`]; on success the
    /// new account id is written to `address_out`.
    pub const INSTANTIATE: u32 = 38;
    /// `(topics_ptr, topic_count, data_ptr, data_len)`: emits an event with up to
    /// [`MAX_EVENT_TOPICS`] topics of 32 bytes each.
    pub const DEPOSIT_EVENT: u32 = 39;
    /// `(in_ptr, in_len, out_ptr)`: writes the 32-byte BLAKE2b-256 hash of the input.
    pub const HASH_BLAKE2_256: u32 = 40;
    /// `(in_ptr, in_len, out_ptr)`: Keccak-256.
    pub const HASH_KECCAK_256: u32 = 41;
    /// `(in_ptr, in_len, out_ptr)`: SHA-256.
    pub const HASH_SHA2_256: u32 = 42;
    /// `() -> a0, a1 = the block number (u64, low word first)`.
    pub const BLOCK_NUMBER: u32 = 43;
    /// `() -> a0, a1 = the block's timestamp in milliseconds (u64)`.
    pub const NOW: u32 = 44;
    /// `(beneficiary_ptr) -> !`: removes this contract, its storage and its deposits;
    /// its balance goes to the beneficiary.
    pub const TERMINATE: u32 = 45;

    /// At most this many topics per event.
    pub const MAX_EVENT_TOPICS: u32 = 4;
}

/// Results of [`host::TRANSFER`], [`host::CALL`] and [`host::INSTANTIATE`] in a0.
pub mod status {
    pub const SUCCESS: u32 = 0;
    /// The callee returned with the REVERT flag; its output is available.
    pub const REVERTED: u32 = 1;
    /// The callee trapped or ran out of gas; nothing it did is kept.
    pub const TRAPPED: u32 = 2;
    /// No contract at that address, or no code with that hash.
    pub const NOT_FOUND: u32 = 3;
    /// The value could not be transferred (funds, or the existential deposit).
    pub const TRANSFER_FAILED: u32 = 4;
    /// A contract already exists at the address being instantiated.
    pub const DUPLICATE_CONTRACT: u32 = 5;
    /// The call stack is full.
    pub const DEPTH_EXCEEDED: u32 = 6;
    /// The callee is already on the call stack and reentry was not allowed.
    pub const REENTRANCE_DENIED: u32 = 7;
}

/// Flags of [`CallArgs::flags`].
pub mod call_flags {
    /// Let the callee call back into a contract that is already on the call stack.
    pub const ALLOW_REENTRY: u32 = 1;
    pub const ALL: u32 = ALLOW_REENTRY;
}

/// The argument block of [`host::CALL`], as laid out in guest memory (little-endian,
/// no padding).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct CallArgs {
    pub callee: [u8; 32],
    pub value: [u8; 16],
    /// Gas the callee may use at most; 0 means all that is left.
    pub gas_limit: [u8; 8],
    pub input_ptr: u32,
    pub input_len: u32,
    pub out_ptr: u32,
    pub out_cap: u32,
    pub flags: u32,
}

/// The argument block of [`host::INSTANTIATE`] (little-endian, no padding).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct InstantiateArgs {
    pub code_hash: [u8; 32],
    pub value: [u8; 16],
    /// Gas the new contract's `deploy` may use at most; 0 means all that is left.
    pub gas_limit: [u8; 8],
    pub input_ptr: u32,
    pub input_len: u32,
    pub salt_ptr: u32,
    pub salt_len: u32,
    pub address_out: u32,
    pub out_ptr: u32,
    pub out_cap: u32,
}

impl CallArgs {
    pub const SIZE: usize = 32 + 16 + 8 + 5 * 4;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[..32].copy_from_slice(&self.callee);
        b[32..48].copy_from_slice(&self.value);
        b[48..56].copy_from_slice(&self.gas_limit);
        for (i, w) in [self.input_ptr, self.input_len, self.out_ptr, self.out_cap, self.flags].iter().enumerate() {
            b[56 + 4 * i..60 + 4 * i].copy_from_slice(&w.to_le_bytes());
        }
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Self {
        let w = |i: usize| u32::from_le_bytes(b[56 + 4 * i..60 + 4 * i].try_into().unwrap());
        CallArgs {
            callee: b[..32].try_into().unwrap(),
            value: b[32..48].try_into().unwrap(),
            gas_limit: b[48..56].try_into().unwrap(),
            input_ptr: w(0),
            input_len: w(1),
            out_ptr: w(2),
            out_cap: w(3),
            flags: w(4),
        }
    }
}

impl InstantiateArgs {
    pub const SIZE: usize = 32 + 16 + 8 + 7 * 4;

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[..32].copy_from_slice(&self.code_hash);
        b[32..48].copy_from_slice(&self.value);
        b[48..56].copy_from_slice(&self.gas_limit);
        let words = [self.input_ptr, self.input_len, self.salt_ptr, self.salt_len, self.address_out, self.out_ptr, self.out_cap];
        for (i, w) in words.iter().enumerate() {
            b[56 + 4 * i..60 + 4 * i].copy_from_slice(&w.to_le_bytes());
        }
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Self {
        let w = |i: usize| u32::from_le_bytes(b[56 + 4 * i..60 + 4 * i].try_into().unwrap());
        InstantiateArgs {
            code_hash: b[..32].try_into().unwrap(),
            value: b[32..48].try_into().unwrap(),
            gas_limit: b[48..56].try_into().unwrap(),
            input_ptr: w(0),
            input_len: w(1),
            salt_ptr: w(2),
            salt_len: w(3),
            address_out: w(4),
            out_ptr: w(5),
            out_cap: w(6),
        }
    }
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
