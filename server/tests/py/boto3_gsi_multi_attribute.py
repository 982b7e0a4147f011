"""boto3 against a running shale-server: a GSI with a multi-attribute key (two
partition-key and two sort-key attributes), created with the table and queried with
equality on both partition attributes and the sort attributes left to right; DynamoDB's
message for a skipped sort attribute; DescribeTable's key schema.

Usage:
    python3 boto3_gsi_multi_attribute.py http://127.0.0.1:PORT

Exits 0 after printing "gsi multi-attribute: N checks passed"; any failed check raises.
"""

import sys

import boto3
from boto3.dynamodb.conditions import Key
from botocore.config import Config
from botocore.exceptions import ClientError

CHECKS = 0


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def main():
    endpoint = sys.argv[1]
    session = boto3.session.Session(
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
        region_name="us-east-1",
    )
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    ddb = session.client("dynamodb", endpoint_url=endpoint, config=config)
    resource = session.resource("dynamodb", endpoint_url=endpoint, config=config)

    schema = [
        {"AttributeName": "tourney", "KeyType": "HASH"},
        {"AttributeName": "area", "KeyType": "HASH"},
        {"AttributeName": "rnd", "KeyType": "RANGE"},
        {"AttributeName": "bracket", "KeyType": "RANGE"},
    ]
    ddb.create_table(
        TableName="Matches",
        KeySchema=[{"AttributeName": "matchId", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "matchId", "AttributeType": "S"},
            {"AttributeName": "tourney", "AttributeType": "S"},
            {"AttributeName": "area", "AttributeType": "S"},
            {"AttributeName": "rnd", "AttributeType": "N"},
            {"AttributeName": "bracket", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[{
            "IndexName": "ByBracket",
            "KeySchema": schema,
            "Projection": {"ProjectionType": "ALL"},
        }],
    )
    described = ddb.describe_table(TableName="Matches")["Table"]["GlobalSecondaryIndexes"][0]
    check(described["KeySchema"] == schema, described)

    table = resource.Table("Matches")
    rows = [("m1", "W24", "EU", 1, "upper"), ("m2", "W24", "EU", 1, "lower"),
            ("m3", "W24", "EU", 2, "upper"), ("m4", "W24", "NA", 1, "upper")]
    for mid, t, a, r, b in rows:
        table.put_item(Item={"matchId": mid, "tourney": t, "area": a, "rnd": r, "bracket": b})
    table.put_item(Item={"matchId": "m5", "tourney": "W24", "area": "EU"})  # sparse

    def ids(cond):
        # GSIs are eventually consistent; Shale's worker catches up within milliseconds.
        for _ in range(200):
            got = [i["matchId"] for i in table.query(IndexName="ByBracket",
                                                     KeyConditionExpression=cond)["Items"]]
            if got:
                return got
        return []

    pk = Key("tourney").eq("W24") & Key("area").eq("EU")
    check(ids(pk) == ["m2", "m1", "m3"], ids(pk))
    check(ids(pk & Key("rnd").eq(1)) == ["m2", "m1"], "rnd = 1")
    check(ids(pk & Key("rnd").eq(1) & Key("bracket").begins_with("up")) == ["m1"], "prefix")
    check(ids(pk & Key("rnd").gte(2)) == ["m3"], "range on the first sort attribute")
    try:
        table.query(IndexName="ByBracket",
                    KeyConditionExpression=pk & Key("bracket").eq("upper"))
        raise AssertionError("a skipped sort attribute was accepted")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "ValidationException", e)
        msg = e.response["Error"]["Message"]
        check(msg == "RANGE key attributes rnd must have equality conditions specified in "
                     "the query because a condition is present on key attribute bracket", msg)
    print(f"gsi multi-attribute: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
