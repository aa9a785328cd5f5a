"""The payments ledger in DynamoDB (PaymentsTable): one item per entry.

Keys: ``group_id`` (the payment: ``stripe:<payment intent>``, ``bank:<line>``, ``manual:<id>``)
and ``entry`` (``payment``, ``refund:<charge>``, ``chargeback:<dispute>``), so a payment and
everything that happened to it are one strongly consistent Query. ``by-invoice`` lists an
invoice's entries; ``to-review`` (sparse: only entries no invoice is known for carry
``review``) is the operator's list of unmatched money.

``record`` merges what it is told into what is stored (``domain.ledger.merge``) by a
conditional write on the stored item's ``version``: two events about one payment at the same
moment cannot lose each other's news.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from botocore.exceptions import ClientError

from invoicing.adapters.aws import client
from invoicing.domain.ledger import Entry, Kind, Source, State, merge

#: The value of ``review`` on entries waiting for an operator (the sparse index's partition).
TO_REVIEW = "open"


class LedgerConflict(RuntimeError):
    """Others kept changing an entry: the caller retries the whole event later."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """An entry before and after ``record``: ``changed`` tells whether anything new was learnt."""

    before: Entry | None
    after: Entry

    @property
    def changed(self) -> bool:
        return self.before != self.after


class PaymentLedger:
    def __init__(self, table: str) -> None:
        if not table:
            raise ValueError("PaymentLedger needs the payments table")
        self.table = table

    @property
    def _db(self) -> Any:
        return client("dynamodb")

    # --- writing -------------------------------------------------------------------------------

    def record(self, entry: Entry, *, attempts: int = 10) -> Recorded:
        """Merge ``entry`` into the ledger; returns what was there and what is there now."""
        if self._create(entry):  # most reports are of something new: one write, no read
            return Recorded(None, entry)
        for attempt in range(attempts):
            stored, version = self._get(entry.group, entry.key)
            after = entry if stored is None else merge(stored, entry)
            if stored is not None and after == stored:
                return Recorded(stored, stored)
            item = _item(after, version + 1)
            try:
                if stored is None:
                    self._db.put_item(
                        TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(group_id)"
                    )
                else:
                    self._db.put_item(
                        TableName=self.table,
                        Item=item,
                        ConditionExpression="version = :v",
                        ExpressionAttributeValues={":v": {"N": str(version)}},
                    )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                time.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311
                continue
            return Recorded(stored, after)
        raise LedgerConflict(f"{entry.entry_id}: changed by others {attempts} times in a row")

    def create_all(self, entries: Sequence[Entry]) -> bool:
        """Write new entries all together or not at all (one transaction, each on condition that
        it is not there yet): False when any exists already, written by someone else."""
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": _item(entry, 1),
                            "ConditionExpression": "attribute_not_exists(group_id)",
                        }
                    }
                    for entry in entries
                ]
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            return False
        return True

    def _create(self, entry: Entry) -> bool:
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_item(entry, 1),
                ConditionExpression="attribute_not_exists(group_id)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return False
        return True

    # --- reading -------------------------------------------------------------------------------

    def get(self, group: str, key: str = "payment") -> Entry | None:
        return self._get(group, key)[0]

    def _get(self, group: str, key: str) -> tuple[Entry | None, int]:
        item = self._db.get_item(
            TableName=self.table, Key={"group_id": {"S": group}, "entry": {"S": key}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            return None, 0
        return _entry(item), int(item["version"]["N"])

    def group(self, group: str) -> list[Entry]:
        """Every entry of one payment, strongly consistent (what was just written is there)."""
        return list(
            self._query(
                KeyConditionExpression="group_id = :g",
                ExpressionAttributeValues={":g": {"S": group}},
                ConsistentRead=True,
            )
        )

    def of_invoice(self, invoice_id: str) -> list[Entry]:
        return list(
            self._query(
                IndexName="by-invoice",
                KeyConditionExpression="invoice_id = :i",
                ExpressionAttributeValues={":i": {"S": invoice_id}},
            )
        )

    def to_review(self) -> list[Entry]:
        """Money nobody has matched to an invoice yet, oldest first."""
        return list(
            self._query(
                IndexName="to-review",
                KeyConditionExpression="review = :r",
                ExpressionAttributeValues={":r": {"S": TO_REVIEW}},
            )
        )

    def all(self) -> Iterator[Entry]:
        """Every entry (a Scan: the monthly accounting export's, a few thousand items a year)."""
        paginator = self._db.get_paginator("scan")
        for page in paginator.paginate(TableName=self.table):
            for item in page.get("Items", []):
                yield _entry(item)

    def _query(self, **kwargs: Any) -> Iterator[Entry]:
        paginator = self._db.get_paginator("query")
        for page in paginator.paginate(TableName=self.table, **kwargs):
            for item in page.get("Items", []):
                yield _entry(item)


def _item(entry: Entry, version: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "group_id": {"S": entry.group},
        "entry": {"S": entry.key},
        "kind": {"S": entry.kind.value},
        "ref": {"S": entry.ref},
        "state": {"S": entry.state.value},
        "cents": {"N": str(entry.cents)},
        "on": {"S": entry.on.isoformat()},
        "source": {"S": entry.source.value},
        "currency": {"S": entry.currency},
        "method": {"S": entry.method},
        "label": {"S": entry.label},
        "recorded_at": {"S": datetime.now(UTC).isoformat(timespec="milliseconds")},
        "version": {"N": str(version)},
    }
    if entry.invoice_id:
        item["invoice_id"] = {"S": entry.invoice_id}
    elif entry.kind is Kind.PAYMENT and entry.state is not State.FAILED:
        # Money received (or on its way) that no invoice is known for. A refund or a dispute
        # without its payment is not money to assign: it waits to be linked, or is of a Stripe
        # payment that is none of ours.
        item["review"] = {"S": TO_REVIEW}
    return item


def _entry(item: dict[str, Any]) -> Entry:
    return Entry(
        group=item["group_id"]["S"],
        kind=Kind(item["kind"]["S"]),
        ref=item["ref"]["S"],
        state=State(item["state"]["S"]),
        cents=int(item["cents"]["N"]),
        on=date.fromisoformat(item["on"]["S"]),
        source=Source(item["source"]["S"]),
        currency=item["currency"]["S"],
        method=item.get("method", {}).get("S", ""),
        invoice_id=item.get("invoice_id", {}).get("S"),
        label=item.get("label", {}).get("S", ""),
    )
