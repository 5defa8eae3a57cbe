//! Which guest registers live in which host registers: one mapping for the whole
//! program (`allocate`), and, for tight loops, mappings of their own (`loop_regions`)
//! that compiled code switches to on entering the loop and back from on leaving it.

use rivet_vm::isa::{register_fields, Instruction, Reg};
use rivet_vm::Program;

/// Per guest register, its host register or `NONE`.
pub type RegMap = [u8; 16];

/// No host register: the guest register lives in a stack slot.
pub const NONE: u8 = 0xff;
/// Host registers available to guest registers (x86 numbering: rbx, rbp, rsi, rdi,
/// r8-r13, r15, rdx last: divisions save it around `idiv`). r14 holds the gas counter
/// (a memory counter would chain every block's check through store-to-load
/// forwarding); rax and rcx are scratch. Rust-compiled RV32E code uses thirteen
/// registers (never gp or tp), so at most one of them lives in memory.
const POOL: [u8; 12] = [3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 2];

/// Which host register holds each guest register, or NONE (it lives in a stack slot):
/// the twelve registers with the most uses get the twelve host registers, each use weighted
/// by how hot its code looks: the product, over the loops (backward static jumps)
/// around it, of 1 + 32 / the loop's length. Small loops are where programs spend
/// their time; a plain nesting depth let long loops of cold code (a sort routine's
/// dozens of overlapping back edges) outweigh the one tight loop that runs. Linear in
/// the program (plus sorting the loops' bounds): the heat changes only where a loop
/// starts or ends (heats are logarithms, so products become sums).
/// `loops` are the program's backward jumps (`backward_jumps`).
pub fn allocate(program: &Program, loops: &[(usize, usize)]) -> RegMap {
    // Where the heat changes: (instruction, change), sorted. Loops are few, so this is
    // small where an array per instruction would be fresh memory (see `compile`).
    let mut changes: Vec<(usize, f64)> = Vec::new();
    for &(t, i) in loops {
        let heat = (1.0 + 32.0 / (i - t + 1) as f64).ln();
        changes.push((t, heat));
        changes.push((i + 1, -heat));
    }
    changes.sort_by_key(|&(at, _)| at);
    // Uses are counted per stretch of equal heat, then weighed.
    let mut uses = [0f64; 16];
    let mut counts = [0u32; 16];
    let (mut heat, mut weight, mut next) = (0f64, 1f64, 0);
    for (i, &word) in program.code_words().iter().enumerate() {
        if next < changes.len() && changes[next].0 == i {
            for (u, c) in uses.iter_mut().zip(&mut counts) {
                *u += weight * f64::from(std::mem::take(c));
            }
            while next < changes.len() && changes[next].0 == i {
                heat += changes[next].1;
                next += 1;
            }
            weight = heat.clamp(0.0, 60.0).exp();
        }
        // Absent operands count for x0, which is never allocated (no branches here:
        // this runs for every instruction). Fields of a valid program are below 16.
        for r in register_fields(word) {
            counts[r & 15] += 1;
        }
    }
    for (u, c) in uses.iter_mut().zip(counts) {
        *u += weight * f64::from(c);
    }
    // sp always gets a host register: every function's prologue and epilogue use it.
    uses[Reg::SP.index()] = f64::INFINITY;
    let mut order: Vec<usize> = (1..16).collect();
    // Most used first; ties by register number, so the allocation is deterministic.
    order.sort_by(|&g, &h| uses[h].total_cmp(&uses[g]).then(g.cmp(&h)));
    let mut map = [NONE; 16];
    for (&g, &h) in order.iter().zip(POOL.iter()) {
        map[g] = h;
    }
    map
}

/// Every backward static jump (branch or `jal`) as (target, jump): the program's loops.
pub fn backward_jumps(program: &Program) -> impl Iterator<Item = (usize, usize)> + '_ {
    program.instructions().iter().enumerate().filter_map(|(i, insn)| {
        let off = insn.static_target_offset().filter(|&o| o <= 0)?;
        Some(((i as i64 + off as i64 / 4) as usize, i))
    })
}

/// A loop (the span of a backward static jump) compiled with its own mapping: the
/// registers it uses most that the program's mapping leaves in memory take the host
/// registers of those it uses least.
pub struct Region {
    pub start: usize,
    /// The backward jump, the loop's last instruction.
    pub end: usize,
    pub map: RegMap,
}

/// The longest loop that gets a mapping of its own: moves on its edges pay only when
/// it runs many times per entry, which tight loops do.
const MAX_REGION: usize = 256;

/// Loops whose own mapping keeps more of their register uses in host registers than
/// `global` does: disjoint, innermost first, each made only of instructions that
/// leave the loop by a static jump, a trap or running out of gas (no calls, returns,
/// host calls), so every way out is one the compiler sees. Linear in the program's
/// size (spans are at most `MAX_REGION` long).
pub fn loop_regions(program: &Program, loops: &[(usize, usize)], global: &RegMap) -> Vec<Region> {
    let insns = program.instructions();
    let mut spans: Vec<(usize, usize)> = loops.iter().copied().filter(|&(t, i)| i - t < MAX_REGION).collect();
    spans.sort_by_key(|&(t, i)| (i - t, t));
    let mut taken = vec![false; insns.len()];
    let mut regions = Vec::new();
    for (t, i) in spans {
        if taken[t..=i].iter().any(|&x| x) || !insns[t..=i].iter().all(stays_visible) {
            continue;
        }
        let mut uses = [0u32; 16];
        for insn in &insns[t..=i] {
            let [s1, s2] = insn.sources();
            for r in [insn.dest(), s1, s2].into_iter().flatten() {
                uses[r.index()] += 1;
            }
        }
        let mut map = *global;
        // Swap while the loop's most used register in memory is used more than its
        // least used one in a host register (each swap strictly gains, so this ends).
        loop {
            let spilled = (1..16).filter(|&g| map[g] == NONE && uses[g] > 0).max_by_key(|&g| (uses[g], std::cmp::Reverse(g)));
            let hosted = (1..16).filter(|&g| map[g] != NONE).min_by_key(|&g| (uses[g], g));
            match (spilled, hosted) {
                (Some(s), Some(h)) if uses[s] > uses[h] => {
                    map[s] = map[h];
                    map[h] = NONE;
                }
                _ => break,
            }
        }
        if map != *global {
            taken[t..=i].iter_mut().for_each(|x| *x = true);
            regions.push(Region { start: t, end: i, map });
        }
    }
    regions.sort_by_key(|r| r.start);
    regions
}

/// Instructions a loop with its own mapping may hold: none that leaves it for code
/// the compiler can't see (a call's callee, a return, the host).
fn stays_visible(insn: &Instruction) -> bool {
    match *insn {
        Instruction::Jal { rd, .. } => rd == Reg::ZERO,
        Instruction::Jalr { .. } | Instruction::Ecall | Instruction::Ebreak | Instruction::Unimp => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rivet_vm::isa::encode::encode;
    use rivet_vm::isa::{AluOp, BranchKind, Instruction as I, LoadKind};
    use rivet_vm::memory_map::CODE_BASE;
    use rivet_vm::{BlobBuilder, GuestInstance, Interrupt, Limits, Program};

    use super::*;
    use crate::lockstep::Lockstep;

    fn x(n: u32) -> Reg {
        Reg::new(n).unwrap()
    }
    fn addi(rd: u32, rs: u32, imm: i32) -> I {
        I::OpImm { op: AluOp::Add, rd: x(rd), rs1: x(rs), imm: imm as u32 }
    }
    fn op(op: AluOp, rd: u32, a: u32, b: u32) -> I {
        I::Op { op, rd: x(rd), rs1: x(a), rs2: x(b) }
    }
    /// `beq rs1, rs2` at instruction `from` to instruction `to`.
    fn beq(rs1: Reg, rs2: Reg, from: usize, to: usize) -> I {
        I::Branch { kind: BranchKind::Eq, rs1, rs2, offset: 4 * (to as i32 - from as i32) }
    }
    /// `j` at instruction `from` to instruction `to`.
    fn jump(from: usize, to: usize) -> I {
        I::Jal { rd: Reg::ZERO, offset: 4 * (to as i32 - from as i32) }
    }
    fn li(rd: u32, v: u32) -> [I; 2] {
        let lo = ((v & 0xfff) as i32) << 20 >> 20;
        [I::Lui { rd: x(rd), imm: v.wrapping_sub(lo as u32) }, addi(rd, rd, lo)]
    }

    const RW: u32 = 0x0010_1000;

    /// Loop A keeps twelve registers busy, so the program's mapping leaves x3, x4 and
    /// x15 in memory (loop B is long, padded with no-ops, so it weighs less); loop B
    /// uses those most, so it gets a mapping of its own. Loop B then takes the way out
    /// `mode` says: none (it falls out, and is then entered again by dynamic jumps:
    /// in its middle, where nothing is assumed, and past a checked load, where a
    /// checked copy runs), a memory fault, a misaligned load, or a branch out of its
    /// middle. Returns the program and where loop B starts.
    fn program(mode: u32) -> (Arc<Program>, usize) {
        let mut c: Vec<I> = Vec::new();
        for r in 1..16 {
            c.push(addi(r, 0, 3 * r as i32));
        }
        c.extend(li(6, RW));
        loop_a(&mut c);
        // Loop B: x3, x4, x15, the counter x5 and the pointer x6; x10 counts the
        // times it ran to its end, x12 is where mode 3 leaves it.
        c.push(addi(10, 0, 0));
        c.push(addi(12, 0, 3));
        c.push(addi(5, 0, 6));
        let b = c.len();
        c.push(op(AluOp::Add, 3, 3, 4));
        let middle = c.len();
        c.push(op(AluOp::Xor, 15, 15, 3));
        c.push(I::Load { kind: LoadKind::Word, rd: x(4), rs1: x(6), offset: 0 });
        c.push(op(AluOp::Add, 4, 4, 15));
        let after_load = c.len();
        c.push(op(AluOp::Add, 3, 3, 15));
        let way_out = c.len();
        c.push(match mode {
            1 => addi(6, 6, 2048),
            2 => addi(6, 6, 2),
            _ => op(AluOp::Or, 15, 15, 4),
        });
        let len = c.len() - b + 200;
        close_loop(&mut c, b, len);
        let exit = c.len();
        if mode == 3 {
            c[way_out] = beq(x(5), x(12), way_out, exit);
        }
        // After the loop: the first time, enter it again in its middle; the second,
        // past the load; then stop.
        c.push(addi(10, 10, 1));
        c.push(addi(5, 0, 2));
        c.push(addi(11, 0, 1));
        let to_first = c.len();
        c.push(addi(0, 0, 0));
        c.push(addi(11, 0, 2));
        let to_second = c.len();
        c.push(addi(0, 0, 0));
        let to_done = c.len();
        c.push(addi(0, 0, 0));
        let first = c.len();
        c.extend(li(14, CODE_BASE + 4 * middle as u32));
        c.push(I::Jalr { rd: Reg::ZERO, rs1: x(14), offset: 0 });
        let second = c.len();
        c.extend(li(14, CODE_BASE + 4 * after_load as u32));
        c.push(I::Jalr { rd: Reg::ZERO, rs1: x(14), offset: 0 });
        let done = c.len();
        c.push(op(AluOp::Add, 10, 3, 4));
        c.push(op(AluOp::Add, 10, 10, 15));
        c.push(I::Ebreak);
        c[to_first] = beq(x(10), x(11), to_first, first);
        c[to_second] = beq(x(10), x(11), to_second, second);
        c[to_done] = jump(to_done, done);
        (blob(&c), b)
    }

    /// Loop A: twelve registers busy (x6's value kept), x5 counts.
    fn loop_a(c: &mut Vec<I>) {
        c.push(addi(5, 0, 20));
        let a = c.len();
        for _ in 0..6 {
            c.push(op(AluOp::Add, 7, 7, 8));
            c.push(op(AluOp::Xor, 9, 9, 10));
            c.push(op(AluOp::Add, 11, 11, 12));
            c.push(op(AluOp::Or, 13, 13, 14));
            c.push(op(AluOp::Add, 1, 1, 2));
            c.push(op(AluOp::Sub, 14, 14, 1));
            c.push(op(AluOp::Add, 8, 8, 13));
            c.push(op(AluOp::Or, 6, 6, 0));
        }
        close_loop(c, a, 0);
    }

    /// Pads the loop started at `start` with no-ops to `len` instructions, then counts
    /// x5 down and jumps back to `start` while it isn't zero.
    fn close_loop(c: &mut Vec<I>, start: usize, len: usize) {
        while c.len() - start < len {
            c.push(addi(0, 0, 0));
        }
        c.push(addi(5, 5, -1));
        c.push(I::Branch { kind: BranchKind::Ne, rs1: x(5), rs2: Reg::ZERO, offset: -4 * (c.len() - start) as i32 });
    }

    fn blob(c: &[I]) -> Arc<Program> {
        let words: Vec<u32> = c.iter().map(|i| encode(*i)).collect();
        let mut bb = BlobBuilder::new();
        bb.stack_size = 4096;
        bb.rw_data = vec![7; 5000];
        bb.code_words(&words).entry("main", 0);
        Arc::new(rivet_vm::parse(&bb.to_bytes(), &Limits::default()).unwrap())
    }

    #[test]
    fn a_loop_gets_its_own_mapping() {
        let (p, b) = program(0);
        let loops: Vec<_> = backward_jumps(&p).collect();
        let global = allocate(&p, &loops);
        for r in [3, 4, 15] {
            assert_eq!(global[r], NONE, "x{r} should be in memory in the program's mapping");
        }
        let regions = loop_regions(&p, &loops, &global);
        assert_eq!(regions.len(), 1, "loop B, and only it");
        assert_eq!(regions[0].start, b);
        for r in [3, 4, 15] {
            assert_ne!(regions[0].map[r], NONE, "x{r} should have a host register in loop B");
        }
    }

    /// Every way into and out of a loop with its own mapping, at every gas limit,
    /// agrees with the interpreter (registers, memory, gas, trap) at every interrupt.
    #[test]
    fn every_way_in_and_out_of_a_loop_agrees_with_the_interpreter() {
        if !crate::is_supported() {
            return;
        }
        for mode in 0..4 {
            let (p, _) = program(mode);
            let mut full = Lockstep::new(&p).unwrap();
            full.prepare_call("main", 1_000_000).unwrap();
            let end = full.run();
            assert!(matches!(end, Interrupt::Trap(_)), "mode {mode}: {end:?}");
            let used = 1_000_000 - full.gas_left();
            for gas in 0..=used {
                let mut l = Lockstep::new(&p).unwrap();
                l.prepare_call("main", gas).unwrap();
                // Lockstep panics on any difference.
                let _ = l.run();
            }
        }
    }

    /// A loop on its own mapping whose code assumes alignment known on falling in
    /// (`compile::loop_alignment`): loop B uses x3, x4 and x15 (in memory in the
    /// program's mapping, loop A having the other registers busy) and walks x6. Mode 0
    /// falls into B with x6 = RW; 1 jumps to B's start with x6 = RW + off; 2 jumps
    /// there dynamically. Every way, at every gas limit, lazily compiled and with
    /// every copy, agrees with the interpreter: the entry stub tests x6 where B's
    /// mapping keeps it, and moves back before going on or running out of gas.
    #[test]
    fn a_loop_on_its_own_mapping_assumes_alignment_only_where_proven() {
        if !crate::is_supported() {
            return;
        }
        let code = |mode: i32, off: u32| {
            let mut c: Vec<I> = (1..16).map(|r| addi(r, 0, 3 * r as i32)).collect();
            loop_a(&mut c);
            c.extend([addi(5, 0, 6), addi(14, 0, mode), addi(12, 0, 1)]);
            let to_fall = c.len();
            c.push(addi(0, 0, 0));
            c.extend(li(6, RW + off));
            let to_static = c.len();
            c.push(addi(0, 0, 0));
            let dynamic = c.len();
            c.extend(li(13, 0));
            c.push(I::Jalr { rd: Reg::ZERO, rs1: x(13), offset: 0 });
            let statik = c.len();
            c.push(addi(0, 0, 0));
            let fall = c.len();
            c.extend(li(6, RW));
            let b = c.len();
            c.extend([
                op(AluOp::Add, 3, 3, 4),
                op(AluOp::Xor, 15, 15, 3),
                I::Load { kind: LoadKind::Word, rd: x(4), rs1: x(6), offset: 0 },
                op(AluOp::Add, 4, 4, 15),
                op(AluOp::Add, 3, 3, 15),
                addi(6, 6, 4),
            ]);
            // Long enough to weigh less than loop A, short enough to keep what it knows.
            close_loop(&mut c, b, 56);
            c.push(I::Ebreak);
            c[to_fall] = beq(x(14), Reg::ZERO, to_fall, fall);
            c[to_static] = beq(x(14), x(12), to_static, statik);
            c[statik] = jump(statik, b);
            let [hi, lo] = li(13, CODE_BASE + 4 * b as u32);
            c[dynamic] = hi;
            c[dynamic + 1] = lo;
            (blob(&c), b)
        };
        for mode in 0..3 {
            for off in [0, 2] {
                let (p, b) = code(mode, off);
                let head = CODE_BASE + 4 * b as u32;
                let m = crate::compile(p.clone()).unwrap();
                assert!(m.loops_with_own_mapping().iter().any(|&(s, _)| s == head), "loop B has its own mapping");
                assert!(m.loops_keeping_alignment().iter().any(|&(s, regs)| s == head && regs & 1 << 6 != 0), "loop B assumes x6");
                let interpreter = || rivet_vm::Instance::new(Arc::new(rivet_vm::Module::new(p.clone())));
                let mut full = interpreter();
                full.prepare_call("main", 100_000).unwrap();
                let r = full.run();
                let used = 100_000 - full.gas_left();
                for with_copies in [false, true] {
                    let module = Arc::new(match with_copies {
                        false => crate::compile(p.clone()).unwrap(),
                        true => crate::compile_with_copies(p.clone()).unwrap(),
                    });
                    for gas in (0..=used).chain([100_000]) {
                        let jit = crate::JitInstance::new(module.clone()).unwrap();
                        let mut l = Lockstep::pair(&p, interpreter(), jit);
                        l.prepare_call("main", gas).unwrap();
                        // Lockstep panics on any difference.
                        l.run();
                    }
                }
                let misaligned = matches!(r, Interrupt::Trap(t) if matches!(t.kind, rivet_vm::TrapKind::Misaligned { .. }));
                assert_eq!(misaligned, mode != 0 && off != 0, "mode {mode}, x6 = RW + {off}: {r:?}");
            }
        }
    }
}
