//! Proof bytes: `"RVPF"`, a format version, then the Plonky3 batch proof in postcard.

use alloc::vec::Vec;

use p3_batch_stark::BatchProof;

use crate::config::Config;

pub type Proof = BatchProof<Config>;

/// Larger proof files are refused before decoding.
pub const MAX_PROOF_BYTES: usize = 16 << 20;
const MAGIC: &[u8; 4] = b"RVPF";
const VERSION: u8 = 1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProofBytesError {
    TooLarge { len: usize },
    NotAProof,
    UnsupportedVersion(u8),
    Malformed,
}

impl core::fmt::Display for ProofBytesError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ProofBytesError::TooLarge { len } => write!(f, "{len} bytes is larger than a proof can be ({MAX_PROOF_BYTES})"),
            ProofBytesError::NotAProof => f.write_str("not a Rivet proof (bad magic)"),
            ProofBytesError::UnsupportedVersion(v) => write!(f, "proof format version {v} is not supported (this verifier reads {VERSION})"),
            ProofBytesError::Malformed => f.write_str("the proof bytes don't decode (truncated or garbled)"),
        }
    }
}

/// The bytes of `proof`.
pub fn encode(proof: &Proof) -> Vec<u8> {
    let mut out = Vec::from(&MAGIC[..]);
    out.push(VERSION);
    // Serializing an in-memory proof into a vector can't fail.
    out.extend(postcard::to_allocvec(proof).unwrap_or_default());
    out
}

pub fn decode(bytes: &[u8]) -> Result<Proof, ProofBytesError> {
    if bytes.len() > MAX_PROOF_BYTES {
        return Err(ProofBytesError::TooLarge { len: bytes.len() });
    }
    if bytes.len() < 5 || &bytes[..4] != MAGIC {
        return Err(ProofBytesError::NotAProof);
    }
    if bytes[4] != VERSION {
        return Err(ProofBytesError::UnsupportedVersion(bytes[4]));
    }
    match postcard::take_from_bytes::<Proof>(&bytes[5..]) {
        Ok((proof, [])) => Ok(proof),
        _ => Err(ProofBytesError::Malformed),
    }
}

/// A proof file: the statement, then the proof (what `rivet-vm prove` writes).
pub fn bundle(statement: &crate::Statement, proof: &[u8]) -> Vec<u8> {
    let mut out = Vec::from(&statement.to_bytes()[..]);
    out.extend_from_slice(proof);
    out
}

/// Splits a proof file into its statement and proof bytes.
pub fn unbundle(file: &[u8]) -> Result<(crate::Statement, &[u8]), ProofBytesError> {
    let n = crate::statement::STATEMENT_BYTES;
    if file.len() < n {
        return Err(ProofBytesError::Malformed);
    }
    let statement = crate::Statement::from_bytes(&file[..n]).ok_or(ProofBytesError::Malformed)?;
    Ok((statement, &file[n..]))
}
