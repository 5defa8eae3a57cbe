//! Compiling keeps its buffers per thread for the next compilation; what a program
//! compiles to must not depend on what the thread compiled before.

#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

use std::sync::Arc;

use rivet_vm::Program;

fn program(name: &str) -> Arc<Program> {
    rivet_test_programs::module(name).program().clone()
}

/// Code bytes and dynamic-entry offsets, compiled on a thread that compiled nothing
/// before.
fn on_a_fresh_thread(p: &Arc<Program>) -> (Vec<u8>, Vec<usize>) {
    let p = p.clone();
    std::thread::spawn(move || {
        let m = rivet_vm_jit::compile(p).unwrap();
        let (code, entries) = m.native_code();
        (code.to_vec(), entries)
    })
    .join()
    .unwrap()
}

#[test]
fn a_program_compiles_the_same_whatever_the_thread_compiled_before() {
    if !rivet_vm_jit::is_supported() {
        return;
    }
    let names = ["collections", "minimal", "sha256", "fibonacci", "collections", "minimal"];
    let fresh: Vec<_> = names.iter().map(|n| on_a_fresh_thread(&program(n))).collect();
    // One thread, large and small programs in turn: the scratch buffers shrink
    // logically and grow again.
    for (name, expected) in names.iter().zip(&fresh) {
        let m = rivet_vm_jit::compile(program(name)).unwrap();
        let (code, entries) = m.native_code();
        assert_eq!((code, &entries), (&expected.0[..], &expected.1), "{name}");
    }
}
