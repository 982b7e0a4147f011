//! Whole-table read paths on the std backend (files in the page cache): point gets that
//! hit the block cache, gets the bloom filter rejects, a seek (a scan's first step) and a
//! full forward scan; and scans that miss the cache (YCSB E's shape: 1 KB values, up to
//! 100 entries from a random key; and whole-table scans, as compaction reads), with
//! read-ahead at its default and off, and short scans through a cache far smaller than
//! the table, so every block read evicts one.
//!
//! Run: `cargo bench -p shale-sstable --bench table -- --warm-up-time 1 --measurement-time 3`

// criterion_group! generates a public function without a doc comment.
#![allow(missing_docs)]

// The allocator Shale's binaries use: a block read's buffers come and go with it, so the
// allocator is part of what a scan that misses the cache costs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Walks the whole table forward with read-ahead windows of at most `readahead` bytes;
/// returns the entries seen.
fn count_all(table: &Arc<Table>, readahead: u64) -> u64 {
    let mut it = table.iter();
    it.set_readahead_max_bytes(readahead);
    it.seek_to_first().unwrap();
    let mut n = 0u64;
    while it.valid() {
        n += 1;
        it.next().unwrap();
    }
    n
}

/// Writes `entries` entries of `value_len`-byte values to a table in `dir` and opens it
/// through `cache`; returns the table and its size in bytes.
fn table_of(
    dir: &std::path::Path,
    entries: u64,
    value_len: usize,
    cache: Option<Arc<BlockCache>>,
) -> (Arc<Table>, u64) {
    let fs = StdFs::new();
    let path = dir.join(format!("{entries}x{value_len}.sst"));
    let file = fs.open(&path, OpenMode::CreateNew).unwrap();
    let mut w = TableWriter::new(file, path.clone(), TableOptions::default());
    let value = vec![b'v'; value_len];
    for i in 0..entries {
        w.add(&key(i), 1, ValueKind::Put, &value).unwrap();
    }
    let meta = w.finish().unwrap();
    let file = fs.open(&path, OpenMode::Read).unwrap();
    let table = Arc::new(Table::open(file, path, entries, cache).unwrap());
    (table, meta.file_size_bytes)
}

fn bench_table(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (table, file_size_bytes) =
        table_of(dir.path(), ENTRIES, 100, Some(BlockCache::new(64 << 20)));

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
    // A scan's first step: the index search and the block's own search, on cached blocks.
    g.bench_function("seek_cached", |b| {
        b.iter(|| {
            i = (i + 7919) % ENTRIES;
            let mut it = table.iter();
            it.seek(&key(i)).unwrap();
            black_box(it.value().len())
        })
    });
    let st = table.stats();
    // (Nothing was looked up when a filter skipped the get benches.)
    assert!(
        st.bloom_checks == 0 || st.bloom_negatives > st.bloom_positive_misses * 50,
        "{st:?}"
    );
    g.throughput(Throughput::Bytes(file_size_bytes));
    g.sample_size(10);
    g.bench_function("scan_all_cached", |b| {
        b.iter(|| {
            assert_eq!(
                count_all(&table, shale_sstable::DEFAULT_READAHEAD_MAX_BYTES),
                ENTRIES
            )
        })
    });
    g.finish();
}

/// 20k entries of 1 KB (YCSB's record size): ~20 MB, ~5k blocks.
const LARGE_ENTRIES: u64 = 20_000;
/// A short scan's entries: the mean of YCSB E's uniform 1..=100.
const SHORT_SCAN: usize = 50;

/// YCSB E's scan: [`SHORT_SCAN`] entries from the `start`-th key, reading each value,
/// with read-ahead windows of at most `readahead` bytes.
fn short_scan(table: &Arc<Table>, start: u64, readahead: u64) {
    let mut it = table.iter();
    it.set_readahead_max_bytes(readahead);
    it.seek(&key(start)).unwrap();
    for _ in 0..SHORT_SCAN {
        black_box(it.value());
        it.next().unwrap();
    }
    assert!(it.valid());
}

fn bench_uncached_scans(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (table, file_size_bytes) = table_of(dir.path(), LARGE_ENTRIES, 1000, None);

    let mut g = c.benchmark_group("table_uncached");
    for (name, readahead) in [
        (
            "readahead_default",
            shale_sstable::DEFAULT_READAHEAD_MAX_BYTES,
        ),
        ("readahead_off", 0),
    ] {
        let mut i = 0u64;
        g.throughput(Throughput::Elements(SHORT_SCAN as u64));
        g.bench_function(format!("scan_{SHORT_SCAN}_{name}"), |b| {
            b.iter(|| {
                i = (i + 7919) % (LARGE_ENTRIES - SHORT_SCAN as u64);
                short_scan(&table, i, readahead);
            })
        });
    }
    // The same scans through a block cache far smaller than the table: every block read
    // evicts one, whose buffer the next read reuses (the cache's steady state on a data
    // set larger than it, as in YCSB E over 1 GB with 64 MiB).
    let small_cache = tempfile::tempdir().unwrap();
    let (evicting, _) = table_of(
        small_cache.path(),
        LARGE_ENTRIES,
        1000,
        Some(BlockCache::new(1 << 20)),
    );
    let mut i = 0u64;
    g.throughput(Throughput::Elements(SHORT_SCAN as u64));
    g.bench_function(format!("scan_{SHORT_SCAN}_evicting"), |b| {
        b.iter(|| {
            i = (i + 7919) % (LARGE_ENTRIES - SHORT_SCAN as u64);
            short_scan(&evicting, i, shale_sstable::DEFAULT_READAHEAD_MAX_BYTES);
        })
    });
    g.throughput(Throughput::Bytes(file_size_bytes));
    g.sample_size(10);
    for (name, readahead) in [
        (
            "readahead_default",
            shale_sstable::DEFAULT_READAHEAD_MAX_BYTES,
        ),
        ("readahead_off", 0),
    ] {
        g.bench_function(format!("scan_all_{name}"), |b| {
            b.iter(|| assert_eq!(count_all(&table, readahead), LARGE_ENTRIES))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_table, bench_uncached_scans);
criterion_main!(benches);
