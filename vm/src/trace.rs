//! The execution trace: every step's pc, instruction, register and memory reads and
//! writes, gas, and every change the host made between steps. The prover and the
//! debugger consume it.

use alloc::vec::Vec;

use crate::isa::Reg;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemAccess {
    pub addr: u32,
    /// 1, 2 or 4 bytes.
    pub size: u8,
    /// For loads the extended value written to rd; for stores the stored bytes.
    pub value: u32,
    pub write: bool,
}

/// One executed instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub pc: u32,
    pub word: u32,
    /// Gas charged on entering here (a block start or a jump target), else 0.
    pub gas_charged: u32,
    /// Gas left after the charge, before the instruction runs.
    pub gas_left: u64,
    pub rs1: Option<(Reg, u32)>,
    pub rs2: Option<(Reg, u32)>,
    /// Destination register and value written (x0 shows the discarded write as 0).
    pub rd: Option<(Reg, u32)>,
    pub mem: Option<MemAccess>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceEvent {
    Step(Step),
    /// Entering `pc` needed `needed` gas and less was left: nothing of the block ran.
    OutOfGas {
        pc: u32,
        needed: u32,
    },
    HostSetReg {
        reg: Reg,
        value: u32,
    },
    HostWriteMemory {
        addr: u32,
        data: Vec<u8>,
    },
    HostSetGas {
        gas: u64,
    },
    HostSbrk {
        old_top: u32,
        new_top: u32,
    },
}
