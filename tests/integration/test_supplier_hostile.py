"""Supplier intake under hostile and unlucky conditions (each case a finding of the review of the
supplier work): nothing sinks a mail's other documents, nothing is lost, nothing is told twice,
and nothing wrong is booked."""

from __future__ import annotations

import hashlib
import zlib
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from xml.sax.saxutils import escape

import pytest

from invoicing.adapters.documents import DocumentStore
from invoicing.adapters.supplier_invoices import MAX_STORED_LINES, State, SupplierInvoices, month_of
from invoicing.events import S3Object
from invoicing.services.clock import today
from invoicing.services.supplier_desk import SupplierDesk, SupplierRefused, corrected
from invoicing.services.supplier_intake import IntakeConfig, SupplierIntake
from tests.conftest import fixture_path


def ubl(
    number: str,
    *,
    issued: date | None = None,
    name: str = "Papeterie Martin",
    siren: str = "847319266",
    excl: str = "100.00",
    tax: str = "20.00",
    incl: str = "120.00",
    lines: int = 1,
    breakdown: tuple[tuple[str, str, str], ...] | None = None,
) -> bytes:
    """A UBL 2.1 invoice from a French supplier (built here: the fixtures have none this large)."""
    issued = issued or today("Europe/Paris")
    rates = breakdown or (("20", excl, tax),)
    subtotals = "".join(
        f"<cac:TaxSubtotal><cbc:TaxableAmount currencyID='EUR'>{base}</cbc:TaxableAmount>"
        f"<cbc:TaxAmount currencyID='EUR'>{amount}</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID>"
        f"<cbc:Percent>{rate}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>"
        "</cac:TaxCategory></cac:TaxSubtotal>"
        for rate, base, amount in rates
    )
    body = "".join(
        f"<cac:InvoiceLine><cbc:ID>{i}</cbc:ID><cbc:InvoicedQuantity unitCode='C62'>1</cbc:InvoicedQuantity>"
        f"<cbc:LineExtensionAmount currencyID='EUR'>0.01</cbc:LineExtensionAmount><cac:Item>"
        f"<cbc:Name>Article de papeterie numéro {i} " + "x" * 300 + "</cbc:Name></cac:Item>"
        "<cac:Price><cbc:PriceAmount currencyID='EUR'>0.01</cbc:PriceAmount></cac:Price></cac:InvoiceLine>"
        for i in range(lines)
    )
    vat = "FR60" + siren
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:ID>{escape(number)}</cbc:ID><cbc:IssueDate>{issued.isoformat()}</cbc:IssueDate>
<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
<cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>{vat}</cbc:CompanyID>
<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme><cac:PartyLegalEntity>
<cbc:RegistrationName>{escape(name)}</cbc:RegistrationName>
<cbc:CompanyID schemeID="0002">{siren}</cbc:CompanyID>
</cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Horizon</cbc:RegistrationName>
</cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
<cac:TaxTotal><cbc:TaxAmount currencyID='EUR'>{tax}</cbc:TaxAmount>{subtotals}</cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID='EUR'>{excl}</cbc:LineExtensionAmount>
<cbc:TaxExclusiveAmount currencyID='EUR'>{excl}</cbc:TaxExclusiveAmount>
<cbc:TaxInclusiveAmount currencyID='EUR'>{incl}</cbc:TaxInclusiveAmount>
<cbc:PayableAmount currencyID='EUR'>{incl}</cbc:PayableAmount></cac:LegalMonetaryTotal>
{body}</Invoice>""".encode()


def mail(*attachments: tuple[str, str, bytes]) -> bytes:
    msg = EmailMessage()
    msg["From"] = "factures@papeterie-martin.example"
    msg["To"] = "factures@horizon-conseil.example"
    msg["Subject"] = "Factures"
    msg.set_content("Ci-joint.")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def records(resources) -> SupplierInvoices:
    return SupplierInvoices(resources.supplier_invoices_table)


def summaries(mailbox) -> list:
    return [m for m in mailbox.messages() if str(m["Subject"]).startswith("Factures fournisseurs")]


def bomb(inflated: int) -> bytes:
    """A small PDF whose page content inflates to ``inflated`` bytes."""
    packer = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    stream = b"".join(packer.compress(chunk) for _ in range(inflated >> 20)) + packer.flush()
    return (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n"
        b"4 0 obj\n<< /Length "
        + str(len(stream)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + stream
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def test_a_reader_crashing_on_one_document_leaves_the_others_read(runtime, bucket, resources, monkeypatch):
    import invoicing.ingest.supplier_text as reader

    def crash(data: bytes, **kwargs: object) -> None:
        raise RuntimeError("pdfminer fell over")

    monkeypatch.setattr(reader, "read_pdf_text", crash)
    broken = b"%PDF-1.4\n" + b"\x00" * 100
    bucket.put(
        "inbox/mail/two",
        mail(("scan.pdf", "application/pdf", broken), ("f.xml", "application/xml", ubl("F-1"))),
    )
    runtime.run_until_idle()
    assert sum(d.failed for d in runtime.deliveries if d.function == "OcrFunction") == 0
    crashed = records(resources).get(hashlib.sha256(broken).hexdigest())
    assert crashed is not None
    assert crashed.state is State.TO_REVIEW
    assert "RuntimeError" in crashed.reasons[0].en
    assert records(resources).get(hashlib.sha256(ubl("F-1")).hexdigest()) is not None


def test_a_pdf_that_inflates_to_gigabytes_is_refused_unread(runtime, bucket, resources):
    data = bomb(120 << 20)
    assert len(data) < 1_000_000
    bucket.put("inbox/upload/bomb.pdf", data)
    runtime.run_until_idle()
    stored = records(resources).get(hashlib.sha256(data).hexdigest())
    assert stored is not None
    assert stored.state is State.TO_REVIEW
    assert "inflates to more than 100 MB" in stored.reasons[0].en


def test_an_invoice_of_thousands_of_lines_is_recorded_with_its_first_lines(runtime, bucket, resources):
    data = ubl("F-BIG", lines=5000)
    assert len(data) > 2_000_000
    bucket.put("inbox/upload/telecom.xml", data)
    runtime.run_until_idle()
    stored = records(resources).get(hashlib.sha256(data).hexdigest())
    assert stored is not None
    assert stored.invoice.invoice_number == "F-BIG"
    assert len(stored.invoice.lines) == MAX_STORED_LINES


def intake(stack, resources, mailer) -> SupplierIntake:
    return SupplierIntake(
        documents=DocumentStore(stack.resource("DocumentsBucket")),
        records=records(resources),
        mailer=mailer,
        config=IntakeConfig(engine="local", owner="owner@example.fr", sender="factures@example.fr"),
    )


class FlakyMailer:
    """Fails ``failures`` times, then records what it is given."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list = []

    def send(self, message, **kwargs: object) -> str:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SES throttled")
        self.sent.append(message)
        return "id"


def test_a_summary_that_failed_is_sent_by_the_retry_and_only_once(stack, bucket, resources):
    bucket.put("inbox/upload/f.xml", ubl("F-2"))
    obj = S3Object(stack.resource("DocumentsBucket"), "inbox/upload/f.xml")
    mailer = FlakyMailer(failures=1)
    service = intake(stack, resources, mailer)
    with pytest.raises(ConnectionError):
        service.receive(obj)
    service.receive(obj)  # SQS delivers the event again
    service.receive(obj)  # and once more
    assert len(mailer.sent) == 1
    # The same file uploaded again under another name: one more summary, saying it was received.
    bucket.put("inbox/upload/g.xml", ubl("F-2"))
    copy = S3Object(stack.resource("DocumentsBucket"), "inbox/upload/g.xml")
    service.receive(copy)
    service.receive(copy)
    assert len(mailer.sent) == 2
    assert "déjà reçue" in mailer.sent[1].get_body(("plain",)).get_content()


def test_documents_beyond_the_limit_of_a_mail_are_named_to_the_owner(stack, bucket, resources):
    from invoicing.services.supplier_intake import MAX_DOCUMENTS_PER_MAIL

    many = [(f"f{i}.xml", "application/xml", ubl(f"F-{i}")) for i in range(MAX_DOCUMENTS_PER_MAIL + 3)]
    bucket.put("inbox/mail/many", mail(*many))
    mailer = FlakyMailer(failures=0)
    intake(stack, resources, mailer).receive(S3Object(stack.resource("DocumentsBucket"), "inbox/mail/many"))
    (summary,) = mailer.sent
    text = summary.get_body(("plain",)).get_content()
    assert f"f{MAX_DOCUMENTS_PER_MAIL + 2}.xml" in text
    assert "not read" in text


def test_approval_books_nothing_twice_nothing_of_ours_and_no_implausible_date(runtime, bucket, resources):
    day = today("Europe/Paris")
    first, again = ubl("DUP-7"), ubl("DUP-7", excl="50.00", tax="10.00", incl="60.00")
    ours = ubl("FA2026-00001", name="Horizon Conseil", siren="812457331")
    bucket.put("inbox/upload/a.xml", first)
    bucket.put("inbox/upload/b.xml", again)
    bucket.put("inbox/upload/c.xml", ours)
    runtime.run_until_idle()
    desk = SupplierDesk(records(resources), today=lambda: day, our_ids=("812457331",))
    duplicate = records(resources).get(hashlib.sha256(again).hexdigest())
    assert duplicate is not None
    assert "supplier_duplicate_number" in [r.code for r in duplicate.reasons]
    with pytest.raises(SupplierRefused, match="already received"):
        desk.approve(duplicate.short_id)
    # Renumbered (the supplier's typo), it is booked, and its misread number stays the first's.
    approved = desk.approve(duplicate.short_id, changes={"invoice_number": "DUP-8"})
    assert approved.state is State.APPROVED
    assert "it waited for: supplier_duplicate_number" in approved.history[-1][1]
    # An invoice of the business itself (its own SIREN as the supplier's) is not a purchase.
    own = records(resources).get(hashlib.sha256(ours).hexdigest())
    assert own is not None
    with pytest.raises(SupplierRefused, match="our own business"):
        desk.approve(own.short_id)
    with pytest.raises(SupplierRefused, match=r"not a date|plausible"):
        desk.approve(approved.short_id, changes={"issue_date": "26/11/26"})
    with pytest.raises(SupplierRefused, match="plausible"):
        desk.approve(approved.short_id, changes={"issue_date": "0001-01-01"})
    with pytest.raises(SupplierRefused, match="class 6"):
        desk.approve(approved.short_id, account="512")


def test_a_corrected_number_frees_the_number_it_was_misread_as(runtime, bucket, resources):
    day = today("Europe/Paris")
    misread = ubl("FA-100", issued=day - timedelta(days=400))  # old: it waits for the owner
    bucket.put("inbox/upload/a.xml", misread)
    runtime.run_until_idle()
    desk = SupplierDesk(records(resources), today=lambda: day)
    (waiting,) = desk.queue()
    desk.approve(waiting.short_id, changes={"invoice_number": "FA-101"})
    real = ubl("FA-100", excl="10.00", tax="2.00", incl="12.00")
    bucket.put("inbox/upload/b.xml", real)
    runtime.run_until_idle()
    stored = records(resources).get(hashlib.sha256(real).hexdigest())
    assert stored is not None
    assert stored.state is State.READY, [r.en for r in stored.reasons]


def test_a_vat_breakdown_that_does_not_add_up_can_still_be_approved_when_the_totals_do(
    runtime, bucket, resources
):
    data = ubl("BRK-1", excl="100.00", tax="20.00", incl="120.00", breakdown=(("20", "95.00", "19.00"),))
    bucket.put("inbox/upload/a.xml", data)
    runtime.run_until_idle()
    desk = SupplierDesk(records(resources), today=lambda: today("Europe/Paris"))
    (waiting,) = desk.queue()
    assert "supplier_vat_breakdown_mismatch" in [r.code for r in waiting.reasons]
    assert desk.approve(waiting.short_id).state is State.APPROVED


def test_dates_are_written_and_read_with_four_digit_years():
    assert month_of(date(26, 11, 26)) == "0026-11"
    from invoicing.domain.supplier_invoice import Engine, SupplierInvoice

    with pytest.raises(SupplierRefused, match="not a date"):
        corrected(SupplierInvoice(engine=Engine.TEXT, document_hash="e" * 64), {"issue_date": "26/11/26"})


def test_the_fixture_factur_x_avoir_breaks_nothing_when_mutated(runtime, bucket, resources):
    data = fixture_path("facturx", "mustang", "pdf-fr", "validAvoir_FR_type380_BASICWL.pdf").read_bytes()
    mutated = data.replace(b"/Kids [ 3 0 R ]", b"/Kids [ 3/Kids [1 0 R] 0 R ]", 1)
    assert mutated != data
    bucket.put(
        "inbox/mail/mutated",
        mail(("avoir.pdf", "application/pdf", mutated), ("f.xml", "application/xml", ubl("F-9"))),
    )
    runtime.run_until_idle()
    assert sum(d.failed for d in runtime.deliveries if d.function == "OcrFunction") == 0
    assert records(resources).get(hashlib.sha256(mutated).hexdigest()) is not None
    assert records(resources).get(hashlib.sha256(ubl("F-9")).hexdigest()) is not None
    assert Decimal("1")  # the two documents were recorded, whatever the mutated one gave
