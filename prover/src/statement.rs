//! The public statement a proof is about.

use alloc::vec::Vec;

use p3_field::PrimeCharacteristicRing;

use crate::chips::{cpu, index, registers};
use crate::config::Val;

/// "The program with code hash `code_hash`, started at code address `entry` with
/// `gas_limit` gas, returns with `a0` and `a1` in those registers and `gas_left`
/// gas left."
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statement {
    pub code_hash: [u8; 32],
    pub entry: u32,
    pub gas_limit: u64,
    pub gas_left: u64,
    pub a0: u32,
    pub a1: u32,
}

/// Encoded length: hash, entry, gas limit, gas left, a0, a1 (little-endian).
pub const STATEMENT_BYTES: usize = 32 + 4 + 8 + 8 + 4 + 4;

impl Statement {
    pub fn gas_used(&self) -> u64 {
        self.gas_limit.saturating_sub(self.gas_left)
    }

    pub fn to_bytes(&self) -> [u8; STATEMENT_BYTES] {
        let mut out = [0u8; STATEMENT_BYTES];
        out[..32].copy_from_slice(&self.code_hash);
        out[32..36].copy_from_slice(&self.entry.to_le_bytes());
        out[36..44].copy_from_slice(&self.gas_limit.to_le_bytes());
        out[44..52].copy_from_slice(&self.gas_left.to_le_bytes());
        out[52..56].copy_from_slice(&self.a0.to_le_bytes());
        out[56..60].copy_from_slice(&self.a1.to_le_bytes());
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Statement> {
        if bytes.len() != STATEMENT_BYTES {
            return None;
        }
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or_default());
        let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or_default());
        Some(Statement {
            code_hash: bytes[..32].try_into().ok()?,
            entry: u32_at(32),
            gas_limit: u64_at(36),
            gas_left: u64_at(44),
            a0: u32_at(52),
            a1: u32_at(56),
        })
    }

    /// Whether the AIR can state it (gas in 48 bits, no more left than given).
    pub fn is_well_formed(&self) -> bool {
        self.gas_limit >> 48 == 0 && self.gas_left <= self.gas_limit
    }

    /// The public values of each table, in `chips::index` order.
    pub fn public_values(&self) -> Vec<Vec<Val>> {
        let mut pvs = alloc::vec![Vec::new(); index::COUNT];
        let limbs = |x: u64| (0..3).map(move |i| Val::from_u64((x >> (16 * i)) & 0xffff));
        let mut cpu_pv = alloc::vec![Val::from_u32(self.entry)];
        cpu_pv.extend(limbs(self.gas_limit));
        cpu_pv.extend(limbs(self.gas_left));
        debug_assert_eq!(cpu_pv.len(), cpu::public::WIDTH);
        let bytes = |x: u32| (0..4).map(move |i| Val::from_u32((x >> (8 * i)) & 0xff));
        let regs_pv: Vec<Val> = bytes(self.a0).chain(bytes(self.a1)).collect();
        debug_assert_eq!(regs_pv.len(), registers::public::WIDTH);
        pvs[index::CPU] = cpu_pv;
        pvs[index::REGISTERS] = regs_pv;
        pvs
    }
}
