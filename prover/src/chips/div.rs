//! Division and remainder (div, divu, rem, remu) by checking the quotient `q` and
//! remainder `r` the prover supplies: `q·b + r = a` over 64 bits (operands
//! sign-extended for the signed forms), `|r| < |b|` (asked of the comparison table
//! on absolute values computed here), and `r` has `a`'s sign or is zero. SPEC.md's
//! edge cases: `b = 0` gives `q = -1`, `r = a` (the product check then holds by
//! itself); `-2^31 / -1` overflows to `q = -2^31`, `r = 0` and skips the product.

use alloc::vec::Vec;

use p3_air::WindowAccess;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use crate::buses::{self, op};
use crate::chips::{bool_count, byte_pair, sign_bit, u16_check};
use crate::columns::columns;

columns! {
    IS_DIV, IS_DIVU, IS_REM, IS_REMU,
    A[4], B[4], Q[4], R[4],
    A_NEG, B_NEG, Q_NEG, R_NEG,
    B_ZERO, INV, OVERFLOW,
    CARRY[8],
    NEG_R[4], BORROW_R[4], NEG_B[4], BORROW_B[4],
}

const OPS: [(usize, u32); 4] = [(IS_DIV, op::DIV), (IS_DIVU, op::DIVU), (IS_REM, op::REM), (IS_REMU, op::REMU)];

#[derive(Clone, Debug)]
pub struct DivChip;

pub fn handles(code: u32) -> bool {
    OPS.iter().any(|&(_, c)| c == code)
}

/// What a division row makes other tables do.
pub struct DivSideEffects {
    pub result: u32,
    /// Carries, range-checked as u16.
    pub u16s: Vec<u32>,
    /// Byte pairs range-checked, `lo | hi << 8`.
    pub pairs: Vec<u32>,
    /// Top bytes whose sign bit was looked up.
    pub signs: Vec<u32>,
    /// The comparison `|r| <u |b|` asked of the comparison table, if any.
    pub compare: Option<(u32, u32)>,
}

pub fn row<F: Field>(code: u32, a: u32, b: u32, row: &mut [F]) -> DivSideEffects {
    let flag = OPS.iter().find(|&&(_, c)| c == code).map(|&(f, _)| f).unwrap_or(IS_DIV);
    row[flag] = F::ONE;
    let signed = matches!(code, op::DIV | op::REM);
    let (q, r) =
        if signed { (rivet_vm::isa::div(a, b), rivet_vm::isa::rem(a, b)) } else { (rivet_vm::isa::divu(a, b), rivet_vm::isa::remu(a, b)) };
    let overflow = signed && a == 0x8000_0000 && b == u32::MAX;
    let set = |row: &mut [F], at: usize, v: u32| {
        for i in 0..4 {
            row[at + i] = F::from_u32((v >> (8 * i)) & 0xff);
        }
    };
    set(row, A, a);
    set(row, B, b);
    set(row, Q, q);
    set(row, R, r);
    let neg = |x: u32| signed && x >> 31 == 1;
    row[A_NEG] = F::from_bool(neg(a));
    row[B_NEG] = F::from_bool(neg(b));
    row[Q_NEG] = F::from_bool(neg(q));
    row[R_NEG] = F::from_bool(neg(r));
    row[B_ZERO] = F::from_bool(b == 0);
    let bsum: u32 = (0..4).map(|i| (b >> (8 * i)) & 0xff).sum();
    if bsum != 0 {
        row[INV] = F::from_u32(bsum).inverse();
    }
    row[OVERFLOW] = F::from_bool(overflow);
    let mut u16s = Vec::new();
    // q·b + r over 8 bytes (carries are the same whether or not the check applies).
    let ext = |x: u32, n: bool| -> [u64; 8] {
        core::array::from_fn(|i| {
            if i < 4 {
                ((x >> (8 * i)) & 0xff) as u64
            } else if n {
                0xff
            } else {
                0
            }
        })
    };
    let (qe, be, re) = (ext(q, neg(q)), ext(b, neg(b)), ext(r, neg(r)));
    let mut carry = 0u64;
    for k in 0..8 {
        let total: u64 = (0..=k).map(|i| qe[i] * be[k - i]).sum::<u64>() + re[k] + carry;
        carry = if overflow { 0 } else { total >> 8 };
        row[CARRY + k] = F::from_u64(carry);
        u16s.push(carry as u32);
    }
    let mut pairs = alloc::vec![q & 0xffff, q >> 16, r & 0xffff, r >> 16];
    // Two's-complement negations of r and b, byte by byte.
    for (x, out, borrows) in [(r, NEG_R, BORROW_R), (b, NEG_B, BORROW_B)] {
        let n = 0u32.wrapping_sub(x);
        set(row, out, n);
        let mut borrow = 0u32;
        for i in 0..4 {
            let xi = (x >> (8 * i)) & 0xff;
            borrow = (xi + borrow > 0) as u32;
            row[borrows + i] = F::from_u32(borrow);
        }
        pairs.extend([n & 0xffff, n >> 16]);
    }
    let mut signs = Vec::new();
    if signed {
        signs.extend([a >> 24, b >> 24, q >> 24, r >> 24]);
    }
    let abs = |x: u32| if neg(x) { 0u32.wrapping_sub(x) } else { x };
    let compare = (b != 0 && !overflow).then(|| (abs(r), abs(b)));
    let result = if matches!(code, op::DIV | op::DIVU) { q } else { r };
    DivSideEffects { result, u16s, pairs, signs, compare }
}

impl DivChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let r = main.current_slice();
        let e = |v: AB::Var| -> AB::Expr { v.into() };
        let c = |x: u32| AB::Expr::from_u32(x);
        let one = AB::Expr::ONE;
        let (real, code) = crate::chips::one_of(builder, r, &OPS);
        let signed = e(r[IS_DIV]) + e(r[IS_REM]);

        // Sign bits (zero for the unsigned forms).
        for (byte, neg) in [(A + 3, A_NEG), (B + 3, B_NEG), (Q + 3, Q_NEG), (R + 3, R_NEG)] {
            builder.assert_zero((one.clone() - signed.clone()) * e(r[neg]));
            sign_bit(builder, r[byte], r[neg], signed.clone());
        }
        // q and r are the prover's: range-check them.
        for at in [Q, R] {
            byte_pair(builder, [r[at], r[at + 1]], real.clone());
            byte_pair(builder, [r[at + 2], r[at + 3]], real.clone());
        }

        // b = 0?
        let bsum = e(r[B]) + e(r[B + 1]) + e(r[B + 2]) + e(r[B + 3]);
        builder.assert_bool(r[B_ZERO]);
        builder.assert_zero(e(r[B_ZERO]) * bsum.clone());
        builder.assert_zero((real.clone() - e(r[B_ZERO])) * (bsum * e(r[INV]) - one.clone()));
        for j in 0..4 {
            builder.assert_zero(e(r[B_ZERO]) * (e(r[Q + j]) - c(0xff)));
        }
        // Signed overflow: exactly -2^31 / -1, giving q = -2^31, r = 0.
        builder.assert_bool(r[OVERFLOW]);
        builder.assert_zero(e(r[OVERFLOW]) * (one.clone() - signed.clone()));
        for j in 0..4 {
            let top = if j == 3 { 0x80 } else { 0 };
            builder.assert_zero(e(r[OVERFLOW]) * (e(r[A + j]) - c(top)));
            builder.assert_zero(e(r[OVERFLOW]) * (e(r[B + j]) - c(0xff)));
            builder.assert_zero(e(r[OVERFLOW]) * (e(r[Q + j]) - c(top)));
            builder.assert_zero(e(r[OVERFLOW]) * e(r[R + j]));
        }

        // q·b + r = a over 64 bits.
        let ext = |at: usize, neg: usize, i: usize| -> AB::Expr {
            if i < 4 {
                e(r[at + i])
            } else {
                e(r[neg]) * c(0xff)
            }
        };
        let checked = real.clone() - e(r[OVERFLOW]);
        for k in 0..8 {
            let mut sum = ext(R, R_NEG, k);
            for i in 0..=k {
                sum += ext(Q, Q_NEG, i) * ext(B, B_NEG, k - i);
            }
            let cin = if k == 0 { AB::Expr::ZERO } else { e(r[CARRY + k - 1]) };
            builder.assert_zero(checked.clone() * (sum + cin - ext(A, A_NEG, k) - e(r[CARRY + k]) * c(256)));
            u16_check(builder, e(r[CARRY + k]), real.clone());
        }

        // r has a's sign unless it is zero.
        let rsum = e(r[R]) + e(r[R + 1]) + e(r[R + 2]) + e(r[R + 3]);
        builder.assert_zero((e(r[R_NEG]) - e(r[A_NEG])) * rsum);

        // |r| <u |b| (unless b = 0 or overflow), on negations computed here.
        let mut abs: Vec<AB::Expr> = Vec::new();
        for (x, neg, out, borrows) in [(R, R_NEG, NEG_R, BORROW_R), (B, B_NEG, NEG_B, BORROW_B)] {
            for i in 0..4 {
                builder.assert_bool(r[borrows + i]);
                let bin = if i == 0 { AB::Expr::ZERO } else { e(r[borrows + i - 1]) };
                // 0 - x - borrow_in + 256·borrow_out = -x (byte i)
                builder.assert_zero(e(r[borrows + i]) * c(256) - e(r[x + i]) - bin - e(r[out + i]));
            }
            byte_pair(builder, [r[out], r[out + 1]], real.clone());
            byte_pair(builder, [r[out + 2], r[out + 3]], real.clone());
            for i in 0..4 {
                abs.push(e(r[x + i]) + e(r[neg]) * (e(r[out + i]) - e(r[x + i])));
            }
        }
        let mut compare = alloc::vec![c(op::SLTU)];
        compare.extend(abs);
        compare.extend([one.clone(), AB::Expr::ZERO, AB::Expr::ZERO, AB::Expr::ZERO]);
        builder.push_interaction(buses::ALU, compare, bool_count(-(checked - e(r[B_ZERO]))));

        // Answer: the quotient or the remainder.
        let quotient = e(r[IS_DIV]) + e(r[IS_DIVU]);
        let remainder = e(r[IS_REM]) + e(r[IS_REMU]);
        let mut fields = alloc::vec![code];
        fields.extend((0..8).map(|i| e(r[A + i])));
        fields.extend((0..4).map(|i| quotient.clone() * e(r[Q + i]) + remainder.clone() * e(r[R + i])));
        builder.push_interaction(buses::ALU, fields, bool_count(real));
    }
}
