//! DISCONNECT and AUTH strategies.

use hermod_codec::{
    Auth, AuthProperties, Disconnect, DisconnectProperties, Packet, ProtocolVersion,
};
use proptest::option::of;
use proptest::prelude::*;

use super::Sender;
use super::codes;
use super::fields::{binary, mqtt_string, reason, user_properties};

pub(super) fn disconnect(version: ProtocolVersion, sender: Sender) -> BoxedStrategy<Packet> {
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
pub(super) fn auth() -> BoxedStrategy<Packet> {
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
