//! CONNECT (MQTT 5.0 section 3.1): the client's request to connect.

use std::num::{NonZeroU16, NonZeroU32};

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::property::{PayloadFormat, PropertySet, UserProperty, property_set};
use crate::qos::QoS;
use crate::string::MqttString;
use crate::topic::TopicName;
use crate::version::ProtocolVersion;
use crate::wire::{self, Reader};

/// A CONNECT packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connect {
    /// The protocol version the client speaks.
    pub protocol: ProtocolVersion,
    /// Clean Session (3.x) or Clean Start (5.0).
    pub clean_start: bool,
    /// Keep alive in seconds; 0 turns the mechanism off.
    pub keep_alive: u16,
    /// The client identifier (may be empty; the broker decides what that means).
    pub client_id: MqttString,
    /// The will message, if the Will Flag is set.
    pub will: Option<Will>,
    /// The user name, if the User Name Flag is set.
    pub username: Option<MqttString>,
    /// The password, if the Password Flag is set.
    pub password: Option<Bytes>,
    /// MQTT 5 properties (empty before 5.0).
    pub properties: ConnectProperties,
}

/// The will message of a CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Will {
    /// Where the will is published.
    pub topic: TopicName,
    /// The will payload.
    pub payload: Bytes,
    /// The will's QoS.
    pub qos: QoS,
    /// Whether the will is retained.
    pub retain: bool,
    /// MQTT 5 will properties (empty before 5.0).
    pub properties: WillProperties,
}

property_set! {
    /// Properties of CONNECT (MQTT 5.0 section 3.1.2.11).
    ConnectProperties for Connect {
        /// Seconds the session outlives the connection (0xFFFFFFFF: never expires).
        session_expiry_interval: u32 = SessionExpiryInterval,
        /// How many QoS 1/2 publications the client accepts at once.
        receive_maximum: NonZeroU16 = ReceiveMaximum,
        /// The largest packet the client accepts, in bytes.
        maximum_packet_size: NonZeroU32 = MaximumPacketSize,
        /// The highest topic alias the client accepts.
        topic_alias_maximum: u16 = TopicAliasMaximum,
        /// Whether the client wants Response Information in CONNACK.
        request_response_information: bool = RequestResponseInformation,
        /// Whether reason strings and user properties may be sent on failures.
        request_problem_information: bool = RequestProblemInformation,
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

property_set! {
    /// Properties of the will (MQTT 5.0 section 3.1.3.2).
    WillProperties for Connect {
        /// Seconds to wait before publishing the will.
        will_delay_interval: u32 = WillDelayInterval,
        /// Whether the payload is UTF-8 text.
        payload_format: PayloadFormat = PayloadFormatIndicator,
        /// Lifetime of the will message in seconds.
        message_expiry_interval: u32 = MessageExpiryInterval,
        /// MIME-like description of the payload.
        content_type: MqttString = ContentType,
        /// Topic for a response.
        response_topic: TopicName = ResponseTopic,
        /// Data correlating a response with this request.
        correlation_data: Bytes = CorrelationData,
    }
    repeated {
        /// Name/value pairs, in order.
        user_properties: UserProperty = UserProperty,
    }
}

mod flag {
    pub(super) const RESERVED: u8 = 0b0000_0001;
    pub(super) const CLEAN_START: u8 = 0b0000_0010;
    pub(super) const WILL: u8 = 0b0000_0100;
    pub(super) const WILL_QOS_SHIFT: u8 = 3;
    pub(super) const WILL_QOS: u8 = 0b0001_1000;
    pub(super) const WILL_RETAIN: u8 = 0b0010_0000;
    pub(super) const PASSWORD: u8 = 0b0100_0000;
    pub(super) const USERNAME: u8 = 0b1000_0000;
}

impl Connect {
    /// A CONNECT with the given version and client id, clean start, keep alive 60 s and nothing
    /// else.
    pub fn new(protocol: ProtocolVersion, client_id: MqttString) -> Connect {
        Connect {
            protocol,
            clean_start: true,
            keep_alive: 60,
            client_id,
            will: None,
            username: None,
            password: None,
            properties: ConnectProperties::default(),
        }
    }

    /// Reads the protocol name and level, which decide the version of everything else.
    pub(crate) fn read_version(reader: &mut Reader) -> Result<ProtocolVersion, DecodeError> {
        let name = reader.read_binary()?;
        let level = reader.read_u8()?;
        match (&name[..], level) {
            (b"MQTT", 4) => Ok(ProtocolVersion::V3_1_1),
            (b"MQTT", 5) => Ok(ProtocolVersion::V5),
            (b"MQIsdp", 3) => Ok(ProtocolVersion::V3_1),
            (b"MQTT" | b"MQIsdp", level) => Err(DecodeError::UnsupportedProtocolLevel { level }),
            _ => Err(DecodeError::InvalidProtocolName),
        }
    }

    /// Decodes the body after the protocol name and level.
    pub(crate) fn decode_after_version(
        protocol: ProtocolVersion,
        reader: &mut Reader,
    ) -> Result<Connect, DecodeError> {
        let flags = reader.read_u8()?;
        if flags & flag::RESERVED != 0 && protocol != ProtocolVersion::V3_1 {
            return Err(DecodeError::ReservedConnectFlag);
        }
        let will_flag = flags & flag::WILL != 0;
        let will_qos = (flags & flag::WILL_QOS) >> flag::WILL_QOS_SHIFT;
        let will_retain = flags & flag::WILL_RETAIN != 0;
        let will_qos = QoS::from_bits(will_qos).ok_or(DecodeError::InvalidWillQos)?;
        if !will_flag && will_qos != QoS::AtMostOnce {
            return Err(DecodeError::WillQosWithoutWill);
        }
        if !will_flag && will_retain {
            return Err(DecodeError::WillRetainWithoutWill);
        }
        let has_username = flags & flag::USERNAME != 0;
        let has_password = flags & flag::PASSWORD != 0;
        if has_password && !has_username && !protocol.is_v5() {
            return Err(DecodeError::PasswordWithoutUserName);
        }
        let keep_alive = reader.read_u16()?;
        let properties = if protocol.is_v5() {
            let properties = ConnectProperties::read_block(reader)?;
            if properties.authentication_data.is_some()
                && properties.authentication_method.is_none()
            {
                return Err(DecodeError::AuthenticationDataWithoutMethod);
            }
            properties
        } else {
            ConnectProperties::default()
        };
        let client_id = reader.read_string()?;
        let will = if will_flag {
            let properties = if protocol.is_v5() {
                WillProperties::read_block(reader)?
            } else {
                WillProperties::default()
            };
            let topic = TopicName::from_string(reader.read_string()?)?;
            let payload = reader.read_binary()?;
            Some(Will {
                topic,
                payload,
                qos: will_qos,
                retain: will_retain,
                properties,
            })
        } else {
            None
        };
        let username = has_username.then(|| reader.read_string()).transpose()?;
        let password = has_password.then(|| reader.read_binary()).transpose()?;
        Ok(Connect {
            protocol,
            clean_start: flags & flag::CLEAN_START != 0,
            keep_alive,
            client_id,
            will,
            username,
            password,
            properties,
        })
    }

    fn flags(&self) -> u8 {
        let mut flags = 0;
        if self.clean_start {
            flags |= flag::CLEAN_START;
        }
        if let Some(will) = &self.will {
            flags |= flag::WILL | (will.qos.bits() << flag::WILL_QOS_SHIFT);
            if will.retain {
                flags |= flag::WILL_RETAIN;
            }
        }
        if self.username.is_some() {
            flags |= flag::USERNAME;
        }
        if self.password.is_some() {
            flags |= flag::PASSWORD;
        }
        flags
    }

    /// The body length. The version written is `self.protocol`.
    pub(crate) fn body_len(&self) -> Result<usize, EncodeError> {
        let v5 = self.protocol.is_v5();
        if self.password.is_some() && self.username.is_none() && !v5 {
            return Err(EncodeError::Invalid {
                error: DecodeError::PasswordWithoutUserName,
            });
        }
        let mut len = 2 + self.protocol.protocol_name().len() + 1 + 1 + 2;
        if v5 {
            len += self.properties.block_len()?;
        }
        len += self.client_id.wire_len();
        if let Some(will) = &self.will {
            if v5 {
                len += will.properties.block_len()?;
            }
            len += will.topic.as_mqtt_string().wire_len() + wire::binary_len(&will.payload)?;
        }
        if let Some(username) = &self.username {
            len += username.wire_len();
        }
        if let Some(password) = &self.password {
            len += wire::binary_len(password)?;
        }
        Ok(len)
    }

    /// Writes the body (lengths were checked by `body_len`).
    pub(crate) fn write_body(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let v5 = self.protocol.is_v5();
        wire::put_binary(buf, self.protocol.protocol_name().as_bytes());
        buf.put_u8(self.protocol.level());
        buf.put_u8(self.flags());
        buf.put_u16(self.keep_alive);
        if v5 {
            self.properties.write_block(buf)?;
        }
        wire::put_string(buf, &self.client_id);
        if let Some(will) = &self.will {
            if v5 {
                will.properties.write_block(buf)?;
            }
            wire::put_string(buf, will.topic.as_mqtt_string());
            wire::put_binary(buf, &will.payload);
        }
        if let Some(username) = &self.username {
            wire::put_string(buf, username);
        }
        if let Some(password) = &self.password {
            wire::put_binary(buf, password);
        }
        Ok(())
    }
}

impl Will {
    /// Checks the Payload Format Indicator against the payload: a will that claims to be UTF-8
    /// but is not is refused with CONNACK 0x99 (MQTT 5.0 section 3.1.3.2.3).
    pub fn check_payload_format(&self) -> Result<(), DecodeError> {
        super::check_payload_format(self.properties.payload_format, &self.payload)
    }
}
