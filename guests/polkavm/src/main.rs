//! The kernels as PolkaVM exports, same calling convention as the wasm build: the host
//! writes input at `input_ptr()`, calls `<program>(len)`, which returns the output
//! length, and reads the output at `output_ptr()`. Built for polkavm-linker's
//! riscv64emac target by vm-bench's build script.
#![no_std]
#![no_main]

extern crate alloc;

use rivet_kernels as k;
use talc::cell::{TalcCell, TalcSyncCell};
use talc::source::Claim;

polkavm_derive::min_stack_size!(256 * 1024);

const INPUT_CAP: usize = 2 << 20;
static mut INPUT: [u8; INPUT_CAP] = [0; INPUT_CAP];
static mut OUT: [u8; 64] = [0; 64];
static mut ARENA: [u8; 48 << 20] = [0; 48 << 20];

// Single-threaded guest: the unsynchronised cell is sound.
#[global_allocator]
static ALLOCATOR: TalcSyncCell<Claim, talc::DefaultBinning> = unsafe { TalcSyncCell::new(TalcCell::new(Claim::array(&raw mut ARENA))) };

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe { core::arch::asm!("unimp", options(noreturn)) }
}

fn input(len: u32) -> &'static [u8] {
    // SAFETY: the host wrote `len` bytes at INPUT before the call; nothing writes it
    // while the slice lives.
    unsafe { core::slice::from_raw_parts((&raw const INPUT) as *const u8, (len as usize).min(INPUT_CAP)) }
}

fn emit(bytes: &[u8]) -> u32 {
    // SAFETY: single-threaded; OUT is only written here and read by the host.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), (&raw mut OUT) as *mut u8, bytes.len().min(64)) };
    bytes.len() as u32
}

#[polkavm_derive::polkavm_export]
extern "C" fn input_ptr() -> u32 {
    (&raw const INPUT) as usize as u32
}

#[polkavm_derive::polkavm_export]
extern "C" fn output_ptr() -> u32 {
    (&raw const OUT) as usize as u32
}

#[polkavm_derive::polkavm_export]
extern "C" fn fibonacci(len: u32) -> u32 {
    let n = k::arg(input(len), 0);
    let mut o = [0u8; 12];
    o[..8].copy_from_slice(&k::fibonacci(n).to_le_bytes());
    o[8..].copy_from_slice(&k::fibonacci_recursive(n.min(24)).to_le_bytes());
    emit(&o)
}

#[polkavm_derive::polkavm_export]
extern "C" fn sieve(len: u32) -> u32 {
    emit(&k::count_primes(k::arg(input(len), 0)).to_le_bytes())
}

#[polkavm_derive::polkavm_export]
extern "C" fn sha256(len: u32) -> u32 {
    emit(&k::sha256(input(len)))
}

#[polkavm_derive::polkavm_export]
extern "C" fn keccak(len: u32) -> u32 {
    emit(&k::keccak256(input(len)))
}

#[polkavm_derive::polkavm_export]
extern "C" fn sort(len: u32) -> u32 {
    let i = input(len);
    emit(&k::sort_checksum(k::arg(i, 0), k::arg(i, 1)).to_le_bytes())
}

#[polkavm_derive::polkavm_export]
extern "C" fn collections(len: u32) -> u32 {
    let i = input(len);
    emit(&k::collections_checksum(k::arg(i, 0), k::arg(i, 1)).to_le_bytes())
}
