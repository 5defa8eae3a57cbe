//! `rivet-vm-bench`: runs each guest program natively (the same Rust source), on the
//! interpreter and on the JIT, and prints times and ratios to native.
//!
//! exec: instance creation + run (module already prepared); compile: blob already
//! validated, to a runnable module; one-shot: compile + instantiate + run.
//!
//! Usage: rivet-vm-bench [--quick]   (--quick: smaller inputs, for CI smoke runs)

use std::hint::black_box;
use std::time::{Duration, Instant};

use rivet_kernels as k;
use rivet_test_programs::module;
use rivet_vm::GuestInstance;
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
    println!("Rivet VM benchmark: best of repeated runs; ratios are to native (same Rust source)");
    println!(
        "{:<12} {:>10} {:>12} {:>8} {:>10} {:>8} {:>11} {:>12} {:>12}",
        "program", "native ms", "interp ms", "ratio", "JIT ms", "ratio", "JIT comp ms", "JIT 1shot ms", "interp Mgas/s"
    );
    let jit = rivet_vm_jit::is_supported();
    let (mut log_interp, mut log_jit, mut n) = (0.0, 0.0, 0);
    for case in cases(scale) {
        let expected = (case.native)(&case.input);
        let m = module(case.name);
        let program = m.program().clone();
        let check = DevHost::default().run(&m, "call", &case.input, u64::MAX, false).expect("entry");
        assert_eq!(check.status, ExitStatus::Returned, "{}", case.name);
        assert_eq!(check.output, expected, "{}: VM and native disagree", case.name);
        let native = best(|| drop(black_box((case.native)(black_box(&case.input)))), 3, budget);
        // Instance creation and host calls included: what a caller of the VM pays.
        let interp = best(|| drop(black_box(DevHost::default().run(&m, "call", black_box(&case.input), u64::MAX, false))), 3, budget);
        let r_interp = interp.as_secs_f64() / native.as_secs_f64();
        log_interp += r_interp.ln();
        n += 1;
        let (jit_cols, r_jit) = if jit {
            let jm = std::sync::Arc::new(rivet_vm_jit::compile(program.clone()).expect("compiles"));
            let run_jit = |jm: &std::sync::Arc<rivet_vm_jit::JitModule>| {
                let mut inst = rivet_vm_jit::JitInstance::new(jm.clone()).expect("sandbox");
                inst.prepare_call("call", u64::MAX).unwrap();
                DevHost::default().drive(&mut inst, black_box(&case.input), |_| None)
            };
            let o = run_jit(&jm);
            assert_eq!(o.output, expected, "{}: JIT and native disagree", case.name);
            let exec = best(|| drop(black_box(run_jit(&jm))), 3, budget);
            let comp = best(|| drop(black_box(rivet_vm_jit::compile(program.clone()))), 3, budget / 4);
            let oneshot = best(|| drop(black_box(run_jit(&std::sync::Arc::new(rivet_vm_jit::compile(program.clone()).unwrap())))), 3, budget);
            let r = exec.as_secs_f64() / native.as_secs_f64();
            log_jit += r.ln();
            (format!("{:>10.3} {:>7.2}x {:>11.3} {:>12.3}", ms(exec), r, ms(comp), ms(oneshot)), r)
        } else {
            (format!("{:>10} {:>8} {:>11} {:>12}", "-", "-", "-", "-"), 0.0)
        };
        let _ = r_jit;
        println!(
            "{:<12} {:>10.3} {:>12.3} {:>7.1}x {} {:>12.0}",
            case.name,
            ms(native),
            ms(interp),
            r_interp,
            jit_cols,
            check.gas_used as f64 / interp.as_secs_f64() / 1e6
        );
    }
    println!("geometric mean: interpreter {:.1}x native (goal: 20x or better)", (log_interp / n as f64).exp());
    if jit {
        println!("geometric mean: JIT {:.2}x native, gas metering on (goal: 1.3x or better)", (log_jit / n as f64).exp());
    } else {
        println!("JIT not supported on this host: interpreter only");
    }
}
