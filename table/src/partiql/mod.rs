//! PartiQL for DynamoDB: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.
//!
//! The data path: `parse` (tokens → statement, `?` parameters bound) builds the
//! expression language's AST ([`crate::expr::ast`]): a WHERE clause is a
//! [`crate::expr::Condition`], SET/REMOVE an [`crate::expr::UpdateExpr`], a projection
//! [`crate::expr::Path`]s. `execute` then runs each statement through the paths the
//! other operations use, with that AST:
//! - SELECT: a Query when the WHERE pins the target's partition key with `=` (a sort-key
//!   condition narrows it), else a Scan; the whole WHERE is the filter. Paging, `Limit`
//!   (items evaluated), the 1 MB page and capacity are Query's and Scan's;
//! - INSERT, UPDATE, DELETE: one item each, through the one write path (`crate::write`).
//!   UPDATE and DELETE must pin every key attribute with `=`; the whole WHERE is the
//!   write's condition. INSERT fails on an existing key (DuplicateItemException), UPDATE
//!   on a missing item (ConditionalCheckFailedException), DELETE of a missing item does
//!   nothing;
//! - ExecuteTransaction: the statements become the actions of one TransactWriteItems or
//!   TransactGetItems (`crate::transact`), EXISTS a ConditionCheck.
//!
//! It is not: a second evaluator, a SQL engine (no joins, ORDER BY, aggregates), or
//! complete (see `docs/partiql.md` for what is refused).

mod execute;
pub mod parse;

#[doc(hidden)]
pub mod fuzzing;

pub use parse::{MAX_DEPTH, MAX_STATEMENT_BYTES};

/// Most statements in one BatchExecuteStatement.
pub const MAX_BATCH_STATEMENTS: usize = 25;

/// Why a PartiQL request failed validation (a ValidationException). The texts are
/// DynamoDB's where they are known (recorded by emulators checked against it: dynoxide's
/// PartiQL tests), else Shale's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PartiqlError {
    /// A syntax error, or a construct DynamoDB's PartiQL does not have.
    #[error("Statement wasn't well formed, can't be processed: {detail}")]
    NotWellFormed {
        /// What is wrong.
        detail: String,
    },
    /// Longer than [`MAX_STATEMENT_BYTES`].
    #[error("1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to 8192")]
    TooLong {
        /// The statement's length in bytes.
        len: usize,
    },
    /// More or fewer `Parameters` than the statement's `?`s.
    #[error("Number of parameters in request and statement don't match.")]
    ParameterCount,
    /// A literal that is not a valid DynamoDB value (a number out of range, a mixed set).
    #[error("One or more parameter values were invalid: {detail}")]
    InvalidValue {
        /// What is wrong.
        detail: String,
    },
    /// UPDATE, DELETE (or a read of a batch or transaction) without `=` on every key
    /// attribute.
    #[error("Where clause does not contain a mandatory equality on all key attributes")]
    MissingKeyEquality,
    /// A SELECT on a GSI with a multi-attribute key (DynamoDB's text, recorded against
    /// DynamoDB by paritysuite's `tests/tier2/partiql/multiAttributeIndex.test.ts`).
    #[error("PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys.")]
    MultiAttributeIndex,
    /// EXISTS outside ExecuteTransaction.
    #[error(
        "Statement wasn't well formed, can't be processed: EXISTS is only allowed in transactions"
    )]
    ExistsOutsideTransaction,
    /// Reads and writes in one batch or transaction.
    #[error("The entire {operation} must consist of either read statements or write statements, you cannot mix both")]
    MixedReadsAndWrites {
        /// "batch" / "transaction".
        operation: &'static str,
    },
    /// A SELECT on an index inside a batch or transaction (they read items by key).
    #[error("Statement wasn't well formed, can't be processed: a {operation} can not read from an index")]
    IndexInBatch {
        /// "batch" / "transaction".
        operation: &'static str,
    },
    /// A NextToken this server did not hand out.
    #[error("Invalid NextToken")]
    InvalidNextToken,
}
