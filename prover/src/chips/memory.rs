//! Data memory. Memory is word-addressed (accesses are aligned, SPEC.md §3), and
//! checked offline like the registers: every access takes `(word, value, previous
//! timestamp)` from the `MEMORY` bus and puts back `(word, value', now)`.
//!
//! - `MemoryChip`: one row per load or store the CPU asks for on `MEMOP`. It proves
//!   the alignment, that the word is mapped (stack bottom to heap top) and, for
//!   stores, not read-only; picks the bytes by offset; sign-extends `lb`/`lh`
//!   (the sign bit looked up as `byte & 0x80`); merges stored bytes into the word.
//! - `ImageChip`: the program's initial data words (read-only and read-write data),
//!   fixed; each puts its initial value at timestamp 0 and takes its final value.
//! - `ZeroInitChip`: every other word touched, in strictly increasing order, each
//!   provably outside the image: they start at zero.

use alloc::vec::Vec;

use p3_air::{AirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;
use rivet_vm::isa::{LoadKind, StoreKind};
use rivet_vm::Program;

use crate::buses;
use crate::chips::{bool_count, limb_checks, limbs_below, sign_bit, u16_check};
use crate::columns::columns;

/// Access kinds on the `MEMOP` bus.
pub mod kind {
    pub const LB: u32 = 1;
    pub const LH: u32 = 2;
    pub const LW: u32 = 3;
    pub const LBU: u32 = 4;
    pub const LHU: u32 = 5;
    pub const SB: u32 = 6;
    pub const SH: u32 = 7;
    pub const SW: u32 = 8;
    /// Not an access: a host call's answer, on the same bus (`buses::MEMOP`).
    pub const HOST: u32 = 9;
}

pub fn load_kind(k: LoadKind) -> u32 {
    match k {
        LoadKind::Byte => kind::LB,
        LoadKind::Half => kind::LH,
        LoadKind::Word => kind::LW,
        LoadKind::ByteU => kind::LBU,
        LoadKind::HalfU => kind::LHU,
    }
}

pub fn store_kind(k: StoreKind) -> u32 {
    match k {
        StoreKind::Byte => kind::SB,
        StoreKind::Half => kind::SH,
        StoreKind::Word => kind::SW,
    }
}

/// Word addresses that bound memory accesses, from the program's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub stack_bottom: u32,
    pub ro_base: u32,
    pub ro_end: u32,
    /// One past the last mapped word at the start (the heap starts empty).
    pub heap_base: u32,
    /// The initial-data image: `[image_lo, image_hi)`.
    pub image_lo: u32,
    pub image_hi: u32,
    /// The code's size in bytes (for jump traps).
    pub code_size: u32,
}

impl Bounds {
    pub fn of(program: &Program) -> Bounds {
        let l = program.layout();
        Bounds {
            stack_bottom: l.stack_bottom() / 4,
            ro_base: l.ro_base() / 4,
            ro_end: l.ro_end() / 4,
            heap_base: l.heap_base() / 4,
            image_lo: l.ro_base() / 4,
            image_hi: (l.rw_base() + program.rw_data().len() as u32).div_ceil(4),
            code_size: l.code_size,
        }
    }

    /// The initial words of the image, from `image_lo`.
    pub fn image(&self, program: &Program) -> Vec<u32> {
        let l = program.layout();
        (self.image_lo..self.image_hi)
            .map(|w| {
                let byte = |a: u32| -> u32 {
                    let ro = program.ro_data();
                    let rw = program.rw_data();
                    if a >= l.rw_base() {
                        rw.get((a - l.rw_base()) as usize).copied().unwrap_or(0) as u32
                    } else {
                        ro.get((a - l.ro_base()) as usize).copied().unwrap_or(0) as u32
                    }
                };
                (0..4).fold(0, |v, i| v | byte(4 * w + i) << (8 * i))
            })
            .collect()
    }
}

columns! {
    IS_LB, IS_LH, IS_LW, IS_LBU, IS_LHU, IS_SB, IS_SH, IS_SW,
    ADDR[4], VAL[4], CLK, HEAP,
    O[4], Q,
    OLD[4], NEW[4], PREV_TS, TS_LO, TS_HI,
    SIGN, SIGN_SRC, BYTE, HALF_LO, HALF_HI,
    IN_STACK, LD_LO, LD_HI, HD_LO, HD_HI,
}

/// Public values: word bounds (the verifier computes them from the program).
pub mod public {
    use crate::columns::columns;
    columns! { STACK_BOTTOM, RO_BASE, RO_END }
}

/// Where a table keeps an access's kind flags (eight consecutive columns, in `kind`
/// order), address bytes, one-hot offset and `q` (address byte 0 = 4·q + offset).
/// The memory table and the trap table decode accesses the same way.
#[derive(Clone, Copy)]
pub(crate) struct AccessColumns {
    pub flags: usize,
    pub addr: usize,
    pub o: usize,
    pub q: usize,
}

const ACCESS: AccessColumns = AccessColumns { flags: IS_LB, addr: ADDR, o: O, q: Q };

/// An access decoded by `AccessColumns::eval`.
pub(crate) struct AccessExprs<E> {
    /// The row holds an access (one kind flag set).
    pub real: E,
    /// Its kind, as on the `MEMOP` bus.
    pub kind: E,
    pub loads: E,
    pub stores: E,
    /// 1 when the address isn't a multiple of the access size.
    pub misaligned: E,
    /// The word address.
    pub word: E,
}

impl AccessColumns {
    const fn flag(&self, kind: u32) -> usize {
        self.flags + kind as usize - 1
    }

    /// Constrains the flags (at most one), the offset (one-hot where `active`) and
    /// `q` (range-checked where `active`); `active` is the row's access flag plus
    /// whatever else uses the address columns.
    pub fn eval<AB: InteractionBuilder>(
        &self,
        builder: &mut AB,
        r: &[AB::Var],
        active: impl FnOnce(AB::Expr) -> AB::Expr,
    ) -> AccessExprs<AB::Expr> {
        let e = |v: AB::Var| -> AB::Expr { v.into() };
        let c = |x: u32| AB::Expr::from_u32(x);
        let flags: Vec<(usize, u32)> = (kind::LB..=kind::SW).map(|k| (self.flag(k), k)).collect();
        let (real, kind) = crate::chips::one_of(builder, r, &flags);
        let sum = |kinds: &[u32]| kinds.iter().fold(AB::Expr::ZERO, |acc, &k| acc + e(r[self.flag(k)]));
        let halves = sum(&[kind::LH, kind::LHU, kind::SH]);
        let words = sum(&[kind::LW, kind::SW]);
        let active = active(real.clone());
        let mut one_hot = AB::Expr::ZERO;
        for j in 0..4 {
            builder.assert_bool(r[self.o + j]);
            one_hot += e(r[self.o + j]);
        }
        builder.assert_eq(one_hot, active.clone());
        let o = |j: usize| e(r[self.o + j]);
        builder.assert_eq(r[self.addr], e(r[self.q]) * c(4) + o(1) + o(2) * c(2) + o(3) * c(3));
        // q an integer, so the offset is the address's: q <= 63 since the address byte is one.
        u16_check(builder, e(r[self.q]), active);
        let misaligned = halves * (o(1) + o(3)) + words * (o(1) + o(2) + o(3));
        let word = e(r[self.q]) + e(r[self.addr + 1]) * c(1 << 6) + e(r[self.addr + 2]) * c(1 << 14) + e(r[self.addr + 3]) * c(1 << 22);
        AccessExprs {
            real,
            kind,
            loads: sum(&[kind::LB, kind::LH, kind::LW, kind::LBU, kind::LHU]),
            stores: sum(&[kind::SB, kind::SH, kind::SW]),
            misaligned,
            word,
        }
    }

    /// Fills an access's flag, address bytes, offset and `q`; returns `q`, which is
    /// range-checked.
    pub fn fill<F: PrimeCharacteristicRing>(&self, row: &mut [F], kind: Option<u32>, addr: u32) -> u32 {
        if let Some(k) = kind.filter(|k| (kind::LB..=kind::SW).contains(k)) {
            row[self.flag(k)] = F::ONE;
        }
        for i in 0..4 {
            row[self.addr + i] = F::from_u32((addr >> (8 * i)) & 0xff);
        }
        row[self.o + (addr & 3) as usize] = F::ONE;
        let q = (addr & 0xff) >> 2;
        row[self.q] = F::from_u32(q);
        q
    }
}

#[derive(Clone, Debug)]
pub struct MemoryChip;

/// What a memory row needs besides the access: the word before, its last timestamp.
pub struct Access {
    pub kind: u32,
    pub addr: u32,
    /// Loaded (extended) value, or the register value stored.
    pub value: u32,
    pub clk: u64,
    /// The heap top (a word address) at this step.
    pub heap: u32,
    pub old: u32,
    pub new: u32,
    pub prev_ts: u64,
}

/// Fills a row; returns the range-checked values (for the byte table's counts) and
/// whether a sign lookup of which byte was made.
pub fn row<F: PrimeCharacteristicRing + Copy>(a: &Access, b: &Bounds, row: &mut [F], u16s: &mut Vec<u32>) -> Option<u32> {
    let off = a.addr & 3;
    let set = |row: &mut [F], at: usize, v: u32| {
        for i in 0..4 {
            row[at + i] = F::from_u32((v >> (8 * i)) & 0xff);
        }
    };
    u16s.push(ACCESS.fill(row, Some(a.kind), a.addr));
    set(row, VAL, a.value);
    set(row, OLD, a.old);
    set(row, NEW, a.new);
    row[CLK] = F::from_u64(a.clk);
    row[HEAP] = F::from_u32(a.heap);
    let now = 8 * a.clk + 4;
    let diff = now - a.prev_ts - 1;
    row[PREV_TS] = F::from_u64(a.prev_ts);
    row[TS_LO] = F::from_u64(diff & 0xffff);
    row[TS_HI] = F::from_u64(diff >> 16);
    u16s.push((diff & 0xffff) as u32);
    u16s.push(((diff >> 16) << 5) as u32);
    let w = a.addr >> 2;
    let is_store = a.kind >= kind::SB;
    let in_stack = is_store && w < b.ro_base;
    row[IN_STACK] = F::from_bool(in_stack);
    let lo = if is_store && !in_stack { b.ro_end } else { b.stack_bottom };
    let hi = if in_stack { b.ro_base } else { a.heap };
    let (ld, hd) = (w - lo, hi - 1 - w);
    row[LD_LO] = F::from_u32(ld & 0xffff);
    row[LD_HI] = F::from_u32(ld >> 16);
    row[HD_LO] = F::from_u32(hd & 0xffff);
    row[HD_HI] = F::from_u32(hd >> 16);
    u16s.extend([ld & 0xffff, (ld >> 16) << 6, hd & 0xffff, (hd >> 16) << 6]);
    let src = match a.kind {
        kind::LB => Some((a.old >> (8 * off)) & 0xff),
        kind::LH => Some((a.old >> (8 * off + 8)) & 0xff),
        _ => None,
    };
    let pick = |k: u32| (a.old >> (8 * k)) & 0xff;
    row[BYTE] = F::from_u32(pick(off));
    if off % 2 == 0 {
        row[HALF_LO] = F::from_u32(pick(off));
        row[HALF_HI] = F::from_u32(pick(off + 1));
    }
    if let Some(s) = src {
        row[SIGN_SRC] = F::from_u32(s);
        row[SIGN] = F::from_u32(s >> 7);
    }
    src
}

impl MemoryChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let r = main.current_slice();
        let pv: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        let e = |v: AB::Var| -> AB::Expr { v.into() };
        let c = |x: u32| AB::Expr::from_u32(x);

        // The access, aligned for its size (SPEC.md §3; the trap table takes the others).
        let AccessExprs { real, kind: code, loads, stores, misaligned, word } = ACCESS.eval(builder, r, |real| real);
        builder.assert_zero(misaligned);

        // Mapped: lo <= word < hi, where stores below the read-only data are in the
        // stack and all others are above it.
        builder.assert_bool(r[IN_STACK]);
        builder.assert_zero(e(r[IN_STACK]) * (AB::Expr::ONE - stores.clone()));
        // The heap top at this step comes with the CPU's request.
        let (sb, rb, re, ht) = (pv[public::STACK_BOTTOM].clone(), pv[public::RO_BASE].clone(), pv[public::RO_END].clone(), e(r[HEAP]));
        let above_store = stores.clone() - e(r[IN_STACK]);
        let lo = sb.clone() + above_store * (re - sb);
        let hi = ht.clone() + e(r[IN_STACK]) * (rb - ht);
        limbs_below(builder, word.clone() - lo, r[LD_LO], r[LD_HI], 10, real.clone());
        limbs_below(builder, hi - AB::Expr::ONE - word.clone(), r[HD_LO], r[HD_HI], 10, real.clone());

        // The access: (word, old, prev) out, (word, new, now) in, prev < now.
        let now = e(r[CLK]) * c(8) + c(4);
        let bytes = |at: usize| -> [AB::Expr; 4] { core::array::from_fn(|i| e(r[at + i])) };
        let [o0, o1, o2, o3] = bytes(OLD);
        builder.push_interaction(buses::MEMORY, [word.clone(), o0, o1, o2, o3, e(r[PREV_TS])], bool_count(-real.clone()));
        let [n0, n1, n2, n3] = bytes(NEW);
        builder.push_interaction(buses::MEMORY, [word, n0, n1, n2, n3, now.clone()], bool_count(real.clone()));
        limbs_below(builder, now - e(r[PREV_TS]) - AB::Expr::ONE, r[TS_LO], r[TS_HI], 11, real.clone());

        // Loads keep the word; stores merge their bytes in.
        let o = |j: usize| e(r[O + j]);
        let old = |j: usize| e(r[OLD + j]);
        let val = |j: usize| e(r[VAL + j]);
        for j in 0..4 {
            let sb_new = o(j) * val(0) + (AB::Expr::ONE - o(j)) * old(j);
            // A halfword store at offset 0 or 2.
            let (mine, theirs) = if j < 2 { (o(0), o(2)) } else { (o(2), o(0)) };
            let sh_new = mine * val(j % 2) + theirs * old(j);
            let expected = loads.clone() * old(j) + e(r[IS_SB]) * sb_new + e(r[IS_SH]) * sh_new + e(r[IS_SW]) * val(j);
            builder.assert_eq(r[NEW + j], expected);
        }
        // Loaded values: the byte or halfword at the offset, extended.
        builder.assert_eq(r[BYTE], o(0) * old(0) + o(1) * old(1) + o(2) * old(2) + o(3) * old(3));
        builder.assert_eq(r[HALF_LO], o(0) * old(0) + o(2) * old(2));
        builder.assert_eq(r[HALF_HI], o(0) * old(1) + o(2) * old(3));
        let (byte, half_lo, half_hi) = (e(r[BYTE]), e(r[HALF_LO]), e(r[HALF_HI]));
        builder.assert_eq(r[SIGN_SRC], e(r[IS_LB]) * byte.clone() + e(r[IS_LH]) * half_hi.clone());
        let signed = e(r[IS_LB]) + e(r[IS_LH]);
        sign_bit(builder, r[SIGN_SRC], r[SIGN], signed.clone());
        builder.assert_zero((AB::Expr::ONE - signed.clone()) * e(r[SIGN]));
        let fill = e(r[SIGN]) * c(0xff);
        let bytes_only = e(r[IS_LB]) + e(r[IS_LBU]);
        let half_loads = e(r[IS_LH]) + e(r[IS_LHU]);
        builder.assert_zero(loads.clone() * (val(0) - bytes_only.clone() * byte - half_loads.clone() * half_lo - e(r[IS_LW]) * old(0)));
        builder.assert_zero(loads.clone() * (val(1) - e(r[IS_LB]) * fill.clone() - half_loads * half_hi - e(r[IS_LW]) * old(1)));
        for j in 2..4 {
            builder.assert_zero(loads.clone() * (val(j) - signed.clone() * fill.clone() - e(r[IS_LW]) * old(j)));
        }

        // Answer the CPU.
        let mut fields = alloc::vec![code];
        fields.extend((0..8).map(|i| e(r[ADDR + i])));
        fields.push(e(r[CLK]));
        fields.push(e(r[HEAP]));
        // Trap code 0: the access happens (the trap table answers the others).
        fields.push(AB::Expr::ZERO);
        builder.push_interaction(buses::MEMOP, fields, bool_count(real));
    }
}

pub mod image {
    use super::columns;
    pub mod pre {
        use super::columns;
        columns! { IS_REAL, W, INIT[4] }
    }
    columns! { FINAL[4], FINAL_TS }
}

/// The initial data image: fixed rows `(word, value)`.
#[derive(Clone, Debug)]
pub struct ImageChip {
    pub words: Vec<u32>,
    pub first: u32,
    pub log_height: usize,
}

impl ImageChip {
    pub fn new(program: &Program) -> Self {
        let b = Bounds::of(program);
        let words = b.image(program);
        let log_height = crate::log_height_for(words.len());
        ImageChip { words, first: b.image_lo, log_height }
    }

    pub fn preprocessed<F: Field>(&self) -> RowMajorMatrix<F> {
        use image::pre::*;
        let mut values = F::zero_vec((1 << self.log_height) * WIDTH);
        for (i, (row, v)) in values.chunks_mut(WIDTH).zip(&self.words).enumerate() {
            row[IS_REAL] = F::ONE;
            row[W] = F::from_u32(self.first + i as u32);
            for j in 0..4 {
                row[INIT + j] = F::from_u32((v >> (8 * j)) & 0xff);
            }
        }
        RowMajorMatrix::new(values, WIDTH)
    }

    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        use image::{pre, FINAL, FINAL_TS};
        let p = builder.preprocessed().clone();
        let p = p.current_slice();
        let main = builder.main();
        let m = main.current_slice();
        let real: AB::Expr = p[pre::IS_REAL].into();
        let init = [
            p[pre::W].into(),
            p[pre::INIT].into(),
            p[pre::INIT + 1].into(),
            p[pre::INIT + 2].into(),
            p[pre::INIT + 3].into(),
            AB::Expr::ZERO,
        ];
        builder.push_interaction(buses::MEMORY, init, bool_count(real.clone()));
        let fin = [p[pre::W].into(), m[FINAL].into(), m[FINAL + 1].into(), m[FINAL + 2].into(), m[FINAL + 3].into(), m[FINAL_TS].into()];
        builder.push_interaction(buses::MEMORY, fin, bool_count(-real));
    }
}

pub mod zero_init {
    use crate::columns::columns;
    columns! { REAL, NEXT_REAL, W_LO, W_HI, FINAL[4], FINAL_TS, BELOW, D_LO, D_HI, N_LO, N_HI }
    /// Public values: the image's word range.
    pub mod public {
        use crate::columns::columns;
        columns! { IMAGE_LO, IMAGE_HI }
    }
}

/// Words outside the image that were touched: zero at the start.
#[derive(Clone, Debug)]
pub struct ZeroInitChip;

impl ZeroInitChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        use zero_init::*;
        let main = builder.main();
        let (r, n) = (main.current_slice(), main.next_slice());
        let pv: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        let e = |v: AB::Var| -> AB::Expr { v.into() };
        let c = |x: u32| AB::Expr::from_u32(x);
        builder.assert_bool(r[REAL]);
        builder.assert_bool(r[BELOW]);
        builder.when_transition().assert_eq(r[NEXT_REAL], n[REAL]);
        builder.when_last_row().assert_zero(r[NEXT_REAL]);
        builder.when_transition().assert_zero(e(n[REAL]) * (AB::Expr::ONE - e(r[REAL])));
        // Below the image, then above it.
        builder.when_transition().assert_zero(e(n[REAL]) * e(n[BELOW]) * (AB::Expr::ONE - e(r[BELOW])));
        // Words below 2^26 (all data addresses), so the order can't wrap around.
        let w = e(r[W_LO]) + e(r[W_HI]) * c(1 << 16);
        let next_w = e(n[W_LO]) + e(n[W_HI]) * c(1 << 16);
        limb_checks(builder, r[W_LO], r[W_HI], 10, e(r[REAL]));
        let (lo, hi) = (pv[public::IMAGE_LO].clone(), pv[public::IMAGE_HI].clone());
        let gap = e(r[BELOW]) * (lo - AB::Expr::ONE - w.clone()) + (AB::Expr::ONE - e(r[BELOW])) * (w.clone() - hi);
        limbs_below(builder, gap, r[D_LO], r[D_HI], 10, e(r[REAL]));
        // Strictly increasing.
        builder
            .when_transition()
            .assert_zero(e(r[NEXT_REAL]) * (next_w - w.clone() - AB::Expr::ONE - e(r[N_LO]) - e(r[N_HI]) * c(1 << 16)));
        limb_checks(builder, r[N_LO], r[N_HI], 10, e(r[NEXT_REAL]));
        let init = [w.clone(), AB::Expr::ZERO, AB::Expr::ZERO, AB::Expr::ZERO, AB::Expr::ZERO, AB::Expr::ZERO];
        builder.push_interaction(buses::MEMORY, init, bool_count(e(r[REAL])));
        let fin = [w, e(r[FINAL]), e(r[FINAL + 1]), e(r[FINAL + 2]), e(r[FINAL + 3]), e(r[FINAL_TS])];
        builder.push_interaction(buses::MEMORY, fin, bool_count(-e(r[REAL])));
    }
}
