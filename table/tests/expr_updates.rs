//! Update expressions: every action (SET with arithmetic and functions, REMOVE, ADD,
//! DELETE) and every documented error.

use std::collections::BTreeMap;

use shale_table::expr::{apply_update, parse_update, ExprError, Placeholders, UpdateOutcome};
use shale_table::types::{AttributeValue, Item};

fn item(json: &str) -> Item {
    serde_json::from_str(json).unwrap()
}

fn values() -> BTreeMap<String, AttributeValue> {
    serde_json::from_str(
        r#"{
            ":one": {"N": "1"}, ":five": {"N": "5"}, ":s": {"S": "x"}, ":l": {"L": [{"N": "9"}]},
            ":zero": {"N": "0"}, ":ss": {"SS": ["b", "c"]}, ":ss_a": {"SS": ["a"]}, ":ns": {"NS": ["2"]},
            ":big": {"N": "9.9999999999999999999999999999999999999E+125"}, ":m": {"M": {"k": {"S": "v"}}}
        }"#,
    )
    .unwrap()
}

fn update(text: &str, old: Option<&Item>) -> Result<UpdateOutcome, ExprError> {
    let names = BTreeMap::from([("#st".to_string(), "status".to_string())]);
    let values = values();
    let mut placeholders = Placeholders::new(Some(&names), Some(&values)).unwrap();
    let parsed = parse_update(text, &mut placeholders)?;
    apply_update(&parsed, old)
}

fn updated(text: &str, old: &str) -> Item {
    let old = item(old);
    update(text, Some(&old))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .item
}

#[test]
fn set_top_level_nested_and_list_elements() {
    assert_eq!(
        updated("SET a = :one, #st = :s", "{}"),
        item(r#"{"a": {"N": "1"}, "status": {"S": "x"}}"#)
    );
    assert_eq!(
        updated(
            "SET m.k = :s, l[0] = :one",
            r#"{"m": {"M": {}}, "l": {"L": [{"N": "7"}, {"N": "8"}]}}"#
        ),
        item(r#"{"m": {"M": {"k": {"S": "x"}}}, "l": {"L": [{"N": "1"}, {"N": "8"}]}}"#)
    );
    // An index past the end appends.
    assert_eq!(
        updated("SET l[10] = :one", r#"{"l": {"L": [{"N": "7"}]}}"#),
        item(r#"{"l": {"L": [{"N": "7"}, {"N": "1"}]}}"#)
    );
}

#[test]
fn set_arithmetic_and_functions_read_the_old_item() {
    assert_eq!(
        updated("SET a = a + :five, b = a - :one", r#"{"a": {"N": "10"}}"#),
        item(r#"{"a": {"N": "15"}, "b": {"N": "9"}}"#)
    );
    assert_eq!(
        updated("SET c = if_not_exists(c, :zero) + :one", "{}"),
        item(r#"{"c": {"N": "1"}}"#)
    );
    assert_eq!(
        updated("SET c = if_not_exists(c, :zero)", r#"{"c": {"N": "3"}}"#),
        item(r#"{"c": {"N": "3"}}"#)
    );
    assert_eq!(
        updated(
            "SET l = list_append(l, :l), k = list_append(:l, l)",
            r#"{"l": {"L": [{"N": "1"}]}}"#
        ),
        item(r#"{"l": {"L": [{"N": "1"}, {"N": "9"}]}, "k": {"L": [{"N": "9"}, {"N": "1"}]}}"#)
    );
    assert_eq!(
        updated("SET l = list_append(if_not_exists(l, :l), :l)", "{}"),
        item(r#"{"l": {"L": [{"N": "9"}, {"N": "9"}]}}"#)
    );
}

#[test]
fn remove_attributes_and_list_elements_shift() {
    assert_eq!(
        updated("REMOVE a, absent", r#"{"a": {"N": "1"}, "b": {"N": "2"}}"#),
        item(r#"{"b": {"N": "2"}}"#)
    );
    // Indexes refer to the original list, even with several removals.
    assert_eq!(
        updated(
            "REMOVE l[1], l[3], l[9]",
            r#"{"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}, {"N": "4"}]}}"#
        ),
        item(r#"{"l": {"L": [{"N": "0"}, {"N": "2"}, {"N": "4"}]}}"#)
    );
    assert_eq!(
        updated("REMOVE m.k", r#"{"m": {"M": {"k": {"N": "1"}}}}"#),
        item(r#"{"m": {"M": {}}}"#)
    );
}

#[test]
fn add_numbers_and_sets() {
    assert_eq!(
        updated("ADD n :five", r#"{"n": {"N": "1"}}"#),
        item(r#"{"n": {"N": "6"}}"#)
    );
    assert_eq!(
        updated("ADD n :five", "{}"),
        item(r#"{"n": {"N": "5"}}"#),
        "ADD creates a absent attribute"
    );
    assert_eq!(
        updated("ADD s :ss", r#"{"s": {"SS": ["a", "b"]}}"#),
        item(r#"{"s": {"SS": ["a", "b", "c"]}}"#)
    );
    assert_eq!(updated("ADD s :ns", "{}"), item(r#"{"s": {"NS": ["2"]}}"#));
}

#[test]
fn delete_from_sets() {
    assert_eq!(
        updated("DELETE s :ss", r#"{"s": {"SS": ["a", "b", "c"]}}"#),
        item(r#"{"s": {"SS": ["a"]}}"#)
    );
    assert_eq!(
        updated("DELETE s :ss_a", r#"{"s": {"SS": ["a"]}}"#),
        item("{}"),
        "an emptied set is removed"
    );
    assert_eq!(
        updated("DELETE s :ss", "{}"),
        item("{}"),
        "deleting from a absent set is a no-op"
    );
}

#[test]
fn all_clauses_together_in_any_order() {
    let new = updated(
        "REMOVE gone ADD n :one DELETE s :ss_a SET a = :s",
        r#"{"gone": {"N": "1"}, "n": {"N": "1"}, "s": {"SS": ["a", "z"]}}"#,
    );
    assert_eq!(
        new,
        item(r#"{"a": {"S": "x"}, "n": {"N": "2"}, "s": {"SS": ["z"]}}"#)
    );
    let outcome = update(
        "SET a = :s, m.k = :one REMOVE gone",
        Some(&item(r#"{"m": {"M": {}}}"#)),
    )
    .unwrap();
    let names: Vec<&str> = outcome
        .updated_attributes
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["a", "gone", "m"]);
    assert_eq!(outcome.updated_paths.len(), 3);
}

#[test]
fn overlapping_or_conflicting_paths_are_rejected() {
    let error = update("SET a = :one, a.b = :one", None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert!(matches!(
        update("SET a = :one REMOVE a", None),
        Err(ExprError::PathsOverlap { .. })
    ));
    assert!(matches!(
        update("SET a[1] = :one, a.b = :one", None),
        Err(ExprError::PathsConflict { .. })
    ));
    assert!(update(
        "SET a[1] = :one, a[2] = :one",
        Some(&item(r#"{"a": {"L": []}}"#))
    )
    .is_ok());
}

#[test]
fn clauses_at_most_once() {
    let error = update("SET a = :one SET b = :one", None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"
    );
}

#[test]
fn type_errors() {
    let old = item(r#"{"s": {"S": "x"}, "l": {"L": []}, "n": {"N": "1"}, "ss": {"SS": ["a"]}}"#);
    let incorrect = "An operand in the update expression has an incorrect data type";
    for text in [
        "SET a = s + :one",
        "SET a = list_append(n, :l)",
        "ADD s :one",
        "ADD ss :ns",
        "DELETE n :ss",
        "ADD l :one",
    ] {
        let error = update(text, Some(&old)).unwrap_err();
        assert_eq!(error.to_string(), incorrect, "{text}");
    }
    // Constants are checked while parsing.
    assert!(matches!(
        update("SET a = :s + :one", None),
        Err(ExprError::IncorrectOperandType { operator: "+", .. })
    ));
    assert!(matches!(
        update("ADD a :s", None),
        Err(ExprError::IncorrectOperandType {
            operator: "ADD",
            ..
        })
    ));
    assert!(matches!(
        update("DELETE a :one", None),
        Err(ExprError::IncorrectOperandType {
            operator: "DELETE",
            ..
        })
    ));
    assert!(matches!(
        update("SET a = list_append(a, :s)", None),
        Err(ExprError::IncorrectOperandType { .. })
    ));
}

#[test]
fn missing_operands_and_invalid_paths() {
    let error = update("SET a = b + :one", Some(&item("{}"))).unwrap_err();
    assert_eq!(
        error.to_string(),
        "The provided expression refers to an attribute that does not exist in the item"
    );
    let error = update("SET m.k = :one", Some(&item("{}"))).unwrap_err();
    assert_eq!(
        error.to_string(),
        "The document path provided in the update expression is invalid for update"
    );
    assert!(matches!(
        update("SET s.k = :one", Some(&item(r#"{"s": {"S": "x"}}"#))),
        Err(ExprError::InvalidUpdatePath { .. })
    ));
    assert!(matches!(
        update("REMOVE m.k", Some(&item("{}"))),
        Err(ExprError::InvalidUpdatePath { .. })
    ));
}

#[test]
fn number_overflow_is_reported() {
    let error = update("SET a = :big + :big", None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
    assert!(matches!(
        update("ADD n :big", Some(&item(r#"{"n": {"N": "9E125"}}"#))),
        Err(ExprError::NumberOutOfRange { .. })
    ));
}

#[test]
fn grammar_errors() {
    for text in [
        "SET",
        "SET a",
        "SET a =",
        "SET a = :one,",
        "UPSERT a = :one",
        "REMOVE",
        "ADD a",
        "SET a = if_not_exists(:one, :one)",
        "SET a = size(b)",
        "SET a = :one + :one + :one",
    ] {
        assert!(update(text, None).is_err(), "{text} should fail");
    }
    assert!(matches!(
        update("SET a = if_not_exists(:one, :one)", None),
        Err(ExprError::RequiresPath { .. })
    ));
    assert!(matches!(
        update("SET a = size(b)", None),
        Err(ExprError::InvalidFunction { .. })
    ));
}

/// ADD and DELETE on sets of tens of thousands of elements (as a 400 KB item can hold):
/// exact results, each element once, the existing order kept.
#[test]
fn add_and_delete_on_large_sets() {
    let existing: Vec<String> = (0..20_000).map(|i| format!("e{i:05}")).collect();
    let operand: Vec<String> = (10_000..30_000).map(|i| format!("e{i:05}")).collect();
    let old: Item = [("tags".to_string(), AttributeValue::Ss(existing.clone()))].into();
    let values = BTreeMap::from([(":t".to_string(), AttributeValue::Ss(operand))]);
    let run = |text: &str| {
        let mut placeholders = Placeholders::new(None, Some(&values)).unwrap();
        let parsed = parse_update(text, &mut placeholders).unwrap();
        apply_update(&parsed, Some(&old)).unwrap().item
    };
    let Some(AttributeValue::Ss(union)) = run("ADD tags :t").remove("tags") else {
        panic!("ADD lost the set");
    };
    assert_eq!(union.len(), 30_000);
    assert_eq!(
        &union[..20_000],
        &existing[..],
        "existing elements keep their order"
    );
    assert_eq!(union[20_000], "e20000");
    let Some(AttributeValue::Ss(rest)) = run("DELETE tags :t").remove("tags") else {
        panic!("DELETE removed everything");
    };
    assert_eq!(rest, existing[..10_000].to_vec());
}
