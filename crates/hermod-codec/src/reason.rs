//! MQTT 5 reason codes and MQTT 3.x CONNACK return codes.

use std::fmt;

/// A reason code as carried on the wire (MQTT 5.0 section 2.4).
///
/// A newtype rather than an enum so that a value this codec does not know survives for logging;
/// the decoder still rejects a code that is not allowed in the packet it arrives in.
/// The default is 0x00 (Success).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReasonCode(u8);

macro_rules! reason_codes {
    ($($name:ident = $value:literal, $text:literal;)*) => {
        impl ReasonCode {
            $(
                #[doc = concat!("`", stringify!($value), "` ", $text, ".")]
                pub const $name: ReasonCode = ReasonCode($value);
            )*

            /// The name the MQTT 5.0 specification gives this code, if it is a known code.
            ///
            /// Several codes share a value (0x00 is Success, Normal disconnection and Granted
            /// QoS 0); the first name is returned.
            #[allow(unreachable_patterns)]
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

reason_codes! {
    SUCCESS = 0x00, "Success";
    NORMAL_DISCONNECTION = 0x00, "Normal disconnection";
    GRANTED_QOS_0 = 0x00, "Granted QoS 0";
    GRANTED_QOS_1 = 0x01, "Granted QoS 1";
    GRANTED_QOS_2 = 0x02, "Granted QoS 2";
    DISCONNECT_WITH_WILL_MESSAGE = 0x04, "Disconnect with Will Message";
    NO_MATCHING_SUBSCRIBERS = 0x10, "No matching subscribers";
    NO_SUBSCRIPTION_EXISTED = 0x11, "No subscription existed";
    CONTINUE_AUTHENTICATION = 0x18, "Continue authentication";
    RE_AUTHENTICATE = 0x19, "Re-authenticate";
    UNSPECIFIED_ERROR = 0x80, "Unspecified error";
    MALFORMED_PACKET = 0x81, "Malformed Packet";
    PROTOCOL_ERROR = 0x82, "Protocol Error";
    IMPLEMENTATION_SPECIFIC_ERROR = 0x83, "Implementation specific error";
    UNSUPPORTED_PROTOCOL_VERSION = 0x84, "Unsupported Protocol Version";
    CLIENT_IDENTIFIER_NOT_VALID = 0x85, "Client Identifier not valid";
    BAD_USER_NAME_OR_PASSWORD = 0x86, "Bad User Name or Password";
    NOT_AUTHORIZED = 0x87, "Not authorized";
    SERVER_UNAVAILABLE = 0x88, "Server unavailable";
    SERVER_BUSY = 0x89, "Server busy";
    BANNED = 0x8A, "Banned";
    SERVER_SHUTTING_DOWN = 0x8B, "Server shutting down";
    BAD_AUTHENTICATION_METHOD = 0x8C, "Bad authentication method";
    KEEP_ALIVE_TIMEOUT = 0x8D, "Keep Alive timeout";
    SESSION_TAKEN_OVER = 0x8E, "Session taken over";
    TOPIC_FILTER_INVALID = 0x8F, "Topic Filter invalid";
    TOPIC_NAME_INVALID = 0x90, "Topic Name invalid";
    PACKET_IDENTIFIER_IN_USE = 0x91, "Packet Identifier in use";
    PACKET_IDENTIFIER_NOT_FOUND = 0x92, "Packet Identifier not found";
    RECEIVE_MAXIMUM_EXCEEDED = 0x93, "Receive Maximum exceeded";
    TOPIC_ALIAS_INVALID = 0x94, "Topic Alias invalid";
    PACKET_TOO_LARGE = 0x95, "Packet too large";
    MESSAGE_RATE_TOO_HIGH = 0x96, "Message rate too high";
    QUOTA_EXCEEDED = 0x97, "Quota exceeded";
    ADMINISTRATIVE_ACTION = 0x98, "Administrative action";
    PAYLOAD_FORMAT_INVALID = 0x99, "Payload format invalid";
    RETAIN_NOT_SUPPORTED = 0x9A, "Retain not supported";
    QOS_NOT_SUPPORTED = 0x9B, "QoS not supported";
    USE_ANOTHER_SERVER = 0x9C, "Use another server";
    SERVER_MOVED = 0x9D, "Server moved";
    SHARED_SUBSCRIPTIONS_NOT_SUPPORTED = 0x9E, "Shared Subscriptions not supported";
    CONNECTION_RATE_EXCEEDED = 0x9F, "Connection rate exceeded";
    MAXIMUM_CONNECT_TIME = 0xA0, "Maximum connect time";
    SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED = 0xA1, "Subscription Identifiers not supported";
    WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED = 0xA2, "Wildcard Subscriptions not supported";
}

impl ReasonCode {
    /// Wraps a raw reason code byte (used by the decoder and for values read from logs).
    pub const fn from_byte(value: u8) -> ReasonCode {
        ReasonCode(value)
    }

    /// The byte sent on the wire.
    pub const fn to_byte(self) -> u8 {
        self.0
    }

    /// True for codes below 0x80, which report success (MQTT 5.0 section 2.4).
    pub const fn is_success(self) -> bool {
        self.0 < 0x80
    }
}

impl fmt::Debug for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "ReasonCode(0x{:02X} {name})", self.0),
            None => write!(f, "ReasonCode(0x{:02X})", self.0),
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "0x{:02X} {name}", self.0),
            None => write!(f, "0x{:02X}", self.0),
        }
    }
}

/// The return code of an MQTT 3.1 / 3.1.1 CONNACK (MQTT 3.1.1 section 3.2.2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectReturnCode {
    /// `0x00` Connection accepted.
    Accepted,
    /// `0x01` The server does not support the requested protocol level.
    UnacceptableProtocolVersion,
    /// `0x02` The client identifier is correct UTF-8 but not allowed by the server.
    IdentifierRejected,
    /// `0x03` The MQTT service is unavailable.
    ServerUnavailable,
    /// `0x04` The user name or password is malformed or wrong.
    BadUserNameOrPassword,
    /// `0x05` The client is not authorized to connect.
    NotAuthorized,
}

impl ConnectReturnCode {
    /// Reads a return code byte; codes 6..=255 are reserved.
    pub const fn from_byte(value: u8) -> Option<ConnectReturnCode> {
        Some(match value {
            0 => ConnectReturnCode::Accepted,
            1 => ConnectReturnCode::UnacceptableProtocolVersion,
            2 => ConnectReturnCode::IdentifierRejected,
            3 => ConnectReturnCode::ServerUnavailable,
            4 => ConnectReturnCode::BadUserNameOrPassword,
            5 => ConnectReturnCode::NotAuthorized,
            _ => return None,
        })
    }

    /// The byte sent on the wire.
    pub const fn to_byte(self) -> u8 {
        match self {
            ConnectReturnCode::Accepted => 0,
            ConnectReturnCode::UnacceptableProtocolVersion => 1,
            ConnectReturnCode::IdentifierRejected => 2,
            ConnectReturnCode::ServerUnavailable => 3,
            ConnectReturnCode::BadUserNameOrPassword => 4,
            ConnectReturnCode::NotAuthorized => 5,
        }
    }

    /// The closest 3.x return code for an MQTT 5 CONNACK reason code, for answering a 3.x client
    /// with a decision the broker made in MQTT 5 terms.
    pub fn from_reason_code(reason: ReasonCode) -> ConnectReturnCode {
        match reason {
            ReasonCode::SUCCESS => ConnectReturnCode::Accepted,
            ReasonCode::UNSUPPORTED_PROTOCOL_VERSION => {
                ConnectReturnCode::UnacceptableProtocolVersion
            }
            ReasonCode::CLIENT_IDENTIFIER_NOT_VALID => ConnectReturnCode::IdentifierRejected,
            ReasonCode::BAD_USER_NAME_OR_PASSWORD | ReasonCode::BAD_AUTHENTICATION_METHOD => {
                ConnectReturnCode::BadUserNameOrPassword
            }
            ReasonCode::NOT_AUTHORIZED | ReasonCode::BANNED => ConnectReturnCode::NotAuthorized,
            _ => ConnectReturnCode::ServerUnavailable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_code_names_and_display() {
        assert_eq!(ReasonCode::MALFORMED_PACKET.to_byte(), 0x81);
        assert_eq!(ReasonCode::from_byte(0x95).name(), Some("Packet too large"));
        assert_eq!(ReasonCode::from_byte(0x7F).name(), None);
        assert_eq!(
            ReasonCode::PROTOCOL_ERROR.to_string(),
            "0x82 Protocol Error"
        );
        assert!(ReasonCode::NO_MATCHING_SUBSCRIBERS.is_success());
        assert!(!ReasonCode::UNSPECIFIED_ERROR.is_success());
    }

    #[test]
    fn connect_return_codes_round_trip() {
        for byte in 0..=5u8 {
            let code = ConnectReturnCode::from_byte(byte);
            assert_eq!(code.map(ConnectReturnCode::to_byte), Some(byte));
        }
        assert_eq!(ConnectReturnCode::from_byte(6), None);
        assert_eq!(
            ConnectReturnCode::from_reason_code(ReasonCode::UNSUPPORTED_PROTOCOL_VERSION),
            ConnectReturnCode::UnacceptableProtocolVersion
        );
    }
}
