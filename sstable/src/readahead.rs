//! Read-ahead for an iterator stepping forward through a table's data blocks: RocksDB's
//! automatic iterator read-ahead, in a few lines.
//!
//! Why: a scan that misses the block cache reads one ~4 KiB block per `pread`, and on a
//! data set the page cache holds, the system call, not the copy, is most of that read's
//! cost. Once an iterator has read [`READS_BEFORE_READAHEAD`] blocks alone since its last
//! seek (the seek's own block included), each further miss reads a window of blocks in
//! one call, starting at [`INITIAL_WINDOW_BYTES`] and doubling per window up to a maximum
//! ([`DEFAULT_READAHEAD_MAX_BYTES`] unless the iterator is given another; 0 turns
//! read-ahead off); the next blocks are then cut from the window. A seek starts the count
//! again, so short scans (one or two blocks) read nothing extra, and the window never
//! reaches past the table's data blocks.
//!
//! Invariants: the window holds `window_len` bytes of the file starting at
//! `window_start` (tables are immutable, so a window never goes stale); it is bounded by
//! that maximum (or one block, when a block is larger); and every block cut from it is
//! verified exactly as a block read on its own is (the caller unseals it).

use std::cell::RefCell;
use std::path::Path;

use shale_io::File;

use crate::block_buffers;
use crate::error::Error;
use crate::table::read_exact;
use crate::writer::io_error;

/// Cache-missing blocks an iterator reads alone after a seek (the seek's block included)
/// before it reads ahead: RocksDB's `num_file_reads_for_auto_readahead` default, so a
/// scan that touches two blocks reads nothing extra.
pub(crate) const READS_BEFORE_READAHEAD: u32 = 2;
/// The first window's size.
pub(crate) const INITIAL_WINDOW_BYTES: u64 = 16 << 10;
/// The largest window by default (RocksDB's default `max_auto_readahead_size`).
pub const DEFAULT_READAHEAD_MAX_BYTES: u64 = 256 << 10;

/// Window buffers a thread keeps from its finished iterators for its next ones: a scan
/// builds new iterators, and a fresh window buffer must be allocated and zero-filled
/// before the first read into it (3% of YCSB E's CPU). Bounded: at most
/// `SPARE_WINDOWS` buffers a thread, each at most `SPARE_WINDOW_MAX_BYTES` (a larger one,
/// a long scan's or a compaction's, is freed).
const SPARE_WINDOWS: usize = 4;
const SPARE_WINDOW_MAX_BYTES: usize = 64 << 10;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A spare window buffer of this thread's, or an empty one.
fn take_spare() -> Vec<u8> {
    SPARE
        .try_with(|spare| spare.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Keeps `window` for this thread's next iterator, if it is small enough and there is
/// room; else frees it.
fn give_spare(window: Vec<u8>) {
    if window.is_empty() || window.len() > SPARE_WINDOW_MAX_BYTES {
        return;
    }
    // During the thread's exit the pool may be gone: the buffer is then simply freed.
    let _ = SPARE.try_with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut() {
            if spare.len() < SPARE_WINDOWS {
                spare.push(window);
            }
        }
    });
}

/// One iterator's read-ahead state. See the module docs.
#[derive(Debug)]
pub(crate) struct Readahead {
    window: Vec<u8>,
    /// How many bytes of `window` hold file data (the vector only grows, so a refill
    /// does not zero it again).
    window_len: usize,
    /// The file offset of `window[0]`.
    window_start: u64,
    /// Cache-missing blocks read since the last seek.
    reads: u32,
    /// The size of the next window.
    next_window: u64,
    /// The largest window; 0 turns read-ahead off.
    max_window: u64,
}

impl Default for Readahead {
    fn default() -> Self {
        Readahead::new(DEFAULT_READAHEAD_MAX_BYTES)
    }
}

impl Readahead {
    /// Read-ahead with windows of at most `max_window` bytes (0: every block alone).
    pub(crate) fn new(max_window: u64) -> Self {
        Readahead {
            window: Vec::new(),
            window_len: 0,
            window_start: 0,
            reads: 0,
            next_window: INITIAL_WINDOW_BYTES.min(max_window),
            max_window,
        }
    }

    /// A seek: the next block is not a step from the last one, so the count and the
    /// window size start again. The window itself stays: it is still the file's bytes.
    pub(crate) fn reset(&mut self) {
        self.reads = 0;
        self.next_window = INITIAL_WINDOW_BYTES.min(self.max_window);
    }

    /// Reads `len` bytes at `offset` (a block and its trailer that missed the cache),
    /// from the window when it holds them, else with one read, which is a new window once
    /// the iterator has read enough blocks since its last seek. `limit` is where the data
    /// blocks end; the caller has checked `offset + len <= limit`. Also says whether this
    /// call read a new window.
    ///
    /// # Errors
    /// [`Error::Io`] if the read fails or comes up short.
    pub(crate) fn read_block(
        &mut self,
        file: &dyn File,
        path: &Path,
        offset: u64,
        len: u64,
        limit: u64,
    ) -> Result<(Vec<u8>, bool), Error> {
        if let Some(bytes) = self.in_window(offset, len) {
            return Ok((block_buffers::copy_of(bytes), false));
        }
        self.reads = self.reads.saturating_add(1);
        if self.reads <= READS_BEFORE_READAHEAD || self.max_window == 0 {
            return Ok((read_exact(file, path, offset, len)?, false));
        }
        let want = self.next_window.max(len).min(limit.saturating_sub(offset));
        self.next_window = (self.next_window * 2).min(self.max_window);
        self.fill(file, path, offset, want)?;
        self.in_window(offset, len)
            .map(|bytes| (block_buffers::copy_of(bytes), true))
            .ok_or_else(|| short_window(path, offset))
    }

    /// The bytes `[offset, offset + len)` if the window holds all of them.
    fn in_window(&self, offset: u64, len: u64) -> Option<&[u8]> {
        let from = usize::try_from(offset.checked_sub(self.window_start)?).ok()?;
        let to = from.checked_add(usize::try_from(len).ok()?)?;
        (to <= self.window_len).then(|| &self.window[from..to])
    }

    /// Replaces the window with `len` bytes at `offset`. On failure the window is empty.
    fn fill(&mut self, file: &dyn File, path: &Path, offset: u64, len: u64) -> Result<(), Error> {
        self.window_len = 0;
        let len = usize::try_from(len).map_err(|_| short_window(path, offset))?;
        if self.window.is_empty() {
            self.window = take_spare();
        }
        if self.window.len() < len {
            self.window.resize(len, 0);
        }
        file.read_exact_at(&mut self.window[..len], offset)
            .map_err(|e| io_error("read ahead", path, offset, e))?;
        self.window_start = offset;
        self.window_len = len;
        Ok(())
    }
}

impl Drop for Readahead {
    fn drop(&mut self) {
        give_spare(std::mem::take(&mut self.window));
    }
}

/// A window that does not cover the block it was read for: only possible if the caller
/// broke `offset + len <= limit`; reported as an I/O error rather than trusted.
fn short_window(path: &Path, offset: u64) -> Error {
    io_error(
        "read ahead",
        path,
        offset,
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "read-ahead window shorter than the block",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A file of `len` bytes, byte `i` = `i % 251`, that counts its reads.
    #[derive(Debug)]
    struct CountingFile {
        len: u64,
        reads: AtomicUsize,
    }

    impl File for CountingFile {
        fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            let n = buf.len().min(self.len.saturating_sub(offset) as usize);
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = ((offset as usize + i) % 251) as u8;
            }
            Ok(n)
        }
        fn write_all_at(&self, _: &[u8], _: u64) -> std::io::Result<()> {
            unreachable!("read-only in these tests")
        }
        fn sync_data(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn len(&self) -> std::io::Result<u64> {
            Ok(self.len)
        }
        fn set_len(&self, _: u64) -> std::io::Result<()> {
            unreachable!("read-only in these tests")
        }
    }

    fn expected(offset: u64, len: u64) -> Vec<u8> {
        (offset..offset + len).map(|i| (i % 251) as u8).collect()
    }

    fn file(len: u64) -> Arc<CountingFile> {
        Arc::new(CountingFile {
            len,
            reads: AtomicUsize::new(0),
        })
    }

    #[test]
    fn reads_ahead_only_after_the_threshold_and_windows_double() {
        let f = file(4 << 20);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        let block = 4096;
        let mut reads_after = Vec::new();
        for i in 0..40u64 {
            let (got, window) = ra
                .read_block(&*f, &path, i * block, block, 4 << 20)
                .unwrap();
            assert_eq!(got, expected(i * block, block), "block {i}");
            assert_eq!(window, [2, 6, 14, 30].contains(&i), "block {i}");
            reads_after.push(f.reads.load(Ordering::Relaxed));
        }
        // Blocks 0 and 1 are read alone; block 2 opens a 16 KiB window (blocks 2-5), then
        // 32 KiB (6-13), 64 KiB (14-29) and 128 KiB (30-61).
        assert_eq!(&reads_after[..3], &[1, 2, 3]);
        assert_eq!(reads_after[5], 3, "blocks 3-5 come from the first window");
        assert_eq!(reads_after[6], 4);
        assert_eq!(reads_after[13], 4);
        assert_eq!(reads_after[14], 5);
        assert_eq!(reads_after[29], 5);
        assert_eq!(reads_after[39], 6);
    }

    #[test]
    fn a_seek_starts_the_count_again_and_windows_stop_at_the_limit() {
        let f = file(1 << 20);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        let limit = 10_000;
        ra.read_block(&*f, &path, 0, 3000, limit).unwrap();
        ra.read_block(&*f, &path, 3000, 3000, limit).unwrap();
        let (got, _) = ra.read_block(&*f, &path, 6000, 3000, limit).unwrap();
        assert_eq!(got, expected(6000, 3000));
        assert_eq!(ra.window_len, 4000, "the window stops at the limit");
        ra.reset();
        let before = f.reads.load(Ordering::Relaxed);
        // Inside the window: served from it even after a seek.
        assert_eq!(
            ra.read_block(&*f, &path, 9000, 1000, limit).unwrap(),
            (expected(9000, 1000), false)
        );
        assert_eq!(f.reads.load(Ordering::Relaxed), before);
        // Outside it, after the seek: one read of the block alone.
        ra.read_block(&*f, &path, 0, 100, limit).unwrap();
        ra.read_block(&*f, &path, 100, 100, limit).unwrap();
        assert_eq!(f.reads.load(Ordering::Relaxed), before + 2);
        assert_eq!(ra.window_start, 6000, "lone reads leave the window alone");
    }

    #[test]
    fn a_zero_maximum_reads_every_block_alone_and_a_small_one_caps_windows() {
        let f = file(1 << 20);
        let path = PathBuf::from("t.sst");
        let mut off = Readahead::new(0);
        for i in 0..10u64 {
            off.read_block(&*f, &path, i * 1000, 1000, 1 << 20).unwrap();
        }
        assert_eq!(f.reads.load(Ordering::Relaxed), 10);
        assert_eq!(off.window_len, 0);
        let mut small = Readahead::new(8192);
        for i in 0..10u64 {
            small
                .read_block(&*f, &path, i * 1000, 1000, 1 << 20)
                .unwrap();
            assert!(small.window_len <= 8192);
        }
    }

    fn spares() -> Vec<usize> {
        SPARE.with(|s| s.borrow().iter().map(Vec::len).collect())
    }

    #[test]
    fn a_finished_iterators_window_serves_the_next_one_on_its_thread() {
        let f = file(1 << 20);
        let path = PathBuf::from("t.sst");
        let read_three = |ra: &mut Readahead| {
            for i in 0..3u64 {
                ra.read_block(&*f, &path, i * 1000, 1000, 1 << 20).unwrap();
            }
        };
        let mut first = Readahead::default();
        read_three(&mut first);
        assert_eq!(first.window_len, INITIAL_WINDOW_BYTES as usize);
        drop(first);
        assert_eq!(spares(), vec![INITIAL_WINDOW_BYTES as usize]);
        let mut second = Readahead::default();
        read_three(&mut second);
        assert!(spares().is_empty(), "the second iterator took the spare");
        drop(second);
        // A window bigger than a spare may be is freed, and at most SPARE_WINDOWS kept.
        let mut big = Readahead::default();
        for i in 0..40u64 {
            big.read_block(&*f, &path, i * 4096, 4096, 1 << 20).unwrap();
        }
        assert!(big.window.len() > SPARE_WINDOW_MAX_BYTES);
        drop(big);
        assert!(
            spares().is_empty(),
            "it took the spare and was too big to give it back"
        );
        let many: Vec<Readahead> = (0..SPARE_WINDOWS + 3)
            .map(|_| {
                let mut ra = Readahead::default();
                read_three(&mut ra);
                ra
            })
            .collect();
        drop(many);
        assert_eq!(spares().len(), SPARE_WINDOWS);
    }

    #[test]
    fn a_block_larger_than_the_window_is_read_whole() {
        let f = file(2 << 20);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        ra.read_block(&*f, &path, 0, 10, 2 << 20).unwrap();
        ra.read_block(&*f, &path, 10, 10, 2 << 20).unwrap();
        let big = DEFAULT_READAHEAD_MAX_BYTES + 5000;
        let (got, _) = ra.read_block(&*f, &path, 20, big, 2 << 20).unwrap();
        assert_eq!(got, expected(20, big));
    }

    #[test]
    fn a_short_file_is_an_io_error_and_empties_the_window() {
        let f = file(5000);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        ra.read_block(&*f, &path, 0, 100, 5000).unwrap();
        ra.read_block(&*f, &path, 100, 100, 5000).unwrap();
        // The caller's limit claims more data than the file holds (the file shrank).
        let err = ra.read_block(&*f, &path, 200, 100, 1 << 20).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert_eq!(ra.window_len, 0);
    }
}
