"""boto3 against a running shale-server: ExportTableToPointInTime, DescribeExport,
ListExports, ImportTable, DescribeImport and ListImports, with the files read back the way
a reader of DynamoDB exports reads them.

Usage:
    python3 boto3_export_import.py http://127.0.0.1:PORT main EXPORT_ROOT STATE_FILE
    python3 boto3_export_import.py http://127.0.0.1:PORT after-restart EXPORT_ROOT STATE_FILE
    python3 boto3_export_import.py http://127.0.0.1:PORT in-memory - -

EXPORT_ROOT is the server's export directory (<data-dir>/exports): S3Bucket names a
directory in it. `main` exports a table at a past second, checks the files and manifests,
imports the export into a new table, imports a CSV file, and checks DynamoDB's exceptions;
it leaves its ARNs in STATE_FILE (JSON) for `after-restart`, which checks they survived.
`in-memory` checks that an in-memory server refuses exports, saying why. Each phase exits 0
after printing "...: N checks passed".
"""

import base64
import gzip
import hashlib
import json
import os
import sys
import time
from datetime import timedelta

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from ddb_check import as_sent

POLL_INTERVAL_S = 0.05
TABLE_DEADLINE_S = 20.0
# botocore sends ExportTime in whole seconds, so the phases are kept more than 1 s apart.
PHASE_GAP_S = 1.1
MAX_SCAN_PAGES = 100
BUCKET = "music-exports"
PREFIX = "daily/2024"

CHECKS = 0


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def expect_error(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"expected {code}, got {got}: {e}")
        return e
    raise AssertionError(f"expected {code}, call succeeded")


def poll(what, fn, deadline_s):
    deadline = time.monotonic() + deadline_s
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")
        time.sleep(POLL_INTERVAL_S)


def wait_active(client, table):
    poll(f"{table} ACTIVE",
         lambda: client.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE",
         TABLE_DEADLINE_S)


def canonical(value):
    """An item as the export files spell it (binaries base64, sets sorted), for comparing."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = canonical(v)
            if k in ("SS", "NS", "BS"):
                v = sorted(v)
            out[k] = v
        return out
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def as_set(items):
    return sorted(json.dumps(canonical(i), sort_keys=True) for i in items)


def scan_all(client, table):
    items, kwargs = [], {"TableName": table, "ConsistentRead": True}
    for _ in range(MAX_SCAN_PAGES):
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return as_set(items)
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    raise AssertionError(f"scan of {table} did not end within {MAX_SCAN_PAGES} pages")


def client_for(endpoint):
    session = boto3.session.Session(
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
        region_name="us-east-1",
    )
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    return session.client("dynamodb", endpoint_url=endpoint, config=config)


SONGS_DEFINITION = {
    "AttributeDefinitions": [
        {"AttributeName": "artist", "AttributeType": "S"},
        {"AttributeName": "n", "AttributeType": "N"},
        {"AttributeName": "genre", "AttributeType": "S"},
    ],
    "KeySchema": [
        {"AttributeName": "artist", "KeyType": "HASH"},
        {"AttributeName": "n", "KeyType": "RANGE"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
    "GlobalSecondaryIndexes": [{
        "IndexName": "ByGenre",
        "KeySchema": [{"AttributeName": "genre", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }],
}


def song(artist, n, phase):
    item = {
        "artist": {"S": artist},
        "n": {"N": str(n)},
        "title": {"S": f"Song {n}, \"live\"\nversion"},
        "phase": {"S": phase},
        "cover": {"B": bytes([0, 255, n % 256])},
        "tags": {"SS": ["a", f"t{n}"]},
        "meta": {"M": {"len": {"N": "3.5"}, "ok": {"BOOL": True}, "x": {"NULL": True}}},
        "plays": {"L": [{"N": "1"}, {"S": "two"}]},
    }
    if n % 2:
        item["genre"] = {"S": "rock" if n % 4 == 1 else "jazz"}
    return item


def read_export(root, description):
    """The items of an export, read as a DynamoDB-export reader would, checking the
    manifests' counts and checksums."""
    bucket_dir = os.path.join(root, description["S3Bucket"])
    summary_key = description["ExportManifest"]
    with open(os.path.join(bucket_dir, summary_key), "rb") as f:
        summary_bytes = f.read()
    summary = json.loads(summary_bytes)
    with open(os.path.join(bucket_dir, summary_key.replace(".json", ".checksum"))) as f:
        check(f.read() == hashlib.md5(summary_bytes).hexdigest(), "summary checksum")
    for field in ["version", "exportArn", "startTime", "endTime", "tableArn", "tableId",
                  "exportTime", "s3Bucket", "s3Prefix", "s3SseAlgorithm", "s3SseKmsKeyId",
                  "manifestFilesS3Key", "billedSizeBytes", "itemCount", "outputFormat",
                  "exportType"]:
        check(field in summary, f"manifest-summary.json has {field}: {summary}")
    check(summary["exportArn"] == description["ExportArn"], f"summary arn: {summary}")
    check(summary["outputFormat"] == "DYNAMODB_JSON", f"format: {summary}")
    check(summary["s3Bucket"] == BUCKET and summary["s3Prefix"] == PREFIX, f"where: {summary}")
    items = []
    with open(os.path.join(bucket_dir, summary["manifestFilesS3Key"]), "rb") as f:
        files_bytes = f.read()
    for line in files_bytes.decode().splitlines():
        entry = json.loads(line)
        with open(os.path.join(bucket_dir, entry["dataFileS3Key"]), "rb") as f:
            data = f.read()
        md5 = hashlib.md5(data).digest()
        check(entry["md5Checksum"] == base64.b64encode(md5).decode(), f"md5: {entry}")
        check(entry["etag"] == hashlib.md5(md5).hexdigest() + "-1", f"etag: {entry}")
        lines = gzip.decompress(data).decode().splitlines()
        check(len(lines) == entry["itemCount"], f"itemCount of {entry['dataFileS3Key']}")
        items.extend(json.loads(l)["Item"] for l in lines)
    check(summary["itemCount"] == len(items), f"summary itemCount: {summary}")
    return items


def main_phase(client, root, state_file):
    client.create_table(TableName="Songs", **SONGS_DEFINITION)
    wait_active(client, "Songs")
    for n in range(12):
        client.put_item(TableName="Songs", Item=song("ann" if n % 3 else "bo", n, "a"))
    client.create_table(TableName="NoPitr", **SONGS_DEFINITION)
    wait_active(client, "NoPitr")

    e = expect_error("PointInTimeRecoveryUnavailableException",
                     client.export_table_to_point_in_time,
                     TableArn=client.describe_table(TableName="Songs")["Table"]["TableArn"],
                     S3Bucket=BUCKET)
    client.update_continuous_backups(
        TableName="Songs",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    at_t = scan_all(client, "Songs")
    time.sleep(PHASE_GAP_S)
    pitr = client.describe_continuous_backups(TableName="Songs")[
        "ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    t = pitr["LatestRestorableDateTime"]
    # Changes after T are not in an export at T.
    client.delete_item(TableName="Songs", Key={"artist": {"S": "bo"}, "n": {"N": "0"}})
    client.put_item(TableName="Songs", Item=song("cy", 100, "b"))
    table_arn = client.describe_table(TableName="Songs")["Table"]["TableArn"]

    out = client.export_table_to_point_in_time(
        TableArn=table_arn, ExportTime=t, S3Bucket=BUCKET, S3Prefix=PREFIX,
        ExportFormat="DYNAMODB_JSON", ClientToken="tok-1",
    )["ExportDescription"]
    arn = out["ExportArn"]
    check(out["ExportStatus"] == "COMPLETED", f"Shale exports inside the call: {out}")
    check(out["TableArn"] == table_arn, f"table arn: {out}")
    check(out["ExportTime"] in as_sent(t), f"export time: {out}")
    check(out["ItemCount"] == len(at_t), f"item count: {out}")
    check(out["ClientToken"] == "tok-1" and out["ExportFormat"] == "DYNAMODB_JSON"
          and out["ExportType"] == "FULL_EXPORT", f"echoes: {out}")
    check(out["ExportManifest"].startswith(f"{PREFIX}/AWSDynamoDB/"), f"manifest: {out}")
    check(as_set(read_export(root, out)) == at_t, "the export holds the table as of T")
    check(client.describe_export(ExportArn=arn)["ExportDescription"] == out, "describe")
    listed = client.list_exports(TableArn=table_arn)["ExportSummaries"]
    check([s["ExportArn"] for s in listed] == [arn], f"list: {listed}")
    check(listed[0]["ExportStatus"] == "COMPLETED", f"list status: {listed}")

    # Errors.
    expect_error("InvalidExportTimeException", client.export_table_to_point_in_time,
                 TableArn=table_arn, S3Bucket=BUCKET, ExportTime=t - timedelta(days=1))
    for bucket, prefix in [("..", "x"), (BUCKET, "../../etc"), (BUCKET, "/abs"), ("a/b", "x")]:
        expect_error("ValidationException", client.export_table_to_point_in_time,
                     TableArn=table_arn, S3Bucket=bucket, S3Prefix=prefix)
    expect_error("TableNotFoundException", client.export_table_to_point_in_time,
                 TableArn=table_arn.replace("Songs", "Nope"), S3Bucket=BUCKET)
    expect_error("ExportNotFoundException", client.describe_export,
                 ExportArn=arn[:-8] + "00000000")

    # The export imports back into an equal table.
    export_id = arn.rsplit("/", 1)[1]
    out = client.import_table(
        S3BucketSource={"S3Bucket": BUCKET,
                        "S3KeyPrefix": f"{PREFIX}/AWSDynamoDB/{export_id}/data/"},
        InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP",
        TableCreationParameters={"TableName": "SongsAtT", **SONGS_DEFINITION},
    )["ImportTableDescription"]
    imp_arn = out["ImportArn"]
    check(out["ImportStatus"] == "COMPLETED", f"Shale imports inside the call: {out}")
    check(out["ImportedItemCount"] == len(at_t) and out["ErrorCount"] == 0, f"counts: {out}")
    check(out["TableCreationParameters"]["TableName"] == "SongsAtT", f"params: {out}")
    wait_active(client, "SongsAtT")
    check(scan_all(client, "SongsAtT") == at_t, "the import equals the export")
    check(client.describe_import(ImportArn=imp_arn)["ImportTableDescription"] == out,
          "describe import")
    expect_error("ResourceInUseException", client.import_table,
                 S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": PREFIX},
                 InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP",
                 TableCreationParameters={"TableName": "SongsAtT", **SONGS_DEFINITION})
    expect_error("ImportNotFoundException", client.describe_import,
                 ImportArn=imp_arn[:-8] + "00000000")

    # CSV: key attributes typed by their definitions, the rest strings; a bad line counted.
    os.makedirs(os.path.join(root, "csv-in"), exist_ok=True)
    with open(os.path.join(root, "csv-in", "people.csv"), "w") as f:
        f.write('artist,n,city,genre\nann,1,"Oslo, NO",rock\nbo,2,Rome,\ncy,two,Lima,jazz\n')
    out = client.import_table(
        S3BucketSource={"S3Bucket": "csv-in", "S3KeyPrefix": "people"},
        InputFormat="CSV",
        TableCreationParameters={"TableName": "FromCsv", **SONGS_DEFINITION},
    )["ImportTableDescription"]
    check(out["ImportStatus"] == "COMPLETED", f"csv import: {out}")
    check((out["ImportedItemCount"], out["ErrorCount"], out["ProcessedItemCount"]) == (2, 1, 3),
          f"csv counts: {out}")
    got = client.get_item(TableName="FromCsv",
                          Key={"artist": {"S": "ann"}, "n": {"N": "1"}})["Item"]
    check(got == {"artist": {"S": "ann"}, "n": {"N": "1"}, "city": {"S": "Oslo, NO"},
                  "genre": {"S": "rock"}}, f"csv item: {got}")
    imports = client.list_imports()["ImportSummaryList"]
    check(imp_arn in [i["ImportArn"] for i in imports] and len(imports) == 2,
          f"list imports: {imports}")
    check(all(i["ImportStatus"] == "COMPLETED" for i in imports), f"statuses: {imports}")

    with open(state_file, "w") as f:
        json.dump({"export_arn": arn, "import_arn": imp_arn, "items": at_t,
                   "export_id": export_id}, f)
    print(f"boto3 export/import: {CHECKS} checks passed")


def after_restart_phase(client, root, state_file):
    with open(state_file) as f:
        state = json.load(f)
    d = client.describe_export(ExportArn=state["export_arn"])["ExportDescription"]
    check(d["ExportStatus"] == "COMPLETED", f"export survives a restart: {d}")
    check(as_set(read_export(root, d)) == state["items"], "files still there")
    check([s["ExportArn"] for s in client.list_exports()["ExportSummaries"]]
          == [state["export_arn"]], "listed after a restart")
    d = client.describe_import(ImportArn=state["import_arn"])["ImportTableDescription"]
    check(d["ImportStatus"] == "COMPLETED", f"import survives a restart: {d}")
    check(scan_all(client, "SongsAtT") == state["items"], "imported table after a restart")
    print(f"boto3 export/import after restart: {CHECKS} checks passed")


def in_memory_phase(client):
    client.create_table(TableName="Songs", **SONGS_DEFINITION)
    wait_active(client, "Songs")
    client.update_continuous_backups(
        TableName="Songs",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    e = expect_error("ValidationException", client.export_table_to_point_in_time,
                     TableArn="arn:aws:dynamodb:us-east-1:000000000000:table/Songs",
                     S3Bucket=BUCKET)
    check("export directory" in e.response["Error"]["Message"], f"says why: {e}")
    e = expect_error("ValidationException", client.import_table,
                     S3BucketSource={"S3Bucket": BUCKET}, InputFormat="CSV",
                     TableCreationParameters={"TableName": "Xyz", **SONGS_DEFINITION})
    check("in-memory" in e.response["Error"]["Message"], f"says why: {e}")
    check(client.list_exports()["ExportSummaries"] == [], "nothing listed")
    check(client.list_imports()["ImportSummaryList"] == [], "nothing listed")
    print(f"boto3 export/import in memory: {CHECKS} checks passed")


if __name__ == "__main__":
    endpoint, phase, export_root, state_path = sys.argv[1:5]
    c = client_for(endpoint)
    if phase == "main":
        main_phase(c, export_root, state_path)
    elif phase == "after-restart":
        after_restart_phase(c, export_root, state_path)
    elif phase == "in-memory":
        in_memory_phase(c)
    else:
        raise SystemExit(f"unknown phase {phase!r}")
