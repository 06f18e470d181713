//! Packets from the client about messages: PUBLISH (QoS 0/1/2 in), PUBREL, the
//! acknowledgements of messages the broker sent (PUBACK, PUBREC, PUBCOMP) and DISCONNECT.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hermod_codec::{
    Disconnect, Packet, PacketId, PubAck, PubComp, PubRec, PubRel, Publish, QoS, ReasonCode,
};

use super::{CloseReason, Connection, Pause};
use crate::message::Message;
use crate::session::OutboundStage;
use crate::stats::Stats;
use crate::violation::Violation;

/// Topics under this prefix are the broker's own; clients may not publish there.
const SYS_PREFIX: &str = "$SYS/";

impl Connection {
    pub(super) fn handle_publish(
        &mut self,
        now: Instant,
        mut publish: Publish,
    ) -> Result<(), Violation> {
        Stats::bump(&self.broker.stats().messages_received);
        self.resolve_topic_alias(&mut publish)?;
        let config = self.broker.config();
        if !config.topic_within_limits(publish.topic.as_str()) {
            return Err(Violation::TopicTooLong);
        }
        let packet_id = publish.packet_id;
        if publish.qos == QoS::ExactlyOnce {
            let Some(packet_id) = packet_id else {
                return Ok(());
            };
            let session = self.session.as_ref().map(Arc::clone);
            if let Some(session) = session {
                let mut state = session.lock();
                if state.qos2_received(packet_id.get()) {
                    // A retransmission before PUBREL: acknowledge again, do not forward twice
                    // (MQTT-4.3.3-10).
                    drop(state);
                    self.send_publish_ack(Packet::PubRec(PubRec::new(packet_id)), None);
                    return Ok(());
                }
                if state.qos2_awaiting_release() >= usize::from(config.receive_maximum.get()) {
                    return Err(Violation::ReceiveMaximumExceeded);
                }
                state.qos2_receive(packet_id.get());
            }
        }
        let refusal = self.refusal_reason(&publish);
        if refusal.is_none() {
            let message = Arc::new(Message {
                expires_at: Message::deadline(now, publish.properties.message_expiry_interval),
                encoded: Default::default(),
                topic: publish.topic,
                payload: publish.payload,
                qos: publish.qos,
                retain: publish.retain,
                properties: hermod_codec::PublishProperties {
                    topic_alias: None,
                    message_expiry_interval: None,
                    ..publish.properties
                },
                publisher: self.session.as_ref().map(|session| session.id),
                publisher_client_id: self.client_id().clone(),
            });
            let before = self.last_store_change();
            let recipients = match self.pause.as_mut() {
                Some(pause) => {
                    self.broker
                        .publish_noting_congestion(now, message, &mut pause.congested_on)
                }
                // Boxed only if a session turns out congested.
                None => {
                    let mut congested = Vec::new();
                    let recipients =
                        self.broker
                            .publish_noting_congestion(now, message, &mut congested);
                    if !congested.is_empty() {
                        self.pause = Some(Box::new(Pause {
                            congested_on: congested,
                            since: None,
                        }));
                    }
                    recipients
                }
            };
            // Stored for a persistent session: the acknowledgement waits until it is durable.
            let after = self.last_store_change();
            let wait_for = (after > before).then_some(after);
            self.acknowledge(publish.qos, packet_id, recipients, None, wait_for);
        } else {
            self.acknowledge(publish.qos, packet_id, 0, refusal, None);
        }
        Ok(())
    }

    /// Why an otherwise valid PUBLISH is not forwarded: a `$SYS` topic, or a payload that
    /// contradicts its Payload Format Indicator (0x99, MQTT 5.0 section 3.3.2.3.2).
    fn refusal_reason(&self, publish: &Publish) -> Option<ReasonCode> {
        if publish.topic.as_str().starts_with(SYS_PREFIX) {
            tracing::debug!(conn = self.id, topic = %publish.topic, "client PUBLISH to $SYS ignored");
            return Some(ReasonCode::NOT_AUTHORIZED);
        }
        if self.version.is_v5() {
            if let Err(error) = publish.check_payload_format() {
                return Some(error.reason_code());
            }
        }
        None
    }

    /// Sends PUBACK or PUBREC. In MQTT 5 a refusal carries its reason code, and a message no
    /// one subscribed to is acknowledged with 0x10 No matching subscribers.
    fn acknowledge(
        &mut self,
        qos: QoS,
        packet_id: Option<PacketId>,
        recipients: usize,
        refusal: Option<ReasonCode>,
        wait_for: Option<u64>,
    ) {
        let Some(packet_id) = packet_id else { return };
        let reason = match (self.version.is_v5(), refusal) {
            (false, _) => ReasonCode::SUCCESS,
            (true, Some(reason)) => reason,
            (true, None) if recipients == 0 => ReasonCode::NO_MATCHING_SUBSCRIBERS,
            (true, None) => ReasonCode::SUCCESS,
        };
        let reason_string = self.problem_text(reason);
        match qos {
            QoS::AtMostOnce => {}
            QoS::AtLeastOnce => {
                let mut ack = PubAck::with_reason(packet_id, reason);
                ack.properties.reason_string = reason_string;
                self.send_publish_ack(Packet::PubAck(ack), wait_for);
            }
            QoS::ExactlyOnce => {
                if !reason.is_success() {
                    // A refused QoS 2 message is finished: no PUBREL is expected.
                    if let Some(session) = &self.session {
                        session.lock().qos2_release(packet_id.get());
                    }
                }
                let mut ack = PubRec::with_reason(packet_id, reason);
                ack.properties.reason_string = reason_string;
                self.send_publish_ack(Packet::PubRec(ack), wait_for);
            }
        }
    }

    /// Applies an MQTT 5 Topic Alias: an alias with a topic sets the mapping, an alias alone
    /// uses it (MQTT 5.0 section 3.3.2.3.4).
    fn resolve_topic_alias(&mut self, publish: &mut Publish) -> Result<(), Violation> {
        let Some(alias) = publish.properties.topic_alias else {
            return Ok(());
        };
        let maximum = self.broker.config().topic_alias_maximum;
        if alias.get() > maximum {
            return Err(Violation::TopicAliasOutOfRange {
                alias: alias.get(),
                maximum,
            });
        }
        if publish.topic.is_empty() {
            let known = self
                .aliases
                .as_ref()
                .and_then(|aliases| aliases.inbound.get(&alias.get()));
            match known {
                Some(topic) => publish.topic = topic.clone(),
                None => return Err(Violation::UnknownTopicAlias { alias: alias.get() }),
            }
        } else {
            // An owned copy: the map outlives the read buffer the topic was decoded from.
            self.aliases
                .get_or_insert_default()
                .inbound
                .insert(alias.get(), crate::message::detached_topic(&publish.topic));
        }
        Ok(())
    }

    pub(super) fn handle_pubrel(&mut self, packet_id: PacketId) -> Result<(), Violation> {
        let known = self
            .session
            .as_ref()
            .is_some_and(|session| session.lock().qos2_release(packet_id.get()));
        let reason = if known || !self.version.is_v5() {
            ReasonCode::SUCCESS
        } else {
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
        };
        self.send(&Packet::PubComp(PubComp::with_reason(packet_id, reason)));
        Ok(())
    }

    pub(super) fn handle_puback(&mut self, packet_id: PacketId) -> Result<(), Violation> {
        self.complete_outbound(packet_id, OutboundStage::AwaitingPubAck);
        Ok(())
    }

    pub(super) fn handle_pubrec(
        &mut self,
        packet_id: PacketId,
        reason: ReasonCode,
    ) -> Result<(), Violation> {
        let Some(session) = self.session.as_ref().map(Arc::clone) else {
            return Ok(());
        };
        let found = {
            let mut state = session.lock();
            match state.inflight_position(packet_id) {
                Some(position) => {
                    let awaiting_rec = state
                        .inflight
                        .get(position)
                        .is_some_and(|entry| entry.stage == OutboundStage::AwaitingPubRec);
                    if !reason.is_success() {
                        // The client refused the message: the flow ends here.
                        if let Some(entry) = state.inflight.remove(position) {
                            self.broker.unstore(&session, &state, entry.delivery.seq);
                        }
                        return Ok(());
                    }
                    if awaiting_rec {
                        let persistence = self.broker.persistence_for(&state).is_some();
                        if let Some(entry) = state.inflight.get_mut(position) {
                            entry.stage = OutboundStage::AwaitingPubComp;
                        }
                        if persistence {
                            if let (Some(entry), Some(persistence)) = (
                                state.inflight.get(position),
                                self.broker.persistence_for(&state),
                            ) {
                                if entry.delivery.seq != 0 {
                                    persistence.message_saved(
                                        &session.client_id,
                                        entry.delivery.seq,
                                        &entry.delivery,
                                        Some((packet_id, OutboundStage::AwaitingPubComp)),
                                    );
                                }
                            }
                        }
                    }
                    true
                }
                None => false,
            }
        };
        let reason = if found || !self.version.is_v5() {
            ReasonCode::SUCCESS
        } else {
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
        };
        self.send(&Packet::PubRel(PubRel::with_reason(packet_id, reason)));
        Ok(())
    }

    pub(super) fn handle_pubcomp(&mut self, packet_id: PacketId) -> Result<(), Violation> {
        self.complete_outbound(packet_id, OutboundStage::AwaitingPubComp);
        Ok(())
    }

    /// Ends the flow of an outgoing message acknowledged in `stage`; acknowledgements of
    /// unknown identifiers are ignored (they can follow a reconnection).
    fn complete_outbound(&mut self, packet_id: PacketId, stage: OutboundStage) {
        if let Some(session) = &self.session {
            let mut state = session.lock();
            if let Some(position) = state.inflight_position(packet_id) {
                if state
                    .inflight
                    .get(position)
                    .is_some_and(|entry| entry.stage == stage)
                {
                    if let Some(entry) = state.inflight.remove(position) {
                        self.broker.unstore(session, &state, entry.delivery.seq);
                    }
                    return;
                }
            }
            tracing::debug!(
                conn = self.id,
                packet_id = packet_id.get(),
                ?stage,
                "acknowledgement of an unknown packet ignored"
            );
        }
    }

    pub(super) fn handle_disconnect(
        &mut self,
        now: Instant,
        disconnect: Disconnect,
    ) -> Result<(), Violation> {
        if let Some(expiry) = disconnect.properties.session_expiry_interval {
            if self.connect_expiry_zero && expiry != 0 {
                return Err(Violation::SessionExpiryFromZero);
            }
            let expiry =
                Duration::from_secs(u64::from(expiry)).min(self.broker.config().max_session_expiry);
            if let Some(session) = &self.session {
                let mut state = session.lock();
                // A connection that was taken over no longer speaks for the session.
                if state.owner == Some(self.id) && !state.discarded {
                    state.expiry = expiry;
                }
            }
        }
        self.finish(now, CloseReason::ClientDisconnect(disconnect.reason), None);
        Ok(())
    }
}
