//! Where sessions are kept: the [`SessionStore`] trait and its in-memory implementation.
//!
//! The broker reaches sessions only through this trait, so a durable implementation (the
//! `hermod-store` crate, next) can persist them without the broker logic changing; tests run
//! the same broker over either.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use hermod_codec::MqttString;

use crate::session::SessionCell;

/// The registry of sessions by client identifier.
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// The session of a client identifier, connected or not.
    fn get(&self, client_id: &MqttString) -> Option<Arc<SessionCell>>;
    /// Stores a session, replacing any session with the same client identifier.
    fn insert(&self, session: Arc<SessionCell>);
    /// Forgets `session` if it is still the one stored for its client identifier; true if it
    /// was.
    fn remove(&self, session: &Arc<SessionCell>) -> bool;
    /// Number of sessions.
    fn len(&self) -> usize;
    /// True when there are no sessions.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Every session (for shutdown and administration).
    fn all(&self) -> Vec<Arc<SessionCell>>;
}

/// Sessions kept in memory only: they do not survive a restart.
///
/// A set of sessions looked up by the client identifier each already holds: one pointer per
/// table slot rather than a copy of the key beside it (the registry is memory per idle
/// connection).
#[derive(Debug, Default)]
pub struct MemoryStore {
    sessions: Mutex<HashSet<Registered>>,
}

/// A session in the registry: hashed, compared and looked up by its client identifier.
#[derive(Debug)]
struct Registered(Arc<SessionCell>);

impl Hash for Registered {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.client_id.hash(state);
    }
}

impl PartialEq for Registered {
    fn eq(&self, other: &Registered) -> bool {
        self.0.client_id == other.0.client_id
    }
}

impl Eq for Registered {}

impl Borrow<MqttString> for Registered {
    fn borrow(&self) -> &MqttString {
        &self.0.client_id
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn sessions(&self) -> MutexGuard<'_, HashSet<Registered>> {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SessionStore for MemoryStore {
    fn get(&self, client_id: &MqttString) -> Option<Arc<SessionCell>> {
        self.sessions()
            .get(client_id)
            .map(|registered| Arc::clone(&registered.0))
    }

    fn insert(&self, session: Arc<SessionCell>) {
        self.sessions().replace(Registered(session));
    }

    fn remove(&self, session: &Arc<SessionCell>) -> bool {
        let mut sessions = self.sessions();
        if sessions
            .get(&session.client_id)
            .is_some_and(|current| Arc::ptr_eq(&current.0, session))
        {
            sessions.remove(&session.client_id);
            true
        } else {
            false
        }
    }

    fn len(&self) -> usize {
        self.sessions().len()
    }

    fn all(&self) -> Vec<Arc<SessionCell>> {
        self.sessions()
            .iter()
            .map(|registered| Arc::clone(&registered.0))
            .collect()
    }
}
