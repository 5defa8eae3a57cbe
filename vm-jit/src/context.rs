//! The context block compiled code shares with the host: guest registers that live
//! in memory, gas, and why the code exited. It sits at `base - CTX_SIZE`, so code
//! reaches it as `gs:[offset - CTX_SIZE]` (see `segment`).

use crate::sandbox::CTX_SIZE;

#[repr(C)]
pub struct Ctx {
    /// x0..x15. Registers kept in host registers are written back here at every exit.
    pub regs: [u32; 16],
    pub gas: u64,
    pub exit_kind: u32,
    /// Trap: faulting instruction; OutOfGas/HostCall: where to continue.
    pub exit_pc: u32,
    /// Trap: the address or jump target the trap kind carries.
    pub exit_arg: u32,
    /// Trap kind code (`TRAP_*`).
    pub exit_trap: u32,
    /// Where `run` starts.
    pub start_pc: u32,
    /// Read-only data range, for classifying faulting stores.
    pub ro_start: u32,
    pub ro_end: u32,
    pub _pad: u32,
    /// Per instruction: native address to continue at (after its block's gas check).
    pub jump_table: *const u64,
    /// Per instruction: gas charged when a dynamic jump enters there.
    pub cost_table: *const u32,
}

const _: () = assert!(core::mem::size_of::<Ctx>() <= CTX_SIZE);

pub const EXIT_FINISHED: u32 = 0;
pub const EXIT_HOST_CALL: u32 = 1;
pub const EXIT_OUT_OF_GAS: u32 = 2;
pub const EXIT_TRAP: u32 = 3;
/// A dynamic jump reached an instruction whose checked copy the module was compiled
/// without (`compile::compile`); the gas it charged is given back, `exit_pc` is the
/// target. The instance goes on in the module compiled with every copy.
pub const EXIT_NEEDS_COPIES: u32 = 4;

pub const TRAP_UNIMP: u32 = 1;
pub const TRAP_EBREAK: u32 = 2;
pub const TRAP_LOAD_FAULT: u32 = 3;
pub const TRAP_STORE_FAULT: u32 = 4;
pub const TRAP_READ_ONLY: u32 = 5;
pub const TRAP_MISALIGNED: u32 = 6;
pub const TRAP_BAD_JUMP: u32 = 7;

/// Displacement from the guest memory base (GS) of a context field.
pub const fn disp(field_offset: usize) -> i32 {
    field_offset as i32 - CTX_SIZE as i32
}

pub const REGS: i32 = disp(core::mem::offset_of!(Ctx, regs));
pub const GAS: i32 = disp(core::mem::offset_of!(Ctx, gas));
pub const EXIT_KIND: i32 = disp(core::mem::offset_of!(Ctx, exit_kind));
pub const EXIT_PC: i32 = disp(core::mem::offset_of!(Ctx, exit_pc));
pub const EXIT_ARG: i32 = disp(core::mem::offset_of!(Ctx, exit_arg));
pub const TRAP_CODE: i32 = disp(core::mem::offset_of!(Ctx, exit_trap));
pub const START_PC: i32 = disp(core::mem::offset_of!(Ctx, start_pc));
pub const JUMP_TABLE: i32 = disp(core::mem::offset_of!(Ctx, jump_table));
pub const COST_TABLE: i32 = disp(core::mem::offset_of!(Ctx, cost_table));
