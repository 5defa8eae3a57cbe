//! Prover benchmark: for each provable program, steps proved per second, the
//! slowdown against the same computation compiled natively, proof size, and
//! verification time (with the program's verifying key computed once, and one-off).
//!
//!     cargo run --release -p rivet-prover --example bench [-- --quick]

use std::hint::black_box;
use std::time::{Duration, Instant};

use rivet_prover::{samples, VerifyingKey};

/// `samples::bubble_sort(n)` in Rust: the same data, the same sort; (min, max).
fn native_bubble_sort(n: u32) -> (u32, u32) {
    let mut x: u32 = 0x39;
    let mut v: Vec<u32> = (0..black_box(n))
        .map(|_| {
            x = x.wrapping_add(x.wrapping_mul(4)) ^ 0x5a5;
            x
        })
        .collect();
    for end in (1..v.len()).rev() {
        for i in 0..end {
            if v[i + 1] < v[i] {
                v.swap(i, i + 1);
            }
        }
    }
    (v[0], v[v.len() - 1])
}

fn native_fibonacci(n: u32) -> u32 {
    let (mut a, mut b) = (0u32, 1u32);
    for _ in 0..black_box(n) {
        let t = a.wrapping_add(b);
        a = b;
        b = t;
    }
    a
}

/// Best of `runs` timings of `f`.
fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: &[u32] = if quick { &[2_000] } else { &[20_000, 200_000] };
    let sort_sizes: &[u32] = if quick { &[32] } else { &[200, 600] };
    println!("{:<22} {:>9} {:>10} {:>12} {:>12} {:>10} {:>11} {:>11}", "program", "steps", "prove", "steps/s", "vs native", "proof", "verify", "verify+key");
    type Native = Box<dyn Fn() -> (u32, u32)>;
    let mut cases: Vec<(String, Vec<u8>, Native)> = Vec::new();
    for &n in sizes {
        cases.push((format!("fibonacci({n})"), samples::fibonacci(n), Box::new(move || (native_fibonacci(n), 0))));
    }
    for &n in sort_sizes {
        cases.push((format!("bubble sort({n})"), samples::bubble_sort(n), Box::new(move || native_bubble_sort(n))));
    }
    for (name, blob, native) in cases {
        let start = Instant::now();
        let proved = rivet_prover::prove(&blob, "call", 1 << 40, |_| {}).expect("provable");
        let prove_time = start.elapsed();
        let (a0, a1) = native();
        assert_eq!(proved.statement.a0, a0, "{name}: the proof states the native result");
        if a1 != 0 {
            assert_eq!(proved.statement.a1, a1, "{name}: the proof states the native result");
        }
        let native_time = best(20, || {
            black_box(native());
        });
        let vk = VerifyingKey::new(&blob).expect("valid program");
        let verify = best(3, || vk.verify(&proved.statement, &proved.proof).expect("verifies"));
        let one_off = best(2, || rivet_prover::verify(&blob, &proved.statement, &proved.proof).expect("verifies"));
        println!(
            "{:<22} {:>9} {:>9.2}s {:>12.0} {:>11.0}x {:>8} KiB {:>9.1}ms {:>9.1}ms",
            name,
            proved.steps,
            prove_time.as_secs_f64(),
            proved.steps as f64 / prove_time.as_secs_f64(),
            prove_time.as_secs_f64() / native_time.as_secs_f64().max(1e-9),
            proved.proof.len() / 1024,
            verify.as_secs_f64() * 1e3,
            one_off.as_secs_f64() * 1e3,
        );
    }
    println!("threads: {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
}
