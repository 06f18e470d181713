//! The parking lot: idle connections without a task.
//!
//! A connection's task and the runtime's registration of its socket are most of what an idle
//! connection costs (about 1 KB of the 2 KB). A connection that has had nothing to do for
//! the configured quiet period (`server.park_idle_after`) is therefore set aside: its driver
//! task ends, its socket leaves the runtime's registration and joins the lot's own epoll set,
//! and the lot keeps the socket and the engine in a slot. One thread runs the lot, blocked in
//! `epoll_wait` on that set (a thread, not a task, so that the set's descriptor needs no
//! registration with the runtime). It starts the connection's driver again, as a new task on
//! the runtime, when
//!
//! - the socket becomes readable (a packet, or the peer closed),
//! - the session wakes it (a delivery, a takeover, the broker shutting down), through a small
//!   per-slot waker given to [`Connection::set_waker`],
//! - the engine's deadline comes (keep alive), or
//! - the server shuts down (every parked connection is started again to say goodbye).
//!
//! Slots carry a generation, so a wake or an epoll event meant for an earlier occupant of a
//! slot is ignored.

use std::collections::BTreeSet;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use hermod_codec::Decoder;
use hermod_core::stats::Stats;
use hermod_core::{Broker, Connection};
use mio::unix::SourceFd;
use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::server::ConnectionSlot;

/// Epoll events read per call.
const EVENTS_PER_POLL: usize = 256;
/// The token of the lot's own waker in its epoll set (no slot has it: slot tokens carry a
/// generation of at least 1 in their upper half).
const WAKE_TOKEN: mio::Token = mio::Token(0);

/// A connection set aside by its driver.
pub(crate) struct Idle {
    /// The socket, still registered with the runtime.
    pub(crate) stream: TcpStream,
    /// The engine.
    pub(crate) connection: Box<Connection>,
    /// The packet decoder (it knows the protocol version).
    pub(crate) decoder: Decoder,
    /// Its place in the server's connection count.
    pub(crate) slot: ConnectionSlot,
}

/// A handle on the lot; cheap to clone.
#[derive(Clone)]
pub(crate) struct Lot {
    shared: Arc<Shared>,
}

/// What the lot, the parking drivers and the slot wakers share.
struct Shared {
    broker: Broker,
    registry: mio::Registry,
    state: Mutex<State>,
    /// Wakes the lot's thread: a delivery woke a slot, a deadline earlier than the one it
    /// sleeps to was parked, or the server is shutting down.
    waker: mio::Waker,
    /// Set when the server shuts down.
    shutting_down: AtomicBool,
    /// Where restarted drivers run.
    runtime: Handle,
    tracker: TaskTracker,
    close_connections: CancellationToken,
    park_after: Duration,
}

#[derive(Default)]
struct State {
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// (deadline, slot, generation) of every parked connection with a deadline.
    deadlines: BTreeSet<(Instant, u32, u32)>,
    /// Slots woken by their session, not yet handled by the lot's task.
    woken: Vec<(u32, u32)>,
    /// Set at shutdown: nothing more is parked.
    closed: bool,
}

#[derive(Default)]
struct Slot {
    generation: u32,
    state: SlotState,
}

/// What a slot holds.
#[derive(Default)]
enum SlotState {
    /// Nothing (its index is in the free list).
    #[default]
    Free,
    /// A driver is parking its connection here; `woken` if a wake or a socket event came
    /// meanwhile (the driver then keeps the connection).
    Parking { woken: bool },
    /// A parked connection.
    Parked(Parked),
}

/// One parked connection. Its decoder and deadline are not kept: both follow from the
/// engine, which nothing changes while it is parked (a slot is memory per idle connection).
struct Parked {
    /// Out of the runtime's registration, in the lot's epoll set.
    stream: std::net::TcpStream,
    connection: Box<Connection>,
    slot: ConnectionSlot,
}

/// Wakes one slot's connection (given to its session while it is parked).
struct SlotWaker {
    shared: Weak<Shared>,
    slot: u32,
    generation: u32,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(shared) = self.shared.upgrade() {
            let first = {
                let mut state = shared.lock();
                state.woken.push((self.slot, self.generation));
                state.woken.len() == 1
            };
            if first {
                shared.wake();
            }
        }
    }
}

/// The epoll token of a slot's occupant: generation and slot index.
fn token(slot: u32, generation: u32) -> mio::Token {
    mio::Token((usize::try_from(generation).unwrap_or(0) << 32) | slot as usize)
}

/// The slot and generation of a token.
fn from_token(token: mio::Token) -> (u32, u32) {
    let value = token.0 as u64;
    ((value & 0xffff_ffff) as u32, (value >> 32) as u32)
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent slots (every update is one step).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the lot's thread.
    fn wake(&self) {
        if let Err(error) = self.waker.wake() {
            tracing::warn!(%error, "cannot wake the parking lot");
        }
    }
}

impl Lot {
    /// Creates the lot and the thread that runs it; the lot closes when `close_connections`
    /// is cancelled, after starting every parked connection again (the server's task
    /// tracker counts the thread until then). Call from within the runtime.
    pub(crate) fn start(
        broker: Broker,
        tracker: &TaskTracker,
        close_connections: CancellationToken,
        park_after: Duration,
    ) -> std::io::Result<Lot> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)?;
        let lot = Lot {
            shared: Arc::new(Shared {
                broker,
                registry,
                state: Mutex::new(State::default()),
                waker,
                shutting_down: AtomicBool::new(false),
                runtime: Handle::current(),
                tracker: tracker.clone(),
                close_connections: close_connections.clone(),
                park_after,
            }),
        };
        // Held by the thread until it has handed back every parked connection, so that a
        // graceful shutdown waits for them.
        let running = tracker.token();
        std::thread::Builder::new()
            .name("hermod-parking".into())
            .spawn({
                let lot = lot.clone();
                move || {
                    lot.run(poll);
                    drop(running);
                }
            })?;
        let shared = Arc::clone(&lot.shared);
        tracker.spawn(async move {
            close_connections.cancelled().await;
            shared.shutting_down.store(true, Ordering::Release);
            shared.wake();
        });
        Ok(lot)
    }

    /// How long a connection must have been idle before it is parked.
    pub(crate) fn park_after(&self) -> Duration {
        self.shared.park_after
    }

    /// Parks an idle connection. Gives it back if it cannot be parked now — the lot is closed
    /// (shutdown), a delivery or a packet arrived while it was being parked, or the socket
    /// could not join the lot's epoll set — and the caller goes on driving it.
    pub(crate) fn park(&self, mut idle: Idle) -> Result<(), Idle> {
        let shared = &self.shared;
        idle.connection.release_idle_buffers();
        let Some((slot, generation)) = self.reserve() else {
            return Err(idle);
        };
        // The session's waker first, while this task still owns the engine and without the
        // lot's lock (a delivering thread holds the session's lock while it wakes). It
        // reports deliveries queued since the driver's last drain.
        let waker = Waker::from(Arc::new(SlotWaker {
            shared: Arc::downgrade(shared),
            slot,
            generation,
        }));
        if idle.connection.set_waker(&waker) {
            self.release(slot);
            return Err(idle);
        }
        let Idle {
            stream,
            connection,
            decoder,
            slot: connection_slot,
        } = idle;
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(error) => {
                // The socket is gone with the error: the connection ends here.
                tracing::debug!(%error, "cannot take an idle socket out of the runtime");
                self.release(slot);
                end(connection);
                return Ok(());
            }
        };
        let fd = stream.as_raw_fd();
        let registered = shared.registry.register(
            &mut SourceFd(&fd),
            token(slot, generation),
            mio::Interest::READABLE,
        );
        let deadline = connection.poll_timeout();
        let mut parked = Some(Parked {
            stream,
            connection,
            slot: connection_slot,
        });
        let mut earliest = None;
        if registered.is_ok() {
            let mut state = shared.lock();
            let entry = &mut state.slots[slot as usize];
            // Woken while being parked (or shut down meanwhile): keep driving instead.
            if matches!(entry.state, SlotState::Parking { woken: false })
                && let Some(moved) = parked.take()
            {
                entry.state = SlotState::Parked(moved);
                earliest = state.deadlines.first().map(|(at, _, _)| *at);
                if let Some(at) = deadline {
                    state.deadlines.insert((at, slot, generation));
                }
            }
        }
        let Some(parked) = parked else {
            Stats::bump(&shared.broker.stats().parked_connections);
            if deadline.is_some_and(|at| earliest.is_none_or(|earliest| at < earliest)) {
                shared.wake();
            }
            return Ok(());
        };
        if let Err(error) = &registered {
            tracing::debug!(%error, "cannot park an idle connection");
        } else if let Err(error) = shared.registry.deregister(&mut SourceFd(&fd)) {
            tracing::debug!(%error, "cannot take a socket out of the lot's epoll set");
        }
        self.release(slot);
        match TcpStream::from_std(parked.stream) {
            Ok(stream) => Err(Idle {
                stream,
                connection: parked.connection,
                decoder,
                slot: parked.slot,
            }),
            Err(error) => {
                tracing::warn!(%error, "cannot resume a connection: closing it");
                end(parked.connection);
                Ok(())
            }
        }
    }

    /// Reserves a slot for a connection being parked; `None` once the lot is closed.
    fn reserve(&self) -> Option<(u32, u32)> {
        let mut state = self.shared.lock();
        if state.closed {
            return None;
        }
        let slot = match state.free.pop() {
            Some(slot) => slot,
            None => {
                let slot = u32::try_from(state.slots.len()).ok()?;
                state.slots.push(Slot::default());
                slot
            }
        };
        let entry = &mut state.slots[slot as usize];
        // Never 0, so that no slot's token is the waker's.
        entry.generation = entry.generation.checked_add(1).unwrap_or(1);
        entry.state = SlotState::Parking { woken: false };
        Some((slot, entry.generation))
    }

    /// Frees a slot whose connection was not parked after all.
    fn release(&self, slot: u32) {
        let mut state = self.shared.lock();
        state.slots[slot as usize].state = SlotState::Free;
        state.free.push(slot);
    }

    /// Takes the occupant of `slot` if it is still generation `generation`; one still being
    /// parked is marked woken instead (its driver then goes on).
    fn take(state: &mut State, slot: u32, generation: u32) -> Option<Parked> {
        let entry = state.slots.get_mut(slot as usize)?;
        if entry.generation != generation {
            return None;
        }
        match std::mem::replace(&mut entry.state, SlotState::Free) {
            SlotState::Parked(parked) => {
                if let Some(at) = parked.connection.poll_timeout() {
                    state.deadlines.remove(&(at, slot, generation));
                }
                state.free.push(slot);
                Some(parked)
            }
            SlotState::Parking { .. } => {
                entry.state = SlotState::Parking { woken: true };
                None
            }
            other => {
                entry.state = other;
                None
            }
        }
    }

    /// Starts a parked connection's driver again.
    fn unpark(&self, parked: Parked) {
        let shared = &self.shared;
        let _runtime = shared.runtime.enter();
        Stats::drop_one(&shared.broker.stats().parked_connections);
        let fd = parked.stream.as_raw_fd();
        if let Err(error) = shared.registry.deregister(&mut SourceFd(&fd)) {
            tracing::debug!(%error, "parked socket was not in the lot's epoll set");
        }
        let decoder = crate::driver::resumed_decoder(&parked.connection);
        match TcpStream::from_std(parked.stream) {
            Ok(stream) => {
                let lot = self.clone();
                let close = shared.close_connections.clone();
                shared.tracker.spawn_on(
                    crate::driver::drive(
                        stream,
                        parked.connection,
                        decoder,
                        parked.slot,
                        close,
                        Some(lot),
                    ),
                    &shared.runtime,
                );
            }
            Err(error) => {
                tracing::warn!(%error, "cannot resume a parked connection: closing it");
                end(parked.connection);
            }
        }
    }

    /// The lot's thread: waits for readiness, wakes, deadlines and shutdown, and starts the
    /// drivers of the connections concerned.
    fn run(&self, mut poll: mio::Poll) {
        let shared = &self.shared;
        let mut events = mio::Events::with_capacity(EVENTS_PER_POLL);
        let mut ready: Vec<(u32, u32)> = Vec::new();
        loop {
            let timeout = shared
                .lock()
                .deadlines
                .first()
                .map(|(at, _, _)| at.saturating_duration_since(Instant::now()));
            if let Err(error) = poll.poll(&mut events, timeout)
                && error.kind() != std::io::ErrorKind::Interrupted
            {
                tracing::error!(%error, "the parking lot cannot wait for events");
                std::thread::sleep(Duration::from_millis(50));
            }
            ready.extend(
                events
                    .iter()
                    .filter(|event| event.token() != WAKE_TOKEN)
                    .map(|event| from_token(event.token())),
            );
            if shared.shutting_down.load(Ordering::Acquire) {
                let all: Vec<Parked> = {
                    let mut state = shared.lock();
                    state.closed = true;
                    state.deadlines.clear();
                    state
                        .slots
                        .iter_mut()
                        .filter_map(|slot| match std::mem::take(&mut slot.state) {
                            SlotState::Parked(parked) => Some(parked),
                            SlotState::Parking { .. } => {
                                // Its driver finds the lot closed and keeps it.
                                slot.state = SlotState::Parking { woken: true };
                                None
                            }
                            SlotState::Free => None,
                        })
                        .collect()
                };
                for parked in all {
                    self.unpark(parked);
                }
                return;
            }
            let now = Instant::now();
            let resumed: Vec<Parked> = {
                let mut state = shared.lock();
                ready.append(&mut state.woken);
                while let Some(&(at, slot, generation)) = state.deadlines.first() {
                    if at > now {
                        break;
                    }
                    state.deadlines.pop_first();
                    ready.push((slot, generation));
                }
                ready
                    .drain(..)
                    .filter_map(|(slot, generation)| Lot::take(&mut state, slot, generation))
                    .collect()
            };
            for parked in resumed {
                self.unpark(parked);
            }
        }
    }
}

/// Ends a connection whose socket was lost while parking or resuming it: the engine treats
/// it as a lost connection (the will is published, the session goes offline).
#[expect(
    clippy::boxed_local,
    reason = "the engine arrives boxed from its slot; unboxing it only to close it copies it"
)]
fn end(mut connection: Box<Connection>) {
    connection.handle_close(Instant::now());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_for_a_slot_being_parked_marks_it_and_stale_wakes_are_ignored() {
        let mut state = State::default();
        state.slots.push(Slot {
            generation: 3,
            state: SlotState::Parking { woken: false },
        });
        // An earlier occupant's wake: ignored.
        assert!(Lot::take(&mut state, 0, 2).is_none());
        assert!(matches!(
            state.slots[0].state,
            SlotState::Parking { woken: false }
        ));
        // The current occupant's: the driver will find it woken and keep the connection.
        assert!(Lot::take(&mut state, 0, 3).is_none());
        assert!(matches!(
            state.slots[0].state,
            SlotState::Parking { woken: true }
        ));
        // A slot that does not exist, or is free: nothing.
        assert!(Lot::take(&mut state, 9, 1).is_none());
        state.slots[0].state = SlotState::Free;
        assert!(Lot::take(&mut state, 0, 3).is_none());
        assert!(matches!(state.slots[0].state, SlotState::Free));
    }

    #[test]
    fn tokens_carry_slot_and_generation() {
        assert_eq!(from_token(token(7, 3)), (7, 3));
        assert_eq!(from_token(token(u32::MAX, u32::MAX)), (u32::MAX, u32::MAX));
        assert_ne!(token(1, 1), token(1, 2));
    }
}
