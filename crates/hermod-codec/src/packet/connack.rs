//! CONNACK (MQTT 5.0 section 3.2): the server's answer to CONNECT.

use std::num::{NonZeroU16, NonZeroU32};

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::header::PacketType;
use crate::property::{PropertySet, UserProperty, property_set};
use crate::qos::QoS;
use crate::reason::{ConnectReturnCode, ReasonCode};
use crate::string::MqttString;
use crate::version::ProtocolVersion;
use crate::wire::Reader;

/// A CONNACK packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnAck {
    /// Whether the server resumed a stored session (always false before 3.1.1).
    pub session_present: bool,
    /// The outcome. Before MQTT 5 it is carried as a 3.x return code; see
    /// [`ConnectReturnCode::from_reason_code`] for the mapping.
    pub reason: ReasonCode,
    /// MQTT 5 properties (empty before 5.0).
    pub properties: ConnAckProperties,
}

property_set! {
    /// Properties of CONNACK (MQTT 5.0 section 3.2.2.3).
    ConnAckProperties for ConnAck {
        /// The session expiry the server uses, in seconds, if not the client's.
        session_expiry_interval: u32 = SessionExpiryInterval,
        /// How many QoS 1/2 publications the server accepts at once.
        receive_maximum: NonZeroU16 = ReceiveMaximum,
        /// The highest QoS the server supports (absent: 2).
        maximum_qos: QoS = MaximumQoS,
        /// Whether the server supports retained messages (absent: yes).
        retain_available: bool = RetainAvailable,
        /// The largest packet the server accepts, in bytes.
        maximum_packet_size: NonZeroU32 = MaximumPacketSize,
        /// The client identifier the server assigned to an empty one.
        assigned_client_identifier: MqttString = AssignedClientIdentifier,
        /// The highest topic alias the server accepts.
        topic_alias_maximum: u16 = TopicAliasMaximum,
        /// Human-readable diagnostic text.
        reason_string: MqttString = ReasonString,
        /// Whether wildcard subscriptions are supported (absent: yes).
        wildcard_subscription_available: bool = WildcardSubscriptionAvailable,
        /// Whether subscription identifiers are supported (absent: yes).
        subscription_identifiers_available: bool = SubscriptionIdentifierAvailable,
        /// Whether shared subscriptions are supported (absent: yes).
        shared_subscription_available: bool = SharedSubscriptionAvailable,
        /// The keep alive the server imposes, in seconds.
        server_keep_alive: u16 = ServerKeepAlive,
        /// Basis for response topics, when the client asked for it.
        response_information: MqttString = ResponseInformation,
        /// Another server the client should use.
        server_reference: MqttString = ServerReference,
        /// The extended authentication method.
        authentication_method: MqttString = AuthenticationMethod,
        /// The extended authentication data.
        authentication_data: Bytes = AuthenticationData,
    }
    repeated {
        /// Name/value pairs, in order.
        user_properties: UserProperty = UserProperty,
    }
}

/// Reason codes a CONNACK may carry (MQTT-3.2.2-8).
const ALLOWED: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
    0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
];

impl ConnAck {
    /// A CONNACK with the given outcome and no properties.
    pub fn new(reason: ReasonCode, session_present: bool) -> ConnAck {
        ConnAck {
            session_present,
            reason,
            properties: ConnAckProperties::default(),
        }
    }

    pub(crate) fn decode(
        version: ProtocolVersion,
        reader: &mut Reader,
    ) -> Result<ConnAck, DecodeError> {
        let flags = reader.read_u8()?;
        // MQTT 3.1 has no acknowledge flags: the byte is reserved.
        let allowed_flags = if version == ProtocolVersion::V3_1 {
            0
        } else {
            1
        };
        if flags & !allowed_flags != 0 {
            return Err(DecodeError::ReservedConnAckFlags);
        }
        let session_present = flags & 1 != 0;
        let code = reader.read_u8()?;
        let (reason, properties) = if version.is_v5() {
            let reason = ReasonCode::from_byte(code);
            if !ALLOWED.contains(&code) {
                return Err(DecodeError::InvalidReasonCode {
                    packet: PacketType::ConnAck,
                    code: reason,
                });
            }
            let properties = ConnAckProperties::read_block(reader)?;
            if properties.authentication_data.is_some()
                && properties.authentication_method.is_none()
            {
                return Err(DecodeError::AuthenticationDataWithoutMethod);
            }
            (reason, properties)
        } else {
            let reason = match ConnectReturnCode::from_byte(code) {
                Some(code) => reason_from_return_code(code),
                None => {
                    return Err(DecodeError::InvalidReasonCode {
                        packet: PacketType::ConnAck,
                        code: ReasonCode::from_byte(code),
                    });
                }
            };
            (reason, ConnAckProperties::default())
        };
        if session_present && !reason.is_success() {
            return Err(DecodeError::SessionPresentOnRefusal);
        }
        Ok(ConnAck {
            session_present,
            reason,
            properties,
        })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if self.session_present && !self.reason.is_success() {
            return Err(EncodeError::Invalid {
                error: DecodeError::SessionPresentOnRefusal,
            });
        }
        Ok(2 + if version.is_v5() {
            self.properties.block_len()?
        } else {
            0
        })
    }

    pub(crate) fn write_body(
        &self,
        version: ProtocolVersion,
        buf: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        let session_present = self.session_present && version != ProtocolVersion::V3_1;
        buf.put_u8(u8::from(session_present));
        if version.is_v5() {
            buf.put_u8(self.reason.to_byte());
            self.properties.write_block(buf)?;
        } else {
            buf.put_u8(ConnectReturnCode::from_reason_code(self.reason).to_byte());
        }
        Ok(())
    }
}

/// The MQTT 5 reason code that corresponds to a 3.x return code.
fn reason_from_return_code(code: ConnectReturnCode) -> ReasonCode {
    match code {
        ConnectReturnCode::Accepted => ReasonCode::SUCCESS,
        ConnectReturnCode::UnacceptableProtocolVersion => ReasonCode::UNSUPPORTED_PROTOCOL_VERSION,
        ConnectReturnCode::IdentifierRejected => ReasonCode::CLIENT_IDENTIFIER_NOT_VALID,
        ConnectReturnCode::ServerUnavailable => ReasonCode::SERVER_UNAVAILABLE,
        ConnectReturnCode::BadUserNameOrPassword => ReasonCode::BAD_USER_NAME_OR_PASSWORD,
        ConnectReturnCode::NotAuthorized => ReasonCode::NOT_AUTHORIZED,
    }
}
