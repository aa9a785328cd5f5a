"""Supplier invoices in DynamoDB (SupplierInvoicesTable): one item per document read.

Key ``supplier_invoice_id``: the SHA-256 of the document's bytes, so the same file received
twice (a redelivered event, the same PDF mailed and uploaded) is one item, written once by a
conditional put. A second kind of item, ``number#<supplier>#<invoice number>``, holds the
document that first claimed a supplier's invoice number: a different file with the same number
is a duplicate, known by a conditional put rather than a scan.

Indexes: ``by-status`` (status, received_at): the owner's review queue (``to_review``);
``by-month`` (month of the issue date, id): what the month's purchases journal books (only
``ready`` and ``approved`` are booked). The record itself is stored as its JSON
(``SupplierInvoice.as_json``); the reasons to review as their French and English wording.
A change (approval, correction, rejection) is a conditional write on ``version``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from invoicing.adapters.aws import client
from invoicing.domain.accounting import Account, supplier_key
from invoicing.domain.supplier_invoice import SupplierInvoice

#: Lines of a supplier invoice kept in its record (the books need its totals, not its lines).
MAX_STORED_LINES = 200
DESCRIPTION_LIMIT = 300


class State(StrEnum):
    #: Textract is reading it (asynchronous analysis of a long PDF).
    READING = "reading"
    READY = "ready"
    TO_REVIEW = "to_review"
    #: Approved (or corrected) by the owner: booked like a ready one.
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def booked(self) -> bool:
        return self in (State.READY, State.APPROVED)


class Conflict(RuntimeError):
    """Someone changed the record meanwhile: read it again."""


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    field: str | None
    value: str | None
    fr: str
    en: str


@dataclass(frozen=True, slots=True)
class StoredSupplierInvoice:
    invoice: SupplierInvoice
    state: State
    received_at: datetime
    #: Where the document is kept (``supplier/<yyyy>/<mm>/<hash>.<ext>``).
    document_key: str
    #: Where it came from: the inbox key, and the mail's sender when mailed.
    origin: str
    file_name: str
    reasons: tuple[Reason, ...] = ()
    account: Account | None = None
    sender: str | None = None
    #: Who did what to it: ("2026-11-26T10:00:00+00:00", "approved by the owner: ...").
    history: tuple[tuple[str, str], ...] = ()
    #: Textract's job while reading.
    job_id: str | None = None
    version: int = 1

    @property
    def id(self) -> str:
        return self.invoice.document_hash

    @property
    def short_id(self) -> str:
        """What people type: the hash's first 12 characters."""
        return self.id[:12]


def number_key(invoice: SupplierInvoice) -> str | None:
    """The item that claims a supplier's invoice number: by SIREN, else VAT id, else name."""
    supplier = invoice.supplier_siren or invoice.supplier_vat_id or supplier_key(invoice.supplier_name or "")
    number = " ".join((invoice.invoice_number or "").split()).casefold()
    if not supplier or not number:
        return None
    return f"number#{supplier}#{number}"


class SupplierInvoices:
    def __init__(self, table: str) -> None:
        if not table:
            raise ValueError("SupplierInvoices needs the supplier invoices table")
        self.table = table

    @property
    def _db(self) -> Any:
        return client("dynamodb")

    def get(self, document_hash: str) -> StoredSupplierInvoice | None:
        item = self._db.get_item(
            TableName=self.table, Key={"supplier_invoice_id": {"S": document_hash}}, ConsistentRead=True
        ).get("Item")
        return None if item is None else _stored(item)

    def find(self, prefix: str) -> list[StoredSupplierInvoice]:
        """The records whose id starts with ``prefix`` (what the command line is given): the
        review queue first, then the month's."""
        prefix = prefix.strip().lower()
        if len(prefix) == 64:
            one = self.get(prefix)
            return [one] if one else []
        found = {}
        for state in State:
            for stored in self.in_state(state):
                if stored.id.startswith(prefix):
                    found[stored.id] = stored
        return list(found.values())

    def create(self, stored: StoredSupplierInvoice) -> bool:
        """Write a new record; False when this document is already recorded."""
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_item(stored),
                ConditionExpression="attribute_not_exists(supplier_invoice_id)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def claim_number(self, invoice: SupplierInvoice) -> str | None:
        """Claim the supplier's invoice number for this document: None when it is ours (now or
        already), else the id of the document that holds it."""
        key = number_key(invoice)
        if key is None:
            return None
        try:
            self._db.put_item(
                TableName=self.table,
                Item={"supplier_invoice_id": {"S": key}, "holder": {"S": invoice.document_hash}},
                ConditionExpression="attribute_not_exists(supplier_invoice_id) OR holder = :me",
                ExpressionAttributeValues={":me": {"S": invoice.document_hash}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            item = self._db.get_item(
                TableName=self.table, Key={"supplier_invoice_id": {"S": key}}, ConsistentRead=True
            ).get("Item")
            return item["holder"]["S"] if item else None
        return None

    def release_number(self, invoice: SupplierInvoice) -> None:
        """A rejected document gives its number back (the right one can come later)."""
        key = number_key(invoice)
        if key is None:
            return
        try:
            self._db.delete_item(
                TableName=self.table,
                Key={"supplier_invoice_id": {"S": key}},
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":me": {"S": invoice.document_hash}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def claim_mark(self, mark: str) -> bool:
        """Claim a one-time mark (the owner's summary of one mail): False when already claimed."""
        try:
            self._db.put_item(
                TableName=self.table,
                Item={"supplier_invoice_id": {"S": mark}},
                ConditionExpression="attribute_not_exists(supplier_invoice_id)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def release_mark(self, mark: str) -> None:
        self._db.delete_item(TableName=self.table, Key={"supplier_invoice_id": {"S": mark}})

    def replace(self, before: StoredSupplierInvoice, after: StoredSupplierInvoice) -> StoredSupplierInvoice:
        """Write ``after`` if the record is still ``before`` (its version); ``Conflict`` otherwise."""
        written = replace(after, version=before.version + 1)
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_item(written),
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": {"N": str(before.version)}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            raise Conflict(f"{before.short_id} was changed meanwhile: show it again") from exc
        return written

    def in_state(self, state: State) -> Iterator[StoredSupplierInvoice]:
        yield from self._query("by-status", "#s = :v", {"#s": "status"}, {":v": {"S": state.value}})

    def of_month(self, month: str) -> Iterator[StoredSupplierInvoice]:
        """Every record whose issue date is in ``month`` (``YYYY-MM``), whatever its state."""
        yield from self._query("by-month", "#m = :v", {"#m": "month"}, {":v": {"S": month}})

    def _query(
        self, index: str, condition: str, names: dict[str, str], values: dict[str, Any]
    ) -> Iterator[StoredSupplierInvoice]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        while True:
            page = self._db.query(**request)
            for item in page.get("Items", []):
                yield _stored(item)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _item(stored: StoredSupplierInvoice) -> dict[str, Any]:
    invoice = stored.invoice
    item: dict[str, Any] = {
        "supplier_invoice_id": {"S": stored.id},
        "status": {"S": stored.state.value},
        "received_at": {"S": stored.received_at.isoformat()},
        "document_key": {"S": stored.document_key},
        "origin": {"S": stored.origin},
        "file_name": {"S": stored.file_name},
        "record": {"S": json.dumps(_stored_json(invoice), ensure_ascii=False)},
        "reasons": {
            "S": json.dumps(
                [
                    {"code": r.code, "field": r.field, "value": r.value, "fr": r.fr, "en": r.en}
                    for r in stored.reasons
                ],
                ensure_ascii=False,
            )
        },
        "history": {"S": json.dumps([list(h) for h in stored.history], ensure_ascii=False)},
        "version": {"N": str(stored.version)},
    }
    if invoice.issue_date is not None:
        item["month"] = {"S": month_of(invoice.issue_date)}
    if stored.account is not None:
        item["account"] = {"S": stored.account.number}
        item["account_label"] = {"S": stored.account.label}
    if stored.sender:
        item["sender"] = {"S": stored.sender}
    if stored.job_id:
        item["job_id"] = {"S": stored.job_id}
    return item


def month_of(day: date) -> str:
    """``YYYY-MM``, the year always on four digits (``strftime("%Y")`` is not, for year 26)."""
    return f"{day.year:04d}-{day.month:02d}"


def _stored_json(invoice: SupplierInvoice) -> dict[str, Any]:
    """The record as stored: its lines cut to ``MAX_STORED_LINES`` (and each description to
    ``DESCRIPTION_LIMIT`` characters), so that an item stays within DynamoDB's 400 KB whatever
    the invoice; ``lines_omitted`` says how many were left out (the document keeps them all)."""
    data = invoice.as_json()
    lines = data["lines"]
    data["lines"] = [
        {**line, "description": line["description"][:DESCRIPTION_LIMIT]} for line in lines[:MAX_STORED_LINES]
    ]
    if len(lines) > MAX_STORED_LINES:
        data["lines_omitted"] = len(lines) - MAX_STORED_LINES
    return data


def _stored(item: dict[str, Any]) -> StoredSupplierInvoice:
    def text(name: str) -> str | None:
        value = item.get(name)
        return None if value is None else str(value["S"])

    account = text("account")
    return StoredSupplierInvoice(
        invoice=SupplierInvoice.from_json(json.loads(item["record"]["S"])),
        state=State(item["status"]["S"]),
        received_at=datetime.fromisoformat(item["received_at"]["S"]),
        document_key=item["document_key"]["S"],
        origin=item["origin"]["S"],
        file_name=item["file_name"]["S"],
        reasons=tuple(
            Reason(r["code"], r.get("field"), r.get("value"), r["fr"], r["en"])
            for r in json.loads(item["reasons"]["S"])
        ),
        account=Account(account, text("account_label") or "") if account else None,
        sender=text("sender"),
        history=tuple((h[0], h[1]) for h in json.loads(item.get("history", {"S": "[]"})["S"])),
        job_id=text("job_id"),
        version=int(item["version"]["N"]),
    )
