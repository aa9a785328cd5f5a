"""An invoice issued paid (a sale paid online): "Facture acquittée" with the payment day and method,
nothing to pay, no request for a transfer; on the page, in the Factur-X XML (valid under the official
rules), in its stored record and in its email."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import io
from datetime import date
from decimal import Decimal
from email.message import EmailMessage

import facturx_validation as fv
import pdfplumber
import pytest
from documents_helpers import COMPANY, PERSON, SELLER, line, make_invoice, norm, page_texts, qr_images

from invoicing.documents.cii import build_cii
from invoicing.documents.cii_read import read_cii
from invoicing.documents.emails import compose_invoice_email
from invoicing.documents.mentions import Kind, Where, for_page, mentions
from invoicing.documents.pdf import LABEL_W, LEFT, render_pdf
from invoicing.documents.render import render
from invoicing.domain.codec import invoice_from_dict, invoice_to_dict
from invoicing.domain.invoice import Invoice, Settlement
from invoicing.domain.parties import Locale
from invoicing.domain.terms import PaymentTerms

PAID_ON = date(2026, 11, 26)
SESSION = "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY"


def paid_invoice(buyer=PERSON, method: str = "card", **kwargs) -> Invoice:  # type: ignore[no-untyped-def]
    """What an online sale becomes: paid by ``method`` on 26/11/2026, issued the same day."""
    buyer = dataclasses.replace(buyer, email="client@exemple.fr", payment_terms=PaymentTerms(0))
    lines = (line("Coffret découverte", "2", "8.335"), line("Livraison", "1", "4.15"))
    return make_invoice(
        buyer,
        lines,
        settled=Settlement(PAID_ON, method, "stripe:pi_3PgafyB7WZ01zgkW"),
        period_start=PAID_ON,
        period_end=PAID_ON,
        order_ref=SESSION,
        issued=PAID_ON,
        **kwargs,
    )


@pytest.fixture(scope="module")
def consumer() -> Invoice:
    return paid_invoice()


@pytest.fixture(scope="module")
def business() -> Invoice:
    return paid_invoice(COMPANY, "sepa_debit", number="FA2026-00043")


@pytest.fixture(scope="module")
def english() -> Invoice:
    return paid_invoice(dataclasses.replace(PERSON, locale=Locale.EN), number="FA2026-00044")


@pytest.fixture(scope="module")
def consumer_pdf(consumer: Invoice) -> bytes:
    return render_pdf(consumer)


# --- the wording ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "fr", "en"),
    [
        (
            "card",
            "Facture acquittée le 26/11/2026 — payée par carte bancaire",
            "Paid on 26 November 2026 by card",
        ),
        (
            "sepa_debit",
            "Facture acquittée le 26/11/2026 — payée par prélèvement SEPA",
            "Paid on 26 November 2026 by SEPA Direct Debit",
        ),
        (
            "customer_balance",
            "Facture acquittée le 26/11/2026 — payée par virement bancaire",
            "Paid on 26 November 2026 by bank transfer",
        ),
        (
            "paypal",
            "Facture acquittée le 26/11/2026 — payée par PayPal",
            "Paid on 26 November 2026 by PayPal",
        ),
        ("link", "Facture acquittée le 26/11/2026 — payée avec Link", "Paid on 26 November 2026 with Link"),
        ("stripe", "Facture acquittée le 26/11/2026 — payée en ligne", "Paid on 26 November 2026 online"),
    ],
)
def test_the_settled_mention_says_when_and_how(method: str, fr: str, en: str) -> None:
    invoice = paid_invoice(method=method)
    [mention] = [m for m in mentions(invoice) if m.kind is Kind.SETTLEMENT]
    assert (mention.key, mention.fr, mention.en) == ("settled", fr, en)
    assert mention.where == Where.PAGE | Where.XML | Where.EMAIL


def test_late_payment_mentions_stay_for_a_business_buyer(business: Invoice, consumer: Invoice) -> None:
    """C. com. L441-10: the penalty rate and the 40 € fee are on every invoice between businesses, paid
    or not; a private buyer gets the notes saying they do not apply, as on any invoice."""
    assert "late_payment" in {m.key for m in for_page(business)}
    assert "late_payment" not in {m.key for m in for_page(consumer)}
    unpaid = dataclasses.replace(business, draft=dataclasses.replace(business.draft, settled=None))
    assert [m for m in mentions(business) if m.key != "settled"] == list(mentions(unpaid))


# --- the page ------------------------------------------------------------------------------------------


def test_the_page_says_paid_and_asks_for_nothing(consumer: Invoice, consumer_pdf: bytes) -> None:
    [text] = page_texts(consumer_pdf)
    flat = norm(text)
    assert "FACTURE ACQUITTÉE" in flat
    assert "Facture acquittée le 26/11/2026 — payée par carte bancaire" in flat
    assert "Réglée le 26/11/2026" in flat
    assert "Réglé le 26/11/2026 -24,98 €" in flat  # 2 x 8,335 + 4,15 = 20,82 HT; 4,16 of VAT
    assert "Net à payer 0,00 €" in flat
    assert "Total TTC 24,98 €" in flat
    # The payment box of an unpaid invoice: due date, transfer details, QR code. None of it here.
    for asking in ("Échéance", "IBAN", "Virement bancaire", "Référence à rappeler", "Scannez pour payer"):
        assert asking not in flat, asking
    assert qr_images(consumer_pdf) == []
    assert SELLER.iban  # the seller has an IBAN: an unpaid invoice would print it, with its QR code
    unpaid = dataclasses.replace(consumer, draft=dataclasses.replace(consumer.draft, settled=None))
    unpaid_pdf = render_pdf(unpaid)
    assert "IBAN" in norm(page_texts(unpaid_pdf)[0])
    assert len(qr_images(unpaid_pdf)) == 1


def test_a_long_order_reference_wraps_inside_its_column(consumer_pdf: bytes) -> None:
    """The order reference is the Checkout Session id (66 characters): cut over lines in its column,
    all of it there, none of it under the buyer's box."""
    with pdfplumber.open(io.BytesIO(consumer_pdf)) as document:
        words = document.pages[0].extract_words()
    box = next(w for w in words if w["text"] == "FACTURÉ")
    table = next(w for w in words if w["text"] == "Désignation")
    value_x = (LEFT + LABEL_W) * 72 / 25.4
    column = [w for w in words if value_x - 1 <= w["x0"] < box["x0"] and w["bottom"] < table["top"]]
    assert SESSION in "".join(w["text"] for w in column)
    assert all(w["x1"] < box["x0"] for w in column)


def test_the_english_page(english: Invoice) -> None:
    flat = norm(page_texts(render_pdf(english))[0])
    assert "PAID" in flat
    assert "Paid on 26 November 2026 by card" in flat
    assert "Amount due €0.00" in flat


def test_a_business_buyer_keeps_the_late_payment_sentence_on_the_page(business: Invoice) -> None:
    flat = norm(page_texts(render_pdf(business))[0])
    assert "payée par prélèvement SEPA" in flat
    assert "L441-10" in flat


# --- the Factur-X XML ----------------------------------------------------------------------------------


def test_the_xml_says_paid_and_nothing_due(consumer: Invoice) -> None:
    doc = read_cii(build_cii(consumer))
    assert doc.totals.grand_total == Decimal("24.98")
    assert doc.totals.prepaid == Decimal("24.98")  # BT-113
    assert doc.totals.due_payable == Decimal("0.00")  # BT-115 = BT-112 - BT-113 (BR-CO-16)
    assert doc.payment_terms == "Facture acquittée le 26/11/2026 — payée par carte bancaire"  # BT-20
    # How it was paid (48: bank card); no transfer asked: no account, no payment reference.
    assert [(m.type_code, m.iban) for m in doc.payment_means] == [("48", None)]
    assert b"PaymentReference" not in build_cii(consumer)
    unpaid = dataclasses.replace(consumer, draft=dataclasses.replace(consumer.draft, settled=None))
    assert read_cii(build_cii(unpaid)).totals.due_payable == Decimal("24.98")


@pytest.mark.parametrize(
    ("method", "code"), [("sepa_debit", "59"), ("customer_balance", "42"), ("paypal", "68"), ("stripe", "68")]
)
def test_the_payment_means_code_follows_the_method(method: str, code: str) -> None:
    doc = read_cii(build_cii(paid_invoice(method=method)))
    assert [m.type_code for m in doc.payment_means] == [code]


@pytest.fixture(scope="module")
def compiled_rules() -> None:
    fv.require_fixtures(*fv.STYLESHEETS.values())
    fv.compile_all()


@pytest.mark.parametrize("profile", ["en16931", "basic", "extended"])
@pytest.mark.parametrize("which", ["consumer", "business"])
def test_the_xml_passes_the_official_rules(
    compiled_rules: None, request: pytest.FixtureRequest, which: str, profile: str
) -> None:
    invoice: Invoice = request.getfixturevalue(which)
    result = fv.validate(build_cii(invoice, profile), profile)
    assert result.errors == {}, result.summary()
    assert result.fatal == (), result.summary()
    assert result.warnings == (), result.summary()


def test_a_wrong_prepaid_amount_is_caught_by_the_rules(compiled_rules: None, consumer: Invoice) -> None:
    """The check that passes above can fail: BR-CO-16 holds due = total - prepaid + rounding."""
    xml = build_cii(consumer)
    assert b"<ram:TotalPrepaidAmount>24.98</ram:TotalPrepaidAmount>" in xml
    xml = xml.replace(b"<ram:TotalPrepaidAmount>24.98<", b"<ram:TotalPrepaidAmount>20.00<")
    assert "BR-CO-16" in fv.validate(xml, rules=(fv.EN16931,)).fatal_ids()


def test_a_buyer_without_an_address_gets_only_its_country(compiled_rules: None) -> None:
    """Stripe may collect no billing address: the XML leaves out the empty parts and stays valid."""
    bare = dataclasses.replace(
        PERSON, address=dataclasses.replace(PERSON.address, lines=(), postcode="", city="")
    )
    invoice = paid_invoice(bare)
    xml = build_cii(invoice)
    assert fv.validate(xml).passed
    assert read_cii(xml).buyer.address.country == "FR"
    flat = norm(page_texts(render_pdf(invoice))[0])
    assert "Mme Hélène Garnier" in flat


def test_the_factur_x_pdf_embeds_that_xml(consumer: Invoice) -> None:
    from facturx import get_facturx_xml_from_pdf

    rendered = render(consumer, "en16931")
    assert get_facturx_xml_from_pdf(rendered.pdf, check_xsd=False)[1] == rendered.xml == build_cii(consumer)


# --- the stored record -----------------------------------------------------------------------------------


def test_the_record_keeps_the_settlement(consumer: Invoice) -> None:
    record = invoice_to_dict(consumer)
    assert record["draft"]["settled"] == {
        "on": "2026-11-26",
        "method": "card",
        "payment_id": "stripe:pi_3PgafyB7WZ01zgkW",
    }
    assert invoice_from_dict(record) == consumer
    unpaid = dataclasses.replace(consumer, draft=dataclasses.replace(consumer.draft, settled=None))
    assert "settled" not in invoice_to_dict(unpaid)["draft"]  # other records are as they were
    assert invoice_from_dict(invoice_to_dict(unpaid)).settled is None


# --- the email ---------------------------------------------------------------------------------------------


def _compose(invoice: Invoice, **kwargs) -> EmailMessage:  # type: ignore[no-untyped-def]
    message = compose_invoice_email(
        invoice, pdf=b"%PDF-1.7 settled", sender="facturation@horizon-conseil.fr", **kwargs
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _bodies(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    return norm(text.get_content()), norm(html.get_content())


def test_the_email_is_a_receipt(consumer: Invoice) -> None:
    """Whatever the caller passes (a payment link, the total as due), nothing is asked for."""
    message = _compose(consumer, pay_url="https://pay.example/pay/abc", due=consumer.totals.grand_total)
    assert message["Subject"] == "Facture acquittée FA2026-00042 — Horizon Conseil & Formation"
    text, html = _bodies(message)
    assert "Voici votre facture acquittée FA2026-00042" in text
    for body in (text, html):
        assert "Voici votre facture acquittée" in body
        assert "Facture acquittée le 26/11/2026 — payée par carte bancaire" in body
        assert "pay.example" not in body
        assert "IBAN" not in body
        assert "Échéance" not in body
    assert "Rien ne reste à régler" in text
    assert "Reste à régler</td><td" in html
    assert "0,00" in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "FA2026-00042.pdf"


def test_the_english_email(english: Invoice) -> None:
    message = _compose(english)
    assert message["Subject"] == "Paid invoice FA2026-00044 — Horizon Conseil & Formation"
    text, _ = _bodies(message)
    assert "Here is your paid invoice FA2026-00044" in text
    assert "Paid on 26 November 2026 by card." in text
    assert "Nothing is left to pay." in text


def test_an_unpaid_invoice_email_is_unchanged(consumer: Invoice) -> None:
    unpaid = dataclasses.replace(consumer, draft=dataclasses.replace(consumer.draft, settled=None))
    text, _ = _bodies(_compose(unpaid, pay_url="https://pay.example/pay/abc"))
    assert "acquittée" not in text
    assert "https://pay.example/pay/abc" in text
    assert "IBAN" in text
