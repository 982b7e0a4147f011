"""boto3 against a running shale-server: PutResourcePolicy, GetResourcePolicy and
DeleteResourcePolicy on a table ARN, with revisions and DynamoDB's exception names.

Usage:
    python3 boto3_resource_policies.py http://127.0.0.1:PORT

Exits 0 after printing "resource policies: N checks passed"; any failed check raises.
"""

import json
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
    """Runs fn and checks it raises a 400 ClientError with `code`."""
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"expected {code}, got {got}: {e}")
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, f"{code} is a 400: {e}")
        return
    raise AssertionError(f"expected {code}, call succeeded")


def main():
    endpoint = sys.argv[1]
    session = boto3.session.Session(
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
        region_name="us-east-1",
    )
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    ddb = session.client("dynamodb", endpoint_url=endpoint, config=config)

    arn = ddb.create_table(
        TableName="Governed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    policy = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                       "Action": "dynamodb:GetItem", "Resource": arn}],
    })

    expect_error("PolicyNotFoundException", ddb.get_resource_policy, ResourceArn=arn)
    first = ddb.put_resource_policy(ResourceArn=arn, Policy=policy,
                                    ExpectedRevisionId="NO_POLICY")["RevisionId"]
    got = ddb.get_resource_policy(ResourceArn=arn)
    check(got["Policy"] == policy and got["RevisionId"] == first, f"stored: {got}")
    again = ddb.put_resource_policy(ResourceArn=arn, Policy=policy)["RevisionId"]
    check(again == first, "the same document keeps its revision")
    expect_error("PolicyNotFoundException", ddb.put_resource_policy, ResourceArn=arn,
                 Policy=policy, ExpectedRevisionId="NO_POLICY")
    expect_error("PolicyNotFoundException", ddb.delete_resource_policy, ResourceArn=arn,
                 ExpectedRevisionId="1")
    deleted = ddb.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId=first)
    check(deleted["RevisionId"] == first, f"delete names the revision: {deleted}")
    expect_error("PolicyNotFoundException", ddb.get_resource_policy, ResourceArn=arn)
    expect_error("ValidationException", ddb.put_resource_policy, ResourceArn=arn,
                 Policy="not json")
    missing = arn.replace("table/Governed", "table/Missing")
    expect_error("ResourceNotFoundException", ddb.get_resource_policy, ResourceArn=missing)

    print(f"resource policies: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
