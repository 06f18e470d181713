//! What the broker tells a durable store: the [`Persistence`] trait, which `hermod-store`
//! implements. Without one (the in-memory mode) the broker keeps everything in memory only;
//! the broker's logic is the same either way.
//!
//! The broker records retained messages and persistent sessions (those with a Session Expiry
//! Interval above 0) with their subscriptions. Queued and in-flight messages follow (issue 6).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::task::{Poll, Waker};

use hermod_codec::{MqttString, PacketId, ProtocolVersion, TopicName};

use crate::message::{Delivery, Message};
use crate::session::{OutboundStage, SubscriptionRecord};

/// A queued or in-flight message read back from a store.
#[derive(Clone, Debug)]
pub struct RestoredMessage {
    /// Its number in the session's stored queue.
    pub seq: u64,
    /// The delivery (without shared-subscription membership).
    pub delivery: Delivery,
    /// Its packet identifier and stage if it was in flight.
    pub inflight: Option<(PacketId, OutboundStage)>,
}

/// What is stored of a persistent session itself.
#[derive(Clone, Debug)]
pub struct SessionRecord {
    /// The protocol version of its last connection.
    pub version: ProtocolVersion,
    /// Its Session Expiry Interval.
    pub expiry: Duration,
    /// When it expires, once offline (`None` while connected, or never).
    pub expires_at: Option<Instant>,
    /// The will of its connection: published after a restart if the broker stopped while
    /// the client was connected (an abnormal end) or while the will's delay ran.
    pub will: Option<StoredWill>,
}

/// A will kept with its session.
#[derive(Clone, Debug)]
pub struct StoredWill {
    /// The message (its expiry, if any, counts from `publish_at`).
    pub message: Arc<Message>,
    /// The Will Delay Interval.
    pub delay: Duration,
    /// When it is published, once the client is gone (`None` while connected).
    pub publish_at: Option<Instant>,
}

/// A persistent session read back from a store, to restore with
/// [`crate::Broker::restore_session`].
#[derive(Clone, Debug)]
pub struct RestoredSession {
    /// Its client identifier.
    pub client_id: MqttString,
    /// The session record.
    pub record: SessionRecord,
    /// Its subscriptions: topic filter and options.
    pub subscriptions: Vec<(String, SubscriptionRecord)>,
    /// Its queued and in-flight QoS 1/2 messages, in queue order.
    pub messages: Vec<RestoredMessage>,
}

/// A durable store of the broker's state.
pub trait Persistence: Send + Sync + fmt::Debug {
    /// The retained message of `topic` was set (`Some`, with its own copy of the bytes) or
    /// cleared (`None`). Called in the order the changes were made, under the retained
    /// store's lock.
    fn retained_changed(&self, topic: &TopicName, message: Option<&Message>);

    /// A persistent session was created or resumed, or its record changed.
    fn session_saved(&self, client_id: &MqttString, record: &SessionRecord);

    /// A persistent session ended (expired, discarded by a clean start, or its expiry became
    /// 0): everything stored under it goes.
    fn session_removed(&self, client_id: &MqttString);

    /// A persistent session subscribed (or replaced a subscription's options).
    fn subscription_saved(&self, client_id: &MqttString, filter: &str, record: &SubscriptionRecord);

    /// A persistent session unsubscribed.
    fn subscription_removed(&self, client_id: &MqttString, filter: &str);

    /// A QoS 1/2 message was queued for a persistent session under `seq`, or its in-flight
    /// state changed (`inflight`: packet identifier and stage; recorded for QoS 2, whose
    /// packet identifier must survive a restart).
    fn message_saved(
        &self,
        client_id: &MqttString,
        seq: u64,
        delivery: &Delivery,
        inflight: Option<(PacketId, OutboundStage)>,
    );

    /// A stored message of a persistent session is done with: acknowledged, dropped,
    /// expired, or handed to another member of a shared subscription.
    fn message_removed(&self, client_id: &MqttString, seq: u64);

    /// The number of the last change submitted (increasing). The acknowledgement of a PUBLISH
    /// whose routing advanced it waits until [`Persistence::poll_durable`] says the change
    /// is durable. Default: 0 (changes are durable at once).
    fn last_change(&self) -> u64 {
        0
    }

    /// `Ready(true)` once every change up to `change` is durable, `Ready(false)` if one of
    /// them failed (the acknowledgement must not report success); otherwise `waker` is woken
    /// when it is decided. Default: durable.
    fn poll_durable(&self, change: u64, waker: &Waker) -> Poll<bool> {
        let _ = (change, waker);
        Poll::Ready(true)
    }
}

impl crate::Broker {
    /// Brings the store's record of `session` in line with its state: saved while its expiry
    /// is above 0, removed (with everything under it) once it is 0. The first save also saves
    /// the subscriptions the session already has. Called with the session locked.
    pub(crate) fn persist_session(
        &self,
        session: &crate::session::SessionCell,
        state: &mut crate::session::SessionState,
        version: ProtocolVersion,
        will: Option<StoredWill>,
    ) {
        let Some(persistence) = &self.inner.persistence else {
            return;
        };
        if state.discarded {
            return;
        }
        if state.expiry.is_zero() {
            if state.persisted {
                persistence.session_removed(&session.client_id);
                state.persisted = false;
            }
            return;
        }
        state.version = Some(version);
        let record = SessionRecord {
            version,
            expiry: state.expiry,
            expires_at: state.expires_at(),
            will,
        };
        persistence.session_saved(&session.client_id, &record);
        if !state.persisted {
            for (filter, subscription) in state.subscriptions.iter() {
                persistence.subscription_saved(&session.client_id, filter, subscription);
            }
            state.persisted = true;
        }
    }

    /// Removes the store's record of a session that ends. Called with the session locked.
    pub(crate) fn forget_session(
        &self,
        session: &crate::session::SessionCell,
        state: &mut crate::session::SessionState,
    ) {
        if state.persisted {
            if let Some(persistence) = &self.inner.persistence {
                persistence.session_removed(&session.client_id);
            }
            state.persisted = false;
        }
    }

    /// Puts a persistent session read back from a store into the registry, offline, with its
    /// subscriptions in the index, and arms its expiry from `now` (the broker was not running
    /// meanwhile, so its clients have been disconnected since at least now). It is not
    /// recorded again. A session already registered under the client identifier wins.
    pub fn restore_session(&self, now: std::time::Instant, restored: RestoredSession) -> bool {
        let _attach = self.attach_lock();
        if self.sessions().get(&restored.client_id).is_some() {
            return false;
        }
        let session = std::sync::Arc::new(crate::session::SessionCell::new(
            self.next_id(),
            restored.client_id,
            restored.record.expiry,
        ));
        let generation = {
            let mut state = session.lock();
            state.persisted = true;
            state.version = Some(restored.record.version);
            state.set_expires_at(restored.record.expires_at);
            for (filter, record) in restored.subscriptions {
                let entry = crate::broker::SubscriptionEntry {
                    session: std::sync::Arc::clone(&session),
                    options: record.options,
                    subscription_id: record.subscription_id,
                    shared: crate::routing::shared_key(&filter),
                };
                self.subscribe(&filter, entry);
                state.subscriptions.insert(filter, record);
            }
            for restored in restored.messages {
                state.seq_at_least(restored.seq);
                let mut delivery = restored.delivery;
                delivery.seq = restored.seq;
                match restored.inflight {
                    Some((packet_id, stage)) => {
                        state.inflight.push_back(crate::session::Inflight {
                            packet_id,
                            delivery,
                            stage,
                        });
                    }
                    None => {
                        let size = delivery.message.queued_size();
                        state.queued_bytes += size;
                        self.inner
                            .queued_bytes
                            .fetch_add(size, std::sync::atomic::Ordering::Relaxed);
                        state.queue.push_back(delivery);
                    }
                }
            }
            state.generation
        };
        self.sessions().insert(std::sync::Arc::clone(&session));
        let record = restored.record;
        if let Some(will) = record.will {
            // Stopped while the client was connected: an abnormal end, its delay counts from
            // the restart (and never beyond the session's own end).
            let at = will
                .publish_at
                .unwrap_or(now + crate::Broker::will_delay(will.delay, record.expiry));
            self.schedule(
                at.max(now),
                crate::broker::TimerEvent::Will {
                    session: std::sync::Arc::clone(&session),
                    generation,
                    message: will.message,
                },
            );
        }
        if record.expiry < Duration::from_secs(u64::from(u32::MAX)) {
            let at = record.expires_at.unwrap_or(now + record.expiry);
            self.schedule(
                at.max(now),
                crate::broker::TimerEvent::ExpireSession {
                    session,
                    generation,
                },
            );
        }
        true
    }

    /// Removes a stored message (`seq` 0: not stored, nothing to do). Called with the session
    /// locked.
    pub(crate) fn unstore(
        &self,
        session: &crate::session::SessionCell,
        state: &crate::session::SessionState,
        seq: u64,
    ) {
        if seq != 0 {
            if let Some(persistence) = self.persistence_for(state) {
                persistence.message_removed(&session.client_id, seq);
            }
        }
    }

    /// The store, when the session has a record in it.
    pub(crate) fn persistence_for(
        &self,
        state: &crate::session::SessionState,
    ) -> Option<&dyn Persistence> {
        if state.persisted {
            self.inner.persistence.as_deref()
        } else {
            None
        }
    }
}
