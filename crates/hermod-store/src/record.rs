//! How records are laid out in values.
//!
//! A message is stored as a short header and then the message as an MQTT 5 PUBLISH packet,
//! encoded and decoded by `hermod-codec` (so topic, payload and every property round-trip with
//! the same validation as on the wire):
//!
//! ```text
//! u8   record version (1)
//! u64  expiry deadline, milliseconds since the Unix epoch, big-endian (0: never)
//! u16  length of the publisher's client identifier, then its UTF-8 bytes
//! ...  the PUBLISH packet (QoS and RETAIN as published; packet identifier 1 when QoS > 0)
//! ```
//!
//! The deadline is wall-clock time, since monotonic instants do not survive a restart.
//!
//! A session record: `u8` record version (1), `u8` protocol level (3, 4 or 5), `u32` Session
//! Expiry Interval in seconds (big-endian; `u32::MAX` never expires), `u64` expiry deadline
//! once offline (wall-clock milliseconds, 0: connected or never), `u8` 1 if a will follows:
//! `u32` Will Delay Interval in seconds, `u64` when it is published (0: the client was still
//! connected), then the will as a message record.
//!
//! A subscription record: `u8` record version (1), the SUBSCRIBE options byte in its MQTT 5
//! form, `u32` Subscription Identifier (0: none).
//!
//! Keys: a session's is its client identifier; a subscription's is the client identifier,
//! U+0000 (which MQTT strings cannot contain) and the topic filter; a retained message's is
//! its topic.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Buf, BufMut, BytesMut};
use hermod_codec::{
    Decoder, MqttString, Packet, PacketId, ProtocolVersion, Publish, QoS, Role, SubscriptionId,
    SubscriptionOptions,
};
use hermod_core::persist::{SessionRecord, StoredWill};
use hermod_core::session::{OutboundStage, SubscriptionRecord};
use hermod_core::{Delivery, Message};

/// Why a stored record could not be read back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The record's version byte is not one this build reads.
    #[error("record version {0} is not supported")]
    Version(u8),
    /// The record ends early or its packet does not decode.
    #[error("malformed record: {0}")]
    Malformed(&'static str),
}

const MESSAGE_RECORD_VERSION: u8 = 1;
const SESSION_RECORD_VERSION: u8 = 1;
const SUBSCRIPTION_RECORD_VERSION: u8 = 1;

/// The key of everything stored under a client identifier after its own record: the client
/// identifier and U+0000.
pub fn client_prefix(client_id: &MqttString) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(client_id.len() + 1);
    prefix.extend_from_slice(client_id.as_str().as_bytes());
    prefix.push(0);
    prefix
}

/// A subscription's key.
pub fn subscription_key(client_id: &MqttString, filter: &str) -> Vec<u8> {
    let mut key = client_prefix(client_id);
    key.extend_from_slice(filter.as_bytes());
    key
}

/// Splits a key made by [`subscription_key`] into client identifier and filter.
pub fn split_subscription_key(key: &[u8]) -> Result<(MqttString, String), RecordError> {
    let separator = key
        .iter()
        .position(|&byte| byte == 0)
        .ok_or(RecordError::Malformed("subscription key without separator"))?;
    let (client, filter) = key.split_at(separator);
    let client = stored_client_id(client)?;
    let filter = filter
        .get(1..)
        .and_then(|filter| std::str::from_utf8(filter).ok())
        .ok_or(RecordError::Malformed("topic filter is not UTF-8"))?;
    Ok((client, filter.to_owned()))
}

/// Encodes a session record: see the module documentation for the layout.
pub fn encode_session(record: &SessionRecord, clocks: Clocks) -> Vec<u8> {
    let expiry = u32::try_from(record.expiry.as_secs()).unwrap_or(u32::MAX);
    let mut value = Vec::with_capacity(16);
    value.push(SESSION_RECORD_VERSION);
    value.push(record.version.level());
    value.extend_from_slice(&expiry.to_be_bytes());
    let expires_at = record.expires_at.map_or(0, |at| clocks.to_wall_millis(at));
    value.extend_from_slice(&expires_at.to_be_bytes());
    match &record.will {
        None => value.push(0),
        Some(will) => {
            value.push(1);
            let delay = u32::try_from(will.delay.as_secs()).unwrap_or(u32::MAX);
            value.extend_from_slice(&delay.to_be_bytes());
            let publish_at = will.publish_at.map_or(0, |at| clocks.to_wall_millis(at));
            value.extend_from_slice(&publish_at.to_be_bytes());
            value.extend_from_slice(&encode_message(&will.message, clocks));
        }
    }
    value
}

/// A client identifier read back from a key or record.
fn stored_client_id(bytes: &[u8]) -> Result<MqttString, RecordError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| MqttString::new(text).ok())
        .ok_or(RecordError::Malformed(
            "client identifier is not an MQTT string",
        ))
}

/// The length a record must have (version byte included).
enum Length {
    AtLeast(usize),
    Exactly(usize),
}

/// Checks a record's length and its leading format version; returns what follows the
/// version byte.
fn versioned<'a>(
    record: &'a [u8],
    expected: u8,
    length: Length,
    what: &'static str,
) -> Result<&'a [u8], RecordError> {
    let long_enough = match length {
        Length::AtLeast(len) => record.len() >= len,
        Length::Exactly(len) => record.len() == len,
    };
    if !long_enough {
        return Err(RecordError::Malformed(what));
    }
    match record.split_first() {
        Some((&version, rest)) if version == expected => Ok(rest),
        Some((&version, _)) => Err(RecordError::Version(version)),
        None => Err(RecordError::Malformed(what)),
    }
}

/// Decodes a session record.
pub fn decode_session(value: &[u8], clocks: Clocks) -> Result<SessionRecord, RecordError> {
    let mut value = versioned(
        value,
        SESSION_RECORD_VERSION,
        Length::AtLeast(15),
        "session record length",
    )?;
    let version = match value.get_u8() {
        3 => ProtocolVersion::V3_1,
        4 => ProtocolVersion::V3_1_1,
        5 => ProtocolVersion::V5,
        _ => return Err(RecordError::Malformed("protocol level")),
    };
    let expiry = Duration::from_secs(u64::from(value.get_u32()));
    let expires_at = match value.get_u64() {
        0 => None,
        millis => Some(clocks.to_instant(millis)),
    };
    let will = match value.get_u8() {
        0 if value.is_empty() => None,
        1 if value.remaining() >= 12 => {
            let delay = Duration::from_secs(u64::from(value.get_u32()));
            let publish_at = match value.get_u64() {
                0 => None,
                millis => Some(clocks.to_instant(millis)),
            };
            Some(StoredWill {
                message: std::sync::Arc::new(decode_message(value, clocks)?),
                delay,
                publish_at,
            })
        }
        _ => return Err(RecordError::Malformed("session will")),
    };
    Ok(SessionRecord {
        version,
        expiry,
        expires_at,
        will,
    })
}

/// Encodes a subscription record.
pub fn encode_subscription(record: &SubscriptionRecord) -> Vec<u8> {
    let mut value = Vec::with_capacity(6);
    value.push(SUBSCRIPTION_RECORD_VERSION);
    value.push(record.options.to_byte(ProtocolVersion::V5));
    let id = record.subscription_id.map_or(0, SubscriptionId::get);
    value.extend_from_slice(&id.to_be_bytes());
    value
}

/// Decodes a subscription record.
pub fn decode_subscription(value: &[u8]) -> Result<SubscriptionRecord, RecordError> {
    let mut value = versioned(
        value,
        SUBSCRIPTION_RECORD_VERSION,
        Length::Exactly(6),
        "subscription record length",
    )?;
    let options = SubscriptionOptions::from_byte(value.get_u8(), ProtocolVersion::V5)
        .map_err(|_| RecordError::Malformed("subscription options"))?;
    let id = value.get_u32();
    let subscription_id = match id {
        0 => None,
        id => {
            Some(SubscriptionId::new(id).ok_or(RecordError::Malformed("subscription identifier"))?)
        }
    };
    Ok(SubscriptionRecord {
        options,
        subscription_id,
    })
}

/// The clocks a record's times are converted with: "now" on both clocks.
#[derive(Clone, Copy, Debug)]
pub struct Clocks {
    /// Now, monotonic (the broker's time).
    pub instant: Instant,
    /// Now, wall clock.
    pub wall: SystemTime,
}

impl Clocks {
    /// The current time on both clocks.
    pub fn now() -> Clocks {
        Clocks {
            instant: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    fn to_wall_millis(self, deadline: Instant) -> u64 {
        let wall = match deadline.checked_duration_since(self.instant) {
            Some(ahead) => self.wall + ahead,
            None => self.wall - self.instant.duration_since(deadline),
        };
        let millis = wall
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_millis();
        // 0 means "never": a deadline at the epoch is one millisecond after it instead.
        u64::try_from(millis).unwrap_or(u64::MAX).max(1)
    }

    fn to_instant(self, wall_millis: u64) -> Instant {
        let wall = UNIX_EPOCH + Duration::from_millis(wall_millis);
        match wall.duration_since(self.wall) {
            Ok(ahead) => self.instant + ahead,
            // In the past: expired (a deadline no later than now).
            Err(_) => self.instant,
        }
    }
}

const QUEUED_RECORD_VERSION: u8 = 1;

/// A queued message's key: the client's prefix and the big-endian sequence number, so a
/// prefix scan returns a session's queue in order.
pub fn queue_key(client_id: &MqttString, seq: u64) -> Vec<u8> {
    let mut key = client_prefix(client_id);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// Splits a key made by [`queue_key`].
pub fn split_queue_key(key: &[u8]) -> Result<(MqttString, u64), RecordError> {
    let split = key
        .len()
        .checked_sub(9)
        .ok_or(RecordError::Malformed("short queue key"))?;
    let (client, rest) = key.split_at(split);
    if rest.first() != Some(&0) {
        return Err(RecordError::Malformed("queue key without separator"));
    }
    let client = stored_client_id(client)?;
    let mut seq = [0u8; 8];
    seq.copy_from_slice(rest.get(1..).ok_or(RecordError::Malformed("queue key"))?);
    Ok((client, u64::from_be_bytes(seq)))
}

/// A queued message as read back: what the delivery was, and its in-flight state.
#[derive(Debug)]
pub struct QueuedRecord {
    /// The message.
    pub message: Message,
    /// The QoS it is delivered with.
    pub qos: QoS,
    /// The RETAIN flag to send.
    pub retain: bool,
    /// The matching subscriptions' identifiers.
    pub subscription_ids: Vec<SubscriptionId>,
    /// Packet identifier and stage, if in flight.
    pub inflight: Option<(PacketId, OutboundStage)>,
}

/// Encodes a queued message: `u8` record version (1), `u8` delivered QoS, `u8` RETAIN,
/// `u8` stage (0 queued, 1 awaiting PUBACK, 2 awaiting PUBREC, 3 awaiting PUBCOMP), `u16`
/// packet identifier (0 when queued), `u8` count and that many `u32` Subscription Identifiers,
/// then the message record.
pub fn encode_queued(
    delivery: &Delivery,
    inflight: Option<(PacketId, OutboundStage)>,
    clocks: Clocks,
) -> Vec<u8> {
    let ids = delivery
        .subscription_ids
        .get(..255)
        .unwrap_or(&delivery.subscription_ids);
    let message = encode_message(&delivery.message, clocks);
    let mut value = Vec::with_capacity(7 + ids.len() * 4 + message.len());
    value.push(QUEUED_RECORD_VERSION);
    value.push(delivery.qos.bits());
    value.push(u8::from(delivery.retain));
    let (stage, packet_id) = match inflight {
        None => (0, 0),
        Some((packet_id, OutboundStage::AwaitingPubAck)) => (1, packet_id.get()),
        Some((packet_id, OutboundStage::AwaitingPubRec)) => (2, packet_id.get()),
        Some((packet_id, OutboundStage::AwaitingPubComp)) => (3, packet_id.get()),
    };
    value.push(stage);
    value.extend_from_slice(&packet_id.to_be_bytes());
    // At most 255 (a message matches that many subscriptions of one session only in theory).
    value.push(u8::try_from(ids.len()).unwrap_or(u8::MAX));
    for id in ids {
        value.extend_from_slice(&id.get().to_be_bytes());
    }
    value.extend_from_slice(&message);
    value
}

/// Decodes a queued message.
pub fn decode_queued(value: &[u8], clocks: Clocks) -> Result<QueuedRecord, RecordError> {
    let mut header = versioned(
        value,
        QUEUED_RECORD_VERSION,
        Length::AtLeast(7),
        "short queued record",
    )?;
    let qos = QoS::from_bits(header.get_u8()).ok_or(RecordError::Malformed("QoS"))?;
    let retain = match header.get_u8() {
        0 => false,
        1 => true,
        _ => return Err(RecordError::Malformed("RETAIN")),
    };
    let stage = header.get_u8();
    let packet_id = PacketId::new(header.get_u16());
    let inflight = match (stage, packet_id) {
        (0, _) => None,
        (1, Some(id)) => Some((id, OutboundStage::AwaitingPubAck)),
        (2, Some(id)) => Some((id, OutboundStage::AwaitingPubRec)),
        (3, Some(id)) => Some((id, OutboundStage::AwaitingPubComp)),
        _ => return Err(RecordError::Malformed("stage")),
    };
    let count = usize::from(header.get_u8());
    if header.remaining() < count * 4 {
        return Err(RecordError::Malformed("subscription identifiers"));
    }
    let mut subscription_ids = Vec::with_capacity(count);
    for _ in 0..count {
        subscription_ids.push(
            SubscriptionId::new(header.get_u32())
                .ok_or(RecordError::Malformed("subscription identifier"))?,
        );
    }
    let message = decode_message(header, clocks)?;
    Ok(QueuedRecord {
        message,
        qos,
        retain,
        subscription_ids,
        inflight,
    })
}

/// Encodes `message` as a stored record.
pub fn encode_message(message: &Message, clocks: Clocks) -> Vec<u8> {
    let publish = Packet::Publish(Publish {
        dup: false,
        qos: message.qos,
        retain: message.retain,
        topic: message.topic.clone(),
        packet_id: (message.qos != QoS::AtMostOnce).then_some(PacketId::MIN),
        properties: message.properties.clone(),
        payload: message.payload.clone(),
    });
    let client_id = message.publisher_client_id.as_str().as_bytes();
    let mut record = BytesMut::with_capacity(
        11 + client_id.len() + message.payload.len() + message.topic.len() + 16,
    );
    record.put_u8(MESSAGE_RECORD_VERSION);
    record.put_u64(
        message
            .expires_at
            .map_or(0, |deadline| clocks.to_wall_millis(deadline)),
    );
    // A client identifier is an MQTT string: at most 65,535 bytes.
    record.put_u16(u16::try_from(client_id.len()).unwrap_or(u16::MAX));
    record.put_slice(client_id.get(..usize::from(u16::MAX)).unwrap_or(client_id));
    // The message was decoded from (or built as) a valid PUBLISH, so it encodes; if it did
    // not, the record would fail to decode and be reported at recovery, never misread.
    if let Err(error) = publish.encode(ProtocolVersion::V5, &mut record) {
        tracing::error!(%error, topic = %message.topic, "cannot encode a message for the store");
    }
    record.to_vec()
}

/// Decodes a stored message record.
pub fn decode_message(record: &[u8], clocks: Clocks) -> Result<Message, RecordError> {
    let mut header = versioned(
        record,
        MESSAGE_RECORD_VERSION,
        Length::AtLeast(11),
        "short header",
    )?;
    let expiry = header.get_u64();
    let client_id_len = usize::from(header.get_u16());
    let client_id = header
        .get(..client_id_len)
        .ok_or(RecordError::Malformed("short client identifier"))?;
    let client_id = stored_client_id(client_id)?;
    let packet = header
        .get(client_id_len..)
        .ok_or(RecordError::Malformed("no packet"))?;
    let mut buffer = BytesMut::from(packet);
    let mut decoder = Decoder::with_version(Role::Server, ProtocolVersion::V5);
    let publish = match decoder.decode(&mut buffer) {
        Ok(Some(Packet::Publish(publish))) if buffer.is_empty() => publish,
        _ => return Err(RecordError::Malformed("not one PUBLISH packet")),
    };
    Ok(Message {
        topic: publish.topic,
        payload: publish.payload,
        qos: publish.qos,
        retain: publish.retain,
        properties: publish.properties,
        publisher: None,
        publisher_client_id: client_id,
        expires_at: (expiry != 0).then(|| clocks.to_instant(expiry)),
        encoded: OnceLock::new(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;
    use bytes::Bytes;
    use hermod_codec::{PublishProperties, TopicName};

    fn message(qos: QoS, expires_at: Option<Instant>) -> Message {
        let mut properties = PublishProperties {
            payload_format: Some(hermod_codec::PayloadFormat::Utf8),
            ..PublishProperties::default()
        };
        let metadata = properties.metadata_mut();
        metadata.response_topic = Some(TopicName::new("replies/device-1").unwrap());
        metadata.correlation_data = Some(Bytes::from_static(b"\x00\x01request"));
        metadata.content_type = Some(MqttString::new("text/plain").unwrap());
        metadata
            .user_properties
            .push(hermod_codec::UserProperty::new("site", "north").unwrap());
        Message {
            topic: TopicName::new("sensors/t1").unwrap(),
            payload: Bytes::from_static(b"21.5"),
            qos,
            retain: true,
            properties,
            publisher: Some(7),
            publisher_client_id: MqttString::new("device-1").unwrap(),
            expires_at,
            encoded: OnceLock::new(),
        }
    }

    #[test]
    fn a_message_round_trips_with_its_properties_and_expiry() {
        let clocks = Clocks::now();
        let deadline = clocks.instant + Duration::from_secs(90);
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let original = message(qos, Some(deadline));
            let decoded = decode_message(&encode_message(&original, clocks), clocks).unwrap();
            assert_eq!(decoded.topic, original.topic);
            assert_eq!(decoded.payload, original.payload);
            assert_eq!((decoded.qos, decoded.retain), (qos, true));
            assert_eq!(decoded.properties, original.properties);
            assert_eq!(decoded.publisher_client_id, original.publisher_client_id);
            // Millisecond precision on the wall clock.
            let back = decoded.expires_at.unwrap();
            let error = back.max(deadline) - back.min(deadline);
            assert!(error <= Duration::from_millis(1), "{error:?}");
        }
    }

    #[test]
    fn a_deadline_that_passed_while_stopped_comes_back_expired() {
        let then = Clocks::now();
        let record = encode_message(
            &message(
                QoS::AtLeastOnce,
                Some(then.instant + Duration::from_secs(5)),
            ),
            then,
        );
        let later = Clocks {
            instant: Instant::now(),
            wall: then.wall + Duration::from_secs(60),
        };
        let decoded = decode_message(&record, later).unwrap();
        assert!(decoded.is_expired(later.instant));
        let without = encode_message(&message(QoS::AtLeastOnce, None), then);
        assert!(
            decode_message(&without, later)
                .unwrap()
                .expires_at
                .is_none()
        );
    }

    #[test]
    fn session_and_subscription_records_round_trip() {
        let clocks = Clocks::now();
        let session = SessionRecord {
            version: ProtocolVersion::V3_1_1,
            expiry: Duration::from_secs(7200),
            expires_at: None,
            will: None,
        };
        let decoded = decode_session(&encode_session(&session, clocks), clocks).unwrap();
        assert_eq!(
            (decoded.version, decoded.expiry),
            (session.version, session.expiry)
        );
        assert!(decoded.expires_at.is_none() && decoded.will.is_none());
        let forever = SessionRecord {
            version: ProtocolVersion::V5,
            expiry: Duration::from_secs(u64::MAX / 4),
            expires_at: Some(clocks.instant + Duration::from_secs(60)),
            will: Some(StoredWill {
                message: std::sync::Arc::new(message(QoS::AtLeastOnce, None)),
                delay: Duration::from_secs(30),
                publish_at: Some(clocks.instant + Duration::from_secs(30)),
            }),
        };
        let decoded = decode_session(&encode_session(&forever, clocks), clocks).unwrap();
        assert_eq!(decoded.expiry, Duration::from_secs(u64::from(u32::MAX)));
        let near = |a: Option<Instant>, b: Option<Instant>| {
            let (a, b) = (a.unwrap(), b.unwrap());
            a.max(b) - a.min(b) <= Duration::from_millis(1)
        };
        assert!(near(decoded.expires_at, forever.expires_at));
        let will = decoded.will.unwrap();
        assert_eq!(will.delay, Duration::from_secs(30));
        assert!(near(
            will.publish_at,
            Some(clocks.instant + Duration::from_secs(30))
        ));
        assert_eq!(will.message.payload, Bytes::from_static(b"21.5"));
        let subscription = SubscriptionRecord {
            options: SubscriptionOptions {
                qos: QoS::ExactlyOnce,
                no_local: true,
                retain_as_published: true,
                retain_handling: hermod_codec::RetainHandling::DoNotSend,
            },
            subscription_id: SubscriptionId::new(268_435_455),
        };
        let decoded = decode_subscription(&encode_subscription(&subscription)).unwrap();
        assert_eq!(decoded, subscription);
        let plain = SubscriptionRecord {
            options: SubscriptionOptions::with_qos(QoS::AtMostOnce),
            subscription_id: None,
        };
        assert_eq!(
            decode_subscription(&encode_subscription(&plain)).unwrap(),
            plain
        );
        let key = subscription_key(&MqttString::new("dev/1").unwrap(), "a/+/#");
        let (client, filter) = split_subscription_key(&key).unwrap();
        assert_eq!((client.as_str(), filter.as_str()), ("dev/1", "a/+/#"));
        assert!(decode_session(&[1, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], clocks).is_err());
        let mut trailing = encode_session(&session, clocks);
        trailing.push(7);
        assert!(decode_session(&trailing, clocks).is_err());
        assert!(decode_subscription(&[1, 0xff, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn queued_records_round_trip_with_their_stage_and_identifiers() {
        let clocks = Clocks::now();
        let delivery = Delivery {
            message: std::sync::Arc::new(message(QoS::ExactlyOnce, None)),
            qos: QoS::AtLeastOnce,
            retain: false,
            subscription_ids: vec![
                SubscriptionId::new(3).unwrap(),
                SubscriptionId::new(70_000).unwrap(),
            ],
            shared: None,
            seq: 12,
        };
        for inflight in [
            None,
            Some((PacketId::new(5).unwrap(), OutboundStage::AwaitingPubAck)),
            Some((
                PacketId::new(65_535).unwrap(),
                OutboundStage::AwaitingPubRec,
            )),
            Some((PacketId::MIN, OutboundStage::AwaitingPubComp)),
        ] {
            let record =
                decode_queued(&encode_queued(&delivery, inflight, clocks), clocks).unwrap();
            assert_eq!(record.inflight, inflight);
            assert_eq!((record.qos, record.retain), (QoS::AtLeastOnce, false));
            assert_eq!(record.subscription_ids, delivery.subscription_ids);
            assert_eq!(record.message.payload, delivery.message.payload);
            assert_eq!(record.message.qos, QoS::ExactlyOnce);
        }
        let value = encode_queued(&delivery, None, clocks);
        for cut in [0, 3, 8, 14, value.len() - 1] {
            assert!(
                decode_queued(&value[..cut], clocks).is_err(),
                "cut at {cut}"
            );
        }
        let key = queue_key(&MqttString::new("dev").unwrap(), 258);
        let (client, seq) = split_queue_key(&key).unwrap();
        assert_eq!((client.as_str(), seq), ("dev", 258));
        // Sequence numbers sort as numbers.
        assert!(queue_key(&client, 255) < queue_key(&client, 256));
    }

    #[test]
    fn damaged_records_are_errors_not_messages() {
        let clocks = Clocks::now();
        let record = encode_message(&message(QoS::AtLeastOnce, None), clocks);
        let mut other_version = record.clone();
        other_version[0] = 9;
        assert_eq!(
            decode_message(&other_version, clocks).unwrap_err(),
            RecordError::Version(9)
        );
        for cut in [0, 5, 12, record.len() - 1] {
            assert!(
                decode_message(&record[..cut], clocks).is_err(),
                "cut at {cut}"
            );
        }
        let mut trailing = record.clone();
        trailing.push(0);
        assert!(decode_message(&trailing, clocks).is_err());
    }
}
