//! DynamoDB Streams, from the commit log.
//!
//! **Where records come from.** The write path ([`crate::write`], hook `StreamRecords`)
//! adds one change record ([`change`]) per changed item of a table whose stream is
//! enabled to the write's own batch, as log data: logged in commit order with the change,
//! never applied to any key. Readers walk the backend's commit log
//! (`Backend::read_commit_log`) and pick out their stream's records, so:
//! - sequence numbers are the log's (`batch seq × 1000 + op index`, [`ids`]), increasing
//!   within a shard;
//! - a crash loses a record exactly when it loses the write, and a transaction's records
//!   are one batch, never seen in part;
//! - a write that changes nothing (and a condition check) writes no record.
//!
//! **Shards** ([`registry`]) are cut at sequence numbers, every 4 hours, by whoever
//! touches the stream first after that (a reader, or the background worker's upkeep).
//!
//! **Retention.** While any stream is enabled, or was disabled less than 24 hours ago,
//! the backend keeps at least 24 hours of history (`pitr_retention::sync_retention`), and
//! records older than 24 hours are not returned. A backend without a commit log refuses
//! to enable a stream.
//!
//! The API: [`api`] (ListStreams, DescribeStream, GetShardIterator, GetRecords), and the
//! in-process consumer [`consumer`].

pub(crate) mod api;
pub(crate) mod change;
pub mod consumer;
pub mod filter;
pub(crate) mod ids;
pub(crate) mod iterator;
pub(crate) mod reader;
pub(crate) mod registry;

use std::time::Duration;

use shale_engine::{Backend, Capability, WriteBatch};

use crate::catalog::TableDef;
use crate::core::Core;
use crate::error::{Error, StreamValidation};
use crate::shapes::{StreamSpecification, StreamViewType};

/// How long records are kept: 24 hours.
pub(crate) const RETENTION_MICROS: u64 = 24 * 3600 * 1_000_000;
/// How long a shard stays open: 4 hours.
pub(crate) const SHARD_ROLL_MICROS: u64 = 4 * 3600 * 1_000_000;
/// How long a shard iterator is valid: 15 minutes.
pub(crate) const ITERATOR_LIFETIME_MICROS: u64 = 15 * 60 * 1_000_000;

/// The history a database with a live stream keeps, at least.
pub(crate) const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// The stream `def` records into: its creation time and view type, when enabled.
pub(crate) fn active(def: &TableDef) -> Option<(u64, StreamViewType)> {
    let spec = def.stream.as_ref().filter(|s| s.stream_enabled)?;
    Some((def.latest_stream_micros?, spec.stream_view_type?))
}

/// UpdateTable's stream change, applied to `def` (a copy under the catalog write lock),
/// with the stream record put in `batch`. Validation follows DynamoDB's recorded
/// messages: a view type is required to enable and refused to disable; enabling a table
/// with a stream, or disabling one without, fails.
///
/// # Errors
/// ValidationException; storage failure.
pub(crate) fn apply_specification(
    core: &Core,
    def: &mut TableDef,
    spec: StreamSpecification,
    batch: &mut WriteBatch,
) -> Result<(), Error> {
    let enabled_now = active(def).is_some();
    match (spec.stream_enabled, spec.stream_view_type) {
        (true, None) => Err(StreamValidation::ViewTypeRequired.into()),
        (false, Some(_)) => Err(StreamValidation::ViewTypeNotAllowed.into()),
        (true, Some(_)) if enabled_now => Err(StreamValidation::AlreadyEnabled {
            table_name: def.name.clone(),
        }
        .into()),
        (false, None) if !enabled_now => Err(StreamValidation::NothingToDisable {
            table_name: def.name.clone(),
        }
        .into()),
        (true, Some(view)) => enable(core, def, view, batch),
        (false, None) => disable(core, def, batch),
    }
}

/// CreateTable's StreamSpecification: the same rules, on a new definition.
///
/// # Errors
/// ValidationException; storage failure.
pub(crate) fn on_create(
    core: &Core,
    def: &mut TableDef,
    batch: &mut WriteBatch,
) -> Result<(), Error> {
    match def.stream.take() {
        None => Ok(()),
        // DynamoDB accepts `StreamEnabled: false` on CreateTable and shows no stream.
        Some(StreamSpecification {
            stream_enabled: false,
            stream_view_type: Some(_),
        }) => Err(StreamValidation::ViewTypeNotAllowed.into()),
        Some(StreamSpecification {
            stream_enabled: false,
            ..
        }) => Ok(()),
        Some(StreamSpecification {
            stream_view_type: None,
            ..
        }) => Err(StreamValidation::ViewTypeRequired.into()),
        Some(StreamSpecification {
            stream_view_type: Some(view),
            ..
        }) => enable(core, def, view, batch),
    }
}

/// A table is deleted: its enabled stream is disabled in the same batch (it stays
/// readable for 24 hours, as DynamoDB's does).
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn on_delete(core: &Core, def: &TableDef, batch: &mut WriteBatch) -> Result<(), Error> {
    if active(def).is_some() {
        let mut def = def.clone();
        disable(core, &mut def, batch)?;
    }
    Ok(())
}

/// Turns history retention on (at least 24 hours) before a stream can record anything:
/// the caller holds the catalog write lock, so no write commits between this and the
/// stream's first batch.
fn ensure_retention(backend: &dyn Backend) -> Result<(), Error> {
    if !backend.supports(Capability::CommitLog) || !backend.supports(Capability::HistoryRetention) {
        return Err(StreamValidation::Unsupported {
            backend: backend.name(),
        }
        .into());
    }
    if backend.history_retention().is_none_or(|r| r < RETENTION) {
        backend.set_history_retention(Some(RETENTION))?;
    }
    Ok(())
}

fn enable(
    core: &Core,
    def: &mut TableDef,
    view: StreamViewType,
    batch: &mut WriteBatch,
) -> Result<(), Error> {
    ensure_retention(core.backend.as_ref())?;
    // Under the catalog write lock no item write is in flight: every batch after the
    // last one committed sees the stream enabled.
    let start_seq = core.backend.snapshot().seq() + 1;
    let meta = registry::new_stream(def, view, core.opts.clock.now_micros(), start_seq);
    registry::put(&meta, batch);
    def.latest_stream_micros = Some(meta.created_micros);
    def.stream = Some(StreamSpecification {
        stream_enabled: true,
        stream_view_type: Some(view),
    });
    Ok(())
}

fn disable(core: &Core, def: &mut TableDef, batch: &mut WriteBatch) -> Result<(), Error> {
    if let Some((created, _)) = active(def) {
        if let Some(mut meta) = registry::load(core, &def.name, created)? {
            meta.disabled = Some(registry::DisabledMeta {
                micros: core.opts.clock.now_micros(),
                end_seq: core.backend.snapshot().seq(),
            });
            registry::put(&meta, batch);
        }
    }
    // DescribeTable then shows no StreamSpecification, but keeps LatestStreamArn.
    def.stream = None;
    Ok(())
}

/// Background upkeep: rolls shards that are due and removes streams past retention.
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn upkeep(core: &Core) -> Result<(), Error> {
    let now = core.opts.clock.now_micros();
    registry::purge_expired(core, now)?;
    for meta in registry::list(core, None)? {
        if meta.disabled.is_none() {
            reader::current_meta(core, &meta.table_name, meta.created_micros)?;
        }
    }
    Ok(())
}

/// Whether a live stream (enabled, or disabled less than 24 hours ago) needs history.
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn needs_history(core: &Core) -> Result<bool, Error> {
    let now = core.opts.clock.now_micros();
    Ok(registry::list(core, None)?.iter().any(|m| !m.expired(now)))
}
