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

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Buf, BufMut, BytesMut};
use hermod_codec::{Decoder, MqttString, Packet, PacketId, ProtocolVersion, Publish, QoS, Role};
use hermod_core::Message;

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
    let mut header = record;
    if header.remaining() < 11 {
        return Err(RecordError::Malformed("short header"));
    }
    let version = header.get_u8();
    if version != MESSAGE_RECORD_VERSION {
        return Err(RecordError::Version(version));
    }
    let expiry = header.get_u64();
    let client_id_len = usize::from(header.get_u16());
    let client_id = header
        .get(..client_id_len)
        .ok_or(RecordError::Malformed("short client identifier"))?;
    let client_id = std::str::from_utf8(client_id)
        .ok()
        .and_then(|text| MqttString::new(text).ok())
        .ok_or(RecordError::Malformed(
            "client identifier is not an MQTT string",
        ))?;
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
