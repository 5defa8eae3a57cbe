//! Proves one guest program and prints how long each of Plonky3's proving phases took
//! (its tracing spans, as they close): where proving time goes, without a profiler.
//!
//!     cargo run --release -p rivet-prover --example phases -- sha256 [input bytes, default 4096]

use rivet_vm_cli::DevHost;
use tracing_subscriber::fmt::format::FmtSpan;

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "sha256".into());
    let n: usize = args.next().map(|a| a.parse().expect("a byte count")).unwrap_or(4096);
    let input: Vec<u8> = match name.as_str() {
        "fibonacci" | "sieve" => (n as u32).to_le_bytes().to_vec(),
        "sort" | "collections" => [n as u32, 9].iter().flat_map(|v| v.to_le_bytes()).collect(),
        _ => (0..n).map(|i| (i * 7) as u8).collect(),
    };
    tracing_subscriber::fmt()
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .with_ansi(false)
        .with_max_level(if std::env::var_os("DEBUG").is_some() { tracing::Level::DEBUG } else { tracing::Level::INFO })
        .init();
    let blob = rivet_test_programs::blob(&name);
    let start = std::time::Instant::now();
    let proved = rivet_prover::prove_with_host(blob, "call", 1 << 40, |vm| drop(DevHost::default().drive(vm, &input, |_| None)), |_| {})
        .expect("provable");
    let t = start.elapsed().as_secs_f64();
    println!(
        "{name}: {} steps in {t:.2} s ({:.0} steps/s), proof {} KiB; tables (log2 rows): {:?}",
        proved.steps,
        proved.steps as f64 / t,
        proved.proof.len() / 1024,
        proved.tables
    );
}
