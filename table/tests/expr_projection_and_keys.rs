//! Projection expressions and key condition expressions.

use std::collections::BTreeMap;

use shale_table::expr::{
    parse_key_condition, parse_projection, project, ExprError, KeyAttribute, KeySchema,
    Placeholders, SortCondition,
};
use shale_table::types::{AttributeValue, Item, Number, ScalarType};

fn item(json: &str) -> Item {
    serde_json::from_str(json).unwrap()
}

fn projected(text: &str, source: &Item) -> Item {
    let names = BTreeMap::from([("#n".to_string(), "name".to_string())]);
    let mut placeholders = Placeholders::new(Some(&names), None).unwrap();
    let paths = parse_projection(text, &mut placeholders).unwrap();
    project(source, &paths)
}

#[test]
fn projection_keeps_nested_structure() {
    let source = item(
        r#"{"a": {"N": "1"}, "name": {"S": "n"}, "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}},
            "l": {"L": [{"S": "l0"}, {"S": "l1"}, {"S": "l2"}, {"M": {"deep": {"S": "d"}, "other": {"S": "o"}}}]}}"#,
    );
    assert_eq!(
        projected("a, #n", &source),
        item(r#"{"a": {"N": "1"}, "name": {"S": "n"}}"#)
    );
    assert_eq!(
        projected("m.y", &source),
        item(r#"{"m": {"M": {"y": {"N": "2"}}}}"#)
    );
    assert_eq!(
        projected("l[2], l[0], l[3].deep", &source),
        item(r#"{"l": {"L": [{"S": "l0"}, {"S": "l2"}, {"M": {"deep": {"S": "d"}}}]}}"#)
    );
    assert_eq!(projected("absent, m.absent, l[9]", &source), item("{}"));
}

#[test]
fn projection_rejects_overlaps_and_reserved_words() {
    let mut placeholders = Placeholders::none();
    assert!(matches!(
        parse_projection("a, a.b", &mut placeholders),
        Err(ExprError::PathsOverlap { .. })
    ));
    assert!(matches!(
        parse_projection("a, a", &mut placeholders),
        Err(ExprError::PathsOverlap { .. })
    ));
    assert!(matches!(
        parse_projection("name", &mut placeholders),
        Err(ExprError::ReservedKeyword { .. })
    ));
    assert!(matches!(
        parse_projection("a,", &mut placeholders),
        Err(ExprError::Syntax { .. })
    ));
}

fn schema() -> KeySchema<'static> {
    KeySchema::simple(
        KeyAttribute {
            name: "pk",
            key_type: ScalarType::S,
        },
        Some(KeyAttribute {
            name: "sk",
            key_type: ScalarType::N,
        }),
    )
}

fn keys(text: &str) -> Result<shale_table::expr::KeyCondition, ExprError> {
    let values: BTreeMap<String, AttributeValue> = serde_json::from_str(
        r#"{":p": {"S": "user"}, ":a": {"N": "1"}, ":b": {"N": "5"}, ":s": {"S": "x"}}"#,
    )
    .unwrap();
    let names = BTreeMap::from([("#pk".to_string(), "pk".to_string())]);
    let mut placeholders = Placeholders::new(Some(&names), Some(&values)).unwrap();
    parse_key_condition(text, &schema(), &mut placeholders)
}

#[test]
fn key_conditions_in_every_supported_shape() {
    let n = |i| AttributeValue::N(Number::from(i));
    let condition = keys("pk = :p").unwrap();
    assert_eq!(
        condition.partition,
        [("pk".to_string(), AttributeValue::S("user".into()))]
    );
    assert_eq!(condition.sort, []);
    let condition = keys("#pk = :p AND sk BETWEEN :a AND :b").unwrap();
    assert_eq!(
        condition.sort,
        [("sk".to_string(), SortCondition::Between(n(1), n(5)))]
    );
    let condition = keys("sk < :b AND pk = :p").unwrap();
    assert_eq!(
        condition.sort,
        [("sk".to_string(), SortCondition::Lt(n(5)))]
    );
    let condition = keys("(pk = :p) AND (sk >= :a)").unwrap();
    assert_eq!(
        condition.sort,
        [("sk".to_string(), SortCondition::Ge(n(1)))]
    );
}

#[test]
fn key_condition_errors() {
    assert_eq!(
        keys("sk = :a").unwrap_err().to_string(),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(
        keys("pk = :p OR sk = :a").unwrap_err().to_string(),
        "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR"
    );
    assert!(matches!(
        keys("pk <> :p"),
        Err(ExprError::KeyConditionInvalidOperator { operator: "<>" })
    ));
    assert!(matches!(
        keys("pk = :p AND attr = :a"),
        Err(ExprError::KeyConditionNotSupported { .. })
    ));
    assert!(matches!(
        keys("pk < :p"),
        Err(ExprError::KeyConditionNotSupported { .. })
    ));
    assert!(matches!(
        keys("pk = :p AND pk = :p"),
        Err(ExprError::KeyConditionDuplicateKey { .. })
    ));
    assert!(matches!(
        keys("pk = :p AND sk = :a AND sk = :b"),
        Err(ExprError::KeyConditionDuplicateKey { .. })
    ));
    assert!(matches!(
        keys("pk = :a"),
        Err(ExprError::KeyConditionTypeMismatch { .. })
    ));
    assert!(matches!(
        keys("pk = :p AND begins_with(sk, :s)"),
        Err(ExprError::IncorrectOperandType { .. })
    ));
    assert!(matches!(
        keys("pk = :p AND contains(sk, :a)"),
        Err(ExprError::KeyConditionInvalidOperator { .. })
    ));
}
