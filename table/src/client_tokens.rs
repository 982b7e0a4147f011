//! [`ClientTokens`]: TransactWriteItems' (and ExecuteTransaction's) `ClientRequestToken`
//! idempotency.
//!
//! DynamoDB's rules (API reference, TransactWriteItems, ClientRequestToken):
//! - a token is valid for 10 minutes after the first request that uses it *completes*;
//!   after that, a request with it is a new request;
//! - the same token with the same parameters within the window returns success without
//!   applying anything again;
//! - the same token with other parameters is IdempotentParameterMismatchException;
//! - a token whose first request is still running is TransactionInProgressException.
//!
//! A committed transaction's token is **durable**: its record (a catalog record under its
//! own tag, `docs/format/catalog.md`) is written in the transaction's own batch, so after
//! a crash the token exists exactly when the transaction does, and a retry after a
//! restart is recognised. At open, unexpired records are loaded and expired ones deleted;
//! while running, each tokened transaction's batch also deletes up to
//! [`EXPIRED_DELETES_PER_COMMIT`] expired records, so they do not pile up. A cancelled or
//! failed transaction writes nothing and releases its token: its retry runs again.
//!
//! Time comes from `DatabaseOptions::clock`, so the window is testable. At most
//! [`CLIENT_TOKENS_MAX`] tokens are remembered; past that, the oldest completed ones are
//! forgotten early (the window is a best effort beyond that many tokens in 10 minutes).

use std::collections::{HashMap, VecDeque};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::catalog_record::{decode_json, encode_json};
use crate::error::Error;
use crate::keys::prefix_bounds;
use crate::shapes::TransactWriteItemsOutput;
use shale_engine::{Backend, BatchOp, Direction, WriteBatch};

/// How long a completed token is remembered (DynamoDB: 10 minutes).
pub const CLIENT_TOKEN_WINDOW_MICROS: u64 = 10 * 60 * 1_000_000;
/// Most tokens remembered at once.
pub const CLIENT_TOKENS_MAX: usize = 100_000;
/// Most expired token records one tokened transaction's batch deletes.
pub const EXPIRED_DELETES_PER_COMMIT: usize = 16;

/// Catalog tag of a token record.
const TOKEN_TAG: u8 = b'K';

#[derive(Debug)]
enum State {
    InProgress,
    Done {
        /// The first result (a loaded record has the default: its ItemCollectionMetrics
        /// are not kept, and a replay reports its own capacity).
        output: TransactWriteItemsOutput,
        completed_micros: u64,
    },
}

#[derive(Debug)]
struct Entry {
    fingerprint: u128,
    state: State,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<String, Entry>,
    /// Completed tokens in completion order (a token completed again appears twice; the
    /// older position is skipped when popped, its time no longer matching).
    order: VecDeque<(u64, String)>,
}

/// The tokens of recent transactions. `Send + Sync`; its mutex is a leaf (held for a map
/// lookup or update, never across a write).
#[derive(Debug, Default)]
pub(crate) struct ClientTokens {
    inner: Mutex<Inner>,
}

/// A token's durable record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRecord {
    /// The request's fingerprint, 32 hex digits.
    #[serde(rename = "fingerprint")]
    fingerprint: String,
    /// When the transaction committed (µs since the epoch).
    #[serde(rename = "completed_micros")]
    completed_micros: u64,
}

fn token_key(token: &str) -> Vec<u8> {
    crate::catalog::record_key(TOKEN_TAG, token)
}

/// What a request with a token does.
#[derive(Debug)]
pub(crate) enum Begin<'a> {
    /// Run it; write [`Ticket::batch_ops`] in its batch and report its end through the
    /// ticket.
    Run(Ticket<'a>),
    /// It ran already: this is its result.
    Replay(TransactWriteItemsOutput),
}

/// A running request's hold on its token. Dropped without [`Ticket::complete`], it
/// releases the token (the request failed and changed nothing).
#[must_use = "dropping the ticket releases the token"]
#[derive(Debug)]
pub(crate) struct Ticket<'a> {
    tokens: &'a ClientTokens,
    token: String,
    fingerprint: u128,
    /// Expired records to delete in the transaction's batch.
    expired: Vec<Vec<u8>>,
    done: bool,
}

fn expired_at(completed_micros: u64, now_micros: u64) -> bool {
    now_micros.saturating_sub(completed_micros) >= CLIENT_TOKEN_WINDOW_MICROS
}

impl ClientTokens {
    /// Loads the unexpired token records stored in `backend` and deletes the expired
    /// ones (one batch).
    ///
    /// # Errors
    /// Storage failure, a corrupt record.
    pub(crate) fn load(backend: &dyn Backend, now_micros: u64) -> Result<ClientTokens, Error> {
        let (start, end) = prefix_bounds(&token_key(""));
        let mut live: Vec<(u64, String, u128)> = Vec::new();
        let mut expired = WriteBatch::new();
        for kv in backend.scan(start, end, Direction::Forward, None)? {
            let (k, v) = kv?;
            let record: TokenRecord = decode_json(&k, &v)?;
            let corrupt = || Error::CorruptCatalog {
                key: k.clone(),
                reason: crate::error::CatalogCorruption::BadPayload,
            };
            let token =
                String::from_utf8(k[token_key("").len()..].to_vec()).map_err(|_| corrupt())?;
            let fingerprint =
                u128::from_str_radix(&record.fingerprint, 16).map_err(|_| corrupt())?;
            if expired_at(record.completed_micros, now_micros) || live.len() >= CLIENT_TOKENS_MAX {
                expired.delete(k.clone());
            } else {
                live.push((record.completed_micros, token, fingerprint));
            }
        }
        if !expired.is_empty() {
            backend.write(expired)?;
        }
        live.sort_unstable();
        let mut inner = Inner::default();
        for (completed_micros, token, fingerprint) in live {
            inner.order.push_back((completed_micros, token.clone()));
            inner.map.insert(
                token,
                Entry {
                    fingerprint,
                    state: State::Done {
                        output: TransactWriteItemsOutput::default(),
                        completed_micros,
                    },
                },
            );
        }
        Ok(ClientTokens {
            inner: Mutex::new(inner),
        })
    }

    /// Starts a request with `token` and parameters hashing to `fingerprint` at
    /// `now_micros`.
    ///
    /// # Errors
    /// IdempotentParameterMismatch, TransactionInProgress.
    pub(crate) fn begin(
        &self,
        token: &str,
        fingerprint: u128,
        now_micros: u64,
    ) -> Result<Begin<'_>, Error> {
        let mut inner = self.inner.lock();
        if let Some(e) = inner.map.get(token) {
            let expired = match e.state {
                State::Done {
                    completed_micros, ..
                } => expired_at(completed_micros, now_micros),
                State::InProgress => false,
            };
            if !expired {
                if e.fingerprint != fingerprint {
                    return Err(Error::IdempotentParameterMismatch);
                }
                return match &e.state {
                    State::InProgress => Err(Error::TransactionInProgress),
                    State::Done { output, .. } => Ok(Begin::Replay(output.clone())),
                };
            }
        }
        let mut expired = inner.pop_expired(now_micros, EXPIRED_DELETES_PER_COMMIT);
        if inner.map.len() >= CLIENT_TOKENS_MAX {
            // Forget the oldest completed token early (its record goes with it).
            expired.extend(inner.pop_oldest());
        }
        inner.map.insert(
            token.to_owned(),
            Entry {
                fingerprint,
                state: State::InProgress,
            },
        );
        debug_assert!(inner.map.len() <= CLIENT_TOKENS_MAX + 1);
        Ok(Begin::Run(Ticket {
            tokens: self,
            token: token.to_owned(),
            fingerprint,
            expired,
            done: false,
        }))
    }
}

impl Inner {
    /// Removes up to `max` expired tokens, oldest first; returns their record keys.
    fn pop_expired(&mut self, now_micros: u64, max: usize) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        while keys.len() < max {
            let Some((completed, _)) = self.order.front() else {
                break;
            };
            if !expired_at(*completed, now_micros) {
                break;
            }
            if let Some((completed, token)) = self.order.pop_front() {
                keys.extend(self.remove_if_completed_at(&token, completed));
            }
        }
        keys
    }

    /// Removes the oldest completed token, whatever its age; its record key.
    fn pop_oldest(&mut self) -> Option<Vec<u8>> {
        while let Some((completed, token)) = self.order.pop_front() {
            if let Some(k) = self.remove_if_completed_at(&token, completed) {
                return Some(k);
            }
        }
        None
    }

    /// Removes `token` if it is still the completion recorded at `completed` (not a
    /// later reuse, not in progress again); its record key.
    fn remove_if_completed_at(&mut self, token: &str, completed: u64) -> Option<Vec<u8>> {
        let current = matches!(
            self.map.get(token),
            Some(Entry { state: State::Done { completed_micros, .. }, .. }) if *completed_micros == completed
        );
        if current {
            self.map.remove(token);
            Some(token_key(token))
        } else {
            None
        }
    }
}

impl Ticket<'_> {
    /// The writes the transaction's batch must carry: this token's record (completed at
    /// `commit_micros`) and the deletes of expired records.
    pub(crate) fn batch_ops(&self, commit_micros: u64) -> Vec<BatchOp> {
        let record = TokenRecord {
            fingerprint: format!("{:032x}", self.fingerprint),
            completed_micros: commit_micros,
        };
        let mut ops = vec![BatchOp::Put {
            key: token_key(&self.token),
            value: encode_json(&record),
        }];
        ops.extend(
            self.expired
                .iter()
                .filter(|k| **k != token_key(&self.token))
                .map(|k| BatchOp::Delete { key: k.clone() }),
        );
        ops
    }

    /// Records the request's result (committed at `commit_micros`, as its record says):
    /// later requests with the token within the window get it back.
    pub(crate) fn complete(mut self, output: &TransactWriteItemsOutput, commit_micros: u64) {
        let mut inner = self.tokens.inner.lock();
        if let Some(e) = inner.map.get_mut(&self.token) {
            debug_assert!(matches!(e.state, State::InProgress));
            e.state = State::Done {
                output: output.clone(),
                completed_micros: commit_micros,
            };
            inner.order.push_back((commit_micros, self.token.clone()));
        }
        self.done = true;
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.done {
            let mut inner = self.tokens.inner.lock();
            let removed = inner.map.remove(&self.token);
            debug_assert!(matches!(
                removed,
                Some(Entry {
                    state: State::InProgress,
                    ..
                })
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_replays_within_its_window_and_is_new_after_it() {
        let tokens = ClientTokens::default();
        let Begin::Run(t) = tokens.begin("t", 1, 0).unwrap() else {
            panic!("first use runs")
        };
        assert!(matches!(
            tokens.begin("t", 1, 5),
            Err(Error::TransactionInProgress)
        ));
        t.complete(&TransactWriteItemsOutput::default(), 10);
        assert!(matches!(tokens.begin("t", 1, 20), Ok(Begin::Replay(_))));
        assert!(matches!(
            tokens.begin("t", 2, 20),
            Err(Error::IdempotentParameterMismatch)
        ));
        let after = 10 + CLIENT_TOKEN_WINDOW_MICROS;
        let Ok(Begin::Run(t)) = tokens.begin("t", 2, after) else {
            panic!("a new request after the window")
        };
        // Its own expired record is not deleted by its batch: it is overwritten.
        assert_eq!(t.batch_ops(after).len(), 1);
    }

    #[test]
    fn a_failed_request_releases_its_token() {
        let tokens = ClientTokens::default();
        drop(tokens.begin("t", 1, 0).unwrap());
        assert!(matches!(tokens.begin("t", 2, 0), Ok(Begin::Run(_))));
    }

    #[test]
    fn expired_tokens_are_deleted_by_later_commits_a_few_at_a_time() {
        let tokens = ClientTokens::default();
        for i in 0..40u64 {
            let Ok(Begin::Run(t)) = tokens.begin(&format!("t{i}"), 1, i) else {
                panic!()
            };
            t.complete(&TransactWriteItemsOutput::default(), i);
        }
        let later = 100 + CLIENT_TOKEN_WINDOW_MICROS;
        let Ok(Begin::Run(t)) = tokens.begin("new", 1, later) else {
            panic!()
        };
        let deletes = t
            .batch_ops(later)
            .iter()
            .filter(|op| matches!(op, BatchOp::Delete { .. }))
            .count();
        assert_eq!(deletes, EXPIRED_DELETES_PER_COMMIT);
        assert_eq!(
            tokens.inner.lock().map.len(),
            40 - EXPIRED_DELETES_PER_COMMIT + 1
        );
    }
}
