//! `ExpressionAttributeNames` / `ExpressionAttributeValues`: resolution while parsing, and
//! the request-wide checks (undefined, unused, malformed keys, invalid values).

use std::collections::{BTreeMap, BTreeSet};

use super::error::{ExprError, ExprKind, MAX_LISTED_KEYS};
use crate::types::{validate_value, AttributeValue};

const NAMES_PARAMETER: &str = "ExpressionAttributeNames";
const VALUES_PARAMETER: &str = "ExpressionAttributeValues";

/// The two placeholder maps of one request, and which entries its expressions used.
///
/// Parse every expression of the request with the same `Placeholders`, then call
/// [`Placeholders::finish`]: DynamoDB rejects entries that no expression uses.
#[derive(Debug)]
pub struct Placeholders<'a> {
    names: Option<&'a BTreeMap<String, String>>,
    values: Option<&'a BTreeMap<String, AttributeValue>>,
    used_names: BTreeSet<&'a str>,
    used_values: BTreeSet<&'a str>,
}

impl<'a> Placeholders<'a> {
    /// Checks the maps' own shape: not empty when given, keys are `#word` / `:word`, and
    /// values are valid attribute values.
    ///
    /// # Errors
    /// [`ExprError::EmptyPlaceholderMap`], [`ExprError::InvalidPlaceholderKey`] or
    /// [`ExprError::InvalidPlaceholderValue`].
    pub fn new(
        names: Option<&'a BTreeMap<String, String>>,
        values: Option<&'a BTreeMap<String, AttributeValue>>,
    ) -> Result<Placeholders<'a>, ExprError> {
        if let Some(names) = names {
            check_keys(names.keys(), b'#', NAMES_PARAMETER)?;
        }
        if let Some(values) = values {
            check_keys(values.keys(), b':', VALUES_PARAMETER)?;
            for (key, value) in values {
                validate_value(value).map_err(|source| ExprError::InvalidPlaceholderValue {
                    key: key.clone(),
                    source,
                })?;
            }
        }
        Ok(Placeholders {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        })
    }

    /// No placeholder maps at all.
    #[must_use]
    pub fn none() -> Placeholders<'static> {
        Placeholders {
            names: None,
            values: None,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// Resolves `#name` to the attribute name and marks it used.
    pub(crate) fn name(&mut self, placeholder: &str, kind: ExprKind) -> Result<String, ExprError> {
        let entry = self
            .names
            .and_then(|names| names.get_key_value(placeholder));
        let Some((key, name)) = entry else {
            return Err(ExprError::UndefinedName {
                kind,
                name: placeholder.to_string(),
            });
        };
        self.used_names.insert(key.as_str());
        Ok(name.clone())
    }

    /// Resolves `:value` to its value and marks it used.
    pub(crate) fn value(
        &mut self,
        placeholder: &str,
        kind: ExprKind,
    ) -> Result<AttributeValue, ExprError> {
        let entry = self
            .values
            .and_then(|values| values.get_key_value(placeholder));
        let Some((key, value)) = entry else {
            return Err(ExprError::UndefinedValue {
                kind,
                value: placeholder.to_string(),
            });
        };
        self.used_values.insert(key.as_str());
        Ok(value.clone())
    }

    /// The request-wide check after every expression was parsed: each map entry was used.
    /// `any_expression` says whether the request had an expression at all.
    ///
    /// # Errors
    /// [`ExprError::PlaceholdersWithoutExpressions`], [`ExprError::UnusedNames`] or
    /// [`ExprError::UnusedValues`].
    pub fn finish(self, any_expression: bool) -> Result<(), ExprError> {
        if !any_expression {
            if self.names.is_some() {
                return Err(ExprError::PlaceholdersWithoutExpressions {
                    parameter: NAMES_PARAMETER,
                });
            }
            if self.values.is_some() {
                return Err(ExprError::PlaceholdersWithoutExpressions {
                    parameter: VALUES_PARAMETER,
                });
            }
        }
        let (names, more) = unused(self.names, &self.used_names);
        if !names.is_empty() {
            return Err(ExprError::UnusedNames { names, more });
        }
        let (values, more) = unused(self.values, &self.used_values);
        if !values.is_empty() {
            return Err(ExprError::UnusedValues { values, more });
        }
        Ok(())
    }
}

/// The keys of `map` not in `used`, sorted: the first [`MAX_LISTED_KEYS`] of them and how
/// many more there are. A request may carry up to 2 MB of placeholders (100,000 unused
/// ones made an 889 KB error message), so the message lists a bounded number.
fn unused<V>(map: Option<&BTreeMap<String, V>>, used: &BTreeSet<&str>) -> (Vec<String>, usize) {
    let mut listed = Vec::new();
    let mut more = 0;
    for key in map.into_iter().flat_map(BTreeMap::keys) {
        if used.contains(key.as_str()) {
            continue;
        }
        if listed.len() < MAX_LISTED_KEYS {
            listed.push(key.clone());
        } else {
            more += 1;
        }
    }
    (listed, more)
}

fn check_keys<'k>(
    keys: impl ExactSizeIterator<Item = &'k String>,
    sigil: u8,
    parameter: &'static str,
) -> Result<(), ExprError> {
    if keys.len() == 0 {
        return Err(ExprError::EmptyPlaceholderMap { parameter });
    }
    for key in keys {
        let bytes = key.as_bytes();
        let valid = bytes.len() > 1
            && bytes[0] == sigil
            && bytes[1..]
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(ExprError::InvalidPlaceholderKey {
                parameter,
                key: key.chars().take(64).collect(),
            });
        }
    }
    Ok(())
}
