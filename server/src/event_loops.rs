//! The threads connections are served on: one single-threaded tokio runtime per thread
//! (thread per core), each connection on one of them for its whole life.
//!
//! Why not tokio's multi-thread runtime: with it, a request's wake-up went from the I/O
//! driver to whichever worker was parked, workers parked and unparked each other on
//! futexes and stole each other's tasks, and a `perf` profile of the in-memory server put
//! a quarter of its cycles in the kernel's context-switch path (issue 17). A connection
//! whose every poll runs on one thread, on a runtime that parks in `epoll_wait` itself,
//! makes none of those hand-offs.
//!
//! The acceptor (the caller's runtime) hands each accepted socket to the next loop in
//! turn, so connections spread evenly whatever their addresses (`SO_REUSEPORT` hashes
//! them, and two load-generator connections could land on one core). Calls off the event
//! loops ([`crate::http::runs_inline`]) do not use the loops' own blocking pools: they go
//! to one pool shared by every loop ([`crate::http::AppState::blocking`]), so a long call
//! on one loop never queues another loop's calls behind it, and the pool's size is
//! exactly [`crate::limits::ServerLimits::blocking_threads`].

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// A set of running event loops.
#[derive(Debug)]
pub struct EventLoops {
    loops: Vec<EventLoop>,
    next: AtomicUsize,
}

#[derive(Debug)]
struct EventLoop {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EventLoops {
    /// Starts `count` event loops (at least one).
    ///
    /// # Errors
    /// When a runtime or its thread cannot be created.
    pub fn start(count: usize) -> std::io::Result<EventLoops> {
        let count = count.max(1);
        let mut loops = Vec::with_capacity(count);
        for i in 0..count {
            let runtime = Builder::new_current_thread()
                .enable_io()
                .enable_time()
                // Unused: blocking calls go to the shared pool (module docs).
                .max_blocking_threads(1)
                .build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("shale-http-{i}"))
                .spawn(move || {
                    // Drives every connection spawned on this loop until stopped; then
                    // dropping the runtime drops what is still spawned (connections
                    // shutdown's grace period gave up on).
                    runtime.block_on(async {
                        let _ = stopped.await;
                    });
                    // Bounded, should anything have spawned a blocking task here.
                    runtime.shutdown_timeout(crate::server::SHUTDOWN_GRACE);
                })?;
            loops.push(EventLoop {
                handle,
                stop: Some(stop),
                thread: Some(thread),
            });
        }
        Ok(EventLoops {
            loops,
            next: AtomicUsize::new(0),
        })
    }

    /// How many loops run.
    pub fn len(&self) -> usize {
        self.loops.len()
    }

    /// Whether there are none (never, once started).
    pub fn is_empty(&self) -> bool {
        self.loops.is_empty()
    }

    /// Spawns `task` on the next loop in turn.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.loops.len();
        self.loops[i].handle.spawn(task);
    }

    /// Stops every loop (what is still spawned on it is dropped) and joins its thread.
    pub fn stop(mut self) {
        self.stop_all();
    }

    fn stop_all(&mut self) {
        for l in &mut self.loops {
            if let Some(stop) = l.stop.take() {
                let _ = stop.send(());
            }
        }
        for l in &mut self.loops {
            if let Some(thread) = l.thread.take() {
                // A panic on a loop has been reported by the panic hook already.
                let _ = thread.join();
            }
        }
    }
}

impl Drop for EventLoops {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// The default number of event loops: one per CPU the process may use.
pub fn default_count() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn tasks_go_to_the_loops_in_turn_and_stop_ends_them() {
        let loops = EventLoops::start(2).unwrap();
        assert_eq!(loops.len(), 2);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (done, finished) = std::sync::mpsc::channel();
        for _ in 0..4 {
            let seen = Arc::clone(&seen);
            let done = done.clone();
            loops.spawn(async move {
                let name = std::thread::current().name().map(str::to_owned);
                seen.lock().unwrap().push(name);
                let _ = done.send(());
            });
        }
        for _ in 0..4 {
            finished
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("a task ran");
        }
        let mut names: Vec<_> = seen.lock().unwrap().iter().flatten().cloned().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "shale-http-0",
                "shale-http-0",
                "shale-http-1",
                "shale-http-1"
            ]
        );
        // A task that never ends is dropped when its loop stops.
        loops.spawn(std::future::pending());
        loops.stop();
    }
}
