//! TagResource, UntagResource and ListTagsOfResource on table ARNs
//! (`arn:aws:dynamodb:<region>:000000000000:table/<name>`).
//!
//! A table's tags are one catalog record of their own (`crate::tag_records`), holding the
//! table's base id: DeleteTable deletes it in its batch, and a later table of the same
//! name starts untagged. Restores and imports create tables without tags, as DynamoDB's
//! do. Changes are immediate (DynamoDB's are eventually consistent: a ListTagsOfResource
//! right after a TagResource may show the old set there).
//!
//! Checks run in DynamoDB's order (dynalite's `test/tagResource.js`): a missing list, the
//! ARN, an empty list, each tag, the table, then the count after the change.

use std::collections::BTreeMap;

use shale_engine::WriteBatch;

use crate::catalog::{validate_name, ACCOUNT_ID};
use crate::core::Core;
use crate::database::Database;
use crate::error::{Error, ResourceKind, TagValidation, ValidationError};
use crate::shapes::{
    ListTagsOfResourceInput, ListTagsOfResourceOutput, Tag, TagResourceInput, TagResourceOutput,
    UntagResourceInput, UntagResourceOutput,
};
use crate::tag_records::{self as records, TagRecord, TagsRecord};

use crate::tag_records::{validate_key, validate_tag};
pub use crate::tag_records::{TAGS_PER_RESOURCE_MAX, TAG_KEY_CHARS_MAX, TAG_VALUE_CHARS_MAX};

impl Database {
    /// TagResource: adds tags to a table, replacing the value of a key it already has.
    ///
    /// # Errors
    /// ValidationException (a missing or empty list, a malformed ARN, a bad key or value,
    /// the `aws:` prefix, a duplicate key, more than 50 tags after the change),
    /// ResourceNotFoundException, storage failure.
    pub fn tag_resource(&self, input: TagResourceInput) -> Result<TagResourceOutput, Error> {
        require_arn(&input.resource_arn)?;
        let tags = input
            .tags
            .ok_or(ValidationError::Missing { field: "tags" })?;
        let name = table_of(&self.core, &input.resource_arn)?;
        if tags.is_empty() {
            return Err(TagValidation::NoTags.into());
        }
        let mut added = BTreeMap::new();
        for tag in tags {
            let value = validate_tag(&tag)?;
            if added.insert(tag.key.clone(), value).is_some() {
                return Err(TagValidation::DuplicateKey { key: tag.key }.into());
            }
        }
        if added.len() > TAGS_PER_RESOURCE_MAX {
            return Err(TagValidation::TooManyTags.into());
        }
        self.change_tags(&name, &input.resource_arn, |current| {
            current.extend(added);
            if current.len() > TAGS_PER_RESOURCE_MAX {
                return Err(TagValidation::TooManyTags.into());
            }
            Ok(())
        })?;
        Ok(TagResourceOutput {})
    }

    /// UntagResource: removes tags from a table by key; keys it does not have are ignored.
    ///
    /// # Errors
    /// ValidationException (a missing or empty list, a malformed ARN, a bad key, the
    /// `aws:` prefix, more than 50 keys), ResourceNotFoundException, storage failure.
    pub fn untag_resource(&self, input: UntagResourceInput) -> Result<UntagResourceOutput, Error> {
        require_arn(&input.resource_arn)?;
        let keys = input
            .tag_keys
            .ok_or(ValidationError::Missing { field: "tagKeys" })?;
        let name = table_of(&self.core, &input.resource_arn)?;
        if keys.is_empty() {
            return Err(TagValidation::NoTagKeys.into());
        }
        for key in &keys {
            validate_key(key)?;
        }
        if keys.len() > TAGS_PER_RESOURCE_MAX {
            return Err(TagValidation::TooManyTags.into());
        }
        self.change_tags(&name, &input.resource_arn, |current| {
            for key in &keys {
                current.remove(key);
            }
            Ok(())
        })?;
        Ok(UntagResourceOutput {})
    }

    /// ListTagsOfResource: a table's tags, sorted by key, in one page (at most 50 fit;
    /// DynamoDB documents a NextToken but a table's tags never need a second page, so a
    /// token given is ignored and none is returned).
    ///
    /// # Errors
    /// ValidationException for a malformed ARN, ResourceNotFoundException, storage
    /// failure.
    pub fn list_tags_of_resource(
        &self,
        input: ListTagsOfResourceInput,
    ) -> Result<ListTagsOfResourceOutput, Error> {
        let name = table_of(&self.core, &input.resource_arn)?;
        let cat = self.core.catalog.read();
        let id = cat
            .tables
            .get(&name)
            .map(|d| d.id)
            .ok_or_else(|| not_found(&input.resource_arn))?;
        let tags = stored_tags(&self.core, &name, id)?;
        drop(cat);
        Ok(ListTagsOfResourceOutput {
            tags: tags
                .into_iter()
                .map(|(key, value)| Tag {
                    key,
                    value: Some(value),
                })
                .collect(),
            next_token: None,
        })
    }

    /// Reads `name`'s tags, applies `change`, and writes them back (or deletes the record
    /// when none are left), under the catalog write lock so that concurrent changes and
    /// DeleteTable are serialized.
    fn change_tags(
        &self,
        name: &str,
        arn: &str,
        change: impl FnOnce(&mut BTreeMap<String, String>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let core = &self.core;
        let cat = core.catalog.write();
        let id = cat
            .tables
            .get(name)
            .map(|d| d.id)
            .ok_or_else(|| not_found(arn))?;
        let mut tags = stored_tags(core, name, id)?;
        change(&mut tags)?;
        assert!(
            tags.len() <= TAGS_PER_RESOURCE_MAX,
            "tag limit checked above"
        );
        let key = records::tags_key(name);
        let mut batch = WriteBatch::new();
        if tags.is_empty() {
            batch.delete(key);
        } else {
            let record = TagsRecord {
                table_id: id,
                tags: tags
                    .into_iter()
                    .map(|(key, value)| TagRecord { key, value })
                    .collect(),
            };
            let value = records::encode(&record);
            debug_assert_eq!(records::decode(&key, &value).ok().as_ref(), Some(&record));
            batch.put(key, value);
        }
        core.backend.write(batch)?;
        drop(cat);
        Ok(())
    }
}

/// The tags stored for the table `name` whose base id is `id` (a record left by an
/// earlier table of that name does not apply).
fn stored_tags(core: &Core, name: &str, id: u32) -> Result<BTreeMap<String, String>, Error> {
    let key = records::tags_key(name);
    let Some(bytes) = core.backend.get(&key, None)? else {
        return Ok(BTreeMap::new());
    };
    let record = records::decode(&key, &bytes)?;
    if record.table_id != id {
        return Ok(BTreeMap::new());
    }
    let tags: BTreeMap<String, String> =
        record.tags.into_iter().map(|t| (t.key, t.value)).collect();
    // Assert in pairs: what was written within the limit must read back within it.
    if tags.len() > TAGS_PER_RESOURCE_MAX {
        return Err(Error::CorruptCatalog {
            key,
            reason: crate::error::CatalogCorruption::BadPayload,
        });
    }
    Ok(tags)
}

/// The table a tagging operation's ResourceArn names. A table ARN of another account
/// names no table here (ResourceNotFound); anything that is not a table ARN of this
/// region with a valid table name, an index ARN included, is a ValidationException.
pub(crate) fn table_of(core: &Core, arn: &str) -> Result<String, Error> {
    require_arn(arn)?;
    let invalid = || TagValidation::InvalidResourceArn {
        arn: arn.to_owned(),
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", _, "dynamodb", region, account, resource] = parts.as_slice() else {
        return Err(invalid().into());
    };
    if *region != core.opts.region {
        return Err(invalid().into());
    }
    let name = resource
        .strip_prefix("table/")
        .filter(|n| validate_name("tableName", n).is_ok())
        .ok_or_else(invalid)?;
    if *account != ACCOUNT_ID {
        return Err(not_found(arn));
    }
    Ok(name.to_owned())
}

/// A ResourceArn at all: DynamoDB refuses a request without one before anything else.
fn require_arn(arn: &str) -> Result<(), Error> {
    if arn.is_empty() {
        return Err(TagValidation::NoResourceArn.into());
    }
    Ok(())
}

pub(crate) fn not_found(arn: &str) -> Error {
    Error::ResourceNotFound {
        kind: ResourceKind::TaggedResource,
        name: Some(arn.to_owned()),
    }
}
