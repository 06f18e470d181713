//! Valid MQTT 5.0 vectors: each of the 15 packet types, with properties and the short forms,
//! and the rule-specific positive vectors (topic aliases, ...), each decoding to the expected
//! struct.

use std::num::{NonZeroU16, NonZeroU32};

use hermod_codec::ProtocolVersion::V5;
use hermod_codec::property::AckProperties;
use hermod_codec::{
    Auth, AuthProperties, ConnAck, ConnAckProperties, Connect, ConnectProperties, Disconnect,
    DisconnectProperties, Packet, PayloadFormat, PubAck, PubComp, PubRec, PubRel, Publish,
    PublishMetadata, PublishProperties, QoS, ReasonCode, RetainHandling, SubAck, Subscribe,
    SubscribeProperties, SubscriptionId, SubscriptionOptions, TopicAlias, TopicName, UnsubAck,
    Unsubscribe, UnsubscribeProperties, Will, WillProperties,
};

use crate::harness::Peer::{Client, Fresh, Server};
use crate::harness::{
    Valid, b, check_valid, connect, filter, name, pid, publish, reasons, s, subscription, user,
    valid,
};

/// MQTT 5.0: all 15 packet types, with properties and the short forms.
fn valid_v5() -> Vec<Valid> {
    vec![
        valid(
            "5.0 CONNECT, the common capture: Receive Maximum 20, empty client id",
            Fresh,
            "10 10 00 04 4D 51 54 54 05 02 00 3C 03 21 00 14 00 00",
            Connect {
                properties: ConnectProperties {
                    receive_maximum: NonZeroU16::new(20),
                    ..ConnectProperties::default()
                },
                ..connect(V5, "")
            }
            .into(),
        ),
        valid(
            "MQTT-3.1.3-1 5.0 CONNECT, spec Figure 3-6 header (flags CE, keep alive 10, Session \
             Expiry 10) with will properties, will, user name and password",
            Fresh,
            "10 2D 00 04 'MQTT' 05 CE 00 0A 05 11 00 00 00 0A 00 02 'c1' \
             07 01 01 02 00 00 00 3C 00 03 'w/t' 00 03 'bye' 00 01 'u' 00 02 'pw'",
            Connect {
                keep_alive: 10,
                will: Some(Will {
                    topic: name("w/t"),
                    payload: b(b"bye"),
                    qos: QoS::AtLeastOnce,
                    retain: false,
                    properties: WillProperties {
                        payload_format: Some(PayloadFormat::Utf8),
                        message_expiry_interval: Some(60),
                        ..WillProperties::default()
                    },
                }),
                username: Some(s("u")),
                password: Some(b(b"pw")),
                properties: ConnectProperties {
                    session_expiry_interval: Some(10),
                    ..ConnectProperties::default()
                },
                ..connect(V5, "c1")
            }
            .into(),
        ),
        valid(
            "5.0 CONNECT: password without user name is allowed (MQTT-3.1.2-22 is 3.1.1 only), \
             every CONNECT property",
            Fresh,
            "10 39 00 04 'MQTT' 05 40 00 00 27 11 FF FF FF FF 21 00 0A 27 00 00 04 00 \
             22 00 05 19 01 17 00 15 00 04 'SCRM' 16 00 02 01 02 26 00 01 'k' 00 01 'v' \
             00 01 'c' 00 02 'pw'",
            Connect {
                clean_start: false,
                keep_alive: 0,
                password: Some(b(b"pw")),
                properties: ConnectProperties {
                    session_expiry_interval: Some(u32::MAX),
                    receive_maximum: NonZeroU16::new(10),
                    maximum_packet_size: NonZeroU32::new(1024),
                    topic_alias_maximum: Some(5),
                    request_response_information: Some(true),
                    request_problem_information: Some(false),
                    authentication_method: Some(s("SCRM")),
                    authentication_data: Some(b(b"\x01\x02")),
                    user_properties: vec![user("k", "v")],
                },
                ..connect(V5, "c")
            }
            .into(),
        ),
        valid(
            "5.0 CONNACK with Topic Alias Maximum, Assigned Client Identifier, Maximum QoS and \
             Retain Available",
            Client(V5),
            "20 10 00 00 0D 22 00 0A 12 00 03 'abc' 24 01 25 00",
            ConnAck {
                properties: ConnAckProperties {
                    topic_alias_maximum: Some(10),
                    assigned_client_identifier: Some(s("abc")),
                    maximum_qos: Some(QoS::AtLeastOnce),
                    retain_available: Some(false),
                    ..ConnAckProperties::default()
                },
                ..ConnAck::new(ReasonCode::SUCCESS, false)
            }
            .into(),
        ),
        valid(
            "5.0 CONNACK refusing with 0x9C and a Server Reference",
            Client(V5),
            "20 08 00 9C 05 1C 00 02 'h2'",
            ConnAck {
                properties: ConnAckProperties {
                    server_reference: Some(s("h2")),
                    ..ConnAckProperties::default()
                },
                ..ConnAck::new(ReasonCode::USE_ANOTHER_SERVER, false)
            }
            .into(),
        ),
        valid(
            "5.0 PUBLISH QoS 2 with every PUBLISH property a client may send",
            Server(V5),
            "34 30 00 03 'a/b' 00 01 23 01 01 02 00 00 00 3C 23 00 05 08 00 03 'r/t' \
             09 00 02 01 02 03 00 04 'text' 26 00 01 'k' 00 01 'v' 'hello'",
            Publish {
                properties: PublishProperties {
                    payload_format: Some(PayloadFormat::Utf8),
                    message_expiry_interval: Some(60),
                    topic_alias: TopicAlias::new(5),
                    metadata: Some(Box::new(PublishMetadata {
                        response_topic: Some(name("r/t")),
                        correlation_data: Some(b(b"\x01\x02")),
                        content_type: Some(s("text")),
                        user_properties: vec![user("k", "v")],
                        subscription_identifiers: Vec::new(),
                    })),
                },
                ..publish(QoS::ExactlyOnce, name("a/b"), Some(1), b"hello")
            }
            .into(),
        ),
        valid(
            "3.3.2.3.8 5.0 server PUBLISH may carry several Subscription Identifiers (1, 128): \
             MQTT-3.3.4-6 binds only the client",
            Client(V5),
            "30 0B 00 01 't' 05 0B 01 0B 80 01 'hi'",
            Publish {
                properties: PublishProperties {
                    metadata: Some(Box::new(PublishMetadata {
                        subscription_identifiers: vec![
                            SubscriptionId::new(1).unwrap(),
                            SubscriptionId::new(128).unwrap(),
                        ],
                        ..PublishMetadata::default()
                    })),
                    ..PublishProperties::default()
                },
                ..publish(QoS::AtMostOnce, name("t"), None, b"hi")
            }
            .into(),
        ),
        valid(
            "MQTT-3.3.2.1 5.0 PUBLISH with an empty topic name and Topic Alias 7",
            Server(V5),
            "30 06 00 00 03 23 00 07",
            Publish {
                properties: PublishProperties {
                    topic_alias: TopicAlias::new(7),
                    ..PublishProperties::default()
                },
                ..publish(QoS::AtMostOnce, TopicName::aliased(), None, b"")
            }
            .into(),
        ),
        valid(
            "MQTT-1.5.4-3 5.0 a byte order mark in a topic name is kept",
            Server(V5),
            "30 07 00 04 EF BB BF 't' 00",
            publish(
                QoS::AtMostOnce,
                TopicName::new("\u{FEFF}t").unwrap(),
                None,
                b"",
            )
            .into(),
        ),
        valid(
            "MQTT-2.2.1-2 5.0 PUBLISH QoS 0 has no packet identifier: 00 is the Property Length",
            Server(V5),
            "30 06 00 01 't' 00 00 0A",
            publish(QoS::AtMostOnce, name("t"), None, b"\x00\x0A").into(),
        ),
        valid(
            "5.0 PUBACK short form: Remaining Length 2 means Success",
            Server(V5),
            "40 02 00 01",
            Packet::PubAck(PubAck::new(pid(1))),
        ),
        valid(
            "MQTT-3.4.2-1 5.0 PUBACK 0x10 with a Reason String",
            Client(V5),
            "40 08 00 01 10 04 1F 00 01 'x'",
            Packet::PubAck(PubAck {
                properties: AckProperties {
                    reason_string: Some(s("x")),
                    user_properties: Vec::new(),
                },
                ..PubAck::with_reason(pid(1), ReasonCode::NO_MATCHING_SUBSCRIBERS)
            }),
        ),
        valid(
            "MQTT-3.5.2-1 5.0 PUBREC 0x91 without properties (Remaining Length 3)",
            Server(V5),
            "50 03 00 02 91",
            Packet::PubRec(PubRec::with_reason(
                pid(2),
                ReasonCode::PACKET_IDENTIFIER_IN_USE,
            )),
        ),
        valid(
            "MQTT-3.6.2-1 5.0 PUBREL 0x92",
            Client(V5),
            "62 03 00 03 92",
            Packet::PubRel(PubRel::with_reason(
                pid(3),
                ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
            )),
        ),
        valid(
            "MQTT-3.7.2-1 5.0 PUBCOMP 0x00 with an empty property block",
            Server(V5),
            "70 04 00 04 00 00",
            Packet::PubComp(PubComp::new(pid(4))),
        ),
        valid(
            "5.0 SUBSCRIBE with a Subscription Identifier, every option, and a shared filter",
            Server(V5),
            "82 1A 00 01 02 0B 07 00 03 'a/+' 2D 00 0C '$share/g/x/#' 02",
            Packet::Subscribe(Subscribe {
                packet_id: pid(1),
                properties: SubscribeProperties {
                    subscription_identifier: SubscriptionId::new(7),
                    user_properties: Vec::new(),
                },
                subscriptions: vec![
                    subscription(
                        "a/+",
                        SubscriptionOptions {
                            qos: QoS::AtLeastOnce,
                            no_local: true,
                            retain_as_published: true,
                            retain_handling: RetainHandling::DoNotSend,
                        },
                    ),
                    subscription(
                        "$share/g/x/#",
                        SubscriptionOptions::with_qos(QoS::ExactlyOnce),
                    ),
                ],
            }),
        ),
        valid(
            "MQTT-3.9.3-2 5.0 SUBACK granted 1 and 2, 0x8F, 0xA2",
            Client(V5),
            "90 07 00 01 00 01 02 8F A2",
            Packet::SubAck(SubAck {
                packet_id: pid(1),
                properties: AckProperties::default(),
                reasons: reasons(&[0x01, 0x02, 0x8F, 0xA2]),
            }),
        ),
        valid(
            "5.0 UNSUBSCRIBE with a User Property",
            Server(V5),
            "A2 0F 00 02 07 26 00 01 'k' 00 01 'v' 00 03 'a/+'",
            Packet::Unsubscribe(Unsubscribe {
                properties: UnsubscribeProperties {
                    user_properties: vec![user("k", "v")],
                },
                ..Unsubscribe::new(pid(2), filter("a/+"))
            }),
        ),
        valid(
            "MQTT-3.11.3-2 5.0 UNSUBACK 0x00 and 0x11",
            Client(V5),
            "B0 05 00 02 00 00 11",
            Packet::UnsubAck(UnsubAck {
                packet_id: pid(2),
                properties: AckProperties::default(),
                reasons: reasons(&[0x00, 0x11]),
            }),
        ),
        valid("5.0 PINGREQ", Server(V5), "C0 00", Packet::PingReq),
        valid("5.0 PINGRESP", Client(V5), "D0 00", Packet::PingResp),
        valid(
            "5.0 DISCONNECT short form: Remaining Length 0 means Normal disconnection",
            Server(V5),
            "E0 00",
            Packet::Disconnect(Disconnect::default()),
        ),
        valid(
            "MQTT-3.14.2-1 5.0 client DISCONNECT 0x04 (Remaining Length 1)",
            Server(V5),
            "E0 01 04",
            Packet::Disconnect(Disconnect::new(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE)),
        ),
        valid(
            "MQTT-3.14.2-2 5.0 a client DISCONNECT may carry Session Expiry Interval",
            Server(V5),
            "E0 07 00 05 11 00 00 0E 10",
            Packet::Disconnect(Disconnect {
                reason: ReasonCode::SUCCESS,
                properties: DisconnectProperties {
                    session_expiry_interval: Some(3600),
                    ..DisconnectProperties::default()
                },
            }),
        ),
        valid(
            "5.0 server DISCONNECT 0x9C with a Server Reference",
            Client(V5),
            "E0 07 9C 05 1C 00 02 'h2'",
            Packet::Disconnect(Disconnect {
                reason: ReasonCode::USE_ANOTHER_SERVER,
                properties: DisconnectProperties {
                    server_reference: Some(s("h2")),
                    ..DisconnectProperties::default()
                },
            }),
        ),
        valid(
            "MQTT-3.15.2-1 5.0 AUTH 0x18 with method and data",
            Server(V5),
            "F0 0C 18 0A 15 00 03 'abc' 16 00 01 'x'",
            Packet::Auth(Auth {
                reason: ReasonCode::CONTINUE_AUTHENTICATION,
                properties: AuthProperties {
                    authentication_method: Some(s("abc")),
                    authentication_data: Some(b(b"x")),
                    ..AuthProperties::default()
                },
            }),
        ),
        valid(
            "5.0 AUTH short form: Remaining Length 0 means Success",
            Client(V5),
            "F0 00",
            Packet::Auth(Auth::default()),
        ),
    ]
}

#[test]
fn valid_v5_packets_decode_to_the_expected_structs() {
    check_valid(valid_v5(), 15);
}
