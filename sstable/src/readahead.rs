//! Read-ahead for an iterator stepping forward through a table's data blocks: RocksDB's
//! automatic iterator read-ahead, with each block read straight into its own buffer.
//!
//! Why: a scan that misses the block cache reads one ~4 KiB block per `pread`, and on a
//! data set the page cache holds, the system call, not the copy, is most of that read's
//! cost. Once an iterator has read [`READS_BEFORE_READAHEAD`] blocks alone since its last
//! seek (the seek's own block included), each further miss reads a window of the blocks
//! that follow in one vectored read ([`File::read_exact_vectored_at`], one `preadv`),
//! starting at [`INITIAL_WINDOW_BYTES`] and doubling per window up to a maximum
//! ([`DEFAULT_READAHEAD_MAX_BYTES`] unless the iterator is given another; 0 turns
//! read-ahead off). The next blocks are then taken from the window as they are reached.
//! A seek starts the count again, so short scans (one or two blocks) read nothing extra.
//!
//! Each block of a window has its own buffer (from [`block_buffers`]), so a block taken
//! from the window is handed over whole: an earlier version read the window into one
//! buffer and copied each block out of it, and that copy was 4% of YCSB E's CPU.
//!
//! Invariants: a window holds whole blocks, the ones the caller named, contiguous in the
//! file and in file order; its bytes are at most the current maximum (or one block, when
//! a block is larger) and its blocks at most [`WINDOW_BLOCKS_MAX`]; tables are
//! immutable, so a window never goes stale; and every block taken from it is verified
//! exactly as a block read on its own is (the caller unseals it). Blocks never taken go
//! back to [`block_buffers`] when the window is replaced or the iterator is dropped.

use std::collections::VecDeque;
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
/// The most blocks one window holds (what one `preadv` of the std backend takes).
pub(crate) const WINDOW_BLOCKS_MAX: usize = 64;

/// Where a block is in its file: its offset and its length with the trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Extent {
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

impl Extent {
    fn end(self) -> Option<u64> {
        self.offset.checked_add(self.len)
    }
}

/// One iterator's read-ahead state. See the module docs.
#[derive(Debug)]
pub(crate) struct Readahead {
    /// The window: blocks read ahead and not yet taken, in file order, each with its
    /// offset.
    window: VecDeque<(u64, Vec<u8>)>,
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
            window: VecDeque::new(),
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

    /// Reads the block at `block` (with its trailer; it missed the cache): from the
    /// window when it holds it, else with one read, which is a new window of `block` and
    /// the blocks of `following` (the table's next blocks, in order, each already checked
    /// to lie within its data) once the iterator has read enough blocks since its last
    /// seek. Also says whether this call read a new window.
    ///
    /// # Errors
    /// [`Error::Io`] if the read fails or comes up short; the window is then empty.
    pub(crate) fn read_block(
        &mut self,
        file: &dyn File,
        path: &Path,
        block: Extent,
        following: impl Iterator<Item = Extent>,
    ) -> Result<(Vec<u8>, bool), Error> {
        if let Some(raw) = self.take_from_window(block) {
            return Ok((raw, false));
        }
        self.reads = self.reads.saturating_add(1);
        if self.reads <= READS_BEFORE_READAHEAD || self.max_window == 0 {
            return Ok((read_exact(file, path, block.offset, block.len)?, false));
        }
        let window_bytes = self.next_window;
        self.next_window = (self.next_window * 2).min(self.max_window);
        self.fill(file, path, block, following, window_bytes)?;
        self.take_from_window(block)
            .map(|raw| (raw, true))
            .ok_or_else(|| short_window(path, block.offset))
    }

    /// The window's block at `block`, if it holds it; blocks before it (passed over
    /// because the cache had them, or by a seek forward) are given back. A block before
    /// the window leaves the window alone.
    fn take_from_window(&mut self, block: Extent) -> Option<Vec<u8>> {
        while let Some((offset, raw)) = self.window.front() {
            if *offset > block.offset {
                return None;
            }
            let found = *offset == block.offset && raw.len() as u64 == block.len;
            let (_, raw) = self.window.pop_front()?;
            if found {
                return Some(raw);
            }
            block_buffers::give_back(raw);
        }
        None
    }

    /// Replaces the window with `block` and as many of the `following` blocks as are
    /// contiguous with it and fit in `window_bytes` (and [`WINDOW_BLOCKS_MAX`]), read in
    /// one vectored read.
    fn fill(
        &mut self,
        file: &dyn File,
        path: &Path,
        block: Extent,
        following: impl Iterator<Item = Extent>,
        window_bytes: u64,
    ) -> Result<(), Error> {
        self.clear();
        let mut end = block
            .end()
            .ok_or_else(|| short_window(path, block.offset))?;
        let mut extents = vec![block];
        for next in following.take(WINDOW_BLOCKS_MAX - 1) {
            match next.end() {
                Some(next_end) if next.offset == end && next_end - block.offset <= window_bytes => {
                    extents.push(next);
                    end = next_end;
                }
                _ => break,
            }
        }
        for e in &extents {
            let len = usize::try_from(e.len).map_err(|_| short_window(path, e.offset))?;
            self.window.push_back((e.offset, block_buffers::take(len)));
        }
        let mut bufs: Vec<&mut [u8]> = self.window.iter_mut().map(|(_, b)| &mut b[..]).collect();
        let read = file.read_exact_vectored_at(&mut bufs, block.offset);
        drop(bufs);
        if let Err(e) = read {
            self.clear();
            return Err(io_error("read ahead", path, block.offset, e));
        }
        Ok(())
    }

    /// Empties the window, giving its buffers back.
    fn clear(&mut self) {
        for (_, raw) in self.window.drain(..) {
            block_buffers::give_back(raw);
        }
    }

    /// The bytes the window holds.
    #[cfg(test)]
    fn window_bytes(&self) -> usize {
        self.window.iter().map(|(_, b)| b.len()).sum()
    }
}

impl Drop for Readahead {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A window that does not hold the block it was read for: only possible if the caller's
/// extents overflow; reported as an I/O error rather than trusted.
fn short_window(path: &Path, offset: u64) -> Error {
    io_error(
        "read ahead",
        path,
        offset,
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "read-ahead window does not hold the block",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A file of `len` bytes, byte `i` = `i % 251`, that counts its system calls (a
    /// vectored read is one, as `preadv` is).
    #[derive(Debug)]
    struct CountingFile {
        len: u64,
        reads: AtomicUsize,
    }

    impl CountingFile {
        fn fill(&self, buf: &mut [u8], offset: u64) -> usize {
            let n = buf.len().min(self.len.saturating_sub(offset) as usize);
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = ((offset as usize + i) % 251) as u8;
            }
            n
        }
    }

    impl File for CountingFile {
        fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            Ok(self.fill(buf, offset))
        }
        fn read_exact_vectored_at(
            &self,
            bufs: &mut [&mut [u8]],
            offset: u64,
        ) -> std::io::Result<()> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            let mut at = offset;
            for buf in bufs.iter_mut() {
                if self.fill(buf, at) < buf.len() {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                at += buf.len() as u64;
            }
            Ok(())
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

    /// Block `i` of a table of `count` blocks of `size` bytes each, back to back.
    fn block(i: u64, size: u64) -> Extent {
        Extent {
            offset: i * size,
            len: size,
        }
    }

    /// The blocks after block `i`, up to block `count`.
    fn after(i: u64, size: u64, count: u64) -> impl Iterator<Item = Extent> {
        (i + 1..count).map(move |j| block(j, size))
    }

    fn reads(f: &CountingFile) -> usize {
        f.reads.load(Ordering::Relaxed)
    }

    #[test]
    fn reads_ahead_only_after_the_threshold_and_windows_double() {
        let f = file(4 << 20);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        let (size, count) = (4096, 1024);
        let mut reads_after = Vec::new();
        for i in 0..40u64 {
            let (got, window) = ra
                .read_block(&*f, &path, block(i, size), after(i, size, count))
                .unwrap();
            assert_eq!(got, expected(i * size, size), "block {i}");
            assert_eq!(window, [2, 6, 14, 30].contains(&i), "block {i}");
            reads_after.push(reads(&f));
        }
        // Blocks 0 and 1 are read alone; block 2 opens a 16 KiB window (blocks 2-5), then
        // 32 KiB (6-13), 64 KiB (14-29) and 128 KiB (30-61), each in one call.
        assert_eq!(&reads_after[..3], &[1, 2, 3]);
        assert_eq!(reads_after[5], 3, "blocks 3-5 come from the first window");
        assert_eq!(reads_after[6], 4);
        assert_eq!(reads_after[13], 4);
        assert_eq!(reads_after[14], 5);
        assert_eq!(reads_after[29], 5);
        assert_eq!(reads_after[39], 6);
        assert_eq!(
            ra.window.len(),
            61 - 39,
            "blocks 40-61 are still in the window"
        );
    }

    #[test]
    fn a_window_stops_at_the_last_block_named_and_at_a_gap() {
        let f = file(1 << 20);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        for i in 0..2 {
            ra.read_block(&*f, &path, block(i, 3000), after(i, 3000, 4))
                .unwrap();
        }
        let (got, window) = ra
            .read_block(&*f, &path, block(2, 3000), after(2, 3000, 4))
            .unwrap();
        assert_eq!((got, window), (expected(6000, 3000), true));
        assert_eq!(ra.window_bytes(), 3000, "only block 3 follows block 2");

        let mut ra = Readahead::default();
        let with_gap = [block(5, 1000), block(7, 1000)];
        for i in 0..2 {
            ra.read_block(&*f, &path, block(i, 1000), after(i, 1000, 4))
                .unwrap();
        }
        ra.read_block(&*f, &path, block(4, 1000), with_gap.into_iter())
            .unwrap();
        assert_eq!(ra.window.len(), 1, "block 7 is not contiguous with block 5");
        assert_eq!(ra.window[0].0, 5000);
    }

    #[test]
    fn a_seek_starts_the_count_again_and_skipped_blocks_are_given_back() {
        let f = file(1 << 20);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        let (size, count) = (1000, 1000);
        for i in 0..3 {
            ra.read_block(&*f, &path, block(i, size), after(i, size, count))
                .unwrap();
        }
        assert_eq!(ra.window.len(), 15, "16 KiB: blocks 2-17, block 2 taken");
        ra.reset();
        let before = reads(&f);
        // A block further on in the window (the ones between were cache hits, or a seek
        // passed them): served from it, even after a seek, and the ones before it go.
        assert_eq!(
            ra.read_block(&*f, &path, block(9, size), after(9, size, count))
                .unwrap(),
            (expected(9000, size), false)
        );
        assert_eq!(reads(&f), before);
        assert_eq!(ra.window.len(), 8, "blocks 10-17 remain");
        // Before the window, after the seek: read alone, and the window stays.
        ra.read_block(&*f, &path, block(0, size), after(0, size, count))
            .unwrap();
        ra.read_block(&*f, &path, block(1, size), after(1, size, count))
            .unwrap();
        assert_eq!(reads(&f), before + 2);
        assert_eq!(ra.window.front().map(|w| w.0), Some(10_000));
    }

    #[test]
    fn a_zero_maximum_reads_every_block_alone_and_a_small_one_caps_windows() {
        let f = file(1 << 20);
        let path = PathBuf::from("t.sst");
        let mut off = Readahead::new(0);
        for i in 0..10u64 {
            off.read_block(&*f, &path, block(i, 1000), after(i, 1000, 1000))
                .unwrap();
        }
        assert_eq!(reads(&f), 10);
        assert!(off.window.is_empty());
        let mut small = Readahead::new(8192);
        for i in 0..10u64 {
            small
                .read_block(&*f, &path, block(i, 1000), after(i, 1000, 1000))
                .unwrap();
            assert!(small.window_bytes() <= 8192);
        }
    }

    #[test]
    fn a_window_holds_at_most_its_block_count() {
        let f = file(1 << 20);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        for i in 0..3u64 {
            ra.read_block(&*f, &path, block(i, 10), after(i, 10, 10_000))
                .unwrap();
        }
        assert_eq!(ra.window.len(), WINDOW_BLOCKS_MAX - 1);
    }

    #[test]
    fn blocks_never_taken_go_back_to_the_buffer_pool() {
        let f = file(1 << 20);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        for i in 0..3u64 {
            ra.read_block(&*f, &path, block(i, 4000), after(i, 4000, 100))
                .unwrap();
        }
        let untaken: Vec<*const u8> = ra.window.iter().map(|(_, b)| b.as_ptr()).collect();
        assert_eq!(untaken.len(), 3);
        drop(ra);
        // The next block reads of this thread get those buffers.
        let reused: Vec<Vec<u8>> = (0..3).map(|_| block_buffers::take(4000)).collect();
        for p in untaken {
            assert!(
                reused.iter().any(|b| b.as_ptr() == p),
                "{p:?} was given back"
            );
        }
    }

    #[test]
    fn a_block_larger_than_the_window_is_read_whole() {
        let f = file(2 << 20);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        ra.read_block(&*f, &path, block(0, 10), after(0, 10, 2))
            .unwrap();
        ra.read_block(&*f, &path, block(1, 10), after(1, 10, 2))
            .unwrap();
        let big = Extent {
            offset: 20,
            len: DEFAULT_READAHEAD_MAX_BYTES + 5000,
        };
        let (got, window) = ra.read_block(&*f, &path, big, std::iter::empty()).unwrap();
        assert_eq!((got, window), (expected(20, big.len), true));
    }

    #[test]
    fn a_short_file_is_an_io_error_and_empties_the_window() {
        let f = file(5000);
        let path = PathBuf::from("t.sst");
        let mut ra = Readahead::default();
        ra.read_block(&*f, &path, block(0, 100), after(0, 100, 60))
            .unwrap();
        ra.read_block(&*f, &path, block(1, 100), after(1, 100, 60))
            .unwrap();
        // The caller names blocks past the file's end (the file shrank).
        let err = ra
            .read_block(&*f, &path, block(2, 100), after(2, 100, 60))
            .unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(ra.window.is_empty());
    }
}
