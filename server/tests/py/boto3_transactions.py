"""boto3 against a running shale-server: TransactWriteItems and TransactGetItems, with
DynamoDB's cancellation reasons, validation errors and ClientRequestToken idempotency.

Usage:
    python3 boto3_transactions.py http://127.0.0.1:PORT

Exits 0 after printing "transactions: N checks passed"; any failed check raises.
"""

import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

CHECKS = 0


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def expect_error(code, fn, **kwargs):
    """Runs fn and checks it raises a 400 ClientError with `code`; returns the error."""
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"expected {code}, got {got}: {e}")
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, f"{code} is a 400: {e}")
        return e.response
    raise AssertionError(f"expected {code}, call succeeded")


def balance(ddb, pk):
    item = ddb.get_item(TableName="Acc", Key={"pk": {"S": pk}}, ConsistentRead=True)["Item"]
    return int(item["balance"]["N"])


def transfer(amount, frm="a", to="b"):
    amt = {":amt": {"N": str(amount)}}
    return [
        {"Update": {"TableName": "Acc", "Key": {"pk": {"S": frm}},
                    "UpdateExpression": "SET balance = balance - :amt",
                    "ConditionExpression": "balance >= :amt",
                    "ExpressionAttributeValues": amt,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Update": {"TableName": "Acc", "Key": {"pk": {"S": to}},
                    "UpdateExpression": "SET balance = balance + :amt",
                    "ExpressionAttributeValues": amt}},
    ]


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
        TableName="Acc",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for pk, bal in (("a", 100), ("b", 0)):
        ddb.put_item(TableName="Acc", Item={"pk": {"S": pk}, "balance": {"N": str(bal)}})

    # A transfer, with its capacity: two 1-unit writes, doubled.
    out = ddb.transact_write_items(TransactItems=transfer(30), ReturnConsumedCapacity="TOTAL")
    cc = out["ConsumedCapacity"]
    check(cc[0]["TableName"] == "Acc" and cc[0]["CapacityUnits"] == 4.0, f"capacity {cc}")
    check((balance(ddb, "a"), balance(ddb, "b")) == (70, 30), "the transfer applied")

    # TransactGetItems: positional responses, an absent item as an empty response.
    got = ddb.transact_get_items(
        TransactItems=[{"Get": {"TableName": "Acc", "Key": {"pk": {"S": k}}}}
                       for k in ("b", "nobody", "a")],
        ReturnConsumedCapacity="TOTAL",
    )
    responses = got["Responses"]
    check(len(responses) == 3, f"three responses: {responses}")
    check(responses[0]["Item"]["balance"]["N"] == "30", f"b: {responses[0]}")
    check("Item" not in responses[1], f"absent: {responses[1]}")
    check(got["ConsumedCapacity"][0]["CapacityUnits"] == 6.0, f"{got['ConsumedCapacity']}")

    # A failed condition: everything cancelled, reasons in place, ALL_OLD's item.
    resp = expect_error("TransactionCanceledException", ddb.transact_write_items,
                        TransactItems=transfer(1000))
    msg = resp["Error"]["Message"]
    check(msg == "Transaction cancelled, please refer cancellation reasons for specific "
                 "reasons [ConditionalCheckFailed, None]", msg)
    reasons = resp.get("CancellationReasons")
    check(reasons is not None, f"botocore parses CancellationReasons: {resp}")
    check([r["Code"] for r in reasons] == ["ConditionalCheckFailed", "None"], f"{reasons}")
    check(reasons[0]["Item"]["balance"]["N"] == "70", f"ALL_OLD item: {reasons[0]}")
    check((balance(ddb, "a"), balance(ddb, "b")) == (70, 30), "nothing applied")

    # Validation: two actions on one item, a missing table, too many actions.
    resp = expect_error("ValidationException", ddb.transact_write_items, TransactItems=[
        {"ConditionCheck": {"TableName": "Acc", "Key": {"pk": {"S": "a"}},
                            "ConditionExpression": "attribute_exists(pk)"}},
        {"Delete": {"TableName": "Acc", "Key": {"pk": {"S": "a"}}}},
    ])
    msg = resp["Error"]["Message"]
    check(msg == "Transaction request cannot include multiple operations on one item", msg)
    expect_error("ResourceNotFoundException", ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": "Missing", "Item": {"pk": {"S": "x"}}}}])
    expect_error("ValidationException", ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": "Acc", "Item": {"pk": {"S": f"k{i}"}}}} for i in range(101)])

    # ClientRequestToken: the same request again is not applied twice; another request
    # with the token is a mismatch.
    ddb.transact_write_items(TransactItems=transfer(5), ClientRequestToken="token-1")
    ddb.transact_write_items(TransactItems=transfer(5), ClientRequestToken="token-1")
    check((balance(ddb, "a"), balance(ddb, "b")) == (65, 35), "applied once")
    expect_error("IdempotentParameterMismatchException", ddb.transact_write_items,
                 TransactItems=transfer(6), ClientRequestToken="token-1")

    print(f"transactions: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
