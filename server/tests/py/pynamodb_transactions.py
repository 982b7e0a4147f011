"""PynamoDB against a running shale-server, unchanged: TransactWrite (update with a
condition, save, condition check, delete, a client request token) and TransactGet, and
the cancellation reasons PynamoDB exposes.

Usage:
    python3 pynamodb_transactions.py http://127.0.0.1:PORT

Exits 0 after printing "pynamodb transactions: N checks passed"; any failed check raises.
"""

import sys

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactGet, TransactWrite

CHECKS = 0


def check(cond, what):
    global CHECKS
    if not cond:
        raise AssertionError(what)
    CHECKS += 1


def main():
    endpoint = sys.argv[1]

    class Account(Model):
        class Meta:
            table_name = "PynamoAccounts"
            host = endpoint
            region = "us-east-1"
            aws_access_key_id = "anything"
            aws_secret_access_key = "anything"
            max_retry_attempts = 0

        owner = UnicodeAttribute(hash_key=True)
        balance = NumberAttribute(default=0)

    connection = Connection(host=endpoint, region="us-east-1",
                            aws_access_key_id="anything", aws_secret_access_key="anything",
                            max_retry_attempts=0)

    Account.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    Account(owner="alice", balance=100).save()
    Account(owner="bob", balance=0).save()
    alice, bob = Account.get("alice"), Account.get("bob")

    # A transfer with a condition, a new item and a token.
    with TransactWrite(connection=connection, client_request_token="pynamo-1") as tw:
        tw.update(alice, actions=[Account.balance.add(-40)], condition=Account.balance >= 40)
        tw.update(bob, actions=[Account.balance.add(40)])
        tw.save(Account(owner="carol", balance=5))
    check(Account.get("alice").balance == 60, "alice debited")
    check(Account.get("bob").balance == 40, "bob credited")
    check(Account.get("carol").balance == 5, "carol saved")

    # TransactGet: a consistent read of several items.
    with TransactGet(connection=connection) as tg:
        a = tg.get(Account, "alice")
        b = tg.get(Account, "bob")
    check(a.get().balance + b.get().balance == 100, "the total is unchanged")

    # A failed condition: nothing applied, PynamoDB sees the reasons in place.
    try:
        with TransactWrite(connection=connection) as tw:
            tw.delete(Account(owner="carol"))
            tw.condition_check(Account, "alice", condition=Account.balance >= 1000)
        raise AssertionError("the transaction should have been cancelled")
    except TransactWriteError as e:
        check(e.cause_response_code == "TransactionCanceledException", e.cause_response_code)
        # PynamoDB sends condition checks first, then deletes, puts and updates.
        reasons = e.cancellation_reasons
        check(len(reasons) == 2, f"one reason per action: {reasons}")
        check(reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed",
              f"the check failed: {reasons[0]}")
        check(reasons[1] is None, f"the delete passed: {reasons[1]}")
    check(Account.get("carol").balance == 5, "carol not deleted")

    print(f"pynamodb transactions: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
