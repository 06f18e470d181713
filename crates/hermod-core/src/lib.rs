//! Hermod's broker semantics, with no I/O (sans-IO).
//!
//! This crate owns what a broker does with valid packets: the per-connection protocol engine
//! ([`Connection`]: CONNECT and CONNACK, keep alive, QoS 0/1/2 in both directions, topic
//! aliases, flow control, wills), sessions ([`session`]: subscriptions, queues with overflow
//! policies, in-flight messages, takeover and expiry), routing ([`Broker::publish`]: overlapping
//! and shared subscriptions, No Local, retained messages) and the broker's timers.
//!
//! It must not depend on an async runtime, sockets or files: time is always an argument, and
//! wake-ups use `std::task::Waker`, so the tokio edge (`hermod-server`), tests with a fake clock
//! and fuzzers drive the same code. Wire formats come from `hermod-codec`, topic matching and
//! indexes from `hermod-router`.
//!
//! Modules:
//! - [`broker`]: the shared [`Broker`] (registry, index, retained store, timers).
//! - [`connection`]: the per-connection protocol engine.
//! - [`session`]: session state behind a per-session lock.
//! - [`message`]: shared application messages and per-recipient deliveries.
//! - [`config`]: limits and policies.
//! - [`violation`]: protocol violations and their reason codes.
//! - [`stats`]: counters for metrics.
//! - [`store`]: the session store trait and its in-memory implementation.
//! - [`persist`]: what a durable store is told ([`persist::Persistence`]).
#![forbid(unsafe_code)]

pub mod broker;
pub mod config;
pub mod connection;
pub mod message;
pub mod persist;
mod routing;
pub mod session;
pub mod stats;
pub mod store;
pub mod violation;

#[cfg(test)]
mod tests;

pub use broker::Broker;
pub use config::{BrokerConfig, OverflowPolicy};
pub use connection::{CloseReason, Connection, Peer};
pub use message::{Delivery, Message};
pub use violation::Violation;
