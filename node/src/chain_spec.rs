//! The built-in chains: `dev` (one validator, Alice) and `local` (Alice, Bob and
//! Charlie), from the runtime's genesis presets.

use polkadot_sdk::{sc_service::ChainType, sp_genesis_builder};
use rivet_runtime::WASM_BINARY;

pub type ChainSpec = polkadot_sdk::sc_service::GenericChainSpec;

fn wasm() -> Result<&'static [u8], String> {
    WASM_BINARY.ok_or_else(|| "this node was built without the wasm runtime (SKIP_WASM_BUILD)".to_string())
}

fn properties() -> polkadot_sdk::sc_chain_spec::Properties {
    let mut p = polkadot_sdk::sc_chain_spec::Properties::new();
    p.insert("tokenSymbol".into(), "RVT".into());
    p.insert("tokenDecimals".into(), 12.into());
    p.insert("ss58Format".into(), 42.into());
    p
}

pub fn development_chain_spec() -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm()?, None)
        .with_name("Rivet Development")
        .with_id("rivet_dev")
        .with_chain_type(ChainType::Development)
        .with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
        .with_properties(properties())
        .build())
}

pub fn local_chain_spec() -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm()?, None)
        .with_name("Rivet Local Testnet")
        .with_id("rivet_local")
        .with_chain_type(ChainType::Local)
        .with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
        .with_properties(properties())
        .build())
}
