//! The control packets, one module per packet form, and the [`Packet`] enum that dispatches
//! decoding and encoding by packet type.

pub mod ack;
pub mod connack;
pub mod connect;
pub mod disconnect;
pub mod publish;
pub mod suback;
pub mod subscribe;
pub mod unsubscribe;

use bytes::{Bytes, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::header::{FixedHeader, PacketType};
use crate::property::PayloadFormat;
use crate::version::{ProtocolVersion, Role};
use crate::wire::{self, Reader};

pub use ack::{PubAck, PubComp, PubRec, PubRel};
pub use connack::{ConnAck, ConnAckProperties};
pub use connect::{Connect, ConnectProperties, Will, WillProperties};
pub use disconnect::{Auth, AuthProperties, Disconnect, DisconnectProperties};
pub use publish::{Publish, PublishMetadata, PublishProperties};
pub use suback::{SubAck, UnsubAck};
pub use subscribe::{
    InvalidTopicFilter, RequestedFilter, RetainHandling, Subscribe, SubscribeProperties,
    Subscription, SubscriptionOptions,
};
pub use unsubscribe::{Unsubscribe, UnsubscribeProperties};

/// Any MQTT control packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// CONNECT (boxed: it is large and rare).
    Connect(Box<Connect>),
    /// CONNACK (boxed: it is large and rare).
    ConnAck(Box<ConnAck>),
    /// PUBLISH.
    Publish(Publish),
    /// PUBACK.
    PubAck(PubAck),
    /// PUBREC.
    PubRec(PubRec),
    /// PUBREL.
    PubRel(PubRel),
    /// PUBCOMP.
    PubComp(PubComp),
    /// SUBSCRIBE.
    Subscribe(Subscribe),
    /// SUBACK.
    SubAck(SubAck),
    /// UNSUBSCRIBE.
    Unsubscribe(Unsubscribe),
    /// UNSUBACK.
    UnsubAck(UnsubAck),
    /// PINGREQ.
    PingReq,
    /// PINGRESP.
    PingResp,
    /// DISCONNECT.
    Disconnect(Disconnect),
    /// AUTH (MQTT 5 only).
    Auth(Auth),
}

impl Packet {
    /// The packet's type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Connect(_) => PacketType::Connect,
            Packet::ConnAck(_) => PacketType::ConnAck,
            Packet::Publish(_) => PacketType::Publish,
            Packet::PubAck(_) => PacketType::PubAck,
            Packet::PubRec(_) => PacketType::PubRec,
            Packet::PubRel(_) => PacketType::PubRel,
            Packet::PubComp(_) => PacketType::PubComp,
            Packet::Subscribe(_) => PacketType::Subscribe,
            Packet::SubAck(_) => PacketType::SubAck,
            Packet::Unsubscribe(_) => PacketType::Unsubscribe,
            Packet::UnsubAck(_) => PacketType::UnsubAck,
            Packet::PingReq => PacketType::PingReq,
            Packet::PingResp => PacketType::PingResp,
            Packet::Disconnect(_) => PacketType::Disconnect,
            Packet::Auth(_) => PacketType::Auth,
        }
    }

    /// Decodes one packet body whose fixed header was already parsed and checked for size.
    ///
    /// `version` is `None` only before CONNECT. The body must be exactly the Remaining Length.
    pub(crate) fn decode_body(
        header: &FixedHeader,
        body: Bytes,
        version: Option<ProtocolVersion>,
        role: Role,
    ) -> Result<Packet, DecodeError> {
        let packet_type = header.packet_type;
        let allowed = match role {
            Role::Server => packet_type.sent_by_client(),
            Role::Client => packet_type.sent_by_server(),
        };
        if !allowed {
            return Err(DecodeError::UnexpectedPacket {
                packet: packet_type,
            });
        }
        let version = match (version, packet_type, role) {
            (None, PacketType::Connect, _) => {
                check_flags(header, ProtocolVersion::V5)?;
                let mut reader = Reader::new(body, false);
                let version = Connect::read_version(&mut reader)?;
                check_varint(header, version)?;
                let mut reader = Reader::new(reader.take_rest(), version.is_v5());
                let connect = Connect::decode_after_version(version, &mut reader)?;
                reader.finish()?;
                return Ok(Packet::Connect(Box::new(connect)));
            }
            (Some(_), PacketType::Connect, _) => return Err(DecodeError::SecondConnect),
            (None, packet, Role::Server) => {
                return Err(DecodeError::FirstPacketNotConnect { packet });
            }
            // A client always knows the version it asked for; without one, read 5.0 rules.
            (None, _, Role::Client) => ProtocolVersion::V5,
            (Some(version), _, _) => version,
        };
        check_varint(header, version)?;
        if packet_type == PacketType::Auth && !version.is_v5() {
            return Err(DecodeError::ReservedPacketType { value: 15 });
        }
        let mut reader = Reader::new(body, version.is_v5());
        if packet_type != PacketType::Publish {
            check_flags(header, version)?;
        }
        let packet = match packet_type {
            // The payload takes the rest of the body, so the final check below is trivially met.
            PacketType::Publish => {
                Packet::Publish(Publish::decode(version, role, header.flags, &mut reader)?)
            }
            PacketType::ConnAck => {
                Packet::ConnAck(Box::new(ConnAck::decode(version, &mut reader)?))
            }
            PacketType::PubAck => Packet::PubAck(PubAck::decode(version, &mut reader)?),
            PacketType::PubRec => Packet::PubRec(PubRec::decode(version, &mut reader)?),
            PacketType::PubRel => Packet::PubRel(PubRel::decode(version, &mut reader)?),
            PacketType::PubComp => Packet::PubComp(PubComp::decode(version, &mut reader)?),
            PacketType::Subscribe => Packet::Subscribe(Subscribe::decode(version, &mut reader)?),
            PacketType::SubAck => Packet::SubAck(SubAck::decode(version, &mut reader)?),
            PacketType::Unsubscribe => {
                Packet::Unsubscribe(Unsubscribe::decode(version, &mut reader)?)
            }
            PacketType::UnsubAck => Packet::UnsubAck(UnsubAck::decode(version, &mut reader)?),
            PacketType::PingReq => Packet::PingReq,
            PacketType::PingResp => Packet::PingResp,
            PacketType::Disconnect => {
                Packet::Disconnect(Disconnect::decode(version, role, &mut reader)?)
            }
            PacketType::Auth => Packet::Auth(Auth::decode(&mut reader)?),
            // With a version known, CONNECT was answered with SecondConnect above.
            PacketType::Connect => return Err(DecodeError::SecondConnect),
        };
        reader.finish()?;
        Ok(packet)
    }

    /// The size of the encoded packet in `version` (fixed header included).
    ///
    /// CONNECT is always encoded in its own `protocol` version.
    pub fn encoded_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        let remaining = self.body_len(version)?;
        if remaining > crate::header::MAX_REMAINING_LENGTH {
            return Err(EncodeError::RemainingLengthTooLarge { len: remaining });
        }
        Ok(1 + crate::varint::encoded_len(remaining) + remaining)
    }

    /// Appends the encoded packet to `buf`, reserving the exact size first so that encoding
    /// never reallocates midway.
    pub fn encode(&self, version: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let remaining = self.body_len(version)?;
        let flags = match self {
            Packet::Publish(publish) => publish.flags(),
            other => other.packet_type().required_flags(),
        };
        wire::put_fixed_header(buf, (self.packet_type().nibble() << 4) | flags, remaining)?;
        match self {
            Packet::Connect(connect) => connect.write_body(buf),
            Packet::ConnAck(connack) => connack.write_body(version, buf),
            Packet::Publish(publish) => publish.write_body(version, buf),
            Packet::PubAck(ack) => ack.write_body(version, buf),
            Packet::PubRec(ack) => ack.write_body(version, buf),
            Packet::PubRel(ack) => ack.write_body(version, buf),
            Packet::PubComp(ack) => ack.write_body(version, buf),
            Packet::Subscribe(subscribe) => subscribe.write_body(version, buf),
            Packet::SubAck(suback) => suback.write_body(version, buf),
            Packet::Unsubscribe(unsubscribe) => unsubscribe.write_body(version, buf),
            Packet::UnsubAck(unsuback) => unsuback.write_body(version, buf),
            Packet::PingReq | Packet::PingResp => Ok(()),
            Packet::Disconnect(disconnect) => disconnect.write_body(version, buf),
            Packet::Auth(auth) => auth.write_body(buf),
        }
    }

    /// Encodes the packet into its own buffer, to be shared by every recipient that needs this
    /// exact wire form.
    pub fn encode_to_bytes(&self, version: ProtocolVersion) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::new();
        self.encode(version, &mut buf)?;
        Ok(buf.freeze())
    }

    fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        match self {
            Packet::Connect(connect) => connect.body_len(),
            Packet::ConnAck(connack) => connack.body_len(version),
            Packet::Publish(publish) => publish.body_len(version),
            Packet::PubAck(ack) => ack.body_len(version),
            Packet::PubRec(ack) => ack.body_len(version),
            Packet::PubRel(ack) => ack.body_len(version),
            Packet::PubComp(ack) => ack.body_len(version),
            Packet::Subscribe(subscribe) => subscribe.body_len(version),
            Packet::SubAck(suback) => suback.body_len(version),
            Packet::Unsubscribe(unsubscribe) => unsubscribe.body_len(version),
            Packet::UnsubAck(unsuback) => unsuback.body_len(version),
            Packet::PingReq | Packet::PingResp => Ok(0),
            Packet::Disconnect(disconnect) => disconnect.body_len(version),
            Packet::Auth(auth) if version.is_v5() => auth.body_len(),
            Packet::Auth(_) => Err(EncodeError::NotInVersion {
                packet: PacketType::Auth,
                version,
            }),
        }
    }
}

/// Checks the fixed header flags of every packet but PUBLISH (MQTT-2.1.3-1). MQTT 3.1 lets
/// PUBREL, SUBSCRIBE and UNSUBSCRIBE carry DUP on retransmission.
fn check_flags(header: &FixedHeader, version: ProtocolVersion) -> Result<(), DecodeError> {
    let required = header.packet_type.required_flags();
    let flags = if version == ProtocolVersion::V3_1 && required != 0 {
        header.flags & !0b1000
    } else {
        header.flags
    };
    if flags != required {
        return Err(DecodeError::InvalidHeaderFlags {
            packet: header.packet_type,
            flags: header.flags,
        });
    }
    Ok(())
}

/// MQTT 5 requires the Remaining Length in its shortest form (MQTT-1.5.5-1).
fn check_varint(header: &FixedHeader, version: ProtocolVersion) -> Result<(), DecodeError> {
    if version.is_v5() && !header.minimal_length {
        return Err(DecodeError::VariableByteIntegerNotMinimal);
    }
    Ok(())
}

/// Checks a payload against its Payload Format Indicator.
fn check_payload_format(format: Option<PayloadFormat>, payload: &[u8]) -> Result<(), DecodeError> {
    if format == Some(PayloadFormat::Utf8) && std::str::from_utf8(payload).is_err() {
        return Err(DecodeError::PayloadFormatInvalid);
    }
    Ok(())
}

impl From<Publish> for Packet {
    fn from(publish: Publish) -> Self {
        Packet::Publish(publish)
    }
}

impl From<Connect> for Packet {
    fn from(connect: Connect) -> Self {
        Packet::Connect(Box::new(connect))
    }
}

impl From<ConnAck> for Packet {
    fn from(connack: ConnAck) -> Self {
        Packet::ConnAck(Box::new(connack))
    }
}
