"""Which legal mentions a document carries, and their French and English wording: decided here, once.

The PDF, the Factur-X XML and the e-mails read ``mentions(invoice)``; none of them decides whether a
mention applies or how it is worded. What applies follows from domain values only (the buyer is a
business, the document is a credit note, the seller opted for VAT on debits, a line is exempt...).

- The seller's identity (CGI art. 242 nonies A, C. com. L441-9): name, form and share capital, SIRET,
  RCS, VAT number in the page footer; form, capital and RCS as the XML note REG (and BT-33).
- Late payment (C. com. L441-10, D441-5): for a business buyer, the penalty rate and the 40 EUR recovery
  fee, one sentence on the page and two notes in the XML (PMD and PMT, BR-FR-05); for a private buyer or
  a credit note, the notes say they do not apply (BR-FR-05 wants them on every document).
- No discount for early payment (AAB); VAT paid on debits when opted for (TXD); the nature of the
  operations (goods, services or both, since the 2026 reform).
- Why a line carries no VAT: franchise en base (art. 293 B), reverse charge, intra-EU supply
  (art. 262 ter I), export (art. 262 I), with the domain's wording, under the VAT summary and as the
  XML exemption reason (BT-120).
- A credit note: the invoice it corrects and its reason (ACD), and how it is settled (page and BT-20).
- An invoice paid before it was issued (an online sale, ``Invoice.settled``): "Facture acquittée le
  26/11/2026 — payée par carte bancaire", in place of the payment box, as BT-20 and in its e-mail. The
  late-payment mentions stay: L441-10 wants them on every invoice between businesses, paid or not.

Where each goes is part of the mention (``where``); its ``kind`` says which block of the page holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Flag, StrEnum, auto

from invoicing.documents import format as fmt
from invoicing.documents.labels import label
from invoicing.domain.invoice import Invoice
from invoicing.domain.parties import OperationCategory, Seller
from invoicing.domain.terms import RECOVERY_FEE_EUR
from invoicing.domain.vat import Exemption


class Where(Flag):
    """Where a mention is written."""

    #: The visible document (PDF).
    PAGE = auto()
    #: The CII XML: a note (BG-1) under ``subject`` when it has one; an exemption is BT-120 (with its
    #: VATEX code, BT-121); the settlement of a credit note is BT-20.
    XML = auto()
    #: The e-mails about the document (sending, reminders, formal notice).
    EMAIL = auto()


class Kind(StrEnum):
    """What a mention is about, which also says which block of the page holds it."""

    #: Who the seller is: the page footer, the XML note REG.
    IDENTITY = "identity"
    #: The invoice a credit note corrects, and why: beside the dates.
    REFERENCE = "reference"
    #: Why there is no VAT: under the VAT summary.
    EXEMPTION = "exemption"
    #: How a credit note is settled, or that an invoice is paid: in place of the payment box.
    SETTLEMENT = "settlement"
    #: Late payment, discount, VAT on debits, nature of the operations: the legal block at the foot.
    LEGAL = "legal"


@dataclass(frozen=True, slots=True)
class Mention:
    """One legal mention of one document, worded in French and English."""

    #: Stable name of the mention: ``late_payment``, ``recovery_fee``, ``exemption.intracom``...
    key: str
    kind: Kind
    fr: str
    en: str
    where: Where
    #: UNTDID 4451 subject code (BT-21) of the XML note carrying it: PMT, PMD, AAB, TXD, REG, ACD.
    subject: str | None = None
    #: VATEX code of an exemption (BT-121).
    vatex: str | None = None

    def text(self, locale: str) -> str:
        return self.en if locale == "en" else self.fr

    @property
    def note(self) -> tuple[str, str] | None:
        """(subject code BT-21, text BT-22) of the XML note carrying it, in French: the notes are the
        French legal mentions, whatever the language of the document."""
        if self.subject is None or Where.XML not in self.where:
            return None
        return self.subject, self.fr


#: Every wording, French then English; ``{fields}`` are filled from the document.
WORDING: dict[str, tuple[str, str]] = {
    # Late payment, on the page: one sentence (L441-10 and D441-5).
    "late_payment": (
        "En cas de retard de paiement, des pénalités au {rate} sont exigibles de plein droit dès le "
        "lendemain de l'échéance, ainsi qu'une indemnité forfaitaire pour frais de recouvrement de "
        "{fee} (C. com. art. L441-10 et D441-5).",
        "Late payment incurs interest at {rate}, due from the day after the due date without "
        "further notice, plus a fixed compensation of {fee} for recovery costs (French Commercial "
        "Code art. L441-10 and D441-5).",
    ),
    # Late payment, in the XML notes PMT and PMD: a business buyer, a private one, a credit note.
    "recovery_fee": (
        "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : {fee}",
        "Fixed compensation for recovery costs in the event of late payment: {fee}",
    ),
    "late_penalties": ("Pénalités de retard : {rate}", "Late payment penalties: {rate}"),
    "recovery_fee.consumer": (
        "Indemnité forfaitaire pour frais de recouvrement : non applicable (client non professionnel)",
        "Fixed compensation for recovery costs: not applicable (consumer buyer)",
    ),
    "late_penalties.consumer": (
        "Pénalités de retard (C. com. art. L441-10) : non applicable (client non professionnel)",
        "Late payment penalties (French Commercial Code art. L441-10): not applicable (consumer buyer)",
    ),
    "recovery_fee.credit_note": (
        "Indemnité forfaitaire pour frais de recouvrement : sans objet pour un avoir",
        "Fixed compensation for recovery costs: not applicable to a credit note",
    ),
    "late_penalties.credit_note": (
        "Pénalités de retard : sans objet pour un avoir",
        "Late payment penalties: not applicable to a credit note",
    ),
    "no_discount": ("Pas d'escompte pour paiement anticipé.", "No discount for early payment."),
    "no_discount.credit_note": (
        "Escompte : sans objet pour un avoir",
        "Early payment discount: not applicable to a credit note",
    ),
    "vat_on_debits": (
        "Option pour le paiement de la taxe d'après les débits.",
        "VAT is paid on an accrual basis (option for payment on debits).",
    ),
    "operations.goods": ("Opération : livraison de biens.", "Operation: supply of goods."),
    "operations.services": ("Opération : prestation de services.", "Operation: supply of services."),
    "operations.mixed": (
        "Opération : livraison de biens et prestation de services.",
        "Operation: supply of goods and services.",
    ),
    "corrects": ("Avoir sur la facture {number} du {date}", "Credit note for invoice {number} of {date}"),
    "credit_settlement": (
        "Montant à déduire de vos prochains règlements ou remboursé sur demande.",
        "Amount to be deducted from your next payments or refunded on request.",
    ),
    # An invoice paid before it was issued: {paid_by} is one of PAID_BY.
    "settled": ("Facture acquittée le {date} — {paid_by}", "Paid on {date} {paid_by}"),
    # The seller's identity, in parts.
    "capital": ("au capital de {capital}", "with a share capital of {capital}"),
    "rcs": ("RCS {city} {siren}", "RCS {city} {siren}"),
    "siret": ("SIRET {siret}", "SIRET {siret}"),
}

#: How an invoice issued paid was paid (``Settlement.method``: Stripe's payment method types, and
#: what an operator records by hand), completing the "settled" wording in French and English.
PAID_BY: dict[str, tuple[str, str]] = {
    "card": ("payée par carte bancaire", "by card"),
    "sepa_debit": ("payée par prélèvement SEPA", "by SEPA Direct Debit"),
    "customer_balance": ("payée par virement bancaire", "by bank transfer"),
    "bank_transfer": ("payée par virement bancaire", "by bank transfer"),
    "transfer": ("payée par virement bancaire", "by bank transfer"),
    "paypal": ("payée par PayPal", "by PayPal"),
    "link": ("payée avec Link", "with Link"),
    "bancontact": ("payée par Bancontact", "by Bancontact"),
    "ideal": ("payée par iDEAL", "by iDEAL"),
    "klarna": ("payée avec Klarna", "with Klarna"),
    "cheque": ("payée par chèque", "by cheque"),
    "cash": ("payée en espèces", "in cash"),
}
#: A method not in ``PAID_BY``.
PAID_ONLINE = ("payée en ligne", "online")


def paid_by(method: str, locale: str) -> str:
    """``payée par carte bancaire`` / ``by card``: how an invoice issued paid was paid."""
    fr, en = PAID_BY.get(method, PAID_ONLINE)
    return en if locale == "en" else fr


def settled_day(day: date, locale: str) -> str:
    """The payment day as the "settled" wording prints it: ``26/11/2026``, ``26 November 2026``."""
    return fmt.long_day(day, locale) if locale == "en" else fmt.day(day, locale)


_OPERATIONS = {
    OperationCategory.GOODS: "operations.goods",
    OperationCategory.SERVICES: "operations.services",
    OperationCategory.MIXED: "operations.mixed",
}

#: Separator between the parts of the seller's identity; the footer breaks lines only there.
IDENTITY_SEPARATOR = " — "


def word(key: str, locale: str, **fields: str) -> str:
    """``WORDING[key]`` in ``locale`` (French unless ``en``), its fields filled in."""
    fr, en = WORDING[key]
    text = en if locale == "en" else fr
    return text.format(**fields) if fields else text


def _both(key: str, **fields: Callable[[str], str]) -> tuple[str, str]:
    """(fr, en) of ``WORDING[key]``, each field given as ``locale -> text``."""
    fr, en = (word(key, loc, **{name: field(loc) for name, field in fields.items()}) for loc in ("fr", "en"))
    return fr, en


def euros(amount: Decimal, locale: str) -> str:
    """``40 €``, ``20 000 €``, ``1 500,50 €`` (fr) or ``€40``, ``€1,500.50`` (en): cents only when there
    are some, plain spaces (the XML is read by machines too)."""
    whole, _, cents = f"{amount:.2f}".partition(".")
    if locale == "en":
        return f"€{int(whole):,}" + ("" if cents == "00" else f".{cents}")
    return f"{int(whole):,}".replace(",", " ") + ("" if cents == "00" else f",{cents}") + " €"


def seller_legal_information(seller: Seller, locale: str = "fr") -> str:
    """BT-33 and the note REG: legal form, share capital and RCS registration (empty when none)."""
    parts = []
    form = seller.legal_form.strip()
    if seller.share_capital is not None:
        form = f"{form} {word('capital', locale, capital=euros(seller.share_capital, locale))}".strip()
    if form:
        parts.append(form)
    if seller.rcs_city:
        parts.append(word("rcs", locale, city=seller.rcs_city, siren=fmt.grouped(seller.siren, 3)))
    return IDENTITY_SEPARATOR.join(parts)


def seller_identity(seller: Seller, locale: str) -> str:
    """The page footer's line: name, legal form and share capital, SIRET, RCS, VAT number."""
    parts = [seller.legal_name]
    form = seller.legal_form
    if seller.share_capital is not None:
        form += " " + word("capital", locale, capital=fmt.money(seller.share_capital, locale))
    parts.append(form)
    parts.append(word("siret", locale, siret=fmt.siret(seller.siret)))
    if seller.rcs_city:
        parts.append(word("rcs", locale, city=seller.rcs_city, siren=fmt.grouped(seller.siren, 3)))
    if seller.vat_id:
        parts.append(f"{label('vat_id', locale)} {seller.vat_id}")
    return IDENTITY_SEPARATOR.join(parts)


def _exemptions(invoice: Invoice) -> list[Exemption]:
    """Distinct exemptions of the lines and then the adjustments, in order."""
    seen: dict[str, Exemption] = {}
    for item in (*invoice.lines, *invoice.draft.adjustments):
        exemption = item.vat.exemption
        if exemption is not None:
            seen.setdefault(exemption.key, exemption)
    return list(seen.values())


def mentions(invoice: Invoice, *, where: Where | None = None) -> tuple[Mention, ...]:
    """Every legal mention ``invoice`` carries, in reading order; only those written ``where`` when given.

    The order is the one each place prints them in: the page's legal block reads late payment, discount,
    VAT on debits, operations; the XML notes REG, PMT, PMD, AAB, TXD, ACD.
    """
    seller, buyer = invoice.seller, invoice.buyer
    credit_note = invoice.is_credit_note
    page, xml, email = Where.PAGE, Where.XML, Where.EMAIL
    found: list[Mention] = []

    def add(key: str, kind: Kind, texts: tuple[str, str], places: Where, **codes: str) -> None:
        found.append(Mention(key, kind, texts[0], texts[1], places, **codes))

    # Who the seller is.
    identity = (seller_identity(seller, "fr"), seller_identity(seller, "en"))
    add("seller_identity", Kind.IDENTITY, identity, page | email)
    legal = (seller_legal_information(seller, "fr"), seller_legal_information(seller, "en"))
    if legal[0]:
        add("seller_legal_information", Kind.IDENTITY, legal, xml, subject="REG")

    # What a credit note corrects.
    ref = invoice.draft.corrects
    if ref is not None:
        number, day = (lambda _: ref.number), (lambda loc: fmt.day(ref.issue_date, loc))
        add("corrects", Kind.REFERENCE, _both("corrects", number=number, date=day), page | email)

    # Why there is no VAT.
    for exemption in _exemptions(invoice):
        texts = (exemption.text_fr, exemption.text_en)
        add(f"exemption.{exemption.key}", Kind.EXEMPTION, texts, page | xml, vatex=exemption.vatex)

    # Late payment and early payment: L441-10 binds businesses; for a private buyer or a credit note
    # the notes, which BR-FR-05 wants on every document, say they do not apply.
    rate, fee = seller.late_penalty.describe, (lambda loc: euros(RECOVERY_FEE_EUR, loc))
    if credit_note:
        add("recovery_fee", Kind.LEGAL, _both("recovery_fee.credit_note"), xml, subject="PMT")
        add("late_penalties", Kind.LEGAL, _both("late_penalties.credit_note"), xml, subject="PMD")
        add("no_discount", Kind.LEGAL, _both("no_discount.credit_note"), xml, subject="AAB")
    elif buyer.is_business:
        add("late_payment", Kind.LEGAL, _both("late_payment", rate=rate, fee=fee), page | email)
        add("recovery_fee", Kind.LEGAL, _both("recovery_fee", fee=fee), xml, subject="PMT")
        add("late_penalties", Kind.LEGAL, _both("late_penalties", rate=rate), xml, subject="PMD")
    else:
        add("recovery_fee", Kind.LEGAL, _both("recovery_fee.consumer"), xml, subject="PMT")
        add("late_penalties", Kind.LEGAL, _both("late_penalties.consumer"), xml, subject="PMD")
    if not credit_note:
        add("no_discount", Kind.LEGAL, _both("no_discount"), page | xml, subject="AAB")

    # VAT on debits, nature of the operations.
    if seller.vat_on_debits and invoice.has_standard_vat:
        add("vat_on_debits", Kind.LEGAL, _both("vat_on_debits"), page | xml, subject="TXD")
    operations = _OPERATIONS[seller.operation_category]
    add(operations, Kind.LEGAL, _both(operations), page)

    # How a credit note is settled, and why it was issued.
    if credit_note:
        add("credit_settlement", Kind.SETTLEMENT, _both("credit_settlement"), page | xml | email)
    settled = invoice.settled
    if settled is not None and not credit_note:
        texts = _both(
            "settled",
            date=lambda loc: settled_day(settled.on, loc),
            paid_by=lambda loc: paid_by(settled.method, loc),
        )
        add("settled", Kind.SETTLEMENT, texts, page | xml | email)
    reason = invoice.draft.credit_reason
    if reason:
        add("credit_reason", Kind.REFERENCE, (reason, reason), page | xml | email, subject="ACD")

    if where is None:
        return tuple(found)
    return tuple(m for m in found if where & m.where)


def for_page(invoice: Invoice, kind: Kind | None = None) -> tuple[Mention, ...]:
    """What the PDF prints (of one ``kind`` when given)."""
    return tuple(m for m in mentions(invoice, where=Where.PAGE) if kind is None or m.kind is kind)


def for_email(invoice: Invoice) -> tuple[Mention, ...]:
    """What an e-mail about ``invoice`` repeats (``m.text(invoice.locale)``): the seller's identity, late
    payment for a business buyer (reminders and formal notices), what a credit note corrects and how
    it is settled."""
    return mentions(invoice, where=Where.EMAIL)


def cii_notes(invoice: Invoice) -> tuple[tuple[str, str], ...]:
    """The XML notes (BG-1) as (subject code BT-21, text BT-22) pairs. PMT, PMD and AAB are on every
    document, each once (BR-FR-05, BR-FR-06)."""
    return tuple(m.note for m in mentions(invoice) if m.note is not None)
