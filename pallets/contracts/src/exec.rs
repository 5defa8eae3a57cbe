//! The call stack: one frame per contract execution, each with its own gas meter (a
//! share of its caller's), its own storage transaction (a failing frame reverts only
//! what it did) and its own transcript. Host calls are answered here.

use alloc::vec::Vec;
use core::marker::PhantomData;

use frame_support::{
    storage::{child, with_transaction, TransactionOutcome},
    traits::{
        fungible::{Inspect, InspectHold, Mutate, MutateHold},
        tokens::{Fortitude, Precision, Preservation, Restriction},
        Get, Time,
    },
};
use polkadot_sdk::{
    frame_support, frame_system,
    sp_core::{storage::ChildInfo, H256},
    sp_io::hashing::{blake2_256, keccak_256, sha2_256},
    sp_runtime::{AccountId32, DispatchError, SaturatedConversion},
};
use rivet_abi::{host as h, status, CallArgs, InstantiateArgs, NOT_FOUND};
use rivet_vm::{GuestInstance, Interrupt, Reg};

use crate::{
    address, backend::VmBackend, gas::HostCosts, transcript::Transcript, CodeInfoOf, Config, ContractInfo, ContractInfoOf, EntryPoint,
    Error, Event, HoldReason, NextTrieNonce, Outcome, Pallet, PristineCode, TrapCode,
};

/// How one frame ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameResult {
    pub outcome: Outcome,
    pub output: Vec<u8>,
    /// Gas handed back to the caller (0 after running out).
    pub gas_left: u64,
    pub transcript_hash: [u8; 32],
    /// The code that ran (read before the frame, so it is known even if the contract
    /// terminated itself).
    pub code_hash: H256,
}

/// What a frame runs: whose code, for whom, with what.
struct FrameSpec {
    caller: AccountId32,
    contract: AccountId32,
    info: ContractInfo,
    entry: EntryPoint,
    input: Vec<u8>,
    value: u128,
    gas: u64,
}

/// A top-level execution in progress.
pub struct Stack<T: Config> {
    /// The signer: pays storage deposits and receives refunds.
    origin: AccountId32,
    /// Contracts with a frame on the stack, outermost first.
    contracts: Vec<AccountId32>,
    deposit_limit: u128,
    /// Net deposit charged to the origin so far (refunds subtract).
    pub deposit_charged: i128,
    /// Collected for dry runs only.
    pub debug_log: Option<Vec<u8>>,
    costs: HostCosts,
    _config: PhantomData<T>,
}

/// A dry run keeps at most this much debug log (later messages are dropped).
const MAX_DEBUG_LOG: usize = 1 << 20;

/// What a host call tells the frame's run loop.
enum Flow {
    Continue,
    Exit {
        revert: bool,
        output: Vec<u8>,
    },
    OutOfGas,
    Trap(TrapCode),
    /// The contract terminated itself: the frame ends successfully with no output.
    Terminated,
}

type HostResult = Result<Flow, DispatchError>;

/// A guest-side failure inside a host call (bad pointer, bad argument): the guest traps.
struct GuestFault;

struct Frame<I> {
    inst: I,
    caller: AccountId32,
    contract: AccountId32,
    child: ChildInfo,
    value: u128,
    input: Vec<u8>,
    transcript: Transcript,
}

impl<I: GuestInstance> Frame<I> {
    fn arg(&self, i: usize) -> u32 {
        const ARGS: [Reg; 6] = [Reg::A0, Reg::A1, Reg::A2, Reg::A3, Reg::A4, Reg::A5];
        self.inst.reg(ARGS[i])
    }

    fn read(&mut self, addr: u32, len: u32) -> Result<Vec<u8>, GuestFault> {
        let data = self.inst.read_memory_vec(addr, len).map_err(|_| GuestFault)?;
        self.transcript.read(addr, &data);
        Ok(data)
    }

    fn read_array<const N: usize>(&mut self, addr: u32) -> Result<[u8; N], GuestFault> {
        let mut buf = [0u8; N];
        self.inst.read_memory(addr, &mut buf).map_err(|_| GuestFault)?;
        self.transcript.read(addr, &buf);
        Ok(buf)
    }

    fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), GuestFault> {
        self.inst.write_memory(addr, data).map_err(|_| GuestFault)?;
        self.transcript.write(addr, data);
        Ok(())
    }

    fn set_results(&mut self, a0: u32, a1: u32) {
        self.inst.set_reg(Reg::A0, a0);
        self.inst.set_reg(Reg::A1, a1);
    }

    fn charge(&mut self, amount: u64) -> bool {
        self.inst.consume_gas(amount)
    }
}

/// Turns a guest fault into a trap of the frame and out-of-gas into its flow.
macro_rules! guest {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(GuestFault) => return Ok(Flow::Trap(TrapCode::BadHostCallArguments)),
        }
    };
}

macro_rules! charge {
    ($frame:expr, $amount:expr) => {
        if !$frame.charge($amount) {
            return Ok(Flow::OutOfGas);
        }
    };
}

impl<T: Config> Stack<T> {
    pub fn new(origin: AccountId32, deposit_limit: u128, debug: bool) -> Self {
        Stack {
            origin,
            contracts: Vec::new(),
            deposit_limit,
            deposit_charged: 0,
            debug_log: debug.then(Vec::new),
            costs: Pallet::<T>::host_costs(),
            _config: PhantomData,
        }
    }

    /// Charges the origin `amount` of storage deposit against the limit.
    fn account_deposit(&mut self, amount: i128) -> Result<(), DispatchError> {
        self.deposit_charged = self.deposit_charged.saturating_add(amount);
        if self.deposit_charged > 0 && self.deposit_charged as u128 > self.deposit_limit {
            return Err(Error::<T>::StorageDepositLimitExhausted.into());
        }
        Ok(())
    }

    /// Runs `f` in a storage transaction that is kept only if `f` returns
    /// `Ok((_, true))`; the stack's own bookkeeping is rolled back with it.
    fn transactional<R>(&mut self, f: impl FnOnce(&mut Self) -> Result<(R, bool), DispatchError>) -> Result<R, DispatchError> {
        let saved = self.deposit_charged;
        let depth = self.contracts.len();
        let mut committed = false;
        let r = with_transaction(|| match f(self) {
            Ok((r, true)) => {
                committed = true;
                TransactionOutcome::Commit(Ok(r))
            }
            other => TransactionOutcome::Rollback(other.map(|(r, _)| r)),
        });
        self.contracts.truncate(depth);
        if !committed {
            self.deposit_charged = saved;
        }
        r
    }

    /// Calls `contract`'s `call` entry. Errors are the execution's own failures before
    /// any code runs (no contract, value transfer failed) or ones that end the whole
    /// top-level execution (depth, reentrancy, deposits).
    pub fn call(
        &mut self,
        caller: AccountId32,
        contract: AccountId32,
        value: u128,
        input: Vec<u8>,
        gas: u64,
        allow_reentry: bool,
    ) -> Result<FrameResult, DispatchError> {
        let info = ContractInfoOf::<T>::get(&contract).ok_or(Error::<T>::ContractNotFound)?;
        if !allow_reentry && self.contracts.contains(&contract) {
            return Err(Error::<T>::ReentranceDenied.into());
        }
        self.run_frame(FrameSpec { caller, contract, info, entry: EntryPoint::Call, input, value, gas })
    }

    /// Instantiates a contract from uploaded code and runs its `deploy` entry.
    pub fn instantiate(
        &mut self,
        deployer: AccountId32,
        code_hash: H256,
        value: u128,
        input: Vec<u8>,
        salt: &[u8],
        gas: u64,
    ) -> Result<(AccountId32, FrameResult), DispatchError> {
        let mut code_info = CodeInfoOf::<T>::get(code_hash).ok_or(Error::<T>::CodeNotFound)?;
        let contract = address::contract_address(&deployer, &code_hash, salt);
        if ContractInfoOf::<T>::contains_key(&contract) {
            return Err(Error::<T>::DuplicateContract.into());
        }
        let origin = self.origin.clone();
        let result = self.transactional(|s| {
            // The new account exists from the start (held deposits need an account):
            // the origin gives it the existential deposit.
            let ed = T::Currency::minimum_balance();
            T::Currency::transfer(&origin, &contract, ed, Preservation::Preserve).map_err(|_| Error::<T>::StorageDepositNotEnoughFunds)?;
            s.account_deposit(saturating_i128(ed))?;
            let nonce = NextTrieNonce::<T>::mutate(|n| {
                *n = n.wrapping_add(1);
                *n
            });
            let info = ContractInfo {
                code_hash,
                trie_id: address::trie_id(&contract, nonce),
                storage_items: 0,
                storage_bytes: 0,
                storage_deposit: 0,
            };
            ContractInfoOf::<T>::insert(&contract, &info);
            code_info.refcount = code_info.refcount.saturating_add(1);
            CodeInfoOf::<T>::insert(code_hash, &code_info);
            let r = s.run_frame(FrameSpec {
                caller: deployer.clone(),
                contract: contract.clone(),
                info,
                entry: EntryPoint::Deploy,
                input,
                value,
                gas,
            })?;
            let ok = r.outcome == Outcome::Returned;
            if ok {
                Pallet::<T>::deposit_event(Event::Instantiated { deployer: deployer.clone(), contract: contract.clone(), code_hash });
            }
            Ok((r, ok))
        })?;
        Ok((contract, result))
    }

    fn run_frame(&mut self, spec: FrameSpec) -> Result<FrameResult, DispatchError> {
        if self.contracts.len() as u32 >= T::MaxCallDepth::get() {
            return Err(Error::<T>::MaxCallDepthReached.into());
        }
        self.transactional(|s| {
            let (caller, contract, entry) = (spec.caller.clone(), spec.contract.clone(), spec.entry);
            s.contracts.push(contract.clone());
            if spec.value > 0 {
                T::Currency::transfer(&caller, &contract, spec.value, Preservation::Preserve).map_err(|_| Error::<T>::TransferFailed)?;
            }
            let r = s.execute(spec)?;
            let ok = r.outcome == Outcome::Returned;
            if ok {
                s.settle_deposit(&contract)?;
                if entry == EntryPoint::Call {
                    Pallet::<T>::deposit_event(Event::Called { caller, contract });
                }
            }
            Ok((r, ok))
        })
    }

    /// Loads the code and runs the guest to its end, answering host calls.
    fn execute(&mut self, spec: FrameSpec) -> Result<FrameResult, DispatchError> {
        let FrameSpec { caller, contract, info, entry, input, value, gas } = spec;
        // Loading is paid per code byte and memory page before the code is read,
        // whichever backend runs and whether its cache was warm.
        let code_info = CodeInfoOf::<T>::get(info.code_hash).ok_or(Error::<T>::CodeNotFound)?;
        let load = self
            .costs
            .code_load_per_byte
            .saturating_mul(code_info.code_len as u64)
            .saturating_add(self.costs.memory_per_page.saturating_mul(code_info.memory_pages as u64));
        let Some(gas) = gas.checked_sub(load) else {
            return Ok(FrameResult {
                outcome: Outcome::OutOfGas,
                output: Vec::new(),
                gas_left: 0,
                transcript_hash: [0; 32],
                code_hash: info.code_hash,
            });
        };
        let blob = PristineCode::<T>::get(info.code_hash).ok_or(Error::<T>::CodeNotFound)?;
        let inst = <T::Backend as VmBackend>::instantiate(&blob).ok_or(Error::<T>::VmUnavailable)?;
        let mut frame = Frame {
            inst,
            caller,
            contract: contract.clone(),
            child: address::child_info(&info.trie_id),
            value,
            input,
            transcript: Transcript::default(),
        };
        if frame.inst.prepare_call(entry.name(), gas).is_err() {
            // Upload requires `call`; `deploy` is optional and then does nothing.
            return Ok(FrameResult {
                outcome: Outcome::Returned,
                output: Vec::new(),
                gas_left: gas,
                transcript_hash: [0; 32],
                code_hash: info.code_hash,
            });
        }
        let (outcome, output) = loop {
            match frame.inst.run() {
                Interrupt::Finished => break (Outcome::Returned, Vec::new()),
                Interrupt::Trap(t) => break (Outcome::Trapped(t.kind.into()), Vec::new()),
                Interrupt::OutOfGas => break (Outcome::OutOfGas, Vec::new()),
                Interrupt::HostCall(n) => {
                    let args = core::array::from_fn(|i| frame.arg(i));
                    frame.transcript.begin(n, args);
                    let flow = self.host_call(&mut frame, n)?;
                    frame.transcript.end([frame.inst.reg(Reg::A0), frame.inst.reg(Reg::A1)]);
                    match flow {
                        Flow::Continue => {}
                        Flow::Exit { revert, output } => break (if revert { Outcome::Reverted } else { Outcome::Returned }, output),
                        Flow::OutOfGas => break (Outcome::OutOfGas, Vec::new()),
                        Flow::Trap(code) => break (Outcome::Trapped(code), Vec::new()),
                        Flow::Terminated => break (Outcome::Returned, Vec::new()),
                    }
                }
            }
        };
        let gas_left = if outcome == Outcome::OutOfGas { 0 } else { frame.inst.gas_left() };
        Ok(FrameResult { outcome, output, gas_left, transcript_hash: frame.transcript.hash(), code_hash: info.code_hash })
    }

    /// Brings the deposit held on `contract` in line with what its storage needs,
    /// charging or refunding the origin.
    fn settle_deposit(&mut self, contract: &AccountId32) -> Result<(), DispatchError> {
        let Some(mut info) = ContractInfoOf::<T>::get(contract) else { return Ok(()) };
        let required = Pallet::<T>::contract_deposit(&info);
        let reason = HoldReason::StorageDeposit.into();
        if required > info.storage_deposit {
            let diff = required - info.storage_deposit;
            T::Currency::transfer_and_hold(
                &reason,
                &self.origin,
                contract,
                diff,
                Precision::Exact,
                Preservation::Preserve,
                Fortitude::Polite,
            )
            .map_err(|_| Error::<T>::StorageDepositNotEnoughFunds)?;
            self.account_deposit(saturating_i128(diff))?;
            info.storage_deposit = required;
        } else if required < info.storage_deposit {
            let diff = info.storage_deposit - required;
            let moved = T::Currency::transfer_on_hold(
                &reason,
                contract,
                &self.origin,
                diff,
                Precision::BestEffort,
                Restriction::Free,
                Fortitude::Polite,
            )?;
            self.account_deposit(-saturating_i128(moved))?;
            info.storage_deposit -= moved;
        } else {
            return Ok(());
        }
        ContractInfoOf::<T>::insert(contract, info);
        Ok(())
    }

    fn update_storage_counts(contract: &AccountId32, old: Option<u32>, key_len: u32, new_len: Option<u32>) {
        ContractInfoOf::<T>::mutate(contract, |info| {
            if let Some(info) = info {
                let size = |v: Option<u32>| v.map_or(0, |l| l as u64 + key_len as u64);
                info.storage_bytes = info.storage_bytes.saturating_sub(size(old)).saturating_add(size(new_len));
                info.storage_items = info.storage_items.saturating_sub(old.is_some() as u32).saturating_add(new_len.is_some() as u32);
            }
        });
    }

    fn host_call<I: GuestInstance>(&mut self, f: &mut Frame<I>, n: u32) -> HostResult {
        charge!(f, self.costs.host_call);
        match n {
            h::INPUT_SIZE => f.set_results(f.input.len() as u32, 0),
            h::INPUT_READ => {
                let (dst, offset, len) = (f.arg(0), f.arg(1) as usize, f.arg(2) as usize);
                let start = offset.min(f.input.len());
                let end = start.saturating_add(len).min(f.input.len());
                charge!(f, self.costs.bytes((end - start) as u32));
                let chunk = f.input[start..end].to_vec();
                guest!(f.write(dst, &chunk));
                f.set_results(chunk.len() as u32, 0);
            }
            h::RETURN => {
                let (flags, ptr, len) = (f.arg(0), f.arg(1), f.arg(2));
                if flags & !rivet_abi::return_flags::ALL != 0 {
                    return Ok(Flow::Trap(TrapCode::BadHostCallArguments));
                }
                charge!(f, self.costs.bytes(len));
                let output = guest!(f.read(ptr, len));
                return Ok(Flow::Exit { revert: flags & rivet_abi::return_flags::REVERT != 0, output });
            }
            h::DEBUG_LOG => {
                let (ptr, len) = (f.arg(0), f.arg(1));
                charge!(f, self.costs.bytes(len));
                // Read (and so checked) on chain too, so a dry run and a real call agree.
                let msg = guest!(f.read(ptr, len));
                if let Some(log) = &mut self.debug_log {
                    if log.len() + msg.len() < MAX_DEBUG_LOG {
                        log.extend_from_slice(&msg);
                        log.push(b'\n');
                    }
                }
            }
            h::SBRK => {
                let pages = f.arg(0).div_ceil(rivet_vm::memory_map::PAGE_SIZE);
                charge!(f, self.costs.sbrk_per_page.saturating_mul(pages as u64));
                let top = f.inst.sbrk(f.arg(0)).unwrap_or(0);
                f.set_results(top, 0);
            }
            h::GAS_LEFT => {
                let g = f.inst.gas_left();
                f.set_results(g as u32, (g >> 32) as u32);
            }
            h::STORAGE_GET | h::STORAGE_CONTAINS => {
                let (key_ptr, key_len) = (f.arg(0), f.arg(1));
                if key_len > h::MAX_STORAGE_KEY {
                    return Ok(Flow::Trap(TrapCode::BadHostCallArguments));
                }
                charge!(f, self.costs.storage_read.saturating_add(self.costs.bytes(key_len)));
                let key = guest!(f.read(key_ptr, key_len));
                if n == h::STORAGE_CONTAINS {
                    let len = child::len(&f.child, &key).unwrap_or(NOT_FOUND);
                    f.set_results(len, 0);
                } else {
                    let (out_ptr, out_cap) = (f.arg(2), f.arg(3));
                    match child::get_raw(&f.child, &key) {
                        Some(v) => {
                            // The whole value was read from storage, however much is copied.
                            charge!(f, self.costs.bytes(v.len() as u32));
                            let copy = v.len().min(out_cap as usize);
                            guest!(f.write(out_ptr, &v[..copy]));
                            f.set_results(v.len() as u32, 0);
                        }
                        None => f.set_results(NOT_FOUND, 0),
                    }
                }
            }
            h::STORAGE_SET | h::STORAGE_CLEAR => {
                let (key_ptr, key_len) = (f.arg(0), f.arg(1));
                let (val_ptr, val_len) = if n == h::STORAGE_SET { (f.arg(2), f.arg(3)) } else { (0, 0) };
                if key_len > h::MAX_STORAGE_KEY || val_len > T::MaxValueLen::get() {
                    return Ok(Flow::Trap(TrapCode::BadHostCallArguments));
                }
                charge!(f, self.costs.storage_write.saturating_add(self.costs.bytes(key_len)).saturating_add(self.costs.bytes(val_len)));
                let key = guest!(f.read(key_ptr, key_len));
                let old = child::len(&f.child, &key);
                let new_len = if n == h::STORAGE_SET {
                    let value = guest!(f.read(val_ptr, val_len));
                    child::put_raw(&f.child, &key, &value);
                    Some(val_len)
                } else {
                    child::kill(&f.child, &key);
                    None
                };
                Self::update_storage_counts(&f.contract, old, key_len, new_len);
                f.set_results(old.unwrap_or(NOT_FOUND), 0);
            }
            h::CALLER | h::ADDRESS => {
                charge!(f, self.costs.bytes(32));
                let id = if n == h::CALLER { f.caller.clone() } else { f.contract.clone() };
                guest!(f.write(f.arg(0), id.as_ref()));
            }
            h::VALUE_TRANSFERRED | h::BALANCE => {
                charge!(f, self.costs.bytes(16).saturating_add(if n == h::BALANCE { self.costs.storage_read } else { 0 }));
                let v = if n == h::VALUE_TRANSFERRED { f.value } else { T::Currency::balance(&f.contract) };
                guest!(f.write(f.arg(0), &v.to_le_bytes()));
            }
            h::TRANSFER => {
                charge!(f, self.costs.transfer);
                let dest = AccountId32::new(guest!(f.read_array::<32>(f.arg(0))));
                let value = u128::from_le_bytes(guest!(f.read_array::<16>(f.arg(1))));
                let ok = T::Currency::transfer(&f.contract, &dest, value, Preservation::Preserve).is_ok();
                f.set_results(if ok { status::SUCCESS } else { status::TRANSFER_FAILED }, 0);
            }
            h::CALL => return self.host_sub_call(f),
            h::INSTANTIATE => return self.host_instantiate(f),
            h::DEPOSIT_EVENT => {
                let (topics_ptr, count, data_ptr, data_len) = (f.arg(0), f.arg(1), f.arg(2), f.arg(3));
                if count > h::MAX_EVENT_TOPICS || data_len > T::MaxEventDataLen::get() {
                    return Ok(Flow::Trap(TrapCode::BadHostCallArguments));
                }
                charge!(
                    f,
                    self.costs.event_base.saturating_add(self.costs.event_per_byte.saturating_mul(32 * count as u64 + data_len as u64))
                );
                let topic_bytes = guest!(f.read(topics_ptr, 32 * count));
                let data = guest!(f.read(data_ptr, data_len));
                let topics: Vec<H256> = topic_bytes.chunks_exact(32).map(H256::from_slice).collect();
                Pallet::<T>::deposit_event(Event::ContractEmitted {
                    contract: f.contract.clone(),
                    topics: frame_support::BoundedVec::truncate_from(topics),
                    data,
                });
            }
            h::HASH_BLAKE2_256 | h::HASH_KECCAK_256 | h::HASH_SHA2_256 => {
                let (ptr, len, out) = (f.arg(0), f.arg(1), f.arg(2));
                charge!(
                    f,
                    self.costs
                        .hash_base
                        .saturating_add(self.costs.hash_per_byte.saturating_mul(len as u64))
                        .saturating_add(self.costs.bytes(len))
                        .saturating_add(self.costs.bytes(32))
                );
                let data = guest!(f.read(ptr, len));
                let digest = match n {
                    h::HASH_BLAKE2_256 => blake2_256(&data),
                    h::HASH_KECCAK_256 => keccak_256(&data),
                    _ => sha2_256(&data),
                };
                guest!(f.write(out, &digest));
            }
            h::BLOCK_NUMBER => {
                let b: u64 = frame_system::Pallet::<T>::block_number().saturated_into();
                f.set_results(b as u32, (b >> 32) as u32);
            }
            h::NOW => {
                let t: u64 = T::Time::now().saturated_into();
                f.set_results(t as u32, (t >> 32) as u32);
            }
            h::TERMINATE => return self.host_terminate(f),
            _ => return Ok(Flow::Trap(TrapCode::UnknownHostCall)),
        }
        Ok(Flow::Continue)
    }

    /// Gives the callee its share of the frame's gas: all that is left when `limit` is 0.
    fn sub_gas<I: GuestInstance>(f: &mut Frame<I>, limit: u64) -> u64 {
        let left = f.inst.gas_left();
        let give = if limit == 0 { left } else { limit.min(left) };
        f.inst.set_gas_left(left - give);
        give
    }

    /// Copies a callee's output to the caller and sets a0 = status, a1 = output length.
    fn finish_sub_call<I: GuestInstance>(&self, f: &mut Frame<I>, res: &FrameResult, out_ptr: u32, out_cap: u32) -> HostResult {
        f.inst.set_gas_left(f.inst.gas_left().saturating_add(res.gas_left));
        let code = match res.outcome {
            Outcome::Returned => status::SUCCESS,
            Outcome::Reverted => status::REVERTED,
            Outcome::Trapped(_) | Outcome::OutOfGas => status::TRAPPED,
        };
        let copy = res.output.len().min(out_cap as usize);
        charge!(f, self.costs.bytes(copy as u32));
        guest!(f.write(out_ptr, &res.output[..copy]));
        f.set_results(code, res.output.len() as u32);
        Ok(Flow::Continue)
    }

    fn host_sub_call<I: GuestInstance>(&mut self, f: &mut Frame<I>) -> HostResult {
        charge!(f, self.costs.frame_base.saturating_add(self.costs.bytes(CallArgs::SIZE as u32)));
        let args = CallArgs::from_bytes(&guest!(f.read_array::<{ CallArgs::SIZE }>(f.arg(0))));
        if args.flags & !rivet_abi::call_flags::ALL != 0 {
            return Ok(Flow::Trap(TrapCode::BadHostCallArguments));
        }
        charge!(f, self.costs.bytes(args.input_len));
        let input = guest!(f.read(args.input_ptr, args.input_len));
        let gas = Self::sub_gas(f, u64::from_le_bytes(args.gas_limit));
        let callee = AccountId32::new(args.callee);
        let allow_reentry = args.flags & rivet_abi::call_flags::ALLOW_REENTRY != 0;
        match self.call(f.contract.clone(), callee, u128::from_le_bytes(args.value), input, gas, allow_reentry) {
            Ok(res) => self.finish_sub_call(f, &res, args.out_ptr, args.out_cap),
            Err(e) => self.refuse_sub_call(f, e, gas),
        }
    }

    fn host_instantiate<I: GuestInstance>(&mut self, f: &mut Frame<I>) -> HostResult {
        charge!(f, self.costs.frame_base.saturating_add(self.costs.bytes(InstantiateArgs::SIZE as u32)));
        let args = InstantiateArgs::from_bytes(&guest!(f.read_array::<{ InstantiateArgs::SIZE }>(f.arg(0))));
        if args.salt_len > T::MaxSaltLen::get() {
            return Ok(Flow::Trap(TrapCode::BadHostCallArguments));
        }
        charge!(f, self.costs.bytes(args.input_len).saturating_add(self.costs.bytes(args.salt_len)));
        let input = guest!(f.read(args.input_ptr, args.input_len));
        let salt = guest!(f.read(args.salt_ptr, args.salt_len));
        let gas = Self::sub_gas(f, u64::from_le_bytes(args.gas_limit));
        let code_hash = H256(args.code_hash);
        match self.instantiate(f.contract.clone(), code_hash, u128::from_le_bytes(args.value), input, &salt, gas) {
            Ok((address, res)) => {
                if res.outcome == Outcome::Returned {
                    guest!(f.write(args.address_out, address.as_ref()));
                }
                self.finish_sub_call(f, &res, args.out_ptr, args.out_cap)
            }
            Err(e) => self.refuse_sub_call(f, e, gas),
        }
    }

    /// A sub-call that never ran: its gas share goes back, a0 = its status, a1 = 0;
    /// or the error ends the whole execution.
    fn refuse_sub_call<I: GuestInstance>(&self, f: &mut Frame<I>, e: DispatchError, gas: u64) -> HostResult {
        let code = self.status_of(e)?;
        f.inst.set_gas_left(f.inst.gas_left().saturating_add(gas));
        f.set_results(code, 0);
        Ok(Flow::Continue)
    }

    /// The status a failed sub-call reports to its caller, or the error itself when it
    /// ends the whole execution (deposits, a VM that can't load code). A callee can't
    /// make its caller fail: its own failures are statuses.
    fn status_of(&self, e: DispatchError) -> Result<u32, DispatchError> {
        let is = |err: Error<T>| e == DispatchError::from(err);
        if is(Error::<T>::ContractNotFound) || is(Error::<T>::CodeNotFound) {
            Ok(status::NOT_FOUND)
        } else if is(Error::<T>::TransferFailed) {
            Ok(status::TRANSFER_FAILED)
        } else if is(Error::<T>::DuplicateContract) {
            Ok(status::DUPLICATE_CONTRACT)
        } else if is(Error::<T>::MaxCallDepthReached) {
            Ok(status::DEPTH_EXCEEDED)
        } else if is(Error::<T>::ReentranceDenied) {
            Ok(status::REENTRANCE_DENIED)
        } else {
            Err(e)
        }
    }

    fn host_terminate<I: GuestInstance>(&mut self, f: &mut Frame<I>) -> HostResult {
        charge!(f, self.costs.terminate_base);
        let Some(info) = ContractInfoOf::<T>::get(&f.contract) else { return Err(Error::<T>::ContractNotFound.into()) };
        charge!(f, self.costs.storage_write.saturating_mul(info.storage_items as u64));
        let beneficiary = AccountId32::new(guest!(f.read_array::<32>(f.arg(0))));
        if self.contracts.iter().filter(|c| **c == f.contract).count() > 1 {
            return Ok(Flow::Trap(TrapCode::TerminatedWhileReentrant));
        }
        // Every item was paid for above; no limit, so nothing is left behind (a limit
        // also counts keys already deleted in this block).
        let _ = child::clear_storage(&f.child, None, None);
        let reason = HoldReason::StorageDeposit.into();
        let held: u128 = T::Currency::balance_on_hold(&reason, &f.contract);
        if held > 0 {
            let moved = T::Currency::transfer_on_hold(
                &reason,
                &f.contract,
                &self.origin,
                held,
                Precision::BestEffort,
                Restriction::Free,
                Fortitude::Polite,
            )?;
            self.account_deposit(-saturating_i128(moved))?;
        }
        let rest = T::Currency::reducible_balance(&f.contract, Preservation::Expendable, Fortitude::Polite);
        if rest > 0 {
            T::Currency::transfer(&f.contract, &beneficiary, rest, Preservation::Expendable).map_err(|_| Error::<T>::TransferFailed)?;
        }
        ContractInfoOf::<T>::remove(&f.contract);
        CodeInfoOf::<T>::mutate(info.code_hash, |c| {
            if let Some(c) = c {
                c.refcount = c.refcount.saturating_sub(1);
            }
        });
        Pallet::<T>::deposit_event(Event::Terminated { contract: f.contract.clone(), beneficiary });
        Ok(Flow::Terminated)
    }
}

fn saturating_i128(v: u128) -> i128 {
    i128::try_from(v).unwrap_or(i128::MAX)
}
