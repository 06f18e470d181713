//! PUBLISH strategies, in the form each version and each sender can carry.

use hermod_codec::{ProtocolVersion, Publish, PublishMetadata, PublishProperties, QoS, TopicName};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::Sender;
use super::fields::{
    binary, mqtt_string, packet_id, payload, payload_format, qos, subscription_id, topic_alias,
    topic_name, user_properties,
};

fn publish_properties(sender: Sender) -> impl Strategy<Value = PublishProperties> {
    // Subscription identifiers only travel from server to client (MQTT-3.3.4-6).
    let subscription_identifiers = match sender {
        Sender::Server => vec(subscription_id(), 0..4).boxed(),
        Sender::Client => Just(Vec::new()).boxed(),
    };
    (
        of(payload_format()),
        of(any::<u32>()),
        of(topic_alias()),
        of(topic_name()),
        of(binary(24)),
        of(mqtt_string()),
        user_properties(),
        subscription_identifiers,
    )
        .prop_map(
            |(
                payload_format,
                message_expiry_interval,
                topic_alias,
                response_topic,
                correlation_data,
                content_type,
                user_properties,
                subscription_identifiers,
            )| {
                let metadata = PublishMetadata {
                    response_topic,
                    correlation_data,
                    content_type,
                    user_properties,
                    subscription_identifiers,
                };
                PublishProperties {
                    payload_format,
                    message_expiry_interval,
                    topic_alias,
                    // A decoded PUBLISH has no metadata box when it carries none of those.
                    metadata: (metadata != PublishMetadata::default()).then(|| Box::new(metadata)),
                }
            },
        )
}

/// A PUBLISH in `version` as `sender` would send it.
pub(crate) fn publish(version: ProtocolVersion, sender: Sender) -> BoxedStrategy<Publish> {
    let properties = if version.is_v5() {
        publish_properties(sender).boxed()
    } else {
        Just(PublishProperties::default()).boxed()
    };
    (
        qos(),
        any::<bool>(),
        any::<bool>(),
        topic_name(),
        any::<bool>(),
        packet_id(),
        properties,
        payload(),
    )
        .prop_map(
            |(qos, dup, retain, topic, aliased, packet_id, properties, payload)| {
                let at_most_once = qos == QoS::AtMostOnce;
                // The topic name may be empty only when a Topic Alias stands for it.
                let topic = if aliased && properties.topic_alias.is_some() {
                    TopicName::aliased()
                } else {
                    topic
                };
                Publish {
                    dup: dup && !at_most_once,
                    qos,
                    retain,
                    topic,
                    packet_id: (!at_most_once).then_some(packet_id),
                    properties,
                    payload,
                }
            },
        )
        .boxed()
}
