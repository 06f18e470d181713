//! Drives one `hermod_core::Broker` with arbitrary sequences of operations on three
//! connections — structured packets (encoded, then decoded by a server-side decoder as the
//! driver does), raw bytes, clock advances, socket closes and reconnections — and checks
//! invariants after every step:
//!
//! - nothing panics (including the arithmetic of the queue accounting);
//! - everything `poll_transmit` produces decodes as valid packets for the client's version
//!   and within the client's Maximum Packet Size;
//! - a client never has more unacknowledged QoS 1/2 PUBLISH than the smaller of the broker's
//!   `max_inflight` and its Receive Maximum, and never sees a new (non-DUP) PUBLISH reuse a
//!   packet identifier it has not acknowledged;
//! - outbound topic aliases are set before they are used and stay within the client's maximum;
//! - on the broker side, in-flight packet identifiers are unique per session, in-flight never
//!   exceeds `max_inflight`, queues respect their message limit, and the queued byte counters
//!   agree with the queues.
#![no_main]

use std::collections::{BTreeSet, HashMap};
use std::num::{NonZeroU16, NonZeroU32};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use hermod_codec::{
    Connect, Decoder, Disconnect, MqttString, Packet, PacketId, ProtocolVersion, PubAck, PubComp,
    PubRec, PubRel, Publish, QoS, ReasonCode, RetainHandling, Role, Subscribe, Subscription,
    SubscriptionId, SubscriptionOptions, TopicAlias, TopicFilter, TopicName, Unsubscribe, Will,
};
use hermod_core::{Broker, BrokerConfig, Connection, OverflowPolicy};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const SLOTS: usize = 3;
const MAX_STEPS: usize = 200;
const MAX_INFLIGHT: u16 = 3;
const MAX_QUEUED_MESSAGES: usize = 5;
const CLIENT_IDS: [&str; 4] = ["a", "b", "c", ""];
const TOPICS: [&str; 5] = ["t", "t/1", "t/2", "u", "$SYS/x"];
const FILTERS: [&str; 8] = [
    "t",
    "t/+",
    "#",
    "t/#",
    "$share/g/t/+",
    "$share/g/#",
    "u",
    "+/1",
];
const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

/// Where an unacknowledged message stands, as the client sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// QoS 1 PUBLISH received, PUBACK not sent.
    AwaitingPubAck,
    /// QoS 2 PUBLISH received, PUBREC not sent.
    AwaitingPubRec,
    /// PUBREC sent, PUBCOMP not sent.
    AwaitingPubComp,
}

/// What the client knows about its connection, to check what the broker sends.
#[derive(Debug, Default)]
struct ClientModel {
    window: usize,
    topic_alias_maximum: u16,
    outstanding: HashMap<u16, Stage>,
    aliases: HashMap<u16, TopicName>,
    /// Packet identifiers seen, to acknowledge (in order of arrival, bounded).
    seen_ids: Vec<u16>,
    /// Set while reading the output that carried the CONNACK: PUBREL packets there are
    /// resends for messages of a resumed session (other PUBREL answer the client's PUBREC).
    in_connack_batch: bool,
    /// PUBREC sent by the client since the last poll: a PUBREL may answer them.
    pubrec_since_poll: Vec<u16>,
    /// Acknowledgements the client sent since the last poll. The resends at CONNECT were
    /// encoded before the broker handled them, so they apply to those resends too (a client
    /// may acknowledge what it received on its previous connection before reading).
    acks_since_poll: Vec<Packet>,
}

impl ClientModel {
    fn on_received(&mut self, packet: &Packet) {
        match packet {
            Packet::Publish(publish) => {
                if let Some(alias) = publish.properties.topic_alias {
                    assert!(
                        alias.get() <= self.topic_alias_maximum,
                        "alias {} above the client's maximum {}",
                        alias.get(),
                        self.topic_alias_maximum
                    );
                    if publish.topic.is_empty() {
                        assert!(
                            self.aliases.contains_key(&alias.get()),
                            "alias {} used before it was set",
                            alias.get()
                        );
                    } else {
                        self.aliases.insert(alias.get(), publish.topic.clone());
                    }
                } else {
                    assert!(!publish.topic.is_empty(), "empty topic without an alias");
                }
                let Some(packet_id) = publish.packet_id else {
                    return;
                };
                let id = packet_id.get();
                if !publish.dup {
                    assert!(
                        !self.outstanding.contains_key(&id),
                        "packet id {id} reused while unacknowledged"
                    );
                }
                let stage = if publish.qos == QoS::AtLeastOnce {
                    Stage::AwaitingPubAck
                } else {
                    Stage::AwaitingPubRec
                };
                self.outstanding.insert(id, stage);
                if publish.dup {
                    self.replay_acks(id);
                }
                self.remember(id);
            }
            Packet::ConnAck(_) => self.in_connack_batch = true,
            Packet::PubRel(release) => {
                let id = release.packet_id.get();
                if self.in_connack_batch && !self.pubrec_since_poll.contains(&id) {
                    // Sent again on a resumed session: the message holds its identifier until
                    // PUBCOMP.
                    self.outstanding.entry(id).or_insert(Stage::AwaitingPubComp);
                    self.replay_acks(id);
                }
                self.remember(id);
            }
            _ => {}
        }
    }

    /// Applies the acknowledgements of `id` sent since the last poll to a resend of it.
    fn replay_acks(&mut self, id: u16) {
        let acks: Vec<Packet> = self
            .acks_since_poll
            .iter()
            .filter(|ack| ack_id(ack) == Some(id))
            .cloned()
            .collect();
        for ack in &acks {
            self.apply_ack(ack);
        }
    }

    fn remember(&mut self, id: u16) {
        if self.seen_ids.len() >= 16 {
            self.seen_ids.remove(0);
        }
        self.seen_ids.push(id);
    }

    /// Mirrors the broker's handling of the acknowledgements the client sends.
    fn on_sent(&mut self, packet: &Packet) {
        if ack_id(packet).is_some() {
            self.acks_since_poll.push(packet.clone());
        }
        if let Packet::PubRec(ack) = packet {
            self.pubrec_since_poll.push(ack.packet_id.get());
        }
        self.apply_ack(packet);
    }

    fn apply_ack(&mut self, packet: &Packet) {
        match packet {
            Packet::PubAck(ack) => {
                let id = ack.packet_id.get();
                if self.outstanding.get(&id) == Some(&Stage::AwaitingPubAck) {
                    self.outstanding.remove(&id);
                }
            }
            Packet::PubRec(ack) => {
                let id = ack.packet_id.get();
                if !ack.reason.is_success() {
                    self.outstanding.remove(&id);
                } else if self.outstanding.get(&id) == Some(&Stage::AwaitingPubRec) {
                    self.outstanding.insert(id, Stage::AwaitingPubComp);
                }
            }
            Packet::PubComp(ack) => {
                let id = ack.packet_id.get();
                if self.outstanding.get(&id) == Some(&Stage::AwaitingPubComp) {
                    self.outstanding.remove(&id);
                }
            }
            _ => {}
        }
    }

    fn check_window(&self) {
        let publishes = self
            .outstanding
            .values()
            .filter(|stage| **stage != Stage::AwaitingPubComp)
            .count();
        if tracing() && publishes > 0 {
            eprintln!("  outstanding {publishes} of window {}", self.window);
        }
        assert!(
            publishes <= self.window,
            "{publishes} unacknowledged PUBLISH, window {}",
            self.window
        );
    }
}

/// The packet identifier of a PUBACK, PUBREC or PUBCOMP.
fn ack_id(packet: &Packet) -> Option<u16> {
    match packet {
        Packet::PubAck(ack) => Some(ack.packet_id.get()),
        Packet::PubRec(ack) => Some(ack.packet_id.get()),
        Packet::PubComp(ack) => Some(ack.packet_id.get()),
        _ => None,
    }
}

/// One client connection: the broker's side and a client-side decoder of its output.
struct Slot {
    connection: Connection,
    version: ProtocolVersion,
    server_decoder: Decoder,
    read_buf: BytesMut,
    client_decoder: Decoder,
    model: ClientModel,
    /// Whether the connection has received its (first) CONNECT.
    connect_seen: bool,
}

impl Slot {
    fn new(broker: &Broker, now: Instant) -> Slot {
        let connection = broker.accept(now, "fuzz");
        let mut server_decoder = Decoder::new(Role::Server);
        server_decoder.set_max_packet_size(connection.max_packet_size());
        Slot {
            connection,
            version: ProtocolVersion::V5,
            server_decoder,
            read_buf: BytesMut::new(),
            client_decoder: Decoder::with_version(Role::Client, ProtocolVersion::V5),
            model: ClientModel::default(),
            connect_seen: false,
        }
    }

    /// The first CONNECT fixes the version and what the client accepts.
    fn on_connect(&mut self, connect: &Connect) {
        self.connect_seen = true;
        self.version = connect.protocol;
        self.client_decoder = Decoder::with_version(Role::Client, connect.protocol);
        let receive_maximum = connect
            .properties
            .receive_maximum
            .map_or(usize::from(u16::MAX), |maximum| usize::from(maximum.get()));
        self.model.window = receive_maximum.min(usize::from(MAX_INFLIGHT));
        self.model.topic_alias_maximum = connect.properties.topic_alias_maximum.unwrap_or(0);
        if let Some(size) = connect.properties.maximum_packet_size {
            self.client_decoder.set_max_packet_size(size.get() as usize);
        }
    }

    /// Feeds bytes as if read from the socket: decodes every complete packet and hands it
    /// to the connection, as the server's driver does.
    fn feed(&mut self, now: Instant, bytes: &[u8]) {
        self.read_buf.extend_from_slice(bytes);
        for _ in 0..64 {
            if self.connection.is_closed().is_some() {
                return;
            }
            match self.server_decoder.decode(&mut self.read_buf) {
                Ok(Some(packet)) => {
                    if tracing() {
                        eprintln!("  conn {} <- {packet:?}", self.connection.id());
                    }
                    if let (Packet::Connect(connect), false) = (&packet, self.connect_seen) {
                        self.on_connect(connect);
                    }
                    self.model.on_sent(&packet);
                    let _ = self.connection.handle_packet(now, packet);
                }
                Ok(None) => return,
                Err(error) => {
                    self.connection.handle_decode_error(now, error);
                    return;
                }
            }
        }
    }

    /// Drains `poll_transmit` and checks what came out.
    fn poll(&mut self, now: Instant) {
        let mut out = BytesMut::new();
        self.connection.poll_transmit(now, &mut out);
        if !self.connect_seen {
            // No CONNECT decoded (an unsupported protocol level is answered in 3.1.1 form).
            self.client_decoder = Decoder::with_version(Role::Client, self.connection.version());
        }
        for _ in 0..100_000 {
            if out.is_empty() {
                break;
            }
            match self.client_decoder.decode(&mut out) {
                Ok(Some(packet)) => {
                    if tracing() {
                        eprintln!("  conn {} -> {packet:?}", self.connection.id());
                    }
                    self.model.on_received(&packet);
                }
                Ok(None) => panic!("poll_transmit produced an incomplete packet"),
                Err(error) => panic!(
                    "poll_transmit produced an invalid packet (first byte {:#04x}): {error:?}",
                    out.first().copied().unwrap_or(0)
                ),
            }
        }
        assert!(out.is_empty(), "runaway output");
        self.model.in_connack_batch = false;
        self.model.pubrec_since_poll.clear();
        self.model.acks_since_poll.clear();
        self.model.check_window();
    }
}

/// Set `SESSION_TRACE=1` to print every step when reproducing a crash.
fn tracing() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("SESSION_TRACE").is_some())
}

fn pick<'a, T>(u: &mut Unstructured<'_>, items: &'a [T]) -> Result<&'a T> {
    u.choose(items)
}

fn config(u: &mut Unstructured<'_>) -> Result<BrokerConfig> {
    let overflow_policy = *pick(
        u,
        &[
            OverflowPolicy::DropOldest,
            OverflowPolicy::DropNewest,
            OverflowPolicy::Disconnect,
        ],
    )?;
    Ok(BrokerConfig {
        connect_timeout: Duration::from_secs(10),
        max_packet_size: 1024,
        receive_maximum: NonZeroU16::new(3).unwrap_or(NonZeroU16::MIN),
        max_inflight: NonZeroU16::new(MAX_INFLIGHT).unwrap_or(NonZeroU16::MIN),
        max_keep_alive: Duration::from_secs(60),
        topic_alias_maximum: 3,
        max_queued_messages: MAX_QUEUED_MESSAGES,
        max_queued_bytes: 200,
        max_queued_bytes_total: 400,
        overflow_policy,
        queue_qos0_offline: u.arbitrary()?,
        session_expiry_v3: Duration::from_secs(100),
        max_session_expiry: Duration::from_secs(1000),
        max_retained_messages: 3,
        max_retained_payload: 20,
        max_subscriptions_per_client: 4,
        publish_wills_on_shutdown: u.arbitrary()?,
        ..BrokerConfig::default()
    })
}

fn payload(u: &mut Unstructured<'_>) -> Result<Bytes> {
    // Mostly small; sometimes larger than a client's Maximum Packet Size (64..=160).
    let len = if u.ratio(1, 6)? {
        u.int_in_range(60..=180)?
    } else {
        u.int_in_range(0..=40)?
    };
    let fill = *pick(u, &[b'p', 0xFF])?;
    Ok(Bytes::from(vec![fill; len]))
}

fn connect_packet(u: &mut Unstructured<'_>) -> Result<Connect> {
    let version = *pick(u, &VERSIONS)?;
    let client_id = MqttString::from_static(pick(u, &CLIENT_IDS)?).unwrap_or_default();
    let mut connect = Connect::new(version, client_id);
    connect.clean_start = u.arbitrary()?;
    connect.keep_alive = *pick(u, &[0, 0, 30, 5, 100])?;
    if version.is_v5() {
        let properties = &mut connect.properties;
        properties.session_expiry_interval = *pick(u, &[None, Some(0), Some(10), Some(u32::MAX)])?;
        properties.receive_maximum = NonZeroU16::new(*pick(u, &[0, 1, 1, 2, 4])?);
        // From 64 bytes: the broker's largest CONNACK without Reason String (assigned
        // identifier, Server Keep Alive, capped expiry and limits) must fit.
        properties.maximum_packet_size = if u.arbitrary()? {
            NonZeroU32::new(u.int_in_range(64..=160)?)
        } else {
            None
        };
        properties.topic_alias_maximum = *pick(u, &[None, Some(0), Some(1), Some(3)])?;
        properties.request_problem_information = u.arbitrary()?;
    }
    if u.arbitrary()? {
        let mut will = Will {
            topic: TopicName::from_static(pick(u, &TOPICS[..4])?)
                .unwrap_or_else(|_| TopicName::aliased()),
            payload: payload(u)?,
            qos: *pick(u, &[QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])?,
            retain: u.arbitrary()?,
            properties: Default::default(),
        };
        if version.is_v5() {
            will.properties.will_delay_interval = *pick(u, &[None, Some(0), Some(5), Some(50)])?;
            will.properties.message_expiry_interval = *pick(u, &[None, Some(1), Some(30)])?;
        }
        connect.will = Some(will);
    }
    Ok(connect)
}

fn packet_id(u: &mut Unstructured<'_>, seen: &[u16]) -> Result<PacketId> {
    let id = if !seen.is_empty() && u.arbitrary()? {
        *pick(u, seen)?
    } else {
        u.int_in_range(1..=5)?
    };
    Ok(PacketId::new(id).unwrap_or(PacketId::MIN))
}

fn publish_packet(u: &mut Unstructured<'_>) -> Result<Packet> {
    let qos = *pick(
        u,
        &[
            QoS::AtLeastOnce,
            QoS::AtMostOnce,
            QoS::AtLeastOnce,
            QoS::ExactlyOnce,
        ],
    )?;
    let topic = TopicName::from_static(pick(u, &TOPICS)?).unwrap_or_else(|_| TopicName::aliased());
    let mut publish = Publish::new(topic, payload(u)?);
    publish.qos = qos;
    publish.retain = u.arbitrary()?;
    if qos != QoS::AtMostOnce {
        publish.packet_id = PacketId::new(u.int_in_range(1..=4)?);
        publish.dup = u.arbitrary()?;
    }
    // Topic aliases: set one (4 is above the broker's maximum), or use one alone (an unknown
    // one closes the connection, so less often).
    match u.int_in_range(0..=7)? {
        0 | 1 => {
            publish.properties.topic_alias = TopicAlias::new(*pick(u, &[1, 2, 3, 4])?);
        }
        2 => {
            publish.properties.topic_alias = TopicAlias::new(u.int_in_range(1..=3)?);
            publish.topic = TopicName::aliased();
        }
        _ => {}
    }
    publish.properties.message_expiry_interval = *pick(u, &[None, None, Some(1), Some(20)])?;
    if u.ratio(1, 8)? {
        publish.properties.payload_format = Some(hermod_codec::PayloadFormat::Utf8);
    }
    Ok(Packet::Publish(publish))
}

fn subscribe_packet(u: &mut Unstructured<'_>) -> Result<Packet> {
    let mut subscriptions = Vec::new();
    for _ in 0..u.int_in_range(1..=2)? {
        let filter = TopicFilter::from_static(pick(u, &FILTERS)?)
            .unwrap_or_else(|_| TopicFilter::from_static("t").unwrap_or_else(|_| unreachable!()));
        let options = SubscriptionOptions {
            qos: *pick(u, &[QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])?,
            no_local: !filter.is_shared() && u.arbitrary()?,
            retain_as_published: u.arbitrary()?,
            retain_handling: *pick(
                u,
                &[
                    RetainHandling::SendOnSubscribe,
                    RetainHandling::SendIfNewSubscription,
                    RetainHandling::DoNotSend,
                ],
            )?,
        };
        subscriptions.push(Subscription {
            filter: Ok(filter),
            options,
        });
    }
    let mut subscribe = Subscribe {
        packet_id: PacketId::new(u.int_in_range(1..=5)?).unwrap_or(PacketId::MIN),
        properties: Default::default(),
        subscriptions,
    };
    subscribe.properties.subscription_identifier = SubscriptionId::new(u.int_in_range(0..=3)?);
    Ok(Packet::Subscribe(subscribe))
}

/// A packet a client could send, chosen from the fuzz input.
fn client_packet(u: &mut Unstructured<'_>, seen: &[u16]) -> Result<Packet> {
    Ok(match u.int_in_range(0..=13)? {
        0..=4 => publish_packet(u)?,
        5 => subscribe_packet(u)?,
        6 => {
            let filter = TopicFilter::from_static(pick(u, &FILTERS)?)
                .unwrap_or_else(|_| unreachable!("the filters are valid"));
            Packet::Unsubscribe(Unsubscribe::new(PacketId::MIN, filter))
        }
        7 => Packet::PubAck(PubAck::new(packet_id(u, seen)?)),
        8 => {
            let reason = *pick(u, &[ReasonCode::SUCCESS, ReasonCode::UNSPECIFIED_ERROR])?;
            Packet::PubRec(PubRec::with_reason(packet_id(u, seen)?, reason))
        }
        9 => Packet::PubRel(PubRel::new(
            PacketId::new(u.int_in_range(1..=4)?).unwrap_or(PacketId::MIN),
        )),
        10 => Packet::PubComp(PubComp::new(packet_id(u, seen)?)),
        11 => Packet::PingReq,
        12 => {
            let reason = *pick(
                u,
                &[
                    ReasonCode::NORMAL_DISCONNECTION,
                    ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
                    ReasonCode::UNSPECIFIED_ERROR,
                ],
            )?;
            let mut disconnect = Disconnect::new(reason);
            disconnect.properties.session_expiry_interval = *pick(u, &[None, Some(0), Some(50)])?;
            Packet::Disconnect(disconnect)
        }
        _ => Packet::Connect(Box::new(connect_packet(u)?)),
    })
}

/// A new connection that sent CONNECT and, often, a SUBSCRIBE so that messages flow.
fn connected_slot(u: &mut Unstructured<'_>, broker: &Broker, now: Instant) -> Result<Slot> {
    let connect = connect_packet(u)?;
    let mut slot = Slot::new(broker, now);
    let version = connect.protocol;
    let mut wire = BytesMut::new();
    if Packet::Connect(Box::new(connect))
        .encode(version, &mut wire)
        .is_ok()
    {
        slot.feed(now, &wire);
    }
    if u.arbitrary()? {
        let qos = *pick(u, &[QoS::AtLeastOnce, QoS::ExactlyOnce, QoS::AtMostOnce])?;
        let filter = *pick(u, &["#", "t/#", "$share/g/#"])?;
        if let Ok(filter) = TopicFilter::from_static(filter) {
            let subscribe =
                Subscribe::new(PacketId::MIN, filter, SubscriptionOptions::with_qos(qos));
            let mut wire = BytesMut::new();
            if Packet::Subscribe(subscribe)
                .encode(version, &mut wire)
                .is_ok()
            {
                slot.feed(now, &wire);
            }
        }
    }
    Ok(slot)
}

/// Broker-side invariants over every session the fuzzer knows a client id of.
fn check_sessions(broker: &Broker, client_ids: &BTreeSet<MqttString>) {
    let mut queued = 0;
    for client_id in client_ids {
        let Some(session) = broker.session(client_id) else {
            continue;
        };
        let state = session.lock();
        let mut ids = BTreeSet::new();
        for entry in &state.inflight {
            assert!(ids.insert(entry.packet_id), "duplicate in-flight id");
        }
        assert!(
            state.inflight.len() <= usize::from(MAX_INFLIGHT),
            "{} in flight, max_inflight {MAX_INFLIGHT}",
            state.inflight.len()
        );
        assert!(state.queue.len() <= MAX_QUEUED_MESSAGES);
        let bytes: usize = state
            .queue
            .iter()
            .map(|delivery| delivery.message.queued_size())
            .sum();
        assert_eq!(bytes, state.queued_bytes, "session byte counter");
        queued += state.queued_bytes;
    }
    // Every session was created by a connection whose client id (assigned or not) is known;
    // sessions no longer in the registry have released their bytes.
    assert_eq!(queued, broker.queued_bytes(), "broker byte counter");
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let broker = Broker::new(config(u)?);
    let base = Instant::now();
    let mut offset = Duration::ZERO;
    let mut slots: Vec<Slot> = (0..SLOTS).map(|_| Slot::new(&broker, base)).collect();
    let mut client_ids = BTreeSet::new();
    for _ in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        let now = base + offset;
        let index = u.int_in_range(0..=SLOTS - 1)?;
        let operation = u.int_in_range(0..=20)?;
        if tracing() {
            eprintln!(
                "step at +{}s: slot {index} (conn {}) operation {operation}",
                offset.as_secs(),
                slots[index].connection.id()
            );
        }
        match operation {
            // (Re)connect: a fresh connection on this slot sends CONNECT.
            0..=1 => {
                slots[index].connection.handle_close(now);
                slots[index] = connected_slot(u, &broker, now)?;
            }
            2..=14 => {
                if slots[index].connection.is_closed().is_some() || !slots[index].connect_seen {
                    // Packets need a connection: (re)connect first.
                    slots[index] = connected_slot(u, &broker, now)?;
                }
                let slot = &mut slots[index];
                let packet = client_packet(u, &slot.model.seen_ids)?;
                // PUBLISH often comes in bursts (next packet identifiers), so that in-flight
                // windows and queues fill up.
                let copies = match packet {
                    Packet::Publish(_) => u.int_in_range(1..=4)?,
                    _ => 1,
                };
                let mut wire = BytesMut::new();
                let mut packet = packet;
                for _ in 0..copies {
                    let _ = packet.encode(slot.version, &mut wire);
                    if let Packet::Publish(publish) = &mut packet {
                        publish.packet_id = publish.packet_id.map(PacketId::next);
                    }
                }
                slot.feed(now, &wire);
            }
            15 => {
                let len = u.int_in_range(0..=32)?;
                let bytes = u.bytes(len)?;
                slots[index].feed(now, bytes);
            }
            16 | 17 => {
                let secs = *pick(u, &[0, 1, 4, 6, 11, 31, 46, 101, 1001])?;
                offset += Duration::from_secs(secs);
                let now = base + offset;
                broker.handle_timeout(now);
                for slot in &mut slots {
                    slot.connection.handle_timeout(now);
                }
            }
            18 => slots[index].connection.handle_close(now),
            19 => {
                // A poll of everyone without new input (deliveries, timers).
            }
            _ => {
                // Rare: nothing connects after a shutdown.
                if u.ratio(1, 64)? {
                    broker.begin_shutdown();
                }
            }
        }
        let now = base + offset;
        for slot in &mut slots {
            slot.poll(now);
            client_ids.insert(slot.connection.client_id().clone());
        }
        check_sessions(&broker, &client_ids);
        if let Some(deadline) = broker.poll_timeout() {
            assert!(deadline >= base, "a timer before the start");
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = run(&mut u);
});
