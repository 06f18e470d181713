//! SUBACK and UNSUBACK (MQTT 5.0 sections 3.9 and 3.11): a packet identifier, properties and
//! one reason code per requested filter.

use bytes::{BufMut, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::header::PacketType;
use crate::property::{AckProperties, PropertySet};
use crate::qos::PacketId;
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::Reader;

/// A SUBACK packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubAck {
    /// The identifier of the SUBSCRIBE being answered.
    pub packet_id: PacketId,
    /// MQTT 5 properties (empty before 5.0).
    pub properties: AckProperties,
    /// One code per requested filter, in order: the granted QoS (0x00-0x02) or a failure.
    /// Before MQTT 5 every failure is sent as 0x80.
    pub reasons: Vec<ReasonCode>,
}

/// An UNSUBACK packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubAck {
    /// The identifier of the UNSUBSCRIBE being answered.
    pub packet_id: PacketId,
    /// MQTT 5 properties (empty before 5.0).
    pub properties: AckProperties,
    /// MQTT 5: one code per requested filter, in order. Before 5.0 UNSUBACK carries no codes:
    /// this is empty when decoded and ignored when encoded.
    pub reasons: Vec<ReasonCode>,
}

/// SUBACK reason codes in MQTT 5 (MQTT-3.9.3-2).
const SUBACK_CODES_V5: &[u8] = &[
    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
];
/// SUBACK return codes in MQTT 3.1.1 (MQTT-3.9.3-2).
const SUBACK_CODES_V3: &[u8] = &[0x00, 0x01, 0x02, 0x80];
/// UNSUBACK reason codes in MQTT 5 (MQTT-3.11.3-2).
const UNSUBACK_CODES: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];

fn read_codes(
    packet: PacketType,
    allowed: &[u8],
    reader: &mut Reader,
) -> Result<Vec<ReasonCode>, DecodeError> {
    let mut reasons = Vec::with_capacity(reader.remaining());
    while !reader.is_empty() {
        let code = ReasonCode::from_byte(reader.read_u8()?);
        if !allowed.contains(&code.to_byte()) {
            return Err(DecodeError::InvalidReasonCode { packet, code });
        }
        reasons.push(code);
    }
    Ok(reasons)
}

impl SubAck {
    pub(crate) fn decode(
        version: ProtocolVersion,
        reader: &mut Reader,
    ) -> Result<SubAck, DecodeError> {
        let packet_id = reader.read_packet_id()?;
        let (properties, allowed) = if version.is_v5() {
            (
                AckProperties::read_block_of(reader, PacketType::SubAck)?,
                SUBACK_CODES_V5,
            )
        } else {
            (AckProperties::default(), SUBACK_CODES_V3)
        };
        let reasons = read_codes(PacketType::SubAck, allowed, reader)?;
        Ok(SubAck {
            packet_id,
            properties,
            reasons,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        let properties = if version.is_v5() {
            self.properties.block_len()?
        } else {
            0
        };
        Ok(2 + properties + self.reasons.len())
    }

    pub(crate) fn write_body(
        &self,
        version: ProtocolVersion,
        buf: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        buf.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.write_block(buf)?;
            for reason in &self.reasons {
                buf.put_u8(reason.to_byte());
            }
        } else {
            for reason in &self.reasons {
                let code = if reason.is_success() {
                    reason.to_byte().min(2)
                } else {
                    0x80
                };
                buf.put_u8(code);
            }
        }
        Ok(())
    }
}

impl UnsubAck {
    pub(crate) fn decode(
        version: ProtocolVersion,
        reader: &mut Reader,
    ) -> Result<UnsubAck, DecodeError> {
        let packet_id = reader.read_packet_id()?;
        if !version.is_v5() {
            return Ok(UnsubAck {
                packet_id,
                properties: AckProperties::default(),
                reasons: Vec::new(),
            });
        }
        let properties = AckProperties::read_block_of(reader, PacketType::UnsubAck)?;
        let reasons = read_codes(PacketType::UnsubAck, UNSUBACK_CODES, reader)?;
        Ok(UnsubAck {
            packet_id,
            properties,
            reasons,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if !version.is_v5() {
            return Ok(2);
        }
        Ok(2 + self.properties.block_len()? + self.reasons.len())
    }

    pub(crate) fn write_body(
        &self,
        version: ProtocolVersion,
        buf: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        buf.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.write_block(buf)?;
            for reason in &self.reasons {
                buf.put_u8(reason.to_byte());
            }
        }
        Ok(())
    }
}
