//! Lockstep cross-checking: two backends run the same call side by side and are
//! compared at every interrupt (each host call, out of gas, and the end): interrupt,
//! registers, gas, resume pc, heap top and all mapped memory. The host's changes go to
//! both. A divergence is a consensus bug; this panics with the details.
//!
//! `Lockstep::new` pairs the interpreter with the JIT; `Lockstep::pair` takes any two
//! instances (the fuzzers pair the interpreter's fast and traced paths).

use std::sync::Arc;

use rivet_vm::{CallError, GuestInstance, Instance, Interrupt, MemoryError, Module, Program, Reg};

use crate::{compile, CompileError, JitInstance};

pub struct Lockstep<A = Instance, B = JitInstance> {
    pub a: A,
    pub b: B,
    stack_bottom: u32,
    /// Number of interrupts compared so far.
    pub checks: u64,
}

impl Lockstep {
    /// The interpreter beside the JIT.
    pub fn new(program: &Arc<Program>) -> Result<Lockstep, CompileError> {
        let interpreter = Instance::new(Arc::new(Module::new(program.clone())));
        let jit = JitInstance::new(Arc::new(compile(program.clone())?)).map_err(|e| CompileError(e.to_string()))?;
        Ok(Lockstep::pair(program, interpreter, jit))
    }
}

fn mapped(inst: &dyn GuestInstance, stack_bottom: u32) -> Vec<u8> {
    let mut buf = vec![0u8; (inst.heap_top() - stack_bottom) as usize];
    inst.read_memory(stack_bottom, &mut buf).expect("mapped memory is readable");
    buf
}

impl<A: GuestInstance, B: GuestInstance> Lockstep<A, B> {
    /// Two fresh instances of `program`.
    pub fn pair(program: &Program, a: A, b: B) -> Self {
        Lockstep { a, b, stack_bottom: program.layout().stack_bottom(), checks: 0 }
    }

    fn compare(&mut self, x: Interrupt, y: Interrupt) {
        self.checks += 1;
        let n = self.checks;
        assert_eq!(x, y, "lockstep divergence at check {n}: interrupt");
        assert_eq!(self.a.registers(), self.b.registers(), "lockstep divergence at check {n} ({x:?}): registers");
        assert_eq!(self.a.gas_left(), self.b.gas_left(), "lockstep divergence at check {n} ({x:?}): gas");
        assert_eq!(self.a.pc(), self.b.pc(), "lockstep divergence at check {n} ({x:?}): resume pc");
        assert_eq!(self.a.heap_top(), self.b.heap_top(), "lockstep divergence at check {n} ({x:?}): heap top");
        let (i, j) = (mapped(&self.a, self.stack_bottom), mapped(&self.b, self.stack_bottom));
        if i != j {
            let first = i.iter().zip(&j).position(|(p, q)| p != q).unwrap_or(0);
            panic!("lockstep divergence at check {n} ({x:?}): memory differs first at {:#010x}", self.stack_bottom + first as u32);
        }
    }
}

impl<A: GuestInstance, B: GuestInstance> GuestInstance for Lockstep<A, B> {
    fn prepare_call(&mut self, entry: &str, gas: u64) -> Result<(), CallError> {
        self.a.prepare_call(entry, gas)?;
        self.b.prepare_call(entry, gas)
    }

    fn run(&mut self) -> Interrupt {
        let (x, y) = (self.a.run(), self.b.run());
        self.compare(x, y);
        x
    }

    fn reg(&self, r: Reg) -> u32 {
        self.a.reg(r)
    }

    fn set_reg(&mut self, r: Reg, value: u32) {
        self.a.set_reg(r, value);
        self.b.set_reg(r, value);
    }

    fn registers(&self) -> [u32; 16] {
        self.a.registers()
    }

    fn gas_left(&self) -> u64 {
        self.a.gas_left()
    }

    fn set_gas_left(&mut self, gas: u64) {
        self.a.set_gas_left(gas);
        self.b.set_gas_left(gas);
    }

    fn pc(&self) -> Option<u32> {
        self.a.pc()
    }

    fn heap_top(&self) -> u32 {
        self.a.heap_top()
    }

    fn sbrk(&mut self, increment: u32) -> Option<u32> {
        let x = self.a.sbrk(increment);
        assert_eq!(x, self.b.sbrk(increment), "lockstep divergence: sbrk");
        x
    }

    fn read_memory(&self, addr: u32, buf: &mut [u8]) -> Result<(), MemoryError> {
        self.a.read_memory(addr, buf)
    }

    fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryError> {
        let x = self.a.write_memory(addr, data);
        assert_eq!(x, self.b.write_memory(addr, data), "lockstep divergence: host memory write");
        x
    }
}
