//! The properties block: what compaction and the read path want to know about a table
//! without touching its data (entry and tombstone counts, key range, seq range).
//!
//! Payload layout (all little-endian):
//!
//! ```text
//! entries: u64  tombstones: u64  min_seq: u64  max_seq: u64  data_blocks: u64
//! smallest_len: u32  smallest_key[smallest_len]  largest_len: u32  largest_key[largest_len]
//! ```

use crate::block::MAX_KEY_BYTES;
use crate::error::CorruptionKind;
use crate::format::{read_u32, read_u64};

/// Facts about a finished table. Returned by [`crate::TableWriter::finish`] and stored in
/// the properties block, so [`crate::Table::meta`] gives the same values after a reopen.
///
/// Invariants (checked on read): `tombstones <= entries`; when `entries > 0`,
/// `smallest_key <= largest_key` and `min_seq <= max_seq`; when `entries == 0`, the keys
/// are empty and both seqs are 0.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableMeta {
    /// Total bytes of the file.
    pub file_size_bytes: u64,
    /// Entries (every version and tombstone counts).
    pub entries: u64,
    /// Smallest user key (empty for an empty table).
    pub smallest_key: Vec<u8>,
    /// Largest user key (empty for an empty table).
    pub largest_key: Vec<u8>,
    /// Smallest seq of any entry (0 for an empty table).
    pub min_seq: u64,
    /// Largest seq of any entry (0 for an empty table).
    pub max_seq: u64,
    /// Entries of kind Delete.
    pub tombstones: u64,
    /// Data blocks in the file.
    pub data_blocks: u64,
}

/// Five u64 counters before the keys.
const FIXED_LEN: usize = 40;

impl TableMeta {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(FIXED_LEN + 8 + self.smallest_key.len() + self.largest_key.len());
        for v in [
            self.entries,
            self.tombstones,
            self.min_seq,
            self.max_seq,
            self.data_blocks,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for k in [&self.smallest_key, &self.largest_key] {
            out.extend_from_slice(&(k.len() as u32).to_le_bytes());
            out.extend_from_slice(k);
        }
        out
    }

    /// Decodes and checks a properties payload; `file_size_bytes` is filled by the caller.
    pub(crate) fn decode(b: &[u8]) -> Result<TableMeta, CorruptionKind> {
        let bad = |reason| CorruptionKind::BadProperties { reason };
        let field = |i: usize| read_u64(b, 8 * i).ok_or(bad("truncated counters"));
        let mut meta = TableMeta {
            entries: field(0)?,
            tombstones: field(1)?,
            min_seq: field(2)?,
            max_seq: field(3)?,
            data_blocks: field(4)?,
            ..TableMeta::default()
        };
        let mut at = FIXED_LEN;
        for slot in [&mut meta.smallest_key, &mut meta.largest_key] {
            let len = read_u32(b, at).ok_or(bad("truncated key length"))? as usize;
            if len > MAX_KEY_BYTES {
                return Err(bad("key longer than the limit"));
            }
            let key = b.get(at + 4..at + 4 + len).ok_or(bad("truncated key"))?;
            slot.extend_from_slice(key);
            at += 4 + len;
        }
        if at != b.len() {
            return Err(bad("trailing bytes"));
        }
        if meta.tombstones > meta.entries {
            return Err(bad("more tombstones than entries"));
        }
        if meta.entries == 0 {
            let blank = meta.smallest_key.is_empty()
                && meta.largest_key.is_empty()
                && meta.min_seq == 0
                && meta.max_seq == 0
                && meta.data_blocks == 0;
            if !blank {
                return Err(bad("empty table with a key or seq range"));
            }
        } else if meta.smallest_key > meta.largest_key || meta.min_seq > meta.max_seq {
            return Err(bad("inverted key or seq range"));
        } else if meta.data_blocks == 0 || meta.data_blocks > meta.entries {
            return Err(bad("data block count does not fit the entry count"));
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TableMeta {
        TableMeta {
            file_size_bytes: 0,
            entries: 10,
            smallest_key: b"apple".to_vec(),
            largest_key: b"pear".to_vec(),
            min_seq: 3,
            max_seq: 90,
            tombstones: 2,
            data_blocks: 2,
        }
    }

    #[test]
    fn roundtrips_and_rejects_truncation_and_contradictions() {
        let m = sample();
        let enc = m.encode();
        assert_eq!(TableMeta::decode(&enc).unwrap(), m);
        for cut in 0..enc.len() {
            assert!(TableMeta::decode(&enc[..cut]).is_err(), "cut {cut}");
        }
        let mut extra = enc.clone();
        extra.push(0);
        assert!(TableMeta::decode(&extra).is_err());
        for broken in [
            TableMeta {
                tombstones: 11,
                ..sample()
            },
            TableMeta {
                min_seq: 91,
                ..sample()
            },
            TableMeta {
                smallest_key: b"z".to_vec(),
                ..sample()
            },
            TableMeta {
                data_blocks: 0,
                ..sample()
            },
            TableMeta {
                entries: 0,
                tombstones: 0,
                ..sample()
            },
        ] {
            assert!(TableMeta::decode(&broken.encode()).is_err(), "{broken:?}");
        }
        TableMeta::decode(&TableMeta::default().encode()).unwrap();
    }
}
