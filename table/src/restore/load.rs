//! A replay's loads: ranges of the source bulk loaded under the target's ids, and the
//! source's pending GSI queue records queued again for the target (see
//! [`crate::restore_plan`]).

use std::collections::HashMap;
use std::ops::Bound;

use shale_engine::{StorageError, WriteBatch};

use super::{RESTORE_ITEMS_PER_STEP, RESTORE_LOAD_BYTES_PER_STEP, RESTORE_LOAD_CHUNKS_PER_STEP};
use crate::core::Core;
use crate::error::Error;
use crate::gsi_queue;
use crate::keys::{id_prefix, prefix_bounds, KeyRange, INDEX_QUEUE_ID};
use crate::restore_plan::{rename_queue_ops, Rename};
use shale_engine::Direction;

/// Bytes of queue records one requeue batch holds at most (a WAL record holds 64 MiB).
const REQUEUE_BATCH_BYTES: usize = 16 << 20;

/// Loads the next [`RESTORE_LOAD_CHUNKS_PER_STEP`] chunks of
/// [`RESTORE_LOAD_BYTES_PER_STEP`] source entries (items, index entries or collection
/// sizes) into the target, each as one bulk load: each entry's stored bytes under the
/// target's ids (`rename`; a key's hash and encoding do not depend on the ids,
/// `crate::keys`), exactly what the write path would store for it. A helper thread loads
/// each chunk while this one scans the next, so the merge of the view's tables and the
/// writing of the new table share the two cores (the copy part of a 1 GiB restore took
/// 2.4–3.0 s so, against 2.9–3.5 s one chunk at a time).
/// Returns the items loaded, and whether the source is exhausted; `cursor` moves to the
/// last source key loaded, also when a later chunk fails.
pub(crate) fn load_step(
    core: &Core,
    view: &dyn shale_engine::ReadView,
    (start, end): KeyRange,
    rename: Rename,
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
            match next_chunk(&mut scan, rename) {
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

/// Source entries, renamed for the target, to load as one bulk load.
struct Chunk {
    entries: Vec<shale_engine::KvPair>,
    /// The last source key among them.
    last: Vec<u8>,
}

/// The next chunk of at most about [`RESTORE_LOAD_BYTES_PER_STEP`] from `scan` (source
/// keys under `rename`'s prefix), renamed for the target (`None` if the scan had nothing
/// left), and whether the scan is exhausted.
fn next_chunk(
    scan: &mut shale_engine::KvIter,
    rename: Rename,
) -> Result<(Option<Chunk>, bool), Error> {
    let mut entries = Vec::new();
    let mut bytes = 0;
    let mut exhausted = true;
    for kv in scan.by_ref() {
        let (mut k, v) = kv?;
        rename.apply(&mut k);
        bytes += k.len() + v.len();
        entries.push((k, v.into_vec()));
        if bytes >= RESTORE_LOAD_BYTES_PER_STEP {
            exhausted = false;
            break;
        }
    }
    let chunk = entries.last().map(|(k, _)| {
        let mut last = k.clone();
        rename.undo(&mut last);
        last
    });
    Ok((chunk.map(|last| Chunk { entries, last }), exhausted))
}

/// Queues again, for the target, the next source GSI queue records (up to
/// [`RESTORE_ITEMS_PER_STEP`], after `cursor`) that were pending at the restore time:
/// their ops on the GSIs in `gsis` (source id → target id), renamed, each record under a
/// new sequence number, so the worker applies them in their order on top of the loaded
/// entries. Records that touch none of those GSIs (other tables', left-out indexes')
/// are skipped. `cursor` moves to the last source record queued. Returns whether the
/// source queue is exhausted.
///
/// # Errors
/// Storage failure, a corrupt queue record.
pub(crate) fn requeue_step(
    core: &Core,
    view: &dyn shale_engine::ReadView,
    gsis: &HashMap<u32, u32>,
    cursor: &mut Option<Vec<u8>>,
) -> Result<bool, Error> {
    let (start, end) = prefix_bounds(&id_prefix(INDEX_QUEUE_ID));
    let start = match cursor {
        Some(k) => Bound::Excluded(k.clone()),
        None => start,
    };
    let mut scanned = 0;
    let mut last = None;
    let mut queued = Vec::new();
    let mut bytes = 0;
    for kv in view.scan(start, end, Direction::Forward)? {
        let (k, v) = kv?;
        let ops = rename_queue_ops(gsi_queue::decode_record(&k, &v)?, gsis);
        scanned += 1;
        last = Some(k);
        if !ops.is_empty() {
            let record = gsi_queue::encode_record(&ops);
            bytes += record.len();
            queued.push(record);
        }
        if scanned == RESTORE_ITEMS_PER_STEP || bytes >= REQUEUE_BATCH_BYTES {
            break;
        }
    }
    let exhausted = scanned < RESTORE_ITEMS_PER_STEP && bytes < REQUEUE_BATCH_BYTES;
    if !queued.is_empty() {
        // The claim keeps the drain's low-water mark at or below these records until
        // they are committed (`GsiQueue::begin`).
        let _claim = core.gsi_queue.begin();
        let mut batch = WriteBatch::new();
        for record in queued {
            batch.put(core.gsi_queue.next_key(), record);
        }
        core.backend.write(batch)?;
        core.signal.notify();
    }
    // Only once the records are in: a failed step is queued again from the same place.
    if last.is_some() {
        *cursor = last;
    }
    Ok(exhausted)
}
