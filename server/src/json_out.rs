//! Response bodies as compact JSON: serde_json's output, byte for byte, with strings
//! escaped a block at a time.
//!
//! serde_json escapes a string one byte at a time (about 13 instructions a byte), and a
//! GetItem of a 1 KB item spent a fifth of the server's own instructions there
//! (`docs/benchmarks.md`, issue 17). This serializer writes the same bytes: it finds
//! the next byte that needs escaping 32 bytes at a time and copies the runs between
//! whole, escapes as serde_json does (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and
//! `\u00xx` in lower case for the other control bytes), and hands every scalar that is
//! not a string to serde_json itself, so numbers are formatted by the same code. The
//! tests compare its output with serde_json's for every escape at every position, for
//! scalars, options, enums and maps, and for items of every attribute type.
//!
//! Recursion follows the value's own nesting, which the table layer bounds (32 levels
//! of attribute values, DynamoDB's limit).

use serde::ser::{self, Serialize};

/// `value` as compact JSON, as `serde_json::to_vec` would write it.
///
/// # Errors
/// What the value's `Serialize` reports, or a map key that is not a string or an
/// integer.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = JsonOut {
        buf: Vec::with_capacity(256),
    };
    value.serialize(&mut out)?;
    Ok(out.buf)
}

/// Why a value could not be written.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The value's `Serialize` said so (serde's `Error::custom`).
    Custom {
        /// Its message.
        message: String,
    },
    /// A map key that JSON cannot hold (serde_json refuses the same).
    KeyMustBeAString,
    /// A scalar that serde_json refused.
    Scalar {
        /// serde_json's error.
        source: serde_json::Error,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Custom { message } => f.write_str(message),
            Error::KeyMustBeAString => f.write_str("key must be a string"),
            Error::Scalar { source } => write!(f, "{source}"),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::Custom {
            message: msg.to_string(),
        }
    }
}

/// The output buffer, and the serializer over it.
struct JsonOut {
    buf: Vec<u8>,
}

impl JsonOut {
    /// A scalar other than a string, written by serde_json.
    fn scalar<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        serde_json::to_writer(&mut self.buf, v).map_err(|source| Error::Scalar { source })
    }

    /// Opens a sequence or map with `open`; `close` ends it.
    fn compound(&mut self, open: &[u8], close: &'static [u8]) -> Compound<'_> {
        self.buf.extend_from_slice(open);
        Compound {
            out: self,
            first: true,
            close,
        }
    }

    /// A variant's `{"Variant":` then [`JsonOut::compound`].
    fn variant_compound(
        &mut self,
        variant: &str,
        open: &[u8],
        close: &'static [u8],
    ) -> Compound<'_> {
        self.buf.push(b'{');
        self.string(variant);
        self.buf.push(b':');
        self.compound(open, close)
    }

    fn string(&mut self, s: &str) {
        self.buf.push(b'"');
        escape_into(&mut self.buf, s.as_bytes());
        self.buf.push(b'"');
    }
}

/// Appends `bytes` (UTF-8) to `out`, escaped for a JSON string as serde_json escapes:
/// each run of plain bytes copied whole.
fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len());
    let mut rest = bytes;
    while let Some(at) = next_escape(rest) {
        out.extend_from_slice(&rest[..at]);
        match escape_byte(rest[at]) {
            Some(escaped) => escaped.write(out),
            // Not reached: `needs_escape` and `escape_byte` agree (a test checks every
            // byte); were they ever to differ, the byte is kept as it is.
            None => out.push(rest[at]),
        }
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

/// Where the first byte of `bytes` that needs escaping is: 32 bytes at a time (a loop
/// without an early exit, which the compiler turns into vector compares), then byte by
/// byte within the block that has one, and in the tail. Copying a short tail into a
/// padded block to check it whole measured slower.
fn next_escape(bytes: &[u8]) -> Option<usize> {
    let mut blocks = bytes.chunks_exact(32);
    let mut offset = 0;
    for block in blocks.by_ref() {
        let any = block.iter().fold(false, |any, &b| any | needs_escape(b));
        if any {
            return first_to_escape(block).map(|p| offset + p);
        }
        offset += 32;
    }
    first_to_escape(blocks.remainder()).map(|p| offset + p)
}

/// Byte by byte, by table: fewer instructions than the three compares there (callgrind).
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| NEEDS_ESCAPE[usize::from(b)])
}

/// Whether serde_json escapes a byte: the control bytes, the quote and the backslash
/// (those [`escape_byte`] has an escape for). Branch-free, so that a block's check
/// vectorizes.
#[inline(always)]
const fn needs_escape(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

/// [`needs_escape`] of every byte.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = needs_escape(b as u8);
        b += 1;
    }
    table
};

/// How one byte is escaped.
enum Escaped {
    /// A backslash and this letter (or the quote or backslash itself).
    Short(u8),
    /// `\u00` and this byte in two lower-case hex digits.
    Unicode(u8),
}

impl Escaped {
    fn write(self, out: &mut Vec<u8>) {
        match self {
            Escaped::Short(c) => out.extend_from_slice(&[b'\\', c]),
            Escaped::Unicode(b) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xF)],
                ]);
            }
        }
    }
}

/// serde_json's escape for `b`, if it has one.
fn escape_byte(b: u8) -> Option<Escaped> {
    Some(match b {
        b'"' => Escaped::Short(b'"'),
        b'\\' => Escaped::Short(b'\\'),
        0x08 => Escaped::Short(b'b'),
        0x0C => Escaped::Short(b'f'),
        b'\n' => Escaped::Short(b'n'),
        b'\r' => Escaped::Short(b'r'),
        b'\t' => Escaped::Short(b't'),
        0x00..=0x1F => Escaped::Unicode(b),
        _ => return None,
    })
}

/// A sequence or map being written: whether an element was written yet, and what
/// closes it (`]`, `}`, or a variant's `]}` / `}}`).
struct Compound<'a> {
    out: &'a mut JsonOut,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_> {
    fn comma(&mut self) {
        if !std::mem::replace(&mut self.first, false) {
            self.out.buf.push(b',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.comma();
        v.serialize(&mut *self.out)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> Result<(), Error> {
        self.comma();
        self.out.string(key);
        self.out.buf.push(b':');
        v.serialize(&mut *self.out)
    }

    fn close(self) -> Result<(), Error> {
        self.out.buf.extend_from_slice(self.close);
        Ok(())
    }
}

/// Serializer methods for scalars, each handing its value to `$how`.
macro_rules! scalars {
    ($how:ident: $($method:ident($ty:ty)),+ $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<(), Error> {
            self.$how(&v)
        })+
    };
}

impl<'a> ser::Serializer for &'a mut JsonOut {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.buf
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    scalars!(scalar: serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64));
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        // serde_json writes bytes as an array of numbers.
        self.scalar(v)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.buf.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.buf.push(b'{');
        self.string(variant);
        self.buf.push(b':');
        v.serialize(&mut *self)?;
        self.buf.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.compound(b"[", b"]"))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(self.variant_compound(variant, b"[", b"]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.compound(b"{", b"}"))
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(self.variant_compound(variant, b"{", b"}}"))
    }
}

/// The compound traits whose elements are values without keys, and those whose fields
/// have `&'static str` keys: all written alike.
macro_rules! compound {
    (values: $($trait:ident::$method:ident),+; fields: $($ftrait:ident::$fmethod:ident),+) => {
        $(impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
                self.element(v)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        })+
        $(impl ser::$ftrait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $fmethod<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                v: &T,
            ) -> Result<(), Error> {
                self.field(key, v)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        })+
    };
}

compound!(
    values: SerializeSeq::serialize_element, SerializeTuple::serialize_element,
        SerializeTupleStruct::serialize_field, SerializeTupleVariant::serialize_field;
    fields: SerializeStruct::serialize_field, SerializeStructVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(MapKey(&mut *self.out))?;
        self.out.buf.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.out)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// A map key: a string as itself, an integer quoted (as serde_json writes them); any
/// other key is refused.
struct MapKey<'a>(&'a mut JsonOut);

impl MapKey<'_> {
    fn quoted<T: Serialize>(self, v: &T) -> Result<(), Error> {
        self.0.buf.push(b'"');
        self.0.scalar(v)?;
        self.0.buf.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.0.string(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.0.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.0.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    scalars!(quoted: serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
        serialize_u64(u64));
    fn serialize_bool(self, _v: bool) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _v: &T) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _v: &T,
    ) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(Error::KeyMustBeAString)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error::KeyMustBeAString)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Serialize;
    use shale_table::types::AttributeValue;
    use std::collections::BTreeMap;

    fn same_as_serde_json<T: Serialize + ?Sized>(v: &T) {
        assert_eq!(
            String::from_utf8(to_vec(v).unwrap()).unwrap(),
            serde_json::to_string(v).unwrap()
        );
    }

    #[test]
    fn every_escape_and_run_boundary_is_written_as_serde_json_writes_it() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é€😀\u{7f}\u{2028}");
        same_as_serde_json(&all);
        // An escape at every position of a word, and runs across word boundaries.
        for len in 0..20 {
            for at in 0..len {
                for c in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'x', 'é'] {
                    let mut s: String = "a".repeat(len);
                    s.replace_range(at..at + 1, &c.to_string());
                    same_as_serde_json(&s);
                }
            }
        }
    }

    #[test]
    fn scalars_structs_options_and_enums_match_serde_json() {
        #[derive(Serialize)]
        enum E {
            Unit,
            New(u8),
            Tuple(u8, String),
            Struct { a: Option<f64> },
        }
        #[derive(Serialize)]
        struct S {
            b: bool,
            i: i64,
            u: u64,
            f: f64,
            nan: f64,
            half: f32,
            none: Option<u8>,
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<u8>,
            c: char,
            v: Vec<E>,
            m: BTreeMap<String, Vec<u8>>,
            km: BTreeMap<u32, ()>,
            t: (u8, &'static str),
        }
        same_as_serde_json(&S {
            b: true,
            i: i64::MIN,
            u: u64::MAX,
            f: 0.5,
            nan: f64::NAN,
            half: 1.25,
            none: None,
            skipped: None,
            c: '"',
            v: vec![
                E::Unit,
                E::New(3),
                E::Tuple(1, "x\ty".into()),
                E::Struct { a: Some(1e300) },
                E::Struct { a: None },
            ],
            m: [("k\"".to_string(), vec![1, 2]), (String::new(), vec![])].into(),
            km: [(7, ()), (10, ())].into(),
            t: (0, "\u{0}"),
        });
    }

    #[test]
    fn the_bytes_to_escape_are_the_bytes_with_an_escape() {
        for b in 0..=u8::MAX {
            assert_eq!(needs_escape(b), escape_byte(b).is_some(), "{b:#04x}");
        }
    }

    #[test]
    fn a_map_key_that_is_not_a_string_or_an_integer_is_refused() {
        let m: BTreeMap<bool, u8> = [(true, 1)].into();
        assert!(matches!(to_vec(&m), Err(Error::KeyMustBeAString)));
    }

    fn attribute_value() -> impl Strategy<Value = AttributeValue> {
        let leaf = prop_oneof![
            any::<String>().prop_map(AttributeValue::S),
            any::<i64>().prop_map(|n| AttributeValue::N(n.into())),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(AttributeValue::B),
            any::<bool>().prop_map(AttributeValue::Bool),
            proptest::collection::vec(any::<String>(), 1..3).prop_map(AttributeValue::Ss),
            Just(AttributeValue::Null(true)),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
                proptest::collection::btree_map(any::<String>(), inner, 0..4)
                    .prop_map(|m| AttributeValue::M(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn items_of_every_attribute_type_match_serde_json(
            item in proptest::collection::btree_map(any::<String>(), attribute_value(), 0..6)
        ) {
            let item: shale_table::types::Item = item.into_iter().collect();
            let ours = String::from_utf8(to_vec(&item).unwrap()).unwrap();
            prop_assert_eq!(ours, serde_json::to_string(&item).unwrap());
        }
    }
}
