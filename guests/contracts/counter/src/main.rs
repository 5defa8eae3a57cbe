#![no_std]
#![no_main]

use rivet_guest::api;

const KEY: &[u8] = b"count";

fn get() -> u32 {
    api::storage_get(KEY).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes).unwrap_or(0)
}

/// Input: the initial count (u32 LE), or nothing for 0.
#[no_mangle]
extern "C" fn deploy() {
    let input = api::input();
    let start = input.get(..4).map(|b| u32::from_le_bytes(b.try_into().unwrap())).unwrap_or(0);
    api::storage_set(KEY, &start.to_le_bytes());
}

/// Selector 0: increment and return the new count; 1: return the count.
#[no_mangle]
extern "C" fn call() {
    let input = api::input();
    match input.first() {
        Some(0) => {
            let v = get().wrapping_add(1);
            api::storage_set(KEY, &v.to_le_bytes());
            api::return_value(&v.to_le_bytes())
        }
        Some(1) => api::return_value(&get().to_le_bytes()),
        _ => api::revert(b"unknown selector"),
    }
}

rivet_guest::entry_points!(deploy, call);
