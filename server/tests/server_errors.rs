//! Every error path of the wire protocol, byte for byte: HTTP status, `__type`, message
//! member, and the `X-Amz-Crc32` / `x-amzn-RequestId` headers on every response. Drives
//! the real binary with a raw HTTP/1.1 client, because SDKs hide exactly these details.

mod common;

use common::http::{Client, Response};
use common::{assert_request_counts, Server};
use serde_json::json;

const DDB: &str = "com.amazonaws.dynamodb.v20120810#";
/// Every ValidationException's `__type`, as DynamoDB sends it.
const VALIDATION: &str = "com.amazon.coral.validate#ValidationException";
const CORAL: &str = "com.amazon.coral.service#";

/// Checks the headers every response must carry, then returns it.
fn checked(r: Response) -> Response {
    let crc: u32 = r
        .header("x-amz-crc32")
        .expect("X-Amz-Crc32 on every response")
        .parse()
        .expect("decimal CRC");
    assert_eq!(crc, crc32fast::hash(&r.body), "CRC of {:?}", r.body);
    let id = r.header("x-amzn-requestid").expect("x-amzn-RequestId");
    assert_eq!(id.len(), 52, "{id}");
    r
}

fn call(c: &mut Client, op: &str, body: serde_json::Value) -> Response {
    checked(c.call(op, &body).expect("request"))
}

fn assert_error(r: &Response, status: u16, type_: &str) -> serde_json::Value {
    assert_eq!(
        r.status,
        status,
        "body: {}",
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    assert_eq!(v["__type"], type_, "{v}");
    v
}

fn create_users_table(c: &mut Client) {
    let r = call(
        c,
        "CreateTable",
        json!({
            "TableName": "Users",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// DynamoDB's texts: item and data-plane calls say only "Requested resource not found";
/// control-plane calls name the table. (DynamoDB Local's "Cannot do operations on a
/// non-existent table" is not what DynamoDB itself sends.)
#[test]
fn missing_table_is_resource_not_found() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    let key = json!({"pk": {"S": "a"}});
    let data_plane = [
        ("GetItem", json!({"TableName": "Nope", "Key": key})),
        ("PutItem", json!({"TableName": "Nope", "Item": key})),
        ("DeleteItem", json!({"TableName": "Nope", "Key": key})),
        (
            "UpdateItem",
            json!({
                "TableName": "Nope",
                "Key": key,
                "UpdateExpression": "SET a = :v",
                "ExpressionAttributeValues": {":v": {"S": "x"}}
            }),
        ),
        (
            "Query",
            json!({
                "TableName": "Nope",
                "KeyConditionExpression": "pk = :v",
                "ExpressionAttributeValues": {":v": {"S": "a"}}
            }),
        ),
        ("Scan", json!({"TableName": "Nope"})),
        (
            "BatchGetItem",
            json!({"RequestItems": {"Nope": {"Keys": [key]}}}),
        ),
    ];
    for (op, body) in data_plane {
        let r = call(&mut c, op, body);
        let v = assert_error(&r, 400, &format!("{DDB}ResourceNotFoundException"));
        assert_eq!(v["message"], "Requested resource not found", "{op}: {v}");
    }
    for op in ["DescribeTable", "DeleteTable", "DescribeTimeToLive"] {
        let r = call(&mut c, op, json!({"TableName": "Nope"}));
        let v = assert_error(&r, 400, &format!("{DDB}ResourceNotFoundException"));
        assert_eq!(
            v["message"], "Requested resource not found: Table: Nope not found",
            "{op}: {v}"
        );
    }
}

#[test]
fn failed_condition_is_conditional_check_failed_with_old_item_on_request() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    create_users_table(&mut c);
    let item = json!({"pk": {"S": "u1"}, "n": {"N": "7"}});
    let r = call(
        &mut c,
        "PutItem",
        json!({"TableName": "Users", "Item": item}),
    );
    assert_eq!(r.status, 200);
    let conditional = |extra: serde_json::Value| {
        let mut body = json!({
            "TableName": "Users",
            "Item": {"pk": {"S": "u1"}},
            "ConditionExpression": "attribute_not_exists(pk)"
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let r = call(&mut c, "PutItem", conditional(json!({})));
    let v = assert_error(&r, 400, &format!("{DDB}ConditionalCheckFailedException"));
    assert_eq!(
        v,
        json!({
            "__type": format!("{DDB}ConditionalCheckFailedException"),
            "message": "The conditional request failed"
        })
    );
    let r = call(
        &mut c,
        "PutItem",
        conditional(json!({"ReturnValuesOnConditionCheckFailure": "ALL_OLD"})),
    );
    let v = assert_error(&r, 400, &format!("{DDB}ConditionalCheckFailedException"));
    assert_eq!(v["message"], "The conditional request failed");
    assert_eq!(v["Item"], item, "{v}");
    // UpdateItem and DeleteItem fail a condition with the same text.
    let missing = json!({"pk": {"S": "absent"}});
    for (op, body) in [
        (
            "UpdateItem",
            json!({
                "TableName": "Users",
                "Key": missing,
                "UpdateExpression": "SET n = :v",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {":v": {"N": "1"}}
            }),
        ),
        (
            "DeleteItem",
            json!({
                "TableName": "Users",
                "Key": missing,
                "ConditionExpression": "attribute_exists(pk)"
            }),
        ),
    ] {
        let r = call(&mut c, op, body);
        let v = assert_error(&r, 400, &format!("{DDB}ConditionalCheckFailedException"));
        assert_eq!(v["message"], "The conditional request failed", "{op}");
    }
}

#[test]
fn bad_expression_is_validation_exception() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    create_users_table(&mut c);
    let r = call(
        &mut c,
        "PutItem",
        json!({
            "TableName": "Users",
            "Item": {"pk": {"S": "u1"}},
            "ConditionExpression": "pk = = :v",
            "ExpressionAttributeValues": {":v": {"S": "x"}}
        }),
    );
    let v = assert_error(&r, 400, VALIDATION);
    // DynamoDB: `Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"`,
    // its `near` being the bad token with its neighbours. The engine shows a wider window
    // of the text around the token, so only the part both share is checked exactly.
    let message = v["message"].as_str().unwrap();
    let near = message
        .strip_prefix("Invalid ConditionExpression: Syntax error; token: \"=\", near: \"")
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not DynamoDB's syntax-error text: {message}"));
    assert!(near.contains("= = :v"), "{message}");
    assert!("pk = = :v".contains(near), "{message}");
}
#[test]
fn oversized_item_is_validation_exception() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    create_users_table(&mut c);
    let big = "x".repeat(401 * 1024);
    let r = call(
        &mut c,
        "PutItem",
        json!({"TableName": "Users", "Item": {"pk": {"S": "u1"}, "big": {"S": big}}}),
    );
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "Item size has exceeded the maximum allowed size"
    );
}

#[test]
fn malformed_body_is_serialization_exception() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    for body in [&b"{not json"[..], b"", b"[1,2", b"\xff\xfe"] {
        let r = checked(
            c.request(
                "POST",
                "/",
                &[
                    ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
                    ("Content-Type", "application/x-amz-json-1.0"),
                ],
                body,
            )
            .unwrap(),
        );
        let v = assert_error(&r, 400, &format!("{CORAL}SerializationException"));
        assert!(v["Message"].is_string(), "{v}");
    }
    // A member of the wrong JSON type is a SerializationException too.
    let r = call(&mut c, "DescribeTable", json!({"TableName": 5}));
    assert_error(&r, 400, &format!("{CORAL}SerializationException"));
    // A missing required member is DynamoDB's "must not be null" ValidationException
    // for an item operation, with every other member missing (dynalite's deleteItem
    // test), and its own words for a table operation (dynalite's describeTable test),
    // which also checks a name's length apart.
    let r = call(&mut c, "DeleteItem", json!({}));
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "2 validation errors detected: Value null at 'tableName' failed to satisfy \
         constraint: Member must not be null; Value null at 'key' failed to satisfy \
         constraint: Member must not be null"
    );
    let r = call(&mut c, "DescribeTable", json!({}));
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "The parameter 'TableName' is required but was not present in the request"
    );
    let r = call(&mut c, "DescribeTable", json!({"TableName": "a;"}));
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "TableName must be at least 3 characters long and at most 255 characters long"
    );
    // The TTL operations are table operations too (dynalite's updateTimeToLive test):
    // the name first, whatever else is missing; then the specification's members.
    let r = call(&mut c, "UpdateTimeToLive", json!({}));
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "The parameter 'TableName' is required but was not present in the request"
    );
    let r = call(
        &mut c,
        "UpdateTimeToLive",
        json!({"TableName": "abc", "TimeToLiveSpecification": {}}),
    );
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "2 validation errors detected: Value null at 'timeToLiveSpecification.enabled' \
         failed to satisfy constraint: Member must not be null; Value null at \
         'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must \
         not be null"
    );
    let r = call(
        &mut c,
        "UpdateTimeToLive",
        json!({"TableName": "abc", "TimeToLiveSpecification": {"AttributeName": "", "Enabled": true}}),
    );
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "TimeToLiveSpecification.AttributeName must be non empty"
    );
    let r = call(&mut c, "DescribeTimeToLive", json!({"TableName": "ab"}));
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "TableName must be at least 3 characters long and at most 255 characters long"
    );
    // A tagging request without a ResourceArn is refused for that first; with one but
    // without Tags, for the Tags (dynalite's tagResource test).
    let r = call(&mut c, "TagResource", json!({}));
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(v["message"], "Invalid TableArn");
    let r = call(
        &mut c,
        "TagResource",
        json!({"ResourceArn": "a:b:c:d:e:f/g"}),
    );
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: \
         Member must not be null"
    );
    // ListTables' start name is checked although nothing else reads it as a name
    // (dynalite's listTables test: the limit first).
    let r = call(
        &mut c,
        "ListTables",
        json!({"ExclusiveStartTableName": "a;", "Limit": 500}),
    );
    let v = assert_error(&r, 400, VALIDATION);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("3 validation errors detected: Value '500' at 'limit'"),
        "{v}"
    );
}

/// A value outside a common enum's set gets DynamoDB's constraint text, with the member's
/// path as DynamoDB writes it (lists count from 1, each element is a `member`).
/// A binary that is not base64 fails in DynamoDB's RPC layer: SerializationException with
/// `Message`, in DynamoDB's words (dynalite's record of them), wherever the value is; and
/// nothing is written.
#[test]
fn malformed_base64_binary_is_a_serialization_exception() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    create_users_table(&mut c);
    for (value, reason) in [
        (
            "!!!",
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3",
        ),
        ("!!!!", "Invalid Base64 character: '!'"),
        ("+/+=", "Invalid last non-pad Base64 character dectected"),
    ] {
        let expected = json!({
            "__type": format!("{CORAL}SerializationException"),
            "Message": format!("'{value}' can not be converted to a Blob: {reason}")
        });
        for (op, body) in [
            (
                "PutItem",
                json!({"TableName": "Users", "Item": {"pk": {"S": "a"}, "b": {"B": value}}}),
            ),
            (
                "PutItem",
                json!({"TableName": "Users", "Item": {"pk": {"S": "a"}, "bs": {"BS": ["AAAA", value]}}}),
            ),
            (
                "UpdateItem",
                json!({
                    "TableName": "Users",
                    "Key": {"pk": {"S": "a"}},
                    "UpdateExpression": "SET b = :b",
                    "ExpressionAttributeValues": {":b": {"B": value}}
                }),
            ),
        ] {
            let r = call(&mut c, op, body);
            let v = assert_error(&r, 400, &format!("{CORAL}SerializationException"));
            assert_eq!(v, expected, "{op}");
        }
    }
    let r = call(
        &mut c,
        "GetItem",
        json!({"TableName": "Users", "Key": {"pk": {"S": "a"}}}),
    );
    assert_eq!(r.json(), json!({}));
    // Valid base64 (padded) is stored and read back as sent.
    let r = call(
        &mut c,
        "PutItem",
        json!({"TableName": "Users", "Item": {"pk": {"S": "a"}, "b": {"B": "dGVzdCE="}}}),
    );
    assert_eq!(r.status, 200);
    let r = call(
        &mut c,
        "GetItem",
        json!({"TableName": "Users", "Key": {"pk": {"S": "a"}}}),
    );
    assert_eq!(r.json()["Item"]["b"], json!({"B": "dGVzdCE="}));
}

#[test]
fn invalid_enum_values_get_dynamodbs_constraint_message() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    create_users_table(&mut c);
    let key = json!({"pk": {"S": "a"}});
    let table = |billing: &str, key_type: &str, attr_type: &str, projection: &str| {
        json!({
            "TableName": "Tbl2",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": attr_type}
            ],
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": key_type}
            ],
            "GlobalSecondaryIndexes": [{
                "IndexName": "g",
                "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": projection}
            }],
            "BillingMode": billing
        })
    };
    let cases = [
        (
            "PutItem",
            json!({"TableName": "Users", "Item": key, "ReturnValues": "FOO"}),
            "Value 'FOO' at 'returnValues'",
            "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
        ),
        (
            "GetItem",
            json!({"TableName": "Users", "Key": key, "ReturnConsumedCapacity": "total"}),
            "Value 'total' at 'returnConsumedCapacity'",
            "[INDEXES, TOTAL, NONE]",
        ),
        (
            "Query",
            json!({
                "TableName": "Users",
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": "a"}},
                "Select": "EVERYTHING"
            }),
            "Value 'EVERYTHING' at 'select'",
            "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
        ),
        (
            "CreateTable",
            table("ON_DEMAND", "RANGE", "S", "ALL"),
            "Value 'ON_DEMAND' at 'billingMode'",
            "[PROVISIONED, PAY_PER_REQUEST]",
        ),
        (
            "CreateTable",
            table("PAY_PER_REQUEST", "SORT", "S", "ALL"),
            "Value 'SORT' at 'keySchema.2.member.keyType'",
            "[HASH, RANGE]",
        ),
        (
            "CreateTable",
            table("PAY_PER_REQUEST", "RANGE", "STRING", "ALL"),
            "Value 'STRING' at 'attributeDefinitions.2.member.attributeType'",
            "[B, N, S]",
        ),
        (
            "CreateTable",
            table("PAY_PER_REQUEST", "RANGE", "S", "EVERYTHING"),
            "Value 'EVERYTHING' at 'globalSecondaryIndexes.1.member.projection.projectionType'",
            "[ALL, INCLUDE, KEYS_ONLY]",
        ),
        // The legacy parameters' enums, with DynamoDB's map paths (recorded in
        // dynalite's tests).
        (
            "Scan",
            json!({"TableName": "Users", "ScanFilter": {"b": {"ComparisonOperator": "XX"}}}),
            "Value 'XX' at 'scanFilter.b.member.comparisonOperator'",
            "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
        ),
        (
            "Scan",
            json!({"TableName": "Users", "ConditionalOperator": "AN",
                   "ScanFilter": {"b": {"ComparisonOperator": "NULL"}}}),
            "Value 'AN' at 'conditionalOperator'",
            "[OR, AND]",
        ),
        (
            "UpdateItem",
            json!({"TableName": "Users", "Key": {"pk": {"S": "a"}},
                   "AttributeUpdates": {"Count": {"Action": "INCREMENT", "Value": {"N": "1"}}}}),
            "Value 'INCREMENT' at 'attributeUpdates.Count.member.action'",
            "[ADD, PUT, DELETE]",
        ),
    ];
    for (op, body, value_at, set) in cases {
        let r = call(&mut c, op, body);
        let v = assert_error(&r, 400, VALIDATION);
        assert_eq!(
            v["message"],
            format!(
                "1 validation error detected: {value_at} failed to satisfy constraint: \
                 Member must satisfy enum value set: {set}"
            ),
            "{op}"
        );
    }
    // Nothing was created by the rejected requests.
    let r = call(&mut c, "DescribeTable", json!({"TableName": "Tbl2"}));
    assert_error(&r, 400, &format!("{DDB}ResourceNotFoundException"));
}

/// DynamoDB reports every broken member constraint of a request at once, at most ten
/// (recorded in dynalite's scan and query tests); Shale's decoder and table layer stop
/// at the first, so a failed Scan or Query is re-read for all of them.
#[test]
fn several_constraint_violations_are_reported_together() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    create_users_table(&mut c);
    let r = call(
        &mut c,
        "Scan",
        json!({"TableName": "abc;", "ReturnConsumedCapacity": "hi", "AttributesToGet": [],
               "IndexName": "abc;", "Segment": -1, "TotalSegments": -1, "Select": "hi",
               "Limit": -1, "ScanFilter": {"a": {}, "b": {"ComparisonOperator": ""}},
               "ConditionalOperator": "AN"}),
    );
    let v = assert_error(&r, 400, VALIDATION);
    let message = v["message"].as_str().unwrap();
    assert!(
        message.starts_with("10 validation errors detected: "),
        "{message}"
    );
    for part in [
        "Value 'hi' at 'select'",
        "Value 'abc;' at 'indexName'",
        "Value '-1' at 'totalSegments'",
        "Value 'hi' at 'returnConsumedCapacity'",
        "Value 'abc;' at 'tableName'",
        "Value 'AN' at 'conditionalOperator'",
        "Value null at 'scanFilter.a.member.comparisonOperator'",
        "Value '' at 'scanFilter.b.member.comparisonOperator'",
        "Value '-1' at 'segment'",
        "Value '[]' at 'attributesToGet'",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    // On an existing table, with a valid key condition: both of two.
    let r = call(
        &mut c,
        "Query",
        json!({"TableName": "Users", "KeyConditionExpression": "pk = :p",
               "ExpressionAttributeValues": {":p": {"S": "a"}}, "Limit": 0, "Select": "ALL"}),
    );
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "2 validation errors detected: Value 'ALL' at 'select' failed to satisfy constraint: \
         Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, \
         ALL_PROJECTED_ATTRIBUTES]; Value '0' at 'limit' failed to satisfy constraint: Member \
         must have value greater than or equal to 1"
    );
    // PutItem, as dynalite recorded it against DynamoDB ("5 validation errors detected").
    let r = call(
        &mut c,
        "PutItem",
        json!({"TableName": "abc;", "ReturnConsumedCapacity": "hi",
               "ReturnItemCollectionMetrics": "hi", "ReturnValues": "hi"}),
    );
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "5 validation errors detected: \
         Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must \
         satisfy enum value set: [INDEXES, TOTAL, NONE]; \
         Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy \
         regular expression pattern: [a-zA-Z0-9_.-]+; \
         Value null at 'item' failed to satisfy constraint: Member must not be null; \
         Value 'hi' at 'returnValues' failed to satisfy constraint: Member must satisfy enum \
         value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; \
         Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member \
         must satisfy enum value set: [SIZE, NONE]"
    );
    // CreateTable, as dynalite recorded it (the later recording): the name's length
    // alone and first, else the missing members with the name's pattern.
    let r = call(&mut c, "CreateTable", json!({"TableName": "a;"}));
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "TableName must be at least 3 characters long and at most 255 characters long"
    );
    let r = call(&mut c, "CreateTable", json!({"TableName": "abc;"}));
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "3 validation errors detected: \
         Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not \
         be null; \
         Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy \
         regular expression pattern: [a-zA-Z0-9_.-]+; \
         Value null at 'keySchema' failed to satisfy constraint: Member must not be null"
    );
    // A failed condition is an answer, not a validation: it is not re-read.
    let r = call(
        &mut c,
        "PutItem",
        json!({"TableName": "Users", "Item": {"pk": {"S": "x"}},
               "ConditionExpression": "attribute_exists(pk)"}),
    );
    assert_error(&r, 400, &format!("{DDB}ConditionalCheckFailedException"));
    // One violation keeps its one-error text; a wrong JSON type stays a
    // SerializationException.
    let r = call(&mut c, "Scan", json!({"TableName": "Users", "Limit": 0}));
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    let r = call(
        &mut c,
        "Scan",
        json!({"TableName": "Users", "Limit": "x", "Select": "hi"}),
    );
    assert_eq!(r.status, 400);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert!(
        v["__type"]
            .as_str()
            .unwrap()
            .ends_with("SerializationException"),
        "{v}"
    );
}

#[test]
fn unknown_operation_and_missing_target() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    let r = call(&mut c, "Frobnicate", json!({}));
    let v = assert_error(&r, 400, &format!("{CORAL}UnknownOperationException"));
    assert_eq!(
        v,
        json!({"__type": format!("{CORAL}UnknownOperationException")})
    );
    let r = checked(
        c.request(
            "POST",
            "/",
            &[("Content-Type", "application/x-amz-json-1.0")],
            b"{}",
        )
        .unwrap(),
    );
    assert_error(&r, 400, &format!("{CORAL}UnknownOperationException"));
}

#[test]
fn unimplemented_operations_say_so() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    for op in [
        "CreateGlobalTable",
        "DescribeGlobalTable",
        "DescribeKinesisStreamingDestination",
        "UpdateContributorInsights",
        "SearchVectors",
        "StartBulkPutItems",
    ] {
        let r = call(&mut c, op, json!({}));
        let v = assert_error(&r, 400, VALIDATION);
        let msg = v["message"].as_str().unwrap();
        assert!(
            msg.contains("Shale does not implement") && msg.contains(op),
            "{msg}"
        );
    }
    let r = checked(
        c.request(
            "POST",
            "/",
            &[
                ("X-Amz-Target", "DynamoDBStreams_20120810.GetRecords"),
                ("Content-Type", "application/x-amz-json-1.0"),
            ],
            b"{}",
        )
        .unwrap(),
    );
    assert_error(&r, 400, VALIDATION);
}

/// A member DynamoDB has and Shale does not implement is refused, never dropped: the
/// same ValidationException, naming the parameter, and no table is made.
#[test]
fn unimplemented_parameters_say_so() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    let table = |extra: serde_json::Value| {
        let mut t = json!({
            "TableName": "Vectors",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        });
        t.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        t
    };
    let vector_index = json!({"VectorIndexes": [{
        "IndexName": "ByEmbedding",
        "VectorAttribute": {"AttributeName": "embedding"},
        "Projection": {"ProjectionType": "ALL"},
        "Dimensions": 3,
        "DistanceFunction": "COSINE",
    }]});
    let r = call(&mut c, "CreateTable", table(vector_index));
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "Shale does not implement the VectorIndexes parameter of CreateTable yet"
    );
    let r = call(&mut c, "ListTables", json!({}));
    assert_eq!(r.json()["TableNames"], json!([]));
    // A member DynamoDB does not have at all is ignored, as before (SDKs refuse such
    // members before sending; what DynamoDB answers to one was not found recorded).
    let r = call(&mut c, "CreateTable", table(json!({"NoSuchMember": 1})));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = call(
        &mut c,
        "UpdateTable",
        json!({"TableName": "Vectors", "ReplicaUpdates": [{"Create": {"RegionName": "eu-west-1"}}]}),
    );
    let v = assert_error(&r, 400, VALIDATION);
    assert_eq!(
        v["message"],
        "Shale does not implement the ReplicaUpdates parameter of UpdateTable yet"
    );
}

#[test]
fn wrong_content_type_and_non_post_are_404_like_dynamodb() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    let r = checked(
        c.request(
            "POST",
            "/",
            &[
                ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
                ("Content-Type", "text/plain"),
            ],
            b"{}",
        )
        .unwrap(),
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.body, b"<UnknownOperationException/>\n");
    // `GET /` is the health check (`server_health_check.rs`); other paths are 404.
    let r = checked(c.request("GET", "/index.html", &[], b"").unwrap());
    assert_eq!(r.status, 404);
    // application/json is accepted, and answered in kind.
    let r = checked(
        c.request(
            "POST",
            "/",
            &[
                ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
                ("Content-Type", "application/json; charset=utf-8"),
            ],
            b"{}",
        )
        .unwrap(),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json(), json!({"TableNames": []}));
}

/// The 413 for a body over the cap: DynamoDB's RPC-layer exception, and the connection
/// closed (the unread rest of the body must not be parsed as a request).
fn assert_too_large(r: &Response) {
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json(),
        json!({
            "__type": format!("{CORAL}RequestEntityTooLargeException"),
            "Message": format!("request body exceeds {MAX_BODY_BYTES} bytes")
        })
    );
    assert_eq!(r.header("connection"), Some("close"));
}

/// The server's request body cap (`api_error::MAX_REQUEST_BODY_BYTES`): 17 MiB.
const MAX_BODY_BYTES: usize = 17 * 1024 * 1024;

/// A new connection still gets answers.
fn assert_healthy(server: &Server) {
    let mut c = Client::connect(server.addr).unwrap();
    let r = call(&mut c, "ListTables", json!({}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn oversized_body_is_413_without_reading_it() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    // Declares 64 MiB and sends none of it: the server must answer from the header alone.
    let r = checked(
        c.send_raw(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n\
              Content-Type: application/x-amz-json-1.0\r\nContent-Length: 67108864\r\n\r\n",
        )
        .unwrap(),
    );
    assert_too_large(&r);
    assert_healthy(&server);
}

/// A chunked body (no Content-Length) over the cap gets the same 413 once the cap is
/// crossed, and the server stays healthy.
#[test]
fn oversized_chunked_body_is_413_like_a_declared_one() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    c.write_raw(
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n\
          Content-Type: application/x-amz-json-1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    .unwrap();
    // A writer thread sends 1 MiB chunks until 2 MiB past the cap, or until the server
    // closes the connection; the response is read meanwhile.
    let mut writer = c.try_clone_writer().unwrap();
    let sender = std::thread::spawn(move || {
        use std::io::Write as _;
        let chunk = vec![b' '; 1024 * 1024];
        let mut head = format!("{:x}\r\n", chunk.len()).into_bytes();
        head.extend_from_slice(&chunk);
        head.extend_from_slice(b"\r\n");
        let mut sent = 0;
        while sent <= MAX_BODY_BYTES + 2 * chunk.len() {
            if writer.write_all(&head).is_err() {
                return sent;
            }
            sent += chunk.len();
        }
        sent
    });
    let r = checked(c.read_response().unwrap());
    let sent = sender.join().unwrap();
    assert!(sent >= MAX_BODY_BYTES, "answered after only {sent} bytes");
    assert_too_large(&r);
    assert_healthy(&server);
}

#[test]
fn success_responses_carry_crc_request_id_and_amz_json() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    let a = call(&mut c, "ListTables", json!({}));
    let b = call(&mut c, "ListTables", json!({}));
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/x-amz-json-1.0"));
    assert_ne!(a.header("x-amzn-requestid"), b.header("x-amzn-requestid"));
}

#[test]
fn healthz_and_metrics() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    let r = checked(c.request("GET", "/healthz", &[], b"").unwrap());
    assert_eq!((r.status, r.body.as_slice()), (200, &b"ok\n"[..]));
    create_users_table(&mut c);
    call(
        &mut c,
        "GetItem",
        json!({"TableName": "Users", "Key": {"pk": {"S": "a"}}}),
    );
    call(
        &mut c,
        "GetItem",
        json!({"TableName": "Missing", "Key": {"pk": {"S": "a"}}}),
    );
    let r = checked(c.request("GET", "/metrics", &[], b"").unwrap());
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body).unwrap();
    assert!(
        text.contains(
            "shale_requests_total{operation=\"GetItem\",table=\"Users\",outcome=\"ok\"} 1\n"
        ),
        "{text}"
    );
    // A table that does not exist gets no label of its own.
    assert!(text.contains(
        "shale_requests_total{operation=\"GetItem\",table=\"_unknown\",\
         outcome=\"ResourceNotFoundException\"} 1\n"
    ));
    assert!(!text.contains("Missing"), "{text}");
    assert!(text.contains(
        "shale_request_duration_seconds_count{operation=\"CreateTable\",table=\"Users\",\
         outcome=\"ok\"} 1\n"
    ));
    // Capacity admission's partitions (issue 13): the on-demand table's partitions, one
    // of which was charged the GetItem's half read unit (eventually consistent).
    let consumed: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("shale_capacity_partition_consumed_units_total{table=\"Users\"")
                && l.contains("side=\"read\"")
        })
        .collect();
    assert!(!consumed.is_empty(), "{text}");
    assert_eq!(
        consumed.iter().filter(|l| l.ends_with("} 0.5")).count(),
        1,
        "{consumed:?}"
    );
}

/// The backup and point-in-time recovery errors are 400s with their own exception names,
/// and their metrics follow the label rules: a successful ListBackups for a table that
/// does not exist (which DynamoDB allows) mints no label.
#[test]
fn backup_and_restore_errors_are_typed_and_labelled() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    create_users_table(&mut c);
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/Users/backup/01700000000000-0000abcd";
    let r = call(&mut c, "DescribeBackup", json!({"BackupArn": arn}));
    let v = assert_error(&r, 400, &format!("{DDB}BackupNotFoundException"));
    assert_eq!(v["message"], format!("Backup not found: {arn}"));
    let r = call(&mut c, "DeleteBackup", json!({"BackupArn": "not-an-arn"}));
    assert_error(&r, 400, VALIDATION);
    let r = call(
        &mut c,
        "CreateBackup",
        json!({"TableName": "Nope", "BackupName": "bak"}),
    );
    let v = assert_error(&r, 400, &format!("{DDB}TableNotFoundException"));
    assert_eq!(v["message"], "Table not found: Nope");
    let r = call(
        &mut c,
        "RestoreTableToPointInTime",
        json!({"SourceTableName": "Users", "TargetTableName": "Users2",
               "UseLatestRestorableTime": true}),
    );
    let v = assert_error(
        &r,
        400,
        &format!("{DDB}PointInTimeRecoveryUnavailableException"),
    );
    assert_eq!(
        v["message"],
        "Point in time recovery is not enabled for table 'Users'"
    );
    let r = call(&mut c, "ListBackups", json!({"TableName": "Phantom"}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["BackupSummaries"], json!([]));
    let text = assert_request_counts(
        server.addr,
        &[
            "{operation=\"DescribeBackup\",table=\"Users\",outcome=\"BackupNotFoundException\"} 1",
            "{operation=\"DeleteBackup\",table=\"\",outcome=\"ValidationException\"} 1",
            "{operation=\"CreateBackup\",table=\"_unknown\",outcome=\"TableNotFoundException\"} 1",
            "{operation=\"RestoreTableToPointInTime\",table=\"_unknown\",\
             outcome=\"PointInTimeRecoveryUnavailableException\"} 1",
            "{operation=\"ListBackups\",table=\"_unknown\",outcome=\"ok\"} 1",
        ],
    );
    assert!(!text.contains("Phantom"), "{text}");
}

/// Requests naming tables that do not exist are counted under one `_unknown` label, so
/// they cannot use up the 256 table-label slots that real tables need.
#[test]
fn metrics_label_only_tables_that_exist() {
    const LABEL_SLOTS: usize = 256;
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    for i in 0..LABEL_SLOTS + 44 {
        let r = call(
            &mut c,
            "GetItem",
            json!({"TableName": format!("Ghost{i}"), "Key": {"pk": {"S": "a"}}}),
        );
        assert_error(&r, 400, &format!("{DDB}ResourceNotFoundException"));
    }
    create_users_table(&mut c);
    let r = call(
        &mut c,
        "GetItem",
        json!({"TableName": "Users", "Key": {"pk": {"S": "a"}}}),
    );
    assert_eq!(r.status, 200);
    // A failed request for a table that exists keeps its name.
    let r = call(
        &mut c,
        "GetItem",
        json!({"TableName": "Users", "Key": {"nope": {"S": "a"}}}),
    );
    assert_error(&r, 400, VALIDATION);
    let r = checked(c.request("GET", "/metrics", &[], b"").unwrap());
    let text = String::from_utf8(r.body).unwrap();
    assert!(
        text.contains(&format!(
            "shale_requests_total{{operation=\"GetItem\",table=\"_unknown\",\
             outcome=\"ResourceNotFoundException\"}} {}\n",
            LABEL_SLOTS + 44
        )),
        "{text}"
    );
    assert!(text.contains(
        "shale_requests_total{operation=\"GetItem\",table=\"Users\",outcome=\"ok\"} 1\n"
    ));
    assert!(text.contains(
        "shale_requests_total{operation=\"GetItem\",table=\"Users\",\
         outcome=\"ValidationException\"} 1\n"
    ));
    assert!(!text.contains("Ghost"), "{text}");
    assert!(!text.contains("table=\"_other\""), "{text}");
}
