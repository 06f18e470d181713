//! The subscriber's fast path for the packet it receives by the million: a PUBLISH read in
//! place — fixed header, topic length, packet identifier and the benchmark header at the start
//! of the payload — without building a decoded packet (no shared buffers, no topic
//! validation). Anything else, or anything that does not look like a whole well-formed
//! PUBLISH, is left to the full decoder, which reports errors.

use hermod_codec::header::{FixedHeader, PacketType};
use hermod_codec::varint::{self, VarIntStatus};
use hermod_codec::{PacketId, QoS};

use crate::payload::Header;

/// What the subscriber needs of one PUBLISH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PublishView {
    /// The delivery QoS.
    pub(crate) qos: QoS,
    /// The packet identifier (QoS 1 and 2).
    pub(crate) packet_id: Option<PacketId>,
    /// The benchmark header, if the payload has one.
    pub(crate) header: Option<Header>,
}

/// Reads the PUBLISH at the start of `buf`, if there is a whole one; returns it and its size
/// in bytes. `v5`: the packet carries a property block after the packet identifier.
pub(crate) fn peek_publish(buf: &[u8], v5: bool) -> Option<(PublishView, usize)> {
    let fixed = FixedHeader::parse(buf).ok()??;
    if fixed.packet_type != PacketType::Publish || buf.len() < fixed.packet_size() {
        return None;
    }
    let body = buf.get(fixed.header_length..fixed.packet_size())?;
    let qos = QoS::from_bits((fixed.flags >> 1) & 0b11)?;
    let topic_len = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    let mut at = 2 + topic_len;
    let packet_id = if qos == QoS::AtMostOnce {
        None
    } else {
        let id = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]);
        at += 2;
        Some(PacketId::new(id)?)
    };
    if v5 {
        let VarIntStatus::Complete { value, length, .. } =
            varint::decode_prefix(body.get(at..)?).ok()?
        else {
            return None;
        };
        at += length + usize::try_from(value).ok()?;
    }
    let payload = body.get(at..)?;
    let view = PublishView {
        qos,
        packet_id,
        header: Header::read(payload).ok(),
    };
    Some((view, fixed.packet_size()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;
    use bytes::BytesMut;
    use hermod_codec::{Packet, ProtocolVersion, Publish, TopicName};

    fn encoded(version: ProtocolVersion, qos: QoS, id: Option<u16>) -> BytesMut {
        let mut payload = BytesMut::new();
        Header {
            sent_ns: 7,
            publisher: 3,
            sequence: 9,
        }
        .write(64, &mut payload);
        let mut publish = Publish::new(TopicName::new("a/b").unwrap(), payload.freeze());
        publish.qos = qos;
        publish.packet_id = id.and_then(PacketId::new);
        let mut buf = BytesMut::new();
        Packet::Publish(publish).encode(version, &mut buf).unwrap();
        buf
    }

    #[test]
    fn reads_publishes_of_both_versions_and_qos() {
        for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
            for (qos, id) in [(QoS::AtMostOnce, None), (QoS::AtLeastOnce, Some(5))] {
                let buf = encoded(version, qos, id);
                let (view, size) = peek_publish(&buf, version.is_v5()).unwrap();
                assert_eq!(size, buf.len());
                assert_eq!(view.qos, qos);
                assert_eq!(view.packet_id, id.and_then(PacketId::new));
                let header = view.header.unwrap();
                assert_eq!((header.publisher, header.sequence), (3, 9));
            }
        }
    }

    #[test]
    fn leaves_partial_other_and_malformed_packets_to_the_decoder() {
        let buf = encoded(ProtocolVersion::V3_1_1, QoS::AtLeastOnce, Some(1));
        assert!(peek_publish(&buf[..buf.len() - 1], false).is_none());
        assert!(peek_publish(&[0xD0, 0x00], false).is_none(), "PINGRESP");
        // Packet identifier 0 and a topic length past the end.
        assert!(peek_publish(&[0x32, 0x04, 0x00, 0x00, 0x00, 0x00], false).is_none());
        assert!(peek_publish(&[0x30, 0x03, 0x00, 0x09, 0x61], false).is_none());
        assert!(peek_publish(&[], false).is_none());
    }
}
