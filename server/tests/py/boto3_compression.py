"""boto3 against a running shale-server: compressed requests and responses.

botocore neither asks for compressed responses nor decodes them, and compresses requests
only for operations whose model says so (none of DynamoDB's). So, as ScyllaDB's
Alternator tests do against DynamoDB, this script:
- turns request compression on for every operation (the `requestcompression` trait) and
  checks that the bodies really went out gzipped and the items arrived;
- adds `Accept-Encoding` to each request (before signing) and decodes a compressed
  response before botocore parses it (`before-parse`), while botocore's own X-Amz-Crc32
  check (legacy retry mode, a single attempt, so a mismatch raises ChecksumError) runs on
  the bytes as received: it must pass on the compressed body.

Usage:
    python3 boto3_compression.py http://127.0.0.1:PORT

Exits 0 after printing "compression: N checks passed"; any failed check raises.
"""

import gzip
import sys
import zlib

import boto3
from botocore.config import Config

CHECKS = 0
TABLE = "Compressed"
ITEMS = 200
TEXT_BYTES = 1000


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def client(url, **config):
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"mode": "legacy", "max_attempts": 1}, **config),
    )


def scan_all(ddb):
    items, start = [], None
    while True:
        kwargs = {"TableName": TABLE}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = ddb.scan(**kwargs)
        items.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return items, page


def compressed_requests(url):
    """Writes every item through a client that gzips every request body."""
    ddb = client(url, request_min_compression_size_bytes=1)
    model = ddb.meta.service_model
    for op in model._service_description["operations"].values():
        op["requestcompression"] = {"encodings": ["gzip"]}
    sent = []

    def record(request, **kwargs):
        encoding = request.headers.get("Content-Encoding")
        if isinstance(encoding, bytes):
            encoding = encoding.decode()
        sent.append((encoding, bytes(request.body or b"")))

    ddb.meta.events.register("before-send.dynamodb", record)
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for batch in range(0, ITEMS, 25):
        ddb.batch_write_item(
            RequestItems={
                TABLE: [
                    {
                        "PutRequest": {
                            "Item": {
                                "pk": {"S": f"item-{i:04}"},
                                "text": {"S": (f"{i} " * TEXT_BYTES)[:TEXT_BYTES]},
                                "n": {"N": str(i)},
                            }
                        }
                    }
                    for i in range(batch, min(batch + 25, ITEMS))
                ]
            }
        )
    check(len(sent) >= 1 + ITEMS // 25, f"{len(sent)} requests sent")
    for encoding, body in sent:
        check(encoding == "gzip", f"request Content-Encoding {encoding!r}")
        check(body[:2] == b"\x1f\x8b", "request body is gzip")
    got = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "item-0007"}})["Item"]
    check(got["n"] == {"N": "7"}, f"{got['n']}")


def compressed_responses(url, coding):
    """Scans with Accept-Encoding: coding; returns the items."""
    ddb = client(url)
    seen = []

    def ask(params, **kwargs):
        params["headers"]["Accept-Encoding"] = coding

    def decode(response_dict, customized_response_dict, **kwargs):
        headers = response_dict["headers"]
        body = response_dict["body"]
        encoding = headers.get("Content-Encoding")
        crc = headers.get("x-amz-crc32")
        # X-Amz-Crc32 is the CRC of the bytes as sent: compressed.
        check(
            crc is not None and int(crc) == zlib.crc32(body) & 0xFFFFFFFF,
            f"X-Amz-Crc32 {crc} is the CRC of the {len(body)} bytes received",
        )
        seen.append((encoding, len(body)))
        if encoding == "gzip":
            response_dict["body"] = gzip.decompress(body)
        elif encoding == "deflate":
            response_dict["body"] = zlib.decompress(body)

    ddb.meta.events.register("before-call.dynamodb", ask)
    ddb.meta.events.register("before-parse.dynamodb", decode)
    items, last_page = scan_all(ddb)
    check(seen and all(e == coding for e, _ in seen), f"{coding}: {seen}")
    check(
        last_page["ResponseMetadata"]["HTTPHeaders"].get("content-encoding") == coding,
        f"{last_page['ResponseMetadata']['HTTPHeaders']}",
    )
    # A small response is not compressed, asked or not.
    seen.clear()
    ddb.describe_table(TableName=TABLE)
    check(seen == [(None, seen[0][1])] and seen[0][1] < 4096, f"{seen}")
    return items


def main():
    url = sys.argv[1]
    compressed_requests(url)

    plain_client = client(url)
    plain, page = scan_all(plain_client)
    check(len(plain) == ITEMS, f"{len(plain)} items")
    # botocore asks for no compression by default, so it gets none.
    check(
        "content-encoding" not in page["ResponseMetadata"]["HTTPHeaders"],
        f"{page['ResponseMetadata']['HTTPHeaders']}",
    )
    for coding in ["gzip", "deflate"]:
        items = compressed_responses(url, coding)
        check(items == plain, f"{coding}: the same items as uncompressed")

    print(f"compression: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
