//! Decode and encode errors: one variant per distinct defect, each with the MQTT 5 reason code
//! the specification assigns and the normative rule it breaks, written once in one table.

use crate::header::PacketType;
use crate::property::PropertyId;
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;

macro_rules! decode_errors {
    ($(
        $(#[$doc:meta])*
        $name:ident $({ $($field:ident : $ty:ty),* $(,)? })?
            => $reason:ident, v5: $rule5:literal, v311: $rule311:literal, $msg:literal;
    )*) => {
        /// A defect in the form of a packet (or of a value that would go into one).
        ///
        /// Each variant knows the reason code to answer with ([`DecodeError::reason_code`]) and
        /// the normative statement it breaks ([`DecodeError::rule`]). Where the specification
        /// has no numbered statement for a check, the rule names the section instead.
        #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
        #[non_exhaustive]
        pub enum DecodeError {
            $(
                $(#[$doc])*
                #[error($msg)]
                $name $({ $(
                    #[allow(missing_docs)]
                    $field: $ty
                ),* })?,
            )*
        }

        impl DecodeError {
            /// The MQTT 5 reason code for a CONNACK, DISCONNECT or acknowledgement that reports
            /// this defect.
            pub fn reason_code(&self) -> ReasonCode {
                match self {
                    $(DecodeError::$name { .. } => ReasonCode::$reason,)*
                }
            }

            /// The MQTT 5.0 normative statement (e.g. `MQTT-3.3.2-2`) this defect breaks.
            pub fn rule(&self) -> &'static str {
                if let DecodeError::InvalidReasonCode { packet, .. } = self {
                    return reason_code_rule(*packet);
                }
                match self {
                    $(DecodeError::$name { .. } => $rule5,)*
                }
            }

            /// The normative statement as numbered in the given protocol version's
            /// specification (MQTT 3.1 has no numbered statements; its 3.1.1 number is used).
            pub fn rule_for(&self, version: ProtocolVersion) -> &'static str {
                match version {
                    ProtocolVersion::V5 => self.rule(),
                    ProtocolVersion::V3_1 | ProtocolVersion::V3_1_1 => {
                        if let DecodeError::InvalidReasonCode { packet, .. } = self {
                            return reason_code_rule_v311(*packet);
                        }
                        match self {
                            $(DecodeError::$name { .. } => $rule311,)*
                        }
                    }
                }
            }
        }
    };
}

decode_errors! {
    // ---- framing -------------------------------------------------------------------------
    /// A Variable Byte Integer (such as the Remaining Length) continued into a fifth byte.
    VariableByteIntegerTooLong
        => MALFORMED_PACKET, v5: "MQTT-1.5.5 (section)", v311: "MQTT-2.2.3 (section)",
        "variable byte integer longer than 4 bytes";
    /// A Variable Byte Integer used more bytes than its value needs.
    VariableByteIntegerNotMinimal
        => MALFORMED_PACKET, v5: "MQTT-1.5.5-1", v311: "MQTT-2.2.3 (section)",
        "variable byte integer not encoded in the minimum number of bytes";
    /// The packet is larger than the receiver's maximum packet size.
    PacketTooLarge { size: usize, limit: usize }
        => PACKET_TOO_LARGE, v5: "MQTT-3.2.2-15", v311: "MQTT-2.2.3 (section)",
        "packet of {size} bytes exceeds the maximum packet size of {limit} bytes";
    /// The packet type nibble is reserved (0, or 15 before MQTT 5).
    ReservedPacketType { value: u8 }
        => MALFORMED_PACKET, v5: "MQTT-2.1.2 (section)", v311: "MQTT-2.2.1 (section)",
        "reserved packet type {value}";
    /// The fixed header flags are not the values the packet type requires.
    InvalidHeaderFlags { packet: PacketType, flags: u8 }
        => MALFORMED_PACKET, v5: "MQTT-2.1.3-1", v311: "MQTT-2.2.2-2",
        "invalid fixed header flags 0x{flags:X} for {packet:?}";
    /// The packet type may not be sent in this direction (e.g. a client sending CONNACK).
    UnexpectedPacket { packet: PacketType }
        => PROTOCOL_ERROR, v5: "MQTT-2.1.2 (section)", v311: "MQTT-2.2.1 (section)",
        "{packet:?} is not allowed in this direction";
    /// The first packet from a client was not CONNECT.
    FirstPacketNotConnect { packet: PacketType }
        => PROTOCOL_ERROR, v5: "MQTT-3.1.0-1", v311: "MQTT-3.1.0-1",
        "first packet is {packet:?}, not CONNECT";
    /// A client sent a second CONNECT on the same connection.
    SecondConnect
        => PROTOCOL_ERROR, v5: "MQTT-3.1.0-2", v311: "MQTT-3.1.0-2",
        "second CONNECT on one connection";
    /// A field runs past the end of the packet: the Remaining Length is too short for the
    /// content.
    Truncated
        => MALFORMED_PACKET, v5: "MQTT-2.1.4 (section)", v311: "MQTT-2.2.3 (section)",
        "packet ends inside a field (remaining length too short for the content)";
    /// Bytes are left over after the last field: the Remaining Length is too long for the
    /// content.
    TrailingBytes { count: usize }
        => MALFORMED_PACKET, v5: "MQTT-2.1.4 (section)", v311: "MQTT-2.2.3 (section)",
        "{count} bytes left over after the last field";

    // ---- data representation ---------------------------------------------------------------
    /// A UTF-8 Encoded String is not well-formed UTF-8 (or encodes a surrogate).
    InvalidUtf8
        => MALFORMED_PACKET, v5: "MQTT-1.5.4-1", v311: "MQTT-1.5.3-1",
        "string is not well-formed UTF-8";
    /// A UTF-8 Encoded String contains U+0000.
    NullCharacter
        => MALFORMED_PACKET, v5: "MQTT-1.5.4-2", v311: "MQTT-1.5.3-2",
        "string contains the null character U+0000";
    /// A string or binary field is longer than 65,535 bytes.
    FieldTooLong { len: usize }
        => MALFORMED_PACKET, v5: "MQTT-1.5.4 (section)", v311: "MQTT-1.5.3 (section)",
        "field of {len} bytes exceeds 65535 bytes";
    /// A packet identifier that must be non-zero is zero.
    ZeroPacketId
        => MALFORMED_PACKET, v5: "MQTT-2.2.1-3", v311: "MQTT-2.3.1-1",
        "packet identifier is zero";

    // ---- CONNECT / CONNACK ------------------------------------------------------------------
    /// The protocol name is neither `MQTT` nor (for level 3) `MQIsdp`.
    InvalidProtocolName
        => UNSUPPORTED_PROTOCOL_VERSION, v5: "MQTT-3.1.2-1", v311: "MQTT-3.1.2-1",
        "protocol name is not MQTT (or MQIsdp for MQTT 3.1)";
    /// The protocol level is not one this codec speaks (3, 4 or 5).
    UnsupportedProtocolLevel { level: u8 }
        => UNSUPPORTED_PROTOCOL_VERSION, v5: "MQTT-3.1.2-2", v311: "MQTT-3.1.2-2",
        "unsupported protocol level {level}";
    /// The reserved bit 0 of the CONNECT flags is set.
    ReservedConnectFlag
        => MALFORMED_PACKET, v5: "MQTT-3.1.2-3", v311: "MQTT-3.1.2-3",
        "reserved CONNECT flag is set";
    /// The Will QoS is not 0 although the Will Flag is 0.
    WillQosWithoutWill
        => MALFORMED_PACKET, v5: "MQTT-3.1.2-11", v311: "MQTT-3.1.2-13",
        "will QoS is set but the will flag is not";
    /// The Will QoS is 3.
    InvalidWillQos
        => MALFORMED_PACKET, v5: "MQTT-3.1.2-12", v311: "MQTT-3.1.2-14",
        "will QoS is 3";
    /// The Will Retain flag is set although the Will Flag is 0.
    WillRetainWithoutWill
        => MALFORMED_PACKET, v5: "MQTT-3.1.2-13", v311: "MQTT-3.1.2-15",
        "will retain is set but the will flag is not";
    /// MQTT 3.x: the Password Flag is set without the User Name Flag.
    PasswordWithoutUserName
        => MALFORMED_PACKET, v5: "MQTT-3.1.2-22 (3.1.1 only)", v311: "MQTT-3.1.2-22",
        "password flag set without user name flag";
    /// The reserved bits of the CONNACK acknowledge flags are set.
    ReservedConnAckFlags
        => MALFORMED_PACKET, v5: "MQTT-3.2.2-1", v311: "MQTT-3.2.2.1 (section)",
        "reserved CONNACK acknowledge flags are set";
    /// CONNACK has Session Present set with a non-zero reason code.
    SessionPresentOnRefusal
        => PROTOCOL_ERROR, v5: "MQTT-3.2.2-6", v311: "MQTT-3.2.2-4",
        "CONNACK refuses the connection but sets session present";

    // ---- PUBLISH -----------------------------------------------------------------------------
    /// A PUBLISH has both QoS bits set.
    InvalidQos
        => MALFORMED_PACKET, v5: "MQTT-3.3.1-4", v311: "MQTT-3.3.1-4",
        "PUBLISH QoS is 3";
    /// A QoS 0 PUBLISH has the DUP flag set.
    DupWithQos0
        => MALFORMED_PACKET, v5: "MQTT-3.3.1-2", v311: "MQTT-3.3.1-2",
        "DUP flag set on a QoS 0 PUBLISH";
    /// A topic name contains a wildcard character.
    WildcardInTopicName
        => TOPIC_NAME_INVALID, v5: "MQTT-3.3.2-2", v311: "MQTT-3.3.2-2",
        "topic name contains a wildcard character";
    /// A topic name is empty (without a topic alias in MQTT 5).
    EmptyTopicName
        => PROTOCOL_ERROR, v5: "MQTT-4.7.3-1", v311: "MQTT-4.7.3-1",
        "topic name is empty";
    /// A Topic Alias of 0.
    TopicAliasZero
        => TOPIC_ALIAS_INVALID, v5: "MQTT-3.3.2-8", v311: "MQTT-3.3.2-8 (5.0 only)",
        "topic alias is 0";
    /// A PUBLISH from a client carries a Subscription Identifier.
    SubscriptionIdentifierFromClient
        => PROTOCOL_ERROR, v5: "MQTT-3.3.4-6", v311: "MQTT-3.3.4-6 (5.0 only)",
        "a client PUBLISH carries a subscription identifier";
    /// The payload is not valid UTF-8 although the Payload Format Indicator says it is.
    PayloadFormatInvalid
        => PAYLOAD_FORMAT_INVALID, v5: "MQTT-3.3.2-4", v311: "MQTT-3.3.2-4 (5.0 only)",
        "payload format indicator is 1 but the payload is not valid UTF-8";

    // ---- SUBSCRIBE / UNSUBSCRIBE ----------------------------------------------------------------
    /// A SUBSCRIBE with no topic filter.
    NoTopicFilterInSubscribe
        => PROTOCOL_ERROR, v5: "MQTT-3.8.3-2", v311: "MQTT-3.8.3-3",
        "SUBSCRIBE contains no topic filter";
    /// An UNSUBSCRIBE with no topic filter.
    NoTopicFilterInUnsubscribe
        => PROTOCOL_ERROR, v5: "MQTT-3.10.3-2", v311: "MQTT-3.10.3-2",
        "UNSUBSCRIBE contains no topic filter";
    /// Reserved bits of the subscription options (requested QoS byte in 3.x) are set.
    ReservedSubscriptionOptions
        => MALFORMED_PACKET, v5: "MQTT-3.8.3-5", v311: "MQTT-3.8.3-4",
        "reserved subscription option bits are set";
    /// A subscription requests QoS 3.
    InvalidSubscriptionQos
        => PROTOCOL_ERROR, v5: "MQTT-3.8.3 (section)", v311: "MQTT-3.8.3-4",
        "subscription requests QoS 3";
    /// A subscription has Retain Handling 3.
    InvalidRetainHandling
        => PROTOCOL_ERROR, v5: "MQTT-3.8.3 (section)", v311: "MQTT-3.8.3 (5.0 only)",
        "retain handling is 3";
    /// No Local is set on a shared subscription.
    NoLocalOnSharedSubscription
        => PROTOCOL_ERROR, v5: "MQTT-3.8.3-4", v311: "MQTT-3.8.3-4 (5.0 only)",
        "no local is set on a shared subscription";

    // ---- topic filters -----------------------------------------------------------------------
    /// A topic filter is empty.
    EmptyTopicFilter
        => TOPIC_FILTER_INVALID, v5: "MQTT-4.7.3-1", v311: "MQTT-4.7.3-1",
        "topic filter is empty";
    /// `#` is not alone in the last level of a topic filter.
    InvalidMultiLevelWildcard
        => TOPIC_FILTER_INVALID, v5: "MQTT-4.7.1-1", v311: "MQTT-4.7.1-2",
        "'#' must be the whole last level of a topic filter";
    /// `+` does not occupy a whole level of a topic filter.
    InvalidSingleLevelWildcard
        => TOPIC_FILTER_INVALID, v5: "MQTT-4.7.1-2", v311: "MQTT-4.7.1-3",
        "'+' must occupy a whole level of a topic filter";
    /// A shared subscription's ShareName is empty (`$share/` or `$share//t`).
    EmptyShareName
        => TOPIC_FILTER_INVALID, v5: "MQTT-4.8.2-1", v311: "MQTT-4.8.2-1 (5.0 only)",
        "share name must be at least one character long";
    /// A shared subscription's ShareName contains `+` or `#`.
    InvalidShareName
        => TOPIC_FILTER_INVALID, v5: "MQTT-4.8.2-2", v311: "MQTT-4.8.2-2 (5.0 only)",
        "share name must not contain '+' or '#'";
    /// A shared subscription has no topic filter after the ShareName.
    MissingSharedFilter
        => TOPIC_FILTER_INVALID, v5: "MQTT-4.8.2-2", v311: "MQTT-4.8.2-2 (5.0 only)",
        "shared subscription has no topic filter after the share name";

    // ---- properties and reason codes ------------------------------------------------------------
    /// The property identifier is not one MQTT 5 defines.
    UnknownProperty { id: u32 }
        => MALFORMED_PACKET, v5: "MQTT-2.2.2 (section)", v311: "MQTT-2.2.2 (5.0 only)",
        "unknown property identifier 0x{id:02X}";
    /// The property is not allowed in this packet.
    PropertyNotAllowed { property: PropertyId, packet: PacketType }
        => MALFORMED_PACKET, v5: "MQTT-2.2.2 (section)", v311: "MQTT-2.2.2 (5.0 only)",
        "property {property:?} is not allowed in {packet:?}";
    /// The property appears more than once where that is not allowed.
    DuplicateProperty { property: PropertyId }
        => PROTOCOL_ERROR, v5: "MQTT-2.2.2 (section)", v311: "MQTT-2.2.2 (5.0 only)",
        "property {property:?} appears more than once";
    /// The property has a value the specification forbids (e.g. Receive Maximum 0, a boolean
    /// property other than 0 or 1, Subscription Identifier 0).
    InvalidPropertyValue { property: PropertyId }
        => PROTOCOL_ERROR, v5: "MQTT-3 (property definition)", v311: "MQTT-3 (5.0 only)",
        "property {property:?} has a forbidden value";
    /// Authentication Data is present without an Authentication Method.
    AuthenticationDataWithoutMethod
        => PROTOCOL_ERROR, v5: "MQTT-3.1.2 (section)", v311: "MQTT-3.1.2 (5.0 only)",
        "authentication data without an authentication method";
    /// The reason code is not one of those allowed in this packet (the rule depends on the
    /// packet: MQTT-3.2.2-8, MQTT-3.4.2-1, ..., MQTT-3.15.2-1; in MQTT 3.1.1 MQTT-3.9.3-2 for
    /// SUBACK and section 3.2.2.3 for CONNACK).
    InvalidReasonCode { packet: PacketType, code: ReasonCode }
        => MALFORMED_PACKET, v5: "MQTT-3.4.2-1", v311: "MQTT-3.9.3-2",
        "reason code {code} is not allowed in {packet:?}";
    /// An AUTH packet with properties but no Authentication Method.
    AuthenticationMethodMissing
        => PROTOCOL_ERROR, v5: "MQTT-3.15.2 (section)", v311: "MQTT-3.15.2 (5.0 only)",
        "AUTH without an authentication method";
    /// A server sent Session Expiry Interval in DISCONNECT.
    SessionExpiryFromServer
        => PROTOCOL_ERROR, v5: "MQTT-3.14.2-2", v311: "MQTT-3.14.2-2 (5.0 only)",
        "the server sent a session expiry interval in DISCONNECT";
}

/// The MQTT 5.0 statement that lists the reason codes a packet may carry.
fn reason_code_rule(packet: PacketType) -> &'static str {
    match packet {
        PacketType::ConnAck => "MQTT-3.2.2-8",
        PacketType::PubAck => "MQTT-3.4.2-1",
        PacketType::PubRec => "MQTT-3.5.2-1",
        PacketType::PubRel => "MQTT-3.6.2-1",
        PacketType::PubComp => "MQTT-3.7.2-1",
        PacketType::SubAck => "MQTT-3.9.3-2",
        PacketType::UnsubAck => "MQTT-3.11.3-2",
        PacketType::Disconnect => "MQTT-3.14.2-1",
        PacketType::Auth => "MQTT-3.15.2-1",
        _ => "MQTT-2.4 (section)",
    }
}

/// The MQTT 3.1.1 statement for a reserved return code: only SUBACK has a numbered one; the
/// CONNACK return codes 6-255 are reserved by section 3.2.2.3 without a statement id, and no
/// other 3.x packet carries a code.
fn reason_code_rule_v311(packet: PacketType) -> &'static str {
    match packet {
        PacketType::SubAck => "MQTT-3.9.3-2",
        PacketType::ConnAck => "MQTT-3.2.2.3 (section)",
        _ => "MQTT-2.4 (5.0 only)",
    }
}

/// A packet that cannot be encoded as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The encoded packet would exceed the 268,435,455-byte Remaining Length limit.
    #[error("remaining length of {len} bytes exceeds the protocol maximum")]
    RemainingLengthTooLarge {
        /// The remaining length the packet would need.
        len: usize,
    },
    /// A binary field (correlation data, authentication data, will payload, password) is
    /// longer than 65,535 bytes.
    #[error("binary field of {len} bytes exceeds 65535 bytes")]
    FieldTooLong {
        /// The field's length.
        len: usize,
    },
    /// QoS 0 PUBLISH with a packet identifier, or QoS 1/2 PUBLISH without one.
    #[error("PUBLISH packet identifier does not match its QoS")]
    PacketIdMismatch,
    /// The packet does not exist in this protocol version (AUTH before MQTT 5).
    #[error("{packet:?} does not exist in MQTT {version}")]
    NotInVersion {
        /// The packet type.
        packet: PacketType,
        /// The connection's version.
        version: ProtocolVersion,
    },
    /// The packet breaks a rule the receiving decoder enforces (QoS 0 with DUP, an empty topic
    /// without an alias, a 3.x password without a user name, Session Present on a refused
    /// CONNACK, AUTH without an authentication method).
    #[error("packet would break {rule}: {error}", rule = .error.rule())]
    Invalid {
        /// The rule the receiver would report.
        error: DecodeError,
    },
    /// A SUBSCRIBE or UNSUBSCRIBE with no topic filter (MQTT-3.8.3-2, MQTT-3.10.3-2).
    #[error("{packet:?} needs at least one topic filter")]
    NoTopicFilter {
        /// The packet type.
        packet: PacketType,
    },
}
