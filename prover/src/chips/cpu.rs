//! The CPU table: one row per executed instruction, in order, then padding.
//!
//! Each real row takes its instruction from the program table (so `pc` is in the
//! code and the decoded fields are the committed ones), reads rs1 and rs2 and writes
//! rd over the `REGISTERS` bus at timestamps `8·clk + 1..3` (each access proves the
//! previous one was earlier), asks the ALU tables for its result, checks the next
//! `pc`, and charges gas as SPEC.md §6 says: `entry_cost` whenever control enters an
//! instruction other than by falling through inside a block.

use p3_air::{AirBuilder, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_lookup::{Count, InteractionBuilder};

use crate::buses;
pub use crate::chips::program::decoded::{self, *};
use crate::chips::{bool_count, limbs_below, u16_check};
use crate::columns::columns;

columns!(@acc decoded::WIDTH;
    RS1_VAL[4], RS2_VAL[4], RD_OLD[4], RD_VAL[4], RES[4],
    PREV_TS[3], TS_LO[3], TS_HI[3],
    HALF0, BIT0, HALT, END, NEXT_PC,
    // Gas and heap top for the next step: after a host call, what the host left (the
    // transcript says); otherwise GAS_AFTER and HEAP.
    NEXT_GAS[3], NEXT_HEAP, HEAP,
    // The run ends out of gas after this row: the trap table's ending row shows the
    // next entry (the state after this row, public) can't be paid.
    OOG,
    CHARGE, GAS[3], GAS_AFTER[3], GAS_BORROW[2],
    MTRAP, TCODE, JTRAP, FALLOFF,
    CLK,
    // Whether control entered this row by a transfer (a jump, branch or host call
    // before it, or the call's start): with BLOCK_START, whether the row is charged.
    T_IN,
    // 1 on a step, 0 on padding: the sum of the family flags, kept as a column
    // because a dozen lookups count by it and Plonky3 evaluates a lookup's count
    // expression node by node for every row (a column is one node, the sum 21).
    REAL,
);

/// Public values: the ending (returned, ended by the host, trapped, the trap's code
/// (`chips::trap::code`), out of gas), the code's end (from the program), whether
/// this table is the execution's last segment, and the state the segment starts in
/// and the one after its last step (`State`: the first segment's start is the call's,
/// the last one's end has the gas left; each other end is the next segment's start).
pub mod public {
    use crate::columns::columns;
    columns! { RETURNED, HOST_ENDED, TRAPPED, TRAP_CODE, OUT_OF_GAS, CODE_END, LAST_SEGMENT, START[7], END[7] }
}

/// The state between two steps, what a CPU segment starts in and hands on: the
/// clock, the pc, the gas left, the heap top (in words) and whether a transfer (a
/// jump, branch or host call, or the call's start) enters the instruction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub clk: u64,
    pub pc: u32,
    pub gas: u64,
    pub heap: u32,
    pub transfer: bool,
}

/// Gas as the AIR holds it: three 16-bit limbs, low first (a statement's gas limit is
/// below 2^48, `Statement::is_well_formed`).
pub fn gas_limbs(gas: u64) -> [u32; 3] {
    [0, 1, 2].map(|i| ((gas >> (16 * i)) & 0xffff) as u32)
}

impl State {
    /// As public values: clk, pc, gas in three 16-bit limbs, heap top, transfer.
    pub fn values<F: PrimeCharacteristicRing>(&self) -> [F; 7] {
        let [g0, g1, g2] = gas_limbs(self.gas).map(F::from_u32);
        [F::from_u64(self.clk), F::from_u32(self.pc), g0, g1, g2, F::from_u32(self.heap), F::from_bool(self.transfer)]
    }

    /// The state a CPU row starts in.
    pub fn before<F: p3_field::PrimeField32>(row: &[F]) -> State {
        let u = |i: usize| row[i].as_canonical_u32();
        let gas = (0..3).map(|i| (u(GAS + i) as u64) << (16 * i)).sum();
        State { clk: u(CLK) as u64, pc: u(PC), gas, heap: u(HEAP), transfer: u(T_IN) == 1 }
    }

    /// The state a CPU row hands on.
    pub fn after<F: p3_field::PrimeField32>(row: &[F]) -> State {
        let u = |i: usize| row[i].as_canonical_u32();
        let gas = (0..3).map(|i| (u(NEXT_GAS + i) as u64) << (16 * i)).sum();
        let transfer = [F_BRANCH, F_JAL, F_JALR, F_ECALL].iter().any(|&f| u(f) == 1);
        State { clk: u(CLK) as u64 + 1, pc: u(NEXT_PC), gas, heap: u(NEXT_HEAP), transfer }
    }
}

/// Register accesses per row: rs1, rs2, rd.
pub const ACCESSES: usize = 3;

/// Whether a CPU row is a step, not padding.
pub fn real<F: PrimeCharacteristicRing + PartialEq>(row: &[F]) -> bool {
    decoded::FLAGS.iter().any(|&f| row[f] == F::ONE)
}

#[derive(Clone, Debug)]
pub struct CpuChip;

impl CpuChip {
    pub fn eval<AB: InteractionBuilder>(&self, builder: &mut AB) {
        let main = builder.main();
        let (r, n) = (main.current_slice(), main.next_slice());
        let pv: alloc::vec::Vec<AB::Expr> = builder.public_values().iter().map(|&v| v.into()).collect();
        let c = |x: u32| AB::Expr::from_u32(x);
        let e = |v: AB::Var| -> AB::Expr { v.into() };

        let sum = |row: &[AB::Var], cols: &[usize]| cols.iter().fold(AB::Expr::ZERO, |acc, &i| acc + row[i].into());
        for f in decoded::FLAGS {
            builder.assert_bool(r[f]);
        }
        builder.assert_eq(r[REAL], sum(r, &decoded::FLAGS));
        builder.assert_bool(r[REAL]);
        let (real, next_real) = (e(r[REAL]), e(n[REAL]));
        let alu = e(r[F_ALU_R]) + e(r[F_ALU_I]);
        let statics = e(r[F_LUI]) + e(r[F_AUIPC]) + e(r[F_JAL]) + e(r[F_JALR]);
        let transfer = e(r[F_BRANCH]) + e(r[F_JAL]) + e(r[F_JALR]) + e(r[F_ECALL]);

        // An execution's rows may span several tables (segments, so that each is a
        // power of two with little padding), each but the last all real rows. Each
        // starts in the public state START and hands on END, the next one's START (the
        // verifier lays them out so: public values, not a lookup in every row, since
        // one row of a segment uses them). The verifier says which table is last.
        let last_segment = pv[public::LAST_SEGMENT].clone();
        {
            let mut b = builder.when_first_row();
            b.assert_one(real.clone());
            for (k, col) in [CLK, PC, GAS, GAS + 1, GAS + 2, HEAP, T_IN].into_iter().enumerate() {
                b.assert_eq(r[col], pv[public::START + k].clone());
            }
        }
        // Real rows come first; the last segment's last row is padding, the other
        // segments have no padding.
        builder.when_transition().assert_zero(next_real.clone() * (AB::Expr::ONE - real.clone()));
        builder.when_last_row().assert_zero(last_segment.clone() * real.clone());
        builder.assert_zero((AB::Expr::ONE - last_segment.clone()) * (AB::Expr::ONE - real.clone()));
        builder.when_transition().assert_eq(n[CLK], e(r[CLK]) + AB::Expr::ONE);

        // Fetch: the decoded instruction at pc, from the committed program.
        let fetched: alloc::vec::Vec<AB::Expr> = (0..decoded::WIDTH).map(|i| r[i].into()).collect();
        builder.push_interaction(buses::PROGRAM, fetched, bool_count(-real.clone()));

        // Registers: rs1, rs2 always read (x0 when unused), rd written if the
        // instruction writes a register other than x0 (so x0 stays zero).
        let ts = |k: u32| e(r[CLK]) * c(8) + c(k + 1);
        let accesses =
            [(RS1, RS1_VAL, RS1_VAL, real.clone()), (RS2, RS2_VAL, RS2_VAL, real.clone()), (RD, RD_OLD, RD_VAL, e(r[WRITES_RD]))];
        for (k, (reg, old, new, count)) in accesses.into_iter().enumerate() {
            let now = ts(k as u32);
            let prev = r[PREV_TS + k];
            let value = |at: usize| -> [AB::Expr; 4] { core::array::from_fn(|i| r[at + i].into()) };
            let [o0, o1, o2, o3] = value(old);
            builder.push_interaction(buses::REGISTERS, [e(r[reg]), o0, o1, o2, o3, e(prev)], bool_count(-count.clone()));
            let [v0, v1, v2, v3] = value(new);
            builder.push_interaction(buses::REGISTERS, [e(r[reg]), v0, v1, v2, v3, now.clone()], bool_count(count.clone()));
            // prev < now: now - prev - 1 < 2^27.
            limbs_below(builder, now - e(prev) - AB::Expr::ONE, r[TS_LO + k], r[TS_HI + k], 11, count);
        }

        // What rd gets: the ALU's result, or the decoded static value (a load's
        // value comes from the memory table below); a trapping load or jump leaves rd
        // as it was.
        let (mtrap, jtrap, falloff) = (e(r[MTRAP]), e(r[JTRAP]), e(r[FALLOFF]));
        for i in 0..4 {
            let value = alu.clone() * e(r[RES + i]) + statics.clone() * e(r[STATIC + i]);
            builder.assert_zero((AB::Expr::ONE - e(r[F_LOAD]) - jtrap.clone()) * (e(r[RD_VAL + i]) - value));
            builder.assert_zero((mtrap.clone() + jtrap.clone()) * (e(r[RD_VAL + i]) - e(r[RD_OLD + i])));
        }
        // Loads and stores: the address is rs1 + imm (the ALU's result); the memory
        // table answers with the loaded value or takes rs2.
        let memory = e(r[F_LOAD]) + e(r[F_STORE]);
        let mut mem_fields = alloc::vec![e(r[MEM_KIND])];
        mem_fields.extend((0..4).map(|i| e(r[RES + i])));
        // The value: a load's rd, a store's rs2. A load's rs2 is x0 (decoded so),
        // which reads 0, and a store's rd value is 0 (constrained above), so their
        // sum is the value without selecting (fewer expression nodes per row).
        mem_fields.extend((0..4).map(|i| e(r[RD_VAL + i]) + e(r[RS2_VAL + i])));
        mem_fields.push(e(r[CLK]));
        mem_fields.push(e(r[HEAP]));
        // The trap code: 0 for an access that happens; a trapping one (MTRAP, which
        // ends the run) carries the public trap code, so only the trap table answers.
        mem_fields.push(e(r[TCODE]));
        builder.push_interaction(buses::MEMOP, mem_fields, bool_count(-memory.clone()));
        builder.assert_bool(r[MTRAP]);
        builder.assert_zero(mtrap.clone() * (AB::Expr::ONE - memory.clone()));
        builder.assert_zero((AB::Expr::ONE - mtrap.clone()) * e(r[TCODE]));
        builder.assert_zero(mtrap.clone() * (e(r[TCODE]) - pv[public::TRAP_CODE].clone()));

        // The ALU: (op, rs1, rs2 or the immediate, result). Register forms and
        // branches have a zero immediate, immediate forms, jalr and loads have rs2 =
        // x0 (which reads 0; `program::decode` guarantees both), so the operand is
        // the sum, except for a store, whose rs2 is the value stored.
        let mut alu_fields = alloc::vec![e(r[ALU_OP])];
        alu_fields.extend((0..4).map(|i| e(r[RS1_VAL + i])));
        alu_fields.extend((0..4).map(|i| e(r[IMM + i]) + (AB::Expr::ONE - e(r[F_STORE])) * e(r[RS2_VAL + i])));
        alu_fields.extend((0..4).map(|i| e(r[RES + i])));
        let asks_alu = alu.clone() + e(r[F_BRANCH]) + e(r[F_JALR]) + memory.clone();
        builder.push_interaction(buses::ALU, alu_fields, Count::bounded(-asks_alu, 1));

        // jalr: target = (rs1 + imm) & !1; RETURN_ADDRESS halts, anything else must
        // be in the code (its top byte is 0x10), so the field value can't wrap.
        builder.assert_bool(r[BIT0]);
        builder.assert_bool(r[HALT]);
        builder.assert_zero(e(r[F_JALR]) * (e(r[RES]) - e(r[HALF0]) * c(2) - e(r[BIT0])));
        // An integer (not the scaled check `256·half0 < 2^16`, which an odd sum over 2
        // passes), so bit 0 is the sum's: half0 <= 127 since the sum is a byte.
        u16_check(builder, e(r[HALF0]), e(r[F_JALR]));
        builder.assert_zero(e(r[HALT]) * (AB::Expr::ONE - e(r[F_JALR])));
        builder.assert_zero(e(r[HALT]) * e(r[HALF0]));
        builder.assert_zero(e(r[HALT]) * e(r[RES + 1]));
        builder.assert_zero(e(r[HALT]) * (e(r[RES + 2]) - c(0xff)));
        builder.assert_zero(e(r[HALT]) * (e(r[RES + 3]) - c(0xff)));
        builder.assert_zero(e(r[F_JALR]) * (AB::Expr::ONE - e(r[HALT]) - jtrap.clone()) * (e(r[RES + 3]) - c(0x10)));
        // A trapping jalr: the trap table shows its target (the next pc, public as
        // the end state's) isn't an instruction.
        builder.assert_bool(r[JTRAP]);
        builder.assert_zero(jtrap.clone() * (AB::Expr::ONE - e(r[F_JALR])));
        let jalr_target = e(r[HALF0]) * c(2) + e(r[RES + 1]) * c(1 << 8) + e(r[RES + 2]) * c(1 << 16) + e(r[RES + 3]) * c(1 << 24);

        // The next pc: sequential, a taken branch's or jal's static target, jalr's.
        let seq = alu.clone() + e(r[F_LUI]) + e(r[F_AUIPC]) + memory + e(r[F_ECALL]);
        // Code addresses are far below the field's size, so pc + 4 never wraps.
        let pc4 = e(r[PC]) + c(4);
        let branch_next = pc4.clone() + e(r[RES]) * (e(r[TARGET]) - pc4.clone());
        builder.assert_eq(r[NEXT_PC], seq * pc4 + e(r[F_BRANCH]) * branch_next + e(r[F_JAL]) * e(r[TARGET]) + e(r[F_JALR]) * jalr_target);
        builder.when_transition().assert_zero(next_real.clone() * (e(n[PC]) - e(r[NEXT_PC])));
        // Falling off the end of the code (not by a jalr: a jalr that traps doesn't
        // write rd, and shows its target is bad above).
        builder.assert_bool(r[FALLOFF]);
        builder.assert_zero(falloff.clone() * e(r[F_JALR]));
        builder.assert_zero(falloff.clone() * (e(r[NEXT_PC]) - pv[public::CODE_END].clone()));
        // The run ends exactly at a halting jalr, at the host call the host ended, or
        // at a trapping instruction; which of them, and the trap, are public.
        builder.assert_bool(r[END]);
        builder.assert_zero(e(r[END]) * (AB::Expr::ONE - e(r[F_ECALL])));
        builder.assert_bool(r[OOG]);
        let traps = e(r[F_TRAP]) + mtrap.clone() + jtrap.clone() + falloff.clone();
        let ends = e(r[HALT]) + e(r[END]) + traps.clone() + e(r[OOG]);
        let last = real.clone() - next_real.clone();
        builder.when_transition().assert_zero(last.clone() * (AB::Expr::ONE - ends.clone()));
        builder.when_transition().assert_zero(ends.clone() * next_real.clone());
        // A segment another continues doesn't end the run.
        builder.when_last_row().assert_zero((AB::Expr::ONE - last_segment.clone()) * ends);
        builder.when_transition().assert_zero(last.clone() * (e(r[HALT]) - pv[public::RETURNED].clone()));
        builder.when_transition().assert_zero(last.clone() * (e(r[END]) - pv[public::HOST_ENDED].clone()));
        builder.when_transition().assert_zero(last.clone() * (traps - pv[public::TRAPPED].clone()));
        builder.when_transition().assert_zero(last * (e(r[OOG]) - pv[public::OUT_OF_GAS].clone()));
        builder.assert_zero(e(r[F_TRAP]) * (e(r[ALU_OP]) - pv[public::TRAP_CODE].clone()));
        let invalid_jump = c(crate::chips::trap::code::INVALID_JUMP);
        builder.assert_zero((jtrap + falloff) * (pv[public::TRAP_CODE].clone() - invalid_jump));

        // Host calls: the transcript's row for this step gives t0 (read above as
        // rs1), the gas and heap top after the call, and whether the run ended. (On
        // MEMOP, laid out as an access is: `chips::host::answer`.)
        let next_gas = [0, 1, 2].map(|i| e(r[NEXT_GAS + i]));
        let host = crate::chips::host::answer(e(r[CLK]), [0, 1, 2, 3].map(|i| e(r[RS1_VAL + i])), next_gas, e(r[NEXT_HEAP]), e(r[END]));
        builder.push_interaction(buses::MEMOP, host, bool_count(-e(r[F_ECALL])));
        let ecall = e(r[F_ECALL]);
        builder.assert_zero((AB::Expr::ONE - ecall.clone()) * (e(r[NEXT_HEAP]) - e(r[HEAP])));
        let heap_next = e(r[NEXT_HEAP]);
        builder.when_transition().assert_zero(next_real.clone() * (e(n[HEAP]) - heap_next.clone()));

        // Gas: charged on entering a block start or after a jump, branch or host call.
        builder.assert_bool(r[CHARGE]);
        let (bs, t_in) = (e(r[BLOCK_START]), e(r[T_IN]));
        builder.assert_zero(real.clone() * (e(r[CHARGE]) - (bs.clone() + t_in.clone() - bs * t_in)));
        builder.when_transition().assert_zero(next_real.clone() * (e(n[T_IN]) - transfer.clone()));
        let mut gas_next: alloc::vec::Vec<AB::Expr> = alloc::vec::Vec::new();
        // gas_after = gas - charge·cost in 16-bit limbs, never below zero.
        let borrow = |i: usize| e(r[GAS_BORROW + i]);
        builder.assert_bool(r[GAS_BORROW]);
        builder.assert_bool(r[GAS_BORROW + 1]);
        let charge = e(r[CHARGE]);
        let limb0 = e(r[GAS]) - charge.clone() * e(r[COST_LO]) + borrow(0) * c(1 << 16);
        let limb1 = e(r[GAS + 1]) - charge * e(r[COST_HI]) - borrow(0) + borrow(1) * c(1 << 16);
        let limb2 = e(r[GAS + 2]) - borrow(1);
        for (i, limb) in [limb0, limb1, limb2].into_iter().enumerate() {
            builder.assert_zero(real.clone() * (e(r[GAS_AFTER + i]) - limb));
            u16_check(builder, e(r[GAS_AFTER + i]), real.clone());
            // After a host call, what the host left.
            builder.assert_zero((AB::Expr::ONE - ecall.clone()) * (e(r[NEXT_GAS + i]) - e(r[GAS_AFTER + i])));
            let continues = e(r[NEXT_GAS + i]);
            builder.when_transition().assert_zero(next_real.clone() * (e(n[GAS + i]) - continues.clone()));
            gas_next.push(continues);
        }
        // Out of gas: the trap table's ending row shows the entry the state after this
        // row (the last segment's public END: the next pc, the gas left, whether a
        // transfer enters it) would be charged costs more than is left.
        builder.assert_zero(e(r[OOG]) * (AB::Expr::ONE - real.clone()));

        // The state after the segment: after its last row where another segment
        // continues it, after its last real row (a padding row follows) in the last.
        let [g0, g1, g2] = [0, 1, 2].map(|i| gas_next[i].clone());
        let after = [e(r[CLK]) + AB::Expr::ONE, e(r[NEXT_PC]), g0, g1, g2, heap_next, transfer];
        for (k, x) in after.into_iter().enumerate() {
            let x = x - pv[public::END + k].clone();
            builder.when_last_row().assert_zero((AB::Expr::ONE - last_segment.clone()) * x.clone());
            builder.when_transition().assert_zero((real.clone() - next_real.clone()) * x);
        }
    }
}
