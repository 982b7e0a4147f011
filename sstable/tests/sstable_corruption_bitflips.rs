//! Bit rot: flipping any bit of a table makes open, get or iteration return a typed
//! error, never a panic and never silently different data. Every byte of the format is
//! covered by a CRC (header, blocks, footer), so every single-bit flip must be detected.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{
    entries, model_get, open_table, walk_backward, walk_forward, write_table, Entry, Rng,
};
use shale_io::{FaultFs, FileSystem, OpenMode};
use shale_sstable::{BlockCache, Error, Table, TableOptions};

fn small_table(fs: &FaultFs, path: &Path) -> Vec<Entry> {
    let es = entries(99, 40, 24);
    let opts = TableOptions {
        block_size_bytes: 200,
        restart_interval: 4,
        bloom_bits_per_key: 10,
        ..TableOptions::default()
    };
    write_table(fs, path, &es, opts);
    es
}

/// Reads everything the table offers; `Ok(true)` if all of it matches `es`.
fn read_all(table: &Arc<Table>, es: &[Entry]) -> Result<bool, Error> {
    let fwd = walk_forward(table)?;
    let bwd = walk_backward(table)?;
    let mut same = fwd == es && bwd == es;
    for (k, s, _, _) in es {
        same &= table.get(k, *s)? == model_get(es, k, *s);
    }
    Ok(same)
}

/// Opens and reads the damaged table; panics only if damage went undetected.
fn detected(fs: &FaultFs, path: &Path, es: &[Entry], what: &str) -> bool {
    let table = match open_table(fs, path, 1, Some(BlockCache::new(1 << 20))) {
        Ok(t) => t,
        Err(e) => {
            assert!(
                e.is_corruption(),
                "{what}: open gave a non-corruption error {e}"
            );
            return true;
        }
    };
    match read_all(&table, es) {
        Err(e) => {
            assert!(
                e.is_corruption(),
                "{what}: read gave a non-corruption error {e}"
            );
            true
        }
        Ok(true) => false,
        Ok(false) => panic!("{what}: damaged table returned different data without an error"),
    }
}

#[test]
fn every_single_bit_flip_is_detected() {
    let fs = FaultFs::new();
    let path = Path::new("/db/flip.sst");
    let es = small_table(&fs, path);
    let len = fs.file_len(path).unwrap();
    assert!(len > 1000 && len < 8000, "table of {len} bytes");
    let mut missed = Vec::new();
    for offset in 0..len {
        for bit in [(offset % 8) as u8, ((offset + 3) % 8) as u8] {
            fs.flip_bit(path, offset, bit).unwrap();
            if !detected(&fs, path, &es, &format!("offset {offset} bit {bit}")) {
                missed.push((offset, bit));
            }
            fs.flip_bit(path, offset, bit).unwrap();
        }
    }
    assert!(missed.is_empty(), "undetected flips: {missed:?}");
    // Restored: reads cleanly again.
    assert!(!detected(&fs, path, &es, "restored"));
}

#[test]
fn random_multi_byte_damage_never_yields_wrong_data() {
    let fs = FaultFs::new();
    let path = Path::new("/db/smash.sst");
    let es = small_table(&fs, path);
    let original = fs
        .open(path, OpenMode::Read)
        .unwrap()
        .read_to_vec()
        .unwrap();
    let file = fs.open(path, OpenMode::ReadWrite).unwrap();
    let seed = 0xBAD_5EED;
    let mut rng = Rng(seed);
    for round in 0..2000 {
        let at = rng.below(original.len() as u64);
        let n = 1 + rng.below(16) as usize;
        let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        file.write_all_at(&junk, at).unwrap();
        let changed = fs
            .open(path, OpenMode::Read)
            .unwrap()
            .read_to_vec()
            .unwrap()
            != original;
        let caught = detected(&fs, path, &es, &format!("seed {seed:#x} round {round}"));
        assert_eq!(
            caught, changed,
            "seed {seed:#x} round {round}: damage at {at}+{n}"
        );
        file.write_all_at(&original, 0).unwrap();
        file.set_len(original.len() as u64).unwrap();
    }
}
