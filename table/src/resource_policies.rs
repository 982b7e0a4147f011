//! PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy on table ARNs.
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
//! Policies on stream ARNs are not built: they are refused as a malformed table ARN.

use serde::{Deserialize, Serialize};
use shale_engine::WriteBatch;

use crate::catalog_record::{decode_json, encode_json};
use crate::core::Core;
use crate::database::Database;
use crate::error::{Error, PolicyProblem, ValidationError};
use crate::shapes::{
    DeleteResourcePolicyInput, DeleteResourcePolicyOutput, GetResourcePolicyInput,
    GetResourcePolicyOutput, PutResourcePolicyInput, PutResourcePolicyOutput,
};
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
        let name = table_of(&self.core, &input.resource_arn)?;
        check_document(&input.policy)?;
        let core = &self.core;
        let cat = core.catalog.write();
        let id = cat
            .tables
            .get(&name)
            .map(|d| d.id)
            .ok_or_else(|| not_found(&input.resource_arn))?;
        let current = stored(core, &name, id)?;
        check_expected(
            &input.resource_arn,
            input.expected_revision_id.as_deref(),
            current.as_ref(),
        )?;
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
            table_id: id,
            policy: input.policy,
            revision_id: revision.to_string(),
        };
        let mut batch = WriteBatch::new();
        batch.put(policy_key(&name), encode_json(&record));
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
        let name = table_of(&self.core, &input.resource_arn)?;
        let cat = self.core.catalog.read();
        let id = cat
            .tables
            .get(&name)
            .map(|d| d.id)
            .ok_or_else(|| not_found(&input.resource_arn))?;
        let record = stored(&self.core, &name, id)?.ok_or_else(|| Error::PolicyNotFound {
            arn: input.resource_arn.clone(),
            expected_revision: None,
            current_revision: None,
        })?;
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
        let name = table_of(&self.core, &input.resource_arn)?;
        let core = &self.core;
        let cat = core.catalog.write();
        let id = cat
            .tables
            .get(&name)
            .map(|d| d.id)
            .ok_or_else(|| not_found(&input.resource_arn))?;
        let current = stored(core, &name, id)?;
        check_expected(
            &input.resource_arn,
            input.expected_revision_id.as_deref(),
            current.as_ref(),
        )?;
        let Some(current) = current else {
            return Err(Error::PolicyNotFound {
                arn: input.resource_arn,
                expected_revision: None,
                current_revision: None,
            });
        };
        let mut batch = WriteBatch::new();
        batch.delete(policy_key(&name));
        core.backend.write(batch)?;
        drop(cat);
        Ok(DeleteResourcePolicyOutput {
            revision_id: current.revision_id,
        })
    }
}

/// A document Shale can store: at most [`POLICY_BYTES_MAX`] bytes, a JSON object.
fn check_document(policy: &str) -> Result<(), Error> {
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

/// The policy stored for the table `name` whose base id is `id` (a record left by an
/// earlier table of that name does not apply).
fn stored(core: &Core, name: &str, id: u32) -> Result<Option<PolicyRecord>, Error> {
    let key = policy_key(name);
    let Some(bytes) = core.backend.get(&key, None)? else {
        return Ok(None);
    };
    let record: PolicyRecord = decode_json(&key, &bytes)?;
    Ok((record.table_id == id).then_some(record))
}
