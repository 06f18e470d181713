//! The command-line options of `hermod pub` and `hermod sub`, named as in mosquitto_pub and
//! mosquitto_sub.

use std::path::PathBuf;

use clap::{ArgAction, Args, ValueEnum};
use hermod_codec::ProtocolVersion;

/// The protocol version flag's values (`-V`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum VersionArg {
    /// MQTT 3.1.1 (the default).
    Mqttv311,
    /// MQTT 5.0.
    Mqttv5,
    /// MQTT 3.1.
    Mqttv31,
}

impl VersionArg {
    /// The codec's protocol version.
    pub(crate) fn protocol(self) -> ProtocolVersion {
        match self {
            VersionArg::Mqttv311 => ProtocolVersion::V3_1_1,
            VersionArg::Mqttv5 => ProtocolVersion::V5,
            VersionArg::Mqttv31 => ProtocolVersion::V3_1,
        }
    }
}

/// Where to connect, for `pub`, `sub` and `bench`. `-h` is the host, as in mosquitto_pub, so
/// help is `--help` only.
#[derive(Debug, Args)]
pub(crate) struct BrokerArgs {
    /// Print help (`-h` is the host, as in mosquitto_pub).
    #[arg(long, action = ArgAction::Help)]
    pub(crate) help: Option<bool>,
    /// Broker host name or address.
    #[arg(short = 'h', long, default_value = "127.0.0.1")]
    pub(crate) host: String,
    /// Broker port.
    #[arg(short, long, default_value_t = 1883)]
    pub(crate) port: u16,
    /// MQTT protocol version.
    #[arg(short = 'V', long, value_enum, default_value = "mqttv311")]
    pub(crate) protocol_version: VersionArg,
}

impl BrokerArgs {
    /// `host:port`.
    pub(crate) fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Options shared by `pub` and `sub`: where to connect and the CONNECT packet.
#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    /// Broker address and protocol version.
    #[command(flatten)]
    pub(crate) broker: BrokerArgs,
    /// Client identifier; default "hermod-pub-PID" or "hermod-sub-PID".
    #[arg(short, long)]
    pub(crate) id: Option<String>,
    /// User name.
    #[arg(short, long)]
    pub(crate) username: Option<String>,
    /// Password.
    #[arg(short = 'P', long)]
    pub(crate) pw: Option<String>,
    /// Keep alive interval in seconds (0: none); a PINGREQ goes out when the connection is
    /// idle this long.
    #[arg(short, long, default_value_t = 60)]
    pub(crate) keepalive: u16,
    /// Keep the session after disconnecting (clean session / clean start off).
    #[arg(short = 'c', long)]
    pub(crate) disable_clean_session: bool,
    /// MQTT 5.0 session expiry interval in seconds (with -c; default: never with -c, else 0).
    #[arg(short = 'x', long, value_name = "SECONDS")]
    pub(crate) session_expiry: Option<u32>,
    /// Seconds to wait for the TCP connection and the CONNACK (and each acknowledgement).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub(crate) connect_timeout: u64,
    /// Print protocol events (connected, subscribed, published) on standard error.
    #[arg(short, long)]
    pub(crate) debug: bool,
    /// The will: the topic it is published to when the connection ends abnormally.
    #[arg(long, value_name = "TOPIC")]
    pub(crate) will_topic: Option<String>,
    /// The will's payload.
    #[arg(long, value_name = "PAYLOAD", requires = "will_topic")]
    pub(crate) will_payload: Option<String>,
    /// The will's QoS.
    #[arg(long, value_name = "QOS", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2), requires = "will_topic")]
    pub(crate) will_qos: u8,
    /// Retain the will.
    #[arg(long, requires = "will_topic")]
    pub(crate) will_retain: bool,
}

/// MQTT 5.0 properties of a published message.
#[derive(Debug, Args)]
pub(crate) struct PublishPropertyArgs {
    /// A user property (MQTT 5.0); repeat for more.
    #[arg(long, num_args = 2, value_names = ["KEY", "VALUE"], action = ArgAction::Append)]
    pub(crate) user_property: Vec<String>,
    /// Message expiry interval in seconds (MQTT 5.0).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) message_expiry: Option<u32>,
    /// Response topic (MQTT 5.0).
    #[arg(long, value_name = "TOPIC")]
    pub(crate) response_topic: Option<String>,
    /// Correlation data (MQTT 5.0), as text.
    #[arg(long, value_name = "DATA")]
    pub(crate) correlation_data: Option<String>,
    /// Content type (MQTT 5.0).
    #[arg(long, value_name = "TYPE")]
    pub(crate) content_type: Option<String>,
}

impl PublishPropertyArgs {
    /// Whether any MQTT 5-only property is set.
    pub(crate) fn any(&self) -> bool {
        !self.user_property.is_empty()
            || self.message_expiry.is_some()
            || self.response_topic.is_some()
            || self.correlation_data.is_some()
            || self.content_type.is_some()
    }
}

/// `hermod pub`: publish one message, a file, or each line of standard input.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["message", "file", "stdin_line", "null_message"])))]
pub(crate) struct PubArgs {
    /// Connection options.
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
    /// Topic to publish to.
    #[arg(short, long)]
    pub(crate) topic: String,
    /// Quality of service (0, 1 or 2).
    #[arg(short, long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub(crate) qos: u8,
    /// Retain the message.
    #[arg(short, long)]
    pub(crate) retain: bool,
    /// The message payload.
    #[arg(short, long)]
    pub(crate) message: Option<String>,
    /// Send the contents of a file as the message.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    /// Read standard input and send each line (without its line ending) as a message.
    #[arg(short = 'l', long)]
    pub(crate) stdin_line: bool,
    /// Send an empty message (with -r: clears the retained message).
    #[arg(short, long)]
    pub(crate) null_message: bool,
    /// MQTT 5.0 properties.
    #[command(flatten)]
    pub(crate) properties: PublishPropertyArgs,
}

/// `hermod sub`: subscribe and print messages.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub(crate) struct SubArgs {
    /// Connection options.
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
    /// Topic filter to subscribe to; repeat for more.
    #[arg(short, long = "topic", required = true)]
    pub(crate) topics: Vec<String>,
    /// Maximum quality of service requested (0, 1 or 2).
    #[arg(short, long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub(crate) qos: u8,
    /// Exit after this many messages.
    #[arg(short = 'C', long, value_name = "N")]
    pub(crate) count: Option<u64>,
    /// Exit after this many seconds, with exit status 27 (as mosquitto_sub) and a message on
    /// standard error, unless -C messages arrived first.
    #[arg(short = 'W', long, value_name = "SECONDS")]
    pub(crate) timeout: Option<u64>,
    /// Print "topic payload" instead of the payload alone.
    #[arg(short, long, conflicts_with = "json")]
    pub(crate) verbose: bool,
    /// Print one JSON object per message: topic, qos, retain, payload (UTF-8 text, or base64
    /// with "payload_encoding": "base64") and, for MQTT 5.0, properties.
    #[arg(long)]
    pub(crate) json: bool,
    /// User properties sent with CONNECT (MQTT 5.0); repeat for more.
    #[arg(long, num_args = 2, value_names = ["KEY", "VALUE"], action = ArgAction::Append)]
    pub(crate) user_property: Vec<String>,
}
