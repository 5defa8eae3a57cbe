//! The table of `prover/examples/cpu_shaped.rs` (the shape of Rivet's CPU table: 86
//! columns, 82 degree-3 constraints, 10 seven-field messages sent and received, two
//! fractions per LogUp column) proved with Stwo's circle STARK on its SIMD backend,
//! with the same FRI blowup, query count and grinding. See README.md.
//!
//!     LOG_N=18 RUNS=3 LOOKUPS=1 ./target/release/rivet-compare-stwo
#![feature(portable_simd)]
use std::array;
use std::hint::black_box;
use std::time::Instant;

use num_traits::{One, Zero};
use rayon::prelude::*;
use stwo::core::air::Component;
use stwo::core::channel::Blake2sChannel;
use stwo::core::fields::m31::{BaseField, M31};
use stwo::core::fields::qm31::SecureField;
use stwo::core::fri::FriConfig;
use stwo::core::pcs::{CommitmentSchemeVerifier, PcsConfig};
use stwo::core::poly::circle::CanonicCoset;
use stwo::core::proof::StarkProof;
use stwo::core::vcs_lifted::blake2_merkle::{Blake2sMerkleChannel, Blake2sMerkleHasher};
use stwo::core::verifier::verify;
use stwo::core::ColumnVec;
use stwo::prover::backend::simd::column::BaseColumn;
use stwo::prover::backend::simd::m31::{PackedBaseField, LOG_N_LANES, N_LANES};
use stwo::prover::backend::simd::qm31::PackedSecureField;
use stwo::prover::backend::simd::SimdBackend;
use stwo::prover::poly::circle::{CircleEvaluation, PolyOps};
use stwo::prover::poly::BitReversedOrder;
use stwo::prover::{prove, CommitmentSchemeProver};
use stwo_constraint_framework::{
    relation, EvalAtRow, FrameworkComponent, FrameworkEval, LogupTraceGenerator, Relation, RelationEntry, TraceLocationAllocator,
};

const N_COLS: usize = 86;
const N_MSGS: usize = 10;
const MSG_LEN: usize = 7;

relation!(MsgRel, 7);

#[derive(Clone)]
struct SpikeEval {
    log_n_rows: u32,
    rel: MsgRel,
    lookups: bool,
}
impl FrameworkEval for SpikeEval {
    fn log_size(&self) -> u32 {
        self.log_n_rows
    }
    fn max_constraint_log_degree_bound(&self) -> u32 {
        self.log_n_rows + 1
    }
    fn evaluate<E: EvalAtRow>(&self, mut eval: E) -> E {
        let c: [E::F; N_COLS] = array::from_fn(|_| eval.next_trace_mask());
        for j in 4..N_COLS {
            eval.add_constraint(c[j].clone() - (c[j - 1].clone() * c[j - 2].clone() * c[j - 3].clone() + c[j - 4].clone()));
        }
        if self.lookups {
            for k in 0..N_MSGS {
                let msg: [E::F; MSG_LEN] = array::from_fn(|i| c[(7 * k + i) % N_COLS].clone());
                eval.add_to_relation(RelationEntry::new(&self.rel, E::EF::one(), &msg));
                eval.add_to_relation(RelationEntry::new(&self.rel, -E::EF::one(), &msg));
            }
            eval.finalize_logup_in_pairs();
        }
        eval
    }
}
type SpikeComponent = FrameworkComponent<SpikeEval>;

type Trace = ColumnVec<CircleEvaluation<SimdBackend, BaseField, BitReversedOrder>>;

fn xorshift(mut x: u32) -> u32 {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    x
}

/// Main trace: 86 columns. c0..c3 pseudo-random < 2^16, c[j] = c[j-1]c[j-2]c[j-3] + c[j-4].
fn gen_trace(log_n: u32) -> Vec<BaseColumn> {
    let n_vec = 1usize << (log_n - LOG_N_LANES);
    let rows: Vec<[PackedBaseField; N_COLS]> = (0..n_vec)
        .into_par_iter()
        .map(|vr| {
            let mut s: [[M31; N_LANES]; 4] = [[M31::zero(); N_LANES]; 4];
            for lane in 0..N_LANES {
                let row = (vr * N_LANES + lane) as u32;
                let mut x = row.wrapping_mul(0x9E37_79B9) ^ 0xDEAD_BEEF;
                if x == 0 {
                    x = 1;
                }
                for col in 0..4 {
                    x = xorshift(x);
                    s[col][lane] = M31::from_u32_unchecked(x & 0xFFFF);
                }
            }
            let mut r = [PackedBaseField::zero(); N_COLS];
            for col in 0..4 {
                r[col] = PackedBaseField::from_array(s[col]);
            }
            for j in 4..N_COLS {
                r[j] = r[j - 1] * r[j - 2] * r[j - 3] + r[j - 4];
            }
            r
        })
        .collect();
    (0..N_COLS).into_par_iter().map(|j| BaseColumn::from_simd(rows.iter().map(|r| r[j]).collect())).collect()
}

fn to_evals(log_n: u32, cols: &[BaseColumn]) -> Trace {
    let domain = CanonicCoset::new(log_n).circle_domain();
    cols.iter().map(|c| CircleEvaluation::new(domain, c.clone())).collect()
}

/// Interaction trace: 10 extension columns, each = (+1/d_k) + (-1/d_k) as one projective
/// fraction (pair batching), last one is the running sum.
fn gen_interaction(log_n: u32, cols: &[BaseColumn], rel: &MsgRel) -> (Trace, SecureField) {
    let n_vec = 1usize << (log_n - LOG_N_LANES);
    let mut logup = LogupTraceGenerator::new(log_n);
    let one = PackedSecureField::one();
    for k in 0..N_MSGS {
        let idx: [usize; MSG_LEN] = array::from_fn(|i| (7 * k + i) % N_COLS);
        logup.col_from_par_iter((0..n_vec).into_par_iter().map(|vr| {
            let msg: [PackedBaseField; MSG_LEN] = idx.map(|j| cols[j].data[vr]);
            // Combined twice, as two different messages would be (black_box keeps the
            // compiler from sharing the work).
            let d0: PackedSecureField = <MsgRel as Relation<PackedBaseField, PackedSecureField>>::combine(rel, &msg);
            let msg1 = black_box(msg);
            let d1: PackedSecureField = <MsgRel as Relation<PackedBaseField, PackedSecureField>>::combine(rel, &msg1);
            // Fraction(+1, d0) + Fraction(-1, d1) = (d1*1 + d0*(-1)) / (d0*d1)
            (d1 * one - d0 * one, d0 * d1)
        }));
    }
    logup.finalize_last()
}

struct Timings {
    twiddles: f64,
    commit_main: f64,
    interaction_gen: f64,
    commit_interaction: f64,
    prove_rest: f64,
    total: f64,
}

fn run_prove(
    log_n: u32,
    config: PcsConfig,
    cols: &[BaseColumn],
    main_evals: Trace,
    lookups: bool,
) -> (SpikeComponent, StarkProof<Blake2sMerkleHasher>, Timings) {
    let t0 = Instant::now();
    let twiddles =
        SimdBackend::precompute_twiddles(CanonicCoset::new(log_n + 1 + config.fri_config.log_blowup_factor).circle_domain().half_coset);
    let t_tw = t0.elapsed().as_secs_f64();
    let channel = &mut Blake2sChannel::default();
    config.mix_into(channel);
    let mut cs = CommitmentSchemeProver::<SimdBackend, Blake2sMerkleChannel>::new(config, &twiddles);

    // Preprocessed (empty).
    let mut tb = cs.tree_builder();
    tb.extend_evals(vec![]);
    tb.commit(channel);

    let t1 = Instant::now();
    let mut tb = cs.tree_builder();
    tb.extend_evals(main_evals);
    tb.commit(channel);
    let t_cm = t1.elapsed().as_secs_f64();

    let rel = MsgRel::draw(channel);
    let (mut t_ig, mut t_ci) = (0.0, 0.0);
    let mut claimed_sum = SecureField::zero();
    if lookups {
        let t2 = Instant::now();
        let (itrace, cs_sum) = gen_interaction(log_n, cols, &rel);
        claimed_sum = cs_sum;
        t_ig = t2.elapsed().as_secs_f64();
        let t3 = Instant::now();
        let mut tb = cs.tree_builder();
        tb.extend_evals(itrace);
        tb.commit(channel);
        t_ci = t3.elapsed().as_secs_f64();
    }
    let component = SpikeComponent::new(&mut TraceLocationAllocator::default(), SpikeEval { log_n_rows: log_n, rel, lookups }, claimed_sum);
    let t4 = Instant::now();
    let proof = prove::<SimdBackend, Blake2sMerkleChannel>(&[&component], channel, cs).unwrap();
    let t_pr = t4.elapsed().as_secs_f64();
    let total = t0.elapsed().as_secs_f64();
    (
        component,
        proof,
        Timings { twiddles: t_tw, commit_main: t_cm, interaction_gen: t_ig, commit_interaction: t_ci, prove_rest: t_pr, total },
    )
}

fn main() {
    let log_n: u32 = std::env::var("LOG_N").ok().and_then(|s| s.parse().ok()).unwrap_or(18);
    let runs: usize = std::env::var("RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let lookups = std::env::var("LOOKUPS").map(|s| s != "0").unwrap_or(true);
    let config = PcsConfig { pow_bits: 16, fri_config: FriConfig::new(0, 1, 100, 1), lifting_log_size: None };
    println!(
        "stwo 2.3.0 SimdBackend Blake2sMerkleChannel | LOG_N={log_n} cols={N_COLS} lookups={lookups} \
         log_blowup=1 n_queries=100 pow_bits=16 (security_bits={}) rayon_threads={}",
        config.security_bits(),
        rayon::current_num_threads()
    );

    let t = Instant::now();
    let mut cols = gen_trace(log_n);
    if std::env::var("BREAK").is_ok() {
        cols[50].data[3] += PackedBaseField::one();
    }
    let main_evals = to_evals(log_n, &cols);
    println!("trace gen (main 86 cols): {:.3} s", t.elapsed().as_secs_f64());

    let mut best = f64::INFINITY;
    let mut last = None;
    for r in 0..runs {
        let evals = main_evals.clone();
        let (comp, proof, tm) = run_prove(log_n, config, &cols, evals, lookups);
        println!(
            "run {r}: prove total {:.3} s  [twiddles {:.3}, commit main {:.3}, logup gen {:.3}, commit interaction {:.3}, prove() {:.3}]",
            tm.total, tm.twiddles, tm.commit_main, tm.interaction_gen, tm.commit_interaction, tm.prove_rest
        );
        best = best.min(tm.total);
        last = Some((comp, proof));
    }
    println!("best prove: {best:.3} s");

    let (component, proof) = last.unwrap();
    println!("proof size estimate: {} bytes", proof.size_estimate());
    println!("proof size breakdown: {:?}", proof.size_breakdown_estimate());
    println!("n_constraints: {}", component.n_constraints());

    // Verify.
    let t = Instant::now();
    let channel = &mut Blake2sChannel::default();
    config.mix_into(channel);
    let mut vcs = CommitmentSchemeVerifier::<Blake2sMerkleChannel>::new(config);
    let sizes = component.trace_log_degree_bounds();
    vcs.commit(proof.commitments[0], &sizes[0], channel);
    vcs.commit(proof.commitments[1], &sizes[1], channel);
    let _rel = MsgRel::draw(channel);
    if lookups {
        vcs.commit(proof.commitments[2], &sizes[2], channel);
    }
    let res = verify::<Blake2sMerkleChannel>(&[&component], channel, &mut vcs, proof);
    let vt = t.elapsed().as_secs_f64();
    println!("verify: {:?} in {:.4} s", res, vt);
    assert!(res.is_ok());
}
