//! Order-preserving, self-delimiting encodings of key values (S, N, B).
//!
//! The table layer concatenates encoded partition and sort keys into backend keys, so
//! each encoding must (1) compare bytewise exactly as DynamoDB orders the values
//! (S by UTF-8 bytes, B by unsigned bytes, N numerically), and (2) end unambiguously
//! when more bytes follow. S and B escape `0x00` as `0x00 0xFF` and end with
//! `0x00 0x01`; N uses [`Number::encode_sortable`], which is self-delimiting.
//! Byte layouts are in `docs/format/item.md`.

use super::validate::value_size_bytes;
use super::{
    AttributeValue, DecodeError, KeyRole, Number, TypeError, MAX_PARTITION_KEY_BYTES,
    MAX_SORT_KEY_BYTES,
};

/// The types a key attribute can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl ScalarType {
    /// DynamoDB's tag: "S", "N" or "B".
    #[must_use]
    pub fn tag(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    /// The key type of `value`, if it can be a key.
    #[must_use]
    pub fn of(value: &AttributeValue) -> Option<ScalarType> {
        match value {
            AttributeValue::S(_) => Some(ScalarType::S),
            AttributeValue::N(_) => Some(ScalarType::N),
            AttributeValue::B(_) => Some(ScalarType::B),
            _ => None,
        }
    }
}

/// Escape byte: `0x00` inside a string or binary is written `0x00 ESCAPED_ZERO`.
const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xFF;
/// `0x00 TERMINATOR` ends a string or binary; it sorts below any escaped zero and any
/// further content, so a prefix sorts first.
const TERMINATOR: u8 = 0x01;

/// Appends the order-preserving encoding of a key value.
///
/// # Errors
/// [`TypeError::NotAKeyType`] unless `value` is S, N or B.
pub fn encode_key_value(value: &AttributeValue, out: &mut Vec<u8>) -> Result<(), TypeError> {
    match value {
        AttributeValue::S(text) => encode_escaped(text.as_bytes(), out),
        AttributeValue::B(bytes) => encode_escaped(bytes, out),
        AttributeValue::N(number) => number.encode_sortable(out),
        other => {
            return Err(TypeError::NotAKeyType {
                actual: other.type_tag(),
            })
        }
    }
    Ok(())
}

fn encode_escaped(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 2);
    for &byte in bytes {
        out.push(byte);
        if byte == ESCAPE {
            out.push(ESCAPED_ZERO);
        }
    }
    out.extend_from_slice(&[ESCAPE, TERMINATOR]);
}

/// Decodes one key value of type `key_type` from the front of `bytes`, returning it and
/// the number of bytes it used.
///
/// # Errors
/// [`DecodeError`] on truncation, bad escapes, invalid UTF-8 or a malformed number.
pub fn decode_key_value(
    key_type: ScalarType,
    bytes: &[u8],
) -> Result<(AttributeValue, usize), DecodeError> {
    match key_type {
        ScalarType::N => {
            Number::decode_sortable(bytes).map(|(number, used)| (AttributeValue::N(number), used))
        }
        ScalarType::S => {
            let (raw, used) = decode_escaped(bytes)?;
            let text =
                String::from_utf8(raw).map_err(|_| DecodeError::InvalidUtf8 { offset: 0 })?;
            Ok((AttributeValue::S(text), used))
        }
        ScalarType::B => decode_escaped(bytes).map(|(raw, used)| (AttributeValue::B(raw), used)),
    }
}

fn decode_escaped(bytes: &[u8]) -> Result<(Vec<u8>, usize), DecodeError> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    while pos < bytes.len() {
        let byte = bytes[pos];
        if byte != ESCAPE {
            out.push(byte);
            pos += 1;
            continue;
        }
        match bytes.get(pos + 1) {
            Some(&ESCAPED_ZERO) => out.push(ESCAPE),
            Some(&TERMINATOR) => return Ok((out, pos + 2)),
            Some(&other) => {
                return Err(DecodeError::InvalidByte {
                    offset: pos + 1,
                    byte: other,
                    reason: "0x00 in a key must be followed by 0xFF (escaped zero) or 0x01 (end)",
                })
            }
            None => break,
        }
        pos += 2;
    }
    Err(DecodeError::Truncated {
        offset: bytes.len(),
        what: "key terminator",
    })
}

/// Checks a key attribute's value: the schema's type, not empty, and within the size
/// limit for its role (2048 bytes for a partition key, 1024 for a sort key).
///
/// # Errors
/// [`TypeError::KeyTypeMismatch`], [`TypeError::EmptyKeyValue`] or [`TypeError::KeyTooLarge`].
pub fn validate_key_value(
    name: &str,
    value: &AttributeValue,
    expected: ScalarType,
    role: KeyRole,
) -> Result<(), TypeError> {
    if ScalarType::of(value) != Some(expected) {
        return Err(TypeError::KeyTypeMismatch {
            name: name.to_string(),
            expected: expected.tag(),
            actual: value.type_tag(),
        });
    }
    let empty_kind = match value {
        AttributeValue::S(text) if text.is_empty() => Some("string"),
        AttributeValue::B(bytes) if bytes.is_empty() => Some("binary"),
        _ => None,
    };
    if let Some(kind) = empty_kind {
        return Err(TypeError::EmptyKeyValue {
            name: name.to_string(),
            kind,
        });
    }
    let max = match role {
        KeyRole::Partition => MAX_PARTITION_KEY_BYTES,
        KeyRole::Sort => MAX_SORT_KEY_BYTES,
    };
    let size = value_size_bytes(value);
    if size > max {
        return Err(TypeError::KeyTooLarge { role, size, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: &AttributeValue) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key_value(value, &mut out).unwrap();
        out
    }

    #[test]
    fn strings_with_zero_bytes_roundtrip_and_keep_prefix_order() {
        let values = ["", "\0", "\0\0", "\0a", "a", "a\0", "a\0b", "ab", "b"];
        let encodings: Vec<Vec<u8>> = values
            .iter()
            .map(|s| encoded(&AttributeValue::S((*s).into())))
            .collect();
        for pair in encodings.windows(2) {
            assert!(pair[0] < pair[1]);
        }
        for (text, bytes) in values.iter().zip(&encodings) {
            let mut with_suffix = bytes.clone();
            with_suffix.extend_from_slice(b"\x00\x01tail");
            let (value, used) = decode_key_value(ScalarType::S, &with_suffix).unwrap();
            assert_eq!(
                (value, used),
                (AttributeValue::S((*text).into()), bytes.len())
            );
        }
    }

    #[test]
    fn malformed_key_bytes_are_typed_errors() {
        assert!(matches!(
            decode_key_value(ScalarType::B, b"ab"),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(matches!(
            decode_key_value(ScalarType::B, b"a\x00"),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(matches!(
            decode_key_value(ScalarType::B, b"a\x00\x05"),
            Err(DecodeError::InvalidByte { .. })
        ));
        assert!(matches!(
            decode_key_value(ScalarType::S, b"\xff\x00\x01"),
            Err(DecodeError::InvalidUtf8 { .. })
        ));
    }

    #[test]
    fn key_values_are_checked() {
        let s = AttributeValue::S("x".repeat(1025));
        assert!(validate_key_value("pk", &s, ScalarType::S, KeyRole::Partition).is_ok());
        assert_eq!(
            validate_key_value("sk", &s, ScalarType::S, KeyRole::Sort),
            Err(TypeError::KeyTooLarge {
                role: KeyRole::Sort,
                size: 1025,
                max: 1024
            })
        );
        // DynamoDB's texts (dynalite, moto and Alternator recorded both; "of2048" sic).
        let too_long = |role, len| {
            validate_key_value(
                "k",
                &AttributeValue::S("x".repeat(len)),
                ScalarType::S,
                role,
            )
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            too_long(KeyRole::Partition, 2049),
            "One or more parameter values were invalid: Size of hashkey has exceeded the \
             maximum size limit of2048 bytes"
        );
        assert_eq!(
            too_long(KeyRole::Sort, 1025),
            "One or more parameter values were invalid: Aggregated size of all range keys has \
             exceeded the size limit of 1024 bytes"
        );
        assert!(matches!(
            validate_key_value(
                "pk",
                &AttributeValue::S(String::new()),
                ScalarType::S,
                KeyRole::Partition
            ),
            Err(TypeError::EmptyKeyValue { .. })
        ));
        assert!(matches!(
            validate_key_value(
                "pk",
                &AttributeValue::Bool(true),
                ScalarType::S,
                KeyRole::Partition
            ),
            Err(TypeError::KeyTypeMismatch { .. })
        ));
        assert!(encode_key_value(&AttributeValue::Null(true), &mut Vec::new()).is_err());
    }
}
