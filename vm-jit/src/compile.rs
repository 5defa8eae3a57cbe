//! The single-pass compiler: one walk over a validated program's instructions, each
//! emitted as x86-64 with its semantics from SPEC.md, block gas checks at block
//! starts, and out-of-line stubs for the rare paths (out of gas, traps).
//!
//! Register use: the GS segment base = guest memory base (`segment`; the context at
//! gs:-CTX_SIZE); r14 = gas left (written back to the context at every exit); rax and
//! rcx are scratch; the twelve guest registers a program uses most live in host
//! registers (`allocate`; tight loops may swap some, `loop_regions`), the rest in
//! stack slots. Guest memory is addressed as
//! `gs:[rcx]` (rcx = the wrapped, checked 32-bit guest address) or, where no check is
//! needed or the check can test the register itself (an offset that is a multiple of
//! the size), as `gs:[reg + offset]` (a host register's zero-extended guest value
//! plus an offset of at most ±2 KiB); either way only the reservation and its guards
//! are reachable.
//!
//! Alignment: a block that has checked a word access at `reg + 4k` knows `reg` is a
//! multiple of 4 (`aligned_after`) and leaves out later checks on it; entries into the
//! middle of such a block go through checked copies (`checked_copies`). A loop whose
//! body is one block keeps what was known on falling into it, where its body keeps it
//! too (`loop_alignment`); its back edge jumps straight back, every other way in
//! tests those registers first (`Stub::LoopEntry`).

// dynasm's expansion of dynamic registers (`Rd(h)` with `h: u8`) converts u8 to u8.
#![allow(clippy::useless_conversion)]

use std::sync::{Arc, OnceLock};

use dynasmrt::{dynasm, AssemblyOffset, DynamicLabel, DynasmApi, DynasmLabelApi};
use rivet_vm::isa::{AluOp, BranchKind, Instruction, LoadKind, Reg, StoreKind};
use rivet_vm::memory_map::{CODE_BASE, RETURN_ADDRESS};
use rivet_vm::Program;

use crate::allocation::{allocate, backward_jumps, loop_regions, RegMap, Region, NONE};
use crate::assembler::Assembler;
use crate::code_buffer::CodeBuffer;
use crate::context::*;
use crate::sandbox::SandboxPool;
use crate::signals::FaultSite;

const EAX: u8 = 0;
const ECX: u8 = 1;

/// Where a guest register without a host register lives while compiled code runs:
/// `[rsp + slot]`, in the frame the entry trampoline makes (copied from and back to the
/// context at entry and exit). Stack slots, not GS-relative context fields: a store
/// to `[rsp + offset]` reaches its reload at no cost on AMD cores, and the hot loops
/// that keep a guest register in memory store and reload it every iteration.
fn slot(r: Reg) -> i32 {
    4 * r.index() as i32
}

/// The trampoline's frame: the sixteen slots, then the context's table pointers
/// (`dispatch` reads them on every dynamic jump).
const FRAME: i32 = 80;
const FRAME_COST_TABLE: i32 = 64;
const FRAME_JUMP_TABLE: i32 = 72;

fn context_slot(r: Reg) -> i32 {
    REGS + 4 * r.index() as i32
}

/// How a load or store addresses guest memory.
#[derive(Clone, Copy)]
enum Addr {
    /// `gs:[rcx]`, rcx = the guest address (wrapped to 32 bits, checked).
    Ecx,
    /// `gs:[reg + offset]`: the guest register in host register `reg` plus the
    /// offset, not wrapped; needs no alignment check.
    Direct(u8, i32),
}

/// Where a guest register lives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loc {
    Zero,
    Host(u8),
    Mem(i32),
}

/// A program compiled to native code. Shared by every instance of the program.
pub struct JitModule {
    pub(crate) program: Arc<Program>,
    pub(crate) code: CodeBuffer,
    pub(crate) entry: AssemblyOffset,
    pub(crate) sites: Vec<FaultSite>,
    pub(crate) jump_table: Vec<u64>,
    pub(crate) cost_table: Vec<u32>,
    /// Sandboxes of finished instances, reset for the next ones.
    pub(crate) sandboxes: SandboxPool,
    /// The loops compiled with register mappings of their own: first and last pc.
    pub(crate) loops: Vec<(u32, u32)>,
    /// The loops whose code assumes what falling into them knew about alignment:
    /// first pc and the registers (bit per register).
    pub(crate) kept_loops: Vec<(u32, u16)>,
    /// When compiled without the checked copies dynamic jumps into the middle of
    /// blocks need (`compile`), those jumps exit with `EXIT_NEEDS_COPIES` and the
    /// instance goes on in this, compiled the first time one is needed.
    pub(crate) with_copies: OnceLock<Result<Arc<JitModule>, CompileError>>,
}

impl JitModule {
    /// Bytes of native code (the code buffer).
    pub fn code_size(&self) -> usize {
        self.code.len()
    }

    /// The loops compiled with register mappings of their own, as (first pc, last pc).
    pub fn loops_with_own_mapping(&self) -> &[(u32, u32)] {
        &self.loops
    }

    /// The loops whose code assumes registers known aligned on falling in, as (first
    /// pc, the registers: bit per register).
    pub fn loops_keeping_alignment(&self) -> &[(u32, u16)] {
        &self.kept_loops
    }

    /// The native code, and where in it each guest instruction is entered from a
    /// dynamic jump (for disassembling what the compiler made of a program).
    pub fn native_code(&self) -> (&[u8], Vec<usize>) {
        let start = self.code.ptr(AssemblyOffset(0)) as u64;
        (self.code.bytes(), self.jump_table.iter().map(|&p| (p - start) as usize).collect())
    }

    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// Bytes of native code this module holds: its own, and that of the module with
    /// every checked copy once an instance has needed it.
    pub fn held_code_size(&self) -> usize {
        let copies = self.with_copies.get().and_then(|m| m.as_ref().ok());
        self.code_size() + copies.map_or(0, |m| m.code_size())
    }

    /// This program compiled with every checked copy: the module to go on in after
    /// `EXIT_NEEDS_COPIES` (compiled once, by whichever instance needs it first).
    pub(crate) fn with_copies(&self) -> Result<Arc<JitModule>, CompileError> {
        self.with_copies.get_or_init(|| compile_module(self.program.clone(), true).map(Arc::new)).clone()
    }
}

// The code buffer is immutable once finalised; tables are read-only.
unsafe impl Send for JitModule {}
unsafe impl Sync for JitModule {}

#[derive(Clone, Debug)]
pub struct CompileError(pub String);

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JIT compilation failed: {}", self.0)
    }
}

impl std::error::Error for CompileError {}

/// Which register mapping code is compiled with: the program's (`None`) or a loop
/// region's (`Some(index)`). Stubs name it rather than hold the map: a 16-byte copy
/// read back whole right after it was written piecewise stalled store forwarding, a
/// few percent of compiling.
type Mapping = Option<u32>;

/// Out-of-line code. Those entered from a loop with its own mapping (`map`) switch
/// back to the program's mapping before exiting.
#[derive(Clone, Copy)]
enum Stub {
    OutOfGas {
        label: DynamicLabel,
        cost: u32,
        pc: u32,
        map: Mapping,
    },
    /// Trap whose argument is in ecx (misaligned address, bad jump target), or is
    /// first put there as `host register + offset` (`ecx_from`).
    TrapEcx {
        label: DynamicLabel,
        trap: u32,
        pc: u32,
        map: Mapping,
        ecx_from: Option<(u8, i32)>,
    },
    /// A jump between code compiled with different mappings: the moves, then the jump.
    Edge {
        label: DynamicLabel,
        from: Mapping,
        to: Mapping,
        target: DynamicLabel,
    },
    Finish {
        label: DynamicLabel,
        rd: Reg,
        link: u32,
    },
    /// How static jumps other than its own back edge enter a loop that keeps its
    /// entry's alignment knowledge (`loop_alignment`): the gas check, then the
    /// registers the loop assumes tested; aligned, on to the loop's code (`fast`),
    /// else to the checked copy of its first instruction (as a dynamic jump there).
    LoopEntry {
        label: DynamicLabel,
        kept: u32,
    },
    /// Out-of-line full `jalr` for dynamic entries onto a fused call.
    DynamicJalr {
        label: DynamicLabel,
        pc: u32,
        rd: Reg,
        rs1: Reg,
        offset: i32,
    },
}

struct Emitter<'p> {
    ops: Assembler,
    program: &'p Program,
    /// The mapping of the code being emitted: `global`, or a loop's.
    host: RegMap,
    global: RegMap,
    /// Sorted by start, disjoint.
    regions: Vec<Region>,
    /// Per region: where a memory fault inside it resumes (moves back, then the exit).
    fault_pads: Vec<DynamicLabel>,
    /// Per fault site, the region its code is in.
    site_regions: Vec<Option<u32>>,
    fault_exit: DynamicLabel,
    /// The region being emitted (its mapping is `host`).
    current_region: Option<u32>,
    block: Vec<Option<DynamicLabel>>,
    /// Where control entering each instruction other than by falling through goes: a
    /// dynamic jump, a resume, a direct call (`entry` labels back the jump table).
    entry: Vec<DynamicLabel>,
    /// Guest registers known to hold a multiple of 4 at the point being emitted (bit
    /// per register; x0's always set while tracking). Loads and stores based on one,
    /// at an offset that is a multiple of their size, can't be misaligned.
    aligned: u16,
    /// False while emitting a checked copy (`checked_copy`): no assumptions at all.
    tracking: bool,
    sites: Vec<FaultSite>,
    stubs: Vec<Stub>,
    /// Per trap code, the exit its stubs share (`trap_exit`).
    trap_exits: Vec<(u32, DynamicLabel)>,
    exit: DynamicLabel,
    dyn_enter: DynamicLabel,
    /// Out of gas entering a dynamic target: eax = its index, rcx = its entry cost.
    dyn_oog: DynamicLabel,
    /// Where dynamic entries go whose checked copy was left out (`EXIT_NEEDS_COPIES`).
    needs_copies: DynamicLabel,
    /// Instructions direct calls jump to (by their entry label, so these need their
    /// code even when copies are left out).
    call_targets: Vec<usize>,
    /// Whether every checked copy is compiled (`compile_with_copies`).
    with_copies: bool,
    /// The loop being emitted that keeps its entry's alignment knowledge: (first
    /// instruction, its back edge, the label the back edge jumps to; `usize::MAX`
    /// for the back edge when there is none).
    fast_loop: (usize, usize, DynamicLabel),
    /// Loops that keep their entry's alignment knowledge, for their entry stubs.
    kept_loops: Vec<KeptLoop>,
}

/// A loop whose code assumes `aligned` registers are multiples of 4 on entering it.
#[derive(Clone, Copy)]
struct KeptLoop {
    index: usize,
    map: Mapping,
    aligned: u16,
    /// The loop's code after its gas check.
    fast: DynamicLabel,
}

impl Emitter<'_> {
    fn loc(&self, r: Reg) -> Loc {
        match (r.index(), self.host[r.index()]) {
            (0, _) => Loc::Zero,
            (_, NONE) => Loc::Mem(slot(r)),
            (_, h) => Loc::Host(h),
        }
    }

    /// Scratch register `h` = guest register `g`.
    fn get(&mut self, h: u8, g: Reg) {
        let m = self.host[g.index()];
        if g == Reg::ZERO {
            dynasm!(self.ops ; .arch x64 ; xor Rd(h), Rd(h));
        } else if m != NONE {
            dynasm!(self.ops ; .arch x64 ; mov Rd(h), Rd(m));
        } else {
            dynasm!(self.ops ; .arch x64 ; mov Rd(h), DWORD [rsp + slot(g)]);
        }
    }

    /// Guest register `g` = scratch register `h` (writes to x0 vanish).
    fn put(&mut self, g: Reg, h: u8) {
        let m = self.host[g.index()];
        if g == Reg::ZERO {
        } else if m != NONE {
            dynasm!(self.ops ; .arch x64 ; mov Rd(m), Rd(h));
        } else {
            dynasm!(self.ops ; .arch x64 ; mov DWORD [rsp + slot(g)], Rd(h));
        }
    }

    fn put_imm(&mut self, g: Reg, v: u32) {
        let m = self.host[g.index()];
        let v = v as i32;
        if g == Reg::ZERO {
        } else if m != NONE {
            dynasm!(self.ops ; .arch x64 ; mov Rd(m), v);
        } else {
            dynasm!(self.ops ; .arch x64 ; mov DWORD [rsp + slot(g)], v);
        }
    }

    fn stub_trap_ecx(&mut self, trap: u32, pc: u32) -> DynamicLabel {
        self.stub_trap(trap, pc, None)
    }

    /// A trap stub that computes its argument, `host register + offset`, itself.
    fn stub_trap(&mut self, trap: u32, pc: u32, ecx_from: Option<(u8, i32)>) -> DynamicLabel {
        let label = self.ops.new_dynamic_label();
        self.stubs.push(Stub::TrapEcx { label, trap, pc, map: self.current_region, ecx_from });
        label
    }

    /// Charges the entry cost of instruction `i` (`sub r14, cost; jb`), running out of
    /// gas through a stub that first moves back from mapping `map`.
    fn charge_entry(&mut self, i: usize, map: Mapping) {
        let label = self.ops.new_dynamic_label();
        let cost = self.program.entry_cost(i);
        let pc = CODE_BASE + 4 * i as u32;
        self.stubs.push(Stub::OutOfGas { label, cost, pc, map });
        dynasm!(self.ops ; .arch x64 ; sub r14, cost as i32 ; jb =>label);
    }

    /// Moves guest registers from where `from` keeps them to where `to` does, through
    /// the program's mapping. Touches no flags and no scratch register (trap stubs
    /// carry their argument in ecx).
    fn moves(&mut self, from: RegMap, to: RegMap) {
        let global = self.global;
        if from != global {
            self.moves_between(from, global);
        }
        if to != global {
            self.moves_between(global, to);
        }
    }

    /// One of the two maps is the program's, the other a loop's, which differs from it
    /// only by guest registers swapped between a host register and their slot: save
    /// those leaving host registers first, then load those entering.
    fn moves_between(&mut self, from: RegMap, to: RegMap) {
        for g in Reg::all() {
            let (f, t) = (from[g.index()], to[g.index()]);
            if f != NONE && f != t {
                debug_assert_eq!(t, NONE);
                dynasm!(self.ops ; .arch x64 ; mov DWORD [rsp + slot(g)], Rd(f));
            }
        }
        for g in Reg::all() {
            let (f, t) = (from[g.index()], to[g.index()]);
            if t != NONE && f != t {
                debug_assert_eq!(f, NONE);
                dynasm!(self.ops ; .arch x64 ; mov Rd(t), DWORD [rsp + slot(g)]);
            }
        }
    }

    /// The register map of a mapping.
    fn map_of(&self, m: Mapping) -> RegMap {
        m.map_or(self.global, |r| self.regions[r as usize].map)
    }

    /// `moves` between two mappings.
    fn moves_from_to(&mut self, from: Mapping, to: Mapping) {
        if from != to {
            self.moves(self.map_of(from), self.map_of(to));
        }
    }

    /// The loop region instruction `i` is in, if any.
    fn region_at(&self, i: usize) -> Option<u32> {
        let k = self.regions.partition_point(|r| r.start <= i).checked_sub(1)?;
        (i <= self.regions[k].end).then_some(k as u32)
    }

    /// Where a jump from the code being emitted to block start `t` goes: its label, or
    /// an edge stub making the moves when `t` is compiled with another mapping.
    fn jump_to(&mut self, t: usize) -> DynamicLabel {
        let target = self.block_start(t);
        let to = self.region_at(t);
        if to == self.current_region || self.map_of(to) == self.host {
            return target;
        }
        let label = self.ops.new_dynamic_label();
        self.stubs.push(Stub::Edge { label, from: self.current_region, to, target });
        label
    }

    /// Exits with a trap whose argument is a constant.
    fn trap_now(&mut self, trap: u32, pc: u32, arg: u32) {
        let exit = self.exit;
        self.moves(self.host, self.global);
        dynasm!(self.ops
            ; .arch x64
            ; gs mov DWORD [TRAP_CODE], trap as i32
            ; gs mov DWORD [EXIT_PC], pc as i32
            ; gs mov DWORD [EXIT_ARG], arg as i32
            ; gs mov DWORD [EXIT_KIND], EXIT_TRAP as i32
            ; jmp =>exit
        );
    }

    /// Records the next instruction as a guest memory access (its resume point is
    /// filled in once the code is laid out).
    fn site(&mut self, pc: u32, store: bool) {
        let offset = self.ops.offset().0 as u32;
        self.sites.push(FaultSite { offset, pc, store, resume: 0 });
        self.site_regions.push(self.current_region);
    }

    /// The host address of a `size`-byte access at rs1 + offset, trapping first if
    /// the guest address isn't a multiple of `size`.
    fn access(&mut self, rs1: Reg, offset: i32, size: u32, pc: u32) -> Addr {
        let known_aligned = size == 1 || self.aligned & (1 << rs1.index()) != 0 && offset % size as i32 == 0;
        match self.loc(rs1) {
            // No check to make: the unwrapped sum is as good as the wrapped one (see
            // `sandbox`), and the instruction itself is the fault site.
            Loc::Host(m) if known_aligned => Addr::Direct(m, offset),
            // Aligned exactly when the base is: test the register itself, and leave
            // the address to the trap stub (one instruction less than `address`).
            Loc::Host(m) if offset % size as i32 == 0 => {
                let mis = self.stub_trap(TRAP_MISALIGNED, pc, Some((m, offset)));
                dynasm!(self.ops ; .arch x64 ; test Rb(m), (size - 1) as i8 ; jnz =>mis);
                Addr::Direct(m, offset)
            }
            _ => {
                self.address(rs1, offset, size, pc);
                Addr::Ecx
            }
        }
    }

    /// ecx = rs1 + offset; traps if not a multiple of `size`.
    fn address(&mut self, rs1: Reg, offset: i32, size: u32, pc: u32) {
        if let Loc::Host(m) = self.loc(rs1) {
            // Guest values are zero-extended in 64-bit registers; the 32-bit lea keeps
            // the low half of the sum: (rs1 + offset) mod 2^32.
            dynasm!(self.ops ; .arch x64 ; lea ecx, [Rq(m) + offset]);
        } else {
            self.get(ECX, rs1);
            if offset != 0 {
                dynasm!(self.ops ; .arch x64 ; add ecx, offset);
            }
        }
        if size > 1 {
            let mis = self.stub_trap_ecx(TRAP_MISALIGNED, pc);
            dynasm!(self.ops ; .arch x64 ; test cl, (size - 1) as i8 ; jnz =>mis);
        }
    }

    fn alu(&mut self, op: AluOp) {
        // eax = eax op ecx
        match op {
            AluOp::Add => dynasm!(self.ops ; .arch x64 ; add eax, ecx),
            AluOp::Sub => dynasm!(self.ops ; .arch x64 ; sub eax, ecx),
            AluOp::Xor => dynasm!(self.ops ; .arch x64 ; xor eax, ecx),
            AluOp::Or => dynasm!(self.ops ; .arch x64 ; or eax, ecx),
            AluOp::And => dynasm!(self.ops ; .arch x64 ; and eax, ecx),
            // x86 masks 32-bit shift counts to 5 bits, as RISC-V does.
            AluOp::Sll => dynasm!(self.ops ; .arch x64 ; shl eax, cl),
            AluOp::Srl => dynasm!(self.ops ; .arch x64 ; shr eax, cl),
            AluOp::Sra => dynasm!(self.ops ; .arch x64 ; sar eax, cl),
            AluOp::Slt => dynasm!(self.ops ; .arch x64 ; cmp eax, ecx ; setl al ; movzx eax, al),
            AluOp::Sltu => dynasm!(self.ops ; .arch x64 ; cmp eax, ecx ; setb al ; movzx eax, al),
            AluOp::Mul => dynasm!(self.ops ; .arch x64 ; imul eax, ecx),
            AluOp::Mulh => {
                dynasm!(self.ops ; .arch x64 ; movsxd rax, eax ; movsxd rcx, ecx ; imul rax, rcx ; shr rax, 32)
            }
            // `mov r32, r32` clears the upper half: unsigned 64-bit operands.
            AluOp::Mulhu => {
                dynasm!(self.ops ; .arch x64 ; mov eax, eax ; mov ecx, ecx ; imul rax, rcx ; shr rax, 32)
            }
            AluOp::Mulhsu => {
                dynasm!(self.ops ; .arch x64 ; movsxd rax, eax ; mov ecx, ecx ; imul rax, rcx ; shr rax, 32)
            }
            // x86 divides edx:eax; rdx holds a guest register, so it's saved around
            // the division (nothing between can fault).
            AluOp::Div | AluOp::Rem => {
                // Never fault: x/0 and MIN/-1 take the RISC-V results (SPEC.md §2).
                let (zero, doit, ovf, done) = (
                    self.ops.new_dynamic_label(),
                    self.ops.new_dynamic_label(),
                    self.ops.new_dynamic_label(),
                    self.ops.new_dynamic_label(),
                );
                dynasm!(self.ops
                    ; .arch x64
                    ; test ecx, ecx
                    ; jz =>zero
                    ; cmp ecx, -1
                    ; jne =>doit
                    ; cmp eax, i32::MIN
                    ; je =>ovf
                    ; =>doit
                    ; push rdx
                    ; cdq
                    ; idiv ecx
                );
                if op == AluOp::Rem {
                    dynasm!(self.ops ; .arch x64 ; mov eax, edx);
                }
                dynasm!(self.ops ; .arch x64 ; pop rdx ; jmp =>done ; =>zero);
                if op == AluOp::Div {
                    dynasm!(self.ops ; .arch x64 ; mov eax, -1); // rem: the dividend, already in eax
                }
                dynasm!(self.ops ; .arch x64 ; jmp =>done ; =>ovf);
                if op == AluOp::Rem {
                    dynasm!(self.ops ; .arch x64 ; xor eax, eax); // div: MIN, already in eax
                }
                dynasm!(self.ops ; .arch x64 ; =>done);
            }
            AluOp::Divu | AluOp::Remu => {
                let (zero, done) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
                dynasm!(self.ops
                    ; .arch x64
                    ; test ecx, ecx
                    ; jz =>zero
                    ; push rdx
                    ; xor edx, edx
                    ; div ecx
                );
                if op == AluOp::Remu {
                    dynasm!(self.ops ; .arch x64 ; mov eax, edx);
                }
                dynasm!(self.ops ; .arch x64 ; pop rdx ; jmp =>done ; =>zero);
                if op == AluOp::Divu {
                    dynasm!(self.ops ; .arch x64 ; mov eax, -1);
                }
                dynasm!(self.ops ; .arch x64 ; =>done);
            }
        }
    }

    fn alu_imm(&mut self, op: AluOp, imm: u32) {
        let i = imm as i32;
        match op {
            AluOp::Add => dynasm!(self.ops ; .arch x64 ; add eax, i),
            AluOp::Xor => dynasm!(self.ops ; .arch x64 ; xor eax, i),
            AluOp::Or => dynasm!(self.ops ; .arch x64 ; or eax, i),
            AluOp::And => dynasm!(self.ops ; .arch x64 ; and eax, i),
            AluOp::Sll => dynasm!(self.ops ; .arch x64 ; shl eax, (imm & 31) as i8),
            AluOp::Srl => dynasm!(self.ops ; .arch x64 ; shr eax, (imm & 31) as i8),
            AluOp::Sra => dynasm!(self.ops ; .arch x64 ; sar eax, (imm & 31) as i8),
            AluOp::Slt => dynasm!(self.ops ; .arch x64 ; cmp eax, i ; setl al ; movzx eax, al),
            AluOp::Sltu => dynasm!(self.ops ; .arch x64 ; cmp eax, i ; setb al ; movzx eax, al),
            // The decoder gives no other immediate forms; go through the register path.
            _ => {
                dynasm!(self.ops ; .arch x64 ; mov ecx, i);
                self.alu(op);
            }
        }
    }

    /// `rd = rs1 op rs2` without scratch registers, for the common ops when rd lives in
    /// a host register. False when the general path must be used.
    fn alu_direct(&mut self, op: AluOp, rd: Reg, rs1: Reg, rs2: Reg) -> bool {
        let (Loc::Host(d), a, b) = (self.loc(rd), self.loc(rs1), self.loc(rs2)) else {
            return false;
        };
        match op {
            AluOp::Slt | AluOp::Sltu => {
                let first = match a {
                    Loc::Host(m) => m,
                    _ => {
                        self.get(EAX, rs1);
                        EAX
                    }
                };
                let d_compared = first == d || b == Loc::Host(d);
                self.compare_into(op, d, d_compared, |e| match b {
                    Loc::Host(m) => dynasm!(e.ops ; .arch x64 ; cmp Rd(first), Rd(m)),
                    Loc::Mem(x) => dynasm!(e.ops ; .arch x64 ; cmp Rd(first), DWORD [rsp + x]),
                    Loc::Zero => dynasm!(e.ops ; .arch x64 ; cmp Rd(first), 0),
                });
                return true;
            }
            // x86 masks 32-bit shift counts to 5 bits, as RISC-V does. The count goes
            // to cl first: rd may be rs2.
            AluOp::Sll | AluOp::Srl | AluOp::Sra => {
                self.get(ECX, rs2);
                self.get(d, rs1);
                match op {
                    AluOp::Sll => dynasm!(self.ops ; .arch x64 ; shl Rd(d), cl),
                    AluOp::Srl => dynasm!(self.ops ; .arch x64 ; shr Rd(d), cl),
                    _ => dynasm!(self.ops ; .arch x64 ; sar Rd(d), cl),
                }
                return true;
            }
            // rd = rs1 - rd: negate, then add.
            AluOp::Sub if b == Loc::Host(d) && a != b => {
                dynasm!(self.ops ; .arch x64 ; neg Rd(d));
                match a {
                    Loc::Host(m) => dynasm!(self.ops ; .arch x64 ; add Rd(d), Rd(m)),
                    Loc::Mem(x) => dynasm!(self.ops ; .arch x64 ; add Rd(d), DWORD [rsp + x]),
                    Loc::Zero => {}
                }
                return true;
            }
            _ => {}
        }
        if a == Loc::Zero || b == Loc::Zero || !matches!(op, AluOp::Add | AluOp::Sub | AluOp::Xor | AluOp::Or | AluOp::And | AluOp::Mul) {
            return false;
        }
        let commutative = op != AluOp::Sub;
        // d = a op b; when d is b, compute d = b op a (commutative ops only).
        let (first, second) = if b == Loc::Host(d) && a != Loc::Host(d) {
            if !commutative {
                return false;
            }
            (b, a)
        } else {
            (a, b)
        };
        match first {
            Loc::Host(m) if m == d => {}
            Loc::Host(m) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(m)),
            Loc::Mem(x) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), DWORD [rsp + x]),
            Loc::Zero => unreachable!(),
        }
        match (op, second) {
            (AluOp::Add, Loc::Host(m)) => dynasm!(self.ops ; .arch x64 ; add Rd(d), Rd(m)),
            (AluOp::Sub, Loc::Host(m)) => dynasm!(self.ops ; .arch x64 ; sub Rd(d), Rd(m)),
            (AluOp::Xor, Loc::Host(m)) => dynasm!(self.ops ; .arch x64 ; xor Rd(d), Rd(m)),
            (AluOp::Or, Loc::Host(m)) => dynasm!(self.ops ; .arch x64 ; or Rd(d), Rd(m)),
            (AluOp::And, Loc::Host(m)) => dynasm!(self.ops ; .arch x64 ; and Rd(d), Rd(m)),
            (AluOp::Mul, Loc::Host(m)) => dynasm!(self.ops ; .arch x64 ; imul Rd(d), Rd(m)),
            (AluOp::Add, Loc::Mem(x)) => dynasm!(self.ops ; .arch x64 ; add Rd(d), DWORD [rsp + x]),
            (AluOp::Sub, Loc::Mem(x)) => dynasm!(self.ops ; .arch x64 ; sub Rd(d), DWORD [rsp + x]),
            (AluOp::Xor, Loc::Mem(x)) => dynasm!(self.ops ; .arch x64 ; xor Rd(d), DWORD [rsp + x]),
            (AluOp::Or, Loc::Mem(x)) => dynasm!(self.ops ; .arch x64 ; or Rd(d), DWORD [rsp + x]),
            (AluOp::And, Loc::Mem(x)) => dynasm!(self.ops ; .arch x64 ; and Rd(d), DWORD [rsp + x]),
            (AluOp::Mul, Loc::Mem(x)) => {
                dynasm!(self.ops ; .arch x64 ; imul Rd(d), DWORD [rsp + x])
            }
            _ => unreachable!(),
        }
        true
    }

    /// Host register `d` = the outcome of the comparison `cmp` emits, as `slt`/`sltu`
    /// (0 or 1). Unless `d` is compared, it is zeroed before and set directly: one
    /// instruction less than `setcc al; movzx`, and no dependency on its old value.
    fn compare_into(&mut self, op: AluOp, d: u8, d_compared: bool, cmp: impl FnOnce(&mut Self)) {
        if !d_compared {
            dynasm!(self.ops ; .arch x64 ; xor Rd(d), Rd(d));
        }
        cmp(self);
        match (op, d_compared) {
            (AluOp::Slt, false) => dynasm!(self.ops ; .arch x64 ; setl Rb(d)),
            (_, false) => dynasm!(self.ops ; .arch x64 ; setb Rb(d)),
            (AluOp::Slt, true) => dynasm!(self.ops ; .arch x64 ; setl al ; movzx Rd(d), al),
            (_, true) => dynasm!(self.ops ; .arch x64 ; setb al ; movzx Rd(d), al),
        }
    }

    /// `rd = rs1 op imm` without scratch registers when rd lives in a host register.
    fn alu_imm_direct(&mut self, op: AluOp, rd: Reg, rs1: Reg, imm: u32) -> bool {
        let Loc::Host(d) = self.loc(rd) else {
            return false;
        };
        if matches!(op, AluOp::Slt | AluOp::Sltu) && rs1 != Reg::ZERO {
            let i = imm as i32;
            let a = self.loc(rs1);
            self.compare_into(op, d, a == Loc::Host(d), |e| match a {
                Loc::Host(m) => dynasm!(e.ops ; .arch x64 ; cmp Rd(m), i),
                Loc::Mem(x) => dynasm!(e.ops ; .arch x64 ; cmp DWORD [rsp + x], i),
                Loc::Zero => unreachable!(),
            });
            return true;
        }
        if !matches!(op, AluOp::Add | AluOp::Xor | AluOp::Or | AluOp::And | AluOp::Sll | AluOp::Srl | AluOp::Sra) {
            return false;
        }
        match self.loc(rs1) {
            Loc::Host(m) if m == d => {}
            Loc::Host(m) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(m)),
            Loc::Mem(x) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), DWORD [rsp + x]),
            // li: addi rd, zero, imm (the others of zero are constants too)
            Loc::Zero => {
                let v = op.eval(0, imm);
                dynasm!(self.ops ; .arch x64 ; mov Rd(d), v as i32);
                return true;
            }
        }
        let i = imm as i32;
        let sh = (imm & 31) as i8;
        // `mv` is `addi rd, rs, 0`: the copy is all there is to it.
        let identity = match op {
            AluOp::Add | AluOp::Xor | AluOp::Or => imm == 0,
            AluOp::And => imm == u32::MAX,
            _ => sh == 0,
        };
        if identity {
            return true;
        }
        match op {
            AluOp::Add => dynasm!(self.ops ; .arch x64 ; add Rd(d), i),
            AluOp::Xor => dynasm!(self.ops ; .arch x64 ; xor Rd(d), i),
            AluOp::Or => dynasm!(self.ops ; .arch x64 ; or Rd(d), i),
            AluOp::And => dynasm!(self.ops ; .arch x64 ; and Rd(d), i),
            AluOp::Sll => dynasm!(self.ops ; .arch x64 ; shl Rd(d), sh),
            AluOp::Srl => dynasm!(self.ops ; .arch x64 ; shr Rd(d), sh),
            AluOp::Sra => dynasm!(self.ops ; .arch x64 ; sar Rd(d), sh),
            _ => unreachable!(),
        }
        true
    }

    fn instruction(&mut self, i: usize, insn: Instruction) {
        let pc = CODE_BASE + 4 * i as u32;
        match insn {
            Instruction::Lui { rd, imm } => self.put_imm(rd, imm),
            Instruction::Auipc { rd, imm } => self.put_imm(rd, pc.wrapping_add(imm)),
            Instruction::OpImm { op, rd, rs1, imm } => {
                if self.alu_imm_direct(op, rd, rs1, imm) {
                    return;
                }
                if rd != Reg::ZERO {
                    self.get(EAX, rs1);
                    // `mv` into a spilled register is the copy alone.
                    if !(op == AluOp::Add && imm == 0) {
                        self.alu_imm(op, imm);
                    }
                    self.put(rd, EAX);
                }
            }
            Instruction::Op { op, rd, rs1, rs2 } => {
                if self.alu_direct(op, rd, rs1, rs2) {
                    return;
                }
                if rd != Reg::ZERO {
                    self.get(EAX, rs1);
                    // A spilled rd: the second operand straight from its host register.
                    match (op, self.loc(rs2)) {
                        (AluOp::Add, Loc::Host(m)) => {
                            dynasm!(self.ops ; .arch x64 ; add eax, Rd(m))
                        }
                        (AluOp::Sub, Loc::Host(m)) => {
                            dynasm!(self.ops ; .arch x64 ; sub eax, Rd(m))
                        }
                        (AluOp::Xor, Loc::Host(m)) => {
                            dynasm!(self.ops ; .arch x64 ; xor eax, Rd(m))
                        }
                        (AluOp::Or, Loc::Host(m)) => dynasm!(self.ops ; .arch x64 ; or eax, Rd(m)),
                        (AluOp::And, Loc::Host(m)) => {
                            dynasm!(self.ops ; .arch x64 ; and eax, Rd(m))
                        }
                        (AluOp::Mul, Loc::Host(m)) => {
                            dynasm!(self.ops ; .arch x64 ; imul eax, Rd(m))
                        }
                        _ => {
                            self.get(ECX, rs2);
                            self.alu(op);
                        }
                    }
                    self.put(rd, EAX);
                }
            }
            Instruction::Load { kind, rd, rs1, offset } => {
                // Loads into x0 still access memory: they may trap.
                let at = self.access(rs1, offset, kind.size(), pc);
                // Straight into rd's host register when it has one: a faulting load
                // writes nothing, so rd stays as it was.
                let h = match self.loc(rd) {
                    Loc::Host(m) => m,
                    _ => EAX,
                };
                self.site(pc, false);
                match (kind, at) {
                    (LoadKind::Byte, Addr::Ecx) => {
                        dynasm!(self.ops ; .arch x64 ; gs movsx Rd(h), BYTE [rcx])
                    }
                    (LoadKind::ByteU, Addr::Ecx) => {
                        dynasm!(self.ops ; .arch x64 ; gs movzx Rd(h), BYTE [rcx])
                    }
                    (LoadKind::Half, Addr::Ecx) => {
                        dynasm!(self.ops ; .arch x64 ; gs movsx Rd(h), WORD [rcx])
                    }
                    (LoadKind::HalfU, Addr::Ecx) => {
                        dynasm!(self.ops ; .arch x64 ; gs movzx Rd(h), WORD [rcx])
                    }
                    (LoadKind::Word, Addr::Ecx) => {
                        dynasm!(self.ops ; .arch x64 ; gs mov Rd(h), DWORD [rcx])
                    }
                    (LoadKind::Byte, Addr::Direct(b, o)) => {
                        dynasm!(self.ops ; .arch x64 ; gs movsx Rd(h), BYTE [Rq(b) + o])
                    }
                    (LoadKind::ByteU, Addr::Direct(b, o)) => {
                        dynasm!(self.ops ; .arch x64 ; gs movzx Rd(h), BYTE [Rq(b) + o])
                    }
                    (LoadKind::Half, Addr::Direct(b, o)) => {
                        dynasm!(self.ops ; .arch x64 ; gs movsx Rd(h), WORD [Rq(b) + o])
                    }
                    (LoadKind::HalfU, Addr::Direct(b, o)) => {
                        dynasm!(self.ops ; .arch x64 ; gs movzx Rd(h), WORD [Rq(b) + o])
                    }
                    (LoadKind::Word, Addr::Direct(b, o)) => {
                        dynasm!(self.ops ; .arch x64 ; gs mov Rd(h), DWORD [Rq(b) + o])
                    }
                }
                if h == EAX {
                    self.put(rd, EAX);
                }
            }
            Instruction::Store { kind, rs1, rs2, offset } => {
                let at = self.access(rs1, offset, kind.size(), pc);
                // ecx may hold the address: the value goes through eax.
                let v = match self.loc(rs2) {
                    Loc::Host(m) => m,
                    _ => {
                        self.get(EAX, rs2);
                        EAX
                    }
                };
                self.site(pc, true);
                match (kind, at) {
                    (StoreKind::Byte, Addr::Ecx) => {
                        dynasm!(self.ops ; .arch x64 ; gs mov BYTE [rcx], Rb(v))
                    }
                    (StoreKind::Half, Addr::Ecx) => {
                        dynasm!(self.ops ; .arch x64 ; gs mov WORD [rcx], Rw(v))
                    }
                    (StoreKind::Word, Addr::Ecx) => {
                        dynasm!(self.ops ; .arch x64 ; gs mov DWORD [rcx], Rd(v))
                    }
                    (StoreKind::Byte, Addr::Direct(b, o)) => {
                        dynasm!(self.ops ; .arch x64 ; gs mov BYTE [Rq(b) + o], Rb(v))
                    }
                    (StoreKind::Half, Addr::Direct(b, o)) => {
                        dynasm!(self.ops ; .arch x64 ; gs mov WORD [Rq(b) + o], Rw(v))
                    }
                    (StoreKind::Word, Addr::Direct(b, o)) => {
                        dynasm!(self.ops ; .arch x64 ; gs mov DWORD [Rq(b) + o], Rd(v))
                    }
                }
            }
            Instruction::Branch { kind, rs1, rs2, offset } => {
                let t = self.block_label(i, offset);
                let a = match self.loc(rs1) {
                    Loc::Host(m) => m,
                    _ => {
                        self.get(EAX, rs1);
                        EAX
                    }
                };
                match self.loc(rs2) {
                    Loc::Host(m) => dynasm!(self.ops ; .arch x64 ; cmp Rd(a), Rd(m)),
                    Loc::Mem(d) => dynasm!(self.ops ; .arch x64 ; cmp Rd(a), DWORD [rsp + d]),
                    Loc::Zero => dynasm!(self.ops ; .arch x64 ; cmp Rd(a), 0),
                }
                match kind {
                    BranchKind::Eq => dynasm!(self.ops ; .arch x64 ; je =>t),
                    BranchKind::Ne => dynasm!(self.ops ; .arch x64 ; jne =>t),
                    BranchKind::Lt => dynasm!(self.ops ; .arch x64 ; jl =>t),
                    BranchKind::Ge => dynasm!(self.ops ; .arch x64 ; jge =>t),
                    BranchKind::Ltu => dynasm!(self.ops ; .arch x64 ; jb =>t),
                    BranchKind::Geu => dynasm!(self.ops ; .arch x64 ; jae =>t),
                }
            }
            Instruction::Jal { rd, offset } => {
                let t = self.block_label(i, offset);
                self.put_imm(rd, pc.wrapping_add(4));
                dynasm!(self.ops ; .arch x64 ; jmp =>t);
            }
            Instruction::Jalr { rd, rs1, offset } => {
                if self.tracking && self.direct_call(i, rd, rs1, offset) {
                    // Dynamic entries onto this jalr (and resumes at it) must use the
                    // real register value: its table entry points at a full copy.
                    let label = self.entry[i];
                    self.stubs.push(Stub::DynamicJalr { label, pc, rd, rs1, offset });
                    return;
                }
                self.dynamic_jalr(pc, rd, rs1, offset);
            }
            Instruction::Fence => {}
            Instruction::Ecall => {
                let exit = self.exit;
                dynasm!(self.ops
                    ; .arch x64
                    ; gs mov DWORD [EXIT_PC], pc.wrapping_add(4) as i32
                    ; gs mov DWORD [EXIT_KIND], EXIT_HOST_CALL as i32
                    ; jmp =>exit
                );
            }
            Instruction::Ebreak => self.trap_now(TRAP_EBREAK, pc, 0),
            Instruction::Unimp => self.trap_now(TRAP_UNIMP, pc, 0),
        }
    }

    /// A rotate as one x86 rotate (plus its two shifts' results where they're still
    /// needed). Reads x before writing any register.
    fn rotate(&mut self, f: Rotate) {
        let k = f.k as i8;
        let d = match self.loc(f.d) {
            Loc::Host(m) if f.d != f.x => m,
            _ => EAX,
        };
        self.get(d, f.x);
        match f.right {
            true => dynasm!(self.ops ; .arch x64 ; ror Rd(d), k),
            false => dynasm!(self.ops ; .arch x64 ; rol Rd(d), k),
        }
        // The shifts' results, one at a time through ecx: writing a can't change x
        // (a != x), and x isn't needed after b.
        for (write, t, left, shift) in [(f.write_a, f.a, !f.right, k), (f.write_b, f.b, f.right, 32 - k)] {
            if write {
                self.get(ECX, f.x);
                match left {
                    true => dynasm!(self.ops ; .arch x64 ; shl ecx, shift),
                    false => dynasm!(self.ops ; .arch x64 ; shr ecx, shift),
                }
                self.put(t, ECX);
            }
        }
        if d == EAX {
            self.put(f.d, EAX);
        }
    }

    /// t = x & !b in one `andn` (operands in host registers or scratch; it reads both
    /// before writing t, so any aliasing is fine).
    fn and_not(&mut self, f: AndNot) {
        let mut operand = |g: Reg, scratch: u8| match self.loc(g) {
            Loc::Host(m) => m,
            _ => {
                self.get(scratch, g);
                scratch
            }
        };
        let b = operand(f.b, ECX);
        let x = operand(f.x, EAX);
        let t = match self.loc(f.t) {
            Loc::Host(m) => m,
            _ => EAX,
        };
        dynasm!(self.ops ; .arch x64 ; andn Rd(t), Rd(b), Rd(x));
        if t == EAX {
            self.put(f.t, EAX);
        }
    }

    /// t = y + (x << shift) in one `lea` (operands in host registers or scratch).
    fn scaled_index(&mut self, f: ScaledIndex) {
        let x = match self.loc(f.x) {
            Loc::Host(m) => m,
            _ => {
                self.get(ECX, f.x);
                ECX
            }
        };
        let y = match self.loc(f.y) {
            Loc::Host(m) => m,
            _ => {
                self.get(EAX, f.y);
                EAX
            }
        };
        let t = match self.loc(f.t) {
            Loc::Host(m) => m,
            _ => EAX,
        };
        // Both are zero-extended 32-bit values; the 32-bit destination keeps the sum
        // modulo 2^32.
        match f.shift {
            1 => dynasm!(self.ops ; .arch x64 ; lea Rd(t), [Rq(y) + Rq(x) * 2]),
            2 => dynasm!(self.ops ; .arch x64 ; lea Rd(t), [Rq(y) + Rq(x) * 4]),
            _ => dynasm!(self.ops ; .arch x64 ; lea Rd(t), [Rq(y) + Rq(x) * 8]),
        }
        if t == EAX {
            self.put(f.t, EAX);
        }
    }

    /// `jalr rd, offset(rs1)`: check the target, write rd, enter through the table.
    fn dynamic_jalr(&mut self, pc: u32, rd: Reg, rs1: Reg, offset: i32) {
        let link = pc.wrapping_add(4);
        let finish = self.ops.new_dynamic_label();
        self.stubs.push(Stub::Finish { label: finish, rd, link });
        let bad = self.stub_trap_ecx(TRAP_BAD_JUMP, pc);
        let code_size = self.program.layout().code_size as i32;
        self.address(rs1, offset, 1, pc);
        dynasm!(self.ops
            ; .arch x64
            ; and ecx, -2
            ; cmp ecx, RETURN_ADDRESS as i32
            ; je =>finish
            ; mov eax, ecx
            ; sub eax, CODE_BASE as i32
            ; cmp eax, code_size
            ; jae =>bad
            ; test al, 3
            ; jnz =>bad
        );
        // rd only after the target checked out: a trapping jump changes nothing.
        self.put_imm(rd, link);
        // The dispatch inline, not a jump to the shared copy: each jalr gets its own
        // indirect jump, which the branch predictor then tracks per call site.
        dynasm!(self.ops ; .arch x64 ; shr eax, 2);
        self.dispatch();
    }

    /// Whether the jalr at `i` will be compiled as a direct call (see `direct_call`).
    fn is_direct_call(&self, i: usize) -> bool {
        let Instruction::Jalr { rs1, offset, .. } = self.program.instructions()[i] else {
            return false;
        };
        self.direct_call_target(i, rs1, offset).is_some()
    }

    fn direct_call_target(&self, i: usize, rs1: Reg, offset: i32) -> Option<usize> {
        if i == 0 || self.program.is_block_start(i) {
            return None;
        }
        let Instruction::Auipc { rd: r, imm } = self.program.instructions()[i - 1] else {
            return None;
        };
        if r != rs1 || r == Reg::ZERO {
            return None;
        }
        let auipc_pc = CODE_BASE + 4 * (i as u32 - 1);
        self.program.index_of_pc(auipc_pc.wrapping_add(imm).wrapping_add(offset as u32) & !1)
    }

    /// `auipc r, X; jalr rd, off(r)` is a call to a constant target (how compilers
    /// emit calls without linker relaxation). Falling through from the auipc, jump
    /// straight to the target: same registers written, same entry cost charged as
    /// through the dynamic path. Only when the jalr doesn't start a block: then static
    /// control flow reaches it only from the auipc, and dynamic entries go to the full
    /// copy (`Stub::DynamicJalr`).
    fn direct_call(&mut self, i: usize, rd: Reg, rs1: Reg, offset: i32) -> bool {
        let Some(t) = self.direct_call_target(i, rs1, offset) else {
            return false;
        };
        let pc = CODE_BASE + 4 * i as u32;
        self.put_imm(rd, pc.wrapping_add(4));
        let l = self.entry[t];
        self.call_targets.push(t);
        self.charge_entry(t, self.current_region);
        dynasm!(self.ops ; .arch x64 ; jmp =>l);
        true
    }

    /// Where a static jump from instruction `i` goes (the target is validated in
    /// range, and a block start).
    fn block_label(&mut self, i: usize, offset: i32) -> DynamicLabel {
        self.jump_to((i as i64 + (offset / 4) as i64) as usize)
    }

    /// The label of block start `t`, before its gas check.
    fn block_start(&mut self, t: usize) -> DynamicLabel {
        *self.block[t].get_or_insert_with(|| self.ops.new_dynamic_label())
    }

    /// Pads with no-ops (run once, on falling into the loop) to a `boundary`-byte
    /// boundary (32 or 64): a tight loop that straddles a 64-byte one fetches slower
    /// (sieve's five-instruction marking loop ran 1.2-1.3x slower across one than
    /// inside one).
    fn align_loop_head(&mut self, boundary: usize) {
        // The recommended multi-byte no-ops, 1 to 8 bytes.
        const NOPS: [&[u8]; 8] = [
            &[0x90],
            &[0x66, 0x90],
            &[0x0f, 0x1f, 0x00],
            &[0x0f, 0x1f, 0x40, 0x00],
            &[0x0f, 0x1f, 0x44, 0x00, 0x00],
            &[0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
            &[0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
            &[0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
        ];
        let mut pad = (boundary - self.ops.offset().0 % boundary) % boundary;
        while pad > 0 {
            let nop = NOPS[pad.min(8) - 1];
            self.ops.extend(nop.iter());
            pad -= nop.len();
        }
    }

    /// The start of block `i`, a loop's first instruction: aligned so the loop fetches
    /// well, and, where the loop's body is one block, fallen into (`falls_into`), keeping
    /// what is known about alignment there if the body keeps it (`loop_alignment`).
    /// Kept out of the main loop's code: loops are few, and inlined this made every
    /// instruction's compiling slower.
    #[inline(never)]
    fn loop_head(&mut self, i: usize, falls_into: bool) {
        let program = self.program;
        let back = single_block_loop(program, i);
        // (An entry point is entered from outside, where nothing is known.)
        let entry_point = || {
            let pc = CODE_BASE + 4 * i as u32;
            program.entry_points().iter().any(|&(_, p)| p == pc)
        };
        let kept = back.filter(|_| falls_into && !entry_point()).and_then(|back| loop_alignment(program, i, back, self.aligned));
        // Loops of a few instructions fit in one 64-byte line from its start.
        let tiny = back.is_some_and(|b| b - i < TINY_LOOP);
        self.align_loop_head(if tiny { 64 } else { 32 });
        let l = self.block_start(i);
        let Some((back, aligned)) = kept else {
            dynasm!(self.ops ; .arch x64 ; =>l);
            self.charge_entry(i, self.current_region);
            self.aligned = 1;
            return;
        };
        // Falling in and the back edge enter here; every other static jump takes the
        // block's label, a stub testing what is assumed.
        let (enter, fast) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        dynasm!(self.ops ; .arch x64 ; =>enter);
        self.charge_entry(i, self.current_region);
        dynasm!(self.ops ; .arch x64 ; =>fast);
        self.stubs.push(Stub::LoopEntry { label: l, kept: self.kept_loops.len() as u32 });
        self.kept_loops.push(KeptLoop { index: i, map: self.current_region, aligned, fast });
        self.fast_loop = (i, back, enter);
        self.aligned = aligned;
    }

    /// The static jump back to the start of a loop that keeps its entry's alignment
    /// knowledge: to the loop's own entry, which assumes it (every other jump there
    /// takes the block's label, the tested way in).
    #[inline(never)]
    fn back_edge(&mut self, i: usize, insn: Instruction) {
        let (head, _, enter) = self.fast_loop;
        let tested = self.block[head].replace(enter);
        self.instruction(i, insn);
        self.block[head] = tested;
    }

    /// Falling through past the last instruction traps (SPEC.md §5).
    fn fall_off_end(&mut self) {
        let last = CODE_BASE + 4 * (self.program.instructions().len() as u32 - 1);
        self.trap_now(TRAP_BAD_JUMP, last, last.wrapping_add(4));
    }

    /// eax = the index of a checked dynamic target: charge its entry cost, jump to
    /// its code (out of gas: `dyn_oog`, with rcx = the cost).
    fn dispatch(&mut self) {
        let dyn_oog = self.dyn_oog;
        dynasm!(self.ops
            ; .arch x64
            ; mov rcx, QWORD [rsp + FRAME_COST_TABLE]
            ; mov ecx, DWORD [rcx + rax * 4]
            ; sub r14, rcx
            ; jb =>dyn_oog
            ; mov rcx, QWORD [rsp + FRAME_JUMP_TABLE]
            ; jmp QWORD [rcx + rax * 8]
        );
    }

    /// The exit shared by trap stubs of one kind: eax = pc, ecx = the argument.
    fn trap_exit(&mut self, trap: u32) -> DynamicLabel {
        if let Some(&(_, l)) = self.trap_exits.iter().find(|(t, _)| *t == trap) {
            return l;
        }
        let l = self.ops.new_dynamic_label();
        self.trap_exits.push((trap, l));
        l
    }

    fn stubs(&mut self) {
        let (exit, dyn_oog) = (self.exit, self.dyn_oog);
        // Stubs can add stubs (a DynamicJalr copy adds its own trap stubs): those are
        // emitted after the others, in order.
        let mut next = 0;
        while let Some(&stub) = self.stubs.get(next) {
            next += 1;
            match stub {
                Stub::DynamicJalr { label, pc, rd, rs1, offset } => {
                    dynasm!(self.ops ; .arch x64 ; =>label);
                    self.dynamic_jalr(pc, rd, rs1, offset);
                }
                Stub::OutOfGas { label, cost, pc, map } => {
                    // The exit itself is shared (`dyn_oog`): there is a stub per
                    // block, and with the exit in each, stubs were over half of a
                    // program's code.
                    dynasm!(self.ops ; .arch x64 ; =>label);
                    self.moves_from_to(map, None);
                    let index = (pc - CODE_BASE) / 4;
                    dynasm!(self.ops
                        ; .arch x64
                        ; mov eax, index as i32
                        ; mov ecx, cost as i32
                        ; jmp =>dyn_oog
                    );
                }
                Stub::TrapEcx { label, trap, pc, map, ecx_from } => {
                    dynasm!(self.ops ; .arch x64 ; =>label);
                    if let Some((m, offset)) = ecx_from {
                        // Before the moves: `m` holds the base in `map`.
                        dynasm!(self.ops ; .arch x64 ; lea ecx, [Rq(m) + offset]);
                    }
                    self.moves_from_to(map, None);
                    let common = self.trap_exit(trap);
                    dynasm!(self.ops ; .arch x64 ; mov eax, pc as i32 ; jmp =>common);
                }
                Stub::Edge { label, from, to, target } => {
                    dynasm!(self.ops ; .arch x64 ; =>label);
                    self.moves_from_to(from, to);
                    dynasm!(self.ops ; .arch x64 ; jmp =>target);
                }
                Stub::LoopEntry { label, kept } => {
                    let KeptLoop { index, map, aligned, fast } = self.kept_loops[kept as usize];
                    dynasm!(self.ops ; .arch x64 ; =>label);
                    self.charge_entry(index, map);
                    let misaligned = self.ops.new_dynamic_label();
                    let regs = self.map_of(map);
                    for g in Reg::all().filter(|g| *g != Reg::ZERO && aligned & 1 << g.index() != 0) {
                        match regs[g.index()] {
                            NONE => dynasm!(self.ops ; .arch x64 ; test BYTE [rsp + slot(g)], 3),
                            h => dynasm!(self.ops ; .arch x64 ; test Rb(h), 3),
                        }
                        dynasm!(self.ops ; .arch x64 ; jnz =>misaligned);
                    }
                    dynasm!(self.ops ; .arch x64 ; jmp =>fast ; =>misaligned);
                    self.moves_from_to(map, None);
                    if self.with_copies {
                        let checked = self.entry[index];
                        dynasm!(self.ops ; .arch x64 ; jmp =>checked);
                    } else {
                        // As a dynamic jump there would: on in the module with copies.
                        let needs_copies = self.needs_copies;
                        dynasm!(self.ops ; .arch x64 ; mov eax, index as i32 ; jmp =>needs_copies);
                    }
                }
                Stub::Finish { label, rd, link } => {
                    dynasm!(self.ops ; .arch x64 ; =>label);
                    self.put_imm(rd, link);
                    dynasm!(self.ops
                        ; .arch x64
                        ; gs mov DWORD [EXIT_KIND], EXIT_FINISHED as i32
                        ; jmp =>exit
                    );
                }
            }
        }
        // Cleared, not dropped: the list is kept for the next compilation.
        self.stubs.clear();
    }

    /// Entering an instruction other than by falling through (a dynamic jump into the
    /// middle of a block) can't rely on what the block's earlier instructions proved
    /// about alignment. Each instruction whose inline code assumes something gets its
    /// entry in a copy of the rest of its block compiled with every check; that copy
    /// leaves the block the way the inline code does. Compilers' code jumps only to
    /// block starts, so the copies are almost never run: `compile` leaves them out
    /// (they were a third of compiling) until a jump needs one.
    fn checked_copies(&mut self, entry_bound: &mut [bool]) {
        let mut i = 0;
        while i < entry_bound.len() {
            if entry_bound[i] {
                i += 1;
            } else {
                i = self.checked_copy(i, entry_bound);
            }
        }
    }

    /// The checked copy of the rest of the block from instruction `i` on (binding the
    /// entry labels not bound yet); returns the instruction after it.
    fn checked_copy(&mut self, i: usize, entry_bound: &mut [bool]) -> usize {
        let insns = self.program.instructions();
        let n = insns.len();
        self.tracking = false;
        self.aligned = 0;
        let mut j = i;
        loop {
            if !entry_bound[j] {
                let l = self.entry[j];
                dynasm!(self.ops ; .arch x64 ; =>l);
                entry_bound[j] = true;
            }
            self.instruction(j, insns[j]);
            j += 1;
            if insns[j - 1].is_terminator() && !matches!(insns[j - 1], Instruction::Branch { .. }) {
                return j;
            }
            if j == n {
                self.fall_off_end();
                return j;
            }
            if self.program.is_block_start(j) {
                let next = self.jump_to(j);
                dynasm!(self.ops ; .arch x64 ; jmp =>next);
                return j;
            }
        }
    }

    /// Entry trampoline, dynamic-jump routine and exit sequence.
    fn runtime(&mut self) -> DynamicLabel {
        let (entry, bad_start) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        let (exit, dyn_enter, dyn_oog, fault_exit) = (self.exit, self.dyn_enter, self.dyn_oog, self.fault_exit);

        // A memory fault inside a loop with its own mapping resumes at the loop's pad.
        for r in 0..self.regions.len() {
            let pad = self.fault_pads[r];
            dynasm!(self.ops ; .arch x64 ; =>pad);
            self.moves(self.regions[r].map, self.global);
            dynasm!(self.ops ; .arch x64 ; jmp =>fault_exit);
        }
        let code_size = self.program.layout().code_size as i32;

        for (trap, l) in std::mem::take(&mut self.trap_exits) {
            dynasm!(self.ops
                ; .arch x64
                ; =>l
                ; gs mov DWORD [TRAP_CODE], trap as i32
                ; gs mov DWORD [EXIT_PC], eax
                ; gs mov DWORD [EXIT_ARG], ecx
                ; gs mov DWORD [EXIT_KIND], EXIT_TRAP as i32
                ; jmp =>exit
            );
        }

        // A dynamic jump to an instruction whose checked copy was left out (rax = its
        // index): give back the entry cost dispatch charged, and exit to go on in the
        // module with copies, which charges it again.
        let needs_copies = self.needs_copies;
        dynasm!(self.ops
            ; .arch x64
            ; =>needs_copies
            ; mov rcx, QWORD [rsp + FRAME_COST_TABLE]
            ; mov ecx, DWORD [rcx + rax * 4]
            ; add r14, rcx
            ; lea ecx, [rax * 4 + CODE_BASE as i32]
            ; gs mov DWORD [EXIT_PC], ecx
            ; gs mov DWORD [EXIT_KIND], EXIT_NEEDS_COPIES as i32
            ; jmp =>exit
        );

        // dyn_enter: ecx = target pc, eax = target - CODE_BASE (checked in range and
        // aligned). Charge the entry cost of that instruction, jump to its code.
        dynasm!(self.ops ; .arch x64 ; =>dyn_enter ; shr eax, 2);
        self.dispatch();
        dynasm!(self.ops
            ; .arch x64
            ; =>dyn_oog
            ; add r14, rcx
            ; lea ecx, [rax * 4 + CODE_BASE as i32]
            ; gs mov DWORD [EXIT_PC], ecx
            ; gs mov DWORD [EXIT_KIND], EXIT_OUT_OF_GAS as i32
            ; jmp =>exit
        );

        // entry(): extern "sysv64", with GS at the guest base; saves the callee-saved
        // registers it uses.
        dynasm!(self.ops
            ; .arch x64
            ; =>entry
            ; push rbx
            ; push rbp
            ; push r12
            ; push r13
            ; push r14
            ; push r15
            ; sub rsp, FRAME
            ; gs mov r14, QWORD [GAS]
            ; gs mov rax, QWORD [COST_TABLE]
            ; mov QWORD [rsp + FRAME_COST_TABLE], rax
            ; gs mov rax, QWORD [JUMP_TABLE]
            ; mov QWORD [rsp + FRAME_JUMP_TABLE], rax
        );
        for g in Reg::all() {
            match self.host[g.index()] {
                NONE => {
                    dynasm!(self.ops ; .arch x64 ; gs mov eax, DWORD [context_slot(g)] ; mov DWORD [rsp + slot(g)], eax)
                }
                m => dynasm!(self.ops ; .arch x64 ; gs mov Rd(m), DWORD [context_slot(g)]),
            }
        }
        dynasm!(self.ops
            ; .arch x64
            ; gs mov ecx, DWORD [START_PC]
            ; mov eax, ecx
            ; sub eax, CODE_BASE as i32
            ; cmp eax, code_size
            ; jae =>bad_start
            ; test al, 3
            ; jnz =>bad_start
            ; jmp =>dyn_enter
            // Continuing after an ecall that ends the code: falling off the end,
            // reported at that ecall.
            ; =>bad_start
            ; gs mov DWORD [TRAP_CODE], TRAP_BAD_JUMP as i32
            ; gs mov DWORD [EXIT_ARG], ecx
            ; sub ecx, 4
            ; gs mov DWORD [EXIT_PC], ecx
            ; gs mov DWORD [EXIT_KIND], EXIT_TRAP as i32
            // The fault handler resumes here with the trap already in the context.
            ; =>fault_exit
            ; =>exit
            ; gs mov QWORD [GAS], r14
        );
        for g in Reg::all() {
            match self.host[g.index()] {
                NONE => {
                    dynasm!(self.ops ; .arch x64 ; mov eax, DWORD [rsp + slot(g)] ; gs mov DWORD [context_slot(g)], eax)
                }
                m => dynasm!(self.ops ; .arch x64 ; gs mov DWORD [context_slot(g)], Rd(m)),
            }
        }
        dynasm!(self.ops
            ; .arch x64
            ; add rsp, FRAME
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop r12
            ; pop rbp
            ; pop rbx
            ; ret
        );
        entry
    }
}

/// `srli a, x, k; slli b, x, 32-k; or d, a, b` (either shift first, either order of
/// the `or`'s operands): how RV32 spells a rotate, having no instruction for one; x86
/// does (`ror`). The halves of 64-bit shifts have the same shape with two sources,
/// but x86's `shrd` is several micro-ops on AMD cores: those stay three instructions.
#[derive(Clone, Copy)]
struct Rotate {
    /// The first shift is right: d = x >> k | x << (32 - k); else d = x << k | x >> (32 - k).
    right: bool,
    k: u32,
    a: Reg,
    x: Reg,
    b: Reg,
    d: Reg,
    /// Whether `a` and `b` (when not `d`) need their values written: not when the block
    /// overwrites them before anything can read or observe them.
    write_a: bool,
    write_b: bool,
}

/// The `N` instructions from `i` on, if they lie in one block: control reaches the
/// later ones only by falling through (a dynamic entry goes to a checked copy), so
/// they can be compiled as one.
fn group<const N: usize>(program: &Program, i: usize) -> Option<[Instruction; N]> {
    let insns = program.instructions().get(i..i + N)?;
    if (i + 1..i + N).any(|j| program.is_block_start(j)) {
        return None;
    }
    insns.try_into().ok()
}

/// The rotate starting at instruction `i`, if one does and lies inside one block.
fn rotate_at(program: &Program, i: usize) -> Option<Rotate> {
    let [Instruction::OpImm { op: o0, rd: a, rs1: x, imm: k }, Instruction::OpImm { op: o1, rd: b, rs1: y, imm: k1 }, Instruction::Op { op: AluOp::Or, rd: d, rs1: p, rs2: q }] =
        group(program, i)?
    else {
        return None;
    };
    let right = match (o0, o1) {
        (AluOp::Srl, AluOp::Sll) => true,
        (AluOp::Sll, AluOp::Srl) => false,
        _ => return None,
    };
    // `a != x`: the second shift reads x after the first wrote a.
    let shape = (1..32).contains(&k) && k + k1 == 32 && x == y && a != b && a != x && a != Reg::ZERO && b != Reg::ZERO;
    if !shape || !((p, q) == (a, b) || (p, q) == (b, a)) {
        return None;
    }
    let write = |t: Reg| t != d && !overwritten_unobserved(program, i + 3, t);
    Some(Rotate { right, k, a, x, b, d, write_a: write(a), write_b: write(b) })
}

/// `xori t, b, -1; and t, x, t` (either operand order): `x & !b`, which x86 (BMI1)
/// computes in one `andn`: Keccak's chi step and SHA-256's choice function are made of
/// these. The inverted value in t is overwritten by the very next instruction, which
/// can't trap, so nothing observes it.
#[derive(Clone, Copy)]
struct AndNot {
    t: Reg,
    b: Reg,
    x: Reg,
}

fn and_not_at(program: &Program, i: usize) -> Option<AndNot> {
    let (t, b, imm, x) = pair_into(program, i, AluOp::Xor, AluOp::And)?;
    (imm == u32::MAX).then_some(AndNot { t, b, x })
}

/// `op1 t, a, imm; op2 t, t, y` (either operand order of `op2`, which reads t once)
/// inside one block, t not x0: (t, a, imm, y).
fn pair_into(program: &Program, i: usize, op1: AluOp, op2: AluOp) -> Option<(Reg, Reg, u32, Reg)> {
    let [Instruction::OpImm { op: o1, rd: t, rs1: a, imm }, Instruction::Op { op: o2, rd, rs1, rs2 }] = group(program, i)? else {
        return None;
    };
    let y = match (rs1 == t, rs2 == t) {
        (true, false) => rs2,
        (false, true) => rs1,
        _ => return None,
    };
    (o1 == op1 && o2 == op2 && rd == t && t != Reg::ZERO).then_some((t, a, imm, y))
}

/// `slli t, x, s; add t, y, t` (s = 1..3, either operand order): an array element's
/// address, `y + (x << s)`, which x86 computes in one `lea`. The shifted value in t is
/// overwritten by the very next instruction, which can't trap, so nothing observes it.
#[derive(Clone, Copy)]
struct ScaledIndex {
    t: Reg,
    x: Reg,
    y: Reg,
    shift: u32,
}

fn scaled_index_at(program: &Program, i: usize) -> Option<ScaledIndex> {
    let (t, x, shift, y) = pair_into(program, i, AluOp::Sll, AluOp::Add)?;
    (1..=3).contains(&shift).then_some(ScaledIndex { t, x, y, shift })
}

/// Whether the block, from instruction `from` on, overwrites `r` before reading it or
/// reaching anything that lets the host see registers (a possible trap, an exit, the
/// block's end). Looks a few instructions ahead only, so compiling stays linear.
fn overwritten_unobserved(program: &Program, from: usize, r: Reg) -> bool {
    let insns = program.instructions();
    for (j, insn) in insns.iter().enumerate().skip(from).take(16) {
        if program.is_block_start(j) || insn.sources().contains(&Some(r)) {
            return false;
        }
        match *insn {
            Instruction::OpImm { rd, .. } | Instruction::Op { rd, .. } | Instruction::Lui { rd, .. } | Instruction::Auipc { rd, .. }
                if rd == r =>
            {
                return true
            }
            // Division included: it never traps.
            Instruction::OpImm { .. }
            | Instruction::Op { .. }
            | Instruction::Lui { .. }
            | Instruction::Auipc { .. }
            | Instruction::Fence => {}
            _ => return false,
        }
    }
    false
}

/// The longest loop body that keeps its entry's alignment knowledge (the fixed point
/// below walks it a few times; the loops worth it are tight ones).
const MAX_KEPT_LOOP: usize = 64;

/// Loops of fewer instructions than this are aligned to 64 bytes, not 32.
const TINY_LOOP: usize = 6;

/// If `head` starts a loop whose body is one block (up to `MAX_KEPT_LOOP` long)
/// ending in a static jump back to it: that jump.
fn single_block_loop(program: &Program, head: usize) -> Option<usize> {
    let insns = program.instructions();
    let mut back = head;
    loop {
        let insn = *insns.get(back)?;
        if back - head >= MAX_KEPT_LOOP || back > head && program.is_block_start(back) {
            return None;
        }
        if insn.is_terminator() {
            let target = insn.static_target_offset().map(|o| back as i64 + o as i64 / 4);
            return (target == Some(head as i64)).then_some(back);
        }
        back += 1;
    }
}

/// A loop whose body is one block, `head` up to `back`, a static jump back to it: if
/// some of the registers known aligned on falling in (`entry`) stay so around every
/// iteration, the loop's code can assume they are on entering it: returns the back
/// edge and those registers (the largest such set below `entry`: each pass drops
/// those the body may misalign). Other ways in are tested (`Stub::LoopEntry`).
fn loop_alignment(program: &Program, head: usize, back: usize, entry: u16) -> Option<(usize, u16)> {
    let body = &program.instructions()[head..=back];
    let mut kept = entry;
    // Each pass drops at least one register; a few do for the loops compilers write.
    for _ in 0..4 {
        let after = body.iter().fold(kept, |k, &insn| aligned_after(k, insn));
        if kept & after == kept {
            // Worth a tested entry only if it leaves out checks.
            return (checks(body, kept) < checks(body, 1)).then_some((back, kept));
        }
        kept &= after;
    }
    None
}

/// How many alignment checks straight-line code needs, knowing `known` at its start
/// (as `Emitter::access` decides).
fn checks(code: &[Instruction], mut known: u16) -> usize {
    let mut n = 0;
    for &insn in code {
        let (size, rs1, offset) = match insn {
            Instruction::Load { kind, rs1, offset, .. } => (kind.size(), rs1, offset),
            Instruction::Store { kind, rs1, offset, .. } => (kind.size(), rs1, offset),
            _ => (1, Reg::ZERO, 0),
        };
        if size > 1 && (known & 1 << rs1.index() == 0 || offset % size as i32 != 0) {
            n += 1;
        }
        known = aligned_after(known, insn);
    }
    n
}

/// The guest registers known to hold a multiple of 4 after `insn` runs without
/// trapping, given `known` before it. Sound, not complete: what a compiler's pointer
/// arithmetic needs (stack and frame pointers, addresses of aligned data).
// (Inlined: it runs for every instruction compiled.)
#[inline(always)]
fn aligned_after(known: u16, insn: Instruction) -> u16 {
    let has = |r: Reg| known & (1 << r.index()) != 0;
    let set = |known: u16, rd: Reg, aligned: bool| match (rd == Reg::ZERO, aligned) {
        (true, _) => known,
        (false, true) => known | 1 << rd.index(),
        (false, false) => known & !(1 << rd.index()),
    };
    // A word access that passed its check at an offset that is a multiple of 4 proves
    // its base is one too.
    let checked_base = |size: u32, rs1: Reg, offset: i32| {
        if size == 4 && offset % 4 == 0 {
            known | 1 << rs1.index()
        } else {
            known
        }
    };
    match insn {
        Instruction::Load { kind, rd, rs1, offset } => set(checked_base(kind.size(), rs1, offset), rd, false),
        Instruction::Store { kind, rs1, offset, .. } => checked_base(kind.size(), rs1, offset),
        // Both leave the low 12 bits of an aligned value (CODE_BASE, the pc) as they were.
        Instruction::Lui { rd, .. } | Instruction::Auipc { rd, .. } => set(known, rd, true),
        Instruction::OpImm { op, rd, rs1, imm } => set(
            known,
            rd,
            match op {
                AluOp::Add | AluOp::Or | AluOp::Xor => has(rs1) && imm & 3 == 0,
                AluOp::And => has(rs1) || imm & 3 == 0,
                AluOp::Sll => has(rs1) || imm & 31 >= 2,
                _ => false,
            },
        ),
        Instruction::Op { op, rd, rs1, rs2 } => set(
            known,
            rd,
            match op {
                AluOp::Add | AluOp::Sub | AluOp::Or | AluOp::Xor => has(rs1) && has(rs2),
                AluOp::And | AluOp::Mul => has(rs1) || has(rs2),
                AluOp::Sll => has(rs1),
                _ => false,
            },
        ),
        Instruction::Jal { rd, .. } | Instruction::Jalr { rd, .. } => set(known, rd, false),
        Instruction::Branch { .. } | Instruction::Fence | Instruction::Ecall | Instruction::Ebreak | Instruction::Unimp => known,
    }
}

/// What compiling needs in proportion to the program, kept per thread for the next
/// compilation: fresh memory costs a page fault per 4 KiB page, and the allocator
/// gives it back on free; with a new buffer each time, that was most of compiling.
#[derive(Default)]
struct Scratch {
    ops: Assembler,
    entry: Vec<DynamicLabel>,
    block: Vec<Option<DynamicLabel>>,
    entry_bound: Vec<bool>,
    sites: Vec<FaultSite>,
    site_regions: Vec<Option<u32>>,
    stubs: Vec<Stub>,
    call_targets: Vec<usize>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Box<Scratch>>> = const { std::cell::Cell::new(None) };
}

/// Buffers for programs larger than this (~250,000 instructions) aren't kept.
const KEEP_BYTES: usize = 8 << 20;

/// Compiles a validated program. Linear in its size: one pass over the instructions.
/// The checked copies of block tails that dynamic jumps into the middle of blocks
/// need are compiled (with the whole program again) only when one first does.
pub fn compile(program: Arc<Program>) -> Result<JitModule, CompileError> {
    compile_module(program, false)
}

/// Compiles a validated program with every checked copy up front: for a host that
/// would rather not compile during a call (the first jump into the middle of a block
/// otherwise does), and for tests of the copies.
pub fn compile_with_copies(program: Arc<Program>) -> Result<JitModule, CompileError> {
    compile_module(program, true)
}

fn compile_module(program: Arc<Program>, with_copies: bool) -> Result<JitModule, CompileError> {
    let err = |e: &dyn std::fmt::Debug| CompileError(format!("{e:?}"));
    let insns = program.instructions();
    let n = insns.len();
    // Room for what programs compile to (~25 bytes per instruction), so the buffer
    // rarely grows and copies. The code is assembled there (its jumps are all
    // relative), then copied once into its executable mapping.
    let Scratch { mut ops, mut entry, mut block, mut entry_bound, mut sites, mut site_regions, mut stubs, mut call_targets } =
        SCRATCH.take().map_or_else(Scratch::default, |s| *s);
    ops.reset(32 * n + 4096);
    entry.clear();
    entry.extend((0..n).map(|_| ops.new_dynamic_label()));
    block.clear();
    block.resize(n, None);
    entry_bound.clear();
    entry_bound.resize(n, false);
    // Kept only for their capacity.
    sites.clear();
    site_regions.clear();
    stubs.clear();
    call_targets.clear();
    let [exit, dyn_enter, dyn_oog, fault_exit, needs_copies] = [(); 5].map(|_| ops.new_dynamic_label());
    // `andn` (BMI1: every x86-64 core since 2013) where the host has it.
    let bmi1 = std::is_x86_feature_detected!("bmi1");
    // The program's loops: (target, backward jump).
    let loops: Vec<(usize, usize)> = backward_jumps(&program).collect();
    let global = allocate(&program, &loops);
    let regions = loop_regions(&program, &loops, &global);
    let fault_pads = regions.iter().map(|_| ops.new_dynamic_label()).collect();
    let mut e = Emitter {
        ops,
        program: &program,
        host: global,
        global,
        regions,
        fault_pads,
        site_regions,
        fault_exit,
        current_region: None,
        block,
        entry,
        aligned: 1,
        tracking: true,
        sites,
        stubs,
        trap_exits: Vec::new(),
        exit,
        dyn_enter,
        dyn_oog,
        needs_copies,
        call_targets,
        with_copies,
        fast_loop: (0, usize::MAX, needs_copies),
        kept_loops: Vec::new(),
    };
    let mut fused_until = 0;
    // The next loop region the pass will reach.
    let mut next_region = 0;
    // Loop heads: the targets of backward static jumps.
    let mut loop_head = vec![false; n];
    for &(t, _) in &loops {
        loop_head[t] = true;
    }

    for (i, &insn) in insns.iter().enumerate() {
        // Falling into a loop with its own mapping: switch to it (its first
        // instruction is a block start, whose label jumps from inside the loop use).
        if e.regions.get(next_region).is_some_and(|r| r.start == i) {
            let map = e.regions[next_region].map;
            e.moves(e.host, map);
            e.host = map;
            e.current_region = Some(next_region as u32);
            next_region += 1;
        }
        if program.is_block_start(i) {
            if loop_head[i] {
                let falls_into = i > 0 && (!insns[i - 1].is_terminator() || matches!(insns[i - 1], Instruction::Branch { .. }));
                e.loop_head(i, falls_into);
            } else {
                let l = e.block_start(i);
                dynasm!(e.ops ; .arch x64 ; =>l);
                e.charge_entry(i, e.current_region);
                // Control reaches a block start from anywhere: nothing is known.
                e.aligned = 1;
            }
        }
        if i < fused_until {
            // Compiled with the rotate or scaled index before it; entries here go to a
            // checked copy.
        } else {
            if e.is_direct_call(i) {
                // Its entry label goes on the full copy (`Stub::DynamicJalr`).
                entry_bound[i] = true;
            } else if e.aligned == 1 {
                // Nothing assumed here: dynamic entries can use the inline code (inside
                // a loop with its own mapping, after the moves into it).
                let l = e.entry[i];
                if e.host == e.global {
                    dynasm!(e.ops ; .arch x64 ; =>l);
                } else {
                    let inline = e.ops.new_dynamic_label();
                    dynasm!(e.ops ; .arch x64 ; =>inline);
                    e.stubs.push(Stub::Edge { label: l, from: None, to: e.current_region, target: inline });
                }
                entry_bound[i] = true;
            }
            // Every fused group starts with an immediate shift or xor.
            let may_fuse = matches!(insn, Instruction::OpImm { op: AluOp::Sll | AluOp::Srl | AluOp::Xor, .. });
            if let Some(rotate) = may_fuse.then(|| rotate_at(&program, i)).flatten() {
                e.rotate(rotate);
                fused_until = i + 3;
            } else if let Some(index) = may_fuse.then(|| scaled_index_at(&program, i)).flatten() {
                e.scaled_index(index);
                fused_until = i + 2;
            } else if let Some(f) = (may_fuse && bmi1).then(|| and_not_at(&program, i)).flatten() {
                e.and_not(f);
                fused_until = i + 2;
            } else if i == e.fast_loop.1 {
                e.back_edge(i, insn);
            } else {
                e.instruction(i, insn);
            }
        }
        e.aligned = aligned_after(e.aligned, insn);
        // Falling out of the loop (its backward jump not taken): back to the program's
        // mapping.
        if e.current_region.is_some_and(|r| e.regions[r as usize].end == i) {
            e.moves(e.host, e.global);
            e.host = e.global;
            e.current_region = None;
        }
    }
    e.fall_off_end();
    // Checked copies, stubs and the runtime use the program's mapping.
    if with_copies {
        e.checked_copies(&mut entry_bound);
    } else {
        // Only the copies code jumps to by label (a direct call into the middle of a
        // block, which compilers don't emit); dynamic jumps to the others exit.
        let targets = std::mem::take(&mut e.call_targets);
        for &t in &targets {
            if !entry_bound[t] {
                e.checked_copy(t, &mut entry_bound);
            }
        }
        e.call_targets = targets;
    }
    // Stubs assume nothing either.
    e.tracking = false;
    e.aligned = 0;
    e.stubs();
    let entry = e.runtime();

    e.ops.commit().map_err(|x| err(&x))?;
    let resolve = |ops: &Assembler, l: DynamicLabel| ops.labels().resolve_dynamic(l).map_err(|x| err(&x));
    let entry = resolve(&e.ops, entry)?;
    let fault_exit = resolve(&e.ops, e.fault_exit)?;
    let pads: Vec<AssemblyOffset> = e.fault_pads.iter().map(|&l| resolve(&e.ops, l)).collect::<Result<_, _>>()?;
    let loops = e.regions.iter().map(|r| (CODE_BASE + 4 * r.start as u32, CODE_BASE + 4 * r.end as u32)).collect();
    // The module's copy, exactly sized; the scratch vector is kept.
    let mut sites = e.sites.clone();
    for (site, region) in sites.iter_mut().zip(&e.site_regions) {
        site.resume = region.map_or(fault_exit, |r| pads[r as usize]).0 as u32;
    }
    let code = CodeBuffer::new(e.ops.code()).map_err(|x| CompileError(format!("mapping the code: {x}")))?;
    let needs_copies = code.ptr(resolve(&e.ops, e.needs_copies)?) as u64;
    let mut jump_table = Vec::with_capacity(n);
    for (&l, &bound) in e.entry.iter().zip(&entry_bound) {
        jump_table.push(match bound {
            true => code.ptr(resolve(&e.ops, l)?) as u64,
            false => needs_copies,
        });
    }
    if e.ops.capacity() <= KEEP_BYTES {
        SCRATCH.set(Some(Box::new(Scratch {
            ops: e.ops,
            entry: e.entry,
            block: e.block,
            entry_bound,
            sites: e.sites,
            site_regions: e.site_regions,
            stubs: e.stubs,
            call_targets: e.call_targets,
        })));
    }
    sites.sort_by_key(|s| s.offset);
    let kept_loops = e.kept_loops.iter().map(|k| (CODE_BASE + 4 * k.index as u32, k.aligned)).collect();
    let cost_table = (0..n).map(|i| program.entry_cost(i)).collect();
    Ok(JitModule {
        program,
        code,
        entry,
        sites,
        jump_table,
        cost_table,
        sandboxes: SandboxPool::default(),
        loops,
        kept_loops,
        with_copies: OnceLock::new(),
    })
}
