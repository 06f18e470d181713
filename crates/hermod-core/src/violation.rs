//! Misbehaviour after decoding, mapped to the reason code the connection is closed with.

use hermod_codec::{DecodeError, ReasonCode};

/// A protocol violation by the client: the connection is closed (MQTT 5: after a DISCONNECT or
/// CONNACK with [`Violation::reason_code`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// The packet's form is invalid (from the codec).
    #[error("{0} [{rule}]", rule = .0.rule())]
    Decode(#[from] DecodeError),
    /// More unacknowledged QoS 1/2 PUBLISH than the advertised Receive Maximum (MQTT-3.3.4-7).
    #[error("receive maximum exceeded [MQTT-3.3.4-7]")]
    ReceiveMaximumExceeded,
    /// A Topic Alias above the advertised maximum (MQTT-3.3.2-10).
    #[error("topic alias {alias} above the maximum {maximum} [MQTT-3.3.2-10]")]
    TopicAliasOutOfRange {
        /// The alias sent.
        alias: u16,
        /// The maximum advertised.
        maximum: u16,
    },
    /// A Topic Alias without a topic that was never mapped (MQTT 5.0 section 3.3.2.3.4).
    #[error("topic alias {alias} was never set [MQTT-3.3.2-7]")]
    UnknownTopicAlias {
        /// The alias sent.
        alias: u16,
    },
    /// A PUBLISH with a QoS the server does not support, or a RETAIN it does not support.
    #[error("PUBLISH uses a feature the server does not offer [MQTT-3.2.2-11]")]
    UnsupportedFeature {
        /// The reason code to report.
        reason: ReasonCode,
    },
    /// A client DISCONNECT sets a session expiry after connecting with 0 (MQTT-3.14.2-?).
    #[error("session expiry changed from 0 at DISCONNECT [MQTT-3.14.2 section]")]
    SessionExpiryFromZero,
    /// A PUBREL, PUBACK or PUBCOMP arrived in a state that does not allow it.
    #[error("unexpected acknowledgement of packet {packet_id}")]
    UnexpectedAck {
        /// The packet identifier.
        packet_id: u16,
    },
    /// The client sent a packet larger than the Maximum Packet Size (MQTT-3.2.2-15).
    #[error("packet too large [MQTT-3.2.2-15]")]
    PacketTooLarge,
    /// A topic name or filter beyond the configured length or level limits.
    #[error("topic exceeds the configured length or level limit")]
    TopicTooLong,
}

impl Violation {
    /// The MQTT 5 reason code for the DISCONNECT (or CONNACK) that reports it.
    pub fn reason_code(&self) -> ReasonCode {
        match self {
            Violation::Decode(error) => error.reason_code(),
            Violation::ReceiveMaximumExceeded => ReasonCode::RECEIVE_MAXIMUM_EXCEEDED,
            Violation::TopicAliasOutOfRange { .. } | Violation::UnknownTopicAlias { .. } => {
                ReasonCode::TOPIC_ALIAS_INVALID
            }
            Violation::UnsupportedFeature { reason } => *reason,
            Violation::SessionExpiryFromZero | Violation::UnexpectedAck { .. } => {
                ReasonCode::PROTOCOL_ERROR
            }
            Violation::PacketTooLarge => ReasonCode::PACKET_TOO_LARGE,
            Violation::TopicTooLong => ReasonCode::TOPIC_NAME_INVALID,
        }
    }

    /// The normative rule the violation breaks, as numbered in `version`'s specification.
    pub fn rule_for(&self, version: hermod_codec::ProtocolVersion) -> &'static str {
        match self {
            Violation::Decode(error) => error.rule_for(version),
            other => other.rule(),
        }
    }

    /// The normative rule the violation breaks (MQTT 5.0 numbering), for the log line.
    pub fn rule(&self) -> &'static str {
        match self {
            Violation::Decode(error) => error.rule(),
            Violation::ReceiveMaximumExceeded => "MQTT-3.3.4-7",
            Violation::TopicAliasOutOfRange { .. } => "MQTT-3.3.2-10",
            Violation::UnknownTopicAlias { .. } => "MQTT-3.3.2 (section 3.3.2.3.4)",
            Violation::UnsupportedFeature { .. } => "MQTT-3.2.2-11",
            Violation::SessionExpiryFromZero => "MQTT-3.14.2 (section 3.14.2.2.2)",
            Violation::UnexpectedAck { .. } => "MQTT-4.3 (section)",
            Violation::PacketTooLarge => "MQTT-3.2.2-15",
            Violation::TopicTooLong => "broker limit",
        }
    }
}
