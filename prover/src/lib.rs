//! # Rivet prover
//!
//! STARK proofs that a Rivet guest program ran as claimed: "the program with code
//! hash H, started at entry E with gas limit G, returns with a0/a1 = O and G - U gas
//! left". Plonky3's batch STARK (`p3-batch-stark`, LogUp buses from `p3-lookup`)
//! over BabyBear with FRI; the AIR is in `chips/` (design in the README).
//!
//! The verifier (`verify`) is `no_std` and returns an error, never panics, on any
//! proof bytes. The prover (`prove`, feature `std`) runs the interpreter with its
//! trace on and proves what it did, multi-threaded. The AIR covers all of RV32EM,
//! host calls, traps and out-of-gas endings (README).

#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod buses;
pub mod chips;
mod columns;
pub mod config;
pub mod proof;
#[cfg(feature = "std")]
mod prove;
pub mod samples;
mod statement;
pub mod transcript;
mod verify;
#[cfg(feature = "std")]
pub mod witness;

pub use proof::{ProofBytesError, MAX_PROOF_BYTES};
#[cfg(feature = "std")]
pub use prove::{prove, prove_replaying, prove_with_host, prove_witness, ProveError, Proved, Stage};
pub use statement::{Ending, Statement};
pub use transcript::{HostCall, Transcript};
pub use verify::{code_hash, verify, VerifyError, VerifyingKey};

/// Executions longer than 2^24 steps don't fit one proof (timestamps, `8·clk + k`,
/// stay below 2^27).
pub const MAX_LOG_STEPS: u32 = 24;

/// Smallest table height (log2): FRI needs a few rows even for an empty table.
pub const MIN_LOG_HEIGHT: usize = 4;

/// log2 of the power-of-two height that holds `rows` rows.
pub fn log_height_for(rows: usize) -> usize {
    (rows.max(1).next_power_of_two().trailing_zeros() as usize).max(MIN_LOG_HEIGHT)
}
