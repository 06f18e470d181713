//! Broker limits and policies. Every field documents its default and unit.

use std::num::NonZeroU16;
use std::time::Duration;

/// What a session does when its queue is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OverflowPolicy {
    /// Drop the oldest queued message to make room (EMQX's behaviour). The default.
    #[default]
    DropOldest,
    /// Drop the new message (Mosquitto's behaviour).
    DropNewest,
    /// Disconnect the client (MQTT 5: DISCONNECT 0x97 Quota exceeded); the message is dropped.
    Disconnect,
}

/// How one member of a shared-subscription group is chosen for a message.
pub use hermod_router::ShareStrategy;

/// Limits and policies of the broker core.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// How long a new connection may take to send CONNECT before it is closed. Default: 10 s.
    pub connect_timeout: Duration,
    /// Largest packet accepted from a client, fixed header included, in bytes; advertised to
    /// MQTT 5 clients as Maximum Packet Size. Default: 1 MiB.
    pub max_packet_size: u32,
    /// How many unacknowledged QoS 1/2 PUBLISH a client may send at once; advertised as
    /// Receive Maximum and enforced (DISCONNECT 0x93). Default: 128.
    pub receive_maximum: NonZeroU16,
    /// The most unacknowledged QoS 1/2 messages the broker sends a client at once (further
    /// capped by the client's Receive Maximum). Default: 64.
    pub max_inflight: NonZeroU16,
    /// The longest keep alive allowed; MQTT 5 clients asking for more (or for 0) are told this
    /// value as Server Keep Alive. Default: 3600 s.
    pub max_keep_alive: Duration,
    /// The highest topic alias a client may use. Default: 64.
    pub topic_alias_maximum: u16,
    /// Messages a session may queue (offline, or beyond the in-flight window). Default: 1000.
    pub max_queued_messages: usize,
    /// Payload bytes a session may queue. Default: 16 MiB.
    pub max_queued_bytes: usize,
    /// Payload bytes all sessions together may queue; beyond it new messages for queues that
    /// are not empty are dropped. Default: 256 MiB.
    pub max_queued_bytes_total: usize,
    /// What a full queue does. Default: drop the oldest message.
    pub overflow_policy: OverflowPolicy,
    /// Whether QoS 0 messages are queued for offline persistent sessions. Default: false.
    pub queue_qos0_offline: bool,
    /// Flow control towards publishers: a message for a connected session whose queue is
    /// full is queued anyway (up to twice `max_queued_messages`) and its publisher's
    /// connection is not read again until that queue has drained to half the limit (or for
    /// at most 500 ms), so messages are not dropped when subscribers are merely slower than
    /// publishers. The overflow policy still applies beyond twice the limit and to offline
    /// sessions. Default: true.
    pub backpressure: bool,
    /// Queued bytes (topics and payloads) from which a connected session's publishers are
    /// paused, even below `max_queued_messages`; they resume at half. Keeps the memory of
    /// many slow subscribers' queues small. Default: 32 KiB.
    pub backpressure_bytes: usize,
    /// Session expiry for MQTT 3.x sessions with Clean Session 0 (which never expire by the
    /// 3.1.1 spec; brokers bound them). Default: 2 hours.
    pub session_expiry_v3: Duration,
    /// The longest session expiry an MQTT 5 client may choose. Default: 7 days.
    pub max_session_expiry: Duration,
    /// Most retained messages kept; beyond it new retained topics are not stored. Default:
    /// 1,000,000.
    pub max_retained_messages: usize,
    /// Largest retained payload, in bytes. Default: 1 MiB.
    pub max_retained_payload: usize,
    /// Most subscriptions one client may hold (SUBACK 0x97 beyond). Default: 10,000.
    pub max_subscriptions_per_client: usize,
    /// Longest topic name or filter accepted, in bytes. Default: 65,535.
    pub max_topic_length: usize,
    /// Most levels in a topic name or filter. Default: 128.
    pub max_topic_levels: usize,
    /// How shared-subscription groups choose a member. Default: round robin.
    pub shared_strategy: ShareStrategy,
    /// Whether wills are published for clients disconnected by a broker shutdown. Default:
    /// false.
    pub publish_wills_on_shutdown: bool,
}

impl BrokerConfig {
    /// Whether a topic name or filter is within the length and level limits (deep topics
    /// are refused: the indexes walk one trie level per topic level).
    pub fn topic_within_limits(&self, topic: &str) -> bool {
        topic.len() <= self.max_topic_length
            && topic.bytes().filter(|&byte| byte == b'/').count() < self.max_topic_levels
    }
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            connect_timeout: Duration::from_secs(10),
            max_packet_size: 1024 * 1024,
            receive_maximum: NonZeroU16::new(128).unwrap_or(NonZeroU16::MIN),
            max_inflight: NonZeroU16::new(64).unwrap_or(NonZeroU16::MIN),
            max_keep_alive: Duration::from_secs(3600),
            topic_alias_maximum: 64,
            max_queued_messages: 1000,
            max_queued_bytes: 16 * 1024 * 1024,
            max_queued_bytes_total: 256 * 1024 * 1024,
            overflow_policy: OverflowPolicy::DropOldest,
            queue_qos0_offline: false,
            backpressure: true,
            backpressure_bytes: 32 * 1024,
            session_expiry_v3: Duration::from_secs(2 * 3600),
            max_session_expiry: Duration::from_secs(7 * 24 * 3600),
            max_retained_messages: 1_000_000,
            max_retained_payload: 1024 * 1024,
            max_subscriptions_per_client: 10_000,
            max_topic_length: 65_535,
            max_topic_levels: 128,
            shared_strategy: ShareStrategy::default(),
            publish_wills_on_shutdown: false,
        }
    }
}
