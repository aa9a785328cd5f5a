"""The local AWS backs up only the items a DynamoDB transaction names (moto copies whole tables):
a cancelled transaction must still leave every table exactly as it was, and a passing one apply
every write."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from invoicing_tools.local_aws.server import client


def table(name: str, *, range_key: bool) -> str:
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if range_key:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "S"})
    client("dynamodb").create_table(
        TableName=name, KeySchema=keys, AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST"
    )
    return name


def key(pk: str, range_key: bool) -> dict:
    return {"pk": {"S": pk}, **({"sk": {"S": "1"}} if range_key else {})}


def everything(name: str) -> list:
    items = client("dynamodb").scan(TableName=name, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i.get("sk", {}).get("S", "")))


@pytest.mark.parametrize("range_key", [False, True], ids=["hash key", "hash and range keys"])
def test_a_cancelled_transaction_changes_nothing_and_a_passing_one_everything(local_aws, range_key):
    ddb = client("dynamodb")
    name = table(f"tx-{'range' if range_key else 'hash'}", range_key=range_key)
    for pk in ("counter", "kept", "deleted"):
        ddb.put_item(TableName=name, Item={**key(pk, range_key), "n": {"N": "1"}, "tags": {"SS": ["a"]}})
    before = everything(name)
    update = {
        "Update": {
            "TableName": name,
            "Key": key("counter", range_key),
            "UpdateExpression": "SET n = :two ADD tags :b",
            "ConditionExpression": "n = :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":two": {"N": "2"}, ":b": {"SS": ["b"]}},
        }
    }
    put = {"Put": {"TableName": name, "Item": {**key("new", range_key), "n": {"N": "9"}}}}
    delete = {"Delete": {"TableName": name, "Key": key("deleted", range_key)}}
    failing = {
        "Put": {
            "TableName": name,
            "Item": {**key("kept", range_key), "n": {"N": "7"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(TransactItems=[update, put, delete, failing])
    assert everything(name) == before

    ddb.transact_write_items(TransactItems=[update, put, delete])
    after = {i["pk"]["S"]: i for i in everything(name)}
    assert sorted(after) == ["counter", "kept", "new"]
    assert after["counter"]["n"] == {"N": "2"}
    assert sorted(after["counter"]["tags"]["SS"]) == ["a", "b"]
    assert after["new"]["n"] == {"N": "9"}
