//! Scenario tests: the broker core driven through [`crate::Connection`] with a fake clock, as
//! the server's driver drives it, one file per area.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Scenarios fail loudly on a broken step.

mod harness;

mod alias;
mod backpressure;
mod connect;
mod delivery;
mod limits;
mod overflow;
mod persist;
mod qos;
mod retained;
mod session;
mod shared;
mod will;
