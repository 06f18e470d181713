//! A counting global allocator: measures how many bytes a piece of code allocates on the current
//! thread.
//!
//! A test binary installs it with `#[global_allocator]` and then wraps the code under test in
//! [`measure`]:
//!
//! ```
//! use hermod_testkit::alloc_counter::{CountingAllocator, is_installed, measure};
//!
//! #[global_allocator]
//! static ALLOCATOR: CountingAllocator = CountingAllocator::new();
//!
//! fn main() {
//!     assert!(is_installed());
//!     let (buffer, measured) = measure(|| vec![0_u8; 100]);
//!     assert_eq!(measured.allocations, 1);
//!     assert!(measured.peak_bytes >= buffer.len());
//! }
//! ```
//!
//! Every allocation is forwarded unchanged to [`System`]; on the side, per-thread counters record the live bytes, their peak, and the
//! number of allocations and reallocations. The counters are thread-local, so tests running in
//! parallel on other threads do not disturb a measurement.
//!
//! Accounting rules:
//! - A reallocation is counted as if the old and the new block were both live for a moment
//!   (`live + new size` is a candidate for the peak), which is what a moving `realloc` costs.
//! - Memory freed on a thread other than the one that allocated it lowers the freeing thread's
//!   live count (saturating at zero); measurements are meant for code that allocates and frees
//!   on one thread, such as a decoder call.
//! - Nothing is counted in a binary that did not install the allocator: check with
//!   [`is_installed`] so that a forgotten `#[global_allocator]` cannot make a bound pass
//!   vacuously.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::thread::LocalKey;

// `const`-initialised thread-locals of a type without `Drop` need neither a lazy initialiser
// nor a registered destructor, so reading them from inside the allocator cannot allocate or
// recurse into it.
thread_local! {
    /// Bytes allocated and not yet freed by this thread.
    static LIVE: Cell<usize> = const { Cell::new(0) };
    /// The highest value of `LIVE` (including reallocation transients) since the last reset.
    static PEAK: Cell<usize> = const { Cell::new(0) };
    /// Calls to `alloc` and `alloc_zeroed` made by this thread.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    /// Calls to `realloc` made by this thread.
    static REALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// A [`GlobalAlloc`] that forwards to [`System`] and counts per-thread live and peak bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct CountingAllocator;

impl CountingAllocator {
    /// The allocator, for a `#[global_allocator]` static.
    pub const fn new() -> CountingAllocator {
        CountingAllocator
    }
}

/// Reads a counter; 0 if the thread-local is unavailable (never, for these `const` cells).
fn get(key: &'static LocalKey<Cell<usize>>) -> usize {
    key.try_with(Cell::get).unwrap_or(0)
}

/// Writes a counter; a no-op if the thread-local is unavailable. Never panics, so it is safe to
/// call from inside the allocator.
fn set(key: &'static LocalKey<Cell<usize>>, value: usize) {
    let _ = key.try_with(|cell| cell.set(value));
}

fn raise_peak(candidate: usize) {
    if candidate > get(&PEAK) {
        set(&PEAK, candidate);
    }
}

fn on_alloc(size: usize) {
    set(&ALLOCATIONS, get(&ALLOCATIONS).saturating_add(1));
    let live = get(&LIVE).saturating_add(size);
    set(&LIVE, live);
    raise_peak(live);
}

fn on_dealloc(size: usize) {
    set(&LIVE, get(&LIVE).saturating_sub(size));
}

fn on_realloc(old_size: usize, new_size: usize) {
    set(&REALLOCATIONS, get(&REALLOCATIONS).saturating_add(1));
    let live = get(&LIVE);
    // Both blocks may be live while the contents are copied.
    raise_peak(live.saturating_add(new_size));
    set(
        &LIVE,
        live.saturating_sub(old_size).saturating_add(new_size),
    );
}

// SAFETY: every method forwards its arguments unchanged to `System`, which implements
// `GlobalAlloc` correctly, and returns `System`'s result unchanged; the bookkeeping around the
// calls only touches `const` thread-local `Cell`s, which neither allocate nor unwind.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller guarantees `layout` has a non-zero size, which is all that
        // `System.alloc` requires.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            on_alloc(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`: the caller guarantees a non-zero size.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            on_alloc(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees `ptr` was allocated by this allocator with `layout`,
        // and every block this allocator hands out comes from `System` with that same layout.
        unsafe { System.dealloc(ptr, layout) };
        on_dealloc(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `ptr` is a block of this allocator (hence of `System`)
        // allocated with `layout`, and that `new_size` is non-zero and does not overflow when
        // rounded up to `layout.align()`: exactly `System.realloc`'s contract.
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            on_realloc(layout.size(), new_size);
        }
        new_ptr
    }
}

/// Bytes allocated and not yet freed by the current thread.
pub fn live_bytes() -> usize {
    get(&LIVE)
}

/// The highest number of live bytes on the current thread since the last [`reset_peak`].
pub fn peak_bytes() -> usize {
    get(&PEAK)
}

/// Restarts peak tracking on the current thread from its present live bytes.
pub fn reset_peak() {
    set(&PEAK, get(&LIVE));
}

/// The number of allocations (`alloc` and `alloc_zeroed`) the current thread has made.
pub fn allocation_count() -> usize {
    get(&ALLOCATIONS)
}

/// The number of reallocations the current thread has made.
pub fn reallocation_count() -> usize {
    get(&REALLOCATIONS)
}

/// Whether [`CountingAllocator`] is this binary's global allocator: allocates a small box and
/// checks that the counters saw it.
pub fn is_installed() -> bool {
    let before = allocation_count();
    let probe = std::hint::black_box(Box::new([0_u8; 64]));
    let after = allocation_count();
    drop(probe);
    after > before
}

/// What one call of [`measure`] allocated on the current thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measurement {
    /// The peak of live bytes above the level at the start of the call.
    pub peak_bytes: usize,
    /// Bytes still live at the end that were not live at the start (what the result holds).
    pub retained_bytes: usize,
    /// Allocations made during the call.
    pub allocations: usize,
    /// Reallocations made during the call.
    pub reallocations: usize,
}

/// Runs `f` and reports what it allocated on the current thread.
///
/// Nested calls are fine: the outer measurement still sees the inner call's peak.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Measurement) {
    let outer_peak = peak_bytes();
    let start_live = live_bytes();
    let start_allocations = allocation_count();
    let start_reallocations = reallocation_count();
    reset_peak();
    let result = f();
    let peak = peak_bytes();
    let measurement = Measurement {
        peak_bytes: peak.saturating_sub(start_live),
        retained_bytes: live_bytes().saturating_sub(start_live),
        allocations: allocation_count().saturating_sub(start_allocations),
        reallocations: reallocation_count().saturating_sub(start_reallocations),
    };
    set(&PEAK, outer_peak.max(peak));
    (result, measurement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static ALLOCATOR: CountingAllocator = CountingAllocator::new();

    #[test]
    fn installed_in_this_test_binary() {
        assert!(is_installed());
    }

    #[test]
    fn counts_one_allocation_and_its_size() {
        let (vec, measured) = measure(|| Vec::<u8>::with_capacity(1000));
        assert_eq!(measured.allocations, 1);
        assert_eq!(measured.reallocations, 0);
        assert!(measured.peak_bytes >= 1000, "{measured:?}");
        assert!(measured.retained_bytes >= 1000, "{measured:?}");
        let ((), freed) = measure(|| drop(vec));
        assert_eq!(freed.peak_bytes, 0);
        assert_eq!(freed.retained_bytes, 0);
    }

    #[test]
    fn temporary_allocations_count_in_the_peak_only() {
        let ((), measured) = measure(|| {
            let big = std::hint::black_box(vec![1_u8; 4096]);
            drop(big);
        });
        assert!(measured.peak_bytes >= 4096, "{measured:?}");
        assert_eq!(measured.retained_bytes, 0);
    }

    #[test]
    fn reallocation_counts_both_blocks_in_the_peak() {
        let mut vec = Vec::<u8>::with_capacity(1024);
        vec.extend_from_slice(&[7; 1024]);
        let ((), measured) = measure(|| vec.reserve_exact(2048));
        assert_eq!(measured.reallocations, 1);
        // Old block (1024, already live) plus the new one (3072): 3072 above the start.
        assert!(measured.peak_bytes >= 3072, "{measured:?}");
        assert_eq!(measured.retained_bytes, 2048);
    }

    #[test]
    fn nested_measurements_keep_the_outer_peak() {
        let ((), outer) = measure(|| {
            let ((), inner) = measure(|| drop(std::hint::black_box(vec![0_u8; 2000])));
            assert!(inner.peak_bytes >= 2000, "{inner:?}");
        });
        assert!(outer.peak_bytes >= 2000, "{outer:?}");
    }
}
