//! Many entries (several versions per key, tombstones, empty and large values) survive a
//! write and a reopen, in both directions, with metadata to match.

mod common;

use std::path::Path;

use common::{assert_table_matches, entries, open_table, write_table, Entry};
use shale_io::{FaultFs, FileSystem, OpenMode};
use shale_sstable::{BlockCache, TableOptions, TableWriter, ValueKind};

fn check_meta(es: &[Entry], meta: &shale_sstable::TableMeta) {
    assert_eq!(meta.entries, es.len() as u64);
    assert_eq!(
        meta.tombstones,
        es.iter().filter(|e| e.2 == ValueKind::Delete).count() as u64
    );
    assert_eq!(meta.smallest_key, es.first().unwrap().0);
    assert_eq!(meta.largest_key, es.last().unwrap().0);
    assert_eq!(meta.min_seq, es.iter().map(|e| e.1).min().unwrap());
    assert_eq!(meta.max_seq, es.iter().map(|e| e.1).max().unwrap());
}

#[test]
fn twenty_thousand_keys_roundtrip_with_default_options() {
    let fs = FaultFs::new();
    let path = Path::new("/db/000001.sst");
    let es = entries(0xC0FFEE, 20_000, 120);
    let written = write_table(&fs, path, &es, TableOptions::default());
    check_meta(&es, &written);
    assert_eq!(written.file_size_bytes, fs.file_len(path).unwrap());
    assert!(written.data_blocks > 100, "{} blocks", written.data_blocks);

    let table = open_table(&fs, path, 1, Some(BlockCache::new(1 << 20))).unwrap();
    assert_eq!(table.meta(), &written, "properties survive the reopen");
    assert_table_matches(&table, &es);
}

#[test]
fn tiny_blocks_and_restart_interval_one_roundtrip() {
    let fs = FaultFs::new();
    let path = Path::new("/db/000002.sst");
    let es = entries(7, 500, 40);
    let opts = TableOptions {
        block_size_bytes: 1,
        restart_interval: 1,
        bloom_bits_per_key: 10,
        ..TableOptions::default()
    };
    let meta = write_table(&fs, path, &es, opts);
    assert_eq!(meta.data_blocks, es.len() as u64, "one entry per block");
    let table = open_table(&fs, path, 1, None).unwrap();
    assert_table_matches(&table, &es);
}

#[test]
fn values_larger_than_a_block_get_a_block_each() {
    let fs = FaultFs::new();
    let path = Path::new("/db/000003.sst");
    let es: Vec<Entry> = (0..20u64)
        .map(|i| {
            let v = vec![i as u8; 50_000 + i as usize];
            (
                format!("big{i:02}").into_bytes(),
                100 - i,
                ValueKind::Put,
                v,
            )
        })
        .collect();
    let meta = write_table(&fs, path, &es, TableOptions::default());
    assert_eq!(meta.data_blocks, 20);
    let table = open_table(&fs, path, 1, Some(BlockCache::new(4 << 20))).unwrap();
    assert_table_matches(&table, &es);
}

#[test]
fn empty_table_opens_and_iterates_nothing() {
    let fs = FaultFs::new();
    let path = Path::new("/db/empty.sst");
    fs.create_dir_all(Path::new("/db")).unwrap();
    let file = fs.open(path, OpenMode::CreateNew).unwrap();
    let meta = TableWriter::new(file, path.to_path_buf(), TableOptions::default())
        .finish()
        .unwrap();
    assert_eq!((meta.entries, meta.data_blocks), (0, 0));
    let table = open_table(&fs, path, 1, None).unwrap();
    assert_table_matches(&table, &[]);
    let mut it = table.iter();
    it.seek(b"a").unwrap();
    assert!(!it.valid());
    it.seek_for_prev(b"a").unwrap();
    assert!(!it.valid());
    assert_eq!(table.get(b"a", u64::MAX).unwrap(), None);
}

#[test]
fn an_iterator_outlives_its_table_handle_and_moves_threads() {
    let fs = FaultFs::new();
    let path = Path::new("/db/000004.sst");
    let es = entries(11, 300, 20);
    write_table(&fs, path, &es, TableOptions::default());
    let table = open_table(&fs, path, 1, None).unwrap();
    let mut it = table.iter();
    drop(table);
    let n = std::thread::spawn(move || {
        it.seek_to_first().unwrap();
        let mut n = 0;
        while it.valid() {
            n += 1;
            it.next().unwrap();
        }
        n
    })
    .join()
    .unwrap();
    assert_eq!(n, es.len());
}
