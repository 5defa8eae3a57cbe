//! The pallet's stored and returned types.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, PalletError};
use polkadot_sdk::{frame_support, sp_core::H256};
use rivet_vm::{BlobError, TrapKind};
use scale_info::TypeInfo;

/// Uploaded code: who uploaded it, the deposit held from them, how many contracts use it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct CodeInfo<AccountId> {
    pub owner: AccountId,
    pub deposit: u128,
    pub refcount: u64,
    pub code_len: u32,
    /// 4 KiB pages of data memory an instance reserves (stack through heap limit).
    pub memory_pages: u32,
}

/// A contract: its code, its child trie, and what its storage holds and has deposited.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct ContractInfo {
    pub code_hash: H256,
    /// Names the contract's child trie.
    pub trie_id: [u8; 32],
    pub storage_items: u32,
    pub storage_bytes: u64,
    /// Held on the contract's own account for its storage (and this record).
    pub storage_deposit: u128,
}

/// How an execution ended.
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum Outcome {
    Returned,
    Reverted,
    Trapped(TrapCode),
    OutOfGas,
}

/// Why a guest trapped, as errors and receipts report it.
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen, PalletError)]
pub enum TrapCode {
    /// `unimp` (Rust panics end here).
    Unimp,
    Ebreak,
    LoadFault,
    StoreFault,
    ReadOnlyWrite,
    Misaligned,
    InvalidJumpTarget,
    NotRunnable,
    /// An `ecall` with a number the host doesn't know.
    UnknownHostCall,
    /// A host call with arguments the host can't accept (a bad pointer, a key or
    /// output too long, unknown flags).
    BadHostCallArguments,
    /// `terminate` while the contract has other frames on the call stack.
    TerminatedWhileReentrant,
}

impl From<TrapKind> for TrapCode {
    fn from(k: TrapKind) -> Self {
        match k {
            TrapKind::Unimp => TrapCode::Unimp,
            TrapKind::Ebreak => TrapCode::Ebreak,
            TrapKind::LoadFault { .. } => TrapCode::LoadFault,
            TrapKind::StoreFault { .. } => TrapCode::StoreFault,
            TrapKind::ReadOnlyWrite { .. } => TrapCode::ReadOnlyWrite,
            TrapKind::Misaligned { .. } => TrapCode::Misaligned,
            TrapKind::InvalidJumpTarget { .. } => TrapCode::InvalidJumpTarget,
            TrapKind::NotRunnable => TrapCode::NotRunnable,
        }
    }
}

/// Why uploaded code was rejected (the validator's full message is in the dry run's
/// debug log).
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen, PalletError)]
pub enum CodeRejectReason {
    /// Not a well-formed blob: header, sections or lengths.
    Malformed,
    UnsupportedVersion,
    /// Stack, heap or total memory too large or not page-aligned.
    BadMemoryConfig,
    CodeTooLarge,
    InvalidInstruction,
    BadJumpTarget,
    BadEntryTable,
    /// A contract needs a `call` entry point.
    NoCallEntry,
}

impl From<&BlobError> for CodeRejectReason {
    fn from(e: &BlobError) -> Self {
        use BlobError as E;
        match e {
            E::UnsupportedVersion { .. } => CodeRejectReason::UnsupportedVersion,
            E::BadMemorySection { .. }
            | E::StackNotPageAligned { .. }
            | E::HeapNotPageAligned { .. }
            | E::StackTooLarge { .. }
            | E::MemoryTooLarge { .. } => CodeRejectReason::BadMemoryConfig,
            E::CodeTooLarge { .. } => CodeRejectReason::CodeTooLarge,
            E::InvalidInstruction { .. } => CodeRejectReason::InvalidInstruction,
            E::JumpTargetOutsideCode { .. } | E::JumpTargetMisaligned { .. } => CodeRejectReason::BadJumpTarget,
            E::BadEntryTable { .. }
            | E::BadEntryName { .. }
            | E::DuplicateEntry { .. }
            | E::EntryOutsideCode { .. }
            | E::EntryMisaligned { .. }
            | E::NoEntryPoints => CodeRejectReason::BadEntryTable,
            _ => CodeRejectReason::Malformed,
        }
    }
}

/// Which entry point an execution started at.
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum EntryPoint {
    Deploy,
    Call,
}

impl EntryPoint {
    pub fn name(self) -> &'static str {
        match self {
            EntryPoint::Deploy => "deploy",
            EntryPoint::Call => "call",
        }
    }
}

/// What a top-level execution did, in hashes: enough to state (and later prove)
/// "code H, entry E, gas G and host transcript T give output O and gas used U".
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Receipt<AccountId> {
    pub origin: AccountId,
    pub contract: AccountId,
    pub code_hash: H256,
    pub entry: EntryPoint,
    pub input_hash: H256,
    /// The hash chain over every host call of the top frame, request and response
    /// (see `transcript.rs`).
    pub transcript_hash: H256,
    pub output_hash: H256,
    pub gas_limit: u64,
    pub gas_used: u64,
    pub outcome: Outcome,
}

/// A dry run's answer (the runtime API's), also what the dispatchables compute.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct ContractResult<AccountId, Event> {
    /// `Ok` with the output when the contract returned or reverted (see `reverted`);
    /// the dispatch error otherwise.
    pub result: Result<ExecOutput<AccountId>, sp_runtime::DispatchError>,
    /// The receipt the execution would leave (whenever the guest ran, failed or not).
    pub receipt: Option<Receipt<AccountId>>,
    /// VM gas used (what a call with this limit would be charged).
    pub gas_used: u64,
    /// Weight to pass as the gas limit for the same call to succeed.
    pub weight_required: Weight,
    /// Net storage deposit charged to the origin (negative: refunded).
    pub storage_deposit: i128,
    pub events: Vec<Event>,
    /// Everything the contracts logged with `debug_log` (and validator messages).
    pub debug_log: Vec<u8>,
}

use polkadot_sdk::sp_runtime;

#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct ExecOutput<AccountId> {
    pub reverted: bool,
    pub data: Vec<u8>,
    /// The new contract's address (instantiations only).
    pub contract: Option<AccountId>,
}
