//! `rivet-vm-bench`: runs each guest program on the interpreter and the same Rust
//! code natively, and prints the times and their ratio.
//!
//! Usage: rivet-vm-bench [--quick]   (--quick: smaller inputs, for CI smoke runs)

use std::hint::black_box;
use std::time::{Duration, Instant};

use rivet_kernels as k;
use rivet_test_programs::module;
use rivet_vm_cli::{DevHost, ExitStatus};

struct Case {
    name: &'static str,
    input: Vec<u8>,
    native: Box<dyn Fn(&[u8]) -> Vec<u8>>,
}

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn cases(scale: u32) -> Vec<Case> {
    let data: Vec<u8> = (0..(1u32 << 20) / scale).map(|i| (i * 7) as u8).collect();
    vec![
        Case {
            name: "fibonacci",
            input: u32s(&[5_000_000 / scale]),
            native: Box::new(|i| {
                let n = k::arg(i, 0);
                let mut o = k::fibonacci(n).to_le_bytes().to_vec();
                o.extend(k::fibonacci_recursive(n.min(24)).to_le_bytes());
                o
            }),
        },
        Case { name: "sieve", input: u32s(&[4_000_000 / scale]), native: Box::new(|i| k::count_primes(k::arg(i, 0)).to_le_bytes().to_vec()) },
        Case { name: "sha256", input: data.clone(), native: Box::new(|i| k::sha256(i).to_vec()) },
        Case { name: "keccak", input: data, native: Box::new(|i| k::keccak256(i).to_vec()) },
        Case { name: "sort", input: u32s(&[400_000 / scale, 9]), native: Box::new(|i| k::sort_checksum(k::arg(i, 0), k::arg(i, 1)).to_le_bytes().to_vec()) },
        Case {
            name: "collections",
            input: u32s(&[100_000 / scale, 9]),
            native: Box::new(|i| k::collections_checksum(k::arg(i, 0), k::arg(i, 1)).to_le_bytes().to_vec()),
        },
    ]
}

/// Fastest of repeated runs: at least `min_runs`, and until `budget` has passed.
fn best<F: FnMut()>(mut f: F, min_runs: u32, budget: Duration) -> Duration {
    let start = Instant::now();
    let mut best = Duration::MAX;
    let mut runs = 0;
    while runs < min_runs || start.elapsed() < budget {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        runs += 1;
    }
    best
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (scale, budget) = if quick { (16, Duration::from_millis(50)) } else { (1, Duration::from_millis(1500)) };
    println!("Rivet VM benchmark: interpreter vs native (same Rust source), best of repeated runs");
    println!("{:<12} {:>12} {:>14} {:>10} {:>14} {:>12}", "program", "native ms", "interpreter ms", "ratio", "gas", "Mgas/s");
    let mut log_sum = 0.0;
    let mut n = 0;
    for case in cases(scale) {
        let expected = (case.native)(&case.input);
        let m = module(case.name);
        let check = DevHost::default().run(&m, "call", &case.input, u64::MAX, false).expect("entry");
        assert_eq!(check.status, ExitStatus::Returned, "{}", case.name);
        assert_eq!(check.output, expected, "{}: VM and native disagree", case.name);
        let native = best(|| drop(black_box((case.native)(black_box(&case.input)))), 3, budget);
        // Instance creation and host calls included: what a caller of the VM pays.
        let interp = best(|| drop(black_box(DevHost::default().run(&m, "call", black_box(&case.input), u64::MAX, false))), 3, budget);
        let ratio = interp.as_secs_f64() / native.as_secs_f64();
        log_sum += ratio.ln();
        n += 1;
        println!(
            "{:<12} {:>12.3} {:>14.3} {:>9.1}x {:>14} {:>12.0}",
            case.name,
            ms(native),
            ms(interp),
            ratio,
            check.gas_used,
            check.gas_used as f64 / interp.as_secs_f64() / 1e6
        );
    }
    println!("geometric mean: interpreter {:.1}x native (goal: 20x or better)", (log_sum / n as f64).exp());
}
