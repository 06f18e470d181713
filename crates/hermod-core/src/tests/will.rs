//! Wills (delay, cancellation, DISCONNECT 0x04), session expiry set at DISCONNECT, and the
//! graceful shutdown.

use hermod_codec::{Disconnect, Packet, QoS, ReasonCode};

use super::harness::*;
use crate::{BrokerConfig, CloseReason};

/// A subscriber to `will/#` that never times out.
fn watcher(world: &World) -> Client {
    let mut request = connect(V3, "watcher");
    request.keep_alive = 0;
    let (mut client, _) = world.connect(request);
    client.subscribe("will/#", QoS::AtMostOnce);
    client
}

/// An MQTT 5 client with a will delayed by `delay` and a session kept for `expiry` seconds.
fn with_delayed_will(world: &World, delay: u32, expiry: u32) -> Client {
    let mut request = with_will(
        persistent(V5, "dev", expiry),
        "will/dev",
        b"gone",
        Some(delay),
    );
    request.keep_alive = 0;
    world.connect(request).0
}

#[test]
fn delayed_will_is_cancelled_by_reconnection() {
    let world = World::new();
    let mut watcher = watcher(&world);
    let mut client = with_delayed_will(&world, 30, 300);
    client.close();
    world.advance(secs(10));
    assert!(watcher.publishes().is_empty(), "delayed");

    let mut request = persistent(V5, "dev", 300);
    request.keep_alive = 0;
    let (_again, connack) = world.connect(request);
    assert!(connack.session_present);
    world.advance(secs(60));
    assert!(watcher.publishes().is_empty(), "MQTT-3.1.3-9: cancelled");
}

#[test]
fn delayed_will_is_published_after_the_delay() {
    let world = World::new();
    let mut watcher = watcher(&world);
    let mut client = with_delayed_will(&world, 30, 300);
    client.close();
    world.advance(secs(29));
    assert!(watcher.publishes().is_empty());
    world.advance(secs(1));
    assert_eq!(payloads(&watcher.publishes()), ["gone"]);
    world.advance(secs(300));
    assert!(watcher.publishes().is_empty(), "published once");
}

#[test]
fn delayed_will_is_published_when_the_session_ends_first() {
    let world = World::new();
    let mut watcher = watcher(&world);
    let mut client = with_delayed_will(&world, 30, 10);
    client.close();
    world.advance(secs(9));
    assert!(watcher.publishes().is_empty());
    world.advance(secs(1));
    assert_eq!(
        payloads(&watcher.publishes()),
        ["gone"],
        "MQTT 5.0 section 3.1.2.5: the session ended before the delay"
    );
    assert_eq!(world.broker.session_count(), 1, "only the watcher is left");
}

#[test]
fn delayed_will_with_zero_expiry_is_published_at_once() {
    let world = World::new();
    let mut watcher = watcher(&world);
    let mut client = with_delayed_will(&world, 30, 0);
    client.close();
    assert_eq!(payloads(&watcher.publishes()), ["gone"]);
}

#[test]
fn socket_close_publishes_the_will() {
    for version in [V3_1, V3, V5] {
        let world = World::new();
        let mut watcher = watcher(&world);
        let (mut client, _) = world.connect(with_will(
            connect(version, "dev"),
            "will/dev",
            b"gone",
            None,
        ));
        client.close();
        assert_eq!(client.closed(), Some(CloseReason::ConnectionLost));
        assert_eq!(payloads(&watcher.publishes()), ["gone"], "{version}");
    }
}

#[test]
fn normal_disconnect_discards_the_will() {
    for version in [V3, V5] {
        let world = World::new();
        let mut watcher = watcher(&world);
        let (mut client, _) = world.connect(with_will(
            connect(version, "dev"),
            "will/dev",
            b"gone",
            None,
        ));
        client
            .send(disconnect(ReasonCode::NORMAL_DISCONNECTION))
            .unwrap();
        assert!(client.closed().is_some());
        client.close();
        assert!(watcher.publishes().is_empty(), "{version}: MQTT-3.1.2-10");
    }
}

#[test]
fn disconnect_with_will_message_publishes_the_will() {
    let world = World::new();
    let mut watcher = watcher(&world);
    let (mut client, _) = world.connect(with_will(connect(V5, "dev"), "will/dev", b"gone", None));
    client
        .send(disconnect(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE))
        .unwrap();
    assert_eq!(
        client.closed(),
        Some(CloseReason::ClientDisconnect(
            ReasonCode::DISCONNECT_WITH_WILL_MESSAGE
        ))
    );
    assert_eq!(payloads(&watcher.publishes()), ["gone"]);
}

#[test]
fn protocol_violation_publishes_the_will() {
    let world = World::new();
    let mut watcher = watcher(&world);
    let (mut client, _) = world.connect(with_will(connect(V5, "dev"), "will/dev", b"gone", None));
    assert!(client.send(Packet::PingResp).is_err());
    assert_eq!(payloads(&watcher.publishes()), ["gone"]);
}

#[test]
fn session_expiry_set_at_disconnect_replaces_the_connect_value() {
    let world = World::new();
    let mut request = persistent(V5, "dev", 10);
    request.keep_alive = 0;
    let (mut client, _) = world.connect(request);
    let mut packet = Disconnect::new(ReasonCode::NORMAL_DISCONNECTION);
    packet.properties.session_expiry_interval = Some(100);
    client.send(Packet::Disconnect(packet)).unwrap();
    world.advance(secs(50));
    assert_eq!(world.broker.session_count(), 1);
    world.advance(secs(50));
    assert_eq!(world.broker.session_count(), 0);
}

#[test]
fn session_expiry_lowered_to_zero_at_disconnect_ends_the_session() {
    let world = World::new();
    let (mut client, _) = world.connect(persistent(V5, "dev", 100));
    let mut packet = Disconnect::new(ReasonCode::NORMAL_DISCONNECTION);
    packet.properties.session_expiry_interval = Some(0);
    client.send(Packet::Disconnect(packet)).unwrap();
    assert_eq!(world.broker.session_count(), 0);
}

#[test]
fn session_expiry_raised_from_zero_at_disconnect_is_a_protocol_error() {
    let world = World::new();
    let mut watcher = watcher(&world);
    let (mut client, _) = world.connect(with_will(connect(V5, "dev"), "will/dev", b"gone", None));
    let mut packet = Disconnect::new(ReasonCode::NORMAL_DISCONNECTION);
    packet.properties.session_expiry_interval = Some(60);
    assert!(client.send(Packet::Disconnect(packet)).is_err());
    // MQTT-3.14.2-2: the server answers with DISCONNECT 0x82 and the session still ends.
    assert_eq!(
        Client::disconnect_reason(&client.received()),
        Some(ReasonCode::PROTOCOL_ERROR)
    );
    assert_eq!(world.broker.session_count(), 1, "only the watcher");
    assert_eq!(
        payloads(&watcher.publishes()),
        ["gone"],
        "a protocol error is not a normal disconnection"
    );
}

/// A persistent subscriber to `will/#`: what reached it stays queued after it closes.
fn persistent_watcher(world: &World) -> Client {
    let mut request = persistent(V3, "watcher", 0);
    request.keep_alive = 0;
    let (mut client, _) = world.connect(request);
    client.subscribe("will/#", QoS::AtLeastOnce);
    client
}

#[test]
fn shutdown_disconnects_with_0x8b_and_publishes_no_will() {
    let world = World::new();
    let mut watcher = persistent_watcher(&world);
    let (mut v5, _) = world.connect(with_will(connect(V5, "dev5"), "will/dev5", b"gone5", None));
    let (mut v3, _) = world.connect(with_will(connect(V3, "dev3"), "will/dev3", b"gone3", None));
    let wakes = (v5.wakes(), v3.wakes());
    world.broker.begin_shutdown();
    assert!(
        v5.wakes() > wakes.0 && v3.wakes() > wakes.1,
        "everyone is woken"
    );
    assert_eq!(
        Client::disconnect_reason(&v5.received()),
        Some(ReasonCode::SERVER_SHUTTING_DOWN)
    );
    assert_eq!(v5.closed(), Some(CloseReason::ServerShutdown));
    assert!(v3.received().is_empty(), "3.x has no server DISCONNECT");
    assert_eq!(v3.closed(), Some(CloseReason::ServerShutdown));
    let _ = watcher.received();
    assert_eq!(watcher.closed(), Some(CloseReason::ServerShutdown));
    assert_eq!(
        world.broker.queued_bytes(),
        0,
        "no will reached the watcher"
    );
    let (refused, connack) = world.try_connect(connect(V5, "late"));
    assert_eq!(connack.reason, ReasonCode::SERVER_UNAVAILABLE);
    assert!(refused.closed().is_some());
}

#[test]
fn shutdown_publishes_wills_when_configured() {
    let world = World::with_config(BrokerConfig {
        publish_wills_on_shutdown: true,
        ..BrokerConfig::default()
    });
    let mut watcher = persistent_watcher(&world);
    let (mut client, _) = world.connect(with_will(connect(V5, "dev"), "will/dev", b"gone", None));
    world.broker.begin_shutdown();
    client.tick();
    assert_eq!(client.closed(), Some(CloseReason::ServerShutdown));
    watcher.tick();
    assert!(
        world.broker.queued_bytes() > 0,
        "the will reached the watcher's session"
    );
}

#[test]
fn retained_will_is_stored() {
    let world = World::new();
    let mut request = with_will(connect(V3, "dev"), "will/dev", b"gone", None);
    if let Some(will) = request.will.as_mut() {
        will.retain = true;
    }
    let (mut client, _) = world.connect(request);
    client.close();
    assert_eq!(world.broker.retained_count(), 1);
    let mut late = world.client(V5, "late");
    late.subscribe("will/#", QoS::AtMostOnce);
    let got = late.publishes();
    assert_eq!(payloads(&got), ["gone"]);
    assert!(got[0].retain);
}
