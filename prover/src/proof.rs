//! Proof bytes: `"RVPF"`, a format version, a kind, then for a STARK the steps at
//! which the host calls happened (u32 count, u64 each), which tables the tables after
//! the 16 continue (u8 count, u8 each: `Circuit::extra_tables`) and the Plonky3 batch
//! proof in postcard; for "nothing ran" (out of gas before the first instruction, which
//! the verifier checks against the program itself) nothing more.

use alloc::vec::Vec;

use p3_batch_stark::BatchProof;

use crate::chips::cpu::State;
use crate::config::Config;

pub type Proof = BatchProof<Config>;

/// Larger proof files are refused before decoding.
pub const MAX_PROOF_BYTES: usize = 16 << 20;
const MAGIC: &[u8; 4] = b"RVPF";
const VERSION: u8 = 6;
const KIND_STARK: u8 = 0;
const KIND_NOTHING_RAN: u8 = 1;

/// What proof bytes hold.
pub enum Decoded {
    /// A STARK, with the steps its host calls happened at, its extra tables and the
    /// states between its CPU segments and after its last step (`Circuit::seams`).
    Stark { host_clks: Vec<u64>, extra_tables: Vec<usize>, seams: Vec<State>, proof: alloc::boxed::Box<Proof> },
    /// The entry block costs more than the gas limit: no instruction ran.
    NothingRan,
}

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
            ProofBytesError::UnsupportedVersion(v) => {
                write!(f, "proof format version {v} is not supported (this verifier reads {VERSION})")
            }
            ProofBytesError::Malformed => f.write_str("the proof bytes don't decode (truncated or garbled)"),
        }
    }
}

/// The bytes of `proof`, whose host calls happened at steps `host_clks`, with these
/// extra tables (at most 255, each a table index below 256: `Circuit` keeps far fewer)
/// and seams (at most 255; the last one's gas isn't written, the statement has it).
pub fn encode(proof: &Proof, host_clks: &[u64], extra_tables: &[usize], seams: &[State]) -> Vec<u8> {
    let mut out = Vec::from(&MAGIC[..]);
    out.push(VERSION);
    out.push(KIND_STARK);
    out.extend_from_slice(&(host_clks.len() as u32).to_le_bytes());
    for c in host_clks {
        out.extend_from_slice(&c.to_le_bytes());
    }
    out.push(extra_tables.len() as u8);
    out.extend(extra_tables.iter().map(|&t| t as u8));
    out.push(seams.len() as u8);
    for (k, s) in seams.iter().enumerate() {
        out.extend_from_slice(&s.clk.to_le_bytes());
        out.extend_from_slice(&s.pc.to_le_bytes());
        if k + 1 < seams.len() {
            out.extend_from_slice(&s.gas.to_le_bytes());
        }
        out.extend_from_slice(&s.heap.to_le_bytes());
        out.push(s.transfer as u8);
    }
    // Serializing an in-memory proof into a vector can't fail.
    out.extend(postcard::to_allocvec(proof).unwrap_or_default());
    out
}

/// The bytes that say no instruction ran.
pub fn encode_nothing_ran() -> Vec<u8> {
    let mut out = Vec::from(&MAGIC[..]);
    out.extend([VERSION, KIND_NOTHING_RAN]);
    out
}

pub fn decode(bytes: &[u8]) -> Result<Decoded, ProofBytesError> {
    if bytes.len() > MAX_PROOF_BYTES {
        return Err(ProofBytesError::TooLarge { len: bytes.len() });
    }
    if bytes.len() < 5 || &bytes[..4] != MAGIC {
        return Err(ProofBytesError::NotAProof);
    }
    if bytes[4] != VERSION {
        return Err(ProofBytesError::UnsupportedVersion(bytes[4]));
    }
    let rest = match bytes[5..] {
        [KIND_STARK, ref rest @ ..] => rest,
        [KIND_NOTHING_RAN] => return Ok(Decoded::NothingRan),
        _ => return Err(ProofBytesError::Malformed),
    };
    let count = rest.get(..4).and_then(|c| c.try_into().ok()).map(u32::from_le_bytes).ok_or(ProofBytesError::Malformed)? as usize;
    let clk_bytes = count.checked_mul(8).filter(|&n| n + 4 <= rest.len()).ok_or(ProofBytesError::Malformed)?;
    let clks = rest[4..4 + clk_bytes].chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())).collect();
    let rest = &rest[4 + clk_bytes..];
    let extra = *rest.first().ok_or(ProofBytesError::Malformed)? as usize;
    let extra_tables: Vec<usize> = rest.get(1..1 + extra).ok_or(ProofBytesError::Malformed)?.iter().map(|&t| t as usize).collect();
    let mut rest = &rest[1 + extra..];
    let mut take = |n: usize| -> Result<&[u8], ProofBytesError> {
        let (head, tail) = rest.split_at_checked(n).ok_or(ProofBytesError::Malformed)?;
        rest = tail;
        Ok(head)
    };
    let segments = take(1)?[0] as usize;
    let mut seams = Vec::with_capacity(segments);
    for k in 0..segments {
        let u32_of = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap_or_default());
        let u64_of = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
        let clk = u64_of(take(8)?);
        let pc = u32_of(take(4)?);
        let gas = if k + 1 < segments { u64_of(take(8)?) } else { 0 };
        let heap = u32_of(take(4)?);
        let transfer = match take(1)? {
            [0] => false,
            [1] => true,
            _ => return Err(ProofBytesError::Malformed),
        };
        seams.push(State { clk, pc, gas, heap, transfer });
    }
    match postcard::take_from_bytes::<Proof>(rest) {
        Ok((proof, [])) => Ok(Decoded::Stark { host_clks: clks, extra_tables, seams, proof: alloc::boxed::Box::new(proof) }),
        _ => Err(ProofBytesError::Malformed),
    }
}

/// A proof file: the statement, then the proof (what `rivet-vm prove` writes).
pub fn bundle(statement: &crate::Statement, proof: &[u8]) -> Vec<u8> {
    let mut out = statement.to_bytes();
    out.extend_from_slice(proof);
    out
}

/// Splits a proof file into its statement and proof bytes.
pub fn unbundle(file: &[u8]) -> Result<(crate::Statement, &[u8]), ProofBytesError> {
    let (statement, n) = crate::Statement::from_bytes(file).ok_or(ProofBytesError::Malformed)?;
    Ok((statement, &file[n..]))
}
