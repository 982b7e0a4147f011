//! Append latency of 1 KiB records in each durability mode, on the real file system
//! (`StdFs` in a tempdir), plus `Sync` with each preallocation strategy, and the modes
//! without a sync per append also with appends copied into a map of the segment
//! (`_mmap`, `WalOptions::mmap_appends`, which `Sync` ignores: with a map its fdatasync
//! took 440 µs against 119 µs when this bench had a `sync_zeroed_mmap` case).
//!
//! Run: `cargo bench -p shale-wal -- --warm-up-time 1 --measurement-time 3`

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

fn open(
    dir: &std::path::Path,
    durability: Durability,
    prealloc: Preallocation,
    mmap_appends: bool,
) -> Wal {
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs::new());
    let mut o = WalOptions::new(dir, fs, Arc::new(SystemClock));
    o.durability = durability;
    o.segment_size_bytes = SEGMENT_BYTES;
    o.preallocation = prealloc;
    o.mmap_appends = mmap_appends;
    Wal::open(o).expect("open wal")
}

fn bench_append(c: &mut Criterion) {
    let payload = vec![0xA5u8; RECORD_BYTES];
    let mut g = c.benchmark_group("wal_append_1KiB");
    g.throughput(Throughput::Bytes(RECORD_BYTES as u64));
    let buffered = Durability::Buffered {
        interval: Duration::from_millis(100),
    };
    let cases = [
        (
            "sync_zeroed",
            Durability::Sync,
            Preallocation::Zeroed,
            false,
        ),
        (
            "sync_setlen",
            Durability::Sync,
            Preallocation::SetLen,
            false,
        ),
        ("buffered_100ms", buffered, Preallocation::Zeroed, false),
        ("buffered_100ms_mmap", buffered, Preallocation::Zeroed, true),
        ("none", Durability::None, Preallocation::Zeroed, false),
        (
            "none_setlen",
            Durability::None,
            Preallocation::SetLen,
            false,
        ),
        ("none_mmap", Durability::None, Preallocation::Zeroed, true),
    ];
    for (name, durability, prealloc, mmap_appends) in cases {
        // On the build disk, not /tmp (often tmpfs, where fdatasync costs nothing).
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
        let wal = open(dir.path(), durability, prealloc, mmap_appends);
        assert_eq!(wal.appends_mapped(), mmap_appends, "{name}");
        g.bench_function(name, |b| {
            b.iter(|| wal.append(1, &payload).expect("append"));
        });
        wal.close().expect("close");
    }
    g.finish();
}

criterion_group!(benches, bench_append);
criterion_main!(benches);
