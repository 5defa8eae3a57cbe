//! What one unit of gas costs, in nanoseconds, for each of `rivet_vm::gas_probes`'
//! programs on the interpreter and on the JIT (the slope between two runs of
//! different length, best of five, so setup and instantiation cancel out).
//!
//!     cargo run --release -p rivet-vm-jit --example gas_rate
//!
//! The chain's gas-to-weight rate comes from the pallet's FRAME benchmark of the
//! worst probe; this shows which probe that is and how far the backends differ.

use std::sync::Arc;
use std::time::Instant;

use rivet_vm::gas_probes::Probe;
use rivet_vm::{parse, Interrupt, Limits};
use rivet_vm_jit::{instantiate, Backend};

fn seconds(probe: Probe, gas: u64, backend: Backend) -> f64 {
    let limits = Limits { max_code_size: 256 * 1024, max_memory: 1024 * 1024 };
    let program = Arc::new(parse(&probe.blob(gas), &limits).expect("probes are valid"));
    (0..5)
        .map(|_| {
            let (mut instance, used) = instantiate(&program, backend);
            assert_eq!(used, backend, "{backend:?} is not available here");
            instance.prepare_call("call", 4 * gas).expect("probes have `call`");
            let start = Instant::now();
            assert_eq!(instance.run(), Interrupt::Finished);
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let (small, large) = (20_000_000u64, 80_000_000u64);
    println!("{:<16} {:>16} {:>16}", "probe", "interpreter", "JIT");
    for probe in Probe::ALL {
        let rate = |backend| (seconds(probe, large, backend) - seconds(probe, small, backend)) / (large - small) as f64 * 1e9;
        println!("{:<16} {:>11.3} ns/gas {:>9.3} ns/gas", probe.name(), rate(Backend::Interpreter), rate(Backend::Jit));
    }
}
