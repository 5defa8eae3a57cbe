//! Contract addresses and child tries.

use polkadot_sdk::{sp_core::H256, sp_io::hashing::blake2_256, sp_runtime::AccountId32};

/// The address of the contract `deployer` instantiates from `code_hash` with `salt`:
/// blake2-256 of a domain tag and the three, so the same triple always gives the same
/// address and different ones (practically) never collide.
pub fn contract_address(deployer: &AccountId32, code_hash: &H256, salt: &[u8]) -> AccountId32 {
    let mut buf = alloc::vec::Vec::with_capacity(14 + 64 + salt.len());
    buf.extend_from_slice(b"rivet:contract");
    buf.extend_from_slice(deployer.as_ref());
    buf.extend_from_slice(code_hash.as_bytes());
    buf.extend_from_slice(salt);
    AccountId32::new(blake2_256(&buf))
}

/// The child trie of the contract instantiated at `address` with a never-reused
/// `nonce`: a contract instantiated again at the address of a terminated one starts
/// with a trie of its own, whatever the old one still holds.
pub fn trie_id(address: &AccountId32, nonce: u64) -> [u8; 32] {
    let mut buf = [0u8; 51];
    buf[..11].copy_from_slice(b"rivet:trie:");
    buf[11..43].copy_from_slice(address.as_ref());
    buf[43..].copy_from_slice(&nonce.to_le_bytes());
    blake2_256(&buf)
}

pub fn child_info(trie_id: &[u8; 32]) -> polkadot_sdk::sp_core::storage::ChildInfo {
    polkadot_sdk::sp_core::storage::ChildInfo::new_default(trie_id)
}
