//! The interpreter: runs a [`Module`] until the next interrupt.
//!
//! Instructions are pre-decoded once per program into compact ops with a `Charge` op
//! at every block start, branch targets resolved to op indices and writes to x0
//! redirected to a scratch register. The traced path executes the decoded
//! [`Instruction`]s one by one and records every step; both use the same semantics
//! from [`crate::isa`] and the same memory and gas rules, and tests hold them equal.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::isa::{AluOp, BranchKind, Instruction, LoadKind, Reg, StoreKind};
use crate::memory_map::{CODE_BASE, RETURN_ADDRESS, STACK_TOP};
use crate::program::Program;
use crate::trace::{MemAccess, Step, TraceEvent};
use crate::{Interrupt, MemoryError, Trap, TrapKind};

/// Index of the register that absorbs writes to x0.
const SINK: u8 = 16;

/// One pre-decoded instruction. Every ALU, load, store and branch kind is its own
/// variant so each guest instruction costs one dispatch; the semantics still come
/// from `isa` (`AluOp::eval`, `LoadKind::extend`, `BranchKind::taken`).
#[derive(Clone, Copy, Debug)]
enum Op {
    Charge { cost: u32 },
    Add { d: u8, a: u8, b: u8 },
    Sub { d: u8, a: u8, b: u8 },
    Sll { d: u8, a: u8, b: u8 },
    Slt { d: u8, a: u8, b: u8 },
    Sltu { d: u8, a: u8, b: u8 },
    Xor { d: u8, a: u8, b: u8 },
    Srl { d: u8, a: u8, b: u8 },
    Sra { d: u8, a: u8, b: u8 },
    Or { d: u8, a: u8, b: u8 },
    And { d: u8, a: u8, b: u8 },
    Mul { d: u8, a: u8, b: u8 },
    Mulh { d: u8, a: u8, b: u8 },
    Mulhsu { d: u8, a: u8, b: u8 },
    Mulhu { d: u8, a: u8, b: u8 },
    Div { d: u8, a: u8, b: u8 },
    Divu { d: u8, a: u8, b: u8 },
    Rem { d: u8, a: u8, b: u8 },
    Remu { d: u8, a: u8, b: u8 },
    Addi { d: u8, a: u8, imm: u32 },
    Slti { d: u8, a: u8, imm: u32 },
    Sltiu { d: u8, a: u8, imm: u32 },
    Xori { d: u8, a: u8, imm: u32 },
    Ori { d: u8, a: u8, imm: u32 },
    Andi { d: u8, a: u8, imm: u32 },
    Slli { d: u8, a: u8, imm: u32 },
    Srli { d: u8, a: u8, imm: u32 },
    Srai { d: u8, a: u8, imm: u32 },
    Li { d: u8, value: u32 },
    Lb { d: u8, a: u8, off: i32 },
    Lh { d: u8, a: u8, off: i32 },
    Lw { d: u8, a: u8, off: i32 },
    Lbu { d: u8, a: u8, off: i32 },
    Lhu { d: u8, a: u8, off: i32 },
    Sb { a: u8, s: u8, off: i32 },
    Sh { a: u8, s: u8, off: i32 },
    Sw { a: u8, s: u8, off: i32 },
    Beq { a: u8, b: u8, target: u32 },
    Bne { a: u8, b: u8, target: u32 },
    Blt { a: u8, b: u8, target: u32 },
    Bge { a: u8, b: u8, target: u32 },
    Bltu { a: u8, b: u8, target: u32 },
    Bgeu { a: u8, b: u8, target: u32 },
    Jal { d: u8, target: u32 },
    Jalr { d: u8, a: u8, off: i32 },
    Ecall,
    Nop,
    Trap { kind: TrapKind },
    /// After the last instruction: control fell off the end of the code.
    FellOff,
}

fn alu_op(op: AluOp, d: u8, a: u8, b: u8) -> Op {
    match op {
        AluOp::Add => Op::Add { d, a, b },
        AluOp::Sub => Op::Sub { d, a, b },
        AluOp::Sll => Op::Sll { d, a, b },
        AluOp::Slt => Op::Slt { d, a, b },
        AluOp::Sltu => Op::Sltu { d, a, b },
        AluOp::Xor => Op::Xor { d, a, b },
        AluOp::Srl => Op::Srl { d, a, b },
        AluOp::Sra => Op::Sra { d, a, b },
        AluOp::Or => Op::Or { d, a, b },
        AluOp::And => Op::And { d, a, b },
        AluOp::Mul => Op::Mul { d, a, b },
        AluOp::Mulh => Op::Mulh { d, a, b },
        AluOp::Mulhsu => Op::Mulhsu { d, a, b },
        AluOp::Mulhu => Op::Mulhu { d, a, b },
        AluOp::Div => Op::Div { d, a, b },
        AluOp::Divu => Op::Divu { d, a, b },
        AluOp::Rem => Op::Rem { d, a, b },
        AluOp::Remu => Op::Remu { d, a, b },
    }
}

fn alu_imm_op(op: AluOp, d: u8, a: u8, imm: u32) -> Op {
    match op {
        AluOp::Add if a == 0 => Op::Li { d, value: imm },
        AluOp::Add => Op::Addi { d, a, imm },
        AluOp::Slt => Op::Slti { d, a, imm },
        AluOp::Sltu => Op::Sltiu { d, a, imm },
        AluOp::Xor => Op::Xori { d, a, imm },
        AluOp::Or => Op::Ori { d, a, imm },
        AluOp::And => Op::Andi { d, a, imm },
        AluOp::Sll => Op::Slli { d, a, imm },
        AluOp::Srl => Op::Srli { d, a, imm },
        AluOp::Sra => Op::Srai { d, a, imm },
        // The decoder produces no other immediate forms.
        _ => Op::Trap { kind: TrapKind::Unimp },
    }
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
                ops.push(Op::Charge { cost: program.entry_cost(i) });
                op_pc.push(pc);
            }
            let op = match *insn {
                Instruction::Lui { rd, imm } => Op::Li { d: dst(rd), value: imm },
                Instruction::Auipc { rd, imm } => Op::Li { d: dst(rd), value: pc.wrapping_add(imm) },
                Instruction::Jal { rd, offset } => Op::Jal { d: dst(rd), target: target_of(i, offset) },
                Instruction::Jalr { rd, rs1, offset } => Op::Jalr { d: dst(rd), a: src(rs1), off: offset },
                Instruction::Branch { kind, rs1, rs2, offset } => {
                    let (a, b, target) = (src(rs1), src(rs2), target_of(i, offset));
                    match kind {
                        BranchKind::Eq => Op::Beq { a, b, target },
                        BranchKind::Ne => Op::Bne { a, b, target },
                        BranchKind::Lt => Op::Blt { a, b, target },
                        BranchKind::Ge => Op::Bge { a, b, target },
                        BranchKind::Ltu => Op::Bltu { a, b, target },
                        BranchKind::Geu => Op::Bgeu { a, b, target },
                    }
                }
                Instruction::Load { kind, rd, rs1, offset } => {
                    let (d, a, off) = (dst(rd), src(rs1), offset);
                    match kind {
                        LoadKind::Byte => Op::Lb { d, a, off },
                        LoadKind::Half => Op::Lh { d, a, off },
                        LoadKind::Word => Op::Lw { d, a, off },
                        LoadKind::ByteU => Op::Lbu { d, a, off },
                        LoadKind::HalfU => Op::Lhu { d, a, off },
                    }
                }
                Instruction::Store { kind, rs1, rs2, offset } => {
                    let (a, s, off) = (src(rs1), src(rs2), offset);
                    match kind {
                        StoreKind::Word => Op::Sw { a, s, off },
                        StoreKind::Byte => Op::Sb { a, s, off },
                        StoreKind::Half => Op::Sh { a, s, off },
                    }
                }
                Instruction::OpImm { op, rd, rs1, imm } => alu_imm_op(op, dst(rd), src(rs1), imm),
                Instruction::Op { op, rd, rs1, rs2 } => alu_op(op, dst(rd), src(rs1), src(rs2)),
                Instruction::Fence => Op::Nop,
                Instruction::Ecall => Op::Ecall,
                Instruction::Ebreak => Op::Trap { kind: TrapKind::Ebreak },
                Instruction::Unimp => Op::Trap { kind: TrapKind::Unimp },
            };
            ops.push(op);
            op_pc.push(pc);
        }
        ops.push(Op::FellOff);
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

    /// Selects an entry point: registers reset (sp = stack top, ra = return address),
    /// memory kept as it is.
    pub fn prepare_call(&mut self, entry: &str, gas: u64) -> Result<(), CallError> {
        let pc = self.module.program.entry_point(entry).ok_or(CallError::NoSuchEntryPoint)?;
        self.regs = [0; 32];
        self.regs[Reg::SP.index()] = STACK_TOP;
        self.regs[Reg::RA.index()] = RETURN_ADDRESS;
        self.gas = gas;
        self.state = State::Ready(pc);
        Ok(())
    }

    /// Records every step into a trace from now on (slower).
    pub fn enable_trace(&mut self) {
        self.trace.get_or_insert_with(Vec::new);
    }

    pub fn take_trace(&mut self) -> Vec<TraceEvent> {
        self.trace.as_mut().map(core::mem::take).unwrap_or_default()
    }

    pub fn reg(&self, r: Reg) -> u32 {
        self.regs[r.index()]
    }

    /// Sets a register (writes to x0 are ignored, as for the guest).
    pub fn set_reg(&mut self, r: Reg, value: u32) {
        if r != Reg::ZERO {
            self.regs[r.index()] = value;
            if let Some(t) = &mut self.trace {
                t.push(TraceEvent::HostSetReg { reg: r, value });
            }
        }
    }

    pub fn gas_left(&self) -> u64 {
        self.gas
    }

    pub fn set_gas_left(&mut self, gas: u64) {
        self.gas = gas;
        if let Some(t) = &mut self.trace {
            t.push(TraceEvent::HostSetGas { gas });
        }
    }

    /// Charges `amount` for host work; false (and nothing charged) if not enough is left.
    pub fn consume_gas(&mut self, amount: u64) -> bool {
        match self.gas.checked_sub(amount) {
            Some(g) => {
                self.set_gas_left(g);
                true
            }
            None => false,
        }
    }

    /// Where the next `run` continues, if the instance can run.
    pub fn pc(&self) -> Option<u32> {
        match self.state {
            State::Ready(pc) => Some(pc),
            _ => None,
        }
    }

    /// Current heap top (first unmapped heap address).
    pub fn heap_top(&self) -> u32 {
        self.heap_top
    }

    /// Maps `increment` more heap bytes (rounded up to pages). Returns the previous
    /// heap top, or `None` (nothing changed) if that would pass the program's heap limit.
    pub fn sbrk(&mut self, increment: u32) -> Option<u32> {
        let inc = crate::memory_map::page_align(increment)?;
        let new_top = self.heap_top.checked_add(inc)?;
        if new_top > self.module.program.layout().heap_limit() {
            return None;
        }
        let old = self.heap_top;
        self.heap_top = new_top;
        self.accessible = (new_top - self.base) as usize;
        if let Some(t) = &mut self.trace {
            t.push(TraceEvent::HostSbrk { old_top: old, new_top });
        }
        Some(old)
    }

    /// Offset of a host-accessed range; an empty range is valid at any address
    /// (like `memcpy` of zero bytes), which is what empty Rust slices need.
    fn data_range(&self, addr: u32, len: usize) -> Option<usize> {
        if len == 0 {
            return Some(0);
        }
        let off = addr.wrapping_sub(self.base) as usize;
        if off.checked_add(len)? <= self.accessible {
            Some(off)
        } else {
            None
        }
    }

    /// Reads guest data memory (read-only data included, code never).
    pub fn read_memory(&self, addr: u32, buf: &mut [u8]) -> Result<(), MemoryError> {
        let off = self.data_range(addr, buf.len()).ok_or(MemoryError::Unmapped { addr })?;
        buf.copy_from_slice(&self.mem[off..off + buf.len()]);
        Ok(())
    }

    /// Reads `len` bytes into a new vector (the host checks `len` against its limits).
    pub fn read_memory_vec(&self, addr: u32, len: u32) -> Result<Vec<u8>, MemoryError> {
        let off = self.data_range(addr, len as usize).ok_or(MemoryError::Unmapped { addr })?;
        Ok(self.mem[off..off + len as usize].to_vec())
    }

    /// Writes guest memory under the guest's own rules: read-only data can't be written.
    pub fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryError> {
        let off = self.data_range(addr, data.len()).ok_or(MemoryError::Unmapped { addr })?;
        let ro_end = self.ro_start + self.ro_len;
        if !data.is_empty() && off < ro_end && off + data.len() > self.ro_start {
            return Err(MemoryError::ReadOnly { addr });
        }
        self.mem[off..off + data.len()].copy_from_slice(data);
        if let Some(t) = &mut self.trace {
            t.push(TraceEvent::HostWriteMemory { addr, data: data.to_vec() });
        }
        Ok(())
    }

    /// Runs until the next interrupt.
    pub fn run(&mut self) -> Interrupt {
        let pc = match self.state {
            State::Ready(pc) => pc,
            State::Idle | State::Finished | State::Trapped => {
                return Interrupt::Trap(Trap { kind: TrapKind::NotRunnable, pc: 0 })
            }
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

    /// Guest registers x0..x15.
    pub fn registers(&self) -> [u32; 16] {
        let mut out = [0; 16];
        out.copy_from_slice(&self.regs[..16]);
        out
    }

    /// All mapped data memory, from the stack bottom to the heap top (for comparisons).
    pub fn mapped_memory(&self) -> (u32, &[u8]) {
        (self.base, &self.mem[..self.accessible])
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

/// The hot loop. Returns the interrupt and, for OutOfGas and HostCall, the pc to
/// continue at.
fn run_fast(module: &Module, regs: &mut [u32; 32], gas_io: &mut u64, mem: MemView, start_pc: u32) -> (Interrupt, u32) {
    let ops = &module.ops[..];
    let op_pc = &module.op_pc[..];
    let mut gas = *gas_io;

    macro_rules! exit {
        ($e:expr) => {{
            *gas_io = gas;
            return $e;
        }};
    }
    macro_rules! r {
        ($i:expr) => {
            regs[($i & 31) as usize]
        };
    }
    macro_rules! trap {
        ($k:expr, $i:expr) => {
            exit!((Interrupt::Trap(Trap { kind: $k, pc: op_pc[$i] }), 0))
        };
    }
    macro_rules! alu {
        ($op:ident, $d:expr, $a:expr, $b:expr) => {
            r!($d) = AluOp::$op.eval($a, $b)
        };
    }
    macro_rules! load {
        ($n:literal, $kind:ident, $d:expr, $a:expr, $off:expr, $i:expr) => {
            match mem.load::<$n>(r!($a).wrapping_add($off as u32)) {
                Ok(b) => {
                    let mut w = [0u8; 4];
                    w[..$n].copy_from_slice(&b);
                    r!($d) = LoadKind::$kind.extend(u32::from_le_bytes(w));
                }
                Err(k) => trap!(k, $i),
            }
        };
    }
    macro_rules! store {
        ($n:literal, $a:expr, $s:expr, $off:expr, $i:expr) => {{
            let bytes = r!($s).to_le_bytes();
            let mut b = [0u8; $n];
            b.copy_from_slice(&bytes[..$n]);
            if let Err(k) = mem.store::<$n>(r!($a).wrapping_add($off as u32), b) {
                trap!(k, $i)
            }
        }};
    }
    macro_rules! branch {
        ($kind:ident, $a:expr, $b:expr, $target:expr, $i:ident) => {
            if BranchKind::$kind.taken(r!($a), r!($b)) {
                $i = $target as usize;
            }
        };
    }

    let mut i = match resolve(module, start_pc) {
        Some((k, cost)) => {
            if gas < cost as u64 {
                exit!((Interrupt::OutOfGas, start_pc))
            }
            gas -= cost as u64;
            k as usize
        }
        // Only continuing after an `ecall` that ends the code gets here: that is
        // falling off the end, reported at the last instruction.
        None => exit!((Interrupt::Trap(Trap { kind: TrapKind::InvalidJumpTarget { target: start_pc }, pc: start_pc.wrapping_sub(4) }), 0)),
    };
    loop {
        // SAFETY: i is always a valid op index: static targets are resolved when the
        // module is built, dynamic ones through `resolve`, and the last op (FellOff)
        // exits.
        let op = unsafe { *ops.get_unchecked(i) };
        i += 1;
        match op {
            Op::Charge { cost } => {
                if gas < cost as u64 {
                    exit!((Interrupt::OutOfGas, op_pc[i - 1]))
                }
                gas -= cost as u64;
            }
            Op::Add { d, a, b } => alu!(Add, d, r!(a), r!(b)),
            Op::Sub { d, a, b } => alu!(Sub, d, r!(a), r!(b)),
            Op::Sll { d, a, b } => alu!(Sll, d, r!(a), r!(b)),
            Op::Slt { d, a, b } => alu!(Slt, d, r!(a), r!(b)),
            Op::Sltu { d, a, b } => alu!(Sltu, d, r!(a), r!(b)),
            Op::Xor { d, a, b } => alu!(Xor, d, r!(a), r!(b)),
            Op::Srl { d, a, b } => alu!(Srl, d, r!(a), r!(b)),
            Op::Sra { d, a, b } => alu!(Sra, d, r!(a), r!(b)),
            Op::Or { d, a, b } => alu!(Or, d, r!(a), r!(b)),
            Op::And { d, a, b } => alu!(And, d, r!(a), r!(b)),
            Op::Mul { d, a, b } => alu!(Mul, d, r!(a), r!(b)),
            Op::Mulh { d, a, b } => alu!(Mulh, d, r!(a), r!(b)),
            Op::Mulhsu { d, a, b } => alu!(Mulhsu, d, r!(a), r!(b)),
            Op::Mulhu { d, a, b } => alu!(Mulhu, d, r!(a), r!(b)),
            Op::Div { d, a, b } => alu!(Div, d, r!(a), r!(b)),
            Op::Divu { d, a, b } => alu!(Divu, d, r!(a), r!(b)),
            Op::Rem { d, a, b } => alu!(Rem, d, r!(a), r!(b)),
            Op::Remu { d, a, b } => alu!(Remu, d, r!(a), r!(b)),
            Op::Addi { d, a, imm } => alu!(Add, d, r!(a), imm),
            Op::Slti { d, a, imm } => alu!(Slt, d, r!(a), imm),
            Op::Sltiu { d, a, imm } => alu!(Sltu, d, r!(a), imm),
            Op::Xori { d, a, imm } => alu!(Xor, d, r!(a), imm),
            Op::Ori { d, a, imm } => alu!(Or, d, r!(a), imm),
            Op::Andi { d, a, imm } => alu!(And, d, r!(a), imm),
            Op::Slli { d, a, imm } => alu!(Sll, d, r!(a), imm),
            Op::Srli { d, a, imm } => alu!(Srl, d, r!(a), imm),
            Op::Srai { d, a, imm } => alu!(Sra, d, r!(a), imm),
            Op::Li { d, value } => r!(d) = value,
            Op::Lb { d, a, off } => load!(1, Byte, d, a, off, i - 1),
            Op::Lh { d, a, off } => load!(2, Half, d, a, off, i - 1),
            Op::Lw { d, a, off } => load!(4, Word, d, a, off, i - 1),
            Op::Lbu { d, a, off } => load!(1, ByteU, d, a, off, i - 1),
            Op::Lhu { d, a, off } => load!(2, HalfU, d, a, off, i - 1),
            Op::Sb { a, s, off } => store!(1, a, s, off, i - 1),
            Op::Sh { a, s, off } => store!(2, a, s, off, i - 1),
            Op::Sw { a, s, off } => store!(4, a, s, off, i - 1),
            Op::Beq { a, b, target } => branch!(Eq, a, b, target, i),
            Op::Bne { a, b, target } => branch!(Ne, a, b, target, i),
            Op::Blt { a, b, target } => branch!(Lt, a, b, target, i),
            Op::Bge { a, b, target } => branch!(Ge, a, b, target, i),
            Op::Bltu { a, b, target } => branch!(Ltu, a, b, target, i),
            Op::Bgeu { a, b, target } => branch!(Geu, a, b, target, i),
            Op::Jal { d, target } => {
                r!(d) = op_pc[i - 1].wrapping_add(4);
                i = target as usize;
            }
            Op::Jalr { d, a, off } => {
                let pc = op_pc[i - 1];
                let target = r!(a).wrapping_add(off as u32) & !1;
                if target == RETURN_ADDRESS {
                    r!(d) = pc.wrapping_add(4);
                    exit!((Interrupt::Finished, 0))
                }
                // Check the target before writing rd: a trapping jump changes nothing.
                let Some((k, cost)) = resolve(module, target) else {
                    trap!(TrapKind::InvalidJumpTarget { target }, i - 1)
                };
                r!(d) = pc.wrapping_add(4);
                if gas < cost as u64 {
                    exit!((Interrupt::OutOfGas, target))
                }
                gas -= cost as u64;
                i = k as usize;
            }
            Op::Ecall => exit!((Interrupt::HostCall(regs[Reg::T0.index()]), op_pc[i - 1].wrapping_add(4))),
            Op::Nop => {}
            Op::Trap { kind } => trap!(kind, i - 1),
            Op::FellOff => {
                let last = op_pc[i - 1];
                trap!(TrapKind::InvalidJumpTarget { target: last.wrapping_add(4) }, i - 1)
            }
        }
    }
}
