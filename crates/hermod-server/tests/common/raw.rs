//! Raw-bytes helpers for `violations.rs`: packets written byte by byte (so that a test can
//! send forms the codec's encoder refuses), a client over a plain `TcpStream` that decodes what
//! the broker answers with `hermod_codec`, and a well-behaved bystander.
//!
//! (Reconstructed from its uses in `violations.rs` after the original was overwritten by
//! mistake; see the integration-test report.)
#![allow(dead_code)]

use std::net::SocketAddr;

use bytes::BytesMut;
use hermod_codec::{Decoder, Packet, ProtocolVersion, ReasonCode, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::WAIT;

/// Protocol level of MQTT 3.1.1.
pub(crate) const V311: u8 = 4;
/// Protocol level of MQTT 5.0.
pub(crate) const V5: u8 = 5;

/// The protocol version of a level byte (3.1.1 for anything that is not 5).
fn version_of(level: u8) -> ProtocolVersion {
    if level == V5 {
        ProtocolVersion::V5
    } else {
        ProtocolVersion::V3_1_1
    }
}

/// Appends a Variable Byte Integer.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let mut byte = (value % 128) as u8;
        value /= 128;
        if value > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if value == 0 {
            return;
        }
    }
}

/// Appends a two-byte length and the bytes (a UTF-8 string or binary data field).
pub(crate) fn put_field(out: &mut Vec<u8>, field: &[u8]) {
    let len = u16::try_from(field.len()).expect("field fits in 64 KiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(field);
}

/// A property block: the Variable Byte Integer length, then the properties.
pub(crate) fn properties(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 4);
    put_varint(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// A whole packet: the first byte (type and flags), the Remaining Length, the body.
pub(crate) fn packet(first_byte: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first_byte];
    put_varint(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

/// A CONNECT with any protocol name and level, clean start, no will and no credentials.
/// `props` is the MQTT 5 property content (ignored below level 5).
pub(crate) fn connect_with(
    name: &[u8],
    level: u8,
    client_id: &str,
    keep_alive: u16,
    props: &[u8],
) -> Vec<u8> {
    let mut body = Vec::new();
    put_field(&mut body, name);
    body.push(level);
    body.push(0b0000_0010);
    body.extend_from_slice(&keep_alive.to_be_bytes());
    if level == V5 {
        body.extend_from_slice(&properties(props));
    }
    put_field(&mut body, client_id.as_bytes());
    packet(0x10, &body)
}

/// A CONNECT for `client_id` at `level`, keep alive 60 s.
pub(crate) fn connect(level: u8, client_id: &str) -> Vec<u8> {
    connect_with(b"MQTT", level, client_id, 60, &[])
}

/// A PUBLISH: `flags` is the low nibble of the first byte (DUP, QoS, RETAIN); `props` is the
/// MQTT 5 property content (`None` for 3.1.1, which has no property block).
pub(crate) fn publish(
    flags: u8,
    topic: &[u8],
    packet_id: Option<u16>,
    props: Option<&[u8]>,
    payload: &[u8],
) -> Vec<u8> {
    let mut body = Vec::new();
    put_field(&mut body, topic);
    if let Some(packet_id) = packet_id {
        body.extend_from_slice(&packet_id.to_be_bytes());
    }
    if let Some(props) = props {
        body.extend_from_slice(&properties(props));
    }
    body.extend_from_slice(payload);
    packet(0x30 | (flags & 0x0F), &body)
}

/// A SUBSCRIBE for one filter with the given options byte; `props` as for [`publish`].
pub(crate) fn subscribe(
    packet_id: u16,
    props: Option<&[u8]>,
    filter: &str,
    options: u8,
) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    if let Some(props) = props {
        body.extend_from_slice(&properties(props));
    }
    put_field(&mut body, filter.as_bytes());
    body.push(options);
    packet(0x82, &body)
}

/// A client writing raw bytes and decoding the broker's answers.
pub(crate) struct RawClient {
    stream: TcpStream,
    decoder: Decoder,
    buf: BytesMut,
}

impl RawClient {
    /// Opens a TCP connection; answers are decoded as `version`.
    pub(crate) async fn open(addr: SocketAddr, version: ProtocolVersion) -> RawClient {
        let stream = tokio::time::timeout(WAIT, TcpStream::connect(addr))
            .await
            .expect("TCP connect in time")
            .expect("TCP connect");
        RawClient {
            stream,
            decoder: Decoder::with_version(Role::Client, version),
            buf: BytesMut::with_capacity(4096),
        }
    }

    /// Opens a connection and sends CONNECT at `level`; returns the broker's CONNACK.
    pub(crate) async fn connect(
        addr: SocketAddr,
        level: u8,
        client_id: &str,
    ) -> (RawClient, Packet) {
        let mut client = RawClient::open(addr, version_of(level)).await;
        client.send(&connect(level, client_id)).await;
        let connack = client.expect_packet().await;
        match &connack {
            Packet::ConnAck(ack) => assert!(ack.reason.is_success(), "CONNACK {ack:?}"),
            other => panic!("expected CONNACK, got {other:?}"),
        }
        (client, connack)
    }

    /// Writes bytes as they are.
    pub(crate) async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write to broker");
    }

    /// The next packet, or `None` once the broker closed the connection.
    async fn next_packet(&mut self) -> Option<Packet> {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Some(packet) = self.decoder.decode(&mut self.buf).expect("valid packet") {
                    return Some(packet);
                }
                match self.stream.read_buf(&mut self.buf).await {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
        })
        .await
        .expect("the broker answers in time")
    }

    /// The next packet; the connection must still be open.
    pub(crate) async fn expect_packet(&mut self) -> Packet {
        self.next_packet().await.expect("connection still open")
    }

    /// The broker closes the connection without sending another packet.
    pub(crate) async fn expect_closed(&mut self) {
        if let Some(packet) = self.next_packet().await {
            panic!("expected the connection to close, got {packet:?}");
        }
    }

    /// The broker sends DISCONNECT with `reason`, then closes.
    pub(crate) async fn expect_disconnect(&mut self, reason: ReasonCode) {
        match self.expect_packet().await {
            Packet::Disconnect(disconnect) => assert_eq!(disconnect.reason, reason),
            other => panic!("expected DISCONNECT {reason}, got {other:?}"),
        }
        self.expect_closed().await;
    }

    /// The broker refuses CONNECT with a CONNACK carrying `reason`, then closes.
    pub(crate) async fn expect_connack_refusal(&mut self, reason: ReasonCode) {
        match self.expect_packet().await {
            Packet::ConnAck(connack) => assert_eq!(connack.reason, reason),
            other => panic!("expected CONNACK {reason}, got {other:?}"),
        }
        self.expect_closed().await;
    }
}

/// A well-behaved MQTT 5 client subscribed to its own topic: it proves the broker still
/// serves others while a violator is being closed.
pub(crate) struct Bystander {
    client: RawClient,
    next_id: u16,
}

/// The topic the bystander publishes to and subscribes to.
const BYSTANDER_TOPIC: &[u8] = b"bystander/echo";

impl Bystander {
    /// Connects and subscribes (QoS 1).
    pub(crate) async fn start(addr: SocketAddr) -> Bystander {
        let (mut client, _) = RawClient::connect(addr, V5, "bystander").await;
        client
            .send(&subscribe(1, Some(&[]), "bystander/echo", 0x01))
            .await;
        match client.expect_packet().await {
            Packet::SubAck(suback) => assert_eq!(suback.reasons, [ReasonCode::from_byte(1)]),
            other => panic!("expected SUBACK, got {other:?}"),
        }
        Bystander { client, next_id: 2 }
    }

    /// Publishes one QoS 1 message and receives it back.
    pub(crate) async fn round_trip(&mut self) {
        let packet_id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(2);
        let payload = packet_id.to_be_bytes();
        self.client
            .send(&publish(
                0x02,
                BYSTANDER_TOPIC,
                Some(packet_id),
                Some(&[]),
                &payload,
            ))
            .await;
        let (mut acked, mut echoed) = (false, false);
        while !(acked && echoed) {
            match self.client.expect_packet().await {
                Packet::PubAck(ack) if ack.packet_id.get() == packet_id => acked = true,
                Packet::Publish(message) if message.payload[..] == payload => {
                    if let Some(id) = message.packet_id {
                        let mut body = id.get().to_be_bytes().to_vec();
                        body.push(0x00);
                        self.client.send(&packet(0x40, &body)).await;
                    }
                    echoed = true;
                }
                other => panic!("bystander: unexpected {other:?}"),
            }
        }
    }
}
