"""ocr: S3 ``inbox/`` (SES inbound mail or uploads) -> SQS -> here.

Each document named by the notification goes to supplier intake; a customer's reply to a
reminder is handed to dunning there. A record that is not an S3 notification fails and is
retried, then dead-lettered.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing import observability
from invoicing.events import s3_objects
from invoicing.observability import count, logger
from invoicing.services.supplier_intake import SupplierIntake
from invoicing.settings import OcrSettings

intake = SupplierIntake.from_settings(OcrSettings.from_env())
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> list[dict[str, Any]]:
    received = []
    for obj in s3_objects(record.body):
        item = intake.receive(obj)
        if item.reply is not None:
            logger.info(
                "reply to a reminder",
                extra={"key": item.key, "outcome": item.reply.outcome, "number": item.reply.number},
            )
            count("RepliesReceived")
        else:
            logger.info(
                "supplier document received",
                extra={"key": item.key, "size": item.size, "unreadable": item.unreadable},
            )
            count("SupplierDocumentsReceived")
        received.append(
            {"key": item.key, "size": item.size, "reply": item.reply.outcome if item.reply else None}
        )
    return received


@observability.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
