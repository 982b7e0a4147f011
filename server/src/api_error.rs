//! Every error a request can end in, and its exact DynamoDB wire shape.
//!
//! The engine names DynamoDB's exceptions ([`shale_table::Error::exception_name`]);
//! this module is the only place that knows how they look on the wire: the `__type`
//! namespace, `message` vs `Message`, the HTTP status, and the extra members some
//! exceptions carry (ConditionalCheckFailedException's `Item`).

use hyper::StatusCode;
use serde::Serialize;
use shale_table as table;
use shale_table::types::Item;

use crate::constraints::{self, Violation};
use crate::enum_values::{self, lower_first, EnumViolation};

/// `__type` namespace of DynamoDB's own exceptions.
pub const DYNAMODB_NAMESPACE: &str = "com.amazonaws.dynamodb.v20120810";
/// `__type` namespace of the errors raised by AWS's RPC layer before DynamoDB sees the
/// request (unknown operation, undecodable body).
pub const CORAL_NAMESPACE: &str = "com.amazon.coral.service";
/// `__type` namespace of every ValidationException: DynamoDB's responses carry
/// `com.amazon.coral.validate#ValidationException` (a recorded eu-central-1 response in
/// aiobotocore's issue tracker; every validation test dynalite recorded against
/// DynamoDB). SDKs read only the name after `#`; raw-body matchers see the whole.
pub const VALIDATE_NAMESPACE: &str = "com.amazon.coral.validate";

/// Request bodies larger than this are refused with 413. DynamoDB's largest request is a
/// 16 MB batch; the margin covers JSON syntax and base64 overhead around it.
pub const MAX_REQUEST_BODY_BYTES: usize = 16 * 1024 * 1024 + 1024 * 1024;

/// The most of a client's header value an error message quotes.
pub const MAX_QUOTED_HEADER_CHARS: usize = 64;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The engine refused or failed the operation.
    #[error(transparent)]
    Engine(#[from] table::Error),
    /// The body is not JSON, a member has the wrong JSON type, or a binary is not base64.
    #[error("serialization: {detail}")]
    Serialization {
        /// serde's description, without its line/column suffix.
        detail: String,
    },
    /// A required member is missing.
    #[error("missing required member {member}")]
    MissingMember {
        /// The member's JSON name, e.g. `TableName`.
        member: String,
    },
    /// A table operation (CreateTable, DescribeTable, UpdateTable, DeleteTable) without
    /// its required `member`: DynamoDB words this one apart from the item operations'
    /// "Value null at 'tableName'" (dynalite's describeTable test, recorded against it).
    #[error("The parameter '{member}' is required but was not present in the request")]
    RequiredParameter {
        /// The member's JSON name.
        member: String,
    },
    /// Members break their declared constraints (`constraints`): every violation, as
    /// DynamoDB reports them together.
    #[error("{} constraint violations", .0.len())]
    Constraints(Vec<Violation>),
    /// A member of one of the common enums (`enum_values::ENUM_MEMBERS`) holds a value
    /// outside its set.
    #[error("value {:?} at {} is not one of {:?}", .0.value, .0.member, .0.allowed)]
    EnumValue(EnumViolation),
    /// A member's value is well-typed JSON but not a valid value (bad number, another
    /// enum's unknown value, malformed attribute value).
    #[error("invalid parameter: {detail}")]
    InvalidParameter {
        /// serde's description, without its line/column suffix.
        detail: String,
    },
    /// Missing or unknown `X-Amz-Target`.
    #[error("unknown operation")]
    UnknownOperation,
    /// A DynamoDB operation Shale does not implement yet.
    #[error("Shale does not implement the DynamoDB operation {operation} yet")]
    NotImplemented {
        /// The operation's name.
        operation: &'static str,
    },
    /// The body is over [`MAX_REQUEST_BODY_BYTES`].
    #[error("request body exceeds {limit_bytes} bytes")]
    BodyTooLarge {
        /// The limit.
        limit_bytes: usize,
    },
    /// The body, once decompressed (`Content-Encoding`), is over
    /// [`MAX_REQUEST_BODY_BYTES`]: a zip bomb, or a request too large however it is sent.
    /// Decompression stops at the limit, so no more than that is ever held.
    #[error("request body exceeds {limit_bytes} bytes once decoded from {coding}")]
    DecodedBodyTooLarge {
        /// The limit.
        limit_bytes: usize,
        /// The content coding, `gzip` or `deflate`.
        coding: &'static str,
    },
    /// `Content-Encoding` names a coding Shale does not decode (DynamoDB decodes gzip and
    /// deflate only).
    #[error(
        "Content-Encoding '{encoding}' is not supported: send the body as is, or with gzip or deflate"
    )]
    UnsupportedContentEncoding {
        /// The header's value, cut to [`MAX_QUOTED_HEADER_CHARS`] characters.
        encoding: String,
    },
    /// The body does not decode as its `Content-Encoding` says (truncated, corrupt, empty,
    /// or followed by other bytes).
    #[error("the request body is not valid {coding} data: {detail}")]
    UndecodableBody {
        /// The content coding, `gzip` or `deflate`.
        coding: &'static str,
        /// The decoder's description.
        detail: String,
    },
    /// The request body could not be read from the connection.
    #[error("reading the request body failed: {detail}")]
    BodyRead {
        /// hyper's description.
        detail: String,
    },
    /// The body did not arrive within its deadline
    /// ([`crate::limits::ServerLimits::body_deadline`]): a slow or stalled client. The
    /// connection is closed after the answer.
    #[error("the request body did not arrive within {seconds} s")]
    BodyTimeout {
        /// The deadline the body had, in whole seconds.
        seconds: u64,
    },
    /// The queue of engine calls waiting for the blocking pool is full
    /// ([`crate::limits::ServerLimits::max_queued_engine_calls`]): the server is
    /// overloaded. A ThrottlingException rather than a 500 InternalServerError: both are
    /// retried by every SDK, but throttling errors are retried with the SDKs' longer
    /// throttling backoff (the Java SDK waits 500 ms instead of 25 ms before the first
    /// retry, and standard-mode retry quotas treat them as transient), which is what an
    /// overloaded server needs; and nothing failed inside the server.
    #[error("Rate of requests exceeds the allowed throughput: the server's queue of {limit} engine calls is full")]
    EngineQueueFull {
        /// The queue's size.
        limit: usize,
    },
    /// The engine call panicked (inline on the event loop, or on a blocking-pool thread) or
    /// its blocking task was cancelled: a bug, never the client's fault.
    #[error("the engine task for {operation} did not complete: {detail}")]
    TaskFailed {
        /// The operation.
        operation: &'static str,
        /// The panic's message, as tokio describes a failed task.
        detail: String,
    },
    /// A response could not be encoded as JSON (a bug).
    #[error("encoding the {operation} response failed: {detail}")]
    ResponseEncoding {
        /// The operation.
        operation: &'static str,
        /// serde's description.
        detail: String,
    },
}

/// The JSON error body. Field order matches DynamoDB's (`__type` first).
#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "__type")]
    type_: String,
    #[serde(rename = "message", skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    /// AWS's RPC-layer exceptions capitalise it; botocore reads either.
    #[serde(rename = "Message", skip_serializing_if = "Option::is_none")]
    capital_message: Option<&'a str>,
    #[serde(rename = "Item", skip_serializing_if = "Option::is_none")]
    item: Option<&'a Item>,
    #[serde(
        rename = "CancellationReasons",
        skip_serializing_if = "Option::is_none"
    )]
    cancellation_reasons: Option<Vec<ReasonBody<'a>>>,
    /// ProvisionedThroughputExceededException's member, as botocore's model
    /// (`data/dynamodb/2012-08-10/service-2.json`) and the JavaScript SDK's spell it.
    #[serde(rename = "ThrottlingReasons", skip_serializing_if = "Option::is_none")]
    throttling_reasons: Option<[ThrottlingReasonBody<'a>; 1]>,
    /// ThrottlingException's: its model names the member in lower camel case
    /// (`throttlingReasons` in botocore's and the JavaScript SDK's models).
    #[serde(rename = "throttlingReasons", skip_serializing_if = "Option::is_none")]
    throttling_reasons_lower: Option<[ThrottlingReasonBody<'a>; 1]>,
}

/// One entry of `ThrottlingReasons`: why (`TableReadProvisionedThroughputExceeded`) and
/// which table or index, by ARN.
#[derive(Serialize)]
struct ThrottlingReasonBody<'a> {
    reason: String,
    resource: &'a str,
}

/// One entry of TransactionCanceledException's `CancellationReasons`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ReasonBody<'a> {
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<&'a Item>,
}

impl ApiError {
    /// Classifies a serde_json failure to decode `body` the way DynamoDB classifies the
    /// same mistakes: undecodable JSON or a wrong JSON type is a SerializationException, a
    /// missing member or an invalid value a ValidationException (with DynamoDB's own text
    /// for the common enums, located in `body`).
    pub fn from_json(e: &serde_json::Error, body: &[u8]) -> ApiError {
        let detail = strip_position(e);
        match e.classify() {
            serde_json::error::Category::Data => {
                if let Some(member) = missing_field_name(&detail) {
                    ApiError::MissingMember {
                        member: member.to_string(),
                    }
                } else if detail.starts_with("invalid type")
                    || detail.starts_with("invalid length")
                    || shale_table::types::is_blob_error(&detail)
                {
                    // A binary that is not base64 fails in DynamoDB's RPC layer, before
                    // validation: SerializationException, with the table layer's text.
                    ApiError::Serialization { detail }
                } else if let Some(violation) = enum_values::locate(&detail, body) {
                    ApiError::EnumValue(violation)
                } else {
                    ApiError::InvalidParameter { detail }
                }
            }
            _ => ApiError::Serialization { detail },
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Engine(e) if e.exception_name() == "InternalServerError" => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::TaskFailed { .. } | ApiError::ResponseEncoding { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::BodyTooLarge { .. } | ApiError::DecodedBodyTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The exception's short name, as SDKs report it (`ValidationException`, ...). Used for
    /// metrics labels and logs too.
    pub fn exception_name(&self) -> &'static str {
        match self {
            ApiError::Engine(e) => e.exception_name(),
            ApiError::Serialization { .. } => "SerializationException",
            ApiError::MissingMember { .. }
            | ApiError::RequiredParameter { .. }
            | ApiError::Constraints(_)
            | ApiError::EnumValue(_)
            | ApiError::InvalidParameter { .. } => "ValidationException",
            ApiError::UnknownOperation => "UnknownOperationException",
            // The engine reports unimplemented parameters as ValidationException (never
            // retried by SDKs, shown verbatim by the CLI); whole operations match it.
            ApiError::NotImplemented { .. } => "ValidationException",
            ApiError::BodyTooLarge { .. } | ApiError::DecodedBodyTooLarge { .. } => {
                "RequestEntityTooLargeException"
            }
            // DynamoDB answers both with a 500 (scylladb/scylladb's
            // test/alternator/test_compressed_request.py, run against DynamoDB), which every
            // SDK retries although no retry can succeed; Shale answers 400, like any other
            // body it cannot decode.
            ApiError::UnsupportedContentEncoding { .. } | ApiError::UndecodableBody { .. } => {
                "SerializationException"
            }
            ApiError::BodyRead { .. } => "SerializationException",
            ApiError::BodyTimeout { .. } => "RequestTimeoutException",
            ApiError::EngineQueueFull { .. } => "ThrottlingException",
            ApiError::TaskFailed { .. } | ApiError::ResponseEncoding { .. } => {
                "InternalServerError"
            }
        }
    }

    fn namespace(&self) -> &'static str {
        match self {
            ApiError::Serialization { .. }
            | ApiError::BodyRead { .. }
            | ApiError::BodyTimeout { .. }
            | ApiError::UnknownOperation
            | ApiError::BodyTooLarge { .. }
            | ApiError::DecodedBodyTooLarge { .. }
            | ApiError::UnsupportedContentEncoding { .. }
            | ApiError::UndecodableBody { .. } => CORAL_NAMESPACE,
            _ if self.exception_name() == "ValidationException" => VALIDATE_NAMESPACE,
            _ => DYNAMODB_NAMESPACE,
        }
    }

    /// The JSON body DynamoDB would send for this error.
    pub fn body(&self) -> Vec<u8> {
        let message: Option<String> = match self {
            ApiError::Engine(e) => Some(e.message()),
            // DynamoDB's own text for a missing member.
            ApiError::MissingMember { member } => Some(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
                 Member must not be null",
                lower_first(member)
            )),
            // DynamoDB's own text for a value outside an enum's set.
            ApiError::EnumValue(v) => Some(format!(
                "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: \
                 Member must satisfy enum value set: [{}]",
                v.value,
                v.member,
                v.allowed.join(", ")
            )),
            ApiError::Constraints(violations) => Some(constraints::message(violations)),
            ApiError::InvalidParameter { detail } => Some(detail.clone()),
            ApiError::Serialization { detail } => Some(detail.clone()),
            // DynamoDB's UnknownOperationException carries no message.
            ApiError::UnknownOperation => None,
            other => Some(other.to_string()),
        };
        let item = match self {
            ApiError::Engine(e) => conditional_check_item(e),
            _ => None,
        };
        let cancellation_reasons = match self {
            ApiError::Engine(table::Error::TransactionCanceled { reasons }) => Some(
                reasons
                    .iter()
                    .map(|r| ReasonBody {
                        code: r.code,
                        message: r.message.as_deref(),
                        item: r.item.as_ref(),
                    })
                    .collect(),
            ),
            _ => None,
        };
        let reasons = match self {
            ApiError::Engine(e) => e
                .throttling_reason()
                .zip(e.throttled_resource())
                .map(|(reason, resource)| [ThrottlingReasonBody { reason, resource }]),
            _ => None,
        };
        // ThrottlingException spells the member in lower camel case.
        let (throttling_reasons, throttling_reasons_lower) =
            if matches!(self, ApiError::Engine(table::Error::Throttling { .. })) {
                (None, reasons)
            } else {
                (reasons, None)
            };
        let capitalised = self.namespace() == CORAL_NAMESPACE;
        let body = ErrorBody {
            type_: format!("{}#{}", self.namespace(), self.exception_name()),
            message: message.as_deref().filter(|_| !capitalised),
            capital_message: message.as_deref().filter(|_| capitalised),
            item,
            cancellation_reasons,
            throttling_reasons,
            throttling_reasons_lower,
        };
        // An error body of strings and an engine item always encodes; the fallback keeps
        // the contract "every error has a JSON body" even if that ever changes.
        serde_json::to_vec(&body).unwrap_or_else(|_| {
            format!(
                "{{\"__type\":\"{}#{}\"}}",
                self.namespace(),
                self.exception_name()
            )
            .into_bytes()
        })
    }
}

/// The old item of a failed condition, when the request asked for it with
/// `ReturnValuesOnConditionCheckFailure=ALL_OLD`.
fn conditional_check_item(e: &table::Error) -> Option<&Item> {
    match e {
        table::Error::ConditionalCheckFailed { item, .. } => item.as_ref(),
        _ => None,
    }
}

/// serde_json appends " at line L column C"; DynamoDB's messages have no positions.
fn strip_position(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(s) => s.to_string(),
        None => full,
    }
}

/// `missing field `TableName`` → `TableName`.
fn missing_field_name(detail: &str) -> Option<&str> {
    detail
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(e: &ApiError) -> serde_json::Value {
        serde_json::from_slice(&e.body()).expect("error bodies are JSON")
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Probe {
        table_name: String,
        limit: Option<u32>,
    }

    fn classify(body: &str) -> ApiError {
        let e = serde_json::from_str::<Probe>(body).expect_err("must fail");
        ApiError::from_json(&e, body.as_bytes())
    }

    #[test]
    fn malformed_json_is_a_serialization_exception_with_capital_message() {
        let e = classify("{\"TableName\": ");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let v = json(&e);
        assert_eq!(
            v["__type"],
            "com.amazon.coral.service#SerializationException"
        );
        assert!(v["Message"].is_string());
        assert!(v.get("message").is_none());
    }

    #[test]
    fn wrong_json_type_is_a_serialization_exception() {
        let e = classify("{\"TableName\": 5}");
        assert!(matches!(e, ApiError::Serialization { .. }), "{e:?}");
        assert!(!e.body().windows(4).any(|w| w == b"line"));
    }

    #[test]
    fn missing_member_uses_dynamodbs_validation_text() {
        let e = classify("{}");
        let v = json(&e);
        assert_eq!(v["__type"], "com.amazon.coral.validate#ValidationException");
        assert_eq!(
            v["message"],
            "1 validation error detected: Value null at 'tableName' failed to satisfy \
             constraint: Member must not be null"
        );
    }

    #[test]
    fn unknown_enum_value_uses_dynamodbs_constraint_text() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        #[allow(dead_code)]
        struct WithEnum {
            return_values: Option<shale_table::shapes::ReturnValue>,
        }
        let body = r#"{"ReturnValues": "FOO"}"#;
        let e = serde_json::from_str::<WithEnum>(body).expect_err("must fail");
        let e = ApiError::from_json(&e, body.as_bytes());
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let v = json(&e);
        assert_eq!(
            v,
            serde_json::json!({
                "__type": "com.amazon.coral.validate#ValidationException",
                "message": "1 validation error detected: Value 'FOO' at 'returnValues' failed to \
                            satisfy constraint: Member must satisfy enum value set: [ALL_NEW, \
                            UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
            })
        );
    }

    #[test]
    fn unknown_operation_has_no_message() {
        let v = json(&ApiError::UnknownOperation);
        assert_eq!(
            v,
            serde_json::json!({"__type": "com.amazon.coral.service#UnknownOperationException"})
        );
    }

    #[test]
    fn not_implemented_says_so() {
        let e = ApiError::NotImplemented {
            operation: "ExecuteStatement",
        };
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let v = json(&e);
        assert_eq!(v["__type"], "com.amazon.coral.validate#ValidationException");
        assert!(v["message"]
            .as_str()
            .unwrap()
            .contains("does not implement the DynamoDB operation ExecuteStatement"));
    }

    #[test]
    fn backup_and_restore_errors_are_400_with_their_own_exception_names() {
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/T/backup/01700000000000-0000abcd";
        let cases = [
            (
                table::Error::TableNotFound {
                    table_name: "T".into(),
                },
                "TableNotFoundException",
                "Table not found: T".to_string(),
            ),
            (
                table::Error::TableAlreadyExists {
                    table_name: "T".into(),
                },
                "TableAlreadyExistsException",
                "Table already exists: T".to_string(),
            ),
            (
                table::Error::BackupNotFound {
                    backup_arn: arn.into(),
                },
                "BackupNotFoundException",
                format!("Backup not found: {arn}"),
            ),
            (
                table::Error::BackupInUse {
                    backup_arn: arn.into(),
                },
                "BackupInUseException",
                format!("Backup is being used to restore another table: {arn}"),
            ),
            (
                table::Error::PointInTimeRecoveryUnavailable {
                    table_name: "T".into(),
                },
                "PointInTimeRecoveryUnavailableException",
                "Point in time recovery is not enabled for table 'T'".to_string(),
            ),
            (
                table::Error::InvalidRestoreTime {
                    requested: "2026-01-01T00:00:00Z".into(),
                    earliest: "2026-01-02T00:00:00Z".into(),
                    latest: "2026-01-03T00:00:00Z".into(),
                },
                "InvalidRestoreTimeException",
                "RestoreDateTime '2026-01-01T00:00:00Z' must be within \
                 EarliestRestorableDateTime '2026-01-02T00:00:00Z' and \
                 LatestRestorableDateTime '2026-01-03T00:00:00Z'"
                    .to_string(),
            ),
        ];
        for (error, name, message) in cases {
            let e = ApiError::from(error);
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{name}");
            // The metrics outcome label.
            assert_eq!(e.exception_name(), name);
            assert_eq!(
                json(&e),
                serde_json::json!({
                    "__type": format!(
                        "{}#{name}",
                        if name == "ValidationException" {
                            VALIDATE_NAMESPACE
                        } else {
                            DYNAMODB_NAMESPACE
                        }
                    ),
                    "message": message,
                })
            );
        }
    }

    #[test]
    fn internal_faults_are_500() {
        let e = ApiError::TaskFailed {
            operation: "GetItem",
            detail: "panicked".into(),
        };
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            json(&e)["__type"],
            "com.amazonaws.dynamodb.v20120810#InternalServerError"
        );
    }
}
