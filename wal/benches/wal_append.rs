//! Append latency of 1 KiB records in each durability mode, on the real file system
//! (`StdFs` in a tempdir), plus `Sync` with each preallocation strategy.
//!
//! Run: `scargo bench -p shale-wal -- --warm-up-time 1 --measurement-time 3`

// criterion_group! generates a public function without a doc comment.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shale_io::clock::SystemClock;
use shale_io::{FileSystem, StdFs};
use shale_wal::{Durability, Preallocation, Wal, WalOptions};

const RECORD_BYTES: usize = 1024;
/// Small enough that a run rolls a few segments, so roll cost is in the average.
const SEGMENT_BYTES: u64 = 16 << 20;

fn open(dir: &std::path::Path, durability: Durability, prealloc: Preallocation) -> Wal {
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs::new());
    let mut o = WalOptions::new(dir, fs, Arc::new(SystemClock));
    o.durability = durability;
    o.segment_size_bytes = SEGMENT_BYTES;
    o.preallocation = prealloc;
    Wal::open(o).expect("open wal")
}

fn bench_append(c: &mut Criterion) {
    let payload = vec![0xA5u8; RECORD_BYTES];
    let mut g = c.benchmark_group("wal_append_1KiB");
    g.throughput(Throughput::Bytes(RECORD_BYTES as u64));
    let cases = [
        ("sync_zeroed", Durability::Sync, Preallocation::Zeroed),
        ("sync_setlen", Durability::Sync, Preallocation::SetLen),
        (
            "buffered_100ms",
            Durability::Buffered {
                interval: Duration::from_millis(100),
            },
            Preallocation::Zeroed,
        ),
        ("none", Durability::None, Preallocation::Zeroed),
    ];
    for (name, durability, prealloc) in cases {
        // On the build disk, not /tmp (often tmpfs, where fdatasync costs nothing).
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
        let wal = open(dir.path(), durability, prealloc);
        g.bench_function(name, |b| {
            b.iter(|| wal.append(1, &payload).expect("append"));
        });
        wal.close().expect("close");
    }
    g.finish();
}

criterion_group!(benches, bench_append);
criterion_main!(benches);
