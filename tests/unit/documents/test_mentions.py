"""The legal mentions: which apply to a document and their exact wording, and that the PDF and the
CII XML carry exactly what ``mentions()`` says."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from decimal import Decimal

import pdfplumber
import pytest
from documents_helpers import COMPANY, ENGLISH, PERSON, SELLER, exempt, line, make_invoice, norm

from invoicing.documents.cii import build_cii
from invoicing.documents.cii_read import read_cii
from invoicing.documents.mentions import (
    Kind,
    Mention,
    Where,
    cii_notes,
    euros,
    for_email,
    for_page,
    mentions,
)
from invoicing.documents.pdf import LEGAL_SIZE, render_pdf
from invoicing.domain.invoice import AllowanceCharge, DocumentType, Invoice, InvoiceReference
from invoicing.domain.parties import Client, OperationCategory, VatRegime
from invoicing.domain.terms import LatePenalty
from invoicing.domain.vat import EXEMPTIONS, VatTreatment

PAGE, XML, EMAIL = Where.PAGE, Where.XML, Where.EMAIL

#: SELLER's identity (SARL, 10 000 EUR of share capital, RCS Lyon), as the footer and the note REG say it.
IDENTITY_FR = (
    "Horizon Conseil & Formation — SARL au capital de 10\u202f000,00\u00a0€ — SIRET 831 479 258 00020 — "
    "RCS Lyon 831 479 258 — N° TVA FR45831479258"
)
IDENTITY_EN = (
    "Horizon Conseil & Formation — SARL with a share capital of €10,000.00 — SIRET 831 479 258 00020 — "
    "RCS Lyon 831 479 258 — VAT No. FR45831479258"
)
IDENTITY = Mention("seller_identity", Kind.IDENTITY, IDENTITY_FR, IDENTITY_EN, PAGE | EMAIL)
REG = Mention(
    "seller_legal_information",
    Kind.IDENTITY,
    "SARL au capital de 10 000 € — RCS Lyon 831 479 258",
    "SARL with a share capital of €10,000 — RCS Lyon 831 479 258",
    XML,
    subject="REG",
)
NO_DISCOUNT = Mention(
    "no_discount",
    Kind.LEGAL,
    "Pas d'escompte pour paiement anticipé.",
    "No discount for early payment.",
    PAGE | XML,
    subject="AAB",
)
SERVICES = Mention(
    "operations.services",
    Kind.LEGAL,
    "Opération : prestation de services.",
    "Operation: supply of services.",
    PAGE,
)


def business_late_payment(rate_fr: str, rate_en: str) -> tuple[Mention, ...]:
    """The page sentence and the notes PMT and PMD for a business buyer of an invoice."""
    return (
        Mention(
            "late_payment",
            Kind.LEGAL,
            f"En cas de retard de paiement, des pénalités au {rate_fr} sont exigibles de plein droit dès le "
            "lendemain de l'échéance, ainsi qu'une indemnité forfaitaire pour frais de recouvrement de "
            "40 € (C. com. art. L441-10 et D441-5).",
            f"Late payment incurs interest at {rate_en}, due from the day after the due date without "
            "further notice, plus a fixed compensation of €40 for recovery costs (French Commercial "
            "Code art. L441-10 and D441-5).",
            PAGE | EMAIL,
        ),
        Mention(
            "recovery_fee",
            Kind.LEGAL,
            "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €",
            "Fixed compensation for recovery costs in the event of late payment: €40",
            XML,
            subject="PMT",
        ),
        Mention(
            "late_penalties",
            Kind.LEGAL,
            f"Pénalités de retard : {rate_fr}",
            f"Late payment penalties: {rate_en}",
            XML,
            subject="PMD",
        ),
    )


def exemption(key: str) -> Mention:
    e = EXEMPTIONS[key]
    return Mention(f"exemption.{key}", Kind.EXEMPTION, e.text_fr, e.text_en, PAGE | XML, vatex=e.vatex)


# --- which mentions apply, and their wording ---------------------------------------------------------


def test_business_invoice() -> None:
    invoice = make_invoice(COMPANY, (line("Audit", "1", "1000"),))
    assert mentions(invoice) == (
        IDENTITY,
        REG,
        *business_late_payment("taux de 12,5 % par an", "12.5 % per year"),
        NO_DISCOUNT,
        SERVICES,
    )


@pytest.mark.parametrize(
    ("penalty", "rate_fr", "rate_en"),
    [
        (
            LatePenalty("legal-x3"),
            "taux égal à trois fois le taux d'intérêt légal",
            "three times the French legal interest rate",
        ),
        (
            LatePenalty("ecb+10"),
            "taux de refinancement de la BCE majoré de 10 points",
            "the ECB refinancing rate plus 10 percentage points",
        ),
        (LatePenalty("fixed", Decimal("10")), "taux de 10 % par an", "10 % per year"),
    ],
)
def test_the_penalty_rate_is_the_one_the_seller_set(penalty: LatePenalty, rate_fr: str, rate_en: str) -> None:
    seller = dataclasses.replace(SELLER, late_penalty=penalty)
    invoice = make_invoice(COMPANY, (line("Audit", "1", "1000"),), seller=seller)
    late = {m.key: m for m in mentions(invoice)}
    expected = {m.key: m for m in business_late_payment(rate_fr, rate_en)}
    for key in ("late_payment", "recovery_fee", "late_penalties"):
        assert late[key] == expected[key]


def test_private_buyer_gets_no_penalties_on_the_page_and_notes_saying_they_do_not_apply() -> None:
    invoice = make_invoice(PERSON, (line("Dépannage", "1", "180", rate="10"),))
    assert mentions(invoice) == (
        IDENTITY,
        REG,
        Mention(
            "recovery_fee",
            Kind.LEGAL,
            "Indemnité forfaitaire pour frais de recouvrement : non applicable (client non professionnel)",
            "Fixed compensation for recovery costs: not applicable (consumer buyer)",
            XML,
            subject="PMT",
        ),
        Mention(
            "late_penalties",
            Kind.LEGAL,
            "Pénalités de retard (C. com. art. L441-10) : non applicable (client non professionnel)",
            "Late payment penalties (French Commercial Code art. L441-10): not applicable (consumer buyer)",
            XML,
            subject="PMD",
        ),
        NO_DISCOUNT,
        SERVICES,
    )
    assert for_email(invoice) == (IDENTITY,)


def test_franchise_en_base() -> None:
    """No VAT number, art. 293 B on the lines; VAT on debits has nothing to apply to."""
    seller = dataclasses.replace(SELLER, vat_id=None, vat_regime=VatRegime.FRANCHISE, vat_on_debits=True)
    lines = (exempt("Création de logo", "1", "850", "franchise"), exempt("Cartes", "6", "45", "franchise"))
    invoice = make_invoice(COMPANY, lines, seller=seller)
    franchise = exemption("franchise")
    assert (franchise.fr, franchise.en, franchise.vatex) == (
        "TVA non applicable, art. 293 B du CGI",
        "VAT not applicable, art. 293 B of the French General Tax Code",
        "VATEX-FR-FRANCHISE",
    )
    assert mentions(invoice) == (
        dataclasses.replace(
            IDENTITY,
            fr=IDENTITY_FR.removesuffix(" — N° TVA FR45831479258"),
            en=IDENTITY_EN.removesuffix(" — VAT No. FR45831479258"),
        ),
        REG,
        franchise,
        *business_late_payment("taux de 12,5 % par an", "12.5 % per year"),
        NO_DISCOUNT,
        SERVICES,
    )


@pytest.mark.parametrize(
    ("key", "fr", "en", "vatex"),
    [
        ("autoliquidation", "Autoliquidation", "Reverse charge", "VATEX-EU-AE"),
        (
            "intracom",
            "Exonération de TVA, article 262 ter, I du CGI (livraison intracommunautaire)",
            "Intra-community supply exempt from VAT, article 138 of Directive 2006/112/EC",
            "VATEX-EU-IC",
        ),
        (
            "export",
            "Exonération de TVA, article 262 I du CGI (exportation)",
            "Export outside the EU exempt from VAT, article 146 of Directive 2006/112/EC",
            "VATEX-EU-G",
        ),
    ],
)
def test_each_exemption_is_worded_once(key: str, fr: str, en: str, vatex: str) -> None:
    lines = (line("Conseil", "1", "100"), exempt("A", "1", "100", key), exempt("B", "2", "50", key))
    invoice = make_invoice(ENGLISH, lines)
    found = [m for m in mentions(invoice) if m.kind is Kind.EXEMPTION]
    assert found == [Mention(f"exemption.{key}", Kind.EXEMPTION, fr, en, PAGE | XML, vatex=vatex)]
    assert found[0].text(invoice.locale) == en


def test_several_exemptions_in_line_order_then_adjustments() -> None:
    freight = AllowanceCharge(True, Decimal("65.00"), "Transport", VatTreatment.exempt("export"), "FC")
    lines = (exempt("A", "1", "100", "intracom"), exempt("B", "1", "100", "autoliquidation"))
    invoice = make_invoice(ENGLISH, lines, adjustments=(freight,))
    found = [m for m in mentions(invoice) if m.kind is Kind.EXEMPTION]
    assert found == [exemption("intracom"), exemption("autoliquidation"), exemption("export")]


def test_vat_on_debits_when_some_vat_is_charged() -> None:
    seller = dataclasses.replace(SELLER, vat_on_debits=True)
    invoice = make_invoice(COMPANY, (line("Maintenance", "1", "1800"),), seller=seller)
    debits = Mention(
        "vat_on_debits",
        Kind.LEGAL,
        "Option pour le paiement de la taxe d'après les débits.",
        "VAT is paid on an accrual basis (option for payment on debits).",
        PAGE | XML,
        subject="TXD",
    )
    assert mentions(invoice) == (
        IDENTITY,
        REG,
        *business_late_payment("taux de 12,5 % par an", "12.5 % per year"),
        NO_DISCOUNT,
        debits,
        SERVICES,
    )
    only_exempt = make_invoice(COMPANY, (exempt("Export", "1", "100", "export"),), seller=seller)
    assert "vat_on_debits" not in {m.key for m in mentions(only_exempt)}


@pytest.mark.parametrize(
    ("category", "fr", "en"),
    [
        (OperationCategory.GOODS, "Opération : livraison de biens.", "Operation: supply of goods."),
        (OperationCategory.SERVICES, "Opération : prestation de services.", "Operation: supply of services."),
        (
            OperationCategory.MIXED,
            "Opération : livraison de biens et prestation de services.",
            "Operation: supply of goods and services.",
        ),
    ],
)
def test_nature_of_the_operations(category: OperationCategory, fr: str, en: str) -> None:
    seller = dataclasses.replace(SELLER, operation_category=category)
    for buyer in (COMPANY, PERSON):
        invoice = make_invoice(buyer, (line("X", "1", "10"),), seller=seller)
        found = [m for m in mentions(invoice) if m.key.startswith("operations.")]
        assert found == [Mention(f"operations.{category.value}", Kind.LEGAL, fr, en, PAGE)]


def credit_note(buyer: Client = COMPANY) -> Invoice:
    return make_invoice(
        buyer,
        (line("Audit (jour annulé)", "1", "1234.5"),),
        document_type=DocumentType.CREDIT_NOTE,
        corrects=InvoiceReference("FA2026-00007", date(2026, 10, 15)),
        credit_reason="Journée d'audit du 14/10 annulée",
        number="AV2026-00003",
    )


def test_credit_note() -> None:
    """What it corrects and why; no penalties or discount, and the notes say they do not apply."""
    invoice = credit_note()
    corrects = Mention(
        "corrects",
        Kind.REFERENCE,
        "Avoir sur la facture FA2026-00007 du 15/10/2026",
        "Credit note for invoice FA2026-00007 of 15/10/2026",
        PAGE | EMAIL,
    )
    settlement = Mention(
        "credit_settlement",
        Kind.SETTLEMENT,
        "Montant à déduire de vos prochains règlements ou remboursé sur demande.",
        "Amount to be deducted from your next payments or refunded on request.",
        PAGE | XML | EMAIL,
    )
    reason = Mention(
        "credit_reason",
        Kind.REFERENCE,
        "Journée d'audit du 14/10 annulée",
        "Journée d'audit du 14/10 annulée",
        PAGE | XML | EMAIL,
        subject="ACD",
    )
    assert mentions(invoice) == (
        IDENTITY,
        REG,
        corrects,
        Mention(
            "recovery_fee",
            Kind.LEGAL,
            "Indemnité forfaitaire pour frais de recouvrement : sans objet pour un avoir",
            "Fixed compensation for recovery costs: not applicable to a credit note",
            XML,
            subject="PMT",
        ),
        Mention(
            "late_penalties",
            Kind.LEGAL,
            "Pénalités de retard : sans objet pour un avoir",
            "Late payment penalties: not applicable to a credit note",
            XML,
            subject="PMD",
        ),
        Mention(
            "no_discount",
            Kind.LEGAL,
            "Escompte : sans objet pour un avoir",
            "Early payment discount: not applicable to a credit note",
            XML,
            subject="AAB",
        ),
        SERVICES,
        settlement,
        reason,
    )
    assert for_email(invoice) == (IDENTITY, corrects, settlement, reason)
    assert mentions(credit_note(PERSON)) == mentions(invoice)  # the buyer changes nothing on a credit note


def test_english_reads_the_english_wording_and_the_notes_stay_french() -> None:
    invoice = make_invoice(ENGLISH, (line("Consulting", "3", "950"),))
    assert invoice.locale == "en"
    assert [m.text(invoice.locale) for m in for_page(invoice, Kind.LEGAL)] == [
        "Late payment incurs interest at 12.5 % per year, due from the day after the due date without "
        "further notice, plus a fixed compensation of €40 for recovery costs (French Commercial "
        "Code art. L441-10 and D441-5).",
        "No discount for early payment.",
        "Operation: supply of services.",
    ]
    assert [m.text("en") for m in for_email(invoice)] == [IDENTITY_EN, for_page(invoice, Kind.LEGAL)[0].en]
    assert cii_notes(invoice) == (
        ("REG", REG.fr),
        ("PMT", "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €"),
        ("PMD", "Pénalités de retard : taux de 12,5 % par an"),
        ("AAB", "Pas d'escompte pour paiement anticipé."),
    )


def test_text_is_french_unless_english() -> None:
    assert NO_DISCOUNT.text("fr") == NO_DISCOUNT.text("de") == NO_DISCOUNT.fr
    assert NO_DISCOUNT.text("en") == NO_DISCOUNT.en


def test_selections() -> None:
    invoice = credit_note()
    found = mentions(invoice)
    assert mentions(invoice, where=XML) == tuple(m for m in found if XML in m.where)
    assert for_page(invoice) == tuple(m for m in found if PAGE in m.where)
    assert for_page(invoice, Kind.REFERENCE) == tuple(
        m for m in found if m.key in ("corrects", "credit_reason")
    )
    assert cii_notes(invoice) == tuple((m.subject, m.fr) for m in found if m.subject)
    assert all(m.note is None for m in found if XML not in m.where)


def test_no_seller_legal_information_without_form_capital_or_rcs() -> None:
    seller = dataclasses.replace(SELLER, legal_form="", share_capital=None, rcs_city=None)
    invoice = make_invoice(COMPANY, (line("Audit", "1", "1000"),), seller=seller)
    assert "seller_legal_information" not in {m.key for m in mentions(invoice)}
    assert "REG" not in dict(cii_notes(invoice))


@pytest.mark.parametrize(
    ("amount", "fr", "en"),
    [
        ("40", "40 €", "€40"),
        ("20000", "20 000 €", "€20,000"),
        ("1500.5", "1 500,50 €", "€1,500.50"),
        ("1234567.89", "1 234 567,89 €", "€1,234,567.89"),
    ],
)
def test_euros(amount: str, fr: str, en: str) -> None:
    assert (euros(Decimal(amount), "fr"), euros(Decimal(amount), "en")) == (fr, en)


# --- the PDF and the XML carry exactly what mentions() says -------------------------------------------

CASES = {
    "business": lambda: make_invoice(
        COMPANY, (line("Audit", "2", "1234.5"), exempt("Export", "1", "100", "export"))
    ),
    "private": lambda: make_invoice(PERSON, (line("Dépannage", "1", "180", rate="10"),)),
    "english_intracom": lambda: make_invoice(
        ENGLISH, (line("Consulting", "3", "950"), exempt("Goods", "10", "99.9", "intracom"))
    ),
    "franchise_debits": lambda: make_invoice(
        COMPANY,
        (exempt("Logo", "1", "850", "franchise"),),
        seller=dataclasses.replace(SELLER, vat_id=None, vat_regime=VatRegime.FRANCHISE, vat_on_debits=True),
    ),
    "vat_on_debits_goods": lambda: make_invoice(
        COMPANY,
        (line("Pièces", "4", "25"),),
        seller=dataclasses.replace(SELLER, vat_on_debits=True, operation_category=OperationCategory.GOODS),
    ),
    "credit_note": credit_note,
    "english_credit_note": lambda: credit_note(ENGLISH),
}

EVERY_WORDING = {
    text
    for invoice in (case() for case in CASES.values())
    for m in mentions(invoice)
    if m.kind is not Kind.IDENTITY
    for text in (m.fr, m.en)
}


def legal_block(pdf: bytes) -> str:
    """The text in the legal block's font size, on every page."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return norm(
            " ".join(
                page.filter(
                    lambda o: o.get("object_type") == "char" and abs(o["size"] - LEGAL_SIZE) < 0.01
                ).extract_text()
                for page in document.pages
            )
        )


def page_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return norm(" ".join(page.extract_text() or "" for page in document.pages))


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[Invoice, str, str, bytes]]:
    out = {}
    for name, case in CASES.items():
        invoice = case()
        pdf = render_pdf(invoice)
        out[name] = (invoice, page_text(pdf), legal_block(pdf), build_cii(invoice))
    return out


@pytest.mark.parametrize("name", CASES)
def test_the_page_prints_exactly_the_page_mentions(rendered, name: str) -> None:
    invoice, text, legal, _ = rendered[name]
    locale = invoice.locale
    page = for_page(invoice)
    # The legal block is the legal mentions, in order, and nothing else.
    assert legal == norm(" ".join(m.text(locale) for m in page if m.kind is Kind.LEGAL))
    # Every other page mention is printed, in the document's language (the seller's identity in parts:
    # the footer wraps it around the page number).
    for mention in page:
        parts = mention.text(locale).split(" — ") if mention.kind is Kind.IDENTITY else [mention.text(locale)]
        for part in parts:
            assert norm(part) in text, (mention.key, part)
    # Nothing that is not a page mention of this document in this language.
    printed = {norm(m.text(locale)) for m in page}
    for wording in EVERY_WORDING:
        if norm(wording) not in printed:
            assert norm(wording) not in text, wording


@pytest.mark.parametrize("name", CASES)
def test_the_xml_carries_exactly_the_xml_mentions(rendered, name: str) -> None:
    invoice, _, _, xml = rendered[name]
    doc = read_cii(xml)
    assert tuple((n.subject, n.content) for n in doc.notes) == cii_notes(invoice)
    assert len({n.subject for n in doc.notes}) == len(doc.notes)  # BR-FR-06: each subject once
    assert {"PMT", "PMD", "AAB"} <= {n.subject for n in doc.notes}  # BR-FR-05
    reasons = {
        m.vatex: m.text(invoice.locale) for m in mentions(invoice, where=XML) if m.kind is Kind.EXEMPTION
    }
    assert {
        row.exemption_reason_code: row.exemption_reason for row in doc.vat_breakdown if row.exemption_reason
    } == (reasons)
    settlement = [m.text(invoice.locale) for m in mentions(invoice, where=XML) if m.kind is Kind.SETTLEMENT]
    if settlement:
        assert doc.payment_terms == settlement[0]
    else:
        assert doc.payment_terms == invoice.payment_terms.describe(invoice.locale)
    reg = dict(cii_notes(invoice)).get("REG")
    assert doc.seller.description == reg
