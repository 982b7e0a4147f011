//! Block encode, decode (validation), and seek within a block.
//!
//! Run: `cargo bench -p shale-sstable --bench block -- --warm-up-time 1 --measurement-time 3`

// criterion_group! generates a public function without a doc comment.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shale_sstable::bench_internals::{Block, BlockBuilder, BlockCursor};
use shale_sstable::ValueKind;

/// YCSB-like keys (`user` + 19 digits) with 100-byte values: ~30 entries per 4 KiB block.
fn entries() -> Vec<(Vec<u8>, u64, Vec<u8>)> {
    (0..30u64)
        .map(|i| {
            let key = format!("user{:019}", i * 7_919_993).into_bytes();
            (key, 1_000 + i, vec![b'v'; 100])
        })
        .collect()
}

fn encode(entries: &[(Vec<u8>, u64, Vec<u8>)]) -> Vec<u8> {
    let mut b = BlockBuilder::new(16);
    for (k, s, v) in entries {
        b.add(k, *s, ValueKind::Put, v);
    }
    b.finish()
}

fn bench_block(c: &mut Criterion) {
    let es = entries();
    let payload = encode(&es);
    let mut g = c.benchmark_group("block");
    g.throughput(Throughput::Bytes(payload.len() as u64));
    g.bench_function("encode_4k", |b| {
        b.iter(|| black_box(encode(black_box(&es))))
    });
    g.bench_function("parse_validate_4k", |b| {
        b.iter(|| black_box(Block::parse(black_box(payload.clone())).unwrap()))
    });
    let block = Arc::new(Block::parse(payload.clone()).unwrap());
    g.bench_function("scan_forward_4k", |b| {
        b.iter(|| {
            let mut c = BlockCursor::new(block.clone());
            c.seek_to_first().unwrap();
            let mut n = 0;
            while c.valid() {
                n += c.value().len();
                c.next().unwrap();
            }
            black_box(n)
        })
    });
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("seek_in_block", |b| {
        let mut c = BlockCursor::new(block.clone());
        b.iter(|| {
            i = (i + 7) % es.len();
            c.seek(&es[i].0, u64::MAX).unwrap();
            black_box(c.seq())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_block);
criterion_main!(benches);
