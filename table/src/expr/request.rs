//! All expressions of one request, parsed and validated together, as DynamoDB does:
//! placeholders must be defined where used and used somewhere in the request.

use std::collections::BTreeMap;

use super::ast::{Condition, Projection, UpdateExpr};
use super::error::{ExprError, ExprKind};
use super::key_condition::{parse_key_condition, KeyCondition, KeySchema};
use super::parser::{parse_condition, parse_projection, parse_update};
use super::placeholders::Placeholders;
use crate::types::AttributeValue;

/// The expression parameters of one request; `None` for those it does not have.
#[derive(Debug, Clone, Default)]
pub struct RequestExpressions<'r> {
    /// `ConditionExpression`.
    pub condition: Option<&'r str>,
    /// `FilterExpression`.
    pub filter: Option<&'r str>,
    /// `KeyConditionExpression` with the schema of the table or index queried.
    pub key_condition: Option<(&'r str, KeySchema<'r>)>,
    /// `ProjectionExpression`.
    pub projection: Option<&'r str>,
    /// `UpdateExpression`.
    pub update: Option<&'r str>,
}

/// The parsed expressions of one request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedExpressions {
    /// The parsed `ConditionExpression`.
    pub condition: Option<Condition>,
    /// The parsed `FilterExpression`.
    pub filter: Option<Condition>,
    /// The parsed `KeyConditionExpression`.
    pub key_condition: Option<KeyCondition>,
    /// The parsed `ProjectionExpression`.
    pub projection: Option<Projection>,
    /// The parsed `UpdateExpression`.
    pub update: Option<UpdateExpr>,
}

/// Parses every expression of a request with the request's placeholder maps, then checks
/// that each placeholder defined was used by some expression.
///
/// # Errors
/// The first [`ExprError`] in the order: map shape, KeyCondition, Filter, Projection,
/// Update, Condition, then unused placeholders.
pub fn parse_request(
    expressions: &RequestExpressions<'_>,
    names: Option<&BTreeMap<String, String>>,
    values: Option<&BTreeMap<String, AttributeValue>>,
) -> Result<ParsedExpressions, ExprError> {
    let mut placeholders = Placeholders::new(names, values)?;
    let mut parsed = ParsedExpressions::default();
    if let Some((text, schema)) = &expressions.key_condition {
        parsed.key_condition = Some(parse_key_condition(text, schema, &mut placeholders)?);
    }
    if let Some(text) = expressions.filter {
        parsed.filter = Some(parse_condition(text, ExprKind::Filter, &mut placeholders)?);
    }
    if let Some(text) = expressions.projection {
        parsed.projection = Some(parse_projection(text, &mut placeholders)?);
    }
    if let Some(text) = expressions.update {
        parsed.update = Some(parse_update(text, &mut placeholders)?);
    }
    if let Some(text) = expressions.condition {
        parsed.condition = Some(parse_condition(
            text,
            ExprKind::Condition,
            &mut placeholders,
        )?);
    }
    let any_expression = expressions.condition.is_some()
        || expressions.filter.is_some()
        || expressions.key_condition.is_some()
        || expressions.projection.is_some()
        || expressions.update.is_some();
    placeholders.finish(any_expression)?;
    Ok(parsed)
}
