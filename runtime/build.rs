// Builds the runtime to wasm (substrate-wasm-builder); `SKIP_WASM_BUILD=1` skips it
// for native-only checks.
#[cfg(feature = "std")]
fn main() {
    // The cargo target dir lives outside the clone (README), where the builder can't
    // find the workspace's Cargo.lock by itself.
    if std::env::var_os("WASM_BUILD_WORKSPACE_HINT").is_none() {
        let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        std::env::set_var("WASM_BUILD_WORKSPACE_HINT", workspace);
    }
    substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

#[cfg(not(feature = "std"))]
fn main() {}
