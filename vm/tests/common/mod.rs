//! Shared helpers: tiny assembler, program builder, and a runner that executes every
//! program on both interpreter paths (fast and traced) and requires them to agree.
#![allow(dead_code)]

use std::sync::Arc;

use rivet_vm::isa::{AluOp, BranchKind, Instruction as I, LoadKind, StoreKind};
use rivet_vm::{BlobBuilder, GuestInstance, Instance, Interrupt, Limits, Module, Reg};

pub fn x(n: u32) -> Reg {
    Reg::new(n).unwrap()
}

pub fn addi(rd: u32, rs: u32, imm: i32) -> I {
    I::OpImm { op: AluOp::Add, rd: x(rd), rs1: x(rs), imm: imm as u32 }
}
pub fn opi(op: AluOp, rd: u32, rs: u32, imm: i32) -> I {
    I::OpImm { op, rd: x(rd), rs1: x(rs), imm: imm as u32 }
}
pub fn op(op: AluOp, rd: u32, a: u32, b: u32) -> I {
    I::Op { op, rd: x(rd), rs1: x(a), rs2: x(b) }
}
/// Loads a 32-bit constant (lui + addi).
pub fn li(rd: u32, v: u32) -> [I; 2] {
    let lo = ((v & 0xfff) as i32) << 20 >> 20;
    let hi = v.wrapping_sub(lo as u32);
    [I::Lui { rd: x(rd), imm: hi }, addi(rd, rd, lo)]
}
pub fn load(kind: LoadKind, rd: u32, rs: u32, off: i32) -> I {
    I::Load { kind, rd: x(rd), rs1: x(rs), offset: off }
}
pub fn store(kind: StoreKind, base: u32, src: u32, off: i32) -> I {
    I::Store { kind, rs1: x(base), rs2: x(src), offset: off }
}
pub fn branch(kind: BranchKind, a: u32, b: u32, off: i32) -> I {
    I::Branch { kind, rs1: x(a), rs2: x(b), offset: off }
}
pub fn ret() -> I {
    I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 }
}

/// Test memory: stack 4 KiB at 0xff000, ro data at 0x100000, rw data at 0x101000,
/// bss after it, heap at 0x102000 (limit 8 KiB).
pub const RO: u32 = 0x0010_0000;
pub const RW: u32 = 0x0010_1000;
pub const HEAP: u32 = 0x0010_2000;
pub const RO_BYTES: [u8; 8] = [0x80, 0xff, 0x7f, 0x01, 0xfe, 0xff, 0xff, 0xff];

pub fn blob(code: &[I]) -> Vec<u8> {
    let words: Vec<u32> = code.iter().map(|i| rivet_vm::isa::encode::encode(*i)).collect();
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.ro_data = RO_BYTES.to_vec();
    b.rw_data = vec![0xaa; 16];
    b.bss_size = 16;
    b.heap_max = 8192;
    b.code_words(&words).entry("main", 0);
    b.to_bytes()
}

pub fn module(code: &[I]) -> Arc<Module> {
    let p = rivet_vm::parse(&blob(code), &Limits::default()).expect("test program is valid");
    Arc::new(Module::new(Arc::new(p)))
}

/// Outcome of running a program on both paths (asserted equal).
pub struct Run {
    pub interrupt: Interrupt,
    pub regs: [u32; 16],
    pub gas_left: u64,
    pub instance: Instance,
}

impl Run {
    pub fn reg(&self, n: u32) -> u32 {
        self.regs[n as usize]
    }
}

/// Runs `code` from `main` with `gas` on every backend: the interpreter's fast path,
/// its traced path and (where supported) the JIT. They must agree on the interrupt,
/// registers, gas, resume pc and every byte of mapped memory.
pub fn run_with_gas(code: &[I], gas: u64) -> Run {
    let m = module(code);
    let mut fast = Instance::new(m.clone());
    fast.prepare_call("main", gas).unwrap();
    let a = fast.run();
    let mut traced = Instance::new(m.clone());
    traced.prepare_call("main", gas).unwrap();
    traced.enable_trace();
    let b = traced.run();
    assert_eq!(a, b, "fast and traced paths disagree on the interrupt");
    assert_eq!(fast.registers(), traced.registers(), "registers disagree");
    assert_eq!(fast.gas_left(), traced.gas_left(), "gas disagrees");
    assert_eq!(fast.mapped_memory(), traced.mapped_memory(), "memory disagrees");
    assert_eq!(fast.pc(), traced.pc(), "resume pc disagrees");
    if rivet_vm_jit::is_supported() {
        let jm = Arc::new(rivet_vm_jit::compile(m.program().clone()).expect("JIT compiles every valid program"));
        let mut jit = rivet_vm_jit::JitInstance::new(jm).expect("sandbox");
        jit.prepare_call("main", gas).unwrap();
        let c = jit.run();
        let listing: String = code.iter().map(|i| format!("  {i}\n")).collect();
        assert_eq!(a, c, "interpreter and JIT disagree on the interrupt:\n{listing}");
        assert_eq!(fast.registers(), jit.registers(), "interpreter and JIT disagree on registers:\n{listing}");
        assert_eq!(fast.gas_left(), jit.gas_left(), "interpreter and JIT disagree on gas:\n{listing}");
        assert_eq!(fast.pc(), jit.pc(), "interpreter and JIT disagree on the resume pc:\n{listing}");
        assert!(fast.mapped_memory() == jit.mapped_memory(), "interpreter and JIT disagree on memory:\n{listing}");
    }
    Run { interrupt: a, regs: fast.registers(), gas_left: fast.gas_left(), instance: fast }
}

pub fn run(code: &[I]) -> Run {
    run_with_gas(code, 1_000_000)
}

/// Runs `code` then `ret`, expecting it to finish.
pub fn run_ok(code: &[I]) -> Run {
    let mut c = code.to_vec();
    c.push(ret());
    let r = run(&c);
    assert_eq!(r.interrupt, Interrupt::Finished, "program did not finish");
    r
}
