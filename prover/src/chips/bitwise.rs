//! And, or, xor: each byte pair looked up in the byte table.

use p3_air::WindowAccess;
use p3_field::PrimeCharacteristicRing;
use p3_lookup::InteractionBuilder;

use crate::buses::{self, op};
use crate::chips::bool_count;
use crate::columns::columns;

columns! { IS_AND, IS_OR, IS_XOR, A[4], B[4], C[4] }

#[derive(Clone, Debug)]
pub struct BitwiseChip;

pub fn row<F: PrimeCharacteristicRing + Copy>(code: u32, a: u32, b: u32, row: &mut [F]) -> u32 {
    let (flag, c) = match code {
        op::AND => (IS_AND, a & b),
        op::OR => (IS_OR, a | b),
        _ => (IS_XOR, a ^ b),
    };
    row[flag] = F::ONE;
    for i in 0..4 {
        row[A + i] = F::from_u32((a >> (8 * i)) & 0xff);
        row[B + i] = F::from_u32((b >> (8 * i)) & 0xff);
        row[C + i] = F::from_u32((c >> (8 * i)) & 0xff);
    }
    c
}

impl BitwiseChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let r = main.current_slice();
        let (real, code) = crate::chips::one_of(builder, r, &[(IS_AND, op::AND), (IS_OR, op::OR), (IS_XOR, op::XOR)]);
        for i in 0..4 {
            let fields = [code.clone(), r[A + i].into(), r[B + i].into(), r[C + i].into()];
            builder.push_interaction(buses::BITWISE, fields, bool_count(-real.clone()));
        }
        let mut fields = alloc::vec![code];
        fields.extend((0..12).map(|i| r[A + i].into()));
        builder.push_interaction(buses::ALU, fields, bool_count(real));
    }
}
