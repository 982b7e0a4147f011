//! DynamoDB's expression language: condition, filter, key condition, projection and update
//! expressions, with `#name` / `:value` placeholders and DynamoDB's error messages.
//!
//! ```
//! use std::collections::BTreeMap;
//! use shale_table::expr::{apply_update, eval_condition, parse_request, RequestExpressions};
//! use shale_table::types::{AttributeValue, Item, Number};
//!
//! let values = BTreeMap::from([(":inc".to_string(), AttributeValue::N(Number::from(1)))]);
//! let names = BTreeMap::from([("#s".to_string(), "status".to_string())]);
//! let request = RequestExpressions {
//!     condition: Some("attribute_not_exists(#s) OR hits < :inc"),
//!     update: Some("SET hits = if_not_exists(hits, :inc) + :inc"),
//!     ..Default::default()
//! };
//! let parsed = parse_request(&request, Some(&names), Some(&values)).unwrap();
//! let old = Item::new();
//! assert!(eval_condition(parsed.condition.as_ref().unwrap(), &old).unwrap());
//! let outcome = apply_update(parsed.update.as_ref().unwrap(), Some(&old)).unwrap();
//! assert_eq!(outcome.item["hits"], AttributeValue::N(Number::from(2)));
//! ```
//!
//! The data path: [`lexer`](self) → `parser` (with `placeholders` resolving names and values
//! and `reserved` rejecting reserved words) → [`ast`] → `eval` / `project` / `update` /
//! `key_condition`. [`parse_request`] runs all expressions of one request together.
//!
//! Limits (named constants below): 4 KB of text, nesting depth, operator count, path
//! length, 100 `IN` operands. Hostile input gets an [`ExprError`], never a panic or a
//! stack overflow (fuzzed by `fuzz/fuzz_targets/expression_parser.rs`).
//!
//! It is not:
//! - PartiQL;
//! - the legacy `Expected` / `AttributeUpdates` / `KeyConditions` parameters (the table
//!   layer's `legacy` module translates them into this AST);
//! - responsible for key-attribute rules in updates (the table layer rejects updates of
//!   key attributes and validates the resulting item's size).

pub mod ast;
pub mod error;
pub mod eval;
#[doc(hidden)]
pub mod fuzzing;
pub mod key_condition;
mod lexer;
mod parser;
pub mod placeholders;
pub mod project;
pub mod request;
mod reserved;
pub mod update;

pub use ast::{
    Comparator, Condition, Operand, Path, PathElement, Projection, SetAction, SetValue, UpdateExpr,
    UpdateOperand,
};
pub use error::{ExprError, ExprKind, MAX_LISTED_KEYS};
pub use eval::{eval_condition, lookup};
pub use key_condition::{
    key_condition, parse_key_condition, KeyAttribute, KeyCondition, KeySchema, SortCondition,
};
pub use parser::{parse_condition, parse_projection, parse_update};
pub use placeholders::Placeholders;
pub use project::project;
pub use request::{parse_request, ParsedExpressions, RequestExpressions};
pub use reserved::is_reserved_word;
pub use update::{apply_update, UpdateOutcome};

/// DynamoDB's limit on an expression's length.
pub const MAX_EXPRESSION_BYTES: usize = 4096;
/// Parentheses, `NOT`s and update functions nest at most this deep. DynamoDB documents no
/// number; this bounds recursion well inside any thread's stack.
pub const MAX_EXPRESSION_DEPTH: usize = 64;
/// DynamoDB's limit on operators and functions in one expression.
pub const MAX_OPERATORS: usize = 300;
/// DynamoDB's limit on the candidates of `IN`.
pub const MAX_IN_OPERANDS: usize = 100;
/// A document path has at most this many elements: the top-level name plus one per
/// level of the 32 levels of nesting an item may have.
pub const MAX_PATH_ELEMENTS: usize = crate::types::MAX_NESTING_DEPTH + 1;
