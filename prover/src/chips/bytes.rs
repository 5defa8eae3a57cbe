//! The byte table: every pair of bytes `(x, y)` (2^16 preprocessed rows) with their
//! and/or/xor and `x << y` as two bytes (for `y <= 8`). It answers 16-bit range
//! checks (`x + 256·y`), range checks of two bytes, byte-wise bitwise operations and
//! byte shifts; the main trace holds how often each was asked.

use p3_air::WindowAccess;
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;

use crate::buses::{self, op};
use crate::columns::columns;

pub mod pre {
    use super::columns;
    columns! { X, Y, AND, OR, XOR, SHL_LO, SHL_HI }
}

pub mod main {
    use super::columns;
    columns! { M_U16, M_PAIR, M_AND, M_OR, M_XOR, M_SHL }
}

pub const LOG_HEIGHT: usize = 16;

#[derive(Clone, Debug)]
pub struct BytesChip;

impl BytesChip {
    pub fn preprocessed<F: Field>(&self) -> RowMajorMatrix<F> {
        let mut values = F::zero_vec((1 << LOG_HEIGHT) * pre::WIDTH);
        for (i, row) in values.chunks_mut(pre::WIDTH).enumerate() {
            let (x, y) = ((i & 0xff) as u32, (i >> 8) as u32);
            row[pre::X] = F::from_u32(x);
            row[pre::Y] = F::from_u32(y);
            row[pre::AND] = F::from_u32(x & y);
            row[pre::OR] = F::from_u32(x | y);
            row[pre::XOR] = F::from_u32(x ^ y);
            // Shifts ask only for y <= 8 (the rest answer x << 0).
            let shl = if y <= 8 { x << y } else { x };
            row[pre::SHL_LO] = F::from_u32(shl & 0xff);
            row[pre::SHL_HI] = F::from_u32(shl >> 8);
        }
        RowMajorMatrix::new(values, pre::WIDTH)
    }

    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let p = builder.preprocessed().clone();
        let p = p.current_slice();
        let main = builder.main();
        let m = main.current_slice();
        let (x, y) = (p[pre::X], p[pre::Y]);
        let value = x.into() + y.into() * AB::Expr::from_u32(256);
        builder.push_interaction(buses::U16, [value], Count::provided(m[main::M_U16].into()));
        builder.push_interaction(buses::BYTE_PAIR, [x.into(), y.into()], Count::provided(m[main::M_PAIR].into()));
        let shift = [x.into(), y.into(), p[pre::SHL_LO].into(), p[pre::SHL_HI].into()];
        builder.push_interaction(buses::SHIFT, shift, Count::provided(m[main::M_SHL].into()));
        for (code, result, mult) in [(op::AND, pre::AND, main::M_AND), (op::OR, pre::OR, main::M_OR), (op::XOR, pre::XOR, main::M_XOR)] {
            let fields = [AB::Expr::from_u32(code), x.into(), y.into(), p[result].into()];
            builder.push_interaction(buses::BITWISE, fields, Count::provided(m[mult].into()));
        }
    }
}
