//! `http:URL`: any DynamoDB-compatible endpoint over its JSON API.
//!
//! Requests are `POST /` with `X-Amz-Target: DynamoDB_20120810.<Op>` and
//! `Content-Type: application/x-amz-json-1.0`, plus a dummy SigV4-shaped `Authorization`
//! header (local servers accept any credentials). The harness creates the table
//! [`TABLE_NAME`] with hash key [`KEY_ATTRIBUTE`] (S), on-demand billing, as YCSB's
//! DynamoDB binding expects (`primaryKey=YCSB_KEY`); an existing table is reused.
//!
//! Operations, as YCSB's DynamoDB binding issues them: read = GetItem with
//! `ConsistentRead`, insert = PutItem of all fields, update = UpdateItem `SET #f = :v` on one
//! field, scan = Scan with `ExclusiveStartKey` = the start key and `Limit` = the remaining
//! count, paging on `LastEvaluatedKey` (DynamoDB scans in hash order, so the records read
//! are "the next ones after the start key in the table's order", not a key range).
//! Throttling exceptions are counted as throttles, not errors.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::{Durability, Target, TargetError};
use crate::target::FIELD_COUNT;

/// The YCSB table name.
pub const TABLE_NAME: &str = "usertable";
/// The hash key attribute (YCSB's DynamoDB binding default `primaryKey`).
pub const KEY_ATTRIBUTE: &str = "YCSB_KEY";
/// Per-request timeout: a hung endpoint becomes an error, not a hung benchmark.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Scan pages followed for one YCSB scan before giving up (each page returns ≥ 1 item
/// unless the table ends, so 100 pages cover the longest YCSB scan).
const MAX_SCAN_PAGES: usize = 100;
/// Polls of DescribeTable waiting for ACTIVE after CreateTable.
const MAX_ACTIVE_POLLS: usize = 100;

/// The builders of DynamoDB JSON requests for YCSB operations, shared with the table
/// target so both send exactly the same shapes.
pub mod requests {
    use super::*;

    /// `field<i>`.
    pub fn field_name(i: usize) -> String {
        format!("field{i}")
    }

    /// `{"YCSB_KEY": {"S": key}}`.
    pub fn key(key: &str) -> Value {
        json!({ KEY_ATTRIBUTE: { "S": key } })
    }

    /// A string attribute value from field bytes (YCSB values are printable ASCII; any
    /// other byte is replaced rather than producing invalid UTF-8).
    pub fn s(bytes: &[u8]) -> Value {
        json!({ "S": String::from_utf8_lossy(bytes) })
    }

    /// CreateTable for the YCSB table.
    pub fn create_table() -> Value {
        json!({
            "TableName": TABLE_NAME,
            "AttributeDefinitions": [{ "AttributeName": KEY_ATTRIBUTE, "AttributeType": "S" }],
            "KeySchema": [{ "AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH" }],
            "BillingMode": "PAY_PER_REQUEST"
        })
    }

    /// PutItem of a whole record.
    pub fn put_item(key: &str, fields: &[Vec<u8>]) -> Value {
        let mut item = Map::new();
        item.insert(KEY_ATTRIBUTE.into(), json!({ "S": key }));
        for (i, f) in fields.iter().enumerate() {
            item.insert(field_name(i), s(f));
        }
        json!({ "TableName": TABLE_NAME, "Item": item })
    }

    /// Strongly consistent GetItem of every field.
    pub fn get_item(key_value: &str) -> Value {
        json!({ "TableName": TABLE_NAME, "Key": key(key_value), "ConsistentRead": true })
    }

    /// UpdateItem setting one field.
    pub fn update_item(key_value: &str, field: usize, value: &[u8]) -> Value {
        json!({
            "TableName": TABLE_NAME,
            "Key": key(key_value),
            "UpdateExpression": "SET #f = :v",
            "ExpressionAttributeNames": { "#f": field_name(field) },
            "ExpressionAttributeValues": { ":v": s(value) }
        })
    }

    /// One Scan page after `exclusive_start` reading at most `limit` items.
    pub fn scan(exclusive_start: &Value, limit: usize) -> Value {
        json!({ "TableName": TABLE_NAME, "ExclusiveStartKey": exclusive_start, "Limit": limit })
    }
}

/// A DynamoDB-compatible HTTP endpoint.
pub struct HttpTarget {
    url: String,
    agent: ureq::Agent,
    durability: Durability,
}

impl HttpTarget {
    /// Connects to `url` and creates the YCSB table if it does not exist.
    ///
    /// # Errors
    /// Transport failures, or an error other than ResourceInUse from CreateTable.
    pub fn connect(url: &str, durability: Durability) -> Result<Self, TargetError> {
        let agent = ureq::AgentBuilder::new().timeout(REQUEST_TIMEOUT).build();
        let t = HttpTarget {
            url: url.to_string(),
            agent,
            durability,
        };
        match t.call("CreateTable", &requests::create_table()) {
            Ok(_) => {}
            Err(TargetError::Http { exception, .. }) if exception == "ResourceInUseException" => {}
            Err(e) => return Err(e),
        }
        t.wait_active()?;
        Ok(t)
    }

    fn wait_active(&self) -> Result<(), TargetError> {
        for _ in 0..MAX_ACTIVE_POLLS {
            let out = self.call("DescribeTable", &json!({ "TableName": TABLE_NAME }))?;
            if out["Table"]["TableStatus"] == "ACTIVE" {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(TargetError::BadResponse {
            url: self.url.clone(),
            reason: "table did not become ACTIVE",
        })
    }

    /// Sends one operation and returns the parsed response body.
    ///
    /// # Errors
    /// [`TargetError::Throttled`], [`TargetError::Http`], [`TargetError::Transport`] or
    /// [`TargetError::BadResponse`].
    pub fn call(&self, operation: &str, body: &Value) -> Result<Value, TargetError> {
        let result = self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/x-amz-json-1.0")
            .set("X-Amz-Target", &format!("DynamoDB_20120810.{operation}"))
            .set(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=shale/20260101/us-east-1/dynamodb/aws4_request, \
                 SignedHeaders=host;x-amz-target, Signature=0",
            )
            .send_string(&body.to_string());
        match result {
            Ok(resp) => {
                let text = resp.into_string().map_err(|e| TargetError::Transport {
                    url: self.url.clone(),
                    reason: e.to_string(),
                })?;
                serde_json::from_str(&text).map_err(|_| TargetError::BadResponse {
                    url: self.url.clone(),
                    reason: "body is not JSON",
                })
            }
            Err(ureq::Error::Status(status, resp)) => {
                let body: Value = resp
                    .into_string()
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or(Value::Null);
                Err(classify_error(status, &body))
            }
            Err(e) => Err(TargetError::Transport {
                url: self.url.clone(),
                reason: e.to_string(),
            }),
        }
    }
}

/// Maps an error response to a [`TargetError`]: throttling exceptions become
/// [`TargetError::Throttled`]. `__type` is `prefix#Name`; the name is what matters.
pub fn classify_error(status: u16, body: &Value) -> TargetError {
    let exception = body["__type"]
        .as_str()
        .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
        .unwrap_or_default();
    let message = body["message"]
        .as_str()
        .or_else(|| body["Message"].as_str())
        .unwrap_or("")
        .to_string();
    if exception == "ProvisionedThroughputExceededException" || exception == "ThrottlingException" {
        return TargetError::Throttled { exception };
    }
    TargetError::Http {
        status,
        exception,
        message,
    }
}

impl Target for HttpTarget {
    fn insert(&self, key: &str, fields: &[Vec<u8>]) -> Result<(), TargetError> {
        self.call("PutItem", &requests::put_item(key, fields))
            .map(|_| ())
    }

    fn read(&self, key: &str) -> Result<(), TargetError> {
        let out = self.call("GetItem", &requests::get_item(key))?;
        let item = out["Item"]
            .as_object()
            .ok_or_else(|| TargetError::NotFound {
                key: key.to_string(),
            })?;
        if item.len() != FIELD_COUNT + 1 {
            return Err(TargetError::CorruptRecord {
                key: key.to_string(),
                reason: "item does not have the key and 10 fields",
            });
        }
        Ok(())
    }

    fn update(&self, key: &str, field: usize, value: &[u8]) -> Result<(), TargetError> {
        self.call("UpdateItem", &requests::update_item(key, field, value))
            .map(|_| ())
    }

    fn scan(&self, start: &str, count: usize) -> Result<usize, TargetError> {
        let mut read = 0;
        let mut exclusive_start = requests::key(start);
        for _ in 0..MAX_SCAN_PAGES {
            if read >= count {
                break;
            }
            let out = self.call("Scan", &requests::scan(&exclusive_start, count - read))?;
            read += out["Count"].as_u64().unwrap_or(0) as usize;
            match out.get("LastEvaluatedKey") {
                Some(k) if k.is_object() => exclusive_start = k.clone(),
                _ => break,
            }
        }
        Ok(read)
    }

    fn durability_note(&self) -> String {
        format!(
            "remote endpoint {}: durability is the server's own setting (asked for {})",
            self.url,
            self.durability.as_str()
        )
    }

    /// A no-op: the DynamoDB API has no "sync" call, and a server acknowledges a write
    /// with its own durability, so there is nothing the client can make more durable.
    fn make_durable(&self) -> Result<(), TargetError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_are_classified_apart_from_errors() {
        let body = json!({"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow down"});
        assert!(classify_error(400, &body).is_throttle());
        let body = json!({"__type": "com.amazonaws.dynamodb.v20120810#ValidationException", "message": "bad"});
        match classify_error(400, &body) {
            TargetError::Http {
                status, exception, ..
            } => {
                assert_eq!(status, 400);
                assert_eq!(exception, "ValidationException");
            }
            other => panic!("{other:?}"),
        }
        assert!(!classify_error(500, &Value::Null).is_throttle());
    }

    #[test]
    fn request_shapes_match_the_dynamodb_api() {
        let fields: Vec<Vec<u8>> = (0..FIELD_COUNT).map(|_| b"v".to_vec()).collect();
        let put = requests::put_item("user1", &fields);
        assert_eq!(put["TableName"], TABLE_NAME);
        assert_eq!(put["Item"]["YCSB_KEY"]["S"], "user1");
        assert_eq!(put["Item"]["field9"]["S"], "v");
        let upd = requests::update_item("user1", 3, b"x");
        assert_eq!(upd["ExpressionAttributeNames"]["#f"], "field3");
        assert_eq!(upd["ExpressionAttributeValues"][":v"]["S"], "x");
        let scan = requests::scan(&requests::key("user1"), 7);
        assert_eq!(scan["Limit"], 7);
        assert_eq!(scan["ExclusiveStartKey"]["YCSB_KEY"]["S"], "user1");
    }
}
