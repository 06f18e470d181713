//! The state of one client session: what outlives a network connection (subscriptions, the
//! queue of messages waiting to be sent, QoS 1/2 messages in flight, QoS 2 packet ids awaiting
//! PUBREL). It sits behind a per-session mutex so that routing can append to its queue from any
//! thread; no lock is shared between sessions.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Duration;

use hermod_codec::{MqttString, PacketId, QoS, SubscriptionId, SubscriptionOptions};

use crate::config::OverflowPolicy;
use crate::message::{Delivery, Message};

/// A session's identity inside the broker (unique for the broker's lifetime).
pub type SessionId = u64;

/// A session shared by the registry, the subscription index and its connection.
#[derive(Debug)]
pub struct SessionCell {
    /// The session's identity.
    pub id: SessionId,
    /// The client identifier it belongs to.
    pub client_id: MqttString,
    state: Mutex<SessionState>,
}

/// Where a QoS 1/2 message sent to the client stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboundStage {
    /// QoS 1 sent, waiting for PUBACK.
    AwaitingPubAck,
    /// QoS 2 sent, waiting for PUBREC.
    AwaitingPubRec,
    /// PUBREL sent, waiting for PUBCOMP.
    AwaitingPubComp,
}

/// A QoS 1/2 message sent to the client and not yet acknowledged.
#[derive(Clone, Debug)]
pub struct Inflight {
    /// The identifier it was sent with.
    pub packet_id: PacketId,
    /// The message.
    pub delivery: Delivery,
    /// Its stage in the QoS flow.
    pub stage: OutboundStage,
}

/// A subscription as the session remembers it (for UNSUBSCRIBE, takeover and expiry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRecord {
    /// The options granted.
    pub options: SubscriptionOptions,
    /// The MQTT 5 Subscription Identifier, if any.
    pub subscription_id: Option<SubscriptionId>,
}

/// The mutable part of a session.
#[derive(Debug, Default)]
pub struct SessionState {
    /// The connection attached to the session, if any.
    pub owner: Option<u64>,
    /// Set when the session was discarded (clean start or expiry); a connection that still
    /// holds it must close.
    pub discarded: bool,
    /// Wakes the attached connection's task when deliveries arrive.
    pub waker: Option<Waker>,
    /// Messages waiting to be sent, oldest first.
    pub queue: VecDeque<Delivery>,
    /// Bytes of the queued messages.
    pub queued_bytes: usize,
    /// QoS 1/2 messages sent and not yet acknowledged, in send order.
    pub inflight: VecDeque<Inflight>,
    /// The next packet identifier to try.
    pub next_packet_id: Option<PacketId>,
    /// The session's subscriptions by topic filter.
    pub subscriptions: Subscriptions,
    /// The Session Expiry Interval in force.
    pub expiry: Duration,
    /// Counts disconnections, so that a timer armed at one disconnection can tell whether it
    /// still applies.
    pub generation: u64,
    /// Set when a delivery was queued since the attached connection last drained the queue:
    /// a wake that reached its task while it was busy elsewhere is not lost (see
    /// [`crate::Connection::set_waker`]).
    pub delivery_pending: bool,
    /// Set while the session has a record in the durable store (see
    /// [`crate::persist::Persistence`]): its subscription changes are recorded too.
    pub persisted: bool,
    /// The protocol version of its last connection (kept for its stored record).
    pub version: Option<hermod_codec::ProtocolVersion>,
    /// What most sessions never need, allocated on first use: an idle session is memory per
    /// idle connection.
    rare: Option<Box<SessionRare>>,
}

/// A session's subscriptions by topic filter, as the session remembers them (for
/// UNSUBSCRIBE, takeover, expiry and the store; routing uses the broker's index). The map is
/// allocated with the first subscription: it is cold data, and a session without any keeps
/// one pointer.
#[derive(Debug, Default)]
#[expect(
    clippy::box_collection,
    reason = "8 bytes per session without subscriptions instead of 48"
)]
pub struct Subscriptions(Option<Box<HashMap<String, SubscriptionRecord>>>);

impl Subscriptions {
    /// Whether `filter` is subscribed.
    pub fn contains_key(&self, filter: &str) -> bool {
        self.0.as_ref().is_some_and(|map| map.contains_key(filter))
    }

    /// How many filters are subscribed.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |map| map.len())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds or replaces a subscription; returns the one it replaced.
    pub fn insert(
        &mut self,
        filter: String,
        record: SubscriptionRecord,
    ) -> Option<SubscriptionRecord> {
        self.0
            .get_or_insert_with(Box::default)
            .insert(filter, record)
    }

    /// Removes a subscription; returns it if there was one. The map goes with the last.
    pub fn remove(&mut self, filter: &str) -> Option<SubscriptionRecord> {
        let map = self.0.as_mut()?;
        let removed = map.remove(filter);
        if map.is_empty() {
            self.0 = None;
        }
        removed
    }

    /// Every subscription.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &SubscriptionRecord)> {
        self.0.iter().flat_map(|map| map.iter())
    }

    /// Takes every subscription, leaving none.
    pub fn take_all(&mut self) -> impl Iterator<Item = (String, SubscriptionRecord)> + use<> {
        self.0.take().into_iter().flat_map(|map| map.into_iter())
    }
}

/// The parts of a session's state that most sessions never use.
#[derive(Debug, Default)]
struct SessionRare {
    /// QoS 2 packet identifiers received and awaiting PUBREL (exactly-once: a duplicate
    /// PUBLISH with one of these is not forwarded again).
    incoming_qos2: HashSet<u16>,
    /// Messages dropped by the overflow policy or the broker-wide budget.
    dropped: u64,
    /// Publishers' connections (by connection id) paused because this online session's
    /// queue is full; woken when the queue drains to half its limit or the session goes
    /// offline.
    congestion_waiters: Vec<(u64, Waker)>,
    /// The last number given to a stored queued message.
    next_seq: u64,
    /// When it expires while offline (kept for its stored record).
    expires_at: Option<std::time::Instant>,
    /// Numbers of stored messages the queue dropped (overflow), for the caller to remove
    /// from the store.
    unstored: Vec<u64>,
}

/// What happened to a delivery offered to a session.
#[derive(Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// Queued.
    Queued,
    /// Queued beyond the message limit (backpressure): the publisher should pause until the
    /// session's queue drains (see [`SessionState::is_congested`]).
    QueuedCongested,
    /// Queued after dropping the oldest queued message.
    DroppedOldest,
    /// Not queued: the queue or the broker-wide budget is full.
    DroppedNewest,
    /// Not queued, and the policy says the client must be disconnected.
    Disconnect,
    /// Not queued: an offline session does not keep QoS 0 messages.
    SkippedQos0Offline,
}

/// The limits a session's queue applies.
#[derive(Clone, Copy, Debug)]
pub struct QueueLimits<'a> {
    /// Most queued messages.
    pub max_messages: usize,
    /// Most queued bytes.
    pub max_bytes: usize,
    /// Broker-wide queued bytes counter.
    pub total_bytes: &'a AtomicUsize,
    /// Broker-wide queued bytes limit.
    pub max_total_bytes: usize,
    /// Policy when full.
    pub policy: OverflowPolicy,
    /// Whether offline sessions keep QoS 0 messages.
    pub queue_qos0_offline: bool,
    /// Whether a full queue of an online session takes messages anyway (up to twice the
    /// message limit) and pauses their publishers instead of applying the policy.
    pub backpressure: bool,
    /// Queued bytes from which an online session's publishers are paused (backpressure),
    /// even below the message limit.
    pub backpressure_bytes: usize,
    /// The durable store, to record QoS 1/2 messages queued for persistent sessions.
    pub persistence: Option<&'a dyn crate::persist::Persistence>,
}

impl SessionCell {
    /// A new, empty session.
    pub fn new(id: SessionId, client_id: MqttString, expiry: Duration) -> SessionCell {
        SessionCell {
            id,
            client_id,
            state: Mutex::new(SessionState {
                expiry,
                ..SessionState::default()
            }),
        }
    }

    /// Locks the session state. A poisoned lock (a panic while it was held) is recovered:
    /// the state is plain data and stays consistent field by field.
    pub fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Offers a delivery: queues it under the limits and wakes the attached connection.
    pub fn offer(&self, delivery: Delivery, limits: &QueueLimits<'_>) -> Enqueued {
        self.offer_with_copy(delivery, limits, &OnceCell::new())
    }

    /// Like [`SessionCell::offer`], with a cell holding the message's owned copy for offline
    /// sessions: routing one message to many offline sessions makes one copy, not one each.
    pub fn offer_with_copy(
        &self,
        delivery: Delivery,
        limits: &QueueLimits<'_>,
        offline_copy: &OnceCell<Arc<Message>>,
    ) -> Enqueued {
        let (outcome, waker) = {
            let mut state = self.lock();
            if state.discarded {
                return Enqueued::DroppedNewest;
            }
            // A message waiting for an offline session may wait long: keep it in its own
            // bytes rather than pinning the publisher's whole read buffer.
            let kept_offline = delivery.qos != QoS::AtMostOnce || limits.queue_qos0_offline;
            let delivery = if state.owner.is_none() && kept_offline {
                let copy = offline_copy.get_or_init(|| Arc::new(delivery.message.detached()));
                Delivery {
                    message: Arc::clone(copy),
                    ..delivery
                }
            } else {
                delivery
            };
            let stored = match limits.persistence {
                Some(persistence) if state.persisted && delivery.qos != QoS::AtMostOnce => {
                    Some(persistence)
                }
                _ => None,
            };
            let mut delivery = delivery;
            if stored.is_some() {
                delivery.seq = state.next_seq();
            }
            let outcome = state.enqueue(delivery, limits);
            if let Some(persistence) = stored {
                if matches!(
                    outcome,
                    Enqueued::Queued | Enqueued::QueuedCongested | Enqueued::DroppedOldest
                ) {
                    if let Some(queued) = state.queue.back() {
                        persistence.message_saved(&self.client_id, queued.seq, queued, None);
                    }
                }
                for seq in state.take_unstored() {
                    persistence.message_removed(&self.client_id, seq);
                }
            }
            let waker = match outcome {
                Enqueued::Queued
                | Enqueued::QueuedCongested
                | Enqueued::DroppedOldest
                | Enqueued::Disconnect => {
                    state.delivery_pending = true;
                    state.waker.take()
                }
                _ => None,
            };
            (outcome, waker)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        outcome
    }
}

impl SessionState {
    /// The rare part, allocated on first use.
    fn rare_mut(&mut self) -> &mut SessionRare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Whether a QoS 2 PUBLISH with this packet identifier was received and awaits its
    /// PUBREL (a duplicate of it is not forwarded again).
    pub fn qos2_received(&self, packet_id: u16) -> bool {
        self.rare
            .as_ref()
            .is_some_and(|rare| rare.incoming_qos2.contains(&packet_id))
    }

    /// How many received QoS 2 messages await their PUBREL.
    pub fn qos2_awaiting_release(&self) -> usize {
        self.rare
            .as_ref()
            .map_or(0, |rare| rare.incoming_qos2.len())
    }

    /// Records a received QoS 2 packet identifier until its PUBREL.
    pub fn qos2_receive(&mut self, packet_id: u16) {
        self.rare_mut().incoming_qos2.insert(packet_id);
    }

    /// Forgets a received QoS 2 packet identifier (its PUBREL came, or it was refused); true
    /// if it was recorded.
    pub fn qos2_release(&mut self, packet_id: u16) -> bool {
        self.rare
            .as_mut()
            .is_some_and(|rare| rare.incoming_qos2.remove(&packet_id))
    }

    /// Messages dropped (overflow policy or broker-wide budget) since the count was taken.
    pub fn dropped(&self) -> u64 {
        self.rare.as_ref().map_or(0, |rare| rare.dropped)
    }

    /// Takes the count of dropped messages, leaving 0.
    pub fn take_dropped(&mut self) -> u64 {
        self.rare
            .as_mut()
            .map_or(0, |rare| std::mem::take(&mut rare.dropped))
    }

    fn count_dropped(&mut self) {
        self.rare_mut().dropped += 1;
    }

    /// Registers a publisher's connection paused on this session's full queue (once).
    pub fn add_congestion_waiter(&mut self, connection: u64, waker: &Waker) {
        let waiters = &mut self.rare_mut().congestion_waiters;
        if !waiters.iter().any(|(id, _)| *id == connection) {
            waiters.push((connection, waker.clone()));
        }
    }

    /// Forgets a paused publisher's connection (it closed or resumed).
    pub fn remove_congestion_waiter(&mut self, connection: u64) {
        if let Some(rare) = self.rare.as_mut() {
            rare.congestion_waiters.retain(|(id, _)| *id != connection);
        }
    }

    /// Numbers the next stored queued message.
    pub fn next_seq(&mut self) -> u64 {
        let rare = self.rare_mut();
        rare.next_seq += 1;
        rare.next_seq
    }

    /// Makes later stored messages number after `seq` (a restored message's number).
    pub fn seq_at_least(&mut self, seq: u64) {
        let rare = self.rare_mut();
        rare.next_seq = rare.next_seq.max(seq);
    }

    /// When the session expires while offline (kept for its stored record).
    pub fn expires_at(&self) -> Option<std::time::Instant> {
        self.rare.as_ref().and_then(|rare| rare.expires_at)
    }

    /// Sets when the session expires while offline.
    pub fn set_expires_at(&mut self, at: Option<std::time::Instant>) {
        if at.is_some() || self.rare.is_some() {
            self.rare_mut().expires_at = at;
        }
    }

    /// Takes the numbers of stored messages the queue dropped, for removal from the store.
    pub fn take_unstored(&mut self) -> Vec<u64> {
        self.rare
            .as_mut()
            .map(|rare| std::mem::take(&mut rare.unstored))
            .unwrap_or_default()
    }
    /// Queues a delivery under the limits (see [`SessionCell::offer`]).
    pub fn enqueue(&mut self, delivery: Delivery, limits: &QueueLimits<'_>) -> Enqueued {
        if self.owner.is_none() && delivery.qos == QoS::AtMostOnce && !limits.queue_qos0_offline {
            return Enqueued::SkippedQos0Offline;
        }
        let size = delivery.message.queued_size();
        let full =
            self.queue.len() >= limits.max_messages || self.queued_bytes + size > limits.max_bytes;
        let over_budget =
            limits.total_bytes.load(Ordering::Relaxed) + size > limits.max_total_bytes;
        let mut outcome = Enqueued::Queued;
        if over_budget {
            self.count_dropped();
            return Enqueued::DroppedNewest;
        }
        let congested = full || self.queued_bytes + size >= limits.backpressure_bytes;
        if congested
            && limits.backpressure
            && self.owner.is_some()
            && self.queue.len() < limits.max_messages.saturating_mul(2)
            && self.queued_bytes + size <= limits.max_bytes
        {
            // Online: keep the message and slow the publisher down instead.
            outcome = Enqueued::QueuedCongested;
        } else if full {
            // A queue over its limit through backpressure is at its hard limit: the new
            // message is dropped rather than older ones (publishers were asked to wait).
            let policy = match limits.policy {
                OverflowPolicy::DropOldest if self.queue.len() > limits.max_messages => {
                    OverflowPolicy::DropNewest
                }
                policy => policy,
            };
            match policy {
                OverflowPolicy::DropNewest => {
                    self.count_dropped();
                    return Enqueued::DroppedNewest;
                }
                OverflowPolicy::Disconnect => {
                    self.count_dropped();
                    return Enqueued::Disconnect;
                }
                OverflowPolicy::DropOldest => {
                    if size > limits.max_bytes {
                        self.count_dropped();
                        return Enqueued::DroppedNewest;
                    }
                    // Drop as many of the oldest as it takes to respect both limits.
                    while self.queue.len() >= limits.max_messages
                        || self.queued_bytes + size > limits.max_bytes
                    {
                        let Some(oldest) = self.queue.pop_front() else {
                            break;
                        };
                        let freed = oldest.message.queued_size();
                        if oldest.seq != 0 {
                            self.rare_mut().unstored.push(oldest.seq);
                        }
                        self.queued_bytes -= freed;
                        limits.total_bytes.fetch_sub(freed, Ordering::Relaxed);
                        self.count_dropped();
                        outcome = Enqueued::DroppedOldest;
                    }
                }
            }
        }
        self.queued_bytes += size;
        limits.total_bytes.fetch_add(size, Ordering::Relaxed);
        self.queue.push_back(delivery);
        outcome
    }

    /// Whether publishers paused on this session must stay paused: it is online and its queue
    /// holds more than half of the message limit or of the backpressure bytes.
    pub fn is_congested(&self, limits: &QueueLimits<'_>) -> bool {
        self.owner.is_some()
            && !self.discarded
            && (self.queue.len() > limits.max_messages / 2
                || self.queued_bytes > limits.backpressure_bytes / 2)
    }

    /// The paused publishers to wake, if the session is no longer congested.
    pub fn take_congestion_waiters(&mut self, limits: &QueueLimits<'_>) -> Vec<(u64, Waker)> {
        let waiting = self
            .rare
            .as_ref()
            .is_some_and(|rare| !rare.congestion_waiters.is_empty());
        if !waiting || self.is_congested(limits) {
            return Vec::new();
        }
        self.take_all_congestion_waiters()
    }

    /// Lets go of the delivery buffers' capacity when nothing is queued or in flight (the
    /// connection is going idle or offline): an idle session keeps no buffer a burst grew.
    /// The buffers stay inline, not boxed: they are on every delivery's path.
    pub fn release_idle_buffers(&mut self) {
        if self.queue.is_empty() && self.queue.capacity() > 0 {
            self.queue = VecDeque::new();
        }
        if self.inflight.is_empty() && self.inflight.capacity() > 0 {
            self.inflight = VecDeque::new();
        }
    }

    /// Every paused publisher, to wake because the session went offline or was discarded.
    pub fn take_all_congestion_waiters(&mut self) -> Vec<(u64, Waker)> {
        self.rare
            .as_mut()
            .map(|rare| std::mem::take(&mut rare.congestion_waiters))
            .unwrap_or_default()
    }

    /// Puts deliveries back at the front of the queue, in order (messages a leaving shared
    /// member keeps because no other member could take them).
    pub fn requeue_front(&mut self, deliveries: Vec<Delivery>, total_bytes: &AtomicUsize) {
        for delivery in deliveries.into_iter().rev() {
            let size = delivery.message.queued_size();
            self.queued_bytes += size;
            total_bytes.fetch_add(size, Ordering::Relaxed);
            self.queue.push_front(delivery);
        }
    }

    /// Takes the oldest queued delivery, releasing its bytes from the session's count and
    /// adding them to `released`, for the caller to take off the broker-wide counter once
    /// per batch rather than once per message.
    pub fn dequeue_into(&mut self, released: &mut usize) -> Option<Delivery> {
        let delivery = self.queue.pop_front()?;
        let size = delivery.message.queued_size();
        self.queued_bytes -= size;
        *released += size;
        Some(delivery)
    }

    /// Empties the queue (session discarded), releasing its bytes.
    pub fn clear_queue(&mut self, total_bytes: &AtomicUsize) {
        total_bytes.fetch_sub(self.queued_bytes, Ordering::Relaxed);
        self.queued_bytes = 0;
        self.queue.clear();
    }

    /// Removes and returns the QoS 1/2 messages that reached this session through a shared
    /// subscription and were not received by the client yet (queued, or sent without PUBACK
    /// or PUBREC), for redelivery to another member of the group.
    pub fn take_shared_unacknowledged(&mut self, total_bytes: &AtomicUsize) -> Vec<Delivery> {
        let mut taken = Vec::new();
        self.inflight.retain(|entry| {
            // QoS 2 messages already sent stay: their delivery must be completed with this
            // client (MQTT-4.8.2-4/-5). QoS 1 ones may go to another member.
            let orphan =
                entry.delivery.shared.is_some() && entry.stage == OutboundStage::AwaitingPubAck;
            if orphan {
                taken.push(entry.delivery.clone());
            }
            !orphan
        });
        let mut kept = VecDeque::with_capacity(self.queue.len());
        while let Some(delivery) = self.queue.pop_front() {
            if delivery.shared.is_some() && delivery.qos != QoS::AtMostOnce {
                let size = delivery.message.queued_size();
                self.queued_bytes -= size;
                total_bytes.fetch_sub(size, Ordering::Relaxed);
                taken.push(delivery);
            } else {
                kept.push_back(delivery);
            }
        }
        self.queue = kept;
        taken
    }

    /// A free packet identifier for a new outgoing QoS 1/2 message, or `None` if all 65,535
    /// are in flight.
    pub fn allocate_packet_id(&mut self) -> Option<PacketId> {
        let mut candidate = self.next_packet_id.unwrap_or(PacketId::MIN);
        for _ in 0..u16::MAX {
            if !self
                .inflight
                .iter()
                .any(|entry| entry.packet_id == candidate)
            {
                self.next_packet_id = Some(candidate.next());
                return Some(candidate);
            }
            candidate = candidate.next();
        }
        None
    }

    /// The position of the in-flight entry with `packet_id`.
    pub fn inflight_position(&self, packet_id: PacketId) -> Option<usize> {
        self.inflight
            .iter()
            .position(|entry| entry.packet_id == packet_id)
    }
}

#[cfg(test)]
mod size_tests {
    /// Every session, idle or not, keeps its state in memory: its size is memory per idle
    /// connection (see docs/performance.md).
    #[test]
    fn the_session_stays_small() {
        let size = std::mem::size_of::<super::SessionCell>();
        eprintln!("SessionCell: {size} bytes");
        assert!(size <= 200, "SessionCell grew to {size} bytes");
    }

    /// A session's subscription map exists only while it has subscriptions.
    #[test]
    fn the_subscription_map_comes_with_the_first_and_goes_with_the_last() {
        use hermod_codec::{QoS, SubscriptionOptions};

        let record = super::SubscriptionRecord {
            options: SubscriptionOptions::with_qos(QoS::AtLeastOnce),
            subscription_id: None,
        };
        let mut subscriptions = super::Subscriptions::default();
        assert!(subscriptions.0.is_none() && subscriptions.is_empty());
        assert!(subscriptions.remove("a/b").is_none());
        assert!(subscriptions.0.is_none(), "a removal allocated the map");
        subscriptions.insert("a/b".to_owned(), record.clone());
        subscriptions.insert("c/#".to_owned(), record.clone());
        assert_eq!(subscriptions.len(), 2);
        assert!(subscriptions.contains_key("c/#"));
        assert_eq!(subscriptions.remove("a/b"), Some(record));
        assert!(subscriptions.0.is_some());
        let left: Vec<String> = subscriptions.take_all().map(|(filter, _)| filter).collect();
        assert_eq!(left, ["c/#"]);
        assert!(subscriptions.0.is_none() && subscriptions.is_empty());
    }

    /// Parking lets go of empty delivery buffers' capacity.
    #[test]
    fn idle_delivery_buffers_give_back_their_capacity() {
        let mut state = super::SessionState::default();
        state.queue.reserve(64);
        state.inflight.reserve(64);
        state.release_idle_buffers();
        assert_eq!(state.queue.capacity(), 0);
        assert_eq!(state.inflight.capacity(), 0);
    }
}
