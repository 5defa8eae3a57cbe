//! The buses the tables talk over (LogUp arguments) and the operation codes on them.
//!
//! - `PROGRAM`: the CPU takes each executed instruction's decoded row from the
//!   program table (the committed code).
//! - `REGISTERS`: offline memory checking for the 16 registers: every access takes
//!   `(reg, value, previous timestamp)` and puts back `(reg, value', now)`; the
//!   register table puts the initial state at timestamp 0 and takes the final one.
//! - `MEMOP`: the CPU asks for a load or store `(kind, address, value, clk, heap
//!   top, trap code)`: the memory table answers those with code 0, the trap table
//!   the one that traps. An `ecall` row asks on it too, with kind `HOST`, for `(t0,
//!   gas left, clk, heap top, ended)` from the host-call table (the public
//!   transcript). (One bus, so that Plonky3 keeps both requests in one running sum.)
//! - `MEMORY`: offline memory checking for data words, like `REGISTERS`; the image
//!   and zero-init tables put initial values and take final ones.
//! - `COST`: `(pc, entry cost, block start)` from the program table, for the trap
//!   table's row that proves the next block can't be paid (out of gas).
//! - `ALU`: the CPU asks for `(op, a, b, result)`; the ALU tables answer.
//! - `U16`: 16-bit range checks of values known to be integers. (A check of `k·x`
//!   says nothing about `x` alone: `x` could be `v/k` in the field.)
//! - `BYTE_PAIR`: `(x, y)`, both bytes: how results' bytes are range-checked (a
//!   check of `x + 256·y` would let a byte be 256 more and its neighbour one less).
//! - `BITWISE`: byte-wise and/or/xor, from the byte table.
//! - `SHIFT`: `(x, m, lo, hi)` with `x << m = lo + 256·hi` for a byte `x` and
//!   `m <= 8`, from the byte table.

pub const PROGRAM: &str = "program";
pub const REGISTERS: &str = "registers";
pub const ALU: &str = "alu";
pub const MEMOP: &str = "memop";
pub const MEMORY: &str = "memory";
pub const COST: &str = "cost";
pub const U16: &str = "u16";
pub const BITWISE: &str = "bitwise";
pub const BYTE_PAIR: &str = "byte pair";
pub const SHIFT: &str = "shift";

/// Operation codes on the `ALU` bus (also the `BITWISE` bus for and/or/xor).
pub mod op {
    pub const ADD: u32 = 1;
    pub const SUB: u32 = 2;
    pub const XOR: u32 = 3;
    pub const OR: u32 = 4;
    pub const AND: u32 = 5;
    pub const SLT: u32 = 6;
    pub const SLTU: u32 = 7;
    pub const BEQ: u32 = 8;
    pub const BNE: u32 = 9;
    pub const BLT: u32 = 10;
    pub const BGE: u32 = 11;
    pub const BLTU: u32 = 12;
    pub const BGEU: u32 = 13;
    pub const MUL: u32 = 14;
    pub const MULH: u32 = 15;
    pub const MULHSU: u32 = 16;
    pub const MULHU: u32 = 17;
    pub const SLL: u32 = 18;
    pub const SRL: u32 = 19;
    pub const SRA: u32 = 20;
    pub const DIV: u32 = 21;
    pub const DIVU: u32 = 22;
    pub const REM: u32 = 23;
    pub const REMU: u32 = 24;
}
