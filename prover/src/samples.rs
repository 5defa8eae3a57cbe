//! Programs the AIR can prove today (registers, ALU, branches, jumps): for tests,
//! the benchmark and trying the commands.

use alloc::{vec, vec::Vec};

use rivet_vm::isa::{encode::encode, AluOp, BranchKind, Instruction as I};
use rivet_vm::{BlobBuilder, Reg};

fn r(n: u32) -> Reg {
    match Reg::new(n) {
        Some(r) => r,
        None => Reg::ZERO,
    }
}

/// Fibonacci(`n`) mod 2^32 into a0 by a 5-instruction loop (`5n + 5` steps).
pub fn fibonacci(n: u32) -> Vec<u8> {
    let (zero, t0, t1, a0, a1) = (Reg::ZERO, r(5), r(6), r(10), r(11));
    let opi = |op, rd, rs1, imm: i32| encode(I::OpImm { op, rd, rs1, imm: imm as u32 });
    let lo = ((n << 20) as i32) >> 20;
    let c = vec![
        opi(AluOp::Add, a0, zero, 0),
        opi(AluOp::Add, a1, zero, 1),
        encode(I::Lui { rd: t0, imm: n.wrapping_sub(lo as u32) }),
        opi(AluOp::Add, t0, t0, lo),
        encode(I::Op { op: AluOp::Add, rd: t1, rs1: a0, rs2: a1 }),
        opi(AluOp::Add, a0, a1, 0),
        opi(AluOp::Add, a1, t1, 0),
        opi(AluOp::Add, t0, t0, -1),
        encode(I::Branch { kind: BranchKind::Ne, rs1: t0, rs2: zero, offset: -16 }),
        encode(I::Jalr { rd: zero, rs1: Reg::RA, offset: 0 }),
    ];
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.code_words(&c).entry("call", 0);
    b.to_bytes()
}

/// Fibonacci(`n`) by a loop, then every other instruction the AIR covers; returns
/// with results in a0 and a1. Entries `call` and `other` (returns at once).
pub fn mixed(n: i32) -> Vec<u8> {
    let (zero, ra, t0, t1, t2, s0, s1, a0, a1) = (Reg::ZERO, Reg::RA, r(5), r(6), r(7), r(8), r(9), r(10), r(11));
    let opi = |op, rd, rs1, imm: i32| encode(I::OpImm { op, rd, rs1, imm: imm as u32 });
    let op = |op, rd, rs1, rs2| encode(I::Op { op, rd, rs1, rs2 });
    let br = |kind, rs1, rs2, offset| encode(I::Branch { kind, rs1, rs2, offset });
    let mut c = vec![
        opi(AluOp::Add, a0, zero, 0),
        opi(AluOp::Add, a1, zero, 1),
        opi(AluOp::Add, t0, zero, n),
        // loop (index 3):
        op(AluOp::Add, t1, a0, a1),
        opi(AluOp::Add, a0, a1, 0),
        opi(AluOp::Add, a1, t1, 0),
        opi(AluOp::Add, t0, t0, -1),
        br(BranchKind::Ne, t0, zero, -16),
        opi(AluOp::Xor, s0, a0, 0x55),
        op(AluOp::And, s1, s0, a1),
        op(AluOp::Or, s1, s1, a0),
        op(AluOp::Xor, a1, s1, s0),
        op(AluOp::Slt, t2, a0, a1),
        op(AluOp::Sltu, t2, a1, a0),
        opi(AluOp::Slt, t2, a0, -5),
        opi(AluOp::Sltu, t2, a0, 100),
        op(AluOp::Sub, a1, a1, t2),
        encode(I::Auipc { rd: t1, imm: 0x1000 }),
        encode(I::Lui { rd: t1, imm: 0x12345 << 12 }),
        br(BranchKind::Lt, a0, zero, 8), // not taken
        br(BranchKind::Ge, a0, zero, 8), // taken
        encode(I::Ebreak),               // skipped
        br(BranchKind::Ltu, zero, a0, 8), // taken
        encode(I::Ebreak),
        br(BranchKind::Geu, zero, a0, 8), // not taken
        br(BranchKind::Eq, a0, a0, 8),    // taken
        encode(I::Ebreak),
        opi(AluOp::Add, zero, a0, 1), // a write to x0: discarded
        op(AluOp::Add, a0, a0, zero),
        encode(I::Jal { rd: t1, offset: 12 }), // call the subroutine at +12
        encode(I::Fence),
        encode(I::Jalr { rd: zero, rs1: ra, offset: 0 }), // return
        // subroutine: a1 += 7, back through t1 (odd offset: bit 0 is cleared)
        opi(AluOp::Add, a1, a1, 7),
        encode(I::Jalr { rd: zero, rs1: t1, offset: 1 }),
    ];
    let other = c.len() as u32 * 4;
    c.push(encode(I::Jalr { rd: zero, rs1: ra, offset: 0 }));
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.code_words(&c).entry("call", 0).entry("other", other);
    b.to_bytes()
}

