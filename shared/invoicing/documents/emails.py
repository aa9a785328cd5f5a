"""The email that carries an issued invoice or credit note: subject, plain text, HTML, the PDF.

``compose_invoice_email`` is pure: it reads the issued ``Invoice``, the amount still due (the
receivable's to say), the payment link (signed by the caller, ``invoicing.domain.tokens``) and the
PDF, and returns a ``email.message.EmailMessage`` ready for SES ``SendRawEmail``. It sends nothing,
reads no setting and no clock.

Wording lives in jinja2 templates, one file per part, language and kind of document
(``templates/email/<kind>.<locale>.<part>.j2``: ``invoice`` or ``credit_note``; ``fr`` or ``en``;
``subject``, ``txt`` or ``html``), plus the HTML frame ``_layout.html.j2`` the HTML parts extend.
A business may replace any of them (``EmailTemplates(overrides)``, the texts coming from the bucket's
``config/templates/``); ``check_override`` says why an override would not render, so an upload can be
refused and the default stay in force. What a template may use is ``CONTEXT_VARIABLES``, documented in
``templates/email/README.md``: plain strings, booleans, lists and dicts, every amount and date already
formatted for the buyer's language (``invoicing.documents.format``), every legal mention worded by
``invoicing.documents.mentions``. Templates render in jinja2's sandbox (an override is text someone
uploaded), with ``StrictUndefined`` (a misspelt variable is an error, never an empty string), and the
HTML parts with autoescape on.

Headers are built by the stdlib ``email`` package (``email.policy.SMTP``): display names and the
subject are folded to one line (a line break in a spreadsheet cell becomes a space, so a name can
never start a header of its own) and any other control or format character is refused with
``ValueError``; non-ASCII text is encoded per RFC 2047 by the package.
"""

from __future__ import annotations

import email.policy
import re
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader, StrictUndefined, TemplateError, meta, nodes
from jinja2 import TemplateSyntaxError as _TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from invoicing.documents import format as fmt
from invoicing.documents.mentions import Kind, for_email
from invoicing.domain.identifiers import grouped_iban
from invoicing.domain.invoice import DocumentType, Draft, Invoice, InvoiceReference, Line, Source, issue
from invoicing.domain.money import ZERO
from invoicing.domain.parties import Address as PostalAddress
from invoicing.domain.parties import Client, Locale, Seller
from invoicing.domain.terms import LatePenalty, PaymentTerms
from invoicing.domain.text import forbidden_characters
from invoicing.domain.vat import VatTreatment

TEMPLATE_DIR = Path(__file__).parent / "templates" / "email"
KINDS = ("invoice", "credit_note")
LOCALES = ("fr", "en")
PARTS = ("subject", "txt", "html")
LAYOUT = "_layout.html.j2"
#: Every template a business may override.
TEMPLATE_NAMES: tuple[str, ...] = (
    LAYOUT,
    *(f"{kind}.{locale}.{part}.j2" for kind in KINDS for locale in LOCALES for part in PARTS),
)
#: Largest override accepted (characters): a template is a page of wording, not a payload.
MAX_OVERRIDE_CHARS = 100_000
#: The variables every template is given (see templates/email/README.md).
CONTEXT_VARIABLES = frozenset(
    {
        "locale",
        "document",
        "number",
        "client_name",
        "issue_date",
        "due_date",
        "payment_terms",
        "order_ref",
        "total",
        "amount_due",
        "partly_settled",
        "pay_url",
        "bank",
        "corrects",
        "reason",
        "settlement",
        "legal_mentions",
        "seller",
        "logo_src",
    }
)

_LOGO_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


#: What a header folds into one space: line breaks (a multi-line spreadsheet cell), tabs, runs of spaces.
_LINE_BREAKS = re.compile("[\r\n\t \u2028\u2029]+")


class NoRecipient(ValueError):
    """The buyer has no email address: the invoice waits for one (the caller's case to handle)."""


# --- templates -------------------------------------------------------------------------------------


def _environment(overrides: Mapping[str, str]) -> ImmutableSandboxedEnvironment:
    loader = ChoiceLoader([DictLoader(dict(overrides)), FileSystemLoader(TEMPLATE_DIR)])
    return ImmutableSandboxedEnvironment(
        loader=loader,
        undefined=StrictUndefined,
        # Autoescape by name: the HTML parts (and the layout) escape every value; text and subject do not.
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


class EmailTemplates:
    """The email templates: the defaults shipped with the package, any of them replaced by a business's
    override (``{"invoice.fr.html.j2": "<text>"}``). Reuse one instance: compiled templates are cached."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self.overrides = dict(overrides or {})
        unknown = sorted(set(self.overrides) - set(TEMPLATE_NAMES))
        if unknown:
            raise ValueError(f"no such email template: {', '.join(unknown)}")
        self._env = _environment(self.overrides)

    @classmethod
    def checked(cls, overrides: Mapping[str, str]) -> tuple[EmailTemplates, dict[str, list[str]]]:
        """The templates with every override that renders, and the problems of those left out (whose
        default stays in force): for overrides read from the bucket, which may predate a check."""
        problems: dict[str, list[str]] = {}
        for name, text in overrides.items():
            found = check_override(name, text)
            if found:
                problems[name] = found
        return cls({n: t for n, t in overrides.items() if n not in problems}), problems

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        return self._env.get_template(name).render(context)


@cache
def default_templates() -> EmailTemplates:
    return EmailTemplates()


# --- composing -------------------------------------------------------------------------------------


def compose_invoice_email(
    invoice: Invoice,
    *,
    pdf: bytes,
    sender: str,
    due: Decimal | None = None,
    pay_url: str | None = None,
    reply_to: str | None = None,
    to: str | None = None,
    logo: bytes | None = None,
    templates: EmailTemplates | None = None,
    sent_at: datetime | None = None,
) -> EmailMessage:
    """The email sending ``invoice`` (an invoice or a credit note) to its buyer, in the buyer's language.

    - ``pdf``: the document, attached as ``<number>.pdf`` (a ``/`` of the number written ``-``).
    - ``sender``: the business's address (an SES verified identity); ``From`` shows the seller's legal
      name. ``reply_to``: where replies go, when not to ``sender``.
    - ``due``: what is still to pay (``Receivable.due``), by default the total incl. VAT; between zero
      and the total. With nothing due, neither the payment link nor the bank details are given.
    - ``pay_url``: the payment link (``https://…/pay/<token>``), if any. A credit note has no payment
      link and no due date: both are left out of its email.
    - ``to``: the recipient, by default the buyer's email (``NoRecipient`` when it has none); pilot mode
      gives the operator's address instead.
    - ``logo``: PNG, JPEG or GIF bytes, shown inline (``Content-ID``) at the top of the HTML part.
    - ``sent_at``: the ``Date`` header (an aware datetime), when the caller wants one (SES adds it
      otherwise).

    Raises ``ValueError`` for a header value carrying a control character, a malformed address, a
    payment link that is not http(s), a logo of another format or a ``due`` out of range.
    """
    templates = templates or default_templates()
    locale = invoice.locale
    kind = "credit_note" if invoice.is_credit_note else "invoice"
    number = _header_text(invoice.number, "invoice number")
    recipient = to if to is not None else invoice.buyer.email
    if not recipient:
        raise NoRecipient(f"{invoice.number}: the buyer {invoice.buyer.ref} has no email address")

    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = _address(sender, "sender", _header_text(invoice.seller.legal_name, "seller name"))
    msg["To"] = _address(recipient, "recipient", _header_text(invoice.buyer.name, "buyer name"))
    if reply_to:
        msg["Reply-To"] = _address(reply_to, "reply-to")
    logo_cid = None
    if logo is not None:
        logo_type = _logo_type(logo)
        logo_cid = make_msgid("logo", domain=_domain(sender))
    context = email_context(invoice, due=due, pay_url=pay_url, logo_cid=logo_cid)
    subject = templates.render(f"{kind}.{locale}.subject.j2", context)
    msg["Subject"] = _header_text(subject, "subject")
    if sent_at is not None:
        msg["Date"] = format_datetime(sent_at)

    msg.set_content(templates.render(f"{kind}.{locale}.txt.j2", context), cte="quoted-printable")
    msg.add_alternative(
        templates.render(f"{kind}.{locale}.html.j2", context), subtype="html", cte="quoted-printable"
    )
    if logo is not None and logo_cid is not None:
        html_part = msg.get_payload()[1]
        html_part.add_related(
            logo, maintype="image", subtype=logo_type, cid=logo_cid, filename=f"logo.{logo_type}"
        )
    if not isinstance(pdf, bytes | bytearray) or not bytes(pdf[:5]) == b"%PDF-":
        raise ValueError(f"{invoice.number}: the attachment is not a PDF")
    # A number may hold "/" (FA/2026/0001); mail clients would keep only what follows the last one.
    filename = number.replace("/", "-") + ".pdf"
    msg.add_attachment(bytes(pdf), maintype="application", subtype="pdf", filename=filename)
    # Last: setting and wrapping the content moves or clears the Content-* headers already there.
    msg["Content-Language"] = locale
    return msg


def email_context(
    invoice: Invoice, *, due: Decimal | None = None, pay_url: str | None = None, logo_cid: str | None = None
) -> dict[str, Any]:
    """What the templates are given (``CONTEXT_VARIABLES``), for ``invoice`` in its buyer's language."""
    locale = invoice.locale
    seller = invoice.seller
    total = invoice.totals.grand_total
    credit_note = invoice.is_credit_note
    if due is None or credit_note:
        due = total
    if not ZERO <= due <= total:
        raise ValueError(f"{invoice.number}: amount due {due} is not between 0 and the total {total}")
    if pay_url is not None and not re.fullmatch(r"https?://[^\s<>\"']+", pay_url, re.ASCII):
        raise ValueError(f"{invoice.number}: the payment link must be an http(s) URL")
    payable = not credit_note and due > 0

    identity, legal, corrects, reason, settlement = "", [], None, None, None
    for mention in for_email(invoice):
        text = mention.text(locale)
        if mention.kind is Kind.IDENTITY:
            identity = text
        elif mention.key == "corrects":
            ref = invoice.draft.corrects
            assert ref is not None
            corrects = {"number": ref.number, "date": fmt.day(ref.issue_date, locale), "text": text}
        elif mention.key == "credit_reason":
            reason = text
        elif mention.kind is Kind.SETTLEMENT:
            settlement = text
        else:
            legal.append(text)

    address = seller.address
    return {
        "locale": locale,
        "document": "credit_note" if credit_note else "invoice",
        "number": invoice.number,
        "client_name": invoice.buyer.name,
        "issue_date": fmt.day(invoice.issue_date, locale),
        "due_date": fmt.long_day(invoice.due_date, locale),
        "payment_terms": invoice.payment_terms.describe(locale),
        "order_ref": invoice.draft.order_ref,
        "total": fmt.money(total, locale),
        "amount_due": fmt.money(due, locale),
        "partly_settled": due != total,
        "pay_url": pay_url if payable else None,
        "bank": (
            {
                "holder": seller.legal_name,
                "iban": grouped_iban(seller.iban),
                "bic": seller.bic,
                "reference": invoice.number,
            }
            if payable and seller.iban
            else None
        ),
        "corrects": corrects,
        "reason": reason,
        "settlement": settlement,
        "legal_mentions": legal,
        "seller": {
            "name": seller.legal_name,
            "identity": identity,
            "address": [*address.lines, f"{address.postcode} {address.city}"]
            + ([] if address.in_france else [address.country]),
            "email": seller.email,
            "phone": seller.phone,
        },
        "logo_src": f"cid:{logo_cid[1:-1]}" if logo_cid else None,
    }


# --- headers ---------------------------------------------------------------------------------------


def _header_text(value: str, what: str) -> str:
    """``value`` as one header line: line breaks, tabs and runs of spaces become one space; any other
    control or format character is refused (it would hide text or reorder it). No-break spaces stay."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be text")
    folded = _LINE_BREAKS.sub(" ", value).strip(" ")
    refused = forbidden_characters(folded)
    if refused:
        raise ValueError(f"{what} carries control or format characters ({', '.join(refused)})")
    if not folded:
        raise ValueError(f"{what} is empty")
    return folded


def _address(addr: str, what: str, display_name: str = "") -> Address:
    """One mailbox, its address checked: no white space or control character, one ``@``, an ASCII
    local part (SES does not do SMTPUTF8); an internationalised domain is written in punycode."""
    if not isinstance(addr, str) or not addr or any(c.isspace() or not c.isprintable() for c in addr):
        raise ValueError(f"{what}: not an email address")
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or "@" in local:
        raise ValueError(f"{what}: not an email address")
    if not local.isascii():
        raise ValueError(f"{what}: a non-ASCII address cannot be sent through SES")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"{what}: invalid domain") from None
    try:
        return Address(display_name=display_name, addr_spec=f"{local}@{domain}")
    except (ValueError, IndexError, TypeError) as exc:
        raise ValueError(f"{what}: not an email address") from exc


def _domain(addr: str) -> str:
    return addr.rpartition("@")[2].encode("idna").decode("ascii")


def _logo_type(logo: bytes) -> str:
    for magic, subtype in _LOGO_TYPES:
        if logo.startswith(magic):
            return subtype
    raise ValueError("the logo must be a PNG, JPEG or GIF image")


# --- overrides -------------------------------------------------------------------------------------


def check_override(name: str, text: str, *, others: Mapping[str, str] | None = None) -> list[str]:
    """Why ``text`` cannot replace the template ``name`` (an empty list when it can).

    It is compiled (a syntax error is reported with its line), its variables are compared with
    ``CONTEXT_VARIABLES`` (each unknown one named with its line), and it is rendered for sample
    documents in the template's language (with and without payment link, bank details and logo; a
    partly paid invoice; for the layout, every HTML part), with ``others`` (the business's other
    overrides) in force, so an error on any path it takes is reported. Problems are in English, for the
    upload report.
    """
    if name not in TEMPLATE_NAMES:
        return [f"{name}: not an email template (expected one of {', '.join(TEMPLATE_NAMES)})"]
    if not isinstance(text, str):
        return [f"{name}: not text"]
    if len(text) > MAX_OVERRIDE_CHARS:
        return [f"{name}: {len(text)} characters, more than the {MAX_OVERRIDE_CHARS} allowed"]
    overrides = {**(others or {}), name: text}
    env = _environment(overrides)
    try:
        tree = env.parse(text, name=name)
    except _TemplateSyntaxError as exc:
        return [f"{name}, line {exc.lineno}: syntax error: {exc.message}"]

    problems: list[str] = []
    if name == LAYOUT and not any(block.name == "content" for block in tree.find_all(nodes.Block)):
        problems.append(f"{name}: no {{% block content %}}, where each email's own text goes")
    unknown = meta.find_undeclared_variables(tree) - CONTEXT_VARIABLES - set(env.globals)
    for variable in sorted(unknown):
        line = min((n.lineno for n in tree.find_all(nodes.Name) if n.name == variable), default=None)
        where = f", line {line}" if line else ""
        problems.append(f"{name}{where}: unknown variable '{variable}'")
    if problems:
        return problems

    seen: set[str] = set()
    for template, context in _samples(name):
        try:
            output = env.get_template(template).render(context)
        except TemplateError as exc:
            problem = f"{name}{_error_line(exc, name)}: {type(exc).__name__}: {exc.message or exc}"
        except Exception as exc:  # an override may divide by zero or add text to a number
            problem = f"{name}{_error_line(exc, name)}: {type(exc).__name__}: {exc}"
        else:
            problem = None
            if name.endswith(".subject.j2"):
                try:
                    _header_text(output, "the subject")
                except ValueError as exc:
                    problem = f"{name}: {exc}"
        if problem and problem not in seen:
            seen.add(problem)
            problems.append(problem)
    return problems


def _error_line(exc: BaseException, name: str) -> str:
    """``, line N`` of the template ``name`` where ``exc`` was raised (jinja2 rewrites its tracebacks
    so that template lines appear as frames)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename in (name, "<template>") and frame.lineno:
            return f", line {frame.lineno}"
    return ""


def _samples(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(template to render, context) pairs exercising the template ``name``."""
    names = [f"{kind}.{locale}.html.j2" for kind in KINDS for locale in LOCALES] if name == LAYOUT else [name]
    for template in names:
        kind, locale = template.split(".")[:2]
        if kind == "credit_note":
            note = sample_invoice(locale, credit_note=True)
            yield template, email_context(note)
            yield template, email_context(note, logo_cid="<logo@sample.example>")
            continue
        invoice = sample_invoice(locale)
        half = (invoice.totals.grand_total / 2).quantize(Decimal("0.01"))
        no_iban = replace(
            invoice, seller=replace(invoice.seller, iban=None, bic=None, phone=None, email=None)
        )
        yield template, email_context(invoice, pay_url=SAMPLE_PAY_URL, logo_cid="<logo@sample.example>")
        yield template, email_context(invoice, due=half)
        yield template, email_context(no_iban)
        yield template, email_context(invoice, due=ZERO)


# --- the sample documents (previews and override checks) ------------------------------------------

SAMPLE_PAY_URL = "https://pay.example/pay/" + "a" * 56

_SAMPLE_SELLER = Seller(
    legal_name="Horizon Conseil & Formation",
    legal_form="SARL",
    siret="83147925800020",
    address=PostalAddress(("14 rue de la République", "3e étage"), "69002", "Lyon"),
    share_capital=Decimal("20000"),
    rcs_city="Lyon",
    vat_id="FR45831479258",
    iban="FR7630004008230001041763247",
    bic="BNPAFRPPLYO",
    email="facturation@horizon-conseil.example",
    phone="04 78 00 00 00",
    late_penalty=LatePenalty("legal-x3"),
)


@cache
def sample_invoice(locale: str = "fr", *, credit_note: bool = False) -> Invoice:
    """A fictional issued invoice (or a credit note correcting it) to a business client writing in
    ``locale``: what previews and override checks render."""
    if locale == "en":
        buyer = Client(
            ref="C004",
            name="Ourthe Logistics SRL",
            address=PostalAddress(("Quai de la Boverie 12",), "4020", "Liège", "BE"),
            email="accounts@ourthe-logistics.example",
            vat_id="BE0477472701",
            locale=Locale.EN,
            payment_terms=PaymentTerms(30),
        )
        items = [
            ("Process review (two days on site)", "2", "jour", "950.00"),
            ("Travel", "1", "forfait", "124.50"),
        ]
    else:
        buyer = Client(
            ref="C001",
            name="Société Dauphinoise de Transports",
            address=PostalAddress(("8 avenue Alsace-Lorraine", "Bâtiment B"), "38000", "Grenoble"),
            email="comptabilite@dauphinoise-transports.example",
            siren="428716302",
            vat_id="FR19428716302",
            payment_terms=PaymentTerms(30),
        )
        items = [
            ("Audit des processus logistiques", "3.5", "h", "95.00"),
            ("Formation Excel avancé (6 participants)", "2", "jour", "690.00"),
        ]
    vat = (
        VatTreatment.standard(Decimal(20))
        if buyer.address.in_france
        else VatTreatment.exempt("autoliquidation")
    )
    lines = tuple(
        Line(text, Decimal(qty), unit, Decimal(price), vat, service_date=date(2026, 11, 3))
        for text, qty, unit, price in items
    )
    draft = Draft(
        DocumentType.INVOICE,
        buyer,
        lines,
        date(2026, 11, 3),
        date(2026, 11, 10),
        order_ref="BC-2026-114",
        source=Source("incoming/sample.csv", "sample", f"sample-{locale}"),
    )
    issued = issue(
        draft,
        seller=_SAMPLE_SELLER,
        number="FA2026-00012",
        issue_date=date(2026, 11, 23),
        default_terms=PaymentTerms(30),
    )
    if not credit_note:
        return issued
    note = Draft(
        DocumentType.CREDIT_NOTE,
        buyer,
        lines[:1],
        draft.period_start,
        draft.period_end,
        order_ref=draft.order_ref,
        corrects=InvoiceReference(issued.number, issued.issue_date),
        credit_reason="Prestation annulée" if locale == "fr" else "Service cancelled",
        source=Source("incoming/sample.csv", "sample", f"sample-credit-{locale}"),
    )
    return issue(
        note,
        seller=_SAMPLE_SELLER,
        number="AV2026-00003",
        issue_date=date(2026, 11, 27),
        default_terms=PaymentTerms(30),
    )
