//! Memtable micro-benchmarks: insert into and point-read from the concurrent skip list.
//! Run: `cargo bench -p shale-engine --bench lsm_memtable -- --warm-up-time 1 --measurement-time 3`

// criterion_group! generates a public function without a doc comment.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use shale_engine::lsm::entry::EntryKind;
use shale_engine::lsm::memtable::Memtable;

const KEYS: u64 = 100_000;
const VALUE: [u8; 100] = [7u8; 100];

/// A scrambled key so inserts land all over the skip list (as random writes do).
fn key(i: u64) -> [u8; 16] {
    let h = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&h.to_be_bytes());
    k[8..].copy_from_slice(&i.to_be_bytes());
    k
}

/// YCSB's key shape, `"user"` and a decimal hash: only four digits fit in the first
/// eight bytes, so keys tie there more often than the scrambled ones above.
fn ycsb_key(i: u64) -> Vec<u8> {
    format!("user{}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 1).into_bytes()
}

fn filled() -> Memtable {
    let m = Memtable::new();
    for i in 0..KEYS {
        m.insert(&key(i), i + 1, EntryKind::Put, &VALUE);
    }
    m
}

fn bench(c: &mut Criterion) {
    c.bench_function("memtable_insert_100k_random_16B_key_100B_value", |b| {
        b.iter_batched(
            Memtable::new,
            |m| {
                for i in 0..KEYS {
                    m.insert(&key(i), i + 1, EntryKind::Put, &VALUE);
                }
                m
            },
            BatchSize::PerIteration,
        );
    });
    let ycsb_keys: Vec<Vec<u8>> = (0..KEYS).map(ycsb_key).collect();
    c.bench_function("memtable_insert_100k_ycsb_key_100B_value", |b| {
        b.iter_batched(
            Memtable::new,
            |m| {
                for (i, k) in (0..KEYS).zip(&ycsb_keys) {
                    m.insert(k, i + 1, EntryKind::Put, &VALUE);
                }
                m
            },
            BatchSize::PerIteration,
        );
    });
    let m = filled();
    let mut i = 0u64;
    c.bench_function("memtable_get_hit_in_100k", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            black_box(m.get(&key(i), u64::MAX))
        });
    });
    c.bench_function("memtable_get_miss_in_100k", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            black_box(m.get(&key(i + KEYS), u64::MAX))
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
