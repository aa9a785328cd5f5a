"""generate: S3 ``incoming/`` -> SQS -> here. Parses the batch, hands each file to file import.
EventBridge Scheduler's ``{"task": "sheet-pull"}`` pulls the stack's Google Sheet into
``incoming/sheets/``, which comes back here as an upload.

A file that fails for an unexpected reason (not bad input: that is answered with a report)
is reported as a batch item failure: SQS redelivers it, and after five attempts it lands in
the dead-letter queue, whose alarm tells the operator. Nothing is dropped silently.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing import observability
from invoicing.business import GenerateSettings
from invoicing.events import s3_objects
from invoicing.observability import count, logger
from invoicing.services.file_import import FileImport

# Init phase: a missing or wrong setting fails the cold start, naming the variable.
importer = FileImport.from_settings(GenerateSettings.from_env())
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    for obj in s3_objects(record.body):
        outcome = importer.process(obj)
        logger.info(
            "file processed",
            extra={
                "key": obj.key,
                "outcome": outcome.kind,
                "detail": outcome.detail,
                "numbers": [item.number for item in outcome.issued],
                "report": outcome.report_key,
            },
        )
        count("FilesProcessed")
        count("FilesRejected", int(outcome.kind == "rejected"))
        count("InvoicesIssued", sum(1 for item in outcome.issued if item.created))


def _pull() -> dict[str, Any]:
    pulled = importer.pull_sheet()
    if pulled is None:
        logger.warning("sheet pull scheduled, but the stack names no Google Sheet")
        return {"pulled": None}
    logger.info("sheet pulled", extra={"key": pulled.key, "rows": pulled.rows, "reason": pulled.reason})
    count("SheetPulls")
    count("SheetPullsFailed", int(pulled.key is None and pulled.reason not in (None, "no_rows")))
    return {"pulled": pulled.key, "rows": pulled.rows, "reason": pulled.reason}


@observability.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("task") == "sheet-pull":  # EventBridge Scheduler, or invoicing pull
        return _pull()
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
