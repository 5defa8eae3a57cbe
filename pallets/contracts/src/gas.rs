//! What host calls cost in VM gas, and how gas becomes weight.
//!
//! Guest instructions are metered by the VM (`rivet_vm::gas`, SPEC.md); host calls are
//! metered here, always before the host does the work. The figures are in VM gas units
//! (one unit is roughly one simple instruction; the weight rate charges 1 ns each) and
//! are sized from the database work each call does (FRAME's RocksDB weights: 25 µs a
//! read, 100 µs a write); `WeightInfo::vm_gas` (benchmarked) turns units into weight.

/// Every host call, before anything else.
pub const HOST_CALL_BASE: u64 = 20;
/// Per byte moved between guest memory and the host (input, output, keys, values, hashes).
pub const PER_BYTE: u64 = 1;
/// Reading a storage item (a trie lookup).
pub const STORAGE_READ: u64 = 25_000;
/// Writing or clearing a storage item.
pub const STORAGE_WRITE: u64 = 100_000;
/// Hashing, on top of the per-byte cost.
pub const HASH_BASE: u64 = 100;
pub const HASH_PER_BYTE: u64 = 2;
/// A balance transfer (two accounts read and written).
pub const TRANSFER: u64 = 250_000;
/// Emitting an event, plus [`EVENT_PER_BYTE`] for its topics and data (events stay in
/// the block's state until the next one).
pub const EVENT_BASE: u64 = 5_000;
pub const EVENT_PER_BYTE: u64 = 50;
/// Starting a sub-call or instantiation: the callee's records read, its deposit
/// settled, a value transfer (loading the callee's code and memory is charged per
/// byte and page on top).
pub const CALL_BASE: u64 = 350_000;
/// Per byte of code loaded for a call frame (read from storage, prepared).
pub const CODE_LOAD_PER_BYTE: u64 = 2;
/// Per 4 KiB page of the guest data memory a frame reserves (stack through heap
/// limit), at its start: the interpreter allocates and zeroes all of it.
pub const MEMORY_PER_PAGE: u64 = 1_000;
/// Per page added by `sbrk` (the JIT maps it).
pub const SBRK_PER_PAGE: u64 = 200;
/// Terminating a contract, plus a storage write per item it held.
pub const TERMINATE_BASE: u64 = 350_000;

/// Gas for moving `len` bytes.
pub fn bytes(len: u32) -> u64 {
    PER_BYTE * len as u64
}
