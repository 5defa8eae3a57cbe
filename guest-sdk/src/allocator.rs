//! The global allocator: talc over heap pages obtained from the host with `sbrk`.
//! Guests are single-threaded, so the unsynchronized cell is sound.

use core::alloc::Layout;
use core::ptr::NonNull;

use talc::base::binning::Binning;
use talc::base::Talc;
use talc::cell::{TalcCell, TalcSyncCell};
use talc::source::Source;

/// Grow the heap in steps of at least this much, so small allocations don't each
/// cost a host call.
const MIN_GROWTH: usize = 64 * 1024;
const PAGE: usize = 4096;

#[derive(Debug)]
pub struct Sbrk {
    end: Option<NonNull<u8>>,
}

unsafe impl Source for Sbrk {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        // Room for the block, its alignment and talc's bookkeeping.
        let needed = (layout.size() + layout.align() + 256).next_multiple_of(PAGE);
        let (base, size) = match crate::api::sbrk(needed.max(MIN_GROWTH) as u32) {
            Some(b) => (b, needed.max(MIN_GROWTH)),
            None => (crate::api::sbrk(needed as u32).ok_or(())?, needed),
        };
        let base = base as usize as *mut u8;
        let new_end = unsafe { base.add(size) };
        if let Some(old_end) = talc.source.end.take() {
            if old_end.as_ptr() == base {
                talc.source.end = Some(unsafe { talc.extend(old_end, new_end) });
                return Ok(());
            }
        }
        talc.source.end = unsafe { talc.claim(base, size) };
        talc.source.end.map(|_| ()).ok_or(())
    }
}

#[cfg(target_arch = "riscv32")]
#[global_allocator]
static ALLOCATOR: TalcSyncCell<Sbrk, talc::DefaultBinning> = unsafe { TalcSyncCell::new(TalcCell::new(Sbrk { end: None })) };
