//! One network connection's protocol engine, driven sans-IO: the server feeds it decoded
//! packets, clock ticks and socket closure, and drains the bytes it wants written.
//!
//! Call pattern (each method's doc says when to call it again):
//! 1. [`Connection::handle_packet`] for every packet decoded from the socket;
//! 2. [`Connection::poll_transmit`] to append everything ready to the write buffer, then write
//!    it in one call;
//! 3. sleep until new bytes, the waker registered with [`Connection::set_waker`] (deliveries
//!    from other sessions), or [`Connection::poll_timeout`]; then [`Connection::handle_timeout`];
//! 4. when [`Connection::is_closed`] turns true after a `poll_transmit`, flush and close the
//!    socket; when the socket closes first, call [`Connection::handle_close`].

mod connect;
mod held;
mod inbound;
mod outbound;
mod peer;
mod subscribe;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use hermod_codec::{Disconnect, MqttString, Packet, ProtocolVersion, ReasonCode, TopicName};

use crate::broker::{Broker, TimerEvent};
use crate::message::Message;
use crate::session::SessionCell;
use crate::stats::Stats;
use crate::violation::Violation;
pub use peer::Peer;

/// The longest a connection stays paused by backpressure before it handles one more read
/// batch regardless (see [`Connection::poll_read_ready`]).
pub const MAX_PAUSE: Duration = Duration::from_millis(500);

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The client sent DISCONNECT (with this reason code).
    ClientDisconnect(ReasonCode),
    /// The socket closed or failed without DISCONNECT.
    ConnectionLost,
    /// The keep alive expired (1.5 × keep alive without a packet).
    KeepAliveTimeout,
    /// No CONNECT arrived within the connect timeout.
    ConnectTimeout,
    /// The client broke the protocol (reason code sent in MQTT 5).
    ProtocolViolation(ReasonCode),
    /// CONNECT was refused (CONNACK with this code was sent).
    Refused(ReasonCode),
    /// Another connection took the session over.
    TakenOver,
    /// The broker is shutting down.
    ServerShutdown,
    /// The session queue overflowed under the Disconnect policy.
    QuotaExceeded,
    /// A QoS 1/2 message of an MQTT 3.x client could not be stored, and 3.x has no negative
    /// acknowledgement.
    StorageFailure,
}

impl CloseReason {
    /// Whether a will is published for this ending (abnormal disconnection, MQTT-3.1.2-8;
    /// DISCONNECT 0x04 asks for it explicitly).
    fn publishes_will(self, on_shutdown: bool) -> bool {
        match self {
            CloseReason::ClientDisconnect(reason) => {
                reason == ReasonCode::DISCONNECT_WITH_WILL_MESSAGE
            }
            CloseReason::ServerShutdown => on_shutdown,
            CloseReason::Refused(_) | CloseReason::ConnectTimeout => false,
            _ => true,
        }
    }
}

/// The will of the connected client, ready to publish.
#[derive(Debug)]
struct PendingWill {
    /// The message, without an expiry deadline yet (see `expiry_interval`).
    message: Message,
    delay: Duration,
    /// The will's Message Expiry Interval in seconds: its lifetime counts from publication
    /// (MQTT 5.0 section 3.1.3.2.4), not from CONNECT.
    expiry_interval: Option<u32>,
}

impl PendingWill {
    /// The message as published at `at`, its expiry counted from then.
    fn into_message(self, at: Instant) -> Arc<Message> {
        let mut message = self.message;
        message.expires_at = Message::deadline(at, self.expiry_interval);
        Arc::new(message)
    }
}

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingConnect,
    Active,
    Closed,
}

/// The largest packet MQTT can express: the client's limit when it sets none.
const NO_PACKET_SIZE_LIMIT: u32 = {
    let max = hermod_codec::header::MAX_PACKET_SIZE;
    assert!(max <= u32::MAX as usize);
    max as u32
};

/// The client identifier of a connection without a session.
static NO_CLIENT_ID: MqttString = MqttString::EMPTY;

/// A network connection's protocol state.
pub struct Connection {
    broker: Broker,
    id: u64,
    peer: Peer,
    phase: Phase,
    version: ProtocolVersion,
    session: Option<Arc<SessionCell>>,
    /// Backpressure on this client, boxed while there is some (most connections never have
    /// any, and every connection's engine stays in memory).
    pause: Option<Box<Pause>>,
    /// False for the one read batch after a pause ran out: that batch is handled whole.
    pause_allowed: bool,
    /// Effective keep alive in seconds; 0 when off.
    keep_alive_secs: u16,
    last_received: Instant,
    /// Boxed: most connections have none, and every connection's engine stays in memory.
    will: Option<Box<PendingWill>>,
    /// Topic aliases in both directions; boxed and made on first use, as most connections
    /// never use one and every connection's engine stays in memory.
    aliases: Option<Box<TopicAliases>>,
    /// The highest alias the client accepts (0: none).
    client_topic_alias_maximum: u16,
    /// The most QoS 1/2 messages the client accepts unacknowledged.
    send_window: u16,
    /// In-flight messages of a resumed session not resent yet because the client's Receive
    /// Maximum is lower than what was in flight (MQTT 5.0 section 3.3.4); resent in order as
    /// acknowledgements free the window. Boxed: only a resumed session can have any.
    #[expect(
        clippy::box_collection,
        reason = "8 bytes per idle connection instead of 32"
    )]
    deferred_resend: Option<Box<VecDeque<hermod_codec::PacketId>>>,
    /// The largest packet the client accepts.
    client_max_packet_size: u32,
    /// Whether the client allows reason strings and user properties on failures.
    request_problem_information: bool,
    /// Whether the session expiry at CONNECT was 0 (then DISCONNECT may not raise it).
    connect_expiry_zero: bool,
    /// Encoded packets waiting for `poll_transmit`.
    tx: BytesMut,
    /// Set when the queue was drained only up to the output limit (see
    /// `Connection::has_more_to_send`).
    more_to_send: bool,
    /// Messages sent since the broker's `messages_sent` counter was last updated.
    sent_unflushed: u32,
    /// Set once the connection must end.
    close: Option<CloseReason>,
    /// Why, in words, for the Reason String of the DISCONNECT or CONNACK (MQTT 5).
    close_text: Option<Box<str>>,
    /// Acknowledgements waiting for the store (see `held`); boxed and made on first use.
    held_acks: Option<Box<held::HeldAcks>>,
}

/// The MQTT 5 topic aliases of one connection.
#[derive(Debug, Default)]
struct TopicAliases {
    /// Set by the client (inbound PUBLISH).
    inbound: HashMap<u16, TopicName>,
    /// Set by the broker towards the client (outbound PUBLISH).
    outbound: HashMap<TopicName, u16>,
}

/// Backpressure on a connection: the sessions it waits for and since when.
#[derive(Debug, Default)]
struct Pause {
    /// Sessions whose full queues took this client's messages: no packet is read from this
    /// client until they have drained (see [`Connection::poll_read_ready`]). Never empty
    /// while the pause exists.
    congested_on: Vec<Arc<SessionCell>>,
    /// When the pause began (set when the driver first finds the connection paused).
    since: Option<Instant>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("peer", &self.peer)
            .field("client_id", self.client_id())
            .field("phase", &self.phase)
            .field("version", &self.version)
            .field("close", &self.close)
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// A new connection from `peer` (for logs), opened at `now`.
    pub fn accept(&self, now: Instant, peer: impl Into<Peer>) -> Connection {
        Connection {
            broker: self.clone(),
            id: self.next_id(),
            peer: peer.into(),
            phase: Phase::AwaitingConnect,
            version: ProtocolVersion::V3_1_1,
            session: None,
            keep_alive_secs: 0,
            pause: None,
            pause_allowed: true,
            last_received: now,
            will: None,
            aliases: None,
            client_topic_alias_maximum: 0,
            send_window: u16::MAX,
            deferred_resend: None,
            client_max_packet_size: NO_PACKET_SIZE_LIMIT,
            request_problem_information: true,
            connect_expiry_zero: true,
            tx: BytesMut::new(),
            more_to_send: false,
            sent_unflushed: 0,
            close: None,
            close_text: None,
            held_acks: None,
        }
    }
}

impl Connection {
    /// The connection's identity (unique for the broker's lifetime).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The client identifier, once CONNECT was accepted (empty before, and once the session
    /// was let go at the end). Kept by the session only: one copy per client.
    pub fn client_id(&self) -> &MqttString {
        self.session
            .as_ref()
            .map_or(&NO_CLIENT_ID, |session| &session.client_id)
    }

    /// The protocol version, once CONNECT was accepted.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// The protocol version once a CONNECT was read (its decoder then knows it too); `None`
    /// while the connection still waits for its CONNECT.
    pub fn connected_version(&self) -> Option<ProtocolVersion> {
        (self.phase != Phase::AwaitingConnect).then_some(self.version)
    }

    /// The largest packet the client accepts (its Maximum Packet Size, MQTT 5).
    fn client_max_packet_size(&self) -> usize {
        self.client_max_packet_size as usize
    }

    /// The largest packet the broker accepts from this client, for the decoder.
    pub fn max_packet_size(&self) -> usize {
        self.broker.config().max_packet_size as usize
    }

    /// Why the connection ended, once it has; the driver then flushes what `poll_transmit`
    /// gave it and closes the socket.
    pub fn is_closed(&self) -> Option<CloseReason> {
        (self.phase == Phase::Closed)
            .then_some(self.close)
            .flatten()
    }

    /// Whether the driver may hand this connection more packets. `false` while sessions this
    /// client published into are congested: `waker` is then registered with each of them and
    /// woken once they drain (or go offline). A pause lasts at most [`MAX_PAUSE`]; after it one
    /// more read batch is handled whatever the congestion, so that clients feeding each other
    /// (each paused on the other's queue) slow down instead of stopping. While paused, the
    /// keep alive clock does not run: the client's packets are waiting to be read.
    pub fn poll_read_ready(&mut self, now: Instant, waker: &Waker) -> bool {
        if !self.pause_allowed {
            return true;
        }
        let Some(pause) = self.pause.as_mut() else {
            return true;
        };
        let paused_since = *pause.since.get_or_insert(now);
        let limits = self.broker.queue_limits();
        if now >= paused_since + MAX_PAUSE {
            tracing::debug!(
                conn = self.id,
                client_id = %self.client_id(),
                "backpressure pause at its limit: handling one more read batch"
            );
            self.leave_congestion();
            self.last_received = now;
            // Until the driver has handled one read batch (`end_read_batch`).
            self.pause_allowed = false;
            return true;
        }
        let id = self.id;
        pause.congested_on.retain(|session| {
            let mut state = session.lock();
            if !state.is_congested(&limits) {
                return false;
            }
            state.add_congestion_waiter(id, waker);
            true
        });
        if pause.congested_on.is_empty() {
            self.pause = None;
            self.last_received = now;
            return true;
        }
        false
    }

    /// The driver handled one read batch: a grace batch after a pause that ran out is over,
    /// and the connection may be paused again.
    pub fn end_read_batch(&mut self) {
        self.pause_allowed = true;
    }

    /// Stops waiting for congested sessions: forgets them and takes this connection's waker
    /// out of their waiting lists.
    fn leave_congestion(&mut self) {
        if let Some(pause) = self.pause.take() {
            for session in pause.congested_on {
                session.lock().remove_congestion_waiter(self.id);
            }
        }
    }

    /// Whether this connection is paused by backpressure (see
    /// [`Connection::poll_read_ready`]): the driver stops handing it packets.
    pub fn is_paused(&self) -> bool {
        self.pause.is_some() && self.pause_allowed
    }

    /// Whether nothing is in progress that needs the driver: connected, not closing, not
    /// paused by backpressure, nothing encoded and waiting to be sent, no queued deliveries
    /// left for a later turn. The driver may then set the connection aside (park it) until
    /// its socket is readable, the waker given to [`Connection::set_waker`] is woken, or
    /// [`Connection::poll_timeout`] comes.
    pub fn is_idle(&self) -> bool {
        self.phase == Phase::Active
            && self.close.is_none()
            && self.pause.is_none()
            && self.pause_allowed
            && self.tx.is_empty()
            && !self.more_to_send
            && !self.has_held_acks()
    }

    /// Frees what an idle connection does not need: the capacity of its session's empty
    /// delivery buffers and of its empty write buffer. For a connection being set aside
    /// (parked); the next delivery allocates them again.
    pub fn release_idle_buffers(&mut self) {
        if self.tx.is_empty() {
            self.tx = BytesMut::new();
        }
        if let Some(session) = &self.session {
            let mut state = session.lock();
            if state.owner == Some(self.id) {
                state.release_idle_buffers();
            }
        }
    }

    /// Registers the task waker to call when deliveries arrive for this connection's session
    /// (or it is taken over, or the broker shuts down). Call before sleeping, every time.
    /// Returns true if deliveries were queued since the queue was last drained: call
    /// `poll_transmit` instead of sleeping (their wake may have reached the task while it was
    /// busy elsewhere).
    pub fn set_waker(&self, waker: &Waker) -> bool {
        if let (Some(held), Some(persistence)) = (
            self.held_acks.as_deref(),
            self.broker.inner.persistence.as_deref(),
        ) {
            if held.first_ready(persistence, waker) {
                return true;
            }
        }
        if let Some(session) = &self.session {
            let mut state = session.lock();
            if state.owner != Some(self.id) || state.discarded {
                // Taken over or discarded: never replace the new owner's waker; wake at once
                // so that the next poll notices and closes.
                drop(state);
                waker.wake_by_ref();
                return false;
            }
            match &state.waker {
                Some(existing) if existing.will_wake(waker) => {}
                _ => state.waker = Some(waker.clone()),
            }
            return state.delivery_pending;
        }
        false
    }

    /// Handles one decoded packet. On a violation the connection is closed (MQTT 5: a
    /// DISCONNECT with the reason code is queued for `poll_transmit`) and the violation is
    /// returned for logging.
    pub fn handle_packet(&mut self, now: Instant, packet: Packet) -> Result<(), Violation> {
        if self.phase == Phase::Closed {
            return Ok(());
        }
        self.last_received = now;
        tracing::trace!(conn = self.id, packet = ?packet.packet_type(), "received");
        if self.phase == Phase::Active
            && !matches!(packet, Packet::Publish(_))
            && self.lost_session()
        {
            // Taken over (or discarded) while packets were still buffered: they belong to a
            // session this connection no longer holds (its PUBLISHes are the client's own).
            self.finish(
                now,
                CloseReason::TakenOver,
                Some(ReasonCode::SESSION_TAKEN_OVER),
            );
            return Ok(());
        }
        let result = match (self.phase, packet) {
            (Phase::AwaitingConnect, Packet::Connect(connect)) => {
                self.handle_connect(now, *connect)
            }
            (Phase::AwaitingConnect, other) => Err(Violation::Decode(
                hermod_codec::DecodeError::FirstPacketNotConnect {
                    packet: other.packet_type(),
                },
            )),
            (_, Packet::Connect(_)) => {
                Err(Violation::Decode(hermod_codec::DecodeError::SecondConnect))
            }
            (_, Packet::Publish(publish)) => self.handle_publish(now, publish),
            (_, Packet::PubAck(ack)) => self.handle_puback(ack.packet_id),
            (_, Packet::PubRec(ack)) => self.handle_pubrec(ack.packet_id, ack.reason),
            (_, Packet::PubRel(ack)) => self.handle_pubrel(ack.packet_id),
            (_, Packet::PubComp(ack)) => self.handle_pubcomp(ack.packet_id),
            (_, Packet::Subscribe(subscribe)) => self.handle_subscribe(now, subscribe),
            (_, Packet::Unsubscribe(unsubscribe)) => self.handle_unsubscribe(unsubscribe),
            (_, Packet::PingReq) => {
                self.send(&Packet::PingResp);
                Ok(())
            }
            (_, Packet::Disconnect(disconnect)) => self.handle_disconnect(now, disconnect),
            (_, Packet::Auth(_)) => Err(Violation::Decode(
                hermod_codec::DecodeError::UnexpectedPacket {
                    packet: hermod_codec::PacketType::Auth,
                },
            )),
            (_, other) => Err(Violation::Decode(
                hermod_codec::DecodeError::UnexpectedPacket {
                    packet: other.packet_type(),
                },
            )),
        };
        if let Err(violation) = &result {
            self.fail(now, violation.clone());
        }
        result
    }

    /// Reports a packet the codec refused: the connection closes as the spec requires (MQTT 5:
    /// DISCONNECT, or CONNACK before CONNECT succeeded, with the reason code).
    pub fn handle_decode_error(&mut self, now: Instant, error: hermod_codec::DecodeError) {
        self.fail(now, Violation::Decode(error));
    }

    /// Handles the passage of time: the connect timeout, the keep alive, and a takeover or
    /// shutdown signalled through the session. Call when `poll_timeout` is reached (and after
    /// every wake).
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Closed => {}
            Phase::AwaitingConnect => {
                if self.broker.is_shutting_down() {
                    self.phase = Phase::Closed;
                    self.close = Some(CloseReason::ServerShutdown);
                } else if now >= self.last_received + self.broker.config().connect_timeout {
                    tracing::info!(conn = self.id, peer = %self.peer, "no CONNECT in time: closing");
                    self.finish(now, CloseReason::ConnectTimeout, None);
                }
            }
            Phase::Active => {
                if self.broker.is_shutting_down() {
                    self.finish(
                        now,
                        CloseReason::ServerShutdown,
                        Some(ReasonCode::SERVER_SHUTTING_DOWN),
                    );
                } else if self.lost_session() {
                    self.finish(
                        now,
                        CloseReason::TakenOver,
                        Some(ReasonCode::SESSION_TAKEN_OVER),
                    );
                } else if let Some(deadline) = self.keep_alive_deadline() {
                    if now >= deadline {
                        tracing::info!(
                            conn = self.id,
                            client_id = %self.client_id(),
                            "keep alive expired"
                        );
                        self.finish(
                            now,
                            CloseReason::KeepAliveTimeout,
                            Some(ReasonCode::KEEP_ALIVE_TIMEOUT),
                        );
                    }
                }
            }
        }
    }

    /// The socket closed or failed. Publishes the will unless the client said DISCONNECT.
    pub fn handle_close(&mut self, now: Instant) {
        if self.phase != Phase::Closed {
            self.finish(now, CloseReason::ConnectionLost, None);
        }
    }

    /// The next time `handle_timeout` must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            // Nothing is received before CONNECT: the last receipt is the connection's start.
            Phase::AwaitingConnect => {
                Some(self.last_received + self.broker.config().connect_timeout)
            }
            Phase::Active => self.pause_deadline().or_else(|| self.keep_alive_deadline()),
            Phase::Closed => None,
        }
    }

    /// When the current backpressure pause runs out, while one lasts.
    fn pause_deadline(&self) -> Option<Instant> {
        self.pause
            .as_ref()
            .and_then(|pause| pause.since)
            .map(|since| since + MAX_PAUSE)
    }

    /// 1.5 × the keep alive after the last packet (MQTT-3.1.2-22); none while paused by
    /// backpressure.
    fn keep_alive_deadline(&self) -> Option<Instant> {
        if self.pause_deadline().is_some() {
            return None;
        }
        (self.keep_alive_secs > 0).then(|| {
            let keep_alive = Duration::from_secs(u64::from(self.keep_alive_secs));
            self.last_received + keep_alive + keep_alive / 2
        })
    }

    /// True if another connection took the session or it was discarded.
    fn lost_session(&self) -> bool {
        match &self.session {
            Some(session) => {
                let state = session.lock();
                state.owner != Some(self.id) || state.discarded
            }
            None => false,
        }
    }

    /// Encodes `packet` into the pending output. Packets the broker builds are always
    /// encodable; a failure is logged and the packet skipped.
    fn send(&mut self, packet: &Packet) {
        let stripped;
        let mut packet = packet;
        // MQTT-3.1.2-24: a Reason String or User Properties that would make the packet larger
        // than the client's Maximum Packet Size are left out (MQTT 5.0 says so for each
        // packet that carries them). PUBLISH is checked by `send_delivery`.
        if self.version.is_v5()
            && !matches!(packet, Packet::Publish(_))
            && packet
                .encoded_len(self.version)
                .is_ok_and(|len| len > self.client_max_packet_size())
        {
            stripped = without_problem_information(packet);
            packet = &stripped;
        }
        if let Err(error) = packet.encode(self.version, &mut self.tx) {
            tracing::error!(conn = self.id, %error, "could not encode an outgoing packet");
        }
    }

    /// Closes after a violation, telling an MQTT 5 client why.
    fn fail(&mut self, now: Instant, violation: Violation) {
        Stats::bump(&self.broker.stats().protocol_violations);
        tracing::warn!(
            conn = self.id,
            peer = %self.peer,
            client_id = %self.client_id(),
            rule = violation.rule_for(self.version),
            %violation,
            "protocol violation: closing"
        );
        let reason = violation.reason_code();
        self.close_text = Some(violation.to_string().into_boxed_str());
        if self.phase == Phase::AwaitingConnect {
            if reason == ReasonCode::UNSUPPORTED_PROTOCOL_VERSION {
                // MQTT-3.1.2-2: answer an unsupported protocol with CONNACK 0x84 (3.x: 0x01).
                self.refuse(now, reason);
            } else {
                // A malformed CONNECT is closed without CONNACK (MQTT-3.1.4-1).
                self.phase = Phase::Closed;
                self.close = Some(CloseReason::ProtocolViolation(reason));
            }
        } else {
            self.finish(now, CloseReason::ProtocolViolation(reason), Some(reason));
        }
    }

    /// Ends the connection: queues DISCONNECT (MQTT 5, when `disconnect` is given), settles
    /// the will and detaches the session.
    fn finish(&mut self, now: Instant, reason: CloseReason, disconnect: Option<ReasonCode>) {
        if self.phase == Phase::Closed {
            return;
        }
        self.leave_congestion();
        let was_active = self.phase == Phase::Active;
        self.phase = Phase::Closed;
        self.close = Some(reason);
        if let (Some(code), true, true) = (disconnect, was_active, self.version.is_v5()) {
            let mut packet = Disconnect::new(code);
            // A Reason String is always allowed on DISCONNECT (MQTT-3.1.2-29).
            packet.properties.reason_string = reason_string(self.close_text.take(), code);
            self.send(&Packet::Disconnect(packet));
        }
        if !was_active {
            return;
        }
        tracing::info!(
            conn = self.id,
            peer = %self.peer,
            client_id = %self.client_id(),
            reason = ?reason,
            "disconnected"
        );
        let publish_will = reason.publishes_will(self.broker.config().publish_wills_on_shutdown);
        let will = self.will.take().filter(|_| publish_will).map(|will| *will);
        self.detach_session(now, will);
    }

    /// Releases the session: discards it if it does not outlive the connection, else arms
    /// its expiry; publishes or schedules the will.
    fn detach_session(&mut self, now: Instant, will: Option<PendingWill>) {
        let Some(session) = self.session.take() else {
            if let Some(will) = will {
                self.broker.publish(now, will.into_message(now));
            }
            return;
        };
        let mut released = Vec::new();
        let (owned, ended, expiry, generation, orphans) = {
            let mut state = session.lock();
            let owned = state.owner == Some(self.id) && !state.discarded;
            let mut orphans = Vec::new();
            if owned {
                state.owner = None;
                state.waker = None;
                // Offline, the session no longer slows its publishers down (woken below,
                // outside the lock).
                released = state.take_all_congestion_waiters();
                state.generation += 1;
                orphans = state.take_shared_unacknowledged(&self.broker.inner.queued_bytes);
                state.release_idle_buffers();
            }
            (
                owned,
                state.discarded,
                state.expiry,
                state.generation,
                orphans,
            )
        };
        released.into_iter().for_each(|(_, waker)| waker.wake());
        if !orphans.is_empty() {
            {
                let state = session.lock();
                for orphan in &orphans {
                    self.broker.unstore(&session, &state, orphan.seq);
                }
            }
            let kept = self.broker.redeliver_shared(session.id, orphans);
            if !kept.is_empty() {
                let mut state = session.lock();
                if let Some(persistence) = self.broker.persistence_for(&state) {
                    for delivery in kept.iter().filter(|delivery| delivery.seq != 0) {
                        persistence.message_saved(&session.client_id, delivery.seq, delivery, None);
                    }
                }
                state.requeue_front(kept, &self.broker.inner.queued_bytes);
            }
        }
        if !owned {
            // Taken over or discarded: the will of this connection still applies (a delayed
            // will is cancelled by the reconnection that took the session over, unless that
            // reconnection ended the session: MQTT 5.0 section 3.1.2.5).
            if let Some(will) = will {
                if will.delay.is_zero() || ended {
                    self.broker.publish(now, will.into_message(now));
                }
            }
            return;
        }
        if expiry.is_zero() {
            self.broker.discard_session(now, &session);
            if let Some(will) = will {
                self.broker.publish(now, will.into_message(now));
            }
            return;
        }
        let mut stored_will = None;
        if let Some(will) = will {
            let delay = Broker::will_delay(will.delay, expiry);
            if delay.is_zero() {
                self.broker.publish(now, will.into_message(now));
            } else {
                let message = will.into_message(now + delay);
                stored_will = Some(crate::persist::StoredWill {
                    message: Arc::clone(&message),
                    delay,
                    publish_at: Some(now + delay),
                });
                self.broker.schedule(
                    now + delay,
                    TimerEvent::Will {
                        session: Arc::clone(&session),
                        generation,
                        message,
                    },
                );
            }
        }
        let finite = expiry < Duration::from_secs(u64::from(u32::MAX));
        {
            // The stored record: offline from now, with the will still to come (the
            // DISCONNECT may also have changed the expiry).
            let mut state = session.lock();
            state.set_expires_at(finite.then(|| now + expiry));
            self.broker
                .persist_session(&session, &mut state, self.version, stored_will);
        }
        if finite {
            self.broker.schedule(
                now + expiry,
                TimerEvent::ExpireSession {
                    session,
                    generation,
                },
            );
        }
    }
}

/// `packet` without its Reason String and User Properties.
fn without_problem_information(packet: &Packet) -> Packet {
    let mut packet = packet.clone();
    match &mut packet {
        Packet::ConnAck(connack) => {
            connack.properties.reason_string = None;
            connack.properties.user_properties.clear();
        }
        Packet::Disconnect(disconnect) => {
            disconnect.properties.reason_string = None;
            disconnect.properties.user_properties.clear();
        }
        Packet::PubAck(hermod_codec::PubAck { properties, .. })
        | Packet::PubRec(hermod_codec::PubRec { properties, .. })
        | Packet::PubRel(hermod_codec::PubRel { properties, .. })
        | Packet::PubComp(hermod_codec::PubComp { properties, .. })
        | Packet::SubAck(hermod_codec::SubAck { properties, .. })
        | Packet::UnsubAck(hermod_codec::UnsubAck { properties, .. }) => {
            properties.reason_string = None;
            properties.user_properties.clear();
        }
        _ => {}
    }
    packet
}

/// The Reason String for a negative answer: the given text, or the reason code's name.
fn reason_string(text: Option<Box<str>>, code: ReasonCode) -> Option<MqttString> {
    match text {
        Some(text) => MqttString::new(&text).ok(),
        None => code
            .name()
            .and_then(|name| MqttString::from_static(name).ok()),
    }
}

impl Connection {
    /// The Reason String to put on a negative PUBACK, PUBREC, SUBACK or UNSUBACK: only when the
    /// client did not turn problem information off (MQTT-3.1.2-29).
    fn problem_text(&self, code: ReasonCode) -> Option<MqttString> {
        if self.version.is_v5() && self.request_problem_information && !code.is_success() {
            reason_string(None, code)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod size_tests {
    /// Every connection, idle or not, keeps its engine in memory: its size is memory per
    /// connection (see docs/performance.md).
    #[test]
    fn the_connection_engine_stays_small() {
        let size = std::mem::size_of::<super::Connection>();
        eprintln!("Connection: {size} bytes");
        assert!(size <= 168, "Connection grew to {size} bytes");
    }
}
