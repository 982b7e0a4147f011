//! The segment writer: the [`BatchSink`] that puts group-commit batches into segment files,
//! rolling to a new segment when the active one is full.
//!
//! Roll order (why a later segment never survives an earlier segment's lost tail): write
//! the records that fit, fdatasync the old segment, and only then create the new one (its
//! header and preallocation synced, then the directory synced). So whenever segment N+1
//! exists on disk, segment N is complete, and recovery may treat damage anywhere but the
//! last segment as corruption. This holds in every durability mode; in `None` the roll's
//! fdatasync is the only sync on the append path. The new segment is normally a spare
//! prepared in the background ([`crate::spare`]), so a roll costs two syncs, not a
//! segment-sized write.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::clock::Clock;
use shale_io::{File, FileSystem, WritableMap};

use crate::error::{Error, Result};
use crate::format::{
    raw_record_header, SegmentHeader, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN, SYNCED_MARK_OFFSET,
};
use crate::group_commit::{BatchSink, SyncHandle};
use crate::options::Preallocation;
use crate::segment::{create_segment, SegmentFile, ARCHIVE_DIR};
use crate::spare::{self, SpareSlot};
use crate::Lsn;

/// The segment being appended to.
#[derive(Debug)]
pub(crate) struct ActiveSegment {
    pub(crate) path: PathBuf,
    pub(crate) file: Arc<dyn File>,
    /// Where the next record goes.
    pub(crate) offset: u64,
    /// Its first LSN.
    pub(crate) first_lsn: Lsn,
    /// Whether its header has a synced mark (format version 2); a version-1 segment
    /// recovered as the active one does not, and its reserved bytes stay zero.
    pub(crate) has_synced_mark: bool,
    /// Whether appends go through memory maps of the segment
    /// (`WalOptions::mmap_appends`); `false`: through `pwrite`.
    pub(crate) mapping: bool,
    /// The stretch of the segment mapped now, which holds the write offset (or ends at
    /// it); `None` until the next append maps one.
    pub(crate) map: Option<WritableMap>,
    /// Writeback has been started for every byte below this offset
    /// (`WalOptions::writeback_every_bytes`).
    pub(crate) written_back: u64,
}

impl ActiveSegment {
    /// A segment whose next append goes to `offset`, with nothing mapped or written back
    /// yet.
    pub(crate) fn new(
        path: PathBuf,
        file: Arc<dyn File>,
        offset: u64,
        first_lsn: Lsn,
        has_synced_mark: bool,
    ) -> Self {
        ActiveSegment {
            path,
            file,
            offset,
            first_lsn,
            has_synced_mark,
            mapping: false,
            map: None,
            written_back: 0,
        }
    }

    /// Sets whether appends go through maps and, if they do, maps the first stretch now,
    /// so that a file system that cannot map says so before the first append
    /// ([`crate::Wal::appends_mapped`]).
    pub(crate) fn start_mapping(&mut self, on: bool, window: u64) {
        self.mapping = on;
        self.map_for_append(window);
    }

    /// The map the next append goes into: the current one if the write offset is inside
    /// it, else a new one of the `window` bytes holding the offset (the whole segment if
    /// `window` is 0). The old map is dropped first, so that the stretch it covered can
    /// be written back without write-protecting mapped pages. `None`: the append uses
    /// `pwrite`. A file system that cannot map, a failed `mmap` (logged at WARN), or an
    /// offset past the preallocated end stops mapping for the rest of this segment: the
    /// map only saves time, and nothing depends on it. A map returned holds at least the
    /// byte at the write offset.
    fn map_for_append(&mut self, window: u64) -> Option<&mut WritableMap> {
        if !self.mapping {
            return None;
        }
        let offset = self.offset;
        if self
            .map
            .as_ref()
            .is_some_and(|m| !(m.start()..m.end()).contains(&offset))
        {
            self.map = None;
        }
        if self.map.is_none() {
            let (start, len) = match window {
                0 => (0, u64::MAX),
                w => (offset / w * w, w),
            };
            match self.file.map_for_writes(start, len) {
                // A map cut at the file's end before the offset: the offset is past the
                // preallocated end.
                Ok(Some(map)) if map.end() > offset => self.map = Some(map),
                Ok(_) => self.mapping = false,
                Err(e) => {
                    tracing::warn!(
                        segment = %self.path.display(),
                        error = %e,
                        "WAL segment not mapped for appends; they use pwrite"
                    );
                    self.mapping = false;
                }
            }
        }
        self.map.as_mut()
    }
}

/// Writes batches into segments; owns the list of live segments.
#[derive(Debug)]
pub(crate) struct SegmentWriter {
    pub(crate) fs: Arc<dyn FileSystem>,
    pub(crate) dir: PathBuf,
    pub(crate) segment_size_bytes: u64,
    pub(crate) prealloc: Preallocation,
    pub(crate) active: ActiveSegment,
    /// Live segments in LSN order; the last one is `active`.
    pub(crate) live: Vec<SegmentFile>,
    /// Where prepared next segments come from (see [`crate::spare`]); `None` creates every
    /// segment inside its roll.
    pub(crate) spares: Option<Arc<SpareSlot>>,
    /// Whether a spare was requested for the active segment.
    pub(crate) spare_requested: bool,
    /// When the active segment's synced mark was last written.
    pub(crate) marks: SyncedMarks,
    /// Whether each new active segment is mapped for appends (`WalOptions::mmap_appends`,
    /// and only with zero-filled preallocation).
    pub(crate) mmap_appends: bool,
    /// `WalOptions::writeback_every_bytes`, or 0 where it does not apply (sync
    /// durability): how far appends go before the stretch behind them is written back,
    /// and how much of the segment one map covers.
    pub(crate) writeback_every_bytes: u64,
    /// Bytes appended through a map since the log was opened (`Wal::mapped_bytes`).
    pub(crate) mapped_bytes: u64,
}

/// How often a segment's synced mark is rewritten: at most once per this many µs of the
/// WAL's clock. Writing it dirties the header's page, which costs every fdatasync that
/// carries it about 10 µs (87 → 98 µs for a synced 1 KiB append, measured with
/// `wal_append`); at most once per 10 ms that is nothing at any sync rate, and the mark
/// lags the durable log by at most 10 ms of syncs.
pub const SYNCED_MARK_INTERVAL_MICROS: u64 = 10_000;

/// When the synced mark was last written, by the WAL's clock.
#[derive(Debug, Default)]
pub(crate) struct SyncedMarks {
    clock: Option<Arc<dyn Clock>>,
    /// The last mark handed to a syncer, and when; `None` for a new segment.
    last: Option<(u32, u64)>,
}

impl SyncedMarks {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        SyncedMarks {
            clock: Some(clock),
            last: None,
        }
    }

    /// The mark to write with the next sync, if it is due: it has changed, and the
    /// segment has none yet or the last is [`SYNCED_MARK_INTERVAL_MICROS`] old.
    fn due(&mut self, mark: u32) -> Option<u32> {
        let now = self.clock.as_ref().map_or(0, |c| c.now_micros());
        let due = match self.last {
            None => mark > 0,
            Some((last, at)) => {
                mark != last && now.saturating_sub(at) >= SYNCED_MARK_INTERVAL_MICROS
            }
        };
        if due {
            self.last = Some((mark, now));
        }
        due.then_some(mark)
    }

    /// A new segment starts without a mark.
    fn reset(&mut self) {
        self.last = None;
    }
}

impl SegmentWriter {
    /// Writes `bytes` at the active segment's write offset, then starts writeback of
    /// the stretches it completed.
    fn write_run(&mut self, bytes: &[u8]) -> Result<()> {
        let mut rest = bytes;
        // Each piece is at least one byte, which bounds the loop by `bytes.len()`.
        while !rest.is_empty() {
            let n = self.write_piece(rest)?;
            rest = &rest[n..];
        }
        self.start_writeback_if_due()
    }

    /// Writes a prefix of `bytes` (not empty) at the write offset, through the map up
    /// to its end, or all of it with `pwrite`, and returns its length (at least 1).
    fn write_piece(&mut self, bytes: &[u8]) -> Result<usize> {
        let window = self.writeback_every_bytes;
        let a = &mut self.active;
        let offset = a.offset;
        let n = match a.map_for_append(window) {
            Some(map) => {
                let n = usize::try_from(map.end() - offset)
                    .map_or(bytes.len(), |room| room.min(bytes.len()));
                map.write_at(&bytes[..n], offset)
                    .map_err(|e| Error::io("write", &a.path, e))?;
                self.mapped_bytes += n as u64;
                n
            }
            None => {
                a.file
                    .write_all_at(bytes, offset)
                    .map_err(|e| Error::io("write", &a.path, e))?;
                bytes.len()
            }
        };
        a.offset += n as u64;
        if a.map.as_ref().is_some_and(|m| m.end() == a.offset) {
            // Full: dropped now, so that its writeback below finds no mapped pages.
            a.map = None;
        }
        Ok(n)
    }

    /// Starts writeback (`File::start_writeback`) of every whole stretch of
    /// `writeback_every_bytes` that appends have passed since the last one: RocksDB's
    /// `wal_bytes_per_sync`. Without it a buffered log's segment reached the disk in one
    /// 64 MiB fdatasync at the roll, which the writer holding the log waited for (the
    /// slowest updates of YCSB A, 190–240 ms). The stretches are no longer mapped (a map
    /// covers the stretch holding the write offset), so the kernel need not
    /// write-protect them page by page. A failed start poisons the log like a failed
    /// write: it is the kernel reporting that it cannot write the segment back.
    fn start_writeback_if_due(&mut self) -> Result<()> {
        let every = self.writeback_every_bytes;
        let a = &mut self.active;
        if every == 0 {
            return Ok(());
        }
        let due_to = a.offset / every * every;
        if due_to <= a.written_back {
            return Ok(());
        }
        debug_assert!(
            a.map.as_ref().is_none_or(|m| m.start() >= due_to),
            "a stretch is written back while it is mapped"
        );
        a.file
            .start_writeback(a.written_back, due_to - a.written_back)
            .map_err(|e| Error::io("start writeback", &a.path, e))?;
        a.written_back = due_to;
        Ok(())
    }

    /// Syncs the full active segment and starts a new one whose first record is `lsn`.
    fn roll(&mut self, lsn: Lsn, timestamp_micros: u64) -> Result<()> {
        // Unmapped first: an fdatasync of mapped pages write-protects each of them, one
        // TLB shootdown per page.
        self.active.map = None;
        self.active
            .file
            .sync_data()
            .map_err(|e| Error::io("sync", &self.active.path, e))?;
        let header = SegmentHeader::new(lsn, timestamp_micros, self.segment_size_bytes);
        let (path, file) = match self.spares.as_ref().and_then(|s| s.take()) {
            Some(ready) => spare::install(&*self.fs, &self.dir, ready, header)?,
            None => create_segment(
                &*self.fs,
                &self.dir,
                header,
                self.segment_size_bytes,
                self.prealloc,
            )?,
        };
        self.spare_requested = false;
        self.marks.reset();
        self.live.push(SegmentFile {
            path: path.clone(),
            first_lsn: lsn,
        });
        self.active = ActiveSegment::new(path, file, SEGMENT_HEADER_LEN as u64, lsn, true);
        self.active
            .start_mapping(self.mmap_appends, self.writeback_every_bytes);
        Ok(())
    }

    /// Releases every live segment whose records are all below `lsn`, never the active
    /// one: with `archive`, moves them to the archive (oldest first, so a crash part-way
    /// leaves a contiguous suffix) and returns nothing; otherwise takes them off the live
    /// list and returns their paths, oldest first, for [`delete_released`] to remove
    /// *after* the sink lock is let go. Deleting a 64 MiB segment and syncing the
    /// directory took tens of milliseconds under that lock, and every group commit
    /// waited for it (the flush that released it showed as the run's slowest second).
    /// Archiving stays under the lock: readers list the live segments under it and then
    /// the archive, so a segment must never be in neither.
    pub(crate) fn release_before(&mut self, lsn: Lsn, archive: bool) -> Result<Vec<PathBuf>> {
        let releasable = self
            .live
            .windows(2)
            .take_while(|w| w[1].first_lsn <= lsn)
            .count();
        if releasable == 0 {
            return Ok(Vec::new());
        }
        if !archive {
            return Ok(self.live.drain(..releasable).map(|s| s.path).collect());
        }
        let archive_dir = self.dir.join(ARCHIVE_DIR);
        for seg in &self.live[..releasable] {
            let to = archive_dir.join(file_name(&seg.path));
            self.fs
                .rename(&seg.path, &to)
                .map_err(|e| Error::io("archive", &seg.path, e))?;
        }
        // Archive first: a crash between the two syncs leaves a segment in both places
        // (readers de-duplicate), never in neither.
        self.fs
            .sync_dir(&archive_dir)
            .map_err(|e| Error::io("sync dir", &archive_dir, e))?;
        self.fs
            .sync_dir(&self.dir)
            .map_err(|e| Error::io("sync dir", &self.dir, e))?;
        self.live.drain(..releasable);
        Ok(Vec::new())
    }
}

/// Deletes released segments (`SegmentWriter::release_before`), oldest first so that a
/// crash part-way leaves a contiguous suffix, then syncs the directory. A segment left
/// behind by a crash or a failure here is below every LSN recovery replays.
///
/// # Errors
/// [`Error::Io`].
pub(crate) fn delete_released(fs: &dyn FileSystem, dir: &Path, paths: &[PathBuf]) -> Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    for path in paths {
        fs.remove_file(path)
            .map_err(|e| Error::io("remove", path, e))?;
    }
    fs.sync_dir(dir).map_err(|e| Error::io("sync dir", dir, e))
}

pub(crate) fn file_name(path: &Path) -> &std::ffi::OsStr {
    path.file_name().unwrap_or(path.as_os_str())
}

impl BatchSink for SegmentWriter {
    type Error = Error;
    type Syncer = SegmentSyncer;

    fn write_batch(&mut self, batch: &[u8], last_lsn: Lsn) -> Result<()> {
        let mut run_start = 0usize;
        let mut pos = 0usize;
        let mut batch_last = None;
        // The batch holds whole records written by `encode_record`; each step advances by
        // at least a record header, which bounds the loop by the batch length.
        while pos < batch.len() {
            let Some(h) = raw_record_header(&batch[pos..]) else {
                debug_assert!(false, "batch ends in a partial record header");
                break;
            };
            let len = RECORD_HEADER_LEN + h.payload_len as usize;
            let end_if_here = self.active.offset + (pos - run_start + len) as u64;
            let segment_has_data =
                self.active.offset + (pos - run_start) as u64 > SEGMENT_HEADER_LEN as u64;
            if end_if_here > self.segment_size_bytes && segment_has_data {
                self.write_run(&batch[run_start..pos])?;
                self.roll(h.lsn, h.timestamp_micros)?;
                run_start = pos;
            }
            batch_last = Some(h.lsn);
            pos += len;
        }
        debug_assert_eq!(batch_last, Some(last_lsn), "batch must end at its last LSN");
        self.write_run(&batch[run_start..])?;
        if !self.spare_requested && self.active.offset * 2 >= self.segment_size_bytes {
            self.spare_requested = true;
            if let Some(spares) = &self.spares {
                spares.request();
            }
        }
        Ok(())
    }

    fn syncer(&mut self, durable: Lsn) -> SegmentSyncer {
        // Earlier segments were synced when they were rolled away from, so syncing the
        // active one makes everything written so far durable.
        let a = &self.active;
        let synced_mark = if a.has_synced_mark {
            self.marks.due(synced_records(a.first_lsn, durable))
        } else {
            None
        };
        SegmentSyncer {
            file: a.file.clone(),
            path: a.path.clone(),
            synced_mark,
        }
    }
}

/// How many records of the segment starting at `first_lsn` are at or below `durable`, as
/// the synced mark stores it (saturating: a segment holds far fewer than 2^32 records).
fn synced_records(first_lsn: Lsn, durable: Lsn) -> u32 {
    let n = durable.saturating_sub(first_lsn.saturating_sub(1));
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An fdatasync of the segment that was active when it was taken, with the segment's
/// synced mark updated in the same sync.
#[derive(Debug)]
pub(crate) struct SegmentSyncer {
    file: Arc<dyn File>,
    path: PathBuf,
    /// The mark to write first: how many of the segment's records were durable before
    /// this sync. `None` when there is nothing to record (or no mark in the header).
    synced_mark: Option<u32>,
}

impl SyncHandle for SegmentSyncer {
    type Error = Error;

    /// Writes the synced mark, then syncs. The mark names records made durable by an
    /// *earlier* sync, so whether or not this sync completes before a crash, the mark on
    /// disk never claims more than is durable; recovery that finds fewer records than the
    /// mark knows durable data was lost (see `crate::recovery`).
    fn sync(&self) -> Result<()> {
        if let Some(mark) = self.synced_mark {
            self.file
                .write_all_at(&mark.to_le_bytes(), SYNCED_MARK_OFFSET as u64)
                .map_err(|e| Error::io("write synced mark", &self.path, e))?;
        }
        self.file
            .sync_data()
            .map_err(|e| Error::io("sync", &self.path, e))
    }
}
