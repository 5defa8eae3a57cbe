//! The register file's boundary: 16 fixed rows putting each register's entry value
//! (SPEC.md §4: zero but sp and ra) on the `REGISTERS` bus at timestamp 0, and
//! taking its final value and timestamp back. a0 and a1's final values are public.

use p3_air::{AirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;
use p3_matrix::dense::RowMajorMatrix;
use rivet_vm::Reg;

use crate::buses;
use crate::columns::columns;

pub mod pre {
    use super::columns;
    columns! { IDX, INIT[4], IS_A0, IS_A1 }
}

pub mod main {
    use super::columns;
    columns! { FINAL[4], FINAL_TS }
}

/// Public values: a0's and a1's final bytes.
pub mod public {
    use super::columns;
    columns! { A0[4], A1[4] }
}

pub const LOG_HEIGHT: usize = 4;

#[derive(Clone, Debug)]
pub struct RegistersChip;

impl RegistersChip {
    pub fn preprocessed<F: Field>(&self) -> RowMajorMatrix<F> {
        let init = rivet_vm::entry_registers();
        let mut values = F::zero_vec(16 * pre::WIDTH);
        for (r, row) in values.chunks_mut(pre::WIDTH).enumerate() {
            row[pre::IDX] = F::from_u32(r as u32);
            for i in 0..4 {
                row[pre::INIT + i] = F::from_u32((init[r] >> (8 * i)) & 0xff);
            }
            row[pre::IS_A0] = F::from_bool(r == Reg::A0.index());
            row[pre::IS_A1] = F::from_bool(r == Reg::A1.index());
        }
        RowMajorMatrix::new(values, pre::WIDTH)
    }

    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let p = builder.preprocessed().clone();
        let p = p.current_slice();
        let main = builder.main();
        let m = main.current_slice();
        let pv: alloc::vec::Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        for i in 0..4 {
            builder.when(p[pre::IS_A0]).assert_eq(m[main::FINAL + i], pv[public::A0 + i].clone());
            builder.when(p[pre::IS_A1]).assert_eq(m[main::FINAL + i], pv[public::A1 + i].clone());
        }
        let init = [
            p[pre::IDX].into(),
            p[pre::INIT].into(),
            p[pre::INIT + 1].into(),
            p[pre::INIT + 2].into(),
            p[pre::INIT + 3].into(),
            AB::Expr::ZERO,
        ];
        builder.push_interaction(buses::REGISTERS, init, 1);
        let fin = [
            p[pre::IDX].into(),
            m[main::FINAL].into(),
            m[main::FINAL + 1].into(),
            m[main::FINAL + 2].into(),
            m[main::FINAL + 3].into(),
            m[main::FINAL_TS].into(),
        ];
        builder.push_interaction(buses::REGISTERS, fin, -1);
    }
}
