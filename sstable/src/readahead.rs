//! Read-ahead for an iterator stepping forward through a table's data blocks: RocksDB's
//! automatic iterator read-ahead, in a few lines.
//!
//! Why: a scan that misses the block cache reads one ~4 KiB block per `pread`, and on a
//! data set the page cache holds, the system call, not the copy, is most of that read's
//! cost. Once an iterator has read [`READS_BEFORE_READAHEAD`] blocks alone since its last
//! seek (the seek's own block included), each further miss reads a window of the blocks
//! that follow in one call, starting at [`INITIAL_WINDOW_BYTES`] and doubling per window
//! up to a maximum ([`DEFAULT_READAHEAD_MAX_BYTES`] unless the iterator is given another;
//! 0 turns read-ahead off); the next blocks are then taken from the window. A seek starts
//! the count again, so short scans (one or two blocks) read nothing extra, and the window
//! never reaches past the table's data blocks.
//!
//! The window is read with one vectored read straight into one buffer per block
//! ([`shale_io::File::read_exact_vectored_at`]), so a block taken from it is handed over
//! as it is: reading the window into one buffer and copying each block out was 6.3% of
//! YCSB E's CPU.
//!
//! Invariants: every block held holds the file's bytes at its offset (tables are
//! immutable, so a block held never goes stale); the blocks held are consecutive in the
//! file and together at most the maximum (or one block, when a block is larger); and
//! every block taken is verified exactly as a block read on its own is (the caller
//! unseals it).

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

/// One iterator's read-ahead state. See the module docs.
#[derive(Debug)]
pub(crate) struct Readahead {
    /// Blocks read ahead and not yet taken, in file order: each block's offset and its
    /// bytes (payload and trailer).
    ready: VecDeque<(u64, Vec<u8>)>,
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
            ready: VecDeque::new(),
            reads: 0,
            next_window: INITIAL_WINDOW_BYTES.min(max_window),
            max_window,
        }
    }

    /// A seek: the next block is not a step from the last one, so the count and the
    /// window size start again. The blocks held stay: they are still the file's bytes.
    pub(crate) fn reset(&mut self) {
        self.reads = 0;
        self.next_window = INITIAL_WINDOW_BYTES.min(self.max_window);
    }

    /// Reads the `len` bytes at `offset` (a block and its trailer that missed the cache):
    /// the block read ahead when one is held, else with one read, which is a new window
    /// once the iterator has read enough blocks since its last seek. `following` are the
    /// offsets and lengths (trailers included) of the blocks after this one in table
    /// order, which a window takes for as long as they are contiguous, fit in it and end
    /// by `limit`, where the data blocks end; the caller has checked `offset + len <=
    /// limit`. Also says whether this call read a new window.
    ///
    /// # Errors
    /// [`Error::Io`] if the read fails or comes up short.
    pub(crate) fn read_block(
        &mut self,
        file: &dyn File,
        path: &Path,
        offset: u64,
        len: u64,
        following: impl Iterator<Item = (u64, u64)>,
        limit: u64,
    ) -> Result<(Vec<u8>, bool), Error> {
        if let Some(block) = self.take_ready(offset, len) {
            return Ok((block, false));
        }
        self.reads = self.reads.saturating_add(1);
        if self.reads <= READS_BEFORE_READAHEAD || self.max_window == 0 {
            return Ok((read_exact(file, path, offset, len)?, false));
        }
        let want = self.next_window.max(len);
        self.next_window = (self.next_window * 2).min(self.max_window);
        let block = self.fill(file, path, (offset, len), following, want, limit)?;
        Ok((block, true))
    }

    /// The block at `offset` if it is held, taken out; blocks held before it are given
    /// back (a seek or the cache skipped them), blocks after it kept.
    fn take_ready(&mut self, offset: u64, len: u64) -> Option<Vec<u8>> {
        while let Some(&(at, _)) = self.ready.front() {
            if at > offset {
                return None;
            }
            let (at, block) = self.ready.pop_front()?;
            if at == offset && block.len() as u64 == len {
                return Some(block);
            }
            block_buffers::give(block);
        }
        None
    }

    /// Reads a window of at most `want` bytes (or `first` alone, if larger) starting at
    /// the block `first`, with as many of the `following` blocks as are contiguous with
    /// it, fit, and end by `limit`. Returns `first`'s bytes and holds the others in their
    /// place of whatever was held before. On failure nothing is held.
    fn fill(
        &mut self,
        file: &dyn File,
        path: &Path,
        first: (u64, u64),
        following: impl Iterator<Item = (u64, u64)>,
        want: u64,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        self.clear();
        let (offset, first_len) = first;
        let mut lens =
            vec![usize::try_from(first_len).map_err(|_| unaddressable_block(path, offset))?];
        let (mut end, mut total) = (offset.saturating_add(first_len), first_len);
        for (at, len) in following {
            let fits = total.checked_add(len).filter(|&t| t <= want);
            let ends = at.checked_add(len).filter(|&e| e <= limit);
            let (Some(new_total), Some(new_end), Ok(len)) = (fits, ends, usize::try_from(len))
            else {
                break;
            };
            if at != end {
                break;
            }
            lens.push(len);
            (end, total) = (new_end, new_total);
        }
        let mut blocks: Vec<Vec<u8>> = lens.iter().map(|&l| block_buffers::take_empty(l)).collect();
        file.read_exact_vectored_at(&mut blocks, &lens, offset)
            .map_err(|e| io_error("read ahead", path, offset, e))?;
        // `lens` starts with the first block's, so `blocks` has it at index 0.
        let first_block = std::mem::take(&mut blocks[0]);
        let mut at = offset.saturating_add(first_len);
        for block in blocks.into_iter().skip(1) {
            let len = block.len() as u64;
            self.ready.push_back((at, block));
            at = at.saturating_add(len);
        }
        Ok(first_block)
    }

    /// Gives every block held back to the thread's buffer pool.
    fn clear(&mut self) {
        for (_, block) in self.ready.drain(..) {
            block_buffers::give(block);
        }
    }

    /// The bytes held, for tests.
    #[cfg(test)]
    fn held_bytes(&self) -> usize {
        self.ready.iter().map(|(_, b)| b.len()).sum()
    }
}

impl Drop for Readahead {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A block whose length does not fit in a `usize` (possible only on a 32-bit target, for a
/// bounds-checked block of a file over 4 GiB): reported as an I/O error.
fn unaddressable_block(path: &Path, offset: u64) -> Error {
    io_error(
        "read ahead",
        path,
        offset,
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "read-ahead block too large to address",
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

    /// `count` contiguous blocks of `len` bytes from offset 0.
    fn even_blocks(len: u64, count: u64) -> Vec<(u64, u64)> {
        (0..count).map(|i| (i * len, len)).collect()
    }

    /// Reads `blocks[i]` through `ra`, the blocks after it following.
    fn read(
        ra: &mut Readahead,
        f: &CountingFile,
        blocks: &[(u64, u64)],
        i: usize,
        limit: u64,
    ) -> Result<(Vec<u8>, bool), Error> {
        let (offset, len) = blocks[i];
        let path = PathBuf::from("t.sst");
        ra.read_block(
            f,
            &path,
            offset,
            len,
            blocks[i + 1..].iter().copied(),
            limit,
        )
    }

    fn reads(f: &CountingFile) -> usize {
        f.reads.load(Ordering::Relaxed)
    }

    #[test]
    fn reads_ahead_only_after_the_threshold_and_windows_double() {
        let f = file(4 << 20);
        let blocks = even_blocks(4096, 64);
        let mut ra = Readahead::default();
        let mut reads_after = Vec::new();
        for i in 0..40 {
            let (got, window) = read(&mut ra, &f, &blocks, i, 4 << 20).unwrap();
            assert_eq!(got, expected(blocks[i].0, 4096), "block {i}");
            assert_eq!(window, [2, 6, 14, 30].contains(&i), "block {i}");
            reads_after.push(reads(&f));
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
        assert_eq!(ra.held_bytes(), 22 * 4096, "blocks 40-61 are still held");
    }

    #[test]
    fn a_seek_starts_the_count_again_and_windows_stop_at_the_limit() {
        let f = file(1 << 20);
        let blocks = [
            (0, 3000),
            (3000, 3000),
            (6000, 3000),
            (9000, 1000),
            (10_000, 10),
        ];
        let limit = 10_000;
        let mut ra = Readahead::default();
        read(&mut ra, &f, &blocks, 0, limit).unwrap();
        read(&mut ra, &f, &blocks, 1, limit).unwrap();
        let (got, window) = read(&mut ra, &f, &blocks, 2, limit).unwrap();
        assert_eq!((got, window), (expected(6000, 3000), true));
        assert_eq!(ra.held_bytes(), 1000, "the window stops at the limit");
        ra.reset();
        let before = reads(&f);
        // Held: served even after a seek.
        assert_eq!(
            read(&mut ra, &f, &blocks, 3, limit).unwrap(),
            (expected(9000, 1000), false)
        );
        assert_eq!(reads(&f), before);
        assert_eq!(ra.held_bytes(), 0);
        // After the seek, blocks not held are read alone.
        read(&mut ra, &f, &blocks, 0, limit).unwrap();
        read(&mut ra, &f, &blocks, 1, limit).unwrap();
        assert_eq!(reads(&f), before + 2);
    }

    #[test]
    fn a_window_stops_at_a_gap_and_a_forward_seek_passes_over_held_blocks() {
        let f = file(1 << 20);
        // Blocks 0-5 of 1000 bytes, then a gap, then more.
        let mut blocks = even_blocks(1000, 6);
        blocks.extend([(7000, 1000), (8000, 1000)]);
        let mut ra = Readahead::default();
        for i in 0..3 {
            read(&mut ra, &f, &blocks, i, 1 << 20).unwrap();
        }
        assert_eq!(
            ra.held_bytes(),
            3000,
            "blocks 3-5; not the ones past the gap"
        );
        // A seek to block 5 gives back blocks 3 and 4 and takes 5 without a read.
        ra.reset();
        let before = reads(&f);
        assert_eq!(
            read(&mut ra, &f, &blocks, 5, 1 << 20).unwrap().0,
            expected(5000, 1000)
        );
        assert_eq!((reads(&f), ra.held_bytes()), (before, 0));
        assert_eq!(
            read(&mut ra, &f, &blocks, 6, 1 << 20).unwrap().0,
            expected(7000, 1000)
        );
        assert_eq!(reads(&f), before + 1);
    }

    #[test]
    fn a_zero_maximum_reads_every_block_alone_and_a_small_one_caps_windows() {
        let f = file(1 << 20);
        let blocks = even_blocks(1000, 20);
        let mut off = Readahead::new(0);
        for i in 0..10 {
            read(&mut off, &f, &blocks, i, 1 << 20).unwrap();
        }
        assert_eq!(reads(&f), 10);
        assert_eq!(off.held_bytes(), 0);
        let mut small = Readahead::new(8192);
        for i in 0..10 {
            let (got, _) = read(&mut small, &f, &blocks, i, 1 << 20).unwrap();
            assert_eq!(got, expected(blocks[i].0, 1000));
            assert!(small.held_bytes() + 1000 <= 8192);
        }
    }

    #[test]
    fn a_block_larger_than_the_window_is_read_whole() {
        let f = file(2 << 20);
        let big = DEFAULT_READAHEAD_MAX_BYTES + 5000;
        let blocks = [(0, 10), (10, 10), (20, big), (20 + big, 10)];
        let mut ra = Readahead::default();
        read(&mut ra, &f, &blocks, 0, 2 << 20).unwrap();
        read(&mut ra, &f, &blocks, 1, 2 << 20).unwrap();
        let (got, window) = read(&mut ra, &f, &blocks, 2, 2 << 20).unwrap();
        assert_eq!((got, window), (expected(20, big), true));
        assert_eq!(ra.held_bytes(), 0, "nothing else fits");
    }

    #[test]
    fn a_short_file_is_an_io_error_and_nothing_is_held() {
        let f = file(5000);
        let blocks = even_blocks(100, 100);
        let mut ra = Readahead::default();
        read(&mut ra, &f, &blocks, 0, 1 << 20).unwrap();
        read(&mut ra, &f, &blocks, 1, 1 << 20).unwrap();
        // The caller's limit claims more data than the file holds (the file shrank).
        let err = read(&mut ra, &f, &blocks, 2, 1 << 20).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert_eq!(ra.held_bytes(), 0);
    }
}
