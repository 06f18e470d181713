//! The broker driven by rumqttc as an MQTT 3.1.1 client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestBroker, WAIT};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};

fn options(id: &str, broker: &TestBroker) -> MqttOptions {
    let mut options = MqttOptions::new(id, "127.0.0.1", broker.port());
    options.set_keep_alive(Duration::from_secs(30));
    options
}

/// Polls the event loop until `want` matches an incoming packet (bounded by WAIT).
async fn wait_for<T>(event_loop: &mut EventLoop, mut want: impl FnMut(&Packet) -> Option<T>) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            match event_loop.poll().await {
                Ok(Event::Incoming(packet)) => {
                    if let Some(found) = want(&packet) {
                        return found;
                    }
                }
                Ok(Event::Outgoing(_)) => {}
                Err(error) => panic!("connection error: {error}"),
            }
        }
    })
    .await
    .expect("expected packet in time")
}

/// Drives an event loop in the background (a publisher's acks, a subscriber's pings).
fn spawn_loop(mut event_loop: EventLoop) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move { while event_loop.poll().await.is_ok() {} })
}

#[tokio::test]
async fn publish_qos0_and_qos1_reach_a_wildcard_subscriber() {
    let broker = TestBroker::start().await;
    let (subscriber, mut sub_loop) = AsyncClient::new(options("sub", &broker), 10);
    wait_for(&mut sub_loop, |p| {
        matches!(p, Packet::ConnAck(_)).then_some(())
    })
    .await;
    subscriber
        .subscribe("sensors/+/temp", QoS::AtLeastOnce)
        .await
        .unwrap();
    wait_for(&mut sub_loop, |p| {
        matches!(p, Packet::SubAck(_)).then_some(())
    })
    .await;

    let (publisher, pub_loop) = AsyncClient::new(options("pub", &broker), 10);
    let _pub_task = spawn_loop(pub_loop);
    publisher
        .publish("sensors/a/temp", QoS::AtMostOnce, false, "21.5")
        .await
        .unwrap();
    publisher
        .publish("sensors/b/temp", QoS::AtLeastOnce, false, "19.0")
        .await
        .unwrap();
    let mut received = Vec::new();
    while received.len() < 2 {
        let publish = wait_for(&mut sub_loop, |p| match p {
            Packet::Publish(publish) => Some(publish.clone()),
            _ => None,
        })
        .await;
        received.push((publish.topic.clone(), publish.payload.clone(), publish.qos));
    }
    assert_eq!(received[0].0, "sensors/a/temp");
    assert_eq!(&received[0].1[..], b"21.5");
    assert_eq!(received[0].2, QoS::AtMostOnce);
    assert_eq!(received[1].0, "sensors/b/temp");
    assert_eq!(received[1].2, QoS::AtLeastOnce);
    broker.stop().await;
}
