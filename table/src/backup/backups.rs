//! On-demand backups: a backup is a backend checkpoint (for the LSM, hard-linked
//! SSTables: no copy, no write stall) plus a catalog record with the source table's
//! definition. It outlives the table it came from. RestoreTableFromBackup reads the
//! checkpoint through the restore job (`crate::restore`).

use std::ops::Bound;
use std::path::{Path, PathBuf};

use shale_engine::Direction;

use crate::backup::{micros, seconds, table_name_of, target_input};
use crate::backup_records::{self as records, BackupRecord, RestoreRecord, RestoreSourceRecord};
use crate::catalog::{validate_name, TableDef, ACCOUNT_ID};
use crate::catalog_record::TableRecord;
use crate::control;
use crate::core::Core;
use crate::database::Database;
use crate::error::{BackupValidation, Error, ValidationError};
use crate::export_records::{is_id, new_id};
use crate::keys::prefix_bounds;
use crate::restore;
use crate::shapes::{
    BackupDescription, BackupDetails, BackupStatus, BackupSummary, BackupType, BackupTypeFilter,
    CreateBackupInput, CreateBackupOutput, DeleteBackupInput, DeleteBackupOutput,
    DescribeBackupInput, DescribeBackupOutput, ListBackupsInput, ListBackupsOutput,
    ProvisionedThroughput, RestoreSummary, RestoreTableFromBackupInput,
    RestoreTableFromBackupOutput, SecondaryIndexInfo, SourceTableDetails,
    SourceTableFeatureDetails, TableStatus, TimeToLiveDescription, TimeToLiveStatus,
};

/// ListBackups' largest page.
pub const MAX_LIST_BACKUPS_LIMIT: i64 = crate::catalog::MAX_PAGE_LIMIT;

impl Database {
    /// CreateBackup: a checkpoint of the backend and a record of the table.
    ///
    /// # Errors
    /// TableNotFoundException, ValidationException, NotImplemented on a backend without
    /// checkpoints, storage failure.
    pub fn create_backup(&self, input: CreateBackupInput) -> Result<CreateBackupOutput, Error> {
        let core = &self.core;
        let name = table_name_of(&input.table_name)?;
        validate_name("tableName", &name)?;
        validate_name("backupName", &input.backup_name)?;
        let def = core
            .catalog
            .read()
            .tables
            .get(&name)
            .filter(|d| d.status != TableStatus::Creating)
            .cloned()
            .ok_or_else(|| Error::TableNotFound {
                table_name: name.clone(),
            })?;
        let created = core.opts.clock.now_micros();
        let id = new_id(created);
        let dir = backup_root(core)?.join(&id);
        let dir_text = dir.to_str().ok_or(Error::NotImplemented {
            operation: "backups in a directory whose path is not UTF-8",
        })?;
        let info = core.backend.checkpoint(&dir)?;
        // Counting the table's items would read all of it, and a backup must cost no more
        // than its hard links: size and count are not tracked, as DescribeTable's
        // ItemCount and TableSizeBytes are not.
        let (item_count, size_bytes) = (0, 0);
        let record = BackupRecord {
            id: id.clone(),
            name: input.backup_name,
            table: TableRecord::from(def.as_ref()),
            created_micros: created,
            size_bytes,
            item_count,
            checkpoint_dir: dir_text.to_owned(),
        };
        debug_assert_eq!(info.dir, dir);
        core.backend
            .put(&records::backup_key(&id), &records::encode(&record))?;
        Ok(CreateBackupOutput {
            backup_details: details(core, &record, BackupStatus::Available),
        })
    }

    /// DescribeBackup.
    ///
    /// # Errors
    /// BackupNotFoundException, ValidationException, storage failure.
    pub fn describe_backup(
        &self,
        input: DescribeBackupInput,
    ) -> Result<DescribeBackupOutput, Error> {
        let record = find(&self.core, &input.backup_arn)?;
        Ok(DescribeBackupOutput {
            backup_description: description(&self.core, &record, BackupStatus::Available),
        })
    }

    /// DeleteBackup: the record and the checkpoint go at once.
    ///
    /// # Errors
    /// BackupNotFoundException, BackupInUseException, ValidationException, storage failure.
    pub fn delete_backup(&self, input: DeleteBackupInput) -> Result<DeleteBackupOutput, Error> {
        let core = &self.core;
        let record = find(core, &input.backup_arn)?;
        if in_use(core, &record.id) {
            return Err(Error::BackupInUse {
                backup_arn: input.backup_arn,
            });
        }
        core.backend.delete(&records::backup_key(&record.id))?;
        core.backend
            .remove_checkpoint(Path::new(&record.checkpoint_dir))?;
        Ok(DeleteBackupOutput {
            backup_description: description(core, &record, BackupStatus::Deleted),
        })
    }

    /// ListBackups: oldest first, filtered by table, creation time and type, in pages.
    ///
    /// # Errors
    /// ValidationException, storage failure.
    pub fn list_backups(&self, input: ListBackupsInput) -> Result<ListBackupsOutput, Error> {
        let core = &self.core;
        let limit = crate::catalog::page_limit(input.limit)?;
        let lower = input.time_range_lower_bound.map(micros).unwrap_or(0);
        let upper = input.time_range_upper_bound.map(micros).unwrap_or(u64::MAX);
        if lower > upper {
            return Err(ValidationError::Backup(BackupValidation::TimeRangeInverted).into());
        }
        let table = input.table_name.as_deref().map(table_name_of).transpose()?;
        // Shale makes USER backups only: SYSTEM and AWS_BACKUP lists are empty.
        if matches!(
            input.backup_type,
            Some(BackupTypeFilter::System | BackupTypeFilter::AwsBackup)
        ) {
            return Ok(ListBackupsOutput::default());
        }
        let (mut start, end) = prefix_bounds(&records::backup_prefix());
        if let Some(arn) = &input.exclusive_start_backup_arn {
            start = Bound::Excluded(records::backup_key(&parse_backup_arn(arn)?.1));
        }
        let mut out = ListBackupsOutput::default();
        for kv in core.backend.scan(start, end, Direction::Forward, None)? {
            let (k, v) = kv?;
            let r = records::decode::<BackupRecord>(&k, &v)?;
            let fits = table.as_ref().is_none_or(|t| *t == r.table.name())
                && (lower..upper).contains(&r.created_micros);
            if !fits {
                continue;
            }
            if out.backup_summaries.len() == limit {
                out.last_evaluated_backup_arn =
                    out.backup_summaries.last().map(|s| s.backup_arn.clone());
                break;
            }
            out.backup_summaries.push(summary(core, &r));
        }
        Ok(out)
    }

    /// RestoreTableFromBackup: a new table with the backup's items, copied in the
    /// background (CREATING with a RestoreSummary until done).
    ///
    /// # Errors
    /// ValidationException, BackupNotFoundException, BackupInUseException,
    /// TableAlreadyExists, storage failure.
    pub fn restore_table_from_backup(
        &self,
        input: RestoreTableFromBackupInput,
    ) -> Result<RestoreTableFromBackupOutput, Error> {
        let core = &self.core;
        validate_name("targetTableName", &input.target_table_name)?;
        let record = find(core, &input.backup_arn)?;
        let source = record.table_def();
        let create = target_input(
            "RestoreTableFromBackup",
            &source,
            &input.target_table_name,
            &input.overrides,
        )?;
        if in_use(core, &record.id) {
            return Err(Error::BackupInUse {
                backup_arn: input.backup_arn,
            });
        }
        let restore = RestoreRecord {
            target: input.target_table_name.clone(),
            source: RestoreSourceRecord::Backup {
                backup_id: record.id.clone(),
                backup_arn: backup_arn(core, &record),
                table_arn: source.arn(&core.opts.region),
                table_id: source.id,
                checkpoint_dir: record.checkpoint_dir.clone(),
            },
            time_micros: record.created_micros,
            source_indexes: RestoreRecord::kept_indexes(&source, &create),
            replay: None,
        };
        let (key, value) = (
            records::restore_key(&restore.target),
            records::encode(&restore),
        );
        let target = control::create_restore_target(core, create, |_, batch| {
            batch.put(key, value);
        })?;
        restore::start(core, restore);
        let mut description = target.describe(&core.opts.region, core.opts.clock.now_micros());
        description.restore_summary = Some(RestoreSummary {
            source_backup_arn: Some(backup_arn(core, &record)),
            source_table_arn: Some(source.arn(&core.opts.region)),
            restore_date_time: seconds(record.created_micros),
            restore_in_progress: true,
        });
        Ok(RestoreTableFromBackupOutput {
            table_description: description,
        })
    }
}

fn backup_root(core: &Core) -> Result<PathBuf, Error> {
    core.opts
        .backup_dir
        .clone()
        .or_else(|| core.backend.default_checkpoint_dir())
        .ok_or(Error::NotImplemented {
            operation: "backups on a storage backend without checkpoints",
        })
}

fn backup_arn(core: &Core, r: &BackupRecord) -> String {
    format!(
        "arn:aws:dynamodb:{}:{ACCOUNT_ID}:table/{}/backup/{}",
        core.opts.region,
        r.table.name(),
        r.id
    )
}

/// `(table name, backup id)` of a backup ARN.
fn parse_backup_arn(arn: &str) -> Result<(String, String), Error> {
    let bad = || Error::from(ValidationError::Backup(BackupValidation::InvalidBackupArn));
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", _, "dynamodb", _, _, resource] = parts.as_slice() else {
        return Err(bad());
    };
    let mut it = resource.split('/');
    match (it.next(), it.next(), it.next(), it.next(), it.next()) {
        (Some("table"), Some(table), Some("backup"), Some(id), None)
            if !table.is_empty() && is_id(id) =>
        {
            Ok((table.to_owned(), id.to_owned()))
        }
        _ => Err(bad()),
    }
}

fn find(core: &Core, arn: &str) -> Result<BackupRecord, Error> {
    let (table, id) = parse_backup_arn(arn)?;
    let key = records::backup_key(&id);
    let not_found = || Error::BackupNotFound {
        backup_arn: arn.to_owned(),
    };
    let record = core
        .backend
        .get(&key, None)?
        .map(|v| records::decode::<BackupRecord>(&key, &v))
        .transpose()?
        .ok_or_else(not_found)?;
    if record.table.name() != table {
        return Err(not_found());
    }
    Ok(record)
}

fn in_use(core: &Core, backup_id: &str) -> bool {
    core.restores.lock().jobs.values().any(|j| {
        matches!(&j.record.source, RestoreSourceRecord::Backup { backup_id: b, .. } if b == backup_id)
    })
}

fn details(core: &Core, r: &BackupRecord, status: BackupStatus) -> BackupDetails {
    BackupDetails {
        backup_arn: backup_arn(core, r),
        backup_name: r.name.clone(),
        backup_size_bytes: Some(r.size_bytes as i64),
        backup_status: status,
        backup_type: BackupType::User,
        backup_creation_date_time: (r.created_micros / 1000) as f64 / 1e3,
    }
}

fn summary(core: &Core, r: &BackupRecord) -> BackupSummary {
    let def = r.table_def();
    let d = details(core, r, BackupStatus::Available);
    BackupSummary {
        table_name: def.name.clone(),
        table_id: def.uuid.clone(),
        table_arn: def.arn(&core.opts.region),
        backup_arn: d.backup_arn,
        backup_name: d.backup_name,
        backup_creation_date_time: d.backup_creation_date_time,
        backup_status: d.backup_status,
        backup_type: d.backup_type,
        backup_size_bytes: r.size_bytes as i64,
    }
}

fn description(core: &Core, r: &BackupRecord, status: BackupStatus) -> BackupDescription {
    let def = r.table_def();
    let t = def.describe(&core.opts.region, core.opts.clock.now_micros());
    BackupDescription {
        backup_details: details(core, r, status),
        source_table_details: SourceTableDetails {
            table_name: def.name.clone(),
            table_id: def.uuid.clone(),
            table_arn: t.table_arn.clone(),
            table_size_bytes: r.size_bytes as i64,
            key_schema: t.key_schema.clone(),
            table_creation_date_time: t.creation_date_time,
            provisioned_throughput: ProvisionedThroughput {
                read_capacity_units: t.provisioned_throughput.read_capacity_units,
                write_capacity_units: t.provisioned_throughput.write_capacity_units,
            },
            item_count: r.item_count as i64,
            billing_mode: def.billing_mode,
        },
        source_table_feature_details: features(&def, &t),
    }
}

fn features(def: &TableDef, t: &crate::shapes::TableDescription) -> SourceTableFeatureDetails {
    SourceTableFeatureDetails {
        local_secondary_indexes: t.local_secondary_indexes.as_ref().map(|l| {
            l.iter()
                .map(|i| SecondaryIndexInfo {
                    index_name: i.index_name.clone(),
                    key_schema: i.key_schema.clone(),
                    projection: i.projection.clone(),
                    provisioned_throughput: None,
                })
                .collect()
        }),
        global_secondary_indexes: t.global_secondary_indexes.as_ref().map(|g| {
            g.iter()
                .map(|i| SecondaryIndexInfo {
                    index_name: i.index_name.clone(),
                    key_schema: i.key_schema.clone(),
                    projection: i.projection.clone(),
                    provisioned_throughput: Some(ProvisionedThroughput {
                        read_capacity_units: i.provisioned_throughput.read_capacity_units,
                        write_capacity_units: i.provisioned_throughput.write_capacity_units,
                    }),
                })
                .collect()
        }),
        stream_description: def.stream.clone().filter(|s| s.stream_enabled),
        time_to_live_description: def.ttl_attribute.as_ref().map(|a| TimeToLiveDescription {
            time_to_live_status: Some(TimeToLiveStatus::Enabled),
            attribute_name: Some(a.clone()),
        }),
    }
}
