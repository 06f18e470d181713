//! MQTT 5 properties (MQTT 5.0 section 2.2.2): identifiers, value types, and the machinery that
//! reads a property block into a packet's typed property set.
//!
//! Each packet's set is declared once with [`property_set!`], which generates the struct, its
//! decoder (unknown identifiers are malformed, identifiers not allowed in the packet are
//! malformed, a repeated single-valued property is a protocol error) and its encoder.

use std::num::{NonZeroU16, NonZeroU32};

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::qos::QoS;
use crate::string::MqttString;
use crate::topic::TopicName;
use crate::varint;
use crate::wire::{self, Reader};

/// The identifier of an MQTT 5 property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the variant names are the specification's property names
pub enum PropertyId {
    PayloadFormatIndicator = 0x01,
    MessageExpiryInterval = 0x02,
    ContentType = 0x03,
    ResponseTopic = 0x08,
    CorrelationData = 0x09,
    SubscriptionIdentifier = 0x0B,
    SessionExpiryInterval = 0x11,
    AssignedClientIdentifier = 0x12,
    ServerKeepAlive = 0x13,
    AuthenticationMethod = 0x15,
    AuthenticationData = 0x16,
    RequestProblemInformation = 0x17,
    WillDelayInterval = 0x18,
    RequestResponseInformation = 0x19,
    ResponseInformation = 0x1A,
    ServerReference = 0x1C,
    ReasonString = 0x1F,
    ReceiveMaximum = 0x21,
    TopicAliasMaximum = 0x22,
    TopicAlias = 0x23,
    MaximumQoS = 0x24,
    RetainAvailable = 0x25,
    UserProperty = 0x26,
    MaximumPacketSize = 0x27,
    WildcardSubscriptionAvailable = 0x28,
    SubscriptionIdentifierAvailable = 0x29,
    SharedSubscriptionAvailable = 0x2A,
}

impl PropertyId {
    /// Reads a property identifier; an unknown one is a malformed packet.
    pub fn from_id(id: u32) -> Result<PropertyId, DecodeError> {
        use PropertyId::*;
        Ok(match id {
            0x01 => PayloadFormatIndicator,
            0x02 => MessageExpiryInterval,
            0x03 => ContentType,
            0x08 => ResponseTopic,
            0x09 => CorrelationData,
            0x0B => SubscriptionIdentifier,
            0x11 => SessionExpiryInterval,
            0x12 => AssignedClientIdentifier,
            0x13 => ServerKeepAlive,
            0x15 => AuthenticationMethod,
            0x16 => AuthenticationData,
            0x17 => RequestProblemInformation,
            0x18 => WillDelayInterval,
            0x19 => RequestResponseInformation,
            0x1A => ResponseInformation,
            0x1C => ServerReference,
            0x1F => ReasonString,
            0x21 => ReceiveMaximum,
            0x22 => TopicAliasMaximum,
            0x23 => TopicAlias,
            0x24 => MaximumQoS,
            0x25 => RetainAvailable,
            0x26 => UserProperty,
            0x27 => MaximumPacketSize,
            0x28 => WildcardSubscriptionAvailable,
            0x29 => SubscriptionIdentifierAvailable,
            0x2A => SharedSubscriptionAvailable,
            _ => return Err(DecodeError::UnknownProperty { id }),
        })
    }

    /// The identifier byte.
    pub const fn id(self) -> u8 {
        self as u8
    }
}

/// A User Property: a name/value pair passed through unchanged and in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserProperty {
    /// The name.
    pub key: MqttString,
    /// The value.
    pub value: MqttString,
}

impl UserProperty {
    /// Validates and copies a name/value pair.
    pub fn new(key: &str, value: &str) -> Result<UserProperty, DecodeError> {
        Ok(UserProperty {
            key: MqttString::new(key)?,
            value: MqttString::new(value)?,
        })
    }
}

/// The Payload Format Indicator of a PUBLISH or will.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PayloadFormat {
    /// 0: unspecified bytes.
    #[default]
    Unspecified,
    /// 1: UTF-8 Encoded Character Data.
    Utf8,
}

/// A Subscription Identifier: 1 to 268,435,455.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(NonZeroU32);

impl SubscriptionId {
    /// Wraps a value; `None` for 0 or a value above 268,435,455.
    pub const fn new(value: u32) -> Option<SubscriptionId> {
        if value > varint::MAX_VALUE {
            return None;
        }
        match NonZeroU32::new(value) {
            Some(value) => Some(SubscriptionId(value)),
            None => None,
        }
    }

    /// The value.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

/// A Topic Alias: a non-zero 16-bit integer standing for a topic name (MQTT-3.3.2-8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicAlias(NonZeroU16);

impl TopicAlias {
    /// Wraps a value; `None` for 0.
    pub const fn new(value: u16) -> Option<TopicAlias> {
        match NonZeroU16::new(value) {
            Some(value) => Some(TopicAlias(value)),
            None => None,
        }
    }

    /// The value.
    pub const fn get(self) -> u16 {
        self.0.get()
    }
}

/// A property value type: how it is read, sized and written.
pub(crate) trait PropertyValue: Sized {
    fn read(reader: &mut Reader, id: PropertyId) -> Result<Self, DecodeError>;
    fn wire_len(&self) -> Result<usize, EncodeError>;
    fn write(&self, buf: &mut BytesMut);
}

impl PropertyValue for bool {
    fn read(reader: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        match reader.read_u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::InvalidPropertyValue { property: id }),
        }
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(1)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u8(u8::from(*self));
    }
}

impl PropertyValue for PayloadFormat {
    fn read(reader: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        match reader.read_u8()? {
            0 => Ok(PayloadFormat::Unspecified),
            1 => Ok(PayloadFormat::Utf8),
            _ => Err(DecodeError::InvalidPropertyValue { property: id }),
        }
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(1)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u8(match self {
            PayloadFormat::Unspecified => 0,
            PayloadFormat::Utf8 => 1,
        });
    }
}

/// Used only for Maximum QoS, which may be 0 or 1 (a server supporting QoS 2 omits it).
impl PropertyValue for QoS {
    fn read(reader: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        match reader.read_u8()? {
            0 => Ok(QoS::AtMostOnce),
            1 => Ok(QoS::AtLeastOnce),
            _ => Err(DecodeError::InvalidPropertyValue { property: id }),
        }
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(1)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u8(self.bits());
    }
}

impl PropertyValue for u16 {
    fn read(reader: &mut Reader, _id: PropertyId) -> Result<Self, DecodeError> {
        reader.read_u16()
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(2)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u16(*self);
    }
}

impl PropertyValue for NonZeroU16 {
    fn read(reader: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        NonZeroU16::new(reader.read_u16()?)
            .ok_or(DecodeError::InvalidPropertyValue { property: id })
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(2)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u16(self.get());
    }
}

impl PropertyValue for TopicAlias {
    fn read(reader: &mut Reader, _id: PropertyId) -> Result<Self, DecodeError> {
        TopicAlias::new(reader.read_u16()?).ok_or(DecodeError::TopicAliasZero)
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(2)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u16(self.get());
    }
}

impl PropertyValue for u32 {
    fn read(reader: &mut Reader, _id: PropertyId) -> Result<Self, DecodeError> {
        reader.read_u32()
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(4)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u32(*self);
    }
}

impl PropertyValue for NonZeroU32 {
    fn read(reader: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        NonZeroU32::new(reader.read_u32()?)
            .ok_or(DecodeError::InvalidPropertyValue { property: id })
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(4)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_u32(self.get());
    }
}

impl PropertyValue for SubscriptionId {
    fn read(reader: &mut Reader, id: PropertyId) -> Result<Self, DecodeError> {
        SubscriptionId::new(reader.read_varint()?)
            .ok_or(DecodeError::InvalidPropertyValue { property: id })
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(varint::encoded_len(self.get() as usize))
    }
    fn write(&self, buf: &mut BytesMut) {
        varint::encode(self.get() as usize, buf);
    }
}

impl PropertyValue for MqttString {
    fn read(reader: &mut Reader, _id: PropertyId) -> Result<Self, DecodeError> {
        reader.read_string()
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(self.wire_len())
    }
    fn write(&self, buf: &mut BytesMut) {
        wire::put_string(buf, self);
    }
}

/// Used for Response Topic, which must be a valid topic name (MQTT-3.3.2-14).
impl PropertyValue for TopicName {
    fn read(reader: &mut Reader, _id: PropertyId) -> Result<Self, DecodeError> {
        TopicName::from_string(reader.read_string()?)
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(self.as_mqtt_string().wire_len())
    }
    fn write(&self, buf: &mut BytesMut) {
        wire::put_string(buf, self.as_mqtt_string());
    }
}

impl PropertyValue for Bytes {
    fn read(reader: &mut Reader, _id: PropertyId) -> Result<Self, DecodeError> {
        reader.read_binary()
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        wire::binary_len(self)
    }
    fn write(&self, buf: &mut BytesMut) {
        wire::put_binary(buf, self);
    }
}

impl PropertyValue for UserProperty {
    fn read(reader: &mut Reader, _id: PropertyId) -> Result<Self, DecodeError> {
        Ok(UserProperty {
            key: reader.read_string()?,
            value: reader.read_string()?,
        })
    }
    fn wire_len(&self) -> Result<usize, EncodeError> {
        Ok(self.key.wire_len() + self.value.wire_len())
    }
    fn write(&self, buf: &mut BytesMut) {
        wire::put_string(buf, &self.key);
        wire::put_string(buf, &self.value);
    }
}

/// Stores a single-valued property, refusing a second occurrence.
pub(crate) fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    id: PropertyId,
) -> Result<(), DecodeError> {
    if slot.is_some() {
        return Err(DecodeError::DuplicateProperty { property: id });
    }
    *slot = Some(value);
    Ok(())
}

/// The size of one property: identifier byte plus value.
pub(crate) fn entry_len<T: PropertyValue>(value: &T) -> Result<usize, EncodeError> {
    Ok(1 + value.wire_len()?)
}

/// Writes one property: identifier byte plus value.
pub(crate) fn put_entry<T: PropertyValue>(buf: &mut BytesMut, id: PropertyId, value: &T) {
    buf.put_u8(id.id());
    value.write(buf);
}

/// A packet's typed property set.
pub(crate) trait PropertySet: Default {
    /// Reads one property value with identifier `id` into the set.
    fn accept(&mut self, id: PropertyId, reader: &mut Reader) -> Result<(), DecodeError>;
    /// The size of the properties, without the length prefix.
    fn content_len(&self) -> Result<usize, EncodeError>;
    /// Writes the properties, without the length prefix.
    fn write_content(&self, buf: &mut BytesMut);

    /// Reads a whole property block: its length, then the properties.
    fn read_block(reader: &mut Reader) -> Result<Self, DecodeError> {
        let len = reader.read_varint()? as usize;
        let mut block = reader.sub_reader(len)?;
        let mut set = Self::default();
        while !block.is_empty() {
            let id = PropertyId::from_id(block.read_varint()?)?;
            set.accept(id, &mut block)?;
        }
        Ok(set)
    }

    /// The size of the whole block: length prefix plus properties.
    fn block_len(&self) -> Result<usize, EncodeError> {
        let len = self.content_len()?;
        Ok(varint::encoded_len(len) + len)
    }

    /// Writes the whole block: length prefix plus properties.
    fn write_block(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let len = self.content_len()?;
        varint::encode(len, buf);
        self.write_content(buf);
        Ok(())
    }
}

/// Declares a packet's property set: single-valued properties become `Option` fields,
/// repeatable ones `Vec` fields.
macro_rules! property_set {
    (
        $(#[$meta:meta])*
        $name:ident for $packet:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $id:ident, )*
        }
        repeated {
            $( $(#[$vmeta:meta])* $vfield:ident : $vty:ty = $vid:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
            $( $(#[$vmeta])* pub $vfield: Vec<$vty>, )*
        }

        impl $crate::property::PropertySet for $name {
            fn accept(
                &mut self,
                id: $crate::property::PropertyId,
                reader: &mut $crate::wire::Reader,
            ) -> Result<(), $crate::error::DecodeError> {
                use $crate::property::{PropertyId, PropertyValue};
                match id {
                    $( PropertyId::$id => $crate::property::set_once(
                        &mut self.$field,
                        <$ty as PropertyValue>::read(reader, id)?,
                        id,
                    ), )*
                    $( PropertyId::$vid => {
                        self.$vfield.push(<$vty as PropertyValue>::read(reader, id)?);
                        Ok(())
                    } )*
                    #[allow(unreachable_patterns)]
                    _ => Err($crate::error::DecodeError::PropertyNotAllowed {
                        property: id,
                        packet: $crate::header::PacketType::$packet,
                    }),
                }
            }

            fn content_len(&self) -> Result<usize, $crate::error::EncodeError> {
                #[allow(unused_mut)]
                let mut len = 0;
                $( if let Some(value) = &self.$field {
                    len += $crate::property::entry_len(value)?;
                } )*
                $( for value in &self.$vfield {
                    len += $crate::property::entry_len(value)?;
                } )*
                Ok(len)
            }

            fn write_content(&self, #[allow(unused)] buf: &mut bytes::BytesMut) {
                use $crate::property::PropertyId;
                $( if let Some(value) = &self.$field {
                    $crate::property::put_entry(buf, PropertyId::$id, value);
                } )*
                $( for value in &self.$vfield {
                    $crate::property::put_entry(buf, PropertyId::$vid, value);
                } )*
            }
        }
    };
}

pub(crate) use property_set;

property_set! {
    /// Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK.
    AckProperties for PubAck {
        /// Human-readable diagnostic text.
        reason_string: MqttString = ReasonString,
    }
    repeated {
        /// Name/value pairs, in order.
        user_properties: UserProperty = UserProperty,
    }
}

impl AckProperties {
    /// Reads the property block of `packet`, one of the six packet types that share this set,
    /// so that a property the set does not allow is reported against the packet it arrived in.
    pub(crate) fn read_block_of(
        reader: &mut Reader,
        packet: crate::header::PacketType,
    ) -> Result<AckProperties, DecodeError> {
        AckProperties::read_block(reader).map_err(|error| match error {
            DecodeError::PropertyNotAllowed { property, .. } => {
                DecodeError::PropertyNotAllowed { property, packet }
            }
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &'static [u8]) -> Result<AckProperties, DecodeError> {
        let mut reader = Reader::new(Bytes::from_static(bytes), true);
        let set = AckProperties::read_block(&mut reader)?;
        reader.finish()?;
        Ok(set)
    }

    #[test]
    fn round_trip_keeps_user_property_order() {
        let set = AckProperties {
            reason_string: MqttString::new("why").ok(),
            user_properties: vec![
                UserProperty::new("b", "1").unwrap_or_else(|_| unreachable!()),
                UserProperty::new("a", "2").unwrap_or_else(|_| unreachable!()),
                UserProperty::new("b", "3").unwrap_or_else(|_| unreachable!()),
            ],
        };
        let mut buf = BytesMut::new();
        assert_eq!(set.write_block(&mut buf), Ok(()));
        assert_eq!(Ok(buf.len()), set.block_len());
        let mut reader = Reader::new(buf.freeze(), true);
        assert_eq!(AckProperties::read_block(&mut reader), Ok(set));
    }

    #[test]
    fn duplicate_single_valued_property_is_a_protocol_error() {
        let error = read(&[8, 0x1F, 0, 1, b'a', 0x1F, 0, 1, b'b']);
        assert_eq!(
            error,
            Err(DecodeError::DuplicateProperty {
                property: PropertyId::ReasonString
            })
        );
    }

    #[test]
    fn property_not_allowed_in_packet_is_malformed() {
        assert_eq!(
            read(&[2, 0x25, 1]),
            Err(DecodeError::PropertyNotAllowed {
                property: PropertyId::RetainAvailable,
                packet: crate::header::PacketType::PubAck,
            })
        );
    }

    #[test]
    fn unknown_property_is_malformed() {
        assert_eq!(
            read(&[2, 0x7E, 1]),
            Err(DecodeError::UnknownProperty { id: 0x7E })
        );
    }

    #[test]
    fn property_block_longer_than_packet_is_truncated() {
        assert_eq!(read(&[9, 0x1F, 0, 1, b'a']), Err(DecodeError::Truncated));
    }
}
