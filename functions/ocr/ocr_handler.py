"""ocr: supplier documents and the accountant's monthly export.

- SQS (the ocr queue) carries S3 notifications of ``inbox/`` (SES inbound mail, uploads): each
  document goes to supplier intake (a customer's reply to a reminder is handed to dunning
  there); and Textract's completion notices (SNS) of long PDFs it read asynchronously.
- EventBridge Scheduler, monthly: ``{"task": "accounting-export"}`` writes the previous month's
  FEC and import files under ``exports/`` (``"month": "YYYY-MM"`` for another month).

A record that is neither fails and is retried, then dead-lettered.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing import observability
from invoicing.events import s3_objects
from invoicing.observability import count, logger
from invoicing.services.supplier_intake import SupplierIntake, is_notification
from invoicing.settings import OcrSettings

intake = SupplierIntake.from_settings(OcrSettings.from_env())
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> list[dict[str, Any]]:
    if is_notification(record.body):  # Textract finished reading a long PDF
        read = intake.textract_done(record.body)
        logger.info("textract finished", extra={"state": read.state if read else None})
        return [{"state": read.state if read else None}]
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
            for read in item.documents:
                logger.info(
                    "supplier document read",
                    extra={
                        "key": item.key,
                        "file": read.file_name,
                        "state": read.state,
                        "engine": read.engine,
                    },
                )
                count("SupplierDocumentsRead")
                if read.state == "to_review" and read.fresh:
                    count("SupplierDocumentsToReview")
            if item.quarantined:
                count("MailsQuarantined")
        received.append(
            {
                "key": item.key,
                "size": item.size,
                "reply": item.reply.outcome if item.reply else None,
                "documents": [{"file": r.file_name, "state": r.state} for r in item.documents],
                "quarantined": item.quarantined,
                "unreadable": item.unreadable,
            }
        )
    return received


def _export(event: dict[str, Any]) -> dict[str, Any]:
    try:
        done = intake.export(event.get("month"))
    except ValueError as exc:  # a month the schedule's input misnames: retrying will not mend it
        logger.error("accounting export refused", extra={"reason": str(exc)})
        return {"error": str(exc)}
    logger.info(
        "accounting export", extra={"month": done.month, "keys": done.keys, "left_out": len(done.left_out)}
    )
    return {"month": done.month, "keys": list(done.keys), "left_out": list(done.left_out)}


@observability.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("task") == "accounting-export":
        return _export(event)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
