//! The broker's shared state: the client registry, the subscription index, retained messages
//! and timers (delayed wills, session expiry). Thread-safe and free of I/O: connections call
//! into it from any thread, and time is always an argument.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard, ShardedLockWriteGuard};
use std::time::{Duration, Instant};

use hermod_codec::{SubscriptionId, SubscriptionOptions};
use hermod_router::{RetainedIndex, SubscriptionIndex};

use crate::config::BrokerConfig;
use crate::message::Message;
use crate::persist::Persistence;
use crate::session::{QueueLimits, SessionCell, SessionId};
use crate::stats::Stats;
use crate::store::{MemoryStore, SessionStore};

/// One subscription in the index: who, with which options.
#[derive(Clone, Debug)]
pub struct SubscriptionEntry {
    /// The subscribing session.
    pub session: Arc<SessionCell>,
    /// The granted options.
    pub options: SubscriptionOptions,
    /// The MQTT 5 Subscription Identifier, if any.
    pub subscription_id: Option<SubscriptionId>,
    /// For a shared subscription, its group and filter (to redeliver to another member).
    pub shared: Option<Arc<SharedKey>>,
}

/// A shared subscription group, named by its ShareName and topic filter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SharedKey {
    /// The ShareName (`$queue` for `$queue/` subscriptions).
    pub group: Box<str>,
    /// The topic filter after the ShareName.
    pub filter: Box<str>,
}

/// Something the broker must do at a given time.
#[derive(Debug)]
pub(crate) enum TimerEvent {
    /// Publish a will whose delay has passed, unless the session reconnected since.
    Will {
        session: Arc<SessionCell>,
        generation: u64,
        message: Arc<Message>,
    },
    /// End a disconnected session whose expiry interval has passed.
    ExpireSession {
        session: Arc<SessionCell>,
        generation: u64,
    },
}

/// The broker: cheap to clone, shared by every connection.
#[derive(Clone, Debug)]
pub struct Broker {
    pub(crate) inner: Arc<BrokerInner>,
}

#[derive(Debug)]
pub(crate) struct BrokerInner {
    pub(crate) config: BrokerConfig,
    pub(crate) sessions: Box<dyn SessionStore>,
    /// The durable store, if any.
    pub(crate) persistence: Option<Arc<dyn Persistence>>,
    /// Sharded: a reader locks only its own thread's shard, so routing on different cores
    /// shares no lock word; subscribing locks every shard.
    pub(crate) index: ShardedLock<SubscriptionIndex<SessionId, SubscriptionEntry>>,
    pub(crate) retained: ShardedLock<RetainedIndex<Arc<Message>>>,
    pub(crate) timers: Mutex<BTreeMap<(Instant, u64), TimerEvent>>,
    /// Serializes session attachment (find, take over or create) with session expiry, so two
    /// CONNECTs for one client id, or a CONNECT and an expiry, cannot interleave. Taken only
    /// on those paths, never while publishing; always the outermost lock.
    pub(crate) attach: Mutex<()>,
    pub(crate) next_id: AtomicU64,
    pub(crate) queued_bytes: AtomicUsize,
    pub(crate) shutting_down: AtomicBool,
    pub(crate) stats: Stats,
}

impl Broker {
    /// A broker with the given limits, keeping sessions in memory.
    pub fn new(config: BrokerConfig) -> Broker {
        Broker::with_store(config, Box::new(MemoryStore::new()))
    }

    /// A broker with the given limits and session store.
    pub fn with_store(config: BrokerConfig, sessions: Box<dyn SessionStore>) -> Broker {
        Broker::assemble(config, sessions, None)
    }

    /// A broker that records its durable state in `persistence` (see [`Persistence`]); restore
    /// what the store recovered with [`Broker::restore_retained`] before serving.
    pub fn with_persistence(config: BrokerConfig, persistence: Arc<dyn Persistence>) -> Broker {
        Broker::assemble(config, Box::new(MemoryStore::new()), Some(persistence))
    }

    fn assemble(
        config: BrokerConfig,
        sessions: Box<dyn SessionStore>,
        persistence: Option<Arc<dyn Persistence>>,
    ) -> Broker {
        Broker {
            inner: Arc::new(BrokerInner {
                config,
                sessions,
                persistence,
                index: ShardedLock::new(SubscriptionIndex::new()),
                retained: ShardedLock::new(RetainedIndex::new()),
                timers: Mutex::new(BTreeMap::new()),
                attach: Mutex::new(()),
                next_id: AtomicU64::new(1),
                queued_bytes: AtomicUsize::new(0),
                shutting_down: AtomicBool::new(false),
                stats: Stats::default(),
            }),
        }
    }

    /// The broker's configuration.
    pub fn config(&self) -> &BrokerConfig {
        &self.inner.config
    }

    /// Counters for metrics and tests.
    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// Number of sessions (connected or not).
    pub fn session_count(&self) -> usize {
        self.inner.sessions.len()
    }

    /// The session of a client identifier, connected or not (for administration, tests and
    /// fuzzers that check its state).
    pub fn session(&self, client_id: &hermod_codec::MqttString) -> Option<Arc<SessionCell>> {
        self.inner.sessions.get(client_id)
    }

    /// Number of retained messages.
    pub fn retained_count(&self) -> usize {
        self.retained().len()
    }

    /// Puts retained messages recovered from a durable store back, without recording them
    /// again. Messages beyond `max_retained_messages` are left out (and counted in the
    /// return value: how many were restored).
    pub fn restore_retained(&self, messages: impl IntoIterator<Item = Message>) -> usize {
        let mut retained = self.retained_mut();
        let limit = self.config().max_retained_messages;
        let mut restored = 0;
        for message in messages {
            if retained.len() >= limit && retained.get(message.topic.as_str()).is_none() {
                tracing::warn!(topic = %message.topic, limit, "retained message limit reached: a recovered retained message is not restored");
                continue;
            }
            let topic = message.topic.clone();
            retained.insert(topic.as_str(), Arc::new(message));
            restored += 1;
        }
        restored
    }

    /// Bytes queued across all sessions.
    pub fn queued_bytes(&self) -> usize {
        self.inner.queued_bytes.load(Ordering::Relaxed)
    }

    /// Starts a graceful shutdown: connections close with 0x8B Server shutting down the next
    /// time they are polled.
    pub fn begin_shutdown(&self) {
        self.inner.shutting_down.store(true, Ordering::Relaxed);
        for session in self.inner.sessions.all() {
            let waker = session.lock().waker.take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Whether a shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::Relaxed)
    }

    /// The earliest time [`Broker::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers().keys().next().map(|(at, _)| *at)
    }

    /// Runs the timers that are due: delayed wills and session expiry.
    pub fn handle_timeout(&self, now: Instant) {
        loop {
            // Held from taking the event to acting on it, so that a CONNECT for the same
            // session cannot slip in between (a will popped here must not be lost because a
            // clean start discarded the session meanwhile).
            let _attach = self.attach_lock();
            let event = {
                let mut timers = self.timers();
                match timers.first_key_value() {
                    Some(((at, _), _)) if *at <= now => timers.pop_first().map(|(_, event)| event),
                    _ => None,
                }
            };
            let Some(event) = event else { return };
            match event {
                TimerEvent::Will {
                    session,
                    generation,
                    message,
                } => {
                    let still_away = {
                        let state = session.lock();
                        state.owner.is_none() && state.generation == generation
                    };
                    if still_away {
                        tracing::debug!(client_id = %session.client_id, "publishing delayed will");
                        self.publish(now, message);
                        // Published: the stored record must not bring it back after a restart.
                        let mut state = session.lock();
                        if let Some(version) = state.version {
                            self.persist_session(&session, &mut state, version, None);
                        }
                    }
                }
                TimerEvent::ExpireSession {
                    session,
                    generation,
                } => {
                    let expired = {
                        let state = session.lock();
                        state.owner.is_none() && state.generation == generation && !state.discarded
                    };
                    if expired {
                        tracing::info!(client_id = %session.client_id, "session expired");
                        self.discard_session(now, &session);
                    }
                }
            }
        }
    }

    pub(crate) fn schedule(&self, at: Instant, event: TimerEvent) {
        let sequence = self.next_id();
        self.timers().insert((at, sequence), event);
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn queue_limits(&self) -> QueueLimits<'_> {
        let config = &self.inner.config;
        QueueLimits {
            max_messages: config.max_queued_messages,
            max_bytes: config.max_queued_bytes,
            total_bytes: &self.inner.queued_bytes,
            max_total_bytes: config.max_queued_bytes_total,
            policy: config.overflow_policy,
            queue_qos0_offline: config.queue_qos0_offline,
            backpressure: config.backpressure,
            backpressure_bytes: config.backpressure_bytes,
            persistence: self.inner.persistence.as_deref(),
        }
    }

    /// Removes a session for good: its subscriptions leave the index, its queue is freed and
    /// the registry forgets it (if it still maps the client id to this session). A delayed
    /// will still pending is published now (the session ended first, MQTT 5.0 section
    /// 3.1.2.5).
    pub(crate) fn discard_session(&self, now: Instant, session: &Arc<SessionCell>) {
        let (filters, paused): (Vec<String>, Vec<(u64, std::task::Waker)>) = {
            let mut state = session.lock();
            self.forget_session(session, &mut state);
            state.discarded = true;
            state.clear_queue(&self.inner.queued_bytes);
            state.inflight.clear();
            (
                state
                    .subscriptions
                    .take_all()
                    .map(|(filter, _)| filter)
                    .collect(),
                state.take_all_congestion_waiters(),
            )
        };
        paused.into_iter().for_each(|(_, waker)| waker.wake());
        if !filters.is_empty() {
            let mut index = self.index_mut();
            for filter in &filters {
                crate::routing::remove_from_index(&mut index, filter, session.id);
            }
        }
        self.inner.sessions.remove(session);
        let pending_will = {
            let mut timers = self.timers();
            let key = timers.iter().find_map(|(key, event)| match event {
                TimerEvent::Will { session: owner, .. } if Arc::ptr_eq(owner, session) => {
                    Some(*key)
                }
                _ => None,
            });
            key.and_then(|key| timers.remove(&key))
        };
        if let Some(TimerEvent::Will { message, .. }) = pending_will {
            self.publish(now, message);
        }
    }

    pub(crate) fn sessions(&self) -> &dyn SessionStore {
        self.inner.sessions.as_ref()
    }

    pub(crate) fn attach_lock(&self) -> MutexGuard<'_, ()> {
        self.inner
            .attach
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn timers(&self) -> MutexGuard<'_, BTreeMap<(Instant, u64), TimerEvent>> {
        self.inner
            .timers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn index(
        &self,
    ) -> ShardedLockReadGuard<'_, SubscriptionIndex<SessionId, SubscriptionEntry>> {
        self.inner
            .index
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn index_mut(
        &self,
    ) -> ShardedLockWriteGuard<'_, SubscriptionIndex<SessionId, SubscriptionEntry>> {
        self.inner
            .index
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn retained(&self) -> ShardedLockReadGuard<'_, RetainedIndex<Arc<Message>>> {
        self.inner
            .retained
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn retained_mut(&self) -> ShardedLockWriteGuard<'_, RetainedIndex<Arc<Message>>> {
        self.inner
            .retained
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How long a will waits, capped by the session's own expiry (whichever ends first).
    pub(crate) fn will_delay(delay: Duration, session_expiry: Duration) -> Duration {
        delay.min(session_expiry)
    }
}
