//! Entry points for fuzzers and tools: untrusted bytes as a segment image
//! ([`parse_segment`], the `wal_reader` target) or as a whole log directory recovered on an
//! in-memory file system ([`recover_log_image`], the `wal_recovery` target, which runs with
//! record and header checksums ignored so that fuzzed bytes reach the code behind them).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_io::{FaultFs, FileSystem, OpenMode};

use crate::error::{Error, Result};
use crate::format::{with_checksums_ignored, Record, MAX_LSN, SEGMENT_MAGIC};
use crate::options::{Durability, OnSyncedLoss, WalOptions, MIN_SEGMENT_SIZE_BYTES};
use crate::reader::read_dir;
use crate::recovery::{corruption, verify_dir};
use crate::segment::{scan_segment, segment_file_name, valid_record_after, ScanStop};
use crate::wal::Wal;

/// Parses one segment image the way recovery judges the last segment of a log: the
/// header must be valid; records are read until zeros or the end; damage followed by
/// nothing valid is a torn tail (the records before it are returned); damage followed by a
/// valid record is [`Error::Corruption`]. Never panics, whatever the bytes.
///
/// # Errors
/// [`Error::Corruption`] with segment path `<memory>`.
pub fn parse_segment(bytes: &[u8]) -> Result<Vec<Record>> {
    let here = PathBuf::from("<memory>");
    let scan = scan_segment(bytes, true).map_err(|k| corruption(&here, 0, k))?;
    if let ScanStop::Damaged { offset, kind } = &scan.stop {
        if valid_record_after(bytes, *offset, scan.last_lsn()) {
            return Err(Error::Corruption {
                segment: here,
                offset: *offset,
                kind: kind.clone(),
            });
        }
    }
    Ok(scan.records)
}

/// Segment files one input may become; the rest of the input is ignored.
pub const MAX_FUZZ_SEGMENTS: usize = 4;
/// Records read back through [`read_dir`] from one image (its payloads are bounded by the
/// input, but a count bounds the loop on its own).
const MAX_FUZZ_RECORDS_READ: usize = 1 << 16;
/// Inputs whose segments claim a larger preallocated length are only verified and read,
/// not opened: opening tops a short segment up to that length, in memory here.
pub const MAX_FUZZ_PREALLOCATED_BYTES: u64 = 64 << 10;
/// Where the image's log lives on the in-memory file system.
const FUZZ_LOG_DIR: &str = "/wal";
/// The clock the reopened log stamps its new record with: 2026-01-01T00:00:00Z.
const FUZZ_CLOCK_MICROS: u64 = 1_767_225_600_000_000;

/// What [`recover_log_image`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoverySummary {
    /// Segment files the input became.
    pub segments: usize,
    /// Segments [`verify_dir`] judged openable as they are, with nothing to drop.
    pub clean_segments: usize,
    /// The last LSN after recovery (0 for an empty log).
    pub last_lsn: u64,
    /// Bytes recovery dropped (torn tails, unborn segments, reported synced losses).
    pub dropped_bytes: u64,
}

/// [`recover_log_image`] with record and segment-header CRC mismatches ignored on this
/// thread: the `wal_recovery` fuzz target's entry point.
///
/// # Errors
/// As [`recover_log_image`].
pub fn recover_log_image_ignoring_checksums(bytes: &[u8]) -> Result<RecoverySummary> {
    with_checksums_ignored(|| recover_log_image(bytes))
}

/// Treats `bytes` as a log directory and runs everything that reads one over it, on an
/// in-memory [`FaultFs`]:
/// 1. the input is split into segment files before each [`SEGMENT_MAGIC`] (so a seed is
///    just segment images concatenated), at most [`MAX_FUZZ_SEGMENTS`], each named after
///    the first LSN its header claims;
/// 2. [`verify_dir`] judges them, and [`read_dir`] reads every record it can;
/// 3. [`Wal::open`] recovers the log (dropping and reporting synced losses rather than
///    refusing them), appends one record, and closes (skipped, with a zero summary, when a
///    header claims a preallocation over [`MAX_FUZZ_PREALLOCATED_BYTES`]);
/// 4. [`verify_dir`] must now find every segment clean, and a second open (refusing any
///    synced loss) must find the same log plus the new record with nothing to drop.
///
/// Whatever the bytes, it returns a summary or a typed error and never panics.
///
/// # Errors
/// Whatever [`Wal::open`] reports for a log it cannot open (corruption, an LSN gap).
///
/// # Panics
/// When the pairs of checks disagree: a segment [`verify_dir`] passed that recovery
/// changes, a recovered log that is not clean afterwards, or a reopen that finds other
/// records. Those are recovery bugs, which is what the fuzzer looks for.
pub fn recover_log_image(bytes: &[u8]) -> Result<RecoverySummary> {
    let fs = Arc::new(FaultFs::new());
    let dir = PathBuf::from(FUZZ_LOG_DIR);
    fs.create_dir_all(&dir)
        .map_err(|e| Error::io("create dir", &dir, e))?;
    let segments = write_segments(&*fs, &dir, bytes)?;

    let before = verify_dir(&*fs, &dir)?;
    assert_eq!(
        before.len(),
        segments,
        "verify_dir lists every segment file"
    );
    let clean_segments = before
        .iter()
        .filter(|v| matches!(&v.outcome, Ok(dropped) if dropped.is_empty()))
        .count();
    let all_clean = clean_segments == segments;
    let records_before: u64 = before.iter().map(|v| v.records).sum();
    if let Ok(iter) = read_dir(fs.clone(), &dir, 1) {
        // Reading must end, with records or a typed error.
        for record in iter.take(MAX_FUZZ_RECORDS_READ) {
            if record.is_err() {
                break;
            }
        }
    }

    if claims_large_preallocation(bytes) {
        // Recovery may top a segment up to its preallocated length: up to 1 GiB of zeros
        // in memory per input would starve the fuzzer, not test anything new.
        return Ok(RecoverySummary {
            segments,
            clean_segments,
            last_lsn: 0,
            dropped_bytes: 0,
        });
    }
    let opened = open_log(&fs, &dir, OnSyncedLoss::DropAndReport);
    let wal = match opened {
        Ok(wal) => wal,
        Err(e) => {
            assert!(
                !all_clean,
                "verify_dir found nothing wrong, but open failed: {e}"
            );
            return Err(e);
        }
    };
    let dropped_bytes = wal.recovery_report().dropped_bytes();
    let recovered_lsn = wal.last_lsn();
    if all_clean {
        assert!(
            wal.recovery_report().is_clean(),
            "verify_dir found nothing to drop, but recovery dropped {:?}",
            wal.recovery_report()
        );
        assert_eq!(
            recovered_lsn.saturating_sub(first_lsn_or(&before, recovered_lsn)),
            records_before,
            "recovery and verify_dir count other records"
        );
    }
    let appended = wal.append(0, b"after recovery")?;
    assert_eq!(
        appended,
        recovered_lsn + 1,
        "the log goes on from the last LSN"
    );
    wal.close()?;

    let after = verify_dir(&*fs, &dir)?;
    for v in &after {
        assert!(
            matches!(&v.outcome, Ok(dropped) if dropped.is_empty()),
            "recovered log not clean: {} {:?}",
            v.segment.display(),
            v.outcome
        );
    }
    let reopened = open_log(&fs, &dir, OnSyncedLoss::Refuse)
        .unwrap_or_else(|e| panic!("a recovered log does not reopen: {e}"));
    assert!(reopened.recovery_report().is_clean());
    assert_eq!(reopened.last_lsn(), appended);
    reopened.close()?;
    Ok(RecoverySummary {
        segments,
        clean_segments,
        last_lsn: recovered_lsn,
        dropped_bytes,
    })
}

/// The LSN before the first record of a clean log: the first segment's first LSN − 1, or
/// `last` itself for a log with no segments (nothing was read).
fn first_lsn_or(verdicts: &[crate::recovery::SegmentVerdict], last: u64) -> u64 {
    verdicts
        .iter()
        .find(|v| !v.archived)
        .and_then(|v| {
            v.segment
                .file_name()?
                .to_str()
                .and_then(crate::parse_segment_file_name)
        })
        .map_or(last, |first| first - 1)
}

fn open_log(fs: &Arc<FaultFs>, dir: &Path, on_synced_loss: OnSyncedLoss) -> Result<Wal> {
    let clock = Arc::new(ManualClock::new(FUZZ_CLOCK_MICROS));
    let mut o = WalOptions::new(dir, fs.clone(), clock);
    o.segment_size_bytes = MIN_SEGMENT_SIZE_BYTES;
    o.durability = Durability::None;
    // No spare thread: everything happens on this thread, deterministically.
    o.prepare_spare_segments = false;
    o.on_synced_loss = on_synced_loss;
    Wal::open(o)
}

/// Writes the segment images of `bytes` (see [`recover_log_image`]) and returns how many.
fn write_segments(fs: &dyn FileSystem, dir: &Path, bytes: &[u8]) -> Result<usize> {
    let mut names = Vec::new();
    for image in split_at_magic(bytes).take(MAX_FUZZ_SEGMENTS) {
        let name = segment_file_name(claimed_first_lsn(image, names.len()));
        if names.contains(&name) {
            continue;
        }
        let path = dir.join(&name);
        let f = fs
            .open(&path, OpenMode::CreateNew)
            .map_err(|e| Error::io("create", &path, e))?;
        f.write_all_at(image, 0)
            .map_err(|e| Error::io("write", &path, e))?;
        names.push(name);
    }
    Ok(names.len())
}

/// Whether any segment image of `bytes` claims a preallocated length (header bytes
/// 9..16) over [`MAX_FUZZ_PREALLOCATED_BYTES`].
fn claims_large_preallocation(bytes: &[u8]) -> bool {
    split_at_magic(bytes).take(MAX_FUZZ_SEGMENTS).any(|image| {
        image.get(9..16).is_some_and(|b| {
            let mut len = [0u8; 8];
            len[..7].copy_from_slice(b);
            u64::from_le_bytes(len) > MAX_FUZZ_PREALLOCATED_BYTES
        })
    })
}

/// `bytes` cut before every occurrence of [`SEGMENT_MAGIC`] after the first byte.
fn split_at_magic(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = rest
            .windows(SEGMENT_MAGIC.len())
            .skip(1)
            .position(|w| w == SEGMENT_MAGIC)
            .map_or(rest.len(), |i| i + 1);
        let (image, tail) = rest.split_at(cut);
        rest = tail;
        Some(image)
    })
}

/// The first LSN a segment image's header claims (bytes 16..24), if it is a valid LSN;
/// otherwise one derived from the image's position, so the file still gets a name.
fn claimed_first_lsn(image: &[u8], index: usize) -> u64 {
    image
        .get(16..24)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .filter(|lsn| (1..=MAX_LSN).contains(lsn))
        .unwrap_or(index as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{encode_record, encode_segment_header, SegmentHeader};

    #[test]
    fn parses_valid_and_rejects_garbage_without_panicking() {
        let mut img = encode_segment_header(&SegmentHeader::new(1, 0, 0)).to_vec();
        encode_record(&mut img, 1, 5, 2, b"a");
        encode_record(&mut img, 2, 6, 2, b"bc");
        let recs = parse_segment(&img).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].payload, b"bc");
        assert!(parse_segment(b"garbage").is_err());
        assert!(parse_segment(&[]).is_err());
        // Torn second record: first one survives.
        let torn = &img[..img.len() - 1];
        assert_eq!(parse_segment(torn).unwrap().len(), 1);
    }
}
