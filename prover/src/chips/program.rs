//! The program table: the committed code. One preprocessed row per instruction with
//! everything the CPU needs to execute it, decoded once here from `rivet_vm`'s
//! decoder and gas table (so prover, interpreter and JIT share one definition); the
//! main trace holds how often each row was executed.

use alloc::vec::Vec;

use p3_air::WindowAccess;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use rivet_vm::isa::{AluOp, BranchKind, Instruction};
use rivet_vm::memory_map::CODE_BASE;
use rivet_vm::Program;

use crate::buses::{self, op};
use crate::columns::columns;

/// The decoded-instruction columns: the program table's preprocessed row and the
/// first columns of the CPU row, in the same order (they are the `PROGRAM` message).
pub mod decoded {
    use super::columns;
    columns! {
        PC,
        F_ALU_R, F_ALU_I, F_LUI, F_AUIPC, F_BRANCH, F_JAL, F_JALR, F_LOAD, F_STORE, F_ECALL, F_TRAP,
        ALU_OP, MEM_KIND, RD, RS1, RS2, WRITES_RD,
        IMM[4], STATIC[4],
        TARGET,
        COST_LO, COST_HI, BLOCK_START,
    }
    /// The instruction-family flags; at most one is set, none for padding.
    pub const FLAGS: [usize; 11] = [F_ALU_R, F_ALU_I, F_LUI, F_AUIPC, F_BRANCH, F_JAL, F_JALR, F_LOAD, F_STORE, F_ECALL, F_TRAP];
}

/// Main columns: how many times the row was executed, and how many times a run
/// ran out of gas entering it.
pub const MULT: usize = 0;
pub const M_COST: usize = 1;

/// One instruction, decoded for the AIR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    pub family: Option<Family>,
    pub alu_op: u32,
    /// Load/store kind on the `MEMOP` bus.
    pub mem_kind: u32,
    pub rd: u32,
    pub rs1: u32,
    pub rs2: u32,
    pub writes_rd: bool,
    pub imm: u32,
    /// The value written to rd when it doesn't come from the ALU: lui's immediate,
    /// auipc's pc + immediate, jal/jalr's link address.
    pub static_value: u32,
    pub pc: u32,
    pub target: u32,
    pub entry_cost: u32,
    pub block_start: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    AluReg,
    AluImm,
    Lui,
    Auipc,
    Branch,
    Jal,
    Jalr,
    Load,
    Store,
    Ecall,
    /// ebreak or unimp: the run ends here (`alu_op` holds 1 or 2).
    Trap,
}

impl Family {
    fn column(self) -> usize {
        use decoded::*;
        match self {
            Family::AluReg => F_ALU_R,
            Family::AluImm => F_ALU_I,
            Family::Lui => F_LUI,
            Family::Auipc => F_AUIPC,
            Family::Branch => F_BRANCH,
            Family::Jal => F_JAL,
            Family::Jalr => F_JALR,
            Family::Load => F_LOAD,
            Family::Store => F_STORE,
            Family::Ecall => F_ECALL,
            Family::Trap => F_TRAP,
        }
    }
}

/// The ALU bus code of an operation.
pub fn alu_code(op: AluOp) -> Option<u32> {
    Some(match op {
        AluOp::Add => op::ADD,
        AluOp::Sub => op::SUB,
        AluOp::Xor => op::XOR,
        AluOp::Or => op::OR,
        AluOp::And => op::AND,
        AluOp::Slt => op::SLT,
        AluOp::Sltu => op::SLTU,
        AluOp::Sll => op::SLL,
        AluOp::Srl => op::SRL,
        AluOp::Sra => op::SRA,
        AluOp::Mul => op::MUL,
        AluOp::Mulh => op::MULH,
        AluOp::Mulhsu => op::MULHSU,
        AluOp::Mulhu => op::MULHU,
        AluOp::Div => op::DIV,
        AluOp::Divu => op::DIVU,
        AluOp::Rem => op::REM,
        AluOp::Remu => op::REMU,
    })
}

pub fn branch_code(kind: BranchKind) -> u32 {
    match kind {
        BranchKind::Eq => op::BEQ,
        BranchKind::Ne => op::BNE,
        BranchKind::Lt => op::BLT,
        BranchKind::Ge => op::BGE,
        BranchKind::Ltu => op::BLTU,
        BranchKind::Geu => op::BGEU,
    }
}

/// Decodes instruction `index`. Instructions the AIR can't prove yet get no family:
/// their rows can never be taken by a CPU row, so a proof can't execute them.
pub fn decode(program: &Program, index: usize) -> Decoded {
    let pc = CODE_BASE + 4 * index as u32;
    let mut d = Decoded { pc, entry_cost: program.entry_cost(index), block_start: program.is_block_start(index), ..Decoded::default() };
    let idx = |r: rivet_vm::Reg| r.index() as u32;
    match program.instructions()[index] {
        Instruction::Op { op, rd, rs1, rs2 } => {
            if let Some(code) = alu_code(op) {
                d.family = Some(Family::AluReg);
                d.alu_op = code;
                (d.rd, d.rs1, d.rs2) = (idx(rd), idx(rs1), idx(rs2));
            }
        }
        Instruction::OpImm { op, rd, rs1, imm } => {
            if let Some(code) = alu_code(op) {
                d.family = Some(Family::AluImm);
                d.alu_op = code;
                (d.rd, d.rs1, d.imm) = (idx(rd), idx(rs1), imm);
            }
        }
        Instruction::Fence => {
            // A no-op: x0 = x0 + 0, not written.
            d.family = Some(Family::AluImm);
            d.alu_op = op::ADD;
        }
        Instruction::Lui { rd, imm } => {
            d.family = Some(Family::Lui);
            d.rd = idx(rd);
            d.static_value = imm;
        }
        Instruction::Auipc { rd, imm } => {
            d.family = Some(Family::Auipc);
            d.rd = idx(rd);
            d.static_value = pc.wrapping_add(imm);
        }
        Instruction::Jal { rd, offset } => {
            d.family = Some(Family::Jal);
            d.rd = idx(rd);
            d.static_value = pc.wrapping_add(4);
            d.target = pc.wrapping_add(offset as u32);
        }
        Instruction::Jalr { rd, rs1, offset } => {
            d.family = Some(Family::Jalr);
            d.alu_op = op::ADD;
            (d.rd, d.rs1, d.imm) = (idx(rd), idx(rs1), offset as u32);
            d.static_value = pc.wrapping_add(4);
        }
        Instruction::Branch { kind, rs1, rs2, offset } => {
            d.family = Some(Family::Branch);
            d.alu_op = branch_code(kind);
            (d.rs1, d.rs2) = (idx(rs1), idx(rs2));
            d.target = pc.wrapping_add(offset as u32);
        }
        Instruction::Load { kind, rd, rs1, offset } => {
            d.family = Some(Family::Load);
            d.alu_op = op::ADD;
            d.mem_kind = crate::chips::memory::load_kind(kind);
            (d.rd, d.rs1, d.imm) = (idx(rd), idx(rs1), offset as u32);
        }
        Instruction::Store { kind, rs1, rs2, offset } => {
            d.family = Some(Family::Store);
            d.alu_op = op::ADD;
            d.mem_kind = crate::chips::memory::store_kind(kind);
            (d.rs1, d.rs2, d.imm) = (idx(rs1), idx(rs2), offset as u32);
        }
        Instruction::Ecall => {
            // Reads t0, the call number; the host-call table does the rest.
            d.family = Some(Family::Ecall);
            d.rs1 = rivet_vm::Reg::T0.index() as u32;
        }
        Instruction::Ebreak => {
            d.family = Some(Family::Trap);
            d.alu_op = crate::chips::trap::code::EBREAK;
        }
        Instruction::Unimp => {
            d.family = Some(Family::Trap);
            d.alu_op = crate::chips::trap::code::UNIMP;
        } // Every RV32EM instruction is covered.
    }
    d.writes_rd = d.rd != 0
        && matches!(
            d.family,
            Some(Family::AluReg | Family::AluImm | Family::Lui | Family::Auipc | Family::Jal | Family::Jalr | Family::Load)
        );
    d
}

impl Decoded {
    /// The row's values in `decoded` column order.
    pub fn write_row<F: PrimeCharacteristicRing + Copy>(&self, row: &mut [F]) {
        use decoded::*;
        if let Some(f) = self.family {
            row[f.column()] = F::ONE;
        }
        row[PC] = F::from_u32(self.pc);
        row[ALU_OP] = F::from_u32(self.alu_op);
        row[MEM_KIND] = F::from_u32(self.mem_kind);
        row[RD] = F::from_u32(self.rd);
        row[RS1] = F::from_u32(self.rs1);
        row[RS2] = F::from_u32(self.rs2);
        row[WRITES_RD] = F::from_bool(self.writes_rd);
        for i in 0..4 {
            row[IMM + i] = F::from_u32((self.imm >> (8 * i)) & 0xff);
            row[STATIC + i] = F::from_u32((self.static_value >> (8 * i)) & 0xff);
        }
        row[TARGET] = F::from_u32(self.target);
        row[COST_LO] = F::from_u32(self.entry_cost & 0xffff);
        row[COST_HI] = F::from_u32(self.entry_cost >> 16);
        row[BLOCK_START] = F::from_bool(self.block_start);
    }
}

/// The program table's AIR: a fixed (preprocessed) table of the decoded code.
#[derive(Clone, Debug)]
pub struct ProgramChip {
    pub rows: Vec<Decoded>,
    pub log_height: usize,
}

impl ProgramChip {
    pub fn new(program: &Program) -> Self {
        let rows: Vec<Decoded> = (0..program.instructions().len()).map(|i| decode(program, i)).collect();
        let log_height = crate::log_height_for(rows.len());
        ProgramChip { rows, log_height }
    }

    pub fn preprocessed<F: Field>(&self) -> RowMajorMatrix<F> {
        let height = 1 << self.log_height;
        let mut values = F::zero_vec(height * decoded::WIDTH);
        for (row, d) in values.chunks_mut(decoded::WIDTH).zip(&self.rows) {
            d.write_row(row);
        }
        RowMajorMatrix::new(values, decoded::WIDTH)
    }

    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let pre = builder.preprocessed().clone();
        let pre = pre.current_slice();
        let main = builder.main();
        let (mult, m_cost) = (main.current_slice()[MULT], main.current_slice()[M_COST]);
        builder.push_interaction(buses::PROGRAM, pre.iter().map(|&v| v.into()), Count::provided(mult.into()));
        let cost = [pre[decoded::PC], pre[decoded::COST_LO], pre[decoded::COST_HI], pre[decoded::BLOCK_START]];
        builder.push_interaction(buses::COST, cost.map(Into::into), Count::provided(m_cost.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the CPU table's ALU operand and memory value rely on (`cpu.rs`): register
    /// forms and branches decode with a zero immediate; immediate forms, jalr and
    /// loads with rs2 = x0; stores with rd = x0. Checked on every instruction of every
    /// guest program and sample.
    #[test]
    fn operands_the_cpu_sums_are_zero_where_unused() {
        let samples = [crate::samples::arithmetic(), crate::samples::memory(), crate::samples::mixed(3), crate::samples::bubble_sort(4)];
        let blobs = rivet_test_programs::ALL.iter().map(|(_, b)| b.to_vec()).chain(samples);
        let mut seen = alloc::collections::BTreeSet::new();
        for blob in blobs {
            let program = rivet_vm::parse(&blob, &Default::default()).unwrap();
            for index in 0..program.instructions().len() {
                let d = decode(&program, index);
                let Some(family) = d.family else { continue };
                seen.insert(family.column());
                match family {
                    Family::AluReg | Family::Branch => assert_eq!(d.imm, 0, "{d:?}"),
                    Family::AluImm | Family::Jalr | Family::Load => assert_eq!(d.rs2, 0, "{d:?}"),
                    Family::Store => assert!(d.rd == 0 && !d.writes_rd, "{d:?}"),
                    _ => {}
                }
            }
        }
        for f in [Family::AluReg, Family::Branch, Family::AluImm, Family::Jalr, Family::Load, Family::Store] {
            assert!(seen.contains(&f.column()), "no {f:?} instruction among the programs");
        }
    }
}
