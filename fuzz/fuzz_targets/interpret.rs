//! Arbitrary programs on the interpreter's fast and traced paths, which must agree on
//! every interrupt, register, byte of memory and unit of gas; nothing may panic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rivet_vm::{GuestInstance, Instance, Module};
use rivet_vm_fuzz::{drive, program_from_bytes};
use rivet_vm_jit::Lockstep;

fuzz_target!(|data: &[u8]| {
    let Some(case) = program_from_bytes(data) else { return };
    let module = Arc::new(Module::new(case.program.clone()));
    let fast = Instance::new(module.clone());
    let mut traced = Instance::new(module);
    traced.enable_trace();
    let mut pair = Lockstep::pair(&case.program, fast, traced);
    pair.prepare_call("main", case.gas).unwrap();
    // The comparisons happen inside Lockstep::run. The trace stays bounded: gas limits
    // the steps of a run.
    drive(&mut pair, |_, _| {});
});
