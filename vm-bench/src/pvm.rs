//! The PolkaVM baseline: the same kernels built for PolkaVM by this crate's build
//! script, run by the `polkavm` crate with its compiler backend (gas metering on and
//! off) and its interpreter.

use polkavm::{BackendKind, Config, CorePinning, Engine, GasMeteringKind, Instance, Linker, Module, ModuleConfig, SandboxKind};

static KERNELS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kernels.polkavm"));

pub struct Pvm {
    engine: Engine,
    /// Which sandbox the compiler backend got ("linux", "generic"), or "interpreter".
    pub kind: &'static str,
}

impl Pvm {
    /// The compiler backend in the Linux sandbox if this machine allows it, else the
    /// generic sandbox; `interpreter` selects PolkaVM's interpreter.
    pub fn new(interpreter: bool) -> Option<Pvm> {
        let attempts: &[(Option<SandboxKind>, &'static str)] = if interpreter {
            &[(None, "interpreter")]
        } else {
            &[(Some(SandboxKind::Linux), "linux"), (Some(SandboxKind::Generic), "generic")]
        };
        for &(sandbox, kind) in attempts {
            let mut config = Config::new();
            config.set_backend(Some(if interpreter { BackendKind::Interpreter } else { BackendKind::Compiler }));
            config.set_sandbox(sandbox);
            config.set_allow_experimental(sandbox == Some(SandboxKind::Generic));
            // Don't pin the benchmark thread: Rivet's JIT runs unpinned too.
            config.set_core_pinning(CorePinning::Disabled);
            if let Ok(engine) = Engine::new(&config) {
                return Some(Pvm { engine, kind });
            }
        }
        None
    }

    pub fn compile(&self, gas: bool) -> Module {
        let mut mc = ModuleConfig::new();
        mc.set_gas_metering(gas.then_some(GasMeteringKind::Sync));
        Module::new(&self.engine, &mc, KERNELS.into()).expect("PolkaVM module")
    }

    /// Instantiates `module` and runs `program` on `input`, returning its output.
    pub fn run(&self, module: &Module, program: &str, input: &[u8]) -> Vec<u8> {
        let linker: Linker = Linker::new();
        let mut inst: Instance = linker.instantiate_pre(module).expect("pre").instantiate().expect("instantiate");
        inst.set_gas(i64::MAX);
        let at: u32 = inst.call_typed_and_get_result::<u32, ()>(&mut (), "input_ptr", ()).expect("input_ptr");
        inst.write_memory(at, input).expect("write input");
        let len: u32 = inst.call_typed_and_get_result::<u32, (u32,)>(&mut (), program, (input.len() as u32,)).expect("run");
        let out: u32 = inst.call_typed_and_get_result::<u32, ()>(&mut (), "output_ptr", ()).expect("output_ptr");
        inst.read_memory(out, len).expect("read output")
    }
}
