//! Compiled modules by blob hash, bounded by total native code size (the modules
//! compiled with every checked copy, which a module gets after the cache took it,
//! included), least recently used evicted first. Whether a module came from the
//! cache never changes what a call does or costs: that is the host's rule to keep
//! (gas comes from the program).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rivet_vm::Program;

use crate::{compile, CompileError, JitModule};

pub type CodeHash = [u8; 32];

struct Entry {
    module: Arc<JitModule>,
    last_used: u64,
}

pub struct ModuleCache {
    inner: Mutex<Inner>,
    max_bytes: usize,
}

struct Inner {
    entries: HashMap<CodeHash, Entry>,
    clock: u64,
    hits: u64,
    misses: u64,
}

impl ModuleCache {
    /// A cache holding at most `max_bytes` of native code whenever it takes a module
    /// (a module bigger than that is compiled but not kept; copies a cached module
    /// compiles later count from the next module taken).
    pub fn new(max_bytes: usize) -> ModuleCache {
        ModuleCache { inner: Mutex::new(Inner { entries: HashMap::new(), clock: 0, hits: 0, misses: 0 }), max_bytes }
    }

    /// The module for `hash` if it is cached.
    pub fn get(&self, hash: &CodeHash) -> Option<Arc<JitModule>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let now = inner.clock;
        let e = inner.entries.get_mut(hash)?;
        e.last_used = now;
        let m = e.module.clone();
        inner.hits += 1;
        Some(m)
    }

    /// The module for `hash`, compiling `program` on a miss. `hash` must be a
    /// collision-resistant hash of the *whole* validated blob: a module fixes the code,
    /// its block structure (which depends on the entry table), the memory layout and
    /// the data, so two blobs sharing only their code section must not share a key.
    pub fn get_or_compile(&self, hash: CodeHash, program: impl FnOnce() -> Arc<Program>) -> Result<Arc<JitModule>, CompileError> {
        {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.clock += 1;
            let now = inner.clock;
            if let Some(e) = inner.entries.get_mut(&hash) {
                e.last_used = now;
                let m = e.module.clone();
                inner.hits += 1;
                return Ok(m);
            }
            inner.misses += 1;
        }
        // Compile without holding the lock.
        let module = Arc::new(compile(program())?);
        let size = module.code_size();
        if size <= self.max_bytes {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            // Another thread may have compiled it meanwhile: one entry either way.
            inner.entries.remove(&hash);
            // Summed anew: a cached module's size grows when it gets its copies.
            let mut bytes = inner.bytes();
            while bytes + size > self.max_bytes {
                let Some((&oldest, _)) = inner.entries.iter().min_by_key(|(_, e)| e.last_used) else {
                    break;
                };
                if let Some(e) = inner.entries.remove(&oldest) {
                    bytes -= e.module.held_code_size();
                }
            }
            let now = inner.clock;
            inner.entries.insert(hash, Entry { module: module.clone(), last_used: now });
        }
        Ok(module)
    }

    /// (entries, bytes of native code held, hits, misses)
    pub fn stats(&self) -> (usize, usize, u64, u64) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.entries.len(), inner.bytes(), inner.hits, inner.misses)
    }
}

impl Inner {
    /// Native code the cached modules hold, copies included.
    fn bytes(&self) -> usize {
        self.entries.values().map(|e| e.module.held_code_size()).sum()
    }
}
