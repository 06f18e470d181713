//! Quality of service levels and packet identifiers.

use std::fmt;
use std::num::NonZeroU16;

/// The quality of service of a PUBLISH or a subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum QoS {
    /// QoS 0: at most once.
    #[default]
    AtMostOnce = 0,
    /// QoS 1: at least once.
    AtLeastOnce = 1,
    /// QoS 2: exactly once.
    ExactlyOnce = 2,
}

impl QoS {
    /// Reads the two-bit QoS value; 3 is not a QoS.
    pub const fn from_bits(bits: u8) -> Option<QoS> {
        match bits {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }

    /// The two-bit value sent on the wire.
    pub const fn bits(self) -> u8 {
        self as u8
    }
}

/// A packet identifier: a non-zero 16-bit integer (MQTT-2.2.1-3, 3.1.1: MQTT-2.3.1-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PacketId(NonZeroU16);

impl PacketId {
    /// The smallest identifier, 1.
    pub const MIN: PacketId = PacketId(NonZeroU16::MIN);

    /// Wraps a raw value; `None` for 0, which is not a packet identifier.
    pub const fn new(value: u16) -> Option<PacketId> {
        match NonZeroU16::new(value) {
            Some(value) => Some(PacketId(value)),
            None => None,
        }
    }

    /// The value sent on the wire.
    pub const fn get(self) -> u16 {
        self.0.get()
    }

    /// The next identifier, wrapping from 65535 back to 1.
    pub const fn next(self) -> PacketId {
        match NonZeroU16::new(self.0.get().wrapping_add(1)) {
            Some(value) => PacketId(value),
            None => PacketId::MIN,
        }
    }
}

impl From<NonZeroU16> for PacketId {
    fn from(value: NonZeroU16) -> Self {
        PacketId(value)
    }
}

impl fmt::Display for PacketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_bits_round_trip_and_three_is_invalid() {
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            assert_eq!(QoS::from_bits(qos.bits()), Some(qos));
        }
        assert_eq!(QoS::from_bits(3), None);
    }

    #[test]
    fn packet_id_rejects_zero_and_wraps() {
        assert_eq!(PacketId::new(0), None);
        assert_eq!(
            PacketId::new(65535).map(PacketId::next),
            Some(PacketId::MIN)
        );
        assert_eq!(PacketId::MIN.next().get(), 2);
    }
}
