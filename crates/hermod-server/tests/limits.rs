//! Server limits: the connection limit refuses connections beyond it and frees a slot when a
//! connection ends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::codec_client::{CodecClient, connect_packet};
use common::{TestBroker, within};
use hermod_codec::{Packet, ProtocolVersion, ReasonCode};
use hermod_core::BrokerConfig;
use hermod_server::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn connections_beyond_max_connections_are_closed_and_a_slot_frees_on_close() {
    let server = ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    };
    let broker = TestBroker::start_with_server(BrokerConfig::default(), server).await;
    let v311 = ProtocolVersion::V3_1_1;
    let (first, connack) = CodecClient::connect(&broker, connect_packet(v311, "one", 30)).await;
    assert_eq!(connack.reason, ReasonCode::SUCCESS);
    let (_second, connack) = CodecClient::connect(&broker, connect_packet(v311, "two", 30)).await;
    assert_eq!(connack.reason, ReasonCode::SUCCESS);

    // The third connection is accepted by the kernel and closed by the broker at once.
    let mut third = CodecClient::open(&broker, v311).await;
    assert!(
        third.expect_closed().await.is_empty(),
        "refused without a CONNACK"
    );

    // Ending one connection frees its slot.
    drop(first);
    let connect = Packet::from(connect_packet(v311, "three", 30))
        .encode_to_bytes(v311)
        .unwrap();
    within("a slot frees", async {
        loop {
            // Until the broker has seen the first connection end, attempts are refused
            // (closed without a CONNACK); retry until one is accepted.
            let mut stream = TcpStream::connect(broker.addr).await.unwrap();
            if stream.write_all(&connect).await.is_err() {
                continue;
            }
            let mut reply = [0u8; 4];
            if stream.read_exact(&mut reply).await.is_ok() {
                assert_eq!(reply, [0x20, 0x02, 0x00, 0x00], "CONNACK accepted");
                return;
            }
        }
    })
    .await;
    broker.stop().await;
}
