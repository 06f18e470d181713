//! Hermod's network edge on tokio.
//!
//! This crate moves bytes and timers and nothing else: it accepts TCP connections, reads into a
//! buffer, decodes every complete packet (`hermod-codec`), hands each to the connection's
//! protocol engine (`hermod-core`), and writes everything the engine has ready in one call. It
//! also runs the broker's timers and the graceful shutdown. Protocol decisions never live here.
//!
//! Modules:
//! - [`server`]: listeners, the accept loop, the broker timer task and shutdown.
//! - [`driver`]: one task per connection (socket ⇄ codec ⇄ core).
#![forbid(unsafe_code)]

pub mod driver;
mod parking;
pub mod server;

pub use server::{Server, ServerConfig, ServerError};
