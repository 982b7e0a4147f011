//! The one error type of the crate.
//!
//! Every way stored bytes can be wrong has its own [`CorruptionKind`], so a test (or an
//! operator reading a log) can tell a torn footer from a bad restart array without parsing
//! a message. Nothing in this crate panics on bad input; it returns one of these.

use std::io;
use std::path::PathBuf;

/// What the reader or writer of a table can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O call on the table file failed.
    #[error("{op} {file} at offset {offset}: {source}")]
    Io {
        /// What was being done ("read block", "write", "sync", "len").
        op: &'static str,
        /// The table file.
        file: PathBuf,
        /// Byte offset of the access (0 where it has none, e.g. a sync).
        offset: u64,
        /// The OS (or injected) error.
        #[source]
        source: io::Error,
    },
    /// A checksum did not match: the bytes changed after they were written.
    #[error("checksum mismatch in {file} at offset {offset}: expected {expected:#010x}, got {actual:#010x}")]
    ChecksumMismatch {
        /// The table file.
        file: PathBuf,
        /// Offset of the block (or header/footer) whose checksum failed.
        offset: u64,
        /// The checksum stored in the file.
        expected: u32,
        /// The checksum of the bytes actually read.
        actual: u32,
    },
    /// Stored bytes are structurally invalid (bounds, magic, ordering, encoding).
    #[error("corruption in {file} at offset {offset}: {kind}")]
    Corruption {
        /// The table file.
        file: PathBuf,
        /// Offset of the block (or header/footer) that failed validation.
        offset: u64,
        /// Which check failed.
        kind: CorruptionKind,
    },
    /// The file is a Shale table of a format version this build cannot read.
    #[error("{file}: unsupported sstable format version {found} (this build reads {supported})")]
    UnsupportedVersion {
        /// The table file.
        file: PathBuf,
        /// The version stored in the file.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// [`crate::TableWriter::add`] got an entry that does not sort strictly after the
    /// previous one in (key ascending, seq descending) order.
    #[error("{file}: entry (key of {key_len} bytes, seq {seq}) does not sort after the previous entry (seq {prev_seq})")]
    OutOfOrder {
        /// The table being written.
        file: PathBuf,
        /// Length of the rejected key (the key itself may be large or sensitive).
        key_len: usize,
        /// Seq of the rejected entry.
        seq: u64,
        /// Seq of the previous entry.
        prev_seq: u64,
    },
    /// A key longer than [`crate::MAX_KEY_BYTES`] was added.
    #[error("key of {len} bytes exceeds the limit of {max}")]
    KeyTooLarge {
        /// Length of the rejected key.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A value longer than [`crate::MAX_VALUE_BYTES`] was added.
    #[error("value of {len} bytes exceeds the limit of {max}")]
    ValueTooLarge {
        /// Length of the rejected value.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// [`crate::TableOptions`] are outside their allowed ranges.
    #[error("invalid table option {option}: {value} (allowed {min}..={max})")]
    InvalidOption {
        /// The field name.
        option: &'static str,
        /// The value given.
        value: u64,
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
    },
    /// An earlier write or sync of this writer failed; the file is in an unknown state
    /// and must be discarded, because retrying could report success for lost bytes.
    #[error("{file}: an earlier write failed; this table writer is unusable")]
    WriterPoisoned {
        /// The table being written.
        file: PathBuf,
    },
}

/// Which structural check failed, inside [`Error::Corruption`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CorruptionKind {
    /// The file is shorter than a header plus a footer.
    #[error("file of {len} bytes is too short to be a table")]
    FileTooShort {
        /// The file length.
        len: u64,
    },
    /// The header or footer does not carry the table magic number.
    #[error("bad magic number {found:#018x}")]
    BadMagic {
        /// What was found instead.
        found: u64,
    },
    /// A block handle points outside the region between header and footer.
    #[error("block handle (offset {offset}, size {size}) is out of bounds")]
    HandleOutOfBounds {
        /// The handle's offset.
        offset: u64,
        /// The handle's payload size.
        size: u64,
    },
    /// A block's type byte is not the type the reader expected there.
    #[error("expected a {expected} block, found type byte {found}")]
    WrongBlockType {
        /// The expected type.
        expected: &'static str,
        /// The type byte found.
        found: u8,
    },
    /// The restart array is missing, empty, unsorted, or points outside the entries.
    #[error("bad restart array: {reason}")]
    BadRestartArray {
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// An entry runs past the end of its block, or a varint is malformed.
    #[error("truncated or malformed entry at block offset {at}")]
    BadEntry {
        /// Offset of the entry inside the block payload.
        at: usize,
    },
    /// An entry claims to share more key bytes than the previous key has.
    #[error("entry at block offset {at} shares {shared} bytes of a {prev_len}-byte key")]
    BadSharedPrefix {
        /// Offset of the entry inside the block payload.
        at: usize,
        /// The claimed shared length.
        shared: usize,
        /// Length of the previous key.
        prev_len: usize,
    },
    /// A restart point's entry does not start a fresh key (shared length must be 0).
    #[error("restart entry at block offset {at} has a shared prefix")]
    RestartNotFresh {
        /// Offset of the entry inside the block payload.
        at: usize,
    },
    /// Entries are not strictly ordered by (key asc, seq desc).
    #[error("entry at block offset {at} is out of order")]
    EntriesOutOfOrder {
        /// Offset of the entry inside the block payload.
        at: usize,
    },
    /// An entry's kind byte is neither Put nor Delete.
    #[error("unknown value kind {found}")]
    BadValueKind {
        /// The byte found.
        found: u8,
    },
    /// A key or value is longer than the format allows.
    #[error("entry at block offset {at} exceeds the key or value size limit")]
    EntryTooLarge {
        /// Offset of the entry inside the block payload.
        at: usize,
    },
    /// An index entry's value is not a valid block handle.
    #[error("index entry does not hold a block handle")]
    BadIndexValue,
    /// The filter block's parameters are out of range.
    #[error("bad filter block: {reason}")]
    BadFilter {
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The properties block cannot be decoded or contradicts itself.
    #[error("bad properties block: {reason}")]
    BadProperties {
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// Iteration found data that contradicts the index or the properties.
    #[error("table contents contradict its metadata: {reason}")]
    Inconsistent {
        /// What disagrees.
        reason: &'static str,
    },
}

impl Error {
    /// Whether this error means the stored bytes are damaged (as opposed to an I/O
    /// failure or a caller mistake). The engine uses it to decide between "retry" and
    /// "quarantine the file".
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            Error::ChecksumMismatch { .. }
                | Error::Corruption { .. }
                | Error::UnsupportedVersion { .. }
        )
    }
}
