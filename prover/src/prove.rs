//! The prover: execute, build the witness, prove (multi-threaded through rayon).

use alloc::{format, string::String, sync::Arc, vec::Vec};

use p3_batch_stark::{prove_batch, ProverData, StarkInstance};
use p3_matrix::Matrix;
use rivet_vm::Limits;

use crate::chips::Circuit;
use crate::config::config;
use crate::verify::code_hash;
use crate::{proof, witness, Statement};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProveError {
    InvalidProgram(String),
    NoEntry(String),
    /// The execution uses something the AIR doesn't cover yet.
    Unsupported(String),
    /// The witness and the interpreter disagree: a bug.
    Internal(String),
    Prover(String),
}

impl core::fmt::Display for ProveError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ProveError::InvalidProgram(e) => write!(f, "invalid program: {e}"),
            ProveError::NoEntry(e) => write!(f, "no entry point {e}"),
            ProveError::Unsupported(e) => write!(f, "not provable yet: {e}"),
            ProveError::Internal(e) => write!(f, "internal error (please report): {e}"),
            ProveError::Prover(e) => write!(f, "the prover failed: {e}"),
        }
    }
}

impl std::error::Error for ProveError {}

/// A proof and what it proves.
pub struct Proved {
    pub statement: Statement,
    pub proof: Vec<u8>,
    pub steps: usize,
    /// Each table's name and height (log2).
    pub tables: Vec<(&'static str, usize)>,
}

/// Where `prove` is, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Executing,
    Proving { steps: usize },
}

/// Runs `entry` of `blob` with `gas_limit` (no host calls) and proves the execution.
pub fn prove(blob: &[u8], entry: &str, gas_limit: u64, progress: impl FnMut(Stage)) -> Result<Proved, ProveError> {
    prove_inner(blob, entry, gas_limit, None::<fn(&mut dyn rivet_vm::GuestInstance)>, progress)
}

/// Runs `entry` of `blob` with `gas_limit`, `drive` answering its host calls (it runs
/// the instance to the end), and proves the execution and its transcript.
pub fn prove_with_host(
    blob: &[u8],
    entry: &str,
    gas_limit: u64,
    drive: impl FnOnce(&mut dyn rivet_vm::GuestInstance),
    progress: impl FnMut(Stage),
) -> Result<Proved, ProveError> {
    prove_inner(blob, entry, gas_limit, Some(drive), progress)
}

fn prove_inner(
    blob: &[u8],
    entry: &str,
    gas_limit: u64,
    drive: Option<impl FnOnce(&mut dyn rivet_vm::GuestInstance)>,
    mut progress: impl FnMut(Stage),
) -> Result<Proved, ProveError> {
    let program = rivet_vm::parse(blob, &Limits::default()).map_err(|e| ProveError::InvalidProgram(format!("{e:?}")))?;
    let program = Arc::new(program);
    if let Some(proved) = nothing_runs(&program, blob, entry, gas_limit) {
        return Ok(proved);
    }
    progress(Stage::Executing);
    let w = match drive {
        Some(d) => witness::generate_with(program.clone(), code_hash(blob), entry, gas_limit, d)?,
        None => witness::generate(program.clone(), code_hash(blob), entry, gas_limit)?,
    };
    progress(Stage::Proving { steps: w.steps });
    let proof = prove_witness(&w.circuit, &w.traces, &w.public_values)?;
    let airs = w.circuit.airs();
    let tables = airs.iter().zip(&w.traces).map(|(a, t)| (a.name(), t.height().trailing_zeros() as usize)).collect();
    Ok(Proved { statement: w.statement, proof, steps: w.steps, tables })
}

/// When the entry block costs more than `gas_limit`, nothing runs (SPEC.md §6): the
/// statement needs no STARK, the verifier checks it against the program.
fn nothing_runs(program: &rivet_vm::Program, blob: &[u8], entry: &str, gas_limit: u64) -> Option<Proved> {
    let pc = program.entry_point(entry)?;
    let cost = program.entry_cost(program.index_of_pc(pc)?);
    if u64::from(cost) <= gas_limit {
        return None;
    }
    let statement = Statement::nothing_ran_at(code_hash(blob), pc, gas_limit);
    Some(Proved { statement, proof: proof::encode_nothing_ran(), steps: 0, tables: Vec::new() })
}

/// Proves given traces (tests tamper with them first).
pub fn prove_witness(
    circuit: &Circuit,
    traces: &[p3_matrix::dense::RowMajorMatrix<crate::config::Val>],
    public_values: &[Vec<crate::config::Val>],
) -> Result<Vec<u8>, ProveError> {
    let config = config();
    let airs = circuit.airs();
    let degree_bits: Vec<usize> = traces.iter().map(|t| t.height().trailing_zeros() as usize).collect();
    let data = ProverData::from_airs_and_degrees(&config, &airs, &degree_bits).map_err(|e| ProveError::Prover(format!("{e:?}")))?;
    let trace_refs: Vec<_> = traces.iter().collect();
    let instances = StarkInstance::new_multiple(&airs, &trace_refs, public_values);
    let proof = prove_batch(&config, &instances, &data).map_err(|e| ProveError::Prover(format!("{e:?}")))?;
    Ok(proof::encode(&proof, &circuit.host.clks, &circuit.extra_tables, &circuit.seams))
}

/// Runs `entry` of `blob` with `gas_limit`, answering its host calls from a recorded
/// `transcript` (as a chain's receipt has them), and proves the execution: ended at
/// the transcript's last call when `ended_by_host`, else run on to its return.
/// Fails if the program asks for something other than what the transcript recorded.
pub fn prove_replaying(
    blob: &[u8],
    entry: &str,
    gas_limit: u64,
    transcript: &crate::Transcript,
    ended_by_host: bool,
    progress: impl FnMut(Stage),
) -> Result<Proved, ProveError> {
    let mismatch = core::cell::Cell::new(None);
    let drive = |vm: &mut dyn rivet_vm::GuestInstance| {
        let r = replay(vm, transcript);
        if r.is_ok() && !ended_by_host {
            vm.run();
        }
        mismatch.set(r.err());
    };
    let proved = prove_with_host(blob, entry, gas_limit, drive, progress)?;
    if let Some(e) = mismatch.take() {
        return Err(e);
    }
    if proved.statement.transcript != *transcript || proved.statement.ended_by_host() != ended_by_host {
        return Err(ProveError::Unsupported("the execution didn't make the transcript's host calls".into()));
    }
    Ok(proved)
}

/// Answers host calls as `transcript` says until it runs out; stops there.
fn replay(vm: &mut dyn rivet_vm::GuestInstance, transcript: &crate::Transcript) -> Result<(), ProveError> {
    use rivet_vm::{Interrupt, Reg};
    let regs = [Reg::A0, Reg::A1, Reg::A2, Reg::A3, Reg::A4, Reg::A5];
    for (k, call) in transcript.calls.iter().enumerate() {
        match vm.run() {
            Interrupt::HostCall(n) if n == call.number && regs.map(|r| vm.reg(r)) == call.args => {}
            other => {
                return Err(ProveError::Unsupported(format!(
                    "host call {k}: the program did {other:?}, the transcript has call {} with {:?}",
                    call.number, call.args
                )))
            }
        }
        let diverged = |what: &str| ProveError::Unsupported(format!("host call {k}: {what} differs from the transcript"));
        for (addr, bytes) in &call.reads {
            if vm.read_memory_vec(*addr, bytes.len() as u32).map_err(|_| diverged("a read"))? != *bytes {
                return Err(diverged("memory the host read"));
            }
        }
        for (addr, bytes) in &call.writes {
            vm.write_memory(*addr, bytes).map_err(|_| diverged("a write"))?;
        }
        while vm.heap_top() < call.heap_top {
            vm.sbrk(call.heap_top - vm.heap_top()).ok_or_else(|| diverged("the heap"))?;
        }
        vm.set_reg(Reg::A0, call.results[0]);
        vm.set_reg(Reg::A1, call.results[1]);
        vm.set_gas_left(call.gas_left);
    }
    Ok(())
}
