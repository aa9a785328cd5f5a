"""The reminders, the owner's escalation and a forwarded reply, and pilot mode on every email: composed,
then parsed back as a mail client would, headers, parts and wording."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
import signal
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage

import pytest
from documents_helpers import COMPANY, ENGLISH, PERSON, line, make_invoice
from fpdf import FPDF

from invoicing.documents import emails
from invoicing.documents import format as fmt
from invoicing.documents.emails import (
    CONTEXT_VARIABLES,
    ESCALATION_VARIABLES,
    FINAL_NOTICE_DAYS,
    MAX_RENDER_CHARS,
    PILOT_BANNER,
    REMINDER_VARIABLES,
    REPLY_FORWARD_VARIABLES,
    TEMPLATE_DIR,
    TEMPLATE_NAMES,
    TONES,
    EmailTemplates,
    EscalationItem,
    RenderBudgetExceeded,
    check_override,
    compose_escalation_email,
    compose_forwarded_reply,
    compose_invoice_email,
    compose_reminder_email,
    escalation_context,
    reminder_context,
    sample_escalation,
    sample_reminder,
)
from invoicing.domain.invoice import DocumentType, Invoice, InvoiceReference
from invoicing.domain.penalties import PenaltyStatement, ReferenceRates, late_penalties
from invoicing.domain.terms import LatePenalty
from invoicing_tools.cli import main

SENDER = "facturation@horizon-conseil.fr"
REPLY_TO = "contact@horizon-conseil.fr"
OPERATOR = "pilote@agence.example"
OWNER = "gerant@horizon-conseil.fr"
PAY_URL = "https://pay.example/pay/" + "c" * 56
HOSTILE = '<script>alert(1)</script> & "Co"'
#: Days from the due date to each reminder (the default dunning sequence).
DAYS = {"courtesy": -3, "gentle": 7, "firm": 15, "final": 30}
RATES = ReferenceRates(
    ecb_refinancing={(2026, 2): Decimal("2.15"), (2027, 1): Decimal("2.15")},
    legal_interest={(2026, 2): Decimal("2.76"), (2027, 1): Decimal("2.62")},
)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    """A small valid PDF (any will do: the emails check the signature, not the content)."""
    document = FPDF()
    document.add_page()
    return bytes(document.output())


def parse(msg: EmailMessage) -> EmailMessage:
    raw = msg.as_bytes()
    assert raw.isascii(), "7-bit on the wire: RFC 2047 words, quoted-printable, base64"
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def bodies(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def unescaped(html: str) -> str:
    return html.replace("&#39;", "'").replace("&amp;", "&")


def invoice_for(client=COMPANY, **kwargs) -> Invoice:
    # 2 x 855.25 = 1 710.50 HT, 2 052.60 TTC; a business buyer; the seller states a fixed 12.5 % rate.
    return make_invoice(
        dataclasses.replace(client, email=kwargs.pop("email", "compta@dauphinoise.example")),
        (line("Audit organisationnel", "2", "855.25"),),
        **kwargs,
    )


@pytest.fixture(scope="module")
def french() -> Invoice:
    return invoice_for()


@pytest.fixture(scope="module")
def english() -> Invoice:
    return invoice_for(ENGLISH, email="accounts@ourthe.example", number="FA2026-00044")


def penalties(
    invoice: Invoice,
    as_of: date,
    *,
    paid: Decimal | None = None,
    business: bool = True,
    penalty: LatePenalty | None = None,
) -> PenaltyStatement:
    total = invoice.totals.grand_total
    schedule = [(invoice.issue_date, total)]
    if paid is not None:
        schedule.append((invoice.issue_date + timedelta(days=5), total - paid))
    return late_penalties(
        schedule,
        invoice.due_date,
        as_of,
        penalty or invoice.seller.late_penalty,
        RATES,
        business_debtor=business,
    )


def remind(invoice: Invoice, tone: str, pdf: bytes, *, with_penalties: bool = True, **kwargs) -> EmailMessage:
    as_of = kwargs.pop("as_of", invoice.due_date + timedelta(days=DAYS[tone]))
    due = kwargs.pop("due", invoice.totals.grand_total)
    statement = kwargs.pop("penalties", None)
    if statement is None and with_penalties:
        paid = invoice.totals.grand_total - due if due != invoice.totals.grand_total else None
        statement = penalties(invoice, as_of, paid=paid)
    kwargs.setdefault("sender", SENDER)
    kwargs.setdefault("reply_to", REPLY_TO)
    return parse(
        compose_reminder_email(
            invoice, tone=tone, as_of=as_of, due=due, pdf=pdf, penalties=statement, **kwargs
        )
    )


# --- every tone, both languages ------------------------------------------------------------------------

WORDING = {
    ("fr", "courtesy"): ("arrive à échéance le", "Facture FA2026-00042 : échéance le"),
    ("fr", "gentle"): (
        "S'agit-il d'un simple oubli ?",
        "Rappel : facture FA2026-00042 en attente de règlement",
    ),
    ("fr", "firm"): (
        "conditions de paiement figurant sur la facture (30 jours)",
        "Relance : facture FA2026-00042",
    ),
    ("fr", "final"): (
        "mise en demeure de payer",
        "Dernier rappel avant mise en demeure : facture FA2026-00042",
    ),
    ("en", "courtesy"): ("falls due on", "Invoice FA2026-00044: due on"),
    ("en", "gentle"): (
        "Could it simply have been overlooked?",
        "Reminder: invoice FA2026-00044 awaiting payment",
    ),
    ("en", "firm"): (
        "payment terms stated on the invoice (45 days end of month)",
        "Overdue: invoice FA2026-00044",
    ),
    ("en", "final"): ("formal notice to pay", "Final reminder before formal notice: invoice FA2026-00044"),
}


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_tone_in_both_languages(
    locale: str, tone: str, french: Invoice, english: Invoice, pdf: bytes
) -> None:
    invoice = french if locale == "fr" else english
    msg = remind(invoice, tone, pdf, pay_url=PAY_URL)
    phrase, subject = WORDING[(locale, tone)]
    assert msg["Subject"].startswith(subject)
    assert msg["Subject"].endswith("— Horizon Conseil & Formation")
    assert msg["Content-Language"] == locale
    assert msg["Reply-To"].addresses[0].addr_spec == REPLY_TO
    assert msg["To"].addresses[0].addr_spec == invoice.buyer.email
    assert msg["X-Invoicing-Pilot-Original-To"] is None
    text, html = bodies(msg)
    days_late = DAYS[tone]
    for body in (text, unescaped(html)):
        assert phrase in body
        assert invoice.buyer.name in body
        assert invoice.number in body
        assert fmt.day(invoice.issue_date, locale) in body
        assert fmt.money(invoice.totals.grand_total, locale) in body
        assert fmt.long_day(invoice.due_date, locale) in body
        assert PAY_URL in body
        assert "FR76 3000 6000 0112 3456 7890 189" in body
        assert "AGRIFRPP" in body
        assert ("Référence à rappeler" if locale == "fr" else "Payment reference") in body
        assert ("répondre à cet e-mail" if locale == "fr" else "reply to this email") in body
        if tone == "courtesy":
            assert not re.search(r"Retard|[Oo]verdue", body)
        if locale == "en":
            assert "Facture" not in body
    if tone != "courtesy":
        label, late = (
            ("Retard", f"{days_late} jours") if locale == "fr" else ("Overdue by", f"{days_late} days")
        )
        assert f"{label} : {late}" in text if locale == "fr" else f"{label}: {late}" in text
        assert re.search(f">{label}</td><td[^>]*>{late}</td>", html)
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    assert attachment.get_content() == pdf


def test_final_gives_a_deadline_eight_days_later(french: Invoice, english: Invoice, pdf: bytes) -> None:
    for invoice, locale in ((french, "fr"), (english, "en")):
        as_of = invoice.due_date + timedelta(days=30)
        deadline = fmt.long_day(as_of + timedelta(days=FINAL_NOTICE_DAYS), locale)
        text, html = bodies(remind(invoice, "final", pdf))
        for body in (text, html):
            assert deadline in body
            assert ("mise en demeure" if locale == "fr" else "formal notice") in body
            assert ("recommandée avec accusé de réception" if locale == "fr" else "registered letter") in body


def test_courtesy_on_the_due_date_says_today(french: Invoice, pdf: bytes) -> None:
    text, _ = bodies(remind(french, "courtesy", pdf, as_of=french.due_date))
    assert f"arrive à échéance aujourd'hui, {fmt.long_day(french.due_date, 'fr')}." in text


@pytest.mark.parametrize(
    ("tone", "day", "fr", "en"),
    [
        ("courtesy", 2, "est arrivée à échéance le", "fell due on"),
        ("gentle", 0, "; elle arrive à échéance aujourd'hui.", "; it falls due today."),
        ("gentle", -2, "; elle arrive à échéance le", "; it falls due on"),
    ],
)
def test_courtesy_and_gentle_follow_the_day_on_either_side_of_the_due_date(
    tone: str, day: int, fr: str, en: str, french: Invoice, english: Invoice, pdf: bytes
) -> None:
    """A policy may place them anywhere, and a weekend may move a step past the due date."""
    for invoice, phrase, late, oversight in (
        (french, fr, "Retard :", "oubli"),
        (english, en, "Overdue by:", "overlooked"),
    ):
        as_of = invoice.due_date + timedelta(days=day)
        text, html = bodies(remind(invoice, tone, pdf, as_of=as_of, with_penalties=False))
        assert phrase in text
        assert phrase in unescaped(html)
        assert (late in text) == (day > 0)
        assert (oversight in text) == (tone == "gentle" and day > 0)


def test_the_first_of_the_month_is_written_1er_in_french(french: Invoice, pdf: bytes) -> None:
    as_of = date(2027, 1, 24)  # the deadline is 1 February
    text, _ = bodies(remind(french, "final", pdf, as_of=as_of))
    assert "au plus tard le 1er février 2027." in text


# --- penalties ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("tone", ["firm", "final"])
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_penalty_figures_are_stated_when_given(
    locale: str, tone: str, french: Invoice, english: Invoice, pdf: bytes
) -> None:
    invoice = french if locale == "fr" else english
    as_of = invoice.due_date + timedelta(days=DAYS[tone])
    statement = penalties(invoice, as_of)
    assert statement.interest > 0
    assert statement.recovery_fee == Decimal("40.00")
    text, html = bodies(remind(invoice, tone, pdf, penalties=statement))
    for body in (text, unescaped(html)):
        assert fmt.money(statement.interest, locale) in body
        assert fmt.money(statement.recovery_fee, locale) in body
        assert fmt.money(statement.total, locale) in body
        assert statement.penalty.describe(locale) in body
        assert "L441-10" in body
        assert ("Au " if locale == "fr" else "As at ") + fmt.long_day(as_of, locale) in body
        if locale == "fr":
            assert f"Pénalités de retard ({statement.days_late} jours)" in body
            assert "Indemnité forfaitaire pour frais de recouvrement" in body
            assert "en plus du montant de la facture, qui reste inchangée" in body
        else:
            assert f"Late-payment interest ({statement.days_late} days)" in body
            assert "in addition to the invoice, which itself remains unchanged" in body


@pytest.mark.parametrize("tone", TONES)
def test_no_penalty_figure_without_a_statement(tone: str, french: Invoice, pdf: bytes) -> None:
    as_of = french.due_date + timedelta(days=DAYS[tone])
    computed = penalties(french, max(as_of, french.due_date + timedelta(days=1)))
    text, html = bodies(remind(french, tone, pdf, with_penalties=False))
    for body in (text, html):
        assert "s'élèvent" not in body
        assert "Pénalités de retard (" not in body
        assert fmt.money(computed.interest, "fr") not in body
        assert fmt.money(Decimal(40), "fr") not in body  # the footer's mention writes "40 €", not "40,00 €"


@pytest.mark.parametrize("tone", ["courtesy", "gentle"])
def test_the_friendly_reminders_never_state_penalties(tone: str, french: Invoice, pdf: bytes) -> None:
    as_of = french.due_date + timedelta(days=DAYS[tone])
    statement = penalties(french, as_of)
    text, html = bodies(remind(french, tone, pdf, penalties=statement))
    assert "s'élèvent" not in text + html
    if statement.interest:
        assert fmt.money(statement.interest, "fr") not in text + html


def test_no_recovery_fee_line_for_a_private_debtor(pdf: bytes) -> None:
    consumer = invoice_for(PERSON, email="helene.garnier@example.fr")
    as_of = consumer.due_date + timedelta(days=15)
    statement = penalties(consumer, as_of, business=False)
    assert statement.recovery_fee == 0
    assert statement.interest > 0
    text, html = bodies(remind(consumer, "firm", pdf, penalties=statement))
    for body in (text, unescaped(html)):
        assert fmt.money(statement.interest, "fr") in body
        assert "Indemnité forfaitaire" not in body
        assert "40,00" not in body
        assert "conditions figurant sur la facture" in body
        assert "L441-10" not in body  # a private person: neither the mention nor the article


def test_yearly_rates_of_a_reference_rate_are_printed(pdf: bytes) -> None:
    sample = sample_reminder("fr", "final")
    assert sample.penalties is not None
    text, _ = bodies(
        parse(
            compose_reminder_email(
                sample.invoice,
                tone="final",
                as_of=sample.as_of,
                due=sample.due,
                pdf=pdf,
                sender=SENDER,
                penalties=sample.penalties,
            )
        )
    )
    assert (
        "au taux égal à trois fois le taux d'intérêt légal (soit 8,28\u202f% puis 7,86\u202f% l'an)" in text
    )
    english = sample_reminder("en", "final")
    context = reminder_context(
        english.invoice, tone="final", as_of=english.as_of, due=english.due, penalties=english.penalties
    )
    assert context["penalties"]["yearly_rates"] == ["8.28%", "7.86%"]


def test_penalties_computed_for_another_day_or_amount_are_refused(french: Invoice, pdf: bytes) -> None:
    as_of = french.due_date + timedelta(days=15)
    other_day = penalties(french, as_of - timedelta(days=1))
    with pytest.raises(ValueError, match="computed to"):
        remind(french, "firm", pdf, as_of=as_of, penalties=other_day)
    partly = penalties(french, as_of, paid=Decimal(1000))
    with pytest.raises(ValueError, match="still due"):
        remind(french, "firm", pdf, as_of=as_of, penalties=partly)


# --- partly paid -------------------------------------------------------------------------------------


@pytest.mark.parametrize("tone", TONES)
def test_partly_paid_says_what_is_left_to_pay(
    tone: str, french: Invoice, english: Invoice, pdf: bytes
) -> None:
    due = Decimal("852.60")
    text, html = bodies(remind(french, tone, pdf, due=due, pay_url=PAY_URL))
    for body in (text, html):
        assert "Reste à régler" in body
        assert fmt.money(due, "fr") in body
        assert fmt.money(french.totals.grand_total, "fr") in body
    assert (
        f"Reste à régler : {fmt.money(due, 'fr')} (compte tenu des règlements et avoirs déjà enregistrés)"
        in text
    )
    assert f"Payer {fmt.money(due, 'fr')} en ligne" in html
    text, _ = bodies(remind(english, tone, pdf, due=due))
    assert f"Balance due: {fmt.money(due, 'en')}" in text


def test_partly_paid_final_asks_the_balance(french: Invoice, pdf: bytes) -> None:
    due = Decimal("852.60")
    text, _ = bodies(remind(french, "final", pdf, due=due))
    assert "n'est toujours que partiellement réglée" in text
    assert f"régler la somme de {fmt.money(due, 'fr')} au plus tard le" in text


# --- what a reminder refuses -------------------------------------------------------------------------


def test_reminders_that_make_no_sense_are_refused(french: Invoice, pdf: bytes) -> None:
    due = french.totals.grand_total
    with pytest.raises(ValueError, match="tone"):
        compose_reminder_email(french, tone="angry", as_of=french.due_date, due=due, pdf=pdf, sender=SENDER)
    for tone in ("firm", "final"):
        with pytest.raises(ValueError, match="after the due date"):
            remind(french, tone, pdf, as_of=french.due_date, with_penalties=False)
    with pytest.raises(ValueError, match="above zero"):
        remind(french, "gentle", pdf, due=Decimal(0), with_penalties=False)
    with pytest.raises(ValueError, match="between 0 and the total"):
        remind(french, "gentle", pdf, due=due + 1, with_penalties=False)
    with pytest.raises(ValueError, match="not a PDF"):
        remind(french, "gentle", b"<html>", with_penalties=False)
    note = make_invoice(
        dataclasses.replace(COMPANY, email="compta@dauphinoise.example"),
        (line("Audit", "1", "100"),),
        document_type=DocumentType.CREDIT_NOTE,
        corrects=InvoiceReference("FA2026-00007", date(2026, 10, 15)),
        credit_reason="Annulation",
        number="AV2026-00003",
    )
    with pytest.raises(ValueError, match="credit note"):
        remind(note, "gentle", pdf, due=Decimal(1), with_penalties=False)


# --- hostile values ----------------------------------------------------------------------------------


def test_hostile_client_name_is_escaped_in_the_html(french: Invoice, pdf: bytes) -> None:
    buyer = dataclasses.replace(french.buyer, name=HOSTILE)
    hostile = dataclasses.replace(french, draft=dataclasses.replace(french.draft, buyer=buyer))
    for tone in TONES:
        text, html = bodies(remind(hostile, tone, pdf))
        assert HOSTILE in text
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;" in html


def test_a_line_break_in_the_client_name_never_makes_a_header(french: Invoice, pdf: bytes) -> None:
    buyer = dataclasses.replace(french.buyer, name="ACME\r\nBcc: x@evil.example")
    hostile = dataclasses.replace(french, draft=dataclasses.replace(french.draft, buyer=buyer))
    msg = remind(hostile, "firm", pdf)
    assert msg["Bcc"] is None
    assert msg["To"].addresses[0].display_name == "ACME Bcc: x@evil.example"


def test_a_long_subject_is_not_folded_with_a_doubled_space(french: Invoice, pdf: bytes) -> None:
    msg = remind(french, "final", pdf, to=OPERATOR, pilot_for="compta@dauphinoise.example")
    subject = msg["Subject"]
    assert len(subject) > 78
    assert "  " not in subject
    assert subject == (
        "[PILOTE → compta@dauphinoise.example] Dernier rappel avant mise en demeure : "
        "facture FA2026-00042 — Horizon Conseil & Formation"
    )


# --- pilot mode --------------------------------------------------------------------------------------


def assert_pilot(msg: EmailMessage, real: str, locale: str = "fr") -> None:
    assert msg["To"].addresses[0].addr_spec == OPERATOR
    assert real not in str(msg["To"])
    prefix = "[PILOTE → " if locale == "fr" else "[PILOT → "
    assert msg["Subject"].startswith(f"{prefix}{real}] ")
    assert msg["X-Invoicing-Pilot-Original-To"] == real
    banner = PILOT_BANNER[locale].format(address=real)
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith(banner + "\n\n")
    html_part = msg.get_body(("html",))
    if html_part is not None:
        html = html_part.get_content()
        assert html.count(banner) == 1
        assert html.index(banner) < html.index('<td style="padding:24px 28px 8px 28px;">')


def test_pilot_mode_on_the_invoice_email(french: Invoice, english: Invoice, pdf: bytes) -> None:
    msg = parse(
        compose_invoice_email(french, pdf=pdf, sender=SENDER, to=OPERATOR, pilot_for=french.buyer.email)
    )
    assert_pilot(msg, "compta@dauphinoise.example")
    assert (
        msg["Subject"]
        == "[PILOTE → compta@dauphinoise.example] Facture FA2026-00042 — Horizon Conseil & Formation"
    )
    msg = parse(
        compose_invoice_email(english, pdf=pdf, sender=SENDER, to=OPERATOR, pilot_for=english.buyer.email)
    )
    assert_pilot(msg, "accounts@ourthe.example", "en")


@pytest.mark.parametrize("tone", TONES)
def test_pilot_mode_on_every_reminder(tone: str, french: Invoice, pdf: bytes) -> None:
    msg = remind(french, tone, pdf, to=OPERATOR, pilot_for="compta@dauphinoise.example")
    assert_pilot(msg, "compta@dauphinoise.example")


def test_pilot_banner_survives_a_layout_override(french: Invoice, pdf: bytes) -> None:
    layout = "<html><body><h1>{{ seller.name }}</h1>{% block content %}{% endblock %}</body></html>"
    assert check_override("_layout.html.j2", layout) == []
    templates = EmailTemplates({"_layout.html.j2": layout})
    msg = remind(
        french, "gentle", pdf, to=OPERATOR, pilot_for="compta@dauphinoise.example", templates=templates
    )
    _, html = bodies(msg)
    banner = PILOT_BANNER["fr"].format(address="compta@dauphinoise.example")
    assert html.startswith("<html><body><div ")
    assert html.index(banner) < html.index("<h1>")


def test_pilot_mode_needs_the_operator_and_a_real_address(french: Invoice, pdf: bytes) -> None:
    with pytest.raises(ValueError, match="operator"):
        compose_invoice_email(french, pdf=pdf, sender=SENDER, pilot_for="compta@dauphinoise.example")
    with pytest.raises(ValueError, match="address"):
        compose_invoice_email(
            french, pdf=pdf, sender=SENDER, to=OPERATOR, pilot_for="a@b.example\r\nBcc: x@y"
        )


def test_without_pilot_mode_nothing_changes(french: Invoice, pdf: bytes) -> None:
    msg = parse(compose_invoice_email(french, pdf=pdf, sender=SENDER))
    assert msg["X-Invoicing-Pilot-Original-To"] is None
    text, html = bodies(msg)
    assert "pilote" not in (text + html).lower()


# --- the escalation ----------------------------------------------------------------------------------


def items_for(*invoices: Invoice, as_of: date) -> tuple[EscalationItem, ...]:
    return tuple(
        EscalationItem(
            number=invoice.number,
            client_name=invoice.buyer.name,
            client_ref=invoice.buyer.ref,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            total=invoice.totals.grand_total,
            due=invoice.totals.grand_total - Decimal(100 * n),
            days_late=(as_of - invoice.due_date).days,
            reminders_sent=(invoice.due_date + timedelta(days=7), invoice.due_date + timedelta(days=15)),
            penalties_total=Decimal("47.25") + n,
        )
        for n, invoice in enumerate(invoices)
    )


def escalate(items, pdf: bytes, **kwargs) -> EmailMessage:
    kwargs.setdefault("locale", "fr")
    kwargs.setdefault("to", OWNER)
    kwargs.setdefault("notice_filename", "mise-en-demeure-C001.pdf")
    return parse(
        compose_escalation_email(
            business_name="Horizon Conseil & Formation",
            sender=SENDER,
            items=items,
            notice_pdf=pdf,
            as_of=kwargs.pop("as_of", date(2027, 2, 10)),
            **kwargs,
        )
    )


def test_escalation_lists_every_invoice_and_attaches_the_notice(french: Invoice, pdf: bytes) -> None:
    as_of = date(2027, 2, 10)
    second = invoice_for(number="FA2026-00057", issued=date(2026, 12, 4))
    items = items_for(french, second, as_of=as_of)
    msg = escalate(items, pdf, as_of=as_of)
    assert msg["To"].addresses[0].addr_spec == OWNER
    assert msg["From"].addresses[0].display_name == "Horizon Conseil & Formation"
    total_due = fmt.money(sum(i.due for i in items), "fr")
    assert msg["Subject"] == (
        f"Mise en demeure à signer : Société Dauphinoise de Transports, 2 factures impayées ({total_due})"
    )
    text, html = bodies(msg)
    for body in (text, unescaped(html)):
        for item in items:
            assert item.number in body
            assert fmt.day(item.due_date, "fr") in body
            assert fmt.money(item.due, "fr") in body
            assert f"{item.days_late} jours" in body
            assert fmt.money(item.penalties_total, "fr") in body
            for sent in item.reminders_sent:
                assert fmt.day(sent, "fr") in body
        assert total_due in body
        assert fmt.money(Decimal("47.25") + Decimal("48.25"), "fr") in body
        assert "lettre recommandée avec accusé de réception" in body
        assert "invoicing pause" in body
        assert "invoicing dispute" in body
        assert "invoicing exclude" in body
        assert "injonction de payer" in body
        assert "8 jours" in body
        assert "mise-en-demeure-C001.pdf" in body
    assert "reste à régler" in text  # the second one is partly paid
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "mise-en-demeure-C001.pdf"
    assert attachment.get_content() == pdf


def test_escalation_in_english_and_without_penalties(english: Invoice, pdf: bytes) -> None:
    as_of = date(2027, 3, 20)
    (item,) = items_for(english, as_of=as_of)
    msg = escalate((dataclasses.replace(item, penalties_total=None),), pdf, as_of=as_of, locale="en")
    assert msg["Subject"].startswith(
        "Formal notice to sign: Brasserie Wallonne de l'Ourthe SA, 1 unpaid invoice ("
    )
    text, html = bodies(msg)
    for body in (text, unescaped(html)):
        assert "registered letter with acknowledgement of receipt" in body
        assert "not computed" in body
        assert "Facture" not in body
    assert "plus €" not in text  # no total of penalties when one is unknown


def test_escalation_pilot_mode_and_hostile_values(french: Invoice, pdf: bytes) -> None:
    as_of = date(2027, 2, 10)
    (item,) = items_for(french, as_of=as_of)
    hostile = dataclasses.replace(item, client_name=HOSTILE)
    msg = escalate((hostile,), pdf, as_of=as_of, to=OPERATOR, pilot_for=OWNER, notice_filename="../etc/x")
    assert msg["To"].addresses[0].addr_spec == OPERATOR
    assert msg["Subject"].startswith(f"[PILOTE → {OWNER}] Mise en demeure à signer")
    assert msg["X-Invoicing-Pilot-Original-To"] == OWNER
    text, html = bodies(msg)
    banner = PILOT_BANNER["fr"].format(address=OWNER)
    assert text.startswith(banner)
    assert html.count(banner) == 1
    assert "<script>" not in html
    assert HOSTILE in text
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "..-etc-x.pdf"


def test_an_escalation_is_about_one_customer(french: Invoice, english: Invoice, pdf: bytes) -> None:
    as_of = date(2027, 3, 20)
    with pytest.raises(ValueError, match="one customer"):
        escalate(items_for(french, english, as_of=as_of), pdf, as_of=as_of)
    with pytest.raises(ValueError, match="at least one"):
        escalate((), pdf)
    with pytest.raises(ValueError, match="not a PDF"):
        escalate(items_for(french, as_of=as_of), b"notice", as_of=as_of)


# --- the forwarded reply -----------------------------------------------------------------------------

#: A customer's reply: a folded subject carrying a right-to-left override, an 8-bit UTF-8 body.
REPLY = (
    b"From: Service comptable <compta@dauphinoise.example>\r\n"
    b"To: contact@horizon-conseil.fr\r\n"
    b"Subject: =?utf-8?q?Re=3A_Relance_FA2026-00042_=E2=80=AE_evil?=\r\n"
    b" =?utf-8?q?_Bcc=3A_x=40evil=2Eexample?=\r\n"
    b"Date: Tue, 12 Jan 2027 10:14:03 +0100\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Bonjour, nous avons pay\xc3\xa9 la facture hier.\r\n"
)
#: A reply whose subject decodes to a line break followed by a header.
INJECTING = (
    b"From: compta@dauphinoise.example\r\n"
    b"Subject: =?utf-8?q?Re=3A_Relance_FA2026-00042_=E2=80=AE_evil=0D=0ABcc=3A_x=40evil=2Eexample?=\r\n"
    b"\r\n"
    b"Bonjour.\r\n"
)


def forward(original: bytes, **kwargs) -> EmailMessage:
    kwargs.setdefault("to", OWNER)
    kwargs.setdefault("paused_until", date(2027, 1, 26))
    return parse(
        compose_forwarded_reply(
            original=original,
            number="FA2026-00042",
            client_name="Société Dauphinoise de Transports",
            sender=SENDER,
            **kwargs,
        )
    )


def test_forwarded_reply_attaches_the_original_message() -> None:
    msg = forward(REPLY)
    assert msg["Subject"] == "Réponse du client à la relance FA2026-00042 (Société Dauphinoise de Transports)"
    assert msg["To"].addresses[0].addr_spec == OWNER
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "message/rfc822"
    inner = attachment.get_content()
    assert inner["Subject"] == "Re: Relance FA2026-00042 \u202e evil Bcc: x@evil.example"
    assert inner["Bcc"] is None
    assert inner["From"].addresses[0].addr_spec == "compta@dauphinoise.example"
    assert inner.get_content().strip() == "Bonjour, nous avons payé la facture hier."
    text = msg.get_body(("plain",)).get_content()
    assert "suspendues jusqu'au 26 janvier 2027" in text
    assert "invoicing resume FA2026-00042" in text
    assert "invoicing dispute FA2026-00042" in text
    # The customer's subject is quoted in the text with its invisible characters made visible.
    assert "Objet : Re: Relance FA2026-00042 \\u202e evil Bcc: x@evil.example" in text
    assert "\u202e" not in text


@pytest.mark.parametrize("original", [REPLY, INJECTING])
def test_the_customers_subject_and_sender_never_reach_a_header(original: bytes) -> None:
    msg = forward(original)
    assert msg["Bcc"] is None
    headers = re.split(rb"\r?\n\r?\n", msg.as_bytes(), maxsplit=1)[0].decode("ascii")
    assert "evil" not in headers
    assert "dauphinoise.example" not in headers
    assert sorted(k.lower() for k in msg) == [
        "content-language",
        "content-type",
        "from",
        "mime-version",
        "subject",
        "to",
    ]
    for value in (msg["Subject"], msg["From"], msg["To"]):
        assert not re.search("[\r\n\u202e]", str(value))
    (attachment,) = list(msg.iter_attachments())
    if attachment.get_content_type() == "message/rfc822":
        assert attachment.get_content()["Bcc"] is None, "the attached message says what the customer wrote"
    else:
        assert attachment.get_content() == original


def test_a_forwarded_reply_in_english_under_pilot_mode() -> None:
    msg = forward(REPLY, locale="en", to=OPERATOR, pilot_for=OWNER)
    assert msg["Subject"] == (
        f"[PILOT → {OWNER}] Customer reply to the reminder for FA2026-00042 "
        "(Société Dauphinoise de Transports)"
    )
    assert msg["X-Invoicing-Pilot-Original-To"] == OWNER
    text = msg.get_body(("plain",)).get_content()
    assert text.startswith(PILOT_BANNER["en"].format(address=OWNER))
    assert "paused until 26 January 2027" in text


def test_an_8bit_reply_without_charset_is_still_forwarded_as_a_message() -> None:
    raw = b"From: a@b.example\r\nSubject: Re\r\n\r\nD\xe9j\xe0 pay\xe9.\r\n"  # Windows-1252, undeclared
    (attachment,) = list(forward(raw).iter_attachments())
    assert attachment.get_content_type() == "message/rfc822"
    assert attachment.get_content().get_content().strip() == "Déjà payé."


@pytest.mark.parametrize("original", [b"", b"\x00\xff\xfe not a message at all", b"\r\n\r\nbody only"])
def test_an_unreadable_reply_is_attached_as_it_came(original: bytes) -> None:
    msg = forward(original)
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/octet-stream"
    assert attachment.get_filename() == "reply.eml"
    assert attachment.get_content() == original
    assert "joint tel quel (reply.eml)" in msg.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("locale", "subject", "said", "never"),
    [
        (
            "fr",
            "Réponse du client au sujet de la facture FA2026-00042 (Société Dauphinoise de Transports)",
            "Les relances de la facture FA2026-00042 ne sont pas en cours",
            ("suspendues", "reprendront", "invoicing resume", "None"),
        ),
        (
            "en",
            "Customer reply about invoice FA2026-00042 (Société Dauphinoise de Transports)",
            "The reminders for invoice FA2026-00042 are not running",
            ("paused until", "resume on their own", "invoicing resume", "None"),
        ),
    ],
)
def test_a_reply_when_no_reminder_was_running_says_so_and_never_that_they_resume(
    locale: str, subject: str, said: str, never: tuple[str, ...]
) -> None:
    """A paid, credited or disputed invoice, or one whose reminders are over: the reply paused nothing."""
    msg = forward(REPLY, locale=locale, paused_until=None)
    assert msg["Subject"] == subject
    text = msg.get_body(("plain",)).get_content()
    assert said in text
    assert "invoicing show FA2026-00042" in text
    for words in never:
        assert words not in text
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "message/rfc822"


def test_paused_until_is_a_date_or_none() -> None:
    for wrong in (datetime(2027, 1, 26, 9, tzinfo=UTC), "2027-01-26"):
        with pytest.raises(TypeError, match="paused_until must be a date or None"):
            forward(REPLY, paused_until=wrong)


def test_an_override_of_the_forward_is_checked_with_and_without_a_pause() -> None:
    # Assuming a pause fails on the sample where the reminders were not running.
    (problem,) = check_override("reply_forward.fr.txt.j2", "Reprise le {{ paused_until.upper() }}.\n")
    assert problem.startswith("reply_forward.fr.txt.j2, line 1:")
    text = "{% if paused_until %}Reprise le {{ paused_until }}.{% else %}Rien de suspendu.{% endif %}\n"
    assert check_override("reply_forward.fr.txt.j2", text) == []


def test_forwarded_reply_refuses_hostile_names() -> None:
    with pytest.raises(ValueError, match="control or format"):
        compose_forwarded_reply(
            original=REPLY,
            number="FA2026-00042",
            client_name="Evil\u202eCorp",
            paused_until=date(2027, 1, 26),
            to=OWNER,
            sender=SENDER,
        )


# --- templates and overrides -------------------------------------------------------------------------


def test_every_new_template_is_listed_shipped_and_passes_its_own_check() -> None:
    names = set(TEMPLATE_NAMES)
    for locale in ("fr", "en"):
        for part in ("subject", "txt", "html"):
            assert f"escalation.{locale}.{part}.j2" in names
            for tone in TONES:
                assert f"reminder_{tone}.{locale}.{part}.j2" in names
        assert {f"reply_forward.{locale}.subject.j2", f"reply_forward.{locale}.txt.j2"} <= names
    for name in names - {"_layout.html.j2"}:
        if name.startswith(("reminder_", "escalation", "reply_forward")):
            assert check_override(name, (TEMPLATE_DIR / name).read_text(encoding="utf-8")) == [], name


def test_contexts_have_exactly_the_documented_variables() -> None:
    sample = sample_reminder("fr", "final")
    context = reminder_context(
        sample.invoice, tone="final", as_of=sample.as_of, due=sample.due, penalties=sample.penalties
    )
    assert set(context) == CONTEXT_VARIABLES | REMINDER_VARIABLES
    items, as_of = sample_escalation("fr")
    context = escalation_context(business_name="X", items=items, as_of=as_of, notice_filename="n.pdf")
    assert set(context) == ESCALATION_VARIABLES
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    for variable in REMINDER_VARIABLES | ESCALATION_VARIABLES | REPLY_FORWARD_VARIABLES | {"pilot"}:
        assert f"`{variable}" in readme, variable
    for tone in TONES:
        assert f"reminder_{tone}" in readme


def test_a_reminder_override_with_a_syntax_error_is_refused() -> None:
    text = "Bonjour,\n\n{% if penalties %}\n{{ penalties.total }\n{% endif %}\n"
    (problem,) = check_override("reminder_firm.fr.txt.j2", text)
    assert problem.startswith("reminder_firm.fr.txt.j2, line 4: syntax error")


def test_a_reminder_override_with_an_unknown_variable_is_refused() -> None:
    text = "Bonjour,\n{{ number }} : {{ days_overdue }} jours\n"
    assert check_override("reminder_gentle.fr.txt.j2", text) == [
        "reminder_gentle.fr.txt.j2, line 2: unknown variable 'days_overdue'"
    ]
    # A reminder's own variables are unknown to the invoice email and to the layout.
    assert "unknown variable 'days_late'" in check_override("invoice.fr.txt.j2", "{{ days_late }}")[0]
    layout = "<html>{{ days_late }}{% block content %}{% endblock %}</html>"
    assert "unknown variable 'days_late'" in check_override("_layout.html.j2", layout)[0]
    assert "unknown variable 'number'" in check_override("escalation.fr.txt.j2", "{{ number }}")[0]


def test_a_reminder_override_failing_only_without_penalties_is_refused() -> None:
    """The samples include a reminder without penalties: an override assuming them fails there."""
    problems = check_override("reminder_firm.en.txt.j2", "Owed: {{ penalties.total }}\n")
    assert problems
    assert all("line 1" in p for p in problems)
    problems = check_override("reminder_final.fr.html.j2", "<p>{{ penalties.recovery_fee.upper() }}</p>")
    assert problems, "a private debtor has no recovery fee"


def test_a_good_reminder_override_is_accepted_and_used(french: Invoice, pdf: bytes) -> None:
    overrides = {
        "reminder_gentle.fr.subject.j2": "Petit rappel : {{ number }} ({{ amount_due }})",
        "reminder_gentle.fr.txt.j2": (
            "Bonjour {{ client_name }},\n{{ amount_due }} attendus depuis {{ days_late }} jours."
            "{% if penalties %} Pénalités : {{ penalties.total }}.{% endif %}\n"
        ),
        "escalation.fr.subject.j2": "À signer : {{ client_name }} ({{ total_due }})",
        "reply_forward.fr.txt.j2": "{{ client_name }} a répondu ; reprise le {{ paused_until }}.\n",
    }
    for name, text in overrides.items():
        assert check_override(name, text, others=overrides) == [], name
    templates = EmailTemplates(overrides)
    msg = remind(french, "gentle", pdf, templates=templates, with_penalties=False)
    money = fmt.money(french.totals.grand_total, "fr")
    assert msg["Subject"] == f"Petit rappel : FA2026-00042 ({money})"
    text, html = bodies(msg)
    assert text == f"Bonjour Société Dauphinoise de Transports,\n{money} attendus depuis 7 jours.\n"
    assert "S'agit-il d'un simple oubli ?" in html, "the HTML part is still the default's"
    as_of = date(2027, 2, 10)
    assert escalate(items_for(french, as_of=as_of), pdf, as_of=as_of, templates=templates)[
        "Subject"
    ].startswith("À signer : Société Dauphinoise de Transports (")
    reply = forward(REPLY, templates=templates)
    assert reply.get_body(("plain",)).get_content().replace("\r\n", "\n") == (
        "Société Dauphinoise de Transports a répondu ; reprise le 26 janvier 2027.\n"
    )


# --- invoicing preview-email -------------------------------------------------------------------------


def test_preview_email_renders_a_reminder_and_an_escalation(tmp_path) -> None:
    out = tmp_path / "final"
    assert main(["preview-email", "--kind", "reminder", "--tone", "final", "--out", str(out)]) == 0
    msg = email.message_from_bytes(out.with_suffix(".eml").read_bytes(), policy=email.policy.default)
    assert msg["Subject"].startswith("Dernier rappel avant mise en demeure : facture FA2026-00012")
    assert "s'élèvent à" in unescaped(out.with_suffix(".html").read_text(encoding="utf-8"))
    out = tmp_path / "escalation"
    assert main(["preview-email", "--kind", "escalation", "--locale", "en", "--out", str(out)]) == 0
    msg = email.message_from_bytes(out.with_suffix(".eml").read_bytes(), policy=email.policy.default)
    assert msg["Subject"].startswith("Formal notice to sign: Ourthe Logistics SRL, 2 unpaid invoices")
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content().startswith(b"%PDF-")


# --- render budgets ----------------------------------------------------------------------------------

#: Writes nothing, for 10^10 iterations (hours): only a timer stops it.
SILENT_LOOP = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
#: Writes 2,000,000 characters, a thousand at a time.
WORDY = '{% for i in range(2000) %}{{ "x" * 1000 }}{% endfor %}'


def test_an_override_writing_more_than_a_million_characters_is_refused_quickly() -> None:
    started = time.monotonic()
    assert check_override("invoice.fr.txt.j2", WORDY) == [
        "invoice.fr.txt.j2: renders more than 1,000,000 characters"
    ]
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    assert check_override("reminder_firm.en.html.j2", loop) == [
        "reminder_firm.en.html.j2: renders more than 1,000,000 characters"
    ]
    assert time.monotonic() - started < 2
    # A layout is rendered through the emails that extend it: the one rendered is named.
    layout = "{% block content %}{% endblock %}" + WORDY
    assert check_override("_layout.html.j2", layout) == [
        "_layout.html.j2: renders more than 1,000,000 characters (rendering invoice.fr.html.j2)"
    ]
    # Just under the limit is a (long) page: accepted.
    assert check_override("invoice.fr.txt.j2", '{{ "x" * 900000 }}') == []
    assert MAX_RENDER_CHARS == 1_000_000


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{{ "x" * 11000000 }}', "builds a text or list of more than 1,000,000 characters or items"),
        ('{{ 11000000 * "x" }}', "builds a text or list of more than 1,000,000 characters or items"),
        ("{{ [1, 2] * 10**9 }}", "builds a text or list of more than 1,000,000 characters or items"),
        ("{{ 2**100000 }}", "computes a number of more than 16,384 bits"),
        ("{% set a = 10**4000 %}{{ a * a * a }}", "computes a number of more than 16,384 bits"),
    ],
)
def test_a_huge_text_or_number_is_refused_before_it_is_computed(text: str, problem: str) -> None:
    started = time.monotonic()
    assert check_override("invoice.fr.txt.j2", text) == [f"invoice.fr.txt.j2, line 1: {problem}"]
    assert time.monotonic() - started < 1


def test_ordinary_arithmetic_still_renders() -> None:
    text = "{{ number }} {{ 2**10 }} {{ 'ab' * 3 }} {{ 3 * 'c' }} {{ 10**20 * 7 }} {{ 1.5 ** 2 }}\n"
    assert check_override("invoice.fr.txt.j2", text) == []
    out = EmailTemplates({"invoice.fr.txt.j2": text}).render("invoice.fr.txt.j2", {"number": "F-1"})
    assert out == "F-1 1024 ababab ccc 700000000000000000000 2.25\n"


def test_the_sandbox_range_limit_and_lorem_ipsum() -> None:
    (problem,) = check_override("invoice.fr.txt.j2", "{% for i in range(10**6) %}{% endfor %}")
    assert "MAX_RANGE" in problem
    assert check_override("invoice.fr.txt.j2", "{{ lipsum(10**8) }}") == [
        "invoice.fr.txt.j2, line 1: unknown variable 'lipsum'"
    ]


def test_an_override_that_loops_without_writing_is_stopped_after_two_seconds() -> None:
    started = time.monotonic()
    assert check_override("invoice.fr.txt.j2", SILENT_LOOP) == [
        "invoice.fr.txt.j2: takes more than 2 s to render"
    ]
    assert time.monotonic() - started < 3


def test_the_samples_of_one_override_have_a_budget_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each sample under its own budget, but all together over the check's: refused too."""
    monkeypatch.setattr(emails, "MAX_RENDER_SECONDS", 1.0)
    monkeypatch.setattr(emails, "MAX_CHECK_SECONDS", 0.5)
    # About 0.4 s a render, four samples for an invoice text: each under 1 s, together over 0.5 s.
    inner = _iterations_taking(0.4)
    slow = "{% for i in range(100) %}{% for j in range(" + str(inner) + ") %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    problems = check_override("invoice.fr.txt.j2", slow)
    assert problems == ["invoice.fr.txt.j2: takes more than 0.5 s to render its sample emails"]
    assert time.monotonic() - started < 1.5


def _iterations_taking(seconds: float) -> int:
    """Inner iterations of ``range(100)`` outer ones that take about ``seconds`` to render."""
    template = EmailTemplates(
        {"invoice.fr.txt.j2": "{% for i in range(100) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"}
    )
    started = time.monotonic()
    template.render("invoice.fr.txt.j2", {})
    per_thousand = max(time.monotonic() - started, 1e-4)
    return min(int(1000 * seconds / per_thousand), 100_000)


def test_outside_the_main_thread_the_output_budget_and_the_clock_still_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGALRM is for the main thread only: elsewhere a render is stopped by what it writes, and by
    the clock read between the pieces it writes."""
    monkeypatch.setattr(emails, "MAX_RENDER_SECONDS", 0.3)
    found: dict[str, object] = {}

    def run() -> None:
        found["handler"] = signal.getsignal(signal.SIGALRM)
        found["wordy"] = check_override("invoice.fr.txt.j2", WORDY)
        started = time.monotonic()
        found["slow"] = check_override(
            "invoice.fr.txt.j2",
            "{% for i in range(100000) %}{% for j in range(1000) %}{% endfor %}.{% endfor %}",
        )
        found["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert found["wordy"] == ["invoice.fr.txt.j2: renders more than 1,000,000 characters"]
    assert found["slow"] == ["invoice.fr.txt.j2: takes more than 0.3 s to render"]
    assert found["seconds"] < 1.5


def test_the_previous_alarm_handler_and_timer_are_put_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emails, "MAX_RENDER_SECONDS", 0.3)
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 60)
        assert check_override("invoice.fr.txt.j2", "{{ number }}") == []
        (problem,) = check_override("invoice.fr.txt.j2", SILENT_LOOP)
        assert "takes more than 0.3 s" in problem
        delay, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 58 < delay < 60  # what was left of it
        assert signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)
        # An alarm due during a render goes off once it ends, to the previous handler.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        check_override(
            "invoice.fr.txt.j2",
            "{% for i in range(100000) %}{% for j in range(50) %}{% endfor %}{% endfor %}",
        )
        time.sleep(0.01)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_rendering_an_email_has_the_same_budget(
    french: Invoice, pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emails, "MAX_RENDER_SECONDS", 0.3)
    templates = EmailTemplates({"reminder_gentle.fr.txt.j2": WORDY})
    with pytest.raises(
        RenderBudgetExceeded, match=r"reminder_gentle\.fr\.txt\.j2 renders more than 1,000,000"
    ):
        remind(french, "gentle", pdf, templates=templates, with_penalties=False)
    # Still usable afterwards, and a ValueError like every other reason an email cannot be composed.
    assert issubclass(RenderBudgetExceeded, ValueError)
    with pytest.raises(ValueError, match=r"invoice\.fr\.txt\.j2 takes more than 0\.3 s to render"):
        EmailTemplates({"invoice.fr.txt.j2": SILENT_LOOP}).render("invoice.fr.txt.j2", {})
    assert remind(french, "gentle", pdf, with_penalties=False)["Subject"]
