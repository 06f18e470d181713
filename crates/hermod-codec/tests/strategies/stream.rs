//! Any packet of a side, streams of packets as a connection carries them, and their encoding
//! and decoding.

use bytes::BytesMut;
use hermod_codec::{Decoder, Packet, ProtocolVersion, Role};
use proptest::collection::vec;
use proptest::prelude::*;

use super::Sender;
use super::acks::{publish_ack, suback, unsuback};
use super::connect::{connack, connect};
use super::control::{auth, disconnect};
use super::fields::version;
use super::publish::publish;
use super::subscribe::{subscribe, unsubscribe};

/// Any packet a client sends after CONNECT, in `version`'s form.
pub(crate) fn client_packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let mut choices: Vec<(u32, BoxedStrategy<Packet>)> = vec![
        (
            4,
            publish(version, Sender::Client)
                .prop_map(Packet::Publish)
                .boxed(),
        ),
        (4, publish_ack(version)),
        (3, subscribe(version)),
        (2, unsubscribe(version)),
        (1, Just(Packet::PingReq).boxed()),
        (2, disconnect(version, Sender::Client)),
    ];
    if version.is_v5() {
        choices.push((2, auth()));
    }
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// Any packet a server sends, in `version`'s form.
pub(crate) fn server_packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let mut choices: Vec<(u32, BoxedStrategy<Packet>)> = vec![
        (2, connack(version)),
        (
            4,
            publish(version, Sender::Server)
                .prop_map(Packet::Publish)
                .boxed(),
        ),
        (4, publish_ack(version)),
        (3, suback(version)),
        (2, unsuback(version)),
        (1, Just(Packet::PingResp).boxed()),
        (2, disconnect(version, Sender::Server)),
    ];
    if version.is_v5() {
        choices.push((2, auth()));
    }
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// Any packet `sender` sends after CONNECT, in `version`'s form.
pub(crate) fn packet(version: ProtocolVersion, sender: Sender) -> BoxedStrategy<Packet> {
    match sender {
        Sender::Client => client_packet(version),
        Sender::Server => server_packet(version),
    }
}

/// The wire bytes of a connection's traffic in one direction: for a client, a CONNECT then
/// up to `max` more packets; for a server, up to `max` packets. Returns the version too.
pub(crate) fn stream(max: usize) -> impl Strategy<Value = (ProtocolVersion, Role, Vec<Packet>)> {
    (
        version(),
        prop_oneof![Just(Sender::Client), Just(Sender::Server)],
    )
        .prop_flat_map(move |(version, sender)| {
            let first = match sender {
                Sender::Client => connect(version).prop_map(|c| vec![Packet::from(c)]).boxed(),
                Sender::Server => Just(Vec::new()).boxed(),
            };
            (first, vec(packet(version, sender), 0..=max)).prop_map(move |(mut first, rest)| {
                first.extend(rest);
                (version, sender.receiver(), first)
            })
        })
}

/// Encodes packets back to back; CONNECT in its own version, the rest in `version`.
pub(crate) fn encode_all(version: ProtocolVersion, packets: &[Packet]) -> BytesMut {
    let mut buf = BytesMut::new();
    for packet in packets {
        packet
            .encode(version, &mut buf)
            .expect("generated packets encode");
    }
    buf
}

/// The decoder for a stream: one that learns the version from CONNECT for a server, one that
/// knows it for a client.
pub(crate) fn stream_decoder(version: ProtocolVersion, role: Role) -> Decoder {
    match role {
        Role::Server => Decoder::new(Role::Server),
        Role::Client => Decoder::with_version(Role::Client, version),
    }
}
