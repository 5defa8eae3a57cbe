//! Turns fuzzer bytes into mostly-valid programs: a header picks the entry point,
//! data sizes, heap and gas; the rest becomes code words, with undecodable words
//! turned into `addi` of the same bits so most of the input survives as code.

use std::sync::Arc;

use rivet_vm::isa::{decode, encode::encode, AluOp, Instruction, LoadKind, StoreKind};
use rivet_vm::{BlobBuilder, GuestInstance, Interrupt, Limits, Program, Reg};

pub struct Case {
    pub program: Arc<Program>,
    pub gas: u64,
}

pub fn program_from_bytes(data: &[u8]) -> Option<Case> {
    if data.len() < 8 {
        return None;
    }
    let entry = data[0] as u32;
    let body = &data[8..];
    // Some programs get short backward jumps: loops, which the JIT may compile with
    // register mappings of their own (moves on every way in and out).
    let loops = data[6] & 8 == 8;
    let words: Vec<u32> = body
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            let w = u32::from_le_bytes(w);
            match decode(w) {
                Ok(Instruction::Branch { kind, rs1, rs2, .. }) if loops && w >> 31 == 1 => {
                    encode(Instruction::Branch { kind, rs1, rs2, offset: -4 * ((w >> 8) & 15) as i32 })
                }
                Ok(Instruction::Jal { rd, .. }) if loops && w >> 31 == 1 => {
                    encode(Instruction::Jal { rd, offset: -4 * ((w >> 21) & 15) as i32 })
                }
                // Keep jumps short so they tend to stay inside the code.
                Ok(Instruction::Jal { .. } | Instruction::Branch { .. }) => w & 0x0000_0fff | 0x0040_0000,
                Ok(_) => w,
                Err(_) => encode(Instruction::OpImm {
                    op: AluOp::Add,
                    rd: Reg::new((w >> 7) & 15).unwrap(),
                    rs1: Reg::new((w >> 15) & 15).unwrap(),
                    imm: w >> 20,
                }),
            }
        })
        .collect();
    if words.is_empty() {
        return None;
    }
    // Make call pairs common: an `auipc r` followed by `jalr rd, off(r)` is how
    // compilers call, and the JIT compiles such pairs specially.
    let mut words = words;
    for k in 0..words.len().saturating_sub(1) {
        if let Ok(Instruction::Auipc { rd, .. }) = decode(words[k]) {
            if rd != Reg::ZERO && data[6] & 1 == 1 {
                let offset = ((words[k + 1] >> 20) as i32 & 0x3c) - 0x20; // a few words either way
                let link = Reg::new((words[k + 1] >> 7) & 15).unwrap();
                words[k] &= 0x0000_0fff; // auipc r, 0: the pair targets nearby code
                words[k + 1] = encode(Instruction::Jalr { rd: link, rs1: rd, offset });
            }
        }
    }
    // Make rotates common: `srli a, x, k; slli b, x, 32-k; or d, a, b` (or the mirror)
    // compiles to one x86 rotate; a, b and d come from the words' own register fields,
    // so every aliasing shows up.
    for k in 0..words.len().saturating_sub(2) {
        if let Ok(Instruction::OpImm { op: op @ (AluOp::Srl | AluOp::Sll), rd: a, rs1: x, imm }) = decode(words[k]) {
            if data[6] & 2 == 2 && imm != 0 {
                let other = if op == AluOp::Srl { AluOp::Sll } else { AluOp::Srl };
                let b = Reg::new((words[k + 1] >> 7) & 15).unwrap();
                let d = Reg::new((words[k + 2] >> 7) & 15).unwrap();
                let (p, q) = if words[k + 2] & (1 << 15) == 0 { (a, b) } else { (b, a) };
                words[k + 1] = encode(Instruction::OpImm { op: other, rd: b, rs1: x, imm: 32 - imm });
                words[k + 2] = encode(Instruction::Op { op: AluOp::Or, rd: d, rs1: p, rs2: q });
            }
        }
    }
    // And array indexing: `slli t, x, 1..3; add t, y, t` compiles to one lea.
    for k in 0..words.len().saturating_sub(1) {
        if let Ok(Instruction::OpImm { op: AluOp::Sll, rd: t, imm: 1..=3, .. }) = decode(words[k]) {
            if data[6] & 4 == 4 {
                let y = Reg::new((words[k + 1] >> 15) & 15).unwrap();
                let (p, q) = if words[k + 1] & (1 << 20) == 0 { (y, t) } else { (t, y) };
                words[k + 1] = encode(Instruction::Op { op: AluOp::Add, rd: t, rs1: p, rs2: q });
            }
        }
    }
    // And stack-relative word accesses, as compilers write them: a block that checked
    // sp's alignment leaves its later checks out, and a loop fallen into from such a
    // block keeps that knowledge (where sp is moved by a multiple of 4, or isn't).
    for w in words.iter_mut() {
        if data[6] & 16 == 16 && *w >> 25 & 1 == 1 {
            let offset = -4 - 4 * ((*w >> 20) & 15) as i32;
            *w = match decode(*w) {
                Ok(Instruction::Load { kind: LoadKind::Word, rd, .. }) => {
                    encode(Instruction::Load { kind: LoadKind::Word, rd, rs1: Reg::SP, offset })
                }
                Ok(Instruction::Store { kind: StoreKind::Word, rs2, .. }) => {
                    encode(Instruction::Store { kind: StoreKind::Word, rs1: Reg::SP, rs2, offset })
                }
                _ => *w,
            };
        }
    }
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.heap_max = (data[3] % 4) as u32 * 4096;
    b.ro_data = body.iter().take(data[1] as usize).copied().collect();
    b.rw_data = body.iter().rev().take(data[2] as usize).copied().collect();
    b.bss_size = data[4] as u32;
    // Programs with loops start by giving every register but sp a value of its own: a
    // register moved to the wrong place on a loop's way in or out then shows, where
    // equal (mostly zero) values would hide it.
    let entry = if loops {
        let prologue = (1..16u32)
            .filter(|&r| r != 2)
            .map(|r| encode(Instruction::OpImm { op: AluOp::Add, rd: Reg::new(r).unwrap(), rs1: Reg::ZERO, imm: 0x51 * r }));
        words = prologue.chain(words).collect();
        0
    } else {
        entry % words.len() as u32
    };
    b.code_words(&words);
    b.entry("main", entry * 4);
    // Invalid programs (e.g. a jump out of the code) are the validator's business.
    let program = rivet_vm::parse(&b.to_bytes(), &Limits { max_memory: 1 << 20, ..Limits::default() }).ok()?;
    Some(Case { program: Arc::new(program), gas: 20_000 + data[5] as u64 * 100 })
}

/// Runs a prepared instance for a bounded number of interrupts, answering host calls
/// deterministically (call 5 grows the heap) and refuelling once. `check` runs after
/// every interrupt.
pub fn drive(inst: &mut dyn GuestInstance, mut check: impl FnMut(&mut dyn GuestInstance, Interrupt)) {
    for round in 0..64u32 {
        let r = inst.run();
        check(inst, r);
        match r {
            Interrupt::HostCall(n) => {
                if n == 5 {
                    let top = inst.sbrk(4096).unwrap_or(0);
                    inst.set_reg(Reg::A0, top);
                } else {
                    inst.set_reg(Reg::A0, round ^ n);
                }
            }
            Interrupt::OutOfGas if round == 0 => inst.set_gas_left(1000),
            _ => break,
        }
    }
}
