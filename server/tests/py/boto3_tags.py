"""boto3 against a running shale-server: TagResource, UntagResource and
ListTagsOfResource on a table ARN, with DynamoDB's errors.

Usage:
    python3 boto3_tags.py http://127.0.0.1:PORT

Exits 0 after printing "tags: N checks passed"; any failed check raises.
"""

import sys

from ddb_check import Checks, client

# DynamoDB's limit of user tags on one resource.
TAGS_PER_RESOURCE_MAX = 50


def tags_of(ddb, arn):
    return {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}


def main():
    checks = Checks()
    check, expect_error = checks.check, checks.expect_error
    ddb = client(sys.argv[1])

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

    print(f"tags: {checks.passed} checks passed")


if __name__ == "__main__":
    main()
