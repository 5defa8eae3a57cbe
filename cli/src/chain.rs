//! Talking to a node: connect, sign and submit contract extrinsics, dry runs and
//! storage reads through the `RivetContractsApi` runtime API. Every failure becomes a
//! [`CliError`] that says what went wrong in the user's terms.

use codec::{Decode, Encode};
use pallet_rivet_contracts::{Code, ContractResult, TrapCode};
use polkadot_sdk::{
    frame_support::traits::PalletInfoAccess,
    sp_runtime::{AccountId32, DispatchError, ModuleError},
    sp_weights::Weight,
};
use rivet_runtime::{EventRecord, RuntimeEvent};
use subxt::{
    dynamic::{self, Value},
    OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::Keypair;

use crate::CliError;

pub type DryRun = ContractResult<AccountId32, EventRecord>;
pub use pallet_rivet_contracts::runtime_api::UploadResult;

pub struct Chain {
    api: OnlineClient<PolkadotConfig>,
    url: String,
}

impl Chain {
    pub async fn connect(url: &str) -> Result<Chain, CliError> {
        let api = if url.starts_with("wss://") { OnlineClient::from_url(url).await } else { OnlineClient::from_insecure_url(url).await };
        let api = api.map_err(|e| {
            CliError::Chain(format!(
                "can't reach a node at {url}: {e}\n(is one running? `scripts/dev.sh` starts a dev chain; --url or RIVET_URL names another)"
            ))
        })?;
        Ok(Chain { api, url: url.to_string() })
    }

    async fn runtime_call<R: Decode>(&self, function: &str, args: impl Encode) -> Result<R, CliError> {
        let at = self.api.at_current_block().await.map_err(|e| self.lost(e))?;
        let bytes = at.runtime_apis().call_raw(function, Some(&args.encode())).await.map_err(|e| self.lost(e))?;
        R::decode(&mut &bytes[..]).map_err(|e| {
            CliError::Chain(format!("the node's answer to {function} doesn't decode ({e}): is it a Rivet node of the same version?"))
        })
    }

    fn lost(&self, e: impl std::fmt::Display) -> CliError {
        CliError::Chain(format!("the node at {} failed to answer: {e}", self.url))
    }

    pub async fn dry_run_call(
        &self,
        origin: &AccountId32,
        dest: &AccountId32,
        value: u128,
        gas: Option<Weight>,
        deposit_limit: Option<u128>,
        input: &[u8],
    ) -> Result<DryRun, CliError> {
        self.runtime_call("RivetContractsApi_call", (origin, dest, value, gas, deposit_limit, input)).await
    }

    pub async fn dry_run_instantiate(
        &self,
        origin: &AccountId32,
        value: u128,
        gas: Option<Weight>,
        deposit_limit: Option<u128>,
        code: Code,
        input: &[u8],
        salt: &[u8],
    ) -> Result<DryRun, CliError> {
        self.runtime_call("RivetContractsApi_instantiate", (origin, value, gas, deposit_limit, code, input, salt)).await
    }

    pub async fn dry_run_upload(
        &self,
        origin: &AccountId32,
        code: &[u8],
        deposit_limit: Option<u128>,
    ) -> Result<Result<UploadResult, DispatchError>, CliError> {
        self.runtime_call("RivetContractsApi_upload_code", (origin, code, deposit_limit)).await
    }

    pub async fn storage(&self, contract: &AccountId32, key: &[u8]) -> Result<Option<Vec<u8>>, CliError> {
        let r: Result<Option<Vec<u8>>, DispatchError> = self.runtime_call("RivetContractsApi_get_storage", (contract, key)).await?;
        r.map_err(|e| CliError::Chain(explain(&e)))
    }

    /// Signs, submits and waits for the extrinsic to be finalized; its events, or the
    /// reason it failed.
    pub async fn submit(&self, call: Extrinsic, signer: &Keypair) -> Result<Vec<RuntimeEvent>, CliError> {
        let who = AccountId32::new(signer.public_key().0);
        let at = self.api.at_current_block().await.map_err(|e| self.lost(e))?;
        let progress = at.transactions().sign_and_submit_then_watch_default(&call.0, signer).await.map_err(|e| refused(&who, e))?;
        let in_block = progress.wait_for_finalized().await.map_err(|e| refused(&who, e))?;
        let events = in_block.fetch_events().await.map_err(|e| self.lost(e))?;
        let mut mine = Vec::new();
        for ev in events.iter() {
            let ev = ev.map_err(|e| self.lost(e))?;
            let record = EventRecord::decode(&mut ev.bytes())
                .map_err(|e| CliError::Chain(format!("an event doesn't decode ({e}): is the node a Rivet node of the same version?")))?;
            if let RuntimeEvent::System(polkadot_sdk::frame_system::Event::ExtrinsicFailed { dispatch_error, .. }) = &record.event {
                return Err(CliError::Chain(explain(dispatch_error)));
            }
            mine.push(record.event);
        }
        Ok(mine)
    }
}

/// A contracts-pallet extrinsic, built against the node's metadata.
pub struct Extrinsic(subxt::transactions::DynamicPayload<Vec<Value>>);

fn weight(w: Weight) -> Value {
    Value::named_composite([("ref_time", Value::u128(w.ref_time() as u128)), ("proof_size", Value::u128(w.proof_size() as u128))])
}

impl Extrinsic {
    pub fn upload(code: &[u8], deposit_limit: u128) -> Extrinsic {
        Extrinsic(dynamic::transaction("Contracts", "upload_code", vec![Value::from_bytes(code), Value::u128(deposit_limit)]))
    }

    pub fn instantiate_with_code(value: u128, gas: Weight, deposit_limit: u128, code: &[u8], input: &[u8], salt: &[u8]) -> Extrinsic {
        let args = vec![
            Value::u128(value),
            weight(gas),
            Value::u128(deposit_limit),
            Value::from_bytes(code),
            Value::from_bytes(input),
            Value::from_bytes(salt),
        ];
        Extrinsic(dynamic::transaction("Contracts", "instantiate_with_code", args))
    }

    pub fn instantiate(value: u128, gas: Weight, deposit_limit: u128, code_hash: [u8; 32], input: &[u8], salt: &[u8]) -> Extrinsic {
        let args = vec![
            Value::u128(value),
            weight(gas),
            Value::u128(deposit_limit),
            Value::from_bytes(code_hash),
            Value::from_bytes(input),
            Value::from_bytes(salt),
        ];
        Extrinsic(dynamic::transaction("Contracts", "instantiate", args))
    }

    pub fn call(dest: &AccountId32, value: u128, gas: Weight, deposit_limit: u128, input: &[u8]) -> Extrinsic {
        let dest: &[u8] = dest.as_ref();
        let args = vec![Value::from_bytes(dest), Value::u128(value), weight(gas), Value::u128(deposit_limit), Value::from_bytes(input)];
        Extrinsic(dynamic::transaction("Contracts", "call", args))
    }
}

/// The transaction pool or the connection refused the extrinsic before it ran.
fn refused(who: &AccountId32, e: impl std::fmt::Display) -> CliError {
    let text = e.to_string();
    if text.contains("Inability to pay some fees") || text.contains("balance too low") {
        CliError::Chain(format!(
            "account {who} can't pay the transaction fee: its balance is too low (fund it, or sign with another --suri)"
        ))
    } else if text.contains("Transaction is outdated") || text.contains("Priority is too low") {
        CliError::Chain(format!("the node refused the transaction ({text}): another transaction from {who} is pending; try again"))
    } else {
        CliError::Chain(format!("the node refused the transaction: {text}"))
    }
}

/// A dispatch error in the user's terms.
pub fn explain(e: &DispatchError) -> String {
    use pallet_rivet_contracts::Error as E;
    match e {
        DispatchError::Module(ModuleError { index, error, .. }) if *index as usize == rivet_runtime::Contracts::index() => {
            match E::<rivet_runtime::Runtime>::decode(&mut &error[..]) {
                Ok(E::CodeRejected { reason }) => {
                    format!("the node rejected the code: {reason:?} (a dry run's debug log has the validator's full message)")
                }
                Ok(E::CodeTooLarge) => "the code is larger than the chain accepts".into(),
                Ok(E::CodeNotFound) => "no code with that hash is stored on chain (upload it first)".into(),
                Ok(E::NotCodeOwner) => "only the account that uploaded the code can remove it".into(),
                Ok(E::CodeInUse) => "contracts still use this code".into(),
                Ok(E::ContractNotFound) => "there is no contract at that address".into(),
                Ok(E::DuplicateContract) => "a contract already exists at that address: instantiate with another --salt".into(),
                Ok(E::OutOfGas) => "the contract ran out of gas; nothing it did was kept".into(),
                Ok(E::ContractTrapped { kind }) => format!("the contract trapped ({}); nothing it did was kept", trap_text(&kind)),
                Ok(E::ContractReverted) => "the contract reverted; nothing it did was kept (a dry run shows its revert output)".into(),
                Ok(E::TransferFailed) => "the value could not be transferred (not enough free balance?)".into(),
                Ok(E::StorageDepositLimitExhausted) => "the storage deposit would exceed --storage-deposit-limit".into(),
                Ok(E::StorageDepositNotEnoughFunds) => "the account can't pay the storage deposit: its balance is too low".into(),
                Ok(E::MaxCallDepthReached) => "the call stack is too deep".into(),
                Ok(E::ReentranceDenied) => "a contract was re-entered without allowing it".into(),
                Ok(E::SaltTooLong) => "the salt is too long".into(),
                Ok(E::VmUnavailable) => "the node can't run contracts (it lacks the Rivet VM host functions)".into(),
                Ok(other) => format!("{other:?}"),
                Err(_) => format!("contracts error {error:?}"),
            }
        }
        DispatchError::Module(ModuleError { index, error, .. }) if *index as usize == rivet_runtime::Balances::index() => {
            format!("balances error {:?}: the account's balance is too low", error)
        }
        DispatchError::Token(t) => format!("{t:?}: the account's balance is too low for this"),
        other => format!("{other:?}"),
    }
}

pub fn trap_text(kind: &TrapCode) -> String {
    let what = match kind {
        TrapCode::Unimp => "`unimp`: a Rust panic ends here; the debug log of a dry run has its message",
        TrapCode::Ebreak => "`ebreak`",
        TrapCode::LoadFault => "a load outside the contract's memory",
        TrapCode::StoreFault => "a store outside the contract's memory",
        TrapCode::ReadOnlyWrite => "a write to read-only memory",
        TrapCode::Misaligned => "a misaligned access",
        TrapCode::InvalidJumpTarget => "a jump to an invalid target",
        TrapCode::NotRunnable => "the contract couldn't be run",
        TrapCode::UnknownHostCall => "a host call the chain doesn't know",
        TrapCode::BadHostCallArguments => "a host call with bad arguments (a bad pointer or length)",
        TrapCode::TerminatedWhileReentrant => "terminate while re-entered",
    };
    format!("{kind:?}: {what}")
}
