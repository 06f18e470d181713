//! Valid MQTT 3.1.1 and 3.1 vectors: each of the 14 packet types (AUTH is reserved) and the
//! rule-specific positive vectors (3.1's MQIsdp and DUP headers), each decoding to the expected
//! struct.

use hermod_codec::ProtocolVersion::{V3_1, V3_1_1};
use hermod_codec::property::AckProperties;
use hermod_codec::{
    ConnAck, Connect, Disconnect, Packet, PubAck, PubComp, PubRec, PubRel, Publish, QoS,
    ReasonCode, SubAck, Subscribe, SubscribeProperties, SubscriptionOptions, TopicName, UnsubAck,
    Unsubscribe, UnsubscribeProperties, Will, WillProperties,
};

use crate::harness::Peer::{Client, Fresh, Server};
use crate::harness::{
    Valid, b, check_valid, connect, filter, name, pid, publish, reasons, s, subscription, valid,
};

/// MQTT 3.1.1: the 14 packet types that exist (AUTH is reserved, see
/// [`crate::framing::ERRORS`]).
fn valid_v3_1_1() -> Vec<Valid> {
    vec![
        valid(
            "3.1.1 CONNECT, the common capture: clean session, keep alive 60, client id DIGI",
            Fresh,
            "10 10 00 04 4D 51 54 54 04 02 00 3C 00 04 44 49 47 49",
            connect(V3_1_1, "DIGI").into(),
        ),
        valid(
            "MQTT-3.1.3-1 3.1.1 CONNECT, spec Figure 3.6 header (flags CE, keep alive 10) with \
             will, user name and password in payload order",
            Fresh,
            "10 1F 00 04 'MQTT' 04 CE 00 0A 00 02 'c1' 00 03 'w/t' 00 03 'bye' 00 01 'u' 00 02 'pw'",
            Connect {
                keep_alive: 10,
                will: Some(Will {
                    topic: name("w/t"),
                    payload: b(b"bye"),
                    qos: QoS::AtLeastOnce,
                    retain: false,
                    properties: WillProperties::default(),
                }),
                username: Some(s("u")),
                password: Some(b(b"pw")),
                ..connect(V3_1_1, "c1")
            }
            .into(),
        ),
        valid(
            "MQTT-3.1.3-6 3.1.1 CONNECT with a zero-byte client id and will retain",
            Fresh,
            "10 14 00 04 'MQTT' 04 36 FF FF 00 00 00 02 't/' 00 02 00 FF",
            Connect {
                keep_alive: 0xFFFF,
                will: Some(Will {
                    topic: name("t/"),
                    payload: b(b"\x00\xFF"),
                    qos: QoS::ExactlyOnce,
                    retain: true,
                    properties: WillProperties::default(),
                }),
                ..connect(V3_1_1, "")
            }
            .into(),
        ),
        valid(
            "3.1.1 CONNACK: session present, accepted",
            Client(V3_1_1),
            "20 02 01 00",
            ConnAck::new(ReasonCode::SUCCESS, true).into(),
        ),
        valid(
            "3.1.1 CONNACK: return code 1 (unacceptable protocol version)",
            Client(V3_1_1),
            "20 02 00 01",
            ConnAck::new(ReasonCode::UNSUPPORTED_PROTOCOL_VERSION, false).into(),
        ),
        valid(
            "3.1.1 PUBLISH QoS 1 with DUP and RETAIN",
            Server(V3_1_1),
            "3B 0C 00 03 'a/b' 00 0A 'hello'",
            Publish {
                dup: true,
                retain: true,
                ..publish(QoS::AtLeastOnce, name("a/b"), Some(10), b"hello")
            }
            .into(),
        ),
        valid(
            "MQTT-2.3.1-5 3.1.1 PUBLISH QoS 0 has no packet identifier: the bytes are payload",
            Client(V3_1_1),
            "30 06 00 01 't' 00 0A 'A'",
            publish(QoS::AtMostOnce, name("t"), None, b"\x00\x0AA").into(),
        ),
        valid(
            "MQTT-1.5.3-3 3.1.1 a byte order mark in a topic name is kept",
            Client(V3_1_1),
            "30 06 00 04 EF BB BF 't'",
            publish(
                QoS::AtMostOnce,
                TopicName::new("\u{FEFF}t").unwrap(),
                None,
                b"",
            )
            .into(),
        ),
        valid(
            "3.1.1 PUBACK",
            Server(V3_1_1),
            "40 02 00 0A",
            Packet::PubAck(PubAck::new(pid(10))),
        ),
        valid(
            "3.1.1 PUBREC",
            Client(V3_1_1),
            "50 02 FF FF",
            Packet::PubRec(PubRec::new(pid(0xFFFF))),
        ),
        valid(
            "MQTT-3.6.1-1 3.1.1 PUBREL with flags 0010",
            Server(V3_1_1),
            "62 02 00 0A",
            Packet::PubRel(PubRel::new(pid(10))),
        ),
        valid(
            "3.1.1 PUBCOMP",
            Client(V3_1_1),
            "70 02 00 0A",
            Packet::PubComp(PubComp::new(pid(10))),
        ),
        valid(
            "MQTT-3.8.1-1 3.1.1 SUBSCRIBE, spec example: a/b QoS 1, c/d QoS 2",
            Server(V3_1_1),
            "82 0E 00 0A 00 03 'a/b' 01 00 03 'c/d' 02",
            Packet::Subscribe(Subscribe {
                packet_id: pid(10),
                properties: SubscribeProperties::default(),
                subscriptions: vec![
                    subscription("a/b", SubscriptionOptions::with_qos(QoS::AtLeastOnce)),
                    subscription("c/d", SubscriptionOptions::with_qos(QoS::ExactlyOnce)),
                ],
            }),
        ),
        valid(
            "MQTT-3.9.3-2 3.1.1 SUBACK: granted 0 and 2, failure 0x80",
            Client(V3_1_1),
            "90 05 00 0A 00 02 80",
            Packet::SubAck(SubAck {
                packet_id: pid(10),
                properties: AckProperties::default(),
                reasons: reasons(&[0x00, 0x02, 0x80]),
            }),
        ),
        valid(
            "MQTT-3.10.1-1 3.1.1 UNSUBSCRIBE a/b and c/d",
            Server(V3_1_1),
            "A2 0C 00 0B 00 03 'a/b' 00 03 'c/d'",
            Packet::Unsubscribe(Unsubscribe {
                packet_id: pid(11),
                properties: UnsubscribeProperties::default(),
                filters: vec![Ok(filter("a/b")), Ok(filter("c/d"))],
            }),
        ),
        valid(
            "3.1.1 UNSUBACK",
            Client(V3_1_1),
            "B0 02 00 0B",
            Packet::UnsubAck(UnsubAck {
                packet_id: pid(11),
                properties: AckProperties::default(),
                reasons: Vec::new(),
            }),
        ),
        valid("3.1.1 PINGREQ", Server(V3_1_1), "C0 00", Packet::PingReq),
        valid("3.1.1 PINGRESP", Client(V3_1_1), "D0 00", Packet::PingResp),
        valid(
            "MQTT-3.14.1-1 3.1.1 DISCONNECT",
            Server(V3_1_1),
            "E0 00",
            Packet::Disconnect(Disconnect::default()),
        ),
        valid(
            "3.1.1 has no minimum-bytes rule: PINGREQ with Remaining Length 0 in two bytes",
            Server(V3_1_1),
            "C0 80 00",
            Packet::PingReq,
        ),
        valid(
            "3.1.1 CONNECT with Remaining Length 12 in two bytes",
            Fresh,
            "10 8C 00 00 04 'MQTT' 04 02 00 3C 00 00",
            connect(V3_1_1, "").into(),
        ),
    ]
}

/// MQTT 3.1 (MQIsdp, level 3): the 14 packet types, with the DUP headers only 3.1 allows.
fn valid_v3_1() -> Vec<Valid> {
    vec![
        valid(
            "3.1 CONNECT: protocol name MQIsdp, level 3",
            Fresh,
            "10 12 00 06 'MQIsdp' 03 02 00 3C 00 04 'DIGI'",
            connect(V3_1, "DIGI").into(),
        ),
        valid(
            "3.1 CONNECT: no reserved-flag rule (bit 0 set), will and user name",
            Fresh,
            "10 1A 00 06 'MQIsdp' 03 8F 00 0A 00 01 'c' 00 01 't' 00 03 'bye' 00 01 'u'",
            Connect {
                keep_alive: 10,
                will: Some(Will {
                    topic: name("t"),
                    payload: b(b"bye"),
                    qos: QoS::AtLeastOnce,
                    retain: false,
                    properties: WillProperties::default(),
                }),
                username: Some(s("u")),
                ..connect(V3_1, "c")
            }
            .into(),
        ),
        valid(
            "3.1 CONNACK accepted",
            Client(V3_1),
            "20 02 00 00",
            ConnAck::new(ReasonCode::SUCCESS, false).into(),
        ),
        valid(
            "3.1 PUBLISH QoS 2 with DUP",
            Server(V3_1),
            "3C 07 00 01 't' 00 05 'hi'",
            Publish {
                dup: true,
                ..publish(QoS::ExactlyOnce, name("t"), Some(5), b"hi")
            }
            .into(),
        ),
        valid(
            "3.1 PUBACK",
            Client(V3_1),
            "40 02 00 05",
            Packet::PubAck(PubAck::new(pid(5))),
        ),
        valid(
            "3.1 PUBREC",
            Server(V3_1),
            "50 02 00 05",
            Packet::PubRec(PubRec::new(pid(5))),
        ),
        valid(
            "3.1 PUBREL retransmitted with DUP (MQTT-3.6.1-1 is 3.1.1 only)",
            Server(V3_1),
            "6A 02 00 05",
            Packet::PubRel(PubRel::new(pid(5))),
        ),
        valid(
            "3.1 PUBCOMP",
            Client(V3_1),
            "70 02 00 05",
            Packet::PubComp(PubComp::new(pid(5))),
        ),
        valid(
            "3.1 SUBSCRIBE retransmitted with DUP (MQTT-3.8.1-1 is 3.1.1 only)",
            Server(V3_1),
            "8A 06 00 06 00 01 'a' 01",
            Packet::Subscribe(Subscribe::new(
                pid(6),
                filter("a"),
                SubscriptionOptions::with_qos(QoS::AtLeastOnce),
            )),
        ),
        valid(
            "3.1 SUBACK",
            Client(V3_1),
            "90 03 00 06 01",
            Packet::SubAck(SubAck {
                packet_id: pid(6),
                properties: AckProperties::default(),
                reasons: reasons(&[0x01]),
            }),
        ),
        valid(
            "3.1 UNSUBSCRIBE retransmitted with DUP (MQTT-3.10.1-1 is 3.1.1 only)",
            Server(V3_1),
            "AA 05 00 07 00 01 'a'",
            Packet::Unsubscribe(Unsubscribe::new(pid(7), filter("a"))),
        ),
        valid(
            "3.1 UNSUBACK",
            Client(V3_1),
            "B0 02 00 07",
            Packet::UnsubAck(UnsubAck {
                packet_id: pid(7),
                properties: AckProperties::default(),
                reasons: Vec::new(),
            }),
        ),
        valid("3.1 PINGREQ", Server(V3_1), "C0 00", Packet::PingReq),
        valid("3.1 PINGRESP", Client(V3_1), "D0 00", Packet::PingResp),
        valid(
            "3.1 DISCONNECT",
            Server(V3_1),
            "E0 00",
            Packet::Disconnect(Disconnect::default()),
        ),
    ]
}

#[test]
fn valid_v3_1_1_packets_decode_to_the_expected_structs() {
    check_valid(valid_v3_1_1(), 14);
}

#[test]
fn valid_v3_1_packets_decode_to_the_expected_structs() {
    check_valid(valid_v3_1(), 14);
}
