"""Embedded fonts, prepared ahead of time instead of once per document (or once per process).

A straightforward fpdf2 renderer parses the TrueType file for every document (``add_font``)
and subsets it with fontTools at ``output()``: together most of its time. Invoices use a small,
known alphabet, so that work is done once, when the project is built, not when it runs:

* ``python -m invoicing_tools.prepare_fonts`` parses each face with fpdf2, restricted to
  ``CHARSET`` (Latin, Latin-1, Latin Extended-A, French typography and the euro sign), gives
  every character its code up front (every document uses the same code -> glyph mapping),
  subsets the font program with fontTools and writes ``fonts/prepared.json``: what fpdf2 reads
  from the TrueType file (metrics, widths, glyph ids), the deflated subset program, its
  CIDToGIDMap and ToUnicode entries, and the code points the full faces can draw. The file is
  committed; tests/unit/documents/test_fonts_artefacts.py regenerates it and fails when it
  differs (a changed CHARSET, font, fpdf2 or fontTools).
* ``prepared_fonts()`` reads that file: a few milliseconds, without importing fpdf2 or
  fontTools (the generate function calls it at initialisation; fpdf2 is imported by the first
  render).
* each document gets a light copy of an fpdf2 font built once from those metrics, and
  ``InvoiceOutputProducer`` (fpdf2's documented ``output(output_producer_class=...)`` extension
  point) writes the prepared streams instead of subsetting again.

A document containing a character outside ``CHARSET`` (a Greek or Vietnamese name, say) is
rendered by ``pdf.render_pdf`` with the full font through fpdf2's standard path: slower, but
every character comes out right.

``InvoicePDF`` and ``InvoiceOutputProducer`` subclass fpdf2 classes, so they are defined when
first asked for (module ``__getattr__``): importing this module stays cheap.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fpdf.fonts import TTFFont

FONT_DIR = Path(__file__).parent / "fonts"
#: Built by ``python -m invoicing_tools.prepare_fonts`` from the faces below and ``CHARSET``.
PREPARED_FILE = FONT_DIR / "prepared.json"
PREPARED_FORMAT = 1
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


def font_key(style: str) -> str:
    """fpdf2's key for a face of ``FAMILY`` (``pdf.fonts[key]``)."""
    return FAMILY.lower() + style


def charset_digest() -> str:
    """Identifies ``CHARSET``: the prepared file records the one it was built for."""
    return hashlib.sha256("".join(sorted(CHARSET)).encode("utf-8")).hexdigest()


class StalePreparedFonts(RuntimeError):
    """The prepared file does not match this code: rebuild it."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"{PREPARED_FILE.name}: {reason}; rebuild it with `python -m invoicing_tools.prepare_fonts`"
        )


@dataclass(frozen=True)
class PreparedFont:
    """One face, ready to embed: the streams every document writes as they are."""

    key: str
    style: str
    #: What fpdf2 reads from the TrueType file, restricted to CHARSET (see prepare_fonts).
    metrics: dict[str, Any]
    font_file: bytes  # deflated subset program
    font_file_length: int
    cid_to_gid: bytes  # deflated
    to_unicode: bytes  # deflated
    widths: str

    @property
    def font(self) -> TTFFont:
        """The fpdf2 font documents copy (built once per process, at the first render)."""
        return _fpdf_font(self.key)


def to_unicode_cmap(entries: Iterable[tuple[int, str]]) -> bytes:
    """The ToUnicode CMap of (code, UTF-16 hex) pairs, as fpdf2 writes it."""
    ordered = sorted(entries)
    blocks = []
    for start in range(0, len(ordered), 100):  # a bfchar block holds at most 100 entries
        chunk = ordered[start : start + 100]
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


def cid_to_gid_map(code_to_glyph: dict[int, int]) -> bytes:
    """The CIDToGIDMap stream: two bytes per code, the glyph id in the subset program."""
    cid_map = bytearray(2 * (max(code_to_glyph) + 1))
    for code, glyph_id in code_to_glyph.items():
        cid_map[2 * code] = glyph_id >> 8
        cid_map[2 * code + 1] = glyph_id & 0xFF
    return bytes(cid_map)


@cache
def _prepared_file() -> dict[str, Any]:
    try:
        data = json.loads(PREPARED_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StalePreparedFonts("missing") from None
    if data.get("format") != PREPARED_FORMAT:
        raise StalePreparedFonts(f"format {data.get('format')!r}, this code reads {PREPARED_FORMAT}")
    if data["charset_sha256"] != charset_digest():
        raise StalePreparedFonts("built for another CHARSET")
    if set(data["faces"]) != set(FACES):
        raise StalePreparedFonts(f"faces {sorted(data['faces'])}, expected {sorted(FACES)}")
    return data


def _prepare(style: str, face: dict[str, Any]) -> PreparedFont:
    codes = face["codes"]  # [code, glyph name, glyph id in the subset program, UTF-16 hex]
    return PreparedFont(
        key=font_key(style),
        style=style,
        metrics=face,
        font_file=base64.b64decode(face["program"]),
        font_file_length=face["program_length"],
        cid_to_gid=zlib.compress(cid_to_gid_map({code: gid for code, _, gid, _ in codes}), 9),
        to_unicode=zlib.compress(to_unicode_cmap((code, uni) for code, _, _, uni in codes), 9),
        widths=face["widths"],
    )


@cache
def prepared_fonts() -> dict[str, PreparedFont]:
    """Each face ready to embed, read from the prepared file (milliseconds; no fpdf2, no fontTools)."""
    faces = _prepared_file()["faces"]
    return {p.key: p for p in (_prepare(style, faces[style]) for style in FACES)}


@cache
def _fpdf_font(key: str) -> TTFFont:
    """fpdf2's font for a prepared face, as ``FPDF.add_font(..., unicode_range=CHARSET)`` would
    build it, from the prepared metrics instead of the TrueType file; its codes assigned in the
    order of the prepared file. Raises if fpdf2 would assign other codes (fpdf2 upgraded and the
    file not rebuilt): text would otherwise silently print the wrong glyphs."""
    from collections import defaultdict

    from fpdf.enums import FontDescriptorFlags, TextEmphasis
    from fpdf.fonts import PDFFontDescriptor, SubsetMap, TTFFont

    prepared = prepared_fonts()[key]
    face = prepared.metrics
    font = TTFFont.__new__(TTFFont)
    font.i = 1
    font.type = "TTF"
    font.ttffile = FONT_DIR / FACES[prepared.style]
    font.ttfont = None  # never read on the prepared path; see InvoiceOutputProducer._add_fonts
    font.is_compressed = False
    font._hbfont = None
    font.fontkey = key
    font.biggest_size_pt = 0
    font.collection_font_number = 0
    font.is_cff = font.is_cid_keyed = font.is_symbol = False
    font.cff_ros = None
    font.scale = face["scale"]
    desc = face["descriptor"]
    font.desc = PDFFontDescriptor(
        ascent=desc["ascent"],
        descent=desc["descent"],
        cap_height=desc["cap_height"],
        flags=FontDescriptorFlags(desc["flags"]),
        font_b_box=desc["font_b_box"],
        italic_angle=desc["italic_angle"],
        stem_v=desc["stem_v"],
        missing_width=desc["missing_width"],
    )
    default_width = desc["missing_width"]
    font.cw = defaultdict(lambda: default_width)
    font.cmap = {}
    font.glyph_ids = {}
    for codepoint, name, glyph_id, width in face["glyphs"]:
        font.cmap[codepoint] = name
        font.glyph_ids[codepoint] = glyph_id
        font.cw[codepoint] = width
    font.missing_glyphs = []
    font.name = face["name"]
    font.up, font.ut, font.sp, font.ss = face["up"], face["ut"], face["sp"], face["ss"]
    font.emphasis = TextEmphasis.coerce(prepared.style)
    font.subset = SubsetMap(font)
    font.palette_index = 0
    font.color_font = None
    for char in sorted(CHARSET):  # the order the prepared file was built with
        font.subset.pick(ord(char))
    assigned = sorted((code, glyph.glyph_name) for glyph, code in font.subset.items() if glyph is not None)
    if assigned != [(code, name) for code, name, _, _ in face["codes"]]:
        raise StalePreparedFonts(f"fpdf2 assigns other codes to face {prepared.style!r}")
    return font


def attach_prepared_fonts(pdf: Any) -> None:
    """Give ``pdf`` (an ``InvoicePDF``) its own light copies of the prepared faces (shared glyph data)."""
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
    return frozenset(code for start, end in _prepared_file()["drawable"] for code in range(start, end + 1))


def undrawable(text: str) -> str:
    """The characters of ``text`` our fonts cannot draw (they would vanish from the PDF)."""
    drawable = _drawable()
    return "".join(dict.fromkeys(c for c in text if ord(c) not in drawable and not c.isspace()))


def attach_full_fonts(pdf: Any) -> None:
    """fpdf2's standard path: parse the whole font and subset it at output."""
    for style, name in FACES.items():
        pdf.add_font(FAMILY, style, FONT_DIR / name)


_XMP_CREATED = re.compile(r'xmp:CreateDate="([^"]+)"')
_XMP_MODIFIED = re.compile(r'(xmp:(?:ModifyDate|MetadataDate))="[^"]+"')


@cache
def _fpdf_classes() -> SimpleNamespace:
    """The classes built on fpdf2's, defined at first use so that importing this module does not
    import fpdf2 (a third of generate's cold start otherwise)."""
    from fontTools import ttLib
    from fpdf import FPDF
    from fpdf.fonts import TTFFont
    from fpdf.output import CIDSystemInfo, OutputProducer, PDFFont
    from fpdf.syntax import Name, PDFArray, PDFContentStream

    class Precompressed(PDFContentStream):
        """A stream whose bytes were deflated once, ahead of time."""

        def __init__(self, deflated: bytes, length1: int | None = None) -> None:
            super().__init__(contents=b"", compress=False)
            self._contents = deflated
            self.filter = Name("FlateDecode")
            self.length = len(deflated)
            if length1 is not None:
                self.length1 = length1

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

    class InvoiceOutputProducer(OutputProducer):
        """fpdf2's producer with two changes: prepared fonts are written from their prepared
        streams (any other font goes through fpdf2's own subsetting), and the XMP modification
        dates equal the creation date instead of "now", so the same invoice always gives the
        same bytes."""

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
                for font in fonts:
                    if isinstance(font, TTFFont) and font.ttfont is None:
                        # A prepared face mixed with another font: fpdf2 subsets it from the file.
                        font.ttfont = ttLib.TTFont(font.ttffile, recalcTimestamp=False, lazy=True)
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
                to_unicode = Precompressed(cached.to_unicode)
                self._add_pdf_obj(to_unicode, "fonts")
                composite.to_unicode = to_unicode
                system_info = CIDSystemInfo()
                self._add_pdf_obj(system_info, "fonts")
                cid_font.c_i_d_system_info = system_info
                descriptor = copy.copy(font.desc)
                descriptor.font_name = Name(base_font)
                self._add_pdf_obj(descriptor, "fonts")
                cid_font.font_descriptor = descriptor
                cid_to_gid = Precompressed(cached.cid_to_gid)
                self._add_pdf_obj(cid_to_gid, "fonts")
                cid_font.c_i_d_to_g_i_d_map = cid_to_gid
                program = Precompressed(cached.font_file, length1=cached.font_file_length)
                self._add_pdf_obj(program, "fonts")
                descriptor.font_file2 = program
            return objects

    return SimpleNamespace(
        InvoicePDF=InvoicePDF, InvoiceOutputProducer=InvoiceOutputProducer, Precompressed=Precompressed
    )


_FPDF_CLASSES = ("InvoicePDF", "InvoiceOutputProducer")


def __getattr__(name: str) -> Any:
    if name in _FPDF_CLASSES:
        value = getattr(_fpdf_classes(), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
