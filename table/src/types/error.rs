//! [`TypeError`]: why a value, item or key is not acceptable to DynamoDB.
//!
//! The `Display` texts follow DynamoDB's `ValidationException` messages so that the
//! server can pass them through verbatim.

/// Which key attribute a key-limit error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// The partition ("hash") key.
    Partition,
    /// The sort ("range") key.
    Sort,
}

/// A value, item or key rejected by DynamoDB's data-model rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeError {
    /// The number text is not a decimal number DynamoDB accepts.
    #[error("A value provided cannot be converted into a number")]
    NumberMalformed {
        /// The offending text, truncated to a short prefix for the message.
        text: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// The number text is longer than any valid number can be; rejected before parsing.
    #[error(
        "A value provided cannot be converted into a number (text of {len} bytes exceeds {max})"
    )]
    NumberTextTooLong {
        /// Length of the text in bytes.
        len: usize,
        /// The bound, [`crate::types::MAX_NUMBER_TEXT_BYTES`].
        max: usize,
    },
    /// More than 38 significant digits.
    #[error("Attempting to store more than 38 significant digits in a Number")]
    NumberPrecision {
        /// Significant digits found after trimming leading and trailing zeros.
        digits: usize,
    },
    /// The magnitude is above 9.9999999999999999999999999999999999999E+125.
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    NumberOverflow,
    /// A non-zero magnitude below 1E-130.
    #[error("Number underflow. Attempting to store a number with magnitude smaller than supported range")]
    NumberUnderflow,
    /// A set (SS, NS, BS) with no elements. DynamoDB's texts, as dynalite recorded them:
    /// "An string set  may not be empty" (sic), "An number set  may not be empty", and
    /// "Binary sets should not be empty".
    #[error("One or more parameter values were invalid: {}", if *.set_type == "binary" { "Binary sets should not be empty".to_owned() } else { format!("An {} set  may not be empty", .set_type) })]
    EmptySet {
        /// "string", "number" or "binary", as DynamoDB words it.
        set_type: &'static str,
    },
    /// A set with two equal elements. DynamoDB's three texts, as dynalite recorded them:
    /// "One or more parameter values were invalid: Input collection [a, a] contains
    /// duplicates." for SS, "Input collection contains duplicates" for NS, and "One or more
    /// parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains
    /// duplicates." (sic) for BS.
    #[error("{}", match *.set_type { "NS" => "Input collection contains duplicates".to_owned(), "BS" => format!("One or more parameter values were invalid: Input collection {}of type BS contains duplicates.", .elements), _ => format!("One or more parameter values were invalid: Input collection {} contains duplicates.", .elements) })]
    DuplicateSetElement {
        /// "SS", "NS" or "BS".
        set_type: &'static str,
        /// The set as DynamoDB quotes it: `[a, a]`, elements in request order (base64 for
        /// binary).
        elements: String,
    },
    /// Maps and lists nested deeper than [`crate::types::MAX_NESTING_DEPTH`].
    #[error("Nesting Levels have exceeded supported limits")]
    NestingTooDeep {
        /// The bound.
        max: usize,
    },
    /// A top-level attribute name that is the empty string.
    #[error("One or more parameter values were invalid: An attribute name may not be empty")]
    EmptyAttributeName,
    /// An attribute name (or map key) longer than 64 KB.
    #[error("One or more parameter values were invalid: Attribute name of {len} bytes exceeds the limit of {max} bytes")]
    AttributeNameTooLong {
        /// Its UTF-8 length.
        len: usize,
        /// The bound, [`crate::types::MAX_ATTRIBUTE_NAME_BYTES`].
        max: usize,
    },
    /// The item is larger than 400 KB by DynamoDB's size rules.
    #[error("Item size has exceeded the maximum allowed size")]
    ItemTooLarge {
        /// The computed size in bytes.
        size: usize,
        /// The bound, [`crate::types::MAX_ITEM_SIZE_BYTES`].
        max: usize,
    },
    /// An update would make the item larger than 400 KB: UpdateItem's own wording (the
    /// API reference's list of UpdateItem errors; dynalite and moto recorded it).
    #[error("Item size to update has exceeded the maximum allowed size")]
    UpdatedItemTooLarge {
        /// The computed size in bytes.
        size: usize,
        /// The bound, [`crate::types::MAX_ITEM_SIZE_BYTES`].
        max: usize,
    },
    /// A key attribute is not S, N or B, or not the type the schema declares.
    #[error("One or more parameter values were invalid: Type mismatch for key {name} expected: {expected} actual: {actual}")]
    KeyTypeMismatch {
        /// The key attribute's name.
        name: String,
        /// The schema's type ("S", "N", "B").
        expected: &'static str,
        /// The value's type tag.
        actual: &'static str,
    },
    /// A value of a type that cannot be a key (only S, N and B can).
    #[error("One or more parameter values were invalid: Key attributes must be of type S, N or B; found {actual}")]
    NotAKeyType {
        /// The value's type tag.
        actual: &'static str,
    },
    /// A key attribute holding an empty string or binary.
    #[error("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}")]
    EmptyKeyValue {
        /// The key attribute's name.
        name: String,
        /// "string" or "binary".
        kind: &'static str,
    },
    /// A key value above DynamoDB's per-key size limit. DynamoDB's texts, as dynalite,
    /// moto and ScyllaDB's Alternator tests recorded them: "Size of hashkey has exceeded
    /// the maximum size limit of2048 bytes" (no space, sic) and "Aggregated size of all
    /// range keys has exceeded the size limit of 1024 bytes".
    #[error("One or more parameter values were invalid: {}", match .role { KeyRole::Partition => format!("Size of hashkey has exceeded the maximum size limit of{max} bytes"), KeyRole::Sort => format!("Aggregated size of all range keys has exceeded the size limit of {max} bytes") })]
    KeyTooLarge {
        /// Partition or sort key.
        role: KeyRole,
        /// The value's size in bytes.
        size: usize,
        /// The bound.
        max: usize,
    },
}

/// Stored bytes (an item codec record or an encoded key) that do not decode.
///
/// Offsets are byte positions within the buffer handed to the decoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The buffer ended inside a value.
    #[error("truncated input at offset {offset}: {what}")]
    Truncated {
        /// Where the missing bytes should have been.
        offset: usize,
        /// What was being read.
        what: &'static str,
    },
    /// The leading format-version byte is not one this build reads.
    #[error("unsupported item format version {found} (this build reads {supported})")]
    UnsupportedVersion {
        /// The version byte found.
        found: u8,
        /// The version this build writes and reads.
        supported: u8,
    },
    /// A type tag that names no type.
    #[error("unknown tag 0x{tag:02x} at offset {offset}")]
    UnknownTag {
        /// Where the tag is.
        offset: usize,
        /// The byte.
        tag: u8,
    },
    /// A byte that is not valid where it stands (a digit pair, an escape).
    #[error("invalid byte 0x{byte:02x} at offset {offset}: {reason}")]
    InvalidByte {
        /// Where the byte is.
        offset: usize,
        /// The byte.
        byte: u8,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// Bytes that decode but not to the canonical form the encoder writes.
    #[error("non-canonical encoding at offset {offset}: {reason}")]
    NonCanonical {
        /// Where the value starts.
        offset: usize,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// A string that is not UTF-8.
    #[error("invalid UTF-8 in string at offset {offset}")]
    InvalidUtf8 {
        /// Where the string starts.
        offset: usize,
    },
    /// A length or count that cannot fit in the remaining input.
    #[error("length {len} at offset {offset} exceeds the {remaining} bytes remaining")]
    LengthOutOfBounds {
        /// Where the length prefix is.
        offset: usize,
        /// The declared length or count.
        len: u64,
        /// Bytes left after the prefix.
        remaining: usize,
    },
    /// A varint longer than ten bytes or above `u64::MAX`.
    #[error("malformed varint at offset {offset}")]
    BadVarint {
        /// Where the varint starts.
        offset: usize,
    },
    /// Maps and lists nested deeper than the decoder allows.
    #[error("nesting deeper than {max} at offset {offset}")]
    TooDeep {
        /// Where the too-deep value starts.
        offset: usize,
        /// The bound.
        max: usize,
    },
    /// Bytes left over after a complete value.
    #[error("{extra} trailing bytes after offset {offset}")]
    TrailingBytes {
        /// Where the complete value ended.
        offset: usize,
        /// How many bytes follow.
        extra: usize,
    },
    /// The bytes decode to a value that breaks a data-model rule.
    #[error("invalid value at offset {offset}: {source}")]
    InvalidValue {
        /// Where the value starts.
        offset: usize,
        /// The rule it breaks.
        #[source]
        source: TypeError,
    },
}
