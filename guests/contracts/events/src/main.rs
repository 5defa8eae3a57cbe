//! Emits an event per call: input = topic count u8, the topics (32 bytes each), data.
#![no_std]
#![no_main]

use rivet_guest::api;

#[no_mangle]
extern "C" fn deploy() {
    api::deposit_event(&[], b"deployed");
}

#[no_mangle]
extern "C" fn call() {
    let input = api::input();
    let n = *input.first().unwrap_or(&0) as usize;
    let Some(topic_bytes) = input.get(1..1 + 32 * n) else { api::revert(b"short topics") };
    let topics: alloc::vec::Vec<[u8; 32]> = topic_bytes.chunks(32).map(|c| c.try_into().unwrap()).collect();
    api::deposit_event(&topics, &input[1 + 32 * n..]);
    api::return_value(&[])
}

extern crate alloc;

rivet_guest::entry_points!(deploy, call);
