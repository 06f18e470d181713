//! Direction and sequence: which end may send which packet type, CONNECT first and only once,
//! and the version a server decoder learns from CONNECT.

use bytes::BytesMut;
use hermod_codec::ProtocolVersion::{V3_1, V3_1_1, V5};
use hermod_codec::{DecodeError as E, Decoder, Packet, PacketType as T, Role};

use crate::harness::Peer::{Client, Fresh, Server};
use crate::harness::{Case, PROTOCOL, case, wire};

/// Packets sent in the wrong direction or out of sequence.
pub(crate) const ERRORS: &[Case] = &[
    // ---- direction and sequence ----------------------------------------------------------------------
    case(
        "MQTT-2.1.2 v5: a client sends CONNACK",
        Server(V5),
        "20 03 00 00 00",
        E::UnexpectedPacket { packet: T::ConnAck },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: a client sends SUBACK",
        Server(V3_1_1),
        "90 03 00 01 00",
        E::UnexpectedPacket { packet: T::SubAck },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.1.2 v5: a client sends UNSUBACK",
        Server(V5),
        "B0 04 00 01 00 00",
        E::UnexpectedPacket {
            packet: T::UnsubAck,
        },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: a client sends PINGRESP",
        Server(V3_1_1),
        "D0 00",
        E::UnexpectedPacket {
            packet: T::PingResp,
        },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.1.2 v5: a client sends CONNACK before CONNECT",
        Fresh,
        "20 03 00 00 00",
        E::UnexpectedPacket { packet: T::ConnAck },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.1.2 v5: a server sends CONNECT",
        Client(V5),
        "10 0D 00 04 'MQTT' 05 02 00 3C 00 00 00",
        E::UnexpectedPacket { packet: T::Connect },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: a server sends SUBSCRIBE",
        Client(V3_1_1),
        "82 06 00 01 00 01 'a' 00",
        E::UnexpectedPacket {
            packet: T::Subscribe,
        },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.1.2 v5: a server sends UNSUBSCRIBE",
        Client(V5),
        "A2 06 00 01 00 00 01 'a'",
        E::UnexpectedPacket {
            packet: T::Unsubscribe,
        },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: a server sends PINGREQ",
        Client(V3_1_1),
        "C0 00",
        E::UnexpectedPacket { packet: T::PingReq },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-3.1.0-1: the first packet is PINGREQ",
        Fresh,
        "C0 00",
        E::FirstPacketNotConnect { packet: T::PingReq },
        PROTOCOL,
        "MQTT-3.1.0-1",
        "MQTT-3.1.0-1",
    ),
    case(
        "MQTT-3.1.0-1: the first packet is PUBLISH",
        Fresh,
        "30 03 00 01 't'",
        E::FirstPacketNotConnect { packet: T::Publish },
        PROTOCOL,
        "MQTT-3.1.0-1",
        "MQTT-3.1.0-1",
    ),
    case(
        "MQTT-3.1.0-1: the first packet is AUTH",
        Fresh,
        "F0 00",
        E::FirstPacketNotConnect { packet: T::Auth },
        PROTOCOL,
        "MQTT-3.1.0-1",
        "MQTT-3.1.0-1",
    ),
    case(
        "MQTT-3.1.0-2 v5: a second CONNECT",
        Server(V5),
        "10 0D 00 04 'MQTT' 05 02 00 3C 00 00 00",
        E::SecondConnect,
        PROTOCOL,
        "MQTT-3.1.0-2",
        "MQTT-3.1.0-2",
    ),
    case(
        "MQTT-3.1.0-2 3.1.1: a second CONNECT",
        Server(V3_1_1),
        "10 10 00 04 'MQTT' 04 02 00 3C 00 04 'DIGI'",
        E::SecondConnect,
        PROTOCOL,
        "MQTT-3.1.0-2",
        "MQTT-3.1.0-2",
    ),
];

#[test]
fn server_decoder_adopts_the_version_of_connect() {
    // The same PUBLISH bytes mean different things in 3.1.1 (no properties) and 5.0.
    let publish = wire("30 05 00 01 't' 00 'A'");
    let cases = [
        (
            wire("10 10 00 04 'MQTT' 04 02 00 3C 00 04 'DIGI'"),
            V3_1_1,
            &b"\x00A"[..],
        ),
        (
            wire("10 0D 00 04 'MQTT' 05 02 00 3C 00 00 00"),
            V5,
            &b"A"[..],
        ),
        (
            wire("10 12 00 06 'MQIsdp' 03 02 00 3C 00 04 'DIGI'"),
            V3_1,
            &b"\x00A"[..],
        ),
    ];
    for (connect, version, payload) in cases {
        let mut decoder = Decoder::new(Role::Server);
        assert_eq!(decoder.version(), None);
        let mut buf = BytesMut::from(&connect[..]);
        let Some(Packet::Connect(packet)) = decoder.decode(&mut buf).unwrap() else {
            panic!("CONNECT expected");
        };
        assert_eq!(packet.protocol, version);
        assert_eq!(decoder.version(), Some(version));
        let mut buf = BytesMut::from(&publish[..]);
        let Some(Packet::Publish(packet)) = decoder.decode(&mut buf).unwrap() else {
            panic!("PUBLISH expected");
        };
        assert_eq!(&packet.payload[..], payload, "{version}");
    }

    // After a 3.1 CONNECT, a SUBSCRIBE with DUP is accepted; after 3.1.1 it is not.
    let subscribe = wire("8A 06 00 01 00 01 'a' 00");
    for (connect, ok) in [
        (wire("10 12 00 06 'MQIsdp' 03 02 00 3C 00 04 'DIGI'"), true),
        (wire("10 10 00 04 'MQTT' 04 02 00 3C 00 04 'DIGI'"), false),
    ] {
        let mut decoder = Decoder::new(Role::Server);
        let mut buf = BytesMut::from(&connect[..]);
        buf.extend_from_slice(&subscribe);
        assert!(matches!(
            decoder.decode(&mut buf),
            Ok(Some(Packet::Connect(_)))
        ));
        assert_eq!(decoder.decode(&mut buf).is_ok(), ok);
    }
}

#[test]
fn connect_must_come_first_and_only_once_mqtt_3_1_0_1_and_2() {
    let connect = wire("10 10 00 04 'MQTT' 04 02 00 3C 00 04 'DIGI'");

    let mut decoder = Decoder::new(Role::Server);
    let mut buf = BytesMut::from(&connect[..]);
    buf.extend_from_slice(&connect);
    assert!(matches!(
        decoder.decode(&mut buf),
        Ok(Some(Packet::Connect(_)))
    ));
    let error = decoder.decode(&mut buf).unwrap_err();
    assert_eq!(error, E::SecondConnect);
    assert_eq!(error.rule_for(V3_1_1), "MQTT-3.1.0-2");

    for first in ["C0 00", "E0 00", "82 06 00 01 00 01 'a' 00", "62 02 00 01"] {
        let bytes = wire(first);
        let mut decoder = Decoder::new(Role::Server);
        let mut buf = BytesMut::from(&bytes[..]);
        let error = decoder.decode(&mut buf).unwrap_err();
        assert!(
            matches!(error, E::FirstPacketNotConnect { .. }),
            "{first}: {error:?}"
        );
        assert_eq!(error.rule(), "MQTT-3.1.0-1");
        assert_eq!(decoder.version(), None);
    }
}
