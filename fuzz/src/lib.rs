//! Shared driver for the codec fuzz targets.

use bytes::BytesMut;
use hermod_codec::{Decoder, Packet, ProtocolVersion, Role};

/// Largest packet the fuzzed decoder accepts; keeps inputs that declare huge lengths cheap.
pub const MAX_PACKET_SIZE: usize = 64 * 1024;

/// Decodes every packet in `data` as `role` on a connection of `version` (a server-side
/// decoder starts before CONNECT when `version` is `None`), stopping at the first error or
/// incomplete packet. Checks that each decoded packet re-encodes and decodes to itself.
pub fn decode_all(data: &[u8], role: Role, version: Option<ProtocolVersion>) {
    let mut decoder = match version {
        Some(version) => Decoder::with_version(role, version),
        None => Decoder::new(role),
    };
    decoder.set_max_packet_size(MAX_PACKET_SIZE);
    let mut buf = BytesMut::from(data);
    let mut count = 0usize;
    while let Ok(Some(packet)) = decoder.decode(&mut buf) {
        count += 1;
        assert!(count <= data.len(), "more packets than input bytes");
        if let Some(version) = decoder.version() {
            check_stable(&packet, role, version);
        }
    }
}

/// Decode → encode → decode must give back the same packet, and encoding must be as long as
/// `encoded_len` says.
pub fn check_stable(packet: &Packet, role: Role, version: ProtocolVersion) {
    let encode_version = match packet {
        Packet::Connect(connect) => connect.protocol,
        _ => version,
    };
    let Ok(expected_len) = packet.encoded_len(encode_version) else {
        panic!("a decoded packet must be encodable: {packet:?}");
    };
    let mut wire = BytesMut::new();
    assert!(packet.encode(encode_version, &mut wire).is_ok());
    assert_eq!(wire.len(), expected_len);
    let mut decoder = match packet {
        Packet::Connect(_) => Decoder::new(role),
        _ => Decoder::with_version(role, version),
    };
    match decoder.decode(&mut wire) {
        Ok(Some(again)) => assert_eq!(&again, packet, "re-decoded packet differs"),
        other => panic!("re-encoded {packet:?} did not decode: {other:?}"),
    }
    assert!(wire.is_empty(), "re-encoded packet left bytes behind");
}
