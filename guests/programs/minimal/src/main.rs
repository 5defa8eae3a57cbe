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

rivet_guest::entry_points!(deploy, call);
