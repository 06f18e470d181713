//! Group commit: writes submitted from any thread are applied by one writer thread in batches,
//! each batch made durable with a single fsync.
//!
//! A submission returns a [`Ticket`]. In [`Durability::Sync`] a ticket is durable once its
//! batch is applied and fsync'd; the broker holds the acknowledgement of a QoS 1/2 PUBLISH
//! until then. While the writer is busy with one batch, later submissions gather into the
//! next, so a slow disk makes batches larger (and acknowledgements later) rather than losing
//! anything. In [`Durability::Periodic`] a ticket counts as durable once applied, and
//! everything applied is fsync'd every interval: a crash loses at most that window.
//!
//! A batch that fails (a full or failing disk) fails its tickets and puts the committer in a
//! fault ([`Committer::fault`]) while the writer retries the same batch, with backoff, ahead of
//! anything newer; the first batch that succeeds clears the fault. Nothing submitted is dropped.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::backend::{Backend, Op};
use crate::error::StoreError;

/// When a write counts as durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// After an fsync of its batch (group commit).
    Sync,
    /// Once applied; fsync'd every interval (a crash loses at most one interval).
    Periodic(Duration),
}

/// Identifies one submission; tickets grow in submission order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(u64);

impl Ticket {
    /// The ticket with this number (as returned by [`Ticket::get`]).
    pub fn new(number: u64) -> Ticket {
        Ticket(number)
    }

    /// Its number.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Where a submission stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketState {
    /// Not written yet.
    Pending,
    /// As durable as the mode promises.
    Durable,
    /// Its batch failed; it is being retried, but whoever waited must not report success.
    Failed,
}

/// Counters of the writer's work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Batches applied successfully.
    pub batches: u64,
    /// Successful fsyncs.
    pub syncs: u64,
    /// Operations applied successfully.
    pub ops: u64,
    /// Batches or fsyncs that failed.
    pub failures: u64,
}

/// The group committer; dropping it writes and syncs what is pending, then stops its thread.
#[derive(Debug)]
pub struct Committer {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    work: Condvar,
    durability: Durability,
}

#[derive(Debug, Default)]
struct State {
    pending: Vec<Op>,
    last_submitted: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    /// Tickets above `durable` and up to this one were in a batch that failed.
    failed_upto: u64,
    fault: Option<Arc<StoreError>>,
    waiters: Vec<(u64, Waker)>,
    closing: bool,
    stats: CommitStats,
}

const FIRST_RETRY: Duration = Duration::from_millis(50);
const LAST_RETRY: Duration = Duration::from_secs(1);
/// How long the writer sleeps with nothing to do (it wakes earlier on a submission).
const IDLE_WAIT: Duration = Duration::from_secs(1);

impl Committer {
    /// Starts the writer thread on `backend`.
    pub fn start(
        backend: Box<dyn Backend>,
        durability: Durability,
    ) -> Result<Committer, StoreError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            durability,
        });
        let writer_shared = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("hermod-store".into())
            .spawn(move || Writer::new(writer_shared, backend).run())
            .map_err(|error| StoreError::io("hermod-store writer thread", error))?;
        Ok(Committer {
            shared,
            writer: Some(writer),
        })
    }

    /// The durability mode.
    pub fn durability(&self) -> Durability {
        self.shared.durability
    }

    /// Queues `ops` for the next batch.
    pub fn submit(&self, ops: impl IntoIterator<Item = Op>) -> Ticket {
        let mut state = self.shared.lock();
        state.pending.extend(ops);
        state.last_submitted += 1;
        let ticket = Ticket(state.last_submitted);
        drop(state);
        self.shared.work.notify_one();
        ticket
    }

    /// The last ticket handed out (every later submission gets a higher one).
    pub fn last_ticket(&self) -> Ticket {
        Ticket(self.shared.lock().last_submitted)
    }

    /// Where `ticket` stands.
    pub fn state(&self, ticket: Ticket) -> TicketState {
        self.shared.lock().ticket_state(ticket.0)
    }

    /// Ready with the ticket's state once it is no longer pending; otherwise `waker` is woken
    /// when it is.
    pub fn poll_durable(&self, ticket: Ticket, waker: &Waker) -> Poll<TicketState> {
        let mut state = self.shared.lock();
        match state.ticket_state(ticket.0) {
            TicketState::Pending => {
                if !state
                    .waiters
                    .iter()
                    .any(|(waiting, known)| *waiting == ticket.0 && known.will_wake(waker))
                {
                    state.waiters.push((ticket.0, waker.clone()));
                }
                Poll::Pending
            }
            resolved => Poll::Ready(resolved),
        }
    }

    /// Blocks until `ticket` is no longer pending (for startup, shutdown and tests).
    pub fn wait(&self, ticket: Ticket) -> TicketState {
        let mut state = self.shared.lock();
        loop {
            match state.ticket_state(ticket.0) {
                TicketState::Pending => {
                    state = self
                        .shared
                        .work
                        .wait(state)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
                resolved => return resolved,
            }
        }
    }

    /// The store's fault, if the last batch or fsync failed: new writes that must be durable
    /// before they are acknowledged should be refused until it clears.
    pub fn fault(&self) -> Option<Arc<StoreError>> {
        self.shared.lock().fault.clone()
    }

    /// The writer's counters.
    pub fn stats(&self) -> CommitStats {
        self.shared.lock().stats
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.work.notify_all();
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            tracing::error!("the store's writer thread panicked");
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn ticket_state(&self, ticket: u64) -> TicketState {
        if ticket <= self.durable {
            TicketState::Durable
        } else if ticket <= self.failed_upto {
            TicketState::Failed
        } else {
            TicketState::Pending
        }
    }

    fn wake_resolved(&mut self) {
        let resolved = self.durable.max(self.failed_upto);
        self.waiters.retain(|(ticket, waker)| {
            if *ticket <= resolved {
                waker.wake_by_ref();
                false
            } else {
                true
            }
        });
    }
}

/// The writer thread's own state.
struct Writer {
    shared: Arc<Shared>,
    backend: Box<dyn Backend>,
    /// A failed batch, retried before anything newer, and its last ticket.
    retry: Option<(Vec<Op>, u64)>,
    retry_after: Duration,
    retry_at: Instant,
    /// Applied but not fsync'd yet (periodic mode).
    unsynced: bool,
    next_sync: Instant,
}

impl Writer {
    fn new(shared: Arc<Shared>, backend: Box<dyn Backend>) -> Writer {
        let now = Instant::now();
        Writer {
            shared,
            backend,
            retry: None,
            retry_after: FIRST_RETRY,
            retry_at: now,
            unsynced: false,
            next_sync: now,
        }
    }

    fn run(mut self) {
        loop {
            let Some((ops, upto, closing)) = self.next_batch() else {
                continue;
            };
            if !ops.is_empty() {
                self.write(ops, upto);
            }
            self.sync_if_due(closing);
            if closing {
                if self.retry.is_some() {
                    tracing::error!("the store could not write its last batch before closing");
                    return;
                }
                if self.shared.lock().pending.is_empty() {
                    return;
                }
            }
        }
    }

    /// Waits for work and takes it: the batch to write (a retried batch first, then everything
    /// submitted since), the ticket it completes, and whether the committer is closing. `None`
    /// when only a periodic sync or a wait was due.
    fn next_batch(&mut self) -> Option<(Vec<Op>, u64, bool)> {
        let mut state = self.shared.lock();
        let now = Instant::now();
        let retry_due = self.retry.is_some() && now >= self.retry_at;
        let sync_due = self.unsynced && now >= self.next_sync;
        if state.pending.is_empty() && !retry_due && !state.closing {
            if sync_due {
                drop(state);
                self.sync_if_due(false);
                return None;
            }
            let mut wait = IDLE_WAIT;
            if self.retry.is_some() {
                wait = wait.min(self.retry_at.saturating_duration_since(now));
            }
            if self.unsynced {
                wait = wait.min(self.next_sync.saturating_duration_since(now));
            }
            let (_state, _) = self
                .shared
                .work
                .wait_timeout(state, wait)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            return None;
        }
        let closing = state.closing;
        if self.retry.is_some() && !retry_due && !closing {
            // New submissions wait behind the failed batch until its retry is due.
            drop(state);
            std::thread::sleep(self.retry_at.saturating_duration_since(now).min(LAST_RETRY));
            return None;
        }
        let mut ops = std::mem::take(&mut state.pending);
        let mut upto = state.last_submitted;
        if let Some((mut retried, retried_upto)) = self.retry.take() {
            retried.append(&mut ops);
            ops = retried;
            upto = upto.max(retried_upto);
        }
        Some((ops, upto, closing))
    }

    fn write(&mut self, ops: Vec<Op>, upto: u64) {
        let durability = self.shared.durability;
        let mut result = self.backend.apply(&ops);
        let applied = result.is_ok();
        if applied && durability == Durability::Sync {
            result = self.backend.sync();
        }
        let mut state = self.shared.lock();
        match result {
            Ok(()) => {
                state.durable = upto;
                state.stats.batches += 1;
                state.stats.ops += ops.len() as u64;
                if durability == Durability::Sync {
                    state.stats.syncs += 1;
                } else if !self.unsynced {
                    self.unsynced = true;
                    if let Durability::Periodic(interval) = durability {
                        self.next_sync = Instant::now() + interval;
                    }
                }
                if state.fault.take().is_some() {
                    tracing::info!("the store writes again");
                }
                self.retry_after = FIRST_RETRY;
            }
            Err(error) => {
                state.failed_upto = upto;
                state.stats.failures += 1;
                if state.fault.is_none() {
                    tracing::error!(%error, "the store cannot write: refusing durable writes until it can");
                }
                state.fault = Some(Arc::new(error));
                self.retry = Some((ops, upto));
                self.retry_at = Instant::now() + self.retry_after;
                self.retry_after = (self.retry_after * 2).min(LAST_RETRY);
            }
        }
        state.wake_resolved();
        drop(state);
        self.shared.work.notify_all();
    }

    /// The periodic fsync, when its interval has passed (or at shutdown).
    fn sync_if_due(&mut self, closing: bool) {
        if !self.unsynced || !(closing || Instant::now() >= self.next_sync) {
            return;
        }
        let result = self.backend.sync();
        let mut state = self.shared.lock();
        match result {
            Ok(()) => {
                self.unsynced = false;
                state.stats.syncs += 1;
                if self.retry.is_none() && state.fault.take().is_some() {
                    tracing::info!("the store syncs again");
                }
            }
            Err(error) => {
                state.stats.failures += 1;
                tracing::error!(%error, "the store cannot sync");
                state.fault = Some(Arc::new(error));
                if let Durability::Periodic(interval) = self.shared.durability {
                    self.next_sync = Instant::now() + interval.min(LAST_RETRY);
                }
            }
        }
    }
}
