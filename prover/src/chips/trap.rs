//! The trapping step, when an execution ends in a memory or jump trap: at most one
//! real row, proving the trap SPEC.md §3 and §5 say happens.
//!
//! - A load or store the CPU marks as trapping asks on `MEMOP` like any other, with
//!   a nonzero trap code; this table answers it (the memory table only answers code
//!   0, and proves the access is allowed), showing, in SPEC.md's order, that the
//!   address is misaligned; or aligned and outside the mapped range (below the stack
//!   or at/above the heap top); or an aligned store into read-only data.
//! - A run that ends jumping to something that isn't an instruction (a `jalr` the
//!   CPU marks as trapping, or falling off the end of the code): the first row shows
//!   the next pc after the last step (the last CPU segment's public end state, which
//!   the verifier copies here; a `jalr`'s target with bit 0 cleared) isn't one: not
//!   4-byte aligned, outside the code (top byte not the code's, and not the return
//!   address), or past the code's end.
//! - A run that ends out of gas: the first row shows that the entry the next
//!   instruction would be charged (from the program table over `COST`) is more than
//!   is left in the state after the last step (the next pc, the gas left, whether a
//!   transfer enters it: the last CPU segment's public end state, which the verifier
//!   copies here). Here rather than in every CPU row: one row needs these columns.

use alloc::vec::Vec;

use p3_air::{AirBuilder, WindowAccess};
use p3_field::{Field, PrimeCharacteristicRing};
use p3_lookup::InteractionBuilder;

use crate::buses;
use crate::chips::memory::{kind, AccessColumns, AccessExprs, Bounds};
use crate::chips::{bool_count, byte_pair, limb_checks, limbs_below};
use crate::columns::columns;

columns! {
    IS_LB, IS_LH, IS_LW, IS_LBU, IS_LHU, IS_SB, IS_SH, IS_SW, IS_JUMP,
    ADDR[4], VAL[4], CLK, HEAP, CODE,
    O[4], Q,
    T_MIS, T_BELOW, T_ABOVE, T_RO,
    J_MIS, J_OUT, J_END, INV_TOP, SQ, INV_RA,
    A_LO, A_HI, B_LO, B_HI, C_LO, C_HI,
    // Out of gas: the next instruction (the public END_PC, as a column: lookups read
    // columns) and its entry cost, compared with the gas left.
    IS_OOG, PC, COST_LO, COST_HI, BLOCK_START, OOG_LO, OOG_HI, OOG_BORROW,
}

/// Public values: word bounds and the code size (the verifier computes them from
/// the program), whether the run trapped at an invalid jump target and whether it
/// ran out of gas, and the state after its last step (`cpu::State`: the next pc, the
/// gas left, whether a transfer enters it).
pub mod public {
    use crate::columns::columns;
    columns! { STACK_BOTTOM, RO_BASE, RO_END, CODE_SIZE, JUMP_TRAPPED, OUT_OF_GAS, END_PC, END_GAS[3], END_TRANSFER }
}

/// Trap codes: the CPU table's public `TRAP_CODE` (1 and 2 are `ebreak` and `unimp`,
/// from the program table).
pub mod code {
    pub const EBREAK: u32 = 1;
    pub const UNIMP: u32 = 2;
    pub const MISALIGNED: u32 = 3;
    pub const LOAD_FAULT: u32 = 4;
    pub const STORE_FAULT: u32 = 5;
    pub const READ_ONLY_WRITE: u32 = 6;
    pub const INVALID_JUMP: u32 = 7;
}

const ACCESS: AccessColumns = AccessColumns { flags: IS_LB, addr: ADDR, o: O, q: Q };

pub const LOG_HEIGHT: usize = crate::MIN_LOG_HEIGHT;

#[derive(Clone, Debug)]
pub struct TrapChip;

/// Why an access traps, and the code it traps with; None if it doesn't.
pub fn memory_trap(kind: u32, addr: u32, heap: u32, b: &Bounds) -> Option<u32> {
    let size = match kind {
        kind::LB | kind::LBU | kind::SB => 1,
        kind::LH | kind::LHU | kind::SH => 2,
        _ => 4,
    };
    let store = kind >= kind::SB;
    let w = addr >> 2;
    if !addr.is_multiple_of(size) {
        Some(code::MISALIGNED)
    } else if w < b.stack_bottom || w >= heap {
        Some(if store { code::STORE_FAULT } else { code::LOAD_FAULT })
    } else if store && (b.ro_base..b.ro_end).contains(&w) {
        Some(code::READ_ONLY_WRITE)
    } else {
        None
    }
}

/// Range checks a trap row needs: the 16-bit values, and `(lo, hi, value, hi_bits)`
/// for each limb pair (the witness fills the limbs and counts them).
pub struct Checks {
    pub u16s: Vec<u32>,
    /// Byte pairs `(lo, hi)`.
    pub pairs: Vec<(u32, u32)>,
    pub limbs: Vec<(usize, usize, u64, u32)>,
}

/// Fills the row of a trapping load or store; returns its trap code and range checks.
pub fn memory_row<F: Field>(row: &mut [F], kind: u32, addr: u32, value: u32, clk: u64, heap: u32, b: &Bounds) -> Option<(u32, Checks)> {
    let trap = memory_trap(kind, addr, heap, b)?;
    let q = ACCESS.fill(row, Some(kind), addr);
    for i in 0..4 {
        row[VAL + i] = F::from_u32((value >> (8 * i)) & 0xff);
    }
    row[CLK] = F::from_u64(clk);
    row[HEAP] = F::from_u32(heap);
    row[CODE] = F::from_u32(trap);
    let w = addr >> 2;
    let mut checks = Checks { u16s: alloc::vec![q], pairs: Vec::new(), limbs: Vec::new() };
    let limbs = &mut checks.limbs;
    match trap {
        code::MISALIGNED => row[T_MIS] = F::ONE,
        code::READ_ONLY_WRITE => {
            row[T_RO] = F::ONE;
            limbs.push((B_LO, B_HI, (w - b.ro_base) as u64, 10));
            limbs.push((C_LO, C_HI, (b.ro_end - 1 - w) as u64, 10));
        }
        _ if w < b.stack_bottom => {
            row[T_BELOW] = F::ONE;
            limbs.push((B_LO, B_HI, (b.stack_bottom - 1 - w) as u64, 10));
        }
        _ => {
            row[T_ABOVE] = F::ONE;
            limbs.push((A_LO, A_HI, (w - heap) as u64, 14));
        }
    }
    Some((trap, checks))
}

/// Fills the row of a jump to `target` (bit 0 cleared: a `jalr`'s, or the code's end
/// when falling off it) that isn't an instruction of code `code_size` bytes long; None
/// if it is one, or the return address.
pub fn jump_row<F: Field>(row: &mut [F], target: u32, code_size: u32) -> Option<Checks> {
    use rivet_vm::memory_map::{CODE_BASE, RETURN_ADDRESS};
    if target & 1 != 0 || target == RETURN_ADDRESS {
        return None;
    }
    row[IS_JUMP] = F::ONE;
    let q = ACCESS.fill(row, None, target);
    let top = target >> 24;
    let low = target & 0xff_ffff;
    let byte = |i: u32| (target >> (8 * i)) & 0xff;
    let mut checks = Checks { u16s: alloc::vec![q], pairs: alloc::vec![(byte(0), byte(1)), (byte(2), byte(3))], limbs: Vec::new() };
    if target & 2 != 0 {
        row[J_MIS] = F::ONE;
    } else if top != CODE_BASE >> 24 {
        row[J_OUT] = F::ONE;
        row[INV_TOP] = (F::from_u32(top) - F::from_u32(CODE_BASE >> 24)).try_inverse()?;
        let sq = ra_distance::<F>(target);
        row[SQ] = sq;
        row[INV_RA] = sq.try_inverse()?;
    } else if low >= code_size {
        row[J_END] = F::ONE;
        checks.limbs.push((B_LO, B_HI, (low - code_size) as u64, 10));
    } else {
        return None;
    }
    Some(checks)
}

/// Fills the ending row of a run out of gas: the instruction after the last step, at
/// `pc` (entered by a transfer or not), would be charged `cost` (its entry cost, a block
/// start or not) with `gas` left. None if that isn't a charge `gas` can't pay.
pub fn out_of_gas_row<F: Field>(row: &mut [F], pc: u32, gas: u64, transfer: bool, cost: u32, block_start: bool) -> Option<Checks> {
    if gas >= cost as u64 || !(transfer || block_start) {
        return None;
    }
    row[IS_OOG] = F::ONE;
    row[PC] = F::from_u32(pc);
    row[COST_LO] = F::from_u32(cost & 0xffff);
    row[COST_HI] = F::from_u32(cost >> 16);
    row[BLOCK_START] = F::from_bool(block_start);
    row[OOG_BORROW] = F::from_bool((cost & 0xffff) as u64 <= (gas & 0xffff));
    Some(Checks { u16s: Vec::new(), pairs: Vec::new(), limbs: alloc::vec![(OOG_LO, OOG_HI, cost as u64 - gas - 1, 11)] })
}

/// Sum of the squared byte differences from the return address: zero only there.
fn ra_distance<F: Field>(target: u32) -> F {
    let ra = rivet_vm::memory_map::RETURN_ADDRESS;
    (0..4)
        .map(|i| {
            let d = F::from_u32((target >> (8 * i)) & 0xff) - F::from_u32((ra >> (8 * i)) & 0xff);
            d * d
        })
        .sum()
}

impl TrapChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let r = main.current_slice();
        let pv: Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        let e = |v: AB::Var| -> AB::Expr { v.into() };
        let c = |x: u32| AB::Expr::from_u32(x);

        // The address: bytes (the CPU's, range-checked there).
        builder.assert_bool(r[IS_JUMP]);
        let jump = e(r[IS_JUMP]);
        let AccessExprs { real: memory, kind: kind_code, loads, stores, misaligned, word } =
            ACCESS.eval(builder, r, |memory| memory + jump.clone());
        builder.assert_bool(r[IS_OOG]);
        let oog = e(r[IS_OOG]);
        builder.assert_bool(memory.clone() + jump.clone() + oog.clone());

        // Memory: exactly one reason, in SPEC.md's order (misaligned first).
        let reasons = [T_MIS, T_BELOW, T_ABOVE, T_RO];
        for f in reasons {
            builder.assert_bool(r[f]);
        }
        builder.assert_eq(reasons.iter().fold(AB::Expr::ZERO, |acc, &f| acc + e(r[f])), memory.clone());
        builder.assert_zero(e(r[T_MIS]) * (AB::Expr::ONE - misaligned.clone()));
        builder.assert_zero((AB::Expr::ONE - e(r[T_MIS])) * misaligned);
        builder.assert_zero(e(r[T_RO]) * (AB::Expr::ONE - stores.clone()));
        let (sb, rb, re) = (pv[public::STACK_BOTTOM].clone(), pv[public::RO_BASE].clone(), pv[public::RO_END].clone());
        // At or above the heap top: word - heap in 30 bits (a word is below 2^30; the
        // heap top below 2^26, so a negative difference is a field element above 2^30).
        limbs_below(builder, word.clone() - e(r[HEAP]), r[A_LO], r[A_HI], 14, e(r[T_ABOVE]));
        // Below the stack, at or above the read-only base, or (jumps) at or past the
        // code's end: in 26 bits (every bound is below 2^26).
        let low24 = e(r[ADDR]) + e(r[ADDR + 1]) * c(1 << 8) + e(r[ADDR + 2]) * c(1 << 16);
        let b_value = e(r[T_BELOW]) * (sb - AB::Expr::ONE - word.clone())
            + e(r[T_RO]) * (word.clone() - rb)
            + e(r[J_END]) * (low24 - pv[public::CODE_SIZE].clone());
        limbs_below(builder, b_value, r[B_LO], r[B_HI], 10, e(r[T_BELOW]) + e(r[T_RO]) + e(r[J_END]));
        limbs_below(builder, re - AB::Expr::ONE - word, r[C_LO], r[C_HI], 10, e(r[T_RO]));
        let faults = e(r[T_BELOW]) + e(r[T_ABOVE]);
        let trap = e(r[T_MIS]) * c(code::MISALIGNED)
            + faults * (loads * c(code::LOAD_FAULT) + stores * c(code::STORE_FAULT))
            + e(r[T_RO]) * c(code::READ_ONLY_WRITE);
        builder.assert_eq(r[CODE], trap);

        // Jumps: the next pc after the last step, in range-checked bytes; the first
        // row exactly when the run trapped so. (Another row marked so would only check
        // the same public pc again.)
        builder.when_first_row().assert_eq(r[IS_JUMP], pv[public::JUMP_TRAPPED].clone());
        let target = (0..4).fold(AB::Expr::ZERO, |acc, i| acc + e(r[ADDR + i]) * c(1 << (8 * i)));
        builder.assert_zero(jump.clone() * (target - pv[public::END_PC].clone()));
        byte_pair(builder, [r[ADDR], r[ADDR + 1]], jump.clone());
        byte_pair(builder, [r[ADDR + 2], r[ADDR + 3]], jump.clone());
        // Jumps: exactly one reason.
        let jumps = [J_MIS, J_OUT, J_END];
        for f in jumps {
            builder.assert_bool(r[f]);
        }
        builder.assert_eq(jumps.iter().fold(AB::Expr::ZERO, |acc, &f| acc + e(r[f])), jump.clone());
        // Not 4-byte aligned (bit 0 is clear, so the offset is 0 or 2).
        builder.assert_zero(e(r[J_MIS]) * (AB::Expr::ONE - e(r[O + 2])));
        // Outside the code: the top byte isn't the code's, and it isn't the return
        // address (its squared byte distance, below 2^18, is nonzero).
        let code_top = c(rivet_vm::memory_map::CODE_BASE >> 24);
        builder.assert_zero(e(r[J_OUT]) * ((e(r[ADDR + 3]) - code_top.clone()) * e(r[INV_TOP]) - AB::Expr::ONE));
        let ra = rivet_vm::memory_map::RETURN_ADDRESS;
        let distance = (0..4).fold(AB::Expr::ZERO, |acc, i| {
            let d = e(r[ADDR + i]) - c((ra >> (8 * i)) & 0xff);
            acc + d.clone() * d
        });
        builder.assert_zero(e(r[J_OUT]) * (e(r[SQ]) - distance));
        builder.assert_zero(e(r[J_OUT]) * (e(r[SQ]) * e(r[INV_RA]) - AB::Expr::ONE));
        // Past the end: the code's top byte, and the low 24 bits at least the code
        // size (checked above).
        builder.assert_zero(e(r[J_END]) * (e(r[ADDR + 3]) - code_top));

        let mut fields = alloc::vec![kind_code];
        fields.extend((0..8).map(|i| e(r[ADDR + i])));
        fields.push(e(r[CLK]));
        fields.push(e(r[HEAP]));
        fields.push(e(r[CODE]));
        builder.push_interaction(buses::MEMOP, fields, bool_count(memory));

        // Out of gas: the first row, exactly when the run ran out (public). (Another
        // row marked so would only check the same public state again.)
        builder.when_first_row().assert_eq(r[IS_OOG], pv[public::OUT_OF_GAS].clone());
        // The next instruction's entry cost, charged since it is a block start or
        // entered by a transfer.
        builder.assert_zero(oog.clone() * (e(r[PC]) - pv[public::END_PC].clone()));
        let cost = [e(r[PC]), e(r[COST_LO]), e(r[COST_HI]), e(r[BLOCK_START])];
        builder.push_interaction(buses::COST, cost, bool_count(-oog.clone()));
        let (bs, t) = (e(r[BLOCK_START]), pv[public::END_TRANSFER].clone());
        builder.assert_zero(oog.clone() * (AB::Expr::ONE - (bs.clone() + t.clone() - bs * t)));
        // cost - gas - 1 >= 0, limb by limb with a borrow. (Not as one sum: gas below
        // 2^32 can exceed the field's size, and gas just above it would read as a few
        // units, so a run with plenty left could claim to be out. Per limb, every term
        // is a small integer; a negative high limb can't pass its check.)
        let gas = |i: usize| pv[public::END_GAS + i].clone();
        builder.assert_zero(oog.clone() * gas(2));
        builder.assert_bool(r[OOG_BORROW]);
        let borrow = e(r[OOG_BORROW]);
        let lo = e(r[COST_LO]) - gas(0) - AB::Expr::ONE + borrow.clone() * c(1 << 16);
        builder.assert_zero(oog.clone() * (e(r[OOG_LO]) - lo));
        builder.assert_zero(oog.clone() * (e(r[OOG_HI]) - (e(r[COST_HI]) - gas(1) - borrow)));
        limb_checks(builder, r[OOG_LO], r[OOG_HI], 11, oog);
    }
}
