//! The test harness crate of Hermod: helpers used only by tests, benches and fuzz targets of the
//! other crates, never by the broker itself.
//!
//! It is a dev-dependency only and is not published. It exists so that the crates under test
//! can keep `#![forbid(unsafe_code)]`: whatever a test needs that requires `unsafe` (such as a
//! [`GlobalAlloc`](std::alloc::GlobalAlloc) implementation) lives here, reviewed once.
//!
//! Modules:
//! - [`alloc_counter`]: a counting global allocator that measures the bytes a piece of code
//!   allocates on the current thread (peak live bytes, allocation and reallocation counts).

pub mod alloc_counter;
