"""Supplier invoices through the real ocr handler against the local AWS: uploads and mails read,
checked and recorded once, the owner's summary, the review queue, quarantine, and the month's
FEC with sales, purchases and payments."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage

from invoicing.adapters.payments import PaymentLedger
from invoicing.adapters.supplier_invoices import State, SupplierInvoices
from invoicing.documents.fec import COLUMNS
from invoicing.documents.render import render
from invoicing.domain.invoice import issue
from invoicing.domain.ledger import Entry, Kind, Source
from invoicing.domain.ledger import State as EntryState
from invoicing.domain.terms import PaymentTerms
from invoicing.services.clock import today
from invoicing.services.supplier_desk import SupplierDesk
from tests import factories
from tests.conftest import fixture_path, sales_csv

SUPPLIER = factories.seller(
    legal_name="Papeterie Martin",
    legal_form="SARL",
    siret="73282932000017",
    vat_id="FR44732829320",
    email="factures@papeterie-martin.example",
)


def supplier_pdf(number: str, issued: date, *lines) -> bytes:
    """A Factur-X invoice from a supplier (our renderer, another seller), dated ``issued``."""
    draft = factories.draft(
        factories.company(),
        *(lines or (factories.line("Fournitures de bureau : papier, classeurs", "3", "40"),)),
        period_start=issued,
        period_end=issued,
    )
    invoice = issue(
        draft,
        seller=SUPPLIER,
        number=number,
        issue_date=issued,
        default_terms=PaymentTerms(30),
        invoice_id=number,
    )
    return render(invoice).pdf


def mail(*attachments: tuple[str, str, bytes], headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Papeterie Martin <factures@papeterie-martin.example>"
    msg["To"] = "factures@horizon-conseil.example"
    msg["Subject"] = "Votre facture"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content("Bonjour, veuillez trouver notre facture ci-jointe.")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def records(resources) -> SupplierInvoices:
    return SupplierInvoices(resources.supplier_invoices_table)


def test_an_uploaded_factur_x_is_read_exactly_recorded_ready_and_summarised(
    runtime, bucket, resources, mailbox
):
    day = today("Europe/Paris")
    pdf = supplier_pdf("PM-2026-118", day)
    bucket.put("inbox/upload/papeterie.pdf", pdf)
    runtime.run_until_idle()

    stored = records(resources).get(hashlib.sha256(pdf).hexdigest())
    assert stored is not None
    assert stored.state is State.READY, [r.en for r in stored.reasons]
    invoice = stored.invoice
    assert (invoice.engine.value, invoice.supplier_siren, invoice.invoice_number) == (
        "facturx",
        "732829320",
        "PM-2026-118",
    )
    assert (invoice.total_excl_tax, invoice.total_tax, invoice.total_incl_tax) == (
        Decimal("120.00"),
        Decimal("24.00"),
        Decimal("144.00"),
    )
    assert stored.account is not None
    assert stored.account.number == "6064"  # "fournitures" in its lines
    assert bucket.keys(f"supplier/{stored.received_at:%Y/%m}/") == [stored.document_key]
    (summary,) = [m for m in mailbox.messages() if "Factures fournisseurs" in m["Subject"]]
    assert summary["Subject"] == "Factures fournisseurs : 1 enregistrée"
    text = summary.get_body(("plain",)).get_content()
    assert "Papeterie Martin" in text
    assert "PM-2026-118" in text
    assert [p.get_filename() for p in summary.iter_attachments()] == ["papeterie.pdf"]

    # The same file again under another name: one record, reported as already received.
    bucket.put("inbox/upload/papeterie-copie.pdf", pdf)
    runtime.run_until_idle()
    assert len(list(records(resources).in_state(State.READY))) == 1
    again = [m for m in mailbox.messages() if "Factures fournisseurs" in m["Subject"]][1:]
    assert len(again) == 1
    assert "déjà reçue" in again[0].get_body(("plain",)).get_content()


def test_a_mailed_invoice_is_read_from_its_attachment_and_an_old_one_waits_for_approval(
    runtime, bucket, resources, mailbox
):
    old = today("Europe/Paris") - timedelta(days=400)
    pdf = supplier_pdf("PM-2025-007", old)
    logo = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000  # a signature's logo: skipped
    bucket.put(
        "inbox/mail/abc123", mail(("facture.pdf", "application/pdf", pdf), ("logo.png", "image/png", logo))
    )
    runtime.run_until_idle()

    desk = SupplierDesk(records(resources), today=lambda: today("Europe/Paris"))
    (waiting,) = desk.queue()
    assert waiting.invoice.invoice_number == "PM-2025-007"
    assert waiting.sender == "factures@papeterie-martin.example"
    assert [r.code for r in waiting.reasons] == ["supplier_date_old"]
    summary = next(m for m in mailbox.messages() if "Factures fournisseurs" in m["Subject"])
    assert summary["Subject"] == "Factures fournisseurs : 1 à valider sur 1"
    assert f"invoicing suppliers approve {waiting.short_id}" in summary.get_body(("plain",)).get_content()
    (report,) = bucket.keys("reports/supplier/mail/abc123.")
    assert "logo.png: image too small" in bucket.get(report).decode()

    approved = desk.approve(waiting.short_id, account="6063")
    assert approved.state is State.APPROVED
    assert approved.account is not None
    assert approved.account.number == "6063"
    assert "account 6064 -> 6063" in approved.history[-1][1]
    assert desk.queue() == []


def test_a_mail_flagged_by_ses_is_quarantined_and_the_operator_alerted(
    runtime, bucket, resources, operator_inbox
):
    raw = mail(("facture.pdf", "application/pdf", b"%PDF-1.4 x"), headers={"X-SES-Virus-Verdict": "FAIL"})
    bucket.put("inbox/mail/virus1", raw)
    runtime.run_until_idle()
    assert bucket.keys("inbox/mail/") == []
    assert bucket.keys("quarantine/mail/") == ["quarantine/mail/virus1"]
    assert list(records(resources).in_state(State.TO_REVIEW)) == []
    (alert,) = [m for m in operator_inbox.messages() if m.get("Subject") == "Message mis en quarantaine"]
    assert "virus" in alert["Message"]


def test_a_document_that_cannot_be_read_is_kept_for_review_with_the_reason(runtime, bucket, resources):
    bucket.put("inbox/upload/scan.pdf", b"%PDF-1.4\n%broken beyond repair")
    runtime.run_until_idle()
    (stored,) = records(resources).in_state(State.TO_REVIEW)
    assert stored.file_name == "scan.pdf"
    assert stored.reasons[0].code == "supplier_unreadable"


def test_the_month_export_books_sales_purchases_and_payments_balanced(
    runtime, bucket, resources, with_clients
):
    day = today("Europe/Paris")
    month = f"{day:%Y-%m}"
    bucket.put("incoming/ventes.csv", sales_csv([f"C001;{day:%d/%m/%Y};Audit;2;h;95;20;;;"]))
    bucket.put("inbox/upload/papeterie.pdf", supplier_pdf("PM-2026-200", day))
    runtime.run_until_idle()
    from invoicing.adapters.invoices import InvoiceRepository

    (sale,) = list(InvoiceRepository(resources).all())
    PaymentLedger(resources.payments_table).record(
        Entry(
            group="manual:test",
            kind=Kind.PAYMENT,
            ref="CHQ-1",
            state=EntryState.SUCCEEDED,
            cents=22800,
            on=day,
            source=Source.MANUAL,
            invoice_id=sale.invoice.invoice_id,
        )
    )

    result = runtime.invoke("OcrFunction", {"task": "accounting-export", "month": month})
    assert result["left_out"] == []
    fec_key = next(k for k in result["keys"] if "FEC" in k)
    assert fec_key.endswith(
        f"FEC{(day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1):%Y%m%d}.txt"
    )
    rows = list(csv.reader(io.StringIO(bucket.get(fec_key).decode("iso-8859-15")), delimiter="|"))
    assert rows[0] == list(COLUMNS)
    journals: dict[tuple[str, str], list[Decimal]] = {}
    for row in rows[1:]:
        assert len(row) == 18
        debit, credit = (Decimal(v.replace(",", ".")) for v in (row[11], row[12]))
        journals.setdefault((row[0], row[2]), []).append(debit - credit)
    assert {journal for journal, _ in journals} == {"VE", "HA", "BQ"}
    assert all(sum(amounts) == 0 for amounts in journals.values())
    accounts = {row[4] for row in rows[1:]}
    assert {"411", "706", "44571", "401", "6064", "44566", "512"} <= accounts
    assert any(k.endswith("XIMPORT.TXT") for k in result["keys"])
    assert any(k.endswith(f"ecritures-{month}.csv") for k in result["keys"])
    assert datetime.now(UTC)  # the export ran now, not at a fixed date


def test_every_fixture_factur_x_pdf_is_recorded_with_what_its_xml_says(runtime, bucket, resources):
    path = fixture_path("facturx", "mustang", "pdf-fr", "Facture_F20180027.pdf")
    data = path.read_bytes()
    bucket.put("inbox/upload/Facture_F20180027.pdf", data)
    runtime.run_until_idle()
    stored = records(resources).get(hashlib.sha256(data).hexdigest())
    assert stored is not None
    assert (stored.invoice.invoice_number, stored.invoice.total_incl_tax, stored.invoice.engine.value) == (
        "F20180027",
        Decimal("110.00"),
        "facturx",
    )
    assert "supplier_date_old" in [r.code for r in stored.reasons]


# --- Textract in AWS: the real mapping, the client stubbed with the recorded responses ----------------


def textract_intake(stack, resources, responses: dict[str, list]):
    """Supplier intake as the ocr function builds it with ExtractionEngine=textract, its Textract
    client a botocore Stubber fed with ``responses`` (operation -> [(response, expected params)])."""
    import boto3
    from botocore.stub import Stubber

    from invoicing.adapters.documents import DocumentStore
    from invoicing.adapters.textract import ExpenseReader
    from invoicing.services.supplier_intake import IntakeConfig, SupplierIntake

    client = boto3.client(
        "textract", region_name="eu-west-3", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    for operation, calls in responses.items():
        for response, expected in calls:
            stubber.add_response(operation, response, expected)
    stubber.activate()
    intake = SupplierIntake(
        documents=DocumentStore(stack.resource("DocumentsBucket")),
        records=records(resources),
        config=IntakeConfig(
            engine="textract",
            summary="off",
            textract_topic_arn="arn:aws:sns:eu-west-3:123456789012:textract",
            textract_role_arn="arn:aws:iam::123456789012:role/textract",
        ),
        textract=ExpenseReader(client),
    )
    return intake, stubber


def test_an_image_goes_to_analyze_expense_and_is_mapped(stack, bucket, resources):
    import json

    from invoicing.events import S3Object

    image = fixture_path("textract", "textract-response-parser", "default_invoice_1.png").read_bytes()
    response = json.loads(
        fixture_path("textract", "textract-response-parser", "invoice-expense-response.json").read_text()
    )
    digest = hashlib.sha256(image).hexdigest()
    bucket.put("inbox/upload/scan.png", image)
    intake, stubber = textract_intake(stack, resources, {"analyze_expense": [(response, None)]})
    received = intake.receive(S3Object(stack.resource("DocumentsBucket"), "inbox/upload/scan.png"))
    stubber.assert_no_pending_responses()
    (read,) = received.documents
    assert read.engine == "textract"
    stored = records(resources).get(digest)
    assert stored is not None
    assert (stored.invoice.invoice_number, stored.invoice.total_incl_tax, stored.invoice.currency) == (
        "123PQR456",
        Decimal("6231.09"),
        "USD",
    )
    # A US invoice: no SIREN or EU VAT id, in dollars: the owner sees why it waits.
    assert stored.state is State.TO_REVIEW
    assert {"supplier_currency", "supplier_missing"} <= {r.code for r in stored.reasons}


def test_a_long_pdf_is_read_asynchronously_and_recorded_when_textract_says_it_is_done(
    stack, bucket, resources
):
    import json

    from invoicing.events import S3Object

    pages = json.loads(
        fixture_path(
            "textract", "textract-response-parser", "analyzeExpenseResponse-multipage.json"
        ).read_text()
    )
    two_pages = supplier_pdf("PM-2026-300", today("Europe/Paris"))  # any 2-page PDF will do: pages counted
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    page = PdfReader(BytesIO(two_pages)).pages[0]
    writer.add_page(page)
    writer.add_page(page)
    buffer = BytesIO()
    writer.write(buffer)
    pdf = buffer.getvalue()
    digest = hashlib.sha256(pdf).hexdigest()
    bucket.put("inbox/upload/long.pdf", pdf)
    job = "job-0123456789"
    intake, stubber = textract_intake(
        stack,
        resources,
        {
            "start_expense_analysis": [({"JobId": job}, None)],
            "get_expense_analysis": [({**pages, "JobStatus": "SUCCEEDED"}, None)],
        },
    )
    received = intake.receive(S3Object(stack.resource("DocumentsBucket"), "inbox/upload/long.pdf"))
    assert [r.state for r in received.documents] == ["reading"]
    assert records(resources).get(digest).state is State.READING
    notice = json.dumps(
        {
            "Type": "Notification",
            "Message": json.dumps(
                {
                    "JobId": job,
                    "Status": "SUCCEEDED",
                    "API": "StartExpenseAnalysis",
                    "JobTag": digest,
                    "Timestamp": 1790000000000,
                    "DocumentLocation": {"S3ObjectName": "supplier/x.pdf", "S3Bucket": "b"},
                }
            ),
        }
    )
    done = intake.textract_done(notice)
    stubber.assert_no_pending_responses()
    assert done is not None
    stored = records(resources).get(digest)
    assert stored.state is not State.READING
    assert (stored.invoice.invoice_number, stored.invoice.total_incl_tax) == ("00000135", Decimal("5715.00"))
    # The same notice again (SNS delivers at least once): nothing more happens.
    assert intake.textract_done(notice) is None


# --- the raw emails of ../shared/fixtures/mime through the mail path ----------------------------------


def test_every_fixture_mail_is_read_and_its_invoice_like_attachments_recorded(
    runtime, stack, bucket, resources
):
    from invoicing.ingest.mail import UnreadableMail, parse_mail
    from invoicing.services.supplier_intake import IMAGE_FLOOR_BYTES, MAX_DOCUMENTS_PER_MAIL, document_kind

    folder = fixture_path("mime")
    mails = sorted(p for p in folder.rglob("*.eml"))
    assert len(mails) >= 30
    expected: set[str] = set()
    nothing_to_read: set[str] = set()
    for index, path in enumerate(mails):
        raw = path.read_bytes()
        key = f"fixture-{index:02d}"
        bucket.put(f"inbox/mail/{key}", raw)
        try:
            mail_read = parse_mail(raw)
        except UnreadableMail:
            nothing_to_read.add(key)
            continue
        kept = 0
        for attachment in mail_read.attachments:
            kind = document_kind(attachment.filename, attachment.content_type, attachment.data)
            small = (
                kind is not None and kind.startswith("image/") and len(attachment.data) < IMAGE_FLOOR_BYTES
            )
            if kind is not None and not small and kept < MAX_DOCUMENTS_PER_MAIL and not mail_read.quarantined:
                expected.add(hashlib.sha256(attachment.data).hexdigest())
                kept += 1
        if not kept and not mail_read.quarantined:
            nothing_to_read.add(key)
    runtime.run_until_idle()
    ocr = [d for d in runtime.deliveries if d.function == "OcrFunction"]
    assert sum(d.failed for d in ocr) == 0
    recorded = {s.id for state in State for s in records(resources).in_state(state)}
    assert recorded == expected
    assert expected  # the fixtures do carry PDFs
    # Every mail without a readable invoice says so in its report; nothing was lost.
    reported = {key.rsplit("/", 1)[-1].split(".")[0] for key in bucket.keys("reports/supplier/mail/")}
    assert nothing_to_read <= reported
    assert len(nothing_to_read) > 20
