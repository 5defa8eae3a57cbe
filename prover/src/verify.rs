//! The verifier: no_std, for the runtime. Every failure is an error value.

use alloc::{format, string::String, vec::Vec};

use blake2::{digest::consts::U32, Blake2b, Digest};
use p3_batch_stark::{verify_batch, ProverData};
use rivet_vm::Limits;

use crate::chips::{program::ProgramChip, RivetAir};
use crate::config::config;
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

/// Checks that `proof` proves `statement` about `blob`.
pub fn verify(blob: &[u8], statement: &Statement, proof_bytes: &[u8]) -> Result<(), VerifyError> {
    if code_hash(blob) != statement.code_hash {
        return Err(VerifyError::CodeHashMismatch);
    }
    let program = rivet_vm::parse(blob, &Limits::default()).map_err(|e| VerifyError::InvalidProgram(format!("{e:?}")))?;
    if !program.entry_points().iter().any(|&(_, pc)| pc == statement.entry) {
        return Err(VerifyError::NoSuchEntry(statement.entry));
    }
    if !statement.is_well_formed() {
        return Err(VerifyError::BadStatement);
    }
    let proof = proof::decode(proof_bytes).map_err(VerifyError::ProofBytes)?;
    let airs = RivetAir::all(&ProgramChip::new(&program));
    check_shape(&airs, &proof.degree_bits, proof.opened_values.instances.len())?;
    let config = config();
    let data = ProverData::from_airs_and_degrees(&config, &airs, &proof.degree_bits).map_err(|e| VerifyError::WrongShape(format!("{e:?}")))?;
    verify_batch(&config, &airs, &proof, &statement.public_values(), &data.common).map_err(|e| VerifyError::Rejected(format!("{e:?}")))
}

/// Table count and heights, checked before the library sees them: fixed tables
/// have their fixed height, the others one the AIR allows.
fn check_shape(airs: &[RivetAir], degree_bits: &[usize], opened: usize) -> Result<(), VerifyError> {
    if degree_bits.len() != index::COUNT || opened != index::COUNT {
        return Err(VerifyError::WrongShape(format!("{} tables, expected {}", degree_bits.len(), index::COUNT)));
    }
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
    if bad.is_empty() {
        Ok(())
    } else {
        Err(VerifyError::WrongShape(bad.join(", ")))
    }
}
