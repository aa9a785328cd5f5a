"""Inbound mail (SES inbound's raw MIME): real messages from ../shared/fixtures/mime (see its
SOURCES.md), then messages built to hurt, then replies to our reminders."""

from __future__ import annotations

import base64
import random
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from invoicing.domain.text import forbidden_characters
from invoicing.domain.tokens import Key, Keyring, Purpose, reply_address, sign, verify
from invoicing.ingest.mail import (
    FILENAME_LIMIT,
    MAX_PARTS,
    TEXT_LIMIT,
    Attachment,
    InboundMail,
    UnreadableMail,
    parse_mail,
    reply_token,
)
from tests.conftest import FIXTURES, fixture_path

MIME = FIXTURES / "mime"


def fixture_mails() -> list[str]:
    """Every fixture mail, as a path under ``mime/``; a placeholder that skips when the folder
    is absent (``fixture_path`` says so)."""
    found = sorted(str(path.relative_to(MIME)) for path in MIME.glob("*/*.eml"))
    return found or ["(missing)/(missing).eml"]


def fixture(name: str) -> bytes:
    return fixture_path("mime", *name.split("/")).read_bytes()


def read(name: str) -> InboundMail:
    return parse_mail(fixture(name))


def mail(*headers: str, body: str = "Bonjour", raw_body: bytes | None = None) -> bytes:
    """A CRLF mail from header lines (str, UTF-8) and a body."""
    head = "\r\n".join(headers).encode("utf-8")
    return head + b"\r\n\r\n" + (raw_body if raw_body is not None else body.encode("utf-8"))


def multipart(*parts: bytes, subtype: str = "mixed", boundary: str = "b0undary") -> bytes:
    """A multipart mail whose parts are given as their raw bytes (headers, blank line, body)."""
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return mail(
        "From: Fournisseur <compta@fournisseur.fr>",
        "Subject: Facture",
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"',
        raw_body=body + b"--" + boundary.encode() + b"--\r\n",
    )


def one_line(value: str) -> bool:
    """No refused character, no line break or tab, no white space at either end."""
    return (
        not forbidden_characters(value) and not any(c in value for c in "\r\n\t") and value == value.strip()
    )


def filenames(parsed: InboundMail) -> list[str]:
    return [a.filename for a in parsed.attachments]


# --- every fixture -------------------------------------------------------------------------


@pytest.mark.parametrize("name", fixture_mails())
def test_every_fixture_mail_is_read_and_its_values_are_safe(name: str) -> None:
    parsed = read(name)

    assert isinstance(parsed, InboundMail)
    for value in (parsed.subject, parsed.sender_name, parsed.sender or "", parsed.message_id or ""):
        assert one_line(value), value
    assert all(r == r.lower() and "@" in r and one_line(r) for r in parsed.recipients)
    assert len(set(parsed.recipients)) == len(parsed.recipients)
    assert parsed.date is None or parsed.date.tzinfo is not None
    assert len(parsed.text) <= TEXT_LIMIT
    assert not forbidden_characters(parsed.text.replace("\t", ""))
    for attachment in parsed.attachments:
        assert one_line(attachment.filename)
        assert attachment.filename not in ("", ".", "..")
        assert not {"/", "\\"} & set(attachment.filename)
        assert len(attachment.filename) <= FILENAME_LIMIT
        assert "/" in attachment.content_type
        assert isinstance(attachment.data, bytes)


@pytest.mark.parametrize("name", fixture_mails())
def test_every_fixture_mail_cut_short_or_with_other_line_endings_gives_a_mail_or_a_reason(name: str) -> None:
    raw = fixture(name)
    lf = raw.replace(b"\r\n", b"\n")
    variants = [
        lf,
        lf.replace(b"\n", b"\r\n"),
        raw[: len(raw) // 2],
        raw[:200],
        raw[:7],
        raw[len(raw) // 3 :],
    ]
    for variant in variants:
        outcome = outcome_of(variant)  # any other exception fails the test
        assert isinstance(outcome, InboundMail | UnreadableMail)
        if isinstance(outcome, UnreadableMail):
            assert str(outcome)
            assert outcome.reason


def outcome_of(raw: bytes) -> InboundMail | UnreadableMail:
    try:
        return parse_mail(raw)
    except UnreadableMail as refused:
        return refused


# --- what the fixtures hold (read from the files) ----------------------------------------


def test_crlf_and_lf_only_copies_of_a_mail_read_the_same() -> None:
    crlf = read("mikel-mail/attachment_pdf.eml")
    lf = read("mikel-mail/attachment_pdf_lf.eml")

    assert lf == crlf
    assert lf.subject == "Another PDF with 🎉 Unicode chars in it 🍿"  # raw UTF-8 in the header
    assert (lf.sender, lf.sender_name) == ("xxxx@xxxx.com", "Test Tester")
    assert lf.message_id == "<xxxx@xxxx.com>"
    assert lf.date == datetime(2005, 5, 10, 11, 26, 39, tzinfo=timezone(timedelta(hours=-6)))
    assert lf.recipients == ("xxxx@xxxx.com",)  # To twice + Delivered-To + X-Original-To, once
    assert lf.text.startswith("Just attaching another PDF, here, to see what the message looks like,\n")
    assert [(a.filename, a.content_type) for a in lf.attachments] == [("broken.pdf", "application/pdf")]
    assert lf.attachments[0].data.startswith(b"%PDF-1.4")


def test_rfc_2231_file_names_continued_and_in_latin_1() -> None:
    japanese = read("mikel-mail/japanese_attachment_long_name.eml")
    assert filenames(japanese) == ["かきくけこかきくけこかきくけこかきくけこかきくけこ.txt"]
    assert japanese.subject == "まみむめも" * 10

    estonian = read("mikel-mail/attachment_with_quoted_filename.eml")
    assert estonian.subject == "Eelanalüüsi päring"  # RFC 2047, ISO-8859-1
    assert filenames(estonian) == ["Eelanalüüsi päring.jpg"]  # inline in a mixed: a file
    assert estonian.attachments[0].content_type == "image/jpeg"

    swift = read("php-mime-mail-parser/issue274.eml")
    assert filenames(swift) == [
        "Hello from SwiftMailer.docx",
        "Hello from SwiftMailer.pdf",
        "Hello from SwiftMailer.odt",
        "Cours-Tutoriels-Serge-Tahé-1568x268.png",
    ]
    assert [a.data[:4] for a in swift.attachments] == [b"PK\x03\x04", b"%PDF", b"PK\x03\x04", b"\x89PNG"]


def test_rfc_2047_file_names_quoted_unquoted_and_folded_over_a_line_break() -> None:
    assert filenames(read("php-mime-mail-parser/m0024.eml")) == ["Biodiversité de semaine en semaine.doc"]
    assert filenames(read("mikel-mail/attachment_with_base64_encoded_name.eml")) == ["This is a test.pdf"]
    assert filenames(read("php-mime-mail-parser/issue250.eml")) == [
        "Kontoutskrift for 1506.14.90466 Bedriftskonto.pdf"
    ]
    french = read("php-mime-mail-parser/m0013.eml")
    assert filenames(french) == ["50032266 CAR 11_MNPA00A01_9PTX_H00 ATT N° 1467829.pdf"]
    assert french.subject == "50032266 CAR 11_MNPA00A01_9PTX_H00 ATT N° 1467829. pdf"
    assert filenames(read("mikel-mail/attachment_nonascii_filename.eml")) == ["ciële.txt"]  # raw 8-bit


def test_a_file_name_with_directories_keeps_its_last_part() -> None:
    parsed = read("php-mime-mail-parser/m0027.eml")  # name="1234/../../1234.txt"
    assert filenames(parsed) == ["1234.txt"]
    assert parsed.attachments[0].content_type == "application/txt"


def test_non_ascii_subjects_and_names() -> None:
    french = read("php-mime-mail-parser/m0001.eml")
    assert french.subject == "Mail avec fichier attaché de 1ko"
    assert (french.sender, french.sender_name) == ("name@company.com", "Name")
    assert french.attachments == (Attachment("attach01", "application/octet-stream", b"a\n"),)

    hungarian = read("php-mime-mail-parser/m0022.eml")
    assert hungarian.subject == "[PRJ-OTH] asdf árvíztűrő tükörfúrógép"
    assert hungarian.sender_name == "sendeär"

    # iso-8859-8-i is no Python codec: read as ISO-8859-8.
    assert read("php-mime-mail-parser/issue149.eml").subject == "מענה 'אני לא נמצא': Invoice 02722027"
    assert read("php-mime-mail-parser/issue212.eml").subject == (
        "Automatyczna odpowiedź: Piotrze, test z 6 miesięcy nauki ciągle na Ciebie czeka"
    )
    assert read("mikel-mail/raw_email_with_partially_quoted_subject.eml").subject == (
        'Re: Test: "漢字" mid "漢字" tail'
    )


def test_raw_8_bit_headers_utf_8_and_latin_1() -> None:
    utf8 = read("mikel-mail/utf8_headers.eml")  # RFC 6532
    assert utf8.subject == "Säying Hello"
    assert (utf8.sender, utf8.sender_name) == ("jdöe@mächine.example", "Jöhn Doe")
    assert utf8.recipients == ("märy@exämple.net",)

    latin1 = read("mikel-mail/invalid_subject_characters.eml")  # undeclared ISO-8859-1
    assert latin1.subject == "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro"
    assert latin1.sender_name == "Formação Frenetikpolis"  # RFC 2047 inside a quoted string
    assert latin1.recipients == ("martin@internet.ao", "iris@internet.ao", "support@maxnet.ao")


def test_a_forwarded_message_s_attachments_are_the_mail_s() -> None:
    forwarded = read("mikel-mail/attachment_message_rfc822.eml")
    assert forwarded.subject == "testing"
    assert forwarded.text == "This is the first part."  # the mail's text, not the forwarded one's
    assert filenames(forwarded) == ["broken.pdf"]  # inside ForwardedMessage.eml
    assert forwarded.attachments[0].data.startswith(b"%PDF")

    # LF-only; the mail's own text is HTML, the forwarded message is no attachment.
    zimbra = read("php-mime-mail-parser/issue158a.eml")
    assert zimbra.subject == "Fwd: Test 5"
    assert zimbra.text == "An RFC 822 forward with a HTML body"
    assert zimbra.attachments == ()


def test_images_an_html_body_shows_are_not_attachments_but_an_inline_pdf_is() -> None:
    # multipart/related: the PNG the HTML shows (cid:) is part of the body.
    assert read("mikel-mail/attachment_message_rfc822_inline_image.eml").attachments == ()
    # Apple Mail: "Content-Disposition: inline" on a PDF in a multipart/mixed.
    apple = read("mikel-mail/raw_email7.eml")
    assert filenames(apple) == ["test.rb", "test.pdf", "smime.p7s"]
    assert apple.attachments[1].content_type == "application/pdf"
    # Inline text with a file name is the body.
    netscape = read("php-mime-mail-parser/m0014.eml")
    assert netscape.attachments == ()
    assert netscape.text.startswith(
        "Die Hasen und die Frösche\n\nDie Hasen klagten einst über ihre mißliche Lage"
    )


def test_attachments_nested_two_multiparts_deep_and_in_a_mail_that_is_only_one() -> None:
    nested = read("mikel-mail/raw_email_with_nested_attachment.eml")  # multipart/signed > mixed
    assert filenames(nested) == ["truncated.png", "smime.p7s"]
    assert nested.text == "Here is a test of an attachment via email.\n\n- Jamis"

    only = read("mikel-mail/attachment_only_email.eml")
    assert filenames(only) == ["blah.gz"]
    assert only.text == ""
    assert only.date == datetime(2003, 10, 23, 22, 40, 49, tzinfo=timezone(timedelta(hours=-7)))


def test_three_hundred_attachments() -> None:
    parsed = read("php-mime-mail-parser/issue408.eml")
    assert len(parsed.attachments) == 328
    assert len(set(filenames(parsed))) == 328
    assert filenames(parsed)[:2] == ["6294736_18_01042023_1.txt", "6294354_349_01042023_2.txt"]


def test_a_bounce_is_read_without_its_machine_parts() -> None:
    bounce = read("mikel-mail/multi_address_bounce1.eml")
    assert bounce.subject == "Undelivered Mail Returned to Sender"
    assert bounce.sender == "MAILER-DAEMON@lvmail01.LL.com"  # as written; recipients are lowercased
    assert bounce.recipients == ("rahul.chaudhari@ll.com",)
    assert bounce.text.startswith("This is the mail system at host lvmail01.LL.com.")
    assert "Reporting-MTA" not in bounce.text  # message/delivery-status
    assert bounce.attachments == ()


def test_an_outlook_express_boundary_written_unquoted_still_splits_its_parts() -> None:
    parsed = read("mikel-mail/raw_email_with_illegal_boundary.eml")  # boundary=----=_NextPart_...
    assert parsed.text == "Hello\nThis is an outlook test\n\nSo there.\n\nMe."
    assert parsed.recipients == ("mikel@me.nowhere",)


def test_a_charset_python_knows_by_another_name() -> None:
    # Declared gb2312, written in its superset GBK (as the WHATWG Encoding standard reads it).
    assert read("php-mime-mail-parser/failure.eml").text == "次の受信者またはグループへの配信に失敗しました:"


def test_the_pdf_of_a_fixture_mail_is_itself_no_mail() -> None:
    pdf = read("mikel-mail/attachment_pdf.eml").attachments[0].data
    with pytest.raises(UnreadableMail, match="PDF") as refused:
        parse_mail(pdf)
    assert refused.value.reason == "not_mail"


# --- hostile mails, built here -------------------------------------------------------------


def test_header_injection_and_bidi_overrides_are_removed_from_header_values() -> None:
    raw = mail(
        "From: =?utf-8?Q?Evil=0D=0ABcc:_victim@example.com?= <evil@example.com>",
        "To: compta@dupont.fr",
        "Subject: =?utf-8?Q?Facture=0D=0ABcc:_victim@example.com?= n\u00b0 12 \u202efdp.exe\x0b\x00\t end",
    )
    parsed = parse_mail(raw)

    assert parsed.subject == "Facture Bcc: victim@example.com n° 12 fdp.exe end"
    assert parsed.sender == "evil@example.com"
    assert parsed.sender_name == "Evil Bcc: victim@example.com"
    assert parsed.recipients == ("compta@dupont.fr",)
    assert all(one_line(v) for v in (parsed.subject, parsed.sender_name))


def test_a_raw_latin_1_header_is_decoded_not_refused() -> None:
    raw = (
        b"From: Fran\xe7ois P\xe9rez <fp@example.fr>\r\n"
        b"Subject: Facture \xe9t\xe9 \x80 10\r\n"
        b"Content-Type: text/plain\r\n\r\n"
        b"Corps \xe9t\xe9\r\n"
    )
    parsed = parse_mail(raw)
    assert parsed.subject == "Facture été € 10"  # Windows-1252, the usual 8-bit charset
    assert parsed.sender_name == "François Pérez"
    assert parsed.text == "Corps été"


def test_a_wrong_or_unknown_charset_decodes_with_replacement() -> None:
    def text(charset: str, body: bytes) -> str:
        return parse_mail(
            mail("Subject: x", f"Content-Type: text/plain; charset={charset}", raw_body=body)
        ).text

    assert text("utf-8", b"impay\xe9e") == "impay\ufffde"  # Latin-1 said to be UTF-8
    assert text("us-ascii", b"impay\xc3\xa9e") == "impayée"  # UTF-8 said to be ASCII
    assert text("x-klingon", b"impay\xc3\xa9e") == "impayée"  # unknown: UTF-8 if it is...
    assert text("x-klingon", b"impay\xe9e \x81") == "impayée \ufffd"  # ... else Windows-1252
    assert text('"utf-16"', b"\xff") == "\ufffd"
    assert text("rot13", b"abc") == "abc"  # a codec, not a charset
    assert parse_mail(mail("Subject: =?base64?q?caf=E9?= =?x-klingon?b?w6k=?=")).subject == "caféé"


def test_base64_and_quoted_printable_bodies_and_broken_base64_keeps_what_decodes() -> None:
    pdf = b"%PDF-1.7 facture 12\n" * 3
    encoded = base64.encodebytes(pdf)
    broken = encoded[:20] + b"!*\xff" + encoded[20:] + b"Q"  # junk inside, one dangling character
    parsed = parse_mail(
        multipart(
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"Veuillez trouver ci-jointe la facture n=C2=B0 12 d'un montant de 1 200,00 =E2=82=AC.=\r\n"
            b" Cordialement",
            b"Content-Type: application/pdf; name=facture.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + broken,
        )
    )
    assert (
        parsed.text == "Veuillez trouver ci-jointe la facture n° 12 d'un montant de 1 200,00 €. Cordialement"
    )
    assert parsed.attachments == (Attachment("facture.pdf", "application/pdf", pdf),)


def test_too_large_a_mail_is_refused_by_its_size() -> None:
    with pytest.raises(UnreadableMail, match="size") as refused:
        parse_mail(b"Subject: x\r\n\r\n" + b"x" * (45 * 1024 * 1024))
    assert refused.value.reason == "too_large"
    with pytest.raises(UnreadableMail, match="size"):
        parse_mail(mail("Subject: x", body="y" * 2_000), max_bytes=1_000)


@pytest.mark.parametrize(
    ("raw", "reason", "said"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "not_mail", "PDF"),
        (b"", "empty", "empty"),
        (b"\r\n \r\n\t", "empty", "empty"),
        (random.Random(7).randbytes(4_096), "not_mail", "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "not_mail", ".msg"),
        (b"PK\x03\x04" + b"\x00" * 100, "not_mail", "XLSX"),
        (b"Bonjour,\nvoici la facture.\n", "not_mail", "mail headers"),
    ],
    ids=["pdf", "empty", "blank", "junk", "outlook-msg", "zip", "plain-text"],
)
def test_what_is_not_a_mail_is_refused_with_a_reason(raw: bytes, reason: str, said: str) -> None:
    with pytest.raises(UnreadableMail, match=said) as refused:
        parse_mail(raw)
    assert refused.value.reason == reason


def test_parts_nested_too_deep_or_too_many_are_refused() -> None:
    deep = b"Subject: x\r\n"
    for level in range(60):
        deep += b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (level, level)
    with pytest.raises(UnreadableMail, match="nested") as refused:
        parse_mail(deep + b"\r\nx\r\n")
    assert refused.value.reason == "too_deep"

    forwarded = b"Subject: x\r\n" + b"Content-Type: message/rfc822\r\n\r\nSubject: fwd\r\n" * 3_000
    with pytest.raises(UnreadableMail, match="nested"):
        parse_mail(forwarded + b"\r\nx")

    many = multipart(*[b"Content-Type: application/pdf\r\n\r\nx"] * (MAX_PARTS + 1_500))
    with pytest.raises(UnreadableMail, match="too many parts") as refused:
        parse_mail(many)
    assert refused.value.reason == "too_many_parts"


def test_headers_that_make_the_email_package_quadratic_are_read_quickly() -> None:
    raw = multipart(
        *[b'Content-Type: application/pdf; name="' + b'";' * 1_500 + b'"\r\n\r\nx'] * 200,
        *[b'Content-Type: multipart/mixed; boundary=c; x="' + b'";' * 1_500 + b'"\r\n\r\n--c--'] * 200,
    ).replace(b"Subject: Facture", b"To: " + b'"' * 30_000 + b"\r\nCc: " + b"\\" * 30_000)
    start = time.perf_counter()
    parsed = parse_mail(raw)
    assert time.perf_counter() - start < 2  # about 0.1 s; the email package alone: minutes
    assert len(parsed.attachments) == 200


def test_ses_verdicts_and_quarantine() -> None:
    def verdicts(*headers: str) -> InboundMail:
        return parse_mail(mail(*headers, "From: a@example.fr", "Subject: x"))

    clean = verdicts("X-SES-Spam-Verdict: PASS", "X-SES-Virus-Verdict: PASS")
    assert (clean.spam_verdict, clean.virus_verdict, clean.quarantined) == ("PASS", "PASS", False)
    assert verdicts("X-SES-Spam-Verdict: FAIL", "X-SES-Virus-Verdict: PASS").quarantined
    assert verdicts("X-SES-Spam-Verdict: PASS", "X-SES-Virus-Verdict: fail").quarantined
    gray = verdicts("X-SES-Spam-Verdict: GRAY", "X-SES-Virus-Verdict: PROCESSING_FAILED")
    assert (gray.spam_verdict, gray.virus_verdict, gray.quarantined) == ("GRAY", "PROCESSING_FAILED", False)
    none = verdicts()
    assert (none.spam_verdict, none.virus_verdict, none.quarantined) == (None, None, False)
    # SES writes its verdict on top; a sender's forged PASS further down does not clear a FAIL.
    forged = parse_mail(
        mail("X-SES-Virus-Verdict: FAIL", "From: a@example.fr", "X-SES-Virus-Verdict: PASS", "Subject: x")
    )
    assert forged.virus_verdict == "FAIL"
    assert forged.quarantined


def test_dates_are_aware_or_none() -> None:
    def dated(value: str) -> datetime | None:
        return parse_mail(mail(f"Date: {value}", "Subject: x")).date

    assert dated("Tue, 10 May 2005 11:26:39 +0200") == datetime(
        2005, 5, 10, 11, 26, 39, tzinfo=timezone(timedelta(hours=2))
    )
    assert dated("Tue, 10 May 2005 11:26:39 -0000") == datetime(2005, 5, 10, 11, 26, 39, tzinfo=UTC)
    assert dated("demain matin") is None
    assert dated("Tue, 99 Foo 2005 99:99:99 +9999") is None
    assert parse_mail(mail("Subject: x")).date is None


def test_recipients_to_cc_and_delivery_headers_lowercased_once_in_order() -> None:
    parsed = parse_mail(
        mail(
            'To: "Dupont, Jean" <Jean.Dupont@Example.FR>, undisclosed-recipients:;',
            "Cc: compta@example.fr, (a comment) <JEAN.DUPONT@example.fr>",
            "Delivered-To: mailing list Factures@Example.fr",
            "X-Original-To: <compta@example.fr>",
            "Subject: x",
        )
    )
    assert parsed.recipients == ("jean.dupont@example.fr", "compta@example.fr", "factures@example.fr")
    assert (parsed.sender, parsed.sender_name) == (None, "")


def test_file_names_made_safe_or_given() -> None:
    parsed = parse_mail(
        multipart(
            b'Content-Type: application/pdf; name="..\\\\..\\\\Windows\\\\evil.pdf"\r\n\r\nx',
            b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="../.."\r\n\r\nx',
            b"Content-Type: image/jpeg\r\n\r\nx",
            b"Content-Type: application/x-unheard-of\r\n\r\nx",
            'Content-Type: application/pdf; name="facture\u202efdp.exe"\r\n\r\nx'.encode(),
            b'Content-Type: application/pdf; name="' + b"a" * 5_000 + b'.pdf"\r\n\r\nx',
            b"Content-Type: text/csv\r\nContent-Disposition: attachment\r\n\r\na;b",
        )
    )
    names = filenames(parsed)
    assert names[:5] == [
        "evil.pdf",
        "attachment-2.pdf",
        "attachment-3.jpg",
        "attachment-4.bin",
        "facturefdp.exe",
    ]
    assert len(names[5]) == FILENAME_LIMIT
    assert names[5].endswith("aaa.pdf")
    assert names[6] == "attachment-7.csv"


def test_the_plain_text_part_is_the_text_else_the_html_one_as_text() -> None:
    html = (
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p { color: red }</style><title>Facture</title></head>"
        b"<body><p>Bonjour&nbsp;<b>Jean</b>,</p><p>Facture n&deg;&#8239;12</p>"
        b"<script>alert(1)</script>"
        b"<table><tr><td>Total</td><td>1 200,00 &euro;</td></tr></table></body></html>"
    )
    plain = b"Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour Jean,\r\nFacture 12"
    assert parse_mail(multipart(plain, html, subtype="alternative")).text == "Bonjour Jean,\nFacture 12"
    assert parse_mail(multipart(html)).text == "Bonjour Jean,\n\nFacture n° 12\n\nTotal 1 200,00 €"

    long = mail("Subject: x", "Content-Type: text/plain; charset=utf-8", body="é" * (3 * TEXT_LIMIT))
    assert parse_mail(long).text == "é" * TEXT_LIMIT


def test_an_image_shown_by_the_html_body_is_no_attachment_but_a_pdf_beside_it_is() -> None:
    related = (
        b'Content-Type: multipart/related; boundary="rel"\r\n\r\n'
        b'--rel\r\nContent-Type: text/html\r\n\r\n<p>Logo: <img src="cid:logo"></p>\r\n'
        b"--rel\r\nContent-Type: image/png; name=logo.png\r\nContent-ID: <logo>\r\n"
        b"Content-Disposition: inline; filename=logo.png\r\n\r\npng\r\n--rel--"
    )
    pdf = b"Content-Type: application/pdf\r\nContent-Disposition: inline; filename=facture.pdf\r\n\r\n%PDF"
    parsed = parse_mail(multipart(related, pdf))
    assert filenames(parsed) == ["facture.pdf"]
    assert parsed.text == "Logo:"


# --- replies to reminders ------------------------------------------------------------------

INVOICE_ID = "inv-0123456789abcdef0123456789abcdef"


def test_a_reply_to_a_reminder_names_its_invoice() -> None:
    keys = Keyring(Key.generate(1))
    today = date(2026, 3, 2)
    token = sign(INVOICE_ID, Purpose.REPLY, today + timedelta(days=60), keys)
    address = reply_address(token, "reply.example.fr")
    shouted = "Reply+" + token[:30].upper() + token[30:] + "@Reply.Example.FR"  # mail systems fold case
    raw = mail(
        "From: Client SARL <client@example.com>",
        "To: Atelier Dupont <contact@dupont.fr>",
        f'Cc: "Service facturation" <{shouted}>, reply+not-a-token@reply.example.fr',
        "Subject: RE: Relance facture F-2026-0012",
    )
    parsed = parse_mail(raw)

    assert address in parsed.recipients
    assert reply_token(parsed) == token
    assert verify(reply_token(parsed), Purpose.REPLY, today, keys) == INVOICE_ID


def test_a_mail_to_no_reply_address_has_no_token() -> None:
    parsed = parse_mail(mail("From: a@example.fr", "To: compta@dupont.fr, reply+short@reply.example.fr"))
    assert reply_token(parsed) is None


# --- automatic mail --------------------------------------------------------------------------


def auto(*headers: str) -> bool:
    return parse_mail(
        mail("From: compta@client.example", "To: reply+x@reply.example.fr", "Subject: Absent", *headers)
    ).auto_submitted


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Auto-Submitted: Auto-Notified",
        "Auto-Submitted: auto-replied (vacation); owner-email=compta@client.example",
        "Auto-Submitted: x-custom-responder",
        "X-Autoreply: yes",
        "X-Autorespond: Vacation",
        "X-AutoReply-From: compta@client.example",
        "X-Mail-Autoreply: yes",
        "X-Autogenerated: Reply",
        "X-FC-MachineGenerated: true",
        "Precedence: auto_reply",
        "Precedence: bulk",
        "Precedence: JUNK",
        "Precedence: list",
        "X-Precedence: bulk",
    ],
)
def test_an_automatic_mail_is_told_by_its_headers(header: str) -> None:
    assert auto(header)


@pytest.mark.parametrize(
    "headers",
    [
        (),
        ("Auto-Submitted: no",),
        ("Auto-Submitted: No (a person wrote this)",),
        ("X-Autoreply: no",),
        ("Precedence: first-class",),
        # Exchange adds it to mail people write: it asks others not to answer automatically.
        ("X-Auto-Response-Suppress: All",),
        ("X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply",),
        ("In-Reply-To: <abc@dupont.fr>", "Subject: Re: Absence de paiement"),
    ],
)
def test_a_person_s_mail_is_not_automatic(headers: tuple[str, ...]) -> None:
    assert not auto(*headers)


def test_a_forwarded_auto_reply_inside_a_person_s_mail_does_not_make_it_automatic() -> None:
    forwarded = (
        b"Content-Type: message/rfc822\r\n\r\nAuto-Submitted: auto-replied\r\nSubject: Absent\r\n\r\nAbsent."
    )
    assert not parse_mail(multipart(forwarded)).auto_submitted
    assert parse_mail(mail("Auto-Submitted: auto-replied", "Subject: x")).auto_submitted
