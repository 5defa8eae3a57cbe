//! Programs that find what a unit of gas costs at worst.
//!
//! Gas prices instructions by a fixed table (SPEC.md §6), but the time an
//! instruction takes depends on what it does: a dependent load that misses the
//! cache or an indirect jump the CPU can't predict costs many times an `add`. The
//! rate at which gas becomes weight must cover the slowest gas a contract can buy,
//! so the chain's benchmark measures these programs and charges the worst. Each one
//! is a `call` entry that spends about `gas` units (a fixed setup, then a loop), so
//! the time per unit is the slope over `gas`.
//!
//! The same programs serve the pallet's FRAME benchmark and the VM's native
//! `gas_rate` example, which prints each probe's cost per gas on both backends.

use alloc::vec::Vec;

use crate::isa::{encode::encode, AluOp, BranchKind, Instruction as I, LoadKind, StoreKind};
use crate::memory_map::{CODE_BASE, RO_BASE};
use crate::{BlobBuilder, Reg};

const ZERO: Reg = Reg::ZERO;
const T0: Reg = Reg::T0;
const T1: Reg = reg(6);
const T2: Reg = reg(7);
const S0: Reg = reg(8);
const S1: Reg = reg(9);
const A0: Reg = Reg::A0;
const A1: Reg = Reg::A1;
const A2: Reg = Reg::A2;

const fn reg(n: u32) -> Reg {
    match Reg::new(n) {
        Some(r) => r,
        None => panic!("not an RV32E register"),
    }
}

/// The probes, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// `addi` and a taken branch: the cheapest gas there is.
    Alu,
    /// Loads that each depend on the last, wandering through 512 KiB of memory in a
    /// pseudo-random order (beats caches and prefetchers).
    PointerChase,
    /// Indirect jumps to pseudo-random targets among 64 blocks (beats the branch
    /// predictor; each jump goes through the JIT's jump table).
    IndirectJumps,
    /// Dependent divisions.
    Divisions,
}

impl Probe {
    pub const ALL: [Probe; 4] = [Probe::Alu, Probe::PointerChase, Probe::IndirectJumps, Probe::Divisions];

    pub fn name(self) -> &'static str {
        match self {
            Probe::Alu => "alu",
            Probe::PointerChase => "pointer-chase",
            Probe::IndirectJumps => "indirect-jumps",
            Probe::Divisions => "divisions",
        }
    }

    /// Gas one loop iteration costs.
    pub fn gas_per_iteration(self) -> u64 {
        match self {
            Probe::Alu => 2,           // addi, bne
            Probe::PointerChase => 5,  // add, lw (2), addi, bne
            Probe::IndirectJumps => 9, // addi, beq | mul (2), addi, srli, slli, add, jalr
            Probe::Divisions => 11,    // divu (8), add, addi, bne
        }
    }

    /// A blob whose `call` spends at least `gas` units in its loop (plus a setup
    /// that doesn't depend on `gas`) and returns.
    pub fn blob(self, gas: u64) -> Vec<u8> {
        let iterations = gas.div_ceil(self.gas_per_iteration()).clamp(1, u32::MAX as u64 / 2) as u32;
        let mut b = BlobBuilder::new();
        b.stack_size = 4096;
        let code = match self {
            Probe::Alu => alu(iterations),
            Probe::PointerChase => {
                b.bss_size = CHASE_SLOTS * 4;
                pointer_chase(iterations)
            }
            Probe::IndirectJumps => indirect_jumps(iterations),
            Probe::Divisions => divisions(iterations),
        };
        b.code_words(&code).entry("call", 0).entry("deploy", (code.len() as u32 - 1) * 4);
        b.to_bytes()
    }
}

/// `rd = value` (lui + addi).
fn li(out: &mut Vec<u32>, rd: Reg, value: u32) {
    let lo = ((value << 20) as i32) >> 20;
    let hi = value.wrapping_sub(lo as u32);
    out.push(encode(I::Lui { rd, imm: hi }));
    out.push(encode(I::OpImm { op: AluOp::Add, rd, rs1: rd, imm: lo as u32 }));
}

fn op(out: &mut Vec<u32>, op: AluOp, rd: Reg, rs1: Reg, rs2: Reg) {
    out.push(encode(I::Op { op, rd, rs1, rs2 }));
}

fn opi(out: &mut Vec<u32>, op: AluOp, rd: Reg, rs1: Reg, imm: i32) {
    out.push(encode(I::OpImm { op, rd, rs1, imm: imm as u32 }));
}

/// A branch at the end of `out` to the word index `target`.
fn branch(out: &mut Vec<u32>, kind: BranchKind, rs1: Reg, rs2: Reg, target: usize) {
    let offset = (target as i32 - out.len() as i32) * 4;
    out.push(encode(I::Branch { kind, rs1, rs2, offset }));
}

fn ret(out: &mut Vec<u32>) {
    out.push(encode(I::Jalr { rd: ZERO, rs1: Reg::RA, offset: 0 }));
}

fn alu(iterations: u32) -> Vec<u32> {
    let mut c = Vec::new();
    li(&mut c, T0, iterations);
    let top = c.len();
    opi(&mut c, AluOp::Add, T0, T0, -1);
    branch(&mut c, BranchKind::Ne, T0, ZERO, top);
    ret(&mut c);
    c
}

/// Words the pointer chase walks (512 KiB).
const CHASE_SLOTS: u32 = 1 << 17;
/// slot[i] holds the byte offset of slot (A*i + C) mod N: a full-period LCG (A = 1
/// mod 4, C odd), so the walk visits every slot before repeating.
const CHASE_A: u32 = 1_103_515_245;
const CHASE_C: u32 = 12_345;

fn pointer_chase(iterations: u32) -> Vec<u32> {
    let mut c = Vec::new();
    // With no read-only data, read-write data (here: all bss) starts at RO_BASE.
    li(&mut c, A0, RO_BASE);
    li(&mut c, S0, CHASE_A);
    li(&mut c, S1, CHASE_C);
    li(&mut c, A1, CHASE_SLOTS - 1);
    li(&mut c, A2, CHASE_SLOTS);
    li(&mut c, T0, 0);
    let fill = c.len(); // 11 gas a slot
    op(&mut c, AluOp::Mul, T1, T0, S0);
    op(&mut c, AluOp::Add, T1, T1, S1);
    op(&mut c, AluOp::And, T1, T1, A1);
    opi(&mut c, AluOp::Sll, T1, T1, 2);
    opi(&mut c, AluOp::Sll, T2, T0, 2);
    op(&mut c, AluOp::Add, T2, T2, A0);
    c.push(encode(I::Store { kind: StoreKind::Word, rs1: T2, rs2: T1, offset: 0 }));
    opi(&mut c, AluOp::Add, T0, T0, 1);
    branch(&mut c, BranchKind::Ne, T0, A2, fill);
    li(&mut c, A1, iterations);
    li(&mut c, T0, 0);
    let walk = c.len();
    op(&mut c, AluOp::Add, T1, A0, T0);
    c.push(encode(I::Load { kind: LoadKind::Word, rd: T0, rs1: T1, offset: 0 }));
    opi(&mut c, AluOp::Add, A1, A1, -1);
    branch(&mut c, BranchKind::Ne, A1, ZERO, walk);
    ret(&mut c);
    c
}

fn indirect_jumps(iterations: u32) -> Vec<u32> {
    // 64 blocks of 8 words: count down, step an LCG, jump to the block named by its
    // top 6 bits. (64 blocks keep every block's branch to `done` within reach.)
    const BLOCKS: usize = 64;
    const BLOCK_WORDS: usize = 8;
    const HEAD: usize = 8; // words before the first block
    let mut c = Vec::new();
    li(&mut c, A1, iterations);
    li(&mut c, S0, CHASE_A);
    li(&mut c, A2, CODE_BASE + (HEAD * 4) as u32);
    c.push(encode(I::Jal { rd: ZERO, offset: ((HEAD - c.len()) * 4) as i32 }));
    while c.len() < HEAD {
        c.push(encode(I::Unimp));
    }
    let done = HEAD + BLOCKS * BLOCK_WORDS;
    for _ in 0..BLOCKS {
        opi(&mut c, AluOp::Add, A1, A1, -1);
        branch(&mut c, BranchKind::Eq, A1, ZERO, done);
        op(&mut c, AluOp::Mul, S1, S1, S0);
        opi(&mut c, AluOp::Add, S1, S1, 0x3ab);
        opi(&mut c, AluOp::Srl, T1, S1, 26);
        opi(&mut c, AluOp::Sll, T1, T1, 5);
        op(&mut c, AluOp::Add, T1, T1, A2);
        c.push(encode(I::Jalr { rd: ZERO, rs1: T1, offset: 0 }));
    }
    debug_assert_eq!(c.len(), done);
    ret(&mut c);
    c
}

fn divisions(iterations: u32) -> Vec<u32> {
    let mut c = Vec::new();
    li(&mut c, A1, iterations);
    li(&mut c, S0, 3);
    li(&mut c, S1, 0x7fff_fff1);
    li(&mut c, T0, 0x7fff_ffff);
    let top = c.len();
    op(&mut c, AluOp::Divu, T0, T0, S0);
    op(&mut c, AluOp::Add, T0, T0, S1);
    opi(&mut c, AluOp::Add, A1, A1, -1);
    branch(&mut c, BranchKind::Ne, A1, ZERO, top);
    ret(&mut c);
    c
}

/// A blob whose `call` makes `calls` host calls of number `host_fn` (one that
/// takes no arguments and returns in a0/a1, such as `gas_left`) and returns: what a
/// host call's round trip costs, the VM's part being a few units of gas each.
pub fn host_calls(calls: u32, host_fn: u32) -> Vec<u8> {
    let mut c = Vec::new();
    li(&mut c, S0, calls);
    let top = c.len();
    branch(&mut c, BranchKind::Eq, S0, ZERO, top + 5);
    opi(&mut c, AluOp::Add, T0, ZERO, host_fn as i32);
    c.push(encode(I::Ecall));
    opi(&mut c, AluOp::Add, S0, S0, -1);
    c.push(encode(I::Jal { rd: ZERO, offset: -16 }));
    ret(&mut c);
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.code_words(&c).entry("call", 0).entry("deploy", (c.len() as u32 - 1) * 4);
    b.to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, GuestInstance, Instance, Interrupt, Limits, Module};
    use alloc::sync::Arc;

    #[test]
    fn each_probe_spends_about_the_gas_asked_and_returns() {
        let limits = Limits { max_code_size: 256 * 1024, max_memory: 1024 * 1024 };
        for probe in Probe::ALL {
            for gas in [1_000_000u64, 3_000_000] {
                let program = parse(&probe.blob(gas), &limits).unwrap_or_else(|e| panic!("{probe:?}: {e}"));
                if probe == Probe::PointerChase {
                    assert_eq!(program.layout().rw_base(), RO_BASE, "the chase's memory starts where its code assumes");
                }
                let mut i = Instance::new(Arc::new(Module::new(Arc::new(program))));
                i.prepare_call("call", 100 * gas).unwrap();
                assert_eq!(i.run(), Interrupt::Finished, "{probe:?}");
                let used = 100 * gas - i.gas_left();
                // The loop's share is what the probe promises; setup adds a constant.
                let setup = if probe == Probe::PointerChase { 12 * CHASE_SLOTS as u64 } else { 100 };
                assert!(used >= gas && used <= gas + probe.gas_per_iteration() + setup, "{probe:?}: asked {gas}, used {used}");
            }
        }
    }

    #[test]
    fn host_calls_makes_exactly_the_calls_asked() {
        let limits = Limits { max_code_size: 256 * 1024, max_memory: 1024 * 1024 };
        for calls in [0u32, 1, 7] {
            let program = parse(&host_calls(calls, 6), &limits).unwrap();
            let mut i = Instance::new(Arc::new(Module::new(Arc::new(program))));
            i.prepare_call("call", 1_000_000).unwrap();
            let mut made = 0;
            loop {
                match i.run() {
                    Interrupt::HostCall(6) => made += 1,
                    Interrupt::Finished => break,
                    other => panic!("{other:?}"),
                }
            }
            assert_eq!(made, calls);
        }
    }

    #[test]
    fn the_pointer_chase_visits_every_slot() {
        // The LCG's full period is what defeats the cache: check it, not assume it.
        let (a, c, n) = (CHASE_A, CHASE_C, CHASE_SLOTS);
        let mut seen = alloc::vec![false; n as usize];
        let mut i = 0u32;
        for _ in 0..n {
            assert!(!seen[i as usize]);
            seen[i as usize] = true;
            i = a.wrapping_mul(i).wrapping_add(c) & (n - 1);
        }
        assert_eq!(i, 0);
    }
}
