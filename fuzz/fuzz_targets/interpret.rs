//! Arbitrary programs run on the interpreter: the input becomes the code words,
//! data and entry point of a blob (so most inputs are valid programs), which runs
//! with bounded gas on both the fast and the traced path. They must agree on every
//! interrupt, register, byte of memory and unit of gas; nothing may panic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rivet_vm::isa::{decode, encode::encode, Instruction};
use rivet_vm::{GuestInstance, BlobBuilder, Instance, Interrupt, Limits, Module, Reg};

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    // Header: entry index, data sizes; then code words. Undecodable words become
    // `addi` with the same bits so most of the input survives as code.
    let entry = data[0] as u32;
    let ro_len = data[1] as usize;
    let rw_len = data[2] as usize;
    let heap_pages = (data[3] % 4) as u32;
    let body = &data[8..];
    let words: Vec<u32> = body
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            let w = u32::from_le_bytes(w);
            match decode(w) {
                Ok(Instruction::Jal { .. } | Instruction::Branch { .. }) => w & 0x0000_0fff | 0x0040_0000, // short jumps
                Ok(_) => w,
                Err(_) => encode(Instruction::OpImm {
                    op: rivet_vm::isa::AluOp::Add,
                    rd: Reg::new((w >> 7) & 15).unwrap(),
                    rs1: Reg::new((w >> 15) & 15).unwrap(),
                    imm: w >> 20,
                }),
            }
        })
        .collect();
    if words.is_empty() {
        return;
    }
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.heap_max = heap_pages * 4096;
    b.ro_data = body.iter().take(ro_len).copied().collect();
    b.rw_data = body.iter().rev().take(rw_len).copied().collect();
    b.bss_size = data[4] as u32;
    b.code_words(&words);
    b.entry("main", (entry % words.len() as u32) * 4);
    let Ok(program) = rivet_vm::parse(&b.to_bytes(), &Limits { max_memory: 1 << 20, ..Limits::default() }) else {
        return; // e.g. a jump out of the code: the validator said why
    };
    let module = Arc::new(Module::new(Arc::new(program)));
    let mut fast = Instance::new(module.clone());
    let mut traced = Instance::new(module);
    let gas = 20_000 + data[5] as u64 * 100;
    fast.prepare_call("main", gas).unwrap();
    traced.prepare_call("main", gas).unwrap();
    traced.enable_trace();
    // Serve host calls by writing a deterministic value; grow the heap on call 5.
    for round in 0..64u32 {
        let (a, b) = (fast.run(), traced.run());
        assert_eq!(a, b);
        assert_eq!(fast.registers(), traced.registers());
        assert_eq!(fast.gas_left(), traced.gas_left());
        assert_eq!(fast.mapped_memory(), traced.mapped_memory());
        assert_eq!(fast.pc(), traced.pc());
        let _ = traced.take_trace(); // bounded memory across rounds
        match a {
            Interrupt::HostCall(n) => {
                for inst in [&mut fast, &mut traced] {
                    if n == 5 {
                        let top = inst.sbrk(4096).unwrap_or(0);
                        inst.set_reg(Reg::A0, top);
                    } else {
                        inst.set_reg(Reg::A0, round ^ n);
                    }
                }
            }
            Interrupt::OutOfGas if round == 0 => {
                fast.set_gas_left(1000);
                traced.set_gas_left(1000);
            }
            _ => break,
        }
    }
});
