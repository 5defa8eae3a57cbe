//! Answers the environment host calls, one per selector, so tests can check each.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use rivet_guest::api;

#[no_mangle]
extern "C" fn deploy() {}

/// 0 caller; 1 address; 2 value transferred; 3 balance; 4 blake2, keccak and sha2 of the
/// rest of the input; 5 block number and timestamp; 6 gas left; 7 transfer(dest [32],
/// amount u128) -> status u8; 8 terminate(beneficiary [32]); 9 debug log then return;
/// 10 storage_contains around a set and a clear; 11 an unknown host call; 12 a host
/// call with an unmapped pointer.
#[no_mangle]
extern "C" fn call() {
    let input = api::input();
    let rest = input.get(1..).unwrap_or(&[]);
    match input.first() {
        Some(0) => api::return_value(&api::caller()),
        Some(1) => api::return_value(&api::address()),
        Some(2) => api::return_value(&api::value_transferred().to_le_bytes()),
        Some(3) => api::return_value(&api::balance().to_le_bytes()),
        Some(4) => {
            let mut out = Vec::with_capacity(96);
            out.extend_from_slice(&api::blake2_256(rest));
            out.extend_from_slice(&api::keccak_256(rest));
            out.extend_from_slice(&api::sha2_256(rest));
            api::return_value(&out)
        }
        Some(5) => {
            let mut out = Vec::with_capacity(16);
            out.extend_from_slice(&api::block_number().to_le_bytes());
            out.extend_from_slice(&api::now().to_le_bytes());
            api::return_value(&out)
        }
        Some(6) => api::return_value(&api::gas_left().to_le_bytes()),
        Some(7) if rest.len() >= 48 => {
            let dest: [u8; 32] = rest[..32].try_into().unwrap();
            let amount = u128::from_le_bytes(rest[32..48].try_into().unwrap());
            let status = match api::transfer(&dest, amount) {
                Ok(()) => 0,
                Err(_) => 4,
            };
            api::return_value(&[status])
        }
        Some(8) if rest.len() >= 32 => api::terminate(&rest[..32].try_into().unwrap()),
        Some(9) => {
            api::debug_log("probe says hello");
            api::return_value(&[])
        }
        // storage_contains before and after a set, then after a clear: 3 lengths (u32).
        Some(10) => {
            let mut out = Vec::with_capacity(12);
            let len = |o: Option<usize>| o.map_or(u32::MAX, |l| l as u32);
            out.extend_from_slice(&len(api::storage_contains(b"k")).to_le_bytes());
            api::storage_set(b"k", b"value");
            out.extend_from_slice(&len(api::storage_contains(b"k")).to_le_bytes());
            api::storage_clear(b"k");
            out.extend_from_slice(&len(api::storage_contains(b"k")).to_le_bytes());
            api::return_value(&out)
        }
        // Sets (13) or clears (14) the keys "s0".."s{n-1}", n = input[1].
        Some(op @ (13 | 14)) if !rest.is_empty() => {
            for i in 0..rest[0] {
                let key = [b's', i];
                if *op == 13 {
                    api::storage_set(&key, b"some value");
                } else {
                    api::storage_clear(&key);
                }
            }
            api::return_value(&[])
        }
        // A host call number nobody defines.
        Some(11) => {
            unsafe { rivet_guest::host::call(999, 0, 0, 0, 0) };
            api::return_value(&[])
        }
        // A storage key at an unmapped address.
        Some(12) => {
            unsafe { rivet_guest::host::call(rivet_guest::abi::host::STORAGE_CONTAINS, 0x10, 4, 0, 0) };
            api::return_value(&[])
        }
        _ => api::revert(b"unknown selector"),
    }
}

rivet_guest::entry_points!(deploy, call);
