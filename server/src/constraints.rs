//! DynamoDB's member constraints, reported together.
//!
//! DynamoDB checks every member's declared constraints (enum sets, numeric ranges,
//! lengths, the name pattern, members that must not be null) before anything else, and
//! reports every violation in one ValidationException, at most ten:
//!
//! ```text
//! 3 validation errors detected: Value '-1' at 'limit' failed to satisfy constraint:
//! Member must have value greater than or equal to 1; Value 'hi' at 'select' failed to
//! satisfy constraint: Member must satisfy enum value set: [...]; Value 'abc;' at
//! 'tableName' failed to satisfy constraint: Member must satisfy regular expression
//! pattern: [a-zA-Z0-9_.-]+
//! ```
//!
//! Shale's typed decoding and the table layer stop at the first violation, which is
//! right when there is only one. So when an operation listed here fails, [`check`]
//! re-reads the body for all of them; a request that succeeds, or that breaks no
//! constraint, never pays for it.
//!
//! The constraints and the texts are those recorded against DynamoDB in dynalite's
//! tests (`test/scan.js` and `test/query.js`, "should return ValidationException for
//! incorrect attributes": ten violations of a Scan, eight of a Query). The order of the
//! violations in DynamoDB's message differs between its versions (the recorded Query
//! message lists them in another order than a later recording, whose test then stopped
//! checking the order); Shale lists them in the order of the members below.

use std::fmt;

use serde_json::{Map, Value};

use crate::enum_values::{
    lower_first, BILLING_MODE, COMPARISON_OPERATORS, CONDITIONAL_OPERATOR,
    RETURN_CONSUMED_CAPACITY, RETURN_ITEM_COLLECTION_METRICS, RETURN_VALUES, SELECT,
};
use crate::operations::Operation;

/// The most violations DynamoDB reports in one message.
pub const MAX_REPORTED: usize = 10;

/// A table or index name's pattern.
const NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";

/// What a member must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// Present (for a member of a structure that is present).
    NotNull,
    /// One of these values.
    EnumSet(&'static [&'static str]),
    /// At least this value.
    MinValue(i64),
    /// At most this value.
    MaxValue(i64),
    /// At least this many characters or elements.
    MinLength(usize),
    /// At most this many characters or elements.
    MaxLength(usize),
    /// Matches this pattern (the whole value).
    Pattern(&'static str),
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::NotNull => write!(f, "Member must not be null"),
            Constraint::EnumSet(set) => {
                write!(
                    f,
                    "Member must satisfy enum value set: [{}]",
                    set.join(", ")
                )
            }
            Constraint::MinValue(v) => {
                write!(f, "Member must have value greater than or equal to {v}")
            }
            Constraint::MaxValue(v) => {
                write!(f, "Member must have value less than or equal to {v}")
            }
            Constraint::MinLength(n) => {
                write!(f, "Member must have length greater than or equal to {n}")
            }
            Constraint::MaxLength(n) => {
                write!(f, "Member must have length less than or equal to {n}")
            }
            Constraint::Pattern(p) => {
                write!(f, "Member must satisfy regular expression pattern: {p}")
            }
        }
    }
}

/// One member that breaks one constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The value as DynamoDB quotes it (`None`: absent, shown as `null`).
    pub value: Option<String>,
    /// DynamoDB's path: `limit`, `scanFilter.a.member.comparisonOperator`.
    pub path: String,
    /// What it breaks.
    pub constraint: Constraint,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "Value '{v}' at '{}'", self.path)?,
            None => write!(f, "Value null at '{}'", self.path)?,
        }
        write!(f, " failed to satisfy constraint: {}", self.constraint)
    }
}

/// DynamoDB's message for `violations` (at least one).
pub fn message(violations: &[Violation]) -> String {
    let n = violations.len();
    let parts: Vec<String> = violations.iter().map(ToString::to_string).collect();
    format!(
        "{n} validation error{} detected: {}",
        if n == 1 { "" } else { "s" },
        parts.join("; ")
    )
}

/// How one member is checked.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// A string: each constraint in turn.
    Text(&'static [Constraint]),
    /// An integer within bounds.
    Integer(&'static [Constraint]),
    /// A list, by its length.
    List(&'static [Constraint]),
    /// A map of legacy conditions: each one's ComparisonOperator one of DynamoDB's, and
    /// present when `operator_required` (KeyConditions and the filters; `Expected` may
    /// use `Exists` instead).
    Conditions { operator_required: bool },
    /// A map or a list, by its number of entries (`RequestItems`, `TransactItems`).
    Entries(&'static [Constraint]),
    /// Anything: only its presence is checked (`Key`, `Item`).
    Present,
    /// A table's name, as [`Rule::Text`], unless it is a table ARN (which the
    /// operations taking one resolve and check themselves).
    TableName(&'static [Constraint]),
    /// A ProvisionedThroughput structure: its write units, then its read units, each
    /// present and at least 1 (the order of DynamoDB's recorded message for both).
    Throughput,
    /// A structure whose members (JSON name, path name) must each be present.
    Fields(&'static [(&'static str, &'static str)]),
}

/// One member of a request, as checked.
#[derive(Debug, Clone, Copy)]
struct Member {
    /// Its JSON name.
    name: &'static str,
    rule: Rule,
    /// Reported as null when absent.
    required: bool,
}

const fn optional(name: &'static str, rule: Rule) -> Member {
    Member {
        name,
        rule,
        required: false,
    }
}

const fn required(name: &'static str, rule: Rule) -> Member {
    Member {
        name,
        rule,
        required: true,
    }
}

/// The members of `op` checked together, in the order they are reported (each
/// operation's recorded message, cited). Empty for an operation whose constraints are
/// not collected: its first violation is reported.
fn members(op: Operation) -> &'static [Member] {
    const NAME: Rule = Rule::Text(&[
        Constraint::Pattern(NAME_PATTERN),
        Constraint::MinLength(3),
        Constraint::MaxLength(255),
    ]);
    const RCC: Member = optional(
        "ReturnConsumedCapacity",
        Rule::Text(&[Constraint::EnumSet(RETURN_CONSUMED_CAPACITY)]),
    );
    const RICM: Member = optional(
        "ReturnItemCollectionMetrics",
        Rule::Text(&[Constraint::EnumSet(RETURN_ITEM_COLLECTION_METRICS)]),
    );
    const RETURN: Member = optional(
        "ReturnValues",
        Rule::Text(&[Constraint::EnumSet(RETURN_VALUES)]),
    );
    const SELECT_MEMBER: Member = optional("Select", Rule::Text(&[Constraint::EnumSet(SELECT)]));
    const CONDITIONAL: Member = optional(
        "ConditionalOperator",
        Rule::Text(&[Constraint::EnumSet(CONDITIONAL_OPERATOR)]),
    );
    const EXPECTED: Member = optional(
        "Expected",
        Rule::Conditions {
            operator_required: false,
        },
    );
    const ATTRIBUTES_TO_GET: Member =
        optional("AttributesToGet", Rule::List(&[Constraint::MinLength(1)]));
    const LIMIT: Member = optional("Limit", Rule::Integer(&[Constraint::MinValue(1)]));
    const TABLE: Member = required(
        "TableName",
        Rule::TableName(&[
            Constraint::Pattern(NAME_PATTERN),
            Constraint::MinLength(3),
            Constraint::MaxLength(255),
        ]),
    );
    const FILTER: Rule = Rule::Conditions {
        operator_required: true,
    };
    // dynalite's test/scan.js, "incorrect attributes".
    const SCAN: &[Member] = &[
        SELECT_MEMBER,
        optional("IndexName", NAME),
        optional(
            "TotalSegments",
            Rule::Integer(&[Constraint::MinValue(1), Constraint::MaxValue(1_000_000)]),
        ),
        RCC,
        TABLE,
        CONDITIONAL,
        optional("ScanFilter", FILTER),
        optional(
            "Segment",
            Rule::Integer(&[Constraint::MinValue(0), Constraint::MaxValue(999_999)]),
        ),
        ATTRIBUTES_TO_GET,
        LIMIT,
    ];
    // dynalite's test/query.js, the later recording.
    const QUERY: &[Member] = &[
        SELECT_MEMBER,
        optional("IndexName", NAME),
        RCC,
        optional("QueryFilter", FILTER),
        TABLE,
        CONDITIONAL,
        ATTRIBUTES_TO_GET,
        LIMIT,
        optional("KeyConditions", FILTER),
    ];
    // dynalite's test/getItem.js: "4 validation errors detected", in this order.
    const GET_ITEM: &[Member] = &[
        RCC,
        ATTRIBUTES_TO_GET,
        TABLE,
        required("Key", Rule::Present),
    ];
    // dynalite's test/putItem.js: five, in this order.
    const PUT_ITEM: &[Member] = &[
        RCC,
        TABLE,
        required("Item", Rule::Present),
        CONDITIONAL,
        EXPECTED,
        RETURN,
        RICM,
    ];
    // dynalite's test/deleteItem.js: five, in this order.
    const DELETE_ITEM: &[Member] = &[
        RCC,
        TABLE,
        CONDITIONAL,
        EXPECTED,
        RETURN,
        RICM,
        required("Key", Rule::Present),
    ];
    // dynalite's test/updateItem.js, the later recording.
    const UPDATE_ITEM: &[Member] = &[
        RCC,
        TABLE,
        CONDITIONAL,
        EXPECTED,
        RICM,
        RETURN,
        required("Key", Rule::Present),
    ];
    // dynalite's test/batchGetItem.js and test/batchWriteItem.js.
    const BATCH_GET_ITEM: &[Member] = &[
        RCC,
        required("RequestItems", Rule::Entries(&[Constraint::MinLength(1)])),
    ];
    const BATCH_WRITE_ITEM: &[Member] = &[
        RCC,
        RICM,
        required("RequestItems", Rule::Entries(&[Constraint::MinLength(1)])),
    ];
    // dynalite's test/transactWriteItem.js.
    const TRANSACT_WRITE_ITEMS: &[Member] = &[
        RCC,
        RICM,
        required("TransactItems", Rule::Entries(&[Constraint::MinLength(1)])),
    ];
    // dynalite's test/listTables.js: the limit first, then the name's pattern and length.
    const LIST_TABLES: &[Member] = &[
        optional(
            "Limit",
            Rule::Integer(&[Constraint::MinValue(1), Constraint::MaxValue(100)]),
        ),
        optional("ExclusiveStartTableName", NAME),
    ];
    // dynalite's test/createTable.js, the later recording ("null attributes":
    // attributeDefinitions, tableName, keySchema); a table operation's name length is
    // checked before, apart (`check`).
    const CREATE_TABLE: &[Member] = &[
        required("AttributeDefinitions", Rule::Present),
        required(
            "TableName",
            Rule::Text(&[Constraint::Pattern(NAME_PATTERN)]),
        ),
        required("KeySchema", Rule::Present),
        optional("ProvisionedThroughput", Rule::Throughput),
        optional(
            "BillingMode",
            Rule::Text(&[Constraint::EnumSet(BILLING_MODE)]),
        ),
    ];
    const UPDATE_TABLE: &[Member] = &[
        required(
            "TableName",
            Rule::Text(&[Constraint::Pattern(NAME_PATTERN)]),
        ),
        optional("ProvisionedThroughput", Rule::Throughput),
        optional(
            "BillingMode",
            Rule::Text(&[Constraint::EnumSet(BILLING_MODE)]),
        ),
    ];
    // dynalite's test/updateTimeToLive.js ("empty TimeToLiveSpecification").
    const UPDATE_TIME_TO_LIVE: &[Member] = &[
        required(
            "TableName",
            Rule::Text(&[Constraint::Pattern(NAME_PATTERN)]),
        ),
        required(
            "TimeToLiveSpecification",
            Rule::Fields(&[("Enabled", "enabled"), ("AttributeName", "attributeName")]),
        ),
    ];
    match op {
        Operation::UpdateTimeToLive => UPDATE_TIME_TO_LIVE,
        Operation::CreateTable => CREATE_TABLE,
        Operation::UpdateTable => UPDATE_TABLE,
        Operation::ListTables => LIST_TABLES,
        Operation::Scan => SCAN,
        Operation::Query => QUERY,
        Operation::GetItem => GET_ITEM,
        Operation::PutItem => PUT_ITEM,
        Operation::DeleteItem => DELETE_ITEM,
        Operation::UpdateItem => UPDATE_ITEM,
        Operation::BatchGetItem => BATCH_GET_ITEM,
        Operation::BatchWriteItem => BATCH_WRITE_ITEM,
        Operation::TransactWriteItems => TRANSACT_WRITE_ITEMS,
        _ => &[],
    }
}

/// Whether `op` is one of the table operations (CreateTable, DescribeTable, UpdateTable,
/// DeleteTable, UpdateTimeToLive, DescribeTimeToLive), which DynamoDB answers about a
/// missing or mis-sized `TableName` in words of their own, before anything else
/// (dynalite's tests of each, recorded against DynamoDB).
pub fn table_operation(op: Operation) -> bool {
    matches!(
        op,
        Operation::CreateTable
            | Operation::DescribeTable
            | Operation::UpdateTable
            | Operation::DeleteTable
            | Operation::UpdateTimeToLive
            | Operation::DescribeTimeToLive
    )
}

/// Whether `op`'s constraints are checked before the call rather than after a failure:
/// ListTables, whose `ExclusiveStartTableName` nothing else checks (it only positions the
/// page), and which is rare and small enough that reading its body twice costs nothing.
pub fn checked_before_the_call(op: Operation) -> bool {
    matches!(op, Operation::ListTables)
}

/// Every constraint `body` breaks for `op` (at most [`MAX_REPORTED`]), in report order.
/// Empty when the body is not a JSON object, when `op` is not covered, or when nothing
/// is broken. Members of the wrong JSON type are left to the typed decoding, which
/// reports them first (DynamoDB's SerializationException).
pub fn check(op: Operation, body: &[u8]) -> Vec<Violation> {
    let rules = members(op);
    if rules.is_empty() {
        return Vec::new();
    }
    // The body already parsed once (the request failed after decoding, or in it on a
    // value rather than its syntax), so this stays within serde_json's recursion limit.
    let Ok(Value::Object(root)) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    // A table operation with a mis-sized name, or none, answers that alone and first
    // (`ApiError::RequiredParameter`, the table layer's `TableNameLength`).
    if table_operation(op) {
        match root.get("TableName") {
            Some(Value::String(name))
                if (3..=255).contains(&name.chars().count()) || name.starts_with("arn:") => {}
            _ => return Vec::new(),
        }
    }
    let mut found = Vec::new();
    for member in rules {
        match root.get(member.name) {
            Some(Value::Null) | None if member.required => found.push(Violation {
                value: None,
                path: lower_first(member.name),
                constraint: Constraint::NotNull,
            }),
            Some(Value::Null) | None => {}
            Some(value) => check_member(&lower_first(member.name), value, member.rule, &mut found),
        }
        if found.len() >= MAX_REPORTED {
            found.truncate(MAX_REPORTED);
            break;
        }
    }
    found
}

fn check_member(path: &str, value: &Value, rule: Rule, found: &mut Vec<Violation>) {
    match (rule, value) {
        (Rule::TableName(_), Value::String(s)) if s.starts_with("arn:") => {}
        (Rule::Text(constraints) | Rule::TableName(constraints), Value::String(s)) => {
            report(
                path,
                || s.clone(),
                constraints,
                |c| text_satisfies(s, c),
                found,
            );
        }
        (Rule::Integer(constraints), Value::Number(n)) => {
            let Some(v) = n.as_i64() else { return };
            report(
                path,
                || v.to_string(),
                constraints,
                |c| value_ok(v, c),
                found,
            );
        }
        (Rule::List(constraints), Value::Array(items)) => {
            let len = items.len();
            report(
                path,
                || list_text(items),
                constraints,
                |c| length_ok(len, c),
                found,
            );
        }
        (Rule::Throughput, Value::Object(throughput)) => {
            for (member, name) in [
                ("WriteCapacityUnits", "writeCapacityUnits"),
                ("ReadCapacityUnits", "readCapacityUnits"),
            ] {
                let at = format!("{path}.{name}");
                match throughput.get(member) {
                    None | Some(Value::Null) => found.push(Violation {
                        value: None,
                        path: at,
                        constraint: Constraint::NotNull,
                    }),
                    Some(Value::Number(n)) => {
                        let Some(v) = n.as_i64() else { continue };
                        let min = [Constraint::MinValue(1)];
                        report(&at, || v.to_string(), &min, |c| value_ok(v, c), found);
                    }
                    Some(_) => {}
                }
            }
        }
        (Rule::Fields(fields), Value::Object(structure)) => {
            for (member, name) in fields {
                if matches!(structure.get(*member), None | Some(Value::Null)) {
                    found.push(Violation {
                        value: None,
                        path: format!("{path}.{name}"),
                        constraint: Constraint::NotNull,
                    });
                }
            }
        }
        (Rule::Conditions { operator_required }, Value::Object(conditions)) => {
            check_conditions(path, conditions, operator_required, found);
        }
        (Rule::Entries(constraints), Value::Object(_) | Value::Array(_)) => {
            let len = match value {
                Value::Object(m) => m.len(),
                Value::Array(items) => items.len(),
                _ => return,
            };
            // Quoted only when a constraint fails: a request's whole RequestItems is
            // never rendered for nothing.
            let text = || match value {
                Value::Array(items) => list_text(items),
                other => other.to_string(),
            };
            report(path, text, constraints, |c| length_ok(len, c), found);
        }
        // Another JSON type: the typed decoding's error stands.
        _ => {}
    }
}

/// Each condition's ComparisonOperator: one of DynamoDB's, and present if required.
fn check_conditions(
    path: &str,
    conditions: &Map<String, Value>,
    operator_required: bool,
    found: &mut Vec<Violation>,
) {
    for (name, condition) in conditions {
        // A body may hold any number of conditions; no more are looked at than reported.
        if found.len() >= MAX_REPORTED {
            return;
        }
        let Value::Object(condition) = condition else {
            continue;
        };
        let at = format!("{path}.{name}.member.comparisonOperator");
        match condition.get("ComparisonOperator") {
            None | Some(Value::Null) if operator_required => found.push(Violation {
                value: None,
                path: at,
                constraint: Constraint::NotNull,
            }),
            Some(Value::String(op)) if !COMPARISON_OPERATORS.contains(&op.as_str()) => {
                found.push(Violation {
                    value: Some(op.clone()),
                    path: at,
                    constraint: Constraint::EnumSet(COMPARISON_OPERATORS),
                });
            }
            _ => {}
        }
    }
}

/// Adds a violation at `path`, quoting the value `value` renders, for each of
/// `constraints` not `ok`, until [`MAX_REPORTED`] are found.
fn report(
    path: &str,
    value: impl Fn() -> String,
    constraints: &[Constraint],
    ok: impl Fn(Constraint) -> bool,
    found: &mut Vec<Violation>,
) {
    for &c in constraints {
        if found.len() >= MAX_REPORTED {
            return;
        }
        if !ok(c) {
            found.push(Violation {
                value: Some(value()),
                path: path.to_string(),
                constraint: c,
            });
        }
    }
}

fn value_ok(v: i64, c: Constraint) -> bool {
    match c {
        Constraint::MinValue(min) => v >= min,
        Constraint::MaxValue(max) => v <= max,
        _ => true,
    }
}

fn length_ok(len: usize, c: Constraint) -> bool {
    match c {
        Constraint::MinLength(n) => len >= n,
        Constraint::MaxLength(n) => len <= n,
        _ => true,
    }
}

fn text_satisfies(s: &str, c: Constraint) -> bool {
    match c {
        Constraint::EnumSet(set) => set.contains(&s),
        Constraint::Pattern(NAME_PATTERN) => {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        }
        _ => length_ok(s.chars().count(), c),
    }
}

/// A list as DynamoDB quotes it: `[a, b]`.
fn list_text(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPARISON_SET: &str = "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, \
                                  LE, BEGINS_WITH, GE, CONTAINS]";

    #[test]
    fn a_scan_breaking_eleven_constraints_reports_ten_as_dynamodb_recorded() {
        // dynalite's test/scan.js "should return ValidationException for incorrect
        // attributes", recorded against DynamoDB: ten messages, Limit's left out.
        let body = br#"{"TableName": "abc;", "ReturnConsumedCapacity": "hi",
            "AttributesToGet": [], "IndexName": "abc;", "Segment": -1, "TotalSegments": -1,
            "Select": "hi", "Limit": -1, "ScanFilter": {"a": {}, "b": {"ComparisonOperator": ""}},
            "ConditionalOperator": "AN", "ExpressionAttributeNames": {},
            "ExpressionAttributeValues": {}, "ProjectionExpression": ""}"#;
        let found = check(Operation::Scan, body);
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        let expected = [
            "Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]".to_string(),
            "Value 'abc;' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+".to_string(),
            "Value '-1' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1".to_string(),
            "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]".to_string(),
            "Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+".to_string(),
            "Value 'AN' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]".to_string(),
            "Value null at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null".to_string(),
            format!("Value '' at 'scanFilter.b.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: {COMPARISON_SET}"),
            "Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0".to_string(),
            "Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1".to_string(),
        ];
        assert_eq!(text, expected);
        assert!(
            message(&found).starts_with("10 validation errors detected: Value 'hi' at 'select'")
        );
    }

    #[test]
    fn a_query_reports_every_broken_constraint_dynamodb_recorded() {
        // dynalite's test/query.js, eight messages recorded against DynamoDB.
        let body = br#"{"TableName": "abc;", "ReturnConsumedCapacity": "hi",
            "AttributesToGet": [], "IndexName": "abc;", "Select": "hi", "Limit": -1,
            "KeyConditions": {"a": {}, "b": {"ComparisonOperator": ""}}}"#;
        let found = check(Operation::Query, body);
        let paths: Vec<&str> = found.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "select",
                "indexName",
                "returnConsumedCapacity",
                "tableName",
                "attributesToGet",
                "limit",
                "keyConditions.a.member.comparisonOperator",
                "keyConditions.b.member.comparisonOperator",
            ]
        );
        assert!(message(&found).starts_with("8 validation errors detected: "));
    }

    #[test]
    fn a_name_breaking_its_pattern_and_its_length_is_two_violations() {
        let found = check(Operation::Scan, br#"{"TableName": "a;"}"#);
        assert_eq!(
            message(&found),
            "2 validation errors detected: Value 'a;' at 'tableName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; \
             Value 'a;' at 'tableName' failed to satisfy constraint: Member must have length \
             greater than or equal to 3"
        );
    }

    #[test]
    fn item_operations_report_what_dynamodb_recorded_in_its_order() {
        let body = br#"{"TableName": "abc;", "ReturnConsumedCapacity": "hi",
            "ReturnItemCollectionMetrics": "hi", "ReturnValues": "hi"}"#;
        let paths = |op| -> Vec<String> { check(op, body).into_iter().map(|v| v.path).collect() };
        // dynalite's recordings: PutItem's and DeleteItem's five in order.
        assert_eq!(
            paths(Operation::PutItem),
            [
                "returnConsumedCapacity",
                "tableName",
                "item",
                "returnValues",
                "returnItemCollectionMetrics"
            ]
        );
        assert_eq!(
            paths(Operation::DeleteItem),
            [
                "returnConsumedCapacity",
                "tableName",
                "returnValues",
                "returnItemCollectionMetrics",
                "key"
            ]
        );
        assert_eq!(paths(Operation::UpdateItem).len(), 5);
        let get = check(
            Operation::GetItem,
            br#"{"TableName": "abc;", "ReturnConsumedCapacity": "hi", "AttributesToGet": []}"#,
        );
        let paths: Vec<&str> = get.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "returnConsumedCapacity",
                "attributesToGet",
                "tableName",
                "key"
            ]
        );
        let batch = check(
            Operation::BatchWriteItem,
            br#"{"ReturnConsumedCapacity": "hi", "ReturnItemCollectionMetrics": "hi"}"#,
        );
        assert_eq!(
            message(&batch),
            "3 validation errors detected: Value 'hi' at 'returnConsumedCapacity' failed to \
             satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; \
             Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member \
             must satisfy enum value set: [SIZE, NONE]; Value null at 'requestItems' failed to \
             satisfy constraint: Member must not be null"
        );
        let empty = check(Operation::BatchGetItem, br#"{"RequestItems": {}}"#);
        assert_eq!(
            message(&empty),
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy \
             constraint: Member must have length greater than or equal to 1"
        );
        // Expected's operator may be absent (Exists instead); a filter's may not.
        let expected = check(
            Operation::PutItem,
            br#"{"TableName": "abc", "Item": {}, "Expected": {"a": {"Exists": false}}}"#,
        );
        assert!(expected.is_empty(), "{expected:?}");
    }

    #[test]
    fn list_tables_reports_its_limit_then_the_start_names_pattern_and_length() {
        // dynalite's test/listTables.js "should return ValidationExceptions in order".
        let found = check(
            Operation::ListTables,
            br#"{"ExclusiveStartTableName": "a;", "Limit": 500}"#,
        );
        assert_eq!(
            message(&found),
            "3 validation errors detected: Value '500' at 'limit' failed to satisfy \
             constraint: Member must have value less than or equal to 100; Value 'a;' at \
             'exclusiveStartTableName' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a;' at \
             'exclusiveStartTableName' failed to satisfy constraint: Member must have length \
             greater than or equal to 3"
        );
        assert!(checked_before_the_call(Operation::ListTables));
        assert!(!checked_before_the_call(Operation::Scan));
    }

    #[test]
    fn create_table_reports_its_missing_members_and_throughput_together() {
        // dynalite's test/createTable.js, the later recording.
        let found = check(Operation::CreateTable, br#"{"TableName": "abc;"}"#);
        let paths: Vec<&str> = found.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["attributeDefinitions", "tableName", "keySchema"]);
        let found = check(
            Operation::CreateTable,
            br#"{"TableName": "abc", "AttributeDefinitions": [], "ProvisionedThroughput": {},
                 "BillingMode": "PAY_PER_REQUEST"}"#,
        );
        assert_eq!(
            message(&found),
            "3 validation errors detected: Value null at 'keySchema' failed to satisfy \
             constraint: Member must not be null; Value null at \
             'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member \
             must not be null; Value null at 'provisionedThroughput.readCapacityUnits' failed \
             to satisfy constraint: Member must not be null"
        );
        // Both units below 1: writes first (ack-api-quirks DDB-TABLE-058).
        let found = check(
            Operation::UpdateTable,
            br#"{"TableName": "abc",
                 "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": -1}}"#,
        );
        let paths: Vec<&str> = found.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "provisionedThroughput.writeCapacityUnits",
                "provisionedThroughput.readCapacityUnits"
            ]
        );
        // A mis-sized or missing name is answered alone, by the table operation.
        assert!(check(Operation::CreateTable, br#"{"TableName": "a;"}"#).is_empty());
        assert!(check(Operation::CreateTable, br#"{"KeySchema": []}"#).is_empty());
    }

    #[test]
    fn update_time_to_live_reports_both_missing_members_of_its_specification() {
        // dynalite's test/updateTimeToLive.js, recorded against DynamoDB.
        let found = check(
            Operation::UpdateTimeToLive,
            br#"{"TableName": "abc", "TimeToLiveSpecification": {}}"#,
        );
        let paths: Vec<&str> = found.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "timeToLiveSpecification.enabled",
                "timeToLiveSpecification.attributeName"
            ]
        );
        assert!(table_operation(Operation::DescribeTimeToLive));
        assert!(!table_operation(Operation::GetItem));
    }

    #[test]
    fn a_body_of_many_bad_conditions_stops_at_ten() {
        let conditions: serde_json::Map<String, Value> = (0..100_000)
            .map(|i| (format!("a{i}"), serde_json::json!({})))
            .collect();
        let body = serde_json::json!({"TableName": "abc", "ScanFilter": conditions});
        let found = check(Operation::Scan, body.to_string().as_bytes());
        assert_eq!(found.len(), MAX_REPORTED);
    }

    #[test]
    fn a_missing_table_name_is_reported_with_the_rest() {
        let found = check(Operation::Query, br#"{"Limit": 0}"#);
        assert_eq!(
            message(&found),
            "2 validation errors detected: Value null at 'tableName' failed to satisfy \
             constraint: Member must not be null; Value '0' at 'limit' failed to satisfy \
             constraint: Member must have value greater than or equal to 1"
        );
    }

    #[test]
    fn valid_requests_other_types_and_other_operations_report_nothing() {
        assert!(check(Operation::Scan, br#"{"TableName": "abc", "Limit": 5}"#).is_empty());
        // A wrong JSON type is the decoder's SerializationException, not a constraint.
        assert!(check(Operation::Scan, br#"{"TableName": "abc", "Limit": "5"}"#).is_empty());
        assert!(check(Operation::DescribeLimits, br#"{"Limit": 0}"#).is_empty());
        let arn = br#"{"TableName": "arn:aws:dynamodb:us-east-1:000000000000:table/Users"}"#;
        assert!(
            check(Operation::Scan, arn).is_empty(),
            "a table ARN is not a name"
        );
        assert!(check(Operation::Scan, b"[1, 2]").is_empty());
        assert!(check(Operation::Scan, b"not json").is_empty());
    }
}
