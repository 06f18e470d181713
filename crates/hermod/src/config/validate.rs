//! Semantic checks on the merged configuration: every rule is checked and every failure is
//! reported, each naming the origin of the offending value.
//!
//! Types already rule out most mistakes (a `receive_maximum` of 0 does not deserialize into a
//! `NonZeroU16`); what remains are ranges the protocol or the broker imposes.

use std::collections::BTreeSet;
use std::time::Duration;

use hermod_codec::header::MAX_PACKET_SIZE;
use tracing_subscriber::EnvFilter;

use super::byte_size::ByteSize;
use super::error::ConfigError;
use super::origin::{Origin, Origins};
use super::settings::Config;

/// The smallest `mqtt.max_packet_size` accepted, in bytes: room for a CONNECT with a client id
/// and credentials, or a small PUBLISH.
pub(crate) const MIN_PACKET_SIZE: u64 = 128;

/// The longest keep alive MQTT can express: a two-byte number of seconds (MQTT-3.1.2.10).
const MAX_KEEP_ALIVE: Duration = Duration::from_secs(u16::MAX as u64);

/// The longest MQTT 5 session expiry: a four-byte number of seconds, where the largest value
/// means "never expires" (MQTT 5 section 3.1.2.11.2).
const MAX_SESSION_EXPIRY: Duration = Duration::from_secs(u32::MAX as u64);

/// The longest topic an MQTT UTF-8 string can hold, in bytes (MQTT-1.5.4).
const MAX_TOPIC_LENGTH: usize = u16::MAX as usize;

/// Checks every rule; returns all failures.
pub(crate) fn validate(config: &Config, origins: &Origins) -> Vec<ConfigError> {
    let mut check = Checker {
        origins,
        errors: Vec::new(),
    };
    check_server(config, &mut check);
    check_mqtt(config, &mut check);
    check_session(config, &mut check);
    check_retained(config, &mut check);
    check_storage(config, &mut check);
    check_log(config, &mut check);
    check.errors
}

fn check_storage(config: &Config, check: &mut Checker<'_>) {
    let storage = &config.storage;
    check.require(
        storage.mode != super::settings::StorageMode::Periodic || !storage.flush_interval.is_zero(),
        "storage.flush_interval",
        || "must be more than 0 in periodic mode".to_owned(),
    );
    check.require(
        storage.mode == super::settings::StorageMode::Off
            || !storage.data_dir.as_os_str().is_empty(),
        "storage.data_dir",
        || "must not be empty".to_owned(),
    );
}

/// Collects failures, naming where each key came from.
struct Checker<'a> {
    origins: &'a Origins,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    /// Records `message` against `key` when `ok` is false.
    fn require(&mut self, ok: bool, key: &str, message: impl FnOnce() -> String) {
        if !ok {
            self.errors
                .push(ConfigError::new(self.origins.of(key), key, message()));
        }
    }

    /// Requires a byte size to fit in this platform's `usize`.
    fn require_usize(&mut self, size: ByteSize, key: &str) {
        self.require(usize::try_from(size.bytes()).is_ok(), key, || {
            format!("{size} is too large for this platform")
        });
    }
}

fn check_server(config: &Config, check: &mut Checker<'_>) {
    let server = &config.server;
    check.require(!server.listen.is_empty(), "server.listen", || {
        "no listen address: give at least one, e.g. [\"127.0.0.1:1883\"]".to_owned()
    });
    let mut seen = BTreeSet::new();
    for address in &server.listen {
        check.require(seen.insert(address), "server.listen", || {
            format!("{address} is listed more than once")
        });
    }
    check.require(
        server.max_connections >= 1,
        "server.max_connections",
        || "must be at least 1".to_owned(),
    );
}

fn check_mqtt(config: &Config, check: &mut Checker<'_>) {
    let mqtt = &config.mqtt;
    let max_packet = u64::try_from(MAX_PACKET_SIZE).unwrap_or(u64::MAX);
    let packet_size = mqtt.max_packet_size.bytes();
    check.require(
        packet_size >= MIN_PACKET_SIZE,
        "mqtt.max_packet_size",
        || {
            format!(
                "{} is below the minimum of {MIN_PACKET_SIZE} bytes",
                mqtt.max_packet_size
            )
        },
    );
    check.require(packet_size <= max_packet, "mqtt.max_packet_size", || {
        format!(
            "{} ({packet_size} bytes) is above the largest MQTT packet, {max_packet} bytes",
            mqtt.max_packet_size
        )
    });
    check.require(
        mqtt.max_keep_alive >= Duration::from_secs(1),
        "mqtt.max_keep_alive",
        || "must be at least 1s".to_owned(),
    );
    check.require(
        mqtt.max_keep_alive <= MAX_KEEP_ALIVE,
        "mqtt.max_keep_alive",
        || "must be at most 65535s (18h 12m 15s), the longest MQTT keep alive".to_owned(),
    );
    check.require(
        mqtt.max_keep_alive.subsec_nanos() == 0,
        "mqtt.max_keep_alive",
        || "must be a whole number of seconds (MQTT keep alive is in seconds)".to_owned(),
    );
    check.require(
        !mqtt.connect_timeout.is_zero(),
        "mqtt.connect_timeout",
        || "must be longer than 0s".to_owned(),
    );
    check.require(
        (1..=MAX_TOPIC_LENGTH).contains(&mqtt.max_topic_length),
        "mqtt.max_topic_length",
        || format!("must be between 1 and {MAX_TOPIC_LENGTH} bytes"),
    );
    check.require(mqtt.max_topic_levels >= 1, "mqtt.max_topic_levels", || {
        "must be at least 1".to_owned()
    });
    check.require(
        mqtt.max_subscriptions_per_client >= 1,
        "mqtt.max_subscriptions_per_client",
        || "must be at least 1".to_owned(),
    );
}

fn check_session(config: &Config, check: &mut Checker<'_>) {
    let session = &config.session;
    check.require(
        session.max_queued_messages >= 1,
        "session.max_queued_messages",
        || "must be at least 1".to_owned(),
    );
    check.require(
        session.max_queued_bytes.bytes() >= 1,
        "session.max_queued_bytes",
        || "must be at least 1 byte".to_owned(),
    );
    check.require_usize(session.max_queued_bytes, "session.max_queued_bytes");
    check.require(
        session.backpressure_bytes.bytes() >= 1,
        "session.backpressure_bytes",
        || "must be at least 1 byte".to_owned(),
    );
    check.require_usize(
        session.max_queued_bytes_total,
        "session.max_queued_bytes_total",
    );
    // Blame whichever of the two limits was set (the per-session one when both were).
    let total_origin = check.origins.of("session.max_queued_bytes_total");
    if session.max_queued_bytes > session.max_queued_bytes_total {
        let (key, message) = if total_origin == Origin::Default {
            (
                "session.max_queued_bytes",
                format!(
                    "{} is more than session.max_queued_bytes_total ({}, {total_origin})",
                    session.max_queued_bytes, session.max_queued_bytes_total
                ),
            )
        } else {
            (
                "session.max_queued_bytes_total",
                format!(
                    "{} is less than session.max_queued_bytes ({}, from {})",
                    session.max_queued_bytes_total,
                    session.max_queued_bytes,
                    check.origins.of("session.max_queued_bytes")
                ),
            )
        };
        check.require(false, key, || message);
    }
    check.require(
        session.max_expiry <= MAX_SESSION_EXPIRY,
        "session.max_expiry",
        || "must be at most 4294967295s (about 136 years), the longest MQTT 5 expiry".to_owned(),
    );
    check.require(
        session.expiry_v3 <= MAX_SESSION_EXPIRY,
        "session.expiry_v3",
        || "must be at most 4294967295s (about 136 years)".to_owned(),
    );
}

fn check_retained(config: &Config, check: &mut Checker<'_>) {
    check.require_usize(config.retained.max_payload, "retained.max_payload");
}

fn check_log(config: &Config, check: &mut Checker<'_>) {
    let level = &config.log.level;
    let parsed = EnvFilter::builder().parse(level);
    check.require(
        parsed.is_ok() && !level.trim().is_empty(),
        "log.level",
        || {
            let reason = parsed
                .as_ref()
                .err()
                .map_or_else(|| "empty".to_owned(), ToString::to_string);
            format!(
                "invalid filter {level:?} ({reason}); use a level such as \"info\" or \
             directives such as \"hermod_core=debug,info\""
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass() {
        assert_eq!(
            validate(&Config::default(), &Origins::default()),
            Vec::new()
        );
    }

    #[test]
    fn empty_and_duplicate_listen_addresses_are_errors() {
        let mut config = Config::default();
        config.server.listen.clear();
        let errors = validate(&config, &Origins::default());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].key, "server.listen");

        let address = ([127, 0, 0, 1], 1883).into();
        config.server.listen = vec![address, address];
        let errors = validate(&config, &Origins::default());
        assert!(errors[0].message.contains("more than once"), "{errors:?}");
    }

    #[test]
    fn topic_alias_maximum_zero_is_fine() {
        let mut config = Config::default();
        config.mqtt.topic_alias_maximum = 0;
        assert_eq!(validate(&config, &Origins::default()), Vec::new());
    }

    #[test]
    fn packet_size_bounds_are_the_protocol_bounds() {
        let mut config = Config::default();
        config.mqtt.max_packet_size = ByteSize(268_435_460);
        assert_eq!(validate(&config, &Origins::default()), Vec::new());
        config.mqtt.max_packet_size = ByteSize(268_435_461);
        assert_eq!(validate(&config, &Origins::default()).len(), 1);
        config.mqtt.max_packet_size = ByteSize(MIN_PACKET_SIZE - 1);
        assert_eq!(validate(&config, &Origins::default()).len(), 1);
    }

    #[test]
    fn keep_alive_must_fit_in_two_bytes_of_seconds() {
        let mut config = Config::default();
        config.mqtt.max_keep_alive = Duration::from_secs(65_535);
        assert_eq!(validate(&config, &Origins::default()), Vec::new());
        config.mqtt.max_keep_alive = Duration::from_secs(65_536);
        assert_eq!(validate(&config, &Origins::default()).len(), 1);
        config.mqtt.max_keep_alive = Duration::from_millis(1500);
        assert_eq!(validate(&config, &Origins::default()).len(), 1);
    }

    #[test]
    fn bad_log_filter_is_an_error() {
        let mut config = Config::default();
        config.log.level = "hermod=loud".to_owned();
        let errors = validate(&config, &Origins::default());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].key, "log.level");
    }
}
