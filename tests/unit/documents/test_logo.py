"""The business's logo on the invoice PDF: placed top-left in its box, the document still PDF/A-3B
with its Factur-X XML, and anything but a PNG or JPEG (or a GIF, as the emails take) refused by name.

The images are made here with Pillow (fpdf2's own image library): no fixture files.
``pdfa_problems`` is the structural PDF/A-3B check the formal-notice tests use too; when veraPDF
is installed, ``test_verapdf_accepts_a_logo_invoice`` runs the real validator as well.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import facturx_cases as cases
import pdfplumber
import pypdf
import pytest
from documents_helpers import COMPANY, line, make_invoice, norm, page_texts
from facturx import get_facturx_xml_from_pdf
from PIL import Image, ImageDraw

from invoicing.documents import pdf as pdf_module
from invoicing.documents.pdf import LOGO_MAX_H, LOGO_MAX_W, logo_image, render_pdf
from invoicing.documents.render import render

MM = 72 / 25.4

# --- images made here ------------------------------------------------------------------------------


def drawn(mode: str = "RGBA", size: tuple[int, int] = (300, 120)) -> Image.Image:
    """A small logo: a disc and a bar on a transparent (or white) ground, in ``mode``."""
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    w, h = size
    d = min(w, h)
    draw.ellipse((4, 4, d - 4, d - 4), fill=(28, 55, 90, 255))
    if w > d + 16:
        draw.rectangle((d + 8, h // 3, w - 8, 2 * h // 3), fill=(220, 120, 40, 180))
    if mode == "RGBA":
        return image
    if mode == "P":
        return image.convert("P", palette=Image.Palette.ADAPTIVE)
    return image.convert(mode)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png_by_hand(width: int = 4, height: int = 2) -> bytes:
    """A tiny RGBA PNG written byte by byte (no image library): red, half-transparent pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 6, 0, 0, 0])
    raw = b"".join(b"\x00" + b"\xff\x00\x00\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG_ALPHA = encoded(drawn("RGBA"), "PNG")
JPEG_RGB = encoded(drawn("RGB"), "JPEG", quality=90)
JPEG_CMYK = encoded(drawn("CMYK"), "JPEG", quality=90)


# --- PDF/A-3B, structurally ------------------------------------------------------------------------


def _images(resources, seen: set[int]) -> list:
    """Every image XObject reachable from a resource dictionary (forms included), with soft masks."""
    found = []
    xobjects = resources.get("/XObject") if resources else None
    for ref in (xobjects or {}).values():
        key = getattr(ref, "idnum", None)
        if key in seen:
            continue
        seen.add(key)
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Image":
            found.append(xobject)
            if "/SMask" in xobject:
                found.append(xobject["/SMask"].get_object())
        elif xobject.get("/Subtype") == "/Form":
            found += _images(xobject.get("/Resources"), seen)
    return found


def pdfa_problems(pdf: bytes) -> list[str]:
    """What a PDF/A-3B validator would object to in what our documents contain (XMP identification,
    output intent, trailer ID, embedded fonts with Unicode maps, image colour spaces and keys).
    veraPDF is not on these machines; this covers what a logo (an image with a soft mask) changes."""
    problems = []
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    if reader.is_encrypted:
        problems.append("encrypted")
    if "/ID" not in reader.trailer:
        problems.append("no /ID in the trailer")
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    if not re.search(r"pdfaid:part(?:>|=\")\s*3\b", xmp) or not re.search(
        r"pdfaid:conformance(?:>|=\")\s*B\b", xmp
    ):
        problems.append("XMP does not declare PDF/A-3B")
    intents = [i.get_object() for i in root.get("/OutputIntents", [])]
    pdfa_intents = [i for i in intents if i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i]
    if len(pdfa_intents) != 1:
        problems.append(f"{len(pdfa_intents)} PDF/A output intents")
    intent_colours = pdfa_intents[0]["/DestOutputProfile"].get_object().get("/N") if pdfa_intents else None
    seen: set[int] = set()
    for number, page in enumerate(reader.pages, start=1):
        resources = page.get("/Resources")
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            if "/ToUnicode" not in font or not all(
                "/FontFile2" in d["/FontDescriptor"].get_object() for d in descendants
            ):
                problems.append(
                    f"page {number}: font {font.get('/BaseFont')} not embedded with a ToUnicode map"
                )
        for image in _images(resources, seen):
            where = f"page {number}: image {image.get('/Width')}x{image.get('/Height')}"
            space = image.get("/ColorSpace")
            space = space.get_object() if space is not None else None
            if space == "/DeviceCMYK" and intent_colours != 4:
                problems.append(f"{where}: DeviceCMYK beside an RGB output intent")
            if space == "/DeviceRGB" and intent_colours != 3:
                problems.append(f"{where}: DeviceRGB without an RGB output intent")
            if isinstance(space, list) and space and space[0] == "/ICCBased":
                profile = space[1].get_object()
                expected = {"/DeviceGray": 1, "/DeviceRGB": 3, "/DeviceCMYK": 4}.get(
                    profile.get("/Alternate")
                )
                if expected is not None and profile.get("/N") != expected:
                    problems.append(f"{where}: ICC profile of {profile.get('/N')} colours for {expected}")
            if isinstance(space, list) and space and space[0] == "/Indexed" and space[1] == "/DeviceCMYK":
                problems.append(f"{where}: indexed DeviceCMYK")
            if image.get("/Interpolate") is True:
                problems.append(f"{where}: /Interpolate true")
            for key in ("/Alternates", "/OPI"):
                if key in image:
                    problems.append(f"{where}: {key}")
            if image.get("/BitsPerComponent") not in (1, 2, 4, 8, 16):
                problems.append(f"{where}: {image.get('/BitsPerComponent')} bits per component")
            filters = image.get("/Filter")
            filters = [filters] if not isinstance(filters, list) else filters
            if "/LZWDecode" in filters:
                problems.append(f"{where}: LZW compression")
    return problems


# --- the logo on the invoice -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def invoice():
    return cases.build("single_rate_services_s1")


@pytest.fixture(scope="module")
def png_rendered(invoice):
    return render(invoice, logo=PNG_ALPHA)


def image_boxes(pdf: bytes, page: int = 0) -> list[dict]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [
            {
                "x0": im["x0"] / MM,
                "top": im["top"] / MM,
                "width": im["width"] / MM,
                "height": im["height"] / MM,
                "srcsize": im["srcsize"],
                "bits": im.get("bits"),
            }
            for im in document.pages[page].images
        ]


def logos_in(pdf: bytes, page: int = 0) -> list[dict]:
    """The images in the header of a page (not the payment QR code, further down)."""
    return [box for box in image_boxes(pdf, page) if box["top"] < 40]


def test_without_a_logo_nothing_changes(invoice) -> None:
    assert render_pdf(invoice, logo=None) == render_pdf(invoice)
    assert render(invoice, logo=None).pdf == render(invoice).pdf
    assert logos_in(render_pdf(invoice)) == []


def test_png_with_alpha_is_placed_top_left_in_its_box(png_rendered) -> None:
    (box,) = logos_in(png_rendered.pdf)
    assert box["x0"] == pytest.approx(pdf_module.LEFT, abs=0.05)
    assert box["top"] == pytest.approx(pdf_module.TOP, abs=0.05)
    assert box["width"] <= LOGO_MAX_W + 0.01
    assert box["height"] <= LOGO_MAX_H + 0.01
    # Aspect kept: 300 x 120 pixels is 2.5:1, so the width is the limit.
    assert box["width"] == pytest.approx(LOGO_MAX_W, abs=0.05)
    assert box["width"] / box["height"] == pytest.approx(300 / 120, rel=0.01)
    # Transparency kept as a soft mask.
    reader = pypdf.PdfReader(io.BytesIO(png_rendered.pdf))
    (image,) = [
        x.get_object() for x in reader.pages[0]["/Resources"]["/XObject"].values() if x["/Width"] == 300
    ]
    assert "/SMask" in image
    assert image["/SMask"].get_object()["/ColorSpace"] == "/DeviceGray"


def test_the_seller_block_sits_beside_the_logo_and_left_of_the_title(png_rendered, invoice) -> None:
    (box,) = logos_in(png_rendered.pdf)
    with pdfplumber.open(io.BytesIO(png_rendered.pdf)) as document:
        page = document.pages[0]
        words = page.extract_words()
        title = next(w for w in words if w["text"] == "FACTURE")
        name_words = invoice.seller.legal_name.split()
        name = [w for w in words if w["text"] in name_words and w["top"] < 30 * MM]
    assert name, "seller name missing from the header"
    assert min(w["x0"] for w in name) / MM >= box["x0"] + box["width"]
    assert max(w["x1"] for w in name) < title["x0"]
    assert invoice.seller.legal_name in norm(page_texts(png_rendered.pdf)[0])


@pytest.mark.parametrize(
    "logo",
    [
        pytest.param(PNG_ALPHA, id="png-rgba"),
        pytest.param(JPEG_RGB, id="jpeg-rgb"),
        pytest.param(JPEG_CMYK, id="jpeg-cmyk"),
        pytest.param(encoded(drawn("P"), "PNG", transparency=0), id="png-palette-transparent"),
        pytest.param(encoded(drawn("LA"), "PNG"), id="png-gray-alpha"),
        pytest.param(encoded(drawn("L"), "PNG"), id="png-gray"),
        pytest.param(encoded(drawn("1"), "PNG"), id="png-bilevel"),
        pytest.param(encoded(drawn("RGB").convert("I;16"), "PNG"), id="png-16-bit"),
        pytest.param(png_by_hand(), id="png-by-hand"),
        pytest.param(encoded(drawn("P"), "GIF", transparency=0), id="gif-as-the-emails-accept"),
    ],
)
def test_logo_invoice_stays_pdfa_3b_with_its_factur_x_xml(invoice, logo: bytes) -> None:
    documents = render(invoice, logo=logo)
    assert pdfa_problems(documents.pdf) == []
    assert get_facturx_xml_from_pdf(documents.pdf, check_xsd=True) == ("factur-x.xml", documents.xml)
    assert len(logos_in(documents.pdf)) == 1
    text = norm(page_texts(documents.pdf)[0])
    assert invoice.number in text
    assert "\ufffd" not in text
    assert render(invoice, logo=logo).pdf == documents.pdf  # deterministic


def test_a_jpeg_is_embedded_as_it_is_and_cmyk_becomes_rgb(invoice) -> None:
    for logo, expected_space in ((JPEG_RGB, "/DeviceRGB"), (JPEG_CMYK, "/DeviceRGB")):
        reader = pypdf.PdfReader(io.BytesIO(render_pdf(invoice, logo=logo)))
        images = [x.get_object() for x in reader.pages[0]["/Resources"]["/XObject"].values()]
        (jpeg,) = [im for im in images if im.get("/Filter") == "/DCTDecode"]
        assert jpeg["/ColorSpace"] == expected_space
        if logo is JPEG_RGB:
            assert jpeg._data == JPEG_RGB  # not re-encoded


def test_a_large_logo_is_scaled_down_once(invoice) -> None:
    big = encoded(drawn("RGBA", (3000, 1200)), "PNG")
    (box,) = logos_in(render_pdf(invoice, logo=big))
    width_px, height_px = box["srcsize"]
    dpi = width_px / (box["width"] / 25.4)
    assert dpi == pytest.approx(300, rel=0.01)
    assert width_px / height_px == pytest.approx(2.5, rel=0.01)
    assert logo_image(big) is logo_image(big)  # prepared once per process


def test_a_tall_logo_is_limited_by_its_height(invoice) -> None:
    (box,) = logos_in(render_pdf(invoice, logo=encoded(drawn("RGBA", (100, 400)), "PNG")))
    assert box["height"] == pytest.approx(LOGO_MAX_H, abs=0.05)
    assert box["width"] == pytest.approx(LOGO_MAX_H / 4, abs=0.05)


def test_a_long_seller_name_beside_the_logo_does_not_reach_the_title() -> None:
    from dataclasses import replace

    base = cases.build("single_rate_services_s1")
    seller = replace(base.seller, legal_name="Établissements Horizon Conseil, Formation & Accompagnement")
    invoice = make_invoice(COMPANY, (line("Audit", "1", "100"),), seller=seller)
    pdf = render_pdf(invoice, logo=PNG_ALPHA)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        words = document.pages[0].extract_words()
    title = next(w for w in words if w["text"] == "FACTURE")
    header = [w for w in words if w["top"] < title["bottom"] and w is not title and w["x0"] < title["x0"]]
    assert header
    assert max(w["x1"] for w in header) < title["x0"]
    assert seller.legal_name in norm(page_texts(pdf)[0])


def test_the_logo_is_only_on_the_first_page() -> None:
    lines = tuple(line(f"Article {n:03d}", "1", "10") for n in range(1, 61))
    pdf = render_pdf(make_invoice(COMPANY, lines, number="FA2026-00200"), logo=PNG_ALPHA)
    pages = len(page_texts(pdf))
    assert pages >= 2
    assert len(logos_in(pdf, 0)) == 1
    assert all(logos_in(pdf, page) == [] for page in range(1, pages))
    assert pdfa_problems(pdf) == []


@pytest.mark.parametrize(
    "logo",
    [
        pytest.param(b"%PDF-1.7\n%...", id="pdf"),
        pytest.param(b"GIF89a\x01\x00\x01\x00", id="gif-truncated"),
        pytest.param(b"BM" + b"\x00" * 60, id="bmp"),
        pytest.param(b"RIFF\x00\x00\x00\x00WEBPVP8 ", id="webp"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="svg"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n", id="png-magic-only"),
        pytest.param(PNG_ALPHA[:60], id="png-truncated"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 20, id="jpeg-garbage"),
    ],
)
def test_anything_but_a_png_jpeg_or_gif_is_refused_naming_the_logo(invoice, logo: bytes) -> None:
    with pytest.raises(ValueError, match="logo"):
        render(invoice, logo=logo)
    with pytest.raises(ValueError, match="logo"):
        render_pdf(invoice, logo=logo)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 6, 0, 0, 0])
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(8000, 6000), (20000, 20000)])
def test_a_logo_of_absurd_dimensions_is_refused_before_decoding(invoice, size: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match=r"the logo (is \d+ x \d+ pixels|is not a readable PNG)"):
        render_pdf(invoice, logo=png_claiming(*size))
    if size == (8000, 6000):  # under Pillow's own bomb limit: our limit names the size
        with pytest.raises(ValueError, match=r"the logo is 8000 x 6000 pixels; at most 40 megapixels"):
            render_pdf(invoice, logo=png_claiming(*size))


def test_logo_must_be_bytes(invoice) -> None:
    with pytest.raises(ValueError, match="logo must be PNG or JPEG bytes"):
        render_pdf(invoice, logo="config/logo.png")  # type: ignore[arg-type]


@pytest.mark.skipif(shutil.which("verapdf") is None, reason="veraPDF is not installed on this machine")
def test_verapdf_accepts_a_logo_invoice(png_rendered, tmp_path: Path) -> None:
    target = tmp_path / "logo-invoice.pdf"
    target.write_bytes(png_rendered.pdf)
    result = subprocess.run(
        ["verapdf", "--flavour", "3b", "--format", "text", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.stdout.startswith("PASS"), result.stdout + result.stderr
