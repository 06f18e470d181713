"""Fixtures for the paho-mqtt interoperability suite.

`broker_port` starts the real broker (the `hermod-test-broker` helper binary of hermod-server)
on an ephemeral loopback port for each test and stops it afterwards. The binary comes from
`HERMOD_TEST_BROKER` when set (that is how `cargo test` runs this suite, see
crates/hermod-server/tests/paho.rs); otherwise `cargo run` builds and starts it.

`mqtt_client` makes connected paho clients (see `TestClient`) that are stopped at teardown.
Every wait is bounded by `WAIT`; nothing sleeps to synchronise.
"""

import os
import pathlib
import queue
import socket
import subprocess
import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

# How long any single wait may take before the test fails (seconds).
WAIT = 10.0
# How long the broker may take to print its port: building it with `cargo run` can be slow.
START_WAIT_BINARY = 30.0
START_WAIT_CARGO = 600.0

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def _broker_command():
    binary = os.environ.get("HERMOD_TEST_BROKER")
    if binary:
        return [binary], START_WAIT_BINARY
    command = ["cargo", "run", "-q", "-p", "hermod-server", "--bin", "hermod-test-broker"]
    return command, START_WAIT_CARGO


@pytest.fixture
def broker_port():
    """Starts a fresh broker, yields its port, and stops it (only the process started here)."""
    command, start_wait = _broker_command()
    # The broker serves until its stdin closes: closing our end stops it, and it also stops
    # if this process dies. `cargo run` passes the pipe on to the binary.
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    first_line = []
    read = threading.Event()

    def read_port():
        first_line.append(process.stdout.readline())
        read.set()

    threading.Thread(target=read_port, daemon=True).start()
    try:
        if not read.wait(start_wait):
            raise AssertionError(f"{command} printed no port within {start_wait} s")
        line = first_line[0].strip()
        if not line.startswith("LISTENING "):
            raise AssertionError(
                f"{command} did not start (exit code {process.poll()}); first line: {line!r}"
            )
        yield int(line.split()[1])
    finally:
        _stop(process)
    assert process.returncode == 0, f"broker exited with {process.returncode}"


def _stop(process):
    try:
        process.stdin.close()
    except OSError:
        pass
    try:
        process.wait(timeout=WAIT)
        return
    except subprocess.TimeoutExpired:
        pass
    process.terminate()
    try:
        process.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=WAIT)


class TestClient:
    """A paho client running its network loop in a thread, with bounded waits on what the
    broker sends: CONNACK, SUBACK, incoming messages (a queue) and the end of the
    connection."""

    __test__ = False  # not a test class

    def __init__(self, port, client_id, protocol, inbox=None):
        self.port = port
        self.name = client_id
        self.protocol = protocol
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=protocol,
            clean_session=None if protocol == mqtt.MQTTv5 else True,
        )
        # Messages arrive as (client name, MQTTMessage); tests may share one inbox.
        self.inbox = inbox if inbox is not None else queue.Queue()
        self.connected = threading.Event()
        self.connect_result = None
        self.disconnected = threading.Event()
        self._acks = {}
        self._acks_changed = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    # -- callbacks (network thread) --------------------------------------------------------------

    def _on_connect(self, _client, _userdata, flags, reason_code, properties):
        self.connect_result = (flags, reason_code, properties)
        self.connected.set()

    def _on_disconnect(self, _client, _userdata, _flags, _reason_code, _properties):
        self.disconnected.set()

    def _on_subscribe(self, _client, _userdata, mid, reason_codes, _properties):
        with self._acks_changed:
            self._acks[mid] = reason_codes
            self._acks_changed.notify_all()

    def _on_message(self, _client, _userdata, message):
        self.inbox.put((self.name, message))

    # -- actions ---------------------------------------------------------------------------------

    def connect(self, properties=None):
        if self.protocol == mqtt.MQTTv5:
            self.client.connect(
                "127.0.0.1", self.port, keepalive=30, clean_start=True, properties=properties
            )
        else:
            self.client.connect("127.0.0.1", self.port, keepalive=30)
        self.client.loop_start()
        assert self.connected.wait(WAIT), f"{self.name}: no CONNACK within {WAIT} s"
        _flags, reason_code, _properties = self.connect_result
        assert not reason_code.is_failure, f"{self.name}: CONNECT refused: {reason_code}"
        return self

    def subscribe(self, topic, qos=2, options=None):
        """Subscribes and waits for the SUBACK; returns its reason codes."""
        if options is not None:
            result, mid = self.client.subscribe(topic, options=options)
        else:
            result, mid = self.client.subscribe(topic, qos=qos)
        assert result == mqtt.MQTT_ERR_SUCCESS, f"{self.name}: subscribe failed: {result}"
        with self._acks_changed:
            done = self._acks_changed.wait_for(lambda: mid in self._acks, timeout=WAIT)
            assert done, f"{self.name}: no SUBACK for {topic!r} within {WAIT} s"
            codes = self._acks.pop(mid)
        for code in codes:
            assert not code.is_failure, f"{self.name}: subscription to {topic!r} refused: {code}"
        return codes

    def publish(self, topic, payload, qos=0, retain=False, properties=None):
        """Publishes and waits until the QoS flow is complete (written, PUBACK or PUBCOMP)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        info.wait_for_publish(timeout=WAIT)
        assert info.is_published(), f"{self.name}: PUBLISH to {topic!r} not completed in time"

    def next_message(self):
        """The next message delivered to this client's inbox."""
        try:
            return self.inbox.get(timeout=WAIT)[1]
        except queue.Empty:
            raise AssertionError(f"{self.name}: no message within {WAIT} s") from None

    def disconnect(self):
        """A normal disconnection (DISCONNECT, then close)."""
        self.client.disconnect()
        assert self.disconnected.wait(WAIT), f"{self.name}: disconnect did not complete"
        self.client.loop_stop()

    def drop(self):
        """Closes the TCP connection without DISCONNECT (an abnormal disconnection)."""
        self.client.loop_stop()
        sock = self.client.socket()
        assert sock is not None, f"{self.name}: not connected"
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()

    def disconnect_and_wait_for_close(self):
        """Sends DISCONNECT and waits until the broker closes the connection, which proves the
        broker has handled the DISCONNECT. paho closes its socket right after sending
        DISCONNECT, so this writes the two bytes itself on paho's socket and half-closes it."""
        self.client.loop_stop()
        sock = self.client.socket()
        assert sock is not None, f"{self.name}: not connected"
        sock.settimeout(WAIT)
        try:
            sock.sendall(b"\xe0\x00")  # DISCONNECT, normal disconnection
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(4096):
                pass
        except socket.timeout:
            raise AssertionError(f"{self.name}: the broker did not close in time") from None
        finally:
            sock.close()

    def stop(self):
        if self.client.is_connected():
            # DISCONNECT also wakes the network thread, so loop_stop need not wait for its
            # select timeout.
            self.client.disconnect()
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


@pytest.fixture
def mqtt_client(broker_port):
    """Makes clients of the test's broker: `mqtt_client(client_id, protocol, **options)` returns
    an unconnected `TestClient`; all are stopped at teardown."""
    clients = []

    def make(client_id, protocol=mqtt.MQTTv5, inbox=None):
        client = TestClient(broker_port, client_id, protocol, inbox=inbox)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.stop()
