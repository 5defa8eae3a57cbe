//! Prints each table's shape: main and fixed columns, and the lookup columns
//! (extension-field running sums after Plonky3 packs same-bus lookups) — what a row
//! of each table costs to commit — and each table's highest constraint degree (above
//! 3 its quotient is evaluated on 4x the rows, not 2x) and constraint counts, and
//! how many expression nodes Plonky3 walks per row to evaluate the lookups' messages
//! and counts (it does, for every row, once building the running sums and once per
//! quotient point: shared subexpressions are walked again each time they occur).
//!
//!     cargo run --release -p rivet-prover --example shape

use p3_air::{AirLayout, BaseAir, SymbolicExpr, SymbolicExpression};
use p3_batch_stark::symbolic::get_symbolic_constraints;
use p3_batch_stark::ProverData;
use p3_lookup::LogUpGadget;
use rivet_prover::chips::Circuit;
use rivet_prover::config::{config, Challenge, Val};

/// Nodes of an expression tree, shared subtrees counted each time (as evaluated).
fn nodes(e: &SymbolicExpression<Val>) -> usize {
    match e {
        SymbolicExpr::Leaf(_) => 1,
        SymbolicExpr::Neg { x, .. } => 1 + nodes(x),
        SymbolicExpr::Add { x, y, .. } | SymbolicExpr::Sub { x, y, .. } | SymbolicExpr::Mul { x, y, .. } => 1 + nodes(x) + nodes(y),
    }
}

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
        let walked: usize = l
            .iter()
            .map(|x| x.elements.iter().flatten().chain(&x.multiplicities).chain(x.flags.iter().flatten()).map(nodes).sum::<usize>())
            .sum();
        let layout = AirLayout {
            preprocessed_width: pw,
            main_width: w,
            num_public_values: <_ as BaseAir<Val>>::num_public_values(a),
            num_periodic_columns: <_ as BaseAir<Val>>::num_periodic_columns(a),
            ..Default::default()
        };
        let (base, ext) = get_symbolic_constraints::<Val, Challenge, _, _>(a, layout, l, &LogUpGadget::new());
        let degree = |d: &mut dyn Iterator<Item = usize>| d.max().unwrap_or(0);
        let (bd, ed) = (degree(&mut base.iter().map(|c| c.degree_multiple())), degree(&mut ext.iter().map(|c| c.degree_multiple())));
        println!(
            "{:16} main {:4} fixed {:3} lookup columns {:3} ({:3} lookups) = {:3} base-field columns; degree {bd} (lookups {ed}), {} + {} constraints; {walked} lookup expression nodes",
            a.name(), w, pw, l.len(), tuples, 4 * (l.len() + 1), base.len(), ext.len()
        );
    }
}
