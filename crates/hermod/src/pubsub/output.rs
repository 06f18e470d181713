//! How `hermod sub` prints a message: the payload, `topic payload` (-v), or one JSON object
//! (--json).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hermod_codec::{PayloadFormat, Publish};
use serde_json::{Map, Value, json};

/// One output line for `publish`, newline included.
pub(crate) fn format(publish: &Publish, verbose: bool, json: bool, v5: bool) -> Vec<u8> {
    let mut line = Vec::with_capacity(publish.payload.len() + publish.topic.len() + 2);
    if json {
        line.extend_from_slice(to_json(publish, v5).to_string().as_bytes());
    } else {
        if verbose {
            line.extend_from_slice(publish.topic.as_bytes());
            line.push(b' ');
        }
        line.extend_from_slice(&publish.payload);
    }
    line.push(b'\n');
    line
}

/// Bytes as `(text, encoding)`: UTF-8 text as is, anything else base64.
fn text_or_base64(bytes: &[u8]) -> (String, &'static str) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), "utf-8"),
        Err(_) => (STANDARD.encode(bytes), "base64"),
    }
}

/// The JSON form of a message.
fn to_json(publish: &Publish, v5: bool) -> Value {
    let (payload, encoding) = text_or_base64(&publish.payload);
    let mut object = json!({
        "topic": publish.topic.as_str(),
        "qos": publish.qos.bits(),
        "retain": publish.retain,
        "payload": payload,
        "payload_encoding": encoding,
    });
    if v5 && let Value::Object(map) = &mut object {
        map.insert("properties".to_owned(), properties(publish));
    }
    object
}

/// The MQTT 5 properties of a message that are present.
fn properties(publish: &Publish) -> Value {
    let props = &publish.properties;
    let mut map = Map::new();
    if let Some(format) = props.payload_format {
        let utf8 = format == PayloadFormat::Utf8;
        map.insert("payload_format_utf8".to_owned(), Value::Bool(utf8));
    }
    if let Some(expiry) = props.message_expiry_interval {
        map.insert("message_expiry_interval".to_owned(), json!(expiry));
    }
    if let Some(topic) = props.response_topic() {
        map.insert("response_topic".to_owned(), json!(topic.as_str()));
    }
    if let Some(data) = props.correlation_data() {
        let (data, encoding) = text_or_base64(data);
        map.insert("correlation_data".to_owned(), json!(data));
        map.insert("correlation_data_encoding".to_owned(), json!(encoding));
    }
    if let Some(content_type) = props.content_type() {
        map.insert("content_type".to_owned(), json!(content_type.as_str()));
    }
    let users = props.user_properties();
    if !users.is_empty() {
        let users: Vec<Value> = users
            .iter()
            .map(|user| json!({"key": user.key.as_str(), "value": user.value.as_str()}))
            .collect();
        map.insert("user_properties".to_owned(), Value::Array(users));
    }
    let ids = props.subscription_identifiers();
    if !ids.is_empty() {
        let ids: Vec<Value> = ids.iter().map(|id| json!(id.get())).collect();
        map.insert("subscription_identifiers".to_owned(), Value::Array(ids));
    }
    Value::Object(map)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use hermod_codec::{TopicName, UserProperty};

    #[test]
    fn verbose_and_json_forms() {
        let mut publish = Publish::new(
            TopicName::new("a/b").unwrap(),
            Bytes::from_static(b"hi there"),
        );
        assert_eq!(format(&publish, false, false, false), b"hi there\n");
        assert_eq!(format(&publish, true, false, false), b"a/b hi there\n");
        publish.payload = Bytes::from_static(&[0xff, 0x00]);
        publish
            .properties
            .metadata_mut()
            .user_properties
            .push(UserProperty::new("k", "v").unwrap());
        let line = format(&publish, false, true, true);
        let value: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(value["payload"], "/wA=");
        assert_eq!(value["payload_encoding"], "base64");
        assert_eq!(value["properties"]["user_properties"][0]["key"], "k");
    }
}
