//! The connection driver: one task per connection, socket → codec → core → codec → socket.
//!
//! The loop waits for one of three things — bytes from the socket, a wake from another session
//! (deliveries, takeover, shutdown) or the engine's next deadline — then lets the engine act and
//! writes everything it has ready in one call. All protocol decisions are the engine's.

use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use hermod_codec::{Decoder, Role};
use hermod_core::Connection;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::parking::{Idle, Lot};
use crate::server::ConnectionSlot;

/// Read buffer size for ordinary reads; idle connections hold none.
const READ_BUFFER: usize = 4 * 1024;
/// The most a busy connection reads at once: a read that fills its buffer doubles the next
/// one up to this, so a fast publisher is read in fewer, larger calls.
const MAX_READ_BATCH: usize = 16 * 1024;
/// How long one write may wait for a client that does not read. Past it the connection is
/// treated as lost (its will is published): a stuck client must not hold its task forever,
/// where keep alive, takeover and shutdown could not reach it.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// What woke the connection task.
#[derive(Default)]
struct Wake {
    /// The socket has bytes (or an error) to read.
    readable: bool,
    /// A backpressure pause ended with packets still in the read buffer.
    resume: bool,
    /// The engine's deadline (or an earlier one it replaced) has come.
    timer: bool,
    /// The server is shutting down.
    shutdown: bool,
}

/// The quiet period before a new connection is parked the first time (at most
/// `server.park_idle_after`).
const FIRST_PARK_AFTER: Duration = Duration::from_millis(100);

/// Drives one connection until it closes. `shutdown` wakes a connection that has no session
/// yet (still waiting for CONNECT) when the server stops; connected ones are woken through
/// their session.
///
/// The task waits in one hand-written poll: socket readiness, the engine's deadline, the
/// shutdown token, and wakes from other sessions (deliveries, takeover), which reach the
/// task's own waker through [`Connection::set_waker`]. No per-connection notifier and no
/// per-iteration timer: a single timer is moved only when the engine's deadline comes
/// earlier than where it is set; a later deadline is found when it fires. This keeps the
/// task small (it is most of an idle connection's memory) and the loop cheap.
///
/// `decoder` is [`new_decoder`]'s for a new connection, or [`resumed_decoder`]'s for one
/// leaving the parking lot; `slot` is its place in the server's connection count. With a
/// parking `lot`, a connection that has read and written nothing for the lot's quiet period
/// and has nothing in progress ([`Connection::is_idle`], no bytes buffered) is parked: the
/// task ends, and the lot starts a new one when the connection has something to do.
pub(crate) async fn drive(
    stream: TcpStream,
    mut connection: Box<Connection>,
    decoder: Decoder,
    slot: ConnectionSlot,
    shutdown: CancellationToken,
    lot: Option<Lot>,
) {
    let (mut stream, mut decoder, mut slot) = (stream, decoder, slot);
    // A new connection (its decoder has not seen CONNECT) is parked after a shorter quiet
    // period the first time: most devices connect, subscribe and go quiet, and after a
    // reconnect storm thousands of fresh connections would otherwise each hold a task for
    // the whole period. Once resumed from the lot, the configured period applies.
    let park_after = lot.as_ref().map(|lot| match decoder.version() {
        None => lot.park_after().min(FIRST_PARK_AFTER),
        Some(_) => lot.park_after(),
    });
    // Both buffers stay unallocated while the connection is idle: the read buffer is taken
    // only when the socket is readable and released once every packet in it was handled.
    let mut read_buf = BytesMut::new();
    let mut write_buf = BytesMut::new();
    // Whether `read_buf` still holds packets a backpressure pause left unhandled.
    let mut left_by_pause = false;
    // How much the next read asks for (READ_BUFFER..=MAX_READ_BATCH).
    let mut read_size = READ_BUFFER;
    let cancelled = shutdown.cancelled();
    tokio::pin!(cancelled);
    let timer = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(timer);
    // Where the timer is set, if it is armed.
    let mut timer_at: Option<Instant> = None;
    // When the connection last read or wrote anything (for parking).
    let mut last_active = Instant::now();
    loop {
        let mut polled = false;
        let wake = std::future::poll_fn(|cx| {
            let now = Instant::now();
            // Backpressure: while sessions this client publishes into are congested, its
            // packets stay unread (in the socket and in `read_buf`) until they drain.
            let may_read = connection.poll_read_ready(now, cx.waker());
            if may_read && left_by_pause {
                return Poll::Ready(Wake {
                    resume: true,
                    ..Wake::default()
                });
            }
            // Deliveries queued since the last drain (their wake may have been spent while
            // this task was writing or yielding), or more than one turn's worth queued.
            let to_send = connection.set_waker(cx.waker()) || connection.has_more_to_send();
            let mut wake = Wake {
                readable: may_read
                    && !connection.is_paused()
                    && stream.poll_read_ready(cx).is_ready(),
                ..Wake::default()
            };
            let park_at = park_after
                .filter(|_| connection.is_idle())
                .map(|after| last_active + after);
            let deadline = match (connection.poll_timeout(), park_at) {
                (Some(engine), Some(park)) => Some(engine.min(park)),
                (engine, park) => engine.or(park),
            };
            if let Some(deadline) = deadline
                && timer_at.is_none_or(|at| deadline < at)
            {
                timer.as_mut().reset(deadline.into());
                timer_at = Some(deadline);
            }
            wake.timer = timer_at.is_some() && timer.as_mut().poll(cx).is_ready();
            wake.shutdown = shutdown.is_cancelled() || cancelled.as_mut().poll(cx).is_ready();
            if wake.readable || wake.timer || wake.shutdown || to_send || polled {
                Poll::Ready(wake)
            } else {
                // Nothing yet; the next poll comes from a wake (a delivery, if none of the
                // above): then there may be something to send.
                polled = true;
                Poll::Pending
            }
        })
        .await;
        let now = Instant::now();
        let mut did_read = false;
        if wake.resume {
            // Packets left unread by a pause: handle them before reading more.
            left_by_pause = handle_batch(&mut decoder, &mut read_buf, &mut connection, now);
            did_read = true;
        } else if wake.readable {
            reserve_for_next_read(&mut read_buf, decoder.max_packet_size(), read_size);
            let space = read_buf.capacity() - read_buf.len();
            match stream.try_read_buf(&mut read_buf) {
                Ok(0) => connection.handle_close(now),
                Ok(read) => {
                    read_size = next_read_size(read_size, read, space);
                    did_read = true;
                    left_by_pause = handle_batch(&mut decoder, &mut read_buf, &mut connection, now);
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => connection.handle_close(now),
            }
        }
        if wake.timer || wake.shutdown {
            if wake.timer {
                timer_at = None;
            }
            connection.handle_timeout(Instant::now());
        }
        let did_write = connection.poll_transmit(Instant::now(), &mut write_buf);
        if did_write && !write_all(&mut stream, &write_buf).await {
            connection.handle_close(Instant::now());
        }
        if write_buf.capacity() > READ_BUFFER {
            write_buf = BytesMut::new();
        } else {
            write_buf.clear();
        }
        if connection.is_closed().is_some() {
            break;
        }
        if did_read || connection.has_more_to_send() {
            // One read buffer (or one write's worth of queued messages) per turn: the tasks
            // this turn woke (subscribers, publishers released by backpressure) run before
            // this connection goes on, so a fast client cannot starve them.
            tokio::task::yield_now().await;
        }
        if read_buf.is_empty() {
            // Everything read was handled: let go of the buffer (decoded payloads that are
            // still queued keep only their own slices alive).
            read_buf = BytesMut::new();
        }
        let now = Instant::now();
        if did_read || did_write {
            last_active = now;
        } else if let (Some(lot), Some(park_after)) = (&lot, park_after)
            && now >= last_active + park_after
            && read_buf.is_empty()
            && !left_by_pause
            && connection.is_idle()
            && !shutdown.is_cancelled()
        {
            let idle = Idle {
                stream,
                connection,
                decoder,
                slot,
            };
            match lot.park(idle) {
                // The lot starts a new task when the connection has something to do.
                Ok(()) => return,
                // Not parked now (a wake came meanwhile, or shutdown): go on driving it.
                Err(idle) => {
                    (stream, connection, decoder, slot) =
                        (idle.stream, idle.connection, idle.decoder, idle.slot);
                    last_active = now;
                }
            }
        }
    }
    let _ = stream.shutdown().await;
    // The connection's place in the count is given back here (or by a panic's unwinding).
    drop(slot);
}

/// The decoder of a new connection.
pub fn new_decoder(connection: &Connection) -> Decoder {
    let mut decoder = Decoder::new(Role::Server);
    decoder.set_max_packet_size(connection.max_packet_size());
    decoder
}

/// The decoder of a connection taken out of the parking lot: as it was when parked, since a
/// decoder knows only the packet size limit and, once CONNECT was read, the version.
pub(crate) fn resumed_decoder(connection: &Connection) -> Decoder {
    let mut decoder = new_decoder(connection);
    if let Some(version) = connection.connected_version() {
        decoder.set_version(version);
    }
    decoder
}

/// Writes all of `buf`: first without waiting (most writes complete at once, and then no
/// timer is needed), then the rest within [`WRITE_TIMEOUT`]. False if the connection failed
/// or the client did not read in time.
async fn write_all(stream: &mut TcpStream, buf: &[u8]) -> bool {
    let written = match stream.try_write(buf) {
        Ok(written) => written,
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => 0,
        Err(_) => return false,
    };
    let Some(rest) = buf.get(written..).filter(|rest| !rest.is_empty()) else {
        return true;
    };
    // Boxed: this slow path is rare, and its timer would otherwise take room in every
    // connection's task.
    matches!(
        Box::pin(tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(rest))).await,
        Ok(Ok(()))
    )
}

/// Makes room for the next read: a small buffer normally, or the whole of a large packet
/// whose fixed header already arrived, so it is read in as few calls as possible.
/// The decoder has already refused a packet declared larger than `max_packet_size`; the cap
/// keeps this function safe on its own.
fn reserve_for_next_read(buf: &mut BytesMut, max_packet_size: usize, read_size: usize) {
    // Grow with what has arrived (at most doubling), not with what a header declares: five
    // bytes claiming a large packet must not reserve it.
    let wanted = match Decoder::pending_packet_size(buf) {
        Ok(Some(size)) if size > buf.len() => size
            .min(max_packet_size)
            .saturating_sub(buf.len())
            .min(buf.len().max(read_size))
            .max(read_size),
        _ => read_size,
    };
    if buf.capacity() - buf.len() < wanted.min(read_size) {
        buf.reserve(wanted);
    }
}

/// The next read's size: doubled (up to [`MAX_READ_BATCH`]) after a read that filled all
/// the `space` it had, halved (down to [`READ_BUFFER`]) after one that used under a quarter.
fn next_read_size(current: usize, read: usize, space: usize) -> usize {
    if read >= space {
        (current * 2).min(MAX_READ_BATCH)
    } else if read < current / 4 {
        (current / 2).max(READ_BUFFER)
    } else {
        current
    }
}

/// Handles one read batch ([`decode_all`]) and tells the engine it ended (a grace batch after
/// a backpressure pause lasts exactly one). Returns true if a pause left bytes unhandled.
fn handle_batch(
    decoder: &mut Decoder,
    buf: &mut BytesMut,
    connection: &mut Connection,
    now: Instant,
) -> bool {
    let left = decode_all(decoder, buf, connection, now);
    connection.end_read_batch();
    left
}

/// Decodes and handles every complete packet in the buffer, stopping early if the connection
/// closes or is paused by backpressure (the rest stays in the buffer). Returns true if it
/// stopped for a pause with bytes left in the buffer.
fn decode_all(
    decoder: &mut Decoder,
    buf: &mut BytesMut,
    connection: &mut Connection,
    now: Instant,
) -> bool {
    loop {
        match decoder.decode(buf) {
            Ok(Some(packet)) => {
                if connection.handle_packet(now, packet).is_err()
                    || connection.is_closed().is_some()
                {
                    return false;
                }
                if connection.is_paused() {
                    return !buf.is_empty();
                }
            }
            Ok(None) => return false,
            Err(error) => {
                connection.handle_decode_error(now, error);
                return false;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;

    #[test]
    fn read_size_grows_with_full_reads_and_shrinks_with_small_ones() {
        assert_eq!(
            next_read_size(READ_BUFFER, READ_BUFFER, READ_BUFFER),
            2 * READ_BUFFER
        );
        assert_eq!(
            next_read_size(MAX_READ_BATCH, MAX_READ_BATCH, MAX_READ_BATCH),
            MAX_READ_BATCH
        );
        assert_eq!(next_read_size(16 * 1024, 100, 16 * 1024), 8 * 1024);
        assert_eq!(next_read_size(READ_BUFFER, 10, READ_BUFFER), READ_BUFFER);
        assert_eq!(next_read_size(16 * 1024, 8 * 1024, 16 * 1024), 16 * 1024);
    }
}
