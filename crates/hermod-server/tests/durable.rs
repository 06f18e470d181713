//! The server's integration suite again, with every broker on durable storage (`sync` mode:
//! group commit, PUBACK/PUBREC held until the message is on disk), so both storage modes pass
//! the same behaviour tests. Each file below is also its own in-memory test binary; here
//! `common::on_durable_storage()` is true.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// Every included test file declares `mod common;` itself: loading the helpers once per file
// is how the same files build both as their own binaries and here.
#![allow(clippy::duplicate_mod)]

mod common;

#[path = "connect.rs"]
mod connect;
#[path = "limits.rs"]
mod limits;
#[path = "parking.rs"]
mod parking;
#[path = "qos.rs"]
mod qos;
#[path = "retained.rs"]
mod retained;
#[path = "rumqttc_v311.rs"]
mod rumqttc_v311;
#[path = "session.rs"]
mod session;
#[path = "shared.rs"]
mod shared;
#[path = "subscriptions.rs"]
mod subscriptions;
#[path = "v5_features.rs"]
mod v5_features;
#[path = "violations.rs"]
mod violations;
#[path = "will.rs"]
mod will;

/// The brokers of this binary really write to disk: a persistent session's subscription and
/// a message queued for it while it is offline are in the data directory afterwards.
#[tokio::test]
async fn the_brokers_here_keep_their_state_on_disk() {
    use hermod_store::{Durability, Store, StoreConfig};
    use rumqttc::QoS;

    assert!(common::on_durable_storage());
    let mut broker = common::TestBroker::start().await;
    let data_dir = broker
        .take_data_dir()
        .expect("a durable broker has a data directory");

    let mut options = common::v3::options(&broker, "keeper");
    options.set_clean_session(false);
    let (mut keeper, _) = common::v3::Client::connect_with(options).await;
    keeper.subscribe("durable/check", QoS::AtLeastOnce).await;
    keeper.disconnect().await;
    let mut publisher = common::v3::Client::connect(&broker, "publisher").await;
    publisher
        .publish("durable/check", QoS::AtLeastOnce, false, b"kept")
        .await;
    publisher.disconnect().await;
    broker.stop().await;

    // The directory stays locked until the last handle on the broker is gone.
    let config = StoreConfig {
        data_dir: data_dir.path().to_path_buf(),
        durability: Durability::Sync,
    };
    let mut reopened = None;
    common::wait_until("the data directory to be released", || {
        reopened = Store::open(&config).ok();
        reopened.is_some()
    })
    .await;
    let (_store, recovered) = reopened.expect("opened");
    let keeper = recovered
        .sessions
        .iter()
        .find(|session| session.client_id.as_str() == "keeper")
        .expect("the persistent session was stored");
    assert_eq!(keeper.subscriptions.len(), 1);
    assert_eq!(keeper.messages.len(), 1);
    assert_eq!(recovered.messages, 1);
}
