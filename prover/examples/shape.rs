//! Prints each table's shape: main and fixed columns, and the lookup columns
//! (extension-field running sums after Plonky3 packs same-bus lookups) — what a row
//! of each table costs to commit.
//!
//!     cargo run --release -p rivet-prover --example shape

use p3_air::BaseAir;
use p3_batch_stark::ProverData;
use rivet_prover::chips::Circuit;
use rivet_prover::config::{config, Val};

fn main() {
    let blob = rivet_prover::samples::memory();
    let p = rivet_vm::parse(&blob, &Default::default()).unwrap();
    let circuit = Circuit::new(&p);
    let airs = circuit.airs();
    let bits: Vec<usize> = airs.iter().map(|a| a.fixed_log_height().unwrap_or(10)).collect();
    let data = ProverData::from_airs_and_degrees(&config(), &airs, &bits).unwrap();
    for (a, l) in airs.iter().zip(&data.common.lookups) {
        let w = <_ as BaseAir<Val>>::width(a);
        let pw = <_ as BaseAir<Val>>::preprocessed_width(a);
        let tuples: usize = l.iter().map(|x| x.elements.len()).sum();
        println!("{:16} main {:4} fixed {:3} lookup columns {:3} ({:3} lookups) = {:3} base-field columns", a.name(), w, pw, l.len(), tuples, 4 * (l.len() + 1));
    }
}
