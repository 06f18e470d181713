//! The scenario harness: a fake clock, clients that drive a [`Connection`] the way the server's
//! driver does (packets in, `poll_transmit` out, decoded with a client-side decoder), a
//! counting waker, and packet builders.

use std::cell::Cell;
use std::num::{NonZeroU16, NonZeroU32};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use hermod_codec::{
    ConnAck, Connect, Decoder, Disconnect, MqttString, Packet, PacketId, ProtocolVersion, PubAck,
    PubComp, PubRec, PubRel, Publish, QoS, ReasonCode, Role, Subscribe, SubscriptionId,
    SubscriptionOptions, TopicFilter, TopicName, Unsubscribe, Will,
};

use crate::violation::Violation;
use crate::{Broker, BrokerConfig, CloseReason, Connection};

/// Bound on the packets one `received` call may decode: a livelock fails instead of hanging.
const MAX_PACKETS_PER_POLL: usize = 100_000;

/// A fake clock: a base instant plus an offset that tests advance. Clones share the offset.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    base: Instant,
    offset: Rc<Cell<Duration>>,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            base: Instant::now(),
            offset: Rc::new(Cell::new(Duration::ZERO)),
        }
    }

    /// The current fake time.
    pub(crate) fn now(&self) -> Instant {
        self.base + self.offset.get()
    }

    /// Moves the clock forward.
    pub(crate) fn advance(&self, by: Duration) {
        self.offset.set(self.offset.get() + by);
    }
}

/// A waker that counts how often it was woken.
#[derive(Debug, Default)]
pub(crate) struct CountingWaker {
    wakes: AtomicUsize,
}

impl CountingWaker {
    pub(crate) fn count(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A broker plus the clock that drives it.
pub(crate) struct World {
    pub(crate) broker: Broker,
    pub(crate) clock: Clock,
}

impl World {
    pub(crate) fn new() -> World {
        World::with_config(BrokerConfig::default())
    }

    pub(crate) fn with_config(config: BrokerConfig) -> World {
        World {
            broker: Broker::new(config),
            clock: Clock::new(),
        }
    }

    /// Advances the clock and runs the broker's timers that are due.
    pub(crate) fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.broker.handle_timeout(self.clock.now());
    }

    /// A connection accepted now, with no CONNECT sent yet.
    pub(crate) fn accept(&self, version: ProtocolVersion) -> Client {
        let connection = self.broker.accept(self.clock.now(), "test-peer");
        let wakes = Arc::new(CountingWaker::default());
        Client {
            connection,
            decoder: Decoder::with_version(Role::Client, version),
            clock: self.clock.clone(),
            waker: Waker::from(Arc::clone(&wakes)),
            wakes,
            pending: Vec::new(),
        }
    }

    /// Connects with `connect`; panics unless the CONNACK is a success.
    pub(crate) fn connect(&self, connect: Connect) -> (Client, ConnAck) {
        let (client, connack) = self.try_connect(connect);
        assert!(
            connack.reason.is_success(),
            "CONNECT refused: {:?}",
            connack.reason
        );
        (client, connack)
    }

    /// Connects a clean client with default options.
    pub(crate) fn client(&self, version: ProtocolVersion, client_id: &str) -> Client {
        self.connect(connect(version, client_id)).0
    }

    /// Sends `connect` and returns the CONNACK, whatever its code.
    pub(crate) fn try_connect(&self, connect: Connect) -> (Client, ConnAck) {
        let mut client = self.accept(connect.protocol);
        if let Some(size) = connect.properties.maximum_packet_size {
            // The client's decoder holds the broker to the size it announced.
            client.decoder.set_max_packet_size(size.get() as usize);
        }
        let _ = client.send(Packet::Connect(Box::new(connect)));
        let mut packets = client.received().into_iter();
        let Some(Packet::ConnAck(connack)) = packets.next() else {
            panic!("the first packet is not a CONNACK");
        };
        client.pending = packets.collect();
        (client, *connack)
    }
}

/// One client connection driven as the server's driver would.
pub(crate) struct Client {
    pub(crate) connection: Connection,
    decoder: Decoder,
    clock: Clock,
    wakes: Arc<CountingWaker>,
    waker: Waker,
    /// Packets decoded after the CONNACK by `try_connect`, handed out by the next `received`.
    pending: Vec<Packet>,
}

impl Client {
    /// Hands one packet to the broker at the current time.
    pub(crate) fn send(&mut self, packet: Packet) -> Result<(), Violation> {
        let result = self.connection.handle_packet(self.clock.now(), packet);
        // Each packet is one read batch, as far as backpressure goes.
        self.connection.end_read_batch();
        self.connection.set_waker(&self.waker);
        result
    }

    /// Everything the broker transmitted since the last call, decoded. Registers the waker
    /// again afterwards, as the driver does before sleeping.
    pub(crate) fn received(&mut self) -> Vec<Packet> {
        let mut packets = std::mem::take(&mut self.pending);
        let mut out = BytesMut::new();
        self.connection.poll_transmit(self.clock.now(), &mut out);
        while !out.is_empty() {
            match self.decoder.decode(&mut out) {
                Ok(Some(packet)) => packets.push(packet),
                Ok(None) => panic!("the broker sent an incomplete packet"),
                Err(error) => panic!("the broker sent an invalid packet: {error}"),
            }
            assert!(packets.len() < MAX_PACKETS_PER_POLL, "runaway output");
        }
        self.connection.set_waker(&self.waker);
        packets
    }

    /// The PUBLISH packets among what the broker transmitted.
    pub(crate) fn publishes(&mut self) -> Vec<Publish> {
        self.received()
            .into_iter()
            .filter_map(|packet| match packet {
                Packet::Publish(publish) => Some(publish),
                _ => None,
            })
            .collect()
    }

    /// Lets time pass for this connection (keep alive, takeover, shutdown).
    pub(crate) fn tick(&mut self) {
        self.connection.handle_timeout(self.clock.now());
    }

    /// The socket closed.
    pub(crate) fn close(&mut self) {
        self.connection.handle_close(self.clock.now());
    }

    /// Whether the driver would read this client's next packets (backpressure), registering
    /// its waker with the sessions it waits for, as the driver does.
    pub(crate) fn read_ready(&mut self) -> bool {
        self.connection
            .poll_read_ready(self.clock.now(), &self.waker)
    }

    /// Registers this client's waker as the driver does before sleeping; true if deliveries
    /// are queued that the connection has not drained yet.
    pub(crate) fn delivery_pending(&self) -> bool {
        self.connection.set_waker(&self.waker)
    }

    /// Registers this client's waker (as the driver does before sleeping).
    pub(crate) fn register_waker(&self) {
        self.connection.set_waker(&self.waker);
    }

    pub(crate) fn wakes(&self) -> usize {
        self.wakes.count()
    }

    pub(crate) fn closed(&self) -> Option<CloseReason> {
        self.connection.is_closed()
    }

    /// Subscribes to one filter and returns the SUBACK codes.
    pub(crate) fn subscribe(&mut self, filter: &str, qos: QoS) -> Vec<ReasonCode> {
        self.subscribe_with(filter, SubscriptionOptions::with_qos(qos), None)
    }

    /// Subscribes with options and an optional Subscription Identifier; returns the codes.
    pub(crate) fn subscribe_with(
        &mut self,
        filter: &str,
        options: SubscriptionOptions,
        subscription_id: Option<u32>,
    ) -> Vec<ReasonCode> {
        let mut subscribe = Subscribe::new(packet_id(9_999), topic_filter(filter), options);
        subscribe.properties.subscription_identifier =
            subscription_id.and_then(SubscriptionId::new);
        self.send(Packet::Subscribe(subscribe))
            .expect("SUBSCRIBE accepted");
        let packets = self.received();
        let mut codes = None;
        let mut rest = Vec::new();
        for packet in packets {
            match packet {
                Packet::SubAck(suback) if codes.is_none() => codes = Some(suback.reasons),
                other => rest.push(other),
            }
        }
        // Retained messages that followed the SUBACK stay for the next `received`.
        self.pending = rest;
        codes.expect("a SUBACK")
    }

    /// Publishes and returns the acknowledgement the broker sent, if any.
    pub(crate) fn publish(
        &mut self,
        topic: &str,
        payload: &'static [u8],
        qos: QoS,
        id: u16,
    ) -> Option<Packet> {
        self.send(publish(topic, payload, qos, id))
            .expect("PUBLISH accepted");
        let packets = self.received();
        let mut ack = None;
        let mut rest = Vec::new();
        for packet in packets {
            match packet {
                Packet::PubAck(_) | Packet::PubRec(_) if ack.is_none() => ack = Some(packet),
                other => rest.push(other),
            }
        }
        self.pending = rest;
        ack
    }

    /// The DISCONNECT the broker sent, if any, among `packets`.
    pub(crate) fn disconnect_reason(packets: &[Packet]) -> Option<ReasonCode> {
        packets.iter().find_map(|packet| match packet {
            Packet::Disconnect(disconnect) => Some(disconnect.reason),
            _ => None,
        })
    }
}

pub(crate) fn packet_id(id: u16) -> PacketId {
    PacketId::new(id).expect("non-zero packet id")
}

pub(crate) fn topic_name(topic: &str) -> TopicName {
    TopicName::new(topic).expect("valid topic name")
}

pub(crate) fn topic_filter(filter: &str) -> TopicFilter {
    TopicFilter::new(filter).expect("valid topic filter")
}

pub(crate) fn mqtt_string(text: &str) -> MqttString {
    MqttString::new(text).expect("valid string")
}

/// A clean CONNECT with keep alive 60 s.
pub(crate) fn connect(version: ProtocolVersion, client_id: &str) -> Connect {
    Connect::new(version, mqtt_string(client_id))
}

/// A CONNECT that resumes (or creates) a session kept for `expiry_secs` (3.x: Clean
/// Session 0, the expiry is the broker's).
pub(crate) fn persistent(version: ProtocolVersion, client_id: &str, expiry_secs: u32) -> Connect {
    let mut connect = connect(version, client_id);
    connect.clean_start = false;
    if version.is_v5() {
        connect.properties.session_expiry_interval = Some(expiry_secs);
    }
    connect
}

/// Adds a will to a CONNECT.
pub(crate) fn with_will(
    mut connect: Connect,
    topic: &str,
    payload: &'static [u8],
    delay_secs: Option<u32>,
) -> Connect {
    let mut will = Will {
        topic: topic_name(topic),
        payload: Bytes::from_static(payload),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: Default::default(),
    };
    will.properties.will_delay_interval = delay_secs;
    connect.will = Some(will);
    connect
}

/// Sets the client's Receive Maximum (MQTT 5).
pub(crate) fn with_receive_maximum(mut connect: Connect, maximum: u16) -> Connect {
    connect.properties.receive_maximum = NonZeroU16::new(maximum);
    connect
}

/// Sets the client's Maximum Packet Size (MQTT 5).
pub(crate) fn with_max_packet_size(mut connect: Connect, size: u32) -> Connect {
    connect.properties.maximum_packet_size = NonZeroU32::new(size);
    connect
}

/// A PUBLISH; `id` is used for QoS 1 and 2 only.
pub(crate) fn publish(topic: &str, payload: &'static [u8], qos: QoS, id: u16) -> Packet {
    let mut publish = Publish::new(topic_name(topic), Bytes::from_static(payload));
    publish.qos = qos;
    if qos != QoS::AtMostOnce {
        publish.packet_id = Some(packet_id(id));
    }
    Packet::Publish(publish)
}

/// A retained QoS 0 PUBLISH.
pub(crate) fn retained(topic: &str, payload: &'static [u8]) -> Packet {
    let Packet::Publish(mut publish) = publish(topic, payload, QoS::AtMostOnce, 0) else {
        unreachable!("publish builds a PUBLISH")
    };
    publish.retain = true;
    Packet::Publish(publish)
}

pub(crate) fn puback(id: PacketId) -> Packet {
    Packet::PubAck(PubAck::new(id))
}

pub(crate) fn pubrec(id: PacketId) -> Packet {
    Packet::PubRec(PubRec::new(id))
}

pub(crate) fn pubrel(id: u16) -> Packet {
    Packet::PubRel(PubRel::new(packet_id(id)))
}

pub(crate) fn pubcomp(id: PacketId) -> Packet {
    Packet::PubComp(PubComp::new(id))
}

pub(crate) fn unsubscribe(filter: &str) -> Packet {
    Packet::Unsubscribe(Unsubscribe::new(packet_id(9_998), topic_filter(filter)))
}

pub(crate) fn disconnect(reason: ReasonCode) -> Packet {
    Packet::Disconnect(Disconnect::new(reason))
}

/// The payloads of `publishes`, as text, in order.
pub(crate) fn payloads(publishes: &[Publish]) -> Vec<String> {
    publishes
        .iter()
        .map(|publish| String::from_utf8_lossy(&publish.payload).into_owned())
        .collect()
}

pub(crate) const V3_1: ProtocolVersion = ProtocolVersion::V3_1;
pub(crate) const V3: ProtocolVersion = ProtocolVersion::V3_1_1;
pub(crate) const V5: ProtocolVersion = ProtocolVersion::V5;

pub(crate) fn secs(secs: u64) -> Duration {
    Duration::from_secs(secs)
}
