"""Idempotency: the same S3 object delivered twice never makes a second invoice, and a run
that dies half-way through a file finishes it on retry without duplicates or gaps.

Failures are injected into the generate function's own wiring (its S3 store or renderer);
the retry is SQS redelivering the message, as in AWS."""

from __future__ import annotations

import hashlib
import json

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.adapters.records import models
from invoicing.domain.receivable import Delivery
from tests.conftest import queue_messages, sales_csv

SALES = sales_csv(
    [
        "C001;03/11/2026;Audit;2;h;95;20;BC-1;;",
        "C001;04/11/2026;Formation;1;jour;750;20;BC-2;;",
        "C002;05/11/2026;Consulting;6;h;110;0;;;autoliquidation",
        "C003;06/11/2026;Atelier;1;forfait;180;20;;;",
        "C001;07/11/2026;Suivi;3;h;95;20;BC-3;;",
    ]
)
DOCUMENTS = 5


def importer(runtime):
    """The file import the deployed generate function uses (its module-level one)."""
    return runtime._module(runtime.stack.functions["GenerateFunction"]).importer


def assert_complete(resources, bucket, stack, expected: int) -> None:
    stored = sorted(InvoiceRepository(resources).all(), key=lambda s: s.invoice.number)
    numbers = [s.invoice.number for s in stored]
    year = stored[0].invoice.issue_date.year
    assert numbers == [f"FA{year}-{n:05d}" for n in range(1, expected + 1)], "no gap, no duplicate"
    assert len({s.invoice.draft.source.group for s in stored}) == expected
    for item in stored:
        assert hashlib.sha256(bucket.get(item.pdf_key)).hexdigest() == item.pdf_sha256
        assert item.receivable.delivery.state is Delivery.SENT
        assert [m.kind for m in item.receivable.messages] == ["invoice"]  # emailed once
    counter = next(r for r in models(resources).SequenceRecord.scan() if not r.series.startswith("number#"))
    assert int(counter.last) == expected
    assert bucket.keys("incoming/") == []


def test_the_same_event_delivered_twice_makes_nothing_new(runtime, bucket, resources, with_clients, stack):
    bucket.put("incoming/ventes.csv", SALES)
    event_messages = queue_messages(stack.resource("GenerateQueue"))
    assert len(event_messages) == 1
    record = {
        "messageId": "m-1",
        "receiptHandle": "r",
        "body": event_messages[0]["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": event_messages[0]["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": stack.resource("GenerateQueue", "Arn"),
        "awsRegion": "eu-west-3",
    }
    first = runtime.invoke("GenerateFunction", {"Records": [record]})
    second = runtime.invoke("GenerateFunction", {"Records": [{**record, "messageId": "m-2"}]})
    assert first == second == {"batchItemFailures": []}
    runtime.run_until_idle()  # the send function, and the original event delivered a third time
    assert_complete(resources, bucket, stack, DOCUMENTS)


def test_the_same_content_uploaded_again_makes_nothing_new(runtime, bucket, resources, with_clients, stack):
    bucket.put("incoming/ventes.csv", SALES)
    runtime.run_until_idle()
    bucket.put("incoming/ventes (copie).csv", SALES)
    runtime.run_until_idle()
    assert_complete(resources, bucket, stack, DOCUMENTS)
    summary = bucket.get("reports/ventes (copie).csv.invoices.csv").decode("utf-8-sig").splitlines()
    # It lists the invoices the content already produced, then each of its rows, already invoiced.
    documents = [line for line in summary[1:] if line.split(";")[0]]
    rows = [line for line in summary[1:] if not line.split(";")[0]]
    assert len(documents) == DOCUMENTS
    assert len(rows) == len(SALES.strip().splitlines()) - 1
    assert all("déjà facturée (FA2026-" in line for line in rows)


def test_a_run_that_dies_half_way_finishes_on_retry(runtime, bucket, resources, with_clients, stack):
    wired = importer(runtime)
    real_put = wired.documents.put
    pdfs = []

    def dying_put(key, data, content_type, metadata=None, **options):
        if key.endswith(".pdf"):
            pdfs.append(key)
            if len(pdfs) == 3:  # the function dies while storing the third PDF
                raise ConnectionError("the Lambda was stopped here")
        return real_put(key, data, content_type, metadata, **options)

    wired.documents.put = dying_put
    bucket.put("incoming/ventes.csv", SALES)
    runtime.run_until_idle()

    failed = [d for d in runtime.deliveries if d.function == "GenerateFunction" and d.failed]
    assert len(failed) == 1, "the first attempt failed and SQS redelivered the message"
    assert_complete(resources, bucket, stack, DOCUMENTS)
    # One send message per invoice: the two sent before the crash were not sent again.
    sends = [d for d in runtime.deliveries if d.function == "SendFunction"]
    assert sum(d.received for d in sends) == DOCUMENTS


def test_a_run_that_dies_between_numbering_and_rendering_finishes_on_retry(
    runtime, bucket, resources, with_clients, stack
):
    wired = importer(runtime)
    real_render = wired.issuer.render
    calls = []

    def dying_render(invoice):
        calls.append(invoice.number)
        if len(calls) == 2:  # the invoice is numbered and stored; its PDF is not
            raise MemoryError("out of memory while rendering")
        return real_render(invoice)

    wired.issuer.render = dying_render
    bucket.put("incoming/ventes.csv", SALES)
    runtime.run_until_idle()
    assert_complete(resources, bucket, stack, DOCUMENTS)
    # The second invoice was rendered on retry from its stored record, under its first number.
    assert calls.count(calls[1]) == 2


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(
    runtime, bucket, resources, with_clients, stack
):
    wired = importer(runtime)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    wired.issuer.render = broken
    bucket.put("incoming/ventes.csv", SALES)
    runtime.run_until_idle()
    attempts = [d for d in runtime.deliveries if d.function == "GenerateFunction" and d.failed]
    redrive = json.loads(
        runtime._sqs.get_queue_attributes(
            QueueUrl=stack.resource("GenerateQueue"), AttributeNames=["RedrivePolicy"]
        )["Attributes"]["RedrivePolicy"]
    )
    assert len(attempts) == int(redrive["maxReceiveCount"])
    dead = queue_messages(stack.resource("GenerateDeadLetterQueue"))
    assert len(dead) == 1
    assert "incoming/ventes.csv" in dead[0]["Body"] or "incoming%2Fventes.csv" in dead[0]["Body"]
    # The source is still in incoming/: nothing is lost, the operator can replay it.
    assert bucket.keys("incoming/") == ["incoming/ventes.csv"]
