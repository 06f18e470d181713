//! An MQTT 5.0 client (`rumqttc::v5`) driven step by step: every wait is on an event from the
//! broker, bounded by [`WAIT`](super::WAIT).

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::Outgoing;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{
    ConnAck, DisconnectReasonCode, Filter, Packet, Publish, PublishProperties, SubscribeProperties,
    SubscribeReasonCode, UnsubAckReason,
};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, EventLoop, MqttOptions, StateError};

use super::{TestBroker, within};

/// Options for `client_id` on the test broker: keep alive 30 s, clean start, session expiry 0.
pub(crate) fn options(broker: &TestBroker, client_id: &str) -> MqttOptions {
    let mut options = MqttOptions::new(client_id, "127.0.0.1", broker.port());
    options.set_keep_alive(Duration::from_secs(30));
    options
}

/// Options for a persistent session: clean start off, the given session expiry.
pub(crate) fn persistent_options(
    broker: &TestBroker,
    client_id: &str,
    expiry_secs: u32,
) -> MqttOptions {
    let mut options = options(broker, client_id);
    options.set_clean_start(false);
    options.set_session_expiry_interval(Some(expiry_secs));
    options
}

/// A connected rumqttc MQTT 5 client and its event loop, polled only by the test.
pub(crate) struct Client {
    /// The request handle.
    pub(crate) client: AsyncClient,
    /// The event loop; polled by the helpers below.
    pub(crate) events: EventLoop,
    /// Messages that arrived while waiting for something else, oldest first.
    backlog: VecDeque<Publish>,
}

impl Client {
    /// Connects with `options`; returns the client and the broker's CONNACK.
    pub(crate) async fn connect_with(options: MqttOptions) -> (Client, ConnAck) {
        let (client, events) = AsyncClient::new(options, 100);
        let mut client = Client {
            client,
            events,
            backlog: VecDeque::new(),
        };
        let connack = client
            .wait_for("CONNACK", |packet| match packet {
                Packet::ConnAck(connack) => Some(connack.clone()),
                _ => None,
            })
            .await;
        (client, connack)
    }

    /// Connects `client_id` with a clean start and no session expiry.
    pub(crate) async fn connect(broker: &TestBroker, client_id: &str) -> Client {
        Client::connect_with(options(broker, client_id)).await.0
    }

    /// The next event, failing the test on a connection error.
    async fn poll(&mut self) -> Event {
        match self.events.poll().await {
            Ok(event) => event,
            Err(error) => panic!("connection error: {error}"),
        }
    }

    /// Polls until `want` picks an incoming packet; PUBLISH packets it skips are kept for
    /// [`Client::next_publish`].
    pub(crate) async fn wait_for<T>(
        &mut self,
        what: &str,
        mut want: impl FnMut(&Packet) -> Option<T>,
    ) -> T {
        within(what, async {
            loop {
                if let Event::Incoming(packet) = self.poll().await {
                    if let Some(found) = want(&packet) {
                        return found;
                    }
                    if let Packet::Publish(publish) = packet {
                        self.backlog.push_back(publish);
                    }
                }
            }
        })
        .await
    }

    /// Subscribes with full MQTT 5 options; returns the SUBACK codes.
    pub(crate) async fn subscribe_with(
        &mut self,
        filters: Vec<Filter>,
        properties: Option<SubscribeProperties>,
    ) -> Vec<SubscribeReasonCode> {
        let request = match properties {
            Some(properties) => {
                self.client
                    .subscribe_many_with_properties(filters, properties)
                    .await
            }
            None => self.client.subscribe_many(filters).await,
        };
        request.expect("subscribe request");
        self.wait_for("SUBACK", |packet| match packet {
            Packet::SubAck(suback) => Some(suback.return_codes.clone()),
            _ => None,
        })
        .await
    }

    /// Subscribes to one filter with default options; returns the SUBACK code.
    pub(crate) async fn subscribe(&mut self, filter: &str, qos: QoS) -> SubscribeReasonCode {
        self.subscribe_with(vec![Filter::new(filter, qos)], None)
            .await
            .first()
            .copied()
            .expect("one SUBACK code")
    }

    /// Unsubscribes from one filter; returns the UNSUBACK code.
    pub(crate) async fn unsubscribe(&mut self, filter: &str) -> UnsubAckReason {
        self.client
            .unsubscribe(filter)
            .await
            .expect("unsubscribe request");
        self.wait_for("UNSUBACK", |packet| match packet {
            Packet::UnsubAck(unsuback) => unsuback.reasons.first().copied(),
            _ => None,
        })
        .await
    }

    /// Publishes with properties and waits until the broker has it: QoS 0 once written,
    /// QoS 1 at PUBACK, QoS 2 at PUBCOMP.
    pub(crate) async fn publish_with(
        &mut self,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: &[u8],
        properties: PublishProperties,
    ) {
        self.client
            .publish_with_properties(
                topic,
                qos,
                retain,
                Bytes::copy_from_slice(payload),
                properties,
            )
            .await
            .expect("publish request");
        self.await_publication(qos).await;
    }

    /// Publishes without properties and waits until the broker has it.
    pub(crate) async fn publish(&mut self, topic: &str, qos: QoS, retain: bool, payload: &[u8]) {
        self.client
            .publish(topic, qos, retain, Bytes::copy_from_slice(payload))
            .await
            .expect("publish request");
        self.await_publication(qos).await;
    }

    async fn await_publication(&mut self, qos: QoS) {
        within("the publication to complete", async {
            loop {
                match self.poll().await {
                    Event::Outgoing(Outgoing::Publish(_)) if qos == QoS::AtMostOnce => return,
                    Event::Incoming(Packet::PubAck(_)) if qos == QoS::AtLeastOnce => return,
                    Event::Incoming(Packet::PubComp(_)) if qos == QoS::ExactlyOnce => return,
                    Event::Incoming(Packet::Publish(publish)) => self.backlog.push_back(publish),
                    _ => {}
                }
            }
        })
        .await;
    }

    /// The next message from the broker.
    pub(crate) async fn next_publish(&mut self) -> Publish {
        if let Some(publish) = self.backlog.pop_front() {
            return publish;
        }
        self.wait_for("PUBLISH", |packet| match packet {
            Packet::Publish(publish) => Some(publish.clone()),
            _ => None,
        })
        .await
    }

    /// The next message's topic and payload, as text.
    pub(crate) async fn next_message(&mut self) -> (String, String) {
        let publish = self.next_publish().await;
        (
            String::from_utf8_lossy(&publish.topic).into_owned(),
            String::from_utf8_lossy(&publish.payload).into_owned(),
        )
    }

    /// Sends DISCONNECT (Normal disconnection) and waits until the broker closes the
    /// connection.
    pub(crate) async fn disconnect(mut self) {
        self.client.disconnect().await.expect("disconnect request");
        self.wait_closed().await;
    }

    /// Polls until the connection ends; returns the error that ended it.
    pub(crate) async fn wait_closed(&mut self) -> ConnectionError {
        within("the connection to close", async {
            loop {
                if let Err(error) = self.events.poll().await {
                    return error;
                }
            }
        })
        .await
    }

    /// Polls until the broker sends DISCONNECT; returns its reason code.
    pub(crate) async fn wait_for_disconnect(&mut self) -> DisconnectReasonCode {
        match self.wait_closed().await {
            ConnectionError::MqttState(StateError::ServerDisconnect { reason_code, .. }) => {
                reason_code
            }
            other => panic!("expected DISCONNECT from the broker, got {other:?}"),
        }
    }

    /// Drops the TCP connection without DISCONNECT (an abnormal close for the broker).
    pub(crate) fn drop_connection(self) {
        drop(self);
    }

    /// Polls the event loop in the background (acks and pings) until the connection ends.
    pub(crate) fn spawn(mut self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { while self.events.poll().await.is_ok() {} })
    }
}

/// The user properties of a received message (empty if none).
pub(crate) fn user_properties(publish: &Publish) -> Vec<(String, String)> {
    publish
        .properties
        .as_ref()
        .map(|properties| properties.user_properties.clone())
        .unwrap_or_default()
}

/// The properties of a received message (default if none).
pub(crate) fn properties(publish: &Publish) -> PublishProperties {
    publish.properties.clone().unwrap_or_default()
}
