//! DynamoDB's validation text for an enum member whose value is not in its set:
//!
//! ```text
//! 1 validation error detected: Value 'FOO' at 'returnValues' failed to satisfy
//! constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]
//! ```
//!
//! serde reports only `unknown variant `FOO`, expected one of ...`, without saying where.
//! The expected set names the enum (each enum in [`ENUM_MEMBERS`] has a distinct set);
//! the member is then found by looking for that value under the enum's member name in
//! the request body, which gives DynamoDB's path (`keySchema.2.member.keyType`: list
//! positions count from 1 and each element is a `member`).
//!
//! Only the enums a client commonly gets wrong are covered; any other unknown variant
//! keeps serde's text. The sets are DynamoDB's, in the order DynamoDB lists them (checked
//! against the engine's enums by this module's tests).

use serde_json::Value;

/// One request enum: the JSON member names that hold it and DynamoDB's value set.
#[derive(Debug)]
pub struct EnumMember {
    /// Member names (PascalCase, as in the body) whose value is this enum.
    pub members: &'static [&'static str],
    /// The allowed values, in DynamoDB's order.
    pub allowed: &'static [&'static str],
}

/// ReturnValues' set, in DynamoDB's order.
pub const RETURN_VALUES: &[&str] = &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"];
/// ReturnConsumedCapacity's set.
pub const RETURN_CONSUMED_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
/// Select's set.
pub const SELECT: &[&str] = &[
    "SPECIFIC_ATTRIBUTES",
    "COUNT",
    "ALL_ATTRIBUTES",
    "ALL_PROJECTED_ATTRIBUTES",
];
/// ReturnItemCollectionMetrics' set.
pub const RETURN_ITEM_COLLECTION_METRICS: &[&str] = &["SIZE", "NONE"];
/// A legacy condition's ComparisonOperator set, in the order dynalite's tests record
/// DynamoDB giving it.
pub const COMPARISON_OPERATORS: &[&str] = &[
    "IN",
    "NULL",
    "BETWEEN",
    "LT",
    "NOT_CONTAINS",
    "EQ",
    "GT",
    "NOT_NULL",
    "NE",
    "LE",
    "BEGINS_WITH",
    "GE",
    "CONTAINS",
];
/// BillingMode's set.
pub const BILLING_MODE: &[&str] = &["PROVISIONED", "PAY_PER_REQUEST"];
/// ConditionalOperator's set.
pub const CONDITIONAL_OPERATOR: &[&str] = &["OR", "AND"];

/// The enums whose violations get DynamoDB's text.
pub const ENUM_MEMBERS: &[EnumMember] = &[
    EnumMember {
        members: &["ReturnValues"],
        allowed: RETURN_VALUES,
    },
    EnumMember {
        members: &["ReturnConsumedCapacity"],
        allowed: RETURN_CONSUMED_CAPACITY,
    },
    EnumMember {
        members: &["Select"],
        allowed: SELECT,
    },
    EnumMember {
        members: &["BillingMode"],
        allowed: BILLING_MODE,
    },
    EnumMember {
        members: &["KeyType"],
        allowed: &["HASH", "RANGE"],
    },
    EnumMember {
        members: &["ProjectionType"],
        allowed: &["ALL", "INCLUDE", "KEYS_ONLY"],
    },
    EnumMember {
        members: &["AttributeType"],
        allowed: &["B", "N", "S"],
    },
    EnumMember {
        members: &["ReturnItemCollectionMetrics"],
        allowed: RETURN_ITEM_COLLECTION_METRICS,
    },
    // The legacy parameters' enums, in the order dynalite's tests record DynamoDB giving
    // them (`scanFilter.b.member.comparisonOperator`, `conditionalOperator`,
    // `attributeUpdates.a.member.action`).
    EnumMember {
        members: &["ComparisonOperator"],
        allowed: COMPARISON_OPERATORS,
    },
    EnumMember {
        members: &["ConditionalOperator"],
        allowed: CONDITIONAL_OPERATOR,
    },
    EnumMember {
        members: &["Action"],
        allowed: &["ADD", "PUT", "DELETE"],
    },
];

/// Request members that are maps keyed by the client's names (attribute names, table
/// names): DynamoDB's path through one is `<map>.<key>.member` (`scanFilter.b.member.
/// comparisonOperator`), with the key as sent.
const MAP_MEMBERS: &[&str] = &[
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
    "Expected",
    "AttributeUpdates",
    "RequestItems",
];

/// A value outside its enum's set, located in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumViolation {
    /// The value as sent.
    pub value: String,
    /// DynamoDB's path of the member, e.g. `attributeDefinitions.1.member.attributeType`.
    pub member: String,
    /// The allowed values, in DynamoDB's order.
    pub allowed: &'static [&'static str],
}

/// Recognises serde's unknown-variant `detail` for one of [`ENUM_MEMBERS`] and finds the
/// member in `body`. `None` when the detail is about another enum, or the member cannot
/// be found (the caller then keeps serde's text).
pub fn locate(detail: &str, body: &[u8]) -> Option<EnumViolation> {
    let (value, expected) = parse_unknown_variant(detail)?;
    let entry = ENUM_MEMBERS
        .iter()
        .find(|e| same_set(e.allowed, &expected))?;
    // The body already parsed as JSON once (serde failed on its content, not its
    // syntax), so this parse succeeds and stays within serde_json's recursion limit.
    let root: Value = serde_json::from_slice(body).ok()?;
    let member = find_member(&root, entry.members, value)?;
    Some(EnumViolation {
        value: value.to_string(),
        member,
        allowed: entry.allowed,
    })
}

/// `unknown variant `FOO`, expected one of `A`, `B`` (or `expected `A` or `B``, or
/// `expected `A``) → (`FOO`, [A, B]). The value may contain anything, so the expected
/// list, whose names never contain a backtick, is split off at the last `, expected `.
fn parse_unknown_variant(detail: &str) -> Option<(&str, Vec<&str>)> {
    let rest = detail.strip_prefix("unknown variant `")?;
    let split = rest.rfind("`, expected ")?;
    let value = &rest[..split];
    let list = &rest[split + "`, expected ".len()..];
    let list = list.strip_prefix("one of ").unwrap_or(list);
    let names: Vec<&str> = list
        .split([',', ' '])
        .filter(|w| !w.is_empty() && *w != "or")
        .map(|w| w.trim_matches('`'))
        .collect();
    (!names.is_empty()).then_some((value, names))
}

fn same_set(allowed: &[&str], expected: &[&str]) -> bool {
    allowed.len() == expected.len() && allowed.iter().all(|a| expected.contains(a))
}

/// The DynamoDB path of a member named one of `names` whose value is the string `value`.
/// Should the same invalid value sit under two such members, this names the first in
/// `serde_json::Value`'s (sorted) key order, which may not be the one serde stopped at;
/// the message is otherwise the same.
///
/// Attribute values (`{"S": "..."}`) never match, since the member must hold the string
/// itself; so user data in items cannot be mistaken for the member. Iterative, and each
/// node is visited once.
fn find_member(root: &Value, names: &[&str], value: &str) -> Option<String> {
    // (node, its path, whether its member name is one of `names`). Children are pushed
    // in reverse so that they pop in order.
    // (node, its path, whether its member name is one of `names`, whether it is a map
    // keyed by the client's names).
    let mut pending: Vec<(&Value, String, bool, bool)> = vec![(root, String::new(), false, false)];
    while let Some((node, path, named, is_map)) = pending.pop() {
        match node {
            Value::Object(map) if is_map => {
                for (key, child) in map.iter().rev() {
                    let entry = format!("{}.member", join(&path, key));
                    pending.push((child, entry, false, false));
                }
            }
            Value::Object(map) => {
                for (key, child) in map.iter().rev() {
                    let named = names.contains(&key.as_str());
                    let is_map = MAP_MEMBERS.contains(&key.as_str());
                    pending.push((child, join(&path, &lower_first(key)), named, is_map));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate().rev() {
                    let element = format!("{}.member", join(&path, &(i + 1).to_string()));
                    pending.push((child, element, false, false));
                }
            }
            Value::String(s) if named && s == value => return Some(path),
            _ => {}
        }
    }
    None
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// DynamoDB names members in lowerCamelCase in validation messages.
pub fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use shale_table::shapes::{
        AttributeAction, BillingMode, ComparisonOperator, ConditionalOperator, KeyType,
        ProjectionType, ReturnConsumedCapacity, ReturnItemCollectionMetrics, ReturnValue,
        ScalarAttributeType, Select,
    };

    /// serde's error for `"NOT_A_VALUE"` as a `T`.
    fn serde_detail<T: DeserializeOwned + std::fmt::Debug>() -> String {
        let e = serde_json::from_str::<T>("\"NOT_A_VALUE\"").expect_err("not a variant");
        let full = e.to_string();
        full.split(" at line ").next().unwrap().to_string()
    }

    #[test]
    fn every_entry_matches_its_engine_enum_exactly() {
        let details = [
            serde_detail::<ReturnValue>(),
            serde_detail::<ReturnConsumedCapacity>(),
            serde_detail::<Select>(),
            serde_detail::<BillingMode>(),
            serde_detail::<KeyType>(),
            serde_detail::<ProjectionType>(),
            serde_detail::<ScalarAttributeType>(),
            serde_detail::<ReturnItemCollectionMetrics>(),
            serde_detail::<ComparisonOperator>(),
            serde_detail::<ConditionalOperator>(),
            serde_detail::<AttributeAction>(),
        ];
        assert_eq!(details.len(), ENUM_MEMBERS.len());
        for (detail, entry) in details.iter().zip(ENUM_MEMBERS) {
            let (value, expected) = parse_unknown_variant(detail).expect(detail);
            assert_eq!(value, "NOT_A_VALUE");
            assert!(same_set(entry.allowed, &expected), "{entry:?} vs {detail}");
        }
        // Distinct sets, so the expected list alone names the enum.
        for (i, a) in ENUM_MEMBERS.iter().enumerate() {
            for b in &ENUM_MEMBERS[i + 1..] {
                assert!(!same_set(a.allowed, b.allowed), "{a:?} and {b:?}");
            }
        }
    }

    #[test]
    fn parses_every_form_of_serdes_expected_list() {
        assert_eq!(
            parse_unknown_variant("unknown variant `x`, expected `A`"),
            Some(("x", vec!["A"]))
        );
        assert_eq!(
            parse_unknown_variant("unknown variant `x`, expected `A` or `B`"),
            Some(("x", vec!["A", "B"]))
        );
        assert_eq!(
            parse_unknown_variant("unknown variant `a`, expected `b`, expected one of `C`, `D`"),
            Some(("a`, expected `b", vec!["C", "D"]))
        );
        assert_eq!(parse_unknown_variant("invalid type: integer"), None);
    }

    #[test]
    fn legacy_enums_get_dynamodbs_map_paths() {
        // dynalite's tests, recorded against DynamoDB: `scanFilter.b.member.comparisonOperator`.
        let body = br#"{"TableName": "T", "ScanFilter": {"a": {"ComparisonOperator": "EQ",
            "AttributeValueList": [{"S": "x"}]}, "b": {"ComparisonOperator": "XX"}}}"#;
        let detail = serde_detail::<ComparisonOperator>().replace("NOT_A_VALUE", "XX");
        let v = locate(&detail, body).unwrap();
        assert_eq!(v.member, "scanFilter.b.member.comparisonOperator");
        assert_eq!(v.allowed[0], "IN");
        let body = br#"{"TableName": "T", "Key": {"pk": {"S": "k"}},
            "AttributeUpdates": {"Count": {"Action": "INCREMENT", "Value": {"N": "1"}}}}"#;
        let detail = serde_detail::<AttributeAction>().replace("NOT_A_VALUE", "INCREMENT");
        let v = locate(&detail, body).unwrap();
        assert_eq!(v.member, "attributeUpdates.Count.member.action");
        let body = br#"{"TableName": "T", "ConditionalOperator": "AN"}"#;
        let detail = serde_detail::<ConditionalOperator>().replace("NOT_A_VALUE", "AN");
        assert_eq!(locate(&detail, body).unwrap().member, "conditionalOperator");
    }

    #[test]
    fn finds_nested_members_with_dynamodbs_list_paths() {
        let body = br#"{"TableName": "T",
            "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"},
                                     {"AttributeName": "b", "AttributeType": "X"}],
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}]}"#;
        let v = locate("unknown variant `X`, expected one of `S`, `N`, `B`", body).unwrap();
        assert_eq!(v.member, "attributeDefinitions.2.member.attributeType");
        assert_eq!(v.allowed, &["B", "N", "S"]);
        let body = br#"{"GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "i",
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"},
                          {"AttributeName": "b", "KeyType": "SORT"}],
            "Projection": {"ProjectionType": "ALL"}}}]}"#;
        let v = locate("unknown variant `SORT`, expected `HASH` or `RANGE`", body).unwrap();
        assert_eq!(
            v.member,
            "globalSecondaryIndexUpdates.1.member.create.keySchema.2.member.keyType"
        );
    }

    #[test]
    fn attribute_values_are_never_taken_for_the_member() {
        // An item attribute named ReturnValues holding the same text, before the member.
        let body = br#"{"TableName": "T",
            "Item": {"ReturnValues": {"S": "FOO"}, "x": {"L": [{"S": "FOO"}]}},
            "ReturnValues": "FOO"}"#;
        let detail = "unknown variant `FOO`, expected one of `NONE`, `ALL_OLD`, `UPDATED_OLD`, `ALL_NEW`, `UPDATED_NEW`";
        assert_eq!(locate(detail, body).unwrap().member, "returnValues");
    }

    #[test]
    fn other_enums_and_unfound_members_are_left_to_serde() {
        let detail = "unknown variant `X`, expected one of `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE`, `NEW_AND_OLD_IMAGES`";
        assert_eq!(locate(detail, br#"{"StreamViewType": "X"}"#), None);
        let detail = "unknown variant `X`, expected `HASH` or `RANGE`";
        assert_eq!(locate(detail, br#"{"Other": "X"}"#), None);
    }
}
