//! The writer refuses bad input with typed errors and poisons itself after an I/O
//! failure instead of producing a table with a hole in it.

use std::path::Path;
use std::sync::Arc;

use shale_io::{FaultFs, File, FileSystem, OpenMode};
use shale_sstable::{Error, TableOptions, TableWriter, ValueKind, MAX_KEY_BYTES, MAX_VALUE_BYTES};

fn writer(fs: &FaultFs, name: &str, opts: TableOptions) -> (TableWriter, Arc<dyn File>) {
    fs.create_dir_all(Path::new("/db")).unwrap();
    let path = Path::new("/db").join(name);
    let file = fs.open(&path, OpenMode::CreateNew).unwrap();
    (TableWriter::new(file.clone(), path, opts), file)
}

#[test]
fn out_of_order_entries_are_rejected_and_the_writer_stays_usable() {
    let fs = FaultFs::new();
    let (mut w, _) = writer(&fs, "order.sst", TableOptions::default());
    w.add(b"b", 10, ValueKind::Put, b"").unwrap();
    for (key, seq) in [(&b"a"[..], 99), (b"b", 10), (b"b", 11), (b"", 0)] {
        let err = w.add(key, seq, ValueKind::Put, b"").unwrap_err();
        assert!(
            matches!(err, Error::OutOfOrder { prev_seq: 10, .. }),
            "{err}"
        );
    }
    w.add(b"b", 9, ValueKind::Delete, b"").unwrap();
    w.add(b"c", u64::MAX, ValueKind::Put, b"x").unwrap();
    let meta = w.finish().unwrap();
    assert_eq!((meta.entries, meta.tombstones), (3, 1));
}

#[test]
fn oversized_keys_and_values_are_rejected() {
    let fs = FaultFs::new();
    let (mut w, _) = writer(&fs, "big.sst", TableOptions::default());
    let err = w
        .add(&vec![b'k'; MAX_KEY_BYTES + 1], 1, ValueKind::Put, b"")
        .unwrap_err();
    assert!(matches!(err, Error::KeyTooLarge { .. }));
    let err = w
        .add(b"k", 1, ValueKind::Put, &vec![0; MAX_VALUE_BYTES + 1])
        .unwrap_err();
    assert!(matches!(err, Error::ValueTooLarge { .. }));
    w.add(&vec![b'k'; MAX_KEY_BYTES], 1, ValueKind::Put, b"")
        .unwrap();
    w.finish().unwrap();
}

#[test]
fn invalid_options_are_reported_by_the_first_call() {
    let fs = FaultFs::new();
    for (i, opts) in [
        TableOptions {
            block_size_bytes: 0,
            ..TableOptions::default()
        },
        TableOptions {
            restart_interval: 0,
            ..TableOptions::default()
        },
        TableOptions {
            bloom_bits_per_key: 65,
            ..TableOptions::default()
        },
    ]
    .into_iter()
    .enumerate()
    {
        assert!(matches!(opts.validate(), Err(Error::InvalidOption { .. })));
        let (mut w, _) = writer(&fs, &format!("opt{i}.sst"), opts);
        let err = w.add(b"k", 1, ValueKind::Put, b"").unwrap_err();
        assert!(matches!(err, Error::InvalidOption { .. }), "{err}");
        assert!(matches!(w.finish(), Err(Error::WriterPoisoned { .. })));
    }
}

#[test]
fn a_failed_write_poisons_the_writer() {
    let fs = FaultFs::new();
    let (mut w, _) = writer(&fs, "poison.sst", TableOptions::default());
    fs.fail_nth_write(1);
    let mut failed_at = None;
    for i in 0..100_000u32 {
        if let Err(e) = w.add(format!("k{i:08}").as_bytes(), 1, ValueKind::Put, &[1; 32]) {
            assert!(matches!(e, Error::Io { op: "write", .. }), "{e}");
            failed_at = Some(i);
            break;
        }
    }
    let i = failed_at.expect("the buffered write happened and failed");
    let err = w
        .add(format!("k{:08}", i + 1).as_bytes(), 1, ValueKind::Put, b"")
        .unwrap_err();
    assert!(matches!(err, Error::WriterPoisoned { .. }));
    assert!(matches!(w.finish(), Err(Error::WriterPoisoned { .. })));
}

#[test]
fn finish_syncs_and_a_failed_sync_is_an_error() {
    let fs = FaultFs::new();
    let (mut w, _) = writer(&fs, "sync.sst", TableOptions::default());
    w.add(b"k", 1, ValueKind::Put, b"v").unwrap();
    let before = fs.stats().syncs;
    w.finish().unwrap();
    assert_eq!(fs.stats().syncs, before + 1);

    let (mut w, _) = writer(&fs, "nosync.sst", TableOptions::default());
    w.add(b"k", 1, ValueKind::Put, b"v").unwrap();
    fs.fail_nth_sync(1);
    assert!(matches!(w.finish(), Err(Error::Io { op: "sync", .. })));
}

#[test]
fn estimated_size_tracks_the_final_size() {
    let fs = FaultFs::new();
    let (mut w, file) = writer(&fs, "est.sst", TableOptions::default());
    for i in 0..20_000u32 {
        w.add(format!("key{i:08}").as_bytes(), 5, ValueKind::Put, &[9; 50])
            .unwrap();
    }
    let est = w.estimated_size_bytes();
    w.finish().unwrap();
    let real = file.len().unwrap();
    let err = est.abs_diff(real) as f64 / real as f64;
    assert!(err < 0.02, "estimate {est} vs real {real}");
}
