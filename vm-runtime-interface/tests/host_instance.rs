//! The host functions, called natively inside test externalities: a guest driven
//! through `HostInstance` behaves exactly as the interpreter does.

use polkadot_sdk::sp_io::TestExternalities;
use rivet_vm::{GuestInstance, Interrupt, Reg};
use rivet_vm_runtime_interface::HostInstance;

/// Runs `entry` of the minimal guest with `input`, answering INPUT_SIZE/INPUT_READ/
/// SBRK/RETURN; returns (output, gas left).
fn echo(inst: &mut dyn GuestInstance, input: &[u8]) -> (Vec<u8>, u64) {
    inst.prepare_call("call", 1_000_000).unwrap();
    loop {
        match inst.run() {
            Interrupt::HostCall(rivet_abi::host::INPUT_SIZE) => inst.set_reg(Reg::A0, input.len() as u32),
            Interrupt::HostCall(rivet_abi::host::INPUT_READ) => {
                let dst = inst.reg(Reg::A0);
                inst.write_memory(dst, input).unwrap();
                inst.set_reg(Reg::A0, input.len() as u32);
            }
            Interrupt::HostCall(rivet_abi::host::SBRK) => {
                let top = inst.sbrk(inst.reg(Reg::A0)).unwrap_or(0);
                inst.set_reg(Reg::A0, top);
            }
            Interrupt::HostCall(rivet_abi::host::RETURN) => {
                let out = inst.read_memory_vec(inst.reg(Reg::A1), inst.reg(Reg::A2)).unwrap();
                return (out, inst.gas_left());
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn host_instance_matches_the_interpreter() {
    let blob = rivet_test_programs::blob("minimal");
    let mut reference = rivet_vm::Instance::new(rivet_test_programs::module("minimal"));
    let expected = echo(&mut reference, b"hello, node");
    TestExternalities::default().execute_with(|| {
        let mut inst = HostInstance::new(blob).expect("valid blob");
        assert_eq!(echo(&mut inst, b"hello, node"), expected);
        // A second instance of the same code comes from the compiled-code cache.
        let mut again = HostInstance::new(blob).unwrap();
        assert_eq!(echo(&mut again, b"hello, node"), expected);
        assert!(inst.prepare_call("no such entry", 10).is_err());
    });
    let (entries, _, hits, _) = rivet_vm_runtime_interface::cache_stats();
    assert!(entries >= 1 && hits >= 1, "the second instance should hit the cache");
}

#[test]
fn invalid_blobs_and_dropped_ids_are_errors_not_panics() {
    TestExternalities::default().execute_with(|| {
        assert!(HostInstance::new(b"not a blob").is_none());
        let ids = rivet_vm_runtime_interface::guest_vm::instantiate(b"RIVT");
        assert_eq!(ids, rivet_vm_runtime_interface::NO_INSTANCE);
        // Using an id that doesn't exist reads as a trap, never a panic.
        let i = rivet_vm_runtime_interface::wire::decode_interrupt(rivet_vm_runtime_interface::guest_vm::run(12345));
        assert!(matches!(i, Interrupt::Trap(_)));
        assert!(rivet_vm_runtime_interface::guest_vm::read_memory(12345, 0x100000, &mut [0u8; 4]).is_err());
    });
}
