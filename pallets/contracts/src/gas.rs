//! What host calls cost, and how gas becomes weight.
//!
//! Guest instructions are metered by the VM (`rivet_vm::gas`, SPEC.md §6); host calls
//! are metered here, always before the host does the work. The host's work is priced
//! in weight, not gas: a call's fixed cost is benchmarked (`WeightInfo::host_call`),
//! storage access is the runtime's database weight, and the rest are the figures
//! below. [`HostCosts`] turns them into gas at the chain's rate (the worst of the
//! `vm_gas_*` benchmarks), so a change of that rate can't underprice the host.

use polkadot_sdk::frame_support::weights::{RuntimeDbWeight, Weight};

/// Picoseconds of reference time, for the figures below.
const NS: u64 = 1_000;

/// Per byte moved between guest memory and the host (input, output, keys, values).
const PER_BYTE: u64 = NS;
/// Hashing: a fixed part and per byte (on top of moving the bytes).
const HASH_BASE: u64 = 100 * NS;
const HASH_PER_BYTE: u64 = 2 * NS;
/// Emitting an event, plus per byte of its topics and data (events stay in the
/// block's state until the next one).
const EVENT_BASE: u64 = 5_000 * NS;
const EVENT_PER_BYTE: u64 = 50 * NS;
/// Starting a sub-call or instantiation beyond its database access: the callee's
/// frame set up, its deposit settled (its code and memory are charged on top).
const FRAME_BASE: u64 = 100_000 * NS;
/// Per byte of code loaded for a call frame (read from storage, compiled or decoded).
const CODE_LOAD_PER_BYTE: u64 = 2 * NS;
/// Per 4 KiB page of data memory a frame reserves (stack through heap limit) at its
/// start: the interpreter allocates and zeroes all of it.
const MEMORY_PER_PAGE: u64 = 1_000 * NS;
/// Per page added by `sbrk` (the JIT maps it).
const SBRK_PER_PAGE: u64 = 200 * NS;

/// Host costs in VM gas, for one execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostCosts {
    /// Every host call, before anything else (the round trip out of the VM and back).
    pub host_call: u64,
    pub per_byte: u64,
    pub storage_read: u64,
    pub storage_write: u64,
    pub hash_base: u64,
    pub hash_per_byte: u64,
    /// A balance transfer (two accounts read and written).
    pub transfer: u64,
    pub event_base: u64,
    pub event_per_byte: u64,
    /// Starting a sub-call or instantiation: the callee's records read, deposit
    /// settled, value transferred.
    pub frame_base: u64,
    pub code_load_per_byte: u64,
    pub memory_per_page: u64,
    pub sbrk_per_page: u64,
    /// Terminating a contract (a storage write per item it held comes on top).
    pub terminate_base: u64,
}

impl HostCosts {
    /// The costs at `ps_per_gas` picoseconds a gas unit, with `host_call` the
    /// benchmarked weight of one host call's round trip.
    pub fn new(ps_per_gas: u64, host_call: Weight, db: RuntimeDbWeight) -> HostCosts {
        let ps_per_gas = ps_per_gas.max(1);
        // Rounded up: the host never does work it wasn't paid for.
        let gas = |ps: u64| ps.div_ceil(ps_per_gas);
        let read = db.read;
        let write = db.write;
        HostCosts {
            host_call: gas(host_call.ref_time()).max(1),
            per_byte: gas(PER_BYTE),
            storage_read: gas(read),
            storage_write: gas(write),
            hash_base: gas(HASH_BASE),
            hash_per_byte: gas(HASH_PER_BYTE),
            transfer: gas(2 * read + 2 * write),
            event_base: gas(EVENT_BASE),
            event_per_byte: gas(EVENT_PER_BYTE),
            // The callee's contract and code records and the two accounts of a value
            // transfer are read; deposits and balances written.
            frame_base: gas(FRAME_BASE + 4 * read + 2 * write),
            code_load_per_byte: gas(CODE_LOAD_PER_BYTE),
            memory_per_page: gas(MEMORY_PER_PAGE),
            sbrk_per_page: gas(SBRK_PER_PAGE),
            terminate_base: gas(FRAME_BASE + 2 * read + 2 * write),
        }
    }

    /// Gas for moving `len` bytes.
    pub fn bytes(&self, len: u32) -> u64 {
        self.per_byte.saturating_mul(len as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polkadot_sdk::frame_support::weights::constants::RocksDbWeight;

    #[test]
    fn costs_follow_the_rate_and_round_up() {
        let db = RocksDbWeight::get();
        let at_1ns = HostCosts::new(1_000, Weight::from_parts(700_000, 0), db);
        assert_eq!(at_1ns.storage_read, db.read / 1_000);
        assert_eq!(at_1ns.host_call, 700);
        assert_eq!(at_1ns.per_byte, 1);
        // Twice the rate: half the gas for the same work, never rounded down to zero.
        let at_2ns = HostCosts::new(2_000, Weight::from_parts(700_001, 0), db);
        assert_eq!(at_2ns.storage_read, db.read / 2_000);
        assert_eq!(at_2ns.host_call, 351);
        assert_eq!(at_2ns.per_byte, 1);
        assert_eq!(at_2ns.bytes(10), 10);
        // A rate of zero can't divide by zero.
        assert_eq!(HostCosts::new(0, Weight::zero(), db).host_call, 1);
    }
}
