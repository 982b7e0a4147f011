//! `get(key, max_seq)` returns the newest version at or below `max_seq`, tombstones
//! included, and nothing for absent keys or snapshots older than every version.

mod common;

use std::path::Path;

use common::{entries, model_get, open_table, write_table, Entry};
use shale_io::FaultFs;
use shale_sstable::{TableOptions, ValueKind};

#[test]
fn picks_the_right_version_for_every_snapshot() {
    let fs = FaultFs::new();
    let path = Path::new("/db/v.sst");
    // key "k" written at seqs 50 (put), 40 (delete), 30 (put), 20 (put).
    let es: Vec<Entry> = vec![
        (b"a".to_vec(), 10, ValueKind::Put, b"a10".to_vec()),
        (b"k".to_vec(), 50, ValueKind::Put, b"k50".to_vec()),
        (b"k".to_vec(), 40, ValueKind::Delete, vec![]),
        (b"k".to_vec(), 30, ValueKind::Put, b"k30".to_vec()),
        (b"k".to_vec(), 20, ValueKind::Put, b"k20".to_vec()),
        (b"z".to_vec(), 5, ValueKind::Put, b"z5".to_vec()),
    ];
    // Tiny blocks, so the versions of "k" straddle block boundaries.
    let opts = TableOptions {
        block_size_bytes: 20,
        restart_interval: 2,
        bloom_bits_per_key: 10,
        ..TableOptions::default()
    };
    write_table(&fs, path, &es, opts);
    let t = open_table(&fs, path, 1, None).unwrap();
    let get = |s| t.get(b"k", s).unwrap();
    assert_eq!(get(u64::MAX), Some((50, ValueKind::Put, b"k50".to_vec())));
    assert_eq!(get(50), Some((50, ValueKind::Put, b"k50".to_vec())));
    assert_eq!(get(49), Some((40, ValueKind::Delete, vec![])));
    assert_eq!(get(40), Some((40, ValueKind::Delete, vec![])));
    assert_eq!(get(39), Some((30, ValueKind::Put, b"k30".to_vec())));
    assert_eq!(get(25), Some((20, ValueKind::Put, b"k20".to_vec())));
    assert_eq!(get(19), None, "older than every version");
    assert_eq!(get(0), None);
    assert_eq!(t.get(b"j", u64::MAX).unwrap(), None);
    assert_eq!(t.get(b"kk", u64::MAX).unwrap(), None);
    assert_eq!(t.get(b"", u64::MAX).unwrap(), None);
    assert_eq!(t.get(b"zz", u64::MAX).unwrap(), None);
    assert_eq!(
        t.get(b"z", 5).unwrap(),
        Some((5, ValueKind::Put, b"z5".to_vec()))
    );
}

#[test]
fn matches_the_model_at_random_snapshots() {
    let fs = FaultFs::new();
    let path = Path::new("/db/r.sst");
    let es = entries(42, 2000, 30);
    let opts = TableOptions {
        block_size_bytes: 512,
        ..TableOptions::default()
    };
    write_table(&fs, path, &es, opts);
    let t = open_table(&fs, path, 1, None).unwrap();
    let mut rng = common::Rng(42);
    for _ in 0..5000 {
        let e = &es[rng.below(es.len() as u64) as usize];
        let max_seq = e.1 + rng.below(8) - 4;
        assert_eq!(
            t.get(&e.0, max_seq).unwrap(),
            model_get(&es, &e.0, max_seq),
            "key {:?} max_seq {max_seq}",
            String::from_utf8_lossy(&e.0)
        );
    }
}
