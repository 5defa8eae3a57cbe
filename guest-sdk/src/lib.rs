//! Write Rivet guest programs in ordinary `no_std` Rust.
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! use rivet_guest::api;
//!
//! #[no_mangle]
//! extern "C" fn call() {
//!     let input = api::input();
//!     api::return_value(&input);
//! }
//! rivet_guest::entry_points!(call);
//! ```
//!
//! Build for `riscv32em-unknown-none-elf` with `memory.ld` as the linker script, then
//! turn the ELF into a blob with `rivet-link`.
#![no_std]

extern crate alloc;

pub use rivet_abi as abi;

pub mod api;
pub mod host;

#[cfg(feature = "allocator")]
mod allocator;

#[cfg(all(feature = "panic-handler", target_arch = "riscv32"))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    use core::fmt::Write;
    // Best effort: a fixed buffer, so a panic never allocates.
    let mut buf = api::FixedBuf::<256>::new();
    let _ = write!(buf, "panic: {}", info.message());
    api::debug_log(buf.as_str());
    unsafe { core::arch::asm!("unimp", options(noreturn)) }
}

/// One record of the `.rivet_exports` section: `rivet-link` turns these into the
/// blob's entry table. Layout: code address (u32), name length (u32), name bytes.
#[repr(C)]
pub struct ExportRecord<const N: usize> {
    pub address: extern "C" fn(),
    pub name_len: u32,
    pub name: [u8; N],
}

/// Declares the program's entry points: `extern "C" fn()` functions whose names
/// become the entry names (e.g. `deploy`, `call`).
#[macro_export]
macro_rules! entry_points {
    ($($name:ident),+ $(,)?) => {
        $(
            const _: () = {
                #[used]
                #[link_section = ".rivet_exports"]
                static EXPORT: $crate::ExportRecord<{ stringify!($name).len() }> = $crate::ExportRecord {
                    address: $name,
                    name_len: stringify!($name).len() as u32,
                    name: {
                        let s = stringify!($name).as_bytes();
                        let mut out = [0u8; stringify!($name).len()];
                        let mut i = 0;
                        while i < s.len() {
                            out[i] = s[i];
                            i += 1;
                        }
                        out
                    },
                };
            };
        )+
    };
}
