//! How many of a corpus's programs the JIT compiles with at least one loop on a
//! register mapping of its own (the part of the compiler the loop-making header bit
//! is there to reach), and how often they run out of gas inside one, and with a loop
//! that assumes alignment known on falling in (the stack-access header bit's); each
//! runs in lockstep with the interpreter, so a wrong move on a loop's edge or a wrong
//! assumption panics here too:
//!
//!     cargo run --release --example loop_mappings -- corpus/jit_vs_interpreter
//!
//! (Checking the harness: with the moves left out of the out-of-gas stub, the
//! corpus of 2026-11-22 diverges at once.)

use rivet_vm_fuzz::program_from_bytes;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: loop_mappings <corpus dir>");
    let (mut programs, mut with_loops, mut loops, mut oog_inside) = (0, 0, 0, 0);
    let (mut with_kept, mut kept) = (0, 0);
    for entry in std::fs::read_dir(dir).expect("corpus dir") {
        let data = std::fs::read(entry.expect("entry").path()).expect("readable");
        let Some(case) = program_from_bytes(&data) else { continue };
        let module = std::sync::Arc::new(rivet_vm_jit::compile(case.program.clone()).expect("valid programs compile"));
        programs += 1;
        let n = module.loops_with_own_mapping().len();
        let k = module.loops_keeping_alignment().len();
        if n > 0 || k > 0 {
            use rivet_vm::GuestInstance;
            let jit0 = rivet_vm_jit::JitInstance::new(module.clone()).expect("sandbox");
            let interp = rivet_vm::Instance::new(std::sync::Arc::new(rivet_vm::Module::new(case.program.clone())));
            let mut jit = rivet_vm_jit::Lockstep::pair(&case.program, interp, jit0);
            jit.prepare_call("main", case.gas).unwrap();
            rivet_vm_fuzz::drive(&mut jit, |inst, r| {
                if r == rivet_vm::Interrupt::OutOfGas {
                    let pc = inst.pc().unwrap_or(0);
                    if module.loops_with_own_mapping().iter().any(|&(a, b)| a <= pc && pc <= b) {
                        oog_inside += 1;
                    }
                }
            });
        }
        with_loops += (n > 0) as usize;
        loops += n;
        with_kept += (k > 0) as usize;
        kept += k;
    }
    println!(
        "{programs} programs, {with_loops} with loops on their own mapping ({loops} such loops), {oog_inside} times out of gas inside one"
    );
    println!("{with_kept} with loops assuming alignment known on falling in ({kept} such loops)");
}
