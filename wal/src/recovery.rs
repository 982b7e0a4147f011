//! Recovery on open: validate every live segment, cut a torn tail, refuse corruption.
//!
//! Rules (see `docs/format/wal.md`, "Recovery"):
//! - Damage in any segment but the last is corruption: a segment is synced before its
//!   successor is created, so its bytes were durable.
//! - Damage in the last segment is a torn tail only if no valid record with a larger LSN
//!   follows it; the damaged bytes are then zeroed (the "truncation" of a preallocated
//!   file) and synced, so a later crash cannot resurrect them.
//! - A last segment of zeros was being created when the process died (by an older build;
//!   this one creates segments under a spare's name); it holds nothing and is removed.
//! - LSNs must be contiguous from segment to segment.
//! - Records the log marks as durable must be there: the last segment may not be shorter
//!   than its preallocated length, hold fewer records than its synced mark, or be a
//!   partial header with data. Each of those is corruption under
//!   [`OnSyncedLoss::Refuse`] (nothing on disk is changed), and dropped and reported under
//!   [`OnSyncedLoss::DropAndReport`].
//!
//! Every byte recovery drops is listed in the [`RecoveryReport`] and logged at WARN.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use shale_io::{FileSystem, OpenMode};

use crate::error::{CorruptionKind, Error, Result};
use crate::format::{synced_mark, SegmentHeader, SEGMENT_HEADER_LEN, SYNCED_MARK_OFFSET};
use crate::options::{OnSyncedLoss, Preallocation};
use crate::segment::{
    create_segment, dirty_end, is_unborn, list_segments, preallocate, read_segment_bytes,
    scan_segment, valid_record_after, zero_range, ScanStop, SegmentFile, ARCHIVE_DIR,
};
use crate::writer::{ActiveSegment, SegmentWriter, SyncedMarks};
use crate::Lsn;

/// What recovery found.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub(crate) writer: SegmentWriter,
    /// Last valid LSN (0 for an empty log).
    pub(crate) last_lsn: Lsn,
    /// Largest timestamp seen, so new records never go back in time.
    pub(crate) last_timestamp_micros: u64,
    /// What was dropped.
    pub(crate) report: RecoveryReport,
    /// Whether the active segment was made by this open (no segment was live), so it
    /// has the preallocation the options ask for.
    pub(crate) fresh_active: bool,
}

/// Everything recovery dropped when the log was opened. Empty after a clean shutdown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Each dropped range, in segment order.
    pub dropped: Vec<DroppedBytes>,
}

impl RecoveryReport {
    /// Total bytes dropped.
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped.iter().map(|d| d.to - d.from).sum()
    }

    /// Records the log had marked as synced that were dropped (a lower bound: a
    /// truncated segment's lost records cannot be counted).
    pub fn synced_records_lost(&self) -> u64 {
        self.dropped.iter().map(|d| d.synced_records_lost).sum()
    }

    /// Whether nothing was dropped.
    pub fn is_clean(&self) -> bool {
        self.dropped.is_empty()
    }
}

/// One range of bytes recovery dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedBytes {
    /// The segment file.
    pub segment: PathBuf,
    /// First byte dropped.
    pub from: u64,
    /// One past the last byte dropped (for a truncated file: its preallocated length).
    pub to: u64,
    /// The LSN the first lost record had (the last valid LSN + 1); later records, if the
    /// bytes held several, had the LSNs after it.
    pub first_lost_lsn: Lsn,
    /// How many of the lost records the log had marked as synced (0 for a torn tail).
    pub synced_records_lost: u64,
    /// Why.
    pub reason: DropReason,
}

/// Why bytes were dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// Damage after the last record the log marks as synced, with nothing valid after it:
    /// a write torn by a crash, never acknowledged as durable.
    TornTail(CorruptionKind),
    /// A segment of zeros whose creation a crash cut short: nothing was in it.
    UnbornSegment,
    /// Records the log marked as synced are gone; dropped only under
    /// [`OnSyncedLoss::DropAndReport`].
    SyncedDataLost(CorruptionKind),
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

/// How recovery treats what it finds.
#[derive(Debug, Clone, Copy)]
struct Rules {
    /// Cut a torn tail on disk (recovery) rather than only reading past it (the archive).
    repair: bool,
    on_synced_loss: OnSyncedLoss,
}

/// Validates one segment image. `is_last` allows a torn tail, which is cut (zeroed) on disk
/// when `rules.repair` is set; losses of synced records are refused or reported per
/// `rules.on_synced_loss`, with everything dropped pushed to `report`.
fn check_segment(
    fs: &dyn FileSystem,
    seg: &SegmentFile,
    bytes: &[u8],
    expected_first: Option<Lsn>,
    is_last: bool,
    rules: Rules,
    report: &mut RecoveryReport,
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
    }
    let checked = Checked {
        last_lsn: scan.last_lsn(),
        last_timestamp_micros: scan.records.last().map_or(0, |r| r.timestamp_micros),
        end_offset: scan.end_offset,
    };
    if !is_last {
        return Ok(checked);
    }
    let found = scan.records.len() as u64;
    let synced = u64::from(synced_mark(bytes));
    let len = bytes.len() as u64;
    let first_lost_lsn = checked.last_lsn + 1;
    // Losses of durable data first, all refused before anything on disk changes.
    let mut losses = Vec::new();
    if scan.header.preallocated_len > len {
        losses.push((
            DroppedBytes {
                segment: seg.path.clone(),
                from: len,
                to: scan.header.preallocated_len,
                first_lost_lsn,
                synced_records_lost: synced.saturating_sub(found),
                reason: DropReason::SyncedDataLost(CorruptionKind::SegmentTruncated {
                    len,
                    preallocated: scan.header.preallocated_len,
                }),
            },
            len,
        ));
    } else if found < synced {
        let (from, to) = match &scan.stop {
            ScanStop::Damaged { offset, .. } => (*offset, dirty_end(bytes, *offset)),
            ScanStop::End => (scan.end_offset, scan.end_offset),
        };
        losses.push((
            DroppedBytes {
                segment: seg.path.clone(),
                from,
                to,
                first_lost_lsn,
                synced_records_lost: synced - found,
                reason: DropReason::SyncedDataLost(CorruptionKind::SyncedRecordsMissing {
                    found,
                    synced,
                }),
            },
            scan.end_offset,
        ));
    }
    if let Some((loss, offset)) = losses.first() {
        if rules.on_synced_loss == OnSyncedLoss::Refuse {
            let DropReason::SyncedDataLost(kind) = &loss.reason else {
                unreachable!("losses are SyncedDataLost");
            };
            return Err(corruption(&seg.path, *offset, kind.clone()));
        }
    }
    let synced_loss_covers_tail = !losses.is_empty();
    if synced_loss_covers_tail && rules.repair {
        settle_allowed_loss(fs, seg, found, scan.header.preallocated_len)?;
    }
    report
        .dropped
        .extend(losses.into_iter().map(|(loss, _)| loss));
    if let ScanStop::Damaged { offset, kind } = &scan.stop {
        let end = dirty_end(bytes, *offset);
        if !synced_loss_covers_tail {
            report.dropped.push(DroppedBytes {
                segment: seg.path.clone(),
                from: *offset,
                to: end,
                first_lost_lsn,
                synced_records_lost: 0,
                reason: DropReason::TornTail(kind.clone()),
            });
        }
        if rules.repair {
            let f = fs
                .open(&seg.path, OpenMode::ReadWrite)
                .map_err(|e| Error::io("open", &seg.path, e))?;
            zero_range(&*f, &seg.path, *offset, end, Duration::ZERO)?;
            f.sync_data().map_err(|e| Error::io("sync", &seg.path, e))?;
        }
    }
    Ok(checked)
}

/// After an allowed loss of synced records, makes the segment consistent again, so the
/// next open does not find (and refuse) the same loss: its synced mark says `found`
/// records, and its length is back to its preallocated length. The tail is cut and the
/// file synced by the caller.
fn settle_allowed_loss(
    fs: &dyn FileSystem,
    seg: &SegmentFile,
    found: u64,
    preallocated_len: u64,
) -> Result<()> {
    let f = fs
        .open(&seg.path, OpenMode::ReadWrite)
        .map_err(|e| Error::io("open", &seg.path, e))?;
    let mark = u32::try_from(found).unwrap_or(u32::MAX);
    f.write_all_at(&mark.to_le_bytes(), SYNCED_MARK_OFFSET as u64)
        .map_err(|e| Error::io("write synced mark", &seg.path, e))?;
    let len = f.len().map_err(|e| Error::io("stat", &seg.path, e))?;
    preallocate(
        &*f,
        &seg.path,
        len,
        preallocated_len,
        Preallocation::SetLen,
        Duration::ZERO,
    )?;
    f.sync_data().map_err(|e| Error::io("sync", &seg.path, e))
}

/// Whether the last segment `bytes` (too short for a header, or a header of zeros) was
/// only being created: all zeros, so nothing is lost by removing it. A partial header
/// with data is a loss, refused or reported per `on_synced_loss`.
fn unborn_segment(
    seg: &SegmentFile,
    bytes: &[u8],
    on_synced_loss: OnSyncedLoss,
    report: &mut RecoveryReport,
) -> Result<()> {
    let len = bytes.len() as u64;
    if bytes.iter().all(|&b| b == 0) {
        report.dropped.push(DroppedBytes {
            segment: seg.path.clone(),
            from: 0,
            to: 0,
            first_lost_lsn: seg.first_lsn,
            synced_records_lost: 0,
            reason: DropReason::UnbornSegment,
        });
        return Ok(());
    }
    let kind = if bytes.len() < SEGMENT_HEADER_LEN {
        CorruptionKind::PartialHeader { len }
    } else {
        CorruptionKind::BadMagic
    };
    if on_synced_loss == OnSyncedLoss::Refuse {
        return Err(corruption(&seg.path, 0, kind));
    }
    report.dropped.push(DroppedBytes {
        segment: seg.path.clone(),
        from: 0,
        to: len,
        first_lost_lsn: seg.first_lsn,
        synced_records_lost: 0,
        reason: DropReason::SyncedDataLost(kind),
    });
    Ok(())
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
    on_synced_loss: OnSyncedLoss,
) -> Result<Recovered> {
    crate::spare::remove_leftovers(&**fs, dir)?;
    let archive = dir.join(ARCHIVE_DIR);
    if fs
        .exists(&archive)
        .map_err(|e| Error::io("stat", &archive, e))?
    {
        crate::spare::remove_leftovers(&**fs, &archive)?;
    }
    let mut live = list_segments(&**fs, dir)?;
    let mut report = RecoveryReport::default();
    let rules = Rules {
        repair: true,
        on_synced_loss,
    };
    if let Some(last) = live.last().cloned() {
        let bytes = read_segment_bytes(&**fs, &last.path, OpenMode::ReadWrite)?;
        if is_unborn(&bytes) {
            unborn_segment(&last, &bytes, on_synced_loss, &mut report)?;
            fs.remove_file(&last.path)
                .map_err(|e| Error::io("remove", &last.path, e))?;
            fs.sync_dir(dir)
                .map_err(|e| Error::io("sync dir", dir, e))?;
            live.pop();
        }
    }

    let mut expected: Option<Lsn> = None;
    let mut last_ts = 0u64;
    let mut tail: Option<(Checked, SegmentFile, bool)> = None;
    for (i, seg) in live.iter().enumerate() {
        let is_last = i + 1 == live.len();
        let bytes = read_segment_bytes(&**fs, &seg.path, OpenMode::ReadWrite)?;
        let checked = check_segment(&**fs, seg, &bytes, expected, is_last, rules, &mut report)?;
        expected = Some(checked.last_lsn + 1);
        last_ts = last_ts.max(checked.last_timestamp_micros);
        if is_last {
            let has_synced_mark = bytes.get(8).is_some_and(|&version| version >= 2);
            tail = Some((checked, seg.clone(), has_synced_mark));
        }
    }

    let (active, last_lsn, fresh_active) = match tail {
        Some((checked, seg, has_synced_mark)) => {
            let path = seg.path;
            let file = fs
                .open(&path, OpenMode::ReadWrite)
                .map_err(|e| Error::io("open", &path, e))?;
            let len = file.len().map_err(|e| Error::io("stat", &path, e))?;
            if len < segment_size_bytes {
                // A crash (or `SetLen` before a switch to `Zeroed`) can leave the active
                // segment short of its preallocated size; top it up.
                preallocate(
                    &*file,
                    &path,
                    len,
                    segment_size_bytes,
                    prealloc,
                    Duration::ZERO,
                )?;
                file.sync_data().map_err(|e| Error::io("sync", &path, e))?;
            }
            // The files found may not be durable in the namespace yet (a segment created
            // just before a failure, whose directory sync never ran): make them so before
            // anything is acknowledged from them.
            fs.sync_dir(dir)
                .map_err(|e| Error::io("sync dir", dir, e))?;
            let active = ActiveSegment::new(
                path,
                file,
                checked.end_offset,
                seg.first_lsn,
                has_synced_mark,
            );
            (active, checked.last_lsn, false)
        }
        None => {
            let last_lsn = last_archived_lsn(fs, dir)?;
            let header = SegmentHeader::new(
                last_lsn + 1,
                start_timestamp_micros.max(last_ts),
                segment_size_bytes,
            );
            let (path, file) = create_segment(&**fs, dir, header, segment_size_bytes, prealloc)?;
            live.push(SegmentFile {
                path: path.clone(),
                first_lsn: header.first_lsn,
            });
            let active = ActiveSegment::new(
                path,
                file,
                SEGMENT_HEADER_LEN as u64,
                header.first_lsn,
                true,
            );
            (active, last_lsn, true)
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
            marks: SyncedMarks::default(),
            mmap_appends: false,
            writeback_every_bytes: 0,
            mapped_bytes: 0,
        },
        last_lsn,
        last_timestamp_micros: last_ts,
        report,
        fresh_active,
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
    // The archive is read as it is: a torn tail is not cut, and a loss is not refused
    // (the live log's recovery already decided about these segments).
    let rules = Rules {
        repair: false,
        on_synced_loss: OnSyncedLoss::DropAndReport,
    };
    let mut ignored = RecoveryReport::default();
    Ok(check_segment(&**fs, last, &bytes, None, true, rules, &mut ignored)?.last_lsn)
}

/// What [`verify_dir`] found in one segment file.
#[derive(Debug)]
pub struct SegmentVerdict {
    /// The file.
    pub segment: PathBuf,
    /// Whether it is in the archive rather than the live log.
    pub archived: bool,
    /// Valid records read.
    pub records: u64,
    /// The file's length.
    pub bytes: u64,
    /// `Ok` with what opening would drop from it (a torn tail, an unborn segment), or the
    /// error opening would fail with (corruption, lost synced records, I/O).
    pub outcome: Result<Vec<DroppedBytes>>,
}

/// Checks every segment of the log in `dir` (live, then archived) as recovery would,
/// without changing anything: every record's checksum, LSN continuity, the synced marks
/// and preallocated lengths. For `shale-admin verify`.
///
/// # Errors
/// [`Error::Io`] when a directory cannot be listed; problems with segments are verdicts.
pub fn verify_dir(fs: &dyn FileSystem, dir: &Path) -> Result<Vec<SegmentVerdict>> {
    let rules = Rules {
        repair: false,
        on_synced_loss: OnSyncedLoss::Refuse,
    };
    let mut verdicts = Vec::new();
    for (archived, segments) in [
        (false, list_segments(fs, dir)?),
        (true, list_segments(fs, &dir.join(ARCHIVE_DIR))?),
    ] {
        let mut expected = None;
        for (i, seg) in segments.iter().enumerate() {
            let is_last = !archived && i + 1 == segments.len();
            let mut report = RecoveryReport::default();
            let (records, bytes, outcome) = match read_segment_bytes(fs, &seg.path, OpenMode::Read)
            {
                Err(e) => (0, 0, Err(e)),
                Ok(bytes) if is_last && is_unborn(&bytes) => {
                    let len = bytes.len() as u64;
                    let r = unborn_segment(seg, &bytes, OnSyncedLoss::Refuse, &mut report);
                    (0, len, r.map(|()| report.dropped))
                }
                Ok(bytes) => {
                    let len = bytes.len() as u64;
                    match check_segment(fs, seg, &bytes, expected, is_last, rules, &mut report) {
                        Ok(checked) => {
                            expected = Some(checked.last_lsn + 1);
                            let records = (checked.last_lsn + 1).saturating_sub(seg.first_lsn);
                            (records, len, Ok(report.dropped))
                        }
                        Err(e) => {
                            // Its last LSN is unknown: do not report the next one as a gap.
                            expected = None;
                            (0, len, Err(e))
                        }
                    }
                }
            };
            verdicts.push(SegmentVerdict {
                segment: seg.path.clone(),
                archived,
                records,
                bytes,
                outcome,
            });
        }
    }
    Ok(verdicts)
}
