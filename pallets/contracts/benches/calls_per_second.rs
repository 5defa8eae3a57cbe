//! Contract calls per second on the mock runtime: token transfers through the `call`
//! dispatchable, with the interpreter and with the JIT (behind the host functions, as
//! on a node). Also the time per VM gas unit of each, which the gas-to-weight rate
//! must cover.
//!
//!     cargo bench -p pallet-rivet-contracts --features mock --bench calls_per_second [-- --quick]

use std::time::Instant;

use pallet_rivet_contracts::mock::*;
use polkadot_sdk::{frame_support::weights::Weight, sp_core::H256, sp_io::hashing::blake2_256, sp_runtime::AccountId32};

fn deploy(name: &str, input: Vec<u8>) -> AccountId32 {
    let blob = rivet_test_programs::blob(name).to_vec();
    let hash = H256(blake2_256(&blob));
    Contracts::instantiate_with_code(RuntimeOrigin::signed(ALICE), 0, gas(), u128::MAX, blob, input, vec![]).expect("deploys");
    pallet_rivet_contracts::address::contract_address(&ALICE, &hash, &[])
}

fn gas() -> Weight {
    Weight::from_parts(10_000_000_000, 0)
}

fn transfer(to: &AccountId32, amount: u128) -> Vec<u8> {
    let mut v = vec![0];
    v.extend_from_slice(to.as_ref());
    v.extend_from_slice(&amount.to_le_bytes());
    v
}

/// (calls per second, gas per call)
fn token_transfers(calls: u32) -> (f64, u64) {
    new_test_ext().execute_with(|| {
        let token = deploy("token", 1_000_000_000u128.to_le_bytes().to_vec());
        let input = transfer(&BOB, 1);
        // Warm up: the first call creates BOB's entry; the JIT compiles once.
        for _ in 0..10 {
            Contracts::call(RuntimeOrigin::signed(ALICE), token.clone(), 0, gas(), u128::MAX, input.clone()).unwrap();
        }
        let gas_used = Contracts::dry_run_call(ALICE, token.clone(), 0, Some(gas()), None, input.clone()).gas_used;
        let start = Instant::now();
        for i in 0..calls {
            Contracts::call(RuntimeOrigin::signed(ALICE), token.clone(), 0, gas(), u128::MAX, input.clone()).unwrap();
            if i % 100 == 99 {
                System::reset_events();
            }
        }
        (calls as f64 / start.elapsed().as_secs_f64(), gas_used)
    })
}

/// Nanoseconds per VM gas unit: the looper burning `gas` units.
fn ns_per_gas(gas: u64) -> f64 {
    new_test_ext().execute_with(|| {
        let looper = deploy("looper", vec![]);
        let limit = pallet_rivet_contracts::Pallet::<Test>::weight_from_gas(gas);
        let start = Instant::now();
        let r = Contracts::call(RuntimeOrigin::signed(ALICE), looper, 0, limit, u128::MAX, vec![]);
        let t = start.elapsed();
        assert!(r.is_err(), "the looper runs out of gas");
        t.as_nanos() as f64 / gas as f64
    })
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (calls, gas) = if quick { (300, 5_000_000) } else { (5_000, 200_000_000) };
    println!(
        "token transfer calls on the mock runtime ({calls} calls; {} ps of weight per gas unit charged)",
        pallet_rivet_contracts::Pallet::<Test>::weight_per_gas()
    );
    println!("{:<12} {:>14} {:>14} {:>14}", "backend", "calls/s", "gas/call", "ns/gas (loop)");
    for (which, name) in [(Which::Interpreter, "interpreter"), (Which::Jit, "jit")] {
        set_backend(which);
        let (cps, gas_per_call) = token_transfers(calls);
        let ns = ns_per_gas(gas);
        println!("{name:<12} {cps:>14.0} {gas_per_call:>14} {ns:>14.3}");
    }
}
