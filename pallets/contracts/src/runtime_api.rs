//! The dry-run runtime API: call, instantiate and upload without committing, for gas
//! estimation. Results carry the output, gas used, the weight to ask for, the storage
//! deposit, the events and the debug log.

use alloc::vec::Vec;
use polkadot_sdk::{
    frame_support::{
        storage::{with_transaction, TransactionOutcome},
        traits::Get,
        weights::Weight,
    },
    frame_system, sp_api,
    sp_core::H256,
    sp_runtime::{AccountId32, DispatchError},
};

use crate::{Code, Config, ContractResult, ExecReturn, Pallet, WeightInfo};

/// What an upload would store.
#[derive(codec::Encode, codec::Decode, Clone, PartialEq, Eq, Debug, scale_info::TypeInfo)]
pub struct UploadResult {
    pub code_hash: H256,
    pub deposit: u128,
}

sp_api::decl_runtime_apis! {
    /// Dry runs of the contracts pallet's dispatchables.
    pub trait RivetContractsApi<EventRecord> where EventRecord: codec::Codec {
        /// `gas_limit` `None` means the block's maximum; `storage_deposit_limit` `None`
        /// means unlimited.
        fn call(origin: AccountId32, dest: AccountId32, value: u128, gas_limit: Option<Weight>, storage_deposit_limit: Option<u128>, input: Vec<u8>) -> ContractResult<AccountId32, EventRecord>;
        fn instantiate(origin: AccountId32, value: u128, gas_limit: Option<Weight>, storage_deposit_limit: Option<u128>, code: Code, input: Vec<u8>, salt: Vec<u8>) -> ContractResult<AccountId32, EventRecord>;
        fn upload_code(origin: AccountId32, code: Vec<u8>, storage_deposit_limit: Option<u128>) -> Result<UploadResult, DispatchError>;
        /// A contract's storage value under `key`.
        fn get_storage(contract: AccountId32, key: Vec<u8>) -> Result<Option<Vec<u8>>, DispatchError>;
    }
}

type EventRecordOf<T> = frame_system::EventRecord<<T as frame_system::Config>::RuntimeEvent, <T as frame_system::Config>::Hash>;

impl<T: Config> Pallet<T> {
    /// Runs `f` in a storage transaction that is always rolled back, so a dry run
    /// changes nothing wherever it is called from; only its own events are reported.
    fn dry_run(base: Weight, f: impl FnOnce() -> ExecReturn) -> ContractResult<AccountId32, EventRecordOf<T>> {
        let ran = rolled_back(|| {
            frame_system::Pallet::<T>::reset_events();
            let r = f();
            let events: Vec<_> = frame_system::Pallet::<T>::read_events_no_consensus().map(|e| *e).collect();
            (r, events)
        });
        let (r, events) = match ran {
            Ok(r) => r,
            Err(e) => (ExecReturn { result: Err(e), receipt: None, gas_used: 0, storage_deposit: 0, debug_log: Vec::new() }, Vec::new()),
        };
        ContractResult {
            result: r.result,
            receipt: r.receipt,
            gas_used: r.gas_used,
            weight_required: Self::weight_required(base, r.gas_used),
            storage_deposit: r.storage_deposit,
            events,
            debug_log: r.debug_log,
        }
    }

    fn gas_or_max(gas_limit: Option<Weight>) -> Weight {
        gas_limit.unwrap_or_else(|| <T as frame_system::Config>::BlockWeights::get().max_block)
    }

    pub fn dry_run_call(
        origin: AccountId32,
        dest: AccountId32,
        value: u128,
        gas_limit: Option<Weight>,
        storage_deposit_limit: Option<u128>,
        input: Vec<u8>,
    ) -> ContractResult<AccountId32, EventRecordOf<T>> {
        let base = T::WeightInfo::call(input.len() as u32);
        let gas = Self::gas_or_max(gas_limit);
        Self::dry_run(base, || Self::run_call(origin, dest, value, gas, storage_deposit_limit.unwrap_or(u128::MAX), input, true))
    }

    pub fn dry_run_instantiate(
        origin: AccountId32,
        value: u128,
        gas_limit: Option<Weight>,
        storage_deposit_limit: Option<u128>,
        code: Code,
        input: Vec<u8>,
        salt: Vec<u8>,
    ) -> ContractResult<AccountId32, EventRecordOf<T>> {
        let base = match &code {
            Code::Upload(c) => T::WeightInfo::instantiate_with_code(c.len() as u32, input.len() as u32, salt.len() as u32),
            Code::Existing(_) => T::WeightInfo::instantiate(input.len() as u32, salt.len() as u32),
        };
        let gas = Self::gas_or_max(gas_limit);
        Self::dry_run(base, || {
            Self::run_instantiate(origin, value, gas, storage_deposit_limit.unwrap_or(u128::MAX), code, input, salt, true)
        })
    }

    pub fn dry_run_upload(origin: AccountId32, code: Vec<u8>, storage_deposit_limit: Option<u128>) -> Result<UploadResult, DispatchError> {
        let (code_hash, deposit) = rolled_back(|| Self::store_code(&origin, code, &mut None))??;
        if deposit > storage_deposit_limit.unwrap_or(u128::MAX) {
            return Err(crate::Error::<T>::StorageDepositLimitExhausted.into());
        }
        Ok(UploadResult { code_hash, deposit })
    }
}

/// `f`'s result, with every storage change it made undone.
fn rolled_back<R>(f: impl FnOnce() -> R) -> Result<R, DispatchError> {
    let mut out = None;
    // Fails only past the storage layer nesting limit, before running `f`.
    with_transaction(|| {
        out = Some(f());
        TransactionOutcome::Rollback(Ok::<(), DispatchError>(()))
    })?;
    out.ok_or(DispatchError::Other("storage transaction for the dry run failed"))
}
