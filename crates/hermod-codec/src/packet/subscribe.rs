//! SUBSCRIBE (MQTT 5.0 section 3.8): a request for one or more subscriptions.

use bytes::{BufMut, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::header::PacketType;
use crate::property::{PropertySet, SubscriptionId, UserProperty, property_set};
use crate::qos::{PacketId, QoS};
use crate::string::MqttString;
use crate::topic::TopicFilter;
use crate::version::ProtocolVersion;
use crate::wire::{self, Reader};

/// A SUBSCRIBE packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscribe {
    /// The packet identifier, echoed in SUBACK.
    pub packet_id: PacketId,
    /// MQTT 5 properties (empty before 5.0).
    pub properties: SubscribeProperties,
    /// The requested subscriptions, in order (at least one).
    pub subscriptions: Vec<Subscription>,
}

property_set! {
    /// Properties of SUBSCRIBE (MQTT 5.0 section 3.8.2.1).
    SubscribeProperties for Subscribe {
        /// Identifier attached to messages delivered through these subscriptions.
        subscription_identifier: SubscriptionId = SubscriptionIdentifier,
    }
    repeated {
        /// Name/value pairs, in order.
        user_properties: UserProperty = UserProperty,
    }
}

/// A topic filter as requested: valid, or invalid with the reason, so that the receiver can
/// answer that one filter with SUBACK/UNSUBACK 0x8F (0x80 in 3.1.1) and keep the others.
pub type RequestedFilter = Result<TopicFilter, InvalidTopicFilter>;

/// A requested topic filter that is well-formed UTF-8 but breaks the topic-filter rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidTopicFilter {
    /// The filter as sent.
    pub text: MqttString,
    /// The rule it breaks.
    pub error: DecodeError,
}

/// One requested subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The topic filter.
    pub filter: RequestedFilter,
    /// The subscription options.
    pub options: SubscriptionOptions,
}

/// The options byte of a subscription (MQTT 5.0 section 3.8.3.1; only `qos` before 5.0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SubscriptionOptions {
    /// The highest QoS the subscriber accepts.
    pub qos: QoS,
    /// Do not deliver the subscriber's own publications back to it.
    pub no_local: bool,
    /// Keep the RETAIN flag of forwarded messages as published.
    pub retain_as_published: bool,
    /// When retained messages are sent.
    pub retain_handling: RetainHandling,
}

/// When retained messages are sent for a new subscription.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RetainHandling {
    /// 0: at subscribe time.
    #[default]
    SendOnSubscribe,
    /// 1: at subscribe time, only if the subscription did not exist yet.
    SendIfNewSubscription,
    /// 2: never.
    DoNotSend,
}

mod option {
    pub(super) const QOS: u8 = 0b0000_0011;
    pub(super) const NO_LOCAL: u8 = 0b0000_0100;
    pub(super) const RETAIN_AS_PUBLISHED: u8 = 0b0000_1000;
    pub(super) const RETAIN_HANDLING_SHIFT: u8 = 4;
    pub(super) const RETAIN_HANDLING: u8 = 0b0011_0000;
    pub(super) const RESERVED_V5: u8 = 0b1100_0000;
    pub(super) const RESERVED_V3: u8 = 0b1111_1100;
}

impl SubscriptionOptions {
    /// Options requesting `qos` with every MQTT 5 option at its default.
    pub fn with_qos(qos: QoS) -> SubscriptionOptions {
        SubscriptionOptions {
            qos,
            ..SubscriptionOptions::default()
        }
    }

    /// Reads the options byte of a SUBSCRIBE entry (reserved bits must be 0).
    pub fn from_byte(
        byte: u8,
        version: ProtocolVersion,
    ) -> Result<SubscriptionOptions, DecodeError> {
        let reserved = if version.is_v5() {
            option::RESERVED_V5
        } else {
            option::RESERVED_V3
        };
        if byte & reserved != 0 {
            return Err(DecodeError::ReservedSubscriptionOptions);
        }
        let qos = QoS::from_bits(byte & option::QOS).ok_or(DecodeError::InvalidSubscriptionQos)?;
        let retain_handling =
            match (byte & option::RETAIN_HANDLING) >> option::RETAIN_HANDLING_SHIFT {
                0 => RetainHandling::SendOnSubscribe,
                1 => RetainHandling::SendIfNewSubscription,
                2 => RetainHandling::DoNotSend,
                _ => return Err(DecodeError::InvalidRetainHandling),
            };
        Ok(SubscriptionOptions {
            qos,
            no_local: byte & option::NO_LOCAL != 0,
            retain_as_published: byte & option::RETAIN_AS_PUBLISHED != 0,
            retain_handling,
        })
    }

    /// The options byte of a SUBSCRIBE entry (3.x carries the QoS only).
    pub fn to_byte(self, version: ProtocolVersion) -> u8 {
        let mut byte = self.qos.bits();
        if version.is_v5() {
            if self.no_local {
                byte |= option::NO_LOCAL;
            }
            if self.retain_as_published {
                byte |= option::RETAIN_AS_PUBLISHED;
            }
            let handling = match self.retain_handling {
                RetainHandling::SendOnSubscribe => 0,
                RetainHandling::SendIfNewSubscription => 1,
                RetainHandling::DoNotSend => 2,
            };
            byte |= handling << option::RETAIN_HANDLING_SHIFT;
        }
        byte
    }
}

/// Reads one topic filter, keeping a syntactically invalid one for a per-filter answer.
pub(crate) fn read_requested_filter(reader: &mut Reader) -> Result<RequestedFilter, DecodeError> {
    let text = reader.read_string()?;
    Ok(TopicFilter::from_string(text.clone()).map_err(|error| InvalidTopicFilter { text, error }))
}

/// The string a requested filter was sent as.
pub(crate) fn requested_filter_text(filter: &RequestedFilter) -> &MqttString {
    match filter {
        Ok(filter) => filter.as_mqtt_string(),
        Err(invalid) => &invalid.text,
    }
}

impl Subscribe {
    /// A SUBSCRIBE for one filter with the given options.
    pub fn new(
        packet_id: PacketId,
        filter: TopicFilter,
        options: SubscriptionOptions,
    ) -> Subscribe {
        Subscribe {
            packet_id,
            properties: SubscribeProperties::default(),
            subscriptions: vec![Subscription {
                filter: Ok(filter),
                options,
            }],
        }
    }

    pub(crate) fn decode(
        version: ProtocolVersion,
        reader: &mut Reader,
    ) -> Result<Subscribe, DecodeError> {
        let packet_id = reader.read_packet_id()?;
        let properties = if version.is_v5() {
            SubscribeProperties::read_block(reader)?
        } else {
            SubscribeProperties::default()
        };
        let mut subscriptions = Vec::new();
        while !reader.is_empty() {
            let filter = read_requested_filter(reader)?;
            let options = SubscriptionOptions::from_byte(reader.read_u8()?, version)?;
            if options.no_local && matches!(&filter, Ok(filter) if filter.is_shared()) {
                return Err(DecodeError::NoLocalOnSharedSubscription);
            }
            subscriptions.push(Subscription { filter, options });
        }
        if subscriptions.is_empty() {
            return Err(DecodeError::NoTopicFilterInSubscribe);
        }
        Ok(Subscribe {
            packet_id,
            properties,
            subscriptions,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if self.subscriptions.is_empty() {
            return Err(EncodeError::NoTopicFilter {
                packet: PacketType::Subscribe,
            });
        }
        let mut len = 2;
        if version.is_v5() {
            len += self.properties.block_len()?;
        }
        for subscription in &self.subscriptions {
            len += requested_filter_text(&subscription.filter).wire_len() + 1;
        }
        Ok(len)
    }

    pub(crate) fn write_body(
        &self,
        version: ProtocolVersion,
        buf: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        buf.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.write_block(buf)?;
        }
        for subscription in &self.subscriptions {
            wire::put_string(buf, requested_filter_text(&subscription.filter));
            buf.put_u8(subscription.options.to_byte(version));
        }
        Ok(())
    }
}
