//! RV32EM instruction decoding and semantics: the one definition every backend uses.
//!
//! Standard RISC-V encodings only. The E variant has 16 registers, so any register
//! field naming x16..x31 is rejected at decode time, not at run time.

use core::fmt;

/// A guest register, x0..x15. x0 reads as zero and ignores writes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Reg(u8);

impl Reg {
    pub const ZERO: Reg = Reg(0);
    pub const RA: Reg = Reg(1);
    pub const SP: Reg = Reg(2);
    pub const GP: Reg = Reg(3);
    pub const TP: Reg = Reg(4);
    /// `t0`: carries the host function number of an `ecall`.
    pub const T0: Reg = Reg(5);
    pub const A0: Reg = Reg(10);
    pub const A1: Reg = Reg(11);
    pub const A2: Reg = Reg(12);
    pub const A3: Reg = Reg(13);
    pub const A4: Reg = Reg(14);
    pub const A5: Reg = Reg(15);
    pub const COUNT: usize = 16;

    /// Returns `None` for register numbers the E variant doesn't have.
    pub const fn new(n: u32) -> Option<Reg> {
        if n < 16 {
            Some(Reg(n as u8))
        } else {
            None
        }
    }

    pub const fn index(self) -> usize {
        self.0 as usize
    }

    pub fn all() -> impl Iterator<Item = Reg> {
        (0..16).map(|n| Reg(n as u8))
    }

    pub const fn abi_name(self) -> &'static str {
        const NAMES: [&str; 16] = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5"];
        NAMES[self.0 as usize]
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abi_name())
    }
}

/// Register-register and register-immediate ALU operations, including the M extension.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum AluOp {
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
}

impl AluOp {
    /// The result of the operation, exactly as SPEC.md defines it. Never panics:
    /// division by zero and signed overflow have the RISC-V results.
    #[inline(always)]
    pub fn eval(self, a: u32, b: u32) -> u32 {
        match self {
            AluOp::Add => a.wrapping_add(b),
            AluOp::Sub => a.wrapping_sub(b),
            AluOp::Sll => a << (b & 31),
            AluOp::Slt => ((a as i32) < (b as i32)) as u32,
            AluOp::Sltu => (a < b) as u32,
            AluOp::Xor => a ^ b,
            AluOp::Srl => a >> (b & 31),
            AluOp::Sra => ((a as i32) >> (b & 31)) as u32,
            AluOp::Or => a | b,
            AluOp::And => a & b,
            AluOp::Mul => a.wrapping_mul(b),
            AluOp::Mulh => (((a as i32 as i64) * (b as i32 as i64)) >> 32) as u32,
            AluOp::Mulhsu => (((a as i32 as i64) * (b as i64)) >> 32) as u32,
            AluOp::Mulhu => (((a as u64) * (b as u64)) >> 32) as u32,
            AluOp::Div => div(a, b),
            AluOp::Divu => divu(a, b),
            AluOp::Rem => rem(a, b),
            AluOp::Remu => remu(a, b),
        }
    }

    pub const fn mnemonic(self) -> &'static str {
        match self {
            AluOp::Add => "add",
            AluOp::Sub => "sub",
            AluOp::Sll => "sll",
            AluOp::Slt => "slt",
            AluOp::Sltu => "sltu",
            AluOp::Xor => "xor",
            AluOp::Srl => "srl",
            AluOp::Sra => "sra",
            AluOp::Or => "or",
            AluOp::And => "and",
            AluOp::Mul => "mul",
            AluOp::Mulh => "mulh",
            AluOp::Mulhsu => "mulhsu",
            AluOp::Mulhu => "mulhu",
            AluOp::Div => "div",
            AluOp::Divu => "divu",
            AluOp::Rem => "rem",
            AluOp::Remu => "remu",
        }
    }

    pub const fn is_mul(self) -> bool {
        matches!(self, AluOp::Mul | AluOp::Mulh | AluOp::Mulhsu | AluOp::Mulhu)
    }

    pub const fn is_div(self) -> bool {
        matches!(self, AluOp::Div | AluOp::Divu | AluOp::Rem | AluOp::Remu)
    }
}

/// Signed division: x/0 = -1, i32::MIN / -1 = i32::MIN.
#[inline(always)]
pub fn div(a: u32, b: u32) -> u32 {
    if b == 0 {
        u32::MAX
    } else {
        (a as i32).wrapping_div(b as i32) as u32
    }
}

/// Unsigned division: x/0 = 2^32-1.
#[inline(always)]
pub fn divu(a: u32, b: u32) -> u32 {
    a.checked_div(b).unwrap_or(u32::MAX)
}

/// Signed remainder: x%0 = x, i32::MIN % -1 = 0.
#[inline(always)]
pub fn rem(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        (a as i32).wrapping_rem(b as i32) as u32
    }
}

/// Unsigned remainder: x%0 = x.
#[inline(always)]
pub fn remu(a: u32, b: u32) -> u32 {
    a.checked_rem(b).unwrap_or(a)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum BranchKind {
    Eq,
    Ne,
    Lt,
    Ge,
    Ltu,
    Geu,
}

impl BranchKind {
    #[inline(always)]
    pub fn taken(self, a: u32, b: u32) -> bool {
        match self {
            BranchKind::Eq => a == b,
            BranchKind::Ne => a != b,
            BranchKind::Lt => (a as i32) < (b as i32),
            BranchKind::Ge => (a as i32) >= (b as i32),
            BranchKind::Ltu => a < b,
            BranchKind::Geu => a >= b,
        }
    }

    pub const fn mnemonic(self) -> &'static str {
        match self {
            BranchKind::Eq => "beq",
            BranchKind::Ne => "bne",
            BranchKind::Lt => "blt",
            BranchKind::Ge => "bge",
            BranchKind::Ltu => "bltu",
            BranchKind::Geu => "bgeu",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum LoadKind {
    Byte,
    Half,
    Word,
    ByteU,
    HalfU,
}

impl LoadKind {
    pub const fn size(self) -> u32 {
        match self {
            LoadKind::Byte | LoadKind::ByteU => 1,
            LoadKind::Half | LoadKind::HalfU => 2,
            LoadKind::Word => 4,
        }
    }

    /// Extends the `size()` low bytes of `raw` to a register value.
    #[inline(always)]
    pub fn extend(self, raw: u32) -> u32 {
        match self {
            LoadKind::Byte => raw as u8 as i8 as i32 as u32,
            LoadKind::Half => raw as u16 as i16 as i32 as u32,
            LoadKind::Word => raw,
            LoadKind::ByteU => raw as u8 as u32,
            LoadKind::HalfU => raw as u16 as u32,
        }
    }

    pub const fn mnemonic(self) -> &'static str {
        match self {
            LoadKind::Byte => "lb",
            LoadKind::Half => "lh",
            LoadKind::Word => "lw",
            LoadKind::ByteU => "lbu",
            LoadKind::HalfU => "lhu",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum StoreKind {
    Byte,
    Half,
    Word,
}

impl StoreKind {
    pub const fn size(self) -> u32 {
        match self {
            StoreKind::Byte => 1,
            StoreKind::Half => 2,
            StoreKind::Word => 4,
        }
    }

    pub const fn mnemonic(self) -> &'static str {
        match self {
            StoreKind::Byte => "sb",
            StoreKind::Half => "sh",
            StoreKind::Word => "sw",
        }
    }
}

/// One decoded RV32EM instruction. Immediates are already sign-extended; branch and
/// jump offsets are byte offsets relative to the instruction's own address.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Instruction {
    Lui {
        rd: Reg,
        imm: u32,
    },
    Auipc {
        rd: Reg,
        imm: u32,
    },
    Jal {
        rd: Reg,
        offset: i32,
    },
    Jalr {
        rd: Reg,
        rs1: Reg,
        offset: i32,
    },
    Branch {
        kind: BranchKind,
        rs1: Reg,
        rs2: Reg,
        offset: i32,
    },
    Load {
        kind: LoadKind,
        rd: Reg,
        rs1: Reg,
        offset: i32,
    },
    Store {
        kind: StoreKind,
        rs1: Reg,
        rs2: Reg,
        offset: i32,
    },
    /// addi, slti, sltiu, xori, ori, andi, slli, srli, srai.
    OpImm {
        op: AluOp,
        rd: Reg,
        rs1: Reg,
        imm: u32,
    },
    Op {
        op: AluOp,
        rd: Reg,
        rs1: Reg,
        rs2: Reg,
    },
    /// `fence` (any predecessor/successor set): a no-op on a single hart.
    Fence,
    Ecall,
    Ebreak,
    /// `unimp` (0xc0001073) or the all-zero word: always traps. Compilers emit these
    /// for `abort`/unreachable code and as padding, so they validate.
    Unimp,
}

impl Instruction {
    /// Ends a basic block: control may continue somewhere other than the next word.
    pub const fn is_terminator(&self) -> bool {
        matches!(
            self,
            Instruction::Jal { .. }
                | Instruction::Jalr { .. }
                | Instruction::Branch { .. }
                | Instruction::Ecall
                | Instruction::Ebreak
                | Instruction::Unimp
        )
    }

    /// The register the instruction writes, if any (x0 included: writes to it vanish).
    pub const fn dest(&self) -> Option<Reg> {
        match *self {
            Instruction::Lui { rd, .. }
            | Instruction::Auipc { rd, .. }
            | Instruction::Jal { rd, .. }
            | Instruction::Jalr { rd, .. }
            | Instruction::Load { rd, .. }
            | Instruction::OpImm { rd, .. }
            | Instruction::Op { rd, .. } => Some(rd),
            _ => None,
        }
    }

    /// The registers the instruction reads.
    pub const fn sources(&self) -> [Option<Reg>; 2] {
        match *self {
            Instruction::Jalr { rs1, .. } | Instruction::Load { rs1, .. } | Instruction::OpImm { rs1, .. } => [Some(rs1), None],
            Instruction::Branch { rs1, rs2, .. } | Instruction::Store { rs1, rs2, .. } | Instruction::Op { rs1, rs2, .. } => {
                [Some(rs1), Some(rs2)]
            }
            _ => [None, None],
        }
    }

    /// The statically known target offset (relative to this instruction) of a branch or `jal`.
    pub const fn static_target_offset(&self) -> Option<i32> {
        match *self {
            Instruction::Jal { offset, .. } | Instruction::Branch { offset, .. } => Some(offset),
            _ => None,
        }
    }
}

/// Word encoding of `unimp` (`csrrw x0, cycle, x0`).
pub const UNIMP_WORD: u32 = 0xc000_1073;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DecodeError {
    /// Low two bits aren't `11`: a 16-bit compressed instruction (the C extension).
    Compressed,
    /// An encoding that is not an RV32EM instruction (CSR, atomic, float, reserved...).
    Unsupported,
    /// A register field names x16..x31, which RV32E doesn't have.
    RegisterOutOfRange(u8),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Compressed => f.write_str("compressed (RVC) instruction; RV32EM has no C extension"),
            DecodeError::Unsupported => f.write_str("not an RV32EM instruction"),
            DecodeError::RegisterOutOfRange(r) => write!(f, "register x{r} does not exist in RV32E"),
        }
    }
}

fn reg(word: u32, shift: u32) -> Result<Reg, DecodeError> {
    let n = (word >> shift) & 0x1f;
    Reg::new(n).ok_or(DecodeError::RegisterOutOfRange(n as u8))
}

fn imm_i(w: u32) -> i32 {
    (w as i32) >> 20
}

fn imm_s(w: u32) -> i32 {
    (((w & 0xfe00_0000) as i32) >> 20) | ((w >> 7) & 0x1f) as i32
}

fn imm_b(w: u32) -> i32 {
    (((w & 0x8000_0000) as i32) >> 19) | (((w >> 7) & 1) << 11) as i32 | (((w >> 25) & 0x3f) << 5) as i32 | (((w >> 8) & 0xf) << 1) as i32
}

fn imm_j(w: u32) -> i32 {
    (((w & 0x8000_0000) as i32) >> 11) | (w & 0x000f_f000) as i32 | (((w >> 20) & 1) << 11) as i32 | (((w >> 21) & 0x3ff) << 1) as i32
}

/// Decodes one 32-bit instruction word.
/// Which register fields (rd, rs1, rs2) an instruction of each major opcode reads or
/// writes, as bits 0, 1, 2 (RV32EM's formats: U and J write rd, I reads rs1 and
/// writes rd, S and B read rs1 and rs2, R all three; fence and system none).
const REGISTER_FIELDS: [u8; 128] = {
    let mut t = [0u8; 128];
    t[0b0110111] = 0b001; // lui
    t[0b0010111] = 0b001; // auipc
    t[0b1101111] = 0b001; // jal
    t[0b1100111] = 0b011; // jalr
    t[0b1100011] = 0b110; // branches
    t[0b0000011] = 0b011; // loads
    t[0b0100011] = 0b110; // stores
    t[0b0010011] = 0b011; // register-immediate ALU
    t[0b0110011] = 0b111; // register-register ALU, M extension
    t
};

/// The registers a valid instruction word writes and reads, as `[rd, rs1, rs2]`
/// indexes, 0 (x0) for a field its format doesn't have: what `Instruction::dest` and
/// `sources` say of `decode(word)`, without branching on the kind of instruction (for
/// passes over every instruction of a program, where that branch is mispredicted).
pub const fn register_fields(word: u32) -> [usize; 3] {
    let used = REGISTER_FIELDS[(word & 0x7f) as usize] as u32;
    [
        (((word >> 7) & 0x1f) * (used & 1)) as usize,
        (((word >> 15) & 0x1f) * ((used >> 1) & 1)) as usize,
        (((word >> 20) & 0x1f) * ((used >> 2) & 1)) as usize,
    ]
}

pub fn decode(w: u32) -> Result<Instruction, DecodeError> {
    use Instruction as I;
    if w == 0 || w == UNIMP_WORD {
        return Ok(I::Unimp);
    }
    if w & 0b11 != 0b11 {
        return Err(DecodeError::Compressed);
    }
    let opcode = w & 0x7f;
    let funct3 = (w >> 12) & 7;
    let funct7 = w >> 25;
    let rd = || reg(w, 7);
    let rs1 = || reg(w, 15);
    let rs2 = || reg(w, 20);
    Ok(match opcode {
        0b0110111 => I::Lui { rd: rd()?, imm: w & 0xffff_f000 },
        0b0010111 => I::Auipc { rd: rd()?, imm: w & 0xffff_f000 },
        0b1101111 => I::Jal { rd: rd()?, offset: imm_j(w) },
        0b1100111 if funct3 == 0 => I::Jalr { rd: rd()?, rs1: rs1()?, offset: imm_i(w) },
        0b1100011 => {
            let kind = match funct3 {
                0 => BranchKind::Eq,
                1 => BranchKind::Ne,
                4 => BranchKind::Lt,
                5 => BranchKind::Ge,
                6 => BranchKind::Ltu,
                7 => BranchKind::Geu,
                _ => return Err(DecodeError::Unsupported),
            };
            I::Branch { kind, rs1: rs1()?, rs2: rs2()?, offset: imm_b(w) }
        }
        0b0000011 => {
            let kind = match funct3 {
                0 => LoadKind::Byte,
                1 => LoadKind::Half,
                2 => LoadKind::Word,
                4 => LoadKind::ByteU,
                5 => LoadKind::HalfU,
                _ => return Err(DecodeError::Unsupported),
            };
            I::Load { kind, rd: rd()?, rs1: rs1()?, offset: imm_i(w) }
        }
        0b0100011 => {
            let kind = match funct3 {
                0 => StoreKind::Byte,
                1 => StoreKind::Half,
                2 => StoreKind::Word,
                _ => return Err(DecodeError::Unsupported),
            };
            I::Store { kind, rs1: rs1()?, rs2: rs2()?, offset: imm_s(w) }
        }
        0b0010011 => {
            let imm = imm_i(w) as u32;
            let shamt = (w >> 20) & 0x1f;
            let op = match (funct3, funct7) {
                (0, _) => AluOp::Add,
                (2, _) => AluOp::Slt,
                (3, _) => AluOp::Sltu,
                (4, _) => AluOp::Xor,
                (6, _) => AluOp::Or,
                (7, _) => AluOp::And,
                (1, 0) => AluOp::Sll,
                (5, 0) => AluOp::Srl,
                (5, 0b0100000) => AluOp::Sra,
                _ => return Err(DecodeError::Unsupported),
            };
            let imm = if matches!(op, AluOp::Sll | AluOp::Srl | AluOp::Sra) { shamt } else { imm };
            I::OpImm { op, rd: rd()?, rs1: rs1()?, imm }
        }
        0b0110011 => {
            let op = match (funct7, funct3) {
                (0, 0) => AluOp::Add,
                (0b0100000, 0) => AluOp::Sub,
                (0, 1) => AluOp::Sll,
                (0, 2) => AluOp::Slt,
                (0, 3) => AluOp::Sltu,
                (0, 4) => AluOp::Xor,
                (0, 5) => AluOp::Srl,
                (0b0100000, 5) => AluOp::Sra,
                (0, 6) => AluOp::Or,
                (0, 7) => AluOp::And,
                (1, 0) => AluOp::Mul,
                (1, 1) => AluOp::Mulh,
                (1, 2) => AluOp::Mulhsu,
                (1, 3) => AluOp::Mulhu,
                (1, 4) => AluOp::Div,
                (1, 5) => AluOp::Divu,
                (1, 6) => AluOp::Rem,
                (1, 7) => AluOp::Remu,
                _ => return Err(DecodeError::Unsupported),
            };
            I::Op { op, rd: rd()?, rs1: rs1()?, rs2: rs2()? }
        }
        // fence: rd, rs1 and the reserved bits must be zero; fence.i (funct3=1) is Zifencei.
        0b0001111 if funct3 == 0 && (w & 0x000f_8f80) == 0 => I::Fence,
        0b1110011 => match w {
            0x0000_0073 => I::Ecall,
            0x0010_0073 => I::Ebreak,
            _ => return Err(DecodeError::Unsupported),
        },
        _ => return Err(DecodeError::Unsupported),
    })
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Instruction as I;
        match *self {
            I::Lui { rd, imm } => write!(f, "lui {rd}, {:#x}", imm >> 12),
            I::Auipc { rd, imm } => write!(f, "auipc {rd}, {:#x}", imm >> 12),
            I::Jal { rd, offset } => write!(f, "jal {rd}, {offset:+}"),
            I::Jalr { rd, rs1, offset } => write!(f, "jalr {rd}, {offset}({rs1})"),
            I::Branch { kind, rs1, rs2, offset } => write!(f, "{} {rs1}, {rs2}, {offset:+}", kind.mnemonic()),
            I::Load { kind, rd, rs1, offset } => write!(f, "{} {rd}, {offset}({rs1})", kind.mnemonic()),
            I::Store { kind, rs1, rs2, offset } => write!(f, "{} {rs2}, {offset}({rs1})", kind.mnemonic()),
            I::OpImm { op, rd, rs1, imm } => {
                let m = match op {
                    AluOp::Sltu => "sltiu",
                    _ => op.mnemonic(),
                };
                if matches!(op, AluOp::Sltu) {
                    write!(f, "{m} {rd}, {rs1}, {}", imm as i32)
                } else {
                    write!(f, "{m}i {rd}, {rs1}, {}", imm as i32)
                }
            }
            I::Op { op, rd, rs1, rs2 } => write!(f, "{} {rd}, {rs1}, {rs2}", op.mnemonic()),
            I::Fence => f.write_str("fence"),
            I::Ecall => f.write_str("ecall"),
            I::Ebreak => f.write_str("ebreak"),
            I::Unimp => f.write_str("unimp"),
        }
    }
}

/// Encoders for the standard formats: used by tests, fuzzers and hand-written programs.
pub mod encode {
    use super::*;

    fn r(op: u32, f3: u32, f7: u32, rd: Reg, rs1: Reg, rs2: Reg) -> u32 {
        op | (rd.index() as u32) << 7 | f3 << 12 | (rs1.index() as u32) << 15 | (rs2.index() as u32) << 20 | f7 << 25
    }
    fn i(op: u32, f3: u32, rd: Reg, rs1: Reg, imm: i32) -> u32 {
        op | (rd.index() as u32) << 7 | f3 << 12 | (rs1.index() as u32) << 15 | ((imm as u32) & 0xfff) << 20
    }
    fn s(op: u32, f3: u32, rs1: Reg, rs2: Reg, imm: i32) -> u32 {
        let imm = imm as u32;
        op | (imm & 0x1f) << 7 | f3 << 12 | (rs1.index() as u32) << 15 | (rs2.index() as u32) << 20 | ((imm >> 5) & 0x7f) << 25
    }
    fn b(f3: u32, rs1: Reg, rs2: Reg, off: i32) -> u32 {
        let o = off as u32;
        0b1100011
            | ((o >> 11) & 1) << 7
            | ((o >> 1) & 0xf) << 8
            | f3 << 12
            | (rs1.index() as u32) << 15
            | (rs2.index() as u32) << 20
            | ((o >> 5) & 0x3f) << 25
            | ((o >> 12) & 1) << 31
    }

    /// Encodes an instruction. Immediates out of the format's range are truncated,
    /// exactly as an assembler's bit-field packing would.
    pub fn encode(insn: Instruction) -> u32 {
        use Instruction as I;
        match insn {
            I::Lui { rd, imm } => 0b0110111 | (rd.index() as u32) << 7 | (imm & 0xffff_f000),
            I::Auipc { rd, imm } => 0b0010111 | (rd.index() as u32) << 7 | (imm & 0xffff_f000),
            I::Jal { rd, offset } => {
                let o = offset as u32;
                0b1101111
                    | (rd.index() as u32) << 7
                    | (o & 0xff000)
                    | ((o >> 11) & 1) << 20
                    | ((o >> 1) & 0x3ff) << 21
                    | ((o >> 20) & 1) << 31
            }
            I::Jalr { rd, rs1, offset } => i(0b1100111, 0, rd, rs1, offset),
            I::Branch { kind, rs1, rs2, offset } => {
                let f3 = match kind {
                    BranchKind::Eq => 0,
                    BranchKind::Ne => 1,
                    BranchKind::Lt => 4,
                    BranchKind::Ge => 5,
                    BranchKind::Ltu => 6,
                    BranchKind::Geu => 7,
                };
                b(f3, rs1, rs2, offset)
            }
            I::Load { kind, rd, rs1, offset } => {
                let f3 = match kind {
                    LoadKind::Byte => 0,
                    LoadKind::Half => 1,
                    LoadKind::Word => 2,
                    LoadKind::ByteU => 4,
                    LoadKind::HalfU => 5,
                };
                i(0b0000011, f3, rd, rs1, offset)
            }
            I::Store { kind, rs1, rs2, offset } => {
                let f3 = match kind {
                    StoreKind::Byte => 0,
                    StoreKind::Half => 1,
                    StoreKind::Word => 2,
                };
                s(0b0100011, f3, rs1, rs2, offset)
            }
            I::OpImm { op, rd, rs1, imm } => {
                let (f3, hi) = match op {
                    AluOp::Add => (0, None),
                    AluOp::Slt => (2, None),
                    AluOp::Sltu => (3, None),
                    AluOp::Xor => (4, None),
                    AluOp::Or => (6, None),
                    AluOp::And => (7, None),
                    AluOp::Sll => (1, Some(0)),
                    AluOp::Srl => (5, Some(0)),
                    AluOp::Sra => (5, Some(0x400)),
                    _ => panic!("{op:?} has no immediate form"),
                };
                let imm = match hi {
                    Some(h) => (imm & 0x1f) as i32 | h,
                    None => imm as i32,
                };
                i(0b0010011, f3, rd, rs1, imm)
            }
            I::Op { op, rd, rs1, rs2 } => {
                let (f7, f3) = match op {
                    AluOp::Add => (0, 0),
                    AluOp::Sub => (0x20, 0),
                    AluOp::Sll => (0, 1),
                    AluOp::Slt => (0, 2),
                    AluOp::Sltu => (0, 3),
                    AluOp::Xor => (0, 4),
                    AluOp::Srl => (0, 5),
                    AluOp::Sra => (0x20, 5),
                    AluOp::Or => (0, 6),
                    AluOp::And => (0, 7),
                    AluOp::Mul => (1, 0),
                    AluOp::Mulh => (1, 1),
                    AluOp::Mulhsu => (1, 2),
                    AluOp::Mulhu => (1, 3),
                    AluOp::Div => (1, 4),
                    AluOp::Divu => (1, 5),
                    AluOp::Rem => (1, 6),
                    AluOp::Remu => (1, 7),
                };
                r(0b0110011, f3, f7, rd, rs1, rs2)
            }
            I::Fence => 0x0ff0_000f,
            I::Ecall => 0x0000_0073,
            I::Ebreak => 0x0010_0073,
            I::Unimp => UNIMP_WORD,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_known_words() {
        // From `riscv64-unknown-elf-objdump` of rv32em code.
        assert_eq!(decode(0x00a00513).unwrap(), Instruction::OpImm { op: AluOp::Add, rd: Reg::A0, rs1: Reg::ZERO, imm: 10 });
        assert_eq!(decode(0x00008067).unwrap(), Instruction::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 });
        assert_eq!(decode(0xfe010113).unwrap(), Instruction::OpImm { op: AluOp::Add, rd: Reg::SP, rs1: Reg::SP, imm: (-32i32) as u32 });
        assert_eq!(decode(0x02b50533).unwrap(), Instruction::Op { op: AluOp::Mul, rd: Reg::A0, rs1: Reg::A0, rs2: Reg::A1 });
        assert_eq!(decode(0x40b55533).unwrap(), Instruction::Op { op: AluOp::Sra, rd: Reg::A0, rs1: Reg::A0, rs2: Reg::A1 });
        assert_eq!(decode(0xfe0008e3).unwrap(), Instruction::Branch { kind: BranchKind::Eq, rs1: Reg::ZERO, rs2: Reg::ZERO, offset: -16 });
        assert_eq!(decode(0x0000006f).unwrap(), Instruction::Jal { rd: Reg::ZERO, offset: 0 });
        assert_eq!(decode(0x0ff0000f).unwrap(), Instruction::Fence);
        assert_eq!(decode(0).unwrap(), Instruction::Unimp);
    }

    #[test]
    fn register_fields_are_what_decoding_says() {
        // Random words with each major opcode's bits forced in turn; registers below 16
        // half the time, so plenty decode.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut checked = [0u32; 128];
        for i in 0..400_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut w = (x >> 16) as u32;
            if i % 2 == 0 {
                w &= !((0x10 << 7) | (0x10 << 15) | (0x10 << 20));
            }
            w = (w & !0x7f) | [0x37, 0x17, 0x6f, 0x67, 0x63, 0x03, 0x23, 0x13, 0x33, 0x0f, 0x73][i as usize % 11];
            let Ok(insn) = decode(w) else { continue };
            let [s1, s2] = insn.sources();
            let index = |r: Option<Reg>| r.map_or(0, Reg::index);
            assert_eq!(register_fields(w), [index(insn.dest()), index(s1), index(s2)], "{w:#010x}: {insn:?}");
            checked[(w & 0x7f) as usize] += 1;
        }
        // Every opcode with registers was seen decoding, many times.
        for op in [0x37, 0x17, 0x6f, 0x67, 0x63, 0x03, 0x23, 0x13, 0x33] {
            assert!(checked[op] > 100, "opcode {op:#x}: {}", checked[op]);
        }
    }

    #[test]
    fn rejects_what_rv32em_lacks() {
        assert_eq!(decode(0x4501), Err(DecodeError::Compressed)); // c.li a0, 0
        assert_eq!(decode(0x01000813), Err(DecodeError::RegisterOutOfRange(16))); // addi x16, x0, 16
        assert_eq!(decode(0x00100f93), Err(DecodeError::RegisterOutOfRange(31)));
        assert_eq!(decode(0x100522af), Err(DecodeError::Unsupported)); // lr.w (A)
        assert_eq!(decode(0xc0002573), Err(DecodeError::Unsupported)); // rdcycle (Zicsr)
        assert_eq!(decode(0x0000100f), Err(DecodeError::Unsupported)); // fence.i
        assert_eq!(decode(0x00052007), Err(DecodeError::Unsupported)); // flw (F)
        assert_eq!(decode(0x40001513), Err(DecodeError::Unsupported)); // slli with funct7 set
        assert_eq!(decode(0x00102073 | (1 << 20)), Err(DecodeError::Unsupported));
        assert_eq!(decode(0x00002063), Err(DecodeError::Unsupported)); // branch funct3=2
    }

    #[test]
    fn encode_decode_round_trip() {
        let samples = [
            Instruction::Lui { rd: Reg::A0, imm: 0xfffff000 },
            Instruction::Auipc { rd: Reg::T0, imm: 0x12345000 },
            Instruction::Jal { rd: Reg::RA, offset: -1048576 },
            Instruction::Jal { rd: Reg::RA, offset: 1048572 },
            Instruction::Jalr { rd: Reg::RA, rs1: Reg::A5, offset: -2048 },
            Instruction::Branch { kind: BranchKind::Geu, rs1: Reg::A1, rs2: Reg::A2, offset: -4096 },
            Instruction::Branch { kind: BranchKind::Lt, rs1: Reg::A1, rs2: Reg::A2, offset: 4092 },
            Instruction::Load { kind: LoadKind::HalfU, rd: Reg::A3, rs1: Reg::SP, offset: 2047 },
            Instruction::Store { kind: StoreKind::Byte, rs1: Reg::SP, rs2: Reg::A4, offset: -1 },
            Instruction::OpImm { op: AluOp::Sra, rd: Reg::A0, rs1: Reg::A0, imm: 31 },
            Instruction::OpImm { op: AluOp::Sltu, rd: Reg::A0, rs1: Reg::A0, imm: u32::MAX },
            Instruction::Op { op: AluOp::Remu, rd: Reg::A0, rs1: Reg::A1, rs2: Reg::A2 },
            Instruction::Ecall,
            Instruction::Ebreak,
            Instruction::Fence,
            Instruction::Unimp,
        ];
        for insn in samples {
            assert_eq!(decode(encode::encode(insn)), Ok(insn), "{insn}");
        }
    }

    #[test]
    fn division_edge_cases() {
        assert_eq!(AluOp::Div.eval(7, 0), u32::MAX);
        assert_eq!(AluOp::Divu.eval(7, 0), u32::MAX);
        assert_eq!(AluOp::Rem.eval(7, 0), 7);
        assert_eq!(AluOp::Remu.eval(7, 0), 7);
        assert_eq!(AluOp::Div.eval(i32::MIN as u32, u32::MAX), i32::MIN as u32);
        assert_eq!(AluOp::Rem.eval(i32::MIN as u32, u32::MAX), 0);
        assert_eq!(AluOp::Div.eval((-7i32) as u32, 2), (-3i32) as u32);
        assert_eq!(AluOp::Rem.eval((-7i32) as u32, 2), (-1i32) as u32);
        assert_eq!(AluOp::Mulh.eval(i32::MIN as u32, i32::MIN as u32), 0x4000_0000);
        assert_eq!(AluOp::Mulhsu.eval(u32::MAX, u32::MAX), u32::MAX);
        assert_eq!(AluOp::Mulhu.eval(u32::MAX, u32::MAX), 0xffff_fffe);
    }
}
