"""Builders and readers shared by the document tests (imported as a plain module)."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pdfplumber

from invoicing.domain.invoice import DocumentType, Draft, Invoice, Line, issue
from invoicing.domain.parties import Address, Client, Locale, Seller
from invoicing.domain.terms import LatePenalty, PaymentTerms
from invoicing.domain.vat import VatTreatment

CENT = Decimal("0.01")

SELLER = Seller(
    legal_name="Horizon Conseil & Formation",
    legal_form="SARL",
    siret="83147925800020",
    address=Address(("14 rue de la République",), "69002", "Lyon"),
    share_capital=Decimal("10000"),
    rcs_city="Lyon",
    vat_id="FR45831479258",
    iban="FR7630006000011234567890189",
    bic="AGRIFRPP",
    email="facturation@horizon-conseil.fr",
    late_penalty=LatePenalty("fixed", Decimal("12.5")),
)

COMPANY = Client(
    ref="C001",
    name="Société Dauphinoise de Transports",
    address=Address(("8 avenue Alsace-Lorraine", "Bâtiment B"), "38000", "Grenoble"),
    siren="428716302",
    vat_id="FR19428716302",
    payment_terms=PaymentTerms(30),
)

PERSON = Client(
    ref="c002", name="Mme Hélène Garnier", address=Address(("3 chemin des Frênes",), "74000", "Annecy")
)

ENGLISH = Client(
    ref="BE-OURTHE",
    name="Brasserie Wallonne de l'Ourthe SA",
    address=Address(("Rue de l'Académie 52",), "4000", "Liège", "BE"),
    vat_id="BE0456712325",
    locale=Locale.EN,
    payment_terms=PaymentTerms(45, end_of_month=True),
)


def line(description: str, quantity: str, price: str, rate: str = "20", **kwargs) -> Line:
    return Line(
        description,
        Decimal(quantity),
        kwargs.pop("unit", "u"),
        Decimal(price),
        VatTreatment.standard(Decimal(rate)),
        **kwargs,
    )


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
    draft = Draft(
        draft_kwargs.pop("document_type", DocumentType.INVOICE),
        client,
        lines,
        draft_kwargs.pop("period_start", date(2026, 11, 1)),
        draft_kwargs.pop("period_end", date(2026, 11, 30)),
        **draft_kwargs,
    )
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
