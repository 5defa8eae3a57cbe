//! FRAME benchmarks of every dispatchable and of VM gas. The contracts here are built
//! by hand (`BlobBuilder`), so the benchmarks need no guest toolchain and run inside
//! the wasm runtime too.

use alloc::{vec, vec::Vec};

use polkadot_sdk::{frame_benchmarking::v2::*, frame_support::traits::fungible::Mutate, frame_system::RawOrigin};
use rivet_vm::{
    gas_probes::{self, Probe},
    BlobBuilder,
};

use super::*;

const RET: u32 = 0x0000_8067; // jalr x0, 0(ra)
const NOP: u32 = 0x0000_0013; // addi x0, x0, 0

/// A contract whose `deploy` and `call` return at once, with `bytes / 4` code words.
fn trivial_contract(bytes: u32) -> Vec<u8> {
    let mut code = vec![NOP; (bytes / 4).saturating_sub(1) as usize];
    code.push(RET);
    BlobBuilder::new().code_words(&code).entry("deploy", 0).entry("call", 0).to_bytes()
}

fn funded<T: Config>(name: &'static str) -> AccountId32 {
    let who: AccountId32 = account(name, 0, 0);
    T::Currency::set_balance(&who, u128::MAX / 4);
    who
}

fn big_gas<T: Config>() -> Weight {
    Pallet::<T>::weight_from_gas(100_000_000)
}

/// A caller and a contract running `program`.
fn probe_contract<T: Config>(program: Vec<u8>) -> (AccountId32, AccountId32) {
    let who = funded::<T>("caller");
    let contract = deployed::<T>(&who, program);
    (who, contract)
}

/// Calls `contract` (what the probe benchmarks time).
fn call_probe<T: Config>(who: &AccountId32, contract: &AccountId32) -> ExecReturn {
    Pallet::<T>::run_call(who.clone(), contract.clone(), 0, big_gas::<T>(), u128::MAX, vec![], false)
}

/// A probe's call returned and spent at least the `g` gas it was built for.
fn assert_probe_ran(r: &ExecReturn, g: u32) {
    assert!(r.result.is_ok() && r.gas_used >= g as u64, "the probe ran: {}", r.gas_used);
}

/// Instantiates `code` from `who`; the contract's address.
fn deployed<T: Config>(who: &AccountId32, code: Vec<u8>) -> AccountId32 {
    let hash = H256(blake2_256(&code));
    let r = Pallet::<T>::run_instantiate(who.clone(), 0, big_gas::<T>(), u128::MAX, Code::Upload(code), vec![], vec![], false);
    assert!(r.result.is_ok(), "benchmark contract instantiates");
    address::contract_address(who, &hash, &[])
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn upload_code(c: Linear<4, { 128 * 1024 }>) {
        let who = funded::<T>("uploader");
        let code = trivial_contract(c);
        #[extrinsic_call]
        _(RawOrigin::Signed(who), code.clone(), u128::MAX);
        assert!(CodeInfoOf::<T>::contains_key(H256(blake2_256(&code))));
    }

    #[benchmark]
    fn remove_code() {
        let who = funded::<T>("uploader");
        let code = trivial_contract(4096);
        let hash = H256(blake2_256(&code));
        Pallet::<T>::store_code(&who, code, &mut None).expect("valid code");
        #[extrinsic_call]
        _(RawOrigin::Signed(who), hash);
        assert!(!CodeInfoOf::<T>::contains_key(hash));
    }

    #[benchmark]
    fn instantiate_with_code(c: Linear<4, { 128 * 1024 }>, i: Linear<0, { 64 * 1024 }>, s: Linear<0, 64>) {
        let who = funded::<T>("deployer");
        let code = trivial_contract(c);
        #[extrinsic_call]
        _(RawOrigin::Signed(who), 0, big_gas::<T>(), u128::MAX, code, vec![7; i as usize], vec![1; s as usize]);
    }

    #[benchmark]
    fn instantiate(i: Linear<0, { 64 * 1024 }>, s: Linear<0, 64>) {
        let who = funded::<T>("deployer");
        let code = trivial_contract(4096);
        let hash = H256(blake2_256(&code));
        Pallet::<T>::store_code(&who, code, &mut None).expect("valid code");
        #[extrinsic_call]
        _(RawOrigin::Signed(who), 0, big_gas::<T>(), u128::MAX, hash, vec![7; i as usize], vec![1; s as usize]);
    }

    #[benchmark]
    fn call(i: Linear<0, { 64 * 1024 }>) {
        let who = funded::<T>("caller");
        let contract = deployed::<T>(&who, trivial_contract(4096));
        #[extrinsic_call]
        _(RawOrigin::Signed(who), contract, 0, big_gas::<T>(), u128::MAX, vec![7; i as usize]);
    }

    // The gas-to-weight rate: each probe spends `g` gas in its own way (see
    // `rivet_vm::gas_probes`); the pallet charges the steepest slope.

    #[benchmark]
    fn vm_gas_alu(g: Linear<0, 4_000_000>) {
        // The setup before the probe's loop is the same for every `g`: it lands in
        // the intercept, not the slope.
        let (who, contract) = probe_contract::<T>(Probe::Alu.blob(g as u64));
        let r;
        #[block]
        {
            r = call_probe::<T>(&who, &contract);
        }
        assert_probe_ran(&r, g);
    }

    #[benchmark]
    fn vm_gas_pointer_chase(g: Linear<0, 4_000_000>) {
        let (who, contract) = probe_contract::<T>(Probe::PointerChase.blob(g as u64));
        let r;
        #[block]
        {
            r = call_probe::<T>(&who, &contract);
        }
        assert_probe_ran(&r, g);
    }

    #[benchmark]
    fn vm_gas_indirect_jumps(g: Linear<0, 4_000_000>) {
        let (who, contract) = probe_contract::<T>(Probe::IndirectJumps.blob(g as u64));
        let r;
        #[block]
        {
            r = call_probe::<T>(&who, &contract);
        }
        assert_probe_ran(&r, g);
    }

    #[benchmark]
    fn vm_gas_divisions(g: Linear<0, 4_000_000>) {
        let (who, contract) = probe_contract::<T>(Probe::Divisions.blob(g as u64));
        let r;
        #[block]
        {
            r = call_probe::<T>(&who, &contract);
        }
        assert_probe_ran(&r, g);
    }

    /// A host call's round trip: `r` calls of `gas_left`, which does no work.
    #[benchmark]
    fn host_call(r: Linear<0, 10_000>) {
        let (who, contract) = probe_contract::<T>(gas_probes::host_calls(r, rivet_abi::host::GAS_LEFT));
        let result;
        #[block]
        {
            result = call_probe::<T>(&who, &contract);
        }
        let per_call = Pallet::<T>::host_costs().host_call;
        assert!(result.result.is_ok() && result.gas_used >= r as u64 * per_call, "{r} host calls ran: {}", result.gas_used);
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
