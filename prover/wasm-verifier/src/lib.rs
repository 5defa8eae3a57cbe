//! `verify(blob, proof file)` exported from wasm: what the runtime would run.

use std::slice;

/// Memory for the host to write inputs into (never freed: one verification per
/// instance).
#[no_mangle]
pub extern "C" fn alloc(len: u32) -> *mut u8 {
    Box::leak(vec![0u8; len as usize].into_boxed_slice()).as_mut_ptr()
}

/// 0: the proof file proves its statement about the blob; 1: it doesn't; 2: the
/// proof file is malformed.
///
/// # Safety
/// The pointers are `len`-byte buffers from `alloc`.
#[no_mangle]
pub unsafe extern "C" fn verify(blob: *const u8, blob_len: u32, file: *const u8, file_len: u32) -> u32 {
    let blob = unsafe { slice::from_raw_parts(blob, blob_len as usize) };
    let file = unsafe { slice::from_raw_parts(file, file_len as usize) };
    match rivet_prover::proof::unbundle(file) {
        Ok((statement, proof)) => match rivet_prover::verify(blob, &statement, proof) {
            Ok(()) => 0,
            Err(_) => 1,
        },
        Err(_) => 2,
    }
}

thread_local! {
    static KEY: std::cell::RefCell<Option<rivet_prover::VerifyingKey>> = const { std::cell::RefCell::new(None) };
}

/// Computes the blob's verifying key and keeps it for `verify_with_key`: 0 on success.
///
/// # Safety
/// As for `verify`.
#[no_mangle]
pub unsafe extern "C" fn make_key(blob: *const u8, blob_len: u32) -> u32 {
    let blob = unsafe { slice::from_raw_parts(blob, blob_len as usize) };
    match rivet_prover::VerifyingKey::new(blob) {
        Ok(k) => {
            KEY.with(|c| *c.borrow_mut() = Some(k));
            0
        }
        Err(_) => 1,
    }
}

/// `verify` against the key `make_key` made (3 if there is none).
///
/// # Safety
/// As for `verify`.
#[no_mangle]
pub unsafe extern "C" fn verify_with_key(file: *const u8, file_len: u32) -> u32 {
    let file = unsafe { slice::from_raw_parts(file, file_len as usize) };
    KEY.with(|c| match (c.borrow().as_ref(), rivet_prover::proof::unbundle(file)) {
        (None, _) => 3,
        (_, Err(_)) => 2,
        (Some(key), Ok((statement, proof))) => match key.verify(&statement, proof) {
            Ok(()) => 0,
            Err(_) => 1,
        },
    })
}
