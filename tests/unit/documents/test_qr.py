"""The SEPA payment QR code (EPC069-12): same data as segno's public helper, drawn module for module."""

from __future__ import annotations

from decimal import Decimal

import pytest
import segno
from documents_helpers import SELLER, black_rects
from segno import helpers

from invoicing.documents.qr import FIXED_MASK, Symbol, epc_payload, epc_symbol
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


def grid_from_rects(symbol: Symbol) -> list[list[bool]]:
    grid = [[False] * symbol.size for _ in range(symbol.size)]
    for row, col, width, height in symbol.rects:
        assert width > 0
        assert height > 0
        for y in range(row, row + height):
            for x in range(col, col + width):
                assert not grid[y][x], f"module ({y}, {x}) covered twice"
                grid[y][x] = True
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
def test_symbol_rectangles_cover_exactly_the_dark_modules(payment: dict) -> None:
    symbol = epc_symbol(**payment)
    assert symbol is not None
    code = segno.make_qr(epc_payload(**payment), error="m", boost_error=False, mask=FIXED_MASK)
    assert symbol.size == len(code.matrix)
    assert grid_from_rects(symbol) == matrix_of(code)
    dark = sum(sum(row) for row in matrix_of(code))
    assert len(symbol.rects) < dark  # runs are merged, not one rectangle per module


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
    symbol = epc_symbol(name="N" * 90, iban=PAYMENTS[0]["iban"], bic=None, amount=Decimal(10), text="T" * 200)
    assert symbol is not None
    payload = epc_payload(
        name="N" * 90, iban=PAYMENTS[0]["iban"], bic=None, amount=Decimal(10), text="T" * 200
    )
    data = payload.decode("iso-8859-1") if isinstance(payload, bytes) else payload
    assert "N" * 70 + "\n" in data
    assert "N" * 71 not in data
    assert data.endswith("\n" + "T" * 140)


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00", "1000000000.00", "999999999.991"])
def test_no_symbol_when_the_amount_cannot_be_expressed(amount: str) -> None:
    assert epc_symbol(**{**PAYMENTS[0], "amount": Decimal(amount)}) is None


def test_qr_drawn_in_the_pdf_is_the_payment_symbol(business_invoice: Invoice, business_pdf: bytes) -> None:
    symbol = epc_symbol(
        name=SELLER.legal_name,
        iban=SELLER.iban or "",
        bic=SELLER.bic,
        amount=business_invoice.totals.grand_total,
        text=business_invoice.number,
    )
    assert symbol is not None
    rects = black_rects(business_pdf)
    assert len(rects) == len(symbol.rects)

    # Rebuild the module grid from the drawn rectangles (the finder pattern puts one at row 0, col 0).
    module = 27.0 / symbol.size * 72 / 25.4  # 27 mm wide, in points
    x0 = min(r["x0"] for r in rects)
    top = min(r["top"] for r in rects)
    assert max(r["x1"] for r in rects) - x0 == pytest.approx(27.0 * 72 / 25.4, abs=0.1)
    grid = [[False] * symbol.size for _ in range(symbol.size)]
    for r in rects:
        col, row = round((r["x0"] - x0) / module), round((r["top"] - top) / module)
        width, height = round(r["width"] / module), round(r["height"] / module)
        for y in range(row, row + height):
            for x in range(col, col + width):
                assert not grid[y][x]
                grid[y][x] = True
    assert grid == grid_from_rects(symbol)
    payload = epc_payload(
        name=SELLER.legal_name,
        iban=SELLER.iban or "",
        bic=SELLER.bic,
        amount=business_invoice.totals.grand_total,
        text=business_invoice.number,
    )
    assert grid == matrix_of(segno.make_qr(payload, error="m", boost_error=False, mask=FIXED_MASK))
