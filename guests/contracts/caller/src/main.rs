//! Calls and instantiates other contracts, for the pallet's nested-call tests.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use rivet_guest::api::{self, CallStatus};

fn status_code(s: CallStatus) -> u8 {
    match s {
        CallStatus::Reverted => 1,
        CallStatus::Trapped => 2,
        CallStatus::NotFound => 3,
        CallStatus::TransferFailed => 4,
        CallStatus::DuplicateContract => 5,
        CallStatus::DepthExceeded => 6,
        CallStatus::ReentranceDenied => 7,
        CallStatus::Other(n) => n as u8,
    }
}

#[no_mangle]
extern "C" fn deploy() {}

/// Selectors:
/// - 0 forward: callee [32], flags u8 (1 = allow reentry), value u128, gas u64, then the
///   callee's input. Returns status u8 followed by the callee's output; stores the
///   status under "last" afterwards (so tests see the caller's own writes survive a
///   failed callee).
/// - 1 instantiate: code hash [32], value u128, salt length u8, salt, then the deploy
///   input. Returns status u8, then the new address.
/// - 2 recurse: depth u32. Calls itself (reentry allowed) depth times, then returns the
///   depth reached; a failure deep down reverts with the innermost status.
#[no_mangle]
extern "C" fn call() {
    let input = api::input();
    match input.first() {
        Some(0) if input.len() >= 58 => {
            let callee: [u8; 32] = input[1..33].try_into().unwrap();
            let allow = input[33] & 1 == 1;
            let value = u128::from_le_bytes(input[34..50].try_into().unwrap());
            let gas = u64::from_le_bytes(input[50..58].try_into().unwrap());
            let (status, output) = match api::call_contract(&callee, value, gas, &input[58..], allow) {
                Ok(out) => (0, out),
                Err(f) => (status_code(f.status), f.output),
            };
            api::storage_set(b"last", &[status]);
            let mut ret = Vec::with_capacity(1 + output.len());
            ret.push(status);
            ret.extend_from_slice(&output);
            api::return_value(&ret)
        }
        Some(1) if input.len() >= 50 => {
            let code_hash: [u8; 32] = input[1..33].try_into().unwrap();
            let value = u128::from_le_bytes(input[33..49].try_into().unwrap());
            let salt_len = input[49] as usize;
            let Some(salt) = input.get(50..50 + salt_len) else { api::revert(b"short salt") };
            let deploy_input = &input[50 + salt_len..];
            match api::instantiate(&code_hash, value, 0, deploy_input, salt) {
                Ok((addr, _)) => {
                    let mut ret = Vec::with_capacity(33);
                    ret.push(0);
                    ret.extend_from_slice(&addr);
                    api::return_value(&ret)
                }
                Err(f) => api::return_value(&[status_code(f.status)]),
            }
        }
        Some(2) if input.len() >= 5 => {
            let depth = u32::from_le_bytes(input[1..5].try_into().unwrap());
            if depth == 0 {
                api::return_value(&0u32.to_le_bytes());
            }
            let mut next = Vec::from(&input[..]);
            next[1..5].copy_from_slice(&(depth - 1).to_le_bytes());
            match api::call_contract(&api::address(), 0, 0, &next, true) {
                Ok(out) => {
                    let below = u32::from_le_bytes(out[..4].try_into().unwrap());
                    api::return_value(&(below + 1).to_le_bytes())
                }
                // Pass the innermost failure up unchanged.
                Err(f) if f.status == CallStatus::Reverted => api::revert(&f.output),
                Err(f) => api::revert(&[status_code(f.status)]),
            }
        }
        _ => api::revert(b"unknown selector"),
    }
}

rivet_guest::entry_points!(deploy, call);
