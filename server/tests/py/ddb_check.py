"""Helpers the boto3 scripts share: a counted check, an expected-error call, and a
client for a running shale-server.
"""

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


class Checks:
    """Counts passed checks; a failed one raises."""

    def __init__(self):
        self.passed = 0

    def check(self, cond, what):
        if not cond:
            raise AssertionError(what)
        self.passed += 1

    def expect_error(self, code, fn, **kwargs):
        """Runs fn, checks it raises a 400 ClientError with `code`, returns its message."""
        try:
            fn(**kwargs)
        except ClientError as e:
            got = e.response["Error"]["Code"]
            self.check(got == code, f"expected {code}, got {got}: {e}")
            self.check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 400,
                       f"{code} is a 400: {e}")
            return e.response["Error"]["Message"]
        raise AssertionError(f"expected {code}, call succeeded")


def client(endpoint):
    """A DynamoDB client for the server at `endpoint`, without retries."""
    session = boto3.session.Session(
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
        region_name="us-east-1",
    )
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    return session.client("dynamodb", endpoint_url=endpoint, config=config)


def as_sent(t):
    """The instants a service may have received for datetime `t`: botocore before 1.44
    sends a timestamp in whole seconds, 1.44 and later to the microsecond (CI's venv got
    1.44.18 on 2026-12-06 and a check that assumed whole seconds failed)."""
    return (t, t.replace(microsecond=0))
