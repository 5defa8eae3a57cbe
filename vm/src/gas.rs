//! The gas cost table: what each instruction costs when its basic block is entered.
//!
//! Costs are consensus-critical and change only with a new blob version.

use crate::isa::{AluOp, Instruction};

/// Gas cost of one instruction.
pub const fn instruction_cost(insn: &Instruction) -> u32 {
    match insn {
        Instruction::Op { op, .. } => alu_cost(*op),
        Instruction::Load { .. } | Instruction::Store { .. } => 2,
        // A host call's own work is charged by the host; this pays for the exit and re-entry.
        Instruction::Ecall => 10,
        _ => 1,
    }
}

const fn alu_cost(op: AluOp) -> u32 {
    if op.is_div() {
        8
    } else if op.is_mul() {
        2
    } else {
        1
    }
}
