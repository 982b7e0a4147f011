//! The fixed parts of the file format: header, footer, block handles, block trailers,
//! varints. `docs/format/sstable.md` draws every byte; this module is its code.
//!
//! All integers are little-endian. Every region of the file is covered by a CRC-32
//! (crc32fast, IEEE polynomial): the header, each block (payload + type byte), and the
//! footer. Nothing else is in the file, so no byte is unchecked.

use std::path::Path;

use crate::error::{CorruptionKind, Error};

/// First and last 8 bytes of every table: ASCII `SHALESST`, read little-endian.
pub const TABLE_MAGIC: u64 = u64::from_le_bytes(*b"SHALESST");
/// The only format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// magic (8) + version (4) + crc (4).
pub const HEADER_LEN: u64 = 16;
/// 3 handles (3 × 16) + version (4) + reserved (4) + magic (8) + crc (4) = 68.
pub const FOOTER_LEN: u64 = 68;
/// Every block ends with a 1-byte type and a 4-byte CRC of payload + type.
pub const BLOCK_TRAILER_LEN: u64 = 5;
/// Largest block payload the reader accepts. Real blocks are ~4 KiB, a data block holding
/// one maximal entry is ~16 MiB, and an index for a multi-GiB table is a few MiB; the cap
/// stops a hostile handle from asking for a huge allocation on a file system that lies
/// about lengths.
pub const MAX_BLOCK_BYTES: u64 = 1 << 30;

/// The kind of an LSM entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ValueKind {
    /// The key holds `value` as of `seq`.
    Put = 1,
    /// The key was deleted at `seq` (a tombstone; its value is empty).
    Delete = 2,
}

impl ValueKind {
    /// Decodes a stored kind byte.
    pub(crate) fn from_byte(b: u8) -> Option<ValueKind> {
        match b {
            1 => Some(ValueKind::Put),
            2 => Some(ValueKind::Delete),
            _ => None,
        }
    }
}

/// What a block holds; stored in its trailer and covered by its checksum, so a handle that
/// points at the wrong kind of block is caught even when the bytes there are intact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum BlockType {
    /// Entries of the table.
    Data = 1,
    /// Last entry of each data block → its handle.
    Index = 2,
    /// The bloom filter over user keys.
    Filter = 3,
    /// Entry counts, key range, seq range.
    Properties = 4,
}

impl BlockType {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BlockType::Data => "data",
            BlockType::Index => "index",
            BlockType::Filter => "filter",
            BlockType::Properties => "properties",
        }
    }
}

/// Where a block's payload sits: `size` excludes the 5-byte trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockHandle {
    /// File offset of the first payload byte.
    pub offset: u64,
    /// Payload length in bytes.
    pub size: u64,
}

/// Bytes of an encoded [`BlockHandle`].
pub const HANDLE_LEN: usize = 16;

impl BlockHandle {
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
    }

    pub(crate) fn decode(b: &[u8]) -> Option<BlockHandle> {
        if b.len() != HANDLE_LEN {
            return None;
        }
        Some(BlockHandle {
            offset: read_u64(b, 0)?,
            size: read_u64(b, 8)?,
        })
    }

    /// Checks that the block, trailer included, lies inside `[HEADER_LEN, data_end)`.
    pub(crate) fn check_bounds(&self, file: &Path, data_end: u64) -> Result<(), Error> {
        let end = self
            .offset
            .checked_add(self.size)
            .and_then(|e| e.checked_add(BLOCK_TRAILER_LEN));
        match end {
            Some(end)
                if self.offset >= HEADER_LEN && end <= data_end && self.size <= MAX_BLOCK_BYTES =>
            {
                Ok(())
            }
            _ => Err(Error::Corruption {
                file: file.to_path_buf(),
                offset: self.offset,
                kind: CorruptionKind::HandleOutOfBounds {
                    offset: self.offset,
                    size: self.size,
                },
            }),
        }
    }
}

/// Encodes the 16-byte file header.
pub(crate) fn encode_header() -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[0..8].copy_from_slice(&TABLE_MAGIC.to_le_bytes());
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    let crc = crc32fast::hash(&h[0..12]);
    h[12..16].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Validates the file header: checksum first (so a flipped magic reads as damage, not as
/// "some other file"), then magic, then version.
pub(crate) fn check_header(file: &Path, h: &[u8]) -> Result<(), Error> {
    check_crc_region(file, 0, h)?;
    check_magic_version(file, 0, read_u64(h, 0), read_u32(h, 8))
}

/// The footer: where the index, filter and properties blocks are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Footer {
    pub index: BlockHandle,
    pub filter: BlockHandle,
    pub properties: BlockHandle,
}

impl Footer {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FOOTER_LEN as usize);
        self.index.encode_into(&mut out);
        self.filter.encode_into(&mut out);
        self.properties.encode_into(&mut out);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // reserved, must be zero
        out.extend_from_slice(&TABLE_MAGIC.to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(out.len() as u64, FOOTER_LEN);
        out
    }

    /// Decodes and validates a footer read from `offset`.
    pub(crate) fn decode(file: &Path, offset: u64, b: &[u8]) -> Result<Footer, Error> {
        if b.len() as u64 != FOOTER_LEN {
            return Err(corrupt(
                file,
                offset,
                CorruptionKind::FileTooShort {
                    len: b.len() as u64,
                },
            ));
        }
        check_crc_region(file, offset, b)?;
        check_magic_version(file, offset, read_u64(b, 56), read_u32(b, 48))?;
        if read_u32(b, 52) != Some(0) {
            return Err(corrupt(
                file,
                offset,
                CorruptionKind::BadProperties {
                    reason: "footer reserved field is not zero",
                },
            ));
        }
        let handle = |at: usize| {
            BlockHandle::decode(&b[at..at + HANDLE_LEN])
                .ok_or_else(|| corrupt(file, offset, CorruptionKind::BadIndexValue))
        };
        Ok(Footer {
            index: handle(0)?,
            filter: handle(16)?,
            properties: handle(32)?,
        })
    }
}

/// Whether a CRC mismatch is an error. Under `cfg(fuzzing)` (cargo-fuzz builds) it is
/// not: a fuzzer cannot forge CRC-32s, so with checksums enforced it would never get past
/// them to the block, index, filter and properties parsers behind. Those parsers must
/// survive arbitrary bytes on their own; the checksum is the second line of defence, not
/// the only one. Every other build always enforces checksums.
const ENFORCE_CHECKSUMS: bool = !cfg!(fuzzing);

thread_local! {
    /// Set only by [`with_checksums_ignored`], for the calling thread: lets the stable
    /// replay of fuzzer-found inputs reach the parsers the fuzzer reached.
    static CHECKSUMS_IGNORED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with CRC mismatches ignored on this thread, as a cargo-fuzz build ignores
/// them (see [`ENFORCE_CHECKSUMS`]). For `crate::fuzzing` only: tables read this way
/// must not be shared with other threads or kept.
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
    ENFORCE_CHECKSUMS && !CHECKSUMS_IGNORED.with(std::cell::Cell::get)
}

/// Checks a region whose last 4 bytes are the CRC of the rest.
fn check_crc_region(file: &Path, offset: u64, b: &[u8]) -> Result<(), Error> {
    let Some(split) = b.len().checked_sub(4) else {
        return Err(corrupt(
            file,
            offset,
            CorruptionKind::FileTooShort {
                len: b.len() as u64,
            },
        ));
    };
    let expected = read_u32(b, split).unwrap_or(0);
    let actual = crc32fast::hash(&b[..split]);
    if expected != actual && checksums_enforced() {
        return Err(Error::ChecksumMismatch {
            file: file.to_path_buf(),
            offset,
            expected,
            actual,
        });
    }
    Ok(())
}

fn check_magic_version(
    file: &Path,
    offset: u64,
    magic: Option<u64>,
    version: Option<u32>,
) -> Result<(), Error> {
    let magic = magic.unwrap_or(0);
    if magic != TABLE_MAGIC {
        return Err(corrupt(
            file,
            offset,
            CorruptionKind::BadMagic { found: magic },
        ));
    }
    let version = version.unwrap_or(0);
    if version != FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            file: file.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    Ok(())
}

/// Appends the block trailer (type byte + CRC of payload and type) to `payload`.
pub(crate) fn seal_block(payload: &mut Vec<u8>, ty: BlockType) {
    payload.push(ty as u8);
    let mut h = crc32fast::Hasher::new();
    h.update(payload);
    let crc = h.finalize();
    payload.extend_from_slice(&crc.to_le_bytes());
}

/// Verifies a raw block (payload + trailer) read from `offset` and strips the trailer.
pub(crate) fn unseal_block(
    file: &Path,
    offset: u64,
    mut raw: Vec<u8>,
    expected_type: BlockType,
) -> Result<Vec<u8>, Error> {
    let Some(payload_len) = raw.len().checked_sub(BLOCK_TRAILER_LEN as usize) else {
        return Err(corrupt(
            file,
            offset,
            CorruptionKind::HandleOutOfBounds {
                offset,
                size: raw.len() as u64,
            },
        ));
    };
    let crc_at = payload_len + 1;
    let expected = read_u32(&raw, crc_at).unwrap_or(0);
    let actual = crc32fast::hash(&raw[..crc_at]);
    if expected != actual && checksums_enforced() {
        return Err(Error::ChecksumMismatch {
            file: file.to_path_buf(),
            offset,
            expected,
            actual,
        });
    }
    let found = raw[payload_len];
    if found != expected_type as u8 {
        return Err(corrupt(
            file,
            offset,
            CorruptionKind::WrongBlockType {
                expected: expected_type.name(),
                found,
            },
        ));
    }
    raw.truncate(payload_len);
    Ok(raw)
}

pub(crate) fn corrupt(file: &Path, offset: u64, kind: CorruptionKind) -> Error {
    Error::Corruption {
        file: file.to_path_buf(),
        offset,
        kind,
    }
}

/// Reads a little-endian u32 at `at`, `None` if out of bounds.
pub(crate) fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

/// Reads a little-endian u64 at `at`, `None` if out of bounds.
pub(crate) fn read_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(s.try_into().ok()?))
}

/// Most bytes a u32 varint can take.
const MAX_VARINT32_BYTES: usize = 5;

/// Appends `v` as a LEB128 varint.
pub(crate) fn put_varint32(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Decodes a LEB128 u32 at `at`; returns the value and the offset after it, or `None`
/// if it runs off the slice, is longer than 5 bytes, or overflows 32 bits.
pub(crate) fn get_varint32(b: &[u8], at: usize) -> Option<(u32, usize)> {
    let mut v: u32 = 0;
    for i in 0..MAX_VARINT32_BYTES {
        let byte = *b.get(at.checked_add(i)?)?;
        let part = u32::from(byte & 0x7f);
        if i == MAX_VARINT32_BYTES - 1 && part > 0x0f {
            return None;
        }
        v |= part << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, at + i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn varint_roundtrips_edges_and_rejects_overlong() {
        for v in [0u32, 1, 127, 128, 300, 16_383, 16_384, u32::MAX] {
            let mut b = Vec::new();
            put_varint32(&mut b, v);
            assert_eq!(get_varint32(&b, 0), Some((v, b.len())));
            assert_eq!(get_varint32(&b[..b.len() - 1], 0), None, "truncated {v}");
        }
        assert_eq!(get_varint32(&[0xff, 0xff, 0xff, 0xff, 0x1f], 0), None);
        assert_eq!(get_varint32(&[0x80; 6], 0), None);
    }

    #[test]
    fn footer_roundtrips_and_every_bit_flip_is_caught() {
        let f = Footer {
            index: BlockHandle {
                offset: 100,
                size: 50,
            },
            filter: BlockHandle {
                offset: 16,
                size: 20,
            },
            properties: BlockHandle {
                offset: 41,
                size: 54,
            },
        };
        let p = PathBuf::from("t.sst");
        let enc = f.encode();
        assert_eq!(enc.len() as u64, FOOTER_LEN);
        assert_eq!(Footer::decode(&p, 7, &enc).unwrap(), f);
        for i in 0..enc.len() {
            for bit in 0..8 {
                let mut bad = enc.clone();
                bad[i] ^= 1 << bit;
                assert!(Footer::decode(&p, 7, &bad).is_err(), "byte {i} bit {bit}");
            }
        }
    }

    #[test]
    fn header_checks_crc_magic_and_version() {
        let p = PathBuf::from("t.sst");
        let h = encode_header();
        check_header(&p, &h).unwrap();
        let mut v2 = h;
        v2[8] = 2;
        let crc = crc32fast::hash(&v2[..12]);
        v2[12..].copy_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            check_header(&p, &v2),
            Err(Error::UnsupportedVersion { found: 2, .. })
        ));
        let mut flipped = h;
        flipped[0] ^= 1;
        assert!(matches!(
            check_header(&p, &flipped),
            Err(Error::ChecksumMismatch { offset: 0, .. })
        ));
    }

    #[test]
    fn sealed_block_detects_type_confusion_and_damage() {
        let p = PathBuf::from("t.sst");
        let mut b = b"payload".to_vec();
        seal_block(&mut b, BlockType::Filter);
        assert_eq!(
            unseal_block(&p, 0, b.clone(), BlockType::Filter).unwrap(),
            b"payload"
        );
        assert!(matches!(
            unseal_block(&p, 0, b.clone(), BlockType::Data),
            Err(Error::Corruption {
                kind: CorruptionKind::WrongBlockType { found: 3, .. },
                ..
            })
        ));
        let mut bad = b;
        bad[2] ^= 4;
        assert!(matches!(
            unseal_block(&p, 0, bad, BlockType::Filter),
            Err(Error::ChecksumMismatch { .. })
        ));
        assert!(unseal_block(&p, 0, vec![1, 2], BlockType::Data).is_err());
    }

    #[test]
    fn handle_bounds_reject_overflow_and_header_overlap() {
        let p = PathBuf::from("t.sst");
        let ok = BlockHandle {
            offset: 16,
            size: 10,
        };
        ok.check_bounds(&p, 31).unwrap();
        assert!(ok.check_bounds(&p, 30).is_err());
        assert!(BlockHandle { offset: 0, size: 1 }
            .check_bounds(&p, 100)
            .is_err());
        assert!(BlockHandle {
            offset: u64::MAX,
            size: u64::MAX
        }
        .check_bounds(&p, u64::MAX)
        .is_err());
    }
}
