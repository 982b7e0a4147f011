//! The WAL payload of one write batch: how a [`WriteBatch`] is stored in a WAL record.
//!
//! ```text
//! count: u32 LE
//! count × { kind: u8 (1 = put, 2 = delete, 3 = log data) | key_len: u32 LE | key | [value_len: u32 LE | value] }
//! ```
//! A log-data op ([`BatchOp::LogData`]) has an empty key and its blob as the value.
//! The WAL record around it carries the length, CRC and LSN; this layer only checks that
//! the payload parses exactly (a CRC-valid record that does not parse is still reported).

use crate::backend::{BatchOp, WriteBatch};

/// WAL record kind for a write batch.
pub(crate) const RECORD_KIND_BATCH: u8 = 1;
const OP_PUT: u8 = 1;
const OP_DELETE: u8 = 2;
const OP_LOG_DATA: u8 = 3;
/// Smallest encoded op (kind + key length): bounds the count a payload can claim.
const MIN_OP_BYTES: usize = 5;

/// Encodes `batch`.
pub(crate) fn encode_batch(batch: &WriteBatch) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + batch.payload_bytes() + batch.len() * 9);
    out.extend_from_slice(&(batch.len() as u32).to_le_bytes());
    for op in batch.ops() {
        match op {
            BatchOp::Put { key, value } => {
                out.push(OP_PUT);
                out.extend_from_slice(&(key.len() as u32).to_le_bytes());
                out.extend_from_slice(key);
                out.extend_from_slice(&(value.len() as u32).to_le_bytes());
                out.extend_from_slice(value);
            }
            BatchOp::Delete { key } => {
                out.push(OP_DELETE);
                out.extend_from_slice(&(key.len() as u32).to_le_bytes());
                out.extend_from_slice(key);
            }
            BatchOp::LogData { data } => {
                out.push(OP_LOG_DATA);
                out.extend_from_slice(&0u32.to_le_bytes());
                out.extend_from_slice(&(data.len() as u32).to_le_bytes());
                out.extend_from_slice(data);
            }
        }
    }
    out
}

/// Decodes a payload; `Err(reason)` if it is malformed.
///
/// # Errors
/// A static description of the first inconsistency found.
pub(crate) fn decode_batch(payload: &[u8]) -> Result<WriteBatch, &'static str> {
    let mut pos = 0usize;
    let mut take = |n: usize| -> Result<&[u8], &'static str> {
        let end = pos.checked_add(n).ok_or("length overflow")?;
        let s = payload.get(pos..end).ok_or("batch payload truncated")?;
        pos = end;
        Ok(s)
    };
    let u32_of = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let count = u32_of(take(4)?);
    if count > payload.len() / MIN_OP_BYTES {
        return Err("batch claims more ops than its payload holds");
    }
    let mut ops = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = take(1)?[0];
        let klen = u32_of(take(4)?);
        let key = take(klen)?.to_vec();
        match kind {
            OP_PUT => {
                let vlen = u32_of(take(4)?);
                let value = take(vlen)?.to_vec();
                ops.push(BatchOp::Put { key, value });
            }
            OP_DELETE => ops.push(BatchOp::Delete { key }),
            OP_LOG_DATA if key.is_empty() => {
                let dlen = u32_of(take(4)?);
                let data = take(dlen)?.to_vec();
                ops.push(BatchOp::LogData { data });
            }
            OP_LOG_DATA => return Err("log data op with a key"),
            _ => return Err("unknown batch op kind"),
        }
    }
    if pos != payload.len() {
        return Err("trailing bytes after batch");
    }
    let batch = WriteBatch::from(ops);
    // The write path refuses such batches; one read back from disk is damage, and must
    // not reach a memtable whose flush would then fail (and poison) after every reopen.
    batch
        .check_limits()
        .map_err(|_| "batch entry larger than the engine's key or value limit")?;
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_every_truncation_fails() {
        let mut b = WriteBatch::new();
        b.put("k1", "v1")
            .delete("k2")
            .log_data("blob")
            .put("", "")
            .put(vec![0u8; 300], vec![7u8; 1000]);
        let bytes = encode_batch(&b);
        assert_eq!(decode_batch(&bytes).unwrap(), b);
        for cut in 0..bytes.len() {
            assert!(decode_batch(&bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut bad = bytes.clone();
        bad[4] = 9;
        assert_eq!(decode_batch(&bad), Err("unknown batch op kind"));
        assert!(decode_batch(&[255, 255, 255, 255]).is_err());
    }

    #[test]
    fn an_entry_over_the_engine_limits_is_damage() {
        use crate::backend::MAX_KEY_BYTES;
        // Built by hand: `WriteBatch::put` would accept it, the write path would not.
        let mut oversized = WriteBatch::new();
        oversized.put(vec![1u8; MAX_KEY_BYTES + 1], "v");
        let bytes = encode_batch(&oversized);
        assert_eq!(
            decode_batch(&bytes),
            Err("batch entry larger than the engine's key or value limit")
        );
    }
}
