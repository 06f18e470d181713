//! Data representation (MQTT 5.0 section 1.5; 3.1.1 sections 1.5 and 2.2.3): Variable Byte
//! Integers, UTF-8 strings and U+0000, and the length limit of a string.

use hermod_codec::ProtocolVersion::{V3_1_1, V5};
use hermod_codec::{DecodeError as E, MqttString, Packet};

use crate::harness::Peer::{Fresh, Server};
use crate::harness::{Case, MALFORMED, case, check_vector_length, decode_all, wire};

/// Violations of the data representation.
pub(crate) const ERRORS: &[Case] = &[
    // ---- 1.5 data representation ----------------------------------------------------------------
    case(
        "MQTT-1.5.5 v5: Remaining Length continues into a fifth byte",
        Server(V5),
        "30 FF FF FF FF 01",
        E::VariableByteIntegerTooLong,
        MALFORMED,
        "MQTT-1.5.5 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.3 3.1.1: Remaining Length continues into a fifth byte",
        Server(V3_1_1),
        "C0 80 80 80 80 00",
        E::VariableByteIntegerTooLong,
        MALFORMED,
        "MQTT-1.5.5 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.5 v5: Subscription Identifier in five bytes",
        Server(V5),
        "82 0D 00 01 06 0B FF FF FF FF 01 00 01 'a' 00",
        E::VariableByteIntegerTooLong,
        MALFORMED,
        "MQTT-1.5.5 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.5-1 v5: Remaining Length 0 in two bytes",
        Server(V5),
        "C0 80 00",
        E::VariableByteIntegerNotMinimal,
        MALFORMED,
        "MQTT-1.5.5-1",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.5-1 v5: CONNECT Remaining Length 13 in two bytes",
        Fresh,
        "10 8D 00 00 04 'MQTT' 05 02 00 3C 00 00 00",
        E::VariableByteIntegerNotMinimal,
        MALFORMED,
        "MQTT-1.5.5-1",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.5-1 v5: Property Length 0 in two bytes",
        Server(V5),
        "40 05 00 01 00 80 00",
        E::VariableByteIntegerNotMinimal,
        MALFORMED,
        "MQTT-1.5.5-1",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.5-1 v5: Subscription Identifier 1 in two bytes",
        Server(V5),
        "82 0A 00 01 03 0B 81 00 00 01 'a' 00",
        E::VariableByteIntegerNotMinimal,
        MALFORMED,
        "MQTT-1.5.5-1",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.4-1/MQTT-3.3.2-1 v5: topic name is an overlong '/'",
        Server(V5),
        "30 05 00 02 C0 AF 00",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-1.5.3-1 3.1.1: topic name encodes the surrogate U+D800",
        Server(V3_1_1),
        "30 05 00 03 ED A0 80",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-1.5.3-1/MQTT-3.1.3-4 3.1.1: client identifier is not UTF-8",
        Fresh,
        "10 0D 00 04 'MQTT' 04 02 00 3C 00 01 FF",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-1.5.4-1/MQTT-3.1.3-4 v5: client identifier is a lone continuation byte",
        Fresh,
        "10 0E 00 04 'MQTT' 05 02 00 3C 00 00 01 80",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.1.3-12 v5: user name is not UTF-8",
        Fresh,
        "10 11 00 04 'MQTT' 05 82 00 3C 00 00 01 'c' 00 01 FE",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.1.3-11 3.1.1: user name is not UTF-8",
        Fresh,
        "10 10 00 04 'MQTT' 04 82 00 3C 00 01 'c' 00 01 FE",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.1.3-11 v5: will topic is not UTF-8",
        Fresh,
        "10 15 00 04 'MQTT' 05 06 00 3C 00 00 01 'c' 00 00 01 80 00 01 'm'",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.1.3-10 3.1.1: will topic is not UTF-8",
        Fresh,
        "10 13 00 04 'MQTT' 04 06 00 3C 00 01 'c' 00 01 80 00 01 'm'",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.8.3-1 v5: SUBSCRIBE topic filter is not UTF-8",
        Server(V5),
        "82 07 00 01 00 00 01 FF 00",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.8.3-1 3.1.1: SUBSCRIBE topic filter is not UTF-8",
        Server(V3_1_1),
        "82 06 00 01 00 01 FF 00",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.10.3-1 v5: UNSUBSCRIBE topic filter is not UTF-8",
        Server(V5),
        "A2 06 00 01 00 00 01 FF",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.10.3-1 3.1.1: UNSUBSCRIBE topic filter is not UTF-8",
        Server(V3_1_1),
        "A2 05 00 01 00 01 FF",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-1.5.7-1 v5: User Property name is not UTF-8",
        Server(V5),
        "40 0B 00 01 00 07 26 00 01 FF 00 01 'v'",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.3.2-19 v5: Content Type is not UTF-8",
        Server(V5),
        "30 08 00 01 't' 04 03 00 01 FF",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.3.2-13 v5: Response Topic is not UTF-8",
        Server(V5),
        "30 08 00 01 't' 04 08 00 01 FF",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-1.5.4-2/MQTT-4.7.3-2 v5: topic name contains U+0000",
        Server(V5),
        "30 05 00 02 'a' 00 00",
        E::NullCharacter,
        MALFORMED,
        "MQTT-1.5.4-2",
        "MQTT-1.5.3-2",
    ),
    case(
        "MQTT-1.5.3-2/MQTT-4.7.3-2 3.1.1: topic name contains U+0000",
        Server(V3_1_1),
        "30 04 00 02 'a' 00",
        E::NullCharacter,
        MALFORMED,
        "MQTT-1.5.4-2",
        "MQTT-1.5.3-2",
    ),
    case(
        "MQTT-1.5.3-2/MQTT-4.7.3-2 3.1.1: topic filter contains U+0000",
        Server(V3_1_1),
        "82 07 00 01 00 02 'a' 00 00",
        E::NullCharacter,
        MALFORMED,
        "MQTT-1.5.4-2",
        "MQTT-1.5.3-2",
    ),
    case(
        "MQTT-1.5.4-2 v5: client identifier is U+0000",
        Fresh,
        "10 0E 00 04 'MQTT' 05 02 00 3C 00 00 01 00",
        E::NullCharacter,
        MALFORMED,
        "MQTT-1.5.4-2",
        "MQTT-1.5.3-2",
    ),
];

#[test]
fn string_fields_reach_but_do_not_exceed_65535_bytes() {
    // A 3.1.1 PUBLISH whose topic is 65,535 bytes: Remaining Length 65,537 = 81 80 04.
    let mut bytes = wire("30 81 80 04 FF FF");
    bytes.extend(std::iter::repeat_n(b'a', 65_535));
    check_vector_length("long topic", &bytes);
    let Ok(Some(Packet::Publish(publish))) = decode_all(Server(V3_1_1), &bytes) else {
        panic!("65535-byte topic did not decode");
    };
    assert_eq!(publish.topic.len(), 65_535);

    // The decoder cannot see a longer field (the length is two bytes); the string type refuses
    // to build one.
    let error = MqttString::new(&"a".repeat(65_536)).unwrap_err();
    assert_eq!(error, E::FieldTooLong { len: 65_536 });
    assert_eq!(error.reason_code(), MALFORMED);
    assert_eq!(error.rule(), "MQTT-1.5.4 (section)");
    assert_eq!(error.rule_for(V3_1_1), "MQTT-1.5.3 (section)");
}
