//! Shared subscriptions against a real broker: `$share/{group}/{filter}` and the `$queue/`
//! alias deliver each message to exactly one member, round robin spreads them, plain
//! subscriptions on the same topic are unaffected, and a member that leaves hands its
//! unacknowledged messages to another member.
//!
//! Each member also subscribes (plainly) to `barrier`; published last, it arrives at every
//! member after everything the member was given.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{TestBroker, v3, v5};
use rumqttc::QoS;
use rumqttc::v5::mqttbytes::QoS as QoS5;

/// Connects `count` MQTT 5 members subscribed to `filter` (and to `barrier`).
async fn v5_members(broker: &TestBroker, filter: &str, count: usize) -> Vec<v5::Client> {
    let mut members = Vec::new();
    for n in 0..count {
        let mut member = v5::Client::connect(broker, &format!("member-{n}")).await;
        member.subscribe(filter, QoS5::AtLeastOnce).await;
        member.subscribe("barrier", QoS5::AtMostOnce).await;
        members.push(member);
    }
    members
}

/// Publishes `count` numbered QoS 1 messages to `topic`, then the barrier.
async fn publish_numbered(broker: &TestBroker, topic: &str, count: usize) {
    let mut publisher = v5::Client::connect(broker, "producer").await;
    for n in 0..count {
        publisher
            .publish(topic, QoS5::AtLeastOnce, false, n.to_string().as_bytes())
            .await;
    }
    publisher
        .publish("barrier", QoS5::AtMostOnce, false, b"")
        .await;
}

/// The payloads a member received before the barrier.
async fn received_before_barrier(member: &mut v5::Client) -> Vec<String> {
    let mut payloads = Vec::new();
    loop {
        let (topic, payload) = member.next_message().await;
        if topic == "barrier" {
            return payloads;
        }
        payloads.push(payload);
    }
}

/// Checks every message 0..count reached exactly one member; returns how many each got.
fn assert_each_exactly_once(per_member: &[Vec<String>], count: usize) -> Vec<usize> {
    let all: Vec<&String> = per_member.iter().flatten().collect();
    let distinct: BTreeSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), count, "no message twice: {per_member:?}");
    let expected: BTreeSet<String> = (0..count).map(|n| n.to_string()).collect();
    assert_eq!(distinct, expected.iter().collect(), "no message lost");
    per_member.iter().map(Vec::len).collect()
}

/// MQTT 5.0 section 4.8.2: each message matching a shared subscription goes to exactly one
/// member of the group.
#[tokio::test]
async fn shared_subscription_delivers_each_message_to_exactly_one_member() {
    let broker = TestBroker::start().await;
    let mut members = v5_members(&broker, "$share/workers/jobs/+", 3).await;
    publish_numbered(&broker, "jobs/build", 30).await;
    let mut per_member = Vec::new();
    for member in &mut members {
        per_member.push(received_before_barrier(member).await);
    }
    assert_each_exactly_once(&per_member, 30);
    broker.stop().await;
}

/// `$queue/{filter}` (the EMQX alias for the `$queue` share group) shares messages the same
/// way, for MQTT 3.1.1 clients too.
#[tokio::test]
async fn queue_prefix_shares_messages_between_members() {
    let broker = TestBroker::start().await;
    let mut members = Vec::new();
    for n in 0..2 {
        let mut member = v3::Client::connect(&broker, &format!("queue-{n}")).await;
        member.subscribe("$queue/tasks", QoS::AtLeastOnce).await;
        member.subscribe("barrier", QoS::AtMostOnce).await;
        members.push(member);
    }
    publish_numbered(&broker, "tasks", 10).await;
    let mut per_member = Vec::new();
    for member in &mut members {
        let mut payloads = Vec::new();
        loop {
            let (topic, payload) = member.next_message().await;
            if topic == "barrier" {
                break;
            }
            payloads.push(payload);
        }
        per_member.push(payloads);
    }
    assert_each_exactly_once(&per_member, 10);
    broker.stop().await;
}

/// With the default round-robin strategy, connected members take turns: 12 messages over 3
/// members is 4 each. A plain subscription to the same topic still gets all 12.
#[tokio::test]
async fn shared_subscription_round_robin_spreads_messages() {
    let broker = TestBroker::start().await;
    let mut members = v5_members(&broker, "$share/rr/metrics", 3).await;
    let mut observer = v5::Client::connect(&broker, "observer").await;
    observer.subscribe("metrics", QoS5::AtLeastOnce).await;
    publish_numbered(&broker, "metrics", 12).await;

    let mut per_member = Vec::new();
    for member in &mut members {
        per_member.push(received_before_barrier(member).await);
    }
    assert_eq!(assert_each_exactly_once(&per_member, 12), [4, 4, 4]);
    let mut seen = Vec::new();
    for _ in 0..12 {
        seen.push(observer.next_message().await.1);
    }
    let expected: Vec<String> = (0..12).map(|n| n.to_string()).collect();
    assert_eq!(seen, expected);
    broker.stop().await;
}

/// MQTT 5.0 section 4.8.2 (a member's session ends with messages unacknowledged): QoS 1
/// messages a member received but did not acknowledge are given to another member when it
/// leaves, instead of being lost with its session.
#[tokio::test]
async fn shared_subscription_redelivers_unacknowledged_messages_when_a_member_leaves() {
    let broker = TestBroker::start().await;
    let mut options = v5::options(&broker, "slacker");
    options.set_manual_acks(true);
    let (mut slacker, _) = v5::Client::connect_with(options).await;
    slacker.subscribe("$share/g/work", QoS5::AtLeastOnce).await;
    let mut publisher = v5::Client::connect(&broker, "boss").await;
    publisher
        .publish("work", QoS5::AtLeastOnce, false, b"task")
        .await;
    // The only member gets it and never acknowledges it.
    assert_eq!(slacker.next_message().await.1, "task");

    let mut worker = v5::Client::connect(&broker, "worker").await;
    worker.subscribe("$share/g/work", QoS5::AtLeastOnce).await;
    slacker.drop_connection();
    assert_eq!(
        worker.next_message().await,
        ("work".to_owned(), "task".to_owned())
    );
    broker.stop().await;
}

/// MQTT 5.0 section 4.8.2: retained messages are not sent when a shared subscription is
/// made (they are for a plain subscription to the same filter).
#[tokio::test]
async fn shared_subscription_gets_no_retained_messages() {
    let broker = TestBroker::start().await;
    let mut publisher = v5::Client::connect(&broker, "retainer").await;
    publisher
        .publish("status", QoS5::AtLeastOnce, true, b"up")
        .await;
    let mut member = v5::Client::connect(&broker, "member").await;
    member.subscribe("$share/g/status", QoS5::AtLeastOnce).await;
    member.subscribe("barrier", QoS5::AtMostOnce).await;
    publisher
        .publish("barrier", QoS5::AtMostOnce, false, b"")
        .await;
    assert_eq!(member.next_message().await.0, "barrier");
    member.subscribe("status", QoS5::AtLeastOnce).await;
    let publish = member.next_publish().await;
    assert_eq!((&publish.payload[..], publish.retain), (&b"up"[..], true));
    broker.stop().await;
}
