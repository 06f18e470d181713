//! `hermod pub` and `hermod sub`: the everyday command-line clients, on [`crate::client`].
//!
//! Exit status: 0 on success; 1 on any error (connection refused by the OS, CONNACK refusal
//! with its reason code name, protocol error, a missing acknowledgement); 27 when the time of
//! `sub -W` runs out (before `-C` messages arrived, when -C is given), as mosquitto_sub does.

pub(crate) mod args;
mod output;

use std::io::{BufRead as _, Write as _};
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use hermod_codec::{
    Connect, MqttString, Publish, QoS, SubscriptionOptions, TopicFilter, TopicName, UserProperty,
    Will,
};

use crate::client::Client;
use args::{ConnectArgs, PubArgs, SubArgs};

/// The exit status of `sub -W` running out before the messages it waits for arrived.
pub(crate) const TIMEOUT_EXIT_STATUS: u8 = 27;

/// The error `sub -W` ends with when its time runs out; `main` maps it to
/// [`TIMEOUT_EXIT_STATUS`].
#[derive(Debug, thiserror::Error)]
#[error("timed out after {seconds} s: {received} message(s) received")]
pub(crate) struct SubTimedOut {
    /// The -W value.
    pub(crate) seconds: u64,
    /// Messages received before the timeout.
    pub(crate) received: u64,
}

/// Runs `hermod pub`.
pub(crate) fn publish(args: &PubArgs) -> anyhow::Result<()> {
    runtime()?.block_on(run_pub(args))
}

/// Runs `hermod sub`.
pub(crate) fn subscribe(args: &SubArgs) -> anyhow::Result<()> {
    runtime()?.block_on(run_sub(args))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn qos(value: u8) -> QoS {
    QoS::from_bits(value).unwrap_or(QoS::AtMostOnce)
}

/// Pairs of the flattened `KEY VALUE KEY VALUE ...` list.
fn user_properties(flat: &[String]) -> anyhow::Result<Vec<UserProperty>> {
    flat.chunks(2)
        .map(|pair| match pair {
            [key, value] => UserProperty::new(key, value)
                .with_context(|| format!("invalid user property {key:?}")),
            _ => bail!("--user-property needs a KEY and a VALUE"),
        })
        .collect()
}

/// Builds the CONNECT packet from the shared options.
fn connect_packet(
    args: &ConnectArgs,
    role: &str,
    users: Vec<UserProperty>,
) -> anyhow::Result<Connect> {
    let version = args.broker.protocol_version.protocol();
    let id = match &args.id {
        Some(id) => id.clone(),
        None => format!("hermod-{role}-{}", std::process::id()),
    };
    let client_id = MqttString::new(&id).context("invalid client id")?;
    let mut connect = Connect::new(version, client_id);
    connect.keep_alive = args.keepalive;
    if !version.is_v5() && (args.session_expiry.is_some() || !users.is_empty()) {
        bail!("--session-expiry and --user-property need -V mqttv5");
    }
    hermod_bench::SessionOptions {
        clean_start: !args.disable_clean_session,
        session_expiry: args.session_expiry,
        username: args.username.clone(),
        password: args.pw.clone(),
    }
    .apply(&mut connect)
    .context("invalid user name")?;
    connect.properties.user_properties = users;
    if let Some(topic) = &args.will_topic {
        let payload = args.will_payload.clone().unwrap_or_default();
        connect.will = Some(Will {
            topic: TopicName::new(topic).context("invalid will topic")?,
            payload: Bytes::from(payload.into_bytes()),
            qos: qos(args.will_qos),
            retain: args.will_retain,
            properties: Default::default(),
        });
    }
    Ok(connect)
}

/// Connects as the shared options say; the error names the reason of a refusal.
async fn connect(args: &ConnectArgs, packet: Connect) -> anyhow::Result<Client> {
    let address = args.broker.address();
    let timeout = Duration::from_secs(args.connect_timeout.max(1));
    let (client, connack) = Client::connect(&address, packet, timeout).await?;
    if args.debug {
        eprintln!(
            "connected to {address} (session present: {})",
            connack.session_present
        );
    }
    Ok(client)
}

/// `hermod pub`: connect, publish each message, disconnect.
async fn run_pub(args: &PubArgs) -> anyhow::Result<()> {
    let version = args.connect.broker.protocol_version.protocol();
    if args.properties.any() && !version.is_v5() {
        bail!("MQTT 5.0 properties need -V mqttv5");
    }
    let topic = TopicName::new(&args.topic).context("invalid topic")?;
    let template = message_template(args, topic)?;
    let packet = connect_packet(&args.connect, "pub", Vec::new())?;
    let mut client = connect(&args.connect, packet).await?;
    if args.stdin_line {
        publish_lines(&mut client, &template, args.connect.debug).await?;
    } else {
        let payload = if let Some(message) = &args.message {
            Bytes::from(message.clone().into_bytes())
        } else if let Some(path) = &args.file {
            let data =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            Bytes::from(data)
        } else {
            Bytes::new()
        };
        send(&mut client, &template, payload, args.connect.debug).await?;
    }
    client.disconnect().await?;
    Ok(())
}

/// The message without its payload: topic, QoS, retain and properties.
fn message_template(args: &PubArgs, topic: TopicName) -> anyhow::Result<Publish> {
    let mut publish = Publish::new(topic, Bytes::new());
    publish.qos = qos(args.qos);
    publish.retain = args.retain;
    let props = &args.properties;
    publish.properties.message_expiry_interval = props.message_expiry;
    let users = user_properties(&props.user_property)?;
    if !users.is_empty() {
        publish.properties.metadata_mut().user_properties = users;
    }
    if let Some(topic) = &props.response_topic {
        publish.properties.metadata_mut().response_topic =
            Some(TopicName::new(topic).context("invalid response topic")?);
    }
    if let Some(data) = &props.correlation_data {
        publish.properties.metadata_mut().correlation_data =
            Some(Bytes::from(data.clone().into_bytes()));
    }
    if let Some(content_type) = &props.content_type {
        publish.properties.metadata_mut().content_type =
            Some(MqttString::new(content_type).context("invalid content type")?);
    }
    Ok(publish)
}

async fn send(
    client: &mut Client,
    template: &Publish,
    payload: Bytes,
    debug: bool,
) -> anyhow::Result<()> {
    let mut publish = template.clone();
    publish.payload = payload;
    let size = publish.payload.len();
    client.publish(publish).await?;
    if debug {
        eprintln!(
            "published {size} bytes to {} (QoS {})",
            template.topic.as_str(),
            template.qos.bits()
        );
    }
    Ok(())
}

/// Publishes each line of standard input; a reader thread feeds them in so the connection
/// keeps pinging while standard input is idle.
async fn publish_lines(client: &mut Client, template: &Publish, debug: bool) -> anyhow::Result<()> {
    let (lines_tx, mut lines) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(64);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        loop {
            let mut line = Vec::new();
            let result = stdin.read_until(b'\n', &mut line);
            let done = matches!(result, Ok(0) | Err(_));
            if matches!(result, Ok(0)) {
                return;
            }
            if line.ends_with(b"\n") {
                line.pop();
                if line.ends_with(b"\r") {
                    line.pop();
                }
            }
            if lines_tx.blocking_send(result.map(|_| line)).is_err() || done {
                return;
            }
        }
    });
    loop {
        let ping_at = client.ping_due_at();
        tokio::select! {
            line = lines.recv() => match line {
                None => return Ok(()),
                Some(line) => {
                    let line = line.context("cannot read standard input")?;
                    send(client, template, Bytes::from(line), debug).await?;
                }
            },
            () = sleep_until(ping_at) => client.ping().await?,
        }
    }
}

/// Sleeps until `at`, or forever for `None`.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// `hermod sub`: connect, subscribe, print messages until -C or -W says stop (or forever).
async fn run_sub(args: &SubArgs) -> anyhow::Result<()> {
    let filters = args
        .topics
        .iter()
        .map(|topic| {
            TopicFilter::new(topic).with_context(|| format!("invalid topic filter {topic:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let users = user_properties(&args.user_property)?;
    let packet = connect_packet(&args.connect, "sub", users)?;
    let deadline = args
        .timeout
        .map(|seconds| tokio::time::Instant::now() + Duration::from_secs(seconds));
    let mut received = 0;
    match deadline {
        Some(deadline) => {
            match tokio::time::timeout_at(deadline, receive(args, filters, packet, &mut received))
                .await
            {
                Ok(result) => result,
                Err(_) => Err(SubTimedOut {
                    seconds: args.timeout.unwrap_or_default(),
                    received,
                }
                .into()),
            }
        }
        None => receive(args, filters, packet, &mut received).await,
    }
}

/// Connects, subscribes and prints messages until `-C` of them arrived (forever without it).
async fn receive(
    args: &SubArgs,
    filters: Vec<TopicFilter>,
    packet: Connect,
    received: &mut u64,
) -> anyhow::Result<()> {
    let mut client = connect(&args.connect, packet).await?;
    let v5 = client.version().is_v5();
    let options = SubscriptionOptions::with_qos(qos(args.qos));
    let granted = client.subscribe(&filters, options).await?;
    if args.connect.debug {
        let granted: Vec<String> = granted.iter().map(|code| code.to_string()).collect();
        eprintln!("subscribed ({})", granted.join(", "));
    }
    let mut stdout = std::io::stdout();
    while args.count.is_none_or(|count| *received < count) {
        let publish = client.next_message().await?;
        let line = output::format(&publish, args.verbose, args.json, v5);
        stdout
            .write_all(&line)
            .and_then(|()| stdout.flush())
            .context("cannot write to standard output")?;
        *received += 1;
    }
    client.disconnect().await?;
    Ok(())
}
