//! CONNECT (with its will) and CONNACK strategies.

use hermod_codec::{
    ConnAck, ConnAckProperties, Connect, ConnectProperties, Packet, ProtocolVersion, QoS, Will,
    WillProperties,
};
use proptest::option::of;
use proptest::prelude::*;

use super::codes;
use super::fields::{
    authentication, binary, mqtt_string, non_zero_u16, non_zero_u32, payload_format, qos, reason,
    topic_name, user_properties, version,
};

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

pub(super) fn connack(version: ProtocolVersion) -> BoxedStrategy<Packet> {
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
