//! Regenerates the seed corpus of the `sstable_reader` fuzz target:
//! `cargo run -p shale-sstable --example make_fuzz_corpus -- fuzz/corpus/sstable_reader`
//!
//! `valid_*` files are tables the reader must accept; `damaged_*` files must be rejected
//! with a typed error (the replay test checks both). Deterministic: same bytes every run.

use std::path::PathBuf;

use shale_sstable::fuzzing::{build_table_image, Entry};
use shale_sstable::{TableOptions, ValueKind};

/// The corpus lives in git; keep each seed small so the fuzzer mutates it quickly.
const MAX_SEED_BYTES: usize = 64 * 1024;

fn versions(keys: u32) -> Vec<Entry> {
    let mut es = Vec::new();
    for i in 0..keys {
        let key = format!("item#{i:04}").into_bytes();
        es.push((
            key.clone(),
            100 + u64::from(i),
            ValueKind::Put,
            format!("v{i}").into_bytes(),
        ));
        if i % 3 == 0 {
            es.push((key.clone(), 50, ValueKind::Delete, vec![]));
        }
        if i % 5 == 0 {
            es.push((key, 10, ValueKind::Put, vec![b'x'; (i % 40) as usize]));
        }
    }
    es
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus/sstable_reader".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let tiny = TableOptions {
        block_size_bytes: 64,
        restart_interval: 2,
        bloom_bits_per_key: 10,
        ..TableOptions::default()
    };
    let small = build_table_image(&versions(30), TableOptions::default())?;
    let tiny_blocks = build_table_image(&versions(40), tiny)?;
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("valid_small.sst", small.clone()),
        ("valid_tiny_blocks.sst", tiny_blocks.clone()),
        (
            "valid_empty.sst",
            build_table_image(&[], TableOptions::default())?,
        ),
        (
            "valid_one_entry_no_bloom.sst",
            build_table_image(
                &[(b"k".to_vec(), 1, ValueKind::Put, b"v".to_vec())],
                TableOptions {
                    bloom_bits_per_key: 0,
                    ..TableOptions::default()
                },
            )?,
        ),
        ("damaged_flipped_data_byte.sst", {
            let mut b = tiny_blocks.clone();
            b[40] ^= 0x10;
            b
        }),
        (
            "damaged_truncated_footer.sst",
            small[..small.len() - 10].to_vec(),
        ),
        ("damaged_header_only.sst", small[..16].to_vec()),
        ("damaged_zeroed_middle.sst", {
            let mut b = small.clone();
            let mid = b.len() / 2;
            b[mid..mid + 32].fill(0);
            b
        }),
    ];
    for (name, bytes) in seeds {
        assert!(
            bytes.len() <= MAX_SEED_BYTES,
            "{name} is {} bytes",
            bytes.len()
        );
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}
