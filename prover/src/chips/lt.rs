//! Comparisons: slt, sltu and the six branch conditions, from one subtraction
//! `a - b` on bytes (its final borrow is `a <u b`), the two sign bits (looked up as
//! `byte & 0x80`) and an is-zero test of the difference. The result is `(r, 0, 0, 0)`.

use p3_air::WindowAccess;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use crate::buses::{self, op};
use crate::chips::{bool_count, byte_pair, sign_bit};
use crate::columns::columns;

columns! {
    IS_SLT, IS_SLTU, IS_BEQ, IS_BNE, IS_BLT, IS_BGE, IS_BLTU, IS_BGEU,
    A[4], B[4], D[4], BORROW[4], A_MSB, B_MSB, LT, EQ, INV, RES,
}

const OPS: [(usize, u32); 8] = [
    (IS_SLT, op::SLT),
    (IS_SLTU, op::SLTU),
    (IS_BEQ, op::BEQ),
    (IS_BNE, op::BNE),
    (IS_BLT, op::BLT),
    (IS_BGE, op::BGE),
    (IS_BLTU, op::BLTU),
    (IS_BGEU, op::BGEU),
];

#[derive(Clone, Debug)]
pub struct LtChip;

pub fn handles(code: u32) -> bool {
    OPS.iter().any(|&(_, c)| c == code)
}

pub fn row<F: Field>(code: u32, a: u32, b: u32, row: &mut [F]) -> u32 {
    let flag = OPS.iter().find(|&&(_, c)| c == code).map(|&(f, _)| f).unwrap_or(IS_SLT);
    row[flag] = F::ONE;
    let d = a.wrapping_sub(b);
    let mut borrow = 0u32;
    for i in 0..4 {
        let (ai, bi) = ((a >> (8 * i)) & 0xff, (b >> (8 * i)) & 0xff);
        row[A + i] = F::from_u32(ai);
        row[B + i] = F::from_u32(bi);
        row[D + i] = F::from_u32((d >> (8 * i)) & 0xff);
        borrow = (ai < bi + borrow) as u32;
        row[BORROW + i] = F::from_u32(borrow);
    }
    let ltu = a < b;
    let lt = (a as i32) < (b as i32);
    let eq = a == b;
    row[A_MSB] = F::from_u32(a >> 31);
    row[B_MSB] = F::from_u32(b >> 31);
    row[LT] = F::from_bool(lt);
    row[EQ] = F::from_bool(eq);
    let dsum: u32 = (0..4).map(|i| (d >> (8 * i)) & 0xff).sum();
    row[INV] = if dsum == 0 { F::ZERO } else { F::from_u32(dsum).inverse() };
    let res = match code {
        op::SLT | op::BLT => lt,
        op::SLTU | op::BLTU => ltu,
        op::BEQ => eq,
        op::BNE => !eq,
        op::BGE => !lt,
        _ => !ltu,
    };
    row[RES] = F::from_bool(res);
    res as u32
}

impl LtChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let r = main.current_slice();
        let (real, code) = crate::chips::one_of(builder, r, &OPS);
        let base = AB::Expr::from_u32(256);
        // a - b - borrow_in + 256·borrow_out = d, byte by byte.
        for i in 0..4 {
            builder.assert_bool(r[BORROW + i]);
            let bin: AB::Expr = if i == 0 { AB::Expr::ZERO } else { r[BORROW + i - 1].into() };
            builder.assert_zero(r[A + i].into() - r[B + i].into() - bin + r[BORROW + i].into() * base.clone() - r[D + i].into());
        }
        byte_pair(builder, [r[D], r[D + 1]], real.clone());
        byte_pair(builder, [r[D + 2], r[D + 3]], real.clone());
        // Sign bits: a3 & 0x80 = 0x80·a_msb.
        for (byte, msb) in [(A + 3, A_MSB), (B + 3, B_MSB)] {
            sign_bit(builder, r[byte], r[msb], real.clone());
        }
        let ltu: AB::Expr = r[BORROW + 3].into();
        let (am, bm): (AB::Expr, AB::Expr) = (r[A_MSB].into(), r[B_MSB].into());
        // Signs differ: a < b iff a is negative; same sign: the unsigned order.
        let same = AB::Expr::ONE - am.clone() - bm.clone() + am.clone() * bm.clone() * AB::Expr::TWO;
        builder.assert_eq(r[LT], ltu.clone() * same + am * (AB::Expr::ONE - bm));
        // eq iff every difference byte is zero (their sum is below 2^10: no wrap).
        let dsum = r[D].into() + r[D + 1].into() + r[D + 2].into() + r[D + 3].into();
        builder.assert_bool(r[EQ]);
        builder.assert_zero(r[EQ].into() * dsum.clone());
        builder.assert_zero((real.clone() - r[EQ].into()) * (dsum * r[INV].into() - AB::Expr::ONE));
        let (lt, eq): (AB::Expr, AB::Expr) = (r[LT].into(), r[EQ].into());
        let not = |x: AB::Expr| AB::Expr::ONE - x;
        let res = r[IS_SLT].into() * lt.clone()
            + r[IS_SLTU].into() * ltu.clone()
            + r[IS_BEQ].into() * eq.clone()
            + r[IS_BNE].into() * not(eq)
            + r[IS_BLT].into() * lt.clone()
            + r[IS_BGE].into() * not(lt)
            + r[IS_BLTU].into() * ltu.clone()
            + r[IS_BGEU].into() * not(ltu);
        builder.assert_eq(r[RES], res);
        let mut fields = alloc::vec![code];
        fields.extend((0..8).map(|i| r[A + i].into()));
        fields.extend([r[RES].into(), AB::Expr::ZERO, AB::Expr::ZERO, AB::Expr::ZERO]);
        builder.push_interaction(buses::ALU, fields, bool_count(real));
    }
}
