//! Application messages as the broker routes them: shared by every recipient, never copied.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hermod_codec::{MqttString, PublishProperties, QoS, SubscriptionId, TopicName};

use crate::broker::SharedKey;

/// One application message, shared (`Arc`) by every session it is delivered to.
#[derive(Debug)]
pub struct Message {
    /// The topic it was published to.
    pub topic: TopicName,
    /// The payload, a slice of the publisher's read buffer.
    pub payload: Bytes,
    /// The QoS it was published with (each recipient gets at most its granted QoS).
    pub qos: QoS,
    /// The RETAIN flag as published.
    pub retain: bool,
    /// Properties passed through to recipients (without Topic Alias and Subscription
    /// Identifiers, which are per connection).
    pub properties: PublishProperties,
    /// The session that published it, for No Local; `None` for wills and broker messages.
    pub publisher: Option<u64>,
    /// The publisher's client identifier (empty for broker messages), for the hash-of-client-id
    /// shared-subscription strategy.
    pub publisher_client_id: MqttString,
    /// When the message expires (from Message Expiry Interval), if it does.
    pub expires_at: Option<Instant>,
    /// The first wire form a recipient needed, shared by later recipients that need the same
    /// one (see [`WireForm`]). Empty when the message is made.
    pub encoded: OnceLock<(WireForm, Bytes)>,
}

/// What decides a PUBLISH's bytes when no per-recipient property is involved: recipients with
/// equal forms get the same bytes except the packet identifier (and the DUP bit), which are
/// patched in a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireForm {
    /// MQTT 5 (properties on the wire) or 3.x.
    pub v5: bool,
    /// The delivered QoS.
    pub qos: QoS,
    /// The RETAIN flag sent.
    pub retain: bool,
}

impl Message {
    /// True once the message's expiry interval has passed (MQTT-3.3.2-5).
    pub fn is_expired(&self, now: Instant) -> bool {
        self.expires_at.is_some_and(|deadline| now >= deadline)
    }

    /// The Message Expiry Interval to send on, in whole seconds still remaining (MQTT-3.3.2-6),
    /// or `None` if the message does not expire.
    pub fn remaining_expiry(&self, now: Instant) -> Option<u32> {
        let deadline = self.expires_at?;
        let remaining = deadline.saturating_duration_since(now);
        Some(u32::try_from(remaining.as_secs()).unwrap_or(u32::MAX))
    }

    /// The deadline for an expiry interval in seconds, received at `now`.
    pub fn deadline(now: Instant, interval_secs: Option<u32>) -> Option<Instant> {
        interval_secs.map(|secs| now + Duration::from_secs(u64::from(secs)))
    }

    /// A copy whose topic and payload own their bytes instead of slicing a read buffer.
    pub fn detached(&self) -> Message {
        Message {
            topic: detached_topic(&self.topic),
            payload: Bytes::copy_from_slice(&self.payload),
            qos: self.qos,
            retain: self.retain,
            properties: detach_properties(&self.properties),
            publisher: self.publisher,
            publisher_client_id: self.publisher_client_id.clone(),
            expires_at: self.expires_at,
            encoded: OnceLock::new(),
        }
    }

    /// The bytes this message counts against queue limits.
    pub fn queued_size(&self) -> usize {
        self.payload.len() + self.topic.len()
    }
}

/// A message on its way to one session: the shared message plus what is particular to this
/// recipient.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The message.
    pub message: Arc<Message>,
    /// The QoS it is delivered with: the lower of the published QoS and the granted one.
    pub qos: QoS,
    /// The RETAIN flag to send (Retain As Published, or set for retained messages sent on
    /// subscribe).
    pub retain: bool,
    /// Identifiers of the subscriptions that matched (MQTT 5).
    pub subscription_ids: Vec<SubscriptionId>,
    /// Set when the message reached this session only through a shared subscription: if the
    /// session disconnects before acknowledging it, another member of the group gets it.
    pub shared: Option<Arc<SharedKey>>,
    /// Its number in the session's stored queue (see [`crate::persist::Persistence`]); 0 when
    /// it is not stored (QoS 0, or a session without a stored record).
    pub seq: u64,
}

/// A copy of a topic name in its own allocation (a decoded name slices a read buffer, which a
/// long-lived copy must not keep alive).
pub(crate) fn detached_topic(topic: &TopicName) -> TopicName {
    TopicName::try_from(Bytes::copy_from_slice(topic.as_bytes())).unwrap_or_else(|_| topic.clone())
}

/// A copy of PUBLISH properties whose strings and binary data own their bytes.
fn detach_properties(properties: &PublishProperties) -> PublishProperties {
    let string =
        |value: &MqttString| MqttString::new(value.as_str()).unwrap_or_else(|_| value.clone());
    let mut copy = properties.clone();
    if let Some(metadata) = copy.metadata.as_deref_mut() {
        metadata.response_topic = metadata.response_topic.as_ref().map(|topic| {
            TopicName::from_string(string(topic.as_mqtt_string())).unwrap_or_else(|_| topic.clone())
        });
        metadata.correlation_data = metadata
            .correlation_data
            .as_ref()
            .map(|data| Bytes::copy_from_slice(data));
        metadata.content_type = metadata.content_type.as_ref().map(string);
        for property in &mut metadata.user_properties {
            property.key = string(&property.key);
            property.value = string(&property.value);
        }
    }
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A detached copy (kept as a retained message) must not share the read buffer the
    /// message was decoded from, or one small retained message pins a whole buffer.
    #[test]
    fn detached_message_owns_its_topic_and_payload() {
        let read_buffer = Bytes::from(vec![b'a'; 4096]);
        let topic = TopicName::try_from(read_buffer.slice(0..5)).unwrap_or_default();
        let message = Message {
            topic,
            payload: read_buffer.slice(100..110),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: PublishProperties::default(),
            publisher: None,
            publisher_client_id: MqttString::default(),
            expires_at: None,
            encoded: OnceLock::new(),
        };
        let detached = message.detached();
        let range = read_buffer.as_ptr_range();
        assert!(!range.contains(&detached.payload.as_ptr()));
        assert!(!range.contains(&detached.topic.as_bytes().as_ptr()));
        assert_eq!(detached.payload, message.payload);
        assert_eq!(detached.topic, message.topic);
    }
}
