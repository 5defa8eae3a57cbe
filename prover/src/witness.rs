//! From an execution to the tables' main traces: runs the interpreter with its
//! trace on, replays every step through the AIR's own model (decoded program,
//! register timestamps, ALU rows, range-check counts) and checks each step against
//! what the interpreter did, so a trace the AIR can't express is an error here
//! rather than a proof that fails to verify.

use alloc::{format, sync::Arc, vec, vec::Vec};

use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use rivet_vm::memory_map::RETURN_ADDRESS;
use rivet_vm::trace::TraceEvent;
use rivet_vm::{GuestInstance, Interrupt, Program, Reg};

use crate::chips::host::HostTables;
use crate::statement::Ending;
use crate::transcript::{HostCall, Transcript};

use crate::buses::op;
use crate::chips::memory::{self, Access, Bounds};
use crate::chips::program::{decoded, Family, ProgramChip};
use crate::chips::{add_sub, bitwise, bytes, cpu, div, index, lt, mul, registers, shift, trap, Circuit};
use crate::config::Val;
use crate::{log_height_for, ProveError, Statement, MAX_LOG_STEPS};

/// Every table's main trace and public values, in `chips::index` order.
pub struct Witness {
    pub traces: Vec<RowMajorMatrix<Val>>,
    pub public_values: Vec<Vec<Val>>,
    pub statement: Statement,
    pub steps: usize,
    /// Each of the 16 tables' rows before padding (what `split` lays out again).
    pub rows: Vec<usize>,
    /// The tables, the host's laid out for this transcript.
    pub circuit: Circuit,
}

struct Rows {
    width: usize,
    values: Vec<Val>,
}

impl Rows {
    fn new(width: usize) -> Self {
        Rows { width, values: Vec::new() }
    }
    fn push(&mut self) -> &mut [Val] {
        let start = self.values.len();
        self.values.resize(start + self.width, Val::ZERO);
        &mut self.values[start..]
    }
    fn len(&self) -> usize {
        self.values.len() / self.width
    }
    fn last_mut(&mut self) -> Option<&mut [Val]> {
        let at = self.values.len().checked_sub(self.width)?;
        Some(&mut self.values[at..])
    }
    /// Padded with zero rows to a power of two, at least one of them (the zero-init
    /// table's last row must be padding).
    fn finish_with_spare_row(self) -> RowMajorMatrix<Val> {
        let log_height = log_height_for(self.len() + 1);
        self.finish_to(log_height)
    }
    /// Padded with zero rows to exactly `2^log_height` rows.
    fn finish_to(mut self, log_height: usize) -> RowMajorMatrix<Val> {
        self.values.resize((1 << log_height) * self.width, Val::ZERO);
        RowMajorMatrix::new(self.values, self.width)
    }
}

/// How often each byte-table entry is asked for.
struct Counts {
    u16: Vec<u32>,
    /// Byte pairs, at `lo | hi << 8`.
    pair: Vec<u32>,
    /// Byte shifts, at `x | m << 8`.
    shl: Vec<u32>,
    and: Vec<u32>,
    or: Vec<u32>,
    xor: Vec<u32>,
}

impl Counts {
    /// Writes `value` as limbs `lo` (16 bits) and `hi` (`hi_bits` bits) into `row`
    /// and counts their range checks (the AIR's `limbs_below`/`limb_checks`).
    fn limbs(&mut self, row: &mut [Val], lo: usize, hi: usize, value: u64, hi_bits: u32) {
        let (l, h) = (value & 0xffff, value >> 16);
        row[lo] = Val::from_u64(l);
        row[hi] = Val::from_u64(h);
        self.u16[l as usize] += 1;
        self.u16[(h << (16 - hi_bits)) as usize] += 1;
    }

    /// The trap row's range checks.
    fn trap_checks(&mut self, row: &mut [Val], checks: trap::Checks) {
        for v in checks.u16s {
            self.u16[v as usize] += 1;
        }
        for (lo, hi) in checks.pairs {
            self.pair[(lo | hi << 8) as usize] += 1;
        }
        for (lo, hi, v, bits) in checks.limbs {
            self.limbs(row, lo, hi, v, bits);
        }
    }

    fn sign_of(&mut self, top_byte: u32) {
        self.and[(top_byte | (0x80 << 8)) as usize] += 1;
    }
}

/// The ALU tables' rows, filled as operations are asked for (by the CPU or by other
/// ALU tables), with the byte-table lookups they make.
struct Alu {
    add_sub: Rows,
    bitwise: Rows,
    lt: Rows,
    mul: Rows,
    shift: Rows,
    div: Rows,
    counts: Counts,
}

impl Alu {
    fn new() -> Alu {
        Alu {
            add_sub: Rows::new(add_sub::WIDTH),
            bitwise: Rows::new(bitwise::WIDTH),
            lt: Rows::new(lt::WIDTH),
            mul: Rows::new(mul::WIDTH),
            shift: Rows::new(shift::WIDTH),
            div: Rows::new(div::WIDTH),
            counts: Counts {
                u16: vec![0; 1 << 16],
                pair: vec![0; 1 << 16],
                shl: vec![0; 1 << 16],
                and: vec![0; 1 << 16],
                or: vec![0; 1 << 16],
                xor: vec![0; 1 << 16],
            },
        }
    }

    fn exec(&mut self, code: u32, a: u32, b: u32) -> Result<u32, ProveError> {
        let mut u16s = Vec::new();
        let mut pairs = Vec::new();
        let mut signs = Vec::new();
        let c = match code {
            op::ADD | op::SUB => {
                let c = add_sub::row(code == op::SUB, a, b, self.add_sub.push());
                pairs.extend([c & 0xffff, c >> 16]);
                c
            }
            op::AND | op::OR | op::XOR => {
                let table = match code {
                    op::AND => &mut self.counts.and,
                    op::OR => &mut self.counts.or,
                    _ => &mut self.counts.xor,
                };
                for i in 0..4 {
                    table[(((a >> (8 * i)) & 0xff) | (((b >> (8 * i)) & 0xff) << 8)) as usize] += 1;
                }
                bitwise::row(code, a, b, self.bitwise.push())
            }
            code if lt::handles(code) => {
                signs.extend([a >> 24, b >> 24]);
                let d = a.wrapping_sub(b);
                pairs.extend([d & 0xffff, d >> 16]);
                lt::row(code, a, b, self.lt.push())
            }
            code if mul::handles(code) => mul::row(code, a, b, self.mul.push(), &mut u16s, &mut pairs, &mut signs),
            code if shift::handles(code) => {
                let (c, lookups) = shift::row(code, a, b, self.shift.push());
                u16s.push(lookups.u16);
                signs.extend(lookups.sign_of);
                for x in lookups.shifted {
                    self.counts.shl[x as usize] += 1;
                }
                c
            }
            code if div::handles(code) => {
                let fx = div::row(code, a, b, self.div.push());
                u16s.extend(fx.u16s);
                pairs.extend(fx.pairs);
                signs.extend(fx.signs);
                if let Some((x, y)) = fx.compare {
                    self.exec(op::SLTU, x, y)?;
                }
                fx.result
            }
            _ => return Err(ProveError::Internal(format!("ALU code {code}"))),
        };
        for v in u16s {
            self.counts.u16[v as usize] += 1;
        }
        for v in pairs {
            self.counts.pair[v as usize] += 1;
        }
        for t in signs {
            self.counts.sign_of(t);
        }
        Ok(c)
    }
}

fn set_bytes(row: &mut [Val], at: usize, v: u32) {
    for i in 0..4 {
        row[at + i] = Val::from_u32((v >> (8 * i)) & 0xff);
    }
}

/// Wraps the instance a host drives and records the transcript: each host call's
/// number and arguments, the memory the host read and wrote, and the registers, gas
/// and heap top it left.
pub struct Recorder {
    inner: rivet_vm::Instance,
    calls: Vec<HostCall>,
    open: Option<HostCall>,
    reads: core::cell::RefCell<Vec<(u32, Vec<u8>)>>,
    last: Option<Interrupt>,
}

impl Recorder {
    fn close(&mut self) {
        if let Some(mut c) = self.open.take() {
            c.reads = core::mem::take(&mut *self.reads.borrow_mut());
            c.results = [self.inner.reg(Reg::A0), self.inner.reg(Reg::A1)];
            c.gas_left = self.inner.gas_left();
            c.heap_top = self.inner.heap_top();
            self.calls.push(c);
        }
    }
}

impl GuestInstance for Recorder {
    fn prepare_call(&mut self, entry: &str, gas: u64) -> Result<(), rivet_vm::CallError> {
        self.inner.prepare_call(entry, gas)
    }
    fn run(&mut self) -> Interrupt {
        self.close();
        let i = self.inner.run();
        if let Interrupt::HostCall(n) = i {
            let args = [Reg::A0, Reg::A1, Reg::A2, Reg::A3, Reg::A4, Reg::A5].map(|r| self.inner.reg(r));
            self.open = Some(HostCall { number: n, args, ..HostCall::default() });
        }
        self.last = Some(i);
        i
    }
    fn reg(&self, r: Reg) -> u32 {
        self.inner.reg(r)
    }
    fn set_reg(&mut self, r: Reg, value: u32) {
        self.inner.set_reg(r, value)
    }
    fn registers(&self) -> [u32; 16] {
        self.inner.registers()
    }
    fn gas_left(&self) -> u64 {
        self.inner.gas_left()
    }
    fn set_gas_left(&mut self, gas: u64) {
        self.inner.set_gas_left(gas)
    }
    fn pc(&self) -> Option<u32> {
        self.inner.pc()
    }
    fn heap_top(&self) -> u32 {
        self.inner.heap_top()
    }
    fn sbrk(&mut self, increment: u32) -> Option<u32> {
        self.inner.sbrk(increment)
    }
    fn read_memory(&self, addr: u32, buf: &mut [u8]) -> Result<(), rivet_vm::MemoryError> {
        self.inner.read_memory(addr, buf)?;
        if self.open.is_some() && !buf.is_empty() {
            self.reads.borrow_mut().push((addr, buf.to_vec()));
        }
        Ok(())
    }
    // One record per read (the default probes both ends first, which would record
    // them as reads of their own).
    fn read_memory_vec(&self, addr: u32, len: u32) -> Result<Vec<u8>, rivet_vm::MemoryError> {
        let v = self.inner.read_memory_vec(addr, len)?;
        if self.open.is_some() && !v.is_empty() {
            self.reads.borrow_mut().push((addr, v.clone()));
        }
        Ok(v)
    }
    fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), rivet_vm::MemoryError> {
        self.inner.write_memory(addr, data)?;
        if let Some(c) = &mut self.open {
            if !data.is_empty() {
                c.writes.push((addr, data.to_vec()));
            }
        }
        Ok(())
    }
}

/// Runs `entry` of `program` with `gas_limit` and no host (a host call is an error).
pub fn generate(program: Arc<Program>, code_hash: [u8; 32], entry: &str, gas_limit: u64) -> Result<Witness, ProveError> {
    generate_with(program, code_hash, entry, gas_limit, |vm| {
        vm.run();
    })
    .and_then(|w| {
        if w.statement.ended_by_host() {
            Err(ProveError::Unsupported(
                "the program makes host calls: prove it with a host (`rivet-vm prove` serves the development host's)".into(),
            ))
        } else {
            Ok(w)
        }
    })
}

/// Runs `entry` of `program` with `gas_limit`; `drive` runs the instance to its end,
/// answering host calls (as `rivet_vm_cli::DevHost::drive` does). Builds the witness
/// of the execution and the statement with its transcript.
pub fn generate_with(
    program: Arc<Program>,
    code_hash: [u8; 32],
    entry: &str,
    gas_limit: u64,
    drive: impl FnOnce(&mut dyn GuestInstance),
) -> Result<Witness, ProveError> {
    if gas_limit >> 48 != 0 {
        return Err(ProveError::Unsupported(format!("gas limit {gas_limit} is above 2^48")));
    }
    let entry_pc = program.entry_point(entry).ok_or_else(|| ProveError::NoEntry(entry.into()))?;
    let chip = ProgramChip::new(&program);
    let module = Arc::new(rivet_vm::Module::new(program.clone()));
    let mut instance = rivet_vm::Instance::new(module);
    instance.enable_trace();
    instance.prepare_call(entry, gas_limit).map_err(|e| ProveError::NoEntry(format!("{entry}: {e:?}")))?;
    let mut recorder = Recorder { inner: instance, calls: Vec::new(), open: None, reads: Default::default(), last: None };
    drive(&mut recorder);
    recorder.close();
    let ending = match &recorder.last {
        Some(Interrupt::Finished) => Some(Ending::Returned),
        Some(Interrupt::HostCall(_)) => Some(Ending::EndedByHost),
        Some(Interrupt::Trap(t)) => Ending::of_trap(&t.kind),
        Some(Interrupt::OutOfGas) => Some(Ending::OutOfGas),
        None => None,
    }
    .ok_or_else(|| ProveError::Internal(format!("the execution ended with {:?}", recorder.last)))?;
    let memory_trap = matches!(ending, Ending::Misaligned | Ending::LoadFault | Ending::StoreFault | Ending::ReadOnlyWrite);
    let ended_by_host = ending == Ending::EndedByHost;
    let transcript = Transcript { calls: core::mem::take(&mut recorder.calls) };
    let final_gas = recorder.inner.gas_left();
    let events = recorder.inner.take_trace();
    let steps: Vec<&rivet_vm::trace::Step> = events
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Step(s) => Some(s),
            _ => None,
        })
        .collect();
    let word_accesses =
        transcript.word_accesses().ok_or_else(|| ProveError::Unsupported("a host access that wraps around memory".into()))?;
    let mut next_word_access = 0usize;
    let mut ecall_clks: Vec<u64> = Vec::new();
    let mut host_call_rows = Rows::new(crate::chips::host::call::WIDTH);
    let mut host_memory_rows = Rows::new(crate::chips::host::memory::WIDTH);

    let mut cpu_rows = Rows::new(cpu::WIDTH);
    let mut alu = Alu::new();
    let mut memory_rows = Rows::new(memory::WIDTH);
    let mut trap_rows = Rows::new(trap::WIDTH);
    let bounds = Bounds::of(&program);
    let image = bounds.image(&program);
    // Each touched word's value and last access time.
    let mut words: alloc::collections::BTreeMap<u32, (u32, u64)> = alloc::collections::BTreeMap::new();
    let mut u16s: Vec<u32> = Vec::new();
    let mut program_mult = vec![0u32; 1 << chip.log_height];

    let mut regs = rivet_vm::entry_registers();
    let mut last_ts = [0u64; 16];
    let mut gas = gas_limit;
    let mut heap = bounds.heap_base;
    let mut prev_transfer = true; // the call's start counts as entering
    let mut halted = false;

    for (step_index, &step) in steps.iter().enumerate() {
        if halted {
            return Err(ProveError::Internal("steps after the end".into()));
        }
        let clk = cpu_rows.len() as u64;
        if clk >> MAX_LOG_STEPS != 0 {
            return Err(ProveError::Unsupported(format!("more than 2^{MAX_LOG_STEPS} steps")));
        }
        let index = program.index_of_pc(step.pc).ok_or_else(|| ProveError::Internal(format!("pc {:#x} outside the code", step.pc)))?;
        let d = chip.rows[index];
        let family = d.family.ok_or_else(|| {
            ProveError::Unsupported(format!("`{:?}` at {:#x} (not in the AIR yet)", program.instructions()[index], step.pc))
        })?;
        program_mult[index] += 1;
        let row = cpu_rows.push();
        d.write_row(&mut row[..decoded::WIDTH]);
        row[cpu::CLK] = Val::from_u64(clk);
        row[cpu::REAL] = Val::ONE;
        row[cpu::HEAP] = Val::from_u32(heap);

        let (a, b_reg) = (regs[d.rs1 as usize], regs[d.rs2 as usize]);
        set_bytes(row, cpu::RS1_VAL, a);
        set_bytes(row, cpu::RS2_VAL, b_reg);
        let b = match family {
            Family::AluReg | Family::Branch => b_reg,
            _ => d.imm,
        };
        let res = match family {
            Family::AluReg | Family::AluImm | Family::Branch | Family::Jalr | Family::Load | Family::Store => alu.exec(d.alu_op, a, b)?,
            _ => 0,
        };
        set_bytes(row, cpu::RES, res);
        let last_step = step_index + 1 == steps.len();
        // A trapping step changes no register (it writes rd's old value back).
        let mut traps = false;
        // Loads and stores, against the model of memory.
        let mut loaded = 0;
        if matches!(family, Family::Load | Family::Store) && memory_trap && last_step {
            // The trap table proves why the access traps; memory isn't touched.
            let value = if family == Family::Load { regs[d.rd as usize] } else { b_reg };
            let trow = trap_rows.push();
            let (code, checks) = trap::memory_row(trow, d.mem_kind, res, value, clk, heap, &bounds)
                .ok_or_else(|| ProveError::Internal(format!("the access at {:#x} traps in the interpreter, not in the AIR", step.pc)))?;
            if code != ending.trap_code() || step.mem.is_some() {
                return Err(ProveError::Internal(format!("trap at {:#x}: interpreter {ending:?}, AIR code {code}", step.pc)));
            }
            alu.counts.trap_checks(trow, checks);
            row[cpu::MTRAP] = Val::ONE;
            row[cpu::TCODE] = Val::from_u32(code);
            traps = true;
            halted = true;
        } else if matches!(family, Family::Load | Family::Store) {
            let addr = res;
            let w = addr >> 2;
            let initial = if (bounds.image_lo..bounds.image_hi).contains(&w) { image[(w - bounds.image_lo) as usize] } else { 0 };
            let (old, prev_ts) = words.get(&w).copied().unwrap_or((initial, 0));
            let shift = 8 * (addr & 3);
            let (new, value) = match program.instructions()[index] {
                rivet_vm::Instruction::Load { kind, .. } => {
                    loaded = kind.extend(old >> shift);
                    (old, loaded)
                }
                rivet_vm::Instruction::Store { kind, .. } => {
                    let mask = match kind.size() {
                        1 => 0xffu32,
                        2 => 0xffff,
                        _ => u32::MAX,
                    } << shift;
                    ((old & !mask) | ((b_reg << shift) & mask), b_reg)
                }
                _ => (old, 0),
            };
            match step.mem {
                Some(m) if m.addr == addr && (m.write || m.value == value) => {}
                other => {
                    return Err(ProveError::Internal(format!(
                        "memory access at {:#x}: interpreter {other:?}, AIR {addr:#x} = {value:#x}",
                        step.pc
                    )))
                }
            }
            let access = Access { kind: d.mem_kind, addr, value, clk, heap, old, new, prev_ts };
            u16s.clear();
            if let Some(src) = memory::row(&access, &bounds, memory_rows.push(), &mut u16s) {
                alu.counts.and[(src | (0x80 << 8)) as usize] += 1;
            }
            for &v in &u16s {
                alu.counts.u16[v as usize] += 1;
            }
            words.insert(w, (new, 8 * clk + 4));
        }
        if family == Family::Jalr && ending == Ending::InvalidJumpTarget && last_step {
            let trow = trap_rows.push();
            let checks = trap::jump_row(trow, res & !1, bounds.code_size)
                .ok_or_else(|| ProveError::Internal(format!("the jalr at {:#x} traps in the interpreter, not in the AIR", step.pc)))?;
            alu.counts.trap_checks(trow, checks);
            row[cpu::JTRAP] = Val::ONE;
            traps = true;
            halted = true;
        }
        let rd_val = match family {
            _ if traps => regs[d.rd as usize],
            Family::AluReg | Family::AluImm => res,
            Family::Branch | Family::Store => 0,
            Family::Load => loaded,
            _ => d.static_value,
        };
        set_bytes(row, cpu::RD_VAL, rd_val);
        set_bytes(row, cpu::RD_OLD, regs[d.rd as usize]);

        // Register accesses and their timestamps.
        for (k, (reg, counted)) in [(d.rs1, true), (d.rs2, true), (d.rd, d.writes_rd)].into_iter().enumerate() {
            if !counted {
                continue;
            }
            let now = 8 * clk + k as u64 + 1;
            let prev = last_ts[reg as usize];
            row[cpu::PREV_TS + k] = Val::from_u64(prev);
            alu.counts.limbs(row, cpu::TS_LO + k, cpu::TS_HI + k, now - prev - 1, 11);
            last_ts[reg as usize] = now;
        }
        if d.writes_rd {
            regs[d.rd as usize] = rd_val;
        }

        // The next pc.
        let mut next_pc = d.pc.wrapping_add(4);
        match family {
            Family::Branch if res == 1 => next_pc = d.target,
            Family::Jal => next_pc = d.target,
            Family::Jalr => {
                let half0 = (res & 0xff) >> 1;
                row[cpu::HALF0] = Val::from_u32(half0);
                row[cpu::BIT0] = Val::from_u32(res & 1);
                alu.counts.u16[half0 as usize] += 1;
                next_pc = res & !1;
                if next_pc == RETURN_ADDRESS {
                    row[cpu::HALT] = Val::ONE;
                    halted = true;
                }
            }
            _ => {}
        }
        // A trap has no next instruction.
        row[cpu::NEXT_PC] = if family == Family::Trap { Val::ZERO } else { Val::from_u32(next_pc) };

        // Gas.
        let charge = prev_transfer || d.block_start;
        let cost = if charge { d.entry_cost as u64 } else { 0 };
        if step.gas_charged as u64 != cost || step.gas_left + cost != gas {
            return Err(ProveError::Internal(format!(
                "gas at {:#x}: the interpreter charged {} from {}, the AIR {cost} from {gas}",
                step.pc,
                step.gas_charged,
                step.gas_left + step.gas_charged as u64
            )));
        }
        row[cpu::CHARGE] = Val::from_bool(charge);
        row[cpu::T_IN] = Val::from_bool(prev_transfer);
        let before = cpu::gas_limbs(gas);
        let after_value = gas - cost;
        let after = cpu::gas_limbs(after_value);
        let (c_lo, c_hi) = (cost as u32 & 0xffff, (cost >> 16) as u32);
        let borrow0 = before[0] < c_lo;
        let borrow1 = (before[1] as u64) < c_hi as u64 + borrow0 as u64;
        for i in 0..3 {
            row[cpu::GAS + i] = Val::from_u32(before[i]);
            row[cpu::GAS_AFTER + i] = Val::from_u32(after[i]);
            // The next step's gas: this step's after it, unless a host call (below) charged more.
            row[cpu::NEXT_GAS + i] = Val::from_u32(after[i]);
            alu.counts.u16[after[i] as usize] += 1;
        }
        row[cpu::NEXT_HEAP] = Val::from_u32(heap);
        row[cpu::GAS_BORROW] = Val::from_bool(borrow0);
        row[cpu::GAS_BORROW + 1] = Val::from_bool(borrow1);
        gas = after_value;
        prev_transfer = matches!(family, Family::Branch | Family::Jal | Family::Jalr | Family::Ecall);
        if family == Family::Trap {
            halted = true;
        }

        // A host call: its transcript entry, the registers and memory it touched.
        if family == Family::Ecall {
            let k = ecall_clks.len();
            let call = transcript.calls.get(k).ok_or_else(|| ProveError::Internal("an ecall without a transcript entry".into()))?;
            ecall_clks.push(clk);
            if call.number != a {
                return Err(ProveError::Internal(format!("host call number: t0 = {a}, transcript {}", call.number)));
            }
            let end = ended_by_host && step_index + 1 == steps.len();
            row[cpu::END] = Val::from_bool(end);
            halted |= end;
            for (i, limb) in cpu::gas_limbs(call.gas_left).into_iter().enumerate() {
                row[cpu::NEXT_GAS + i] = Val::from_u32(limb);
            }
            row[cpu::NEXT_HEAP] = Val::from_u32(call.heap_top / 4);
            let hrow = host_call_rows.push();
            for (j, &arg) in call.args.iter().enumerate() {
                let reg = 10 + j;
                if regs[reg] != arg {
                    return Err(ProveError::Internal(format!("host call argument a{j}: register {:#x}, transcript {arg:#x}", regs[reg])));
                }
                let now = 8 * clk + 5;
                use crate::chips::host::call::{PREV_TS, TS_HI, TS_LO};
                hrow[PREV_TS + j] = Val::from_u64(last_ts[reg]);
                alu.counts.limbs(hrow, TS_LO + j, TS_HI + j, now - last_ts[reg] - 1, 11);
                last_ts[reg] = now;
            }
            for j in 0..2 {
                regs[10 + j] = call.results[j];
                last_ts[10 + j] = 8 * clk + 6;
            }
            while let Some(wa) = word_accesses.get(next_word_access).filter(|wa| wa.call == k) {
                next_word_access += 1;
                let w = wa.word;
                let initial = if (bounds.image_lo..bounds.image_hi).contains(&w) { image[(w - bounds.image_lo) as usize] } else { 0 };
                let (old, prev_ts) = words.get(&w).copied().unwrap_or((initial, 0));
                let mut new = old;
                for j in 0..4 {
                    let shift = 8 * j as u32;
                    if wa.read_mask[j] && (old >> shift) & 0xff != wa.read[j] as u32 {
                        return Err(ProveError::Internal(format!("host read of {:#x}: memory holds another value", 4 * w + j as u32)));
                    }
                    if wa.write_mask[j] {
                        new = (new & !(0xff << shift)) | (wa.written[j] as u32) << shift;
                    }
                }
                let now = 8 * clk + 7;
                use crate::chips::host::memory::{OLD, PREV_TS, TS_HI, TS_LO};
                let mrow = host_memory_rows.push();
                set_bytes(mrow, OLD, old);
                mrow[PREV_TS] = Val::from_u64(prev_ts);
                alu.counts.limbs(mrow, TS_LO, TS_HI, now - prev_ts - 1, 11);
                words.insert(w, (new, now));
            }
            gas = call.gas_left;
            heap = call.heap_top / 4;
        }

        // The interpreter must agree with the model.
        if let Some((_, v)) = step.rd {
            if d.writes_rd && v != rd_val {
                return Err(ProveError::Internal(format!("rd at {:#x}: interpreter {v:#x}, AIR {rd_val:#x}", step.pc)));
            }
        }
        if !halted {
            if let Some(n) = steps.get(step_index + 1) {
                if n.pc != next_pc {
                    return Err(ProveError::Internal(format!("next pc after {:#x}: interpreter {:#x}, AIR {next_pc:#x}", step.pc, n.pc)));
                }
            }
        }
    }
    let mut program_cost_mult = vec![0u32; 1 << chip.log_height];
    if ending == Ending::OutOfGas {
        // The last step is followed by the entry the gas didn't cover.
        let Some(TraceEvent::OutOfGas { pc, needed }) = events.last() else {
            return Err(ProveError::Internal("out of gas without its trace event".into()));
        };
        let index = program.index_of_pc(*pc).ok_or_else(|| ProveError::Internal("out of gas outside the code".into()))?;
        let d = chip.rows[index];
        if gas >> 32 != 0 || (*needed as u64) <= gas || d.entry_cost != *needed {
            return Err(ProveError::Internal(format!("out of gas entering {pc:#x}: needed {needed}, left {gas}")));
        }
        // With no step, nothing ran: `prove` states that without a trace.
        let row = cpu_rows
            .last_mut()
            .ok_or_else(|| ProveError::Unsupported("out of gas before the first instruction: nothing ran, there is no trace".into()))?;
        if row[cpu::NEXT_PC] != Val::from_u32(*pc) {
            return Err(ProveError::Internal("out of gas elsewhere than the next instruction".into()));
        }
        row[cpu::OOG] = Val::ONE;
        let trow = trap_rows.push();
        let checks = trap::out_of_gas_row(trow, *pc, gas, prev_transfer, *needed, d.block_start)
            .ok_or_else(|| ProveError::Internal(format!("out of gas entering {pc:#x} with {gas} left, not in the AIR")))?;
        alu.counts.trap_checks(trow, checks);
        program_cost_mult[index] += 1;
        halted = true;
    }
    if ending == Ending::InvalidJumpTarget && !halted {
        // Fell off the end of the code: the last step's next pc is the code's end.
        let code_end = rivet_vm::memory_map::CODE_BASE + bounds.code_size;
        let row = cpu_rows.last_mut().ok_or_else(|| ProveError::Internal("a jump trap before any step".into()))?;
        if row[cpu::NEXT_PC] != Val::from_u32(code_end) || row[cpu::F_JALR] != Val::ZERO {
            return Err(ProveError::Internal("a jump trap the AIR doesn't see".into()));
        }
        row[cpu::FALLOFF] = Val::ONE;
        let trow = trap_rows.push();
        let checks = trap::jump_row(trow, code_end, bounds.code_size)
            .ok_or_else(|| ProveError::Internal("the code's end is an instruction".into()))?;
        alu.counts.trap_checks(trow, checks);
        halted = true;
    }
    if !halted {
        return Err(ProveError::Internal(format!("the execution did not end as the interpreter says ({ending:?})")));
    }
    if ecall_clks.len() != transcript.calls.len() {
        return Err(ProveError::Internal("host calls and ecalls differ in number".into()));
    }
    if gas != final_gas {
        return Err(ProveError::Internal("gas left differs from the interpreter's".into()));
    }

    let step_count = cpu_rows.len();
    let mut program_trace = RowMajorMatrix::new(Val::zero_vec(2 << chip.log_height), 2);
    for (row, (m, c)) in program_trace.values.chunks_mut(2).zip(program_mult.iter().zip(&program_cost_mult)) {
        row[crate::chips::program::MULT] = Val::from_u32(*m);
        row[crate::chips::program::M_COST] = Val::from_u32(*c);
    }
    let mut registers_trace = RowMajorMatrix::new(Val::zero_vec(16 * registers::main::WIDTH), registers::main::WIDTH);
    for (r, row) in registers_trace.values.chunks_mut(registers::main::WIDTH).enumerate() {
        set_bytes(row, registers::main::FINAL, regs[r]);
        row[registers::main::FINAL_TS] = Val::from_u64(last_ts[r]);
    }
    let mut image_trace =
        RowMajorMatrix::new(Val::zero_vec((1 << log_height_for(image.len())) * memory::image::WIDTH), memory::image::WIDTH);
    for (i, (row, &initial)) in image_trace.values.chunks_mut(memory::image::WIDTH).zip(&image).enumerate() {
        let (value, ts) = words.get(&(bounds.image_lo + i as u32)).copied().unwrap_or((initial, 0));
        set_bytes(row, memory::image::FINAL, value);
        row[memory::image::FINAL_TS] = Val::from_u64(ts);
    }
    let zero_init: Vec<(u32, (u32, u64))> =
        words.iter().filter(|(w, _)| !(bounds.image_lo..bounds.image_hi).contains(w)).map(|(&w, &v)| (w, v)).collect();
    let mut zero_rows = Rows::new(memory::zero_init::WIDTH);
    for (k, &(w, (value, ts))) in zero_init.iter().enumerate() {
        use memory::zero_init::*;
        let row = zero_rows.push();
        row[REAL] = Val::ONE;
        alu.counts.limbs(row, W_LO, W_HI, w as u64, 10);
        set_bytes(row, FINAL, value);
        row[FINAL_TS] = Val::from_u64(ts);
        let below = w < bounds.image_lo;
        row[BELOW] = Val::from_bool(below);
        let gap = if below { bounds.image_lo - 1 - w } else { w - bounds.image_hi };
        alu.counts.limbs(row, D_LO, D_HI, gap as u64, 10);
        if let Some(&(next, _)) = zero_init.get(k + 1) {
            row[NEXT_REAL] = Val::ONE;
            alu.counts.limbs(row, N_LO, N_HI, (next - w - 1) as u64, 10);
        }
    }

    let mut bytes_trace = RowMajorMatrix::new(Val::zero_vec((1 << bytes::LOG_HEIGHT) * bytes::main::WIDTH), bytes::main::WIDTH);
    for (i, row) in bytes_trace.values.chunks_mut(bytes::main::WIDTH).enumerate() {
        row[bytes::main::M_U16] = Val::from_u32(alu.counts.u16[i]);
        row[bytes::main::M_PAIR] = Val::from_u32(alu.counts.pair[i]);
        row[bytes::main::M_SHL] = Val::from_u32(alu.counts.shl[i]);
        row[bytes::main::M_AND] = Val::from_u32(alu.counts.and[i]);
        row[bytes::main::M_OR] = Val::from_u32(alu.counts.or[i]);
        row[bytes::main::M_XOR] = Val::from_u32(alu.counts.xor[i]);
    }

    let statement = Statement {
        code_hash,
        entry: entry_pc,
        gas_limit,
        gas_left: gas,
        a0: regs[rivet_vm::Reg::A0.index()],
        a1: regs[rivet_vm::Reg::A1.index()],
        ending,
        transcript,
    };
    let host =
        HostTables::new(&statement.transcript, &ecall_clks, ended_by_host).ok_or_else(|| ProveError::Internal("host tables".into()))?;
    let mut host_call_trace = host_call_rows.finish_to(host.call_log_height);
    HostTables::copy_public(&host.call_columns, &mut host_call_trace.values, crate::chips::host::call::WIDTH);
    let mut host_memory_trace = host_memory_rows.finish_to(host.memory_log_height);
    HostTables::copy_public(&host.memory_columns, &mut host_memory_trace.values, crate::chips::host::memory::WIDTH);
    let mut rows = vec![0; index::COUNT];
    // Of the row-independent tables, only the one whose split saves the most cells is
    // split: every part adds its width to each query's openings, and proofs stay
    // under 1 MB.
    let saved = |r: &Rows| {
        let total: usize = table_parts_for(r.len()).iter().map(|&h| 1usize << h).sum();
        ((1usize << log_height_for(r.len())) - total) * r.width
    };
    let candidates = [
        (index::ADD_SUB, saved(&alu.add_sub)),
        (index::BITWISE, saved(&alu.bitwise)),
        (index::LT, saved(&alu.lt)),
        (index::MEMORY, saved(&memory_rows)),
        (index::MUL, saved(&alu.mul)),
        (index::SHIFT, saved(&alu.shift)),
        (index::DIV, saved(&alu.div)),
    ];
    let best = candidates.iter().filter(|c| c.1 > 0).max_by_key(|c| c.1).map(|c| c.0);
    // The splittable tables in parts; the first part in the table's place, the others
    // after the 16 tables.
    let mut extra_tables = Vec::new();
    let mut extra_traces = Vec::new();
    let mut split = |table: usize, r: Rows| {
        rows[table] = r.len();
        let mut parts = if table == index::CPU {
            segment_cpu(r.values, &cpu_segments_for(rows[table]))
        } else {
            let plan = if Some(table) == best { table_parts_for(rows[table]) } else { vec![log_height_for(rows[table])] };
            split_rows(r.values, r.width, &vec![Val::ZERO; r.width], &plan)
        };
        let first = parts.remove(0);
        extra_tables.extend(parts.iter().map(|_| table));
        extra_traces.extend(parts);
        first
    };
    let mut traces = vec![
        program_trace,
        split(index::CPU, cpu_rows),
        registers_trace,
        bytes_trace,
        split(index::ADD_SUB, alu.add_sub),
        split(index::BITWISE, alu.bitwise),
        split(index::LT, alu.lt),
        split(index::MEMORY, memory_rows),
        image_trace,
        zero_rows.finish_with_spare_row(),
        split(index::MUL, alu.mul),
        split(index::SHIFT, alu.shift),
        split(index::DIV, alu.div),
        host_call_trace,
        host_memory_trace,
        trap_rows.finish_to(trap::LOG_HEIGHT),
    ];
    traces.extend(extra_traces);
    let mut circuit = Circuit { extra_tables, ..Circuit::new(&program).with_host(host) };
    debug_assert_eq!(traces.len(), circuit.airs().len());
    circuit.seams = circuit.read_seams(&traces);
    let public_values = circuit.public_values(&statement);
    Ok(Witness { traces, public_values, statement, steps: step_count, rows, circuit })
}

/// One table's worth of rows, or two when that pads a quarter less: `one`, or a
/// full `head` and the rest in `tail`. Short tables stay whole: each part costs proof
/// size and verifying time.
fn one_or_two(rows: usize, one: usize, head: usize, tail: usize) -> Vec<usize> {
    if rows >= 1 << 12 && (1usize << head) + (1 << tail) <= 3 << (one - 2) {
        vec![head, tail]
    } else {
        vec![one]
    }
}

/// The heights (log2) of the parts of a table whose rows are independent.
pub fn table_parts_for(rows: usize) -> Vec<usize> {
    let one = log_height_for(rows);
    if rows < 2 || rows.is_power_of_two() {
        return vec![one];
    }
    let head = rows.ilog2() as usize;
    one_or_two(rows, one, head, log_height_for(rows - (1 << head)))
}

/// Pads `values` (real rows) with `padding` to the parts' total and cuts it into them.
fn split_rows(mut values: Vec<Val>, width: usize, padding: &[Val], log_heights: &[usize]) -> Vec<RowMajorMatrix<Val>> {
    let total: usize = log_heights.iter().map(|&h| 1usize << h).sum();
    while values.len() < total * width {
        values.extend_from_slice(padding);
    }
    let mut parts = Vec::with_capacity(log_heights.len());
    for &h in log_heights {
        let rest = values.split_off((1 << h) * width);
        parts.push(RowMajorMatrix::new(core::mem::replace(&mut values, rest), width));
    }
    parts
}

/// The heights (log2) of the CPU tables for `steps` rows: one table, its last row
/// padding — or, when that would be over a quarter padding, a full table of the
/// largest power of two below `steps` and the rest in a second. (More segments would
/// pad less, but each adds ~60 KiB to the proof.)
pub fn cpu_segments_for(steps: usize) -> Vec<usize> {
    let one = log_height_for(steps + 1);
    if steps < 2 {
        return vec![one];
    }
    // The last segment needs a real row, so the first holds at most steps - 1.
    let head = (steps - 1).ilog2() as usize;
    one_or_two(steps, one, head, log_height_for(steps - (1 << head) + 1))
}

/// Cuts the CPU rows (`values`, real rows only) into tables of the given heights, the
/// last padded with rows that keep counting the clock.
fn segment_cpu(mut values: Vec<Val>, log_heights: &[usize]) -> Vec<RowMajorMatrix<Val>> {
    let steps = values.len() / cpu::WIDTH;
    let total: usize = log_heights.iter().map(|&h| 1usize << h).sum();
    debug_assert!(total > steps && total - (1 << log_heights[log_heights.len() - 1]) < steps);
    values.resize(total * cpu::WIDTH, Val::ZERO);
    for (i, row) in values.chunks_mut(cpu::WIDTH).enumerate().skip(steps) {
        row[cpu::CLK] = Val::from_u64(i as u64);
    }
    let mut segments = Vec::with_capacity(log_heights.len());
    for &h in log_heights {
        let rest = values.split_off((1 << h) * cpu::WIDTH);
        segments.push(RowMajorMatrix::new(core::mem::replace(&mut values, rest), cpu::WIDTH));
    }
    segments
}

impl Witness {
    /// Lays a splittable table's rows out again in parts of the given heights (log2),
    /// e.g. to test the seams on short executions. The heights must hold the rows (and,
    /// for the CPU, leave the last segment a real row and a padding row).
    pub fn split(&mut self, table: usize, log_heights: &[usize]) {
        let parts: Vec<usize> = self.circuit.parts_of(table).collect();
        let width = self.traces[table].width;
        let mut values = Vec::new();
        for &p in &parts {
            values.extend_from_slice(&self.traces[p].values);
        }
        values.truncate(self.rows[table] * width);
        for &p in parts.iter().skip(1).rev() {
            self.traces.remove(p);
            self.circuit.extra_tables.remove(p - index::COUNT);
        }
        let mut new_parts = if table == index::CPU {
            segment_cpu(values, log_heights)
        } else {
            split_rows(values, width, &vec![Val::ZERO; width], log_heights)
        }
        .into_iter();
        self.traces[table] = new_parts.next().expect("a part");
        for part in new_parts {
            self.traces.push(part);
            self.circuit.extra_tables.push(table);
        }
        self.circuit.seams = self.circuit.read_seams(&self.traces);
        self.public_values = self.circuit.public_values(&self.statement);
    }
}
