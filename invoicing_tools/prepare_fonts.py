"""Build shared/invoicing/documents/fonts/prepared.json, the fonts the renderer embeds.

    python -m invoicing_tools.prepare_fonts           write it
    python -m invoicing_tools.prepare_fonts --check   exit 1 if it is not what this code builds

Run it after changing ``fonts.CHARSET``, a font file, or the fpdf2 or fontTools version
(tests/unit/documents/test_fonts_artefacts.py fails until then). The file holds, for each face,
what ``FPDF.add_font(..., unicode_range=CHARSET)`` reads from the TrueType file, the code every
character of CHARSET gets (picked in sorted order), the subset font program (deflated, as the
PDFs embed it), and the code points the full faces can draw (``fonts.undrawable``). The output
depends only on its inputs: building twice gives the same bytes.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
import zlib
from io import BytesIO
from typing import Any

from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.output import _tt_font_widths

from invoicing.documents.fonts import (
    CHARSET,
    FACES,
    FAMILY,
    FONT_DIR,
    PREPARED_FILE,
    PREPARED_FORMAT,
    charset_digest,
    font_key,
)

#: Tables the embedded program does without: layout features (fpdf2 draws glyph by glyph, no
#: shaping), kerning (not applied), and hinting: instructions only help rasterisers at tiny
#: sizes, PDF viewers hint on their own, and dropping them halves the embedded font.
DROPPED_TABLES = ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "kern"]


def _face(style: str) -> dict[str, Any]:
    path = FONT_DIR / FACES[style]
    scratch = FPDF()
    scratch.add_font(FAMILY, style, path, unicode_range=sorted(ord(c) for c in CHARSET))
    font = scratch.fonts[font_key(style)]
    assert isinstance(font, TTFFont)
    for char in sorted(CHARSET):  # fixed order: every document maps codes to glyphs alike
        font.subset.pick(ord(char))
    program = ttLib.TTFont(path, recalcTimestamp=False)
    options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, hinting=False)
    options.drop_tables += DROPPED_TABLES
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(glyphs=font.subset.get_all_glyph_names())
    subsetter.subset(program)
    buffer = BytesIO()
    program.save(buffer)
    raw = buffer.getvalue()
    codes = []
    for glyph, code in font.subset.items():
        if glyph is None:
            continue
        assert isinstance(glyph.unicode, tuple), glyph
        assert glyph.unicode, glyph
        assert all(u <= 0xFFFF for u in glyph.unicode), glyph  # CHARSET is in the BMP
        uni = "".join(f"{u:04X}" for u in glyph.unicode)
        codes.append([code, glyph.glyph_name, program.getGlyphID(glyph.glyph_name), uni])
    desc = font.desc
    return {
        "source": path.name,
        "source_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "name": font.name,
        "scale": font.scale,
        "up": font.up,
        "ut": font.ut,
        "sp": font.sp,
        "ss": font.ss,
        "descriptor": {
            "ascent": desc.ascent,
            "descent": desc.descent,
            "cap_height": desc.cap_height,
            "flags": desc.flags.value,
            "font_b_box": desc.font_b_box,
            "italic_angle": desc.italic_angle,
            "stem_v": desc.stem_v,
            "missing_width": desc.missing_width,
        },
        # [code point, glyph name, glyph id in the full font, width in 1/1000 em]
        "glyphs": [[cp, font.cmap[cp], font.glyph_ids[cp], font.cw[cp]] for cp in sorted(font.cmap)],
        # [code in the PDF, glyph name, glyph id in the subset program, UTF-16 hex for ToUnicode]
        "codes": sorted(codes),
        "widths": _tt_font_widths(font),
        "program_length": len(raw),
        "program": base64.b64encode(zlib.compress(raw, 9)).decode("ascii"),
    }


def _ranges(codes: set[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return ranges


def _dump(data: dict[str, Any]) -> str:
    """JSON with one list entry per line (reviewable diffs) and the long program on its own line."""
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True)
    # Put innermost lists (no brackets or braces inside) on one line.
    return re.sub(r"\[\n\s*([^\[\]{}]*?)\n\s*\]", lambda m: "[" + re.sub(r",\n\s*", ", ", m[1]) + "]", text)


def build() -> str:
    """The content of the prepared file, from the fonts and CHARSET."""
    cmaps = [set(ttLib.TTFont(FONT_DIR / name, lazy=True).getBestCmap()) for name in FACES.values()]
    data = {
        "format": PREPARED_FORMAT,
        "about": "Built by `python -m invoicing_tools.prepare_fonts`; do not edit.",
        "charset_sha256": charset_digest(),
        "faces": {style: _face(style) for style in FACES},
        # Code points every full face can draw, as [first, last] ranges.
        "drawable": _ranges(set.intersection(*cmaps)),
    }
    return _dump(data) + "\n"


def comparable(text: str) -> dict[str, Any]:
    """The prepared file's content with each program inflated: two builds whose zlib differs
    (another Python build) compress alike fonts differently, and are still the same fonts."""
    data = json.loads(text)
    for face in data.get("faces", {}).values():
        face["program"] = zlib.decompress(base64.b64decode(face["program"])).hex()
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m invoicing_tools.prepare_fonts", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    content = build()
    if args.check:
        current = PREPARED_FILE.read_text(encoding="utf-8") if PREPARED_FILE.exists() else "{}"
        if comparable(current) != comparable(content):
            print(f"{PREPARED_FILE} is out of date: run python -m invoicing_tools.prepare_fonts")
            return 1
        print(f"{PREPARED_FILE} is up to date")
        return 0
    PREPARED_FILE.write_text(content, encoding="utf-8")
    print(f"wrote {PREPARED_FILE} ({len(content.encode()) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
