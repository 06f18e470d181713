//! PUBACK, PUBREC, PUBREL and PUBCOMP (MQTT 5.0 sections 3.4 to 3.7): the QoS 1 and QoS 2
//! acknowledgements, which share one form: a packet identifier and, in MQTT 5, an optional
//! reason code and properties.

use bytes::{BufMut, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::header::PacketType;
use crate::property::{AckProperties, PropertySet};
use crate::qos::PacketId;
use crate::reason::ReasonCode;
use crate::version::ProtocolVersion;
use crate::wire::Reader;

/// Reason codes of PUBACK and PUBREC (MQTT-3.4.2-1, MQTT-3.5.2-1).
const PUBLISH_ACK_CODES: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
/// Reason codes of PUBREL and PUBCOMP (MQTT-3.6.2-1, MQTT-3.7.2-1).
const RELEASE_CODES: &[u8] = &[0x00, 0x92];

/// Decodes the shared form; the caller's packet type picks the allowed reason codes.
fn decode_ack(
    packet: PacketType,
    allowed: &[u8],
    version: ProtocolVersion,
    reader: &mut Reader,
) -> Result<(PacketId, ReasonCode, AckProperties), DecodeError> {
    let packet_id = reader.read_packet_id()?;
    if !version.is_v5() || reader.is_empty() {
        return Ok((packet_id, ReasonCode::SUCCESS, AckProperties::default()));
    }
    let code = reader.read_u8()?;
    if !allowed.contains(&code) {
        return Err(DecodeError::InvalidReasonCode {
            packet,
            code: ReasonCode::from_byte(code),
        });
    }
    let properties = if reader.is_empty() {
        AckProperties::default()
    } else {
        AckProperties::read_block_of(reader, packet)?
    };
    Ok((packet_id, ReasonCode::from_byte(code), properties))
}

/// The body length of the shared form, using the short forms MQTT 5 allows.
fn ack_body_len(
    version: ProtocolVersion,
    reason: ReasonCode,
    properties: &AckProperties,
) -> Result<usize, EncodeError> {
    if !version.is_v5() {
        return Ok(2);
    }
    let properties_len = properties.content_len()?;
    Ok(match (reason, properties_len) {
        (ReasonCode::SUCCESS, 0) => 2,
        (_, 0) => 3,
        (_, len) => 3 + crate::varint::encoded_len(len) + len,
    })
}

fn write_ack(
    version: ProtocolVersion,
    packet_id: PacketId,
    reason: ReasonCode,
    properties: &AckProperties,
    buf: &mut BytesMut,
) -> Result<(), EncodeError> {
    let len = ack_body_len(version, reason, properties)?;
    buf.put_u16(packet_id.get());
    if len >= 3 {
        buf.put_u8(reason.to_byte());
    }
    if len > 3 {
        properties.write_block(buf)?;
    }
    Ok(())
}

macro_rules! ack_packet {
    ($(#[$meta:meta])* $name:ident, $packet:ident, $allowed:expr) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            /// The identifier of the PUBLISH (or PUBREL) being acknowledged.
            pub packet_id: PacketId,
            /// The outcome (MQTT 5; always Success before 5.0).
            pub reason: ReasonCode,
            /// MQTT 5 properties (empty before 5.0).
            pub properties: AckProperties,
        }

        impl $name {
            /// A successful acknowledgement without properties.
            pub fn new(packet_id: PacketId) -> $name {
                $name::with_reason(packet_id, ReasonCode::SUCCESS)
            }

            /// An acknowledgement with a reason code and no properties.
            pub fn with_reason(packet_id: PacketId, reason: ReasonCode) -> $name {
                $name {
                    packet_id,
                    reason,
                    properties: AckProperties::default(),
                }
            }

            pub(crate) fn decode(
                version: ProtocolVersion,
                reader: &mut Reader,
            ) -> Result<$name, DecodeError> {
                let (packet_id, reason, properties) =
                    decode_ack(PacketType::$packet, $allowed, version, reader)?;
                Ok($name {
                    packet_id,
                    reason,
                    properties,
                })
            }

            pub(crate) fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
                ack_body_len(version, self.reason, &self.properties)
            }

            pub(crate) fn write_body(
                &self,
                version: ProtocolVersion,
                buf: &mut BytesMut,
            ) -> Result<(), EncodeError> {
                write_ack(version, self.packet_id, self.reason, &self.properties, buf)
            }
        }
    };
}

ack_packet!(
    /// PUBACK: acknowledges a QoS 1 PUBLISH.
    PubAck, PubAck, PUBLISH_ACK_CODES
);
ack_packet!(
    /// PUBREC: first acknowledgement of a QoS 2 PUBLISH.
    PubRec, PubRec, PUBLISH_ACK_CODES
);
ack_packet!(
    /// PUBREL: releases a QoS 2 PUBLISH after PUBREC.
    PubRel, PubRel, RELEASE_CODES
);
ack_packet!(
    /// PUBCOMP: completes a QoS 2 exchange.
    PubComp, PubComp, RELEASE_CODES
);
