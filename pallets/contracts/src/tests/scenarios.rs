use polkadot_sdk::{
    frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, weights::Weight},
    sp_core::H256,
    sp_io::{self, hashing::blake2_256},
    sp_runtime::{AccountId32, DispatchError, StateVersion},
};

use crate::mock::*;
use crate::{
    address, CodeInfoOf, CodeRejectReason, ContractInfoOf, Error, Event, HoldReason, Outcome, PristineCode, ReceiptCount, Receipts,
    TrapCode,
};

fn blob(name: &str) -> Vec<u8> {
    rivet_test_programs::blob(name).to_vec()
}

/// Enough gas for any test contract but the looper: 10^7 VM gas units.
fn gas() -> Weight {
    Weight::from_parts(10_000_000_000, 0)
}

const NO_LIMIT: u128 = u128::MAX;

fn deploy(name: &str, input: Vec<u8>, salt: &[u8]) -> AccountId32 {
    assert_ok!(Contracts::instantiate_with_code(RuntimeOrigin::signed(ALICE), 0, gas(), NO_LIMIT, blob(name), input, salt.to_vec()));
    address::contract_address(&ALICE, &H256(blake2_256(&blob(name))), salt)
}

/// Output of a dry-run call (from ALICE), panicking on failure.
fn query(dest: &AccountId32, input: Vec<u8>) -> Vec<u8> {
    let r = Contracts::dry_run_call(ALICE, dest.clone(), 0, Some(gas()), None, input);
    r.result.expect("query succeeds").data
}

fn call(dest: &AccountId32, input: Vec<u8>) -> polkadot_sdk::frame_support::dispatch::DispatchResultWithPostInfo {
    Contracts::call(RuntimeOrigin::signed(ALICE), dest.clone(), 0, gas(), NO_LIMIT, input)
}

fn error_of(r: polkadot_sdk::frame_support::dispatch::DispatchResultWithPostInfo) -> DispatchError {
    r.expect_err("expected an error").error
}

fn contract_events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| match r.event {
            RuntimeEvent::Contracts(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// Everything a scenario leaves behind that must not depend on the backend.
#[derive(Debug, PartialEq)]
struct Observed<R> {
    result: R,
    state_root: Vec<u8>,
    events: Vec<RuntimeEvent>,
}

/// Runs `f` on a fresh chain once per backend; the results, the final state root
/// (child tries included) and the events must be equal.
fn on_both_backends<R: PartialEq + core::fmt::Debug>(f: impl Fn() -> R) -> R {
    let mut seen = Vec::new();
    for which in [Which::Interpreter, Which::Jit] {
        set_backend(which);
        let observed = new_test_ext().execute_with(|| {
            let result = f();
            let events = System::events().into_iter().map(|r| r.event).collect();
            Observed { result, state_root: sp_io::storage::root(StateVersion::V1), events }
        });
        seen.push(observed);
    }
    set_backend(Which::Interpreter);
    let jit = seen.pop().unwrap();
    let interp = seen.pop().unwrap();
    assert_eq!(interp, jit, "the interpreter and the JIT disagree");
    interp.result
}

#[test]
fn upload_stores_validated_code_with_a_deposit() {
    on_both_backends(|| {
        let code = blob("counter");
        let hash = H256(blake2_256(&code));
        assert_ok!(Contracts::upload_code(RuntimeOrigin::signed(ALICE), code.clone(), NO_LIMIT));
        let info = CodeInfoOf::<Test>::get(hash).unwrap();
        assert_eq!(info.owner, ALICE);
        assert_eq!(info.deposit, code.len() as u128 + 200);
        assert_eq!(Balances::balance_on_hold(&HoldReason::CodeUploadDeposit.into(), &ALICE), info.deposit);
        assert!(contract_events().contains(&Event::CodeStored { code_hash: hash, uploader: ALICE, deposit: info.deposit }));
        // Uploading it again changes nothing.
        assert_ok!(Contracts::upload_code(RuntimeOrigin::signed(BOB), code.clone(), NO_LIMIT));
        assert_eq!(CodeInfoOf::<Test>::get(hash).unwrap().owner, ALICE);
        assert_eq!(Balances::balance_on_hold(&HoldReason::CodeUploadDeposit.into(), &BOB), 0);
    });
}

#[test]
fn invalid_code_is_rejected_with_the_reason_and_never_stored() {
    on_both_backends(|| {
        let reject = |code: Vec<u8>| Contracts::upload_code(RuntimeOrigin::signed(ALICE), code, NO_LIMIT).expect_err("rejected");
        assert_eq!(reject(b"not a blob at all".to_vec()), Error::<Test>::CodeRejected { reason: CodeRejectReason::Malformed }.into());
        let mut bad_version = blob("counter");
        bad_version[4] = 99;
        assert_eq!(reject(bad_version), Error::<Test>::CodeRejected { reason: CodeRejectReason::UnsupportedVersion }.into());
        assert_eq!(reject(vec![0; 300 * 1024]), Error::<Test>::CodeTooLarge.into());
        // A program without a `call` entry is not a contract.
        let no_call = rivet_vm::BlobBuilder::new().code_words(&[0x0000_8067]).entry("deploy", 0).to_bytes();
        assert_eq!(reject(no_call), Error::<Test>::CodeRejected { reason: CodeRejectReason::NoCallEntry }.into());
        // Memory beyond the pallet's limit (the sieve declares 32 MiB of heap).
        assert_eq!(reject(blob("sieve")), Error::<Test>::CodeRejected { reason: CodeRejectReason::BadMemoryConfig }.into());
        assert_eq!(PristineCode::<Test>::iter().count(), 0);
        // The dry run says precisely why.
        let r = Contracts::dry_run_instantiate(
            ALICE,
            0,
            Some(gas()),
            None,
            crate::Code::Upload(b"RIVT\x01\x00\x00\x00".to_vec()),
            vec![],
            vec![],
        );
        assert!(r.result.is_err());
        assert!(String::from_utf8_lossy(&r.debug_log).contains("code rejected"), "{:?}", String::from_utf8_lossy(&r.debug_log));
    });
}

#[test]
fn deposit_limit_and_funds_are_enforced_on_upload() {
    on_both_backends(|| {
        assert_noop!(
            Contracts::upload_code(RuntimeOrigin::signed(ALICE), blob("counter"), 10),
            Error::<Test>::StorageDepositLimitExhausted
        );
        assert_noop!(
            Contracts::upload_code(RuntimeOrigin::signed(POOR), blob("token"), NO_LIMIT),
            Error::<Test>::StorageDepositNotEnoughFunds
        );
    });
}

#[test]
fn remove_code_is_for_the_owner_of_unused_code() {
    on_both_backends(|| {
        let code = blob("counter");
        let hash = H256(blake2_256(&code));
        assert_noop!(Contracts::remove_code(RuntimeOrigin::signed(ALICE), hash), Error::<Test>::CodeNotFound);
        assert_ok!(Contracts::upload_code(RuntimeOrigin::signed(ALICE), code.clone(), NO_LIMIT));
        assert_noop!(Contracts::remove_code(RuntimeOrigin::signed(BOB), hash), Error::<Test>::NotCodeOwner);
        let c = deploy("counter", vec![], b"");
        assert_noop!(Contracts::remove_code(RuntimeOrigin::signed(ALICE), hash), Error::<Test>::CodeInUse);
        // Terminating the only contract frees the code.
        let mut input = vec![8];
        input.extend_from_slice(BOB.as_ref());
        let _ = c;
        let probe = deploy("probe", vec![], b"");
        assert_ok!(call(&probe, input));
        assert_ok!(Contracts::remove_code(RuntimeOrigin::signed(ALICE), H256(blake2_256(&blob("probe")))));
        assert_eq!(PristineCode::<Test>::get(H256(blake2_256(&blob("probe")))), None);
        assert!(ContractInfoOf::<Test>::get(&probe).is_none());
        assert_eq!(
            Balances::balance_on_hold(&HoldReason::CodeUploadDeposit.into(), &ALICE),
            CodeInfoOf::<Test>::get(hash).unwrap().deposit
        );
    });
}

#[test]
fn counter_instantiates_calls_and_keeps_receipts() {
    on_both_backends(|| {
        let c = deploy("counter", 41u32.to_le_bytes().to_vec(), b"");
        assert_eq!(Contracts::get_storage(&c, b"count").unwrap(), Some(41u32.to_le_bytes().to_vec()));
        assert_ok!(call(&c, vec![0]));
        assert_eq!(query(&c, vec![1]), 42u32.to_le_bytes().to_vec());
        assert_eq!(Contracts::get_storage(&c, b"count").unwrap(), Some(42u32.to_le_bytes().to_vec()));
        let events = contract_events();
        assert!(events.contains(&Event::Called { caller: ALICE, contract: c.clone() }));
        // One receipt for the instantiation, one for the call, in this block.
        assert_eq!(ReceiptCount::<Test>::get(1), 2);
        let receipt = Receipts::<Test>::get(1, 1).unwrap();
        assert_eq!(receipt.contract, c);
        assert_eq!(receipt.outcome, Outcome::Returned);
        assert_eq!(receipt.input_hash, H256(blake2_256(&[0])));
        assert_eq!(receipt.output_hash, H256(blake2_256(&42u32.to_le_bytes())));
        assert_ne!(receipt.transcript_hash, H256::zero());
        assert!(receipt.gas_used > 0 && receipt.gas_used < receipt.gas_limit);
        // The storage deposit for the record and one item is held on the contract.
        let info = ContractInfoOf::<Test>::get(&c).unwrap();
        assert_eq!(info.storage_items, 1);
        assert_eq!(info.storage_deposit, crate::Pallet::<Test>::contract_deposit(&info));
        assert_eq!(Balances::balance_on_hold(&HoldReason::StorageDeposit.into(), &c), info.storage_deposit);
        receipt
    });
}

#[test]
fn the_jit_backend_really_runs_on_the_node_side() {
    let before = rivet_vm_runtime_interface::cache_stats();
    set_backend(Which::Jit);
    new_test_ext().execute_with(|| {
        let c = deploy("counter", vec![], b"jit");
        assert_ok!(call(&c, vec![0]));
    });
    set_backend(Which::Interpreter);
    let after = rivet_vm_runtime_interface::cache_stats();
    assert!(after.2 + after.3 > before.2 + before.3, "no JIT module was looked up: {before:?} -> {after:?}");
}

#[test]
fn receipts_are_kept_for_the_retention_window() {
    on_both_backends(|| {
        let c = deploy("counter", vec![], b"");
        assert_eq!(ReceiptCount::<Test>::get(1), 1);
        for n in 2..=5 {
            System::set_block_number(n);
            <crate::Pallet<Test> as polkadot_sdk::frame_support::traits::Hooks<u64>>::on_initialize(n);
            assert_ok!(call(&c, vec![0]));
        }
        // Retention is 3 blocks: block 1's and 2's receipts are gone.
        assert!(Receipts::<Test>::get(1, 0).is_none());
        assert!(Receipts::<Test>::get(2, 0).is_none());
        assert!(Receipts::<Test>::get(3, 0).is_some());
        assert!(Receipts::<Test>::get(5, 0).is_some());
    });
}

#[test]
fn instantiate_from_a_code_hash_with_salts() {
    on_both_backends(|| {
        let code = blob("counter");
        let hash = H256(blake2_256(&code));
        assert_eq!(
            error_of(Contracts::instantiate(RuntimeOrigin::signed(ALICE), 0, gas(), NO_LIMIT, hash, vec![], vec![])),
            Error::<Test>::CodeNotFound.into()
        );
        assert_ok!(Contracts::upload_code(RuntimeOrigin::signed(ALICE), code, NO_LIMIT));
        assert_ok!(Contracts::instantiate(RuntimeOrigin::signed(BOB), 0, gas(), NO_LIMIT, hash, vec![], b"one".to_vec()));
        assert_eq!(
            error_of(Contracts::instantiate(RuntimeOrigin::signed(BOB), 0, gas(), NO_LIMIT, hash, vec![], b"one".to_vec())),
            Error::<Test>::DuplicateContract.into()
        );
        assert_ok!(Contracts::instantiate(RuntimeOrigin::signed(BOB), 0, gas(), NO_LIMIT, hash, vec![], b"two".to_vec()));
        assert_eq!(CodeInfoOf::<Test>::get(hash).unwrap().refcount, 2);
        assert_eq!(
            error_of(Contracts::instantiate(RuntimeOrigin::signed(BOB), 0, gas(), NO_LIMIT, hash, vec![], vec![0; 65])),
            Error::<Test>::SaltTooLong.into()
        );
        let a = address::contract_address(&BOB, &hash, b"one");
        assert!(contract_events().contains(&Event::Instantiated { deployer: BOB, contract: a, code_hash: hash }));
    });
}

fn transfer_input(to: &AccountId32, amount: u128) -> Vec<u8> {
    let mut v = vec![0];
    v.extend_from_slice(to.as_ref());
    v.extend_from_slice(&amount.to_le_bytes());
    v
}

fn balance_of_input(who: &AccountId32) -> Vec<u8> {
    let mut v = vec![1];
    v.extend_from_slice(who.as_ref());
    v
}

#[test]
fn token_transfers_and_emits_events() {
    on_both_backends(|| {
        let t = deploy("token", 1_000u128.to_le_bytes().to_vec(), b"");
        assert_ok!(call(&t, transfer_input(&BOB, 300)));
        assert_eq!(query(&t, balance_of_input(&ALICE)), 700u128.to_le_bytes().to_vec());
        assert_eq!(query(&t, balance_of_input(&BOB)), 300u128.to_le_bytes().to_vec());
        let topic = H256(polkadot_sdk::sp_io::hashing::keccak_256(b"Transfer(address,address,uint256)"));
        let emitted = contract_events().into_iter().find_map(|e| match e {
            Event::ContractEmitted { contract, topics, data } => Some((contract, topics.into_inner(), data)),
            _ => None,
        });
        assert_eq!(emitted, Some((t.clone(), vec![topic, H256(ALICE.into()), H256(BOB.into())], 300u128.to_le_bytes().to_vec())));
        // Too much: the token reverts and nothing changes.
        let root = sp_io::storage::root(StateVersion::V1);
        assert_eq!(error_of(call(&t, transfer_input(&BOB, 701))), Error::<Test>::ContractReverted.into());
        assert_eq!(sp_io::storage::root(StateVersion::V1), root);
    });
}

#[test]
fn traps_leave_no_state_behind() {
    on_both_backends(|| {
        let t = deploy("trapper", vec![], b"");
        let before = (sp_io::storage::root(StateVersion::V1), Balances::free_balance(ALICE));
        // Dispatchables are transactional: compare state after the failed call with before.
        let r = call(&t, vec![0]);
        assert_eq!(error_of(r), Error::<Test>::ContractTrapped { kind: TrapCode::Unimp }.into());
        assert_eq!(Contracts::get_storage(&t, b"touched").unwrap(), None);
        assert_eq!((sp_io::storage::root(StateVersion::V1), Balances::free_balance(ALICE)), before);
        // The actual weight charged includes the gas used (fees are paid).
        let post = call(&t, vec![0]).unwrap_err().post_info;
        assert!(post.actual_weight.unwrap().ref_time() > 0);
        assert_eq!(error_of(call(&t, vec![1])), Error::<Test>::ContractReverted.into());
        assert_eq!(Contracts::get_storage(&t, b"touched").unwrap(), None);
    });
}

/// Dispatches a contracts call as an extrinsic would be: through the runtime's
/// storage layer and the `StoreFailedReceipts` extension.
fn dispatch_as_extrinsic(call: crate::Call<Test>) -> polkadot_sdk::frame_support::dispatch::DispatchResultWithPostInfo {
    use polkadot_sdk::{frame_support::dispatch::GetDispatchInfo, sp_runtime::traits::DispatchTransaction};
    let call = RuntimeCall::Contracts(call);
    let info = call.get_dispatch_info();
    crate::StoreFailedReceipts::<Test>::new()
        .dispatch_transaction(RuntimeOrigin::signed(ALICE), call, &info, 0, 0)
        .expect("valid transaction")
}

fn call_tx(dest: &AccountId32, gas_limit: Weight, data: Vec<u8>) -> crate::Call<Test> {
    crate::Call::call { dest: dest.clone(), value: 0, gas_limit, storage_deposit_limit: NO_LIMIT, data }
}

#[test]
fn failed_executions_keep_their_receipts_and_nothing_else() {
    on_both_backends(|| {
        let t = deploy("trapper", vec![], b"");
        let l = deploy("looper", vec![], b"");
        assert_eq!(ReceiptCount::<Test>::get(1), 2);
        System::reset_events();
        let root = |c: &AccountId32| ContractInfoOf::<Test>::get(c).map(|i| i.trie_id);
        let tries = (root(&t), root(&l));

        let r = dispatch_as_extrinsic(call_tx(&t, gas(), vec![0]));
        assert_eq!(error_of(r), Error::<Test>::ContractTrapped { kind: TrapCode::Unimp }.into());
        let r = dispatch_as_extrinsic(call_tx(&t, gas(), vec![1]));
        assert_eq!(error_of(r), Error::<Test>::ContractReverted.into());
        let limit = Weight::from_parts(200_000_000, 0);
        let r = dispatch_as_extrinsic(call_tx(&l, limit, vec![]));
        assert_eq!(error_of(r), Error::<Test>::OutOfGas.into());
        // No execution, no receipt.
        let r = dispatch_as_extrinsic(call_tx(&BOB, gas(), vec![]));
        assert_eq!(error_of(r), Error::<Test>::ContractNotFound.into());

        // The contracts' writes are gone; the receipts stay, in order, with events.
        assert_eq!(Contracts::get_storage(&t, b"touched").unwrap(), None);
        assert_eq!(Contracts::get_storage(&l, b"touched").unwrap(), None);
        assert_eq!((root(&t), root(&l)), tries);
        assert_eq!(ReceiptCount::<Test>::get(1), 5);
        let receipts: Vec<_> = (2..5).map(|i| Receipts::<Test>::get(1, i).unwrap()).collect();
        let outcomes: Vec<_> = receipts.iter().map(|r| r.outcome).collect();
        assert_eq!(outcomes, vec![Outcome::Trapped(TrapCode::Unimp), Outcome::Reverted, Outcome::OutOfGas]);
        assert_eq!(receipts[1].output_hash, H256(blake2_256(b"no")));
        assert_eq!(receipts[2].contract, l);
        assert_eq!(receipts[2].gas_used, receipts[2].gas_limit);
        assert_eq!(receipts[0].input_hash, H256(blake2_256(&[0])));
        let stored: Vec<_> = contract_events()
            .into_iter()
            .filter_map(|e| match e {
                Event::ReceiptStored { index, receipt } => Some((index, receipt)),
                _ => None,
            })
            .collect();
        assert_eq!(stored, (2..5).zip(receipts.clone()).collect::<Vec<_>>());

        // A receipt left by a dispatch that didn't go through the extension is
        // dropped before the next extrinsic, not stored under it.
        assert!(call(&t, vec![0]).is_err());
        let c = deploy("counter", vec![], b"");
        assert_eq!(ReceiptCount::<Test>::get(1), 6);
        assert_ok!(dispatch_as_extrinsic(call_tx(&c, gas(), vec![0])));
        assert_eq!(ReceiptCount::<Test>::get(1), 7);
        assert_eq!(Receipts::<Test>::get(1, 6).unwrap().contract, c);
        receipts
    });
}

#[test]
fn out_of_gas_leaves_no_state_behind_and_charges_the_whole_limit() {
    on_both_backends(|| {
        let l = deploy("looper", vec![], b"");
        let before = sp_io::storage::root(StateVersion::V1);
        let limit = Weight::from_parts(200_000_000, 0); // 200 µs of VM gas
        let r = Contracts::call(RuntimeOrigin::signed(ALICE), l.clone(), 0, limit, NO_LIMIT, vec![]);
        let e = r.unwrap_err();
        assert_eq!(e.error, Error::<Test>::OutOfGas.into());
        // All the gas the limit bought is charged: the limit less what is left over
        // when it is divided into whole gas units.
        let all_gas = Contracts::weight_from_gas(Contracts::gas_from_weight(limit));
        assert!(limit.ref_time() - all_gas.ref_time() < Contracts::weight_per_gas());
        assert_eq!(e.post_info.actual_weight, Some(<() as crate::WeightInfo>::call(0).saturating_add(all_gas)));
        assert_eq!(sp_io::storage::root(StateVersion::V1), before);
        assert_eq!(Contracts::get_storage(&l, b"touched").unwrap(), None);
        // Too little gas even to load the code.
        let r = Contracts::call(RuntimeOrigin::signed(ALICE), l, 0, Weight::from_parts(1_000, 0), NO_LIMIT, vec![]);
        assert_eq!(error_of(r), Error::<Test>::OutOfGas.into());
    });
}

#[test]
fn calling_nothing_is_an_error() {
    on_both_backends(|| {
        assert_eq!(error_of(call(&BOB, vec![])), Error::<Test>::ContractNotFound.into());
    });
}

fn forward(callee: &AccountId32, allow_reentry: bool, value: u128, gas: u64, input: &[u8]) -> Vec<u8> {
    let mut v = vec![0];
    v.extend_from_slice(callee.as_ref());
    v.push(allow_reentry as u8);
    v.extend_from_slice(&value.to_le_bytes());
    v.extend_from_slice(&gas.to_le_bytes());
    v.extend_from_slice(input);
    v
}

#[test]
fn nested_calls_return_output_and_failures_revert_only_the_callee() {
    on_both_backends(|| {
        let caller = deploy("caller", vec![], b"");
        let counter = deploy("counter", vec![], b"");
        let trapper = deploy("trapper", vec![], b"");
        let looper = deploy("looper", vec![], b"");
        // Success: the callee's output comes back behind status 0.
        assert_eq!(query(&caller, forward(&counter, false, 0, 0, &[0])), [&[0u8][..], &1u32.to_le_bytes()].concat());
        assert_ok!(call(&caller, forward(&counter, false, 0, 0, &[0])));
        assert_eq!(Contracts::get_storage(&counter, b"count").unwrap(), Some(1u32.to_le_bytes().to_vec()));
        // A trapping callee: status 2, its write undone, the caller's own write kept.
        assert_ok!(call(&caller, forward(&trapper, false, 0, 0, &[0])));
        assert_eq!(Contracts::get_storage(&trapper, b"touched").unwrap(), None);
        assert_eq!(Contracts::get_storage(&caller, b"last").unwrap(), Some(vec![2]));
        // A reverting callee: status 1 with its output.
        assert_eq!(query(&caller, forward(&trapper, false, 0, 0, &[1])), b"\x01no".to_vec());
        // A callee out of gas (limited to 50,000): status 2, the caller goes on.
        assert_eq!(query(&caller, forward(&looper, false, 0, 50_000, &[])), vec![2]);
        assert_eq!(Contracts::get_storage(&looper, b"touched").unwrap(), None);
        // No contract there: status 3.
        assert_eq!(query(&caller, forward(&BOB, false, 0, 0, &[])), vec![3]);
        // A value the caller doesn't have: status 4.
        assert_eq!(query(&caller, forward(&counter, false, u128::MAX / 2, 0, &[1])), vec![4]);
    });
}

#[test]
fn value_moves_with_calls() {
    on_both_backends(|| {
        let probe = deploy("probe", vec![], b"");
        let before = Balances::free_balance(&probe);
        assert_ok!(Contracts::call(RuntimeOrigin::signed(ALICE), probe.clone(), 5_000, gas(), NO_LIMIT, vec![2]));
        assert_eq!(Balances::free_balance(&probe), before + 5_000);
        let r = Contracts::dry_run_call(ALICE, probe.clone(), 777, Some(gas()), None, vec![2]);
        assert_eq!(r.result.unwrap().data, 777u128.to_le_bytes().to_vec());
        assert_eq!(
            error_of(Contracts::call(RuntimeOrigin::signed(POOR), probe, 1_000_000, gas(), NO_LIMIT, vec![2])),
            Error::<Test>::TransferFailed.into()
        );
    });
}

#[test]
fn call_depth_is_limited() {
    on_both_backends(|| {
        let caller = deploy("caller", vec![], b"");
        let recurse = |depth: u32| [&[2u8][..], &depth.to_le_bytes()].concat();
        // Depth 8 frames in all: the top one and 7 below.
        assert_eq!(query(&caller, recurse(7)), 7u32.to_le_bytes().to_vec());
        // One more: the deepest frame is refused its call (status 6) and reverts with it.
        let r = Contracts::dry_run_call(ALICE, caller.clone(), 0, Some(gas()), None, recurse(8));
        let out = r.result.unwrap();
        assert!(out.reverted);
        assert_eq!(out.data, vec![6]);
        assert_eq!(error_of(call(&caller, recurse(8))), Error::<Test>::ContractReverted.into());
    });
}

#[test]
fn reentry_is_denied_unless_allowed() {
    on_both_backends(|| {
        let a = deploy("caller", vec![], b"a");
        let b = deploy("caller", vec![], b"b");
        let counter = deploy("counter", vec![], b"");
        // a -> b -> a, not allowed by b's call: b sees status 7 and returns it; a's call
        // to b succeeded. A callee can't make its caller fail this way.
        let inner = forward(&counter, false, 0, 0, &[1]);
        let back_to_a = forward(&a, false, 0, 0, &inner);
        assert_eq!(query(&a, forward(&b, false, 0, 0, &back_to_a)), vec![0, 7]);
        assert_ok!(call(&a, forward(&b, false, 0, 0, &back_to_a)));
        // Allowed: a runs again and calls the counter (count 0).
        let back_to_a = forward(&a, true, 0, 0, &inner);
        assert_eq!(query(&a, forward(&b, false, 0, 0, &back_to_a)), [&[0u8, 0, 0][..], &0u32.to_le_bytes()].concat());
    });
}

#[test]
fn contracts_instantiate_contracts() {
    on_both_backends(|| {
        let caller = deploy("caller", vec![], b"");
        let code = blob("counter");
        let hash = H256(blake2_256(&code));
        assert_ok!(Contracts::upload_code(RuntimeOrigin::signed(ALICE), code, NO_LIMIT));
        let mut input = vec![1];
        input.extend_from_slice(hash.as_bytes());
        input.extend_from_slice(&0u128.to_le_bytes());
        input.push(2);
        input.extend_from_slice(b"s1");
        input.extend_from_slice(&7u32.to_le_bytes());
        let expected = address::contract_address(&caller, &hash, b"s1");
        assert_eq!(query(&caller, input.clone()), [&[0u8][..], expected.as_ref()].concat());
        assert_ok!(call(&caller, input.clone()));
        assert_eq!(Contracts::get_storage(&expected, b"count").unwrap(), Some(7u32.to_le_bytes().to_vec()));
        // The same salt again: status 5 (duplicate).
        assert_eq!(query(&caller, input), vec![5]);
    });
}

#[test]
fn environment_host_calls() {
    on_both_backends(|| {
        let probe = deploy("probe", vec![], b"");
        assert_eq!(query(&probe, vec![0]), AsRef::<[u8]>::as_ref(&ALICE).to_vec());
        assert_eq!(query(&probe, vec![1]), AsRef::<[u8]>::as_ref(&probe).to_vec());
        assert_eq!(query(&probe, vec![3]), Balances::free_balance(&probe).to_le_bytes().to_vec());
        let data = b"rivet".to_vec();
        let expected =
            [blake2_256(&data), polkadot_sdk::sp_io::hashing::keccak_256(&data), polkadot_sdk::sp_io::hashing::sha2_256(&data)].concat();
        assert_eq!(query(&probe, [&[4u8][..], &data].concat()), expected);
        let mut time = 1u64.to_le_bytes().to_vec();
        time.extend_from_slice(&1_700_000_000_000u64.to_le_bytes());
        assert_eq!(query(&probe, vec![5]), time);
        let gas_left = u64::from_le_bytes(query(&probe, vec![6]).try_into().unwrap());
        assert!(gas_left > 0 && gas_left < crate::Pallet::<Test>::gas_from_weight(gas()));
        // Transfer from the contract's own balance.
        assert_ok!(Contracts::call(RuntimeOrigin::signed(ALICE), probe.clone(), 10_000, gas(), NO_LIMIT, vec![2]));
        let bob_before = Balances::free_balance(&BOB);
        let mut t = vec![7];
        t.extend_from_slice(BOB.as_ref());
        t.extend_from_slice(&4_000u128.to_le_bytes());
        assert_ok!(call(&probe, t.clone()));
        assert_eq!(Balances::free_balance(&BOB), bob_before + 4_000);
        // More than it has: status 4, nothing moves.
        t[33..49].copy_from_slice(&1_000_000u128.to_le_bytes());
        assert_eq!(query(&probe, t), vec![4]);
        // The debug log reaches dry runs.
        let r = Contracts::dry_run_call(ALICE, probe.clone(), 0, Some(gas()), None, vec![9]);
        assert_eq!(String::from_utf8(r.debug_log).unwrap(), "probe says hello\n");
        // Terminate: the balance goes to the beneficiary, the deposit back to the origin.
        let charlie_before = Balances::free_balance(&CHARLIE);
        let probe_balance = Balances::free_balance(&probe);
        let alice_before = Balances::free_balance(&ALICE);
        let held = Balances::balance_on_hold(&HoldReason::StorageDeposit.into(), &probe);
        let mut term = vec![8];
        term.extend_from_slice(CHARLIE.as_ref());
        assert_ok!(call(&probe, term));
        assert!(ContractInfoOf::<Test>::get(&probe).is_none());
        assert_eq!(Balances::free_balance(&CHARLIE), charlie_before + probe_balance);
        assert_eq!(Balances::free_balance(&ALICE), alice_before + held);
        assert!(contract_events().contains(&Event::Terminated { contract: probe, beneficiary: CHARLIE }));
    });
}

#[test]
fn storage_contains_and_bad_host_calls() {
    on_both_backends(|| {
        let probe = deploy("probe", vec![], b"");
        let expected: Vec<u8> = [u32::MAX, 5, u32::MAX].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(query(&probe, vec![10]), expected);
        assert_eq!(error_of(call(&probe, vec![11])), Error::<Test>::ContractTrapped { kind: TrapCode::UnknownHostCall }.into());
        assert_eq!(error_of(call(&probe, vec![12])), Error::<Test>::ContractTrapped { kind: TrapCode::BadHostCallArguments }.into());
    });
}

#[test]
fn storage_deposits_follow_storage() {
    on_both_backends(|| {
        let t = deploy("token", 1_000u128.to_le_bytes().to_vec(), b"");
        let held = |who: &AccountId32| Balances::balance_on_hold(&HoldReason::StorageDeposit.into(), who);
        let before = held(&t);
        // A new holder: one more item (100) + 32 key bytes + 16 value bytes.
        let alice_before = Balances::free_balance(&ALICE);
        assert_ok!(call(&t, transfer_input(&BOB, 10)));
        assert_eq!(held(&t), before + 100 + 48);
        assert_eq!(Balances::free_balance(&ALICE), alice_before - 148);
        // The holder's balance goes to zero: the item is cleared and the deposit refunded.
        assert_ok!(Contracts::call(RuntimeOrigin::signed(BOB), t.clone(), 0, gas(), NO_LIMIT, transfer_input(&ALICE, 10)));
        assert_eq!(held(&t), before);
        // A limit too small for a new item.
        assert_eq!(
            error_of(Contracts::call(RuntimeOrigin::signed(ALICE), t.clone(), 0, gas(), 10, transfer_input(&CHARLIE, 1))),
            Error::<Test>::StorageDepositLimitExhausted.into()
        );
        // A dry run reports the deposit a call would take.
        let r = Contracts::dry_run_call(ALICE, t.clone(), 0, Some(gas()), None, transfer_input(&CHARLIE, 1));
        assert_eq!(r.storage_deposit, 148);
    });
}

#[test]
fn dry_runs_report_gas_events_and_change_nothing() {
    on_both_backends(|| {
        let c = deploy("counter", vec![], b"");
        let r = Contracts::dry_run_call(ALICE, c.clone(), 0, None, None, vec![0]);
        let out = r.result.clone().unwrap();
        assert_eq!(out.data, 1u32.to_le_bytes().to_vec());
        assert!(r.gas_used > 0);
        assert!(r.events.iter().any(|e| matches!(e.event, RuntimeEvent::Contracts(Event::Called { .. }))));
        // The receipt the call would leave comes back too, failed or not; none is stored.
        assert_eq!(r.receipt.as_ref().map(|x| (x.outcome, x.gas_used)), Some((Outcome::Returned, r.gas_used)));
        let t = deploy("trapper", vec![], b"");
        let trapped = Contracts::dry_run_call(ALICE, t, 0, None, None, vec![0]);
        assert_eq!(trapped.receipt.map(|x| x.outcome), Some(Outcome::Trapped(TrapCode::Unimp)));
        assert_eq!(ReceiptCount::<Test>::get(1), 2);
        // The estimate is enough for the real call, and a bit less is not.
        let estimate = r.weight_required.saturating_sub(<() as crate::WeightInfo>::call(1));
        assert_ok!(Contracts::call(RuntimeOrigin::signed(ALICE), c.clone(), 0, estimate, NO_LIMIT, vec![0]));
        let short = Weight::from_parts(estimate.ref_time() - 2 * crate::Pallet::<Test>::weight_per_gas(), 0);
        assert_eq!(error_of(Contracts::call(RuntimeOrigin::signed(ALICE), c, 0, short, NO_LIMIT, vec![0])), Error::<Test>::OutOfGas.into());
        r.gas_used
    });
}

#[test]
fn terminate_clears_committed_storage_and_a_new_instance_starts_empty() {
    set_backend(Which::Interpreter);
    let mut ext = new_test_ext();
    let probe = ext.execute_with(|| {
        let probe = deploy("probe", vec![], b"again");
        assert_ok!(call(&probe, vec![13, 10]));
        probe
    });
    // Commit: the keys now live in the backend, not the overlay.
    ext.commit_all().unwrap();
    ext.execute_with(|| {
        let old = ContractInfoOf::<Test>::get(&probe).unwrap();
        assert_eq!(old.storage_items, 10);
        // Clear nine in this block, then terminate: the tenth must go too.
        assert_ok!(call(&probe, vec![14, 9]));
        let mut term = vec![8];
        term.extend_from_slice(CHARLIE.as_ref());
        assert_ok!(call(&probe, term));
        let old_child = address::child_info(&old.trie_id);
        assert_eq!(polkadot_sdk::frame_support::storage::child::get_raw(&old_child, &[b's', 9]), None);
        // The same deployer, code and salt: the same address, a new trie.
        let again = deploy("probe", vec![], b"again");
        assert_eq!(again, probe);
        assert_ne!(ContractInfoOf::<Test>::get(&again).unwrap().trie_id, old.trie_id);
        assert_eq!(Contracts::get_storage(&again, &[b's', 9]).unwrap(), None);
    });
}
