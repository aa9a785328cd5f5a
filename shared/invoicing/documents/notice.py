"""The formal notice to pay (mise en demeure de payer): the letter that ends a dunning sequence.

The business owner receives it ready to sign and sends it by registered post with acknowledgement
of receipt. One or two A4 pages (more only for a very long list), in French, or in English for a
foreign customer:

- letterhead (the logo when the business has one, else its legal name; address, SIRET, VAT number,
  email and phone), the customer's name and postal address where a window envelope shows it (DL,
  window on the right), "Lettre recommandée avec accusé de réception", place and date, subject;
- the unpaid invoices (number, dates, amount incl. VAT, still due, days late, interest and recovery
  fee to date) and the sum claimed: principal still due, late-payment interest computed to the date
  of the letter (Code de commerce L441-10, at the rate the seller states), the fixed 40 EUR recovery
  fee per invoice owed by a business debtor (D441-5), total;
- the formal notice itself (pay within ``deadline_days`` of receipt, failing which court recovery
  proceedings, injonction de payer, are started without further notice), interest running on until
  full payment, art. 1344 of the Code civil, bank details when the seller has an IBAN, the closing
  formula and a blank signature block ("Nom, qualité, signature").

An invoice whose penalties are not computed (``NoticeItem.penalties`` is None: the rate could not
be established) is listed with its days late; the letter says interest is due on it at the
contractual rate, or failing that the legal one, without a figure, and claims no figure for it.

Text from the data (names, addresses, numbers) is printed as the invoice PDF prints it: with the
prepared fonts, or the full ones when a character needs them (``pdf.render_pdf``'s approach);
characters that are refused in every input (bidirectional overrides, zero-width and control
characters, ``invoicing.domain.text``) and characters no font here can draw (emoji) are left out,
and over-long words are cut. The document is PDF/A-3B and deterministic: the same arguments give
the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache

from invoicing.documents import format as fmt
from invoicing.documents.fonts import (
    InvoiceOutputProducer,
    InvoicePDF,
    attach_full_fonts,
    attach_prepared_fonts,
    undrawable,
)
from invoicing.documents.labels import label
from invoicing.documents.mentions import IDENTITY_SEPARATOR, euros, seller_identity
from invoicing.documents.pdf import (
    ACCENT,
    FILL,
    LOGO_GAP,
    MUTED,
    PAGE_H,
    PAGE_W,
    RULE,
    TEXT,
    WHITE,
    Logo,
    _cell,
    _font,
    _width,
    _wrap,
    draw_logo,
    logo_image,
)
from invoicing.domain.identifiers import grouped_iban
from invoicing.domain.parties import Address, Client, Seller
from invoicing.domain.penalties import PenaltyStatement
from invoicing.domain.terms import RECOVERY_FEE_EUR, LatePenalty
from invoicing.domain.text import forbidden_characters


@dataclass(frozen=True, slots=True)
class NoticeItem:
    """One unpaid invoice of the notice: amounts incl. VAT, ``due`` what is still due on the date
    of the letter, ``penalties`` computed to that date (None when they could not be)."""

    number: str
    issue_date: date
    due_date: date
    total: Decimal
    due: Decimal
    penalties: PenaltyStatement | None = None


# --- layout (mm) -------------------------------------------------------------------------------------

LEFT = RIGHT = 20.0
TOP = 15.0
WIDTH = PAGE_W - LEFT - RIGHT
#: The recipient's block, where a DL window envelope (window on the right) shows it.
ADDRESS_X, ADDRESS_Y, ADDRESS_W = 110.0, 48.0, 80.0
#: Lowest y the body may reach before the footer.
BOTTOM = PAGE_H - 23.0
BODY = 9.5
BODY_H = 4.3
SMALL = 8.0
TABLE_SIZE = 8.0
ROW_H = 4.0
PAD = 1.2
#: The signature block under "For <seller>,": its label and room to sign.
SIGNATURE_H = 21.0
#: The sum claimed (right) and the bank-transfer panel beside it (left).
TOTALS_W, PAYMENT_W = 102.0, 64.0
TOTAL_ROW_H = 4.8


# --- wording -----------------------------------------------------------------------------------------

_WORDS: dict[str, tuple[str, str]] = {
    "registered": (
        "Lettre recommandée avec accusé de réception",
        "Registered letter with acknowledgement of receipt",
    ),
    "client_ref": ("Réf. client : {ref}", "Customer ref.: {ref}"),
    "place_date": ("{place}, le {date}", "{place}, {date}"),
    "subject": ("Objet : Mise en demeure de payer", "Subject: Formal notice to pay"),
    "one_invoice": ("Facture n° {numbers}", "Invoice No. {numbers}"),
    "some_invoices": ("Factures n° {numbers}", "Invoices No. {numbers}"),
    "many_invoices": (
        "{count} factures impayées (détail ci-dessous)",
        "{count} unpaid invoices (listed below)",
    ),
    "and": (" et ", " and "),
    "salutation": ("Madame, Monsieur,", "Dear Sir or Madam,"),
    "unpaid_one": (
        "Sauf erreur ou omission de notre part, et malgré nos relances restées sans effet, la facture "
        "ci-dessous, arrivée à échéance, demeure impayée à ce jour :",
        "Unless we are mistaken, and despite our reminders, the invoice below, now past due, remains "
        "unpaid to date:",
    ),
    "unpaid_many": (
        "Sauf erreur ou omission de notre part, et malgré nos relances restées sans effet, les factures "
        "ci-dessous, arrivées à échéance, demeurent impayées à ce jour :",
        "Unless we are mistaken, and despite our reminders, the invoices below, now past due, remain "
        "unpaid to date:",
    ),
    # The table.
    "col.number": ("Facture", "Invoice"),
    "col.issued": ("Émise le", "Issued"),
    "col.due_date": ("Échéance", "Due date"),
    "col.total": ("Montant TTC", "Incl. VAT"),
    "col.due": ("Reste dû", "Still due"),
    "col.days": ("Retard (j)", "Days late"),
    "col.interest": ("Intérêts", "Interest"),
    "col.fee": ("Indemnité", "Recovery fee"),
    "col.sum": ("Total", "Total"),
    "not_computed": ("non chiffrés", "not computed"),
    # The sum claimed.
    "principal": ("Principal restant dû", "Principal still due"),
    "interest_to": ("Intérêts de retard au {date}", "Late-payment interest to {date}"),
    "fees": (
        "Indemnités forfaitaires de recouvrement ({count} × {fee})",
        "Fixed recovery compensation ({count} × {fee})",
    ),
    "fee": ("Indemnité forfaitaire de recouvrement", "Fixed recovery compensation"),
    "fees_plain": ("Indemnités forfaitaires de recouvrement", "Fixed recovery compensation"),
    "claimed": ("Total réclamé", "Total claimed"),
    # How the interest and the fee are computed.
    "interest_basis": (
        "Les intérêts de retard sont calculés{law} au {rate}{effective}, sur le montant TTC restant "
        "dû, à compter du lendemain de l'échéance de chaque facture et jusqu'au {date}.",
        "Late-payment interest is computed{law} at {rate}{effective}, on the amount incl. VAT still "
        "due, from the day after each invoice's due date up to {date}.",
    ),
    "interest_law": (
        ", conformément à l'article L441-10 du Code de commerce,",
        " in accordance with Article L441-10 of the French Commercial Code",
    ),
    "effective_one": (" (soit {rates} l'an)", " (that is, {rates} a year)"),
    "effective_many": (
        " (soit {rates} l'an selon le semestre)",
        " (that is, {rates} a year depending on the half-year)",
    ),
    "then": (" puis ", " then "),
    "several_rates": ("taux prévu pour chaque facture ({rates})", "rate set for each invoice ({rates})"),
    "fee_basis": (
        "Une indemnité forfaitaire pour frais de recouvrement de {fee} est due de plein droit pour "
        "chaque facture payée en retard (C. com. art. L441-10 et D441-5).",
        "A fixed compensation of {fee} for recovery costs is due by law for each invoice paid late "
        "(French Commercial Code art. L441-10 and D441-5).",
    ),
    "unknown_rate_one": (
        "Pour la facture {numbers}, les intérêts de retard sont dus au taux contractuel ou, à défaut, "
        "au taux légal, depuis le lendemain de son échéance ; ils ne sont pas chiffrés ci-dessus et "
        "s'ajoutent à la somme réclamée.",
        "On invoice {numbers}, late-payment interest is due at the contractual rate or, failing that, "
        "at the legal rate, from the day after its due date; it is not computed above and comes in "
        "addition to the sum claimed.",
    ),
    "unknown_rate_many": (
        "Pour les factures {numbers}, les intérêts de retard sont dus au taux contractuel ou, à défaut, "
        "au taux légal, depuis le lendemain de leur échéance ; ils ne sont pas chiffrés ci-dessus et "
        "s'ajoutent à la somme réclamée.",
        "On invoices {numbers}, late-payment interest is due at the contractual rate or, failing that, "
        "at the legal rate, from the day after their due date; it is not computed above and comes in "
        "addition to the sum claimed.",
    ),
    # The notice.
    "demand": (
        "Nous vous mettons en demeure de nous régler la somme de {amount} dans un délai de {days} à "
        "compter de la réception de la présente.",
        "We hereby give you formal notice to pay us the sum of {amount} within {days} of receipt of "
        "this letter.",
    ),
    "day": ("{n} jour", "{n} day"),
    "days": ("{n} jours", "{n} days"),
    "proceedings": (
        "À défaut de règlement dans ce délai, nous engagerons sans autre avis une procédure de "
        "recouvrement judiciaire (injonction de payer) afin d'obtenir le paiement des sommes dues, "
        "sans préjudice de tous dommages et intérêts.",
        "Failing payment within this period, we will, without further notice, start court proceedings "
        "to recover the sums due (injonction de payer, the French order for payment procedure), "
        "without prejudice to any damages.",
    ),
    "running": (
        "Les intérêts de retard continuent de courir jusqu'au complet paiement. La présente lettre vaut "
        "mise en demeure au sens de l'article 1344 du Code civil.",
        "Late-payment interest continues to accrue until payment in full. This letter constitutes formal "
        "notice within the meaning of Article 1344 of the French Civil Code.",
    ),
    "payment": ("Règlement par virement", "Payment by bank transfer"),
    "reference": ("Référence à rappeler", "Payment reference"),
    "references": ("les numéros des factures réglées", "the numbers of the invoices paid"),
    "disregard": (
        "Si vous avez procédé au règlement entre-temps, nous vous prions de ne pas tenir compte de ce "
        "courrier.",
        "If you have settled these sums in the meantime, please disregard this letter.",
    ),
    "closing": (
        "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
        "Yours faithfully,",
    ),
    "for_seller": ("Pour {name},", "For {name},"),
    "signature": ("Nom, qualité, signature", "Name, position, signature"),
    "continued": ("Mise en demeure de payer — {name} (suite)", "Formal notice to pay — {name} (continued)"),
    "title": ("Mise en demeure de payer", "Formal notice to pay"),
    "siret": ("SIRET {siret}", "SIRET {siret}"),
}


def _w(key: str, locale: str, **fields: object) -> str:
    fr, en = _WORDS[key]
    text = en if locale == "en" else fr
    return text.format(**fields) if fields else text


def _printed(value: str) -> str:
    """A value from the data as the letter prints it: without the characters every input refuses
    (bidirectional overrides, zero-width and control characters) and those no font here can draw
    (emoji), each run of white space one space."""
    refused = {chr(int(code[2:], 16)) for code in forbidden_characters(value)}
    missing = set(undrawable(value))
    if refused or missing:
        value = "".join(c for c in value if c not in refused and c not in missing)
    return " ".join(value.split())


@cache
def _country_name(code: str) -> str:
    """The country line of an international address, in French capitals (the letter is posted in
    France): ``BELGIQUE``."""
    from babel import Locale

    return str(Locale.parse("fr_FR").territories.get(code, code)).upper()


def _postal_lines(address: Address) -> list[str]:
    lines = [_printed(line) for line in address.lines]
    lines.append(_printed(f"{address.postcode} {address.city}"))
    if not address.in_france:
        lines.append(_country_name(address.country))
    return [line for line in lines if line]


def _fit(pdf: InvoicePDF, text: str, width: float) -> str:
    """``text`` on one line of ``width`` mm in the current font, cut with "…" when too long."""
    if _width(pdf, text) <= width:
        return text
    while text and _width(pdf, text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _listed(numbers: Sequence[str], locale: str) -> str:
    if len(numbers) == 1:
        return numbers[0]
    return ", ".join(numbers[:-1]) + _w("and", locale) + numbers[-1]


# --- the sums ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    number: str
    issue_date: date
    due_date: date
    total: Decimal
    due: Decimal
    days_late: int
    interest: Decimal | None
    fee: Decimal | None


@dataclass(frozen=True, slots=True)
class _Claim:
    rows: tuple[_Row, ...]
    principal: Decimal
    interest: Decimal
    fees: Decimal
    fee_count: int
    #: The penalties of the statements, in order, without repeats.
    penalties: tuple[LatePenalty, ...]
    #: The yearly rates applied, in the order of the periods they applied to.
    rates: tuple[Decimal, ...]
    #: Numbers of the invoices whose penalties are not computed.
    unknown: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees

    @property
    def any_interest(self) -> bool:
        return any(row.interest is not None for row in self.rows)


def _claim(items: Sequence[NoticeItem], as_of: date) -> _Claim:
    rows: list[_Row] = []
    penalties: dict[LatePenalty, None] = {}
    rates: dict[Decimal, date] = {}
    for item in items:
        number = _printed(item.number) or "?"
        if item.due <= 0 or item.due > item.total:
            raise ValueError(
                f"invoice {number}: the amount still due ({item.due}) must be above 0 and at most "
                f"its total ({item.total})"
            )
        if item.due_date >= as_of:
            raise ValueError(f"invoice {number} is not past due on {as_of} (due {item.due_date})")
        statement = item.penalties
        if statement is not None and statement.as_of != as_of:
            raise ValueError(
                f"invoice {number}: penalties computed to {statement.as_of}, the letter is dated {as_of}"
            )
        if statement is not None:
            penalties.setdefault(statement.penalty)
            for period in statement.periods:
                rates[period.yearly_rate] = min(rates.get(period.yearly_rate, period.start), period.start)
        rows.append(
            _Row(
                number=number,
                issue_date=item.issue_date,
                due_date=item.due_date,
                total=item.total,
                due=item.due,
                days_late=(as_of - item.due_date).days if statement is None else statement.days_late,
                interest=None if statement is None else statement.interest,
                fee=None if statement is None else statement.recovery_fee,
            )
        )
    with_fee = [row.fee for row in rows if row.fee]
    return _Claim(
        rows=tuple(rows),
        principal=sum((row.due for row in rows), Decimal(0)),
        interest=sum((row.interest for row in rows if row.interest is not None), Decimal(0)),
        fees=sum(with_fee, Decimal(0)),
        fee_count=len(with_fee),
        penalties=tuple(penalties),
        rates=tuple(sorted(rates, key=rates.__getitem__)),
        unknown=tuple(row.number for row in rows if row.interest is None),
    )


# --- the document ------------------------------------------------------------------------------------


def render_formal_notice(
    *,
    seller: Seller,
    buyer: Client,
    items: Sequence[NoticeItem],
    as_of: date,
    deadline_days: int = 8,
    locale: str = "fr",
    logo: bytes | None = None,
) -> bytes:
    """The formal notice to pay ``items`` (the buyer's unpaid invoices), dated ``as_of``, as PDF bytes.

    ``locale`` is ``fr`` or ``en``; ``logo`` the business's PNG or JPEG (``ValueError`` otherwise).
    Raises ``ValueError`` for a letter that would say something false: no invoice, an invoice not
    past due on ``as_of`` or with nothing still due, penalties computed to another date, a deadline
    under one day."""
    if locale not in ("fr", "en"):
        raise ValueError(f"a formal notice is written in French (fr) or English (en), not {locale!r}")
    if not items:
        raise ValueError("a formal notice needs at least one unpaid invoice")
    if isinstance(deadline_days, bool) or not isinstance(deadline_days, int) or deadline_days < 1:
        raise ValueError(f"the deadline is a whole number of days, at least 1, not {deadline_days!r}")
    claim = _claim(items, as_of)
    image = None if logo is None else logo_image(logo)
    letter = _Letter(seller, buyer, claim, as_of, deadline_days, locale, image, prepared=True)
    letter.draw()
    if letter.pdf.outside_charset:
        # A character the prepared fonts lack: render again with the full font (fpdf2's own path).
        letter = _Letter(seller, buyer, claim, as_of, deadline_days, locale, image, prepared=False)
        letter.draw()
    return bytes(letter.pdf.output(output_producer_class=InvoiceOutputProducer))


@dataclass(frozen=True, slots=True)
class _Column:
    key: str
    width: float
    align: str


class _Letter:
    def __init__(
        self,
        seller: Seller,
        buyer: Client,
        claim: _Claim,
        as_of: date,
        deadline_days: int,
        locale: str,
        logo: Logo | None,
        *,
        prepared: bool,
    ) -> None:
        self.seller, self.buyer, self.claim = seller, buyer, claim
        self.as_of, self.deadline_days, self.locale, self.logo = as_of, deadline_days, locale, logo
        self.seller_name = _printed(seller.legal_name)
        self.buyer_name = _printed(buyer.name)
        pdf = InvoicePDF(orientation="P", unit="mm", format="A4", enforce_compliance="PDF/A-3B")
        if prepared:
            attach_prepared_fonts(pdf)
        else:
            attach_full_fonts(pdf)
        title = _w("title", locale)
        pdf.set_title(f"{title} — {self.buyer_name}")
        pdf.set_author(self.seller_name)
        pdf.set_subject(title)
        pdf.set_creator("invoicing-automation")
        pdf.set_lang("en-GB" if locale == "en" else "fr-FR")
        # Fixed timestamp so that rendering twice gives identical bytes.
        pdf.set_creation_date(datetime.combine(as_of, time(0, 0), tzinfo=UTC))
        pdf.set_margins(LEFT, TOP, RIGHT)
        pdf.set_auto_page_break(False)
        pdf.c_margin = 1.2
        pdf.alias_nb_pages()
        pdf.set_text_color(*TEXT)
        pdf.set_draw_color(*RULE)
        pdf.footer = self.footer  # type: ignore[method-assign]
        self.pdf = pdf
        self.y = TOP

    # --- flow ---------------------------------------------------------------------------------------

    def draw(self) -> None:
        self.pdf.add_page()
        self.letterhead()
        self.addresses()
        self.subject()
        self.text(_w("salutation", self.locale), gap=2.5)
        self.text(_w("unpaid_one" if len(self.claim.rows) == 1 else "unpaid_many", self.locale), gap=2.5)
        self.table()
        self.totals()
        self.explanations()
        self.notice()
        self.closing()

    def ensure(self, height: float) -> bool:
        """Go on to a new page unless ``height`` fits on this one; True when a page was added."""
        if self.y + height <= BOTTOM:
            return False
        self.next_page()
        return True

    def next_page(self) -> None:
        pdf = self.pdf
        pdf.add_page()
        _font(pdf, 9, bold=True)
        pdf.set_text_color(*ACCENT)
        title = _w("continued", self.locale, name=self.buyer_name)
        _cell(pdf, LEFT, TOP, WIDTH - 60, 6, _fit(pdf, title, WIDTH - 62))
        _font(pdf, SMALL)
        pdf.set_text_color(*MUTED)
        _cell(pdf, LEFT + WIDTH - 60, TOP, 60, 6, _fit(pdf, self.seller_name, 58), "R")
        pdf.set_text_color(*TEXT)
        pdf.line(LEFT, TOP + 7, LEFT + WIDTH, TOP + 7)
        self.y = TOP + 11

    def text(self, text: str, *, size: float = BODY, bold: bool = False, gap: float = 3.0) -> None:
        """A paragraph across the page, flowing onto the next one (never leaving a single line)."""
        pdf = self.pdf
        _font(pdf, size, bold=bold)
        lines = _wrap(pdf, text, WIDTH - 2 * pdf.c_margin)
        height = BODY_H * size / BODY
        self.ensure(min(len(lines), 2) * height)
        for index, line in enumerate(lines):
            if index and self.ensure(height):
                _font(pdf, size, bold=bold)
            _cell(pdf, LEFT, self.y, WIDTH, height, line)
            self.y += height
        self.y += gap

    # --- first page ---------------------------------------------------------------------------------

    def letterhead(self) -> None:
        pdf, seller, locale = self.pdf, self.seller, self.locale
        x, width = LEFT, ADDRESS_X - LEFT - 4
        if self.logo is not None:
            draw_logo(pdf, self.logo, LEFT, TOP)
            x = LEFT + self.logo.width + LOGO_GAP
            width = LEFT + WIDTH - x
        size = 15.0
        _font(pdf, size, bold=True)
        while size > 11 and _width(pdf, self.seller_name) > width - 2 * pdf.c_margin:
            size -= 0.5
            _font(pdf, size, bold=True)
        pdf.set_text_color(*ACCENT)
        y = TOP
        for line in _wrap(pdf, self.seller_name, width - 2 * pdf.c_margin)[:2]:
            _cell(pdf, x, y, width, 7, line)
            y += size * 0.42
        y += 1.5
        pdf.set_text_color(*TEXT)
        _font(pdf, SMALL)
        lines = _postal_lines(seller.address)
        ids = [_w("siret", locale, siret=fmt.siret(seller.siret))]
        if seller.vat_id:
            ids.append(f"{label('vat_id', locale)} {_printed(seller.vat_id)}")
        lines.append(" · ".join(ids))
        contact = "  ·  ".join(_printed(part) for part in (seller.email, seller.phone) if part)
        for line in lines:
            for part in _wrap(pdf, line, width - 2 * pdf.c_margin):
                _cell(pdf, x, y, width, 3.8, part)
                y += 3.8
        if contact:
            pdf.set_text_color(*MUTED)
            for part in _wrap(pdf, contact, width - 2 * pdf.c_margin):
                _cell(pdf, x, y, width, 3.8, part)
                y += 3.8
            pdf.set_text_color(*TEXT)
        if self.logo is not None:
            y = max(y, TOP + self.logo.height)
        self.y = y

    def addresses(self) -> None:
        """Left: the registered-letter mention and the customer reference. Right: the recipient."""
        pdf, locale = self.pdf, self.locale
        top = max(ADDRESS_Y, self.y + 6)
        # The recipient, in the envelope's window.
        y = top
        _font(pdf, 10, bold=True)
        for part in _wrap(pdf, self.buyer_name, ADDRESS_W - 2 * pdf.c_margin):
            _cell(pdf, ADDRESS_X, y, ADDRESS_W, 4.8, part)
            y += 4.8
        _font(pdf, 10)
        for line in _postal_lines(self.buyer.address):
            for part in _wrap(pdf, line, ADDRESS_W - 2 * pdf.c_margin):
                _cell(pdf, ADDRESS_X, y, ADDRESS_W, 4.6, part)
                y += 4.6
        # Left of it.
        left_w = ADDRESS_X - LEFT - 6
        ly = top
        _font(pdf, BODY, bold=True)
        pdf.set_text_color(*ACCENT)
        for part in _wrap(pdf, _w("registered", locale), left_w - 2 * pdf.c_margin):
            _cell(pdf, LEFT, ly, left_w, 4.4, part)
            ly += 4.4
        pdf.set_text_color(*MUTED)
        _font(pdf, SMALL)
        ref = _w("client_ref", locale, ref=_printed(self.buyer.ref))
        for part in _wrap(pdf, ref, left_w - 2 * pdf.c_margin):
            _cell(pdf, LEFT, ly + 1, left_w, 4, part)
            ly += 4
        pdf.set_text_color(*TEXT)
        # Place and date, under the recipient.
        y = max(y, ly) + 5
        place = _printed(self.seller.address.city)
        day = fmt.long_day(self.as_of, locale)
        dated = _w("place_date", locale, place=place, date=day) if place else day
        _font(pdf, BODY)
        _cell(pdf, ADDRESS_X, y, ADDRESS_W, 5, dated)
        self.y = y + 8

    def subject(self) -> None:
        pdf, locale = self.pdf, self.locale
        numbers = [row.number for row in self.claim.rows]
        if len(numbers) == 1:
            detail = _w("one_invoice", locale, numbers=numbers[0])
        elif len(numbers) <= 3:
            detail = _w("some_invoices", locale, numbers=_listed(numbers, locale))
        else:
            detail = _w("many_invoices", locale, count=len(numbers))
        _font(pdf, BODY + 0.5, bold=True)
        _cell(pdf, LEFT, self.y, WIDTH, 5, _w("subject", locale))
        self.y += 5
        _font(pdf, BODY)
        for part in _wrap(pdf, detail, WIDTH - 2 * pdf.c_margin):
            _cell(pdf, LEFT, self.y, WIDTH, 4.5, part)
            self.y += 4.5
        self.y += 4

    # --- the invoices -------------------------------------------------------------------------------

    def columns(self) -> list[_Column]:
        with_fee = self.claim.fee_count > 0
        fixed = [
            _Column("col.issued", 19, "L"),
            _Column("col.due_date", 19, "L"),
            _Column("col.total", 24, "R"),
            _Column("col.due", 24, "R"),
            _Column("col.days", 16, "R"),
            _Column("col.interest", 19, "R"),
        ]
        if with_fee:
            fixed.append(_Column("col.fee", 20, "R"))
        return [_Column("col.number", WIDTH - sum(c.width for c in fixed), "L"), *fixed]

    def table_header(self, columns: list[_Column]) -> None:
        pdf = self.pdf
        pdf.set_fill_color(*ACCENT)
        pdf.rect(LEFT, self.y, WIDTH, 6.5, style="F")
        _font(pdf, 7.5, bold=True)
        pdf.set_text_color(*WHITE)
        x = LEFT
        for column in columns:
            _cell(pdf, x, self.y + 0.8, column.width, 5, _w(column.key, self.locale), column.align)
            x += column.width
        pdf.set_text_color(*TEXT)
        self.y += 6.5

    def row_cells(self, row: _Row) -> list[str]:
        locale = self.locale
        cells = [
            fmt.day(row.issue_date, locale),
            fmt.day(row.due_date, locale),
            fmt.amount(row.total, locale),
            fmt.amount(row.due, locale),
            str(row.days_late),
            "—" if row.interest is None else fmt.amount(row.interest, locale),
        ]
        if self.claim.fee_count:
            cells.append("—" if not row.fee else fmt.amount(row.fee, locale))
        return cells

    def table(self) -> None:
        pdf, claim = self.pdf, self.claim
        columns = self.columns()
        number_w = columns[0].width - 2 * pdf.c_margin
        self.ensure(6.5 + 2 * (ROW_H + 2 * PAD) + 6)
        self.table_header(columns)
        for index, row in enumerate(claim.rows):
            _font(pdf, TABLE_SIZE)
            wrapped = _wrap(pdf, row.number, number_w)
            height = len(wrapped) * ROW_H + 2 * PAD
            last = index == len(claim.rows) - 1
            if self.ensure(height + (6 if last else 0)):
                self.table_header(columns)
                _font(pdf, TABLE_SIZE)
            if index % 2 == 1:
                pdf.set_fill_color(*FILL)
                pdf.rect(LEFT, self.y, WIDTH, height, style="F")
            text_y = self.y + PAD
            for part in wrapped:
                _cell(pdf, LEFT, text_y, columns[0].width, ROW_H, part)
                text_y += ROW_H
            x = LEFT + columns[0].width
            for column, text in zip(columns[1:], self.row_cells(row), strict=True):
                _cell(pdf, x, self.y + PAD, column.width, ROW_H, text, column.align)
                x += column.width
            self.y += height
        pdf.set_draw_color(*ACCENT)
        pdf.line(LEFT, self.y, LEFT + WIDTH, self.y)
        pdf.set_draw_color(*RULE)
        self.y += 3

    def totals(self) -> None:
        """The sum claimed on the right; how to pay it (bank transfer) on the left when the seller
        has an IBAN."""
        pdf, claim, locale = self.pdf, self.claim, self.locale
        rows = [(_w("principal", locale), fmt.money(claim.principal, locale))]
        interest_to = _w("interest_to", locale, date=fmt.day(self.as_of, locale))
        if claim.any_interest:
            rows.append((interest_to, fmt.money(claim.interest, locale)))
        elif claim.unknown:
            rows.append((interest_to, _w("not_computed", locale)))
        if claim.fee_count:
            if claim.fee_count == 1:
                fees = _w("fee", locale)
            elif claim.fees == RECOVERY_FEE_EUR * claim.fee_count:
                fees = _w("fees", locale, count=claim.fee_count, fee=euros(RECOVERY_FEE_EUR, locale))
            else:
                fees = _w("fees_plain", locale)
            rows.append((fees, fmt.money(claim.fees, locale)))
        payment = self.payment_lines()
        height = max(TOTAL_ROW_H * len(rows) + 9, 3 + sum(h for _, _, h in payment))
        self.ensure(height + 2)
        top = self.y
        # The sum claimed.
        x = LEFT + WIDTH - TOTALS_W
        y = top
        _font(pdf, SMALL + 0.5)
        for name, value in rows:
            _cell(pdf, x, y, TOTALS_W - 32, TOTAL_ROW_H, name)
            _cell(pdf, x + TOTALS_W - 32, y, 32, TOTAL_ROW_H, value, "R")
            y += TOTAL_ROW_H
        pdf.set_fill_color(*ACCENT)
        pdf.rect(x, y + 1, TOTALS_W, 8, style="F")
        pdf.set_text_color(*WHITE)
        _font(pdf, 10.5, bold=True)
        _cell(pdf, x + 1, y + 2, TOTALS_W - 40, 6, _w("claimed", locale))
        _cell(pdf, x + TOTALS_W - 40, y + 2, 39, 6, fmt.money(claim.total, locale), "R")
        pdf.set_text_color(*TEXT)
        # How to pay it.
        if payment:
            panel_h = 3 + sum(h for _, _, h in payment)
            pdf.set_fill_color(*FILL)
            pdf.rect(LEFT, top, PAYMENT_W, panel_h, style="F", round_corners=True, corner_radius=1.5)
            y = top + 1.5
            for text, style, line_h in payment:
                _font(pdf, SMALL, bold=style in ("title", "value"))
                pdf.set_text_color(*{"title": ACCENT, "muted": MUTED}.get(style, TEXT))
                _cell(pdf, LEFT + 1.5, y, PAYMENT_W - 3, line_h, text)
                y += line_h
            pdf.set_text_color(*TEXT)
        self.y = top + height + 6

    def payment_lines(self) -> list[tuple[str, str, float]]:
        """The bank-transfer panel's lines: (text, style, height); none without an IBAN."""
        pdf, seller, locale = self.pdf, self.seller, self.locale
        if not seller.iban:
            return []
        numbers = [row.number for row in self.claim.rows]
        reference = numbers[0] if len(numbers) == 1 else _w("references", locale)
        width = PAYMENT_W - 3 - 2 * pdf.c_margin
        lines: list[tuple[str, str, float]] = []

        def add(text: str, style: str) -> None:
            _font(pdf, SMALL, bold=style in ("title", "value"))
            lines.extend((part, style, 3.8) for part in _wrap(pdf, text, width))

        add(_w("payment", locale), "title")
        add(self.seller_name, "value")
        add(f"IBAN {grouped_iban(seller.iban)}", "plain")
        if seller.bic:
            add(f"BIC {_printed(seller.bic)}", "plain")
        add(_w("reference", locale), "muted")
        add(reference, "value")
        return lines

    def rate_text(self) -> str:
        locale, penalties = self.locale, self.claim.penalties
        if len(penalties) == 1:
            return penalties[0].describe(locale)
        return _w("several_rates", locale, rates="; ".join(p.describe(locale) for p in penalties))

    def explanations(self) -> None:
        claim, locale = self.claim, self.locale
        if claim.any_interest:
            effective = ""
            if claim.rates and not (len(claim.penalties) == 1 and claim.penalties[0].kind == "fixed"):
                rates = _w("then", locale).join(fmt.percent(r, locale) for r in claim.rates)
                effective = _w(
                    "effective_one" if len(claim.rates) == 1 else "effective_many", locale, rates=rates
                )
            law = _w("interest_law", locale) if self.buyer.is_business else ""
            basis = _w(
                "interest_basis",
                locale,
                law=law,
                rate=self.rate_text(),
                effective=effective,
                date=fmt.long_day(self.as_of, locale),
            )
            if claim.fee_count:
                basis += " " + _w("fee_basis", locale, fee=euros(RECOVERY_FEE_EUR, locale))
            self.text(basis, size=SMALL + 0.5, gap=2)
        if claim.unknown:
            key = "unknown_rate_one" if len(claim.unknown) == 1 else "unknown_rate_many"
            self.text(_w(key, locale, numbers=_listed(claim.unknown, locale)), size=SMALL + 0.5, gap=2)
        self.y += 1.5

    def notice(self) -> None:
        locale = self.locale
        days = _w("day" if self.deadline_days == 1 else "days", locale, n=self.deadline_days)
        demand = _w("demand", locale, amount=fmt.money(self.claim.total, locale), days=days)
        self.text(demand, bold=True, gap=2.5)
        self.text(_w("proceedings", locale), gap=2.5)
        self.text(f"{_w('running', locale)} {_w('disregard', locale)}", gap=4)

    def closing(self) -> None:
        pdf, locale = self.pdf, self.locale
        # The closing formula and the signature block stay together.
        _font(pdf, BODY)
        closing = _wrap(pdf, _w("closing", locale), WIDTH - 2 * pdf.c_margin)
        _font(pdf, BODY, bold=True)
        signer = _wrap(pdf, _w("for_seller", locale, name=self.seller_name), ADDRESS_W - 2 * pdf.c_margin)
        self.ensure(len(closing) * BODY_H + 5 + len(signer) * BODY_H + SIGNATURE_H)
        self.text(_w("closing", locale), gap=5)
        y = self.y
        _font(pdf, BODY, bold=True)
        for part in signer:
            _cell(pdf, ADDRESS_X, y, ADDRESS_W, BODY_H, part)
            y += BODY_H
        _font(pdf, SMALL)
        pdf.set_text_color(*MUTED)
        _cell(pdf, ADDRESS_X, y + 0.3, ADDRESS_W, 4, _w("signature", locale))
        pdf.set_text_color(*TEXT)
        pdf.set_draw_color(*RULE)
        pdf.line(ADDRESS_X + pdf.c_margin, y + SIGNATURE_H - 2, ADDRESS_X + ADDRESS_W, y + SIGNATURE_H - 2)
        self.y = y + SIGNATURE_H

    def footer(self) -> None:
        pdf, locale = self.pdf, self.locale
        y = PAGE_H - 17
        pdf.set_draw_color(*RULE)
        pdf.line(LEFT, y, LEFT + WIDTH, y)
        _font(pdf, 6.8)
        pdf.set_text_color(*MUTED)
        # No-break spaces inside each part of the identity, so a line break only falls between parts.
        identity = _printed(seller_identity(self.seller, locale))
        parts = identity.split(IDENTITY_SEPARATOR)
        identity = IDENTITY_SEPARATOR.join(part.replace(" ", "\u00a0") for part in parts)
        ly = y + 1.5
        for part in _wrap(pdf, identity, WIDTH - 24)[:2]:
            _cell(pdf, LEFT, ly, WIDTH - 22, 3.3, part, "C")
            ly += 3.3
        address = ", ".join(_postal_lines(self.seller.address))
        _cell(pdf, LEFT, ly, WIDTH - 22, 3.3, _fit(pdf, address, WIDTH - 24), "C")
        # FPDF.cell, not FPDF.text: only cell() substitutes the total page count alias {nb}.
        pdf.set_xy(LEFT + WIDTH - 22, y + 1.5)
        pdf.cell(22, 3.3, f"{label('page', locale)} {pdf.page_no()}/{{nb}}", align="R")
        pdf.set_text_color(*TEXT)
