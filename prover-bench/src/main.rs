//! Prover benchmark: for each guest program (the development host answering its
//! host calls), the steps proved per second on this machine, the slowdown against
//! the same computation compiled natively, the proof size, and verification time
//! natively (with the program's verifying key computed once, and one-off) and in
//! wasm (the verifier compiled to wasm32, run by wasmtime; one-off).
//!
//!     cargo run --release -p rivet-prover-bench [-- --quick]

use std::hint::black_box;
use std::time::{Duration, Instant};

use rivet_kernels as k;
use rivet_prover::{prove_with_host, VerifyingKey};
use rivet_vm_cli::DevHost;

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Best of `runs` timings of `f`, at least 100 ms of runs for fast functions.
fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut best = Duration::MAX;
    let mut n = 0;
    while n < runs || (start.elapsed() < Duration::from_millis(100) && n < 100_000) {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        n += 1;
    }
    best
}

type Native = Box<dyn Fn(&[u8]) -> Vec<u8>>;

static VERIFIER_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/verifier.wasm"));

/// Runs the wasm verifier on `blob` and a proof file: the time of a one-off
/// verification, and of one against a key made beforehand (both must accept).
fn verify_in_wasm(engine: &wasmtime::Engine, module: &wasmtime::Module, blob: &[u8], file: &[u8]) -> (Duration, Duration) {
    let mut store = wasmtime::Store::new(engine, ());
    let instance = wasmtime::Instance::new(&mut store, module, &[]).expect("instantiate the verifier");
    let memory = instance.get_memory(&mut store, "memory").expect("memory export");
    let alloc = instance.get_typed_func::<u32, u32>(&mut store, "alloc").expect("alloc");
    let verify = instance.get_typed_func::<(u32, u32, u32, u32), u32>(&mut store, "verify").expect("verify");
    let make_key = instance.get_typed_func::<(u32, u32), u32>(&mut store, "make_key").expect("make_key");
    let with_key = instance.get_typed_func::<(u32, u32), u32>(&mut store, "verify_with_key").expect("verify_with_key");
    let mut put = |bytes: &[u8]| {
        let at = alloc.call(&mut store, bytes.len() as u32).expect("alloc call");
        memory.write(&mut store, at as usize, bytes).expect("write");
        at
    };
    let (b, f) = (put(blob), put(file));
    let (bl, fl) = (blob.len() as u32, file.len() as u32);
    let t = Instant::now();
    assert_eq!(verify.call(&mut store, (b, bl, f, fl)).expect("verify call"), 0, "the wasm verifier accepts the proof");
    let one_off = t.elapsed();
    assert_eq!(make_key.call(&mut store, (b, bl)).expect("make_key call"), 0);
    let t = Instant::now();
    assert_eq!(with_key.call(&mut store, (f, fl)).expect("verify_with_key call"), 0, "the wasm verifier accepts the proof");
    (one_off, t.elapsed())
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let s = if quick { 16 } else { 1 };
    let data: Vec<u8> = (0..4096 / s).map(|i| (i * 7) as u8).collect();
    let cases: Vec<(&str, Vec<u8>, Native)> = vec![
        (
            "fibonacci",
            u32s(&[18]),
            Box::new(|i| {
                let n = k::arg(i, 0);
                let mut o = k::fibonacci(n).to_le_bytes().to_vec();
                o.extend(k::fibonacci_recursive(n.min(24)).to_le_bytes());
                o
            }),
        ),
        ("sieve", u32s(&[20_000 / s as u32]), Box::new(|i| k::count_primes(k::arg(i, 0)).to_le_bytes().to_vec())),
        ("sha256", data.clone(), Box::new(|i| k::sha256(i).to_vec())),
        ("keccak", data, Box::new(|i| k::keccak256(i).to_vec())),
        ("sort", u32s(&[2_000 / s as u32, 9]), Box::new(|i| k::sort_checksum(k::arg(i, 0), k::arg(i, 1)).to_le_bytes().to_vec())),
        (
            "collections",
            u32s(&[600 / s as u32, 9]),
            Box::new(|i| k::collections_checksum(k::arg(i, 0), k::arg(i, 1)).to_le_bytes().to_vec()),
        ),
    ];
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::new(&engine, VERIFIER_WASM).expect("the wasm verifier compiles");
    println!(
        "{:<12} {:>8} {:>9} {:>9} {:>11} {:>9} {:>9} {:>10} {:>9} {:>10}",
        "program", "steps", "prove", "steps/s", "vs native", "proof", "verify", "verify+key", "wasm", "wasm+key"
    );
    let mut slowdowns = Vec::new();
    for (name, input, native) in cases {
        let blob = rivet_test_programs::blob(name);
        let start = Instant::now();
        let proved =
            prove_with_host(blob, "call", 1 << 40, |vm| drop(DevHost::default().drive(vm, &input, |_| None)), |_| {}).expect("provable");
        let prove_time = start.elapsed();
        let expected = native(&input);
        let last = proved.statement.transcript.calls.last().expect("the output call");
        let output: Vec<u8> = last.reads.iter().flat_map(|(_, b)| b.clone()).collect();
        assert_eq!(output, expected, "{name}: the proof states the native result");
        let native_time = best(5, || drop(black_box(native(black_box(&input)))));
        let vk = VerifyingKey::new(blob).expect("valid program");
        let verify = best(3, || vk.verify(&proved.statement, &proved.proof).expect("verifies"));
        let one_off = best(1, || rivet_prover::verify(blob, &proved.statement, &proved.proof).expect("verifies"));
        let file = rivet_prover::proof::bundle(&proved.statement, &proved.proof);
        let (wasm_one_off, wasm_key) = verify_in_wasm(&engine, &module, blob, &file);
        let slowdown = prove_time.as_secs_f64() / native_time.as_secs_f64().max(1e-9);
        slowdowns.push(slowdown);
        println!(
            "{:<12} {:>8} {:>8.2}s {:>9.0} {:>10.0}x {:>5} KiB {:>7.1}ms {:>8.1}ms {:>7.1}ms {:>8.1}ms",
            name,
            proved.steps,
            prove_time.as_secs_f64(),
            proved.steps as f64 / prove_time.as_secs_f64(),
            slowdown,
            proved.proof.len() / 1024,
            verify.as_secs_f64() * 1e3,
            one_off.as_secs_f64() * 1e3,
            wasm_key.as_secs_f64() * 1e3,
            wasm_one_off.as_secs_f64() * 1e3,
        );
    }
    let geomean = slowdowns.iter().map(|x| x.ln()).sum::<f64>() / slowdowns.len() as f64;
    println!("geometric mean slowdown vs native: {:.0}x (goal: 50,000x or better)", geomean.exp());
    println!(
        "verify: with the program's verifying key made beforehand; verify+key: one-off (the key is most of it); wasm: the same in wasmtime"
    );
    println!("threads: {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
}
