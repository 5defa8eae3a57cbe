//! The repository's guest programs, proven with the development host answering
//! their host calls (input, output, heap growth, logs): the proof states the
//! transcript, and its last call returns exactly what the program outputs.

use rivet_prover::{prove_replaying, prove_with_host, verify, VerifyError};
use rivet_vm_cli::DevHost;

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn prove_guest(name: &str, input: &[u8]) {
    let blob = rivet_test_programs::blob(name);
    let module = rivet_test_programs::module(name);
    let expected = DevHost::default().run(&module, "call", input, 1 << 40, false).expect("entry");
    let proved = prove_with_host(blob, "call", 1 << 40, |vm| drop(DevHost::default().drive(vm, input, |_| None)), |_| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
    let s = &proved.statement;
    assert!(s.ended_by_host(), "{name}: ends by returning its output through the host");
    let last = s.transcript.calls.last().expect("host calls");
    assert_eq!(last.number, rivet_abi::host::RETURN, "{name}");
    let output: Vec<u8> = last.reads.iter().flat_map(|(_, b)| b.clone()).collect();
    assert!(output.ends_with(&expected.output), "{name}: the transcript's output {output:?} vs {:?}", expected.output);
    assert_eq!(s.gas_limit - s.gas_left, expected.gas_used, "{name}: gas used");
    verify(blob, s, &proved.proof).unwrap_or_else(|e| panic!("{name}: {e}"));

    // The proof is about this transcript: another input's, or another output, fails.
    let mut other = s.clone();
    if let Some((_, bytes)) = other.transcript.calls.last_mut().and_then(|c| c.reads.last_mut()) {
        if let Some(b) = bytes.last_mut() {
            *b ^= 1;
        }
    }
    assert!(matches!(verify(blob, &other, &proved.proof), Err(VerifyError::Rejected(_))), "{name}: another output accepted");
    let mut other = s.clone();
    other.transcript.calls[0].results[0] ^= 1;
    assert!(verify(blob, &other, &proved.proof).is_err(), "{name}: another host answer accepted");
    let mut other = s.clone();
    let second = 1.min(other.transcript.calls.len() - 1);
    other.transcript.calls.swap(0, second);
    if other != *s {
        assert!(verify(blob, &other, &proved.proof).is_err(), "{name}: reordered host calls accepted");
    }
    let mut other = s.clone();
    other.transcript.calls.remove(0);
    assert!(verify(blob, &other, &proved.proof).is_err(), "{name}: a dropped host call accepted");

    // The same execution, proven again from its transcript alone (as from a receipt).
    let replayed = prove_replaying(blob, "call", 1 << 40, &s.transcript, true, |_| {}).unwrap_or_else(|e| panic!("{name}: replay: {e}"));
    assert_eq!(replayed.statement, *s, "{name}");
    verify(blob, &replayed.statement, &replayed.proof).unwrap_or_else(|e| panic!("{name}: replay: {e}"));
    // A transcript the program doesn't follow is refused.
    let mut wrong = s.transcript.clone();
    wrong.calls[0].number ^= 0x40;
    assert!(prove_replaying(blob, "call", 1 << 40, &wrong, true, |_| {}).is_err(), "{name}");
}

#[test]
fn fibonacci() {
    prove_guest("fibonacci", &u32s(&[12]));
}

#[test]
fn sieve() {
    prove_guest("sieve", &u32s(&[300]));
}

#[test]
fn sha256() {
    prove_guest("sha256", &[7u8; 40]);
}

#[test]
fn keccak() {
    prove_guest("keccak", &[9u8; 40]);
}

#[test]
fn sort() {
    prove_guest("sort", &u32s(&[50, 9]));
}

#[test]
fn collections() {
    prove_guest("collections", &u32s(&[20, 9]));
}

#[test]
fn minimal() {
    prove_guest("minimal", b"hello, prover");
}

/// Contracts whose host calls the development host serves (input, storage, output):
/// the counter's deploy and call, and the looper running out of gas.
#[test]
fn contracts_the_development_host_can_serve() {
    use rivet_prover::Ending;
    let counter = rivet_test_programs::blob("counter");
    let drive = |input: Vec<u8>| move |vm: &mut dyn rivet_vm::GuestInstance| drop(DevHost::default().drive(vm, &input, |_| None));
    for (entry, input) in [("deploy", 41u32.to_le_bytes().to_vec()), ("call", vec![0u8])] {
        let proved = prove_with_host(counter, entry, 1 << 30, drive(input), |_| {}).unwrap_or_else(|e| panic!("counter {entry}: {e}"));
        assert!(proved.statement.transcript.calls.iter().any(|c| c.number == rivet_abi::host::STORAGE_SET), "counter {entry} stores");
        verify(counter, &proved.statement, &proved.proof).unwrap_or_else(|e| panic!("counter {entry}: {e}"));
    }
    let looper = rivet_test_programs::blob("looper");
    let proved = prove_with_host(looper, "call", 200_000, drive(Vec::new()), |_| {}).expect("looper");
    assert_eq!(proved.statement.ending, Ending::OutOfGas);
    verify(looper, &proved.statement, &proved.proof).expect("looper");
}
