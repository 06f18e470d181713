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
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Initial read buffer size: small, so idle connections stay cheap.
const READ_BUFFER: usize = 4 * 1024;
/// A buffer larger than this is released when the connection goes idle.
const SHRINK_ABOVE: usize = 64 * 1024;

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
    let mut read_buf = BytesMut::with_capacity(READ_BUFFER);
    let mut write_buf = BytesMut::new();
    loop {
        let deadline = connection.poll_timeout();
        connection.set_waker(&waker);
        let sleep = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                None => std::future::pending().await,
            }
        };
        if read_buf.capacity() - read_buf.len() < 512 {
            read_buf.reserve(READ_BUFFER);
        }
        let mut did_read = false;
        tokio::select! {
            read = stream.read_buf(&mut read_buf) => {
                let now = Instant::now();
                did_read = true;
                match read {
                    Ok(0) | Err(_) => connection.handle_close(now),
                    Ok(_) => decode_all(&mut decoder, &mut read_buf, &mut connection, now),
                }
            }
            () = notify.0.notified() => {}
            () = shutdown.cancelled() => connection.handle_timeout(Instant::now()),
            () = sleep => connection.handle_timeout(Instant::now()),
        }
        let now = Instant::now();
        if connection.poll_transmit(now, &mut write_buf)
            && stream.write_all(&write_buf).await.is_err()
        {
            connection.handle_close(Instant::now());
        }
        write_buf.clear();
        if connection.is_closed().is_some() {
            break;
        }
        if did_read {
            // One read buffer per turn: the sessions this batch woke (its subscribers) run
            // before this connection reads again, so a fast publisher cannot starve them.
            tokio::task::yield_now().await;
        }
        if read_buf.is_empty() && read_buf.capacity() > SHRINK_ABOVE {
            read_buf = BytesMut::with_capacity(READ_BUFFER);
        }
        if write_buf.capacity() > SHRINK_ABOVE {
            write_buf = BytesMut::new();
        }
    }
    let _ = stream.shutdown().await;
}

/// Decodes and handles every complete packet in the buffer.
fn decode_all(
    decoder: &mut Decoder,
    buf: &mut BytesMut,
    connection: &mut Connection,
    now: Instant,
) {
    loop {
        match decoder.decode(buf) {
            Ok(Some(packet)) => {
                if connection.handle_packet(now, packet).is_err()
                    || connection.is_closed().is_some()
                {
                    return;
                }
            }
            Ok(None) => return,
            Err(error) => {
                connection.handle_decode_error(now, error);
                return;
            }
        }
    }
}
