//! The configuration tree: one struct per section of `hermod.toml`.
//!
//! Every struct denies unknown keys and defaults every missing key to the library default
//! ([`BrokerConfig::default`], [`ServerConfig::default`]), so an empty file, or no file, is the
//! built-in configuration. The same tree is serialized back by `hermod config check`.
//! Durations are written as `"30s"`, `"2h"`, `"7days"`; sizes as `"1MiB"` or bytes; enums in
//! `snake_case`.

use std::net::SocketAddr;
use std::num::NonZeroU16;
use std::path::PathBuf;
use std::time::Duration;

use hermod_core::BrokerConfig;
use hermod_core::config::ShareStrategy;
use hermod_server::ServerConfig;
use serde::{Deserialize, Serialize};

use super::byte_size::ByteSize;
use super::listen;

/// The whole configuration file.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    /// `[server]`: listeners and connection handling.
    pub(crate) server: ServerSection,
    /// `[mqtt]`: protocol limits.
    pub(crate) mqtt: MqttSection,
    /// `[session]`: queues and session expiry.
    pub(crate) session: SessionSection,
    /// `[retained]`: retained-message limits.
    pub(crate) retained: RetainedSection,
    /// `[storage]`: what is kept on disk, where, and when it counts as durable.
    pub(crate) storage: StorageSection,
    /// `[log]`: log level and format.
    pub(crate) log: LogSection,
    /// `[shutdown]`: what a broker shutdown does to clients.
    pub(crate) shutdown: ShutdownSection,
}

/// `[server]`: the network edge.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ServerSection {
    /// Addresses to accept MQTT over TCP on. Default: `["127.0.0.1:1883"]`.
    #[serde(deserialize_with = "listen::deserialize")]
    pub(crate) listen: Vec<SocketAddr>,
    /// Most concurrent connections. Default: 100000.
    pub(crate) max_connections: usize,
    /// How long a shutdown waits for clients to close. Default: 5 s.
    #[serde(with = "humantime_serde")]
    pub(crate) shutdown_grace: Duration,
    /// How long a connection must have been idle before it is parked (0: never; a new
    /// connection's first park comes after at most 100 ms). Default: 1 s.
    #[serde(with = "humantime_serde")]
    pub(crate) park_idle_after: Duration,
}

/// `[mqtt]`: protocol limits.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct MqttSection {
    /// Largest packet accepted from a client. Default: 1 MiB.
    pub(crate) max_packet_size: ByteSize,
    /// Unacknowledged QoS 1/2 messages a client may send at once. Default: 128.
    pub(crate) receive_maximum: NonZeroU16,
    /// Unacknowledged QoS 1/2 messages the broker sends a client at once. Default: 64.
    pub(crate) max_inflight: NonZeroU16,
    /// Longest keep alive a client may use. Default: 1 h.
    #[serde(with = "humantime_serde")]
    pub(crate) max_keep_alive: Duration,
    /// Time a new connection has to send CONNECT. Default: 10 s.
    #[serde(with = "humantime_serde")]
    pub(crate) connect_timeout: Duration,
    /// Highest topic alias a client may use; 0 disables aliases. Default: 64.
    pub(crate) topic_alias_maximum: u16,
    /// Longest topic name or filter, in bytes. Default: 65535.
    pub(crate) max_topic_length: usize,
    /// Most levels in a topic name or filter. Default: 128.
    pub(crate) max_topic_levels: usize,
    /// Most subscriptions per client. Default: 10000.
    pub(crate) max_subscriptions_per_client: usize,
    /// How a shared-subscription group picks a member. Default: `round_robin`.
    pub(crate) shared_subscription_strategy: SharedStrategy,
}

/// `[session]`: queues and expiry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SessionSection {
    /// Messages one session may queue. Default: 1000.
    pub(crate) max_queued_messages: usize,
    /// Payload bytes one session may queue. Default: 16 MiB.
    pub(crate) max_queued_bytes: ByteSize,
    /// Payload bytes all sessions together may queue. Default: 256 MiB.
    pub(crate) max_queued_bytes_total: ByteSize,
    /// What a full queue does. Default: `drop_oldest`.
    pub(crate) overflow_policy: OverflowPolicy,
    /// Whether QoS 0 messages are queued for offline sessions. Default: false.
    pub(crate) queue_qos0_offline: bool,
    /// Whether slow connected subscribers pause their publishers (up to 500 ms at a time)
    /// instead of losing messages. Default: true.
    pub(crate) backpressure: bool,
    /// Queued bytes from which a connected subscriber pauses its publishers. Default: 32 KiB.
    pub(crate) backpressure_bytes: ByteSize,
    /// Expiry of MQTT 3.x persistent sessions (Clean Session 0). Default: 2 h.
    #[serde(with = "humantime_serde")]
    pub(crate) expiry_v3: Duration,
    /// Longest session expiry an MQTT 5 client may ask for. Default: 7 days.
    #[serde(with = "humantime_serde")]
    pub(crate) max_expiry: Duration,
}

/// `[retained]`: retained messages.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RetainedSection {
    /// Most retained messages kept. Default: 1000000.
    pub(crate) max_messages: usize,
    /// Largest retained payload. Default: 1 MiB.
    pub(crate) max_payload: ByteSize,
}

/// `[storage]`: durable state.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct StorageSection {
    /// `sync`, `periodic` or `off`. Default: `sync`.
    pub(crate) mode: StorageMode,
    /// The data directory. Default: `hermod-data` (relative to the working directory).
    pub(crate) data_dir: PathBuf,
    /// How often `periodic` mode syncs to disk. Default: 100 ms.
    #[serde(with = "humantime_serde")]
    pub(crate) flush_interval: Duration,
}

/// When a write counts as durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StorageMode {
    /// After an fsync shared by every write of its batch (group commit).
    #[default]
    Sync,
    /// Once written; synced every `flush_interval`.
    Periodic,
    /// Memory only.
    Off,
}

/// `[log]`: the log output.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LogSection {
    /// A `tracing` filter (`"info"`, `"hermod_core=debug,info"`); `RUST_LOG` overrides it.
    /// Default: `"info"`.
    pub(crate) level: String,
    /// `text` or `json`. Default: `text`.
    pub(crate) format: LogFormat,
}

/// `[shutdown]`: broker shutdown.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ShutdownSection {
    /// Whether clients disconnected by a shutdown have their wills published. Default: false.
    pub(crate) publish_wills: bool,
}

/// What a full session queue does (see [`hermod_core::OverflowPolicy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OverflowPolicy {
    /// Drop the oldest queued message.
    #[default]
    DropOldest,
    /// Drop the new message.
    DropNewest,
    /// Disconnect the client.
    Disconnect,
}

/// How a shared-subscription group picks a member (see [`ShareStrategy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SharedStrategy {
    /// Each member in turn.
    #[default]
    RoundRobin,
    /// A random member.
    Random,
    /// The same member while it stays usable.
    Sticky,
    /// A member chosen by hashing the publisher's client id.
    HashClientId,
    /// A member chosen by hashing the topic.
    HashTopic,
}

/// The log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// The broker core's configuration.
    ///
    /// Sizes are converted with saturation; [`super::validate`] has already rejected values
    /// that do not fit.
    pub(crate) fn broker_config(&self) -> BrokerConfig {
        let Config {
            mqtt,
            session,
            retained,
            shutdown,
            ..
        } = self;
        BrokerConfig {
            connect_timeout: mqtt.connect_timeout,
            max_packet_size: u32::try_from(mqtt.max_packet_size.bytes()).unwrap_or(u32::MAX),
            receive_maximum: mqtt.receive_maximum,
            max_inflight: mqtt.max_inflight,
            max_keep_alive: mqtt.max_keep_alive,
            topic_alias_maximum: mqtt.topic_alias_maximum,
            max_queued_messages: session.max_queued_messages,
            max_queued_bytes: saturating_usize(session.max_queued_bytes),
            max_queued_bytes_total: saturating_usize(session.max_queued_bytes_total),
            overflow_policy: session.overflow_policy.into(),
            queue_qos0_offline: session.queue_qos0_offline,
            backpressure: session.backpressure,
            backpressure_bytes: saturating_usize(session.backpressure_bytes),
            session_expiry_v3: session.expiry_v3,
            max_session_expiry: session.max_expiry,
            max_retained_messages: retained.max_messages,
            max_retained_payload: saturating_usize(retained.max_payload),
            max_subscriptions_per_client: mqtt.max_subscriptions_per_client,
            max_topic_length: mqtt.max_topic_length,
            max_topic_levels: mqtt.max_topic_levels,
            shared_strategy: mqtt.shared_subscription_strategy.into(),
            publish_wills_on_shutdown: shutdown.publish_wills,
        }
    }

    /// The network edge's configuration.
    pub(crate) fn server_config(&self) -> ServerConfig {
        ServerConfig {
            listen: self.server.listen.clone(),
            max_connections: self.server.max_connections,
            shutdown_grace: self.server.shutdown_grace,
            park_idle_after: Some(self.server.park_idle_after).filter(|after| !after.is_zero()),
        }
    }
}

/// A byte size as `usize`, saturating (only possible on 32-bit targets).
fn saturating_usize(size: ByteSize) -> usize {
    usize::try_from(size.bytes()).unwrap_or(usize::MAX)
}

impl Default for ServerSection {
    fn default() -> ServerSection {
        let ServerConfig {
            listen,
            max_connections,
            shutdown_grace,
            park_idle_after,
        } = ServerConfig::default();
        ServerSection {
            listen,
            max_connections,
            shutdown_grace,
            park_idle_after: park_idle_after.unwrap_or(Duration::ZERO),
        }
    }
}

impl Default for StorageSection {
    fn default() -> StorageSection {
        StorageSection {
            mode: StorageMode::default(),
            data_dir: PathBuf::from("hermod-data"),
            flush_interval: Duration::from_millis(100),
        }
    }
}

impl StorageSection {
    /// The store's settings, or `None` when storage is off.
    pub(crate) fn store_config(&self) -> Option<hermod_store::StoreConfig> {
        let durability = match self.mode {
            StorageMode::Off => return None,
            StorageMode::Sync => hermod_store::Durability::Sync,
            StorageMode::Periodic => hermod_store::Durability::Periodic(self.flush_interval),
        };
        Some(hermod_store::StoreConfig {
            data_dir: self.data_dir.clone(),
            durability,
        })
    }
}

impl Default for MqttSection {
    fn default() -> MqttSection {
        let broker = BrokerConfig::default();
        MqttSection {
            max_packet_size: ByteSize(u64::from(broker.max_packet_size)),
            receive_maximum: broker.receive_maximum,
            max_inflight: broker.max_inflight,
            max_keep_alive: broker.max_keep_alive,
            connect_timeout: broker.connect_timeout,
            topic_alias_maximum: broker.topic_alias_maximum,
            max_topic_length: broker.max_topic_length,
            max_topic_levels: broker.max_topic_levels,
            max_subscriptions_per_client: broker.max_subscriptions_per_client,
            shared_subscription_strategy: SharedStrategy::from_library(broker.shared_strategy),
        }
    }
}

impl Default for SessionSection {
    fn default() -> SessionSection {
        let broker = BrokerConfig::default();
        SessionSection {
            max_queued_messages: broker.max_queued_messages,
            max_queued_bytes: ByteSize::from_usize(broker.max_queued_bytes),
            max_queued_bytes_total: ByteSize::from_usize(broker.max_queued_bytes_total),
            overflow_policy: broker.overflow_policy.into(),
            queue_qos0_offline: broker.queue_qos0_offline,
            backpressure: broker.backpressure,
            backpressure_bytes: ByteSize::from_usize(broker.backpressure_bytes),
            expiry_v3: broker.session_expiry_v3,
            max_expiry: broker.max_session_expiry,
        }
    }
}

impl Default for RetainedSection {
    fn default() -> RetainedSection {
        let broker = BrokerConfig::default();
        RetainedSection {
            max_messages: broker.max_retained_messages,
            max_payload: ByteSize::from_usize(broker.max_retained_payload),
        }
    }
}

impl Default for LogSection {
    fn default() -> LogSection {
        LogSection {
            level: "info".to_owned(),
            format: LogFormat::Text,
        }
    }
}

impl SharedStrategy {
    /// The setting for a library strategy; strategies added to the library later and not yet
    /// configurable here read as the default (a unit test pins the default itself).
    fn from_library(strategy: ShareStrategy) -> SharedStrategy {
        match strategy {
            ShareStrategy::Random => SharedStrategy::Random,
            ShareStrategy::Sticky => SharedStrategy::Sticky,
            ShareStrategy::HashClientId => SharedStrategy::HashClientId,
            ShareStrategy::HashTopic => SharedStrategy::HashTopic,
            _ => SharedStrategy::RoundRobin,
        }
    }
}

impl From<SharedStrategy> for ShareStrategy {
    fn from(strategy: SharedStrategy) -> ShareStrategy {
        match strategy {
            SharedStrategy::RoundRobin => ShareStrategy::RoundRobin,
            SharedStrategy::Random => ShareStrategy::Random,
            SharedStrategy::Sticky => ShareStrategy::Sticky,
            SharedStrategy::HashClientId => ShareStrategy::HashClientId,
            SharedStrategy::HashTopic => ShareStrategy::HashTopic,
        }
    }
}

impl From<OverflowPolicy> for hermod_core::OverflowPolicy {
    fn from(policy: OverflowPolicy) -> hermod_core::OverflowPolicy {
        match policy {
            OverflowPolicy::DropOldest => hermod_core::OverflowPolicy::DropOldest,
            OverflowPolicy::DropNewest => hermod_core::OverflowPolicy::DropNewest,
            OverflowPolicy::Disconnect => hermod_core::OverflowPolicy::Disconnect,
        }
    }
}

impl From<hermod_core::OverflowPolicy> for OverflowPolicy {
    fn from(policy: hermod_core::OverflowPolicy) -> OverflowPolicy {
        match policy {
            hermod_core::OverflowPolicy::DropOldest => OverflowPolicy::DropOldest,
            hermod_core::OverflowPolicy::DropNewest => OverflowPolicy::DropNewest,
            hermod_core::OverflowPolicy::Disconnect => OverflowPolicy::Disconnect,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_library_defaults() {
        let config = Config::default();
        assert_eq!(
            format!("{:?}", config.broker_config()),
            format!("{:?}", BrokerConfig::default())
        );
        assert_eq!(
            format!("{:?}", config.server_config()),
            format!("{:?}", ServerConfig::default())
        );
    }

    #[test]
    fn every_shared_strategy_round_trips_through_the_library() {
        for strategy in [
            SharedStrategy::RoundRobin,
            SharedStrategy::Random,
            SharedStrategy::Sticky,
            SharedStrategy::HashClientId,
            SharedStrategy::HashTopic,
        ] {
            assert_eq!(SharedStrategy::from_library(strategy.into()), strategy);
        }
    }
}
