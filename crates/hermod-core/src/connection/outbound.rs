//! Messages to the client: draining the session queue into the in-flight window, encoding each
//! PUBLISH for this connection (packet id, topic alias, remaining expiry, subscription
//! identifiers), and resending what was in flight when the session resumes.

use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use hermod_codec::{
    Packet, PacketId, PubRel, Publish, PublishProperties, QoS, TopicAlias, TopicName,
};
use smallvec::SmallVec;

use super::{CloseReason, Connection, Phase};
use crate::message::{Delivery, WireForm};
use crate::session::{Inflight, OutboundStage, SessionCell};
use crate::stats::Stats;

/// Deliveries taken from the session queue under one lock.
const DRAIN_BATCH: usize = 32;
/// Output bytes one `poll_transmit` encodes from the queue at most (one write's worth).
pub(super) const MAX_TX_BATCH: usize = 16 * 1024;

impl Connection {
    /// Appends everything ready to send to `out`: control packets, then queued messages up
    /// to the in-flight window. Returns true if anything was appended. Call after handling
    /// packets and after every wake; write `out` in one call.
    pub fn poll_transmit(&mut self, now: Instant, out: &mut BytesMut) -> bool {
        if self.phase == Phase::Active {
            self.handle_timeout(now);
        }
        if self.has_held_acks() {
            self.release_acks(now, std::task::Waker::noop());
        }
        if self.phase == Phase::Active {
            self.drain_queue(now);
        }
        if self.sent_unflushed > 0 {
            // One update of the shared counter per turn, not per message.
            self.broker.stats().messages_sent.fetch_add(
                u64::from(self.sent_unflushed),
                std::sync::atomic::Ordering::Relaxed,
            );
            self.sent_unflushed = 0;
        }
        if self.tx.is_empty() {
            return false;
        }
        if out.is_empty() {
            // Hand over the buffer itself: no copy.
            std::mem::swap(out, &mut self.tx);
        } else {
            out.extend_from_slice(&self.tx);
            self.tx.clear();
        }
        true
    }

    /// Whether messages are still queued for this connection because the last
    /// `poll_transmit` stopped at [`MAX_TX_BATCH`]: the driver should write and call it again
    /// without waiting for a wake.
    pub fn has_more_to_send(&self) -> bool {
        self.more_to_send
    }

    /// Moves deliveries from the session queue onto the wire, as far as the in-flight window
    /// allows and up to [`MAX_TX_BATCH`] bytes of output: the rest waits in the queue, where
    /// a message shared by many subscribers is stored once rather than encoded into each
    /// one's output.
    fn drain_queue(&mut self, now: Instant) {
        self.more_to_send = false;
        let Some(session) = self.session.as_ref().map(Arc::clone) else {
            return;
        };
        let window = self.window();
        self.resend_deferred(now, &session, window);
        let broker = self.broker.clone();
        let total_bytes = &broker.inner.queued_bytes;
        // Deliveries are taken from the queue a batch at a time under one lock, then encoded
        // without it (routing to this session is not held up while they are).
        let mut batch: SmallVec<[(Delivery, Option<PacketId>); DRAIN_BATCH]> = SmallVec::new();
        loop {
            // Bytes taken off the session's queue in this batch: the broker-wide counter is
            // updated once per batch.
            let mut released = 0;
            {
                let mut state = session.lock();
                if state.owner != Some(self.id) || state.discarded {
                    break;
                }
                state.delivery_pending = false;
                // One write's worth of output per turn (at least one message).
                let mut room = MAX_TX_BATCH.saturating_sub(self.tx.len());
                while batch.len() < DRAIN_BATCH {
                    let Some(front) = state.queue.front() else {
                        break;
                    };
                    if room == 0 {
                        self.more_to_send = true;
                        break;
                    }
                    if front.qos != QoS::AtMostOnce && state.inflight.len() >= window {
                        break;
                    }
                    let Some(delivery) = state.dequeue_into(&mut released) else {
                        break;
                    };
                    if delivery.message.is_expired(now) {
                        Stats::bump(&self.broker.stats().messages_expired);
                        if let Some(persistence) = broker.persistence_for(&state) {
                            if delivery.seq != 0 {
                                persistence.message_removed(&session.client_id, delivery.seq);
                            }
                        }
                        continue;
                    }
                    let packet_id = if delivery.qos == QoS::AtMostOnce {
                        None
                    } else {
                        let Some(packet_id) = state.allocate_packet_id() else {
                            state.requeue_front(vec![delivery], total_bytes);
                            break;
                        };
                        let stage = if delivery.qos == QoS::AtLeastOnce {
                            OutboundStage::AwaitingPubAck
                        } else {
                            OutboundStage::AwaitingPubRec
                        };
                        // A QoS 2 message keeps its packet identifier over a restart (the
                        // client may hold it as received); a QoS 1 one may get a new one.
                        if stage == OutboundStage::AwaitingPubRec && delivery.seq != 0 {
                            if let Some(persistence) = broker.persistence_for(&state) {
                                persistence.message_saved(
                                    &session.client_id,
                                    delivery.seq,
                                    &delivery,
                                    Some((packet_id, stage)),
                                );
                            }
                        }
                        state.inflight.push_back(Inflight {
                            packet_id,
                            delivery: delivery.clone(),
                            stage,
                        });
                        Some(packet_id)
                    };
                    // Topic, payload and a PUBLISH header's worth.
                    room = room.saturating_sub(delivery.message.queued_size() + 16);
                    batch.push((delivery, packet_id));
                }
            }
            if released > 0 {
                total_bytes.fetch_sub(released, std::sync::atomic::Ordering::Relaxed);
            }
            let full = batch.len() == DRAIN_BATCH;
            for (delivery, packet_id) in batch.drain(..) {
                if !self.send_delivery(now, &delivery, packet_id, false) {
                    let mut state = session.lock();
                    if let Some(packet_id) = packet_id {
                        if let Some(position) = state.inflight_position(packet_id) {
                            state.inflight.remove(position);
                        }
                    }
                    broker.unstore(&session, &state, delivery.seq);
                }
            }
            if !full {
                break;
            }
        }
        let paused = session
            .lock()
            .take_congestion_waiters(&self.broker.queue_limits());
        paused.into_iter().for_each(|(_, waker)| waker.wake());
        if session.lock().dropped() > 0
            && self.broker.config().overflow_policy == crate::config::OverflowPolicy::Disconnect
        {
            let overflowed = {
                let mut state = session.lock();
                state.take_dropped() > 0
            };
            if overflowed {
                self.finish(
                    now,
                    CloseReason::QuotaExceeded,
                    Some(hermod_codec::ReasonCode::QUOTA_EXCEEDED),
                );
            }
        }
    }

    /// Resends what was in flight when the session resumes: PUBLISH with DUP for messages not
    /// yet acknowledged, PUBREL for those awaiting PUBCOMP (MQTT-4.4.0-1).
    pub(super) fn resend_inflight(&mut self, now: Instant) {
        let Some(session) = self.session.as_ref().map(Arc::clone) else {
            return;
        };
        let inflight: Vec<Inflight> = session.lock().inflight.iter().cloned().collect();
        // Resent PUBLISH packets count against the client's Receive Maximum for this
        // connection (MQTT 5.0 section 3.3.4); the rest wait in `deferred_resend`.
        let mut budget = self.window();
        for entry in inflight {
            match entry.stage {
                OutboundStage::AwaitingPubComp => {
                    self.send(&Packet::PubRel(PubRel::new(entry.packet_id)));
                }
                OutboundStage::AwaitingPubAck | OutboundStage::AwaitingPubRec => {
                    if budget == 0 {
                        self.deferred_resend
                            .get_or_insert_default()
                            .push_back(entry.packet_id);
                    } else if self.send_delivery(now, &entry.delivery, Some(entry.packet_id), true)
                    {
                        budget -= 1;
                    } else {
                        // Too large for this connection: discarded (MQTT-3.1.2-25), so that
                        // it does not hold a slot of the window forever.
                        let mut state = session.lock();
                        if let Some(position) = state.inflight_position(entry.packet_id) {
                            state.inflight.remove(position);
                        }
                        self.broker.unstore(&session, &state, entry.delivery.seq);
                    }
                }
            }
        }
    }

    /// The most unacknowledged QoS 1/2 PUBLISH this connection may have outstanding.
    fn window(&self) -> usize {
        usize::from(
            self.broker
                .config()
                .max_inflight
                .get()
                .min(self.send_window),
        )
    }

    /// Resends deferred in-flight messages (see `resend_inflight`) as the window allows.
    fn resend_deferred(&mut self, now: Instant, session: &Arc<SessionCell>, window: usize) {
        let Some(mut deferred) = self.deferred_resend.take() else {
            return;
        };
        self.resend_from(&mut deferred, now, session, window);
        if !deferred.is_empty() {
            self.deferred_resend = Some(deferred);
        }
    }

    /// Resends from `deferred`, oldest first, while the window has room.
    fn resend_from(
        &mut self,
        deferred: &mut std::collections::VecDeque<PacketId>,
        now: Instant,
        session: &Arc<SessionCell>,
        window: usize,
    ) {
        for _ in 0..deferred.len() {
            let entry = {
                let state = session.lock();
                if state.owner != Some(self.id) || state.discarded {
                    return;
                }
                // Acknowledged meanwhile (the client may have had it from the last
                // connection): nothing left to resend.
                deferred.retain(|packet_id| {
                    state
                        .inflight_position(*packet_id)
                        .and_then(|position| state.inflight.get(position))
                        .is_some_and(|entry| entry.stage != OutboundStage::AwaitingPubComp)
                });
                if state.inflight.len() - deferred.len() >= window {
                    return;
                }
                let Some(packet_id) = deferred.pop_front() else {
                    return;
                };
                state
                    .inflight_position(packet_id)
                    .and_then(|position| state.inflight.get(position))
                    .cloned()
            };
            let Some(entry) = entry else { continue };
            if !self.send_delivery(now, &entry.delivery, Some(entry.packet_id), true) {
                let mut state = session.lock();
                if let Some(position) = state.inflight_position(entry.packet_id) {
                    state.inflight.remove(position);
                }
                self.broker.unstore(session, &state, entry.delivery.seq);
            }
        }
    }

    /// Encodes one PUBLISH for this client. Returns false if it was not sent because it
    /// exceeds the client's Maximum Packet Size (MQTT-3.1.2-25: such a message is discarded
    /// for this client).
    fn send_delivery(
        &mut self,
        now: Instant,
        delivery: &Delivery,
        packet_id: Option<PacketId>,
        dup: bool,
    ) -> bool {
        let message = &delivery.message;
        if let Some(sent) = self.send_shared_form(now, delivery, packet_id, dup) {
            return sent;
        }
        let mut properties = PublishProperties::default();
        let mut topic = message.topic.clone();
        let mut sets_alias = false;
        if self.version.is_v5() {
            properties = message.properties.clone();
            properties.message_expiry_interval = message.remaining_expiry(now);
            if !delivery.subscription_ids.is_empty() {
                properties.metadata_mut().subscription_identifiers =
                    delivery.subscription_ids.clone();
            }
            if let Some((alias, known)) = self.outbound_alias(&message.topic) {
                properties.topic_alias = Some(alias);
                if known {
                    topic = TopicName::aliased();
                } else {
                    sets_alias = true;
                }
            }
        }
        let publish = Packet::Publish(Publish {
            dup,
            qos: delivery.qos,
            retain: delivery.retain,
            topic,
            packet_id,
            properties,
            payload: message.payload.clone(),
        });
        match publish.encoded_len(self.version) {
            Ok(len) if len <= self.client_max_packet_size() => {
                self.send(&publish);
                self.sent_unflushed += 1;
                true
            }
            _ => {
                if sets_alias {
                    // The client never learns an alias from a PUBLISH it does not receive.
                    if let Some(aliases) = self.aliases.as_mut() {
                        aliases.outbound.remove(&message.topic);
                    }
                }
                Stats::bump(&self.broker.stats().messages_too_large);
                tracing::debug!(conn = self.id, topic = %message.topic, "message larger than the client accepts: dropped");
                false
            }
        }
    }

    /// Sends a PUBLISH whose bytes do not depend on this connection (no expiry countdown, no
    /// subscription identifiers, no topic alias) from the message's shared encoding: the
    /// first recipient of a wire form encodes it, later ones copy it and patch the packet
    /// identifier and DUP bit. `None` when this delivery needs its own encoding.
    fn send_shared_form(
        &mut self,
        now: Instant,
        delivery: &Delivery,
        packet_id: Option<PacketId>,
        dup: bool,
    ) -> Option<bool> {
        let message = &delivery.message;
        let v5 = self.version.is_v5();
        if v5
            && (message.expires_at.is_some()
                || !delivery.subscription_ids.is_empty()
                || self.client_topic_alias_maximum > 0)
        {
            return None;
        }
        // The only holder besides this delivery (and its in-flight copy): no other recipient
        // will need the shared form, so encode straight into the output instead.
        let holders = 1 + usize::from(packet_id.is_some());
        if message.encoded.get().is_none() && Arc::strong_count(message) <= holders {
            return None;
        }
        let form = WireForm {
            v5,
            qos: delivery.qos,
            retain: delivery.retain,
        };
        let (cached_form, bytes) = message.encoded.get_or_init(|| {
            let publish = Packet::Publish(Publish {
                dup: false,
                qos: delivery.qos,
                retain: delivery.retain,
                topic: message.topic.clone(),
                packet_id: (delivery.qos != QoS::AtMostOnce).then_some(PacketId::MIN),
                properties: if v5 {
                    message.properties.clone()
                } else {
                    PublishProperties::default()
                },
                payload: message.payload.clone(),
            });
            let bytes = publish.encode_to_bytes(self.version).unwrap_or_default();
            (form, bytes)
        });
        if *cached_form != form || bytes.is_empty() {
            return None;
        }
        let _ = now;
        if bytes.len() > self.client_max_packet_size() {
            Stats::bump(&self.broker.stats().messages_too_large);
            tracing::debug!(conn = self.id, topic = %message.topic, "message larger than the client accepts: dropped");
            return Some(false);
        }
        let start = self.tx.len();
        self.tx.extend_from_slice(bytes);
        if let Some(packet_id) = packet_id {
            // The identifier follows the fixed header and the topic (MQTT 5.0 section 3.3.2).
            let header = hermod_codec::header::FixedHeader::parse(bytes)
                .ok()
                .flatten();
            if let Some(header) = header {
                let at = start + header.header_length + 2 + message.topic.len();
                if let Some(slot) = self.tx.get_mut(at..at + 2) {
                    slot.copy_from_slice(&packet_id.get().to_be_bytes());
                }
            }
            if dup {
                if let Some(first) = self.tx.get_mut(start) {
                    *first |= 0b1000;
                }
            }
        }
        self.sent_unflushed += 1;
        Some(true)
    }

    /// The outbound alias for a topic, if the client accepts aliases: `(alias, true)` when
    /// the client already knows it, `(alias, false)` when this PUBLISH sets it. Aliases are
    /// handed out until the client's maximum; later topics go without.
    fn outbound_alias(&mut self, topic: &TopicName) -> Option<(TopicAlias, bool)> {
        if self.client_topic_alias_maximum == 0 {
            return None;
        }
        let aliases = &mut self.aliases.get_or_insert_default().outbound;
        if let Some(&alias) = aliases.get(topic) {
            return TopicAlias::new(alias).map(|alias| (alias, true));
        }
        let next = u16::try_from(aliases.len() + 1).ok()?;
        // No more aliases than the client accepts, nor than the broker accepts itself: the map
        // is per connection and must stay small.
        if next
            > self
                .client_topic_alias_maximum
                .min(self.broker.config().topic_alias_maximum)
        {
            return None;
        }
        aliases.insert(crate::message::detached_topic(topic), next);
        TopicAlias::new(next).map(|alias| (alias, false))
    }
}
