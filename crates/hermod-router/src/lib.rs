//! Routing for the Hermod MQTT broker: which subscriptions a published topic reaches.
//!
//! This crate owns the topic-filter side of routing. Today that is topic matching (`+`, `#`, the
//! `$` rule) and the parsing of shared-subscription filters (`$share/{ShareName}/{filter}` and the
//! `$queue/{filter}` alias). The subscription trie, shared-subscription member selection and the
//! retained-message index for wildcard lookups come later and will live here too.
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

#![forbid(unsafe_code)]

pub mod matching;
pub mod shared;

pub use matching::matches;
pub use shared::{QUEUE_GROUP, SharedFilterError, SubscriptionFilter, parse_subscription_filter};
