//! Rivet's JIT: compiles validated RV32EM programs to x86-64 (Linux) in one pass and
//! runs them sandboxed, behind the same [`GuestInstance`] interface as the
//! interpreter. Registers, memory, gas and traps are bit-for-bit those of the
//! interpreter (tests hold them equal); only speed differs.
//!
//! Where the JIT can't run (another architecture or OS, or the 4 GiB reservation is
//! refused), [`instantiate`] falls back to the interpreter and nothing else changes.

use std::sync::Arc;

use rivet_vm::{GuestInstance, Instance, Module, Program};

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod allocation;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod assembler;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod cache;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod code_buffer;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod compile;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod context;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod instance;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod lockstep;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod sandbox;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod segment;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod signals;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub use cache::{CodeHash, ModuleCache};
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub use compile::{compile, compile_with_copies, CompileError, JitModule};
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub use instance::JitInstance;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub use lockstep::Lockstep;

/// Whether compiled code can run here: x86-64 Linux with the fault handler installed.
pub fn is_supported() -> bool {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        signals::install()
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        false
    }
}

/// Which backend runs a guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Interpreter,
    Jit,
}

/// A fresh instance of `program` on `backend`; the JIT falls back to the interpreter
/// where it can't run. Returns the backend actually used.
pub fn instantiate(program: &Arc<Program>, backend: Backend) -> (Box<dyn GuestInstance + Send>, Backend) {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    if backend == Backend::Jit && is_supported() {
        if let Ok(module) = compile(program.clone()) {
            if let Ok(inst) = JitInstance::new(Arc::new(module)) {
                return (Box::new(inst), Backend::Jit);
            }
        }
    }
    let _ = backend;
    (Box::new(Instance::new(Arc::new(Module::new(program.clone())))), Backend::Interpreter)
}
