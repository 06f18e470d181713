//! Acknowledgement strategies: PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK.

use hermod_codec::property::AckProperties;
use hermod_codec::{
    Packet, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, ReasonCode, SubAck, UnsubAck,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::codes;
use super::fields::{mqtt_string, packet_id, reason, user_properties};

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
pub(super) fn publish_ack(version: ProtocolVersion) -> BoxedStrategy<Packet> {
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

pub(super) fn suback(version: ProtocolVersion) -> BoxedStrategy<Packet> {
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

pub(super) fn unsuback(version: ProtocolVersion) -> BoxedStrategy<Packet> {
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
