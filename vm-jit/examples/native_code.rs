//! Writes what the JIT compiles a blob to, for disassembly:
//!
//!     cargo run --release -p rivet-vm-jit --example native_code -- prog.blob out.bin
//!     objdump -D -b binary -m i386:x86-64 out.bin
//!
//! and prints, per guest instruction, its pc and the offset in `out.bin` where a
//! dynamic jump to it enters (and, on stderr, the loops compiled with register
//! mappings of their own).

use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, blob, out] = &args[..] else {
        return Err("usage: native_code <blob> <out.bin>".into());
    };
    let program = rivet_vm::parse(&std::fs::read(blob)?, &rivet_vm::Limits::default())?;
    let module = rivet_vm_jit::compile(Arc::new(program))?;
    let (code, entries) = module.native_code();
    std::fs::write(out, code)?;
    for (first, last) in module.loops_with_own_mapping() {
        eprintln!("loop {first:08x}..={last:08x} has its own register mapping");
    }
    for (i, offset) in entries.iter().enumerate() {
        println!("{:08x} {offset:#x}", rivet_vm::memory_map::CODE_BASE + 4 * i as u32);
    }
    Ok(())
}
