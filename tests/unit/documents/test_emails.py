"""The invoice email: composed, then parsed back as a mail client would, headers, parts and wording."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
from datetime import date, datetime
from decimal import Decimal
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from documents_helpers import COMPANY, ENGLISH, PERSON, SELLER, line, make_invoice
from markupsafe import escape

from invoicing.documents import format as fmt
from invoicing.documents.emails import (
    CONTEXT_VARIABLES,
    TEMPLATE_DIR,
    TEMPLATE_NAMES,
    EmailTemplates,
    NoRecipient,
    check_override,
    compose_invoice_email,
    email_context,
    sample_invoice,
)
from invoicing.documents.mentions import for_email
from invoicing.domain.invoice import DocumentType, Invoice, InvoiceReference
from invoicing_tools.cli import main

PDF = b"%PDF-1.7\n% a stand-in document\n" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SENDER = "facturation@horizon-conseil.fr"
PAY_URL = "https://pay.example/pay/" + "b" * 56
HOSTILE = '<script>alert(1)</script> & "Co"'


def invoice_for(client=COMPANY, *, email: str | None = "compta@dauphinoise.example", **kwargs) -> Invoice:
    lines = (line("Audit organisationnel", "2", "855.25"),)
    return make_invoice(dataclasses.replace(client, email=email), lines, **kwargs)


def with_buyer(invoice: Invoice, **changes) -> Invoice:
    buyer = dataclasses.replace(invoice.buyer, **changes)
    return dataclasses.replace(invoice, draft=dataclasses.replace(invoice.draft, buyer=buyer))


def with_seller(invoice: Invoice, **changes) -> Invoice:
    return dataclasses.replace(invoice, seller=dataclasses.replace(invoice.seller, **changes))


def parse(msg: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def compose(invoice: Invoice, **kwargs) -> EmailMessage:
    kwargs.setdefault("pdf", PDF)
    kwargs.setdefault("sender", SENDER)
    return parse(compose_invoice_email(invoice, **kwargs))


def bodies(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def french() -> Invoice:
    # 2 x 855.25 = 1 710.50 HT, 342.10 VAT, 2 052.60 TTC: grouped thousands and cents.
    return invoice_for()


@pytest.fixture(scope="module")
def english() -> Invoice:
    return invoice_for(ENGLISH, email="accounts@ourthe.example", number="FA2026-00044")


@pytest.fixture(scope="module")
def credit_note() -> Invoice:
    return make_invoice(
        dataclasses.replace(COMPANY, email="compta@dauphinoise.example"),
        (line("Audit organisationnel (jour annulé)", "1", "1234.5"),),
        document_type=DocumentType.CREDIT_NOTE,
        corrects=InvoiceReference("FA2026-00007", date(2026, 10, 15)),
        credit_reason="Journée d'audit du 14/10 annulée",
        number="AV2026-00003",
    )


# --- headers -----------------------------------------------------------------------------------------


def test_headers_name_the_business_and_the_client_with_non_ascii_names_encoded(french: Invoice) -> None:
    invoice = with_seller(french, legal_name="Épicerie Fine Léa & Fils")
    composed = compose_invoice_email(invoice, pdf=PDF, sender=SENDER, reply_to="reply@horizon-conseil.fr")
    raw = composed.as_bytes()
    assert raw.isascii(), "headers and bodies are 7-bit: RFC 2047 words, quoted-printable, base64"
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]
    msg = parse(composed)
    (sender,) = msg["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Épicerie Fine Léa & Fils", SENDER)
    (to,) = msg["To"].addresses
    assert (to.display_name, to.addr_spec) == (
        "Société Dauphinoise de Transports",
        "compta@dauphinoise.example",
    )
    assert msg["Reply-To"].addresses[0].addr_spec == "reply@horizon-conseil.fr"
    assert msg["Subject"] == "Facture FA2026-00042 — Épicerie Fine Léa & Fils"
    assert msg["Content-Language"] == "fr"


def test_subject_and_language_follow_the_buyer(english: Invoice, credit_note: Invoice) -> None:
    msg = compose(english)
    assert msg["Subject"] == "Invoice FA2026-00044 — Horizon Conseil & Formation"
    assert msg["Content-Language"] == "en"
    assert msg["Reply-To"] is None
    assert compose(credit_note)["Subject"] == "Avoir AV2026-00003 — Horizon Conseil & Formation"
    english_note = with_buyer(credit_note, locale=ENGLISH.locale)
    assert compose(english_note)["Subject"] == "Credit note AV2026-00003 — Horizon Conseil & Formation"


def test_date_header_when_asked_and_recipient_override(french: Invoice) -> None:
    sent_at = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    msg = compose(french, sent_at=sent_at, to="operateur@agence.example")
    assert msg["Date"].datetime == sent_at
    (to,) = msg["To"].addresses
    assert to.addr_spec == "operateur@agence.example"


def test_a_buyer_without_email_is_the_callers_case(french: Invoice) -> None:
    with pytest.raises(NoRecipient):
        compose_invoice_email(with_buyer(french, email=None), pdf=PDF, sender=SENDER)


# --- header injection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["ACME\r\nBcc: x@evil.example", "ACME\nBcc: x@evil.example", "ACME\rBcc: x@evil"]
)
def test_a_line_break_in_a_name_never_makes_a_header(french: Invoice, name: str) -> None:
    invoice = with_seller(with_buyer(french, name=name), legal_name=name)
    msg = compose(invoice)
    assert msg["Bcc"] is None
    assert sorted(k.lower() for k in msg) == [
        "content-language",
        "content-type",
        "from",
        "mime-version",
        "subject",
        "to",
    ]
    (to,) = msg["To"].addresses
    assert to.addr_spec == "compta@dauphinoise.example"
    assert to.display_name == " ".join(name.split())
    assert "\n" not in msg["Subject"]
    assert "\r" not in msg["Subject"]
    assert "Bcc: x@evil" in msg["Subject"]  # folded into the text, harmless


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\u202e", "\u200b"])
def test_other_control_or_format_characters_in_a_name_are_refused(french: Invoice, char: str) -> None:
    with pytest.raises(ValueError, match="control or format"):
        compose_invoice_email(with_buyer(french, name=f"Evil{char}Corp"), pdf=PDF, sender=SENDER)


@pytest.mark.parametrize(
    "address",
    [
        "compta@dauphinoise.example\r\nBcc: x@evil.example",
        "compta@dauphinoise.example\nBcc: x@evil.example",
        "a@b.example, x@evil.example",
        "Evil <x@evil.example>",
        "no-at-sign",
        "élodie@dauphinoise.example",
    ],
)
def test_hostile_addresses_are_refused(french: Invoice, address: str) -> None:
    with pytest.raises(ValueError, match="address"):
        compose_invoice_email(with_buyer(french, email=address), pdf=PDF, sender=SENDER)
    with pytest.raises(ValueError, match="address"):
        compose_invoice_email(french, pdf=PDF, sender=SENDER, reply_to=address)
    with pytest.raises(ValueError, match="address"):
        compose_invoice_email(french, pdf=PDF, sender=address)


def test_an_internationalised_domain_is_written_in_punycode(french: Invoice) -> None:
    msg = compose(with_buyer(french, email="compta@société.example"))
    assert msg["To"].addresses[0].domain == "xn--socit-esab.example"


# --- parts -------------------------------------------------------------------------------------------


def test_parts_text_html_pdf_and_inline_logo(french: Invoice) -> None:
    msg = compose(french, logo=PNG)
    assert msg.get_content_type() == "multipart/mixed"
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "FA2026-00042.pdf"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_content() == PDF
    images = [p for p in msg.walk() if p.get_content_maintype() == "image"]
    (logo,) = images
    assert logo.get_content() == PNG
    assert logo.get_content_type() == "image/png"
    cid = logo["Content-ID"]
    assert re.fullmatch(r"<[^<>@\s]+@horizon-conseil\.fr>", cid)
    text, html = bodies(msg)
    assert f'src="cid:{cid[1:-1]}"' in html
    assert "cid:" not in text


def test_without_logo_the_html_shows_the_name_and_no_image(french: Invoice) -> None:
    msg = compose(french)
    assert not [p for p in msg.walk() if p.get_content_maintype() == "image"]
    _, html = bodies(msg)
    assert "<img" not in html
    assert "cid:" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//(?!pay\.example)""", html), "no external resource"


def test_a_slash_in_the_number_does_not_become_a_path(french: Invoice) -> None:
    msg = compose(dataclasses.replace(french, number="FA/2026/0042"))
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "FA-2026-0042.pdf"
    assert msg["Subject"].startswith("Facture FA/2026/0042 ")


def test_the_attachment_and_the_logo_are_checked(french: Invoice) -> None:
    with pytest.raises(ValueError, match="not a PDF"):
        compose_invoice_email(french, pdf=b"<html>", sender=SENDER)
    with pytest.raises(ValueError, match="PNG, JPEG or GIF"):
        compose_invoice_email(french, pdf=PDF, sender=SENDER, logo=b"<svg/>")


# --- wording -----------------------------------------------------------------------------------------


def test_french_amount_due_date_and_bank_details(french: Invoice) -> None:
    assert french.totals.grand_total == Decimal("2052.60")
    text, html = bodies(compose(french, pay_url=PAY_URL))
    money, due_date = fmt.money(Decimal("2052.60"), "fr"), fmt.long_day(french.due_date, "fr")
    assert (money, due_date) == ("2\u202f052,60\u00a0€", "30 décembre 2026")
    for body in (text, html):
        assert money in body
        assert due_date in body
        assert "FR76 3000 6000 0112 3456 7890 189" in body
        assert "AGRIFRPP" in body
        assert "Référence à rappeler" in body
        assert body.count("FA2026-00042") >= 2
        assert PAY_URL in body
        assert "Société Dauphinoise de Transports" in body
    assert f'href="{PAY_URL}"' in html
    assert "Référence à rappeler : FA2026-00042" in text


def test_english_amount_and_due_date(english: Invoice) -> None:
    text, html = bodies(compose(english, pay_url=PAY_URL))
    money = fmt.money(english.totals.grand_total, "en")
    assert re.fullmatch(r"€\d,\d{3}\.\d{2}", money)
    for body in (text, html):
        assert money in body
        assert fmt.long_day(english.due_date, "en") in body
        assert "Payment reference" in body
        assert "Please find attached invoice" in body
        assert "Facture" not in body


def test_without_payment_link_or_iban(french: Invoice) -> None:
    text, html = bodies(compose(french))
    assert "pay.example" not in text + html
    assert "Paiement par virement bancaire" in text
    assert "IBAN" in html
    no_iban = with_seller(french, iban=None, bic=None)
    text, html = bodies(compose(no_iban, pay_url=PAY_URL))
    assert PAY_URL in text
    assert PAY_URL in html
    assert "IBAN" not in text + html
    assert "virement" not in text + html


def test_partly_settled_and_nothing_due(french: Invoice) -> None:
    text, html = bodies(compose(french, due=Decimal("1000.00"), pay_url=PAY_URL))
    for body in (text, html):
        assert "Reste à régler" in body
        assert fmt.money(Decimal(1000), "fr") in body
        assert fmt.money(french.totals.grand_total, "fr") in body
    text, html = bodies(compose(french, due=Decimal(0), pay_url=PAY_URL))
    assert "pay.example" not in text + html
    assert "IBAN" not in text + html
    with pytest.raises(ValueError, match="between 0 and the total"):
        compose_invoice_email(french, pdf=PDF, sender=SENDER, due=Decimal("9999"))


def test_only_http_payment_links(french: Invoice) -> None:
    with pytest.raises(ValueError, match="http"):
        compose_invoice_email(french, pdf=PDF, sender=SENDER, pay_url="javascript:alert(1)")
    with pytest.raises(ValueError, match="http"):
        compose_invoice_email(french, pdf=PDF, sender=SENDER, pay_url='https://x.example/"><script>')


@pytest.mark.parametrize("fixture", ["french", "english", "credit_note"])
def test_every_email_mention_is_in_both_parts(fixture: str, request: pytest.FixtureRequest) -> None:
    invoice = request.getfixturevalue(fixture)
    text, html = bodies(compose(invoice))
    said = for_email(invoice)
    assert {m.key for m in said} >= {"seller_identity"}
    for mention in said:
        wording = mention.text(invoice.locale)
        assert wording in text
        assert str(escape(wording)) in html


def test_late_payment_mention_only_for_a_business_buyer(french: Invoice) -> None:
    consumer = with_buyer(french, siren=None, vat_id=None, name=PERSON.name)
    text, _ = bodies(compose(consumer))
    assert "L441-10" not in text
    text, _ = bodies(compose(french))
    assert "L441-10" in text


def test_credit_note_wording(credit_note: Invoice) -> None:
    text, html = bodies(compose(credit_note, pay_url=PAY_URL))
    for body in (text, html):
        assert "l'avoir" in body.replace("&#39;", "'")
        assert "AV2026-00003" in body
        assert "FA2026-00007" in body
        assert fmt.money(credit_note.totals.grand_total, "fr") in body
        assert "Montant à déduire de vos prochains règlements" in body
        assert "annulée" in body
        assert "pay.example" not in body, "a credit note has no payment link"
        assert "IBAN" not in body
        assert "Échéance" not in body
        assert "régler" not in body
        assert "Facture n°" not in body


def test_hostile_client_name_is_escaped_in_html_and_plain_in_text(french: Invoice) -> None:
    text, html = bodies(compose(with_buyer(french, name=HOSTILE)))
    assert HOSTILE in text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;" in html


def test_hostile_credit_reason_is_escaped(credit_note: Invoice) -> None:
    note = dataclasses.replace(
        credit_note, draft=dataclasses.replace(credit_note.draft, credit_reason=HOSTILE)
    )
    text, html = bodies(compose(note))
    assert HOSTILE in text
    assert "<script>" not in html


# --- templates and overrides -------------------------------------------------------------------------


def test_every_template_is_shipped_and_every_default_passes_its_own_check() -> None:
    for name in TEMPLATE_NAMES:
        path = TEMPLATE_DIR / name
        assert path.is_file(), name
        assert check_override(name, path.read_text(encoding="utf-8")) == [], name


def test_context_has_exactly_the_documented_variables(french: Invoice) -> None:
    assert set(email_context(french)) == CONTEXT_VARIABLES
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    for variable in CONTEXT_VARIABLES:
        assert f"`{variable}" in readme, variable


def test_override_with_a_syntax_error_is_reported_with_its_line() -> None:
    text = "Bonjour,\n\n{% if pay_url %}\nPayer : {{ pay_url }\n"
    (problem,) = check_override("invoice.fr.txt.j2", text)
    assert problem.startswith("invoice.fr.txt.j2, line 4: syntax error")


def test_override_with_an_unknown_variable_is_reported_with_its_line() -> None:
    text = "Bonjour,\n\n{{ number }}\n{% if bank %}{{ iban }}{% endif %}\n"
    assert check_override("invoice.fr.txt.j2", text) == ["invoice.fr.txt.j2, line 4: unknown variable 'iban'"]


def test_override_with_an_unknown_attribute_is_reported_by_rendering() -> None:
    text = "<p>{{ number }}</p>\n<p>{{ seller.nmae }}</p>"
    (problem,) = check_override("invoice.en.html.j2", text)
    assert "line 2" in problem
    assert "nmae" in problem


def test_override_fails_only_on_a_path_the_sample_takes() -> None:
    """An error inside a branch shows once a sample takes it (here, a partly paid invoice)."""
    text = "{{ number }}{% if partly_settled %}{{ bank.swift }}{% endif %}"
    problems = check_override("invoice.fr.subject.j2", text)
    assert problems
    assert all("line 1" in p and "swift" in p for p in problems)


def test_override_that_escapes_the_sandbox_is_refused() -> None:
    text = "{{ number.__class__.__mro__[1].__subclasses__() }}"
    problems = check_override("invoice.fr.txt.j2", text)
    assert problems
    assert "unsafe" in problems[0].lower()


def test_unknown_template_name_and_oversized_override() -> None:
    assert "not an email template" in check_override("invoice.de.txt.j2", "x")[0]
    assert "more than" in check_override("invoice.fr.txt.j2", "x" * 200_000)[0]
    with pytest.raises(ValueError, match="no such email template"):
        EmailTemplates({"facture.txt": "x"})


def test_a_layout_without_the_content_block_is_refused() -> None:
    (problem,) = check_override("_layout.html.j2", "<html><body>{{ seller.name }}</body></html>")
    assert "block content" in problem


def test_an_empty_subject_override_is_refused() -> None:
    assert "empty" in check_override("invoice.fr.subject.j2", "{# nothing #}")[0]


def test_a_good_override_replaces_the_default(french: Invoice) -> None:
    overrides = {
        "invoice.fr.subject.j2": "Votre facture {{ number }} ({{ amount_due }})",
        "invoice.fr.txt.j2": "Chère cliente, cher client,\n{{ client_name }} doit {{ amount_due }}.\n",
        "_layout.html.j2": (
            "<html><body><h1>{{ seller.name }}</h1>{% block content %}{% endblock %}</body></html>"
        ),
    }
    for name, text in overrides.items():
        assert check_override(name, text, others=overrides) == [], name
    msg = compose(french, templates=EmailTemplates(overrides))
    money = fmt.money(french.totals.grand_total, "fr")
    assert msg["Subject"] == f"Votre facture FA2026-00042 ({money})"
    text, html = bodies(msg)
    assert text.startswith("Chère cliente, cher client,\nSociété Dauphinoise de Transports doit")
    assert html.startswith("<html><body><h1>Horizon Conseil &amp; Formation</h1>")
    assert "Veuillez trouver ci-joint la facture" in html, "the content block is still the default's"


def test_checked_keeps_the_default_for_a_broken_override(french: Invoice) -> None:
    templates, problems = EmailTemplates.checked(
        {"invoice.fr.subject.j2": "{{ nope }}", "invoice.fr.txt.j2": "Texte {{ number }}\n"}
    )
    assert list(problems) == ["invoice.fr.subject.j2"]
    msg = compose(french, templates=templates)
    assert msg["Subject"].startswith("Facture FA2026-00042")
    assert bodies(msg)[0] == "Texte FA2026-00042\n"


def test_sample_invoices_cover_both_languages_and_a_credit_note() -> None:
    assert sample_invoice("fr").locale == "fr"
    assert sample_invoice("en").locale == "en"
    assert sample_invoice("fr", credit_note=True).is_credit_note
    assert SELLER.legal_name == sample_invoice().seller.legal_name


# --- invoicing preview-email -------------------------------------------------------------------------


def test_preview_email_writes_eml_and_html(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    override = tmp_path / "invoice.en.subject.j2"
    override.write_text("Our invoice {{ number }}", encoding="utf-8")
    out = tmp_path / "preview" / "invoice"
    args = [
        "preview-email",
        "--locale",
        "en",
        "--logo",
        str(logo),
        "--template",
        str(override),
        "--out",
        str(out),
    ]
    assert main(args) == 0
    msg = email.message_from_bytes(out.with_suffix(".eml").read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == "Our invoice FA2026-00012"
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content().startswith(b"%PDF-")
    html = out.with_suffix(".html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    assert "cid:" not in html
    assert "/pay/" in html

    override.write_text("{{ numbr }}", encoding="utf-8")
    assert main(args) == 1
    assert "unknown variable 'numbr'" in capsys.readouterr().err
