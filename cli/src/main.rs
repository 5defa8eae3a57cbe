//! `rivet`: the contract author's tool. Build a contract crate into a validated blob,
//! inspect it, and upload, instantiate, call, dry-run and read storage against a node.

mod chain;
mod project;
mod sdk;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use pallet_rivet_contracts::{address::contract_address, Code, Event as ContractsEvent};
use polkadot_sdk::{
    sp_core::{crypto::Ss58Codec, H256},
    sp_crypto_hashing::blake2_256,
    sp_runtime::AccountId32,
    sp_weights::Weight,
};
use rivet_runtime::RuntimeEvent;
use rivet_vm_cli::input::{hex, parse_hex, InputArgs};
use subxt_signer::{sr25519::Keypair, SecretUri};

use chain::{explain, Chain, DryRun, Extrinsic};

/// Build, inspect, deploy and call Rivet contracts.
#[derive(Parser)]
#[command(name = "rivet", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Args, Clone)]
struct NodeArgs {
    /// The node's RPC endpoint.
    #[arg(long, env = "RIVET_URL", default_value = "ws://127.0.0.1:9944")]
    url: String,
    /// The signing key's secret URI: a dev account (//Alice, //Bob, ...), a mnemonic
    /// or a hex seed, with optional //hard and /soft derivations.
    #[arg(long, env = "RIVET_SURI", default_value = "//Alice")]
    suri: String,
}

#[derive(Args, Clone)]
struct TxArgs {
    /// Balance to transfer to the contract.
    #[arg(long, default_value_t = 0)]
    value: u128,
    /// Gas limit as weight ref-time (picoseconds). Left out, a dry run estimates it.
    #[arg(long)]
    gas: Option<u64>,
    /// Proof-size part of the gas limit, in bytes. Left out, the dry run's estimate.
    #[arg(long)]
    proof_size: Option<u64>,
    /// The most storage deposit to pay; unlimited when left out.
    #[arg(long)]
    storage_deposit_limit: Option<u128>,
}

#[derive(Args, Clone)]
struct InstantiateArgs {
    /// The contract's blob (uploaded with the instantiation if not stored yet).
    #[arg(required_unless_present = "code_hash", conflicts_with = "code_hash")]
    blob: Option<PathBuf>,
    /// Instantiate code already on chain, by its hash.
    #[arg(long)]
    code_hash: Option<String>,
    /// Salt (hex) that makes the address differ from other instances of this code.
    #[arg(long, default_value = "")]
    salt: String,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    tx: TxArgs,
    #[command(flatten)]
    node: NodeArgs,
}

#[derive(Args, Clone)]
struct CallArgs {
    /// The contract's address (SS58 or 0x-hex).
    contract: String,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    tx: TxArgs,
    #[command(flatten)]
    node: NodeArgs,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a contract crate from the template (a counter).
    New {
        /// Directory to create; its name is the crate's.
        path: PathBuf,
        /// A guest SDK directory to use (`guest-sdk/` of a Rivet checkout) instead of
        /// the one this tool carries (unpacked under ~/.cache/rivet/guest-sdk).
        #[arg(long, env = "RIVET_SDK")]
        sdk: Option<PathBuf>,
    },
    /// Build a contract crate into a validated blob (`target/rivet/<name>.blob`).
    Build {
        #[arg(long, default_value = "Cargo.toml")]
        manifest_path: PathBuf,
    },
    /// Show a blob's sections, entry points, code hash and disassembly.
    Inspect { blob: PathBuf },
    /// Store a blob's code on chain.
    Upload {
        blob: PathBuf,
        #[arg(long)]
        storage_deposit_limit: Option<u128>,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Create a contract from a blob or a stored code hash (runs its `deploy`).
    Instantiate(InstantiateArgs),
    /// Call a contract.
    Call(CallArgs),
    /// Run a call or an instantiation without committing anything: output, gas,
    /// storage deposit, events and the debug log.
    #[command(subcommand)]
    DryRun(DryRunCmd),
    /// Read one key of a contract's storage.
    Storage {
        contract: String,
        /// The key: text, or hex with --hex.
        key: String,
        #[arg(long)]
        hex: bool,
        /// The node's RPC endpoint.
        #[arg(long, env = "RIVET_URL", default_value = "ws://127.0.0.1:9944")]
        url: String,
    },
}

#[derive(Subcommand)]
enum DryRunCmd {
    Call(CallArgs),
    Instantiate(InstantiateArgs),
}

/// What went wrong, by whose fault: exit code 2 for the command line or the files
/// given, 1 for everything else.
#[derive(Debug)]
pub enum CliError {
    Usage(String),
    Build(String),
    Chain(String),
}

fn main() -> ExitCode {
    rivet_vm_cli::exit_quietly_on_closed_pipe();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: can't start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(CliError::Build(m) | CliError::Chain(m)) => {
            eprintln!("error: {m}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cmd: Cmd) -> Result<(), CliError> {
    match cmd {
        Cmd::New { path, sdk } => {
            let sdk = match sdk {
                Some(dir) => dir,
                None => sdk::unpacked()?,
            };
            let name = project::new(&path, &sdk)?;
            println!("created contract crate `{name}` in {}", path.display());
            println!("next: cd {} && rivet build", path.display());
            Ok(())
        }
        Cmd::Build { manifest_path } => {
            let built = project::build(&manifest_path)?;
            println!("blob: {} ({} bytes)", built.blob_path.display(), built.blob.len());
            println!("code hash: 0x{}", hex(&blake2_256(&built.blob)));
            let entries: Vec<_> = built.program.entry_points().iter().map(|(n, _)| n.as_str()).collect();
            println!("entry points: {}", entries.join(", "));
            Ok(())
        }
        Cmd::Inspect { blob } => {
            let bytes = read(&blob)?;
            let program = rivet_vm::parse(&bytes, &rivet_vm::Limits::default())
                .map_err(|e| CliError::Usage(format!("{} is not a valid blob: {e}", blob.display())))?;
            println!("blob     {} bytes, code hash 0x{}", bytes.len(), hex(&blake2_256(&bytes)));
            if let Err(CliError::Build(why)) = project::validate(&bytes) {
                println!("warning  {why}");
            }
            print!("{}", rivet_vm_cli::inspect::describe(&program));
            Ok(())
        }
        Cmd::Upload { blob, storage_deposit_limit, node } => {
            let code = read_contract(&blob)?;
            let (chain, signer) = connect(&node).await?;
            let origin = account(&signer);
            match chain.dry_run_upload(&origin, &code, storage_deposit_limit).await? {
                Ok(r) if r.deposit == 0 => {
                    println!("code hash: {:?} (already stored; nothing to do)", r.code_hash);
                    return Ok(());
                }
                Ok(_) => {}
                Err(e) => return Err(CliError::Chain(explain(&e))),
            }
            let events = chain.submit(Extrinsic::upload(&code, storage_deposit_limit.unwrap_or(u128::MAX)), &signer).await?;
            for e in &events {
                if let RuntimeEvent::Contracts(ContractsEvent::CodeStored { code_hash, deposit, .. }) = e {
                    println!("code hash: {code_hash:?}");
                    println!("deposit held: {deposit}");
                }
            }
            Ok(())
        }
        Cmd::Instantiate(args) => instantiate(args, false).await,
        Cmd::DryRun(DryRunCmd::Instantiate(args)) => instantiate(args, true).await,
        Cmd::Call(args) => call(args, false).await,
        Cmd::DryRun(DryRunCmd::Call(args)) => call(args, true).await,
        Cmd::Storage { contract, key, hex: is_hex, url } => {
            let contract = address(&contract)?;
            let key = if is_hex { parse_hex(&key).map_err(CliError::Usage)? } else { key.into_bytes() };
            let chain = Chain::connect(&url).await?;
            match chain.storage(&contract, &key).await? {
                Some(v) => println!("0x{}", hex(&v)),
                None => {
                    println!("(no value)");
                }
            }
            Ok(())
        }
    }
}

fn read(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::Usage(format!("can't read {}: {e}", path.display())))
}

/// A blob the user named, checked as the chain's upload will check it: a rejection
/// is the user's file's fault (exit code 2), not the chain's.
fn read_contract(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    let code = read(path)?;
    project::validate(&code).map_err(|e| match e {
        CliError::Build(m) => CliError::Usage(format!("{}: {m}", path.display())),
        e => e,
    })?;
    Ok(code)
}

fn address(s: &str) -> Result<AccountId32, CliError> {
    if let Some(h) = s.strip_prefix("0x") {
        let b = parse_hex(h).map_err(CliError::Usage)?;
        let raw: [u8; 32] = b.try_into().map_err(|_| CliError::Usage(format!("{s} is not a 32-byte address")))?;
        return Ok(AccountId32::new(raw));
    }
    AccountId32::from_ss58check(s).map_err(|e| CliError::Usage(format!("{s} is not an address (SS58 or 0x-hex): {e:?}")))
}

fn account(k: &Keypair) -> AccountId32 {
    AccountId32::new(k.public_key().0)
}

async fn connect(node: &NodeArgs) -> Result<(Chain, Keypair), CliError> {
    let uri: SecretUri = node.suri.parse().map_err(|e| CliError::Usage(format!("--suri is not a secret URI: {e}")))?;
    let signer = Keypair::from_uri(&uri).map_err(|e| CliError::Usage(format!("--suri gives no key: {e}")))?;
    Ok((Chain::connect(&node.url).await?, signer))
}

fn given_gas(tx: &TxArgs) -> Option<Weight> {
    tx.gas.map(|g| Weight::from_parts(g, tx.proof_size.unwrap_or(u64::MAX / 2)))
}

/// The gas limit to submit with: the user's, or the dry run's estimate.
fn gas_for(tx: &TxArgs, dry: &DryRun) -> Weight {
    given_gas(tx).unwrap_or_else(|| {
        let w = dry.weight_required;
        Weight::from_parts(w.ref_time(), tx.proof_size.unwrap_or(w.proof_size()))
    })
}

/// Prints a dry run's findings; an error when the execution would fail.
fn report_dry_run(dry: &DryRun) -> Result<(), CliError> {
    let log = String::from_utf8_lossy(&dry.debug_log);
    for line in log.lines() {
        println!("debug: {line}");
    }
    println!(
        "gas used: {} VM gas; weight required: ref_time {}, proof_size {}",
        dry.gas_used,
        dry.weight_required.ref_time(),
        dry.weight_required.proof_size()
    );
    println!("storage deposit: {}", dry.storage_deposit);
    for e in &dry.events {
        print_event(&e.event);
    }
    match &dry.result {
        Ok(out) => {
            if let Some(c) = &out.contract {
                println!("contract: {c}");
            }
            println!("{}: 0x{}", if out.reverted { "reverted with" } else { "output" }, hex(&out.data));
            Ok(())
        }
        Err(e) => Err(CliError::Chain(explain(e))),
    }
}

/// Submitting what the dry run says fails would only cost fees: say why instead,
/// with the contract's debug log (a panic's message ends up there).
fn refuse_failing(dry: &DryRun) -> Result<(), CliError> {
    let why = match &dry.result {
        Ok(out) if out.reverted => format!("the contract reverted with 0x{}", hex(&out.data)),
        Ok(_) => return Ok(()),
        Err(e) => explain(e),
    };
    for line in String::from_utf8_lossy(&dry.debug_log).lines() {
        eprintln!("debug: {line}");
    }
    Err(CliError::Chain(format!("{why} (dry run; nothing was submitted)")))
}

/// After the chain said "out of gas" to a limit the user gave: the estimate.
async fn out_of_gas_hint(err: CliError, dry: impl std::future::Future<Output = Result<DryRun, CliError>>) -> CliError {
    match err {
        CliError::Chain(m) if m.contains("ran out of gas") => match dry.await {
            Ok(d) if d.result.is_ok() => CliError::Chain(format!(
                "{m}. A dry run estimates --gas {} (leave --gas out to use the estimate)",
                d.weight_required.ref_time()
            )),
            _ => CliError::Chain(m),
        },
        e => e,
    }
}

async fn instantiate(args: InstantiateArgs, dry_only: bool) -> Result<(), CliError> {
    let input = args.input.bytes().map_err(CliError::Usage)?;
    let salt = parse_hex(&args.salt).map_err(|e| CliError::Usage(format!("--salt: {e}")))?;
    let (blob, code_hash) = match (&args.blob, &args.code_hash) {
        (Some(path), _) => {
            let code = read_contract(path)?;
            let hash = blake2_256(&code);
            (Some(code), hash)
        }
        (None, Some(h)) => {
            let b = parse_hex(h).map_err(|e| CliError::Usage(format!("--code-hash: {e}")))?;
            (None, b.try_into().map_err(|_| CliError::Usage("--code-hash must be 32 bytes".into()))?)
        }
        (None, None) => return Err(CliError::Usage("give a blob or --code-hash".into())),
    };
    let (chain, signer) = connect(&args.node).await?;
    let origin = account(&signer);
    let code = match &blob {
        Some(b) => Code::Upload(b.clone()),
        None => Code::Existing(H256(code_hash)),
    };
    let tx = &args.tx;
    let dry = chain.dry_run_instantiate(&origin, tx.value, given_gas(tx), tx.storage_deposit_limit, code.clone(), &input, &salt).await?;
    if dry_only {
        return report_dry_run(&dry);
    }
    if tx.gas.is_none() {
        refuse_failing(&dry)?;
    }
    let gas = gas_for(tx, &dry);
    let deposit_limit = tx.storage_deposit_limit.unwrap_or(u128::MAX);
    let xt = match &blob {
        Some(b) => Extrinsic::instantiate_with_code(tx.value, gas, deposit_limit, b, &input, &salt),
        None => Extrinsic::instantiate(tx.value, gas, deposit_limit, code_hash, &input, &salt),
    };
    let events = match chain.submit(xt, &signer).await {
        Ok(ev) => ev,
        Err(e) => {
            return Err(out_of_gas_hint(
                e,
                chain.dry_run_instantiate(&origin, tx.value, None, tx.storage_deposit_limit, code, &input, &salt),
            )
            .await)
        }
    };
    for e in &events {
        print_event(e);
    }
    println!("contract: {}", contract_address(&origin, &H256(code_hash), &salt));
    Ok(())
}

async fn call(args: CallArgs, dry_only: bool) -> Result<(), CliError> {
    let input = args.input.bytes().map_err(CliError::Usage)?;
    let dest = address(&args.contract)?;
    let (chain, signer) = connect(&args.node).await?;
    let origin = account(&signer);
    let tx = &args.tx;
    let dry = chain.dry_run_call(&origin, &dest, tx.value, given_gas(tx), tx.storage_deposit_limit, &input).await?;
    if dry_only {
        return report_dry_run(&dry);
    }
    if tx.gas.is_none() {
        refuse_failing(&dry)?;
    }
    let events = match chain
        .submit(Extrinsic::call(&dest, tx.value, gas_for(tx, &dry), tx.storage_deposit_limit.unwrap_or(u128::MAX), &input), &signer)
        .await
    {
        Ok(ev) => ev,
        Err(e) => {
            return Err(out_of_gas_hint(e, chain.dry_run_call(&origin, &dest, tx.value, None, tx.storage_deposit_limit, &input)).await)
        }
    };
    for e in &events {
        print_event(e);
    }
    // Extrinsics return no data: the output is the dry run's, which ran the same
    // call on the same state just before.
    if let Ok(out) = &dry.result {
        println!("output: 0x{}", hex(&out.data));
    }
    Ok(())
}

fn print_event(e: &RuntimeEvent) {
    let RuntimeEvent::Contracts(e) = e else { return };
    match e {
        ContractsEvent::ContractEmitted { contract, topics, data } => {
            let topics: Vec<String> = topics.iter().map(|t| format!("{t:?}")).collect();
            println!("event: {contract} topics [{}] data 0x{}", topics.join(", "), hex(data));
        }
        ContractsEvent::ReceiptStored { index, receipt } => {
            println!("receipt #{index}: gas used {} of {}, outcome {:?}", receipt.gas_used, receipt.gas_limit, receipt.outcome);
        }
        ContractsEvent::Instantiated { contract, code_hash, .. } => println!("instantiated: {contract} from code {code_hash:?}"),
        ContractsEvent::Called { contract, .. } => println!("called: {contract}"),
        ContractsEvent::Terminated { contract, beneficiary } => println!("terminated: {contract} (balance to {beneficiary})"),
        ContractsEvent::CodeStored { code_hash, deposit, .. } => println!("code stored: {code_hash:?} (deposit {deposit})"),
        other => println!("{other:?}"),
    }
}
