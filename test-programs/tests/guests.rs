//! The guest programs, built from Rust source for riscv32em, against the same Rust
//! compiled natively; both interpreter paths agree; gas is deterministic.

use rivet_kernels as k;
use rivet_test_programs::module;
use rivet_vm_cli::{Backend, DevHost, ExitStatus, RunOutcome};

const GAS: u64 = 50_000_000_000;

const BACKENDS: [Backend; 2] = [Backend::Interpreter, Backend::Jit];

/// Runs `call` on every backend; they must agree on status, output and gas.
fn run(name: &str, input: &[u8]) -> RunOutcome {
    let m = module(name);
    let outcomes: Vec<RunOutcome> =
        BACKENDS.iter().map(|&b| DevHost::default().run_program(m.program(), b, "call", input, GAS).unwrap()).collect();
    let o = outcomes[0].clone();
    assert_eq!(o.status, ExitStatus::Returned, "{name}: logs {:?}", o.logs);
    for (b, other) in BACKENDS.iter().zip(&outcomes).skip(1) {
        assert_eq!(
            (&other.status, &other.output, other.gas_used),
            (&o.status, &o.output, o.gas_used),
            "{name}: {b:?} disagrees with the interpreter"
        );
    }
    o
}

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn minimal_echoes_and_deploys() {
    assert_eq!(run("minimal", b"hello").output, b"hello");
    assert_eq!(run("minimal", b"").output, b"");
    let o = DevHost::default().run(&module("minimal"), "deploy", b"", GAS, false).unwrap();
    assert_eq!((o.status, o.output), (ExitStatus::Returned, vec![]));
}

#[test]
fn fibonacci_matches_native() {
    for n in [0, 1, 2, 10, 50, 93, 100, 10_000] {
        let o = run("fibonacci", &u32s(&[n]));
        let mut expected = k::fibonacci(n).to_le_bytes().to_vec();
        expected.extend(k::fibonacci_recursive(n.min(24)).to_le_bytes());
        assert_eq!(o.output, expected, "n = {n}");
    }
}

#[test]
fn sieve_matches_native() {
    for n in [0, 2, 3, 100, 65_536, 1_000_000] {
        assert_eq!(run("sieve", &u32s(&[n])).output, k::count_primes(n).to_le_bytes(), "n = {n}");
    }
    assert_eq!(k::count_primes(1_000_000), 78_498);
}

#[test]
fn hashes_match_native() {
    for n in [0, 1, 55, 56, 64, 1000, 100_000] {
        let data = bytes(n);
        assert_eq!(run("sha256", &data).output, k::sha256(&data), "sha256 of {n} bytes");
        assert_eq!(run("keccak", &data).output, k::keccak256(&data), "keccak of {n} bytes");
    }
}

#[test]
fn sort_and_collections_match_native() {
    for (n, seed) in [(0, 1), (1, 1), (1000, 7), (100_000, 42)] {
        assert_eq!(run("sort", &u32s(&[n, seed])).output, k::sort_checksum(n, seed).to_le_bytes(), "sort {n}");
        assert_eq!(run("collections", &u32s(&[n, seed])).output, k::collections_checksum(n, seed).to_le_bytes(), "collections {n}");
    }
}

#[test]
fn gas_is_deterministic_and_both_paths_agree() {
    let cases: [(&str, Vec<u8>); 6] = [
        ("fibonacci", u32s(&[30])),
        ("sieve", u32s(&[5000])),
        ("sha256", bytes(300)),
        ("keccak", bytes(300)),
        ("sort", u32s(&[300, 3])),
        ("collections", u32s(&[300, 3])),
    ];
    for (name, input) in cases {
        let m = module(name);
        let a = DevHost::default().run(&m, "call", &input, GAS, false).unwrap();
        let b = DevHost::default().run(&m, "call", &input, GAS, false).unwrap();
        let t = DevHost::default().run(&m, "call", &input, GAS, true).unwrap();
        assert_eq!(a.gas_used, b.gas_used, "{name}: gas differs between runs");
        assert_eq!((&a.status, &a.output, a.gas_used), (&t.status, &t.output, t.gas_used), "{name}: traced path differs");
        let steps = t.trace.unwrap().iter().filter(|e| matches!(e, rivet_vm::trace::TraceEvent::Step(_))).count();
        assert!(steps > 1000, "{name}: only {steps} steps traced");
    }
}

#[test]
fn running_out_of_gas_then_refuelling_reaches_the_same_result() {
    let input = u32s(&[20_000]);
    let m = module("sieve");
    let full = DevHost::default().run(&m, "call", &input, GAS, false).unwrap();
    // Too little gas: out of gas, no output.
    let short = DevHost::default().run(&m, "call", &input, full.gas_used / 2, false).unwrap();
    assert_eq!((short.status, short.output.len()), (ExitStatus::OutOfGas, 0));
    // Small gas slices, refilled each time: same output, same gas, on both backends.
    for backend in BACKENDS {
        let (mut inst, _) = rivet_vm_jit::instantiate(m.program(), backend);
        let slice = 10_007;
        inst.prepare_call("call", slice).unwrap();
        let mut given = slice;
        let o = DevHost::default().drive(&mut *inst, &input, |i| {
            assert!(i.gas_left() < slice);
            given += slice - i.gas_left();
            Some(slice)
        });
        assert_eq!(o.status, ExitStatus::Returned, "{backend:?}");
        assert_eq!(o.output, full.output, "{backend:?}");
        // Refills top up to `slice`, so exactly the full run's gas was spent.
        assert_eq!(given - inst.gas_left(), full.gas_used, "{backend:?}");
    }
}

#[test]
fn storage_logs_and_revert_through_the_dev_host() {
    let m = module("minimal");
    let mut host = DevHost::default();
    for expected in 1u32..=3 {
        let o = host.run(&m, "counter", b"", GAS, false).unwrap();
        assert_eq!((o.status, o.output), (ExitStatus::Returned, expected.to_le_bytes().to_vec()));
        assert_eq!(o.logs, vec!["counter incremented".to_string()]);
    }
    assert_eq!(host.storage.get(&b"count"[..]), Some(&3u32.to_le_bytes().to_vec()));
    assert_eq!(host.run(&m, "reset", b"", GAS, false).unwrap().output, vec![1]);
    assert_eq!(host.run(&m, "reset", b"", GAS, false).unwrap().output, vec![0]);
    assert!(host.storage.is_empty());
    let o = host.run(&m, "fail", b"why", GAS, false).unwrap();
    assert_eq!((o.status, o.output), (ExitStatus::Reverted, b"why".to_vec()));
}

#[test]
fn a_failed_allocation_panics_with_a_log_then_traps() {
    // Sorting 50M words needs 200 MB: the heap limit (32 MiB) refuses, the allocator
    // fails, the SDK's panic handler logs the message and traps.
    let o = DevHost::default().run(&module("sort"), "call", &u32s(&[50_000_000, 1]), GAS, false).unwrap();
    assert!(matches!(o.status, ExitStatus::Trapped(t) if t.kind == rivet_vm::TrapKind::Unimp), "{:?}", o.status);
    assert!(o.logs.iter().any(|l| l.starts_with("panic")), "{:?}", o.logs);
}

#[test]
fn unknown_entry_point_is_an_error() {
    assert!(DevHost::default().run(&module("minimal"), "nope", b"", GAS, false).is_err());
}
