#![no_std]
#![no_main]

use rivet_guest::api;
#[allow(unused_imports)]
use rivet_kernels as k;

/// Input: n (u32). Output: the number of primes below n (u32).
#[no_mangle]
extern "C" fn call() {
    let n = k::arg(&api::input(), 0);
    api::return_value(&k::count_primes(n).to_le_bytes());
}

rivet_guest::entry_points!(call);
