"""Once-only marks in the dunning table: ``claim`` writes (``invoice_id``, ``step``) on
condition that it is not there yet, so an action done for an event delivered twice (SQS and S3
deliver at least once) is done once. Used for forwarding a customer's reply to the owner."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError

from invoicing.adapters.aws import client


class Marks:
    def __init__(self, table: str) -> None:
        if not table:
            raise ValueError("Marks needs the dunning table")
        self.table = table

    def claim(self, invoice_id: str, mark: str, at: datetime) -> bool:
        """True the first time ``mark`` is claimed for this invoice, False after."""
        try:
            client("dynamodb").put_item(
                TableName=self.table,
                Item={
                    "invoice_id": {"S": invoice_id},
                    "step": {"S": mark},
                    "at": {"S": at.isoformat(timespec="seconds")},
                },
                ConditionExpression="attribute_not_exists(invoice_id)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, invoice_id: str, mark: str) -> None:
        """Undo a claim whose action failed, so that the retry does it."""
        client("dynamodb").delete_item(
            TableName=self.table, Key={"invoice_id": {"S": invoice_id}, "step": {"S": mark}}
        )
