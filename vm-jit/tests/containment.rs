//! Tests that try to escape the sandbox or make the backends disagree. Every program
//! runs in lockstep (interpreter beside JIT, compared at every interrupt).

use std::sync::Arc;

use rivet_vm::isa::encode::encode;
use rivet_vm::isa::AluOp::*;
use rivet_vm::isa::{AluOp, BranchKind, Instruction as I, LoadKind, StoreKind};
use rivet_vm::memory_map::{CODE_BASE, DATA_END, STACK_TOP};
use rivet_vm::{BlobBuilder, GuestInstance, Interrupt, Limits, Program, Reg, TrapKind};
use rivet_vm_jit::{instantiate, is_supported, Backend, Lockstep, ModuleCache};

fn x(n: u32) -> Reg {
    Reg::new(n).unwrap()
}

fn li(rd: u32, v: u32) -> [I; 2] {
    let lo = ((v & 0xfff) as i32) << 20 >> 20;
    [I::Lui { rd: x(rd), imm: v.wrapping_sub(lo as u32) }, I::OpImm { op: AluOp::Add, rd: x(rd), rs1: x(rd), imm: lo as u32 }]
}

fn program(code: &[I], stack: u32) -> Arc<Program> {
    let words: Vec<u32> = code.iter().map(|i| encode(*i)).collect();
    let mut b = BlobBuilder::new();
    b.stack_size = stack;
    b.ro_data = vec![1; 100];
    b.rw_data = vec![2; 100];
    b.heap_max = 8192;
    b.code_words(&words).entry("main", 0);
    Arc::new(rivet_vm::parse(&b.to_bytes(), &Limits::default()).unwrap())
}

fn lockstep(code: &[I], gas: u64) -> (Interrupt, Lockstep) {
    let mut l = Lockstep::new(&program(code, 4096)).unwrap();
    l.prepare_call("main", gas).unwrap();
    let r = l.run();
    (r, l)
}

#[test]
fn loads_and_stores_at_every_region_boundary_agree() {
    if !is_supported() {
        return;
    }
    let stack_bottom = STACK_TOP - 4096;
    let (ro, rw, heap) = (0x0010_0000u32, 0x0010_1000u32, 0x0010_2000u32);
    let edges = [0, 4, 0xfffc, 0x1_0000, stack_bottom, ro, rw, heap, DATA_END, CODE_BASE, 0x7fff_fffc, 0x8000_0000, u32::MAX - 3];
    let mut tried = 0;
    for edge in edges {
        for delta in [-8i32, -4, -2, -1, 0, 1, 2, 4] {
            let addr = edge.wrapping_add(delta as u32);
            for (load, size) in [(LoadKind::Word, 4), (LoadKind::Half, 2), (LoadKind::ByteU, 1)] {
                let mut c = li(5, addr).to_vec();
                c.push(I::Load { kind: load, rd: x(10), rs1: x(5), offset: 0 });
                c.push(I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 });
                lockstep(&c, 1000);
                let store = [StoreKind::Byte, StoreKind::Half, StoreKind::Word][(size as usize).trailing_zeros() as usize];
                let mut c = li(5, addr).to_vec();
                c.push(I::Store { kind: store, rs1: x(5), rs2: x(5), offset: 0 });
                c.push(I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 });
                lockstep(&c, 1000);
                tried += 2;
            }
        }
    }
    assert!(tried > 500);
}

#[test]
fn huge_offsets_wrap_inside_the_guest_space() {
    if !is_supported() {
        return;
    }
    for (base, off) in [(0xffff_ffffu32, 1i32), (0xffff_f800, -2048), (0x8000_0000, 2047), (0, -2048), (STACK_TOP, -2048)] {
        let mut c = li(5, base).to_vec();
        c.push(I::Load { kind: LoadKind::Word, rd: x(10), rs1: x(5), offset: off & !3 });
        c.push(I::Store { kind: StoreKind::Byte, rs1: x(5), rs2: x(5), offset: off });
        c.push(I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 });
        lockstep(&c, 1000);
    }
}

#[test]
fn unwrapped_addresses_fault_where_wrapped_ones_do() {
    if !is_supported() {
        return;
    }
    // Byte accesses, and word accesses whose base is known to be a multiple of 4, are
    // compiled as [base + reg + offset] without wrapping the sum to 32 bits: sums
    // below 0 or past 2^32 must fault in the guards and report the wrapped address.
    let mut faults = 0;
    for base in [0u32, 4, 0x7fc, 0x800, 0xffff_f800, 0xffff_fffc, 0xffff_ff00, STACK_TOP - 2048] {
        for off in [-2048i32, -4, 0, 4, 2044] {
            let addr = base.wrapping_add(off as u32);
            let kinds: [(I, bool); 3] = [
                (I::Load { kind: LoadKind::ByteU, rd: x(10), rs1: x(5), offset: off }, false),
                (I::Store { kind: StoreKind::Byte, rs1: x(5), rs2: x(5), offset: off }, true),
                (I::Load { kind: LoadKind::Word, rd: x(10), rs1: x(5), offset: off }, false),
            ];
            for (access, store) in kinds {
                let mut c = li(5, base).to_vec();
                c.push(access);
                c.push(I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 });
                let (r, _) = lockstep(&c, 1000);
                let mapped = (STACK_TOP - 4096..STACK_TOP).contains(&addr);
                let expected = match (mapped, store) {
                    (true, _) => Interrupt::Finished,
                    (false, false) => Interrupt::Trap(rivet_vm::Trap { kind: TrapKind::LoadFault { addr }, pc: CODE_BASE + 8 }),
                    (false, true) => Interrupt::Trap(rivet_vm::Trap { kind: TrapKind::StoreFault { addr }, pc: CODE_BASE + 8 }),
                };
                assert_eq!(r, expected, "base {base:#x} offset {off}");
                faults += !mapped as u32;
            }
        }
    }
    assert!(faults > 60);
}

#[test]
fn deep_recursion_hits_the_stack_guard() {
    if !is_supported() {
        return;
    }
    // f: addi sp, sp, -16; sw ra, 12(sp); jal ra, f
    let c = [
        I::OpImm { op: AluOp::Add, rd: Reg::SP, rs1: Reg::SP, imm: (-16i32) as u32 },
        I::Store { kind: StoreKind::Word, rs1: Reg::SP, rs2: Reg::RA, offset: 12 },
        I::Jal { rd: Reg::RA, offset: -8 },
    ];
    let (r, _) = lockstep(&c, 1_000_000);
    let stack_bottom = STACK_TOP - 4096;
    assert_eq!(
        r,
        Interrupt::Trap(rivet_vm::Trap { kind: TrapKind::StoreFault { addr: stack_bottom - 4 }, pc: CODE_BASE + 4 }),
        "the first store below the stack traps"
    );
}

#[test]
fn jumps_into_instructions_or_outside_code_trap() {
    if !is_supported() {
        return;
    }
    for target in [CODE_BASE + 1, CODE_BASE + 2, CODE_BASE + 6, CODE_BASE - 4, CODE_BASE + 0x1000, 0, STACK_TOP - 16, u32::MAX] {
        let mut c = li(5, target).to_vec();
        c.push(I::Jalr { rd: x(6), rs1: x(5), offset: 0 });
        c.push(I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 });
        let (r, _) = lockstep(&c, 1000);
        // Odd targets lose bit 0 and may land on a valid instruction: those run on.
        if target & !1 < CODE_BASE || target & !1 >= CODE_BASE + 16 || target & 2 != 0 {
            assert!(matches!(r, Interrupt::Trap(t) if matches!(t.kind, TrapKind::InvalidJumpTarget { .. })), "{target:#x}: {r:?}");
        }
    }
}

#[test]
fn jumps_into_the_middle_of_a_block_check_alignment_the_block_proved() {
    if !is_supported() {
        return;
    }
    // The block at 4 checks `sp` once (its first word load); the JIT then leaves the
    // checks of the later sp- and x12-based accesses out. Entering at any later
    // instruction, by a direct call or a dynamic jump, with `sp` off by 1-3, must
    // still trap exactly where the interpreter does.
    let sp = Reg::SP;
    let block = [
        I::Load { kind: LoadKind::Word, rd: x(10), rs1: sp, offset: 0 },
        I::Load { kind: LoadKind::Word, rd: x(11), rs1: sp, offset: 4 },
        I::Store { kind: StoreKind::Half, rs1: sp, rs2: x(11), offset: 2 },
        I::OpImm { op: AluOp::Add, rd: x(12), rs1: sp, imm: 8 },
        I::Store { kind: StoreKind::Word, rs1: x(12), rs2: x(10), offset: 0 },
        I::Branch { kind: BranchKind::Ne, rs1: x(10), rs2: x(11), offset: 8 },
        I::Store { kind: StoreKind::Word, rs1: x(12), rs2: x(11), offset: 4 },
        I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 },
    ];
    let mut runs = [0; 2];
    for target in 0..block.len() as u32 {
        for delta in [-16i32, -15, -14, -13] {
            for direct in [true, false] {
                let mut c = vec![
                    I::OpImm { op: AluOp::Add, rd: sp, rs1: sp, imm: delta as u32 },
                    I::OpImm { op: AluOp::Add, rd: x(12), rs1: sp, imm: 8 },
                ];
                if direct {
                    // auipc + jalr: compiled as a call straight to the target's code.
                    let to = 4 * (2 + target as i32);
                    c.extend([I::Auipc { rd: x(5), imm: 0 }, I::Jalr { rd: Reg::ZERO, rs1: x(5), offset: to }]);
                } else {
                    c.extend(li(5, CODE_BASE + 4 * (5 + target)));
                    c.push(I::Jalr { rd: Reg::ZERO, rs1: x(5), offset: 0 });
                }
                c.extend(block);
                let (r, l) = lockstep(&c, 1000);
                assert!(l.checks >= 1);
                let misaligned = matches!(r, Interrupt::Trap(t) if matches!(t.kind, TrapKind::Misaligned { .. }));
                // Aligned, every entry finishes; misaligned, every entry up to the last
                // store traps (the loaded words are equal: the branch falls through).
                let expect_trap = delta != -16 && target <= 6;
                assert_eq!(misaligned, expect_trap, "target {target}, sp{delta:+}, direct {direct}: {r:?}");
                assert!(misaligned || r == Interrupt::Finished, "target {target}, sp{delta:+}: {r:?}");
                runs[misaligned as usize] += 1;
            }
        }
    }
    assert!(runs[0] > 0 && runs[1] > 0);
}

#[test]
fn loops_assume_alignment_only_where_every_way_in_proves_it() {
    if !is_supported() {
        return;
    }
    // The loop at HEAD sums words through x10. Falling into it, x10 was just set to an
    // aligned address, and the body adds STEP to it: with STEP = 4 the JIT's loop code
    // leaves out the load's alignment check. Every other way in, with x10 aligned or
    // off by 2, must still behave as the interpreter: a static jump to the head, a
    // dynamic jump to it, a dynamic jump into the body (whose copy jumps back to the
    // head), each with any gas limit, lazily compiled and with every copy.
    const RW: u32 = 0x0010_1000;
    const HEAD: u32 = 18;
    const MIDDLE: u32 = 21;
    let addi = |rd: u32, rs1: u32, imm: i32| I::OpImm { op: AluOp::Add, rd: x(rd), rs1: x(rs1), imm: imm as u32 };
    let beq =
        |rs2: u32, from: u32, to: u32| I::Branch { kind: BranchKind::Eq, rs1: x(14), rs2: x(rs2), offset: 4 * (to as i32 - from as i32) };
    let code = |mode: i32, off: u32, step: i32| {
        let mut c = vec![addi(11, 0, 5), addi(14, 0, mode), beq(0, 2, 16)];
        c.extend(li(10, RW + off));
        c.extend([addi(15, 0, 1), beq(15, 6, 15), addi(15, 0, 2), beq(15, 8, 12)]);
        c.extend(li(5, CODE_BASE + 4 * MIDDLE));
        c.push(I::Jalr { rd: Reg::ZERO, rs1: x(5), offset: 0 });
        c.extend(li(5, CODE_BASE + 4 * HEAD));
        c.push(I::Jalr { rd: Reg::ZERO, rs1: x(5), offset: 0 });
        c.push(I::Jal { rd: Reg::ZERO, offset: 4 * (HEAD as i32 - 15) });
        // 16: falling into the loop with x10 = RW, known aligned.
        c.extend(li(10, RW));
        assert_eq!(c.len() as u32, HEAD);
        c.extend([
            I::Load { kind: LoadKind::Word, rd: x(13), rs1: x(10), offset: 0 },
            I::Op { op: Add, rd: x(12), rs1: x(12), rs2: x(13) },
            addi(10, 10, step),
            addi(11, 11, -1),
            I::Branch { kind: BranchKind::Ne, rs1: x(11), rs2: x(0), offset: -16 },
            I::Ebreak,
        ]);
        c
    };
    let mut outcomes = std::collections::BTreeMap::new();
    for mode in 0..4 {
        for off in [0, 2] {
            for step in [4, 2] {
                let p = program(&code(mode, off, step), 4096);
                for with_copies in [false, true] {
                    for gas in (0..90).chain([1000]) {
                        let module = match with_copies {
                            false => rivet_vm_jit::compile(p.clone()),
                            true => rivet_vm_jit::compile_with_copies(p.clone()),
                        };
                        let jit = rivet_vm_jit::JitInstance::new(Arc::new(module.unwrap())).unwrap();
                        let interpreter = rivet_vm::Instance::new(Arc::new(rivet_vm::Module::new(p.clone())));
                        let mut l = Lockstep::pair(&p, interpreter, jit);
                        l.prepare_call("main", gas).unwrap();
                        let r = l.run();
                        if gas == 1000 {
                            outcomes.insert((mode, off, step), r);
                        }
                    }
                }
            }
        }
    }
    let misaligned = |r: &Interrupt| matches!(r, Interrupt::Trap(t) if matches!(t.kind, TrapKind::Misaligned { .. }));
    for ((mode, off, step), r) in outcomes {
        // Falling in (mode 0) sets x10 aligned itself; the others use RW + off. A step
        // of 2 misaligns the second iteration's load.
        let bad = (mode != 0 && off != 0) || step == 2;
        assert_eq!(misaligned(&r), bad, "mode {mode}, x10 = RW + {off}, step {step}: {r:?}");
        if !bad {
            assert!(matches!(r, Interrupt::Trap(t) if t.kind == TrapKind::Ebreak), "{r:?}");
        }
    }
}

#[test]
fn rotates_compiled_as_one_instruction_agree() {
    if !is_supported() {
        return;
    }
    // `srli a, x, k; slli b, x, 32-k; or d, a, b` and its mirror compile to one x86
    // rotate, writing a and b only where something can see them (two sources: the
    // three instructions as they are).
    // Every register aliasing (host and context registers: x13/x15 live in memory
    // once all 15 are in use), every follow-up (a trap that shows a and b, overwrites
    // that hide them, a store between) and entries into the pair's middle.
    let regs = [x(5), x(13), x(15)];
    let mut runs = 0;
    for (ia, ix, ib, iy, id) in (0..243).map(|n: usize| (n % 3, n / 3 % 3, n / 9 % 3, n / 27 % 3, n / 81)) {
        let (a, xr, b, y, d) = (regs[ia], regs[ix], regs[ib], regs[iy], regs[id]);
        for right in [true, false] {
            for k in [1u32, 13, 31] {
                for follow in 0..3 {
                    for enter in 0..3u32 {
                        let mut c: Vec<I> = (1..16).filter(|&r| r != 2).flat_map(|r| li(r, 0x9e37_79b9u32.wrapping_mul(r))).collect();
                        let jump_at = c.len() as u32;
                        let pair_at = jump_at + 3;
                        c.extend(li(9, CODE_BASE + 4 * (pair_at + enter)));
                        c.push(I::Jalr { rd: Reg::ZERO, rs1: x(9), offset: 0 });
                        let (first, second) = if right { (AluOp::Srl, AluOp::Sll) } else { (AluOp::Sll, AluOp::Srl) };
                        c.push(I::OpImm { op: first, rd: a, rs1: xr, imm: k });
                        c.push(I::OpImm { op: second, rd: b, rs1: y, imm: 32 - k });
                        c.push(I::Op { op: AluOp::Or, rd: d, rs1: a, rs2: b });
                        let hide = [
                            I::OpImm { op: AluOp::Add, rd: a, rs1: Reg::ZERO, imm: 1 },
                            I::OpImm { op: AluOp::Add, rd: b, rs1: Reg::ZERO, imm: 2 },
                        ];
                        match follow {
                            0 => {}
                            1 => c.extend(hide),
                            _ => {
                                c.push(I::Store { kind: StoreKind::Word, rs1: Reg::SP, rs2: d, offset: -4 });
                                c.extend(hide);
                            }
                        }
                        c.push(I::Ebreak);
                        let (r, l) = lockstep(&c, 10_000);
                        assert!(matches!(r, Interrupt::Trap(t) if t.kind == TrapKind::Ebreak), "{r:?}");
                        assert_eq!(l.checks, 1);
                        runs += 1;
                    }
                }
            }
        }
    }
    assert_eq!(runs, 243 * 2 * 3 * 3 * 3);
}

#[test]
fn every_alu_operation_agrees_wherever_its_registers_live() {
    if !is_supported() {
        return;
    }
    // The JIT has a direct form per operation when rd is in a host register and a
    // general one through scratch registers; operands may be host registers, rdx (the
    // last host register the allocator hands out, saved around divisions), context
    // slots, or x0, and may alias. Uses decide the placement: x1, x3-x5, x7-x11 are
    // loaded four times, x6 twice (11th most used: rdx), x12-x15 once (the context).
    let place = [Reg::ZERO, x(5), x(6), x(13), x(15)];
    let edges = [0u32, 1, 2, 31, 32, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1234_5678];
    let ops = [Add, Sub, Sll, Slt, Sltu, Xor, Srl, Sra, Or, And, Mul, Mulh, Mulhsu, Mulhu, Div, Divu, Rem, Remu];
    let mut insns = Vec::new();
    for op in ops {
        insns.extend((0..125).map(|n: usize| I::Op { op, rd: place[n % 5], rs1: place[n / 5 % 5], rs2: place[n / 25] }));
    }
    for op in [Add, Slt, Sltu, Xor, Or, And, Sll, Srl, Sra] {
        for imm in [0i32, 1, -1, 2047, -2048, 31] {
            let imm = if matches!(op, Sll | Srl | Sra) { (imm & 31) as u32 } else { imm as u32 };
            insns.extend((0..25).map(|n: usize| I::OpImm { op, rd: place[n % 5], rs1: place[n / 5], imm }));
        }
    }
    let mut runs = 0;
    for seed in 0..edges.len() {
        let times = |r: u32| match r {
            6 => 2,
            12.. => 1,
            _ => 4,
        };
        let preload: Vec<I> =
            (1..16u32).filter(|&r| r != 2).flat_map(|r| li(r, edges[(seed + r as usize) % edges.len()]).repeat(times(r))).collect();
        for &insn in &insns {
            let mut c = preload.clone();
            c.extend([insn, I::Ebreak]);
            let (r, l) = lockstep(&c, 1000);
            assert!(matches!(r, Interrupt::Trap(t) if t.kind == TrapKind::Ebreak), "{insn:?}: {r:?}");
            assert_eq!(l.checks, 1);
            runs += 1;
        }
    }
    assert_eq!(runs, edges.len() * (18 * 125 + 9 * 6 * 25));
}

#[test]
fn stores_from_every_register_agree() {
    if !is_supported() {
        return;
    }
    // Stores take their value straight from the register's host register (byte
    // stores from rsi/rdi/rbp need a REX prefix) or from the context.
    let mut c: Vec<I> = (1..16u32).filter(|&r| r != 2).flat_map(|r| li(r, 0x0102_0304u32.wrapping_mul(r * 77))).collect();
    for r in 0..16u32 {
        for (k, kind) in [StoreKind::Byte, StoreKind::Half, StoreKind::Word].into_iter().enumerate() {
            c.push(I::Store { kind, rs1: Reg::SP, rs2: x(r), offset: -(16 * r as i32 + 4 * k as i32 + 4) });
        }
    }
    c.push(I::Ebreak);
    let (r, l) = lockstep(&c, 10_000);
    assert!(matches!(r, Interrupt::Trap(t) if t.kind == TrapKind::Ebreak), "{r:?}");
    assert_eq!(l.checks, 1);
}

#[test]
fn out_of_gas_entering_a_dynamic_target_stops_at_the_target() {
    if !is_supported() {
        return;
    }
    // li x5, target; jalr x0, 0(x5); then a long block. With too little gas left for
    // the target's entry cost, the run stops at the target (not the jalr), and
    // continues there once refuelled: block starts and mid-block targets alike.
    for target in [3u32, 6] {
        let mut c = li(5, CODE_BASE + 4 * target).to_vec();
        c.extend([I::Jalr { rd: Reg::ZERO, rs1: x(5), offset: 0 }, I::Fence]);
        c.extend((0..8).map(|_| I::OpImm { op: AluOp::Add, rd: x(10), rs1: x(10), imm: 1 }));
        c.push(I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 });
        let mut l = Lockstep::new(&program(&c, 4096)).unwrap();
        // Enough for the first block (li, jalr: 3), not for the target's.
        l.prepare_call("main", 4).unwrap();
        assert_eq!(l.run(), Interrupt::OutOfGas);
        assert_eq!(l.pc(), Some(CODE_BASE + 4 * target));
        l.set_gas_left(100);
        assert_eq!(l.run(), Interrupt::Finished);
        assert_eq!(l.checks, 2);
    }
}

/// Runs `pair(t, a, y, param, swap)` (two instructions the compiler may fuse) after a
/// preload and a jump to its first or second instruction, for every placement of t, a
/// and y (x0, host registers, rdx, the context; aliased), each parameter and both
/// operand orders, in lockstep with the interpreter; returns how many ran.
fn every_placement_of_a_pair(params: &[u32], pair: impl Fn(Reg, Reg, Reg, u32, bool) -> [I; 2]) -> usize {
    let place = [Reg::ZERO, x(5), x(6), x(13), x(15)];
    let times = |r: u32| match r {
        6 => 2,
        12.. => 1,
        _ => 4,
    };
    let preload: Vec<I> = (1..16u32).filter(|&r| r != 2).flat_map(|r| li(r, 0x9e37_79b9u32.wrapping_mul(r)).repeat(times(r))).collect();
    let mut runs = 0;
    for (t, a, y) in (0..125).map(|n: usize| (place[n % 5], place[n / 5 % 5], place[n / 25])) {
        for &param in params {
            for (swap, enter) in [(false, 0), (true, 0), (false, 1)] {
                let mut c = preload.clone();
                let pair_at = c.len() as u32 + 3;
                c.extend(li(9, CODE_BASE + 4 * (pair_at + enter)));
                c.push(I::Jalr { rd: Reg::ZERO, rs1: x(9), offset: 0 });
                c.extend(pair(t, a, y, param, swap));
                c.push(I::Ebreak);
                let (r, l) = lockstep(&c, 10_000);
                assert!(matches!(r, Interrupt::Trap(t) if t.kind == TrapKind::Ebreak), "{r:?}");
                assert_eq!(l.checks, 1);
                runs += 1;
            }
        }
    }
    runs
}

#[test]
fn scaled_indexes_compiled_as_one_lea_agree() {
    if !is_supported() {
        return;
    }
    // `slli t, x, s; add t, y, t` (an array element's address) compiles to one lea;
    // shifts 0-4 (only 1-3 fuse).
    let runs = every_placement_of_a_pair(&[0, 1, 2, 3, 4], |t, xr, y, shift, swap| {
        let (rs1, rs2) = if swap { (t, y) } else { (y, t) };
        [I::OpImm { op: AluOp::Sll, rd: t, rs1: xr, imm: shift }, I::Op { op: AluOp::Add, rd: t, rs1, rs2 }]
    });
    assert_eq!(runs, 125 * 5 * 3);
}

#[test]
fn and_nots_compiled_as_one_andn_agree() {
    if !is_supported() {
        return;
    }
    // `xori t, b, -1; and t, x, t` compiles to one andn (with BMI1); an immediate
    // other than -1 doesn't fuse.
    let runs = every_placement_of_a_pair(&[u32::MAX, 0x7ff], |t, b, xr, imm, swap| {
        let (rs1, rs2) = if swap { (t, xr) } else { (xr, t) };
        [I::OpImm { op: AluOp::Xor, rd: t, rs1: b, imm }, I::Op { op: AluOp::And, rd: t, rs1, rs2 }]
    });
    assert_eq!(runs, 125 * 2 * 3);
}

#[test]
fn gas_runs_out_inside_loops_at_the_same_place() {
    if !is_supported() {
        return;
    }
    // An infinite loop: out of gas every time, resumable, identical on both.
    let c = [I::OpImm { op: AluOp::Add, rd: x(10), rs1: x(10), imm: 1 }, I::Jal { rd: Reg::ZERO, offset: -4 }];
    let mut l = Lockstep::new(&program(&c, 4096)).unwrap();
    l.prepare_call("main", 1001).unwrap();
    for _ in 0..10 {
        assert_eq!(l.run(), Interrupt::OutOfGas);
        l.set_gas_left(777);
    }
    assert_eq!(l.checks, 10);
}

#[test]
fn every_guest_program_runs_in_lockstep() {
    if !is_supported() {
        return;
    }
    let inputs: [(&str, &str, Vec<u8>); 9] = [
        ("minimal", "call", b"echo".to_vec()),
        ("minimal", "counter", vec![]),
        ("minimal", "fail", b"no".to_vec()),
        ("fibonacci", "call", 30u32.to_le_bytes().to_vec()),
        ("sieve", "call", 20_000u32.to_le_bytes().to_vec()),
        ("sha256", "call", vec![7; 1000]),
        ("keccak", "call", vec![9; 1000]),
        ("sort", "call", [2000u32, 5].iter().flat_map(|v| v.to_le_bytes()).collect()),
        ("collections", "call", [2000u32, 5].iter().flat_map(|v| v.to_le_bytes()).collect()),
    ];
    // Compiled as calls compile them (checked copies left out), and with every copy
    // (what a jump into the middle of a block switches to).
    for (name, entry, input) in inputs {
        for with_copies in [false, true] {
            let p = rivet_test_programs::module(name).program().clone();
            let module = match with_copies {
                false => rivet_vm_jit::compile(p.clone()),
                true => rivet_vm_jit::compile_with_copies(p.clone()),
            };
            let jit = rivet_vm_jit::JitInstance::new(Arc::new(module.unwrap())).unwrap();
            let interpreter = rivet_vm::Instance::new(Arc::new(rivet_vm::Module::new(p.clone())));
            let mut l = Lockstep::pair(&p, interpreter, jit);
            l.prepare_call(entry, 1 << 40).unwrap();
            let o = rivet_vm_cli::DevHost::default().drive(&mut l, &input, |_| None);
            assert!(l.checks >= 2, "{name}: {} checks", l.checks);
            assert!(!matches!(o.status, rivet_vm_cli::ExitStatus::Trapped(_)), "{name}: {:?}", o.status);
        }
    }
}

#[test]
fn the_cache_compiles_once_and_stays_bounded() {
    if !is_supported() {
        return;
    }
    let names = ["minimal", "fibonacci", "sieve", "sha256"];
    let programs: Vec<_> = names.iter().map(|n| rivet_test_programs::module(n).program().clone()).collect();
    let one = rivet_vm_jit::compile(programs[3].clone()).unwrap().code_size();
    let cache = ModuleCache::new(one * 2);
    for round in 0..3 {
        for (i, p) in programs.iter().enumerate() {
            let m = cache.get_or_compile([i as u8; 32], || p.clone()).unwrap();
            assert!(Arc::ptr_eq(m.program(), p), "round {round}: module {i} belongs to its program");
        }
    }
    let (entries, bytes, hits, misses) = cache.stats();
    assert!(bytes <= one * 2, "{bytes} bytes held over a {} limit", one * 2);
    assert!(entries < names.len(), "eviction happened");
    assert_eq!(hits + misses, 12);
    // Repeated lookups of one hash hit.
    let before = cache.stats().2;
    for _ in 0..5 {
        cache.get_or_compile([0; 32], || programs[0].clone()).unwrap();
    }
    assert!(cache.stats().2 >= before + 4);
}

#[test]
fn the_cache_counts_a_modules_copies_once_compiled() {
    if !is_supported() {
        return;
    }
    // A dynamic jump to the second load, which relies on the first's alignment check:
    // the instance goes on in the module with every checked copy.
    let code = [
        I::Auipc { rd: x(5), imm: 0 },
        I::OpImm { op: Add, rd: x(5), rs1: x(5), imm: 16 },
        I::Jalr { rd: x(0), rs1: x(5), offset: 0 },
        I::Load { kind: LoadKind::Word, rd: x(11), rs1: x(2), offset: -8 },
        I::Load { kind: LoadKind::Word, rd: x(12), rs1: x(2), offset: -4 },
        I::Ebreak,
    ];
    let p = program(&code, 4096);
    let cache = ModuleCache::new(1 << 30);
    let m = cache.get_or_compile([7; 32], || p.clone()).unwrap();
    let alone = m.code_size();
    assert_eq!(cache.stats().1, alone);
    let mut inst = rivet_vm_jit::JitInstance::new(m.clone()).unwrap();
    inst.prepare_call("main", 1000).unwrap();
    assert!(matches!(inst.run(), Interrupt::Trap(t) if t.kind == TrapKind::Ebreak));
    let held = cache.stats().1;
    assert!(held > alone, "{held} bytes counted, the module alone has {alone}");
    assert_eq!(held, m.held_code_size());
    // The bound counts them: a cache just big enough for this module with its copies
    // and one other evicts this one for a second.
    let small = ModuleCache::new(held + alone);
    let first = small.get_or_compile([1; 32], || p.clone()).unwrap();
    let mut inst = rivet_vm_jit::JitInstance::new(first).unwrap();
    inst.prepare_call("main", 1000).unwrap();
    inst.run();
    small.get_or_compile([2; 32], || p.clone()).unwrap();
    assert_eq!(small.stats().0, 2, "room for both");
    small.get_or_compile([3; 32], || p.clone()).unwrap();
    let (entries, bytes, _, _) = small.stats();
    assert!(bytes <= held + alone, "{bytes} bytes held over a {} limit", held + alone);
    assert_eq!(entries, 2, "the one with copies was evicted");
}

#[test]
fn the_interpreter_backend_is_always_available() {
    let p = rivet_test_programs::module("minimal").program().clone();
    let (mut inst, used) = instantiate(&p, Backend::Interpreter);
    assert_eq!(used, Backend::Interpreter);
    inst.prepare_call("deploy", 100).unwrap();
    assert_eq!(inst.run(), Interrupt::Finished);
    let (_, used) = instantiate(&p, Backend::Jit);
    assert_eq!(used, if is_supported() { Backend::Jit } else { Backend::Interpreter });
}
