//! 32-bit addition and subtraction on bytes: `a + b = c` or `c + b = a` (mod 2^32),
//! one carry bit per byte; `c` is range-checked, `a` and `b` come range-checked
//! (registers hold checked bytes, immediates are committed).

use p3_air::WindowAccess;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use crate::buses::{self, op};
use crate::chips::{bool_count, byte_pair};
use crate::columns::columns;

columns! { IS_ADD, IS_SUB, A[4], B[4], C[4], CARRY[4] }

#[derive(Clone, Debug)]
pub struct AddSubChip;

/// One operation's row.
pub fn row<F: PrimeCharacteristicRing + Copy>(sub: bool, a: u32, b: u32, row: &mut [F]) -> u32 {
    let c = if sub { a.wrapping_sub(b) } else { a.wrapping_add(b) };
    row[if sub { IS_SUB } else { IS_ADD }] = F::ONE;
    let (x, y) = if sub { (c, b) } else { (a, b) };
    let mut carry = 0u32;
    for i in 0..4 {
        row[A + i] = F::from_u32((a >> (8 * i)) & 0xff);
        row[B + i] = F::from_u32((b >> (8 * i)) & 0xff);
        row[C + i] = F::from_u32((c >> (8 * i)) & 0xff);
        let s = ((x >> (8 * i)) & 0xff) + ((y >> (8 * i)) & 0xff) + carry;
        carry = s >> 8;
        row[CARRY + i] = F::from_u32(carry);
    }
    c
}

impl AddSubChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let r = main.current_slice();
        let (is_add, is_sub) = (r[IS_ADD], r[IS_SUB]);
        let real = is_add.into() + is_sub.into();
        builder.assert_bool(is_add);
        builder.assert_bool(is_sub);
        builder.assert_bool(real.clone());
        let base = AB::Expr::from_u32(256);
        for i in 0..4 {
            builder.assert_bool(r[CARRY + i]);
            let cin: AB::Expr = if i == 0 { AB::Expr::ZERO } else { r[CARRY + i - 1].into() };
            let cout = r[CARRY + i].into() * base.clone();
            // add: a + b + cin = c + 256·cout; sub: c + b + cin = a + 256·cout.
            let add = r[A + i].into() + r[B + i].into() + cin.clone() - r[C + i].into() - cout.clone();
            let sub = r[C + i].into() + r[B + i].into() + cin - r[A + i].into() - cout;
            builder.assert_zero(is_add.into() * add + is_sub.into() * sub);
        }
        byte_pair(builder, [r[C], r[C + 1]], real.clone());
        byte_pair(builder, [r[C + 2], r[C + 3]], real.clone());
        let code = is_add.into() * AB::Expr::from_u32(op::ADD) + is_sub.into() * AB::Expr::from_u32(op::SUB);
        let mut fields = alloc::vec![code];
        fields.extend((0..12).map(|i| r[A + i].into()));
        builder.push_interaction(buses::ALU, fields, bool_count(real));
    }
}
