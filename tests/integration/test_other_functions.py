"""send, remind and ocr: each is a real handler wired in the template, invoked the way its
trigger would (SQS batch, schedule). stripe_webhook: tests/integration/test_payments_webhook.py."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.domain.calendar import at_local_time, next_business_day
from invoicing.domain.receivable import Delivery
from invoicing.events import SendRequest
from invoicing_tools.local_aws.server import REGION
from tests.conftest import queue_messages, sales_csv

SECRET = "whsec_test_" + "0" * 24  # a test value, stored in the local SSM like the real one


def sqs_event(stack, queue: str, bodies: list[str]) -> dict:
    return {
        "Records": [
            {
                "messageId": f"m-{i}",
                "receiptHandle": f"r-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
                "eventSource": "aws:sqs",
                "eventSourceARN": stack.resource(queue, "Arn"),
                "awsRegion": REGION,
            }
            for i, body in enumerate(bodies)
        ]
    }


@pytest.fixture
def issued(runtime, bucket, resources, with_clients):
    bucket.put(
        "incoming/ventes.csv",
        sales_csv(["C001;03/11/2026;Audit;2;h;95;20;;;", "C003;03/11/2026;Atelier;1;u;80;20;;;"]),
    )
    runtime.run_until_idle()
    return sorted(InvoiceRepository(resources).all(), key=lambda s: s.invoice.number)


def test_send_accepts_known_invoices_and_fails_only_the_unknown_one(runtime, stack, issued):
    good = SendRequest(issued[0].invoice.invoice_id, issued[0].invoice.number).to_json()
    unknown = SendRequest("inv-does-not-exist", "FA0000-00000").to_json()
    # A bare dict (the old message form) is not a send request: it fails, it is not guessed at.
    bare = json.dumps({"invoice_id": issued[0].invoice.invoice_id, "number": issued[0].invoice.number})
    response = runtime.invoke("SendFunction", sqs_event(stack, "SendQueue", [good, unknown, bare]))
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]}


def test_send_fails_a_document_whose_pdf_is_missing(runtime, stack, bucket, resources, issued):
    repo = InvoiceRepository(resources)
    repo.update(issued[0].invoice.invoice_id, lambda r: r.requeue(datetime.now(UTC)))  # to send again
    bucket.s3.delete_object(Bucket=bucket.name, Key=issued[0].pdf_key)
    message = SendRequest(issued[0].invoice.invoice_id, issued[0].invoice.number).to_json()
    # A batch whose every record failed makes the invocation fail: Lambda retries it whole.
    with pytest.raises(BatchProcessingError, match="has no stored PDF"):
        runtime.invoke("SendFunction", sqs_event(stack, "SendQueue", [message]))
    # Nothing was claimed: the retry (once the PDF is back) can send it.
    assert repo.get(issued[0].invoice.invoice_id).receivable.delivery.state is Delivery.QUEUED


def test_remind_reads_the_invoices_due_an_action_today(runtime, resources, issued):
    # Nothing is due today: the first reminder, a courtesy notice, comes 3 days before the due date.
    assert runtime.run_schedule("RemindFunction")["reminders"] == []
    due = issued[0].invoice.due_date
    day = next_business_day(due - timedelta(days=3))
    result = runtime.run_schedule("RemindFunction", at=at_local_time(day, clock_time(9)))
    assert result["day"] == day.isoformat()
    assert sorted((r["number"], r["tone"]) for r in result["reminders"]) == [
        (issued[0].invoice.number, "courtesy"),
        (issued[1].invoice.number, "courtesy"),
    ]
    # The same day again (a retried run): nothing is sent twice.
    again = runtime.run_schedule("RemindFunction", at=at_local_time(day, clock_time(9, 30)))
    assert again["reminders"] == []


def test_ocr_acknowledges_a_supplier_document_and_retries_a_malformed_record(runtime, stack, bucket):
    bucket.put("inbox/facture-fournisseur.pdf", b"%PDF-1.4 supplier invoice")
    runtime.run_until_idle()
    ocr = [d for d in runtime.deliveries if d.function == "OcrFunction"]
    assert sum(d.received for d in ocr) == 2  # S3's test event, then the document
    assert all(d.failed == 0 for d in ocr)
    good = queue_messages(stack.resource("OcrQueue")) or []
    assert good == []  # consumed above
    document = json.dumps(
        {
            "Records": [
                {
                    "eventSource": "aws:s3",
                    "s3": {
                        "bucket": {"name": bucket.name},
                        "object": {"key": "inbox/facture-fournisseur.pdf"},
                    },
                }
            ]
        }
    )
    response = runtime.invoke("OcrFunction", sqs_event(stack, "OcrQueue", [document, "this is not JSON"]))
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


def test_send_queue_is_drained_by_the_send_function(runtime, stack, issued):
    assert queue_messages(stack.resource("SendQueue")) == []
    assert queue_messages(stack.resource("SendDeadLetterQueue")) == []
