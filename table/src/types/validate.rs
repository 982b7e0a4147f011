//! DynamoDB's data-model rules for values and items, and its item-size arithmetic.

use super::{AttributeValue, Item, TypeError};

/// Largest item, by [`item_size_bytes`]: 400 KB.
pub const MAX_ITEM_SIZE_BYTES: usize = 400 * 1024;
/// Maps and lists nest at most this deep; a top-level map or list is level 1.
pub const MAX_NESTING_DEPTH: usize = 32;
/// Attribute names (and map keys) are shorter than 64 KB.
pub const MAX_ATTRIBUTE_NAME_BYTES: usize = 64 * 1024 - 1;
/// Largest partition key value.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// Largest sort key value.
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// Bytes DynamoDB charges for a map or list regardless of contents.
const CONTAINER_OVERHEAD_BYTES: usize = 3;
/// Bytes DynamoDB charges per element of a map or list.
const CONTAINER_ELEMENT_BYTES: usize = 1;
/// Bytes of a BOOL or NULL.
const FLAG_BYTES: usize = 1;

/// Checks every rule DynamoDB applies to an item in a write: names, values (see
/// [`validate_value`]) and the 400 KB size limit. Returns the item's size
/// ([`item_size_bytes`]), which the check had to compute anyway.
///
/// # Errors
/// The first broken rule, as a [`TypeError`].
pub fn validate_item(item: &Item) -> Result<usize, TypeError> {
    for (name, value) in item {
        if name.is_empty() {
            return Err(TypeError::EmptyAttributeName);
        }
        check_name_length(name)?;
        validate_value(value)?;
    }
    let size = item_size_bytes(item);
    if size > MAX_ITEM_SIZE_BYTES {
        return Err(TypeError::ItemTooLarge {
            size,
            max: MAX_ITEM_SIZE_BYTES,
        });
    }
    Ok(size)
}

/// Checks one value: sets are non-empty with unique elements, maps and lists nest at
/// most [`MAX_NESTING_DEPTH`] deep, map keys are shorter than 64 KB. Numbers are valid by
/// construction. Empty strings and binaries are allowed (keys are checked separately by
/// [`crate::types::validate_key_value`]).
///
/// # Errors
/// The first broken rule, as a [`TypeError`].
pub fn validate_value(value: &AttributeValue) -> Result<(), TypeError> {
    validate_at_depth(value, 0)
}

/// `depth` counts the maps and lists enclosing `value`. Recursion stops at
/// [`MAX_NESTING_DEPTH`], so a hostile value cannot overflow the stack here.
fn validate_at_depth(value: &AttributeValue, depth: usize) -> Result<(), TypeError> {
    match value {
        AttributeValue::S(_)
        | AttributeValue::N(_)
        | AttributeValue::B(_)
        | AttributeValue::Bool(_)
        | AttributeValue::Null(_) => Ok(()),
        AttributeValue::M(entries) => {
            check_depth(depth)?;
            for (key, nested) in entries {
                check_name_length(key)?;
                validate_at_depth(nested, depth + 1)?;
            }
            Ok(())
        }
        AttributeValue::L(values) => {
            check_depth(depth)?;
            values
                .iter()
                .try_for_each(|nested| validate_at_depth(nested, depth + 1))
        }
        AttributeValue::Ss(strings) => check_set(
            strings.iter().map(String::as_str),
            "string",
            "SS",
            str::to_owned,
        ),
        AttributeValue::Ns(numbers) => check_set(numbers.iter(), "number", "NS", |n| n.to_string()),
        AttributeValue::Bs(binaries) => {
            check_set(binaries.iter().map(Vec::as_slice), "binary", "BS", |b| {
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b)
            })
        }
    }
}

fn check_depth(enclosing: usize) -> Result<(), TypeError> {
    if enclosing >= MAX_NESTING_DEPTH {
        return Err(TypeError::NestingTooDeep {
            max: MAX_NESTING_DEPTH,
        });
    }
    Ok(())
}

fn check_name_length(name: &str) -> Result<(), TypeError> {
    if name.len() > MAX_ATTRIBUTE_NAME_BYTES {
        return Err(TypeError::AttributeNameTooLong {
            len: name.len(),
            max: MAX_ATTRIBUTE_NAME_BYTES,
        });
    }
    Ok(())
}

/// A set is non-empty and has no two equal elements; `quote` renders an element as
/// DynamoDB's duplicate message quotes it.
fn check_set<T: Ord + Copy>(
    elements: impl Iterator<Item = T> + Clone,
    set_type: &'static str,
    tag: &'static str,
    quote: impl Fn(T) -> String,
) -> Result<(), TypeError> {
    let mut sorted: Vec<T> = elements.clone().collect();
    if sorted.is_empty() {
        return Err(TypeError::EmptySet { set_type });
    }
    sorted.sort_unstable();
    if sorted.windows(2).any(|pair| pair[0] == pair[1]) {
        let quoted: Vec<String> = elements.map(quote).collect();
        return Err(TypeError::DuplicateSetElement {
            set_type: tag,
            elements: format!("[{}]", quoted.join(", ")),
        });
    }
    Ok(())
}

/// An item's size by DynamoDB's rules: the UTF-8 length of each attribute name plus
/// [`value_size_bytes`] of its value.
#[must_use]
pub fn item_size_bytes(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size_bytes(value))
        .sum()
}

/// A value's size by DynamoDB's rules:
/// - S and B: their length in bytes; BOOL and NULL: 1;
/// - N: 1 byte per two significant digits, rounded up, plus 1;
/// - M and L: 3 bytes, plus per element 1 byte, the map key's length and the element's size;
/// - sets: the sum of their elements' sizes.
///
/// Iterative, so it is safe on values of any depth (including unvalidated ones).
#[must_use]
pub fn value_size_bytes(value: &AttributeValue) -> usize {
    // Most values are scalars: no work list for them.
    if !matches!(value, AttributeValue::M(_) | AttributeValue::L(_)) {
        return own_size_bytes(value);
    }
    let mut total = 0;
    let mut pending: Vec<&AttributeValue> = vec![value];
    while let Some(value) = pending.pop() {
        total += own_size_bytes(value);
        match value {
            AttributeValue::M(entries) => pending.extend(entries.values()),
            AttributeValue::L(values) => pending.extend(values.iter()),
            _ => {}
        }
    }
    total
}

/// A value's size without its nested elements' sizes (a container's own bytes only).
fn own_size_bytes(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number_size_bytes(number),
        AttributeValue::B(bytes) => bytes.len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => FLAG_BYTES,
        AttributeValue::M(entries) => {
            CONTAINER_OVERHEAD_BYTES
                + entries
                    .keys()
                    .map(|key| CONTAINER_ELEMENT_BYTES + key.len())
                    .sum::<usize>()
        }
        AttributeValue::L(values) => {
            CONTAINER_OVERHEAD_BYTES + CONTAINER_ELEMENT_BYTES * values.len()
        }
        AttributeValue::Ss(strings) => strings.iter().map(String::len).sum(),
        AttributeValue::Ns(numbers) => numbers.iter().map(number_size_bytes).sum(),
        AttributeValue::Bs(binaries) => binaries.iter().map(Vec::len).sum(),
    }
}

fn number_size_bytes(number: &super::Number) -> usize {
    number.significant_digits().div_ceil(2) + 1
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::types::Number;

    fn nested_lists(depth: usize) -> AttributeValue {
        let mut value = AttributeValue::Null(true);
        for _ in 0..depth {
            value = AttributeValue::L(vec![value]);
        }
        value
    }

    #[test]
    fn sets_must_be_nonempty_and_unique() {
        assert_eq!(
            validate_value(&AttributeValue::Ss(vec![])),
            Err(TypeError::EmptySet { set_type: "string" })
        );
        assert_eq!(
            validate_value(&AttributeValue::Ns(vec![
                Number::parse("1.0").unwrap(),
                Number::parse("1").unwrap()
            ])),
            Err(TypeError::DuplicateSetElement {
                set_type: "NS",
                elements: "[1, 1]".into()
            })
        );
        assert!(validate_value(&AttributeValue::Bs(vec![vec![], vec![1]])).is_ok());
        assert!(validate_value(&AttributeValue::Bs(vec![vec![1], vec![1]])).is_err());
    }

    /// DynamoDB's texts for bad sets, as dynalite's tests recorded them (put and batch
    /// get validations): each set type words them differently.
    #[test]
    fn bad_sets_get_dynamodbs_texts() {
        let text = |v: AttributeValue| validate_value(&v).unwrap_err().to_string();
        let invalid = "One or more parameter values were invalid: ";
        assert_eq!(
            text(AttributeValue::Ss(vec![])),
            format!("{invalid}An string set  may not be empty")
        );
        assert_eq!(
            text(AttributeValue::Ns(vec![])),
            format!("{invalid}An number set  may not be empty")
        );
        assert_eq!(
            text(AttributeValue::Bs(vec![])),
            format!("{invalid}Binary sets should not be empty")
        );
        assert_eq!(
            text(AttributeValue::Ss(vec!["a".into(), "a".into()])),
            format!("{invalid}Input collection [a, a] contains duplicates.")
        );
        assert_eq!(
            text(AttributeValue::Ns(vec![
                Number::parse("1").unwrap(),
                Number::parse("1").unwrap()
            ])),
            "Input collection contains duplicates"
        );
        assert_eq!(
            text(AttributeValue::Bs(vec![b"b".to_vec(), b"b".to_vec()])),
            format!("{invalid}Input collection [Yg==, Yg==]of type BS contains duplicates.")
        );
    }

    #[test]
    fn nesting_is_limited_to_32() {
        assert!(validate_value(&nested_lists(MAX_NESTING_DEPTH)).is_ok());
        assert_eq!(
            validate_value(&nested_lists(MAX_NESTING_DEPTH + 1)),
            Err(TypeError::NestingTooDeep {
                max: MAX_NESTING_DEPTH
            })
        );
    }

    #[test]
    fn names_are_nonempty_and_bounded() {
        let mut item = Item::new();
        item.insert(String::new(), AttributeValue::S("x".into()));
        assert_eq!(validate_item(&item), Err(TypeError::EmptyAttributeName));
        let mut item = Item::new();
        item.insert(
            "a".repeat(MAX_ATTRIBUTE_NAME_BYTES + 1),
            AttributeValue::Bool(true),
        );
        assert!(matches!(
            validate_item(&item),
            Err(TypeError::AttributeNameTooLong { .. })
        ));
        let mut item = Item::new();
        item.insert("empty".into(), AttributeValue::S(String::new()));
        assert!(
            validate_item(&item).is_ok(),
            "empty non-key strings are allowed"
        );
    }

    #[test]
    fn sizes_follow_dynamodb_rules() {
        let n = |text: &str| AttributeValue::N(Number::parse(text).unwrap());
        assert_eq!(value_size_bytes(&n("1")), 2);
        assert_eq!(value_size_bytes(&n("12")), 2);
        assert_eq!(value_size_bytes(&n("123")), 3);
        assert_eq!(value_size_bytes(&n("1E100")), 2);
        assert_eq!(value_size_bytes(&AttributeValue::L(vec![])), 3);
        let map = AttributeValue::M(BTreeMap::from([(
            "ab".to_string(),
            AttributeValue::S("xyz".into()),
        )]));
        assert_eq!(value_size_bytes(&map), 3 + 1 + 2 + 3);
        assert_eq!(
            value_size_bytes(&AttributeValue::Ss(vec!["a".into(), "bc".into()])),
            3
        );
        assert_eq!(value_size_bytes(&nested_lists(10_000)), 10_000 * 4 + 1);
    }

    #[test]
    fn items_over_400_kb_are_rejected() {
        let mut item = Item::new();
        item.insert(
            "a".into(),
            AttributeValue::B(vec![0; MAX_ITEM_SIZE_BYTES - 1]),
        );
        assert!(validate_item(&item).is_ok());
        item.insert("b".into(), AttributeValue::Bool(true));
        assert_eq!(
            validate_item(&item),
            Err(TypeError::ItemTooLarge {
                size: MAX_ITEM_SIZE_BYTES + 2,
                max: MAX_ITEM_SIZE_BYTES
            })
        );
    }
}
