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
        br(BranchKind::Lt, a0, zero, 8),  // not taken
        br(BranchKind::Ge, a0, zero, 8),  // taken
        encode(I::Ebreak),                // skipped
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

/// Loads and stores of every width, signed and unsigned, on read-only data,
/// read-write data, bss and the stack; folds what it read into a0 and a1.
pub fn memory() -> Vec<u8> {
    use rivet_vm::isa::{LoadKind as L, StoreKind as S};
    let (zero, t0, t1, t2, s0, s1, a0, a1) = (Reg::ZERO, r(5), r(6), r(7), r(8), r(9), r(10), r(11));
    let ld = |kind, rd, rs1, offset| encode(I::Load { kind, rd, rs1, offset });
    let st = |kind, rs1, rs2, offset| encode(I::Store { kind, rs1, rs2, offset });
    let add = |rd, rs1, rs2| encode(I::Op { op: AluOp::Add, rd, rs1, rs2 });
    let xor = |rd, rs1, rs2| encode(I::Op { op: AluOp::Xor, rd, rs1, rs2 });
    let c = vec![
        encode(I::Lui { rd: s0, imm: 0x0010_0000 }), // read-only data
        encode(I::Lui { rd: s1, imm: 0x0010_1000 }), // read-write data, then bss at +16
        ld(L::Byte, t0, s0, 0),                      // 0x80 → 0xffffff80
        ld(L::ByteU, t1, s0, 0),                     // 0x80
        add(a0, t0, t1),
        ld(L::Half, t0, s0, 2), // 0x7fff
        xor(a0, a0, t0),
        ld(L::HalfU, t0, s0, 6), // 0x8000
        add(a0, a0, t0),
        ld(L::Half, t0, s0, 6), // 0xffff8000
        xor(a0, a0, t0),
        ld(L::Word, t0, s0, 4), // 0x80001234
        add(a0, a0, t0),
        ld(L::Byte, t0, s0, 3), // 0x7f
        add(a0, a0, t0),
        // read-write data: bytes and halves into a word
        ld(L::Word, t1, s1, 4),
        st(S::Byte, s1, a0, 5),
        st(S::Half, s1, a0, 6),
        ld(L::Word, t2, s1, 4),
        xor(a1, t1, t2),
        st(S::Word, s1, a1, 0),
        ld(L::HalfU, t0, s1, 2),
        add(a1, a1, t0),
        // bss (zero at first), then written
        ld(L::Word, t0, s1, 16),
        add(a1, a1, t0),
        st(S::Byte, s1, a1, 19),
        ld(L::Byte, t0, s1, 19),
        add(a1, a1, t0),
        // the stack: unwritten (zero), then written
        ld(L::Word, t0, Reg::SP, -8),
        add(a0, a0, t0),
        st(S::Word, Reg::SP, a0, -4),
        st(S::Half, Reg::SP, a1, -8),
        ld(L::Word, t0, Reg::SP, -4),
        ld(L::HalfU, t1, Reg::SP, -8),
        xor(a0, t0, t1),
        ld(L::Byte, t2, Reg::SP, -7),
        add(a1, a1, t2),
        encode(I::Jalr { rd: zero, rs1: Reg::RA, offset: 0 }),
    ];
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.ro_data = vec![0x80, 0x01, 0xff, 0x7f, 0x34, 0x12, 0x00, 0x80];
    b.rw_data = vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    b.bss_size = 64;
    b.code_words(&c).entry("call", 0);
    b.to_bytes()
}

/// Sorts `n` pseudo-random words in bss with a bubble sort (loads, stores,
/// compares, branches); a0 = the smallest, a1 = the largest.
pub fn bubble_sort(n: u32) -> Vec<u8> {
    let (zero, t0, t1, t2, s0, s1, a0, a1, a2, a3) = (Reg::ZERO, r(5), r(6), r(7), r(8), r(9), r(10), r(11), r(12), r(13));
    let opi = |op, rd, rs1, imm: i32| encode(I::OpImm { op, rd, rs1, imm: imm as u32 });
    let op = |op, rd, rs1, rs2| encode(I::Op { op, rd, rs1, rs2 });
    let ld = |rd, rs1, offset| encode(I::Load { kind: rivet_vm::isa::LoadKind::Word, rd, rs1, offset });
    let st = |rs1, rs2, offset| encode(I::Store { kind: rivet_vm::isa::StoreKind::Word, rs1, rs2, offset });
    let br = |kind, rs1, rs2, offset| encode(I::Branch { kind, rs1, rs2, offset });
    let lo = ((n << 20) as i32) >> 20;
    let c = vec![
        encode(I::Lui { rd: s0, imm: 0x0010_0000 }), // base (bss at RO_BASE: no data sections)
        encode(I::Lui { rd: s1, imm: n.wrapping_sub(lo as u32) }),
        opi(AluOp::Add, s1, s1, lo), // n
        // fill: x = x * 5 + 0x3039 (without mul: x + 4x), a[i] = x
        opi(AluOp::Add, t0, zero, 0x39), // 3: x
        opi(AluOp::Add, t1, zero, 0),    // i
        opi(AluOp::Add, t2, s0, 0),      // p
        op(AluOp::Add, a2, t0, t0),      // 6: fill loop
        op(AluOp::Add, a2, a2, a2),
        op(AluOp::Add, t0, t0, a2),
        opi(AluOp::Xor, t0, t0, 0x5a5),
        st(t2, t0, 0),
        opi(AluOp::Add, t2, t2, 4),
        opi(AluOp::Add, t1, t1, 1),
        br(BranchKind::Ltu, t1, s1, -28),
        // outer: for end = n-1 down to 1
        opi(AluOp::Add, a3, s1, -1),      // 14: end
        br(BranchKind::Eq, a3, zero, 52), // 15: → done (28)
        opi(AluOp::Add, t2, s0, 0),       // 16: p
        opi(AluOp::Add, t1, zero, 0),     // i
        ld(a0, t2, 0),                    // 18: inner
        ld(a1, t2, 4),
        br(BranchKind::Geu, a1, a0, 12), // in order → 23
        st(t2, a1, 0),
        st(t2, a0, 4),
        opi(AluOp::Add, t2, t2, 4), // 23
        opi(AluOp::Add, t1, t1, 1),
        br(BranchKind::Ltu, t1, a3, -28),         // → 18
        opi(AluOp::Add, a3, a3, -1),              // 26: end -= 1
        encode(I::Jal { rd: zero, offset: -48 }), // 27: → 15
        // 28: done
        ld(a0, s0, 0),
        opi(AluOp::Add, t0, s1, -1),
        op(AluOp::Add, t0, t0, t0),
        op(AluOp::Add, t0, t0, t0),
        op(AluOp::Add, t0, t0, s0),
        ld(a1, t0, 0),
        encode(I::Jalr { rd: zero, rs1: Reg::RA, offset: 0 }),
    ];
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.bss_size = 4 * n;
    b.code_words(&c).entry("call", 0);
    b.to_bytes()
}

/// `rd = value` (lui + addi).
fn li(out: &mut Vec<u32>, rd: Reg, value: u32) {
    let lo = ((value << 20) as i32) >> 20;
    out.push(encode(I::Lui { rd, imm: value.wrapping_sub(lo as u32) }));
    out.push(encode(I::OpImm { op: AluOp::Add, rd, rs1: rd, imm: lo as u32 }));
}

/// Shifts, multiplications and divisions on edge-case operands (zero and
/// all-ones divisors, `-2^31 / -1`, shifts by 0, 1 and 31, negative values),
/// every result folded into a0 and a1.
pub fn arithmetic() -> Vec<u8> {
    let (zero, t0, t1, t2, a0, a1) = (Reg::ZERO, r(5), r(6), r(7), r(10), r(11));
    let values = [0u32, 1, 7, 0x8000_0000, 0xffff_ffff, 0x7fff_ffff, 0xdead_beef, 0x0001_2345, 0xffff_fff9];
    let ops = [
        AluOp::Sll,
        AluOp::Srl,
        AluOp::Sra,
        AluOp::Mul,
        AluOp::Mulh,
        AluOp::Mulhsu,
        AluOp::Mulhu,
        AluOp::Div,
        AluOp::Divu,
        AluOp::Rem,
        AluOp::Remu,
    ];
    let mut c = Vec::new();
    for (k, &x) in values.iter().enumerate() {
        let y = values[(k * 5 + 3) % values.len()];
        li(&mut c, t0, x);
        for (j, &o) in ops.iter().enumerate() {
            li(&mut c, t1, if j % 2 == 0 { y } else { values[(k + j) % values.len()] });
            c.push(encode(I::Op { op: o, rd: t2, rs1: t0, rs2: t1 }));
            c.push(encode(I::Op { op: AluOp::Xor, rd: a0, rs1: a0, rs2: t2 }));
            c.push(encode(I::Op { op: AluOp::Add, rd: a1, rs1: a1, rs2: a0 }));
        }
        for (o, sh) in [(AluOp::Sll, 0), (AluOp::Srl, 1), (AluOp::Sra, 31), (AluOp::Sra, 0), (AluOp::Srl, 31)] {
            c.push(encode(I::OpImm { op: o, rd: t2, rs1: t0, imm: sh }));
            c.push(encode(I::Op { op: AluOp::Add, rd: a0, rs1: a0, rs2: t2 }));
        }
    }
    // SPEC.md's division table, case by case.
    let cases = [
        (AluOp::Div, 0x8000_0000, 0xffff_ffff),
        (AluOp::Rem, 0x8000_0000, 0xffff_ffff),
        (AluOp::Div, 7, 0),
        (AluOp::Rem, (-7i32) as u32, 0),
        (AluOp::Divu, 7, 0),
        (AluOp::Remu, 7, 0),
        (AluOp::Div, (-7i32) as u32, 2),
        (AluOp::Rem, (-7i32) as u32, 2),
        (AluOp::Rem, 7, (-2i32) as u32),
        (AluOp::Divu, 0xffff_fff9, 2),
    ];
    for (o, x, y) in cases {
        li(&mut c, t0, x);
        li(&mut c, t1, y);
        c.push(encode(I::Op { op: o, rd: t2, rs1: t0, rs2: t1 }));
        c.push(encode(I::Op { op: AluOp::Xor, rd: a0, rs1: a0, rs2: t2 }));
        c.push(encode(I::Op { op: AluOp::Add, rd: a1, rs1: a1, rs2: a0 }));
    }
    c.push(encode(I::Jalr { rd: zero, rs1: Reg::RA, offset: 0 }));
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.code_words(&c).entry("call", 0);
    b.to_bytes()
}
