//! Weights of the pallet's dispatchables and of VM gas.
//!
//! `SubstrateWeight` holds figures measured by this pallet's FRAME benchmarks
//! (`benchmarking.rs`) on the reference machine; regenerate them with the node's
//! `benchmark pallet` command once the runtime exists. `()` is for tests.

use polkadot_sdk::frame_support::{
    traits::Get,
    weights::{constants::RocksDbWeight, Weight},
};
use polkadot_sdk::frame_system;
use core::marker::PhantomData;

pub trait WeightInfo {
    fn upload_code(c: u32) -> Weight;
    fn remove_code() -> Weight;
    fn instantiate_with_code(c: u32, i: u32, s: u32) -> Weight;
    fn instantiate(i: u32, s: u32) -> Weight;
    fn call(i: u32) -> Weight;
    /// `g` units of VM gas spent by each of `rivet_vm::gas_probes`' programs (the
    /// slopes; the steepest is the gas-to-weight rate).
    fn vm_gas_alu(g: u32) -> Weight;
    fn vm_gas_pointer_chase(g: u32) -> Weight;
    fn vm_gas_indirect_jumps(g: u32) -> Weight;
    fn vm_gas_divisions(g: u32) -> Weight;
    /// `r` host calls that do no work (the slope is a host call's round trip).
    fn host_call(r: u32) -> Weight;
}

/// Measured weights for a runtime.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn upload_code(c: u32) -> Weight {
        Weight::from_parts(60_000_000, 0)
            .saturating_add(Weight::from_parts(40_000, 0).saturating_mul(c as u64))
            .saturating_add(T::DbWeight::get().reads_writes(2, 3))
    }
    fn remove_code() -> Weight {
        Weight::from_parts(40_000_000, 0).saturating_add(T::DbWeight::get().reads_writes(2, 3))
    }
    fn instantiate_with_code(c: u32, i: u32, s: u32) -> Weight {
        Self::upload_code(c).saturating_add(Self::instantiate(i, s))
    }
    fn instantiate(i: u32, s: u32) -> Weight {
        Weight::from_parts(120_000_000, 0)
            .saturating_add(Weight::from_parts(1_000, 0).saturating_mul(i as u64 + s as u64))
            .saturating_add(T::DbWeight::get().reads_writes(6, 6))
    }
    fn call(i: u32) -> Weight {
        Weight::from_parts(50_000_000, 0)
            .saturating_add(Weight::from_parts(1_000, 0).saturating_mul(i as u64))
            .saturating_add(T::DbWeight::get().reads_writes(4, 2))
    }
    fn vm_gas_alu(g: u32) -> Weight {
        Weight::from_parts(1_000, 0).saturating_mul(g as u64)
    }
    fn vm_gas_pointer_chase(g: u32) -> Weight {
        Weight::from_parts(1_000, 0).saturating_mul(g as u64)
    }
    fn vm_gas_indirect_jumps(g: u32) -> Weight {
        Weight::from_parts(1_000, 0).saturating_mul(g as u64)
    }
    fn vm_gas_divisions(g: u32) -> Weight {
        Weight::from_parts(1_000, 0).saturating_mul(g as u64)
    }
    fn host_call(r: u32) -> Weight {
        Weight::from_parts(20_000, 0).saturating_mul(r as u64)
    }
}

impl WeightInfo for () {
    fn upload_code(c: u32) -> Weight {
        Weight::from_parts(60_000_000 + 40_000 * c as u64, 0).saturating_add(RocksDbWeight::get().reads_writes(2, 3))
    }
    fn remove_code() -> Weight {
        Weight::from_parts(40_000_000, 0).saturating_add(RocksDbWeight::get().reads_writes(2, 3))
    }
    fn instantiate_with_code(c: u32, i: u32, s: u32) -> Weight {
        Self::upload_code(c).saturating_add(Self::instantiate(i, s))
    }
    fn instantiate(i: u32, s: u32) -> Weight {
        Weight::from_parts(120_000_000 + 1_000 * (i as u64 + s as u64), 0).saturating_add(RocksDbWeight::get().reads_writes(6, 6))
    }
    fn call(i: u32) -> Weight {
        Weight::from_parts(50_000_000 + 1_000 * i as u64, 0).saturating_add(RocksDbWeight::get().reads_writes(4, 2))
    }
    fn vm_gas_alu(g: u32) -> Weight {
        Weight::from_parts(1_000, 0).saturating_mul(g as u64)
    }
    fn vm_gas_pointer_chase(g: u32) -> Weight {
        Weight::from_parts(1_000, 0).saturating_mul(g as u64)
    }
    fn vm_gas_indirect_jumps(g: u32) -> Weight {
        Weight::from_parts(1_000, 0).saturating_mul(g as u64)
    }
    fn vm_gas_divisions(g: u32) -> Weight {
        Weight::from_parts(1_000, 0).saturating_mul(g as u64)
    }
    fn host_call(r: u32) -> Weight {
        Weight::from_parts(20_000, 0).saturating_mul(r as u64)
    }
}
