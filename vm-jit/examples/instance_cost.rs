//! What creating (and dropping) an instance costs: a fresh sandbox (reserving 4 GiB,
//! mapping the program's regions, unmapping it all at the end) against one its
//! module kept from a finished instance and reset; the interpreter's for scale.
//!
//!     cargo run --release -p rivet-vm-jit --example instance_cost

use std::sync::Arc;
use std::time::Instant;

use rivet_vm::GuestInstance;

fn per_instance(n: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() / n as f64 * 1e6
}

fn main() {
    if !rivet_vm_jit::is_supported() {
        println!("the JIT can't run on this host");
        return;
    }
    let program = rivet_test_programs::module("token").program().clone();
    let interpreted = Arc::new(rivet_vm::Module::new(program.clone()));
    let n = 2000;
    for _ in 0..3 {
        // Held at once, each instance gets a fresh sandbox; dropping them unmaps all
        // but the few the module keeps.
        let module = Arc::new(rivet_vm_jit::compile(program.clone()).unwrap());
        let start = Instant::now();
        let held: Vec<_> = (0..500)
            .map(|_| {
                let mut i = rivet_vm_jit::JitInstance::new(module.clone()).unwrap();
                i.prepare_call("call", 1_000_000).unwrap();
                i
            })
            .collect();
        drop(held);
        let fresh = start.elapsed().as_secs_f64() / 500.0 * 1e6;
        // One at a time, each gets the last one's sandbox back, reset.
        let reused = per_instance(n, || {
            let mut i = rivet_vm_jit::JitInstance::new(module.clone()).unwrap();
            i.prepare_call("call", 1_000_000).unwrap();
        });
        let interpreter = per_instance(n, || {
            let mut i = rivet_vm::Instance::new(interpreted.clone());
            i.prepare_call("call", 1_000_000).unwrap();
        });
        println!("instance created and dropped (token program): JIT fresh sandbox {fresh:.1} µs, reused {reused:.1} µs; interpreter {interpreter:.1} µs");
    }
}
