//! The backend's history retention, driven by the tables' PITR records: a leaf of the
//! backup modules that the control plane (DeleteTable) and the PITR API both use.

use std::time::Duration;

use shale_engine::{Backend, Capability, Direction, WriteBatch};

use crate::backup_records::{self as records, PitrRecord};
use crate::catalog::TableDef;
use crate::core::Core;
use crate::error::Error;
use crate::keys::prefix_bounds;

/// Microseconds in a day.
pub(crate) const MICROS_PER_DAY: u64 = 86_400_000_000;

/// `name`'s PITR record, if any.
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn pitr_record(backend: &dyn Backend, name: &str) -> Result<Option<PitrRecord>, Error> {
    let key = records::pitr_key(name);
    backend
        .get(&key, None)?
        .map(|v| records::decode::<PitrRecord>(&key, &v))
        .transpose()
}

/// The backend's "now": its history's latest time, or the database clock without one.
///
/// # Errors
/// Storage failure.
pub(crate) fn now_micros(core: &Core) -> Result<u64, Error> {
    Ok(match core.backend.history_bounds()? {
        Some(b) => b.latest_micros,
        None => core.opts.clock.now_micros(),
    })
}

/// Marks `def`'s PITR record deleted (DeleteTable), in the delete's batch, so the table
/// stays restorable for its window.
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn on_delete(core: &Core, def: &TableDef, batch: &mut WriteBatch) -> Result<(), Error> {
    if let Some(mut r) = pitr_record(core.backend.as_ref(), &def.name)? {
        if r.table_id == def.id {
            r.deleted_micros = Some(now_micros(core)?);
            batch.put(records::pitr_key(&def.name), records::encode(&r));
        }
    }
    Ok(())
}

/// Sets the backend's retention to the longest window any table needs (none: off), and
/// at least a day while any stream is live, dropping the records of deleted tables whose
/// window has run out.
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn sync_retention(core: &Core) -> Result<(), Error> {
    if !core.backend.supports(Capability::HistoryRetention) {
        return Ok(());
    }
    let now = now_micros(core)?;
    let (start, end) = prefix_bounds(&records::pitr_prefix());
    let mut longest_days = 0u32;
    let mut expired = WriteBatch::new();
    for kv in core.backend.scan(start, end, Direction::Forward, None)? {
        let (k, v) = kv?;
        let r = records::decode::<PitrRecord>(&k, &v)?;
        let period = u64::from(r.period_days) * MICROS_PER_DAY;
        if r.deleted_micros
            .is_some_and(|d| d.saturating_add(period) < now)
        {
            expired.delete(k);
        } else {
            longest_days = longest_days.max(r.period_days);
        }
    }
    if !expired.is_empty() {
        core.backend.write(expired)?;
    }
    let mut wanted =
        (longest_days > 0).then(|| Duration::from_secs(u64::from(longest_days) * 86_400));
    // A live stream reads its last 24 hours from the commit log.
    if crate::streams::needs_history(core)? {
        wanted = wanted.max(Some(crate::streams::RETENTION));
    }
    if core.backend.history_retention() != wanted {
        core.backend.set_history_retention(wanted)?;
    }
    Ok(())
}
