"""boto3 (the low-level client) against a running shale-server, with the legacy
(pre-expression) parameters old drivers and ORMs send: Expected with Exists, Value,
ComparisonOperator and ConditionalOperator; AttributeUpdates (PUT, ADD, DELETE);
KeyConditions, QueryFilter and ScanFilter; AttributesToGet on GetItem, BatchGetItem,
Query and Scan; and DynamoDB's errors, including mixing legacy and expression
parameters.

Usage:
    python3 boto3_legacy.py http://127.0.0.1:PORT

Exits 0 after printing "legacy: N checks passed"; any failed check raises.
"""

import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

CHECKS = 0
INVALID = "One or more parameter values were invalid: "


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def expect_error(code, fn, **kwargs):
    """Runs fn and checks it raises a 400 ClientError with `code`; returns its message."""
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"expected {code}, got {got}: {e}")
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, f"{code} is a 400: {e}")
        return e.response["Error"]["Message"]
    raise AssertionError(f"expected {code}, call succeeded")


def expect_validation(message, fn, **kwargs):
    got = expect_error("ValidationException", fn, **kwargs)
    check(got == message, f"expected {message!r}, got {got!r}")


def main():
    endpoint = sys.argv[1]
    session = boto3.session.Session(
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
        region_name="us-east-1",
    )
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    ddb = session.client("dynamodb", endpoint_url=endpoint, config=config)

    ddb.create_table(
        TableName="Legacy",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    key = {"pk": {"S": "p"}, "sk": {"N": "1"}}

    # PutItem with Expected: Exists false creates once, then fails.
    item = dict(key, name={"S": "alice"}, tags={"SS": ["a", "b"]}, n={"N": "5"})
    ddb.put_item(TableName="Legacy", Item=item, Expected={"pk": {"Exists": False}})
    expect_error(
        "ConditionalCheckFailedException",
        ddb.put_item,
        TableName="Legacy",
        Item=item,
        Expected={"pk": {"Exists": False}},
    )
    # Value alone is an equality; ComparisonOperator with AttributeValueList; OR.
    ddb.put_item(TableName="Legacy", Item=item, Expected={"name": {"Value": {"S": "alice"}}})
    ddb.put_item(
        TableName="Legacy",
        Item=item,
        Expected={
            "name": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "bob"}]},
            "n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "9"}]},
        },
        ConditionalOperator="OR",
    )
    expect_error(
        "ConditionalCheckFailedException",
        ddb.put_item,
        TableName="Legacy",
        Item=item,
        Expected={
            "name": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "bob"}]},
            "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]},
        },
        ConditionalOperator="AND",
    )

    # UpdateItem with AttributeUpdates: PUT, ADD to a number and a set, DELETE from a
    # set, DELETE of an attribute; UPDATED_NEW returns what changed.
    out = ddb.update_item(
        TableName="Legacy",
        Key=key,
        AttributeUpdates={
            "n": {"Action": "ADD", "Value": {"N": "2"}},
            "tags": {"Action": "DELETE", "Value": {"SS": ["a"]}},
            "city": {"Action": "PUT", "Value": {"S": "Oslo"}},
            "name": {"Action": "DELETE"},
            "seen": {"Action": "ADD", "Value": {"NS": ["1", "2"]}},
        },
        Expected={"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "6"}]}},
        ReturnValues="UPDATED_NEW",
    )
    attrs = out["Attributes"]
    check(attrs["n"] == {"N": "7"}, f"ADD sums: {attrs}")
    check(attrs["tags"] == {"SS": ["b"]}, f"DELETE removes elements: {attrs}")
    check(attrs["city"] == {"S": "Oslo"}, f"PUT sets: {attrs}")
    check("name" not in attrs, f"DELETE removes the attribute: {attrs}")
    check(sorted(attrs["seen"]["NS"]) == ["1", "2"], f"ADD of a set to nothing: {attrs}")
    expect_validation(
        "Type mismatch for attribute to update",
        ddb.update_item,
        TableName="Legacy",
        Key=key,
        AttributeUpdates={"n": {"Action": "ADD", "Value": {"SS": ["x"]}}},
    )
    expect_validation(
        INVALID + "ADD action is not supported for the type S",
        ddb.update_item,
        TableName="Legacy",
        Key=key,
        AttributeUpdates={"n": {"Action": "ADD", "Value": {"S": "x"}}},
    )
    expect_validation(
        INVALID + "Only DELETE action is allowed when no attribute value is specified",
        ddb.update_item,
        TableName="Legacy",
        Key=key,
        AttributeUpdates={"n": {"Action": "PUT"}},
    )

    # GetItem and BatchGetItem with AttributesToGet.
    got = ddb.get_item(TableName="Legacy", Key=key, AttributesToGet=["city", "n"])["Item"]
    check(got == {"city": {"S": "Oslo"}, "n": {"N": "7"}}, f"GetItem AttributesToGet: {got}")
    got = ddb.batch_get_item(
        RequestItems={"Legacy": {"Keys": [key], "AttributesToGet": ["city"]}}
    )["Responses"]["Legacy"]
    check(got == [{"city": {"S": "Oslo"}}], f"BatchGetItem AttributesToGet: {got}")

    for i in range(2, 8):
        ddb.put_item(
            TableName="Legacy",
            Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "n": {"N": str(i * 10)}},
        )

    # Query with KeyConditions, QueryFilter and AttributesToGet, paged by Limit.
    request = dict(
        TableName="Legacy",
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "6"}]},
        },
        QueryFilter={"n": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "40"}]}},
        AttributesToGet=["sk"],
        ScanIndexForward=False,
        Limit=2,
    )
    seen = []
    while True:
        page = ddb.query(**request)
        seen += [int(i["sk"]["N"]) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    check(seen == [6, 5, 4], f"Query with KeyConditions and QueryFilter: {seen}")

    # Scan with ScanFilter and ConditionalOperator.
    items = ddb.scan(
        TableName="Legacy",
        ScanFilter={
            "city": {"ComparisonOperator": "NOT_NULL"},
            "n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "20"}, {"N": "30"}]},
        },
        ConditionalOperator="OR",
    )["Items"]
    check(sorted(int(i["sk"]["N"]) for i in items) == [1, 2, 3], f"ScanFilter OR: {items}")

    # DeleteItem with Expected.
    expect_error(
        "ConditionalCheckFailedException",
        ddb.delete_item,
        TableName="Legacy",
        Key=key,
        Expected={"city": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "B"}]}},
    )
    ddb.delete_item(
        TableName="Legacy",
        Key=key,
        Expected={"city": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "O"}]}},
    )

    # DynamoDB's errors.
    expect_validation(
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
        ddb.put_item,
        TableName="Legacy",
        Item=item,
        Expected={"pk": {"Exists": False}},
        ConditionExpression="attribute_not_exists(pk)",
    )
    expect_validation(
        INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator",
        ddb.scan,
        TableName="Legacy",
        ScanFilter={"n": {"ComparisonOperator": "EQ"}},
    )
    expect_validation(
        "Query condition missed key schema element: pk",
        ddb.query,
        TableName="Legacy",
        KeyConditions={"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}},
    )
    expect_validation(
        "Attempted conditional constraint is not an indexable operation",
        ddb.query,
        TableName="Legacy",
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "sk": {"ComparisonOperator": "NOT_NULL"},
        },
    )
    expect_validation(
        INVALID + "Value must be provided when Exists is true for Attribute: n",
        ddb.put_item,
        TableName="Legacy",
        Item=item,
        Expected={"n": {"Exists": True}},
    )

    print(f"legacy: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
