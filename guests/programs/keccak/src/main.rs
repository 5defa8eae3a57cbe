#![no_std]
#![no_main]

use rivet_guest::api;
#[allow(unused_imports)]
use rivet_kernels as k;

/// Input: bytes. Output: their Keccak-256.
#[no_mangle]
extern "C" fn call() {
    api::return_value(&k::keccak256(&api::input()));
}

rivet_guest::entry_points!(call);
