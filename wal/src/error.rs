//! The WAL's error type.

use std::io;
use std::path::PathBuf;

use crate::Lsn;

/// Everything that can go wrong in the WAL.
///
/// Write-path I/O failures ([`Error::Io`], [`Error::DiskFull`]) also poison the WAL: every
/// later append or sync returns [`Error::Poisoned`] until it is reopened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done ("write", "sync", "open", ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The file system ran out of space (`ENOSPC`), typically while preallocating a segment.
    #[error("disk full during {op} of {path}")]
    DiskFull {
        /// What was being done.
        op: &'static str,
        /// The file being written.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Stored bytes failed validation somewhere other than the torn tail of the log.
    #[error("WAL corruption in {segment} at offset {offset}: {kind}")]
    Corruption {
        /// The damaged segment file.
        segment: PathBuf,
        /// Byte offset of the damaged header or record within the segment.
        offset: u64,
        /// Which check failed.
        kind: CorruptionKind,
    },
    /// An earlier write or sync failed. Linux may drop dirty pages when fsync fails, so a
    /// retry could report success for data that is gone: the WAL refuses all writes until it
    /// is reopened, which re-reads what actually reached the disk.
    #[error("WAL poisoned by an earlier failed write or sync; reopen it")]
    Poisoned,
    /// A payload is larger than [`crate::MAX_RECORD_PAYLOAD_BYTES`].
    #[error("record payload of {size} bytes exceeds the maximum of {max}")]
    RecordTooLarge {
        /// The payload size asked for.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// `WalOptions::segment_size_bytes` is out of range.
    #[error("segment size {size} is outside {min}..={max}")]
    InvalidSegmentSize {
        /// The size asked for.
        size: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// `WalOptions::writeback_every_bytes` is neither 0 nor a whole number of 4 KiB
    /// pages: a stretch that ends inside a page would leave that page mapped while it is
    /// written back.
    #[error("writeback stretch of {bytes} bytes is not 0 or a multiple of {page}")]
    InvalidWritebackStretch {
        /// The stretch asked for.
        bytes: u64,
        /// What it must be a multiple of.
        page: u64,
    },
    /// `wait_durable` was called with an LSN that was never handed out.
    #[error("LSN {lsn} was never reserved (last reserved is {last})")]
    LsnNotReserved {
        /// The LSN asked for.
        lsn: Lsn,
        /// The last LSN handed out.
        last: Lsn,
    },
    /// A read asked for records that were released (deleted) from the log.
    #[error("LSN {requested} is no longer in the log; the oldest kept is {oldest_available}")]
    LsnReleased {
        /// The first LSN asked for.
        requested: Lsn,
        /// The first LSN still stored.
        oldest_available: Lsn,
    },
    /// The LSN counter reached [`crate::MAX_LSN`].
    #[error("LSN space exhausted")]
    LsnExhausted,
}

/// Which validation failed in an [`Error::Corruption`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CorruptionKind {
    /// The segment is shorter than its header.
    #[error("segment of {len} bytes is shorter than its header")]
    SegmentTooShort {
        /// The segment's length.
        len: u64,
    },
    /// The segment file is larger than any segment the WAL writes, so it is not read
    /// into memory.
    #[error("segment of {len} bytes exceeds the maximum of {max}")]
    SegmentTooLarge {
        /// The file's length.
        len: u64,
        /// The largest segment file the WAL can produce.
        max: u64,
    },
    /// The header records a preallocated length larger than any segment the WAL creates
    /// (`MAX_SEGMENT_SIZE_BYTES`): damage, or a header not written by this WAL.
    #[error("header says the segment was preallocated to {preallocated} bytes, more than the largest segment, {max} bytes")]
    PreallocationTooLarge {
        /// The length the header records.
        preallocated: u64,
        /// The largest segment size.
        max: u64,
    },
    /// The segment does not start with the WAL magic.
    #[error("bad segment magic")]
    BadMagic,
    /// The segment's format version is not one this build reads.
    #[error("unsupported segment format version {version}")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// The segment header's checksum does not match.
    #[error("segment header checksum {actual:#010x}, expected {expected:#010x}")]
    HeaderChecksum {
        /// Stored checksum.
        expected: u32,
        /// Computed checksum.
        actual: u32,
    },
    /// The LSN in the file name and in the header disagree.
    #[error("file name says first LSN {name_lsn}, header says {header_lsn}")]
    NameMismatch {
        /// From the file name.
        name_lsn: Lsn,
        /// From the header.
        header_lsn: Lsn,
    },
    /// A record's checksum does not match its bytes.
    #[error("record checksum {actual:#010x}, expected {expected:#010x}")]
    RecordChecksum {
        /// Stored checksum.
        expected: u32,
        /// Computed checksum.
        actual: u32,
    },
    /// A record's header claims more bytes than the segment holds.
    #[error("record needs {needed} bytes but only {available} remain")]
    RecordTruncated {
        /// Bytes the record claims (header plus payload).
        needed: u64,
        /// Bytes left in the segment.
        available: u64,
    },
    /// A record's length field exceeds the maximum record size.
    #[error("record length {len} exceeds the maximum")]
    RecordTooLarge {
        /// The length field.
        len: u64,
    },
    /// LSNs are not contiguous: a record, or a segment's first LSN, is not the one expected.
    #[error("expected LSN {expected}, found {found}")]
    LsnGap {
        /// The LSN that should come next.
        expected: Lsn,
        /// The LSN found.
        found: Lsn,
    },
    /// A segment header or record names an LSN of 0 or above [`crate::MAX_LSN`], which the
    /// writer never produces.
    #[error("LSN {lsn} is outside 1..=MAX_LSN")]
    LsnOutOfRange {
        /// The LSN found.
        lsn: Lsn,
    },
    /// A segment file is shorter than the length it was preallocated to (version-2
    /// segments record it). Segments are preallocated and synced before they get their
    /// name, and a torn write never shortens a file, so bytes that were durable are gone.
    #[error("segment of {len} bytes is shorter than its preallocated {preallocated} bytes: durable bytes were lost")]
    SegmentTruncated {
        /// The file's length.
        len: u64,
        /// The length it was preallocated to.
        preallocated: u64,
    },
    /// The segment holds fewer valid records than its synced mark says were durable.
    #[error("{found} valid records, but the log marks {synced} of them as synced: synced records were lost")]
    SyncedRecordsMissing {
        /// Valid records found in the segment.
        found: u64,
        /// Records the synced mark says were durable.
        synced: u64,
    },
    /// The last segment is shorter than its header but not all zeros: not a segment whose
    /// creation was cut short (this build creates segments under another name and renames
    /// them only when complete), so its contents were lost.
    #[error("segment of {len} bytes is shorter than its header and holds data")]
    PartialHeader {
        /// The file's length.
        len: u64,
    },
    /// The end-of-log mark (an all-zero record header) is followed by non-zero bytes. The
    /// writer appends in order over zeros, and recovery zeroes what it cuts, so the bytes
    /// past the end were written by a write that reached the disk only in part (a later
    /// page persisted, an earlier one not) or are damage. Left in place, they would be
    /// dropped unreported and then sit behind the records appended next.
    #[error("end of log at this offset, but byte {first_nonzero} after it is not zero")]
    DataAfterEnd {
        /// Offset of the first non-zero byte after the end mark.
        first_nonzero: u64,
    },
    /// A record's timestamp is older than the record before it. The writer never does
    /// that (timestamps are clamped to be non-decreasing, which reading from a timestamp
    /// relies on), so the record is damage.
    #[error("record timestamp {found} us is older than the previous record's {previous} us")]
    TimestampRegression {
        /// The previous record's timestamp.
        previous: u64,
        /// This record's timestamp.
        found: u64,
    },
}

impl Error {
    /// Wraps an I/O error, singling out a full disk so callers can report it as such.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        let path = path.into();
        if source.kind() == io::ErrorKind::StorageFull {
            Error::DiskFull { op, path, source }
        } else {
            Error::Io { op, path, source }
        }
    }

    /// Whether this error is [`Error::Corruption`].
    pub fn is_corruption(&self) -> bool {
        matches!(self, Error::Corruption { .. })
    }
}

impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// Shorthand for results with the WAL's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
