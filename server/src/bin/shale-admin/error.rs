//! Why a command failed once its command line was accepted. Every one of these exits with
//! status 1 (usage errors are `cli::CliError`, status 2).

use std::time::Duration;

/// A failed command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// `verify` found damage; its report was printed on stdout.
    #[error("{data_dir}: damaged (see the lines marked DAMAGED above)")]
    Damaged {
        /// The data directory checked.
        data_dir: String,
    },
    /// The server answered with DynamoDB's error shape (`__type` and `message`).
    #[error("{operation} failed: {exception}: {message}")]
    Api {
        /// The DynamoDB operation called.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The exception's name: `__type` after its `#`.
        exception: String,
        /// Its `message` (or `Message`), empty when it had none.
        message: String,
    },
    /// The server does not have the operation: shale-server answers those with a
    /// ValidationException that says so, which is worth telling apart from a bad request.
    #[error("{operation} is not implemented by the server at {endpoint}: {exception}: {message}")]
    NotImplemented {
        /// The DynamoDB operation called.
        operation: &'static str,
        /// Where it was sent.
        endpoint: String,
        /// The exception's name.
        exception: String,
        /// The server's text.
        message: String,
    },
    /// An HTTP error whose body is not DynamoDB's error shape (a proxy, another server).
    #[error("{operation} failed: HTTP {status}: {body}")]
    Http {
        /// The DynamoDB operation called.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The start of the body, lossily decoded.
        body: String,
    },
    /// No answer: connection refused, reset, timed out, or the endpoint does not resolve.
    #[error("{operation}: no answer from {endpoint}: {detail}")]
    Transport {
        /// The DynamoDB operation called.
        operation: &'static str,
        /// Where it was sent.
        endpoint: String,
        /// ureq's description.
        detail: String,
    },
    /// A 200 whose body is not the shape the operation answers with.
    #[error("{operation}: unexpected response from the server: {detail}")]
    BadResponse {
        /// The DynamoDB operation called.
        operation: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// A bounded wait ran out; the work may still finish on the server.
    #[error("gave up waiting for {what} after {:.1} s (raise it with --timeout); it may still finish: {check}", waited.as_secs_f64())]
    Timeout {
        /// What was being waited for.
        what: String,
        /// How long.
        waited: Duration,
        /// How to look again later.
        check: String,
    },
    /// The server reported that the work failed.
    #[error("{what} failed: {detail}")]
    Failed {
        /// What failed.
        what: String,
        /// The server's reason, or what was observed.
        detail: String,
    },
    /// The results could not be written to stdout.
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
}

impl AdminError {
    /// Whether a wait should ask again rather than give up: the server did not answer, or
    /// answered with a 5xx (which DynamoDB's SDKs retry too). A 4xx is final.
    pub fn is_transient(&self) -> bool {
        match self {
            AdminError::Transport { .. } => true,
            AdminError::Api { status, .. } | AdminError::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// The exception's name, when the server sent one.
    pub fn exception(&self) -> Option<&str> {
        match self {
            AdminError::Api { exception, .. } | AdminError::NotImplemented { exception, .. } => {
                Some(exception)
            }
            _ => None,
        }
    }
}
