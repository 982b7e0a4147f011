//! The `X-Amz-Target` header: which DynamoDB operation a request names, and whether Shale
//! implements it.
//!
//! Three outcomes, because clients need to tell them apart:
//! - an operation Shale implements ([`Operation`]);
//! - an operation DynamoDB has but Shale does not yet (global tables, ...): a 400 that says so, never a hang or a 404;
//! - anything else: DynamoDB's `UnknownOperationException`.

/// The API version prefix of every DynamoDB operation.
pub const DYNAMODB_PREFIX: &str = "DynamoDB_20120810";
/// The API version prefix of DynamoDB Streams operations.
pub const STREAMS_PREFIX: &str = "DynamoDBStreams_20120810";

/// The operations Shale serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// CreateTable.
    CreateTable,
    /// DescribeTable.
    DescribeTable,
    /// ListTables.
    ListTables,
    /// UpdateTable.
    UpdateTable,
    /// DeleteTable.
    DeleteTable,
    /// PutItem.
    PutItem,
    /// GetItem.
    GetItem,
    /// UpdateItem.
    UpdateItem,
    /// DeleteItem.
    DeleteItem,
    /// Query.
    Query,
    /// Scan.
    Scan,
    /// BatchGetItem.
    BatchGetItem,
    /// BatchWriteItem.
    BatchWriteItem,
    /// UpdateTimeToLive.
    UpdateTimeToLive,
    /// DescribeTimeToLive.
    DescribeTimeToLive,
    /// UpdateContinuousBackups (point-in-time recovery on or off).
    UpdateContinuousBackups,
    /// DescribeContinuousBackups.
    DescribeContinuousBackups,
    /// RestoreTableToPointInTime.
    RestoreTableToPointInTime,
    /// CreateBackup.
    CreateBackup,
    /// DescribeBackup.
    DescribeBackup,
    /// ListBackups.
    ListBackups,
    /// DeleteBackup.
    DeleteBackup,
    /// RestoreTableFromBackup.
    RestoreTableFromBackup,
    /// ExportTableToPointInTime (to a directory under the export root).
    ExportTableToPointInTime,
    /// DescribeExport.
    DescribeExport,
    /// ListExports.
    ListExports,
    /// ImportTable (from a directory under the export root).
    ImportTable,
    /// DescribeImport.
    DescribeImport,
    /// ListImports.
    ListImports,
    /// TagResource (tables only).
    TagResource,
    /// UntagResource.
    UntagResource,
    /// ListTagsOfResource.
    ListTagsOfResource,
    /// PutResourcePolicy (tables only; stored, not evaluated).
    PutResourcePolicy,
    /// GetResourcePolicy.
    GetResourcePolicy,
    /// DeleteResourcePolicy.
    DeleteResourcePolicy,
    /// TransactWriteItems.
    TransactWriteItems,
    /// TransactGetItems.
    TransactGetItems,
    /// ExecuteStatement (PartiQL).
    ExecuteStatement,
    /// BatchExecuteStatement (PartiQL).
    BatchExecuteStatement,
    /// ExecuteTransaction (PartiQL).
    ExecuteTransaction,
    /// DynamoDB Streams' ListStreams.
    ListStreams,
    /// DynamoDB Streams' DescribeStream.
    DescribeStream,
    /// DynamoDB Streams' GetShardIterator.
    GetShardIterator,
    /// DynamoDB Streams' GetRecords.
    GetRecords,
    /// DescribeLimits (DynamoDB's default quotas: see [`crate::endpoint_info`]).
    DescribeLimits,
    /// DescribeEndpoints (this server's address).
    DescribeEndpoints,
}

impl Operation {
    /// Every implemented operation, for metrics and docs.
    pub const ALL: [Operation; 46] = [
        Operation::CreateTable,
        Operation::DescribeTable,
        Operation::ListTables,
        Operation::UpdateTable,
        Operation::DeleteTable,
        Operation::PutItem,
        Operation::GetItem,
        Operation::UpdateItem,
        Operation::DeleteItem,
        Operation::Query,
        Operation::Scan,
        Operation::BatchGetItem,
        Operation::BatchWriteItem,
        Operation::UpdateTimeToLive,
        Operation::DescribeTimeToLive,
        Operation::UpdateContinuousBackups,
        Operation::DescribeContinuousBackups,
        Operation::RestoreTableToPointInTime,
        Operation::CreateBackup,
        Operation::DescribeBackup,
        Operation::ListBackups,
        Operation::DeleteBackup,
        Operation::RestoreTableFromBackup,
        Operation::ExportTableToPointInTime,
        Operation::DescribeExport,
        Operation::ListExports,
        Operation::ImportTable,
        Operation::DescribeImport,
        Operation::ListImports,
        Operation::TagResource,
        Operation::UntagResource,
        Operation::ListTagsOfResource,
        Operation::PutResourcePolicy,
        Operation::GetResourcePolicy,
        Operation::DeleteResourcePolicy,
        Operation::TransactWriteItems,
        Operation::TransactGetItems,
        Operation::ExecuteStatement,
        Operation::BatchExecuteStatement,
        Operation::ExecuteTransaction,
        Operation::ListStreams,
        Operation::DescribeStream,
        Operation::GetShardIterator,
        Operation::GetRecords,
        Operation::DescribeLimits,
        Operation::DescribeEndpoints,
    ];

    /// DynamoDB's name for the operation, as in `X-Amz-Target`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateTable => "CreateTable",
            Operation::DescribeTable => "DescribeTable",
            Operation::ListTables => "ListTables",
            Operation::UpdateTable => "UpdateTable",
            Operation::DeleteTable => "DeleteTable",
            Operation::PutItem => "PutItem",
            Operation::GetItem => "GetItem",
            Operation::UpdateItem => "UpdateItem",
            Operation::DeleteItem => "DeleteItem",
            Operation::Query => "Query",
            Operation::Scan => "Scan",
            Operation::BatchGetItem => "BatchGetItem",
            Operation::BatchWriteItem => "BatchWriteItem",
            Operation::UpdateTimeToLive => "UpdateTimeToLive",
            Operation::DescribeTimeToLive => "DescribeTimeToLive",
            Operation::UpdateContinuousBackups => "UpdateContinuousBackups",
            Operation::DescribeContinuousBackups => "DescribeContinuousBackups",
            Operation::RestoreTableToPointInTime => "RestoreTableToPointInTime",
            Operation::CreateBackup => "CreateBackup",
            Operation::DescribeBackup => "DescribeBackup",
            Operation::ListBackups => "ListBackups",
            Operation::DeleteBackup => "DeleteBackup",
            Operation::RestoreTableFromBackup => "RestoreTableFromBackup",
            Operation::ExportTableToPointInTime => "ExportTableToPointInTime",
            Operation::DescribeExport => "DescribeExport",
            Operation::ListExports => "ListExports",
            Operation::ImportTable => "ImportTable",
            Operation::DescribeImport => "DescribeImport",
            Operation::ListImports => "ListImports",
            Operation::TagResource => "TagResource",
            Operation::UntagResource => "UntagResource",
            Operation::ListTagsOfResource => "ListTagsOfResource",
            Operation::PutResourcePolicy => "PutResourcePolicy",
            Operation::GetResourcePolicy => "GetResourcePolicy",
            Operation::DeleteResourcePolicy => "DeleteResourcePolicy",
            Operation::TransactWriteItems => "TransactWriteItems",
            Operation::TransactGetItems => "TransactGetItems",
            Operation::ExecuteStatement => "ExecuteStatement",
            Operation::BatchExecuteStatement => "BatchExecuteStatement",
            Operation::ExecuteTransaction => "ExecuteTransaction",
            Operation::ListStreams => "ListStreams",
            Operation::DescribeStream => "DescribeStream",
            Operation::GetShardIterator => "GetShardIterator",
            Operation::GetRecords => "GetRecords",
            Operation::DescribeLimits => "DescribeLimits",
            Operation::DescribeEndpoints => "DescribeEndpoints",
        }
    }

    /// The API version prefix the operation is named under in `X-Amz-Target`.
    pub fn prefix(self) -> &'static str {
        match self {
            Operation::ListStreams
            | Operation::DescribeStream
            | Operation::GetShardIterator
            | Operation::GetRecords => STREAMS_PREFIX,
            _ => DYNAMODB_PREFIX,
        }
    }

    /// Whether a successful call proves that the table of its metrics label exists.
    /// True for every operation on a live table (and for restores, which create their
    /// target); false where success says nothing about the table: ListBackups accepts a
    /// table that does not exist, a backup or an export outlives its source table, and an
    /// ImportTable that answers FAILED has removed the table it created. For those the
    /// metrics ask the catalog, so a client cannot mint labels for tables that do not
    /// exist (see [`crate::metrics`]).
    pub fn success_proves_table(self) -> bool {
        !matches!(
            self,
            Operation::ListBackups
                | Operation::DescribeBackup
                | Operation::DeleteBackup
                | Operation::DescribeExport
                | Operation::ListExports
                | Operation::ImportTable
                | Operation::DescribeImport
                | Operation::ListImports
                // A stream outlives its table by 24 hours.
                | Operation::ListStreams
                | Operation::DescribeStream
                | Operation::GetShardIterator
                | Operation::GetRecords
        )
    }

    fn from_target(prefix: &str, name: &str) -> Option<Operation> {
        Operation::ALL
            .into_iter()
            .find(|op| op.prefix() == prefix && op.name() == name)
    }
}

/// DynamoDB operations (API version 2012-08-10) that Shale does not implement yet.
/// Requests for them get a clear "not implemented" error rather than
/// `UnknownOperationException`, so a user can tell "Shale lacks this" from "typo".
///
/// Checked against the operations of `@aws-sdk/client-dynamodb` 3.1178 (2026-12), whose
/// bulk operations and vector search are newer than the others here.
pub const NOT_IMPLEMENTED_OPERATIONS: &[&str] = &[
    "CancelBulkOperation",
    "CreateGlobalTable",
    "DescribeBulkOperation",
    "DescribeContributorInsights",
    "DescribeGlobalTable",
    "DescribeGlobalTableSettings",
    "DescribeKinesisStreamingDestination",
    "DescribeTableReplicaAutoScaling",
    "DisableKinesisStreamingDestination",
    "EnableKinesisStreamingDestination",
    "ListBulkOperations",
    "ListContributorInsights",
    "ListGlobalTables",
    "SearchVectors",
    "StartBulkPutItems",
    "UpdateContributorInsights",
    "UpdateGlobalTable",
    "UpdateGlobalTableSettings",
    "UpdateKinesisStreamingDestination",
    "UpdateTableReplicaAutoScaling",
];

/// What an `X-Amz-Target` header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An operation Shale serves.
    Implemented(Operation),
    /// A real DynamoDB (or DynamoDB Streams) operation Shale does not implement yet.
    NotImplemented(&'static str),
    /// Missing header, wrong API version, or a name DynamoDB does not have.
    Unknown,
}

/// Classifies an `X-Amz-Target` header value (`None` when the header is missing).
pub fn parse_target(header: Option<&str>) -> Target {
    let Some((prefix, name)) = header.and_then(|h| h.split_once('.')) else {
        return Target::Unknown;
    };
    let not_implemented = |list: &[&'static str]| list.iter().copied().find(|n| *n == name);
    match prefix {
        DYNAMODB_PREFIX | STREAMS_PREFIX => match Operation::from_target(prefix, name) {
            Some(op) => Target::Implemented(op),
            None if prefix == DYNAMODB_PREFIX => not_implemented(NOT_IMPLEMENTED_OPERATIONS)
                .map_or(Target::Unknown, Target::NotImplemented),
            None => Target::Unknown,
        },
        _ => Target::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implemented_operations_round_trip_their_names() {
        for op in Operation::ALL {
            let header = format!("{}.{}", op.prefix(), op.name());
            assert_eq!(parse_target(Some(&header)), Target::Implemented(op));
        }
    }

    #[test]
    fn real_but_unimplemented_operations_are_named() {
        assert_eq!(
            parse_target(Some("DynamoDB_20120810.DescribeGlobalTable")),
            Target::NotImplemented("DescribeGlobalTable")
        );
        // Newer than the rest: vector search and bulk operations.
        for name in [
            "SearchVectors",
            "StartBulkPutItems",
            "DescribeBulkOperation",
        ] {
            assert_eq!(
                parse_target(Some(&format!("DynamoDB_20120810.{name}"))),
                Target::NotImplemented(name)
            );
        }
    }

    #[test]
    fn streams_operations_live_under_their_own_prefix() {
        assert_eq!(
            parse_target(Some("DynamoDBStreams_20120810.GetRecords")),
            Target::Implemented(Operation::GetRecords)
        );
        assert_eq!(
            parse_target(Some("DynamoDB_20120810.GetRecords")),
            Target::Unknown
        );
    }

    #[test]
    fn everything_else_is_unknown() {
        for h in [
            None,
            Some(""),
            Some("PutItem"),
            Some("DynamoDB_20120810.Frobnicate"),
            Some("DynamoDB_20111205.PutItem"),
            Some("DynamoDB_20120810.putitem"),
            Some("DynamoDBStreams_20120810.PutItem"),
            Some("DynamoDB_20120810.PutItem.extra"),
        ] {
            assert_eq!(parse_target(h), Target::Unknown, "{h:?}");
        }
    }

    #[test]
    fn backup_and_pitr_operations_are_implemented() {
        for name in [
            "UpdateContinuousBackups",
            "DescribeContinuousBackups",
            "RestoreTableToPointInTime",
            "CreateBackup",
            "DescribeBackup",
            "ListBackups",
            "DeleteBackup",
            "RestoreTableFromBackup",
        ] {
            let header = format!("{DYNAMODB_PREFIX}.{name}");
            assert!(
                matches!(parse_target(Some(&header)), Target::Implemented(op) if op.name() == name),
                "{name}"
            );
        }
    }

    #[test]
    fn export_and_import_operations_are_implemented() {
        for name in [
            "ExportTableToPointInTime",
            "DescribeExport",
            "ListExports",
            "ImportTable",
            "DescribeImport",
            "ListImports",
        ] {
            let header = format!("{DYNAMODB_PREFIX}.{name}");
            assert!(
                matches!(parse_target(Some(&header)), Target::Implemented(op) if op.name() == name),
                "{name}"
            );
        }
    }

    #[test]
    fn tag_operations_are_implemented() {
        for name in ["TagResource", "UntagResource", "ListTagsOfResource"] {
            let header = format!("{DYNAMODB_PREFIX}.{name}");
            assert!(
                matches!(parse_target(Some(&header)), Target::Implemented(op) if op.name() == name),
                "{name}"
            );
        }
    }

    #[test]
    fn transaction_operations_are_implemented() {
        for name in [
            "TransactWriteItems",
            "TransactGetItems",
            "ExecuteStatement",
            "BatchExecuteStatement",
            "ExecuteTransaction",
        ] {
            let header = format!("{DYNAMODB_PREFIX}.{name}");
            assert!(
                matches!(parse_target(Some(&header)), Target::Implemented(op) if op.name() == name),
                "{name}"
            );
        }
    }

    #[test]
    fn describe_limits_and_endpoints_are_implemented() {
        assert_eq!(
            parse_target(Some("DynamoDB_20120810.DescribeLimits")),
            Target::Implemented(Operation::DescribeLimits)
        );
        assert_eq!(
            parse_target(Some("DynamoDB_20120810.DescribeEndpoints")),
            Target::Implemented(Operation::DescribeEndpoints)
        );
    }

    #[test]
    fn no_operation_is_both_implemented_and_not() {
        for op in Operation::ALL {
            assert!(!NOT_IMPLEMENTED_OPERATIONS.contains(&op.name()));
        }
    }
}
