"""The prepared fonts (fonts/prepared.json) are exactly what the font files, CHARSET, fpdf2 and
fontTools give, and the renderer rebuilt from them behaves as fpdf2's own parse of the fonts."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zlib

import pytest
from fontTools import ttLib
from fpdf import FPDF

from invoicing.documents import fonts
from invoicing.documents.fonts import CHARSET, FACES, FAMILY, FONT_DIR, font_key
from invoicing_tools import prepare_fonts


@pytest.fixture
def fresh_caches():
    """Tests that swap the prepared data clear the caches before and after."""
    cached = (fonts._prepared_file, fonts.prepared_fonts, fonts._fpdf_font, fonts._drawable)

    def clear() -> None:
        for function in cached:
            function.cache_clear()

    clear()
    yield
    clear()


@pytest.fixture(scope="module")
def rebuilt() -> str:
    return prepare_fonts.build()


def test_prepared_file_is_what_the_fonts_give(rebuilt: str):
    """Rebuilding gives the committed file: else run `python -m invoicing_tools.prepare_fonts`."""
    committed = fonts.PREPARED_FILE.read_text(encoding="utf-8")
    assert prepare_fonts.comparable(rebuilt) == prepare_fonts.comparable(committed), (
        "fonts/prepared.json is out of date: run python -m invoicing_tools.prepare_fonts"
    )


def test_building_twice_gives_the_same_bytes(rebuilt: str):
    assert prepare_fonts.build() == rebuilt


def test_check_mode_reports_an_outdated_file(tmp_path, monkeypatch, capsys, rebuilt: str):
    stale = tmp_path / "prepared.json"
    stale.write_text(json.dumps({"format": 1}), encoding="utf-8")
    monkeypatch.setattr(prepare_fonts, "PREPARED_FILE", stale)
    monkeypatch.setattr(prepare_fonts, "build", lambda: rebuilt)
    assert prepare_fonts.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert prepare_fonts.main([]) == 0
    assert prepare_fonts.main(["--check"]) == 0


def test_source_fonts_are_the_ones_recorded():
    data = json.loads(fonts.PREPARED_FILE.read_text(encoding="utf-8"))
    for style, name in FACES.items():
        face = data["faces"][style]
        assert face["source"] == name
        assert face["source_sha256"] == hashlib.sha256((FONT_DIR / name).read_bytes()).hexdigest()


@pytest.mark.parametrize("style", list(FACES))
def test_prepared_font_is_fpdf2s_own_parse_of_the_file(style: str):
    """What the renderer draws with equals what ``add_font(..., unicode_range=CHARSET)`` reads."""
    scratch = FPDF()
    scratch.add_font(FAMILY, style, FONT_DIR / FACES[style], unicode_range=sorted(map(ord, CHARSET)))
    parsed = scratch.fonts[font_key(style)]
    for char in sorted(CHARSET):
        parsed.subset.pick(ord(char))
    prepared = fonts.prepared_fonts()[font_key(style)].font
    for attribute in ("name", "scale", "up", "ut", "sp", "ss", "emphasis", "cmap", "glyph_ids", "fontkey"):
        assert getattr(prepared, attribute) == getattr(parsed, attribute), attribute
    assert vars(prepared.desc) == vars(parsed.desc)
    assert {ord(c): prepared.cw[ord(c)] for c in CHARSET} == {ord(c): parsed.cw[ord(c)] for c in CHARSET}
    assert prepared.cw[0x4E00] == parsed.cw[0x4E00]  # the default width of a missing character
    assert list(prepared.subset.items()) == list(parsed.subset.items())


@pytest.mark.parametrize("style", list(FACES))
def test_embedded_program_draws_each_code_with_the_right_glyph(style: str):
    prepared = fonts.prepared_fonts()[font_key(style)]
    program = ttLib.TTFont(io.BytesIO(zlib.decompress(prepared.font_file)))
    assert len(zlib.decompress(prepared.font_file)) == prepared.font_file_length
    assert "fpgm" not in program  # hinting dropped
    cmap = program.getBestCmap()
    cid_to_gid = zlib.decompress(prepared.cid_to_gid)
    widths = program["hmtx"].metrics
    full = ttLib.TTFont(FONT_DIR / FACES[style], lazy=True)
    for code, name, glyph_id, uni in prepared.metrics["codes"]:
        assert int.from_bytes(cid_to_gid[2 * code : 2 * code + 2], "big") == glyph_id
        if code == 0:
            assert (name, glyph_id) == (".notdef", 0)
            continue
        # The subset program keeps no glyph names: its cmap says which glyph draws the character.
        assert program.getGlyphID(cmap[int(uni, 16)]) == glyph_id, (code, name)
        assert widths[program.getGlyphName(glyph_id)] == full["hmtx"].metrics[name], (code, name)
    to_unicode = zlib.decompress(prepared.to_unicode).decode("latin-1")
    assert to_unicode.count("beginbfchar") == -(-len(prepared.metrics["codes"]) // 100)
    assert "<0001> <0021>" in to_unicode  # "!" is the first character picked after the reserved ones


def test_undrawable_agrees_with_the_full_fonts():
    faces = [ttLib.TTFont(FONT_DIR / name, lazy=True).getBestCmap() for name in FACES.values()]
    sample = "Aé€ Αθηνά Nguyễn Ивan שלום 咨询服务 🙂 ﬁ \u2028 \u0301"
    expected = "".join(
        dict.fromkeys(c for c in sample if not c.isspace() and not all(ord(c) in f for f in faces))
    )
    assert fonts.undrawable(sample) == expected
    assert fonts.undrawable("Société Générale — 1\u202f234,50\u00a0€") == ""
    assert "咨" in expected


def test_a_file_built_for_another_charset_is_refused(tmp_path, monkeypatch, fresh_caches):
    data = json.loads(fonts.PREPARED_FILE.read_text(encoding="utf-8"))
    data["charset_sha256"] = "0" * 64
    other = tmp_path / "prepared.json"
    other.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(fonts, "PREPARED_FILE", other)
    with pytest.raises(fonts.StalePreparedFonts, match=r"another CHARSET.*prepare_fonts"):
        fonts.prepared_fonts()
    monkeypatch.setattr(fonts, "PREPARED_FILE", tmp_path / "missing.json")
    with pytest.raises(fonts.StalePreparedFonts, match="missing"):
        fonts.prepared_fonts()


def test_codes_fpdf2_would_assign_differently_are_refused(monkeypatch, fresh_caches):
    """An fpdf2 upgrade that picks codes in another order must not print the wrong glyphs."""
    data = json.loads(fonts.PREPARED_FILE.read_text(encoding="utf-8"))
    codes = data["faces"][""]["codes"]
    codes[1][1], codes[2][1] = codes[2][1], codes[1][1]
    monkeypatch.setattr(fonts, "_prepared_file", lambda: data)
    with pytest.raises(fonts.StalePreparedFonts, match="other codes"):
        fonts._fpdf_font(font_key(""))


def test_a_prepared_face_beside_another_font_goes_through_fpdf2s_subsetting():
    pdf = fonts.InvoicePDF(unit="mm", format="A4")
    fonts.attach_prepared_fonts(pdf)
    pdf.add_page()
    pdf.set_font(FAMILY, "", 10)
    pdf.text(10, 10, "Société — 1\u202f234,50\u00a0€")
    pdf.set_font("helvetica", "", 10)
    pdf.text(10, 20, "core font")
    output = bytes(pdf.output(output_producer_class=fonts.InvoiceOutputProducer))
    assert b"/FontFile2" in output
    assert b"/Helvetica" in output
    # The shared prepared font is untouched: the next document takes the fast path again.
    assert fonts.prepared_fonts()[font_key("")].font.ttfont is None


def test_prepared_program_is_base64_of_the_deflated_stream():
    data = json.loads(fonts.PREPARED_FILE.read_text(encoding="utf-8"))
    for style in FACES:
        face = data["faces"][style]
        assert base64.b64decode(face["program"]) == fonts.prepared_fonts()[font_key(style)].font_file
