"""boto3 against a running shale-server: point-in-time recovery (UpdateContinuousBackups,
DescribeContinuousBackups, RestoreTableToPointInTime) and on-demand backups (CreateBackup,
DescribeBackup, ListBackups, DeleteBackup, RestoreTableFromBackup), with their errors.

Usage:
    python3 boto3_pitr_and_backups.py http://127.0.0.1:PORT main STATE_FILE
    python3 boto3_pitr_and_backups.py http://127.0.0.1:PORT after-restart STATE_FILE

`main` runs the whole scenario and leaves one backup and one PITR-enabled table behind,
described in STATE_FILE (JSON). `after-restart`, run against a server restarted on the
same data directory, checks that both survived. Each phase exits 0 after printing
"...: N checks passed"; any failed check raises (non-zero exit with a traceback naming it).
"""

import json
import re
import sys
import time
from datetime import timedelta

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from ddb_check import as_sent

# Bounds on every wait, so a broken server fails the test instead of hanging it.
POLL_INTERVAL_S = 0.05
RESTORE_DEADLINE_S = 10.0
TABLE_DEADLINE_S = 20.0
# botocore sends RestoreDateTime in whole seconds (it truncates the datetime), so two
# phases a restore must tell apart are kept more than a second apart.
PHASE_GAP_S = 1.1
# DynamoDB's (and Shale's) default and largest recovery window.
RECOVERY_PERIOD_DAYS_MAX = 35
BACKUP_ARN = re.compile(
    r"^arn:aws:dynamodb:[a-z0-9-]+:\d{12}:table/(?P<table>[A-Za-z0-9_.-]+)"
    r"/backup/(?P<id>\d{14}-[0-9a-f]{8})$"
)
# Pages scanned before giving up: the tables here hold a few dozen items.
MAX_SCAN_PAGES = 100

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
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, f"{code} is a 400: {e}")
        return e
    raise AssertionError(f"expected {code}, call succeeded")


def poll(what, fn, deadline_s):
    """Calls fn until it returns a truthy value, bounded by deadline_s."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")
        time.sleep(POLL_INTERVAL_S)


def status(client, table):
    return client.describe_table(TableName=table)["Table"]["TableStatus"]


def wait_active(client, table, deadline_s=TABLE_DEADLINE_S):
    poll(f"{table} ACTIVE", lambda: status(client, table) == "ACTIVE", deadline_s)


def table_names(client):
    return client.list_tables()["TableNames"]


def scan_all(client, table):
    """Every item of table, paged, in a canonical order (for comparing snapshots)."""
    items, kwargs = [], {"TableName": table, "ConsistentRead": True}
    for _ in range(MAX_SCAN_PAGES):
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda it: json.dumps(it, sort_keys=True))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    raise AssertionError(f"scan of {table} did not end within {MAX_SCAN_PAGES} pages")


def create_table(client, name):
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    wait_active(client, name)


def put(client, table, pk, sk, **attrs):
    item = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    item.update({k: {"S": v} for k, v in attrs.items()})
    client.put_item(TableName=table, Item=item)


def delete(client, table, pk, sk):
    client.delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"N": str(sk)}})


def pitr_description(client, table):
    d = client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    check(d["ContinuousBackupsStatus"] == "ENABLED", f"continuous backups always on: {d}")
    return d["PointInTimeRecoveryDescription"]


def check_restoring(description, target, what):
    """A restore's answer: the new table, CREATING, with a RestoreSummary."""
    check(description["TableName"] == target, f"{what}: target name {description}")
    check(description["TableStatus"] == "CREATING", f"{what}: CREATING {description}")
    summary = description.get("RestoreSummary")
    check(summary is not None, f"{what}: RestoreSummary {description}")
    check(summary["RestoreInProgress"] is True, f"{what}: in progress {summary}")
    return summary


def client_for(endpoint):
    session = boto3.session.Session(
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
        region_name="us-east-1",
    )
    # No retries: an error must surface as the error, not as a slow retry loop.
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    return session.client("dynamodb", endpoint_url=endpoint, config=config)


# ---------------------------------------------------------------------------------------
# Point-in-time recovery
# ---------------------------------------------------------------------------------------


def point_in_time_recovery(client, state):
    create_table(client, "Orders")
    for i in range(5):
        put(client, "Orders", "p0", i, phase="zero")

    off = pitr_description(client, "Orders")
    check(off == {"PointInTimeRecoveryStatus": "DISABLED"}, f"PITR starts off: {off}")
    e = expect_error(
        "PointInTimeRecoveryUnavailableException",
        client.restore_table_to_point_in_time,
        SourceTableName="Orders", TargetTableName="OrdersNever", UseLatestRestorableTime=True,
    )
    check(e.response["Error"]["Message"]
          == "Point in time recovery is not enabled for table 'Orders'", f"message: {e}")
    check("OrdersNever" not in table_names(client), "a refused restore creates no table")

    expect_error(
        "ValidationException",
        client.update_continuous_backups,
        TableName="Orders",
        PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True,
            "RecoveryPeriodInDays": RECOVERY_PERIOD_DAYS_MAX + 1,
        },
    )
    check(pitr_description(client, "Orders")["PointInTimeRecoveryStatus"] == "DISABLED",
          "a refused update changes nothing")

    out = client.update_continuous_backups(
        TableName="Orders",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )["ContinuousBackupsDescription"]
    check(out["ContinuousBackupsStatus"] == "ENABLED", f"update answer: {out}")
    check(out["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED",
          f"update answer: {out}")
    d = pitr_description(client, "Orders")
    check(d["PointInTimeRecoveryStatus"] == "ENABLED", f"enabled: {d}")
    check(d["RecoveryPeriodInDays"] == RECOVERY_PERIOD_DAYS_MAX, f"default window: {d}")
    earliest = d["EarliestRestorableDateTime"]
    check(earliest <= d["LatestRestorableDateTime"], f"earliest <= latest: {d}")

    # Phase A: more writes after PITR is on. T is the latest restorable time once they
    # are more than a second old (RestoreDateTime travels in whole seconds).
    for i in range(5, 10):
        put(client, "Orders", "p1", i, phase="a")
    client.update_item(
        TableName="Orders",
        Key={"pk": {"S": "p0"}, "sk": {"N": "0"}},
        UpdateExpression="SET phase = :p",
        ExpressionAttributeValues={":p": {"S": "a"}},
    )
    at_t = scan_all(client, "Orders")
    time.sleep(PHASE_GAP_S)
    d = pitr_description(client, "Orders")
    t = d["LatestRestorableDateTime"]
    check(d["EarliestRestorableDateTime"] == earliest, f"earliest is stable: {d}")
    check(t >= earliest + timedelta(seconds=1), f"latest moves on: {d}")

    # Phase B: writes and deletes after T.
    for i in range(10, 13):
        put(client, "Orders", "p2", i, phase="b")
    delete(client, "Orders", "p0", 1)
    delete(client, "Orders", "p1", 5)
    put(client, "Orders", "p0", 2, phase="b")
    now = scan_all(client, "Orders")
    check(now != at_t, "phase B changed the table")

    out = client.restore_table_to_point_in_time(
        SourceTableName="Orders", TargetTableName="OrdersAtT", RestoreDateTime=t,
    )["TableDescription"]
    summary = check_restoring(out, "OrdersAtT", "restore to T")
    check(summary["SourceTableArn"].endswith(":table/Orders"), f"source arn: {summary}")
    check("SourceBackupArn" not in summary, f"no backup in a PITR restore: {summary}")
    # T as botocore sent it (whole seconds or microseconds, by version).
    check(summary["RestoreDateTime"] in as_sent(t), f"restore time: {summary}")
    check(out["KeySchema"] == client.describe_table(TableName="Orders")["Table"]["KeySchema"],
          f"the source's key: {out}")
    wait_active(client, "OrdersAtT", RESTORE_DEADLINE_S)
    check(scan_all(client, "OrdersAtT") == at_t, "the restored table holds the items as of T")
    restored = pitr_description(client, "OrdersAtT")
    check(restored["PointInTimeRecoveryStatus"] == "DISABLED",
          f"PITR is not restored with the table: {restored}")

    out = client.restore_table_to_point_in_time(
        SourceTableName="Orders", TargetTableName="OrdersLatest", UseLatestRestorableTime=True,
    )["TableDescription"]
    check_restoring(out, "OrdersLatest", "restore to latest")
    wait_active(client, "OrdersLatest", RESTORE_DEADLINE_S)
    check(scan_all(client, "OrdersLatest") == now, "latest restore holds the current items")
    check(scan_all(client, "Orders") == now, "the source is unchanged by restores")

    # Errors, in DynamoDB's order of checks.
    e = expect_error(
        "PointInTimeRecoveryUnavailableException",
        client.restore_table_to_point_in_time,
        SourceTableName="OrdersAtT", TargetTableName="OrdersX", UseLatestRestorableTime=True,
    )
    check(e.response["Error"]["Message"]
          == "Point in time recovery is not enabled for table 'OrdersAtT'", f"message: {e}")
    e = expect_error(
        "TableAlreadyExistsException",
        client.restore_table_to_point_in_time,
        SourceTableName="Orders", TargetTableName="OrdersAtT", UseLatestRestorableTime=True,
    )
    check("OrdersAtT" in e.response["Error"]["Message"], f"names the target: {e}")
    e = expect_error(
        "InvalidRestoreTimeException",
        client.restore_table_to_point_in_time,
        SourceTableName="Orders", TargetTableName="OrdersEarly",
        RestoreDateTime=earliest - timedelta(seconds=60),
    )
    check("EarliestRestorableDateTime" in e.response["Error"]["Message"], f"message: {e}")
    expect_error(
        "InvalidRestoreTimeException",
        client.restore_table_to_point_in_time,
        SourceTableName="Orders", TargetTableName="OrdersLate",
        RestoreDateTime=t + timedelta(hours=1),
    )
    expect_error(
        "TableNotFoundException",
        client.restore_table_to_point_in_time,
        SourceTableName="NoSuchTable", TargetTableName="OrdersY", UseLatestRestorableTime=True,
    )
    expect_error(
        "ValidationException",
        client.restore_table_to_point_in_time,
        SourceTableName="Orders", TargetTableName="OrdersZ",
        UseLatestRestorableTime=True, RestoreDateTime=t,
    )
    for name in ["OrdersX", "OrdersEarly", "OrdersLate", "OrdersY", "OrdersZ"]:
        check(name not in table_names(client), f"refused restore created {name}")

    # Off and on again: the window starts afresh.
    out = client.update_continuous_backups(
        TableName="OrdersLatest",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True,
                                          "RecoveryPeriodInDays": 7},
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    check(out["RecoveryPeriodInDays"] == 7, f"a shorter window: {out}")
    out = client.update_continuous_backups(
        TableName="OrdersLatest",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    check(out == {"PointInTimeRecoveryStatus": "DISABLED"}, f"disabled: {out}")
    expect_error(
        "PointInTimeRecoveryUnavailableException",
        client.restore_table_to_point_in_time,
        SourceTableName="OrdersLatest", TargetTableName="OrdersX", UseLatestRestorableTime=True,
    )

    for name in ["OrdersAtT", "OrdersLatest"]:
        client.delete_table(TableName=name)
    # Orders stays, PITR on, for the after-restart phase.
    state["pitr_table"] = "Orders"
    state["pitr_earliest"] = earliest.timestamp()
    state["pitr_items"] = now


# ---------------------------------------------------------------------------------------
# On-demand backups
# ---------------------------------------------------------------------------------------


def on_demand_backups(client, state):
    create_table(client, "Catalog")
    for i in range(8):
        put(client, "Catalog", "c", i, name=f"item-{i}")
    at_backup = scan_all(client, "Catalog")

    details = client.create_backup(TableName="Catalog", BackupName="catalog-1")["BackupDetails"]
    arn = details["BackupArn"]
    m = BACKUP_ARN.match(arn)
    check(m is not None and m.group("table") == "Catalog", f"backup arn format: {arn}")
    check(details["BackupStatus"] == "AVAILABLE", f"status: {details}")
    check(details["BackupType"] == "USER", f"type: {details}")
    check(details["BackupName"] == "catalog-1", f"name: {details}")
    # Not tracked (taking a backup must not read the table), as DescribeTable's sizes.
    check(details["BackupSizeBytes"] == 0, f"size: {details}")
    check("BackupCreationDateTime" in details, f"creation time: {details}")

    # Changes after the backup are not in it.
    put(client, "Catalog", "c", 100, name="after")
    delete(client, "Catalog", "c", 0)

    listed = client.list_backups()["BackupSummaries"]
    mine = [b for b in listed if b["BackupArn"] == arn]
    check(len(mine) == 1, f"ListBackups lists it: {listed}")
    check(mine[0]["TableName"] == "Catalog" and mine[0]["BackupStatus"] == "AVAILABLE",
          f"summary: {mine}")
    check(mine[0]["TableArn"].endswith(":table/Catalog"), f"summary table arn: {mine}")
    by_table = client.list_backups(TableName="Catalog")["BackupSummaries"]
    check([b["BackupArn"] for b in by_table] == [arn], f"by table: {by_table}")
    check(client.list_backups(TableName="Orders")["BackupSummaries"] == [],
          "another table's backups are not listed")

    d = client.describe_backup(BackupArn=arn)["BackupDescription"]
    check(d["BackupDetails"]["BackupArn"] == arn, f"describe: details {d}")
    source = d["SourceTableDetails"]
    check(source["TableName"] == "Catalog", f"source table: {source}")
    check(source["TableArn"].endswith(":table/Catalog"), f"source arn: {source}")
    check(source["ItemCount"] == 0, f"item count (not tracked): {source}")
    check(source["BillingMode"] == "PAY_PER_REQUEST", f"billing: {source}")
    check(source["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ], f"key schema: {source}")
    check("SourceTableFeatureDetails" in d, f"feature details: {d}")

    # The backup outlives its table.
    client.delete_table(TableName="Catalog")
    poll("Catalog deleted", lambda: "Catalog" not in table_names(client), TABLE_DEADLINE_S)
    check(client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]
          ["BackupStatus"] == "AVAILABLE", "the backup outlives its table")

    out = client.restore_table_from_backup(
        TargetTableName="CatalogRestored", BackupArn=arn,
    )["TableDescription"]
    summary = check_restoring(out, "CatalogRestored", "restore from backup")
    check(summary["SourceBackupArn"] == arn, f"summary backup arn: {summary}")
    check(summary["SourceTableArn"].endswith(":table/Catalog"), f"summary table: {summary}")
    wait_active(client, "CatalogRestored", RESTORE_DEADLINE_S)
    check(scan_all(client, "CatalogRestored") == at_backup,
          "the restored table holds the items as of the backup")
    e = expect_error(
        "TableAlreadyExistsException",
        client.restore_table_from_backup,
        TargetTableName="CatalogRestored", BackupArn=arn,
    )
    check("CatalogRestored" in e.response["Error"]["Message"], f"names the target: {e}")

    deleted = client.delete_backup(BackupArn=arn)["BackupDescription"]
    check(deleted["BackupDetails"]["BackupStatus"] == "DELETED", f"delete answer: {deleted}")
    e = expect_error("BackupNotFoundException", client.describe_backup, BackupArn=arn)
    check(e.response["Error"]["Message"] == f"Backup not found: {arn}", f"message: {e}")
    expect_error("BackupNotFoundException", client.delete_backup, BackupArn=arn)
    expect_error("BackupNotFoundException", client.restore_table_from_backup,
                 TargetTableName="CatalogAgain", BackupArn=arn)
    check(all(b["BackupArn"] != arn for b in client.list_backups()["BackupSummaries"]),
          "a deleted backup is not listed")
    check(scan_all(client, "CatalogRestored") == at_backup,
          "a restored table does not depend on its backup")
    expect_error("TableNotFoundException", client.create_backup,
                 TableName="NoSuchTable", BackupName="bak")
    expect_error("ValidationException", client.describe_backup,
                 BackupArn="arn:aws:dynamodb:us-east-1:000000000000:table/Catalog")
    state["deleted_backup_id"] = m.group("id")

    # A second backup stays, for the after-restart phase.
    kept = client.create_backup(TableName="CatalogRestored", BackupName="kept")["BackupDetails"]
    state["kept_backup_arn"] = kept["BackupArn"]
    state["kept_backup_id"] = BACKUP_ARN.match(kept["BackupArn"]).group("id")
    state["kept_items"] = at_backup
    client.delete_table(TableName="CatalogRestored")


def main_phase(client, state_file):
    state = {}
    point_in_time_recovery(client, state)
    on_demand_backups(client, state)
    with open(state_file, "w") as f:
        json.dump(state, f)
    print(f"boto3 pitr and backups: {CHECKS} checks passed")


def after_restart_phase(client, state_file):
    with open(state_file) as f:
        state = json.load(f)
    table = state["pitr_table"]
    d = pitr_description(client, table)
    check(d["PointInTimeRecoveryStatus"] == "ENABLED", f"PITR survives a restart: {d}")
    check(abs(d["EarliestRestorableDateTime"].timestamp() - state["pitr_earliest"]) < 0.001,
          f"the window survives a restart: {d} vs {state['pitr_earliest']}")
    out = client.restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName="OrdersAfterRestart",
        UseLatestRestorableTime=True,
    )["TableDescription"]
    check_restoring(out, "OrdersAfterRestart", "PITR restore after restart")
    wait_active(client, "OrdersAfterRestart", RESTORE_DEADLINE_S)
    check(scan_all(client, "OrdersAfterRestart") == state["pitr_items"],
          "PITR restore after a restart")

    arn = state["kept_backup_arn"]
    d = client.describe_backup(BackupArn=arn)["BackupDescription"]
    check(d["BackupDetails"]["BackupStatus"] == "AVAILABLE", f"backup survives: {d}")
    out = client.restore_table_from_backup(
        TargetTableName="KeptRestored", BackupArn=arn,
    )["TableDescription"]
    check_restoring(out, "KeptRestored", "backup restore after restart")
    wait_active(client, "KeptRestored", RESTORE_DEADLINE_S)
    check(scan_all(client, "KeptRestored") == state["kept_items"],
          "backup restore after a restart")
    check(client.delete_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]
          ["BackupStatus"] == "DELETED", "delete after restart")
    print(f"boto3 pitr and backups after restart: {CHECKS} checks passed")


if __name__ == "__main__":
    endpoint, phase, state_path = sys.argv[1], sys.argv[2], sys.argv[3]
    c = client_for(endpoint)
    if phase == "main":
        main_phase(c, state_path)
    elif phase == "after-restart":
        after_restart_phase(c, state_path)
    else:
        raise SystemExit(f"unknown phase {phase!r}")
