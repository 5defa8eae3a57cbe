//! What compiling a program costs, per program and per instruction (the part of a
//! one-shot call, compile + instantiate + run, that a short call feels most).
//!
//!     cargo run --release -p rivet-vm-jit --example compile_cost [-- programs...]

use std::time::Instant;

fn main() {
    if !rivet_vm_jit::is_supported() {
        println!("the JIT can't run on this host");
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let names: Vec<&str> = if args.is_empty() {
        vec!["fibonacci", "sieve", "sha256", "keccak", "sort", "collections"]
    } else {
        args.iter().map(|s| s.as_str()).collect()
    };
    let rounds: u32 = std::env::var("ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    println!("{:<12} {:>12} {:>12} {:>12} {:>12}", "program", "instructions", "code bytes", "compile µs", "ns/instr");
    for name in names {
        let program = rivet_test_programs::module(name).program().clone();
        let n = program.instructions().len();
        let size = rivet_vm_jit::compile(program.clone()).unwrap().code_size();
        let mut best = f64::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            for _ in 0..rounds {
                drop(std::hint::black_box(rivet_vm_jit::compile(program.clone()).unwrap()));
            }
            best = best.min(start.elapsed().as_secs_f64() / rounds as f64);
        }
        println!("{name:<12} {n:>12} {size:>12} {:>12.1} {:>12.1}", best * 1e6, best * 1e9 / n as f64);
    }
}
