//! Routing for the Hermod MQTT broker: which subscriptions a published topic reaches.
//!
//! This crate owns the topic-filter side of routing: topic matching (`+`, `#`, the `$` rule),
//! the parsing of shared-subscription filters (`$share/{ShareName}/{filter}` and the
//! `$queue/{filter}` alias), the subscription trie that finds every subscription matching a
//! published topic, the choice of one member per shared group, and the retained-message index
//! that finds the retained messages a new subscription matches.
//!
//! The indexes are single-threaded data structures: mutation takes `&mut self`, every query
//! (shared-member selection included) takes `&self` and they are `Sync`, so the core can wrap
//! them in a read-write lock and route from several threads under the read lock.
//!
//! What it does not do: no I/O, no async runtime (no tokio), no clock, no broker policy. It does
//! not depend on `hermod-codec` either: it works on `&str` that the codec has already validated.
//! Every function here assumes its inputs are syntactically valid per MQTT section 4.7 (a topic
//! name is non-empty and contains no wildcard, [MQTT-4.7.0-1]; a topic filter is non-empty and
//! its wildcards sit where [MQTT-4.7.1-1] and [MQTT-4.7.1-2] allow). On input that breaks those
//! rules the functions never panic, but their answers are unspecified.
//!
//! Rule ids are those of MQTT 5.0 (OASIS, 2019); the matching semantics are the same in 3.1.1,
//! whose ids for the wildcard rules are shifted by one (`MQTT-4.7.1-2`/`-3` there).
//!
//! Modules:
//! - [`matching`]: [`matches()`], MQTT topic matching of one filter against one topic name.
//! - [`shared`]: [`parse_subscription_filter`], splitting `$share/…` and `$queue/…` filters into
//!   group and filter.
//! - [`subscriptions`]: [`SubscriptionIndex`], the topic-filter trie of plain and shared
//!   subscriptions, and the [`MatchVisitor`] that receives a topic's matches.
//! - [`share_group`]: [`SharedGroup`] and [`SharedGroup::select`], picking one member per message
//!   by [`ShareStrategy`].
//! - [`retained`]: [`RetainedIndex`], retained messages by topic with wildcard lookup.

#![forbid(unsafe_code)]

pub mod matching;
pub mod retained;
pub mod share_group;
pub mod shared;
mod small_map;
pub mod subscriptions;

pub use matching::matches;
pub use retained::RetainedIndex;
pub use share_group::{PublishContext, ShareStrategy, SharedGroup};
pub use shared::{QUEUE_GROUP, SharedFilterError, SubscriptionFilter, parse_subscription_filter};
pub use subscriptions::{MatchVisitor, SubscriptionIndex};
