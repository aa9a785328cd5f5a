"""A sales export dropped under incoming/ becomes numbered invoices: records in DynamoDB,
PDFs in S3, one send message each, a summary report, the source moved to processed/.
Everything goes through S3 -> SQS -> the generate handler, as in AWS."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pdfplumber

from invoicing.adapters.invoices import InvoiceRepository
from invoicing.domain.receivable import Delivery, Status
from invoicing.domain.vat import VatCategory
from invoicing.services.clock import today
from tests.conftest import queue_messages, sales_csv

SALES = sales_csv(
    [
        "C001;03/11/2026;Audit des processus de fabrication;3,5;h;95,00;20;BC-114;;",
        "C001;04/11/2026;Formation HACCP;1;jour;750;20;BC-114;10 %;",
        "C001;12/11/2026;Livre « Hygiène alimentaire »;2;pièce;24,90;5,5;;;",
        "C002;05/11/2026;Consulting — process review;6;h;110;0;;;autoliquidation",
        "c003;20/11/2026;Atelier cuisine à domicile;1;forfait;180;20;;;",
    ]
)


def test_sales_file_becomes_numbered_invoices(runtime, bucket, resources, business, with_clients, stack):
    bucket.put("incoming/ventes novembre.csv", SALES)
    runtime.run_until_idle()

    stored = sorted(InvoiceRepository(resources).all(), key=lambda s: s.invoice.number)
    year = today("Europe/Paris").year
    # Rows group by client and order reference, else by client and month: C001/BC-114,
    # C001/November, C002/November, C003/November (client references match case-insensitively).
    assert [s.invoice.number for s in stored] == [f"FA{year}-{n:05d}" for n in range(1, 5)]
    by_group = {s.invoice.draft.source.group: s.invoice for s in stored}
    assert set(by_group) == {
        "C001|380|order:BC-114",
        "C001|380|month:2026-11",
        "C002|380|month:2026-11",
        "C003|380|month:2026-11",
    }
    order = by_group["C001|380|order:BC-114"]
    assert order.draft.order_ref == "BC-114"
    assert (order.draft.period_start, order.draft.period_end) == (date(2026, 11, 3), date(2026, 11, 4))
    # 3.5 h x 95.00 = 332.50; 750.00 - 10 % = 675.00; VAT 20 % on 1007.50 = 201.50.
    assert order.totals.tax_basis_total == Decimal("1007.50")
    assert order.totals.vat_total == Decimal("201.50")
    assert order.totals.grand_total == Decimal("1209.00")
    # The client's own terms (30 days) set the due date.
    assert order.due_date == order.issue_date + timedelta(days=30)
    reverse = by_group["C002|380|month:2026-11"]
    assert [b.vat.category for b in reverse.totals.breakdown] == [VatCategory.REVERSE_CHARGE]
    assert reverse.locale == "en"

    for item in stored:
        assert item.receivable.status is Status.SENT  # the send function emailed it
        assert item.pdf_key == f"invoices/{item.invoice.issue_date.year}/{item.invoice.number}.pdf"
        pdf = bucket.get(item.pdf_key)
        assert hashlib.sha256(pdf).hexdigest() == item.pdf_sha256
        # The CII XML is stored beside the PDF (for platforms that take it alone) and is the one
        # embedded in it.
        assert item.xml_key == item.pdf_key.removesuffix(".pdf") + ".xml"
        from facturx import get_facturx_xml_from_pdf

        assert get_facturx_xml_from_pdf(pdf, check_xsd=False)[1] == bucket.get(item.xml_key)
        assert item.receivable.delivery.state is Delivery.SENT
        assert item.receivable.delivery.message_id
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            text = doc.pages[0].extract_text()
        assert item.invoice.number in text
        assert item.invoice.buyer.name in text

    assert bucket.keys("incoming/") == []
    assert bucket.keys("processed/") == ["processed/clients/clients.csv", "processed/ventes novembre.csv"]
    summary = bucket.get("reports/ventes novembre.csv.invoices.csv").decode("utf-8-sig").splitlines()
    assert summary[0].startswith("numero;type;client")
    assert len(summary) == 1 + len(stored)

    # One message per invoice for the send function, which has consumed them all.
    sends = [d for d in runtime.deliveries if d.function == "SendFunction"]
    assert sum(d.received for d in sends) == len(stored)
    assert all(d.failed == 0 for d in sends)
    assert queue_messages(stack.resource("SendQueue")) == []


def test_invoices_are_indexed_for_the_daily_reminder_run(runtime, bucket, resources, with_clients):
    bucket.put("incoming/ventes.csv", SALES)
    runtime.run_until_idle()
    repo = InvoiceRepository(resources)
    stored = list(repo.all())
    first_action = min(s.invoice.due_date for s in stored) - timedelta(days=3)
    due_then = {s.invoice.number for s in repo.due_for_action(first_action)}
    expected = {s.invoice.number for s in stored if s.invoice.due_date - timedelta(days=3) <= first_action}
    assert due_then == expected
    assert due_then  # at least the earliest one
    assert set(s.invoice.number for s in repo.due_for_action(first_action - timedelta(days=1))) == set()


def test_clients_file_updates_existing_clients(runtime, bucket, resources, with_clients):
    from invoicing.adapters.clients import ClientRepository

    bucket.put(
        "incoming/clients/mise-a-jour.csv",
        "reference;nom;adresse;code_postal;ville;email\n"
        "C003;Hélène Garnier-Bézier;5 chemin des Frênes;74000;Annecy;h.garnier@courriel.example\n",
    )
    runtime.run_until_idle()
    clients = ClientRepository(resources).all()
    assert set(clients) == {"C001", "C002", "C003"}
    assert clients["C003"].name == "Hélène Garnier-Bézier"
    assert clients["C003"].address.lines == ("5 chemin des Frênes",)
    assert clients["C001"].name == "Boulangerie Lefèvre SAS"


def test_s3_put_event_as_sam_generates_it_is_handled(runtime, bucket, stack, resources, with_clients):
    """The S3 notification shape from `sam local generate-event s3 put`, inside an SQS record."""
    from tests.conftest import fixture_path

    event = json.loads(fixture_path("ses", "sam-cli", "S3Put.json").read_text())
    record = event["Records"][0]
    record["s3"]["bucket"]["name"] = bucket.name
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket.name}"
    record["s3"]["object"]["key"] = "incoming/ventes+sam.csv"  # S3 encodes a space as '+'
    bucket.s3.put_object(Bucket=bucket.name, Key="incoming/ventes sam.csv", Body=SALES.encode())
    runtime.run_until_idle()  # the real notification for that put
    assert bucket.keys("processed/ventes") == ["processed/ventes sam.csv"]

    # The same file delivered again by the sam-shaped event: already processed, nothing new.
    before = len(list(InvoiceRepository(resources).all()))
    sqs_event = {
        "Records": [
            {
                "messageId": "sam-1",
                "receiptHandle": "x",
                "body": json.dumps(event),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": stack.resource("GenerateQueue", "Arn"),
                "awsRegion": "eu-west-3",
            }
        ]
    }
    assert runtime.invoke("GenerateFunction", sqs_event) == {"batchItemFailures": []}
    assert len(list(InvoiceRepository(resources).all())) == before
