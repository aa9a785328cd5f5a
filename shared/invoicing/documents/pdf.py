"""The invoice and credit-note PDF: A4, PDF/A-3B, every French mandatory mention.

Mentions (CGI art. 242 nonies A, Code de commerce L441-9, and the 2026 reform): seller legal
name, form, share capital, address, SIREN/SIRET, RCS, VAT id; buyer name, address, SIREN and
VAT id for a business; number; issue date; date or period of sale/service; each line with
quantity, unit price excl. VAT, VAT rate and total; VAT per rate; totals HT/TVA/TTC; due date
and payment terms; IBAN/BIC with an EPC payment QR code; and the legal mentions that
``invoicing.documents.mentions`` decides and words (late payment, discount, exemptions, VAT on
debits, nature of the operations, what a credit note corrects), each in its block of the page.
A document priced including VAT (``Draft.prices_include_vat``) prints the same columns, its lines at
the amounts excluding VAT its totals derive, and says under the VAT summary that its prices include
VAT (each rate's VAT computed on its amount including VAT, so a cent from base x rate at times).

Long documents flow onto more pages, with the table header repeated and "Page n/N".

The business's logo (PNG or JPEG, ``config/logo.png`` or ``.jpg`` in the bucket), when given, is
printed top-left, at most ``LOGO_MAX_W`` x ``LOGO_MAX_H`` mm with its aspect kept, the seller's
block beside it. ``logo_image`` prepares it once per process for all the documents it goes on
(checked, turned to colours PDF/A allows with an sRGB output intent, scaled down to 300 dpi).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from invoicing.documents import format as fmt
from invoicing.documents.facturx import attach
from invoicing.documents.fonts import (
    FAMILY,
    InvoiceOutputProducer,
    InvoicePDF,
    attach_full_fonts,
    attach_prepared_fonts,
)
from invoicing.documents.labels import label
from invoicing.documents.mentions import IDENTITY_SEPARATOR, Kind, Mention, Where, mentions
from invoicing.documents.qr import epc_image
from invoicing.domain.einvoicing import DEFAULT_FACTURX_PROFILE
from invoicing.domain.identifiers import grouped_iban
from invoicing.domain.invoice import Invoice, Line, LineAmounts
from invoicing.domain.money import ZERO
from invoicing.domain.parties import Address
from invoicing.domain.vat import VatCategory

PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT, TOP = 16.0, 16.0, 14.0
WIDTH = PAGE_W - LEFT - RIGHT
#: Lowest y the body may reach before the footer.
BOTTOM = PAGE_H - 24.0

ACCENT = (28, 55, 90)
TEXT = (33, 37, 41)
MUTED = (96, 104, 115)
FILL = (241, 243, 246)
RULE = (206, 212, 219)
WHITE = (255, 255, 255)

BODY_SIZE = 8.5
#: The dates and references block (label, value) and the buyer's box beside it, with a gap.
BUYER_BOX_W = 84.0
LABEL_W = 47.0
VALUE_W = WIDTH - BUYER_BOX_W - 4.0 - LABEL_W
LINE_H = 4.0
PAD = 1.4
#: Under the VAT summary of a document priced including VAT (``Draft.prices_include_vat``).
PRICES_INCLUDE_VAT = {
    "fr": "Prix TTC : la TVA de chaque taux est calculée sur son montant TTC.",
    "en": "Prices include VAT: the VAT of each rate is computed on its amount including VAT.",
}


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    width: float
    align: str
    #: The cell of a line, given the line and its amounts excluding VAT (``Totals.lines``).
    value: Callable[[Line, LineAmounts], str]


def render_pdf(
    invoice: Invoice,
    *,
    facturx: bytes | None = None,
    profile: str = DEFAULT_FACTURX_PROFILE,
    logo: bytes | None = None,
) -> bytes:
    """The PDF/A-3B document, with ``facturx`` (CII XML of ``profile``) embedded when given and
    the business's ``logo`` (PNG or JPEG bytes, GIF too; ``ValueError`` otherwise) in the header.
    Deterministic: the same invoice, XML and logo give the same bytes."""
    image = None if logo is None else logo_image(logo)
    pdf = _new_document(invoice, prepared=True)
    _draw(pdf, invoice, image)
    if pdf.outside_charset:
        # A character the prepared fonts lack: render again with the full font (fpdf2's own path).
        pdf = _new_document(invoice, prepared=False)
        _draw(pdf, invoice, image)
    if facturx is not None:
        attach(pdf, invoice, facturx, profile)
    return bytes(pdf.output(output_producer_class=InvoiceOutputProducer))


def _new_document(invoice: Invoice, *, prepared: bool) -> InvoicePDF:
    pdf = InvoicePDF(orientation="P", unit="mm", format="A4", enforce_compliance="PDF/A-3B")
    if prepared:
        attach_prepared_fonts(pdf)
    else:
        attach_full_fonts(pdf)
    locale = invoice.locale
    kind = label("credit_note" if invoice.is_credit_note else "invoice", locale).capitalize()
    pdf.set_title(f"{kind} {invoice.number}")
    pdf.set_author(invoice.seller.legal_name)
    pdf.set_subject(f"{kind} {invoice.number} - {invoice.buyer.name}")
    pdf.set_creator("invoicing-automation")
    pdf.set_lang("en-GB" if locale == "en" else "fr-FR")
    # Fixed timestamp so that rendering twice gives identical bytes (and the same SHA-256).
    pdf.set_creation_date(datetime.combine(invoice.issue_date, time(0, 0), tzinfo=UTC))
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(False)
    pdf.c_margin = 1.2
    pdf.alias_nb_pages()
    pdf.set_text_color(*TEXT)
    pdf.set_draw_color(*RULE)
    return pdf


# --- the logo --------------------------------------------------------------------------------------

#: The logo's box in the header (mm): the logo is fitted inside, its aspect kept.
LOGO_MAX_W, LOGO_MAX_H = 35.0, 18.0
#: Gap between the logo and the seller's block beside it (mm).
LOGO_GAP = 5.0
#: Pixels kept per mm of the box (300 dpi, print quality): a larger image is
#: scaled down once so that it does not weigh on every PDF.
LOGO_PX_PER_MM = 300 / 25.4
#: Larger images are refused rather than decoded (a 40-megapixel logo is a mistake or a bomb).
LOGO_MAX_PIXELS = 40_000_000
#: What a logo may be: PNG or JPEG (``config/logo.png`` or ``.jpg``), and GIF, which the emails
#: accept too (its first frame).
_LOGO_FORMATS = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)


@dataclass(frozen=True, slots=True)
class Logo:
    """A logo ready to draw: ``image`` (JPEG bytes, embedded as they are, or a Pillow image) and
    its size in mm, fitted in the box it was prepared for."""

    image: Any
    width: float
    height: float


def logo_image(logo: bytes, max_w: float = LOGO_MAX_W, max_h: float = LOGO_MAX_H) -> Logo:
    """``logo`` (PNG or JPEG bytes; GIF too) ready to draw in a ``max_w`` x ``max_h`` mm box.

    Raises ``ValueError`` naming the logo when it is not a PNG, JPEG or GIF image, cannot be decoded,
    or is unreasonably large. CMYK (and other colour spaces PDF/A does not allow beside the sRGB
    output intent) are converted to RGB; transparency is kept (a soft mask, allowed by PDF/A-3);
    an image larger than 300 dpi in the box is scaled down. Prepared once per process and box
    (``generate`` renders many invoices with the same logo).
    """
    if not isinstance(logo, bytes | bytearray | memoryview):
        raise ValueError(f"the logo must be PNG or JPEG bytes, not {type(logo).__name__}")
    return _prepared_logo(bytes(logo), max_w, max_h)


@lru_cache(maxsize=4)
def _prepared_logo(logo: bytes, max_w: float, max_h: float) -> Logo:
    from PIL import ExifTags, Image, ImageOps

    kind = next((name for magic, name in _LOGO_FORMATS if logo.startswith(magic)), None)
    if kind is None:
        raise ValueError(f"the logo is not a PNG, JPEG or GIF image (it starts with {logo[:8]!r})")
    limit = (round(max_w * LOGO_PX_PER_MM), round(max_h * LOGO_PX_PER_MM))
    unreadable = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)
    try:
        image = Image.open(io.BytesIO(logo), formats=[kind])  # reads the header only
        width, height = image.size
    except unreadable as exc:  # UnidentifiedImageError is an OSError
        raise ValueError(f"the logo is not a readable {kind} image: {exc}") from exc
    if width * height > LOGO_MAX_PIXELS:
        raise ValueError(
            f"the logo is {width} x {height} pixels; at most {LOGO_MAX_PIXELS // 1_000_000} "
            "megapixels are accepted (a few hundred pixels wide is plenty)"
        )
    try:
        if kind == "JPEG":  # a large JPEG is decoded at 1/2, 1/4 or 1/8 scale directly: much faster
            image.draft(image.mode, limit)
        image.load()
        altered = image.size != (width, height)
        if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:  # a photo taken sideways
            image, altered = ImageOps.exif_transpose(image), True
    except unreadable as exc:
        raise ValueError(f"the logo is not a readable {kind} image: {exc}") from exc
    if image.mode not in ("1", "L", "LA", "RGB", "RGBA", "P", "PA"):
        # CMYK, Lab, YCbCr (DeviceCMYK beside an sRGB output intent breaks PDF/A), 16-bit, float.
        image, altered = _converted(image, "RGBA" if "A" in image.getbands() else "RGB"), True
    if "transparency" in image.info and image.mode in ("L", "RGB"):
        image, altered = _converted(image, "RGBA"), True  # a transparent colour key becomes a soft mask
    if image.width > limit[0] or image.height > limit[1]:
        if image.mode in ("1", "P", "PA"):  # resampled in colour, not by palette index
            image = _converted(image, "RGBA" if image.has_transparency_data else "RGB")
        image, altered = ImageOps.contain(image, limit, Image.Resampling.LANCZOS), True
    scale = min(max_w / image.width, max_h / image.height)
    width_mm, height_mm = image.width * scale, image.height * scale
    if kind == "JPEG":
        if not altered:
            return Logo(logo, width_mm, height_mm)  # embedded as it is (DCT)
        out = io.BytesIO()  # still a JPEG: a fraction of the size of its pixels deflated
        _converted(image, "L" if image.mode == "L" else "RGB").save(
            out, "JPEG", quality=92, icc_profile=image.info.get("icc_profile")
        )
        return Logo(out.getvalue(), width_mm, height_mm)
    return Logo(image, width_mm, height_mm)


def _converted(image: Any, mode: str) -> Any:
    """``image`` in ``mode``, without its ICC profile if that describes other colours (a CMYK
    profile on RGB pixels would make the PDF invalid)."""
    if image.mode == mode:
        return image
    converted = image.convert(mode)
    colours = {"1": 1, "L": 1, "LA": 1, "P": 3, "PA": 3}
    if colours.get(image.mode, len(image.getbands()) - ("A" in image.getbands())) != colours.get(mode, 3):
        converted.info.pop("icc_profile", None)
    return converted


# --- drawing helpers ---------------------------------------------------------------------------


def _font(pdf: InvoicePDF, size: float, bold: bool = False) -> None:
    pdf.set_font(FAMILY, "B" if bold else "", size)


def _width(pdf: InvoicePDF, text: str) -> float:
    """Width of ``text`` in mm in the current font, from the font's width table.

    Same result as ``FPDF.get_string_width`` for our fonts (no kerning, no shaping), at a
    sixth of the cost; it matters with a few hundred strings per invoice.
    """
    widths = pdf.current_font.cw
    return sum(widths[ord(c)] for c in text) * pdf.font_size / 1000


def _cell(pdf: InvoicePDF, x: float, y: float, w: float, h: float, text: str, align: str = "L") -> None:
    """Text in the box (x, y, w, h), placed exactly where ``FPDF.cell`` would place it.

    ``FPDF.text`` with a computed position costs a fifth of ``FPDF.cell``; a one-page invoice
    writes about 140 of these.
    """
    if not text:
        return
    if align == "R":
        tx = x + w - pdf.c_margin - _width(pdf, text)
    elif align == "C":
        tx = x + (w - _width(pdf, text)) / 2
    else:
        tx = x + pdf.c_margin
    pdf.text(tx, y + 0.5 * h + 0.3 * pdf.font_size, text)


def _wrap(pdf: InvoicePDF, text: str, width: float) -> list[str]:
    """Greedy word wrap to ``width`` mm in the current font; long words are cut."""
    lines: list[str] = []
    space = _width(pdf, " ")
    for paragraph in text.splitlines() or [""]:
        current, used = "", 0.0
        for word in paragraph.split(" "):
            word_width = _width(pdf, word)
            extra = word_width + (space if current else 0.0)
            if used + extra <= width:
                current = f"{current} {word}" if current else word
                used += extra
                continue
            if current:
                lines.append(current)
            while _width(pdf, word) > width and len(word) > 1:
                cut = len(word)
                while cut > 1 and _width(pdf, word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current, used = word, _width(pdf, word)
        lines.append(current)
    return lines


def _address_lines(address: Address) -> list[str]:
    lines = list(address.lines)
    city = f"{address.postcode} {address.city}".strip()
    if not address.in_france:
        city = f"{city} — {address.country}" if city else address.country
    if city:  # a buyer who paid online may have given no address
        lines.append(city)
    return lines


# --- the document ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Mentions:
    """The page's mentions in the document's language, by the block that prints them."""

    identity: str
    corrects: str | None
    reason: str | None
    exemptions: tuple[str, ...]
    settlement: str | None
    legal: tuple[str, ...]

    @classmethod
    def of(cls, invoice: Invoice) -> _Mentions:
        found = mentions(invoice, where=Where.PAGE)
        locale = invoice.locale

        def texts(kind: Kind) -> tuple[str, ...]:
            return tuple(m.text(locale) for m in found if m.kind is kind)

        def one(key: str) -> str | None:
            mention: Mention | None = next((m for m in found if m.key == key), None)
            return None if mention is None else mention.text(locale)

        settlement = texts(Kind.SETTLEMENT)
        return cls(
            identity=" ".join(texts(Kind.IDENTITY)),
            corrects=one("corrects"),
            reason=one("credit_reason"),
            exemptions=texts(Kind.EXEMPTION),
            settlement=settlement[0] if settlement else None,
            legal=texts(Kind.LEGAL),
        )


def _draw(pdf: InvoicePDF, invoice: Invoice, logo: Logo | None = None) -> None:
    said = _Mentions.of(invoice)
    pdf.footer = lambda: _footer(pdf, invoice, said)  # type: ignore[method-assign]
    pdf.add_page()
    y = _header(pdf, invoice, logo)
    y = _parties(pdf, invoice, said, y + 6)
    columns = _columns(pdf, invoice)
    y = _table(pdf, invoice, columns, y + 7)
    y = _totals(pdf, invoice, said, y + 5)
    legal = _legal_lines(pdf, said)
    y = _payment(pdf, invoice, said, y + 5, keep_with=4 + LEGAL_H * len(legal))
    _legal(pdf, legal, y + 4)


def draw_logo(pdf: InvoicePDF, logo: Logo, x: float, y: float) -> None:
    """The logo with its top-left corner at (x, y), at its prepared size."""
    pdf.image(logo.image, x=x, y=y, w=logo.width, h=logo.height)


def _header(pdf: InvoicePDF, invoice: Invoice, logo: Logo | None = None) -> float:
    seller, locale = invoice.seller, invoice.locale
    # The seller's block, beside the logo when there is one (up to the title on the right).
    x, width, name_size = LEFT, 110.0, 15.0
    name_lines = [seller.legal_name]
    if logo is not None:
        draw_logo(pdf, logo, LEFT, TOP)
        x = LEFT + logo.width + LOGO_GAP
        width = LEFT + WIDTH - 48 - x
        # A long name is set smaller, then on two lines or more: never under the title.
        _font(pdf, name_size, bold=True)
        while name_size > 11 and _width(pdf, seller.legal_name) > width - 2 * pdf.c_margin:
            name_size -= 0.5
            _font(pdf, name_size, bold=True)
        name_lines = _wrap(pdf, seller.legal_name, width - 2 * pdf.c_margin)
    _font(pdf, name_size, bold=True)
    pdf.set_text_color(*ACCENT)
    y = TOP
    for part in name_lines:
        _cell(pdf, x, y, width, 7, part)
        y += 0.45 * name_size
    pdf.set_text_color(*TEXT)
    _font(pdf, BODY_SIZE)
    y = TOP + 8.5 + (len(name_lines) - 1) * 0.45 * name_size
    for line in _address_lines(seller.address):
        _cell(pdf, x, y, width, LINE_H, line)
        y += LINE_H
    contact = "  ·  ".join(part for part in (seller.email, seller.phone) if part)
    if contact:
        pdf.set_text_color(*MUTED)
        _cell(pdf, x, y, width, LINE_H, contact)
        pdf.set_text_color(*TEXT)
        y += LINE_H
    if logo is not None:
        y = max(y, TOP + logo.height)

    title = label("credit_note" if invoice.is_credit_note else "invoice", locale)
    _font(pdf, 22, bold=True)
    pdf.set_text_color(*ACCENT)
    _cell(pdf, LEFT + WIDTH - 90, TOP - 1, 90, 9, title, "R")
    _font(pdf, 11, bold=True)
    _cell(pdf, LEFT + WIDTH - 90, TOP + 9, 90, 6, f"{label('number', locale)} {invoice.number}", "R")
    pdf.set_text_color(*TEXT)
    return max(y, TOP + 16)


def _meta_rows(invoice: Invoice) -> list[tuple[str, str]]:
    locale, draft = invoice.locale, invoice.draft
    rows = [(label("issue_date", locale), fmt.day(invoice.issue_date, locale))]
    if draft.period_start == draft.period_end:
        rows.append((label("sale_date", locale), fmt.day(draft.period_start, locale)))
    else:
        period = f"{fmt.day(draft.period_start, locale)} – {fmt.day(draft.period_end, locale)}"
        rows.append((label("sale_period", locale), period))
    if invoice.settled is not None:
        rows.append((label("paid_on", locale), fmt.day(invoice.settled.on, locale)))
    elif not invoice.is_credit_note:
        rows.append((label("due_date", locale), fmt.day(invoice.due_date, locale)))
    if draft.order_ref:
        rows.append((label("order_ref", locale), draft.order_ref))
    rows.append((label("client_ref", locale), invoice.buyer.ref))
    return rows


def _parties(pdf: InvoicePDF, invoice: Invoice, said: _Mentions, y: float) -> float:
    locale, buyer = invoice.locale, invoice.buyer
    # Left: dates and references, under what a credit note corrects.
    rows = _meta_rows(invoice)
    if said.corrects is not None:
        rows.insert(0, ("", said.corrects))
    row_y = y + 1
    for name, value in rows:
        if name:
            _font(pdf, BODY_SIZE)
            pdf.set_text_color(*MUTED)
            _cell(pdf, LEFT, row_y, LABEL_W, 5, name)
            pdf.set_text_color(*TEXT)
            _font(pdf, BODY_SIZE, bold=True)
            # A long value (a Stripe session id as the order reference) wraps, never into the buyer.
            parts = _wrap(pdf, value, VALUE_W - 2 * pdf.c_margin)
            for part in parts[:-1]:
                _cell(pdf, LEFT + LABEL_W, row_y, VALUE_W, 5, part)
                row_y += 4.2
            _cell(pdf, LEFT + LABEL_W, row_y, VALUE_W, 5, parts[-1])
        else:
            _font(pdf, BODY_SIZE, bold=True)
            pdf.set_text_color(*ACCENT)
            _cell(pdf, LEFT, row_y, 96, 5, value)
            pdf.set_text_color(*TEXT)
        row_y += 5
    if said.reason:
        _font(pdf, BODY_SIZE)
        pdf.set_text_color(*MUTED)
        _cell(pdf, LEFT, row_y, LABEL_W, 5, label("reason", locale))
        pdf.set_text_color(*TEXT)
        for part in _wrap(pdf, said.reason, VALUE_W - 2 * pdf.c_margin):
            _cell(pdf, LEFT + LABEL_W, row_y, VALUE_W, 5, part)
            row_y += 4.2
        row_y += 0.8

    # Right: the buyer, where a window envelope shows it.
    box_x, box_w = LEFT + WIDTH - BUYER_BOX_W, BUYER_BOX_W
    lines: list[tuple[str, bool]] = [(buyer.name, True)]
    lines += [(line, False) for line in _address_lines(buyer.address)]
    if buyer.siren:
        lines.append((f"{label('siren', locale)} {fmt.grouped(buyer.siren, 3)}", False))
    if buyer.vat_id:
        lines.append((f"{label('vat_id', locale)} {buyer.vat_id}", False))
    box_h = 8 + 4.3 * len(lines) + 2
    pdf.set_fill_color(*FILL)
    pdf.rect(box_x, y, box_w, box_h, style="F", round_corners=True, corner_radius=1.5)
    _font(pdf, 7, bold=True)
    pdf.set_text_color(*MUTED)
    _cell(
        pdf,
        box_x + 3,
        y + 2,
        box_w - 6,
        4,
        label("credit_to" if invoice.is_credit_note else "bill_to", locale).upper(),
    )
    pdf.set_text_color(*TEXT)
    line_y = y + 7
    for text, bold in lines:
        _font(pdf, 9.5 if bold else BODY_SIZE, bold=bold)
        _cell(pdf, box_x + 3, line_y, box_w - 6, 4.3, text)
        line_y += 4.6 if bold else 4.3
    return max(row_y, y + box_h)


def _columns(pdf: InvoicePDF, invoice: Invoice) -> list[Column]:
    locale, lines = invoice.locale, invoice.lines
    dates = {line.service_date for line in lines}
    show_date = len(dates) > 1
    show_discount = any(line.discount for line in lines)
    fixed: list[Column] = []
    if show_date:
        fixed.append(
            Column("date", 17, "L", lambda ln, _: fmt.day(ln.service_date, locale) if ln.service_date else "")
        )
    fixed += [
        Column("quantity", 14, "R", lambda ln, _: fmt.quantity(ln.quantity, locale)),
        Column("unit", 15, "L", lambda ln, _: ln.unit),
        Column("unit_price", 21, "R", lambda _, net: fmt.unit_price(net.unit_price, locale)),
    ]
    if show_discount:
        fixed.append(Column("discount", 16, "R", lambda ln, _: _discount_text(ln, locale)))
    fixed += [
        Column("vat", 13, "R", lambda ln, _: _rate_text(ln, locale)),
        Column("line_total", 23, "R", lambda _, net: fmt.amount(net.net_amount, locale)),
    ]
    described = WIDTH - sum(c.width for c in fixed)
    return [Column("description", described, "L", lambda ln, _: ln.description), *fixed]


def _discount_text(line: Line, locale: str) -> str:
    if line.discount is None:
        return ""
    if line.discount.percent is not None:
        return fmt.percent(line.discount.percent, locale)
    return f"-{fmt.amount(line.discount_amount, locale)}"


def _rate_text(line: Line, locale: str) -> str:
    if line.vat.category is VatCategory.STANDARD:
        return fmt.percent(line.vat.rate, locale)
    return line.vat.category.value


def _table_header(pdf: InvoicePDF, invoice: Invoice, columns: list[Column], y: float) -> float:
    pdf.set_fill_color(*ACCENT)
    pdf.rect(LEFT, y, WIDTH, 7, style="F")
    _font(pdf, 7.5, bold=True)
    pdf.set_text_color(*WHITE)
    x = LEFT
    for column in columns:
        _cell(pdf, x, y + 1, column.width, 5, label(column.key, invoice.locale), column.align)
        x += column.width
    pdf.set_text_color(*TEXT)
    return y + 7


def _next_page(pdf: InvoicePDF, invoice: Invoice) -> float:
    """Start a continuation page: a title line naming the document; returns where to go on."""
    pdf.add_page()
    kind = label("credit_note" if invoice.is_credit_note else "invoice", invoice.locale)
    _font(pdf, 9, bold=True)
    pdf.set_text_color(*ACCENT)
    _cell(pdf, LEFT, TOP, WIDTH, 6, f"{kind} {invoice.number} {label('continued', invoice.locale)}")
    _font(pdf, BODY_SIZE)
    pdf.set_text_color(*MUTED)
    _cell(pdf, LEFT, TOP, WIDTH, 6, invoice.seller.legal_name, "R")
    pdf.set_text_color(*TEXT)
    return TOP + 9


def _table(pdf: InvoicePDF, invoice: Invoice, columns: list[Column], y: float) -> float:
    y = _table_header(pdf, invoice, columns, y)
    description = columns[0]
    for index, (line, amounts) in enumerate(zip(invoice.lines, invoice.totals.lines, strict=True)):
        _font(pdf, BODY_SIZE)
        wrapped = _wrap(pdf, line.description, description.width - 2 * pdf.c_margin)
        height = len(wrapped) * LINE_H + 2 * PAD
        if y + height > BOTTOM:
            y = _table_header(pdf, invoice, columns, _next_page(pdf, invoice))
            _font(pdf, BODY_SIZE)
        if index % 2 == 1:
            pdf.set_fill_color(*FILL)
            pdf.rect(LEFT, y, WIDTH, height, style="F")
        text_y = y + PAD
        for part in wrapped:
            _cell(pdf, LEFT, text_y, description.width, LINE_H, part)
            text_y += LINE_H
        x = LEFT + description.width
        for column in columns[1:]:
            _cell(pdf, x, y + PAD, column.width, LINE_H, column.value(line, amounts), column.align)
            x += column.width
        y += height
    pdf.line(LEFT, y, LEFT + WIDTH, y)
    return y


def _vat_rate_label(category: VatCategory, rate: Decimal, locale: str) -> str:
    if category is VatCategory.STANDARD:
        return fmt.percent(rate, locale)
    return f"{fmt.percent(Decimal(0), locale)} ({category.value})"


def _totals(pdf: InvoicePDF, invoice: Invoice, said: _Mentions, y: float) -> float:
    locale, totals = invoice.locale, invoice.totals
    summary_rows = len(totals.breakdown)
    rows: list[tuple[str, str]] = []
    if invoice.draft.adjustments:
        rows.append((label("total_lines", locale), fmt.money(totals.line_total, locale)))
        for adj in invoice.draft.adjustments:
            sign = "" if adj.is_charge else "-"
            name = f"{label('charge' if adj.is_charge else 'allowance', locale)} : {adj.reason}"
            if locale == "en":
                name = name.replace(" : ", ": ")
            rows.append((name, f"{sign}{fmt.money(adj.amount, locale)}"))
    rows.append((label("total_excl_vat", locale), fmt.money(totals.tax_basis_total, locale)))
    for b in totals.breakdown:
        if b.vat.category is VatCategory.STANDARD:
            rows.append(
                (f"{label('vat', locale)} {fmt.percent(b.vat.rate, locale)}", fmt.money(b.amount, locale))
            )
    rows.append((label("total_vat", locale), fmt.money(totals.vat_total, locale)))
    settled = invoice.settled
    # An invoice issued paid: what was paid, and the net to pay (nothing), under the grand total.
    after: list[tuple[str, str]] = []
    if settled is not None:
        paid = label("amount_paid", locale, date=fmt.day(settled.on, locale))
        after = [
            (paid, f"-{fmt.money(totals.grand_total, locale)}"),
            (label("amount_due", locale), fmt.money(ZERO, locale)),
        ]
    _font(pdf, 7.5)
    ttc_note = (
        _wrap(pdf, PRICES_INCLUDE_VAT[locale], 90 - 2 * pdf.c_margin)
        if invoice.draft.prices_include_vat
        else []
    )
    _font(pdf, 8, bold=True)
    mention_lines = [part for text in said.exemptions for part in _wrap(pdf, text, WIDTH - 2 * pdf.c_margin)]
    needed = max(6 * (len(rows) + len(after)) + 10, 6 + 5 * (summary_rows + 1) + 4 + 3.6 * len(ttc_note))
    needed += 4.2 * len(mention_lines) + 2
    if y + needed > BOTTOM:
        y = _next_page(pdf, invoice)

    # Left: VAT summary and exemption wording.
    _font(pdf, 8, bold=True)
    pdf.set_text_color(*ACCENT)
    _cell(pdf, LEFT, y, 90, 5, label("vat_summary", locale))
    pdf.set_text_color(*TEXT)
    sy = y + 5.5
    widths = (26.0, 32.0, 32.0)
    pdf.set_fill_color(*FILL)
    pdf.rect(LEFT, sy, sum(widths), 5, style="F")
    _font(pdf, 7.5, bold=True)
    x = LEFT
    for key, w, align in zip(("vat_rate", "vat_basis", "vat_amount"), widths, "LRR", strict=True):
        _cell(pdf, x, sy, w, 5, label(key, locale), align)
        x += w
    sy += 5
    _font(pdf, 8)
    for b in totals.breakdown:
        cells = (
            _vat_rate_label(b.vat.category, b.vat.rate, locale),
            fmt.amount(b.basis, locale),
            fmt.amount(b.amount, locale),
        )
        x = LEFT
        for text, w, align in zip(cells, widths, "LRR", strict=True):
            _cell(pdf, x, sy, w, 5, text, align)
            x += w
        sy += 5
    pdf.line(LEFT, sy, LEFT + sum(widths), sy)
    sy += 1.5
    if ttc_note:  # why a rate's VAT may be a cent from its base x rate
        _font(pdf, 7.5)
        pdf.set_text_color(*MUTED)
        for part in ttc_note:
            _cell(pdf, LEFT, sy, sum(widths), 3.6, part)
            sy += 3.6
        pdf.set_text_color(*TEXT)

    # Right: totals.
    tx, tw = LEFT + WIDTH - 74, 74.0
    ty = y
    _font(pdf, 9)
    for name, value in rows:
        _cell(pdf, tx, ty, tw - 30, 6, name)
        _cell(pdf, tx + tw - 34, ty, 34, 6, value, "R")
        ty += 6
    pdf.set_fill_color(*ACCENT)
    pdf.rect(tx, ty + 1, tw, 8.5, style="F")
    pdf.set_text_color(*WHITE)
    _font(pdf, 10.5, bold=True)
    grand = label("credit_total" if invoice.is_credit_note else "total_incl_vat", locale)
    _cell(pdf, tx + 1, ty + 2.2, tw - 36, 6, grand)
    _cell(pdf, tx + tw - 36, ty + 2.2, 35, 6, fmt.money(totals.grand_total, locale), "R")
    pdf.set_text_color(*TEXT)
    ty += 9.5
    for index, (name, value) in enumerate(after):
        last = index == len(after) - 1
        _font(pdf, 10 if last else 9, bold=last)
        _cell(pdf, tx, ty + 0.5, tw - 30, 6, name)
        _cell(pdf, tx + tw - 34, ty + 0.5, 34, 6, value, "R")
        ty += 6

    # Exemption wording, full width under both blocks: the law wants it read as written.
    y = max(sy, ty) + 1.5
    _font(pdf, 8, bold=True)
    for part in mention_lines:
        _cell(pdf, LEFT, y, WIDTH, 4.2, part)
        y += 4.2
    return y


def _payment(pdf: InvoicePDF, invoice: Invoice, said: _Mentions, y: float, keep_with: float) -> float:
    """The payment box, or how a credit note is settled; ``keep_with`` is the height of what must
    stay on its page after it."""
    locale, seller = invoice.locale, invoice.seller
    if invoice.settled is not None and said.settlement is not None:
        return _paid(pdf, invoice, said.settlement, y, keep_with)
    if said.settlement is not None:
        _font(pdf, BODY_SIZE)
        if y + 10 + keep_with > BOTTOM:
            y = _next_page(pdf, invoice)
        _cell(pdf, LEFT, y, WIDTH, 5, said.settlement)
        return y + 6
    symbol = None
    if seller.iban:
        symbol = epc_image(
            name=seller.legal_name,
            iban=seller.iban,
            bic=seller.bic,
            amount=invoice.totals.grand_total,
            text=invoice.number,
        )
    height = 34.0 if symbol else 24.0
    if not seller.iban:
        height = 17.0
    if y + height + keep_with > BOTTOM:
        y = _next_page(pdf, invoice)
    pdf.set_fill_color(*FILL)
    pdf.rect(LEFT, y, WIDTH, height, style="F", round_corners=True, corner_radius=1.5)
    _font(pdf, 9.5, bold=True)
    pdf.set_text_color(*ACCENT)
    _cell(pdf, LEFT + 3, y + 2.5, 100, 5, label("payment", locale))
    pdf.set_text_color(*TEXT)
    rows = [
        (label("due_date", locale), fmt.long_day(invoice.due_date, locale)),
        (label("payment_terms", locale), invoice.payment_terms.describe(locale)),
    ]
    if seller.iban:
        bank = f"IBAN {grouped_iban(seller.iban)}" + (f"   BIC {seller.bic}" if seller.bic else "")
        rows.append((label("transfer_to", locale), bank))
        rows.append((label("payment_reference", locale), invoice.number))
    ry = y + 8.5
    for name, value in rows:
        _font(pdf, BODY_SIZE)
        pdf.set_text_color(*MUTED)
        _cell(pdf, LEFT + 3, ry, 38, 5, name)
        pdf.set_text_color(*TEXT)
        _font(pdf, BODY_SIZE, bold=True)
        _cell(pdf, LEFT + 41, ry, 100, 5, value)
        ry += 5
    if symbol:
        size = 27.0
        qx, qy = LEFT + WIDTH - size - 4, y + 2
        pdf.set_fill_color(*WHITE)
        pdf.rect(qx - 1, qy - 0.5, size + 2, size + 1, style="F")
        pdf.image(symbol, x=qx, y=qy, w=size, h=size)
        _font(pdf, 6.2)
        pdf.set_text_color(*MUTED)
        _cell(pdf, qx - 20, qy + size + 0.5, size + 20, 3.5, label("scan_to_pay", locale), "R")
        pdf.set_text_color(*TEXT)
    return y + height


#: The "paid" box of an invoice issued paid: a frame in this colour, the stamp and the wording.
PAID = (26, 110, 60)
PAID_FILL = (234, 245, 237)


def _paid(pdf: InvoicePDF, invoice: Invoice, wording: str, y: float, keep_with: float) -> float:
    """In place of the payment box: "FACTURE ACQUITTÉE" and "Facture acquittée le … — payée par …",
    with the terms; no bank details, no QR code, nothing asking to pay."""
    locale = invoice.locale
    _font(pdf, 10, bold=True)
    lines = _wrap(pdf, wording, WIDTH - 52)
    height = 9.0 + 5.0 * len(lines) + 4.0
    if y + height + keep_with > BOTTOM:
        y = _next_page(pdf, invoice)
    pdf.set_fill_color(*PAID_FILL)
    pdf.set_draw_color(*PAID)
    pdf.set_line_width(0.6)
    pdf.rect(LEFT, y, WIDTH, height, style="DF", round_corners=True, corner_radius=1.5)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(*RULE)
    pdf.set_text_color(*PAID)
    _font(pdf, 12, bold=True)
    _cell(pdf, LEFT + 3, y + 2.5, WIDTH - 6, 6, label("paid_stamp", locale))
    _font(pdf, 10, bold=True)
    ty = y + 9.0
    for part in lines:
        _cell(pdf, LEFT + 3, ty, WIDTH - 52, 5, part)
        ty += 5.0
    pdf.set_text_color(*MUTED)
    _font(pdf, BODY_SIZE)
    amount = f"{label('amount_due', locale)} : {fmt.money(ZERO, locale)}"
    if locale == "en":
        amount = amount.replace(" : ", ": ")
    _cell(pdf, LEFT + WIDTH - 50, y + 2.5, 47, 6, amount, "R")
    pdf.set_text_color(*TEXT)
    return y + height


LEGAL_H = 3.4
LEGAL_SIZE = 7.3


def _legal_lines(pdf: InvoicePDF, said: _Mentions) -> list[str]:
    _font(pdf, LEGAL_SIZE)
    return [part for text in said.legal for part in _wrap(pdf, text, WIDTH - 2 * pdf.c_margin)]


def _legal(pdf: InvoicePDF, lines: list[str], y: float) -> None:
    _font(pdf, LEGAL_SIZE)
    pdf.set_text_color(*MUTED)
    for part in lines:
        _cell(pdf, LEFT, y, WIDTH, LEGAL_H, part)
        y += LEGAL_H
    pdf.set_text_color(*TEXT)


def _footer(pdf: InvoicePDF, invoice: Invoice, said: _Mentions) -> None:
    y = PAGE_H - 17
    pdf.set_draw_color(*RULE)
    pdf.line(LEFT, y, LEFT + WIDTH, y)
    _font(pdf, 6.8)
    pdf.set_text_color(*MUTED)
    # No-break spaces inside each part of the identity, so a line break only falls between parts.
    parts = said.identity.split(IDENTITY_SEPARATOR)
    identity = IDENTITY_SEPARATOR.join(part.replace(" ", "\u00a0") for part in parts)
    parts = _wrap(pdf, identity, WIDTH - 22)
    ly = y + 1.5
    for part in parts[:2]:
        _cell(pdf, LEFT, ly, WIDTH - 22, 3.3, part, "C")
        ly += 3.3
    address = ", ".join(_address_lines(invoice.seller.address))
    _cell(pdf, LEFT, ly, WIDTH - 22, 3.3, address, "C")
    # FPDF.cell, not FPDF.text: only cell() substitutes the total page count alias {nb}.
    pdf.set_xy(LEFT + WIDTH - 22, y + 1.5)
    pdf.cell(22, 3.3, f"{label('page', invoice.locale)} {pdf.page_no()}/{{nb}}", align="R")
    pdf.set_text_color(*TEXT)
