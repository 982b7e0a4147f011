//! Group commit: the small concurrent core that lets many writers share one write and one
//! fdatasync, kept generic over the I/O ([`BatchSink`]) and over the sync primitives so
//! that `loom` can check it exhaustively (`wal/tests/loom_group_commit.rs`).
//!
//! Protocol: two leader roles, each held by at most one thread at a time.
//! 1. [`GroupCommit::reserve`] assigns the next LSN and lets the caller encode its record
//!    into the shared buffer, all under the state mutex, so buffer order is LSN order.
//! 2. [`GroupCommit::wait`] blocks until the LSN is written (or written and synced).
//!    - If its record is not written yet and nobody is *writing*, the caller becomes the
//!      write leader: it takes the whole buffer, drops the state mutex, writes it under
//!      the sink mutex, then publishes `written` and wakes waiters. (A caller that needs a
//!      sync does not start a write while a sync is in flight: it waits for it, so the
//!      records that queue up meanwhile share one write and the next sync.)
//!    - If it needs a sync, its record is written, and nobody is *syncing*, it becomes the
//!      sync leader: it takes a [`SyncHandle`] for what the sink has written so far (under
//!      the sink mutex, briefly), drops every lock, syncs, then publishes `synced`.
//!    - Otherwise it waits on the condvar (a `Written` waiter first polls briefly: a write
//!      takes microseconds).
//!
//!    The sync runs without any lock held, so writers are never stalled behind an
//!    fdatasync: their records are written (and, in `Written` modes, acknowledged) while it
//!    is in flight, and the next sync covers them. That is the classic group commit, with
//!    the next batch's write overlapping the previous batch's sync.
//!
//! Invariants:
//! - `synced <= written <= reserved`; the three only grow.
//! - At most one write leader and one sync leader; only the write leader calls
//!   `write_batch`, and only under the sink mutex.
//! - A sync handle taken when the sink had written up to `w` makes at least `w` durable;
//!   `synced` is published only after such a sync returned `Ok`.
//! - A waiter returns `Ok` only after `written` (or `synced`) covers its LSN.
//! - After a sink failure `poisoned` is set and never cleared: nobody can be acknowledged
//!   for bytes that may not be on disk.
//!
//! Locks: `state` (LSNs, buffer, flags) and `sink` (the I/O and the last LSN it wrote).
//! They are never held at the same time. [`GroupCommit::with_sink`] takes `sink` to run
//! maintenance (segment release) between batches.

#[cfg(loom)]
use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(loom)]
use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(not(loom))]
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::Lsn;

/// The I/O behind group commit.
pub trait BatchSink {
    /// The sink's error.
    type Error;
    /// Makes durable what the sink had written when it was taken.
    type Syncer: SyncHandle<Error = Self::Error>;
    /// Writes `batch`, a run of whole encoded records whose last LSN is `last_lsn`.
    ///
    /// # Errors
    /// Any I/O failure; it poisons the group.
    fn write_batch(&mut self, batch: &[u8], last_lsn: Lsn) -> Result<(), Self::Error>;
    /// A handle whose [`SyncHandle::sync`] makes everything written so far durable. It is
    /// used with no lock held, possibly while later batches are being written.
    /// `durable` is the last LSN already known durable (synced) before this sync, which
    /// the sink may record in the same sync (the WAL's synced mark).
    fn syncer(&mut self, durable: Lsn) -> Self::Syncer;
}

/// A sync taken from a [`BatchSink`].
pub trait SyncHandle {
    /// The sink's error.
    type Error;
    /// Makes durable what the sink had written when the handle was taken.
    ///
    /// # Errors
    /// Any I/O failure; it poisons the group.
    fn sync(&self) -> Result<(), Self::Error>;
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
    /// The LSN counter is at [`crate::MAX_LSN`].
    Exhausted,
}

#[derive(Debug)]
struct State<U> {
    buf: Vec<u8>,
    /// Last LSN handed out (`0` for none).
    reserved: Lsn,
    written: Lsn,
    synced: Lsn,
    writing: bool,
    syncing: bool,
    poisoned: bool,
    /// Threads asleep on `cond`. Leaders notify only if there are any: with std's futex
    /// condvar a notification is a syscall even when nobody waits.
    waiters: usize,
    user: U,
}

/// The sink and the last LSN it wrote, under one mutex.
#[derive(Debug)]
struct Sink<K> {
    sink: K,
    written: Lsn,
}

/// The shared group-commit state. `U` is caller state kept under the same mutex as LSN
/// assignment (the WAL keeps its last timestamp there); `K` is the I/O sink.
#[derive(Debug)]
pub struct GroupCommit<U, K> {
    state: Mutex<State<U>>,
    cond: Condvar,
    sink: Mutex<Sink<K>>,
    /// Mirrors of `State::written` and `State::writing`, stored under the state lock after
    /// each change, so a follower that only needs `Written` can poll for its leader
    /// without the lock before it sleeps (see `shale_io::spin`).
    written_seen: AtomicU64,
    writing_seen: AtomicBool,
}

/// Which leader role a [`LeaderGuard`] covers.
#[derive(Debug, Clone, Copy)]
enum Role {
    Write,
    Sync,
}

/// Clears the role's flag and poisons the group if the leader unwinds mid-I/O, so a panic
/// in a sink can never leave followers waiting forever.
struct LeaderGuard<'a, U, K> {
    gc: &'a GroupCommit<U, K>,
    role: Role,
    armed: bool,
}

impl<U, K> Drop for LeaderGuard<'_, U, K> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = lock(&self.gc.state);
            match self.role {
                Role::Write => {
                    st.writing = false;
                    self.gc.writing_seen.store(false, Ordering::Release);
                }
                Role::Sync => st.syncing = false,
            }
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
                writing: false,
                syncing: false,
                poisoned: false,
                waiters: 0,
                user,
            }),
            cond: Condvar::new(),
            sink: Mutex::new(Sink {
                sink,
                written: last_lsn,
            }),
            written_seen: AtomicU64::new(last_lsn),
            writing_seen: AtomicBool::new(false),
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
        let lsn = st
            .reserved
            .checked_add(1)
            .filter(|&lsn| lsn <= crate::MAX_LSN)
            .ok_or(CommitError::Exhausted)?;
        let st = &mut *st;
        encode(lsn, &mut st.user, &mut st.buf).map_err(CommitError::Encode)?;
        st.reserved = lsn;
        Ok((lsn, st.buf.len()))
    }

    /// Blocks until `lsn` is written (or synced, per `need`), leading a write or a sync if
    /// one is needed and nobody else is.
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
        // Each pass either returns, leads one write or sync (which publishes progress or
        // poisons), or sleeps until a leader finishes; it cannot spin without progress.
        loop {
            if st.poisoned {
                return Err(CommitError::Poisoned);
            }
            if st.written < lsn {
                // A writer that needs a sync does not write while one is in flight: it
                // waits, so the records that arrive meanwhile go out in one write and one
                // sync (writing pages that the running sync is writing back can block on
                // that writeback, which would serialise the syncs).
                let batch_behind_sync = need == Need::Synced && st.syncing;
                if !st.writing && !batch_behind_sync {
                    st = self.lead_write(st)?;
                    continue;
                }
                if batch_behind_sync && !st.writing {
                    st.waiters += 1;
                    st = self.cond.wait(st).unwrap_or_else(|p| p.into_inner());
                    st.waiters -= 1;
                    continue;
                }
                // A write takes microseconds: poll for it before sleeping. Not under loom,
                // whose model needs every wait to block.
                #[cfg(not(loom))]
                {
                    drop(st);
                    shale_io::spin::spin_until(shale_io::spin::DEFAULT_SPIN, || {
                        self.written_seen.load(Ordering::Acquire) >= lsn
                            || !self.writing_seen.load(Ordering::Acquire)
                    });
                    st = lock(&self.state);
                    if st.written >= lsn || !st.writing || st.poisoned {
                        continue;
                    }
                }
            } else if need == Need::Written || st.synced >= lsn {
                return Ok(());
            } else if !st.syncing {
                st = self.lead_sync(st)?;
                continue;
            }
            st.waiters += 1;
            st = self.cond.wait(st).unwrap_or_else(|p| p.into_inner());
            st.waiters -= 1;
        }
    }

    /// Publishes progress and wakes sleepers, if any. Returns the guard, still held.
    fn publish<'a>(&'a self, st: MutexGuard<'a, State<U>>) -> MutexGuard<'a, State<U>> {
        if st.waiters == 0 {
            return st;
        }
        drop(st);
        self.cond.notify_all();
        lock(&self.state)
    }

    /// Writes the whole buffer as write leader. Takes the state guard, returns it re-locked.
    fn lead_write<'a>(
        &'a self,
        mut st: MutexGuard<'a, State<U>>,
    ) -> Result<MutexGuard<'a, State<U>>, CommitError<K::Error>> {
        st.writing = true;
        self.writing_seen.store(true, Ordering::Release);
        let batch = std::mem::take(&mut st.buf);
        let batch_last = st.reserved;
        drop(st);

        let mut guard = LeaderGuard {
            gc: self,
            role: Role::Write,
            armed: true,
        };
        let result = if batch.is_empty() {
            Ok(())
        } else {
            let mut sink = lock(&self.sink);
            let r = sink.sink.write_batch(&batch, batch_last);
            if r.is_ok() {
                sink.written = batch_last;
            }
            r
        };
        guard.armed = false;

        let mut st = lock(&self.state);
        st.writing = false;
        self.writing_seen.store(false, Ordering::Release);
        match result {
            Ok(()) => {
                st.written = st.written.max(batch_last);
                self.written_seen.store(st.written, Ordering::Release);
                if st.buf.is_empty() && st.buf.capacity() == 0 {
                    // Hand the allocation back so steady state does not reallocate.
                    let mut batch = batch;
                    batch.clear();
                    st.buf = batch;
                }
                Ok(self.publish(st))
            }
            Err(e) => {
                st.poisoned = true;
                drop(st);
                self.cond.notify_all();
                Err(CommitError::Sink(e))
            }
        }
    }

    /// Syncs what the sink has written, as sync leader, with no lock held during the sync.
    /// Takes the state guard, returns it re-locked.
    fn lead_sync<'a>(
        &'a self,
        mut st: MutexGuard<'a, State<U>>,
    ) -> Result<MutexGuard<'a, State<U>>, CommitError<K::Error>> {
        st.syncing = true;
        let durable_before = st.synced;
        drop(st);

        let mut guard = LeaderGuard {
            gc: self,
            role: Role::Sync,
            armed: true,
        };
        let (syncer, target) = {
            let mut sink = lock(&self.sink);
            (sink.sink.syncer(durable_before), sink.written)
        };
        let result = syncer.sync();
        guard.armed = false;

        let mut st = lock(&self.state);
        st.syncing = false;
        match result {
            Ok(()) => {
                // What the sink had written is now on disk, even if its write leader has
                // not published it yet: publish both (`synced <= written` holds).
                st.synced = st.synced.max(target);
                st.written = st.written.max(target);
                self.written_seen.store(st.written, Ordering::Release);
                Ok(self.publish(st))
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

    /// Runs `f` on the sink while no batch is being written (it takes the sink lock, which
    /// a write leader holds for its whole write).
    pub fn with_sink<T>(&self, f: impl FnOnce(&mut K) -> T) -> T {
        f(&mut lock(&self.sink).sink)
    }
}
