//! Honest proofs verify and state what the interpreter computed; wrong statements,
//! other programs, garbled proof bytes and tampered traces are rejected.

use std::sync::Arc;

use p3_field::PrimeCharacteristicRing;
use rivet_prover::chips::{cpu, index, registers, trap};
use rivet_prover::config::Val;
use rivet_prover::{prove, prove_witness, samples, verify, witness, Statement, VerifyError};
use rivet_vm::isa::{encode::encode, Instruction as I};
use rivet_vm::{BlobBuilder, GuestInstance, Interrupt, Reg};

const GAS: u64 = 1_000_000;

fn program(n: i32) -> Vec<u8> {
    samples::mixed(n)
}

/// What the interpreter says: a0, a1 and gas left.
fn interpret(blob: &[u8], entry: &str) -> (u32, u32, u64) {
    let p = Arc::new(rivet_vm::parse(blob, &Default::default()).unwrap());
    let mut i = rivet_vm::Instance::new(Arc::new(rivet_vm::Module::new(p)));
    i.prepare_call(entry, GAS).unwrap();
    assert_eq!(i.run(), Interrupt::Finished);
    (i.reg(Reg::A0), i.reg(Reg::A1), i.gas_left())
}

#[test]
fn an_honest_proof_verifies_and_states_what_the_interpreter_computed() {
    let blob = program(20);
    let proved = prove(&blob, "call", GAS, |_| {}).expect("provable");
    let (a0, a1, gas_left) = interpret(&blob, "call");
    assert_eq!((proved.statement.a0, proved.statement.a1, proved.statement.gas_left), (a0, a1, gas_left));
    assert_eq!(a0, 6765); // fib(20)
    assert!(proved.steps > 100);
    verify(&blob, &proved.statement, &proved.proof).expect("the honest proof verifies");

    // The same proof doesn't prove anything else.
    let wrong = |f: fn(&mut Statement)| {
        let mut s = proved.statement.clone();
        f(&mut s);
        verify(&blob, &s, &proved.proof).expect_err("a wrong statement must be rejected")
    };
    assert!(matches!(wrong(|s| s.a0 += 1), VerifyError::Rejected(_)));
    assert!(matches!(wrong(|s| s.a1 ^= 1 << 31), VerifyError::Rejected(_)));
    assert!(matches!(wrong(|s| s.gas_left -= 1), VerifyError::Rejected(_)));
    assert!(matches!(wrong(|s| s.gas_limit += 1), VerifyError::Rejected(_)));
    assert!(matches!(wrong(|s| s.entry += 4), VerifyError::NoSuchEntry(_)));
    assert!(matches!(wrong(|s| s.code_hash[0] ^= 1), VerifyError::CodeHashMismatch));
    assert!(matches!(wrong(|s| s.gas_left = s.gas_limit + 1), VerifyError::BadStatement));
    // The other entry point is an entry, but not where this execution started.
    let other_pc = rivet_vm::parse(&blob, &Default::default()).unwrap().entry_point("other").unwrap();
    let mut s = proved.statement.clone();
    s.entry = other_pc;
    assert!(matches!(verify(&blob, &s, &proved.proof), Err(VerifyError::Rejected(_))));

    // Another program's commitment: a program that computes fib(21) instead.
    let other = program(21);
    let mut s = proved.statement.clone();
    s.code_hash = rivet_prover::code_hash(&other);
    assert!(matches!(verify(&other, &s, &proved.proof), Err(VerifyError::Rejected(_))));
}

#[test]
fn loads_stores_shifts_multiplications_and_divisions_prove() {
    for (name, blob) in [("memory", samples::memory()), ("bubble sort", samples::bubble_sort(24)), ("arithmetic", samples::arithmetic())] {
        let proved = prove(&blob, "call", GAS, |_| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (a0, a1, gas_left) = interpret(&blob, "call");
        assert_eq!((proved.statement.a0, proved.statement.a1, proved.statement.gas_left), (a0, a1, gas_left), "{name}");
        verify(&blob, &proved.statement, &proved.proof).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut s = proved.statement.clone();
        s.a1 ^= 4;
        assert!(verify(&blob, &s, &proved.proof).is_err(), "{name}");
    }
}

#[test]
fn runs_that_end_in_ebreak_or_unimp_prove_their_trap() {
    use rivet_prover::Ending;
    for (word, ending) in [(encode(I::Ebreak), Ending::Ebreak), (encode(I::Unimp), Ending::Unimp)] {
        let mut b = BlobBuilder::new();
        b.stack_size = 4096;
        let add = encode(I::OpImm { op: rivet_vm::isa::AluOp::Add, rd: Reg::A0, rs1: Reg::ZERO, imm: 5 });
        b.code_words(&[add, word, encode(I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 })]).entry("call", 0);
        let blob = b.to_bytes();
        let proved = prove(&blob, "call", GAS, |_| {}).unwrap();
        assert_eq!((proved.statement.ending, proved.statement.a0, proved.statement.gas_used()), (ending, 5, 2));
        verify(&blob, &proved.statement, &proved.proof).unwrap();
        for other in [Ending::Returned, Ending::EndedByHost, Ending::Ebreak, Ending::Unimp] {
            if other != ending {
                let mut s = proved.statement.clone();
                s.ending = other;
                assert!(verify(&blob, &s, &proved.proof).is_err(), "{ending:?} proven as {other:?}");
            }
        }
    }
}

#[test]
fn running_out_of_gas_proves_the_next_block_was_unaffordable() {
    use rivet_prover::Ending;
    let blob = program(1000);
    let full = prove(&blob, "call", GAS, |_| {}).unwrap().statement.gas_used();
    for limit in [7, 100, full / 2, full - 1] {
        let proved = prove(&blob, "call", limit, |_| {}).unwrap_or_else(|e| panic!("gas {limit}: {e}"));
        assert_eq!(proved.statement.ending, Ending::OutOfGas, "gas {limit}");
        assert!(proved.statement.gas_left < 30, "gas {limit}: {} left", proved.statement.gas_left);
        verify(&blob, &proved.statement, &proved.proof).unwrap_or_else(|e| panic!("gas {limit}: {e}"));
        let mut s = proved.statement.clone();
        s.ending = Ending::Returned;
        assert!(verify(&blob, &s, &proved.proof).is_err(), "gas {limit}");
        let mut s = proved.statement.clone();
        s.gas_left += 1;
        assert!(verify(&blob, &s, &proved.proof).is_err(), "gas {limit}");
    }
}

/// A run out of gas, restated as one that had the field's size more gas throughout:
/// every step's gas limbs moved up by p, the statement's limit and what's left too.
/// Each limb equation still holds (the limbs are integers; only their sums wrap), and
/// `cost - left - 1` as one sum is the same field element as before (so the same
/// comparison columns satisfy a check of that sum); compared limb by limb, the high
/// limb of `cost - left - 1` is negative: the run would not have stopped there. Both
/// ways of filling the comparison columns are tried.
#[test]
fn out_of_gas_with_the_fields_size_more_gas_left_is_rejected() {
    use p3_field::PrimeField32;
    let blob = program(1000);
    let p = Val::ORDER_U32 as u64;
    let field_u64 = |v: Val| v.as_canonical_u32() as u64;
    for limbwise in [false, true] {
        let proved = prove_laid_out_with_gas(
            &blob,
            100,
            |_| {},
            |t, s| {
                assert_eq!(s.ending, rivet_prover::Ending::OutOfGas);
                s.gas_limit += p;
                s.gas_left += p;
                let w = t[index::CPU].width;
                for row in t[index::CPU].values.chunks_mut(w).filter(|r| cpu::real(r)) {
                    let limbs = |row: &[Val], at: usize| (0..3).map(|i| field_u64(row[at + i]) << (16 * i)).sum::<u64>();
                    let gas = limbs(row, cpu::GAS) + p;
                    let cost =
                        if row[cpu::CHARGE] == Val::ONE { field_u64(row[cpu::COST_LO]) | field_u64(row[cpu::COST_HI]) << 16 } else { 0 };
                    let after = gas - cost;
                    for i in 0..3 {
                        row[cpu::GAS + i] = Val::from_u64((gas >> (16 * i)) & 0xffff);
                        row[cpu::GAS_AFTER + i] = Val::from_u64((after >> (16 * i)) & 0xffff);
                        row[cpu::NEXT_GAS + i] = Val::from_u64((after >> (16 * i)) & 0xffff);
                    }
                    let borrow0 = (gas & 0xffff) < (cost & 0xffff);
                    let borrow1 = ((gas >> 16) & 0xffff) < (cost >> 16) + borrow0 as u64;
                    row[cpu::GAS_BORROW] = Val::from_bool(borrow0);
                    row[cpu::GAS_BORROW + 1] = Val::from_bool(borrow1);
                }
                if limbwise {
                    // The trap table's comparison made as well as it can be: the low limb
                    // right, the high one what is left (negative).
                    let after = s.gas_left;
                    let w = t[index::TRAP].width;
                    let row = t[index::TRAP].values.chunks_mut(w).find(|r| r[trap::IS_OOG] == Val::ONE).unwrap();
                    let (lo, hi) = (field_u64(row[trap::COST_LO]), field_u64(row[trap::COST_HI]));
                    let borrow = lo <= (after & 0xffff);
                    row[trap::OOG_BORROW] = Val::from_bool(borrow);
                    row[trap::OOG_LO] = Val::from_u64((lo + (borrow as u64) * 0x1_0000) - (after & 0xffff) - 1);
                    row[trap::OOG_HI] = Val::from_u64(hi) - Val::from_u64((after >> 16) & 0xffff) - Val::from_bool(borrow);
                }
            },
        );
        assert!(proved.is_some(), "the tampered trace should still prove");
        assert!(!matches!(proved, Some(Ok(()))), "accepted (limb by limb: {limbwise})");
    }
}

/// Out of gas is proven by the trap table's ending row, for the state after the last
/// step (public: the next pc and whether a transfer enters it from the proof, the gas
/// left from the statement). Without that row, without the last step marking the
/// end, or with the end state naming another next instruction (one the gas left can't
/// pay, the row's comparison filled in for it) or another way in, the proof is
/// rejected.
#[test]
fn out_of_gas_is_proven_for_the_state_the_last_step_leaves() {
    use p3_matrix::dense::RowMajorMatrix;
    let blob = program(1000);
    let ending_row = |t: &mut [RowMajorMatrix<Val>]| -> usize {
        let w = t[index::TRAP].width;
        t[index::TRAP].values.chunks(w).position(|r| r[trap::IS_OOG] == Val::ONE).expect("an ending row")
    };
    assert_eq!(prove_laid_out_with_gas(&blob, 100, |_| {}, |_, _| {}), Some(Ok(())));
    let no_row = prove_laid_out_with_gas(
        &blob,
        100,
        |_| {},
        |t, _| {
            let (row, w) = (ending_row(t), t[index::TRAP].width);
            t[index::TRAP].values[row * w..(row + 1) * w].fill(Val::ZERO);
        },
    );
    assert!(!matches!(no_row, Some(Ok(()))), "accepted without the ending row");
    let unmarked = prove_laid_out_with_gas(
        &blob,
        100,
        |_| {},
        |t, _| {
            let w = t[index::CPU].width;
            let last = t[index::CPU].values.chunks(w).filter(|r| cpu::real(r)).count() - 1;
            *cell(t, index::CPU, last, cpu::OOG) = Val::ZERO;
        },
    );
    assert!(!matches!(unmarked, Some(Ok(()))), "accepted without the last step marking the end");
    // Another block start the gas left can't pay either.
    let p = rivet_vm::parse(&blob, &Default::default()).unwrap();
    let program = rivet_prover::chips::program::ProgramChip::new(&p);
    let other_pc = prove_with_seams(
        &blob,
        100,
        |_| {},
        |t, s, seams| {
            let end = seams.last_mut().unwrap();
            let d = program
                .rows
                .iter()
                .find(|d| d.block_start && d.pc != end.pc && u64::from(d.entry_cost) > s.gas_left)
                .expect("another block");
            end.pc = d.pc;
            let row = ending_row(t);
            let (cost, gas) = (u64::from(d.entry_cost), s.gas_left);
            let diff = cost - gas - 1;
            *cell(t, index::TRAP, row, trap::COST_LO) = Val::from_u64(cost & 0xffff);
            *cell(t, index::TRAP, row, trap::COST_HI) = Val::from_u64(cost >> 16);
            *cell(t, index::TRAP, row, trap::BLOCK_START) = Val::ONE;
            *cell(t, index::TRAP, row, trap::OOG_BORROW) = Val::from_bool((cost & 0xffff) <= (gas & 0xffff));
            *cell(t, index::TRAP, row, trap::OOG_LO) = Val::from_u64(diff & 0xffff);
            *cell(t, index::TRAP, row, trap::OOG_HI) = Val::from_u64(diff >> 16);
        },
    );
    assert!(other_pc.is_some(), "the tampered trace should still prove");
    assert!(!matches!(other_pc, Some(Ok(()))), "accepted with another next instruction");
    let other_way_in = prove_with_seams(
        &blob,
        100,
        |_| {},
        |_, _, seams| {
            let end = seams.last_mut().unwrap();
            end.transfer = !end.transfer;
        },
    );
    assert!(!matches!(other_way_in, Some(Ok(()))), "accepted with another way into the next instruction");
}

#[test]
fn garbled_or_truncated_proof_bytes_are_errors_not_panics() {
    let blob = program(3);
    let proved = prove(&blob, "call", GAS, |_| {}).unwrap();
    let p = &proved.proof;
    let s = proved.statement.clone();
    for len in [0, 4, 5, 6, 100, p.len() / 2, p.len() - 1] {
        assert!(verify(&blob, &s, &p[..len]).is_err(), "truncated to {len}");
    }
    let mut longer = p.clone();
    longer.push(0);
    assert!(verify(&blob, &s, &longer).is_err());
    // Flip a bit at spread-out positions (header, lengths, commitments, openings).
    for k in 0..40 {
        let at = 4 + (k * 7919) % (p.len() - 4);
        let mut bad = p.clone();
        bad[at] ^= 1 << (k % 8);
        assert!(verify(&blob, &s, &bad).is_err(), "bit flip at {at} accepted");
    }
}

#[test]
fn executions_the_air_does_not_cover_yet_are_refused_clearly() {
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.code_words(&[encode(I::Ecall), encode(I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 })]).entry("call", 0);
    let e = prove(&b.to_bytes(), "call", GAS, |_| {}).err().expect("host calls need a host");
    assert!(e.to_string().contains("with a host"), "{e}");
    assert!(prove(b"not a blob", "call", GAS, |_| {}).is_err());
    assert!(prove(&program(1), "nope", GAS, |_| {}).is_err());
}

#[test]
fn running_out_of_gas_before_the_first_instruction_needs_no_stark() {
    use rivet_prover::Ending;
    let blob = program(3);
    let full = prove(&blob, "call", GAS, |_| {}).unwrap();
    let p = rivet_vm::parse(&blob, &Default::default()).unwrap();
    let entry_cost = u64::from(p.entry_cost(p.index_of_pc(full.statement.entry).unwrap()));
    for limit in [0, entry_cost - 1] {
        let proved = prove(&blob, "call", limit, |_| {}).unwrap();
        let s = &proved.statement;
        assert_eq!((proved.steps, s.ending, s.gas_left, s.a0, s.a1), (0, Ending::OutOfGas, limit, 0, 0));
        assert!(proved.proof.len() < 8, "no STARK: {} bytes", proved.proof.len());
        verify(&blob, s, &proved.proof).unwrap();
        let wrong = |f: &dyn Fn(&mut Statement)| {
            let mut s = proved.statement.clone();
            f(&mut s);
            verify(&blob, &s, &proved.proof).expect_err("a wrong statement must be rejected")
        };
        wrong(&|s| s.gas_limit = entry_cost);
        if limit > 0 {
            wrong(&|s| s.gas_left -= 1);
        }
        wrong(&|s| s.a0 = 1);
        wrong(&|s| s.ending = Ending::Returned);
        // What a real run states, with the nothing-ran bytes.
        assert!(verify(&blob, &full.statement, &proved.proof).is_err());
        let mut longer = proved.proof.clone();
        longer.push(0);
        assert!(verify(&blob, s, &longer).is_err());
    }
    // The other way round: a STARK doesn't prove that nothing ran.
    let nothing = prove(&blob, "call", 0, |_| {}).unwrap().statement;
    assert!(verify(&blob, &nothing, &full.proof).is_err());
}

/// `a0 = 5` as the code's only instruction: the run falls off its end.
fn falls_off_the_end() -> Vec<u8> {
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.code_words(&[encode(I::OpImm { op: rivet_vm::isa::AluOp::Add, rd: Reg::A0, rs1: Reg::ZERO, imm: 5 })]).entry("call", 0);
    b.to_bytes()
}

/// `a0 = 5`, then `code`, then a return; with `ro` as read-only data.
fn trapping(code: &[I], ro: &[u8]) -> Vec<u8> {
    let mut b = BlobBuilder::new();
    b.stack_size = 4096;
    b.ro_data = ro.to_vec();
    let mut words = vec![encode(I::OpImm { op: rivet_vm::isa::AluOp::Add, rd: Reg::A0, rs1: Reg::ZERO, imm: 5 })];
    words.extend(code.iter().map(|&i| encode(i)));
    words.push(encode(I::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 }));
    b.code_words(&words).entry("call", 0);
    b.to_bytes()
}

/// Every kind of memory and jump trap proves, with rd unwritten; the proof proves no
/// other ending.
#[test]
fn memory_and_jump_traps_prove_their_trap() {
    use rivet_prover::Ending as E;
    use rivet_vm::isa::{LoadKind, StoreKind};
    let load = |kind, rs1, offset| I::Load { kind, rd: Reg::A0, rs1, offset };
    let store = |kind, rs1, offset| I::Store { kind, rs1, rs2: Reg::A0, offset };
    let jalr = |rs1, offset| I::Jalr { rd: Reg::A0, rs1, offset };
    let pc_to_t0 = I::Auipc { rd: Reg::T0, imm: 0 };
    let cases: Vec<(&str, Vec<u8>, E)> = vec![
        ("misaligned word load", trapping(&[load(LoadKind::Word, Reg::SP, -2)], &[]), E::Misaligned),
        ("misaligned halfword store", trapping(&[store(StoreKind::Half, Reg::SP, -3)], &[]), E::Misaligned),
        ("misaligned and unmapped: misaligned first", trapping(&[load(LoadKind::HalfU, Reg::ZERO, 1)], &[]), E::Misaligned),
        ("load below the stack", trapping(&[load(LoadKind::Word, Reg::ZERO, 0)], &[]), E::LoadFault),
        ("byte load at the top of memory", trapping(&[load(LoadKind::Byte, Reg::ZERO, -1)], &[]), E::LoadFault),
        ("load at the heap top", trapping(&[load(LoadKind::Word, Reg::SP, 0)], &[]), E::LoadFault),
        (
            "store below the stack",
            trapping(&[I::Lui { rd: Reg::T0, imm: 0xff000 }, store(StoreKind::Byte, Reg::T0, -1)], &[]),
            E::StoreFault,
        ),
        (
            "store at the heap top",
            trapping(&[I::Lui { rd: Reg::T0, imm: 0x101000 }, store(StoreKind::Word, Reg::T0, 0)], &[1, 2, 3, 4]),
            E::StoreFault,
        ),
        ("store to read-only data", trapping(&[store(StoreKind::Word, Reg::SP, 0)], &[1, 2, 3, 4]), E::ReadOnlyWrite),
        ("jump outside the code", trapping(&[jalr(Reg::ZERO, 2)], &[]), E::InvalidJumpTarget),
        (
            "jump next to the return address",
            trapping(&[I::Lui { rd: Reg::T0, imm: 0xffff_0000 }, jalr(Reg::T0, 4)], &[]),
            E::InvalidJumpTarget,
        ),
        ("jump between instructions", trapping(&[pc_to_t0, jalr(Reg::T0, 2)], &[]), E::InvalidJumpTarget),
        ("jump past the code's end", trapping(&[pc_to_t0, jalr(Reg::T0, 64)], &[]), E::InvalidJumpTarget),
    ];
    let cases = cases.into_iter().chain([("falling off the code's end", falls_off_the_end(), E::InvalidJumpTarget)]);
    for (what, blob, ending) in cases {
        let proved = prove(&blob, "call", GAS, |_| {}).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!((proved.statement.ending, proved.statement.a0), (ending, 5), "{what}");
        verify(&blob, &proved.statement, &proved.proof).unwrap_or_else(|e| panic!("{what}: {e}"));
        for other in [E::Returned, E::Ebreak, E::Misaligned, E::LoadFault, E::StoreFault, E::ReadOnlyWrite, E::InvalidJumpTarget] {
            if other != ending {
                let mut s = proved.statement.clone();
                s.ending = other;
                assert!(verify(&blob, &s, &proved.proof).is_err(), "{what}: proven as {other:?}");
            }
        }
        let mut s = proved.statement.clone();
        s.a0 = 0;
        assert!(verify(&blob, &s, &proved.proof).is_err(), "{what}: rd written");
    }
}

#[test]
fn tampered_traps_are_rejected() {
    use rivet_prover::chips::trap;
    use rivet_vm::isa::StoreKind;
    let reject = |what: &str, blob: &[u8], tamper: &dyn Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>], &mut Statement)| {
        assert_eq!(prove_tampered(blob, |_, _| {}), Some(Ok(())), "{what}: the untampered trace");
        if let Some(Ok(())) = prove_tampered(blob, tamper) {
            panic!("{what}: accepted");
        }
    };
    let ro_write = trapping(&[I::Store { kind: StoreKind::Word, rs1: Reg::SP, rs2: Reg::A0, offset: 0 }], &[1, 2, 3, 4]);
    reject("a read-only write claimed as an unmapped store", &ro_write, &|t, s| {
        *cell(t, index::TRAP, 0, trap::T_RO) = Val::ZERO;
        *cell(t, index::TRAP, 0, trap::T_ABOVE) = Val::ONE;
        *cell(t, index::TRAP, 0, trap::CODE) = Val::from_u32(trap::code::STORE_FAULT);
        let last = t[index::CPU].values.chunks(cpu::WIDTH).rposition(|r| r[cpu::MTRAP] == Val::ONE).unwrap();
        *cell(t, index::CPU, last, cpu::TCODE) = Val::from_u32(trap::code::STORE_FAULT);
        s.ending = rivet_prover::Ending::StoreFault;
    });
    let load_fault = trapping(&[I::Load { kind: rivet_vm::isa::LoadKind::Word, rd: Reg::A0, rs1: Reg::ZERO, offset: 0 }], &[]);
    reject("a trapping load that writes rd", &load_fault, &|t, s| {
        let last = t[index::CPU].values.chunks(cpu::WIDTH).rposition(|r| r[cpu::MTRAP] == Val::ONE).unwrap();
        *cell(t, index::CPU, last, cpu::RD_VAL) = Val::from_u32(7);
        *cell(t, index::REGISTERS, Reg::A0.index(), registers::main::FINAL) = Val::from_u32(7);
        s.a0 = 7;
    });
    // The trap table's only real row left out.
    let no_trap_row = |t: &mut [p3_matrix::dense::RowMajorMatrix<Val>], _: &mut Statement| {
        let w = t[index::TRAP].width;
        t[index::TRAP].values[..w].fill(Val::ZERO);
    };
    reject("a load fault without the trap table's row", &load_fault, &no_trap_row);
    // Jumps to what isn't an instruction: the trap row shows the public next pc isn't.
    let bad_jump = trapping(&[I::Jalr { rd: Reg::A0, rs1: Reg::ZERO, offset: 2 }], &[]);
    reject("a jump trap without the trap table's row", &bad_jump, &no_trap_row);
    let falls_off = falls_off_the_end();
    reject("falling off the end without the trap table's row", &falls_off, &no_trap_row);
    // The row's bytes of another target, also not an instruction (past the end).
    reject("falling off the end shown for another pc", &falls_off, &|t, _| {
        *cell(t, index::TRAP, 0, trap::ADDR + 1) += Val::ONE;
        *cell(t, index::TRAP, 0, trap::B_LO) += Val::from_u32(256);
    });
}

/// Proves `tamper`ed traces of `program(5)` with the honest prover; the verifier must
/// reject the proof. (Debug builds check constraints in the prover and panic there
/// instead; CI runs these in release, where only the verifier stands in the way.)
fn assert_rejected(what: &str, tamper: impl Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>], &mut Statement)) {
    if let Some(Ok(())) = prove_tampered(&program(5), tamper) {
        panic!("{what}: accepted");
    }
}

fn assert_memory_rejected(what: &str, tamper: impl Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>], &mut Statement)) {
    if let Some(Ok(())) = prove_tampered(&samples::memory(), tamper) {
        panic!("{what}: accepted");
    }
}

/// The verifier's answer to a proof of tampered traces; `None` if the prover refused
/// (or, in debug builds, its constraint check panicked).
fn prove_tampered(
    blob: &[u8],
    tamper: impl Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>], &mut Statement),
) -> Option<Result<(), VerifyError>> {
    prove_segmented(blob, |_| None, tamper)
}

/// `prove_tampered` with the CPU rows in the segments `plan` gives for the step count.
fn prove_segmented(
    blob: &[u8],
    plan: impl Fn(usize) -> Option<Vec<usize>>,
    tamper: impl Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>], &mut Statement),
) -> Option<Result<(), VerifyError>> {
    prove_laid_out(
        blob,
        |w| {
            if let Some(plan) = plan(w.steps) {
                w.split(index::CPU, &plan);
            }
        },
        tamper,
    )
}

/// `prove_tampered` with the tables laid out by `layout` first.
fn prove_laid_out(
    blob: &[u8],
    layout: impl Fn(&mut witness::Witness),
    tamper: impl Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>], &mut Statement),
) -> Option<Result<(), VerifyError>> {
    prove_laid_out_with_gas(blob, GAS, layout, tamper)
}

fn prove_laid_out_with_gas(
    blob: &[u8],
    gas: u64,
    layout: impl Fn(&mut witness::Witness),
    tamper: impl Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>], &mut Statement),
) -> Option<Result<(), VerifyError>> {
    prove_with_seams(blob, gas, layout, |t, s, _| tamper(t, s))
}

/// `prove_laid_out_with_gas` whose tamper may also restate the states between CPU
/// segments and after the last step (which the prover reads off its tables and puts
/// in the proof).
fn prove_with_seams(
    blob: &[u8],
    gas: u64,
    layout: impl Fn(&mut witness::Witness),
    tamper: impl Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>], &mut Statement, &mut Vec<cpu::State>),
) -> Option<Result<(), VerifyError>> {
    let p = Arc::new(rivet_vm::parse(blob, &Default::default()).unwrap());
    let mut w = witness::generate(p.clone(), rivet_prover::code_hash(blob), "call", gas).unwrap();
    layout(&mut w);
    let mut traces = w.traces.clone();
    let mut statement = w.statement.clone();
    let mut circuit = w.circuit.clone();
    let mut seams = w.circuit.seams.clone();
    tamper(&mut traces, &mut statement, &mut seams);
    // Unless restated, the seams as the tampered tables have them (as a cheating
    // prover would read them).
    circuit.seams = if seams == w.circuit.seams { circuit.read_seams(&traces) } else { seams };
    let pvs = circuit.public_values(&statement);
    recount_range_checks(&circuit, &mut traces, &pvs);
    let proved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prove_witness(&circuit, &traces, &pvs)));
    match proved {
        Err(_) if cfg!(debug_assertions) => None,
        Err(_) => panic!("the prover panicked in a release build"),
        Ok(Err(_)) => None,
        Ok(Ok(proof)) => Some(verify(blob, &statement, &proof)),
    }
}

#[test]
fn the_tampering_harness_accepts_untampered_traces() {
    // Otherwise every "rejected" below could be the harness failing.
    assert_eq!(prove_tampered(&program(5), |_, _| {}), Some(Ok(())));
    assert_eq!(prove_tampered(&samples::memory(), |_, _| {}), Some(Ok(())));
    assert_eq!(prove_tampered(&samples::arithmetic(), |_, _| {}), Some(Ok(())));
}

fn cell(traces: &mut [p3_matrix::dense::RowMajorMatrix<Val>], table: usize, row: usize, col: usize) -> &mut Val {
    let w = traces[table].width;
    &mut traces[table].values[row * w + col]
}

#[test]
fn tampered_traces_are_rejected() {
    use rivet_prover::chips::{add_sub, lt};
    // Row 3 is the loop's `add t1, a0, a1`.
    assert_rejected("a wrong register value read", |t, _| *cell(t, index::CPU, 3, cpu::RS1_VAL) += Val::ONE);
    assert_rejected("a read that doesn't return the last write", |t, _| *cell(t, index::CPU, 4, cpu::PREV_TS) -= Val::ONE);
    assert_rejected("a timestamp not before the access", |t, _| {
        *cell(t, index::CPU, 4, cpu::PREV_TS) += Val::from_u32(1000);
        *cell(t, index::CPU, 4, cpu::TS_LO) -= Val::from_u32(1000);
    });
    assert_rejected("a byte out of range", |t, _| {
        // The first add's result byte 0 as 256 more with one less carry.
        *cell(t, index::ADD_SUB, 0, add_sub::C) += Val::from_u32(256);
        *cell(t, index::ADD_SUB, 0, add_sub::CARRY) -= Val::ONE;
    });
    assert_rejected("a pc not in the program", |t, _| *cell(t, index::CPU, 5, cpu::PC) += Val::from_u32(2));
    assert_rejected("an instruction that isn't the program's", |t, _| *cell(t, index::CPU, 3, cpu::RS2) += Val::ONE);
    assert_rejected("x0 read as non-zero", |t, _| *cell(t, index::CPU, 0, cpu::RS1_VAL) = Val::ONE);
    assert_rejected("x0 written", |t, _| *cell(t, index::REGISTERS, 0, registers::main::FINAL) = Val::ONE);
    assert_rejected("gas not charged", |t, _| {
        *cell(t, index::CPU, 0, cpu::GAS_AFTER) += Val::ONE;
        *cell(t, index::CPU, 0, cpu::NEXT_GAS) += Val::ONE;
    });
    // Steps after row 3 given one more gas, or another heap top, as if row 3 (no
    // host call) had handed them on: consistent everywhere but there.
    fn from_row_3(t: &mut [p3_matrix::dense::RowMajorMatrix<Val>], f: impl Fn(&mut [Val], bool)) {
        let w = t[index::CPU].width;
        t[index::CPU].values.chunks_mut(w).enumerate().skip(3).filter(|(_, r)| cpu::real(r)).for_each(|(i, r)| f(r, i == 3));
    }
    assert_rejected("gas refilled by a step that isn't a host call", |t, s| {
        from_row_3(t, |r, first| {
            if !first {
                r[cpu::GAS] += Val::ONE;
                r[cpu::GAS_AFTER] += Val::ONE;
            }
            r[cpu::NEXT_GAS] += Val::ONE;
        });
        s.gas_left += 1;
    });
    assert_rejected("the heap top moved by a step that isn't a host call", |t, _| {
        from_row_3(t, |r, first| {
            if !first {
                r[cpu::HEAP] += Val::ONE;
            }
            r[cpu::NEXT_HEAP] += Val::ONE;
        });
    });
    assert_rejected("a branch decided the wrong way", |t, _| {
        let rows = t[index::LT].height();
        for row in 0..rows {
            if *cell(t, index::LT, row, lt::IS_BNE) == Val::ONE {
                *cell(t, index::LT, row, lt::RES) = Val::ONE - *cell(t, index::LT, row, lt::RES);
                return;
            }
        }
    });
    assert_rejected("a result other than the public one", |_, s| s.a0 += 1);
    use rivet_prover::chips::memory;
    // Memory row 0 is `lb` of 0x80 at the start of the read-only data.
    assert_memory_rejected("wrong sign extension", |t, _| *cell(t, index::MEMORY, 0, memory::SIGN) = Val::ZERO);
    assert_memory_rejected("a load that doesn't return the memory's value", |t, _| *cell(t, index::MEMORY, 1, memory::OLD) += Val::ONE);
    assert_memory_rejected("a load at another offset", |t, _| {
        *cell(t, index::MEMORY, 1, memory::O) = Val::ZERO;
        *cell(t, index::MEMORY, 1, memory::O + 1) = Val::ONE;
    });
    assert_memory_rejected("a write to read-only data", |t, _| *cell(t, index::IMAGE, 0, memory::image::FINAL) += Val::ONE);
    assert_memory_rejected("a word that doesn't start at zero", |t, _| *cell(t, index::ZERO_INIT, 0, memory::zero_init::FINAL) += Val::ONE);
    assert_memory_rejected("an access outside mapped memory", |t, _| *cell(t, index::MEMORY, 0, memory::LD_LO) += Val::from_u32(1 << 20));
    // Division edge cases, multiplication and shifts, on the arithmetic sample.
    use p3_field::Field;
    use rivet_prover::chips::{bytes, div, mul, shift};
    let arith = |what: &str, tamper: &dyn Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>])| {
        if let Some(Ok(())) = prove_tampered(&samples::arithmetic(), |t, _| tamper(t)) {
            panic!("{what}: accepted");
        }
    };
    let find = |t: &mut [p3_matrix::dense::RowMajorMatrix<Val>], table: usize, pred: &dyn Fn(&[Val]) -> bool| -> usize {
        let w = t[table].width;
        t[table].values.chunks(w).position(pred).expect("a matching row")
    };
    arith("a quotient other than -1 for a zero divisor", &|t| {
        let row = find(t, index::DIV, &|r| r[div::B_ZERO] == Val::ONE && r[div::IS_DIVU] == Val::ONE);
        *cell(t, index::DIV, row, div::Q) = Val::ZERO;
    });
    arith("-2^31 / -1 not treated as overflow", &|t| {
        let row = find(t, index::DIV, &|r| r[div::OVERFLOW] == Val::ONE);
        *cell(t, index::DIV, row, div::OVERFLOW) = Val::ZERO;
    });
    arith("a quotient one too large", &|t| {
        let row = find(t, index::DIV, &|r| {
            r[div::IS_DIV] == Val::ONE && r[div::B_ZERO] == Val::ZERO && r[div::OVERFLOW] == Val::ZERO && r[div::Q] != Val::ZERO
        });
        *cell(t, index::DIV, row, div::Q) += Val::ONE;
    });
    arith("a remainder with the wrong sign", &|t| {
        let row = find(t, index::DIV, &|r| r[div::IS_REM] == Val::ONE && r[div::R] != Val::ZERO);
        let v = *cell(t, index::DIV, row, div::R_NEG);
        *cell(t, index::DIV, row, div::R_NEG) = Val::ONE - v;
    });
    arith("a wrong product byte", &|t| *cell(t, index::MUL, 0, mul::P + 5) += Val::ONE);
    arith("a wrong shift amount", &|t| {
        let row = find(t, index::SHIFT, &|r| r[shift::IS_SRA] == Val::ONE && r[shift::Q + 3] == Val::ONE);
        *cell(t, index::SHIFT, row, shift::Q + 3) = Val::ZERO;
        *cell(t, index::SHIFT, row, shift::Q + 2) = Val::ONE;
    });
    // `sra 0, 31` read as a shift by 3 gives the same 0: only the amount's
    // decomposition `31 = 3 + 32·rest` can reject it (rest = 7/8 isn't an integer,
    // though 2^13·rest is: the scaled range check this replaced took it). The byte
    // shifts asked for move in the byte table's counts (the harness recounts the
    // range checks).
    arith("a shift amount other than b & 31, with the same result", &|t| {
        let row = find(t, index::SHIFT, &|r| {
            r[shift::IS_SRA] == Val::ONE && r[shift::B] == Val::from_u32(31) && (0..4).all(|i| r[shift::A + i] == Val::ZERO)
        });
        for (i, bit) in [1u32, 1, 0].into_iter().enumerate() {
            *cell(t, index::SHIFT, row, shift::R + i) = Val::from_u32(bit);
        }
        *cell(t, index::SHIFT, row, shift::Q + 3) = Val::ZERO;
        *cell(t, index::SHIFT, row, shift::Q) = Val::ONE;
        *cell(t, index::SHIFT, row, shift::REST) = Val::from_u32(28) / Val::from_u32(32);
        *cell(t, index::SHIFT, row, shift::M) = Val::from_u32(5);
        *cell(t, index::BYTES, 1 << 8, bytes::main::M_SHL) -= Val::from_u32(5);
        *cell(t, index::BYTES, 5 << 8, bytes::main::M_SHL) += Val::from_u32(5);
    });
    // A comparison whose low difference byte is 256 less and the next one more: the
    // difference's value is the same, so a check of `d0 + 256·d1 < 2^16` passes; its
    // bytes' sum is 255 less (with it, 0x100 - 0x1 would read as equal).
    arith("a difference byte out of range, the next one making up for it", &|t| {
        let row = find(t, index::LT, &|r| {
            let sum: Val = (0..4).map(|i| r[lt::D + i]).sum();
            r[lt::BORROW] == Val::ONE && r[lt::EQ] == Val::ZERO && sum != Val::from_u32(255)
        });
        *cell(t, index::LT, row, lt::BORROW) = Val::ZERO;
        *cell(t, index::LT, row, lt::D) -= Val::from_u32(256);
        *cell(t, index::LT, row, lt::D + 1) += Val::ONE;
        let w = t[index::LT].width;
        let sum: Val = (0..4).map(|i| t[index::LT].values[row * w + lt::D + i]).sum();
        *cell(t, index::LT, row, lt::INV) = sum.inverse();
    });
    assert_rejected("a step counted as padding", |t, _| *cell(t, index::CPU, 3, cpu::REAL) = Val::ZERO);
    assert_rejected("padding counted as a step", |t, _| {
        let last = t[index::CPU].height() - 1;
        *cell(t, index::CPU, last, cpu::REAL) = Val::ONE;
    });
    assert_rejected("a dropped step", |t, _| {
        let w = t[index::CPU].width;
        t[index::CPU].values.drain(3 * w..4 * w);
        t[index::CPU].values.extend(std::iter::repeat_n(Val::ZERO, w));
    });
}

use p3_matrix::Matrix;

/// Segments of 16, 16 and 32 rows, the rest in a last one.
fn four_segments(steps: usize) -> Option<Vec<usize>> {
    Some(vec![4, 4, 5, rivet_prover::log_height_for(steps - 64 + 1)])
}

#[test]
fn an_execution_split_across_cpu_tables_proves_and_its_seams_hold() {
    assert!(witness::cpu_segments_for(325_943) == [18, 16], "a long run is split where it saves padding");
    assert!(witness::cpu_segments_for(256_468) == [18], "not where it doesn't");
    let blob = program(20);
    assert_eq!(prove_segmented(&blob, four_segments, |_, _| {}), Some(Ok(())));
    // The seams: the segments are the CPU tables at index::CPU, then after the others.
    let (s1, s2, s3) = (index::COUNT, index::COUNT + 1, index::COUNT + 2);
    let rejected = |what: &str, tamper: &dyn Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>], &mut Statement)| {
        if let Some(Ok(())) = prove_segmented(&blob, four_segments, tamper) {
            panic!("{what}: accepted");
        }
    };
    // Every real row of the segment at table `from` and the segments after it (the
    // last tables).
    fn rows_from(t: &mut [p3_matrix::dense::RowMajorMatrix<Val>], from: usize, mut f: impl FnMut(&mut [Val])) {
        for table in t.iter_mut().skip(from) {
            let w = table.width;
            table.values.chunks_mut(w).filter(|r| cpu::real(r)).for_each(&mut f);
        }
    }
    // Consistent everywhere but at the seam: the rest of the run with one more gas.
    rejected("a segment starting with other gas", &|t, s| {
        rows_from(t, s1, |r| {
            r[cpu::GAS] += Val::ONE;
            r[cpu::GAS_AFTER] += Val::ONE;
            if r[cpu::F_ECALL] == Val::ZERO {
                r[cpu::NEXT_GAS] += Val::ONE;
            }
        });
        s.gas_left += 1;
    });
    rejected("a segment starting at another heap top", &|t, _| {
        rows_from(t, s2, |r| {
            r[cpu::HEAP] += Val::from_u32(4096);
            if r[cpu::F_ECALL] == Val::ZERO {
                r[cpu::NEXT_HEAP] += Val::from_u32(4096);
            }
        })
    });
    rejected("a segment starting at another pc", &|t, _| *cell(t, s2, 0, cpu::PC) += Val::from_u32(4));
    rejected("a segment entered as if by a jump", &|t, _| {
        let v = *cell(t, s2, 0, cpu::T_IN);
        *cell(t, s2, 0, cpu::T_IN) = Val::ONE - v;
    });
    rejected("a segment whose clock doesn't continue", &|t, _| {
        for row in 0..t[s1].height() {
            *cell(t, s1, row, cpu::CLK) += Val::ONE;
        }
    });
    rejected("a segment with padding before the last", &|t, _| {
        let w = t[s2].width;
        t[s2].values[31 * w..].iter_mut().for_each(|v| *v = Val::ZERO);
    });
    // The seams in the proof other than where the tables hand on and start: each
    // field of each seam, and of the state after the last step.
    let split = |w: &mut witness::Witness| w.split(index::CPU, &four_segments(w.steps).unwrap());
    for seam in 0..4 {
        // (The last state's gas is the statement's: the proof doesn't carry it.)
        for field in (0..5).filter(|&f| seam < 3 || f != 2) {
            let proved = prove_with_seams(&blob, GAS, split, |_, _, seams| {
                assert_eq!(seams.len(), 4);
                let s = &mut seams[seam];
                match field {
                    0 => s.clk += 1,
                    1 => s.pc += 4,
                    2 => s.gas += 1,
                    3 => s.heap += 1,
                    _ => s.transfer = !s.transfer,
                }
            });
            assert!(!matches!(proved, Some(Ok(()))), "seam {seam}, field {field}: accepted");
        }
    }
    rejected("segments in another order", &|t, _| t.swap(s2, s3));
    rejected("a segment run twice", &|t, _| t[s2] = t[s1].clone());
    // At most MAX_CPU_SEGMENTS tables, and it says so.
    let five = |steps: usize| Some(vec![4, 4, 4, 4, rivet_prover::log_height_for(steps - 64 + 1)]);
    assert!(matches!(prove_segmented(&blob, five, |_, _| {}), Some(Err(VerifyError::WrongShape(_)))));
}

/// What a cheating prover would do after tampering: recount the byte table's 16-bit
/// range checks from the tampered tables, so a tamper is rejected for what it breaks,
/// not for a stale count (values past 2^16 can't be counted and stay unbalanced).
fn recount_range_checks(circuit: &rivet_prover::chips::Circuit, traces: &mut [p3_matrix::dense::RowMajorMatrix<Val>], pvs: &[Vec<Val>]) {
    use p3_air::BaseAir;
    use p3_field::PrimeField32;
    use p3_matrix::dense::RowMajorMatrixView;
    use p3_matrix::stack::VerticalPair;
    use rivet_prover::chips::bytes;
    let airs = circuit.airs();
    let bits: Vec<usize> = traces.iter().map(|t| t.height().trailing_zeros() as usize).collect();
    let config = rivet_prover::config::config();
    let Ok(data) = p3_batch_stark::ProverData::from_airs_and_degrees(&config, &airs, &bits) else { return };
    // The 16-bit values, and the byte pairs at `x | y << 8`.
    let mut counts = vec![Val::ZERO; 1 << 16];
    let mut pairs = vec![Val::ZERO; 1 << 16];
    for (i, lookups) in data.common.lookups.iter().enumerate() {
        let t = &traces[i];
        let h = t.height();
        let pre = <_ as BaseAir<Val>>::preprocessed_trace(&airs[i]);
        for l in lookups.iter().filter(|l| matches!(&l.kind, p3_lookup::Kind::Global(n) if n == "u16" || n == "byte pair")) {
            let pair = matches!(&l.kind, p3_lookup::Kind::Global(n) if n == "byte pair");
            for row in 0..h {
                let (now, next) = (t.row_slice(row).unwrap().to_vec(), t.row_slice((row + 1) % h).unwrap().to_vec());
                let main = VerticalPair::new(RowMajorMatrixView::new_row(&now), RowMajorMatrixView::new_row(&next));
                let (pre_now, pre_next) = match &pre {
                    Some(p) => (p.row_slice(row).unwrap().to_vec(), p.row_slice((row + 1) % h).unwrap().to_vec()),
                    None => (Vec::new(), Vec::new()),
                };
                let prep = VerticalPair::new(
                    RowMajorMatrixView::new(&pre_now, pre_now.len().max(1)),
                    RowMajorMatrixView::new(&pre_next, pre_next.len().max(1)),
                );
                let b =
                    p3_lookup::traits::LookupTraceBuilder::<Val, rivet_prover::config::Challenge>::new(main, prep, &pvs[i], &[], h, row);
                for (k, (tuple, m)) in l.elements.iter().zip(&l.multiplicities).enumerate() {
                    let mut m = m.resolve(&b);
                    if let Some(flags) = &l.flags {
                        m *= flags[k].resolve(&b);
                    }
                    let x = tuple[0].resolve(&b).as_canonical_u32() as usize;
                    if m == Val::ZERO || i == index::BYTES {
                        continue;
                    }
                    if !pair && x < counts.len() {
                        counts[x] -= m;
                    }
                    let y = tuple.get(1).map_or(usize::MAX, |y| y.resolve(&b).as_canonical_u32() as usize);
                    if pair && x < 256 && y < 256 {
                        pairs[x | y << 8] -= m;
                    }
                }
            }
        }
    }
    let w = traces[index::BYTES].width;
    for ((row, c), p) in traces[index::BYTES].values.chunks_mut(w).zip(counts).zip(pairs) {
        row[bytes::main::M_U16] = c;
        row[bytes::main::M_PAIR] = p;
    }
}

#[test]
fn tables_split_in_parts_prove_and_each_part_is_checked() {
    use rivet_prover::chips::add_sub;
    assert_eq!(witness::table_parts_for(142_233), [17, 14], "add/sub at 54% of 2^18: split");
    assert_eq!(witness::table_parts_for(97_822), [16, 15]);
    assert_eq!(witness::table_parts_for(1 << 17), [17], "a full table stays whole");
    assert_eq!(witness::table_parts_for(234_810), [18], "90% full: whole");
    let blob = program(20);
    // The CPU in four segments, then add/sub in three parts: tables 16-18 are CPU
    // segments, 19 and 20 add/sub parts.
    let layout = |w: &mut witness::Witness| {
        w.split(index::CPU, &four_segments(w.steps).unwrap());
        let rows = w.rows[index::ADD_SUB];
        assert!(rows > 40, "{rows} add/sub rows");
        w.split(index::ADD_SUB, &[4, 4, rivet_prover::log_height_for(rows - 32)]);
        assert_eq!(w.circuit.extra_tables, [index::CPU, index::CPU, index::CPU, index::ADD_SUB, index::ADD_SUB]);
    };
    assert_eq!(prove_laid_out(&blob, layout, |_, _| {}), Some(Ok(())));
    let rejected = |what: &str, tamper: &dyn Fn(&mut [p3_matrix::dense::RowMajorMatrix<Val>])| {
        if let Some(Ok(())) = prove_laid_out(&blob, layout, |t, _| tamper(t)) {
            panic!("{what}: accepted");
        }
    };
    rejected("a byte out of range in a later part", &|t| {
        *cell(t, index::COUNT + 3, 2, add_sub::C) += Val::from_u32(256);
        *cell(t, index::COUNT + 3, 2, add_sub::CARRY) -= Val::ONE;
    });
    rejected("a wrong sum in the last part", &|t| *cell(t, index::COUNT + 4, 0, add_sub::C) += Val::ONE);
    rejected("a part's rows dropped", &|t| t[index::COUNT + 3].values.iter_mut().for_each(|v| *v = Val::ZERO));
}

#[test]
fn proofs_naming_extra_tables_the_verifier_does_not_allow_are_the_wrong_shape() {
    let blob = program(20);
    let proved = prove(&blob, "call", GAS, |_| {}).expect("provable");
    // No host calls: the extra-table count is byte 10, right after the empty clock list.
    assert_eq!(proved.proof[10], 0);
    let with_extra = |extra: &[u8]| {
        let mut bytes = proved.proof[..10].to_vec();
        bytes.push(extra.len() as u8);
        bytes.extend_from_slice(extra);
        bytes.extend_from_slice(&proved.proof[11..]);
        verify(&blob, &proved.statement, &bytes)
    };
    assert_eq!(with_extra(&[]), Ok(()));
    let cpu = index::CPU as u8;
    for extra in [
        &[index::REGISTERS as u8][..],
        &[index::BYTES as u8],
        &[index::ZERO_INIT as u8],
        &[200],
        &[cpu; 4],
        &[cpu],
        &[index::ADD_SUB as u8; 9],
    ] {
        assert!(matches!(with_extra(extra), Err(VerifyError::WrongShape(_))), "{extra:?}");
    }
    // One state after the last step (byte 11 counts them, 17 bytes follow): none, or
    // a state between segments (25 bytes) before it, is the wrong shape.
    assert_eq!(proved.proof[11], 1);
    let with_seams = |count: u8, seams: &[u8]| {
        let mut bytes = proved.proof[..11].to_vec();
        bytes.push(count);
        bytes.extend_from_slice(seams);
        bytes.extend_from_slice(&proved.proof[12 + 17..]);
        verify(&blob, &proved.statement, &bytes)
    };
    let end = &proved.proof[12..12 + 17];
    assert_eq!(with_seams(1, end), Ok(()));
    assert!(matches!(with_seams(0, &[]), Err(VerifyError::WrongShape(_))));
    let two: Vec<u8> = [0u8; 25].iter().chain(end).copied().collect();
    assert!(matches!(with_seams(2, &two), Err(VerifyError::WrongShape(_))));
}
