//! Topic length and level limits: deep or long topics are refused where they enter the broker
//! (PUBLISH, SUBSCRIBE, will), because the indexes walk one trie level per topic level.

use hermod_codec::{QoS, ReasonCode};

use super::harness::*;
use crate::{BrokerConfig, CloseReason, Violation};

fn limited() -> World {
    World::with_config(BrokerConfig {
        max_topic_levels: 3,
        max_topic_length: 16,
        ..BrokerConfig::default()
    })
}

#[test]
fn publish_beyond_the_topic_limits_closes_the_connection_with_0x90() {
    for topic in ["a/b/c/d", "aaaaaaaaaaaaaaaaaaaa"] {
        let world = limited();
        let mut client = world.client(V5, "deep");
        assert_eq!(
            client.send(publish(topic, b"x", QoS::AtMostOnce, 0)),
            Err(Violation::TopicTooLong),
            "{topic}"
        );
        assert_eq!(
            Client::disconnect_reason(&client.received()),
            Some(ReasonCode::TOPIC_NAME_INVALID)
        );
        assert_eq!(
            client.closed(),
            Some(CloseReason::ProtocolViolation(
                ReasonCode::TOPIC_NAME_INVALID
            ))
        );
    }
}

#[test]
fn publish_within_the_topic_limits_is_routed() {
    let world = limited();
    let mut sub = world.client(V5, "sub");
    sub.subscribe("a/b/c", QoS::AtMostOnce);
    let mut publisher = world.client(V5, "pub");
    publisher
        .send(publish("a/b/c", b"x", QoS::AtMostOnce, 0))
        .unwrap();
    assert_eq!(payloads(&sub.publishes()), ["x"]);
}

#[test]
fn subscription_beyond_the_topic_limits_gets_0x8f_and_3_1_1_gets_0x80() {
    for (version, refusal) in [
        (V5, ReasonCode::TOPIC_FILTER_INVALID),
        (V3, ReasonCode::UNSPECIFIED_ERROR),
    ] {
        let world = limited();
        let mut client = world.client(version, "sub");
        assert_eq!(client.subscribe("a/b/c/#", QoS::AtLeastOnce), [refusal]);
        assert_eq!(
            client.subscribe("a/+/c", QoS::AtLeastOnce),
            [ReasonCode::GRANTED_QOS_1]
        );
        assert!(client.closed().is_none(), "a refused filter does not close");
    }
}

#[test]
fn will_topic_beyond_the_limits_refuses_the_connection_with_0x90() {
    let world = limited();
    let connect = with_will(connect(V5, "will"), "w/x/y/z", b"bye", None);
    let (client, connack) = world.try_connect(connect);
    assert_eq!(connack.reason, ReasonCode::TOPIC_NAME_INVALID);
    assert!(client.closed().is_some());
}
