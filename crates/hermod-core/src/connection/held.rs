//! Acknowledgements held until the messages they acknowledge are durable.
//!
//! With a durable store in `sync` mode, the PUBACK or PUBREC of a QoS 1/2 PUBLISH whose
//! routing stored it for a persistent session waits until the store says the change is on
//! disk ([`crate::persist::Persistence::poll_durable`]). Acknowledgements stay in the order the
//! PUBLISH packets arrived (MQTT-4.6.0-2): once one is held, the following ones queue behind it
//! even if they needed no store. A change the store could not make turns the acknowledgement
//! into a refusal: MQTT 5 answers 0x80 Unspecified error, MQTT 3.x (which has no negative
//! acknowledgement) closes the connection without acknowledging, so the client sends again.

use std::collections::VecDeque;
use std::task::{Poll, Waker};
use std::time::Instant;

use hermod_codec::{MqttString, Packet, ReasonCode};

use super::{CloseReason, Connection};

/// The acknowledgements waiting, each with the store change it waits for (0: none, only its
/// turn).
#[derive(Debug, Default)]
pub(super) struct HeldAcks {
    acks: VecDeque<(u64, Packet)>,
}

impl HeldAcks {
    /// Whether the first held acknowledgement can go; otherwise `waker` is registered with
    /// the store to be woken when it can.
    pub(super) fn first_ready(
        &self,
        persistence: &dyn crate::persist::Persistence,
        waker: &Waker,
    ) -> bool {
        match self.acks.front() {
            Some(&(change, _)) => persistence.poll_durable(change, waker).is_ready(),
            None => true,
        }
    }
}

impl Connection {
    /// The store's last change number, to compare before and after routing a PUBLISH (0
    /// without a store).
    pub(super) fn last_store_change(&self) -> u64 {
        self.broker
            .inner
            .persistence
            .as_ref()
            .map_or(0, |persistence| persistence.last_change())
    }

    /// Sends an acknowledgement of a PUBLISH now, or holds it until store change `wait_for`
    /// is durable (and until every acknowledgement held before it is sent).
    pub(super) fn send_publish_ack(&mut self, packet: Packet, wait_for: Option<u64>) {
        match (&mut self.held_acks, wait_for) {
            (None, None) => self.send(&packet),
            (held, wait_for) => held
                .get_or_insert_default()
                .acks
                .push_back((wait_for.unwrap_or(0), packet)),
        }
    }

    /// Whether acknowledgements are held.
    pub(super) fn has_held_acks(&self) -> bool {
        self.held_acks.is_some()
    }

    /// Sends the held acknowledgements whose changes are decided, in order; registers `waker`
    /// with the store for the first one still waiting. Returns true if it sent anything.
    pub(super) fn release_acks(&mut self, now: Instant, waker: &Waker) -> bool {
        let Some(persistence) = self.broker.inner.persistence.clone() else {
            return false;
        };
        let mut sent = false;
        while let Some(held) = self.held_acks.as_mut() {
            let Some(&(change, _)) = held.acks.front() else {
                self.held_acks = None;
                break;
            };
            let durable = match persistence.poll_durable(change, waker) {
                Poll::Pending => break,
                Poll::Ready(durable) => durable,
            };
            let Some((_, packet)) = held.acks.pop_front() else {
                break;
            };
            sent = true;
            if durable {
                self.send(&packet);
            } else if !self.refuse_unstored(now, packet) {
                self.held_acks = None;
                break;
            }
        }
        sent
    }

    /// Answers a PUBLISH whose message could not be stored; false if the connection closed.
    fn refuse_unstored(&mut self, now: Instant, packet: Packet) -> bool {
        tracing::warn!(
            conn = self.id,
            client_id = %self.client_id(),
            "a QoS 1/2 message could not be stored: refused"
        );
        if !self.version.is_v5() {
            self.finish(now, CloseReason::StorageFailure, None);
            return false;
        }
        let reason = ReasonCode::UNSPECIFIED_ERROR;
        let text = self
            .problem_text(reason)
            .and(MqttString::new("the broker could not store the message").ok());
        let refused = match packet {
            Packet::PubAck(mut ack) => {
                ack.reason = reason;
                ack.properties.reason_string = text;
                Packet::PubAck(ack)
            }
            Packet::PubRec(mut rec) => {
                // A refused QoS 2 message is finished: no PUBREL is expected.
                if let Some(session) = &self.session {
                    session.lock().qos2_release(rec.packet_id.get());
                }
                rec.reason = reason;
                rec.properties.reason_string = text;
                Packet::PubRec(rec)
            }
            other => other,
        };
        self.send(&refused);
        true
    }
}
