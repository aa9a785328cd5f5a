"""Clients taken out of reminders by a person (``invoicing exclude --client``), kept in the
dunning table (``invoice_id`` = ``client#<REF>``, ``step`` = ``excluded``) so that a clients
file re-uploaded later cannot undo it."""

from __future__ import annotations

from datetime import datetime

from invoicing.adapters.aws import client
from invoicing.adapters.clients import client_key

_STEP = "excluded"


def _key(ref: str) -> dict[str, dict[str, str]]:
    return {"invoice_id": {"S": f"client#{client_key(ref)}"}, "step": {"S": _STEP}}


class ClientExclusions:
    def __init__(self, table: str) -> None:
        if not table:
            raise ValueError("ClientExclusions needs the dunning table")
        self.table = table

    def exclude(self, ref: str, reason: str, at: datetime) -> None:
        client("dynamodb").put_item(
            TableName=self.table,
            Item={**_key(ref), "reason": {"S": reason}, "at": {"S": at.isoformat(timespec="seconds")}},
        )

    def include(self, ref: str) -> bool:
        """Reminders again for this client; False when it was not excluded."""
        answer = client("dynamodb").delete_item(TableName=self.table, Key=_key(ref), ReturnValues="ALL_OLD")
        return "Attributes" in answer

    def reason(self, ref: str) -> str | None:
        """Why the client is excluded, or None when it is not."""
        item = (
            client("dynamodb").get_item(TableName=self.table, Key=_key(ref), ConsistentRead=True).get("Item")
        )
        return item["reason"]["S"] if item else None
