//! Restores: the target table is created CREATING with a durable [`RestoreRecord`] in one
//! batch; then the background worker (or [`crate::Database::wait_for_restores`]) copies
//! the source table's items from a past view or a checkpoint into it through the one
//! write path (so LSIs, item-collection sizes and the GSI queue follow), in bounded
//! chunks; the last chunk publishes the table ACTIVE and removes the record.
//!
//! Crash safety: the copy is idempotent (each item is written with `needs_old`, so a
//! repeated copy changes nothing and leaves index entries and collection sizes right),
//! so a restore found at open resumes from the start. A source that can no longer be
//! read (history trimmed, checkpoint gone) fails the restore: the half-restored table is
//! deleted with its record, so no half-restored table is ever ACTIVE.

use std::ops::Bound;
use std::path::Path;

use shale_engine::{Backend, Direction, StorageError, WriteBatch};

use crate::backup_records::{self as records, RestoreRecord, RestoreSourceRecord};
use crate::control;
use crate::core::Core;
use crate::error::Error;
use crate::keys::{id_prefix, prefix_bounds};
use crate::restore_jobs::{Progress, RestoreJob};
use crate::stored::decode_stored;
use crate::write::{put_items, MAX_ITEMS_PER_WRITE};

/// Items one restore step copies through the write path (then the worker moves on).
pub(crate) const RESTORE_ITEMS_PER_STEP: usize = 2_000;
/// Bytes (keys and values) a restore loads directly as one bulk load: one table of about
/// the LSM's default target file size.
pub(crate) const RESTORE_LOAD_BYTES_PER_STEP: usize = 32 << 20;
/// Bulk loads one restore step makes (then the worker moves on).
pub(crate) const RESTORE_LOAD_CHUNKS_PER_STEP: usize = 4;

/// Registers a restore whose target and record are committed, and wakes the worker.
pub(crate) fn start(core: &Core, record: RestoreRecord) {
    let target = record.target.clone();
    core.restores
        .lock()
        .jobs
        .insert(target, RestoreJob::new(record, false));
    core.signal.notify();
}

/// Removes the tables of imports a crash interrupted (their records say IN_PROGRESS and
/// are described as FAILED with code `Interrupted`), so a half-imported table is never
/// left ACTIVE. Imports run inside their request, so none is running at open.
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn recover_imports(core: &Core) -> Result<(), Error> {
    let (start, end) = prefix_bounds(&crate::export_records::import_prefix());
    let mut interrupted = Vec::new();
    for kv in core.backend.scan(start, end, Direction::Forward, None)? {
        let (k, v) = kv?;
        let record = crate::export_records::decode::<crate::export_records::ImportRecord>(&k, &v)?;
        if record.status == crate::export_records::JobStatus::InProgress {
            interrupted.push(crate::catalog::TableDef::from(record.table));
        }
    }
    for def in interrupted {
        let live = core.catalog.read().tables.get(&def.name).map(|d| d.id);
        if live == Some(def.id) {
            fail(core, &def.name)?;
        }
    }
    Ok(())
}

/// The RestoreSummary of the restore into `target`, while it runs.
pub(crate) fn summary(core: &Core, target: &str) -> Option<crate::shapes::RestoreSummary> {
    let restores = core.restores.lock();
    let job = restores.jobs.get(target)?;
    let (backup, table) = match &job.record.source {
        RestoreSourceRecord::PointInTime { table_arn, .. } => (None, table_arn.clone()),
        RestoreSourceRecord::Backup {
            backup_arn,
            table_arn,
            ..
        } => (Some(backup_arn.clone()), table_arn.clone()),
    };
    Some(crate::shapes::RestoreSummary {
        source_backup_arn: backup,
        source_table_arn: Some(table),
        restore_date_time: job.record.time_micros as f64 / 1e6,
        restore_in_progress: true,
    })
}

/// Loads the restores a previous run left: each resumes from the start.
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn recover(core: &Core) -> Result<(), Error> {
    let (start, end) = prefix_bounds(&records::restore_prefix());
    let mut found = Vec::new();
    for kv in core.backend.scan(start, end, Direction::Forward, None)? {
        let (k, v) = kv?;
        found.push(records::decode::<RestoreRecord>(&k, &v)?);
    }
    let mut cat = core.catalog.write();
    for record in found {
        // Loading publishes every table ACTIVE; a restore's target is not, yet.
        if let Some(def) = cat.tables.get(&record.target).cloned() {
            let mut def = (*def).clone();
            def.status = crate::shapes::TableStatus::Creating;
            cat.tables
                .insert(def.name.clone(), std::sync::Arc::new(def));
        }
        core.restores
            .lock()
            .jobs
            .insert(record.target.clone(), RestoreJob::new(record, true));
    }
    Ok(())
}

/// Runs one step of every running restore. Returns whether any is still running.
///
/// # Errors
/// Storage failure while finishing or failing a restore (the step is retried).
pub(crate) fn run_restores(core: &Core) -> Result<bool, Error> {
    let targets: Vec<String> = core.restores.lock().jobs.keys().cloned().collect();
    for target in targets {
        // Take the progress, leave the job registered; a job whose progress is out is
        // being stepped by another thread (the worker, or a foreground wait).
        let taken = core.restores.lock().jobs.get_mut(&target).and_then(|job| {
            let resumed = job.resumed;
            job.progress
                .take()
                .map(|progress| (job.record.clone(), resumed, progress))
        });
        let Some((record, resumed, mut progress)) = taken else {
            continue;
        };
        match step(core, &record, resumed, &mut progress) {
            Ok(true) => {
                control::finish_restore(core, &target, |batch| {
                    batch.delete(records::restore_key(&target));
                })?;
                core.restores.lock().jobs.remove(&target);
            }
            Ok(false) => put_back(core, &target, progress),
            Err(e) if is_transient(&e) => {
                put_back(core, &target, progress);
                // Part of the failed step may be in: the retry reads what it rewrites.
                if let Some(job) = core.restores.lock().jobs.get_mut(&target) {
                    job.resumed = true;
                }
                return Err(e);
            }
            Err(_) => {
                fail(core, &target)?;
                core.restores.lock().jobs.remove(&target);
            }
        }
    }
    Ok(!core.restores.lock().jobs.is_empty())
}

fn put_back(core: &Core, target: &str, progress: Progress) {
    if let Some(job) = core.restores.lock().jobs.get_mut(target) {
        job.progress = Some(progress);
    }
}

/// Storage faults are retried; a source that cannot be read any more is not.
fn is_transient(e: &Error) -> bool {
    match e {
        Error::Internal(s) => !matches!(
            s,
            shale_engine::StorageError::OutsideRetention { .. }
                | shale_engine::StorageError::Unsupported { .. }
                | shale_engine::StorageError::LogTrimmed { .. }
        ),
        _ => false,
    }
}

/// Copies the next chunk; `Ok(true)` when the source is exhausted.
fn step(
    core: &Core,
    record: &RestoreRecord,
    resumed: bool,
    job: &mut Progress,
) -> Result<bool, Error> {
    if job.view.is_none() {
        job.view = Some(open_source(core.backend.as_ref(), record)?);
    }
    let view = job
        .view
        .as_ref()
        .ok_or(Error::Internal(shale_engine::StorageError::Closed))?;
    let source_id = source_table_id(&record.source);
    let (start, end) = prefix_bounds(&id_prefix(source_id));
    let start = match &job.cursor {
        Some(k) => Bound::Excluded(k.clone()),
        None => start,
    };
    if !resumed {
        if let Some(target_id) = loadable_target(core, &record.target) {
            let (n, done) = load_step(
                core,
                view.as_ref(),
                (start, end),
                (source_id, target_id),
                &mut job.cursor,
            )?;
            job.items += n;
            return Ok(done);
        }
    }
    let mut items = Vec::with_capacity(RESTORE_ITEMS_PER_STEP);
    let mut last = None;
    for kv in view
        .scan(start, end, Direction::Forward)?
        .take(RESTORE_ITEMS_PER_STEP)
    {
        let (k, v) = kv?;
        items.push(decode_stored(&k, &v)?);
        last = Some(k);
    }
    let done = items.len() < RESTORE_ITEMS_PER_STEP;
    for chunk in items.chunks(MAX_ITEMS_PER_WRITE) {
        copy_chunk(core, &record.target, chunk, resumed)?;
    }
    // Only once the whole step is in: a failed step is retried from where the last one
    // ended (as a resumed restore, since part of it may have been written).
    if last.is_some() {
        job.cursor = last;
    }
    job.items += items.len() as u64;
    Ok(done)
}

/// The target's id if its items can be loaded directly ([`Backend::ingest`]) instead of
/// through the write path: when the write path would add nothing to each item's put,
/// that is when the target has no index (LSI entries, item-collection sizes, GSI queue
/// records) and no stream (change records); capacity is not charged for restores
/// anyway. A resumed restore never loads directly: its target may already hold items.
fn loadable_target(core: &Core, target: &str) -> Option<u32> {
    let cat = core.catalog.read();
    let def = cat.tables.get(target)?;
    (def.lsis.is_empty() && def.gsis.is_empty() && def.stream.is_none()).then_some(def.id)
}

/// Loads the next [`RESTORE_LOAD_CHUNKS_PER_STEP`] chunks of
/// [`RESTORE_LOAD_BYTES_PER_STEP`] source items into the target, each as one bulk load:
/// each item's stored bytes under the target's id (a key's hash and encoding do not
/// depend on the table id, `crate::keys`), exactly what the write path would store for
/// it. A helper thread loads each chunk while this one scans the next, so the merge of
/// the view's tables and the writing of the new table share the two cores (the copy
/// part of a 1 GiB restore took 2.4–3.0 s so, against 2.9–3.5 s one chunk at a time).
/// Returns the items loaded, and whether the source is exhausted; `cursor` moves to the
/// last source key loaded, also when a later chunk fails.
fn load_step(
    core: &Core,
    view: &dyn shale_engine::ReadView,
    (start, end): crate::keys::KeyRange,
    (source_id, target_id): (u32, u32),
    cursor: &mut Option<Vec<u8>>,
) -> Result<(u64, bool), Error> {
    let mut scan = view.scan(start, end, Direction::Forward)?;
    let backend = core.backend.as_ref();
    std::thread::scope(|scope| {
        // One chunk waits while one loads: at most three in memory with the one scanned.
        let (chunks, received) = std::sync::mpsc::sync_channel::<Chunk>(1);
        let loader = scope.spawn(move || {
            let mut loaded = Loaded::default();
            for chunk in received {
                if let Err(e) = backend.ingest(&chunk.entries) {
                    return (loaded, Err(Error::from(e)));
                }
                loaded.items += chunk.entries.len() as u64;
                loaded.last = Some(chunk.last);
            }
            (loaded, Ok(()))
        });
        let mut exhausted = false;
        let mut scanned = Ok(());
        for _ in 0..RESTORE_LOAD_CHUNKS_PER_STEP {
            match next_chunk(&mut scan, target_id, source_id) {
                Ok((chunk, end)) => {
                    exhausted = end;
                    // A send fails only when the loader stopped on an error it returns.
                    if chunk.is_some_and(|c| chunks.send(c).is_err()) || end {
                        break;
                    }
                }
                Err(e) => {
                    scanned = Err(e);
                    break;
                }
            }
        }
        drop(chunks);
        let (loaded, load_result) = loader.join().unwrap_or_else(|_| {
            (
                Loaded::default(),
                Err(Error::Internal(StorageError::Closed)),
            )
        });
        // Only what is in: a step that failed is retried from where its last load ended.
        if loaded.last.is_some() {
            *cursor = loaded.last;
        }
        load_result?;
        scanned?;
        Ok((loaded.items, exhausted))
    })
}

/// What a restore step's loader thread has loaded.
#[derive(Default)]
struct Loaded {
    items: u64,
    /// The last source key of the last chunk loaded.
    last: Option<Vec<u8>>,
}

/// Source items, rekeyed for the target, to load as one bulk load.
struct Chunk {
    entries: Vec<shale_engine::KvPair>,
    /// The last source key among them.
    last: Vec<u8>,
}

/// The next chunk of at most about [`RESTORE_LOAD_BYTES_PER_STEP`] from `scan` (keys of
/// table `source_id`), rekeyed under `target_id` (`None` if the scan had nothing left),
/// and whether the scan is exhausted.
fn next_chunk(
    scan: &mut shale_engine::KvIter,
    target_id: u32,
    source_id: u32,
) -> Result<(Option<Chunk>, bool), Error> {
    let mut entries = Vec::new();
    let mut bytes = 0;
    let mut exhausted = true;
    for kv in scan.by_ref() {
        let (mut k, v) = kv?;
        rekey(&mut k, target_id);
        bytes += k.len() + v.len();
        entries.push((k, v));
        if bytes >= RESTORE_LOAD_BYTES_PER_STEP {
            exhausted = false;
            break;
        }
    }
    let chunk = entries.last().map(|(k, _)| {
        let mut last = k.clone();
        rekey(&mut last, source_id);
        last
    });
    Ok((chunk.map(|last| Chunk { entries, last }), exhausted))
}

/// Puts `key` (of a table's range: it starts with the table's 4-byte id) under `id`.
fn rekey(key: &mut [u8], id: u32) {
    let prefix = id_prefix(id);
    if let Some(head) = key.get_mut(..prefix.len()) {
        head.copy_from_slice(&prefix);
    }
}

/// Writes `items` into the target through the one write path.
fn copy_chunk(
    core: &Core,
    target: &str,
    items: &[crate::types::Item],
    resumed: bool,
) -> Result<(), Error> {
    let key_def = core
        .catalog
        .read()
        .tables
        .get(target)
        .map(|d| d.key.clone())
        .ok_or_else(|| Error::named_table_not_found(target))?;
    let keys = items
        .iter()
        .map(|item| key_def.item_key(item))
        .collect::<Result<Vec<_>, _>>()?;
    // A resumed restore rewrites what it already copied: read the current items so the
    // hooks see them.
    put_items(core, target, keys.iter().zip(items), resumed)
}

fn source_table_id(source: &RestoreSourceRecord) -> u32 {
    match source {
        RestoreSourceRecord::PointInTime { table_id, .. }
        | RestoreSourceRecord::Backup { table_id, .. } => *table_id,
    }
}

fn open_source(
    backend: &dyn Backend,
    record: &RestoreRecord,
) -> Result<Box<dyn shale_engine::ReadView>, Error> {
    Ok(match &record.source {
        RestoreSourceRecord::PointInTime { table_id, .. } => {
            // Only the source table's items: the view replays nothing else.
            backend.view_at(record.time_micros, prefix_bounds(&id_prefix(*table_id)))?
        }
        RestoreSourceRecord::Backup { checkpoint_dir, .. } => {
            backend.open_checkpoint(Path::new(checkpoint_dir))?
        }
    })
}

/// Deletes a restore that cannot finish: its table (data included) and its record.
fn fail(core: &Core, target: &str) -> Result<(), Error> {
    let mut cat = core.catalog.write();
    let mut batch = WriteBatch::new();
    batch.delete(records::restore_key(target));
    match cat.tables.get(target).cloned() {
        Some(def) => control::remove_table(core, &mut cat, &def, batch),
        None => {
            core.backend.write(batch)?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use shale_engine::{KvIter, KvPair, MemBackend, Snapshot};

    use super::*;
    use crate::options::DatabaseOptions;

    /// The memory backend, with the `n`th bulk load failing once.
    #[derive(Debug)]
    struct FailingLoad {
        inner: MemBackend,
        loads: AtomicUsize,
        fail_at: usize,
    }

    impl Backend for FailingLoad {
        fn name(&self) -> &'static str {
            "failing-load"
        }
        fn write(&self, batch: WriteBatch) -> Result<u64, StorageError> {
            self.inner.write(batch)
        }
        fn get(
            &self,
            key: &[u8],
            snapshot: Option<&Snapshot>,
        ) -> Result<Option<Vec<u8>>, StorageError> {
            self.inner.get(key, snapshot)
        }
        fn scan(
            &self,
            start: Bound<Vec<u8>>,
            end: Bound<Vec<u8>>,
            direction: Direction,
            snapshot: Option<&Snapshot>,
        ) -> Result<KvIter, StorageError> {
            self.inner.scan(start, end, direction, snapshot)
        }
        fn snapshot(&self) -> Snapshot {
            self.inner.snapshot()
        }
        fn sync(&self) -> Result<(), StorageError> {
            self.inner.sync()
        }
        fn ingest(&self, entries: &[KvPair]) -> Result<(), StorageError> {
            if self.loads.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at {
                return Err(StorageError::Closed);
            }
            self.inner.ingest(entries)
        }
    }

    /// A step whose second bulk load fails keeps the cursor at the end of the first (the
    /// pipelined loader must not report what it did not load), and the retry loads the
    /// rest exactly once.
    #[test]
    fn a_failed_bulk_load_leaves_the_cursor_after_the_last_chunk_loaded() {
        const MIB: usize = 1 << 20;
        let backend = Arc::new(FailingLoad {
            inner: MemBackend::new(),
            loads: AtomicUsize::new(0),
            fail_at: 2,
        });
        let (source, target) = (20u32, 21u32);
        let key = |id: u32, i: u32| {
            let mut k = id_prefix(id).to_vec();
            k.extend_from_slice(&i.to_be_bytes());
            k
        };
        // 70 values of 1 MiB: three chunks of up to 32 MiB.
        for i in 0..70u32 {
            backend.put(&key(source, i), &vec![i as u8; MIB]).unwrap();
        }
        let dir = Path::new("/memory/checkpoints/t");
        backend.inner.checkpoint(dir).unwrap();
        let view = backend.inner.open_checkpoint(dir).unwrap();
        let core = Core::open(
            backend.clone(),
            DatabaseOptions::default().with_background_index_worker(false),
        )
        .unwrap();
        let range = prefix_bounds(&id_prefix(source));
        let mut cursor = None;
        let failed = load_step(
            &core,
            view.as_ref(),
            range.clone(),
            (source, target),
            &mut cursor,
        );
        assert!(matches!(failed, Err(Error::Internal(StorageError::Closed))));
        let first_chunk_last = key(source, 31);
        assert_eq!(cursor.as_deref(), Some(first_chunk_last.as_slice()));
        let resume = (Bound::Excluded(first_chunk_last), range.1.clone());
        let (items, done) =
            load_step(&core, view.as_ref(), resume, (source, target), &mut cursor).unwrap();
        assert_eq!((items, done), (38, true));
        let loaded: Vec<_> = backend
            .scan(
                prefix_bounds(&id_prefix(target)).0,
                prefix_bounds(&id_prefix(target)).1,
                Direction::Forward,
                None,
            )
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(loaded.len(), 70);
        for (i, (k, v)) in loaded.iter().enumerate() {
            assert_eq!(k, &key(target, i as u32));
            assert_eq!(v, &vec![i as u8; MIB]);
        }
    }

    /// Regression: a restore's job used to leave the registry while a step ran, so
    /// DeleteBackup (which asks the registry whether a restore uses the backup) and
    /// DescribeTable's RestoreSummary missed it for the step's duration.
    #[test]
    fn a_restore_stays_registered_while_a_step_runs() {
        let core = Core::open(
            Arc::new(shale_engine::MemBackend::new()),
            DatabaseOptions::default().with_background_index_worker(false),
        )
        .unwrap();
        let record = RestoreRecord {
            target: "Copy".into(),
            source: RestoreSourceRecord::Backup {
                backup_id: "01700000000000-0000abcd".into(),
                backup_arn:
                    "arn:aws:dynamodb:us-east-1:000000000000:table/T/backup/01700000000000-0000abcd"
                        .into(),
                table_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/T".into(),
                table_id: 16,
                checkpoint_dir: "/memory/checkpoints/x".into(),
            },
            time_micros: 1,
        };
        start(&core, record);
        // What run_restores does at the start of a step.
        let taken = core
            .restores
            .lock()
            .jobs
            .get_mut("Copy")
            .and_then(|j| j.progress.take());
        assert!(taken.is_some());
        assert!(
            summary(&core, "Copy").is_some(),
            "still described while stepping"
        );
        assert!(core.restores.lock().jobs.values().any(|j| matches!(
            &j.record.source,
            RestoreSourceRecord::Backup { backup_id, .. } if backup_id == "01700000000000-0000abcd"
        )));
        // A second stepper skips a job whose progress is out.
        assert_eq!(
            core.restores
                .lock()
                .jobs
                .get_mut("Copy")
                .and_then(|j| j.progress.take())
                .map(|_| ()),
            None
        );
    }
}
