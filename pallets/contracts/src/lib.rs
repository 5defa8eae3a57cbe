//! # Rivet contracts pallet
//!
//! Upload, instantiate and call RISC-V (RV32EM) contracts, run by the Rivet VM.
//!
//! - Code is validated once, at upload (the validator's reason is the error), and
//!   stored by its blake2-256 hash with a deposit held from the uploader.
//! - Contracts live at addresses derived from deployer, code hash and salt; their
//!   storage is a child trie each, paid for by storage deposits held on the contract's
//!   account and refunded to whoever frees the storage.
//! - Every execution has a gas limit (weight); VM gas converts to weight at the
//!   steepest rate of the `WeightInfo::vm_gas_*` benchmarks (`weight_per_gas`), host
//!   calls cost weight converted at that rate (`gas.rs`), unused weight is refunded.
//! - Nested calls get their own gas share and storage transaction: a failing sub-call
//!   reverts only itself. Depth is limited; reentry is denied unless allowed.
//! - Each top-level execution leaves a receipt (hashes of code, input, host-call
//!   transcript and output; gas; outcome) for `ReceiptRetention` blocks; those of
//!   failed executions through the runtime's [`StoreFailedReceipts`] extension.
//!
//! The VM backend is a type parameter (`Config::Backend`): the interpreter inside the
//! runtime, or the node's JIT through `rivet-vm-runtime-interface`.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod address;
pub mod backend;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod exec;
mod failed_receipts;
pub mod gas;
mod primitives;
pub mod runtime_api;
mod transcript;
pub mod weights;

#[cfg(any(test, feature = "mock"))]
pub mod mock;
#[cfg(test)]
mod tests;

pub use backend::{Interpreter, NodeJit, VmBackend};
pub use failed_receipts::StoreFailedReceipts;
pub use pallet::*;
pub use primitives::*;
pub use weights::WeightInfo;

use alloc::{format, vec::Vec};
use polkadot_sdk::{
    frame_support::{
        self,
        dispatch::{DispatchErrorWithPostInfo, DispatchResultWithPostInfo, PostDispatchInfo},
        traits::{
            fungible::{Inspect, MutateHold},
            tokens::Precision,
            Get,
        },
        weights::Weight,
    },
    frame_system::{self, pallet_prelude::BlockNumberFor},
    sp_core::H256,
    sp_io::hashing::blake2_256,
    sp_runtime::{AccountId32, DispatchError, Saturating},
};
use rivet_vm::Limits;

use exec::{FrameResult, Stack};

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::{pallet_prelude::*, traits::Time};
    use frame_system::pallet_prelude::*;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: polkadot_sdk::frame_system::Config<AccountId = AccountId32> {
        /// The currency for values and deposits (held with [`HoldReason`]).
        type Currency: Inspect<AccountId32, Balance = u128>
            + frame_support::traits::fungible::Mutate<AccountId32>
            + MutateHold<AccountId32, Reason = Self::RuntimeHoldReason>;
        type RuntimeHoldReason: From<HoldReason>;
        /// The block timestamp, for the `now` host call.
        type Time: Time;
        /// Which VM runs the guests.
        type Backend: VmBackend;
        type WeightInfo: WeightInfo;
        /// Deposit per byte of stored code and contract storage.
        #[pallet::constant]
        type DepositPerByte: Get<u128>;
        /// Deposit per stored item (code, contract record, storage entry).
        #[pallet::constant]
        type DepositPerItem: Get<u128>;
        /// Largest blob accepted by upload.
        #[pallet::constant]
        type MaxCodeLen: Get<u32>;
        /// Largest guest data memory (stack, data, heap limit) a program may declare.
        #[pallet::constant]
        type MaxMemory: Get<u32>;
        /// Frames on the call stack, at most (the top-level call is one).
        #[pallet::constant]
        type MaxCallDepth: Get<u32>;
        /// Largest storage value.
        #[pallet::constant]
        type MaxValueLen: Get<u32>;
        /// Largest event payload a contract may emit.
        #[pallet::constant]
        type MaxEventDataLen: Get<u32>;
        #[pallet::constant]
        type MaxSaltLen: Get<u32>;
        /// How many blocks receipts are kept.
        #[pallet::constant]
        type ReceiptRetention: Get<BlockNumberFor<Self>>;
    }

    #[pallet::composite_enum]
    pub enum HoldReason {
        /// Held from an uploader for the code they stored.
        CodeUploadDeposit,
        /// Held on a contract's account for its storage.
        StorageDeposit,
    }

    /// Validated blobs by their blake2-256 hash.
    #[pallet::storage]
    pub type PristineCode<T: Config> = StorageMap<_, Identity, H256, BoundedVec<u8, T::MaxCodeLen>>;

    #[pallet::storage]
    pub type CodeInfoOf<T: Config> = StorageMap<_, Identity, H256, CodeInfo<AccountId32>>;

    #[pallet::storage]
    pub type ContractInfoOf<T: Config> = StorageMap<_, Identity, AccountId32, ContractInfo>;

    /// Receipts of the executions of each block, by index within the block.
    #[pallet::storage]
    pub type Receipts<T: Config> = StorageDoubleMap<_, Twox64Concat, BlockNumberFor<T>, Twox64Concat, u32, Receipt<AccountId32>>;

    #[pallet::storage]
    pub type ReceiptCount<T: Config> = StorageMap<_, Twox64Concat, BlockNumberFor<T>, u32, ValueQuery>;

    /// Makes every contract's child trie new, even at the address of a terminated one.
    #[pallet::storage]
    pub type NextTrieNonce<T: Config> = StorageValue<_, u64, ValueQuery>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        CodeStored {
            code_hash: H256,
            uploader: AccountId32,
            deposit: u128,
        },
        CodeRemoved {
            code_hash: H256,
            remover: AccountId32,
            deposit_released: u128,
        },
        Instantiated {
            deployer: AccountId32,
            contract: AccountId32,
            code_hash: H256,
        },
        /// A contract's `call` completed (top-level or nested).
        Called {
            caller: AccountId32,
            contract: AccountId32,
        },
        /// A contract emitted an event.
        ContractEmitted {
            contract: AccountId32,
            topics: BoundedVec<H256, ConstU32<4>>,
            data: Vec<u8>,
        },
        Terminated {
            contract: AccountId32,
            beneficiary: AccountId32,
        },
        /// A top-level execution's receipt, kept as `Receipts[block][index]`.
        ReceiptStored {
            index: u32,
            receipt: Receipt<AccountId32>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The blob failed validation (see the dry run's debug log for details).
        CodeRejected {
            reason: CodeRejectReason,
        },
        CodeTooLarge,
        CodeNotFound,
        /// Only the uploader can remove code.
        NotCodeOwner,
        /// Contracts still use this code.
        CodeInUse,
        ContractNotFound,
        /// A contract already exists at the derived address (use another salt).
        DuplicateContract,
        /// The execution ran out of gas; nothing it did is kept.
        OutOfGas,
        /// The contract trapped; nothing it did is kept.
        ContractTrapped {
            kind: TrapCode,
        },
        /// The contract reverted; nothing it did is kept.
        ContractReverted,
        /// The value could not be transferred.
        TransferFailed,
        /// The storage deposit would exceed the caller's limit.
        StorageDepositLimitExhausted,
        /// The origin can't pay the storage deposit.
        StorageDepositNotEnoughFunds,
        /// The call stack is full (the calling contract sees status `DEPTH_EXCEEDED`).
        MaxCallDepthReached,
        /// The callee is on the call stack and reentry wasn't allowed (the calling
        /// contract sees status `REENTRANCE_DENIED`).
        ReentranceDenied,
        SaltTooLong,
        /// The VM could not load the stored code (a node without the VM host functions).
        VmUnavailable,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(n: BlockNumberFor<T>) -> Weight {
            // Receipts older than the retention window go, one block's at a time.
            let retention = T::ReceiptRetention::get();
            if n <= retention {
                return T::DbWeight::get().reads(0);
            }
            let old = n.saturating_sub(retention);
            let count = ReceiptCount::<T>::take(old);
            if count > 0 {
                let _ = Receipts::<T>::clear_prefix(old, count, None);
            }
            T::DbWeight::get().reads_writes(1, 1 + count as u64)
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Stores validated code, holding a deposit from the signer. Uploading code
        /// that is already stored changes nothing.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::upload_code(code.len() as u32))]
        pub fn upload_code(origin: OriginFor<T>, code: Vec<u8>, storage_deposit_limit: u128) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let (_, deposit) = Self::store_code(&who, code, &mut None)?;
            ensure!(deposit <= storage_deposit_limit, Error::<T>::StorageDepositLimitExhausted);
            Ok(())
        }

        /// Removes code the signer uploaded and no contract uses; releases its deposit.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::remove_code())]
        pub fn remove_code(origin: OriginFor<T>, code_hash: H256) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let info = CodeInfoOf::<T>::get(code_hash).ok_or(Error::<T>::CodeNotFound)?;
            ensure!(info.owner == who, Error::<T>::NotCodeOwner);
            ensure!(info.refcount == 0, Error::<T>::CodeInUse);
            T::Currency::release(&HoldReason::CodeUploadDeposit.into(), &who, info.deposit, Precision::BestEffort)?;
            CodeInfoOf::<T>::remove(code_hash);
            PristineCode::<T>::remove(code_hash);
            Self::deposit_event(Event::CodeRemoved { code_hash, remover: who, deposit_released: info.deposit });
            Ok(())
        }

        /// Uploads code (if new) and instantiates a contract from it.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::instantiate_with_code(code.len() as u32, data.len() as u32, salt.len() as u32).saturating_add(*gas_limit))]
        pub fn instantiate_with_code(
            origin: OriginFor<T>,
            value: u128,
            gas_limit: Weight,
            storage_deposit_limit: u128,
            code: Vec<u8>,
            data: Vec<u8>,
            salt: Vec<u8>,
        ) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            let base = T::WeightInfo::instantiate_with_code(code.len() as u32, data.len() as u32, salt.len() as u32);
            let r = Self::run_instantiate(who, value, gas_limit, storage_deposit_limit, Code::Upload(code), data, salt, false);
            Self::dispatch_result(base, r)
        }

        /// Instantiates a contract from uploaded code.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::instantiate(data.len() as u32, salt.len() as u32).saturating_add(*gas_limit))]
        pub fn instantiate(
            origin: OriginFor<T>,
            value: u128,
            gas_limit: Weight,
            storage_deposit_limit: u128,
            code_hash: H256,
            data: Vec<u8>,
            salt: Vec<u8>,
        ) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            let base = T::WeightInfo::instantiate(data.len() as u32, salt.len() as u32);
            let r = Self::run_instantiate(who, value, gas_limit, storage_deposit_limit, Code::Existing(code_hash), data, salt, false);
            Self::dispatch_result(base, r)
        }

        /// Calls a contract.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::call(data.len() as u32).saturating_add(*gas_limit))]
        pub fn call(
            origin: OriginFor<T>,
            dest: AccountId32,
            value: u128,
            gas_limit: Weight,
            storage_deposit_limit: u128,
            data: Vec<u8>,
        ) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            let base = T::WeightInfo::call(data.len() as u32);
            let r = Self::run_call(who, dest, value, gas_limit, storage_deposit_limit, data, false);
            Self::dispatch_result(base, r)
        }
    }
}

/// Code to instantiate from.
#[derive(codec::Encode, codec::Decode, Clone, PartialEq, Eq, Debug, scale_info::TypeInfo)]
pub enum Code {
    Upload(Vec<u8>),
    Existing(H256),
}

/// What a top-level execution produced, before it becomes a dispatch result or a
/// dry-run answer.
pub struct ExecReturn {
    pub result: Result<ExecOutput<AccountId32>, DispatchError>,
    /// Whenever the guest ran to an outcome, whatever the result.
    pub receipt: Option<Receipt<AccountId32>>,
    pub gas_used: u64,
    pub storage_deposit: i128,
    pub debug_log: Vec<u8>,
}

impl<T: Config> Pallet<T> {
    /// Weight (ps of ref time) of one VM gas unit: the steepest of the gas probes'
    /// benchmarked slopes, so no mix of instructions gets more work than it pays
    /// for (at least 1 ps, so gas limits always convert).
    pub fn weight_per_gas() -> u64 {
        const G: u32 = 1_000_000;
        let slope = |w: fn(u32) -> Weight| w(G).saturating_sub(w(0)).ref_time() / G as u64;
        [
            T::WeightInfo::vm_gas_alu,
            T::WeightInfo::vm_gas_pointer_chase,
            T::WeightInfo::vm_gas_indirect_jumps,
            T::WeightInfo::vm_gas_divisions,
        ]
        .into_iter()
        .map(slope)
        .max()
        .unwrap_or(0)
        .max(1)
    }

    /// What host calls cost in gas at this runtime's rate and weights.
    pub fn host_costs() -> gas::HostCosts {
        let host_call = T::WeightInfo::host_call(1).saturating_sub(T::WeightInfo::host_call(0));
        gas::HostCosts::new(Self::weight_per_gas(), host_call, T::DbWeight::get())
    }

    pub fn gas_from_weight(w: Weight) -> u64 {
        w.ref_time() / Self::weight_per_gas()
    }

    pub fn weight_from_gas(gas: u64) -> Weight {
        Weight::from_parts(gas.saturating_mul(Self::weight_per_gas()), 0)
    }

    /// What a contract's record and storage require to be held.
    pub fn contract_deposit(info: &ContractInfo) -> u128 {
        use codec::MaxEncodedLen;
        let items = info.storage_items as u128 + 1;
        let bytes = info.storage_bytes as u128 + ContractInfo::max_encoded_len() as u128;
        T::DepositPerItem::get().saturating_mul(items).saturating_add(T::DepositPerByte::get().saturating_mul(bytes))
    }

    /// Validates and stores `code`; returns its hash and the deposit newly held (0 if
    /// it was already stored).
    /// Checks code as upload does: its size, the validator (against this chain's
    /// limits), a `call` entry point. On rejection, the error and, when the
    /// validator rejected it, the validator's message. Tools call this to check code
    /// before sending it.
    pub fn validate_code(code: &[u8]) -> Result<rivet_vm::Program, (Error<T>, Option<alloc::string::String>)> {
        if code.len() > T::MaxCodeLen::get() as usize {
            return Err((Error::<T>::CodeTooLarge, None));
        }
        let limits = Limits { max_code_size: T::MaxCodeLen::get(), max_memory: T::MaxMemory::get() };
        let program = rivet_vm::parse(code, &limits)
            .map_err(|e| (Error::<T>::CodeRejected { reason: CodeRejectReason::from(&e) }, Some(format!("{e}"))))?;
        if program.entry_point(EntryPoint::Call.name()).is_none() {
            return Err((Error::<T>::CodeRejected { reason: CodeRejectReason::NoCallEntry }, None));
        }
        Ok(program)
    }

    pub fn store_code(uploader: &AccountId32, code: Vec<u8>, debug: &mut Option<Vec<u8>>) -> Result<(H256, u128), DispatchError> {
        let program = match Self::validate_code(&code) {
            Ok(p) => p,
            Err((e, message)) => {
                if let (Some(log), Some(m)) = (debug.as_mut(), message) {
                    log.extend_from_slice(format!("code rejected: {m}\n").as_bytes());
                }
                return Err(e.into());
            }
        };
        let code_hash = H256(blake2_256(&code));
        if CodeInfoOf::<T>::contains_key(code_hash) {
            return Ok((code_hash, 0));
        }
        let len = code.len() as u32;
        let deposit = T::DepositPerByte::get().saturating_mul(len as u128).saturating_add(T::DepositPerItem::get().saturating_mul(2));
        T::Currency::hold(&HoldReason::CodeUploadDeposit.into(), uploader, deposit)
            .map_err(|_| Error::<T>::StorageDepositNotEnoughFunds)?;
        let bounded: frame_support::BoundedVec<u8, T::MaxCodeLen> = code.try_into().map_err(|_| Error::<T>::CodeTooLarge)?;
        PristineCode::<T>::insert(code_hash, bounded);
        let memory_pages = program.layout().data_span().div_ceil(rivet_vm::memory_map::PAGE_SIZE);
        CodeInfoOf::<T>::insert(code_hash, CodeInfo { owner: uploader.clone(), deposit, refcount: 0, code_len: len, memory_pages });
        Self::deposit_event(Event::CodeStored { code_hash, uploader: uploader.clone(), deposit });
        Ok((code_hash, deposit))
    }

    /// Runs a top-level call.
    pub fn run_call(
        origin: AccountId32,
        dest: AccountId32,
        value: u128,
        gas_limit: Weight,
        deposit_limit: u128,
        input: Vec<u8>,
        debug: bool,
    ) -> ExecReturn {
        let gas = Self::gas_from_weight(gas_limit);
        let mut stack = Stack::<T>::new(origin.clone(), deposit_limit, debug);
        let input_hash = blake2_256(&input);
        let r = stack.call(origin.clone(), dest.clone(), value, input, gas, false);
        Self::finish(stack, gas, r.map(|fr| (dest, fr, None)), origin, EntryPoint::Call, input_hash)
    }

    /// Runs a top-level instantiation (uploading the code first if given).
    #[allow(clippy::too_many_arguments)]
    pub fn run_instantiate(
        origin: AccountId32,
        value: u128,
        gas_limit: Weight,
        deposit_limit: u128,
        code: Code,
        input: Vec<u8>,
        salt: Vec<u8>,
        debug: bool,
    ) -> ExecReturn {
        let gas = Self::gas_from_weight(gas_limit);
        let mut stack = Stack::<T>::new(origin.clone(), deposit_limit, debug);
        let input_hash = blake2_256(&input);
        let r = (|| {
            if salt.len() > T::MaxSaltLen::get() as usize {
                return Err(Error::<T>::SaltTooLong.into());
            }
            let code_hash = match code {
                Code::Upload(code) => {
                    let (hash, deposit) = Self::store_code(&origin, code, &mut stack.debug_log)?;
                    stack.deposit_charged = deposit as i128;
                    if deposit > deposit_limit {
                        return Err(Error::<T>::StorageDepositLimitExhausted.into());
                    }
                    hash
                }
                Code::Existing(hash) => hash,
            };
            let (contract, fr) = stack.instantiate(origin.clone(), code_hash, value, input, &salt, gas)?;
            Ok((contract.clone(), fr, Some(contract)))
        })();
        Self::finish(stack, gas, r, origin, EntryPoint::Deploy, input_hash)
    }

    fn finish(
        stack: Stack<T>,
        gas: u64,
        r: Result<(AccountId32, FrameResult, Option<AccountId32>), DispatchError>,
        origin: AccountId32,
        entry: EntryPoint,
        input_hash: [u8; 32],
    ) -> ExecReturn {
        let (result, gas_used, receipt) = match r {
            Err(e) => (Err(e), gas, None),
            Ok((contract, fr, new_contract)) => {
                let gas_used = gas.saturating_sub(fr.gas_left);
                let receipt = Receipt {
                    origin,
                    contract,
                    code_hash: fr.code_hash,
                    entry,
                    input_hash: H256(input_hash),
                    transcript_hash: H256(fr.transcript_hash),
                    output_hash: H256(blake2_256(&fr.output)),
                    gas_limit: gas,
                    gas_used,
                    outcome: fr.outcome,
                };
                let result = match fr.outcome {
                    Outcome::Returned | Outcome::Reverted => {
                        Ok(ExecOutput { reverted: fr.outcome == Outcome::Reverted, data: fr.output, contract: new_contract })
                    }
                    Outcome::Trapped(kind) => Err(Error::<T>::ContractTrapped { kind }.into()),
                    Outcome::OutOfGas => Err(Error::<T>::OutOfGas.into()),
                };
                (result, gas_used, Some(receipt))
            }
        };
        ExecReturn { result, receipt, gas_used, storage_deposit: stack.deposit_charged, debug_log: stack.debug_log.unwrap_or_default() }
    }

    /// Turns an execution into the dispatchable's result: the weight actually used,
    /// a precise error on failure, and the receipt, stored now on success and left
    /// for `StoreFailedReceipts` on failure (this dispatch's changes are rolled back).
    fn dispatch_result(base: Weight, r: ExecReturn) -> DispatchResultWithPostInfo {
        let actual = base.saturating_add(Self::weight_from_gas(r.gas_used));
        let post = PostDispatchInfo { actual_weight: Some(actual), pays_fee: frame_support::dispatch::Pays::Yes };
        let error = match r.result {
            Err(e) => Some(e),
            Ok(out) if out.reverted => Some(Error::<T>::ContractReverted.into()),
            Ok(_) => None,
        };
        match (error, r.receipt) {
            (None, receipt) => {
                if let Some(receipt) = receipt {
                    Self::store_receipt(receipt);
                }
                Ok(post)
            }
            (Some(error), receipt) => {
                if let Some(receipt) = receipt {
                    failed_receipts::push(receipt);
                }
                Err(DispatchErrorWithPostInfo { post_info: post, error })
            }
        }
    }

    fn store_receipt(receipt: Receipt<AccountId32>) {
        let now = frame_system::Pallet::<T>::block_number();
        let index = ReceiptCount::<T>::mutate(now, |c| {
            let i = *c;
            *c = c.saturating_add(1);
            i
        });
        Receipts::<T>::insert(now, index, &receipt);
        Self::deposit_event(Event::ReceiptStored { index, receipt });
    }

    /// The value stored under `key` by `contract`.
    pub fn get_storage(contract: &AccountId32, key: &[u8]) -> Result<Option<Vec<u8>>, DispatchError> {
        let info = ContractInfoOf::<T>::get(contract).ok_or(Error::<T>::ContractNotFound)?;
        Ok(frame_support::storage::child::get_raw(&address::child_info(&info.trie_id), key))
    }

    /// The weight a dispatchable base plus `gas_used` comes to (for dry runs).
    pub fn weight_required(base: Weight, gas_used: u64) -> Weight {
        base.saturating_add(Self::weight_from_gas(gas_used))
    }
}
