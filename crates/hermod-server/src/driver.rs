//! The connection driver: one task per connection, socket → codec → core → codec → socket.
//!
//! The loop waits for one of three things — bytes from the socket, a wake from another session
//! (deliveries, takeover, shutdown) or the engine's next deadline — then lets the engine act and
//! writes everything it has ready in one call. All protocol decisions are the engine's.

use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::Instant;

use bytes::BytesMut;
use hermod_codec::{Decoder, Role};
use hermod_core::Connection;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Read buffer size for ordinary reads; idle connections hold none.
const READ_BUFFER: usize = 4 * 1024;
/// How long one write may wait for a client that does not read. Past it the connection is
/// treated as lost (its will is published): a stuck client must not hold its task forever,
/// where keep alive, takeover and shutdown could not reach it.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Turns `Waker::wake` from any thread into a `Notify` permit for the connection task.
struct NotifyWaker(Notify);

impl Wake for NotifyWaker {
    fn wake(self: Arc<Self>) {
        self.0.notify_one();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.notify_one();
    }
}

/// Drives one connection until it closes. `shutdown` wakes a connection that has no session
/// yet (still waiting for CONNECT) when the server stops; connected ones are woken through
/// their session.
pub async fn drive(mut stream: TcpStream, mut connection: Connection, shutdown: CancellationToken) {
    let notify = Arc::new(NotifyWaker(Notify::new()));
    let waker = Waker::from(Arc::clone(&notify));
    let mut decoder = Decoder::new(Role::Server);
    decoder.set_max_packet_size(connection.max_packet_size());
    // Both buffers stay unallocated while the connection is idle: the read buffer is taken
    // only when the socket is readable and released once every packet in it was handled.
    let mut read_buf = BytesMut::new();
    let mut write_buf = BytesMut::new();
    // Whether `read_buf` still holds packets a backpressure pause left unhandled.
    let mut left_by_pause = false;
    loop {
        // Backpressure: while sessions this client publishes into are congested, its
        // packets stay unread (in the socket and in `read_buf`) until they drain.
        let may_read = connection.poll_read_ready(Instant::now(), &waker);
        let mut did_read = false;
        if may_read && left_by_pause {
            // Packets left unread by a pause: handle them before reading more.
            left_by_pause =
                decode_all(&mut decoder, &mut read_buf, &mut connection, Instant::now());
            did_read = true;
        }
        let may_read = may_read && !connection.is_paused();
        let deadline = connection.poll_timeout();
        connection.set_waker(&waker);
        let sleep = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                None => std::future::pending().await,
            }
        };
        if !did_read {
            tokio::select! {
                ready = stream.readable(), if may_read => {
                    let now = Instant::now();
                    if ready.is_err() {
                        connection.handle_close(now);
                    } else {
                        reserve_for_next_read(&mut read_buf, decoder.max_packet_size());
                        match stream.try_read_buf(&mut read_buf) {
                            Ok(0) => connection.handle_close(now),
                            Ok(_) => {
                                did_read = true;
                                left_by_pause = decode_all(
                                    &mut decoder,
                                    &mut read_buf,
                                    &mut connection,
                                    now,
                                );
                            }
                            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                            Err(_) => connection.handle_close(now),
                        }
                    }
                }
                () = notify.0.notified() => {}
                () = shutdown.cancelled() => connection.handle_timeout(Instant::now()),
                () = sleep => connection.handle_timeout(Instant::now()),
            }
        }
        let now = Instant::now();
        if connection.poll_transmit(now, &mut write_buf) {
            let written = tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(&write_buf)).await;
            if !matches!(written, Ok(Ok(()))) {
                connection.handle_close(Instant::now());
            }
        }
        if write_buf.capacity() > READ_BUFFER {
            write_buf = BytesMut::new();
        } else {
            write_buf.clear();
        }
        if connection.is_closed().is_some() {
            break;
        }
        if did_read {
            // One read buffer per turn: the sessions this batch woke (its subscribers) run
            // before this connection reads again, so a fast publisher cannot starve them.
            tokio::task::yield_now().await;
        }
        if read_buf.is_empty() {
            // Everything read was handled: let go of the buffer (decoded payloads that are
            // still queued keep only their own slices alive).
            read_buf = BytesMut::new();
        }
    }
    let _ = stream.shutdown().await;
}

/// Makes room for the next read: a small buffer normally, or the whole of a large packet
/// whose fixed header already arrived, so it is read in as few calls as possible.
/// The decoder has already refused a packet declared larger than `max_packet_size`; the cap
/// keeps this function safe on its own.
fn reserve_for_next_read(buf: &mut BytesMut, max_packet_size: usize) {
    // Grow with what has arrived (at most doubling), not with what a header declares: five
    // bytes claiming a large packet must not reserve it.
    let wanted = match Decoder::pending_packet_size(buf) {
        Ok(Some(size)) if size > buf.len() => size
            .min(max_packet_size)
            .saturating_sub(buf.len())
            .min(buf.len().max(READ_BUFFER))
            .max(READ_BUFFER),
        _ => READ_BUFFER,
    };
    if buf.capacity() - buf.len() < wanted.min(READ_BUFFER) {
        buf.reserve(wanted);
    }
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
