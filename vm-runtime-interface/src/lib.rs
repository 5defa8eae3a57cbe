//! Runs Rivet guests from the runtime on the node's JIT.
//!
//! The runtime (wasm) can't run native code itself, so it calls these host functions:
//! load a program, run it until the next interrupt, read and write its registers and
//! memory, drop it. The node keeps the instances in an externalities extension
//! ([`VmInstances`]) that lives as long as one runtime call, and the compiled code in
//! a process-wide cache keyed by the blob's hash. [`HostInstance`] wraps an instance
//! id behind [`rivet_vm::GuestInstance`], so the pallet drives it exactly like the
//! interpreter.
//!
//! Nothing a call costs depends on this side: gas is the program's, metered the same
//! by both backends, and the cache only saves compile time.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod wire;

use rivet_vm::{CallError, GuestInstance, Interrupt, MemoryError, Reg};
use sp_runtime_interface::{
    pass_by::{AllocateAndReturnByCodec, PassFatPointerAndRead, PassFatPointerAndReadWrite},
    runtime_interface,
};

#[cfg(feature = "std")]
mod host;
#[cfg(feature = "std")]
pub use host::{cache_stats, jit_supported, VmInstances};

/// Returned by [`guest_vm::instantiate`] when the blob can't be loaded.
pub const NO_INSTANCE: u32 = u32::MAX;

#[runtime_interface]
pub trait GuestVm {
    /// Loads `blob` (compiled code comes from the node's cache, keyed by the blob's
    /// hash) and creates an instance; its id, or [`NO_INSTANCE`] if the blob doesn't
    /// validate.
    fn instantiate(&mut self, blob: PassFatPointerAndRead<&[u8]>) -> u32 {
        host::instances(*self).instantiate(blob)
    }

    /// Selects an entry point and sets the gas: 0 on success, 1 if there is no such
    /// entry, 2 if there is no such instance.
    fn prepare_call(&mut self, id: u32, entry: PassFatPointerAndRead<&[u8]>, gas: u64) -> u32 {
        host::instances(*self).prepare_call(id, entry, gas)
    }

    /// Runs until the next interrupt ([`wire::encode_interrupt`]).
    fn run(&mut self, id: u32) -> AllocateAndReturnByCodec<[u32; 4]> {
        host::instances(*self).run(id)
    }

    fn registers(&mut self, id: u32) -> AllocateAndReturnByCodec<[u32; 16]> {
        host::instances(*self).with(id, |i| i.registers()).unwrap_or([0; 16])
    }

    fn set_reg(&mut self, id: u32, reg: u32, value: u32) {
        if let Some(r) = Reg::new(reg) {
            host::instances(*self).with(id, |i| i.set_reg(r, value));
        }
    }

    fn gas_left(&mut self, id: u32) -> u64 {
        host::instances(*self).with(id, |i| i.gas_left()).unwrap_or(0)
    }

    fn set_gas_left(&mut self, id: u32, gas: u64) {
        host::instances(*self).with(id, |i| i.set_gas_left(gas));
    }

    fn pc(&mut self, id: u32) -> AllocateAndReturnByCodec<Option<u32>> {
        host::instances(*self).with(id, |i| i.pc()).flatten()
    }

    fn heap_top(&mut self, id: u32) -> u32 {
        host::instances(*self).with(id, |i| i.heap_top()).unwrap_or(0)
    }

    fn sbrk(&mut self, id: u32, increment: u32) -> AllocateAndReturnByCodec<Option<u32>> {
        host::instances(*self).with(id, |i| i.sbrk(increment)).flatten()
    }

    /// Fills `out` from guest memory at `addr`; an encoded [`MemoryError`] on failure.
    fn read_memory(
        &mut self,
        id: u32,
        addr: u32,
        out: PassFatPointerAndReadWrite<&mut [u8]>,
    ) -> AllocateAndReturnByCodec<Result<(), [u32; 2]>> {
        match host::instances(*self).with(id, |i| i.read_memory(addr, out)) {
            Some(r) => r.map_err(wire::encode_memory_error),
            None => Err(wire::encode_memory_error(MemoryError::Unmapped { addr })),
        }
    }

    fn write_memory(&mut self, id: u32, addr: u32, data: PassFatPointerAndRead<&[u8]>) -> AllocateAndReturnByCodec<Result<(), [u32; 2]>> {
        match host::instances(*self).with(id, |i| i.write_memory(addr, data)) {
            Some(r) => r.map_err(wire::encode_memory_error),
            None => Err(wire::encode_memory_error(MemoryError::Unmapped { addr })),
        }
    }

    fn drop_instance(&mut self, id: u32) {
        host::instances(*self).remove(id);
    }
}

/// A guest instance held by the node, driven through the host functions above.
pub struct HostInstance {
    id: u32,
}

impl HostInstance {
    /// Loads `blob` on the node; `None` if it doesn't validate there.
    pub fn new(blob: &[u8]) -> Option<HostInstance> {
        match guest_vm::instantiate(blob) {
            NO_INSTANCE => None,
            id => Some(HostInstance { id }),
        }
    }
}

impl Drop for HostInstance {
    fn drop(&mut self) {
        guest_vm::drop_instance(self.id);
    }
}

impl GuestInstance for HostInstance {
    fn prepare_call(&mut self, entry: &str, gas: u64) -> Result<(), CallError> {
        match guest_vm::prepare_call(self.id, entry.as_bytes(), gas) {
            0 => Ok(()),
            _ => Err(CallError::NoSuchEntryPoint),
        }
    }

    fn run(&mut self) -> Interrupt {
        wire::decode_interrupt(guest_vm::run(self.id))
    }

    fn reg(&self, r: Reg) -> u32 {
        self.registers()[r.index()]
    }

    fn set_reg(&mut self, r: Reg, value: u32) {
        guest_vm::set_reg(self.id, r.index() as u32, value)
    }

    fn registers(&self) -> [u32; 16] {
        guest_vm::registers(self.id)
    }

    fn gas_left(&self) -> u64 {
        guest_vm::gas_left(self.id)
    }

    fn set_gas_left(&mut self, gas: u64) {
        guest_vm::set_gas_left(self.id, gas)
    }

    fn pc(&self) -> Option<u32> {
        guest_vm::pc(self.id)
    }

    fn heap_top(&self) -> u32 {
        guest_vm::heap_top(self.id)
    }

    fn sbrk(&mut self, increment: u32) -> Option<u32> {
        guest_vm::sbrk(self.id, increment)
    }

    fn read_memory(&self, addr: u32, buf: &mut [u8]) -> Result<(), MemoryError> {
        guest_vm::read_memory(self.id, addr, buf).map_err(wire::decode_memory_error)
    }

    fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryError> {
        guest_vm::write_memory(self.id, addr, data).map_err(wire::decode_memory_error)
    }
}
