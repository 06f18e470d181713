//! SUBSCRIBE and UNSUBSCRIBE strategies.

use hermod_codec::{
    Packet, ProtocolVersion, RetainHandling, Subscribe, SubscribeProperties, Subscription,
    SubscriptionOptions, Unsubscribe, UnsubscribeProperties,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::sample::select;

use super::fields::{packet_id, qos, requested_filter, subscription_id, user_properties};

fn subscription(version: ProtocolVersion) -> impl Strategy<Value = Subscription> {
    (
        requested_filter(),
        qos(),
        any::<bool>(),
        any::<bool>(),
        select(vec![
            RetainHandling::SendOnSubscribe,
            RetainHandling::SendIfNewSubscription,
            RetainHandling::DoNotSend,
        ]),
    )
        .prop_map(
            move |(filter, qos, no_local, retain_as_published, retain_handling)| {
                let options = if version.is_v5() {
                    // No Local on a shared subscription is a protocol error (MQTT-3.8.3-4).
                    let shared = matches!(&filter, Ok(filter) if filter.is_shared());
                    SubscriptionOptions {
                        qos,
                        no_local: no_local && !shared,
                        retain_as_published,
                        retain_handling,
                    }
                } else {
                    SubscriptionOptions::with_qos(qos)
                };
                Subscription { filter, options }
            },
        )
}

pub(super) fn subscribe(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let properties = if version.is_v5() {
        (of(subscription_id()), user_properties())
            .prop_map(
                |(subscription_identifier, user_properties)| SubscribeProperties {
                    subscription_identifier,
                    user_properties,
                },
            )
            .boxed()
    } else {
        Just(SubscribeProperties::default()).boxed()
    };
    (packet_id(), properties, vec(subscription(version), 1..5))
        .prop_map(|(packet_id, properties, subscriptions)| {
            Packet::Subscribe(Subscribe {
                packet_id,
                properties,
                subscriptions,
            })
        })
        .boxed()
}

pub(super) fn unsubscribe(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let properties = if version.is_v5() {
        user_properties()
            .prop_map(|user_properties| UnsubscribeProperties { user_properties })
            .boxed()
    } else {
        Just(UnsubscribeProperties::default()).boxed()
    };
    (packet_id(), properties, vec(requested_filter(), 1..5))
        .prop_map(|(packet_id, properties, filters)| {
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                properties,
                filters,
            })
        })
        .boxed()
}
