"""generate: S3 ``incoming/`` -> SQS -> here. Parses the batch, hands each file to the core.

A file that fails for an unexpected reason (not bad input: that is answered with a report)
is reported as a batch item failure: SQS redelivers it, and after five attempts it lands in
the dead-letter queue, whose alarm tells the operator. Nothing is dropped silently.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from invoicing.services.generate import Generator

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def generator() -> Generator:
    return Generator.from_env()


def record_handler(record: SQSRecord) -> None:
    body = record.json_body
    if body.get("Event") == "s3:TestEvent":  # sent once when the notification is configured
        logger.info("S3 test event ignored")
        return
    for s3_record in S3Event(body).records:
        # S3 URL-encodes keys in notifications (a space arrives as '+'); Powertools only
        # decodes S3Event.object_key, the first record's.
        key = unquote_plus(s3_record.s3.get_object.key)
        outcome = generator().process(key)
        logger.info(
            "file processed",
            extra={
                "key": key,
                "outcome": outcome.kind,
                "detail": outcome.detail,
                "numbers": [item.number for item in outcome.issued],
                "report": outcome.report_key,
            },
        )
        metrics.add_metric(name="FilesProcessed", unit=MetricUnit.Count, value=1)
        if outcome.kind == "rejected":
            metrics.add_metric(name="FilesRejected", unit=MetricUnit.Count, value=1)
        created = sum(1 for item in outcome.issued if item.created)
        if created:
            metrics.add_metric(name="InvoicesIssued", unit=MetricUnit.Count, value=created)


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
