//! Bloom filter build (insert) and probe at 10 bits/key.
//!
//! Run: `cargo bench -p shale-sstable --bench bloom -- --warm-up-time 1 --measurement-time 3`

// criterion_group! generates a public function without a doc comment.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shale_sstable::bench_internals::{build_filter, key_hash, BloomFilter};

const KEYS: u64 = 100_000;

fn key(i: u64) -> Vec<u8> {
    format!("user{:019}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).into_bytes()
}

fn bench_bloom(c: &mut Criterion) {
    let keys: Vec<Vec<u8>> = (0..KEYS).map(key).collect();
    let mut g = c.benchmark_group("bloom");
    g.throughput(Throughput::Elements(KEYS));
    g.bench_function("insert_100k_keys_10bpk", |b| {
        b.iter(|| {
            let hashes: Vec<u64> = keys.iter().map(|k| key_hash(k)).collect();
            black_box(build_filter(&hashes, 10))
        })
    });
    let hashes: Vec<u64> = keys.iter().map(|k| key_hash(k)).collect();
    let filter = BloomFilter::parse(build_filter(&hashes, 10)).unwrap();
    let absent: Vec<Vec<u8>> = (KEYS..2 * KEYS).map(key).collect();
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("probe_present", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(filter.may_contain(&keys[i]))
        })
    });
    g.bench_function("probe_absent", |b| {
        b.iter(|| {
            i = (i + 1) % absent.len();
            black_box(filter.may_contain(&absent[i]))
        })
    });
    g.finish();
}

criterion_group!(benches, bench_bloom);
criterion_main!(benches);
