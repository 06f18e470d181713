//! DISCONNECT (MQTT 5.0 section 3.14) and AUTH (section 3.15): a reason code and properties,
//! both omitted in the short form.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::header::PacketType;
use crate::property::{PropertySet, UserProperty, property_set};
use crate::reason::ReasonCode;
use crate::string::MqttString;
use crate::version::{ProtocolVersion, Role};
use crate::wire::Reader;

/// A DISCONNECT packet (MQTT 3.x: no content).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Disconnect {
    /// Why the connection closes (MQTT 5; Normal disconnection before 5.0).
    pub reason: ReasonCode,
    /// MQTT 5 properties (empty before 5.0).
    pub properties: DisconnectProperties,
}

property_set! {
    /// Properties of DISCONNECT (MQTT 5.0 section 3.14.2.2).
    DisconnectProperties for Disconnect {
        /// A new session expiry, in seconds (client only, MQTT-3.14.2-2).
        session_expiry_interval: u32 = SessionExpiryInterval,
        /// Human-readable diagnostic text.
        reason_string: MqttString = ReasonString,
        /// Another server the client should use.
        server_reference: MqttString = ServerReference,
    }
    repeated {
        /// Name/value pairs, in order.
        user_properties: UserProperty = UserProperty,
    }
}

/// An AUTH packet (MQTT 5 only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Auth {
    /// Success, Continue authentication or Re-authenticate.
    pub reason: ReasonCode,
    /// Properties.
    pub properties: AuthProperties,
}

property_set! {
    /// Properties of AUTH (MQTT 5.0 section 3.15.2.2).
    AuthProperties for Auth {
        /// The authentication method (required whenever AUTH carries properties).
        authentication_method: MqttString = AuthenticationMethod,
        /// The authentication data.
        authentication_data: Bytes = AuthenticationData,
        /// Human-readable diagnostic text.
        reason_string: MqttString = ReasonString,
    }
    repeated {
        /// Name/value pairs, in order.
        user_properties: UserProperty = UserProperty,
    }
}

/// DISCONNECT reason codes (MQTT-3.14.2-1).
const DISCONNECT_CODES: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95,
    0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];
/// AUTH reason codes (MQTT-3.15.2-1).
const AUTH_CODES: &[u8] = &[0x00, 0x18, 0x19];

/// Reads the optional reason code and property block of the short-form packets.
fn read_reason_and_properties<P: PropertySet>(
    packet: PacketType,
    allowed: &[u8],
    reader: &mut Reader,
) -> Result<(ReasonCode, P), DecodeError> {
    if reader.is_empty() {
        return Ok((ReasonCode::SUCCESS, P::default()));
    }
    let code = ReasonCode::from_byte(reader.read_u8()?);
    if !allowed.contains(&code.to_byte()) {
        return Err(DecodeError::InvalidReasonCode { packet, code });
    }
    let properties = if reader.is_empty() {
        P::default()
    } else {
        P::read_block(reader)?
    };
    Ok((code, properties))
}

/// Body length of the short forms: nothing for Success without properties, the reason code
/// alone without properties, or both.
fn short_form_len<P: PropertySet>(
    reason: ReasonCode,
    properties: &P,
) -> Result<usize, EncodeError> {
    let properties_len = properties.content_len()?;
    Ok(match (reason, properties_len) {
        (ReasonCode::SUCCESS, 0) => 0,
        (_, 0) => 1,
        (_, len) => 1 + crate::varint::encoded_len(len) + len,
    })
}

fn write_short_form<P: PropertySet>(
    reason: ReasonCode,
    properties: &P,
    buf: &mut BytesMut,
) -> Result<(), EncodeError> {
    let len = short_form_len(reason, properties)?;
    if len >= 1 {
        buf.put_u8(reason.to_byte());
    }
    if len > 1 {
        properties.write_block(buf)?;
    }
    Ok(())
}

impl Disconnect {
    /// A DISCONNECT with a reason code and no properties.
    pub fn new(reason: ReasonCode) -> Disconnect {
        Disconnect {
            reason,
            properties: DisconnectProperties::default(),
        }
    }

    pub(crate) fn decode(
        version: ProtocolVersion,
        role: Role,
        reader: &mut Reader,
    ) -> Result<Disconnect, DecodeError> {
        if !version.is_v5() {
            return Ok(Disconnect::default());
        }
        let (reason, properties): (ReasonCode, DisconnectProperties) =
            read_reason_and_properties(PacketType::Disconnect, DISCONNECT_CODES, reader)?;
        if role == Role::Client && properties.session_expiry_interval.is_some() {
            return Err(DecodeError::SessionExpiryFromServer);
        }
        Ok(Disconnect { reason, properties })
    }

    pub(crate) fn body_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if !version.is_v5() {
            return Ok(0);
        }
        short_form_len(self.reason, &self.properties)
    }

    pub(crate) fn write_body(
        &self,
        version: ProtocolVersion,
        buf: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        if version.is_v5() {
            write_short_form(self.reason, &self.properties, buf)?;
        }
        Ok(())
    }
}

impl Auth {
    pub(crate) fn decode(reader: &mut Reader) -> Result<Auth, DecodeError> {
        let has_body = !reader.is_empty();
        let (reason, properties): (ReasonCode, AuthProperties) =
            read_reason_and_properties(PacketType::Auth, AUTH_CODES, reader)?;
        if has_body && properties.authentication_method.is_none() {
            return Err(DecodeError::AuthenticationMethodMissing);
        }
        Ok(Auth { reason, properties })
    }

    pub(crate) fn body_len(&self) -> Result<usize, EncodeError> {
        let len = short_form_len(self.reason, &self.properties)?;
        if len > 0 && self.properties.authentication_method.is_none() {
            return Err(EncodeError::Invalid {
                error: DecodeError::AuthenticationMethodMissing,
            });
        }
        Ok(len)
    }

    pub(crate) fn write_body(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        write_short_form(self.reason, &self.properties, buf)
    }
}
