//! The on-disk byte layout of segment headers and records (see `docs/format/wal.md`).
//!
//! Pure functions over byte slices, no I/O: the writer encodes with them, and recovery,
//! the iterators and the fuzz entry point decode with them, so there is exactly one
//! definition of the format.
//!
//! Invariant the reader relies on: a record header is never all zeros, because a real
//! record has `lsn >= 1`. Preallocated (zeroed) space therefore reads as "end of log".

use crate::error::CorruptionKind;
use crate::options::MAX_SEGMENT_SIZE_BYTES;
use crate::Lsn;

/// First bytes of every segment file.
pub const SEGMENT_MAGIC: [u8; 8] = *b"SHALEWAL";
/// The segment format version this build writes. Version 2 added the preallocated length
/// and the synced mark to the header; version 1 segments (with those bytes zero) are still
/// read, with the older, weaker recovery rules.
pub const FORMAT_VERSION: u8 = 2;
/// The oldest segment format version this build reads.
pub const OLDEST_READABLE_VERSION: u8 = 1;
/// Offset of the synced mark in a version-2 header: a `u32`, the number of this segment's
/// records known durable (synced) when the latest group-commit sync began. Not covered by
/// the header checksum, because it is rewritten in place at every sync; it is four aligned
/// bytes in the first sector, which a torn write cannot split.
pub const SYNCED_MARK_OFFSET: usize = 36;
/// Size of the segment header.
pub const SEGMENT_HEADER_LEN: usize = 40;
/// Size of a record header: crc32 (4), payload length (4), LSN (8), timestamp (8), kind (1).
pub const RECORD_HEADER_LEN: usize = 25;
/// The largest LSN the WAL hands out or accepts on disk. Half the `u64` space (at ten
/// million records a second, 29,000 years), so that `lsn + 1` and the engine's
/// `lsn + offset` arithmetic on any LSN read back from a file can never overflow: a
/// record or header claiming more is corruption, not a number to compute with.
pub const MAX_LSN: Lsn = u64::MAX >> 1;
/// Largest record payload accepted, so one damaged length field can never make a reader
/// allocate gigabytes.
pub const MAX_RECORD_PAYLOAD_BYTES: usize = 64 << 20;

/// One log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its log sequence number; contiguous from 1.
    pub lsn: Lsn,
    /// Commit time in microseconds since the Unix epoch, from the WAL's clock. Non-decreasing
    /// in LSN order (the WAL clamps a clock that steps back).
    pub timestamp_micros: u64,
    /// Caller-defined record type.
    pub kind: u8,
    /// Caller-defined bytes.
    pub payload: Vec<u8>,
}

/// The decoded segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// LSN of the first record this segment holds (or will hold, if it is empty).
    pub first_lsn: Lsn,
    /// Upper bound on the timestamp of every record in earlier segments; used to skip whole
    /// segments when reading from a timestamp or purging the archive.
    pub first_timestamp_micros: u64,
    /// The length the file was preallocated to before it became a segment (version 2; 0 in
    /// a version-1 header, which did not record it). A segment file shorter than this lost
    /// bytes that were durable: a torn write never shortens a preallocated file.
    pub preallocated_len: u64,
}

impl SegmentHeader {
    /// A version-2 header for a segment preallocated to `preallocated_len` bytes.
    pub fn new(first_lsn: Lsn, first_timestamp_micros: u64, preallocated_len: u64) -> Self {
        SegmentHeader {
            first_lsn,
            first_timestamp_micros,
            preallocated_len,
        }
    }
}

/// Largest preallocated length a header can record: 7 bytes.
pub const MAX_PREALLOCATED_LEN: u64 = (1 << 56) - 1;

/// Encodes a segment header.
pub fn encode_segment_header(h: &SegmentHeader) -> [u8; SEGMENT_HEADER_LEN] {
    let mut b = [0u8; SEGMENT_HEADER_LEN];
    b[0..8].copy_from_slice(&SEGMENT_MAGIC);
    b[8] = FORMAT_VERSION;
    b[9..16].copy_from_slice(&h.preallocated_len.min(MAX_PREALLOCATED_LEN).to_le_bytes()[..7]);
    b[16..24].copy_from_slice(&h.first_lsn.to_le_bytes());
    b[24..32].copy_from_slice(&h.first_timestamp_micros.to_le_bytes());
    let crc = crc32fast::hash(&b[0..32]);
    b[32..36].copy_from_slice(&crc.to_le_bytes());
    b
}

/// Decodes and validates a segment header from the start of `bytes`.
///
/// # Errors
/// The [`CorruptionKind`] of the first check that fails.
pub fn decode_segment_header(bytes: &[u8]) -> Result<SegmentHeader, CorruptionKind> {
    let Some(b) = bytes.get(..SEGMENT_HEADER_LEN) else {
        return Err(CorruptionKind::SegmentTooShort {
            len: bytes.len() as u64,
        });
    };
    if b[0..8] != SEGMENT_MAGIC {
        return Err(CorruptionKind::BadMagic);
    }
    let expected = u32_at(b, 32);
    let actual = crc32fast::hash(&b[0..32]);
    if expected != actual && checksums_enforced() {
        return Err(CorruptionKind::HeaderChecksum { expected, actual });
    }
    if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&b[8]) {
        return Err(CorruptionKind::UnsupportedVersion { version: b[8] });
    }
    let mut len = [0u8; 8];
    len[..7].copy_from_slice(&b[9..16]);
    let first_lsn = u64_at(b, 16);
    if first_lsn == 0 || first_lsn > MAX_LSN {
        return Err(CorruptionKind::LsnOutOfRange { lsn: first_lsn });
    }
    // Version 1 wrote zeros here.
    let preallocated_len = u64::from_le_bytes(len);
    // Segments are preallocated to the configured size, at most MAX_SEGMENT_SIZE_BYTES.
    // Recovery tops a short segment up to this length, so a larger one must not be taken
    // on trust (the wal_recovery fuzz target had it allocate 2^56 bytes).
    if preallocated_len > MAX_SEGMENT_SIZE_BYTES {
        return Err(CorruptionKind::PreallocationTooLarge {
            preallocated: preallocated_len,
            max: MAX_SEGMENT_SIZE_BYTES,
        });
    }
    Ok(SegmentHeader {
        first_lsn,
        first_timestamp_micros: u64_at(b, 24),
        preallocated_len,
    })
}

/// The synced mark of a segment image (see [`SYNCED_MARK_OFFSET`]): how many of its
/// records were durable when its latest sync began. 0 for a version-1 segment or a short
/// image.
pub fn synced_mark(bytes: &[u8]) -> u32 {
    match bytes.get(8) {
        Some(&version) if version >= 2 && bytes.len() >= SEGMENT_HEADER_LEN => {
            u32_at(bytes, SYNCED_MARK_OFFSET)
        }
        _ => 0,
    }
}

/// Total encoded size of a record with a payload of `payload_len` bytes.
pub fn encoded_len(payload_len: usize) -> usize {
    RECORD_HEADER_LEN + payload_len
}

/// Appends one encoded record to `out`. The caller has checked the payload size.
pub fn encode_record(out: &mut Vec<u8>, lsn: Lsn, timestamp_micros: u64, kind: u8, payload: &[u8]) {
    debug_assert!(lsn >= 1, "LSN 0 would read as preallocated space");
    debug_assert!(payload.len() <= MAX_RECORD_PAYLOAD_BYTES);
    let start = out.len();
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(&timestamp_micros.to_le_bytes());
    out.push(kind);
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out[start + 4..]);
    out[start..start + 4].copy_from_slice(&crc.to_le_bytes());
}

/// The fixed fields of a record header, read without checking anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRecordHeader {
    /// Stored checksum.
    pub crc: u32,
    /// Payload length.
    pub payload_len: u32,
    /// LSN field.
    pub lsn: Lsn,
    /// Timestamp field.
    pub timestamp_micros: u64,
    /// Kind byte.
    pub kind: u8,
}

/// Reads the header fields of the record starting at `bytes[0]`; `None` if fewer than
/// [`RECORD_HEADER_LEN`] bytes are given.
pub fn raw_record_header(bytes: &[u8]) -> Option<RawRecordHeader> {
    let b = bytes.get(..RECORD_HEADER_LEN)?;
    Some(RawRecordHeader {
        crc: u32_at(b, 0),
        payload_len: u32_at(b, 4),
        lsn: u64_at(b, 8),
        timestamp_micros: u64_at(b, 16),
        kind: b[24],
    })
}

/// What is found at one position of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// A valid record, `len` bytes long in total.
    Record {
        /// The decoded record.
        record: Record,
        /// Encoded length (header plus payload).
        len: usize,
    },
    /// Zeros, or the end of the bytes: nothing was ever written here.
    End,
    /// Something was written here but it is not a valid record.
    Invalid(CorruptionKind),
}

/// Decodes the record at the start of `bytes`, which runs to the end of the segment.
pub fn decode_record(bytes: &[u8]) -> Slot {
    let Some(h) = raw_record_header(bytes) else {
        // Fewer bytes than a header: the end if they are zeros, a torn header otherwise.
        return if bytes.iter().all(|&b| b == 0) {
            Slot::End
        } else {
            Slot::Invalid(CorruptionKind::RecordTruncated {
                needed: RECORD_HEADER_LEN as u64,
                available: bytes.len() as u64,
            })
        };
    };
    if bytes[..RECORD_HEADER_LEN].iter().all(|&b| b == 0) {
        return Slot::End;
    }
    let payload_len = h.payload_len as usize;
    if payload_len > MAX_RECORD_PAYLOAD_BYTES {
        return Slot::Invalid(CorruptionKind::RecordTooLarge {
            len: u64::from(h.payload_len),
        });
    }
    let len = encoded_len(payload_len);
    if len > bytes.len() {
        return Slot::Invalid(CorruptionKind::RecordTruncated {
            needed: len as u64,
            available: bytes.len() as u64,
        });
    }
    let actual = crc32fast::hash(&bytes[4..len]);
    if actual != h.crc && checksums_enforced() {
        return Slot::Invalid(CorruptionKind::RecordChecksum {
            expected: h.crc,
            actual,
        });
    }
    if h.lsn == 0 || h.lsn > MAX_LSN {
        return Slot::Invalid(CorruptionKind::LsnOutOfRange { lsn: h.lsn });
    }
    Slot::Record {
        record: Record {
            lsn: h.lsn,
            timestamp_micros: h.timestamp_micros,
            kind: h.kind,
            payload: bytes[RECORD_HEADER_LEN..len].to_vec(),
        },
        len,
    }
}

thread_local! {
    /// Set only by [`with_checksums_ignored`], for the calling thread.
    static CHECKSUMS_IGNORED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with CRC mismatches (segment headers and records) ignored on this thread.
///
/// Why: a fuzzer cannot forge CRC-32s, so with checksums enforced almost every mutation
/// stops at the first record and the code behind the CRC (record decoding, the LSN and
/// timestamp checks, recovery's torn-tail and synced-loss rules) never sees fuzzed bytes.
/// That code must be right for any bytes on its own; the checksum is the second line of
/// defence. For [`crate::fuzzing`] only: every other caller, on every thread, enforces
/// checksums, and no build flag changes that (unlike the SSTable reader's `cfg(fuzzing)`,
/// so the `wal_reader` fuzz target keeps fuzzing with checksums on).
pub(crate) fn with_checksums_ignored<T>(f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CHECKSUMS_IGNORED.with(|c| c.set(false));
        }
    }
    CHECKSUMS_IGNORED.with(|c| c.set(true));
    let _reset = Reset;
    f()
}

fn checksums_enforced() -> bool {
    !CHECKSUMS_IGNORED.with(std::cell::Cell::get)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `wal_recovery` fuzz target (`fuzz/corpus/wal_recovery/
    /// regression_huge_preallocated_len`): a header whose preallocated length was near
    /// 2^56 made recovery, dropping a "truncated" segment's lost bytes, top the file up to
    /// that length (an allocation of 2^56 bytes on the in-memory file system).
    #[test]
    fn fuzz_wal_recovery_a_preallocated_length_over_the_largest_segment_is_corruption() {
        let fits = SegmentHeader::new(1, 0, MAX_SEGMENT_SIZE_BYTES);
        assert_eq!(
            decode_segment_header(&encode_segment_header(&fits)),
            Ok(fits)
        );
        for len in [MAX_SEGMENT_SIZE_BYTES + 1, MAX_PREALLOCATED_LEN] {
            let b = encode_segment_header(&SegmentHeader::new(1, 0, len));
            assert_eq!(
                decode_segment_header(&b),
                Err(CorruptionKind::PreallocationTooLarge {
                    preallocated: len,
                    max: MAX_SEGMENT_SIZE_BYTES
                })
            );
        }
    }

    #[test]
    fn header_roundtrips_and_every_single_bit_flip_is_caught() {
        let h = SegmentHeader::new(42, 7, 64 << 20);
        let b = encode_segment_header(&h);
        assert_eq!(decode_segment_header(&b), Ok(h));
        for bit in 0..36 * 8 {
            let mut d = b;
            d[bit / 8] ^= 1 << (bit % 8);
            assert!(decode_segment_header(&d).is_err(), "bit {bit}");
        }
        assert_eq!(
            decode_segment_header(&b[..10]),
            Err(CorruptionKind::SegmentTooShort { len: 10 })
        );
    }

    #[test]
    fn lsns_outside_one_to_max_are_corruption_even_with_valid_checksums() {
        for lsn in [0, MAX_LSN + 1, u64::MAX] {
            let h = SegmentHeader::new(lsn, 7, 4096);
            assert_eq!(
                decode_segment_header(&encode_segment_header(&h)),
                Err(CorruptionKind::LsnOutOfRange { lsn })
            );
        }
        for lsn in [MAX_LSN + 1, u64::MAX] {
            let mut buf = Vec::new();
            encode_record(&mut buf, lsn, 1, 7, b"x");
            assert_eq!(
                decode_record(&buf),
                Slot::Invalid(CorruptionKind::LsnOutOfRange { lsn })
            );
        }
        let mut buf = Vec::new();
        encode_record(&mut buf, MAX_LSN, 1, 7, b"x");
        assert!(matches!(decode_record(&buf), Slot::Record { .. }));
    }

    /// A version-1 header (reserved bytes zero, no synced mark) still reads, as a header
    /// with no recorded preallocation; a version past this build's is refused.
    #[test]
    fn version_one_headers_still_read_and_future_versions_do_not() {
        let mut v1 = encode_segment_header(&SegmentHeader::new(9, 3, 0));
        v1[8] = 1;
        let crc = crc32fast::hash(&v1[0..32]);
        v1[32..36].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(decode_segment_header(&v1), Ok(SegmentHeader::new(9, 3, 0)));
        assert_eq!(synced_mark(&v1), 0);
        let mut v3 = v1;
        v3[8] = 3;
        let crc = crc32fast::hash(&v3[0..32]);
        v3[32..36].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(
            decode_segment_header(&v3),
            Err(CorruptionKind::UnsupportedVersion { version: 3 })
        );
    }

    #[test]
    fn the_synced_mark_is_outside_the_header_checksum() {
        let mut b = encode_segment_header(&SegmentHeader::new(1, 0, 4096));
        assert_eq!(synced_mark(&b), 0);
        b[SYNCED_MARK_OFFSET..SYNCED_MARK_OFFSET + 4].copy_from_slice(&77u32.to_le_bytes());
        assert_eq!(synced_mark(&b), 77);
        assert!(decode_segment_header(&b).is_ok());
    }

    #[test]
    fn record_roundtrips_and_zeros_read_as_end() {
        let mut buf = Vec::new();
        encode_record(&mut buf, 3, 99, 7, b"hello");
        assert_eq!(buf.len(), encoded_len(5));
        buf.extend_from_slice(&[0u8; 64]);
        match decode_record(&buf) {
            Slot::Record { record, len } => {
                assert_eq!(len, 30);
                assert_eq!(
                    record,
                    Record {
                        lsn: 3,
                        timestamp_micros: 99,
                        kind: 7,
                        payload: b"hello".to_vec()
                    }
                );
                assert_eq!(decode_record(&buf[len..]), Slot::End);
            }
            other => panic!("expected a record, got {other:?}"),
        }
        assert_eq!(decode_record(&[]), Slot::End);
        assert_eq!(decode_record(&[0, 0, 0]), Slot::End);
    }

    #[test]
    fn damaged_records_are_invalid_not_end() {
        let mut buf = Vec::new();
        encode_record(&mut buf, 1, 0, 0, b"payload");
        for bit in 0..buf.len() * 8 {
            let mut d = buf.clone();
            d[bit / 8] ^= 1 << (bit % 8);
            assert!(
                matches!(decode_record(&d), Slot::Invalid(_)),
                "bit {bit} flip not detected"
            );
        }
        // Torn: any strict prefix is invalid, never a record, never "end".
        for cut in 1..buf.len() {
            assert!(matches!(decode_record(&buf[..cut]), Slot::Invalid(_)));
        }
        let mut huge = buf.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode_record(&huge),
            Slot::Invalid(CorruptionKind::RecordTooLarge { .. })
        ));
    }
}
