//! Criterion benchmarks of the codec's hot path: PUBLISH decode and encode at three payload
//! sizes, and decoding a 64 KiB read buffer full of small PUBLISH packets (the batched case a
//! connection sees under load).

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hermod_codec::{Decoder, Packet, PacketId, ProtocolVersion, Publish, QoS, Role, TopicName};

const PAYLOAD_SIZES: [usize; 3] = [16, 256, 4096];
const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V3_1_1, ProtocolVersion::V5];

fn publish(payload_size: usize, qos: QoS) -> Packet {
    let topic = match TopicName::from_static("sensors/building-7/floor-3/temperature") {
        Ok(topic) => topic,
        Err(error) => panic!("benchmark topic is valid: {error}"),
    };
    let mut publish = Publish::new(topic, Bytes::from(vec![0x5A; payload_size]));
    publish.qos = qos;
    publish.packet_id = (qos != QoS::AtMostOnce).then_some(PacketId::MIN);
    Packet::Publish(publish)
}

fn encoded(packet: &Packet, version: ProtocolVersion) -> Bytes {
    match packet.encode_to_bytes(version) {
        Ok(bytes) => bytes,
        Err(error) => panic!("benchmark packet encodes: {error}"),
    }
}

fn decode_publish(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_publish");
    for version in VERSIONS {
        for size in PAYLOAD_SIZES {
            let wire = encoded(&publish(size, QoS::AtLeastOnce), version);
            group.throughput(Throughput::Elements(1));
            group.bench_with_input(
                BenchmarkId::new(format!("v{version}"), size),
                &wire,
                |b, wire| {
                    let mut decoder = Decoder::with_version(Role::Server, version);
                    b.iter(|| {
                        // Copying the wire bytes into the read buffer is what a socket read does.
                        let mut buf = BytesMut::from(&wire[..]);
                        black_box(decoder.decode(&mut buf).ok().flatten())
                    });
                },
            );
        }
    }
    group.finish();
}

fn encode_publish(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode_publish");
    for version in VERSIONS {
        for size in PAYLOAD_SIZES {
            let packet = publish(size, QoS::AtLeastOnce);
            group.throughput(Throughput::Elements(1));
            group.bench_with_input(
                BenchmarkId::new(format!("v{version}"), size),
                &packet,
                |b, packet| {
                    let mut buf = BytesMut::with_capacity(8192);
                    b.iter(|| {
                        buf.clear();
                        black_box(packet.encode(version, &mut buf).is_ok())
                    });
                },
            );
        }
    }
    group.finish();
}

fn decode_batched(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_batched_64k");
    for version in VERSIONS {
        let one = encoded(&publish(16, QoS::AtMostOnce), version);
        let count = 64 * 1024 / one.len();
        let mut batch = BytesMut::with_capacity(count * one.len());
        for _ in 0..count {
            batch.extend_from_slice(&one);
        }
        let batch = batch.freeze();
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("v{version}"), format!("{count}x{}B", one.len())),
            &batch,
            |b, batch| {
                let mut decoder = Decoder::with_version(Role::Server, version);
                b.iter(|| {
                    let mut buf = BytesMut::from(&batch[..]);
                    let mut decoded = 0usize;
                    while let Ok(Some(packet)) = decoder.decode(&mut buf) {
                        black_box(&packet);
                        decoded += 1;
                    }
                    assert_eq!(decoded, count);
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, decode_publish, encode_publish, decode_batched);
criterion_main!(benches);
