//! A minimal MQTT client over a plain socket, on `hermod-codec`: the test decides every
//! packet and sees every answer (for crash and fault tests).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};

use bytes::BytesMut;
use hermod_codec::{Connect, Decoder, MqttString, Packet, ProtocolVersion, Role};

use super::STEP;

/// A minimal MQTT client over a socket, on the codec.
pub(crate) struct Client {
    pub(crate) stream: TcpStream,
    decoder: Decoder,
    version: ProtocolVersion,
    pub(crate) read: BytesMut,
}

impl Client {
    /// Connects; returns the client and Session Present.
    pub(crate) fn connect(
        address: SocketAddr,
        version: ProtocolVersion,
        id: &str,
        clean: bool,
    ) -> (Client, bool) {
        Client::connect_with(address, version, id, clean, None)
    }

    /// Connects with an optional will.
    pub(crate) fn connect_with(
        address: SocketAddr,
        version: ProtocolVersion,
        id: &str,
        clean: bool,
        will: Option<hermod_codec::Will>,
    ) -> (Client, bool) {
        let mut connect = Connect::new(version, MqttString::new(id).unwrap());
        connect.clean_start = clean;
        connect.will = will;
        if version.is_v5() && !clean {
            connect.properties.session_expiry_interval = Some(3600);
        }
        Client::connect_packet(address, connect)
    }

    /// Connects with exactly this CONNECT; returns the client and Session Present.
    pub(crate) fn connect_packet(address: SocketAddr, connect: Connect) -> (Client, bool) {
        let version = connect.protocol;
        let stream = TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(STEP)).unwrap();
        let mut client = Client {
            stream,
            decoder: Decoder::with_version(Role::Client, version),
            version,
            read: BytesMut::with_capacity(64 * 1024),
        };
        client.send(&Packet::Connect(Box::new(connect)));
        match client.next() {
            Some(Packet::ConnAck(connack)) => {
                assert!(connack.reason.is_success(), "{connack:?}");
                (client, connack.session_present)
            }
            other => panic!("expected CONNACK, got {other:?}"),
        }
    }

    pub(crate) fn send(&mut self, packet: &Packet) -> bool {
        let mut out = BytesMut::new();
        packet.encode(self.version, &mut out).unwrap();
        self.stream.write_all(&out).is_ok()
    }

    /// The next packet; `None` when the connection ends (or the read times out).
    pub(crate) fn next(&mut self) -> Option<Packet> {
        loop {
            if let Some(packet) = self.decoder.decode(&mut self.read).unwrap() {
                return Some(packet);
            }
            let mut buffer = [0u8; 16 * 1024];
            match self.stream.read(&mut buffer) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.read.extend_from_slice(&buffer[..n]),
            }
        }
    }
}
