"""boto3 against a running shale-server: every operation the engine implements, through
both the low-level client and the high-level resource API.

Usage: python3 boto3_scenario.py http://127.0.0.1:PORT

Exits 0 after printing "boto3 scenario: N checks passed"; any failed check raises
(non-zero exit with a traceback naming the check).
"""

import base64
import sys
import time
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import Binary
from botocore.config import Config
from botocore.exceptions import ClientError

# Bounds on every wait, so a broken server fails the test instead of hanging it.
POLL_INTERVAL_S = 0.05
POLL_DEADLINE_S = 20.0

CHECKS = 0


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def expect_error(code, fn, *args, **kwargs):
    """Runs fn and checks it raises a ClientError with the given code; returns the error."""
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"expected {code}, got {got}: {e}")
        return e
    raise AssertionError(f"expected {code}, call succeeded")


def poll(what, fn):
    """Calls fn until it returns a truthy value, bounded by POLL_DEADLINE_S."""
    deadline = time.monotonic() + POLL_DEADLINE_S
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL_INTERVAL_S)


def wait_active(client, table):
    def active():
        d = client.describe_table(TableName=table)["Table"]
        indexes = d.get("GlobalSecondaryIndexes", [])
        return d["TableStatus"] == "ACTIVE" and all(
            i["IndexStatus"] == "ACTIVE" for i in indexes
        )

    poll(f"{table} ACTIVE", active)


def main(endpoint):
    session = boto3.session.Session(
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
        region_name="us-east-1",
    )
    # No retries: an error must surface as the error, not as a slow retry loop.
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    client = session.client("dynamodb", endpoint_url=endpoint, config=config)
    resource = session.resource("dynamodb", endpoint_url=endpoint, config=config)

    tables(client)
    every_attribute_type(client)
    conditional_writes(client)
    update_expressions(client)
    query_paging(client)
    scans(client)
    batches(client)
    secondary_indexes(client)
    gsi_added_by_update_table(client)
    high_level_resource(client, resource)
    time_to_live(client)
    cleanup(client)
    print(f"boto3 scenario: {CHECKS} checks passed")


def tables(client):
    client.create_table(
        TableName="Music",
        AttributeDefinitions=[
            {"AttributeName": "Artist", "AttributeType": "S"},
            {"AttributeName": "SongTitle", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "Artist", "KeyType": "HASH"},
            {"AttributeName": "SongTitle", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    wait_active(client, "Music")
    d = client.describe_table(TableName="Music")["Table"]
    check(d["TableName"] == "Music", "describe: name")
    check(
        d["KeySchema"]
        == [
            {"AttributeName": "Artist", "KeyType": "HASH"},
            {"AttributeName": "SongTitle", "KeyType": "RANGE"},
        ],
        f"describe: key schema {d['KeySchema']}",
    )
    check(d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", "describe: billing")
    check(d["TableArn"].endswith(":table/Music"), f"describe: arn {d['TableArn']}")
    check("CreationDateTime" in d, "describe: creation time parses")

    expect_error(
        "ResourceInUseException",
        client.create_table,
        TableName="Music",
        AttributeDefinitions=[{"AttributeName": "Artist", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "Artist", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )

    for name in ["Tbl1", "Tbl2", "Tbl3"]:
        client.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        )
    first = client.list_tables(Limit=2)
    check(first["TableNames"] == ["Music", "Tbl1"], f"list page 1 {first}")
    check(first.get("LastEvaluatedTableName") == "Tbl1", "list page 1 cursor")
    second = client.list_tables(ExclusiveStartTableName="Tbl1")
    check(second["TableNames"] == ["Tbl2", "Tbl3"], f"list page 2 {second}")
    paginated = [
        n
        for page in client.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 1})
        for n in page["TableNames"]
    ]
    check(paginated == ["Music", "Tbl1", "Tbl2", "Tbl3"], f"paginator {paginated}")

    updated = client.update_table(
        TableName="Tbl1",
        ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 7},
    )["TableDescription"]
    check(
        updated["ProvisionedThroughput"]["ReadCapacityUnits"] == 10,
        f"update_table throughput {updated['ProvisionedThroughput']}",
    )
    for name in ["Tbl2", "Tbl3"]:
        client.delete_table(TableName=name)
    poll(
        "Tbl2/Tbl3 deleted",
        lambda: client.list_tables()["TableNames"] == ["Music", "Tbl1"],
    )
    expect_error("ResourceNotFoundException", client.describe_table, TableName="Tbl2")


ALL_TYPES_ITEM = {
    "Artist": {"S": "No One You Know"},
    "SongTitle": {"S": "Call Me Today"},
    "S": {"S": "héllo wörld ☃"},
    "EmptyS": {"S": ""},
    "N": {"N": "-12345.678901234567890123456789012345"},
    "Big": {"N": "99999999999999999999999999999999999999"},
    "Tiny": {"N": "0.000000000000000000000000000000000001"},
    "B": {"B": b"\x00\x01\xfe\xff binary"},
    "BOOL": {"BOOL": True},
    "False": {"BOOL": False},
    "NULL": {"NULL": True},
    "M": {"M": {"nested": {"M": {"deep": {"L": [{"N": "1"}, {"S": "two"}]}}}, "e": {"M": {}}}},
    "L": {"L": [{"S": "a"}, {"N": "2"}, {"BOOL": False}, {"NULL": True}, {"L": []}]},
    "SS": {"SS": ["a", "b", "c"]},
    "NS": {"NS": ["1", "2.5", "-3"]},
    "BS": {"BS": [b"\x00", b"\x01\x02"]},
}


def normalise_sets(item):
    """Sets have no order in DynamoDB: compare them as sets."""
    out = {}
    for k, v in item.items():
        (t, x), = v.items()
        if t in ("SS", "NS", "BS"):
            out[k] = {t: sorted(x)}
        elif t == "M":
            out[k] = {"M": normalise_sets(x)}
        else:
            out[k] = v
    return out


def every_attribute_type(client):
    out = client.put_item(TableName="Music", Item=ALL_TYPES_ITEM, ReturnConsumedCapacity="TOTAL")
    cc = out.get("ConsumedCapacity")
    check(cc is not None and cc["TableName"] == "Music", f"put consumed capacity {out}")
    check(cc["CapacityUnits"] >= 1, f"put capacity units {cc}")
    got = client.get_item(
        TableName="Music",
        Key={"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}},
        ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL",
    )
    check(got["ConsumedCapacity"]["CapacityUnits"] == 1.0, f"get capacity {got['ConsumedCapacity']}")
    check(
        normalise_sets(got["Item"]) == normalise_sets(ALL_TYPES_ITEM),
        f"every type round-trips exactly: {got['Item']}",
    )
    # Numbers come back canonical: trailing zeros trimmed, as DynamoDB does.
    client.put_item(
        TableName="Music",
        Item={"Artist": {"S": "Num"}, "SongTitle": {"S": "x"}, "n": {"N": "1.500"}},
    )
    n = client.get_item(TableName="Music", Key={"Artist": {"S": "Num"}, "SongTitle": {"S": "x"}})
    check(n["Item"]["n"] == {"N": "1.5"}, f"canonical number {n['Item']['n']}")
    projected = client.get_item(
        TableName="Music",
        Key={"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}},
        ProjectionExpression="#m.nested, L[1]",
        ExpressionAttributeNames={"#m": "M"},
    )["Item"]
    check(
        projected
        == {
            "M": {"M": {"nested": ALL_TYPES_ITEM["M"]["M"]["nested"]}},
            "L": {"L": [{"N": "2"}]},
        },
        f"projection {projected}",
    )
    missing = client.get_item(TableName="Music", Key={"Artist": {"S": "x"}, "SongTitle": {"S": "y"}})
    check("Item" not in missing, "missing item has no Item member")
    expect_error(
        "ValidationException",
        client.get_item,
        TableName="Music",
        Key={"Artist": {"S": "x"}},
    )


def conditional_writes(client):
    key = {"Artist": {"S": "Cond"}, "SongTitle": {"S": "One"}}
    client.put_item(
        TableName="Music",
        Item={**key, "v": {"N": "1"}},
        ConditionExpression="attribute_not_exists(Artist)",
    )
    e = expect_error(
        "ConditionalCheckFailedException",
        client.put_item,
        TableName="Music",
        Item={**key, "v": {"N": "2"}},
        ConditionExpression="attribute_not_exists(Artist)",
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    check(e.response.get("Item") == {**key, "v": {"N": "1"}}, f"old item on failure {e.response}")
    old = client.put_item(
        TableName="Music",
        Item={**key, "v": {"N": "3"}},
        ConditionExpression="v = :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_OLD",
    )
    check(old["Attributes"] == {**key, "v": {"N": "1"}}, f"ALL_OLD {old}")
    expect_error(
        "ConditionalCheckFailedException",
        client.delete_item,
        TableName="Music",
        Key=key,
        ConditionExpression="v > :ten",
        ExpressionAttributeValues={":ten": {"N": "10"}},
    )
    deleted = client.delete_item(TableName="Music", Key=key, ReturnValues="ALL_OLD")
    check(deleted["Attributes"]["v"] == {"N": "3"}, f"delete ALL_OLD {deleted}")
    check("Item" not in client.get_item(TableName="Music", Key=key), "deleted")
    expect_error(
        "ValidationException",
        client.put_item,
        TableName="Music",
        Item={**key},
        ConditionExpression="v = :unused_typo",
        ExpressionAttributeValues={":other": {"N": "1"}},
    )


def update_expressions(client):
    key = {"Artist": {"S": "Upd"}, "SongTitle": {"S": "One"}}
    out = client.update_item(
        TableName="Music",
        Key=key,
        UpdateExpression="SET plays = :zero, tags = :tags, info = :info, lst = :lst",
        ExpressionAttributeValues={
            ":zero": {"N": "0"},
            ":tags": {"SS": ["rock"]},
            ":info": {"M": {"year": {"N": "1999"}}},
            ":lst": {"L": [{"S": "a"}]},
        },
        ReturnValues="ALL_NEW",
    )
    check(out["Attributes"]["plays"] == {"N": "0"}, f"upsert ALL_NEW {out}")
    out = client.update_item(
        TableName="Music",
        Key=key,
        UpdateExpression=(
            "SET plays = plays + :one, info.#y = :y, lst = list_append(lst, :more), "
            "fresh = if_not_exists(fresh, :f) ADD tags :pop, hits :one REMOVE gone"
        ),
        ExpressionAttributeNames={"#y": "year"},
        ExpressionAttributeValues={
            ":one": {"N": "1"},
            ":y": {"N": "2000"},
            ":more": {"L": [{"S": "b"}]},
            ":f": {"S": "new"},
            ":pop": {"SS": ["pop"]},
        },
        ConditionExpression="attribute_exists(plays)",
        ReturnValues="UPDATED_NEW",
    )
    a = out["Attributes"]
    check(a["plays"] == {"N": "1"}, f"SET + {a}")
    check(a["info"] == {"M": {"year": {"N": "2000"}}}, f"nested SET {a}")
    check(a["lst"] == {"L": [{"S": "a"}, {"S": "b"}]}, f"list_append {a}")
    check(a["fresh"] == {"S": "new"}, f"if_not_exists {a}")
    check(sorted(a["tags"]["SS"]) == ["pop", "rock"], f"ADD set {a}")
    check(a["hits"] == {"N": "1"}, f"ADD number creates {a}")
    out = client.update_item(
        TableName="Music",
        Key=key,
        UpdateExpression="DELETE tags :rock REMOVE fresh",
        ExpressionAttributeValues={":rock": {"SS": ["rock"]}},
        ReturnValues="UPDATED_OLD",
    )
    check(sorted(out["Attributes"]["tags"]["SS"]) == ["pop", "rock"], f"UPDATED_OLD {out}")
    item = client.get_item(TableName="Music", Key=key, ConsistentRead=True)["Item"]
    check(item["tags"] == {"SS": ["pop"]} and "fresh" not in item, f"DELETE/REMOVE {item}")
    expect_error(
        "ValidationException",
        client.update_item,
        TableName="Music",
        Key=key,
        UpdateExpression="SET plays = plays + :s",
        ExpressionAttributeValues={":s": {"S": "x"}},
    )
    expect_error(
        "ValidationException",
        client.update_item,
        TableName="Music",
        Key=key,
        UpdateExpression="SET Artist = :s",
        ExpressionAttributeValues={":s": {"S": "x"}},
    )


def query_paging(client):
    with_items = [
        {"PutRequest": {"Item": {"Artist": {"S": "Pager"}, "SongTitle": {"S": f"song{i:02}"}, "i": {"N": str(i)}}}}
        for i in range(30)
    ]
    for start in range(0, 30, 25):
        out = client.batch_write_item(RequestItems={"Music": with_items[start : start + 25]})
        check(not out["UnprocessedItems"], f"batch write {out['UnprocessedItems']}")
    seen = []
    start_key = None
    pages = 0
    while True:
        kwargs = dict(
            TableName="Music",
            KeyConditionExpression="Artist = :a AND begins_with(SongTitle, :p)",
            ExpressionAttributeValues={":a": {"S": "Pager"}, ":p": {"S": "song"}},
            Limit=7,
        )
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        page = client.query(**kwargs)
        pages += 1
        check(page["Count"] <= 7, "page respects Limit")
        seen += [it["SongTitle"]["S"] for it in page["Items"]]
        start_key = page.get("LastEvaluatedKey")
        if not start_key or pages > 10:
            break
    check(seen == [f"song{i:02}" for i in range(30)], f"paged query in sort order {seen}")
    check(pages in (5, 6), f"pages {pages}")
    back = client.query(
        TableName="Music",
        KeyConditionExpression="Artist = :a AND SongTitle BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":a": {"S": "Pager"}, ":lo": {"S": "song10"}, ":hi": {"S": "song12"}},
        ScanIndexForward=False,
    )
    check([it["SongTitle"]["S"] for it in back["Items"]] == ["song12", "song11", "song10"], f"reverse {back}")
    filtered = client.query(
        TableName="Music",
        KeyConditionExpression="Artist = :a",
        FilterExpression="i >= :n",
        ExpressionAttributeValues={":a": {"S": "Pager"}, ":n": {"N": "25"}},
        Select="COUNT",
    )
    check(filtered["Count"] == 5 and filtered["ScannedCount"] == 30, f"filter counts {filtered}")
    paginated = [
        it
        for page in client.get_paginator("query").paginate(
            TableName="Music",
            KeyConditionExpression="Artist = :a",
            ExpressionAttributeValues={":a": {"S": "Pager"}},
            PaginationConfig={"PageSize": 4},
        )
        for it in page["Items"]
    ]
    check(len(paginated) == 30, f"query paginator {len(paginated)}")


def scans(client):
    everything = [
        it
        for page in client.get_paginator("scan").paginate(
            TableName="Music", PaginationConfig={"PageSize": 9}
        )
        for it in page["Items"]
    ]
    pager = [it for it in everything if it["Artist"]["S"] == "Pager"]
    check(len(pager) == 30, f"scan sees all Pager items: {len(pager)}")
    segments = []
    for seg in range(3):
        items = []
        start_key = None
        for _ in range(100):
            kwargs = dict(TableName="Music", Segment=seg, TotalSegments=3, Limit=10)
            if start_key:
                kwargs["ExclusiveStartKey"] = start_key
            page = client.scan(**kwargs)
            items += page["Items"]
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                break
        segments.append(items)
    keys = [(it["Artist"]["S"], it["SongTitle"]["S"]) for s in segments for it in s]
    check(len(keys) == len(set(keys)) == len(everything), "parallel segments partition the table")
    f = client.scan(
        TableName="Music",
        FilterExpression="attribute_exists(i) AND i < :five",
        ProjectionExpression="i",
        ExpressionAttributeValues={":five": {"N": "5"}},
    )
    check(sorted(int(it["i"]["N"]) for it in f["Items"]) == [0, 1, 2, 3, 4], f"scan filter {f}")
    check(all(list(it) == ["i"] for it in f["Items"]), "scan projection")


def batches(client):
    keys = [{"Artist": {"S": "Pager"}, "SongTitle": {"S": f"song{i:02}"}} for i in range(0, 30, 3)]
    keys.append({"Artist": {"S": "Nobody"}, "SongTitle": {"S": "none"}})
    out = client.batch_get_item(
        RequestItems={"Music": {"Keys": keys, "ProjectionExpression": "SongTitle, i"}}
    )
    got = sorted(int(it["i"]["N"]) for it in out["Responses"]["Music"])
    check(got == list(range(0, 30, 3)), f"batch get {got}")
    check(not out["UnprocessedKeys"], "no unprocessed keys")
    out = client.batch_write_item(
        RequestItems={
            "Music": [
                {"DeleteRequest": {"Key": {"Artist": {"S": "Pager"}, "SongTitle": {"S": "song00"}}}},
                {"PutRequest": {"Item": {"Artist": {"S": "Batch"}, "SongTitle": {"S": "b"}}}},
            ]
        }
    )
    check(not out["UnprocessedItems"], "batch write processed")
    check(
        "Item" not in client.get_item(TableName="Music", Key={"Artist": {"S": "Pager"}, "SongTitle": {"S": "song00"}}),
        "batch delete",
    )
    expect_error(
        "ValidationException",
        client.batch_write_item,
        RequestItems={
            "Music": [
                {"PutRequest": {"Item": {"Artist": {"S": "Dup"}, "SongTitle": {"S": "d"}}}},
                {"PutRequest": {"Item": {"Artist": {"S": "Dup"}, "SongTitle": {"S": "d"}}}},
            ]
        },
    )
    expect_error(
        "ValidationException",
        client.batch_write_item,
        RequestItems={
            "Music": [
                {"PutRequest": {"Item": {"Artist": {"S": "Many"}, "SongTitle": {"S": str(i)}}}}
                for i in range(26)
            ]
        },
    )


def secondary_indexes(client):
    client.create_table(
        TableName="Games",
        AttributeDefinitions=[
            {"AttributeName": "UserId", "AttributeType": "S"},
            {"AttributeName": "GameTitle", "AttributeType": "S"},
            {"AttributeName": "TopScore", "AttributeType": "N"},
            {"AttributeName": "Wins", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "UserId", "KeyType": "HASH"},
            {"AttributeName": "GameTitle", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "GameTitleIndex",
                "KeySchema": [
                    {"AttributeName": "GameTitle", "KeyType": "HASH"},
                    {"AttributeName": "TopScore", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Wins"]},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "WinsIndex",
                "KeySchema": [
                    {"AttributeName": "UserId", "KeyType": "HASH"},
                    {"AttributeName": "Wins", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    wait_active(client, "Games")
    d = client.describe_table(TableName="Games")["Table"]
    check([i["IndexName"] for i in d["GlobalSecondaryIndexes"]] == ["GameTitleIndex"], "describe GSI")
    check([i["IndexName"] for i in d["LocalSecondaryIndexes"]] == ["WinsIndex"], "describe LSI")
    rows = [
        ("u1", "Galaxy", 100, 3),
        ("u2", "Galaxy", 300, 1),
        ("u3", "Galaxy", 200, 7),
        ("u1", "Meteor", 50, 9),
        ("u1", "Comet", 75, 5),
    ]
    for user, game, score, wins in rows:
        client.put_item(
            TableName="Games",
            Item={
                "UserId": {"S": user},
                "GameTitle": {"S": game},
                "TopScore": {"N": str(score)},
                "Wins": {"N": str(wins)},
                "Secret": {"S": "not projected"},
            },
        )
    # Sparse: no TopScore, so absent from the GSI.
    client.put_item(TableName="Games", Item={"UserId": {"S": "u9"}, "GameTitle": {"S": "Galaxy"}})

    def galaxy_by_score():
        out = client.query(
            TableName="Games",
            IndexName="GameTitleIndex",
            KeyConditionExpression="GameTitle = :g AND TopScore > :min",
            ExpressionAttributeValues={":g": {"S": "Galaxy"}, ":min": {"N": "0"}},
            ScanIndexForward=False,
        )
        return out if out["Count"] == 3 else None

    out = poll("GSI catches up", galaxy_by_score)
    check([it["UserId"]["S"] for it in out["Items"]] == ["u2", "u3", "u1"], f"GSI order {out}")
    check(all("Secret" not in it and "Wins" in it for it in out["Items"]), f"GSI INCLUDE projection {out}")
    expect_error(
        "ValidationException",
        client.query,
        TableName="Games",
        IndexName="GameTitleIndex",
        KeyConditionExpression="GameTitle = :g",
        ExpressionAttributeValues={":g": {"S": "Galaxy"}},
        ConsistentRead=True,
    )
    lsi = client.query(
        TableName="Games",
        IndexName="WinsIndex",
        KeyConditionExpression="UserId = :u AND Wins >= :w",
        ExpressionAttributeValues={":u": {"S": "u1"}, ":w": {"N": "4"}},
        ConsistentRead=True,
    )
    check([it["GameTitle"]["S"] for it in lsi["Items"]] == ["Comet", "Meteor"], f"LSI order {lsi}")
    check(all(set(it) == {"UserId", "GameTitle", "Wins"} for it in lsi["Items"]), f"LSI KEYS_ONLY {lsi}")
    gsi_scan = poll(
        "GSI scan",
        lambda: (lambda o: o if o["Count"] == 5 else None)(client.scan(TableName="Games", IndexName="GameTitleIndex")),
    )
    check(gsi_scan["Count"] == 5, "GSI scan sees only indexed items")
    expect_error(
        "ValidationException",
        client.query,
        TableName="Games",
        IndexName="NoSuchIndex",
        KeyConditionExpression="UserId = :u",
        ExpressionAttributeValues={":u": {"S": "u1"}},
    )


def gsi_added_by_update_table(client):
    """A GSI created on a table that already holds data: UpdateTable starts a backfill,
    DescribeTable shows the index ACTIVE once it is complete, and then it serves queries
    over the old items and picks up new ones."""
    out = client.update_table(
        TableName="Games",
        AttributeDefinitions=[{"AttributeName": "Wins", "AttributeType": "N"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "ByWins",
                    "KeySchema": [{"AttributeName": "Wins", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )["TableDescription"]
    created = [i for i in out["GlobalSecondaryIndexes"] if i["IndexName"] == "ByWins"]
    check(len(created) == 1, f"update_table lists the new GSI {out['GlobalSecondaryIndexes']}")
    check(created[0]["IndexStatus"] in ("CREATING", "ACTIVE"), f"new GSI status {created[0]}")
    wait_active(client, "Games")
    d = client.describe_table(TableName="Games")["Table"]
    check(
        sorted(i["IndexName"] for i in d["GlobalSecondaryIndexes"]) == ["ByWins", "GameTitleIndex"],
        f"describe shows both GSIs {d['GlobalSecondaryIndexes']}",
    )
    # ACTIVE means the backfill is complete: the items written before are all there.
    out = client.query(
        TableName="Games",
        IndexName="ByWins",
        KeyConditionExpression="Wins = :w",
        ExpressionAttributeValues={":w": {"N": "7"}},
    )
    check(
        [(it["UserId"]["S"], it["GameTitle"]["S"]) for it in out["Items"]] == [("u3", "Galaxy")],
        f"backfilled GSI query {out}",
    )
    check(out["Items"][0]["Secret"] == {"S": "not projected"}, f"ALL projection {out}")
    scanned = client.scan(TableName="Games", IndexName="ByWins")
    check(scanned["Count"] == 5, f"the GSI holds every item with Wins (u9 has none): {scanned}")
    client.put_item(
        TableName="Games",
        Item={"UserId": {"S": "u4"}, "GameTitle": {"S": "Comet"}, "TopScore": {"N": "10"}, "Wins": {"N": "7"}},
    )
    out = poll(
        "new item in the added GSI",
        lambda: (lambda o: o if o["Count"] == 2 else None)(
            client.query(
                TableName="Games",
                IndexName="ByWins",
                KeyConditionExpression="Wins = :w",
                ExpressionAttributeValues={":w": {"N": "7"}},
            )
        ),
    )
    check(sorted(it["UserId"]["S"] for it in out["Items"]) == ["u3", "u4"], f"maintained GSI {out}")


def high_level_resource(client, resource):
    table = resource.Table("Music")
    table.put_item(
        Item={
            "Artist": "Resource",
            "SongTitle": "Decimal",
            "price": Decimal("19.99"),
            "count": 3,
            "blob": Binary(b"\x00\xffraw"),
            "tags": {"x", "y"},
            "nums": {Decimal("1"), Decimal("2.5")},
            "doc": {"nested": [1, "two", None, True]},
        }
    )
    item = table.get_item(Key={"Artist": "Resource", "SongTitle": "Decimal"}, ConsistentRead=True)["Item"]
    check(item["price"] == Decimal("19.99") and isinstance(item["price"], Decimal), f"Decimal {item}")
    check(item["count"] == Decimal(3), f"int becomes Decimal {item}")
    check(item["blob"] == Binary(b"\x00\xffraw"), f"Binary {item}")
    check(item["tags"] == {"x", "y"} and item["nums"] == {Decimal(1), Decimal("2.5")}, f"sets {item}")
    check(item["doc"] == {"nested": [Decimal(1), "two", None, True]}, f"document {item}")
    raw = client.get_item(TableName="Music", Key={"Artist": {"S": "Resource"}, "SongTitle": {"S": "Decimal"}})
    check(raw["Item"]["blob"]["B"] == b"\x00\xffraw", "binary decodes from base64")
    check(base64.b64encode(b"\x00\xffraw") == b"AP9yYXc=", "base64 sanity")

    table.update_item(
        Key={"Artist": "Resource", "SongTitle": "Decimal"},
        UpdateExpression="SET price = price - :d",
        ExpressionAttributeValues={":d": Decimal("0.99")},
    )
    q = table.query(KeyConditionExpression=Key("Artist").eq("Resource") & Key("SongTitle").begins_with("Dec"))
    check(q["Items"][0]["price"] == Decimal("19.00") or q["Items"][0]["price"] == Decimal("19"), f"exact decimal math {q}")
    s = table.scan(FilterExpression=Attr("price").exists() & Attr("tags").contains("x"))
    check([it["SongTitle"] for it in s["Items"]] == ["Decimal"], f"resource scan {s}")
    with table.batch_writer() as bw:
        for i in range(30):
            bw.put_item(Item={"Artist": "BatchWriter", "SongTitle": f"{i:03}", "i": i})
    q = table.query(KeyConditionExpression=Key("Artist").eq("BatchWriter"), Select="COUNT")
    check(q["Count"] == 30, f"batch_writer {q}")
    try:
        table.put_item(
            Item={"Artist": "Resource", "SongTitle": "Decimal"},
            ConditionExpression=Attr("Artist").not_exists(),
        )
        raise AssertionError("conditional put should fail")
    except resource.meta.client.exceptions.ConditionalCheckFailedException:
        check(True, "modeled exception class")


def time_to_live(client):
    """UpdateTimeToLive / DescribeTimeToLive, and an already-expired item swept away."""
    d = client.describe_time_to_live(TableName="Music")["TimeToLiveDescription"]
    check(d["TimeToLiveStatus"] == "DISABLED", "TTL starts disabled")
    out = client.update_time_to_live(
        TableName="Music",
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
    )
    check(out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"},
          "update_time_to_live echoes the specification")
    d = client.describe_time_to_live(TableName="Music")["TimeToLiveDescription"]
    check(d == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}, "TTL enabled")
    expect_error("ValidationException", client.update_time_to_live, TableName="Music",
                 TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    # Expired a minute ago: the server's sweeper (one round a second) deletes it.
    key = {"Artist": {"S": "TTL"}, "SongTitle": {"S": "Gone"}}
    minute_ago = str(int(time.time()) - 60)
    client.put_item(TableName="Music", Item={**key, "expires": {"N": minute_ago}})
    keep = {"Artist": {"S": "TTL"}, "SongTitle": {"S": "Kept"}}
    client.put_item(TableName="Music", Item={**keep, "expires": {"N": "99999999999"}})
    poll("the expired item is swept",
         lambda: "Item" not in client.get_item(TableName="Music", Key=key))
    check("Item" in client.get_item(TableName="Music", Key=keep), "unexpired item kept")


def cleanup(client):
    for name in ["Music", "Tbl1", "Games"]:
        client.delete_table(TableName=name)
    poll("all tables deleted", lambda: client.list_tables()["TableNames"] == [])
    check(True, "cleanup")


if __name__ == "__main__":
    main(sys.argv[1])
