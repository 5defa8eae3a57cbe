//! End to end: the real `rivet-node --dev`, driven over RPC with subxt: upload,
//! instantiate and call a contract with signed extrinsics, check events, output and
//! storage, the same through the dry-run API; bad input gets the right error and the
//! chain goes on; a restart keeps the chain and the contracts.

use codec::{Decode, Encode};
use pallet_rivet_contracts::{address::contract_address, ContractResult};
use polkadot_sdk::{
    sp_core::H256,
    sp_io::hashing::blake2_256,
    sp_runtime::{AccountId32, DispatchError},
};
use rivet_local_node::{rpc, Node};
use subxt::{
    dynamic::{self, Value},
    OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::{dev, Keypair};

type Client = OnlineClient<PolkadotConfig>;

fn start(base: &std::path::Path) -> Node {
    Node::dev(std::path::Path::new(env!("CARGO_BIN_EXE_rivet-node")), base)
}

fn weight(ref_time: u64) -> Value {
    Value::named_composite([("ref_time", Value::u128(ref_time as u128)), ("proof_size", Value::u128(1 << 20))])
}

const GAS: u64 = 50_000_000_000; // 50 ms of weight: 5·10^7 VM gas

fn account(k: &Keypair) -> AccountId32 {
    AccountId32::new(k.public_key().0)
}

/// Submits and waits for finality: Ok(pallet/event names) or the dispatch error text.
async fn submit(api: &Client, call: impl subxt::tx::Payload, signer: &Keypair) -> Result<Vec<String>, String> {
    let at = api.at_current_block().await.map_err(|e| e.to_string())?;
    let progress = at.transactions().sign_and_submit_then_watch_default(&call, signer).await.map_err(|e| e.to_string())?;
    let events = progress.wait_for_finalized_success().await.map_err(|e| e.to_string())?;
    Ok(events.iter().filter_map(|e| e.ok()).map(|e| format!("{}::{}", e.pallet_name(), e.event_name())).collect())
}

/// Submits and waits for finality: the extrinsic's pallet/event names, failed or not.
async fn submit_for_events(api: &Client, call: impl subxt::tx::Payload, signer: &Keypair) -> Vec<String> {
    let at = api.at_current_block().await.unwrap();
    let progress = at.transactions().sign_and_submit_then_watch_default(&call, signer).await.unwrap();
    let events = progress.wait_for_finalized().await.unwrap().fetch_events().await.unwrap();
    events.iter().filter_map(|e| e.ok()).map(|e| format!("{}::{}", e.pallet_name(), e.event_name())).collect()
}

async fn runtime_call<R: Decode>(api: &Client, function: &str, args: impl Encode) -> R {
    let at = api.at_current_block().await.unwrap();
    let bytes = at.runtime_apis().call_raw(function, Some(&args.encode())).await.unwrap();
    R::decode(&mut &bytes[..]).unwrap()
}

async fn storage(api: &Client, contract: &AccountId32, key: &[u8]) -> Option<Vec<u8>> {
    let r: Result<Option<Vec<u8>>, DispatchError> =
        runtime_call(api, "RivetContractsApi_get_storage", (contract.clone(), key.to_vec())).await;
    r.expect("the contract exists")
}

async fn best_number(api: &Client) -> u64 {
    api.at_current_block().await.unwrap().block_number().into()
}

fn upload(blob: &[u8]) -> impl subxt::tx::Payload {
    dynamic::transaction("Contracts", "upload_code", (Value::from_bytes(blob), Value::u128(u128::MAX)))
}

fn instantiate(code_hash: H256, data: &[u8], salt: &[u8]) -> impl subxt::tx::Payload {
    dynamic::transaction(
        "Contracts",
        "instantiate",
        (
            Value::u128(0),
            weight(GAS),
            Value::u128(u128::MAX),
            Value::from_bytes(code_hash.0),
            Value::from_bytes(data),
            Value::from_bytes(salt),
        ),
    )
}

fn call(dest: &AccountId32, data: &[u8], gas: u64) -> impl subxt::tx::Payload {
    let dest: &[u8] = dest.as_ref();
    dynamic::transaction(
        "Contracts",
        "call",
        (Value::from_bytes(dest), Value::u128(0), weight(gas), Value::u128(u128::MAX), Value::from_bytes(data)),
    )
}

type DryRun = ContractResult<AccountId32, rivet_runtime::EventRecord>;

#[tokio::test(flavor = "multi_thread")]
async fn dev_chain_runs_contracts_end_to_end() {
    let dir = std::env::temp_dir().join(format!("rivet-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let base = dir.join("chain");
    let node = start(&base);
    let api = Client::from_insecure_url(node.url()).await.expect("subxt connects");
    let alice = dev::alice();

    // Upload, instantiate, call.
    let counter = rivet_test_programs::blob("counter");
    let code_hash = H256(blake2_256(counter));
    let events = submit(&api, upload(counter), &alice).await.expect("upload succeeds");
    assert!(events.contains(&"Contracts::CodeStored".to_string()), "{events:?}");
    let events = submit(&api, instantiate(code_hash, &5u32.to_le_bytes(), b"e2e"), &alice).await.expect("instantiate succeeds");
    assert!(events.contains(&"Contracts::Instantiated".to_string()), "{events:?}");
    let contract = contract_address(&account(&alice), &code_hash, b"e2e");
    let events = submit(&api, call(&contract, &[0], GAS), &alice).await.expect("call succeeds");
    assert!(events.contains(&"Contracts::Called".to_string()) && events.contains(&"Contracts::ReceiptStored".to_string()), "{events:?}");
    assert_eq!(storage(&api, &contract, b"count").await, Some(6u32.to_le_bytes().to_vec()));

    // The dry-run API: output, gas, events; nothing committed.
    let dry: DryRun = runtime_call(
        &api,
        "RivetContractsApi_call",
        (account(&alice), contract.clone(), 0u128, Option::<polkadot_sdk::sp_weights::Weight>::None, Option::<u128>::None, vec![0u8]),
    )
    .await;
    let out = dry.result.expect("dry run succeeds");
    assert_eq!(out.data, 7u32.to_le_bytes().to_vec());
    assert!(dry.gas_used > 0 && !dry.events.is_empty());
    assert_eq!(storage(&api, &contract, b"count").await, Some(6u32.to_le_bytes().to_vec()));

    // Bad input: each gets its error, and the chain goes on.
    let malformed = rpc(node.rpc_port, "author_submitExtrinsic", r#"["0xdeadbeef"]"#).expect("the node answers");
    assert!(malformed.contains("error"), "{malformed}");
    let bad_blob = submit(&api, upload(b"RIVT not really a blob"), &alice).await.unwrap_err();
    assert!(bad_blob.contains("CodeRejected"), "{bad_blob}");
    let nobody = submit(&api, call(&AccountId32::new([7; 32]), &[], GAS), &alice).await.unwrap_err();
    assert!(nobody.contains("ContractNotFound"), "{nobody}");
    for (name, input, gas, expected) in [("trapper", vec![0u8], GAS, "ContractTrapped"), ("looper", vec![], 1_000_000_000, "OutOfGas")] {
        let blob = rivet_test_programs::blob(name);
        let hash = H256(blake2_256(blob));
        submit(&api, upload(blob), &alice).await.unwrap();
        submit(&api, instantiate(hash, &[], b""), &alice).await.unwrap();
        let c = contract_address(&account(&alice), &hash, b"");
        let err = submit(&api, call(&c, &input, gas), &alice).await.unwrap_err();
        assert!(err.contains(expected), "{name}: {err}");
        assert_eq!(storage(&api, &c, b"touched").await, None, "{name} left state behind");
        // The failed execution still leaves its receipt (the runtime's StoreFailedReceipts).
        let events = submit_for_events(&api, call(&c, &input, gas), &alice).await;
        assert!(
            events.contains(&"System::ExtrinsicFailed".to_string()) && events.contains(&"Contracts::ReceiptStored".to_string()),
            "{name}: {events:?}"
        );
    }
    let before = best_number(&api).await;
    submit(&api, call(&contract, &[0], GAS), &alice).await.expect("the chain still takes calls");
    assert!(best_number(&api).await > before);
    assert_eq!(storage(&api, &contract, b"count").await, Some(7u32.to_le_bytes().to_vec()));

    // Restart on the same database: the chain and the contract are still there.
    let height = best_number(&api).await;
    drop(api);
    node.stop();
    let node = start(&base);
    let api = Client::from_insecure_url(node.url()).await.unwrap();
    assert!(best_number(&api).await >= height);
    assert_eq!(storage(&api, &contract, b"count").await, Some(7u32.to_le_bytes().to_vec()));
    submit(&api, call(&contract, &[0], GAS), &alice).await.expect("calls work after a restart");
    assert_eq!(storage(&api, &contract, b"count").await, Some(8u32.to_le_bytes().to_vec()));
    node.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
