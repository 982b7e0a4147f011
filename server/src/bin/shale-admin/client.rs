//! DynamoDB's JSON protocol over blocking HTTP/1.1 (ureq): one `POST` per call with
//! `X-Amz-Target: DynamoDB_20120810.<Operation>`, bodies encoded from and decoded into
//! `shale_table`'s wire shapes, and DynamoDB's error shape turned into [`AdminError`].
//!
//! Requests are not signed: shale-server (like DynamoDB Local) checks no signature. They
//! carry an `Authorization` header with a SigV4 credential scope all the same, because
//! DynamoDB Local without `-sharedDb` keys its databases by access key and region: that is
//! where `--region` goes.

use std::io::Read;
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::AdminError;

/// Time to establish a connection. Loopback answers in microseconds; a remote endpoint
/// that does not within this is down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time for a whole request and its response. CreateBackup takes a checkpoint before it
/// answers, which on a large on-disk table is a flush plus hard links: seconds, not
/// minutes. Long work (restores, exports) answers at once and is polled.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Largest response body read: DynamoDB's 16 MiB plus margin, as the server's request cap.
const MAX_RESPONSE_BYTES: u64 = 17 * 1024 * 1024;
/// How much of a non-DynamoDB error body is shown.
const MAX_ERROR_BODY_CHARS: usize = 300;
/// The access key named in the credential scope when `AWS_ACCESS_KEY_ID` is unset.
const DEFAULT_ACCESS_KEY: &str = "shale-admin";

/// A connection to one endpoint (keep-alive across calls).
pub struct Client {
    agent: ureq::Agent,
    endpoint: String,
    region: String,
    access_key: String,
}

impl Client {
    /// A client for `endpoint` (an `http://` URL) that names `region` in its requests.
    pub fn new(endpoint: &str, region: &str) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // DynamoDB never redirects; following one would resend the body elsewhere.
            .redirects(0)
            .user_agent(concat!("shale-admin/", env!("CARGO_PKG_VERSION")))
            .build();
        let access_key = std::env::var("AWS_ACCESS_KEY_ID")
            .ok()
            .filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric()))
            .unwrap_or_else(|| DEFAULT_ACCESS_KEY.to_owned());
        Client {
            agent,
            endpoint: endpoint.to_owned(),
            region: region.to_owned(),
            access_key,
        }
    }

    /// The endpoint, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Calls `operation` with `input` and decodes its answer as an `O`.
    ///
    /// # Errors
    /// [`AdminError::Api`] (or [`AdminError::NotImplemented`]) when the server answers with
    /// DynamoDB's error shape, [`AdminError::Http`] for another HTTP error,
    /// [`AdminError::Transport`] when it does not answer, [`AdminError::BadResponse`] when
    /// the answer is not an `O`.
    pub fn call<I: Serialize, O: DeserializeOwned>(
        &self,
        operation: &'static str,
        input: &I,
    ) -> Result<O, AdminError> {
        let body = serde_json::to_vec(input).map_err(|e| AdminError::BadResponse {
            operation,
            detail: format!("cannot encode the request: {e}"),
        })?;
        let value = self.send(operation, &body)?;
        serde_json::from_value(value).map_err(|e| AdminError::BadResponse {
            operation,
            detail: e.to_string(),
        })
    }

    fn send(&self, operation: &'static str, body: &[u8]) -> Result<serde_json::Value, AdminError> {
        let (amz_date, authorization) = self.credentials();
        let answer = self
            .agent
            .post(&self.endpoint)
            .set("X-Amz-Target", &format!("DynamoDB_20120810.{operation}"))
            .set("Content-Type", "application/x-amz-json-1.0")
            .set("X-Amz-Date", &amz_date)
            .set("Authorization", &authorization)
            .send_bytes(body);
        match answer {
            Ok(response) => {
                let bytes = read_body(operation, response)?;
                serde_json::from_slice(&bytes).map_err(|e| AdminError::BadResponse {
                    operation,
                    detail: format!("the body is not JSON: {e}"),
                })
            }
            Err(ureq::Error::Status(status, response)) => {
                let bytes = read_body(operation, response)?;
                Err(self.error_from(operation, status, &bytes))
            }
            Err(ureq::Error::Transport(t)) => Err(AdminError::Transport {
                operation,
                endpoint: self.endpoint.clone(),
                detail: t.to_string(),
            }),
        }
    }

    /// `X-Amz-Date` and an `Authorization` header with the credential scope of a SigV4
    /// request and no real signature (see the module's doc).
    fn credentials(&self) -> (String, String) {
        let iso = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        let amz_date: String = iso.chars().filter(|c| *c != '-' && *c != ':').collect();
        let day = amz_date.get(..8).unwrap_or("19700101");
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{day}/{}/dynamodb/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
            self.access_key,
            self.region,
            "0".repeat(64),
        );
        (amz_date, authorization)
    }

    /// DynamoDB's error shape (`{"__type": "<namespace>#<Name>", "message": ...}`) as an
    /// [`AdminError`]; anything else as [`AdminError::Http`].
    fn error_from(&self, operation: &'static str, status: u16, body: &[u8]) -> AdminError {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let exception = parsed
            .as_ref()
            .and_then(|v| v.get("__type"))
            .and_then(|t| t.as_str())
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned());
        let Some(exception) = exception else {
            let text = String::from_utf8_lossy(body);
            return AdminError::Http {
                operation,
                status,
                body: text.chars().take(MAX_ERROR_BODY_CHARS).collect(),
            };
        };
        // DynamoDB writes `message`; AWS's RPC layer writes `Message`.
        let message = parsed
            .as_ref()
            .and_then(|v| v.get("message").or_else(|| v.get("Message")))
            .and_then(|m| m.as_str())
            .unwrap_or_default()
            .to_owned();
        // shale-server's text is "Shale does not implement the DynamoDB operation X yet".
        if message.contains("does not implement") || message.contains("not implemented") {
            return AdminError::NotImplemented {
                operation,
                endpoint: self.endpoint.clone(),
                exception,
                message,
            };
        }
        AdminError::Api {
            operation,
            status,
            exception,
            message,
        }
    }
}

/// The body, refusing one over [`MAX_RESPONSE_BYTES`] rather than reading without end.
fn read_body(operation: &'static str, response: ureq::Response) -> Result<Vec<u8>, AdminError> {
    let mut bytes = Vec::new();
    response
        .into_reader()
        .take(MAX_RESPONSE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| AdminError::BadResponse {
            operation,
            detail: format!("reading the body failed: {e}"),
        })?;
    if bytes.len() as u64 > MAX_RESPONSE_BYTES {
        return Err(AdminError::BadResponse {
            operation,
            detail: format!("the body is over {MAX_RESPONSE_BYTES} bytes"),
        });
    }
    Ok(bytes)
}
