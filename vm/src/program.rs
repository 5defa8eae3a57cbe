//! A validated program and its basic-block structure (which fixes gas charging).

use alloc::string::String;
use alloc::vec::Vec;

use crate::gas::instruction_cost;
use crate::isa::Instruction;
use crate::memory_map::{MemoryLayout, CODE_BASE};

/// A program blob that passed validation. Immutable; instances share it.
#[derive(Clone, Debug)]
pub struct Program {
    layout: MemoryLayout,
    ro_data: Vec<u8>,
    rw_data: Vec<u8>,
    words: Vec<u32>,
    instructions: Vec<Instruction>,
    entry_points: Vec<(String, u32)>,
    /// Per instruction: does a basic block begin here?
    leader: Vec<bool>,
    /// Per instruction: gas of this instruction and the rest of its block. What entering
    /// the code at this instruction charges.
    cost_to_block_end: Vec<u32>,
}

impl Program {
    pub(crate) fn new(
        layout: MemoryLayout,
        ro_data: Vec<u8>,
        rw_data: Vec<u8>,
        words: Vec<u32>,
        instructions: Vec<Instruction>,
        entry_points: Vec<(String, u32)>,
    ) -> Program {
        let n = instructions.len();
        // Leaders: the first instruction, entry points, static targets, and whatever
        // follows a terminator (fall-through or return point).
        let mut leader = alloc::vec![false; n];
        leader[0] = true;
        for (_, pc) in &entry_points {
            leader[((pc - CODE_BASE) / 4) as usize] = true;
        }
        for (i, insn) in instructions.iter().enumerate() {
            if let Some(off) = insn.static_target_offset() {
                // Validation guarantees the target is in range.
                let target = (CODE_BASE + 4 * i as u32).wrapping_add(off as u32);
                leader[((target - CODE_BASE) / 4) as usize] = true;
            }
            if insn.is_terminator() && i + 1 < n {
                leader[i + 1] = true;
            }
        }
        // Walk backwards summing costs; a block ends at a terminator or before a leader.
        let mut cost_to_block_end = alloc::vec![0u32; n];
        let mut acc: u32 = 0;
        for i in (0..n).rev() {
            let ends_here = instructions[i].is_terminator() || i + 1 == n || leader[i + 1];
            if ends_here {
                acc = 0;
            }
            // At most 4M instructions of cost <= 10: no overflow.
            acc += instruction_cost(&instructions[i]);
            cost_to_block_end[i] = acc;
        }
        Program { layout, ro_data, rw_data, words, instructions, entry_points, leader, cost_to_block_end }
    }

    pub fn layout(&self) -> &MemoryLayout {
        &self.layout
    }
    pub fn ro_data(&self) -> &[u8] {
        &self.ro_data
    }
    pub fn rw_data(&self) -> &[u8] {
        &self.rw_data
    }
    /// Raw instruction words, index i at pc `CODE_BASE + 4 * i`.
    pub fn code_words(&self) -> &[u32] {
        &self.words
    }
    pub fn instructions(&self) -> &[Instruction] {
        &self.instructions
    }
    /// Entry points as (name, pc).
    pub fn entry_points(&self) -> &[(String, u32)] {
        &self.entry_points
    }
    pub fn entry_point(&self, name: &str) -> Option<u32> {
        self.entry_points.iter().find(|(n, _)| n == name).map(|(_, pc)| *pc)
    }
    /// Whether instruction `index` begins a basic block.
    pub fn is_block_start(&self, index: usize) -> bool {
        self.leader[index]
    }
    /// Gas charged when control enters the code at instruction `index`.
    pub fn entry_cost(&self, index: usize) -> u32 {
        self.cost_to_block_end[index]
    }
    /// Instruction index for a code address, if it is an aligned address inside the code.
    pub fn index_of_pc(&self, pc: u32) -> Option<usize> {
        let off = pc.wrapping_sub(CODE_BASE);
        if off % 4 == 0 && off < self.layout.code_size {
            Some((off / 4) as usize)
        } else {
            None
        }
    }
}
