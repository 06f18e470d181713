//! The store as the broker sees it: open and recover at startup, then record changes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hermod_codec::TopicName;
use hermod_core::Message;
use hermod_core::persist::Persistence;

use crate::backend::{Backend, FjallBackend, Op, Space};
use crate::commit::{Committer, Durability};
use crate::data_dir::DataDir;
use crate::error::StoreError;
use crate::record::{Clocks, decode_message, encode_message};

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
        let started = Instant::now();
        let dir = DataDir::open(&config.data_dir)?;
        let backend = FjallBackend::open(&dir.engine_path())?;
        let (mut recovered, cleanup) = recover(&backend, dir.path(), Clocks::now())?;
        let committer = Committer::start(Box::new(backend), config.durability)?;
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
    let mut recovered = Recovered::default();
    let mut cleanup = Vec::new();
    for (key, value) in backend.scan(Space::Retained, b"")? {
        match decode_message(&value, clocks) {
            Ok(message) if message.is_expired(clocks.instant) => cleanup.push(Op::Delete {
                space: Space::Retained,
                key,
            }),
            Ok(message) => recovered.retained.push(message),
            Err(reason) => {
                return Err(StoreError::CorruptRecord {
                    path: path.to_path_buf(),
                    space: "retained message",
                    key: String::from_utf8_lossy(&key).into_owned(),
                    reason,
                });
            }
        }
    }
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
}
