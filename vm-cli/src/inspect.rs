//! A blob's layout, entry points and disassembly as text (`rivet-vm inspect`,
//! `rivet inspect`).

use std::fmt::Write;

use rivet_vm::{memory_map, Program};

pub fn describe(p: &Program) -> String {
    let mut s = String::new();
    let l = p.layout();
    let _ = writeln!(s, "stack    {:#010x}..{:#010x} ({} bytes)", l.stack_bottom(), memory_map::STACK_TOP, l.stack_size);
    let _ = writeln!(s, "ro data  {:#010x} ({} bytes)", l.ro_base(), l.ro_size);
    let _ = writeln!(s, "rw data  {:#010x} ({} bytes + {} bss)", l.rw_base(), l.rw_size, l.bss_size);
    let _ = writeln!(s, "heap     {:#010x} (up to {} bytes)", l.heap_base(), l.heap_max);
    let _ = writeln!(s, "code     {:#010x} ({} instructions)", memory_map::CODE_BASE, p.instructions().len());
    for (name, pc) in p.entry_points() {
        let _ = writeln!(s, "entry    {name} @ {pc:#010x}");
    }
    for (i, insn) in p.instructions().iter().enumerate() {
        let pc = memory_map::CODE_BASE + 4 * i as u32;
        let mark = if p.is_block_start(i) { format!("[gas {}]", p.entry_cost(i)) } else { String::new() };
        let _ = writeln!(s, "{pc:08x}: {:08x}  {insn:<32} {mark}", p.code_words()[i]);
    }
    s
}
