//! The pallets `rivet-node benchmark pallet` can measure (feature `runtime-benchmarks`).
//! Only the contracts pallet's weights are generated here; the others use the
//! weights their crates ship.

polkadot_sdk::frame_benchmarking::define_benchmarks!(
    [frame_system, SystemBench::<Runtime>]
    [pallet_rivet_contracts, Contracts]
);

impl polkadot_sdk::frame_system_benchmarking::Config for crate::Runtime {}
