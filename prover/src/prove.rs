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
pub fn prove_with_host(blob: &[u8], entry: &str, gas_limit: u64, drive: impl FnOnce(&mut dyn rivet_vm::GuestInstance), progress: impl FnMut(Stage)) -> Result<Proved, ProveError> {
    prove_inner(blob, entry, gas_limit, Some(drive), progress)
}

fn prove_inner(blob: &[u8], entry: &str, gas_limit: u64, drive: Option<impl FnOnce(&mut dyn rivet_vm::GuestInstance)>, mut progress: impl FnMut(Stage)) -> Result<Proved, ProveError> {
    let program = rivet_vm::parse(blob, &Limits::default()).map_err(|e| ProveError::InvalidProgram(format!("{e:?}")))?;
    let program = Arc::new(program);
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

/// Proves given traces (tests tamper with them first).
pub fn prove_witness(circuit: &Circuit, traces: &[p3_matrix::dense::RowMajorMatrix<crate::config::Val>], public_values: &[Vec<crate::config::Val>]) -> Result<Vec<u8>, ProveError> {
    let config = config();
    let airs = circuit.airs();
    let degree_bits: Vec<usize> = traces.iter().map(|t| t.height().trailing_zeros() as usize).collect();
    let data = ProverData::from_airs_and_degrees(&config, &airs, &degree_bits).map_err(|e| ProveError::Prover(format!("{e:?}")))?;
    let trace_refs: Vec<_> = traces.iter().collect();
    let instances = StarkInstance::new_multiple(&airs, &trace_refs, public_values);
    let proof = prove_batch(&config, &instances, &data).map_err(|e| ProveError::Prover(format!("{e:?}")))?;
    Ok(proof::encode(&proof, &circuit.host.clks))
}
