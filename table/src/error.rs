//! The table layer's public error: one variant per DynamoDB exception kind.
//!
//! The HTTP frontend turns an [`Error`] into DynamoDB's JSON error shape with
//! [`Error::exception_name`] and [`Error::message`]; nothing here knows about HTTP.

use crate::expr::ExprError;
use crate::types::{DecodeError, Item, TypeError};
use shale_engine::StorageError;

/// What kind of named resource an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourceKind {
    /// A table.
    Table,
    /// A global or local secondary index.
    Index,
    /// The resource of a tagging operation, named by its ARN.
    TaggedResource,
    /// A stream, named by its ARN.
    Stream,
}

/// What is wrong with a resource-based policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyProblem {
    /// Over the 20 KB limit.
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// Not JSON, or JSON but not an object.
    NotAJsonObject,
}

/// Why a request failed DynamoDB's input validation. Each variant renders DynamoDB's
/// `ValidationException` message from its structured fields.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A name parameter (table or index) has the wrong length.
    #[error("1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must have length {constraint}")]
    NameLength {
        /// The request field ("tableName", "indexName").
        field: &'static str,
        /// The offending value.
        value: String,
        /// "greater than or equal to 3" / "less than or equal to 255".
        constraint: &'static str,
    },
    /// A resource-based policy document Shale cannot store: DynamoDB's limit is 20 KB,
    /// white space counted, and a policy is a JSON object. (DynamoDB also checks the
    /// policy's grammar, which Shale, not evaluating policies, does not.)
    #[error("{}", match .problem { PolicyProblem::TooLarge { bytes } => format!("Resource-based policy document is {bytes} bytes, more than the 20 KB limit"), PolicyProblem::NotAJsonObject => "Resource-based policy document is not a JSON object".to_string() })]
    PolicyDocument {
        /// What is wrong with it.
        problem: PolicyProblem,
    },
    /// A table name outside 3 to 255 characters given to a table operation (CreateTable,
    /// DescribeTable, UpdateTable, DeleteTable, UpdateTimeToLive, DescribeTimeToLive),
    /// which DynamoDB checks before the name's other constraints and reports in words of
    /// its own (dynalite's describeTable, createTable and updateTimeToLive tests, recorded
    /// against DynamoDB).
    #[error("TableName must be at least 3 characters long and at most 255 characters long")]
    TableNameLength,
    /// An auto scaling policy Shale cannot apply (Shale's own configuration; in AWS it
    /// is Application Auto Scaling's).
    #[error("Invalid auto scaling policy for {side} capacity: {problem}")]
    AutoScaling {
        /// "read" or "write".
        side: &'static str,
        /// What is wrong.
        problem: AutoScalingProblem,
    },
    /// A name parameter has a character outside `[a-zA-Z0-9_.-]`.
    #[error("1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")]
    NamePattern {
        /// The request field.
        field: &'static str,
        /// The offending value.
        value: String,
    },
    /// A numeric parameter is out of its allowed range.
    #[error("1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must have value {constraint}")]
    OutOfRange {
        /// The request field ("limit", "segment", ...).
        field: &'static str,
        /// The offending value.
        value: i64,
        /// The constraint, e.g. "greater than or equal to 1".
        constraint: &'static str,
    },
    /// A list parameter has too many or too few members.
    #[error("1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length {constraint}")]
    ListLength {
        /// The request field.
        field: &'static str,
        /// The constraint, e.g. "less than or equal to 25".
        constraint: &'static str,
    },
    /// A required parameter is missing.
    #[error("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null")]
    Missing {
        /// The request field.
        field: &'static str,
    },
    /// The key schema is malformed (wrong element count or key types).
    #[error("{0}")]
    KeySchema(KeySchemaError),
    /// An item lacks one of the table's key attributes.
    #[error("One or more parameter values were invalid: Missing the key {attribute} in the item")]
    MissingKeyInItem {
        /// The key attribute's name.
        attribute: String,
    },
    /// UpdateTimeToLive asked to enable TTL on a table where it is on.
    #[error("TimeToLive is already enabled")]
    TimeToLiveAlreadyEnabled,
    /// UpdateTimeToLive asked to disable TTL on a table where it is off.
    #[error("TimeToLive is already disabled")]
    TimeToLiveAlreadyDisabled,
    /// UpdateTimeToLive's attribute name is empty (dynalite's updateTimeToLive test,
    /// recorded against DynamoDB).
    #[error("TimeToLiveSpecification.AttributeName must be non empty")]
    TimeToLiveAttributeNameEmpty,
    /// UpdateTimeToLive's attribute name is longer than 255 bytes.
    #[error("1 validation error detected: Value '{value}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length between 1 and 255")]
    TimeToLiveAttributeName {
        /// The offending name.
        value: String,
    },
    /// A key given to Get/Update/Delete does not match the schema (missing or extra attributes).
    #[error("The provided key element does not match the schema")]
    KeyMismatch,
    /// An index key attribute in an item has the wrong type.
    #[error("One or more parameter values were invalid: Type mismatch for Index Key {attribute} Expected: {expected} Actual: {actual} IndexName: {index}")]
    IndexKeyTypeMismatch {
        /// The index key attribute.
        attribute: String,
        /// The type from AttributeDefinitions.
        expected: &'static str,
        /// The type given.
        actual: &'static str,
        /// The index.
        index: String,
    },
    /// ReturnValues has a value this operation does not accept.
    /// DynamoDB's text names no operation ("ReturnValues can only be ALL_OLD or NONE", as
    /// dynalite recorded it and others verified against us-east-1).
    #[error("ReturnValues can only be {allowed}")]
    ReturnValuesNotAllowed {
        /// The operation.
        operation: &'static str,
        /// The allowed values, as DynamoDB lists them.
        allowed: &'static str,
    },
    /// The index named in a Query or Scan does not exist.
    #[error("The table does not have the specified index: {index}")]
    NoSuchIndex {
        /// The index name.
        index: String,
    },
    /// ConsistentRead on a GSI.
    #[error("Consistent reads are not supported on global secondary indexes")]
    ConsistentReadOnGsi,
    /// A GSI with ProvisionedThroughput on an on-demand table (dynalite's CreateTable
    /// tests, recorded against DynamoDB, have this text).
    #[error("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: {index} when BillingMode is PAY_PER_REQUEST")]
    IndexThroughputOnDemand {
        /// The index.
        index: String,
    },
    /// A Query without a key condition.
    #[error("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")]
    NoKeyCondition,
    /// A ProjectionExpression (or an update's path) that reaches into a key attribute
    /// (`a.b`, `a[0]`): key attributes are scalars. DynamoDB's text, as dynalite's tests
    /// recorded it: `Key: a` for the table's key, `IndexKey: d` for an index's.
    #[error("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: {kind}: {attribute}")]
    NonScalarKeyAccess {
        /// "Key" or "IndexKey".
        kind: &'static str,
        /// The key attribute.
        attribute: String,
    },
    /// A Query's FilterExpression reads a key attribute of the table or index queried
    /// (the Developer Guide: "A filter expression cannot contain partition key or sort
    /// key attributes"). DynamoDB's text, as production logs quote it (e.g. "Filter
    /// Expression can only contain non-primary key attributes: Primary key attribute:
    /// SK"); moto and other emulators accept such a filter, so it is found in production.
    #[error("Filter Expression can only contain non-primary key attributes: Primary key attribute: {attribute}")]
    FilterOnKey {
        /// The key attribute.
        attribute: String,
    },
    /// ExclusiveStartKey does not fit the schema.
    #[error("The provided starting key is invalid: {reason}")]
    BadStartKey {
        /// What is wrong.
        reason: StartKeyProblem,
    },
    /// Select is inconsistent with other parameters.
    #[error("{0}")]
    Select(SelectError),
    /// Segment given without TotalSegments or vice versa, or Segment ≥ TotalSegments.
    #[error("{0}")]
    Segment(SegmentError),
    /// A point-in-time recovery or backup request is malformed.
    #[error("{0}")]
    Backup(BackupValidation),
    /// A TagResource or UntagResource request is malformed.
    #[error("{0}")]
    Tag(TagValidation),
    /// A streams request, or a stream change in UpdateTable, is malformed.
    #[error("{0}")]
    Stream(StreamValidation),
    /// Duplicate keys in a BatchGetItem or BatchWriteItem.
    #[error("Provided list of item keys contains duplicates")]
    DuplicateKeys,
    /// A batch request is empty.
    #[error("The requestItems parameter is required for {operation}")]
    EmptyBatch {
        /// The operation.
        operation: &'static str,
    },
    /// A BatchWriteItem WriteRequest has neither or both of PutRequest and DeleteRequest.
    #[error("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")]
    BadWriteRequest,
    /// One table's list of BatchWriteItem requests is empty or longer than 25: DynamoDB's
    /// map-value constraint on `RequestItems`, whose value it quotes as Java renders the
    /// map (`{Table=[com.amazonaws.dynamodb.v20120810.WriteRequest@caad9cb8, ...]}`, as
    /// recorded in boto/boto3#483 and elegantdevelopment/aws-cdk-dynamodb-seeder#3; the
    /// object hashes here are Shale's own).
    #[error("1 validation error detected: Value '{value}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")]
    BatchWriteListLength {
        /// The request map, rendered as DynamoDB quotes it.
        value: String,
    },
    /// Too many tables/indexes/keys/requests.
    #[error("Too many items requested for the {operation} call")]
    TooManyItems {
        /// The operation.
        operation: &'static str,
    },
    /// UpdateTable with nothing to change.
    #[error("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")]
    NothingToUpdate,
    /// Provisioned throughput given/missing against the billing mode.
    #[error("{0}")]
    Throughput(ThroughputError),
    /// Several constraint violations of one request, in DynamoDB's order: "N validation
    /// errors detected: A; B" (each part is its single error's text after "1 validation
    /// error detected: "). Recorded for DynamoDB in openstack/magnetodb's PutItem test
    /// (an empty tableName: its pattern, then its length) and by the ack-api-quirks
    /// catalogue (DDB-TABLE-058: writeCapacityUnits, then readCapacityUnits).
    #[error("{} validation errors detected: {}", .0.len(), several_details(.0))]
    Several(Vec<ValidationError>),
    /// A GSI to create or delete is invalid.
    #[error("{0}")]
    IndexUpdate(IndexUpdateError),
    /// An item attribute value failed type validation (its message carries DynamoDB's
    /// "One or more parameter values were invalid" prefix where DynamoDB has one).
    #[error("{0}")]
    Type(#[from] TypeError),
    /// An expression failed to parse, validate or apply.
    #[error("{0}")]
    Expr(#[from] ExprError),
    /// Legacy (pre-expression) and expression parameters in one request. Both lists are
    /// in DynamoDB's order (DynamoDB Local's `validateMixingOldStyleWithExpressions`):
    /// AttributeUpdates, AttributesToGet, Expected, QueryFilter, ScanFilter,
    /// ConditionalOperator, KeyConditions; UpdateExpression, ProjectionExpression,
    /// ConditionExpression, FilterExpression, KeyConditionExpression.
    #[error("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}", .legacy.join(", "), .expression.join(", "))]
    MixedLegacyAndExpression {
        /// The legacy parameters present.
        legacy: Vec<&'static str>,
        /// The expression parameters present.
        expression: Vec<&'static str>,
    },
    /// A legacy parameter (`Expected`, `AttributeUpdates`, `KeyConditions`,
    /// `QueryFilter`, `ScanFilter`, `ConditionalOperator`, `AttributesToGet`) is invalid.
    #[error("{0}")]
    Legacy(#[from] LegacyError),
    /// A Query or Scan on a GSI that is still backfilling.
    #[error("Cannot read from backfilling global secondary index: {index}")]
    IndexBackfilling {
        /// The index.
        index: String,
    },
    /// Select=ALL_ATTRIBUTES on a GSI that does not project all attributes.
    #[error("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {index} because its projection type is not ALL")]
    AllAttributesOnPartialGsi {
        /// The index.
        index: String,
    },
    /// DeleteTable on a table with deletion protection.
    #[error("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")]
    DeletionProtected,
    /// Two actions of one TransactWriteItems or TransactGetItems name the same item.
    #[error("Transaction request cannot include multiple operations on one item")]
    TransactionItemTwice,
    /// A TransactWriteItem with none or several of ConditionCheck, Put, Update, Delete
    /// (DynamoDB's text, as moto records it from the service: getmoto/moto#5521).
    #[error("TransactItems can only contain one of Check, Put, Update or Delete")]
    TransactActionChoice,
    /// The items of a TransactWriteItems add up to more than 4 MB. DynamoDB's exact text
    /// for this case is not in its documentation; this one names the limit.
    #[error(
        "Transaction request size of {size_bytes} bytes exceeds the limit of {limit_bytes} bytes"
    )]
    TransactionTooLarge {
        /// The items' total size by DynamoDB's rules.
        size_bytes: usize,
        /// The limit (4 MB).
        limit_bytes: usize,
    },
    /// A PartiQL statement or request failed validation.
    #[error("{0}")]
    Partiql(#[from] crate::partiql::PartiqlError),
    /// A ClientRequestToken outside 1 to 36 characters.
    #[error("1 validation error detected: Value '{value}' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36")]
    ClientRequestTokenLength {
        /// The token given.
        value: String,
    },
    /// An update expression tried to change a key attribute.
    #[error("One or more parameter values were invalid: Cannot update attribute {attribute}. This attribute is part of the key")]
    UpdatesKey {
        /// The key attribute.
        attribute: String,
    },
}

/// Why a legacy (pre-expression) parameter was refused. The texts are DynamoDB's: from
/// the DynamoDB API reference where it has them, else as recorded against the service by
/// dynalite's tests (architect/dynalite test/query.js, test/updateItem.js) and as
/// DynamoDB Local raises them (its `ErrorFactory` and `InputConverter`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LegacyError {
    /// Too few or too many values for the operator (NULL and NOT_NULL take none,
    /// BETWEEN two, IN one or more, the others one).
    #[error("One or more parameter values were invalid: Invalid number of argument(s) for the {operator} ComparisonOperator")]
    ArgumentCount {
        /// The operator, as DynamoDB spells it.
        operator: &'static str,
    },
    /// A value of a type the operator does not take (e.g. a set for LT).
    #[error("One or more parameter values were invalid: ComparisonOperator {operator} is not valid for {type_tag} AttributeValue type")]
    OperatorType {
        /// The operator.
        operator: &'static str,
        /// The value's type tag.
        type_tag: &'static str,
    },
    /// An AttributeValueList whose values have different types.
    #[error("One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type")]
    MixedTypes,
    /// BETWEEN with its lower bound above its upper bound.
    #[error("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")]
    BetweenReversed,
    /// An Expected entry with both Exists and ComparisonOperator.
    #[error("One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: {attribute}")]
    ExistsWithOperator {
        /// The attribute.
        attribute: String,
    },
    /// An Expected entry with both Value and AttributeValueList.
    #[error("One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: {attribute}")]
    ValueWithList {
        /// The attribute.
        attribute: String,
    },
    /// An Expected entry with AttributeValueList but no ComparisonOperator.
    #[error("One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: {attribute}")]
    ListWithoutOperator {
        /// The attribute.
        attribute: String,
    },
    /// An Expected entry with Exists false and a Value.
    #[error("One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: {attribute}")]
    ValueWhenNotExists {
        /// The attribute.
        attribute: String,
    },
    /// An Expected entry whose operator needs a value but has none.
    #[error("One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: {operator} for Attribute: {attribute}")]
    OperatorWithoutValue {
        /// The operator.
        operator: &'static str,
        /// The attribute.
        attribute: String,
    },
    /// An Expected entry with neither a value nor `Exists: false`.
    #[error("One or more parameter values were invalid: Value must be provided when Exists is {exists} for Attribute: {attribute}")]
    ExistsWithoutValue {
        /// "null" (Exists absent) or "true".
        exists: &'static str,
        /// The attribute.
        attribute: String,
    },
    /// ConditionalOperator without Expected, QueryFilter or ScanFilter (or with an
    /// empty one).
    #[error("ConditionalOperator cannot be used without Filter or Expected")]
    ConditionalOperatorAlone,
    /// ConditionalOperator with a single condition.
    #[error(
        "ConditionalOperator can only be used when Filter or Expected has two or more elements"
    )]
    ConditionalOperatorWithOne,
    /// KeyConditions with no entry or more than two.
    #[error("Conditions can be of length 1 or 2 only")]
    KeyConditionCount,
    /// KeyConditions without the partition key, or with two entries one of which is not
    /// the sort key.
    #[error("Query condition missed key schema element: {attribute}")]
    KeyConditionMissedKey {
        /// The key attribute with no condition.
        attribute: String,
    },
    /// A key condition with NULL, NOT_NULL, CONTAINS, NOT_CONTAINS or IN.
    #[error("Attempted conditional constraint is not an indexable operation")]
    NotIndexable,
    /// A key condition other than EQ on the partition key, NE on a key, or a sort-key
    /// condition on a table or index without a sort key.
    #[error("Query key condition not supported")]
    KeyConditionNotSupported,
    /// A QueryFilter on a key attribute of the table or index queried.
    #[error("QueryFilter can only contain non-primary key attributes: Primary key attribute: {attribute}")]
    QueryFilterOnKey {
        /// The key attribute.
        attribute: String,
    },
    /// An AttributeUpdates entry without a value whose action is not DELETE.
    #[error("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")]
    UpdateWithoutValue,
    /// DELETE with a value that is not a set.
    #[error("One or more parameter values were invalid: DELETE action with value is not supported for the type {type_tag}")]
    DeleteType {
        /// The value's type tag.
        type_tag: &'static str,
    },
    /// ADD with a value that is not a number, set or list.
    #[error("One or more parameter values were invalid: ADD action is not supported for the type {type_tag}")]
    AddType {
        /// The value's type tag.
        type_tag: &'static str,
    },
    /// ADD or DELETE whose value's type differs from the stored attribute's.
    #[error("Type mismatch for attribute to update")]
    UpdateTypeMismatch,
    /// AttributesToGet names an attribute twice.
    #[error(
        "One or more parameter values were invalid: Duplicate value in attribute name: {attribute}"
    )]
    DuplicateAttributeToGet {
        /// The attribute.
        attribute: String,
    },
    /// An empty AttributesToGet.
    #[error("1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1")]
    EmptyAttributesToGet,
}

/// What is wrong with a key schema in CreateTable/UpdateTable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum KeySchemaError {
    /// Not one HASH (+ optionally one RANGE) element, in that order.
    #[error("1 validation error detected: Value at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2")]
    TooManyElements,
    /// No elements.
    #[error("1 validation error detected: Value at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1")]
    Empty,
    /// The first element is not HASH, or two HASH/RANGE elements.
    #[error("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")]
    FirstNotHash,
    /// Two elements name the same attribute.
    #[error("Invalid KeySchema: Some index key attribute have no definition")]
    DuplicateAttribute,
    /// The second element is not RANGE.
    #[error("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")]
    SecondNotRange,
    /// A GSI's multi-attribute key has a HASH element after a RANGE one (DynamoDB's text,
    /// recorded from live responses in alchemy-run/alchemy PR #1216 and an AWS error
    /// catalogue; `docs/table-layer.md` lists the sources).
    #[error("One or more parameter values were invalid: All HASH key attributes must precede RANGE key attributes in the KeySchema")]
    HashAfterRange,
    /// A GSI's key has more than four HASH or more than four RANGE attributes.
    #[error("One or more parameter values were invalid: The KeySchema exceeds the maximum allowed number of {key_type} key attributes")]
    TooManyKeyAttributes {
        /// "HASH" or "RANGE".
        key_type: &'static str,
    },
    /// A GSI's multi-attribute key names one attribute twice.
    #[error("One or more parameter values were invalid: The KeySchema contains multiple key attributes with the same name")]
    RepeatedKeyAttribute,
    /// A key attribute has no AttributeDefinition.
    #[error("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{keys}], AttributeDefinitions: [{definitions}]")]
    Undefined {
        /// The key attribute names, comma-separated.
        keys: String,
        /// The defined names, comma-separated.
        definitions: String,
    },
    /// AttributeDefinitions lists attributes that no key uses.
    #[error("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")]
    UnusedDefinitions,
    /// An attribute is defined twice.
    #[error("Cannot have two attributes with the same name")]
    DuplicateDefinition,
    /// A key or index attribute name is empty or over 255 bytes.
    #[error("One or more parameter values were invalid: Key attribute name length must be between 1 and 255 bytes: {attribute}")]
    AttributeNameLength {
        /// The attribute name (possibly truncated for display).
        attribute: String,
    },
    /// An LSI has a different partition key from the table.
    #[error("One or more parameter values were invalid: Index KeySchema does not have a range key for index: {index}")]
    LsiWithoutRange {
        /// The index.
        index: String,
    },
    /// An LSI's partition key differs from the table's.
    #[error("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")]
    LsiOnHashOnlyTable,
    /// An LSI's partition key differs from the table's.
    #[error("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {index}. index hash key: {index_hash}, table hash key: {table_hash}")]
    LsiHashMismatch {
        /// The index.
        index: String,
        /// The index's partition key.
        index_hash: String,
        /// The table's partition key.
        table_hash: String,
    },
    /// Two indexes share a name.
    #[error("One or more parameter values were invalid: Duplicate index name: {index}")]
    DuplicateIndexName {
        /// The index.
        index: String,
    },
    /// More than 5 LSIs or 20 GSIs.
    #[error("One or more parameter values were invalid: Number of {kind} exceeds per-table limit of {limit}")]
    TooManyIndexes {
        /// "LocalSecondaryIndexes" / "GlobalSecondaryIndexes".
        kind: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A projection is malformed.
    #[error("{0}")]
    Projection(ProjectionError),
}

/// What is wrong with an index projection.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectionError {
    /// NonKeyAttributes with a projection type other than INCLUDE.
    #[error("One or more parameter values were invalid: ProjectionType is {projection_type}, but NonKeyAttributes is specified")]
    NonKeyAttributesNotAllowed {
        /// The projection type given.
        projection_type: &'static str,
    },
    /// INCLUDE without NonKeyAttributes.
    #[error("One or more parameter values were invalid: Unknown ProjectionType: null")]
    MissingProjectionType,
    /// INCLUDE without attributes.
    #[error("One or more parameter values were invalid: NonKeyAttributes must not be empty")]
    EmptyNonKeyAttributes,
    /// Over 100 projected attributes across all indexes.
    #[error("One or more parameter values were invalid: Number of projected attributes in all indexes exceeds limit of {limit}")]
    TooManyProjectedAttributes {
        /// The limit.
        limit: usize,
    },
}

/// What is wrong with an ExclusiveStartKey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartKeyProblem {
    /// A key attribute is missing or has the wrong type.
    #[error("The provided key element does not match the schema")]
    DoesNotMatchSchema,
    /// The key is outside the queried partition or scanned segment.
    #[error("The provided starting key is outside query boundaries based on provided conditions")]
    OutsideBoundaries,
    /// The key is outside the scan segment.
    #[error("The provided starting key does not match the range key predicate")]
    OutsideSegment,
}

/// Inconsistent Select parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// SPECIFIC_ATTRIBUTES without a projection.
    #[error("1 validation error detected: Value at 'select' failed to satisfy constraint: SPECIFIC_ATTRIBUTES requires ProjectionExpression or AttributesToGet")]
    SpecificWithoutProjection,
    /// A projection with a Select other than SPECIFIC_ATTRIBUTES.
    /// DynamoDB names the parameter, and COUNT as "only the Count" (moto's
    /// `test_attributes_to_get_rejected_for_non_specific_select`, verified against AWS).
    #[error("Cannot specify the {parameter} when choosing to get {}", if *.select == "COUNT" { "only the Count" } else { .select })]
    ProjectionWithSelect {
        /// "ProjectionExpression" or "AttributesToGet".
        parameter: &'static str,
        /// The Select value.
        select: &'static str,
    },
    /// ALL_PROJECTED_ATTRIBUTES without an index.
    #[error("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")]
    AllProjectedWithoutIndex,
}

/// Inconsistent parallel-scan parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SegmentError {
    /// Segment without TotalSegments.
    #[error("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")]
    MissingTotalSegments,
    /// TotalSegments without Segment.
    #[error("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")]
    MissingSegment,
    /// Segment ≥ TotalSegments.
    #[error("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is not less than TotalSegments: {total_segments}")]
    SegmentNotBelowTotal {
        /// Segment.
        segment: u32,
        /// TotalSegments.
        total_segments: u32,
    },
}

/// ProvisionedThroughput inconsistent with the billing mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ThroughputError {
    /// PROVISIONED without ProvisionedThroughput.
    #[error("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")]
    MissingForProvisioned,
    /// PAY_PER_REQUEST with ProvisionedThroughput.
    #[error("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")]
    GivenForOnDemand,
    /// UpdateTable asks for the throughput the table has. DynamoDB's text, as recorded in
    /// cortexproject/cortex PR #441 and aws/aws-sdk-ruby issue #475.
    #[error("The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {read}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for the table: {write}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.")]
    Unchanged {
        /// The read capacity units, current and requested.
        read: i64,
        /// The write capacity units, current and requested.
        write: i64,
    },
    /// Units below 1.
    #[error("1 validation error detected: Value '{value}' at 'provisionedThroughput.{field}' failed to satisfy constraint: Member must have value greater than or equal to 1")]
    BelowOne {
        /// "readCapacityUnits" / "writeCapacityUnits".
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// An OnDemandThroughput maximum that is neither positive nor -1 (which clears it):
    /// DynamoDB's text as the ack-api-quirks catalogue recorded it (DDB-TABLE-051/-178).
    #[error("One or more parameter values were invalid: Requested {member} for OnDemandThroughput for table is outside of valid range")]
    OnDemandOutOfRange {
        /// "MaxReadRequestUnits" / "MaxWriteRequestUnits".
        member: &'static str,
    },
    /// Units above 10^12: DynamoDB's bound on the member, checked after the lower bound
    /// and the billing mode, reads first (dynalite's `validations/createTable.js` and
    /// `updateTable.js`, recorded against DynamoDB).
    #[error("Given value {value} for {member} is out of bounds")]
    OutOfBounds {
        /// "ReadCapacityUnits" / "WriteCapacityUnits".
        member: &'static str,
        /// The value given.
        value: i64,
    },
    /// OnDemandThroughput given for a PROVISIONED table (or for a GSI of one). DynamoDB's
    /// two wordings, as the ack-api-quirks catalogue recorded them: CreateTable's
    /// (DDB-TABLE-038/-128: "when table BillingMode", a final period) and UpdateTable's
    /// (DDB-TABLE-059/-153: "when the table BillingMode", no period); an index is named
    /// as "for index: <name>" on CreateTable and "for index : <name>" on UpdateTable.
    #[error("One or more parameter values were invalid: {member} for OnDemandThroughput {}cannot be specified when {}", on_demand_index_words(.index.as_deref(), *.on_create), if *.on_create { "table BillingMode is PROVISIONED." } else { "the table BillingMode is PROVISIONED" })]
    OnDemandOnProvisioned {
        /// "MaxReadRequestUnits" / "MaxWriteRequestUnits".
        member: &'static str,
        /// The GSI, when the maximum was given for one.
        index: Option<String>,
        /// CreateTable (true) or UpdateTable.
        on_create: bool,
    },
    /// Both units below 1: DynamoDB's two errors, writes first.
    #[error("2 validation errors detected: Value '{write}' at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1; Value '{read}' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1")]
    BothBelowOne {
        /// ReadCapacityUnits given.
        read: i64,
        /// WriteCapacityUnits given.
        write: i64,
    },
}

/// "for index: g " (CreateTable) or "for index : g " (UpdateTable), or nothing for the
/// table: how [`ThroughputError::OnDemandOnProvisioned`] names an index.
fn on_demand_index_words(index: Option<&str>, on_create: bool) -> String {
    match index {
        Some(i) if on_create => format!("for index: {i} "),
        Some(i) => format!("for index : {i} "),
        None => String::new(),
    }
}

/// Invalid GlobalSecondaryIndexUpdates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IndexUpdateError {
    /// An update entry with none or several of Create/Update/Delete.
    #[error("One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Update, or GlobalSecondaryIndexUpdate.Delete must be specified")]
    NoAction,
    /// More than one index change per UpdateTable.
    #[error("Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")]
    MoreThanOne,
    /// Creating an index that exists.
    #[error("One or more parameter values were invalid: Index with name: {index} already exists")]
    AlreadyExists {
        /// The index.
        index: String,
    },
}

/// One entry of a TransactionCanceledException.
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationReason {
    /// "None", "ConditionalCheckFailed", ...
    pub code: &'static str,
    /// A message, if any.
    pub message: Option<String>,
    /// The old item, when requested.
    pub item: Option<Item>,
}

/// How a backup or point-in-time recovery request fails validation. The texts are the
/// ones DynamoDB answers with (recorded from live responses: see
/// `docs/pitr-and-backups.md`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackupValidation {
    /// RecoveryPeriodInDays with PointInTimeRecoveryEnabled=false.
    #[error("Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.")]
    PeriodWhenDisabling,
    /// Both or neither of RestoreDateTime and UseLatestRestorableTime.
    #[error("Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both")]
    RestoreTimeChoice,
    /// Both SourceTableName and SourceTableArn.
    #[error("Must provide exactly one of: sourceTableArn, sourceTableName")]
    SourceChoice,
    /// Neither SourceTableName nor SourceTableArn.
    #[error("The parameter 'TableName' is required but was not present in the request")]
    NoSource,
    /// A table ARN that does not parse.
    #[error("Invalid TableArn: {arn}")]
    InvalidTableArn {
        /// The ARN given.
        arn: String,
    },
    /// A backup ARN that does not parse.
    #[error("Invalid Backup ARN")]
    InvalidBackupArn,
    /// ListBackups' time range is inverted.
    #[error("One or more parameter values were invalid: Time range lower bound must be less than or equal to upper bound")]
    TimeRangeInverted,
    /// ProvisionedThroughputOverride without a PROVISIONED billing mode.
    #[error(
        "Invalid Request: Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED"
    )]
    ThroughputWithoutProvisioned,
    /// BillingModeOverride=PROVISIONED from an on-demand table, without throughput.
    #[error("Invalid Request: Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED")]
    ProvisionedWithoutThroughput,
    /// An index override names an index the source does not have.
    #[error("Invalid Request: Index {index} does not match a secondary index that existed in the source table and cannot be created during the restore operation")]
    UnknownIndexOverride {
        /// The index.
        index: String,
    },
    /// An export's or import's bucket name breaks DynamoDB's pattern (which also keeps
    /// it one path segment: no `/`, no `..`).
    #[error("1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$")]
    S3BucketPattern {
        /// "s3Bucket" / "s3BucketSource.s3Bucket".
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// An export prefix or import key prefix that would leave its bucket's directory
    /// (Shale's own text: DynamoDB's S3 takes any key).
    #[error("Invalid {field} '{value}': Shale maps it to a directory, so it must be a relative path without empty, '.' or '..' segments")]
    S3PathOutsideBucket {
        /// "s3Prefix" / "s3BucketSource.s3KeyPrefix".
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A CSV delimiter other than one of `,;:|`, tab and space.
    #[error("1 validation error detected: Value '{value}' at 'inputFormatOptions.csv.delimiter' failed to satisfy constraint: Member must satisfy regular expression pattern: [,;:|\\t ]")]
    CsvDelimiter {
        /// The value given.
        value: String,
    },
    /// An export ARN that does not parse.
    #[error("Invalid ExportArn: {arn}")]
    InvalidExportArn {
        /// The ARN given.
        arn: String,
    },
    /// An import ARN that does not parse.
    #[error("Invalid ImportArn: {arn}")]
    InvalidImportArn {
        /// The ARN given.
        arn: String,
    },
    /// ExportTableToPointInTime or ImportTable on a database without an export
    /// directory (`DatabaseOptions::export_dir`): Shale's own text.
    #[error("{operation} needs an export directory (DatabaseOptions::export_dir): shale-server keeps exports in <data-dir>/exports, and an in-memory server has none")]
    NoExportDirectory {
        /// "ExportTableToPointInTime" / "ImportTable".
        operation: &'static str,
    },
    /// A ListExports or ListImports NextToken this server did not hand out.
    #[error("Invalid NextToken: {token}")]
    InvalidNextToken {
        /// The token given.
        token: String,
    },
}

/// How a DynamoDB Streams request, or UpdateTable's StreamSpecification, fails
/// validation. The UpdateTable texts were recorded against DynamoDB (us-west-2, 2026-10);
/// "Invalid StreamArn" is what aws-sdk-js's integration test matches against DynamoDB
/// Streams; the iterator and sequence-number texts were never captured from AWS (ScyllaDB's
/// AWS-run `test/alternator/test_streams.py` checks only the type), so they follow
/// Alternator's wording. `docs/streams.md` lists them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamValidation {
    /// UpdateTable enables a stream on a table that has one.
    #[error("Table already has an enabled stream: TableName: {table_name}")]
    AlreadyEnabled {
        /// The table.
        table_name: String,
    },
    /// UpdateTable disables a stream on a table without one.
    #[error("Table has no stream to disable: TableName: {table_name}")]
    NothingToDisable {
        /// The table.
        table_name: String,
    },
    /// StreamEnabled true without StreamViewType.
    #[error("One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required")]
    ViewTypeRequired,
    /// StreamEnabled false with StreamViewType.
    #[error("One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified")]
    ViewTypeNotAllowed,
    /// A StreamArn that is not a stream ARN.
    #[error("Invalid StreamArn")]
    InvalidStreamArn,
    /// A ShardIterator Shale did not issue (or damaged).
    #[error("Invalid ShardIterator")]
    InvalidShardIterator,
    /// DescribeStream's ShardFilter without the ShardId whose children it asks for
    /// (DynamoDB's text for this case was not found recorded).
    #[error("1 validation error detected: ShardId is required in ShardFilter")]
    ShardFilterWithoutShardId,
    /// AT_ or AFTER_SEQUENCE_NUMBER without a SequenceNumber.
    #[error("1 validation error detected: SequenceNumber is required for ShardIteratorType {iterator_type}")]
    SequenceNumberRequired {
        /// The iterator type.
        iterator_type: &'static str,
    },
    /// TRIM_HORIZON or LATEST with a SequenceNumber.
    #[error("1 validation error detected: SequenceNumber must not be specified for ShardIteratorType {iterator_type}")]
    SequenceNumberNotAllowed {
        /// The iterator type.
        iterator_type: &'static str,
    },
    /// A SequenceNumber that is not one of this shard's.
    #[error("Invalid SequenceNumber {sequence_number} for shard {shard_id}")]
    InvalidSequenceNumber {
        /// The sequence number given.
        sequence_number: String,
        /// The shard.
        shard_id: String,
    },
    /// A stream on a backend that cannot read its commit log.
    #[error("One or more parameter values were invalid: streams need a backend with a commit log, and the {backend} backend has none")]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
    },
}

/// How a TagResource, UntagResource or ListTagsOfResource request fails validation.
/// The texts are DynamoDB's, as recorded from live responses and by emulators checked
/// against it (dynalite's `test/tagResource.js`, ScyllaDB's `test/alternator/test_tag.py`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TagValidation {
    /// No ResourceArn at all, which DynamoDB checks before anything else in a tagging
    /// request (dynalite's tagResource test, recorded against DynamoDB; an empty one is
    /// refused alike, where DynamoDB's IAM check answers AccessDeniedException).
    #[error("Invalid TableArn")]
    NoResourceArn,
    /// ResourceArn is not a table ARN of this account and region (an index ARN too).
    #[error("Invalid TableArn: Invalid ResourceArn provided as input {arn}")]
    InvalidResourceArn {
        /// The ARN given.
        arn: String,
    },
    /// TagResource with an empty Tags list.
    #[error("Atleast one Tag needs to be provided as Input.")]
    NoTags,
    /// UntagResource with an empty TagKeys list.
    #[error("Atleast one Tag Key needs to be provided as Input.")]
    NoTagKeys,
    /// A key of 0 or more than 128 characters, or with a character outside the set.
    #[error("The Tag Key provided is invalid, Key: {key}")]
    InvalidKey {
        /// The key given.
        key: String,
    },
    /// A missing value, one of more than 256 characters, or one with a character outside
    /// the set (`null` when absent).
    #[error("The Tag Value provided is invalid, Value: {}", .value.as_deref().unwrap_or("null"))]
    InvalidValue {
        /// The value given.
        value: Option<String>,
    },
    /// A key in the reserved `aws:` namespace.
    #[error("Tag Key cannot be prefixed with aws:, Key: {key}")]
    ReservedPrefix {
        /// The key given.
        key: String,
    },
    /// The same key twice in one request.
    #[error("Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// More than 50 tags on the resource after the change, or in one request
    /// (a ValidationException, not a LimitExceededException).
    #[error("Number of Tags exceed the current limit for the provided ResourceArn")]
    TooManyTags,
}

/// Which capacity a throttled request ran out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CapacityOperation {
    /// Read capacity (RCU).
    Read,
    /// Write capacity (WCU).
    Write,
}

/// What is wrong with an auto scaling policy (`capacity::AutoScaling`).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AutoScalingProblem {
    /// The target utilisation is outside 20–90 %.
    #[error("target utilization {percent} is not between 20 and 90 percent")]
    Target {
        /// The value given.
        percent: f64,
    },
    /// The bounds are not `1 <= min <= max`.
    #[error("minimum {min} and maximum {max} must satisfy 1 <= minimum <= maximum")]
    Bounds {
        /// The minimum given.
        min: i64,
        /// The maximum given.
        max: i64,
    },
}

/// The parts of a [`ValidationError::Several`]: each error's text without its
/// "1 validation error detected: " prefix, joined by "; ".
fn several_details(errors: &[ValidationError]) -> String {
    errors
        .iter()
        .map(|e| {
            let text = e.to_string();
            text.strip_prefix("1 validation error detected: ")
                .map(str::to_owned)
                .unwrap_or(text)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl ValidationError {
    /// `errors` as one error: the single one, or [`ValidationError::Several`]. `None`
    /// when there are none.
    pub(crate) fn combined(mut errors: Vec<ValidationError>) -> Option<ValidationError> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(ValidationError::Several(errors)),
        }
    }
}

/// Which limit a throttled request hit: the `<LimitType>` of DynamoDB's ThrottlingReason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThrottleLimit {
    /// The table's or GSI's provisioned throughput (`ProvisionedThroughputExceeded`).
    Provisioned,
    /// OnDemandThroughput's maximum (`MaxOnDemandThroughputExceeded`).
    MaxOnDemand,
    /// A partition's own limit (3,000 RCU / 1,000 WCU by default), or an on-demand
    /// table's capacity while it scales to a new peak (`KeyRangeThroughputExceeded`).
    KeyRange,
}

impl ThrottleLimit {
    fn reason_word(self) -> &'static str {
        match self {
            ThrottleLimit::Provisioned => "ProvisionedThroughputExceeded",
            ThrottleLimit::MaxOnDemand => "MaxOnDemandThroughputExceeded",
            ThrottleLimit::KeyRange => "KeyRangeThroughputExceeded",
        }
    }
}

/// The table layer's error. `exception_name()` gives DynamoDB's exception type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// ValidationException.
    #[error("{0}")]
    Validation(#[from] ValidationError),
    /// ConditionalCheckFailedException; `item` is the old item when
    /// ReturnValuesOnConditionCheckFailure=ALL_OLD was asked for (and the item existed).
    #[error("The conditional request failed")]
    ConditionalCheckFailed {
        /// The item as it was, if requested.
        item: Option<Item>,
    },
    /// ResourceNotFoundException.
    #[error("Requested resource not found{}", match .name { Some(n) => format!(": {}: {} not found", match .kind { ResourceKind::Table => "Table", ResourceKind::Index => "Index", ResourceKind::TaggedResource => "ResourcArn", ResourceKind::Stream => "Stream" }, n), None => String::new() })]
    ResourceNotFound {
        /// What kind of resource.
        kind: ResourceKind,
        /// Its name, when DynamoDB's message includes it (control-plane calls).
        name: Option<String>,
    },
    /// ResourceInUseException: the table exists, or is not ACTIVE for this change.
    #[error("{}", match .reason { InUseReason::AlreadyExists => format!("Table already exists: {}", .table_name), InUseReason::NotActive { status } => format!("Attempt to change a resource which is still in use: Table is being {}: {}", status, .table_name) })]
    ResourceInUse {
        /// The table.
        table_name: String,
        /// Why.
        reason: InUseReason,
    },
    /// ItemCollectionSizeLimitExceededException: a partition of a table with LSIs is over
    /// the item-collection limit.
    #[error("Item collection size limit exceeded. Collection size: {size_bytes} bytes, limit: {limit_bytes} bytes")]
    ItemCollectionSizeLimitExceeded {
        /// The table.
        table_name: String,
        /// The collection's size after the rejected write.
        size_bytes: u64,
        /// The limit.
        limit_bytes: u64,
    },
    /// LimitExceededException: too many tables, or too many concurrent control-plane ops.
    #[error("Subscriber limit exceeded: {what} limit of {limit} reached")]
    LimitExceeded {
        /// Which limit.
        what: &'static str,
        /// Its value.
        limit: u64,
    },
    /// LimitExceededException: provisioned units above the per-table (or per-index)
    /// maximum (`CapacityOptions::table_max_read_units` and `_write_units`; DynamoDB's
    /// default quota is 40,000 each). The table's text is DynamoDB's, recorded on
    /// CreateTable and UpdateTable (ack-api-quirks DDB-TABLE-443, and quoted whole by an
    /// Application Auto Scaling failure). The index's was recorded only in part ("... for
    /// index <IDX>, <N>, is above the per index maximum ..."); the rest follows the
    /// table's. Reads are checked first.
    #[error("The requested {member}{}, {value}, is above the per {} maximum for the account in {region}. Per {} maximum: {maximum}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.", .index.as_ref().map(|i| format!(" for index {i}")).unwrap_or_default(), if .index.is_some() { "index" } else { "table" }, if .index.is_some() { "index" } else { "table" })]
    ThroughputAboveMaximum {
        /// "ReadCapacityUnits" / "WriteCapacityUnits".
        member: &'static str,
        /// The units asked for.
        value: i64,
        /// The GSI, when its throughput was the one asked for.
        index: Option<String>,
        /// The database's region.
        region: String,
        /// The maximum.
        maximum: u64,
    },
    /// LimitExceededException: an OnDemandThroughput maximum above the per-table maximum
    /// (the same quota as [`Error::ThroughputAboveMaximum`]). DynamoDB's text, recorded
    /// on UpdateTable (ack-api-quirks DDB-TABLE-443, "also 'for index : <IDX>'"); Shale
    /// gives it on CreateTable too.
    #[error("Subscriber limit exceeded: Requested {member} for OnDemandThroughput for {} exceeds {quota} of the account in region {region}", .index.as_ref().map_or_else(|| "table".to_owned(), |i| format!("index : {i}")))]
    OnDemandAboveMaximum {
        /// "MaxReadRequestUnits" / "MaxWriteRequestUnits".
        member: &'static str,
        /// "TableMaxReadCapacityUnits" / "TableMaxWriteCapacityUnits".
        quota: &'static str,
        /// The GSI, when its maximum was the one asked for.
        index: Option<String>,
        /// The database's region.
        region: String,
    },
    /// LimitExceededException: a provisioned throughput decrease beyond DynamoDB's daily
    /// budget (four per UTC day, then one per 3600 s after the last accepted one). The
    /// text is DynamoDB's as recorded on 2026-10-09 (ack-api-quirks DDB-TABLE-326).
    #[error("Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. After the first 4 decreases, each subsequent decrease in the same UTC day can be performed at most once every 3600 seconds. Number of decreases today: {decreases_today}. Last decrease at {}. Next decrease can be made at {}", crate::utc_text::full_text(*.last_decrease_micros), crate::utc_text::full_text(*.next_decrease_micros))]
    ThroughputDecreaseLimit {
        /// The table.
        table_name: String,
        /// Decreases accepted in the current UTC day.
        decreases_today: i64,
        /// When the last one was accepted, µs since the epoch.
        last_decrease_micros: u64,
        /// The earliest time the next may be made.
        next_decrease_micros: u64,
    },
    /// LimitExceededException: a switch to PAY_PER_REQUEST beyond four in a rolling
    /// 24 hours (the developer guide's rule). The text follows DynamoDB's recorded one
    /// for the older once-a-day rule (serverless/serverless#3183) with the count the
    /// current rule allows, in the "limited to N times in D day(s)" form DynamoDB uses
    /// for TableClass updates; the exact current text was not found recorded.
    #[error("Subscriber limit exceeded: Update to PayPerRequest mode are limited to {limit} times in 1 day(s). Last update at {}. Next update can be made at {}", crate::utc_text::java_date_text(*.last_switch_micros), crate::utc_text::java_date_text(*.next_switch_micros))]
    PayPerRequestSwitchLimit {
        /// The table.
        table_name: String,
        /// Switches allowed per rolling day.
        limit: usize,
        /// The newest switch in the window, µs since the epoch.
        last_switch_micros: u64,
        /// When the oldest switch in the window leaves it.
        next_switch_micros: u64,
    },
    /// ProvisionedThroughputExceededException: a provisioned table's or GSI's partition
    /// had no tokens left (`crate::capacity`). DynamoDB's two messages: one for the
    /// table, one when a GSI's capacity was exceeded (which also throttles the base
    /// table's writes).
    #[error("{}", if .index_name.is_some() { "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API" } else { "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API." })]
    ProvisionedThroughputExceeded {
        /// The table.
        table_name: String,
        /// The GSI whose capacity was exceeded, if it was not the table's.
        index_name: Option<String>,
        /// Read or write capacity.
        operation: CapacityOperation,
        /// `Provisioned`, or `KeyRange` for a partition over its own limit.
        limit: ThrottleLimit,
        /// The ARN of the table or GSI throttled (ThrottlingReason's `resource`).
        resource: String,
    },
    /// ThrottlingException: an on-demand table or GSI over its OnDemandThroughput maximum,
    /// or over twice its previous peak while it scales (`capacity::on_demand`).
    #[error("Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html")]
    Throttling {
        /// The table.
        table_name: String,
        /// The GSI, if it was not the table that was over its maximum.
        index_name: Option<String>,
        /// Read or write capacity.
        operation: CapacityOperation,
        /// `MaxOnDemand`, or `KeyRange` (a partition's limit, or scaling).
        limit: ThrottleLimit,
        /// The ARN of the table or GSI throttled (ThrottlingReason's `resource`).
        resource: String,
    },
    /// TransactionCanceledException.
    #[error("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", .reasons.iter().map(|r| r.code).collect::<Vec<_>>().join(", "))]
    TransactionCanceled {
        /// One reason per action.
        reasons: Vec<CancellationReason>,
    },
    /// TransactionConflictException: a single-item write (PutItem, UpdateItem,
    /// DeleteItem, a BatchWriteItem member) found its item held by a transaction in
    /// flight. Retryable: the transaction finishes in microseconds.
    #[error("Transaction is ongoing for the item")]
    TransactionConflict,
    /// DuplicateItemException: a PartiQL INSERT of a key that exists.
    #[error("Duplicate primary key exists in table")]
    DuplicateItem,
    /// IdempotentParameterMismatchException: a ClientRequestToken used, within its
    /// 10-minute window, by a request with other parameters.
    #[error("Request parameters do not match the previous request with the same client token")]
    IdempotentParameterMismatch,
    /// TransactionInProgressException: a ClientRequestToken whose first request is still
    /// running.
    #[error("A transaction with the same client token is in progress")]
    TransactionInProgress,
    /// TableNotFoundException: backup and point-in-time calls name a missing table this way
    /// (not as ResourceNotFoundException).
    #[error("Table not found: {table_name}")]
    TableNotFound {
        /// The table.
        table_name: String,
    },
    /// TableAlreadyExistsException: a restore's target exists.
    #[error("Table already exists: {table_name}")]
    TableAlreadyExists {
        /// The table.
        table_name: String,
    },
    /// BackupNotFoundException.
    #[error("Backup not found: {backup_arn}")]
    BackupNotFound {
        /// The backup.
        backup_arn: String,
    },
    /// BackupInUseException: a restore from this backup is running.
    #[error("Backup is being used to restore another table: {backup_arn}")]
    BackupInUse {
        /// The backup.
        backup_arn: String,
    },
    /// PointInTimeRecoveryUnavailableException.
    #[error("Point in time recovery is not enabled for table '{table_name}'")]
    PointInTimeRecoveryUnavailable {
        /// The source table.
        table_name: String,
    },
    /// InvalidRestoreTimeException: the time is outside the table's restorable window.
    /// Times are ISO 8601 (UTC, seconds).
    #[error("RestoreDateTime '{requested}' must be within EarliestRestorableDateTime '{earliest}' and LatestRestorableDateTime '{latest}'")]
    InvalidRestoreTime {
        /// The time asked for.
        requested: String,
        /// The window's start.
        earliest: String,
        /// The window's end.
        latest: String,
    },
    /// InvalidExportTimeException: ExportTime is outside the table's point-in-time
    /// recovery window (DynamoDB's text; the time is kept for the caller, ISO 8601).
    #[error("Export Time is invalid")]
    InvalidExportTime {
        /// The time asked for.
        export_time: String,
    },
    /// ExportNotFoundException.
    #[error("Export not found: {export_arn}")]
    ExportNotFound {
        /// The export.
        export_arn: String,
    },
    /// ImportNotFoundException.
    #[error("Import not found: {import_arn}")]
    ImportNotFound {
        /// The import.
        import_arn: String,
    },
    /// ResourceNotFoundException for a stream's shard (DynamoDB's text, recorded from
    /// GetShardIterator with an unknown ShardId).
    #[error("Requested resource not found: Shard does not exist")]
    ShardNotFound {
        /// The shard asked for.
        shard_id: String,
    },
    /// ExpiredIteratorException: a shard iterator older than 15 minutes (the message is
    /// the AWS model's documented one).
    #[error("The provided iterator exceeds the maximum age allowed.")]
    ExpiredIterator,
    /// TrimmedDataAccessException: the position is older than the stream's 24-hour
    /// retention (DynamoDB's text).
    #[error("The data you are trying to access has been trimmed")]
    TrimmedDataAccess,
    /// PolicyNotFoundException: the resource has no resource-based policy, or not the
    /// revision the request expected. DynamoDB's texts were not found recorded; these
    /// name the ARN and the revisions.
    #[error("Resource-based policy not found for the provided ResourceArn: {arn}{}", match (.expected_revision, .current_revision) { (Some(e), Some(c)) => format!(" (expected revision {e}, current revision {c})"), (Some(e), None) => format!(" (expected revision {e}, no policy)"), _ => String::new() })]
    PolicyNotFound {
        /// The resource's ARN.
        arn: String,
        /// The revision the request expected, if it named one.
        expected_revision: Option<String>,
        /// The revision the resource has, if it has a policy.
        current_revision: Option<String>,
    },
    /// An operation or parameter Shale does not implement yet.
    #[error("Shale does not implement {operation} yet")]
    NotImplemented {
        /// The operation or parameter.
        operation: &'static str,
    },
    /// A request member DynamoDB has and Shale does not implement yet (CreateTable's
    /// VectorIndexes, UpdateTable's ReplicaUpdates, ...): refused, not ignored.
    #[error("Shale does not implement the {parameter} parameter of {operation} yet")]
    ParameterNotImplemented {
        /// The operation.
        operation: &'static str,
        /// The member, by its wire name.
        parameter: &'static str,
    },
    /// A stored catalog record failed validation.
    #[error("corrupt catalog record for key {key:02x?}: {reason}")]
    CorruptCatalog {
        /// The backend key.
        key: Vec<u8>,
        /// What check failed.
        reason: CatalogCorruption,
    },
    /// A stored item or index record failed to decode.
    #[error("corrupt stored item at key {key:02x?}: {source}")]
    CorruptItem {
        /// The backend key.
        key: Vec<u8>,
        /// The codec error.
        #[source]
        source: DecodeError,
    },
    /// A stream's change record in the commit log failed to decode.
    #[error("corrupt stream record in commit log batch {seq}: {reason}")]
    CorruptStreamRecord {
        /// The batch's sequence number.
        seq: u64,
        /// What check failed.
        reason: &'static str,
    },
    /// InternalServerError: the storage failed.
    #[error("internal storage error: {0}")]
    Internal(#[from] StorageError),
}

/// Why a table is "in use".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InUseReason {
    /// CreateTable for a name that exists.
    AlreadyExists,
    /// A change to a table that is CREATING/UPDATING/DELETING.
    NotActive {
        /// "created", "updated", "deleted".
        status: &'static str,
    },
}

/// How a catalog record failed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogCorruption {
    /// Shorter than its header.
    #[error("record shorter than its header")]
    Truncated,
    /// Wrong magic.
    #[error("bad magic")]
    BadMagic,
    /// Unknown format version.
    #[error("unsupported version {0}")]
    UnsupportedVersion(u8),
    /// CRC32 mismatch.
    #[error("checksum mismatch: expected {expected:#010x}, actual {actual:#010x}")]
    ChecksumMismatch {
        /// Stored checksum.
        expected: u32,
        /// Computed checksum.
        actual: u32,
    },
    /// The payload did not decode.
    #[error("payload does not decode")]
    BadPayload,
}

impl From<TypeError> for Error {
    fn from(e: TypeError) -> Self {
        Error::Validation(ValidationError::Type(e))
    }
}

impl From<ExprError> for Error {
    fn from(e: ExprError) -> Self {
        Error::Validation(ValidationError::Expr(e))
    }
}

impl From<BackupValidation> for Error {
    fn from(e: BackupValidation) -> Self {
        Error::Validation(ValidationError::Backup(e))
    }
}

impl From<crate::partiql::PartiqlError> for Error {
    fn from(e: crate::partiql::PartiqlError) -> Self {
        Error::Validation(ValidationError::Partiql(e))
    }
}

impl From<StreamValidation> for Error {
    fn from(e: StreamValidation) -> Self {
        Error::Validation(ValidationError::Stream(e))
    }
}

impl From<TagValidation> for Error {
    fn from(e: TagValidation) -> Self {
        Error::Validation(ValidationError::Tag(e))
    }
}

impl From<KeySchemaError> for Error {
    fn from(e: KeySchemaError) -> Self {
        Error::Validation(ValidationError::KeySchema(e))
    }
}

impl Error {
    /// DynamoDB's exception type name for this error, as it appears after `#` in the
    /// `__type` field of an error response.
    pub fn exception_name(&self) -> &'static str {
        match self {
            Error::Validation(_) => "ValidationException",
            Error::ConditionalCheckFailed { .. } => "ConditionalCheckFailedException",
            Error::ResourceNotFound { .. } => "ResourceNotFoundException",
            Error::PolicyNotFound { .. } => "PolicyNotFoundException",
            Error::ResourceInUse { .. } => "ResourceInUseException",
            Error::ItemCollectionSizeLimitExceeded { .. } => {
                "ItemCollectionSizeLimitExceededException"
            }
            Error::LimitExceeded { .. }
            | Error::ThroughputAboveMaximum { .. }
            | Error::OnDemandAboveMaximum { .. }
            | Error::ThroughputDecreaseLimit { .. }
            | Error::PayPerRequestSwitchLimit { .. } => "LimitExceededException",
            Error::ProvisionedThroughputExceeded { .. } => "ProvisionedThroughputExceededException",
            Error::Throttling { .. } => "ThrottlingException",
            Error::TransactionCanceled { .. } => "TransactionCanceledException",
            Error::TransactionConflict => "TransactionConflictException",
            Error::DuplicateItem => "DuplicateItemException",
            Error::IdempotentParameterMismatch => "IdempotentParameterMismatchException",
            Error::TransactionInProgress => "TransactionInProgressException",
            Error::TableNotFound { .. } => "TableNotFoundException",
            Error::TableAlreadyExists { .. } => "TableAlreadyExistsException",
            Error::BackupNotFound { .. } => "BackupNotFoundException",
            Error::ShardNotFound { .. } => "ResourceNotFoundException",
            Error::ExpiredIterator => "ExpiredIteratorException",
            Error::TrimmedDataAccess => "TrimmedDataAccessException",
            Error::BackupInUse { .. } => "BackupInUseException",
            Error::PointInTimeRecoveryUnavailable { .. } => {
                "PointInTimeRecoveryUnavailableException"
            }
            Error::InvalidRestoreTime { .. } => "InvalidRestoreTimeException",
            Error::InvalidExportTime { .. } => "InvalidExportTimeException",
            Error::ExportNotFound { .. } => "ExportNotFoundException",
            Error::ImportNotFound { .. } => "ImportNotFoundException",

            // DynamoDB has no such exception; a ValidationException is what SDKs handle
            // as "your request cannot be served", and it is never retried.
            Error::NotImplemented { .. } | Error::ParameterNotImplemented { .. } => {
                "ValidationException"
            }
            Error::CorruptCatalog { .. }
            | Error::CorruptItem { .. }
            | Error::CorruptStreamRecord { .. }
            | Error::Internal(_) => "InternalServerError",
        }
    }

    /// The human-readable message DynamoDB would put in the error response.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Whether this is a server-side fault (HTTP 500) rather than the caller's (400).
    pub fn is_internal(&self) -> bool {
        self.exception_name() == "InternalServerError"
    }

    /// The ARN of the table or GSI a throttled request was refused by (ThrottlingReason's
    /// `resource`), `None` for other errors.
    pub fn throttled_resource(&self) -> Option<&str> {
        match self {
            Error::ProvisionedThroughputExceeded { resource, .. }
            | Error::Throttling { resource, .. } => Some(resource),
            _ => None,
        }
    }

    /// DynamoDB's ThrottlingReason `reason` for a throttled request
    /// (`<Table|Index><Read|Write><LimitType>`, e.g. `TableWriteProvisionedThroughputExceeded`),
    /// `None` for other errors.
    pub fn throttling_reason(&self) -> Option<String> {
        let (index_name, operation, limit) = match self {
            Error::ProvisionedThroughputExceeded {
                index_name,
                operation,
                limit,
                ..
            }
            | Error::Throttling {
                index_name,
                operation,
                limit,
                ..
            } => (index_name, operation, limit.reason_word()),
            _ => return None,
        };
        let resource = if index_name.is_some() {
            "Index"
        } else {
            "Table"
        };
        let op = match operation {
            CapacityOperation::Read => "Read",
            CapacityOperation::Write => "Write",
        };
        Some(format!("{resource}{op}{limit}"))
    }

    /// A ResourceNotFound for a table, without its name (as item operations report it).
    pub(crate) fn table_not_found() -> Self {
        Error::ResourceNotFound {
            kind: ResourceKind::Table,
            name: None,
        }
    }

    /// A ResourceNotFound naming the table (as control-plane operations report it).
    pub(crate) fn named_table_not_found(name: &str) -> Self {
        Error::ResourceNotFound {
            kind: ResourceKind::Table,
            name: Some(name.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_names_and_messages_match_dynamodb() {
        let e = Error::ConditionalCheckFailed { item: None };
        assert_eq!(e.exception_name(), "ConditionalCheckFailedException");
        assert_eq!(e.message(), "The conditional request failed");
        let e = Error::named_table_not_found("Users");
        assert_eq!(e.exception_name(), "ResourceNotFoundException");
        assert_eq!(
            e.message(),
            "Requested resource not found: Table: Users not found"
        );
        assert_eq!(
            Error::table_not_found().message(),
            "Requested resource not found"
        );
        let e = Error::from(ValidationError::MissingKeyInItem {
            attribute: "UserId".into(),
        });
        assert_eq!(e.exception_name(), "ValidationException");
        assert_eq!(
            e.message(),
            "One or more parameter values were invalid: Missing the key UserId in the item"
        );
        let e = Error::ResourceInUse {
            table_name: "T".into(),
            reason: InUseReason::AlreadyExists,
        };
        assert_eq!(e.message(), "Table already exists: T");
        // ProvisionedThroughputExceeded: mifi/dynamodump#20 and quintilesims/layer0#229
        // quote DynamoDB's table message, grailbio/reflow#101 its GSI message.
        let e = Error::ProvisionedThroughputExceeded {
            table_name: "T".into(),
            index_name: None,
            operation: CapacityOperation::Write,
            limit: ThrottleLimit::Provisioned,
            resource: "arn:aws:dynamodb:us-east-1:000000000000:table/T".into(),
        };
        assert_eq!(e.exception_name(), "ProvisionedThroughputExceededException");
        assert_eq!(
            e.throttled_resource(),
            Some("arn:aws:dynamodb:us-east-1:000000000000:table/T")
        );
        assert_eq!(
            e.message(),
            "The level of configured provisioned throughput for the table was exceeded. \
             Consider increasing your provisioning level with the UpdateTable API."
        );
        assert_eq!(
            e.throttling_reason().as_deref(),
            Some("TableWriteProvisionedThroughputExceeded")
        );
        let e = Error::ProvisionedThroughputExceeded {
            table_name: "T".into(),
            index_name: Some("G".into()),
            operation: CapacityOperation::Write,
            limit: ThrottleLimit::Provisioned,
            resource: "arn:aws:dynamodb:us-east-1:000000000000:table/T/index/G".into(),
        };
        assert!(e
            .message()
            .starts_with("The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded."));
        assert_eq!(
            e.throttling_reason().as_deref(),
            Some("IndexWriteProvisionedThroughputExceeded")
        );
        // ThrottlingException: praetorian-inc/chariot-ui#684 and cowinapi/developer.cowin#151.
        let e = Error::Throttling {
            table_name: "T".into(),
            index_name: None,
            operation: CapacityOperation::Read,
            limit: ThrottleLimit::MaxOnDemand,
            resource: "arn:aws:dynamodb:us-east-1:000000000000:table/T".into(),
        };
        assert_eq!(e.exception_name(), "ThrottlingException");
        assert!(e
            .message()
            .starts_with("Throughput exceeds the current capacity of your table or index."));
        assert_eq!(
            e.throttling_reason().as_deref(),
            Some("TableReadMaxOnDemandThroughputExceeded")
        );
        assert_eq!(Error::TransactionConflict.throttled_resource(), None);
        let e = Error::Internal(StorageError::Closed);
        assert!(e.is_internal());
        assert_eq!(e.exception_name(), "InternalServerError");
    }
}
