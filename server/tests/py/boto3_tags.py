"""boto3 against a running shale-server: TagResource, UntagResource and
ListTagsOfResource on a table ARN, with DynamoDB's errors.

Usage:
    python3 boto3_tags.py http://127.0.0.1:PORT

Exits 0 after printing "tags: N checks passed"; any failed check raises.
"""

import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# DynamoDB's limit of user tags on one resource.
TAGS_PER_RESOURCE_MAX = 50

CHECKS = 0


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


def tags_of(ddb, arn):
    return {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}


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
        TableName="Tagged",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]

    check(tags_of(ddb, arn) == {}, "a new table has no tags")
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "test"},
                                            {"Key": "team", "Value": "storage"}])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    check(tags_of(ddb, arn) == {"env": "prod", "team": "storage"}, "tag, then overwrite")
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team", "absent"])
    check(tags_of(ddb, arn) == {"env": "prod"}, "untag ignores absent keys")

    msg = expect_error("ValidationException", ddb.tag_resource, ResourceArn=arn,
                       Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(TAGS_PER_RESOURCE_MAX)])
    check(msg == "Number of Tags exceed the current limit for the provided ResourceArn", msg)
    msg = expect_error("ValidationException", ddb.tag_resource, ResourceArn=arn,
                       Tags=[{"Key": "aws:cost", "Value": "v"}])
    check(msg == "Tag Key cannot be prefixed with aws:, Key: aws:cost", msg)
    missing = arn.replace("table/Tagged", "table/Missing")
    msg = expect_error("ResourceNotFoundException", ddb.list_tags_of_resource, ResourceArn=missing)
    check(msg == f"Requested resource not found: ResourcArn: {missing} not found", msg)
    msg = expect_error("ValidationException", ddb.list_tags_of_resource,
                       ResourceArn=arn + "/index/gsi")
    check(msg.startswith("Invalid TableArn: Invalid ResourceArn provided as input"), msg)

    ddb.delete_table(TableName="Tagged")
    ddb.create_table(
        TableName="Tagged",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    check(tags_of(ddb, arn) == {}, "a table re-created under the same name has no tags")

    print(f"tags: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
