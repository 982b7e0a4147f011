//! Bit flips in the WAL, SSTables, manifest and CURRENT of a closed database: opening and
//! reading give a typed error or the right data — never a panic, never wrong data.

mod support;

use support::key;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::Direction;
use shale_io::{FaultFs, FileSystem, OpenMode};

/// Offsets sampled per file (spread evenly, plus the first and last bytes).
const SAMPLES_PER_FILE: u64 = 24;
const KEYS: u32 = 120;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Builds a closed database with tables on several levels, a manifest, and unflushed
/// writes in the WAL (each written once, so a truncated WAL tail shows as absence, never
/// as a stale value).
fn build() -> (Arc<FaultFs>, Model) {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(DbOptions::new("/db").with_fs(fs.clone()).tiny()).unwrap();
    let mut model = Model::new();
    for i in 0..KEYS {
        let v = format!("value-{i}-{}", "x".repeat(40)).into_bytes();
        db.put(&key(i), &v).unwrap();
        model.insert(key(i), v);
    }
    db.compact_range(None, None).unwrap();
    for i in KEYS..KEYS + 20 {
        let v = format!("wal-{i}").into_bytes();
        db.put(&key(i), &v).unwrap();
        model.insert(key(i), v);
    }
    db.close().unwrap();
    drop(db);
    (fs, model)
}

/// Which keys may legitimately be missing after damage to this file: only the WAL's, as a
/// damaged WAL tail is indistinguishable from a torn write and is cut.
fn may_lose(file: &Path, k: &[u8]) -> bool {
    file.to_string_lossy().contains("/wal/") && k >= key(KEYS).as_slice()
}

fn check(fs: &Arc<FaultFs>, model: &Model, file: &Path, offset: u64) {
    let Ok(db) = Db::open(DbOptions::new("/db").with_fs(fs.clone()).tiny()) else {
        return; // a typed error (the Result type guarantees it) is an acceptable outcome
    };
    for (k, v) in model {
        match db.get(k, None) {
            Ok(Some(got)) => assert_eq!(
                &got, v,
                "wrong value for {k:?} after flip in {file:?}@{offset}"
            ),
            Ok(None) => assert!(
                may_lose(file, k),
                "lost {k:?} after flip in {file:?}@{offset}"
            ),
            Err(_) => {}
        }
    }
    let mut it = db
        .scan(Bound::Unbounded, Bound::Unbounded, Direction::Forward, None)
        .unwrap();
    let mut expected = model.iter().filter(|(k, _)| !may_lose(file, k)).peekable();
    for item in it.by_ref() {
        let Ok((k, v)) = item else { break };
        if may_lose(file, &k) {
            continue;
        }
        let (ek, ev) = expected.next().expect("scan returned an extra key");
        assert_eq!(
            (&k, v.as_slice()),
            (ek, ev.as_slice()),
            "scan mismatch after flip in {file:?}@{offset}"
        );
    }
}

/// Every file's bytes, so each flip starts from the same image (background work makes
/// two builds differ in file names).
type Image = Vec<(PathBuf, Vec<u8>)>;

fn image(fs: &FaultFs) -> Image {
    files(fs)
        .into_iter()
        .map(|p| {
            let f = fs.open(&p, OpenMode::Read).unwrap();
            (p, f.read_to_vec().unwrap())
        })
        .collect()
}

fn restore(img: &Image) -> Arc<FaultFs> {
    let fs = Arc::new(FaultFs::new());
    for (p, bytes) in img {
        let dir = shale_io::parent_dir(p);
        fs.create_dir_all(&dir).unwrap();
        let f = fs.open(p, OpenMode::CreateNew).unwrap();
        f.write_all_at(bytes, 0).unwrap();
        f.sync_data().unwrap();
        fs.sync_dir(&dir).unwrap();
    }
    fs
}

fn files(fs: &FaultFs) -> Vec<PathBuf> {
    fs.files()
        .into_iter()
        .filter(|p| !p.ends_with("CURRENT.tmp"))
        .collect()
}

#[test]
fn flipped_bits_never_panic_or_return_wrong_data() {
    let (fs, model) = build();
    let img = image(&fs);
    let targets = files(&fs);
    assert!(targets
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "sst")));
    assert!(targets
        .iter()
        .any(|p| p.to_string_lossy().contains("MANIFEST-")));
    assert!(targets
        .iter()
        .any(|p| p.to_string_lossy().contains("/wal/")));
    let mut flips = 0;
    for target in targets {
        let len = fs.file_len(&target).unwrap();
        if len == 0 {
            continue;
        }
        let step = (len / SAMPLES_PER_FILE).max(1);
        let offsets: Vec<u64> = (0..len).step_by(step as usize).chain([len - 1]).collect();
        for (i, offset) in offsets.into_iter().enumerate() {
            let fs = restore(&img);
            fs.flip_bit(&target, offset, (i % 8) as u8).unwrap();
            check(&fs, &model, &target, offset);
            flips += 1;
        }
    }
    assert!(flips > 50, "covered {flips} flips");
}

#[test]
fn damaged_manifest_header_is_a_typed_error() {
    let (fs, _) = build();
    let manifest = files(&fs)
        .into_iter()
        .find(|p| p.to_string_lossy().contains("MANIFEST-"))
        .unwrap();
    fs.flip_bit(&manifest, 2, 0).unwrap();
    let err = Db::open(DbOptions::new("/db").with_fs(fs.clone()).tiny()).unwrap_err();
    assert!(
        matches!(err, shale_engine::StorageError::Corruption { .. }),
        "{err:?}"
    );
}

#[test]
fn missing_current_with_tables_is_a_typed_error() {
    let (fs, _) = build();
    fs.remove_file(Path::new("/db/CURRENT")).unwrap();
    let err = Db::open(DbOptions::new("/db").with_fs(fs.clone()).tiny()).unwrap_err();
    assert!(
        matches!(err, shale_engine::StorageError::Corruption { .. }),
        "{err:?}"
    );
}
