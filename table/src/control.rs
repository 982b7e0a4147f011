//! The control plane's catalog changes: CreateTable, UpdateTable, DeleteTable, and the
//! worker's "backfill finished". One function per action; each change is validated in
//! full, then applied to a copy of the definition, then persisted in one batch and
//! published in the in-memory catalog under the catalog write lock.
//!
//! Concurrency: every change holds the catalog write lock from reading the old
//! definition until the new one is published, so it never interleaves with an item write
//! (which holds the read lock while it uses a definition; see `crate::write`). Adding a
//! GSI therefore splits writes cleanly: earlier ones are in the backfill's snapshot,
//! later ones queue records for the new index.

use std::sync::Arc;

use crate::catalog::{
    self, check_definitions_used, check_index_limits, gsi_key_def, key_def, projection_def,
    throughput_for, validate_name, validate_table_operation_name, IndexDef, KeyDef, ProjectionDef,
    TableDef, TableSettings, ThroughputChanges,
};
use crate::catalog_record;
use crate::core::{Catalog, Core};
use crate::error::{
    Error, InUseReason, IndexUpdateError, KeySchemaError, ResourceKind, ThroughputError,
    ValidationError,
};
use crate::pitr_retention as retention;
use crate::resource_policies;
use crate::shapes::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, CreateTableInput,
    CreateTableOutput, DeleteGlobalSecondaryIndexAction, DeleteTableInput, DeleteTableOutput,
    GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement,
    LocalSecondaryIndex, OnDemandThroughput, Projection, ProvisionedThroughput, SseSpecification,
    StreamSpecification, TableClass, TableDescription, TableStatus,
    UpdateGlobalSecondaryIndexAction, UpdateTableInput, UpdateTableOutput,
};
use crate::streams;
use crate::tag_records;
use shale_engine::WriteBatch;

/// Most tables one database holds (DynamoDB's default account quota).
pub const MAX_TABLES: usize = 2500;

/// A validated CreateTable request, before ids are allocated.
struct NewTable {
    name: String,
    key: KeyDef,
    attribute_definitions: Vec<AttributeDefinition>,
    billing_mode: BillingMode,
    throughput: Option<ProvisionedThroughput>,
    lsis: Vec<NewIndex>,
    gsis: Vec<NewIndex>,
    stream: Option<StreamSpecification>,
    deletion_protection: bool,
    on_demand_throughput: Option<OnDemandThroughput>,
    table_class: Option<TableClass>,
    /// SSE with a KMS key: the key as given (`None` inside: the AWS managed key).
    sse_kms_key: Option<Option<String>>,
}

/// A validated index, before its id is allocated.
struct NewIndex {
    name: String,
    key: KeyDef,
    projection: ProjectionDef,
    throughput: Option<ProvisionedThroughput>,
    on_demand_throughput: Option<OnDemandThroughput>,
}

impl NewIndex {
    fn with_id(self, id: u32, status: IndexStatus) -> IndexDef {
        IndexDef {
            name: self.name,
            id,
            key: self.key,
            projection: self.projection,
            status,
            throughput: self.throughput,
            on_demand_throughput: self.on_demand_throughput,
            changes: ThroughputChanges::default(),
        }
    }
}

/// Refuses a request to `operation` that set `member`, one Shale does not implement:
/// first, so that no validation speaks of what the member would have explained (a
/// vector index's attribute definitions, a replica's settings).
pub(crate) fn refuse_unimplemented(
    operation: &'static str,
    member: Option<&'static str>,
) -> Result<(), Error> {
    match member {
        Some(parameter) => Err(Error::ParameterNotImplemented {
            operation,
            parameter,
        }),
        None => Ok(()),
    }
}

/// CreateTable: validate → check the name is free → allocate ids → persist.
///
/// # Errors
/// ValidationException for a bad definition, ResourceInUse if the name exists,
/// LimitExceeded over [`MAX_TABLES`] or out of ids, storage failure.
pub(crate) fn create_table(
    core: &Core,
    mut input: CreateTableInput,
) -> Result<CreateTableOutput, Error> {
    refuse_unimplemented("CreateTable", input.unimplemented_member())?;
    let tags = input.tags.take().unwrap_or_default();
    let policy = input.resource_policy.take();
    let new = validate_create(input)?;
    // Checked before any lock, with a placeholder id (the real one is known below).
    tag_records::record_of(0, &tags)?;
    if let Some(policy) = &policy {
        resource_policies::check_document(policy)?;
    }
    let mut cat = core.catalog.write();
    check_name_free(&cat, &new.name)?;
    // After the request's own validation and the name: DynamoDB's quota is the last
    // word on a request that is otherwise fine.
    Quota::of(core).check_new_table(&new)?;
    let mut batch = WriteBatch::new();
    let id_count = 1 + (new.lsis.len() + new.gsis.len()) as u32;
    let ids = allocate_ids(&mut cat, id_count, &mut batch)?;
    let mut def = table_def(new, &ids, core.opts.clock.now_micros());
    streams::on_create(core, &mut def, &mut batch)?;
    if !tags.is_empty() {
        let record = tag_records::record_of(def.id, &tags)?;
        batch.put(
            tag_records::tags_key(&def.name),
            tag_records::encode(&record),
        );
    }
    if let Some(policy) = policy {
        let (key, record) = resource_policies::initial(&def, policy, def.created_micros);
        batch.put(key, record);
    }
    let mut description = commit_def(core, &mut cat, batch, def)?;
    // The table's buckets start now (full or empty, as `CapacityOptions` says), not at
    // its first request, so idle time after creation accrues burst.
    if let Some(created) = cat.tables.get(&description.table_name) {
        core.admission.state(created);
    }
    // DynamoDB answers CreateTable with CREATING; Shale's tables are usable at once, so
    // DescribeTable already says ACTIVE.
    description.table_status = TableStatus::Creating;
    Ok(CreateTableOutput {
        table_description: description,
    })
}

/// Creates the target table of a restore: validated like CreateTable, published CREATING
/// (item calls answer ResourceNotFound until the restore finishes), and persisted in one
/// batch with whatever `also` adds (the restore's durable record).
///
/// # Errors
/// TableAlreadyExists if the name is taken; as [`create_table`] otherwise.
pub(crate) fn create_restore_target(
    core: &Core,
    input: CreateTableInput,
    also: impl FnOnce(&TableDef, &mut WriteBatch),
) -> Result<Arc<TableDef>, Error> {
    let new = validate_create(input)?;
    let mut cat = core.catalog.write();
    if cat.tables.contains_key(&new.name) {
        return Err(Error::TableAlreadyExists {
            table_name: new.name,
        });
    }
    // A restore's throughput overrides (or the source's throughput) are held to the
    // per-table quota as CreateTable's are.
    Quota::of(core).check_new_table(&new)?;
    let mut batch = WriteBatch::new();
    let id_count = 1 + (new.lsis.len() + new.gsis.len()) as u32;
    let ids = allocate_ids(&mut cat, id_count, &mut batch)?;
    let mut def = table_def(new, &ids, core.opts.clock.now_micros());
    def.status = TableStatus::Creating;
    also(&def, &mut batch);
    let published = Arc::new(def.clone());
    commit_def(core, &mut cat, batch, def)?;
    Ok(published)
}

/// Publishes a finished restore's table as ACTIVE.
///
/// # Errors
/// Storage failure.
pub(crate) fn finish_restore(
    core: &Core,
    table: &str,
    also: impl FnOnce(&mut WriteBatch),
) -> Result<(), Error> {
    let mut cat = core.catalog.write();
    let Some(def) = cat.tables.get(table).cloned() else {
        return Ok(());
    };
    let mut def = (*def).clone();
    def.status = TableStatus::Active;
    let mut batch = WriteBatch::new();
    persist_def(&mut batch, &def);
    also(&mut batch);
    core.backend.write(batch)?;
    cat.tables.insert(def.name.clone(), Arc::new(def));
    Ok(())
}

/// Checks a CreateTable request in full (before any lock is taken).
fn validate_create(input: CreateTableInput) -> Result<NewTable, Error> {
    validate_table_operation_name(&input.table_name)?;
    let defs = &input.attribute_definitions;
    let key = key_def(&input.key_schema, defs)?;
    let mode = input.billing_mode.unwrap_or_default();
    let throughput =
        throughput_for(mode, input.provisioned_throughput).map_err(ValidationError::Throughput)?;
    let mut lsis = Vec::new();
    for l in input.local_secondary_indexes.iter().flatten() {
        lsis.push(validate_lsi(&key, l, defs)?);
    }
    let mut gsis = Vec::new();
    for g in input.global_secondary_indexes.iter().flatten() {
        let GlobalSecondaryIndex {
            index_name,
            key_schema,
            projection,
            provisioned_throughput,
            on_demand_throughput,
            // Refused before validation (`CreateTableInput::unimplemented_member`).
            warm_throughput: _,
        } = g;
        validate_name("indexName", index_name)?;
        let mut new = validate_gsi(
            index_name,
            key_schema,
            projection,
            *provisioned_throughput,
            defs,
            mode,
        )?;
        // An empty OnDemandThroughput on a provisioned table passes the check and is
        // not kept: maxima mean something only on demand.
        new.on_demand_throughput = check_on_demand_throughput(
            *on_demand_throughput,
            mode,
            Some(index_name),
            OnCreate(true),
        )?
        .filter(|_| mode == BillingMode::PayPerRequest);
        gsis.push(new);
    }
    check_definitions_used(
        defs,
        std::iter::once(&key)
            .chain(lsis.iter().map(|l| &l.key))
            .chain(gsis.iter().map(|g| &g.key)),
    )?;
    Ok(NewTable {
        name: input.table_name,
        key,
        attribute_definitions: input.attribute_definitions,
        billing_mode: mode,
        throughput,
        lsis,
        gsis,
        stream: input.stream_specification,
        deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
        on_demand_throughput: check_on_demand_throughput(
            input.on_demand_throughput,
            mode,
            None,
            OnCreate(true),
        )?
        .filter(|_| mode == BillingMode::PayPerRequest),
        table_class: input.table_class,
        sse_kms_key: input.sse_specification.and_then(sse_kms_key),
    })
}

/// An LSI shares the table's partition key and has a sort key of its own.
fn validate_lsi(
    table_key: &KeyDef,
    l: &LocalSecondaryIndex,
    defs: &[AttributeDefinition],
) -> Result<NewIndex, Error> {
    validate_name("indexName", &l.index_name)?;
    let ik = key_def(&l.key_schema, defs)?;
    if table_key.range.is_none() {
        return Err(KeySchemaError::LsiOnHashOnlyTable.into());
    }
    if ik.range.is_none() {
        return Err(KeySchemaError::LsiWithoutRange {
            index: l.index_name.clone(),
        }
        .into());
    }
    if ik.hash != table_key.hash {
        return Err(KeySchemaError::LsiHashMismatch {
            index: l.index_name.clone(),
            index_hash: ik.hash.name.clone(),
            table_hash: table_key.hash.name.clone(),
        }
        .into());
    }
    let projection = projection_def(&l.projection).map_err(KeySchemaError::Projection)?;
    Ok(NewIndex {
        name: l.index_name.clone(),
        key: ik,
        projection,
        throughput: None,
        on_demand_throughput: None,
    })
}

/// A GSI's key, projection and throughput (kept only on provisioned tables); its name is
/// checked by the caller.
fn validate_gsi(
    name: &str,
    key_schema: &[KeySchemaElement],
    projection: &Projection,
    throughput: Option<ProvisionedThroughput>,
    defs: &[AttributeDefinition],
    mode: BillingMode,
) -> Result<NewIndex, Error> {
    let key = gsi_key_def(key_schema, defs)?;
    let projection = projection_def(projection).map_err(KeySchemaError::Projection)?;
    let throughput = match (mode, throughput) {
        (BillingMode::Provisioned, _) => {
            throughput_for(mode, throughput).map_err(ValidationError::Throughput)?
        }
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(ValidationError::IndexThroughputOnDemand {
                index: name.to_owned(),
            }
            .into())
        }
        (BillingMode::PayPerRequest, None) => None,
    };
    Ok(NewIndex {
        name: name.to_owned(),
        key,
        projection,
        throughput,
        on_demand_throughput: None,
    })
}

/// The name is unused and the table quota not reached.
fn check_name_free(cat: &Catalog, name: &str) -> Result<(), Error> {
    if cat.tables.contains_key(name) {
        return Err(Error::ResourceInUse {
            table_name: name.to_owned(),
            reason: InUseReason::AlreadyExists,
        });
    }
    if cat.tables.len() >= MAX_TABLES {
        return Err(Error::LimitExceeded {
            what: "tables",
            limit: MAX_TABLES as u64,
        });
    }
    Ok(())
}

/// Allocates `n` fresh ids and adds the counter update to `batch`. Ids are never reused,
/// so a dropped table's leftovers can never be read as a new one's.
fn allocate_ids(cat: &mut Catalog, n: u32, batch: &mut WriteBatch) -> Result<Vec<u32>, Error> {
    let first = cat.next_id;
    let next = first.checked_add(n).ok_or(Error::LimitExceeded {
        what: "table and index ids",
        limit: u64::from(u32::MAX),
    })?;
    cat.next_id = next;
    batch.put(catalog::next_id_key(), catalog_record::encode_next_id(next));
    Ok((first..next).collect())
}

/// The new table's definition: ids in order table, LSIs, GSIs.
fn table_def(new: NewTable, ids: &[u32], now_micros: u64) -> TableDef {
    debug_assert_eq!(ids.len(), 1 + new.lsis.len() + new.gsis.len());
    let table_id = ids[0];
    let mut index_ids = ids[1..].iter().copied();
    let mut with_ids = |indexes: Vec<NewIndex>| -> Vec<IndexDef> {
        indexes
            .into_iter()
            .zip(&mut index_ids)
            .map(|(i, id)| i.with_id(id, IndexStatus::Active))
            .collect()
    };
    let lsis = with_ids(new.lsis);
    let gsis = with_ids(new.gsis);
    TableDef {
        uuid: table_uuid(table_id, now_micros),
        name: new.name,
        id: table_id,
        status: TableStatus::Active,
        created_micros: now_micros,
        key: new.key,
        attribute_definitions: new.attribute_definitions,
        billing_mode: new.billing_mode,
        throughput: new.throughput,
        decreases: 0,
        lsis,
        gsis,
        stream: new.stream,
        deletion_protection: new.deletion_protection,
        ttl_attribute: None,
        on_demand_throughput: new.on_demand_throughput,
        latest_stream_micros: None,
        settings: TableSettings {
            pay_per_request_since_micros: (new.billing_mode == BillingMode::PayPerRequest)
                .then_some(now_micros),
            table_class: new.table_class.map(|c| (c, now_micros)),
            sse_kms_key: new.sse_kms_key,
            ..TableSettings::default()
        },
        admission: Default::default(),
    }
}

/// Adds `def`'s catalog record to `batch`.
pub(crate) fn persist_def(batch: &mut WriteBatch, def: &TableDef) {
    batch.put(
        catalog::table_key(&def.name),
        catalog_record::encode_table(def),
    );
}

/// Checks the index limits, persists `def` with the rest of `batch`, and publishes it in
/// `cat`. Returns its description.
fn commit_def(
    core: &Core,
    cat: &mut Catalog,
    mut batch: WriteBatch,
    def: TableDef,
) -> Result<TableDescription, Error> {
    check_index_limits(&def)?;
    persist_def(&mut batch, &def);
    core.backend.write(batch)?;
    let description = def.describe(&core.opts.region, core.opts.clock.now_micros());
    cat.tables.insert(def.name.clone(), Arc::new(def));
    Ok(description)
}

/// DeleteTable: the definition goes and drop records are left for every id, in one
/// batch; the worker removes the data.
///
/// # Errors
/// ValidationException (name, deletion protection), ResourceNotFound, ResourceInUse
/// when not ACTIVE, storage failure.
pub(crate) fn delete_table(
    core: &Core,
    input: DeleteTableInput,
) -> Result<DeleteTableOutput, Error> {
    validate_table_operation_name(&input.table_name)?;
    let mut cat = core.catalog.write();
    let def = cat
        .tables
        .get(&input.table_name)
        .cloned()
        .ok_or_else(|| Error::named_table_not_found(&input.table_name))?;
    if def.deletion_protection {
        return Err(ValidationError::DeletionProtected.into());
    }
    check_active(&def)?;
    let mut batch = WriteBatch::new();
    // A table with PITR stays restorable for its window after it is deleted.
    retention::on_delete(core, &def, &mut batch)?;
    // Its stream stays readable for 24 hours, as DynamoDB's does.
    streams::on_delete(core, &def, &mut batch)?;
    remove_table(core, &mut cat, &def, batch)?;
    drop(cat);
    let mut description = def.describe(&core.opts.region, core.opts.clock.now_micros());
    description.table_status = TableStatus::Deleting;
    Ok(DeleteTableOutput {
        table_description: description,
    })
}

/// Removes `def` from the catalog `cat` (held for writing): its definition and tags go
/// and drop records are left for every id (the worker removes the data), committed in
/// one batch with whatever the caller put in `batch`.
///
/// # Errors
/// Storage failure (then nothing changed).
pub(crate) fn remove_table(
    core: &Core,
    cat: &mut Catalog,
    def: &TableDef,
    mut batch: WriteBatch,
) -> Result<(), Error> {
    batch.delete(catalog::table_key(&def.name));
    batch.delete(crate::tag_records::tags_key(&def.name));
    batch.delete(crate::resource_policies::policy_key(&def.name));
    batch.delete(crate::capacity_records::capacity_key(&def.name));
    for id in def.all_ids() {
        batch.put(catalog::drop_key(id), Vec::new());
    }
    core.backend.write(batch)?;
    cat.tables.remove(&def.name);
    core.admission.forget(def.id);
    core.signal.notify();
    Ok(())
}

/// UpdateTable: validate → billing/throughput → stream → deletion protection → the GSI
/// action → persist, all on a copy of the definition under the catalog write lock.
///
/// # Errors
/// ResourceNotFound, ResourceInUse when the table is not ACTIVE, ValidationException,
/// LimitExceeded when out of ids, storage failure.
pub(crate) fn update_table(
    core: &Core,
    input: UpdateTableInput,
) -> Result<UpdateTableOutput, Error> {
    refuse_unimplemented("UpdateTable", input.unimplemented_member())?;
    let index_update = validate_update(&input)?;
    let mut cat = core.catalog.write();
    let old = cat
        .tables
        .get(&input.table_name)
        .cloned()
        .ok_or_else(|| Error::named_table_not_found(&input.table_name))?;
    check_active(&old)?;
    let mut def = (*old).clone();
    let mut batch = WriteBatch::new();
    let quota = Quota::of(core);
    if input.billing_mode.is_some() || input.provisioned_throughput.is_some() {
        change_billing(
            &mut def,
            input.billing_mode,
            input.provisioned_throughput,
            core.opts.clock.now_micros(),
        )?;
        if input.provisioned_throughput.is_some() {
            quota.check_provisioned(def.throughput, None)?;
        }
    }
    if let Some(spec) = input.stream_specification {
        streams::apply_specification(core, &mut def, spec, &mut batch)?;
    }
    let now = core.opts.clock.now_micros();
    if let Some(class) = input.table_class {
        def.settings.table_class = Some((class, now));
    }
    if let Some(sse) = input.sse_specification {
        def.settings.sse_kms_key = sse_kms_key(sse);
    }
    set_deletion_protection(&mut def, input.deletion_protection_enabled);
    let on_demand = check_on_demand_throughput(
        input.on_demand_throughput,
        def.billing_mode,
        None,
        OnCreate(false),
    )?;
    quota.check_on_demand(on_demand, None)?;
    set_on_demand_throughput(&mut def, on_demand);
    let mut dropped_index = None;
    if let Some(u) = index_update {
        let new_defs = input.attribute_definitions.as_deref().unwrap_or_default();
        match (u.create, u.update, u.delete) {
            (Some(c), None, None) => {
                create_gsi(&mut cat, &mut def, c, new_defs, &quota, &mut batch)?;
            }
            (None, Some(up), None) => update_gsi_throughput(&mut def, up, &quota, now)?,
            (None, None, Some(del)) => dropped_index = Some(delete_gsi(&mut def, del, &mut batch)?),
            _ => return Err(ValidationError::IndexUpdate(IndexUpdateError::NoAction).into()),
        }
    }
    let needs_work = def.status == TableStatus::Updating || dropped_index.is_some();
    let description = commit_def(core, &mut cat, batch, def)?;
    drop(cat);
    if needs_work {
        core.signal.notify();
    }
    Ok(UpdateTableOutput {
        table_description: description,
    })
}

/// Checks an UpdateTable request's shape: something to change, at most one GSI action.
/// Returns the GSI action.
fn validate_update(input: &UpdateTableInput) -> Result<Option<GlobalSecondaryIndexUpdate>, Error> {
    validate_table_operation_name(&input.table_name)?;
    let index_updates = input
        .global_secondary_index_updates
        .clone()
        .unwrap_or_default();
    if input.billing_mode.is_none()
        && input.provisioned_throughput.is_none()
        && index_updates.is_empty()
        && input.stream_specification.is_none()
        && input.deletion_protection_enabled.is_none()
        && input.on_demand_throughput.is_none()
        && input.table_class.is_none()
        && input.sse_specification.is_none()
    {
        return Err(ValidationError::NothingToUpdate.into());
    }
    if index_updates.len() > 1 {
        return Err(ValidationError::IndexUpdate(IndexUpdateError::MoreThanOne).into());
    }
    Ok(index_updates.into_iter().next())
}

/// A control-plane change needs the table ACTIVE.
fn check_active(def: &TableDef) -> Result<(), Error> {
    if def.status != TableStatus::Active {
        return Err(Error::ResourceInUse {
            table_name: def.name.clone(),
            reason: InUseReason::NotActive {
                status: status_word(def.status),
            },
        });
    }
    Ok(())
}

/// Billing mode and table throughput. Keeping PROVISIONED without new figures keeps the
/// old ones; a decrease is counted; going on-demand clears the GSIs' throughput.
fn change_billing(
    def: &mut TableDef,
    mode: Option<BillingMode>,
    throughput: Option<ProvisionedThroughput>,
    now_micros: u64,
) -> Result<(), Error> {
    let mode = mode.unwrap_or(def.billing_mode);
    // A no-op throughput change is an error in DynamoDB (UpdateTable is not idempotent).
    if let (BillingMode::Provisioned, BillingMode::Provisioned, Some(new), Some(old)) =
        (mode, def.billing_mode, throughput, def.throughput)
    {
        if new == old {
            return Err(ValidationError::Throughput(ThroughputError::Unchanged {
                read: old.read_capacity_units,
                write: old.write_capacity_units,
            })
            .into());
        }
    }
    let t = match (mode, throughput) {
        (BillingMode::Provisioned, None) if def.billing_mode == mode => def.throughput,
        (m, t) => throughput_for(m, t).map_err(ValidationError::Throughput)?,
    };
    if mode == BillingMode::PayPerRequest && def.billing_mode != mode {
        record_pay_per_request_switch(def, now_micros)?;
    }
    if let (Some(new), Some(old)) = (t, def.throughput) {
        let mut changes = ThroughputChanges {
            decreases: def.decreases,
            last_decrease_micros: def.settings.last_decrease_micros,
            last_increase_micros: def.settings.last_increase_micros,
        };
        record_change(&def.name, old, new, &mut changes, now_micros)?;
        def.decreases = changes.decreases;
        def.settings.last_decrease_micros = changes.last_decrease_micros;
        def.settings.last_increase_micros = changes.last_increase_micros;
    }
    def.billing_mode = mode;
    def.throughput = t;
    if mode == BillingMode::PayPerRequest {
        for g in &mut def.gsis {
            g.throughput = None;
        }
    }
    Ok(())
}

/// Decreases a table may make in one UTC day before the hourly rule applies.
const FREE_DECREASES_PER_DAY: i64 = 4;
/// After those, one decrease per this long since the last accepted one.
const DECREASE_INTERVAL_MICROS: u64 = 3_600_000_000;
/// Switches to PAY_PER_REQUEST allowed in any rolling 24 hours.
const PAY_PER_REQUEST_SWITCHES_PER_DAY: usize = 4;
const DAY_MICROS: u64 = 86_400_000_000;

/// Counts a throughput decrease against DynamoDB's budget, as measured against it
/// (ack-api-quirks DDB-TABLE-184, -185 and -326, 2026-10-09): four per UTC day, then one
/// 3600 s after the last accepted decrease (not at the top of the hour); the count
/// resets at 00:00 UTC; a refused decrease moves neither the count nor the time.
///
/// # Errors
/// LimitExceededException with DynamoDB's text naming the next allowed time.
fn record_decrease(
    table_name: &str,
    changes: &mut ThroughputChanges,
    now_micros: u64,
) -> Result<(), Error> {
    let today =
        catalog::decreases_today(changes.decreases, changes.last_decrease_micros, now_micros);
    if today >= FREE_DECREASES_PER_DAY {
        let last = changes.last_decrease_micros.unwrap_or(0);
        let hourly = last.saturating_add(DECREASE_INTERVAL_MICROS);
        if now_micros < hourly {
            return Err(Error::ThroughputDecreaseLimit {
                table_name: table_name.to_owned(),
                decreases_today: today,
                last_decrease_micros: last,
                next_decrease_micros: hourly.min(crate::utc_text::next_utc_midnight(last)),
            });
        }
    }
    changes.decreases = today + 1;
    changes.last_decrease_micros = Some(now_micros);
    Ok(())
}

/// Records a throughput change from `old` to `new` in `changes`: a decrease counts
/// against the daily budget (one call lowering both figures counts once,
/// DDB-TABLE-184), an increase sets the last increase time.
///
/// # Errors
/// As [`record_decrease`].
fn record_change(
    table_name: &str,
    old: ProvisionedThroughput,
    new: ProvisionedThroughput,
    changes: &mut ThroughputChanges,
    now_micros: u64,
) -> Result<(), Error> {
    if new.read_capacity_units < old.read_capacity_units
        || new.write_capacity_units < old.write_capacity_units
    {
        record_decrease(table_name, changes, now_micros)?;
    }
    if new.read_capacity_units > old.read_capacity_units
        || new.write_capacity_units > old.write_capacity_units
    {
        changes.last_increase_micros = Some(now_micros);
    }
    Ok(())
}

/// Counts a switch to PAY_PER_REQUEST against the developer guide's budget: "up to four
/// times in a 24-hour rolling window" (switching back to PROVISIONED is free).
///
/// # Errors
/// LimitExceededException naming when the oldest switch leaves the window.
fn record_pay_per_request_switch(def: &mut TableDef, now_micros: u64) -> Result<(), Error> {
    let switches = &mut def.settings.pay_per_request_switches;
    switches.retain(|&t| t.saturating_add(DAY_MICROS) > now_micros);
    if switches.len() >= PAY_PER_REQUEST_SWITCHES_PER_DAY {
        return Err(Error::PayPerRequestSwitchLimit {
            table_name: def.name.clone(),
            limit: PAY_PER_REQUEST_SWITCHES_PER_DAY,
            last_switch_micros: switches.last().copied().unwrap_or(0),
            next_switch_micros: switches[0].saturating_add(DAY_MICROS),
        });
    }
    switches.push(now_micros);
    def.settings.pay_per_request_since_micros = Some(now_micros);
    Ok(())
}

/// What an SSESpecification leaves on: SSE with a KMS key (`Some`, holding the key id
/// when one was named) when `Enabled` is true; else the AWS-owned key (`None`), which
/// DynamoDB does not describe.
fn sse_kms_key(spec: SseSpecification) -> Option<Option<String>> {
    spec.enabled
        .unwrap_or(false)
        .then_some(spec.kms_master_key_id)
}

/// Whether a check runs for CreateTable (true) or UpdateTable: DynamoDB words some
/// errors differently in each.
#[derive(Debug, Clone, Copy)]
struct OnCreate(bool);

/// OnDemandThroughput may be given only for an on-demand table (`mode`, the billing mode
/// the request leaves the table in), and its maxima must be positive, or -1 to clear one
/// (DynamoDB: 0 and -2 are ValidationException, ack-api-quirks DDB-TABLE-051/-178).
///
/// # Errors
/// ValidationException naming the first member given on a PROVISIONED table, or the
/// first out of range (reads first).
fn check_on_demand_throughput(
    given: Option<OnDemandThroughput>,
    mode: BillingMode,
    index: Option<&str>,
    on_create: OnCreate,
) -> Result<Option<OnDemandThroughput>, Error> {
    let Some(g) = &given else {
        return Ok(None);
    };
    let members = [
        ("MaxReadRequestUnits", g.max_read_request_units),
        ("MaxWriteRequestUnits", g.max_write_request_units),
    ];
    if mode == BillingMode::Provisioned {
        if let Some((member, _)) = members.iter().find(|(_, v)| v.is_some()) {
            return Err(
                ValidationError::Throughput(ThroughputError::OnDemandOnProvisioned {
                    member,
                    index: index.map(str::to_owned),
                    on_create: on_create.0,
                })
                .into(),
            );
        }
    }
    for (member, value) in members {
        if value.is_some_and(|v| v < 1 && v != -1) {
            return Err(
                ValidationError::Throughput(ThroughputError::OnDemandOutOfRange { member }).into(),
            );
        }
    }
    Ok(given)
}

/// The per-table quotas (`CapacityOptions::table_max_read_units` and `_write_units`)
/// and the region their errors name. A GSI has the same quotas as its table.
struct Quota<'a> {
    read: u64,
    write: u64,
    region: &'a str,
}

impl<'a> Quota<'a> {
    fn of(core: &'a Core) -> Quota<'a> {
        let c = &core.opts.capacity;
        Quota {
            read: c.table_max_read_units,
            write: c.table_max_write_units,
            region: &core.opts.region,
        }
    }

    /// A new table's throughput or on-demand maxima, then each GSI's.
    ///
    /// # Errors
    /// As [`Quota::check_provisioned`] and [`Quota::check_on_demand`].
    fn check_new_table(&self, new: &NewTable) -> Result<(), Error> {
        self.check_provisioned(new.throughput, None)?;
        self.check_on_demand(new.on_demand_throughput, None)?;
        for g in &new.gsis {
            self.check_provisioned(g.throughput, Some(&g.name))?;
            self.check_on_demand(g.on_demand_throughput, Some(&g.name))?;
        }
        Ok(())
    }

    /// Provisioned units within the quota, reads first.
    ///
    /// # Errors
    /// LimitExceededException ([`Error::ThroughputAboveMaximum`]).
    fn check_provisioned(
        &self,
        t: Option<ProvisionedThroughput>,
        index: Option<&str>,
    ) -> Result<(), Error> {
        let Some(t) = t else {
            return Ok(());
        };
        for (member, value, maximum) in [
            ("ReadCapacityUnits", t.read_capacity_units, self.read),
            ("WriteCapacityUnits", t.write_capacity_units, self.write),
        ] {
            if u64::try_from(value).is_ok_and(|v| v > maximum) {
                return Err(Error::ThroughputAboveMaximum {
                    member,
                    value,
                    index: index.map(str::to_owned),
                    region: self.region.to_owned(),
                    maximum,
                });
            }
        }
        Ok(())
    }

    /// On-demand maxima within the quota, reads first (-1, no maximum, always is).
    ///
    /// # Errors
    /// LimitExceededException ([`Error::OnDemandAboveMaximum`]).
    fn check_on_demand(
        &self,
        t: Option<OnDemandThroughput>,
        index: Option<&str>,
    ) -> Result<(), Error> {
        let Some(t) = t else {
            return Ok(());
        };
        for (member, quota, value, maximum) in [
            (
                "MaxReadRequestUnits",
                "TableMaxReadCapacityUnits",
                t.max_read_request_units,
                self.read,
            ),
            (
                "MaxWriteRequestUnits",
                "TableMaxWriteCapacityUnits",
                t.max_write_request_units,
                self.write,
            ),
        ] {
            if value.is_some_and(|v| u64::try_from(v).is_ok_and(|v| v > maximum)) {
                return Err(Error::OnDemandAboveMaximum {
                    member,
                    quota,
                    index: index.map(str::to_owned),
                    region: self.region.to_owned(),
                });
            }
        }
        Ok(())
    }
}

/// OnDemandThroughput: each maximum given replaces the old one (`-1` removes it); kept
/// only while the table is on demand.
fn set_on_demand_throughput(def: &mut TableDef, given: Option<OnDemandThroughput>) {
    if def.billing_mode != BillingMode::PayPerRequest {
        def.on_demand_throughput = None;
        for g in &mut def.gsis {
            g.on_demand_throughput = None;
        }
        return;
    }
    merge_on_demand_throughput(&mut def.on_demand_throughput, given);
}

/// Each maximum `given` replaces the old one (`-1` is kept, and reads as none).
fn merge_on_demand_throughput(
    current: &mut Option<OnDemandThroughput>,
    given: Option<OnDemandThroughput>,
) {
    if let Some(g) = given {
        let mut t = current.unwrap_or_default();
        if g.max_read_request_units.is_some() {
            t.max_read_request_units = g.max_read_request_units;
        }
        if g.max_write_request_units.is_some() {
            t.max_write_request_units = g.max_write_request_units;
        }
        *current = Some(t);
    }
}

/// Deletion protection on or off.
fn set_deletion_protection(def: &mut TableDef, enabled: Option<bool>) {
    if let Some(p) = enabled {
        def.deletion_protection = p;
    }
}

/// Adds a GSI in CREATING (the table goes UPDATING until the worker's backfill ends),
/// merging the request's new attribute definitions.
fn create_gsi(
    cat: &mut Catalog,
    def: &mut TableDef,
    c: CreateGlobalSecondaryIndexAction,
    new_defs: &[AttributeDefinition],
    quota: &Quota<'_>,
    batch: &mut WriteBatch,
) -> Result<(), Error> {
    validate_name("indexName", &c.index_name)?;
    if def.index(&c.index_name).is_some() {
        return Err(
            ValidationError::IndexUpdate(IndexUpdateError::AlreadyExists {
                index: c.index_name,
            })
            .into(),
        );
    }
    let mut defs = def.attribute_definitions.clone();
    for d in new_defs {
        match defs.iter().find(|x| x.attribute_name == d.attribute_name) {
            Some(existing) if existing.attribute_type != d.attribute_type => {
                return Err(KeySchemaError::DuplicateDefinition.into())
            }
            Some(_) => {}
            None => defs.push(d.clone()),
        }
    }
    let mut new = validate_gsi(
        &c.index_name,
        &c.key_schema,
        &c.projection,
        c.provisioned_throughput,
        &defs,
        def.billing_mode,
    )?;
    new.on_demand_throughput = check_on_demand_throughput(
        c.on_demand_throughput,
        def.billing_mode,
        Some(&c.index_name),
        OnCreate(false),
    )?
    .filter(|_| def.billing_mode == BillingMode::PayPerRequest);
    quota.check_provisioned(new.throughput, Some(&c.index_name))?;
    quota.check_on_demand(new.on_demand_throughput, Some(&c.index_name))?;
    let id = allocate_ids(cat, 1, batch)?[0];
    def.gsis.push(new.with_id(id, IndexStatus::Creating));
    def.attribute_definitions = defs;
    keep_used_definitions(def);
    def.status = TableStatus::Updating;
    Ok(())
}

/// Changes a GSI's throughput (ignored on on-demand tables).
fn update_gsi_throughput(
    def: &mut TableDef,
    up: UpdateGlobalSecondaryIndexAction,
    quota: &Quota<'_>,
    now_micros: u64,
) -> Result<(), Error> {
    let provisioned = def.billing_mode == BillingMode::Provisioned;
    let table_name = def.name.clone();
    let Some(g) = def.gsis.iter_mut().find(|g| g.name == up.index_name) else {
        return Err(Error::ResourceNotFound {
            kind: ResourceKind::Index,
            name: Some(up.index_name),
        });
    };
    if provisioned {
        check_on_demand_throughput(
            up.on_demand_throughput,
            BillingMode::Provisioned,
            Some(&up.index_name),
            OnCreate(false),
        )?;
        let new = throughput_for(BillingMode::Provisioned, up.provisioned_throughput)
            .map_err(ValidationError::Throughput)?;
        quota.check_provisioned(new, Some(&up.index_name))?;
        if let (Some(new), Some(old)) = (new, g.throughput) {
            // A GSI has a decrease budget of its own (ack-api-quirks DDB-TABLE-152).
            record_change(&table_name, old, new, &mut g.changes, now_micros)?;
        }
        g.throughput = new;
    } else {
        let given = check_on_demand_throughput(
            up.on_demand_throughput,
            BillingMode::PayPerRequest,
            Some(&up.index_name),
            OnCreate(false),
        )?;
        quota.check_on_demand(given, Some(&up.index_name))?;
        merge_on_demand_throughput(&mut g.on_demand_throughput, given);
    }
    Ok(())
}

/// Removes a GSI from the definition and leaves a drop record for its entries. Returns
/// its id.
fn delete_gsi(
    def: &mut TableDef,
    del: DeleteGlobalSecondaryIndexAction,
    batch: &mut WriteBatch,
) -> Result<u32, Error> {
    let Some(pos) = def.gsis.iter().position(|g| g.name == del.index_name) else {
        return Err(Error::ResourceNotFound {
            kind: ResourceKind::Index,
            name: Some(del.index_name),
        });
    };
    let g = def.gsis.remove(pos);
    batch.put(catalog::drop_key(g.id), Vec::new());
    keep_used_definitions(def);
    Ok(g.id)
}

/// Keeps only the attribute definitions some key of the table or its indexes uses.
fn keep_used_definitions(def: &mut TableDef) {
    let TableDef {
        attribute_definitions,
        key,
        gsis,
        lsis,
        ..
    } = def;
    attribute_definitions.retain(|d| {
        key.contains(&d.attribute_name)
            || gsis
                .iter()
                .chain(lsis.iter())
                .any(|i| i.key.contains(&d.attribute_name))
    });
}

/// Marks a GSI ACTIVE (and the table ACTIVE when no index is still CREATING). A table or
/// index dropped meanwhile is left alone.
///
/// # Errors
/// Storage failure.
pub(crate) fn finish_backfill(core: &Core, table: &str, index_id: u32) -> Result<(), Error> {
    let mut cat = core.catalog.write();
    let Some(old) = cat.tables.get(table).cloned() else {
        return Ok(()); // dropped meanwhile
    };
    let mut def = (*old).clone();
    let Some(g) = def.gsis.iter_mut().find(|g| g.id == index_id) else {
        return Ok(());
    };
    debug_assert_eq!(
        g.status,
        IndexStatus::Creating,
        "only a CREATING GSI backfills"
    );
    g.status = IndexStatus::Active;
    if def.gsis.iter().all(|g| g.status == IndexStatus::Active) {
        def.status = TableStatus::Active;
    }
    let mut batch = WriteBatch::new();
    persist_def(&mut batch, &def);
    core.backend.write(batch)?;
    cat.tables.insert(def.name.clone(), Arc::new(def));
    Ok(())
}

/// DynamoDB's verb for a status in ResourceInUse messages.
fn status_word(s: TableStatus) -> &'static str {
    match s {
        TableStatus::Creating => "created",
        TableStatus::Updating => "updated",
        TableStatus::Deleting => "deleted",
        TableStatus::Active => "used",
    }
}

/// A UUID-shaped, deterministic table id (no randomness needed: ids are never reused).
fn table_uuid(id: u32, now_micros: u64) -> String {
    let a = xxhash_rust::xxh3::xxh3_64(
        &[id.to_be_bytes().as_slice(), &now_micros.to_be_bytes()].concat(),
    );
    let b = xxhash_rust::xxh3::xxh3_64(&a.to_be_bytes());
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        a as u16,
        (b >> 48) as u16,
        b & 0xFFFF_FFFF_FFFF
    )
}
