//! What the broker tells a durable store: the [`Persistence`] trait, which `hermod-store`
//! implements. Without one (the in-memory mode) the broker keeps everything in memory only;
//! the broker's logic is the same either way.
//!
//! So far the broker records retained messages; sessions, their subscriptions and queues
//! follow (issue 6).

use std::fmt;

use hermod_codec::TopicName;

use crate::message::Message;

/// A durable store of the broker's state.
pub trait Persistence: Send + Sync + fmt::Debug {
    /// The retained message of `topic` was set (`Some`, with its own copy of the bytes) or
    /// cleared (`None`). Called in the order the changes were made, under the retained
    /// store's lock.
    fn retained_changed(&self, topic: &TopicName, message: Option<&Message>);
}
