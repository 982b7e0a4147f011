//! Hostile expressions get typed errors quickly: no panic, no stack overflow, no hang.

use std::time::{Duration, Instant};

use shale_table::expr::{
    parse_condition, parse_projection, parse_update, ExprError, ExprKind, Placeholders,
    MAX_EXPRESSION_BYTES,
};

/// Generous bound for one parse of hostile input on a loaded machine; a real parse of
/// these inputs takes microseconds.
const QUICK: Duration = Duration::from_secs(2);

fn condition(text: &str) -> Result<(), ExprError> {
    parse_condition(text, ExprKind::Condition, &mut Placeholders::none()).map(|_| ())
}

#[test]
fn a_100k_deep_parenthesis_input_fails_quickly() {
    let text = format!("{}a = b{}", "(".repeat(100_000), ")".repeat(100_000));
    let start = Instant::now();
    assert!(matches!(condition(&text), Err(ExprError::TooLong { .. })));
    // Within the length limit, depth is what stops it.
    let text = format!("{}a = b{}", "(".repeat(2000), ")".repeat(2000));
    assert!(matches!(condition(&text), Err(ExprError::TooDeep { .. })));
    let text = "NOT ".repeat(1000) + "a = b";
    assert!(matches!(condition(&text), Err(ExprError::TooDeep { .. })));
    assert!(start.elapsed() < QUICK, "took {:?}", start.elapsed());
}

#[test]
fn nested_update_functions_are_bounded() {
    let text = format!(
        "SET a = {}b{}",
        "list_append(".repeat(200),
        ", b)".repeat(200)
    );
    assert!(text.len() <= MAX_EXPRESSION_BYTES);
    assert!(matches!(
        parse_update(&text, &mut Placeholders::none()),
        Err(ExprError::TooDeep { .. } | ExprError::TooManyOperators { .. })
    ));
}

#[test]
fn the_4_kb_limit_is_exact() {
    let pad = MAX_EXPRESSION_BYTES - "a = b".len();
    let text = format!("{}a = b", " ".repeat(pad));
    assert!(condition(&text).is_ok());
    let text = format!(" {text}");
    assert!(
        matches!(condition(&text), Err(ExprError::TooLong { len, .. }) if len == MAX_EXPRESSION_BYTES + 1)
    );
}

#[test]
fn operator_count_is_bounded() {
    let text = vec!["a = b"; 400].join(" AND ");
    assert!(matches!(
        condition(&text),
        Err(ExprError::TooManyOperators { .. })
    ));
    let text = vec!["a"; 400]
        .iter()
        .enumerate()
        .map(|(i, _)| format!("a{i}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(matches!(
        parse_projection(&text, &mut Placeholders::none()),
        Err(ExprError::TooManyOperators { .. })
    ));
}

#[test]
fn long_paths_and_garbage() {
    let text = format!("a{} = b", "[0]".repeat(40));
    assert!(matches!(
        condition(&text),
        Err(ExprError::PathTooDeep { .. })
    ));
    for text in [
        "\0",
        "a = \u{feff}b",
        "((((",
        "))))",
        "a = b AND",
        "#",
        ":",
        "a[",
        "a[]",
        "a.",
        ".a",
        "a..b",
        "= =",
        "\u{1F600}",
    ] {
        assert!(condition(text).is_err(), "{text:?}");
    }
}
