//! A table shaped like the CPU table, proved with this crate's Plonky3 configuration:
//! what one proof system does with Rivet's row shape, to compare with another
//! (`prover/compare-stwo` proves the same table with Stwo).
//!
//! The shape: 2^LOG_N rows of 86 columns; columns 4.. follow
//! `c[j] = c[j-1]·c[j-2]·c[j-3] + c[j-4]` (82 degree-3 constraints); 10 messages of 7
//! columns each sent and received on one bus (20 LogUp fractions, so the table
//! balances and the proof verifies).
//!
//!     LOG_N=18 cargo run --release -p rivet-prover --example cpu_shaped
use p3_air::{Air, BaseAir, WindowAccess};
use p3_batch_stark::{prove_batch, verify_batch, ProverData, StarkInstance};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};
use p3_matrix::dense::RowMajorMatrix;
use rivet_prover::config::{config, Val};

const WIDTH: usize = 86;
const MESSAGES: usize = 10;
const MESSAGE_FIELDS: usize = 7;

#[derive(Clone)]
struct CpuShaped;

impl<F> BaseAir<F> for CpuShaped {
    fn width(&self) -> usize {
        WIDTH
    }
}

impl<AB: InteractionBuilder> Air<AB> for CpuShaped {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let c: Vec<AB::Expr> = (0..WIDTH).map(|j| main.current(j).unwrap().into()).collect();
        for j in 4..WIDTH {
            builder.assert_zero(c[j].clone() - (c[j - 1].clone() * c[j - 2].clone() * c[j - 3].clone() + c[j - 4].clone()));
        }
        for k in 0..MESSAGES {
            let fields: Vec<AB::Expr> = (0..MESSAGE_FIELDS).map(|i| c[(MESSAGE_FIELDS * k + i) % WIDTH].clone()).collect();
            builder.push_interaction("cpu-shaped", fields.clone(), Count::bounded(AB::Expr::ONE, 1));
            builder.push_interaction("cpu-shaped", fields, Count::bounded(AB::Expr::NEG_ONE, 1));
        }
    }
}

fn trace(log_n: usize) -> RowMajorMatrix<Val> {
    let mut values = Val::zero_vec(WIDTH << log_n);
    for (r, row) in values.chunks_exact_mut(WIDTH).enumerate() {
        let mut x = (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for v in row.iter_mut().take(4) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *v = Val::from_u32((x & 0xffff) as u32);
        }
        for j in 4..WIDTH {
            row[j] = row[j - 1] * row[j - 2] * row[j - 3] + row[j - 4];
        }
    }
    RowMajorMatrix::new(values, WIDTH)
}

fn main() {
    let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (log_n, runs) = (env("LOG_N", 18), env("RUNS", 3).max(1));
    let start = std::time::Instant::now();
    let trace = trace(log_n);
    let threads = env("RAYON_NUM_THREADS", std::thread::available_parallelism().map_or(1, |n| n.get()));
    println!("plonky3 0.8 (this crate's config) | LOG_N={log_n} cols={WIDTH} threads={threads}");
    println!("trace gen: {:.3} s", start.elapsed().as_secs_f64());
    let (cfg, airs) = (config(), [CpuShaped]);
    let data = ProverData::from_airs_and_degrees(&cfg, &airs, &[log_n]).expect("a valid shape");
    let fractions: usize = data.common.lookups[0].iter().map(|l| l.elements.len()).sum();
    println!("LogUp: {fractions} fractions in {} columns", data.common.lookups[0].len());
    let (traces, publics) = ([&trace], [Vec::new()]);
    let mut best = f64::MAX;
    let mut proof = None;
    for run in 0..runs {
        let start = std::time::Instant::now();
        let instances = StarkInstance::new_multiple(&airs, &traces, &publics);
        proof = Some(prove_batch(&cfg, &instances, &data).expect("provable"));
        let t = start.elapsed().as_secs_f64();
        println!("run {run}: prove {t:.3} s");
        best = best.min(t);
    }
    println!("best prove: {best:.3} s");
    let bytes = postcard::to_allocvec(proof.as_ref().expect("proved")).expect("serializable");
    println!("proof size: {} bytes", bytes.len());
    let start = std::time::Instant::now();
    let verified = verify_batch(&cfg, &airs, proof.as_ref().expect("proved"), &publics, &data.common);
    println!("verify: {verified:?} in {:.4} s", start.elapsed().as_secs_f64());
    assert!(verified.is_ok());
}
