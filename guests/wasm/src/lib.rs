//! The kernels behind the same calling convention for every program: the host
//! allocates input with `alloc`, calls `<program>(ptr, len)`, which returns the output
//! length, then reads the output at `output()`. Built for wasm32-unknown-unknown
//! (std: its allocator is dlmalloc).

use rivet_kernels as k;

static mut OUT: [u8; 64] = [0; 64];

fn emit(bytes: &[u8]) -> usize {
    assert!(bytes.len() <= 64);
    // SAFETY: single-threaded wasm; OUT is only written here and read by the host.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), (&raw mut OUT) as *mut u8, bytes.len()) };
    bytes.len()
}

fn input<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    // SAFETY: the host wrote `len` bytes at `ptr`, from `alloc`.
    unsafe { core::slice::from_raw_parts(ptr, len) }
}

#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len.max(1));
    let p = v.as_mut_ptr();
    core::mem::forget(v);
    p
}

#[no_mangle]
pub extern "C" fn output() -> *const u8 {
    (&raw const OUT) as *const u8
}

#[no_mangle]
pub extern "C" fn fibonacci(ptr: *const u8, len: usize) -> usize {
    let n = k::arg(input(ptr, len), 0);
    let mut o = [0u8; 12];
    o[..8].copy_from_slice(&k::fibonacci(n).to_le_bytes());
    o[8..].copy_from_slice(&k::fibonacci_recursive(n.min(24)).to_le_bytes());
    emit(&o)
}

#[no_mangle]
pub extern "C" fn sieve(ptr: *const u8, len: usize) -> usize {
    emit(&k::count_primes(k::arg(input(ptr, len), 0)).to_le_bytes())
}

#[no_mangle]
pub extern "C" fn sha256(ptr: *const u8, len: usize) -> usize {
    emit(&k::sha256(input(ptr, len)))
}

#[no_mangle]
pub extern "C" fn keccak(ptr: *const u8, len: usize) -> usize {
    emit(&k::keccak256(input(ptr, len)))
}

#[no_mangle]
pub extern "C" fn sort(ptr: *const u8, len: usize) -> usize {
    let i = input(ptr, len);
    emit(&k::sort_checksum(k::arg(i, 0), k::arg(i, 1)).to_le_bytes())
}

#[no_mangle]
pub extern "C" fn collections(ptr: *const u8, len: usize) -> usize {
    let i = input(ptr, len);
    emit(&k::collections_checksum(k::arg(i, 0), k::arg(i, 1)).to_le_bytes())
}
