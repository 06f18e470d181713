//! Session and credential options every benchmark client connects with.

use bytes::Bytes;
use hermod_codec::{Connect, MqttString};

use crate::error::BenchError;

/// What each client's CONNECT asks for beyond its id and keep alive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionOptions {
    /// Clean Start (MQTT 5) / Clean Session (3.x). `false` keeps each client's session, which
    /// a broker with storage then persists.
    pub clean_start: bool,
    /// MQTT 5 Session Expiry Interval in seconds. `None`: as mosquitto_pub/sub, a kept
    /// session (`clean_start` false) never expires and a clean one sends none (0).
    pub session_expiry: Option<u32>,
    /// User name, if any.
    pub username: Option<String>,
    /// Password, if any.
    pub password: Option<String>,
}

impl Default for SessionOptions {
    fn default() -> SessionOptions {
        SessionOptions {
            clean_start: true,
            session_expiry: None,
            username: None,
            password: None,
        }
    }
}

impl SessionOptions {
    /// Sets these options on `connect` (the expiry only on MQTT 5, which has it).
    pub fn apply(&self, connect: &mut Connect) -> Result<(), BenchError> {
        connect.clean_start = self.clean_start;
        if connect.protocol.is_v5() {
            // Without an expiry a 5.0 session ends with its connection, whatever Clean Start.
            connect.properties.session_expiry_interval = self
                .session_expiry
                .or((!self.clean_start).then_some(u32::MAX));
        }
        connect.username = self.username.as_deref().map(MqttString::new).transpose()?;
        connect.password = self
            .password
            .as_ref()
            .map(|password| Bytes::copy_from_slice(password.as_bytes()));
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;
    use hermod_codec::ProtocolVersion;

    #[test]
    fn options_land_in_the_connect() {
        let options = SessionOptions {
            clean_start: false,
            session_expiry: Some(300),
            username: Some("bench".into()),
            password: Some("secret".into()),
        };
        let mut v5 = Connect::new(ProtocolVersion::V5, MqttString::new("c").unwrap());
        options.apply(&mut v5).unwrap();
        assert!(!v5.clean_start);
        assert_eq!(v5.properties.session_expiry_interval, Some(300));
        assert_eq!(v5.username.unwrap().as_str(), "bench");
        assert_eq!(v5.password.unwrap(), Bytes::from_static(b"secret"));
        let mut v3 = Connect::new(ProtocolVersion::V3_1_1, MqttString::new("c").unwrap());
        options.apply(&mut v3).unwrap();
        assert!(!v3.clean_start);
        assert_eq!(v3.properties.session_expiry_interval, None);
    }

    #[test]
    fn a_kept_5_0_session_never_expires_unless_told() {
        let kept = SessionOptions {
            clean_start: false,
            ..SessionOptions::default()
        };
        let mut v5 = Connect::new(ProtocolVersion::V5, MqttString::new("c").unwrap());
        kept.apply(&mut v5).unwrap();
        assert_eq!(v5.properties.session_expiry_interval, Some(u32::MAX));
        let mut clean = Connect::new(ProtocolVersion::V5, MqttString::new("c").unwrap());
        SessionOptions::default().apply(&mut clean).unwrap();
        assert_eq!(clean.properties.session_expiry_interval, None);
    }
}
