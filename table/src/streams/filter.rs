//! Event filter patterns for in-process stream triggers: which stream records a trigger
//! sees, written as AWS Lambda's `FilterCriteria` patterns (the Amazon EventBridge
//! pattern syntax), so a filter that works on a Lambda event source mapping works here
//! unchanged.
//!
//! A record is the wire form of a DynamoDB stream record as a [`serde_json::Value`]
//! (`{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"a"}},"NewImage":{..}}}`); a
//! pattern names fields of it, through the attribute-value type keys:
//!
//! ```text
//! {"eventName": ["INSERT"],
//!  "dynamodb": {"NewImage": {"Qty": {"N": [{"numeric": [">", 10]}]}}}}
//! ```
//!
//! **Semantics** (EventBridge's):
//! - A pattern is a JSON object. Each key names a field; its value is either an object
//!   (descend into the field) or a non-empty array of matchers. Every key must match
//!   (AND); fields the pattern does not name are ignored.
//! - A field matches an array of matchers when any matcher matches (OR). When the record's
//!   field is an array, it matches when any element does (nested arrays are flattened).
//!   A nested pattern object under an array of objects must match within one element.
//! - Matchers see *leaf* values only (strings, numbers, booleans, null), as EventBridge's
//!   do: a field holding an object is not a leaf, so `{"exists": true}` does not match it
//!   (name the type key instead: `"Note": {"S": [{"exists": true}]}`).
//!
//! **Matchers supported:**
//! - literals: a string (exact, case-sensitive), a number (equal in value to a JSON
//!   number, never to a string), `true`/`false`, `null` (the field is present and null),
//!   `""` (the empty string; not null). Lambda documents numbers as matching on their
//!   text (`300` is not `300.0`); here a numeric literal matches any JSON number of equal
//!   value, a deliberate simplification that only ever matches more. DynamoDB numbers are strings on the wire
//!   (`{"N": "12"}`), so equality on an `N` value is written as a string, `"N": ["12"]`, as
//!   in Lambda's own example; ranges use `numeric`.
//! - `{"prefix": "us-"}` and `{"suffix": ".png"}`: strings only.
//! - `{"anything-but": "x"}`, `{"anything-but": ["x", 5]}`, `{"anything-but": {"prefix":
//!   "x"}}` and `{"anything-but": {"suffix": "x"}}`: a present leaf the inner matcher does
//!   not match (an absent field never matches).
//! - `{"numeric": ["=", 100]}`, `{"numeric": [">", 10, "<=", 20]}`: one comparison (`=`,
//!   `<`, `<=`, `>`, `>=`) or a range of one lower (`>`, `>=`) and one upper (`<`, `<=`)
//!   bound. It applies to JSON numbers and to strings that are decimal numbers, so it
//!   compares DynamoDB's `{"N": "12"}` by value, as Lambda does. Values compare as `f64`:
//!   DynamoDB numbers beyond 15 significant digits compare approximately.
//! - `{"exists": true}` / `{"exists": false}`: whether the field has a leaf value;
//!   `false` matches an absent field.
//!
//! **Limits.** Pattern text of at most [`MAX_PATTERN_BYTES`] bytes (Lambda's limit) and
//! fields nested at most [`MAX_DEPTH`] objects deep; both are checked before any
//! recursion, and matching walks record arrays without recursion, so neither parsing nor
//! matching can exhaust the stack. A key given twice in one object keeps its last value.
//!
//! **Everything else is refused when the pattern is parsed**, with a typed
//! [`FilterError`] naming where: `equals-ignore-case`, `wildcard`, `cidr`, `$or`, numeric
//! operators other than the five above, an empty object or array, and any other operator
//! object are [`FilterError::UnsupportedOperator`] or another variant, never ignored, so a
//! filter never quietly matches more (or less) than it says.

use serde_json::{Map, Number, Value};

/// The longest pattern text accepted, in bytes: Lambda's limit for one filter pattern.
pub const MAX_PATTERN_BYTES: usize = 4096;

/// How many pattern objects may nest (the root object is level 1).
pub const MAX_DEPTH: usize = 16;

/// JSON nesting a valid pattern can reach: its objects, then a matcher array, an
/// operator object and an operand (an array, or `anything-but`'s inner object).
/// Text nested deeper is refused before it is parsed.
const MAX_JSON_NESTING: usize = MAX_DEPTH + 3;

/// A parsed filter pattern: what a record must hold for a trigger to see it.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterPattern {
    /// The top-level pattern object.
    root: Node,
}

/// Why a pattern was refused. Variants about one place in the pattern name it as a path
/// (`$` is the root, then `.field` per level) so the caller can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The text is longer than Lambda accepts.
    #[error("filter pattern is longer than {max_bytes} bytes")]
    TooLarge {
        /// The limit, [`MAX_PATTERN_BYTES`].
        max_bytes: usize,
    },
    /// Pattern objects nest deeper than the limit.
    #[error("filter pattern nests deeper than {max} levels")]
    TooDeep {
        /// The limit, [`MAX_DEPTH`].
        max: usize,
    },
    /// The text does not parse as JSON.
    #[error("filter pattern is not valid JSON: {detail}")]
    NotJson {
        /// The JSON parser's message.
        detail: String,
    },
    /// The pattern is not a JSON object.
    #[error("filter pattern at {path} must be a JSON object")]
    NotAnObject {
        /// Where.
        path: String,
    },
    /// A pattern object names no field.
    #[error("empty object at {path}: a filter pattern object must name at least one field")]
    EmptyObject {
        /// Where.
        path: String,
    },
    /// A field's pattern is neither an object nor an array of matchers.
    #[error("value at {path} must be an object or a non-empty array of matchers")]
    ExpectedMatchers {
        /// Where.
        path: String,
    },
    /// An empty array of matchers (or of `anything-but` values).
    #[error("empty array at {path}: a list of values must hold at least one")]
    EmptyValueList {
        /// Where.
        path: String,
    },
    /// A matcher that is a nested array, or an object without exactly one operator.
    #[error(
        "matcher at {path} must be a string, number, boolean, null or an object with exactly one operator"
    )]
    BadMatcher {
        /// Where.
        path: String,
    },
    /// An operator this engine does not implement (`equals-ignore-case`, `wildcard`,
    /// `cidr`, `$or`, ...). Nested ones are named `outer/inner`, as
    /// `anything-but/equals-ignore-case`.
    #[error("unsupported filter operator {operator:?} at {path}")]
    UnsupportedOperator {
        /// Where.
        path: String,
        /// The operator.
        operator: String,
    },
    /// A supported operator with an operand it does not take.
    #[error("operand of {operator:?} at {path} must be {expected}")]
    BadOperand {
        /// Where.
        path: String,
        /// The operator.
        operator: String,
        /// What it takes.
        expected: &'static str,
    },
}

impl FilterPattern {
    /// Parses a pattern from its JSON text (as Lambda's `FilterCriteria.Filters[].Pattern`).
    /// The size and nesting limits are checked on the text first, so no input is parsed
    /// or walked deeper than the limits allow.
    pub fn parse(text: &str) -> Result<FilterPattern, FilterError> {
        if text.len() > MAX_PATTERN_BYTES {
            return Err(FilterError::TooLarge {
                max_bytes: MAX_PATTERN_BYTES,
            });
        }
        if json_nesting(text) > MAX_JSON_NESTING {
            return Err(FilterError::TooDeep { max: MAX_DEPTH });
        }
        let value: Value = serde_json::from_str(text).map_err(|e| FilterError::NotJson {
            detail: e.to_string(),
        })?;
        match &value {
            Value::Object(map) => Ok(FilterPattern {
                root: parse_object(map, "$", 1)?,
            }),
            _ => Err(FilterError::NotAnObject {
                path: "$".to_owned(),
            }),
        }
    }

    /// Whether `record` matches. A record that is not an object matches only patterns
    /// that ask for fields to be absent (EventBridge treats it as having no fields).
    pub fn matches(&self, record: &serde_json::Value) -> bool {
        nested_matches(&self.root, Some(record))
    }
}

/// Lambda's OR over filters: a record passes when any filter matches it, and no filters
/// at all match everything (a trigger without `FilterCriteria` sees every record).
pub fn matches_any(filters: &[FilterPattern], record: &serde_json::Value) -> bool {
    filters.is_empty() || filters.iter().any(|f| f.matches(record))
}

// ---------------------------------------------------------------------------------
// The parsed form.

/// One pattern object: the fields it names, each with its pattern.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    fields: Vec<(String, Field)>,
}

/// What one named field must hold.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    /// An object the field's value must match (descend).
    Nested(Node),
    /// Matchers, any of which must match a leaf of the field.
    Matchers(Vec<Matcher>),
}

/// One matcher of a field's list.
#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    /// A literal value, compared exactly.
    Equals(Literal),
    /// A string starting with this.
    Prefix(String),
    /// A string ending with this.
    Suffix(String),
    /// A present leaf the inner matcher does not match.
    AnythingBut(Excluded),
    /// A number (or numeric string) in a range.
    Numeric(Range),
    /// Whether the field has a leaf value.
    Exists(bool),
}

/// What `anything-but` excludes.
#[derive(Debug, Clone, PartialEq)]
enum Excluded {
    /// Any of these values.
    Values(Vec<Literal>),
    /// Strings with this prefix.
    Prefix(String),
    /// Strings with this suffix.
    Suffix(String),
}

/// A scalar a pattern compares with.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Num(Number),
    Bool(bool),
    Null,
}

/// A numeric range, either end open.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Range {
    lower: Option<Bound>,
    upper: Option<Bound>,
}

/// One end of a [`Range`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    value: f64,
    inclusive: bool,
}

// ---------------------------------------------------------------------------------
// Parsing.

/// The deepest nesting of objects and arrays in `text`, brackets inside strings not
/// counted. Run before parsing so overly deep text is [`FilterError::TooDeep`] rather
/// than the JSON parser's recursion error; malformed text is left for the parser.
fn json_nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A pattern object at `path`, `depth` objects deep.
fn parse_object(map: &Map<String, Value>, path: &str, depth: usize) -> Result<Node, FilterError> {
    if depth > MAX_DEPTH {
        return Err(FilterError::TooDeep { max: MAX_DEPTH });
    }
    if map.is_empty() {
        return Err(FilterError::EmptyObject {
            path: path.to_owned(),
        });
    }
    let mut fields = Vec::with_capacity(map.len());
    for (key, value) in map {
        let child = format!("{path}.{key}");
        if key == "$or" {
            return Err(unsupported(path, "$or"));
        }
        let field = match value {
            Value::Object(inner) => Field::Nested(parse_object(inner, &child, depth + 1)?),
            Value::Array(items) => Field::Matchers(parse_matchers(items, &child)?),
            _ => return Err(FilterError::ExpectedMatchers { path: child }),
        };
        fields.push((key.clone(), field));
    }
    Ok(Node { fields })
}

/// A field's non-empty list of matchers.
fn parse_matchers(items: &[Value], path: &str) -> Result<Vec<Matcher>, FilterError> {
    if items.is_empty() {
        return Err(FilterError::EmptyValueList {
            path: path.to_owned(),
        });
    }
    items.iter().map(|item| parse_matcher(item, path)).collect()
}

/// One element of a matcher list: a literal or an operator object.
fn parse_matcher(item: &Value, path: &str) -> Result<Matcher, FilterError> {
    if let Some(literal) = literal(item) {
        return Ok(Matcher::Equals(literal));
    }
    let Value::Object(map) = item else {
        return Err(bad_matcher(path));
    };
    let Some((operator, operand)) = single_entry(map) else {
        return Err(bad_matcher(path));
    };
    match operator {
        "prefix" => Ok(Matcher::Prefix(string_operand(operator, operand, path)?)),
        "suffix" => Ok(Matcher::Suffix(string_operand(operator, operand, path)?)),
        "anything-but" => Ok(Matcher::AnythingBut(parse_excluded(operand, path)?)),
        "numeric" => Ok(Matcher::Numeric(parse_range(operand, path)?)),
        "exists" => match operand {
            Value::Bool(b) => Ok(Matcher::Exists(*b)),
            _ => Err(bad_operand(path, operator, "true or false")),
        },
        other => Err(unsupported(path, other)),
    }
}

/// A scalar JSON value as a literal; `None` for arrays and objects.
fn literal(value: &Value) -> Option<Literal> {
    match value {
        Value::String(s) => Some(Literal::Str(s.clone())),
        Value::Number(n) => Some(Literal::Num(n.clone())),
        Value::Bool(b) => Some(Literal::Bool(*b)),
        Value::Null => Some(Literal::Null),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// The only entry of an operator object; `None` when it has none or several.
fn single_entry(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    let mut entries = map.iter();
    match (entries.next(), entries.next()) {
        (Some((key, value)), None) => Some((key.as_str(), value)),
        _ => None,
    }
}

/// The string operand of `prefix` or `suffix`. An operator object in its place (as
/// EventBridge's `{"prefix": {"equals-ignore-case": ..}}`) is named as unsupported.
fn string_operand(operator: &str, operand: &Value, path: &str) -> Result<String, FilterError> {
    match operand {
        Value::String(s) => Ok(s.clone()),
        Value::Object(map) => match single_entry(map) {
            Some((inner, _)) => Err(unsupported(path, &format!("{operator}/{inner}"))),
            None => Err(bad_operand(path, operator, "a string")),
        },
        _ => Err(bad_operand(path, operator, "a string")),
    }
}

/// `anything-but`'s operand: a string or number, a non-empty list of them, or a
/// `prefix` / `suffix` object.
fn parse_excluded(operand: &Value, path: &str) -> Result<Excluded, FilterError> {
    match operand {
        Value::Array(items) if items.is_empty() => Err(FilterError::EmptyValueList {
            path: path.to_owned(),
        }),
        Value::Array(items) => items
            .iter()
            .map(|item| excluded_value(item, path))
            .collect::<Result<Vec<_>, _>>()
            .map(Excluded::Values),
        Value::Object(map) => match single_entry(map) {
            Some(("prefix", inner)) => {
                string_operand("anything-but/prefix", inner, path).map(Excluded::Prefix)
            }
            Some(("suffix", inner)) => {
                string_operand("anything-but/suffix", inner, path).map(Excluded::Suffix)
            }
            Some((other, _)) => Err(unsupported(path, &format!("anything-but/{other}"))),
            None => Err(bad_operand(path, "anything-but", EXCLUDED_EXPECTED)),
        },
        _ => excluded_value(operand, path).map(|value| Excluded::Values(vec![value])),
    }
}

/// What `anything-but` takes, for [`FilterError::BadOperand`].
const EXCLUDED_EXPECTED: &str =
    "a string, a number, a non-empty list of them, or a prefix or suffix object";

/// One value `anything-but` excludes: EventBridge takes strings and numbers only.
fn excluded_value(item: &Value, path: &str) -> Result<Literal, FilterError> {
    match item {
        Value::String(s) => Ok(Literal::Str(s.clone())),
        Value::Number(n) => Ok(Literal::Num(n.clone())),
        _ => Err(bad_operand(path, "anything-but", EXCLUDED_EXPECTED)),
    }
}

/// `numeric`'s operand: `[op, n]` or `[lower op, n, upper op, n]` (either order).
fn parse_range(operand: &Value, path: &str) -> Result<Range, FilterError> {
    const EXPECTED: &str =
        "[op, number] with op one of =, <, <=, >, >=, or a range [>|>=, number, <|<=, number]";
    let bad = || bad_operand(path, "numeric", EXPECTED);
    let Value::Array(items) = operand else {
        return Err(bad());
    };
    let mut range = Range {
        lower: None,
        upper: None,
    };
    if items.len() != 2 && items.len() != 4 {
        return Err(bad());
    }
    for pair in items.chunks(2) {
        let (Some(Value::String(op)), Some(Value::Number(n))) = (pair.first(), pair.get(1)) else {
            return Err(bad());
        };
        let value = n.as_f64().filter(|v| v.is_finite()).ok_or_else(bad)?;
        let (is_lower, inclusive) = match op.as_str() {
            "=" if items.len() == 2 => {
                let bound = Some(Bound {
                    value,
                    inclusive: true,
                });
                return Ok(Range {
                    lower: bound,
                    upper: bound,
                });
            }
            ">" => (true, false),
            ">=" => (true, true),
            "<" => (false, false),
            "<=" => (false, true),
            _ => return Err(bad()),
        };
        let slot = if is_lower {
            &mut range.lower
        } else {
            &mut range.upper
        };
        if slot.is_some() {
            return Err(bad());
        }
        *slot = Some(Bound { value, inclusive });
    }
    if let (Some(lo), Some(hi)) = (range.lower, range.upper) {
        if lo.value > hi.value {
            return Err(bad_operand(
                path,
                "numeric",
                "a range whose lower bound is not above its upper bound",
            ));
        }
    }
    Ok(range)
}

fn unsupported(path: &str, operator: &str) -> FilterError {
    FilterError::UnsupportedOperator {
        path: path.to_owned(),
        operator: operator.to_owned(),
    }
}

fn bad_operand(path: &str, operator: &str, expected: &'static str) -> FilterError {
    FilterError::BadOperand {
        path: path.to_owned(),
        operator: operator.to_owned(),
        expected,
    }
}

fn bad_matcher(path: &str) -> FilterError {
    FilterError::BadMatcher {
        path: path.to_owned(),
    }
}

// ---------------------------------------------------------------------------------
// Matching. Recursion follows the pattern (at most MAX_DEPTH objects); the record's
// arrays are walked with an explicit stack, so a deep record cannot exhaust the stack.

/// Whether `node` matches `value`: an object, or an array holding objects (any one
/// matching). With no object there (absent, a scalar), the node is matched against
/// "no fields", which only patterns asking for absence pass.
fn nested_matches(node: &Node, value: Option<&Value>) -> bool {
    let mut saw_object = false;
    let found = any_item(value, |item| match item {
        Value::Object(map) => {
            saw_object = true;
            object_matches(node, Some(map))
        }
        _ => false,
    });
    found || (!saw_object && object_matches(node, None))
}

/// Every field of `node` matches in `record` (AND).
fn object_matches(node: &Node, record: Option<&Map<String, Value>>) -> bool {
    node.fields.iter().all(|(key, field)| {
        let value = record.and_then(|map| map.get(key));
        match field {
            Field::Nested(inner) => nested_matches(inner, value),
            Field::Matchers(matchers) => matchers.iter().any(|m| m.matches_field(value)),
        }
    })
}

/// Whether `pred` holds for any non-array item of `value`, arrays flattened at any
/// depth, without recursion.
fn any_item(value: Option<&Value>, mut pred: impl FnMut(&Value) -> bool) -> bool {
    let mut stack: Vec<&Value> = value.into_iter().collect();
    while let Some(item) = stack.pop() {
        match item {
            Value::Array(items) => stack.extend(items.iter().rev()),
            _ if pred(item) => return true,
            _ => {}
        }
    }
    false
}

/// Whether `pred` holds for any leaf (scalar) of `value`; objects are not leaves.
fn any_leaf(value: Option<&Value>, mut pred: impl FnMut(&Value) -> bool) -> bool {
    any_item(value, |item| !item.is_object() && pred(item))
}

impl Matcher {
    /// Whether this matcher matches the field holding `value` (`None`: absent).
    fn matches_field(&self, value: Option<&Value>) -> bool {
        match self {
            Matcher::Exists(wanted) => any_leaf(value, |_| true) == *wanted,
            _ => any_leaf(value, |leaf| self.matches_leaf(leaf)),
        }
    }

    /// Whether this matcher matches one leaf value.
    fn matches_leaf(&self, leaf: &Value) -> bool {
        match self {
            Matcher::Equals(literal) => literal.equals(leaf),
            Matcher::Prefix(p) => leaf.as_str().is_some_and(|s| s.starts_with(p.as_str())),
            Matcher::Suffix(p) => leaf.as_str().is_some_and(|s| s.ends_with(p.as_str())),
            Matcher::AnythingBut(excluded) => !excluded.matches_leaf(leaf),
            Matcher::Numeric(range) => numeric_value(leaf).is_some_and(|n| range.contains(n)),
            // Existence is a property of the field, decided in `matches_field`.
            Matcher::Exists(_) => true,
        }
    }
}

impl Excluded {
    /// Whether `leaf` is one of the excluded values.
    fn matches_leaf(&self, leaf: &Value) -> bool {
        match self {
            Excluded::Values(values) => values.iter().any(|v| v.equals(leaf)),
            Excluded::Prefix(p) => leaf.as_str().is_some_and(|s| s.starts_with(p.as_str())),
            Excluded::Suffix(p) => leaf.as_str().is_some_and(|s| s.ends_with(p.as_str())),
        }
    }
}

impl Literal {
    /// Exact equality, types never crossing (the string `"12"` is not the number 12);
    /// numbers are equal by value, so `100` equals `100.0`.
    fn equals(&self, leaf: &Value) -> bool {
        match (self, leaf) {
            (Literal::Str(a), Value::String(b)) => a == b,
            (Literal::Num(a), Value::Number(b)) => numbers_equal(a, b),
            (Literal::Bool(a), Value::Bool(b)) => a == b,
            (Literal::Null, Value::Null) => true,
            _ => false,
        }
    }
}

/// Numbers equal in value: exactly as integers when both are, else as `f64`.
fn numbers_equal(a: &Number, b: &Number) -> bool {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x == y;
    }
    matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
}

impl Range {
    /// Whether `n` lies within both bounds.
    fn contains(&self, n: f64) -> bool {
        let above = self.lower.is_none_or(|b| {
            if b.inclusive {
                n >= b.value
            } else {
                n > b.value
            }
        });
        let below = self.upper.is_none_or(|b| {
            if b.inclusive {
                n <= b.value
            } else {
                n < b.value
            }
        });
        above && below
    }
}

/// A leaf's numeric value: a JSON number, or a string that is a decimal number (how
/// DynamoDB writes `N` values). `inf`, `NaN` and other non-decimal text are not numbers.
fn numeric_value(leaf: &Value) -> Option<f64> {
    match leaf {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if is_decimal(s) => s.parse::<f64>().ok(),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

/// Whether `s` is `[+-]digits[.digits][(e|E)[+-]digits]` with at least one mantissa
/// digit (a leading or trailing `.` allowed): the syntax DynamoDB accepts for numbers.
fn is_decimal(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pattern(text: &str) -> FilterPattern {
        FilterPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn matches(text: &str, record: Value) -> bool {
        pattern(text).matches(&record)
    }

    fn parse_err(text: &str) -> FilterError {
        FilterPattern::parse(text).expect_err(text)
    }

    /// A DynamoDB stream record as GetRecords returns it.
    fn ddb_record(event: &str, customer: &str, qty: &str, note: Option<&str>) -> Value {
        let mut new_image = json!({
            "CustomerName": {"S": customer},
            "Qty": {"N": qty},
        });
        if let (Some(note), Some(map)) = (note, new_image.as_object_mut()) {
            map.insert("Note".to_owned(), json!({"S": note}));
        }
        json!({
            "eventID": "c4ca4238a0b923820dcc509a6f75849b",
            "eventName": event,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1_700_000_000,
                "Keys": {"CustomerName": {"S": customer}},
                "NewImage": new_image,
                "SequenceNumber": "000000000000000000001",
                "SizeBytes": 26,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
        })
    }

    // --- literals -------------------------------------------------------------

    #[test]
    fn string_literal_is_exact_and_case_sensitive() {
        assert!(matches(
            r#"{"eventName":["INSERT"]}"#,
            json!({"eventName": "INSERT"})
        ));
        assert!(!matches(
            r#"{"eventName":["INSERT"]}"#,
            json!({"eventName": "insert"})
        ));
        assert!(!matches(
            r#"{"eventName":["INSERT"]}"#,
            json!({"eventName": "MODIFY"})
        ));
        assert!(!matches(
            r#"{"eventName":["INSERT"]}"#,
            json!({"other": "INSERT"})
        ));
    }

    #[test]
    fn number_literal_matches_numbers_by_value_not_strings() {
        assert!(matches(r#"{"n":[100]}"#, json!({"n": 100})));
        assert!(matches(r#"{"n":[100]}"#, json!({"n": 100.0})));
        assert!(matches(r#"{"n":[-3]}"#, json!({"n": -3})));
        assert!(!matches(r#"{"n":[100]}"#, json!({"n": 101})));
        assert!(!matches(r#"{"n":[100]}"#, json!({"n": "100"})));
        assert!(!matches(r#"{"n":["100"]}"#, json!({"n": 100})));
    }

    #[test]
    fn bool_literal() {
        assert!(matches(
            r#"{"b":{"BOOL":[true]}}"#,
            json!({"b": {"BOOL": true}})
        ));
        assert!(!matches(
            r#"{"b":{"BOOL":[true]}}"#,
            json!({"b": {"BOOL": false}})
        ));
        assert!(!matches(
            r#"{"b":{"BOOL":[true]}}"#,
            json!({"b": {"BOOL": "true"}})
        ));
    }

    #[test]
    fn null_matches_present_null_only() {
        let p = r#"{"UserID":[null]}"#;
        assert!(matches(p, json!({"UserID": null})));
        assert!(!matches(p, json!({})));
        assert!(!matches(p, json!({"UserID": ""})));
        assert!(!matches(p, json!({"UserID": "u1"})));
    }

    #[test]
    fn empty_string_matches_empty_string_only() {
        let p = r#"{"LastName":[""]}"#;
        assert!(matches(p, json!({"LastName": ""})));
        assert!(!matches(p, json!({"LastName": null})));
        assert!(!matches(p, json!({"LastName": "Doe"})));
        assert!(!matches(p, json!({})));
    }

    // --- operators -----------------------------------------------------------

    #[test]
    fn prefix() {
        let p = r#"{"Region":[{"prefix":"us-"}]}"#;
        assert!(matches(p, json!({"Region": "us-east-1"})));
        assert!(matches(p, json!({"Region": "us-"})));
        assert!(!matches(p, json!({"Region": "eu-west-1"})));
        assert!(!matches(p, json!({"Region": "US-east-1"})));
        assert!(!matches(p, json!({"Region": 5})));
        assert!(!matches(p, json!({})));
    }

    #[test]
    fn suffix() {
        let p = r#"{"File":[{"suffix":".png"}]}"#;
        assert!(matches(p, json!({"File": "a.png"})));
        assert!(!matches(p, json!({"File": "a.jpg"})));
        assert!(!matches(p, json!({"File": null})));
    }

    #[test]
    fn anything_but_list() {
        let p = r#"{"Weather":[{"anything-but":["Raining","Snowing"]}]}"#;
        assert!(matches(p, json!({"Weather": "Sunny"})));
        assert!(!matches(p, json!({"Weather": "Raining"})));
        assert!(!matches(p, json!({"Weather": "Snowing"})));
        assert!(
            !matches(p, json!({})),
            "an absent field never matches anything-but"
        );
    }

    #[test]
    fn anything_but_scalar_and_number() {
        assert!(matches(
            r#"{"e":[{"anything-but":"REMOVE"}]}"#,
            json!({"e": "INSERT"})
        ));
        assert!(!matches(
            r#"{"e":[{"anything-but":"REMOVE"}]}"#,
            json!({"e": "REMOVE"})
        ));
        assert!(matches(
            r#"{"n":[{"anything-but":[100, 200]}]}"#,
            json!({"n": 150})
        ));
        assert!(!matches(
            r#"{"n":[{"anything-but":[100, 200]}]}"#,
            json!({"n": 200.0})
        ));
        assert!(!matches(
            r#"{"n":[{"anything-but":100}]}"#,
            json!({"n": 100})
        ));
    }

    #[test]
    fn anything_but_prefix_and_suffix() {
        let p = r#"{"s":[{"anything-but":{"prefix":"init"}}]}"#;
        assert!(matches(p, json!({"s": "running"})));
        assert!(!matches(p, json!({"s": "initializing"})));
        let p = r#"{"s":[{"anything-but":{"suffix":".tmp"}}]}"#;
        assert!(matches(p, json!({"s": "a.txt"})));
        assert!(!matches(p, json!({"s": "a.tmp"})));
    }

    #[test]
    fn numeric_each_operator() {
        let cases = [
            ("=", 10, [(10.0, true), (10.5, false), (9.0, false)]),
            ("<", 10, [(9.0, true), (10.0, false), (11.0, false)]),
            ("<=", 10, [(9.0, true), (10.0, true), (11.0, false)]),
            (">", 10, [(11.0, true), (10.0, false), (9.0, false)]),
            (">=", 10, [(11.0, true), (10.0, true), (9.0, false)]),
        ];
        for (op, bound, probes) in cases {
            let p = pattern(&format!(r#"{{"x":[{{"numeric":["{op}",{bound}]}}]}}"#));
            for (value, expected) in probes {
                assert_eq!(
                    p.matches(&json!({"x": value})),
                    expected,
                    "{op} {bound} vs {value}"
                );
                let text = value.to_string();
                assert_eq!(
                    p.matches(&json!({"x": text})),
                    expected,
                    "{op} {bound} vs \"{value}\""
                );
            }
        }
    }

    #[test]
    fn numeric_range() {
        let p = pattern(r#"{"Price":[{"numeric":[">",10,"<=",20]}]}"#);
        assert!(!p.matches(&json!({"Price": 10})));
        assert!(p.matches(&json!({"Price": 10.01})));
        assert!(p.matches(&json!({"Price": 20})));
        assert!(!p.matches(&json!({"Price": 20.5})));
        let reversed = pattern(r#"{"Price":[{"numeric":["<=",20,">",10]}]}"#);
        assert!(reversed.matches(&json!({"Price": 15})));
        assert!(!reversed.matches(&json!({"Price": 5})));
    }

    #[test]
    fn numeric_ignores_non_numbers() {
        let p = pattern(r#"{"x":[{"numeric":[">",0]}]}"#);
        for value in [
            json!("abc"),
            json!("inf"),
            json!("NaN"),
            json!("1e999"),
            json!(""),
            json!("1.2.3"),
            json!("e5"),
            json!("."),
            json!(true),
            json!(null),
            json!({"N": "5"}),
        ] {
            assert!(!p.matches(&json!({"x": value})), "{value}");
        }
        for value in [
            json!("1e3"),
            json!("+5"),
            json!("1.5E-2"),
            json!(".5"),
            json!("5."),
        ] {
            assert!(p.matches(&json!({"x": value})), "{value}");
        }
        assert!(!p.matches(&json!({})));
    }

    #[test]
    fn dynamodb_number_through_type_key() {
        let p = pattern(r#"{"dynamodb":{"NewImage":{"Qty":{"N":[{"numeric":[">",10]}]}}}}"#);
        assert!(p.matches(&json!({"dynamodb": {"NewImage": {"Qty": {"N": "12"}}}})));
        assert!(!p.matches(&json!({"dynamodb": {"NewImage": {"Qty": {"N": "9"}}}})));
        assert!(!p.matches(&json!({"dynamodb": {"NewImage": {"Qty": {"S": "12"}}}})));
        assert!(!p.matches(&json!({"dynamodb": {"Keys": {}}})));
    }

    #[test]
    fn research_notes_example() {
        let p = pattern(
            r#"{"eventName":["INSERT"],
                "dynamodb":{"Keys":{"CustomerName":{"S":["AnyCompany Industries"]}},
                            "NewImage":{"Qty":{"N":[{"numeric":[">",10]}]},"Note":{"S":[{"exists":true}]}}}}"#,
        );
        let co = "AnyCompany Industries";
        assert!(p.matches(&ddb_record("INSERT", co, "12", Some("rush"))));
        assert!(!p.matches(&ddb_record("MODIFY", co, "12", Some("rush"))));
        assert!(!p.matches(&ddb_record("INSERT", "Other Co", "12", Some("rush"))));
        assert!(!p.matches(&ddb_record("INSERT", co, "10", Some("rush"))));
        assert!(!p.matches(&ddb_record("INSERT", co, "12", None)));
    }

    #[test]
    fn exists_true_and_false() {
        let yes = pattern(r#"{"ProductName":[{"exists":true}]}"#);
        let no = pattern(r#"{"ProductName":[{"exists":false}]}"#);
        for (record, present) in [
            (json!({"ProductName": "x"}), true),
            (json!({"ProductName": ""}), true),
            (json!({"ProductName": null}), true),
            (json!({"ProductName": 0}), true),
            (json!({"ProductName": ["x"]}), true),
            (json!({"Other": "x"}), false),
            (json!({}), false),
            (json!({"ProductName": []}), false),
            // Leaf-only, as EventBridge: an object is not a value of the field.
            (json!({"ProductName": {"S": "x"}}), false),
        ] {
            assert_eq!(yes.matches(&record), present, "{record}");
            assert_eq!(no.matches(&record), !present, "{record}");
        }
    }

    #[test]
    fn exists_false_nested_under_absent_parent() {
        let p = pattern(r#"{"dynamodb":{"OldImage":{"Qty":{"N":[{"exists":false}]}}}}"#);
        assert!(p.matches(&json!({"dynamodb": {"NewImage": {}}})));
        assert!(p.matches(&json!({"eventName": "INSERT"})));
        assert!(!p.matches(&json!({"dynamodb": {"OldImage": {"Qty": {"N": "1"}}}})));
    }

    // --- arrays, AND, OR -----------------------------------------------------

    #[test]
    fn record_arrays_match_on_any_element() {
        let p = pattern(r#"{"tags":["red"]}"#);
        assert!(p.matches(&json!({"tags": ["blue", "red"]})));
        assert!(p.matches(&json!({"tags": [["blue"], [["red"]]]})));
        assert!(!p.matches(&json!({"tags": ["blue", "green"]})));
        assert!(!p.matches(&json!({"tags": []})));
        let ss = pattern(r#"{"Colors":{"SS":[{"prefix":"gr"}]}}"#);
        assert!(ss.matches(&json!({"Colors": {"SS": ["blue", "green"]}})));
        let but = pattern(r#"{"tags":[{"anything-but":"red"}]}"#);
        assert!(but.matches(&json!({"tags": ["red", "blue"]})));
        assert!(!but.matches(&json!({"tags": ["red"]})));
    }

    #[test]
    fn nested_pattern_under_array_of_objects_matches_within_one_element() {
        let p = pattern(r#"{"L":{"M":{"a":["1"],"b":["2"]}}}"#);
        assert!(p.matches(&json!({"L": [{"M": {"a": "1", "b": "2"}}, {"M": {"a": "x"}}]})));
        assert!(!p.matches(&json!({"L": [{"M": {"a": "1"}}, {"M": {"b": "2"}}]})));
    }

    #[test]
    fn and_across_keys() {
        let p = pattern(r#"{"Location":["New York"],"Day":["Monday"]}"#);
        assert!(p.matches(&json!({"Location": "New York", "Day": "Monday", "x": 1})));
        assert!(!p.matches(&json!({"Location": "New York", "Day": "Tuesday"})));
        assert!(!p.matches(&json!({"Location": "New York"})));
    }

    #[test]
    fn or_across_matchers() {
        let p = pattern(r#"{"PaymentType":["Credit","Debit",{"prefix":"Gift"},{"exists":false}]}"#);
        assert!(p.matches(&json!({"PaymentType": "Credit"})));
        assert!(p.matches(&json!({"PaymentType": "Debit"})));
        assert!(p.matches(&json!({"PaymentType": "GiftCard"})));
        assert!(p.matches(&json!({})));
        assert!(!p.matches(&json!({"PaymentType": "Cash"})));
    }

    #[test]
    fn non_object_record_has_no_fields() {
        assert!(!matches(r#"{"a":["x"]}"#, json!("x")));
        assert!(!matches(r#"{"a":["x"]}"#, json!(null)));
        assert!(matches(r#"{"a":[{"exists":false}]}"#, json!(42)));
    }

    #[test]
    fn matches_any_is_or_and_empty_matches_all() {
        let record = json!({"eventName": "MODIFY"});
        assert!(matches_any(&[], &record));
        let insert = pattern(r#"{"eventName":["INSERT"]}"#);
        let modify = pattern(r#"{"eventName":["MODIFY"]}"#);
        assert!(matches_any(&[insert.clone(), modify], &record));
        assert!(!matches_any(&[insert], &record));
    }

    // --- parse errors --------------------------------------------------------

    #[test]
    fn not_json() {
        assert!(matches!(
            parse_err(r#"{"a":["x"]"#),
            FilterError::NotJson { .. }
        ));
        assert!(matches!(parse_err(""), FilterError::NotJson { .. }));
        assert!(matches!(parse_err("{a: [1]}"), FilterError::NotJson { .. }));
    }

    #[test]
    fn not_an_object() {
        for text in [r#"["a"]"#, r#""a""#, "1", "null"] {
            assert_eq!(
                parse_err(text),
                FilterError::NotAnObject { path: "$".into() },
                "{text}"
            );
        }
    }

    #[test]
    fn empty_arrays_and_objects() {
        assert_eq!(
            parse_err(r#"{"a":[]}"#),
            FilterError::EmptyValueList { path: "$.a".into() }
        );
        assert_eq!(
            parse_err(r#"{"a":[{"anything-but":[]}]}"#),
            FilterError::EmptyValueList { path: "$.a".into() }
        );
        assert_eq!(
            parse_err("{}"),
            FilterError::EmptyObject { path: "$".into() }
        );
        assert_eq!(
            parse_err(r#"{"a":{}}"#),
            FilterError::EmptyObject { path: "$.a".into() }
        );
    }

    #[test]
    fn scalar_field_value_and_bad_matchers() {
        assert_eq!(
            parse_err(r#"{"eventName":"INSERT"}"#),
            FilterError::ExpectedMatchers {
                path: "$.eventName".into()
            }
        );
        for text in [
            r#"{"a":[["x"]]}"#,
            r#"{"a":[{}]}"#,
            r#"{"a":[{"prefix":"x","suffix":"y"}]}"#,
        ] {
            assert_eq!(
                parse_err(text),
                FilterError::BadMatcher { path: "$.a".into() },
                "{text}"
            );
        }
    }

    #[test]
    fn unsupported_operators() {
        for (text, operator) in [
            (
                r#"{"a":[{"equals-ignore-case":"x"}]}"#,
                "equals-ignore-case",
            ),
            (r#"{"a":[{"wildcard":"x*"}]}"#, "wildcard"),
            (r#"{"a":[{"cidr":"10.0.0.0/24"}]}"#, "cidr"),
            (r#"{"a":[{"contains":"x"}]}"#, "contains"),
            (
                r#"{"a":[{"anything-but":{"equals-ignore-case":"x"}}]}"#,
                "anything-but/equals-ignore-case",
            ),
            (
                r#"{"a":[{"anything-but":{"wildcard":"x*"}}]}"#,
                "anything-but/wildcard",
            ),
            (
                r#"{"a":[{"prefix":{"equals-ignore-case":"x"}}]}"#,
                "prefix/equals-ignore-case",
            ),
        ] {
            assert_eq!(
                parse_err(text),
                FilterError::UnsupportedOperator {
                    path: "$.a".into(),
                    operator: operator.into()
                },
                "{text}"
            );
        }
        assert_eq!(
            parse_err(r#"{"d":{"$or":[{"a":["x"]},{"b":["y"]}]}}"#),
            FilterError::UnsupportedOperator {
                path: "$.d".into(),
                operator: "$or".into()
            }
        );
    }

    #[test]
    fn bad_operands() {
        for (text, operator) in [
            (r#"{"a":[{"prefix":5}]}"#, "prefix"),
            (r#"{"a":[{"suffix":null}]}"#, "suffix"),
            (r#"{"a":[{"exists":"true"}]}"#, "exists"),
            (r#"{"a":[{"anything-but":true}]}"#, "anything-but"),
            (r#"{"a":[{"anything-but":[null]}]}"#, "anything-but"),
            (r#"{"a":[{"anything-but":[["x"]]}]}"#, "anything-but"),
            (
                r#"{"a":[{"anything-but":{"prefix":1}}]}"#,
                "anything-but/prefix",
            ),
            (r#"{"a":[{"numeric":">"}]}"#, "numeric"),
            (r#"{"a":[{"numeric":[">"]}]}"#, "numeric"),
            (r#"{"a":[{"numeric":[">","10"]}]}"#, "numeric"),
            (r#"{"a":[{"numeric":["!=",10]}]}"#, "numeric"),
            (r#"{"a":[{"numeric":[">",1,">",2]}]}"#, "numeric"),
            (r#"{"a":[{"numeric":["=",1,"<",2]}]}"#, "numeric"),
            (r#"{"a":[{"numeric":[">",1,"<",2,"<",3]}]}"#, "numeric"),
            (r#"{"a":[{"numeric":[">",20,"<",10]}]}"#, "numeric"),
        ] {
            match parse_err(text) {
                FilterError::BadOperand {
                    path,
                    operator: got,
                    ..
                } => {
                    assert_eq!((path.as_str(), got.as_str()), ("$.a", operator), "{text}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    /// `depth` nested pattern objects with a matcher list at the bottom.
    fn nested(depth: usize) -> String {
        let mut text = String::from(r#"["x"]"#);
        for i in 0..depth {
            text = format!(r#"{{"k{i}":{text}}}"#);
        }
        text
    }

    #[test]
    fn too_deep() {
        assert!(FilterPattern::parse(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(
            parse_err(&nested(MAX_DEPTH + 1)),
            FilterError::TooDeep { max: MAX_DEPTH }
        );
        // Deeper than the JSON parser's own limit, still within the size limit.
        let brackets = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert_eq!(
            parse_err(&brackets),
            FilterError::TooDeep { max: MAX_DEPTH }
        );
        let objects = "{\"a\":".repeat(500);
        assert_eq!(parse_err(&objects), FilterError::TooDeep { max: MAX_DEPTH });
    }

    #[test]
    fn brackets_inside_strings_do_not_count_as_depth() {
        let key = format!("k{}\\\"{}", "{[".repeat(100), "]}".repeat(100));
        let text = format!(r#"{{"{key}":["{}"]}}"#, "[[[[{{{{".repeat(50));
        let p = pattern(&text);
        let record: Value =
            serde_json::from_str(&format!(r#"{{"{key}":"{}"}}"#, "[[[[{{{{".repeat(50)))
                .expect("record");
        assert!(p.matches(&record));
    }

    #[test]
    fn too_large() {
        let fits = format!(r#"{{"a":["{}"]}}"#, "x".repeat(MAX_PATTERN_BYTES - 10));
        assert_eq!(fits.len(), MAX_PATTERN_BYTES);
        assert!(FilterPattern::parse(&fits).is_ok());
        let over = format!(r#"{{"a":["{}"]}}"#, "x".repeat(MAX_PATTERN_BYTES - 9));
        assert_eq!(
            parse_err(&over),
            FilterError::TooLarge {
                max_bytes: MAX_PATTERN_BYTES
            }
        );
    }

    #[test]
    fn error_messages_name_the_place() {
        let e = parse_err(r#"{"dynamodb":{"Keys":[{"cidr":"10.0.0.0/8"}]}}"#);
        assert_eq!(
            e.to_string(),
            r#"unsupported filter operator "cidr" at $.dynamodb.Keys"#
        );
        let e = parse_err(r#"{"a":[{"exists":1}]}"#);
        assert_eq!(
            e.to_string(),
            r#"operand of "exists" at $.a must be true or false"#
        );
        assert!(parse_err("nope")
            .to_string()
            .starts_with("filter pattern is not valid JSON: "));
        assert_eq!(
            parse_err("{}").to_string(),
            "empty object at $: a filter pattern object must name at least one field"
        );
    }

    // --- robustness ----------------------------------------------------------

    #[test]
    fn deep_record_arrays_do_not_recurse() {
        // Deep enough that walking it recursively would overflow the small stack the
        // matching runs on below (building and dropping it recurse in serde_json, so
        // that stays on the test's own stack).
        let mut tags = json!("red");
        for _ in 0..1000 {
            tags = Value::Array(vec![tags]);
        }
        let record = json!({"tags": tags, "obj": {"M": {}}});
        let red = pattern(r#"{"tags":["red"]}"#);
        let blue = pattern(r#"{"tags":["blue"]}"#);
        let exists = pattern(r#"{"tags":[{"exists":true}],"obj":{"M":{"x":[{"exists":false}]}}}"#);
        let outcome = std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn_scoped(s, || {
                    (
                        red.matches(&record),
                        blue.matches(&record),
                        exists.matches(&record),
                    )
                })
                .expect("spawn")
                .join()
                .expect("matching overflowed or panicked")
        });
        assert_eq!(outcome, (true, false, true));
    }

    #[test]
    fn odd_inputs_never_panic() {
        let texts = [
            "",
            " ",
            "{",
            "}",
            "[",
            "]",
            "\"",
            "\"\\",
            "{\"",
            "{\"a\":",
            "{\"a\":[",
            "{\"a\":[{",
            "\u{0}",
            "{\"a\":[1e400]}",
            "{\"a\":[{\"numeric\":[\">\",1e308,\"<\",-1e308]}]}",
            "{\"\":[\"\"]}",
            "{\"a\":[{\"numeric\":[\"=\",-0.0]}]}",
            "\u{feff}{\"a\":[1]}",
            "{\"a\":[\"\\ud800\"]}",
        ];
        let records = [
            json!(null),
            json!([]),
            json!({"": ""}),
            json!({"a": [null, {}, [], -0.0]}),
        ];
        for text in texts {
            if let Ok(p) = FilterPattern::parse(text) {
                for record in &records {
                    let _ = p.matches(record);
                }
            }
        }
    }
}
