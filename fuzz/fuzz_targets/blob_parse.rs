//! Arbitrary bytes as a blob: the parser/validator returns Ok or a precise error,
//! never panics; a blob that validates can be prepared and instantiated.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rivet_vm::{Instance, Limits, Module};

fuzz_target!(|data: &[u8]| {
    // A tight memory limit keeps instantiation bounded whatever the blob declares.
    let limits = Limits { max_memory: 4 << 20, ..Limits::default() };
    if let Ok(program) = rivet_vm::parse(data, &limits) {
        assert!(program.layout().data_span() <= 4 << 20);
        let module = Arc::new(Module::new(Arc::new(program)));
        let _ = Instance::new(module);
    }
});
