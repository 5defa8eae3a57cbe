//! Where a one-shot call's time goes (compile, a fresh instance, the run, dropping
//! both), beside a run on a module already compiled; best of 300 each.
//!
//!     cargo run --release -p rivet-vm-jit --example one_shot [-- program]
//!
//! The inputs are `rivet-vm-bench --quick`'s.

use std::sync::Arc;
use std::time::Instant;

use rivet_vm::GuestInstance;

#[path = "support/inputs.rs"]
mod inputs;

fn main() {
    if !rivet_vm_jit::is_supported() {
        println!("the JIT can't run on this host");
        return;
    }
    let name = std::env::args().nth(1).unwrap_or("sha256".into());
    let input = inputs::quick_input(&name);
    let program = rivet_test_programs::module(&name).program().clone();
    let run = |jm: &Arc<rivet_vm_jit::JitModule>| {
        let mut inst = rivet_vm_jit::JitInstance::new(jm.clone()).unwrap();
        inst.prepare_call("call", u64::MAX).unwrap();
        let t = Instant::now();
        std::hint::black_box(rivet_vm_cli::DevHost::default().drive(&mut inst, &input, |_| None));
        (t.elapsed(), inst)
    };
    let warm = Arc::new(rivet_vm_jit::compile(program.clone()).unwrap());
    let mut best = [f64::MAX; 5];
    for _ in 0..300 {
        let t0 = Instant::now();
        let jm = Arc::new(rivet_vm_jit::compile(program.clone()).unwrap());
        let t1 = Instant::now();
        let mut inst = rivet_vm_jit::JitInstance::new(jm.clone()).unwrap();
        inst.prepare_call("call", u64::MAX).unwrap();
        let t2 = Instant::now();
        std::hint::black_box(rivet_vm_cli::DevHost::default().drive(&mut inst, &input, |_| None));
        let t3 = Instant::now();
        drop(inst);
        drop(jm);
        let t4 = Instant::now();
        let (warm_run, _) = run(&warm);
        let d = [t1 - t0, t2 - t1, t3 - t2, t4 - t3, warm_run];
        for (b, x) in best.iter_mut().zip(d) {
            *b = b.min(x.as_secs_f64() * 1e6);
        }
    }
    println!("{name}: compile {:.0} µs, new {:.0}, run {:.0}, drop {:.0}; warm run {:.0}", best[0], best[1], best[2], best[3], best[4]);
}
