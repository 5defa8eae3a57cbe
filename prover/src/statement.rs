//! The public statement a proof is about.

use alloc::vec::Vec;

use p3_field::PrimeCharacteristicRing;

use crate::chips::{cpu, index, registers};
use crate::config::Val;
use crate::transcript::Transcript;

/// How an execution ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It returned to its caller (jumped to the return address).
    Returned,
    /// The host ended it at its last host call (e.g. with its output: the bytes that
    /// call read are in the transcript).
    EndedByHost,
    /// It trapped at an `ebreak`.
    Ebreak,
    /// It trapped at an `unimp` (Rust panics end here).
    Unimp,
    /// Entering the next block would have cost more gas than was left.
    OutOfGas,
    /// A load or store at an address not a multiple of its size.
    Misaligned,
    /// A load from an unmapped address.
    LoadFault,
    /// A store to an unmapped address.
    StoreFault,
    /// A store to read-only data.
    ReadOnlyWrite,
    /// A jump to an address that isn't an instruction (or falling off the code's end).
    InvalidJumpTarget,
}

impl Ending {
    const ALL: [Ending; 10] = [
        Ending::Returned,
        Ending::EndedByHost,
        Ending::Ebreak,
        Ending::Unimp,
        Ending::OutOfGas,
        Ending::Misaligned,
        Ending::LoadFault,
        Ending::StoreFault,
        Ending::ReadOnlyWrite,
        Ending::InvalidJumpTarget,
    ];

    /// The code in statements.
    pub fn code(self) -> u8 {
        Ending::ALL.iter().position(|&e| e == self).unwrap_or_default() as u8
    }

    pub fn from_code(c: u8) -> Option<Ending> {
        Ending::ALL.get(c as usize).copied()
    }

    /// The ending of a VM trap.
    pub fn of_trap(kind: &rivet_vm::TrapKind) -> Option<Ending> {
        use rivet_vm::TrapKind as T;
        Some(match kind {
            T::Ebreak => Ending::Ebreak,
            T::Unimp => Ending::Unimp,
            T::Misaligned { .. } => Ending::Misaligned,
            T::LoadFault { .. } => Ending::LoadFault,
            T::StoreFault { .. } => Ending::StoreFault,
            T::ReadOnlyWrite { .. } => Ending::ReadOnlyWrite,
            T::InvalidJumpTarget { .. } => Ending::InvalidJumpTarget,
            T::NotRunnable => return None,
        })
    }

    /// The trap code the CPU table makes public (`chips::trap::code`), 0 if no trap.
    pub fn trap_code(self) -> u32 {
        use crate::chips::trap::code;
        match self {
            Ending::Ebreak => code::EBREAK,
            Ending::Unimp => code::UNIMP,
            Ending::Misaligned => code::MISALIGNED,
            Ending::LoadFault => code::LOAD_FAULT,
            Ending::StoreFault => code::STORE_FAULT,
            Ending::ReadOnlyWrite => code::READ_ONLY_WRITE,
            Ending::InvalidJumpTarget => code::INVALID_JUMP,
            Ending::Returned | Ending::EndedByHost | Ending::OutOfGas => 0,
        }
    }
}

/// "The program with code hash `code_hash`, started at code address `entry` with
/// `gas_limit` gas and the host answering as `transcript` says, ends as `ending` says
/// with `a0` and `a1` in those registers and `gas_left` gas left."
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub code_hash: [u8; 32],
    pub entry: u32,
    pub gas_limit: u64,
    pub gas_left: u64,
    pub a0: u32,
    pub a1: u32,
    pub ending: Ending,
    pub transcript: Transcript,
}

/// Encoded length of the fixed part: hash, entry, gas limit, gas left, a0, a1,
/// the ending's code (little-endian); the transcript follows.
pub const STATEMENT_FIXED_BYTES: usize = 32 + 4 + 8 + 8 + 4 + 4 + 1;

impl Statement {
    pub fn ended_by_host(&self) -> bool {
        self.ending == Ending::EndedByHost
    }

    /// The statement that nothing ran: out of gas at the entry, with the registers as
    /// a call starts (SPEC.md §4), the whole limit left and no host call.
    pub fn nothing_ran_at(code_hash: [u8; 32], entry: u32, gas_limit: u64) -> Statement {
        let registers = rivet_vm::entry_registers();
        Statement {
            code_hash,
            entry,
            gas_limit,
            gas_left: gas_limit,
            a0: registers[rivet_vm::Reg::A0.index()],
            a1: registers[rivet_vm::Reg::A1.index()],
            ending: Ending::OutOfGas,
            transcript: Transcript::default(),
        }
    }

    /// Whether this states that nothing ran (`nothing_ran_at`).
    pub fn nothing_ran(&self) -> bool {
        *self == Statement::nothing_ran_at(self.code_hash, self.entry, self.gas_limit)
    }

    pub fn gas_used(&self) -> u64 {
        self.gas_limit.saturating_sub(self.gas_left)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = alloc::vec![0u8; STATEMENT_FIXED_BYTES];
        out[..32].copy_from_slice(&self.code_hash);
        out[32..36].copy_from_slice(&self.entry.to_le_bytes());
        out[36..44].copy_from_slice(&self.gas_limit.to_le_bytes());
        out[44..52].copy_from_slice(&self.gas_left.to_le_bytes());
        out[52..56].copy_from_slice(&self.a0.to_le_bytes());
        out[56..60].copy_from_slice(&self.a1.to_le_bytes());
        out[60] = self.ending.code();
        out.extend(self.transcript.to_bytes());
        out
    }

    /// Decodes a statement from the front of `bytes`; returns it and its length.
    pub fn from_bytes(bytes: &[u8]) -> Option<(Statement, usize)> {
        if bytes.len() < STATEMENT_FIXED_BYTES {
            return None;
        }
        let ending = Ending::from_code(bytes[60])?;
        let (transcript, len) = Transcript::from_bytes(&bytes[STATEMENT_FIXED_BYTES..])?;
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or_default());
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or_default());
        let statement = Statement {
            code_hash: bytes[..32].try_into().ok()?,
            entry: u32_at(32),
            gas_limit: u64_at(36),
            gas_left: u64_at(44),
            a0: u32_at(52),
            a1: u32_at(56),
            ending,
            transcript,
        };
        Some((statement, STATEMENT_FIXED_BYTES + len))
    }

    /// Whether the AIR can state it: gas in 48 bits, never more left than given, and
    /// a host call to end at when the host ended the run.
    pub fn is_well_formed(&self) -> bool {
        self.gas_limit >> 48 == 0
            && self.gas_left <= self.gas_limit
            && self.transcript.calls.iter().all(|c| c.gas_left <= self.gas_limit)
            && (!self.ended_by_host() || !self.transcript.calls.is_empty())
    }

    /// The public values of each table, in `chips::index` order.
    pub fn public_values(&self) -> Vec<Vec<Val>> {
        let mut pvs = alloc::vec![Vec::new(); index::COUNT];
        let e = self.ending;
        let mut cpu_pv: Vec<Val> = [e == Ending::Returned, e == Ending::EndedByHost, e.trap_code() != 0].map(Val::from_bool).to_vec();
        cpu_pv.push(Val::from_u32(e.trap_code()));
        cpu_pv.push(Val::from_bool(e == Ending::OutOfGas));
        // (the code's end comes from the program, which segment the table is and the
        // states it starts in and hands on from the proof's shape: `Circuit`)
        debug_assert_eq!(cpu_pv.len() + 16, cpu::public::WIDTH);
        let bytes = |x: u32| (0..4).map(move |i| Val::from_u32((x >> (8 * i)) & 0xff));
        let regs_pv: Vec<Val> = bytes(self.a0).chain(bytes(self.a1)).collect();
        debug_assert_eq!(regs_pv.len(), registers::public::WIDTH);
        pvs[index::CPU] = cpu_pv;
        pvs[index::REGISTERS] = regs_pv;
        pvs
    }
}
