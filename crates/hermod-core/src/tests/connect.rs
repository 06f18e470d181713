//! CONNECT rules, the connect timeout and the keep alive.

use hermod_codec::{Packet, PacketType, QoS, ReasonCode};

use super::harness::*;
use crate::{BrokerConfig, CloseReason};

fn config_with_max_keep_alive(secs_max: u64) -> BrokerConfig {
    BrokerConfig {
        max_keep_alive: secs(secs_max),
        ..BrokerConfig::default()
    }
}

/// A subscriber on `filter` that never times out (keep alive 0, MQTT 3.1.1).
fn watcher(world: &World, client_id: &str, filter: &str) -> Client {
    let mut connect = connect(V3, client_id);
    connect.keep_alive = 0;
    let (mut client, _) = world.connect(connect);
    client.subscribe(filter, QoS::AtMostOnce);
    client
}

#[test]
fn empty_client_id_in_v5_gets_an_assigned_identifier() {
    let world = World::new();
    let (client, connack) = world.connect(connect(V5, ""));
    let assigned = connack
        .properties
        .assigned_client_identifier
        .expect("MQTT-3.2.2-16: an assigned identifier");
    assert!(!assigned.is_empty());
    assert_eq!(client.connection.client_id(), &assigned);
}

#[test]
fn empty_client_id_in_v3_1_1_needs_a_clean_session() {
    let world = World::new();
    let (_clean, connack) = world.try_connect(connect(V3, ""));
    assert_eq!(connack.reason, ReasonCode::SUCCESS, "MQTT-3.1.3-7");
    assert!(connack.properties.assigned_client_identifier.is_none());

    let (refused, connack) = world.try_connect(persistent(V3, "", 0));
    // MQTT-3.1.3-8: return code 0x02 Identifier rejected.
    assert_eq!(connack.reason, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID);
    assert!(matches!(refused.closed(), Some(CloseReason::Refused(_))));
}

#[test]
fn empty_client_id_in_v3_1_is_refused() {
    let world = World::new();
    let (client, connack) = world.try_connect(connect(V3_1, ""));
    assert_eq!(connack.reason, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID);
    assert!(client.closed().is_some());
}

#[test]
fn v3_1_client_id_is_limited_to_23_characters() {
    let world = World::new();
    let (_ok, connack) = world.try_connect(connect(V3_1, &"a".repeat(23)));
    assert_eq!(connack.reason, ReasonCode::SUCCESS);
    let (refused, connack) = world.try_connect(connect(V3_1, &"b".repeat(24)));
    assert_eq!(connack.reason, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID);
    assert!(refused.closed().is_some());
    // 3.1.1 has no such limit.
    let (_long, connack) = world.try_connect(connect(V3, &"c".repeat(100)));
    assert_eq!(connack.reason, ReasonCode::SUCCESS);
}

#[test]
fn keep_alive_above_the_maximum_is_refused_in_v3() {
    for version in [V3_1, V3] {
        let world = World::with_config(config_with_max_keep_alive(100));
        let mut connect = connect(version, "dev");
        connect.keep_alive = 101;
        let (client, connack) = world.try_connect(connect);
        // 3.x cannot be told a Server Keep Alive: refused with 0x02 (as Mosquitto does).
        assert_eq!(connack.reason, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID);
        assert!(matches!(client.closed(), Some(CloseReason::Refused(_))));
        assert_eq!(world.broker.session_count(), 0);
    }
}

#[test]
fn keep_alive_above_the_maximum_gets_server_keep_alive_in_v5() {
    let world = World::with_config(config_with_max_keep_alive(100));
    let mut request = connect(V5, "dev");
    request.keep_alive = 500;
    let (mut client, connack) = world.connect(request);
    assert_eq!(connack.properties.server_keep_alive, Some(100));
    // The server's value is the one enforced: 1.5 × 100 s.
    world.clock.advance(secs(149));
    client.tick();
    assert!(client.closed().is_none());
    world.clock.advance(secs(1));
    let packets = client.received();
    assert_eq!(
        Client::disconnect_reason(&packets),
        Some(ReasonCode::KEEP_ALIVE_TIMEOUT)
    );
    assert_eq!(client.closed(), Some(CloseReason::KeepAliveTimeout));
}

#[test]
fn keep_alive_within_the_maximum_is_kept_in_v5() {
    let world = World::with_config(config_with_max_keep_alive(100));
    let mut request = connect(V5, "dev");
    request.keep_alive = 30;
    let (_client, connack) = world.connect(request);
    assert_eq!(connack.properties.server_keep_alive, None);
}

#[test]
fn connect_timeout_closes_without_connack() {
    for version in [V3, V5] {
        let world = World::new();
        let mut client = world.accept(version);
        let deadline = client
            .connection
            .poll_timeout()
            .expect("a connect deadline");
        assert_eq!(deadline, world.clock.now() + secs(10));
        world.clock.advance(secs(9));
        client.tick();
        assert!(client.closed().is_none());
        world.clock.advance(secs(1));
        client.tick();
        assert_eq!(client.closed(), Some(CloseReason::ConnectTimeout));
        assert!(client.received().is_empty(), "no CONNACK, no DISCONNECT");
        assert_eq!(client.connection.poll_timeout(), None);
    }
}

#[test]
fn first_packet_other_than_connect_closes_silently() {
    let world = World::new();
    let mut client = world.accept(V5);
    assert!(client.send(Packet::PingReq).is_err());
    assert!(client.closed().is_some());
    assert!(client.received().is_empty(), "MQTT-3.1.0-1");
}

#[test]
fn second_connect_is_a_protocol_violation() {
    let world = World::new();
    let mut client = world.client(V5, "dev");
    assert!(
        client
            .send(Packet::Connect(Box::new(connect(V5, "dev"))))
            .is_err()
    );
    let packets = client.received();
    assert_eq!(
        Client::disconnect_reason(&packets),
        Some(ReasonCode::PROTOCOL_ERROR)
    );
}

#[test]
fn keep_alive_timeout_at_one_and_a_half_times_publishes_the_will() {
    for version in [V3, V5] {
        let world = World::new();
        let mut watcher = watcher(&world, "watcher", "will/#");
        let mut request = with_will(connect(version, "dev"), "will/dev", b"gone", None);
        request.keep_alive = 20;
        let (mut client, _) = world.connect(request);
        assert_eq!(
            client.connection.poll_timeout(),
            Some(world.clock.now() + secs(30))
        );

        world.clock.advance(secs(29));
        client.tick();
        assert!(
            client.closed().is_none(),
            "{version}: not before 1.5 × keep alive"
        );
        assert!(watcher.publishes().is_empty());

        world.clock.advance(secs(1));
        client.tick();
        assert_eq!(client.closed(), Some(CloseReason::KeepAliveTimeout));
        let packets = client.received();
        if version.is_v5() {
            assert_eq!(
                Client::disconnect_reason(&packets),
                Some(ReasonCode::KEEP_ALIVE_TIMEOUT)
            );
        } else {
            assert!(packets.is_empty(), "3.x has no server DISCONNECT");
        }
        let wills = watcher.publishes();
        assert_eq!(payloads(&wills), ["gone"], "{version}: MQTT-3.1.2-8");
        assert_eq!(wills[0].topic.as_str(), "will/dev");
    }
}

#[test]
fn any_packet_resets_the_keep_alive() {
    let world = World::new();
    let mut request = connect(V3, "dev");
    request.keep_alive = 10;
    let (mut client, _) = world.connect(request);
    for _ in 0..5 {
        world.clock.advance(secs(14));
        client.send(Packet::PingReq).unwrap();
        let packets = client.received();
        assert!(matches!(packets.as_slice(), [Packet::PingResp]));
    }
    assert!(client.closed().is_none());
    world.clock.advance(secs(15));
    client.tick();
    assert_eq!(client.closed(), Some(CloseReason::KeepAliveTimeout));
}

#[test]
fn keep_alive_zero_in_v3_never_times_out() {
    let world = World::new();
    let mut request = connect(V3, "dev");
    request.keep_alive = 0;
    let (mut client, _) = world.connect(request);
    assert_eq!(client.connection.poll_timeout(), None);
    world.clock.advance(secs(100_000));
    client.tick();
    assert!(client.closed().is_none());
}

#[test]
fn v5_connack_advertises_the_limits() {
    let world = World::new();
    let (_client, connack) = world.connect(connect(V5, "dev"));
    let config = world.broker.config();
    assert_eq!(
        connack.properties.receive_maximum,
        Some(config.receive_maximum)
    );
    assert_eq!(
        connack.properties.topic_alias_maximum,
        Some(config.topic_alias_maximum)
    );
    assert_eq!(
        connack
            .properties
            .maximum_packet_size
            .map(|size| size.get()),
        Some(config.max_packet_size)
    );
    assert!(!connack.session_present);
}

#[test]
fn auth_packet_is_refused_after_connect() {
    let world = World::new();
    let mut client = world.client(V5, "dev");
    let result = client.send(Packet::Auth(Default::default()));
    assert!(result.is_err());
    let packets = client.received();
    assert!(
        packets
            .iter()
            .any(|packet| packet.packet_type() == PacketType::Disconnect)
    );
}
