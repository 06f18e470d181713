"""The broker driven by paho-mqtt 2.x clients, MQTT 3.1.1 and 5.0."""

import queue
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from conftest import WAIT

VERSIONS = [pytest.param(mqtt.MQTTv311, id="v311"), pytest.param(mqtt.MQTTv5, id="v5")]


def unique(prefix):
    """A topic prefix no other test uses."""
    return f"{prefix}/{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("protocol", VERSIONS)
def test_publish_round_trip(mqtt_client, protocol, qos):
    """Subscribe, publish at QoS 0/1/2, and receive in order at the published QoS."""
    base = unique("rt")
    subscriber = mqtt_client("rt-sub", protocol).connect()
    codes = subscriber.subscribe(f"{base}/#", qos=2)
    assert [code.value for code in codes] == [2]
    publisher = mqtt_client("rt-pub", protocol).connect()
    payloads = [f"message {n} at qos {qos}".encode() for n in range(3)]
    for payload in payloads:
        publisher.publish(f"{base}/data", payload, qos=qos)
    for payload in payloads:
        message = subscriber.next_message()
        assert message.topic == f"{base}/data"
        assert message.payload == payload
        assert message.qos == qos
        assert not message.retain


@pytest.mark.parametrize("publisher_protocol", VERSIONS)
def test_messages_cross_protocol_versions(mqtt_client, publisher_protocol):
    """A 3.1.1 publisher reaches a 5.0 subscriber and the other way round; the granted QoS
    caps the delivery QoS."""
    base = unique("cross")
    other = mqtt.MQTTv5 if publisher_protocol == mqtt.MQTTv311 else mqtt.MQTTv311
    subscriber = mqtt_client("cross-sub", other).connect()
    subscriber.subscribe(f"{base}/+", qos=1)
    publisher = mqtt_client("cross-pub", publisher_protocol).connect()
    publisher.publish(f"{base}/x", b"hello", qos=2)
    message = subscriber.next_message()
    assert (message.topic, message.payload, message.qos) == (f"{base}/x", b"hello", 1)


@pytest.mark.parametrize("protocol", VERSIONS)
def test_retained_message_reaches_a_later_subscriber(mqtt_client, protocol):
    """A retained message is stored and sent (retain flag set) to a later subscriber; an empty
    retained message clears it."""
    base = unique("retained")
    publisher = mqtt_client("ret-pub", protocol).connect()
    # QoS 1: the PUBACK comes after the broker stored the message.
    publisher.publish(f"{base}/kept", b"kept", qos=1, retain=True)
    publisher.publish(f"{base}/cleared", b"gone soon", qos=1, retain=True)
    publisher.publish(f"{base}/cleared", b"", qos=1, retain=True)

    subscriber = mqtt_client("ret-sub", protocol).connect()
    subscriber.subscribe(f"{base}/#", qos=1)
    # Retained messages are queued when the subscription is made, so they come before a
    # live message published after the SUBACK.
    publisher.publish(f"{base}/live", b"live", qos=1)
    received = []
    while True:
        message = subscriber.next_message()
        received.append((message.topic, message.payload, bool(message.retain)))
        if message.topic == f"{base}/live":
            break
    assert received == [(f"{base}/kept", b"kept", True), (f"{base}/live", b"live", False)]


@pytest.mark.parametrize("protocol", VERSIONS)
def test_will_is_published_on_abnormal_disconnect(mqtt_client, protocol):
    """The will is published when the connection drops without DISCONNECT (MQTT-3.1.2-8)."""
    base = unique("will")
    watcher = mqtt_client("will-watcher", protocol).connect()
    watcher.subscribe(f"{base}/#", qos=1)

    dying = mqtt_client("will-dying", protocol)
    will_properties = None
    if protocol == mqtt.MQTTv5:
        will_properties = Properties(PacketTypes.WILLMESSAGE)
        will_properties.UserProperty = [("reason", "crash")]
    dying.client.will_set(
        f"{base}/status", b"offline", qos=1, retain=False, properties=will_properties
    )
    dying.connect()
    dying.drop()

    message = watcher.next_message()
    assert (message.topic, message.payload, message.qos) == (f"{base}/status", b"offline", 1)
    if protocol == mqtt.MQTTv5:
        assert message.properties.UserProperty == [("reason", "crash")]


@pytest.mark.parametrize("protocol", VERSIONS)
def test_will_is_not_published_on_normal_disconnect(mqtt_client, protocol):
    """A normal DISCONNECT discards the will (MQTT-3.1.2-10): once the broker has closed the
    leaving client's connection, the next message the watcher sees is a live one."""
    base = unique("nowill")
    watcher = mqtt_client("nowill-watcher", protocol).connect()
    watcher.subscribe(f"{base}/#", qos=1)
    leaving = mqtt_client("nowill-leaving", protocol)
    leaving.client.will_set(f"{base}/status", b"offline", qos=1)
    leaving.connect()
    leaving.disconnect_and_wait_for_close()
    publisher = mqtt_client("nowill-publisher", protocol).connect()
    publisher.publish(f"{base}/live", b"live", qos=1)
    message = watcher.next_message()
    assert (message.topic, message.payload) == (f"{base}/live", b"live")


def test_v5_user_properties_and_response_topic_pass_through(mqtt_client):
    """MQTT 5 request/response: user properties (order and duplicates kept), response topic,
    correlation data, content type and payload format reach the subscriber unchanged, and the
    responder's reply reaches the requester."""
    base = unique("reqresp")
    responder = mqtt_client("responder", mqtt.MQTTv5).connect()
    responder.subscribe(f"{base}/request", qos=1)
    requester = mqtt_client("requester", mqtt.MQTTv5).connect()
    requester.subscribe(f"{base}/reply", qos=1)

    request = Properties(PacketTypes.PUBLISH)
    request.UserProperty = [("k1", "v1"), ("k1", "v2"), ("k2", "ünïcode")]
    request.ResponseTopic = f"{base}/reply"
    request.CorrelationData = b"\x00\x01corr"
    request.ContentType = "application/json"
    request.PayloadFormatIndicator = 1
    request.MessageExpiryInterval = 600
    requester.publish(f"{base}/request", b'{"ask": 1}', qos=1, properties=request)

    message = responder.next_message()
    received = message.properties
    assert message.payload == b'{"ask": 1}'
    assert received.UserProperty == [("k1", "v1"), ("k1", "v2"), ("k2", "ünïcode")]
    assert received.ResponseTopic == f"{base}/reply"
    assert received.CorrelationData == b"\x00\x01corr"
    assert received.ContentType == "application/json"
    assert received.PayloadFormatIndicator == 1
    assert 0 < received.MessageExpiryInterval <= 600

    reply = Properties(PacketTypes.PUBLISH)
    reply.CorrelationData = received.CorrelationData
    reply.UserProperty = [("status", "ok")]
    responder.publish(received.ResponseTopic, b'{"answer": 42}', qos=1, properties=reply)
    answer = requester.next_message()
    assert answer.topic == f"{base}/reply"
    assert answer.payload == b'{"answer": 42}'
    assert answer.properties.CorrelationData == b"\x00\x01corr"
    assert answer.properties.UserProperty == [("status", "ok")]


def test_v5_properties_are_dropped_for_a_v311_subscriber(mqtt_client):
    """A 3.1.1 subscriber gets the message of a 5.0 publisher with properties, without them."""
    base = unique("strip")
    subscriber = mqtt_client("strip-sub", mqtt.MQTTv311).connect()
    subscriber.subscribe(f"{base}/t", qos=1)
    publisher = mqtt_client("strip-pub", mqtt.MQTTv5).connect()
    properties = Properties(PacketTypes.PUBLISH)
    properties.UserProperty = [("a", "b")]
    properties.ResponseTopic = f"{base}/reply"
    publisher.publish(f"{base}/t", b"plain", qos=1, properties=properties)
    message = subscriber.next_message()
    assert (message.topic, message.payload) == (f"{base}/t", b"plain")


def test_shared_subscription_splits_messages_between_members(mqtt_client):
    """`$share/g/t`: each message goes to exactly one member of the group, and both members
    get some (MQTT 5.0 section 4.8.2)."""
    base = unique("shared")
    inbox = queue.Queue()
    members = [
        mqtt_client(f"member-{n}", mqtt.MQTTv5, inbox=inbox).connect() for n in range(2)
    ]
    for member in members:
        member.subscribe(f"$share/g/{base}/jobs", qos=1)
    publisher = mqtt_client("shared-pub", mqtt.MQTTv5).connect()
    count = 20
    for n in range(count):
        publisher.publish(f"{base}/jobs", f"job {n}".encode(), qos=1)

    by_member = {member.name: [] for member in members}
    for _ in range(count):
        try:
            name, message = inbox.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"only {by_member} within {WAIT} s") from None
        assert message.topic == f"{base}/jobs"
        by_member[name].append(message.payload.decode())
    delivered = sorted(payload for payloads in by_member.values() for payload in payloads)
    assert delivered == sorted(f"job {n}" for n in range(count)), "each job exactly once"
    for name, payloads in by_member.items():
        assert payloads, f"{name} got no message: {by_member}"
    # Each member sees its share in publication order.
    for payloads in by_member.values():
        assert payloads == sorted(payloads, key=lambda p: int(p.split()[1]))
