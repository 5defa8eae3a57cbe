//! Gas: charged per basic block on entry, before the block runs; out of gas stops at
//! a block boundary with nothing of that block executed; resumable; deterministic.

mod common;
use common::*;
#[allow(unused_imports)]
use rivet_vm::GuestInstance;

use rivet_vm::isa::{AluOp, BranchKind, Instruction as I};
use rivet_vm::memory_map::CODE_BASE;
use rivet_vm::{Instance, Interrupt, Reg};

/// Block A: 0..=1 (addi, jal), block B: 2..=4 (addi, addi, ret).
fn two_blocks() -> Vec<I> {
    vec![addi(10, 0, 1), I::Jal { rd: Reg::ZERO, offset: 4 }, addi(11, 0, 2), addi(12, 0, 3), ret()]
}

#[test]
fn cost_table_is_charged_per_block() {
    // li (lui+addi) 2, mul 2, lw 2, div 8, ret 1 = one block of 15.
    let mut c = li(5, RW).to_vec();
    c.push(op(AluOp::Mul, 6, 5, 5));
    c.push(load(rivet_vm::isa::LoadKind::Word, 7, 5, 0));
    c.push(op(AluOp::Div, 8, 5, 5));
    c.push(ret());
    let r = run_with_gas(&c, 100);
    assert_eq!(r.interrupt, Interrupt::Finished);
    assert_eq!(100 - r.gas_left, 15);
    assert_eq!(100 - run_with_gas(&two_blocks(), 100).gas_left, 5);
}

#[test]
fn out_of_gas_stops_before_the_block_with_nothing_of_it_executed() {
    for gas in [2, 3, 4] {
        let r = run_with_gas(&two_blocks(), gas);
        assert_eq!(r.interrupt, Interrupt::OutOfGas, "gas {gas}");
        assert_eq!(r.reg(10), 1, "block A ran");
        assert_eq!((r.reg(11), r.reg(12)), (0, 0), "nothing of block B ran");
        assert_eq!(r.gas_left, gas - 2, "block B was not charged");
        assert_eq!(r.instance.pc(), Some(CODE_BASE + 8));
    }
    // Not even the first block when it can't be paid.
    let r = run_with_gas(&two_blocks(), 1);
    assert_eq!(r.interrupt, Interrupt::OutOfGas);
    assert_eq!((r.reg(10), r.gas_left), (0, 1));
}

#[test]
fn out_of_gas_is_resumable_and_sums_to_the_same_total() {
    let m = module(&two_blocks());
    let mut inst = Instance::new(m);
    inst.prepare_call("main", 3).unwrap();
    assert_eq!(inst.run(), Interrupt::OutOfGas);
    let used_before = 3 - inst.gas_left();
    inst.set_gas_left(100);
    assert_eq!(inst.run(), Interrupt::Finished);
    assert_eq!(used_before + 100 - inst.gas_left(), 5);
    assert_eq!((inst.reg(Reg::A1), inst.reg(Reg::A2)), (2, 3));
}

#[test]
fn out_of_gas_inside_a_loop_stops_at_an_iteration_boundary() {
    // Prologue block: 2 addis + (loop header is a branch target, so a new block).
    // Loop block: addi, addi, bne = 3 gas per iteration.
    let c = [addi(10, 0, 0), addi(11, 0, 1000), addi(10, 10, 1), addi(11, 11, -1), branch(BranchKind::Ne, 11, 0, -8), ret()];
    let full = run_with_gas(&c, 1_000_000);
    assert_eq!(full.reg(10), 1000);
    assert_eq!(1_000_000 - full.gas_left, 2 + 3000 + 1);
    for gas in [2, 5, 6, 7, 1000, 3001] {
        let r = run_with_gas(&c, gas);
        assert_eq!(r.interrupt, Interrupt::OutOfGas);
        let iterations = (gas - 2) / 3;
        assert_eq!(r.reg(10) as u64, iterations, "gas {gas}");
        assert_eq!(r.reg(11) as u64, 1000 - iterations);
        assert_eq!(r.gas_left, (gas - 2) % 3);
    }
}

#[test]
fn dynamic_jump_into_a_block_charges_the_rest_of_it() {
    // Block [4 addi + ret] at index 4..=8; jump (jalr) to index 6 charges 3 (2 addi + ret).
    let c = [
        I::Auipc { rd: Reg::new(5).unwrap(), imm: 0 },                    // 0
        I::Jalr { rd: Reg::ZERO, rs1: Reg::new(5).unwrap(), offset: 24 }, // 1: to index 6
        I::Ebreak,                                                        // 2
        I::Ebreak,                                                        // 3
        addi(10, 0, 1),                                                   // 4
        addi(11, 0, 1),                                                   // 5
        addi(12, 0, 1),                                                   // 6
        addi(13, 0, 1),                                                   // 7
        ret(),                                                            // 8
    ];
    let r = run_with_gas(&c, 100);
    assert_eq!(r.interrupt, Interrupt::Finished);
    assert_eq!((r.reg(10), r.reg(11), r.reg(12), r.reg(13)), (0, 0, 1, 1));
    assert_eq!(100 - r.gas_left, 2 + 3);
    // With gas for the jump but not the rest of the target block: stop at the target.
    let r = run_with_gas(&c, 4);
    assert_eq!(r.interrupt, Interrupt::OutOfGas);
    assert_eq!(r.instance.pc(), Some(CODE_BASE + 24));
    assert_eq!(r.gas_left, 2);
}

#[test]
fn host_call_resumes_into_a_charged_block() {
    // ecall ends its block (cost 2 + 10); the instruction after it starts a new block.
    let c = [addi(5, 0, 1), I::Ecall, addi(10, 0, 1), ret()];
    let m = module(&c);
    let mut inst = Instance::new(m);
    inst.prepare_call("main", 12).unwrap();
    assert_eq!(inst.run(), Interrupt::HostCall(1));
    assert_eq!(inst.gas_left(), 1);
    assert_eq!(inst.run(), Interrupt::OutOfGas);
    assert_eq!(inst.reg(Reg::A0), 0);
    assert!(inst.consume_gas(1));
    assert!(!inst.consume_gas(1), "consume_gas fails without charging");
    inst.set_gas_left(2);
    assert_eq!(inst.run(), Interrupt::Finished);
    assert_eq!(inst.gas_left(), 0);
}
