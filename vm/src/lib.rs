//! Rivet's guest machine: RV32EM programs in a validated blob format, run by an
//! interpreter with deterministic per-block gas, sandboxed memory, resumable host
//! calls and an optional execution trace. `SPEC.md` beside this crate is the
//! normative description; this code implements it.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod backend;
pub mod blob;
pub mod gas;
pub mod gas_probes;
pub mod interpreter;
pub mod isa;
pub mod memory_map;
pub mod program;
pub mod trace;

pub use backend::{entry_registers, GuestInstance};
pub use blob::{parse, BlobBuilder, BlobError, Limits};
pub use interpreter::{CallError, Instance, Module};
pub use isa::{Instruction, Reg};
pub use program::Program;

use core::fmt;

/// Why `run` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// The entry point returned (jumped to `RETURN_ADDRESS`).
    Finished,
    Trap(Trap),
    /// Entering the next block needs more gas than is left; nothing of it ran.
    /// Raise the gas and `run` again to continue.
    OutOfGas,
    /// `ecall` with this number in `t0`. The host reads arguments, writes results,
    /// and calls `run` again to continue after the `ecall`.
    HostCall(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trap {
    pub kind: TrapKind,
    /// Address of the instruction that trapped.
    pub pc: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapKind {
    /// `unimp` or the all-zero word.
    Unimp,
    Ebreak,
    /// Load from an address that isn't mapped data.
    LoadFault {
        addr: u32,
    },
    /// Store to an address that isn't mapped data.
    StoreFault {
        addr: u32,
    },
    /// Store to read-only data.
    ReadOnlyWrite {
        addr: u32,
    },
    /// Load or store whose address isn't a multiple of its size.
    Misaligned {
        addr: u32,
    },
    /// Control reached an address that isn't an instruction of the code.
    InvalidJumpTarget {
        target: u32,
    },
    /// `run` on an instance that finished, trapped, or has no entry point selected.
    NotRunnable,
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrapKind::Unimp => f.write_str("unimplemented instruction (unimp)"),
            TrapKind::Ebreak => f.write_str("breakpoint (ebreak)"),
            TrapKind::LoadFault { addr } => write!(f, "load from unmapped address {addr:#010x}"),
            TrapKind::StoreFault { addr } => write!(f, "store to unmapped address {addr:#010x}"),
            TrapKind::ReadOnlyWrite { addr } => write!(f, "store to read-only address {addr:#010x}"),
            TrapKind::Misaligned { addr } => write!(f, "misaligned access at {addr:#010x}"),
            TrapKind::InvalidJumpTarget { target } => write!(f, "jump to {target:#010x}, not an instruction of the code"),
            TrapKind::NotRunnable => f.write_str("instance is not runnable (finished, trapped or no entry selected)"),
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at pc {:#010x}", self.kind, self.pc)
    }
}

/// A host access to guest memory that the guest itself could not make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryError {
    Unmapped { addr: u32 },
    ReadOnly { addr: u32 },
}

impl fmt::Display for MemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemoryError::Unmapped { addr } => write!(f, "guest range at {addr:#010x} is not mapped"),
            MemoryError::ReadOnly { addr } => write!(f, "guest range at {addr:#010x} is read-only"),
        }
    }
}
