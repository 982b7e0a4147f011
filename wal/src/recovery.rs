//! Recovery on open: validate every live segment, cut a torn tail, refuse corruption.
//!
//! Rules (see `docs/format/wal.md`, "Recovery"):
//! - Damage in any segment but the last is corruption: a segment is synced before its
//!   successor is created, so its bytes were durable.
//! - Damage in the last segment is a torn tail only if no valid record with a larger LSN
//!   follows it; the damaged bytes are then zeroed (the "truncation" of a preallocated
//!   file) and synced, so a later crash cannot resurrect them.
//! - A last segment that never got its header (shorter than one, or zeros) was being
//!   created when the process died; it holds nothing and is removed.
//! - LSNs must be contiguous from segment to segment.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::{FileSystem, OpenMode};

use crate::error::{CorruptionKind, Error, Result};
use crate::format::{SegmentHeader, SEGMENT_HEADER_LEN};
use crate::options::Preallocation;
use crate::segment::{
    create_segment, dirty_end, is_unborn, list_segments, preallocate, read_segment_bytes,
    scan_segment, valid_record_after, zero_range, ScanStop, SegmentFile, ARCHIVE_DIR,
};
use crate::writer::{ActiveSegment, SegmentWriter};
use crate::Lsn;

/// What recovery found.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub(crate) writer: SegmentWriter,
    /// Last valid LSN (0 for an empty log).
    pub(crate) last_lsn: Lsn,
    /// Largest timestamp seen, so new records never go back in time.
    pub(crate) last_timestamp_micros: u64,
}

pub(crate) fn corruption(segment: &Path, offset: u64, kind: CorruptionKind) -> Error {
    Error::Corruption {
        segment: segment.to_path_buf(),
        offset,
        kind,
    }
}

/// What one scanned segment contributes.
struct Checked {
    last_lsn: Lsn,
    last_timestamp_micros: u64,
    end_offset: u64,
}

/// Validates one segment image. `is_last` allows a torn tail, which is cut (zeroed) on disk
/// when `repair` is set.
fn check_segment(
    fs: &dyn FileSystem,
    seg: &SegmentFile,
    bytes: &[u8],
    expected_first: Option<Lsn>,
    is_last: bool,
    repair: bool,
) -> Result<Checked> {
    let scan = scan_segment(bytes, false).map_err(|k| corruption(&seg.path, 0, k))?;
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
    if let Some(expected) = expected_first {
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
        if !is_last || valid_record_after(bytes, *offset, scan.last_lsn()) {
            return Err(corruption(&seg.path, *offset, kind.clone()));
        }
        if repair {
            let f = fs
                .open(&seg.path, OpenMode::ReadWrite)
                .map_err(|e| Error::io("open", &seg.path, e))?;
            zero_range(&*f, &seg.path, *offset, dirty_end(bytes, *offset))?;
            f.sync_data().map_err(|e| Error::io("sync", &seg.path, e))?;
        }
    }
    Ok(Checked {
        last_lsn: scan.last_lsn(),
        last_timestamp_micros: scan.records.last().map_or(0, |r| r.timestamp_micros),
        end_offset: scan.end_offset,
    })
}

/// Recovers the live segments of `dir` and opens the active segment for appending,
/// creating the first segment of an empty log.
///
/// # Errors
/// [`Error::Corruption`] for damage that is not a torn tail, [`Error::Io`] /
/// [`Error::DiskFull`] for I/O failures.
pub(crate) fn recover(
    fs: &Arc<dyn FileSystem>,
    dir: &Path,
    segment_size_bytes: u64,
    prealloc: Preallocation,
    start_timestamp_micros: u64,
) -> Result<Recovered> {
    crate::spare::remove_spares(&**fs, dir)?;
    let mut live = list_segments(&**fs, dir)?;
    if let Some(last) = live.last().cloned() {
        let bytes = read_segment_bytes(&**fs, &last.path, OpenMode::ReadWrite)?;
        if is_unborn(&bytes) {
            fs.remove_file(&last.path)
                .map_err(|e| Error::io("remove", &last.path, e))?;
            fs.sync_dir(dir)
                .map_err(|e| Error::io("sync dir", dir, e))?;
            live.pop();
        }
    }

    let mut expected: Option<Lsn> = None;
    let mut last_ts = 0u64;
    let mut tail: Option<(Checked, PathBuf)> = None;
    for (i, seg) in live.iter().enumerate() {
        let is_last = i + 1 == live.len();
        let bytes = read_segment_bytes(&**fs, &seg.path, OpenMode::ReadWrite)?;
        let checked = check_segment(&**fs, seg, &bytes, expected, is_last, true)?;
        expected = Some(checked.last_lsn + 1);
        last_ts = last_ts.max(checked.last_timestamp_micros);
        if is_last {
            tail = Some((checked, seg.path.clone()));
        }
    }

    let (active, last_lsn) = match tail {
        Some((checked, path)) => {
            let file = fs
                .open(&path, OpenMode::ReadWrite)
                .map_err(|e| Error::io("open", &path, e))?;
            let len = file.len().map_err(|e| Error::io("stat", &path, e))?;
            if len < segment_size_bytes {
                // A crash (or `SetLen` before a switch to `Zeroed`) can leave the active
                // segment short of its preallocated size; top it up.
                preallocate(&*file, &path, len, segment_size_bytes, prealloc)?;
                file.sync_data().map_err(|e| Error::io("sync", &path, e))?;
            }
            // The files found may not be durable in the namespace yet (a segment created
            // just before a failure, whose directory sync never ran): make them so before
            // anything is acknowledged from them.
            fs.sync_dir(dir)
                .map_err(|e| Error::io("sync dir", dir, e))?;
            let active = ActiveSegment {
                path,
                file,
                offset: checked.end_offset,
            };
            (active, checked.last_lsn)
        }
        None => {
            let last_lsn = last_archived_lsn(fs, dir)?;
            let header = SegmentHeader {
                first_lsn: last_lsn + 1,
                first_timestamp_micros: start_timestamp_micros.max(last_ts),
            };
            let (path, file) = create_segment(&**fs, dir, header, segment_size_bytes, prealloc)?;
            live.push(SegmentFile {
                path: path.clone(),
                first_lsn: header.first_lsn,
            });
            let active = ActiveSegment {
                path,
                file,
                offset: SEGMENT_HEADER_LEN as u64,
            };
            (active, last_lsn)
        }
    };
    Ok(Recovered {
        writer: SegmentWriter {
            fs: fs.clone(),
            dir: dir.to_path_buf(),
            segment_size_bytes,
            prealloc,
            active,
            live,
            spares: None,
            spare_requested: false,
        },
        last_lsn,
        last_timestamp_micros: last_ts,
    })
}

/// The last LSN in the archive, for a log whose live segments are all gone (so numbering
/// continues instead of restarting at 1 and colliding with archived LSNs).
fn last_archived_lsn(fs: &Arc<dyn FileSystem>, dir: &Path) -> Result<Lsn> {
    let archived = list_segments(&**fs, &dir.join(ARCHIVE_DIR))?;
    let Some(last) = archived.last() else {
        return Ok(0);
    };
    let bytes = read_segment_bytes(&**fs, &last.path, OpenMode::Read)?;
    Ok(check_segment(&**fs, last, &bytes, None, true, false)?.last_lsn)
}
