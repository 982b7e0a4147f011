//! Condition and filter expressions from DynamoDB's documented examples: precedence,
//! comparisons, BETWEEN, IN, functions, nested paths and absent attributes.

use std::collections::BTreeMap;

use shale_table::expr::{eval_condition, parse_condition, ExprError, ExprKind, Placeholders};
use shale_table::types::{AttributeValue, Item};

fn item() -> Item {
    serde_json::from_str(
        r#"{
            "Id": {"N": "456"},
            "ProductCategory": {"S": "Sporting Goods"},
            "Price": {"N": "650"},
            "Title": {"S": "18-Bicycle 456"},
            "Color": {"SS": ["Red", "Blue"]},
            "Sizes": {"NS": ["1", "2"]},
            "Tags": {"L": [{"S": "bike"}, {"N": "3"}]},
            "Pictures": {"M": {"FrontView": {"S": "http://example.com/products/456_front.jpg"},
                               "RearView": {"S": "http://example.com/products/456_rear.jpg"}}},
            "ProductReviews": {"M": {"OneStar": {"L": [{"S": "Terrible product!"}, {"S": "No good."}]}}},
            "Bin": {"B": "AAEC"},
            "InStock": {"BOOL": true},
            "Discontinued": {"NULL": true}
        }"#,
    )
    .unwrap()
}

fn values() -> BTreeMap<String, AttributeValue> {
    serde_json::from_str(
        r#"{
            ":p": {"N": "500"}, ":lo": {"N": "300"}, ":hi": {"N": "700"}, ":cat": {"S": "Sporting Goods"},
            ":other": {"S": "Books"}, ":red": {"S": "Red"}, ":sub": {"S": "Bicycle"}, ":pre": {"S": "18-"},
            ":ss": {"S": "SS"}, ":m": {"S": "M"}, ":ten": {"N": "10"}, ":two": {"N": "2"}, ":bike": {"S": "bike"},
            ":b0": {"B": "AA=="}, ":t": {"BOOL": true}, ":str650": {"S": "650"}
        }"#,
    )
    .unwrap()
}

fn eval(text: &str) -> Result<bool, ExprError> {
    let names = BTreeMap::from([
        ("#pr".to_string(), "ProductReviews".to_string()),
        ("#c".to_string(), "Color".to_string()),
    ]);
    let values = values();
    let mut placeholders = Placeholders::new(Some(&names), Some(&values)).unwrap();
    let condition = parse_condition(text, ExprKind::Condition, &mut placeholders)?;
    eval_condition(&condition, &item())
}

fn holds(text: &str) -> bool {
    eval(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn comparisons() {
    assert!(holds("Price > :p"));
    assert!(holds("Price >= :p AND Price <> :lo"));
    assert!(!holds("Price < :p"));
    assert!(holds("ProductCategory = :cat"));
    assert!(holds("ProductCategory <> :other"));
    assert!(
        holds("ProductCategory > :other"),
        "strings compare by bytes"
    );
    assert!(holds("Bin > :b0"));
    assert!(holds("InStock = :t"));
}

#[test]
fn comparisons_across_types_are_false_not_errors() {
    assert!(!holds("Price = :str650"));
    assert!(holds("Price <> :str650"));
    assert!(!holds("Price < :cat"));
    assert!(!holds("Price > :cat"));
}

#[test]
fn missing_attributes_compare_false_except_not_equal() {
    assert!(!holds("Absent = :p"));
    assert!(!holds("Absent < :p"));
    assert!(holds("Absent <> :p"));
    assert!(!holds("Absent BETWEEN :lo AND :hi"));
    assert!(!holds("Absent IN (:p, :lo)"));
}

#[test]
fn between_and_in() {
    assert!(holds("Price BETWEEN :lo AND :hi"));
    assert!(!holds("Price BETWEEN :lo AND :p"));
    assert!(holds(
        "Price BETWEEN :p AND :p OR Price BETWEEN :lo AND :hi"
    ));
    assert!(holds("ProductCategory IN (:other, :cat)"));
    assert!(!holds("ProductCategory IN (:other)"));
}

#[test]
fn precedence_is_not_then_and_then_or() {
    // a OR b AND c = a OR (b AND c): true OR (false AND false).
    assert!(holds("Price > :p OR Price < :lo AND Price = :hi"));
    // (a OR b) AND c: (true OR false) AND false.
    assert!(!holds("(Price > :p OR Price < :lo) AND Price = :hi"));
    // NOT binds tighter than AND: (NOT false) AND true.
    assert!(holds("NOT Price < :p AND Price > :p"));
    assert!(!holds("NOT (Price < :p OR Price > :p)"));
    assert!(holds("NOT NOT Price > :p"));
    assert!(
        holds("price > :p OR Price > :p"),
        "names are case-sensitive: `price` is absent"
    );
}

#[test]
fn keywords_are_case_insensitive() {
    assert!(holds("Price between :lo and :hi"));
    assert!(holds("not Price < :p"));
    assert!(holds("ProductCategory in (:cat)"));
}

#[test]
fn functions() {
    assert!(holds("attribute_exists(Pictures.FrontView)"));
    assert!(holds("attribute_not_exists(Pictures.SideView)"));
    assert!(holds("attribute_exists(#pr.OneStar[1])"));
    assert!(!holds("attribute_exists(#pr.OneStar[2])"));
    assert!(holds("attribute_type(#c, :ss)"));
    assert!(!holds("attribute_type(#c, :m)"));
    assert!(holds("attribute_type(Pictures, :m)"));
    assert!(holds("begins_with(Title, :pre)"));
    assert!(!holds("begins_with(Price, :pre)"));
    assert!(holds("begins_with(Bin, :b0)"));
    assert!(holds("contains(Title, :sub)"));
    assert!(holds("contains(#c, :red)"));
    assert!(holds("contains(Sizes, :two)"));
    assert!(holds("contains(Tags, :bike)"));
    assert!(!holds("contains(Price, :two)"));
}

#[test]
fn size_function() {
    assert!(
        holds("size(Title) = :two OR size(Title) > :ten"),
        "14 bytes"
    );
    assert!(holds("size(#c) = :two"));
    assert!(holds("size(Tags) = :two"));
    assert!(holds("size(Pictures) = :two"));
    assert!(holds("size(Bin) < :ten"));
    assert!(!holds("size(Price) > :two"), "numbers have no size");
    assert!(!holds("size(Absent) > :two"));
}

#[test]
fn nested_paths() {
    assert!(holds(
        "#pr.OneStar[0] = :other OR contains(#pr.OneStar[0], :other) OR size(#pr.OneStar) = :two"
    ));
    assert!(
        !holds("Pictures[0] = :cat"),
        "index into a map does not resolve"
    );
    assert!(!holds("Tags.x = :cat"), "key into a list does not resolve");
}

#[test]
fn function_misuse_is_rejected() {
    assert!(matches!(
        eval("size(Title)"),
        Err(ExprError::FunctionMisuse {
            function: "size",
            ..
        })
    ));
    assert!(matches!(
        eval("Price = begins_with(Title, :pre)"),
        Err(ExprError::FunctionMisuse { .. })
    ));
    assert!(matches!(
        eval("attribute_exists(:p)"),
        Err(ExprError::RequiresPath { .. })
    ));
    assert!(matches!(
        eval("begins_with(Title)"),
        Err(ExprError::WrongOperandCount { count: 1, .. })
    ));
    assert!(matches!(
        eval("nope(Title)"),
        Err(ExprError::InvalidFunction { .. })
    ));
    assert!(matches!(
        eval("list_append(Tags, Tags)"),
        Err(ExprError::InvalidFunction { .. })
    ));
    assert!(
        matches!(
            eval("Attribute_Exists(Title)"),
            Err(ExprError::InvalidFunction { .. })
        ),
        "function names are case-sensitive"
    );
}

#[test]
fn operand_type_and_bound_errors() {
    let error = eval("begins_with(Title, :p)").unwrap_err();
    assert_eq!(
        error.to_string(),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert!(matches!(
        eval("Price < :t"),
        Err(ExprError::IncorrectOperandType { operator: "<", .. })
    ));
    let error = eval("Price BETWEEN :hi AND :lo").unwrap_err();
    assert_eq!(
        error.to_string(),
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:700}, upper bound operand: AttributeValue: {N:300}"
    );
    assert!(matches!(
        eval("attribute_type(Title, :cat)"),
        Err(ExprError::InvalidTypeName { .. })
    ));
}

#[test]
fn in_accepts_at_most_100_operands() {
    let list = vec![":p"; 100].join(", ");
    assert!(holds(&format!("Price IN ({list}) OR Price > :p")));
    let list = vec![":p"; 101].join(", ");
    assert!(matches!(
        eval(&format!("Price IN ({list})")),
        Err(ExprError::TooManyInOperands { count: 101, .. })
    ));
}

#[test]
fn syntax_errors_name_the_token() {
    let error = eval("Price > > :p").unwrap_err();
    assert_eq!(
        error.to_string(),
        "Invalid ConditionExpression: Syntax error; token: \">\", near: \"Price > > :p\""
    );
    assert!(matches!(eval("Price >"), Err(ExprError::Syntax { token, .. }) if token == "<EOF>"));
    assert!(matches!(eval("(Price > :p"), Err(ExprError::Syntax { .. })));
    assert!(matches!(eval("Price > :p)"), Err(ExprError::Syntax { .. })));
    assert!(matches!(eval("Price"), Err(ExprError::Syntax { .. })));
    assert!(matches!(
        eval("Tags[x] = :p"),
        Err(ExprError::Syntax { .. })
    ));
    assert!(matches!(
        eval("Tags[99999999999] = :p"),
        Err(ExprError::ListIndexOutOfRange { .. })
    ));
    assert!(matches!(eval("   "), Err(ExprError::Empty { .. })));
}

/// Three rules DynamoDB applies that dynalite's tests recorded (found replaying them):
/// `((x))` is redundant, an operator's first operand may not repeat among the others
/// (reported after the whole expression parsed, so `((x))` later in the text wins), and
/// `size()` is a number to `attribute_type` and `begins_with`.
#[test]
fn redundant_parentheses_repeated_operands_and_size_as_a_number_are_refused() {
    let message = |text: &str| eval(text).unwrap_err().to_string();
    for text in [
        "Price = :p AND ((Price = :p AND Price = :p)) AND Price = :p",
        "Price = :p OR ((Price = :p OR (Price = :p OR Price = :p)))",
        "Price = Price AND ((Price = :p))",
    ] {
        assert_eq!(
            message(text),
            "Invalid ConditionExpression: The expression has redundant parentheses;",
            "{text}"
        );
    }
    if let Err(e) = eval("(Price = :p) AND (NOT (Price = :lo))") {
        panic!("single parentheses are fine: {e}");
    }
    for (text, operator, operand) in [
        ("#c <> Color", "<>", "[Color]"),
        ("Price > Price", ">", "[Price]"),
        ("Price BETWEEN :lo AND Price", "BETWEEN", "[Price]"),
        ("Price IN (:p, Price)", "IN", "[Price]"),
        (
            "contains(ProductReviews.FiveStar[1], #pr.FiveStar[1])",
            "contains",
            "[ProductReviews, FiveStar, [1]]",
        ),
        ("begins_with(Color, Color)", "begins_with", "[Color]"),
    ] {
        assert_eq!(
            message(text),
            format!("Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {operand}"),
            "{text}"
        );
    }
    for (text, function) in [
        ("attribute_type(Color, size(Color))", "attribute_type"),
        ("begins_with(Color, size(Color))", "begins_with"),
    ] {
        assert_eq!(
            message(text),
            format!("Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: {function}, operand type: N"),
            "{text}"
        );
    }
}
