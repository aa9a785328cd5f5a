"""Supplier invoices read offline, without their XML: the PDF's text layer, or Tesseract on a scan.

Three entry points, each returning the normalised ``SupplierInvoice`` (engine ``text`` or
``tesseract``) or raising ``UnreadableDocument`` with a short ``reason`` code:

- ``read_pdf_text(data)``: the text layer of a PDF, page by page, as pdfplumber lays it out
  (``extract_text(layout=True)``: words keep their horizontal position, so a label's value can be
  looked for to its right *and* under it, as in a table of totals). The characters come from
  pdfium (pypdfium2, ~10x faster than pdfminer) and pdfplumber's layout is rebuilt from them,
  giving the same text; pdfplumber itself reads what pdfium cannot open, rotated text, and
  pages where pdfium finds no text. At most ``MAX_PAGES`` pages are read: a longer document is
  refused (``too_many_pages``) after counting only that many pages. A PDF with (almost) no text
  is a scan: ``no_text``, and the caller may try ``read_scan``.
- ``read_scan(data, content_type=...)``: Tesseract (``fra+eng+deu``) on an image, or on the pages
  of a scanned PDF rendered with pypdfium2 or ``pdftoppm``. Without the ``tesseract`` binary:
  ``no_ocr``.
- ``read_text(text, document_hash=...)``: the label knowledge on plain text, pure (no I/O). Both
  readers above end here; the tests feed it invoice2data's ``.txt`` samples directly.

What is read, and how (French, English and German labels, with the usual Dutch and Polish ones):

Amounts, dates, currencies and identifiers are read by ``invoicing.ingest.invoice_values``, as
the Textract mapping reads them; what is particular to a laid-out text is here.

- **Text** first loses the characters ``invoicing.domain.text`` refuses (controls, bidi
  overrides, zero-width characters...); every value kept in the record is one line of at most
  ``VALUE_LIMIT`` characters. Each line is cut into *cells* (runs separated by two spaces or more)
  that keep their column, which is how "under a label" is decided.
- **Amounts**: ``1 234,56``, ``1.234,56``, ``1,234.56``, ``1234.56``, with a currency before or
  after, negative with a minus or in parentheses; dates, percentages and identifiers (VAT ids,
  IBANs) are masked first so none of them is read as an amount. More than 15 integer digits is
  not an amount (and never reaches ``Decimal`` arithmetic).
- **Totals**: every labelled candidate for the total excl. VAT (Total HT, Subtotal, Nettobetrag,
  ...), the VAT (TVA, VAT, MwSt, USt, ...), the total incl. VAT (Total TTC, Grand total,
  Gesamtbetrag, ...) and the amount due (Net à payer, Amount due, Zahlbetrag, ...), read to the
  right of its label (first and last amount of the line) or under it; rows of three amounts
  where the first two add up to the third; the sums of the VAT breakdown. The triple chosen is
  the best-scored one, and a triple where excl. + VAT = incl. wins over any single strong label
  (its fields then get a high confidence). A credit note printing its VAT unsigned beside
  negative totals gets the sign the arithmetic asks for.
- **VAT breakdown**: a rate in percent beside two amounts, base and tax, where base x rate = tax;
  kept only when its taxes add up to the total VAT.
- **Invoice number, dates**: label tables (Facture n°, Invoice No, Rechnungsnummer, ...; Date de
  facture, Invoice date, Rechnungsdatum, ...; Échéance, Due date, Fällig am, zahlbar bis, ...).
  Dates in numbers (``31/12/2024``, ``31.12.24``, ``2024-12-31``) or words, in French, English,
  German and Dutch (``31 décembre 2024``, ``December 31, 2024``, ``31. Dezember 2024``);
  ``03/04/2024`` is day first unless another date of the document can only be month first.
  A bare "Date" label next to an order, delivery or due word is not the issue date.
- **Identifiers**: EU VAT ids (python-stdnum ``eu.vat``, spacing ignored), SIREN / SIRET
  (``fr.siren`` / ``fr.siret``), IBANs (schwifty): only valid ones are kept. The supplier's are
  told from the buyer's by their label (N° TVA client, Your VAT number...) and by the column under
  a buyer heading (Client, Bill to, Facturé à, Kunde, Rechnungsempfänger...); a VAT id carrying the
  supplier's SIREN wins.
- **Supplier name**: candidates scored together: a name with a legal form (SAS, SARL, GmbH,
  AG, Ltd, Inc, B.V., ...), a labelled seller or payee (Vendeur, Sold by, Lieferant,
  Titulaire du compte, ...), the line above the sender's address at the top of the first page, a
  short line above the legal mentions (SIRET, RCS, capital...), how often the name comes back;
  anything under a buyer heading is not the supplier. The buyer's name is the first line under
  a buyer heading.
- **Currency**: ISO codes and symbols counted over the document (``€``, ``$``, ``£``, ``Rs``...);
  none when nothing says. **Credit note**: a title Avoir, Credit note, Gutschrift...

A field not found is ``None``; a weak guess gets a low confidence (``confidence`` per field,
0 to 1), never a high one. Lines of items are not read (``lines`` is empty).

Refused (``UnreadableDocument.reason``): ``empty``, ``too_large`` (more than ``MAX_BYTES``),
``not_pdf`` (no PDF header, or a file neither pdfium nor pdfminer can parse), ``encrypted`` (a
password is needed to read it), ``too_many_pages``, ``no_text``, ``timeout`` (more than
``TIME_LIMIT`` seconds of reading), and for scans ``no_ocr``, ``unsupported_type``,
``ocr_failed``.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from invoicing.domain.supplier_invoice import Engine, SupplierInvoice, VatAmount
from invoicing.domain.text import one_line, without_refused
from invoicing.ingest.invoice_values import (
    IBAN,
    VAT_ID,
    FoundAmount,
    currency_votes,
    date_order,
    find_amounts,
    find_dates,
    french_id,
    iban_at,
    vat_check,
)

#: Pages read at most: a longer document is refused with reason ``too_many_pages``.
MAX_PAGES = 20
#: Largest document accepted (bytes).
MAX_BYTES = 25 * 1024 * 1024
#: Characters of one page's text kept (the rest of a page of 100k characters is not read).
PAGE_TEXT_LIMIT = 60_000
#: Longest line considered (characters); the rest of a longer line is cut.
LINE_LIMIT = 2_000
#: Longest text value kept in the record.
VALUE_LIMIT = 200
#: Seconds of reading after which a document is given up (``timeout``).
TIME_LIMIT = 30.0
#: A PDF with fewer letters and digits than this per page is a scan.
MIN_TEXT_PER_PAGE = 20
#: The Tesseract languages tried on scans.
OCR_LANGUAGES = "fra+eng+deu"
OCR_TIMEOUT = 60
OCR_DPI = 300

_CENT = Decimal("0.01")


class UnreadableDocument(ValueError):
    """The document cannot be read; ``reason`` is a short code (see the module docstring)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# --------------------------------------------------------------------------------------- PDF


def read_pdf_text(data: bytes, *, max_pages: int = MAX_PAGES) -> SupplierInvoice:
    """The supplier invoice that a PDF's text layer gives (engine ``text``).

    At most ``max_pages`` pages are read; a longer document raises ``UnreadableDocument`` with
    reason ``too_many_pages`` (only ``max_pages + 1`` pages are looked at to know it). A PDF
    with (almost) no text raises reason ``no_text``: it is a scan, for ``read_scan``.
    """
    _check_size(data)
    if b"%PDF-" not in data[:1024]:
        raise UnreadableDocument("not_pdf", "the file is not a PDF (no %PDF- header)")
    texts = _pdf_page_texts(data, max_pages, time.monotonic())
    if _little_text(texts):
        raise UnreadableDocument("no_text", "the PDF has no text layer (a scan?): it needs OCR")
    return read_text("\f".join(texts), document_hash=_sha256(data), engine=Engine.TEXT, pages=len(texts))


def _little_text(texts: list[str]) -> bool:
    letters = sum(sum(map(str.isalnum, text)) for text in texts)
    return letters < MIN_TEXT_PER_PAGE * max(1, len(texts)) // 2 or letters < MIN_TEXT_PER_PAGE


def _pdf_page_texts(data: bytes, max_pages: int, started: float) -> list[str]:
    """The pages' laid-out texts: pdfium's characters laid out as pdfplumber does, or pdfplumber
    itself for what that reading leaves to it (a document pdfium cannot open, rotated text, a
    page without text)."""
    texts = _pdfium_page_texts(data, max_pages, started)
    if texts is None or _little_text(texts):
        texts = list(_pdfplumber_page_texts(data, max_pages, started))
    return texts


def _pdfplumber_page_texts(data: bytes, max_pages: int, started: float) -> Iterator[str]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.page import Page
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PdfminerException as error:
        cause = error.args[0] if error.args else None
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
            raise UnreadableDocument("encrypted", "the PDF is encrypted with a password") from None
        raise UnreadableDocument("not_pdf", f"the PDF cannot be parsed ({type(cause).__name__})") from None
    except Exception as error:  # pdfminer raises many types on broken files
        raise UnreadableDocument("not_pdf", f"the PDF cannot be parsed ({type(error).__name__})") from None
    # pdfplumber's close() walks the pages again and raises on a broken page tree: closing must
    # not turn a clear refusal into a crash.
    with _closing_quietly(pdf):
        try:
            objects = list(islice(PDFPage.create_pages(pdf.doc), max_pages + 1))
        except Exception as error:
            raise UnreadableDocument(
                "not_pdf", f"the PDF's pages cannot be read ({type(error).__name__})"
            ) from None
        if len(objects) > max_pages:
            raise UnreadableDocument("too_many_pages", f"the PDF has more than {max_pages} pages")
        if not objects:
            raise UnreadableDocument("no_text", "the PDF has no page")
        doctop: float = 0
        for number, obj in enumerate(objects, start=1):
            _check_time(started)
            try:
                page = Page(pdf, obj, page_number=number, initial_doctop=doctop)
                doctop += page.height
                if len(page.chars) > PAGE_TEXT_LIMIT:
                    text = page.extract_text()
                else:
                    text = page.extract_text(layout=True)
            except UnreadableDocument:
                raise
            except Exception as error:
                raise UnreadableDocument(
                    "not_pdf", f"page {number} cannot be read ({type(error).__name__})"
                ) from None
            yield text[:PAGE_TEXT_LIMIT]


@contextmanager
def _closing_quietly(pdf: Any) -> Iterator[Any]:
    try:
        yield pdf
    finally:
        with suppress(Exception):
            pdf.close()


def _check_time(started: float) -> None:
    if time.monotonic() - started > TIME_LIMIT:
        raise UnreadableDocument("timeout", f"reading the PDF took more than {TIME_LIMIT:.0f} s")


# --------------------------------------------------------------- pdfium, laid out as pdfplumber
#
# pdfminer interprets a page in Python (~70 µs a character); pdfium does it in C. Its characters
# (origin, advance, font size and descent) give the boxes pdfminer gives, and the layout below is
# pdfplumber's ``extract_text(layout=True)`` (0.11): characters clustered into lines by their top
# (chained within 3 points), sorted by x0, cut into words at a space, a step back, a gap of more
# than 3 points or a top 3 points away; words clustered into lines again, each line placed on a
# grid of 13 points a line and 7.25 points a character from the page's MediaBox. pdfium differs
# from pdfminer in two ways undone here: a glyph that stands for several characters (a ligature,
# an emoji with its text) is one pdfminer character, several pdfium ones at the same origin; and
# pdfium drops some spaces of the content, putting its own (generated) spaces where it sees gaps.
# A generated space counts where pdfplumber's words would break: a gap of more than 3 points, or
# between two text objects on the same baseline (where the content had its space); not inside a
# text object (kerning) nor between a bullet and its text set on another baseline.

_X_DENSITY = 7.25
_Y_DENSITY = 13
_TOLERANCE = 3
_LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
#: The descent (1/1000 em) pdfminer gives a font named as a standard one (its AFM metrics, which it
#: prefers to the PDF's own), where pdfium uses its built-in fonts' (Helvetica: -224, not -207).
_STANDARD_DESCENTS = {
    **dict.fromkeys(("Courier", "Courier-Bold", "Courier-BoldOblique", "Courier-Oblique"), -194.0),
    **dict.fromkeys(("CourierNew", "CourierNew,Italic", "CourierNew,Bold", "CourierNew,BoldItalic"), -194.0),
    **dict.fromkeys(("Helvetica", "Helvetica-Bold", "Helvetica-BoldOblique", "Helvetica-Oblique"), -207.0),
    **dict.fromkeys(("Arial", "Arial,Italic", "Arial,Bold", "Arial,BoldItalic"), -207.0),
    **dict.fromkeys(("Times-Bold", "Times-BoldItalic", "Times-Italic", "Times-Roman"), -217.0),
    **dict.fromkeys(
        ("TimesNewRoman", "TimesNewRoman,Italic", "TimesNewRoman,Bold", "TimesNewRoman,BoldItalic"), -217.0
    ),
    "Symbol": 0.0,
    "ZapfDingbats": 0.0,
}
#: The characters pdfium may have generated itself (spaces, line breaks): asked only for these.
_MAYBE_GENERATED = frozenset((0, 10, 13, 32, 45, 0xFFFE))


class _NotLaidOut(Exception):
    """A page the pdfium reading leaves to pdfplumber (rotated or mirrored text)."""


def _pdfium_page_texts(data: bytes, max_pages: int, started: float) -> list[str] | None:
    """The pages' texts as pdfplumber lays them out, read by pdfium; None when pdfplumber should
    read the document (pdfium cannot open it, or a page is not laid out here)."""
    try:
        import pypdfium2
        import pypdfium2.raw as pdfium_c
    except ImportError:  # pragma: no cover - pdfplumber depends on pypdfium2
        return None
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        if getattr(error, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise UnreadableDocument("encrypted", "the PDF is encrypted with a password") from None
        return None  # pdfminer gives its own verdict (or reads it)
    except Exception:
        return None
    try:
        count = len(document)
        if count > max_pages:
            raise UnreadableDocument("too_many_pages", f"the PDF has more than {max_pages} pages")
        texts = []
        for index in range(count):
            _check_time(started)
            texts.append(_pdfium_page_text(document, index, started)[:PAGE_TEXT_LIMIT])
        return texts or None
    except UnreadableDocument:
        raise
    except Exception:  # _NotLaidOut, or pdfium failing on a page: pdfplumber reads the document
        return None
    finally:
        document.close()


def _pdfium_page_text(document: Any, index: int, started: float) -> str:
    page = document[index]
    try:
        if page.get_rotation():
            raise _NotLaidOut("rotated page")
        box = page.get_mediabox(fallback_ok=False) or page.get_bbox()  # MediaBox, even inherited
        left, bottom = min(box[0], box[2]), min(box[1], box[3])
        width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
        textpage = page.get_textpage()
        try:
            chars = _pdfium_chars(textpage.raw, height, started)
        finally:
            textpage.close()
    finally:
        page.close()
    if not chars:
        return ""
    words = _words(chars)
    if len(chars) > PAGE_TEXT_LIMIT:
        return _plain_lines(words)
    return _laid_out(words, width, height, left, -bottom)


def _pdfium_chars(textpage: Any, height: float, started: float) -> list[tuple[str, float, float, float]]:
    """The page's characters as pdfplumber sees them: (text, x0, x1, top), in content order."""
    import ctypes

    import pypdfium2.raw as c

    count = c.FPDFText_CountChars(textpage)
    if count <= 0:
        return []
    units: list[int]
    buffer = (ctypes.c_ushort * (count + 1))()
    if c.FPDFText_GetText(textpage, 0, count, buffer) == count + 1:  # one unit a character
        units = buffer[:count]
    else:
        units = [c.FPDFText_GetUnicode(textpage, i) for i in range(count)]
    is_generated, get_matrix, get_origin, get_box = _fast_calls()
    page = ctypes.cast(textpage, ctypes.c_void_p).value
    x, y, box, matrix = ctypes.c_double(), ctypes.c_double(), c.FS_RECTF(), c.FS_MATRIX()
    at_x, at_y, at_box, at_matrix = (ctypes.addressof(v) for v in (x, y, box, matrix))
    fonts: dict[Any, float] = {}
    # [text, x0, x1, top, origin y, text object]; a generated space has no text object
    chars: list[list[Any]] = []
    text_object = b""
    rise = 0.0  # baseline to top: the font size less its descent
    for i, u in enumerate(units):
        if not i & 4095:
            _check_time(started)
        if u in _MAYBE_GENERATED and is_generated(page, i) == 1:
            if u == 32 and chars and chars[-1][5] is not None:
                get_origin(page, i, at_x, at_y)
                chars.append([" ", x.value, x.value, chars[-1][3], chars[-1][4], None])
            continue
        get_matrix(page, i, at_matrix)
        if bytes(matrix) != text_object:  # the text object's matrix (its origin included)
            if matrix.b or matrix.c or matrix.a <= 0 or matrix.d <= 0:
                raise _NotLaidOut("rotated, skewed or mirrored text")
            rise = _rise(c, textpage, i, matrix.d, fonts)
            text_object = bytes(matrix)
        get_origin(page, i, at_x, at_y)
        get_box(page, i, at_box)
        ox, oy = x.value, y.value
        if chars and chars[-1][5] is None:
            space = chars.pop()
            before = chars[-1] if chars else None
            if before is not None and before[2] <= ox:
                gap = ox - before[2]
                if gap > _TOLERANCE or (before[5] != text_object and abs(before[4] - oy) < 0.01):
                    at = min(max(space[1], before[2]), ox)
                    chars.append([" ", at, at, before[3], before[4], None])
        if u == 0xFFFE:  # the page text's mark where the character list has 0x02
            u = c.FPDFText_GetUnicode(textpage, i)
        text = "-" if u == 2 else chr(u)  # 0x02: pdfium's mark of a hyphen ending a line
        if chars:
            prev = chars[-1]
            if prev[5] == text_object and prev[4] == oy:
                if prev[1] == ox:  # one glyph, several characters: one pdfminer character
                    prev[0] += text
                    continue
                if prev[1] < ox < prev[2]:
                    prev[2] = ox  # a glyph's box may overhang its advance: the next one starts there
        chars.append([text, ox, box.right, height - (oy + rise), oy, text_object])
    if chars and chars[-1][5] is None:
        chars.pop()
    out = []
    for char in chars:
        text = char[0]
        if len(text) > 1 and any("\ud800" <= ch <= "\udfff" for ch in text):  # UTF-16 pairs
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        elif "\ud800" <= text <= "\udfff":  # a lone surrogate
            text = "\ufffd"
        out.append((text, char[1], char[2], char[3]))
    return out


_FAST_CALLS: list[Any] = []


def _fast_calls() -> list[Any]:
    """pdfium's per-character functions taking plain addresses: ctypes converts an int faster
    than a pointer object, and these run four times a character."""
    if not _FAST_CALLS:
        import ctypes

        import pypdfium2.raw as c

        def plain(function: Any, arguments: int) -> Any:
            address = ctypes.cast(function, ctypes.c_void_p).value
            prototype = ctypes.CFUNCTYPE(
                ctypes.c_int, ctypes.c_void_p, ctypes.c_int, *[ctypes.c_void_p] * arguments
            )
            return prototype(address)

        _FAST_CALLS.extend(
            (
                plain(c.FPDFText_IsGenerated, 0),
                plain(c.FPDFText_GetMatrix, 1),
                plain(c.FPDFText_GetCharOrigin, 2),
                plain(c.FPDFText_GetLooseCharBox, 1),
            )
        )
    return _FAST_CALLS


def _rise(c: Any, textpage: Any, index: int, scale: float, fonts: dict[Any, float]) -> float:
    """Baseline to the top of pdfminer's box: the font size (scaled) times 1 + descent."""
    import ctypes

    text_object = c.FPDFText_GetTextObject(textpage, index)
    size = ctypes.c_float()
    c.FPDFTextObj_GetFontSize(text_object, size)
    font = c.FPDFTextObj_GetFont(text_object)
    key = ctypes.cast(font, ctypes.c_void_p).value
    descent = fonts.get(key)
    if descent is None:
        length = c.FPDFFont_GetBaseFontName(font, None, 0)
        name = b""
        if 0 < length < 256:
            buffer = ctypes.create_string_buffer(length)
            c.FPDFFont_GetBaseFontName(font, buffer, length)
            name = buffer.value
        standard = _STANDARD_DESCENTS.get(name.decode("latin-1"))
        if standard is not None and not c.FPDFFont_GetIsEmbedded(font):
            descent = standard
        else:
            value = ctypes.c_float()
            c.FPDFFont_GetDescent(font, ctypes.c_float(1000.0), value)
            descent = value.value
        descent = -abs(descent) / 1000
        fonts[key] = descent
    return scale * size.value * (1 + descent)


def _clusters(values: Iterable[float]) -> dict[float, int]:
    """pdfplumber's cluster_list: sorted values chained while within the tolerance."""
    ids: dict[float, int] = {}
    cluster = -1
    last = float("-inf")
    for value in sorted(set(values)):
        if value > last + _TOLERANCE:
            cluster += 1
        ids[value] = cluster
        last = value
    return ids


def _words(chars: list[tuple[str, float, float, float]]) -> list[tuple[str, float, float]]:
    """pdfplumber's words (text, x0, top), line by line."""
    ids = _clusters(char[3] for char in chars)
    lines: dict[int, list[tuple[str, float, float, float]]] = {}
    for char in chars:
        lines.setdefault(ids[char[3]], []).append(char)
    words: list[tuple[str, float, float]] = []
    for cluster in sorted(lines):
        current: list[tuple[str, float, float, float]] = []
        for char in sorted(lines[cluster], key=_X0):
            if char[0].isspace():
                if current:
                    words.append(_word(current))
                current = []
                continue
            if current:
                prev = current[-1]
                if char[1] < prev[1] or char[1] > prev[2] + _TOLERANCE or abs(char[3] - prev[3]) > _TOLERANCE:
                    words.append(_word(current))
                    current = []
            current.append(char)
        if current:
            words.append(_word(current))
    return words


def _word(chars: list[tuple[str, float, float, float]]) -> tuple[str, float, float]:
    text = "".join([char[0] for char in chars])
    if not text.isascii() and any(char[0] in _LIGATURES for char in chars):
        text = "".join([_LIGATURES.get(char[0], char[0]) for char in chars])
    return text, chars[0][1], min([char[3] for char in chars])


_X0 = itemgetter(1)


def _word_lines(
    words: list[tuple[str, float, float]], *, keep_order: bool
) -> list[list[tuple[str, float, float]]]:
    ids = _clusters(word[2] for word in words)
    if not keep_order:
        words = sorted(words, key=lambda word: ids[word[2]])
    lines: list[list[tuple[str, float, float]]] = []
    last = None
    for word in words:
        cluster = ids[word[2]]
        if cluster != last:
            lines.append([])
            last = cluster
        lines[-1].append(word)
    return lines


def _plain_lines(words: list[tuple[str, float, float]]) -> str:
    """pdfplumber's ``extract_text()``: words joined by a space, lines by a line break."""
    return "\n".join(" ".join(word[0] for word in line) for line in _word_lines(words, keep_order=False))


def _laid_out(
    words: list[tuple[str, float, float]], width: float, height: float, x_origin: float, y_origin: float
) -> str:
    """pdfplumber's ``extract_text(layout=True)`` of the words (its ``WordMap.to_textmap``)."""
    width_chars = round(width / _X_DENSITY)
    height_chars = round(height / _Y_DENSITY)
    blank = " " * width_chars
    out: list[str] = []
    at_line_start = True  # nothing written yet, or a line break last
    newlines = 0
    for number, line in enumerate(_word_lines(words, keep_order=True)):
        breaks = max(int(number > 0), round((line[0][2] - y_origin) / _Y_DENSITY) - newlines)
        for _ in range(breaks):
            if at_line_start:
                out.append(blank)
            out.append("\n")
            at_line_start = True
        newlines += breaks
        length = 0
        for text, x0, _top in line:
            spaces = max(min(1, length), round((x0 - x_origin) / _X_DENSITY) - length)
            out.append(" " * spaces)
            out.append(text)
            length += spaces + len(text)
        out.append(" " * (width_chars - length))
        at_line_start = False
    for number in range(height_chars - (newlines + 1)):
        if number > 0:
            out.append(blank)
        out.append("\n")
    text = "".join(out)
    return text[:-1] if text.endswith("\n") else text


# -------------------------------------------------------------------------------------- scans

_IMAGE_TYPES = {"image/png", "image/jpeg", "image/jpg", "image/tiff", "image/gif", "image/bmp", "image/webp"}


def read_scan(data: bytes, *, content_type: str) -> SupplierInvoice:
    """The supplier invoice that Tesseract reads on an image or a scanned PDF (engine ``tesseract``).

    Raises ``UnreadableDocument``: ``no_ocr`` when the ``tesseract`` binary is not installed,
    ``unsupported_type`` for anything but a PDF or an image, ``ocr_failed`` when it fails.
    """
    _check_size(data)
    kind = content_type.split(";")[0].strip().lower()
    if kind != "application/pdf" and kind not in _IMAGE_TYPES:
        raise UnreadableDocument("unsupported_type", f"cannot OCR a document of type {kind or 'unknown'}")
    binary = shutil.which("tesseract")
    if binary is None:
        raise UnreadableDocument(
            "no_ocr", "OCR is not available here: the tesseract program is not installed (scans need it)"
        )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ocr-") as folder:
        work = Path(folder)
        if kind == "application/pdf":
            if b"%PDF-" not in data[:1024]:
                raise UnreadableDocument("not_pdf", "the file is not a PDF (no %PDF- header)")
            images = _render_pages(data, work)
        else:
            source = work / "page"
            source.write_bytes(data)
            images = [source]
        texts = []
        for image in images:
            remaining = TIME_LIMIT * 4 - (time.monotonic() - started)
            if remaining <= 0:
                raise UnreadableDocument("timeout", "OCR took too long")
            texts.append(_tesseract(binary, image, min(OCR_TIMEOUT, remaining)))
    if sum(sum(c.isalnum() for c in text) for text in texts) < MIN_TEXT_PER_PAGE:
        raise UnreadableDocument("no_text", "OCR found no text in the document")
    return read_text("\f".join(texts), document_hash=_sha256(data), engine=Engine.TESSERACT, pages=len(texts))


def _render_pages(data: bytes, work: Path) -> list[Path]:
    """The PDF's pages as PNG images (pypdfium2 when installed, else poppler's pdftoppm)."""
    try:
        import pypdfium2
    except ImportError:
        pypdfium2 = None
    if pypdfium2 is not None:
        try:
            document = pypdfium2.PdfDocument(data)
        except Exception as error:
            raise UnreadableDocument(
                "not_pdf", f"the PDF cannot be rendered ({type(error).__name__})"
            ) from None
        try:
            if len(document) > MAX_PAGES:
                raise UnreadableDocument("too_many_pages", f"the PDF has more than {MAX_PAGES} pages")
            paths = []
            for index in range(len(document)):
                path = work / f"page-{index + 1:03d}.png"
                document[index].render(scale=OCR_DPI / 72).to_pil().save(path)
                paths.append(path)
            return paths
        finally:
            document.close()
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise UnreadableDocument("no_ocr", "cannot render PDF pages for OCR: neither pypdfium2 nor pdftoppm")
    source = work / "document.pdf"
    source.write_bytes(data)
    try:
        subprocess.run(
            [pdftoppm, "-r", str(OCR_DPI), "-png", "-l", str(MAX_PAGES + 1), str(source), str(work / "page")],
            check=True,
            capture_output=True,
            timeout=OCR_TIMEOUT * 2,
        )
    except (subprocess.SubprocessError, OSError) as error:
        raise UnreadableDocument("not_pdf", f"the PDF cannot be rendered ({type(error).__name__})") from None
    paths = sorted(work.glob("page*.png"))
    if len(paths) > MAX_PAGES:
        raise UnreadableDocument("too_many_pages", f"the PDF has more than {MAX_PAGES} pages")
    return paths


def _tesseract(binary: str, image: Path, timeout: float) -> str:
    try:
        done = subprocess.run(
            [binary, str(image), "stdout", "-l", OCR_LANGUAGES, "--psm", "6"],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise UnreadableDocument("timeout", "OCR took too long") from None
    except (subprocess.SubprocessError, OSError) as error:
        raise UnreadableDocument("ocr_failed", f"tesseract failed ({type(error).__name__})") from None
    return done.stdout.decode("utf-8", "replace")[:PAGE_TEXT_LIMIT]


def _check_size(data: bytes) -> None:
    if not data:
        raise UnreadableDocument("empty", "the document is empty (0 bytes)")
    if len(data) > MAX_BYTES:
        raise UnreadableDocument("too_large", f"the document is larger than {MAX_BYTES // (1024 * 1024)} MB")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -------------------------------------------------------------------------------- the text model


@dataclass(frozen=True, slots=True)
class _Cell:
    line: int
    start: int
    end: int
    text: str


@dataclass(slots=True)
class _Doc:
    lines: list[str]
    #: the page (0-based) of each line
    page_of: list[int]
    cells: list[list[_Cell]]
    #: per line: spans masked from amount reading (dates, identifiers)
    masks: list[list[tuple[int, int]]] = field(default_factory=list)
    #: (line, start, end) of cells under a buyer heading
    buyer_zone: list[tuple[int, int, int]] = field(default_factory=list)
    #: same for a fiscal representative's block
    other_zone: list[tuple[int, int, int]] = field(default_factory=list)
    month_first: bool = False

    def in_zone(self, zone: list[tuple[int, int, int]], line: int, start: int, end: int) -> bool:
        return any(z_line == line and start < z_end and end > z_start for z_line, z_start, z_end in zone)


_SPACES = re.compile(r"[^\S\n\f]")  # every white space but line and page breaks
_CELL = re.compile(r"\S+(?: \S+)*")


def _clean_text(text: str) -> str:
    """``text`` without the refused characters, white space made plain (tabs expanded)."""
    text = without_refused(text, keep="\f").replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = "\n".join(line.expandtabs(8) for line in text.split("\n"))
    text = _SPACES.sub(" ", text)
    # "F actuurnummer:" (a capital set apart by the PDF's kerning) is one word
    return _SPLIT_CAPITAL.sub(r"\1\2\3", text)


_SPLIT_CAPITAL = re.compile(r"(^|  )([A-Z]) ([a-zäöüéè]{4,}\s?:)", re.MULTILINE)


def _one_line(text: str) -> str:
    return one_line(text, VALUE_LIMIT).strip(" ,;:-–—|")


def _build(text: str) -> _Doc:
    lines: list[str] = []
    pages: list[int] = []
    for page, page_text in enumerate(text.split("\f")):
        for line in page_text.split("\n"):
            lines.append(line[:LINE_LIMIT].rstrip())
            pages.append(page)
    cells = [
        [_Cell(index, m.start(), m.end(), m.group()) for m in _CELL.finditer(line)]
        for index, line in enumerate(lines)
    ]
    return _Doc(lines, pages, cells)


# ------------------------------------------------------------------------------------- values


def _month_first(lines: Iterable[str]) -> bool:
    """Whether the numeric dates of the document are written month first (03/20/2023)."""
    return sum(date_order(line) for line in lines) > 0


def _money(line: str, masks: list[tuple[int, int]] | None = None) -> list[FoundAmount]:
    """The amounts of ``line`` that are not percentages."""
    return [a for a in find_amounts(line, masks or ()) if not a.percent]


# ------------------------------------------------------------------------------------- labels


def _labels(*parts: str) -> re.Pattern[str]:
    body = "|".join(f"(?:{p})" for p in parts)
    return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W\d_])", re.IGNORECASE)


_N = r"(?:n[°ºo]\.?|no\.?|nr\.?|num[ée]ro|number|nummer|numer|#|№)"

_NUMBER_LABELS = (
    (_labels(rf"facture\s*{_N}", rf"{_N}\s*(?:de\s+)?(?:la\s+)?facture", r"num[ée]ro\s+de\s+facture"), 3.0),
    (
        _labels(
            rf"invoice\s*{_N}", r"invoice\s+id", rf"{_N}\s*(?:of\s+)?invoice", r"invoice\s+ref(?:erence)?"
        ),
        3.0,
    ),
    (
        _labels(
            r"rechnungs[\s-]?(?:nummer|nr\.?|no\.?)", rf"rechnung\s*{_N}", r"beleg[\s-]?(?:nummer|nr\.?)"
        ),
        3.0,
    ),
    (
        _labels(
            rf"avoir\s*{_N}", rf"credit\s*note\s*{_N}", r"gutschrift(?:s[\s-]?(?:nummer|nr\.?))?\s*(?:nr\.?)?"
        ),
        3.0,
    ),
    (
        _labels(
            r"factuur\s*(?:nummer|nr\.?)", rf"faktura\s*(?:vat\s*)?{_N}?", rf"bill\s*{_N}", rf"receipt\s*{_N}"
        ),
        2.5,
    ),
    (_labels(r"facture", r"invoice", r"rechnung", r"avoir", r"credit\s+note", r"factuur"), 1.2),
    (_labels(rf"document\s*{_N}", rf"doc\.?\s*{_N}", r"booking\s+id", r"n[°º]", r"no\."), 1.0),
)
_ISSUE_LABELS = (
    (
        _labels(
            r"date\s+de\s+(?:la\s+)?facture",
            r"date\s+de\s+facturation",
            r"date\s+d['’]?[ée]mission",
            r"date\s+(?:de\s+l['’]?)?avoir",
            r"invoice\s+date",
            r"date\s+of\s+(?:issue|invoice)",
            r"issue\s+date",
            r"date\s+issued",
            r"billing\s+date",
            r"rechnungsdatum",
            r"belegdatum",
            r"ausstellungsdatum",
            r"gutschriftsdatum",
            r"factuur\s*datum",
            r"data\s+wystawienia",
        ),
        3.0,
    ),
    (_labels(r"date", r"datum", r"dated", r"le", r"du", r"vom", r"from"), 1.0),
)
_DUE_LABELS = (
    (
        _labels(
            r"date\s+d['’]?[ée]ch[ée]ance",
            r"[ée]ch[ée]ance",
            r"date\s+limite(?:\s+de\s+(?:paiement|r[èe]glement))?",
            r"(?:[àa]\s+)?payer\s+(?:avant|au\s+plus\s+tard)(?:\s+le)?",
            r"payable\s+(?:avant|le|by|until|on)",
            r"due\s+date",
            r"date\s+due",
            r"payment\s+due(?:\s+date)?",
            r"due\s+(?:on|by)",
            r"pay\s+by",
            r"f[äa]llig(?:keitsdatum|\s+am|\s+bis)?",
            r"zahlbar\s+(?:bis|am)(?:\s+zum)?",
            r"zahlungsziel",
            r"vervaldatum",
            r"termin\s+p[łl]atno[śs]ci",
        ),
        3.0,
    ),
)
#: Words that make a bare "date" label something else than the issue date.
_NOT_ISSUE = re.compile(
    r"(?<!\w)(?:commande|order|livraison|delivery|d[ée]but|fin|start|end|limite|[ée]ch[ée]ance|due|"
    r"paiement|payment|prestation|service|check|naissance|birth|lieferung|liefer\w*|bestell\w*|"
    r"leistung\w*|f[äa]llig\w*|associ[ée]e|li[ée]e|pr[ée]l[èe]vement|period|p[ée]riode|zeitraum|"
    r"orderdatum|print|impression|valeur|value|expir\w*)(?!\w)",
    re.IGNORECASE,
)

# totals: (pattern, kind, strength)
_TOTAL_LABELS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (
        _labels(
            r"total\s*\(?h\.?\s?t\.?\)?",
            r"total\s+hors\s+tax\w*",
            r"montant\s+(?:total\s+)?(?:eur\s+)?h\.?\s?t\.?",
            r"total\s+(?:net\s+)?h\.?t\.?",
            r"total\s+\(?excl\.?(?:uding|usive)?\s*(?:of\s+)?(?:vat|tax\w*|gst|btw)\)?",
            r"total\s+(?:before|without|w/o|net\s+of)\s+(?:vat|tax\w*)",
            r"total\s+net",
            r"net\s+total",
            r"amount\s+(?:excl\.?|excluding|before)\s*(?:vat|tax\w*)",
            r"nettobetrag",
            r"netto[\s-]?(?:summe|betrag|gesamt|rechnungsbetrag|endbetrag)",
            r"gesamt[\s-]?netto(?:betrag)?",
            r"summe\s+netto",
            r"rechnungsbetrag\s+netto",
            r"exclusief\s+btw",
            r"totaal\s+excl\.?(?:\s+btw)?",
            r"razem\s+netto",
            r"warto[śs][ćc]\s+netto",
        ),
        "excl",
        3.0,
    ),
    (
        _labels(
            r"sub[\s-]?total",
            r"sous[\s-]total(?:\s+h\.?t\.?)?",
            r"zwischensumme",
            r"subtota(?:a)?l",
            r"net\s+amount",
            r"taxable\s+amount",
            r"base\s+h\.?t\.?",
            r"net(?:to)?(?=\s*:?\s*[-€$£(]?\s*\d)",
        ),
        "excl",
        2.0,
    ),
    (
        _labels(
            r"total\s+(?:de\s+la\s+|des\s+)?t\.?v\.?a\.?",
            r"montant\s+(?:total\s+)?(?:de\s+la\s+|des\s+)?t\.?v\.?a\.?",
            r"total\s+(?:vat|tax(?:es)?|gst)",
            r"(?:vat|tax)\s+(?:total|amount)",
            r"mwst\.?[\s-]?(?:betrag|summe)",
            r"summe\s+(?:mwst|ust)\.?",
            r"gesamt\s*(?:mwst|ust)\.?",
            r"ust\.?[\s-]?betrag",
            r"umsatzsteuer(?:betrag)?",
            r"mehrwertsteuer(?:betrag)?",
            r"btw[\s-]?bedrag",
            r"totaal\s+btw",
            r"kwota\s+vat",
        ),
        "tax",
        3.0,
    ),
    (
        _labels(
            r"t\.?v\.?a\.?",
            r"taxes?",
            r"vat",
            r"mwst\.?",
            r"ust\.?",
            r"btw",
            r"gst",
            r"sales\s+tax",
            r"igst|cgst|sgst",
        ),
        "tax",
        1.8,
    ),
    (
        _labels(
            r"total\s*\(?t\.?\s?t\.?\s?c\.?\)?",
            r"montant\s+(?:total\s+)?(?:eur\s+)?t\.?\s?t\.?\s?c\.?",
            r"total\s+toutes\s+taxes(?:\s+comprises)?",
            r"total\s+\(?(?:incl\.?|including|inclusive|inc\.?)\s*(?:of\s+)?(?:vat|tax\w*|gst|btw)\)?",
            r"grand\s+total",
            r"total\s+amount",
            r"invoice\s+(?:total|amount)",
            r"total\s+(?:for|of)\s+this\s+invoice",
            r"total\s+facture",
            r"montant\s+total",
            r"gesamtbetrag",
            r"brutto[\s-]?(?:betrag|summe|gesamt)",
            r"bruttobetrag",
            r"rechnungsbetrag(?:\s+brutto)?",
            r"rechnungssumme",
            r"gesamtsumme",
            r"endbetrag",
            r"summe\s+brutto",
            r"totaal\s+incl\.?(?:\s+btw)?",
            r"factuur\s*totaal",
            r"nale[żz]no[śs][ćc]\s+og[óo][łl]em",
            r"razem\s+brutto",
            r"warto[śs][ćc]\s+brutto",
        ),
        "incl",
        3.0,
    ),
    (_labels(r"total", r"totaal", r"summe", r"gesamt", r"razem", r"montant"), "incl", 1.2),
    (
        _labels(
            r"net\s+(?:[àa]\s+)?payer",
            r"(?:reste|montant|somme|solde)\s+(?:[àa]\s+)?payer",
            r"total\s+(?:[àa]\s+)?payer",
            r"solde\s+d[ûu]",
            r"(?:total\s+)?amount\s+due",
            r"balance\s+due",
            r"total\s+due",
            r"amount\s+payable",
            r"(?:amount\s+)?to\s+pay",
            r"zahlbetrag",
            r"zu\s+zahlen(?:der\s+betrag)?",
            r"offener\s+betrag",
            r"restbetrag",
            r"te\s+betalen",
            r"do\s+zap[łl]aty",
        ),
        "due",
        3.0,
    ),
    (
        _labels(
            r"acompte(?:s)?(?:\s+vers[ée]s?)?",
            r"(?:montant\s+)?d[ée]j[àa]\s+(?:pay[ée]|r[ée]gl[ée]|vers[ée])",
            r"prepaid(?:\s+amount)?",
            r"(?:amount\s+)?paid",
            r"anzahlung",
            r"bereits\s+(?:bezahlt|gezahlt|erhalten)",
            r"vorauszahlung",
        ),
        "prepaid",
        2.0,
    ),
)
#: A tax label that is in fact an identifier's label or a mention ("N° TVA", "TVA acquittée"...).
_TAX_LABEL_NOISE = re.compile(
    r"\s*(?:intra\w*|n[°º]|no\.?(?!\w)|nr\.?|number|num[ée]ro|id\b|-?id(?:nr)?\.?|reg\w*|/tin|acquitt\w*|"
    r"nummer|pay[ée]e?|sur\s+les|non\s+applicable|exon\w*|code|regime|r[ée]gime|rate|taux|summary|"
    r"r[ée]capitulatif|details?|d[ée]tail|included|inclus\w*|identification|\(%\)|%\s*$|statement|invoice)",
    re.IGNORECASE,
)
_BEFORE_NOISE = re.compile(
    r"(?:n[°º]|no\.?|num[ée]ro|votre|your|uw|ihre|client|customer|kunden?|taux|rate|"
    r"prix|price|p\.u\.|unit|incl\.?|excl\.?|hors|inklusive|zzgl\.?|inkl\.?|de|sans|ohne|%|prijzen|inclusief)\s*$",
    re.IGNORECASE,
)

_BUYER_HEADINGS = _labels(
    r"client",
    r"customer",
    r"bill(?:ed)?\s+to",
    r"invoice\s+to",
    r"sold\s+to",
    r"ship(?:ped)?\s+to",
    r"deliver(?:y|ed)?\s+to",
    r"factur[ée]\s+[àa]",
    r"adress[ée]e?\s+[àa]",
    r"adresse\s+(?:de\s+|du\s+)?(?:facturation|livraison|client)",
    r"destinataire",
    r"acheteur",
    r"buyer",
    r"kunde",
    r"rechnungsempf[äa]nger",
    r"rechnungsanschrift",
    r"lieferanschrift",
    r"lieferadresse",
    r"empf[äa]nger",
    r"nabywca",
    r"factuuradres",
    r"afleveradres",
    r"vos\s+identifiants",
    r"billing\s+address",
    r"shipping\s+address",
    r"livraison",
    r"guest\s+name",
    r"recipient",
)
_OTHER_HEADINGS = _labels(r"repr[ée]sentant\s+fiscal", r"tax\s+representative", r"fiskalvertreter")
_SELLER_LABELS = (
    (
        _labels(
            r"vendeur",
            r"fournisseur",
            r"[ée]metteur",
            r"prestataire",
            r"seller",
            r"supplier",
            r"vendor",
            r"sold\s+by",
            r"service\s+provider",
            r"issued\s+by",
            r"verk[äa]ufer",
            r"lieferant",
            r"rechnungssteller",
            r"leistungserbringer",
            r"sprzedawca",
            r"leverancier",
        ),
        2.5,
    ),
    (
        _labels(
            r"titulaire(?:\s+du\s+compte)?",
            r"b[ée]n[ée]ficiaire",
            r"account\s+(?:holder|name)",
            r"kontoinhaber",
            r"payee",
            r"beneficiary",
            r"in\s+favou?r\s+of",
            r"pay(?:able)?\s+to",
            r"make\s+(?:all\s+)?(?:checks|cheques)\s+payable\s+to",
        ),
        2.0,
    ),
)
_LEGAL_FORM = re.compile(
    r"(?<![^\W_])(?:SAS|SASU|SARL|EURL|SA|SNC|SCI|SCOP|SCA|SELARL|SELAS|GIE|EI|EIRL|"
    r"GmbH(?:\s*&\s*Co\.?\s*KG)?|AG|KG|OHG|UG(?:\s*\(haftungsbeschr[äa]nkt\))?|e\.\s?K\.|e\.V\.|"
    r"Ltd\.?|Limited|LLC|L\.L\.C\.|Inc\.?|Corp\.?|Corporation|PLC|LLP|LP|Co\.?|"
    r"B\.V\.|N\.V\.|BV|NV|S\.A\.S?\.?|S\.A\.R\.L\.?|S\.p\.A\.|SpA|S\.L\.|S\.r\.l\.|Srl|"
    r"Pvt\.?\s*Ltd\.?|Private\s+Limited|sp\.\s*z\s*o\.\s*o\.|sp[óo][łl]ka\s+akcyjna|"
    r"Soci[ée]t[ée]\s+(?:anonyme|par\s+actions\s+simplifi[ée]e|[àa]\s+responsabilit[ée]\s+limit[ée]e))"
    r"(?![^\W\d_])",
)
_SOLD_BY = re.compile(
    r"(?:sold|issued|provided|supplied)\s+by\s|payable\s+to\s|in\s+favou?r\s+of\s", re.IGNORECASE
)
_LEGAL_FORM_ANY_CASE = re.compile(_LEGAL_FORM.pattern, re.IGNORECASE)
_LEGAL_MENTION = re.compile(
    r"(?<!\w)(?:siren|siret|rcs|r\.c\.s\.|capital|si[èe]ge\s+social|tva\s+intra\w*|vat\s+(?:no|reg)|"
    r"ust[\s-]?id\w*|registergericht|handelsregister|hrb|amtsgericht|geschäftsführer|kvk|btw|"
    r"company\s+(?:no|number|registration)|registered\s+(?:office|in)|ape|naf|cin|gstin)(?!\w)",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"^(?:\d{1,5}\s*(?:bis|ter|[a-z])?\s*,?\s+(?:rue|avenue|av\.?|bd|boulevard|place|pl\.|chemin|all[ée]e|impasse|"
    r"route|quai|cours|square|rte|lieu|zone|za|zi|parc|street|st\.?|road|rd\.?|lane|drive|way|ave\.?)\b|"
    r"\d{1,5}[\s,]+\w+(?:\s+\w+)?\s+(?:street|st\.?|road|rd\.?|avenue|ave\.?|lane|drive|way|boulevard|blvd)\b|"
    r"[\w\-äöüß]+(?:stra(?:ss|ß)e|str\.|weg|gasse|platz|allee|ring|damm|ufer|straat|street|laan|plein|gracht|kade|dijk)\s*\d+|"
    r"(?:[A-Z]{1,2}-)?\d{4,5}\s+[A-ZÉ][\w\-' ]+|\d{2}-\d{3}\s+\w+|\d{4}\s?[A-Z]{2}\s+\w+|"
    r"(?:bp|cs|po\s+box|postfach)\s+\d+)",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(
    r"(?:^|\s)(?:facture|invoice|rechnung|avoir|gutschrift|factuur|faktura|credit\s+note|receipt|"
    r"page|seite|date|datum|total|tel|t[ée]l[ée]phone|phone|fax|e-?mail|www|http|iban|bic|swift|siret|"
    r"siren|tva|vat|n°|logo|description|d[ée]signation|quantit[ée]|montant|amount|adresse|address)(?:\s|$|[:.])",
    re.IGNORECASE,
)
_TITLE_WORD = re.compile(
    r"\s*(?:facture|invoice|tax\s+invoice|rechnung|avoir|gutschrift|credit\s+note|factuur|faktura|receipt)\s*$",
    re.IGNORECASE,
)
_CREDIT_TITLE = re.compile(
    r"^\s*(?:facture\s+d['’]?\s*avoir|avoir|credit\s*note|gutschrift|rechnungskorrektur|creditnota|"
    r"credit\s+memo|faktura\s+korygująca|korekta)(?:\s*(?:n[°º]|no\.?|nr\.?|#|:|\d|[A-Z]{1,4}[-/]?\d)|\s*$)",
    re.IGNORECASE,
)
_VAT_LABEL = re.compile(
    r"(?:t\.?v\.?a\.?|vat|ust|mwst|btw|iva|moms|nip|umsatzsteuer|steuer)[\w./\- ]{0,20}[:#]?\s*$",
    re.IGNORECASE,
)
_FR_ID_LINE = re.compile(r"(?<!\w)(?:siren|siret|rcs|r\.c\.s\.?)(?!\w)", re.IGNORECASE)
_FR_ID = re.compile(r"(?<!\d)(\d{3}\s?\d{3}\s?\d{3}(?:\s?\d{5})?)(?!\d)")
_BUYER_ID_CONTEXT = re.compile(
    r"(?:client|customer|votre|vos|your|uw|ihre|kunde\w*|acheteur|buyer|nabywca|destinataire|recipient)\W*"
    r"(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------- candidates


@dataclass(slots=True)
class _Candidate:
    value: Any
    score: float
    line: int
    start: int = 0
    kind: str = ""


def _after_label(line: str, end: int) -> tuple[str, int]:
    """The text right after a label (its colon, n°, # skipped) and its offset in the line."""
    m = re.compile(r"[\s:#°º.\-–=]*(?:(?:n[°º]|no\.?|nr\.?|number|#)(?![^\W\d_])[\s:#°º.\-–=]*)?").match(
        line, end
    )
    offset = m.end() if m else end
    return line[offset:], offset


def _below(doc: _Doc, line: int, start: int, end: int, depth: int = 6) -> Iterator[tuple[int, _Cell]]:
    """The cells under a span, nearest first (blank lines skipped, at most ``depth`` lines)."""
    seen = 0
    for index in range(line + 1, min(len(doc.lines), line + 1 + depth * 2)):
        if doc.page_of[index] != doc.page_of[line]:
            return
        if not doc.cells[index]:
            continue
        seen += 1
        if seen > depth:
            return
        for cell in doc.cells[index]:
            if cell.start < end + 1 and cell.end > start - 1:
                yield index, cell


def _heading(doc: _Doc, index: int, m: re.Match[str]) -> bool:
    """Whether a label is a column heading: alone in its cell (a colon allowed after it)."""
    cell = next((c for c in doc.cells[index] if c.start <= m.start() < c.end), None)
    if cell is None:
        return False
    return not doc.lines[index][cell.start : m.start()].strip() and not doc.lines[index][
        m.end() : cell.end
    ].strip(" :")


def _words_below(doc: _Doc, line: int, start: int, end: int, depth: int = 3) -> Iterator[_Cell]:
    """The words under a span, nearest line first."""
    done = -1
    for index, cell in _below(doc, line, start, end, depth):
        if index == done:
            continue
        for m in re.finditer(r"\S+", cell.text):
            word_start = cell.start + m.start()
            if word_start < end + 1 and word_start + len(m.group()) > start - 1:
                done = index
                yield _Cell(index, word_start, word_start + len(m.group()), m.group())


def _label_matches(
    doc: _Doc, table: Iterable[tuple[re.Pattern[str], float]]
) -> list[tuple[int, re.Match[str], float]]:
    """Every label match, the longest where several overlap."""
    found: list[tuple[int, re.Match[str], float]] = []
    for index, line in enumerate(doc.lines):
        if not line:
            continue
        matches = [(m, s) for pattern, s in table for m in pattern.finditer(line)]
        matches.sort(key=lambda item: (item[0].start(), -(item[0].end() - item[0].start())))
        last_end = -1
        for m, strength in matches:
            if m.start() < last_end:
                continue
            last_end = m.end()
            found.append((index, m, strength))
    return found


_IDENT = re.compile(r"#?\s?([A-Za-z0-9][A-Za-z0-9_\-/.]{0,39})")


def _identifier(text: str) -> str | None:
    m = _IDENT.match(text)
    if not m:
        return None
    value = m.group(1).rstrip(".-/")
    if not any(c.isdigit() for c in value) or find_dates(value) or len(value) > 40:
        return None
    if re.fullmatch(r"\d{1,2}[.,]\d{2}", value):
        return None
    return value


def _numbers(doc: _Doc) -> list[_Candidate]:
    out = []
    for index, m, strength in _label_matches(doc, _NUMBER_LABELS):
        line = doc.lines[index]
        rest, offset = _after_label(line, m.end())
        position = index / max(1, len(doc.lines))
        value = _identifier(rest)
        if value:
            out.append(_Candidate(value, strength + 1.0 - position, index, offset))
            continue
        if not _heading(doc, index, m):
            continue  # a word follows: "Invoice Summary", "Rechnung Seite 1", "Kopie factuur"
        for word in _words_below(doc, index, m.start(), m.end(), depth=3):
            value = _identifier(word.text)
            if value:
                out.append(_Candidate(value, strength + 0.6 - position, word.line, word.start))
                break
    # "# 12345" alone at the head of a line (an English template's invoice number)
    for index, line in enumerate(doc.lines[:40]):
        m = re.match(r"\s*#\s?([A-Za-z0-9][\w\-/.]{2,39})\s*$", line)
        if m and any(c.isdigit() for c in m.group(1)):
            out.append(_Candidate(m.group(1), 1.0, index))
    return out


def _date_candidates(
    doc: _Doc, table: Iterable[tuple[re.Pattern[str], float]], *, bare: bool
) -> list[_Candidate]:
    out = []
    for index, m, strength in _label_matches(doc, table):
        line = doc.lines[index]
        if bare and strength < 2:
            around = line[max(0, m.start() - 25) : m.end() + 25]
            if _NOT_ISSUE.search(around):
                continue
            if m.group().lower() in ("le", "du", "vom", "from"):
                # "Facture n° 12 du 02 juillet 2015", "Paris, le 3 mars 2024": only glued to a date
                found = find_dates(line[m.end() : m.end() + 30], month_first=doc.month_first)
                if found and found[0].start <= 2:
                    out.append(_Candidate(found[0].value, 1.5, index, m.end()))
                continue
        rest, offset = _after_label(line, m.end())
        found = find_dates(rest[:40], month_first=doc.month_first)
        if found and (found[0].start <= 3 or not re.search(r"[^\W\d_]{3}", rest[: found[0].start])):
            out.append(_Candidate(found[0].value, strength + 1.0, index, offset + found[0].start))
            continue
        if not _heading(doc, index, m):
            continue
        for _, cell in _below(doc, index, m.start(), m.end(), depth=3):
            found = [
                d
                for d in find_dates(cell.text, month_first=doc.month_first)
                if cell.start + d.start < m.end() + 1 and cell.start + d.end > m.start() - 1
            ]
            if found:
                out.append(_Candidate(found[0].value, strength + 0.6, cell.line, cell.start))
                break
    return out


# ------------------------------------------------------------------------------ identifiers


def _vat_ids(doc: _Doc) -> list[_Candidate]:
    out = []
    for index, line in enumerate(doc.lines):
        if not re.search(r"[A-Z]{2}", line):
            continue
        for m in VAT_ID.finditer(line):
            if any(s <= m.start() < e for s, e in doc.masks[index]):
                continue
            country = m.group(1)
            compact = re.sub(r"[ .\-]", "", m.group(2))
            labelled = bool(_VAT_LABEL.search(line[max(0, m.start() - 30) : m.start()]))
            for length in range(len(compact), 7, -1):
                candidate = country + compact[:length]
                checksum = vat_check(candidate)
                # a well-formed id with a wrong check digit (sample documents' DE123456789) counts
                # only right after a VAT label, and weighs less
                if checksum is True or (checksum is False and labelled):
                    end = _span_end(line, m.start(), len(candidate))
                    score = 0.0 if checksum else -1.0
                    out.append(_Candidate(candidate, score, index, m.start(), kind=line[: m.start()]))
                    doc.masks[index].append((m.start(), end))
                    break
    return out


def _span_end(line: str, start: int, characters: int) -> int:
    """Where a compacted value of ``characters`` alphanumerics that starts at ``start`` ends."""
    count = 0
    for position in range(start, len(line)):
        if line[position].isalnum():
            count += 1
            if count == characters:
                return position + 1
    return len(line)


def _ibans(doc: _Doc) -> list[_Candidate]:
    out = []
    for index, line in enumerate(doc.lines):
        if not re.search(r"[A-Z]{2}\d{2}", line):
            continue
        for m in IBAN.finditer(line):
            compact = m.group(1).replace(" ", "")
            value = iban_at(compact)
            if value:
                out.append(_Candidate(value, 0.0, index, m.start(), kind=line[: m.start()]))
                doc.masks[index].append((m.start(), _span_end(line, m.start(), len(value))))
    return out


def _fr_ids(doc: _Doc) -> list[_Candidate]:
    out = []
    for index, line in enumerate(doc.lines):
        if not _FR_ID_LINE.search(line):
            continue
        for m in _FR_ID.finditer(line):
            found = french_id(re.sub(r"\s", "", m.group(1)))
            if found is None:
                continue
            out.append(_Candidate(found, 0.0, index, m.start(), kind=line[: m.start()]))
            doc.masks[index].append((m.start(), m.end()))
    return out


def _is_buyer(doc: _Doc, candidate: _Candidate) -> bool:
    before = candidate.kind[-40:]
    return bool(_BUYER_ID_CONTEXT.search(before)) or doc.in_zone(
        doc.buyer_zone, candidate.line, candidate.start, candidate.start + 5
    )


def _zones(doc: _Doc) -> None:
    """Mark the cells under buyer headings (and fiscal representatives' blocks)."""
    for heading, zone in ((_BUYER_HEADINGS, doc.buyer_zone), (_OTHER_HEADINGS, doc.other_zone)):
        for index, cells in enumerate(doc.cells):
            for cell in cells:
                m = heading.search(cell.text)
                if not m or any(c.isdigit() for c in cell.text) or len(cell.text.split()) > 5:
                    continue
                if re.match(r"\s*(?:r[ée]f|n[°º]|no\b|nr\b|id\b|code|num)", cell.text, re.IGNORECASE):
                    continue
                start = cell.start + m.start()
                # the rest of the line to the right of the heading, then the block under it
                zone.append((index, start, len(doc.lines[index])))
                width_end = max(cell.end, start + 25)
                for below_index, below in _below(doc, index, start, width_end, depth=7):
                    zone.append((below_index, max(below.start, start - 2), below.end))


# -------------------------------------------------------------------------------- totals


def _totals(doc: _Doc) -> dict[str, list[_Candidate]]:
    found: dict[str, list[_Candidate]] = {"excl": [], "tax": [], "incl": [], "due": [], "prepaid": []}
    total_lines = max(1, len(doc.lines))
    header_kinds: dict[int, set[str]] = {}
    for index, m, strength in _label_matches(doc, [(p, s) for p, _, s in _TOTAL_LABELS]):
        kind = next(k for p, k, s in _TOTAL_LABELS if p is m.re)
        line = doc.lines[index]
        if kind == "tax" and (
            _TAX_LABEL_NOISE.match(line, m.end())
            or _BEFORE_NOISE.search(line[max(0, m.start() - 12) : m.start()])
        ):
            continue
        if (
            kind in ("excl", "incl")
            and strength < 2
            and _BEFORE_NOISE.search(line[max(0, m.start() - 12) : m.start()])
        ):
            continue
        header_kinds.setdefault(index, set()).add(kind)
        late = 0.5 * index / total_lines
        masks = doc.masks[index]
        after = [a for a in _money(line, masks) if a.start >= m.end()]
        # an amount further right than the next label is that label's
        if after:
            first = after[0]
            gap = line[m.end() : first.start]
            if len(gap) < 60 and not re.search(r"[^\W\d_]{4,}", gap.replace("EUR", "")):
                found[kind].append(_Candidate(first.value, strength + 1.0 + late, index, first.start))
            elif len(gap) < 60:
                found[kind].append(_Candidate(first.value, strength + 0.2 + late, index, first.start))
            if after[-1] is not first:
                found[kind].append(_Candidate(after[-1].value, strength + 0.3 + late, index, after[-1].start))
            continue
        for below_index, _cell in _below(doc, index, m.start(), m.end(), depth=4):
            amounts = [
                a
                for a in _money(doc.lines[below_index], doc.masks[below_index])
                if a.start < m.end() + 2 and a.end > m.start() - 2
            ]
            if amounts:
                found[kind].append(
                    _Candidate(amounts[0].value, strength + 0.6 + late, below_index, amounts[0].start)
                )
                break
    # rows of three amounts where the first two add up to the third, under or beside totals labels
    for index, line in enumerate(doc.lines):
        amounts = _money(line, doc.masks[index])
        if len(amounts) < 3:
            continue
        nearby = set().union(*(header_kinds.get(i, set()) for i in range(max(0, index - 5), index + 1)))
        bonus = (
            1.5
            if {"excl", "incl"} <= nearby or {"excl", "tax"} <= nearby or {"tax", "incl"} <= nearby
            else 0.0
        )
        for a, b, c in zip(amounts, amounts[1:], amounts[2:], strict=False):
            if c.value and a.value and a.value + b.value == c.value and abs(b.value) < abs(c.value):
                for kind, amount in (("excl", a), ("tax", b), ("incl", c)):
                    found[kind].append(_Candidate(amount.value, 0.5 + bonus, index, amount.start, kind="row"))
    return found


def _vat_breakdown(doc: _Doc) -> list[VatAmount]:
    rows: list[VatAmount] = []
    for index, line in enumerate(doc.lines):
        if "%" not in line and not re.search(r"\d[.,]\d", line):
            continue
        amounts = find_amounts(line, doc.masks[index])
        rates = [a for a in amounts if a.percent and Decimal(0) <= a.value <= Decimal(30)]
        if not rates:
            # "20.0   -20,48 €   -4,10 €": a bare rate at the head of a breakdown row
            money = _money(line, doc.masks[index])
            if len(money) >= 3 and Decimal(0) < money[0].value <= Decimal(30) and money[0].value in _RATES:
                rates, amounts = [money[0]], money
            else:
                continue
        money = [a for a in amounts if not a.percent]
        for rate in rates:
            for i, base in enumerate(money):
                for tax in money[i + 1 : i + 3]:
                    if base is rate or tax is rate:
                        continue
                    expected = base.value * rate.value / 100
                    if base.value and abs(expected - tax.value) <= max(
                        _CENT, abs(tax.value) * Decimal("0.002")
                    ):
                        row = VatAmount(rate=_plain_rate(rate.value), base=base.value, tax=tax.value)
                        if row not in rows:
                            rows.append(row)
    return rows


def _plain_rate(rate: Decimal) -> Decimal:
    """20.00 -> 20, 5.50 -> 5.5 (never an exponent)."""
    if rate == rate.to_integral_value():
        return rate.quantize(Decimal(1))
    return rate.normalize()


_RATES = {
    Decimal(r) for r in ("20", "10", "5.5", "2.1", "19", "7", "21", "9", "6", "12", "23", "8", "5", "25", "0")
}


def _choose_totals(
    found: dict[str, list[_Candidate]], breakdown: list[VatAmount]
) -> tuple[dict[str, Decimal | None], dict[str, float], list[VatAmount]]:
    def top(items: list[_Candidate]) -> list[_Candidate]:
        best: dict[Decimal, _Candidate] = {}
        for item in items:
            if item.value not in best or best[item.value].score < item.score:
                best[item.value] = item
        return sorted(best.values(), key=lambda c: -c.score)[:12]

    if breakdown:
        # the breakdown's sums, when its rows are distinct rates
        by_rate: dict[Decimal, VatAmount] = {}
        for row in breakdown:
            by_rate.setdefault(row.rate, row)
        tax_sum = sum((r.tax for r in by_rate.values()), Decimal(0))
        base_sum = sum((r.base or Decimal(0) for r in by_rate.values()), Decimal(0))
        found["tax"].append(_Candidate(tax_sum, 1.0, 0, kind="breakdown"))
        found["excl"].append(_Candidate(base_sum, 1.0, 0, kind="breakdown"))
    excl, tax, incl = top(found["excl"]), top(found["tax"]), top(found["incl"] + _as_incl(found["due"]))
    best: tuple[float, _Candidate | None, _Candidate | None, _Candidate | None, bool, Decimal | None] = (
        0.0,
        None,
        None,
        None,
        False,
        None,
    )
    for h in [*excl, None]:
        for t in [*tax, None]:
            for c in [*incl, None]:
                score = sum(x.score for x in (h, t, c) if x is not None)
                consistent = False
                tax_value = t.value if t else None
                if h and t and c:
                    if h.value + t.value == c.value:
                        consistent = True
                    elif h.value < 0 and c.value < 0 and t.value > 0 and h.value - t.value == c.value:
                        consistent, tax_value = True, -t.value
                    elif abs(h.value + t.value - c.value) <= _CENT and c.value:
                        consistent = True
                        score -= 0.5
                    if consistent:
                        score += 4.0
                        if h.value == c.value and t.value == 0:
                            score -= 3.0  # 0 + 0 = 0, x + 0 = x: weak evidence
                    else:
                        score -= 2.0
                elif h and c and not t and h.value != c.value and abs(h.value) > abs(c.value):
                    score -= 2.0
                if score > best[0]:
                    best = (score, h, t, c, consistent, tax_value)
    _, h, t, c, consistent, tax_value = best
    values: dict[str, Decimal | None] = {
        "total_excl_tax": h.value if h else None,
        "total_tax": tax_value,
        "total_incl_tax": c.value if c else None,
    }
    confidence: dict[str, float] = {}
    for name, item in (("total_excl_tax", h), ("total_tax", t), ("total_incl_tax", c)):
        if item is not None:
            confidence[name] = 0.95 if consistent else min(0.75, 0.2 + item.score / 8)
    # the VAT of a document that only shows it and the total incl. VAT (or its net): computed
    if h is None and t is not None and c is not None and t.score >= 3.5 and c.score >= 3.5:
        values["total_excl_tax"] = c.value - t.value
        confidence["total_excl_tax"] = 0.5
    # amount due
    due = top(found["due"])
    prepaid = top(found["prepaid"])
    if due:
        chosen = due[0]
        total = values["total_incl_tax"]
        if total is not None:
            for candidate in due:
                if candidate.value == total or any(total - p.value == candidate.value for p in prepaid):
                    chosen = candidate
                    break
        values["amount_due"] = chosen.value
        agrees = total is not None and (
            chosen.value == total or any(total - p.value == chosen.value for p in prepaid)
        )
        confidence["amount_due"] = 0.9 if agrees else min(0.7, 0.2 + chosen.score / 8)
    else:
        values["amount_due"] = None
    rows = list({row.rate: row for row in breakdown}.values())
    if values["total_tax"] is None or sum((r.tax for r in rows), Decimal(0)) != values["total_tax"]:
        rows = []
    return values, confidence, rows


def _as_incl(due: list[_Candidate]) -> list[_Candidate]:
    return [_Candidate(c.value, c.score - 1.2, c.line, c.start, c.kind) for c in due]


# ---------------------------------------------------------------------------------- parties


def _name_scores(doc: _Doc, anchors: list[int]) -> dict[str, tuple[float, str]]:
    """Supplier name candidates: name key -> (score, the name as written)."""
    evidence: dict[str, dict[str, float]] = {}
    shown: dict[str, str] = {}

    def add(text: str, score: float, line: int, start: int, source: str) -> None:
        name = _one_line(_TITLE_WORD.sub("", text))
        name = re.sub(r"^(?:nom|name|raison\s+sociale|soci[ée]t[ée])\s*:\s*", "", name, flags=re.IGNORECASE)
        if len(name) < 2 or len(name) > 80 or not re.search(r"[^\W\d_]{2}", name):
            return
        if (
            sum(c.isdigit() for c in name) > 3
            or "@" in name
            or _NOT_A_NAME.search(name)
            or name.endswith(":")
        ):
            return
        if name[0] in "(*[" or _ADDRESS.match(name) or len(name.split()) > 8:
            return
        if doc.in_zone(doc.buyer_zone, line, start, start + len(text)):
            score -= 3.0
        if doc.in_zone(doc.other_zone, line, start, start + len(text)):
            score -= 2.0
        if any(abs(line - anchor) <= 3 for anchor in anchors):
            score += 1.0
        key = _name_key(name)
        if not key:
            return
        sources = evidence.setdefault(key, {})
        if score > max(sources.values(), default=-99):
            shown[key] = name
        sources[source] = max(sources.get(source, -99), score)

    first_page = [i for i, p in enumerate(doc.page_of) if p == 0]
    top = first_page[: max(8, len(first_page) // 4)]
    # names with a legal form
    for index, cells in enumerate(doc.cells):
        for cell in cells:
            m = _LEGAL_FORM.search(cell.text)
            if not m:
                continue
            head = cell.text[: m.end()]
            head = re.split(r"\s[-–—|•]\s|:\s|\s{2,}", head)[-1]
            head = _SOLD_BY.split(head)[-1]
            if head.strip() == m.group().strip():
                continue  # "SARL au capital de..." without a name
            bonus = 0.5 if index in top else 0.0
            add(head, 1.8 + bonus, index, cell.start, "legal_form")
    # labelled seller, payee
    for index, m, strength in _label_matches(doc, _SELLER_LABELS):
        line = doc.lines[index]
        glued = line[m.end() : m.end() + 2]
        if glued[:1].isalnum() or (glued[:1] == " " and glued[1:2].isalnum()):
            continue  # "SELLER TRADE NAME", "Vendeur agréé": not a label
        cell = next((c for c in doc.cells[index] if c.start <= m.start() < c.end), None)
        if cell is None or len(line[cell.start : m.start()].split()) > 1:
            continue  # "NOM : LE FOURNISSEUR", "... are sold by ...": not a heading
        rest, offset = _after_label(line, m.end())
        value = _CELL.match(rest)
        if value and ":" in line[m.end() : offset]:
            add(value.group(), strength, index, offset, "label")
            continue
        if not _heading(doc, index, m) and not line[cell.start : m.start()].strip(" ").isupper():
            continue
        for _, below in _below(doc, index, m.start(), m.end(), depth=2):
            add(below.text, strength - 0.8, below.line, below.start, "label")
            break
    # the line above the sender's address, the first line of the first page
    seen_first = False
    for index in top:
        if doc.cells[index] and not seen_first:
            seen_first = True
            first = doc.cells[index][0]
            head = re.split(r"\s{4,}", doc.lines[index][first.start :])[0]
            add(head, 1.0, index, first.start, "first")
        for cell in doc.cells[index]:
            if _ADDRESS.match(cell.text):
                above = _above(doc, index, cell)
                if above is not None:
                    add(above.text, 1.5, above.line, above.start, "address")
    # a short line just above the legal mentions
    for index, line in enumerate(doc.lines):
        if not _LEGAL_MENTION.search(line):
            continue
        for back in range(index - 1, max(-1, index - 3), -1):
            cells = doc.cells[back]
            if (
                len(cells) == 1
                and len(cells[0].text.split()) <= 5
                and not _LEGAL_MENTION.search(cells[0].text)
            ):
                add(cells[0].text, 1.0, back, cells[0].start, "mentions")
                break
    # a name that comes back (whole cell or head of a line) is the document's own
    scores: dict[str, float] = {}
    for key, sources in evidence.items():
        ranked = sorted(sources.values(), reverse=True)
        scores[key] = ranked[0] + min(1.5, 0.5 * sum(max(0.0, v) for v in ranked[1:]))
    counts = dict.fromkeys(scores, 0)
    keys = [_name_key(cell.text) for cells in doc.cells for cell in cells]
    for name in counts:
        pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
        counts[name] = sum(1 for key in keys if name in key and pattern.search(key))
    for name, count in counts.items():
        scores[name] += min(1.5, 0.4 * max(0, count - 1))
    return {key: (score, shown[key]) for key, score in scores.items()}


def _supplier_name(doc: _Doc, anchors: list[int]) -> tuple[str | None, float]:
    scores = _name_scores(doc, anchors)
    if not scores:
        return None, 0.0
    score, name = max(scores.values())
    if score < 1.2:  # the first line of a page alone is no evidence
        return None, 0.0
    return name, round(min(0.85, 0.15 + score / 7), 2)


def _above(doc: _Doc, index: int, cell: _Cell) -> _Cell | None:
    for back in range(index - 1, max(-1, index - 3), -1):
        for candidate in doc.cells[back]:
            if abs(candidate.start - cell.start) <= 2:
                if _ADDRESS.match(candidate.text):
                    return _above(doc, back, candidate)
                return candidate
    return None


def _name_key(text: str) -> str:
    """A name as compared: without its legal form, case, accents kept, punctuation as spaces."""
    text = _LEGAL_FORM_ANY_CASE.sub("", text) if text else ""
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def _buyer_name(doc: _Doc) -> str | None:
    for index, cells in enumerate(doc.cells):
        for cell in cells:
            m = _BUYER_HEADINGS.search(cell.text)
            if not m or any(c.isdigit() for c in cell.text) or len(cell.text.split()) > 5:
                continue
            if re.match(
                r"\s*(?:r[ée]f|n[°º]|no\b|nr\b|id\b|code|num|vos|adresse\s+de\s+livraison|livraison)",
                cell.text,
                re.IGNORECASE,
            ):
                continue
            rest = cell.text[m.end() :].strip(" :")
            if rest and not _BUYER_HEADINGS.search(rest) and re.search(r"[^\W\d_]{2}", rest):
                return _one_line(rest)
            for _, below in _below(doc, index, cell.start + m.start(), cell.end, depth=2):
                text = _one_line(below.text)
                if text and not _NOT_A_NAME.search(text) and not _BUYER_HEADINGS.fullmatch(text):
                    return text
    return None


# -------------------------------------------------------------------------------------- main


def read_text(
    text: str, *, document_hash: str, engine: Engine = Engine.TEXT, pages: int = 1
) -> SupplierInvoice:
    """The supplier invoice that plain ``text`` (pages separated by form feeds) describes.

    Pure: no I/O. Columns matter: a value under its label is found when the text keeps the
    page's layout (as ``read_pdf_text`` does, or a fixed-width text file).
    """
    doc = _build(_clean_text(text))
    doc.masks = [[] for _ in doc.lines]
    doc.month_first = _month_first(doc.lines)
    for index, line in enumerate(doc.lines):
        for found in find_dates(line, month_first=doc.month_first):
            doc.masks[index].append((found.start, found.end))
    _zones(doc)
    confidence: dict[str, float] = {}
    values: dict[str, Any] = {}

    ibans = _ibans(doc)
    vat_ids = _vat_ids(doc)
    fr_ids = _fr_ids(doc)

    # French identifiers: the supplier's are the first not under a buyer heading
    supplier_fr = [
        c
        for c in fr_ids
        if not _is_buyer(doc, c) and not doc.in_zone(doc.other_zone, c.line, c.start, c.start + 5)
    ]
    if supplier_fr:
        first = supplier_fr[0]
        values["supplier_siren"] = first.value[:9]
        confidence["supplier_siren"] = 0.8
        siret = next(
            (c.value for c in supplier_fr if len(c.value) == 14 and c.value[:9] == first.value[:9]), None
        )
        if siret:
            values["supplier_siret"] = siret
            confidence["supplier_siret"] = 0.8
    siren = values.get("supplier_siren")
    # the SIREN a supplier's French VAT id carries: the supplier's SIREN, or any 9 digits after a
    # SIREN / SIRET / RCS label outside the buyer's block (sample documents' are not always valid)
    siren_hints = {siren} if siren else set()
    for index, line in enumerate(doc.lines):
        for m in _FR_ID_LINE.finditer(line):
            digits = re.match(r"[\s:/A-Za-z]{0,25}?(\d{3}\s?\d{3}\s?\d{3})", line[m.end() :])
            if digits and not doc.in_zone(doc.buyer_zone, index, m.start(), m.end()):
                siren_hints.add(re.sub(r"\s", "", digits.group(1)))

    # VAT ids: scored, the supplier's and the buyer's
    supplier_vat: tuple[float, _Candidate] | None = None
    buyer_vat: _Candidate | None = None
    for order, candidate in enumerate(vat_ids):
        buyer = _is_buyer(doc, candidate)
        score = 2.0 - 0.1 * order + candidate.score
        if buyer:
            score -= 4.0
            if buyer_vat is None:
                buyer_vat = candidate
        if doc.in_zone(doc.other_zone, candidate.line, candidate.start, candidate.start + 5):
            score -= 1.5
        if candidate.value.startswith("FR") and candidate.value[4:] in siren_hints:
            score += 2.5
        if supplier_vat is None or score > supplier_vat[0]:
            supplier_vat = (score, candidate)
    if supplier_vat and supplier_vat[0] > 0:
        values["supplier_vat_id"] = supplier_vat[1].value
        confidence["supplier_vat_id"] = 0.9 if supplier_vat[0] >= 3.5 else 0.6
        if buyer_vat is supplier_vat[1]:
            buyer_vat = None
    if buyer_vat is not None and buyer_vat.value != values.get("supplier_vat_id"):
        values["buyer_vat_id"] = buyer_vat.value
        confidence["buyer_vat_id"] = 0.6
    if not siren and values.get("supplier_vat_id", "").startswith("FR"):
        values["supplier_siren"] = values["supplier_vat_id"][4:]
        confidence["supplier_siren"] = 0.6
    supplier_iban = next((c for c in ibans if not _is_buyer(doc, c)), None)
    if supplier_iban:
        values["supplier_iban"] = supplier_iban.value
        confidence["supplier_iban"] = 0.8

    # number and dates
    numbers = _numbers(doc)
    if numbers:
        best = max(numbers, key=lambda c: c.score)
        values["invoice_number"] = best.value
        confidence["invoice_number"] = round(min(0.9, 0.2 + best.score / 5), 2)
    issue = _date_candidates(doc, _ISSUE_LABELS, bare=True)
    if numbers and not any(c.score >= 3 for c in issue):
        # "Facture n° 562044387 du 02 juillet 2015": the date beside the number
        best_number = max(numbers, key=lambda c: c.score)
        line = doc.lines[best_number.line]
        found = find_dates(line[best_number.start :], month_first=doc.month_first)
        if found and found[0].start < 40:
            issue.append(_Candidate(found[0].value, 2.0, best_number.line))
    due = _date_candidates(doc, _DUE_LABELS, bare=False)
    if issue:
        best_issue = max(issue, key=lambda c: (c.score, -c.line))
        values["issue_date"] = best_issue.value
        confidence["issue_date"] = round(min(0.9, 0.2 + best_issue.score / 5), 2)
    if due:
        after_issue = [c for c in due if values.get("issue_date") is None or c.value >= values["issue_date"]]
        if after_issue:
            best_due = max(after_issue, key=lambda c: (c.score, -c.line))
            values["due_date"] = best_due.value
            confidence["due_date"] = round(min(0.85, 0.2 + best_due.score / 5), 2)

    # totals
    totals, total_confidence, rows = _choose_totals(_totals(doc), _vat_breakdown(doc))
    for name, value in totals.items():
        if value is not None:
            values[name] = value
    confidence.update(total_confidence)

    # parties
    anchors = [supplier_vat[1].line] if supplier_vat and supplier_vat[0] > 0 else []
    anchors += [c.line for c in supplier_fr[:1]]
    name, name_confidence = _supplier_name(doc, anchors)
    if name:
        values["supplier_name"] = name
        confidence["supplier_name"] = name_confidence
    buyer = _buyer_name(doc)
    if buyer and _name_key(buyer) != _name_key(name or ""):
        values["buyer_name"] = buyer
        confidence["buyer_name"] = 0.4

    currency, currency_confidence = _currency(doc)
    if currency:
        values["currency"] = currency
        confidence["currency"] = currency_confidence

    credit = any(
        _CREDIT_TITLE.match(cell.text)
        for cells in doc.cells[: max(15, len(doc.lines) // 3)]
        for cell in cells
    )
    return SupplierInvoice(
        engine=engine,
        document_hash=document_hash,
        credit_note=credit,
        vat=tuple(rows),
        confidence={k: float(v) for k, v in confidence.items() if values.get(k) is not None},
        pages=pages,
        **values,
    )


def _currency(doc: _Doc) -> tuple[str | None, float]:
    votes = currency_votes("\n".join(doc.lines))
    if not votes:
        return None, 0.0
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    code, weight = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    if weight < 1.0:
        return code, 0.4
    return code, round(min(0.95, 0.5 + (weight - runner) / (2 * weight)), 2)


def pdf_page_texts(data: bytes, *, max_pages: int = MAX_PAGES) -> list[str]:
    """The laid-out text of each page, as ``read_pdf_text`` gives it to ``read_text``."""
    _check_size(data)
    return list(_pdf_page_texts(data, max_pages, time.monotonic()))
