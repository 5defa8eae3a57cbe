//! One test per RV32EM instruction family, with the edge cases written out as
//! expected constants (not computed with the VM's own helpers).

mod common;
use common::*;
#[allow(unused_imports)]
use rivet_vm::GuestInstance;

use rivet_vm::isa::{AluOp::*, BranchKind, Instruction as I, LoadKind, StoreKind};
use rivet_vm::memory_map::{CODE_BASE, RETURN_ADDRESS, STACK_TOP};
use rivet_vm::{Interrupt, Reg, TrapKind};

/// Runs `a OP b` through the register form and returns the result.
fn alu(op: rivet_vm::isa::AluOp, a: u32, b: u32) -> u32 {
    let mut c = li(10, a).to_vec();
    c.extend(li(11, b));
    c.push(common::op(op, 12, 10, 11));
    run_ok(&c).reg(12)
}

fn alu_imm(op: rivet_vm::isa::AluOp, a: u32, imm: i32) -> u32 {
    let mut c = li(10, a).to_vec();
    c.push(opi(op, 12, 10, imm));
    run_ok(&c).reg(12)
}

#[test]
fn add_sub_wrap() {
    assert_eq!(alu(Add, 0xffff_ffff, 1), 0);
    assert_eq!(alu(Add, 0x7fff_ffff, 1), 0x8000_0000);
    assert_eq!(alu(Sub, 0, 1), 0xffff_ffff);
    assert_eq!(alu(Sub, 0x8000_0000, 1), 0x7fff_ffff);
    assert_eq!(alu_imm(Add, 5, -6), 0xffff_ffff);
    assert_eq!(alu_imm(Add, 0, 2047), 2047);
    assert_eq!(alu_imm(Add, 0, -2048), (-2048i32) as u32);
}

#[test]
fn logic() {
    assert_eq!(alu(And, 0xf0f0_f0f0, 0xff00_ff00), 0xf000_f000);
    assert_eq!(alu(Or, 0xf0f0_f0f0, 0x0f00_0000), 0xfff0_f0f0);
    assert_eq!(alu(Xor, 0xffff_0000, 0xff00_ff00), 0x00ff_ff00);
    // Immediates are sign-extended before the operation.
    assert_eq!(alu_imm(And, 0x1234_5678, -1), 0x1234_5678);
    assert_eq!(alu_imm(Or, 0, -2048), 0xffff_f800);
    assert_eq!(alu_imm(Xor, 0x0000_00ff, -1), 0xffff_ff00);
}

#[test]
fn set_less_than() {
    assert_eq!(alu(Slt, 0xffff_ffff, 0), 1); // -1 < 0
    assert_eq!(alu(Sltu, 0xffff_ffff, 0), 0);
    assert_eq!(alu(Slt, 0x8000_0000, 0x7fff_ffff), 1);
    assert_eq!(alu(Sltu, 0x8000_0000, 0x7fff_ffff), 0);
    assert_eq!(alu(Slt, 5, 5), 0);
    assert_eq!(alu_imm(Slt, 0xffff_fffe, -1), 1);
    // sltiu sign-extends the immediate, then compares unsigned: x < 0xffffffff.
    assert_eq!(alu_imm(Sltu, 0xffff_fffe, -1), 1);
    assert_eq!(alu_imm(Sltu, 0, 1), 1); // seqz
    assert_eq!(alu_imm(Sltu, 7, 1), 0);
}

#[test]
fn shifts_use_low_five_bits() {
    assert_eq!(alu(Sll, 1, 31), 0x8000_0000);
    assert_eq!(alu(Sll, 1, 32), 1);
    assert_eq!(alu(Sll, 1, 33), 2);
    assert_eq!(alu(Srl, 0x8000_0000, 31), 1);
    assert_eq!(alu(Srl, 0x8000_0000, 0xffff_ffe0), 0x8000_0000);
    assert_eq!(alu(Sra, 0x8000_0000, 31), 0xffff_ffff);
    assert_eq!(alu(Sra, 0x8000_0000, 4), 0xf800_0000);
    assert_eq!(alu(Sra, 0x4000_0000, 4), 0x0400_0000);
    assert_eq!(alu_imm(Sll, 3, 4), 48);
    assert_eq!(alu_imm(Srl, 0xffff_ffff, 28), 0xf);
    assert_eq!(alu_imm(Sra, 0xffff_ff00, 4), 0xffff_fff0);
    assert_eq!(alu_imm(Sra, 0x7fff_ffff, 30), 1);
}

#[test]
fn multiply() {
    assert_eq!(alu(Mul, 0xffff_ffff, 0xffff_ffff), 1);
    assert_eq!(alu(Mul, 0x1234_5678, 0x10), 0x2345_6780);
    assert_eq!(alu(Mulh, 0xffff_ffff, 0xffff_ffff), 0); // -1 * -1 = 1
    assert_eq!(alu(Mulh, 0x8000_0000, 0x8000_0000), 0x4000_0000);
    assert_eq!(alu(Mulh, 0x8000_0000, 0x7fff_ffff), 0xc000_0000);
    assert_eq!(alu(Mulhu, 0xffff_ffff, 0xffff_ffff), 0xffff_fffe);
    assert_eq!(alu(Mulhu, 0x8000_0000, 2), 1);
    // mulhsu: signed rs1 times unsigned rs2.
    assert_eq!(alu(Mulhsu, 0xffff_ffff, 0xffff_ffff), 0xffff_ffff);
    assert_eq!(alu(Mulhsu, 0x8000_0000, 0xffff_ffff), 0x8000_0000);
    assert_eq!(alu(Mulhsu, 2, 0x8000_0000), 1);
}

#[test]
fn division_and_remainder_edge_cases() {
    // By zero: quotient all ones, remainder the dividend. No trap.
    assert_eq!(alu(Div, 42, 0), 0xffff_ffff);
    assert_eq!(alu(Divu, 42, 0), 0xffff_ffff);
    assert_eq!(alu(Rem, 42, 0), 42);
    assert_eq!(alu(Remu, 42, 0), 42);
    assert_eq!(alu(Div, 0x8000_0000, 0), 0xffff_ffff);
    assert_eq!(alu(Rem, 0x8000_0000, 0), 0x8000_0000);
    // Signed overflow: MIN / -1 = MIN, MIN % -1 = 0.
    assert_eq!(alu(Div, 0x8000_0000, 0xffff_ffff), 0x8000_0000);
    assert_eq!(alu(Rem, 0x8000_0000, 0xffff_ffff), 0);
    // Truncation toward zero; the remainder takes the dividend's sign.
    assert_eq!(alu(Div, (-7i32) as u32, 2), (-3i32) as u32);
    assert_eq!(alu(Rem, (-7i32) as u32, 2), (-1i32) as u32);
    assert_eq!(alu(Div, 7, (-2i32) as u32), (-3i32) as u32);
    assert_eq!(alu(Rem, 7, (-2i32) as u32), 1);
    assert_eq!(alu(Divu, 0xffff_fff9, 2), 0x7fff_fffc);
    assert_eq!(alu(Remu, 0xffff_fff9, 2), 1);
}

#[test]
fn lui_and_auipc() {
    let r = run_ok(&[I::Lui { rd: x(10), imm: 0xfffff000 }, I::Auipc { rd: x(11), imm: 0x1000 }, I::Auipc { rd: x(12), imm: 0xfffff000 }]);
    assert_eq!(r.reg(10), 0xffff_f000);
    assert_eq!(r.reg(11), CODE_BASE + 4 + 0x1000);
    assert_eq!(r.reg(12), CODE_BASE + 8 - 0x1000);
}

#[test]
fn writes_to_x0_are_discarded() {
    let mut c = li(0, 0xdead_beef).to_vec();
    c.push(addi(0, 0, 5));
    c.push(op(Mul, 0, 0, 0));
    c.push(I::Lui { rd: Reg::ZERO, imm: 0x1000 });
    c.push(I::Auipc { rd: Reg::ZERO, imm: 0x1000 });
    c.push(I::Jal { rd: Reg::ZERO, offset: 4 });
    c.extend(li(5, RO));
    c.push(load(LoadKind::Word, 0, 5, 0));
    c.push(addi(10, 0, 0)); // a0 = x0
    let r = run_ok(&c);
    assert_eq!(r.reg(0), 0);
    assert_eq!(r.reg(10), 0);
}

#[test]
fn loads_sign_and_zero_extend() {
    // RO_BYTES = 80 ff 7f 01 fe ff ff ff
    let mut c = li(5, RO).to_vec();
    c.push(load(LoadKind::Byte, 10, 5, 0));
    c.push(load(LoadKind::ByteU, 11, 5, 0));
    c.push(load(LoadKind::Byte, 12, 5, 2));
    c.push(load(LoadKind::Half, 13, 5, 0));
    c.push(load(LoadKind::HalfU, 14, 5, 0));
    c.push(load(LoadKind::Half, 15, 5, 2));
    c.push(load(LoadKind::Word, 6, 5, 0));
    c.push(load(LoadKind::Word, 7, 5, 4));
    let r = run_ok(&c);
    assert_eq!(r.reg(10), 0xffff_ff80);
    assert_eq!(r.reg(11), 0x80);
    assert_eq!(r.reg(12), 0x7f);
    assert_eq!(r.reg(13), 0xffff_ff80);
    assert_eq!(r.reg(14), 0xff80);
    assert_eq!(r.reg(15), 0x017f);
    assert_eq!(r.reg(6), 0x017f_ff80);
    assert_eq!(r.reg(7), 0xffff_fffe);
}

#[test]
fn stores_write_only_their_width() {
    let mut c = li(5, RW).to_vec();
    c.extend(li(6, 0x1122_3344));
    c.push(store(StoreKind::Byte, 5, 6, 0));
    c.push(store(StoreKind::Half, 5, 6, 6));
    c.push(store(StoreKind::Word, 5, 6, 8));
    c.push(load(LoadKind::Word, 10, 5, 0));
    c.push(load(LoadKind::Word, 11, 5, 4));
    c.push(load(LoadKind::Word, 12, 5, 8));
    // Stack and bss are writable too.
    c.extend(li(7, 0x77));
    c.push(store(StoreKind::Word, 2, 7, -4));
    c.push(load(LoadKind::Word, 13, 2, -4));
    c.push(store(StoreKind::Byte, 5, 7, 16)); // bss starts at RW + 16
    c.push(load(LoadKind::ByteU, 14, 5, 16));
    let r = run_ok(&c);
    assert_eq!(r.reg(10), 0xaaaa_aa44);
    assert_eq!(r.reg(11), 0x3344_aaaa);
    assert_eq!(r.reg(12), 0x1122_3344);
    assert_eq!(r.reg(13), 0x77);
    assert_eq!(r.reg(14), 0x77);
}

fn trap_kind(code: &[I]) -> (TrapKind, u32) {
    match run(code).interrupt {
        Interrupt::Trap(t) => (t.kind, t.pc),
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn misaligned_accesses_trap() {
    for (insn, addr) in [
        (load(LoadKind::Word, 10, 5, 1), RW + 1),
        (load(LoadKind::Word, 10, 5, 2), RW + 2),
        (load(LoadKind::Half, 10, 5, 1), RW + 1),
        (load(LoadKind::HalfU, 10, 5, 3), RW + 3),
        (store(StoreKind::Word, 5, 6, 2), RW + 2),
        (store(StoreKind::Half, 5, 6, 1), RW + 1),
    ] {
        let mut c = li(5, RW).to_vec();
        c.push(insn);
        c.push(ret());
        assert_eq!(trap_kind(&c), (TrapKind::Misaligned { addr }, CODE_BASE + 8), "{insn}");
    }
    // Byte accesses are never misaligned.
    let mut c = li(5, RW + 3).to_vec();
    c.push(load(LoadKind::Byte, 10, 5, 0));
    run_ok(&c);
}

#[test]
fn out_of_range_accesses_trap_at_every_boundary() {
    let stack_bottom = STACK_TOP - 4096;
    let loads = [
        (0u32, false),
        (0xfffc, false),
        (stack_bottom - 4, false),
        (stack_bottom, true),
        (STACK_TOP - 4, true),
        (RO, true),
        (RW + 28, true),    // last word of bss
        (HEAP - 4, true),   // the page holding rw data and bss is mapped whole
        (HEAP, false),      // heap not grown yet
        (CODE_BASE, false), // code is not data
        (0xffff_fffc, false),
        (0x8000_0000, false),
    ];
    for (addr, ok) in loads {
        let mut c = li(5, addr).to_vec();
        c.push(load(LoadKind::Word, 10, 5, 0));
        c.push(ret());
        let r = run(&c);
        if ok {
            assert_eq!(r.interrupt, Interrupt::Finished, "load at {addr:#x}");
        } else {
            assert_eq!(
                r.interrupt,
                Interrupt::Trap(rivet_vm::Trap { kind: TrapKind::LoadFault { addr }, pc: CODE_BASE + 8 }),
                "load at {addr:#x}"
            );
        }
    }
    // A word straddling the end of the mapped range faults.
    let mut c = li(5, HEAP - 2).to_vec();
    c.push(load(LoadKind::Half, 10, 5, 2));
    c.push(ret());
    assert_eq!(trap_kind(&c).0, TrapKind::LoadFault { addr: HEAP });
    // Offsets wrap around the 32-bit space and still can't escape.
    let mut c = li(5, 0xffff_f800).to_vec();
    c.push(load(LoadKind::Word, 10, 5, -2048));
    c.push(ret());
    assert_eq!(trap_kind(&c).0, TrapKind::LoadFault { addr: 0xffff_f000 });
    let mut c = li(5, 0).to_vec();
    c.push(store(StoreKind::Word, 5, 5, 0));
    c.push(ret());
    assert_eq!(trap_kind(&c).0, TrapKind::StoreFault { addr: 0 });
}

#[test]
fn writes_to_read_only_data_trap_and_change_nothing() {
    for (kind, off) in [(StoreKind::Byte, 0), (StoreKind::Half, 6), (StoreKind::Word, 4), (StoreKind::Word, 0xffc)] {
        // The last word of the read-only page (0xffc) is read-only too.
        let mut c = li(5, RO + off as u32).to_vec();
        c.push(store(kind, 5, 5, 0));
        c.push(ret());
        let r = run(&c);
        assert_eq!(
            r.interrupt,
            Interrupt::Trap(rivet_vm::Trap { kind: TrapKind::ReadOnlyWrite { addr: RO + off as u32 }, pc: CODE_BASE + 8 })
        );
        let mut buf = [0u8; 8];
        r.instance.read_memory(RO, &mut buf).unwrap();
        assert_eq!(buf, RO_BYTES);
    }
}

#[test]
fn branches() {
    let cases: [(BranchKind, u32, u32, bool); 12] = [
        (BranchKind::Eq, 5, 5, true),
        (BranchKind::Eq, 5, 6, false),
        (BranchKind::Ne, 5, 6, true),
        (BranchKind::Ne, 5, 5, false),
        (BranchKind::Lt, 0xffff_ffff, 0, true),
        (BranchKind::Lt, 0, 0xffff_ffff, false),
        (BranchKind::Ge, 0, 0xffff_ffff, true),
        (BranchKind::Ge, 3, 3, true),
        (BranchKind::Ltu, 0, 0xffff_ffff, true),
        (BranchKind::Ltu, 0xffff_ffff, 0, false),
        (BranchKind::Geu, 0xffff_ffff, 0, true),
        (BranchKind::Geu, 2, 3, false),
    ];
    for (kind, a, b, taken) in cases {
        let mut c = li(6, a).to_vec();
        c.extend(li(7, b));
        c.push(addi(10, 0, 0));
        c.push(branch(kind, 6, 7, 8)); // skip the next instruction when taken
        c.push(addi(10, 0, 1));
        c.push(addi(11, 0, 2));
        let r = run_ok(&c);
        assert_eq!(r.reg(10), if taken { 0 } else { 1 }, "{kind:?} {a:#x} {b:#x}");
        assert_eq!(r.reg(11), 2);
    }
    // Backward branch: a counted loop.
    let c = [addi(10, 0, 0), addi(11, 0, 10), addi(10, 10, 3), addi(11, 11, -1), branch(BranchKind::Ne, 11, 0, -8)];
    assert_eq!(run_ok(&c).reg(10), 30);
}

#[test]
fn jal_and_jalr_link_and_jump() {
    let c = [
        I::Jal { rd: x(6), offset: 8 },              // 0: jump to 8, t1 = 4
        addi(10, 0, 99),                             // 4: skipped
        I::Auipc { rd: x(7), imm: 0 },               // 8: t2 = pc(8)
        I::Jalr { rd: x(8), rs1: x(7), offset: 13 }, // 12: to (8 + 13) & !1 = 20, s0 = 16
        addi(10, 0, 98),                             // 16: skipped
        addi(11, 0, 1),                              // 20
        ret(),
    ];
    let r = run(&c);
    assert_eq!(r.interrupt, Interrupt::Finished);
    assert_eq!(r.reg(6), CODE_BASE + 4);
    assert_eq!(r.reg(8), CODE_BASE + 16);
    assert_eq!(r.reg(10), 0);
    assert_eq!(r.reg(11), 1);
}

#[test]
fn bad_jump_targets_trap_without_writing_rd() {
    for target in [CODE_BASE + 2, CODE_BASE - 4, CODE_BASE + 4096, 0, RO, STACK_TOP - 16, 0xffff_fff0] {
        let mut c = li(5, target).to_vec();
        c.push(I::Jalr { rd: x(6), rs1: x(5), offset: 0 });
        c.push(ret());
        let r = run(&c);
        assert_eq!(
            r.interrupt,
            Interrupt::Trap(rivet_vm::Trap { kind: TrapKind::InvalidJumpTarget { target }, pc: CODE_BASE + 8 }),
            "{target:#x}"
        );
        assert_eq!(r.reg(6), 0, "rd written by a trapping jalr");
    }
}

/// A dynamic jump straight onto the jalr of an `auipc; jalr` call pair must use the
/// register's actual value, not the one the auipc would have produced.
#[test]
fn jumping_onto_the_jalr_of_a_call_pair_uses_the_register() {
    let c = [
        I::Auipc { rd: x(6), imm: 0 },                   // 0
        I::Jalr { rd: Reg::ZERO, rs1: x(6), offset: 8 }, // 4: from the auipc: to 8
        I::Lui { rd: x(7), imm: CODE_BASE },             // 8: main
        addi(7, 7, 4),
        I::Jalr { rd: Reg::ZERO, rs1: x(7), offset: 0 }, // onto index 1 with t1 = 0
    ];
    let mut b = rivet_vm::BlobBuilder::new();
    b.stack_size = 4096;
    b.code_words(&c.iter().map(|i| rivet_vm::isa::encode::encode(*i)).collect::<Vec<_>>()).entry("main", 8);
    let p = std::sync::Arc::new(rivet_vm::parse(&b.to_bytes(), &rivet_vm::Limits::default()).unwrap());
    assert!(!p.is_block_start(1), "the jalr is inside the auipc's block: the fusable case");
    let mut inst = rivet_vm::Instance::new(std::sync::Arc::new(rivet_vm::Module::new(p.clone())));
    inst.prepare_call("main", 1000).unwrap();
    let expected = Interrupt::Trap(rivet_vm::Trap { kind: TrapKind::InvalidJumpTarget { target: 8 }, pc: CODE_BASE + 4 });
    assert_eq!(inst.run(), expected);
    if rivet_vm_jit::is_supported() {
        let mut jit = rivet_vm_jit::JitInstance::new(std::sync::Arc::new(rivet_vm_jit::compile(p).unwrap())).unwrap();
        jit.prepare_call("main", 1000).unwrap();
        assert_eq!(jit.run(), expected, "the JIT must not take the fused call path");
    }
}

#[test]
fn returning_to_the_return_address_finishes() {
    let mut c = li(5, RETURN_ADDRESS).to_vec();
    c.push(I::Jalr { rd: Reg::ZERO, rs1: x(5), offset: 1 }); // bit 0 is cleared
    assert_eq!(run(&c).interrupt, Interrupt::Finished);
}

#[test]
fn falling_off_the_end_traps() {
    let r = run(&[addi(10, 0, 1)]);
    assert_eq!(r.interrupt, Interrupt::Trap(rivet_vm::Trap { kind: TrapKind::InvalidJumpTarget { target: CODE_BASE + 4 }, pc: CODE_BASE }));
}

#[test]
fn continuing_after_a_final_ecall_falls_off_the_end() {
    let m = module(&[I::Ecall]);
    let mut inst = rivet_vm::Instance::new(m);
    inst.prepare_call("main", 100).unwrap();
    assert_eq!(inst.run(), Interrupt::HostCall(0));
    let expected = Interrupt::Trap(rivet_vm::Trap { kind: TrapKind::InvalidJumpTarget { target: CODE_BASE + 4 }, pc: CODE_BASE });
    assert_eq!(inst.run(), expected);
    let mut traced = rivet_vm::Instance::new(module(&[I::Ecall]));
    traced.prepare_call("main", 100).unwrap();
    traced.enable_trace();
    assert_eq!(traced.run(), Interrupt::HostCall(0));
    assert_eq!(traced.run(), expected);
}

#[test]
fn ebreak_unimp_and_fence() {
    assert_eq!(trap_kind(&[I::Ebreak]), (TrapKind::Ebreak, CODE_BASE));
    assert_eq!(trap_kind(&[addi(10, 0, 1), I::Unimp]), (TrapKind::Unimp, CODE_BASE + 4));
    assert_eq!(run_ok(&[I::Fence, addi(10, 0, 3)]).reg(10), 3);
}

#[test]
fn host_calls_interrupt_and_resume() {
    let c = [addi(5, 0, 42), addi(10, 0, 7), I::Ecall, addi(11, 10, 1), ret()];
    let m = module(&c);
    let mut inst = rivet_vm::Instance::new(m);
    inst.prepare_call("main", 1000).unwrap();
    assert_eq!(inst.run(), Interrupt::HostCall(42));
    assert_eq!(inst.reg(Reg::A0), 7);
    assert_eq!(inst.pc(), Some(CODE_BASE + 12));
    inst.set_reg(Reg::A0, 100);
    assert_eq!(inst.run(), Interrupt::Finished);
    assert_eq!(inst.reg(Reg::A1), 101);
    // A finished instance can't be resumed.
    assert!(matches!(inst.run(), Interrupt::Trap(t) if t.kind == TrapKind::NotRunnable));
}

#[test]
fn host_memory_access_follows_guest_rules() {
    let m = module(&[ret()]);
    let mut inst = rivet_vm::Instance::new(m);
    assert_eq!(inst.write_memory(RO, &[1]), Err(rivet_vm::MemoryError::ReadOnly { addr: RO }));
    assert_eq!(inst.write_memory(RW - 1, &[1, 2]), Err(rivet_vm::MemoryError::ReadOnly { addr: RW - 1 }));
    assert_eq!(inst.write_memory(HEAP, &[1]), Err(rivet_vm::MemoryError::Unmapped { addr: HEAP }));
    assert_eq!(inst.read_memory_vec(CODE_BASE, 4), Err(rivet_vm::MemoryError::Unmapped { addr: CODE_BASE }));
    assert_eq!(inst.read_memory_vec(0xffff_ffff, 2), Err(rivet_vm::MemoryError::Unmapped { addr: 0xffff_ffff }));
    // Empty ranges are valid anywhere (an empty slice's dangling pointer is 0x1).
    inst.write_memory(1, &[]).unwrap();
    assert_eq!(inst.read_memory_vec(CODE_BASE, 0).unwrap(), Vec::<u8>::new());
    inst.write_memory(RW, &[9, 8]).unwrap();
    assert_eq!(inst.read_memory_vec(RW, 3).unwrap(), vec![9, 8, 0xaa]);
    assert_eq!(inst.read_memory_vec(RO, 2).unwrap(), vec![0x80, 0xff]);
}

#[test]
fn heap_grows_by_pages_up_to_its_limit() {
    let m = module(&[ret()]);
    let mut inst = rivet_vm::Instance::new(m);
    assert_eq!(inst.sbrk(1), Some(HEAP));
    assert_eq!(inst.heap_top(), HEAP + 4096);
    inst.write_memory(HEAP + 4095, &[1]).unwrap();
    assert!(inst.write_memory(HEAP + 4096, &[1]).is_err());
    assert_eq!(inst.sbrk(8192), None, "past the 8 KiB limit");
    assert_eq!(inst.sbrk(4096), Some(HEAP + 4096));
    assert_eq!(inst.sbrk(1), None);
    assert_eq!(inst.sbrk(0), Some(HEAP + 8192));
}
