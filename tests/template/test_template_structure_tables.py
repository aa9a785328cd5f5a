"""The tables: shaped for their queries, on demand, encrypted, recoverable, and the ones the law
needs kept outlive the stack."""

from __future__ import annotations

import pytest
from template_helpers import (
    props,
    resources,
)


def _key_schema(schema: list[dict]) -> tuple[tuple[str, str], ...]:
    return tuple((k["AttributeName"], k["KeyType"]) for k in schema)


@pytest.mark.parametrize(
    ("table", "keys", "indexes"),
    [
        (
            "InvoicesTable",
            [("invoice_id", "HASH")],
            {
                "by-number": [("number", "HASH")],
                "by-client": [("client_ref", "HASH"), ("issued_key", "RANGE")],
                "by-next-action": [("dunning_queue", "HASH"), ("next_action_on", "RANGE")],
            },
        ),
        ("SequencesTable", [("series", "HASH")], {}),
        ("ClientsTable", [("client_ref", "HASH")], {}),
        ("ProductsTable", [("code", "HASH")], {}),
        ("DunningTable", [("invoice_id", "HASH"), ("step", "RANGE")], {}),
        (
            "PaymentsTable",
            [("group_id", "HASH"), ("entry", "RANGE")],
            {
                "by-invoice": [("invoice_id", "HASH"), ("recorded_at", "RANGE")],
                "to-review": [("review", "HASH"), ("recorded_at", "RANGE")],
            },
        ),
        (
            "SupplierInvoicesTable",
            [("supplier_invoice_id", "HASH")],
            {
                "by-status": [("status", "HASH"), ("received_at", "RANGE")],
                "by-month": [("month", "HASH"), ("supplier_invoice_id", "RANGE")],
            },
        ),
        ("IdempotencyTable", [("id", "HASH")], {}),
    ],
)
def test_table_keys_and_indexes(template, table, keys, indexes):
    p = props(template, table)
    assert _key_schema(p["KeySchema"]) == tuple(keys)
    found = {i["IndexName"]: i for i in p.get("GlobalSecondaryIndexes", [])}
    assert set(found) == set(indexes)
    for name, schema in indexes.items():
        assert _key_schema(found[name]["KeySchema"]) == tuple(schema), name
        assert found[name]["Projection"]["ProjectionType"] == "ALL", name
    key_attributes = {a for a, _ in keys} | {a for schema in indexes.values() for a, _ in schema}
    definitions = {d["AttributeName"]: d["AttributeType"] for d in p["AttributeDefinitions"]}
    assert definitions == dict.fromkeys(key_attributes, "S")


ALL_TABLES = (
    "InvoicesTable",
    "SequencesTable",
    "ClientsTable",
    "ProductsTable",
    "DunningTable",
    "PaymentsTable",
    "SupplierInvoicesTable",
    "IdempotencyTable",
)


def test_the_eight_tables_and_only_them(template):
    assert set(resources(template, "AWS::DynamoDB::Table")) == set(ALL_TABLES)


@pytest.mark.parametrize("table", ALL_TABLES)
def test_tables_are_on_demand_encrypted_and_recoverable(template, table):
    p = props(template, table)
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert p["SSESpecification"]["SSEEnabled"] is True


@pytest.mark.parametrize("table", ["ClientsTable", "ProductsTable"])
def test_clients_and_the_price_list_are_kept_when_the_stack_goes(template, table):
    resource = template["Resources"][table]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("table", ["InvoicesTable", "SequencesTable"])
def test_invoices_and_sequences_outlive_the_stack(template, table):
    resource = template["Resources"][table]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert resource["Properties"]["DeletionProtectionEnabled"] is True


def test_idempotency_records_expire(template):
    ttl = props(template, "IdempotencyTable")["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiration", "Enabled": True}
