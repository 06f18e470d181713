//! UNSUBSCRIBE (MQTT 5.0 section 3.10): a request to remove subscriptions.

use bytes::{BufMut, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::header::PacketType;
use crate::packet::subscribe::{RequestedFilter, read_requested_filter, requested_filter_text};
use crate::property::{PropertySet, UserProperty, property_set};
use crate::qos::PacketId;
use crate::topic::TopicFilter;
use crate::version::ProtocolVersion;
use crate::wire::{self, Reader};

/// An UNSUBSCRIBE packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsubscribe {
    /// The packet identifier, echoed in UNSUBACK.
    pub packet_id: PacketId,
    /// MQTT 5 properties (empty before 5.0).
    pub properties: UnsubscribeProperties,
    /// The filters to remove, in order (at least one).
    pub filters: Vec<RequestedFilter>,
}

property_set! {
    /// Properties of UNSUBSCRIBE (MQTT 5.0 section 3.10.2.1).
    UnsubscribeProperties for Unsubscribe {
    }
    repeated {
        /// Name/value pairs, in order.
        user_properties: UserProperty = UserProperty,
    }
}

impl Unsubscribe {
    /// An UNSUBSCRIBE for one filter.
    pub fn new(packet_id: PacketId, filter: TopicFilter) -> Unsubscribe {
        Unsubscribe {
            packet_id,
            properties: UnsubscribeProperties::default(),
            filters: vec![Ok(filter)],
        }
    }

    pub(crate) fn decode(
        version: ProtocolVersion,
        reader: &mut Reader,
    ) -> Result<Unsubscribe, DecodeError> {
        let packet_id = reader.read_packet_id()?;
        let properties = if version.is_v5() {
            UnsubscribeProperties::read_block(reader)?
        } else {
            UnsubscribeProperties::default()
        };
        let mut filters = Vec::new();
        while !reader.is_empty() {
            filters.push(read_requested_filter(reader)?);
        }
        if filters.is_empty() {
            return Err(DecodeError::NoTopicFilterInUnsubscribe);
        }
        Ok(Unsubscribe {
            packet_id,
            properties,
            filters,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if self.filters.is_empty() {
            return Err(EncodeError::NoTopicFilter {
                packet: PacketType::Unsubscribe,
            });
        }
        let mut len = 2;
        if version.is_v5() {
            len += self.properties.block_len()?;
        }
        for filter in &self.filters {
            len += requested_filter_text(filter).wire_len();
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
        for filter in &self.filters {
            wire::put_string(buf, requested_filter_text(filter));
        }
        Ok(())
    }
}
