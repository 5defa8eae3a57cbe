#![no_std]
#![no_main]

use rivet_guest::api;
#[allow(unused_imports)]
use rivet_kernels as k;

/// Input: n (u32). Output: fib(n) mod 2^64 (u64), then fib_recursive(min(n, 24)) (u32).
#[no_mangle]
extern "C" fn call() {
    let n = k::arg(&api::input(), 0);
    let mut out = [0u8; 12];
    out[..8].copy_from_slice(&k::fibonacci(n).to_le_bytes());
    out[8..].copy_from_slice(&k::fibonacci_recursive(n.min(24)).to_le_bytes());
    api::return_value(&out);
}

rivet_guest::entry_points!(call);
