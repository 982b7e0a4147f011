//! Read-ahead: an iterator stepping forward through blocks that miss the cache reads
//! them in windows, and what it returns, and what it detects, does not change.

mod common;

use std::path::Path;

use common::{entries, open_table, walk_forward, walk_forward_reading_ahead, write_table, Entry};
use shale_io::FaultFs;
use shale_sstable::{TableOptions, DEFAULT_READAHEAD_MAX_BYTES};

/// Hundreds of 1 KiB blocks (the test checks it has over 200).
fn many_block_table(fs: &FaultFs, path: &Path) -> Vec<Entry> {
    let es = entries(7, 2000, 200);
    let opts = TableOptions {
        block_size_bytes: 1024,
        ..TableOptions::default()
    };
    let meta = write_table(fs, path, &es, opts);
    assert!(meta.data_blocks > 200, "{} blocks", meta.data_blocks);
    es
}

#[test]
fn a_forward_walk_reads_in_windows_and_returns_the_same_entries() {
    let fs = FaultFs::new();
    let path = Path::new("/db/ra.sst");
    let es = many_block_table(&fs, path);

    let with = open_table(&fs, path, 1, None).unwrap();
    assert_eq!(
        walk_forward_reading_ahead(&with, DEFAULT_READAHEAD_MAX_BYTES).unwrap(),
        es
    );
    let on = with.stats();

    let without = open_table(&fs, path, 2, None).unwrap();
    assert_eq!(walk_forward_reading_ahead(&without, 0).unwrap(), es);
    let off = without.stats();

    assert_eq!(
        on.block_reads, off.block_reads,
        "every block is still read once"
    );
    assert_eq!(off.readahead_windows, 0);
    // Two blocks alone, then windows of 16 KiB doubling to 256 KiB: a handful in all.
    assert!(
        (3..=8).contains(&on.readahead_windows),
        "{} windows for {} blocks",
        on.readahead_windows,
        on.block_reads
    );
}

#[test]
fn a_seek_and_one_more_block_read_nothing_ahead_and_the_third_block_opens_a_window() {
    let fs = FaultFs::new();
    let path = Path::new("/db/short.sst");
    let es = many_block_table(&fs, path);
    let table = open_table(&fs, path, 1, None).unwrap();
    for (round, start) in [100, 900, 1700].into_iter().enumerate() {
        let windows_before = table.stats().readahead_windows;
        let reads_before = table.stats().block_reads;
        let mut it = table.iter();
        it.seek(&es[start].0).unwrap();
        // Step until the scan is in its second block: two blocks read, alone.
        while table.stats().block_reads < reads_before + 2 {
            it.next().unwrap();
            assert!(it.valid());
        }
        assert_eq!(
            table.stats().readahead_windows,
            windows_before,
            "round {round}"
        );
        // The third block is the first read ahead.
        while table.stats().block_reads < reads_before + 3 {
            it.next().unwrap();
            assert!(it.valid());
        }
        assert_eq!(
            table.stats().readahead_windows,
            windows_before + 1,
            "round {round}"
        );
    }
}

#[test]
fn damage_to_a_block_inside_a_window_is_still_detected() {
    let fs = FaultFs::new();
    let path = Path::new("/db/flip.sst");
    many_block_table(&fs, path);
    // Well past the first two blocks, so the damaged block is cut from a window.
    fs.flip_bit(path, 100_000, 3).unwrap();
    let table = open_table(&fs, path, 1, None).unwrap();
    let err = walk_forward(&table).unwrap_err();
    assert!(err.is_corruption(), "{err}");
    assert!(table.stats().readahead_windows > 0);
}
