"""boto3 against a running shale-server: PartiQL's ExecuteStatement (INSERT, SELECT with
parameters, paging, UPDATE, DELETE), BatchExecuteStatement and ExecuteTransaction, with
DynamoDB's errors.

Usage:
    python3 boto3_partiql.py http://127.0.0.1:PORT

Exits 0 after printing "partiql: N checks passed"; any failed check raises.
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
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"expected {code}, got {got}: {e}")
        return e.response["Error"]["Message"]
    raise AssertionError(f"expected {code}, call succeeded")


def main():
    session = boto3.session.Session(
        aws_access_key_id="anything", aws_secret_access_key="anything", region_name="us-east-1")
    ddb = session.client("dynamodb", endpoint_url=sys.argv[1],
                         config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    ddb.create_table(
        TableName="Songs",
        KeySchema=[{"AttributeName": "artist", "KeyType": "HASH"},
                   {"AttributeName": "song", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "artist", "AttributeType": "S"},
                              {"AttributeName": "song", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(5):
        ddb.execute_statement(
            Statement="INSERT INTO \"Songs\" VALUE {'artist': ?, 'song': ?, 'plays': ?}",
            Parameters=[{"S": "acme"}, {"S": f"s{i}"}, {"N": str(i)}])
    msg = expect_error("DuplicateItemException", ddb.execute_statement,
                       Statement="INSERT INTO Songs VALUE {'artist': 'acme', 'song': 's0'}")
    check(msg == "Duplicate primary key exists in table", msg)

    # A query by partition, paged by Limit and NextToken.
    seen, token = [], None
    for _ in range(10):
        kwargs = {"Statement": "SELECT song, plays FROM Songs WHERE artist = ? AND plays >= ?",
                  "Parameters": [{"S": "acme"}, {"N": "1"}], "Limit": 2}
        if token:
            kwargs["NextToken"] = token
        page = ddb.execute_statement(**kwargs)
        seen += page["Items"]
        token = page.get("NextToken")
        if not token:
            break
    check(sorted(i["song"]["S"] for i in seen) == ["s1", "s2", "s3", "s4"], f"{seen}")

    ddb.execute_statement(
        Statement="UPDATE Songs SET plays = plays + 10 WHERE artist = 'acme' AND song = 's1'")
    got = ddb.execute_statement(
        Statement="SELECT plays FROM Songs WHERE artist = 'acme' AND song = 's1'")["Items"]
    check(got == [{"plays": {"N": "11"}}], f"{got}")
    msg = expect_error("ValidationException", ddb.execute_statement,
                       Statement="UPDATE Songs SET plays = 1 WHERE artist = 'acme'")
    check(msg == "Where clause does not contain a mandatory equality on all key attributes", msg)
    expect_error("ConditionalCheckFailedException", ddb.execute_statement,
                 Statement="DELETE FROM Songs WHERE artist = 'acme' AND song = 's2' AND plays = 99")
    ddb.execute_statement(Statement="DELETE FROM Songs WHERE artist = 'acme' AND song = 's2'")
    msg = expect_error("ValidationException", ddb.execute_statement, Statement="SELEC * FROM Songs")
    check(msg == "Statement wasn't well formed, can't be processed: Expected data manipulation", msg)

    # BatchExecuteStatement: each statement alone.
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "INSERT INTO Songs VALUE {'artist': 'zed', 'song': 'a'}"},
        {"Statement": "INSERT INTO Songs VALUE {'artist': 'acme', 'song': 's0'}"},
    ])["Responses"]
    check("Error" not in out[0], f"{out[0]}")
    check(out[1]["Error"]["Code"] == "DuplicateItem", f"{out[1]}")

    # ExecuteTransaction: all or nothing, then a read transaction.
    try:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": "INSERT INTO Songs VALUE {'artist': 'tx', 'song': 'a'}"},
            {"Statement": "EXISTS(SELECT * FROM Songs WHERE artist = 'acme' AND song = 's0' AND plays = 7)"},
        ])
        raise AssertionError("the transaction should have been cancelled")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "TransactionCanceledException", f"{e}")
        reasons = [r["Code"] for r in e.response.get("CancellationReasons", [])]
        check(reasons == ["None", "ConditionalCheckFailed"], f"{reasons}")
    ddb.execute_transaction(TransactStatements=[
        {"Statement": "INSERT INTO Songs VALUE {'artist': 'tx', 'song': 'a'}"},
        {"Statement": "UPDATE Songs SET plays = 0 WHERE artist = 'acme' AND song = 's0'"},
    ])
    read = ddb.execute_transaction(TransactStatements=[
        {"Statement": "SELECT * FROM Songs WHERE artist = 'tx' AND song = 'a'"},
        {"Statement": "SELECT * FROM Songs WHERE artist = 'nobody' AND song = 'a'"},
    ])["Responses"]
    check(read[0]["Item"]["artist"]["S"] == "tx" and "Item" not in read[1], f"{read}")

    print(f"partiql: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
