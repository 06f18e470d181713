//! PUBLISH (MQTT 5.0 section 3.3): an application message.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::property::{
    PayloadFormat, PropertyId, PropertySet, PropertyValue, SubscriptionId, TopicAlias,
    UserProperty, entry_len, property_set, put_entry, set_once,
};
use crate::qos::{PacketId, QoS};
use crate::string::MqttString;
use crate::topic::TopicName;
use crate::version::{ProtocolVersion, Role};
use crate::wire::{self, Reader};

/// A PUBLISH packet. The payload shares the buffer it was decoded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    /// Whether this is a redelivery (only with QoS 1 or 2).
    pub dup: bool,
    /// The quality of service.
    pub qos: QoS,
    /// Whether the message is (to be) retained.
    pub retain: bool,
    /// The topic (empty only when an MQTT 5 Topic Alias stands for it).
    pub topic: TopicName,
    /// The packet identifier: present exactly when QoS is 1 or 2.
    pub packet_id: Option<PacketId>,
    /// MQTT 5 properties (empty before 5.0).
    pub properties: PublishProperties,
    /// The application message.
    pub payload: Bytes,
}

/// Properties of PUBLISH (MQTT 5.0 section 3.3.2.3).
///
/// The three small, frequent properties are inline; the rest live in a boxed
/// [`PublishMetadata`] that is `None` when the message carries none of them, so a PUBLISH stays
/// small to move and costs no allocation on the common path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishProperties {
    /// Whether the payload is UTF-8 text.
    pub payload_format: Option<PayloadFormat>,
    /// Remaining lifetime of the message in seconds.
    pub message_expiry_interval: Option<u32>,
    /// A number standing for the topic name on this connection.
    pub topic_alias: Option<TopicAlias>,
    /// The less frequent properties; `None` when there are none (never `Some` of an empty
    /// set after decoding).
    pub metadata: Option<Box<PublishMetadata>>,
}

property_set! {
    /// The less frequent properties of PUBLISH: request/response, content type, user
    /// properties and subscription identifiers.
    PublishMetadata for Publish {
        /// Topic for a response.
        response_topic: TopicName = ResponseTopic,
        /// Data correlating a response with this request.
        correlation_data: Bytes = CorrelationData,
        /// MIME-like description of the payload.
        content_type: MqttString = ContentType,
    }
    repeated {
        /// Name/value pairs, in order.
        user_properties: UserProperty = UserProperty,
        /// Identifiers of the subscriptions that matched (server to client only).
        subscription_identifiers: SubscriptionId = SubscriptionIdentifier,
    }
}

impl PublishProperties {
    /// The metadata, created empty if absent (for building a message).
    pub fn metadata_mut(&mut self) -> &mut PublishMetadata {
        self.metadata.get_or_insert_with(Box::default)
    }

    /// The User Properties, in order (empty if none).
    pub fn user_properties(&self) -> &[UserProperty] {
        self.metadata
            .as_deref()
            .map_or(&[], |metadata| &metadata.user_properties)
    }

    /// The Subscription Identifiers (empty if none).
    pub fn subscription_identifiers(&self) -> &[SubscriptionId] {
        self.metadata
            .as_deref()
            .map_or(&[], |metadata| &metadata.subscription_identifiers)
    }

    /// The Response Topic, if any.
    pub fn response_topic(&self) -> Option<&TopicName> {
        self.metadata.as_deref()?.response_topic.as_ref()
    }

    /// The Correlation Data, if any.
    pub fn correlation_data(&self) -> Option<&Bytes> {
        self.metadata.as_deref()?.correlation_data.as_ref()
    }

    /// The Content Type, if any.
    pub fn content_type(&self) -> Option<&MqttString> {
        self.metadata.as_deref()?.content_type.as_ref()
    }
}

impl PropertySet for PublishProperties {
    fn accept(&mut self, id: PropertyId, reader: &mut Reader) -> Result<(), DecodeError> {
        match id {
            PropertyId::PayloadFormatIndicator => set_once(
                &mut self.payload_format,
                PayloadFormat::read(reader, id)?,
                id,
            ),
            PropertyId::MessageExpiryInterval => set_once(
                &mut self.message_expiry_interval,
                u32::read(reader, id)?,
                id,
            ),
            PropertyId::TopicAlias => {
                set_once(&mut self.topic_alias, TopicAlias::read(reader, id)?, id)
            }
            _ => self.metadata_mut().accept(id, reader),
        }
    }

    fn content_len(&self) -> Result<usize, EncodeError> {
        let mut len = 0;
        if let Some(format) = &self.payload_format {
            len += entry_len(format)?;
        }
        if let Some(expiry) = &self.message_expiry_interval {
            len += entry_len(expiry)?;
        }
        if let Some(alias) = &self.topic_alias {
            len += entry_len(alias)?;
        }
        if let Some(metadata) = &self.metadata {
            len += metadata.content_len()?;
        }
        Ok(len)
    }

    fn write_content(&self, buf: &mut BytesMut) {
        if let Some(format) = &self.payload_format {
            put_entry(buf, PropertyId::PayloadFormatIndicator, format);
        }
        if let Some(expiry) = &self.message_expiry_interval {
            put_entry(buf, PropertyId::MessageExpiryInterval, expiry);
        }
        if let Some(alias) = &self.topic_alias {
            put_entry(buf, PropertyId::TopicAlias, alias);
        }
        if let Some(metadata) = &self.metadata {
            metadata.write_content(buf);
        }
    }
}

mod flag {
    pub(super) const RETAIN: u8 = 0b0001;
    pub(super) const QOS_SHIFT: u8 = 1;
    pub(super) const QOS: u8 = 0b0110;
    pub(super) const DUP: u8 = 0b1000;
}

impl Publish {
    /// A QoS 0 message without properties.
    pub fn new(topic: TopicName, payload: Bytes) -> Publish {
        Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic,
            packet_id: None,
            properties: PublishProperties::default(),
            payload,
        }
    }

    /// Checks the Payload Format Indicator against the payload; the receiver answers a failure
    /// with reason code 0x99 (MQTT 5.0 section 3.3.2.3.2).
    pub fn check_payload_format(&self) -> Result<(), DecodeError> {
        super::check_payload_format(self.properties.payload_format, &self.payload)
    }

    pub(crate) fn decode(
        version: ProtocolVersion,
        role: Role,
        flags: u8,
        reader: &mut Reader,
    ) -> Result<Publish, DecodeError> {
        let qos = QoS::from_bits((flags & flag::QOS) >> flag::QOS_SHIFT)
            .ok_or(DecodeError::InvalidQos)?;
        let dup = flags & flag::DUP != 0;
        if dup && qos == QoS::AtMostOnce {
            return Err(DecodeError::DupWithQos0);
        }
        let topic = TopicName::decode_allow_empty(reader.read_binary()?)?;
        let packet_id = match qos {
            QoS::AtMostOnce => None,
            QoS::AtLeastOnce | QoS::ExactlyOnce => Some(reader.read_packet_id()?),
        };
        let properties = if version.is_v5() {
            PublishProperties::read_block(reader)?
        } else {
            PublishProperties::default()
        };
        if topic.is_empty() && properties.topic_alias.is_none() {
            return Err(DecodeError::EmptyTopicName);
        }
        if role == Role::Server && !properties.subscription_identifiers().is_empty() {
            return Err(DecodeError::SubscriptionIdentifierFromClient);
        }
        Ok(Publish {
            dup,
            qos,
            retain: flags & flag::RETAIN != 0,
            topic,
            packet_id,
            properties,
            payload: reader.take_rest(),
        })
    }

    pub(crate) fn flags(&self) -> u8 {
        let mut flags = self.qos.bits() << flag::QOS_SHIFT;
        if self.dup {
            flags |= flag::DUP;
        }
        if self.retain {
            flags |= flag::RETAIN;
        }
        flags
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if (self.qos == QoS::AtMostOnce) != self.packet_id.is_none() {
            return Err(EncodeError::PacketIdMismatch);
        }
        if self.dup && self.qos == QoS::AtMostOnce {
            return Err(EncodeError::Invalid {
                error: DecodeError::DupWithQos0,
            });
        }
        if self.topic.is_empty() && !(version.is_v5() && self.properties.topic_alias.is_some()) {
            return Err(EncodeError::Invalid {
                error: DecodeError::EmptyTopicName,
            });
        }
        let mut len = self.topic.as_mqtt_string().wire_len() + self.payload.len();
        if self.packet_id.is_some() {
            len += 2;
        }
        if version.is_v5() {
            len += self.properties.block_len()?;
        }
        Ok(len)
    }

    pub(crate) fn write_body(
        &self,
        version: ProtocolVersion,
        buf: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        wire::put_string(buf, self.topic.as_mqtt_string());
        if let Some(packet_id) = self.packet_id {
            buf.put_u16(packet_id.get());
        }
        if version.is_v5() {
            self.properties.write_block(buf)?;
        }
        buf.put_slice(&self.payload);
        Ok(())
    }
}
