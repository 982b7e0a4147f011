//! The roundtrip suite against every real I/O backend (std, mmap, io_uring) on a temp
//! directory, and against FaultFs: the table must not depend on how bytes move.

mod common;

use std::path::Path;

use common::{assert_table_matches, entries, open_table, write_table};
use shale_io::{FaultFs, FileSystem, IoBackend};
use shale_sstable::{BlockCache, TableOptions};

/// `mapped`: the backend reads tables through memory maps, which neither use the cache
/// nor read ahead (`Table::cache_mapped_reads`).
fn roundtrip_on(fs: &dyn FileSystem, dir: &Path, mapped: bool) {
    let cache = BlockCache::new(2 << 20);
    for (i, (seed, keys, opts)) in [
        (1u64, 3000usize, TableOptions::default()),
        (
            2,
            400,
            TableOptions {
                block_size_bytes: 256,
                restart_interval: 3,
                bloom_bits_per_key: 4,
                ..TableOptions::default()
            },
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let es = entries(seed, keys, 200);
        let path = dir.join(format!("{i:06}.sst"));
        let meta = write_table(fs, &path, &es, opts);
        let table = open_table(fs, &path, i as u64, Some(cache.clone())).unwrap();
        assert_eq!(table.meta(), &meta);
        assert_table_matches(&table, &es);
        if i == 0 && !mapped {
            // The forward walk missed the cache block after block, so it read windows:
            // each backend's vectored read (`preadv`, an io_uring readv) is what it took.
            assert!(table.stats().readahead_windows > 0, "{:?}", table.stats());
        }
        if mapped {
            let st = table.stats();
            assert_eq!((st.readahead_windows, st.cache_hits), (0, 0), "{st:?}");
        }
    }
    assert_eq!(cache.stats().hits > 0, !mapped, "{:?}", cache.stats());
}

#[test]
fn every_real_backend_roundtrips() {
    for backend in IoBackend::ALL {
        let tmp = tempfile::tempdir().unwrap();
        let fs = match backend.build() {
            Ok(fs) => fs,
            Err(e) if backend.may_skip_when_unavailable() => {
                eprintln!("io_uring unavailable here ({e}); skipping that backend");
                continue;
            }
            Err(e) => panic!("{backend:?}: {e}"),
        };
        let mapped = backend == IoBackend::Mmap;
        roundtrip_on(fs.as_ref(), &tmp.path().join("tables"), mapped);
    }
}

#[test]
fn fault_fs_roundtrips() {
    roundtrip_on(&FaultFs::new(), Path::new("/mem/tables"), false);
}
