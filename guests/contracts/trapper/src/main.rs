//! Writes storage, then fails: selector 0 traps (a panic), 1 reverts with "no".
#![no_std]
#![no_main]

use rivet_guest::api;

#[no_mangle]
extern "C" fn deploy() {}

#[no_mangle]
extern "C" fn call() {
    api::storage_set(b"touched", b"yes");
    api::deposit_event(&[], b"about to fail");
    match api::input().first() {
        Some(1) => api::revert(b"no"),
        _ => panic!("trapper traps"),
    }
}

rivet_guest::entry_points!(deploy, call);
