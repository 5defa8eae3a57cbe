//! Profiling compiled guest code: runs a guest program's JIT code (with
//! `rivet-vm-bench --quick`'s input) many times, with a perf map
//! (`/tmp/perf-PID.map`) naming each stretch of native code by the guest pc a
//! dynamic jump would enter it at, so `perf report` shows the hot guest blocks
//! (`native_code` writes the code to disassemble them).
//!
//!     perf record cargo run --release -p rivet-vm-jit --example perf_map -- keccak
//!     perf report --sort sym

use std::io::Write;
use std::sync::Arc;

use rivet_vm::memory_map::CODE_BASE;
use rivet_vm::GuestInstance;

#[path = "support/inputs.rs"]
mod inputs;

fn main() -> std::io::Result<()> {
    if !rivet_vm_jit::is_supported() {
        println!("the JIT can't run on this host");
        return Ok(());
    }
    let name = std::env::args().nth(1).unwrap_or("keccak".into());
    let input = inputs::quick_input(&name);
    let program = rivet_test_programs::module(&name).program().clone();
    // With every checked copy, so every instruction has an entry in the code.
    let jm = Arc::new(rivet_vm_jit::compile_with_copies(program).unwrap());
    let (code, entries) = jm.native_code();
    let pc = |i: usize| CODE_BASE as usize + 4 * i;
    let mut starts: Vec<(usize, usize)> = entries.iter().enumerate().map(|(i, &o)| (o, i)).collect();
    starts.sort();
    starts.dedup_by_key(|s| s.0);
    let mut map = std::fs::File::create(format!("/tmp/perf-{}.map", std::process::id()))?;
    for w in starts.windows(2) {
        let start = code.as_ptr() as usize + w[0].0;
        writeln!(map, "{start:x} {:x} guest_{:x}", w[1].0 - w[0].0, pc(w[0].1))?;
    }
    for _ in 0..3000 {
        let mut inst = rivet_vm_jit::JitInstance::new(jm.clone())?;
        inst.prepare_call("call", u64::MAX).unwrap();
        std::hint::black_box(rivet_vm_cli::DevHost::default().drive(&mut inst, &input, |_| None));
    }
    Ok(())
}
