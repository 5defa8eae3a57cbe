//! `rivet-vm-bench`: runs each guest program natively, on Rivet's interpreter and JIT,
//! and on wasmtime (the same Rust source compiled to wasm32), and prints times and
//! ratios to native.
//!
//! exec: instantiate + run (module already compiled), host calls included;
//! compile: validated program to runnable module; one-shot: compile + instantiate + run.
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
        Case {
            name: "sieve",
            input: u32s(&[4_000_000 / scale]),
            native: Box::new(|i| k::count_primes(k::arg(i, 0)).to_le_bytes().to_vec()),
        },
        Case { name: "sha256", input: data.clone(), native: Box::new(|i| k::sha256(i).to_vec()) },
        Case { name: "keccak", input: data, native: Box::new(|i| k::keccak256(i).to_vec()) },
        Case {
            name: "sort",
            input: u32s(&[400_000 / scale, 9]),
            native: Box::new(|i| k::sort_checksum(k::arg(i, 0), k::arg(i, 1)).to_le_bytes().to_vec()),
        },
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

mod pvm;
mod wasm;

fn ratio(x: Duration, native: Duration) -> f64 {
    x.as_secs_f64() / native.as_secs_f64()
}

struct Row {
    name: &'static str,
    native: Duration,
    interp: Duration,
    jit: Option<(Duration, Duration, Duration)>,
    wasm: (Duration, Duration, Duration),
    /// PolkaVM compiler: (exec with gas, exec without gas, compile, one-shot with gas)
    pvm: Option<(Duration, Duration, Duration, Duration)>,
    /// PolkaVM interpreter exec (gas on)
    pvm_interp: Option<Duration>,
    gas: u64,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (scale, budget) = if quick { (16, Duration::from_millis(50)) } else { (1, Duration::from_millis(1500)) };
    let jit = rivet_vm_jit::is_supported();
    let wasm_engine = wasm::Wasm::new();
    let pvm_compiler = pvm::Pvm::new(false);
    let pvm_interpreter = pvm::Pvm::new(true);
    let mut rows = Vec::new();
    for case in cases(scale) {
        let expected = (case.native)(&case.input);
        let m = module(case.name);
        let program = m.program().clone();
        let check = DevHost::default().run(&m, "call", &case.input, u64::MAX, false).expect("entry");
        assert_eq!(check.status, ExitStatus::Returned, "{}", case.name);
        assert_eq!(check.output, expected, "{}: interpreter and native disagree", case.name);
        let native = best(|| drop(black_box((case.native)(black_box(&case.input)))), 3, budget);
        let interp = best(|| drop(black_box(DevHost::default().run(&m, "call", black_box(&case.input), u64::MAX, false))), 3, budget);
        let jit_times = jit.then(|| {
            let run_jit = |jm: &std::sync::Arc<rivet_vm_jit::JitModule>| {
                let mut inst = rivet_vm_jit::JitInstance::new(jm.clone()).expect("sandbox");
                inst.prepare_call("call", u64::MAX).unwrap();
                DevHost::default().drive(&mut inst, black_box(&case.input), |_| None)
            };
            let jm = std::sync::Arc::new(rivet_vm_jit::compile(program.clone()).expect("compiles"));
            assert_eq!(run_jit(&jm).output, expected, "{}: JIT and native disagree", case.name);
            let exec = best(|| drop(black_box(run_jit(&jm))), 3, budget);
            let comp = best(|| drop(black_box(rivet_vm_jit::compile(program.clone()))), 3, budget / 4);
            let oneshot =
                best(|| drop(black_box(run_jit(&std::sync::Arc::new(rivet_vm_jit::compile(program.clone()).unwrap())))), 3, budget);
            (exec, comp, oneshot)
        });
        let wm = wasm_engine.compile();
        assert_eq!(wasm_engine.run(&wm, case.name, &case.input), expected, "{}: wasmtime and native disagree", case.name);
        let w_exec = best(|| drop(black_box(wasm_engine.run(&wm, case.name, black_box(&case.input)))), 3, budget);
        let w_comp = best(|| drop(black_box(wasm_engine.compile())), 3, budget / 4);
        let w_one = best(|| drop(black_box(wasm_engine.run(&wasm_engine.compile(), case.name, black_box(&case.input)))), 3, budget);
        let pvm_times = pvm_compiler.as_ref().map(|p| {
            let (mg, mn) = (p.compile(true), p.compile(false));
            assert_eq!(p.run(&mg, case.name, &case.input), expected, "{}: PolkaVM and native disagree", case.name);
            let gas = best(|| drop(black_box(p.run(&mg, case.name, black_box(&case.input)))), 3, budget);
            let nogas = best(|| drop(black_box(p.run(&mn, case.name, black_box(&case.input)))), 3, budget);
            let comp = best(|| drop(black_box(p.compile(true))), 3, budget / 4);
            let one = best(|| drop(black_box(p.run(&p.compile(true), case.name, black_box(&case.input)))), 3, budget);
            (gas, nogas, comp, one)
        });
        let pvm_interp = pvm_interpreter.as_ref().map(|p| {
            let m = p.compile(true);
            assert_eq!(p.run(&m, case.name, &case.input), expected, "{}: PolkaVM interpreter and native disagree", case.name);
            best(|| drop(black_box(p.run(&m, case.name, black_box(&case.input)))), 1, budget)
        });
        rows.push(Row {
            name: case.name,
            native,
            interp,
            jit: jit_times,
            wasm: (w_exec, w_comp, w_one),
            pvm: pvm_times,
            pvm_interp,
            gas: check.gas_used,
        });
    }

    let pvm_kind = pvm_compiler.as_ref().map(|p| p.kind).unwrap_or("unavailable");
    println!("Execution (instantiate + run), best of repeated runs; ratio = time / native time");
    println!("PolkaVM: compiler backend ({pvm_kind} sandbox) with and without gas metering, and its interpreter (gas on)");
    println!(
        "{:<12} {:>10} {:>11} {:>8} {:>9} {:>8} {:>11} {:>8} {:>9} {:>8} {:>10} {:>11} {:>12}",
        "program",
        "native ms",
        "interp ms",
        "ratio",
        "JIT ms",
        "ratio",
        "wasmtime ms",
        "ratio",
        "PVM ms",
        "ratio",
        "PVM nogas",
        "PVM interp",
        "interp Mgas/s"
    );
    let (mut gi, mut gj, mut gw) = (0.0, 0.0, 0.0);
    let (mut gp, mut gpn, mut gpi) = (0.0, 0.0, 0.0);
    for r in &rows {
        let (ri, rw) = (ratio(r.interp, r.native), ratio(r.wasm.0, r.native));
        gi += ri.ln();
        gw += rw.ln();
        let jit_cols = match r.jit {
            Some((e, _, _)) => {
                gj += ratio(e, r.native).ln();
                format!("{:>9.3} {:>7.2}x", ms(e), ratio(e, r.native))
            }
            None => format!("{:>9} {:>8}", "-", "-"),
        };
        let pvm_cols = match (r.pvm, r.pvm_interp) {
            (Some((g, ng, _, _)), pi) => {
                gp += ratio(g, r.native).ln();
                gpn += ratio(ng, r.native).ln();
                let pi_col = pi.map(|t| {
                    gpi += ratio(t, r.native).ln();
                    format!("{:.1}x", ratio(t, r.native))
                });
                format!("{:>9.3} {:>7.2}x {:>9.2}x {:>11}", ms(g), ratio(g, r.native), ratio(ng, r.native), pi_col.unwrap_or("-".into()))
            }
            _ => format!("{:>9} {:>8} {:>10} {:>11}", "-", "-", "-", "-"),
        };
        println!(
            "{:<12} {:>10.3} {:>11.3} {:>7.1}x {} {:>11.3} {:>7.2}x {} {:>12.0}",
            r.name,
            ms(r.native),
            ms(r.interp),
            ri,
            jit_cols,
            ms(r.wasm.0),
            rw,
            pvm_cols,
            r.gas as f64 / r.interp.as_secs_f64() / 1e6
        );
    }
    let n = rows.len() as f64;
    println!();
    println!("Compile (validated program to runnable module) and one-shot (compile + instantiate + run), ms");
    println!(
        "{:<12} {:>12} {:>12} {:>16} {:>16} {:>12} {:>12} {:>14} {:>14}",
        "program",
        "JIT compile",
        "JIT 1-shot",
        "wasmtime compile",
        "wasmtime 1-shot",
        "PVM compile",
        "PVM 1-shot",
        "vs wasmtime",
        "vs PolkaVM"
    );
    let (mut gs, mut gsp) = (0.0, 0.0);
    for r in &rows {
        let (jc, jo) = r.jit.map(|(_, c, o)| (format!("{:.3}", ms(c)), format!("{:.3}", ms(o)))).unwrap_or(("-".into(), "-".into()));
        let speedup = r.jit.map(|(_, _, o)| r.wasm.2.as_secs_f64() / o.as_secs_f64());
        if let Some(s) = speedup {
            gs += s.ln();
        }
        let (pc, po) = r.pvm.map(|(_, _, c, o)| (format!("{:.3}", ms(c)), format!("{:.3}", ms(o)))).unwrap_or(("-".into(), "-".into()));
        let vs_pvm = match (r.jit, r.pvm) {
            (Some((_, _, jo)), Some((_, _, _, po))) => {
                let x = po.as_secs_f64() / jo.as_secs_f64();
                gsp += x.ln();
                format!("{x:.2}x")
            }
            _ => "-".into(),
        };
        println!(
            "{:<12} {:>12} {:>12} {:>16.3} {:>16.3} {:>12} {:>12} {:>14} {:>14}",
            r.name,
            jc,
            jo,
            ms(r.wasm.1),
            ms(r.wasm.2),
            pc,
            po,
            speedup.map(|s| format!("{s:.1}x")).unwrap_or("-".into()),
            vs_pvm
        );
    }
    println!();
    println!("One-shot time / native execution time");
    println!("{:<12} {:>12} {:>12} {:>12}", "program", "JIT", "wasmtime", "PolkaVM");
    for r in &rows {
        let jit = r.jit.map_or("-".into(), |(_, _, o)| format!("{:.2}x", ratio(o, r.native)));
        let pvm = r.pvm.map_or("-".into(), |(_, _, _, o)| format!("{:.2}x", ratio(o, r.native)));
        println!("{:<12} {:>12} {:>11.1}x {:>12}", r.name, jit, ratio(r.wasm.2, r.native), pvm);
    }
    println!();
    println!("geometric mean, execution vs native: interpreter {:.1}x (goal 20x), wasmtime {:.2}x", (gi / n).exp(), (gw / n).exp());
    if pvm_compiler.is_some() {
        println!(
            "geometric mean, execution vs native: PolkaVM {:.2}x with gas, {:.2}x without; PolkaVM interpreter {:.1}x",
            (gp / n).exp(),
            (gpn / n).exp(),
            (gpi / n).exp()
        );
    }
    if jit {
        println!("geometric mean, execution vs native: JIT {:.2}x with gas metering (goal 1.3x)", (gj / n).exp());
        println!("geometric mean, one-shot: JIT {:.1}x faster than wasmtime (goal 5x)", (gs / n).exp());
        if pvm_compiler.is_some() {
            println!("geometric mean, one-shot: JIT {:.2}x faster than PolkaVM (goal: faster, > 1x)", (gsp / n).exp());
        }
    } else {
        println!("JIT not supported on this host: interpreter only");
    }
}
