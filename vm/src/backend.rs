//! What a host needs from a running guest, whichever backend runs it. The
//! interpreter and the JIT both implement it; hosts and tests are written against it,
//! so the host cannot tell which backend ran except by speed.

use alloc::vec;
use alloc::vec::Vec;

use crate::memory_map::{RETURN_ADDRESS, STACK_TOP};
use crate::{CallError, Interrupt, MemoryError, Reg};

/// Registers at the start of a call (SPEC.md §4): all zero but sp and ra.
pub fn entry_registers() -> [u32; 16] {
    let mut regs = [0; 16];
    regs[Reg::SP.index()] = STACK_TOP;
    regs[Reg::RA.index()] = RETURN_ADDRESS;
    regs
}

pub trait GuestInstance {
    /// Selects an entry point: registers reset (sp = stack top, ra = return address),
    /// memory kept as it is, gas set.
    fn prepare_call(&mut self, entry: &str, gas: u64) -> Result<(), CallError>;
    /// Runs until the next interrupt.
    fn run(&mut self) -> Interrupt;
    fn reg(&self, r: Reg) -> u32;
    /// Sets a register (writes to x0 are ignored).
    fn set_reg(&mut self, r: Reg, value: u32);
    /// Guest registers x0..x15.
    fn registers(&self) -> [u32; 16];
    fn gas_left(&self) -> u64;
    fn set_gas_left(&mut self, gas: u64);
    /// Where the next `run` continues, if the instance can run.
    fn pc(&self) -> Option<u32>;
    /// First unmapped heap address.
    fn heap_top(&self) -> u32;
    /// Maps `increment` more heap bytes (rounded up to pages); the previous heap top,
    /// or `None` (nothing changed) past the program's heap limit.
    fn sbrk(&mut self, increment: u32) -> Option<u32>;
    /// Reads guest data memory (read-only data included, code never). Empty ranges
    /// are valid at any address.
    fn read_memory(&self, addr: u32, buf: &mut [u8]) -> Result<(), MemoryError>;
    /// Writes guest memory under the guest's rules: read-only data can't be written.
    fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryError>;

    /// Charges `amount` for host work; false (and nothing charged) if not enough is left.
    fn consume_gas(&mut self, amount: u64) -> bool {
        match self.gas_left().checked_sub(amount) {
            Some(g) => {
                self.set_gas_left(g);
                true
            }
            None => false,
        }
    }

    /// Reads `len` bytes into a new vector. The range is checked before anything is
    /// allocated, so a guest can't make the host allocate more than it has mapped.
    fn read_memory_vec(&self, addr: u32, len: u32) -> Result<Vec<u8>, MemoryError> {
        if len != 0 {
            // Probe both ends first: mapped data is contiguous, so both mapped means all is.
            self.read_memory(addr, &mut [0u8])?;
            self.read_memory(addr.checked_add(len - 1).ok_or(MemoryError::Unmapped { addr })?, &mut [0u8])
                .map_err(|_| MemoryError::Unmapped { addr })?;
        }
        let mut buf = vec![0u8; len as usize];
        self.read_memory(addr, &mut buf)?;
        Ok(buf)
    }
}
