//! Rivet's guest programs (from `guests/`), compiled for riscv32em and linked into
//! blobs by this crate's build script. Tests and benchmarks use them.

use std::sync::Arc;

use rivet_vm::{Limits, Module};

include!(concat!(env!("OUT_DIR"), "/programs.rs"));

/// The blob of a guest program by name.
pub fn blob(name: &str) -> &'static [u8] {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, b)| *b).unwrap_or_else(|| panic!("no guest program {name:?}"))
}

/// A guest program parsed, validated and prepared for the interpreter.
pub fn module(name: &str) -> Arc<Module> {
    let program = rivet_vm::parse(blob(name), &Limits::default()).expect("guest blobs are valid");
    Arc::new(Module::new(Arc::new(program)))
}
