//! Genesis presets: `dev` (Alice the only validator) and `local` (Alice, Bob and
//! Charlie validate); Alice, Bob and Charlie (and their stashes) are endowed, Alice is
//! sudo.

use alloc::{vec, vec::Vec};
use polkadot_sdk::{
    frame_support::build_struct_json_patch,
    pallet_aura, pallet_grandpa,
    sp_consensus_aura::sr25519::AuthorityId as AuraId,
    sp_consensus_grandpa::AuthorityId as GrandpaId,
    sp_genesis_builder::{self, PresetId},
    sp_keyring::{Ed25519Keyring, Sr25519Keyring},
};
use serde_json::Value;

use crate::{AccountId, BalancesConfig, RuntimeGenesisConfig, SudoConfig};

fn testnet_genesis(initial_authorities: Vec<(AuraId, GrandpaId)>, endowed_accounts: Vec<AccountId>, root: AccountId) -> Value {
    build_struct_json_patch!(RuntimeGenesisConfig {
        balances: BalancesConfig { balances: endowed_accounts.iter().cloned().map(|k| (k, 1u128 << 60)).collect::<Vec<_>>() },
        aura: pallet_aura::GenesisConfig { authorities: initial_authorities.iter().map(|x| x.0.clone()).collect::<Vec<_>>() },
        grandpa: pallet_grandpa::GenesisConfig { authorities: initial_authorities.iter().map(|x| (x.1.clone(), 1)).collect::<Vec<_>>() },
        sudo: SudoConfig { key: Some(root) },
    })
}

fn authority(s: Sr25519Keyring, e: Ed25519Keyring) -> (AuraId, GrandpaId) {
    (s.public().into(), e.public().into())
}

fn endowed() -> Vec<AccountId> {
    [
        Sr25519Keyring::Alice,
        Sr25519Keyring::Bob,
        Sr25519Keyring::Charlie,
        Sr25519Keyring::AliceStash,
        Sr25519Keyring::BobStash,
        Sr25519Keyring::CharlieStash,
    ]
    .iter()
    .map(|k| k.to_account_id())
    .collect()
}

pub fn development_config_genesis() -> Value {
    testnet_genesis(vec![authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice)], endowed(), Sr25519Keyring::Alice.to_account_id())
}

pub fn local_config_genesis() -> Value {
    testnet_genesis(
        vec![
            authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
            authority(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
            authority(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
        ],
        endowed(),
        Sr25519Keyring::Alice.to_account_id(),
    )
}

pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
        _ => return None,
    };
    // A JSON value built from typed data always serializes.
    serde_json::to_string(&patch).ok().map(String::into_bytes)
}

pub fn preset_names() -> Vec<PresetId> {
    vec![PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET), PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)]
}

use alloc::string::String;
