//! What host calls cost in VM gas, and how gas becomes weight.
//!
//! Guest instructions are metered by the VM (`rivet_vm::gas`, SPEC.md); host calls are
//! metered here, always before the host does the work. The figures are in VM gas units
//! (one unit is roughly one simple instruction) and are sized from the host work each
//! call does relative to guest execution; `WeightInfo::vm_gas` (benchmarked) turns
//! units into weight.

/// Every host call, before anything else.
pub const HOST_CALL_BASE: u64 = 20;
/// Per byte moved between guest memory and the host (input, output, keys, values, hashes).
pub const PER_BYTE: u64 = 1;
/// Reading a storage item (a trie lookup).
pub const STORAGE_READ: u64 = 2_000;
/// Writing or clearing a storage item.
pub const STORAGE_WRITE: u64 = 5_000;
/// Hashing, on top of the per-byte cost.
pub const HASH_BASE: u64 = 100;
pub const HASH_PER_BYTE: u64 = 2;
/// A balance transfer.
pub const TRANSFER: u64 = 20_000;
/// Emitting an event, plus the per-byte cost of topics and data.
pub const EVENT_BASE: u64 = 1_000;
/// Starting a sub-call or instantiation (loading and instantiating the callee is
/// charged per code byte on top).
pub const CALL_BASE: u64 = 10_000;
/// Per byte of code loaded for a call frame (read from storage, prepared).
pub const CODE_LOAD_PER_BYTE: u64 = 2;
/// Terminating a contract, plus a storage write per item it held.
pub const TERMINATE_BASE: u64 = 20_000;

/// Gas for moving `len` bytes.
pub fn bytes(len: u32) -> u64 {
    PER_BYTE * len as u64
}
