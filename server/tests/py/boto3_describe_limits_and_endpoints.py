"""boto3 against a running shale-server: DescribeLimits and DescribeEndpoints.

Usage:
    python3 boto3_describe_limits_and_endpoints.py http://127.0.0.1:PORT

Exits 0 after printing "describe limits and endpoints: N checks passed"; any failed
check raises.
"""

import sys

import boto3
from botocore.config import Config

CHECKS = 0


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def client(url):
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )


def main():
    url = sys.argv[1]
    ddb = client(url)

    limits = ddb.describe_limits()
    for name, expected in [
        ("AccountMaxReadCapacityUnits", 80000),
        ("AccountMaxWriteCapacityUnits", 80000),
        ("TableMaxReadCapacityUnits", 40000),
        ("TableMaxWriteCapacityUnits", 40000),
    ]:
        check(limits.get(name) == expected, f"{name}: {limits}")

    endpoints = ddb.describe_endpoints()["Endpoints"]
    check(len(endpoints) == 1, f"one endpoint, as DynamoDB: {endpoints}")
    address = endpoints[0]["Address"]
    # botocore sends Host: 127.0.0.1:PORT; the address carries no scheme, as DynamoDB's.
    check(address == url.removeprefix("http://"), f"{address} for {url}")
    check(endpoints[0]["CachePeriodInMinutes"] == 1440, f"{endpoints}")
    # The advertised address serves: call it back, as Alternator's test does.
    again = client("http://" + address).describe_endpoints()["Endpoints"]
    check(again == endpoints, f"{again} from {address}")

    print(f"describe limits and endpoints: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
