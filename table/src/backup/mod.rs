//! Point-in-time recovery and on-demand backups, on the backend's capabilities
//! (`docs/pitr-and-backups.md`):
//! - [`pitr`]: UpdateContinuousBackups / DescribeContinuousBackups and
//!   RestoreTableToPointInTime, on the backend's history retention and past views;
//! - [`backups`]: CreateBackup, DescribeBackup, ListBackups, DeleteBackup and
//!   RestoreTableFromBackup, on backend checkpoints;
//! - [`export`]: ExportTableToPointInTime, DescribeExport, ListExports: a past view
//!   written as files in DynamoDB's S3 export layout, in a local directory;
//! - [`import`]: ImportTable, DescribeImport, ListImports: such files (or CSV) read into
//!   a new table through the one write path;
//! - [`transfer`]: what those two share (buckets and prefixes as directories, ARNs, the
//!   jobs running in this process);
//!
//! Beside it, leaves the rest of the crate uses without importing the API:
//! `crate::restore` (the restore job both kinds share, run by the worker),
//! `crate::pitr_retention` (the backend's retention from the PITR records),
//! `crate::backup_records` (the durable records), `crate::restore_jobs` (running
//! restores' state).

pub(crate) mod backups;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod pitr;
pub(crate) mod transfer;

use std::time::{Duration, UNIX_EPOCH};

use crate::catalog::{TableDef, ACCOUNT_ID};
use crate::error::{BackupValidation, Error};
use crate::shapes::{
    BillingMode, CreateTableInput, GlobalSecondaryIndex, LocalSecondaryIndex,
    ProvisionedThroughput, RestoreOverrides,
};

/// Epoch seconds (DynamoDB's wire timestamps) from µs.
pub(crate) fn seconds(micros: u64) -> f64 {
    micros as f64 / 1e6
}

/// µs from epoch seconds; negative or non-finite inputs are 0.
pub(crate) fn micros(seconds: f64) -> u64 {
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * 1e6).round() as u64
    } else {
        0
    }
}

/// The last second RFC 3339 can write (9999-12-31T23:59:59Z).
const LAST_RFC3339_SECOND: u64 = 253_402_300_799;

/// ISO 8601 in UTC to the second, as DynamoDB's InvalidRestoreTimeException quotes times.
/// A time past year 9999 (a client can ask for one) is written as the last second of
/// 9999: humantime refuses to format it, and `to_string` would then panic.
pub(crate) fn iso8601(micros: u64) -> String {
    let secs = (micros / 1_000_000).min(LAST_RFC3339_SECOND);
    let t = UNIX_EPOCH + Duration::from_secs(secs);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The table name of `name_or_arn` (`arn:aws:dynamodb:<region>:<account>:table/<name>`).
///
/// # Errors
/// ValidationException for an ARN that is not a table ARN of this account.
pub(crate) fn table_name_of(name_or_arn: &str) -> Result<String, Error> {
    if !name_or_arn.starts_with("arn:") {
        return Ok(name_or_arn.to_owned());
    }
    let bad = || BackupValidation::InvalidTableArn {
        arn: name_or_arn.to_owned(),
    };
    let parts: Vec<&str> = name_or_arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "dynamodb", _, account, resource] if *account == ACCOUNT_ID => resource
            .strip_prefix("table/")
            .filter(|n| !n.is_empty() && !n.contains('/'))
            .map(str::to_owned)
            .ok_or_else(|| bad().into()),
        _ => Err(bad().into()),
    }
}

/// The CreateTable input of a restore's target: the source's key, attributes, billing and
/// indexes, with the overrides applied. Streams, TTL, tags, PITR and deletion protection
/// are not restored (as in DynamoDB).
///
/// # Errors
/// ValidationException for overrides DynamoDB refuses; ParameterNotImplemented for a
/// vector index override (`operation` names the restore).
pub(crate) fn target_input(
    operation: &'static str,
    source: &TableDef,
    target: &str,
    overrides: &RestoreOverrides,
) -> Result<CreateTableInput, Error> {
    crate::control::refuse_unimplemented(
        operation,
        overrides
            .vector_index_override
            .map(|_| "VectorIndexOverride"),
    )?;
    let mode = overrides
        .billing_mode_override
        .unwrap_or(source.billing_mode);
    let throughput = restore_throughput(source, mode, overrides)?;
    let described = source.describe("", 0);
    let gsis = pick_indexes(
        described
            .global_secondary_indexes
            .unwrap_or_default()
            .into_iter()
            .map(|g| GlobalSecondaryIndex {
                index_name: g.index_name,
                key_schema: g.key_schema,
                projection: g.projection,
                provisioned_throughput: (mode == BillingMode::Provisioned).then_some(
                    ProvisionedThroughput {
                        read_capacity_units: g.provisioned_throughput.read_capacity_units.max(1),
                        write_capacity_units: g.provisioned_throughput.write_capacity_units.max(1),
                    },
                ),
                on_demand_throughput: None,
                warm_throughput: None,
            }),
        overrides.global_secondary_index_override.as_deref(),
        |g| &g.index_name,
    )?;
    let lsis = pick_indexes(
        described
            .local_secondary_indexes
            .unwrap_or_default()
            .into_iter()
            .map(|l| LocalSecondaryIndex {
                index_name: l.index_name,
                key_schema: l.key_schema,
                projection: l.projection,
            }),
        overrides.local_secondary_index_override.as_deref(),
        |l| &l.index_name,
    )?;
    Ok(CreateTableInput {
        table_name: target.to_owned(),
        attribute_definitions: used_definitions(source, &gsis, &lsis),
        key_schema: source.key.schema(),
        local_secondary_indexes: (!lsis.is_empty()).then_some(lsis),
        global_secondary_indexes: (!gsis.is_empty()).then_some(gsis),
        billing_mode: Some(mode),
        provisioned_throughput: throughput,
        on_demand_throughput: match mode {
            BillingMode::PayPerRequest => overrides
                .on_demand_throughput_override
                .or(source.on_demand_throughput),
            // Held to CreateTable's rules, which refuse it with provisioned billing.
            BillingMode::Provisioned => overrides.on_demand_throughput_override,
        },
        sse_specification: overrides.sse_specification_override.clone(),
        ..CreateTableInput::default()
    })
}

fn restore_throughput(
    source: &TableDef,
    mode: BillingMode,
    overrides: &RestoreOverrides,
) -> Result<Option<ProvisionedThroughput>, Error> {
    match (mode, overrides.provisioned_throughput_override) {
        (BillingMode::PayPerRequest, Some(_)) => {
            Err(BackupValidation::ThroughputWithoutProvisioned.into())
        }
        (BillingMode::PayPerRequest, None) => Ok(None),
        (BillingMode::Provisioned, Some(t)) => Ok(Some(t)),
        (BillingMode::Provisioned, None) => source
            .throughput
            .map(Some)
            .ok_or_else(|| BackupValidation::ProvisionedWithoutThroughput.into()),
    }
}

/// The source's indexes that `wanted` names (all of them when `wanted` is absent).
fn pick_indexes<T, F: Fn(&T) -> &String>(
    source: impl Iterator<Item = T>,
    wanted: Option<&[T]>,
    name: F,
) -> Result<Vec<T>, Error> {
    let all: Vec<T> = source.collect();
    let Some(wanted) = wanted else {
        return Ok(all);
    };
    let mut out = Vec::new();
    let mut all = all;
    for w in wanted {
        let pos = all.iter().position(|s| name(s) == name(w)).ok_or_else(|| {
            BackupValidation::UnknownIndexOverride {
                index: name(w).clone(),
            }
        })?;
        out.push(all.remove(pos));
    }
    Ok(out)
}

/// The source's attribute definitions that the target's keys still use.
fn used_definitions(
    source: &TableDef,
    gsis: &[GlobalSecondaryIndex],
    lsis: &[LocalSecondaryIndex],
) -> Vec<crate::shapes::AttributeDefinition> {
    let used = |name: &str| {
        source.key.contains(name)
            || gsis
                .iter()
                .any(|g| g.key_schema.iter().any(|k| k.attribute_name == name))
            || lsis
                .iter()
                .any(|l| l.key_schema.iter().any(|k| k.attribute_name == name))
    };
    source
        .attribute_definitions
        .iter()
        .filter(|d| used(&d.attribute_name))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a RestoreDateTime far in the future panicked while its
    /// InvalidRestoreTimeException message was written.
    #[test]
    fn times_past_year_9999_are_written_not_panicked_on() {
        assert_eq!(iso8601(u64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(iso8601(micros(1e300)), "9999-12-31T23:59:59Z");
        assert_eq!(iso8601(1_700_000_000_123_456), "2023-11-14T22:13:20Z");
    }
}
