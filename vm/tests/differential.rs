//! Differential testing against rrs-lib, an independent RV32IM simulator from
//! crates.io that this project doesn't write. Random RV32EM programs (ALU, M,
//! loads/stores at in-range, boundary and wild addresses, forward branches, jal and
//! auipc+jalr call pairs) run on both; registers, data memory and trap class must
//! match. Every program also runs on the JIT (see common::run_with_gas).

mod common;
use common::*;
#[allow(unused_imports)]
use rivet_vm::GuestInstance;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rivet_vm::isa::{AluOp, BranchKind, Instruction as I, LoadKind, StoreKind};
use rivet_vm::memory_map::{CODE_BASE, RETURN_ADDRESS, STACK_TOP};
use rivet_vm::{Interrupt, Reg, TrapKind};
use rrs_lib::instruction_executor::{InstructionException, InstructionExecutor};
use rrs_lib::{HartState, MemAccessSize, Memory};

const ALU: [AluOp; 18] = [
    AluOp::Add,
    AluOp::Sub,
    AluOp::Sll,
    AluOp::Slt,
    AluOp::Sltu,
    AluOp::Xor,
    AluOp::Srl,
    AluOp::Sra,
    AluOp::Or,
    AluOp::And,
    AluOp::Mul,
    AluOp::Mulh,
    AluOp::Mulhsu,
    AluOp::Mulhu,
    AluOp::Div,
    AluOp::Divu,
    AluOp::Rem,
    AluOp::Remu,
];
const ALU_IMM: [AluOp; 9] = [AluOp::Add, AluOp::Slt, AluOp::Sltu, AluOp::Xor, AluOp::Or, AluOp::And, AluOp::Sll, AluOp::Srl, AluOp::Sra];
const INTERESTING: [u32; 12] = [0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fffe, 31, 32, 0x1234_5678, 0xdead_beef, 0xffff];

/// Guest memory as the oracle sees it, built from the same layout rules.
struct OracleMem {
    code: Vec<u32>,
    base: u32,
    data: Vec<u8>,
    ro: (u32, u32),
}

impl Memory for OracleMem {
    fn read_mem(&mut self, addr: u32, size: MemAccessSize) -> Option<u32> {
        if addr >= CODE_BASE && matches!(size, MemAccessSize::Word) {
            // Instruction fetch. The VM forbids data reads of code; programs below
            // never compute code addresses as data addresses except in wild accesses,
            // which we keep below CODE_BASE.
            return self.code.get(((addr - CODE_BASE) / 4) as usize).copied();
        }
        let n = match size {
            MemAccessSize::Byte => 1,
            MemAccessSize::HalfWord => 2,
            MemAccessSize::Word => 4,
        };
        let off = addr.checked_sub(self.base)? as usize;
        let b = self.data.get(off..off + n)?;
        let mut v = [0u8; 4];
        v[..n].copy_from_slice(b);
        Some(u32::from_le_bytes(v))
    }

    fn write_mem(&mut self, addr: u32, size: MemAccessSize, value: u32) -> bool {
        let n = match size {
            MemAccessSize::Byte => 1,
            MemAccessSize::HalfWord => 2,
            MemAccessSize::Word => 4,
        };
        if addr >= self.ro.0 && addr < self.ro.1 {
            return false;
        }
        let Some(off) = addr.checked_sub(self.base) else { return false };
        let off = off as usize;
        match self.data.get_mut(off..off + n) {
            Some(b) => {
                b.copy_from_slice(&value.to_le_bytes()[..n]);
                true
            }
            None => false,
        }
    }
}

fn reg(rng: &mut SmallRng) -> u32 {
    rng.gen_range(1..16)
}

/// A random address for an access of `size` bytes: almost always valid and aligned
/// (so programs run long), sometimes misaligned, at a region boundary, or wild.
fn address(rng: &mut SmallRng, size: u32) -> u32 {
    let aligned = |a: u32| a & !(size - 1);
    if rng.gen_bool(0.97) {
        return aligned(match rng.gen_range(0..4) {
            0 | 1 => RW + rng.gen_range(0..32),
            2 => STACK_TOP - rng.gen_range(4..64),
            _ => RO + rng.gen_range(0..8),
        });
    }
    match rng.gen_range(0..5) {
        0 => RW + rng.gen_range(0..32),              // possibly misaligned
        1 => HEAP - rng.gen_range(0..8),             // end of the mapped range
        2 => STACK_TOP - 4096 - rng.gen_range(0..8), // just below the stack
        3 => RO + rng.gen_range(0..4096),            // stores here hit read-only data
        _ => rng.gen_range(0..CODE_BASE),
    }
}

fn random_program(rng: &mut SmallRng) -> Vec<I> {
    let len = rng.gen_range(5..60);
    let mut code: Vec<I> = Vec::new();
    // Seed registers with interesting values.
    for r in 1..16 {
        if r <= 2 || rng.gen_bool(0.3) {
            continue; // keep ra and sp; leave some registers zero
        }
        let v = if rng.gen_bool(0.5) { INTERESTING[rng.gen_range(0..INTERESTING.len())] } else { rng.gen() };
        code.extend(li(r, v));
    }
    while code.len() < len + 30 {
        let remaining_slots = 4;
        match rng.gen_range(0..20) {
            0..=7 => code.push(op(ALU[rng.gen_range(0..ALU.len())], reg(rng), reg(rng), reg(rng))),
            8..=11 => {
                let op = ALU_IMM[rng.gen_range(0..ALU_IMM.len())];
                let imm =
                    if matches!(op, AluOp::Sll | AluOp::Srl | AluOp::Sra) { rng.gen_range(0..32) } else { rng.gen_range(-2048..2048) };
                code.push(opi(op, reg(rng), reg(rng), imm));
            }
            12 => code.push(I::Lui { rd: x(reg(rng)), imm: rng.gen::<u32>() & 0xffff_f000 }),
            13 => code.push(I::Auipc { rd: x(reg(rng)), imm: rng.gen::<u32>() & 0xffff_f000 }),
            14 | 15 => {
                // Load through x15 as the base register.
                let kind = [LoadKind::Byte, LoadKind::Half, LoadKind::Word, LoadKind::ByteU, LoadKind::HalfU][rng.gen_range(0..5)];
                let addr = address(rng, kind.size());
                let off = rng.gen_range(-8..8);
                code.extend(li(15, addr.wrapping_sub(off as u32)));
                code.push(load(kind, reg(rng), 15, off));
            }
            16 | 17 => {
                let kind = [StoreKind::Byte, StoreKind::Half, StoreKind::Word][rng.gen_range(0..3)];
                let addr = address(rng, kind.size());
                let off = rng.gen_range(-8..8);
                code.extend(li(15, addr.wrapping_sub(off as u32)));
                code.push(store(kind, 15, reg(rng), off));
            }
            18 => {
                // Forward branch over 1..3 instructions.
                let skip = rng.gen_range(1..remaining_slots);
                let kind =
                    [BranchKind::Eq, BranchKind::Ne, BranchKind::Lt, BranchKind::Ge, BranchKind::Ltu, BranchKind::Geu][rng.gen_range(0..6)];
                code.push(branch(kind, rng.gen_range(0..16), rng.gen_range(0..16), 4 * (skip + 1)));
                for _ in 0..skip {
                    code.push(opi(AluOp::Add, reg(rng), reg(rng), rng.gen_range(-2048..2048)));
                }
            }
            19 if rng.gen_bool(0.5) => {
                // A call pair: auipc r, 0; jalr rd, off(r) forward over 1..3 instructions
                // (the JIT compiles these as direct calls).
                let skip = rng.gen_range(1..remaining_slots);
                let r = [6, 7, 15][rng.gen_range(0..3)];
                let rd = [0, 6, 7, 8, 9][rng.gen_range(0..5)];
                code.push(I::Auipc { rd: x(r), imm: 0 });
                code.push(I::Jalr { rd: x(rd), rs1: x(r), offset: 4 * (skip + 2) });
                for _ in 0..skip {
                    code.push(addi(reg(rng), 0, 1));
                }
            }
            _ => {
                // jal forward, linking into a random register (never ra: we return through it).
                let skip = rng.gen_range(1..remaining_slots);
                let rd = [0, 6, 7, 8, 9][rng.gen_range(0..5)];
                code.push(I::Jal { rd: x(rd), offset: 4 * (skip + 1) });
                for _ in 0..skip {
                    code.push(addi(reg(rng), 0, 1));
                }
            }
        }
        // Keep ra intact so the program returns.
        for insn in code.iter_mut() {
            match insn {
                I::Op { rd, .. }
                | I::OpImm { rd, .. }
                | I::Lui { rd, .. }
                | I::Auipc { rd, .. }
                | I::Load { rd, .. }
                | I::Jal { rd, .. }
                    if *rd == Reg::RA =>
                {
                    *rd = x(9)
                }
                _ => {}
            }
        }
    }
    code.push(ret());
    code
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Finished,
    LoadFault(u32),
    StoreFault(u32),
    Misaligned(u32),
}

fn run_oracle(code: &[I], m: &rivet_vm::Module) -> (Outcome, [u32; 16], Vec<u8>) {
    let layout = *m.program().layout();
    let mut data = vec![0u8; layout.data_span() as usize];
    let base = layout.stack_bottom();
    let ro_off = (layout.ro_base() - base) as usize;
    data[ro_off..ro_off + RO_BYTES.len()].copy_from_slice(&RO_BYTES);
    let rw_off = (layout.rw_base() - base) as usize;
    data[rw_off..rw_off + 16].fill(0xaa);
    data.truncate((layout.heap_base() - base) as usize); // heap not grown
    let mut mem = OracleMem {
        code: code.iter().map(|i| rivet_vm::isa::encode::encode(*i)).collect(),
        base,
        data,
        ro: (layout.ro_base(), layout.ro_end()),
    };
    let mut hart = HartState::new();
    hart.pc = CODE_BASE;
    hart.registers[2] = STACK_TOP;
    hart.registers[1] = RETURN_ADDRESS;
    let mut outcome = Outcome::Finished;
    for _ in 0..10_000 {
        if hart.pc == RETURN_ADDRESS {
            break;
        }
        let mut exec = InstructionExecutor { hart_state: &mut hart, mem: &mut mem };
        match exec.step() {
            Ok(()) => {}
            Err(InstructionException::LoadAccessFault(a)) => {
                outcome = Outcome::LoadFault(a);
                break;
            }
            Err(InstructionException::StoreAccessFault(a)) => {
                outcome = Outcome::StoreFault(a);
                break;
            }
            Err(InstructionException::AlignmentFault(a)) => {
                outcome = Outcome::Misaligned(a);
                break;
            }
            Err(e) => panic!("oracle raised {e:?}"),
        }
    }
    let mut regs = [0u32; 16];
    regs.copy_from_slice(&hart.registers[..16]);
    (outcome, regs, mem.data)
}

#[test]
fn random_programs_match_the_rrs_oracle() {
    let seed: u64 = std::env::var("RIVET_DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let count: usize = std::env::var("RIVET_DIFF_PROGRAMS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let mut rng = SmallRng::seed_from_u64(seed);
    let (mut finished, mut trapped) = (0, 0);
    for n in 0..count {
        let code = random_program(&mut rng);
        let m = module(&code);
        let (expected, oracle_regs, oracle_mem) = run_oracle(&code, &m);
        // Runs on both interpreter paths and checks they agree.
        let r = run_with_gas(&code, u64::MAX);
        let got = match r.interrupt {
            Interrupt::Finished => Outcome::Finished,
            Interrupt::Trap(t) => match t.kind {
                TrapKind::LoadFault { addr } => Outcome::LoadFault(addr),
                TrapKind::StoreFault { addr } | TrapKind::ReadOnlyWrite { addr } => Outcome::StoreFault(addr),
                TrapKind::Misaligned { addr } => Outcome::Misaligned(addr),
                other => panic!("program {n}: unexpected trap {other:?}"),
            },
            other => panic!("program {n}: unexpected {other:?}"),
        };
        let listing: String = code.iter().map(|i| format!("  {i}\n")).collect();
        assert_eq!(got, expected, "program {n} (seed {seed}):\n{listing}");
        assert_eq!(r.regs, oracle_regs, "program {n} (seed {seed}) registers:\n{listing}");
        let (_, vm_mem) = r.instance.mapped_memory();
        assert!(vm_mem == &oracle_mem[..], "program {n} (seed {seed}) memory differs:\n{listing}");
        if got == Outcome::Finished {
            finished += 1
        } else {
            trapped += 1
        }
    }
    // The generator must exercise both outcomes, or the comparison proves little.
    assert!(finished > count / 10 && trapped > count / 10, "finished {finished}, trapped {trapped}");
}
