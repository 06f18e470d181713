//! Proptest strategies for every packet of every protocol version, in the form that version can
//! carry, shared by the property-test binaries (`roundtrip`, `arbitrary_bytes`, `alloc_bound`).
//!
//! "Client packets" are those a client sends (decoded with [`Role::Server`]), "server packets"
//! those a server sends (decoded with [`Role::Client`]). CONNECT is kept apart: it is decoded by
//! a decoder that does not know the version yet, and it is always encoded in its own version.
//!
//! Each test binary uses a different subset of these helpers.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::num::{NonZeroU16, NonZeroU32};

use bytes::{Bytes, BytesMut};
use hermod_codec::property::AckProperties;
use hermod_codec::{
    Auth, AuthProperties, ConnAck, ConnAckProperties, Connect, ConnectProperties, Decoder,
    Disconnect, DisconnectProperties, InvalidTopicFilter, MqttString, Packet, PacketId,
    PayloadFormat, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish, PublishMetadata,
    PublishProperties, QoS, ReasonCode, RequestedFilter, RetainHandling, Role, SubAck, Subscribe,
    SubscribeProperties, Subscription, SubscriptionId, SubscriptionOptions, TopicAlias,
    TopicFilter, TopicName, UnsubAck, Unsubscribe, UnsubscribeProperties, UserProperty, Will,
    WillProperties,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;

/// The proptest configuration of these tests: `cases` cases, and failures saved next to the
/// test file (`tests/NAME.proptest-regressions`; integration tests have no `lib.rs` for
/// proptest's default location).
pub(crate) fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// Reason codes each packet may carry in MQTT 5.0, as listed by the specification.
pub(crate) mod codes {
    /// CONNACK (MQTT 5.0 section 3.2.2.2).
    pub(crate) const CONNACK: &[u8] = &[
        0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95,
        0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
    ];
    /// The MQTT 5 codes that have an MQTT 3.x CONNACK return code of their own (0x00-0x05).
    pub(crate) const CONNACK_V3: &[u8] = &[0x00, 0x84, 0x85, 0x88, 0x86, 0x87];
    /// PUBACK and PUBREC (sections 3.4.2.1 and 3.5.2.1).
    pub(crate) const PUBLISH_ACK: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
    /// PUBREL and PUBCOMP (sections 3.6.2.1 and 3.7.2.1).
    pub(crate) const RELEASE: &[u8] = &[0x00, 0x92];
    /// SUBACK in MQTT 5 (section 3.9.3).
    pub(crate) const SUBACK_V5: &[u8] = &[
        0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
    ];
    /// SUBACK return codes in MQTT 3.1 and 3.1.1.
    pub(crate) const SUBACK_V3: &[u8] = &[0x00, 0x01, 0x02, 0x80];
    /// UNSUBACK in MQTT 5 (section 3.11.3).
    pub(crate) const UNSUBACK: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
    /// DISCONNECT (section 3.14.2.1).
    pub(crate) const DISCONNECT: &[u8] = &[
        0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
        0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
    ];
    /// AUTH (section 3.15.2.1).
    pub(crate) const AUTH: &[u8] = &[0x00, 0x18, 0x19];
}

/// Which end sends a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sender {
    /// Client to server: decoded with [`Role::Server`].
    Client,
    /// Server to client: decoded with [`Role::Client`].
    Server,
}

impl Sender {
    /// The role of the decoder that receives this sender's packets.
    pub(crate) fn receiver(self) -> Role {
        match self {
            Sender::Client => Role::Server,
            Sender::Server => Role::Client,
        }
    }
}

/// Any of the three versions.
pub(crate) fn version() -> impl Strategy<Value = ProtocolVersion> {
    select(ProtocolVersion::ALL.to_vec())
}

/// Either role.
pub(crate) fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
}

fn reason(allowed: &'static [u8]) -> impl Strategy<Value = ReasonCode> {
    select(allowed).prop_map(ReasonCode::from_byte)
}

/// An MQTT string: mostly short ASCII, sometimes any non-NUL text, rarely a long one.
pub(crate) fn mqtt_string() -> impl Strategy<Value = MqttString> {
    prop_oneof![
        6 => "[a-zA-Z0-9 _/.-]{0,12}",
        3 => "[^\\x00]{0,8}",
        1 => "[a-z]{120,300}",
    ]
    .prop_map(|text| MqttString::new(&text).expect("generated strings have no NUL"))
}

/// Binary Data up to `max` bytes.
pub(crate) fn binary(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

/// A PUBLISH payload: usually small, sometimes past the 2-byte and (rarely) 3-byte Remaining
/// Length boundaries.
pub(crate) fn payload() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        12 => vec(any::<u8>(), 0..64),
        3 => vec(any::<u8>(), 100..400),
        1 => (16_300_usize..16_500).prop_map(|len| vec![0xA5; len]),
    ]
    .prop_map(Bytes::from)
}

/// A valid, non-empty topic name.
pub(crate) fn topic_name() -> impl Strategy<Value = TopicName> {
    prop_oneof![
        6 => "[a-z0-9]{1,6}(/[a-z0-9 ]{0,6}){0,3}",
        2 => "[^\\x00+#]{1,10}",
        1 => "\\$SYS/[a-z]{1,5}",
        1 => "/{1,3}",
    ]
    .prop_map(|text| TopicName::new(&text).expect("generated topic names are valid"))
}

/// A requested topic filter as the decoder reports it: valid or invalid with its reason.
pub(crate) fn requested(text: &str) -> RequestedFilter {
    let text = MqttString::new(text).expect("generated filters have no NUL");
    TopicFilter::from_string(text.clone()).map_err(|error| InvalidTopicFilter { text, error })
}

/// A well-formed topic filter: levels, `+`, a trailing `#`, optionally shared.
fn valid_filter_text() -> impl Strategy<Value = String> {
    (
        vec(
            prop_oneof![3 => "[a-z0-9]{0,5}", 1 => Just("+".to_owned())],
            0..4,
        ),
        any::<bool>(),
        of("[a-z0-9]{1,5}"),
    )
        .prop_map(|(mut levels, hash, share)| {
            if hash {
                levels.push("#".to_owned());
            }
            let mut filter = levels.join("/");
            if filter.is_empty() {
                filter.push('a');
            }
            match share {
                Some(group) => format!("$share/{group}/{filter}"),
                None => filter,
            }
        })
}

/// A requested filter: mostly valid, sometimes breaking the filter rules (kept by the decoder
/// for a per-filter failure code).
pub(crate) fn requested_filter() -> impl Strategy<Value = RequestedFilter> {
    prop_oneof![
        4 => valid_filter_text(),
        1 => "[a+#/]{0,6}",
        1 => "\\$share[/a+#]{0,6}",
    ]
    .prop_map(|text| requested(&text))
}

/// User properties, in order, possibly repeating names.
pub(crate) fn user_properties() -> impl Strategy<Value = Vec<UserProperty>> {
    vec(
        (mqtt_string(), mqtt_string()).prop_map(|(key, value)| UserProperty { key, value }),
        0..4,
    )
}

fn non_zero_u16() -> impl Strategy<Value = NonZeroU16> {
    (1..=u16::MAX).prop_map(|value| NonZeroU16::new(value).expect("range excludes 0"))
}

fn non_zero_u32() -> impl Strategy<Value = NonZeroU32> {
    (1..=u32::MAX).prop_map(|value| NonZeroU32::new(value).expect("range excludes 0"))
}

fn payload_format() -> impl Strategy<Value = PayloadFormat> {
    prop_oneof![Just(PayloadFormat::Unspecified), Just(PayloadFormat::Utf8)]
}

/// A Subscription Identifier over its whole range (1 to 268,435,455), biased to short forms.
pub(crate) fn subscription_id() -> impl Strategy<Value = SubscriptionId> {
    prop_oneof![1..=127_u32, 128..=16_383_u32, 1..=268_435_455_u32]
        .prop_map(|value| SubscriptionId::new(value).expect("range is valid"))
}

fn topic_alias() -> impl Strategy<Value = TopicAlias> {
    (1..=u16::MAX).prop_map(|value| TopicAlias::new(value).expect("range excludes 0"))
}

/// An authentication method and data: data only with a method (the decoder requires it).
fn authentication() -> impl Strategy<Value = (Option<MqttString>, Option<Bytes>)> {
    (of(mqtt_string()), of(binary(24)))
        .prop_map(|(method, data)| (method.clone(), method.and(data)))
}

fn connect_properties() -> impl Strategy<Value = ConnectProperties> {
    (
        of(any::<u32>()),
        of(non_zero_u16()),
        of(non_zero_u32()),
        of(any::<u16>()),
        of(any::<bool>()),
        of(any::<bool>()),
        authentication(),
        user_properties(),
    )
        .prop_map(
            |(
                session_expiry_interval,
                receive_maximum,
                maximum_packet_size,
                topic_alias_maximum,
                request_response_information,
                request_problem_information,
                (authentication_method, authentication_data),
                user_properties,
            )| ConnectProperties {
                session_expiry_interval,
                receive_maximum,
                maximum_packet_size,
                topic_alias_maximum,
                request_response_information,
                request_problem_information,
                authentication_method,
                authentication_data,
                user_properties,
            },
        )
}

fn will_properties() -> impl Strategy<Value = WillProperties> {
    (
        of(any::<u32>()),
        of(payload_format()),
        of(any::<u32>()),
        of(mqtt_string()),
        of(topic_name()),
        of(binary(24)),
        user_properties(),
    )
        .prop_map(
            |(
                will_delay_interval,
                payload_format,
                message_expiry_interval,
                content_type,
                response_topic,
                correlation_data,
                user_properties,
            )| WillProperties {
                will_delay_interval,
                payload_format,
                message_expiry_interval,
                content_type,
                response_topic,
                correlation_data,
                user_properties,
            },
        )
}

fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn packet_id() -> impl Strategy<Value = PacketId> {
    (1..=u16::MAX).prop_map(|value| PacketId::new(value).expect("range excludes 0"))
}

fn will(version: ProtocolVersion) -> impl Strategy<Value = Will> {
    let properties = if version.is_v5() {
        will_properties().boxed()
    } else {
        Just(WillProperties::default()).boxed()
    };
    (topic_name(), binary(64), qos(), any::<bool>(), properties).prop_map(
        |(topic, payload, qos, retain, properties)| Will {
            topic,
            payload,
            qos,
            retain,
            properties,
        },
    )
}

/// A CONNECT in `version` (its `protocol`), in the form that version can carry.
pub(crate) fn connect(version: ProtocolVersion) -> impl Strategy<Value = Connect> {
    let properties = if version.is_v5() {
        connect_properties().boxed()
    } else {
        Just(ConnectProperties::default()).boxed()
    };
    (
        any::<bool>(),
        any::<u16>(),
        mqtt_string(),
        of(will(version)),
        of(mqtt_string()),
        of(binary(32)),
        properties,
    )
        .prop_map(
            move |(clean_start, keep_alive, client_id, will, username, password, properties)| {
                // Before MQTT 5 a password needs a user name (MQTT-3.1.2-22).
                let password = if version.is_v5() || username.is_some() {
                    password
                } else {
                    None
                };
                Connect {
                    protocol: version,
                    clean_start,
                    keep_alive,
                    client_id,
                    will,
                    username,
                    password,
                    properties,
                }
            },
        )
}

/// A CONNECT of any version.
pub(crate) fn any_connect() -> impl Strategy<Value = Connect> {
    version().prop_flat_map(connect)
}

fn connack_properties() -> impl Strategy<Value = ConnAckProperties> {
    (
        (
            of(any::<u32>()),
            of(non_zero_u16()),
            // Maximum QoS is 0 or 1: a server supporting QoS 2 omits it.
            of(prop_oneof![Just(QoS::AtMostOnce), Just(QoS::AtLeastOnce)]),
            of(any::<bool>()),
            of(non_zero_u32()),
            of(mqtt_string()),
            of(any::<u16>()),
            of(mqtt_string()),
        ),
        (
            of(any::<bool>()),
            of(any::<bool>()),
            of(any::<bool>()),
            of(any::<u16>()),
            of(mqtt_string()),
            of(mqtt_string()),
            authentication(),
            user_properties(),
        ),
    )
        .prop_map(
            |(
                (
                    session_expiry_interval,
                    receive_maximum,
                    maximum_qos,
                    retain_available,
                    maximum_packet_size,
                    assigned_client_identifier,
                    topic_alias_maximum,
                    reason_string,
                ),
                (
                    wildcard_subscription_available,
                    subscription_identifiers_available,
                    shared_subscription_available,
                    server_keep_alive,
                    response_information,
                    server_reference,
                    (authentication_method, authentication_data),
                    user_properties,
                ),
            )| ConnAckProperties {
                session_expiry_interval,
                receive_maximum,
                maximum_qos,
                retain_available,
                maximum_packet_size,
                assigned_client_identifier,
                topic_alias_maximum,
                reason_string,
                wildcard_subscription_available,
                subscription_identifiers_available,
                shared_subscription_available,
                server_keep_alive,
                response_information,
                server_reference,
                authentication_method,
                authentication_data,
                user_properties,
            },
        )
}

fn connack(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let (allowed, properties) = if version.is_v5() {
        (codes::CONNACK, connack_properties().boxed())
    } else {
        (
            codes::CONNACK_V3,
            Just(ConnAckProperties::default()).boxed(),
        )
    };
    (any::<bool>(), reason(allowed), properties)
        .prop_map(move |(session_present, reason, properties)| {
            // MQTT 3.1 has no Session Present flag, and a refusal never has it.
            let session_present =
                session_present && reason.is_success() && version != ProtocolVersion::V3_1;
            Packet::from(ConnAck {
                session_present,
                reason,
                properties,
            })
        })
        .boxed()
}

fn publish_properties(sender: Sender) -> impl Strategy<Value = PublishProperties> {
    // Subscription identifiers only travel from server to client (MQTT-3.3.4-6).
    let subscription_identifiers = match sender {
        Sender::Server => vec(subscription_id(), 0..4).boxed(),
        Sender::Client => Just(Vec::new()).boxed(),
    };
    (
        of(payload_format()),
        of(any::<u32>()),
        of(topic_alias()),
        of(topic_name()),
        of(binary(24)),
        of(mqtt_string()),
        user_properties(),
        subscription_identifiers,
    )
        .prop_map(
            |(
                payload_format,
                message_expiry_interval,
                topic_alias,
                response_topic,
                correlation_data,
                content_type,
                user_properties,
                subscription_identifiers,
            )| {
                let metadata = PublishMetadata {
                    response_topic,
                    correlation_data,
                    content_type,
                    user_properties,
                    subscription_identifiers,
                };
                PublishProperties {
                    payload_format,
                    message_expiry_interval,
                    topic_alias,
                    // A decoded PUBLISH has no metadata box when it carries none of those.
                    metadata: (metadata != PublishMetadata::default()).then(|| Box::new(metadata)),
                }
            },
        )
}

/// A PUBLISH in `version` as `sender` would send it.
pub(crate) fn publish(version: ProtocolVersion, sender: Sender) -> BoxedStrategy<Publish> {
    let properties = if version.is_v5() {
        publish_properties(sender).boxed()
    } else {
        Just(PublishProperties::default()).boxed()
    };
    (
        qos(),
        any::<bool>(),
        any::<bool>(),
        topic_name(),
        any::<bool>(),
        packet_id(),
        properties,
        payload(),
    )
        .prop_map(
            |(qos, dup, retain, topic, aliased, packet_id, properties, payload)| {
                let at_most_once = qos == QoS::AtMostOnce;
                // The topic name may be empty only when a Topic Alias stands for it.
                let topic = if aliased && properties.topic_alias.is_some() {
                    TopicName::aliased()
                } else {
                    topic
                };
                Publish {
                    dup: dup && !at_most_once,
                    qos,
                    retain,
                    topic,
                    packet_id: (!at_most_once).then_some(packet_id),
                    properties,
                    payload,
                }
            },
        )
        .boxed()
}

fn ack_properties(version: ProtocolVersion) -> BoxedStrategy<AckProperties> {
    if version.is_v5() {
        (of(mqtt_string()), user_properties())
            .prop_map(|(reason_string, user_properties)| AckProperties {
                reason_string,
                user_properties,
            })
            .boxed()
    } else {
        Just(AckProperties::default()).boxed()
    }
}

/// An acknowledgement's reason code: any allowed one in MQTT 5, Success before.
fn ack_reason(version: ProtocolVersion, allowed: &'static [u8]) -> BoxedStrategy<ReasonCode> {
    if version.is_v5() {
        reason(allowed).boxed()
    } else {
        Just(ReasonCode::SUCCESS).boxed()
    }
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP (both ends send them).
fn publish_ack(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    (
        0..4_u8,
        packet_id(),
        ack_reason(version, codes::PUBLISH_ACK),
        ack_reason(version, codes::RELEASE),
        ack_properties(version),
    )
        .prop_map(
            |(kind, packet_id, publish_code, release_code, properties)| match kind {
                0 => Packet::PubAck(PubAck {
                    packet_id,
                    reason: publish_code,
                    properties,
                }),
                1 => Packet::PubRec(PubRec {
                    packet_id,
                    reason: publish_code,
                    properties,
                }),
                2 => Packet::PubRel(PubRel {
                    packet_id,
                    reason: release_code,
                    properties,
                }),
                _ => Packet::PubComp(PubComp {
                    packet_id,
                    reason: release_code,
                    properties,
                }),
            },
        )
        .boxed()
}

fn subscription(version: ProtocolVersion) -> impl Strategy<Value = Subscription> {
    (
        requested_filter(),
        qos(),
        any::<bool>(),
        any::<bool>(),
        select(vec![
            RetainHandling::SendOnSubscribe,
            RetainHandling::SendIfNewSubscription,
            RetainHandling::DoNotSend,
        ]),
    )
        .prop_map(
            move |(filter, qos, no_local, retain_as_published, retain_handling)| {
                let options = if version.is_v5() {
                    // No Local on a shared subscription is a protocol error (MQTT-3.8.3-4).
                    let shared = matches!(&filter, Ok(filter) if filter.is_shared());
                    SubscriptionOptions {
                        qos,
                        no_local: no_local && !shared,
                        retain_as_published,
                        retain_handling,
                    }
                } else {
                    SubscriptionOptions::with_qos(qos)
                };
                Subscription { filter, options }
            },
        )
}

fn subscribe(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let properties = if version.is_v5() {
        (of(subscription_id()), user_properties())
            .prop_map(
                |(subscription_identifier, user_properties)| SubscribeProperties {
                    subscription_identifier,
                    user_properties,
                },
            )
            .boxed()
    } else {
        Just(SubscribeProperties::default()).boxed()
    };
    (packet_id(), properties, vec(subscription(version), 1..5))
        .prop_map(|(packet_id, properties, subscriptions)| {
            Packet::Subscribe(Subscribe {
                packet_id,
                properties,
                subscriptions,
            })
        })
        .boxed()
}

fn suback(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let allowed = if version.is_v5() {
        codes::SUBACK_V5
    } else {
        codes::SUBACK_V3
    };
    (
        packet_id(),
        ack_properties(version),
        vec(reason(allowed), 1..8),
    )
        .prop_map(|(packet_id, properties, reasons)| {
            Packet::SubAck(SubAck {
                packet_id,
                properties,
                reasons,
            })
        })
        .boxed()
}

fn unsubscribe(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let properties = if version.is_v5() {
        user_properties()
            .prop_map(|user_properties| UnsubscribeProperties { user_properties })
            .boxed()
    } else {
        Just(UnsubscribeProperties::default()).boxed()
    };
    (packet_id(), properties, vec(requested_filter(), 1..5))
        .prop_map(|(packet_id, properties, filters)| {
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                properties,
                filters,
            })
        })
        .boxed()
}

fn unsuback(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    // Before MQTT 5 UNSUBACK carries no reason codes.
    let reasons = if version.is_v5() {
        vec(reason(codes::UNSUBACK), 1..6).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (packet_id(), ack_properties(version), reasons)
        .prop_map(|(packet_id, properties, reasons)| {
            Packet::UnsubAck(UnsubAck {
                packet_id,
                properties,
                reasons,
            })
        })
        .boxed()
}

fn disconnect(version: ProtocolVersion, sender: Sender) -> BoxedStrategy<Packet> {
    if !version.is_v5() {
        return Just(Packet::Disconnect(Disconnect::default())).boxed();
    }
    // Only a client may change the session expiry at disconnection (MQTT-3.14.2-2).
    let session_expiry = match sender {
        Sender::Client => of(any::<u32>()).boxed(),
        Sender::Server => Just(None).boxed(),
    };
    (
        reason(codes::DISCONNECT),
        session_expiry,
        of(mqtt_string()),
        of(mqtt_string()),
        user_properties(),
    )
        .prop_map(
            |(
                reason,
                session_expiry_interval,
                reason_string,
                server_reference,
                user_properties,
            )| {
                Packet::Disconnect(Disconnect {
                    reason,
                    properties: DisconnectProperties {
                        session_expiry_interval,
                        reason_string,
                        server_reference,
                        user_properties,
                    },
                })
            },
        )
        .boxed()
}

/// AUTH (MQTT 5 only): either the empty short form or a body with an authentication method.
fn auth() -> BoxedStrategy<Packet> {
    let with_body = (
        reason(codes::AUTH),
        mqtt_string(),
        of(binary(24)),
        of(mqtt_string()),
        user_properties(),
    )
        .prop_map(
            |(reason, method, authentication_data, reason_string, user_properties)| Auth {
                reason,
                properties: AuthProperties {
                    authentication_method: Some(method),
                    authentication_data,
                    reason_string,
                    user_properties,
                },
            },
        );
    prop_oneof![1 => Just(Auth::default()), 4 => with_body]
        .prop_map(Packet::Auth)
        .boxed()
}

/// Any packet a client sends after CONNECT, in `version`'s form.
pub(crate) fn client_packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let mut choices: Vec<(u32, BoxedStrategy<Packet>)> = vec![
        (
            4,
            publish(version, Sender::Client)
                .prop_map(Packet::Publish)
                .boxed(),
        ),
        (4, publish_ack(version)),
        (3, subscribe(version)),
        (2, unsubscribe(version)),
        (1, Just(Packet::PingReq).boxed()),
        (2, disconnect(version, Sender::Client)),
    ];
    if version.is_v5() {
        choices.push((2, auth()));
    }
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// Any packet a server sends, in `version`'s form.
pub(crate) fn server_packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let mut choices: Vec<(u32, BoxedStrategy<Packet>)> = vec![
        (2, connack(version)),
        (
            4,
            publish(version, Sender::Server)
                .prop_map(Packet::Publish)
                .boxed(),
        ),
        (4, publish_ack(version)),
        (3, suback(version)),
        (2, unsuback(version)),
        (1, Just(Packet::PingResp).boxed()),
        (2, disconnect(version, Sender::Server)),
    ];
    if version.is_v5() {
        choices.push((2, auth()));
    }
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// Any packet `sender` sends after CONNECT, in `version`'s form.
pub(crate) fn packet(version: ProtocolVersion, sender: Sender) -> BoxedStrategy<Packet> {
    match sender {
        Sender::Client => client_packet(version),
        Sender::Server => server_packet(version),
    }
}

/// The wire bytes of a connection's traffic in one direction: for a client, a CONNECT then
/// up to `max` more packets; for a server, up to `max` packets. Returns the version too.
pub(crate) fn stream(max: usize) -> impl Strategy<Value = (ProtocolVersion, Role, Vec<Packet>)> {
    (
        version(),
        prop_oneof![Just(Sender::Client), Just(Sender::Server)],
    )
        .prop_flat_map(move |(version, sender)| {
            let first = match sender {
                Sender::Client => connect(version).prop_map(|c| vec![Packet::from(c)]).boxed(),
                Sender::Server => Just(Vec::new()).boxed(),
            };
            (first, vec(packet(version, sender), 0..=max)).prop_map(move |(mut first, rest)| {
                first.extend(rest);
                (version, sender.receiver(), first)
            })
        })
}

/// Encodes packets back to back; CONNECT in its own version, the rest in `version`.
pub(crate) fn encode_all(version: ProtocolVersion, packets: &[Packet]) -> BytesMut {
    let mut buf = BytesMut::new();
    for packet in packets {
        packet
            .encode(version, &mut buf)
            .expect("generated packets encode");
    }
    buf
}

/// The decoder for a stream: one that learns the version from CONNECT for a server, one that
/// knows it for a client.
pub(crate) fn stream_decoder(version: ProtocolVersion, role: Role) -> Decoder {
    match role {
        Role::Server => Decoder::new(Role::Server),
        Role::Client => Decoder::with_version(Role::Client, version),
    }
}

/// A change to a byte string: flip bits of a byte, insert a byte, delete a byte, or cut the end.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mutation {
    /// XOR the byte at (position mod len) with a non-zero mask.
    Flip(usize, u8),
    /// Insert a byte at (position mod (len + 1)).
    Insert(usize, u8),
    /// Delete the byte at (position mod len).
    Delete(usize),
    /// Keep only the first (position mod (len + 1)) bytes.
    Truncate(usize),
}

/// A random mutation.
pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1..=u8::MAX).prop_map(|(at, mask)| Mutation::Flip(at, mask)),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert(at, byte)),
        3 => any::<usize>().prop_map(Mutation::Delete),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies mutations in order.
pub(crate) fn mutate(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for mutation in mutations {
        let len = bytes.len();
        match *mutation {
            Mutation::Flip(at, mask) if len > 0 => {
                if let Some(byte) = bytes.get_mut(at % len) {
                    *byte ^= mask;
                }
            }
            Mutation::Insert(at, byte) => bytes.insert(at % (len + 1), byte),
            Mutation::Delete(at) if len > 0 => {
                bytes.remove(at % len);
            }
            Mutation::Truncate(at) => bytes.truncate(at % (len + 1)),
            Mutation::Flip(..) | Mutation::Delete(_) => {}
        }
    }
}
