//! The tables (chips) of the AIR and the one type over all of them that the
//! batch prover and verifier take.

pub mod add_sub;
pub mod bitwise;
pub mod bytes;
pub mod cpu;
pub mod div;
pub mod host;
pub mod lt;
pub mod memory;
pub mod mul;
pub mod program;
pub mod registers;
pub mod shift;
pub mod trap;

use alloc::vec::Vec;

use p3_air::{Air, BaseAir};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use crate::buses;

/// A count that is 0 or ±1 on every row (the AIR makes its flags boolean).
pub(crate) fn bool_count<E>(e: E) -> Count<E> {
    Count::bounded(e, 1)
}

/// Takes a 16-bit range check of `value` (`count` is 0 or 1).
pub(crate) fn u16_check<AB: InteractionBuilder>(builder: &mut AB, value: AB::Expr, count: AB::Expr) {
    builder.push_interaction(buses::U16, [value], bool_count(-count));
}

/// `bit` is the sign (top) bit of `byte` where `count` is 1, looked up as
/// `byte & 0x80 = 0x80·bit`; and a bit everywhere.
pub(crate) fn sign_bit<AB: InteractionBuilder>(builder: &mut AB, byte: AB::Var, bit: AB::Var, count: AB::Expr) {
    builder.assert_bool(bit);
    let fields = [AB::Expr::from_u32(buses::op::AND), byte.into(), AB::Expr::from_u32(0x80), bit.into() * AB::Expr::from_u32(0x80)];
    builder.push_interaction(buses::BITWISE, fields, bool_count(-count));
}

/// Range-checks limbs where `count` is 1: `lo < 2^16`, and `hi·2^(16 - hi_bits) <
/// 2^16`. That alone doesn't make `hi` an integer (it could be `v/2^(16 - hi_bits)`),
/// but `2^16·hi` is then an integer below `2^(16 + hi_bits)`, so `lo + 2^16·hi` is
/// below `2^(16 + hi_bits) + 2^16`: callers use `hi` only so, or constrain it to an
/// integer difference of small integers (then `0 <= hi < 2^hi_bits`).
pub(crate) fn limb_checks<AB: InteractionBuilder>(builder: &mut AB, lo: AB::Var, hi: AB::Var, hi_bits: u32, count: AB::Expr) {
    u16_check(builder, lo.into(), count.clone());
    u16_check(builder, hi.into() * AB::Expr::from_u32(1 << (16 - hi_bits)), count);
}

/// Where `count` is 1: `value = lo + 2^16·hi` in range-checked limbs, so
/// `0 <= value < 2^(16 + hi_bits) + 2^16` (how ordering and bounds are proven: no
/// caller's value comes near the field's size).
pub(crate) fn limbs_below<AB: InteractionBuilder>(
    builder: &mut AB,
    value: AB::Expr,
    lo: AB::Var,
    hi: AB::Var,
    hi_bits: u32,
    count: AB::Expr,
) {
    builder.assert_zero(count.clone() * (value - lo.into() - hi.into() * AB::Expr::from_u32(1 << 16)));
    limb_checks(builder, lo, hi, hi_bits, count);
}

/// Range-checks two bytes, each on its own (`count` is 0 or 1).
pub(crate) fn byte_pair<AB: InteractionBuilder>(builder: &mut AB, [lo, hi]: [AB::Var; 2], count: AB::Expr) {
    builder.push_interaction(buses::BYTE_PAIR, [lo.into(), hi.into()], bool_count(-count));
}

/// The tables for one program (the host tables for one transcript), and the public
/// values a statement gives them.
#[derive(Clone, Debug)]
pub struct Circuit {
    pub program: program::ProgramChip,
    pub image: memory::ImageChip,
    pub bounds: memory::Bounds,
    pub host: host::HostTables,
    /// The tables after the 16 every proof has, each the index of the table it
    /// continues: an execution's further CPU segments (in execution order) and further
    /// parts of the tables whose rows are independent (`index::SPLITTABLE`), so that
    /// each table is a power of two with little padding.
    pub extra_tables: Vec<usize>,
    /// The states between CPU segments (where each after the first starts), then the
    /// state after the last step (its gas is the statement's: not used from here).
    /// From the traces (`cpu::State`), carried in the proof.
    pub seams: Vec<cpu::State>,
}

impl Circuit {
    pub fn new(p: &rivet_vm::Program) -> Circuit {
        let empty = host::HostTables::new(&Default::default(), &[], false).unwrap_or_default();
        Circuit {
            program: program::ProgramChip::new(p),
            image: memory::ImageChip::new(p),
            bounds: memory::Bounds::of(p),
            host: empty,
            extra_tables: Vec::new(),
            seams: Vec::new(),
        }
    }

    /// The same program with these host tables.
    pub fn with_host(&self, host: host::HostTables) -> Circuit {
        Circuit { host, ..self.clone() }
    }

    pub fn airs(&self) -> Vec<RivetAir> {
        let mut airs = RivetAir::all(&self.program, &self.image);
        airs.push(RivetAir::HostCall(host::HostCallChip {
            columns: self.host.call_columns.clone(),
            log_height: self.host.call_log_height,
        }));
        airs.push(RivetAir::HostMemory(host::HostMemoryChip {
            columns: self.host.memory_columns.clone(),
            log_height: self.host.memory_log_height,
        }));
        airs.push(RivetAir::Trap(trap::TrapChip));
        for &t in &self.extra_tables {
            airs.push(airs[t].clone());
        }
        airs
    }

    /// The positions of the tables holding table `t`'s rows: `t`, then its extra parts.
    pub fn parts_of(&self, t: usize) -> impl Iterator<Item = usize> + '_ {
        let extra = self.extra_tables.iter().enumerate().filter(move |&(_, &e)| e == t).map(|(k, _)| index::COUNT + k);
        core::iter::once(t).chain(extra)
    }

    /// The positions of the CPU segments, in execution order.
    pub fn cpu_tables(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts_of(index::CPU)
    }

    pub fn cpu_segments(&self) -> usize {
        self.cpu_tables().count()
    }

    /// Whether a proof may have these extra tables: parts of splittable tables, at
    /// most `MAX_EXTRA_TABLES` of them and `MAX_CPU_SEGMENTS` CPU segments in all.
    pub fn extra_tables_allowed(extra: &[usize]) -> bool {
        extra.len() <= MAX_EXTRA_TABLES
            && extra.iter().all(|t| index::SPLITTABLE.contains(t))
            && extra.iter().filter(|&&t| t == index::CPU).count() < MAX_CPU_SEGMENTS
    }

    /// The states between the CPU segments of `traces` and after the last step
    /// (`seams`), as the prover reads them off its tables.
    pub fn read_seams(&self, traces: &[p3_matrix::dense::RowMajorMatrix<crate::config::Val>]) -> Vec<cpu::State> {
        let segments: Vec<&p3_matrix::dense::RowMajorMatrix<_>> = self.cpu_tables().filter_map(|t| traces.get(t)).collect();
        let mut seams: Vec<cpu::State> =
            segments.iter().skip(1).map(|m| m.values.chunks(cpu::WIDTH).next().map(cpu::State::before).unwrap_or_default()).collect();
        let last_step = segments.last().and_then(|m| m.values.chunks(cpu::WIDTH).rev().find(|r| cpu::real(r)));
        seams.push(last_step.map(cpu::State::after).unwrap_or_default());
        seams
    }

    /// Each table's public values, in `index` order.
    pub fn public_values(&self, statement: &crate::Statement) -> Vec<Vec<crate::config::Val>> {
        use crate::config::Val;
        let mut pvs = statement.public_values();
        let b = &self.bounds;
        pvs[index::CPU].push(Val::from_u32(rivet_vm::memory_map::CODE_BASE + b.code_size));
        pvs[index::MEMORY] = [b.stack_bottom, b.ro_base, b.ro_end].map(Val::from_u32).to_vec();
        pvs[index::ZERO_INIT] = [b.image_lo, b.image_hi].map(Val::from_u32).to_vec();
        pvs[index::HOST_CALL] = self.host.public_values(&statement.transcript);
        // The call starts at the entry with the whole gas limit and the heap at its
        // base, entered; the run ends with the statement's gas left.
        let start = cpu::State { clk: 0, pc: statement.entry, gas: statement.gas_limit, heap: b.heap_base, transfer: true };
        let end = cpu::State { gas: statement.gas_left, ..self.seams.last().copied().unwrap_or_default() };
        let mut states = alloc::vec![start];
        states.extend(self.seams.iter().take(self.seams.len().saturating_sub(1)));
        states.push(end);
        let [_, end_pc, g0, g1, g2, _, end_transfer] = end.values::<Val>();
        pvs[index::TRAP] = [b.stack_bottom, b.ro_base, b.ro_end, b.code_size].map(Val::from_u32).to_vec();
        let ending = statement.ending;
        pvs[index::TRAP].extend([ending == crate::Ending::InvalidJumpTarget, ending == crate::Ending::OutOfGas].map(Val::from_bool));
        pvs[index::TRAP].extend([end_pc, g0, g1, g2, end_transfer]);
        // A table's parts share its public values; CPU segments add which is last and
        // the states they start in and hand on.
        for &t in &self.extra_tables {
            pvs.push(pvs[t].clone());
        }
        // Segment k starts in states[k] and hands on states[k + 1]. (A proof with a
        // seam too few or too many is the wrong shape: the verifier checks first.)
        let segments = self.cpu_segments();
        for (k, table) in self.cpu_tables().enumerate() {
            pvs[table].push(Val::from_bool(k + 1 == segments));
            let state = |i: usize| states.get(i).copied().unwrap_or_default().values::<Val>();
            pvs[table].extend(state(k));
            pvs[table].extend(state(k + 1));
        }
        pvs
    }
}

/// Makes each operation flag of `ops` (column, code) boolean and at most one of them
/// set; returns whether the row is used and the code of its operation.
pub(crate) fn one_of<AB: InteractionBuilder>(builder: &mut AB, row: &[AB::Var], ops: &[(usize, u32)]) -> (AB::Expr, AB::Expr) {
    let mut real = AB::Expr::ZERO;
    let mut code = AB::Expr::ZERO;
    for &(f, c) in ops {
        builder.assert_bool(row[f]);
        real += row[f].into();
        code += row[f].into() * AB::Expr::from_u32(c);
    }
    builder.assert_bool(real.clone());
    (real, code)
}

/// Every table, in the order the proof holds them.
#[derive(Clone, Debug)]
pub enum RivetAir {
    Program(program::ProgramChip),
    Cpu(cpu::CpuChip),
    Registers(registers::RegistersChip),
    Bytes(bytes::BytesChip),
    AddSub(add_sub::AddSubChip),
    Bitwise(bitwise::BitwiseChip),
    Lt(lt::LtChip),
    Memory(memory::MemoryChip),
    Image(memory::ImageChip),
    ZeroInit(memory::ZeroInitChip),
    Mul(mul::MulChip),
    Shift(shift::ShiftChip),
    Div(div::DivChip),
    HostCall(host::HostCallChip),
    HostMemory(host::HostMemoryChip),
    Trap(trap::TrapChip),
}

/// Which table is at which position.
pub mod index {
    pub const PROGRAM: usize = 0;
    pub const CPU: usize = 1;
    pub const REGISTERS: usize = 2;
    pub const BYTES: usize = 3;
    pub const ADD_SUB: usize = 4;
    pub const BITWISE: usize = 5;
    pub const LT: usize = 6;
    pub const MEMORY: usize = 7;
    pub const IMAGE: usize = 8;
    pub const ZERO_INIT: usize = 9;
    pub const MUL: usize = 10;
    pub const SHIFT: usize = 11;
    pub const DIV: usize = 12;
    pub const HOST_CALL: usize = 13;
    pub const HOST_MEMORY: usize = 14;
    pub const TRAP: usize = 15;
    /// Tables in every proof; further parts of the splittable ones follow them.
    pub const COUNT: usize = 16;
    /// The tables whose rows may span several tables: the CPU (its segments joined
    /// over `CONTINUE`) and those whose rows are independent of each other.
    pub const SPLITTABLE: [usize; 8] = [CPU, ADD_SUB, BITWISE, LT, MEMORY, MUL, SHIFT, DIV];
}

/// At most this many CPU segments in a proof.
pub const MAX_CPU_SEGMENTS: usize = 4;
/// At most this many tables beyond the 16 (each adds its width's share of every
/// query's openings to the proof: ~25 KiB for a CPU segment, 5–12 KiB for others).
pub const MAX_EXTRA_TABLES: usize = 8;

impl RivetAir {
    /// The tables for one program, but the host's.
    pub fn all(program: &program::ProgramChip, image: &memory::ImageChip) -> Vec<RivetAir> {
        alloc::vec![
            RivetAir::Program(program.clone()),
            RivetAir::Cpu(cpu::CpuChip),
            RivetAir::Registers(registers::RegistersChip),
            RivetAir::Bytes(bytes::BytesChip),
            RivetAir::AddSub(add_sub::AddSubChip),
            RivetAir::Bitwise(bitwise::BitwiseChip),
            RivetAir::Lt(lt::LtChip),
            RivetAir::Memory(memory::MemoryChip),
            RivetAir::Image(image.clone()),
            RivetAir::ZeroInit(memory::ZeroInitChip),
            RivetAir::Mul(mul::MulChip),
            RivetAir::Shift(shift::ShiftChip),
            RivetAir::Div(div::DivChip),
        ]
    }

    pub fn name(&self) -> &'static str {
        match self {
            RivetAir::Program(_) => "program",
            RivetAir::Cpu(_) => "cpu",
            RivetAir::Registers(_) => "registers",
            RivetAir::Bytes(_) => "bytes",
            RivetAir::AddSub(_) => "add/sub",
            RivetAir::Bitwise(_) => "bitwise",
            RivetAir::Lt(_) => "compare",
            RivetAir::Memory(_) => "memory",
            RivetAir::Image(_) => "data image",
            RivetAir::ZeroInit(_) => "zero-init words",
            RivetAir::Mul(_) => "multiply",
            RivetAir::Shift(_) => "shift",
            RivetAir::Div(_) => "divide",
            RivetAir::HostCall(_) => "host calls",
            RivetAir::HostMemory(_) => "host memory",
            RivetAir::Trap(_) => "trap",
        }
    }

    /// The height of tables whose height the program fixes.
    pub fn fixed_log_height(&self) -> Option<usize> {
        match self {
            RivetAir::Program(p) => Some(p.log_height),
            RivetAir::Registers(_) => Some(registers::LOG_HEIGHT),
            RivetAir::Bytes(_) => Some(bytes::LOG_HEIGHT),
            RivetAir::Image(i) => Some(i.log_height),
            RivetAir::HostCall(h) => Some(h.log_height),
            RivetAir::HostMemory(h) => Some(h.log_height),
            RivetAir::Trap(_) => Some(trap::LOG_HEIGHT),
            _ => None,
        }
    }
}

impl<F: Field> BaseAir<F> for RivetAir {
    fn width(&self) -> usize {
        match self {
            RivetAir::Program(_) => 2,
            RivetAir::Cpu(_) => cpu::WIDTH,
            RivetAir::Registers(_) => registers::main::WIDTH,
            RivetAir::Bytes(_) => bytes::main::WIDTH,
            RivetAir::AddSub(_) => add_sub::WIDTH,
            RivetAir::Bitwise(_) => bitwise::WIDTH,
            RivetAir::Lt(_) => lt::WIDTH,
            RivetAir::Memory(_) => memory::WIDTH,
            RivetAir::Image(_) => memory::image::WIDTH,
            RivetAir::ZeroInit(_) => memory::zero_init::WIDTH,
            RivetAir::Mul(_) => mul::WIDTH,
            RivetAir::Shift(_) => shift::WIDTH,
            RivetAir::Div(_) => div::WIDTH,
            RivetAir::HostCall(_) => host::call::WIDTH,
            RivetAir::HostMemory(_) => host::memory::WIDTH,
            RivetAir::Trap(_) => trap::WIDTH,
        }
    }

    fn preprocessed_trace(&self) -> Option<RowMajorMatrix<F>> {
        match self {
            RivetAir::Program(p) => Some(p.preprocessed()),
            RivetAir::Registers(r) => Some(r.preprocessed()),
            RivetAir::Bytes(b) => Some(b.preprocessed()),
            RivetAir::Image(i) => Some(i.preprocessed()),
            _ => None,
        }
    }

    fn preprocessed_width(&self) -> usize {
        match self {
            RivetAir::Program(_) => program::decoded::WIDTH,
            RivetAir::Registers(_) => registers::pre::WIDTH,
            RivetAir::Bytes(_) => bytes::pre::WIDTH,
            RivetAir::Image(_) => memory::image::pre::WIDTH,
            _ => 0,
        }
    }

    fn num_public_values(&self) -> usize {
        match self {
            RivetAir::Cpu(_) => cpu::public::WIDTH,
            RivetAir::Registers(_) => registers::public::WIDTH,
            RivetAir::Memory(_) => memory::public::WIDTH,
            RivetAir::ZeroInit(_) => memory::zero_init::public::WIDTH,
            RivetAir::HostCall(_) => TRANSCRIPT_HASH_LIMBS,
            RivetAir::Trap(_) => trap::public::WIDTH,
            _ => 0,
        }
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        match self {
            RivetAir::Cpu(_) => (0..cpu::WIDTH).collect(),
            RivetAir::ZeroInit(_) => (0..memory::zero_init::WIDTH).collect(),
            _ => Vec::new(),
        }
    }

    fn preprocessed_next_row_columns(&self) -> Vec<usize> {
        Vec::new()
    }

    fn num_periodic_columns(&self) -> usize {
        match self {
            RivetAir::HostCall(_) => host::call::public::WIDTH,
            RivetAir::HostMemory(_) => host::memory::public::WIDTH,
            _ => 0,
        }
    }

    fn periodic_columns(&self) -> alloc::borrow::Cow<'_, [Vec<F>]> {
        match self {
            RivetAir::HostCall(h) => h.periodic(),
            RivetAir::HostMemory(h) => h.periodic(),
            _ => alloc::borrow::Cow::Borrowed(&[]),
        }
    }
}

/// The transcript's hash in 16-bit limbs: the host-call table's public values, so the
/// proof's challenges depend on the transcript.
pub const TRANSCRIPT_HASH_LIMBS: usize = 16;

impl<AB: InteractionBuilder> Air<AB> for RivetAir
where
    AB::F: Field,
{
    fn eval(&self, builder: &mut AB) {
        match self {
            RivetAir::Program(p) => p.eval(builder),
            RivetAir::Cpu(c) => c.eval(builder),
            RivetAir::Registers(r) => r.eval(builder),
            RivetAir::Bytes(b) => b.eval(builder),
            RivetAir::AddSub(a) => a.eval(builder),
            RivetAir::Bitwise(b) => b.eval(builder),
            RivetAir::Lt(l) => l.eval(builder),
            RivetAir::Memory(m) => m.eval(builder),
            RivetAir::Image(i) => i.eval(builder),
            RivetAir::ZeroInit(z) => z.eval(builder),
            RivetAir::Mul(m) => m.eval(builder),
            RivetAir::Shift(sh) => sh.eval(builder),
            RivetAir::Div(d) => d.eval(builder),
            RivetAir::HostCall(h) => h.eval(builder),
            RivetAir::HostMemory(h) => h.eval(builder),
            RivetAir::Trap(t) => t.eval(builder),
        }
    }
}
