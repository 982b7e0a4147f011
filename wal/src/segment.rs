//! Segment files: their names, how they are created and preallocated, and how one
//! segment's bytes are scanned and told apart into "valid records", "end of log" and
//! "damage".

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use shale_io::{File, FileSystem, OpenMode};

use crate::error::{CorruptionKind, Error, Result};
use crate::format::{
    decode_record, decode_segment_header, encode_segment_header, raw_record_header, Record,
    SegmentHeader, Slot, MAX_RECORD_PAYLOAD_BYTES, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN,
};
use crate::options::Preallocation;
use crate::Lsn;

/// Suffix of segment files; the stem is the first LSN as 20 decimal digits, so that name
/// order is LSN order.
pub const SEGMENT_SUFFIX: &str = ".wal";
/// Name of the archive subdirectory.
pub const ARCHIVE_DIR: &str = "archive";
/// Zeros are written in chunks of this size when preallocating, to bound the buffer.
const PREALLOCATE_CHUNK_BYTES: usize = 1 << 20;
/// The pause between a spare's chunks of zeros ([`zero_range`]): 64 pauses for a 64 MiB
/// segment spread its preparation over about a third of a second, where the log takes
/// seconds to fill the half segment that remains when the spare is asked for.
pub const SPARE_CHUNK_PAUSE: Duration = Duration::from_millis(4);
/// Budget of bytes checksummed while looking for a valid record after a damaged one, as a
/// multiple of the segment's length. A hostile segment could otherwise make that search
/// quadratic; when the budget runs out the damage is reported as corruption (fail safe:
/// never silently drop data we could not prove is a torn tail).
const SCAN_AHEAD_CRC_BUDGET_FACTOR: usize = 4;

/// The file name of the segment whose first LSN is `first_lsn`.
pub fn segment_file_name(first_lsn: Lsn) -> String {
    format!("{first_lsn:020}{SEGMENT_SUFFIX}")
}

/// The first LSN encoded in a segment file name, or `None` for any other file.
pub fn parse_segment_file_name(name: &str) -> Option<Lsn> {
    let stem = name.strip_suffix(SEGMENT_SUFFIX)?;
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// A segment file found in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentFile {
    /// Full path.
    pub path: PathBuf,
    /// First LSN, from the file name.
    pub first_lsn: Lsn,
}

/// Lists the segment files of `dir` in LSN order; a missing directory lists as empty.
///
/// # Errors
/// [`Error::Io`] if the directory cannot be listed.
pub fn list_segments(fs: &dyn FileSystem, dir: &Path) -> Result<Vec<SegmentFile>> {
    if !fs.exists(dir).map_err(|e| Error::io("stat", dir, e))? {
        return Ok(Vec::new());
    }
    let names = fs.list_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    let mut out: Vec<SegmentFile> = names
        .iter()
        .filter_map(|n| {
            parse_segment_file_name(n).map(|first_lsn| SegmentFile {
                path: dir.join(n),
                first_lsn,
            })
        })
        .collect();
    out.sort_by_key(|s| s.first_lsn);
    Ok(out)
}

/// Largest segment file the WAL can produce: the largest segment size, or a header plus
/// one maximal record (which gets a segment of its own). Larger files are refused rather
/// than read into memory.
pub const MAX_SEGMENT_FILE_BYTES: u64 = crate::options::MAX_SEGMENT_SIZE_BYTES
    + (SEGMENT_HEADER_LEN + RECORD_HEADER_LEN + MAX_RECORD_PAYLOAD_BYTES) as u64;

/// Reads a whole segment file.
///
/// # Errors
/// [`Error::Io`] if it cannot be opened or read; [`Error::Corruption`] if it is larger than
/// [`MAX_SEGMENT_FILE_BYTES`].
pub fn read_segment_bytes(fs: &dyn FileSystem, path: &Path, mode: OpenMode) -> Result<Vec<u8>> {
    let f = fs
        .open(path, mode)
        .map_err(|e| Error::io("open", path, e))?;
    let len = f.len().map_err(|e| Error::io("stat", path, e))?;
    if len > MAX_SEGMENT_FILE_BYTES {
        return Err(Error::Corruption {
            segment: path.to_path_buf(),
            offset: 0,
            kind: CorruptionKind::SegmentTooLarge {
                len,
                max: MAX_SEGMENT_FILE_BYTES,
            },
        });
    }
    let bytes = f.read_to_vec().map_err(|e| Error::io("read", path, e))?;
    // A segment removed while it was being read may have been cut short under the reader:
    // the engine renames removed files to trash and truncates them a slice at a time
    // (`shale_io::gradual_delete`), where an unlink left an open file whole. Gone from its
    // name now, it is as gone as one removed before the open.
    if !fs.exists(path).map_err(|e| Error::io("stat", path, e))? {
        return Err(Error::io("read", path, std::io::ErrorKind::NotFound.into()));
    }
    Ok(bytes)
}

/// Creates segment `first_lsn` in `dir`: header and preallocated space written and synced
/// under a spare's name, then renamed to the segment's name and the directory synced, so
/// that a segment file, once it exists, is never shorter than its preallocated length (a
/// shorter one lost durable bytes, see `crate::recovery`). `header.preallocated_len` must
/// be `size_bytes`.
///
/// # Errors
/// [`Error::Io`] or [`Error::DiskFull`] from any step; the half-made file keeps its spare
/// name and is deleted at the next open.
pub fn create_segment(
    fs: &dyn FileSystem,
    dir: &Path,
    header: SegmentHeader,
    size_bytes: u64,
    prealloc: Preallocation,
) -> Result<(PathBuf, Arc<dyn File>)> {
    debug_assert_eq!(header.preallocated_len, size_bytes);
    let path = dir.join(segment_file_name(header.first_lsn));
    let making = dir.join(format!(
        "{:020}.new{}",
        header.first_lsn,
        crate::spare::SPARE_SUFFIX
    ));
    let f = fs
        .open(&making, OpenMode::CreateTruncate)
        .map_err(|e| Error::io("create", &making, e))?;
    f.write_all_at(&encode_segment_header(&header), 0)
        .map_err(|e| Error::io("write header", &making, e))?;
    preallocate(
        &*f,
        &making,
        SEGMENT_HEADER_LEN as u64,
        size_bytes,
        prealloc,
        Duration::ZERO,
    )?;
    f.sync_data().map_err(|e| Error::io("sync", &making, e))?;
    fs.rename(&making, &path)
        .map_err(|e| Error::io("rename new segment", &making, e))?;
    fs.sync_dir(dir)
        .map_err(|e| Error::io("sync dir", dir, e))?;
    Ok((path, f))
}

/// Fills `[from, to)` of `f` with zeros (or extends it with `set_len`), without syncing
/// the end (see [`zero_range`], and its `pause`).
///
/// # Errors
/// [`Error::Io`] or [`Error::DiskFull`].
pub fn preallocate(
    f: &dyn File,
    path: &Path,
    from: u64,
    to: u64,
    prealloc: Preallocation,
    pause: Duration,
) -> Result<()> {
    if from >= to {
        return Ok(());
    }
    match prealloc {
        Preallocation::SetLen => f.set_len(to).map_err(|e| Error::io("preallocate", path, e)),
        Preallocation::Zeroed => zero_range(f, path, from, to, pause),
    }
}

/// Overwrites `[from, to)` with zeros, chunk by chunk; the caller syncs the end.
///
/// With a non-zero `pause` (a spare, prepared beside a running log:
/// [`SPARE_CHUNK_PAUSE`]), each chunk but the last is synced before the next is
/// written, with `pause` between them. One fdatasync of a whole 64 MiB segment of zeros
/// made every log fdatasync issued meanwhile wait behind it: a chunk at a time keeps
/// what any one sync carries to a megabyte (RocksDB's `bytes_per_sync`, for the same
/// reason), and the pause leaves the disk to the log's own syncs. With zero (a segment
/// created inside a roll, or a repair at open) nothing else of the log's is syncing,
/// and the writers wait: one sync at the end.
///
/// # Errors
/// [`Error::Io`] or [`Error::DiskFull`].
pub fn zero_range(f: &dyn File, path: &Path, from: u64, to: u64, pause: Duration) -> Result<()> {
    let zeros = vec![0u8; PREALLOCATE_CHUNK_BYTES.min((to - from) as usize)];
    let mut at = from;
    while at < to {
        let n = zeros.len().min((to - at) as usize);
        f.write_all_at(&zeros[..n], at)
            .map_err(|e| Error::io("preallocate", path, e))?;
        at += n as u64;
        if at < to && !pause.is_zero() {
            f.sync_data().map_err(|e| Error::io("sync", path, e))?;
            std::thread::sleep(pause);
        }
    }
    Ok(())
}

/// Where and why a scan stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanStop {
    /// Zeros or the end of the file: the log ends cleanly here.
    End,
    /// Bytes that are not the next valid record. Whether that is a torn tail or
    /// corruption is for the caller to decide (see [`valid_record_after`]).
    Damaged {
        /// Offset of the damaged record.
        offset: u64,
        /// What is wrong with it.
        kind: CorruptionKind,
    },
}

/// The outcome of scanning one segment image.
#[derive(Debug, Clone)]
pub struct SegmentScan {
    /// The segment header.
    pub header: SegmentHeader,
    /// The valid records, in order, LSN-contiguous from `header.first_lsn`.
    pub records: Vec<Record>,
    /// Offset just past the last valid record: where the next record goes.
    pub end_offset: u64,
    /// Why scanning stopped there.
    pub stop: ScanStop,
}

impl SegmentScan {
    /// LSN of the last valid record, or `first_lsn - 1` if there is none.
    pub fn last_lsn(&self) -> Lsn {
        self.records
            .last()
            .map_or(self.header.first_lsn.saturating_sub(1), |r| r.lsn)
    }
}

/// Scans a segment image: header, then records until the end or the first damage.
/// `keep_records` false skips collecting payloads (recovery only needs positions).
///
/// # Errors
/// The [`CorruptionKind`] if the header itself is invalid.
pub fn scan_segment(bytes: &[u8], keep_records: bool) -> Result<SegmentScan, CorruptionKind> {
    let header = decode_segment_header(bytes)?;
    let mut records = Vec::new();
    let mut offset = SEGMENT_HEADER_LEN;
    let mut expected = header.first_lsn;
    let mut last_ts = 0u64;
    // Every record takes at least a header's worth of bytes, which bounds the loop.
    let max_records = bytes.len() / RECORD_HEADER_LEN + 1;
    let mut stop = ScanStop::End;
    for _ in 0..max_records {
        match decode_record(&bytes[offset..]) {
            Slot::End => {
                // The end mark must be followed by nothing but zeros: bytes after it are a
                // write that landed in part, and must be reported and cut like any torn
                // tail (or refused, if valid records follow), never silently skipped.
                if let Some(first_nonzero) = first_nonzero_byte(&bytes[offset..]) {
                    stop = ScanStop::Damaged {
                        offset: offset as u64,
                        kind: CorruptionKind::DataAfterEnd {
                            first_nonzero: (offset + first_nonzero) as u64,
                        },
                    };
                }
                break;
            }
            Slot::Invalid(kind) => {
                stop = ScanStop::Damaged {
                    offset: offset as u64,
                    kind,
                };
                break;
            }
            Slot::Record { record, len } => {
                if record.lsn != expected {
                    stop = ScanStop::Damaged {
                        offset: offset as u64,
                        kind: CorruptionKind::LsnGap {
                            expected,
                            found: record.lsn,
                        },
                    };
                    break;
                }
                if record.timestamp_micros < last_ts && !records.is_empty() {
                    stop = ScanStop::Damaged {
                        offset: offset as u64,
                        kind: CorruptionKind::TimestampRegression {
                            previous: last_ts,
                            found: record.timestamp_micros,
                        },
                    };
                    break;
                }
                last_ts = record.timestamp_micros;
                expected = expected.saturating_add(1);
                offset += len;
                if keep_records {
                    records.push(record);
                } else {
                    records.push(Record {
                        payload: Vec::new(),
                        ..record
                    });
                }
            }
        }
    }
    Ok(SegmentScan {
        header,
        records,
        end_offset: offset as u64,
        stop,
    })
}

/// Whether a valid record with an LSN above `last_valid_lsn` starts anywhere at or after
/// `from` in `bytes`. If one does, the damage at `from` is not a torn tail but corruption
/// in the middle of the log: data after it was once acknowledged.
///
/// Returns `true` also when the search budget runs out, so an unprovable case is reported
/// rather than silently truncated. A payload that happens to contain a valid record image
/// can also make this `true`; that errs on the same safe side.
pub fn valid_record_after(bytes: &[u8], from: u64, last_valid_lsn: Lsn) -> bool {
    let start = from as usize;
    let mut budget = bytes.len().saturating_mul(SCAN_AHEAD_CRC_BUDGET_FACTOR);
    // At most one record per header-length of bytes can hold a larger LSN.
    let max_lsn = last_valid_lsn.saturating_add((bytes.len() / RECORD_HEADER_LEN) as u64 + 1);
    for at in start..bytes.len().saturating_sub(RECORD_HEADER_LEN - 1) {
        let Some(h) = raw_record_header(&bytes[at..]) else {
            break;
        };
        if h.lsn <= last_valid_lsn || h.lsn > max_lsn {
            continue;
        }
        let len = RECORD_HEADER_LEN + h.payload_len as usize;
        if h.payload_len as usize > MAX_RECORD_PAYLOAD_BYTES || at + len > bytes.len() {
            continue;
        }
        if budget < len {
            return true;
        }
        budget -= len;
        if matches!(decode_record(&bytes[at..at + len]), Slot::Record { .. }) {
            return true;
        }
    }
    false
}

/// The index of the first non-zero byte of `bytes`, if any. Checks a block at a time, so
/// the zeros after the end of a preallocated 64 MiB segment cost milliseconds, not a
/// byte-at-a-time pass.
fn first_nonzero_byte(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 4096;
    bytes.chunks(BLOCK).enumerate().find_map(|(i, block)| {
        if block.iter().fold(0u8, |acc, &b| acc | b) == 0 {
            None
        } else {
            block.iter().position(|&b| b != 0).map(|at| i * BLOCK + at)
        }
    })
}

/// Offset one past the last non-zero byte of `bytes` at or after `from` (or `from`).
pub fn dirty_end(bytes: &[u8], from: u64) -> u64 {
    let start = (from as usize).min(bytes.len());
    bytes[start..]
        .iter()
        .rposition(|&b| b != 0)
        .map_or(from, |i| (start + i + 1) as u64)
}

/// Whether `bytes` looks like a segment that was being created when the process died:
/// shorter than a header, or a header of zeros. Such a last segment holds nothing.
pub fn is_unborn(bytes: &[u8]) -> bool {
    bytes.len() < SEGMENT_HEADER_LEN || bytes[..SEGMENT_HEADER_LEN].iter().all(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::encode_record;

    /// A file whose first read renames it away first: a segment removed (renamed to
    /// trash, to be truncated) while a reader has it open.
    #[derive(Debug)]
    struct RemovedWhileRead {
        inner: Arc<dyn shale_io::File>,
        fs: shale_io::FaultFs,
        path: PathBuf,
    }

    impl shale_io::File for RemovedWhileRead {
        fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
            let trash = self.path.with_extension("wal.trash");
            let _ = self.fs.rename(&self.path, &trash);
            self.inner.read_at(buf, offset)
        }
        fn write_all_at(&self, buf: &[u8], offset: u64) -> std::io::Result<()> {
            self.inner.write_all_at(buf, offset)
        }
        fn sync_data(&self) -> std::io::Result<()> {
            self.inner.sync_data()
        }
        fn len(&self) -> std::io::Result<u64> {
            self.inner.len()
        }
        fn set_len(&self, len: u64) -> std::io::Result<()> {
            self.inner.set_len(len)
        }
    }

    /// Hands out [`RemovedWhileRead`] files.
    #[derive(Debug)]
    struct RemovingFs(shale_io::FaultFs);

    impl FileSystem for RemovingFs {
        fn open(&self, path: &Path, mode: OpenMode) -> std::io::Result<Arc<dyn shale_io::File>> {
            Ok(Arc::new(RemovedWhileRead {
                inner: self.0.open(path, mode)?,
                fs: self.0.clone(),
                path: path.to_path_buf(),
            }))
        }
        fn create_dir_all(&self, path: &Path) -> std::io::Result<()> {
            self.0.create_dir_all(path)
        }
        fn list_dir(&self, path: &Path) -> std::io::Result<Vec<String>> {
            self.0.list_dir(path)
        }
        fn remove_file(&self, path: &Path) -> std::io::Result<()> {
            self.0.remove_file(path)
        }
        fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
            self.0.rename(from, to)
        }
        fn exists(&self, path: &Path) -> std::io::Result<bool> {
            self.0.exists(path)
        }
        fn sync_dir(&self, path: &Path) -> std::io::Result<()> {
            self.0.sync_dir(path)
        }
        fn remove_dir_all(&self, path: &Path) -> std::io::Result<()> {
            self.0.remove_dir_all(path)
        }
        fn link_or_copy(&self, from: &Path, to: &Path) -> std::io::Result<()> {
            self.0.link_or_copy(from, to)
        }
    }

    /// Opened before its removal, a segment read back whole under an unlink; renamed to
    /// trash and truncated instead, it could be cut short mid-read, so a reader must see
    /// it as gone, exactly as if it had been removed before the open.
    #[test]
    fn a_segment_removed_while_it_is_read_reads_as_not_found() {
        let fault = shale_io::FaultFs::new();
        let path = Path::new("/wal/00000000000000000001.wal");
        fault.create_dir_all(Path::new("/wal")).unwrap();
        let f = fault.open(path, OpenMode::CreateNew).unwrap();
        f.write_all_at(&image(1, 3, 64), 0).unwrap();
        let fs = RemovingFs(fault.clone());
        match read_segment_bytes(&fs, path, OpenMode::Read) {
            Err(Error::Io { source, .. }) => {
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound)
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
        // Not removed while read: read whole.
        let path2 = Path::new("/wal/00000000000000000004.wal");
        let g = fault.open(path2, OpenMode::CreateNew).unwrap();
        g.write_all_at(&image(4, 2, 8), 0).unwrap();
        assert_eq!(
            read_segment_bytes(&fault, path2, OpenMode::Read).unwrap(),
            image(4, 2, 8)
        );
    }

    fn image(first: Lsn, n: u64, tail_zeros: usize) -> Vec<u8> {
        let mut b = encode_segment_header(&SegmentHeader::new(first, 0, 0)).to_vec();
        for i in 0..n {
            encode_record(&mut b, first + i, i, 1, &[i as u8; 10]);
        }
        b.resize(b.len() + tail_zeros, 0);
        b
    }

    #[test]
    fn names_roundtrip_and_reject_strangers() {
        assert_eq!(parse_segment_file_name(&segment_file_name(17)), Some(17));
        assert_eq!(parse_segment_file_name("17.wal"), None);
        assert_eq!(parse_segment_file_name("0000000000000000001x.wal"), None);
        assert_eq!(parse_segment_file_name("00000000000000000001.tmp"), None);
        assert!(segment_file_name(2) > segment_file_name(1));
    }

    #[test]
    fn scan_stops_cleanly_at_zeros() {
        let b = image(5, 3, 100);
        let s = scan_segment(&b, true).unwrap();
        assert_eq!(s.records.len(), 3);
        assert_eq!(s.last_lsn(), 7);
        assert_eq!(s.stop, ScanStop::End);
        assert_eq!(s.end_offset as usize, b.len() - 100);
    }

    #[test]
    fn damage_in_the_middle_is_told_apart_from_a_torn_tail() {
        let b = image(1, 5, 64);
        let rec = RECORD_HEADER_LEN + 10;
        // Middle record damaged: valid records follow.
        let mut mid = b.clone();
        mid[SEGMENT_HEADER_LEN + rec + 12] ^= 4;
        let s = scan_segment(&mid, false).unwrap();
        let ScanStop::Damaged { offset, .. } = s.stop else {
            panic!("not damaged")
        };
        assert_eq!(offset as usize, SEGMENT_HEADER_LEN + rec);
        assert!(valid_record_after(&mid, offset, s.last_lsn()));
        // Last record torn: nothing valid after.
        let torn_at = SEGMENT_HEADER_LEN + 4 * rec + 7;
        let mut torn = b[..torn_at].to_vec();
        torn.resize(b.len(), 0);
        let s = scan_segment(&torn, false).unwrap();
        let ScanStop::Damaged { offset, .. } = s.stop else {
            panic!("not damaged")
        };
        assert!(!valid_record_after(&torn, offset, s.last_lsn()));
        let end = dirty_end(&torn, offset) as usize;
        assert!(end <= torn_at && end > offset as usize);
        assert!(torn[end..].iter().all(|&b| b == 0));
    }

    #[test]
    fn a_timestamp_going_backwards_is_damage_not_a_panic() {
        let mut b = image(1, 2, 0);
        encode_record(&mut b, 3, 0, 1, b"older than record 2");
        b.resize(b.len() + 32, 0);
        let s = scan_segment(&b, true).unwrap();
        assert_eq!(s.records.len(), 2);
        assert!(matches!(
            s.stop,
            ScanStop::Damaged {
                kind: CorruptionKind::TimestampRegression {
                    previous: 1,
                    found: 0
                },
                ..
            }
        ));
    }

    #[test]
    fn unborn_segments_are_recognised() {
        assert!(is_unborn(&[]));
        assert!(is_unborn(&[0u8; 100]));
        assert!(!is_unborn(&image(1, 0, 0)));
    }
}
