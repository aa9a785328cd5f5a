"""The emails of the receivable: the invoice or credit note, the reminders, and the owner's emails.

Five pure functions, each returning an ``email.message.EmailMessage`` ready for SES
``SendRawEmail``; none sends anything, reads a setting or the clock:

- ``compose_invoice_email``: the issued invoice or credit note to its buyer (the PDF attached);
- ``compose_reminder_email``: a reminder of an unpaid invoice in one of the ``TONES`` (a courtesy
  notice before the due date, then gentle, firm, final), the late-payment penalties stated when the
  caller computed them (``invoicing.domain.penalties``), the PDF attached again;
- ``compose_escalation_email``: to the business owner when the reminders ended unpaid, the formal
  notice (mise en demeure) to sign attached, with what to do next;
- ``compose_forwarded_reply``: a customer's reply to a reminder, forwarded to the owner (attached as
  ``message/rfc822``) with why the reminders are paused and how to resume them.

Every one takes ``pilot_for``: pilot mode, where the message goes to ``to`` (the operator) instead
of the real recipient ``pilot_for``, its subject prefixed ``[PILOTE → real@addr]``, the header
``X-Invoicing-Pilot-Original-To`` naming the real address and a banner heading the text and HTML
parts (added by the code, so no override can drop it).

Wording lives in jinja2 templates, one file per part, language and kind of email
(``templates/email/<kind>.<locale>.<part>.j2``: ``invoice``, ``credit_note``, ``reminder_<tone>``,
``escalation`` or ``reply_forward``; ``fr`` or ``en``; ``subject``, ``txt`` or ``html``), plus the
HTML frame ``_layout.html.j2`` the customer emails' HTML parts extend. A business may replace any of
them (``EmailTemplates(overrides)``, the texts coming from the bucket's ``config/templates/``);
``check_override`` says why an override would not render, so an upload can be refused and the
default stay in force. What a template may use is ``template_variables(name)`` (``CONTEXT_VARIABLES``
for the invoice and credit note, plus ``REMINDER_VARIABLES`` for a reminder; ``ESCALATION_VARIABLES``,
``REPLY_FORWARD_VARIABLES``), documented in ``templates/email/README.md``: plain strings, numbers,
booleans, lists and dicts, every amount and date already formatted for the reader's language
(``invoicing.documents.format``), every legal mention worded by ``invoicing.documents.mentions``.
Templates render in jinja2's sandbox (an override is text someone uploaded), with ``StrictUndefined``
(a misspelt variable is an error, never an empty string), and the HTML parts with autoescape on.
Every render has a budget (``_render``): at most ``MAX_RENDER_CHARS`` characters written (an email
part is a page, not a book) and ``MAX_RENDER_SECONDS`` (timed with SIGALRM in the main thread, where
Lambda handlers run; elsewhere only between the pieces written), a ``*`` or ``**`` building a huge
text or number refused before it is computed, else ``RenderBudgetExceeded`` (a ``ValueError``);
``check_override`` refuses an override that goes over it.

Headers are built by the stdlib ``email`` package (``email.policy.SMTP``): display names and the
subject are folded to one line (a line break in a spreadsheet cell becomes a space, so a name can
never start a header of its own) and any other control or format character is refused with
``ValueError``; non-ASCII text is encoded per RFC 2047 by the package. Nothing a customer wrote (the
subject or sender of a reply) is ever copied into a header.
"""

from __future__ import annotations

import email
import email.charset
import email.policy
import re
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from jinja2 import (
    ChoiceLoader,
    DictLoader,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    meta,
    nodes,
)
from jinja2 import TemplateSyntaxError as _TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import escape

from invoicing.documents import format as fmt
from invoicing.documents.mentions import Kind, for_email, paid_by
from invoicing.domain.identifiers import grouped_iban
from invoicing.domain.invoice import (
    DocumentType,
    Draft,
    Invoice,
    InvoiceReference,
    Line,
    Settlement,
    Source,
    issue,
)
from invoicing.domain.money import ZERO
from invoicing.domain.parties import Address as PostalAddress
from invoicing.domain.parties import Client, Locale, Seller
from invoicing.domain.terms import LatePenalty, PaymentTerms
from invoicing.domain.text import forbidden_characters, quoted
from invoicing.domain.vat import VatTreatment

if TYPE_CHECKING:
    from invoicing.domain.penalties import PenaltyStatement

TEMPLATE_DIR = Path(__file__).parent / "templates" / "email"
KINDS = ("invoice", "credit_note")
#: The reminders, from the friendliest: a notice a few days before the due date (courtesy), then
#: about J+7 (gentle: "an oversight?"), J+15 (firm: terms recalled, penalties stated) and J+30
#: (final: last notice before formal notice, with a deadline of ``FINAL_NOTICE_DAYS``).
TONES = ("courtesy", "gentle", "firm", "final")
REMINDER_KINDS = tuple(f"reminder_{tone}" for tone in TONES)
#: The emails a customer receives: their HTML parts extend the layout.
CUSTOMER_KINDS = (*KINDS, *REMINDER_KINDS)
LOCALES = ("fr", "en")
PARTS = ("subject", "txt", "html")
LAYOUT = "_layout.html.j2"
#: Days a final reminder gives before the matter goes to formal notice.
FINAL_NOTICE_DAYS = 8
#: Every template a business may override.
TEMPLATE_NAMES: tuple[str, ...] = (
    LAYOUT,
    *(f"{kind}.{locale}.{part}.j2" for kind in CUSTOMER_KINDS for locale in LOCALES for part in PARTS),
    *(f"escalation.{locale}.{part}.j2" for locale in LOCALES for part in PARTS),
    *(f"reply_forward.{locale}.{part}.j2" for locale in LOCALES for part in ("subject", "txt")),
)
#: Largest override accepted (characters): a template is a page of wording, not a payload.
MAX_OVERRIDE_CHARS = 100_000
#: Most characters one render (one part of an email) may write: an email part is a page, not a
#: book (SES takes 10 MB a message, attachments included).
MAX_RENDER_CHARS = 1_000_000
#: Longest one render may take (seconds), where it can be timed: in the main thread (see ``_alarm``).
MAX_RENDER_SECONDS = 2.0
#: Longest ``check_override`` spends rendering one override's samples, all of them (seconds).
MAX_CHECK_SECONDS = 5.0
#: Largest number a template may compute (bits, about 4,900 digits; Python prints no more than 4,300):
#: a larger power or product is refused before it is computed, which no timer could interrupt.
MAX_NUMBER_BITS = 16_384
#: The variables of the invoice and credit-note templates and of the layout (see
#: templates/email/README.md); the reminders have these and ``REMINDER_VARIABLES``.
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
        "settled",
        "legal_mentions",
        "seller",
        "logo_src",
        "pilot",
    }
)
#: What a reminder's templates have besides ``CONTEXT_VARIABLES``.
REMINDER_VARIABLES = frozenset({"tone", "as_of", "days_late", "days_to_due", "deadline", "penalties"})
#: The variables of the owner's escalation email.
ESCALATION_VARIABLES = frozenset(
    {
        "locale",
        "pilot",
        "business_name",
        "client_name",
        "client_ref",
        "as_of",
        "items",
        "total_due",
        "penalties_total",
        "notice_filename",
    }
)
#: The variables of a customer's reply forwarded to the owner.
REPLY_FORWARD_VARIABLES = frozenset(
    {
        "locale",
        "pilot",
        "number",
        "client_name",
        "paused_until",
        "original_subject",
        "original_from",
        "original_date",
        "original_attached",
    }
)

_LOGO_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
_PILOT_PREFIX = {"fr": "[PILOTE → {address}] ", "en": "[PILOT → {address}] "}
#: The banner heading a pilot message (the default layout words it the same way).
PILOT_BANNER = {
    "fr": "Mode pilote : ce message aurait été envoyé à {address} ; il vous est adressé à la place.",
    "en": "Pilot mode: this message would have been sent to {address}; it has been sent to you instead.",
}
_PILOT_HEADER = "X-Invoicing-Pilot-Original-To"
#: How a forwarded reply that cannot travel as a message is attached.
RAW_REPLY_FILENAME = "reply.eml"
#: What serialises a forwarded reply: 7-bit only (quoted-printable or base64 where it was 8-bit).
_SEVEN_BIT = email.policy.SMTP.clone(cte_type="7bit")
#: UTF-8 in quoted-printable encoded words (readable in the raw message), for the subject.
_HEADER_CHARSET = email.charset.Charset("utf-8")
_HEADER_CHARSET.header_encoding = email.charset.QP


#: What a header folds into one space: line breaks (a multi-line spreadsheet cell), tabs, runs of spaces.
_LINE_BREAKS = re.compile("[\r\n\t \u2028\u2029]+")


class NoRecipient(ValueError):
    """The buyer has no email address: the invoice waits for one (the caller's case to handle)."""


@dataclass(frozen=True, slots=True)
class EscalationItem:
    """One unpaid invoice of an escalation: amounts incl. VAT, ``due`` what is still owed,
    ``reminders_sent`` the days a reminder went out, ``penalties_total`` the late-payment
    penalties and recovery fee on the day of the escalation (``None`` when not computed)."""

    number: str
    client_name: str
    client_ref: str
    issue_date: date
    due_date: date
    total: Decimal
    due: Decimal
    days_late: int
    reminders_sent: tuple[date, ...]
    penalties_total: Decimal | None


# --- templates -------------------------------------------------------------------------------------


class RenderBudgetExceeded(ValueError):
    """A render went over its budget: more than ``MAX_RENDER_CHARS`` characters written, more than
    its time, or a number or text too large computed. ``template``: the template rendered;
    ``reason``: what it did ("renders more than 1,000,000 characters")."""

    def __init__(self, template: str | None, reason: str) -> None:
        super().__init__(f"{template or 'the template'} {reason}")
        self.template = template
        self.reason = reason


class _OutOfTime(BaseException):
    """Raised by SIGALRM in the middle of a render (``_alarm``). Not an ``Exception``: nothing the
    template calls (a filter catching ``Exception``, jinja2's own error handling) may swallow it."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's sandbox (no unsafe attribute, no changing a list or dict, ``range`` of at most
    ``MAX_RANGE`` items, kept as is) that also refuses, before computing it, a ``*`` or ``**`` whose
    result would be a text or list longer than ``MAX_RENDER_CHARS`` or a number of more than
    ``MAX_NUMBER_BITS`` bits: ``{{ "x" * 10**10 }}`` would take gigabytes, ``{{ 3**10000000000 }}``
    hours of arithmetic no timer interrupts. (Intercepted operators are not folded at compile time
    either.)"""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_operation(operator, left, right)
        return super().call_binop(context, operator, left, right)


def _check_operation(operator: str, left: Any, right: Any) -> None:
    def whole(value: Any) -> bool:
        return isinstance(value, int)

    if operator == "**" and whole(left) and whole(right) and right > 0 and abs(left) > 1:
        if (abs(left).bit_length() - 1) * right > MAX_NUMBER_BITS:
            raise RenderBudgetExceeded(None, f"computes a number of more than {MAX_NUMBER_BITS:,} bits")
    elif operator == "*":
        if whole(left) and whole(right):
            if abs(left).bit_length() + abs(right).bit_length() > MAX_NUMBER_BITS + 1:
                raise RenderBudgetExceeded(None, f"computes a number of more than {MAX_NUMBER_BITS:,} bits")
            return
        for sequence, times in ((left, right), (right, left)):
            if (
                isinstance(sequence, str | list | tuple)
                and whole(times)
                and len(sequence) * times > MAX_RENDER_CHARS
            ):
                raise RenderBudgetExceeded(
                    None, f"builds a text or list of more than {MAX_RENDER_CHARS:,} characters or items"
                )


@contextmanager
def _alarm(seconds: float) -> Iterator[bool]:
    """Raise ``_OutOfTime`` in the code run in the ``with`` block after ``seconds`` (yields True),
    with SIGALRM and ``ITIMER_REAL``: only possible in the main thread (where Lambda handlers and the
    command line run); elsewhere, or where a handler installed outside Python holds SIGALRM, nothing
    is timed (yields False). The previous handler is put back, and a timer that was running is
    re-armed with what was left of it (an alarm due during the block goes off when it ends)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield False
        return
    previous = signal.getsignal(signal.SIGALRM)
    if previous is None:
        yield False
        return
    armed = True

    def on_alarm(signum: int, frame: object) -> None:
        if armed:
            raise _OutOfTime

    started = time.monotonic()
    signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay > 0:
            left = max(old_delay - (time.monotonic() - started), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, left, old_interval)


def _render(template: Template, context: Mapping[str, Any], *, seconds: float | None = None) -> str:
    """``template`` rendered within its budget, else ``RenderBudgetExceeded``: it is generated piece
    by piece and stopped once it has written more than ``MAX_RENDER_CHARS`` characters, or taken
    more than ``seconds`` (by default ``MAX_RENDER_SECONDS``): SIGALRM in the main thread, which
    also stops loops that write nothing; elsewhere the clock is read between pieces only."""
    if seconds is None:
        seconds = MAX_RENDER_SECONDS
    pieces: list[str] = []
    size = 0
    stream = template.generate(context)
    try:
        with _alarm(seconds):
            deadline = time.monotonic() + seconds
            for piece in stream:
                size += len(piece)
                if size > MAX_RENDER_CHARS:
                    raise RenderBudgetExceeded(
                        template.name, f"renders more than {MAX_RENDER_CHARS:,} characters"
                    )
                if time.monotonic() > deadline:
                    raise _OutOfTime
                pieces.append(piece)
    except _OutOfTime:
        raise RenderBudgetExceeded(template.name, f"takes more than {seconds:g} s to render") from None
    except RenderBudgetExceeded as exc:
        if exc.template is None:  # from _check_operation, which does not know the template
            exc = RenderBudgetExceeded(template.name, exc.reason).with_traceback(exc.__traceback__)
        raise exc from None
    finally:
        stream.close()
    return "".join(pieces)


def _environment(overrides: Mapping[str, str]) -> _Sandbox:
    loader = ChoiceLoader([DictLoader(dict(overrides)), FileSystemLoader(TEMPLATE_DIR)])
    env = _Sandbox(
        loader=loader,
        undefined=StrictUndefined,
        # Autoescape by name: the HTML parts (and the layout) escape every value; text and subject do not.
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    # Lorem ipsum of any length (``lipsum(10**8)``) is no wording an email needs.
    del env.globals["lipsum"]
    return env


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
        """The template ``name`` rendered for ``context``, within the budget of a render
        (``MAX_RENDER_CHARS``, ``MAX_RENDER_SECONDS``): else ``RenderBudgetExceeded``."""
        try:
            return _render(self._env.get_template(name), context)
        except RenderBudgetExceeded:
            # Cut short by the alarm, the environment's template cache may be half updated.
            self._env = _environment(self.overrides)
            raise


@cache
def default_templates() -> EmailTemplates:
    return EmailTemplates()


def template_variables(name: str) -> frozenset[str]:
    """The variables the template ``name`` may use."""
    kind = name.split(".", 1)[0]
    if name == LAYOUT or kind in KINDS:
        return CONTEXT_VARIABLES
    if kind in REMINDER_KINDS:
        return CONTEXT_VARIABLES | REMINDER_VARIABLES
    if kind == "escalation":
        return ESCALATION_VARIABLES
    if kind == "reply_forward":
        return REPLY_FORWARD_VARIABLES
    raise ValueError(f"{name}: not an email template")


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
    pilot_for: str | None = None,
) -> EmailMessage:
    """The email sending ``invoice`` (an invoice or a credit note) to its buyer, in the buyer's language.

    - ``pdf``: the document, attached as ``<number>.pdf`` (a ``/`` of the number written ``-``).
    - ``sender``: the business's address (an SES verified identity); ``From`` shows the seller's legal
      name. ``reply_to``: where replies go, when not to ``sender``.
    - ``due``: what is still to pay (``Receivable.due``), by default the total incl. VAT; between zero
      and the total. With nothing due, neither the payment link nor the bank details are given. An
      invoice issued paid (``Invoice.settled``, an online sale) has nothing due, whatever ``due`` says:
      its email is a receipt ("Voici votre facture acquittée"), as its PDF is.
    - ``pay_url``: the payment link (``https://…/pay/<token>``), if any. A credit note has no payment
      link and no due date: both are left out of its email.
    - ``to``: the recipient, by default the buyer's email (``NoRecipient`` when it has none).
    - ``pilot_for``: pilot mode; the real recipient's address, the message going to ``to`` (the
      operator, then required) with a ``[PILOTE → …]`` subject, an ``X-Invoicing-Pilot-Original-To``
      header and a banner.
    - ``logo``: PNG, JPEG or GIF bytes, shown inline (``Content-ID``) at the top of the HTML part.
    - ``sent_at``: the ``Date`` header (an aware datetime), when the caller wants one (SES adds it
      otherwise).

    Raises ``ValueError`` for a header value carrying a control character, a malformed address, a
    payment link that is not http(s), a logo of another format or a ``due`` out of range.
    """
    templates = templates or default_templates()
    recipient = _recipient(invoice, to)
    pilot = _pilot(pilot_for, to)
    logo_type, logo_cid = _logo(logo, sender)
    if invoice.settled is not None and not invoice.is_credit_note:
        due = ZERO  # the email goes with the PDF, which says "acquittée": it asks for nothing
    context = email_context(invoice, due=due, pay_url=pay_url, logo_cid=logo_cid, pilot=pilot)
    kind = "credit_note" if invoice.is_credit_note else "invoice"
    return _customer_message(
        invoice,
        kind,
        context,
        templates=templates,
        pdf=pdf,
        sender=sender,
        recipient=recipient,
        reply_to=reply_to,
        logo=(logo, logo_type, logo_cid),
        sent_at=sent_at,
        pilot=pilot,
    )


def compose_reminder_email(
    invoice: Invoice,
    *,
    tone: str,
    as_of: date,
    due: Decimal,
    pdf: bytes,
    sender: str,
    penalties: PenaltyStatement | None = None,
    pay_url: str | None = None,
    reply_to: str | None = None,
    to: str | None = None,
    logo: bytes | None = None,
    templates: EmailTemplates | None = None,
    sent_at: datetime | None = None,
    pilot_for: str | None = None,
) -> EmailMessage:
    """A reminder of the unpaid ``invoice`` to its buyer, in the buyer's language, the PDF attached again.

    - ``tone``: one of ``TONES``. ``courtesy`` comes a few days before the due date ("your invoice
      falls due on …"); ``gentle`` (about J+7), ``firm`` (J+15: terms recalled, penalties stated) and
      ``final`` (J+30: last notice before formal notice, payment asked within ``FINAL_NOTICE_DAYS``
      days of ``as_of``) after it. The courtesy and gentle wordings follow ``as_of`` on either side
      of the due date (a policy's own days; a step moved past a weekend); firm and final need it
      passed.
    - ``as_of``: the day of the reminder; ``due``: what is still owed incl. VAT, above zero and at most
      the total (less when partly paid or credited: the email says what is left to pay).
    - ``penalties``: the late-payment penalties computed to ``as_of``
      (``invoicing.domain.penalties``), stated by the firm and final reminders (rate, days late,
      interest, the recovery fee when owed, total); ``None`` prints no figure (a private customer, a
      rate not configured, or the courtesy and gentle reminders, which do not state them).
    - the other arguments as ``compose_invoice_email``. ``reply_to`` should reach the business: the
      email invites the customer to reply.

    Raises ``ValueError`` for a credit note, a tone unknown, a firm or final reminder on or before the
    due date, a ``due`` out of range, penalties
    computed for another day, due date or amount, and as ``compose_invoice_email``.
    """
    templates = templates or default_templates()
    recipient = _recipient(invoice, to)
    pilot = _pilot(pilot_for, to)
    logo_type, logo_cid = _logo(logo, sender)
    context = reminder_context(
        invoice,
        tone=tone,
        as_of=as_of,
        due=due,
        penalties=penalties,
        pay_url=pay_url,
        logo_cid=logo_cid,
        pilot=pilot,
    )
    return _customer_message(
        invoice,
        f"reminder_{tone}",
        context,
        templates=templates,
        pdf=pdf,
        sender=sender,
        recipient=recipient,
        reply_to=reply_to,
        logo=(logo, logo_type, logo_cid),
        sent_at=sent_at,
        pilot=pilot,
    )


def compose_escalation_email(
    *,
    business_name: str,
    to: str,
    sender: str,
    items: Sequence[EscalationItem],
    notice_pdf: bytes,
    notice_filename: str,
    as_of: date,
    locale: str = "fr",
    pilot_for: str | None = None,
    templates: EmailTemplates | None = None,
) -> EmailMessage:
    """To the business owner (``to``): the reminders of ``items`` (invoices of one customer) ended
    without payment; the formal notice (``notice_pdf``, attached as ``notice_filename``) is ready to
    print, sign and send by registered post, and the email says what to do next.

    ``locale`` is the owner's language. ``pilot_for`` as ``compose_invoice_email`` (the owner's real
    address, the message going to the operator ``to``). Raises ``ValueError`` for no item, items of
    several customers, an attachment that is not a PDF, and hostile header values as elsewhere."""
    templates = templates or default_templates()
    if locale not in LOCALES:
        raise ValueError(f"locale must be one of {', '.join(LOCALES)}, not {locale!r}")
    pilot = _pilot(pilot_for, to)
    context = escalation_context(
        business_name=business_name,
        items=items,
        as_of=as_of,
        notice_filename=notice_filename,
        locale=locale,
        pilot=pilot,
    )
    _check_pdf(notice_pdf, "the formal notice")
    msg = _new_message(
        sender=sender,
        sender_name=_header_text(business_name, "business name"),
        recipient=to,
        recipient_name="",
        reply_to=None,
        subject=templates.render(f"escalation.{locale}.subject.j2", context),
        locale=locale,
        pilot=pilot,
        sent_at=None,
    )
    _set_bodies(
        msg,
        templates.render(f"escalation.{locale}.txt.j2", context),
        templates.render(f"escalation.{locale}.html.j2", context),
        locale=locale,
        pilot=pilot,
    )
    msg.add_attachment(
        bytes(notice_pdf), maintype="application", subtype="pdf", filename=context["notice_filename"]
    )
    msg["Content-Language"] = locale
    return msg


def compose_forwarded_reply(
    *,
    original: bytes,
    number: str,
    client_name: str,
    paused_until: date | None,
    to: str,
    sender: str,
    locale: str = "fr",
    pilot_for: str | None = None,
    templates: EmailTemplates | None = None,
) -> EmailMessage:
    """To the business owner (``to``): the customer answered a reminder of invoice ``number``; its
    reminders are paused until ``paused_until``, or, with ``None``, were not running (the invoice
    paid, credited, disputed, its reminders finished or excluded: the reply paused nothing, and the
    email says so, never that reminders will resume). The reply (``original``, raw MIME as SES received
    it) is attached as ``message/rfc822`` (re-encoded in 7 bits) or, when it cannot be read as a
    message, as it came: ``application/octet-stream`` named ``reply.eml``.

    Nothing of the reply reaches a header: the subject is ours (number and client name); the reply's
    subject, sender and date are quoted in the text with any control or format character made
    visible (``\\u202e``). ``pilot_for`` as ``compose_invoice_email``."""
    templates = templates or default_templates()
    if locale not in LOCALES:
        raise ValueError(f"locale must be one of {', '.join(LOCALES)}, not {locale!r}")
    if not isinstance(original, bytes | bytearray):
        raise TypeError("the original reply must be bytes (raw MIME)")
    if paused_until is not None and (
        isinstance(paused_until, datetime) or not isinstance(paused_until, date)
    ):
        raise TypeError("paused_until must be a date or None")
    pilot = _pilot(pilot_for, to)
    reply = _readable_reply(bytes(original))
    context = {
        "locale": locale,
        "pilot": pilot,
        "number": _header_text(number, "invoice number"),
        "client_name": _header_text(client_name, "client name"),
        "paused_until": None if paused_until is None else _long_day(paused_until, locale),
        "original_subject": reply.subject,
        "original_from": reply.sender,
        "original_date": reply.date,
        "original_attached": reply.message is not None,
    }
    msg = _new_message(
        sender=sender,
        sender_name="",
        recipient=to,
        recipient_name="",
        reply_to=None,
        subject=templates.render(f"reply_forward.{locale}.subject.j2", context),
        locale=locale,
        pilot=pilot,
        sent_at=None,
    )
    _set_bodies(
        msg, templates.render(f"reply_forward.{locale}.txt.j2", context), None, locale=locale, pilot=pilot
    )
    if reply.message is not None:
        msg.add_attachment(reply.message, cte="7bit", filename=RAW_REPLY_FILENAME)
    else:
        msg.add_attachment(
            bytes(original), maintype="application", subtype="octet-stream", filename=RAW_REPLY_FILENAME
        )
    msg["Content-Language"] = locale
    return msg


def _customer_message(
    invoice: Invoice,
    kind: str,
    context: Mapping[str, Any],
    *,
    templates: EmailTemplates,
    pdf: bytes,
    sender: str,
    recipient: str,
    reply_to: str | None,
    logo: tuple[bytes | None, str | None, str | None],
    sent_at: datetime | None,
    pilot: str | None,
) -> EmailMessage:
    """The email of ``kind`` about ``invoice`` to its buyer: subject, text, HTML, the PDF."""
    locale = invoice.locale
    number = _header_text(invoice.number, "invoice number")
    msg = _new_message(
        sender=sender,
        sender_name=_header_text(invoice.seller.legal_name, "seller name"),
        recipient=recipient,
        recipient_name=_header_text(invoice.buyer.name, "buyer name"),
        reply_to=reply_to,
        subject=templates.render(f"{kind}.{locale}.subject.j2", context),
        locale=locale,
        pilot=pilot,
        sent_at=sent_at,
    )
    _set_bodies(
        msg,
        templates.render(f"{kind}.{locale}.txt.j2", context),
        templates.render(f"{kind}.{locale}.html.j2", context),
        locale=locale,
        pilot=pilot,
        logo=logo,
    )
    _check_pdf(pdf, invoice.number)
    # A number may hold "/" (FA/2026/0001); mail clients would keep only what follows the last one.
    filename = number.replace("/", "-") + ".pdf"
    msg.add_attachment(bytes(pdf), maintype="application", subtype="pdf", filename=filename)
    # Last: setting and wrapping the content moves or clears the Content-* headers already there.
    msg["Content-Language"] = locale
    return msg


def _new_message(
    *,
    sender: str,
    sender_name: str,
    recipient: str,
    recipient_name: str,
    reply_to: str | None,
    subject: str,
    locale: str,
    pilot: str | None,
    sent_at: datetime | None,
) -> EmailMessage:
    """A message with its headers: From, To, Reply-To, Subject (prefixed in pilot mode), the pilot
    header, Date."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = _address(sender, "sender", sender_name)
    msg["To"] = _address(recipient, "recipient", recipient_name)
    if reply_to:
        msg["Reply-To"] = _address(reply_to, "reply-to")
    subject = _header_text(subject, "subject")
    if pilot:
        subject = _PILOT_PREFIX[locale].format(address=pilot) + subject
    if subject.isascii():
        msg["Subject"] = subject
    else:
        # The email package folds a long non-ASCII subject with a space doubled before an encoded word
        # ("FA2026-00012  — Horizon", CPython 3.11 to 3.13): the subject is encoded here instead, whole,
        # in encoded words whose folding whitespace decoders drop.
        msg.set_raw("Subject", Header(subject, _HEADER_CHARSET, header_name="Subject").encode(linesep="\r\n"))
    if pilot:
        msg[_PILOT_HEADER] = pilot
    if sent_at is not None:
        msg["Date"] = format_datetime(sent_at)
    return msg


def _set_bodies(
    msg: EmailMessage,
    text: str,
    html: str | None,
    *,
    locale: str,
    pilot: str | None,
    logo: tuple[bytes | None, str | None, str | None] = (None, None, None),
) -> None:
    """The text part, the HTML alternative (with the inline logo) when there is one; in pilot mode,
    the banner heads both (the layout shows it; an override that does not gets it after ``<body>``)."""
    if pilot:
        banner = PILOT_BANNER[locale].format(address=pilot)
        text = f"{banner}\n\n{text}"
        if html is not None:
            html = _with_banner(html, banner)
    msg.set_content(text, cte="quoted-printable")
    if html is None:
        return
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    image, image_type, cid = logo
    if image is not None and image_type is not None and cid is not None:
        html_part = msg.get_payload()[1]
        html_part.add_related(
            image, maintype="image", subtype=image_type, cid=cid, filename=f"logo.{image_type}"
        )


def _with_banner(html: str, banner: str) -> str:
    shown = str(escape(banner))
    if shown in html:
        return html
    block = (
        '<div style="margin:0;padding:10px 16px;background-color:#fff3cd;border-bottom:2px solid #e0b000;'
        "font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:20px;font-weight:bold;"
        f'color:#5c4400;">{shown}</div>'
    )
    body = re.search(r"<body\b[^>]*>", html, re.IGNORECASE)
    return html[: body.end()] + block + html[body.end() :] if body else block + html


def _recipient(invoice: Invoice, to: str | None) -> str:
    recipient = to if to is not None else invoice.buyer.email
    if not recipient:
        raise NoRecipient(f"{invoice.number}: the buyer {invoice.buyer.ref} has no email address")
    return recipient


def _pilot(pilot_for: str | None, to: str | None) -> str | None:
    """The real recipient's address in pilot mode (checked), else None."""
    if pilot_for is None:
        return None
    if not to:
        raise ValueError("pilot mode: the operator's address must be given as `to` (the message goes there)")
    return _address(pilot_for, "pilot: the real recipient's address").addr_spec


def _logo(logo: bytes | None, sender: str) -> tuple[str | None, str | None]:
    """(image subtype, Content-ID) of the inline logo, or (None, None)."""
    if logo is None:
        return None, None
    return _logo_type(logo), make_msgid("logo", domain=_domain(sender))


def _check_pdf(pdf: bytes, what: str) -> None:
    if not isinstance(pdf, bytes | bytearray) or not bytes(pdf[:5]) == b"%PDF-":
        raise ValueError(f"{what}: the attachment is not a PDF")


class _Reply(NamedTuple):
    """A customer's reply as it is forwarded: the message to attach (None when it is not one) and
    its subject, sender and date quoted for the text."""

    message: EmailMessage | None
    subject: str | None
    sender: str | None
    date: str | None


def _readable_reply(raw: bytes) -> _Reply:
    """``raw`` read as a message and written again in 7 bits, or ``_Reply(None, …)`` when it has no
    header, cannot be written (the email package refuses some hostile headers) or would not read the
    same once written."""
    try:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        if not parsed.keys():
            raise ValueError("no header")
        _declare_charsets(parsed)
        flat = parsed.as_bytes(policy=_SEVEN_BIT)
        if not flat.isascii():
            raise ValueError("8-bit data left")
        message = email.message_from_bytes(flat, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if _headers(message) != _headers(parsed):
            # Written again, a header came out otherwise: an encoded line break in a long header
            # becomes a header of its own (CPython before 3.13; 3.13 refuses to write it). Attach the
            # bytes as they came rather than a message that says something else.
            raise ValueError("headers changed")
    except Exception:
        return _Reply(None, None, None, None)
    return _Reply(
        message,
        _quoted_header(message, "Subject"),
        _quoted_header(message, "From"),
        _quoted_header(message, "Date"),
    )


def _headers(message: EmailMessage) -> list[tuple[str, str]]:
    """The top-level headers, names and decoded values, white space collapsed (refolding may move it);
    not the transfer encoding, which writing in 7 bits changes on purpose."""
    return [
        (name.lower(), " ".join(str(value).split()))
        for name, value in message.items()
        if name.lower() != "content-transfer-encoding"
    ]


def _declare_charsets(message: EmailMessage) -> None:
    """Name the charset of the 8-bit text parts that do not (UTF-8 when their bytes are, else
    Windows-1252), so that they can be written again in 7 bits (quoted-printable or base64)."""
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text" or part.get_param("charset"):
            continue
        if str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower() not in (
            "7bit",
            "8bit",
            "binary",
        ):
            continue
        raw = part.get_payload(decode=True)
        if not isinstance(raw, bytes) or raw.isascii():
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            part.set_param("charset", "windows-1252")
        else:
            part.set_param("charset", "utf-8")


def _quoted_header(message: EmailMessage, name: str) -> str | None:
    """A header of someone else's message as it may be shown: one line, invisible characters made
    visible, at most 200 characters."""
    try:
        value = message.get(name)
        text = None if value is None else _LINE_BREAKS.sub(" ", str(value)).strip(" ")
    except Exception:
        return None
    return quoted(text, 200) if text else None


# --- what the templates are given ------------------------------------------------------------------


def email_context(
    invoice: Invoice,
    *,
    due: Decimal | None = None,
    pay_url: str | None = None,
    logo_cid: str | None = None,
    pilot: str | None = None,
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
    paid = invoice.settled if not credit_note else None

    address = seller.address
    return {
        "locale": locale,
        "document": "credit_note" if credit_note else "invoice",
        "number": invoice.number,
        "client_name": invoice.buyer.name,
        "issue_date": fmt.day(invoice.issue_date, locale),
        "due_date": _long_day(invoice.due_date, locale),
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
        "settled": (
            {"date": _long_day(paid.on, locale), "method": paid_by(paid.method, locale), "text": settlement}
            if paid is not None
            else None
        ),
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
        "pilot": pilot,
    }


def reminder_context(
    invoice: Invoice,
    *,
    tone: str,
    as_of: date,
    due: Decimal,
    penalties: PenaltyStatement | None = None,
    pay_url: str | None = None,
    logo_cid: str | None = None,
    pilot: str | None = None,
) -> dict[str, Any]:
    """What a reminder's templates are given: ``email_context`` and ``REMINDER_VARIABLES``."""
    if tone not in TONES:
        raise ValueError(f"tone must be one of {', '.join(TONES)}, not {tone!r}")
    if isinstance(as_of, datetime) or not isinstance(as_of, date):
        raise TypeError(f"as_of must be a date, not {type(as_of).__name__}")
    if invoice.is_credit_note:
        raise ValueError(f"{invoice.number} is a credit note: there is nothing to remind")
    if not isinstance(due, Decimal) or not due.is_finite() or due <= 0:
        raise ValueError(f"{invoice.number}: a reminder needs an amount due above zero, not {due!r}")
    late = (as_of - invoice.due_date).days
    # A courtesy or gentle reminder may fall on either side of the due date (a policy's own days, a
    # weekend moving a step): their wording follows. The firm and final ones speak of days late.
    if tone in ("firm", "final") and late <= 0:
        raise ValueError(
            f"{invoice.number}: a {tone} reminder comes after the due date ({invoice.due_date}), "
            f"not on {as_of}"
        )
    if penalties is not None:
        if penalties.as_of != as_of or penalties.due_date != invoice.due_date:
            raise ValueError(
                f"{invoice.number}: the penalties are computed to {penalties.as_of} for a due date of "
                f"{penalties.due_date}, the reminder is of {as_of} for {invoice.due_date}"
            )
        if penalties.still_due != due:
            raise ValueError(
                f"{invoice.number}: the penalties are computed on {penalties.still_due} still due, "
                f"the reminder asks {due}"
            )
    locale = invoice.locale
    context = email_context(invoice, due=due, pay_url=pay_url, logo_cid=logo_cid, pilot=pilot)
    context.update(
        tone=tone,
        as_of=_long_day(as_of, locale),
        days_late=max(late, 0),
        days_to_due=max(-late, 0),
        deadline=(_long_day(as_of + timedelta(days=FINAL_NOTICE_DAYS), locale) if tone == "final" else None),
        penalties=_penalties_context(penalties, locale),
    )
    return context


def _penalties_context(statement: PenaltyStatement | None, locale: str) -> dict[str, Any] | None:
    if statement is None or not statement.periods:
        return None
    rates: list[str] = []
    if statement.penalty.kind != "fixed":  # a fixed rate is in its description already
        for period in statement.periods:
            rate = fmt.percent(period.yearly_rate, locale)
            if rate not in rates:
                rates.append(rate)
    return {
        "rate": statement.penalty.describe(locale),
        "yearly_rates": rates,
        "days_late": statement.days_late,
        "interest": fmt.money(statement.interest, locale),
        "recovery_fee": fmt.money(statement.recovery_fee, locale) if statement.recovery_fee > 0 else None,
        "total": fmt.money(statement.total, locale),
    }


def escalation_context(
    *,
    business_name: str,
    items: Sequence[EscalationItem],
    as_of: date,
    notice_filename: str,
    locale: str = "fr",
    pilot: str | None = None,
) -> dict[str, Any]:
    """What the escalation templates are given (``ESCALATION_VARIABLES``), in the owner's ``locale``."""
    items = tuple(items)
    if not items:
        raise ValueError("an escalation names at least one invoice")
    if not all(isinstance(item, EscalationItem) for item in items):
        raise TypeError("escalation items must be EscalationItem")
    refs = sorted({item.client_ref for item in items})
    if len(refs) > 1:
        raise ValueError(f"an escalation is about one customer, not {', '.join(refs)}")
    penalties = [item.penalties_total for item in items]
    return {
        "locale": locale,
        "pilot": pilot,
        "business_name": business_name,
        "client_name": items[0].client_name,
        "client_ref": items[0].client_ref,
        "as_of": _long_day(as_of, locale),
        "items": [
            {
                "number": item.number,
                "issue_date": fmt.day(item.issue_date, locale),
                "due_date": fmt.day(item.due_date, locale),
                "total": fmt.money(item.total, locale),
                "due": fmt.money(item.due, locale),
                "partly_settled": item.due != item.total,
                "days_late": item.days_late,
                "reminders_sent": [fmt.day(day, locale) for day in item.reminders_sent],
                "penalties_total": (
                    None if item.penalties_total is None else fmt.money(item.penalties_total, locale)
                ),
            }
            for item in items
        ],
        "total_due": fmt.money(sum((item.due for item in items), ZERO), locale),
        # The sum only when every invoice's penalties are known: a partial sum would understate them.
        "penalties_total": (
            fmt.money(sum(penalties, ZERO), locale)  # type: ignore[arg-type]
            if all(p is not None for p in penalties)
            else None
        ),
        "notice_filename": _filename(notice_filename, "notice filename"),
    }


def _long_day(value: date, locale: str) -> str:
    """``23 décembre 2026``, ``1er février 2027`` (French writes the first of the month as an ordinal),
    ``1 February 2027``."""
    text = fmt.long_day(value, locale)
    return f"1er{text[1:]}" if locale == "fr" and value.day == 1 else text


def _filename(name: str, what: str) -> str:
    """An attachment's name: one line, no path separator, ending in ``.pdf``."""
    name = _header_text(name, what).replace("/", "-").replace("\\", "-")
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


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
    ``template_variables(name)`` (each unknown one named with its line), and it is rendered for
    sample contexts in the template's language (with and without payment link, bank details and logo;
    a partly paid invoice; a reminder with and without penalties, with no recovery fee; pilot mode;
    an escalation of one or two invoices; a forwarded reply that could or could not be read, with
    the reminders paused or not running; for the
    layout, every HTML part that extends it), with ``others`` (the business's other overrides) in
    force, so an error on any path it takes is reported. Each render has a budget: an override
    that writes more than ``MAX_RENDER_CHARS`` characters, takes more than ``MAX_RENDER_SECONDS``
    (``MAX_CHECK_SECONDS`` for all its samples; timed in the main thread only, see ``_alarm``) or
    computes a huge number or text is refused, and the check stops there. Problems are in English,
    for the upload report.
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
    unknown = meta.find_undeclared_variables(tree) - template_variables(name) - set(env.globals)
    for variable in sorted(unknown):
        line = min((n.lineno for n in tree.find_all(nodes.Name) if n.name == variable), default=None)
        where = f", line {line}" if line else ""
        problems.append(f"{name}{where}: unknown variable '{variable}'")
    if problems:
        return problems

    seen: set[str] = set()
    started = time.monotonic()
    for template, context in _samples(name):
        left = MAX_CHECK_SECONDS - (time.monotonic() - started)
        seconds = max(min(MAX_RENDER_SECONDS, left), 0.01)
        try:
            output = _render(env.get_template(template), context, seconds=seconds)
        except RenderBudgetExceeded as exc:
            reason = exc.reason
            if seconds < MAX_RENDER_SECONDS and reason.startswith("takes more than"):
                reason = f"takes more than {MAX_CHECK_SECONDS:g} s to render its sample emails"
            rendering = f" (rendering {template})" if template != name else ""
            # Stop there: the other samples would cost as much.
            return [*problems, f"{name}{_error_line(exc, name)}: {reason}{rendering}"]
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
    if name == LAYOUT:
        names = [f"{kind}.{locale}.html.j2" for kind in CUSTOMER_KINDS for locale in LOCALES]
    else:
        names = [name]
    for template in names:
        kind, locale = template.split(".")[:2]
        for context in _sample_contexts(kind, locale):
            yield template, context


def _sample_contexts(kind: str, locale: str) -> Iterator[dict[str, Any]]:
    logo_cid = "<logo@sample.example>"
    if kind == "credit_note":
        note = sample_invoice(locale, credit_note=True)
        yield email_context(note)
        yield email_context(note, logo_cid=logo_cid, pilot=SAMPLE_PILOT_FOR)
    elif kind == "invoice":
        invoice = sample_invoice(locale)
        half = (invoice.totals.grand_total / 2).quantize(Decimal("0.01"))
        yield email_context(invoice, pay_url=SAMPLE_PAY_URL, logo_cid=logo_cid)
        yield email_context(invoice, due=half)
        yield email_context(_without_bank(invoice), pilot=SAMPLE_PILOT_FOR)
        yield email_context(invoice, due=ZERO)
        yield email_context(sample_invoice(locale, settled=True), due=ZERO, logo_cid=logo_cid)
    elif kind in REMINDER_KINDS:
        tone = kind.removeprefix("reminder_")
        full = sample_reminder(locale, tone)
        part = sample_reminder(locale, tone, partly_paid=True)
        private = sample_reminder(locale, tone, business_debtor=False)
        common = {"tone": tone, "as_of": full.as_of}
        yield reminder_context(
            full.invoice,
            **common,
            due=full.due,
            penalties=full.penalties,
            pay_url=SAMPLE_PAY_URL,
            logo_cid=logo_cid,
        )
        yield reminder_context(full.invoice, **common, due=full.due)
        yield reminder_context(part.invoice, **common, due=part.due, penalties=part.penalties)
        yield reminder_context(private.invoice, **common, due=private.due, penalties=private.penalties)
        yield reminder_context(_without_bank(full.invoice), **common, due=full.due, pilot=SAMPLE_PILOT_FOR)
    elif kind == "escalation":
        items, as_of = sample_escalation(locale)
        notice = "mise-en-demeure-C001.pdf"
        yield escalation_context(
            business_name=_SAMPLE_SELLER.legal_name,
            items=items,
            as_of=as_of,
            notice_filename=notice,
            locale=locale,
        )
        one = (replace(items[0], penalties_total=None),)
        yield escalation_context(
            business_name=_SAMPLE_SELLER.legal_name,
            items=one,
            as_of=as_of,
            notice_filename=notice,
            locale=locale,
            pilot=SAMPLE_PILOT_FOR,
        )
    elif kind == "reply_forward":
        invoice = sample_invoice(locale)
        common = {
            "locale": locale,
            "number": invoice.number,
            "client_name": invoice.buyer.name,
            "paused_until": _long_day(invoice.due_date + timedelta(days=30), locale),
        }
        yield {
            **common,
            "pilot": None,
            "original_subject": f"RE: {invoice.number}",
            "original_from": f"Service comptable <{invoice.buyer.email}>",
            "original_date": "Tue, 12 Jan 2027 10:14:03 +0100",
            "original_attached": True,
        }
        yield {
            **common,
            "pilot": SAMPLE_PILOT_FOR,
            "original_subject": None,
            "original_from": None,
            "original_date": None,
            "original_attached": False,
        }
        # A reply about an invoice whose reminders were not running (paid, credited, disputed).
        yield {
            **common,
            "pilot": None,
            "paused_until": None,
            "original_subject": f"RE: {invoice.number}",
            "original_from": f"Service comptable <{invoice.buyer.email}>",
            "original_date": "Tue, 12 Jan 2027 10:14:03 +0100",
            "original_attached": True,
        }


def _without_bank(invoice: Invoice) -> Invoice:
    return replace(invoice, seller=replace(invoice.seller, iban=None, bic=None, phone=None, email=None))


# --- the sample documents (previews, override checks, bench) --------------------------------------

SAMPLE_PAY_URL = "https://pay.example/pay/" + "a" * 56
#: The real recipient in the pilot-mode samples.
SAMPLE_PILOT_FOR = "comptabilite@client.example"
#: Days from the due date to each sample reminder (the default dunning sequence).
SAMPLE_REMINDER_DAYS = {"courtesy": -3, "gentle": 7, "firm": 15, "final": 30}
#: Days from the due date to the sample escalation (the final reminder's deadline passed).
SAMPLE_ESCALATION_DAYS = 40
#: Legal interest rates (creditors other than private persons) of the samples: fictional figures.
_SAMPLE_LEGAL_RATES = {(2026, 2): Decimal("2.76"), (2027, 1): Decimal("2.62")}


class SampleReminder(NamedTuple):
    invoice: Invoice
    as_of: date
    due: Decimal
    penalties: PenaltyStatement | None


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
def sample_invoice(locale: str = "fr", *, credit_note: bool = False, settled: bool = False) -> Invoice:
    """A fictional issued invoice (or a credit note correcting it, or the invoice issued paid by
    card, as an online sale is) to a business client writing in ``locale``: what previews and
    override checks render."""
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
    if settled:
        paid = Settlement(date(2026, 11, 23), "card", "stripe:pi_sample")
        return replace(issued, draft=replace(draft, settled=paid))
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


@cache
def sample_reminder(
    locale: str = "fr", tone: str = "firm", *, partly_paid: bool = False, business_debtor: bool = True
) -> SampleReminder:
    """The sample invoice reminded in ``tone`` on its day of the default sequence, its penalties
    computed at the samples' (fictional) legal interest rates; ``partly_paid``: 60 % paid before the
    due date; ``business_debtor=False``: penalties without the recovery fee."""
    from invoicing.domain.penalties import ReferenceRates, late_penalties

    invoice = sample_invoice(locale)
    as_of = invoice.due_date + timedelta(days=SAMPLE_REMINDER_DAYS[tone])
    total = invoice.totals.grand_total
    schedule = [(invoice.issue_date, total)]
    due = total
    if partly_paid:
        due = (total * Decimal("0.4")).quantize(Decimal("0.01"))
        schedule.append((invoice.issue_date + timedelta(days=10), due))
    penalties = late_penalties(
        schedule,
        invoice.due_date,
        as_of,
        invoice.seller.late_penalty,
        ReferenceRates(legal_interest=_SAMPLE_LEGAL_RATES),
        business_debtor=business_debtor,
    )
    return SampleReminder(invoice, as_of, due, penalties)


@cache
def sample_escalation(locale: str = "fr") -> tuple[tuple[EscalationItem, ...], date]:
    """Two unpaid invoices of the sample client whose reminders ended (the second partly paid), and
    the day of the escalation."""
    from invoicing.domain.penalties import ReferenceRates, late_penalties

    invoice = sample_invoice(locale)
    as_of = invoice.due_date + timedelta(days=SAMPLE_ESCALATION_DAYS)
    rates = ReferenceRates(legal_interest=_SAMPLE_LEGAL_RATES)
    second_issue = date(2026, 12, 1)
    invoices = [
        (invoice.number, invoice.issue_date, invoice.due_date, invoice.totals.grand_total, ()),
        # The second: 1,250.40 incl. VAT, 600.00 of it paid on 20 December.
        (
            "FA2026-00019",
            second_issue,
            second_issue + timedelta(days=30),
            Decimal("1250.40"),
            ((date(2026, 12, 20), Decimal("650.40")),),
        ),
    ]
    items = []
    for number, issued, due_date, total, payments in invoices:
        schedule = [(issued, total), *payments]
        due = schedule[-1][1]
        penalties = late_penalties(
            schedule, due_date, as_of, invoice.seller.late_penalty, rates, business_debtor=True
        )
        sent = tuple(
            due_date + timedelta(days=days)
            for days in SAMPLE_REMINDER_DAYS.values()
            if due_date + timedelta(days=days) < as_of
        )
        items.append(
            EscalationItem(
                number=number,
                client_name=invoice.buyer.name,
                client_ref=invoice.buyer.ref,
                issue_date=issued,
                due_date=due_date,
                total=total,
                due=due,
                days_late=(as_of - due_date).days,
                reminders_sent=sent,
                penalties_total=penalties.total,
            )
        )
    return tuple(items), as_of
