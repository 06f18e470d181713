//! PUBLISH: QoS and DUP, the topic name, Topic Alias, Subscription Identifier and the other
//! PUBLISH properties, and the Payload Format Indicator the receiver checks on request.

use hermod_codec::ProtocolVersion::{V3_1, V3_1_1, V5};
use hermod_codec::{DecodeError as E, Packet, PacketType as T, PropertyId, ReasonCode};

use crate::harness::Peer::{Client, Fresh, Server};
use crate::harness::{Case, MALFORMED, PROTOCOL, case, check_vector_length, decode_all, wire};

/// Violations in PUBLISH.
pub(crate) const ERRORS: &[Case] = &[
    // ---- PUBLISH -------------------------------------------------------------------------------------
    case(
        "MQTT-3.3.1-4 v5: PUBLISH QoS 3",
        Server(V5),
        "36 06 00 01 't' 00 01 00",
        E::InvalidQos,
        MALFORMED,
        "MQTT-3.3.1-4",
        "MQTT-3.3.1-4",
    ),
    case(
        "MQTT-3.3.1-4 v5: server PUBLISH QoS 3 with DUP and RETAIN",
        Client(V5),
        "3F 06 00 01 't' 00 01 00",
        E::InvalidQos,
        MALFORMED,
        "MQTT-3.3.1-4",
        "MQTT-3.3.1-4",
    ),
    case(
        "MQTT-3.3.1-4 3.1.1: PUBLISH QoS 3",
        Server(V3_1_1),
        "36 05 00 01 't' 00 01",
        E::InvalidQos,
        MALFORMED,
        "MQTT-3.3.1-4",
        "MQTT-3.3.1-4",
    ),
    case(
        "MQTT-3.3.1-4 3.1: PUBLISH QoS 3",
        Server(V3_1),
        "36 05 00 01 't' 00 01",
        E::InvalidQos,
        MALFORMED,
        "MQTT-3.3.1-4",
        "MQTT-3.3.1-4",
    ),
    case(
        "MQTT-3.3.1-2 v5: DUP on a QoS 0 PUBLISH",
        Server(V5),
        "38 04 00 01 't' 00",
        E::DupWithQos0,
        MALFORMED,
        "MQTT-3.3.1-2",
        "MQTT-3.3.1-2",
    ),
    case(
        "MQTT-3.3.1-2 3.1.1: DUP on a QoS 0 PUBLISH",
        Client(V3_1_1),
        "38 03 00 01 't'",
        E::DupWithQos0,
        MALFORMED,
        "MQTT-3.3.1-2",
        "MQTT-3.3.1-2",
    ),
    case(
        "MQTT-3.3.2-2/MQTT-4.7.0-1 v5: topic name '#'",
        Server(V5),
        "30 04 00 01 '#' 00",
        E::WildcardInTopicName,
        ReasonCode::TOPIC_NAME_INVALID,
        "MQTT-3.3.2-2",
        "MQTT-3.3.2-2",
    ),
    case(
        "MQTT-3.3.2-2 v5: server PUBLISH to 'a/#'",
        Client(V5),
        "30 06 00 03 'a/#' 00",
        E::WildcardInTopicName,
        ReasonCode::TOPIC_NAME_INVALID,
        "MQTT-3.3.2-2",
        "MQTT-3.3.2-2",
    ),
    case(
        "MQTT-3.3.2-2/MQTT-4.7.1-1 3.1.1: topic name 'a/+'",
        Server(V3_1_1),
        "30 05 00 03 'a/+'",
        E::WildcardInTopicName,
        ReasonCode::TOPIC_NAME_INVALID,
        "MQTT-3.3.2-2",
        "MQTT-3.3.2-2",
    ),
    case(
        "MQTT-3.3.2-14 v5: Response Topic 'r/#'",
        Server(V5),
        "30 0A 00 01 't' 06 08 00 03 'r/#'",
        E::WildcardInTopicName,
        ReasonCode::TOPIC_NAME_INVALID,
        "MQTT-3.3.2-2",
        "MQTT-3.3.2-2",
    ),
    case(
        "MQTT-3.3.2.1 v5: empty topic name without a Topic Alias",
        Server(V5),
        "30 03 00 00 00",
        E::EmptyTopicName,
        PROTOCOL,
        "MQTT-4.7.3-1",
        "MQTT-4.7.3-1",
    ),
    case(
        "MQTT-4.7.3-1 3.1.1: empty topic name",
        Server(V3_1_1),
        "30 04 00 00 'hi'",
        E::EmptyTopicName,
        PROTOCOL,
        "MQTT-4.7.3-1",
        "MQTT-4.7.3-1",
    ),
    case(
        "MQTT-3.3.2-8 v5: Topic Alias 0",
        Server(V5),
        "30 06 00 00 03 23 00 00",
        E::TopicAliasZero,
        ReasonCode::TOPIC_ALIAS_INVALID,
        "MQTT-3.3.2-8",
        "MQTT-3.3.2-8 (5.0 only)",
    ),
    case(
        "MQTT-3.3.2-8 v5: server PUBLISH with Topic Alias 0",
        Client(V5),
        "30 09 00 01 't' 03 23 00 00 'hi'",
        E::TopicAliasZero,
        ReasonCode::TOPIC_ALIAS_INVALID,
        "MQTT-3.3.2-8",
        "MQTT-3.3.2-8 (5.0 only)",
    ),
    case(
        "MQTT-3.3.4-6 v5: client PUBLISH with a Subscription Identifier",
        Server(V5),
        "30 06 00 01 't' 02 0B 01",
        E::SubscriptionIdentifierFromClient,
        PROTOCOL,
        "MQTT-3.3.4-6",
        "MQTT-3.3.4-6 (5.0 only)",
    ),
    case(
        "MQTT-3.3.2.3.8 v5: Subscription Identifier 0",
        Client(V5),
        "30 06 00 01 't' 02 0B 00",
        E::InvalidPropertyValue {
            property: PropertyId::SubscriptionIdentifier,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-3.3.2.3.4 v5: Topic Alias twice",
        Server(V5),
        "30 0A 00 01 't' 06 23 00 01 23 00 02",
        E::DuplicateProperty {
            property: PropertyId::TopicAlias,
        },
        PROTOCOL,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-3.3.2.3.2 v5: Payload Format Indicator 2",
        Server(V5),
        "30 06 00 01 't' 02 01 02",
        E::InvalidPropertyValue {
            property: PropertyId::PayloadFormatIndicator,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Session Expiry Interval in PUBLISH",
        Server(V5),
        "30 09 00 01 't' 05 11 00 00 00 01",
        E::PropertyNotAllowed {
            property: PropertyId::SessionExpiryInterval,
            packet: T::Publish,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: property identifier 128 in two bytes",
        Server(V5),
        "30 07 00 01 't' 03 80 01 00",
        E::UnknownProperty { id: 128 },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
];

#[test]
fn payload_format_indicator_is_checked_on_request_mqtt_3_3_2_4() {
    // PUBLISH, Payload Format Indicator 1, payload FF FE: decodes, then fails the check.
    let bytes = wire("30 08 00 01 't' 02 01 01 FF FE");
    check_vector_length("PFI", &bytes);
    let Ok(Some(Packet::Publish(publish))) = decode_all(Server(V5), &bytes) else {
        panic!("PUBLISH with PFI 1 did not decode");
    };
    let error = publish.check_payload_format().unwrap_err();
    assert_eq!(error, E::PayloadFormatInvalid);
    assert_eq!(error.reason_code(), ReasonCode::PAYLOAD_FORMAT_INVALID);
    assert_eq!(error.rule(), "MQTT-3.3.2-4");
    assert_eq!(error.rule_for(V3_1_1), "MQTT-3.3.2-4 (5.0 only)");

    // The same payload with Payload Format Indicator 0, and UTF-8 with 1, pass.
    let bytes = wire("30 08 00 01 't' 02 01 00 FF FE");
    check_vector_length("PFI 0", &bytes);
    let Ok(Some(Packet::Publish(publish))) = decode_all(Server(V5), &bytes) else {
        panic!("PUBLISH with PFI 0 did not decode");
    };
    assert_eq!(publish.check_payload_format(), Ok(()));
    let bytes = wire("30 09 00 01 't' 02 01 01 C3 A9 'x'");
    check_vector_length("PFI 1 UTF-8", &bytes);
    let Ok(Some(Packet::Publish(publish))) = decode_all(Server(V5), &bytes) else {
        panic!("PUBLISH with PFI 1 and UTF-8 did not decode");
    };
    assert_eq!(publish.check_payload_format(), Ok(()));

    // The will of a CONNECT (section 3.1.3.2.3): PFI 1 with payload 80.
    let bytes = wire("10 17 00 04 'MQTT' 05 06 00 3C 00 00 01 'c' 02 01 01 00 01 't' 00 01 80");
    check_vector_length("will PFI", &bytes);
    let Ok(Some(Packet::Connect(connect))) = decode_all(Fresh, &bytes) else {
        panic!("CONNECT with a will did not decode");
    };
    let will = connect.will.as_ref().expect("will");
    assert_eq!(will.check_payload_format(), Err(E::PayloadFormatInvalid));
}
