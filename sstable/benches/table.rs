//! Whole-table read paths on the std backend (files in the page cache): point gets that
//! hit the block cache, gets the bloom filter rejects, and a full forward scan.
//!
//! Run: `scargo bench -p shale-sstable --bench table -- --warm-up-time 1 --measurement-time 3`

// criterion_group! generates a public function without a doc comment.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shale_io::{FileSystem, OpenMode, StdFs};
use shale_sstable::{BlockCache, Table, TableOptions, TableWriter, ValueKind};

/// 100k YCSB-sized entries (23-byte keys, 100-byte values): ~14 MB, ~3.4k blocks.
const ENTRIES: u64 = 100_000;

fn key(i: u64) -> Vec<u8> {
    format!("user{:019}", i * 7).into_bytes()
}

/// Inside the table's key range but never written (not a multiple of 7).
fn absent_key(i: u64) -> Vec<u8> {
    format!("user{:019}", i * 7 + 3).into_bytes()
}

fn bench_table(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let fs = StdFs::new();
    let path = dir.path().join("bench.sst");
    let file = fs.open(&path, OpenMode::CreateNew).unwrap();
    let mut w = TableWriter::new(file, path.clone(), TableOptions::default());
    for i in 0..ENTRIES {
        w.add(&key(i), 1, ValueKind::Put, &[b'v'; 100]).unwrap();
    }
    let meta = w.finish().unwrap();
    let cache = BlockCache::new(64 << 20);
    let file = fs.open(&path, OpenMode::Read).unwrap();
    let table = Arc::new(Table::open(file, path, 1, Some(cache)).unwrap());

    let mut g = c.benchmark_group("table");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("get_hit_cached", |b| {
        b.iter(|| {
            i = (i + 7919) % ENTRIES;
            black_box(table.get(&key(i), u64::MAX).unwrap())
        })
    });
    g.bench_function("get_absent_bloom", |b| {
        b.iter(|| {
            i = (i + 7919) % ENTRIES;
            black_box(table.get(&absent_key(i), u64::MAX).unwrap())
        })
    });
    let st = table.stats();
    assert!(st.bloom_negatives > st.bloom_positive_misses * 50, "{st:?}");
    g.throughput(Throughput::Bytes(meta.file_size_bytes));
    g.sample_size(10);
    g.bench_function("scan_all_cached", |b| {
        b.iter(|| {
            let mut it = table.iter();
            it.seek_to_first().unwrap();
            let mut n = 0u64;
            while it.valid() {
                n += 1;
                it.next().unwrap();
            }
            assert_eq!(n, ENTRIES);
        })
    });
    g.finish();
}

criterion_group!(benches, bench_table);
criterion_main!(benches);
