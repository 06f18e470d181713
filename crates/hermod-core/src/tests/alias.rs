//! MQTT 5 Topic Aliases, inbound (client to broker) and outbound (broker to client).

use hermod_codec::{Packet, QoS, ReasonCode, TopicAlias, TopicName};

use super::harness::*;
use crate::{BrokerConfig, Violation};

/// A QoS 0 PUBLISH with a Topic Alias; an empty `topic` uses the alias alone.
fn aliased(topic: &str, alias: u16, payload: &'static [u8]) -> Packet {
    let Packet::Publish(mut publish) = publish("x", payload, QoS::AtMostOnce, 0) else {
        unreachable!()
    };
    publish.topic = if topic.is_empty() {
        TopicName::aliased()
    } else {
        topic_name(topic)
    };
    publish.properties.topic_alias = TopicAlias::new(alias);
    Packet::Publish(publish)
}

#[test]
fn inbound_alias_is_set_then_used() {
    let world = World::new();
    let mut sub = world.client(V5, "sub");
    sub.subscribe("#", QoS::AtMostOnce);
    let mut publisher = world.client(V5, "pub");
    publisher.send(aliased("a/long/topic", 1, b"set")).unwrap();
    publisher.send(aliased("", 1, b"use")).unwrap();
    publisher.send(aliased("other", 1, b"remap")).unwrap();
    publisher.send(aliased("", 1, b"use again")).unwrap();
    let got = sub.publishes();
    let topics: Vec<&str> = got.iter().map(|publish| publish.topic.as_str()).collect();
    assert_eq!(topics, ["a/long/topic", "a/long/topic", "other", "other"]);
    assert_eq!(payloads(&got), ["set", "use", "remap", "use again"]);
    assert!(
        got.iter()
            .all(|publish| publish.properties.topic_alias.is_none()),
        "inbound aliases are not forwarded"
    );
}

#[test]
fn unknown_inbound_alias_disconnects_with_0x94() {
    let world = World::new();
    let mut publisher = world.client(V5, "pub");
    let result = publisher.send(aliased("", 3, b"m"));
    assert_eq!(result, Err(Violation::UnknownTopicAlias { alias: 3 }));
    assert_eq!(
        Client::disconnect_reason(&publisher.received()),
        Some(ReasonCode::TOPIC_ALIAS_INVALID)
    );
}

#[test]
fn inbound_alias_above_the_maximum_disconnects_with_0x94() {
    let world = World::with_config(BrokerConfig {
        topic_alias_maximum: 5,
        ..BrokerConfig::default()
    });
    let (mut publisher, connack) = world.connect(connect(V5, "pub"));
    assert_eq!(connack.properties.topic_alias_maximum, Some(5));
    publisher.send(aliased("t", 5, b"ok")).unwrap();
    let result = publisher.send(aliased("t", 6, b"m"));
    assert!(matches!(
        result,
        Err(Violation::TopicAliasOutOfRange {
            alias: 6,
            maximum: 5
        })
    ));
    assert_eq!(
        Client::disconnect_reason(&publisher.received()),
        Some(ReasonCode::TOPIC_ALIAS_INVALID),
        "MQTT-3.3.2-10"
    );
}

#[test]
fn inbound_alias_is_refused_when_the_broker_offers_none() {
    let world = World::with_config(BrokerConfig {
        topic_alias_maximum: 0,
        ..BrokerConfig::default()
    });
    let (mut publisher, connack) = world.connect(connect(V5, "pub"));
    assert_eq!(connack.properties.topic_alias_maximum, None);
    assert!(publisher.send(aliased("t", 1, b"m")).is_err());
}

/// A subscriber to `#` that accepts `maximum` outbound aliases.
fn alias_subscriber(world: &World, maximum: u16, max_packet_size: Option<u32>) -> Client {
    let mut request = connect(V5, "sub");
    request.properties.topic_alias_maximum = Some(maximum);
    if let Some(size) = max_packet_size {
        request = with_max_packet_size(request, size);
    }
    let (mut sub, _) = world.connect(request);
    sub.subscribe("#", QoS::AtMostOnce);
    sub
}

#[test]
fn outbound_aliases_are_used_up_to_the_clients_maximum() {
    let world = World::new();
    let mut sub = alias_subscriber(&world, 2, None);
    let mut publisher = world.client(V5, "pub");
    for topic in ["a", "a", "b", "c", "b", "c"] {
        publisher
            .send(publish(topic, b"m", QoS::AtMostOnce, 0))
            .unwrap();
    }
    let got = sub.publishes();
    let seen: Vec<(&str, Option<u16>)> = got
        .iter()
        .map(|publish| {
            (
                publish.topic.as_str(),
                publish.properties.topic_alias.map(|alias| alias.get()),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("a", Some(1)),
            ("", Some(1)),
            ("b", Some(2)),
            ("c", None),
            ("", Some(2)),
            ("c", None),
        ],
        "MQTT-3.3.2-9: never above the client's Topic Alias Maximum"
    );
}

#[test]
fn no_outbound_aliases_without_a_client_maximum() {
    let world = World::new();
    let mut sub = world.client(V5, "sub");
    sub.subscribe("#", QoS::AtMostOnce);
    let mut publisher = world.client(V5, "pub");
    publisher
        .send(publish("a", b"m", QoS::AtMostOnce, 0))
        .unwrap();
    publisher
        .send(publish("a", b"m", QoS::AtMostOnce, 0))
        .unwrap();
    let got = sub.publishes();
    assert!(
        got.iter().all(
            |publish| publish.topic.as_str() == "a" && publish.properties.topic_alias.is_none()
        )
    );
}

#[test]
fn oversized_message_does_not_set_an_outbound_alias() {
    // The PUBLISH that would have set the alias is never sent: the next message on that
    // topic must carry the topic name, or the client sees an unknown alias.
    let world = World::new();
    let mut sub = alias_subscriber(&world, 5, Some(64));
    let mut publisher = world.client(V5, "pub");
    const BIG: &[u8] = &[b'x'; 200];
    publisher
        .send(publish("t", BIG, QoS::AtMostOnce, 0))
        .unwrap();
    publisher
        .send(publish("t", b"small", QoS::AtMostOnce, 0))
        .unwrap();
    let got = sub.publishes();
    assert_eq!(payloads(&got), ["small"]);
    assert_eq!(
        got[0].topic.as_str(),
        "t",
        "the alias was never established"
    );
}

#[test]
fn reason_string_is_left_out_when_it_would_exceed_the_clients_maximum_packet_size() {
    // MQTT-3.1.2-24: the DISCONNECT still goes, without its Reason String.
    let world = World::new();
    let (mut publisher, _) = world.connect(with_max_packet_size(connect(V5, "pub"), 32));
    assert!(publisher.send(aliased("", 3, b"m")).is_err());
    assert_eq!(
        Client::disconnect_reason(&publisher.received()),
        Some(ReasonCode::TOPIC_ALIAS_INVALID)
    );
}
