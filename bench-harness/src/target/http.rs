//! `http:URL`: any DynamoDB-compatible endpoint over its JSON API.
//!
//! Requests are `POST /` with `X-Amz-Target: DynamoDB_20120810.<Op>` and
//! `Content-Type: application/x-amz-json-1.0`, plus a dummy SigV4-shaped `Authorization`
//! header (local servers accept any credentials). The bodies are the [`requests`] module's
//! typed request structs, serialised: the same requests `table:shale` hands to the
//! embedded API, so both targets measure the same operations. The harness creates the
//! table `usertable` (hash key `YCSB_KEY`, on-demand), as YCSB's DynamoDB binding expects;
//! an existing table is reused. GetItem and Scan answers are parsed into the engine's typed
//! outputs; throttling exceptions are counted as throttles, not errors.

use std::time::Duration;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Serialize;
use serde_json::Value;
use shale_table::{GetItemOutput, ScanOutput};

use super::requests;
use super::{Durability, Target, TargetError};

/// Per-request timeout: a hung endpoint becomes an error, not a hung benchmark.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Polls of DescribeTable waiting for ACTIVE after CreateTable.
const MAX_ACTIVE_POLLS: usize = 100;
/// Pause between those polls.
const ACTIVE_POLL_INTERVAL: Duration = Duration::from_millis(100);

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
        match t.call::<_, IgnoredAny>("CreateTable", &requests::create_table()) {
            Ok(_) => {}
            Err(TargetError::Http { exception, .. }) if exception == "ResourceInUseException" => {}
            Err(e) => return Err(e),
        }
        t.wait_active()?;
        Ok(t)
    }

    fn wait_active(&self) -> Result<(), TargetError> {
        for _ in 0..MAX_ACTIVE_POLLS {
            // Parsed leniently: only the status matters, and servers differ in the rest.
            let out: Value = self.call("DescribeTable", &requests::describe_table())?;
            if out["Table"]["TableStatus"] == "ACTIVE" {
                return Ok(());
            }
            std::thread::sleep(ACTIVE_POLL_INTERVAL);
        }
        Err(TargetError::BadResponse {
            url: self.url.clone(),
            reason: "table did not become ACTIVE",
        })
    }

    /// Sends one operation with `body` serialised as its JSON, and parses the answer as `O`.
    ///
    /// # Errors
    /// [`TargetError::EncodeRequest`], [`TargetError::Throttled`], [`TargetError::Http`],
    /// [`TargetError::Transport`] or [`TargetError::BadResponse`].
    pub fn call<B: Serialize, O: DeserializeOwned>(
        &self,
        operation: &'static str,
        body: &B,
    ) -> Result<O, TargetError> {
        let body = serde_json::to_string(body).map_err(|e| TargetError::EncodeRequest {
            operation,
            reason: e.to_string(),
        })?;
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
            .send_string(&body);
        match result {
            Ok(resp) => {
                let text = resp.into_string().map_err(|e| TargetError::Transport {
                    url: self.url.clone(),
                    reason: e.to_string(),
                })?;
                serde_json::from_str(&text).map_err(|_| TargetError::BadResponse {
                    url: self.url.clone(),
                    reason: "body is not the operation's JSON answer",
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
    if requests::is_throttle_exception(&exception) {
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
        self.call::<_, IgnoredAny>("PutItem", &requests::put_item(key, fields))
            .map(|_| ())
    }

    fn read(&self, key: &str) -> Result<(), TargetError> {
        let out: GetItemOutput = self.call("GetItem", &requests::get_item(key))?;
        requests::check_record(key, out.item).map(|_| ())
    }

    fn update(&self, key: &str, field: usize, value: &[u8]) -> Result<(), TargetError> {
        self.call::<_, IgnoredAny>("UpdateItem", &requests::update_item(key, field, value))
            .map(|_| ())
    }

    fn scan(&self, start: &str, count: usize) -> Result<usize, TargetError> {
        requests::scan_records(start, count, |input| {
            self.call::<_, ScanOutput>("Scan", &input)
        })
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
    use serde_json::json;

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
}
