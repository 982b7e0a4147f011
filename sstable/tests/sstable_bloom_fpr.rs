//! The bloom filter's false-positive rate, measured: ~1% at 10 bits/key. This is a
//! statistical property of the filter on fixed data (seeded), not a timing.

mod common;

use std::path::Path;

use common::{open_table, Rng};
use shale_io::{FaultFs, FileSystem, OpenMode};
use shale_sstable::{TableOptions, TableWriter, ValueKind};

const PRESENT: u64 = 100_000;
const ABSENT: u64 = 100_000;
const SEED: u64 = 0x5EED_B100;

fn random_key(rng: &mut Rng) -> Vec<u8> {
    format!("user{:020}", rng.next()).into_bytes()
}

fn fpr_at(bits_per_key: u32) -> f64 {
    let fs = FaultFs::new();
    fs.create_dir_all(Path::new("/db")).unwrap();
    let path = Path::new("/db/bloom.sst");
    let mut rng = Rng(SEED);
    let mut keys: Vec<Vec<u8>> = (0..PRESENT).map(|_| random_key(&mut rng)).collect();
    keys.sort();
    keys.dedup();
    let file = fs.open(path, OpenMode::CreateNew).unwrap();
    let opts = TableOptions {
        bloom_bits_per_key: bits_per_key,
        ..TableOptions::default()
    };
    let mut w = TableWriter::new(file, path.to_path_buf(), opts);
    for k in &keys {
        w.add(k, 1, ValueKind::Put, b"").unwrap();
    }
    w.finish().unwrap();
    let t = open_table(&fs, path, 1, None).unwrap();
    assert!(keys.iter().all(|k| t.may_contain(k)), "no false negatives");

    // Absent keys come from a different key shape, so none can collide with a present one.
    let mut positives = 0u64;
    for _ in 0..ABSENT {
        let k = format!("absent{:020}", rng.next()).into_bytes();
        if t.may_contain(&k) {
            positives += 1;
        }
    }
    let fpr = positives as f64 / ABSENT as f64;
    eprintln!("bits/key {bits_per_key}: {positives} false positives in {ABSENT} probes = {:.3}% (seed {SEED:#x})", fpr * 100.0);
    fpr
}

#[test]
fn ten_bits_per_key_gives_about_one_percent() {
    let fpr = fpr_at(10);
    assert!((0.003..=0.025).contains(&fpr), "fpr {fpr}");
}

#[test]
fn more_bits_per_key_give_fewer_false_positives() {
    let (five, twenty) = (fpr_at(5), fpr_at(20));
    assert!((0.03..=0.15).contains(&five), "5 bits/key fpr {five}");
    assert!(twenty < 0.001, "20 bits/key fpr {twenty}");
}

#[test]
fn get_counts_useful_and_useless_bloom_answers() {
    let fs = FaultFs::new();
    let path = Path::new("/db/stats.sst");
    let es: Vec<common::Entry> = (0..1000u32)
        .map(|i| {
            (
                format!("k{i:05}").into_bytes(),
                10,
                ValueKind::Put,
                b"v".to_vec(),
            )
        })
        .collect();
    common::write_table(&fs, path, &es, TableOptions::default());
    let t = open_table(&fs, path, 1, None).unwrap();
    for i in 0..1000u32 {
        assert!(t.get(format!("k{i:05}").as_bytes(), 10).unwrap().is_some());
        assert!(t.get(format!("x{i:05}").as_bytes(), 10).unwrap().is_none());
    }
    let st = t.stats();
    assert_eq!(st.bloom_checks, 2000);
    assert_eq!(st.bloom_negatives + st.bloom_positive_misses, 1000);
    assert!(st.bloom_negatives > 950, "{st:?}");
    // Snapshot older than the only version: the bloom says maybe, the key has no visible
    // version, and that counts as a positive miss.
    assert!(t.get(b"k00001", 9).unwrap().is_none());
    assert_eq!(
        t.stats().bloom_positive_misses,
        st.bloom_positive_misses + 1
    );
}
