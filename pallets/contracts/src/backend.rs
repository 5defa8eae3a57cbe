//! Which VM runs the guests. The pallet is generic over it: the interpreter runs
//! inside the runtime itself, the JIT on the node behind host functions. Both meter
//! gas identically, so nothing a call does or costs depends on the choice.

use alloc::sync::Arc;
use rivet_vm::{GuestInstance, Limits};

pub trait VmBackend {
    type Instance: GuestInstance;
    /// An instance of `blob` (validated at upload), or `None` if it can't be loaded.
    fn instantiate(blob: &[u8]) -> Option<Self::Instance>;
}

/// The interpreter, linked into the runtime.
pub struct Interpreter;

impl VmBackend for Interpreter {
    type Instance = rivet_vm::Instance;

    fn instantiate(blob: &[u8]) -> Option<Self::Instance> {
        // Upload checked the pallet's limits; loading only re-parses.
        let limits = Limits { max_code_size: u32::MAX, max_memory: u32::MAX };
        let program = rivet_vm::parse(blob, &limits).ok()?;
        Some(rivet_vm::Instance::new(Arc::new(rivet_vm::Module::new(Arc::new(program)))))
    }
}

/// The node's JIT, through `rivet-vm-runtime-interface`'s host functions.
pub struct NodeJit;

impl VmBackend for NodeJit {
    type Instance = rivet_vm_runtime_interface::HostInstance;

    fn instantiate(blob: &[u8]) -> Option<Self::Instance> {
        rivet_vm_runtime_interface::HostInstance::new(blob)
    }
}
