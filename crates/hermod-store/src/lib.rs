//! Hermod's durable state on an embedded storage engine (fjall, see
//! `docs/decisions/0004-storage-engine.md`).
//!
//! This crate owns the data directory and the commit policy; the broker's semantics stay in
//! `hermod-core`. Layers:
//! - [`data_dir`]: the directory itself: created on first use, locked against a second broker,
//!   stamped with the on-disk format version, refused with a clear error when it is not ours or
//!   from an incompatible version.
//! - [`backend`]: the key spaces and atomic batches of writes; [`backend::FjallBackend`] is the
//!   real one, and tests put a backend that fails on purpose in its place.
//! - [`commit`]: group commit: writes submitted from any thread are applied in batches by one
//!   writer thread, each batch made durable with one fsync (`sync` mode) or flushed every few
//!   milliseconds (`periodic` mode); a ticket per submission says when it is durable.
//!
//! - [`record`]: how records are laid out in values.
//! - [`Store`]: all of it behind `hermod-core`'s `Persistence` trait: opened (and recovered) at
//!   startup, told every change by the broker.
//!
//! Only this crate names the storage engine.
#![forbid(unsafe_code)]

pub mod backend;
pub mod commit;
pub mod data_dir;
mod error;
pub mod record;
mod store;

pub use backend::{Backend, FjallBackend, Op, Space};
pub use commit::{Committer, Durability, Ticket, TicketState};
pub use data_dir::DataDir;
pub use error::StoreError;
pub use store::{Recovered, Store, StoreConfig};
