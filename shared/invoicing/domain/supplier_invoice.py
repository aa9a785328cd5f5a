"""A supplier invoice as read from its document: the normalised record every extractor returns.

Whatever read the document (its embedded Factur-X / ZUGFeRD XML, a standalone CII or UBL file,
Amazon Textract, the offline text-layer reader or Tesseract), the result is one
``SupplierInvoice``: the same fields, the same types, a confidence per field (0 to 1) and the
engine that read it. A field the document does not give (or that could not be read) is
``None``, never a guess presented as fact.

``as_json()`` is the form ``invoicing extract --json`` prints and the records table stores:
dates ISO 8601, amounts as decimal strings, the keys of the issue (supplier_name,
supplier_vat_id, supplier_siren, invoice_number, issue_date, due_date, currency,
total_excl_tax, total_tax, total_incl_tax, amount_due, lines, engine, confidence) plus the
others below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any


class Engine(StrEnum):
    """What read the document. The first three are exact (the supplier's own data)."""

    FACTURX = "facturx"  # XML embedded in a PDF (Factur-X, ZUGFeRD)
    CII = "cii"  # a standalone UN/CEFACT CII XML file
    UBL = "ubl"  # a standalone OASIS UBL 2.1 invoice or credit note
    TEXTRACT = "textract"  # Amazon Textract AnalyzeExpense
    TEXT = "text"  # the PDF's text layer (pdfplumber), offline
    TESSERACT = "tesseract"  # OCR of a scan, offline

    @property
    def exact(self) -> bool:
        return self in (Engine.FACTURX, Engine.CII, Engine.UBL)


#: The fields a confidence can be given for (the record's scalar fields).
FIELDS = (
    "supplier_name",
    "supplier_siren",
    "supplier_siret",
    "supplier_vat_id",
    "supplier_iban",
    "buyer_name",
    "buyer_vat_id",
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "total_excl_tax",
    "total_tax",
    "total_incl_tax",
    "amount_due",
)


@dataclass(frozen=True, slots=True)
class VatAmount:
    """One VAT rate's subtotal: rate in percent (``Decimal("20")``), its base and its tax."""

    rate: Decimal
    base: Decimal | None
    tax: Decimal


@dataclass(frozen=True, slots=True)
class SupplierLine:
    description: str
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    #: The line's net amount (excl. VAT).
    amount: Decimal | None = None
    vat_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SupplierInvoice:
    engine: Engine
    #: SHA-256 (hex) of the source document's bytes: the duplicate check's key.
    document_hash: str
    supplier_name: str | None = None
    #: 9 digits (from the SIRET when only that is given).
    supplier_siren: str | None = None
    supplier_siret: str | None = None
    supplier_vat_id: str | None = None
    supplier_iban: str | None = None
    buyer_name: str | None = None
    buyer_vat_id: str | None = None
    invoice_number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    #: ISO 4217 code.
    currency: str | None = None
    total_excl_tax: Decimal | None = None
    total_tax: Decimal | None = None
    total_incl_tax: Decimal | None = None
    #: What is left to pay (total incl. VAT minus prepaid amounts), when the document says.
    amount_due: Decimal | None = None
    #: A credit note (avoir, Gutschrift): its amounts are what the supplier owes back.
    credit_note: bool = False
    vat: tuple[VatAmount, ...] = ()
    lines: tuple[SupplierLine, ...] = ()
    #: field name -> 0..1. Exact engines give 1.0 to every field they read.
    confidence: Mapping[str, float] = field(default_factory=dict)
    pages: int = 1

    def with_confidence(self, value: float) -> SupplierInvoice:
        """Every field that has a value gets ``value`` (what exact engines use)."""
        return replace(self, confidence={name: value for name in FIELDS if getattr(self, name) is not None})

    def as_json(self) -> dict[str, Any]:
        def text(value: Any) -> Any:
            if isinstance(value, Decimal):
                return _decimal_text(value)
            if isinstance(value, date):
                return value.isoformat()
            return value

        out: dict[str, Any] = {name: text(getattr(self, name)) for name in FIELDS}
        out["credit_note"] = self.credit_note
        out["vat"] = [{"rate": text(v.rate), "base": text(v.base), "tax": text(v.tax)} for v in self.vat]
        out["lines"] = [
            {
                "description": line.description,
                "quantity": text(line.quantity),
                "unit_price": text(line.unit_price),
                "amount": text(line.amount),
                "vat_rate": text(line.vat_rate),
            }
            for line in self.lines
        ]
        out["engine"] = self.engine.value
        out["confidence"] = {k: round(float(v), 3) for k, v in self.confidence.items()}
        out["document_hash"] = self.document_hash
        out["pages"] = self.pages
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SupplierInvoice:
        """The inverse of ``as_json`` (what the records table gives back)."""

        def dec(value: Any) -> Decimal | None:
            if value is None or value == "":
                return None
            try:
                return Decimal(str(value))
            except InvalidOperation:
                return None

        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if value else None

        scalars: dict[str, Any] = {}
        for name in FIELDS:
            value = data.get(name)
            if name in ("issue_date", "due_date"):
                scalars[name] = day(value)
            elif name.startswith(("total_", "amount_")):
                scalars[name] = dec(value)
            else:
                scalars[name] = value or None
        return cls(
            engine=Engine(data["engine"]),
            document_hash=str(data.get("document_hash") or ""),
            credit_note=bool(data.get("credit_note")),
            vat=tuple(
                VatAmount(
                    rate=dec(v["rate"]) or Decimal(0),
                    base=dec(v.get("base")),
                    tax=dec(v["tax"]) or Decimal(0),
                )
                for v in data.get("vat") or ()
            ),
            lines=tuple(
                SupplierLine(
                    description=str(line.get("description") or ""),
                    quantity=dec(line.get("quantity")),
                    unit_price=dec(line.get("unit_price")),
                    amount=dec(line.get("amount")),
                    vat_rate=dec(line.get("vat_rate")),
                )
                for line in data.get("lines") or ()
            ),
            confidence={str(k): float(v) for k, v in (data.get("confidence") or {}).items()},
            pages=int(data.get("pages") or 1),
            **scalars,
        )


def _decimal_text(value: Decimal) -> str:
    """A plain decimal string as the document wrote it (``"100.00"``), never an exponent."""
    return f"{value:f}"
