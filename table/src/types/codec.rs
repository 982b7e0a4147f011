//! The compact binary storage form of an [`Item`] (not JSON: the table layer stores
//! items inside checksummed WAL records and SSTable blocks and must stay close to the raw
//! engine's size and speed). The byte layout is in `docs/format/item.md`.
//!
//! Decoding never panics and never recurses deeper than [`MAX_NESTING_DEPTH`]: malformed
//! bytes become a [`DecodeError`]. Every length and count is checked against the bytes
//! that remain before anything is allocated.

use std::collections::BTreeMap;

use super::{AttributeValue, DecodeError, Item, Number, TypeError, MAX_NESTING_DEPTH};

/// The first byte of every encoded item.
pub const ITEM_FORMAT_VERSION: u8 = 1;

/// Value tags. BOOL and NULL carry their payload in the tag.
mod tag {
    pub const S: u8 = 0x01;
    pub const N: u8 = 0x02;
    pub const B: u8 = 0x03;
    pub const BOOL_FALSE: u8 = 0x04;
    pub const BOOL_TRUE: u8 = 0x05;
    pub const NULL_TRUE: u8 = 0x06;
    /// Invalid in DynamoDB, but kept so that any in-memory value roundtrips.
    pub const NULL_FALSE: u8 = 0x07;
    pub const M: u8 = 0x08;
    pub const L: u8 = 0x09;
    pub const SS: u8 = 0x0A;
    pub const NS: u8 = 0x0B;
    pub const BS: u8 = 0x0C;
}

/// A LEB128 `u64` is at most ten bytes.
const MAX_VARINT_BYTES: usize = 10;

/// An item's DynamoDB size (`types::item_size_bytes`) is at most this many times the
/// length of its encoding, so the encoded length bounds the size without walking the
/// item (capacity admission charges reads by it, `capacity::stored_read_micros`).
///
/// Why, part by part (DynamoDB's size against the encoding's bytes):
/// - a name: its bytes, against a length varint and the same bytes;
/// - S, B: their bytes, against a tag, a length and the bytes; N: `⌈digits / 2⌉ + 1`,
///   against a tag and a sortable number (section 2 of `docs/format/item.md`) of
///   `⌈digits / 2⌉ + 3` bytes, or 1 for zero, whose size is 2: at most twice;
/// - sets: their elements' sizes against a tag, a count and each element's encoding (an
///   S or B element's bytes plus a length; an N element's sortable number, 1 byte for
///   zero against a size of 2): at most twice;
/// - BOOL, NULL: 1, against a tag of 1;
/// - M and L: 3 bytes, plus 1 per element, against a tag and a count (2 bytes or
///   more) plus at least 1 byte per element (a name length or a tag).
///
/// So no part's size exceeds twice its bytes: a list of NULLs (2 bytes of size per
/// element, against 1), empty containers nested in a list (4 against 2) and zeros in a
/// number set (2 against 1) reach the bound (`tests/types_codec_roundtrip.rs`).
pub const MAX_SIZE_PER_ENCODED_BYTE: usize = 2;

/// Appends the storage encoding of `item` to `out`.
///
/// # Errors
/// [`TypeError::NestingTooDeep`] if maps and lists nest deeper than
/// [`MAX_NESTING_DEPTH`] (a validated item never does); `out` may then hold a partial
/// encoding.
pub fn encode_item(item: &Item, out: &mut Vec<u8>) -> Result<(), TypeError> {
    out.push(ITEM_FORMAT_VERSION);
    put_varint(out, item.len() as u64);
    for (name, value) in item {
        put_bytes(out, name.as_bytes());
        encode_value(value, out, 0)?;
    }
    Ok(())
}

/// Decodes an item written by [`encode_item`]; the whole buffer must be one item.
///
/// # Errors
/// [`DecodeError`] on an unknown version, truncation, unknown tags, lengths beyond the
/// buffer, invalid UTF-8, non-canonical data (unsorted or repeated names, bad numbers),
/// nesting deeper than [`MAX_NESTING_DEPTH`], or trailing bytes.
pub fn decode_item(bytes: &[u8]) -> Result<Item, DecodeError> {
    let mut reader = Reader { bytes, pos: 0 };
    let version = reader.byte("format version")?;
    if version != ITEM_FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            found: version,
            supported: ITEM_FORMAT_VERSION,
        });
    }
    let item = reader.map_entries(0)?;
    if reader.pos != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            offset: reader.pos,
            extra: bytes.len() - reader.pos,
        });
    }
    Ok(item)
}

fn encode_value(value: &AttributeValue, out: &mut Vec<u8>, depth: usize) -> Result<(), TypeError> {
    match value {
        AttributeValue::S(text) => {
            out.push(tag::S);
            put_bytes(out, text.as_bytes());
        }
        AttributeValue::N(number) => {
            out.push(tag::N);
            number.encode_sortable(out);
        }
        AttributeValue::B(bytes) => {
            out.push(tag::B);
            put_bytes(out, bytes);
        }
        AttributeValue::Bool(flag) => out.push(if *flag {
            tag::BOOL_TRUE
        } else {
            tag::BOOL_FALSE
        }),
        AttributeValue::Null(flag) => out.push(if *flag {
            tag::NULL_TRUE
        } else {
            tag::NULL_FALSE
        }),
        AttributeValue::M(entries) => {
            check_depth(depth)?;
            out.push(tag::M);
            put_varint(out, entries.len() as u64);
            for (key, nested) in entries {
                put_bytes(out, key.as_bytes());
                encode_value(nested, out, depth + 1)?;
            }
        }
        AttributeValue::L(values) => {
            check_depth(depth)?;
            out.push(tag::L);
            put_varint(out, values.len() as u64);
            for nested in values {
                encode_value(nested, out, depth + 1)?;
            }
        }
        AttributeValue::Ss(strings) => {
            out.push(tag::SS);
            put_varint(out, strings.len() as u64);
            strings.iter().for_each(|s| put_bytes(out, s.as_bytes()));
        }
        AttributeValue::Ns(numbers) => {
            out.push(tag::NS);
            put_varint(out, numbers.len() as u64);
            numbers.iter().for_each(|n| n.encode_sortable(out));
        }
        AttributeValue::Bs(binaries) => {
            out.push(tag::BS);
            put_varint(out, binaries.len() as u64);
            binaries.iter().for_each(|b| put_bytes(out, b));
        }
    }
    Ok(())
}

fn check_depth(enclosing: usize) -> Result<(), TypeError> {
    if enclosing >= MAX_NESTING_DEPTH {
        return Err(TypeError::NestingTooDeep {
            max: MAX_NESTING_DEPTH,
        });
    }
    Ok(())
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A cursor over the encoded bytes. Every read checks bounds.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        let byte = *self.bytes.get(self.pos).ok_or(DecodeError::Truncated {
            offset: self.pos,
            what,
        })?;
        self.pos += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for index in 0..MAX_VARINT_BYTES {
            let byte = self.byte("varint")?;
            let bits = u64::from(byte & 0x7F);
            let shift = 7 * index as u32;
            if shift == 63 && bits > 1 {
                return Err(DecodeError::BadVarint { offset: start });
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                // A last group of zeros adds nothing: `put_varint` never writes one, and
                // accepting it would give one item several encodings.
                if index > 0 && byte == 0 {
                    return Err(DecodeError::NonCanonical {
                        offset: start,
                        reason: "varint ends in a zero group",
                    });
                }
                return Ok(value);
            }
        }
        Err(DecodeError::BadVarint { offset: start })
    }

    /// A count of elements that each take at least one byte, so it cannot exceed the
    /// bytes remaining; checking that first keeps hostile counts from allocating.
    fn count(&mut self) -> Result<usize, DecodeError> {
        let offset = self.pos;
        let count = self.varint()?;
        match usize::try_from(count) {
            Ok(count) if count <= self.remaining() => Ok(count),
            _ => Err(DecodeError::LengthOutOfBounds {
                offset,
                len: count,
                remaining: self.remaining(),
            }),
        }
    }

    fn length_prefixed(&mut self) -> Result<&[u8], DecodeError> {
        let len = self.count()?;
        let slice = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(slice)
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let offset = self.pos;
        let raw = self.length_prefixed()?;
        std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| DecodeError::InvalidUtf8 { offset })
    }

    fn number(&mut self) -> Result<Number, DecodeError> {
        let offset = self.pos;
        let (number, used) = Number::decode_sortable(&self.bytes[self.pos..])
            .map_err(|error| shift_offset(error, offset))?;
        self.pos += used;
        Ok(number)
    }

    /// Map entries (count, then name/value pairs), names strictly increasing as the
    /// encoder writes them from a `BTreeMap`.
    fn map_entries(
        &mut self,
        depth: usize,
    ) -> Result<BTreeMap<String, AttributeValue>, DecodeError> {
        let count = self.count()?;
        // Names are stored strictly increasing (checked), so the map is bulk-built from
        // a sorted list instead of searched once per insert.
        // (Capacity capped: a hostile count only costs what its entries really decode to.)
        let mut entries: Vec<(String, AttributeValue)> = Vec::with_capacity(count.min(64));
        for _ in 0..count {
            let offset = self.pos;
            let name = self.string()?;
            if entries.last().is_some_and(|(last, _)| *last >= name) {
                return Err(DecodeError::NonCanonical {
                    offset,
                    reason: "attribute names not strictly increasing",
                });
            }
            let value = self.value(depth)?;
            entries.push((name, value));
        }
        Ok(entries.into_iter().collect())
    }

    /// One value; `depth` counts the maps and lists enclosing it.
    fn value(&mut self, depth: usize) -> Result<AttributeValue, DecodeError> {
        let offset = self.pos;
        let value_tag = self.byte("value tag")?;
        let nested_depth = || {
            if depth >= MAX_NESTING_DEPTH {
                Err(DecodeError::TooDeep {
                    offset,
                    max: MAX_NESTING_DEPTH,
                })
            } else {
                Ok(depth + 1)
            }
        };
        Ok(match value_tag {
            tag::S => AttributeValue::S(self.string()?),
            tag::N => AttributeValue::N(self.number()?),
            tag::B => AttributeValue::B(self.length_prefixed()?.to_vec()),
            tag::BOOL_FALSE => AttributeValue::Bool(false),
            tag::BOOL_TRUE => AttributeValue::Bool(true),
            tag::NULL_TRUE => AttributeValue::Null(true),
            tag::NULL_FALSE => AttributeValue::Null(false),
            tag::M => AttributeValue::M(self.map_entries(nested_depth()?)?),
            tag::L => {
                let depth = nested_depth()?;
                let count = self.count()?;
                let mut values = Vec::with_capacity(count);
                for _ in 0..count {
                    values.push(self.value(depth)?);
                }
                AttributeValue::L(values)
            }
            tag::SS => {
                let count = self.count()?;
                AttributeValue::Ss(
                    (0..count)
                        .map(|_| self.string())
                        .collect::<Result<_, _>>()?,
                )
            }
            tag::NS => {
                let count = self.count()?;
                AttributeValue::Ns(
                    (0..count)
                        .map(|_| self.number())
                        .collect::<Result<_, _>>()?,
                )
            }
            tag::BS => {
                let count = self.count()?;
                AttributeValue::Bs(
                    (0..count)
                        .map(|_| self.length_prefixed().map(<[u8]>::to_vec))
                        .collect::<Result<_, _>>()?,
                )
            }
            other => return Err(DecodeError::UnknownTag { offset, tag: other }),
        })
    }
}

/// Rebases the offsets of an error from a sub-slice decoder onto the whole buffer.
fn shift_offset(error: DecodeError, base: usize) -> DecodeError {
    match error {
        DecodeError::Truncated { offset, what } => DecodeError::Truncated {
            offset: base + offset,
            what,
        },
        DecodeError::UnknownTag { offset, tag } => DecodeError::UnknownTag {
            offset: base + offset,
            tag,
        },
        DecodeError::InvalidByte {
            offset,
            byte,
            reason,
        } => DecodeError::InvalidByte {
            offset: base + offset,
            byte,
            reason,
        },
        DecodeError::NonCanonical { offset, reason } => DecodeError::NonCanonical {
            offset: base + offset,
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Item {
        serde_json::from_str(
            r#"{"pk":{"S":"user#1"},"n":{"N":"-12.5"},"b":{"B":"AAE="},"t":{"BOOL":true},"z":{"NULL":true},
                "m":{"M":{"x":{"L":[{"N":"0"},{"SS":["a","b"]}]}}},"ns":{"NS":["1","2"]},"bs":{"BS":["AA=="]}}"#,
        )
        .unwrap()
    }

    #[test]
    fn roundtrips_and_starts_with_version() {
        let item = sample();
        let mut bytes = Vec::new();
        encode_item(&item, &mut bytes).unwrap();
        assert_eq!(bytes[0], ITEM_FORMAT_VERSION);
        assert_eq!(decode_item(&bytes).unwrap(), item);
    }

    #[test]
    fn matches_the_documented_example() {
        let item: Item =
            serde_json::from_str(r#"{"a": {"N": "-12.5"}, "b": {"BOOL": true}}"#).unwrap();
        let mut bytes = Vec::new();
        encode_item(&item, &mut bytes).unwrap();
        let expected = [
            0x01, 0x02, 0x01, b'a', 0x02, 0x01, 0x7C, 0xF2, 0xCC, 0xFF, 0x01, b'b', 0x05,
        ];
        assert_eq!(bytes, expected, "docs/format/item.md shows these bytes");
    }

    #[test]
    fn every_truncation_and_corruption_is_a_typed_error() {
        let mut bytes = Vec::new();
        encode_item(&sample(), &mut bytes).unwrap();
        for len in 0..bytes.len() {
            assert!(
                decode_item(&bytes[..len]).is_err(),
                "prefix of {len} bytes decoded"
            );
        }
        // Flipping any byte must not panic (it may still decode to another valid item).
        for index in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xFF] {
                let mut corrupt = bytes.clone();
                corrupt[index] ^= flip;
                let _ = decode_item(&corrupt);
            }
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            decode_item(&trailing),
            Err(DecodeError::TrailingBytes { .. })
        ));
        assert!(matches!(
            decode_item(&[9, 0]),
            Err(DecodeError::UnsupportedVersion {
                found: 9,
                supported: 1
            })
        ));
    }

    #[test]
    fn hostile_counts_and_depth_are_rejected() {
        // One attribute claiming 2^63 list elements.
        let mut bytes = vec![ITEM_FORMAT_VERSION, 1, 1, b'a', tag::L];
        put_varint(&mut bytes, 1 << 63);
        assert!(matches!(
            decode_item(&bytes),
            Err(DecodeError::LengthOutOfBounds { .. })
        ));
        // 100k nested one-element lists.
        let mut deep = vec![ITEM_FORMAT_VERSION, 1, 1, b'a'];
        for _ in 0..100_000 {
            deep.extend_from_slice(&[tag::L, 1]);
        }
        deep.push(tag::NULL_TRUE);
        assert!(matches!(
            decode_item(&deep),
            Err(DecodeError::TooDeep { .. })
        ));
        // An 11-byte varint.
        let overlong = [
            ITEM_FORMAT_VERSION,
            0xFF,
            0xFF,
            0xFF,
            0xFF,
            0xFF,
            0xFF,
            0xFF,
            0xFF,
            0xFF,
            0xFF,
            0x01,
        ];
        assert!(matches!(
            decode_item(&overlong),
            Err(DecodeError::BadVarint { .. })
        ));
        // Repeated names.
        let repeated = [
            ITEM_FORMAT_VERSION,
            2,
            1,
            b'a',
            tag::NULL_TRUE,
            1,
            b'a',
            tag::NULL_TRUE,
        ];
        assert!(matches!(
            decode_item(&repeated),
            Err(DecodeError::NonCanonical { .. })
        ));
    }

    /// Found by the `item_codec` fuzz target (`fuzz/corpus/item_codec/
    /// regression_overlong_varint_zero_count`): `[1, 0x80, 0x00]` decoded as the empty
    /// item, whose encoding is `[1, 0]`, so one item had two encodings.
    #[test]
    fn fuzz_item_codec_varint_with_a_trailing_zero_group_is_non_canonical() {
        for bytes in [
            &[ITEM_FORMAT_VERSION, 0x80, 0x00][..],
            &[
                ITEM_FORMAT_VERSION,
                0x81,
                0x80,
                0x00,
                1,
                b'a',
                tag::NULL_TRUE,
            ][..],
            // A one-byte name whose length is written in two bytes.
            &[ITEM_FORMAT_VERSION, 1, 0x81, 0x00, b'a', tag::NULL_TRUE][..],
        ] {
            assert!(
                matches!(decode_item(bytes), Err(DecodeError::NonCanonical { offset, .. }) if offset == 1 || offset == 2),
                "{bytes:?}: {:?}",
                decode_item(bytes)
            );
        }
        // The minimal forms still decode; 0x80 0x01 is 128, not a redundant group.
        assert_eq!(decode_item(&[ITEM_FORMAT_VERSION, 0]), Ok(Item::new()));
        let mut item = Item::new();
        item.insert("a".repeat(128), AttributeValue::Null(true));
        let mut out = Vec::new();
        encode_item(&item, &mut out).unwrap();
        assert_eq!(&out[2..4], &[0x80, 0x01]);
        assert_eq!(decode_item(&out), Ok(item));
    }
}
