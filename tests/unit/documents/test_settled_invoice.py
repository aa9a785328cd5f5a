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
from documents_helpers import (
    COMPANY,
    PERSON,
    SELLER,
    half_up,
    line,
    make_invoice,
    norm,
    page_texts,
    qr_images,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoicing.documents.cii import build_cii
from invoicing.documents.cii_read import read_cii
from invoicing.documents.emails import compose_invoice_email
from invoicing.documents.mentions import Kind, Where, for_page, mentions
from invoicing.documents.pdf import LABEL_W, LEFT, render_pdf
from invoicing.documents.render import render
from invoicing.domain.codec import invoice_from_dict, invoice_to_dict
from invoicing.domain.invoice import Invoice, Line, Settlement
from invoicing.domain.parties import Locale
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import VatTreatment

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


# --- a sale priced including VAT (Draft.prices_include_vat) ----------------------------------------------


def ttc_line(description: str, quantity: str, price: str, rate: str = "20") -> Line:
    return Line(description, Decimal(quantity), "u", Decimal(price), VatTreatment.standard(rate))


#: What a shop sells online, at its prices including VAT: every French rate, several lines at 20 %.
SHOP = (
    ttc_line("Bougie parfumée", "1", "9.99"),
    ttc_line("Thé vert bio 100 g", "3", "4.99", "5.5"),
    ttc_line("Repas à emporter", "1", "15.90", "10"),
    ttc_line("Médicament remboursable", "2", "3.45", "2.1"),
    ttc_line("Diffuseur", "2", "24.95"),
    ttc_line("Livraison", "1", "4.90"),
)


def ttc_invoice(lines: tuple[Line, ...] = SHOP, buyer=PERSON, **kwargs) -> Invoice:  # type: ignore[no-untyped-def]
    buyer = dataclasses.replace(buyer, email="client@exemple.fr", payment_terms=PaymentTerms(0))
    return make_invoice(
        buyer,
        lines,
        settled=Settlement(PAID_ON, "card", "stripe:pi_3PgafyB7WZ01zgkW"),
        period_start=PAID_ON,
        period_end=PAID_ON,
        order_ref=SESSION,
        issued=PAID_ON,
        prices_include_vat=True,
        **kwargs,
    )


@pytest.fixture(scope="module")
def shop() -> Invoice:
    return ttc_invoice()


def test_a_sale_priced_including_vat_totals_what_was_paid(shop: Invoice) -> None:
    paid = sum(half_up(line.quantity * line.unit_price) for line in SHOP)
    assert shop.totals.grand_total == paid == Decimal("102.56")
    rows = {b.vat.rate: (b.basis, b.amount) for b in shop.totals.breakdown}
    assert rows == {
        Decimal(20): (Decimal("53.99"), Decimal("10.80")),  # 64,79 TTC x 20 / 120 = 10,798
        Decimal(10): (Decimal("14.45"), Decimal("1.45")),  # 15,90 TTC
        Decimal("5.5"): (Decimal("14.19"), Decimal("0.78")),  # 14,97 TTC
        Decimal("2.1"): (Decimal("6.76"), Decimal("0.14")),  # 6,90 TTC
    }
    # 53,99 over 9,99 / 49,90 / 4,90: 8,3247 / 41,5817 / 4,0832, the cent left to the largest remainder.
    assert [a.net_amount for a in shop.totals.lines] == [
        Decimal("8.33"),
        Decimal("14.19"),
        Decimal("14.45"),
        Decimal("6.76"),
        Decimal("41.58"),
        Decimal("4.08"),
    ]


def test_the_page_prints_amounts_excluding_vat_and_says_prices_include_it(shop: Invoice) -> None:
    flat = norm(page_texts(render_pdf(shop))[0])
    assert "Total TTC 102,56 €" in flat
    assert "Réglé le 26/11/2026 -102,56 €" in flat
    assert "Net à payer 0,00 €" in flat
    assert "Total HT 89,39 €" in flat
    assert "TVA 20 % 10,80 €" in flat
    assert "Prix TTC : la TVA de chaque taux est calculée sur son montant TTC." in flat
    # Each line at its price and amount excluding VAT, as the XML states them: 9,99 TTC is 8,33 HT
    # (its share of the 20 % base), 3 x 4,99 at 5,5 % is 14,19 HT, 4,73 each.
    assert "Bougie parfumée 1 u 8,33 20 % 8,33" in flat
    assert "Thé vert bio 100 g 3 u 4,73 5,5 % 14,19" in flat
    english = ttc_invoice(buyer=dataclasses.replace(PERSON, locale=Locale.EN), number="FA2026-00045")
    assert "Prices include VAT" in norm(page_texts(render_pdf(english))[0])
    assert "Prix TTC" not in norm(page_texts(render_pdf(paid_invoice()))[0])  # only when they do


def test_the_xml_states_each_line_excluding_vat(shop: Invoice) -> None:
    doc = read_cii(build_cii(shop))
    assert [(x.net_price, x.net_amount) for x in doc.lines] == [
        (a.unit_price, a.net_amount) for a in shop.totals.lines
    ]
    assert doc.totals.grand_total == doc.totals.prepaid == Decimal("102.56")
    assert doc.totals.line_total == doc.totals.tax_basis_total == Decimal("89.39")
    for row in doc.vat_breakdown:  # BR-S-08: the lines of each rate add up to its base, exactly
        assert row.basis == sum(x.net_amount for x in doc.lines if x.vat_rate == row.rate)
    for x in doc.lines:
        assert x.net_price is not None
        assert x.quantity is not None
        assert -x.net_price.as_tuple().exponent <= 6  # type: ignore[operator]  # BR-FR-DEC-03
        assert half_up(x.quantity * x.net_price) == x.net_amount


@pytest.mark.parametrize("profile", ["en16931", "basic", "extended"])
@pytest.mark.parametrize("which", ["shop", "nine_ninety_nine", "business"])
def test_a_sale_priced_including_vat_passes_the_official_rules(
    compiled_rules: None, shop: Invoice, which: str, profile: str
) -> None:
    invoice = {
        "shop": shop,
        "nine_ninety_nine": ttc_invoice((ttc_line("Bougie", "1", "9.99"),)),
        "business": ttc_invoice(buyer=COMPANY),
    }[which]
    result = fv.validate(build_cii(invoice, profile), profile)
    assert result.errors == {}, result.summary()
    assert result.fatal == (), result.summary()
    assert result.warnings == (), result.summary()


def _with_vat(xml: bytes, old: str, new: str) -> bytes:
    """The XML with the VAT of one breakdown row (BT-117) changed, and nothing else."""
    before = f"<ram:CalculatedAmount>{old}</ram:CalculatedAmount>".encode()
    assert xml.count(before) == 1
    return xml.replace(before, f"<ram:CalculatedAmount>{new}</ram:CalculatedAmount>".encode())


def test_what_the_rules_accept_of_the_vat_of_a_rate(compiled_rules: None) -> None:
    """BR-CO-17 and BR-S-09 compare a rate's VAT with round(base x rate) and accept a difference of
    less than one unit of currency (BR-CO-17 up to one euro inclusive, BR-S-09 strictly less). Prices
    including VAT differ from it by a cent at most: 9,99 € at 20 % is 8,32 HT and 1,67 of VAT, where
    8,32 x 20 % is 1,66. The rules see the same cent moved the other way, and one euro, as this shows."""
    invoice = ttc_invoice((ttc_line("Bougie", "1", "9.99"),))
    [row] = invoice.totals.breakdown
    assert (row.basis, row.amount, half_up(row.basis * Decimal("0.2"))) == (
        Decimal("8.32"),
        Decimal("1.67"),
        Decimal("1.66"),
    )
    xml = build_cii(invoice)
    vat_rules = {"BR-CO-17", "BR-S-09"}
    assert not vat_rules & fv.validate(xml, rules=(fv.EN16931,)).fatal_ids()
    assert not vat_rules & fv.validate(_with_vat(xml, "1.67", "1.65"), rules=(fv.EN16931,)).fatal_ids()
    assert not vat_rules & fv.validate(_with_vat(xml, "1.67", "2.65"), rules=(fv.EN16931,)).fatal_ids()
    exactly_one_euro = fv.validate(_with_vat(xml, "1.67", "2.66"), rules=(fv.EN16931,)).fatal_ids()
    assert exactly_one_euro & vat_rules == {"BR-S-09"}
    assert fv.validate(_with_vat(xml, "1.67", "2.67"), rules=(fv.EN16931,)).fatal_ids() >= vat_rules


@st.composite
def shop_sales(draw: st.DrawFn) -> tuple[Line, ...]:
    """1 to 4 French rates, 1 to 4 lines each, prices from 0,01 € to 2 500 €, quantities 1 to 12."""
    rates = draw(st.lists(st.sampled_from(["20", "10", "5.5", "2.1"]), min_size=1, max_size=4, unique=True))
    lines = []
    for rate in rates:
        for n in range(draw(st.integers(1, 4))):
            cents = draw(st.integers(1, 250_000))
            quantity = draw(st.integers(1, 12))
            lines.append(ttc_line(f"Article {rate} {n}", str(quantity), str(Decimal(cents) / 100), rate))
    return tuple(draw(st.permutations(lines)))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=shop_sales())
def test_any_sale_priced_including_vat_passes_the_official_rules(
    compiled_rules: None, lines: tuple[Line, ...]
) -> None:
    invoice = ttc_invoice(lines)
    assert invoice.totals.grand_total == sum(half_up(line.quantity * line.unit_price) for line in lines)
    for profile in ("en16931", "basic", "extended"):
        result = fv.validate(build_cii(invoice, profile), profile)
        assert result.passed, result.summary()
        assert result.warnings == (), result.summary()


def test_the_record_of_a_sale_priced_including_vat(shop: Invoice) -> None:
    record = invoice_to_dict(shop)
    assert record["draft"]["prices_include_vat"] is True
    assert invoice_from_dict(record) == shop
    assert "prices_include_vat" not in invoice_to_dict(paid_invoice())["draft"]
