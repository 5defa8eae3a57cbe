#![no_std]
#![no_main]

use rivet_guest::api;
#[allow(unused_imports)]
use rivet_kernels as k;

/// Echoes its input.
#[no_mangle]
extern "C" fn call() {
    api::return_value(&api::input());
}

/// Returns without output.
#[no_mangle]
extern "C" fn deploy() {}

/// Increments a counter in storage, logs, and returns the new value (u32).
#[no_mangle]
extern "C" fn counter() {
    let v = api::storage_get(b"count").map(|b| k::arg(&b, 0)).unwrap_or(0) + 1;
    api::storage_set(b"count", &v.to_le_bytes());
    api::debug_log("counter incremented");
    api::return_value(&v.to_le_bytes());
}

/// Clears the counter; returns whether it existed (1 or 0).
#[no_mangle]
extern "C" fn reset() {
    let existed = api::storage_contains(b"count").is_some();
    api::storage_clear(b"count");
    api::return_value(&[existed as u8]);
}

/// Reverts with its input as the output.
#[no_mangle]
extern "C" fn fail() {
    api::revert(&api::input());
}

rivet_guest::entry_points!(deploy, call, counter, reset, fail);
