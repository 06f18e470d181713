//! The fixed header: packet type, flags and Remaining Length (MQTT 5.0 section 2.1).

use crate::error::DecodeError;
use crate::varint::{self, VarIntStatus};

/// The largest Remaining Length a Variable Byte Integer can carry (256 MiB - 1).
pub const MAX_REMAINING_LENGTH: usize = varint::MAX_VALUE as usize;

/// The largest whole packet: a 4-byte Remaining Length plus the first byte.
pub const MAX_PACKET_SIZE: usize = MAX_REMAINING_LENGTH + 5;

/// The kind of a control packet, from the high nibble of its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// 1: client request to connect.
    Connect,
    /// 2: connect acknowledgement.
    ConnAck,
    /// 3: publish message.
    Publish,
    /// 4: publish acknowledgement (QoS 1).
    PubAck,
    /// 5: publish received (QoS 2 part 1).
    PubRec,
    /// 6: publish release (QoS 2 part 2).
    PubRel,
    /// 7: publish complete (QoS 2 part 3).
    PubComp,
    /// 8: subscribe request.
    Subscribe,
    /// 9: subscribe acknowledgement.
    SubAck,
    /// 10: unsubscribe request.
    Unsubscribe,
    /// 11: unsubscribe acknowledgement.
    UnsubAck,
    /// 12: ping request.
    PingReq,
    /// 13: ping response.
    PingResp,
    /// 14: disconnect notification.
    Disconnect,
    /// 15: authentication exchange (MQTT 5 only).
    Auth,
}

impl PacketType {
    /// Reads the packet type nibble; 0 is reserved (15 is AUTH, which the caller rejects
    /// before MQTT 5).
    pub fn from_nibble(value: u8) -> Result<PacketType, DecodeError> {
        Ok(match value {
            1 => PacketType::Connect,
            2 => PacketType::ConnAck,
            3 => PacketType::Publish,
            4 => PacketType::PubAck,
            5 => PacketType::PubRec,
            6 => PacketType::PubRel,
            7 => PacketType::PubComp,
            8 => PacketType::Subscribe,
            9 => PacketType::SubAck,
            10 => PacketType::Unsubscribe,
            11 => PacketType::UnsubAck,
            12 => PacketType::PingReq,
            13 => PacketType::PingResp,
            14 => PacketType::Disconnect,
            15 => PacketType::Auth,
            _ => return Err(DecodeError::ReservedPacketType { value }),
        })
    }

    /// The packet type nibble.
    pub const fn nibble(self) -> u8 {
        match self {
            PacketType::Connect => 1,
            PacketType::ConnAck => 2,
            PacketType::Publish => 3,
            PacketType::PubAck => 4,
            PacketType::PubRec => 5,
            PacketType::PubRel => 6,
            PacketType::PubComp => 7,
            PacketType::Subscribe => 8,
            PacketType::SubAck => 9,
            PacketType::Unsubscribe => 10,
            PacketType::UnsubAck => 11,
            PacketType::PingReq => 12,
            PacketType::PingResp => 13,
            PacketType::Disconnect => 14,
            PacketType::Auth => 15,
        }
    }

    /// The flags every packet type but PUBLISH must carry (MQTT-2.1.3-1): 0b0010 for PUBREL,
    /// SUBSCRIBE and UNSUBSCRIBE, 0 for the rest.
    pub const fn required_flags(self) -> u8 {
        match self {
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => 0b0010,
            _ => 0,
        }
    }

    /// Whether a client may send this packet type.
    pub const fn sent_by_client(self) -> bool {
        !matches!(
            self,
            PacketType::ConnAck | PacketType::SubAck | PacketType::UnsubAck | PacketType::PingResp
        )
    }

    /// Whether a server may send this packet type.
    pub const fn sent_by_server(self) -> bool {
        !matches!(
            self,
            PacketType::Connect
                | PacketType::Subscribe
                | PacketType::Unsubscribe
                | PacketType::PingReq
        )
    }
}

/// A parsed fixed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedHeader {
    /// The packet type.
    pub packet_type: PacketType,
    /// The low nibble of the first byte.
    pub flags: u8,
    /// The number of bytes after the fixed header.
    pub remaining_length: usize,
    /// The length of the fixed header itself (2 to 5 bytes).
    pub header_length: usize,
    /// Whether the Remaining Length used the minimum number of bytes (MQTT-1.5.5-1; checked
    /// only for MQTT 5, where the rule exists).
    pub minimal_length: bool,
}

impl FixedHeader {
    /// The whole packet's size in bytes.
    pub const fn packet_size(&self) -> usize {
        self.header_length + self.remaining_length
    }

    /// Parses a fixed header from the start of `buf` without consuming anything.
    ///
    /// `Ok(None)` means the buffer does not hold the whole fixed header yet. The packet type
    /// nibble is checked; flags are checked by the packet decoder, which knows the version.
    pub fn parse(buf: &[u8]) -> Result<Option<FixedHeader>, DecodeError> {
        let Some((&first, rest)) = buf.split_first() else {
            return Ok(None);
        };
        let packet_type = PacketType::from_nibble(first >> 4)?;
        match varint::decode_prefix(rest)? {
            VarIntStatus::Incomplete => Ok(None),
            VarIntStatus::Complete {
                value,
                length,
                minimal,
            } => Ok(Some(FixedHeader {
                packet_type,
                flags: first & 0x0F,
                remaining_length: value as usize,
                header_length: 1 + length,
                minimal_length: minimal,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_and_reports_incomplete() {
        assert_eq!(FixedHeader::parse(&[]), Ok(None));
        assert_eq!(FixedHeader::parse(&[0x30]), Ok(None));
        assert_eq!(FixedHeader::parse(&[0x30, 0x80]), Ok(None));
        let header = FixedHeader::parse(&[0x32, 0xC1, 0x02]).ok().flatten();
        assert_eq!(
            header,
            Some(FixedHeader {
                packet_type: PacketType::Publish,
                flags: 2,
                remaining_length: 321,
                header_length: 3,
                minimal_length: true,
            })
        );
    }

    #[test]
    fn reserved_packet_type_zero_is_rejected() {
        assert_eq!(
            FixedHeader::parse(&[0x00, 0x00]),
            Err(DecodeError::ReservedPacketType { value: 0 })
        );
    }

    #[test]
    fn fifth_remaining_length_byte_is_malformed() {
        assert_eq!(
            FixedHeader::parse(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            Err(DecodeError::VariableByteIntegerTooLong)
        );
    }
}
