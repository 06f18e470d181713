//! A small async MQTT client on [`hermod_codec`] and a tokio `TcpStream`, used by `hermod pub`
//! and `hermod sub`.
//!
//! One connection, driven by its caller: [`Client::connect`] sends CONNECT and checks the
//! CONNACK, [`Client::subscribe`] waits for the SUBACK, [`Client::publish`] runs the QoS 0, 1
//! or 2 flow to its end (PUBACK, or PUBREC/PUBREL/PUBCOMP), [`Client::next_message`] waits for
//! the next incoming PUBLISH (answering its QoS flow) and [`Client::disconnect`] closes
//! cleanly. While any of these waits, a PINGREQ goes out whenever the keep alive interval
//! passes without a packet sent; a PINGRESP not answered within the keep alive is a timeout.
//!
//! Nothing the network sends can panic the client: every malformed or unexpected packet is a
//! [`ClientError`].

use std::collections::VecDeque;
use std::time::Duration;

use bytes::BytesMut;
use hermod_codec::{
    ConnAck, Connect, ConnectReturnCode, DecodeError, Decoder, Disconnect, EncodeError, Packet,
    PacketId, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish, QoS, ReasonCode, Role,
    Subscribe, SubscribeProperties, Subscription, SubscriptionOptions, TopicFilter,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    /// The TCP connection could not be made.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// The address as given.
        address: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Reading or writing the socket failed.
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// The server sent DISCONNECT.
    #[error("the server disconnected: {0}")]
    Disconnected(ReasonCode),
    /// The server refused the connection in its CONNACK: the reason code as sent (an MQTT 3.x
    /// return code or an MQTT 5 reason code) and its name.
    #[error("connection refused by the server: {0}")]
    Refused(String),
    /// The server refused a subscription in its SUBACK.
    #[error("subscription to {filter} refused: {reason}")]
    SubscriptionRefused {
        /// The filter.
        filter: String,
        /// The SUBACK reason code.
        reason: ReasonCode,
    },
    /// The server refused a publication (PUBACK or PUBREC with an error code).
    #[error("publication refused: {0}")]
    PublishRefused(ReasonCode),
    /// The server sent a malformed packet.
    #[error("protocol error: {0}")]
    Decode(#[from] DecodeError),
    /// The server sent a packet that is valid but not expected now.
    #[error("protocol error: unexpected {0}")]
    Unexpected(&'static str),
    /// A packet could not be encoded (e.g. too large).
    #[error("cannot encode a packet: {0}")]
    Encode(#[from] EncodeError),
    /// The server did not answer in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
}

/// One connected MQTT client.
#[derive(Debug)]
pub(crate) struct Client {
    stream: TcpStream,
    decoder: Decoder,
    version: ProtocolVersion,
    read: BytesMut,
    write: BytesMut,
    next_id: PacketId,
    keep_alive: Option<Duration>,
    last_sent: Instant,
    ping_sent: Option<Instant>,
    /// Messages of a resumed session that arrived while a SUBSCRIBE waited for its SUBACK
    /// (already acknowledged), handed out first by [`Client::next_message`]. Bounded by what
    /// the broker sends before the SUBACK: its in-flight window and queue.
    early: VecDeque<Publish>,
}

/// What [`Client::connect`] returns besides the client.
pub(crate) type Connected = (Client, Box<ConnAck>);

impl Client {
    /// Connects to `address` (`host:port`), sends `connect` and waits up to `timeout` for an
    /// accepting CONNACK; a refusal is [`ClientError::Refused`] with its reason code.
    pub(crate) async fn connect(
        address: &str,
        connect: Connect,
        timeout: Duration,
    ) -> Result<Connected, ClientError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| ClientError::Timeout("the TCP connection"))?
            .map_err(|source| ClientError::Connect {
                address: address.to_owned(),
                source,
            })?;
        // Best effort: small packets go out at once.
        let _ = stream.set_nodelay(true);
        let version = connect.protocol;
        let keep_alive =
            (connect.keep_alive > 0).then(|| Duration::from_secs(u64::from(connect.keep_alive)));
        let mut client = Client {
            stream,
            decoder: Decoder::with_version(Role::Client, version),
            version,
            read: BytesMut::with_capacity(8 * 1024),
            write: BytesMut::with_capacity(1024),
            next_id: PacketId::MIN,
            keep_alive,
            last_sent: Instant::now(),
            ping_sent: None,
            early: VecDeque::new(),
        };
        client.send(&Packet::Connect(Box::new(connect))).await?;
        let packet = tokio::time::timeout(timeout, client.read_packet())
            .await
            .map_err(|_| ClientError::Timeout("CONNACK"))??;
        match packet {
            Packet::ConnAck(connack) if connack.reason.is_success() => Ok((client, connack)),
            Packet::ConnAck(connack) => Err(ClientError::Refused(refusal(version, connack.reason))),
            Packet::Disconnect(disconnect) => Err(ClientError::Disconnected(disconnect.reason)),
            _ => Err(ClientError::Unexpected("a packet other than CONNACK")),
        }
    }

    /// The protocol version of the connection.
    pub(crate) fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// Subscribes to `filters` with `options` and waits for the SUBACK; fails if any filter
    /// is refused.
    pub(crate) async fn subscribe(
        &mut self,
        filters: &[TopicFilter],
        options: SubscriptionOptions,
    ) -> Result<Vec<ReasonCode>, ClientError> {
        let packet_id = self.take_id();
        let subscribe = Subscribe {
            packet_id,
            properties: SubscribeProperties::default(),
            subscriptions: filters
                .iter()
                .map(|filter| Subscription {
                    filter: Ok(filter.clone()),
                    options,
                })
                .collect(),
        };
        self.send(&Packet::Subscribe(subscribe)).await?;
        loop {
            match self.next_packet().await? {
                Packet::SubAck(suback) if suback.packet_id == packet_id => {
                    for (filter, reason) in filters.iter().zip(&suback.reasons) {
                        if !reason.is_success() {
                            return Err(ClientError::SubscriptionRefused {
                                filter: filter.as_str().to_owned(),
                                reason: *reason,
                            });
                        }
                    }
                    return Ok(suback.reasons);
                }
                Packet::Publish(publish) => {
                    // A retained message may only follow the SUBACK, but a resumed session's
                    // queued messages may come first: answer and keep them for the caller.
                    self.acknowledge(&publish).await?;
                    self.early.push_back(publish);
                }
                other => self.handle_other(other).await?,
            }
        }
    }

    /// Publishes `publish` (its packet id is assigned here) and, for QoS 1 and 2, waits until
    /// its flow is complete.
    pub(crate) async fn publish(&mut self, mut publish: Publish) -> Result<(), ClientError> {
        let qos = publish.qos;
        let packet_id = match qos {
            QoS::AtMostOnce => None,
            QoS::AtLeastOnce | QoS::ExactlyOnce => Some(self.take_id()),
        };
        publish.packet_id = packet_id;
        self.send(&Packet::Publish(publish)).await?;
        let Some(packet_id) = packet_id else {
            return Ok(());
        };
        loop {
            match self.next_packet().await? {
                Packet::PubAck(ack) if qos == QoS::AtLeastOnce && ack.packet_id == packet_id => {
                    return check_publish_reason(ack.reason);
                }
                Packet::PubRec(rec) if qos == QoS::ExactlyOnce && rec.packet_id == packet_id => {
                    check_publish_reason(rec.reason)?;
                    self.send(&Packet::PubRel(PubRel::new(packet_id))).await?;
                }
                Packet::PubComp(comp) if qos == QoS::ExactlyOnce && comp.packet_id == packet_id => {
                    return Ok(());
                }
                Packet::Publish(incoming) => self.acknowledge(&incoming).await?,
                other => self.handle_other(other).await?,
            }
        }
    }

    /// Waits for the next incoming PUBLISH, acknowledging it as its QoS requires.
    pub(crate) async fn next_message(&mut self) -> Result<Publish, ClientError> {
        if let Some(publish) = self.early.pop_front() {
            return Ok(publish);
        }
        loop {
            match self.next_packet().await? {
                Packet::Publish(publish) => {
                    self.acknowledge(&publish).await?;
                    return Ok(publish);
                }
                other => self.handle_other(other).await?,
            }
        }
    }

    /// When a PINGREQ is due to keep an otherwise idle connection alive (`None` without keep
    /// alive).
    pub(crate) fn ping_due_at(&self) -> Option<Instant> {
        self.keep_alive
            .map(|keep_alive| self.last_sent + keep_alive)
    }

    /// Sends a PINGREQ; its PINGRESP is consumed by the next wait for a packet.
    pub(crate) async fn ping(&mut self) -> Result<(), ClientError> {
        self.send(&Packet::PingReq).await
    }

    /// Sends DISCONNECT (normal disconnection) and closes the connection.
    pub(crate) async fn disconnect(mut self) -> Result<(), ClientError> {
        self.send(&Packet::Disconnect(Disconnect::new(
            ReasonCode::NORMAL_DISCONNECTION,
        )))
        .await?;
        self.stream.shutdown().await?;
        Ok(())
    }

    /// The next packet id, skipping none (the client has at most one flow in progress).
    fn take_id(&mut self) -> PacketId {
        let id = self.next_id;
        self.next_id = id.next();
        id
    }

    /// Answers an incoming PUBLISH: PUBACK for QoS 1, PUBREC for QoS 2 (the PUBREL is answered
    /// by [`Client::handle_other`]).
    async fn acknowledge(&mut self, publish: &Publish) -> Result<(), ClientError> {
        match (publish.qos, publish.packet_id) {
            (QoS::AtMostOnce, _) => Ok(()),
            (QoS::AtLeastOnce, Some(id)) => self.send(&Packet::PubAck(PubAck::new(id))).await,
            (QoS::ExactlyOnce, Some(id)) => self.send(&Packet::PubRec(PubRec::new(id))).await,
            (_, None) => Err(ClientError::Unexpected("PUBLISH without a packet id")),
        }
    }

    /// Handles a packet that is not what the caller waits for: PUBREL is answered, PINGRESP
    /// ends the ping wait, DISCONNECT ends the connection; anything else is a protocol error.
    async fn handle_other(&mut self, packet: Packet) -> Result<(), ClientError> {
        match packet {
            Packet::PubRel(rel) => {
                self.send(&Packet::PubComp(PubComp::new(rel.packet_id)))
                    .await
            }
            Packet::PingResp => {
                self.ping_sent = None;
                Ok(())
            }
            Packet::Disconnect(disconnect) => Err(ClientError::Disconnected(disconnect.reason)),
            // Late acknowledgements of flows this client already gave up on are harmless.
            Packet::PubAck(_) | Packet::PubComp(_) | Packet::SubAck(_) | Packet::UnsubAck(_) => {
                Ok(())
            }
            Packet::PubRec(rec) => self.send(&Packet::PubRel(PubRel::new(rec.packet_id))).await,
            _ => Err(ClientError::Unexpected("packet from the server")),
        }
    }

    /// Reads the next packet, sending PINGREQ when the keep alive interval passes without a
    /// packet sent, and failing if a PINGRESP does not arrive within the keep alive.
    async fn next_packet(&mut self) -> Result<Packet, ClientError> {
        loop {
            let Some(keep_alive) = self.keep_alive else {
                return self.read_packet().await;
            };
            let deadline = match self.ping_sent {
                Some(sent) => sent + keep_alive,
                None => self.last_sent + keep_alive,
            };
            match tokio::time::timeout_at(deadline, self.read_packet()).await {
                Ok(packet) => return packet,
                Err(_) if self.ping_sent.is_some() => return Err(ClientError::Timeout("PINGRESP")),
                Err(_) => {
                    self.send(&Packet::PingReq).await?;
                    self.ping_sent = Some(Instant::now());
                }
            }
        }
    }

    /// Reads until one whole packet is decoded. Cancel-safe: bytes read stay in the buffer.
    async fn read_packet(&mut self) -> Result<Packet, ClientError> {
        loop {
            if let Some(packet) = self.decoder.decode(&mut self.read)? {
                return Ok(packet);
            }
            self.read.reserve(4096);
            if self.stream.read_buf(&mut self.read).await? == 0 {
                return Err(ClientError::Closed);
            }
        }
    }

    /// Encodes and writes one packet.
    async fn send(&mut self, packet: &Packet) -> Result<(), ClientError> {
        self.write.clear();
        packet.encode(self.version, &mut self.write)?;
        self.stream.write_all(&self.write).await?;
        self.last_sent = Instant::now();
        Ok(())
    }
}

/// A CONNACK refusal as sent: MQTT 3.x return codes are decoded into MQTT 5 reason codes,
/// so the byte on the wire is recovered for them.
fn refusal(version: ProtocolVersion, reason: ReasonCode) -> String {
    let name = reason.name().unwrap_or("unknown reason");
    if version.is_v5() {
        format!("0x{:02X} {name}", reason.to_byte())
    } else {
        let code = ConnectReturnCode::from_reason_code(reason).to_byte();
        format!("return code {code} ({name})")
    }
}

/// A PUBACK or PUBREC reason code below 0x80 is success.
fn check_publish_reason(reason: ReasonCode) -> Result<(), ClientError> {
    if reason.is_success() {
        Ok(())
    } else {
        Err(ClientError::PublishRefused(reason))
    }
}
