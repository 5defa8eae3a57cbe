//! Safe wrappers over the host calls.

use alloc::vec::Vec;
use rivet_abi::{host as h, return_flags, NOT_FOUND};

use crate::host::call;

/// The call's input bytes.
pub fn input() -> Vec<u8> {
    let len = unsafe { call(h::INPUT_SIZE, 0, 0, 0, 0).0 } as usize;
    let mut buf = Vec::with_capacity(len);
    unsafe {
        let n = call(h::INPUT_READ, buf.as_mut_ptr() as u32, 0, len as u32, 0).0;
        buf.set_len((n as usize).min(len));
    }
    buf
}

/// Copies input bytes starting at `offset` into `buf`; returns how many were copied.
pub fn input_into(offset: u32, buf: &mut [u8]) -> usize {
    unsafe { call(h::INPUT_READ, buf.as_mut_ptr() as u32, offset, buf.len() as u32, 0).0 as usize }
}

/// Ends the execution successfully with `output`.
pub fn return_value(output: &[u8]) -> ! {
    exit(0, output)
}

/// Ends the execution as failed: state changes are reverted, `output` is kept.
pub fn revert(output: &[u8]) -> ! {
    exit(return_flags::REVERT, output)
}

fn exit(flags: u32, output: &[u8]) -> ! {
    unsafe {
        call(h::RETURN, flags, output.as_ptr() as u32, output.len() as u32, 0);
        // A host that resumes after RETURN breaks the ABI: stop here.
        #[cfg(target_arch = "riscv32")]
        core::arch::asm!("unimp", options(noreturn));
        #[cfg(not(target_arch = "riscv32"))]
        unreachable!()
    }
}

/// A debug message, shown by dry runs and the dev runner, ignored on chain.
pub fn debug_log(msg: &str) {
    unsafe {
        call(h::DEBUG_LOG, msg.as_ptr() as u32, msg.len() as u32, 0, 0);
    }
}

pub fn gas_left() -> u64 {
    let (lo, hi) = unsafe { call(h::GAS_LEFT, 0, 0, 0, 0) };
    (hi as u64) << 32 | lo as u64
}

/// Grows the heap by at least `increment` bytes; returns the old heap top.
pub fn sbrk(increment: u32) -> Option<u32> {
    match unsafe { call(h::SBRK, increment, 0, 0, 0).0 } {
        0 => None,
        top => Some(top),
    }
}

fn opt_len(n: u32) -> Option<usize> {
    (n != NOT_FOUND).then_some(n as usize)
}

/// The value stored under `key`, if any.
pub fn storage_get(key: &[u8]) -> Option<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let cap = buf.capacity();
        let n = unsafe { call(h::STORAGE_GET, key.as_ptr() as u32, key.len() as u32, buf.as_mut_ptr() as u32, cap as u32).0 };
        let len = opt_len(n)?;
        if len <= cap {
            unsafe { buf.set_len(len) };
            return Some(buf);
        }
        buf.reserve_exact(len);
    }
}

/// Stores `value` under `key`; returns the previous value's length.
pub fn storage_set(key: &[u8], value: &[u8]) -> Option<usize> {
    opt_len(unsafe { call(h::STORAGE_SET, key.as_ptr() as u32, key.len() as u32, value.as_ptr() as u32, value.len() as u32).0 })
}

/// Removes `key`; returns the previous value's length.
pub fn storage_clear(key: &[u8]) -> Option<usize> {
    opt_len(unsafe { call(h::STORAGE_CLEAR, key.as_ptr() as u32, key.len() as u32, 0, 0).0 })
}

/// The length of the value under `key`, if any.
pub fn storage_contains(key: &[u8]) -> Option<usize> {
    opt_len(unsafe { call(h::STORAGE_CONTAINS, key.as_ptr() as u32, key.len() as u32, 0, 0).0 })
}

/// A fixed-capacity string buffer for formatting without allocating; truncates.
pub struct FixedBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> FixedBuf<N> {
    pub const fn new() -> Self {
        FixedBuf { buf: [0; N], len: 0 }
    }
    pub fn as_str(&self) -> &str {
        // Only whole UTF-8 characters are ever appended.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> Default for FixedBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::fmt::Write for FixedBuf<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for c in s.chars() {
            let mut tmp = [0u8; 4];
            let e = c.encode_utf8(&mut tmp);
            if self.len + e.len() > N {
                return Err(core::fmt::Error);
            }
            self.buf[self.len..self.len + e.len()].copy_from_slice(e.as_bytes());
            self.len += e.len();
        }
        Ok(())
    }
}

// ---- Contract host calls (the contracts pallet) ----

pub type AccountId = [u8; 32];
pub type Hash = [u8; 32];

fn read32(n: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    unsafe { call(n, out.as_mut_ptr() as u32, 0, 0, 0) };
    out
}

fn read_u128(n: u32) -> u128 {
    let mut out = [0u8; 16];
    unsafe { call(n, out.as_mut_ptr() as u32, 0, 0, 0) };
    u128::from_le_bytes(out)
}

/// The account that called this contract (a user or another contract).
pub fn caller() -> AccountId {
    read32(h::CALLER)
}

/// This contract's own account id.
pub fn address() -> AccountId {
    read32(h::ADDRESS)
}

/// The value transferred to this contract with the current call.
pub fn value_transferred() -> u128 {
    read_u128(h::VALUE_TRANSFERRED)
}

/// This contract's free balance.
pub fn balance() -> u128 {
    read_u128(h::BALANCE)
}

/// Why a transfer, call or instantiation did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    /// The callee reverted; its output is returned alongside.
    Reverted,
    /// The callee trapped or ran out of gas.
    Trapped,
    /// No contract (or code) there.
    NotFound,
    /// The value could not be transferred.
    TransferFailed,
    /// A contract already exists at that address.
    DuplicateContract,
    /// The call stack is full.
    DepthExceeded,
    /// The callee is already on the call stack and reentry was not allowed.
    ReentranceDenied,
    /// A status this SDK does not know.
    Other(u32),
}

impl CallStatus {
    fn from_code(code: u32) -> Option<CallStatus> {
        use rivet_abi::status as s;
        Some(match code {
            s::SUCCESS => return None,
            s::REVERTED => CallStatus::Reverted,
            s::TRAPPED => CallStatus::Trapped,
            s::NOT_FOUND => CallStatus::NotFound,
            s::TRANSFER_FAILED => CallStatus::TransferFailed,
            s::DUPLICATE_CONTRACT => CallStatus::DuplicateContract,
            s::DEPTH_EXCEEDED => CallStatus::DepthExceeded,
            s::REENTRANCE_DENIED => CallStatus::ReentranceDenied,
            other => CallStatus::Other(other),
        })
    }
}

/// Transfers `value` from this contract to `dest`.
pub fn transfer(dest: &AccountId, value: u128) -> Result<(), CallStatus> {
    let v = value.to_le_bytes();
    match CallStatus::from_code(unsafe { call(h::TRANSFER, dest.as_ptr() as u32, v.as_ptr() as u32, 0, 0).0 }) {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

/// A failed call: why, and the callee's output (set when it reverted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    pub status: CallStatus,
    pub output: Vec<u8>,
}

/// A sub-call's result from a0 (status) and a1 (the output's full length): the host
/// copied what fits in `buf`, which is kept.
fn sub_call_result(mut buf: Vec<u8>, status: u32, len: u32) -> Result<Vec<u8>, CallFailure> {
    unsafe { buf.set_len((len as usize).min(buf.capacity())) };
    match CallStatus::from_code(status) {
        None => Ok(buf),
        Some(status) => Err(CallFailure { status, output: buf }),
    }
}

/// Output bytes kept from a sub-call, at most.
pub const MAX_CALL_OUTPUT: usize = 16 * 1024;

/// Calls another contract with `input`, transferring `value`. `gas_limit` 0 passes
/// all the gas that is left. Reentry into a contract already on the call stack is
/// denied unless `allow_reentry`.
pub fn call_contract(callee: &AccountId, value: u128, gas_limit: u64, input: &[u8], allow_reentry: bool) -> Result<Vec<u8>, CallFailure> {
    let mut out: Vec<u8> = Vec::with_capacity(MAX_CALL_OUTPUT);
    let args = rivet_abi::CallArgs {
        callee: *callee,
        value: value.to_le_bytes(),
        gas_limit: gas_limit.to_le_bytes(),
        input_ptr: input.as_ptr() as u32,
        input_len: input.len() as u32,
        out_ptr: out.as_mut_ptr() as u32,
        out_cap: out.capacity() as u32,
        flags: if allow_reentry { rivet_abi::call_flags::ALLOW_REENTRY } else { 0 },
    }
    .to_bytes();
    let (status, len) = unsafe { call(h::CALL, args.as_ptr() as u32, 0, 0, 0) };
    sub_call_result(out, status, len)
}

/// Instantiates a contract from uploaded code; returns its address and the output
/// of its `deploy` entry.
pub fn instantiate(code_hash: &Hash, value: u128, gas_limit: u64, input: &[u8], salt: &[u8]) -> Result<(AccountId, Vec<u8>), CallFailure> {
    let mut out: Vec<u8> = Vec::with_capacity(MAX_CALL_OUTPUT);
    let mut address = [0u8; 32];
    let args = rivet_abi::InstantiateArgs {
        code_hash: *code_hash,
        value: value.to_le_bytes(),
        gas_limit: gas_limit.to_le_bytes(),
        input_ptr: input.as_ptr() as u32,
        input_len: input.len() as u32,
        salt_ptr: salt.as_ptr() as u32,
        salt_len: salt.len() as u32,
        address_out: address.as_mut_ptr() as u32,
        out_ptr: out.as_mut_ptr() as u32,
        out_cap: out.capacity() as u32,
    }
    .to_bytes();
    let (status, len) = unsafe { call(h::INSTANTIATE, args.as_ptr() as u32, 0, 0, 0) };
    sub_call_result(out, status, len).map(|output| (address, output))
}

/// Emits an event with up to four 32-byte topics.
pub fn deposit_event(topics: &[[u8; 32]], data: &[u8]) {
    unsafe { call(h::DEPOSIT_EVENT, topics.as_ptr() as u32, topics.len() as u32, data.as_ptr() as u32, data.len() as u32) };
}

fn hash(n: u32, input: &[u8]) -> Hash {
    let mut out = [0u8; 32];
    unsafe { call(n, input.as_ptr() as u32, input.len() as u32, out.as_mut_ptr() as u32, 0) };
    out
}

pub fn blake2_256(input: &[u8]) -> Hash {
    hash(h::HASH_BLAKE2_256, input)
}

pub fn keccak_256(input: &[u8]) -> Hash {
    hash(h::HASH_KECCAK_256, input)
}

pub fn sha2_256(input: &[u8]) -> Hash {
    hash(h::HASH_SHA2_256, input)
}

pub fn block_number() -> u64 {
    let (lo, hi) = unsafe { call(h::BLOCK_NUMBER, 0, 0, 0, 0) };
    (hi as u64) << 32 | lo as u64
}

/// The block's timestamp in milliseconds.
pub fn now() -> u64 {
    let (lo, hi) = unsafe { call(h::NOW, 0, 0, 0, 0) };
    (hi as u64) << 32 | lo as u64
}

/// Removes this contract and its storage: its balance goes to `beneficiary`, its
/// storage deposits back to the account that signed the transaction.
pub fn terminate(beneficiary: &AccountId) -> ! {
    unsafe {
        call(h::TERMINATE, beneficiary.as_ptr() as u32, 0, 0, 0);
        #[cfg(target_arch = "riscv32")]
        core::arch::asm!("unimp", options(noreturn));
        #[cfg(not(target_arch = "riscv32"))]
        unreachable!()
    }
}
