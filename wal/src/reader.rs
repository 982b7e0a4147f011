//! Reading records back: from an LSN or from a timestamp, across archived and live
//! segments, for recovery replay and point-in-time restore.
//!
//! A reader loads one segment at a time into memory (at most one segment's size plus one
//! oversized record), validates it the same way recovery does, and yields its records.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::{FileSystem, OpenMode};

use crate::error::{CorruptionKind, Error, Result};
use crate::format::{decode_segment_header, Record, SEGMENT_HEADER_LEN};
use crate::recovery::corruption;
use crate::segment::{
    is_unborn, list_segments, read_segment_bytes, scan_segment, valid_record_after, ScanStop,
    SegmentFile, ARCHIVE_DIR,
};
use crate::Lsn;

/// Where an iterator starts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Start {
    Lsn(Lsn),
    Timestamp(u64),
}

/// An iterator over records in LSN order. Yields `Err` at most once, then ends.
///
/// It snapshots the list of segments when created; records appended later are not seen.
#[derive(Debug)]
pub struct WalIter {
    fs: Arc<dyn FileSystem>,
    segments: VecDeque<SegmentFile>,
    mode: OpenMode,
    start: Start,
    /// Stop after this LSN (what had been written when the iterator was made); `None` for a
    /// directory no writer has open, where the end of the last segment is the end.
    upto: Option<Lsn>,
    /// LSN the next segment must start with, once one has been read.
    expected: Option<Lsn>,
    current: VecDeque<Record>,
    /// Set once the start position has been reached (records before it are skipped).
    started: bool,
    done: bool,
}

impl WalIter {
    pub(crate) fn new(
        fs: Arc<dyn FileSystem>,
        segments: Vec<SegmentFile>,
        mode: OpenMode,
        start: Start,
        upto: Option<Lsn>,
    ) -> Result<Self> {
        let mut segments: VecDeque<SegmentFile> = segments.into();
        match start {
            Start::Lsn(from) => {
                let from = from.max(1);
                if let Some(first) = segments.front() {
                    let oldest = first.first_lsn;
                    if from < oldest {
                        return Err(Error::LsnReleased {
                            requested: from,
                            oldest_available: oldest,
                        });
                    }
                }
                // Skip whole segments that end before `from`.
                while segments.len() > 1 && segments[1].first_lsn <= from {
                    segments.pop_front();
                }
            }
            Start::Timestamp(t) => {
                // Every record before segment i is no later than header(i).first_timestamp,
                // so segment i-1 and older can be skipped while header(i) is before `t`.
                while segments.len() > 1 {
                    let h = read_header(&*fs, &segments[1].path, mode)?;
                    if h.first_timestamp_micros >= t {
                        break;
                    }
                    segments.pop_front();
                }
            }
        }
        Ok(WalIter {
            fs,
            segments,
            mode,
            start,
            upto,
            expected: None,
            current: VecDeque::new(),
            started: false,
            done: false,
        })
    }

    /// Loads the next segment's records into `current`. `Ok(false)` when none are left.
    fn load_next_segment(&mut self) -> Result<bool> {
        let Some(seg) = self.segments.pop_front() else {
            return Ok(false);
        };
        let is_last = self.segments.is_empty();
        let bytes = match read_segment_bytes(&*self.fs, &seg.path, self.mode) {
            // `release_before` may have moved it to the archive since the snapshot.
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                let archived = archived_path(&seg.path);
                match archived {
                    Some(p) => read_segment_bytes(&*self.fs, &p, self.mode)?,
                    None => return Err(Error::io("open", &seg.path, source)),
                }
            }
            other => other?,
        };
        if is_last && self.upto.is_none() && is_unborn(&bytes) {
            return Ok(false);
        }
        let scan = scan_segment(&bytes, true).map_err(|k| corruption(&seg.path, 0, k))?;
        if scan.header.first_lsn != seg.first_lsn {
            return Err(corruption(
                &seg.path,
                0,
                CorruptionKind::NameMismatch {
                    name_lsn: seg.first_lsn,
                    header_lsn: scan.header.first_lsn,
                },
            ));
        }
        if let Some(expected) = self.expected {
            if scan.header.first_lsn != expected {
                return Err(corruption(
                    &seg.path,
                    0,
                    CorruptionKind::LsnGap {
                        expected,
                        found: scan.header.first_lsn,
                    },
                ));
            }
        }
        if let ScanStop::Damaged { offset, kind } = &scan.stop {
            let damaged_lsn = scan.last_lsn() + 1;
            let is_corrupt = match self.upto {
                // A live log: bytes up to `upto` were fully written before we looked.
                Some(upto) => damaged_lsn <= upto,
                None => !is_last || valid_record_after(&bytes, *offset, scan.last_lsn()),
            };
            if is_corrupt {
                return Err(corruption(&seg.path, *offset, kind.clone()));
            }
        }
        self.expected = Some(scan.last_lsn() + 1);
        self.current = scan.records.into();
        Ok(true)
    }

    fn next_record(&mut self) -> Result<Option<Record>> {
        // Every pass consumes a record or a segment, so the loop ends.
        loop {
            let Some(r) = self.current.pop_front() else {
                if !self.load_next_segment()? {
                    return Ok(None);
                }
                continue;
            };
            if self.upto.is_some_and(|u| r.lsn > u) {
                return Ok(None);
            }
            if !self.started {
                self.started = match self.start {
                    Start::Lsn(from) => r.lsn >= from,
                    Start::Timestamp(t) => r.timestamp_micros >= t,
                };
                if !self.started {
                    continue;
                }
            }
            return Ok(Some(r));
        }
    }
}

impl Iterator for WalIter {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_record() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Where a live segment goes when archived; `None` if `path` is already in an archive.
fn archived_path(path: &Path) -> Option<PathBuf> {
    let parent = path.parent()?;
    if parent.file_name().is_some_and(|n| n == ARCHIVE_DIR) {
        return None;
    }
    Some(parent.join(ARCHIVE_DIR).join(path.file_name()?))
}

pub(crate) fn read_header(
    fs: &dyn FileSystem,
    path: &Path,
    mode: OpenMode,
) -> Result<crate::format::SegmentHeader> {
    let f = fs
        .open(path, mode)
        .map_err(|e| Error::io("open", path, e))?;
    let mut b = [0u8; SEGMENT_HEADER_LEN];
    f.read_exact_at(&mut b, 0)
        .map_err(|e| Error::io("read header", path, e))?;
    decode_segment_header(&b).map_err(|k| corruption(path, 0, k))
}

/// Segments of `dir` and of `dir/archive`, merged in LSN order. A segment present in both
/// (a crash between the archive's and the live directory's syncs) is read from `dir`.
pub(crate) fn merged_segments(
    fs: &dyn FileSystem,
    dir: &Path,
    live: Vec<SegmentFile>,
) -> Result<Vec<SegmentFile>> {
    let mut by_lsn: BTreeMap<Lsn, PathBuf> = BTreeMap::new();
    for s in list_segments(fs, &dir.join(ARCHIVE_DIR))? {
        by_lsn.insert(s.first_lsn, s.path);
    }
    for s in live {
        by_lsn.insert(s.first_lsn, s.path);
    }
    Ok(by_lsn
        .into_iter()
        .map(|(first_lsn, path)| SegmentFile { path, first_lsn })
        .collect())
}

/// Reads records with `lsn >= from` from a WAL directory that no [`crate::Wal`] has open for
/// writing: its segments and those of its `archive/` subdirectory. Point `dir` at a WAL
/// directory, or at an archive directory copied elsewhere for point-in-time restore.
///
/// Files are opened read-only (the mmap backend maps them), which is why no writer may
/// have the directory open. A torn tail at the end of the last segment ends the iteration
/// quietly; any other damage is an [`Error::Corruption`].
///
/// # Errors
/// [`Error::Io`] if the directory cannot be listed, [`Error::LsnReleased`] if `from` is
/// older than the oldest segment. Damage found while iterating is yielded by the iterator.
pub fn read_dir(fs: Arc<dyn FileSystem>, dir: &Path, from: Lsn) -> Result<WalIter> {
    let live = list_segments(&*fs, dir)?;
    let segments = merged_segments(&*fs, dir, live)?;
    WalIter::new(fs, segments, OpenMode::Read, Start::Lsn(from), None)
}

/// Like [`read_dir`], starting at the first record with `timestamp_micros >= t_micros`.
///
/// # Errors
/// As [`read_dir`], plus [`Error::Corruption`] for a damaged segment header.
pub fn read_dir_from_timestamp(
    fs: Arc<dyn FileSystem>,
    dir: &Path,
    t_micros: u64,
) -> Result<WalIter> {
    let live = list_segments(&*fs, dir)?;
    let segments = merged_segments(&*fs, dir, live)?;
    WalIter::new(
        fs,
        segments,
        OpenMode::Read,
        Start::Timestamp(t_micros),
        None,
    )
}
