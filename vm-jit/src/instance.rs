//! A running guest on compiled code, behind the same interface as the interpreter.

use std::io;
use std::sync::Arc;

use rivet_vm::{CallError, GuestInstance, Interrupt, MemoryError, Reg, Trap, TrapKind};

use crate::compile::JitModule;
use crate::context::*;
use crate::sandbox::Sandbox;
use crate::segment::with_gs_base;
use crate::signals::{with_activation, Activation};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ready(u32),
    Finished,
    Trapped,
    Idle,
}

pub struct JitInstance {
    module: Arc<JitModule>,
    sandbox: Sandbox,
    heap_top: u32,
    state: State,
}

impl JitInstance {
    /// A fresh instance: its own sandbox with the program's data, heap empty. Fails
    /// if the fault handler can't be installed (a guest fault would then end the
    /// process) or the address space can't be reserved.
    pub fn new(module: Arc<JitModule>) -> io::Result<JitInstance> {
        if !crate::signals::install() {
            return Err(io::Error::other("the JIT's fault handler could not be installed"));
        }
        let p = &module.program;
        let layout = p.layout();
        let sandbox = match module.sandboxes.take() {
            Some(sandbox) => sandbox,
            None => Sandbox::new(layout, p.ro_data(), p.rw_data())?,
        };
        let ctx = Ctx {
            regs: [0; 16],
            gas: 0,
            exit_kind: 0,
            exit_pc: 0,
            exit_arg: 0,
            exit_trap: 0,
            start_pc: 0,
            ro_start: layout.ro_base(),
            ro_end: layout.ro_end(),
            _pad: 0,
            jump_table: module.jump_table.as_ptr(),
            cost_table: module.cost_table.as_ptr(),
        };
        // SAFETY: the context page is mapped read-write and sized for a Ctx.
        unsafe { std::ptr::write(sandbox.ctx() as *mut Ctx, ctx) };
        Ok(JitInstance { heap_top: layout.heap_base(), module, sandbox, state: State::Idle })
    }

    pub fn program(&self) -> &rivet_vm::Program {
        &self.module.program
    }

    fn ctx(&self) -> &Ctx {
        // SAFETY: initialised in `new`; compiled code writes it only during `run`.
        unsafe { &*(self.sandbox.ctx() as *const Ctx) }
    }

    fn ctx_mut(&mut self) -> &mut Ctx {
        // SAFETY: as above, and `&mut self` excludes a concurrent run.
        unsafe { &mut *(self.sandbox.ctx() as *mut Ctx) }
    }

    /// All mapped data memory, from the stack bottom to the heap top.
    pub fn mapped_memory(&self) -> (u32, &[u8]) {
        let bottom = self.program().layout().stack_bottom();
        // SAFETY: [stack bottom, heap top) is mapped readable (read-only data included).
        let s = unsafe { std::slice::from_raw_parts(self.sandbox.base().add(bottom as usize), (self.heap_top - bottom) as usize) };
        (bottom, s)
    }
}

impl Drop for JitInstance {
    fn drop(&mut self) {
        // An empty placeholder (no mapping) takes the sandbox's place while it goes
        // back to the module, reset; one that can't be reset is unmapped.
        let sandbox = std::mem::replace(&mut self.sandbox, Sandbox::empty());
        let p = &self.module.program;
        if sandbox.reset(p.layout(), p.rw_data(), self.heap_top).is_ok() {
            self.module.sandboxes.keep(sandbox);
        }
    }
}

fn trap_kind(code: u32, arg: u32) -> TrapKind {
    match code {
        TRAP_UNIMP => TrapKind::Unimp,
        TRAP_EBREAK => TrapKind::Ebreak,
        TRAP_LOAD_FAULT => TrapKind::LoadFault { addr: arg },
        TRAP_STORE_FAULT => TrapKind::StoreFault { addr: arg },
        TRAP_READ_ONLY => TrapKind::ReadOnlyWrite { addr: arg },
        TRAP_MISALIGNED => TrapKind::Misaligned { addr: arg },
        _ => TrapKind::InvalidJumpTarget { target: arg },
    }
}

impl JitInstance {
    /// Runs the compiled code from the context's `start_pc` until it exits.
    fn enter(&mut self) {
        let m = &self.module;
        let start = m.code.ptr(dynasmrt::AssemblyOffset(0)) as usize;
        let activation = Activation {
            code_start: start,
            code_end: start + m.code.len(),
            sites: m.sites.as_ptr(),
            sites_len: m.sites.len(),
            base: self.sandbox.base() as usize,
        };
        // SAFETY: the entry trampoline follows the sysv64 ABI, addresses the sandbox
        // through GS (set to its base here) and touches nothing else; faults in it are
        // handled by `signals`.
        let entry: extern "sysv64" fn() = unsafe { std::mem::transmute(m.code.ptr(m.entry)) };
        with_gs_base(self.sandbox.base(), || with_activation(&activation, || entry()));
    }
}

impl GuestInstance for JitInstance {
    fn prepare_call(&mut self, entry: &str, gas: u64) -> Result<(), CallError> {
        let pc = self.module.program.entry_point(entry).ok_or(CallError::NoSuchEntryPoint)?;
        let ctx = self.ctx_mut();
        ctx.regs = rivet_vm::entry_registers();
        ctx.gas = gas;
        self.state = State::Ready(pc);
        Ok(())
    }

    fn run(&mut self) -> Interrupt {
        let State::Ready(pc) = self.state else {
            return Interrupt::Trap(Trap { kind: TrapKind::NotRunnable, pc: 0 });
        };
        self.ctx_mut().start_pc = pc;
        loop {
            self.enter();
            if self.ctx().exit_kind != EXIT_NEEDS_COPIES {
                break;
            }
            // A dynamic jump into the middle of a block, whose checked copy this module
            // was compiled without: go on at the target in the module with copies (the
            // same program; the guest's state is all in the context and the sandbox).
            match self.module.with_copies() {
                Ok(m) => {
                    let ctx = self.ctx_mut();
                    ctx.jump_table = m.jump_table.as_ptr();
                    ctx.cost_table = m.cost_table.as_ptr();
                    self.module = m;
                }
                // As when the host can't map heap memory (`sbrk`): no result the
                // interpreter would give, so the node must fail this execution.
                Err(e) => panic!("the host could not compile the program's checked copies ({e}); the execution cannot go on"),
            }
            let pc = self.ctx().exit_pc;
            self.ctx_mut().start_pc = pc;
        }
        let ctx = self.ctx();
        let (interrupt, state) = match ctx.exit_kind {
            EXIT_FINISHED => (Interrupt::Finished, State::Finished),
            EXIT_HOST_CALL => (Interrupt::HostCall(ctx.regs[Reg::T0.index()]), State::Ready(ctx.exit_pc)),
            EXIT_OUT_OF_GAS => (Interrupt::OutOfGas, State::Ready(ctx.exit_pc)),
            _ => (Interrupt::Trap(Trap { kind: trap_kind(ctx.exit_trap, ctx.exit_arg), pc: ctx.exit_pc }), State::Trapped),
        };
        self.state = state;
        interrupt
    }

    fn reg(&self, r: Reg) -> u32 {
        self.ctx().regs[r.index()]
    }

    fn set_reg(&mut self, r: Reg, value: u32) {
        if r != Reg::ZERO {
            self.ctx_mut().regs[r.index()] = value;
        }
    }

    fn registers(&self) -> [u32; 16] {
        self.ctx().regs
    }

    fn gas_left(&self) -> u64 {
        self.ctx().gas
    }

    fn set_gas_left(&mut self, gas: u64) {
        self.ctx_mut().gas = gas;
    }

    fn pc(&self) -> Option<u32> {
        match self.state {
            State::Ready(pc) => Some(pc),
            _ => None,
        }
    }

    fn heap_top(&self) -> u32 {
        self.heap_top
    }

    fn sbrk(&mut self, increment: u32) -> Option<u32> {
        let new_top = self.module.program.layout().grown_heap_top(self.heap_top, increment)?;
        // The interpreter holds its whole data span from the start, so it never refuses
        // a growth within the limit; a refusal here would be a different result (a
        // consensus fork). The host is out of memory: stop as an allocation failure would,
        // so the node fails this execution instead of committing a divergent one.
        if let Err(e) = self.sandbox.map_rw(self.heap_top, new_top - self.heap_top) {
            panic!("the host could not map guest heap memory ({e}); the execution cannot go on as the interpreter's would");
        }
        let old = self.heap_top;
        self.heap_top = new_top;
        Some(old)
    }

    fn read_memory(&self, addr: u32, buf: &mut [u8]) -> Result<(), MemoryError> {
        if !self.program().layout().host_range_mapped(addr, buf.len(), self.heap_top) {
            return Err(MemoryError::Unmapped { addr });
        }
        if !buf.is_empty() {
            // SAFETY: the range is mapped and readable.
            unsafe { std::ptr::copy_nonoverlapping(self.sandbox.base().add(addr as usize), buf.as_mut_ptr(), buf.len()) };
        }
        Ok(())
    }

    fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryError> {
        let layout = self.program().layout();
        if !layout.host_range_mapped(addr, data.len(), self.heap_top) {
            return Err(MemoryError::Unmapped { addr });
        }
        if layout.overlaps_read_only(addr, data.len() as u32) {
            return Err(MemoryError::ReadOnly { addr });
        }
        if !data.is_empty() {
            // SAFETY: the range is mapped writable (not read-only data).
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.sandbox.base().add(addr as usize), data.len()) };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rivet_vm::{BlobBuilder, Limits};

    fn module() -> Arc<JitModule> {
        let mut b = BlobBuilder::new();
        b.heap_max = 8192;
        b.bss_size = 100;
        b.ro_data = vec![7; 10];
        b.rw_data = (1..=40).collect();
        // `sw ra, -4(sp)` (the stack gets written by compiled code too), then
        // `jalr x0, ra, 0`: return.
        b.code_words(&[0xfe11_2e23, 0x0000_8067]).entry("main", 0);
        let program = Arc::new(rivet_vm::parse(&b.to_bytes(), &Limits::default()).unwrap());
        Arc::new(crate::compile(program).unwrap())
    }

    fn instance() -> JitInstance {
        JitInstance::new(module()).unwrap()
    }

    #[test]
    fn a_reused_sandbox_is_a_fresh_one() {
        if !crate::is_supported() {
            return;
        }
        let module = module();
        let layout = *module.program.layout();
        let fresh = JitInstance::new(module.clone()).unwrap();
        let (bottom, memory) = fresh.mapped_memory();
        let (memory, heap_top) = (memory.to_vec(), fresh.heap_top());
        let base = fresh.sandbox.base();
        drop(fresh);

        // Dirty everything writable: the stack (from compiled code and the host), the
        // read-write data, the bss and a grown heap.
        let mut used = JitInstance::new(module.clone()).unwrap();
        assert_eq!(used.sandbox.base(), base, "the sandbox was kept and reused");
        used.prepare_call("main", 1000).unwrap();
        assert_eq!(used.run(), Interrupt::Finished);
        let grown = used.sbrk(8192).unwrap();
        for (addr, len) in [(layout.stack_bottom(), 64), (rivet_vm::memory_map::STACK_TOP - 64, 64), (layout.rw_base(), 140), (grown, 8192)]
        {
            used.write_memory(addr, &vec![0xab; len]).unwrap();
        }
        assert!(used.write_memory(layout.ro_base(), &[0]).is_err());
        drop(used);

        let again = JitInstance::new(module.clone()).unwrap();
        assert_eq!(again.sandbox.base(), base, "the sandbox was kept and reused");
        assert_eq!(again.heap_top(), heap_top);
        let (b, m) = again.mapped_memory();
        assert_eq!((b, m), (bottom, &memory[..]), "a reused sandbox holds what a fresh one does");
        let mut byte = [0];
        assert!(again.read_memory(grown, &mut byte).is_err(), "the heap grown before is unmapped again");
    }

    #[test]
    fn heap_growth_within_the_limit_never_reaches_the_guest_as_a_refusal() {
        if !crate::is_supported() {
            return;
        }
        let mut inst = instance();
        let base = inst.heap_top();
        assert_eq!(inst.sbrk(4096), Some(base));
        crate::sandbox::tests::FAIL_NEXT_MPROTECT.with(|f| f.set(true));
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inst.sbrk(4096)));
        let message = refused.expect_err("a failed mapping is the host's failure, not the guest's refusal");
        let message = message.downcast_ref::<String>().expect("a message");
        assert!(message.contains("could not map guest heap memory"), "{message}");
    }
}
