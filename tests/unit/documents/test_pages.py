"""The payment link's pages: self-contained HTML, every value escaped, French and English."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from invoicing.documents import pages
from invoicing.services.checkout import preferred_language
from tests import factories

NNBSP, NBSP = "\u202f", "\u00a0"
HOSTILE = '<script>alert("x")</script> & "Cie" <img src=x onerror=alert(1)>'


class Parsed(HTMLParser):
    """Tags, attributes and text as a browser would read them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        """The text, each element's apart, ASCII white space collapsed (no-break spaces kept)."""
        return re.sub(r"[ \t\r\n]+", " ", " ".join(self.text)).strip()


def every_page(number: str, name: str, locale: str) -> dict[str, str]:
    seller = factories.seller(legal_name=name, phone="04 72 00 00 00")
    return {
        "not_found": pages.not_found_page(name, first=locale),
        "service_down": pages.service_down_page(name, first=locale),
        "already_paid": pages.already_paid_page(number, locale, name),
        "in_progress": pages.in_progress_page(number, locale, name),
        "thanks": pages.thanks_page(number, locale, name),
        "unavailable": pages.unavailable_page(number, locale, seller, Decimal("1234.5")),
        "below_minimum": pages.unavailable_page(number, locale, seller, Decimal("0.3"), below_minimum=True),
    }


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_hostile_names_and_numbers_are_shown_as_text_never_run(locale: str) -> None:
    for kind, html in every_page(HOSTILE, HOSTILE, locale).items():
        parsed = Parsed(html)
        assert "script" not in parsed.tags, kind
        assert "img" not in parsed.tags, kind
        assert not any(name.startswith("on") for name, _ in parsed.attrs), kind
        assert HOSTILE in parsed.words, kind  # shown as written
        assert "<script>" not in html, kind


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_pages_are_self_contained_and_their_style_is_the_one_the_policy_allows(locale: str) -> None:
    for kind, html in every_page("FA2026-00012", "Horizon Conseil", locale).items():
        parsed = Parsed(html)
        assert set(parsed.tags) <= {
            "html", "head", "meta", "title", "style", "body", "main", "section", "h1", "p", "strong",
            "dl", "dt", "dd", "span", "a",
        }, kind  # fmt: skip
        links = [value for name, value in parsed.attrs if name in ("href", "src")]
        assert all(link.startswith("mailto:") for link in links), kind
        (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"style-src 'sha256-{digest}'" in pages.CONTENT_SECURITY_POLICY
        assert 'name="viewport"' in html, kind
        assert "url(" not in style


def test_each_page_speaks_the_invoice_language() -> None:
    fr = {k: Parsed(v).words for k, v in every_page("FA2026-00012", "Horizon Conseil", "fr").items()}
    en = {k: Parsed(v).words for k, v in every_page("FA2026-00012", "Horizon Conseil", "en").items()}
    assert "Il ne reste rien à payer sur la facture FA2026-00012 de Horizon Conseil." in fr["already_paid"]
    assert "There is nothing left to pay on invoice FA2026-00012 from Horizon Conseil." in en["already_paid"]
    assert "Inutile de payer une seconde fois" in fr["in_progress"]
    assert "There is no need to pay again" in en["in_progress"]
    assert "Votre paiement de la facture FA2026-00012 a bien été transmis à Horizon Conseil." in fr["thanks"]
    assert "Your payment of invoice FA2026-00012 has been sent to Horizon Conseil." in en["thanks"]
    assert "trop faible pour un paiement en ligne" in fr["below_minimum"]
    assert "too small to be paid online" in en["below_minimum"]
    for kind in ("already_paid", "in_progress", "thanks", "unavailable"):
        assert '<html lang="fr">' in every_page("F1", "B", "fr")[kind]
        assert '<html lang="en">' in every_page("F1", "B", "en")[kind]


def test_the_bank_transfer_page_gives_what_a_transfer_needs_in_the_reader_format() -> None:
    seller = factories.seller()  # FR76 3000 6000 0112 3456 7890 189, AGRIFRPP
    fr = Parsed(pages.unavailable_page("FA2026-00012", "fr", seller, Decimal("1234.5"))).words
    en = Parsed(pages.unavailable_page("FA2026-00012", "en", seller, Decimal("1234.5"))).words
    assert "Bénéficiaire Horizon Conseil & Formation" in fr
    assert "IBAN FR76 3000 6000 0112 3456 7890 189 BIC AGRIFRPP" in fr
    assert f"Montant 1{NNBSP}234,50{NBSP}€ Référence FA2026-00012" in fr
    assert "Indiquez la référence dans le libellé du virement." in fr
    assert "Amount €1,234.50 Reference FA2026-00012" in en
    assert "Please quote the reference in the transfer." in en
    # A seller without an IBAN: no bank details, the way to reach them instead.
    bare = Parsed(pages.unavailable_page("F1", "fr", replace(seller, iban=None, bic=None, email=None), None))
    assert "IBAN" not in bare.words
    assert "Contactez Horizon Conseil & Formation." in bare.words


def test_an_unknown_link_says_nothing_of_the_invoice_in_both_languages_reader_first() -> None:
    fr_first, en_first = pages.not_found_page(), pages.not_found_page(first="en")
    for html in (fr_first, en_first):
        words = Parsed(html).words
        assert "Ce lien de paiement n’est pas reconnu ou n’est plus valable." in words
        assert "This payment link is not recognised or is no longer valid." in words
        assert "contactez l’entreprise qui vous l’a envoyée" in words
    assert fr_first.index('<section lang="fr">') < fr_first.index('<section lang="en">')
    assert en_first.index('<section lang="en">') < en_first.index('<section lang="fr">')
    assert "<title>Invalid payment link · Lien de paiement invalide</title>" in en_first


@pytest.mark.parametrize(
    ("header", "first"),
    [
        (None, "fr"),
        ("", "fr"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "fr"),
        ("de-DE,de;q=0.9,en;q=0.8,fr;q=0.5", "en"),
        ("en;q=0.2, fr;q=0.3", "fr"),
        ("*", "fr"),
        ("en;q=abc", "fr"),
        ("x" * 100_000, "fr"),
    ],
)
def test_the_reader_language_comes_from_accept_language(header: str | None, first: str) -> None:
    assert preferred_language(header) == first
