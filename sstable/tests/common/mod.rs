//! Helpers shared by the sstable integration tests: a seeded entry generator, write/open
//! shortcuts and full walks.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;
use std::sync::Arc;

use shale_io::{FileSystem, OpenMode};
use shale_sstable::{BlockCache, Table, TableMeta, TableOptions, TableWriter, ValueKind};

pub type Entry = (Vec<u8>, u64, ValueKind, Vec<u8>);

/// SplitMix64: tiny, seedable, good enough to make test data.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// `keys` distinct keys, each with 1–4 versions (seq descending), about one version in six
/// a tombstone, values of 0–`max_value` bytes. Sorted in table order.
pub fn entries(seed: u64, keys: usize, max_value: usize) -> Vec<Entry> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    let mut seq_pool: u64 = 1_000_000;
    for i in 0..keys {
        let key = format!("key/{:08}/{}", i * 3, rng.below(1000)).into_bytes();
        let versions = 1 + rng.below(4) as usize;
        let mut seqs: Vec<u64> = (0..versions)
            .map(|_| {
                seq_pool -= 1 + rng.below(5);
                seq_pool
            })
            .collect();
        seqs.sort_unstable_by(|a, b| b.cmp(a));
        for s in seqs {
            if rng.below(6) == 0 {
                out.push((key.clone(), s, ValueKind::Delete, vec![]));
            } else {
                let len = rng.below(max_value as u64 + 1) as usize;
                let v: Vec<u8> = (0..len).map(|j| (j as u8) ^ (s as u8)).collect();
                out.push((key.clone(), s, ValueKind::Put, v));
            }
        }
    }
    out
}

pub fn write_table(
    fs: &dyn FileSystem,
    path: &Path,
    es: &[Entry],
    opts: TableOptions,
) -> TableMeta {
    fs.create_dir_all(&shale_io::parent_dir(path)).unwrap();
    let file = fs.open(path, OpenMode::CreateNew).unwrap();
    let mut w = TableWriter::new(file, path.to_path_buf(), opts);
    for (k, s, t, v) in es {
        w.add(k, *s, *t, v).unwrap();
    }
    w.finish().unwrap()
}

pub fn open_table(
    fs: &dyn FileSystem,
    path: &Path,
    id: u64,
    cache: Option<Arc<BlockCache>>,
) -> Result<Arc<Table>, shale_sstable::Error> {
    let file = fs.open(path, OpenMode::Read).unwrap();
    Table::open(file, path.to_path_buf(), id, cache).map(Arc::new)
}

pub fn walk_forward(t: &Arc<Table>) -> Result<Vec<Entry>, shale_sstable::Error> {
    walk_forward_reading_ahead(t, shale_sstable::DEFAULT_READAHEAD_MAX_BYTES)
}

/// As [`walk_forward`], with read-ahead windows of at most `readahead` bytes.
pub fn walk_forward_reading_ahead(
    t: &Arc<Table>,
    readahead: u64,
) -> Result<Vec<Entry>, shale_sstable::Error> {
    let mut it = t.iter();
    it.set_readahead_max_bytes(readahead);
    walk_iter(it)
}

/// Every entry of `it` from the first, in table order.
pub fn walk_iter(mut it: shale_sstable::TableIter) -> Result<Vec<Entry>, shale_sstable::Error> {
    let mut out = Vec::new();
    it.seek_to_first()?;
    while it.valid() {
        out.push((it.key().to_vec(), it.seq(), it.kind(), it.value().to_vec()));
        it.next()?;
    }
    Ok(out)
}

pub fn walk_backward(t: &Arc<Table>) -> Result<Vec<Entry>, shale_sstable::Error> {
    let mut it = t.iter();
    let mut out = Vec::new();
    it.seek_to_last()?;
    while it.valid() {
        out.push((it.key().to_vec(), it.seq(), it.kind(), it.value().to_vec()));
        it.prev()?;
    }
    out.reverse();
    Ok(out)
}

/// The model answer for `get(key, max_seq)`: the first entry of `key` with seq <= max_seq.
pub fn model_get(es: &[Entry], key: &[u8], max_seq: u64) -> Option<(u64, ValueKind, Vec<u8>)> {
    es.iter()
        .find(|e| e.0 == key && e.1 <= max_seq)
        .map(|e| (e.1, e.2, e.3.clone()))
}

/// Checks a table's full contents and every point lookup against `es`.
pub fn assert_table_matches(t: &Arc<Table>, es: &[Entry]) {
    assert_eq!(walk_forward(t).unwrap(), es, "forward walk");
    assert_eq!(walk_backward(t).unwrap(), es, "backward walk");
    for (k, s, _, _) in es.iter().step_by(7) {
        assert_eq!(t.get(k, *s).unwrap(), model_get(es, k, *s));
        assert_eq!(t.get(k, u64::MAX).unwrap(), model_get(es, k, u64::MAX));
    }
}
