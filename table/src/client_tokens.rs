//! [`ClientTokens`]: TransactWriteItems' `ClientRequestToken` idempotency.
//!
//! DynamoDB's rules (API reference, TransactWriteItems, ClientRequestToken):
//! - a token is valid for 10 minutes after the first request that uses it *completes*;
//!   after that, a request with it is a new request;
//! - the same token with the same parameters within the window returns success without
//!   applying anything again;
//! - the same token with other parameters is IdempotentParameterMismatchException;
//! - a token whose first request is still running is TransactionInProgressException.
//!
//! Shale keeps the tokens in memory, per [`crate::Database`]: a token used before a
//! restart is unknown after it. Only a transaction that committed keeps its token: a
//! cancelled or failed one releases it, so its retry runs again (it changed nothing).
//! Time comes from `DatabaseOptions::clock`, so the window is testable. At most
//! [`CLIENT_TOKENS_MAX`] tokens are remembered; past that, the oldest completed ones are
//! forgotten early (the window is a best effort beyond that many tokens in 10 minutes).

use std::collections::HashMap;

use parking_lot::Mutex;

use crate::error::Error;
use crate::shapes::TransactWriteItemsOutput;

/// How long a completed token is remembered (DynamoDB: 10 minutes).
pub const CLIENT_TOKEN_WINDOW_MICROS: u64 = 10 * 60 * 1_000_000;
/// Most tokens remembered at once.
pub const CLIENT_TOKENS_MAX: usize = 100_000;

#[derive(Debug)]
enum State {
    InProgress,
    Done {
        output: TransactWriteItemsOutput,
        completed_micros: u64,
    },
}

#[derive(Debug)]
struct Entry {
    fingerprint: u128,
    state: State,
}

/// The tokens of recent transactions. `Send + Sync`; its mutex is a leaf (held for a map
/// lookup or update, never across a write).
#[derive(Debug, Default)]
pub(crate) struct ClientTokens {
    map: Mutex<HashMap<String, Entry>>,
}

/// What a request with a token does.
#[derive(Debug)]
pub(crate) enum Begin<'a> {
    /// Run it; report its end through the ticket.
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
    done: bool,
}

impl ClientTokens {
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
        let mut map = self.map.lock();
        let expired = |e: &Entry| match e.state {
            State::Done {
                completed_micros, ..
            } => now_micros.saturating_sub(completed_micros) >= CLIENT_TOKEN_WINDOW_MICROS,
            State::InProgress => false,
        };
        if let Some(e) = map.get(token) {
            if !expired(e) {
                if e.fingerprint != fingerprint {
                    return Err(Error::IdempotentParameterMismatch);
                }
                return match &e.state {
                    State::InProgress => Err(Error::TransactionInProgress),
                    State::Done { output, .. } => Ok(Begin::Replay(output.clone())),
                };
            }
        }
        if map.len() >= CLIENT_TOKENS_MAX {
            map.retain(|_, e| !expired(e));
        }
        if map.len() >= CLIENT_TOKENS_MAX {
            evict_oldest_done(&mut map);
        }
        map.insert(
            token.to_owned(),
            Entry {
                fingerprint,
                state: State::InProgress,
            },
        );
        debug_assert!(map.len() <= CLIENT_TOKENS_MAX + 1);
        Ok(Begin::Run(Ticket {
            tokens: self,
            token: token.to_owned(),
            done: false,
        }))
    }
}

/// Forgets the completed token that completed first (all in progress: forgets none; the
/// map then holds at most one entry per running request more than the bound).
fn evict_oldest_done(map: &mut HashMap<String, Entry>) {
    let oldest = map
        .iter()
        .filter_map(|(k, e)| match e.state {
            State::Done {
                completed_micros, ..
            } => Some((completed_micros, k.clone())),
            State::InProgress => None,
        })
        .min();
    if let Some((_, k)) = oldest {
        map.remove(&k);
    }
}

impl Ticket<'_> {
    /// Records the request's result: later requests with the token within the window
    /// get it back.
    pub(crate) fn complete(mut self, output: &TransactWriteItemsOutput, now_micros: u64) {
        let mut map = self.tokens.map.lock();
        if let Some(e) = map.get_mut(&self.token) {
            debug_assert!(matches!(e.state, State::InProgress));
            e.state = State::Done {
                output: output.clone(),
                completed_micros: now_micros,
            };
        }
        self.done = true;
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.done {
            let mut map = self.tokens.map.lock();
            let removed = map.remove(&self.token);
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
        assert!(matches!(tokens.begin("t", 2, after), Ok(Begin::Run(_))));
    }

    #[test]
    fn a_failed_request_releases_its_token() {
        let tokens = ClientTokens::default();
        drop(tokens.begin("t", 1, 0).unwrap());
        assert!(matches!(tokens.begin("t", 2, 0), Ok(Begin::Run(_))));
    }
}
