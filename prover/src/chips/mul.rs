//! Multiplication: mul, mulh, mulhsu, mulhu. The operands are extended to 8 bytes
//! (sign-extended where the operation reads them as signed), the 8 low bytes of
//! their product are computed column by column with range-checked carries, and the
//! low or high 4 bytes are the result.

use alloc::vec::Vec;

use p3_air::WindowAccess;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use crate::buses::{self, op};
use crate::chips::{bool_count, byte_pair, sign_bit, u16_check};
use crate::columns::columns;

columns! { IS_MUL, IS_MULH, IS_MULHSU, IS_MULHU, A[4], B[4], P[8], CARRY[8], A_NEG, B_NEG }

const OPS: [(usize, u32); 4] = [(IS_MUL, op::MUL), (IS_MULH, op::MULH), (IS_MULHSU, op::MULHSU), (IS_MULHU, op::MULHU)];

#[derive(Clone, Debug)]
pub struct MulChip;

pub fn handles(code: u32) -> bool {
    OPS.iter().any(|&(_, c)| c == code)
}

/// Fills a row; returns the result, and adds the values range-checked as u16, the
/// byte pairs range-checked (`lo | hi << 8`) and the bytes whose sign bit was looked up.
pub fn row<F: PrimeCharacteristicRing + Copy>(
    code: u32,
    a: u32,
    b: u32,
    row: &mut [F],
    u16s: &mut Vec<u32>,
    pairs: &mut Vec<u32>,
    signs: &mut Vec<u32>,
) -> u32 {
    let flag = OPS.iter().find(|&&(_, c)| c == code).map(|&(f, _)| f).unwrap_or(IS_MUL);
    row[flag] = F::ONE;
    let a_signed = matches!(code, op::MULH | op::MULHSU);
    let b_signed = code == op::MULH;
    let a_neg = a_signed && a >> 31 == 1;
    let b_neg = b_signed && b >> 31 == 1;
    let ext = |x: u32, neg: bool| -> [u64; 8] {
        core::array::from_fn(|i| {
            if i < 4 {
                ((x >> (8 * i)) & 0xff) as u64
            } else if neg {
                0xff
            } else {
                0
            }
        })
    };
    let (ae, be) = (ext(a, a_neg), ext(b, b_neg));
    let mut carry = 0u64;
    let mut product = [0u32; 8];
    for k in 0..8 {
        let coeff: u64 = (0..=k).map(|i| ae[i] * be[k - i]).sum();
        let total = coeff + carry;
        product[k] = (total & 0xff) as u32;
        carry = total >> 8;
        row[P + k] = F::from_u32(product[k]);
        row[CARRY + k] = F::from_u64(carry);
        u16s.push(carry as u32);
    }
    for k in 0..4 {
        pairs.push(product[2 * k] | product[2 * k + 1] << 8);
    }
    for i in 0..4 {
        row[A + i] = F::from_u32((a >> (8 * i)) & 0xff);
        row[B + i] = F::from_u32((b >> (8 * i)) & 0xff);
    }
    row[A_NEG] = F::from_bool(a_neg);
    row[B_NEG] = F::from_bool(b_neg);
    if a_signed {
        signs.push(a >> 24);
    }
    if b_signed {
        signs.push(b >> 24);
    }
    let word = |at: usize| (0..4).fold(0u32, |v, i| v | product[at + i] << (8 * i));
    if code == op::MUL {
        word(0)
    } else {
        word(4)
    }
}

impl MulChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let r = main.current_slice();
        let e = |v: AB::Var| -> AB::Expr { v.into() };
        let c = |x: u32| AB::Expr::from_u32(x);
        let (real, code) = crate::chips::one_of(builder, r, &OPS);
        // Sign bits, for the operands read as signed (a: mulh, mulhsu; b: mulh).
        let a_signed = e(r[IS_MULH]) + e(r[IS_MULHSU]);
        let b_signed = e(r[IS_MULH]);
        for (byte, neg, signed) in [(A + 3, A_NEG, a_signed), (B + 3, B_NEG, b_signed)] {
            builder.assert_zero((AB::Expr::ONE - signed.clone()) * e(r[neg]));
            sign_bit(builder, r[byte], r[neg], signed);
        }
        let ext = |at: usize, neg: usize, i: usize| -> AB::Expr {
            if i < 4 {
                e(r[at + i])
            } else {
                e(r[neg]) * c(0xff)
            }
        };
        for k in 0..8 {
            let mut coeff = AB::Expr::ZERO;
            for i in 0..=k {
                coeff += ext(A, A_NEG, i) * ext(B, B_NEG, k - i);
            }
            let cin = if k == 0 { AB::Expr::ZERO } else { e(r[CARRY + k - 1]) };
            builder.assert_zero(coeff + cin - e(r[P + k]) - e(r[CARRY + k]) * c(256));
            u16_check(builder, e(r[CARRY + k]), real.clone());
        }
        for k in 0..4 {
            byte_pair(builder, [r[P + 2 * k], r[P + 2 * k + 1]], real.clone());
        }
        let high = real.clone() - e(r[IS_MUL]);
        let mut fields = alloc::vec![code];
        fields.extend((0..8).map(|i| e(r[A + i])));
        fields.extend((0..4).map(|i| e(r[IS_MUL]) * e(r[P + i]) + high.clone() * e(r[P + 4 + i])));
        builder.push_interaction(buses::ALU, fields, bool_count(real));
    }
}
