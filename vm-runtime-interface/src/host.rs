//! The node's side: instances per runtime call, compiled code per process.

use std::any::TypeId;
use std::sync::{Arc, OnceLock};

use rivet_vm::{GuestInstance, Interrupt, Limits, Trap, TrapKind};
use sp_externalities::{decl_extension, Externalities};

use crate::{wire, NO_INSTANCE};

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
/// Native code kept compiled across calls and blocks, at most.
const CACHE_BYTES: usize = 256 << 20;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn cache() -> &'static rivet_vm_jit::ModuleCache {
    static CACHE: OnceLock<rivet_vm_jit::ModuleCache> = OnceLock::new();
    CACHE.get_or_init(|| rivet_vm_jit::ModuleCache::new(CACHE_BYTES))
}

/// Whether contracts run on the JIT here (x86-64 Linux with its fault handler);
/// elsewhere they run on the interpreter, with the same results, more slowly.
pub fn jit_supported() -> bool {
    rivet_vm_jit::is_supported()
}

/// (entries, native code bytes, hits, misses) of the node's compiled-code cache.
pub fn cache_stats() -> (usize, usize, u64, u64) {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    return cache().stats();
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    (0, 0, 0, 0)
}

/// The guest instances of one runtime call. Registered on first use, so a node needs
/// no setup beyond registering the host functions; dropped with the call's
/// externalities, which frees every instance the runtime forgot to drop.
#[derive(Default)]
pub struct VmInstancesInner {
    slots: Vec<Option<Box<dyn GuestInstance + Send>>>,
}

decl_extension! {
    pub struct VmInstances(VmInstancesInner);
}

impl Default for VmInstances {
    fn default() -> Self {
        VmInstances(VmInstancesInner::default())
    }
}

/// The extension of this call, registered if it isn't yet.
pub(crate) fn instances(ext: &mut dyn Externalities) -> &mut VmInstancesInner {
    let id = TypeId::of::<VmInstances>();
    if ext.extension_by_type_id(id).is_none() {
        // Registering can only fail if it is already registered, checked just above.
        let _ = ext.register_extension_with_type_id(id, Box::new(VmInstances::default()));
    }
    match ext.extension_by_type_id(id).and_then(|e| e.downcast_mut::<VmInstances>()) {
        Some(i) => &mut i.0,
        None => unreachable!("registered just above"),
    }
}

impl VmInstancesInner {
    pub(crate) fn instantiate(&mut self, blob: &[u8]) -> u32 {
        // The cache is process-wide: key it by the hash computed here, so no caller can
        // make another call run the wrong code by naming a wrong hash.
        let code_hash = sp_crypto_hashing::blake2_256(blob);
        // The runtime validated the blob at upload with its own limits; here only the
        // format is checked again (the hash keys the cache, so it must be the blob's).
        let limits = Limits { max_code_size: u32::MAX, max_memory: u32::MAX };
        let parse = || rivet_vm::parse(blob, &limits).map(Arc::new);
        let instance: Box<dyn GuestInstance + Send> = match jit_instance(code_hash, blob, &limits) {
            Some(i) => i,
            None => match parse() {
                Ok(program) => Box::new(rivet_vm::Instance::new(Arc::new(rivet_vm::Module::new(program)))),
                Err(_) => return NO_INSTANCE,
            },
        };
        let slot = self.slots.iter().position(Option::is_none).unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        self.slots[slot] = Some(instance);
        slot as u32
    }

    pub(crate) fn prepare_call(&mut self, id: u32, entry: &[u8], gas: u64) -> u32 {
        let Ok(entry) = core::str::from_utf8(entry) else { return 1 };
        match self.with(id, |i| i.prepare_call(entry, gas)) {
            Some(Ok(())) => 0,
            Some(Err(_)) => 1,
            None => 2,
        }
    }

    pub(crate) fn run(&mut self, id: u32) -> [u32; 4] {
        let i = self.with(id, |i| i.run()).unwrap_or(Interrupt::Trap(Trap { kind: TrapKind::NotRunnable, pc: 0 }));
        wire::encode_interrupt(i)
    }

    pub(crate) fn with<R>(&mut self, id: u32, f: impl FnOnce(&mut (dyn GuestInstance + Send)) -> R) -> Option<R> {
        let slot = self.slots.get_mut(id as usize)?.as_mut()?;
        Some(f(slot.as_mut()))
    }

    pub(crate) fn remove(&mut self, id: u32) {
        if let Some(s) = self.slots.get_mut(id as usize) {
            *s = None;
        }
    }
}

/// The JIT instance, from the cache or freshly compiled; `None` where the JIT can't
/// run here (the caller falls back to the interpreter).
fn jit_instance(code_hash: [u8; 32], blob: &[u8], limits: &Limits) -> Option<Box<dyn GuestInstance + Send>> {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        if !rivet_vm_jit::is_supported() {
            return None;
        }
        let module = match cache().get(&code_hash) {
            Some(m) => m,
            None => {
                let program = Arc::new(rivet_vm::parse(blob, limits).ok()?);
                cache().get_or_compile(code_hash, || program).ok()?
            }
        };
        let instance = rivet_vm_jit::JitInstance::new(module).ok()?;
        Some(Box::new(instance))
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        let _ = (code_hash, blob, limits);
        None
    }
}
