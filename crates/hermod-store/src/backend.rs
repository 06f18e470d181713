//! Key spaces and atomic batches of writes on the storage engine.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::error::StoreError;

/// The key spaces of the broker's durable state. Keys start with the client identifier (MQTT
/// strings cannot contain U+0000, which therefore separates it from the rest of a key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Space {
    /// One record per persistent session, by client identifier.
    Sessions,
    /// Subscriptions, by client identifier and topic filter.
    Subscriptions,
    /// Queued and in-flight messages, by client identifier and sequence number.
    Queue,
    /// Retained messages, by topic.
    Retained,
}

impl Space {
    /// Every space.
    pub const ALL: [Space; 4] = [
        Space::Sessions,
        Space::Subscriptions,
        Space::Queue,
        Space::Retained,
    ];

    /// The space's name (its keyspace in the engine).
    pub fn name(self) -> &'static str {
        match self {
            Space::Sessions => "sessions",
            Space::Subscriptions => "subscriptions",
            Space::Queue => "queue",
            Space::Retained => "retained",
        }
    }

    fn index(self) -> usize {
        match self {
            Space::Sessions => 0,
            Space::Subscriptions => 1,
            Space::Queue => 2,
            Space::Retained => 3,
        }
    }
}

/// One write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Sets a key's value.
    Put {
        /// The space.
        space: Space,
        /// The key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// Removes a key (nothing if it is absent).
    Delete {
        /// The space.
        space: Space,
        /// The key.
        key: Vec<u8>,
    },
    /// Removes every key that starts with `prefix` (a session's subscriptions or queue).
    DeletePrefix {
        /// The space.
        space: Space,
        /// The prefix.
        prefix: Vec<u8>,
    },
}

/// Keys and values of a scan, in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// A storage engine as the committer uses it.
pub trait Backend: Send + fmt::Debug + 'static {
    /// Applies `ops` in order, all or none (one atomic batch); not necessarily durable yet.
    fn apply(&mut self, ops: &[Op]) -> Result<(), StoreError>;
    /// Makes everything applied so far durable (fsync).
    fn sync(&mut self) -> Result<(), StoreError>;
    /// Every key and value of a space whose key starts with `prefix`, in key order.
    fn scan(&self, space: Space, prefix: &[u8]) -> Result<Entries, StoreError>;
}

/// The engine's block cache.
const CACHE_BYTES: u64 = 8 * 1024 * 1024;
/// The largest memtable of a space before it is flushed to disk.
const MEMTABLE_BYTES: u64 = 8 * 1024 * 1024;

/// The fjall engine: one keyspace per [`Space`] in one database (one journal, so a batch
/// across spaces is atomic).
pub struct FjallBackend {
    database: fjall::Database,
    spaces: [fjall::Keyspace; 4],
}

impl fmt::Debug for FjallBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FjallBackend").finish_non_exhaustive()
    }
}

impl FjallBackend {
    /// Opens (or creates) the engine's files in `path`, replaying its journal.
    pub fn open(path: &Path) -> Result<FjallBackend, StoreError> {
        // Sized for a broker, not a database server: a small block cache (the broker reads
        // its data once, at startup), small memtables (queued messages are mostly deleted
        // soon after they are written), one background worker.
        let database = fjall::Database::builder(path)
            .cache_size(CACHE_BYTES)
            .worker_threads(1)
            .open()
            .map_err(StoreError::engine)?;
        let open = |space: Space| {
            database
                .keyspace(space.name(), || {
                    fjall::KeyspaceCreateOptions::default().max_memtable_size(MEMTABLE_BYTES)
                })
                .map_err(StoreError::engine)
        };
        let spaces = [
            open(Space::Sessions)?,
            open(Space::Subscriptions)?,
            open(Space::Queue)?,
            open(Space::Retained)?,
        ];
        Ok(FjallBackend { database, spaces })
    }

    fn space(&self, space: Space) -> &fjall::Keyspace {
        // `index` maps the four spaces onto the four slots.
        &self.spaces[space.index()]
    }
}

impl Backend for FjallBackend {
    fn apply(&mut self, ops: &[Op]) -> Result<(), StoreError> {
        // The ops are folded into one final state per key first: a key written twice in a
        // batch, or written and then removed by a prefix delete, ends as its last op says
        // (the engine's batch gives all its items one sequence number).
        let mut last: BTreeMap<(usize, Vec<u8>), Option<&[u8]>> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Put { space, key, value } => {
                    last.insert((space.index(), key.clone()), Some(value.as_slice()));
                }
                Op::Delete { space, key } => {
                    last.insert((space.index(), key.clone()), None);
                }
                Op::DeletePrefix { space, prefix } => {
                    let index = space.index();
                    for ((slot, key), value) in last.iter_mut() {
                        if *slot == index && key.starts_with(prefix) {
                            *value = None;
                        }
                    }
                    for guard in self.space(*space).prefix(prefix.as_slice()) {
                        let key = guard.key().map_err(StoreError::engine)?;
                        last.insert((index, key.to_vec()), None);
                    }
                }
            }
        }
        let mut batch = self.database.batch();
        for ((index, key), value) in last {
            let keyspace = &self.spaces[index];
            match value {
                Some(value) => batch.insert(keyspace, key, value),
                None => batch.remove(keyspace, key),
            }
        }
        batch.commit().map_err(StoreError::engine)
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        self.database
            .persist(fjall::PersistMode::SyncAll)
            .map_err(StoreError::engine)
    }

    fn scan(&self, space: Space, prefix: &[u8]) -> Result<Entries, StoreError> {
        let mut entries = Vec::new();
        for guard in self.space(space).prefix(prefix) {
            let (key, value) = guard.into_inner().map_err(StoreError::engine)?;
            entries.push((key.to_vec(), value.to_vec()));
        }
        Ok(entries)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;

    fn put(space: Space, key: &str, value: &str) -> Op {
        Op::Put {
            space,
            key: key.as_bytes().to_vec(),
            value: value.as_bytes().to_vec(),
        }
    }

    #[test]
    fn writes_survive_a_reopen_and_scans_are_ordered_by_key() {
        let root = tempfile::tempdir().unwrap();
        {
            let mut backend = FjallBackend::open(root.path()).unwrap();
            backend
                .apply(&[
                    put(Space::Queue, "a\u{0}2", "two"),
                    put(Space::Queue, "a\u{0}1", "one"),
                    put(Space::Queue, "b\u{0}1", "other client"),
                    put(Space::Retained, "t/1", "retained"),
                ])
                .unwrap();
            backend.sync().unwrap();
        }
        let backend = FjallBackend::open(root.path()).unwrap();
        let queue = backend.scan(Space::Queue, b"a\0").unwrap();
        assert_eq!(
            queue,
            vec![
                (b"a\x001".to_vec(), b"one".to_vec()),
                (b"a\x002".to_vec(), b"two".to_vec())
            ]
        );
        assert_eq!(backend.scan(Space::Retained, b"").unwrap().len(), 1);
        assert!(backend.scan(Space::Sessions, b"").unwrap().is_empty());
    }

    #[test]
    fn deletes_and_prefix_deletes_remove_only_their_keys() {
        let root = tempfile::tempdir().unwrap();
        let mut backend = FjallBackend::open(root.path()).unwrap();
        backend
            .apply(&[
                put(Space::Subscriptions, "a\0x/#", "1"),
                put(Space::Subscriptions, "a\0y", "1"),
                put(Space::Subscriptions, "ab\0z", "1"),
                put(Space::Queue, "a\u{0}1", "m"),
            ])
            .unwrap();
        backend
            .apply(&[
                Op::DeletePrefix {
                    space: Space::Subscriptions,
                    prefix: b"a\0".to_vec(),
                },
                Op::Delete {
                    space: Space::Queue,
                    key: b"a\x001".to_vec(),
                },
            ])
            .unwrap();
        let left = backend.scan(Space::Subscriptions, b"").unwrap();
        assert_eq!(left, vec![(b"ab\0z".to_vec(), b"1".to_vec())]);
        // Within one batch the order of ops decides: a put then a prefix delete removes it,
        // a prefix delete then a put keeps it.
        backend
            .apply(&[
                put(Space::Subscriptions, "c\0x", "1"),
                Op::DeletePrefix {
                    space: Space::Subscriptions,
                    prefix: b"c\0".to_vec(),
                },
                Op::DeletePrefix {
                    space: Space::Subscriptions,
                    prefix: b"ab\0".to_vec(),
                },
                put(Space::Subscriptions, "ab\0w", "2"),
            ])
            .unwrap();
        let left = backend.scan(Space::Subscriptions, b"").unwrap();
        assert_eq!(left, vec![(b"ab\0w".to_vec(), b"2".to_vec())]);
        assert!(backend.scan(Space::Queue, b"").unwrap().is_empty());
    }
}
