//! The repository's guest programs and contracts, proven with the development host
//! answering their host calls (input, output, heap growth, logs, storage, the
//! contract environment): the proof states the transcript, and its last call
//! returns exactly what the program outputs.

use rivet_prover::{prove_replaying, prove_with_host, verify, VerifyError};
use rivet_vm_cli::DevHost;

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn prove_guest(name: &str, input: &[u8]) {
    let blob = rivet_test_programs::blob(name);
    let module = rivet_test_programs::module(name);
    let expected = DevHost::default().run(&module, "call", input, 1 << 40, false).expect("entry");
    let proved = prove_with_host(blob, "call", 1 << 40, |vm| drop(DevHost::default().drive(vm, input, |_| None)), |_| {})
        .unwrap_or_else(|e| panic!("{name}: {e}"));
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

/// Every contract of `guests/contracts`, with the development host answering its
/// host calls as a chain with only that contract would: the proof states what the
/// host run saw (the output, or the trap), and verifies.
#[test]
fn every_contract_proves_with_the_development_host() {
    use rivet_prover::Ending;
    use rivet_vm_cli::ExitStatus;
    let topic = [7u8; 32];
    let mut events = vec![1u8];
    events.extend(topic);
    events.extend(b"data");
    let mut transfer = vec![7u8];
    transfer.extend([9u8; 32]);
    transfer.extend(0u128.to_le_bytes());
    let mut terminate = vec![8u8];
    terminate.extend([9u8; 32]);
    let mut call_other = vec![0u8];
    call_other.extend([5u8; 57]);
    let mut token_transfer = vec![0u8];
    token_transfer.extend([3u8; 32]);
    token_transfer.extend(5u128.to_le_bytes());
    let mut token_balance = vec![1u8];
    token_balance.extend([1u8; 32]);
    // (contract, entry, input, gas); each row's storage carries on to the next
    // row of the same contract.
    let cases: Vec<(&str, &str, Vec<u8>, u64)> = vec![
        ("counter", "deploy", 41u32.to_le_bytes().to_vec(), 1 << 30),
        ("counter", "call", vec![0], 1 << 30),
        ("looper", "call", vec![], 200_000),
        ("events", "call", events, 1 << 30),
        ("trapper", "call", vec![0], 1 << 30),
        ("trapper", "call", vec![1], 1 << 30),
        ("caller", "call", call_other, 1 << 30),
        ("token", "deploy", 1000u128.to_le_bytes().to_vec(), 1 << 30),
        ("token", "call", token_transfer, 1 << 30),
        ("token", "call", token_balance, 1 << 30),
        ("probe", "call", transfer, 1 << 30),
        ("probe", "call", terminate, 1 << 30),
        ("probe", "call", vec![11], 1 << 30),
    ];
    let probes = (0..=10u8).filter(|&s| s != 7 && s != 8).map(|s| ("probe", "call", vec![s, 1, 2, 3], 1u64 << 30));
    let mut hosts: std::collections::BTreeMap<&str, DevHost> = Default::default();
    let mut endings = std::collections::BTreeSet::new();
    for (name, entry, input, gas) in cases.into_iter().chain(probes) {
        let what = format!("{name} {entry} {input:?}");
        let blob = rivet_test_programs::blob(name);
        let host = hosts.entry(name).or_default();
        let mut expected = host.clone();
        let program = std::sync::Arc::new(rivet_vm::parse(blob, &Default::default()).unwrap());
        let run = expected.run_program(&program, rivet_vm_cli::Backend::Interpreter, entry, &input, gas).unwrap();
        let proved = prove_with_host(blob, entry, gas, |vm| drop(host.drive(vm, &input, |_| None)), |_| {})
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let s = &proved.statement;
        assert_eq!(host.storage, expected.storage, "{what}");
        match (&run.status, s.ending) {
            (ExitStatus::Returned | ExitStatus::Reverted | ExitStatus::HostError(_), Ending::EndedByHost) => {
                let output: Vec<u8> = s.transcript.calls.last().unwrap().reads.iter().flat_map(|(_, b)| b.clone()).collect();
                assert!(output.ends_with(&run.output), "{what}: output {output:?} vs {:?}", run.output);
            }
            (ExitStatus::Returned, Ending::Returned) | (ExitStatus::OutOfGas, Ending::OutOfGas) => {}
            (ExitStatus::Trapped(t), ending) => assert_eq!(Some(ending), Ending::of_trap(&t.kind), "{what}"),
            (status, ending) => panic!("{what}: the host run {status:?}, the proof {ending:?}"),
        }
        assert_eq!(s.gas_used(), run.gas_used, "{what}: gas used");
        verify(blob, s, &proved.proof).unwrap_or_else(|e| panic!("{what}: {e}"));
        endings.insert(format!("{:?}", s.ending));
    }
    // Returns (from the entry and through the host), a panic (unimp), out of gas.
    assert_eq!(endings.into_iter().collect::<Vec<_>>(), ["EndedByHost", "OutOfGas", "Returned", "Unimp"]);
}
