//! PUBLISH (MQTT 5.0 section 3.3): an application message.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::property::{
    PayloadFormat, PropertySet, SubscriptionId, TopicAlias, UserProperty, property_set,
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

property_set! {
    /// Properties of PUBLISH (MQTT 5.0 section 3.3.2.3).
    PublishProperties for Publish {
        /// Whether the payload is UTF-8 text.
        payload_format: PayloadFormat = PayloadFormatIndicator,
        /// Remaining lifetime of the message in seconds.
        message_expiry_interval: u32 = MessageExpiryInterval,
        /// A number standing for the topic name on this connection.
        topic_alias: TopicAlias = TopicAlias,
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
        let topic = TopicName::from_string_allow_empty(reader.read_string()?)?;
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
        if role == Role::Server && !properties.subscription_identifiers.is_empty() {
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
