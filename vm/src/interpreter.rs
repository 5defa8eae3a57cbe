//! The interpreter: runs a [`Module`] until the next interrupt.
//!
//! Instructions are pre-decoded once per program into compact ops with a `Charge` op
//! at every block start, branch targets resolved to op indices and writes to x0
//! redirected to a scratch register. The traced path executes the decoded
//! [`Instruction`]s one by one and records every step; both use the same semantics
//! from [`crate::isa`] and the same memory and gas rules, and tests hold them equal.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::backend::GuestInstance;
use crate::isa::{AluOp, BranchKind, Instruction, LoadKind, Reg, StoreKind};
use crate::memory_map::{CODE_BASE, RETURN_ADDRESS};
use crate::program::Program;
use crate::trace::{MemAccess, Step, TraceEvent};
use crate::{Interrupt, MemoryError, Trap, TrapKind};

/// Index of the register that absorbs writes to x0.
const SINK: u8 = 16;

/// What a pre-decoded op does. Every ALU, load, store and branch kind is its own
/// kind so each guest instruction costs one dispatch; the semantics still come from
/// `isa` (`AluOp::eval`, `LoadKind::extend`, `BranchKind::taken`).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum K {
    /// Block start: charge `imm` gas.
    Charge,
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Addi,
    Slti,
    Sltiu,
    Xori,
    Ori,
    Andi,
    Slli,
    Srli,
    Srai,
    /// d = imm (lui, auipc, addi from x0)
    Li,
    /// d = load(a + imm)
    Lb,
    Lh,
    Lw,
    Lbu,
    Lhu,
    /// store b at a + imm
    Sb,
    Sh,
    Sw,
    /// if a ? b goto op imm
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    /// d = link; goto op imm
    Jal,
    /// d = link; goto (a + imm) & !1
    Jalr,
    Ecall,
    Nop,
    Unimp,
    Ebreak,
    /// After the last instruction: control fell off the end of the code.
    FellOff,
}

/// One pre-decoded instruction, 8 bytes, the same shape for every kind so the
/// dispatch loads fields uniformly. Unused fields are zero.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct Op {
    k: K,
    d: u8,
    a: u8,
    b: u8,
    imm: u32,
}

impl Op {
    const fn new(k: K, d: u8, a: u8, b: u8, imm: u32) -> Op {
        Op { k, d, a, b, imm }
    }
}

fn alu_kind(op: AluOp) -> K {
    match op {
        AluOp::Add => K::Add,
        AluOp::Sub => K::Sub,
        AluOp::Sll => K::Sll,
        AluOp::Slt => K::Slt,
        AluOp::Sltu => K::Sltu,
        AluOp::Xor => K::Xor,
        AluOp::Srl => K::Srl,
        AluOp::Sra => K::Sra,
        AluOp::Or => K::Or,
        AluOp::And => K::And,
        AluOp::Mul => K::Mul,
        AluOp::Mulh => K::Mulh,
        AluOp::Mulhsu => K::Mulhsu,
        AluOp::Mulhu => K::Mulhu,
        AluOp::Div => K::Div,
        AluOp::Divu => K::Divu,
        AluOp::Rem => K::Rem,
        AluOp::Remu => K::Remu,
    }
}

/// The decoder produces immediate forms only for these operations.
fn alu_imm_op(op: AluOp, d: u8, a: u8, imm: u32) -> Op {
    let k = match op {
        AluOp::Add if a == 0 => return Op::new(K::Li, d, 0, 0, imm),
        AluOp::Add => K::Addi,
        AluOp::Slt => K::Slti,
        AluOp::Sltu => K::Sltiu,
        AluOp::Xor => K::Xori,
        AluOp::Or => K::Ori,
        AluOp::And => K::Andi,
        AluOp::Sll => K::Slli,
        AluOp::Srl => K::Srli,
        AluOp::Sra => K::Srai,
        _ => K::Unimp,
    };
    Op::new(k, d, a, 0, imm)
}

/// A program prepared for the interpreter. Build once, share between instances.
pub struct Module {
    program: Arc<Program>,
    ops: Vec<Op>,
    /// The code address each op belongs to.
    op_pc: Vec<u32>,
    /// Per instruction: (op index to continue at, gas to charge first). Block starts
    /// point at their `Charge` op and charge nothing extra; other instructions charge
    /// the rest of their block and point at their own op.
    jump: Vec<(u32, u32)>,
}

fn dst(r: Reg) -> u8 {
    if r == Reg::ZERO {
        SINK
    } else {
        r.index() as u8
    }
}

fn src(r: Reg) -> u8 {
    r.index() as u8
}

impl Module {
    pub fn new(program: Arc<Program>) -> Module {
        let insns = program.instructions();
        let n = insns.len();
        let mut ops = Vec::with_capacity(n + n / 4 + 1);
        let mut op_pc = Vec::with_capacity(ops.capacity());
        let mut jump = Vec::with_capacity(n);
        let mut charge_index = alloc::vec![0u32; n];
        // First pass: op indices of every instruction and block start.
        let mut k = 0u32;
        for i in 0..n {
            if program.is_block_start(i) {
                charge_index[i] = k;
                jump.push((k, 0));
                k += 1;
            } else {
                jump.push((k, program.entry_cost(i)));
            }
            k += 1;
        }
        let target_of = |i: usize, off: i32| -> u32 {
            let pc = CODE_BASE + 4 * i as u32;
            let t = ((pc.wrapping_add(off as u32) - CODE_BASE) / 4) as usize;
            charge_index[t]
        };
        for (i, insn) in insns.iter().enumerate() {
            let pc = CODE_BASE + 4 * i as u32;
            if program.is_block_start(i) {
                ops.push(Op::new(K::Charge, 0, 0, 0, program.entry_cost(i)));
                op_pc.push(pc);
            }
            let op = match *insn {
                Instruction::Lui { rd, imm } => Op::new(K::Li, dst(rd), 0, 0, imm),
                Instruction::Auipc { rd, imm } => Op::new(K::Li, dst(rd), 0, 0, pc.wrapping_add(imm)),
                Instruction::Jal { rd, offset } => Op::new(K::Jal, dst(rd), 0, 0, target_of(i, offset)),
                Instruction::Jalr { rd, rs1, offset } => Op::new(K::Jalr, dst(rd), src(rs1), 0, offset as u32),
                Instruction::Branch { kind, rs1, rs2, offset } => {
                    let k = match kind {
                        BranchKind::Eq => K::Beq,
                        BranchKind::Ne => K::Bne,
                        BranchKind::Lt => K::Blt,
                        BranchKind::Ge => K::Bge,
                        BranchKind::Ltu => K::Bltu,
                        BranchKind::Geu => K::Bgeu,
                    };
                    Op::new(k, 0, src(rs1), src(rs2), target_of(i, offset))
                }
                Instruction::Load { kind, rd, rs1, offset } => {
                    let k = match kind {
                        LoadKind::Byte => K::Lb,
                        LoadKind::Half => K::Lh,
                        LoadKind::Word => K::Lw,
                        LoadKind::ByteU => K::Lbu,
                        LoadKind::HalfU => K::Lhu,
                    };
                    Op::new(k, dst(rd), src(rs1), 0, offset as u32)
                }
                Instruction::Store { kind, rs1, rs2, offset } => {
                    let k = match kind {
                        StoreKind::Byte => K::Sb,
                        StoreKind::Half => K::Sh,
                        StoreKind::Word => K::Sw,
                    };
                    Op::new(k, 0, src(rs1), src(rs2), offset as u32)
                }
                Instruction::OpImm { op, rd, rs1, imm } => alu_imm_op(op, dst(rd), src(rs1), imm),
                Instruction::Op { op, rd, rs1, rs2 } => Op::new(alu_kind(op), dst(rd), src(rs1), src(rs2), 0),
                Instruction::Fence => Op::new(K::Nop, 0, 0, 0, 0),
                Instruction::Ecall => Op::new(K::Ecall, 0, 0, 0, 0),
                Instruction::Ebreak => Op::new(K::Ebreak, 0, 0, 0, 0),
                Instruction::Unimp => Op::new(K::Unimp, 0, 0, 0, 0),
            };
            ops.push(op);
            op_pc.push(pc);
        }
        ops.push(Op::new(K::FellOff, 0, 0, 0, 0));
        op_pc.push(CODE_BASE + 4 * (n as u32 - 1));
        Module { program, ops, op_pc, jump }
    }

    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Ready to run at this pc (entry, after a host call, or after running out of gas).
    Ready(u32),
    Finished,
    Trapped,
    /// No entry point selected yet.
    Idle,
}

/// One running guest: registers, memory, gas and where to continue.
pub struct Instance {
    module: Arc<Module>,
    /// x0..x15, then the x0 write sink; padded so `& 31` indexing needs no bounds check.
    regs: [u32; 32],
    mem: Vec<u8>,
    /// Address of `mem[0]`.
    base: u32,
    /// Bytes of `mem` currently mapped (up to the heap top).
    accessible: usize,
    /// Read-only range within `mem`.
    ro_start: usize,
    ro_len: usize,
    heap_top: u32,
    gas: u64,
    state: State,
    trace: Option<Vec<TraceEvent>>,
}

/// Why a call could not be prepared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    NoSuchEntryPoint,
}

impl core::fmt::Display for CallError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CallError::NoSuchEntryPoint => f.write_str("the program has no entry point of that name"),
        }
    }
}

impl Instance {
    /// A fresh instance: memory initialized from the program's data, heap empty.
    pub fn new(module: Arc<Module>) -> Instance {
        let layout = *module.program.layout();
        let base = layout.stack_bottom();
        let mut mem = alloc::vec![0u8; layout.data_span() as usize];
        let ro_start = (layout.ro_base() - base) as usize;
        let ro = module.program.ro_data();
        mem[ro_start..ro_start + ro.len()].copy_from_slice(ro);
        let rw_start = (layout.rw_base() - base) as usize;
        let rw = module.program.rw_data();
        mem[rw_start..rw_start + rw.len()].copy_from_slice(rw);
        let heap_top = layout.heap_base();
        Instance {
            regs: [0; 32],
            accessible: (heap_top - base) as usize,
            ro_start,
            ro_len: (layout.ro_end() - layout.ro_base()) as usize,
            heap_top,
            base,
            mem,
            gas: 0,
            state: State::Idle,
            trace: None,
            module,
        }
    }

    pub fn program(&self) -> &Program {
        &self.module.program
    }

    /// Records every step into a trace from now on (slower).
    pub fn enable_trace(&mut self) {
        self.trace.get_or_insert_with(Vec::new);
    }

    pub fn take_trace(&mut self) -> Vec<TraceEvent> {
        self.trace.as_mut().map(core::mem::take).unwrap_or_default()
    }

    /// Offset into `mem` of a host-accessed range, if it is mapped.
    fn data_range(&self, addr: u32, len: usize) -> Option<usize> {
        if !self.module.program.layout().host_range_mapped(addr, len, self.heap_top) {
            return None;
        }
        Some(if len == 0 { 0 } else { addr.wrapping_sub(self.base) as usize })
    }

    fn view(&mut self) -> MemView {
        MemView { ptr: self.mem.as_mut_ptr(), base: self.base, accessible: self.accessible, ro_start: self.ro_start, ro_len: self.ro_len }
    }

    /// The reference path: one decoded instruction at a time, every step recorded.
    fn run_traced(&mut self, start_pc: u32) -> (Interrupt, u32) {
        let program = self.module.program.clone();
        let insns = program.instructions();
        let mut pc = start_pc;
        // Only used when `pc` is outside the code, which at the start means continuing
        // after an `ecall` that ends the code: report that `ecall`.
        let mut prev_pc = start_pc.wrapping_sub(4);
        let mut entering = true;
        loop {
            let idx = match program.index_of_pc(pc) {
                Some(idx) => idx,
                None => return (Interrupt::Trap(Trap { kind: TrapKind::InvalidJumpTarget { target: pc }, pc: prev_pc }), 0),
            };
            let mut charged = 0;
            if entering || program.is_block_start(idx) {
                let cost = program.entry_cost(idx);
                if self.gas < cost as u64 {
                    self.push(TraceEvent::OutOfGas { pc, needed: cost });
                    return (Interrupt::OutOfGas, pc);
                }
                self.gas -= cost as u64;
                charged = cost;
            }
            entering = false;
            let insn = insns[idx];
            let mut step = Step {
                pc,
                word: program.code_words()[idx],
                gas_charged: charged,
                gas_left: self.gas,
                rs1: None,
                rs2: None,
                rd: None,
                mem: None,
            };
            let rd_val = |s: &mut Step, rd: Reg, v: u32| s.rd = Some((rd, if rd == Reg::ZERO { 0 } else { v }));
            let mut next = pc.wrapping_add(4);
            let mut outcome: Option<(Interrupt, u32)> = None;
            match insn {
                Instruction::Lui { rd, imm } => rd_val(&mut step, rd, imm),
                Instruction::Auipc { rd, imm } => rd_val(&mut step, rd, pc.wrapping_add(imm)),
                Instruction::OpImm { op, rd, rs1, imm } => {
                    let a = self.read_traced(&mut step, rs1, true);
                    rd_val(&mut step, rd, op.eval(a, imm));
                }
                Instruction::Op { op, rd, rs1, rs2 } => {
                    let a = self.read_traced(&mut step, rs1, true);
                    let b = self.read_traced(&mut step, rs2, false);
                    rd_val(&mut step, rd, op.eval(a, b));
                }
                Instruction::Load { kind, rd, rs1, offset } => {
                    let addr = self.read_traced(&mut step, rs1, true).wrapping_add(offset as u32);
                    match self.view().load_kind(kind, addr) {
                        Ok(v) => {
                            step.mem = Some(MemAccess { addr, size: kind.size() as u8, value: v, write: false });
                            rd_val(&mut step, rd, v);
                        }
                        Err(k) => outcome = Some((Interrupt::Trap(Trap { kind: k, pc }), 0)),
                    }
                }
                Instruction::Store { kind, rs1, rs2, offset } => {
                    let addr = self.read_traced(&mut step, rs1, true).wrapping_add(offset as u32);
                    let v = self.read_traced(&mut step, rs2, false);
                    match self.view().store_kind(kind, addr, v) {
                        Ok(()) => {
                            let mask = if kind.size() == 4 { u32::MAX } else { (1u32 << (8 * kind.size())) - 1 };
                            step.mem = Some(MemAccess { addr, size: kind.size() as u8, value: v & mask, write: true });
                        }
                        Err(k) => outcome = Some((Interrupt::Trap(Trap { kind: k, pc }), 0)),
                    }
                }
                Instruction::Branch { kind, rs1, rs2, offset } => {
                    let a = self.read_traced(&mut step, rs1, true);
                    let b = self.read_traced(&mut step, rs2, false);
                    if kind.taken(a, b) {
                        next = pc.wrapping_add(offset as u32);
                    }
                    entering = true;
                }
                Instruction::Jal { rd, offset } => {
                    rd_val(&mut step, rd, pc.wrapping_add(4));
                    next = pc.wrapping_add(offset as u32);
                    entering = true;
                }
                Instruction::Jalr { rd, rs1, offset } => {
                    let target = self.read_traced(&mut step, rs1, true).wrapping_add(offset as u32) & !1;
                    if target == RETURN_ADDRESS {
                        rd_val(&mut step, rd, pc.wrapping_add(4));
                        outcome = Some((Interrupt::Finished, 0));
                    } else if program.index_of_pc(target).is_none() {
                        outcome = Some((Interrupt::Trap(Trap { kind: TrapKind::InvalidJumpTarget { target }, pc }), 0));
                    } else {
                        rd_val(&mut step, rd, pc.wrapping_add(4));
                        next = target;
                        entering = true;
                    }
                }
                Instruction::Fence => {}
                Instruction::Ecall => {
                    let n = self.read_traced(&mut step, Reg::T0, true);
                    outcome = Some((Interrupt::HostCall(n), pc.wrapping_add(4)));
                }
                Instruction::Ebreak => outcome = Some((Interrupt::Trap(Trap { kind: TrapKind::Ebreak, pc }), 0)),
                Instruction::Unimp => outcome = Some((Interrupt::Trap(Trap { kind: TrapKind::Unimp, pc }), 0)),
            }
            if outcome.is_none() || matches!(outcome, Some((Interrupt::Finished | Interrupt::HostCall(_), _))) {
                if let Some((rd, v)) = step.rd {
                    if rd != Reg::ZERO {
                        self.regs[rd.index()] = v;
                    }
                }
            } else {
                // A trapping instruction changes nothing.
                step.rd = None;
            }
            self.push(TraceEvent::Step(step));
            if let Some(o) = outcome {
                return o;
            }
            prev_pc = pc;
            pc = next;
        }
    }

    fn read_traced(&self, step: &mut Step, r: Reg, first: bool) -> u32 {
        let v = self.regs[r.index()];
        if first {
            step.rs1 = Some((r, v));
        } else {
            step.rs2 = Some((r, v));
        }
        v
    }

    fn push(&mut self, e: TraceEvent) {
        if let Some(t) = &mut self.trace {
            t.push(e);
        }
    }

    /// All mapped data memory, from the stack bottom to the heap top (for comparisons).
    pub fn mapped_memory(&self) -> (u32, &[u8]) {
        (self.base, &self.mem[..self.accessible])
    }
}

impl GuestInstance for Instance {
    /// Selects an entry point: registers reset (sp = stack top, ra = return address),
    /// memory kept as it is.
    fn prepare_call(&mut self, entry: &str, gas: u64) -> Result<(), CallError> {
        let pc = self.module.program.entry_point(entry).ok_or(CallError::NoSuchEntryPoint)?;
        self.regs = [0; 32];
        self.regs[..16].copy_from_slice(&crate::backend::entry_registers());
        self.gas = gas;
        self.state = State::Ready(pc);
        Ok(())
    }

    fn reg(&self, r: Reg) -> u32 {
        self.regs[r.index()]
    }

    /// Sets a register (writes to x0 are ignored, as for the guest).
    fn set_reg(&mut self, r: Reg, value: u32) {
        if r != Reg::ZERO {
            self.regs[r.index()] = value;
            if let Some(t) = &mut self.trace {
                t.push(TraceEvent::HostSetReg { reg: r, value });
            }
        }
    }

    fn gas_left(&self) -> u64 {
        self.gas
    }

    fn set_gas_left(&mut self, gas: u64) {
        self.gas = gas;
        if let Some(t) = &mut self.trace {
            t.push(TraceEvent::HostSetGas { gas });
        }
    }

    /// Where the next `run` continues, if the instance can run.
    fn pc(&self) -> Option<u32> {
        match self.state {
            State::Ready(pc) => Some(pc),
            _ => None,
        }
    }

    /// Current heap top (first unmapped heap address).
    fn heap_top(&self) -> u32 {
        self.heap_top
    }

    /// Maps `increment` more heap bytes (rounded up to pages). Returns the previous
    /// heap top, or `None` (nothing changed) if that would pass the program's heap limit.
    fn sbrk(&mut self, increment: u32) -> Option<u32> {
        let new_top = self.module.program.layout().grown_heap_top(self.heap_top, increment)?;
        let old = self.heap_top;
        self.heap_top = new_top;
        self.accessible = (new_top - self.base) as usize;
        if let Some(t) = &mut self.trace {
            t.push(TraceEvent::HostSbrk { old_top: old, new_top });
        }
        Some(old)
    }

    /// Reads guest data memory (read-only data included, code never).
    fn read_memory(&self, addr: u32, buf: &mut [u8]) -> Result<(), MemoryError> {
        let off = self.data_range(addr, buf.len()).ok_or(MemoryError::Unmapped { addr })?;
        buf.copy_from_slice(&self.mem[off..off + buf.len()]);
        Ok(())
    }

    /// Reads `len` bytes into a new vector (the host checks `len` against its limits).
    fn read_memory_vec(&self, addr: u32, len: u32) -> Result<Vec<u8>, MemoryError> {
        let off = self.data_range(addr, len as usize).ok_or(MemoryError::Unmapped { addr })?;
        Ok(self.mem[off..off + len as usize].to_vec())
    }

    /// Writes guest memory under the guest's own rules: read-only data can't be written.
    fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryError> {
        let off = self.data_range(addr, data.len()).ok_or(MemoryError::Unmapped { addr })?;
        if self.module.program.layout().overlaps_read_only(addr, data.len() as u32) {
            return Err(MemoryError::ReadOnly { addr });
        }
        self.mem[off..off + data.len()].copy_from_slice(data);
        if let Some(t) = &mut self.trace {
            t.push(TraceEvent::HostWriteMemory { addr, data: data.to_vec() });
        }
        Ok(())
    }

    /// Runs until the next interrupt.
    fn run(&mut self) -> Interrupt {
        let pc = match self.state {
            State::Ready(pc) => pc,
            State::Idle | State::Finished | State::Trapped => return Interrupt::Trap(Trap { kind: TrapKind::NotRunnable, pc: 0 }),
        };
        let result = if self.trace.is_some() {
            self.run_traced(pc)
        } else {
            let (module, mem) = (self.module.clone(), self.view());
            run_fast(&module, &mut self.regs, &mut self.gas, mem, pc)
        };
        self.state = match result {
            (Interrupt::Finished, _) => State::Finished,
            (Interrupt::Trap(_), _) => State::Trapped,
            (Interrupt::OutOfGas | Interrupt::HostCall(_), next_pc) => State::Ready(next_pc),
        };
        result.0
    }

    /// Guest registers x0..x15.
    fn registers(&self) -> [u32; 16] {
        let mut out = [0; 16];
        out.copy_from_slice(&self.regs[..16]);
        out
    }
}

/// Guest data memory as executing code sees it: pointer and bounds, copied into the
/// hot loop so nothing is reloaded through the instance. Implements SPEC.md §3's
/// access rules (alignment, then mapping, then read-only) for guest loads and stores.
#[derive(Clone, Copy)]
struct MemView {
    ptr: *mut u8,
    base: u32,
    /// Mapped bytes from `ptr` (stack bottom to heap top); never more than the buffer.
    accessible: usize,
    ro_start: usize,
    ro_len: usize,
}

impl MemView {
    #[inline(always)]
    fn load<const N: usize>(self, addr: u32) -> Result<[u8; N], TrapKind> {
        if addr % N as u32 != 0 {
            return Err(TrapKind::Misaligned { addr });
        }
        let off = addr.wrapping_sub(self.base) as usize;
        if off + N > self.accessible {
            return Err(TrapKind::LoadFault { addr });
        }
        // SAFETY: off + N <= accessible <= the buffer's length (Instance keeps this).
        Ok(unsafe { (self.ptr.add(off) as *const [u8; N]).read() })
    }

    #[inline(always)]
    fn store<const N: usize>(self, addr: u32, bytes: [u8; N]) -> Result<(), TrapKind> {
        if addr % N as u32 != 0 {
            return Err(TrapKind::Misaligned { addr });
        }
        let off = addr.wrapping_sub(self.base) as usize;
        if off + N > self.accessible {
            return Err(TrapKind::StoreFault { addr });
        }
        // Aligned accesses of at most 4 bytes never straddle the page-aligned ro region.
        if off.wrapping_sub(self.ro_start) < self.ro_len {
            return Err(TrapKind::ReadOnlyWrite { addr });
        }
        // SAFETY: as in `load`.
        unsafe { (self.ptr.add(off) as *mut [u8; N]).write(bytes) };
        Ok(())
    }

    #[inline(always)]
    fn load_kind(self, kind: LoadKind, addr: u32) -> Result<u32, TrapKind> {
        let raw = match kind.size() {
            1 => self.load::<1>(addr)?[0] as u32,
            2 => u16::from_le_bytes(self.load::<2>(addr)?) as u32,
            _ => u32::from_le_bytes(self.load::<4>(addr)?),
        };
        Ok(kind.extend(raw))
    }

    #[inline(always)]
    fn store_kind(self, kind: StoreKind, addr: u32, value: u32) -> Result<(), TrapKind> {
        match kind {
            StoreKind::Byte => self.store::<1>(addr, [value as u8]),
            StoreKind::Half => self.store::<2>(addr, (value as u16).to_le_bytes()),
            StoreKind::Word => self.store::<4>(addr, value.to_le_bytes()),
        }
    }
}

/// Resolves a dynamic jump target to (op index, gas to charge first), per SPEC.md §5-6.
#[inline(always)]
fn resolve(module: &Module, target: u32) -> Option<(u32, u32)> {
    let off = target.wrapping_sub(CODE_BASE);
    if off % 4 != 0 {
        return None;
    }
    module.jump.get((off / 4) as usize).copied()
}

/// Why the hot loop stopped; turned into an interrupt outside the loop so the loop
/// itself never touches `op_pc` on its fast paths.
enum Exit {
    /// Trap raised by the op at this index.
    Trap(TrapKind, usize),
    /// The `Charge` op at this index could not be paid.
    OutOfGasAtOp(usize),
    /// A dynamic jump to this pc could not be paid.
    OutOfGasAtPc(u32),
    /// `ecall` at this op index.
    Ecall(usize),
    Finished,
    /// Entering at this pc failed (continuing after an `ecall` that ends the code).
    BadStart(u32),
}

/// The hot loop. Returns the interrupt and, for OutOfGas and HostCall, the pc to
/// continue at.
#[inline(never)]
fn run_fast(module: &Module, regs_io: &mut [u32; 32], gas_io: &mut u64, mem: MemView, start_pc: u32) -> (Interrupt, u32) {
    // Locals that can't alias guest memory: the compiler keeps them in registers
    // across stores.
    let mut regs = *regs_io;
    let mut gas = *gas_io;
    let exit = run_loop(module, &mut regs, &mut gas, mem, start_pc);
    *regs_io = regs;
    *gas_io = gas;
    let op_pc = &module.op_pc;
    let trap = |kind, pc| (Interrupt::Trap(Trap { kind, pc }), 0);
    match exit {
        Exit::Trap(kind, i) => trap(kind, op_pc[i]),
        Exit::OutOfGasAtOp(i) => (Interrupt::OutOfGas, op_pc[i]),
        Exit::OutOfGasAtPc(pc) => (Interrupt::OutOfGas, pc),
        Exit::Ecall(i) => (Interrupt::HostCall(regs[Reg::T0.index()]), op_pc[i].wrapping_add(4)),
        Exit::Finished => (Interrupt::Finished, 0),
        // Falling off the end, reported at the last instruction.
        Exit::BadStart(pc) => trap(TrapKind::InvalidJumpTarget { target: pc }, pc.wrapping_sub(4)),
    }
}

#[inline(always)]
fn run_loop(module: &Module, regs: &mut [u32; 32], gas: &mut u64, mem: MemView, start_pc: u32) -> Exit {
    let ops = &module.ops[..];
    let op_pc = &module.op_pc[..];

    macro_rules! r {
        ($i:expr) => {
            regs[($i & 31) as usize]
        };
    }
    macro_rules! charge {
        ($cost:expr, $on_fail:expr) => {{
            let cost = $cost as u64;
            if *gas < cost {
                return $on_fail;
            }
            *gas -= cost;
        }};
    }

    let mut i = match resolve(module, start_pc) {
        Some((k, cost)) => {
            charge!(cost, Exit::OutOfGasAtPc(start_pc));
            k as usize
        }
        None => return Exit::BadStart(start_pc),
    };
    loop {
        // SAFETY: i is always a valid op index: static targets are resolved when the
        // module is built, dynamic ones through `resolve`, and the last op (FellOff)
        // exits.
        let op = unsafe { *ops.get_unchecked(i) };
        let here = i;
        i += 1;
        let (d, a, b, imm) = (op.d, op.a, op.b, op.imm);
        macro_rules! alu {
            ($op:ident, $y:expr) => {
                r!(d) = AluOp::$op.eval(r!(a), $y)
            };
        }
        macro_rules! load {
            ($n:literal, $kind:ident) => {
                match mem.load::<$n>(r!(a).wrapping_add(imm)) {
                    Ok(bytes) => {
                        let mut w = [0u8; 4];
                        w[..$n].copy_from_slice(&bytes);
                        r!(d) = LoadKind::$kind.extend(u32::from_le_bytes(w));
                    }
                    Err(k) => return Exit::Trap(k, here),
                }
            };
        }
        macro_rules! store {
            ($n:literal) => {{
                let v = r!(b).to_le_bytes();
                let mut bytes = [0u8; $n];
                bytes.copy_from_slice(&v[..$n]);
                if let Err(k) = mem.store::<$n>(r!(a).wrapping_add(imm), bytes) {
                    return Exit::Trap(k, here);
                }
            }};
        }
        macro_rules! branch {
            ($kind:ident) => {
                if BranchKind::$kind.taken(r!(a), r!(b)) {
                    i = imm as usize;
                }
            };
        }
        match op.k {
            K::Charge => charge!(imm, Exit::OutOfGasAtOp(here)),
            K::Add => alu!(Add, r!(b)),
            K::Sub => alu!(Sub, r!(b)),
            K::Sll => alu!(Sll, r!(b)),
            K::Slt => alu!(Slt, r!(b)),
            K::Sltu => alu!(Sltu, r!(b)),
            K::Xor => alu!(Xor, r!(b)),
            K::Srl => alu!(Srl, r!(b)),
            K::Sra => alu!(Sra, r!(b)),
            K::Or => alu!(Or, r!(b)),
            K::And => alu!(And, r!(b)),
            K::Mul => alu!(Mul, r!(b)),
            K::Mulh => alu!(Mulh, r!(b)),
            K::Mulhsu => alu!(Mulhsu, r!(b)),
            K::Mulhu => alu!(Mulhu, r!(b)),
            K::Div => alu!(Div, r!(b)),
            K::Divu => alu!(Divu, r!(b)),
            K::Rem => alu!(Rem, r!(b)),
            K::Remu => alu!(Remu, r!(b)),
            K::Addi => alu!(Add, imm),
            K::Slti => alu!(Slt, imm),
            K::Sltiu => alu!(Sltu, imm),
            K::Xori => alu!(Xor, imm),
            K::Ori => alu!(Or, imm),
            K::Andi => alu!(And, imm),
            K::Slli => alu!(Sll, imm),
            K::Srli => alu!(Srl, imm),
            K::Srai => alu!(Sra, imm),
            K::Li => r!(d) = imm,
            K::Lb => load!(1, Byte),
            K::Lh => load!(2, Half),
            K::Lw => load!(4, Word),
            K::Lbu => load!(1, ByteU),
            K::Lhu => load!(2, HalfU),
            K::Sb => store!(1),
            K::Sh => store!(2),
            K::Sw => store!(4),
            K::Beq => branch!(Eq),
            K::Bne => branch!(Ne),
            K::Blt => branch!(Lt),
            K::Bge => branch!(Ge),
            K::Bltu => branch!(Ltu),
            K::Bgeu => branch!(Geu),
            K::Jal => {
                r!(d) = op_pc[here].wrapping_add(4);
                i = imm as usize;
            }
            K::Jalr => {
                let target = r!(a).wrapping_add(imm) & !1;
                let link = op_pc[here].wrapping_add(4);
                if target == RETURN_ADDRESS {
                    r!(d) = link;
                    return Exit::Finished;
                }
                // Check the target before writing rd: a trapping jump changes nothing.
                let Some((k, cost)) = resolve(module, target) else {
                    return Exit::Trap(TrapKind::InvalidJumpTarget { target }, here);
                };
                r!(d) = link;
                charge!(cost, Exit::OutOfGasAtPc(target));
                i = k as usize;
            }
            K::Ecall => return Exit::Ecall(here),
            K::Nop => {}
            K::Unimp => return Exit::Trap(TrapKind::Unimp, here),
            K::Ebreak => return Exit::Trap(TrapKind::Ebreak, here),
            K::FellOff => return Exit::Trap(TrapKind::InvalidJumpTarget { target: op_pc[here].wrapping_add(4) }, here),
        }
    }
}
