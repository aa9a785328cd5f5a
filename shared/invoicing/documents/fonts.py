"""Embedded fonts, prepared once per process instead of once per document.

A straightforward fpdf2 renderer parses the TrueType file for every document (``add_font``)
and subsets it with fontTools at ``output()``: together most of its time. Invoices use a small,
known alphabet, so we do that work once:

* each face is parsed once, restricted to ``CHARSET`` (Latin, Latin-1, Latin Extended-A,
  French typography and the euro sign), with every character given its code up front, so
  every document uses the same code -> glyph mapping;
* the subset font program, its CIDToGIDMap, ToUnicode CMap and widths are computed and
  compressed once;
* each document gets a light copy of the parsed font, and ``InvoiceOutputProducer``
  (fpdf2's documented ``output(output_producer_class=...)`` extension point) writes the cached
  streams instead of subsetting again.

A document containing a character outside ``CHARSET`` (a Greek or Vietnamese name, say) is
rendered by ``renderer()`` with the full font through fpdf2's standard path: slower, but every
character comes out right.
"""

from __future__ import annotations

import copy
import re
import zlib
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.output import CIDSystemInfo, OutputProducer, PDFFont, _tt_font_widths
from fpdf.syntax import Name, PDFArray, PDFContentStream

FONT_DIR = Path(__file__).parent / "fonts"
FAMILY = "LiberationSans"
FACES = {"": "LiberationSans-Regular.ttf", "B": "LiberationSans-Bold.ttf"}

_TYPOGRAPHY = (
    "\u00a0\u2009\u202f"  # no-break, thin and narrow no-break spaces (French number and unit spacing)
    "\u2010\u2011\u2012\u2013\u2014\u2015"  # hyphens and dashes
    "\u2018\u2019\u201a\u201c\u201d\u201e\u2039\u203a"  # quotes
    "\u2020\u2021\u2022\u2026\u2030\u2032\u2033"  # dagger, bullet, ellipsis, per mille, primes
    "\u20ac\u2116\u2122\u2212\u00b7\u0218\u0219\u021a\u021b\u0192"
)
CHARSET: frozenset[str] = frozenset(
    [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x180)] + list(_TYPOGRAPHY)
)


class _Precompressed(PDFContentStream):
    """A stream whose bytes were deflated once, ahead of time."""

    def __init__(self, deflated: bytes, length1: int | None = None) -> None:
        super().__init__(contents=b"", compress=False)
        self._contents = deflated
        self.filter = Name("FlateDecode")
        self.length = len(deflated)
        if length1 is not None:
            self.length1 = length1


@dataclass(frozen=True)
class PreparedFont:
    key: str
    font: TTFFont
    font_file: bytes
    font_file_length: int
    cid_to_gid: bytes
    to_unicode: bytes
    widths: str


def _to_unicode_cmap(font: TTFFont) -> bytes:
    entries = sorted(
        (code, "".join(f"{u:04X}" for u in glyph.unicode))
        for glyph, code in font.subset.items()
        if glyph is not None and isinstance(glyph.unicode, tuple) and glyph.unicode
    )
    blocks = []
    for start in range(0, len(entries), 100):  # a bfchar block holds at most 100 entries
        chunk = entries[start : start + 100]
        blocks.append(f"{len(chunk)} beginbfchar\n")
        blocks.extend(f"<{code:04X}> <{uni}>\n" for code, uni in chunk)
        blocks.append("endbfchar\n")
    text = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{''.join(blocks)}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )
    return text.encode("latin-1")


def _prepare(style: str) -> PreparedFont:
    path = FONT_DIR / FACES[style]
    scratch = FPDF()
    scratch.add_font(FAMILY, style, path, unicode_range=sorted(ord(c) for c in CHARSET))
    key = FAMILY.lower() + style
    font = scratch.fonts[key]
    assert isinstance(font, TTFFont)
    for char in sorted(CHARSET):  # fixed order: every document maps codes to glyphs alike
        font.subset.pick(ord(char))
    program = ttLib.TTFont(path, recalcTimestamp=False)
    # Hinting instructions only help rasterisers at tiny sizes; PDF viewers hint on their own.
    # Dropping them halves the embedded font.
    options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, hinting=False)
    options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "kern"]
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(glyphs=font.subset.get_all_glyph_names())
    subsetter.subset(program)
    code_to_glyph = {
        code: program.getGlyphID(glyph.glyph_name) for glyph, code in font.subset.items() if glyph is not None
    }
    buffer = BytesIO()
    program.save(buffer)
    raw = buffer.getvalue()
    cid_map = bytearray(2 * (max(code_to_glyph) + 1))
    for code, glyph_id in code_to_glyph.items():
        cid_map[2 * code] = glyph_id >> 8
        cid_map[2 * code + 1] = glyph_id & 0xFF
    return PreparedFont(
        key=key,
        font=font,
        font_file=zlib.compress(raw, 9),
        font_file_length=len(raw),
        cid_to_gid=zlib.compress(bytes(cid_map), 9),
        to_unicode=zlib.compress(_to_unicode_cmap(font), 9),
        widths=_tt_font_widths(font),
    )


@cache
def prepared_fonts() -> dict[str, PreparedFont]:
    """Parse and subset each face once per process (about 0.2 s, paid at the first invoice)."""
    return {p.key: p for p in (_prepare(style) for style in FACES)}


class InvoicePDF(FPDF):
    """An FPDF that notes characters its prepared fonts cannot draw."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.outside_charset: set[str] = set()
        self.uses_prepared_fonts = False

    def normalize_text(self, text: str) -> str:
        if self.uses_prepared_fonts and not CHARSET.issuperset(text):
            self.outside_charset.update(c for c in text if c not in CHARSET)
        return super().normalize_text(text)


def attach_prepared_fonts(pdf: InvoicePDF) -> None:
    """Give ``pdf`` its own light copies of the prepared faces (shared glyph data)."""
    for prepared in prepared_fonts().values():
        font = copy.copy(prepared.font)
        font.i = len(pdf.fonts) + 1
        font.biggest_size_pt = 0
        font.missing_glyphs = []
        pdf.fonts[prepared.key] = font
    pdf.uses_prepared_fonts = True


@cache
def _drawable() -> frozenset[int]:
    """Code points every face can draw (the full fonts, not only the prepared set)."""
    faces = [set(ttLib.TTFont(FONT_DIR / name, lazy=True).getBestCmap()) for name in FACES.values()]
    return frozenset(set.intersection(*faces))


def undrawable(text: str) -> str:
    """The characters of ``text`` our fonts cannot draw (they would vanish from the PDF)."""
    drawable = _drawable()
    return "".join(dict.fromkeys(c for c in text if ord(c) not in drawable and not c.isspace()))


def attach_full_fonts(pdf: InvoicePDF) -> None:
    """fpdf2's standard path: parse the whole font and subset it at output."""
    for style, name in FACES.items():
        pdf.add_font(FAMILY, style, FONT_DIR / name)


_XMP_CREATED = re.compile(r'xmp:CreateDate="([^"]+)"')
_XMP_MODIFIED = re.compile(r'(xmp:(?:ModifyDate|MetadataDate))="[^"]+"')


class InvoiceOutputProducer(OutputProducer):
    """fpdf2's producer with two changes: prepared fonts are written from their cached streams
    (any other font goes through fpdf2's own subsetting), and the XMP modification dates equal
    the creation date instead of "now", so the same invoice always gives the same bytes."""

    def _build_xmp_from_info(self) -> str:
        xmp = super()._build_xmp_from_info()
        created = _XMP_CREATED.search(xmp)
        if created:
            xmp = _XMP_MODIFIED.sub(lambda m: f'{m[1]}="{created[1]}"', xmp)
        return xmp

    def _add_fonts(self, *args, **kwargs):
        prepared = prepared_fonts()
        fonts = sorted(self.fpdf.fonts.values(), key=lambda f: f.i)
        if not getattr(self.fpdf, "uses_prepared_fonts", False) or not all(
            isinstance(f, TTFFont) and f.fontkey in prepared for f in fonts
        ):
            return super()._add_fonts(*args, **kwargs)
        objects = {}
        for font in fonts:
            cached = prepared[font.fontkey]
            base_font = f"MPDFAA+{font.name}"
            composite = PDFFont(subtype="Type0", base_font=base_font, encoding="Identity-H")
            self._add_pdf_obj(composite, "fonts")
            objects[font.i] = composite
            cid_font = PDFFont(
                subtype="CIDFontType2", base_font=base_font, d_w=font.desc.missing_width, w=cached.widths
            )
            self._add_pdf_obj(cid_font, "fonts")
            composite.descendant_fonts = PDFArray([cid_font])
            to_unicode = _Precompressed(cached.to_unicode)
            self._add_pdf_obj(to_unicode, "fonts")
            composite.to_unicode = to_unicode
            system_info = CIDSystemInfo()
            self._add_pdf_obj(system_info, "fonts")
            cid_font.c_i_d_system_info = system_info
            descriptor = copy.copy(font.desc)
            descriptor.font_name = Name(base_font)
            self._add_pdf_obj(descriptor, "fonts")
            cid_font.font_descriptor = descriptor
            cid_to_gid = _Precompressed(cached.cid_to_gid)
            self._add_pdf_obj(cid_to_gid, "fonts")
            cid_font.c_i_d_to_g_i_d_map = cid_to_gid
            program = _Precompressed(cached.font_file, length1=cached.font_file_length)
            self._add_pdf_obj(program, "fonts")
            descriptor.font_file2 = program
        return objects
