//! Host calls, bound to the public transcript. The transcript's values are the
//! tables' periodic columns (public: the verifier computes them from the
//! transcript), so the prover only supplies timestamps and the memory it didn't see.
//!
//! - `HostCallChip`: one row per host call. Reads a0..a5 (the arguments) and writes
//!   a0, a1 (the results) over `REGISTERS`, and answers the CPU's `ecall` row on
//!   `MEMOP` with `(clk, t0, gas left, heap top, ended)` (`answer`).
//! - `HostMemoryChip`: one row per word a host call read or wrote: the bytes it read
//!   must be what memory held, the bytes it wrote replace them, over `MEMORY`.
//!
//! Timestamps within step `clk`: the CPU's accesses at `8·clk + 1..4`, the host's
//! register reads at `+5`, its register writes at `+6`, its memory accesses at `+7`.

use alloc::{borrow::Cow, vec::Vec};

use blake2::{digest::consts::U32, Blake2b, Digest};

use p3_air::WindowAccess;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use crate::buses;
use crate::chips::{bool_count, limbs_below};
use crate::transcript::Transcript;

pub mod call {
    use crate::columns::columns;
    /// Periodic (public) columns.
    pub mod public {
        use crate::columns::columns;
        columns! { REAL, CLK, NUM[4], ARGS[24], RES[8], GAS[3], HEAP, END }
    }
    // The public columns are copied into the main trace (equal by constraint): the
    // lookup argument reads only trace columns.
    columns! { PUB[public::WIDTH], PREV_TS[6], TS_LO[6], TS_HI[6] }
}

pub mod memory {
    use crate::columns::columns;
    pub mod public {
        use crate::columns::columns;
        columns! { REAL, CLK, W, READ_MASK[4], READ[4], WRITE_MASK[4], WRITTEN[4] }
    }
    columns! { PUB[public::WIDTH], OLD[4], PREV_TS, TS_LO, TS_HI }
}

/// The host calls' public rows, as the AIR sees them.
#[derive(Clone, Debug, Default)]
pub struct HostTables {
    /// The step of each host call.
    pub clks: Vec<u64>,
    pub call_columns: Vec<Vec<u32>>,
    pub memory_columns: Vec<Vec<u32>>,
    pub call_log_height: usize,
    pub memory_log_height: usize,
}

impl HostTables {
    /// Lays the transcript out: call `k` happened at step `clks[k]`.
    pub fn new(transcript: &Transcript, clks: &[u64], ended_by_host: bool) -> Option<HostTables> {
        if clks.len() != transcript.calls.len() {
            return None;
        }
        let words = transcript.word_accesses()?;
        let call_log_height = crate::log_height_for(transcript.calls.len());
        let memory_log_height = crate::log_height_for(words.len());
        let mut cc = alloc::vec![alloc::vec![0u32; 1 << call_log_height]; call::public::WIDTH];
        let last = transcript.calls.len().wrapping_sub(1);
        for (k, (c, &clk)) in transcript.calls.iter().zip(clks).enumerate() {
            use call::public::*;
            let clk32 = u32::try_from(clk).ok()?;
            let end = ended_by_host && k == last;
            cc[REAL][k] = 1;
            cc[CLK][k] = clk32;
            for i in 0..4 {
                cc[NUM + i][k] = (c.number >> (8 * i)) & 0xff;
                for (a, &arg) in c.args.iter().enumerate() {
                    cc[ARGS + 4 * a + i][k] = (arg >> (8 * i)) & 0xff;
                }
                for (a, &res) in c.results.iter().enumerate() {
                    cc[RES + 4 * a + i][k] = (res >> (8 * i)) & 0xff;
                }
            }
            for (i, limb) in crate::chips::cpu::gas_limbs(c.gas_left).into_iter().enumerate() {
                cc[GAS + i][k] = limb;
            }
            cc[HEAP][k] = c.heap_top / 4;
            cc[END][k] = end as u32;
        }
        let mut mc = alloc::vec![alloc::vec![0u32; 1 << memory_log_height]; memory::public::WIDTH];
        for (row, w) in words.iter().enumerate() {
            use memory::public::*;
            mc[REAL][row] = 1;
            mc[CLK][row] = u32::try_from(clks[w.call]).ok()?;
            mc[W][row] = w.word;
            for j in 0..4 {
                mc[READ_MASK + j][row] = w.read_mask[j] as u32;
                mc[READ + j][row] = w.read[j] as u32;
                mc[WRITE_MASK + j][row] = w.write_mask[j] as u32;
                mc[WRITTEN + j][row] = w.written[j] as u32;
            }
        }
        Some(HostTables { clks: clks.to_vec(), call_columns: cc, memory_columns: mc, call_log_height, memory_log_height })
    }
}

impl HostTables {
    /// Copies the public columns into the first columns of `trace` (the host tables'
    /// main traces start with them).
    pub fn copy_public<F: Field>(columns: &[Vec<u32>], values: &mut [F], width: usize) {
        for (row, chunk) in values.chunks_mut(width).enumerate() {
            for (c, col) in columns.iter().enumerate() {
                chunk[c] = F::from_u32(col[row]);
            }
        }
    }

    /// The hash of the transcript and the host calls' steps, in 16-bit limbs: the
    /// host-call table's public values (so the proof's challenges depend on them).
    pub fn public_values<F: Field>(&self, transcript: &Transcript) -> Vec<F> {
        let mut bytes = transcript.to_bytes();
        for c in &self.clks {
            bytes.extend_from_slice(&c.to_le_bytes());
        }
        let hash: [u8; 32] = Blake2b::<U32>::digest(&bytes).into();
        hash.chunks(2).map(|p| F::from_u32(p[0] as u32 | (p[1] as u32) << 8)).collect()
    }
}

/// The public (periodic) columns, as the main-trace copies `copy` the constraints tie
/// them to.
fn public_copy<AB: InteractionBuilder>(builder: &mut AB, copy: &[AB::Var]) -> Vec<AB::Expr> {
    let periodic: Vec<AB::Expr> = builder.periodic_values().iter().map(|&v| v.into()).collect();
    for (&c, v) in copy.iter().zip(periodic) {
        builder.assert_eq(c, v);
    }
    copy.iter().map(|&c| c.into()).collect()
}

fn to_field<F: Field>(cols: &[Vec<u32>]) -> Vec<Vec<F>> {
    cols.iter().map(|c| c.iter().map(|&v| F::from_u32(v)).collect()).collect()
}

#[derive(Clone, Debug)]
pub struct HostCallChip {
    pub columns: Vec<Vec<u32>>,
    pub log_height: usize,
}

#[derive(Clone, Debug)]
pub struct HostMemoryChip {
    pub columns: Vec<Vec<u32>>,
    pub log_height: usize,
}

impl HostCallChip {
    pub fn periodic<F: Field>(&self) -> Cow<'_, [Vec<F>]> {
        Cow::Owned(to_field(&self.columns))
    }

    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        use call::public as p;
        let main = builder.main();
        let m = main.current_slice();
        let pv = public_copy(builder, &m[call::PUB..call::PUB + p::WIDTH]);
        let e = |v: AB::Var| -> AB::Expr { v.into() };
        let c = |x: u32| AB::Expr::from_u32(x);
        let real = pv[p::REAL].clone();
        let read_ts = pv[p::CLK].clone() * c(8) + c(5);
        let write_ts = pv[p::CLK].clone() * c(8) + c(6);
        let value = |at: usize| -> [AB::Expr; 4] { core::array::from_fn(|i| pv[at + i].clone()) };
        for k in 0..6 {
            let reg = c(10 + k as u32);
            let [v0, v1, v2, v3] = value(p::ARGS + 4 * k);
            let prev = e(m[call::PREV_TS + k]);
            builder.push_interaction(
                buses::REGISTERS,
                [reg.clone(), v0.clone(), v1.clone(), v2.clone(), v3.clone(), prev.clone()],
                bool_count(-real.clone()),
            );
            builder.push_interaction(
                buses::REGISTERS,
                [reg.clone(), v0.clone(), v1.clone(), v2.clone(), v3.clone(), read_ts.clone()],
                bool_count(real.clone()),
            );
            limbs_below(builder, read_ts.clone() - prev - AB::Expr::ONE, m[call::TS_LO + k], m[call::TS_HI + k], 11, real.clone());
            if k < 2 {
                // The result replaces the argument.
                builder.push_interaction(buses::REGISTERS, [reg.clone(), v0, v1, v2, v3, read_ts.clone()], bool_count(-real.clone()));
                let [r0, r1, r2, r3] = value(p::RES + 4 * k);
                builder.push_interaction(buses::REGISTERS, [reg, r0, r1, r2, r3, write_ts.clone()], bool_count(real.clone()));
            }
        }
        let fields = answer(
            pv[p::CLK].clone(),
            core::array::from_fn(|i| pv[p::NUM + i].clone()),
            core::array::from_fn(|i| pv[p::GAS + i].clone()),
            pv[p::HEAP].clone(),
            pv[p::END].clone(),
        );
        builder.push_interaction(buses::MEMOP, fields, bool_count(real));
    }
}

/// A host call's answer to the CPU's `ecall` row at `clk`: the call's number `t0`,
/// the gas and heap top after it and whether it ended the run, on `MEMOP` laid out
/// like an access (kind `HOST`, t0 as the address, the gas as the value, the heap top
/// as the heap top, the ending as the trap code).
pub fn answer<E: PrimeCharacteristicRing>(clk: E, t0: [E; 4], gas: [E; 3], heap: E, end: E) -> Vec<E> {
    let mut fields = alloc::vec![E::from_u32(crate::chips::memory::kind::HOST)];
    fields.extend(t0);
    fields.extend(gas);
    fields.extend([E::ZERO, clk, heap, end]);
    fields
}

impl HostMemoryChip {
    pub fn periodic<F: Field>(&self) -> Cow<'_, [Vec<F>]> {
        Cow::Owned(to_field(&self.columns))
    }

    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        use memory::public as p;
        let main = builder.main();
        let m = main.current_slice();
        let pv = public_copy(builder, &m[memory::PUB..memory::PUB + p::WIDTH]);
        let e = |v: AB::Var| -> AB::Expr { v.into() };
        let c = |x: u32| AB::Expr::from_u32(x);
        let real = pv[p::REAL].clone();
        let now = pv[p::CLK].clone() * c(8) + c(7);
        let mut old = Vec::new();
        let mut new = Vec::new();
        for j in 0..4 {
            let o = e(m[memory::OLD + j]);
            // What the host read is what memory held.
            builder.assert_zero(pv[p::READ_MASK + j].clone() * (o.clone() - pv[p::READ + j].clone()));
            let wm = pv[p::WRITE_MASK + j].clone();
            new.push(wm.clone() * pv[p::WRITTEN + j].clone() + (AB::Expr::ONE - wm) * o.clone());
            old.push(o);
        }
        let w = pv[p::W].clone();
        let prev = e(m[memory::PREV_TS]);
        let mut taken = alloc::vec![w.clone()];
        taken.extend(old);
        taken.push(prev.clone());
        builder.push_interaction(buses::MEMORY, taken, bool_count(-real.clone()));
        let mut put = alloc::vec![w];
        put.extend(new);
        put.push(now.clone());
        builder.push_interaction(buses::MEMORY, put, bool_count(real.clone()));
        limbs_below(builder, now - prev - AB::Expr::ONE, m[memory::TS_LO], m[memory::TS_HI], 11, real);
    }
}
