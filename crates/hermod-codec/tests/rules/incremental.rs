//! The incremental decoder: strict prefixes, several packets in one buffer and zero-copy
//! payloads.

use bytes::BytesMut;
use hermod_codec::ProtocolVersion::{V3_1_1, V5};
use hermod_codec::{Decoder, Packet, PacketType as T, Role};

use crate::harness::Peer::{Client, Fresh, Server};
use crate::harness::{Peer, check_vector_length, wire};

/// Valid packets of various shapes, each with the peer that decodes it.
fn incremental_vectors() -> Vec<(Peer, Vec<u8>)> {
    let mut long_publish = wire("32 D0 01 00 03 'a/b' 00 07 00");
    long_publish.extend(std::iter::repeat_n(b'x', 200));
    vec![
        (
            Fresh,
            wire("10 10 00 04 4D 51 54 54 04 02 00 3C 00 04 44 49 47 49"),
        ),
        (
            Fresh,
            wire(
                "10 2D 00 04 'MQTT' 05 CE 00 0A 05 11 00 00 00 0A 00 02 'c1' \
                 07 01 01 02 00 00 00 3C 00 03 'w/t' 00 03 'bye' 00 01 'u' 00 02 'pw'",
            ),
        ),
        (
            Server(V5),
            wire(
                "34 30 00 03 'a/b' 00 01 23 01 01 02 00 00 00 3C 23 00 05 08 00 03 'r/t' \
                 09 00 02 01 02 03 00 04 'text' 26 00 01 'k' 00 01 'v' 'hello'",
            ),
        ),
        (Server(V5), long_publish),
        (
            Server(V3_1_1),
            wire("82 0E 00 0A 00 03 'a/b' 01 00 03 'c/d' 02"),
        ),
        (
            Client(V5),
            wire("20 10 00 00 0D 22 00 0A 12 00 03 'abc' 24 01 25 00"),
        ),
        (Server(V5), wire("C0 00")),
    ]
}

#[test]
fn every_strict_prefix_is_incomplete_and_left_untouched() {
    for (peer, bytes) in incremental_vectors() {
        check_vector_length("incremental", &bytes);
        for len in 0..bytes.len() {
            let mut decoder = peer.decoder();
            let mut buf = BytesMut::from(&bytes[..len]);
            assert_eq!(
                decoder.decode(&mut buf),
                Ok(None),
                "prefix {len} of {bytes:02X?}"
            );
            assert_eq!(&buf[..], &bytes[..len], "prefix {len} was modified");
        }
        // Byte by byte into one buffer and one decoder, as a reader would.
        let mut decoder = peer.decoder();
        let mut buf = BytesMut::new();
        for (index, &byte) in bytes.iter().enumerate() {
            buf.extend_from_slice(&[byte]);
            let result = decoder.decode(&mut buf);
            if index + 1 < bytes.len() {
                assert_eq!(result, Ok(None), "byte {index} of {bytes:02X?}");
            } else {
                assert!(matches!(result, Ok(Some(_))), "{result:?}");
                assert!(buf.is_empty());
            }
        }
    }
}

#[test]
fn many_packets_in_one_buffer_decode_in_a_loop() {
    let stream = wire(
        "10 10 00 04 'MQTT' 05 02 00 3C 03 21 00 14 00 00 \
         32 0A 00 03 'a/b' 00 01 00 'hi' \
         82 09 00 02 00 00 03 'a/+' 01 \
         62 02 00 01 \
         C0 00 \
         A2 08 00 03 00 00 03 'a/+' \
         E0 00 \
         30 09 00 01",
    );
    let mut decoder = Decoder::new(Role::Server);
    let mut buf = BytesMut::from(&stream[..]);
    let mut types = Vec::new();
    while let Some(packet) = decoder.decode(&mut buf).unwrap() {
        types.push(packet.packet_type());
    }
    assert_eq!(
        types,
        [
            T::Connect,
            T::Publish,
            T::Subscribe,
            T::PubRel,
            T::PingReq,
            T::Unsubscribe,
            T::Disconnect
        ]
    );
    // The start of the next packet stays buffered until the rest arrives.
    assert_eq!(&buf[..], &wire("30 09 00 01")[..]);
    buf.extend_from_slice(&wire("'t' 00 'hello'"));
    let Some(Packet::Publish(publish)) = decoder.decode(&mut buf).unwrap() else {
        panic!("PUBLISH expected");
    };
    assert_eq!(&publish.payload[..], b"hello");
    assert!(buf.is_empty());
    assert_eq!(decoder.decode(&mut buf), Ok(None));
}

#[test]
fn publish_payload_and_topic_are_slices_of_the_read_buffer() {
    let bytes = wire("31 10 00 03 'a/b' 00 'zero-copy!'");
    check_vector_length("zero-copy", &bytes);
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(&bytes);
    let start = buf.as_ptr() as usize;
    let end = start + buf.capacity();
    let inside = |pointer: *const u8| (start..end).contains(&(pointer as usize));

    let mut decoder = Decoder::with_version(Role::Client, V5);
    let Some(Packet::Publish(publish)) = decoder.decode(&mut buf).unwrap() else {
        panic!("PUBLISH expected");
    };
    assert!(publish.retain);
    assert_eq!(&publish.payload[..], b"zero-copy!");
    assert!(inside(publish.payload.as_ptr()), "payload was copied");
    assert!(
        inside(publish.topic.as_bytes().as_ptr()),
        "topic was copied"
    );
    assert_eq!(publish.payload.as_ptr() as usize, start + 8);
}
