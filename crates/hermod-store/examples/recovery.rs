//! Measures recovery: fills a data directory with persistent sessions holding N queued QoS 1
//! messages in all (default 1,000,000 over 1,000 sessions, 64-byte payloads), closes it, and
//! times opening it again (`Store::open`: every record read and decoded) and restoring it into
//! a broker (`Broker::restore_session`).
//!
//! `cargo run --release -p hermod-store --example recovery -- [DIR] [MESSAGES] [keep]`
//!
//! With `keep` the directory is left in place, so the broker itself can be started on it
//! (`hermod --data-dir DIR`) and its recovery log line read.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hermod_codec::{MqttString, ProtocolVersion, QoS, TopicName};
use hermod_core::persist::{Persistence, SessionRecord};
use hermod_core::{Broker, BrokerConfig, Delivery, Message};
use hermod_store::{Durability, Store, StoreConfig};

const SESSIONS: u64 = 1_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map_or_else(|| std::env::temp_dir().join("hermod-recovery"), Into::into);
    let total: u64 = args.next().map_or(Ok(1_000_000), |n| n.parse())?;
    let keep = args.next().as_deref() == Some("keep");
    let _ = std::fs::remove_dir_all(&dir);
    let config = StoreConfig {
        data_dir: dir.clone(),
        durability: Durability::Periodic(Duration::from_millis(100)),
    };

    let started = Instant::now();
    {
        let (store, _) = Store::open(&config)?;
        let clients: Vec<MqttString> = (0..SESSIONS)
            .map(|i| MqttString::new(&format!("device-{i}")))
            .collect::<Result<_, _>>()?;
        for client in &clients {
            store.session_saved(
                client,
                &SessionRecord {
                    version: ProtocolVersion::V3_1_1,
                    expiry: Duration::from_secs(7200),
                    expires_at: None,
                    will: None,
                },
            );
        }
        let message = Arc::new(Message {
            topic: TopicName::new("sensors/device/temperature")?,
            payload: Bytes::from(vec![b'x'; 64]),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Default::default(),
            publisher: None,
            publisher_client_id: MqttString::new("publisher")?,
            expires_at: None,
            encoded: OnceLock::new(),
        });
        for seq in 0..total {
            let delivery = Delivery {
                message: Arc::clone(&message),
                qos: QoS::AtLeastOnce,
                retain: false,
                subscription_ids: Vec::new(),
                shared: None,
                seq: seq + 1,
            };
            let client = &clients[(seq % SESSIONS) as usize];
            store.message_saved(client, seq + 1, &delivery, None);
        }
    }
    println!(
        "wrote {total} queued messages in {SESSIONS} sessions in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let (_store, recovered) = Store::open(&config)?;
    let opened = started.elapsed();
    let broker = Broker::new(BrokerConfig {
        max_queued_messages: usize::MAX,
        max_queued_bytes: usize::MAX,
        max_queued_bytes_total: usize::MAX,
        ..BrokerConfig::default()
    });
    let now = Instant::now();
    let restored = recovered
        .sessions
        .into_iter()
        .map(|session| broker.restore_session(now, session))
        .filter(|restored| *restored)
        .count();
    let total_time = started.elapsed();
    println!(
        "recovered {} messages in {restored} sessions: store open and read {:.2} s, \
         with restore into the broker {:.2} s",
        recovered.messages,
        opened.as_secs_f64(),
        total_time.as_secs_f64()
    );
    if keep {
        println!("left the data directory in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
