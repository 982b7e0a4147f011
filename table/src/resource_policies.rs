//! PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy on table and stream ARNs.
//!
//! Shale stores a table's resource-based policy and hands it back; it does not evaluate
//! policies (it checks no signatures either, see `docs/server.md`). A policy is one
//! catalog record of its own (the catalog's envelope, `docs/format/catalog.md`, tag
//! `'Q'`) holding the table's base id: DeleteTable deletes it in its batch, and a later
//! table of the same name starts without one, as with tags.
//!
//! Revisions follow the API reference: putting the same document again keeps its
//! revision (PutResourcePolicy is idempotent); `ExpectedRevisionId` must name the current
//! revision, or `NO_POLICY` when there is none, else PolicyNotFoundException. A revision
//! is the time of the change in microseconds, as a string (DynamoDB's are numeric
//! strings too), and always later than the revision it replaces.
//! A stream's policy is a record of its own, keyed by the table and the stream's creation
//! time, and goes when the stream's record is purged (24 hours after it is disabled).

use serde::{Deserialize, Serialize};
use shale_engine::WriteBatch;

use crate::catalog::TableDef;
use crate::catalog_record::{decode_json, encode_json};
use crate::core::{Catalog, Core};
use crate::database::Database;
use crate::error::{Error, PolicyProblem, ResourceKind, ValidationError};
use crate::shapes::{
    DeleteResourcePolicyInput, DeleteResourcePolicyOutput, GetResourcePolicyInput,
    GetResourcePolicyOutput, PutResourcePolicyInput, PutResourcePolicyOutput,
};
use crate::streams::ids::parse_stream_arn;
use crate::streams::registry;
use crate::tags::{not_found, table_of};

const POLICY_TAG: u8 = b'Q';

/// The largest policy document, in bytes, white space counted (the API reference's
/// "20 KB").
pub const POLICY_BYTES_MAX: usize = 20 * 1024;

/// `ExpectedRevisionId` meaning "only if the resource has no policy".
pub const NO_POLICY: &str = "NO_POLICY";

/// The key of `table`'s policy record.
pub(crate) fn policy_key(table: &str) -> Vec<u8> {
    crate::catalog::record_key(POLICY_TAG, table)
}

/// The key of the policy record of `table`'s stream created at `created_micros`.
pub(crate) fn stream_policy_key(table: &str, created_micros: u64) -> Vec<u8> {
    policy_key(&format!("{table}/stream/{created_micros:020}"))
}

/// What a policy operation's ResourceArn names, and where its policy is kept.
struct Target {
    key: Vec<u8>,
    /// The table's base id, for a table's policy (a stream's key is its own identity).
    table_id: Option<u32>,
}

/// The table or stream `arn` names.
///
/// # Errors
/// ValidationException for a malformed ARN, ResourceNotFoundException for a table or
/// stream that is not there.
fn target_of(core: &Core, cat: &Catalog, arn: &str) -> Result<Target, Error> {
    if arn.contains("/stream/") {
        let (table, created) = parse_stream_arn(arn)?;
        let live = registry::load(core, &table, created)?
            .filter(|m| !m.expired(core.opts.clock.now_micros()));
        if live.is_none() {
            return Err(Error::ResourceNotFound {
                kind: ResourceKind::Stream,
                name: Some(arn.to_owned()),
            });
        }
        return Ok(Target {
            key: stream_policy_key(&table, created),
            table_id: None,
        });
    }
    let name = table_of(core, arn)?;
    let id = cat
        .tables
        .get(&name)
        .map(|d| d.id)
        .ok_or_else(|| not_found(arn))?;
    Ok(Target {
        key: policy_key(&name),
        table_id: Some(id),
    })
}

/// A table's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyRecord {
    /// The base id of the table it belongs to.
    #[serde(rename = "table_id")]
    table_id: u32,
    /// The document, as put.
    #[serde(rename = "policy")]
    policy: String,
    /// Its revision.
    #[serde(rename = "revision_id")]
    revision_id: String,
}

impl Database {
    /// PutResourcePolicy: attaches `policy` to a table, or replaces its policy.
    ///
    /// # Errors
    /// ValidationException (a malformed ARN, a document over 20 KB or not a JSON
    /// object), ResourceNotFoundException, PolicyNotFoundException (the expected revision
    /// is not the current one), storage failure.
    pub fn put_resource_policy(
        &self,
        input: PutResourcePolicyInput,
    ) -> Result<PutResourcePolicyOutput, Error> {
        let core = &self.core;
        let cat = core.catalog.write();
        let (target, current) = changing(
            core,
            &cat,
            &input.resource_arn,
            input.expected_revision_id.as_deref(),
        )?;
        check_document(&input.policy)?;
        if let Some(c) = current.as_ref().filter(|c| c.policy == input.policy) {
            return Ok(PutResourcePolicyOutput {
                revision_id: c.revision_id.clone(),
            });
        }
        // Later than the revision it replaces, even on a clock that has not moved.
        let previous = current.and_then(|c| c.revision_id.parse::<u64>().ok());
        let now = core.opts.clock.now_micros();
        let revision = previous.map_or(now, |p| now.max(p.saturating_add(1)));
        let record = PolicyRecord {
            table_id: target.table_id.unwrap_or(0),
            policy: input.policy,
            revision_id: revision.to_string(),
        };
        let mut batch = WriteBatch::new();
        batch.put(target.key, encode_json(&record));
        core.backend.write(batch)?;
        drop(cat);
        Ok(PutResourcePolicyOutput {
            revision_id: record.revision_id,
        })
    }

    /// GetResourcePolicy: a table's policy and its revision.
    ///
    /// # Errors
    /// ValidationException (a malformed ARN), ResourceNotFoundException,
    /// PolicyNotFoundException, storage failure.
    pub fn get_resource_policy(
        &self,
        input: GetResourcePolicyInput,
    ) -> Result<GetResourcePolicyOutput, Error> {
        let cat = self.core.catalog.read();
        let target = target_of(&self.core, &cat, &input.resource_arn)?;
        let record = stored(&self.core, &target)?.ok_or_else(|| no_policy(&input.resource_arn))?;
        drop(cat);
        Ok(GetResourcePolicyOutput {
            policy: record.policy,
            revision_id: record.revision_id,
        })
    }

    /// DeleteResourcePolicy: removes a table's policy.
    ///
    /// # Errors
    /// ValidationException (a malformed ARN), ResourceNotFoundException,
    /// PolicyNotFoundException (no policy, or not the expected revision), storage failure.
    pub fn delete_resource_policy(
        &self,
        input: DeleteResourcePolicyInput,
    ) -> Result<DeleteResourcePolicyOutput, Error> {
        let core = &self.core;
        let cat = core.catalog.write();
        let (target, current) = changing(
            core,
            &cat,
            &input.resource_arn,
            input.expected_revision_id.as_deref(),
        )?;
        let Some(current) = current else {
            return Err(no_policy(&input.resource_arn));
        };
        let mut batch = WriteBatch::new();
        batch.delete(target.key);
        core.backend.write(batch)?;
        drop(cat);
        Ok(DeleteResourcePolicyOutput {
            revision_id: current.revision_id,
        })
    }
}

/// PolicyNotFoundException for a resource without a policy.
fn no_policy(arn: &str) -> Error {
    Error::PolicyNotFound {
        arn: arn.to_owned(),
        expected_revision: None,
        current_revision: None,
    }
}

/// The key and record of a new table's policy (CreateTable's `ResourcePolicy`), whose
/// revision is the table's creation time. `policy` passed [`check_document`].
pub(crate) fn initial(table: &TableDef, policy: String, now_micros: u64) -> (Vec<u8>, Vec<u8>) {
    let record = PolicyRecord {
        table_id: table.id,
        policy,
        revision_id: now_micros.to_string(),
    };
    (policy_key(&table.name), encode_json(&record))
}

/// A document Shale can store: at most [`POLICY_BYTES_MAX`] bytes, a JSON object.
pub(crate) fn check_document(policy: &str) -> Result<(), Error> {
    if policy.len() > POLICY_BYTES_MAX {
        return Err(ValidationError::PolicyDocument {
            problem: PolicyProblem::TooLarge {
                bytes: policy.len(),
            },
        }
        .into());
    }
    // Bounded by the size check above, so parsing cannot run long or deep.
    match serde_json::from_str::<serde_json::Value>(policy) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(ValidationError::PolicyDocument {
            problem: PolicyProblem::NotAJsonObject,
        }
        .into()),
    }
}

/// What a change to `arn`'s policy starts from, under the catalog lock `cat`: where the
/// policy is kept and the current one, once `expected` (if given) matches it.
///
/// # Errors
/// As [`target_of`]; PolicyNotFoundException for a revision that does not match.
fn changing(
    core: &Core,
    cat: &Catalog,
    arn: &str,
    expected: Option<&str>,
) -> Result<(Target, Option<PolicyRecord>), Error> {
    let target = target_of(core, cat, arn)?;
    let current = stored(core, &target)?;
    check_expected(arn, expected, current.as_ref())?;
    Ok((target, current))
}

/// `expected` (if given) against the current policy: its revision, or [`NO_POLICY`] for
/// none.
fn check_expected(
    arn: &str,
    expected: Option<&str>,
    current: Option<&PolicyRecord>,
) -> Result<(), Error> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let matches = match current {
        None => expected == NO_POLICY,
        Some(c) => c.revision_id == expected,
    };
    if matches {
        return Ok(());
    }
    Err(Error::PolicyNotFound {
        arn: arn.to_owned(),
        expected_revision: Some(expected.to_owned()),
        current_revision: current.map(|c| c.revision_id.clone()),
    })
}

/// The policy stored for `target` (for a table, a record left by an earlier table of that
/// name does not apply).
fn stored(core: &Core, target: &Target) -> Result<Option<PolicyRecord>, Error> {
    let Some(bytes) = core.backend.get(&target.key, None)? else {
        return Ok(None);
    };
    let record: PolicyRecord = decode_json(&target.key, &bytes)?;
    Ok(target
        .table_id
        .is_none_or(|id| record.table_id == id)
        .then_some(record))
}
