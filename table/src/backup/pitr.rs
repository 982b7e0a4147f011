//! Point-in-time recovery: per-table settings on one backend-wide history.
//!
//! The backend keeps one history ([`Backend::set_history_retention`]); the table layer
//! sets its retention to the longest window any table needs (a table with PITR on, or a
//! deleted one whose window has not run out) and turns it off when none does, which
//! discards it. A table's own window is `[max(enabled, backend's earliest, now − period),
//! now]`: turning PITR off and on again starts it afresh, as in DynamoDB. "Now" is the
//! backend clock's (every acknowledged write is restorable; DynamoDB's latest restorable
//! time trails by about five minutes).

use std::ops::Bound;
use std::sync::Arc;

use shale_engine::Capability;

use crate::backup::{iso8601, micros, seconds, table_name_of, target_input};
use crate::backup_records::{self as records, PitrRecord, RestoreRecord, RestoreSourceRecord};
use crate::catalog::{self, validate_name, TableDef};
use crate::catalog_record;
use crate::control;
use crate::core::{Catalog, Core};
use crate::database::Database;
use crate::error::{BackupValidation, Error, ValidationError};
use crate::pitr_retention::{now_micros, pitr_record, sync_retention, MICROS_PER_DAY};
use crate::restore;
use crate::shapes::{
    ContinuousBackupsDescription, ContinuousBackupsStatus, DescribeContinuousBackupsInput,
    DescribeContinuousBackupsOutput, PointInTimeRecoveryDescription, PointInTimeRecoveryStatus,
    RestoreSummary, RestoreTableToPointInTimeInput, RestoreTableToPointInTimeOutput, TableStatus,
    UpdateContinuousBackupsInput, UpdateContinuousBackupsOutput,
};

/// DynamoDB's default recovery window.
pub const DEFAULT_RECOVERY_PERIOD_DAYS: i64 = 35;
/// The longest window.
pub const MAX_RECOVERY_PERIOD_DAYS: i64 = 35;
/// The shortest window.
pub const MIN_RECOVERY_PERIOD_DAYS: i64 = 1;

impl Database {
    /// UpdateContinuousBackups: turns point-in-time recovery on (with its window) or off
    /// for one table.
    ///
    /// # Errors
    /// ValidationException, TableNotFoundException, NotImplemented on a backend without
    /// history, storage failure.
    pub fn update_continuous_backups(
        &self,
        input: UpdateContinuousBackupsInput,
    ) -> Result<UpdateContinuousBackupsOutput, Error> {
        let (enabled, period) = validate_spec(&input)?;
        let name = table_name_of(&input.table_name)?;
        let core = &self.core;
        let cat = core.catalog.write();
        let def = live_table(&cat, &name)?;
        let current = pitr_record(core.backend.as_ref(), &name)?.filter(|r| r.table_id == def.id);
        if enabled {
            if !core.backend.supports(Capability::HistoryRetention)
                || !core.backend.supports(Capability::PastView)
            {
                return Err(Error::NotImplemented {
                    operation: "point-in-time recovery on this storage backend",
                });
            }
            // A window that starts before the backend keeps history is clamped by
            // `window` to the backend's earliest, so "now" is a safe start either way.
            let mut record = match current {
                Some(r) => r,
                None => PitrRecord {
                    table_id: def.id,
                    period_days: 0,
                    enabled_micros: now_micros(core)?,
                    deleted_micros: None,
                },
            };
            record.period_days = period as u32;
            core.backend
                .put(&records::pitr_key(&name), &records::encode(&record))?;
            sync_retention(core)?;
        } else if current.is_some() {
            core.backend.delete(&records::pitr_key(&name))?;
            sync_retention(core)?;
        }
        drop(cat);
        Ok(UpdateContinuousBackupsOutput {
            continuous_backups_description: describe(core, &name)?,
        })
    }

    /// DescribeContinuousBackups.
    ///
    /// # Errors
    /// TableNotFoundException, ValidationException, storage failure.
    pub fn describe_continuous_backups(
        &self,
        input: DescribeContinuousBackupsInput,
    ) -> Result<DescribeContinuousBackupsOutput, Error> {
        let name = table_name_of(&input.table_name)?;
        live_table(&self.core.catalog.read(), &name)?;
        Ok(DescribeContinuousBackupsOutput {
            continuous_backups_description: describe(&self.core, &name)?,
        })
    }

    /// RestoreTableToPointInTime: a new table with the source's items as of a second in
    /// its window. Checks run in DynamoDB's order: request shape, source, PITR on, time,
    /// target free. The copy runs in the background; the table is CREATING with a
    /// RestoreSummary until it is done.
    ///
    /// # Errors
    /// ValidationException, TableNotFoundException, PointInTimeRecoveryUnavailable,
    /// InvalidRestoreTime, TableAlreadyExists, storage failure.
    pub fn restore_table_to_point_in_time(
        &self,
        input: RestoreTableToPointInTimeInput,
    ) -> Result<RestoreTableToPointInTimeOutput, Error> {
        let core = &self.core;
        let (source_name, wanted) = validate_restore(&input)?;
        let (record, live) = {
            let cat = core.catalog.read();
            source_of(core, &cat, &source_name)?
        };
        let window = window(core, &record)?;
        let t = wanted.unwrap_or(window.1);
        if t < window.0 || t > window.1 {
            return Err(Error::InvalidRestoreTime {
                requested: iso8601(t),
                earliest: iso8601(window.0),
                latest: iso8601(window.1),
            });
        }
        if core
            .catalog
            .read()
            .tables
            .contains_key(&input.target_table_name)
        {
            return Err(Error::TableAlreadyExists {
                table_name: input.target_table_name,
            });
        }
        // Settings come from the source as it is now (as DynamoDB's do); a deleted
        // source's from its definition at the restore time. No view of the items is
        // built here: the restore's own job builds the one it copies from.
        let source = match live {
            Some(def) => def,
            None => Arc::new(def_at(core, &source_name, t, window)?),
        };
        let create = target_input(
            "RestoreTableToPointInTime",
            &source,
            &input.target_table_name,
            &input.overrides,
        )?;
        let restore = RestoreRecord {
            target: input.target_table_name.clone(),
            source: RestoreSourceRecord::PointInTime {
                table_id: source.id,
                table_arn: source.arn(&core.opts.region),
            },
            time_micros: t,
            source_indexes: RestoreRecord::kept_indexes(&source, &create),
            replay: None,
        };
        let key = records::restore_key(&restore.target);
        let value = records::encode(&restore);
        let target = control::create_restore_target(core, create, |_, batch| {
            batch.put(key, value);
        })?;
        let summary = RestoreSummary {
            source_backup_arn: None,
            source_table_arn: Some(source.arn(&core.opts.region)),
            restore_date_time: seconds(t),
            restore_in_progress: true,
        };
        restore::start(core, restore);
        let mut description = target.describe(&core.opts.region, core.opts.clock.now_micros());
        description.restore_summary = Some(summary);
        Ok(RestoreTableToPointInTimeOutput {
            table_description: description,
        })
    }
}

fn validate_spec(input: &UpdateContinuousBackupsInput) -> Result<(bool, i64), Error> {
    let spec = input
        .point_in_time_recovery_specification
        .ok_or(ValidationError::Missing {
            field: "pointInTimeRecoverySpecification",
        })?;
    let enabled = spec
        .point_in_time_recovery_enabled
        .ok_or(ValidationError::Missing {
            field: "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled",
        })?;
    if let Some(p) = spec.recovery_period_in_days {
        if !(MIN_RECOVERY_PERIOD_DAYS..=MAX_RECOVERY_PERIOD_DAYS).contains(&p) {
            return Err(ValidationError::OutOfRange {
                field: "pointInTimeRecoverySpecification.recoveryPeriodInDays",
                value: p,
                constraint: if p < MIN_RECOVERY_PERIOD_DAYS {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 35"
                },
            }
            .into());
        }
        if !enabled {
            return Err(ValidationError::Backup(BackupValidation::PeriodWhenDisabling).into());
        }
    }
    Ok((
        enabled,
        spec.recovery_period_in_days
            .unwrap_or(DEFAULT_RECOVERY_PERIOD_DAYS),
    ))
}

/// The source table's name and the time asked for (`None`: the latest).
fn validate_restore(
    input: &RestoreTableToPointInTimeInput,
) -> Result<(String, Option<u64>), Error> {
    let source = match (&input.source_table_arn, &input.source_table_name) {
        (Some(_), Some(_)) => return Err(BackupValidation::SourceChoice.into()),
        (None, None) => return Err(BackupValidation::NoSource.into()),
        (Some(arn), None) => table_name_of(arn)?,
        (None, Some(name)) => name.clone(),
    };
    validate_name("targetTableName", &input.target_table_name)?;
    let time = match (input.restore_date_time, input.use_latest_restorable_time) {
        (Some(t), None | Some(false)) => Some(micros(t)),
        (None, Some(true)) => None,
        _ => return Err(BackupValidation::RestoreTimeChoice.into()),
    };
    Ok((source, time))
}

fn live_table(cat: &Catalog, name: &str) -> Result<Arc<TableDef>, Error> {
    validate_name("tableName", name)?;
    cat.tables
        .get(name)
        .filter(|d| d.status != TableStatus::Creating)
        .cloned()
        .ok_or_else(|| Error::TableNotFound {
            table_name: name.to_owned(),
        })
}

/// The source of a restore: its PITR record, and its definition if it is live.
fn source_of(
    core: &Core,
    cat: &Catalog,
    name: &str,
) -> Result<(PitrRecord, Option<Arc<TableDef>>), Error> {
    validate_name("sourceTableName", name)?;
    let record = pitr_record(core.backend.as_ref(), name)?;
    match (cat.tables.get(name), record) {
        (Some(def), Some(r)) if r.table_id == def.id && def.status != TableStatus::Creating => {
            Ok((r, Some(def.clone())))
        }
        (Some(_), _) => Err(Error::PointInTimeRecoveryUnavailable {
            table_name: name.to_owned(),
        }),
        (None, Some(r)) if r.deleted_micros.is_some() => Ok((r, None)),
        (None, _) => Err(Error::TableNotFound {
            table_name: name.to_owned(),
        }),
    }
}

/// A table's restorable window `(earliest, latest)`.
pub(crate) fn window(core: &Core, record: &PitrRecord) -> Result<(u64, u64), Error> {
    let bounds = core.backend.history_bounds()?;
    let now = bounds.map_or(core.opts.clock.now_micros(), |b| b.latest_micros);
    let latest = record.deleted_micros.map_or(now, |d| d.min(now));
    let period = u64::from(record.period_days) * MICROS_PER_DAY;
    let earliest = record
        .enabled_micros
        .max(bounds.map_or(now, |b| b.earliest_micros))
        .max(now.saturating_sub(period));
    Ok((earliest, latest.max(earliest)))
}

fn describe(core: &Core, name: &str) -> Result<ContinuousBackupsDescription, Error> {
    let def_id = core.catalog.read().tables.get(name).map(|d| d.id);
    let record = pitr_record(core.backend.as_ref(), name)?.filter(|r| Some(r.table_id) == def_id);
    let pitr = match record {
        Some(r) => {
            let (earliest, latest) = window(core, &r)?;
            PointInTimeRecoveryDescription {
                point_in_time_recovery_status: PointInTimeRecoveryStatus::Enabled,
                recovery_period_in_days: Some(i64::from(r.period_days)),
                earliest_restorable_date_time: Some(seconds(earliest)),
                latest_restorable_date_time: Some(seconds(latest)),
            }
        }
        None => PointInTimeRecoveryDescription {
            point_in_time_recovery_status: PointInTimeRecoveryStatus::Disabled,
            recovery_period_in_days: None,
            earliest_restorable_date_time: None,
            latest_restorable_date_time: None,
        },
    };
    Ok(ContinuousBackupsDescription {
        continuous_backups_status: ContinuousBackupsStatus::Enabled,
        point_in_time_recovery_description: pitr,
    })
}

/// The definition table `name` had at `t` (inside `window`), from a view of its catalog
/// record alone.
fn def_at(core: &Core, name: &str, t: u64, window: (u64, u64)) -> Result<TableDef, Error> {
    let key = catalog::table_key(name);
    let range = (Bound::Included(key.clone()), Bound::Included(key.clone()));
    let view = core
        .backend
        .view_at(t, range.into())
        .map_err(|_| Error::InvalidRestoreTime {
            requested: iso8601(t),
            earliest: iso8601(window.0),
            latest: iso8601(window.1),
        })?;
    match view.get(&key)? {
        Some(v) => catalog_record::decode_table(&key, &v),
        None => Err(Error::TableNotFound {
            table_name: name.to_owned(),
        }),
    }
}
