//! Placeholders across all expressions of one request, and reserved words.

use std::collections::BTreeMap;

use shale_table::expr::{parse_request, ExprError, RequestExpressions};
use shale_table::types::{AttributeValue, Number};

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(Number::from(value))
}

#[test]
fn placeholders_used_by_any_expression_of_the_request_count_as_used() {
    let names = BTreeMap::from([
        ("#a".to_string(), "a".to_string()),
        ("#b".to_string(), "b".to_string()),
    ]);
    let values = BTreeMap::from([(":one".to_string(), n(1)), (":two".to_string(), n(2))]);
    let request = RequestExpressions {
        condition: Some("#a = :one"),
        update: Some("SET #b = :two"),
        ..Default::default()
    };
    let parsed = parse_request(&request, Some(&names), Some(&values)).unwrap();
    assert!(parsed.condition.is_some() && parsed.update.is_some());
}

#[test]
fn unused_values_and_names_are_rejected_with_dynamodb_text() {
    let values = BTreeMap::from([(":one".to_string(), n(1)), (":x".to_string(), n(2))]);
    let request = RequestExpressions {
        condition: Some("a = :one"),
        ..Default::default()
    };
    let error = parse_request(&request, None, Some(&values)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"
    );

    let names = BTreeMap::from([
        ("#a".to_string(), "a".to_string()),
        ("#z".to_string(), "z".to_string()),
        ("#y".to_string(), "y".to_string()),
    ]);
    let request = RequestExpressions {
        projection: Some("#a"),
        ..Default::default()
    };
    let error = parse_request(&request, Some(&names), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#y, #z}"
    );
}

/// Regression (issue 16): 100,000 unused values made an 889 KB error message listing
/// every key. The message lists the first `MAX_LISTED_KEYS` and counts the rest.
#[test]
fn an_error_for_many_unused_placeholders_lists_a_bounded_number() {
    let values: BTreeMap<String, AttributeValue> = (0..100_000)
        .map(|i| (format!(":v{i:06}"), n(i)))
        .chain([(":used".to_string(), n(0))])
        .collect();
    let request = RequestExpressions {
        condition: Some("a = :used"),
        ..Default::default()
    };
    let error = parse_request(&request, None, Some(&values)).unwrap_err();
    let ExprError::UnusedValues {
        values: listed,
        more,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(listed.len(), shale_table::expr::MAX_LISTED_KEYS);
    assert_eq!(listed.len() + more, 100_000);
    let message = error.to_string();
    assert!(message.len() < 2_000, "{} bytes", message.len());
    assert!(
        message.starts_with("Value provided in ExpressionAttributeValues unused in expressions: keys: {:v000000, :v000001, ")
            && message.ends_with(&format!(", ... and {more} more}}")),
        "{message}"
    );
}

#[test]
fn undefined_placeholders_are_rejected() {
    let request = RequestExpressions {
        filter: Some("#missing = :v"),
        ..Default::default()
    };
    let values = BTreeMap::from([(":v".to_string(), n(1))]);
    let error = parse_request(&request, None, Some(&values)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #missing"
    );
    let request = RequestExpressions {
        condition: Some("a = :nope"),
        ..Default::default()
    };
    let error = parse_request(&request, None, Some(&values)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"
    );
}

#[test]
fn maps_without_expressions_empty_maps_and_bad_keys() {
    let values = BTreeMap::from([(":v".to_string(), n(1))]);
    let error = parse_request(&RequestExpressions::default(), None, Some(&values)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "ExpressionAttributeValues can only be specified when using expressions"
    );
    let empty = BTreeMap::new();
    let request = RequestExpressions {
        condition: Some("a = b"),
        ..Default::default()
    };
    assert!(matches!(
        parse_request(&request, Some(&empty), None),
        Err(ExprError::EmptyPlaceholderMap { .. })
    ));
    let bad = BTreeMap::from([("v".to_string(), n(1))]);
    assert_eq!(
        parse_request(&request, None, Some(&bad))
            .unwrap_err()
            .to_string(),
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\""
    );
    let invalid_value = BTreeMap::from([(":v".to_string(), AttributeValue::Ss(vec![]))]);
    assert!(matches!(
        parse_request(&request, None, Some(&invalid_value)),
        Err(ExprError::InvalidPlaceholderValue { .. })
    ));
}

#[test]
fn reserved_words_must_be_escaped() {
    let values = BTreeMap::from([(":v".to_string(), AttributeValue::S("on".into()))]);
    let request = RequestExpressions {
        condition: Some("status = :v"),
        ..Default::default()
    };
    let error = parse_request(&request, None, Some(&values)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    for text in ["a.Name = :v", "Size = :v", "DATA = :v"] {
        let request = RequestExpressions {
            condition: Some(text),
            ..Default::default()
        };
        assert!(
            matches!(
                parse_request(&request, None, Some(&values)),
                Err(ExprError::ReservedKeyword { .. })
            ),
            "{text}"
        );
    }
    let names = BTreeMap::from([("#s".to_string(), "status".to_string())]);
    let request = RequestExpressions {
        condition: Some("#s = :v"),
        ..Default::default()
    };
    assert!(parse_request(&request, Some(&names), Some(&values)).is_ok());
}
