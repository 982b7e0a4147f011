//! [`Wal`]: the handle writers share.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use shale_io::clock::Clock;
use shale_io::{FileSystem, OpenMode};

use crate::error::{Error, Result};
use crate::flusher::Flusher;
use crate::format::{encode_record, MAX_RECORD_PAYLOAD_BYTES};
use crate::group_commit::{CommitError, GroupCommit, Need};
use crate::options::{Durability, Preallocation, WalOptions};
use crate::reader::{merged_segments, Start, WalIter};
use crate::recovery::corruption;
use crate::recovery::{recover, DropReason, RecoveryReport};
use crate::segment::{
    list_segments, read_segment_bytes, scan_segment, ScanStop, SegmentFile, ARCHIVE_DIR,
};
use crate::spare::SparePreparer;
use crate::writer::{SegmentWriter, SyncedMarks};
use crate::Lsn;

/// Bytes that may wait in the group-commit buffer before `append_nowait` writes them out
/// itself (backpressure, so callers that never wait cannot grow memory without bound).
pub const MAX_PENDING_BYTES: usize = 64 << 20;

/// State kept under the group-commit mutex next to LSN assignment.
#[derive(Debug)]
struct Stamp {
    clock: Arc<dyn Clock>,
    /// Last timestamp handed out; timestamps never go backwards in LSN order.
    last_timestamp_micros: u64,
}

#[derive(Debug)]
struct Shared {
    gc: GroupCommit<Stamp, SegmentWriter>,
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    durability: Durability,
    /// Whether released segments move to `archive/` instead of being deleted. Turned on
    /// and off at run time ([`Wal::set_archive`]); read once per release.
    archive: AtomicBool,
    /// Held by a release from taking its segments off the live list until they are
    /// deleted, which happens outside the sink lock: two releases then cannot delete out
    /// of order and leave a hole a crash would expose.
    releasing: Mutex<()>,
}

impl Shared {
    fn sync_all(&self) -> Result<()> {
        let last = self.gc.last_reserved();
        self.gc.wait(last, Need::Synced).map_err(from_commit)
    }
}

/// The write-ahead log. `Send + Sync`: share it with `Arc` among writer threads.
///
/// Open one `Wal` per directory at a time; two writers on one directory would interleave
/// segments.
#[derive(Debug)]
pub struct Wal {
    shared: Arc<Shared>,
    /// What recovery dropped when this log was opened.
    recovery: RecoveryReport,
    flusher: Option<Flusher>,
    spares: Option<SparePreparer>,
    shut_down: bool,
}

fn from_commit<R: Into<Error>>(e: CommitError<Error, R>) -> Error {
    match e {
        CommitError::Poisoned => Error::Poisoned,
        CommitError::Sink(e) => e,
        CommitError::Encode(e) => e.into(),
        CommitError::NotReserved { lsn, last } => Error::LsnNotReserved { lsn, last },
        CommitError::Exhausted => Error::LsnExhausted,
    }
}

/// Logs each range recovery dropped: at WARN, with its file, byte range, first lost LSN and
/// how many synced records it held; an unborn segment (nothing lost) at INFO.
fn log_recovery(report: &RecoveryReport) {
    for d in &report.dropped {
        match &d.reason {
            DropReason::UnbornSegment => tracing::info!(
                segment = %d.segment.display(),
                "WAL recovery removed a segment whose creation was cut short (all zeros, nothing lost)"
            ),
            DropReason::TornTail(kind) => tracing::warn!(
                segment = %d.segment.display(),
                from = d.from,
                to = d.to,
                first_lost_lsn = d.first_lost_lsn,
                cause = %kind,
                "WAL recovery cut a torn tail: {} bytes of records never acknowledged as synced, from LSN {}",
                d.to - d.from,
                d.first_lost_lsn,
            ),
            DropReason::SyncedDataLost(kind) => tracing::warn!(
                segment = %d.segment.display(),
                from = d.from,
                to = d.to,
                first_lost_lsn = d.first_lost_lsn,
                synced_records_lost = d.synced_records_lost,
                cause = %kind,
                "WAL recovery dropped data the log marked as synced (allowed by the options): \
                 bytes {}..{}, at least {} synced records from LSN {}",
                d.from,
                d.to,
                d.synced_records_lost,
                d.first_lost_lsn,
            ),
        }
    }
}

impl Wal {
    /// What recovery dropped when this log was opened (empty after a clean shutdown).
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.recovery
    }

    /// Opens the log in `opts.dir` (creating it if needed), recovers it and positions it
    /// after the last valid record. A torn tail is cut, logged at WARN and listed in
    /// [`Wal::recovery_report`]; a loss of records the log marks as synced is an error
    /// unless `opts.on_synced_loss` allows it; anything else damaged is an error.
    ///
    /// # Errors
    /// [`Error::InvalidSegmentSize`], [`Error::Corruption`], [`Error::Io`],
    /// [`Error::DiskFull`].
    pub fn open(opts: WalOptions) -> Result<Wal> {
        opts.validate()?;
        let fs = opts.fs.clone();
        fs.create_dir_all(&opts.dir)
            .map_err(|e| Error::io("create dir", &opts.dir, e))?;
        if opts.archive {
            let a = opts.dir.join(ARCHIVE_DIR);
            fs.create_dir_all(&a)
                .map_err(|e| Error::io("create dir", &a, e))?;
        }
        let mut recovered = recover(
            &fs,
            &opts.dir,
            opts.segment_size_bytes,
            opts.preallocation,
            opts.clock.now_micros(),
            opts.on_synced_loss,
        )?;
        log_recovery(&recovered.report);
        recovered.writer.marks = SyncedMarks::new(opts.clock.clone());
        // Segments made from now on are mapped, and so is one this open made (its first
        // stretch at once, the rest as appends reach them). A recovered active segment is
        // not, since nothing says how it was preallocated (a sparse one would allocate
        // blocks through the map): its appends reach the map from the first roll.
        recovered.writer.mmap_appends = opts.mmap_appends
            && opts.preallocation == Preallocation::Zeroed
            && opts.durability != Durability::Sync;
        let w = &mut recovered.writer;
        w.writeback_every_bytes = match opts.durability {
            Durability::Sync => 0,
            _ => opts.writeback_every_bytes,
        };
        // A recovered active segment's records are written back by its roll's fdatasync,
        // as before this option, not by one call under the log's lock at the first append.
        if let Some(every) = std::num::NonZeroU64::new(w.writeback_every_bytes) {
            w.active.written_back = w.active.offset / every * every.get();
        }
        w.active.start_mapping(
            w.mmap_appends && recovered.fresh_active,
            w.writeback_every_bytes,
        );
        let spares = if opts.prepare_spare_segments {
            let p = SparePreparer::start(
                fs.clone(),
                opts.dir.clone(),
                opts.segment_size_bytes,
                opts.preallocation,
            )
            .map_err(|e| Error::io("spawn spare thread", &opts.dir, e))?;
            recovered.writer.spares = Some(p.slot());
            Some(p)
        } else {
            None
        };
        let stamp = Stamp {
            clock: opts.clock.clone(),
            last_timestamp_micros: recovered.last_timestamp_micros,
        };
        let shared = Arc::new(Shared {
            gc: GroupCommit::new(recovered.last_lsn, stamp, recovered.writer),
            fs,
            dir: opts.dir.clone(),
            durability: opts.durability,
            archive: AtomicBool::new(opts.archive),
            releasing: Mutex::new(()),
        });
        let flusher = match opts.durability {
            Durability::Buffered { interval } => {
                let weak = Arc::downgrade(&shared);
                let f = Flusher::start(interval, move || match weak.upgrade() {
                    Some(s) => s.sync_all().is_ok(),
                    None => false,
                })
                .map_err(|e| Error::io("spawn sync thread", &opts.dir, e))?;
                Some(f)
            }
            Durability::Sync | Durability::None => None,
        };
        Ok(Wal {
            shared,
            recovery: recovered.report,
            flusher,
            spares,
            shut_down: false,
        })
    }

    /// Appends one record and returns its LSN once it is as durable as the
    /// [`Durability`] mode promises (in `Sync`, after a shared fdatasync).
    ///
    /// # Errors
    /// [`Error::RecordTooLarge`], [`Error::Poisoned`], or the I/O error that poisoned the
    /// log if this call led the failing batch.
    pub fn append(&self, kind: u8, payload: &[u8]) -> Result<Lsn> {
        let lsn = self.append_nowait(kind, payload)?;
        self.wait_durable(lsn)?;
        Ok(lsn)
    }

    /// Assigns the next LSN and buffers the encoded record in memory, without waiting. The
    /// record reaches the OS when some writer waits ([`Wal::wait_durable`], [`Wal::append`],
    /// [`Wal::sync`]), the `Buffered` syncer runs, or the log is closed. If more than
    /// [`MAX_PENDING_BYTES`] are buffered, this call writes them out itself first.
    ///
    /// # Errors
    /// [`Error::RecordTooLarge`], [`Error::Poisoned`], [`Error::LsnExhausted`].
    pub fn append_nowait(&self, kind: u8, payload: &[u8]) -> Result<Lsn> {
        if payload.len() > MAX_RECORD_PAYLOAD_BYTES {
            return Err(Error::RecordTooLarge {
                size: payload.len(),
                max: MAX_RECORD_PAYLOAD_BYTES,
            });
        }
        let (lsn, pending) = self
            .shared
            .gc
            .reserve(|lsn, stamp: &mut Stamp, buf| {
                let ts = stamp.clock.now_micros().max(stamp.last_timestamp_micros);
                stamp.last_timestamp_micros = ts;
                encode_record(buf, lsn, ts, kind, payload);
                Ok::<(), Error>(())
            })
            .map_err(from_commit)?;
        if pending > MAX_PENDING_BYTES {
            self.shared
                .gc
                .wait(lsn, Need::Written)
                .map_err(from_commit)?;
        }
        Ok(lsn)
    }

    /// Blocks until `lsn` is as durable as the mode promises: synced in `Sync`, written to
    /// the OS in `Buffered` and `None`.
    ///
    /// # Errors
    /// [`Error::LsnNotReserved`], [`Error::Poisoned`], or the I/O error of a batch this
    /// call led.
    pub fn wait_durable(&self, lsn: Lsn) -> Result<()> {
        let need = match self.shared.durability {
            Durability::Sync => Need::Synced,
            Durability::Buffered { .. } | Durability::None => Need::Written,
        };
        self.shared.gc.wait(lsn, need).map_err(from_commit)
    }

    /// Writes and fdatasyncs everything appended so far, in every mode.
    ///
    /// # Errors
    /// [`Error::Poisoned`] or the I/O error that poisoned the log.
    pub fn sync(&self) -> Result<()> {
        self.shared.sync_all()
    }

    /// The last LSN handed out, durable or not; 0 for an empty log.
    pub fn last_lsn(&self) -> Lsn {
        self.shared.gc.last_reserved()
    }

    /// The last LSN known to be fdatasynced.
    pub fn durable_lsn(&self) -> Lsn {
        self.shared.gc.last_synced()
    }

    /// Whether appends go into a memory map of the active segment
    /// (`WalOptions::mmap_appends`) rather than through `pwrite`.
    pub fn appends_mapped(&self) -> bool {
        self.shared.gc.with_sink(|w| w.active.mapping)
    }

    /// Bytes appended through a map since the log was opened (records and their headers;
    /// the rest went through `pwrite`).
    pub fn mapped_bytes(&self) -> u64 {
        self.shared.gc.with_sink(|w| w.mapped_bytes)
    }

    /// Whether a failed write or sync has poisoned the log.
    pub fn is_poisoned(&self) -> bool {
        self.shared.gc.is_poisoned()
    }

    fn segments(&self) -> Result<Vec<SegmentFile>> {
        let live = self.shared.gc.with_sink(|w| w.live.clone());
        merged_segments(&*self.shared.fs, &self.shared.dir, live)
    }

    /// Records with `lsn >= from`, across archived and live segments, in LSN order, up to
    /// the last record written to the OS when this is called.
    ///
    /// # Errors
    /// [`Error::LsnReleased`] if `from` was released and not archived; [`Error::Io`].
    /// Damage found while reading is yielded by the iterator as [`Error::Corruption`].
    pub fn read_from_lsn(&self, from: Lsn) -> Result<WalIter> {
        let upto = self.shared.gc.last_written();
        WalIter::new(
            self.shared.fs.clone(),
            self.segments()?,
            OpenMode::ReadWrite,
            Start::Lsn(from),
            Some(upto),
        )
    }

    /// The first record with `timestamp_micros >= t_micros` and everything after it (up to
    /// the last record written to the OS). Timestamps are non-decreasing in LSN order.
    ///
    /// # Errors
    /// [`Error::Io`], or [`Error::Corruption`] for a damaged segment header.
    pub fn read_from_timestamp(&self, t_micros: u64) -> Result<WalIter> {
        let upto = self.shared.gc.last_written();
        WalIter::new(
            self.shared.fs.clone(),
            self.segments()?,
            OpenMode::ReadWrite,
            Start::Timestamp(t_micros),
            Some(upto),
        )
    }

    /// Releases every segment whose records all have LSN `< lsn` (their memtable was
    /// flushed): deletes it, or moves it to `dir/archive` if `archive` is on. Never touches
    /// the active segment. Takes the segments off the live list between group-commit
    /// batches, and deletes them after (`SegmentWriter::release_before`).
    ///
    /// # Errors
    /// [`Error::Io`]; a failure part-way leaves the oldest segments released and the rest
    /// live, which is consistent.
    pub fn release_before(&self, lsn: Lsn) -> Result<()> {
        // A poisoned lock guards nothing but order: a panicked release left no state.
        let _releasing = self
            .shared
            .releasing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let archive = self.shared.archive.load(Ordering::Acquire);
        let released = self
            .shared
            .gc
            .with_sink(|w| w.release_before(lsn, archive))?;
        crate::writer::delete_released(&*self.shared.fs, &self.shared.dir, &released)
    }

    /// Turns archiving of released segments on or off. Turning it on creates `archive/`
    /// first, so every segment released after this returns is archived; turning it off
    /// leaves the archive as it is (purge it with [`Wal::purge_archive_before_lsn`]).
    ///
    /// # Errors
    /// [`Error::Io`] if the archive directory cannot be created.
    pub fn set_archive(&self, on: bool) -> Result<()> {
        if on {
            let a = self.shared.dir.join(ARCHIVE_DIR);
            self.shared
                .fs
                .create_dir_all(&a)
                .map_err(|e| Error::io("create dir", &a, e))?;
            self.shared
                .fs
                .sync_dir(&self.shared.dir)
                .map_err(|e| Error::io("sync dir", &self.shared.dir, e))?;
        }
        // Under the sink lock, so no release in flight straddles the change.
        self.shared
            .gc
            .with_sink(|_| self.shared.archive.store(on, Ordering::Release));
        Ok(())
    }

    /// Whether released segments are archived.
    pub fn archives(&self) -> bool {
        self.shared.archive.load(Ordering::Acquire)
    }

    /// Deletes archived segments whose records all have LSN `< lsn` (a segment ends where
    /// the next one, archived or live, begins). Only a prefix of the archive is deleted,
    /// so what remains is contiguous.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn purge_archive_before_lsn(&self, lsn: Lsn) -> Result<()> {
        self.purge_archive_while(|_, next, _| Ok(next.first_lsn <= lsn))
    }

    /// Deletes archived segments whose records are all older than `t_micros` (retention for
    /// point-in-time restore). Only a prefix of the archive is deleted, so what remains is
    /// contiguous.
    ///
    /// A segment's records are known older than `t` when the next segment's header says it
    /// starts before `t` (every earlier timestamp is at most that; the newest archived
    /// segment is judged by the first live one), or else when its own last record is.
    ///
    /// # Errors
    /// [`Error::Io`], or [`Error::Corruption`] for a damaged segment header.
    pub fn purge_archive_before(&self, t_micros: u64) -> Result<()> {
        let fs = &*self.shared.fs;
        self.purge_archive_while(|seg, next, next_mode| {
            let h = crate::reader::read_header(fs, &next.path, next_mode)?;
            // The successor's header bounds this segment's timestamps from above; only
            // when that bound is not enough is the segment itself scanned (at most once
            // per call: the scan decides the boundary).
            Ok(h.first_timestamp_micros < t_micros || segment_last_timestamp(fs, seg)? < t_micros)
        })
    }

    /// Deletes archived segments, oldest first, while `older(segment, successor,
    /// successor's open mode)` says every record of the segment may go; the successor is
    /// the next archived segment or the first live one (the newest archived segment is
    /// judged by it), so what remains is a contiguous suffix.
    fn purge_archive_while(
        &self,
        mut older: impl FnMut(&SegmentFile, &SegmentFile, OpenMode) -> Result<bool>,
    ) -> Result<()> {
        let archive_dir = self.shared.dir.join(ARCHIVE_DIR);
        let fs = &*self.shared.fs;
        let archived = list_segments(fs, &archive_dir)?;
        if archived.is_empty() {
            return Ok(());
        }
        let live = self.shared.gc.with_sink(|w| w.live.clone());
        let mut removed = 0usize;
        for (i, seg) in archived.iter().enumerate() {
            let (next, mode) = match archived.get(i + 1) {
                Some(next) => (next, OpenMode::Read),
                None => match live.first() {
                    Some(next) => (next, OpenMode::ReadWrite),
                    None => break,
                },
            };
            if !older(seg, next, mode)? {
                break;
            }
            fs.remove_file(&seg.path)
                .map_err(|e| Error::io("remove", &seg.path, e))?;
            removed += 1;
        }
        if removed > 0 {
            fs.sync_dir(&archive_dir)
                .map_err(|e| Error::io("sync dir", &archive_dir, e))?;
        }
        Ok(())
    }

    /// Stops the `Buffered` syncer, writes and syncs everything appended, and closes.
    ///
    /// # Errors
    /// [`Error::Poisoned`] if the log was poisoned (some appends may be lost), or the I/O
    /// error of the final sync.
    pub fn close(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        if self.shut_down {
            return Ok(());
        }
        self.shut_down = true;
        if let Some(mut f) = self.flusher.take() {
            f.stop();
        }
        let synced = self.shared.sync_all();
        if let Some(mut p) = self.spares.take() {
            p.stop();
        }
        synced
    }
}

/// The timestamp of the last record of a (complete, archived) segment; 0 if it is empty.
fn segment_last_timestamp(fs: &dyn FileSystem, seg: &SegmentFile) -> Result<u64> {
    let bytes = read_segment_bytes(fs, &seg.path, OpenMode::Read)?;
    let scan = scan_segment(&bytes, false).map_err(|k| corruption(&seg.path, 0, k))?;
    if let ScanStop::Damaged { offset, kind } = scan.stop {
        return Err(corruption(&seg.path, offset, kind));
    }
    Ok(scan.records.last().map_or(0, |r| r.timestamp_micros))
}

impl Drop for Wal {
    fn drop(&mut self) {
        // Best effort: an error here has no one to go to; `close` reports it.
        let _ = self.shutdown();
    }
}
