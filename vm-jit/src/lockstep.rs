//! Lockstep cross-checking: the interpreter and the JIT run the same call side by
//! side and are compared at every interrupt (each host call, out of gas, and the
//! end): interrupt, registers, gas, resume pc and all mapped memory. The host's
//! changes go to both. A divergence is a consensus bug; this panics with the details.

use std::sync::Arc;

use rivet_vm::{CallError, GuestInstance, Instance, Interrupt, MemoryError, Module, Program, Reg};

use crate::{compile, CompileError, JitInstance};

pub struct Lockstep {
    interpreter: Instance,
    jit: JitInstance,
    /// Number of interrupts compared so far.
    pub checks: u64,
}

impl Lockstep {
    pub fn new(program: &Arc<Program>) -> Result<Lockstep, CompileError> {
        let interpreter = Instance::new(Arc::new(Module::new(program.clone())));
        let jit = JitInstance::new(Arc::new(compile(program.clone())?)).map_err(|e| CompileError(e.to_string()))?;
        Ok(Lockstep { interpreter, jit, checks: 0 })
    }

    fn compare(&mut self, a: Interrupt, b: Interrupt) {
        self.checks += 1;
        let n = self.checks;
        assert_eq!(a, b, "lockstep divergence at check {n}: interrupt");
        assert_eq!(self.interpreter.registers(), self.jit.registers(), "lockstep divergence at check {n} ({a:?}): registers");
        assert_eq!(self.interpreter.gas_left(), self.jit.gas_left(), "lockstep divergence at check {n} ({a:?}): gas");
        assert_eq!(self.interpreter.pc(), self.jit.pc(), "lockstep divergence at check {n} ({a:?}): resume pc");
        assert_eq!(self.interpreter.heap_top(), self.jit.heap_top(), "lockstep divergence at check {n} ({a:?}): heap top");
        let (i, j) = (self.interpreter.mapped_memory(), self.jit.mapped_memory());
        if i != j {
            let first = i.1.iter().zip(j.1).position(|(x, y)| x != y).unwrap_or(0);
            panic!("lockstep divergence at check {n} ({a:?}): memory differs first at {:#010x}", i.0 + first as u32);
        }
    }
}

impl GuestInstance for Lockstep {
    fn prepare_call(&mut self, entry: &str, gas: u64) -> Result<(), CallError> {
        self.interpreter.prepare_call(entry, gas)?;
        self.jit.prepare_call(entry, gas)
    }

    fn run(&mut self) -> Interrupt {
        let a = self.interpreter.run();
        let b = self.jit.run();
        self.compare(a, b);
        a
    }

    fn reg(&self, r: Reg) -> u32 {
        self.interpreter.reg(r)
    }

    fn set_reg(&mut self, r: Reg, value: u32) {
        self.interpreter.set_reg(r, value);
        self.jit.set_reg(r, value);
    }

    fn registers(&self) -> [u32; 16] {
        self.interpreter.registers()
    }

    fn gas_left(&self) -> u64 {
        self.interpreter.gas_left()
    }

    fn set_gas_left(&mut self, gas: u64) {
        self.interpreter.set_gas_left(gas);
        self.jit.set_gas_left(gas);
    }

    fn pc(&self) -> Option<u32> {
        self.interpreter.pc()
    }

    fn heap_top(&self) -> u32 {
        self.interpreter.heap_top()
    }

    fn sbrk(&mut self, increment: u32) -> Option<u32> {
        let a = self.interpreter.sbrk(increment);
        let b = self.jit.sbrk(increment);
        assert_eq!(a, b, "lockstep divergence: sbrk");
        a
    }

    fn read_memory(&self, addr: u32, buf: &mut [u8]) -> Result<(), MemoryError> {
        self.interpreter.read_memory(addr, buf)
    }

    fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryError> {
        let a = self.interpreter.write_memory(addr, data);
        let b = self.jit.write_memory(addr, data);
        assert_eq!(a, b, "lockstep divergence: host memory write");
        a
    }
}
