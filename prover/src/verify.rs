//! The verifier: no_std, for the runtime. Every failure is an error value.

use alloc::{format, string::String, vec::Vec};

use blake2::{digest::consts::U32, Blake2b, Digest};
use p3_air::{Air, BaseAir};
use p3_batch_stark::common::{GlobalPreprocessed, PreprocessedInstanceMeta};
use p3_batch_stark::{verify_batch, Commitment, ProverData};
use p3_field::Field;
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;
use rivet_vm::Limits;

use crate::chips::{host::HostTables, Circuit, RivetAir};
use crate::config::{config, Config};
use crate::proof::{self, ProofBytesError};
use crate::{chips::index, Statement, MAX_LOG_STEPS, MIN_LOG_HEIGHT};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The blob given isn't the one the statement names.
    CodeHashMismatch,
    InvalidProgram(String),
    /// The statement's entry isn't one of the program's entry points.
    NoSuchEntry(u32),
    /// Gas left above the limit, or a limit above 2^48.
    BadStatement,
    ProofBytes(ProofBytesError),
    /// The proof has the wrong number of tables or a table of an impossible height.
    WrongShape(String),
    /// The proof doesn't prove the statement.
    Rejected(String),
}

impl core::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            VerifyError::CodeHashMismatch => f.write_str("the program's hash is not the statement's code hash"),
            VerifyError::InvalidProgram(e) => write!(f, "invalid program: {e}"),
            VerifyError::NoSuchEntry(pc) => write!(f, "{pc:#x} is not an entry point of the program"),
            VerifyError::BadStatement => f.write_str("the statement is malformed (gas left above the limit, or a limit above 2^48)"),
            VerifyError::ProofBytes(e) => write!(f, "{e}"),
            VerifyError::WrongShape(e) => write!(f, "the proof has the wrong shape: {e}"),
            VerifyError::Rejected(e) => write!(f, "the proof does not verify: {e}"),
        }
    }
}

/// The blake2-256 hash programs are named by (the contracts pallet's code hash).
pub fn code_hash(blob: &[u8]) -> [u8; 32] {
    Blake2b::<U32>::digest(blob).into()
}

/// Checks that `proof` proves `statement` about `blob` (computes the program's
/// verifying key first; keep a `VerifyingKey` to check many proofs).
pub fn verify(blob: &[u8], statement: &Statement, proof_bytes: &[u8]) -> Result<(), VerifyError> {
    VerifyingKey::new(blob)?.verify(statement, proof_bytes)
}

/// What checking proofs about one program needs: its tables and the commitment to
/// their fixed columns (the decoded code, the register file's entry state, the byte
/// table). Computing it is most of a one-off verification's time.
pub struct VerifyingKey {
    code_hash: [u8; 32],
    /// Each entry point's pc and the gas entering it costs.
    entries: Vec<(u32, u32)>,
    circuit: Circuit,
    commitment: Commitment<Config>,
    instances: Vec<Option<PreprocessedInstanceMeta>>,
    matrix_to_instance: Vec<usize>,
}

impl VerifyingKey {
    pub fn new(blob: &[u8]) -> Result<VerifyingKey, VerifyError> {
        let program = rivet_vm::parse(blob, &Limits::default()).map_err(|e| VerifyError::InvalidProgram(format!("{e:?}")))?;
        let circuit = Circuit::new(&program);
        let airs = circuit.airs();
        let degree_bits: Vec<usize> = airs.iter().map(|a| a.fixed_log_height().unwrap_or(MIN_LOG_HEIGHT)).collect();
        let data =
            ProverData::from_airs_and_degrees(&config(), &airs, &degree_bits).map_err(|e| VerifyError::InvalidProgram(format!("{e:?}")))?;
        let pre = data.common.preprocessed.ok_or_else(|| VerifyError::InvalidProgram("no fixed tables".into()))?;
        Ok(VerifyingKey {
            code_hash: code_hash(blob),
            entries: program
                .entry_points()
                .iter()
                .map(|&(_, pc)| (pc, program.index_of_pc(pc).map(|i| program.entry_cost(i)).unwrap_or(0)))
                .collect(),
            circuit,
            commitment: pre.commitment,
            instances: pre.instances,
            matrix_to_instance: pre.matrix_to_instance,
        })
    }

    pub fn code_hash(&self) -> [u8; 32] {
        self.code_hash
    }

    /// Checks that `proof` proves `statement` about this key's program.
    pub fn verify(&self, statement: &Statement, proof_bytes: &[u8]) -> Result<(), VerifyError> {
        if self.code_hash != statement.code_hash {
            return Err(VerifyError::CodeHashMismatch);
        }
        let &(_, entry_cost) =
            self.entries.iter().find(|(pc, _)| *pc == statement.entry).ok_or(VerifyError::NoSuchEntry(statement.entry))?;
        if !statement.is_well_formed() {
            return Err(VerifyError::BadStatement);
        }
        let (clks, extra_tables, seams, proof) = match proof::decode(proof_bytes).map_err(VerifyError::ProofBytes)? {
            proof::Decoded::Stark { host_clks, extra_tables, seams, proof } => (host_clks, extra_tables, seams, proof),
            // SPEC.md §6: the entry block is charged before anything runs; if it
            // can't be paid, the instance stays as the call started it.
            proof::Decoded::NothingRan => {
                return if statement.nothing_ran() && u64::from(entry_cost) > statement.gas_limit {
                    Ok(())
                } else {
                    Err(VerifyError::Rejected("the statement is not an execution that ran out of gas before its first instruction".into()))
                };
            }
        };
        let host = HostTables::new(&statement.transcript, &clks, statement.ended_by_host())
            .ok_or_else(|| VerifyError::WrongShape("the host calls' steps don't fit the transcript".into()))?;
        if !Circuit::extra_tables_allowed(&extra_tables) {
            return Err(VerifyError::WrongShape(format!("extra tables {extra_tables:?}")));
        }
        let tables = index::COUNT + extra_tables.len();
        if proof.degree_bits.len() != tables || proof.opened_values.instances.len() != tables {
            return Err(VerifyError::WrongShape(format!("{} tables, expected {tables}", proof.degree_bits.len())));
        }
        let circuit = Circuit { extra_tables, seams, ..self.circuit.with_host(host) };
        if circuit.seams.len() != circuit.cpu_segments() {
            return Err(VerifyError::WrongShape(format!("{} seams for {} CPU segments", circuit.seams.len(), circuit.cpu_segments())));
        }
        let airs = circuit.airs();
        check_shape(&circuit, &airs, &proof.degree_bits)?;
        let config = config();
        // The lookup layout for these heights, without recommitting the fixed tables.
        let shapes: Vec<ShapeOnly<'_>> = airs.iter().map(ShapeOnly).collect();
        let mut common = ProverData::from_airs_and_degrees(&config, &shapes, &proof.degree_bits)
            .map_err(|e| VerifyError::WrongShape(format!("{e:?}")))?
            .common;
        // Extra parts (CPU segments, split tables) have no fixed columns.
        let mut instances = self.instances.clone();
        instances.resize(airs.len(), None);
        common.preprocessed = Some(GlobalPreprocessed {
            commitment: self.commitment.clone(),
            instances,
            matrix_to_instance: self.matrix_to_instance.clone(),
        });
        verify_batch(&config, &airs, &proof, &circuit.public_values(statement), &common)
            .map_err(|e| VerifyError::Rejected(format!("{e:?}")))
    }
}

/// A table as the lookup layout sees it: everything but its fixed columns' values.
struct ShapeOnly<'a>(&'a RivetAir);

impl<F: Field> BaseAir<F> for ShapeOnly<'_> {
    fn width(&self) -> usize {
        <RivetAir as BaseAir<F>>::width(self.0)
    }
    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        None
    }
    fn preprocessed_width(&self) -> usize {
        <RivetAir as BaseAir<F>>::preprocessed_width(self.0)
    }
    fn num_public_values(&self) -> usize {
        <RivetAir as BaseAir<F>>::num_public_values(self.0)
    }
    fn main_next_row_columns(&self) -> Vec<usize> {
        <RivetAir as BaseAir<F>>::main_next_row_columns(self.0)
    }
    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        <RivetAir as BaseAir<F>>::preprocessed_next_row_columns(self.0)
    }
    fn num_periodic_columns(&self) -> usize {
        <RivetAir as BaseAir<F>>::num_periodic_columns(self.0)
    }
    fn periodic_columns(&self) -> alloc::borrow::Cow<'_, [Vec<F>]> {
        <RivetAir as BaseAir<F>>::periodic_columns(self.0)
    }
}

impl<AB: InteractionBuilder> Air<AB> for ShapeOnly<'_>
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        self.0.eval(builder)
    }
}

/// Table heights, checked before the library sees them: fixed tables have their
/// fixed height, the others one the AIR allows, and the CPU segments together at
/// most one table's worth of rows (the clock stays below 2^25). (The table count is
/// checked against the extra tables before.)
fn check_shape(circuit: &Circuit, airs: &[RivetAir], degree_bits: &[usize]) -> Result<(), VerifyError> {
    let max = MAX_LOG_STEPS as usize + 1;
    let bad: Vec<String> = airs
        .iter()
        .zip(degree_bits)
        .filter(|(air, &bits)| match air.fixed_log_height() {
            Some(fixed) => bits != fixed,
            None => !(MIN_LOG_HEIGHT..=max).contains(&bits),
        })
        .map(|(air, bits)| format!("{} table of height 2^{bits}", air.name()))
        .collect();
    if !bad.is_empty() {
        return Err(VerifyError::WrongShape(bad.join(", ")));
    }
    // (each height is at most 2^max now, so the sum can't overflow)
    let cpu_rows: u64 = circuit.cpu_tables().map(|t| 1u64 << degree_bits[t]).sum();
    if cpu_rows > 1 << max {
        return Err(VerifyError::WrongShape(format!("{cpu_rows} CPU rows, more than 2^{max}")));
    }
    Ok(())
}
