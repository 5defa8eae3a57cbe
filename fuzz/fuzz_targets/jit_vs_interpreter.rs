//! Differential fuzzing of the JIT against the interpreter: random programs run in
//! lockstep, compared at every interrupt (interrupt, registers, gas, pc, memory).
//! Every other program runs twice on the JIT: the second instance gets the first's
//! sandbox back, reset, and must still match a fresh interpreter.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rivet_vm::{GuestInstance, Instance, Module};
use rivet_vm_fuzz::{drive, program_from_bytes};

fuzz_target!(|data: &[u8]| {
    if !rivet_vm_jit::is_supported() {
        return;
    }
    let Some(case) = program_from_bytes(data) else { return };
    let module = Arc::new(rivet_vm_jit::compile(case.program.clone()).expect("valid programs compile"));
    let runs = if data[7] & 1 == 1 { 2 } else { 1 };
    for _ in 0..runs {
        let interpreter = Instance::new(Arc::new(Module::new(case.program.clone())));
        let jit = rivet_vm_jit::JitInstance::new(module.clone()).expect("sandbox");
        let mut l = rivet_vm_jit::Lockstep::pair(&case.program, interpreter, jit);
        l.prepare_call("main", case.gas).unwrap();
        // Lockstep panics on any divergence.
        drive(&mut l, |_, _| {});
    }
});
