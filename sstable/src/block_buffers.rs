//! Buffers of evicted data blocks, kept by each thread for the next blocks it reads.
//!
//! Why: once a data set outgrows the block cache, every block read evicts one. Freeing
//! the evicted block's buffer and allocating a zero-filled one for the next read were
//! about 9% of YCSB E's CPU (`mi_free` of a buffer another thread allocated, then
//! `_mi_page_malloc_zero` and `memset`). A buffer taken back from an evicted block is
//! already initialised, so the next read goes straight into it.
//!
//! Invariants:
//! - each thread keeps at most [`POOL_BUFFERS`] buffers, each of capacity at most
//!   [`BUFFER_MAX_CAPACITY`], and all threads' pools together hold at most
//!   [`POOLED_BYTES_MAX`] bytes of capacity (a process-wide count, given back when a
//!   buffer leaves a pool or a thread's pool is dropped): the memory is bounded however
//!   many threads read;
//! - a buffer handed out for `len` bytes has a capacity of at most twice `len` plus
//!   [`CAPACITY_SLACK`] (the tightest that fits is chosen), and the cache charges a block
//!   its buffer's capacity, not its length, so the cache's byte bound is a bound on the
//!   memory of the blocks it holds (blocks it evicted that an iterator or a scan's
//!   [`crate::BlockValue`] still holds come on top, until those are dropped);
//! - only a block nobody else holds is taken apart ([`Arc::try_unwrap`]): an iterator or
//!   value still reading an evicted block keeps it whole, and it is freed, not pooled,
//!   when the last of them drops it.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::block::Block;

/// Buffers a thread keeps. In the steady state a read takes about one buffer for each
/// block its insert evicts, so a few suffice.
const POOL_BUFFERS: usize = 8;
/// The largest buffer kept (a block larger than this, rare, is freed as before).
const BUFFER_MAX_CAPACITY: usize = 64 << 10;
/// Capacity beyond twice the wanted length a reused buffer may have.
const CAPACITY_SLACK: usize = 256;
/// The capacity all threads' pools may hold together.
const POOLED_BYTES_MAX: usize = 4 << 20;

/// A limit on the capacity some pools hold together.
#[derive(Debug)]
struct Budget {
    held: AtomicUsize,
    max: usize,
}

impl Budget {
    const fn new(max: usize) -> Self {
        Budget {
            held: AtomicUsize::new(0),
            max,
        }
    }

    /// Reserves `bytes` if they fit under the limit.
    fn reserve(&self, bytes: usize) -> bool {
        self.held
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                held.checked_add(bytes).filter(|&total| total <= self.max)
            })
            .is_ok()
    }

    fn release(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// The budget every thread's pool shares.
static BUDGET: Budget = Budget::new(POOLED_BYTES_MAX);

/// One thread's buffers, charged to a budget until they leave the pool or the pool is
/// dropped (its thread ends).
#[derive(Debug)]
struct Pool {
    buffers: Vec<Vec<u8>>,
    budget: &'static Budget,
}

impl Pool {
    const fn new(budget: &'static Budget) -> Self {
        Pool {
            buffers: Vec::new(),
            budget,
        }
    }

    /// The kept buffer that fits `len` most tightly (see the module's invariants).
    fn take_fitting(&mut self, len: usize) -> Option<Vec<u8>> {
        let fits = |b: &Vec<u8>| b.capacity() >= len && b.capacity() <= 2 * len + CAPACITY_SLACK;
        let at = (0..self.buffers.len())
            .filter(|&i| fits(&self.buffers[i]))
            .min_by_key(|&i| self.buffers[i].capacity())?;
        let buf = self.buffers.swap_remove(at);
        self.budget.release(buf.capacity());
        Some(buf)
    }

    /// Keeps `buf` if it is not too large and both this pool and the budget have room;
    /// otherwise it is freed.
    fn keep(&mut self, buf: Vec<u8>) {
        let bytes = buf.capacity();
        if bytes > 0
            && bytes <= BUFFER_MAX_CAPACITY
            && self.buffers.len() < POOL_BUFFERS
            && self.budget.reserve(bytes)
        {
            self.buffers.push(buf);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.budget
            .release(self.buffers.iter().map(Vec::capacity).sum());
    }
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool::new(&BUDGET)) };
}

/// An empty buffer with room for `len` bytes, for a read that fills it without a
/// zero-fill first ([`shale_io::File::read_exact_into`],
/// [`shale_io::File::read_exact_vectored_at`]): one from this thread's pool if it fits,
/// else a new one.
pub(crate) fn take_empty(len: usize) -> Vec<u8> {
    match take_pooled(len) {
        Some(mut buf) => {
            buf.clear();
            buf
        }
        None => Vec::with_capacity(len),
    }
}

/// The pooled buffer that fits `len` most tightly, as it was kept.
fn take_pooled(len: usize) -> Option<Vec<u8>> {
    POOL.try_with(|pool| pool.try_borrow_mut().ok()?.take_fitting(len))
        .ok()
        .flatten()
}

/// Takes `block` apart for its buffer if nothing else holds it, and keeps the buffer for
/// this thread's next read if there is room (see [`Pool::keep`]); otherwise just drops
/// it.
pub(crate) fn recycle(block: Arc<Block>) {
    let Ok(block) = Arc::try_unwrap(block) else {
        return;
    };
    give(block.into_payload());
}

/// Keeps `buf` for this thread's next read if there is room (see [`Pool::keep`]);
/// otherwise frees it.
pub(crate) fn give(buf: Vec<u8>) {
    // During the thread's exit the pool may be gone: the buffer is then simply freed.
    let _ = POOL.try_with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut() {
            pool.keep(buf);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::BlockBuilder;
    use crate::format::ValueKind;

    /// A block of one entry whose buffer's capacity is its length.
    fn block_of(value_len: usize) -> Arc<Block> {
        let mut b = BlockBuilder::new(16);
        b.add(b"k", 1, ValueKind::Put, &vec![7u8; value_len]);
        let mut payload = b.finish();
        payload.shrink_to_fit();
        Arc::new(Block::parse(payload).unwrap())
    }

    fn pooled() -> usize {
        POOL.with(|p| p.borrow().buffers.len())
    }

    /// Empties this thread's pool, giving its bytes back.
    fn clear_pool() {
        POOL.with(|p| {
            let mut pool = p.borrow_mut();
            BUDGET.release(pool.buffers.iter().map(Vec::capacity).sum());
            pool.buffers.clear();
        });
    }

    #[test]
    fn an_evicted_block_nobody_holds_lends_its_buffer_to_the_next_read() {
        clear_pool();
        let block = block_of(4000);
        let data_ptr = block.data_ptr();
        recycle(block);
        assert_eq!(pooled(), 1);
        let buf = take_empty(4000);
        assert!(buf.is_empty() && buf.capacity() >= 4000);
        assert_eq!(
            buf.as_ptr(),
            data_ptr,
            "the evicted block's memory is reused"
        );
        assert_eq!(pooled(), 0);
    }

    #[test]
    fn a_block_an_iterator_still_holds_is_not_taken_apart() {
        clear_pool();
        let block = block_of(4000);
        let held = block.clone();
        recycle(block);
        assert_eq!(pooled(), 0);
        assert_eq!(held.len(), 1, "the holder's block is intact");
    }

    #[test]
    fn buffers_much_larger_than_wanted_are_not_lent_and_a_pool_is_bounded() {
        clear_pool();
        recycle(block_of(30_000));
        let small = take_empty(1000);
        assert!(
            small.capacity() < 30_000,
            "a 30 KB buffer is not lent for 1 KB"
        );
        assert_eq!(pooled(), 1);
        for _ in 0..POOL_BUFFERS + 5 {
            recycle(block_of(100));
        }
        assert_eq!(pooled(), POOL_BUFFERS);
        clear_pool();
        recycle(block_of(BUFFER_MAX_CAPACITY + 1));
        assert_eq!(pooled(), 0, "a buffer over the size limit is freed");
    }

    #[test]
    fn the_tightest_fitting_buffer_is_lent() {
        clear_pool();
        recycle(block_of(7000));
        let small = block_of(4000);
        let small_ptr = small.data_ptr();
        recycle(small);
        recycle(block_of(7000));
        let lent = take_empty(4000);
        assert_eq!(lent.as_ptr(), small_ptr);
    }

    #[test]
    fn a_lent_buffer_is_empty_with_room_for_the_length_asked_for() {
        clear_pool();
        recycle(block_of(4000));
        let empty = take_empty(3000);
        assert!(empty.is_empty() && empty.capacity() >= 3000);
        let fresh = take_empty(4100);
        assert!(fresh.is_empty() && fresh.capacity() >= 4100);
    }

    #[test]
    fn an_empty_buffer_reuses_a_kept_one_longer_than_its_block_within_its_capacity() {
        clear_pool();
        let mut b = BlockBuilder::new(16);
        b.add(b"k", 1, ValueKind::Put, &[7u8; 4000]);
        let mut payload = b.finish();
        payload.shrink_to_fit();
        payload.reserve_exact(200);
        let kept_len = payload.len();
        let block = Arc::new(Block::parse(payload).unwrap());
        let data_ptr = block.data_ptr();
        recycle(block);
        let empty = take_empty(kept_len + 100);
        assert!(empty.is_empty());
        assert_eq!(empty.as_ptr(), data_ptr, "the kept buffer was reused");
        // Given back, it serves the next read again; a buffer too large is not kept.
        give(empty);
        assert_eq!(pooled(), 1);
        give(Vec::with_capacity(BUFFER_MAX_CAPACITY + 1));
        assert_eq!(pooled(), 1);
        let again = take_empty(kept_len);
        assert_eq!(again.as_ptr(), data_ptr);
    }

    #[test]
    fn pools_of_many_threads_together_stay_within_their_budget() {
        // A budget of its own, so the process's pools (other tests) do not interfere.
        static SHARED: Budget = Budget::new(1 << 20);
        let buffer = BUFFER_MAX_CAPACITY / 2;
        // Enough threads that their per-pool bounds together exceed the budget twice.
        let threads = 2 * SHARED.max / (POOL_BUFFERS * buffer) + 1;
        let barrier = Arc::new(std::sync::Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let mut pool = Pool::new(&SHARED);
                    for _ in 0..POOL_BUFFERS {
                        pool.keep(vec![0u8; buffer]);
                    }
                    barrier.wait(); // every pool is filled
                    barrier.wait(); // the budget has been read
                    let kept = pool.buffers.len();
                    drop(pool);
                    kept
                })
            })
            .collect();
        barrier.wait();
        let held = SHARED.held.load(Ordering::Relaxed);
        barrier.wait();
        let kept: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(
            held,
            kept * buffer,
            "the budget counts exactly what pools hold"
        );
        assert!(
            held <= SHARED.max && held > SHARED.max - buffer,
            "filled to the limit"
        );
        assert_eq!(
            SHARED.held.load(Ordering::Relaxed),
            0,
            "dropped pools give back"
        );
    }
}
