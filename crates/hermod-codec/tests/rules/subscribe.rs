//! SUBSCRIBE and UNSUBSCRIBE: the packet's own rules (rejected), and invalid topic filters,
//! including shared subscriptions (only their entry fails).

use hermod_codec::ProtocolVersion::{V3_1, V3_1_1, V5};
use hermod_codec::{
    DecodeError as E, InvalidTopicFilter, Packet, PacketType as T, PropertyId, QoS, TopicFilter,
};

use crate::harness::Peer::Server;
use crate::harness::{
    Case, FILTER_INVALID, FilterCase, MALFORMED, PROTOCOL, case, check_vector_length, decode_all,
    filter, pid, s, wire,
};

/// Violations in SUBSCRIBE and UNSUBSCRIBE.
pub(crate) const ERRORS: &[Case] = &[
    // ---- SUBSCRIBE / UNSUBSCRIBE ---------------------------------------------------------------------
    case(
        "MQTT-3.8.3-2 v5: SUBSCRIBE without a topic filter",
        Server(V5),
        "82 03 00 01 00",
        E::NoTopicFilterInSubscribe,
        PROTOCOL,
        "MQTT-3.8.3-2",
        "MQTT-3.8.3-3",
    ),
    case(
        "MQTT-3.8.3-3 3.1.1: SUBSCRIBE without a topic filter",
        Server(V3_1_1),
        "82 02 00 01",
        E::NoTopicFilterInSubscribe,
        PROTOCOL,
        "MQTT-3.8.3-2",
        "MQTT-3.8.3-3",
    ),
    case(
        "MQTT-3.10.3-2 v5: UNSUBSCRIBE without a topic filter",
        Server(V5),
        "A2 03 00 01 00",
        E::NoTopicFilterInUnsubscribe,
        PROTOCOL,
        "MQTT-3.10.3-2",
        "MQTT-3.10.3-2",
    ),
    case(
        "MQTT-3.10.3-2 3.1.1: UNSUBSCRIBE without a topic filter",
        Server(V3_1_1),
        "A2 02 00 01",
        E::NoTopicFilterInUnsubscribe,
        PROTOCOL,
        "MQTT-3.10.3-2",
        "MQTT-3.10.3-2",
    ),
    case(
        "MQTT-3.8.3-5 v5: subscription option bit 6 set",
        Server(V5),
        "82 07 00 01 00 00 01 'a' 40",
        E::ReservedSubscriptionOptions,
        MALFORMED,
        "MQTT-3.8.3-5",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3-5 v5: subscription option bit 7 on the second filter",
        Server(V5),
        "82 0B 00 01 00 00 01 'a' 00 00 01 'b' 81",
        E::ReservedSubscriptionOptions,
        MALFORMED,
        "MQTT-3.8.3-5",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3-4 3.1.1: reserved bit 2 of the requested QoS byte (No Local in 5.0)",
        Server(V3_1_1),
        "82 06 00 01 00 01 'a' 04",
        E::ReservedSubscriptionOptions,
        MALFORMED,
        "MQTT-3.8.3-5",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3-4 3.1: reserved bits of the requested QoS byte",
        Server(V3_1),
        "82 06 00 01 00 01 'a' F0",
        E::ReservedSubscriptionOptions,
        MALFORMED,
        "MQTT-3.8.3-5",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3.1 v5: Maximum QoS 3",
        Server(V5),
        "82 07 00 01 00 00 01 'a' 03",
        E::InvalidSubscriptionQos,
        PROTOCOL,
        "MQTT-3.8.3 (section)",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3-4 3.1.1: requested QoS 3",
        Server(V3_1_1),
        "82 06 00 01 00 01 'a' 03",
        E::InvalidSubscriptionQos,
        PROTOCOL,
        "MQTT-3.8.3 (section)",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3.1 v5: Retain Handling 3",
        Server(V5),
        "82 07 00 01 00 00 01 'a' 30",
        E::InvalidRetainHandling,
        PROTOCOL,
        "MQTT-3.8.3 (section)",
        "MQTT-3.8.3 (5.0 only)",
    ),
    case(
        "MQTT-3.8.3-4 v5: No Local on a shared subscription",
        Server(V5),
        "82 10 00 01 00 00 0A '$share/g/a' 04",
        E::NoLocalOnSharedSubscription,
        PROTOCOL,
        "MQTT-3.8.3-4",
        "MQTT-3.8.3-4 (5.0 only)",
    ),
    case(
        "MQTT-3.8.2.1.2 v5: Subscription Identifier 0",
        Server(V5),
        "82 09 00 01 02 0B 00 00 01 'a' 00",
        E::InvalidPropertyValue {
            property: PropertyId::SubscriptionIdentifier,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-3.8.2.1.2 v5: Subscription Identifier twice",
        Server(V5),
        "82 0B 00 01 04 0B 01 0B 02 00 01 'a' 00",
        E::DuplicateProperty {
            property: PropertyId::SubscriptionIdentifier,
        },
        PROTOCOL,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Reason String in SUBSCRIBE",
        Server(V5),
        "82 0B 00 01 04 1F 00 01 'x' 00 01 'a' 00",
        E::PropertyNotAllowed {
            property: PropertyId::ReasonString,
            packet: T::Subscribe,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Subscription Identifier in UNSUBSCRIBE",
        Server(V5),
        "A2 08 00 01 02 0B 01 00 01 'a'",
        E::PropertyNotAllowed {
            property: PropertyId::SubscriptionIdentifier,
            packet: T::Unsubscribe,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
];

/// Invalid topic filters: the SUBSCRIBE or UNSUBSCRIBE decodes, with that entry's error.
pub(crate) const FILTER_ERRORS: &[FilterCase] = &[
    FilterCase {
        label: "MQTT-4.7.3-1 v5: empty topic filter",
        version: V5,
        bytes: "82 06 00 01 00 00 00 00",
        index: 0,
        text: "",
        error: E::EmptyTopicFilter,
        rule5: "MQTT-4.7.3-1",
        rule311: "MQTT-4.7.3-1",
    },
    FilterCase {
        label: "MQTT-4.7.3-1 3.1.1: empty topic filter",
        version: V3_1_1,
        bytes: "82 05 00 01 00 00 00",
        index: 0,
        text: "",
        error: E::EmptyTopicFilter,
        rule5: "MQTT-4.7.3-1",
        rule311: "MQTT-4.7.3-1",
    },
    FilterCase {
        label: "MQTT-4.7.3-1 v5: empty filter in UNSUBSCRIBE",
        version: V5,
        bytes: "A2 08 00 01 00 00 01 'a' 00 00",
        index: 1,
        text: "",
        error: E::EmptyTopicFilter,
        rule5: "MQTT-4.7.3-1",
        rule311: "MQTT-4.7.3-1",
    },
    FilterCase {
        label: "MQTT-4.7.1-1 v5: 'sport/tennis#' (spec example)",
        version: V5,
        bytes: "82 13 00 01 00 00 0D 'sport/tennis#' 00",
        index: 0,
        text: "sport/tennis#",
        error: E::InvalidMultiLevelWildcard,
        rule5: "MQTT-4.7.1-1",
        rule311: "MQTT-4.7.1-2",
    },
    FilterCase {
        label: "MQTT-4.7.1-2 3.1.1: 'sport/tennis/#/ranking' (spec example)",
        version: V3_1_1,
        bytes: "82 1F 00 01 00 01 'a' 00 00 16 'sport/tennis/#/ranking' 01",
        index: 1,
        text: "sport/tennis/#/ranking",
        error: E::InvalidMultiLevelWildcard,
        rule5: "MQTT-4.7.1-1",
        rule311: "MQTT-4.7.1-2",
    },
    FilterCase {
        label: "MQTT-4.7.1-2 3.1.1: '#' in UNSUBSCRIBE not last",
        version: V3_1_1,
        bytes: "A2 07 00 01 00 03 '#/a'",
        index: 0,
        text: "#/a",
        error: E::InvalidMultiLevelWildcard,
        rule5: "MQTT-4.7.1-1",
        rule311: "MQTT-4.7.1-2",
    },
    FilterCase {
        label: "MQTT-4.7.1-2 v5: 'sport+' (spec example)",
        version: V5,
        bytes: "82 0C 00 01 00 00 06 'sport+' 00",
        index: 0,
        text: "sport+",
        error: E::InvalidSingleLevelWildcard,
        rule5: "MQTT-4.7.1-2",
        rule311: "MQTT-4.7.1-3",
    },
    FilterCase {
        label: "MQTT-4.7.1-3 3.1.1: 'a/+b/c'",
        version: V3_1_1,
        bytes: "82 0B 00 01 00 06 'a/+b/c' 00",
        index: 0,
        text: "a/+b/c",
        error: E::InvalidSingleLevelWildcard,
        rule5: "MQTT-4.7.1-2",
        rule311: "MQTT-4.7.1-3",
    },
    FilterCase {
        label: "MQTT-4.7.1-2 v5: '+a' in UNSUBSCRIBE",
        version: V5,
        bytes: "A2 07 00 01 00 00 02 '+a'",
        index: 0,
        text: "+a",
        error: E::InvalidSingleLevelWildcard,
        rule5: "MQTT-4.7.1-2",
        rule311: "MQTT-4.7.1-3",
    },
    FilterCase {
        label: "MQTT-4.8.2-1 v5: empty ShareName '$share//a'",
        version: V5,
        bytes: "82 0F 00 01 00 00 09 '$share//a' 00",
        index: 0,
        text: "$share//a",
        error: E::EmptyShareName,
        rule5: "MQTT-4.8.2-1",
        rule311: "MQTT-4.8.2-1 (5.0 only)",
    },
    FilterCase {
        label: "MQTT-4.8.2-2 v5: ShareName 'g+' contains a wildcard",
        version: V5,
        bytes: "82 11 00 01 00 00 0B '$share/g+/a' 00",
        index: 0,
        text: "$share/g+/a",
        error: E::InvalidShareName,
        rule5: "MQTT-4.8.2-2",
        rule311: "MQTT-4.8.2-2 (5.0 only)",
    },
    FilterCase {
        label: "MQTT-4.8.2-2 v5: ShareName without '/' and a filter",
        version: V5,
        bytes: "82 0E 00 01 00 00 08 '$share/g' 00",
        index: 0,
        text: "$share/g",
        error: E::MissingSharedFilter,
        rule5: "MQTT-4.8.2-2",
        rule311: "MQTT-4.8.2-2 (5.0 only)",
    },
    FilterCase {
        label: "MQTT-4.8.2-2 v5: ShareName followed by '/' and no filter (UNSUBSCRIBE)",
        version: V5,
        bytes: "A2 0E 00 01 00 00 09 '$share/g/'",
        index: 0,
        text: "$share/g/",
        error: E::MissingSharedFilter,
        rule5: "MQTT-4.8.2-2",
        rule311: "MQTT-4.8.2-2 (5.0 only)",
    },
];

fn requested_filters(packet: &Packet) -> Vec<&Result<TopicFilter, InvalidTopicFilter>> {
    match packet {
        Packet::Subscribe(subscribe) => subscribe
            .subscriptions
            .iter()
            .map(|subscription| &subscription.filter)
            .collect(),
        Packet::Unsubscribe(unsubscribe) => unsubscribe.filters.iter().collect(),
        other => panic!("not a SUBSCRIBE or UNSUBSCRIBE: {other:?}"),
    }
}

#[test]
fn invalid_topic_filters_fail_only_their_entry() {
    for case in FILTER_ERRORS {
        let bytes = wire(case.bytes);
        check_vector_length(case.label, &bytes);
        let packet = decode_all(Server(case.version), &bytes)
            .unwrap_or_else(|error| panic!("{}: {error:?}", case.label))
            .unwrap_or_else(|| panic!("{}: incomplete", case.label));
        let filters = requested_filters(&packet);
        for (index, entry) in filters.iter().enumerate() {
            if index != case.index {
                assert!(entry.is_ok(), "{}: entry {index} is {entry:?}", case.label);
                continue;
            }
            let invalid = entry.as_ref().expect_err(case.label).clone();
            assert_eq!(invalid.text, case.text, "{}", case.label);
            assert_eq!(invalid.error, case.error, "{}", case.label);
            assert_eq!(
                invalid.error.reason_code(),
                FILTER_INVALID,
                "{}",
                case.label
            );
            assert_eq!(invalid.error.rule(), case.rule5, "{}", case.label);
            assert_eq!(
                invalid.error.rule_for(V3_1_1),
                case.rule311,
                "{}",
                case.label
            );
        }
        assert!(case.index < filters.len(), "{}", case.label);
    }
}

#[test]
fn subscribe_keeps_valid_entries_beside_an_invalid_filter() {
    // 5.0 SUBSCRIBE: "a/b" QoS 0, "a/#/b" QoS 1, "+/x" QoS 2.
    let bytes = wire("82 17 00 09 00 00 03 'a/b' 00 00 05 'a/#/b' 01 00 03 '+/x' 02");
    check_vector_length("mixed filters", &bytes);
    let Ok(Some(Packet::Subscribe(subscribe))) = decode_all(Server(V5), &bytes) else {
        panic!("SUBSCRIBE expected");
    };
    assert_eq!(subscribe.packet_id, pid(9));
    let filters: Vec<_> = subscribe
        .subscriptions
        .iter()
        .map(|subscription| subscription.filter.clone())
        .collect();
    assert_eq!(
        filters,
        [
            Ok(filter("a/b")),
            Err(InvalidTopicFilter {
                text: s("a/#/b"),
                error: E::InvalidMultiLevelWildcard,
            }),
            Ok(filter("+/x")),
        ]
    );
    let qos: Vec<_> = subscribe
        .subscriptions
        .iter()
        .map(|subscription| subscription.options.qos)
        .collect();
    assert_eq!(qos, [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]);
}
