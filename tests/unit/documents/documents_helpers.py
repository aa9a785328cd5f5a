"""Builders and readers shared by the document tests (imported as a plain module)."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pdfplumber

from invoicing.domain.invoice import Invoice, Line, issue
from invoicing.domain.parties import Address, Client, Seller
from invoicing.domain.terms import PaymentTerms
from invoicing.domain.vat import VatTreatment
from tests import factories

CENT = Decimal("0.01")

SELLER = factories.seller()
COMPANY = factories.company(address=Address(("8 avenue Alsace-Lorraine", "Bâtiment B"), "38000", "Grenoble"))
PERSON = factories.person()
ENGLISH = factories.belgian(payment_terms=PaymentTerms(45, end_of_month=True))


def line(description: str, quantity: str, price: str, rate: str = "20", **kwargs) -> Line:
    return factories.line(description, quantity, price, rate, **kwargs)


def exempt(description: str, quantity: str, price: str, key: str) -> Line:
    return Line(description, Decimal(quantity), "u", Decimal(price), VatTreatment.exempt(key))


def make_invoice(
    client: Client,
    lines: tuple[Line, ...],
    *,
    number: str = "FA2026-00042",
    issued: date = date(2026, 11, 30),
    seller: Seller = SELLER,
    **draft_kwargs,
) -> Invoice:
    draft = factories.draft(client, *lines, **draft_kwargs)
    return issue(
        draft,
        seller=seller,
        number=number,
        issue_date=issued,
        default_terms=PaymentTerms(30),
        invoice_id=number,
    )


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fr_amount(value: Decimal) -> str:
    """French grouping restated without babel: narrow no-break space, decimal comma."""
    return f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")


def fr_money(value: Decimal) -> str:
    return f"{fr_amount(value)}\u00a0€"


def en_money(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}€{abs(value):,.2f}"


def norm(text: str) -> str:
    """Every run of whitespace (U+00A0 and U+202F included) as one plain space."""
    return " ".join(text.split())


def spaced(digits: str) -> re.Pattern[str]:
    """``digits`` with any spacing between them (SIREN, SIRET and IBAN are printed grouped)."""
    return re.compile(r"\s*".join(re.escape(c) for c in digits))


def page_texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [page.extract_text() or "" for page in document.pages]


def qr_images(pdf: bytes, page: int = 0) -> list[dict]:
    """The 1-bit images on a page, decoded back to PIL images, with their size on the page in mm."""
    from PIL import Image

    found = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for image in document.pages[page].images:
            if image.get("bits") != 1:
                continue
            width, height = image["srcsize"]
            data = image["stream"].get_data()
            found.append(
                {
                    "image": Image.frombytes("1", (width, height), data),
                    "width_mm": image["width"] * 25.4 / 72,
                    "height_mm": image["height"] * 25.4 / 72,
                }
            )
    return found
