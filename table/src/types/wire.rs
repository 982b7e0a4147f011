//! Serde for [`AttributeValue`] and [`Number`] in DynamoDB's JSON wire shape.
//!
//! An attribute value is a JSON object with exactly one key, the type tag. Numbers travel
//! as strings, binaries as standard base64. Malformed shapes fail deserialization with
//! DynamoDB's wording, so the server can surface them as ValidationExceptions; a binary
//! that is not base64 fails with DynamoDB's SerializationException text instead (see
//! [`BLOB_CONVERSION_FAILED`]).

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::{AttributeValue, Number};

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Number, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number as a string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Number, E> {
                Number::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(NumberVisitor)
    }
}

/// Bytes that serialize as a base64 string.
struct Base64<'a>(&'a [u8]);

impl Serialize for Base64<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(self.0))
    }
}

/// The words every malformed-binary deserialization error carries, between the quoted
/// value and the reason: `'!!!' can not be converted to a Blob: Base64 encoded length is
/// expected a multiple of 4 bytes but found: 3`. DynamoDB's RPC layer fails such a body
/// with a SerializationException (not a ValidationException), and serde's custom errors
/// are text only, so this marker is how the server tells them apart (`is_blob_error`).
pub const BLOB_CONVERSION_FAILED: &str = " can not be converted to a Blob: ";

/// Whether a serde error text (without its position suffix) is a malformed base64 binary.
#[must_use]
pub fn is_blob_error(detail: &str) -> bool {
    detail.starts_with('\'') && detail.contains(BLOB_CONVERSION_FAILED)
}

/// Why a `B`/`BS` string is not base64, in DynamoDB's words (as dynalite recorded them
/// from DynamoDB: `validations/index.js`, and scylladb/scylladb#6487 for the length case).
/// DynamoDB checks in this order: the length, then each character, then the last one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base64Error {
    /// The length (in UTF-16 units, as DynamoDB's Java counts) is not a multiple of 4:
    /// DynamoDB requires padding.
    #[error("Base64 encoded length is expected a multiple of 4 bytes but found: {len}")]
    Length {
        /// The length.
        len: usize,
    },
    /// A character outside the standard alphabet, or padding before the end.
    #[error("Invalid Base64 character: '{character}'")]
    Character {
        /// The first offending character.
        character: char,
    },
    /// The last character before the padding has bits the decoded length does not use
    /// (non-canonical encoding). The misspelling is DynamoDB's.
    #[error("Invalid last non-pad Base64 character dectected")]
    LastSymbol,
}

/// Decodes standard, padded, canonical base64, failing as DynamoDB does.
///
/// # Errors
/// [`Base64Error`], by the first rule `text` breaks.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, Base64Error> {
    let len = text.encode_utf16().count();
    // A remainder, not `is_multiple_of`: that is Rust 1.87, and the README says 1.85.
    #[allow(clippy::manual_is_multiple_of)]
    if len % 4 != 0 {
        return Err(Base64Error::Length { len });
    }
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let misplaced_pad = c == '=' && chars.peek().is_some_and(|next| *next != '=');
        if !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=') || misplaced_pad {
            return Err(Base64Error::Character { character: c });
        }
    }
    BASE64.decode(text).map_err(|_| Base64Error::LastSymbol)
}

/// Bytes read from a base64 string.
struct Base64Owned(Vec<u8>);

impl<'de> Deserialize<'de> for Base64Owned {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Base64Owned, D::Error> {
        struct BytesVisitor;
        impl Visitor<'_> for BytesVisitor {
            type Value = Base64Owned;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64-encoded binary data")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Base64Owned, E> {
                decode_base64(text).map(Base64Owned).map_err(|e| {
                    // DynamoDB quotes the whole value; it is at most the request's size.
                    E::custom(format_args!("'{text}'{BLOB_CONVERSION_FAILED}{e}"))
                })
            }
        }
        deserializer.deserialize_str(BytesVisitor)
    }
}

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        let tag = self.type_tag();
        match self {
            AttributeValue::S(text) => map.serialize_entry(tag, text)?,
            AttributeValue::N(number) => map.serialize_entry(tag, number)?,
            AttributeValue::B(bytes) => map.serialize_entry(tag, &Base64(bytes))?,
            AttributeValue::Bool(flag) | AttributeValue::Null(flag) => {
                map.serialize_entry(tag, flag)?
            }
            AttributeValue::M(entries) => map.serialize_entry(tag, entries)?,
            AttributeValue::L(values) => map.serialize_entry(tag, values)?,
            AttributeValue::Ss(strings) => map.serialize_entry(tag, strings)?,
            AttributeValue::Ns(numbers) => map.serialize_entry(tag, numbers)?,
            AttributeValue::Bs(binaries) => {
                let encoded: Vec<Base64<'_>> = binaries.iter().map(|b| Base64(b)).collect();
                map.serialize_entry(tag, &encoded)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AttributeValue, D::Error> {
        deserializer.deserialize_map(AttributeValueVisitor)
    }
}

struct AttributeValueVisitor;

impl<'de> Visitor<'de> for AttributeValueVisitor {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an AttributeValue object with exactly one type key")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
        let Some(tag) = map.next_key::<String>()? else {
            return Err(de::Error::custom(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        };
        let value = match tag.as_str() {
            "S" => AttributeValue::S(map.next_value()?),
            "N" => AttributeValue::N(map.next_value()?),
            "B" => AttributeValue::B(map.next_value::<Base64Owned>()?.0),
            "BOOL" => AttributeValue::Bool(map.next_value()?),
            "NULL" => {
                if !map.next_value::<bool>()? {
                    return Err(de::Error::custom(
                        "One or more parameter values were invalid: Null attribute value types must have the value of true",
                    ));
                }
                AttributeValue::Null(true)
            }
            "M" => AttributeValue::M(map.next_value::<BTreeMap<String, AttributeValue>>()?),
            "L" => AttributeValue::L(map.next_value()?),
            "SS" => AttributeValue::Ss(map.next_value()?),
            "NS" => AttributeValue::Ns(map.next_value()?),
            "BS" => AttributeValue::Bs(
                map.next_value::<Vec<Base64Owned>>()?
                    .into_iter()
                    .map(|b| b.0)
                    .collect(),
            ),
            _ => {
                return Err(de::Error::custom(format_args!(
                    "Supplied AttributeValue has an unsupported datatype: {}",
                    tag.chars().take(32).collect::<String>()
                )))
            }
        };
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Item;

    #[test]
    fn roundtrips_every_type_in_wire_shape() {
        let json = r#"{"b":{"B":"AAEC"},"bool":{"BOOL":false},"bs":{"BS":["AQ==","Ag=="]},"l":{"L":[{"S":"x"},{"N":"2"}]},"m":{"M":{"k":{"NULL":true}}},"n":{"N":"1.5"},"ns":{"NS":["1","-2.5"]},"s":{"S":""},"ss":{"SS":["a","b"]}}"#;
        let item: Item = serde_json::from_str(json).unwrap();
        assert_eq!(item["b"], AttributeValue::B(vec![0, 1, 2]));
        assert_eq!(
            item["ns"],
            AttributeValue::Ns(vec![Number::from(1), Number::parse("-2.5").unwrap()])
        );
        assert_eq!(serde_json::to_string(&item).unwrap(), json);
    }

    #[test]
    fn canonicalizes_numbers_on_output() {
        let value: AttributeValue = serde_json::from_str(r#"{"N":"1.50E+2"}"#).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), r#"{"N":"150"}"#);
    }

    #[test]
    fn rejects_malformed_shapes() {
        for bad in [
            r#"{}"#,
            r#"{"S":"a","N":"1"}"#,
            r#"{"X":"a"}"#,
            r#"{"NULL":false}"#,
            r#"{"N":1}"#,
            r#"{"N":"abc"}"#,
            r#"{"N":"1e200"}"#,
            r#"{"B":"not base64!"}"#,
            r#"{"SS":"a"}"#,
            r#"{"BOOL":"true"}"#,
            r#"["S","a"]"#,
            r#""a""#,
        ] {
            assert!(
                serde_json::from_str::<AttributeValue>(bad).is_err(),
                "{bad} should fail"
            );
        }
    }

    /// DynamoDB's texts for each way a binary can fail to be base64 (dynalite's record
    /// of them), each recognisable as a blob error.
    #[test]
    fn malformed_base64_fails_with_dynamodbs_text() {
        for (value, reason) in [
            (
                "!!!",
                "Base64 encoded length is expected a multiple of 4 bytes but found: 3",
            ),
            (
                "23456",
                "Base64 encoded length is expected a multiple of 4 bytes but found: 5",
            ),
            ("!!!!", "Invalid Base64 character: '!'"),
            ("=+/=", "Invalid Base64 character: '='"),
            ("+/+=", "Invalid last non-pad Base64 character dectected"),
        ] {
            let json = format!(r#"{{"B":"{value}"}}"#);
            let e = serde_json::from_str::<AttributeValue>(&json).expect_err(value);
            let text = e.to_string();
            let expected = format!("'{value}' can not be converted to a Blob: {reason}");
            assert!(text.starts_with(&expected), "{text}");
            assert!(is_blob_error(&expected), "{expected}");
            let json = format!(r#"{{"BS":["AAAA","{value}"]}}"#);
            let e = serde_json::from_str::<AttributeValue>(&json).expect_err(value);
            assert!(e.to_string().starts_with(&expected), "{e}");
        }
        assert!(!is_blob_error(
            "invalid type: integer `5`, expected a string"
        ));
        assert_eq!(decode_base64("").as_deref(), Ok(&b""[..]));
        assert_eq!(decode_base64("dGVzdCE=").as_deref(), Ok(&b"test!"[..]));
    }

    #[test]
    fn deep_json_fails_instead_of_overflowing_the_stack() {
        let depth = 100_000;
        let json = format!(
            "{}{{\"NULL\":true}}{}",
            r#"{"L":["#.repeat(depth),
            "]}".repeat(depth)
        );
        assert!(serde_json::from_str::<AttributeValue>(&json).is_err());
    }
}
