"""PynamoDB's models against a running shale-server, unchanged: what an application built
on PynamoDB does day to day, on a provisioned table with a GSI, an LSI, a TTL attribute
and optimistic locking.

- create_table (wait=True polls DescribeTable; it enables TTL too), exists,
  describe_table, update_ttl;
- save, get (consistent, projected), refresh, DoesNotExist;
- update with every action (set, add, remove, append, prepend, delete from a set,
  if_not_exists) and a condition;
- VersionAttribute: a stale save and a stale delete fail with
  ConditionalCheckFailedException, which PynamoDB exposes;
- query: range-key conditions, filters, descending order, limit, page_size and
  last_evaluated_key, count, on the table, the GSI and the LSI;
- scan: filters, parallel segments, rate_limit (which asks for consumed capacity);
- batch_get beyond 100 keys, batch_write beyond 25 items (PynamoDB chunks both);
- every attribute type PynamoDB has: maps, lists, sets, binary, booleans, JSON, UTC
  datetimes, and null;
- delete with a condition, delete_table.

Usage:
    python3 pynamodb_models.py http://127.0.0.1:PORT

Exits 0 after printing "pynamodb models: N checks passed"; any failed check raises.
"""

import sys
import time
from datetime import datetime, timedelta, timezone

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import DeleteError, PutError, TableError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.indexes import LocalSecondaryIndex

from ddb_check import Checks

CHECKS = Checks()
check = CHECKS.check


def models(endpoint):
    """The application's models, bound to `endpoint`."""
    from pynamodb.models import Model

    class Location(MapAttribute):
        city = UnicodeAttribute()
        zip = NumberAttribute(null=True)

    class ByAuthor(GlobalSecondaryIndex):
        class Meta:
            index_name = "ByAuthor"
            projection = AllProjection()
            read_capacity_units = 5
            write_capacity_units = 5

        author = UnicodeAttribute(hash_key=True)
        posted = UTCDateTimeAttribute(range_key=True)

    class ByViews(LocalSecondaryIndex):
        class Meta:
            index_name = "ByViews"
            projection = KeysOnlyProjection()

        forum = UnicodeAttribute(hash_key=True)
        views = NumberAttribute(range_key=True)

    class Thread(Model):
        class Meta:
            table_name = "PynamoThreads"
            host = endpoint
            region = "us-east-1"
            aws_access_key_id = "anything"
            aws_secret_access_key = "anything"
            max_retry_attempts = 0
            read_capacity_units = 10
            write_capacity_units = 10

        forum = UnicodeAttribute(hash_key=True)
        subject = UnicodeAttribute(range_key=True)
        author = UnicodeAttribute()
        posted = UTCDateTimeAttribute()
        views = NumberAttribute(default=0)
        tags = UnicodeSetAttribute(null=True)
        scores = NumberSetAttribute(null=True)
        replies = ListAttribute(null=True)
        location = Location(null=True)
        extra = JSONAttribute(null=True)
        blob = BinaryAttribute(null=True, legacy_encoding=False)
        pinned = BooleanAttribute(default=False)
        note = UnicodeAttribute(null=True)
        expires = TTLAttribute(null=True)
        version = VersionAttribute()

        by_author = ByAuthor()
        by_views = ByViews()

    return Thread


def main():
    endpoint = sys.argv[1]
    Thread = models(endpoint)

    # --- The table: created provisioned, with both indexes, and waited for.
    check(not Thread.exists(), "no table yet")
    Thread.create_table(wait=True)
    check(Thread.exists(), "table exists")
    described = Thread.describe_table()
    check(described["TableName"] == "PynamoThreads", "describe_table names it")
    check(described["TableStatus"] == "ACTIVE", "ACTIVE after wait")
    check(described["ProvisionedThroughput"]["ReadCapacityUnits"] == 10, "RCU")
    check([g["IndexName"] for g in described["GlobalSecondaryIndexes"]] == ["ByAuthor"],
          "the GSI")
    check([i["IndexName"] for i in described["LocalSecondaryIndexes"]] == ["ByViews"],
          "the LSI")
    # create_table enables TTL on the TTLAttribute itself (UpdateTimeToLive); a second
    # time is DynamoDB's ValidationException, which PynamoDB raises as a TableError.
    try:
        Thread.update_ttl(ignore_update_ttl_errors=False)
        check(False, "enabling TTL twice fails")
    except TableError as e:
        check(e.cause_response_code == "ValidationException", f"TTL twice: {e}")
        check(e.cause_response_message == "TimeToLive is already enabled", f"TTL twice: {e}")
    ttl = Thread._get_connection().connection._make_api_call(
        "DescribeTimeToLive", {"TableName": "PynamoThreads"})
    check(ttl["TimeToLiveDescription"] == {"AttributeName": "expires",
                                          "TimeToLiveStatus": "ENABLED"},
          f"DescribeTimeToLive: {ttl}")

    # --- save and get, every attribute type.
    t0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    first = Thread(
        "rust", "ownership",
        author="ana", posted=t0, views=3,
        tags={"memory", "borrowck"}, scores={1, 2.5},
        replies=["yes", 2, {"nested": [True, None]}],
        location={"city": "Lisbon", "zip": 1000},
        extra={"k": [1, "two", {"three": 3}]},
        blob=b"\x00\x01\xfe\xff",
        expires=timedelta(days=30),
    )
    first.save()
    check(first.version == 1, "a first save sets version 1")
    got = Thread.get("rust", "ownership", consistent_read=True)
    check(got.author == "ana" and got.posted == t0, "strings and datetimes")
    check(got.tags == {"memory", "borrowck"} and got.scores == {1, 2.5}, "sets")
    check(got.replies == ["yes", 2, {"nested": [True, None]}], "a list of mixed values")
    check(got.location.city == "Lisbon" and got.location.zip == 1000, "a map attribute")
    check(got.extra == {"k": [1, "two", {"three": 3}]}, "JSON")
    check(got.blob == b"\x00\x01\xfe\xff", "binary")
    check(got.pinned is False and got.note is None, "defaults and null")
    check(got.expires > datetime.now(timezone.utc), "the TTL attribute")
    check(got.version == 1, "the version read back")
    projected = Thread.get("rust", "ownership", attributes_to_get=["author", "views"])
    check(projected.author == "ana" and projected.views == 3, "projected get")
    check(projected.note is None and projected.tags is None, "only what was asked for")
    try:
        Thread.get("rust", "missing")
        check(False, "a missing item raises")
    except Thread.DoesNotExist:
        check(True, "DoesNotExist")

    # --- Optimistic locking: a stale copy cannot save or delete.
    stale = Thread.get("rust", "ownership")
    got.views = 4
    got.save()
    check(got.version == 2, "the version goes up")
    stale.views = 99
    try:
        stale.save()
        check(False, "a stale save fails")
    except PutError as e:
        check(e.cause_response_code == "ConditionalCheckFailedException",
              f"stale save: {e.cause_response_code}")
        check(e.cause_response_message == "The conditional request failed",
              f"its message: {e.cause_response_message}")
    try:
        stale.delete()
        check(False, "a stale delete fails")
    except DeleteError as e:
        check(e.cause_response_code == "ConditionalCheckFailedException",
              f"stale delete: {e.cause_response_code}")
    stale.refresh()
    check(stale.views == 4 and stale.version == 2, "refresh reads the current item")

    # --- update: every action, with a condition.
    got.update(actions=[
        Thread.views.add(10),
        Thread.tags.add({"traits"}),
        Thread.scores.delete({1}),
        Thread.replies.set(Thread.replies.append(["last"])),
        Thread.note.set(Thread.note | "default note"),
        Thread.location.city.set("Porto"),
        Thread.location.zip.remove(),
        Thread.pinned.set(True),
    ], condition=Thread.views == 4)
    check(got.views == 14 and got.version == 3, "update returns the new item")
    check(got.tags == {"memory", "borrowck", "traits"}, "ADD to a set")
    check(got.scores == {2.5}, "DELETE from a set")
    check(got.replies[0] == "yes" and got.replies[-1] == "last", "list_append at the end")
    check(got.note == "default note", "if_not_exists")
    check(got.location.city == "Porto" and got.location.zip is None, "nested set, remove")
    check(got.pinned is True, "a boolean")
    try:
        got.update(actions=[Thread.views.add(1)], condition=Thread.views > 100)
        check(False, "a failed condition raises")
    except UpdateError as e:
        check(e.cause_response_code == "ConditionalCheckFailedException",
              f"update condition: {e.cause_response_code}")
    check(Thread.get("rust", "ownership").views == 14, "the failed update changed nothing")
    got.update(actions=[Thread.replies.set(Thread.replies.prepend(["first"]))])
    check(got.replies == ["first", "yes", 2, {"nested": [True, None]}, "last"],
          "list_append at the start")
    check(got.version == 4, "each update moves the version")

    # --- batch_write beyond 25 items, and batch_get beyond 100 keys.
    authors = ["ana", "ben", "cy"]
    with Thread.batch_write() as batch:
        for i in range(120):
            batch.save(Thread(
                "db", f"topic-{i:03}",
                author=authors[i % 3],
                posted=t0 + timedelta(minutes=i),
                views=i,
                version=1,
            ))
    keys = [("db", f"topic-{i:03}") for i in range(120)] + [("db", "absent")]
    fetched = list(Thread.batch_get(keys))
    check(len(fetched) == 120, f"batch_get found {len(fetched)} of 120")
    check({t.views for t in fetched} == set(range(120)), "batch_get's items")

    # --- query: conditions, filters, order, paging, count.
    q = list(Thread.query("db", Thread.subject.startswith("topic-01")))
    check([t.subject for t in q] == [f"topic-{i:03}" for i in range(10, 20)], "begins_with")
    q = list(Thread.query("db", Thread.subject.between("topic-005", "topic-007"),
                          scan_index_forward=False))
    check([t.views for t in q] == [7, 6, 5], "between, descending")
    q = list(Thread.query("db", filter_condition=(Thread.views >= 100) & (Thread.author == "ben")))
    check([t.views for t in q] == [100, 103, 106, 109, 112, 115, 118], "a filter")
    check(Thread.count("db") == 120, "count")
    check(Thread.count("db", filter_condition=Thread.views < 10) == 10, "count with a filter")
    pages = Thread.query("db", page_size=7)
    seen = [t.views for t in pages]
    check(seen == list(range(120)), "page_size pages through everything")
    check(pages.last_evaluated_key is None, "and ends with no key")
    first_page = Thread.query("db", limit=5)
    check([t.views for t in first_page] == [0, 1, 2, 3, 4], "limit")
    resumed = Thread.query("db", limit=5, last_evaluated_key=first_page.last_evaluated_key)
    check([t.views for t in resumed] == [5, 6, 7, 8, 9], "resumed from last_evaluated_key")

    # GSIs are eventually consistent, as DynamoDB's: wait (bounded) for the index to
    # hold all 120 items before reading it.
    deadline = time.monotonic() + 30
    while Thread.by_author.count("ana") + Thread.by_author.count("ben") \
            + Thread.by_author.count("cy") < 121 and time.monotonic() < deadline:
        time.sleep(0.01)
    by_ben = list(Thread.by_author.query("ben", Thread.posted >= t0 + timedelta(minutes=100)))
    check([t.views for t in by_ben] == [100, 103, 106, 109, 112, 115, 118], "GSI query")
    check(Thread.by_author.count("cy") == 40, "GSI count")
    top = list(Thread.by_views.query("db", Thread.views > 115, scan_index_forward=False))
    check([t.subject for t in top] == ["topic-119", "topic-118", "topic-117", "topic-116"],
          "LSI query, keys only, descending")
    check(top[0].author is None, "a keys-only index projects no author")

    # --- scan: filters, segments, rate_limit.
    scanned = list(Thread.scan(Thread.forum == "db"))
    check(len(scanned) == 120, "a scan with a filter")
    halves = [list(Thread.scan(segment=s, total_segments=2)) for s in range(2)]
    check(sum(len(h) for h in halves) == 121, "two segments cover the table")
    check(not {(t.forum, t.subject) for t in halves[0]} & {(t.forum, t.subject) for t in halves[1]},
          "the segments are disjoint")
    limited = list(Thread.scan(rate_limit=1000, page_size=25))
    check(len(limited) == 121, "a rate-limited scan (it asks for consumed capacity)")

    # --- delete with a condition, then the table.
    doomed = Thread.get("db", "topic-000")
    try:
        doomed.delete(condition=Thread.views > 0)
        check(False, "a failed delete condition raises")
    except DeleteError as e:
        check(e.cause_response_code == "ConditionalCheckFailedException",
              f"delete condition: {e.cause_response_code}")
    doomed.delete(condition=Thread.views == 0)
    check(Thread.count("db") == 119, "deleted")
    Thread.delete_table()
    check(not Thread.exists(), "the table is gone")

    print(f"pynamodb models: {CHECKS.passed} checks passed")


if __name__ == "__main__":
    main()
