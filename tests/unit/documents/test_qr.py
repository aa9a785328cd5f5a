"""The SEPA payment QR code (EPC069-12): same data as segno's public helper, and the image embedded in the
PDF is that symbol, module for module."""

from __future__ import annotations

from decimal import Decimal

import pytest
import segno
from documents_helpers import SELLER, qr_images
from segno import helpers

from invoicing.documents.qr import FIXED_MASK, PIXELS_PER_MODULE, epc_image, epc_payload
from invoicing.domain.invoice import Invoice

PAYMENTS = [
    {
        "name": "Horizon Conseil & Formation",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
        "amount": Decimal("3840.50"),
        "text": "FA2026-00001",
    },
    {
        "name": "Atelier Dupont",
        "iban": "FR7630006000011234567890189",
        "bic": None,
        "amount": Decimal("0.01"),
        "text": "FA26/7",
    },
    {
        "name": "Société Générale d'Éclairage Œuvre",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "amount": Decimal("999999999.99"),
        "text": "AV_2026+123456",
    },
    {
        "name": "Brasserie Wallonne de l'Ourthe SA",
        "iban": "BE68539007547034",
        "bic": None,
        "amount": Decimal("120"),
        "text": "Facture n° 12 — merci",
    },
]


def grid_of(image) -> list[list[bool]]:
    """The module grid of a QR image: every module a uniform square of PIXELS_PER_MODULE pixels."""
    size = image.width // PIXELS_PER_MODULE
    assert image.width == image.height == size * PIXELS_PER_MODULE
    pixels = image.load()
    grid = []
    for row in range(size):
        cells = []
        for col in range(size):
            block = {
                pixels[col * PIXELS_PER_MODULE + dx, row * PIXELS_PER_MODULE + dy]
                for dx in range(PIXELS_PER_MODULE)
                for dy in range(PIXELS_PER_MODULE)
            }
            assert len(block) == 1, f"module ({row}, {col}) is not uniform"
            cells.append(block.pop() == 0)  # 0 is black in a 1-bit image
        grid.append(cells)
    return grid


def matrix_of(code: segno.QRCode) -> list[list[bool]]:
    return [[bool(v) for v in row] for row in code.matrix]


@pytest.mark.parametrize("payment", PAYMENTS)
def test_payload_is_the_one_segno_public_helper_encodes(payment: dict) -> None:
    public = helpers.make_epc_qr(**payment)
    ours = segno.make_qr(epc_payload(**payment), error="m", boost_error=False, mask=public.mask)
    assert (ours.version, ours.error, ours.mask) == (public.version, public.error, public.mask)
    assert matrix_of(ours) == matrix_of(public)


@pytest.mark.parametrize("payment", PAYMENTS)
def test_image_is_the_symbol_module_for_module(payment: dict) -> None:
    image = epc_image(**payment)
    assert image is not None
    assert image.mode == "1"
    code = segno.make_qr(epc_payload(**payment), error="m", boost_error=False, mask=FIXED_MASK)
    assert grid_of(image) == matrix_of(code)


def test_epc_payload_fields() -> None:
    payload = epc_payload(**PAYMENTS[0])
    data = payload.decode("iso-8859-1") if isinstance(payload, bytes) else payload
    fields = data.split("\n")
    assert fields[:2] == ["BCD", "002"]
    assert fields[3] == "SCT"
    assert fields[4:7] == ["AGRIFRPP", "Horizon Conseil & Formation", "FR7630006000011234567890189"]
    assert fields[7] == "EUR3840.5"
    assert fields[-1] == "FA2026-00001"


def test_long_name_and_text_are_cut_to_the_epc_limits() -> None:
    image = epc_image(name="N" * 90, iban=PAYMENTS[0]["iban"], bic=None, amount=Decimal(10), text="T" * 200)
    assert image is not None
    payload = epc_payload(
        name="N" * 90, iban=PAYMENTS[0]["iban"], bic=None, amount=Decimal(10), text="T" * 200
    )
    data = payload.decode("iso-8859-1") if isinstance(payload, bytes) else payload
    assert "N" * 70 + "\n" in data
    assert "N" * 71 not in data
    assert data.endswith("\n" + "T" * 140)


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00", "1000000000.00", "999999999.991"])
def test_no_symbol_when_the_amount_cannot_be_expressed(amount: str) -> None:
    assert epc_image(**{**PAYMENTS[0], "amount": Decimal(amount)}) is None


def test_qr_in_the_pdf_is_the_payment_symbol(business_invoice: Invoice, business_pdf: bytes) -> None:
    (drawn,) = qr_images(business_pdf)
    assert drawn["width_mm"] == pytest.approx(27.0, abs=0.1)
    assert drawn["height_mm"] == pytest.approx(27.0, abs=0.1)
    payload = epc_payload(
        name=SELLER.legal_name,
        iban=SELLER.iban or "",
        bic=SELLER.bic,
        amount=business_invoice.totals.grand_total,
        text=business_invoice.number,
    )
    code = segno.make_qr(payload, error="m", boost_error=False, mask=FIXED_MASK)
    assert grid_of(drawn["image"]) == matrix_of(code)
