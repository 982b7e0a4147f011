//! Short forward scans through the whole LSM read path (memtable and tables merged), as
//! YCSB E's: 50 entries of 1 KiB from a random key, over 100,000 entries, 5% of them
//! still in the memtable and 10% overwritten, so every scan merges several sources and
//! meets versions one hides.
//!
//! Compaction is kept from running (the L0 triggers are set out of reach), so the tables
//! are the same seven L0 flushes in every run: with compactions the shape, and the
//! figure, changed from one run to the next by up to 40%.
//!
//! Run: `cargo bench -p shale-engine --bench lsm_scan -- --warm-up-time 2 --measurement-time 6`

// criterion_group! generates a public function without a doc comment.
#![allow(missing_docs)]

use std::ops::Bound;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use shale_engine::lsm::{Db, DbOptions, Durability};
use shale_engine::Direction;

const KEYS: u64 = 100_000;
const VALUE_BYTES: usize = 1024;
const SCAN_LEN: usize = 50;

/// A scrambled key (as YCSB's hashed keys are), so scans cross every source.
fn key(i: u64) -> Vec<u8> {
    let h = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut k = h.to_be_bytes().to_vec();
    k.extend_from_slice(&i.to_be_bytes());
    k
}

/// splitmix64: the scans' start keys, the same sequence every run.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn loaded(dir: &std::path::Path) -> Db {
    let mut opts = DbOptions::new(dir).with_durability(Durability::None);
    // 16 MiB memtables and no compaction: about seven L0 tables and a memtable, a
    // scan's sources in a loaded YCSB database (L0 files and a few levels).
    opts.memtable_bytes = 16 << 20;
    opts.l0_compaction_trigger = 1000;
    opts.l0_slowdown_files = 1000;
    opts.l0_stop_files = 1000;
    let db = Db::open(opts).expect("open");
    let value = vec![0x5A; VALUE_BYTES];
    for i in 0..KEYS * 95 / 100 {
        db.put(&key(i), &value).expect("put");
    }
    // Overwrites: older versions of these keys sit in lower sources.
    for i in (0..KEYS * 95 / 100).step_by(10) {
        db.put(&key(i), &value).expect("overwrite");
    }
    db.flush().expect("flush");
    for i in KEYS * 95 / 100..KEYS {
        db.put(&key(i), &value).expect("put");
    }
    let stats = db.stats();
    assert_eq!(stats.compactions, 0, "the shape is the flushes'");
    println!(
        "{} L0 tables, {} frozen memtables",
        stats.levels.first().map_or(0, |l| l.files),
        stats.frozen_memtables
    );
    db
}

fn bench_scan(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let db = loaded(dir.path());
    let mut seed = 7u64;
    c.bench_function("lsm_scan/50_entries_from_a_random_key", |b| {
        b.iter(|| {
            let start = key(next_random(&mut seed) % KEYS);
            let iter = db
                .scan(
                    Bound::Included(start),
                    Bound::Unbounded,
                    Direction::Forward,
                    None,
                )
                .expect("scan");
            let mut bytes = 0;
            for pair in iter.take(SCAN_LEN) {
                bytes += pair.expect("entry").1.len();
            }
            black_box(bytes)
        });
    });
    db.close().expect("close");
}

criterion_group!(benches, bench_scan);
criterion_main!(benches);
