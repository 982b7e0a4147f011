//! How a YCSB record is stored as one value in a key-value target.
//!
//! Layout (little-endian): `[field count: u8]` then per field `[length: u16][bytes]`.
//! Field `i` is YCSB's `field<i>`; names are implied by position, as in YCSB's RocksDB
//! binding, which also packs all fields into one value. Decoding checks every length
//! against the buffer, so a corrupt value is a typed error, never a panic.

use super::TargetError;

/// Fields per record (YCSB `fieldcount`).
pub const FIELD_COUNT: usize = 10;
/// Bytes per field (YCSB `fieldlength`).
pub const FIELD_LENGTH: usize = 100;

/// Encodes `fields` into one value. Fields longer than `u16::MAX` bytes are never built by
/// the harness (they are [`FIELD_LENGTH`] bytes); a longer one is truncated to keep the
/// encoding total.
pub fn encode(fields: &[Vec<u8>]) -> Vec<u8> {
    let count = fields.len().min(usize::from(u8::MAX));
    let mut out = Vec::with_capacity(1 + fields.iter().map(|f| 2 + f.len()).sum::<usize>());
    out.push(count as u8);
    for f in &fields[..count] {
        let len = f.len().min(usize::from(u16::MAX));
        out.extend_from_slice(&(len as u16).to_le_bytes());
        out.extend_from_slice(&f[..len]);
    }
    out
}

/// Decodes a value written by [`encode`].
///
/// # Errors
/// [`TargetError::CorruptRecord`] if the value is truncated, has trailing bytes, or its
/// field count is not [`FIELD_COUNT`].
pub fn decode(key: &str, value: &[u8]) -> Result<Vec<Vec<u8>>, TargetError> {
    let corrupt = |reason| TargetError::CorruptRecord {
        key: key.to_string(),
        reason,
    };
    let (&count, mut rest) = value.split_first().ok_or_else(|| corrupt("empty value"))?;
    if usize::from(count) != FIELD_COUNT {
        return Err(corrupt("field count is not 10"));
    }
    let mut fields = Vec::with_capacity(FIELD_COUNT);
    for _ in 0..count {
        if rest.len() < 2 {
            return Err(corrupt("truncated field length"));
        }
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        if rest.len() < len {
            return Err(corrupt("truncated field"));
        }
        fields.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    if !rest.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Vec<u8>> {
        (0..FIELD_COUNT)
            .map(|i| vec![b'0' + i as u8; FIELD_LENGTH])
            .collect()
    }

    #[test]
    fn round_trips() {
        let f = sample();
        assert_eq!(decode("k", &encode(&f)).unwrap(), f);
    }

    #[test]
    fn every_truncation_and_extension_is_a_typed_error() {
        let bytes = encode(&sample());
        for cut in 0..bytes.len() {
            assert!(matches!(
                decode("k", &bytes[..cut]),
                Err(TargetError::CorruptRecord { .. })
            ));
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode("k", &longer).is_err());
        let mut wrong_count = bytes;
        wrong_count[0] = 3;
        assert!(decode("k", &wrong_count).is_err());
    }
}
