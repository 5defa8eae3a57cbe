//! Shifts by `b & 31 = 8q + r`, byte by byte, without a multiplication. The byte table
//! gives a byte shifted left by `m ≤ 8` as two bytes, `x << m = lo + 256·hi` (bus
//! `SHIFT`). A left shift uses `m = r`: byte `j` of `a << r` is `lo_j + hi_(j-1)`. A
//! right shift uses `m = 8 - r`, so `hi` is `x >> r` and `lo` the bits shifted out,
//! moved to the top of a byte: byte `j` of `a >> r` is `hi_j + lo_(j+1)`, where a
//! fifth byte above the top one (0, or 0xff for `sra` of a negative `a`) supplies the
//! bits shifted in. The one-hot `q` then moves the word by whole bytes, filling with
//! zeros or, for `sra`, with the sign.

use alloc::vec::Vec;

use p3_air::WindowAccess;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use crate::buses::{self, op};
use crate::chips::{bool_count, sign_bit, u16_check};
use crate::columns::columns;

columns! { IS_SLL, IS_SRL, IS_SRA, A[4], B[4], C[4], R[3], Q[4], REST, M, NEG, LO[5], HI[5] }

const OPS: [(usize, u32); 3] = [(IS_SLL, op::SLL), (IS_SRL, op::SRL), (IS_SRA, op::SRA)];

#[derive(Clone, Debug)]
pub struct ShiftChip;

pub fn handles(code: u32) -> bool {
    OPS.iter().any(|&(_, c)| c == code)
}

/// The byte-table lookups one shift makes, and what's range-checked.
pub struct Lookups {
    /// `x | m << 8` for each byte shifted (the `SHIFT` bus).
    pub shifted: [u32; 5],
    /// Checked as u16: the rest of `b`'s low byte, `(b & 0xff) >> 5`.
    pub u16: u32,
    /// The top byte whose sign bit is looked up (`sra` only).
    pub sign_of: Option<u32>,
}

/// Fills a row; returns the result and the lookups it makes.
pub fn row<F: PrimeCharacteristicRing + Copy>(code: u32, a: u32, b: u32, row: &mut [F]) -> (u32, Lookups) {
    let flag = OPS.iter().find(|&&(_, c)| c == code).map(|&(f, _)| f).unwrap_or(IS_SLL);
    row[flag] = F::ONE;
    let set = |row: &mut [F], at: usize, v: u32| {
        for i in 0..4 {
            row[at + i] = F::from_u32((v >> (8 * i)) & 0xff);
        }
    };
    set(row, A, a);
    set(row, B, b);
    let s = b & 31;
    let (q, r) = (s >> 3, s & 7);
    for i in 0..3 {
        row[R + i] = F::from_u32((r >> i) & 1);
    }
    row[Q + q as usize] = F::ONE;
    let rest = (b & 0xff) >> 5;
    row[REST] = F::from_u32(rest);
    let m = if code == op::SLL { r } else { 8 - r };
    row[M] = F::from_u32(m);
    let neg = code == op::SRA && a >> 31 == 1;
    row[NEG] = F::from_bool(neg);
    let fill = if neg { 0xff } else { 0 };
    let shifted = core::array::from_fn(|i| {
        let x = if i < 4 { (a >> (8 * i)) & 0xff } else { fill };
        let v = x << m;
        row[LO + i] = F::from_u32(v & 0xff);
        row[HI + i] = F::from_u32(v >> 8);
        x | m << 8
    });
    let c = match code {
        op::SLL => a << s,
        op::SRL => a >> s,
        _ => ((a as i32) >> s) as u32,
    };
    set(row, C, c);
    let lookups = Lookups { shifted, u16: rest, sign_of: (code == op::SRA).then_some(a >> 24) };
    (c, lookups)
}

impl ShiftChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let r = main.current_slice();
        let e = |v: AB::Var| -> AB::Expr { v.into() };
        let c = |x: u32| AB::Expr::from_u32(x);
        let (real, code) = crate::chips::one_of(builder, r, &OPS);
        let is_sll = e(r[IS_SLL]);
        let right = e(r[IS_SRL]) + e(r[IS_SRA]);
        // s = b & 31 = r + 8q from b's low byte: r's three bits, q one-hot (on real
        // rows), and the rest: an integer (range-checked as it is, not scaled: 2^13·rest
        // < 2^16 holds for rest = 7/8 too), so at most 7 as the byte is at most 255.
        for i in 0..3 {
            builder.assert_bool(r[R + i]);
        }
        for j in 0..4 {
            builder.assert_bool(r[Q + j]);
        }
        builder.assert_eq((0..4).fold(AB::Expr::ZERO, |acc, j| acc + e(r[Q + j])), real.clone());
        let shift_r = (0..3).fold(AB::Expr::ZERO, |acc, i| acc + e(r[R + i]) * c(1 << i));
        let q = (1..4).fold(AB::Expr::ZERO, |acc, j| acc + e(r[Q + j]) * c(j as u32));
        builder.assert_eq(r[B], shift_r.clone() + q * c(8) + e(r[REST]) * c(32));
        u16_check(builder, e(r[REST]), real.clone());
        // How far each byte goes left in the byte table: r, or 8 - r for right shifts.
        builder.assert_eq(r[M], is_sll.clone() * shift_r.clone() + right.clone() * (c(8) - shift_r));
        // The sign, for sra only; the byte above the top one.
        builder.assert_zero((AB::Expr::ONE - e(r[IS_SRA])) * e(r[NEG]));
        sign_bit(builder, r[A + 3], r[NEG], e(r[IS_SRA]));
        let fill = e(r[NEG]) * c(0xff);
        for i in 0..5 {
            let x = if i < 4 { e(r[A + i]) } else { fill.clone() };
            let fields = [x, e(r[M]), e(r[LO + i]), e(r[HI + i])];
            builder.push_interaction(buses::SHIFT, fields, bool_count(-real.clone()));
        }
        // The word shifted by r, byte j: left lo_j + hi_(j-1), right hi_j + lo_(j+1).
        let left = |j: usize| if j == 0 { e(r[LO]) } else { e(r[LO + j]) + e(r[HI + j - 1]) };
        let right_byte = |j: usize| e(r[HI + j]) + e(r[LO + j + 1]);
        // Then by q whole bytes.
        for k in 0..4 {
            let mut by_left = AB::Expr::ZERO;
            let mut by_right = AB::Expr::ZERO;
            for j in 0..4 {
                let qj = e(r[Q + j]);
                if j <= k {
                    by_left += qj.clone() * left(k - j);
                }
                by_right += qj * if k + j <= 3 { right_byte(k + j) } else { fill.clone() };
            }
            builder.assert_eq(r[C + k], is_sll.clone() * by_left + right.clone() * by_right);
        }
        // Answer.
        let mut fields: Vec<AB::Expr> = alloc::vec![code];
        fields.extend((0..12).map(|i| e(r[A + i])));
        builder.push_interaction(buses::ALU, fields, bool_count(real));
    }
}
