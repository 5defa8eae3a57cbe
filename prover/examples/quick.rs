fn main() {
    let n: i32 = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(10000);
    let blob = rivet_prover::samples::fibonacci(n as u32);
    let t = std::time::Instant::now();
    let p = rivet_prover::prove(&blob, "call", 1 << 40, |_| {}).unwrap();
    let pt = t.elapsed();
    let t = std::time::Instant::now();
    let vk = rivet_prover::VerifyingKey::new(&blob).unwrap();
    let kt = t.elapsed();
    let t = std::time::Instant::now();
    vk.verify(&p.statement, &p.proof).unwrap();
    let vt = t.elapsed();
    println!("key {kt:?}");
    println!("steps {} prove {:?} ({:.0} steps/s) proof {} bytes verify {:?} tables {:?}", p.steps, pt, p.steps as f64 / pt.as_secs_f64(), p.proof.len(), vt, p.tables);
}
