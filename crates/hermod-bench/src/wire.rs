//! One lean MQTT connection: a TCP stream, the codec's decoder, a read buffer that is filled
//! by whole `read_buf` calls (every complete packet in it is decoded before reading again) and
//! a write buffer that can hold a batch of packets sent with one write.

use std::time::Duration;

use bytes::{Buf as _, BytesMut};
use hermod_codec::{Connect, Decoder, Packet, ProtocolVersion, Role};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::BenchError;
use crate::endpoint::Endpoint;
use crate::fast::{self, PublishView};

/// A connected, accepted MQTT client connection.
#[derive(Debug)]
pub(crate) struct Wire {
    stream: TcpStream,
    decoder: Decoder,
    version: ProtocolVersion,
    read: BytesMut,
    write: BytesMut,
}

impl Wire {
    /// Connects client `index` to `endpoint`, sends `connect` and waits for an accepting
    /// CONNACK, all within `timeout`. Returns the connection and the time from the start of
    /// the TCP connect to the CONNACK.
    pub(crate) async fn connect(
        endpoint: &Endpoint,
        index: u32,
        connect: Connect,
        timeout: Duration,
    ) -> Result<(Wire, Duration), BenchError> {
        let started = Instant::now();
        let deadline = started + timeout;
        let stream = tokio::time::timeout_at(deadline, endpoint.connect(index))
            .await
            .map_err(|_| BenchError::Timeout("the TCP connection"))??;
        // Best effort: small packets go out at once.
        let _ = stream.set_nodelay(true);
        let version = connect.protocol;
        let mut wire = Wire {
            stream,
            decoder: Decoder::with_version(Role::Client, version),
            version,
            read: BytesMut::with_capacity(4096),
            write: BytesMut::with_capacity(256),
        };
        wire.queue(&Packet::Connect(Box::new(connect)))?;
        wire.flush().await?;
        let packet = tokio::time::timeout_at(deadline, wire.read_packet())
            .await
            .map_err(|_| BenchError::Timeout("CONNACK"))??;
        match packet {
            Packet::ConnAck(connack) if connack.reason.is_success() => {
                Ok((wire, started.elapsed()))
            }
            Packet::ConnAck(connack) => Err(BenchError::Refused(connack.reason)),
            Packet::Disconnect(disconnect) => Err(BenchError::Refused(disconnect.reason)),
            _ => Err(BenchError::Unexpected("a packet other than CONNACK")),
        }
    }

    /// Encodes `packet` into the write buffer; nothing is sent until [`Wire::flush`].
    pub(crate) fn queue(&mut self, packet: &Packet) -> Result<(), BenchError> {
        packet.encode(self.version, &mut self.write)?;
        Ok(())
    }

    /// Writes everything queued with one `write_all`.
    pub(crate) async fn flush(&mut self) -> Result<(), BenchError> {
        if !self.write.is_empty() {
            self.stream.write_all(&self.write).await?;
            self.write.clear();
        }
        Ok(())
    }

    /// Takes the PUBLISH at the front of the read buffer through the fast path, if there is
    /// a whole, well-formed one (see [`crate::fast`]); anything else stays for
    /// [`Wire::try_decode`].
    pub(crate) fn try_take_publish(&mut self) -> Option<PublishView> {
        let (view, size) = fast::peek_publish(&self.read, self.version.is_v5())?;
        self.read.advance(size);
        Some(view)
    }

    /// Decodes the next complete packet already in the read buffer, if any.
    pub(crate) fn try_decode(&mut self) -> Result<Option<Packet>, BenchError> {
        Ok(self.decoder.decode(&mut self.read)?)
    }

    /// Reads once from the socket into the read buffer. Cancel-safe.
    pub(crate) async fn fill(&mut self) -> Result<(), BenchError> {
        self.read.reserve(16 * 1024);
        if self.stream.read_buf(&mut self.read).await? == 0 {
            return Err(BenchError::Closed);
        }
        Ok(())
    }

    /// Whether packets are queued but not yet written.
    pub(crate) fn has_queued(&self) -> bool {
        !self.write.is_empty()
    }

    /// Reads until one whole packet is decoded. Cancel-safe: bytes read stay in the buffer.
    pub(crate) async fn read_packet(&mut self) -> Result<Packet, BenchError> {
        loop {
            if let Some(packet) = self.decoder.decode(&mut self.read)? {
                return Ok(packet);
            }
            self.read.reserve(4096);
            if self.stream.read_buf(&mut self.read).await? == 0 {
                return Err(BenchError::Closed);
            }
        }
    }

    /// Closes the connection, sending DISCONNECT first (best effort: the benchmark is over).
    pub(crate) async fn close(mut self) {
        let disconnect =
            hermod_codec::Disconnect::new(hermod_codec::ReasonCode::NORMAL_DISCONNECTION);
        if self.queue(&Packet::Disconnect(disconnect)).is_ok() {
            let _ = self.flush().await;
        }
        let _ = self.stream.shutdown().await;
    }
}
