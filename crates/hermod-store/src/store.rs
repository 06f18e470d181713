//! The store as the broker sees it: open and recover at startup, then record changes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::collections::BTreeMap;

use hermod_codec::{MqttString, TopicName};
use std::sync::Arc;
use std::task::{Poll, Waker};

use hermod_codec::PacketId;
use hermod_core::persist::{Persistence, RestoredMessage, RestoredSession, SessionRecord};
use hermod_core::session::{OutboundStage, SubscriptionRecord};
use hermod_core::{Delivery, Message};

use crate::backend::{Backend, FjallBackend, Op, Space};
use crate::commit::{Committer, Durability, Ticket, TicketState};
use crate::data_dir::DataDir;
use crate::error::StoreError;
use crate::record::{
    Clocks, client_prefix, decode_message, decode_queued, decode_session, decode_subscription,
    encode_message, encode_queued, encode_session, encode_subscription, queue_key, split_queue_key,
    split_subscription_key, subscription_key,
};

/// How to open the store.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// The data directory.
    pub data_dir: PathBuf,
    /// When writes count as durable.
    pub durability: Durability,
}

/// What was found in the data directory at startup.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Retained messages (already expired ones are left out and deleted).
    pub retained: Vec<Message>,
    /// Persistent sessions with their subscriptions and messages.
    pub sessions: Vec<RestoredSession>,
    /// Queued and in-flight messages among them.
    pub messages: usize,
    /// How long opening and reading took.
    pub elapsed: Duration,
}

/// The durable store: the locked data directory and its group committer.
#[derive(Debug)]
pub struct Store {
    // Field order is drop order: the committer writes and syncs what is pending before the
    // directory's lock is released.
    committer: Committer,
    dir: DataDir,
}

impl Store {
    /// Opens (or creates) the data directory, reads back what it holds and starts the writer.
    pub fn open(config: &StoreConfig) -> Result<(Store, Recovered), StoreError> {
        Store::open_on(config, |path| {
            FjallBackend::open(path).map(|backend| Box::new(backend) as Box<dyn Backend>)
        })
    }

    /// [`Store::open`] on the backend `make` opens in the engine's directory (tests put a
    /// backend that fails on purpose here).
    pub fn open_on(
        config: &StoreConfig,
        make: impl FnOnce(&Path) -> Result<Box<dyn Backend>, StoreError>,
    ) -> Result<(Store, Recovered), StoreError> {
        let started = Instant::now();
        let dir = DataDir::open(&config.data_dir)?;
        let backend = make(&dir.engine_path())?;
        let (mut recovered, cleanup) = recover(backend.as_ref(), dir.path(), Clocks::now())?;
        let committer = Committer::start(backend, config.durability)?;
        if !cleanup.is_empty() {
            committer.submit(cleanup);
        }
        recovered.elapsed = started.elapsed();
        Ok((Store { committer, dir }, recovered))
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The group committer (tickets, faults, counters).
    pub fn committer(&self) -> &Committer {
        &self.committer
    }
}

/// Reads every space back; returns what to restore and the deletes of what has expired.
fn recover(
    backend: &dyn Backend,
    path: &Path,
    clocks: Clocks,
) -> Result<(Recovered, Vec<Op>), StoreError> {
    let corrupt = |space: &'static str, key: &[u8], reason| StoreError::CorruptRecord {
        path: path.to_path_buf(),
        space,
        key: String::from_utf8_lossy(key).into_owned(),
        reason,
    };
    let mut recovered = Recovered::default();
    let mut cleanup = Vec::new();
    for (key, value) in backend.scan(Space::Retained, b"")? {
        let message = decode_message(&value, clocks)
            .map_err(|reason| corrupt("retained message", &key, reason))?;
        if message.is_expired(clocks.instant) {
            cleanup.push(Op::Delete {
                space: Space::Retained,
                key,
            });
        } else {
            recovered.retained.push(message);
        }
    }
    let mut sessions: BTreeMap<Vec<u8>, RestoredSession> = BTreeMap::new();
    for (key, value) in backend.scan(Space::Sessions, b"")? {
        let record =
            decode_session(&value, clocks).map_err(|reason| corrupt("session", &key, reason))?;
        let client_id = std::str::from_utf8(&key)
            .ok()
            .and_then(|text| MqttString::new(text).ok())
            .ok_or_else(|| {
                corrupt(
                    "session",
                    &key,
                    crate::record::RecordError::Malformed("client identifier"),
                )
            })?;
        sessions.insert(
            key,
            RestoredSession {
                client_id,
                record,
                subscriptions: Vec::new(),
                messages: Vec::new(),
            },
        );
    }
    for (key, value) in backend.scan(Space::Subscriptions, b"")? {
        let (client_id, filter) =
            split_subscription_key(&key).map_err(|reason| corrupt("subscription", &key, reason))?;
        let record =
            decode_subscription(&value).map_err(|reason| corrupt("subscription", &key, reason))?;
        match sessions.get_mut(client_id.as_str().as_bytes()) {
            Some(session) => session.subscriptions.push((filter, record)),
            // A subscription whose session record is gone (cannot happen through the broker:
            // a session's removal takes its subscriptions in the same batch).
            None => cleanup.push(Op::Delete {
                space: Space::Subscriptions,
                key,
            }),
        }
    }
    for (key, value) in backend.scan(Space::Queue, b"")? {
        let (client_id, seq) =
            split_queue_key(&key).map_err(|reason| corrupt("queued message", &key, reason))?;
        let record = decode_queued(&value, clocks)
            .map_err(|reason| corrupt("queued message", &key, reason))?;
        let Some(session) = sessions.get_mut(client_id.as_str().as_bytes()) else {
            cleanup.push(Op::Delete {
                space: Space::Queue,
                key,
            });
            continue;
        };
        // An expired message still in flight at QoS 2 after PUBREC is kept: its flow must
        // complete with PUBREL.
        let released = matches!(record.inflight, Some((_, OutboundStage::AwaitingPubComp)));
        if record.message.is_expired(clocks.instant) && !released {
            cleanup.push(Op::Delete {
                space: Space::Queue,
                key,
            });
            continue;
        }
        recovered.messages += 1;
        session.messages.push(RestoredMessage {
            seq,
            delivery: Delivery {
                message: Arc::new(record.message),
                qos: record.qos,
                retain: record.retain,
                subscription_ids: record.subscription_ids,
                shared: None,
                seq,
            },
            inflight: record.inflight,
        });
    }
    recovered.sessions = sessions.into_values().collect();
    Ok((recovered, cleanup))
}

impl Persistence for Store {
    fn retained_changed(&self, topic: &TopicName, message: Option<&Message>) {
        let key = topic.as_str().as_bytes().to_vec();
        let op = match message {
            Some(message) => Op::Put {
                space: Space::Retained,
                key,
                value: encode_message(message, Clocks::now()),
            },
            None => Op::Delete {
                space: Space::Retained,
                key,
            },
        };
        self.committer.submit([op]);
    }

    fn session_saved(&self, client_id: &MqttString, record: &SessionRecord) {
        self.committer.submit([Op::Put {
            space: Space::Sessions,
            key: client_id.as_str().as_bytes().to_vec(),
            value: encode_session(record, Clocks::now()),
        }]);
    }

    fn session_removed(&self, client_id: &MqttString) {
        let prefix = client_prefix(client_id);
        self.committer.submit([
            Op::Delete {
                space: Space::Sessions,
                key: client_id.as_str().as_bytes().to_vec(),
            },
            Op::DeletePrefix {
                space: Space::Subscriptions,
                prefix: prefix.clone(),
            },
            Op::DeletePrefix {
                space: Space::Queue,
                prefix,
            },
        ]);
    }

    fn subscription_saved(
        &self,
        client_id: &MqttString,
        filter: &str,
        record: &SubscriptionRecord,
    ) {
        self.committer.submit([Op::Put {
            space: Space::Subscriptions,
            key: subscription_key(client_id, filter),
            value: encode_subscription(record),
        }]);
    }

    fn subscription_removed(&self, client_id: &MqttString, filter: &str) {
        self.committer.submit([Op::Delete {
            space: Space::Subscriptions,
            key: subscription_key(client_id, filter),
        }]);
    }

    fn message_saved(
        &self,
        client_id: &MqttString,
        seq: u64,
        delivery: &Delivery,
        inflight: Option<(PacketId, OutboundStage)>,
    ) {
        self.committer.submit([Op::Put {
            space: Space::Queue,
            key: queue_key(client_id, seq),
            value: encode_queued(delivery, inflight, Clocks::now()),
        }]);
    }

    fn message_removed(&self, client_id: &MqttString, seq: u64) {
        self.committer.submit([Op::Delete {
            space: Space::Queue,
            key: queue_key(client_id, seq),
        }]);
    }

    fn last_change(&self) -> u64 {
        self.committer.last_ticket().get()
    }

    fn poll_durable(&self, change: u64, waker: &Waker) -> Poll<bool> {
        self.committer
            .poll_durable(Ticket::new(change), waker)
            .map(|state| state == TicketState::Durable)
    }
}
