//! A codec-driven MQTT client over a `TcpStream`: packets are built with `hermod_codec`'s
//! types, encoded with its encoder and decoded with its decoder (client role), so a test
//! controls every packet the broker sees (a DUP retransmission, a keep alive nobody honours,
//! an invalid filter) and sees every property the broker sends.

use bytes::{Bytes, BytesMut};
use hermod_codec::{
    ConnAck, Connect, Decoder, Disconnect, InvalidTopicFilter, MqttString, Packet, PacketId,
    ProtocolVersion, Publish, QoS, ReasonCode, Role, Subscribe, SubscribeProperties, Subscription,
    SubscriptionOptions, TopicFilter, TopicName, Will,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{TestBroker, within};

/// A client that speaks MQTT through `hermod_codec` on a plain TCP stream.
pub(crate) struct CodecClient {
    stream: TcpStream,
    decoder: Decoder,
    buf: BytesMut,
    version: ProtocolVersion,
}

impl CodecClient {
    /// Opens a TCP connection to the broker (nothing sent yet).
    pub(crate) async fn open(broker: &TestBroker, version: ProtocolVersion) -> CodecClient {
        let stream = within("TCP connect", TcpStream::connect(broker.addr))
            .await
            .expect("TCP connect");
        CodecClient {
            stream,
            decoder: Decoder::with_version(Role::Client, version),
            buf: BytesMut::with_capacity(4096),
            version,
        }
    }

    /// Opens a connection, sends `connect` and returns the CONNACK.
    pub(crate) async fn connect(broker: &TestBroker, connect: Connect) -> (CodecClient, ConnAck) {
        let mut client = CodecClient::open(broker, connect.protocol).await;
        client.send(&Packet::Connect(Box::new(connect))).await;
        match client.expect().await {
            Packet::ConnAck(connack) => (client, *connack),
            other => panic!("expected CONNACK, got {other:?}"),
        }
    }

    /// Encodes and writes one packet.
    pub(crate) async fn send(&mut self, packet: &Packet) {
        let mut out = BytesMut::new();
        packet
            .encode(self.version, &mut out)
            .expect("encodable packet");
        self.stream.write_all(&out).await.expect("write to broker");
    }

    /// The next packet from the broker, or `None` once the broker closed the connection.
    pub(crate) async fn recv(&mut self) -> Option<Packet> {
        within("a packet from the broker", async {
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
    }

    /// The next packet from the broker; the connection must still be open.
    pub(crate) async fn expect(&mut self) -> Packet {
        self.recv().await.expect("connection open")
    }

    /// Reads until the broker closes the connection; returns what it sent before closing.
    pub(crate) async fn expect_closed(&mut self) -> Vec<Packet> {
        let mut packets = Vec::new();
        while let Some(packet) = self.recv().await {
            packets.push(packet);
        }
        packets
    }
}

/// A CONNECT for `client_id`: clean start, the given keep alive, nothing else.
pub(crate) fn connect_packet(
    version: ProtocolVersion,
    client_id: &str,
    keep_alive: u16,
) -> Connect {
    let mut connect = Connect::new(
        version,
        MqttString::new(client_id).expect("valid client id"),
    );
    connect.keep_alive = keep_alive;
    connect
}

/// A will: QoS 0, not retained, no properties.
pub(crate) fn will(topic: &str, payload: &'static [u8]) -> Will {
    Will {
        topic: TopicName::new(topic).expect("valid will topic"),
        payload: Bytes::from_static(payload),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: Default::default(),
    }
}

/// A PUBLISH with the given QoS and packet id (the id only matters above QoS 0).
pub(crate) fn publish_packet(
    topic: &str,
    qos: QoS,
    packet_id: u16,
    payload: &'static [u8],
) -> Publish {
    let mut publish = Publish::new(
        TopicName::new(topic).expect("valid topic"),
        Bytes::from_static(payload),
    );
    publish.qos = qos;
    publish.packet_id = if qos == QoS::AtMostOnce {
        None
    } else {
        Some(packet_id_of(packet_id))
    };
    publish
}

/// A SUBSCRIBE for several filters, each at QoS 1, sent as given even when a filter is invalid.
pub(crate) fn subscribe_packet(packet_id: u16, filters: &[&str]) -> Subscribe {
    let subscriptions = filters
        .iter()
        .map(|text| {
            let filter = TopicFilter::new(text).map_err(|error| InvalidTopicFilter {
                text: MqttString::new(text).expect("valid UTF-8"),
                error,
            });
            Subscription {
                filter,
                options: SubscriptionOptions::with_qos(QoS::AtLeastOnce),
            }
        })
        .collect();
    Subscribe {
        packet_id: packet_id_of(packet_id),
        properties: SubscribeProperties::default(),
        subscriptions,
    }
}

/// A DISCONNECT with the given reason (MQTT 5; 3.x ignores the reason).
pub(crate) fn disconnect_packet(reason: ReasonCode) -> Packet {
    Packet::Disconnect(Disconnect::new(reason))
}

/// A packet identifier from a non-zero literal.
pub(crate) fn packet_id_of(value: u16) -> PacketId {
    PacketId::new(value).expect("non-zero packet id")
}
