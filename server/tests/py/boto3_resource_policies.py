"""boto3 against a running shale-server: PutResourcePolicy, GetResourcePolicy and
DeleteResourcePolicy on a table ARN, with revisions and DynamoDB's exception names, and
CreateTable's ResourcePolicy.

Usage:
    python3 boto3_resource_policies.py http://127.0.0.1:PORT

Exits 0 after printing "resource policies: N checks passed"; any failed check raises.
"""

import json
import sys

from ddb_check import Checks, client


def main():
    checks = Checks()
    check, expect_error = checks.check, checks.expect_error
    ddb = client(sys.argv[1])

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

    # CreateTable attaches a policy given with the table.
    born = ddb.create_table(
        TableName="GovernedAtBirth",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        ResourcePolicy=policy,
    )["TableDescription"]["TableArn"]
    got = ddb.get_resource_policy(ResourceArn=born)
    check(got["Policy"] == policy and got["RevisionId"].isdigit(), f"at creation: {got}")

    print(f"resource policies: {checks.passed} checks passed")


if __name__ == "__main__":
    main()
