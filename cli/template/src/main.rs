//! A Rivet contract: a counter anyone can bump and read, emitting an event each time.
//! Build it with `rivet build`; `rivet --help` shows how to deploy and call it.
#![no_std]
#![no_main]

use rivet_guest::api;

const COUNT: &[u8] = b"count";

fn count() -> u64 {
    api::storage_get(COUNT).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).unwrap_or(0)
}

/// Runs once, at instantiation. Input: the starting count (u64 LE), or nothing for 0.
#[no_mangle]
extern "C" fn deploy() {
    let input = api::input();
    let start = input.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).unwrap_or(0);
    api::storage_set(COUNT, &start.to_le_bytes());
}

/// Input: selector byte 0 = add the u64 that follows (1 if none) and return the new
/// count; 1 = return the count. Anything else reverts.
#[no_mangle]
extern "C" fn call() {
    let input = api::input();
    match input.first() {
        Some(0) => {
            let by = input.get(1..9).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).unwrap_or(1);
            let Some(new) = count().checked_add(by) else { api::revert(b"overflow") };
            api::storage_set(COUNT, &new.to_le_bytes());
            api::deposit_event(&[api::blake2_256(b"Bumped")], &new.to_le_bytes());
            api::return_value(&new.to_le_bytes())
        }
        Some(1) => api::return_value(&count().to_le_bytes()),
        _ => api::revert(b"unknown selector"),
    }
}

rivet_guest::entry_points!(deploy, call);
