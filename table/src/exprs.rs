//! The one seam between the table layer and [`crate::expr`]: compiles all expressions of
//! a request together (so placeholder use is validated across them, as DynamoDB does) and
//! evaluates them. The operations never touch the parser's types directly.

use crate::catalog::KeyDef;
use crate::error::{Error, LegacyError, ValidationError};
use crate::expr::{
    self, KeyAttribute, KeySchema, ParsedExpressions, Path, RequestExpressions, SortCondition,
};
use crate::legacy;
use crate::shapes::{
    AttributeNames, AttributeUpdates, AttributeValues, ConditionalOperator, Conditions, Expected,
};
use crate::types::{AttributeValue, Item};

/// The expressions and placeholder maps of one request.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ExprInputs<'a> {
    pub condition: Option<&'a str>,
    pub update: Option<&'a str>,
    pub projection: Option<&'a str>,
    pub filter: Option<&'a str>,
    /// The key condition and the schema (table's or index's) it must fit.
    pub key_condition: Option<(&'a str, &'a KeyDef)>,
    /// Legacy projection: top-level attribute names.
    pub attributes_to_get: Option<&'a [String]>,
    pub names: Option<&'a AttributeNames>,
    pub values: Option<&'a AttributeValues>,
    /// The legacy parameters, translated by `crate::legacy` into the same AST.
    pub legacy: LegacyInputs<'a>,
}

/// The legacy (pre-expression) parameters of one request, other than AttributesToGet.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LegacyInputs<'a> {
    /// `Expected` (a condition on the current item).
    pub expected: Option<&'a Expected>,
    /// `AttributeUpdates` (an update).
    pub attribute_updates: Option<&'a AttributeUpdates>,
    /// `KeyConditions` and the schema (table's or index's) they must fit.
    pub key_conditions: Option<(&'a Conditions, &'a KeyDef)>,
    /// `QueryFilter` and the schema whose key attributes it may not name.
    pub query_filter: Option<(&'a Conditions, &'a KeyDef)>,
    /// `ScanFilter`.
    pub scan_filter: Option<&'a Conditions>,
    /// `ConditionalOperator`.
    pub conditional_operator: Option<ConditionalOperator>,
}

impl LegacyInputs<'_> {
    fn is_empty(&self) -> bool {
        self.expected.is_none()
            && self.attribute_updates.is_none()
            && self.key_conditions.is_none()
            && self.query_filter.is_none()
            && self.scan_filter.is_none()
            && self.conditional_operator.is_none()
    }
}

/// A Query's key condition, resolved against a key schema: every partition-key value in
/// schema order, and the sort conditions from the first sort attribute on (all `Eq` but
/// the last).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyConditionValues {
    pub partition: Vec<AttributeValue>,
    pub sort: Vec<SortCondition>,
}

/// A request's compiled expressions.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    parsed: ParsedExpressions,
    /// ProjectionExpression or AttributesToGet, as paths.
    projection: Option<Vec<Path>>,
    /// The update came from AttributeUpdates: a type mismatch gets the legacy wording.
    legacy_update: bool,
}

/// The UpdateExpression's result.
#[derive(Debug)]
pub(crate) struct Updated {
    pub item: Item,
    /// The paths written or removed (for UPDATED_OLD / UPDATED_NEW).
    pub paths: Vec<Path>,
    /// Their top-level attributes (to refuse key changes).
    pub attributes: Vec<String>,
}

pub(crate) fn schema_of(key: &KeyDef) -> KeySchema<'_> {
    fn attribute(a: &crate::catalog::KeyAttr) -> KeyAttribute<'_> {
        KeyAttribute {
            name: &a.name,
            key_type: a.ty.scalar(),
        }
    }
    KeySchema {
        partition: key.partition_attrs().map(attribute).collect(),
        sort: key.sort_attrs().map(attribute).collect(),
    }
}

/// Compiles and cross-validates a request's expressions.
///
/// # Errors
/// ValidationException for syntax errors, undefined or unused placeholders, reserved
/// words, key conditions that do not fit the schema, and AttributesToGet together with a
/// ProjectionExpression.
pub(crate) fn compile(inputs: ExprInputs<'_>) -> Result<Compiled, Error> {
    let nothing = inputs.condition.is_none()
        && inputs.update.is_none()
        && inputs.projection.is_none()
        && inputs.filter.is_none()
        && inputs.key_condition.is_none()
        && inputs.names.is_none()
        && inputs.values.is_none()
        && inputs.legacy.is_empty();
    if let Some(names) = inputs.attributes_to_get {
        legacy::check_attributes_to_get(names)?;
    }
    if nothing {
        // The hot path of plain GetItem/PutItem: nothing to parse or cross-validate.
        return Ok(Compiled {
            parsed: ParsedExpressions::default(),
            projection: inputs
                .attributes_to_get
                .map(|names| names.iter().map(Path::attribute).collect()),
            legacy_update: false,
        });
    }
    check_not_mixed(&inputs)?;
    let legacy_parsed = translate_legacy(&inputs.legacy)?;
    let request = RequestExpressions {
        condition: inputs.condition,
        filter: inputs.filter,
        key_condition: inputs
            .key_condition
            .map(|(text, key)| (text, schema_of(key))),
        projection: inputs.projection,
        update: inputs.update,
    };
    let mut parsed = expr::parse_request(&request, inputs.names, inputs.values)?;
    check_filter_reads_no_key(&inputs, parsed.filter.as_ref())?;
    // Mixing was refused above, so each part comes from one form only (KeyConditions
    // may go with a FilterExpression, as DynamoDB allows).
    let legacy_update = legacy_parsed.update.is_some();
    parsed.condition = parsed.condition.or(legacy_parsed.condition);
    parsed.filter = parsed.filter.or(legacy_parsed.filter);
    parsed.key_condition = parsed.key_condition.or(legacy_parsed.key_condition);
    parsed.update = parsed.update.or(legacy_parsed.update);
    let projection = match (&parsed.projection, inputs.attributes_to_get) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(names)) => Some(names.iter().map(Path::attribute).collect()),
        (None, None) => None,
    };
    Ok(Compiled {
        parsed,
        projection,
        legacy_update,
    })
}

/// Refuses a Query's FilterExpression (`filter`) that reads a key attribute of the
/// schema queried (the key condition's, expression or legacy).
fn check_filter_reads_no_key(
    inputs: &ExprInputs<'_>,
    filter: Option<&crate::expr::Condition>,
) -> Result<(), ValidationError> {
    let key = inputs
        .key_condition
        .map(|(_, key)| key)
        .or(inputs.legacy.key_conditions.map(|(_, key)| key));
    let (Some(key), Some(filter)) = (key, filter) else {
        return Ok(());
    };
    match filter.find_path(&mut |p| key.contains(p.top_level_name())) {
        Some(p) => Err(ValidationError::FilterOnKey {
            attribute: p.top_level_name().to_owned(),
        }),
        None => Ok(()),
    }
}

/// Refuses legacy and expression parameters in one request, naming both kinds in
/// DynamoDB's order (DynamoDB Local's `validateMixingOldStyleWithExpressions`): a
/// KeyConditions counts only beside a KeyConditionExpression.
fn check_not_mixed(inputs: &ExprInputs<'_>) -> Result<(), ValidationError> {
    let l = &inputs.legacy;
    let legacy: Vec<&'static str> = [
        ("AttributeUpdates", l.attribute_updates.is_some()),
        ("AttributesToGet", inputs.attributes_to_get.is_some()),
        ("Expected", l.expected.is_some()),
        ("QueryFilter", l.query_filter.is_some()),
        ("ScanFilter", l.scan_filter.is_some()),
        ("ConditionalOperator", l.conditional_operator.is_some()),
        (
            "KeyConditions",
            l.key_conditions.is_some() && inputs.key_condition.is_some(),
        ),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect();
    let expression: Vec<&'static str> = [
        ("UpdateExpression", inputs.update.is_some()),
        ("ProjectionExpression", inputs.projection.is_some()),
        ("ConditionExpression", inputs.condition.is_some()),
        ("FilterExpression", inputs.filter.is_some()),
        ("KeyConditionExpression", inputs.key_condition.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect();
    if legacy.is_empty() || expression.is_empty() {
        return Ok(());
    }
    Err(ValidationError::MixedLegacyAndExpression { legacy, expression })
}

/// The legacy parameters as the AST expressions parse into.
fn translate_legacy(l: &LegacyInputs<'_>) -> Result<ParsedExpressions, ValidationError> {
    let mut out = ParsedExpressions::default();
    let filter = l.query_filter.map(|(c, _)| c).or(l.scan_filter);
    if l.expected.is_some() || filter.is_none() {
        legacy::check_conditional_operator(
            l.conditional_operator,
            legacy::Combined::Expected(l.expected),
        )?;
    } else {
        legacy::check_conditional_operator(
            l.conditional_operator,
            legacy::Combined::Filter(filter),
        )?;
    }
    if let Some(e) = l.expected {
        out.condition = legacy::expected(e, l.conditional_operator)?;
    }
    if let Some((conditions, key)) = l.key_conditions {
        out.key_condition = Some(legacy::key_conditions(conditions, key)?);
    }
    if let Some((conditions, key)) = l.query_filter {
        legacy::check_query_filter_keys(conditions, key)?;
    }
    if let Some(f) = filter {
        out.filter = legacy::filter(f, l.conditional_operator)?;
    }
    if let Some(u) = l.attribute_updates {
        out.update = Some(legacy::attribute_updates(u)?);
    }
    Ok(out)
}

impl Compiled {
    /// Expressions that arrive parsed (PartiQL, `crate::partiql`): the same AST, so the
    /// same evaluation as a request's expression strings.
    pub(crate) fn from_parsed(parsed: ParsedExpressions) -> Compiled {
        Compiled {
            projection: parsed.projection.clone(),
            parsed,
            legacy_update: false,
        }
    }

    /// Whether the ConditionExpression (if any) holds for `item` (None = no item).
    pub(crate) fn condition_holds(&self, item: Option<&Item>) -> Result<bool, Error> {
        match &self.parsed.condition {
            None => Ok(true),
            Some(c) => {
                let empty = Item::new();
                Ok(expr::eval_condition(c, item.unwrap_or(&empty))?)
            }
        }
    }

    /// Whether a condition (ConditionExpression or Expected) was given.
    pub(crate) fn has_condition(&self) -> bool {
        self.parsed.condition.is_some()
    }

    /// Whether the FilterExpression (if any) holds.
    pub(crate) fn filter_holds(&self, item: &Item) -> Result<bool, Error> {
        match &self.parsed.filter {
            None => Ok(true),
            Some(c) => Ok(expr::eval_condition(c, item)?),
        }
    }

    /// The parameter the projection came from, if any (DynamoDB names it in errors).
    pub(crate) fn projection_parameter(&self) -> Option<&'static str> {
        match (&self.parsed.projection, &self.projection) {
            (Some(_), _) => Some("ProjectionExpression"),
            (None, Some(_)) => Some("AttributesToGet"),
            (None, None) => None,
        }
    }

    /// The top-level attributes the projection asks for (none without a projection).
    pub(crate) fn projected_attributes(&self) -> impl Iterator<Item = &str> {
        self.projection.iter().flatten().map(|p| p.top_level_name())
    }

    /// Refuses a path that reaches into a key attribute of `def` (`a.b`, `a[0]`, with `a`
    /// a key of the table or of one of its indexes) in the projection, the filter or
    /// the condition, as DynamoDB does: key attributes are scalars.
    pub(crate) fn check_key_paths(
        &self,
        def: &crate::catalog::TableDef,
    ) -> Result<(), ValidationError> {
        let kind_of = |p: &Path| -> Option<&'static str> {
            if p.elements().len() < 2 {
                return None;
            }
            let name = p.top_level_name();
            if def.key.contains(name) {
                Some("Key")
            } else if def
                .gsis
                .iter()
                .chain(&def.lsis)
                .any(|i| i.key.contains(name))
            {
                Some("IndexKey")
            } else {
                None
            }
        };
        let projected = self
            .projection
            .iter()
            .flatten()
            .find(|p| kind_of(p).is_some());
        let read = || {
            [&self.parsed.filter, &self.parsed.condition]
                .into_iter()
                .flatten()
                .find_map(|c| c.find_path(&mut |p| kind_of(p).is_some()))
        };
        match projected.or_else(read) {
            Some(p) => Err(ValidationError::NonScalarKeyAccess {
                kind: kind_of(p).unwrap_or("Key"),
                attribute: p.top_level_name().to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// Applies the projection (if any).
    pub(crate) fn project(&self, item: &Item) -> Item {
        match &self.projection {
            None => item.clone(),
            Some(paths) => expr::project(item, paths),
        }
    }

    /// Applies the projection (if any) to an owned item, without a copy when there is none.
    pub(crate) fn project_owned(&self, item: Item) -> Item {
        match &self.projection {
            None => item,
            Some(paths) => expr::project(&item, paths),
        }
    }

    /// Applies the UpdateExpression (if any) to `base` (the current item, or just the key
    /// for a new one).
    pub(crate) fn apply_update(&self, base: &Item) -> Result<Updated, Error> {
        match &self.parsed.update {
            None => Ok(Updated {
                item: base.clone(),
                paths: Vec::new(),
                attributes: Vec::new(),
            }),
            Some(u) => {
                let out = expr::apply_update(u, Some(base)).map_err(|e| match e {
                    // AttributeUpdates' ADD and DELETE on a stored value of another type
                    // (dynalite test/updateItem.js, recorded against DynamoDB).
                    expr::ExprError::IncorrectDataType { .. } if self.legacy_update => {
                        Error::from(ValidationError::from(LegacyError::UpdateTypeMismatch))
                    }
                    e => Error::from(e),
                })?;
                Ok(Updated {
                    item: out.item,
                    paths: out.updated_paths,
                    attributes: out.updated_attributes.into_iter().collect(),
                })
            }
        }
    }

    /// The key condition (required by Query; its schema was checked at compile time).
    pub(crate) fn key_condition(&self) -> Result<KeyConditionValues, Error> {
        let kc = self
            .parsed
            .key_condition
            .as_ref()
            .ok_or(ValidationError::NoKeyCondition)?;
        // Key values in a condition follow the rules of key values in items: not empty,
        // within the partition (2048 B) and sort (1024 B) key limits.
        let check = |name: &str, v: &crate::types::AttributeValue, role| {
            let ty = crate::types::ScalarType::of(v).ok_or(ValidationError::KeyMismatch)?;
            crate::types::validate_key_value(name, v, ty, role).map_err(Error::from)
        };
        for (name, v) in &kc.partition {
            check(name, v, crate::types::KeyRole::Partition)?;
        }
        for (name, sort) in &kc.sort {
            use crate::expr::SortCondition as S;
            let values = match sort {
                S::Eq(v) | S::Lt(v) | S::Le(v) | S::Gt(v) | S::Ge(v) | S::BeginsWith(v) => {
                    vec![v]
                }
                S::Between(low, high) => vec![low, high],
            };
            for v in values {
                check(name, v, crate::types::KeyRole::Sort)?;
            }
        }
        Ok(KeyConditionValues {
            partition: kc.partition.iter().map(|(_, v)| v.clone()).collect(),
            sort: kc.sort.iter().map(|(_, c)| c.clone()).collect(),
        })
    }
}
