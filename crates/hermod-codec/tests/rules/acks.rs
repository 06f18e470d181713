//! Acknowledgements (PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK), DISCONNECT and AUTH:
//! their reason codes and properties.

use hermod_codec::ProtocolVersion::{V3_1_1, V5};
use hermod_codec::{DecodeError as E, PacketType as T, PropertyId, ReasonCode};

use crate::harness::Peer::{Client, Server};
use crate::harness::{Case, MALFORMED, PROTOCOL, case};

/// Violations in acknowledgements, DISCONNECT and AUTH.
pub(crate) const ERRORS: &[Case] = &[
    // ---- acknowledgements, DISCONNECT, AUTH: reason codes and properties -----------------------------
    case(
        "MQTT-3.4.2-1 v5: PUBACK reason code 0x01",
        Server(V5),
        "40 03 00 01 01",
        E::InvalidReasonCode {
            packet: T::PubAck,
            code: ReasonCode::GRANTED_QOS_1,
        },
        MALFORMED,
        "MQTT-3.4.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.5.2-1 v5: PUBREC reason code 0x92 (PUBREL/PUBCOMP only)",
        Client(V5),
        "50 03 00 01 92",
        E::InvalidReasonCode {
            packet: T::PubRec,
            code: ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
        },
        MALFORMED,
        "MQTT-3.5.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.6.2-1 v5: PUBREL reason code 0x10",
        Server(V5),
        "62 03 00 01 10",
        E::InvalidReasonCode {
            packet: T::PubRel,
            code: ReasonCode::NO_MATCHING_SUBSCRIBERS,
        },
        MALFORMED,
        "MQTT-3.6.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.7.2-1 v5: PUBCOMP reason code 0x80",
        Client(V5),
        "70 03 00 01 80",
        E::InvalidReasonCode {
            packet: T::PubComp,
            code: ReasonCode::UNSPECIFIED_ERROR,
        },
        MALFORMED,
        "MQTT-3.7.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.9.3-2 v5: SUBACK reason code 0x03",
        Client(V5),
        "90 05 00 01 00 00 03",
        E::InvalidReasonCode {
            packet: T::SubAck,
            code: ReasonCode::from_byte(3),
        },
        MALFORMED,
        "MQTT-3.9.3-2",
        "MQTT-3.9.3-2",
    ),
    case(
        "MQTT-3.9.3-2 3.1.1: SUBACK return code 0x03",
        Client(V3_1_1),
        "90 04 00 01 01 03",
        E::InvalidReasonCode {
            packet: T::SubAck,
            code: ReasonCode::from_byte(3),
        },
        MALFORMED,
        "MQTT-3.9.3-2",
        "MQTT-3.9.3-2",
    ),
    case(
        "MQTT-3.9.3-2 3.1.1: SUBACK return code 0x8F (5.0 only)",
        Client(V3_1_1),
        "90 03 00 01 8F",
        E::InvalidReasonCode {
            packet: T::SubAck,
            code: ReasonCode::TOPIC_FILTER_INVALID,
        },
        MALFORMED,
        "MQTT-3.9.3-2",
        "MQTT-3.9.3-2",
    ),
    case(
        "MQTT-3.11.3-2 v5: UNSUBACK reason code 0x01",
        Client(V5),
        "B0 04 00 01 00 01",
        E::InvalidReasonCode {
            packet: T::UnsubAck,
            code: ReasonCode::GRANTED_QOS_1,
        },
        MALFORMED,
        "MQTT-3.11.3-2",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.14.2-1 v5: DISCONNECT reason code 0x01",
        Server(V5),
        "E0 01 01",
        E::InvalidReasonCode {
            packet: T::Disconnect,
            code: ReasonCode::GRANTED_QOS_1,
        },
        MALFORMED,
        "MQTT-3.14.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.15.2-1 v5: AUTH reason code 0x01",
        Server(V5),
        "F0 01 01",
        E::InvalidReasonCode {
            packet: T::Auth,
            code: ReasonCode::GRANTED_QOS_1,
        },
        MALFORMED,
        "MQTT-3.15.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Retain Available in SUBACK",
        Client(V5),
        "90 06 00 01 02 25 01 00",
        E::PropertyNotAllowed {
            property: PropertyId::RetainAvailable,
            packet: T::SubAck,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Topic Alias in PUBREC",
        Server(V5),
        "50 07 00 01 00 03 23 00 01",
        E::PropertyNotAllowed {
            property: PropertyId::TopicAlias,
            packet: T::PubRec,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Subscription Identifier in UNSUBACK",
        Client(V5),
        "B0 06 00 01 02 0B 01 00",
        E::PropertyNotAllowed {
            property: PropertyId::SubscriptionIdentifier,
            packet: T::UnsubAck,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-3.4.2.2.2 v5: PUBACK Reason String twice",
        Server(V5),
        "40 0C 00 01 00 08 1F 00 01 'a' 1F 00 01 'b'",
        E::DuplicateProperty {
            property: PropertyId::ReasonString,
        },
        PROTOCOL,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: PUBCOMP property identifier 0x05",
        Client(V5),
        "70 06 00 01 00 02 05 00",
        E::UnknownProperty { id: 5 },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-3.14.2-2 v5: server DISCONNECT with Session Expiry Interval",
        Client(V5),
        "E0 07 00 05 11 00 00 00 00",
        E::SessionExpiryFromServer,
        PROTOCOL,
        "MQTT-3.14.2-2",
        "MQTT-3.14.2-2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Topic Alias in DISCONNECT",
        Server(V5),
        "E0 05 00 03 23 00 01",
        E::PropertyNotAllowed {
            property: PropertyId::TopicAlias,
            packet: T::Disconnect,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-3.15.2.2.2 v5: AUTH with properties but no Authentication Method",
        Client(V5),
        "F0 06 18 04 1F 00 01 'x'",
        E::AuthenticationMethodMissing,
        PROTOCOL,
        "MQTT-3.15.2 (section)",
        "MQTT-3.15.2 (5.0 only)",
    ),
    case(
        "MQTT-3.15.2.2.2 v5: AUTH 0x18 without properties",
        Server(V5),
        "F0 01 18",
        E::AuthenticationMethodMissing,
        PROTOCOL,
        "MQTT-3.15.2 (section)",
        "MQTT-3.15.2 (5.0 only)",
    ),
    case(
        "MQTT-3.15.2.2.2 v5: Authentication Method twice",
        Server(V5),
        "F0 0C 18 0A 15 00 03 'abc' 15 00 01 'x'",
        E::DuplicateProperty {
            property: PropertyId::AuthenticationMethod,
        },
        PROTOCOL,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
];
