//! [`ExprError`]: why an expression, its placeholders or its application were rejected.
//!
//! The `Display` texts follow DynamoDB's `ValidationException` messages, so the server can
//! pass them through verbatim.

use std::fmt;

use crate::types::TypeError;

/// Which request parameter an expression came from; DynamoDB names it in its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExprKind {
    /// `ConditionExpression` (PutItem, UpdateItem, DeleteItem, transactions).
    Condition,
    /// `FilterExpression` (Query, Scan).
    Filter,
    /// `KeyConditionExpression` (Query).
    KeyCondition,
    /// `ProjectionExpression`.
    Projection,
    /// `UpdateExpression`.
    Update,
}

impl fmt::Display for ExprKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExprKind::Condition => "ConditionExpression",
            ExprKind::Filter => "FilterExpression",
            ExprKind::KeyCondition => "KeyConditionExpression",
            ExprKind::Projection => "ProjectionExpression",
            ExprKind::Update => "UpdateExpression",
        })
    }
}

/// How many unused placeholders [`ExprError::UnusedNames`] and [`ExprError::UnusedValues`]
/// list by name; the rest are counted. DynamoDB lists them all, but a request may carry
/// 2 MB of placeholders and the error text must stay bounded.
pub const MAX_LISTED_KEYS: usize = 100;

/// `{a, b, c}`'s inside, with `, ... and N more` when keys were left out.
fn key_list(keys: &[String], more: usize) -> String {
    let listed = keys.join(", ");
    if more == 0 {
        listed
    } else {
        format!("{listed}, ... and {more} more")
    }
}

/// An expression-language error: parsing, placeholder validation, or applying an update.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExprError {
    /// The expression is empty or only whitespace.
    #[error("Invalid {kind}: The expression can not be empty;")]
    Empty {
        /// Which expression.
        kind: ExprKind,
    },
    /// Longer than [`crate::expr::MAX_EXPRESSION_BYTES`].
    #[error("Invalid {kind}: Expression size has exceeded the maximum allowed size; expression size: {len}")]
    TooLong {
        /// Which expression.
        kind: ExprKind,
        /// Its length in bytes.
        len: usize,
    },
    /// A token that does not fit the grammar where it stands.
    #[error("Invalid {kind}: Syntax error; token: \"{token}\", near: \"{near}\"")]
    Syntax {
        /// Which expression.
        kind: ExprKind,
        /// The offending token (`<EOF>` at the end).
        token: String,
        /// The text around it.
        near: String,
    },
    /// Parentheses, `NOT`s or function calls nested deeper than
    /// [`crate::expr::MAX_EXPRESSION_DEPTH`].
    #[error("Invalid {kind}: The expression is nested too deeply; maximum depth: {max}")]
    TooDeep {
        /// Which expression.
        kind: ExprKind,
        /// The bound.
        max: usize,
    },
    /// More operators and functions than [`crate::expr::MAX_OPERATORS`].
    #[error("Invalid {kind}: The expression contains too many operators; maximum: {max}")]
    TooManyOperators {
        /// Which expression.
        kind: ExprKind,
        /// The bound.
        max: usize,
    },
    /// A document path with more elements than [`crate::expr::MAX_PATH_ELEMENTS`].
    #[error(
        "Invalid {kind}: The document path has too many nesting levels; nesting levels: {levels}"
    )]
    PathTooDeep {
        /// Which expression.
        kind: ExprKind,
        /// Elements in the path.
        levels: usize,
    },
    /// A list index that does not fit in 32 bits.
    #[error("Invalid {kind}: List index is not within the allowable range; index: [{index}]")]
    ListIndexOutOfRange {
        /// Which expression.
        kind: ExprKind,
        /// The index text.
        index: String,
    },
    /// An unescaped attribute name that is one of DynamoDB's reserved words.
    #[error("Invalid {kind}: Attribute name is a reserved keyword; reserved keyword: {word}")]
    ReservedKeyword {
        /// Which expression.
        kind: ExprKind,
        /// The word as written.
        word: String,
    },
    /// `#name` with no entry in `ExpressionAttributeNames`.
    #[error("Invalid {kind}: An expression attribute name used in the document path is not defined; attribute name: {name}")]
    UndefinedName {
        /// Which expression.
        kind: ExprKind,
        /// The placeholder.
        name: String,
    },
    /// `:value` with no entry in `ExpressionAttributeValues`.
    #[error("Invalid {kind}: An expression attribute value used in expression is not defined; attribute value: {value}")]
    UndefinedValue {
        /// Which expression.
        kind: ExprKind,
        /// The placeholder.
        value: String,
    },
    /// Entries of `ExpressionAttributeNames` that no expression of the request uses.
    #[error("Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}", key_list(.names, *.more))]
    UnusedNames {
        /// The first [`MAX_LISTED_KEYS`] unused placeholders, sorted.
        names: Vec<String>,
        /// How many more are unused (not listed, so the message stays bounded).
        more: usize,
    },
    /// Entries of `ExpressionAttributeValues` that no expression of the request uses.
    #[error("Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}", key_list(.values, *.more))]
    UnusedValues {
        /// The first [`MAX_LISTED_KEYS`] unused placeholders, sorted.
        values: Vec<String>,
        /// How many more are unused (not listed, so the message stays bounded).
        more: usize,
    },
    /// `ExpressionAttributeNames` or `…Values` given although the request has no expression.
    #[error("{parameter} can only be specified when using expressions")]
    PlaceholdersWithoutExpressions {
        /// "ExpressionAttributeNames" or "ExpressionAttributeValues".
        parameter: &'static str,
    },
    /// An empty `ExpressionAttributeNames` or `…Values` map.
    #[error("{parameter} must not be empty")]
    EmptyPlaceholderMap {
        /// "ExpressionAttributeNames" or "ExpressionAttributeValues".
        parameter: &'static str,
    },
    /// A map key that is not `#word` / `:word`.
    #[error("{parameter} contains invalid key: Syntax error; key: \"{key}\"")]
    InvalidPlaceholderKey {
        /// "ExpressionAttributeNames" or "ExpressionAttributeValues".
        parameter: &'static str,
        /// The key.
        key: String,
    },
    /// A value in `ExpressionAttributeValues` that breaks a data-model rule.
    #[error("ExpressionAttributeValues contains invalid value: {source} for key {key}")]
    InvalidPlaceholderValue {
        /// The placeholder.
        key: String,
        /// The broken rule.
        #[source]
        source: TypeError,
    },
    /// A function name DynamoDB does not have (or one not allowed in this expression).
    #[error("Invalid {kind}: Invalid function name; function: {function}")]
    InvalidFunction {
        /// Which expression.
        kind: ExprKind,
        /// The name as written.
        function: String,
    },
    /// A function used where its result type does not fit (e.g. `size(a)` as a condition).
    #[error("Invalid {kind}: The function is not allowed to be used this way in an expression; function: {function}")]
    FunctionMisuse {
        /// Which expression.
        kind: ExprKind,
        /// The function.
        function: &'static str,
    },
    /// A function called with the wrong number of arguments.
    #[error("Invalid {kind}: Incorrect number of operands for operator or function; operator or function: {function}, number of operands: {count}")]
    WrongOperandCount {
        /// Which expression.
        kind: ExprKind,
        /// The function.
        function: &'static str,
        /// How many were given.
        count: usize,
    },
    /// A function argument that must be a document path but is not.
    #[error("Invalid {kind}: Operator or function requires a document path; operator or function: {function}")]
    RequiresPath {
        /// Which expression.
        kind: ExprKind,
        /// The function.
        function: &'static str,
    },
    /// A constant operand whose type the operator or function cannot take.
    #[error("Invalid {kind}: Incorrect operand type for operator or function; operator or function: {operator}, operand type: {operand_type}")]
    IncorrectOperandType {
        /// Which expression.
        kind: ExprKind,
        /// The operator or function.
        operator: &'static str,
        /// The operand's type tag.
        operand_type: &'static str,
    },
    /// `attribute_type` with a type name that is not one of DynamoDB's ten.
    #[error("Invalid {kind}: Invalid attribute type name found; type: {type_name}, valid types: {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}")]
    InvalidTypeName {
        /// Which expression.
        kind: ExprKind,
        /// The name given.
        type_name: String,
    },
    /// `IN` with more than [`crate::expr::MAX_IN_OPERANDS`] candidates.
    #[error("Invalid {kind}: The IN operator is provided with too many operands; number of operands: {count}")]
    TooManyInOperands {
        /// Which expression.
        kind: ExprKind,
        /// How many were given.
        count: usize,
    },
    /// `BETWEEN` with constant bounds where the lower is above the upper.
    #[error("Invalid {kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{low}}}, upper bound operand: AttributeValue: {{{high}}}")]
    BetweenBoundsReversed {
        /// Which expression.
        kind: ExprKind,
        /// The lower bound, as `N:5`.
        low: String,
        /// The upper bound.
        high: String,
    },
    /// `((a = b))`: parentheses around a parenthesized expression (DynamoDB's text, as
    /// dynalite recorded it).
    #[error("Invalid {kind}: The expression has redundant parentheses;")]
    RedundantParentheses {
        /// Which expression.
        kind: ExprKind,
    },
    /// `a = a`, `contains(a, a)`: an operator's first operand repeated among the others
    /// (DynamoDB's text, as dynalite recorded it).
    #[error("Invalid {kind}: The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {operand}")]
    OperandNotDistinct {
        /// Which expression.
        kind: ExprKind,
        /// The operator or function.
        operator: &'static str,
        /// The repeated path, as `[a, b]`.
        operand: String,
    },
    /// Two paths where one contains the other (`a` and `a.b`), or the same path twice.
    #[error("Invalid {kind}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {first}, path two: {second}")]
    PathsOverlap {
        /// Which expression.
        kind: ExprKind,
        /// The first path, as `[a, b]`.
        first: String,
        /// The second path.
        second: String,
    },
    /// Two paths that treat the same attribute as both a map and a list (`a.b`, `a[0]`).
    #[error("Invalid {kind}: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {first}, path two: {second}")]
    PathsConflict {
        /// Which expression.
        kind: ExprKind,
        /// The first path.
        first: String,
        /// The second path.
        second: String,
    },
    /// A `SET`, `REMOVE`, `ADD` or `DELETE` clause given twice.
    #[error("Invalid UpdateExpression: The \"{section}\" section can only be used once in an update expression;")]
    DuplicateSection {
        /// The clause keyword.
        section: &'static str,
    },
    /// An update path whose parent is missing or of the wrong type.
    #[error("The document path provided in the update expression is invalid for update")]
    InvalidUpdatePath {
        /// The path, as `[a, b]`.
        path: String,
    },
    /// An update operand of the wrong type (`+` on a string, ADD to a list, …).
    #[error("An operand in the update expression has an incorrect data type")]
    IncorrectDataType {
        /// The operator or action.
        operator: &'static str,
    },
    /// An update operand that reads an attribute the item does not have.
    #[error("The provided expression refers to an attribute that does not exist in the item")]
    MissingAttribute {
        /// The path, as `[a, b]`.
        path: String,
    },
    /// Arithmetic whose exact result does not fit DynamoDB's numbers.
    #[error("{source}")]
    NumberOutOfRange {
        /// The number error.
        #[source]
        source: TypeError,
    },
    /// A key condition does not name the partition key.
    #[error("Query condition missed key schema element: {name}")]
    KeyConditionMissingKey {
        /// The key attribute's name.
        name: String,
    },
    /// On a multi-attribute key: a partition-key attribute without an equality
    /// condition. DynamoDB's text is recorded only in part ("HASH key attributes createdAt
    /// must have equality conditions", from an application log; ScyllaDB's AWS-run
    /// `test_gsi_composite_keys.py` matches `HASH.*equality`); the rest follows the
    /// RANGE message's recorded form.
    #[error("HASH key attributes {names} must have equality conditions specified in the query")]
    KeyConditionHashNotEquality {
        /// The attributes, comma-separated.
        names: String,
    },
    /// On a multi-attribute key: a sort-key attribute before the last one used has no
    /// equality condition (DynamoDB's text, recorded by paritysuite's
    /// `tests/tier1/query/multiAttributeGsiKey.test.ts` against DynamoDB).
    #[error("RANGE key attributes {name} must have equality conditions specified in the query because a condition is present on key attribute {present}")]
    KeyConditionRangeNotEquality {
        /// The first sort-key attribute lacking an equality condition.
        name: String,
        /// The last sort-key attribute with a condition.
        present: String,
    },
    /// A key condition with an operator or attribute a key condition cannot have.
    #[error("Query key condition not supported")]
    KeyConditionNotSupported {
        /// What was found.
        detail: &'static str,
    },
    /// A key condition using `OR`, `NOT`, `<>`, `IN` or a function other than `begins_with`.
    #[error("Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: {operator}")]
    KeyConditionInvalidOperator {
        /// The operator.
        operator: &'static str,
    },
    /// Two conditions on the same key attribute.
    #[error("KeyConditionExpressions must only contain one condition per key")]
    KeyConditionDuplicateKey {
        /// The key attribute's name.
        name: String,
    },
    /// A key condition value whose type differs from the key schema.
    #[error("One or more parameter values were invalid: Condition parameter type does not match schema type")]
    KeyConditionTypeMismatch {
        /// The key attribute's name.
        name: String,
    },
}

impl ExprError {
    /// Whether the error is in the request itself (a ValidationException), as opposed to
    /// the combination of a valid update with the stored item. Both are
    /// ValidationExceptions in DynamoDB; the distinction helps callers decide whether a
    /// retry with another item could succeed.
    #[must_use]
    pub fn is_item_dependent(&self) -> bool {
        matches!(
            self,
            ExprError::InvalidUpdatePath { .. }
                | ExprError::IncorrectDataType { .. }
                | ExprError::MissingAttribute { .. }
                | ExprError::NumberOutOfRange { .. }
        )
    }
}
