"""boto3's DynamoDB Streams client against a `--manual-clock` shale-server: the
stream of a table walked from TRIM_HORIZON, LATEST and AT/AFTER_SEQUENCE_NUMBER, a
shard rollover (the test moves the server's clock 4 hours) followed into the child
shard, an expired iterator, DynamoDB's errors, and a disabled stream.

Usage:
    python3 boto3_streams.py http://127.0.0.1:PORT

Exits 0 after printing "streams: N checks passed"; any failed check raises.
"""

import sys
import urllib.request

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
    """Runs fn and checks it raises a 400 ClientError with `code`; returns its message."""
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"expected {code}, got {got}: {e}")
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, f"{code} is a 400: {e}")
        return e.response["Error"]["Message"]
    raise AssertionError(f"expected {code}, call succeeded")


def advance_clock(endpoint, seconds):
    req = urllib.request.Request(f"{endpoint}/_shale/clock/advance?seconds={seconds}",
                                 data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        check(r.status == 200, "the clock moves")


def read_shard(streams, arn, shard_id, max_calls=100):
    """Every record of a shard from TRIM_HORIZON: to its end if closed, else until a
    page comes back empty. Returns (records, closed)."""
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = []
    for _ in range(max_calls):
        page = streams.get_records(ShardIterator=it)
        out.extend(page["Records"])
        if "NextShardIterator" not in page:
            return out, True
        if not page["Records"]:
            return out, False
        it = page["NextShardIterator"]
    raise AssertionError("shard never ended")


def key_of(record):
    return record["dynamodb"]["Keys"]["pk"]["S"]


def main():
    endpoint = sys.argv[1]
    session = boto3.session.Session(
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
        region_name="us-east-1",
    )
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    ddb = session.client("dynamodb", endpoint_url=endpoint, config=config)
    streams = session.client("dynamodbstreams", endpoint_url=endpoint, config=config)

    table = ddb.create_table(
        TableName="Orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    arn = table["LatestStreamArn"]
    check(arn.endswith("/stream/" + table["LatestStreamLabel"]), arn)
    desc = ddb.describe_table(TableName="Orders")["Table"]
    check(desc["StreamSpecification"] == {"StreamEnabled": True,
                                          "StreamViewType": "NEW_AND_OLD_IMAGES"}, desc)

    for k in ["a", "b", "c"]:
        ddb.put_item(TableName="Orders", Item={"pk": {"S": k}, "n": {"N": "1"}})
    ddb.update_item(TableName="Orders", Key={"pk": {"S": "a"}},
                    UpdateExpression="SET n = :two", ExpressionAttributeValues={":two": {"N": "2"}})
    ddb.delete_item(TableName="Orders", Key={"pk": {"S": "b"}})

    listed = streams.list_streams(TableName="Orders")["Streams"]
    check([s["StreamArn"] for s in listed] == [arn], listed)
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    check(d["StreamStatus"] == "ENABLED" and d["StreamViewType"] == "NEW_AND_OLD_IMAGES", d)
    check(d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}], d)
    check(len(d["Shards"]) == 1, d)
    shard = d["Shards"][0]["ShardId"]

    records, closed = read_shard(streams, arn, shard)
    check(not closed, "the current shard is open")
    events = [(r["eventName"], key_of(r)) for r in records]
    check(events == [("INSERT", "a"), ("INSERT", "b"), ("INSERT", "c"),
                     ("MODIFY", "a"), ("REMOVE", "b")], events)
    modify = records[3]["dynamodb"]
    check(modify["OldImage"]["n"] == {"N": "1"} and modify["NewImage"]["n"] == {"N": "2"}, modify)
    check("NewImage" not in records[4]["dynamodb"], records[4])
    check(all(r["eventSource"] == "aws:dynamodb" for r in records), "eventSource")
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    check(seqs == sorted(seqs) and all(s.isdecimal() for s in seqs), seqs)

    at = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                    ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    SequenceNumber=seqs[3])["ShardIterator"]
    check([key_of(r) for r in streams.get_records(ShardIterator=at)["Records"]] == ["a", "b"],
          "AT_SEQUENCE_NUMBER")
    after = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                       ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                       SequenceNumber=seqs[3])["ShardIterator"]
    check([key_of(r) for r in streams.get_records(ShardIterator=after)["Records"]] == ["b"],
          "AFTER_SEQUENCE_NUMBER")
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                        ShardIteratorType="LATEST")["ShardIterator"]
    ddb.put_item(TableName="Orders", Item={"pk": {"S": "d"}})
    page = streams.get_records(ShardIterator=latest, Limit=10)
    check([key_of(r) for r in page["Records"]] == ["d"], "LATEST sees only what follows")

    # Four hours later the shard rolls over; the child names its parent.
    advance_clock(endpoint, 4 * 3600 + 1)
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    check(len(d["Shards"]) == 2, d)
    parent, child = d["Shards"]
    check(child["ParentShardId"] == parent["ShardId"], d)
    check("EndingSequenceNumber" in parent["SequenceNumberRange"], parent)
    ddb.put_item(TableName="Orders", Item={"pk": {"S": "e"}})
    old, closed = read_shard(streams, arn, parent["ShardId"])
    check(closed and [key_of(r) for r in old][-1] == "d", "the parent ends after d")
    new, closed = read_shard(streams, arn, child["ShardId"])
    check(not closed and [key_of(r) for r in new] == ["e"], "the child holds e")

    # An iterator lasts 15 minutes.
    stale = streams.get_shard_iterator(StreamArn=arn, ShardId=child["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    advance_clock(endpoint, 15 * 60 + 1)
    expect_error("ExpiredIteratorException", streams.get_records, ShardIterator=stale)

    # DynamoDB's errors.
    msg = expect_error("ValidationException", streams.get_records, ShardIterator="garbage")
    check(msg == "Invalid ShardIterator", msg)
    msg = expect_error("ResourceNotFoundException", streams.get_shard_iterator, StreamArn=arn,
                       ShardId="shardId-00000000000000000000-00000000",
                       ShardIteratorType="TRIM_HORIZON")
    check(msg == "Requested resource not found: Shard does not exist", msg)
    msg = expect_error("ValidationException", ddb.update_table, TableName="Orders",
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    check(msg == "Table already has an enabled stream: TableName: Orders", msg)

    # Disabled: still readable, DISABLED, and DescribeTable keeps LatestStreamArn only.
    ddb.update_table(TableName="Orders", StreamSpecification={"StreamEnabled": False})
    desc = ddb.describe_table(TableName="Orders")["Table"]
    check("StreamSpecification" not in desc and desc["LatestStreamArn"] == arn, desc)
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    check(d["StreamStatus"] == "DISABLED", d)
    print(f"streams: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
