//! Strategies for the fields packets are made of: versions and roles, strings, binary data,
//! topic names and filters, user properties, identifiers, QoS and reason codes.

use std::num::{NonZeroU16, NonZeroU32};

use bytes::Bytes;
use hermod_codec::{
    InvalidTopicFilter, MqttString, PacketId, PayloadFormat, ProtocolVersion, QoS, ReasonCode,
    RequestedFilter, Role, SubscriptionId, TopicAlias, TopicFilter, TopicName, UserProperty,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::sample::select;

/// Any of the three versions.
pub(crate) fn version() -> impl Strategy<Value = ProtocolVersion> {
    select(ProtocolVersion::ALL.to_vec())
}

/// Either role.
pub(crate) fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
}

pub(super) fn reason(allowed: &'static [u8]) -> impl Strategy<Value = ReasonCode> {
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

pub(super) fn non_zero_u16() -> impl Strategy<Value = NonZeroU16> {
    (1..=u16::MAX).prop_map(|value| NonZeroU16::new(value).expect("range excludes 0"))
}

pub(super) fn non_zero_u32() -> impl Strategy<Value = NonZeroU32> {
    (1..=u32::MAX).prop_map(|value| NonZeroU32::new(value).expect("range excludes 0"))
}

pub(super) fn payload_format() -> impl Strategy<Value = PayloadFormat> {
    prop_oneof![Just(PayloadFormat::Unspecified), Just(PayloadFormat::Utf8)]
}

/// A Subscription Identifier over its whole range (1 to 268,435,455), biased to short forms.
pub(crate) fn subscription_id() -> impl Strategy<Value = SubscriptionId> {
    prop_oneof![1..=127_u32, 128..=16_383_u32, 1..=268_435_455_u32]
        .prop_map(|value| SubscriptionId::new(value).expect("range is valid"))
}

pub(super) fn topic_alias() -> impl Strategy<Value = TopicAlias> {
    (1..=u16::MAX).prop_map(|value| TopicAlias::new(value).expect("range excludes 0"))
}

/// An authentication method and data: data only with a method (the decoder requires it).
pub(super) fn authentication() -> impl Strategy<Value = (Option<MqttString>, Option<Bytes>)> {
    (of(mqtt_string()), of(binary(24)))
        .prop_map(|(method, data)| (method.clone(), method.and(data)))
}

pub(super) fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

pub(super) fn packet_id() -> impl Strategy<Value = PacketId> {
    (1..=u16::MAX).prop_map(|value| PacketId::new(value).expect("range excludes 0"))
}
