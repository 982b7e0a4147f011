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
//!   [`BUFFER_MAX_CAPACITY`]: the pool's memory is bounded per thread;
//! - a buffer handed out for `len` bytes has a capacity of at most twice `len` plus
//!   [`CAPACITY_SLACK`], so a cached block never holds much more memory than the cache
//!   charges it for (the charge counts the block's length);
//! - only a block nobody else holds is taken apart ([`Arc::try_unwrap`]): an iterator
//!   still reading an evicted block keeps it whole.

use std::cell::RefCell;
use std::sync::Arc;

use crate::block::Block;

/// Buffers a thread keeps.
const POOL_BUFFERS: usize = 16;
/// The largest buffer kept (a block larger than this, rare, is freed as before).
const BUFFER_MAX_CAPACITY: usize = 64 << 10;
/// Capacity beyond twice the wanted length a reused buffer may have.
const CAPACITY_SLACK: usize = 256;

thread_local! {
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of exactly `len` bytes to read a block into: one from this thread's pool if
/// it fits, else a new zero-filled one. Its contents are not specified; the caller
/// overwrites all of them.
pub(crate) fn take(len: usize) -> Vec<u8> {
    reuse(len).unwrap_or_else(|| vec![0u8; len])
}

/// A buffer holding a copy of `bytes`, reused from the pool as [`take`] does.
pub(crate) fn copy_of(bytes: &[u8]) -> Vec<u8> {
    match reuse(bytes.len()) {
        Some(mut buf) => {
            buf.copy_from_slice(bytes);
            buf
        }
        None => bytes.to_vec(),
    }
}

/// A pooled buffer that fits `len` (see the module's invariants), resized to `len`.
fn reuse(len: usize) -> Option<Vec<u8>> {
    let fits = |b: &Vec<u8>| b.capacity() >= len && b.capacity() <= 2 * len + CAPACITY_SLACK;
    let mut buf = POOL
        .try_with(|pool| {
            let mut pool = pool.try_borrow_mut().ok()?;
            let at = pool.iter().rposition(fits)?;
            Some(pool.swap_remove(at))
        })
        .ok()
        .flatten()?;
    // Only the part past the buffer's old length is zero-filled: blocks are of similar
    // sizes, so that is a few bytes or none.
    buf.resize(len, 0);
    Some(buf)
}

/// Takes `block` apart for its buffer if nothing else holds it, keeping the buffer for
/// this thread's next read when there is room; otherwise just drops it.
pub(crate) fn recycle(block: Arc<Block>) {
    let Ok(block) = Arc::try_unwrap(block) else {
        return;
    };
    let buf = block.into_payload();
    if buf.capacity() == 0 || buf.capacity() > BUFFER_MAX_CAPACITY {
        return;
    }
    // During the thread's exit the pool may be gone: the buffer is then simply freed.
    let _ = POOL.try_with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut() {
            if pool.len() < POOL_BUFFERS {
                pool.push(buf);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::BlockBuilder;
    use crate::format::ValueKind;

    fn block_of(value_len: usize) -> Arc<Block> {
        let mut b = BlockBuilder::new(16);
        b.add(b"k", 1, ValueKind::Put, &vec![7u8; value_len]);
        Arc::new(Block::parse(b.finish()).unwrap())
    }

    fn pooled() -> usize {
        POOL.with(|p| p.borrow().len())
    }

    #[test]
    fn an_evicted_block_nobody_holds_lends_its_buffer_to_the_next_read() {
        POOL.with(|p| p.borrow_mut().clear());
        let block = block_of(4000);
        let data_ptr = block.data_ptr();
        recycle(block);
        assert_eq!(pooled(), 1);
        let buf = take(4000);
        assert_eq!(buf.len(), 4000);
        assert_eq!(
            buf.as_ptr(),
            data_ptr,
            "the evicted block's memory is reused"
        );
        assert_eq!(pooled(), 0);
    }

    #[test]
    fn a_block_an_iterator_still_holds_is_not_taken_apart() {
        POOL.with(|p| p.borrow_mut().clear());
        let block = block_of(4000);
        let held = block.clone();
        recycle(block);
        assert_eq!(pooled(), 0);
        assert_eq!(held.len(), 1, "the holder's block is intact");
    }

    #[test]
    fn buffers_much_larger_than_wanted_are_not_handed_out_and_the_pool_is_bounded() {
        POOL.with(|p| p.borrow_mut().clear());
        recycle(block_of(30_000));
        let small = take(1000);
        assert!(
            small.capacity() < 30_000,
            "a 30 KB buffer is not lent for 1 KB"
        );
        assert_eq!(pooled(), 1);
        for _ in 0..POOL_BUFFERS + 5 {
            recycle(block_of(100));
        }
        assert_eq!(pooled(), POOL_BUFFERS);
        recycle(block_of(BUFFER_MAX_CAPACITY + 1));
        assert_eq!(pooled(), POOL_BUFFERS);
    }

    #[test]
    fn a_reused_buffer_has_exactly_the_length_asked_for() {
        POOL.with(|p| p.borrow_mut().clear());
        recycle(block_of(4000));
        let grown = take(4100);
        assert_eq!(grown.len(), 4100);
        recycle(block_of(4000));
        let copied = copy_of(&[9u8; 3000]);
        assert_eq!(copied, vec![9u8; 3000]);
    }
}
