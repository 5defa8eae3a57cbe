//! Shifts by `b & 31`, as multiplications by a power of two asked of the
//! multiplication table: `a << s = mul(a, 2^s)`, `a >>u s = mulhu(a, 2^(32-s))`,
//! `a >>s s = mulhsu(a, 2^(32-s))` (for `s > 0`; a right shift by 0 is `a`).
//! The power's bytes come from the bits of the exponent: byte `e >> 3` holds
//! `2^(e & 7)`.

use alloc::vec::Vec;

use p3_air::WindowAccess;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use crate::buses::{self, op};
use crate::chips::{bool_count, u16_check};
use crate::columns::columns;

columns! { IS_SLL, IS_SRL, IS_SRA, A[4], B[4], C[4], S[5], REST, NO_SHIFT, INV, E[5], P, POW[4] }

const OPS: [(usize, u32); 3] = [(IS_SLL, op::SLL), (IS_SRL, op::SRL), (IS_SRA, op::SRA)];

#[derive(Clone, Debug)]
pub struct ShiftChip;

pub fn handles(code: u32) -> bool {
    OPS.iter().any(|&(_, c)| c == code)
}

/// Fills a row; returns the result, the multiplication it asks for (if any) and the
/// value range-checked as u16.
pub fn row<F: Field>(code: u32, a: u32, b: u32, row: &mut [F]) -> (u32, Option<(u32, u32, u32)>, u32) {
    let flag = OPS.iter().find(|&&(_, c)| c == code).map(|&(f, _)| f).unwrap_or(IS_SLL);
    row[flag] = F::ONE;
    let s = b & 31;
    let set = |row: &mut [F], at: usize, v: u32| {
        for i in 0..4 {
            row[at + i] = F::from_u32((v >> (8 * i)) & 0xff);
        }
    };
    set(row, A, a);
    set(row, B, b);
    for i in 0..5 {
        row[S + i] = F::from_u32((s >> i) & 1);
    }
    let rest = (b & 0xff) >> 5;
    row[REST] = F::from_u32(rest);
    let right = code != op::SLL;
    let no_shift = right && s == 0;
    row[NO_SHIFT] = F::from_bool(no_shift);
    if s != 0 {
        row[INV] = F::from_u32(s).inverse();
    }
    let e = if no_shift { 0 } else if right { 32 - s } else { s };
    for i in 0..5 {
        row[E + i] = F::from_u32((e >> i) & 1);
    }
    row[P] = F::from_u32(1 << (e & 7));
    let pow = 1u32 << e;
    set(row, POW, pow);
    let (c, mul) = match code {
        op::SLL => (a << s, Some((op::MUL, a, pow))),
        op::SRL if s == 0 => (a, None),
        op::SRL => (a >> s, Some((op::MULHU, a, pow))),
        _ if s == 0 => (a, None),
        _ => (((a as i32) >> s) as u32, Some((op::MULHSU, a, pow))),
    };
    set(row, C, c);
    (c, mul, rest << 13)
}

/// An unused row: no flags, exponent 0, so the power is 1.
pub fn padding_row<F: PrimeCharacteristicRing + Copy>() -> Vec<F> {
    let mut row = alloc::vec![F::ZERO; WIDTH];
    row[P] = F::ONE;
    row[POW] = F::ONE;
    row
}

impl ShiftChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let r = main.current_slice();
        let e = |v: AB::Var| -> AB::Expr { v.into() };
        let c = |x: u32| AB::Expr::from_u32(x);
        let (real, code) = crate::chips::one_of(builder, r, &OPS);
        let right = e(r[IS_SRL]) + e(r[IS_SRA]);
        // s = b & 31 from b's low byte: five bits and the rest (< 8).
        let bits = |at: usize| (0..5).fold(AB::Expr::ZERO, |acc, i| acc + e(r[at + i]) * c(1 << i));
        for i in 0..5 {
            builder.assert_bool(r[S + i]);
            builder.assert_bool(r[E + i]);
        }
        let s = bits(S);
        builder.assert_zero(real.clone() * (e(r[B]) - s.clone() - e(r[REST]) * c(32)));
        u16_check(builder, e(r[REST]) * c(1 << 13), real.clone());
        // A right shift by zero is no shift (and no multiplication); otherwise s > 0.
        builder.assert_bool(r[NO_SHIFT]);
        builder.assert_zero(e(r[NO_SHIFT]) * (AB::Expr::ONE - right.clone()));
        builder.assert_zero(e(r[NO_SHIFT]) * s.clone());
        builder.assert_zero((right.clone() - e(r[NO_SHIFT])) * (s.clone() * e(r[INV]) - AB::Expr::ONE));
        // The exponent: s for sll, 32 - s for right shifts, 0 when there's none.
        let exp = e(r[IS_SLL]) * s.clone() + (right - e(r[NO_SHIFT])) * (c(32) - s);
        builder.assert_eq(bits(E), exp);
        let (e0, e1, e2, e3, e4) = (e(r[E]), e(r[E + 1]), e(r[E + 2]), e(r[E + 3]), e(r[E + 4]));
        builder.assert_eq(r[P], (AB::Expr::ONE + e0) * (AB::Expr::ONE + e1 * c(3)) * (AB::Expr::ONE + e2 * c(15)));
        let one = AB::Expr::ONE;
        let which = [
            (one.clone() - e3.clone()) * (one.clone() - e4.clone()),
            e3.clone() * (one.clone() - e4.clone()),
            (one.clone() - e3.clone()) * e4.clone(),
            e3 * e4,
        ];
        for (j, w) in which.into_iter().enumerate() {
            builder.assert_eq(r[POW + j], w * e(r[P]));
        }
        for j in 0..4 {
            builder.assert_zero(e(r[NO_SHIFT]) * (e(r[C + j]) - e(r[A + j])));
        }
        // Ask the multiplication table.
        let mul_code = e(r[IS_SLL]) * c(op::MUL) + e(r[IS_SRL]) * c(op::MULHU) + e(r[IS_SRA]) * c(op::MULHSU);
        let mut mul: Vec<AB::Expr> = alloc::vec![mul_code];
        mul.extend((0..4).map(|i| e(r[A + i])));
        mul.extend((0..4).map(|i| e(r[POW + i])));
        mul.extend((0..4).map(|i| e(r[C + i])));
        builder.push_interaction(buses::ALU, mul, bool_count(-(real.clone() - e(r[NO_SHIFT]))));
        // Answer.
        let mut fields = alloc::vec![code];
        fields.extend((0..12).map(|i| e(r[A + i])));
        builder.push_interaction(buses::ALU, fields, bool_count(real));
    }
}
