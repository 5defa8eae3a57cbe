//! The `rivet-vm` command as a user runs it.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Writes a guest blob to a file of its own: tests run in parallel threads of one
/// process, so a shared path could be read while another test rewrites it.
fn blob_file(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("rivet-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{name}-{}.blob", NEXT.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&p, rivet_test_programs::blob(name)).unwrap();
    p
}

fn rivet_vm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rivet-vm")).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn run_prints_output_status_and_gas() {
    let b = blob_file("sieve");
    let o = rivet_vm(&["run", b.to_str().unwrap(), "--input-u32", "100"]);
    assert!(o.status.success(), "{o:?}");
    let s = stdout(&o);
    assert!(s.contains("status: returned"), "{s}");
    assert!(s.contains("output: 19000000"), "{s}"); // 25 primes below 100
    assert!(s.contains("gas used: "), "{s}");
}

#[test]
fn run_reports_out_of_gas_and_reverts_with_exit_codes() {
    let b = blob_file("sieve");
    let o = rivet_vm(&["run", b.to_str().unwrap(), "--input-u32", "100000", "--gas", "1000"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(stdout(&o).contains("status: out of gas"));
    let m = blob_file("minimal");
    let o = rivet_vm(&["run", m.to_str().unwrap(), "--entry", "fail", "--input-hex", "0xdead"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("output: dead"));
}

#[test]
fn contracts_run_against_the_development_chain_environment() {
    let probe = blob_file("probe");
    let probe = probe.to_str().unwrap();
    let o = rivet_vm(&["run", probe, "--input-hex", "00"]);
    assert!(stdout(&o).contains(&format!("output: {}", "01".repeat(32))), "{o:?}"); // the caller
                                                                                    // blake2b-256, keccak-256 and sha-256 of "abc".
    let o = rivet_vm(&["run", probe, "--input-hex", "04616263"]);
    let hashes = [
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ];
    assert!(stdout(&o).contains(&format!("output: {}", hashes.concat())), "{o:?}");
    let events = blob_file("events");
    let o = rivet_vm(&["run", events.to_str().unwrap(), "--input-hex", &format!("01{}aabb", "07".repeat(32))]);
    assert!(stdout(&o).contains(&format!("log: event topics [{}] data 0xaabb", "07".repeat(32))), "{o:?}");
    // No other contract exists: a call finds nothing (status 3).
    let caller = blob_file("caller");
    let o = rivet_vm(&["run", caller.to_str().unwrap(), "--input-hex", &format!("00{}", "05".repeat(57))]);
    assert!(o.status.success() && stdout(&o).contains("output: 03\n"), "{o:?}");
    let o = rivet_vm(&["run", probe, "--input-hex", "0b"]);
    assert!(stdout(&o).contains("host call 999 is not provided"), "{o:?}");
    // The chain's values come from the command line: a caller, and a balance a
    // transfer of 5 draws on (status 0; 4 without the balance).
    let o = rivet_vm(&["run", probe, "--input-hex", "00", "--caller", &"ab".repeat(32)]);
    assert!(stdout(&o).contains(&format!("output: {}", "ab".repeat(32))), "{o:?}");
    let transfer = format!("07{}05{}", "09".repeat(32), "00".repeat(15));
    let o = rivet_vm(&["run", probe, "--input-hex", &transfer, "--balance", "10"]);
    assert!(stdout(&o).contains("output: 00\n"), "{o:?}");
    let o = rivet_vm(&["run", probe, "--input-hex", &transfer]);
    assert!(stdout(&o).contains("output: 04\n"), "{o:?}");
    let o = rivet_vm(&["run", probe, "--caller", "abcd"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("32 bytes, not 2"), "{o:?}");
}

#[test]
fn trace_prints_each_step() {
    let m = blob_file("minimal");
    let o = rivet_vm(&["run", m.to_str().unwrap(), "--entry", "deploy", "--trace"]);
    assert!(o.status.success());
    let s = stdout(&o);
    assert!(s.contains("jalr zero, 0(ra)"), "{s}");
    assert!(s.contains("gas-1"), "{s}");
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = std::env::temp_dir();
    let bad = dir.join(format!("rivet-bad-{}.blob", std::process::id()));
    std::fs::write(&bad, b"RIVT\x02\x00\x00\x00").unwrap();
    let o = rivet_vm(&["run", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("blob version 2 is not supported"), "{e}");
    let m = blob_file("minimal");
    let o = rivet_vm(&["run", m.to_str().unwrap(), "--entry", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("this program has: call, counter, deploy, fail, reset"));
    let o = rivet_vm(&["run", m.to_str().unwrap(), "--input-hex", "abc"]);
    assert_eq!(o.status.code(), Some(2));
    let o = rivet_vm(&["run", "/nonexistent.blob"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn inspect_shows_layout_entries_and_disassembly() {
    let m = blob_file("minimal");
    let o = rivet_vm(&["inspect", m.to_str().unwrap()]);
    assert!(o.status.success());
    let s = stdout(&o);
    assert!(s.contains("entry    call @ 0x1"), "{s}");
    assert!(s.contains("ecall"), "{s}");
    assert!(s.contains("[gas "), "{s}");
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let b = blob_file("sha256");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rivet-vm"))
        .args(["inspect", b.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line and close the pipe, as `| head -1` does; the disassembly is
    // thousands of lines, so the tool is still writing.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(!first.is_empty());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn prove_writes_a_proof_that_verify_accepts_and_a_damaged_one_it_rejects() {
    let dir = std::env::temp_dir().join(format!("rivet-cli-prove-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blob = dir.join("fib.blob");
    std::fs::write(&blob, rivet_prover::samples::fibonacci(30)).unwrap();
    let proof = dir.join("fib.proof");
    let (b, p) = (blob.to_str().unwrap(), proof.to_str().unwrap());
    let o = rivet_vm(&["prove", b, "--gas", "100000", "-o", p]);
    assert!(o.status.success(), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("proving 155 steps"), "{o:?}");
    assert!(stdout(&o).contains("a0: 0xcb228"), "{o:?}"); // fib(30) = 832040
    assert!(stdout(&o).contains("host calls: 0"), "{o:?}");
    let o = rivet_vm(&["verify", b, p]);
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("valid proof") && stdout(&o).contains("a0: 0xcb228"), "{o:?}");

    // A proof file claiming another result, and a truncated one.
    let mut file = std::fs::read(&proof).unwrap();
    file[52] ^= 1; // a0's low byte in the statement
    std::fs::write(&proof, &file).unwrap();
    let o = rivet_vm(&["verify", b, p]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid proof"), "{o:?}");
    std::fs::write(&proof, &file[..file.len() / 2]).unwrap();
    assert_eq!(rivet_vm(&["verify", b, p]).status.code(), Some(1));

    // A guest program with host calls: its input and output are in the proof.
    let sieve = blob_file("sieve");
    let o = rivet_vm(&["prove", sieve.to_str().unwrap(), "--input-u32", "100", "-o", p]);
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("which read: 19000000"), "{o:?}"); // 25 primes below 100
    let o = rivet_vm(&["verify", sieve.to_str().unwrap(), p]);
    assert!(o.status.success() && stdout(&o).contains("which read: 19000000"), "{o:?}");
    // A trap is an ending like any other.
    let mut b = rivet_vm::BlobBuilder::new();
    b.code_words(&[0x0000_2503]).entry("call", 0); // lw a0, 0(x0): a load fault
    let trap = dir.join("trap.blob");
    std::fs::write(&trap, b.to_bytes()).unwrap();
    let o = rivet_vm(&["prove", trap.to_str().unwrap(), "-o", p]);
    assert!(o.status.success() && stdout(&o).contains("trapped (LoadFault)"), "{o:?}");
    let o = rivet_vm(&["verify", trap.to_str().unwrap(), p]);
    assert!(o.status.success() && stdout(&o).contains("trapped (LoadFault)"), "{o:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
