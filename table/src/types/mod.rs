//! DynamoDB's data model: [`AttributeValue`], [`Number`], [`Item`], their validation and
//! sizes, and the byte encodings the table layer stores.
//!
//! ```
//! use shale_table::types::{validate_item, item_size_bytes, AttributeValue, Item, Number};
//!
//! let item: Item = serde_json::from_str(r#"{"pk": {"S": "user#1"}, "n": {"N": "1.50"}}"#).unwrap();
//! validate_item(&item).unwrap();
//! assert_eq!(item["n"], AttributeValue::N(Number::parse("1.5").unwrap()));
//! assert_eq!(item_size_bytes(&item), 2 + 6 + 1 + 2);
//! ```
//!
//! The modules follow the data path of a value:
//! - [`number`]: the exact decimal `N`;
//! - `wire`: serde in DynamoDB's JSON shape (`{"S": "x"}`);
//! - [`validate`]: the data-model rules and DynamoDB's item-size arithmetic;
//! - [`key`]: order-preserving, self-delimiting encodings of key values;
//! - [`codec`]: the compact binary form of a whole item for storage.
//!
//! It is not:
//! - the expression language (that is [`crate::expr`]);
//! - table logic: key schemas, indexes and capacity live in this crate's table layer.

use std::collections::BTreeMap;

pub mod codec;
pub mod error;
pub mod fuzzing;
pub mod key;
pub mod number;
pub mod validate;
mod wire;

pub use codec::{decode_item, encode_item, ITEM_FORMAT_VERSION, MAX_SIZE_PER_ENCODED_BYTE};
pub use error::{DecodeError, KeyRole, TypeError};
pub use key::{decode_key_value, encode_key_value, validate_key_value, ScalarType};
pub use number::{Number, MAX_NUMBER_TEXT_BYTES, MAX_SIGNIFICANT_DIGITS};
pub use validate::{
    item_size_bytes, validate_item, validate_value, value_size_bytes, MAX_ATTRIBUTE_NAME_BYTES,
    MAX_ITEM_SIZE_BYTES, MAX_NESTING_DEPTH, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES,
};
pub use wire::{decode_base64, is_blob_error, Base64Error, BLOB_CONVERSION_FAILED};

/// One DynamoDB attribute value. Serde reads and writes DynamoDB's JSON wire shape:
/// `{"S":"x"}`, `{"N":"1.5"}`, `{"B":"<base64>"}`, `{"BOOL":true}`, `{"NULL":true}`,
/// `{"M":{…}}`, `{"L":[…]}`, `{"SS":[…]}`, `{"NS":["1"]}`, `{"BS":["<base64>"]}`.
///
/// A value built in code is not necessarily valid (sets may be empty or repeat
/// elements, nesting may be too deep): call [`validate_value`] or [`validate_item`].
/// Sets keep the order they were given in; DynamoDB defines none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// A UTF-8 string.
    S(String),
    /// An exact decimal.
    N(Number),
    /// Bytes (base64 on the wire).
    B(Vec<u8>),
    /// A boolean.
    Bool(bool),
    /// The null value; DynamoDB only accepts `true`.
    Null(bool),
    /// A map of names to values.
    M(BTreeMap<String, AttributeValue>),
    /// A list of values.
    L(Vec<AttributeValue>),
    /// A string set.
    Ss(Vec<String>),
    /// A number set.
    Ns(Vec<Number>),
    /// A binary set.
    Bs(Vec<Vec<u8>>),
}

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

impl AttributeValue {
    /// DynamoDB's type tag: "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS".
    #[must_use]
    pub fn type_tag(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null(_) => "NULL",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
        }
    }
}
