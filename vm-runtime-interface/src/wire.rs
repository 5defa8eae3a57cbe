//! How interrupts and memory errors cross the runtime/node boundary: fixed arrays of
//! u32. Decoding never panics: a value this version doesn't know reads as a trap.

use rivet_vm::{Interrupt, MemoryError, Trap, TrapKind};

const FINISHED: u32 = 0;
const OUT_OF_GAS: u32 = 1;
const HOST_CALL: u32 = 2;
const TRAP: u32 = 3;

/// `[tag, a, b, c]`: Finished; OutOfGas; HostCall(a); Trap(kind a, pc b, address c).
pub fn encode_interrupt(i: Interrupt) -> [u32; 4] {
    match i {
        Interrupt::Finished => [FINISHED, 0, 0, 0],
        Interrupt::OutOfGas => [OUT_OF_GAS, 0, 0, 0],
        Interrupt::HostCall(n) => [HOST_CALL, n, 0, 0],
        Interrupt::Trap(t) => {
            let (kind, addr) = match t.kind {
                TrapKind::Unimp => (0, 0),
                TrapKind::Ebreak => (1, 0),
                TrapKind::LoadFault { addr } => (2, addr),
                TrapKind::StoreFault { addr } => (3, addr),
                TrapKind::ReadOnlyWrite { addr } => (4, addr),
                TrapKind::Misaligned { addr } => (5, addr),
                TrapKind::InvalidJumpTarget { target } => (6, target),
                TrapKind::NotRunnable => (7, 0),
            };
            [TRAP, kind, t.pc, addr]
        }
    }
}

pub fn decode_interrupt(w: [u32; 4]) -> Interrupt {
    match w[0] {
        FINISHED => Interrupt::Finished,
        OUT_OF_GAS => Interrupt::OutOfGas,
        HOST_CALL => Interrupt::HostCall(w[1]),
        _ => {
            let addr = w[3];
            let kind = match (w[0], w[1]) {
                (TRAP, 0) => TrapKind::Unimp,
                (TRAP, 1) => TrapKind::Ebreak,
                (TRAP, 2) => TrapKind::LoadFault { addr },
                (TRAP, 3) => TrapKind::StoreFault { addr },
                (TRAP, 4) => TrapKind::ReadOnlyWrite { addr },
                (TRAP, 5) => TrapKind::Misaligned { addr },
                (TRAP, 6) => TrapKind::InvalidJumpTarget { target: addr },
                _ => TrapKind::NotRunnable,
            };
            Interrupt::Trap(Trap { kind, pc: w[2] })
        }
    }
}

pub fn encode_memory_error(e: MemoryError) -> [u32; 2] {
    match e {
        MemoryError::Unmapped { addr } => [0, addr],
        MemoryError::ReadOnly { addr } => [1, addr],
    }
}

pub fn decode_memory_error(w: [u32; 2]) -> MemoryError {
    match w[0] {
        1 => MemoryError::ReadOnly { addr: w[1] },
        _ => MemoryError::Unmapped { addr: w[1] },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupts_round_trip() {
        let traps = [
            TrapKind::Unimp,
            TrapKind::Ebreak,
            TrapKind::LoadFault { addr: 7 },
            TrapKind::StoreFault { addr: 8 },
            TrapKind::ReadOnlyWrite { addr: 9 },
            TrapKind::Misaligned { addr: 10 },
            TrapKind::InvalidJumpTarget { target: 11 },
            TrapKind::NotRunnable,
        ];
        let mut all = vec![Interrupt::Finished, Interrupt::OutOfGas, Interrupt::HostCall(37)];
        all.extend(traps.iter().map(|&kind| Interrupt::Trap(Trap { kind, pc: 0x1000_0040 })));
        for i in all {
            assert_eq!(decode_interrupt(encode_interrupt(i)), i);
        }
        for e in [MemoryError::Unmapped { addr: 3 }, MemoryError::ReadOnly { addr: 4 }] {
            assert_eq!(decode_memory_error(encode_memory_error(e)), e);
        }
    }

    #[test]
    fn unknown_values_decode_as_traps() {
        assert!(matches!(decode_interrupt([9, 0, 0, 0]), Interrupt::Trap(Trap { kind: TrapKind::NotRunnable, .. })));
        assert!(matches!(decode_interrupt([TRAP, 99, 0, 0]), Interrupt::Trap(Trap { kind: TrapKind::NotRunnable, .. })));
    }
}
