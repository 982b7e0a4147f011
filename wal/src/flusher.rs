//! The background syncer of [`crate::Durability::Buffered`].
//!
//! A thread that wakes every `interval` and syncs whatever was appended since the last
//! sync. It waits on a condvar rather than sleeping so that `close`/drop can stop it at
//! once; it exits on that signal or when the WAL is poisoned. The interval is real time
//! (the injected `Clock` stamps records; it cannot make a thread sleep).

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Shortest interval honoured, so a zero interval cannot become a busy loop.
pub const MIN_BUFFERED_INTERVAL: Duration = Duration::from_millis(1);

#[derive(Debug, Default)]
struct Stop {
    requested: Mutex<bool>,
    cond: Condvar,
}

/// Handle to the running thread; stopping joins it.
#[derive(Debug)]
pub(crate) struct Flusher {
    stop: Arc<Stop>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    /// Starts a thread that calls `sync_once` every `interval` until stopped or until
    /// `sync_once` returns `false` (the WAL is poisoned).
    pub(crate) fn start(
        interval: Duration,
        mut sync_once: impl FnMut() -> bool + Send + 'static,
    ) -> std::io::Result<Self> {
        let interval = interval.max(MIN_BUFFERED_INTERVAL);
        let stop = Arc::new(Stop::default());
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name("shale-wal-sync".into())
            .spawn(move || {
                let mut requested = s.requested.lock().unwrap_or_else(|p| p.into_inner());
                // Exits when a stop is requested or the WAL is poisoned.
                while !*requested {
                    let (guard, timeout) = s
                        .cond
                        .wait_timeout(requested, interval)
                        .unwrap_or_else(|p| p.into_inner());
                    requested = guard;
                    if *requested {
                        break;
                    }
                    if timeout.timed_out() {
                        drop(requested);
                        if !sync_once() {
                            return;
                        }
                        requested = s.requested.lock().unwrap_or_else(|p| p.into_inner());
                    }
                }
            })?;
        Ok(Flusher {
            stop,
            thread: Some(thread),
        })
    }

    /// Signals the thread and waits for it to finish its current sync, if any.
    pub(crate) fn stop(&mut self) {
        *self
            .stop
            .requested
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = true;
        self.stop.cond.notify_all();
        if let Some(t) = self.thread.take() {
            // A panicking sync thread has nothing left to clean up; the WAL's own state is
            // guarded by group commit's poison-on-unwind.
            let _ = t.join();
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.stop();
    }
}
