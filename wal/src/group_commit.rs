//! Group commit: the small concurrent core that lets many writers share one write and one
//! fdatasync, kept generic over the I/O ([`BatchSink`]) and over the sync primitives so
//! that `loom` can check it exhaustively (`wal/tests/loom_group_commit.rs`).
//!
//! Protocol (leader/follower):
//! 1. [`GroupCommit::reserve`] assigns the next LSN and lets the caller encode its record
//!    into the shared buffer, all under the state mutex, so buffer order is LSN order.
//! 2. [`GroupCommit::wait`] blocks until the LSN is written (or written and synced). If no
//!    leader is active the caller becomes leader: it takes the whole buffer, releases the
//!    mutex, writes (and syncs if anyone asked for a sync), re-takes the mutex, publishes
//!    `written`/`synced`, clears the leader flag and wakes everyone. Everyone else waits on
//!    the condvar and re-checks, and may become the next leader.
//!
//! Invariants:
//! - `synced <= written <= reserved`; the three only grow.
//! - At most one leader; only the leader touches the sink.
//! - A waiter returns `Ok` only after `written` (or `synced`) covers its LSN, and those are
//!   published only after the sink call returned `Ok` for a batch ending at or after it.
//! - After a sink failure `poisoned` is set and never cleared: nobody can be acknowledged
//!   for bytes that may not be on disk.
//!
//! Locks: `state` (LSNs, buffer, flags) and `sink` (the I/O). They are never held at the
//! same time: the leader drops `state` before taking `sink` for its I/O, and drops `sink`
//! before re-taking `state` to publish. Only the leader (`leader_active`) takes `sink` on
//! the commit path, so that lock is uncontended there; [`GroupCommit::with_sink`] uses it to
//! run maintenance (segment release) between batches.

#[cfg(loom)]
use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::Lsn;

/// The I/O behind group commit.
pub trait BatchSink {
    /// The sink's error.
    type Error;
    /// Writes `batch`, a run of whole encoded records whose last LSN is `last_lsn`.
    ///
    /// # Errors
    /// Any I/O failure; it poisons the group.
    fn write_batch(&mut self, batch: &[u8], last_lsn: Lsn) -> Result<(), Self::Error>;
    /// Makes everything written so far durable.
    ///
    /// # Errors
    /// Any I/O failure; it poisons the group.
    fn sync(&mut self) -> Result<(), Self::Error>;
}

/// What a waiter needs before it may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Handed to the OS (`write` returned).
    Written,
    /// Written and synced.
    Synced,
}

/// Why [`GroupCommit::wait`] or [`GroupCommit::reserve`] failed.
#[derive(Debug)]
pub enum CommitError<E, R = std::convert::Infallible> {
    /// An earlier sink call failed (by this or another thread).
    Poisoned,
    /// This thread, as leader, got this error from the sink.
    Sink(E),
    /// The encoder passed to `reserve` refused the record.
    Encode(R),
    /// `wait` was asked about an LSN never reserved.
    NotReserved {
        /// The LSN asked for.
        lsn: Lsn,
        /// The last reserved LSN.
        last: Lsn,
    },
    /// The LSN counter is at `u64::MAX`.
    Exhausted,
}

#[derive(Debug)]
struct State<U> {
    buf: Vec<u8>,
    /// Last LSN handed out (`0` for none).
    reserved: Lsn,
    written: Lsn,
    synced: Lsn,
    /// Highest LSN some waiter needs synced.
    sync_wanted: Lsn,
    leader_active: bool,
    poisoned: bool,
    user: U,
}

/// The shared group-commit state. `U` is caller state kept under the same mutex as LSN
/// assignment (the WAL keeps its last timestamp there); `K` is the I/O sink.
#[derive(Debug)]
pub struct GroupCommit<U, K> {
    state: Mutex<State<U>>,
    cond: Condvar,
    sink: Mutex<K>,
}

/// Resets the leader flag and poisons the group if the leader unwinds mid-I/O, so a panic in
/// a sink can never leave followers waiting forever.
struct LeaderGuard<'a, U, K> {
    gc: &'a GroupCommit<U, K>,
    armed: bool,
}

impl<U, K> Drop for LeaderGuard<'_, U, K> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = lock(&self.gc.state);
            st.leader_active = false;
            st.poisoned = true;
            drop(st);
            self.gc.cond.notify_all();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned std mutex only means another thread panicked while holding it; the state
    // is still consistent because every update is a single assignment after the I/O.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<U, K: BatchSink> GroupCommit<U, K> {
    /// A group whose last already-durable LSN is `last_lsn` (from recovery).
    pub fn new(last_lsn: Lsn, user: U, sink: K) -> Self {
        GroupCommit {
            state: Mutex::new(State {
                buf: Vec::new(),
                reserved: last_lsn,
                written: last_lsn,
                synced: last_lsn,
                sync_wanted: last_lsn,
                leader_active: false,
                poisoned: false,
                user,
            }),
            cond: Condvar::new(),
            sink: Mutex::new(sink),
        }
    }

    /// Assigns the next LSN and calls `encode(lsn, user, buf)` under the mutex; `encode` must
    /// append exactly one whole record to `buf` or return an error having appended nothing.
    /// Returns the LSN and the number of bytes now waiting in the buffer.
    ///
    /// # Errors
    /// `Poisoned`, `Exhausted`, or `Encode` with the encoder's error.
    pub fn reserve<R>(
        &self,
        encode: impl FnOnce(Lsn, &mut U, &mut Vec<u8>) -> Result<(), R>,
    ) -> Result<(Lsn, usize), CommitError<K::Error, R>> {
        let mut st = lock(&self.state);
        if st.poisoned {
            return Err(CommitError::Poisoned);
        }
        let lsn = st.reserved.checked_add(1).ok_or(CommitError::Exhausted)?;
        let st = &mut *st;
        encode(lsn, &mut st.user, &mut st.buf).map_err(CommitError::Encode)?;
        st.reserved = lsn;
        Ok((lsn, st.buf.len()))
    }

    /// Blocks until `lsn` is written (or synced, per `need`), leading a batch if no one
    /// else is.
    ///
    /// # Errors
    /// `Poisoned` if a sink call failed, `Sink` if this thread's own sink call failed,
    /// `NotReserved` for an LSN never handed out.
    pub fn wait(&self, lsn: Lsn, need: Need) -> Result<(), CommitError<K::Error>> {
        let mut st = lock(&self.state);
        if lsn > st.reserved {
            return Err(CommitError::NotReserved {
                lsn,
                last: st.reserved,
            });
        }
        if need == Need::Synced && st.sync_wanted < lsn {
            st.sync_wanted = lsn;
        }
        // Each pass either returns, leads one batch (which publishes progress or poisons),
        // or sleeps until a leader finishes; it cannot spin without progress.
        loop {
            if st.poisoned {
                return Err(CommitError::Poisoned);
            }
            let done = match need {
                Need::Written => st.written >= lsn,
                Need::Synced => st.synced >= lsn,
            };
            if done {
                return Ok(());
            }
            if st.leader_active {
                st = self.cond.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            st = self.lead(st)?;
        }
    }

    /// Runs one batch as leader. Takes the state guard, returns it re-locked.
    fn lead<'a>(
        &'a self,
        mut st: MutexGuard<'a, State<U>>,
    ) -> Result<MutexGuard<'a, State<U>>, CommitError<K::Error>> {
        st.leader_active = true;
        let batch = std::mem::take(&mut st.buf);
        let batch_last = st.reserved;
        let do_sync = st.sync_wanted > st.synced;
        drop(st);

        let mut guard = LeaderGuard {
            gc: self,
            armed: true,
        };
        let result = {
            let mut sink = lock(&self.sink);
            let mut r = Ok(());
            if !batch.is_empty() {
                r = sink.write_batch(&batch, batch_last);
            }
            if r.is_ok() && do_sync {
                r = sink.sync();
            }
            r
        };
        guard.armed = false;

        let mut st = lock(&self.state);
        st.leader_active = false;
        match result {
            Ok(()) => {
                st.written = batch_last;
                if do_sync {
                    st.synced = batch_last;
                }
                if st.buf.is_empty() && st.buf.capacity() == 0 {
                    // Hand the allocation back so steady state does not reallocate.
                    let mut batch = batch;
                    batch.clear();
                    st.buf = batch;
                }
                drop(st);
                self.cond.notify_all();
                Ok(lock(&self.state))
            }
            Err(e) => {
                st.poisoned = true;
                drop(st);
                self.cond.notify_all();
                Err(CommitError::Sink(e))
            }
        }
    }

    /// Whether a sink call has failed.
    pub fn is_poisoned(&self) -> bool {
        lock(&self.state).poisoned
    }

    /// The last LSN handed out.
    pub fn last_reserved(&self) -> Lsn {
        lock(&self.state).reserved
    }

    /// The last LSN handed to the OS.
    pub fn last_written(&self) -> Lsn {
        lock(&self.state).written
    }

    /// The last LSN known durable.
    pub fn last_synced(&self) -> Lsn {
        lock(&self.state).synced
    }

    /// Runs `f` on the sink while no batch is in flight (it takes the sink lock, which a
    /// leader holds for its whole I/O).
    pub fn with_sink<T>(&self, f: impl FnOnce(&mut K) -> T) -> T {
        f(&mut lock(&self.sink))
    }
}
