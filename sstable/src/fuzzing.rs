//! Entry points for `fuzz/fuzz_targets/sstable_reader.rs` and its stable corpus replay.
//!
//! [`read_table_image`] treats arbitrary bytes as a table file: it opens it, walks it
//! forward and backward, and cross-checks what it saw. Whatever the bytes, it must return
//! (`Ok` or a typed error) without panicking, hanging or allocating more than a small
//! multiple of the input.
//!
//! Under `cfg(fuzzing)` CRC mismatches are ignored (see `format.rs`), so the fuzzer
//! exercises the structural parsers directly. The stable corpus replay runs each input
//! both ways: checksums on, and ignored ([`read_table_image_ignoring_checksums`]), so
//! inputs the fuzzer found still reach the parsers they reached there.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::{FaultFs, File, FileSystem, OpenMode};

use crate::cache::BlockCache;
use crate::error::{CorruptionKind, Error};
use crate::format::{corrupt, ValueKind};
use crate::table::Table;
use crate::writer::{io_error, TableOptions, TableWriter};

/// Cache used while fuzzing: small, so eviction paths run too.
const FUZZ_CACHE_BYTES: usize = 64 * 1024;
/// Keys re-looked-up with `get` and `seek` after the forward walk.
const FUZZ_POINT_LOOKUPS: usize = 16;

const IMAGE_DIR: &str = "/fuzz";

fn image_fs() -> Result<(FaultFs, PathBuf), Error> {
    let fs = FaultFs::new();
    let dir = PathBuf::from(IMAGE_DIR);
    fs.create_dir_all(&dir)
        .map_err(|e| io_error("create dir", &dir, 0, e))?;
    Ok((fs, dir.join("table.sst")))
}

fn open_file(fs: &FaultFs, path: &Path, mode: OpenMode) -> Result<Arc<dyn File>, Error> {
    fs.open(path, mode)
        .map_err(|e| io_error("open", path, 0, e))
}

/// [`read_table_image`] with CRC mismatches ignored on this thread, as in a cargo-fuzz
/// build.
///
/// # Errors
/// As [`read_table_image`].
pub fn read_table_image_ignoring_checksums(bytes: &[u8]) -> Result<usize, Error> {
    crate::format::with_checksums_ignored(|| read_table_image(bytes))
}

/// Parses a whole table image from `bytes` (through an in-memory [`FaultFs`] file),
/// iterates it forward and backward, and looks up some of its keys. Returns the number of
/// entries.
///
/// # Errors
/// Whatever [`Table::open`] or the iterator reports for damaged input, and
/// [`CorruptionKind::Inconsistent`] if the forward walk, the backward walk, the entry
/// count in the properties and the point lookups disagree.
pub fn read_table_image(bytes: &[u8]) -> Result<usize, Error> {
    let (fs, path) = image_fs()?;
    let file = open_file(&fs, &path, OpenMode::CreateNew)?;
    file.write_all_at(bytes, 0)
        .map_err(|e| io_error("write", &path, 0, e))?;
    let table = Arc::new(Table::open(
        file,
        path.clone(),
        0,
        Some(BlockCache::new(FUZZ_CACHE_BYTES)),
    )?);
    let inconsistent = |reason| corrupt(&path, 0, CorruptionKind::Inconsistent { reason });
    // Every entry takes at least 12 bytes, so more steps than bytes means a cycle.
    let max_steps = bytes.len() + 1;

    let mut it = table.iter();
    let mut forward = 0usize;
    let mut probes: Vec<(Vec<u8>, u64)> = Vec::new();
    it.seek_to_first()?;
    while it.valid() {
        if probes.len() < FUZZ_POINT_LOOKUPS {
            probes.push((it.key().to_vec(), it.seq()));
        }
        forward += 1;
        if forward > max_steps {
            return Err(inconsistent("forward walk does not end"));
        }
        it.next()?;
    }
    let mut backward = 0usize;
    it.seek_to_last()?;
    while it.valid() {
        backward += 1;
        if backward > max_steps {
            return Err(inconsistent("backward walk does not end"));
        }
        it.prev()?;
    }
    if forward != backward || forward as u64 != table.meta().entries {
        return Err(inconsistent(
            "walks disagree with each other or the entry count",
        ));
    }
    for (key, seq) in probes {
        match table.get(&key, seq)? {
            Some((s, _, _)) if s == seq => {}
            _ => return Err(inconsistent("get misses an entry the walk saw")),
        }
        it.seek(&key)?;
        if it.key() != key.as_slice() {
            return Err(inconsistent("seek misses a key the walk saw"));
        }
    }
    Ok(forward)
}

/// One entry as the writer takes it: (key, seq, kind, value).
pub type Entry = (Vec<u8>, u64, ValueKind, Vec<u8>);

/// Writes `entries` (already in table order) as a table and returns the file's bytes; used
/// to make seed corpora and fixtures.
///
/// # Errors
/// Whatever [`TableWriter::add`] or [`TableWriter::finish`] reports.
pub fn build_table_image(entries: &[Entry], opts: TableOptions) -> Result<Vec<u8>, Error> {
    let (fs, path) = image_fs()?;
    let file = open_file(&fs, &path, OpenMode::CreateNew)?;
    let mut w = TableWriter::new(file.clone(), path.clone(), opts);
    for (k, s, t, v) in entries {
        w.add(k, *s, *t, v)?;
    }
    w.finish()?;
    file.read_to_vec()
        .map_err(|e| io_error("read", &path, 0, e))
}
