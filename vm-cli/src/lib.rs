//! A development host for Rivet guests: input, output, debug log, heap growth, gas
//! query and an in-memory key-value storage, and the contract host calls as a chain
//! with this one contract would answer them (`DevHost`'s fields). The `rivet-vm`
//! command, the tests and the benchmarks run guests through it. The contracts
//! pallet is the real host.

pub mod input;
pub mod inspect;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use rivet_abi::{host as h, return_flags, status, CallArgs, InstantiateArgs, NOT_FOUND};
use rivet_vm::trace::TraceEvent;
use rivet_vm::{CallError, GuestInstance, Instance, Interrupt, MemoryError, Module, Program, Reg, Trap};
pub use rivet_vm_jit::Backend;

/// Gas charged for every host call before it does anything.
pub const HOST_CALL_GAS: u64 = 20;
/// Extra gas per byte a host call copies or stores.
pub const HOST_BYTE_GAS_DIVISOR: u64 = 4;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Returned from the entry point, or called RETURN without flags.
    Returned,
    /// Called RETURN with the REVERT flag.
    Reverted,
    Trapped(Trap),
    OutOfGas,
    /// The guest passed the host something unusable (unmapped buffer, unknown call...).
    HostError(String),
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Returned => f.write_str("returned"),
            ExitStatus::Reverted => f.write_str("reverted"),
            ExitStatus::Trapped(t) => write!(f, "trapped: {t}"),
            ExitStatus::OutOfGas => f.write_str("out of gas"),
            ExitStatus::HostError(e) => write!(f, "host call failed: {e}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub status: ExitStatus,
    pub output: Vec<u8>,
    pub gas_used: u64,
    pub logs: Vec<String>,
    pub trace: Option<Vec<TraceEvent>>,
    pub host_calls: u64,
}

/// State the development host keeps across calls.
///
/// Contract host calls: `caller`, `address`, `balance`, the block number and time
/// are the fields'; the value transferred is 0; a transfer succeeds if the balance
/// covers it (and lowers it); there are no other contracts, so calls and
/// instantiations answer `NOT_FOUND`; events and `terminate` are logged; the hashes
/// are computed.
#[derive(Clone, Debug)]
pub struct DevHost {
    pub storage: BTreeMap<Vec<u8>, Vec<u8>>,
    pub caller: [u8; 32],
    pub address: [u8; 32],
    pub balance: u128,
    pub block_number: u64,
    pub now_ms: u64,
}

impl Default for DevHost {
    fn default() -> Self {
        DevHost { storage: BTreeMap::new(), caller: [1; 32], address: [2; 32], balance: 0, block_number: 1, now_ms: 0 }
    }
}

enum Flow {
    Continue,
    Stop(ExitStatus, Vec<u8>),
}

impl From<MemoryError> for ExitStatus {
    fn from(e: MemoryError) -> Self {
        ExitStatus::HostError(e.to_string())
    }
}

impl DevHost {
    /// Runs `entry` of a fresh instance with `input` and `gas`.
    pub fn run(&mut self, module: &Arc<Module>, entry: &str, input: &[u8], gas: u64, trace: bool) -> Result<RunOutcome, CallError> {
        let mut inst = Instance::new(module.clone());
        inst.prepare_call(entry, gas)?;
        if trace {
            inst.enable_trace();
        }
        let mut outcome = self.drive(&mut inst, input, |_| None);
        outcome.gas_used = gas - inst.gas_left();
        outcome.trace = trace.then(|| inst.take_trace());
        Ok(outcome)
    }

    /// Runs `entry` of a fresh instance of `program` on `backend` (the JIT falls back
    /// to the interpreter where it can't run).
    pub fn run_program(
        &mut self,
        program: &Arc<Program>,
        backend: Backend,
        entry: &str,
        input: &[u8],
        gas: u64,
    ) -> Result<RunOutcome, CallError> {
        let (mut inst, _) = rivet_vm_jit::instantiate(program, backend);
        inst.prepare_call(entry, gas)?;
        let mut outcome = self.drive(&mut *inst, input, |_| None);
        outcome.gas_used = gas - inst.gas_left();
        Ok(outcome)
    }

    /// Runs a prepared instance to the end, serving its host calls. When it runs out
    /// of gas, `refuel` may return more gas to continue with. `gas_used` is left 0:
    /// only the caller knows what it started with.
    pub fn drive<G: GuestInstance + ?Sized>(
        &mut self,
        inst: &mut G,
        input: &[u8],
        mut refuel: impl FnMut(&G) -> Option<u64>,
    ) -> RunOutcome {
        let mut logs = Vec::new();
        let mut host_calls = 0;
        let (status, output) = loop {
            match inst.run() {
                Interrupt::Finished => break (ExitStatus::Returned, Vec::new()),
                Interrupt::Trap(t) => break (ExitStatus::Trapped(t), Vec::new()),
                Interrupt::OutOfGas => match refuel(inst) {
                    Some(g) => inst.set_gas_left(g),
                    None => break (ExitStatus::OutOfGas, Vec::new()),
                },
                Interrupt::HostCall(n) => {
                    host_calls += 1;
                    match self.host_call(inst, n, input, &mut logs) {
                        Ok(Flow::Continue) => {}
                        Ok(Flow::Stop(s, out)) => break (s, out),
                        Err(s) => break (s, Vec::new()),
                    }
                }
            }
        };
        RunOutcome { status, output, gas_used: 0, logs, trace: None, host_calls }
    }

    fn host_call<G: GuestInstance + ?Sized>(
        &mut self,
        inst: &mut G,
        n: u32,
        input: &[u8],
        logs: &mut Vec<String>,
    ) -> Result<Flow, ExitStatus> {
        let arg = |i: Reg| inst.reg(i);
        let (a0, a1, a2, a3) = (arg(Reg::A0), arg(Reg::A1), arg(Reg::A2), arg(Reg::A3));
        let charge = |inst: &mut G, bytes: u64| {
            if inst.consume_gas(HOST_CALL_GAS + bytes / HOST_BYTE_GAS_DIVISOR) {
                Ok(())
            } else {
                Err(ExitStatus::OutOfGas)
            }
        };
        let key = |inst: &G| -> Result<Vec<u8>, ExitStatus> {
            if a1 > h::MAX_STORAGE_KEY {
                return Err(ExitStatus::HostError(format!("storage key of {a1} bytes exceeds {}", h::MAX_STORAGE_KEY)));
            }
            Ok(inst.read_memory_vec(a0, a1)?)
        };
        let len_or_none = |v: Option<&Vec<u8>>| v.map(|v| v.len() as u32).unwrap_or(NOT_FOUND);
        match n {
            h::INPUT_SIZE => {
                charge(inst, 0)?;
                inst.set_reg(Reg::A0, input.len() as u32);
            }
            h::INPUT_READ => {
                let start = (a1 as usize).min(input.len());
                let end = start.saturating_add(a2 as usize).min(input.len());
                charge(inst, (end - start) as u64)?;
                inst.write_memory(a0, &input[start..end])?;
                inst.set_reg(Reg::A0, (end - start) as u32);
            }
            h::RETURN => {
                charge(inst, a2 as u64)?;
                if a0 & !return_flags::ALL != 0 {
                    return Err(ExitStatus::HostError(format!("unknown return flags {a0:#x}")));
                }
                let out = inst.read_memory_vec(a1, a2)?;
                let status = if a0 & return_flags::REVERT != 0 { ExitStatus::Reverted } else { ExitStatus::Returned };
                return Ok(Flow::Stop(status, out));
            }
            h::DEBUG_LOG => {
                charge(inst, a1 as u64)?;
                let msg = inst.read_memory_vec(a0, a1)?;
                logs.push(String::from_utf8_lossy(&msg).into_owned());
            }
            h::SBRK => {
                charge(inst, 0)?;
                let top = inst.sbrk(a0).unwrap_or(0);
                inst.set_reg(Reg::A0, top);
            }
            h::GAS_LEFT => {
                charge(inst, 0)?;
                let g = inst.gas_left();
                inst.set_reg(Reg::A0, g as u32);
                inst.set_reg(Reg::A1, (g >> 32) as u32);
            }
            h::STORAGE_GET => {
                charge(inst, a1 as u64)?;
                let k = key(inst)?;
                let v = self.storage.get(&k).cloned();
                if let Some(v) = &v {
                    let n = v.len().min(a3 as usize);
                    charge(inst, n as u64)?;
                    inst.write_memory(a2, &v[..n])?;
                }
                inst.set_reg(Reg::A0, len_or_none(v.as_ref()));
            }
            h::STORAGE_SET => {
                charge(inst, a1 as u64 + a3 as u64)?;
                let k = key(inst)?;
                let v = inst.read_memory_vec(a2, a3)?;
                let prev = self.storage.insert(k, v);
                inst.set_reg(Reg::A0, len_or_none(prev.as_ref()));
            }
            h::STORAGE_CLEAR => {
                charge(inst, a1 as u64)?;
                let prev = self.storage.remove(&key(inst)?);
                inst.set_reg(Reg::A0, len_or_none(prev.as_ref()));
            }
            h::STORAGE_CONTAINS => {
                charge(inst, a1 as u64)?;
                let v = self.storage.get(&key(inst)?);
                let r = len_or_none(v);
                inst.set_reg(Reg::A0, r);
            }
            h::CALLER | h::ADDRESS => {
                charge(inst, 32)?;
                inst.write_memory(a0, if n == h::CALLER { &self.caller } else { &self.address })?;
            }
            h::VALUE_TRANSFERRED | h::BALANCE => {
                charge(inst, 16)?;
                let v = if n == h::BALANCE { self.balance } else { 0 };
                inst.write_memory(a0, &v.to_le_bytes())?;
            }
            h::TRANSFER => {
                charge(inst, 48)?;
                inst.read_memory_vec(a0, 32)?;
                let value = u128::from_le_bytes(inst.read_memory_vec(a1, 16)?.try_into().unwrap_or_default());
                let status = match self.balance.checked_sub(value) {
                    Some(left) => {
                        self.balance = left;
                        status::SUCCESS
                    }
                    None => status::TRANSFER_FAILED,
                };
                inst.set_reg(Reg::A0, status);
            }
            h::CALL | h::INSTANTIATE => {
                // Only the argument block is read: there is no callee to run.
                let size = if n == h::CALL { CallArgs::SIZE } else { InstantiateArgs::SIZE };
                charge(inst, size as u64)?;
                inst.read_memory_vec(a0, size as u32)?;
                inst.set_reg(Reg::A0, status::NOT_FOUND);
                inst.set_reg(Reg::A1, 0);
            }
            h::DEPOSIT_EVENT => {
                if a1 > h::MAX_EVENT_TOPICS {
                    return Err(ExitStatus::HostError(format!("{a1} event topics, at most {}", h::MAX_EVENT_TOPICS)));
                }
                charge(inst, 32 * a1 as u64 + a3 as u64)?;
                let topics = inst.read_memory_vec(a0, 32 * a1)?;
                let data = inst.read_memory_vec(a2, a3)?;
                let topics: Vec<String> = topics.chunks(32).map(input::hex).collect();
                logs.push(format!("event topics [{}] data 0x{}", topics.join(", "), input::hex(&data)));
            }
            h::HASH_BLAKE2_256 | h::HASH_KECCAK_256 | h::HASH_SHA2_256 => {
                charge(inst, a1 as u64)?;
                let data = inst.read_memory_vec(a0, a1)?;
                let hash = match n {
                    h::HASH_BLAKE2_256 => rivet_prover::code_hash(&data),
                    h::HASH_KECCAK_256 => rivet_kernels::keccak256(&data),
                    _ => rivet_kernels::sha256(&data),
                };
                inst.write_memory(a2, &hash)?;
            }
            h::BLOCK_NUMBER | h::NOW => {
                charge(inst, 0)?;
                let v = if n == h::BLOCK_NUMBER { self.block_number } else { self.now_ms };
                inst.set_reg(Reg::A0, v as u32);
                inst.set_reg(Reg::A1, (v >> 32) as u32);
            }
            h::TERMINATE => {
                charge(inst, 32)?;
                let beneficiary = inst.read_memory_vec(a0, 32)?;
                logs.push(format!("terminated; balance {} to 0x{}", self.balance, input::hex(&beneficiary)));
                self.storage.clear();
                self.balance = 0;
                return Ok(Flow::Stop(ExitStatus::Returned, Vec::new()));
            }
            other => return Err(ExitStatus::HostError(format!("host call {other} is not provided by the development host"))),
        }
        Ok(Flow::Continue)
    }
}

/// Makes a closed stdout (`rivet-vm inspect BLOB | head`) end the process quietly,
/// as it does for other command-line tools, instead of panicking in `println!`:
/// Rust ignores SIGPIPE by default, this restores the default action.
pub fn exit_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default touches no Rust state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
