//! The tables (chips) of the AIR and the one type over all of them that the
//! batch prover and verifier take.

pub mod add_sub;
pub mod bitwise;
pub mod bytes;
pub mod cpu;
pub mod lt;
pub mod program;
pub mod registers;

use alloc::vec::Vec;

use p3_air::{Air, BaseAir};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use crate::buses;

/// A count that is 0 or ±1 on every row (the AIR makes its flags boolean).
pub(crate) fn bool_count<E>(e: E) -> Count<E> {
    Count::bounded(e, 1)
}

/// Takes a 16-bit range check of `value` (`count` is 0 or 1).
pub(crate) fn u16_check<AB: InteractionBuilder>(builder: &mut AB, value: AB::Expr, count: AB::Expr) {
    builder.push_interaction(buses::U16, [value], bool_count(-count));
}

/// Range-checks two bytes at once: `lo + 256·hi < 2^16`.
pub(crate) fn u16_of_bytes<AB: InteractionBuilder>(builder: &mut AB, [lo, hi]: [AB::Var; 2], count: AB::Expr) {
    let value = lo.into() + hi.into() * AB::Expr::from_u32(256);
    u16_check(builder, value, count);
}

/// Every table, in the order the proof holds them.
#[derive(Clone, Debug)]
pub enum RivetAir {
    Program(program::ProgramChip),
    Cpu(cpu::CpuChip),
    Registers(registers::RegistersChip),
    Bytes(bytes::BytesChip),
    AddSub(add_sub::AddSubChip),
    Bitwise(bitwise::BitwiseChip),
    Lt(lt::LtChip),
}

/// Which table is at which position.
pub mod index {
    pub const PROGRAM: usize = 0;
    pub const CPU: usize = 1;
    pub const REGISTERS: usize = 2;
    pub const BYTES: usize = 3;
    pub const ADD_SUB: usize = 4;
    pub const BITWISE: usize = 5;
    pub const LT: usize = 6;
    pub const COUNT: usize = 7;
}

impl RivetAir {
    /// The tables for one program.
    pub fn all(program: &program::ProgramChip) -> Vec<RivetAir> {
        alloc::vec![
            RivetAir::Program(program.clone()),
            RivetAir::Cpu(cpu::CpuChip),
            RivetAir::Registers(registers::RegistersChip),
            RivetAir::Bytes(bytes::BytesChip),
            RivetAir::AddSub(add_sub::AddSubChip),
            RivetAir::Bitwise(bitwise::BitwiseChip),
            RivetAir::Lt(lt::LtChip),
        ]
    }

    pub fn name(&self) -> &'static str {
        match self {
            RivetAir::Program(_) => "program",
            RivetAir::Cpu(_) => "cpu",
            RivetAir::Registers(_) => "registers",
            RivetAir::Bytes(_) => "bytes",
            RivetAir::AddSub(_) => "add/sub",
            RivetAir::Bitwise(_) => "bitwise",
            RivetAir::Lt(_) => "compare",
        }
    }

    /// The height of tables whose height the program fixes.
    pub fn fixed_log_height(&self) -> Option<usize> {
        match self {
            RivetAir::Program(p) => Some(p.log_height),
            RivetAir::Registers(_) => Some(registers::LOG_HEIGHT),
            RivetAir::Bytes(_) => Some(bytes::LOG_HEIGHT),
            _ => None,
        }
    }
}

impl<F: Field> BaseAir<F> for RivetAir {
    fn width(&self) -> usize {
        match self {
            RivetAir::Program(_) => 1,
            RivetAir::Cpu(_) => cpu::WIDTH,
            RivetAir::Registers(_) => registers::main::WIDTH,
            RivetAir::Bytes(_) => bytes::main::WIDTH,
            RivetAir::AddSub(_) => add_sub::WIDTH,
            RivetAir::Bitwise(_) => bitwise::WIDTH,
            RivetAir::Lt(_) => lt::WIDTH,
        }
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        match self {
            RivetAir::Program(p) => Some(p.preprocessed()),
            RivetAir::Registers(r) => Some(r.preprocessed()),
            RivetAir::Bytes(b) => Some(b.preprocessed()),
            _ => None,
        }
    }

    fn preprocessed_width(&self) -> usize {
        match self {
            RivetAir::Program(_) => program::decoded::WIDTH,
            RivetAir::Registers(_) => registers::pre::WIDTH,
            RivetAir::Bytes(_) => bytes::pre::WIDTH,
            _ => 0,
        }
    }

    fn num_public_values(&self) -> usize {
        match self {
            RivetAir::Cpu(_) => cpu::public::WIDTH,
            RivetAir::Registers(_) => registers::public::WIDTH,
            _ => 0,
        }
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        match self {
            RivetAir::Cpu(_) => (0..cpu::WIDTH).collect(),
            _ => Vec::new(),
        }
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }
}

impl<AB: InteractionBuilder> Air<AB> for RivetAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        match self {
            RivetAir::Program(p) => p.eval(builder),
            RivetAir::Cpu(c) => c.eval(builder),
            RivetAir::Registers(r) => r.eval(builder),
            RivetAir::Bytes(b) => b.eval(builder),
            RivetAir::AddSub(a) => a.eval(builder),
            RivetAir::Bitwise(b) => b.eval(builder),
            RivetAir::Lt(l) => l.eval(builder),
        }
    }
}
