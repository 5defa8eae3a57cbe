//! Writes storage, then loops until the gas runs out.
#![no_std]
#![no_main]

use rivet_guest::api;

#[no_mangle]
extern "C" fn deploy() {}

#[no_mangle]
extern "C" fn call() {
    api::storage_set(b"touched", b"yes");
    let mut x: u32 = 1;
    loop {
        // Opaque to the optimiser, so the loop is not removed.
        x = core::hint::black_box(x.wrapping_mul(3).wrapping_add(1));
    }
}

rivet_guest::entry_points!(deploy, call);
