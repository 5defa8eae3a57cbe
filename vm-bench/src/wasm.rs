//! The wasmtime baseline: the same kernels compiled to wasm32 by this crate's build
//! script, compiled by wasmtime (Cranelift, default settings) and run.

use wasmtime::{Engine, Instance, Module, Store};

static KERNELS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kernels.wasm"));

pub struct Wasm {
    engine: Engine,
}

impl Wasm {
    pub fn new() -> Wasm {
        Wasm { engine: Engine::default() }
    }

    pub fn compile(&self) -> Module {
        Module::new(&self.engine, KERNELS).expect("wasm kernels compile")
    }

    /// Instantiates `module` and runs `program` on `input`, returning its output.
    pub fn run(&self, module: &Module, program: &str, input: &[u8]) -> Vec<u8> {
        let mut store = Store::new(&self.engine, ());
        let instance = Instance::new(&mut store, module, &[]).expect("instantiate");
        let memory = instance.get_memory(&mut store, "memory").expect("memory export");
        let alloc = instance.get_typed_func::<u32, u32>(&mut store, "alloc").expect("alloc");
        let output = instance.get_typed_func::<(), u32>(&mut store, "output").expect("output");
        let f = instance.get_typed_func::<(u32, u32), u32>(&mut store, program).expect("program export");
        let ptr = alloc.call(&mut store, input.len() as u32).expect("alloc call");
        memory.write(&mut store, ptr as usize, input).expect("write input");
        let len = f.call(&mut store, (ptr, input.len() as u32)).expect("run");
        let at = output.call(&mut store, ()).expect("output call");
        let mut out = vec![0u8; len as usize];
        memory.read(&store, at as usize, &mut out).expect("read output");
        out
    }
}
