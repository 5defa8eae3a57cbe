//! Differential fuzzing of the JIT against the interpreter: random programs run in
//! lockstep, compared at every interrupt (interrupt, registers, gas, pc, memory).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rivet_vm::GuestInstance;
use rivet_vm_fuzz::{drive, program_from_bytes};

fuzz_target!(|data: &[u8]| {
    if !rivet_vm_jit::is_supported() {
        return;
    }
    let Some(case) = program_from_bytes(data) else { return };
    let mut l = rivet_vm_jit::Lockstep::new(&case.program).expect("valid programs compile");
    l.prepare_call("main", case.gas).unwrap();
    // Lockstep panics on any divergence.
    drive(&mut l, |_, _| {});
});
