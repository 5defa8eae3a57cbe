//! End to end: the real `rivet-node --dev`, driven over RPC with subxt: upload,
//! instantiate and call a contract with signed extrinsics, check events, output and
//! storage, the same through the dry-run API; bad input gets the right error and the
//! chain goes on; a restart keeps the chain and the contracts.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use codec::{Decode, Encode};
use pallet_rivet_contracts::{address::contract_address, ContractResult};
use polkadot_sdk::{
    sp_core::H256,
    sp_io::hashing::blake2_256,
    sp_runtime::{AccountId32, DispatchError},
};
use subxt::{
    dynamic::{self, Value},
    OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::{dev, Keypair};

type Client = OnlineClient<PolkadotConfig>;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Node {
    child: Child,
    rpc_port: u16,
}

impl Node {
    fn start(base: &Path) -> Node {
        let rpc_port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_rivet-node"))
            .args(["--dev", "--no-telemetry", "--no-prometheus", "--no-mdns"])
            .arg("--base-path")
            .arg(base)
            .args(["--rpc-port", &rpc_port.to_string(), "--port", &free_port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(base.with_extension("log")).unwrap()))
            .spawn()
            .expect("rivet-node starts");
        let node = Node { child, rpc_port };
        let deadline = Instant::now() + Duration::from_secs(120);
        while rpc(node.rpc_port, "system_health", "[]").is_none() {
            assert!(Instant::now() < deadline, "the node's RPC did not come up (log: {})", base.with_extension("log").display());
            std::thread::sleep(Duration::from_millis(250));
        }
        node
    }

    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.rpc_port)
    }

    fn stop(mut self) {
        // SIGINT, as Ctrl-C would: the node shuts down cleanly; kill only if it hangs.
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// A raw JSON-RPC call over HTTP: the response body, or None if the node isn't up.
fn rpc(port: u16, method: &str, params: &str) -> Option<String> {
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#);
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split("\r\n\r\n").nth(1).map(str::to_string)
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

async fn runtime_call<R: Decode>(api: &Client, function: &str, args: impl Encode) -> R {
    let at = api.at_current_block().await.unwrap();
    let bytes = at.runtime_apis().call_raw(function, Some(&args.encode())).await.unwrap();
    R::decode(&mut &bytes[..]).unwrap()
}

async fn storage(api: &Client, contract: &AccountId32, key: &[u8]) -> Option<Vec<u8>> {
    let r: Result<Option<Vec<u8>>, DispatchError> = runtime_call(api, "RivetContractsApi_get_storage", (contract.clone(), key.to_vec())).await;
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
        (Value::u128(0), weight(GAS), Value::u128(u128::MAX), Value::from_bytes(code_hash.0), Value::from_bytes(data), Value::from_bytes(salt)),
    )
}

fn call(dest: &AccountId32, data: &[u8], gas: u64) -> impl subxt::tx::Payload {
    let dest: &[u8] = dest.as_ref();
    dynamic::transaction("Contracts", "call", (Value::from_bytes(dest), Value::u128(0), weight(gas), Value::u128(u128::MAX), Value::from_bytes(data)))
}

type DryRun = ContractResult<AccountId32, rivet_runtime::EventRecord>;

#[tokio::test(flavor = "multi_thread")]
async fn dev_chain_runs_contracts_end_to_end() {
    let dir = std::env::temp_dir().join(format!("rivet-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let base = dir.join("chain");
    let node = Node::start(&base);
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
    let dry: DryRun = runtime_call(&api, "RivetContractsApi_call", (account(&alice), contract.clone(), 0u128, Option::<polkadot_sdk::sp_weights::Weight>::None, Option::<u128>::None, vec![0u8])).await;
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
    }
    let before = best_number(&api).await;
    submit(&api, call(&contract, &[0], GAS), &alice).await.expect("the chain still takes calls");
    assert!(best_number(&api).await > before);
    assert_eq!(storage(&api, &contract, b"count").await, Some(7u32.to_le_bytes().to_vec()));

    // Restart on the same database: the chain and the contract are still there.
    let height = best_number(&api).await;
    drop(api);
    node.stop();
    let node = Node::start(&base);
    let api = Client::from_insecure_url(node.url()).await.unwrap();
    assert!(best_number(&api).await >= height);
    assert_eq!(storage(&api, &contract, b"count").await, Some(7u32.to_le_bytes().to_vec()));
    submit(&api, call(&contract, &[0], GAS), &alice).await.expect("calls work after a restart");
    assert_eq!(storage(&api, &contract, b"count").await, Some(8u32.to_le_bytes().to_vec()));
    node.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
