#![no_std]
#![no_main]

use rivet_guest::api;
#[allow(unused_imports)]
use rivet_kernels as k;

/// Input: n, seed (u32 each). Output: checksum of n sorted pseudo-random words (u64).
#[no_mangle]
extern "C" fn call() {
    let input = api::input();
    api::return_value(&k::sort_checksum(k::arg(&input, 0), k::arg(&input, 1)).to_le_bytes());
}

rivet_guest::entry_points!(call);
